//! Dialect-neutral error replies: what went wrong, with which HTTP status. The gateway renders an
//! [`ErrorReply`] in the client's dialect; [`to_openai_error_body`] is the OpenAI rendering.

use codex_proxy_schema::openai::{ErrorObject, ErrorResponse};

/// Broad class of an error, independent of any client dialect.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ErrorKind {
    /// The client's request is malformed or unsupported.
    InvalidRequest,
    /// The requested model does not exist.
    ModelNotFound,
    /// Upstream rate limit or usage limit.
    RateLimited,
    /// The upstream failed (HTTP error, error event, transport).
    Upstream,
    /// The upstream answered with nothing (retry on another account may help).
    EmptyResponse,
    /// The upstream closed the stream before a terminal event.
    PrematureClose,
}

impl ErrorKind {
    /// OpenAI `error.type` for this kind.
    pub fn openai_type(self) -> &'static str {
        match self {
            ErrorKind::InvalidRequest | ErrorKind::ModelNotFound => "invalid_request_error",
            ErrorKind::RateLimited => "rate_limit_error",
            ErrorKind::Upstream | ErrorKind::EmptyResponse | ErrorKind::PrematureClose => {
                "server_error"
            }
        }
    }

    /// Low-cardinality label for metrics.
    pub fn label(self) -> &'static str {
        match self {
            ErrorKind::InvalidRequest => "invalid_request",
            ErrorKind::ModelNotFound => "model_not_found",
            ErrorKind::RateLimited => "rate_limited",
            ErrorKind::Upstream => "upstream",
            ErrorKind::EmptyResponse => "empty_response",
            ErrorKind::PrematureClose => "premature_close",
        }
    }
}

/// An error to show the client, in no particular dialect.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ErrorReply {
    /// HTTP status (for streams already started: informational).
    pub status: u16,
    /// Broad class.
    pub kind: ErrorKind,
    /// Human-readable message.
    pub message: String,
    /// Machine-readable code (`invalid_request`, `rate_limit_exceeded`, upstream code, ...).
    pub code: Option<String>,
    /// The request parameter at fault.
    pub param: Option<String>,
}

impl ErrorReply {
    /// Build a reply.
    pub fn new(
        status: u16,
        kind: ErrorKind,
        message: impl Into<String>,
        code: Option<&str>,
    ) -> Self {
        ErrorReply {
            status,
            kind,
            message: message.into(),
            code: code.map(str::to_owned),
            param: None,
        }
    }

    /// Attach the offending parameter.
    #[must_use]
    pub fn with_param(mut self, param: &str) -> Self {
        self.param = Some(param.to_owned());
        self
    }

    /// Whether resending the same request (possibly on another account) may succeed.
    pub fn is_retryable(&self) -> bool {
        match self.kind {
            ErrorKind::EmptyResponse | ErrorKind::RateLimited => true,
            ErrorKind::Upstream => self.status >= 500,
            ErrorKind::InvalidRequest | ErrorKind::ModelNotFound | ErrorKind::PrematureClose => {
                false
            }
        }
    }

    /// Whether the client is at fault.
    pub fn is_client_error(&self) -> bool {
        matches!(
            self.kind,
            ErrorKind::InvalidRequest | ErrorKind::ModelNotFound
        )
    }

    /// The OpenAI error body for this reply.
    pub fn to_openai(&self) -> ErrorResponse {
        ErrorResponse {
            error: ErrorObject {
                message: self.message.clone(),
                kind: self.kind.openai_type().to_owned(),
                param: self.param.clone(),
                code: self.code.clone(),
            },
        }
    }
}

/// `{"error":{"message","type","param","code"}}` bytes for `reply`.
pub fn to_openai_error_body(reply: &ErrorReply) -> Vec<u8> {
    let mut out = Vec::with_capacity(96 + reply.message.len());
    write_openai_error(reply, &mut out);
    out
}

/// Append the OpenAI error body for `reply` to `out`.
pub(crate) fn write_openai_error(reply: &ErrorReply, out: &mut Vec<u8>) {
    // Serializing plain strings and options into a Vec cannot fail.
    let _ = serde_json::to_writer(&mut *out, &reply.to_openai());
}
