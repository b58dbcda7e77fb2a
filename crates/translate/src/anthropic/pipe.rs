//! Bytes in, bytes out: an [`SseDecoder`] in front of an [`AnthropicStream`] or
//! [`AnthropicCollector`], for the gateway, replay, fuzzing and benchmarks. Frames that are not
//! valid events are skipped; a framing error (oversized event, invalid UTF-8) ends the response.

use codex_proxy_schema::sse::SseDecoder;

use super::{AnthropicCollector, AnthropicContext, AnthropicStream};
use crate::frames::drain;
use crate::reply::{ErrorKind, ErrorReply};
use crate::upstream::UpstreamFailure;

/// Streaming translation of raw upstream SSE bytes to Anthropic SSE bytes.
#[derive(Debug)]
pub struct AnthropicSseTranslator {
    decoder: SseDecoder,
    stream: AnthropicStream,
    failed: bool,
}

impl AnthropicSseTranslator {
    /// A translator for one response.
    pub fn new(ctx: AnthropicContext) -> Self {
        AnthropicSseTranslator {
            decoder: SseDecoder::new(),
            stream: AnthropicStream::new(ctx),
            failed: false,
        }
    }

    /// Writes `message_start` now (before the first upstream byte).
    pub fn start(&mut self, out: &mut Vec<u8>) {
        self.stream.start(out);
    }

    /// Writes a `ping` event (idle keep-alive).
    pub fn ping(&mut self, out: &mut Vec<u8>) {
        self.stream.ping(out);
    }

    /// Feed upstream bytes (split anywhere); append client bytes to `out`.
    pub fn push_bytes(&mut self, chunk: &[u8], out: &mut Vec<u8>) {
        if self.failed {
            return;
        }
        self.decoder.push(chunk);
        self.drain(out, false);
    }

    /// End of the upstream body: flush, then end the client stream (`message_stop` or `error`).
    pub fn finish(&mut self, out: &mut Vec<u8>) {
        if !self.failed {
            self.drain(out, true);
        }
        self.stream.finish(out);
    }

    /// The upstream transport failed: report it in-stream.
    pub fn fail(&mut self, err: &UpstreamFailure, out: &mut Vec<u8>) {
        self.failed = true;
        self.stream.fail(err, out);
    }

    /// Whether the client stream has ended (`message_stop` or `error` written).
    pub fn is_terminated(&self) -> bool {
        self.stream.is_terminated()
    }

    fn drain(&mut self, out: &mut Vec<u8>, eof: bool) {
        let stream = &mut self.stream;
        if let Some(failure) = drain(&mut self.decoder, eof, &mut |ev| stream.push(ev, out)) {
            self.failed = true;
            stream.fail(&failure, out);
        }
    }
}

/// Non-streaming translation of raw upstream SSE bytes to one Anthropic `message` body.
#[derive(Debug)]
pub struct AnthropicSseCollector {
    decoder: SseDecoder,
    collector: AnthropicCollector,
    error: Option<ErrorReply>,
}

impl AnthropicSseCollector {
    /// A collector for one response.
    pub fn new(ctx: AnthropicContext) -> Self {
        AnthropicSseCollector {
            decoder: SseDecoder::new(),
            collector: AnthropicCollector::new(ctx),
            error: None,
        }
    }

    /// Feed upstream bytes (split anywhere).
    pub fn push_bytes(&mut self, chunk: &[u8]) {
        if self.error.is_none() {
            self.decoder.push(chunk);
            self.drain(false);
        }
    }

    /// End of the upstream body: the message JSON, or the error to return instead.
    pub fn finish(mut self) -> Result<Vec<u8>, ErrorReply> {
        if self.error.is_none() {
            self.drain(true);
        }
        match self.error {
            Some(reply) => Err(reply),
            None => self.collector.finish(),
        }
    }

    fn drain(&mut self, eof: bool) {
        let collector = &mut self.collector;
        if let Some(failure) = drain(&mut self.decoder, eof, &mut |ev| collector.push(ev)) {
            self.error = Some(ErrorReply::new(
                502,
                ErrorKind::Upstream,
                failure.message,
                Some(failure.code),
            ));
        }
    }
}
