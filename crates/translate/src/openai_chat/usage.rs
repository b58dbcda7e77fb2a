//! Codex usage → OpenAI usage (translation spec §11).

use codex_proxy_schema::openai::{CompletionTokensDetails, PromptTokensDetails, Usage};

use crate::event::TokenUsage;

/// `prompt_tokens = input`, `completion_tokens = output`, details only when reported.
pub(crate) fn to_openai(u: &TokenUsage) -> Usage {
    Usage {
        prompt_tokens: u.input,
        completion_tokens: u.output,
        total_tokens: u.input + u.output,
        prompt_tokens_details: u
            .cached
            .map(|cached_tokens| PromptTokensDetails { cached_tokens }),
        completion_tokens_details: u
            .reasoning
            .map(|reasoning_tokens| CompletionTokensDetails { reasoning_tokens }),
    }
}
