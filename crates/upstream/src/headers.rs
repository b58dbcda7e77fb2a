//! Request header sets, in the official client's wire order (Codex CLI 0.169.0 captures).
//!
//! hyper writes HTTP/1 headers in `HeaderMap` insertion order, so each builder inserts in the
//! captured order and never removes. Names are lowercase, as captured.

use http::header::{
    ACCEPT, AUTHORIZATION, CONTENT_ENCODING, CONTENT_LENGTH, CONTENT_TYPE, COOKIE, HOST, HeaderMap,
    HeaderName, HeaderValue, USER_AGENT,
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
const ROUTING_OVERRIDE: HeaderName = HeaderName::from_static("x-openai-account-routing-override");

/// Length and encoding of a request body as sent.
#[derive(Clone, Copy, Debug)]
pub(crate) struct BodyShape {
    /// Bytes on the wire (after compression).
    pub(crate) len: usize,
    /// The body is zstd-compressed (`content-encoding: zstd`).
    pub(crate) zstd: bool,
}

/// Headers of `POST /codex/responses` (HTTP/1.1 fallback and h2 custom-CA captures; h2 drops
/// `host`). A `cookie` (not in the captures: the official client keeps no jar) goes right
/// before `host`.
pub(crate) fn responses(
    call: &ResponsesCall<'_>,
    profile: &ClientProfile,
    host: &str,
    body: BodyShape,
    cookie: Option<&HeaderValue>,
    routing_override: Option<&HeaderValue>,
) -> Result<HeaderMap, UpstreamError> {
    let window_id = format!("{}:0", call.session_id);
    let mut h = HeaderMap::with_capacity(24);
    h.insert(VERSION, value("version", &profile.version)?);
    if let Some(region) = routing_override {
        h.insert(ROUTING_OVERRIDE, region.clone());
    }
    h.insert(
        BETA_FEATURES,
        HeaderValue::from_static("remote_compaction_v2"),
    );
    if let Some(turn_state) = call.turn_state {
        h.insert(TURN_STATE, value("x-codex-turn-state", turn_state)?);
    }
    h.insert(WINDOW_ID, value("x-codex-window-id", &window_id)?);
    let metadata = turn_metadata(&Turn {
        installation_id: call.installation_id,
        session_id: call.session_id,
        turn_id: call.request_id,
        window_id: &window_id,
        request_kind: "turn",
        model: call.model,
    });
    h.insert(TURN_METADATA, value("x-codex-turn-metadata", &metadata)?);
    h.insert(RESPONSES_LITE, HeaderValue::from_static("true"));
    let hint = format!("model={}", call.model);
    h.insert(ROUTING_HINT, value("x-codex-routing-hint", &hint)?);
    let session = value("session-id", call.session_id)?;
    h.insert(CLIENT_REQUEST_ID, session.clone());
    h.insert(SESSION_ID, session.clone());
    h.insert(THREAD_ID, session);
    h.insert(ACCEPT, HeaderValue::from_static("text/event-stream"));
    if body.zstd {
        h.insert(CONTENT_ENCODING, HeaderValue::from_static("zstd"));
    }
    h.insert(CONTENT_TYPE, HeaderValue::from_static("application/json"));
    auth(&mut h, &call.creds)?;
    h.insert(ORIGINATOR, value("originator", &profile.originator)?);
    h.insert(USER_AGENT, value("user-agent", &profile.user_agent)?);
    if let Some(cookie) = cookie {
        h.insert(COOKIE, cookie.clone());
    }
    h.insert(HOST, value("host", host)?);
    h.insert(CONTENT_LENGTH, HeaderValue::from(body.len));
    Ok(h)
}

/// Headers of the WebSocket upgrade `GET /codex/responses` between the five Title-Case
/// handshake headers (`Host`, `Connection`, `Upgrade`, `Sec-WebSocket-Version`,
/// `Sec-WebSocket-Key`) and the final `sec-websocket-extensions` offer, both written by
/// `ws/handshake.rs`, as captured.
pub(crate) fn websocket(
    call: &crate::ws::WsCall<'_>,
    profile: &ClientProfile,
    routing_override: Option<&HeaderValue>,
    h: &mut HeaderMap,
) -> Result<(), UpstreamError> {
    let window_id = format!("{}:0", call.session_id);
    if let Some(account_id) = call.creds.account_id {
        h.insert(ACCOUNT_ID, value("chatgpt-account-id", account_id)?);
    }
    let mut bearer = String::with_capacity(7 + call.creds.access_token.len());
    bearer.push_str("Bearer ");
    bearer.push_str(call.creds.access_token);
    h.insert(AUTHORIZATION, value("authorization", &bearer)?);
    h.insert(USER_AGENT, value("user-agent", &profile.user_agent)?);
    h.insert(ORIGINATOR, value("originator", &profile.originator)?);
    h.insert(
        HeaderName::from_static("openai-beta"),
        HeaderValue::from_static("responses_websockets=2026-02-06"),
    );
    h.insert(VERSION, value("version", &profile.version)?);
    // Captured (`request-headers-ws-upgrade-exec-routing-override-us.txt`): right after
    // `version`.
    if let Some(region) = routing_override {
        h.insert(ROUTING_OVERRIDE, region.clone());
    }
    h.insert(
        BETA_FEATURES,
        HeaderValue::from_static("remote_compaction_v2"),
    );
    let session = value("session-id", call.session_id)?;
    h.insert(CLIENT_REQUEST_ID, session.clone());
    h.insert(SESSION_ID, session.clone());
    h.insert(THREAD_ID, session);
    h.insert(WINDOW_ID, value("x-codex-window-id", &window_id)?);
    let metadata = turn_metadata(&Turn {
        installation_id: call.installation_id,
        session_id: call.session_id,
        turn_id: "",
        window_id: &window_id,
        request_kind: "prewarm",
        model: call.model,
    });
    h.insert(TURN_METADATA, value("x-codex-turn-metadata", &metadata)?);
    let hint = format!("model={}", call.model);
    h.insert(ROUTING_HINT, value("x-codex-routing-hint", &hint)?);
    Ok(())
}

/// Headers of `GET /wham/accounts/check` (startup user agent, as captured over h2 and
/// HTTP/1.1).
pub(crate) fn accounts_check(
    creds: &Credentials<'_>,
    profile: &ClientProfile,
    host: &str,
    cookie: Option<&HeaderValue>,
) -> Result<HeaderMap, UpstreamError> {
    let mut h = HeaderMap::with_capacity(6);
    h.insert(
        USER_AGENT,
        value("user-agent", &profile.startup_user_agent)?,
    );
    auth(&mut h, creds)?;
    h.insert(ACCEPT, HeaderValue::from_static("*/*"));
    if let Some(cookie) = cookie {
        h.insert(COOKIE, cookie.clone());
    }
    h.insert(HOST, value("host", host)?);
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
    cookie: Option<&HeaderValue>,
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
    if let Some(cookie) = cookie {
        h.insert(COOKIE, cookie.clone());
    }
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

pub(crate) fn value(name: &'static str, text: &str) -> Result<HeaderValue, UpstreamError> {
    HeaderValue::from_str(text).map_err(|_| UpstreamError::InvalidHeader { name })
}

/// Inputs of `x-codex-turn-metadata`.
pub(crate) struct Turn<'a> {
    pub(crate) installation_id: Option<&'a str>,
    pub(crate) session_id: &'a str,
    pub(crate) turn_id: &'a str,
    pub(crate) window_id: &'a str,
    /// `turn` (HTTP and WebSocket turns) or `prewarm` (WebSocket upgrade).
    pub(crate) request_kind: &'a str,
    pub(crate) model: &'a str,
}

/// The `x-codex-turn-metadata` JSON: the captured keys we can fill faithfully, in captured
/// order (installation_id, session_id, thread_id, turn_id, window_id, window_number,
/// request_kind, model).
pub(crate) fn turn_metadata(turn: &Turn<'_>) -> String {
    let mut out = String::with_capacity(256);
    out.push('{');
    if let Some(installation_id) = turn.installation_id {
        field(&mut out, "installation_id", installation_id);
    }
    field(&mut out, "session_id", turn.session_id);
    field(&mut out, "thread_id", turn.session_id);
    field(&mut out, "turn_id", turn.turn_id);
    field(&mut out, "window_id", turn.window_id);
    out.push_str(",\"window_number\":0");
    field(&mut out, "request_kind", turn.request_kind);
    field(&mut out, "model", turn.model);
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
