//! Bytes in, bytes out: an [`SseDecoder`] in front of a [`ChatStream`] or [`ChatCollector`], so
//! callers (gateway, replay, fuzzing, benchmarks) hand over upstream body chunks as they arrive.
//!
//! Upstream frames that are not valid events are skipped, like the reference's "unknown" events;
//! a framing error (oversized event, invalid UTF-8) aborts the response.

use codex_proxy_schema::sse::SseDecoder;

use super::{ChatCollector, ChatStream};
use crate::StreamContext;
use crate::frames::drain;
use crate::reply::{ErrorKind, ErrorReply};
use crate::upstream::UpstreamFailure;

/// Streaming translation of raw upstream SSE bytes to client SSE bytes.
#[derive(Debug)]
pub struct ChatSseTranslator {
    decoder: SseDecoder,
    stream: ChatStream,
    failed: bool,
}

impl ChatSseTranslator {
    /// A translator for one response.
    pub fn new(ctx: StreamContext) -> Self {
        ChatSseTranslator {
            decoder: SseDecoder::new(),
            stream: ChatStream::new(ctx),
            failed: false,
        }
    }

    /// Feed upstream bytes (split anywhere); append client bytes to `out`.
    pub fn push_bytes(&mut self, chunk: &[u8], out: &mut Vec<u8>) {
        if self.failed {
            return;
        }
        self.decoder.push(chunk);
        self.drain(out, false);
    }

    /// End of the upstream body: flush, then terminate the client stream (`[DONE]` last).
    pub fn finish(&mut self, out: &mut Vec<u8>) {
        if !self.failed {
            self.drain(out, true);
        }
        self.stream.finish(out);
    }

    /// The upstream transport failed: report it in-stream and terminate.
    pub fn fail(&mut self, err: &UpstreamFailure, out: &mut Vec<u8>) {
        self.failed = true;
        self.stream.fail(err, out);
    }

    /// Whether the client stream already carries its finish chunk or error.
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

/// Non-streaming translation of raw upstream SSE bytes to one `chat.completion` body.
#[derive(Debug)]
pub struct ChatSseCollector {
    decoder: SseDecoder,
    collector: ChatCollector,
    error: Option<ErrorReply>,
}

impl ChatSseCollector {
    /// A collector for one response.
    pub fn new(ctx: StreamContext) -> Self {
        ChatSseCollector {
            decoder: SseDecoder::new(),
            collector: ChatCollector::new(ctx),
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

    /// End of the upstream body: the completion JSON, or the error to return instead.
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
