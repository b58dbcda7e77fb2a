//! OAuth for ChatGPT accounts, as the official Codex CLI 0.169.0 does it: the browser
//! PKCE flow ([`PkceLogin`], [`LoginState`], [`PendingLogins`]), the device-code flow
//! ([`DeviceCode`]), the token endpoint's answers ([`parse_token_response`]) and a
//! [`crate::Refresher`] over an injected transport ([`OAuthRefresher`]).
//!
//! The requests are built as data; the HTTP calls go through an [`OAuthTransport`] the
//! caller implements (the gateway over `upstream`, tests over a fake). Nothing here binds a
//! port or opens a browser.

mod device;
pub mod form;
mod pending;
mod pkce;

use std::future::Future;
use std::pin::Pin;
use std::time::Duration;

use serde::{Deserialize, Serialize};

use crate::error::{RefreshError, TransportError};
use crate::pool::{Refresher, TokenSet};

pub use device::{DeviceCode, DeviceGrant, DevicePoll};
pub use pending::PendingLogins;
pub use pkce::{AuthCode, LoginState, PkceLogin};

/// The official client's OAuth client id.
pub const CLIENT_ID: &str = "app_EMoamEEZ73f0CkXaXp7hrann";

/// OAuth settings (`auth.oauth_*`). The defaults are the official client's values.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OAuthConfig {
    /// Issuer base URL, `https://auth.openai.com` (tests point it at a loopback fake).
    pub issuer: String,
    /// Client id.
    pub client_id: String,
    /// Browser-flow redirect URI. The 0.169.0 capture uses `http://127.0.0.1:1455/auth/callback`
    /// (its log says `localhost:1455`, the URI says `127.0.0.1`).
    pub redirect_uri: String,
    /// Scopes, space separated.
    pub scope: String,
    /// `originator` authorize parameter.
    pub originator: String,
    /// How long a browser login may take before its state expires.
    pub login_ttl: Duration,
}

impl Default for OAuthConfig {
    fn default() -> Self {
        OAuthConfig {
            issuer: "https://auth.openai.com".to_owned(),
            client_id: CLIENT_ID.to_owned(),
            redirect_uri: "http://127.0.0.1:1455/auth/callback".to_owned(),
            scope: "openid profile email offline_access api.connectors.read api.connectors.invoke"
                .to_owned(),
            originator: "codex_cli_rs".to_owned(),
            login_ttl: Duration::from_secs(300),
        }
    }
}

impl OAuthConfig {
    /// `{issuer}/oauth/authorize`.
    pub fn authorize_endpoint(&self) -> String {
        format!("{}/oauth/authorize", self.issuer_base())
    }

    /// `{issuer}/oauth/token` (code exchange and refresh).
    pub fn token_endpoint(&self) -> String {
        format!("{}/oauth/token", self.issuer_base())
    }

    fn issuer_base(&self) -> &str {
        self.issuer.trim_end_matches('/')
    }
}

/// A buffered HTTP answer from the OAuth server.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HttpReply {
    /// Status code.
    pub status: u16,
    /// Body bytes (may contain tokens: never log).
    pub body: Vec<u8>,
}

/// A boxed, sendable future (the transport's return type).
pub type BoxFuture<'a, T> = Pin<Box<dyn Future<Output = T> + Send + 'a>>;

/// The HTTP calls OAuth needs, implemented by the caller. Both POST to an absolute URL and
/// return the status and body of any answer (non-2xx is not an error here); only a failure
/// to get an answer is a [`TransportError`].
pub trait OAuthTransport: Send + Sync {
    /// POST `application/x-www-form-urlencoded` (encode with [`form::encode`]).
    fn post_form<'a>(
        &'a self,
        url: &'a str,
        form: &'a [(&'a str, String)],
    ) -> BoxFuture<'a, Result<HttpReply, TransportError>>;

    /// POST `application/json` with `body`.
    fn post_json<'a>(
        &'a self,
        url: &'a str,
        body: &'a [u8],
    ) -> BoxFuture<'a, Result<HttpReply, TransportError>>;
}

/// The token endpoint's JSON answer.
#[derive(Deserialize)]
struct TokenResponse {
    access_token: String,
    #[serde(default)]
    refresh_token: Option<String>,
    #[serde(default)]
    id_token: Option<String>,
    #[serde(default)]
    expires_in: Option<u64>,
}

/// Reads a token endpoint answer: 2xx with `access_token` → tokens; non-2xx →
/// [`RefreshError::Rejected`] with the OAuth error code; anything else → transport error.
pub fn parse_token_response(status: u16, body: &[u8]) -> Result<TokenSet, RefreshError> {
    if !(200..300).contains(&status) {
        return Err(RefreshError::rejected(status, body));
    }
    let r: TokenResponse = serde_json::from_slice(body)
        .map_err(|_| RefreshError::Transport("token response is not valid json".to_owned()))?;
    if r.access_token.trim().is_empty() {
        return Err(RefreshError::Transport(
            "token response has an empty access_token".to_owned(),
        ));
    }
    Ok(TokenSet {
        access_token: r.access_token,
        refresh_token: r.refresh_token.filter(|t| !t.trim().is_empty()),
        id_token: r.id_token.filter(|t| !t.trim().is_empty()),
        expires_in: r.expires_in,
    })
}

/// Why the official client refreshes (`refresh_reason` in the refresh body).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum RefreshReason {
    /// The access token is about to expire.
    ProactiveExpiry,
    /// Upstream answered 401.
    UnauthorizedRecovery,
}

/// The refresh request body exactly as the official client sends it:
/// `{"client_id":…,"grant_type":"refresh_token","refresh_reason":…,"refresh_token":…}`.
/// Contains the refresh token: never log it.
pub fn refresh_request_json(
    client_id: &str,
    refresh_token: &str,
    reason: RefreshReason,
) -> Vec<u8> {
    #[derive(Serialize)]
    struct Body<'a> {
        client_id: &'a str,
        grant_type: &'a str,
        refresh_reason: RefreshReason,
        refresh_token: &'a str,
    }
    // Serializing borrowed strings and a unit enum into a Vec cannot fail.
    serde_json::to_vec(&Body {
        client_id,
        grant_type: "refresh_token",
        refresh_reason: reason,
        refresh_token,
    })
    .unwrap_or_default()
}

/// A [`Refresher`] that POSTs the official JSON refresh body to the token endpoint through
/// an [`OAuthTransport`].
pub struct OAuthRefresher<T> {
    transport: T,
    token_url: String,
    client_id: String,
    reason: RefreshReason,
}

impl<T> OAuthRefresher<T> {
    /// A refresher for `cfg`'s token endpoint, sending `refresh_reason: proactive_expiry`.
    pub fn new(cfg: &OAuthConfig, transport: T) -> Self {
        OAuthRefresher {
            transport,
            token_url: cfg.token_endpoint(),
            client_id: cfg.client_id.clone(),
            reason: RefreshReason::ProactiveExpiry,
        }
    }

    /// The same refresher with another `refresh_reason`.
    pub fn with_reason(mut self, reason: RefreshReason) -> Self {
        self.reason = reason;
        self
    }
}

impl<T> std::fmt::Debug for OAuthRefresher<T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("OAuthRefresher")
            .field("token_url", &self.token_url)
            .field("reason", &self.reason)
            .finish_non_exhaustive()
    }
}

impl<T: OAuthTransport> Refresher for OAuthRefresher<T> {
    fn refresh<'a>(
        &'a self,
        refresh_token: &'a str,
    ) -> BoxFuture<'a, Result<TokenSet, RefreshError>> {
        Box::pin(async move {
            let body = refresh_request_json(&self.client_id, refresh_token, self.reason);
            let reply = self
                .transport
                .post_json(&self.token_url, &body)
                .await
                .map_err(|e| RefreshError::Transport(e.to_string()))?;
            parse_token_response(reply.status, &reply.body)
        })
    }

    fn refresh_for<'a>(
        &'a self,
        _account: &'a crate::AccountId,
        refresh_token: &'a str,
        reason: RefreshReason,
    ) -> BoxFuture<'a, Result<TokenSet, RefreshError>> {
        Box::pin(async move {
            let body = refresh_request_json(&self.client_id, refresh_token, reason);
            let reply = self
                .transport
                .post_json(&self.token_url, &body)
                .await
                .map_err(|e| RefreshError::Transport(e.to_string()))?;
            parse_token_response(reply.status, &reply.body)
        })
    }
}

#[cfg(test)]
mod tests;
