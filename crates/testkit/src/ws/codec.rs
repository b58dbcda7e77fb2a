//! Server-side WebSocket framing with permessage-deflate (RFC 6455, RFC 7692), independent of
//! the workspace's client: reads masked client frames (reassembling fragments, inflating RSV1
//! messages, answering pings), writes unmasked frames (optionally fragmented, compressed when
//! negotiated).

use bytes::BytesMut;
use flate2::{Compress, Compression, Decompress, FlushCompress, FlushDecompress, Status};
use tokio::io::{AsyncRead, AsyncReadExt as _, AsyncWrite, AsyncWriteExt as _};

const TAIL: [u8; 4] = [0, 0, 0xff, 0xff];
const MAX_MESSAGE: usize = 64 << 20;

/// What the server negotiated: the answer value and its own codec settings.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Negotiated {
    /// `sec-websocket-extensions` value of the 101.
    pub(crate) answer: String,
    server_no_context_takeover: bool,
    client_no_context_takeover: bool,
    server_bits: u8,
    client_bits: u8,
}

/// Accepts the first well-formed `permessage-deflate` offer in `offers`, answering with
/// `permessage-deflate` plus `params` (a `; `-separated list, may be empty).
pub(crate) fn negotiate(offers: &str, params: &str) -> Option<Negotiated> {
    let offered = offers.split(',').any(|offer| {
        let mut parts = offer.split(';').map(str::trim);
        parts.next() == Some("permessage-deflate")
            && parts.all(|p| {
                let name = p.split('=').next().unwrap_or_default().trim();
                matches!(
                    name,
                    "client_max_window_bits"
                        | "server_max_window_bits"
                        | "client_no_context_takeover"
                        | "server_no_context_takeover"
                )
            })
    });
    if !offered {
        return None;
    }
    let mut n = Negotiated {
        answer: "permessage-deflate".to_owned(),
        server_no_context_takeover: false,
        client_no_context_takeover: false,
        server_bits: 15,
        client_bits: 15,
    };
    for param in params.split(';').map(str::trim).filter(|p| !p.is_empty()) {
        n.answer.push_str("; ");
        n.answer.push_str(param);
        let (name, value) = param.split_once('=').unwrap_or((param, ""));
        let bits = value.trim().parse::<u8>().unwrap_or(15).clamp(9, 15);
        match name.trim() {
            "server_no_context_takeover" => n.server_no_context_takeover = true,
            "client_no_context_takeover" => n.client_no_context_takeover = true,
            "server_max_window_bits" => n.server_bits = bits,
            "client_max_window_bits" => n.client_bits = bits,
            _ => {}
        }
    }
    Some(n)
}

/// One message (or control event) read from the client.
#[derive(Debug)]
pub(crate) enum Incoming {
    /// A text message and whether it arrived compressed.
    Text(Vec<u8>, bool),
    /// A pong with its payload.
    Pong(Vec<u8>),
    /// The client's close frame (already answered).
    Close,
}

struct Codec {
    compress: Compress,
    decompress: Decompress,
    settings: Negotiated,
}

/// The server end of an upgraded connection.
pub(crate) struct ServerSocket<S> {
    io: S,
    read: BytesMut,
    codec: Option<Codec>,
}

impl<S: AsyncRead + AsyncWrite + Unpin> ServerSocket<S> {
    pub(crate) fn new(io: S, deflate: Option<Negotiated>) -> Self {
        let codec = deflate.map(|settings| Codec {
            compress: Compress::new_with_window_bits(
                Compression::new(6),
                false,
                settings.server_bits,
            ),
            decompress: Decompress::new_with_window_bits(false, settings.client_bits),
            settings,
        });
        Self {
            io,
            read: BytesMut::with_capacity(16 * 1024),
            codec,
        }
    }

    /// True when permessage-deflate was negotiated.
    pub(crate) fn is_compressed(&self) -> bool {
        self.codec.is_some()
    }

    /// Next client message; `Ok(None)` at EOF. Pings are answered here.
    pub(crate) async fn next(&mut self) -> Result<Option<Incoming>, &'static str> {
        let mut partial: Option<(bool, Vec<u8>)> = None;
        loop {
            let Some((b0, payload)) = self.frame()? else {
                if self
                    .io
                    .read_buf(&mut self.read)
                    .await
                    .map_err(|_| "read failed")?
                    == 0
                {
                    return Ok(None);
                }
                continue;
            };
            let (fin, rsv1, opcode) = (b0 & 0x80 != 0, b0 & 0x40 != 0, b0 & 0x0f);
            match opcode {
                0x9 => self.send_frame(0x8A, &payload).await?,
                0xA => return Ok(Some(Incoming::Pong(payload))),
                0x8 => {
                    let code = payload.get(..2).unwrap_or_default().to_vec();
                    self.send_frame(0x88, &code).await?;
                    return Ok(Some(Incoming::Close));
                }
                0x0..=0x2 => {
                    let (compressed, mut data) = match (opcode, partial.take()) {
                        (0x0, Some(p)) if !rsv1 => p,
                        (0x1 | 0x2, None) => (rsv1, Vec::new()),
                        _ => return Err("bad fragment sequence"),
                    };
                    if compressed && self.codec.is_none() {
                        return Err("RSV1 without permessage-deflate");
                    }
                    data.extend_from_slice(&payload);
                    if !fin {
                        partial = Some((compressed, data));
                        continue;
                    }
                    let text = match (compressed, self.codec.as_mut()) {
                        (true, Some(codec)) => codec.inflate(&data)?,
                        _ => data,
                    };
                    return Ok(Some(Incoming::Text(text, compressed)));
                }
                _ => return Err("unknown opcode"),
            }
        }
    }

    /// One complete masked frame from the buffer: (first header byte, unmasked payload).
    fn frame(&mut self) -> Result<Option<(u8, Vec<u8>)>, &'static str> {
        let [b0, b1, ..] = self.read[..] else {
            return Ok(None);
        };
        if b1 & 0x80 == 0 {
            return Err("client frame is not masked");
        }
        let (len, at) = match b1 & 0x7f {
            126 => match self.read.get(2..4) {
                Some(b) => (usize::from(u16::from_be_bytes([b[0], b[1]])), 4),
                None => return Ok(None),
            },
            127 => match self.read.get(2..10) {
                Some(b) => {
                    let mut be = [0u8; 8];
                    be.copy_from_slice(b);
                    let len = usize::try_from(u64::from_be_bytes(be)).unwrap_or(usize::MAX);
                    (len, 10)
                }
                None => return Ok(None),
            },
            n => (usize::from(n), 2),
        };
        if len > MAX_MESSAGE {
            return Err("frame too large");
        }
        if self.read.len() < at + 4 + len {
            return Ok(None);
        }
        let mut frame = self.read.split_to(at + 4 + len);
        let mask = [frame[at], frame[at + 1], frame[at + 2], frame[at + 3]];
        let mut payload = frame.split_off(at + 4).to_vec();
        for (i, byte) in payload.iter_mut().enumerate() {
            *byte ^= mask[i % 4];
        }
        Ok(Some((b0, payload)))
    }

    /// Sends a text message, compressed when negotiated, split into frames of at most
    /// `fragment` payload bytes.
    pub(crate) async fn send_text(
        &mut self,
        text: &[u8],
        fragment: Option<usize>,
    ) -> Result<(), &'static str> {
        let compressed = match self.codec.as_mut() {
            Some(codec) => Some(codec.deflate(text)?),
            None => None,
        };
        let payload = compressed.as_deref().unwrap_or(text);
        let step = fragment.unwrap_or(usize::MAX).max(1);
        let mut chunks = payload.chunks(step).peekable();
        let mut first = true;
        if payload.is_empty() {
            let b0 = 0x81 | if compressed.is_some() { 0x40 } else { 0 };
            return self.send_frame(b0, &[]).await;
        }
        while let Some(chunk) = chunks.next() {
            let fin = if chunks.peek().is_none() { 0x80 } else { 0 };
            let opcode = if first { 0x1 } else { 0x0 };
            let rsv1 = if first && compressed.is_some() {
                0x40
            } else {
                0
            };
            self.send_frame(fin | rsv1 | opcode, chunk).await?;
            first = false;
        }
        Ok(())
    }

    /// Sends a ping with `payload`.
    pub(crate) async fn ping(&mut self, payload: &[u8]) -> Result<(), &'static str> {
        self.send_frame(0x89, payload).await
    }

    async fn send_frame(&mut self, b0: u8, payload: &[u8]) -> Result<(), &'static str> {
        let mut out = Vec::with_capacity(10 + payload.len());
        out.push(b0);
        match payload.len() {
            n @ 0..=125 => out.push(n as u8),
            n @ 126..=0xffff => {
                out.push(126);
                out.extend_from_slice(&(n as u16).to_be_bytes());
            }
            n => {
                out.push(127);
                out.extend_from_slice(&(n as u64).to_be_bytes());
            }
        }
        out.extend_from_slice(payload);
        self.io.write_all(&out).await.map_err(|_| "write failed")?;
        self.io.flush().await.map_err(|_| "write failed")
    }
}

impl Codec {
    fn deflate(&mut self, input: &[u8]) -> Result<Vec<u8>, &'static str> {
        let mut out = Vec::with_capacity(input.len() / 2 + 64);
        let base = self.compress.total_in();
        loop {
            let done = usize::try_from(self.compress.total_in() - base).unwrap_or(usize::MAX);
            let rest = input.get(done..).unwrap_or_default();
            self.compress
                .compress_vec(rest, &mut out, FlushCompress::Sync)
                .map_err(|_| "deflate failed")?;
            let done = usize::try_from(self.compress.total_in() - base).unwrap_or(usize::MAX);
            if done >= input.len() && out.len() < out.capacity() {
                break;
            }
            out.reserve(out.capacity().max(64));
        }
        if !out.ends_with(&TAIL) {
            return Err("sync flush without its tail");
        }
        out.truncate(out.len() - TAIL.len());
        if self.settings.server_no_context_takeover {
            self.compress.reset();
        }
        Ok(out)
    }

    fn inflate(&mut self, input: &[u8]) -> Result<Vec<u8>, &'static str> {
        let mut out = Vec::with_capacity(input.len() * 4 + 64);
        for part in [input, &TAIL[..]] {
            let mut pos = 0;
            loop {
                if out.len() == out.capacity() {
                    if out.len() > MAX_MESSAGE {
                        return Err("message too large");
                    }
                    out.reserve(out.capacity());
                }
                let before = (self.decompress.total_in(), out.len());
                let rest = part.get(pos..).unwrap_or_default();
                let status = self
                    .decompress
                    .decompress_vec(rest, &mut out, FlushDecompress::Sync)
                    .map_err(|_| "invalid deflate data")?;
                pos += usize::try_from(self.decompress.total_in() - before.0).unwrap_or(0);
                let idle = self.decompress.total_in() == before.0 && out.len() == before.1;
                if status == Status::StreamEnd
                    || (pos >= part.len() && out.len() < out.capacity())
                    || (idle && out.len() < out.capacity())
                {
                    break;
                }
            }
        }
        if self.settings.client_no_context_takeover {
            // A fresh decompressor (not `reset`, which would widen the window to 15 bits).
            self.decompress = Decompress::new_with_window_bits(false, self.settings.client_bits);
        }
        Ok(out)
    }
}
