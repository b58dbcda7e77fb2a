//! OAuth over the upstream client: [`UpstreamOAuth`] implements the pool's
//! [`OAuthTransport`] with `Upstream::post_form` / `post_json` (so OAuth calls use the same
//! TLS stack and proxy as model calls), and `GatewayRefresher` is the pool's refresher: the
//! pool's [`OAuthRefresher`] over it, sending the official client's refresh body (no `scope`,
//! `refresh_reason` per trigger) through the refreshed account's own proxy.

use codex_proxy_pool::TransportError;
use codex_proxy_pool::oauth::{BoxFuture, HttpReply, OAuthConfig, OAuthRefresher, OAuthTransport};
use codex_proxy_pool::{AccountId, Pool, RefreshError, RefreshReason, Refresher, TokenSet};
use codex_proxy_upstream::{BufferedResponse, Proxy, Upstream, UpstreamError};

use crate::config::AuthConfig;

/// The pool's refresher as the gateway uses it: each refresh goes through the account's proxy
/// (else `tls.proxy_url`), like its model calls.
pub(crate) struct GatewayRefresher {
    oauth: OAuthConfig,
    upstream: Upstream,
    pool: Pool,
}

impl std::fmt::Debug for GatewayRefresher {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("GatewayRefresher").finish_non_exhaustive()
    }
}

impl GatewayRefresher {
    /// The upstream view for `account`'s refresh: its proxy when it has a usable one.
    fn upstream_for(&self, account: &AccountId) -> Upstream {
        let Some(url) = self.pool.account_proxy(account) else {
            return self.upstream.clone();
        };
        match Proxy::parse(&url) {
            Ok(proxy) => self.upstream.with_proxy(Some(proxy)),
            Err(e) => {
                tracing::warn!(
                    account = %account.as_str(),
                    error = e.label(),
                    "account proxy does not parse; refreshing through the global proxy"
                );
                self.upstream.clone()
            }
        }
    }
}

impl Refresher for GatewayRefresher {
    fn refresh<'a>(
        &'a self,
        refresh_token: &'a str,
    ) -> BoxFuture<'a, Result<TokenSet, RefreshError>> {
        Box::pin(async move {
            let oauth = OAuthRefresher::new(&self.oauth, UpstreamOAuth::new(self.upstream.clone()));
            oauth.refresh(refresh_token).await
        })
    }

    fn refresh_for<'a>(
        &'a self,
        account: &'a AccountId,
        refresh_token: &'a str,
        reason: RefreshReason,
    ) -> BoxFuture<'a, Result<TokenSet, RefreshError>> {
        Box::pin(async move {
            let transport = UpstreamOAuth::new(self.upstream_for(account));
            let oauth = OAuthRefresher::new(&self.oauth, transport).with_reason(reason);
            oauth.refresh(refresh_token).await
        })
    }
}

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
pub(crate) fn refresher(upstream: &Upstream, auth: &AuthConfig, pool: &Pool) -> GatewayRefresher {
    GatewayRefresher {
        oauth: oauth_config(auth),
        upstream: upstream.clone(),
        pool: pool.clone(),
    }
}
