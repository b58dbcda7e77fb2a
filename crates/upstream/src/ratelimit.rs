//! `RateLimitSnapshot`: the `x-codex-*` quota headers of a response (spec upstream-codex §13.1).

use http::HeaderMap;

/// One quota window as reported by the backend.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct RateLimitWindow {
    /// Percent of the window used (finite, may exceed 100).
    pub used_percent: f64,
    /// Length of the window in minutes.
    pub window_minutes: Option<u64>,
    /// When the window resets, Unix seconds.
    pub reset_at: Option<u64>,
}

/// Primary and secondary windows of one bucket.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct RateLimitWindows {
    /// The short window (e.g. 5 hours).
    pub primary: Option<RateLimitWindow>,
    /// The long window (e.g. weekly).
    pub secondary: Option<RateLimitWindow>,
}

impl RateLimitWindows {
    fn is_empty(&self) -> bool {
        self.primary.is_none() && self.secondary.is_none()
    }
}

/// Quota state parsed from response headers; the pool stores it per account.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct RateLimitSnapshot {
    /// `x-codex-primary-*` / `x-codex-secondary-*`.
    pub codex: RateLimitWindows,
    /// Code-review bucket: first present of `x-codex-code-review-`, `x-codex-review-`,
    /// `x-code-review-` prefixes.
    pub code_review: Option<RateLimitWindows>,
    /// `x-codex-primary-over-secondary-limit-percent`.
    pub primary_over_secondary_limit_percent: Option<f64>,
    /// `x-codex-credits-has-credits`.
    pub credits_has_credits: Option<bool>,
    /// `x-codex-credits-unlimited`.
    pub credits_unlimited: Option<bool>,
    /// `x-codex-credits-balance` (a decimal string, kept verbatim).
    pub credits_balance: Option<String>,
    /// `x-codex-active-limit`.
    pub active_limit: Option<String>,
    /// `x-codex-rate-limit-reached-type` (`primary` / `secondary` / ...).
    pub rate_limit_reached_type: Option<String>,
}

impl RateLimitSnapshot {
    /// Parses the quota headers; `None` if none of them is present and valid. A window counts
    /// only if its `used-percent` parses as a finite number.
    pub fn from_headers(headers: &HeaderMap) -> Option<RateLimitSnapshot> {
        let code_review = ["x-codex-code-review-", "x-codex-review-", "x-code-review-"]
            .into_iter()
            .map(|prefix| windows(headers, prefix))
            .find(|w| !w.is_empty());
        let snapshot = RateLimitSnapshot {
            codex: windows(headers, "x-codex-"),
            code_review,
            primary_over_secondary_limit_percent: number(
                headers,
                "x-codex-primary-over-secondary-limit-percent",
            ),
            credits_has_credits: boolean(headers, "x-codex-credits-has-credits"),
            credits_unlimited: boolean(headers, "x-codex-credits-unlimited"),
            credits_balance: text(headers, "x-codex-credits-balance"),
            active_limit: text(headers, "x-codex-active-limit"),
            rate_limit_reached_type: text(headers, "x-codex-rate-limit-reached-type"),
        };
        (snapshot != RateLimitSnapshot::default()).then_some(snapshot)
    }
}

fn windows(headers: &HeaderMap, prefix: &str) -> RateLimitWindows {
    RateLimitWindows {
        primary: window(headers, prefix, "primary"),
        secondary: window(headers, prefix, "secondary"),
    }
}

fn window(headers: &HeaderMap, prefix: &str, which: &str) -> Option<RateLimitWindow> {
    let mut name = String::with_capacity(prefix.len() + which.len() + 16);
    let used_percent = number(
        headers,
        header_name(&mut name, prefix, which, "-used-percent"),
    )?;
    let window_minutes = integer(
        headers,
        header_name(&mut name, prefix, which, "-window-minutes"),
    );
    let reset_at = integer(headers, header_name(&mut name, prefix, which, "-reset-at"));
    Some(RateLimitWindow {
        used_percent,
        window_minutes,
        reset_at,
    })
}

fn header_name<'a>(buf: &'a mut String, prefix: &str, which: &str, suffix: &str) -> &'a str {
    buf.clear();
    buf.push_str(prefix);
    buf.push_str(which);
    buf.push_str(suffix);
    buf
}

fn text(headers: &HeaderMap, name: &str) -> Option<String> {
    let value = headers.get(name)?.to_str().ok()?.trim();
    (!value.is_empty()).then(|| value.to_owned())
}

fn number(headers: &HeaderMap, name: &str) -> Option<f64> {
    let value: f64 = headers.get(name)?.to_str().ok()?.trim().parse().ok()?;
    value.is_finite().then_some(value)
}

fn integer(headers: &HeaderMap, name: &str) -> Option<u64> {
    let value = headers.get(name)?.to_str().ok()?.trim();
    value.parse::<u64>().ok().or_else(|| {
        // Tolerate `60.0`-style values; negative or fractional junk is dropped.
        let float: f64 = value.parse().ok()?;
        (float.is_finite() && float >= 0.0 && float.fract() == 0.0).then_some(float as u64)
    })
}

fn boolean(headers: &HeaderMap, name: &str) -> Option<bool> {
    let value = headers.get(name)?.to_str().ok()?.trim();
    if value.eq_ignore_ascii_case("true") || value == "1" {
        Some(true)
    } else if value.eq_ignore_ascii_case("false") || value == "0" {
        Some(false)
    } else {
        None
    }
}
