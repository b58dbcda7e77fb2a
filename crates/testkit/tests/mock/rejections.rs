//! Strict validation: what the real backend refuses, the mock refuses too.

use bytes::Bytes;
use codex_proxy_testkit::validate::REJECTED_FIELDS;
use serde_json::{Value, json};

use crate::support::*;

async fn status_and_body(b: &Value) -> (u16, Value) {
    let server = server().await;
    let r = responses(&server, &account("acct-strict"), b).await;
    let v = if r.status == 200 {
        Value::Null
    } else {
        r.json()
    };
    (r.status, v)
}

#[tokio::test]
async fn unsupported_parameters_are_refused_by_name() {
    let server = server().await;
    let acct = account("acct-params");
    for field in REJECTED_FIELDS.iter().chain(&["some_future_field"]) {
        let mut b = body("x");
        b[*field] = json!(1);
        let r = responses(&server, &acct, &b).await;
        assert_eq!(r.status, 400, "{field}");
        assert_eq!(
            r.json()["detail"],
            format!("Unsupported parameter: {field}")
        );
    }
    assert_eq!(server.stats().rejected, REJECTED_FIELDS.len() as u64 + 1);
    assert!(
        server.stats().by_account.is_empty(),
        "rejected calls are not admitted"
    );
}

#[tokio::test]
async fn stream_store_model_and_tier_rules() {
    let mut b = body("x");
    b["stream"] = json!(false);
    assert_eq!(
        status_and_body(&b).await,
        (400, json!({ "detail": "Stream must be set to true" }))
    );
    b.as_object_mut().unwrap().remove("stream");
    assert_eq!(status_and_body(&b).await.0, 400);

    let mut b = body("x");
    b["store"] = json!(true);
    assert_eq!(
        status_and_body(&b).await,
        (400, json!({ "detail": "Store must be set to false" }))
    );

    let mut b = body("x");
    b["model"] = json!("gpt-4o");
    let (status, v) = status_and_body(&b).await;
    assert_eq!(status, 400);
    assert!(
        v["detail"]
            .as_str()
            .unwrap()
            .contains("model is not supported")
    );

    let mut b = body("x");
    b["service_tier"] = json!("fast");
    assert_eq!(status_and_body(&b).await.0, 400);
    b["service_tier"] = json!("priority");
    assert_eq!(status_and_body(&b).await.0, 200);

    let mut b = body("x");
    b["reasoning"] = json!({ "effort": "enormous" });
    assert_eq!(
        status_and_body(&b).await.1["error"]["param"],
        "reasoning.effort"
    );
}

#[tokio::test]
async fn input_items_and_parts_are_checked() {
    let mut b = body("x");
    b["input"] = json!([{ "role": "system", "content": "be nice" }]);
    assert_eq!(
        status_and_body(&b).await,
        (400, json!({ "detail": "System messages are not allowed" }))
    );

    b["input"] = json!([{ "type": "mystery_item" }]);
    let (status, v) = status_and_body(&b).await;
    assert_eq!(status, 400);
    assert_eq!(v["error"]["param"], "input[0].type");
    assert_eq!(v["error"]["code"], "invalid_value");

    b["input"] =
        json!([{ "role": "user", "content": [{ "type": "text", "text": "chat-style part" }] }]);
    let (status, v) = status_and_body(&b).await;
    assert_eq!(status, 400);
    assert_eq!(v["error"]["param"], "input[0].content[0].type");

    b["input"] =
        json!([{ "type": "reasoning", "id": "rs_1", "summary": [], "signature": "anthropic" }]);
    assert_eq!(
        status_and_body(&b).await.1["error"]["code"],
        "unknown_parameter"
    );

    b["input"] = json!("a bare string");
    assert_eq!(
        status_and_body(&b).await,
        (400, json!({ "detail": "Input must be a list" }))
    );

    b["input"] = json!([{ "type": "function_call_output", "call_id": "c" }]);
    assert_eq!(
        status_and_body(&b).await.1["error"]["param"],
        "input[0].output"
    );
}

#[tokio::test]
async fn function_tools_need_properties_and_a_name() {
    let mut b = body("x");
    b["tools"] = json!([{ "type": "function", "name": "f", "parameters": { "type": "object" } }]);
    let (status, v) = status_and_body(&b).await;
    assert_eq!(status, 400);
    assert_eq!(v["error"]["code"], "invalid_function_parameters");
    assert_eq!(v["error"]["param"], "tools[0].parameters");

    b["tools"] = json!([{ "type": "function", "function": { "name": "chat_style" } }]);
    assert_eq!(
        status_and_body(&b).await.1["error"]["param"],
        "tools[0].name"
    );

    b["tools"] = json!([{ "type": "function", "name": "f", "parameters": { "type": "object", "properties": {} } },
                        { "type": "web_search" }]);
    assert_eq!(status_and_body(&b).await.0, 200);
}

#[tokio::test]
async fn authentication_and_account_header() {
    let server = server().await;
    let acct = account("acct-auth");
    let b = body("x").to_string();
    let path = "/backend-api/codex/responses";
    let ct = ("content-type", "application/json");

    let r = send(
        server.addr(),
        "POST",
        path,
        &[ct, ("chatgpt-account-id", "acct-auth")],
        b.clone(),
    )
    .await;
    assert_eq!(r.status, 401);

    let r = send(
        server.addr(),
        "POST",
        path,
        &[
            ct,
            ("authorization", "Bearer not-a-jwt"),
            ("chatgpt-account-id", "acct-auth"),
        ],
        b.clone(),
    )
    .await;
    assert_eq!(r.status, 401);
    assert_eq!(r.json()["error"]["code"], "token_invalid");

    let expired = account_with_exp("acct-auth", 1_000);
    let bearer = format!("Bearer {}", expired.token);
    let r = send(
        server.addr(),
        "POST",
        path,
        &[
            ct,
            ("authorization", &bearer),
            ("chatgpt-account-id", "acct-auth"),
        ],
        b.clone(),
    )
    .await;
    assert_eq!(r.status, 401);
    assert_eq!(r.json()["error"]["code"], "token_expired");

    let bearer = format!("Bearer {}", acct.token);
    let r = send(
        server.addr(),
        "POST",
        path,
        &[ct, ("authorization", &bearer)],
        b.clone(),
    )
    .await;
    assert_eq!(r.status, 400);

    let r = send(
        server.addr(),
        "POST",
        path,
        &[
            ct,
            ("authorization", &bearer),
            ("chatgpt-account-id", "someone-else"),
        ],
        b.clone(),
    )
    .await;
    assert_eq!(r.status, 401);

    let r = send(
        server.addr(),
        "POST",
        path,
        &[
            ct,
            ("authorization", &bearer),
            ("chatgpt-account-id", "acct-auth"),
            ("content-encoding", "br"),
        ],
        Bytes::from_static(b"\x28\xb5\x2f\xfd"),
    )
    .await;
    assert_eq!(r.status, 415);

    // zstd is what the official client sends: a truncated frame is a bad request, not 415.
    let r = send(
        server.addr(),
        "POST",
        path,
        &[
            ct,
            ("authorization", &bearer),
            ("chatgpt-account-id", "acct-auth"),
            ("content-encoding", "zstd"),
        ],
        Bytes::from_static(b"\x28\xb5\x2f\xfd"),
    )
    .await;
    assert_eq!(r.status, 400);

    let r = send(
        server.addr(),
        "GET",
        path,
        &[
            ("authorization", &bearer),
            ("connection", "upgrade"),
            ("upgrade", "websocket"),
            ("sec-websocket-version", "13"),
            ("sec-websocket-key", "X3dTunj/fXFRPOR/flxMtA=="),
        ],
        "",
    )
    .await;
    assert_eq!(r.status, 426);
    // A refused upgrade is transport negotiation, not a rejected request.
    assert_eq!(server.stats().rejected, 7);
}

#[tokio::test]
async fn the_official_client_body_is_accepted() {
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../fixtures/official-client/request-body-responses-post-http1-followup.json"
    );
    let raw = std::fs::read(path).expect("official client capture in fixtures/official-client");
    let b: Value = serde_json::from_slice(&raw).unwrap();
    let server = server().await;
    let r = responses(&server, &account("acct-official"), &b).await;
    assert_eq!(r.status, 200, "{}", String::from_utf8_lossy(&r.body));
    let events = r.events();
    let text = deltas(&events, "response.output_text.delta");
    assert!(text.starts_with("tool result: Script completed"), "{text}");
    assert!(
        events
            .iter()
            .any(|(n, d)| n == "response.output_item.done" && d["item"]["type"] == "reasoning")
    );
}
