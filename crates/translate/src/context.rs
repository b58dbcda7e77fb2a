//! What the translators carry from the request to the response side.

use codex_proxy_schema::responses::ResponsesRequest;
use serde_json::Value;

/// A translated client request.
#[derive(Debug, Clone)]
pub struct Translated {
    /// The Codex request to send upstream (the gateway adds `prompt_cache_key` and
    /// `client_metadata`).
    pub request: ResponsesRequest,
    /// The client asked for a streamed answer.
    pub stream: bool,
    /// The client asked for a usage chunk (`stream_options.include_usage`).
    pub include_usage: bool,
    /// Model name echoed to the client (`<id>[-<effort>][-<tier>]`).
    pub client_model: String,
    /// Client conversation id (OpenAI `user`), a prompt-cache / session seed.
    pub conversation_id: Option<String>,
    /// A reasoning effort was set, so reasoning output is expected.
    pub want_reasoning: bool,
    /// The client's original JSON schema when it used tuples (`prefixItems`): the answer text
    /// must be converted back.
    pub tuple_schema: Option<Value>,
    /// Custom tool calls go back in the function envelope (Cursor).
    pub cursor_mode: bool,
}

/// Per-response context of a streaming translator or collector. Ids and clock are injected so
/// output is deterministic.
#[derive(Debug, Clone, Default)]
pub struct StreamContext {
    /// Response id (`chatcmpl-...`).
    pub id: String,
    /// Unix seconds, one value for every chunk.
    pub created: u64,
    /// Model name echoed to the client.
    pub model: String,
    /// Emit a separate usage chunk (`choices: []`) at the end, as OpenAI does with
    /// `stream_options.include_usage`; otherwise usage rides on the finish chunk.
    pub include_usage: bool,
    /// Original tuple schema (see [`Translated::tuple_schema`]).
    pub tuple_schema: Option<Value>,
    /// Cursor mode (see [`Translated::cursor_mode`]).
    pub cursor_mode: bool,
}
