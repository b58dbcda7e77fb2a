//! Fuzz target: arbitrary bytes through the Gemini and Ollama translators, both directions.
//! Invariants: no panic; the request mappers return `Ok` or `Err` on any body; the Gemini SSE
//! stream is only `data:` JSON frames, its JSON-array framing parses as one JSON array, and the
//! Ollama NDJSON stream is only JSON lines ending with exactly one `done: true` or `error` line.
#![no_main]

use codex_proxy_translate::RequestOptions;
use codex_proxy_translate::gemini::{self, GeminiContext, GeminiSseTranslator, StreamFormat};
use codex_proxy_translate::ollama::{self, OllamaContext, OllamaSseTranslator};
use libfuzzer_sys::fuzz_target;
use serde_json::Value;

fuzz_target!(|data: &[u8]| {
    let (split, body) = match data.split_first() {
        Some((first, rest)) => (usize::from(*first % 64) + 1, rest),
        None => (1, data),
    };
    let opts = RequestOptions::default();
    let _ = gemini::request_to_responses("m", body, split % 2 == 0, &opts);
    let _ = ollama::chat_to_responses(body, &opts);
    let _ = ollama::generate_to_responses(body, &opts);

    let gemini_ctx = |format| GeminiContext {
        response_id: "r".into(),
        model_version: "m".into(),
        include_thoughts: true,
        tuple_schema: None,
        format,
    };
    let mut sse = GeminiSseTranslator::new(gemini_ctx(StreamFormat::Sse));
    let mut array = GeminiSseTranslator::new(gemini_ctx(StreamFormat::JsonArray));
    let mut nd = OllamaSseTranslator::new(OllamaContext {
        model: "m".into(),
        created_at: "t".into(),
        ..OllamaContext::default()
    });
    let (mut a, mut b, mut c) = (Vec::new(), Vec::new(), Vec::new());
    for piece in body.chunks(split) {
        sse.push_bytes(piece, &mut a);
        array.push_bytes(piece, &mut b);
        nd.push_bytes(piece, &mut c);
    }
    sse.finish(&mut a);
    array.finish(&mut b);
    nd.finish(&mut c);

    let text = std::str::from_utf8(&a).expect("gemini output is utf-8");
    for frame in text.split("\n\n").filter(|f| !f.is_empty()) {
        let payload = frame.strip_prefix("data: ").expect("only data frames");
        serde_json::from_str::<Value>(payload).expect("gemini chunk is JSON");
    }
    let parsed: Value = serde_json::from_slice(&b).expect("json-array stream is JSON");
    assert!(parsed.is_array(), "json-array stream is an array");

    let text = std::str::from_utf8(&c).expect("ollama output is utf-8");
    let lines: Vec<Value> = text
        .lines()
        .map(|l| serde_json::from_str(l).expect("ndjson line is JSON"))
        .collect();
    let terminal = |v: &Value| v["done"] == true || v["error"].is_string();
    assert_eq!(lines.iter().filter(|v| terminal(v)).count(), 1, "one terminal line");
    assert!(lines.last().is_some_and(terminal), "terminal line is last");
});
