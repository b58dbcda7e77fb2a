//! Token usage of a response ([`Usage`]), tolerant of missing, null and non-numeric counts.

use serde::{Deserialize, Serialize};

use super::lenient::{count, null_default};

/// `response.usage`. Every number defaults to 0 (missing, null or not a number).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Usage {
    /// Prompt tokens, including cached ones.
    #[serde(default, deserialize_with = "count")]
    pub input_tokens: u64,
    /// Completion tokens, including reasoning ones.
    #[serde(default, deserialize_with = "count")]
    pub output_tokens: u64,
    /// Total as reported upstream.
    #[serde(default, deserialize_with = "count")]
    pub total_tokens: u64,
    /// `input_tokens_details` (null → zeros).
    #[serde(default, deserialize_with = "null_default")]
    pub input_tokens_details: InputTokensDetails,
    /// `output_tokens_details` (null → zeros).
    #[serde(default, deserialize_with = "null_default")]
    pub output_tokens_details: OutputTokensDetails,
    /// Image-generation tool usage, copied from `response.tool_usage.image_gen` when at least one
    /// count is non-zero (accounting only; never shown to clients).
    #[serde(skip)]
    pub image_gen: Option<ImageGenUsage>,
}

/// `usage.input_tokens_details`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct InputTokensDetails {
    /// Prompt tokens served from cache (a subset of `input_tokens`).
    #[serde(default, deserialize_with = "count")]
    pub cached_tokens: u64,
}

/// `usage.output_tokens_details`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct OutputTokensDetails {
    /// Hidden reasoning tokens (a subset of `output_tokens`).
    #[serde(default, deserialize_with = "count")]
    pub reasoning_tokens: u64,
}

/// `response.tool_usage`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ToolUsage {
    /// `tool_usage.image_gen` (null → zeros).
    #[serde(default, deserialize_with = "null_default")]
    pub image_gen: ImageGenUsage,
}

/// `response.tool_usage.image_gen`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ImageGenUsage {
    /// Image tool input tokens.
    #[serde(default, deserialize_with = "count")]
    pub input_tokens: u64,
    /// Image tool output tokens.
    #[serde(default, deserialize_with = "count")]
    pub output_tokens: u64,
    /// Image tool total tokens.
    #[serde(default, deserialize_with = "count")]
    pub total_tokens: u64,
}

impl ImageGenUsage {
    /// True when both input and output counts are 0 (the usage is then ignored).
    pub fn is_zero(&self) -> bool {
        self.input_tokens == 0 && self.output_tokens == 0
    }
}

impl Usage {
    /// Prompt tokens not served from cache.
    pub fn uncached_input_tokens(&self) -> u64 {
        self.input_tokens
            .saturating_sub(self.input_tokens_details.cached_tokens)
    }
}
