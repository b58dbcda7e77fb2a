//! Golden tests for the Gemini translator (STYLE.md item 19), one `check_file()` per suite:
//!
//! * `fixtures/golden/responses_to_gemini/`: every recorded Responses stream under
//!   `fixtures/recorded/**/*.sse` (plus `*.input.sse` cases in that folder) translated to an
//!   `?alt=sse` stream (`<case>.gemini.sse`, thoughts included) and to a non-streamed body
//!   (`<case>.gemini.json`, or the Gemini error body with its status).
//! * `fixtures/golden/gemini_to_responses/`: `<case>.json` Gemini body (+ optional
//!   `<case>.options.json`: `model`, `stream`, `default_reasoning_effort`, `default_tools`) →
//!   `<case>.responses.json`, or `<case>.error.json`. Cases include the request bodies recorded
//!   from real Gemini clients (fantasy cassettes, google-genai, litellm).
//!
//! Re-bless with `UPDATE_EXPECT=1 cargo test -p codex-proxy-translate --test golden_gemini`.

#[path = "support/golden.rs"]
mod golden_support;

use std::fs;
use std::path::Path;

use codex_proxy_translate::gemini::{
    GeminiContext, GeminiSseCollector, GeminiSseTranslator, StreamFormat, request_to_responses,
    to_gemini_error_body,
};
use codex_proxy_translate::{ModelCatalog, RequestOptions};
use golden_support::{check_file, files, pretty, root, updating};
use serde_json::{Value, json};

fn context(format: StreamFormat) -> GeminiContext {
    GeminiContext {
        response_id: "resp-golden".into(),
        model_version: "gemini-2.5-pro".into(),
        include_thoughts: true,
        tuple_schema: None,
        format,
    }
}

fn check_stream(case: &str, input: &[u8], dir: &Path) -> Vec<String> {
    let mut failures = Vec::new();
    let mut translator = GeminiSseTranslator::new(context(StreamFormat::Sse));
    let mut array = GeminiSseTranslator::new(context(StreamFormat::JsonArray));
    let mut collector = GeminiSseCollector::new(context(StreamFormat::Sse));
    let (mut out, mut array_out) = (Vec::new(), Vec::new());
    for piece in input.chunks(977) {
        translator.push_bytes(piece, &mut out);
        array.push_bytes(piece, &mut array_out);
        collector.push_bytes(piece);
    }
    translator.finish(&mut out);
    array.finish(&mut array_out);
    let stream = String::from_utf8(out).expect("utf-8");
    let mut elements = Vec::new();
    for line in stream.lines().filter_map(|l| l.strip_prefix("data: ")) {
        match serde_json::from_str::<Value>(line) {
            Ok(v) => elements.push(v),
            Err(_) => failures.push(format!("{case}: data line is not JSON: {line}")),
        }
    }
    // The JSON-array framing carries exactly the same chunks.
    match serde_json::from_slice::<Value>(&array_out) {
        Ok(Value::Array(a)) if a == elements => {}
        _ => failures.push(format!(
            "{case}: JSON-array stream differs from the SSE stream"
        )),
    }
    failures.extend(check_file(&dir.join(format!("{case}.gemini.sse")), &stream));
    let body = match collector.finish() {
        Ok(bytes) => serde_json::from_slice::<Value>(&bytes).expect("response json"),
        Err(reply) => json!({
            "status": reply.status,
            "kind": reply.kind.label(),
            "body": serde_json::from_slice::<Value>(&to_gemini_error_body(&reply)).expect("error json"),
        }),
    };
    failures.extend(check_file(
        &dir.join(format!("{case}.gemini.json")),
        &pretty(&body),
    ));
    failures
}

#[test]
fn responses_to_gemini() {
    let dir = root().join("fixtures/golden/responses_to_gemini");
    fs::create_dir_all(&dir).expect("golden dir");
    let recorded = root().join("fixtures/recorded");
    let mut inputs = Vec::new();
    files(&recorded, ".sse", &mut inputs);
    let mut derived = Vec::new();
    files(&dir, ".input.sse", &mut derived);
    inputs.sort();
    derived.sort();
    assert!(inputs.len() >= 20, "recorded fixtures missing");
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

fn options(path: &Path) -> (RequestOptions, String, bool) {
    let mut opts = RequestOptions {
        catalog: ModelCatalog {
            models: ["gpt-5.4", "gpt-5.4-mini", "gpt-5.3-codex"]
                .map(String::from)
                .to_vec(),
            aliases: [("gemini-2.5-pro".to_owned(), "gpt-5.4".to_owned())]
                .into_iter()
                .collect(),
            default_model: "gpt-5.4".into(),
        },
        ..RequestOptions::default()
    };
    let Ok(text) = fs::read_to_string(path) else {
        return (opts, "gemini-2.5-flash".into(), false);
    };
    let v: Value = serde_json::from_str(&text).expect("options json");
    opts.default_reasoning_effort = v["default_reasoning_effort"].as_str().map(str::to_owned);
    if let Some(tools) = v["default_tools"].as_array() {
        opts.default_tools = tools
            .iter()
            .filter_map(Value::as_str)
            .map(str::to_owned)
            .collect();
    }
    let model = v["model"].as_str().unwrap_or("gemini-2.5-flash").to_owned();
    (opts, model, v["stream"].as_bool().unwrap_or(false))
}

#[test]
fn gemini_to_responses() {
    let dir = root().join("fixtures/golden/gemini_to_responses");
    let mut inputs = Vec::new();
    files(&dir, ".json", &mut inputs);
    inputs.retain(|p| {
        let name = p.to_string_lossy();
        !name.ends_with(".responses.json")
            && !name.ends_with(".error.json")
            && !name.ends_with(".options.json")
    });
    inputs.sort();
    assert!(inputs.len() >= 15, "request cases missing");
    let mut failures = Vec::new();
    for path in &inputs {
        let case = path
            .file_stem()
            .and_then(|n| n.to_str())
            .expect("case name");
        let body = fs::read(path).expect("read case");
        let (opts, model, stream) = options(&dir.join(format!("{case}.options.json")));
        let (file, other, value) = match request_to_responses(&model, &body, stream, &opts) {
            Ok(t) => (
                format!("{case}.responses.json"),
                format!("{case}.error.json"),
                json!({
                    "stream": t.translated.stream,
                    "client_model": t.translated.client_model,
                    "want_reasoning": t.translated.want_reasoning,
                    "include_thoughts": t.include_thoughts,
                    "tuple_schema": t.translated.tuple_schema,
                    "request": serde_json::to_value(&t.translated.request).expect("request json"),
                }),
            ),
            Err(err) => {
                let reply = err.to_reply();
                (
                    format!("{case}.error.json"),
                    format!("{case}.responses.json"),
                    json!({
                        "status": reply.status,
                        "body": serde_json::from_slice::<Value>(&to_gemini_error_body(&reply)).expect("error json"),
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

/// Field paths of a JSON value (`candidates[].content.parts[].text`, ...).
fn paths(v: &Value, prefix: &str, out: &mut std::collections::BTreeSet<String>) {
    match v {
        Value::Object(map) => {
            for (k, child) in map {
                let p = if prefix.is_empty() {
                    k.clone()
                } else {
                    format!("{prefix}.{k}")
                };
                out.insert(p.clone());
                // Call arguments are free-form.
                if k != "args" {
                    paths(child, &p, out);
                }
            }
        }
        Value::Array(items) => {
            for item in items {
                paths(item, &format!("{prefix}[]"), out);
            }
        }
        _ => {}
    }
}

/// Every field our Gemini output uses also occurs in real Gemini output
/// (`fixtures/recorded/gemini_reference/`), except the documented additions.
#[test]
fn output_shape_matches_real_gemini() {
    let reference_dir = root().join("fixtures/recorded/gemini_reference");
    let mut refs = Vec::new();
    files(&reference_dir, ".jsonl", &mut refs);
    assert!(refs.len() >= 6, "reference output missing");
    let mut real = std::collections::BTreeSet::new();
    for path in &refs {
        for line in fs::read_to_string(path).expect("read").lines() {
            let v: Value = serde_json::from_str(line).expect("reference chunk");
            paths(&v, "", &mut real);
        }
    }
    // Ours only: call ids, so clients can pair `functionResponse.id` (the v1beta
    // FunctionCall schema has `id`; these recordings just never carry one).
    real.insert("candidates[].content.parts[].functionCall.id".into());
    // Documented Gemini fields the recordings happen not to contain (generated images, cache).
    for p in ["inlineData", "inlineData.data", "inlineData.mimeType"] {
        real.insert(format!("candidates[].content.parts[].{p}"));
    }
    real.insert("usageMetadata.cachedContentTokenCount".into());
    let golden = root().join("fixtures/golden/responses_to_gemini");
    let mut ours = std::collections::BTreeSet::new();
    let mut outputs = Vec::new();
    files(&golden, ".gemini.sse", &mut outputs);
    for path in &outputs {
        for line in fs::read_to_string(path).expect("read").lines() {
            if let Some(data) = line.strip_prefix("data: ") {
                let v: Value = serde_json::from_str(data).expect("chunk");
                if v.get("error").is_none() {
                    paths(&v, "", &mut ours);
                }
            }
        }
    }
    assert!(!outputs.is_empty(), "golden outputs missing");
    let unknown: Vec<&String> = ours.difference(&real).collect();
    assert!(
        unknown.is_empty(),
        "fields real Gemini never sends: {unknown:?}"
    );
}
