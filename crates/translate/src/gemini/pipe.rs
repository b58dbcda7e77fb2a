//! Bytes in, bytes out: an [`SseDecoder`] in front of a [`GeminiStream`] or
//! [`GeminiCollector`], so callers hand over upstream body chunks as they arrive.

use codex_proxy_schema::sse::SseDecoder;

use super::{GeminiCollector, GeminiContext, GeminiStream};
use crate::frames::drain;
use crate::reply::{ErrorKind, ErrorReply};
use crate::upstream::UpstreamFailure;

/// Streaming translation of raw upstream SSE bytes to Gemini stream bytes.
#[derive(Debug)]
pub struct GeminiSseTranslator {
    decoder: SseDecoder,
    stream: GeminiStream,
}

impl GeminiSseTranslator {
    /// A translator for one response.
    pub fn new(ctx: GeminiContext) -> Self {
        GeminiSseTranslator {
            decoder: SseDecoder::new(),
            stream: GeminiStream::new(ctx),
        }
    }

    /// Feed upstream bytes (split anywhere); append client bytes to `out`.
    pub fn push_bytes(&mut self, chunk: &[u8], out: &mut Vec<u8>) {
        if self.stream.is_terminated() {
            return;
        }
        self.decoder.push(chunk);
        self.pump(false, out);
    }

    /// End of the upstream body: flush and terminate the client stream.
    pub fn finish(&mut self, out: &mut Vec<u8>) {
        if !self.stream.is_terminated() {
            self.pump(true, out);
        }
        self.stream.finish(out);
    }

    /// The upstream transport failed: report it in-stream and terminate.
    pub fn fail(&mut self, err: &UpstreamFailure, out: &mut Vec<u8>) {
        self.stream.fail(err, out);
    }

    /// Whether the client stream is complete.
    pub fn is_terminated(&self) -> bool {
        self.stream.is_terminated()
    }

    fn pump(&mut self, eof: bool, out: &mut Vec<u8>) {
        let stream = &mut self.stream;
        if let Some(failure) = drain(&mut self.decoder, eof, &mut |ev| stream.push(ev, out)) {
            stream.fail(&failure, out);
        }
    }
}

/// Non-streaming translation of raw upstream SSE bytes to one Gemini response body.
#[derive(Debug)]
pub struct GeminiSseCollector {
    decoder: SseDecoder,
    collector: GeminiCollector,
    error: Option<ErrorReply>,
}

impl GeminiSseCollector {
    /// A collector for one response.
    pub fn new(ctx: GeminiContext) -> Self {
        GeminiSseCollector {
            decoder: SseDecoder::new(),
            collector: GeminiCollector::new(ctx),
            error: None,
        }
    }

    /// Feed upstream bytes (split anywhere).
    pub fn push_bytes(&mut self, chunk: &[u8]) {
        if self.error.is_none() {
            self.decoder.push(chunk);
            self.pump(false);
        }
    }

    /// End of the upstream body: the response JSON, or the error to return instead.
    pub fn finish(mut self) -> Result<Vec<u8>, ErrorReply> {
        if self.error.is_none() {
            self.pump(true);
        }
        match self.error {
            Some(reply) => Err(reply),
            None => self.collector.finish(),
        }
    }

    fn pump(&mut self, eof: bool) {
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
