//! Throughput of the streaming hot path: upstream Responses SSE bytes decoded and translated to
//! OpenAI chat chunks, measured in input bytes per second (`cargo bench -p codex-proxy-translate`).

use std::path::Path;

use codex_proxy_translate::StreamContext;
use codex_proxy_translate::openai_chat::{ChatSseCollector, ChatSseTranslator};
use divan::counter::BytesCount;
use divan::{Bencher, black_box};

/// Upstream bytes arrive in pieces of about this size (a TLS record).
const PIECE: usize = 16 * 1024;

fn main() {
    divan::main();
}

fn fixture(rel: &str) -> Vec<u8> {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../fixtures/recorded")
        .join(rel);
    std::fs::read(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

fn context() -> StreamContext {
    StreamContext {
        id: "chatcmpl-bench".into(),
        created: 1_700_000_000,
        model: "gpt-5.4".into(),
        ..StreamContext::default()
    }
}

const FIXTURES: [&str; 3] = [
    "pydantic__pydantic-ai/test_openai_responses_thinking_part_iter.sse",
    "neteroster__CodexCont/codex_poc_r1.sse",
    "CaddyGlow__ccproxy-api/codex_responses_tools_stream.sse",
];

/// Streaming: decode + translate + encode, one fresh translator per response; the output
/// buffer is reused like the gateway's write buffer.
#[divan::bench(args = FIXTURES)]
fn stream_to_openai(bencher: Bencher, rel: &str) {
    let input = fixture(rel);
    let mut out = Vec::with_capacity(input.len() * 2);
    bencher
        .counter(BytesCount::new(input.len()))
        .bench_local(|| {
            out.clear();
            let mut translator = ChatSseTranslator::new(context());
            for piece in input.chunks(PIECE) {
                translator.push_bytes(black_box(piece), &mut out);
            }
            translator.finish(&mut out);
            black_box(out.len())
        });
}

/// Non-streaming: decode + collect + encode one `chat.completion`.
#[divan::bench(args = FIXTURES)]
fn collect_to_openai(bencher: Bencher, rel: &str) {
    let input = fixture(rel);
    bencher
        .counter(BytesCount::new(input.len()))
        .bench_local(|| {
            let mut collector = ChatSseCollector::new(context());
            for piece in input.chunks(PIECE) {
                collector.push_bytes(black_box(piece));
            }
            black_box(collector.finish().map(|b| b.len()))
        });
}

fn anthropic_context() -> codex_proxy_translate::anthropic::AnthropicContext {
    codex_proxy_translate::anthropic::AnthropicContext {
        id: "msg_bench".into(),
        model: "claude-sonnet-4-5".into(),
        want_reasoning: true,
    }
}

/// Streaming to Anthropic: decode + translate + encode `event:`/`data:` frames.
#[divan::bench(args = FIXTURES)]
fn stream_to_anthropic(bencher: Bencher, rel: &str) {
    use codex_proxy_translate::anthropic::AnthropicSseTranslator;
    let input = fixture(rel);
    let mut out = Vec::with_capacity(input.len() * 2);
    bencher
        .counter(BytesCount::new(input.len()))
        .bench_local(|| {
            out.clear();
            let mut translator = AnthropicSseTranslator::new(anthropic_context());
            for piece in input.chunks(PIECE) {
                translator.push_bytes(black_box(piece), &mut out);
            }
            translator.finish(&mut out);
            black_box(out.len())
        });
}

/// Non-streaming to Anthropic: decode + collect + encode one `message`.
#[divan::bench(args = FIXTURES)]
fn collect_to_anthropic(bencher: Bencher, rel: &str) {
    use codex_proxy_translate::anthropic::AnthropicSseCollector;
    let input = fixture(rel);
    bencher
        .counter(BytesCount::new(input.len()))
        .bench_local(|| {
            let mut collector = AnthropicSseCollector::new(anthropic_context());
            for piece in input.chunks(PIECE) {
                collector.push_bytes(black_box(piece));
            }
            black_box(collector.finish().map(|b| b.len()))
        });
}
