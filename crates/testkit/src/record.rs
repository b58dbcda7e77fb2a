//! Captured requests: kept in memory for assertions and appended to the `--record` file.

use http::HeaderMap;
use serde::Serialize;
use serde_json::{Map, Value};

use crate::jwt::redact_secret;

/// Body fields whose values are secrets (redacted in records).
const SECRET_FIELDS: &[&str] = &[
    "refresh_token",
    "code",
    "code_verifier",
    "subject_token",
    "access_token",
    "id_token",
];

/// One request as the mock saw it. The bearer token and OAuth secrets are redacted.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct RecordedRequest {
    /// HTTP method.
    pub method: String,
    /// Path without the query.
    pub path: String,
    /// Raw query string, if any.
    pub query: Option<String>,
    /// Headers in arrival order, names lowercase; `authorization` is `Bearer <redacted>`.
    pub headers: Vec<(String, String)>,
    /// The body parsed as JSON (form bodies become an object of strings), `None` if empty or unparseable.
    pub body: Option<Value>,
}

impl RecordedRequest {
    /// Builds a record from request parts; `body` is the parsed JSON body if the caller has one.
    pub(crate) fn new(
        method: &http::Method,
        uri: &http::Uri,
        headers: &HeaderMap,
        body: Option<Value>,
    ) -> RecordedRequest {
        let headers = headers
            .iter()
            .map(|(name, value)| {
                let value = String::from_utf8_lossy(value.as_bytes());
                let value = if name == http::header::AUTHORIZATION {
                    redact_authorization(&value)
                } else {
                    value.into_owned()
                };
                (name.as_str().to_owned(), value)
            })
            .collect();
        RecordedRequest {
            method: method.as_str().to_owned(),
            path: uri.path().to_owned(),
            query: uri.query().map(str::to_owned),
            headers,
            body: body.map(redact_body),
        }
    }

    /// The first header named `name` (case-insensitive).
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    pub(crate) fn to_json_line(&self, ts: u64) -> String {
        #[derive(Serialize)]
        struct Line<'a> {
            ts: u64,
            #[serde(flatten)]
            req: &'a RecordedRequest,
        }
        let mut line = serde_json::to_string(&Line { ts, req: self }).unwrap_or_default();
        line.push('\n');
        line
    }
}

/// `Bearer eyJhbG…sha256:<16 hex>`: enough to tell tokens apart, useless to an attacker.
pub fn redact_authorization(value: &str) -> String {
    match value.strip_prefix("Bearer ") {
        Some(token) => format!("Bearer {}", redact_secret(token)),
        None => redact_secret(value),
    }
}

fn redact_body(body: Value) -> Value {
    match body {
        Value::Object(map) => {
            let out: Map<String, Value> = map
                .into_iter()
                .map(|(k, v)| match (&v, SECRET_FIELDS.contains(&k.as_str())) {
                    (Value::String(s), true) => {
                        let redacted = Value::String(redact_secret(s));
                        (k, redacted)
                    }
                    _ => (k, v),
                })
                .collect();
            Value::Object(out)
        }
        other => other,
    }
}
