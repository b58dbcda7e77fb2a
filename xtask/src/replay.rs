//! `cargo xtask replay FILE --to openai|openai-json`: prints the translation of a recorded
//! upstream Responses stream (a `.sse` file, e.g. under `fixtures/recorded/`) as the client would
//! receive it: the chunk stream (`openai`) or the non-streamed body (`openai-json`).

use std::io::Write;
use std::path::Path;

use anyhow::{Context, bail};
use codex_proxy_translate::openai_chat::{ChatSseCollector, ChatSseTranslator};
use codex_proxy_translate::{StreamContext, to_openai_error_body};

/// Fixed id and clock so replays are reproducible.
fn context() -> StreamContext {
    StreamContext {
        id: "chatcmpl-replay".into(),
        created: 0,
        model: "replay".into(),
        ..StreamContext::default()
    }
}

/// Translate `file` to the dialect `to` and print it to stdout.
pub fn run(file: &Path, to: &str) -> anyhow::Result<()> {
    let input = std::fs::read(file).with_context(|| format!("reading {}", file.display()))?;
    let output = match to {
        "openai" => {
            let mut translator = ChatSseTranslator::new(context());
            let mut out = Vec::with_capacity(input.len());
            translator.push_bytes(&input, &mut out);
            translator.finish(&mut out);
            out
        }
        "openai-json" => {
            let mut collector = ChatSseCollector::new(context());
            collector.push_bytes(&input);
            match collector.finish() {
                Ok(body) => body,
                Err(reply) => {
                    let mut out = format!("HTTP {}\n", reply.status).into_bytes();
                    out.extend_from_slice(&to_openai_error_body(&reply));
                    out
                }
            }
        }
        other => bail!("unknown target dialect {other:?} (expected openai or openai-json)"),
    };
    let mut stdout = std::io::stdout().lock();
    stdout.write_all(&output)?;
    if !output.ends_with(b"\n") {
        stdout.write_all(b"\n")?;
    }
    Ok(())
}
