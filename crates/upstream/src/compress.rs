//! zstd request bodies exactly as the official client compresses them: level 3, one streaming
//! frame (`compress` then `flush`, so no content-size field), no checksum, no dictionary.
//!
//! A zstd compression context costs tens of kilobytes of table setup, so each worker thread
//! keeps one and resets only its session per body instead of building a new one per request.

use std::cell::RefCell;

use bytes::Bytes;
use zstd::stream::raw::{CParameter, Encoder, InBuffer, Operation as _, OutBuffer};

use crate::error::UpstreamError;

/// zstd level of the official client.
const LEVEL: i32 = 3;

thread_local! {
    /// This thread's compression context, parameters set once.
    static ENCODER: RefCell<Option<Encoder<'static>>> = const { RefCell::new(None) };
}

/// Compresses `body` into one zstd frame shaped like the official client's.
pub(crate) fn zstd(body: &[u8]) -> Result<Bytes, UpstreamError> {
    let fail = |err: std::io::Error| UpstreamError::Config {
        reason: format!("zstd compression failed: {err}"),
    };
    ENCODER.with(|cell| {
        let mut slot = cell.borrow_mut();
        let encoder = match slot.as_mut() {
            Some(encoder) => {
                encoder.reinit().map_err(fail)?;
                encoder
            }
            None => slot.insert(new_encoder().map_err(fail)?),
        };
        let mut out: Vec<u8> = Vec::with_capacity(zstd::compress_bound(body.len()) + 64);
        let mut input = InBuffer::around(body);
        while input.pos() < body.len() {
            let pos = out.len();
            let mut output = OutBuffer::around_pos(&mut out, pos);
            encoder.run(&mut input, &mut output).map_err(fail)?;
            if out.len() == out.capacity() {
                out.reserve(64 * 1024);
            }
        }
        loop {
            let pos = out.len();
            let mut output = OutBuffer::around_pos(&mut out, pos);
            let remaining = encoder.finish(&mut output, true).map_err(fail)?;
            if remaining == 0 {
                break;
            }
            out.reserve(remaining.max(64 * 1024));
        }
        Ok(Bytes::from(out))
    })
}

fn new_encoder() -> std::io::Result<Encoder<'static>> {
    let mut encoder = Encoder::new(LEVEL)?;
    encoder.set_parameter(CParameter::ContentSizeFlag(false))?;
    encoder.set_parameter(CParameter::ChecksumFlag(false))?;
    Ok(encoder)
}

/// [`zstd`] for callers outside the transport (tests, benchmarks, the WebSocket fallback).
pub fn compress_body(body: &[u8]) -> Result<Bytes, UpstreamError> {
    zstd(body)
}

#[cfg(test)]
mod tests {
    use std::io::Read as _;

    use super::*;

    #[test]
    fn reused_context_gives_independent_frames() {
        let a = br#"{"model":"gpt-5.4","input":[{"type":"message","role":"user"}]}"#.repeat(50);
        let b = b"second body, unrelated to the first".repeat(10);
        let first = zstd(&a).unwrap();
        let second = zstd(&b).unwrap();
        let again = zstd(&a).unwrap();
        assert_eq!(
            first, again,
            "a reset context compresses the same body the same way"
        );
        for (frame, plain) in [(&first, &a), (&second, &b)] {
            let mut out = Vec::new();
            zstd::stream::read::Decoder::new(&frame[..])
                .unwrap()
                .read_to_end(&mut out)
                .unwrap();
            assert_eq!(&out, plain);
            // Frame header descriptor: no content size, no checksum (as the official client).
            assert_eq!(frame[4] & 0b1100_0100, 0);
        }
    }
}
