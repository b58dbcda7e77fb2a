//! The Responses routes' error body: `{type:"error", error:{type, code, message, param}}`
//! (translation spec §9.1, §9.2). The inner object is OpenAI's error object, so OpenAI SDKs
//! read it like any other API error.

use serde_json::json;

use crate::reply::ErrorReply;

/// `{"type":"error","error":{"type","code","message","param"}}` bytes for `reply`.
pub fn responses_error_body(reply: &ErrorReply) -> Vec<u8> {
    json!({
        "type": "error",
        "error": {
            "type": reply.kind.openai_type(),
            "code": reply.code,
            "message": reply.message,
            "param": reply.param,
        },
    })
    .to_string()
    .into_bytes()
}
