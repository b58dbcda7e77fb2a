//! permessage-deflate (RFC 7692), client side: the offer we send, the parameters the server
//! answers with, and the per-socket compressor/decompressor (raw DEFLATE via `flate2`).
//!
//! Sending: DEFLATE the message with a sync flush and strip the trailing `00 00 ff ff`.
//! Receiving: append `00 00 ff ff` and inflate. Both sides keep their LZ77 window across
//! messages ("context takeover") unless the server's answer says `*_no_context_takeover`.
//! Level 6 with zlib-rs reproduces the official client's compressed payloads byte for byte.

use flate2::{Compress, Compression, Decompress, FlushCompress, FlushDecompress, Status};

/// The `sec-websocket-extensions` value of the official client's upgrade request.
pub(crate) const OFFER: &str = "permessage-deflate; client_max_window_bits";

/// The empty stored block a sync flush ends with; stripped on send, appended on receive.
const TAIL: [u8; 4] = [0x00, 0x00, 0xff, 0xff];

/// Parameters of an accepted permessage-deflate negotiation.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct DeflateParams {
    /// The server resets its compressor after each message.
    pub(crate) server_no_context_takeover: bool,
    /// We must reset our compressor after each message.
    pub(crate) client_no_context_takeover: bool,
    /// Window the server compresses with (informational: we inflate with 15 bits).
    pub(crate) server_max_window_bits: u8,
    /// Window we may compress with.
    pub(crate) client_max_window_bits: u8,
}

impl Default for DeflateParams {
    fn default() -> Self {
        Self {
            server_no_context_takeover: false,
            client_no_context_takeover: false,
            server_max_window_bits: 15,
            client_max_window_bits: 15,
        }
    }
}

impl DeflateParams {
    /// Reads the server's `sec-websocket-extensions` answer (all values, comma-joined).
    /// `Ok(None)`: no extension accepted. Anything we did not offer, an unknown or repeated
    /// parameter, or a bad window size fails the handshake (RFC 7692 §5, §7).
    pub(crate) fn from_answer(answer: &str) -> Result<Option<Self>, &'static str> {
        let mut accepted = None;
        for extension in answer.split(',').map(str::trim).filter(|e| !e.is_empty()) {
            let mut parts = extension.split(';').map(str::trim);
            if parts.next() != Some("permessage-deflate") {
                return Err("server accepted an extension that was not offered");
            }
            if accepted.is_some() {
                return Err("server accepted permessage-deflate twice");
            }
            let mut params = Self::default();
            let mut seen = [false; 4];
            for param in parts {
                let (name, value) = match param.split_once('=') {
                    Some((n, v)) => (n.trim(), Some(v.trim().trim_matches('"'))),
                    None => (param, None),
                };
                let slot = match name {
                    "server_no_context_takeover" => 0,
                    "client_no_context_takeover" => 1,
                    "server_max_window_bits" => 2,
                    "client_max_window_bits" => 3,
                    _ => return Err("unknown permessage-deflate parameter"),
                };
                if std::mem::replace(&mut seen[slot], true) {
                    return Err("repeated permessage-deflate parameter");
                }
                match (slot, value) {
                    (0, None) => params.server_no_context_takeover = true,
                    (1, None) => params.client_no_context_takeover = true,
                    (2, Some(v)) => params.server_max_window_bits = window_bits(v)?,
                    (3, Some(v)) => params.client_max_window_bits = window_bits(v)?,
                    _ => return Err("malformed permessage-deflate parameter"),
                }
            }
            accepted = Some(params);
        }
        Ok(accepted)
    }
}

fn window_bits(value: &str) -> Result<u8, &'static str> {
    match value.parse::<u8>() {
        Ok(bits @ 8..=15) if !value.starts_with('0') => Ok(bits),
        _ => Err("invalid permessage-deflate window size"),
    }
}

/// Compressor and decompressor of one socket.
pub(crate) struct Deflate {
    /// `None` when the allowed window is too small for zlib (8 bits): messages then go out
    /// uncompressed, which RFC 7692 §6 allows.
    compress: Option<Compress>,
    decompress: Decompress,
    params: DeflateParams,
}

impl std::fmt::Debug for Deflate {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Deflate")
            .field("params", &self.params)
            .finish_non_exhaustive()
    }
}

impl Deflate {
    /// Codec for the negotiated `params`.
    pub(crate) fn new(params: DeflateParams) -> Self {
        let compress = match params.client_max_window_bits {
            15 => Some(Compress::new(Compression::new(6), false)),
            bits @ 9..=14 => Some(Compress::new_with_window_bits(
                Compression::new(6),
                false,
                bits,
            )),
            _ => None,
        };
        Self {
            compress,
            decompress: Decompress::new(false),
            params,
        }
    }

    /// Appends the compressed form of `input` (without the sync-flush tail) to `out`.
    /// Returns false (and appends nothing) when this socket sends uncompressed.
    pub(crate) fn compress(
        &mut self,
        input: &[u8],
        out: &mut Vec<u8>,
    ) -> Result<bool, &'static str> {
        let Some(c) = self.compress.as_mut() else {
            return Ok(false);
        };
        if input.is_empty() {
            // zlib cannot sync-flush twice without input; an empty stored block (its tail
            // stripped) is the empty message (RFC 7692 §7.2.3.6) and keeps the window intact.
            out.push(0x00);
            return Ok(true);
        }
        let start = out.len();
        let base_in = c.total_in();
        out.reserve(input.len() / 2 + 64);
        loop {
            let consumed =
                usize::try_from(c.total_in() - base_in).map_err(|_| "deflate overflow")?;
            let rest = input.get(consumed..).unwrap_or_default();
            c.compress_vec(rest, out, FlushCompress::Sync)
                .map_err(|_| "deflate failed")?;
            let consumed =
                usize::try_from(c.total_in() - base_in).map_err(|_| "deflate overflow")?;
            if consumed >= input.len() && out.len() < out.capacity() {
                break;
            }
            out.reserve(out.capacity().max(64));
        }
        if !out[start..].ends_with(&TAIL) {
            return Err("deflate sync flush did not end with an empty block");
        }
        out.truncate(out.len() - TAIL.len());
        if self.params.client_no_context_takeover {
            c.reset();
        }
        Ok(true)
    }

    /// Inflates one message's payload (tail appended here) into `out`, failing once `out`
    /// would exceed `limit` bytes.
    pub(crate) fn decompress(
        &mut self,
        input: &[u8],
        out: &mut Vec<u8>,
        limit: usize,
    ) -> Result<(), &'static str> {
        let ended = inflate(&mut self.decompress, input, out, limit)?
            || inflate(&mut self.decompress, &TAIL, out, limit)?;
        if ended || self.params.server_no_context_takeover {
            // A final block ends the stream: the next message starts a fresh one.
            self.decompress.reset(false);
        }
        Ok(())
    }
}

/// Feeds `input` through `d` into `out`; true when the DEFLATE stream ended (BFINAL block).
pub(crate) fn inflate(
    d: &mut Decompress,
    input: &[u8],
    out: &mut Vec<u8>,
    limit: usize,
) -> Result<bool, &'static str> {
    let mut pos = 0;
    loop {
        if out.len() == out.capacity() {
            if out.len() >= limit {
                return Err("inflated message exceeds the size limit");
            }
            let want = (input.len() * 4).clamp(4096, 1 << 20);
            out.reserve(want.min(limit + 1 - out.len()));
        }
        let (in_before, out_before) = (d.total_in(), out.len());
        let rest = input.get(pos..).unwrap_or_default();
        let status = d
            .decompress_vec(rest, out, FlushDecompress::Sync)
            .map_err(|_| "invalid deflate data")?;
        pos += usize::try_from(d.total_in() - in_before).map_err(|_| "inflate overflow")?;
        if out.len() > limit {
            return Err("inflated message exceeds the size limit");
        }
        if status == Status::StreamEnd {
            return Ok(true);
        }
        let done = pos >= input.len() && out.len() < out.capacity();
        let stuck =
            d.total_in() == in_before && out.len() == out_before && out.len() < out.capacity();
        if done || stuck {
            return Ok(false);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn answers_are_parsed_strictly() {
        assert_eq!(DeflateParams::from_answer(""), Ok(None));
        assert_eq!(
            DeflateParams::from_answer("permessage-deflate"),
            Ok(Some(DeflateParams::default()))
        );
        let p = DeflateParams::from_answer(
            "permessage-deflate; server_no_context_takeover; client_no_context_takeover; server_max_window_bits=10; client_max_window_bits=\"9\"",
        )
        .unwrap()
        .unwrap();
        assert!(p.server_no_context_takeover && p.client_no_context_takeover);
        assert_eq!(
            (p.server_max_window_bits, p.client_max_window_bits),
            (10, 9)
        );
        for bad in [
            "x-webkit-deflate-frame",
            "permessage-deflate, permessage-deflate",
            "permessage-deflate; foo",
            "permessage-deflate; client_max_window_bits",
            "permessage-deflate; client_max_window_bits=16",
            "permessage-deflate; client_max_window_bits=7",
            "permessage-deflate; client_max_window_bits=09",
            "permessage-deflate; server_no_context_takeover; server_no_context_takeover",
            "permessage-deflate; server_no_context_takeover=1",
        ] {
            assert!(DeflateParams::from_answer(bad).is_err(), "{bad}");
        }
    }

    fn round_trip(params: DeflateParams, messages: &[&[u8]]) -> Vec<usize> {
        let mut client = Deflate::new(params);
        let mut server = Decompress::new(false);
        let mut sizes = Vec::new();
        for m in messages {
            let mut wire = Vec::new();
            assert!(client.compress(m, &mut wire).unwrap());
            assert!(!wire.ends_with(&TAIL));
            sizes.push(wire.len());
            wire.extend_from_slice(&TAIL);
            let mut out = Vec::new();
            inflate(&mut server, &wire, &mut out, 1 << 20).unwrap();
            assert_eq!(&out, m);
            if params.client_no_context_takeover {
                server.reset(false);
            }
        }
        sizes
    }

    #[test]
    fn context_takeover_shrinks_repeated_messages() {
        let m: &[u8] = br#"{"type":"response.create","model":"gpt-6.1-sol","input":[{"role":"user","content":"the same words again"}]}"#;
        let kept = round_trip(DeflateParams::default(), &[m, m, m]);
        assert!(kept[1] < kept[0] / 4, "{kept:?}");
        let reset = round_trip(
            DeflateParams {
                client_no_context_takeover: true,
                ..DeflateParams::default()
            },
            &[m, m, m],
        );
        assert_eq!(reset[0], reset[1]);
        let small = round_trip(
            DeflateParams {
                client_max_window_bits: 9,
                ..DeflateParams::default()
            },
            &[m, b"", m],
        );
        assert_eq!(small[1], 1, "an empty message compresses to one byte");
    }

    #[test]
    fn eight_bit_window_sends_uncompressed_and_limits_hold() {
        let mut codec = Deflate::new(DeflateParams {
            client_max_window_bits: 8,
            ..DeflateParams::default()
        });
        let mut out = Vec::new();
        assert!(!codec.compress(b"abc", &mut out).unwrap());
        assert!(out.is_empty());

        // A small payload that inflates past the limit is refused.
        let mut bomb = Deflate::new(DeflateParams::default());
        let mut wire = Vec::new();
        bomb.compress(&vec![b'a'; 100_000], &mut wire).unwrap();
        let mut reader = Deflate::new(DeflateParams::default());
        let mut out = Vec::new();
        assert!(reader.decompress(&wire, &mut out, 10_000).is_err());
        let mut reader = Deflate::new(DeflateParams::default());
        let mut out = Vec::new();
        reader.decompress(&wire, &mut out, 100_000).unwrap();
        assert_eq!(out.len(), 100_000);
        assert!(
            reader
                .decompress(b"\xff\xff\xff", &mut Vec::new(), 100)
                .is_err()
        );
    }
}
