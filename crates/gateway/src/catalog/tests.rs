//! Unit tests of the catalog merge and the backend list parser.

use super::*;
use crate::config::{GatewayConfig, RawConfig};

#[test]
fn backend_list_shapes() {
    let body = br#"{"models":[{"slug":"gpt-9","display_name":"GPT 9","context_window":1000,
        "supported_reasoning_efforts":[{"reasoning_effort":"low","description":"l"}],
        "truncation_policy":{"limit":7}},{"id":"auto"}]}"#;
    let models = parse_backend_models(body).expect("parsed");
    assert_eq!(models[0].id, "gpt-9");
    assert_eq!(
        models[0].supported_reasoning_efforts[0].reasoning_effort,
        "low"
    );
    assert_eq!(models[0].truncation_policy_limit, Some(7));
    let nested = br#"{"categories":[{"models":[{"slug":"a"},{"slug":"b"}]}]}"#;
    assert_eq!(parse_backend_models(nested).map(|m| m.len()), Some(2));
    assert!(parse_backend_models(b"{}").is_none());
    assert!(parse_backend_models(b"not json").is_none());
}

#[test]
fn merge_order_and_default_flag() {
    let raw =
        serde_yaml::from_str("model: { custom_models: [{ id: gpt-5.4, display_name: Mine }] }")
            .expect("yaml");
    let cfg = GatewayConfig::from_raw(raw).expect("valid");
    let catalog = Catalog::new(&cfg.model, Duration::from_secs(60));
    let now = Instant::now();
    assert!(catalog.is_stale(now));
    let backend = parse_backend_models(
        br#"{"models":[{"slug":"gpt-5.4","display_name":"B"},{"slug":"new-one"},{"slug":"auto"}]}"#,
    );
    let generation = catalog.generation();
    catalog.set_backend(backend, now);
    assert!(catalog.generation() > generation);
    assert!(!catalog.is_stale(now));
    let models = catalog.models();
    let m = models.iter().find(|m| m.id == "gpt-5.4").expect("present");
    assert_eq!(m.display_name, "Mine", "custom wins");
    assert!(m.is_default);
    assert!(models.iter().any(|m| m.id == "new-one"));
    assert!(!models.iter().any(|m| m.id == "auto"));
    assert_eq!(models.iter().filter(|m| m.is_default).count(), 1);
    catalog.set_backend(None, now);
    assert!(
        catalog.models().iter().any(|m| m.id == "new-one"),
        "failure keeps the last list"
    );
}

#[test]
fn openai_object_compact_limit() {
    let cfg = GatewayConfig::from_raw(RawConfig::default()).expect("valid");
    let catalog = Catalog::new(&cfg.model, Duration::from_secs(60));
    let m = catalog.get("gpt-5.4").expect("static");
    let o = m.openai_object();
    assert_eq!(o["object"], "model");
    assert_eq!(o["auto_compact_token_limit"], 217_600);
    assert_eq!(o["effective_context_window_percent"], 95);
    assert_eq!(
        catalog.get("gpt-5.5").expect("static").openai_object()["auto_compact_token_limit"],
        50_000
    );
}
