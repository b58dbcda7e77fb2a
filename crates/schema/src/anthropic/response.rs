//! What we answer with: the non-streamed [`Message`], the streamed [`StreamEvent`]s, errors and
//! the `count_tokens` reply. Serialize-only and borrowing, so writing a frame allocates nothing.

use std::borrow::Cow;

use serde::Serialize;
use serde_json::value::RawValue;

/// A complete assistant message (`type: "message"`), the non-streamed reply and the payload of
/// `message_start` (with empty content).
#[derive(Debug, Clone, Serialize)]
pub struct Message<'a> {
    /// `msg_…`.
    pub id: Cow<'a, str>,
    /// Always `message`.
    #[serde(rename = "type")]
    pub kind: &'static str,
    /// Always `assistant`.
    pub role: &'static str,
    /// Content blocks.
    pub content: Vec<ResponseBlock<'a>>,
    /// The model name the client asked for.
    pub model: Cow<'a, str>,
    /// `end_turn`, `tool_use`, `max_tokens`, `refusal`, … (null in `message_start`).
    pub stop_reason: Option<&'a str>,
    /// Always null (stop sequences are not supported upstream).
    pub stop_sequence: Option<&'a str>,
    /// Token usage.
    pub usage: Usage,
}

/// One content block of a reply (or of a `content_block_start`).
#[derive(Debug, Clone, Serialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum ResponseBlock<'a> {
    /// `{type:"text", text}`.
    Text {
        /// The text.
        text: Cow<'a, str>,
    },
    /// `{type:"thinking", thinking, signature}`.
    Thinking {
        /// Reasoning summary text.
        thinking: Cow<'a, str>,
        /// Opaque signature.
        signature: Cow<'a, str>,
    },
    /// `{type:"redacted_thinking", data}`.
    RedactedThinking {
        /// Opaque data.
        data: Cow<'a, str>,
    },
    /// `{type:"tool_use", id, name, input}`.
    ToolUse {
        /// Call id.
        id: Cow<'a, str>,
        /// Tool name.
        name: Cow<'a, str>,
        /// Arguments object (JSON text, written verbatim).
        input: &'a RawValue,
    },
}

/// `usage` of a message or `message_delta`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct Usage {
    /// Input tokens not read from cache.
    pub input_tokens: u64,
    /// Tokens written to the cache (always 0 here; omitted when `None`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub cache_creation_input_tokens: Option<u64>,
    /// Input tokens read from cache (omitted when `None`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub cache_read_input_tokens: Option<u64>,
    /// Output tokens.
    pub output_tokens: u64,
}

/// Payload of `message_delta.delta`.
#[derive(Debug, Clone, Copy, Serialize)]
pub struct MessageDelta<'a> {
    /// Why the turn ended.
    pub stop_reason: &'a str,
    /// Always null.
    pub stop_sequence: Option<&'a str>,
}

/// Payload of `content_block_delta.delta`.
#[derive(Debug, Clone, Serialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum BlockDelta<'a> {
    /// Text fragment.
    TextDelta {
        /// The fragment.
        text: Cow<'a, str>,
    },
    /// Reasoning fragment.
    ThinkingDelta {
        /// The fragment.
        thinking: Cow<'a, str>,
    },
    /// The thinking block's signature (sent once, before the block stops).
    SignatureDelta {
        /// The signature.
        signature: Cow<'a, str>,
    },
    /// Tool input JSON fragment.
    InputJsonDelta {
        /// The fragment.
        partial_json: Cow<'a, str>,
    },
}

/// One streamed event; the SSE event name is [`StreamEvent::name`], the data the JSON of the
/// value (which carries the same `type`).
#[derive(Debug, Clone, Serialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum StreamEvent<'a> {
    /// First event: the message with empty content.
    MessageStart {
        /// The message shell.
        message: Message<'a>,
    },
    /// A content block opens.
    ContentBlockStart {
        /// Block index.
        index: u32,
        /// The block shell (empty text / thinking, tool_use with `input: {}`).
        content_block: ResponseBlock<'a>,
    },
    /// A fragment of an open block.
    ContentBlockDelta {
        /// Block index.
        index: u32,
        /// The fragment.
        delta: BlockDelta<'a>,
    },
    /// A block closes.
    ContentBlockStop {
        /// Block index.
        index: u32,
    },
    /// Stop reason and final usage.
    MessageDelta {
        /// Stop reason.
        delta: MessageDelta<'a>,
        /// Final usage.
        usage: Usage,
    },
    /// Last event.
    MessageStop,
    /// Keep-alive.
    Ping,
    /// An error after the stream started.
    Error {
        /// What went wrong.
        error: ApiError<'a>,
    },
}

impl StreamEvent<'_> {
    /// The SSE `event:` name.
    pub fn name(&self) -> &'static str {
        match self {
            StreamEvent::MessageStart { .. } => "message_start",
            StreamEvent::ContentBlockStart { .. } => "content_block_start",
            StreamEvent::ContentBlockDelta { .. } => "content_block_delta",
            StreamEvent::ContentBlockStop { .. } => "content_block_stop",
            StreamEvent::MessageDelta { .. } => "message_delta",
            StreamEvent::MessageStop => "message_stop",
            StreamEvent::Ping => "ping",
            StreamEvent::Error { .. } => "error",
        }
    }

    /// Appends `event: <name>\ndata: <json>\n\n` to `out`.
    pub fn write(&self, out: &mut Vec<u8>) {
        out.extend_from_slice(b"event: ");
        out.extend_from_slice(self.name().as_bytes());
        out.extend_from_slice(b"\ndata: ");
        // Serializing strings, numbers and raw JSON into a Vec cannot fail; JSON has no raw
        // line breaks, so one data line is enough.
        let _ = serde_json::to_writer(&mut *out, self);
        out.extend_from_slice(b"\n\n");
    }
}

/// `{type, message}` of an error.
#[derive(Debug, Clone, Serialize)]
pub struct ApiError<'a> {
    /// `invalid_request_error`, `authentication_error`, `permission_error`, `not_found_error`,
    /// `rate_limit_error`, `api_error`, `overloaded_error`.
    #[serde(rename = "type")]
    pub kind: &'a str,
    /// Human-readable message.
    pub message: Cow<'a, str>,
}

/// `{type:"error", error:{type, message}}`: an error reply body.
#[derive(Debug, Clone, Serialize)]
pub struct ErrorResponse<'a> {
    /// Always `error`.
    #[serde(rename = "type")]
    pub kind: &'static str,
    /// The error.
    pub error: ApiError<'a>,
}

impl<'a> ErrorResponse<'a> {
    /// An error body of the given Anthropic error type.
    pub fn new(kind: &'a str, message: impl Into<Cow<'a, str>>) -> Self {
        ErrorResponse {
            kind: "error",
            error: ApiError {
                kind,
                message: message.into(),
            },
        }
    }
}

/// `{input_tokens}`: the `count_tokens` reply.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct CountTokensResponse {
    /// Input token count.
    pub input_tokens: u64,
}
