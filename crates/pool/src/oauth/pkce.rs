//! The browser login: authorization code with PKCE (S256), as the official client builds it.

use std::fmt;
use std::time::{Duration, SystemTime};

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use sha2::{Digest as _, Sha256};

use super::{OAuthConfig, OAuthTransport, form, parse_token_response};
use crate::error::LoginError;
use crate::pool::TokenSet;

/// Starts browser logins (see [`PkceLogin::start`]).
#[derive(Debug, Clone, Copy)]
pub struct PkceLogin;

impl PkceLogin {
    /// A new login: the authorize URL to open and the state to keep until the callback.
    /// The verifier is 64 random bytes and the state 32, both base64url, as the official
    /// client makes them.
    pub fn start(
        cfg: &OAuthConfig,
        rng: &mut impl rand::RngCore,
        now: SystemTime,
    ) -> (String, LoginState) {
        let mut verifier = [0u8; 64];
        rng.fill_bytes(&mut verifier);
        let mut state = [0u8; 32];
        rng.fill_bytes(&mut state);
        Self::from_parts(
            cfg,
            URL_SAFE_NO_PAD.encode(state),
            URL_SAFE_NO_PAD.encode(verifier),
            now,
        )
    }

    /// [`PkceLogin::start`] with the thread's random generator.
    pub fn start_random(cfg: &OAuthConfig, now: SystemTime) -> (String, LoginState) {
        Self::start(cfg, &mut rand::rng(), now)
    }

    /// A login with a given state and verifier (deterministic; for tests and replays).
    pub fn from_parts(
        cfg: &OAuthConfig,
        state: String,
        verifier: String,
        now: SystemTime,
    ) -> (String, LoginState) {
        let challenge = URL_SAFE_NO_PAD.encode(Sha256::digest(verifier.as_bytes()));
        let query = form::encode(&[
            ("response_type", "code"),
            ("client_id", cfg.client_id.as_str()),
            ("redirect_uri", cfg.redirect_uri.as_str()),
            ("code_challenge", challenge.as_str()),
            ("code_challenge_method", "S256"),
            ("state", state.as_str()),
            ("scope", cfg.scope.as_str()),
            ("id_token_add_organizations", "true"),
            ("codex_cli_simplified_flow", "true"),
            ("originator", cfg.originator.as_str()),
        ]);
        let url = format!("{}?{query}", cfg.authorize_endpoint());
        let login = LoginState {
            state,
            verifier,
            client_id: cfg.client_id.clone(),
            redirect_uri: cfg.redirect_uri.clone(),
            token_url: cfg.token_endpoint(),
            created_at: now,
            ttl: cfg.login_ttl,
        };
        (url, login)
    }
}

/// A pending browser login. `Debug` redacts the verifier.
#[derive(Clone, PartialEq, Eq)]
pub struct LoginState {
    state: String,
    verifier: String,
    client_id: String,
    redirect_uri: String,
    token_url: String,
    created_at: SystemTime,
    ttl: Duration,
}

impl fmt::Debug for LoginState {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("LoginState")
            .field("state", &self.state)
            .field("verifier", &"<redacted>")
            .field("redirect_uri", &self.redirect_uri)
            .field("created_at", &self.created_at)
            .finish_non_exhaustive()
    }
}

/// The authorization code from a callback. `Debug` redacts.
#[derive(Clone, PartialEq, Eq)]
pub struct AuthCode(String);

impl AuthCode {
    /// The code (a secret).
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for AuthCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("AuthCode(<redacted>)")
    }
}

impl LoginState {
    /// The `state` parameter.
    pub fn state(&self) -> &str {
        &self.state
    }

    /// The PKCE verifier (a secret).
    pub fn verifier(&self) -> &str {
        &self.verifier
    }

    /// When the login started.
    pub fn created_at(&self) -> SystemTime {
        self.created_at
    }

    /// The state is older than `login_ttl`.
    pub fn is_expired(&self, now: SystemTime) -> bool {
        self.created_at + self.ttl <= now
    }

    /// Checks a callback: the full redirect URL the user pasted
    /// (`http://127.0.0.1:1455/auth/callback?code=…&state=…`), or just its query. Errors in
    /// order: [`LoginError::Expired`], [`LoginError::Denied`] (`error=access_denied` or any
    /// `error`), [`LoginError::MissingState`], [`LoginError::StateMismatch`],
    /// [`LoginError::MissingCode`].
    pub fn check_callback(
        &self,
        url_or_query: &str,
        now: SystemTime,
    ) -> Result<AuthCode, LoginError> {
        if self.is_expired(now) {
            return Err(LoginError::Expired);
        }
        let params = callback_params(url_or_query);
        let get = |k: &str| {
            params
                .iter()
                .find(|(key, v)| key == k && !v.trim().is_empty())
                .map(|(_, v)| v.trim().to_owned())
        };
        if let Some(error) = get("error") {
            return Err(LoginError::Denied {
                error,
                description: get("error_description"),
            });
        }
        let state = get("state").ok_or(LoginError::MissingState)?;
        if !crate::keys::constant_time_eq(state.as_bytes(), self.state.as_bytes()) {
            return Err(LoginError::StateMismatch);
        }
        get("code").map(AuthCode).ok_or(LoginError::MissingCode)
    }

    /// The code-exchange form, in the official client's order:
    /// `grant_type=authorization_code, client_id, code, redirect_uri, code_verifier`.
    pub fn exchange_form(&self, code: &AuthCode) -> Vec<(&'static str, String)> {
        vec![
            ("grant_type", "authorization_code".to_owned()),
            ("client_id", self.client_id.clone()),
            ("code", code.0.clone()),
            ("redirect_uri", self.redirect_uri.clone()),
            ("code_verifier", self.verifier.clone()),
        ]
    }

    /// POSTs the code exchange to the token endpoint through `transport` and returns the
    /// tokens (then call [`crate::Pool::complete_login`]).
    pub async fn exchange(
        &self,
        transport: &dyn OAuthTransport,
        code: &AuthCode,
    ) -> Result<TokenSet, LoginError> {
        exchange_code(transport, &self.token_url, &self.exchange_form(code)).await
    }
}

/// POSTs a code-exchange form and reads the answer.
pub(super) async fn exchange_code(
    transport: &dyn OAuthTransport,
    token_url: &str,
    form: &[(&str, String)],
) -> Result<TokenSet, LoginError> {
    let reply = transport
        .post_form(token_url, form)
        .await
        .map_err(|e| LoginError::Transport(e.to_string()))?;
    parse_token_response(reply.status, &reply.body).map_err(LoginError::from_exchange)
}

/// The query parameters of a pasted callback URL or query string (fragment dropped).
pub(super) fn callback_params(input: &str) -> Vec<(String, String)> {
    let input = input.trim();
    let input = input.split_once('#').map_or(input, |(a, _)| a);
    let query = match input.split_once('?') {
        Some((_, q)) => q,
        None => input,
    };
    form::decode(query)
}
