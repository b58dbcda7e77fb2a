//! Connection reuse keyed by (scheme, host, port): idle HTTP/1 connections (LIFO, expiring,
//! bounded per host) and one shared HTTP/2 connection per origin.
//!
//! Expired idle connections are purged on every checkout and checkin (the map holds a handful of
//! origins), so no background task is needed.

use std::collections::HashMap;
use std::sync::{Mutex, MutexGuard, PoisonError};
use std::time::{Duration, Instant};

use crate::connector::{H1Conn, H2Conn, Origin};

/// A pooled connection handed out for one request.
pub(crate) enum Checkout {
    /// Exclusive use until the response body is read.
    H1(H1Conn),
    /// Shared; the pool keeps its own handle.
    H2(H2Conn),
}

/// The pool. One per [`crate::Upstream`].
pub(crate) struct Pool {
    hosts: Mutex<HashMap<Origin, HostSlot>>,
    idle_timeout: Duration,
    max_idle_per_host: usize,
}

#[derive(Default)]
struct HostSlot {
    idle: Vec<Idle>,
    h2: Option<H2Conn>,
}

struct Idle {
    conn: H1Conn,
    since: Instant,
}

impl Pool {
    pub(crate) fn new(idle_timeout: Duration, max_idle_per_host: usize) -> Pool {
        Pool {
            hosts: Mutex::new(HashMap::new()),
            idle_timeout,
            max_idle_per_host,
        }
    }

    /// A live shared h2 connection, else the most recently idled HTTP/1 connection.
    pub(crate) fn checkout(&self, origin: &Origin) -> Option<Checkout> {
        let mut hosts = self.lock();
        self.purge(&mut hosts);
        let slot = hosts.get_mut(origin)?;
        if let Some(h2) = &slot.h2 {
            if !h2.sender.is_closed() {
                return Some(Checkout::H2(h2.clone()));
            }
            slot.h2 = None;
        }
        while let Some(idle) = slot.idle.pop() {
            if !idle.conn.sender.is_closed() {
                return Some(Checkout::H1(idle.conn));
            }
        }
        None
    }

    /// Returns an HTTP/1 connection whose response body was read to the end.
    pub(crate) fn checkin(&self, origin: &Origin, conn: H1Conn) {
        if conn.sender.is_closed() || self.max_idle_per_host == 0 {
            return;
        }
        let mut hosts = self.lock();
        self.purge(&mut hosts);
        let slot = hosts.entry(origin.clone()).or_default();
        if slot.idle.len() < self.max_idle_per_host {
            slot.idle.push(Idle {
                conn,
                since: Instant::now(),
            });
        }
    }

    /// Shares a new h2 connection; it replaces a previous one for the same origin. With
    /// `max_idle_per_host == 0` nothing is pooled (every request pays a fresh handshake).
    pub(crate) fn insert_h2(&self, origin: &Origin, conn: H2Conn) {
        if self.max_idle_per_host == 0 {
            return;
        }
        let mut hosts = self.lock();
        hosts.entry(origin.clone()).or_default().h2 = Some(conn);
    }

    /// Forgets the h2 connection `id` if it is still the shared one.
    pub(crate) fn remove_h2(&self, origin: &Origin, id: u64) {
        let mut hosts = self.lock();
        if let Some(slot) = hosts.get_mut(origin)
            && slot.h2.as_ref().is_some_and(|h2| h2.id == id)
        {
            slot.h2 = None;
        }
    }

    fn purge(&self, hosts: &mut HashMap<Origin, HostSlot>) {
        let now = Instant::now();
        hosts.retain(|_, slot| {
            slot.idle.retain(|idle| {
                now.duration_since(idle.since) < self.idle_timeout && !idle.conn.sender.is_closed()
            });
            if slot.h2.as_ref().is_some_and(|h2| h2.sender.is_closed()) {
                slot.h2 = None;
            }
            !slot.idle.is_empty() || slot.h2.is_some()
        });
    }

    fn lock(&self) -> MutexGuard<'_, HashMap<Origin, HostSlot>> {
        self.hosts.lock().unwrap_or_else(PoisonError::into_inner)
    }
}
