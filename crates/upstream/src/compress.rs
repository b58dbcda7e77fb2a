//! zstd request bodies exactly as the official client compresses them: level 3, one streaming
//! frame (`compress` then `flush`, so no content-size field), no checksum, no dictionary.

use std::io::Write as _;

use bytes::Bytes;

use crate::error::UpstreamError;

/// zstd level of the official client.
const LEVEL: i32 = 3;

/// Compresses `body` into one zstd frame shaped like the official client's.
pub(crate) fn zstd(body: &[u8]) -> Result<Bytes, UpstreamError> {
    let fail = |err: std::io::Error| UpstreamError::Config {
        reason: format!("zstd compression failed: {err}"),
    };
    let mut encoder =
        zstd::stream::Encoder::new(Vec::with_capacity(body.len() / 3 + 64), LEVEL).map_err(fail)?;
    encoder.include_contentsize(false).map_err(fail)?;
    encoder.include_checksum(false).map_err(fail)?;
    encoder.write_all(body).map_err(fail)?;
    Ok(Bytes::from(encoder.finish().map_err(fail)?))
}

/// [`zstd`] for callers outside the transport (tests, benchmarks, the WebSocket fallback).
pub fn compress_body(body: &[u8]) -> Result<Bytes, UpstreamError> {
    zstd(body)
}
