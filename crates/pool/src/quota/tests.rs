//! Unit tests of the usage parser, exhaustion and warning levels.

use super::*;

fn t(s: u64) -> SystemTime {
    SystemTime::UNIX_EPOCH + Duration::from_secs(s)
}

#[test]
fn parses_usage_body() {
    let body = br#"{"plan_type":"pro","rate_limit":{"allowed":true,"limit_reached":false,
        "primary_window":{"used_percent":1,"limit_window_seconds":18000,"reset_after_seconds":17000,"reset_at":1017000},
        "secondary_window":{"used_percent":0.5,"limit_window_seconds":604800,"reset_at":1600000}},
        "credits":{"has_credits":false,"unlimited":false,"balance":"0"}}"#;
    let q = QuotaSnapshot::from_usage_json(body).unwrap();
    assert_eq!(q.plan_type.as_deref(), Some("pro"));
    let p = q.primary.unwrap();
    assert_eq!(p.used_percent, 1.0);
    assert_eq!(p.window_minutes, Some(300));
    assert_eq!(p.reset_at, Some(t(1_017_000)));
    assert_eq!(q.secondary.unwrap().window_minutes, Some(10080));
    assert!(!q.limit_reached);
    assert_eq!(q.exhausted_until(t(1_000_000)), None);
    for bad in [&b"{}"[..], b"nope", br#"{"rate_limit":3}"#] {
        assert!(QuotaSnapshot::from_usage_json(bad).is_none());
    }
}

#[test]
fn exhaustion_lasts_until_the_last_blocking_reset() {
    let w = |used, reset| QuotaWindow {
        used_percent: used,
        window_minutes: None,
        reset_at: reset,
    };
    let q = QuotaSnapshot {
        primary: Some(w(100.0, Some(t(200)))),
        secondary: Some(w(100.0, Some(t(500)))),
        ..Default::default()
    };
    assert_eq!(q.exhausted_until(t(100)), Some(Some(t(500))));
    assert_eq!(q.exhausted_until(t(300)), Some(Some(t(500))));
    assert_eq!(q.exhausted_until(t(500)), None, "both windows reset");
    let near = QuotaSnapshot {
        primary: Some(w(99.0, Some(t(200)))),
        ..Default::default()
    };
    assert_eq!(near.exhausted_until(t(100)), None, "99 % is not exhausted");
    let flagged = QuotaSnapshot {
        primary: Some(w(20.0, None)),
        limit_reached: true,
        ..Default::default()
    };
    assert_eq!(flagged.exhausted_until(t(100)), Some(None), "unknown end");
}

#[test]
fn warning_levels_follow_the_highest_threshold_reached() {
    assert_eq!(level(79.9, &[80, 90]), None);
    assert_eq!(level(80.0, &[80, 90]), Some((WarningLevel::Warning, 80)));
    assert_eq!(level(95.0, &[90, 80]), Some((WarningLevel::Critical, 90)));
    assert_eq!(level(50.0, &[]), None);
    assert_eq!(level(100.0, &[50]), Some((WarningLevel::Critical, 50)));
}

#[test]
fn snapshot_round_trips_with_unix_seconds() {
    let q = QuotaSnapshot {
        primary: Some(QuotaWindow {
            used_percent: 42.5,
            window_minutes: Some(300),
            reset_at: Some(t(1234)),
        }),
        observed_at: Some(t(1000)),
        ..Default::default()
    };
    let json = serde_json::to_value(&q).unwrap();
    assert_eq!(json["primary"]["reset_at"], 1234);
    let back: QuotaSnapshot = serde_json::from_value(json).unwrap();
    assert_eq!(back, q);
}
