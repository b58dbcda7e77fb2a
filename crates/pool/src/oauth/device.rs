//! The device-code login of the official client (`codex login --device-auth`): a user code
//! shown at `{issuer}/codex/device`, polled until authorized, then a normal code exchange
//! with the redirect URI `{issuer}/deviceauth/callback`.

use std::fmt;
use std::time::{Duration, SystemTime};

use serde::Deserialize;

use super::pkce::exchange_code;
use super::{OAuthConfig, OAuthTransport};
use crate::error::LoginError;
use crate::pool::TokenSet;

/// How long a user code lives when the server does not say (the CLI prints 15 minutes).
const DEFAULT_EXPIRY: Duration = Duration::from_secs(15 * 60);
/// Poll interval when the server does not say.
const DEFAULT_INTERVAL: Duration = Duration::from_secs(5);

/// A started device login: show [`DeviceCode::user_code`] and
/// [`DeviceCode::verification_url`], then poll.
#[derive(Clone, PartialEq, Eq)]
pub struct DeviceCode {
    device_auth_id: String,
    user_code: String,
    interval: Duration,
    expires_at: SystemTime,
    verification_url: String,
    poll_url: String,
    token_url: String,
    client_id: String,
    redirect_uri: String,
}

impl fmt::Debug for DeviceCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("DeviceCode")
            .field("user_code", &self.user_code)
            .field("interval", &self.interval)
            .field("expires_at", &self.expires_at)
            .field("verification_url", &self.verification_url)
            .finish_non_exhaustive()
    }
}

/// One poll's result.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DevicePoll {
    /// The user has not finished yet (403/404): poll again after the interval.
    Pending,
    /// Authorized: exchange the grant for tokens.
    Authorized(DeviceGrant),
}

/// The code and verifier the device endpoint returns once authorized. `Debug` redacts.
#[derive(Clone, PartialEq, Eq)]
pub struct DeviceGrant {
    authorization_code: String,
    code_verifier: String,
}

impl fmt::Debug for DeviceGrant {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("DeviceGrant(<redacted>)")
    }
}

#[derive(Deserialize)]
struct UserCodeResponse {
    device_auth_id: String,
    #[serde(alias = "usercode")]
    user_code: String,
    #[serde(default)]
    interval: Option<serde_json::Value>,
    #[serde(default)]
    expires_in: Option<serde_json::Value>,
}

#[derive(Deserialize)]
struct TokenPollResponse {
    authorization_code: String,
    code_verifier: String,
}

impl DeviceCode {
    /// The user-code request: `POST {issuer}/api/accounts/deviceauth/usercode` with JSON
    /// `{"client_id":…}`.
    pub fn usercode_request(cfg: &OAuthConfig) -> (String, Vec<u8>) {
        let body = serde_json::json!({ "client_id": cfg.client_id }).to_string();
        (
            format!("{}/api/accounts/deviceauth/usercode", cfg.issuer_base()),
            body.into_bytes(),
        )
    }

    /// Reads the user-code answer `{device_auth_id, user_code, interval: "5", expires_in?}`.
    pub fn from_response(
        cfg: &OAuthConfig,
        status: u16,
        body: &[u8],
        now: SystemTime,
    ) -> Result<DeviceCode, LoginError> {
        if !(200..300).contains(&status) {
            return Err(LoginError::DeviceRejected { status });
        }
        let r: UserCodeResponse = serde_json::from_slice(body)
            .map_err(|_| LoginError::InvalidResponse("device user-code answer"))?;
        let base = cfg.issuer_base();
        Ok(DeviceCode {
            device_auth_id: r.device_auth_id,
            user_code: r.user_code,
            interval: seconds(r.interval.as_ref())
                .filter(|d| !d.is_zero())
                .unwrap_or(DEFAULT_INTERVAL),
            expires_at: now + seconds(r.expires_in.as_ref()).unwrap_or(DEFAULT_EXPIRY),
            verification_url: format!("{base}/codex/device"),
            poll_url: format!("{base}/api/accounts/deviceauth/token"),
            token_url: cfg.token_endpoint(),
            client_id: cfg.client_id.clone(),
            redirect_uri: format!("{base}/deviceauth/callback"),
        })
    }

    /// Requests a user code through `transport`.
    pub async fn start(
        cfg: &OAuthConfig,
        transport: &dyn OAuthTransport,
        now: SystemTime,
    ) -> Result<DeviceCode, LoginError> {
        let (url, body) = Self::usercode_request(cfg);
        let reply = transport
            .post_json(&url, &body)
            .await
            .map_err(|e| LoginError::Transport(e.to_string()))?;
        Self::from_response(cfg, reply.status, &reply.body, now)
    }

    /// The code the user types.
    pub fn user_code(&self) -> &str {
        &self.user_code
    }

    /// Where the user types it (`https://auth.openai.com/codex/device`).
    pub fn verification_url(&self) -> &str {
        &self.verification_url
    }

    /// How long to wait between polls.
    pub fn interval(&self) -> Duration {
        self.interval
    }

    /// When the user code expires.
    pub fn expires_at(&self) -> SystemTime {
        self.expires_at
    }

    /// The poll request: `POST {issuer}/api/accounts/deviceauth/token` with JSON
    /// `{"device_auth_id":…,"user_code":…}`.
    pub fn poll_request(&self) -> (String, Vec<u8>) {
        let body = serde_json::json!({
            "device_auth_id": self.device_auth_id,
            "user_code": self.user_code,
        })
        .to_string();
        (self.poll_url.clone(), body.into_bytes())
    }

    /// Reads a poll answer: 403/404 pending, 2xx with `{authorization_code, code_verifier}`
    /// authorized; after `expires_at` [`LoginError::Expired`].
    pub fn poll_response(
        &self,
        status: u16,
        body: &[u8],
        now: SystemTime,
    ) -> Result<DevicePoll, LoginError> {
        match status {
            200..=299 => {
                let r: TokenPollResponse = serde_json::from_slice(body)
                    .map_err(|_| LoginError::InvalidResponse("device token answer"))?;
                Ok(DevicePoll::Authorized(DeviceGrant {
                    authorization_code: r.authorization_code,
                    code_verifier: r.code_verifier,
                }))
            }
            403 | 404 if now < self.expires_at => Ok(DevicePoll::Pending),
            403 | 404 => Err(LoginError::Expired),
            status => Err(LoginError::DeviceRejected { status }),
        }
    }

    /// Polls once through `transport`.
    pub async fn poll(
        &self,
        transport: &dyn OAuthTransport,
        now: SystemTime,
    ) -> Result<DevicePoll, LoginError> {
        let (url, body) = self.poll_request();
        let reply = transport
            .post_json(&url, &body)
            .await
            .map_err(|e| LoginError::Transport(e.to_string()))?;
        self.poll_response(reply.status, &reply.body, now)
    }

    /// The code-exchange form for an authorized grant (redirect URI
    /// `{issuer}/deviceauth/callback`, no token exchange for an API key afterwards).
    pub fn exchange_form(&self, grant: &DeviceGrant) -> Vec<(&'static str, String)> {
        vec![
            ("grant_type", "authorization_code".to_owned()),
            ("client_id", self.client_id.clone()),
            ("code", grant.authorization_code.clone()),
            ("redirect_uri", self.redirect_uri.clone()),
            ("code_verifier", grant.code_verifier.clone()),
        ]
    }

    /// Polls every `interval` (with `tokio::time`) until authorized or expired, then
    /// exchanges the grant. `now` is the time of the first poll.
    pub async fn wait(
        &self,
        transport: &dyn OAuthTransport,
        now: SystemTime,
    ) -> Result<TokenSet, LoginError> {
        let start = tokio::time::Instant::now();
        loop {
            let at = now + start.elapsed();
            if at >= self.expires_at {
                return Err(LoginError::Expired);
            }
            match self.poll(transport, at).await? {
                DevicePoll::Pending => tokio::time::sleep(self.interval).await,
                DevicePoll::Authorized(grant) => {
                    return exchange_code(transport, &self.token_url, &self.exchange_form(&grant))
                        .await;
                }
            }
        }
    }
}

/// Seconds given as a number or a numeric string (`"interval":"5"`).
fn seconds(v: Option<&serde_json::Value>) -> Option<Duration> {
    let v = v?;
    let n = v
        .as_u64()
        .or_else(|| v.as_str().and_then(|s| s.trim().parse().ok()))?;
    Some(Duration::from_secs(n))
}
