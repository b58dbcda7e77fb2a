//! The live client profile: `config/fingerprint.yaml` (embedded) with the `client.*`
//! overrides, kept current by the fingerprint [`Updater`] behind a [`ProfileHandle`], and
//! converted (once per change) into the upstream crate's profile. [`run_updater`] is the one
//! owned task that polls the Codex Desktop appcast on schedule when `update.auto_update` is on.

use std::future::Future;
use std::path::Path;
use std::pin::Pin;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, SystemTime};

use codex_proxy_fingerprint::{
    CheckOutcome, ClientOverrides, ClientProfile, ProfileHandle, Updater,
};
use codex_proxy_upstream::Upstream;
use tokio_util::sync::CancellationToken;

use crate::config::TransportConfig;

/// The fetch function handed to the updater: an anonymous upstream GET.
type FeedFetch = Box<
    dyn Fn(&str) -> Pin<Box<dyn Future<Output = Result<Vec<u8>, String>> + Send>> + Send + Sync,
>;

/// The profile cell plus the updater waiting for its task.
pub(crate) struct ProfileSlot {
    handle: ProfileHandle,
    /// `(profile the cache was built from, its upstream form)`.
    cache: Mutex<(Arc<ClientProfile>, Arc<codex_proxy_upstream::ClientProfile>)>,
    updater: Mutex<Option<Updater<FeedFetch>>>,
    auto_update: bool,
}

impl ProfileSlot {
    pub fn new(cfg: &TransportConfig, data_dir: &Path, upstream: &Upstream) -> ProfileSlot {
        let overrides = ClientOverrides {
            originator: cfg.originator.clone(),
            app_version: cfg.app_version.clone(),
            build_number: cfg.build_number.clone(),
            platform: cfg.platform.clone(),
            arch: cfg.arch.clone(),
        };
        let official = ClientProfile::official();
        let base = official.with_overrides(&overrides).unwrap_or_else(|e| {
            tracing::warn!(error = %e, "client.* overrides rejected; using the official profile");
            official
        });
        let up = upstream.clone();
        let fetch: FeedFetch = Box::new(move |url: &str| {
            let up = up.clone();
            let url = url.to_owned();
            Box::pin(async move {
                let fetched = tokio::time::timeout(Duration::from_secs(30), up.get_url(&url)).await;
                match fetched {
                    Ok(Ok(resp)) => Ok(resp.body.to_vec()),
                    Ok(Err(e)) => Err(e.label().to_owned()),
                    Err(_) => Err("timeout".to_owned()),
                }
            })
        });
        let pinned = cfg.app_version.is_some();
        let (handle, updater) =
            match Updater::new(base.clone(), pinned, data_dir, cfg.feed_url.clone(), fetch) {
                Ok(u) => {
                    let u = u.with_interval(cfg.check_interval);
                    (u.handle(), Some(u))
                }
                Err(e) => {
                    tracing::warn!(error = %e, "fingerprint updater state unusable; updater off");
                    (ProfileHandle::new(base), None)
                }
            };
        let current = handle.current();
        let converted = Arc::new(convert(&current));
        ProfileSlot {
            handle,
            cache: Mutex::new((current, converted)),
            updater: Mutex::new(updater),
            auto_update: cfg.auto_update,
        }
    }

    /// The profile in force now, in the upstream crate's form.
    pub fn upstream_profile(&self) -> Arc<codex_proxy_upstream::ClientProfile> {
        let current = self.handle.current();
        let mut cache = self.cache.lock().unwrap_or_else(PoisonError::into_inner);
        if !Arc::ptr_eq(&cache.0, &current) {
            let converted = Arc::new(convert(&current));
            *cache = (current, converted);
        }
        cache.1.clone()
    }
}

fn convert(p: &ClientProfile) -> codex_proxy_upstream::ClientProfile {
    codex_proxy_upstream::ClientProfile {
        originator: p.originator().to_owned(),
        version: p.app_version().to_owned(),
        user_agent: p.user_agent(),
        startup_user_agent: p.startup_user_agent(),
    }
}

/// The updater loop: checks when due (at once on first start), then sleeps until the next
/// check or `stop`. Does nothing unless `update.auto_update` is on.
pub(crate) async fn run_updater(slot: Arc<crate::state::AppState>, stop: CancellationToken) {
    let slot = &slot.transport;
    let profile = slot.profile();
    if !profile.auto_update {
        return;
    }
    let Some(mut updater) = profile
        .updater
        .lock()
        .unwrap_or_else(PoisonError::into_inner)
        .take()
    else {
        return;
    };
    loop {
        let now = SystemTime::now();
        if updater.due(now) {
            match updater.check(now).await {
                Ok(CheckOutcome::Updated { from, to }) => tracing::info!(
                    from,
                    to = to.version,
                    build = to.build_number,
                    "client profile updated from the appcast"
                ),
                Ok(CheckOutcome::Pinned(release)) => tracing::info!(
                    latest = release.version,
                    "newer client version available; client.app_version pins the current one"
                ),
                Ok(CheckOutcome::UpToDate) => tracing::debug!("client profile up to date"),
                Err(e) => tracing::warn!(error = %e, "fingerprint update check failed"),
            }
        }
        let wait = updater
            .next_check_at(SystemTime::now())
            .duration_since(SystemTime::now())
            .unwrap_or(Duration::from_secs(1))
            .max(Duration::from_secs(1));
        tokio::select! {
            () = stop.cancelled() => return,
            () = tokio::time::sleep(wait) => {}
        }
    }
}
