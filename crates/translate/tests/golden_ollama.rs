//! Golden tests for the Ollama translator (STYLE.md item 19), one `check_file()` per suite:
//!
//! * `fixtures/golden/responses_to_ollama/`: every recorded Responses stream under
//!   `fixtures/recorded/**/*.sse` (plus `*.input.sse` cases in that folder) translated to an
//!   `/api/chat` NDJSON stream (`<case>.ollama.ndjson`) and to a non-streamed reply
//!   (`<case>.ollama.json`, or the Ollama error body with its status).
//! * `fixtures/golden/ollama_to_responses/`: `<case>.json` `/api/chat` body (`<case>.generate.json`
//!   for `/api/generate`, optional `<case>.options.json`) → `<case>.responses.json`, or
//!   `<case>.error.json`. Cases include requests captured from ollama-python and litellm.
//!
//! Re-bless with `UPDATE_EXPECT=1 cargo test -p codex-proxy-translate --test golden_ollama`.

#[path = "support/golden.rs"]
mod golden_support;

use std::fs;
use std::path::Path;

use codex_proxy_translate::ollama::{
    OllamaContext, OllamaMode, OllamaSseCollector, OllamaSseTranslator, chat_to_responses,
    generate_to_responses, to_ollama_error_body,
};
use codex_proxy_translate::{ModelCatalog, RequestOptions};
use golden_support::{check_file, files, pretty, root, updating};
use serde_json::{Value, json};

fn context() -> OllamaContext {
    OllamaContext {
        model: "llama3.2".into(),
        created_at: "2026-01-01T00:00:00Z".into(),
        mode: OllamaMode::Chat,
        tuple_schema: None,
    }
}

fn check_stream(case: &str, input: &[u8], dir: &Path) -> Vec<String> {
    let mut failures = Vec::new();
    let mut translator = OllamaSseTranslator::new(context());
    let mut collector = OllamaSseCollector::new(context());
    let mut out = Vec::new();
    for piece in input.chunks(977) {
        translator.push_bytes(piece, &mut out);
        collector.push_bytes(piece);
    }
    translator.finish(&mut out);
    let stream = String::from_utf8(out).expect("utf-8");
    let lines: Vec<&str> = stream.lines().collect();
    for line in &lines {
        if serde_json::from_str::<Value>(line).is_err() {
            failures.push(format!("{case}: line is not JSON: {line}"));
        }
    }
    // Exactly one terminal line, and it is the last one.
    let last = lines
        .last()
        .and_then(|l| serde_json::from_str::<Value>(l).ok());
    let terminal = last.is_some_and(|v| v["done"] == true || v["error"].is_string());
    if !terminal {
        failures.push(format!("{case}: stream does not end with done or error"));
    }
    failures.extend(check_file(
        &dir.join(format!("{case}.ollama.ndjson")),
        &stream,
    ));
    let body = match collector.finish() {
        Ok(bytes) => serde_json::from_slice::<Value>(&bytes).expect("reply json"),
        Err(reply) => json!({
            "status": reply.status,
            "kind": reply.kind.label(),
            "body": serde_json::from_slice::<Value>(&to_ollama_error_body(&reply)).expect("error json"),
        }),
    };
    failures.extend(check_file(
        &dir.join(format!("{case}.ollama.json")),
        &pretty(&body),
    ));
    failures
}

#[test]
fn responses_to_ollama() {
    let dir = root().join("fixtures/golden/responses_to_ollama");
    fs::create_dir_all(&dir).expect("golden dir");
    let recorded = root().join("fixtures/recorded");
    let mut inputs = Vec::new();
    files(&recorded, ".sse", &mut inputs);
    inputs.sort();
    assert!(inputs.len() >= 20, "recorded fixtures missing");
    let mut failures = Vec::new();
    for path in &inputs {
        let rel = path.strip_prefix(&recorded).expect("under recorded");
        let case = rel
            .to_string_lossy()
            .trim_end_matches(".sse")
            .replace('/', "__");
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
            models: ["gpt-5.4", "gpt-5.4-mini", "gpt-5.3-codex"]
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
        opts.default_reasoning_effort = v["default_reasoning_effort"].as_str().map(str::to_owned);
    }
    opts
}

#[test]
fn ollama_to_responses() {
    let dir = root().join("fixtures/golden/ollama_to_responses");
    let mut inputs = Vec::new();
    files(&dir, ".json", &mut inputs);
    inputs.retain(|p| {
        let name = p.to_string_lossy();
        !name.ends_with(".responses.json")
            && !name.ends_with(".error.json")
            && !name.ends_with(".options.json")
    });
    inputs.sort();
    assert!(inputs.len() >= 10, "request cases missing");
    let mut failures = Vec::new();
    for path in &inputs {
        let stem = path
            .file_stem()
            .and_then(|n| n.to_str())
            .expect("case name");
        let (case, generate) = match stem.strip_suffix(".generate") {
            Some(case) => (case, true),
            None => (stem, false),
        };
        let body = fs::read(path).expect("read case");
        let opts = options(&dir.join(format!("{case}.options.json")));
        let result = if generate {
            generate_to_responses(&body, &opts)
        } else {
            chat_to_responses(&body, &opts)
        };
        let (file, other, value) = match result {
            Ok(t) => (
                format!("{case}.responses.json"),
                format!("{case}.error.json"),
                json!({
                    "stream": t.stream,
                    "client_model": t.client_model,
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
                        "body": serde_json::from_slice::<Value>(&to_ollama_error_body(&reply)).expect("error json"),
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
