//! Account selection strategies (the seam where rotation strategies will be added).

use crate::account::Account;

/// How [`crate::Pool::acquire`] chooses among eligible accounts.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
#[non_exhaustive]
pub enum Strategy {
    /// The account leased least recently in this process; after a restart, the one used
    /// least recently (`last_used`), then insertion order.
    #[default]
    LeastRecentlyUsed,
}

impl Strategy {
    /// The position (in `candidates` order) of the account to use, `None` if empty.
    pub(crate) fn pick<'a>(self, candidates: impl Iterator<Item = &'a Account>) -> Option<usize> {
        match self {
            Strategy::LeastRecentlyUsed => candidates
                .enumerate()
                .min_by_key(|(_, a)| {
                    (
                        a.lease_seq,
                        a.meta.usage.last_used.unwrap_or(0),
                        a.meta.order,
                    )
                })
                .map(|(i, _)| i),
        }
    }
}
