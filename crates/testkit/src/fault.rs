//! Fault injection: the `[[fault:…]]` markers and per-account faults.

use std::time::Duration;

use crate::error::MockError;

/// One way a response can go wrong.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Fault {
    /// 429 `usage_limit_reached` with `resets_in_seconds`.
    RateLimit,
    /// 401 `token_expired`.
    Unauthorized,
    /// 402 `quota_exhausted`.
    PaymentRequired,
    /// 403 JSON `account_banned`.
    Banned,
    /// 403 HTML Cloudflare challenge page with `cf-mitigated: challenge`.
    Cloudflare,
    /// 500 `server_error`.
    ServerError,
    /// 200 stream that ends with `response.failed` code `server_is_overloaded`.
    Overloaded,
    /// 200 stream whose connection is cut after this many events (no terminal event).
    Cut(u32),
    /// 200 stream with this delay between events.
    Slow(Duration),
    /// 200 stream ending with `response.incomplete` (`max_output_tokens`).
    Incomplete,
    /// 200 stream ending with an `error` event followed by `response.failed` (`server_error`).
    ErrorEvent,
}

impl Fault {
    /// Parses the part after `fault:` (`429`, `403-cf`, `cut:3`, `slow:50`, ...).
    pub fn parse(s: &str) -> Result<Fault, MockError> {
        let s = s.trim();
        let unknown = || MockError::UnknownFault(s.to_owned());
        Ok(match s {
            "429" => Fault::RateLimit,
            "401" => Fault::Unauthorized,
            "402" => Fault::PaymentRequired,
            "403" | "403-ban" => Fault::Banned,
            "403-cf" => Fault::Cloudflare,
            "500" => Fault::ServerError,
            "overloaded" | "503" => Fault::Overloaded,
            "incomplete" => Fault::Incomplete,
            "error-event" => Fault::ErrorEvent,
            _ => {
                if let Some(n) = s.strip_prefix("cut:") {
                    Fault::Cut(n.parse().map_err(|_| unknown())?)
                } else if let Some(ms) = s.strip_prefix("slow:") {
                    Fault::Slow(Duration::from_millis(ms.parse().map_err(|_| unknown())?))
                } else {
                    return Err(unknown());
                }
            }
        })
    }

    /// Low-cardinality label used in stats (`429`, `cut`, `slow`, ...).
    pub fn label(&self) -> &'static str {
        match self {
            Fault::RateLimit => "429",
            Fault::Unauthorized => "401",
            Fault::PaymentRequired => "402",
            Fault::Banned => "403-ban",
            Fault::Cloudflare => "403-cf",
            Fault::ServerError => "500",
            Fault::Overloaded => "overloaded",
            Fault::Cut(_) => "cut",
            Fault::Slow(_) => "slow",
            Fault::Incomplete => "incomplete",
            Fault::ErrorEvent => "error-event",
        }
    }

    /// True for faults answered with a non-2xx status before any stream starts.
    pub fn is_http_error(&self) -> bool {
        matches!(
            self,
            Fault::RateLimit
                | Fault::Unauthorized
                | Fault::PaymentRequired
                | Fault::Banned
                | Fault::Cloudflare
                | Fault::ServerError
        )
    }
}

/// Finds every `[[fault:…]]` marker in `text`; unknown fault names are ignored.
pub(crate) fn markers(text: &str) -> impl Iterator<Item = Fault> + '_ {
    marker_bodies(text, "[[fault:").filter_map(|body| Fault::parse(body).ok())
}

/// Yields the text between `prefix` and the next `]]` for each occurrence of `prefix`.
pub(crate) fn marker_bodies<'a>(text: &'a str, prefix: &'a str) -> impl Iterator<Item = &'a str> {
    let mut rest = text;
    std::iter::from_fn(move || {
        let start = rest.find(prefix)? + prefix.len();
        let tail = &rest[start..];
        let end = tail.find("]]")?;
        rest = &tail[end + 2..];
        Some(&tail[..end])
    })
}

/// Like [`marker_bodies`], but a JSON value after the marker's name may itself contain `]]`
/// (`[[tool:NAME {"a":[[1]]}]]`).
pub(crate) fn marker_bodies_balanced<'a>(
    text: &'a str,
    prefix: &'a str,
) -> impl Iterator<Item = &'a str> {
    let mut rest = text;
    std::iter::from_fn(move || {
        let start = rest.find(prefix)? + prefix.len();
        let tail = &rest[start..];
        let name_end = tail
            .find(|c: char| c.is_whitespace() || c == ']')
            .unwrap_or(tail.len());
        let after = &tail[name_end..];
        let value = after.trim_start();
        let ws = after.len() - value.len();
        let mut json_end = None;
        if value.starts_with(['{', '[', '"']) {
            let mut de =
                serde_json::Deserializer::from_str(value).into_iter::<serde::de::IgnoredAny>();
            if let Some(Ok(_)) = de.next() {
                let off = de.byte_offset();
                let post = &value[off..];
                let post_trimmed = post.trim_start();
                if post_trimmed.starts_with("]]") {
                    json_end = Some(name_end + ws + off + (post.len() - post_trimmed.len()));
                }
            }
        }
        let end = match json_end {
            Some(e) => e,
            None => tail.find("]]")?,
        };
        rest = &tail[end + 2..];
        Some(tail[..end].trim_end())
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_markers() {
        let found: Vec<Fault> =
            markers("a [[fault:429]] b [[fault:cut:3]] [[fault:nope]] [[fault:slow:20]]").collect();
        assert_eq!(
            found,
            vec![
                Fault::RateLimit,
                Fault::Cut(3),
                Fault::Slow(Duration::from_millis(20))
            ]
        );
        assert!(Fault::parse("cut:x").is_err());
        assert_eq!(Fault::parse("403-cf").unwrap().label(), "403-cf");
        let tools: Vec<&str> = marker_bodies_balanced(
            r#"x [[tool:a {"k":[[1]]}]] y [[tool:b]] [[tool:c raw]]"#,
            "[[tool:",
        )
        .collect();
        assert_eq!(tools, vec![r#"a {"k":[[1]]}"#, "b", "c raw"]);
    }
}
