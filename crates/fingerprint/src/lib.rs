//! codex-proxy-fingerprint: who the gateway says it is upstream, as data.
//!
//! It holds [`ClientProfile`] (originator, version, build, platform, arch, user-agent
//! templates, header order) loaded from `config/fingerprint.yaml`, with the captured official
//! Codex CLI 0.169.0 profile as the default ([`ClientProfile::official`]); the pure update-feed
//! parser [`parse_appcast`] (Sparkle appcast → version + build number); and the [`Updater`],
//! which polls a feed through a fetch function the caller supplies, persists the new version in
//! the data dir and swaps the live profile behind a [`ProfileHandle`].
//!
//! It does no network I/O and spawns nothing: the gateway passes a fetch function (an upstream
//! GET), drives the schedule (`Updater::due` / `Updater::check` with an explicit `now`) and
//! converts the profile into `codex_proxy_upstream::ClientProfile` (the upstream crate does not
//! depend on this one). Start reading at `profile.rs`, then `feed.rs` and `updater.rs`.

mod error;
mod feed;
mod profile;
mod updater;

pub use error::FingerprintError;
pub use feed::{FeedRelease, parse_appcast};
pub use profile::{ClientOverrides, ClientProfile, OFFICIAL_PROFILE_YAML};
pub use updater::{CheckOutcome, DEFAULT_INTERVAL, ProfileHandle, STATE_FILE, Updater};
