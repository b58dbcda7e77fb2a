//! `Upstream`: the calls (responses, GET, OAuth POSTs) over pooled connections, with the
//! connect / first-byte timeouts and transparent replacement of dead idle connections.

use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use http::header::HOST;
use http::{HeaderMap, Method, Request, Response};
use http_body_util::Full;
use hyper::body::Incoming;
use url::Url;

use crate::call::{Credentials, ResponsesCall};
use crate::config::{ClientProfile, UpstreamConfig};
use crate::connector::{Connection, Connector, H1Conn, H2Conn, Origin, ReqBody};
use crate::error::{TimeoutKind, UpstreamError};
use crate::headers;
use crate::pool::{Checkout, Pool};
use crate::response::{BodyReader, BufferedResponse, Lease, StreamingResponse};

/// Cap of a successful buffered body (models catalog, usage, OAuth token).
const BUFFERED_BODY_CAP: usize = 8 * 1024 * 1024;
/// Cap of the body kept in `UpstreamError::Status`.
const ERROR_BODY_CAP: usize = 1024 * 1024;

/// The client of the Codex backend. Cheap to clone; clones share the connection pool.
#[derive(Clone)]
pub struct Upstream {
    inner: Arc<Inner>,
}

struct Inner {
    base: Origin,
    /// Path of the base URL without a trailing slash, e.g. `/backend-api`.
    base_path: String,
    profile: ClientProfile,
    connect_timeout: Duration,
    first_byte_timeout: Duration,
    idle_timeout: Duration,
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
        let connector = Connector::new(cfg.extra_ca_pem.as_deref(), cfg.http2_prior_knowledge)?;
        Ok(Upstream {
            inner: Arc::new(Inner {
                base,
                base_path,
                profile: cfg.profile,
                connect_timeout: cfg.connect_timeout,
                first_byte_timeout: cfg.first_byte_timeout,
                idle_timeout: cfg.idle_timeout,
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
        let headers = headers::responses(&call, &inner.profile, &inner.base.authority)?;
        let spec = Spec {
            method: Method::POST,
            path_and_query: format!("{}/codex/responses", inner.base_path),
            headers,
            body: call.body,
        };
        let (status, headers, body) = self.exchange(&inner.base, &spec).await?;
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
            headers: headers::get(path, creds, &inner.profile, &inner.base.authority)?,
            body: Bytes::new(),
        };
        self.buffered(&inner.base, &spec).await
    }

    /// `POST url` with a form-encoded body (OAuth code exchange). `url` is absolute.
    pub async fn post_form(
        &self,
        url: &str,
        form: &[(&str, &str)],
    ) -> Result<BufferedResponse, UpstreamError> {
        let (origin, path_and_query) = absolute(url)?;
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
        let spec = Spec {
            method: Method::POST,
            headers: headers::post_json(&self.inner.profile, &origin.authority, body.len())?,
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
        let (response, lease) = self.send(origin, spec).await?;
        let (parts, incoming) = response.into_parts();
        let body = BodyReader::new(incoming, lease, self.inner.idle_timeout);
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
            .finish_non_exhaustive()
    }
}

/// True if a reused connection failed the way a connection the server had already closed
/// fails: closed or reset before any byte of the response head. The server never read the
/// request (it closed its idle connection as we wrote), so a fresh connection may carry it.
fn is_stale(err: &hyper::Error) -> bool {
    if err.is_incomplete_message() || err.is_closed() {
        return true;
    }
    let mut source = std::error::Error::source(err);
    while let Some(cause) = source {
        if let Some(io) = cause.downcast_ref::<std::io::Error>() {
            return matches!(
                io.kind(),
                std::io::ErrorKind::ConnectionReset
                    | std::io::ErrorKind::ConnectionAborted
                    | std::io::ErrorKind::BrokenPipe
                    | std::io::ErrorKind::UnexpectedEof
            );
        }
        source = cause.source();
    }
    false
}

/// Origin and path-and-query of an absolute URL.
fn absolute(url: &str) -> Result<(Origin, String), UpstreamError> {
    let url = Url::parse(url).map_err(|_| UpstreamError::InvalidUrl {
        reason: "url does not parse",
    })?;
    let origin = Origin::from_url(&url)?;
    let path_and_query = match url.query() {
        Some(query) => format!("{}?{query}", url.path()),
        None => url.path().to_owned(),
    };
    Ok((origin, path_and_query))
}

/// HTTP/1: origin-form URI, headers as built (with `host`). HTTP/2: absolute URI (for
/// `:scheme` / `:authority`), headers without `host`, order otherwise kept.
fn build_request(
    spec: &Spec,
    origin: &Origin,
    h2: bool,
) -> Result<Request<ReqBody>, UpstreamError> {
    let invalid = |_| UpstreamError::InvalidUrl {
        reason: "path is not a valid request target",
    };
    let mut request = Request::new(Full::new(spec.body.clone()));
    *request.method_mut() = spec.method.clone();
    if h2 {
        let scheme = if origin.https { "https" } else { "http" };
        let uri = format!("{scheme}://{}{}", origin.authority, spec.path_and_query);
        *request.uri_mut() = uri.parse().map_err(invalid)?;
        *request.version_mut() = http::Version::HTTP_2;
        let headers = request.headers_mut();
        headers.reserve(spec.headers.len());
        for (name, value) in spec.headers.iter().filter(|(name, _)| *name != HOST) {
            headers.append(name, value.clone());
        }
    } else {
        *request.uri_mut() = spec.path_and_query.parse().map_err(invalid)?;
        *request.headers_mut() = spec.headers.clone();
    }
    Ok(request)
}
