//! Pure inspection of non-2xx answers (body and headers), per upstream-codex spec §14.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use http::HeaderMap;
use serde_json::Value;

/// Markers of a Cloudflare challenge, searched case-insensitively in header names, header values
/// and the body.
const CLOUDFLARE_MARKERS: [&[u8]; 6] = [
    b"cf-mitigated",
    b"cf-chl-bypass",
    b"_cf_chl",
    b"cf_chl",
    b"attention required",
    b"just a moment",
];

/// True if the JSON body's `error.code`, `error.type`, `code` or `type` is one of `codes`.
pub(super) fn error_code_is(body: &[u8], codes: &[&str]) -> bool {
    let Some(json) = parse(body) else {
        return false;
    };
    let error = json.get("error");
    let candidates = [
        error.and_then(|e| e.get("code")),
        error.and_then(|e| e.get("type")),
        json.get("code"),
        json.get("type"),
    ];
    candidates
        .into_iter()
        .flatten()
        .filter_map(Value::as_str)
        .any(|found| codes.contains(&found))
}

/// True if the body mentions an account deactivation.
pub(super) fn mentions_deactivated(body: &[u8]) -> bool {
    contains_ignore_case(body, b"deactivated")
}

/// True if headers or body carry a Cloudflare challenge marker.
pub(super) fn is_cloudflare(headers: &HeaderMap, body: &[u8]) -> bool {
    let in_headers = headers.iter().any(|(name, value)| {
        CLOUDFLARE_MARKERS.iter().any(|marker| {
            contains_ignore_case(name.as_str().as_bytes(), marker)
                || contains_ignore_case(value.as_bytes(), marker)
        })
    });
    in_headers
        || CLOUDFLARE_MARKERS
            .iter()
            .any(|marker| contains_ignore_case(body, marker))
}

/// True if the body is an HTML page.
pub(super) fn is_html(body: &[u8]) -> bool {
    contains_ignore_case(body, b"<!doctype") || contains_ignore_case(body, b"<html")
}

/// Reset hint: body `resets_in_seconds` (> 0), then body `resets_at` (Unix seconds, future
/// only), then a numeric `retry-after` header (> 0).
pub(super) fn reset_after(headers: &HeaderMap, body: &[u8], now: SystemTime) -> Option<Duration> {
    if let Some(json) = parse(body) {
        let scopes = [json.get("error"), Some(&json)];
        for scope in scopes.into_iter().flatten() {
            let resets_in = scope.get("resets_in_seconds").and_then(Value::as_f64);
            if let Some(secs) = resets_in.filter(|s| s.is_finite() && *s > 0.0) {
                return Duration::try_from_secs_f64(secs).ok();
            }
        }
        for scope in scopes.into_iter().flatten() {
            let resets_at = scope.get("resets_at").and_then(Value::as_f64);
            if let Some(at) = resets_at.filter(|s| s.is_finite() && *s > 0.0) {
                let at = Duration::try_from_secs_f64(at).ok()?;
                let now = now.duration_since(UNIX_EPOCH).ok()?;
                if at > now {
                    return Some(at - now);
                }
            }
        }
    }
    let retry_after = headers.get(http::header::RETRY_AFTER)?.to_str().ok()?;
    let secs: u64 = retry_after.trim().parse().ok()?;
    (secs > 0).then(|| Duration::from_secs(secs))
}

fn parse(body: &[u8]) -> Option<Value> {
    let first = body.iter().find(|b| !b.is_ascii_whitespace())?;
    if *first != b'{' {
        return None;
    }
    serde_json::from_slice(body).ok()
}

fn contains_ignore_case(haystack: &[u8], needle: &[u8]) -> bool {
    needle.is_empty()
        || haystack
            .windows(needle.len())
            .any(|window| window.eq_ignore_ascii_case(needle))
}
