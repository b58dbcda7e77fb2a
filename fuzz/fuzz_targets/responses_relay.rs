//! Fuzz target: arbitrary upstream bytes → the `/v1/responses` passthrough relay, collector and
//! image collector. Invariants: no panic; the relay's output re-decodes as SSE, every frame is
//! named, and the stream ends terminated (a relayed or synthetic terminal event last).
#![no_main]

use codex_proxy_schema::sse::SseDecoder;
use codex_proxy_translate::responses::{ImageCollector, ResponsesCollector, ResponsesRelay};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let (split, body) = match data.split_first() {
        Some((first, rest)) => (usize::from(*first % 64) + 1, rest),
        None => (1, data),
    };
    let tuple = (split % 3 == 0).then(|| {
        serde_json::json!({"type": "array", "prefixItems": [{"type": "integer"}]})
    });
    let mut relay = ResponsesRelay::new("resp_proxy_fuzz".into(), tuple.clone());
    let mut collector = ResponsesCollector::new(tuple);
    let mut images = ImageCollector::new();
    let mut out = Vec::new();
    for piece in body.chunks(split) {
        relay.push_bytes(piece, &mut out);
        collector.push_bytes(piece);
        images.push_bytes(piece);
    }
    relay.finish(&mut out);
    assert!(relay.is_terminated(), "the relay always terminates the stream");
    let _ = collector.finish();
    let _ = images.finish(0);

    let mut decoder = SseDecoder::new();
    decoder.push(&out);
    let mut last: Option<String> = None;
    while let Some(frame) = decoder.finish().expect("relay output decodes") {
        let name = frame.event.expect("every relayed frame is named");
        last = Some(name.to_owned());
    }
    assert!(last.is_some(), "the stream carries at least its terminal event");
});
