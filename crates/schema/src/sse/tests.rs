//! Unit tests of the SSE decoder and encoder.

use super::*;

/// Owned copy of a frame, for comparisons.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Owned {
    event: Option<String>,
    data: String,
    id: Option<String>,
    retry: Option<u64>,
}

impl From<SseFrame<'_>> for Owned {
    fn from(f: SseFrame<'_>) -> Self {
        Owned {
            event: f.event.map(str::to_owned),
            data: f.data.to_owned(),
            id: f.id.map(str::to_owned),
            retry: f.retry,
        }
    }
}

fn frame(event: Option<&str>, data: &str) -> Owned {
    Owned {
        event: event.map(str::to_owned),
        data: data.to_owned(),
        id: None,
        retry: None,
    }
}

/// Pushes `chunks` one by one, draining after each, then finishes.
fn decode_chunks(
    dec: &mut SseDecoder,
    chunks: &[&[u8]],
) -> Result<Vec<Owned>, (Vec<Owned>, SseError)> {
    let mut out = Vec::new();
    for chunk in chunks {
        dec.push(chunk);
        loop {
            match dec.next_frame() {
                Ok(Some(f)) => out.push(f.into()),
                Ok(None) => break,
                Err(e) => return Err((out, e)),
            }
        }
    }
    loop {
        match dec.finish() {
            Ok(Some(f)) => out.push(f.into()),
            Ok(None) => return Ok(out),
            Err(e) => return Err((out, e)),
        }
    }
}

fn decode(input: &[u8]) -> Vec<Owned> {
    decode_chunks(&mut SseDecoder::new(), &[input]).expect("valid stream")
}

#[test]
fn lf_event_and_data() {
    let got = decode(b"event: response.created\ndata: {\"a\":1}\n\ndata: x\n\n");
    assert_eq!(
        got,
        vec![
            frame(Some("response.created"), "{\"a\":1}"),
            frame(None, "x")
        ]
    );
}

#[test]
fn crlf_and_lone_cr_line_endings() {
    let expected = vec![frame(Some("e"), "d1"), frame(None, "d2")];
    assert_eq!(
        decode(b"event: e\r\ndata: d1\r\n\r\ndata: d2\r\n\r\n"),
        expected
    );
    assert_eq!(decode(b"event: e\rdata: d1\r\rdata: d2\r\r"), expected);
    assert_eq!(decode(b"event: e\r\ndata: d1\r\rdata: d2\n\r\n"), expected);
}

#[test]
fn cr_and_lf_split_across_pushes_is_one_line_ending() {
    let mut dec = SseDecoder::new();
    let got = decode_chunks(
        &mut dec,
        &[b"data: a\r", b"\n", b"\r", b"\ndata: b\r", b"\r"],
    )
    .expect("ok");
    assert_eq!(got, vec![frame(None, "a"), frame(None, "b")]);
}

#[test]
fn frame_is_emitted_as_soon_as_blank_line_arrives() {
    let mut dec = SseDecoder::new();
    dec.push(b"data: a\n");
    assert_eq!(dec.next_frame().expect("ok"), None);
    dec.push(b"\n");
    assert_eq!(
        dec.next_frame().expect("ok").map(Owned::from),
        Some(frame(None, "a"))
    );
    assert_eq!(dec.next_frame().expect("ok"), None);
}

#[test]
fn multiple_data_lines_are_joined_with_newline() {
    assert_eq!(
        decode(b"data: a\ndata: b\ndata:\ndata:  c\n\n"),
        vec![frame(None, "a\nb\n\n c")]
    );
}

#[test]
fn optional_single_space_after_colon() {
    assert_eq!(
        decode(b"data:x\n\ndata: x\n\ndata:  x\n\n"),
        vec![frame(None, "x"), frame(None, "x"), frame(None, " x"),]
    );
}

#[test]
fn comments_are_skipped_and_comment_only_blocks_dropped() {
    assert_eq!(
        decode(b": ping\n\n:\n\nevent: e\n: note\ndata: d\n\n"),
        vec![frame(Some("e"), "d")]
    );
}

#[test]
fn id_and_retry_fields() {
    let got = decode(b"id: 7\nretry: 1500\nevent: e\ndata: d\n\nretry: nope\ndata: x\n\n");
    assert_eq!(
        got[0],
        Owned {
            event: Some("e".into()),
            data: "d".into(),
            id: Some("7".into()),
            retry: Some(1500)
        }
    );
    assert_eq!(got[1], frame(None, "x"));
}

#[test]
fn block_without_data_and_event_is_skipped() {
    assert_eq!(
        decode(b"id: 1\n\nretry: 5\n\nunknown: x\n\ndata: y\n\n"),
        vec![frame(None, "y")]
    );
}

#[test]
fn event_without_data_is_emitted_with_empty_data() {
    assert_eq!(decode(b"event: ping\n\n"), vec![frame(Some("ping"), "")]);
}

#[test]
fn done_sentinel_is_a_frame() {
    let got = decode(b"data: [DONE]\n\n");
    assert_eq!(got, vec![frame(None, "[DONE]")]);
    let mut dec = SseDecoder::new();
    dec.push(b"data: [DONE]\n\n");
    assert!(dec.next_frame().expect("ok").expect("frame").is_done());
}

#[test]
fn continuation_lines_after_data_tolerate_pretty_printed_json() {
    let body = b"event: error\ndata: {\n  \"error\": {\n    \"message\": \"boom\"\n  }\n}\n\n";
    let got = decode(body);
    assert_eq!(
        got,
        vec![frame(
            Some("error"),
            "{\n  \"error\": {\n    \"message\": \"boom\"\n  }\n}"
        )]
    );
    let value: serde_json::Value = serde_json::from_str(&got[0].data).expect("json");
    assert_eq!(value["error"]["message"], "boom");
}

#[test]
fn unknown_lines_before_data_are_ignored_and_fields_after_data_are_fields() {
    let got = decode(b"garbage\nevent: a\ndata: 1\nid: 9\nevent: b\n\n");
    assert_eq!(
        got,
        vec![Owned {
            event: Some("b".into()),
            data: "1".into(),
            id: Some("9".into()),
            retry: None
        }]
    );
}

#[test]
fn trailing_frame_without_blank_line_is_flushed_by_finish() {
    let mut dec = SseDecoder::new();
    dec.push(b"data: a\n\nevent: last\ndata: tail");
    assert_eq!(
        dec.next_frame().expect("ok").map(Owned::from),
        Some(frame(None, "a"))
    );
    assert_eq!(dec.next_frame().expect("ok"), None);
    assert_eq!(
        dec.finish().expect("ok").map(Owned::from),
        Some(frame(Some("last"), "tail"))
    );
    assert_eq!(dec.finish().expect("ok"), None);
    assert_eq!(dec.finish().expect("ok"), None);
}

#[test]
fn finish_returns_complete_frames_still_buffered() {
    let mut dec = SseDecoder::new();
    dec.push(b"data: a\n\ndata: b\n\ndata: c\n");
    assert_eq!(
        dec.finish().expect("ok").map(Owned::from),
        Some(frame(None, "a"))
    );
    assert_eq!(
        dec.finish().expect("ok").map(Owned::from),
        Some(frame(None, "b"))
    );
    assert_eq!(
        dec.finish().expect("ok").map(Owned::from),
        Some(frame(None, "c"))
    );
    assert_eq!(dec.finish().expect("ok"), None);
}

#[test]
fn oversize_event_is_an_error_and_the_decoder_stays_failed() {
    let mut dec = SseDecoder::with_max_event_len(16);
    dec.push(b"data: ok\n\ndata: 0123456789");
    assert_eq!(
        dec.next_frame().expect("ok").map(Owned::from),
        Some(frame(None, "ok"))
    );
    assert_eq!(dec.next_frame().expect("fits"), None);
    dec.push(b"abcdef");
    let err = dec.next_frame().expect_err("too large");
    assert!(err.is_too_large());
    assert_eq!(err, SseError::EventTooLarge { limit: 16 });
    dec.push(b"\n\ndata: x\n\n");
    assert_eq!(dec.next_frame().expect_err("still failed"), err);
    assert_eq!(dec.finish().expect_err("still failed"), err);
    assert_eq!(dec.buffered_len(), 0);
}

#[test]
fn oversize_across_several_data_lines() {
    let mut dec = SseDecoder::with_max_event_len(20);
    dec.push(b"data: 0123456789\ndata: 0123456789\n\n");
    assert!(dec.next_frame().expect_err("too large").is_too_large());
}

#[test]
fn many_small_events_in_one_push_are_not_oversize() {
    let mut dec = SseDecoder::with_max_event_len(16);
    let input = b"data: 0123456789\n\n".repeat(100);
    let got = decode_chunks(&mut dec, &[&input]).expect("each event fits");
    assert_eq!(got.len(), 100);
}

#[test]
fn invalid_utf8_is_an_error_not_a_panic() {
    let mut dec = SseDecoder::new();
    dec.push(b"data: ok\n\ndata: \xff\xfe\n\n");
    assert!(dec.next_frame().expect("first").is_some());
    let err = dec.next_frame().expect_err("invalid");
    assert!(err.is_invalid_utf8());
    assert_eq!(dec.next_frame().expect_err("sticky"), err);
}

#[test]
fn utf8_char_split_across_pushes() {
    let text = "data: héllo ✓ 🦀\n\n".as_bytes();
    let mut chunks: Vec<&[u8]> = Vec::new();
    for i in 0..text.len() {
        chunks.push(&text[i..i + 1]);
    }
    let got = decode_chunks(&mut SseDecoder::new(), &chunks).expect("ok");
    assert_eq!(got, vec![frame(None, "héllo ✓ 🦀")]);
}

#[test]
fn buffers_are_reused_between_events() {
    let mut dec = SseDecoder::new();
    dec.push(b"data: first event with some length\n\n");
    assert!(dec.next_frame().expect("ok").is_some());
    let cap = dec.data.capacity();
    dec.push(b"data: short\n\n");
    assert!(dec.next_frame().expect("ok").is_some());
    assert_eq!(dec.data.capacity(), cap);
}

#[test]
fn encoder_writes_event_and_splits_multiline_data() {
    let mut out = Vec::new();
    write_event(&mut out, Some("response.created"), "{\"a\":1}");
    write_data(&mut out, "l1\nl2\r\nl3\rl4");
    write_data(&mut out, "");
    write_comment(&mut out, "ping");
    assert_eq!(
        String::from_utf8(out.clone()).expect("utf8"),
        "event: response.created\ndata: {\"a\":1}\n\ndata: l1\ndata: l2\ndata: l3\ndata: l4\n\ndata: \n\n: ping\n\n"
    );
    assert_eq!(
        decode(&out),
        vec![
            frame(Some("response.created"), "{\"a\":1}"),
            frame(None, "l1\nl2\nl3\nl4"),
            frame(None, ""),
        ]
    );
}

#[test]
fn write_frame_round_trips_id_and_retry() {
    let original = SseFrame {
        event: Some("e"),
        data: " lead\nx",
        id: Some("42"),
        retry: Some(3),
    };
    let mut out = Vec::new();
    write_frame(&mut out, &original);
    let got = decode(&out);
    assert_eq!(got, vec![Owned::from(original)]);
}

#[test]
fn ndjson_lines() {
    let mut dec = NdjsonDecoder::new();
    dec.push(b"{\"a\":1}\r\n\n{\"b\"");
    assert_eq!(dec.next_line().expect("ok"), Some("{\"a\":1}"));
    assert_eq!(dec.next_line().expect("ok"), None);
    dec.push(b":2}");
    assert_eq!(dec.next_line().expect("ok"), None);
    assert_eq!(dec.finish().expect("ok"), Some("{\"b\":2}"));
    assert_eq!(dec.finish().expect("ok"), None);
}

#[test]
fn ndjson_limits_and_utf8() {
    let mut dec = NdjsonDecoder::with_max_line_len(4);
    dec.push(b"12345");
    assert!(dec.next_line().expect_err("too long").is_too_large());
    let mut dec = NdjsonDecoder::new();
    dec.push(b"\xff\n");
    assert!(dec.next_line().expect_err("utf8").is_invalid_utf8());
}

#[test]
fn huge_event_memory_is_released_afterwards() {
    let mut dec = SseDecoder::new();
    let big = format!("data: {}\n\n", "x".repeat(3 * 1024 * 1024));
    dec.push(big.as_bytes());
    assert_eq!(
        dec.next_frame().expect("ok").map(|f| f.data.len()),
        Some(3 * 1024 * 1024)
    );
    dec.push(b"data: small\n\n");
    assert_eq!(dec.next_frame().expect("ok").map(|f| f.data.len()), Some(5));
    assert!(dec.data.capacity() <= RETAINED_CAPACITY);
    assert!(dec.buf.capacity() <= RETAINED_CAPACITY);
}
