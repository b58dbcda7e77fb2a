//! Incremental newline-delimited JSON splitter with the same push / next / finish shape as
//! [`SseDecoder`](super::SseDecoder) (used for Ollama-style streams).

use crate::error::SseError;

/// Splits pushed bytes into lines (LF or CRLF); blank lines are skipped. Lines are returned as
/// `&str` borrowed from the decoder and must be parsed before the next call.
#[derive(Debug)]
pub struct NdjsonDecoder {
    buf: Vec<u8>,
    pos: usize,
    scanned: usize,
    max_line_len: usize,
    eof: bool,
    failed: Option<SseError>,
}

impl Default for NdjsonDecoder {
    fn default() -> Self {
        Self::new()
    }
}

impl NdjsonDecoder {
    /// A decoder with a 64 MiB line limit.
    pub fn new() -> Self {
        Self::with_max_line_len(super::DEFAULT_MAX_EVENT_LEN)
    }

    /// A decoder rejecting lines longer than `max` bytes.
    pub fn with_max_line_len(max: usize) -> Self {
        NdjsonDecoder {
            buf: Vec::new(),
            pos: 0,
            scanned: 0,
            max_line_len: max,
            eof: false,
            failed: None,
        }
    }

    /// Appends bytes (ignored after an error or after [`finish`](Self::finish)).
    pub fn push(&mut self, chunk: &[u8]) {
        if self.failed.is_some() || self.eof {
            return;
        }
        if self.pos > 0 {
            self.buf.drain(..self.pos);
            self.scanned -= self.pos;
            self.pos = 0;
        }
        self.buf.extend_from_slice(chunk);
    }

    /// The next complete non-blank line without its line ending, or `Ok(None)` for "need more".
    pub fn next_line(&mut self) -> Result<Option<&str>, SseError> {
        match self.advance()? {
            Some((start, end)) => self.line_at(start, end).map(Some),
            None => Ok(None),
        }
    }

    /// Marks end of input; returns remaining lines, including an unterminated last line.
    pub fn finish(&mut self) -> Result<Option<&str>, SseError> {
        self.eof = true;
        self.next_line()
    }

    fn line_at(&mut self, start: usize, end: usize) -> Result<&str, SseError> {
        if let Err(e) = std::str::from_utf8(&self.buf[start..end]) {
            return Err(self.fail(SseError::InvalidUtf8 {
                offset: e.valid_up_to(),
            }));
        }
        // Validated above (a second pass keeps the borrow checker happy without `unsafe`).
        std::str::from_utf8(&self.buf[start..end]).map_err(|e| SseError::InvalidUtf8 {
            offset: e.valid_up_to(),
        })
    }

    fn fail(&mut self, err: SseError) -> SseError {
        self.failed = Some(err.clone());
        self.buf = Vec::new();
        self.pos = 0;
        self.scanned = 0;
        err
    }

    fn advance(&mut self) -> Result<Option<(usize, usize)>, SseError> {
        if let Some(err) = &self.failed {
            return Err(err.clone());
        }
        loop {
            let start = self.pos;
            let (end, next) = match memchr::memchr(b'\n', &self.buf[self.scanned..]) {
                Some(off) => (self.scanned + off, self.scanned + off + 1),
                None => {
                    self.scanned = self.buf.len();
                    if self.buf.len() - start > self.max_line_len {
                        let limit = self.max_line_len;
                        return Err(self.fail(SseError::EventTooLarge { limit }));
                    }
                    if !self.eof || start == self.buf.len() {
                        return Ok(None);
                    }
                    (self.buf.len(), self.buf.len())
                }
            };
            self.pos = next;
            self.scanned = next;
            let mut line_end = end;
            if line_end > start && self.buf[line_end - 1] == b'\r' {
                line_end -= 1;
            }
            if line_end - start > self.max_line_len {
                let limit = self.max_line_len;
                return Err(self.fail(SseError::EventTooLarge { limit }));
            }
            if self.buf[start..line_end]
                .iter()
                .all(u8::is_ascii_whitespace)
            {
                continue;
            }
            return Ok(Some((start, line_end)));
        }
    }
}
