//! Per-account concurrency slots: a [`SlotGuard`] holds one and frees it on drop, waking
//! acquirers that wait for a free account.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, PoisonError};

use crate::account::AccountId;

/// In-flight request counts per account.
#[derive(Debug)]
pub(crate) struct Slots {
    limit: usize,
    counts: Mutex<HashMap<AccountId, usize>>,
    /// Notified whenever a slot is freed.
    pub(crate) freed: tokio::sync::Notify,
}

impl Slots {
    pub(crate) fn new(limit: usize) -> Slots {
        Slots {
            limit,
            counts: Mutex::new(HashMap::new()),
            freed: tokio::sync::Notify::new(),
        }
    }

    /// Whether `id` can take another slot.
    pub(crate) fn has_room(&self, id: &AccountId) -> bool {
        self.limit == 0 || self.in_flight(id) < self.limit
    }

    /// Requests in flight on `id`.
    pub(crate) fn in_flight(&self, id: &AccountId) -> usize {
        self.counts().get(id).copied().unwrap_or(0)
    }

    /// Takes a slot on `id`, or `None` when it is at its limit.
    pub(crate) fn take(self: &Arc<Self>, id: &AccountId) -> Option<SlotGuard> {
        let mut counts = self.counts();
        let n = counts.entry(id.clone()).or_insert(0);
        if self.limit != 0 && *n >= self.limit {
            return None;
        }
        *n += 1;
        Some(SlotGuard {
            slots: Arc::clone(self),
            id: id.clone(),
        })
    }

    fn counts(&self) -> std::sync::MutexGuard<'_, HashMap<AccountId, usize>> {
        self.counts.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

/// One occupied slot; dropping it frees the slot.
#[derive(Debug)]
pub(crate) struct SlotGuard {
    slots: Arc<Slots>,
    id: AccountId,
}

impl Drop for SlotGuard {
    fn drop(&mut self) {
        {
            let mut counts = self.slots.counts();
            if let Some(n) = counts.get_mut(&self.id) {
                *n = n.saturating_sub(1);
                if *n == 0 {
                    counts.remove(&self.id);
                }
            }
        }
        self.slots.freed.notify_waiters();
    }
}
