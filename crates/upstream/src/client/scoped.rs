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
                &inner.profile,
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

    pub(crate) fn profile(&self) -> &ClientProfile {
        &self.inner.profile
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
