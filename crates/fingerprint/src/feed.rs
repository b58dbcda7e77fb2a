//! Pure parser of a Sparkle appcast (the Codex Desktop update feed): the newest release's
//! version (`sparkle:shortVersionString`), build number (`sparkle:version`) and download URL.
//! Handed bytes, no I/O; tested on sample feeds.

use crate::error::FingerprintError;

/// The release announced by the first `<item>` of a feed.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FeedRelease {
    /// Marketing version, e.g. `26.305.1`.
    pub version: String,
    /// Build number, e.g. `2345`.
    pub build_number: String,
    /// First `url="…"` of the item (the enclosure), if any.
    pub download_url: Option<String>,
}

/// Parses the first `<item>` of an appcast. The version and build number may be attributes
/// (`sparkle:shortVersionString="…"`, usually on `<enclosure>`) or elements
/// (`<sparkle:shortVersionString>…</sparkle:shortVersionString>`); both are required.
pub fn parse_appcast(bytes: &[u8]) -> Result<FeedRelease, FingerprintError> {
    let text = std::str::from_utf8(bytes).map_err(|_| FingerprintError::Feed("not utf-8"))?;
    let start = find_item_start(text).ok_or(FingerprintError::Feed("no <item> element"))?;
    let rest = &text[start..];
    let end = rest
        .find("</item>")
        .ok_or(FingerprintError::Feed("unterminated <item> element"))?;
    let item = &rest[..end];
    let version = value_of(item, "sparkle:shortVersionString").ok_or(FingerprintError::Feed(
        "item has no sparkle:shortVersionString",
    ))?;
    let build_number = value_of(item, "sparkle:version")
        .ok_or(FingerprintError::Feed("item has no sparkle:version"))?;
    if !is_version_like(&version) || !is_version_like(&build_number) {
        return Err(FingerprintError::Feed(
            "version or build number is malformed",
        ));
    }
    Ok(FeedRelease {
        version,
        build_number,
        download_url: attribute(item, "url"),
    })
}

/// Offset of the first `<item>` or `<item …>` (not `<items>`).
fn find_item_start(text: &str) -> Option<usize> {
    let mut from = 0;
    while let Some(pos) = text[from..].find("<item") {
        let at = from + pos;
        match text[at + 5..].chars().next() {
            Some('>' | ' ' | '\t' | '\r' | '\n') => return Some(at),
            _ => from = at + 5,
        }
    }
    None
}

/// `name="…"` (or `'…'`) anywhere in the item, else the text of `<name>…</name>`.
fn value_of(item: &str, name: &str) -> Option<String> {
    attribute(item, name).or_else(|| element(item, name))
}

fn attribute(item: &str, name: &str) -> Option<String> {
    let mut from = 0;
    while let Some(pos) = item[from..].find(name) {
        let at = from + pos;
        from = at + name.len();
        // Must be a whole attribute name: preceded by whitespace, followed by `=`.
        let before_ok = item[..at]
            .chars()
            .next_back()
            .is_some_and(char::is_whitespace);
        let after = item[from..].trim_start();
        if !before_ok || !after.starts_with('=') {
            continue;
        }
        let after = after[1..].trim_start();
        let quote = after.chars().next()?;
        if quote != '"' && quote != '\'' {
            continue;
        }
        let body = &after[1..];
        let end = body.find(quote)?;
        return Some(unescape(body[..end].trim()));
    }
    None
}

fn element(item: &str, name: &str) -> Option<String> {
    let open = format!("<{name}>");
    let close = format!("</{name}>");
    let start = item.find(&open)? + open.len();
    let end = item[start..].find(&close)? + start;
    Some(unescape(item[start..end].trim()))
}

fn unescape(text: &str) -> String {
    text.replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&quot;", "\"")
        .replace("&apos;", "'")
        .replace("&amp;", "&")
}

/// Digits and dots (and a few separators seen in builds), 1..=64 chars.
fn is_version_like(text: &str) -> bool {
    !text.is_empty()
        && text.len() <= 64
        && text.starts_with(|c: char| c.is_ascii_digit())
        && text
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | '+' | '_'))
}

#[cfg(test)]
mod tests;
