//! The responses-over-WebSocket endpoint (opt-in, [`crate::MockServer::enable_websocket`]):
//! authenticates the upgrade, answers `101`, then serves each `response.create` text frame with
//! event frames — a prewarm (`"generate": false`) gets `response.created` +
//! `response.completed` with no output; a turn gets an `echo: <last user text>` message. A
//! `previous_response_id` that is not this socket's last response gets an `error` event
//! (`previous_response_not_found`), as the real backend scopes responses to their socket.

use std::sync::Arc;

use futures_util::{SinkExt as _, StreamExt as _};
use http::request::Parts;
use http::{HeaderValue, Response, StatusCode, header};
use hyper::upgrade::OnUpgrade;
use hyper_util::rt::TokioIo;
use serde_json::{Value, json};
use tokio_tungstenite::WebSocketStream;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::handshake::derive_accept_key;
use tokio_tungstenite::tungstenite::protocol::Role;

use crate::auth;
use crate::body::{self, MockBody, Resp};
use crate::record::RecordedRequest;
use crate::responses;
use crate::state::State;

/// Answers the upgrade request and spawns the socket task.
pub(crate) fn upgrade(state: &Arc<State>, parts: &mut Parts) -> Resp {
    let info = match auth::authenticate(&parts.headers, true) {
        Ok(info) => info,
        Err(resp) => return responses::reject(state, *resp),
    };
    let Some(key) = parts.headers.get("sec-websocket-key") else {
        return responses::reject(
            state,
            body::detail(StatusCode::BAD_REQUEST, "missing Sec-WebSocket-Key"),
        );
    };
    let Some(on_upgrade) = parts.extensions.remove::<OnUpgrade>() else {
        return body::detail(
            StatusCode::UPGRADE_REQUIRED,
            "connection cannot be upgraded",
        );
    };
    let accept = derive_accept_key(key.as_bytes());
    let mut resp = Response::new(MockBody::Full(None));
    *resp.status_mut() = StatusCode::SWITCHING_PROTOCOLS;
    let h = resp.headers_mut();
    h.insert(header::UPGRADE, HeaderValue::from_static("websocket"));
    h.insert(header::CONNECTION, HeaderValue::from_static("Upgrade"));
    if let Ok(v) = HeaderValue::from_str(&accept) {
        h.insert("sec-websocket-accept", v);
    }
    let rl = state.rate_limits(state.account_snapshot(&info.account_id).0);
    responses::rate_limit_headers(h, &rl, &info.plan_type, false);
    let state = Arc::clone(state);
    let headers = parts.headers.clone();
    let uri = parts.uri.clone();
    tokio::spawn(async move {
        let Ok(upgraded) = on_upgrade.await else {
            return;
        };
        let socket =
            WebSocketStream::from_raw_socket(TokioIo::new(upgraded), Role::Server, None).await;
        serve(&state, socket, &headers, &uri).await;
    });
    resp
}

async fn serve<S>(
    state: &State,
    mut socket: WebSocketStream<S>,
    headers: &http::HeaderMap,
    uri: &http::Uri,
) where
    S: tokio::io::AsyncRead + tokio::io::AsyncWrite + Unpin,
{
    let mut last_id: Option<String> = None;
    while let Some(Ok(message)) = socket.next().await {
        let text = match message {
            Message::Text(text) => text,
            Message::Close(_) => break,
            _ => continue,
        };
        let request: Value = serde_json::from_str(text.as_str()).unwrap_or(Value::Null);
        if state.recording() {
            state.record(RecordedRequest::new(
                &http::Method::GET,
                uri,
                headers,
                Some(request.clone()),
            ));
        }
        for event in answer(state, &request, &mut last_id) {
            if socket.send(Message::text(event.to_string())).await.is_err() {
                return;
            }
        }
    }
}

/// The events answering one `response.create` frame.
fn answer(state: &State, request: &Value, last_id: &mut Option<String>) -> Vec<Value> {
    if request.get("type").and_then(Value::as_str) != Some("response.create") {
        return vec![error(
            "invalid_request_error",
            "expected a response.create message",
        )];
    }
    if let Some(previous) = request.get("previous_response_id").and_then(Value::as_str)
        && last_id.as_deref() != Some(previous)
    {
        return vec![error(
            "previous_response_not_found",
            "Previous response not found on this connection",
        )];
    }
    let model = request.get("model").and_then(Value::as_str).unwrap_or("");
    let id = format!("resp_ws_{:06}", state.next_id());
    *last_id = Some(id.clone());
    let envelope = |status: &str, output: Value| json!({"id": id, "object": "response", "status": status, "model": model, "output": output});
    let mut events = vec![
        json!({"type": "response.created", "sequence_number": 0, "response": envelope("in_progress", json!([]))}),
    ];
    if request.get("generate") == Some(&Value::Bool(false)) {
        events.push(json!({"type": "response.completed", "sequence_number": 1,
            "response": envelope("completed", json!([]))}));
        return events;
    }
    let text = format!("echo: {}", last_user_text(request).unwrap_or_default());
    let item = json!({"id": format!("msg_{id}"), "type": "message", "status": "completed",
        "role": "assistant", "content": [{"type": "output_text", "text": text, "annotations": []}]});
    events.push(
        json!({"type": "response.output_text.delta", "sequence_number": 1,
        "item_id": format!("msg_{id}"), "output_index": 0, "content_index": 0, "delta": text}),
    );
    events.push(
        json!({"type": "response.output_item.done", "sequence_number": 2,
        "output_index": 0, "item": item}),
    );
    events.push(json!({"type": "response.completed", "sequence_number": 3,
        "response": envelope("completed", json!([item]))}));
    events
}

fn error(code: &str, message: &str) -> Value {
    json!({"type": "error", "error": {"type": "invalid_request_error", "code": code, "message": message}})
}

/// Text of the last `user` message of `input` (string content or `input_text` parts).
fn last_user_text(request: &Value) -> Option<String> {
    let input = request.get("input")?.as_array()?;
    let message = input
        .iter()
        .rev()
        .find(|i| i.get("role").and_then(Value::as_str) == Some("user"))?;
    match message.get("content")? {
        Value::String(s) => Some(s.clone()),
        Value::Array(parts) => parts
            .iter()
            .rev()
            .find_map(|p| p.get("text").and_then(Value::as_str))
            .map(str::to_owned),
        _ => None,
    }
}
