//! Golden tests as data (STYLE.md item 19). Two suites, one `check()` each:
//!
//! * `fixtures/golden/responses_to_openai/`: every recorded Responses stream under
//!   `fixtures/recorded/**/*.sse` (plus derived `*.input.sse` cases in that folder) translated to
//!   a client stream (`<case>.openai.sse`) and to a non-streamed body (`<case>.openai.json`, or the
//!   error reply).
//! * `fixtures/golden/openai_to_responses/`: `<case>.json` chat request (+ optional
//!   `<case>.options.json`) → `<case>.responses.json` Codex request, or `<case>.error.json`.
//!
//! Re-bless with `UPDATE_EXPECT=1 cargo test -p codex-proxy-translate --test golden`.

#[path = "support/golden.rs"]
mod golden_support;

use std::fs;
use std::path::Path;

use codex_proxy_translate::openai_chat::{
    ChatSseCollector, ChatSseTranslator, request_to_responses,
};
use codex_proxy_translate::{
    ModelCatalog, RequestOptions, StreamContext, SystemPromptStrategy, to_openai_error_body,
};
use golden_support::{check_file, files, pretty, root, updating};
use serde_json::{Value, json};

fn context() -> StreamContext {
    StreamContext {
        id: "chatcmpl-golden".into(),
        created: 1_700_000_000,
        model: "gpt-5.4".into(),
        ..StreamContext::default()
    }
}

/// One Responses stream → the two expected files.
fn check_stream(case: &str, input: &[u8], dir: &Path) -> Vec<String> {
    let mut failures = Vec::new();
    // Feed in uneven pieces to exercise incremental decoding.
    let mut translator = ChatSseTranslator::new(context());
    let mut collector = ChatSseCollector::new(context());
    let mut out = Vec::new();
    for piece in input.chunks(977) {
        translator.push_bytes(piece, &mut out);
        collector.push_bytes(piece);
    }
    translator.finish(&mut out);
    let stream = String::from_utf8(out).expect("utf-8 output");
    for line in stream
        .lines()
        .filter_map(|l| l.strip_prefix("data: "))
        .filter(|l| *l != "[DONE]")
    {
        if serde_json::from_str::<Value>(line).is_err() {
            failures.push(format!(
                "{case}: emitted a data line that is not JSON: {line}"
            ));
        }
    }
    if !stream.ends_with("data: [DONE]\n\n") {
        failures.push(format!("{case}: stream does not end with [DONE]"));
    }
    failures.extend(check_file(&dir.join(format!("{case}.openai.sse")), &stream));
    let body = match collector.finish() {
        Ok(bytes) => serde_json::from_slice::<Value>(&bytes).expect("completion json"),
        Err(reply) => json!({
            "status": reply.status,
            "kind": reply.kind.label(),
            "body": serde_json::from_slice::<Value>(&to_openai_error_body(&reply)).expect("error json"),
        }),
    };
    failures.extend(check_file(
        &dir.join(format!("{case}.openai.json")),
        &pretty(&body),
    ));
    failures
}

#[test]
fn responses_to_openai() {
    let dir = root().join("fixtures/golden/responses_to_openai");
    fs::create_dir_all(&dir).expect("golden dir");
    let recorded = root().join("fixtures/recorded");
    let mut inputs = Vec::new();
    files(&recorded, ".sse", &mut inputs);
    let mut derived = Vec::new();
    files(&dir, ".input.sse", &mut derived);
    inputs.sort();
    derived.sort();
    assert!(
        inputs.len() >= 20,
        "recorded fixtures missing under {}",
        recorded.display()
    );
    assert!(!derived.is_empty(), "derived cases missing");
    let mut failures = Vec::new();
    for path in inputs.iter().chain(&derived) {
        let case = if path.starts_with(&dir) {
            path.file_name()
                .and_then(|n| n.to_str())
                .and_then(|n| n.strip_suffix(".input.sse"))
                .expect("case name")
                .to_owned()
        } else {
            let rel = path.strip_prefix(&recorded).expect("under recorded");
            rel.to_string_lossy()
                .trim_end_matches(".sse")
                .replace('/', "__")
        };
        let input = fs::read(path).expect("read fixture");
        failures.extend(check_stream(&case, &input, &dir));
    }
    assert!(
        failures.is_empty(),
        "{} golden failures:\n{}",
        failures.len(),
        failures.join("\n")
    );
}

fn options(path: &Path) -> RequestOptions {
    let mut opts = RequestOptions {
        catalog: ModelCatalog {
            models: ["gpt-5.4", "gpt-5.4-mini", "gpt-5.3-codex", "gpt-5-codex"]
                .map(String::from)
                .to_vec(),
            aliases: [("codex".to_owned(), "gpt-5.3-codex".to_owned())]
                .into_iter()
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
    opts.instructions_prefix = s("instructions_prefix");
    opts.cursor_mode = v
        .get("cursor_mode")
        .and_then(Value::as_bool)
        .unwrap_or(false);
    if let Some(tools) = v.get("default_tools").and_then(Value::as_array) {
        opts.default_tools = tools
            .iter()
            .filter_map(Value::as_str)
            .map(str::to_owned)
            .collect();
    }
    opts
}

#[test]
fn openai_to_responses() {
    let dir = root().join("fixtures/golden/openai_to_responses");
    let mut inputs = Vec::new();
    files(&dir, ".json", &mut inputs);
    inputs.retain(|p| {
        let name = p.to_string_lossy();
        !name.ends_with(".responses.json")
            && !name.ends_with(".error.json")
            && !name.ends_with(".options.json")
    });
    inputs.sort();
    assert!(inputs.len() >= 30, "request cases missing");
    let mut failures = Vec::new();
    for path in &inputs {
        let case = path
            .file_stem()
            .and_then(|n| n.to_str())
            .expect("case name");
        let body = fs::read(path).expect("read case");
        let opts = options(&dir.join(format!("{case}.options.json")));
        let (file, other, value) = match request_to_responses(&body, &opts) {
            Ok(t) => (
                format!("{case}.responses.json"),
                format!("{case}.error.json"),
                json!({
                    "stream": t.stream,
                    "include_usage": t.include_usage,
                    "client_model": t.client_model,
                    "conversation_id": t.conversation_id,
                    "want_reasoning": t.want_reasoning,
                    "tuple_schema": t.tuple_schema,
                    "request": serde_json::to_value(&t.request).expect("request json"),
                }),
            ),
            Err(err) => {
                let reply = err.to_reply();
                (
                    format!("{case}.error.json"),
                    format!("{case}.responses.json"),
                    json!({
                        "status": reply.status,
                        "body": serde_json::from_slice::<Value>(&to_openai_error_body(&reply)).expect("error json"),
                    }),
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
