//! Decoder and event parser against every recorded Responses stream in `fixtures/`: each frame
//! parses, known events are typed, and any split of the bytes decodes to the same frames.

use std::path::{Path, PathBuf};

use codex_proxy_schema::responses::{KNOWN_EVENTS, OutputItem, ResponsesEvent};
use codex_proxy_schema::sse::{SseDecoder, SseFrame, write_frame};
use proptest::prelude::*;

#[derive(Debug, Clone, PartialEq, Eq)]
struct Frame {
    event: Option<String>,
    data: String,
    id: Option<String>,
    retry: Option<u64>,
}

impl From<SseFrame<'_>> for Frame {
    fn from(f: SseFrame<'_>) -> Self {
        Frame {
            event: f.event.map(str::to_owned),
            data: f.data.to_owned(),
            id: f.id.map(str::to_owned),
            retry: f.retry,
        }
    }
}

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../fixtures")
}

/// All Responses SSE corpora: `recorded/*/*.sse` plus the official client's example.
fn streams() -> Vec<(String, Vec<u8>)> {
    let mut out = Vec::new();
    let recorded = root().join("recorded");
    for dir in std::fs::read_dir(&recorded).expect("fixtures/recorded exists") {
        let dir = dir.expect("entry").path();
        if !dir.is_dir() {
            continue;
        }
        for file in std::fs::read_dir(&dir).expect("readable dir") {
            let path = file.expect("entry").path();
            if path.extension().is_some_and(|e| e == "sse") {
                out.push((rel(&path), std::fs::read(&path).expect("readable")));
            }
        }
    }
    let example = root().join("official-client/server-responses-sse-example.txt");
    out.push((rel(&example), std::fs::read(&example).expect("readable")));
    out.sort();
    out
}

fn rel(path: &Path) -> String {
    path.strip_prefix(root())
        .unwrap_or(path)
        .display()
        .to_string()
}

fn decode_chunks(chunks: &[&[u8]]) -> Vec<Frame> {
    let mut dec = SseDecoder::new();
    let mut out = Vec::new();
    for chunk in chunks {
        dec.push(chunk);
        while let Some(f) = dec.next_frame().expect("valid stream") {
            out.push(f.into());
        }
    }
    while let Some(f) = dec.finish().expect("valid stream") {
        out.push(f.into());
    }
    out
}

fn is_known(kind: &str) -> bool {
    KNOWN_EVENTS.contains(&kind)
        || (kind.starts_with("response.") && kind.contains("_call.") && !kind.ends_with(".delta"))
}

#[test]
fn every_recorded_event_parses() {
    let streams = streams();
    assert!(streams.len() >= 25, "corpus shrank: {}", streams.len());
    let mut parsed = 0usize;
    for (name, bytes) in &streams {
        let mut dec = SseDecoder::new();
        dec.push(bytes);
        let mut terminals = 0;
        loop {
            let frame = match dec.next_frame().expect("decodes") {
                Some(f) => f,
                None => match dec.finish().expect("decodes") {
                    Some(f) => f,
                    None => break,
                },
            };
            let event = ResponsesEvent::parse(&frame)
                .unwrap_or_else(|e| panic!("{name}: {e}: {}", frame.data));
            let kind = frame.event.unwrap_or("");
            if is_known(kind) {
                assert!(
                    !matches!(event, ResponsesEvent::Unknown { .. }),
                    "{name}: {kind} not typed"
                );
                assert_eq!(event.kind(), kind, "{name}");
            } else {
                assert!(
                    matches!(event, ResponsesEvent::Unknown { .. }),
                    "{name}: {kind} unexpectedly typed"
                );
            }
            if let ResponsesEvent::OutputItemDone(done) = &event
                && let Some(item) = &done.item
            {
                assert!(
                    !matches!(item, OutputItem::Other { .. }),
                    "{name}: untyped item {}",
                    item.kind()
                );
            }
            if let ResponsesEvent::Completed(env) = &event {
                let items = env
                    .response
                    .output_items()
                    .unwrap_or_else(|e| panic!("{name}: output: {e}"));
                assert!(
                    items.iter().all(|i| !matches!(i, OutputItem::Other { .. })),
                    "{name}"
                );
            }
            terminals += usize::from(event.is_terminal());
            parsed += 1;
        }
        // `incomplete_sse` is the premature-close fixture; the error stream has `error` + `failed`.
        let expected = if name.contains("incomplete_sse") {
            0..=0
        } else {
            1..=3
        };
        assert!(
            expected.contains(&terminals),
            "{name}: {terminals} terminal events"
        );
    }
    assert!(parsed > 2500, "only {parsed} events parsed");
}

#[test]
fn real_backend_usage_and_errors() {
    let streams = streams();
    let find = |suffix: &str| {
        streams
            .iter()
            .find(|(n, _)| n.ends_with(suffix))
            .map(|(_, b)| b.clone())
            .expect(suffix)
    };
    let frames = decode_chunks(&[&find("CaddyGlow__ccproxy-api/codex_responses_stream.sse")]);
    let last = frames.last().expect("frames");
    let frame = SseFrame {
        event: last.event.as_deref(),
        data: &last.data,
        id: None,
        retry: None,
    };
    let ResponsesEvent::Completed(env) = ResponsesEvent::parse(&frame).expect("parses") else {
        panic!("last event is response.completed")
    };
    let usage = env.response.usage.expect("usage");
    assert_eq!(
        (
            usage.input_tokens,
            usage.input_tokens_details.cached_tokens,
            usage.output_tokens
        ),
        (2239, 2176, 15)
    );

    let frames = decode_chunks(&[&find("vercel__ai/openai-error.1.sse")]);
    let errors: Vec<_> = frames
        .iter()
        .filter_map(|f| {
            let frame = SseFrame {
                event: f.event.as_deref(),
                data: &f.data,
                id: None,
                retry: None,
            };
            ResponsesEvent::parse(&frame).expect("parses").error_info()
        })
        .collect();
    assert_eq!(errors.len(), 2, "error + response.failed");
    assert!(
        errors
            .iter()
            .all(|e| e.code == "insufficient_quota" && e.http_status() == 402),
        "{errors:?}"
    );
}

fn check_split(bytes: &[u8], mut cuts: Vec<usize>) {
    let whole = decode_chunks(&[bytes]);
    cuts.iter_mut().for_each(|c| *c %= bytes.len() + 1);
    cuts.sort_unstable();
    let mut chunks = Vec::new();
    let mut start = 0;
    for cut in cuts {
        chunks.push(&bytes[start..cut]);
        start = cut;
    }
    chunks.push(&bytes[start..]);
    assert_eq!(decode_chunks(&chunks), whole);
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(48))]

    #[test]
    fn any_split_decodes_like_one_push(which in 0usize..64, cuts in prop::collection::vec(any::<usize>(), 0..40)) {
        let streams = streams();
        let (_, bytes) = &streams[which % streams.len()];
        check_split(bytes, cuts);
    }

    #[test]
    fn any_split_of_crlf_stream_decodes_like_one_push(which in 0usize..64, cuts in prop::collection::vec(any::<usize>(), 0..40), cr_only in any::<bool>()) {
        let streams = streams();
        let (_, bytes) = &streams[which % streams.len()];
        let ending: &[u8] = if cr_only { b"\r" } else { b"\r\n" };
        let mut converted = Vec::with_capacity(bytes.len() * 2);
        for &b in bytes.iter() {
            if b == b'\n' { converted.extend_from_slice(ending) } else { converted.push(b) }
        }
        prop_assert_eq!(decode_chunks(&[&converted]), decode_chunks(&[bytes]));
        check_split(&converted, cuts);
    }
}

#[test]
fn reencoding_recorded_frames_is_lossless() {
    for (name, bytes) in streams() {
        let frames = decode_chunks(&[&bytes]);
        let mut out = Vec::new();
        for f in &frames {
            write_frame(
                &mut out,
                &SseFrame {
                    event: f.event.as_deref(),
                    data: &f.data,
                    id: f.id.as_deref(),
                    retry: f.retry,
                },
            );
        }
        assert_eq!(decode_chunks(&[&out]), frames, "{name}");
    }
}

#[test]
fn deltas_borrow_from_the_frame_when_unescaped() {
    let data = r#"{"type":"response.output_text.delta","item_id":"msg_1","output_index":0,"content_index":0,"delta":"plain"}"#;
    let frame = SseFrame {
        event: Some("response.output_text.delta"),
        data,
        id: None,
        retry: None,
    };
    let ResponsesEvent::OutputTextDelta(delta) = ResponsesEvent::parse(&frame).expect("parses")
    else {
        panic!()
    };
    assert!(matches!(delta.delta, std::borrow::Cow::Borrowed("plain")));
    assert!(matches!(delta.item_id, std::borrow::Cow::Borrowed("msg_1")));
}
