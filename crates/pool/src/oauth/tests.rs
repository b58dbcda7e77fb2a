//! Golden tests against the official client's captured OAuth requests (codex-cli 0.169.0).

use super::*;
use crate::error::LoginError;

/// The exact authorize URL `codex login` printed in run L1.
const CAPTURED_URL: &str = "https://auth.openai.com/oauth/authorize?response_type=code&client_id=app_EMoamEEZ73f0CkXaXp7hrann&redirect_uri=http%3A%2F%2F127.0.0.1%3A1455%2Fauth%2Fcallback&code_challenge=dl-vgWoTWwMXNfAo1umcJh4q4P_ABjJiw6JlHEWDN_Y&code_challenge_method=S256&state=puUr3_KqPqzSwFqrDWZoY2HAvaLx-2Pf9gkE5RTqv3I&scope=openid+profile+email+offline_access+api.connectors.read+api.connectors.invoke&id_token_add_organizations=true&codex_cli_simplified_flow=true&originator=codex_cli_rs";
const CAPTURED_STATE: &str = "puUr3_KqPqzSwFqrDWZoY2HAvaLx-2Pf9gkE5RTqv3I";
const CAPTURED_VERIFIER: &str =
    "c98CiDu2nO2hKCKirhBgJU2xq08ryJo6YJVkB139-eDQwOas_sX521YZz0tLXKqFLu2qv6OpMrbd56t4Y1CU0A";

fn t(s: u64) -> std::time::SystemTime {
    std::time::SystemTime::UNIX_EPOCH + Duration::from_secs(s)
}

#[test]
fn authorize_url_and_exchange_body_match_the_capture_byte_for_byte() {
    let cfg = OAuthConfig::default();
    let (url, login) = PkceLogin::from_parts(
        &cfg,
        CAPTURED_STATE.to_owned(),
        CAPTURED_VERIFIER.to_owned(),
        t(0),
    );
    assert_eq!(url, CAPTURED_URL);
    let code = login
        .check_callback(
            "http://127.0.0.1:1455/auth/callback?code=FAKE_AUTH_CODE_0001&scope=openid+profile+email+offline_access&state=puUr3_KqPqzSwFqrDWZoY2HAvaLx-2Pf9gkE5RTqv3I",
            t(10),
        )
        .unwrap();
    assert_eq!(code.as_str(), "FAKE_AUTH_CODE_0001");
    assert_eq!(
        form::encode(&login.exchange_form(&code)),
        "grant_type=authorization_code&client_id=app_EMoamEEZ73f0CkXaXp7hrann&code=FAKE_AUTH_CODE_0001&redirect_uri=http%3A%2F%2F127.0.0.1%3A1455%2Fauth%2Fcallback&code_verifier=c98CiDu2nO2hKCKirhBgJU2xq08ryJo6YJVkB139-eDQwOas_sX521YZz0tLXKqFLu2qv6OpMrbd56t4Y1CU0A"
    );
    assert!(!format!("{login:?}").contains(CAPTURED_VERIFIER));
    assert!(!format!("{code:?}").contains("FAKE_AUTH_CODE"));
}

#[test]
fn random_logins_have_the_official_shapes() {
    let cfg = OAuthConfig::default();
    let (url, a) = PkceLogin::start_random(&cfg, t(0));
    let (_, b) = PkceLogin::start_random(&cfg, t(0));
    assert_eq!(a.state().len(), 43);
    assert_eq!(a.verifier().len(), 86);
    assert_ne!(a.state(), b.state());
    assert!(url.starts_with("https://auth.openai.com/oauth/authorize?response_type=code&"));
    assert!(url.contains(&format!("&state={}&", a.state())));
}

#[test]
fn callback_failures_are_distinct() {
    let cfg = OAuthConfig::default();
    let (_, login) = PkceLogin::from_parts(&cfg, "S1".into(), "V".into(), t(0));
    let check = |q: &str, at| login.check_callback(q, t(at)).unwrap_err();
    assert!(matches!(
        check("?error=access_denied&error_description=user+said+no&state=S1", 1),
        LoginError::Denied { ref error, ref description }
            if error == "access_denied" && description.as_deref() == Some("user said no")
    ));
    assert_eq!(check("code=c&state=OTHER", 1), LoginError::StateMismatch);
    assert_eq!(check("code=c", 1), LoginError::MissingState);
    assert_eq!(check("state=S1", 1), LoginError::MissingCode);
    assert_eq!(check("code=c&state=S1", 301), LoginError::Expired);
    assert!(check("code=c&state=S1", 301).needs_restart());
    // A bare query and a URL with a fragment both work.
    assert_eq!(
        login
            .check_callback("code=c&state=S1#x", t(1))
            .unwrap()
            .as_str(),
        "c"
    );
}

#[test]
fn pending_logins_match_by_state_and_are_consumed() {
    let cfg = OAuthConfig::default();
    let pending = PendingLogins::new();
    let (_, a) = PkceLogin::from_parts(&cfg, "SA".into(), "VA".into(), t(0));
    let (_, b) = PkceLogin::from_parts(&cfg, "SB".into(), "VB".into(), t(0));
    pending.insert(a, t(0));
    pending.insert(b, t(0));
    let (login, code) = pending
        .take("/auth/callback?code=cb&state=SB", t(5))
        .unwrap();
    assert_eq!(login.verifier(), "VB");
    assert_eq!(code.as_str(), "cb");
    assert_eq!(
        pending.take("?code=cb&state=SB", t(5)).unwrap_err(),
        LoginError::UnknownState,
        "used once"
    );
    assert_eq!(
        pending.take("?code=x&state=SA", t(400)).unwrap_err(),
        LoginError::Expired
    );
    assert!(pending.is_empty());
    assert!(matches!(
        pending.take("?error=access_denied", t(1)).unwrap_err(),
        LoginError::Denied { .. }
    ));
}

#[test]
fn refresh_body_matches_the_capture() {
    let body = refresh_request_json(
        CLIENT_ID,
        "rt_FAKE_REFRESH_TOKEN_1_not_real",
        RefreshReason::ProactiveExpiry,
    );
    assert_eq!(
        String::from_utf8(body).unwrap(),
        r#"{"client_id":"app_EMoamEEZ73f0CkXaXp7hrann","grant_type":"refresh_token","refresh_reason":"proactive_expiry","refresh_token":"rt_FAKE_REFRESH_TOKEN_1_not_real"}"#
    );
    let body = refresh_request_json(CLIENT_ID, "rt", RefreshReason::UnauthorizedRecovery);
    assert!(
        String::from_utf8(body)
            .unwrap()
            .contains("unauthorized_recovery")
    );
}

#[test]
fn token_responses_are_classified() {
    let ok = parse_token_response(
        200,
        br#"{"access_token":"a","refresh_token":"","expires_in":10}"#,
    )
    .unwrap();
    assert_eq!(ok.access_token, "a");
    assert_eq!(
        ok.refresh_token, None,
        "an empty refresh token keeps the stored one"
    );
    let dead =
        parse_token_response(400, br#"{"error":{"code":"refresh_token_reused"}}"#).unwrap_err();
    assert!(dead.is_terminal());
    assert!(
        !parse_token_response(200, b"<html>")
            .unwrap_err()
            .is_terminal()
    );
}
