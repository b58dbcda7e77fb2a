//! The JSON endpoints: models, usage, accounts check, compact, and the `/__mock/*` admin API.

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use bytes::Bytes;
use http::{StatusCode, request::Parts};
use serde_json::{Value, json};

use crate::auth;
use crate::body::{self, Resp};
use crate::echo::Turn;
use crate::fault::Fault;
use crate::responses::{fault_response, parse_body, reject};
use crate::state::{PRIMARY_WINDOW_SECS, SECONDARY_WINDOW_SECS, State};
use crate::validate;

/// `GET /codex/models?client_version=…`: `{"models":[…]}` in the catalog's shape.
pub(crate) fn models(state: &State, parts: &Parts) -> Resp {
    if let Err(resp) = auth::authenticate(&parts.headers, false) {
        return reject(state, *resp);
    }
    let models: Vec<Value> = state
        .cfg
        .models
        .iter()
        .enumerate()
        .map(|(i, slug)| model_entry(slug, i))
        .collect();
    body::json(StatusCode::OK, &json!({ "models": models }))
}

fn model_entry(slug: &str, priority: usize) -> Value {
    let levels: Vec<Value> = ["low", "medium", "high", "xhigh"]
        .iter()
        .map(|e| json!({ "effort": e, "description": format!("{e} reasoning effort") }))
        .collect();
    let mini = slug.contains("mini") || slug.contains("spark");
    json!({
        "slug": slug,
        "display_name": slug.strip_prefix("gpt").map_or_else(|| slug.to_owned(), |rest| format!("GPT{rest}")),
        "description": format!("Mock model {slug}."),
        "default_reasoning_level": "medium",
        "supported_reasoning_levels": levels,
        "default_reasoning_summary": "auto",
        "shell_type": "shell_command",
        "visibility": "list",
        "supported_in_api": true,
        "priority": priority,
        "availability_nux": null,
        "upgrade": null,
        "minimal_client_version": "0.1.0",
        "input_modalities": if mini { json!(["text"]) } else { json!(["text", "image"]) },
        "prefer_websockets": false,
        "use_responses_lite": false,
        "supports_parallel_tool_calls": true,
        "supports_reasoning_summaries": true,
        "support_verbosity": true,
        "default_verbosity": "low",
        "apply_patch_tool_type": "freeform",
        "truncation_policy": { "mode": "tokens", "limit": 10000 },
        "context_window": 272000,
        "max_context_window": if mini { 272000 } else { 1000000 },
        "auto_compact_token_limit": null,
        "available_in_plans": ["plus", "pro", "team", "business", "enterprise", "edu"],
    })
}

fn window(used: u64, window_secs: u64, reset_after: u64, now: u64) -> Value {
    json!({
        "used_percent": used,
        "limit_window_seconds": window_secs,
        "reset_after_seconds": reset_after,
        "reset_at": now + reset_after,
    })
}

/// `GET /wham/usage` (and `/codex/usage`): spec §10.1 shape, numbers moving with the account's use.
pub(crate) fn usage(state: &State, parts: &Parts) -> Resp {
    let info = match auth::authenticate(&parts.headers, false) {
        Ok(info) => info,
        Err(resp) => return reject(state, *resp),
    };
    let (count, limited) = state.account_snapshot(&info.account_id);
    let rl = state.rate_limits(count);
    let primary = if limited { 100 } else { rl.primary_used };
    let value = json!({
        "user_id": info.user_id,
        "account_id": info.account_id,
        "email": info.email,
        "plan_type": info.plan_type,
        "rate_limit": {
            "allowed": !limited,
            "limit_reached": limited,
            "primary_window": window(primary, PRIMARY_WINDOW_SECS, rl.primary_reset_after, rl.now),
            "secondary_window": window(rl.secondary_used, SECONDARY_WINDOW_SECS, rl.secondary_reset_after, rl.now),
        },
        "code_review_rate_limit": null,
        "additional_rate_limits": [],
        "credits": {
            "has_credits": false,
            "unlimited": false,
            "overage_limit_reached": false,
            "balance": "0",
            "approx_local_messages": [0, 0],
            "approx_cloud_messages": [0, 0],
        },
        "rate_limit_reset_credits": { "available_count": 0 },
        "spend_control": { "reached": false, "individual_limit": null },
        "rate_limit_reached_type": if limited { json!({ "type": "primary", "details": null }) } else { Value::Null },
        "promo": null,
    });
    body::json(StatusCode::OK, &value)
}

/// `GET /wham/accounts/check`: the workspace routing answer the official client requires.
pub(crate) fn accounts_check(state: &State, parts: &Parts) -> Resp {
    let info = match auth::authenticate(&parts.headers, false) {
        Ok(info) => info,
        Err(resp) => return reject(state, *resp),
    };
    let value = json!({
        "accounts": [{
            "id": info.account_id,
            "name": null,
            "structure": "personal",
            "plan_type": info.plan_type,
            "workspace_backend_origin": "https://chatgpt.com",
            "account_routing_override": state.cfg.routing_override.as_deref().unwrap_or("NO_CONSTRAINT"),
            "is_default": true,
            "profile_picture_url": null,
        }],
        "account_ordering": [info.account_id],
    });
    body::json(StatusCode::OK, &value)
}

/// `POST /codex/responses/compact`: the user messages of the input followed by a compaction item.
pub(crate) fn compact(
    state: &State,
    parts: &Parts,
    body: &Bytes,
    json: &mut Option<Value>,
) -> Resp {
    let info = match auth::authenticate(&parts.headers, true) {
        Ok(info) => info,
        Err(resp) => return reject(state, *resp),
    };
    let value = match parse_body(&parts.headers, body) {
        Ok(v) => v,
        Err(resp) => return reject(state, *resp),
    };
    let value = &*json.insert(value);
    if let Err(resp) = validate::compact(value, &state.cfg.models) {
        return reject(state, *resp);
    }
    let turn = Turn::read(value);
    let adm = state.admit(&info.account_id, None, turn.marker_fault());
    if let Some(fault) = adm.fault.filter(Fault::is_http_error) {
        return fault_response(fault, &info, &state.rate_limits(adm.count));
    }
    let n = state.next_id();
    let mut output: Vec<Value> = value
        .get("input")
        .and_then(Value::as_array)
        .map(|items| {
            items
                .iter()
                .filter(|it| it.get("role").and_then(Value::as_str) == Some("user"))
                .cloned()
                .collect()
        })
        .unwrap_or_default();
    let blob = STANDARD.encode(format!("mock-compaction:v1:{n}:{}", body.len()));
    output.push(json!({ "type": "compaction", "id": format!("cmp_mock{n:016x}"), "encrypted_content": blob }));
    let input_tokens = (body.len() as u64 / 4).max(1);
    let value = json!({
        "id": format!("resp_mock{n:016x}"),
        "object": "response.compaction",
        "output": output,
        "usage": {
            "input_tokens": input_tokens,
            "input_tokens_details": { "cached_tokens": 0 },
            "output_tokens": 64,
            "output_tokens_details": { "reasoning_tokens": 0 },
            "total_tokens": input_tokens + 64,
        },
    });
    body::json(StatusCode::OK, &value)
}

/// `POST /__mock/faults` `{"account_id","fault","times"?}` and `DELETE /__mock/faults[?account_id=]`.
pub(crate) fn faults(state: &State, parts: &Parts, body: &Bytes) -> Resp {
    if parts.method == http::Method::DELETE {
        let q = crate::oauth::parse_form(parts.uri.query().unwrap_or("").as_bytes());
        state.clear_faults(q.get("account_id").map(String::as_str));
        return body::json(StatusCode::OK, &json!({ "cleared": true }));
    }
    let Ok(v) = serde_json::from_slice::<Value>(body) else {
        return body::detail(StatusCode::BAD_REQUEST, "body must be JSON");
    };
    let account = v.get("account_id").and_then(Value::as_str);
    let fault = v.get("fault").and_then(Value::as_str).map(Fault::parse);
    let times = v
        .get("times")
        .and_then(Value::as_u64)
        .map(|t| u32::try_from(t).unwrap_or(u32::MAX));
    match (account, fault) {
        (Some(account), Some(Ok(fault))) => {
            state.set_fault(account, fault, times);
            body::json(
                StatusCode::OK,
                &json!({ "account_id": account, "fault": fault.label(), "times": times }),
            )
        }
        (_, Some(Err(e))) => body::detail(StatusCode::BAD_REQUEST, &e.to_string()),
        _ => body::detail(StatusCode::BAD_REQUEST, "account_id and fault are required"),
    }
}

/// `GET /__mock/stats`.
pub(crate) fn stats(state: &State) -> Resp {
    match serde_json::to_value(state.stats()) {
        Ok(v) => body::json(StatusCode::OK, &v),
        Err(e) => body::detail(StatusCode::INTERNAL_SERVER_ERROR, &e.to_string()),
    }
}

/// `GET /__mock/requests`: the in-memory request records (see `MockConfig::keep_requests`).
pub(crate) fn requests(state: &State) -> Resp {
    match serde_json::to_value(state.requests()) {
        Ok(v) => body::json(StatusCode::OK, &v),
        Err(e) => body::detail(StatusCode::INTERNAL_SERVER_ERROR, &e.to_string()),
    }
}
