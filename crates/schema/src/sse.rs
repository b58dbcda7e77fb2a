//! Incremental Server-Sent Events codec: [`SseDecoder`] turns bytes split anywhere into
//! [`SseFrame`]s; [`write_event`], [`write_data`], [`write_comment`] and [`write_frame`] encode.
//!
//! Framing rules (the union of the SSE standard and what the Codex backend tolerates):
//! - line endings LF, CRLF or a lone CR, even when a CR and its LF arrive in different pushes;
//! - fields `event:`, `data:`, `id:`, `retry:`, one optional space after the colon removed
//!   (event names are also trimmed); several `data:` lines are joined with `\n`;
//! - lines starting with `:` are comments and skipped;
//! - once a block has a `data:` line, a following line that does not start with `event:`,
//!   `data:`, `id:`, `retry:` or `:` is a continuation data line (pretty-printed JSON error
//!   bodies); other unknown lines are ignored;
//! - a blank line ends a block; a block with neither data nor event is skipped;
//! - one pending event may not exceed a byte limit (64 MiB by default): [`SseError::EventTooLarge`];
//! - a line that is not UTF-8 gives [`SseError::InvalidUtf8`]. After an error the decoder keeps
//!   returning it and ignores further input.
//!
//! The decoder keeps reusable buffers: after warm-up, decoding allocates nothing per event.

mod encode;
mod ndjson;

use crate::error::SseError;

pub use encode::{write_comment, write_data, write_event, write_frame};
pub use ndjson::NdjsonDecoder;

/// Default upper bound of one pending event: 64 MiB (sized for 4K base64 images).
pub const DEFAULT_MAX_EVENT_LEN: usize = 64 * 1024 * 1024;

/// Buffers larger than this are shrunk back once the event that grew them is done.
const RETAINED_CAPACITY: usize = 1024 * 1024;

/// One decoded SSE event, borrowing from the decoder until the next call.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SseFrame<'a> {
    /// The `event:` name, if the block had one.
    pub event: Option<&'a str>,
    /// All `data:` lines joined with `\n` (empty when the block had none).
    pub data: &'a str,
    /// The `id:` value, if the block had one.
    pub id: Option<&'a str>,
    /// The `retry:` value, if the block had a valid one.
    pub retry: Option<u64>,
}

impl SseFrame<'_> {
    /// True for the `data: [DONE]` sentinel that ends OpenAI-style streams.
    pub fn is_done(&self) -> bool {
        self.data == "[DONE]"
    }
}

/// Incremental SSE decoder: [`push`](Self::push) bytes, then call
/// [`next_frame`](Self::next_frame) until it returns `Ok(None)`; at end of input call
/// [`finish`](Self::finish) until it returns `Ok(None)`.
#[derive(Debug)]
pub struct SseDecoder {
    /// Unconsumed input; `buf[pos..]` is not yet processed.
    buf: Vec<u8>,
    pos: usize,
    /// `buf[pos..scanned]` is known to contain no line ending.
    scanned: usize,
    /// The previous line ended with CR: a LF at the start of the next line belongs to it.
    skip_lf: bool,
    max_event_len: usize,
    /// Fields of the block being assembled (reused between events).
    data: String,
    event: String,
    id: String,
    retry: Option<u64>,
    has_data: bool,
    has_event: bool,
    has_id: bool,
    /// A frame was handed out: clear the fields before assembling the next one.
    handed_out: bool,
    /// `finish` was called: the unterminated tail counts as a line, then as a blank line.
    eof: bool,
    eof_done: bool,
    failed: Option<SseError>,
}

impl Default for SseDecoder {
    fn default() -> Self {
        Self::new()
    }
}

impl SseDecoder {
    /// A decoder with the default per-event limit of 64 MiB.
    pub fn new() -> Self {
        Self::with_max_event_len(DEFAULT_MAX_EVENT_LEN)
    }

    /// A decoder that rejects an event (fields plus unterminated line) larger than `max` bytes.
    pub fn with_max_event_len(max: usize) -> Self {
        SseDecoder {
            buf: Vec::new(),
            pos: 0,
            scanned: 0,
            skip_lf: false,
            max_event_len: max,
            data: String::new(),
            event: String::new(),
            id: String::new(),
            retry: None,
            has_data: false,
            has_event: false,
            has_id: false,
            handed_out: false,
            eof: false,
            eof_done: false,
            failed: None,
        }
    }

    /// Appends bytes. Ignored once the decoder has failed or [`finish`](Self::finish) was called.
    pub fn push(&mut self, chunk: &[u8]) {
        if self.failed.is_some() || self.eof || chunk.is_empty() {
            return;
        }
        if self.pos > 0 {
            self.buf.drain(..self.pos);
            self.scanned -= self.pos;
            self.pos = 0;
            if self.buf.capacity() > RETAINED_CAPACITY && self.buf.len() < RETAINED_CAPACITY / 2 {
                self.buf.shrink_to(RETAINED_CAPACITY / 2);
            }
        }
        self.buf.extend_from_slice(chunk);
    }

    /// The next complete frame, or `Ok(None)` when more bytes are needed.
    pub fn next_frame(&mut self) -> Result<Option<SseFrame<'_>>, SseError> {
        if self.advance()? {
            Ok(Some(self.frame()))
        } else {
            Ok(None)
        }
    }

    /// Marks the end of input and returns the remaining frames one by one, including a trailing
    /// block that was not terminated by a blank line. Call until it returns `Ok(None)`.
    pub fn finish(&mut self) -> Result<Option<SseFrame<'_>>, SseError> {
        self.eof = true;
        self.next_frame()
    }

    /// Bytes pushed but not yet consumed by a returned frame (for diagnostics).
    pub fn buffered_len(&self) -> usize {
        self.buf.len() - self.pos
    }

    fn frame(&self) -> SseFrame<'_> {
        SseFrame {
            event: self.has_event.then_some(self.event.as_str()),
            data: &self.data,
            id: self.has_id.then_some(self.id.as_str()),
            retry: self.retry,
        }
    }

    fn clear_block(&mut self) {
        self.data.clear();
        self.event.clear();
        self.id.clear();
        self.retry = None;
        self.has_data = false;
        self.has_event = false;
        self.has_id = false;
    }

    fn fail(&mut self, err: SseError) -> SseError {
        self.failed = Some(err.clone());
        self.buf = Vec::new();
        self.pos = 0;
        self.scanned = 0;
        self.clear_block();
        err
    }

    fn pending_len(&self) -> usize {
        self.data.len() + self.event.len() + self.id.len()
    }

    /// Processes lines until a frame is complete (`true`) or input runs out (`false`).
    fn advance(&mut self) -> Result<bool, SseError> {
        if let Some(err) = &self.failed {
            return Err(err.clone());
        }
        if self.handed_out {
            self.handed_out = false;
            self.clear_block();
            // Keep buffers warm, but do not pin the memory of one huge event (4K images).
            if self.data.capacity() > RETAINED_CAPACITY {
                self.data.shrink_to(RETAINED_CAPACITY);
            }
        }
        loop {
            if self.skip_lf && self.pos < self.buf.len() {
                if self.buf[self.pos] == b'\n' {
                    self.pos += 1;
                }
                self.skip_lf = false;
                self.scanned = self.scanned.max(self.pos);
            }
            let start = self.pos;
            let found = memchr::memchr2(b'\n', b'\r', &self.buf[self.scanned..]);
            let (end, next) = match found {
                Some(off) => {
                    let end = self.scanned + off;
                    if self.buf[end] == b'\r' {
                        self.skip_lf = true;
                    }
                    (end, end + 1)
                }
                None => {
                    self.scanned = self.buf.len();
                    let partial = self.buf.len() - start;
                    if self.pending_len().saturating_add(partial) > self.max_event_len {
                        let limit = self.max_event_len;
                        return Err(self.fail(SseError::EventTooLarge { limit }));
                    }
                    if !self.eof {
                        return Ok(false);
                    }
                    if partial > 0 {
                        (self.buf.len(), self.buf.len())
                    } else {
                        // End of input: an implicit blank line dispatches the last block once.
                        if self.eof_done {
                            return Ok(false);
                        }
                        self.eof_done = true;
                        if self.has_data || self.has_event {
                            self.handed_out = true;
                            return Ok(true);
                        }
                        return Ok(false);
                    }
                }
            };
            self.pos = next;
            self.scanned = next;
            if self.pending_len().saturating_add(end - start) > self.max_event_len {
                let limit = self.max_event_len;
                return Err(self.fail(SseError::EventTooLarge { limit }));
            }
            if end == start {
                if self.has_data || self.has_event {
                    self.handed_out = true;
                    return Ok(true);
                }
                self.clear_block();
                continue;
            }
            let line = match std::str::from_utf8(&self.buf[start..end]) {
                Ok(line) => line,
                Err(e) => {
                    let offset = e.valid_up_to();
                    return Err(self.fail(SseError::InvalidUtf8 { offset }));
                }
            };
            apply_line(
                line,
                &mut Block {
                    data: &mut self.data,
                    event: &mut self.event,
                    id: &mut self.id,
                    retry: &mut self.retry,
                    has_data: &mut self.has_data,
                    has_event: &mut self.has_event,
                    has_id: &mut self.has_id,
                },
            );
        }
    }
}

/// Mutable view of the block fields (split borrow away from the input buffer).
struct Block<'a> {
    data: &'a mut String,
    event: &'a mut String,
    id: &'a mut String,
    retry: &'a mut Option<u64>,
    has_data: &'a mut bool,
    has_event: &'a mut bool,
    has_id: &'a mut bool,
}

/// Applies one non-empty line to the block being assembled.
fn apply_line(line: &str, block: &mut Block<'_>) {
    if line.starts_with(':') {
        return;
    }
    let (name, value) = match line.split_once(':') {
        Some((name, value)) => (name, value.strip_prefix(' ').unwrap_or(value)),
        None => (line, ""),
    };
    match name {
        "data" => {
            if *block.has_data {
                block.data.push('\n');
            }
            block.data.push_str(value);
            *block.has_data = true;
        }
        "event" => {
            block.event.clear();
            block.event.push_str(value.trim());
            *block.has_event = true;
        }
        "id" => {
            block.id.clear();
            block.id.push_str(value);
            *block.has_id = true;
        }
        "retry" if !value.is_empty() && value.bytes().all(|b| b.is_ascii_digit()) => {
            *block.retry = value.parse().ok();
        }
        "retry" => {}
        _ if *block.has_data => {
            // Continuation of a data value that was not SSE-framed (pretty-printed JSON).
            block.data.push('\n');
            block.data.push_str(line);
        }
        _ => {}
    }
}

#[cfg(test)]
mod tests;
