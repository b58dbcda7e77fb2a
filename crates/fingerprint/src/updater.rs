//! The profile updater: polls an update feed through a caller-supplied fetch function, parses
//! it ([`crate::parse_appcast`]), persists the newest version in the data dir and swaps the
//! live profile behind a [`ProfileHandle`] — no restart, no I/O of its own besides the state
//! file. Time is an input (`now`), so schedules are tested deterministically; the gateway owns
//! the loop (`if updater.due(now) { updater.check(now).await }`).

use std::future::Future;
use std::path::{Path, PathBuf};
use std::sync::{Arc, PoisonError, RwLock};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use serde::{Deserialize, Serialize};

use crate::error::FingerprintError;
use crate::feed::{FeedRelease, parse_appcast};
use crate::profile::ClientProfile;

/// File name of the persisted state inside the data dir.
pub const STATE_FILE: &str = "fingerprint-state.json";
/// Default time between checks (the reference checks every 3 days, ±10 % jitter).
pub const DEFAULT_INTERVAL: Duration = Duration::from_secs(3 * 24 * 3600);

/// Shared, cheaply readable current profile (an `ArcSwap`-like cell on std types).
#[derive(Clone, Debug)]
pub struct ProfileHandle(Arc<RwLock<Arc<ClientProfile>>>);

impl ProfileHandle {
    /// A handle holding `profile`.
    pub fn new(profile: ClientProfile) -> ProfileHandle {
        ProfileHandle(Arc::new(RwLock::new(Arc::new(profile))))
    }

    /// The profile in force now.
    pub fn current(&self) -> Arc<ClientProfile> {
        Arc::clone(&self.0.read().unwrap_or_else(PoisonError::into_inner))
    }

    fn set(&self, profile: ClientProfile) {
        *self.0.write().unwrap_or_else(PoisonError::into_inner) = Arc::new(profile);
    }
}

/// What one check found.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum CheckOutcome {
    /// The feed announces what is already in force.
    UpToDate,
    /// A new version/build was applied and persisted.
    Updated {
        /// Version before.
        from: String,
        /// The release now in force.
        to: FeedRelease,
    },
    /// A newer release exists but `client.app_version` pins the version.
    Pinned(FeedRelease),
}

/// Persisted between runs.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
struct State {
    app_version: Option<String>,
    build_number: Option<String>,
    download_url: Option<String>,
    last_check_unix: Option<u64>,
}

/// Polls one feed and keeps a [`ProfileHandle`] current.
pub struct Updater<F> {
    feed_url: String,
    fetch: F,
    state_path: PathBuf,
    state: State,
    base: ClientProfile,
    pinned: bool,
    interval: Duration,
    handle: ProfileHandle,
}

impl<F, Fut> Updater<F>
where
    F: Fn(&str) -> Fut,
    Fut: Future<Output = Result<Vec<u8>, String>>,
{
    /// An updater for `base` (the profile after `client.*` overrides; `pinned` when those set
    /// `app_version`). A previously persisted version in `data_dir` is applied at once unless
    /// pinned. `fetch(url)` returns the feed bytes (the gateway passes an upstream GET).
    pub fn new(
        base: ClientProfile,
        pinned: bool,
        data_dir: &Path,
        feed_url: impl Into<String>,
        fetch: F,
    ) -> Result<Updater<F>, FingerprintError> {
        let state_path = data_dir.join(STATE_FILE);
        let state = match std::fs::read(&state_path) {
            Ok(bytes) => serde_json::from_slice(&bytes).map_err(FingerprintError::State)?,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => State::default(),
            Err(e) => return Err(e.into()),
        };
        let current = match (&state.app_version, pinned) {
            (Some(version), false) => base.with_version(version, state.build_number.as_deref()),
            _ => base.clone(),
        };
        Ok(Updater {
            feed_url: feed_url.into(),
            fetch,
            state_path,
            state,
            base,
            pinned,
            interval: DEFAULT_INTERVAL,
            handle: ProfileHandle::new(current),
        })
    }

    /// Sets the time between checks (before jitter).
    pub fn with_interval(mut self, interval: Duration) -> Updater<F> {
        self.interval = interval;
        self
    }

    /// The live profile, for every request to read.
    pub fn handle(&self) -> ProfileHandle {
        self.handle.clone()
    }

    /// When the next check is due: never checked → now; else last check + interval with a
    /// deterministic ±10 % jitter derived from the last check time.
    pub fn next_check_at(&self, now: SystemTime) -> SystemTime {
        let Some(last) = self.state.last_check_unix else {
            return now;
        };
        let base = self.interval.as_secs();
        let span = base / 5; // 20 % wide window → ±10 %
        let jitter = if span == 0 { 0 } else { last % span };
        let delay = base - base / 10 + jitter;
        UNIX_EPOCH + Duration::from_secs(last.saturating_add(delay))
    }

    /// True when a check should run at `now`.
    pub fn due(&self, now: SystemTime) -> bool {
        now >= self.next_check_at(now)
    }

    /// Fetches and parses the feed; applies and persists a different version. A failed fetch
    /// or a bad feed changes nothing (but records the attempt, so it is retried on schedule).
    pub async fn check(&mut self, now: SystemTime) -> Result<CheckOutcome, FingerprintError> {
        self.state.last_check_unix = Some(unix(now));
        let fetched = (self.fetch)(&self.feed_url).await;
        let release = match fetched {
            Ok(bytes) => parse_appcast(&bytes),
            Err(message) => Err(FingerprintError::Fetch(message)),
        };
        let release = match release {
            Ok(release) => release,
            Err(e) => {
                self.persist()?;
                return Err(e);
            }
        };
        let current = self.handle.current();
        let same = current.app_version() == release.version
            && current.build_number() == Some(release.build_number.as_str());
        let outcome = if same {
            CheckOutcome::UpToDate
        } else if self.pinned {
            CheckOutcome::Pinned(release.clone())
        } else {
            let next = self
                .base
                .with_version(&release.version, Some(&release.build_number));
            self.handle.set(next);
            self.state.app_version = Some(release.version.clone());
            self.state.build_number = Some(release.build_number.clone());
            self.state.download_url.clone_from(&release.download_url);
            CheckOutcome::Updated {
                from: current.app_version().to_owned(),
                to: release,
            }
        };
        self.persist()?;
        Ok(outcome)
    }

    /// Atomic write: temp file + rename.
    fn persist(&self) -> Result<(), FingerprintError> {
        let bytes = serde_json::to_vec_pretty(&self.state).map_err(FingerprintError::State)?;
        let tmp = self.state_path.with_extension("json.tmp");
        std::fs::write(&tmp, bytes)?;
        std::fs::rename(&tmp, &self.state_path)?;
        Ok(())
    }
}

fn unix(t: SystemTime) -> u64 {
    t.duration_since(UNIX_EPOCH).map_or(0, |d| d.as_secs())
}

#[cfg(test)]
mod tests;
