//! The at-rest key file and ChaCha20-Poly1305 sealing of token blobs.

use std::fs::OpenOptions;
use std::io::{ErrorKind, Read as _, Write as _};
use std::path::{Path, PathBuf};

use chacha20poly1305::aead::{Aead, Payload};
use chacha20poly1305::{ChaCha20Poly1305, KeyInit, Nonce};

use crate::error::PoolError;

const KEY_LEN: usize = 32;
const NONCE_LEN: usize = 12;

/// A loaded key. `Debug` never prints the key.
pub(crate) struct Cipher {
    aead: ChaCha20Poly1305,
    path: PathBuf,
}

impl std::fmt::Debug for Cipher {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Cipher")
            .field("path", &self.path)
            .field("key", &"<redacted>")
            .finish()
    }
}

/// Whether [`load_or_create`] made a new key.
pub(crate) enum KeyOrigin {
    Existing,
    Created,
}

impl Cipher {
    /// Reads the key file, or creates it (mode 0600, `create_new`) when `may_create`.
    /// An existing key is never overwritten.
    pub(crate) fn load_or_create(
        path: &Path,
        may_create: bool,
    ) -> Result<(Cipher, KeyOrigin), PoolError> {
        match std::fs::File::open(path) {
            Ok(mut file) => {
                let mut key = Vec::with_capacity(KEY_LEN);
                file.read_to_end(&mut key).map_err(|source| PoolError::Io {
                    action: "read key file",
                    path: path.to_owned(),
                    source,
                })?;
                let cipher = Cipher::from_key(&key, path)?;
                Ok((cipher, KeyOrigin::Existing))
            }
            Err(err) if err.kind() == ErrorKind::NotFound => {
                if !may_create {
                    return Err(PoolError::KeyMissing {
                        path: path.to_owned(),
                    });
                }
                let key: [u8; KEY_LEN] = rand::random();
                write_new_key(path, &key)?;
                Ok((Cipher::from_key(&key, path)?, KeyOrigin::Created))
            }
            Err(source) => Err(PoolError::Io {
                action: "open key file",
                path: path.to_owned(),
                source,
            }),
        }
    }

    fn from_key(key: &[u8], path: &Path) -> Result<Cipher, PoolError> {
        let aead =
            ChaCha20Poly1305::new_from_slice(key).map_err(|_| PoolError::InvalidKeyFile {
                path: path.to_owned(),
            })?;
        if key.len() != KEY_LEN {
            return Err(PoolError::InvalidKeyFile {
                path: path.to_owned(),
            });
        }
        Ok(Cipher {
            aead,
            path: path.to_owned(),
        })
    }

    /// The key file's path (for error messages).
    pub(crate) fn path(&self) -> &Path {
        &self.path
    }

    /// `nonce ‖ ciphertext+tag`, with a fresh random nonce and `aad` bound in.
    pub(crate) fn seal(&self, plaintext: &[u8], aad: &[u8]) -> Vec<u8> {
        let nonce_bytes: [u8; NONCE_LEN] = rand::random();
        let nonce = Nonce::from_slice(&nonce_bytes);
        let mut out = Vec::with_capacity(NONCE_LEN + plaintext.len() + 16);
        out.extend_from_slice(&nonce_bytes);
        // Encryption with a valid key and in-memory buffers cannot fail; an empty
        // ciphertext would be rejected by `open`, never silently accepted.
        if let Ok(ct) = self.aead.encrypt(
            nonce,
            Payload {
                msg: plaintext,
                aad,
            },
        ) {
            out.extend_from_slice(&ct);
        }
        out
    }

    /// Reverses [`Cipher::seal`]; `None` if the key or `aad` is wrong or the blob is damaged.
    pub(crate) fn open(&self, sealed: &[u8], aad: &[u8]) -> Option<Vec<u8>> {
        if sealed.len() < NONCE_LEN + 16 {
            return None;
        }
        let (nonce, ct) = sealed.split_at(NONCE_LEN);
        self.aead
            .decrypt(Nonce::from_slice(nonce), Payload { msg: ct, aad })
            .ok()
    }
}

fn write_new_key(path: &Path, key: &[u8]) -> Result<(), PoolError> {
    let io = |action| {
        move |source| PoolError::Io {
            action,
            path: path.to_owned(),
            source,
        }
    };
    let mut options = OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt as _;
        options.mode(0o600);
    }
    let mut file = options.open(path).map_err(io("create key file"))?;
    file.write_all(key).map_err(io("write key file"))?;
    file.sync_all().map_err(io("sync key file"))?;
    Ok(())
}
