//! Non-2xx classification (spec upstream-codex §14), reset hints and body caps.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use bytes::Bytes;
use codex_proxy_upstream::{Upstream, UpstreamError};
use http::{HeaderMap, HeaderValue};

use crate::support::{self, RawServer};

/// Makes one responses call against a server answering `status` with `headers` and `body`.
async fn answer(
    status: u16,
    headers: &'static [(&'static str, &'static str)],
    body: &'static str,
) -> UpstreamError {
    let server = support::fixed_server(status, headers, Bytes::from_static(body.as_bytes())).await;
    let upstream = Upstream::new(support::config(&server.base())).unwrap();
    upstream.responses(support::call("{}")).await.unwrap_err()
}

fn status(
    status: u16,
    headers: &[(&'static str, &'static str)],
    body: &'static str,
) -> UpstreamError {
    let mut map = HeaderMap::new();
    for (name, value) in headers {
        map.insert(*name, HeaderValue::from_static(value));
    }
    UpstreamError::Status {
        status,
        headers: Box::new(map),
        body: Bytes::from_static(body.as_bytes()),
    }
}

#[tokio::test]
async fn unauthorized_is_auth() {
    let err = answer(401, &[], r#"{"error":{"message":"token expired"}}"#).await;
    assert_eq!(err.status(), Some(401));
    assert!(err.is_auth() && err.is_account_fault());
    assert!(!err.is_banned() && !err.is_retryable());
    assert_eq!(err.label(), "auth");
    assert_eq!(
        err.body(),
        Some(&br#"{"error":{"message":"token expired"}}"#[..])
    );
}

#[tokio::test]
async fn unauthorized_deactivated_is_banned() {
    let err = answer(
        401,
        &[],
        r#"{"detail":"Your account has been deactivated"}"#,
    )
    .await;
    assert!(err.is_banned() && !err.is_auth());
    assert_eq!(err.label(), "banned");
}

#[tokio::test]
async fn payment_required_is_quota_exhausted() {
    let err = answer(402, &[], r#"{"detail":"quota"}"#).await;
    assert!(err.is_quota_exhausted() && err.is_account_fault() && !err.is_rate_limited());
    assert_eq!(err.label(), "quota_exhausted");
}

#[tokio::test]
async fn forbidden_json_is_a_ban() {
    let err = answer(403, &[], r#"{"detail":"Forbidden"}"#).await;
    assert!(err.is_banned() && !err.is_cloudflare());
    assert_eq!(err.label(), "banned");
}

#[tokio::test]
async fn forbidden_cloudflare_challenge_is_not_a_ban() {
    let err = answer(
        403,
        &[("cf-mitigated", "challenge"), ("content-type", "text/html")],
        "<!DOCTYPE html><html><title>Just a moment...</title></html>",
    )
    .await;
    assert!(err.is_cloudflare() && !err.is_banned() && err.is_account_fault());
    assert_eq!(err.label(), "cloudflare");
    // Markers in the headers alone are enough.
    let header_only = status(403, &[("cf-mitigated", "challenge")], "");
    assert!(header_only.is_cloudflare() && !header_only.is_banned());
    // An HTML 403 is never a ban.
    let html = status(403, &[], "<html><body>denied</body></html>");
    assert!(!html.is_banned());
}

#[tokio::test]
async fn too_many_requests_is_rate_limited_with_reset_hint() {
    let err = answer(
        429,
        &[],
        r#"{"error":{"type":"usage_limit_reached","message":"limit","resets_in_seconds":1234}}"#,
    )
    .await;
    assert!(err.is_rate_limited() && err.is_account_fault() && !err.is_retryable());
    assert_eq!(err.label(), "rate_limited");
    assert_eq!(err.reset_after(), Some(Duration::from_secs(1234)));
}

#[tokio::test]
async fn server_error_is_retryable_and_not_the_accounts_fault() {
    let err = answer(500, &[], r#"{"error":{"code":"server_error"}}"#).await;
    assert!(err.is_retryable() && !err.is_account_fault());
    assert_eq!(err.label(), "upstream_5xx");
    let bad_request = status(400, &[], r#"{"error":{"message":"Unsupported parameter"}}"#);
    assert!(!bad_request.is_retryable() && !bad_request.is_account_fault());
    assert_eq!(bad_request.label(), "upstream_4xx");
}

#[test]
fn usage_limit_code_without_429_is_still_rate_limited() {
    let err = status(400, &[], r#"{"error":{"code":"usage_limit_reached"}}"#);
    assert!(err.is_rate_limited());
}

#[test]
fn empty_404_is_a_path_block() {
    assert!(status(404, &[], "  ").is_path_blocked());
    assert!(!status(404, &[], r#"{"detail":"Not Found"}"#).is_path_blocked());
}

#[test]
fn reset_hints_in_order_of_precedence() {
    let now = UNIX_EPOCH + Duration::from_secs(1_000_000);
    let resets_at = status(429, &[], r#"{"error":{"resets_at":1000060}}"#);
    assert_eq!(resets_at.reset_after_at(now), Some(Duration::from_secs(60)));
    let past = status(429, &[], r#"{"error":{"resets_at":999000}}"#);
    assert_eq!(past.reset_after_at(now), None);
    let zero_then_at = status(
        429,
        &[],
        r#"{"error":{"resets_in_seconds":0,"resets_at":1000010}}"#,
    );
    assert_eq!(
        zero_then_at.reset_after_at(now),
        Some(Duration::from_secs(10))
    );
    let header = status(429, &[("retry-after", "30")], "rate limited");
    assert_eq!(header.reset_after_at(now), Some(Duration::from_secs(30)));
    let body_wins = status(
        429,
        &[("retry-after", "30")],
        r#"{"error":{"resets_in_seconds":5}}"#,
    );
    assert_eq!(body_wins.reset_after_at(now), Some(Duration::from_secs(5)));
    assert_eq!(status(429, &[], "").reset_after_at(SystemTime::now()), None);
}

#[tokio::test]
async fn error_bodies_are_capped_at_one_mib() {
    let server = RawServer::start(|mut conn| async move {
        conn.read_request().await.unwrap();
        let body = vec![b'x'; 3 * 1024 * 1024];
        conn.respond(500, &[], &body).await;
    })
    .await;
    let upstream = Upstream::new(support::config(&server.base())).unwrap();
    let err = upstream.responses(support::call("{}")).await.unwrap_err();
    assert_eq!(err.status(), Some(500));
    assert_eq!(err.body().unwrap().len(), 1024 * 1024);
}

#[tokio::test]
async fn buffered_bodies_are_capped_at_eight_mib() {
    let server = RawServer::start(|mut conn| async move {
        conn.read_request().await.unwrap();
        let body = vec![b'x'; 8 * 1024 * 1024 + 1];
        conn.respond(200, &[], &body).await;
    })
    .await;
    let upstream = Upstream::new(support::config(&server.base())).unwrap();
    let err = upstream
        .get("/codex/models", &support::creds())
        .await
        .unwrap_err();
    assert!(matches!(err, UpstreamError::BodyTooLarge { limit } if limit == 8 * 1024 * 1024));

    let exact = RawServer::start(|mut conn| async move {
        conn.read_request().await.unwrap();
        conn.respond(200, &[], &vec![b'y'; 8 * 1024 * 1024]).await;
    })
    .await;
    let upstream = Upstream::new(support::config(&exact.base())).unwrap();
    let ok = upstream
        .get("/codex/models", &support::creds())
        .await
        .unwrap();
    assert_eq!(ok.body.len(), 8 * 1024 * 1024);
}

#[test]
fn errors_never_mention_the_token() {
    let err = status(401, &[], "expired");
    assert!(!format!("{err} {err:?}").contains(support::TOKEN));
}
