//! Configuration of a mock server instance.

use std::path::PathBuf;
use std::time::Duration;

/// Model slugs the fake backend serves (and accepts in `model`) by default.
pub const DEFAULT_MODELS: &[&str] = &[
    "gpt-5.5",
    "gpt-5.4",
    "gpt-5.4-mini",
    "gpt-5.3-codex",
    "gpt-5.3-codex-spark",
    "gpt-5.2",
    "gpt-5.2-codex",
    "gpt-5.1-codex-max",
    "gpt-5.1-codex-mini",
    "gpt-6.1-sol",
];

/// How a [`crate::MockServer`] behaves. `Default` is "fast, strict, nothing recorded to disk".
#[derive(Debug, Clone)]
pub struct MockConfig {
    /// Delay before the response head of `/codex/responses` (time to first byte).
    pub ttfb: Duration,
    /// Delay between SSE events.
    pub delay: Duration,
    /// Serve the `.sse` files of this directory verbatim instead of the echo model.
    pub replay_dir: Option<PathBuf>,
    /// Append every request as a JSON line to this file (authorization redacted).
    pub record: Option<PathBuf>,
    /// How many recent requests [`crate::MockServer::requests`] keeps (0 = none, fastest).
    pub keep_requests: usize,
    /// Accepted model slugs (also the `/codex/models` catalog).
    pub models: Vec<String>,
    /// Lifetime of access tokens issued by the fake OAuth server.
    pub token_ttl: Duration,
    /// Whether `/oauth/token` accepts a refresh token it never issued (once; then it rotates).
    pub accept_unknown_refresh_tokens: bool,
    /// A `set-cookie` value added to every `/backend-api/…` answer (cookie-jar tests), e.g.
    /// `cf_clearance=abc; Max-Age=3600; Path=/`.
    pub set_cookie: Option<String>,
    /// `account_routing_override` answered by `/wham/accounts/check` (default `NO_CONSTRAINT`).
    pub routing_override: Option<String>,
    /// Body of `GET /__mock/appcast` (a Sparkle feed for updater tests); 404 when `None`.
    pub appcast: Option<String>,
}

impl Default for MockConfig {
    fn default() -> Self {
        MockConfig {
            ttfb: Duration::ZERO,
            delay: Duration::ZERO,
            replay_dir: None,
            record: None,
            keep_requests: 256,
            models: DEFAULT_MODELS.iter().map(|s| (*s).to_owned()).collect(),
            token_ttl: Duration::from_secs(864_000),
            accept_unknown_refresh_tokens: true,
            set_cookie: None,
            routing_override: None,
            appcast: None,
        }
    }
}
