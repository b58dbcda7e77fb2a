//! The `codex.rate_limits` event (upstream-codex §13.2), read into [`RateLimitSnapshot`].

use serde_json::Value;
use serde_json::value::RawValue;

/// Quota windows reported by a `codex.rate_limits` frame.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct RateLimitSnapshot {
    /// `plan_type` (`plus`, `pro`, …).
    pub plan_type: Option<String>,
    /// The short (5-hour) window of the general bucket.
    pub primary: Option<RateLimitWindow>,
    /// The long (weekly) window of the general bucket.
    pub secondary: Option<RateLimitWindow>,
    /// The code-review bucket, from `code_review_rate_limits` / `code_review_rate_limit`, or
    /// from `rate_limits` when the limit name says the frame is about code review.
    pub code_review: Option<CodeReviewLimits>,
    /// `metered_limit_name` or `limit_name`, as sent.
    pub limit_name: Option<String>,
}

/// One quota window.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct RateLimitWindow {
    /// Percent of the window used (finite).
    pub used_percent: f64,
    /// Window length in minutes.
    pub window_minutes: Option<u64>,
    /// Reset time, Unix seconds.
    pub reset_at: Option<u64>,
}

/// The code-review bucket.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct CodeReviewLimits {
    /// `allowed`, if sent.
    pub allowed: Option<bool>,
    /// `limit_reached`, if sent.
    pub limit_reached: Option<bool>,
    /// Short window.
    pub primary: Option<RateLimitWindow>,
    /// Long window.
    pub secondary: Option<RateLimitWindow>,
}

impl RateLimitSnapshot {
    /// Reads the data of a `codex.rate_limits` frame. `None` when it is not a JSON object or has
    /// no usable window (windows whose `used_percent` is not a finite number are ignored).
    pub fn from_raw(raw: &RawValue) -> Option<Self> {
        let data: Value = serde_json::from_str(raw.get()).ok()?;
        let limit_name = ["metered_limit_name", "limit_name"]
            .iter()
            .find_map(|k| data.get(*k).and_then(Value::as_str))
            .map(str::to_owned);
        let is_review = limit_name.as_deref().is_some_and(is_code_review_name);
        let limits = data.get("rate_limits");
        let primary = limits.and_then(|l| window(l.get("primary")));
        let secondary = limits.and_then(|l| window(l.get("secondary")));
        let explicit_review = data
            .get("code_review_rate_limits")
            .or_else(|| data.get("code_review_rate_limit"))
            .and_then(review);
        let (primary, secondary, code_review) = if is_review {
            let bucket = CodeReviewLimits {
                primary,
                secondary,
                ..CodeReviewLimits::default()
            };
            let bucket = (primary.is_some() || secondary.is_some()).then_some(bucket);
            (None, None, bucket.or(explicit_review))
        } else {
            (primary, secondary, explicit_review)
        };
        if primary.is_none() && secondary.is_none() && code_review.is_none() {
            return None;
        }
        Some(RateLimitSnapshot {
            plan_type: data
                .get("plan_type")
                .and_then(Value::as_str)
                .map(str::to_owned),
            primary,
            secondary,
            code_review,
            limit_name,
        })
    }
}

/// `review`, `code_review`, `codex_review`, `codex_code_review` after lowercasing and `-` → `_`.
fn is_code_review_name(name: &str) -> bool {
    let normalized: String = name
        .chars()
        .map(|c| {
            if c == '-' {
                '_'
            } else {
                c.to_ascii_lowercase()
            }
        })
        .collect();
    matches!(
        normalized.as_str(),
        "review" | "code_review" | "codex_review" | "codex_code_review"
    )
}

fn window(value: Option<&Value>) -> Option<RateLimitWindow> {
    let value = value?;
    let used_percent = value
        .get("used_percent")
        .and_then(Value::as_f64)
        .filter(|p| p.is_finite())?;
    Some(RateLimitWindow {
        used_percent,
        window_minutes: value.get("window_minutes").and_then(Value::as_u64),
        reset_at: value.get("reset_at").and_then(Value::as_u64),
    })
}

fn review(value: &Value) -> Option<CodeReviewLimits> {
    let limits = CodeReviewLimits {
        allowed: value.get("allowed").and_then(Value::as_bool),
        limit_reached: value.get("limit_reached").and_then(Value::as_bool),
        primary: window(value.get("primary")),
        secondary: window(value.get("secondary")),
    };
    (limits.primary.is_some() || limits.secondary.is_some()).then_some(limits)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn snapshot(json: &str) -> Option<RateLimitSnapshot> {
        let raw: &RawValue = serde_json::from_str(json).expect("json");
        RateLimitSnapshot::from_raw(raw)
    }

    #[test]
    fn general_windows() {
        let s = snapshot(r#"{"type":"codex.rate_limits","plan_type":"plus","rate_limits":{"primary":{"used_percent":12.5,"window_minutes":300,"reset_at":1795506127},"secondary":{"used_percent":"n/a"}}}"#)
            .expect("usable");
        assert_eq!(s.plan_type.as_deref(), Some("plus"));
        assert_eq!(
            s.primary,
            Some(RateLimitWindow {
                used_percent: 12.5,
                window_minutes: Some(300),
                reset_at: Some(1795506127)
            })
        );
        assert_eq!(s.secondary, None);
        assert_eq!(s.code_review, None);
    }

    #[test]
    fn review_named_frame_goes_to_code_review_bucket() {
        let s = snapshot(
            r#"{"limit_name":"Codex-Code-Review","rate_limits":{"primary":{"used_percent":100}}}"#,
        )
        .expect("usable");
        assert_eq!(
            (
                s.primary,
                s.code_review
                    .and_then(|r| r.primary)
                    .map(|w| w.used_percent)
            ),
            (None, Some(100.0))
        );
    }

    #[test]
    fn explicit_code_review_and_unusable_frames() {
        let s = snapshot(r#"{"code_review_rate_limit":{"allowed":true,"limit_reached":false,"primary":{"used_percent":1}}}"#).expect("usable");
        assert_eq!(s.code_review.and_then(|r| r.allowed), Some(true));
        assert_eq!(
            snapshot(r#"{"rate_limits":{"primary":{"used_percent":null}}}"#),
            None
        );
        assert_eq!(snapshot(r#"[1,2]"#), None);
    }
}
