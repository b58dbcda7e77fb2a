//! Codex usage → Anthropic usage (spec §4.8, §11): Anthropic's `input_tokens` excludes cached
//! tokens, which are reported as `cache_read_input_tokens`.

use codex_proxy_schema::anthropic::Usage;

use crate::event::TokenUsage;

/// Usage as Anthropic reports it; the cache fields are always present, as on the real API.
pub(crate) fn to_anthropic(u: Option<&TokenUsage>) -> Usage {
    let u = u.copied().unwrap_or_default();
    let cached = u.cached.unwrap_or(0).min(u.input);
    Usage {
        input_tokens: u.input - cached,
        cache_creation_input_tokens: Some(0),
        cache_read_input_tokens: Some(cached),
        output_tokens: u.output,
    }
}
