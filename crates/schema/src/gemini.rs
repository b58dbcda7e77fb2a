//! Gemini `generateContent` wire types: the request a client sends
//! ([`GenerateContentRequest`], tolerant: camelCase or snake_case keys, unknown fields kept),
//! the response and stream chunk we write ([`GenerateContentResponse`], borrowing so a chunk is
//! encoded without copying its text), the model list and the error body.

use std::borrow::Cow;

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

/// Body of `POST /v1beta/models/{model}:generateContent` / `:streamGenerateContent`.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct GenerateContentRequest {
    /// The conversation, oldest first.
    #[serde(default)]
    pub contents: Vec<Content>,
    /// System text.
    #[serde(default, alias = "system_instruction")]
    pub system_instruction: Option<Content>,
    /// Tool groups.
    #[serde(default)]
    pub tools: Vec<Tool>,
    /// Function-calling mode.
    #[serde(default, alias = "tool_config")]
    pub tool_config: Option<ToolConfig>,
    /// Sampling, structured output and thinking options.
    #[serde(default, alias = "generation_config")]
    pub generation_config: Option<GenerationConfig>,
    /// Everything else (`safetySettings`, `cachedContent`, ...), accepted and ignored.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

/// One turn: a role and its parts.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct Content {
    /// `user` or `model` (absent means `user`).
    #[serde(default)]
    pub role: Option<String>,
    /// The parts of the turn.
    #[serde(default)]
    pub parts: Vec<Part>,
}

/// One part of a turn. Exactly one data field is normally set.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Part {
    /// Text.
    #[serde(default)]
    pub text: Option<String>,
    /// The text is a thought summary.
    #[serde(default)]
    pub thought: Option<bool>,
    /// Opaque signature of the model's reasoning, echoed back by clients.
    #[serde(default, alias = "thought_signature")]
    pub thought_signature: Option<String>,
    /// Inline bytes (base64).
    #[serde(default, alias = "inline_data")]
    pub inline_data: Option<Blob>,
    /// A file by URI.
    #[serde(default, alias = "file_data")]
    pub file_data: Option<FileData>,
    /// A call the model made.
    #[serde(default, alias = "function_call")]
    pub function_call: Option<FunctionCall>,
    /// The client's answer to a call.
    #[serde(default, alias = "function_response")]
    pub function_response: Option<FunctionResponse>,
    /// Other part fields (`executableCode`, `videoMetadata`, ...), ignored.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

/// `inlineData: {mimeType, data}`.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Blob {
    /// MIME type (`image/png`, `application/pdf`, ...).
    #[serde(default, alias = "mime_type")]
    pub mime_type: String,
    /// Base64 bytes.
    #[serde(default)]
    pub data: String,
}

/// `fileData: {mimeType?, fileUri}`.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct FileData {
    /// MIME type, if given.
    #[serde(default, alias = "mime_type")]
    pub mime_type: Option<String>,
    /// The file's URI.
    #[serde(default, alias = "file_uri")]
    pub file_uri: String,
}

/// `functionCall: {id?, name, args?}`.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct FunctionCall {
    /// Call id, when the client kept the one we sent.
    #[serde(default)]
    pub id: Option<String>,
    /// Function name.
    pub name: String,
    /// Arguments object.
    #[serde(default)]
    pub args: Option<Value>,
}

/// `functionResponse: {id?, name, response?}`.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct FunctionResponse {
    /// Id of the call this answers, if the client sent it.
    #[serde(default)]
    pub id: Option<String>,
    /// Function name.
    pub name: String,
    /// The result object.
    #[serde(default)]
    pub response: Option<Value>,
}

/// One tool group.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Tool {
    /// Function declarations.
    #[serde(default, alias = "function_declarations")]
    pub function_declarations: Vec<FunctionDeclaration>,
    /// Hosted Google search.
    #[serde(default, alias = "google_search")]
    pub google_search: Option<Value>,
    /// Legacy hosted search.
    #[serde(default, alias = "google_search_retrieval")]
    pub google_search_retrieval: Option<Value>,
    /// Other tool kinds (`codeExecution`, `urlContext`, ...), ignored.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

/// `{name, description?, parameters?, parametersJsonSchema?}`.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct FunctionDeclaration {
    /// Function name.
    pub name: String,
    /// What it does.
    #[serde(default)]
    pub description: Option<String>,
    /// Parameters in Gemini's OpenAPI subset (`type: "OBJECT"` ...).
    #[serde(default)]
    pub parameters: Option<Value>,
    /// Parameters as plain JSON Schema.
    #[serde(default, alias = "parameters_json_schema")]
    pub parameters_json_schema: Option<Value>,
}

/// `toolConfig`.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ToolConfig {
    /// `functionCallingConfig`.
    #[serde(default, alias = "function_calling_config")]
    pub function_calling_config: Option<FunctionCallingConfig>,
}

/// `functionCallingConfig: {mode?, allowedFunctionNames?}`.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct FunctionCallingConfig {
    /// `AUTO`, `ANY`, `NONE`, `VALIDATED`.
    #[serde(default)]
    pub mode: Option<String>,
    /// With `ANY`: the functions the model may call.
    #[serde(default, alias = "allowed_function_names")]
    pub allowed_function_names: Option<Vec<String>>,
}

/// `generationConfig`: the fields we act on; sampling knobs land in `extra` and are dropped.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct GenerationConfig {
    /// `text/plain` or `application/json`.
    #[serde(default, alias = "response_mime_type")]
    pub response_mime_type: Option<String>,
    /// Output schema in Gemini's OpenAPI subset.
    #[serde(default, alias = "response_schema")]
    pub response_schema: Option<Value>,
    /// Output schema as plain JSON Schema.
    #[serde(default, alias = "response_json_schema")]
    pub response_json_schema: Option<Value>,
    /// Thinking budget / level and whether thoughts are returned.
    #[serde(default, alias = "thinking_config")]
    pub thinking_config: Option<ThinkingConfig>,
    /// `temperature`, `maxOutputTokens`, `stopSequences`, ...
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

/// `thinkingConfig: {thinkingBudget?, thinkingLevel?, includeThoughts?}`.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ThinkingConfig {
    /// Token budget; `0` disables, `-1` is dynamic.
    #[serde(default, alias = "thinking_budget")]
    pub thinking_budget: Option<i64>,
    /// `MINIMAL`, `LOW`, `MEDIUM`, `HIGH`.
    #[serde(default, alias = "thinking_level")]
    pub thinking_level: Option<String>,
    /// Return thought summaries as `thought: true` parts.
    #[serde(default, alias = "include_thoughts")]
    pub include_thoughts: Option<bool>,
}

/// A response or one stream chunk.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct GenerateContentResponse<'a> {
    /// Always one candidate.
    pub candidates: Vec<Candidate<'a>>,
    /// Token counts (every chunk may carry them; we send them on the last).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub usage_metadata: Option<UsageMetadata>,
    /// The model name the client asked for.
    pub model_version: Cow<'a, str>,
    /// Response id.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub response_id: Option<Cow<'a, str>>,
}

/// One candidate answer.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Candidate<'a> {
    /// The model's parts.
    pub content: CandidateContent<'a>,
    /// `STOP`, `MAX_TOKENS`, `SAFETY`, ... on the last chunk.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub finish_reason: Option<&'static str>,
    /// Always 0.
    pub index: u32,
}

/// `{parts, role: "model"}`.
#[derive(Debug, Clone, Serialize)]
pub struct CandidateContent<'a> {
    /// Output parts.
    pub parts: Vec<OutPart<'a>>,
    /// Always `model`.
    pub role: &'static str,
}

/// One output part.
#[derive(Debug, Clone, Default, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct OutPart<'a> {
    /// Text (answer or thought).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub text: Option<Cow<'a, str>>,
    /// Marks a thought summary.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub thought: Option<bool>,
    /// A function call.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub function_call: Option<OutFunctionCall<'a>>,
    /// Generated bytes (images).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub inline_data: Option<OutBlob<'a>>,
    /// Opaque reasoning signature the client echoes back in its history.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub thought_signature: Option<Cow<'a, str>>,
}

/// `functionCall: {id, name, args}` in output.
#[derive(Debug, Clone, Serialize)]
pub struct OutFunctionCall<'a> {
    /// Call id; clients send it back in `functionResponse.id`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub id: Option<Cow<'a, str>>,
    /// Function name.
    pub name: Cow<'a, str>,
    /// Arguments object.
    pub args: Value,
}

/// `inlineData: {mimeType, data}` in output.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct OutBlob<'a> {
    /// MIME type.
    pub mime_type: Cow<'a, str>,
    /// Base64 bytes.
    pub data: Cow<'a, str>,
}

/// `usageMetadata`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct UsageMetadata {
    /// Input tokens (cached included).
    pub prompt_token_count: u64,
    /// Answer tokens (thoughts excluded).
    pub candidates_token_count: u64,
    /// Everything.
    pub total_token_count: u64,
    /// Cached input tokens, when any.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub cached_content_token_count: Option<u64>,
    /// Reasoning tokens, when any.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub thoughts_token_count: Option<u64>,
}

/// `{error: {code, message, status}}`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ErrorResponse {
    /// The error.
    pub error: ErrorBody,
}

/// Body of [`ErrorResponse`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ErrorBody {
    /// HTTP status.
    pub code: u16,
    /// What went wrong.
    pub message: String,
    /// gRPC status name (`INVALID_ARGUMENT`, `UNAUTHENTICATED`, ...).
    pub status: String,
}

/// `GET /v1beta/models`.
#[derive(Debug, Clone, Default, Serialize)]
pub struct ModelList {
    /// The models.
    pub models: Vec<Model>,
}

/// One model entry.
#[derive(Debug, Clone, Default, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Model {
    /// `models/<id>`.
    pub name: String,
    /// The id itself.
    pub base_model_id: String,
    /// Human name.
    pub display_name: String,
    /// Description.
    pub description: String,
    /// Context window, when known.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub input_token_limit: Option<u64>,
    /// `generateContent`, `streamGenerateContent`.
    pub supported_generation_methods: Vec<String>,
    /// The model can think.
    pub thinking: bool,
}
