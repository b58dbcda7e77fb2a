//! Unit tests of config validation.

use super::*;

fn raw(yaml: &str) -> RawConfig {
    serde_yaml::from_str(yaml).expect("yaml parses")
}

#[test]
fn embedded_default_is_valid() {
    let cfg =
        GatewayConfig::from_raw(GatewayConfig::embedded_raw().expect("parses")).expect("valid");
    assert_eq!(cfg.server.port, 8080);
    assert_eq!(cfg.server.max_body_bytes, 32 * 1024 * 1024);
    assert!(cfg.server.proxy_api_key.is_none());
    assert_eq!(cfg.api.base_url, "https://chatgpt.com/backend-api");
    assert_eq!(
        cfg.model.aliases.get("codex").map(String::as_str),
        Some("gpt-5.4")
    );
    assert_eq!(
        cfg.model.aliases.get("claude-opus").map(String::as_str),
        Some("gpt-5.5")
    );
    assert!(
        cfg.model
            .static_models
            .iter()
            .any(|m| m.id == "gpt-5.3-codex")
    );
}

#[test]
fn unknown_keys_are_rejected_with_their_name() {
    let err = serde_yaml::from_str::<RawConfig>("server:\n  bogus: 1\n")
        .err()
        .map(|e| e.to_string())
        .unwrap_or_default();
    assert!(err.contains("bogus"), "{err}");
    assert!(serde_yaml::from_str::<RawConfig>("nosuchsection: {}\n").is_err());
}

#[test]
fn every_reference_section_is_accepted() {
    let yaml = "
observability: { local_error_log: true, max_log_bytes: 2048 }
official_agent: { enabled: false, auth: { type: capability_token, token: x } }
providers: { openai: { api_key: sk-x } }
model_routing: { gpt-4o: openai }
quota: { warning_thresholds: { primary: [80, 90] }, skip_exhausted: true }
ws_pool: { enabled: true, max_age_ms: 1, max_per_account: 2 }
";
    assert!(GatewayConfig::from_raw(raw(yaml)).is_ok());
}

#[test]
fn invalid_values_name_the_key() {
    let cases = [
        ("api: { base_url: ftp://x }", "api.base_url"),
        (
            "model: { default_reasoning_effort: huge }",
            "model.default_reasoning_effort",
        ),
        (
            "auth: { rotation_strategy: random }",
            "auth.rotation_strategy",
        ),
        ("auth: { jwt_token: nope }", "auth.jwt_token"),
        (
            "server: { heartbeat_seconds: 0 }",
            "server.heartbeat_seconds",
        ),
        (
            "quota: { warning_thresholds: { primary: [0] } }",
            "quota.warning_thresholds.primary",
        ),
        (
            "official_agent: { app_server_url: http://x }",
            "official_agent.app_server_url",
        ),
        (
            "model: { custom_models: [''] }",
            "model.custom_models[0].id",
        ),
    ];
    for (yaml, key) in cases {
        let err = GatewayConfig::from_raw(raw(yaml)).err();
        assert_eq!(err.as_ref().and_then(ConfigError::key), Some(key), "{yaml}");
    }
}

#[test]
fn aliases_and_custom_models() {
    let cfg = GatewayConfig::from_raw(raw(
        "model: { default: gpt-5.5, aliases: { sonnet: gpt-5.2 }, custom_models: [my-model, { id: other, context_window: 1000 }] }",
    ))
    .expect("valid");
    assert_eq!(
        cfg.model.aliases.get("codex").map(String::as_str),
        Some("gpt-5.5")
    );
    assert_eq!(
        cfg.model.aliases.get("sonnet").map(String::as_str),
        Some("gpt-5.2")
    );
    let ids: Vec<&str> = cfg
        .model
        .custom_models
        .iter()
        .map(|m| m.id.as_str())
        .collect();
    assert_eq!(ids, ["my-model", "other"]);
    assert_eq!(cfg.model.custom_models[1].context_window, Some(1000));
}

#[test]
fn proxy_key_is_redacted_in_debug() {
    let cfg = GatewayConfig::from_raw(raw(
        "server: { proxy_api_key: cpk-very-secret }\nauth: { jwt_token: eyJsecret }",
    ))
    .expect("valid");
    let debug = format!("{cfg:?}");
    assert!(
        !debug.contains("very-secret") && !debug.contains("eyJsecret"),
        "{debug}"
    );
}
