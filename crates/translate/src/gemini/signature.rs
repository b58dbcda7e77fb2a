//! `thoughtSignature` round trip: the Codex reasoning item's `encrypted_content` travels to the
//! client as a signature and comes back in its history. The signature is standard base64 of
//! `cxp1:<encrypted_content>`, so signatures from real Gemini (or anything else) are recognised
//! as foreign and dropped instead of being sent upstream as reasoning.

use base64::Engine;
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};

const MARKER: &str = "cxp1:";

/// The signature for `encrypted_content`.
pub(crate) fn encode(encrypted_content: &str) -> String {
    let mut raw = String::with_capacity(MARKER.len() + encrypted_content.len());
    raw.push_str(MARKER);
    raw.push_str(encrypted_content);
    STANDARD.encode(raw)
}

/// The encrypted content inside one of our signatures (standard or URL-safe alphabet, with or
/// without padding, since clients re-encode the bytes); `None` for anything else.
pub(crate) fn decode(signature: &str) -> Option<String> {
    let normalized: String = signature
        .trim()
        .trim_end_matches('=')
        .chars()
        .map(|c| match c {
            '+' => '-',
            '/' => '_',
            c => c,
        })
        .collect();
    let bytes = URL_SAFE_NO_PAD.decode(normalized).ok()?;
    let text = String::from_utf8(bytes).ok()?;
    text.strip_prefix(MARKER)
        .filter(|s| !s.is_empty())
        .map(str::to_owned)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trip_and_foreign() {
        let sig = encode("gAAAAB-abc_/+=");
        assert_eq!(decode(&sig).as_deref(), Some("gAAAAB-abc_/+="));
        let url_safe = sig.replace('+', "-").replace('/', "_");
        assert_eq!(decode(&url_safe).as_deref(), Some("gAAAAB-abc_/+="));
        assert_eq!(
            decode("CiIBvj72+9zt1F5hZ22f1eeW7Px6AYZtmGWkRn98itxeN1glCmcB"),
            None
        );
        assert_eq!(decode("not base64 !!"), None);
    }
}
