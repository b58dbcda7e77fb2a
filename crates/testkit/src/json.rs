//! Tiny hand-rolled JSON writing helpers for the hot SSE path (no intermediate `Value`s).

use std::fmt::Write as _;

use bytes::{BufMut, BytesMut};

/// Appends `s` as a JSON string literal (with quotes), escaping as RFC 8259 requires.
pub(crate) fn push_str(out: &mut BytesMut, s: &str) {
    out.reserve(s.len() + 2);
    out.put_u8(b'"');
    let bytes = s.as_bytes();
    let mut start = 0;
    for (i, &b) in bytes.iter().enumerate() {
        let escape: Option<&[u8]> = match b {
            b'"' => Some(b"\\\""),
            b'\\' => Some(b"\\\\"),
            b'\n' => Some(b"\\n"),
            b'\r' => Some(b"\\r"),
            b'\t' => Some(b"\\t"),
            0x00..=0x1f => None,
            _ => continue,
        };
        out.extend_from_slice(&bytes[start..i]);
        match escape {
            Some(e) => out.extend_from_slice(e),
            None => {
                let _ = write!(out, "\\u{:04x}", b);
            }
        }
        start = i + 1;
    }
    out.extend_from_slice(&bytes[start..]);
    out.put_u8(b'"');
}

/// Appends a raw (already valid JSON or literal) fragment.
pub(crate) fn push_raw(out: &mut BytesMut, s: &str) {
    out.extend_from_slice(s.as_bytes());
}

/// Appends an unsigned integer.
pub(crate) fn push_u64(out: &mut BytesMut, n: u64) {
    let _ = write!(out, "{n}");
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_round_trip_through_serde() {
        let input = "a\"b\\c\nd\u{1}e\té✓";
        let mut out = BytesMut::new();
        push_str(&mut out, input);
        let back: String = serde_json::from_slice(&out).unwrap();
        assert_eq!(back, input);
    }
}
