//! Golden tests for the Responses passthrough and images (STYLE.md item 19), one `check()` each:
//!
//! * `fixtures/golden/responses_passthrough/`: `<case>.json` client body (+ optional
//!   `<case>.options.json`, `<case>.compact` marker for the compact endpoint) → `<case>.responses.json`
//!   Codex body, or `<case>.error.json`; plus every `/v1/responses` request captured from a real
//!   client in `fixtures/clients/` → `clients__<file>__<n>.responses.json`.
//! * `fixtures/golden/responses_to_responses/`: every recorded stream in `fixtures/recorded/`
//!   (and `*.input.sse` cases in that folder) → `<case>.collect.json` (the non-streamed body or
//!   error); the streamed relay must re-emit every event unchanged (checked as a property), and
//!   derived cases also keep `<case>.relay.sse`.
//! * `fixtures/golden/images/`: `<case>.json` images body → `<case>.responses.json` or
//!   `<case>.error.json`; `<case>.input.sse` streams → `<case>.images.json`.
//!
//! Re-bless with `UPDATE_EXPECT=1 cargo test -p codex-proxy-translate --test golden_responses`.

#[path = "support/golden.rs"]
mod golden_support;

use std::fs;
use std::path::{Path, PathBuf};

use codex_proxy_schema::sse::SseDecoder;
use codex_proxy_translate::responses::{
    ImageCollector, ImageMode, PassthroughRoute, ResponsesCollector, ResponsesRelay,
    compact_request, images_error_body, images_request, passthrough_request, responses_error_body,
};
use codex_proxy_translate::{ErrorReply, ModelCatalog, RequestOptions};
use golden_support::{check_file as check, pretty, root, sorted_files as files};
use serde_json::{Value, json};

fn reply_json(reply: &ErrorReply, body: Vec<u8>) -> Value {
    json!({
        "status": reply.status,
        "kind": reply.kind.label(),
        "body": serde_json::from_slice::<Value>(&body).expect("error json"),
    })
}

fn options(path: &Path) -> RequestOptions {
    let mut opts = RequestOptions {
        catalog: ModelCatalog {
            models: [
                "gpt-5.4",
                "gpt-5.5",
                "gpt-5.4-mini",
                "gpt-5.3-codex",
                "gpt-fake",
            ]
            .map(String::from)
            .to_vec(),
            aliases: [("codex".to_owned(), "gpt-5.3-codex".to_owned())]
                .into_iter()
                .collect(),
            default_model: "gpt-5.4".into(),
        },
        ..RequestOptions::default()
    };
    if let Ok(text) = fs::read_to_string(path) {
        let v: Value = serde_json::from_str(&text).expect("options json");
        let s = |k: &str| v.get(k).and_then(Value::as_str).map(str::to_owned);
        opts.default_reasoning_effort = s("default_reasoning_effort");
        opts.default_service_tier = s("default_service_tier");
        if let Some(tools) = v.get("default_tools").and_then(Value::as_array) {
            opts.default_tools = tools
                .iter()
                .filter_map(|t| t.as_str().map(str::to_owned))
                .collect();
        }
    }
    opts
}

fn passthrough(body: &[u8], opts: &RequestOptions, compact: bool) -> (Value, bool) {
    if compact {
        return match compact_request(body, opts) {
            Ok(v) => (v, true),
            Err(e) => (
                reply_json(&e.to_reply(), responses_error_body(&e.to_reply())),
                false,
            ),
        };
    }
    match passthrough_request(body, opts, PassthroughRoute::default()) {
        Ok(t) => {
            let mut v = serde_json::to_value(&t.request).expect("request json");
            // Record the client-side choice next to the wire body.
            v["__client_stream"] = Value::Bool(t.stream);
            (v, true)
        }
        Err(e) => (
            reply_json(&e.to_reply(), responses_error_body(&e.to_reply())),
            false,
        ),
    }
}

#[test]
fn golden_responses_passthrough() {
    let dir = root().join("fixtures/golden/responses_passthrough");
    fs::create_dir_all(&dir).expect("golden dir");
    let mut failures = Vec::new();
    let inputs: Vec<PathBuf> = files(&dir, ".json")
        .into_iter()
        .filter(|p| {
            let name = p.to_string_lossy();
            !(name.ends_with(".responses.json")
                || name.ends_with(".error.json")
                || name.ends_with(".options.json"))
        })
        .collect();
    assert!(inputs.len() >= 5, "passthrough cases missing");
    for path in &inputs {
        let case = path.with_extension("");
        let case = case.to_string_lossy();
        let opts = options(Path::new(&format!("{case}.options.json")));
        let compact = Path::new(&format!("{case}.compact")).exists();
        let body = fs::read(path).expect("read case");
        let (value, ok) = passthrough(&body, &opts, compact);
        let out = if ok {
            format!("{case}.responses.json")
        } else {
            format!("{case}.error.json")
        };
        failures.extend(check(Path::new(&out), &pretty(&value)));
    }

    // Every captured real-client /v1/responses request.
    let clients = root().join("fixtures/clients");
    let mut seen = 0;
    for path in files(&clients, ".json") {
        let Ok(list) = serde_json::from_slice::<Vec<Value>>(&fs::read(&path).expect("read")) else {
            continue;
        };
        let stem = path.file_stem().and_then(|s| s.to_str()).expect("name");
        for (i, req) in list.iter().enumerate() {
            if req.get("path").and_then(Value::as_str) != Some("/v1/responses") {
                continue;
            }
            seen += 1;
            let body = serde_json::to_vec(&req["json"]).expect("body");
            let (value, ok) = passthrough(&body, &options(Path::new("")), false);
            assert!(ok, "{stem}[{i}] refused: {value}");
            failures.extend(check(
                &dir.join(format!("clients__{stem}__{i}.responses.json")),
                &pretty(&value),
            ));
        }
    }
    assert!(seen >= 4, "captured client requests missing");
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

/// Event (name, data) pairs of an SSE byte stream.
fn events(bytes: &[u8]) -> Vec<(String, String)> {
    let mut d = SseDecoder::new();
    d.push(bytes);
    let mut out = Vec::new();
    loop {
        match d.finish() {
            Ok(Some(f)) => {
                // WebSocket-style frames carry their name only in the JSON `type`.
                let name = match f.event {
                    Some(n) => n.to_owned(),
                    None => serde_json::from_str::<Value>(f.data)
                        .ok()
                        .and_then(|v| v.get("type").and_then(Value::as_str).map(str::to_owned))
                        .unwrap_or_default(),
                };
                out.push((name, f.data.to_owned()));
            }
            Ok(None) => return out,
            Err(e) => panic!("client stream does not decode: {e}"),
        }
    }
}

#[test]
fn golden_responses_to_responses() {
    let dir = root().join("fixtures/golden/responses_to_responses");
    fs::create_dir_all(&dir).expect("golden dir");
    let recorded = root().join("fixtures/recorded");
    let inputs = files(&recorded, ".sse");
    let derived = files(&dir, ".input.sse");
    assert!(
        inputs.len() >= 20 && !derived.is_empty(),
        "stream cases missing"
    );
    let mut failures = Vec::new();
    for path in inputs.iter().chain(&derived) {
        let is_derived = path.starts_with(&dir);
        let case = if is_derived {
            path.file_name()
                .and_then(|n| n.to_str())
                .and_then(|n| n.strip_suffix(".input.sse"))
                .expect("case")
                .to_owned()
        } else {
            let rel = path.strip_prefix(&recorded).expect("under recorded");
            rel.to_string_lossy()
                .trim_end_matches(".sse")
                .replace('/', "__")
        };
        let input = fs::read(path).expect("read");
        let mut relay = ResponsesRelay::new("resp_proxy_golden".into(), None);
        let mut collector = ResponsesCollector::new(None);
        let mut out = Vec::new();
        for piece in input.chunks(613) {
            relay.push_bytes(piece, &mut out);
            collector.push_bytes(piece);
        }
        relay.finish(&mut out);
        assert!(relay.is_terminated(), "{case}: relay left the stream open");

        // Property: every upstream event comes out unchanged and in order (except the
        // transport-only ones), followed at most by one synthetic `response.failed`.
        let upstream: Vec<(String, String)> = events(&input)
            .into_iter()
            .filter(|(n, d)| n != "codex.rate_limits" && d != "[DONE]")
            .collect();
        let relayed = events(&out);
        let same = relayed.len() >= upstream.len()
            && relayed.iter().zip(&upstream).all(|((n1, d1), (n2, d2))| {
                n1 == n2
                    && serde_json::from_str::<Value>(d1).ok()
                        == serde_json::from_str::<Value>(d2).ok()
            })
            && relayed.len() - upstream.len() <= 1;
        if !same {
            failures.push(format!("{case}: relay changed the event sequence"));
        }
        if is_derived {
            let text = String::from_utf8(out).expect("utf-8");
            failures.extend(check(&dir.join(format!("{case}.relay.sse")), &text));
        }
        let body = match collector.finish() {
            Ok(bytes) => serde_json::from_slice::<Value>(&bytes).expect("response json"),
            Err(reply) => reply_json(&reply, responses_error_body(&reply)),
        };
        failures.extend(check(
            &dir.join(format!("{case}.collect.json")),
            &pretty(&body),
        ));
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn golden_images() {
    let dir = root().join("fixtures/golden/images");
    fs::create_dir_all(&dir).expect("golden dir");
    let mut failures = Vec::new();
    let requests: Vec<PathBuf> = files(&dir, ".json")
        .into_iter()
        .filter(|p| {
            let n = p.to_string_lossy();
            !(n.ends_with(".responses.json")
                || n.ends_with(".error.json")
                || n.ends_with(".images.json"))
        })
        .collect();
    assert!(requests.len() >= 3, "image request cases missing");
    let opts = options(Path::new(""));
    for path in &requests {
        let case = path.with_extension("");
        let case = case.to_string_lossy();
        let mode = if case.contains("edit") {
            ImageMode::Edit
        } else {
            ImageMode::Generate
        };
        let body = fs::read(path).expect("read");
        let (value, out) = match images_request(&body, &opts, "gpt-5.5", mode) {
            Ok(t) => (
                serde_json::to_value(&t.request).expect("json"),
                format!("{case}.responses.json"),
            ),
            Err(reply) => (
                reply_json(&reply, images_error_body(&reply)),
                format!("{case}.error.json"),
            ),
        };
        failures.extend(check(Path::new(&out), &pretty(&value)));
    }
    let mut streams = files(&dir, ".input.sse");
    streams.push(root().join("fixtures/recorded/vercel__ai/openai-image-generation-tool.1.sse"));
    for path in &streams {
        let name = path.file_name().and_then(|n| n.to_str()).expect("name");
        let case = name.strip_suffix(".input.sse").map_or_else(
            || format!("vercel__ai__{}", name.trim_end_matches(".sse")),
            str::to_owned,
        );
        let mut c = ImageCollector::new();
        for piece in fs::read(path).expect("read").chunks(401) {
            c.push_bytes(piece);
        }
        let value = match c.finish(1_700_000_000) {
            Ok(bytes) => serde_json::from_slice::<Value>(&bytes).expect("json"),
            Err(reply) => reply_json(&reply, images_error_body(&reply)),
        };
        failures.extend(check(
            &dir.join(format!("{case}.images.json")),
            &pretty(&value),
        ));
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}
