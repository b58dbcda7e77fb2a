//! Client API keys: generated `sk-proxy-…` keys stored as SHA-256 hashes, with a label,
//! optional allowed models, expiry and token budget; compared in constant time.

use std::fmt;
use std::time::SystemTime;

use serde::{Deserialize, Serialize};
use sha2::{Digest as _, Sha256};

use crate::account::from_unix;

/// Our id for a client key (`ck_` + 16 hex chars).
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(transparent)]
pub struct KeyId(String);

impl KeyId {
    /// Wraps an id received from a client (e.g. an admin route path).
    pub fn from_string(id: impl Into<String>) -> KeyId {
        KeyId(id.into())
    }

    /// The id as text.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    pub(crate) fn random() -> KeyId {
        let bytes: [u8; 8] = rand::random();
        KeyId(format!("ck_{}", hex(&bytes)))
    }
}

impl fmt::Display for KeyId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// A client key as shown to admins (never the key itself).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ClientKeyInfo {
    /// The key's id.
    pub id: KeyId,
    /// Its label.
    pub label: String,
    /// The key with its middle masked (`sk-proxy-••••••••abcd`).
    pub masked: String,
    /// Models the key may use; `None` = all.
    pub allowed_models: Option<Vec<String>>,
    /// Expiry, Unix seconds.
    pub expires_at: Option<u64>,
    /// Token budget (input + output); `None` = unlimited.
    pub token_budget: Option<u64>,
    /// Tokens used so far.
    pub used_tokens: u64,
    /// Requests made.
    pub request_count: u64,
    /// Creation time, Unix seconds.
    pub created_at: u64,
    /// Last use, Unix seconds.
    pub last_used: Option<u64>,
    /// Revoked keys are kept for the record but never accepted.
    pub revoked: bool,
}

/// The stored record.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct KeyRecord {
    pub(crate) id: KeyId,
    pub(crate) label: String,
    /// Lowercase hex SHA-256 of the key.
    pub(crate) hash: String,
    pub(crate) masked: String,
    #[serde(default)]
    pub(crate) allowed_models: Option<Vec<String>>,
    #[serde(default)]
    pub(crate) expires_at: Option<u64>,
    #[serde(default)]
    pub(crate) token_budget: Option<u64>,
    #[serde(default)]
    pub(crate) used_tokens: u64,
    #[serde(default)]
    pub(crate) request_count: u64,
    pub(crate) created_at: u64,
    #[serde(default)]
    pub(crate) last_used: Option<u64>,
    #[serde(default)]
    pub(crate) revoked: bool,
}

impl KeyRecord {
    pub(crate) fn info(&self) -> ClientKeyInfo {
        ClientKeyInfo {
            id: self.id.clone(),
            label: self.label.clone(),
            masked: self.masked.clone(),
            allowed_models: self.allowed_models.clone(),
            expires_at: self.expires_at,
            token_budget: self.token_budget,
            used_tokens: self.used_tokens,
            request_count: self.request_count,
            created_at: self.created_at,
            last_used: self.last_used,
            revoked: self.revoked,
        }
    }

    pub(crate) fn is_expired(&self, now: SystemTime) -> bool {
        self.expires_at.is_some_and(|e| from_unix(e) <= now)
    }
}

/// Compares two byte strings in time that depends only on their lengths.
pub fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    if a.len() != b.len() {
        return false;
    }
    let mut diff = 0u8;
    for (x, y) in a.iter().zip(b) {
        diff |= x ^ y;
    }
    // `black_box` keeps the optimizer from short-circuiting the fold.
    std::hint::black_box(diff) == 0
}

/// Lowercase hex SHA-256 of a presented key.
pub(crate) fn hash_key(key: &str) -> String {
    hex(&Sha256::digest(key.trim().as_bytes()))
}

/// A new random key: `sk-proxy-` + 32 hex chars.
pub(crate) fn generate() -> String {
    let bytes: [u8; 16] = rand::random();
    format!("sk-proxy-{}", hex(&bytes))
}

/// First 9 chars + `••••••••` + last 4.
pub(crate) fn mask(key: &str) -> String {
    let chars: Vec<char> = key.chars().collect();
    if chars.len() <= 13 {
        return "••••••••".to_owned();
    }
    let head: String = chars[..9].iter().collect();
    let tail: String = chars[chars.len() - 4..].iter().collect();
    format!("{head}••••••••{tail}")
}

fn hex(bytes: &[u8]) -> String {
    let mut s = String::with_capacity(bytes.len() * 2);
    for b in bytes {
        s.push_str(&format!("{b:02x}"));
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn constant_time_eq_compares_bytes_and_lengths() {
        assert!(constant_time_eq(b"abc", b"abc"));
        assert!(!constant_time_eq(b"abc", b"abd"));
        assert!(!constant_time_eq(b"abc", b"abcd"));
        assert!(constant_time_eq(b"", b""));
    }

    #[test]
    fn generated_keys_are_unique_and_masked() {
        let a = generate();
        assert!(a.starts_with("sk-proxy-") && a.len() == 41);
        assert_ne!(a, generate());
        let m = mask(&a);
        assert!(m.starts_with("sk-proxy-••••••••"));
        assert!(m.ends_with(&a[37..]));
        assert_eq!(hash_key(&a).len(), 64);
    }
}
