//! Fuzz target: the SSE decoder never panics, decodes any two-way split of the input exactly like
//! one push (frames and final error alike), and every frame survives encode → decode unchanged.
#![cfg_attr(fuzzing, no_main)]

use codex_proxy_schema::SseError;
use codex_proxy_schema::responses::ResponsesEvent;
use codex_proxy_schema::sse::{SseDecoder, SseFrame, write_frame};

#[derive(Debug, Clone, PartialEq, Eq)]
struct Frame {
    event: Option<String>,
    data: String,
    id: Option<String>,
    retry: Option<u64>,
}

impl Frame {
    fn new(f: &SseFrame<'_>) -> Self {
        Frame {
            event: f.event.map(str::to_owned),
            data: f.data.to_owned(),
            id: f.id.map(str::to_owned),
            retry: f.retry,
        }
    }

    fn borrow(&self) -> SseFrame<'_> {
        SseFrame { event: self.event.as_deref(), data: &self.data, id: self.id.as_deref(), retry: self.retry }
    }
}

fn decode(max: usize, chunks: &[&[u8]]) -> (Vec<Frame>, Option<SseError>) {
    let mut dec = SseDecoder::with_max_event_len(max);
    let mut frames = Vec::new();
    for chunk in chunks {
        dec.push(chunk);
        loop {
            match dec.next_frame() {
                Ok(Some(f)) => {
                    // The event parser must not panic on anything the decoder yields.
                    let _ = ResponsesEvent::parse(&f);
                    frames.push(Frame::new(&f));
                }
                Ok(None) => break,
                Err(e) => return (frames, Some(e)),
            }
        }
    }
    loop {
        match dec.finish() {
            Ok(Some(f)) => frames.push(Frame::new(&f)),
            Ok(None) => return (frames, None),
            Err(e) => return (frames, Some(e)),
        }
    }
}

fn check(input: &[u8]) {
    let [split_hi, split_lo, limit, bytes @ ..] = input else { return };
    let max = match limit % 4 {
        0 => usize::MAX,
        1 => 16,
        2 => 64,
        _ => 1024,
    };
    let split = usize::from(u16::from_be_bytes([*split_hi, *split_lo])) % (bytes.len() + 1);
    let whole = decode(max, &[bytes]);
    let (a, b) = bytes.split_at(split);
    let parts = decode(max, &[a, b]);
    assert_eq!(whole, parts, "split at {split} changed the result");
    let bytewise: Vec<&[u8]> = bytes.chunks(1).collect();
    if bytes.len() <= 512 {
        assert_eq!(whole, decode(max, &bytewise), "byte-by-byte push changed the result");
    }

    let mut encoded = Vec::new();
    for frame in &whole.0 {
        encoded.clear();
        write_frame(&mut encoded, &frame.borrow());
        let (again, err) = decode(usize::MAX, &[&encoded]);
        assert_eq!(err, None);
        assert_eq!(again, vec![frame.clone()], "re-encoded frame differs");
    }
}

#[cfg(fuzzing)]
libfuzzer_sys::fuzz_target!(|data: &[u8]| check(data));

/// Without the fuzzer: run every file named on the command line through the same checks.
#[cfg(not(fuzzing))]
fn main() {
    for path in std::env::args().skip(1) {
        match std::fs::read(&path) {
            Ok(bytes) => check(&bytes),
            Err(e) => eprintln!("{path}: {e}"),
        }
    }
}
