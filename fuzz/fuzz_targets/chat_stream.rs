//! Fuzz target: arbitrary upstream bytes → SSE decoder → OpenAI chat stream translator.
//! Invariants: no panic; the output is UTF-8, consists only of `data:` frames, every frame but
//! `[DONE]` is JSON, and the stream ends with exactly one `data: [DONE]`.
#![no_main]

use codex_proxy_translate::StreamContext;
use codex_proxy_translate::openai_chat::ChatSseTranslator;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    // The first byte picks how the body is split, so framing across pushes is exercised too.
    let (split, body) = match data.split_first() {
        Some((first, rest)) => (usize::from(*first % 64) + 1, rest),
        None => (1, data),
    };
    let ctx = StreamContext {
        id: "chatcmpl-fuzz".into(),
        created: 0,
        model: "m".into(),
        include_usage: split % 2 == 0,
        ..StreamContext::default()
    };
    let mut translator = ChatSseTranslator::new(ctx);
    let mut out = Vec::new();
    for piece in body.chunks(split) {
        translator.push_bytes(piece, &mut out);
    }
    translator.finish(&mut out);

    let text = std::str::from_utf8(&out).expect("output is utf-8");
    assert!(
        text.ends_with("data: [DONE]\n\n"),
        "stream must end with [DONE]"
    );
    assert_eq!(
        text.matches("data: [DONE]\n\n").count(),
        1,
        "exactly one [DONE]"
    );
    for frame in text.split("\n\n").filter(|f| !f.is_empty()) {
        let payload = frame
            .strip_prefix("data: ")
            .expect("every frame is a single data line");
        assert!(!payload.contains('\n'), "data payload spans lines");
        if payload != "[DONE]" {
            serde_json::from_str::<serde_json::Value>(payload).expect("data payload is JSON");
        }
    }
});
