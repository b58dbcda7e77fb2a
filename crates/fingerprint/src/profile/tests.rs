//! The embedded official profile renders the captured header values; bad files are rejected
//! with the key path.

use super::*;

#[test]
fn official_profile_renders_the_captured_user_agents() {
    let p = ClientProfile::from_yaml(OFFICIAL_PROFILE_YAML).unwrap();
    assert_eq!(p, ClientProfile::official());
    assert_eq!(p.originator(), "codex_exec");
    assert_eq!(p.app_version(), "0.169.0");
    assert_eq!(
        p.user_agent(),
        "codex_exec/0.169.0 (Debian 12.0.0; x86_64) xterm (codex_exec; 0.169.0)"
    );
    assert_eq!(
        p.startup_user_agent(),
        "codex_exec/0.169.0 (Debian 12.0.0; x86_64) xterm"
    );
    assert_eq!(
        p.header_order().first().map(String::as_str),
        Some("version")
    );
    assert_eq!(
        p.header_order().last().map(String::as_str),
        Some("content-length")
    );
}

#[test]
fn overrides_win_and_are_validated() {
    let p = ClientProfile::official();
    let o = ClientOverrides {
        app_version: Some("0.170.0".to_owned()),
        arch: Some("aarch64".to_owned()),
        ..ClientOverrides::default()
    };
    let q = p.with_overrides(&o).unwrap();
    assert_eq!(
        q.user_agent(),
        "codex_exec/0.170.0 (Debian 12.0.0; aarch64) xterm (codex_exec; 0.170.0)"
    );
    let bad = ClientOverrides {
        originator: Some("bad\nvalue".to_owned()),
        ..ClientOverrides::default()
    };
    assert!(matches!(
        p.with_overrides(&bad),
        Err(FingerprintError::Profile { path, .. }) if path == "originator"
    ));
}

#[test]
fn unknown_keys_and_bad_values_are_rejected() {
    let extra = format!("{OFFICIAL_PROFILE_YAML}\nsurprise: 1\n");
    assert!(matches!(
        ClientProfile::from_yaml(&extra),
        Err(FingerprintError::Profile { .. })
    ));
    let bad_order = OFFICIAL_PROFILE_YAML.replace("  - session-id", "  - Session_Id");
    assert!(matches!(
        ClientProfile::from_yaml(&bad_order),
        Err(FingerprintError::Profile { path, .. }) if path.starts_with("header_order[")
    ));
}
