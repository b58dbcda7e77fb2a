//! Session affinity: a bounded, least-recently-used map from a client session key to the
//! account that served it, with a time-to-live.

use std::collections::{BTreeMap, HashMap};
use std::time::{Duration, SystemTime};

use sha2::{Digest as _, Sha256};

use crate::account::AccountId;

#[derive(Debug)]
struct Entry {
    account: AccountId,
    seen: SystemTime,
    seq: u64,
}

/// Session key → account, at most `capacity` entries, each forgotten `ttl` after last use.
#[derive(Debug)]
pub(crate) struct Affinity {
    map: HashMap<String, Entry>,
    /// seq → key, oldest first, for eviction.
    order: BTreeMap<u64, String>,
    next: u64,
    capacity: usize,
    ttl: Duration,
}

impl Affinity {
    pub(crate) fn new(capacity: usize, ttl: Duration) -> Affinity {
        Affinity {
            map: HashMap::new(),
            order: BTreeMap::new(),
            next: 0,
            capacity,
            ttl,
        }
    }

    /// The account remembered for `key`, unless the entry is older than the TTL.
    pub(crate) fn get(&mut self, key: &str, now: SystemTime) -> Option<AccountId> {
        let entry = self.map.get(key)?;
        if entry.seen + self.ttl <= now {
            let seq = entry.seq;
            self.map.remove(key);
            self.order.remove(&seq);
            return None;
        }
        Some(entry.account.clone())
    }

    /// Remembers (or refreshes) `key → account`, evicting the least recently used entry
    /// when full.
    pub(crate) fn put(&mut self, key: &str, account: &AccountId, now: SystemTime) {
        if self.capacity == 0 {
            return;
        }
        let seq = self.next;
        self.next += 1;
        if let Some(entry) = self.map.get_mut(key) {
            self.order.remove(&entry.seq);
            entry.seq = seq;
            entry.seen = now;
            entry.account.clone_from(account);
            self.order.insert(seq, key.to_owned());
            return;
        }
        while self.map.len() >= self.capacity {
            let Some((_, oldest)) = self.order.pop_first() else {
                break;
            };
            self.map.remove(&oldest);
        }
        self.map.insert(
            key.to_owned(),
            Entry {
                account: account.clone(),
                seen: now,
                seq,
            },
        );
        self.order.insert(seq, key.to_owned());
    }

    /// Forgets every session of `account` (it was removed).
    pub(crate) fn forget_account(&mut self, account: &AccountId) {
        let order = &mut self.order;
        self.map.retain(|_, e| {
            let keep = &e.account != account;
            if !keep {
                order.remove(&e.seq);
            }
            keep
        });
    }

    #[cfg(test)]
    pub(crate) fn len(&self) -> usize {
        self.map.len()
    }
}

/// The `prompt_cache_key` sent upstream for a session on an account (upstream-codex.md §3.2):
/// `cp_` + the first 32 hex chars of `sha256("conversation" ‖ 0 ‖ account id ‖ 0 ‖ key)`.
/// Stable for the session on that account; the client's raw key never goes upstream.
pub(crate) fn prompt_cache_key(account: &AccountId, session_key: &str) -> String {
    let mut h = Sha256::new();
    h.update(b"conversation");
    h.update([0]);
    h.update(account.as_str().as_bytes());
    h.update([0]);
    h.update(session_key.trim().as_bytes());
    let digest = h.finalize();
    let mut out = String::with_capacity(35);
    out.push_str("cp_");
    for b in &digest[..16] {
        out.push_str(&format!("{b:02x}"));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t(s: u64) -> SystemTime {
        SystemTime::UNIX_EPOCH + Duration::from_secs(s)
    }

    #[test]
    fn evicts_least_recently_used_and_expires() {
        let a = AccountId::from_string("a");
        let b = AccountId::from_string("b");
        let mut m = Affinity::new(2, Duration::from_secs(100));
        m.put("s1", &a, t(0));
        m.put("s2", &b, t(1));
        m.put("s1", &a, t(2)); // s1 now most recent
        m.put("s3", &b, t(3)); // evicts s2
        assert_eq!(m.len(), 2);
        assert_eq!(m.get("s2", t(4)), None);
        assert_eq!(m.get("s1", t(4)), Some(a.clone()));
        assert_eq!(m.get("s1", t(102)), None, "ttl");
        m.forget_account(&b);
        assert_eq!(m.get("s3", t(5)), None);
        assert_eq!(m.len(), 0);
    }

    #[test]
    fn cache_key_is_stable_and_account_scoped() {
        let a = AccountId::from_string("acct_a");
        let b = AccountId::from_string("acct_b");
        let k = prompt_cache_key(&a, "conv-1");
        assert_eq!(k, prompt_cache_key(&a, " conv-1 "));
        assert_ne!(k, prompt_cache_key(&b, "conv-1"));
        assert_eq!(k.len(), 35);
        assert!(k.starts_with("cp_"));
    }
}
