//! Request header sets, in the official client's wire order (Codex CLI 0.169.0 captures).
//!
//! hyper writes HTTP/1 headers in `HeaderMap` insertion order, so each builder inserts in the
//! captured order and never removes. Names are lowercase, as captured.

use http::header::{
    ACCEPT, AUTHORIZATION, CONTENT_LENGTH, CONTENT_TYPE, HOST, HeaderMap, HeaderName, HeaderValue,
    USER_AGENT,
};

use crate::call::{Credentials, ResponsesCall};
use crate::config::ClientProfile;
use crate::error::UpstreamError;

const VERSION: HeaderName = HeaderName::from_static("version");
const BETA_FEATURES: HeaderName = HeaderName::from_static("x-codex-beta-features");
const TURN_STATE: HeaderName = HeaderName::from_static("x-codex-turn-state");
const WINDOW_ID: HeaderName = HeaderName::from_static("x-codex-window-id");
const TURN_METADATA: HeaderName = HeaderName::from_static("x-codex-turn-metadata");
const RESPONSES_LITE: HeaderName =
    HeaderName::from_static("x-openai-internal-codex-responses-lite");
const ROUTING_HINT: HeaderName = HeaderName::from_static("x-codex-routing-hint");
const CLIENT_REQUEST_ID: HeaderName = HeaderName::from_static("x-client-request-id");
const SESSION_ID: HeaderName = HeaderName::from_static("session-id");
const THREAD_ID: HeaderName = HeaderName::from_static("thread-id");
const ACCOUNT_ID: HeaderName = HeaderName::from_static("chatgpt-account-id");
const ORIGINATOR: HeaderName = HeaderName::from_static("originator");

/// Headers of `POST /codex/responses` (HTTP/1.1 fallback capture).
pub(crate) fn responses(
    call: &ResponsesCall<'_>,
    profile: &ClientProfile,
    host: &str,
) -> Result<HeaderMap, UpstreamError> {
    let window_id = format!("{}:0", call.session_id);
    let mut h = HeaderMap::with_capacity(24);
    h.insert(VERSION, value("version", &profile.version)?);
    h.insert(
        BETA_FEATURES,
        HeaderValue::from_static("remote_compaction_v2"),
    );
    if let Some(turn_state) = call.turn_state {
        h.insert(TURN_STATE, value("x-codex-turn-state", turn_state)?);
    }
    h.insert(WINDOW_ID, value("x-codex-window-id", &window_id)?);
    h.insert(
        TURN_METADATA,
        value("x-codex-turn-metadata", &turn_metadata(call, &window_id))?,
    );
    h.insert(RESPONSES_LITE, HeaderValue::from_static("true"));
    let hint = format!("model={}", call.model);
    h.insert(ROUTING_HINT, value("x-codex-routing-hint", &hint)?);
    let session = value("session-id", call.session_id)?;
    h.insert(CLIENT_REQUEST_ID, session.clone());
    h.insert(SESSION_ID, session.clone());
    h.insert(THREAD_ID, session);
    h.insert(ACCEPT, HeaderValue::from_static("text/event-stream"));
    h.insert(CONTENT_TYPE, HeaderValue::from_static("application/json"));
    auth(&mut h, &call.creds)?;
    h.insert(ORIGINATOR, value("originator", &profile.originator)?);
    h.insert(USER_AGENT, value("user-agent", &profile.user_agent)?);
    h.insert(HOST, value("host", host)?);
    h.insert(CONTENT_LENGTH, HeaderValue::from(call.body.len()));
    Ok(h)
}

/// Headers of an authenticated GET. `/codex/…` paths (models) carry `version` and
/// `originator` like the captured models fetch; other paths (`/wham/…`) carry only the
/// user agent and credentials, like the captured accounts/check and usage calls.
pub(crate) fn get(
    path: &str,
    creds: &Credentials<'_>,
    profile: &ClientProfile,
    host: &str,
) -> Result<HeaderMap, UpstreamError> {
    let mut h = HeaderMap::with_capacity(8);
    if path.starts_with("/codex/") {
        h.insert(VERSION, value("version", &profile.version)?);
        auth(&mut h, creds)?;
        h.insert(ORIGINATOR, value("originator", &profile.originator)?);
        h.insert(USER_AGENT, value("user-agent", &profile.user_agent)?);
    } else {
        h.insert(USER_AGENT, value("user-agent", &profile.user_agent)?);
        auth(&mut h, creds)?;
    }
    h.insert(ACCEPT, HeaderValue::from_static("*/*"));
    h.insert(HOST, value("host", host)?);
    Ok(h)
}

/// Headers of the form-encoded OAuth calls (code exchange): no UA, no originator.
pub(crate) fn post_form(host: &str, len: usize) -> Result<HeaderMap, UpstreamError> {
    let mut h = HeaderMap::with_capacity(4);
    h.insert(
        CONTENT_TYPE,
        HeaderValue::from_static("application/x-www-form-urlencoded"),
    );
    h.insert(ACCEPT, HeaderValue::from_static("*/*"));
    h.insert(HOST, value("host", host)?);
    h.insert(CONTENT_LENGTH, HeaderValue::from(len));
    Ok(h)
}

/// Headers of the JSON OAuth refresh call.
pub(crate) fn post_json(
    profile: &ClientProfile,
    host: &str,
    len: usize,
) -> Result<HeaderMap, UpstreamError> {
    let mut h = HeaderMap::with_capacity(6);
    h.insert(CONTENT_TYPE, HeaderValue::from_static("application/json"));
    h.insert(ORIGINATOR, value("originator", &profile.originator)?);
    h.insert(USER_AGENT, value("user-agent", &profile.user_agent)?);
    h.insert(ACCEPT, HeaderValue::from_static("*/*"));
    h.insert(HOST, value("host", host)?);
    h.insert(CONTENT_LENGTH, HeaderValue::from(len));
    Ok(h)
}

fn auth(h: &mut HeaderMap, creds: &Credentials<'_>) -> Result<(), UpstreamError> {
    let mut bearer = String::with_capacity(7 + creds.access_token.len());
    bearer.push_str("Bearer ");
    bearer.push_str(creds.access_token);
    h.insert(AUTHORIZATION, value("authorization", &bearer)?);
    if let Some(account_id) = creds.account_id {
        h.insert(ACCOUNT_ID, value("chatgpt-account-id", account_id)?);
    }
    Ok(())
}

fn value(name: &'static str, text: &str) -> Result<HeaderValue, UpstreamError> {
    HeaderValue::from_str(text).map_err(|_| UpstreamError::InvalidHeader { name })
}

/// The `x-codex-turn-metadata` JSON: the captured keys we can fill faithfully, in captured
/// order (installation_id, session_id, thread_id, turn_id, window_id, window_number,
/// request_kind, model).
fn turn_metadata(call: &ResponsesCall<'_>, window_id: &str) -> String {
    let mut out = String::with_capacity(256);
    out.push('{');
    if let Some(installation_id) = call.installation_id {
        field(&mut out, "installation_id", installation_id);
    }
    field(&mut out, "session_id", call.session_id);
    field(&mut out, "thread_id", call.session_id);
    field(&mut out, "turn_id", call.request_id);
    field(&mut out, "window_id", window_id);
    out.push_str(",\"window_number\":0");
    field(&mut out, "request_kind", "turn");
    field(&mut out, "model", call.model);
    out.push('}');
    out
}

fn field(out: &mut String, key: &str, text: &str) {
    if out.len() > 1 {
        out.push(',');
    }
    out.push('"');
    out.push_str(key);
    out.push_str("\":");
    push_json_string(out, text);
}

fn push_json_string(out: &mut String, text: &str) {
    out.push('"');
    for c in text.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if u32::from(c) < 0x20 => {
                out.push_str(&format!("\\u{:04x}", u32::from(c)));
            }
            c => out.push(c),
        }
    }
    out.push('"');
}
