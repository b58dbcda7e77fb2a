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
    /// Anthropic `{type:"error", error:{type, message}}`.
    Anthropic,
    /// Gemini `{error:{code, message, status}}`.
    Gemini,
    /// Ollama bridge `{error: "<message>"}`.
    Ollama,
}

/// Why a request failed. Messages are lowercase, actionable and never contain secrets.
#[derive(Debug, thiserror::Error)]
pub enum GatewayError {
    /// The proxy API key is missing or wrong.
    #[error(
        "invalid proxy api key: send `Authorization: Bearer <key>` or `x-api-key: <key>`; `codex-proxy keys` prints it"
    )]
    Unauthorized,
    /// A client key tried an admin or account route (those need the master key).
    #[error(
        "this route needs the master key (server.proxy_api_key); client keys only reach the model apis"
    )]
    Forbidden,
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
    /// Every account is rate limited, out of quota or cooling down.
    #[error(
        "all accounts are rate limited or out of quota; the earliest resets {}",
        reset_text(*.retry_after, *.reset_at)
    )]
    AllRateLimited {
        /// When the first account becomes usable again.
        retry_after: Option<Duration>,
        /// The same moment as Unix seconds, for the message.
        reset_at: Option<u64>,
    },
    /// An OAuth login step failed (denied, expired, state mismatch, exchange refused, ...).
    #[error("login failed: {0}")]
    Login(codex_proxy_pool::LoginError),
    /// A pool client key was refused (unknown, revoked, expired, over budget, model).
    #[error("{0}")]
    ClientKey(codex_proxy_pool::KeyError),
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
            Self::Forbidden => "forbidden",
            Self::BodyTooLarge { .. } => "body_too_large",
            Self::BodyRead => "body_read",
            Self::NotFound { .. } => "not_found",
            Self::MethodNotAllowed { .. } => "method_not_allowed",
            Self::ModelNotFound { .. } => "model_not_found",
            Self::InvalidRequest(_) => "invalid_request",
            Self::Translate(_) => "translate",
            Self::NoAccount => "no_account",
            Self::AllRateLimited { .. } => "all_rate_limited",
            Self::ClientKey(e) => e.label(),
            Self::Login(_) => "login",
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
            Self::Forbidden => (403, C::Authentication, Some("forbidden"), None, None),
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
            Self::Login(e) if e.is_retryable() => (502, C::Server, Some(e.label()), None, None),
            Self::Login(e) => (400, C::InvalidRequest, Some(e.label()), None, None),
            Self::ClientKey(e) => (
                e.status(),
                match e.status() {
                    429 => C::RateLimit,
                    403 => C::InvalidRequest,
                    _ => C::Authentication,
                },
                Some(e.label()),
                None,
                None,
            ),
            Self::AllRateLimited { retry_after, .. } => (
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
            Dialect::Admin | Dialect::Ollama => serde_json::json!({ "error": self.message }),
            Dialect::Gemini => serde_json::json!({
                "error": {
                    "code": self.status.as_u16(),
                    "message": self.message,
                    "status": codex_proxy_translate::gemini::gemini_status(self.status.as_u16()),
                }
            }),
            Dialect::Anthropic => serde_json::json!({
                "type": "error",
                "error": { "type": anthropic_type(self.class, self.status), "message": self.message },
            }),
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

/// Anthropic `error.type`: the client's own mistakes by status, rate limits, overload (503,
/// 529) and every other server-side failure as `api_error`.
fn anthropic_type(class: ErrorClass, status: StatusCode) -> &'static str {
    match (class, status.as_u16()) {
        (ErrorClass::Authentication, 403) => "permission_error",
        (ErrorClass::Authentication, _) => "authentication_error",
        (ErrorClass::NotFound, _) | (ErrorClass::InvalidRequest, 404) => "not_found_error",
        (ErrorClass::InvalidRequest, 413) => "request_too_large",
        (ErrorClass::InvalidRequest, 403) => "permission_error",
        (ErrorClass::InvalidRequest, _) => "invalid_request_error",
        (ErrorClass::RateLimit, _) => "rate_limit_error",
        (ErrorClass::Server, 503 | 529) => "overloaded_error",
        (ErrorClass::Server, _) => "api_error",
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

/// `in 42s (at 1767225600, unix)` or `later` when unknown.
fn reset_text(retry_after: Option<Duration>, reset_at: Option<u64>) -> String {
    match (retry_after, reset_at) {
        (Some(d), Some(at)) => format!("in {}s (at {at}, unix time)", d.as_secs().max(1)),
        (Some(d), None) => format!("in {}s", d.as_secs().max(1)),
        _ => "later".to_owned(),
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

/// Why a configuration reload did not happen. The running configuration is kept.
#[derive(Debug, thiserror::Error)]
pub enum ReloadError {
    /// No reload source was registered ([`crate::RunningGateway::watch_config`]).
    #[error("config reload is not set up in this process")]
    NoSource,
    /// The edited configuration is invalid.
    #[error(transparent)]
    Config(#[from] crate::config::ConfigError),
    /// `<data-dir>/local.yaml` could not be read or written.
    #[error(transparent)]
    LocalYaml(#[from] crate::keys::KeyFileError),
}

impl ReloadError {
    /// The dotted key path at fault, when one key is.
    pub fn key(&self) -> Option<&str> {
        match self {
            Self::Config(e) => e.key(),
            Self::NoSource | Self::LocalYaml(_) => None,
        }
    }
}
