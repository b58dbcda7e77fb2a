//! [`OAuthRefresher`]: the pool's [`Refresher`], a `refresh_token` grant POSTed as JSON to
//! `auth.oauth_token_endpoint` with `auth.oauth_client_id`, as the official client does.

use std::future::Future;
use std::pin::Pin;

use codex_proxy_pool::{RefreshError, Refresher, TokenSet};
use codex_proxy_upstream::Upstream;
use serde::Deserialize;

use crate::config::AuthConfig;

/// Refreshes access tokens through the upstream client.
#[derive(Clone)]
pub(crate) struct OAuthRefresher {
    upstream: Upstream,
    client_id: String,
    token_endpoint: String,
}

impl std::fmt::Debug for OAuthRefresher {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("OAuthRefresher")
            .field("token_endpoint", &self.token_endpoint)
            .finish_non_exhaustive()
    }
}

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

impl OAuthRefresher {
    pub fn new(upstream: Upstream, auth: &AuthConfig) -> Self {
        Self {
            upstream,
            client_id: auth.oauth_client_id.clone(),
            token_endpoint: auth.oauth_token_endpoint.clone(),
        }
    }

    async fn refresh_inner(&self, refresh_token: &str) -> Result<TokenSet, RefreshError> {
        let body = serde_json::json!({
            "client_id": self.client_id,
            "grant_type": "refresh_token",
            "refresh_token": refresh_token,
            "scope": "openid profile email",
        });
        let body = serde_json::to_vec(&body)
            .map_err(|_| RefreshError::Transport("cannot encode request".to_owned()))?;
        let resp = match self
            .upstream
            .post_json(&self.token_endpoint, body.into())
            .await
        {
            Ok(resp) => resp,
            Err(e) => {
                return Err(match (e.status(), e.body()) {
                    (Some(status), Some(body)) => RefreshError::rejected(status, body),
                    _ => RefreshError::Transport(e.label().to_owned()),
                });
            }
        };
        let parsed: TokenResponse = serde_json::from_slice(&resp.body).map_err(|_| {
            RefreshError::Transport("token endpoint answered without an access_token".to_owned())
        })?;
        Ok(TokenSet {
            access_token: parsed.access_token,
            refresh_token: parsed.refresh_token,
            id_token: parsed.id_token,
            expires_in: parsed.expires_in,
        })
    }
}

impl Refresher for OAuthRefresher {
    fn refresh<'a>(
        &'a self,
        refresh_token: &'a str,
    ) -> Pin<Box<dyn Future<Output = Result<TokenSet, RefreshError>> + Send + 'a>> {
        Box::pin(self.refresh_inner(refresh_token))
    }
}
