//! Error types of this crate: [`SseError`] for SSE framing, [`EventError`] for event payloads.

/// The SSE decoder could not produce a frame; the stream must be aborted.
///
/// Once a decoder has returned an error it keeps returning the same error.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SseError {
    /// One pending event (fields plus unterminated line) grew past the configured limit.
    #[error("sse event exceeds the limit of {limit} bytes")]
    EventTooLarge {
        /// The configured maximum, in bytes.
        limit: usize,
    },
    /// A line of the stream is not valid UTF-8.
    #[error("sse stream contains invalid utf-8 at byte {offset} of a line")]
    InvalidUtf8 {
        /// Offset of the first invalid byte inside the offending line.
        offset: usize,
    },
}

impl SseError {
    /// True when the error is the per-event size limit (the stream was well-formed so far).
    pub fn is_too_large(&self) -> bool {
        matches!(self, SseError::EventTooLarge { .. })
    }

    /// True when the stream carried bytes that are not UTF-8.
    pub fn is_invalid_utf8(&self) -> bool {
        matches!(self, SseError::InvalidUtf8 { .. })
    }
}

/// A frame of a known Responses event kind could not be parsed into its payload type.
#[derive(Debug, thiserror::Error)]
pub enum EventError {
    /// The frame had no `event:` name and its data has no readable string `type` field.
    #[error("sse frame has no event name and no json `type` field")]
    MissingType,
    /// The data of a known event kind is not the JSON shape that kind requires.
    #[error("malformed `{kind}` event: {source}")]
    Malformed {
        /// The event name (for example `response.output_text.delta`).
        kind: String,
        /// What serde_json reported.
        #[source]
        source: serde_json::Error,
    },
}

impl EventError {
    /// The event name of a malformed known event, if that is what failed.
    pub fn kind(&self) -> Option<&str> {
        match self {
            EventError::MissingType => None,
            EventError::Malformed { kind, .. } => Some(kind),
        }
    }
}
