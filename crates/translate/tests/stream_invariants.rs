//! Robustness of the streaming translator on damaged upstream bytes (a deterministic companion to
//! the `chat_stream` fuzz target): every recorded stream, cut at many points and with bytes
//! flipped, must still give UTF-8 `data:` frames that are JSON, ending with exactly one `[DONE]`.

use std::fs;
use std::path::Path;

use codex_proxy_translate::StreamContext;
use codex_proxy_translate::openai_chat::{ChatSseCollector, ChatSseTranslator};

fn check(input: &[u8], split: usize) {
    let ctx = StreamContext {
        id: "chatcmpl-x".into(),
        created: 0,
        model: "m".into(),
        ..StreamContext::default()
    };
    let mut translator = ChatSseTranslator::new(ctx.clone());
    let mut collector = ChatSseCollector::new(ctx);
    let mut out = Vec::new();
    for piece in input.chunks(split) {
        translator.push_bytes(piece, &mut out);
        collector.push_bytes(piece);
    }
    translator.finish(&mut out);
    let _ = collector.finish();
    let text = std::str::from_utf8(&out).expect("utf-8 output");
    assert!(text.ends_with("data: [DONE]\n\n"));
    assert_eq!(text.matches("data: [DONE]\n\n").count(), 1);
    for frame in text.split("\n\n").filter(|f| !f.is_empty()) {
        let payload = frame.strip_prefix("data: ").expect("data frame");
        if payload != "[DONE]" {
            serde_json::from_str::<serde_json::Value>(payload).expect("json payload");
        }
    }
}

#[test]
fn damaged_recordings_still_give_well_formed_streams() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../fixtures/recorded");
    let picks = [
        "CaddyGlow__ccproxy-api/codex_responses_tools_stream.sse",
        "vercel__ai/openai-custom-tool.1.sse",
        "vercel__ai/openai-error.1.sse",
        "vercel__ai/openai-image-generation-tool.1.sse",
    ];
    let mut seed: u64 = 0x9e37_79b9_7f4a_7c15;
    let mut next = move || {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        seed
    };
    for pick in picks {
        let input = fs::read(root.join(pick)).expect("fixture");
        for _ in 0..40 {
            let cut = (next() as usize) % (input.len() + 1);
            let split = (next() as usize) % 97 + 1;
            check(&input[..cut], split);
            let mut damaged = input.clone();
            for _ in 0..8 {
                let at = (next() as usize) % damaged.len();
                damaged[at] = (next() & 0xff) as u8;
            }
            check(&damaged, split);
        }
    }
}
