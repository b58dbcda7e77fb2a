//! Rotation strategies: how [`crate::Pool::acquire`] chooses among eligible accounts.

use serde::{Deserialize, Serialize};

use crate::account::Account;

/// How the next account is chosen (`auth.rotation_strategy`), changeable at runtime with
/// [`crate::Pool::set_strategy`].
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum Strategy {
    /// The account leased least recently in this process; after a restart, the one used
    /// least recently (`last_used`), then insertion order.
    LeastRecentlyUsed,
    /// Fewest successful requests first; ties go to the account leased least recently.
    #[default]
    LeastUsed,
    /// Cycle through the eligible accounts in insertion order.
    RoundRobin,
    /// Keep using the most recently used account while it is eligible.
    Sticky,
}

impl Strategy {
    /// Parses `least_used`, `round_robin`, `sticky` or `least_recently_used`.
    pub fn from_name(name: &str) -> Option<Strategy> {
        match name.trim() {
            "least_used" => Some(Strategy::LeastUsed),
            "round_robin" => Some(Strategy::RoundRobin),
            "sticky" => Some(Strategy::Sticky),
            "least_recently_used" => Some(Strategy::LeastRecentlyUsed),
            _ => None,
        }
    }

    /// The config name.
    pub fn as_str(self) -> &'static str {
        match self {
            Strategy::LeastRecentlyUsed => "least_recently_used",
            Strategy::LeastUsed => "least_used",
            Strategy::RoundRobin => "round_robin",
            Strategy::Sticky => "sticky",
        }
    }

    /// The position (in `candidates` order) of the account to use, `None` if empty.
    /// `counter` is the pool's round-robin counter (advanced by the caller).
    pub(crate) fn pick(self, candidates: &[&Account], counter: u64) -> Option<usize> {
        if candidates.is_empty() {
            return None;
        }
        let by = |key: &dyn Fn(&Account) -> (u64, u64, u64)| {
            candidates
                .iter()
                .enumerate()
                .min_by_key(|(_, a)| key(a))
                .map(|(i, _)| i)
        };
        match self {
            Strategy::LeastRecentlyUsed => by(&|a| {
                (
                    a.lease_seq,
                    a.meta.usage.last_used.unwrap_or(0),
                    a.meta.order,
                )
            }),
            Strategy::LeastUsed => by(&|a| (a.meta.usage.request_count, a.lease_seq, a.meta.order)),
            Strategy::RoundRobin => usize::try_from(counter % candidates.len() as u64).ok(),
            Strategy::Sticky => candidates
                .iter()
                .enumerate()
                .max_by_key(|(_, a)| {
                    (
                        a.lease_seq,
                        a.meta.usage.last_used.unwrap_or(0),
                        std::cmp::Reverse(a.meta.order),
                    )
                })
                .map(|(i, _)| i),
        }
    }
}
