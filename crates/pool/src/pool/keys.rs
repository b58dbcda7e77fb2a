//! Client key management on the pool: create, check, account usage, list, revoke.

use std::time::SystemTime;

use super::Pool;
use crate::account::unix_secs;
use crate::error::{KeyError, PoolError};
use crate::keys::{self, ClientKeyInfo, KeyId, KeyRecord};

impl Pool {
    /// Creates a client key. Returns its info and the plaintext key — shown once, only its
    /// SHA-256 hash is stored. An empty `allowed_models` means all models.
    pub fn create_client_key(
        &self,
        label: &str,
        allowed_models: Option<Vec<String>>,
        expires_at: Option<SystemTime>,
        token_budget: Option<u64>,
        now: SystemTime,
    ) -> Result<(ClientKeyInfo, String), PoolError> {
        let plaintext = keys::generate();
        let record = KeyRecord {
            id: KeyId::random(),
            label: crate::import::truncate_label(label),
            hash: keys::hash_key(&plaintext),
            masked: keys::mask(&plaintext),
            allowed_models: allowed_models.filter(|m| !m.is_empty()),
            expires_at: expires_at.map(unix_secs),
            token_budget,
            used_tokens: 0,
            request_count: 0,
            created_at: unix_secs(now),
            last_used: None,
            revoked: false,
        };
        let mut keys = self.keys();
        self.inner.store.write_key(&record, true)?;
        let info = record.info();
        keys.push(record);
        Ok((info, plaintext))
    }

    /// Checks a presented key (`model` = the requested model, `None` for routes without
    /// one). The hash of the presented key is compared with every stored hash in constant
    /// time. Errors say why: unknown, revoked, expired, model not allowed, budget used up.
    pub fn check_client_key(
        &self,
        presented: &str,
        model: Option<&str>,
        now: SystemTime,
    ) -> Result<ClientKeyInfo, KeyError> {
        let hash = keys::hash_key(presented);
        let keys = self.keys();
        let mut found: Option<&KeyRecord> = None;
        for k in keys.iter() {
            // No early exit: every stored hash is compared.
            if keys::constant_time_eq(k.hash.as_bytes(), hash.as_bytes()) {
                found = Some(k);
            }
        }
        let k = found.ok_or(KeyError::Unknown)?;
        if k.revoked {
            return Err(KeyError::Revoked);
        }
        if k.is_expired(now) {
            return Err(KeyError::Expired);
        }
        if k.token_budget.is_some_and(|b| k.used_tokens >= b) {
            return Err(KeyError::BudgetExhausted);
        }
        if let (Some(model), Some(allowed)) = (model, &k.allowed_models)
            && !allowed.iter().any(|m| m == model)
        {
            return Err(KeyError::ModelNotAllowed {
                model: model.to_owned(),
            });
        }
        Ok(k.info())
    }

    /// Adds a request's tokens to a key's usage (not fsynced: counters).
    pub fn record_key_usage(
        &self,
        id: &KeyId,
        tokens: u64,
        now: SystemTime,
    ) -> Result<(), PoolError> {
        self.update_key(id, false, |k| {
            k.used_tokens = k.used_tokens.saturating_add(tokens);
            k.request_count += 1;
            k.last_used = Some(unix_secs(now));
        })
    }

    /// Every client key, oldest first.
    pub fn list_client_keys(&self) -> Vec<ClientKeyInfo> {
        self.keys().iter().map(KeyRecord::info).collect()
    }

    /// Revokes a key: it is kept for the record and never accepted again.
    pub fn revoke_client_key(&self, id: &KeyId) -> Result<(), PoolError> {
        self.update_key(id, true, |k| k.revoked = true)
    }

    /// Deletes a key record.
    pub fn delete_client_key(&self, id: &KeyId) -> Result<(), PoolError> {
        let mut keys = self.keys();
        let i = keys
            .iter()
            .position(|k| &k.id == id)
            .ok_or(PoolError::NotFound)?;
        self.inner.store.delete_key(id)?;
        keys.remove(i);
        Ok(())
    }

    fn update_key(
        &self,
        id: &KeyId,
        durable: bool,
        f: impl FnOnce(&mut KeyRecord),
    ) -> Result<(), PoolError> {
        let mut keys = self.keys();
        let i = keys
            .iter()
            .position(|k| &k.id == id)
            .ok_or(PoolError::NotFound)?;
        let mut record = keys[i].clone();
        f(&mut record);
        self.inner.store.write_key(&record, durable)?;
        keys[i] = record;
        Ok(())
    }

    fn keys(&self) -> std::sync::MutexGuard<'_, Vec<KeyRecord>> {
        self.inner
            .keys
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}
