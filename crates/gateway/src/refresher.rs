//! OAuth over the upstream client: [`UpstreamOAuth`] implements the pool's
//! [`OAuthTransport`] with `Upstream::post_form` / `post_json` (so OAuth calls use the same
//! TLS stack and proxy as model calls), and [`GatewayRefresher`] is the pool's
//! [`OAuthRefresher`] over it, sending the official client's refresh body (no `scope`).

use codex_proxy_pool::TransportError;
use codex_proxy_pool::oauth::{BoxFuture, HttpReply, OAuthConfig, OAuthRefresher, OAuthTransport};
use codex_proxy_upstream::{BufferedResponse, Upstream, UpstreamError};

use crate::config::AuthConfig;

/// The pool's refresher as the gateway uses it.
pub(crate) type GatewayRefresher = OAuthRefresher<UpstreamOAuth>;

/// OAuth HTTP calls through [`Upstream`]. Non-2xx answers are replies, not errors.
#[derive(Clone)]
pub struct UpstreamOAuth {
    upstream: Upstream,
}

impl std::fmt::Debug for UpstreamOAuth {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("UpstreamOAuth").finish_non_exhaustive()
    }
}

impl UpstreamOAuth {
    /// A transport over `upstream`.
    pub fn new(upstream: Upstream) -> Self {
        Self { upstream }
    }
}

fn reply(result: Result<BufferedResponse, UpstreamError>) -> Result<HttpReply, TransportError> {
    match result {
        Ok(resp) => Ok(HttpReply {
            status: resp.status,
            body: resp.body.to_vec(),
        }),
        Err(e) => match (e.status(), e.body()) {
            (Some(status), Some(body)) => Ok(HttpReply {
                status,
                body: body.to_vec(),
            }),
            _ => Err(TransportError(e.label().to_owned())),
        },
    }
}

impl OAuthTransport for UpstreamOAuth {
    fn post_form<'a>(
        &'a self,
        url: &'a str,
        form: &'a [(&'a str, String)],
    ) -> BoxFuture<'a, Result<HttpReply, TransportError>> {
        Box::pin(async move {
            let pairs: Vec<(&str, &str)> = form.iter().map(|(k, v)| (*k, v.as_str())).collect();
            reply(self.upstream.post_form(url, &pairs).await)
        })
    }

    fn post_json<'a>(
        &'a self,
        url: &'a str,
        body: &'a [u8],
    ) -> BoxFuture<'a, Result<HttpReply, TransportError>> {
        Box::pin(async move {
            reply(
                self.upstream
                    .post_json(url, bytes::Bytes::copy_from_slice(body))
                    .await,
            )
        })
    }
}

/// The pool's OAuth settings from `auth.*`: the issuer is the token endpoint without its
/// `/oauth/token` suffix; redirect URI, scopes and `originator` are the official client's.
pub fn oauth_config(auth: &AuthConfig) -> OAuthConfig {
    let token = auth.oauth_token_endpoint.trim_end_matches('/');
    let issuer = token.strip_suffix("/oauth/token").unwrap_or(token);
    OAuthConfig {
        issuer: issuer.to_owned(),
        client_id: auth.oauth_client_id.clone(),
        ..OAuthConfig::default()
    }
}

/// The refresher requests go through.
pub(crate) fn refresher(upstream: &Upstream, auth: &AuthConfig) -> GatewayRefresher {
    OAuthRefresher::new(&oauth_config(auth), UpstreamOAuth::new(upstream.clone()))
}
