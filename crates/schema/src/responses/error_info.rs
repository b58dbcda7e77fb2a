//! Upstream error records: [`ErrorPayload`] (the raw data of an `error` / `response.failed`
//! event), [`ErrorInfo`] (code, message, type extracted by the rules of upstream-codex §6 /
//! translation §1.4) and [`status_for_error_code`] (error code → HTTP-equivalent status).

use serde_json::Value;

/// The data of an `error` (or `response.failed`) event, kept raw: any text is accepted and
/// interpreted by [`extract`](Self::extract).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ErrorPayload<'a> {
    /// The event data as received.
    pub raw: &'a str,
}

/// What an upstream error record says, normalized.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ErrorInfo {
    /// Error code (`rate_limit_exceeded`, `usage_limit_reached`, …; `unknown` when absent).
    pub code: String,
    /// Human-readable message (the JSON text of the payload when no message field exists).
    pub message: String,
    /// Error type (`err.type`, else the payload `type`, else `error`).
    pub kind: String,
    /// `resets_in_seconds` of usage-limit errors.
    pub resets_in_seconds: Option<u64>,
    /// `resets_at` (Unix seconds) of usage-limit errors.
    pub resets_at: Option<u64>,
    /// `plan_type` of usage-limit errors.
    pub plan_type: Option<String>,
    /// A top-level numeric `status`, if the payload carried one.
    pub status: Option<u16>,
}

impl<'a> ErrorPayload<'a> {
    /// Wraps event data.
    pub fn new(raw: &'a str) -> Self {
        ErrorPayload { raw }
    }

    /// Extracts code, message and type:
    /// - the record is `data.error` if it is an object, else `data.response.error`, else `data`;
    /// - message: first non-empty of `err.message`, `err.detail`, `err.error_description`,
    ///   `data.message`, `data.detail`, `response.message`, `response.detail`, else the JSON text;
    /// - type: `err.type`, else `data.type`, else `error`;
    /// - code: `err.code`, else `response.code`, else the type unless it is `error` /
    ///   `response.failed`, else `unknown`;
    /// - non-object data: message = the text, code = `malformed_error_event` when the text
    ///   starts with `{`, else `unknown`.
    pub fn extract(&self) -> ErrorInfo {
        let data: Value = match serde_json::from_str(self.raw) {
            Ok(value @ Value::Object(_)) => value,
            Ok(Value::String(text)) => return malformed(&text),
            _ => return malformed(self.raw),
        };
        let response = data.get("response").filter(|r| r.is_object());
        let err = data
            .get("error")
            .filter(|e| e.is_object())
            .or_else(|| {
                response
                    .and_then(|r| r.get("error"))
                    .filter(|e| e.is_object())
            })
            .unwrap_or(&data);

        let message = [
            str_field(err, "message"),
            str_field(err, "detail"),
            str_field(err, "error_description"),
            str_field(&data, "message"),
            str_field(&data, "detail"),
            response.and_then(|r| str_field(r, "message")),
            response.and_then(|r| str_field(r, "detail")),
        ]
        .into_iter()
        .flatten()
        .next()
        .map_or_else(|| self.raw.trim().to_owned(), str::to_owned);

        let kind = str_field(err, "type")
            .or_else(|| str_field(&data, "type"))
            .unwrap_or("error")
            .to_owned();
        let code = str_field(err, "code")
            .or_else(|| response.and_then(|r| str_field(r, "code")))
            .map(str::to_owned)
            .unwrap_or_else(|| {
                if kind == "error" || kind == "response.failed" {
                    "unknown".to_owned()
                } else {
                    kind.clone()
                }
            });

        let number = |key: &str| {
            err.get(key)
                .or_else(|| data.get(key))
                .and_then(Value::as_u64)
        };
        ErrorInfo {
            code,
            message,
            kind,
            resets_in_seconds: number("resets_in_seconds"),
            resets_at: number("resets_at"),
            plan_type: str_field(err, "plan_type")
                .or_else(|| str_field(&data, "plan_type"))
                .map(str::to_owned),
            status: data
                .get("status")
                .and_then(Value::as_u64)
                .and_then(|s| u16::try_from(s).ok()),
        }
    }
}

impl ErrorInfo {
    /// The HTTP-equivalent status of this error's code ([`status_for_error_code`]).
    pub fn http_status(&self) -> u16 {
        status_for_error_code(&self.code)
    }

    /// The synthetic error for a 2xx body that contained no SSE event at all: code
    /// `non_sse_response`, message from JSON `detail`, else `error.message`, else the raw text.
    pub fn non_sse_response(body: &str) -> ErrorInfo {
        let parsed: Option<Value> = serde_json::from_str(body).ok();
        let message = parsed
            .as_ref()
            .and_then(|v| {
                str_field(v, "detail")
                    .or_else(|| v.get("error").and_then(|e| str_field(e, "message")))
            })
            .map_or_else(|| body.trim().to_owned(), str::to_owned);
        ErrorInfo {
            code: "non_sse_response".to_owned(),
            message,
            kind: "error".to_owned(),
            ..ErrorInfo::default()
        }
    }
}

/// Maps an upstream error code to an HTTP-equivalent status (case-insensitive):
/// `server_is_overloaded` → 503, `server_error` → 500, contains `invalid_request` or `not_found`
/// → 400, `rate_limit` or `usage_limit` → 429, `unauthorized` or `invalid_api_key` → 401,
/// `forbidden` or `banned` → 403, `payment` or `quota` → 402, anything else → 502.
pub fn status_for_error_code(code: &str) -> u16 {
    let has = |needle: &str| contains_ignore_case(code, needle);
    if code.eq_ignore_ascii_case("server_is_overloaded") {
        503
    } else if code.eq_ignore_ascii_case("server_error") {
        500
    } else if has("invalid_request") || has("not_found") {
        400
    } else if has("rate_limit") || has("usage_limit") {
        429
    } else if has("unauthorized") || has("invalid_api_key") {
        401
    } else if has("forbidden") || has("banned") {
        403
    } else if has("payment") || has("quota") {
        402
    } else {
        502
    }
}

fn contains_ignore_case(haystack: &str, needle: &str) -> bool {
    let needle = needle.as_bytes();
    haystack
        .as_bytes()
        .windows(needle.len())
        .any(|w| w.eq_ignore_ascii_case(needle))
}

/// A non-empty string field of an object.
fn str_field<'v>(value: &'v Value, key: &str) -> Option<&'v str> {
    value
        .get(key)
        .and_then(Value::as_str)
        .filter(|s| !s.is_empty())
}

fn malformed(text: &str) -> ErrorInfo {
    let text = text.trim();
    let code = if text.starts_with('{') {
        "malformed_error_event"
    } else {
        "unknown"
    };
    ErrorInfo {
        code: code.to_owned(),
        message: text.to_owned(),
        kind: "error".to_owned(),
        ..ErrorInfo::default()
    }
}
