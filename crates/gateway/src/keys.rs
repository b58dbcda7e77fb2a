//! First-start proxy API key: generate `cpk-<32 random bytes, base64url>` and persist it in
//! `<data-dir>/local.yaml` under `server.proxy_api_key` (dir 0700, file 0600).

use std::io::Write as _;
use std::path::{Path, PathBuf};

use base64::Engine as _;
use rand::RngCore as _;

use crate::config::ProxyApiKey;

/// Why the key could not be persisted.
#[derive(Debug, thiserror::Error)]
pub enum KeyFileError {
    /// The data dir or `local.yaml` could not be read or written.
    #[error("cannot write {path}")]
    Io {
        /// The file or directory.
        path: PathBuf,
        /// The cause.
        #[source]
        source: std::io::Error,
    },
    /// `local.yaml` exists but is not a YAML mapping.
    #[error("{path} is not a yaml mapping: {reason}")]
    NotAMapping {
        /// The file.
        path: PathBuf,
        /// Parser message.
        reason: String,
    },
}

/// `<data-dir>/local.yaml`.
pub fn local_yaml_path(data_dir: &Path) -> PathBuf {
    data_dir.join("local.yaml")
}

/// Creates the data dir (0700 on Unix) if it is missing.
pub fn ensure_data_dir(data_dir: &Path) -> Result<(), KeyFileError> {
    let mut builder = std::fs::DirBuilder::new();
    builder.recursive(true);
    #[cfg(unix)]
    std::os::unix::fs::DirBuilderExt::mode(&mut builder, 0o700);
    builder.create(data_dir).map_err(|source| KeyFileError::Io {
        path: data_dir.to_owned(),
        source,
    })
}

/// Generates a new key, writes it into `<data-dir>/local.yaml` (keeping the other keys; comments
/// are lost) and returns it.
pub fn generate_and_persist(data_dir: &Path) -> Result<ProxyApiKey, KeyFileError> {
    ensure_data_dir(data_dir)?;
    let path = local_yaml_path(data_dir);
    let io = |source| KeyFileError::Io {
        path: path.clone(),
        source,
    };
    let mut doc: serde_yaml::Value = match std::fs::read_to_string(&path) {
        Ok(text) if text.trim().is_empty() => serde_yaml::Value::Mapping(Default::default()),
        Ok(text) => serde_yaml::from_str(&text).map_err(|e| KeyFileError::NotAMapping {
            path: path.clone(),
            reason: e.to_string(),
        })?,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            serde_yaml::Value::Mapping(Default::default())
        }
        Err(e) => return Err(io(e)),
    };
    let key = new_key();
    let not_mapping = || KeyFileError::NotAMapping {
        path: path.clone(),
        reason: "expected a mapping".to_owned(),
    };
    let root = doc.as_mapping_mut().ok_or_else(not_mapping)?;
    let server = root
        .entry("server".into())
        .or_insert_with(|| serde_yaml::Value::Mapping(Default::default()));
    if server.is_null() {
        *server = serde_yaml::Value::Mapping(Default::default());
    }
    let server = server.as_mapping_mut().ok_or_else(not_mapping)?;
    server.insert("proxy_api_key".into(), key.clone().into());
    let text = serde_yaml::to_string(&doc).map_err(|e| KeyFileError::NotAMapping {
        path: path.clone(),
        reason: e.to_string(),
    })?;
    write_private(&path, text.as_bytes()).map_err(io)?;
    ProxyApiKey::new(&key).map_err(|_| KeyFileError::NotAMapping {
        path,
        reason: "generated key invalid".to_owned(),
    })
}

fn new_key() -> String {
    let mut bytes = [0u8; 32];
    rand::rng().fill_bytes(&mut bytes);
    format!(
        "cpk-{}",
        base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes)
    )
}

/// Writes `path` atomically (temp file + rename) with mode 0600 on Unix.
pub(crate) fn write_private(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    let tmp = path.with_extension("yaml.tmp");
    let mut opts = std::fs::OpenOptions::new();
    opts.write(true).create(true).truncate(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut opts, 0o600);
    let mut file = opts.open(&tmp)?;
    file.write_all(bytes)?;
    file.sync_all()?;
    drop(file);
    std::fs::rename(&tmp, path)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn persists_key_and_keeps_other_keys() -> Result<(), Box<dyn std::error::Error>> {
        let dir = tempfile::tempdir()?;
        let data = dir.path().join("data");
        ensure_data_dir(&data)?;
        std::fs::write(local_yaml_path(&data), "model:\n  default: gpt-5.5\n")?;
        let key = generate_and_persist(&data)?;
        assert!(key.expose().starts_with("cpk-"));
        assert_eq!(key.expose().len(), 4 + 43);
        let text = std::fs::read_to_string(local_yaml_path(&data))?;
        let doc: serde_yaml::Value = serde_yaml::from_str(&text)?;
        assert_eq!(doc["model"]["default"].as_str(), Some("gpt-5.5"));
        assert_eq!(doc["server"]["proxy_api_key"].as_str(), Some(key.expose()));
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt as _;
            let mode = std::fs::metadata(local_yaml_path(&data))?
                .permissions()
                .mode();
            assert_eq!(mode & 0o777, 0o600);
            let mode = std::fs::metadata(&data)?.permissions().mode();
            assert_eq!(mode & 0o777, 0o700);
        }
        Ok(())
    }
}
