//! Per-request inputs the gateway hands to the translators: the model catalog and the config
//! knobs that shape a Codex request. No file I/O here: the gateway loads config and passes it in.

use std::collections::HashMap;

/// Where the client's system text goes (`model.system_prompt_strategy`).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum SystemPromptStrategy {
    /// System text becomes `instructions` (default).
    #[default]
    Instructions,
    /// System text becomes a leading `developer` input message; `instructions` is empty.
    DeveloperInline,
    /// System text becomes a leading `system` input message; `instructions` is empty.
    SystemInline,
}

impl SystemPromptStrategy {
    /// Parse the config value (`instructions`, `developer_inline`, `system_inline`).
    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "instructions" => Some(Self::Instructions),
            "developer_inline" => Some(Self::DeveloperInline),
            "system_inline" => Some(Self::SystemInline),
            _ => None,
        }
    }
}

/// Known models and aliases (`model.*` config plus the backend catalog).
#[derive(Debug, Clone, Default)]
pub struct ModelCatalog {
    /// Catalog model ids (e.g. `gpt-5.4`, `gpt-5.3-codex`).
    pub models: Vec<String>,
    /// `model.aliases`: alias → target (chains allowed).
    pub aliases: HashMap<String, String>,
    /// `model.default`: used for unknown names.
    pub default_model: String,
}

impl ModelCatalog {
    /// Whether `id` is a catalog model id.
    pub fn contains(&self, id: &str) -> bool {
        self.models.iter().any(|m| m == id)
    }
}

/// Everything a request translator needs besides the body.
#[derive(Debug, Clone, Default)]
pub struct RequestOptions {
    /// Models and aliases.
    pub catalog: ModelCatalog,
    /// `model.default_reasoning_effort` (used when neither the body nor a suffix sets one).
    pub default_reasoning_effort: Option<String>,
    /// `model.default_service_tier` (`fast` / `flex`).
    pub default_service_tier: Option<String>,
    /// `model.system_prompt_strategy`.
    pub system_prompt_strategy: SystemPromptStrategy,
    /// Text prepended to the instructions (the desktop context, when the gateway enables it).
    pub instructions_prefix: Option<String>,
    /// Hosted tools appended as `{type:<name>}` unless a tool of that type exists (resolved by the
    /// gateway per request: client key, config, headers).
    pub default_tools: Vec<String>,
    /// Cursor mode (`User-Agent: cursor/...`): custom tool calls are returned in the function
    /// envelope.
    pub cursor_mode: bool,
}
