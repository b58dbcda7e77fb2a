//! The redb file: an `accounts` table (id → JSON record with a sealed token blob), a
//! `client_keys` table (id → JSON record holding only the key's hash) and a `meta` table
//! holding a key check. Every mutation is one write transaction.

use std::path::Path;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use redb::{Database, Durability, ReadableDatabase as _, ReadableTable as _, TableDefinition};
use serde::{Deserialize, Serialize};

use crate::account::{Account, AccountId, AccountMeta, Secrets};
use crate::crypto::{Cipher, KeyOrigin};
use crate::error::PoolError;
use crate::keys::{KeyId, KeyRecord};

const ACCOUNTS: TableDefinition<&str, &[u8]> = TableDefinition::new("accounts");
const META: TableDefinition<&str, &[u8]> = TableDefinition::new("meta");
const KEYS: TableDefinition<&str, &[u8]> = TableDefinition::new("client_keys");
const KEY_CHECK: &str = "key_check";
const KEY_CHECK_PLAINTEXT: &[u8] = b"codex-proxy key check v1";

/// File names inside the data directory.
pub(crate) const DB_FILE: &str = "codex-proxy.redb";
/// The key file's name.
pub(crate) const KEY_FILE: &str = "codex-proxy.key";

/// One stored row: the account's public fields plus its sealed secrets.
#[derive(Serialize, Deserialize)]
struct Record {
    v: u32,
    #[serde(flatten)]
    meta: AccountMeta,
    /// base64(nonce ‖ ChaCha20-Poly1305(JSON secrets)), aad = account id.
    sealed: String,
}

/// The open database and its key.
pub(crate) struct Store {
    db: Database,
    cipher: Cipher,
}

impl std::fmt::Debug for Store {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Store")
            .field("cipher", &self.cipher)
            .finish()
    }
}

/// Maps any redb error to [`PoolError::Storage`] without exposing redb types.
trait StorageContext<T> {
    fn ctx(self, context: &'static str) -> Result<T, PoolError>;
}

impl<T, E: Into<redb::Error>> StorageContext<T> for Result<T, E> {
    fn ctx(self, context: &'static str) -> Result<T, PoolError> {
        self.map_err(|e| PoolError::Storage {
            context,
            message: e.into().to_string(),
        })
    }
}

impl Store {
    /// Opens (or creates) the database and key, checks the key, and loads every account
    /// in insertion order.
    pub(crate) fn open(data_dir: &Path) -> Result<(Store, Vec<Account>), PoolError> {
        std::fs::create_dir_all(data_dir).map_err(|source| PoolError::Io {
            action: "create data directory",
            path: data_dir.to_owned(),
            source,
        })?;
        let db = Database::create(data_dir.join(DB_FILE)).ctx("open database")?;

        let existing_check = {
            let read = db.begin_read().ctx("begin read")?;
            match read.open_table(META) {
                Ok(table) => table
                    .get(KEY_CHECK)
                    .ctx("read key check")?
                    .map(|v| v.value().to_vec()),
                Err(redb::TableError::TableDoesNotExist(_)) => None,
                Err(e) => return Err(e).ctx("open meta table"),
            }
        };
        let key_path = data_dir.join(KEY_FILE);
        let (cipher, origin) = Cipher::load_or_create(&key_path, existing_check.is_none())?;
        let store = Store { db, cipher };
        match (existing_check, origin) {
            (Some(check), _) => {
                if store.cipher.open(&check, KEY_CHECK.as_bytes()).as_deref()
                    != Some(KEY_CHECK_PLAINTEXT)
                {
                    return Err(PoolError::WrongKey {
                        path: store.cipher.path().to_owned(),
                    });
                }
            }
            (None, KeyOrigin::Created | KeyOrigin::Existing) => store.write_key_check()?,
        }
        let accounts = store.load()?;
        Ok((store, accounts))
    }

    fn write_key_check(&self) -> Result<(), PoolError> {
        let sealed = self.cipher.seal(KEY_CHECK_PLAINTEXT, KEY_CHECK.as_bytes());
        let tx = self.db.begin_write().ctx("begin write")?;
        {
            let mut meta = tx.open_table(META).ctx("open meta table")?;
            meta.insert(KEY_CHECK, sealed.as_slice())
                .ctx("write key check")?;
            // Create the accounts table so readers never see it missing.
            tx.open_table(ACCOUNTS).ctx("open accounts table")?;
        }
        tx.commit().ctx("commit")
    }

    fn load(&self) -> Result<Vec<Account>, PoolError> {
        let read = self.db.begin_read().ctx("begin read")?;
        let table = match read.open_table(ACCOUNTS) {
            Ok(t) => t,
            Err(redb::TableError::TableDoesNotExist(_)) => return Ok(Vec::new()),
            Err(e) => return Err(e).ctx("open accounts table"),
        };
        let mut out = Vec::new();
        for row in table.iter().ctx("scan accounts")? {
            let (key, value) = row.ctx("read account")?;
            out.push(self.decode(key.value(), value.value())?);
        }
        out.sort_by_key(|a| a.meta.order);
        Ok(out)
    }

    fn decode(&self, key: &str, bytes: &[u8]) -> Result<Account, PoolError> {
        let corrupt = |reason| PoolError::Corrupt {
            id: key.to_owned(),
            reason,
        };
        let record: Record = serde_json::from_slice(bytes).map_err(|_| corrupt("bad record"))?;
        let sealed = STANDARD
            .decode(record.sealed.as_bytes())
            .map_err(|_| corrupt("bad sealed tokens"))?;
        let plain = self
            .cipher
            .open(&sealed, record.meta.id.as_str().as_bytes())
            .ok_or_else(|| corrupt("tokens do not decrypt"))?;
        let secrets: Secrets =
            serde_json::from_slice(&plain).map_err(|_| corrupt("bad decrypted tokens"))?;
        Ok(Account {
            meta: record.meta,
            secrets,
            lease_seq: 0,
            rt: Default::default(),
        })
    }

    /// Writes `upserts` and deletes `removes` in one transaction. `durable = false` is for
    /// counter-only updates: visible at once, persisted with the next durable commit.
    pub(crate) fn write(
        &self,
        upserts: &[&Account],
        removes: &[&AccountId],
        durable: bool,
    ) -> Result<(), PoolError> {
        let mut rows = Vec::with_capacity(upserts.len());
        for account in upserts {
            rows.push((account.meta.id.as_str(), self.encode(account)?));
        }
        let mut tx = self.db.begin_write().ctx("begin write")?;
        if !durable {
            tx.set_durability(Durability::None).ctx("set durability")?;
        }
        {
            let mut table = tx.open_table(ACCOUNTS).ctx("open accounts table")?;
            for (key, bytes) in &rows {
                table.insert(*key, bytes.as_slice()).ctx("write account")?;
            }
            for id in removes {
                table.remove(id.as_str()).ctx("delete account")?;
            }
        }
        tx.commit().ctx("commit")
    }

    /// Loads every client key, oldest first.
    pub(crate) fn load_keys(&self) -> Result<Vec<KeyRecord>, PoolError> {
        let read = self.db.begin_read().ctx("begin read")?;
        let table = match read.open_table(KEYS) {
            Ok(t) => t,
            Err(redb::TableError::TableDoesNotExist(_)) => return Ok(Vec::new()),
            Err(e) => return Err(e).ctx("open client keys table"),
        };
        let mut out = Vec::new();
        for row in table.iter().ctx("scan client keys")? {
            let (key, value) = row.ctx("read client key")?;
            let record: KeyRecord =
                serde_json::from_slice(value.value()).map_err(|_| PoolError::Corrupt {
                    id: key.value().to_owned(),
                    reason: "bad client key record",
                })?;
            out.push(record);
        }
        out.sort_by_key(|k| k.created_at);
        Ok(out)
    }

    /// Writes one client key record (one transaction).
    pub(crate) fn write_key(&self, record: &KeyRecord, durable: bool) -> Result<(), PoolError> {
        let bytes = serde_json::to_vec(record).map_err(|_| PoolError::Corrupt {
            id: record.id.to_string(),
            reason: "encode client key",
        })?;
        let mut tx = self.db.begin_write().ctx("begin write")?;
        if !durable {
            tx.set_durability(Durability::None).ctx("set durability")?;
        }
        {
            let mut table = tx.open_table(KEYS).ctx("open client keys table")?;
            table
                .insert(record.id.as_str(), bytes.as_slice())
                .ctx("write client key")?;
        }
        tx.commit().ctx("commit")
    }

    /// Deletes one client key record.
    pub(crate) fn delete_key(&self, id: &KeyId) -> Result<(), PoolError> {
        let tx = self.db.begin_write().ctx("begin write")?;
        {
            let mut table = tx.open_table(KEYS).ctx("open client keys table")?;
            table.remove(id.as_str()).ctx("delete client key")?;
        }
        tx.commit().ctx("commit")
    }

    fn encode(&self, account: &Account) -> Result<Vec<u8>, PoolError> {
        let corrupt = |reason| PoolError::Corrupt {
            id: account.meta.id.to_string(),
            reason,
        };
        let plain = serde_json::to_vec(&account.secrets).map_err(|_| corrupt("encode tokens"))?;
        let sealed = self
            .cipher
            .seal(&plain, account.meta.id.as_str().as_bytes());
        let record = Record {
            v: 1,
            meta: account.meta.clone(),
            sealed: STANDARD.encode(sealed),
        };
        serde_json::to_vec(&record).map_err(|_| corrupt("encode record"))
    }
}
