//! Golden tests of the Anthropic translator, as data (STYLE.md item 19). Two suites:
//!
//! * `fixtures/golden/responses_to_anthropic/`: every recorded Responses stream under
//!   `fixtures/recorded/**/*.sse` (plus derived `*.input.sse` cases in that folder) translated to
//!   an Anthropic stream (`<case>.anthropic.sse`) and a non-streamed body
//!   (`<case>.anthropic.json`, or the error reply). Each stream is also checked structurally:
//!   `event:` names equal the data `type`, `message_start` first, every block started once and
//!   stopped once, and it ends with `message_stop` or `error`.
//! * `fixtures/golden/anthropic_to_responses/`: `<case>.json` Messages body (+ optional
//!   `<case>.options.json`) → `<case>.responses.json` or `<case>.error.json`; the captured
//!   client requests under `fixtures/clients/` (every `POST /v1/messages`) are cases too.
//!
//! Re-bless with `UPDATE_EXPECT=1 cargo test -p codex-proxy-translate --test golden_anthropic`.

#[path = "support/golden.rs"]
mod golden_support;

use std::collections::HashMap;
use std::fs;
use std::path::Path;

use codex_proxy_schema::sse::SseDecoder;
use codex_proxy_translate::anthropic::{
    AnthropicContext, AnthropicSseCollector, AnthropicSseTranslator, count_tokens,
    request_to_responses, to_error_body,
};
use codex_proxy_translate::{ModelCatalog, RequestOptions, SystemPromptStrategy};
use golden_support::{check_file, files, pretty, root, updating};
use serde_json::{Value, json};

fn context() -> AnthropicContext {
    AnthropicContext {
        id: "msg_golden".into(),
        model: "claude-sonnet-4-5".into(),
        want_reasoning: true,
    }
}

/// Structural invariants of an Anthropic stream; failure descriptions.
fn check_shape(case: &str, stream: &str) -> Vec<String> {
    let mut failures = Vec::new();
    let mut decoder = SseDecoder::new();
    decoder.push(stream.as_bytes());
    let mut names = Vec::new();
    let mut open: HashMap<i64, bool> = HashMap::new();
    while let Ok(Some(frame)) = decoder.finish() {
        let Ok(data) = serde_json::from_str::<Value>(frame.data) else {
            failures.push(format!("{case}: data is not JSON: {}", frame.data));
            continue;
        };
        let name = frame.event.unwrap_or("").to_owned();
        if data["type"] != name.as_str() {
            failures.push(format!(
                "{case}: event `{name}` carries type {}",
                data["type"]
            ));
        }
        let index = data["index"].as_i64().unwrap_or(-1);
        match name.as_str() {
            "content_block_start" if open.insert(index, true).is_some() => {
                failures.push(format!("{case}: block {index} started twice"))
            }
            "content_block_delta" if open.get(&index) != Some(&true) => {
                failures.push(format!("{case}: delta for closed block {index}"))
            }
            "content_block_stop" if open.insert(index, false) != Some(true) => failures.push(
                format!("{case}: block {index} stopped twice or never started"),
            ),
            "message_stop" if open.values().any(|o| *o) => {
                failures.push(format!("{case}: message_stop with an open block"))
            }
            _ => {}
        }
        names.push(name);
    }
    if names.first().map(String::as_str) != Some("message_start") {
        failures.push(format!("{case}: does not start with message_start"));
    }
    if !matches!(
        names.last().map(String::as_str),
        Some("message_stop" | "error")
    ) {
        failures.push(format!("{case}: does not end with message_stop or error"));
    }
    failures
}

#[test]
fn responses_to_anthropic() {
    let dir = root().join("fixtures/golden/responses_to_anthropic");
    let recorded = root().join("fixtures/recorded");
    let mut inputs = Vec::new();
    files(&recorded, ".sse", &mut inputs);
    let mut derived = Vec::new();
    files(&dir, ".input.sse", &mut derived);
    inputs.sort();
    derived.sort();
    assert!(inputs.len() >= 20 && derived.len() >= 5, "fixtures missing");
    let mut failures = Vec::new();
    for path in inputs.iter().chain(&derived) {
        let case = match path.strip_prefix(&recorded) {
            Ok(rel) => rel
                .to_string_lossy()
                .trim_end_matches(".sse")
                .replace('/', "__"),
            Err(_) => path
                .file_name()
                .and_then(|n| n.to_str())
                .and_then(|n| n.strip_suffix(".input.sse"))
                .expect("case")
                .to_owned(),
        };
        let input = fs::read(path).expect("read fixture");
        let mut translator = AnthropicSseTranslator::new(context());
        let mut collector = AnthropicSseCollector::new(context());
        let mut out = Vec::new();
        for piece in input.chunks(613) {
            translator.push_bytes(piece, &mut out);
            collector.push_bytes(piece);
        }
        translator.finish(&mut out);
        let stream = String::from_utf8(out).expect("utf-8 output");
        failures.extend(check_shape(&case, &stream));
        failures.extend(check_file(
            &dir.join(format!("{case}.anthropic.sse")),
            &stream,
        ));
        let body = match collector.finish() {
            Ok(bytes) => serde_json::from_slice::<Value>(&bytes).expect("message json"),
            Err(reply) => json!({
                "status": reply.status,
                "kind": reply.kind.label(),
                "body": serde_json::from_slice::<Value>(&to_error_body(&reply)).expect("error json"),
            }),
        };
        failures.extend(check_file(
            &dir.join(format!("{case}.anthropic.json")),
            &pretty(&body),
        ));
    }
    assert!(
        failures.is_empty(),
        "{} golden failures:\n{}",
        failures.len(),
        failures.join("\n")
    );
}

fn options(path: &Path) -> RequestOptions {
    let aliases = [
        ("claude-opus", "gpt-5.5"),
        ("claude-sonnet", "gpt-5.4"),
        ("claude-haiku", "gpt-5.3-codex"),
        ("claude-sonnet-4-5", "gpt-5.4"),
    ];
    let mut opts = RequestOptions {
        catalog: ModelCatalog {
            models: ["gpt-5.5", "gpt-5.4", "gpt-5.4-mini", "gpt-5.3-codex"]
                .map(String::from)
                .to_vec(),
            aliases: aliases
                .into_iter()
                .map(|(a, b)| (a.to_owned(), b.to_owned()))
                .collect(),
            default_model: "gpt-5.4".into(),
        },
        ..RequestOptions::default()
    };
    let Ok(text) = fs::read_to_string(path) else {
        return opts;
    };
    let v: Value = serde_json::from_str(&text).expect("options json");
    let s = |k: &str| v.get(k).and_then(Value::as_str).map(str::to_owned);
    if let Some(strategy) = s("system_prompt_strategy") {
        opts.system_prompt_strategy = SystemPromptStrategy::parse(&strategy).expect("strategy");
    }
    opts.default_reasoning_effort = s("default_reasoning_effort");
    opts.default_service_tier = s("default_service_tier");
    if let Some(tools) = v.get("default_tools").and_then(Value::as_array) {
        opts.default_tools = tools
            .iter()
            .filter_map(Value::as_str)
            .map(str::to_owned)
            .collect();
    }
    opts
}

/// Every `POST /v1/messages` body captured from real clients, as (case name, body).
fn captured_requests() -> Vec<(String, Vec<u8>)> {
    let dir = root().join("fixtures/clients");
    let mut paths = Vec::new();
    files(&dir, ".json", &mut paths);
    paths.sort();
    let mut out = Vec::new();
    for path in paths {
        let list: Value =
            serde_json::from_slice(&fs::read(&path).expect("read capture")).expect("capture json");
        let stem = path
            .file_stem()
            .and_then(|s| s.to_str())
            .expect("stem")
            .to_owned();
        for (i, req) in list.as_array().into_iter().flatten().enumerate() {
            let path_ok = req["path"]
                .as_str()
                .is_some_and(|p| p.split('?').next() == Some("/v1/messages"));
            if req["method"] == "POST" && path_ok {
                out.push((
                    format!("client__{stem}__{i}"),
                    req["json"].to_string().into_bytes(),
                ));
            }
        }
    }
    out
}

#[test]
fn anthropic_to_responses() {
    let dir = root().join("fixtures/golden/anthropic_to_responses");
    let mut inputs = Vec::new();
    files(&dir, ".json", &mut inputs);
    inputs.retain(|p| {
        let name = p.to_string_lossy();
        !name.ends_with(".responses.json")
            && !name.ends_with(".error.json")
            && !name.ends_with(".options.json")
    });
    inputs.sort();
    let mut cases: Vec<(String, Vec<u8>)> = inputs
        .iter()
        .map(|p| {
            (
                p.file_stem()
                    .and_then(|n| n.to_str())
                    .expect("case")
                    .to_owned(),
                fs::read(p).expect("read case"),
            )
        })
        .collect();
    let captured = captured_requests();
    assert!(
        captured.len() >= 6,
        "captured client requests missing: {}",
        captured.len()
    );
    cases.extend(captured);
    let mut failures = Vec::new();
    for (case, body) in &cases {
        let opts = options(&dir.join(format!("{case}.options.json")));
        let (file, other, value) = match request_to_responses(body, &opts) {
            Ok(t) => (
                format!("{case}.responses.json"),
                format!("{case}.error.json"),
                json!({
                    "stream": t.stream,
                    "client_model": t.client_model,
                    "conversation_id": t.conversation_id,
                    "want_reasoning": t.want_reasoning,
                    "request": serde_json::to_value(&t.request).expect("request json"),
                }),
            ),
            Err(err) => {
                let reply = err.to_reply();
                (
                    format!("{case}.error.json"),
                    format!("{case}.responses.json"),
                    json!({"status": reply.status, "body": serde_json::from_slice::<Value>(&to_error_body(&reply)).expect("error json")}),
                )
            }
        };
        if dir.join(&other).exists() {
            if updating() {
                fs::remove_file(dir.join(&other)).expect("remove stale golden");
            } else {
                failures.push(format!("{case}: stale {other} (outcome changed)"));
            }
        }
        failures.extend(check_file(&dir.join(file), &pretty(&value)));
    }
    assert!(
        failures.is_empty(),
        "{} golden failures:\n{}",
        failures.len(),
        failures.join("\n")
    );
}

/// The count is a real o200k count: within 5% of tokenizing the same text in one piece, and
/// far from the character heuristic on the large Claude Code request.
#[test]
fn count_tokens_on_the_claude_code_request() {
    let (_, body) = captured_requests()
        .into_iter()
        .find(|(case, _)| case.starts_with("client__claude-code_print"))
        .expect("claude code capture");
    let opts = options(Path::new("/nonexistent"));
    let n = count_tokens(&body, &opts).expect("counts");
    let translated = request_to_responses(&body, &opts).expect("translates");
    let req = serde_json::to_value(&translated.request).expect("json");
    let mut whole = String::new();
    whole.push_str(req["instructions"].as_str().unwrap_or(""));
    for item in req["input"].as_array().into_iter().flatten() {
        match &item["content"] {
            Value::String(s) => whole.push_str(s),
            Value::Array(parts) => parts
                .iter()
                .filter_map(|p| p["text"].as_str())
                .for_each(|t| whole.push_str(t)),
            _ => {}
        }
    }
    for tool in req["tools"].as_array().into_iter().flatten() {
        whole.push_str(&tool.to_string());
    }
    let exact = tiktoken_rs::o200k_base_singleton().count_ordinary(&whole) as f64;
    let ratio = n as f64 / exact;
    assert!(
        (0.95..=1.05).contains(&ratio),
        "count {n} vs exact {exact}: ratio {ratio}"
    );
    let chars = body.len() as f64 / 4.0;
    assert!(
        (n as f64) < chars,
        "a real count is below the bytes/4 heuristic on JSON-heavy input"
    );
}
