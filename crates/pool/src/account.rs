//! Account records: ids, status, usage counters, secrets, and the public summary.

use std::fmt;
use std::time::{Duration, SystemTime};

use serde::{Deserialize, Serialize};
use sha2::{Digest as _, Sha256};

/// Our stable id for an account.
///
/// Derived from the ChatGPT account id and user id (team members share the account id but
/// differ in user id, so they are separate accounts), or a random uuid for accounts added
/// with only a refresh token.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(transparent)]
pub struct AccountId(String);

impl AccountId {
    /// `acct_` + 16 hex chars of `sha256(chatgpt_account_id ‖ 0 ‖ user_id)`.
    pub fn derive(chatgpt_account_id: &str, user_id: Option<&str>) -> AccountId {
        let mut h = Sha256::new();
        h.update(chatgpt_account_id.as_bytes());
        h.update([0]);
        h.update(user_id.unwrap_or("").as_bytes());
        let digest = h.finalize();
        let mut s = String::with_capacity(21);
        s.push_str("acct_");
        for b in &digest[..8] {
            s.push_str(&format!("{b:02x}"));
        }
        AccountId(s)
    }

    /// A random id (`acct_` + uuid v4 hex).
    pub fn random() -> AccountId {
        AccountId(format!("acct_{}", uuid::Uuid::new_v4().simple()))
    }

    /// Wraps an id string received from a client (e.g. an admin route path).
    pub fn from_string(id: impl Into<String>) -> AccountId {
        AccountId(id.into())
    }

    /// The id as text.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for AccountId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// Lifecycle state of an account.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AccountStatus {
    /// Usable.
    Active,
    /// Credentials are dead (terminal refresh failure, 401 without refresh token): log in again.
    Expired,
    /// Upstream says the account is banned or deactivated.
    Banned,
    /// Turned off by the user.
    Disabled,
    /// Active, but rate limited until `rate_limited_until`.
    RateLimited,
    /// Upstream said the quota is exhausted (402): skipped until `rate_limited_until`, or
    /// until new tokens or a re-enable when no reset time is known.
    QuotaExhausted,
    /// A token refresh is in flight (shown in summaries only; never stored).
    Refreshing,
}

impl AccountStatus {
    /// The snake_case name (`active`, `rate_limited`, …).
    pub fn as_str(self) -> &'static str {
        match self {
            AccountStatus::Active => "active",
            AccountStatus::Expired => "expired",
            AccountStatus::Banned => "banned",
            AccountStatus::Disabled => "disabled",
            AccountStatus::RateLimited => "rate_limited",
            AccountStatus::QuotaExhausted => "quota_exhausted",
            AccountStatus::Refreshing => "refreshing",
        }
    }
}

/// Usage counters kept per account.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct Usage {
    /// Successful requests.
    pub request_count: u64,
    /// Input tokens.
    pub input_tokens: u64,
    /// Output tokens.
    pub output_tokens: u64,
    /// Cached input tokens.
    pub cached_tokens: u64,
    /// Last successful use, Unix seconds.
    pub last_used: Option<u64>,
}

/// Token usage of one request, reported through [`crate::Outcome::Success`].
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct UsageDelta {
    /// Input tokens.
    pub input_tokens: u64,
    /// Output tokens.
    pub output_tokens: u64,
    /// Cached input tokens (part of `input_tokens`).
    pub cached_tokens: u64,
}

/// A public, secret-free view of an account (for `GET /auth/accounts` and the CLI).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct AccountSummary {
    /// Our id.
    pub id: AccountId,
    /// User label.
    pub label: Option<String>,
    /// Email from the token.
    pub email: Option<String>,
    /// Plan type (`free`, `plus`, `pro`, `team`, …).
    pub plan: Option<String>,
    /// ChatGPT account id (`ChatGPT-Account-Id`).
    pub chatgpt_account_id: Option<String>,
    /// ChatGPT user id.
    pub user_id: Option<String>,
    /// Current status.
    pub status: AccountStatus,
    /// Why the account is expired/banned/disabled, if known.
    pub status_reason: Option<String>,
    /// Access-token expiry, Unix seconds.
    pub expires_at: Option<u64>,
    /// Rate limited until, Unix seconds.
    pub rate_limited_until: Option<u64>,
    /// Whether a refresh token is stored.
    pub has_refresh_token: bool,
    /// When the account was added, Unix seconds.
    pub added_at: u64,
    /// Usage counters.
    pub usage: Usage,
    /// The account's own upstream proxy with any password masked (`None`: the global one).
    pub proxy: Option<String>,
}

/// The secret part of an account; sealed on disk. `Debug` redacts.
#[derive(Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct Secrets {
    /// Stored cookies (only `cf_clearance`).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub(crate) cookies: Vec<StoredCookie>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) access_token: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) refresh_token: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) id_token: Option<String>,
    /// The account's own upstream proxy URL (may carry credentials, so it is sealed).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) proxy_url: Option<String>,
}

impl fmt::Debug for Secrets {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mark = |o: &Option<String>| if o.is_some() { "<redacted>" } else { "none" };
        f.debug_struct("Secrets")
            .field("access_token", &mark(&self.access_token))
            .field("refresh_token", &mark(&self.refresh_token))
            .field("id_token", &mark(&self.id_token))
            .field("cookies", &self.cookies.len())
            .finish()
    }
}

/// A stored cookie (name, value, expiry in Unix seconds).
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct StoredCookie {
    pub(crate) name: String,
    pub(crate) value: String,
    #[serde(default)]
    pub(crate) expires: Option<u64>,
}

/// One account as kept in memory (the stored record plus its decrypted secrets).
#[derive(Debug, Clone)]
pub(crate) struct Account {
    pub(crate) meta: AccountMeta,
    pub(crate) secrets: Secrets,
    /// In-memory lease order for least-recently-used selection (not persisted).
    pub(crate) lease_seq: u64,
    /// In-memory state that does not survive a restart.
    pub(crate) rt: Runtime,
}

/// Per-account state kept in memory only.
#[derive(Debug, Clone, Default)]
pub(crate) struct Runtime {
    /// A refresh is in flight.
    pub(crate) refreshing: bool,
    /// Skip the account until then (Cloudflare ladder, overload backoff).
    pub(crate) cooldown_until: Option<SystemTime>,
    /// Cloudflare challenges in the current streak.
    pub(crate) cf_strikes: u32,
    /// When the last Cloudflare challenge was seen.
    pub(crate) cf_last: Option<SystemTime>,
    /// Consecutive transient refresh failures.
    pub(crate) refresh_failures: u32,
    /// Do not try the scheduled refresh before then (backoff after a transient failure).
    pub(crate) refresh_retry_at: Option<SystemTime>,
    /// When tokens were last obtained from the token endpoint (refresh or login).
    pub(crate) token_exchanged_at: Option<SystemTime>,
    /// The backend rejected the access token (401) since the last refresh: the next refresh
    /// is an `unauthorized_recovery`.
    pub(crate) unauthorized: bool,
}

/// The non-secret fields of a stored account.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub(crate) struct AccountMeta {
    pub(crate) id: AccountId,
    pub(crate) installation_id: String,
    #[serde(default)]
    pub(crate) label: Option<String>,
    #[serde(default)]
    pub(crate) email: Option<String>,
    #[serde(default)]
    pub(crate) plan: Option<String>,
    #[serde(default)]
    pub(crate) chatgpt_account_id: Option<String>,
    #[serde(default)]
    pub(crate) user_id: Option<String>,
    pub(crate) status: AccountStatus,
    #[serde(default)]
    pub(crate) status_reason: Option<String>,
    /// Access-token expiry, Unix seconds.
    #[serde(default)]
    pub(crate) expires_at: Option<u64>,
    #[serde(default)]
    pub(crate) rate_limited_until: Option<u64>,
    pub(crate) added_at: u64,
    /// Insertion order (candidates are considered in this order).
    #[serde(default)]
    pub(crate) order: u64,
    #[serde(default)]
    pub(crate) usage: Usage,
    /// Last known quota windows.
    #[serde(default)]
    pub(crate) quota: Option<crate::quota::QuotaSnapshot>,
    /// Models the backend lists for this account (`None` = not fetched yet).
    #[serde(default)]
    pub(crate) models: Option<Vec<String>>,
}

impl Account {
    pub(crate) fn summary(&self) -> AccountSummary {
        let m = &self.meta;
        AccountSummary {
            id: m.id.clone(),
            label: m.label.clone(),
            email: m.email.clone(),
            plan: m.plan.clone(),
            chatgpt_account_id: m.chatgpt_account_id.clone(),
            user_id: m.user_id.clone(),
            status: if self.rt.refreshing && m.status == AccountStatus::Active {
                AccountStatus::Refreshing
            } else {
                m.status
            },
            status_reason: m.status_reason.clone(),
            expires_at: m.expires_at,
            rate_limited_until: m.rate_limited_until,
            has_refresh_token: self.secrets.refresh_token.is_some(),
            added_at: m.added_at,
            usage: m.usage.clone(),
            proxy: self
                .secrets
                .proxy_url
                .as_deref()
                .map(crate::pool::proxy::mask_proxy_url),
        }
    }

    /// The access token is missing or expires within `margin` of `now`.
    pub(crate) fn needs_refresh(&self, now: SystemTime, margin: Duration) -> bool {
        if self.secrets.access_token.is_none() {
            return true;
        }
        match self.meta.expires_at {
            Some(exp) => unix_secs(now + margin) >= exp,
            None => false,
        }
    }

    /// The access token is unusable as is (missing or past `exp`).
    pub(crate) fn access_unusable(&self, now: SystemTime) -> bool {
        self.needs_refresh(now, Duration::ZERO)
    }
}

/// Unix seconds of a `SystemTime` (0 before the epoch).
pub(crate) fn unix_secs(t: SystemTime) -> u64 {
    t.duration_since(SystemTime::UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0)
}

/// The `SystemTime` of Unix seconds.
pub(crate) fn from_unix(secs: u64) -> SystemTime {
    SystemTime::UNIX_EPOCH + Duration::from_secs(secs)
}
