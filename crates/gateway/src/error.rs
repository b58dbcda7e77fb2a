//! `GatewayError` and the one place where errors become HTTP responses, in the caller's
//! dialect. Every error has a low-cardinality [`GatewayError::label`] for logs and metrics.
//!
//! Rendering is two steps: [`GatewayError::reply`] decides status, class, code and message
//! (dialect-neutral), then [`Reply::render`] writes the dialect's body shape. Anthropic, Gemini
//! and Ollama routes add a [`Dialect`] variant and a branch in `render`.

use std::time::Duration;

use codex_proxy_translate::{ErrorKind, ErrorReply};
use codex_proxy_upstream::UpstreamError;
use http::{HeaderValue, Response, StatusCode, header};

use crate::body::{Body, full};

/// Which API shape the caller speaks.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Dialect {
    /// OpenAI `{error:{message, type, param, code}}`.
    OpenAi,
    /// Admin routes: `{error: "<message>"}`.
    Admin,
}

/// Why a request failed. Messages are lowercase, actionable and never contain secrets.
#[derive(Debug, thiserror::Error)]
pub enum GatewayError {
    /// The proxy API key is missing or wrong.
    #[error(
        "invalid proxy api key: send `Authorization: Bearer <key>` or `x-api-key: <key>`; `codex-proxy keys` prints it"
    )]
    Unauthorized,
    /// The request body exceeds `server.max_body_bytes`.
    #[error("request body exceeds {limit} bytes (server.max_body_bytes)")]
    BodyTooLarge {
        /// The limit in bytes.
        limit: usize,
    },
    /// The request body could not be read from the connection.
    #[error("request body could not be read")]
    BodyRead,
    /// No route for this path.
    #[error("unknown route {path}: see GET /v1/models and POST /v1/chat/completions")]
    NotFound {
        /// The requested path.
        path: String,
    },
    /// The route exists but not for this method.
    #[error("method {method} not allowed on {path}")]
    MethodNotAllowed {
        /// The method used.
        method: String,
        /// The path.
        path: String,
    },
    /// `GET /v1/models/{id}` for an unknown id.
    #[error("model '{model}' not found: GET /v1/models lists the available models")]
    ModelNotFound {
        /// The requested id.
        model: String,
    },
    /// A request body the gateway itself validates (admin routes) is wrong.
    #[error("invalid request: {0}")]
    InvalidRequest(String),
    /// The translator rejected the request (bad JSON, wrong types, unknown model, ...).
    #[error("{}", .0.message)]
    Translate(ErrorReply),
    /// No account is configured at all.
    #[error(
        "no account: run `codex-proxy login` or import one with `codex-proxy accounts import FILE`"
    )]
    NoAccount,
    /// Every account is rate limited.
    #[error("all accounts are rate limited; retry later")]
    AllRateLimited {
        /// When the first account becomes usable again.
        retry_after: Option<Duration>,
    },
    /// Accounts exist but none can serve (expired, banned, disabled, quota exhausted).
    #[error("no available accounts: {detail}")]
    NoUsableAccount {
        /// Counts per status, e.g. `2 banned, 1 expired`.
        detail: String,
    },
    /// The upstream failed before anything was sent to the client and no retry is left.
    #[error("codex api error ({}): {}", upstream_status(.0), upstream_message(.0))]
    Upstream(#[source] UpstreamError),
    /// The account store failed.
    #[error("account store error")]
    Store,
    /// A bug or an unexpected internal condition.
    #[error("internal error: {0}")]
    Internal(&'static str),
}

/// Dialect-neutral error class; each dialect maps it to its own type string.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ErrorClass {
    /// The client sent something wrong.
    InvalidRequest,
    /// Missing or wrong credentials.
    Authentication,
    /// Nothing by that name.
    NotFound,
    /// Slow down.
    RateLimit,
    /// Upstream or our own failure.
    Server,
}

/// A rendered-to-be error: status, class, code, message and extra headers.
#[derive(Debug, Clone)]
pub struct Reply {
    /// HTTP status.
    pub status: StatusCode,
    /// Error class.
    pub class: ErrorClass,
    /// Machine code, e.g. `model_not_found`.
    pub code: Option<String>,
    /// Offending parameter.
    pub param: Option<String>,
    /// Human message.
    pub message: String,
    /// `Retry-After` seconds.
    pub retry_after: Option<u64>,
}

impl GatewayError {
    /// Low-cardinality label for logs and metrics.
    pub fn label(&self) -> &'static str {
        match self {
            Self::Unauthorized => "unauthorized",
            Self::BodyTooLarge { .. } => "body_too_large",
            Self::BodyRead => "body_read",
            Self::NotFound { .. } => "not_found",
            Self::MethodNotAllowed { .. } => "method_not_allowed",
            Self::ModelNotFound { .. } => "model_not_found",
            Self::InvalidRequest(_) => "invalid_request",
            Self::Translate(_) => "translate",
            Self::NoAccount => "no_account",
            Self::AllRateLimited { .. } => "all_rate_limited",
            Self::NoUsableAccount { .. } => "no_usable_account",
            Self::Upstream(e) => e.label(),
            Self::Store => "store",
            Self::Internal(_) => "internal",
        }
    }

    /// Status, class, code and message, independent of the dialect.
    pub fn reply(&self) -> Reply {
        use ErrorClass as C;
        let message = self.to_string();
        let (status, class, code, param, retry_after) = match self {
            Self::Unauthorized => (401, C::Authentication, Some("invalid_api_key"), None, None),
            Self::BodyTooLarge { .. } => (
                413,
                C::InvalidRequest,
                Some("request_too_large"),
                None,
                None,
            ),
            Self::BodyRead => (400, C::InvalidRequest, Some("invalid_body"), None, None),
            Self::NotFound { .. } => (404, C::NotFound, Some("not_found"), None, None),
            Self::MethodNotAllowed { .. } => (
                405,
                C::InvalidRequest,
                Some("method_not_allowed"),
                None,
                None,
            ),
            Self::ModelNotFound { .. } => (
                404,
                C::InvalidRequest,
                Some("model_not_found"),
                Some("model"),
                None,
            ),
            Self::InvalidRequest(_) => {
                (400, C::InvalidRequest, Some("invalid_request"), None, None)
            }
            Self::Translate(r) => return translate_reply(r),
            Self::NoAccount => (503, C::Server, Some("no_available_accounts"), None, None),
            Self::AllRateLimited { retry_after } => (
                429,
                C::RateLimit,
                Some("rate_limit_exceeded"),
                None,
                Some(retry_after.map_or(60, |d| d.as_secs().max(1))),
            ),
            Self::NoUsableAccount { .. } => {
                (503, C::Server, Some("no_available_accounts"), None, None)
            }
            Self::Upstream(e) => return upstream_reply(e, message),
            Self::Store | Self::Internal(_) => (500, C::Server, Some("internal_error"), None, None),
        };
        Reply {
            status: StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR),
            class,
            code: code.map(str::to_owned),
            param: param.map(str::to_owned),
            message,
            retry_after,
        }
    }

    /// The HTTP response for this error in `dialect`.
    pub fn into_response(self, dialect: Dialect) -> Response<Body> {
        self.reply().render(dialect)
    }
}

impl Reply {
    /// Writes the body in `dialect`'s error shape.
    pub fn render(&self, dialect: Dialect) -> Response<Body> {
        let body = match dialect {
            Dialect::OpenAi => serde_json::json!({
                "error": {
                    "message": self.message,
                    "type": openai_type(self.class),
                    "param": self.param,
                    "code": self.code,
                }
            }),
            Dialect::Admin => serde_json::json!({ "error": self.message }),
        };
        let mut resp = Response::new(full(serde_json::to_vec(&body).unwrap_or_default()));
        *resp.status_mut() = self.status;
        let headers = resp.headers_mut();
        headers.insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/json"),
        );
        if let Some(secs) = self.retry_after {
            headers.insert(header::RETRY_AFTER, HeaderValue::from(secs));
        }
        resp
    }
}

fn openai_type(class: ErrorClass) -> &'static str {
    match class {
        ErrorClass::InvalidRequest | ErrorClass::NotFound | ErrorClass::Authentication => {
            "invalid_request_error"
        }
        ErrorClass::RateLimit => "rate_limit_error",
        ErrorClass::Server => "server_error",
    }
}

fn translate_reply(r: &ErrorReply) -> Reply {
    let status = StatusCode::from_u16(r.status).unwrap_or(StatusCode::BAD_REQUEST);
    let class = match r.kind {
        ErrorKind::InvalidRequest | ErrorKind::ModelNotFound => ErrorClass::InvalidRequest,
        ErrorKind::RateLimited => ErrorClass::RateLimit,
        ErrorKind::Upstream | ErrorKind::EmptyResponse | ErrorKind::PrematureClose => {
            ErrorClass::Server
        }
    };
    let message = if r.kind == ErrorKind::ModelNotFound {
        format!("{}: GET /v1/models lists the available models", r.message)
    } else {
        r.message.clone()
    };
    Reply {
        status,
        class,
        code: r.code.clone(),
        param: r.param.clone(),
        message,
        retry_after: None,
    }
}

/// translation.md §9.2: the upstream status (transport failures and non-4xx/5xx → 502),
/// 429 as a rate-limit error, Cloudflare as 502.
fn upstream_reply(e: &UpstreamError, message: String) -> Reply {
    let (status, class, code) = match e.status() {
        Some(429) => (429, ErrorClass::RateLimit, "rate_limit_exceeded"),
        Some(403) if e.is_cloudflare() => (502, ErrorClass::Server, "codex_api_error"),
        Some(404) if e.is_path_blocked() => (502, ErrorClass::Server, "codex_api_error"),
        Some(s @ 400..=599) => (s, ErrorClass::Server, "codex_api_error"),
        _ if e.is_timeout() => (504, ErrorClass::Server, "upstream_timeout"),
        _ => (502, ErrorClass::Server, "upstream_transport_error"),
    };
    Reply {
        status: StatusCode::from_u16(status).unwrap_or(StatusCode::BAD_GATEWAY),
        class,
        code: Some(code.to_owned()),
        param: None,
        message,
        retry_after: e
            .reset_after()
            .map(|d| d.as_secs().max(1))
            .filter(|_| status == 429),
    }
}

fn upstream_status(e: &UpstreamError) -> String {
    e.status()
        .map_or_else(|| e.label().to_owned(), |s| s.to_string())
}

/// A short, secret-free detail of an upstream failure: the backend's `error.message` (first
/// 300 characters) or the transport error text.
fn upstream_message(e: &UpstreamError) -> String {
    if e.is_cloudflare() {
        return "upstream blocked the request (cloudflare challenge)".to_owned();
    }
    if e.is_path_blocked() {
        return "upstream blocked the request (cloudflare path-block)".to_owned();
    }
    let from_body = e.body().and_then(|b| {
        let v: serde_json::Value = serde_json::from_slice(b).ok()?;
        let m = v
            .pointer("/error/message")
            .or_else(|| v.get("message"))
            .or_else(|| v.get("detail"))?;
        m.as_str().map(str::to_owned)
    });
    let mut msg = from_body.unwrap_or_else(|| e.to_string());
    if let Some((idx, _)) = msg.char_indices().nth(300) {
        msg.truncate(idx);
    }
    msg
}
