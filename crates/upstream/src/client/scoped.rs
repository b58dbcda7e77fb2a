//! Per-account views of [`Upstream`] (proxy, cookie), the accounts check, and the accessors
//! the WebSocket transport uses.

use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use http::{HeaderValue, Method};

use super::{Spec, Upstream};
use crate::call::Credentials;
use crate::config::ClientProfile;
use crate::connector::{Connector, Origin};
use crate::error::UpstreamError;
use crate::headers;
use crate::proxy::Proxy;

impl Upstream {
    /// The same client (same pool) sending through `proxy` (`None`: direct), e.g. the
    /// account's own proxy. Connections are never shared between proxies.
    pub fn with_proxy(&self, proxy: Option<Proxy>) -> Upstream {
        Upstream {
            proxy: proxy.map(Arc::new),
            ..self.clone()
        }
    }

    /// The same client sending `cookie: <header>` on backend calls (`None`: no cookie), e.g.
    /// [`crate::CookieJar::header`] of the account. An invalid header value is dropped.
    pub fn with_cookie(&self, header: Option<&str>) -> Upstream {
        Upstream {
            cookie: header.and_then(|h| HeaderValue::from_str(h).ok()),
            ..self.clone()
        }
    }

    /// The proxy of this view.
    pub fn proxy(&self) -> Option<&Proxy> {
        self.proxy.as_deref()
    }

    /// `GET {base}/wham/accounts/check`, as the official client does before any model call
    /// (startup user agent, no `version`/`originator`), parsed into the workspace routing list.
    pub async fn accounts_check(
        &self,
        creds: &Credentials<'_>,
    ) -> Result<crate::AccountsCheck, UpstreamError> {
        let inner = &self.inner;
        let spec = Spec {
            method: Method::GET,
            path_and_query: format!("{}/wham/accounts/check", inner.base_path),
            headers: headers::accounts_check(
                creds,
                self.profile(),
                &inner.base.authority,
                self.cookie.as_ref(),
            )?,
            body: Bytes::new(),
        };
        let response = self.buffered(&self.base(), &spec).await?;
        crate::AccountsCheck::parse(&response.body)
    }

    /// The base origin as seen through this view's proxy.
    pub(crate) fn base(&self) -> Origin {
        self.inner.base.clone().via(self.proxy.clone())
    }

    /// Path of the base URL, e.g. `/backend-api`.
    pub(crate) fn base_path(&self) -> &str {
        &self.inner.base_path
    }

    /// The profile this view presents: the one set with [`Upstream::with_profile`], else the
    /// configured one.
    pub fn profile(&self) -> &ClientProfile {
        self.profile.as_deref().unwrap_or(&self.inner.profile)
    }

    /// The same client presenting `profile` (e.g. the live profile after a fingerprint update).
    pub fn with_profile(&self, profile: Arc<ClientProfile>) -> Upstream {
        Upstream {
            profile: Some(profile),
            ..self.clone()
        }
    }

    /// The same client sending `x-openai-account-routing-override: <region>` on model calls
    /// (HTTP and WebSocket), as the official client does when `/wham/accounts/check` pins the
    /// account to a region (`None`, empty or `NO_CONSTRAINT`: no header). An invalid value is
    /// dropped.
    pub fn with_routing_override(&self, region: Option<&str>) -> Upstream {
        let region = region
            .map(str::trim)
            .filter(|r| !r.is_empty() && !r.eq_ignore_ascii_case("NO_CONSTRAINT"));
        Upstream {
            routing_override: region.and_then(|r| HeaderValue::from_str(r).ok()),
            ..self.clone()
        }
    }

    pub(crate) fn routing_override(&self) -> Option<&HeaderValue> {
        self.routing_override.as_ref()
    }

    pub(crate) fn connector(&self) -> &Connector {
        &self.inner.connector
    }

    pub(crate) fn connect_timeout(&self) -> Duration {
        self.inner.connect_timeout
    }

    pub(crate) fn idle_timeout(&self) -> Duration {
        self.inner.idle_timeout
    }
}
