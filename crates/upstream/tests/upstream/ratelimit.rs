//! `RateLimitSnapshot::from_headers` (spec upstream-codex §13.1).

use codex_proxy_upstream::{RateLimitSnapshot, RateLimitWindow};
use http::{HeaderMap, HeaderValue};

fn headers(pairs: &[(&'static str, &'static str)]) -> HeaderMap {
    let mut map = HeaderMap::new();
    for (name, value) in pairs {
        map.insert(*name, HeaderValue::from_static(value));
    }
    map
}

#[test]
fn primary_and_secondary_windows() {
    let snapshot = RateLimitSnapshot::from_headers(&headers(&[
        ("x-codex-primary-used-percent", "12.5"),
        ("x-codex-primary-window-minutes", "300"),
        ("x-codex-primary-reset-at", "1795505612"),
        ("x-codex-secondary-used-percent", "101"),
        ("x-codex-secondary-window-minutes", "10080"),
        ("x-codex-credits-has-credits", "False"),
        ("x-codex-credits-unlimited", "true"),
        ("x-codex-credits-balance", "12.30"),
        ("x-codex-rate-limit-reached-type", "secondary"),
        ("x-codex-primary-over-secondary-limit-percent", "7"),
    ]))
    .unwrap();
    assert_eq!(
        snapshot.codex.primary,
        Some(RateLimitWindow {
            used_percent: 12.5,
            window_minutes: Some(300),
            reset_at: Some(1_795_505_612)
        })
    );
    assert_eq!(
        snapshot.codex.secondary,
        Some(RateLimitWindow {
            used_percent: 101.0,
            window_minutes: Some(10080),
            reset_at: None
        })
    );
    assert_eq!(snapshot.code_review, None);
    assert_eq!(snapshot.credits_has_credits, Some(false));
    assert_eq!(snapshot.credits_unlimited, Some(true));
    assert_eq!(snapshot.credits_balance.as_deref(), Some("12.30"));
    assert_eq!(
        snapshot.rate_limit_reached_type.as_deref(),
        Some("secondary")
    );
    assert_eq!(snapshot.primary_over_secondary_limit_percent, Some(7.0));
}

#[test]
fn window_needs_a_finite_used_percent() {
    let snapshot = RateLimitSnapshot::from_headers(&headers(&[
        ("x-codex-primary-used-percent", "NaN"),
        ("x-codex-primary-window-minutes", "300"),
        ("x-codex-secondary-used-percent", "abc"),
        ("x-codex-active-limit", "primary"),
    ]))
    .unwrap();
    assert_eq!(snapshot.codex.primary, None);
    assert_eq!(snapshot.codex.secondary, None);
    assert_eq!(snapshot.active_limit.as_deref(), Some("primary"));
}

#[test]
fn code_review_prefixes_first_present_wins() {
    let snapshot = RateLimitSnapshot::from_headers(&headers(&[
        ("x-codex-review-primary-used-percent", "5"),
        ("x-code-review-primary-used-percent", "99"),
        ("x-codex-review-secondary-used-percent", "6"),
        ("x-codex-review-secondary-reset-at", "60.0"),
    ]))
    .unwrap();
    let review = snapshot.code_review.unwrap();
    assert_eq!(review.primary.unwrap().used_percent, 5.0);
    assert_eq!(review.secondary.unwrap().reset_at, Some(60));
    assert_eq!(snapshot.codex.primary, None);
}

#[test]
fn no_quota_headers_is_none() {
    assert_eq!(RateLimitSnapshot::from_headers(&HeaderMap::new()), None);
    let unrelated = headers(&[
        ("content-type", "text/event-stream"),
        ("x-codex-turn-state", "t"),
    ]);
    assert_eq!(RateLimitSnapshot::from_headers(&unrelated), None);
}
