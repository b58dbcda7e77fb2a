//! The model catalog: static entries (`config/models.yaml`), what the backend reports at
//! `GET /codex/models` (cached with a TTL), and `model.custom_models`, merged in that order.

use std::sync::{Arc, RwLock};
use std::time::{Duration, Instant};

use serde::Serialize;
use serde_json::Value;

use crate::config::ModelConfig;
use crate::config::raw::RawModelEntry;

/// Where a catalog record came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum ModelSource {
    /// `config/models.yaml`.
    Static,
    /// `GET /codex/models`.
    Backend,
    /// `model.custom_models`.
    Custom,
}

/// A supported reasoning effort.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct EffortInfo {
    /// `low`, `medium`, ...
    pub reasoning_effort: String,
    /// What it is good for.
    pub description: String,
}

/// One catalog record, serialized as the reference's camelCase `CodexModelInfo`.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ModelInfo {
    /// Model id.
    pub id: String,
    /// Human name.
    pub display_name: String,
    /// One-line description.
    pub description: String,
    /// Whether it is the configured default model.
    pub is_default: bool,
    /// Accepted efforts.
    pub supported_reasoning_efforts: Vec<EffortInfo>,
    /// Effort used when none is given.
    pub default_reasoning_effort: String,
    /// Input modalities.
    pub input_modalities: Vec<String>,
    /// Output modalities.
    pub output_modalities: Vec<String>,
    /// Whether the personality parameter is supported.
    pub supports_personality: bool,
    /// Upgrade hint from the backend.
    pub upgrade: Option<Value>,
    /// Context window.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub context_window: Option<u64>,
    /// Largest context window.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub max_context_window: Option<u64>,
    /// Output cap.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub max_output_tokens: Option<u64>,
    /// Auto-compaction threshold.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub auto_compact_token_limit: Option<u64>,
    /// Truncation policy limit.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub truncation_policy_limit: Option<u64>,
    /// Where it came from.
    pub source: ModelSource,
}

impl ModelInfo {
    /// Builds a record from a YAML entry, filling the reference's defaults.
    pub fn from_entry(id: String, e: RawModelEntry, source: ModelSource) -> Self {
        let efforts = e
            .supported_reasoning_efforts
            .map(|v| {
                v.into_iter()
                    .map(|x| EffortInfo {
                        reasoning_effort: x.effort,
                        description: x.description,
                    })
                    .collect()
            })
            .unwrap_or_else(default_efforts);
        Self {
            display_name: e.display_name.unwrap_or_else(|| id.clone()),
            id,
            description: e.description.unwrap_or_default(),
            is_default: false,
            supported_reasoning_efforts: efforts,
            default_reasoning_effort: e
                .default_reasoning_effort
                .unwrap_or_else(|| "medium".to_owned()),
            input_modalities: e
                .input_modalities
                .unwrap_or_else(|| vec!["text".to_owned()]),
            output_modalities: e
                .output_modalities
                .unwrap_or_else(|| vec!["text".to_owned()]),
            supports_personality: e.supports_personality.unwrap_or(false),
            upgrade: None,
            context_window: e.context_window,
            max_context_window: e.max_context_window,
            max_output_tokens: e.max_output_tokens,
            auto_compact_token_limit: e.auto_compact_token_limit,
            truncation_policy_limit: e.truncation_policy_limit,
            source,
        }
    }

    /// The OpenAI `/v1/models` object (translation.md §8.3).
    pub fn openai_object(&self) -> Value {
        let mut obj = serde_json::json!({
            "id": self.id, "object": "model", "created": 1_700_000_000u64, "owned_by": "openai",
        });
        let compact = if self.id == "gpt-5.5" {
            Some(50_000)
        } else {
            self.auto_compact_token_limit.or_else(|| {
                self.context_window
                    .or(self.max_context_window)
                    .map(|w| w * 4 / 5)
            })
        };
        if let Some(map) = obj.as_object_mut() {
            let mut put = |k: &str, v: Option<u64>| {
                if let Some(v) = v {
                    map.insert(k.to_owned(), v.into());
                }
            };
            put("context_window", self.context_window);
            put("max_context_window", self.max_context_window);
            put("max_output_tokens", self.max_output_tokens);
            put("auto_compact_token_limit", compact);
            if let Some(limit) = self.truncation_policy_limit {
                map.insert(
                    "truncation_policy".to_owned(),
                    serde_json::json!({"mode": "tokens", "limit": limit}),
                );
            }
            if compact.is_some() {
                map.insert("effective_context_window_percent".to_owned(), 95.into());
            }
        }
        obj
    }
}

fn default_efforts() -> Vec<EffortInfo> {
    vec![EffortInfo {
        reasoning_effort: "medium".to_owned(),
        description: "Default".to_owned(),
    }]
}

/// The live catalog. Cheap to clone.
#[derive(Debug, Clone)]
pub struct Catalog {
    inner: Arc<Inner>,
}

#[derive(Debug)]
struct Inner {
    /// The configured layers, replaced by [`Catalog::set_model_config`] on a config reload.
    configured: RwLock<Configured>,
    ttl: Duration,
    backend: RwLock<Backend>,
    refresh: tokio::sync::Mutex<()>,
    generation: std::sync::atomic::AtomicU64,
}

#[derive(Debug)]
struct Configured {
    default: String,
    static_models: Vec<ModelInfo>,
    custom_models: Vec<ModelInfo>,
}

impl Configured {
    fn from(cfg: &ModelConfig) -> Self {
        Self {
            default: cfg.default.clone(),
            static_models: cfg.static_models.clone(),
            custom_models: cfg.custom_models.clone(),
        }
    }
}

#[derive(Debug, Default)]
struct Backend {
    models: Vec<ModelInfo>,
    /// When the last attempt (success or failure) finished.
    checked: Option<Instant>,
    /// Whether the last attempt succeeded.
    ok: bool,
}

/// After a failed fetch, wait this long before trying again.
const RETRY_AFTER_FAILURE: Duration = Duration::from_secs(60);

impl Catalog {
    /// A catalog from the validated model config.
    pub fn new(cfg: &ModelConfig, ttl: Duration) -> Self {
        Self {
            inner: Arc::new(Inner {
                configured: RwLock::new(Configured::from(cfg)),
                ttl,
                backend: RwLock::new(Backend::default()),
                refresh: tokio::sync::Mutex::new(()),
                generation: std::sync::atomic::AtomicU64::new(0),
            }),
        }
    }

    /// Every model: static, then backend, then custom (later wins on the same id); `auto`
    /// excluded; `is_default` set for the configured default.
    pub fn models(&self) -> Vec<ModelInfo> {
        let backend = self
            .inner
            .backend
            .read()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        let configured = self
            .inner
            .configured
            .read()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        let mut out: Vec<ModelInfo> =
            Vec::with_capacity(configured.static_models.len() + backend.models.len());
        let layers = [
            &configured.static_models,
            &backend.models,
            &configured.custom_models,
        ];
        for m in layers.into_iter().flatten() {
            if m.id == "auto" {
                continue;
            }
            match out.iter_mut().find(|o| o.id == m.id) {
                Some(slot) => *slot = m.clone(),
                None => out.push(m.clone()),
            }
        }
        for m in &mut out {
            m.is_default = m.id == configured.default;
        }
        out
    }

    /// One model by id.
    pub fn get(&self, id: &str) -> Option<ModelInfo> {
        self.models().into_iter().find(|m| m.id == id)
    }

    /// Whether the backend list should be (re)fetched now.
    pub fn is_stale(&self, now: Instant) -> bool {
        let b = self
            .inner
            .backend
            .read()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        match b.checked {
            None => true,
            Some(at) => {
                let wait = if b.ok {
                    self.inner.ttl
                } else {
                    RETRY_AFTER_FAILURE
                };
                now.saturating_duration_since(at) >= wait
            }
        }
    }

    /// Serializes refreshes: the holder of the guard fetches, others wait and re-check.
    pub(crate) async fn refresh_guard(&self) -> tokio::sync::MutexGuard<'_, ()> {
        self.inner.refresh.lock().await
    }

    /// Bumped whenever the merged list may have changed.
    pub fn generation(&self) -> u64 {
        self.inner
            .generation
            .load(std::sync::atomic::Ordering::Acquire)
    }

    /// Replaces the configured layers (default model, `config/models.yaml`, custom models) after
    /// a config reload; bumps the generation so cached translator options are rebuilt.
    pub fn set_model_config(&self, cfg: &ModelConfig) {
        *self
            .inner
            .configured
            .write()
            .unwrap_or_else(std::sync::PoisonError::into_inner) = Configured::from(cfg);
        self.inner
            .generation
            .fetch_add(1, std::sync::atomic::Ordering::AcqRel);
    }

    /// Records a fetched backend list (`None` = the fetch failed; keep the previous list).
    pub fn set_backend(&self, models: Option<Vec<ModelInfo>>, now: Instant) {
        let mut b = self
            .inner
            .backend
            .write()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        b.checked = Some(now);
        b.ok = models.is_some();
        if let Some(models) = models {
            b.models = models;
            self.inner
                .generation
                .fetch_add(1, std::sync::atomic::Ordering::AcqRel);
        }
    }
}

/// Parses a `GET /codex/models` body (upstream-codex.md §11.1–11.2). `None` if no entry found.
pub fn parse_backend_models(body: &[u8]) -> Option<Vec<ModelInfo>> {
    let json: Value = serde_json::from_slice(body).ok()?;
    let list = json
        .pointer("/chat_models/models")
        .or_else(|| json.get("models"))
        .or_else(|| json.get("data"))
        .or_else(|| json.get("categories"))?
        .as_array()?;
    let mut out = Vec::new();
    for item in list {
        match item.get("models").and_then(Value::as_array) {
            Some(nested) => out.extend(nested.iter().filter_map(backend_entry)),
            None => out.extend(backend_entry(item)),
        }
    }
    (!out.is_empty()).then_some(out)
}

fn backend_entry(v: &Value) -> Option<ModelInfo> {
    let s = |keys: &[&str]| {
        keys.iter()
            .find_map(|k| v.get(*k).and_then(Value::as_str))
            .map(str::to_owned)
    };
    let n = |keys: &[&str]| keys.iter().find_map(|k| v.get(*k).and_then(Value::as_u64));
    let id = s(&["slug", "id", "name"])?;
    let efforts = [
        "supported_reasoning_efforts",
        "supportedReasoningEfforts",
        "supported_reasoning_levels",
    ]
    .iter()
    .find_map(|k| v.get(*k).and_then(Value::as_array))
    .map(|arr| {
        arr.iter()
            .filter_map(|e| {
                let effort = ["reasoning_effort", "reasoningEffort", "effort"]
                    .iter()
                    .find_map(|k| e.get(*k).and_then(Value::as_str))?;
                let description = e
                    .get("description")
                    .and_then(Value::as_str)
                    .unwrap_or_default();
                Some(EffortInfo {
                    reasoning_effort: effort.to_owned(),
                    description: description.to_owned(),
                })
            })
            .collect::<Vec<_>>()
    })
    .filter(|v| !v.is_empty())
    .unwrap_or_else(default_efforts);
    let strings = |keys: &[&str]| {
        keys.iter()
            .find_map(|k| v.get(*k).and_then(Value::as_array))
            .map(|a| {
                a.iter()
                    .filter_map(Value::as_str)
                    .map(str::to_owned)
                    .collect::<Vec<_>>()
            })
    };
    Some(ModelInfo {
        display_name: s(&["display_name", "displayName", "name"]).unwrap_or_else(|| id.clone()),
        description: s(&["description"]).unwrap_or_default(),
        is_default: false,
        supported_reasoning_efforts: efforts,
        default_reasoning_effort: s(&[
            "default_reasoning_effort",
            "defaultReasoningEffort",
            "default_reasoning_level",
        ])
        .unwrap_or_else(|| "medium".to_owned()),
        input_modalities: strings(&["input_modalities", "inputModalities"])
            .unwrap_or_else(|| vec!["text".to_owned()]),
        output_modalities: strings(&["output_modalities", "outputModalities"])
            .unwrap_or_else(|| vec!["text".to_owned()]),
        supports_personality: ["supports_personality", "supportsPersonality"]
            .iter()
            .find_map(|k| v.get(*k).and_then(Value::as_bool))
            .unwrap_or(false),
        upgrade: v.get("upgrade").filter(|u| !u.is_null()).cloned(),
        context_window: n(&["context_window", "contextWindow"]),
        max_context_window: n(&["max_context_window", "maxContextWindow"]),
        max_output_tokens: n(&["max_output_tokens", "maxOutputTokens"]),
        auto_compact_token_limit: n(&["auto_compact_token_limit", "autoCompactTokenLimit"]),
        truncation_policy_limit: v
            .pointer("/truncation_policy/limit")
            .or_else(|| v.pointer("/truncationPolicy/limit"))
            .and_then(Value::as_u64),
        source: ModelSource::Backend,
        id,
    })
}

#[cfg(test)]
mod tests;
