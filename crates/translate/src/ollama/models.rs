//! `/api/tags` and `/api/show` bodies from catalog facts (config spec §12), and the RFC 3339
//! timestamps Ollama replies carry. Pure functions: the gateway passes the catalog, the digest
//! and the clock in.

use codex_proxy_schema::ollama::{ModelDetails, ModelEntry, ShowResponse, TagsResponse};
use serde_json::{Map, Value, json};

/// What the bridge knows about one model.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ModelFacts {
    /// Codex model id.
    pub id: String,
    /// Human name, if the catalog has one.
    pub display_name: Option<String>,
    /// `text`, `image`, ...
    pub input_modalities: Vec<String>,
    /// Supported reasoning efforts.
    pub efforts: Vec<String>,
    /// Default reasoning effort.
    pub default_effort: Option<String>,
    /// sha256 hex of the id (computed by the caller).
    pub digest: String,
}

/// Family of a model id: a known prefix, else the text before the first `:`, `/` or `-`.
pub fn family(id: &str) -> String {
    const PREFIXES: [&str; 8] = [
        "gpt-5.6", "gpt-5.5", "gpt-5.4", "gpt-5.3", "gpt-5.2", "gpt-5.1", "gpt-oss", "codex",
    ];
    let lower = id.to_ascii_lowercase();
    if let Some(p) = PREFIXES.iter().find(|p| lower.starts_with(**p)) {
        return (*p).to_owned();
    }
    lower
        .split([':', '/', '-'])
        .next()
        .unwrap_or_default()
        .to_owned()
}

/// Context window of a model id (exact match), 131072 when unknown.
pub fn context_length(id: &str) -> u64 {
    match id {
        "gpt-5.6-sol" | "gpt-5.6-terra" | "gpt-5.6-luna" | "gpt-5.6" => 1_050_000,
        "gpt-5.5" | "gpt-5.4" | "gpt-5.4-pro" | "gpt-5.4-mini" | "gpt-5.4-nano" => 400_000,
        "gpt-5.3-codex"
        | "gpt-5.3-codex-spark"
        | "gpt-5.2"
        | "gpt-5.2-codex"
        | "gpt-5.1-codex-max"
        | "gpt-5.1-codex-mini" => 272_000,
        _ => 131_072,
    }
}

fn details(id: &str) -> ModelDetails {
    let family = family(id);
    ModelDetails {
        parent_model: String::new(),
        format: "codex-proxy".into(),
        families: vec![family.clone()],
        family,
        parameter_size: "unknown".into(),
        quantization_level: "unknown".into(),
    }
}

/// `GET /api/tags`.
pub fn tags(models: &[ModelFacts], modified_at: &str) -> TagsResponse {
    TagsResponse {
        models: models
            .iter()
            .map(|m| ModelEntry {
                name: m.id.clone(),
                model: m.id.clone(),
                modified_at: modified_at.to_owned(),
                size: 0,
                digest: m.digest.clone(),
                details: details(&m.id),
            })
            .collect(),
    }
}

/// `POST /api/show` for `name` (as the client sent it) described by `facts`.
pub fn show(
    name: &str,
    facts: &ModelFacts,
    modified_at: &str,
    disable_vision: bool,
) -> ShowResponse {
    let ctx = context_length(&facts.id);
    let family = family(&facts.id);
    let mut parameters = format!("num_ctx {ctx}");
    if !facts.efforts.is_empty() {
        parameters.push_str("\nreasoning ");
        parameters.push_str(facts.default_effort.as_deref().unwrap_or("medium"));
    }
    let mut capabilities = vec!["completion".to_owned(), "tools".to_owned()];
    if !disable_vision && facts.input_modalities.iter().any(|m| m == "image") {
        capabilities.push("vision".into());
    }
    if !facts.efforts.is_empty() {
        capabilities.push("thinking".into());
    }
    let modalities = if facts.input_modalities.is_empty() {
        vec!["text".to_owned()]
    } else {
        facts.input_modalities.clone()
    };
    let mut info = Map::new();
    info.insert("general.architecture".into(), Value::String(family.clone()));
    info.insert(format!("{family}.context_length"), json!(ctx));
    info.insert("general.basename".into(), Value::String(name.to_owned()));
    info.insert("upstream_id".into(), Value::String(facts.id.clone()));
    info.insert(
        "display_name".into(),
        Value::String(
            facts
                .display_name
                .clone()
                .unwrap_or_else(|| name.to_owned()),
        ),
    );
    info.insert("input_modalities".into(), json!(modalities));
    info.insert("context_length".into(), json!(ctx));
    info.insert("supported_reasoning_efforts".into(), json!(facts.efforts));
    info.insert(
        "default_reasoning_effort".into(),
        json!(facts.default_effort),
    );
    ShowResponse {
        model: name.to_owned(),
        remote_model: name.to_owned(),
        license: "Proxied via codex-proxy".into(),
        modelfile: format!("FROM {name}"),
        parameters,
        template: "{{ .Prompt }}".into(),
        capabilities,
        modified_at: modified_at.to_owned(),
        details: details(&facts.id),
        model_info: info,
    }
}

/// Unix seconds as RFC 3339 UTC (`2026-01-02T03:04:05Z`).
pub fn rfc3339(unix_secs: u64) -> String {
    let days = unix_secs / 86_400;
    let rem = unix_secs % 86_400;
    let (h, m, s) = (rem / 3600, rem % 3600 / 60, rem % 60);
    // days since 1970-01-01 → civil date (Howard Hinnant's algorithm)
    let z = days as i64 + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    format!("{year:04}-{month:02}-{d:02}T{h:02}:{m:02}:{s:02}Z")
}
