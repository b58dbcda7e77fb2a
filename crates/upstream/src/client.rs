//! `Upstream`: the calls (responses, GET, OAuth POSTs) over pooled connections, with the
//! connect / first-byte / total timeouts and transparent replacement of dead idle connections.
//! Per-account views (proxy, cookie) and the accounts check live in `client/scoped.rs`,
//! `/responses/compact` in `client/compact.rs`, request building in `client/request.rs`.

mod compact;
mod fetch;
mod request;
mod scoped;

use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use http::{HeaderMap, HeaderValue, Method, Response};
use hyper::body::Incoming;
use url::Url;

use crate::call::{Credentials, ResponsesCall};
use crate::config::{ClientProfile, UpstreamConfig};
use crate::connector::{Connection, Connector, H1Conn, H2Conn, Origin};
use crate::error::{TimeoutKind, UpstreamError};
use crate::headers;
use crate::pool::{Checkout, Pool};
use crate::proxy::Proxy;
use crate::response::{BodyReader, BufferedResponse, Deadline, Lease, StreamingResponse};
use request::{absolute, build_request, is_stale};

/// Cap of a successful buffered body (models catalog, usage, OAuth token).
const BUFFERED_BODY_CAP: usize = 8 * 1024 * 1024;
/// Cap of the body kept in `UpstreamError::Status`.
const ERROR_BODY_CAP: usize = 1024 * 1024;

/// The client of the Codex backend. Cheap to clone; clones share the connection pool.
///
/// [`Upstream::with_proxy`] and [`Upstream::with_cookie`] return scoped views (per account)
/// that still share the pool; connections are pooled per (proxy, origin).
#[derive(Clone)]
pub struct Upstream {
    inner: Arc<Inner>,
    /// Proxy of this view (the config's global proxy unless overridden).
    proxy: Option<Arc<Proxy>>,
    /// `cookie` header of this view (the account's `cf_clearance`).
    cookie: Option<HeaderValue>,
    /// Profile of this view when it differs from the configured one (live fingerprint updates).
    profile: Option<Arc<ClientProfile>>,
    /// `x-openai-account-routing-override` of this view (the account's region pin).
    routing_override: Option<HeaderValue>,
}

struct Inner {
    base: Origin,
    /// Path of the base URL without a trailing slash, e.g. `/backend-api`.
    base_path: String,
    profile: ClientProfile,
    connect_timeout: Duration,
    first_byte_timeout: Duration,
    idle_timeout: Duration,
    total_timeout: Option<Duration>,
    compress_requests: bool,
    connector: Connector,
    pool: Arc<Pool>,
}

/// One request, rebuilt per attempt (HTTP/1 origin-form with `host`, or HTTP/2 absolute form).
struct Spec {
    method: Method,
    path_and_query: String,
    headers: HeaderMap,
    body: Bytes,
}

/// Outcome of one attempt: `Ok(None)` means the pooled connection was dead before the request
/// was accepted, so another connection may be tried.
type Attempt = Result<Option<(Response<Incoming>, Lease)>, UpstreamError>;

impl Upstream {
    /// Validates the base URL and loads the TLS roots. No connection is opened yet.
    pub fn new(cfg: UpstreamConfig) -> Result<Upstream, UpstreamError> {
        let url = Url::parse(&cfg.base_url).map_err(|_| UpstreamError::InvalidUrl {
            reason: "base url does not parse",
        })?;
        if url.query().is_some() || url.fragment().is_some() {
            return Err(UpstreamError::InvalidUrl {
                reason: "base url has a query or fragment",
            });
        }
        let base = Origin::from_url(&url)?;
        let base_path = url.path().trim_end_matches('/').to_owned();
        let connector = Connector::new(
            cfg.extra_ca_pem.as_deref(),
            cfg.http2_prior_knowledge,
            cfg.connect_to,
        )?;
        let proxy = match cfg.proxy_url.as_deref() {
            Some(url) => Some(Arc::new(Proxy::parse(url)?)),
            None => None,
        };
        Ok(Upstream {
            proxy,
            cookie: None,
            profile: None,
            routing_override: None,
            inner: Arc::new(Inner {
                base,
                base_path,
                profile: cfg.profile,
                connect_timeout: cfg.connect_timeout,
                first_byte_timeout: cfg.first_byte_timeout,
                idle_timeout: cfg.idle_timeout,
                total_timeout: cfg.total_timeout,
                compress_requests: cfg.compress_requests,
                connector,
                pool: Arc::new(Pool::new(cfg.pool_idle_timeout, cfg.max_idle_per_host)),
            }),
        })
    }

    /// `POST {base}/codex/responses`: the SSE stream of one model turn. Non-2xx answers become
    /// `UpstreamError::Status`.
    pub async fn responses(
        &self,
        call: ResponsesCall<'_>,
    ) -> Result<StreamingResponse, UpstreamError> {
        let inner = &self.inner;
        let body = if inner.compress_requests {
            crate::compress::zstd(&call.body)?
        } else {
            call.body.clone()
        };
        let shape = headers::BodyShape {
            len: body.len(),
            zstd: inner.compress_requests,
        };
        let headers = headers::responses(
            &call,
            self.profile(),
            &inner.base.authority,
            shape,
            self.cookie.as_ref(),
            self.routing_override.as_ref(),
        )?;
        let spec = Spec {
            method: Method::POST,
            path_and_query: format!("{}/codex/responses", inner.base_path),
            headers,
            body,
        };
        let (status, headers, body) = self.exchange(&self.base(), &spec).await?;
        Ok(StreamingResponse::new(status, headers, body))
    }

    /// `GET {base}{path}` (e.g. `/codex/models?client_version=…`, `/wham/usage`), body capped
    /// at 8 MiB. Non-2xx answers become `UpstreamError::Status`.
    pub async fn get(
        &self,
        path: &str,
        creds: &Credentials<'_>,
    ) -> Result<BufferedResponse, UpstreamError> {
        let inner = &self.inner;
        if !path.starts_with('/') {
            return Err(UpstreamError::InvalidUrl {
                reason: "path must start with '/'",
            });
        }
        let spec = Spec {
            method: Method::GET,
            path_and_query: format!("{}{path}", inner.base_path),
            headers: headers::get(
                path,
                creds,
                self.profile(),
                &inner.base.authority,
                self.cookie.as_ref(),
            )?,
            body: Bytes::new(),
        };
        self.buffered(&self.base(), &spec).await
    }

    /// `POST url` with a form-encoded body (OAuth code exchange). `url` is absolute.
    pub async fn post_form(
        &self,
        url: &str,
        form: &[(&str, &str)],
    ) -> Result<BufferedResponse, UpstreamError> {
        let (origin, path_and_query) = absolute(url)?;
        let origin = origin.via(self.proxy.clone());
        let body: Bytes = url::form_urlencoded::Serializer::new(String::new())
            .extend_pairs(form)
            .finish()
            .into();
        let spec = Spec {
            method: Method::POST,
            headers: headers::post_form(&origin.authority, body.len())?,
            path_and_query,
            body,
        };
        self.buffered(&origin, &spec).await
    }

    /// `POST url` with a JSON body (OAuth refresh, as the official client sends it). `url` is
    /// absolute; `body` is sent as is.
    pub async fn post_json(
        &self,
        url: &str,
        body: Bytes,
    ) -> Result<BufferedResponse, UpstreamError> {
        let (origin, path_and_query) = absolute(url)?;
        let origin = origin.via(self.proxy.clone());
        let spec = Spec {
            method: Method::POST,
            headers: headers::post_json(self.profile(), &origin.authority, body.len())?,
            path_and_query,
            body,
        };
        self.buffered(&origin, &spec).await
    }

    async fn buffered(
        &self,
        origin: &Origin,
        spec: &Spec,
    ) -> Result<BufferedResponse, UpstreamError> {
        let (status, headers, body) = self.exchange(origin, spec).await?;
        let body = body.read_capped(BUFFERED_BODY_CAP).await?;
        Ok(BufferedResponse {
            status,
            headers,
            body,
        })
    }

    /// Sends `spec` and turns a non-2xx answer into `UpstreamError::Status`.
    async fn exchange(
        &self,
        origin: &Origin,
        spec: &Spec,
    ) -> Result<(u16, HeaderMap, BodyReader), UpstreamError> {
        let deadline = Deadline::after(self.inner.total_timeout);
        let sent = match deadline.remaining() {
            Some(left) => tokio::time::timeout(left, self.send(origin, spec))
                .await
                .map_err(|_| UpstreamError::Timeout(TimeoutKind::Total))?,
            None => self.send(origin, spec).await,
        };
        let (response, lease) = sent?;
        let (parts, incoming) = response.into_parts();
        let body = BodyReader::new(incoming, lease, self.inner.idle_timeout, deadline);
        let status = parts.status.as_u16();
        if !parts.status.is_success() {
            let body = body.read_truncated(ERROR_BODY_CAP).await;
            return Err(UpstreamError::Status {
                status,
                headers: Box::new(parts.headers),
                body,
            });
        }
        Ok((status, parts.headers, body))
    }

    /// Tries pooled connections first (discarding dead ones), then a fresh connection.
    async fn send(
        &self,
        origin: &Origin,
        spec: &Spec,
    ) -> Result<(Response<Incoming>, Lease), UpstreamError> {
        let inner = &self.inner;
        while let Some(pooled) = inner.pool.checkout(origin) {
            let attempt = match pooled {
                Checkout::H1(conn) => self.send_h1(origin, conn, spec, true).await,
                Checkout::H2(conn) => self.send_h2(origin, conn, spec, true).await,
            };
            match attempt? {
                Some(sent) => return Ok(sent),
                None => tracing::debug!("discarded a dead pooled upstream connection"),
            }
        }
        let connect = inner.connector.connect(origin);
        let conn = tokio::time::timeout(inner.connect_timeout, connect)
            .await
            .map_err(|_| UpstreamError::Timeout(TimeoutKind::Connect))??;
        let attempt = match conn {
            Connection::H1(conn) => self.send_h1(origin, conn, spec, false).await,
            Connection::H2(conn) => {
                inner.pool.insert_h2(origin, conn.clone());
                self.send_h2(origin, conn, spec, false).await
            }
        };
        match attempt? {
            Some(sent) => Ok(sent),
            None => Err(UpstreamError::Connect(std::io::Error::new(
                std::io::ErrorKind::ConnectionAborted,
                "new connection closed before the request was sent",
            ))),
        }
    }

    async fn send_h1(
        &self,
        origin: &Origin,
        mut conn: H1Conn,
        spec: &Spec,
        reused: bool,
    ) -> Attempt {
        if reused {
            // A pooled connection is idle, so readiness is immediate unless it is broken.
            let ready = tokio::time::timeout(self.inner.connect_timeout, conn.sender.ready());
            if !matches!(ready.await, Ok(Ok(()))) {
                conn.abort();
                return Ok(None);
            }
        }
        let request = build_request(spec, origin, false)?;
        let sent = conn.sender.try_send_request(request);
        match tokio::time::timeout(self.inner.first_byte_timeout, sent).await {
            Err(_) => {
                conn.abort();
                Err(UpstreamError::Timeout(TimeoutKind::FirstByte))
            }
            Ok(Ok(response)) => {
                let pool = Arc::clone(&self.inner.pool);
                Ok(Some((
                    response,
                    Lease::H1 {
                        conn,
                        pool,
                        origin: origin.clone(),
                    },
                )))
            }
            Ok(Err(mut err)) => {
                conn.abort();
                if err.take_message().is_some() || (reused && is_stale(err.error())) {
                    Ok(None)
                } else {
                    Err(UpstreamError::Protocol(err.into_error()))
                }
            }
        }
    }

    async fn send_h2(
        &self,
        origin: &Origin,
        mut conn: H2Conn,
        spec: &Spec,
        reused: bool,
    ) -> Attempt {
        if reused && conn.sender.ready().await.is_err() {
            self.inner.pool.remove_h2(origin, conn.id);
            return Ok(None);
        }
        let request = build_request(spec, origin, true)?;
        let sent = conn.sender.try_send_request(request);
        match tokio::time::timeout(self.inner.first_byte_timeout, sent).await {
            // Dropping the pending request resets only this stream.
            Err(_) => Err(UpstreamError::Timeout(TimeoutKind::FirstByte)),
            Ok(Ok(response)) => Ok(Some((response, Lease::H2))),
            Ok(Err(mut err)) => {
                if err.take_message().is_some() || (reused && is_stale(err.error())) {
                    self.inner.pool.remove_h2(origin, conn.id);
                    Ok(None)
                } else {
                    Err(UpstreamError::Protocol(err.into_error()))
                }
            }
        }
    }
}

impl std::fmt::Debug for Upstream {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Upstream")
            .field("base", &self.inner.base.authority)
            .field("base_path", &self.inner.base_path)
            .field("proxy", &self.proxy)
            .field("cookie", &self.cookie.as_ref().map(|_| "<redacted>"))
            .finish_non_exhaustive()
    }
}
