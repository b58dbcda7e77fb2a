//! The client side of an open WebSocket (after the `101`): masked text frames out (compressed
//! when permessage-deflate was negotiated), messages in (reassembling fragments, inflating
//! RSV1 messages, enforcing the size limit), pings answered with pongs, and the close
//! handshake. Control replies are queued and flushed before anything else is written, so a
//! read cancelled by a timeout never leaves half a frame on the wire.

use bytes::{Bytes, BytesMut};
use tokio::io::{AsyncRead, AsyncReadExt as _, AsyncWrite, AsyncWriteExt as _};

use super::deflate::Deflate;
use super::frame::{self, Header};
use crate::error::UpstreamError;

/// Largest message (after inflating) we accept: 64 MiB, tungstenite's default.
pub(crate) const MAX_MESSAGE: usize = 64 << 20;

/// An open client WebSocket over `S`.
pub(crate) struct Socket<S> {
    io: S,
    read: BytesMut,
    /// Bytes queued for the wire (pongs, close replies, the frame being sent).
    write: Vec<u8>,
    written: usize,
    deflate: Option<Deflate>,
    /// A fragmented message being assembled: (opcode, compressed, payload so far).
    partial: Option<(u8, bool, Vec<u8>)>,
    /// Reused buffer for compressing outgoing messages.
    scratch: Vec<u8>,
    mask_state: u64,
    close_sent: bool,
    closed: bool,
    max_message: usize,
}

impl<S: AsyncRead + AsyncWrite + Unpin> Socket<S> {
    /// Wraps `io` right after the handshake; `leftover` holds bytes read past the `101` head.
    pub(crate) fn new(io: S, leftover: BytesMut, deflate: Option<Deflate>, seed: u64) -> Self {
        Self {
            io,
            read: leftover,
            write: Vec::new(),
            written: 0,
            deflate,
            partial: None,
            scratch: Vec::new(),
            mask_state: seed,
            close_sent: false,
            closed: false,
            max_message: MAX_MESSAGE,
        }
    }

    /// Lowers the message size limit (tests).
    #[cfg(test)]
    pub(crate) fn set_max_message(&mut self, max: usize) {
        self.max_message = max;
    }

    /// True when permessage-deflate is in use.
    pub(crate) fn deflate(&self) -> Option<&Deflate> {
        self.deflate.as_ref()
    }

    /// Sends one text message as a single frame (compressed when negotiated).
    pub(crate) async fn send_text(&mut self, text: &[u8]) -> Result<(), UpstreamError> {
        self.flush().await?;
        if self.close_sent || self.closed {
            return Err(fail("the websocket is closed"));
        }
        let mask = self.next_mask();
        let mut compressed = std::mem::take(&mut self.scratch);
        compressed.clear();
        let rsv1 = match self.deflate.as_mut() {
            Some(d) => d.compress(text, &mut compressed).map_err(fail)?,
            None => false,
        };
        let payload = if rsv1 { &compressed[..] } else { text };
        frame::write_masked(&mut self.write, true, rsv1, frame::TEXT, mask, payload);
        self.scratch = compressed;
        self.flush().await
    }

    /// The next data message; `Ok(None)` after the server's close frame. An EOF without a
    /// close frame is an error (a cut stream).
    pub(crate) async fn next_message(&mut self) -> Result<Option<Bytes>, UpstreamError> {
        self.flush().await?;
        loop {
            if self.closed {
                return Ok(None);
            }
            let Some(header) = frame::parse(&self.read).map_err(fail)? else {
                self.fill().await?;
                continue;
            };
            let limit = self.max_message as u64;
            let len = usize::try_from(header.len)
                .ok()
                .filter(|_| header.len <= limit)
                .ok_or(fail("websocket frame exceeds the size limit"))?;
            if header.mask.is_some() {
                return Err(fail("server frame is masked"));
            }
            if self.read.len() < header.header_len + len {
                self.read.reserve(header.header_len + len - self.read.len());
                self.fill().await?;
                continue;
            }
            let _ = self.read.split_to(header.header_len);
            let payload = self.read.split_to(len);
            if let Some(message) = self.on_frame(header, payload).await? {
                return Ok(Some(message));
            }
        }
    }

    /// Sends a close frame (1000) if none was sent yet, and flushes it.
    pub(crate) async fn close(&mut self) -> Result<(), UpstreamError> {
        if !self.close_sent && !self.closed {
            self.queue_control(frame::CLOSE, &1000u16.to_be_bytes());
            self.close_sent = true;
        }
        self.flush().await?;
        self.io.shutdown().await.map_err(UpstreamError::Connect)
    }

    async fn on_frame(
        &mut self,
        header: Header,
        payload: BytesMut,
    ) -> Result<Option<Bytes>, UpstreamError> {
        if header.is_control() {
            if header.rsv1 {
                return Err(fail("control frame has RSV1 set"));
            }
            match header.opcode {
                frame::PING if !self.close_sent => {
                    self.queue_control(frame::PONG, &payload);
                    self.flush().await?;
                }
                frame::CLOSE => {
                    if payload.len() == 1 {
                        return Err(fail("close frame with a one-byte body"));
                    }
                    if !self.close_sent {
                        // Echo the status code, as RFC 6455 §5.5.1 asks.
                        let code = payload.get(..2).unwrap_or_default().to_vec();
                        self.queue_control(frame::CLOSE, &code);
                        self.close_sent = true;
                        self.flush().await?;
                    }
                    self.closed = true;
                    return Ok(None);
                }
                _ => {}
            }
            return Ok(None);
        }
        if header.rsv1 && (self.deflate.is_none() || header.opcode == frame::CONTINUATION) {
            return Err(fail("frame has RSV1 set without permessage-deflate"));
        }
        let (opcode, compressed, whole) = match (header.opcode, self.partial.take()) {
            (frame::CONTINUATION, None) => {
                return Err(fail("continuation frame without a message"));
            }
            (frame::CONTINUATION, Some((opcode, compressed, mut parts))) => {
                if parts.len() + payload.len() > self.max_message {
                    return Err(fail("websocket message exceeds the size limit"));
                }
                parts.extend_from_slice(&payload);
                if !header.fin {
                    self.partial = Some((opcode, compressed, parts));
                    return Ok(None);
                }
                (opcode, compressed, Bytes::from(parts))
            }
            (_, Some(_)) => return Err(fail("new message inside a fragmented one")),
            (opcode, None) if !header.fin => {
                self.partial = Some((opcode, header.rsv1, payload.to_vec()));
                return Ok(None);
            }
            (opcode, None) => (opcode, header.rsv1, payload.freeze()),
        };
        let message = match (compressed, self.deflate.as_mut()) {
            (true, Some(d)) => {
                let mut out = Vec::with_capacity((whole.len() * 4).min(self.max_message));
                d.decompress(&whole, &mut out, self.max_message)
                    .map_err(fail)?;
                Bytes::from(out)
            }
            _ => whole,
        };
        if opcode == frame::TEXT {
            std::str::from_utf8(&message).map_err(|_| fail("text message is not UTF-8"))?;
        }
        Ok(Some(message))
    }

    fn queue_control(&mut self, opcode: u8, payload: &[u8]) {
        let mask = self.next_mask();
        frame::write_masked(&mut self.write, true, false, opcode, mask, payload);
    }

    /// Writes out whatever is queued; safe to cancel and call again.
    async fn flush(&mut self) -> Result<(), UpstreamError> {
        while self.written < self.write.len() {
            let n = self
                .io
                .write(&self.write[self.written..])
                .await
                .map_err(UpstreamError::Connect)?;
            if n == 0 {
                return Err(UpstreamError::Connect(std::io::ErrorKind::WriteZero.into()));
            }
            self.written += n;
        }
        self.write.clear();
        self.written = 0;
        self.io.flush().await.map_err(UpstreamError::Connect)
    }

    async fn fill(&mut self) -> Result<(), UpstreamError> {
        if self.read.capacity() - self.read.len() < 4096 {
            self.read.reserve(16 * 1024);
        }
        let n = self
            .io
            .read_buf(&mut self.read)
            .await
            .map_err(UpstreamError::Connect)?;
        if n == 0 {
            return Err(fail("connection closed without a close frame"));
        }
        Ok(())
    }

    /// splitmix64 over a random seed: a fresh, unpredictable-enough key per frame without a
    /// syscall per frame.
    fn next_mask(&mut self) -> [u8; 4] {
        self.mask_state = self.mask_state.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.mask_state;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^= z >> 31;
        let b = z.to_le_bytes();
        [b[0], b[1], b[2], b[3]]
    }
}

fn fail(reason: &'static str) -> UpstreamError {
    UpstreamError::WebSocket { reason }
}
