//! The `response.create` message: the HTTP request JSON object, prefixed with
//! `"type":"response.create"`, with `previous_response_id` right after `stream` and (prewarm
//! only) `"generate":false` before `client_metadata`, as captured.

use super::WsTurn;
use crate::error::UpstreamError;

/// Builds the `response.create` message text from a request JSON object.
pub(crate) fn response_create(
    body: &[u8],
    previous: Option<&str>,
    turn: WsTurn,
) -> Result<String, UpstreamError> {
    let text = std::str::from_utf8(body).map_err(|_| UpstreamError::Malformed {
        what: "websocket request body",
    })?;
    let inner = text
        .trim()
        .strip_prefix('{')
        .and_then(|t| t.strip_suffix('}'))
        .ok_or(UpstreamError::Malformed {
            what: "websocket request body",
        })?
        .trim();
    let mut previous_field = String::new();
    if let Some(previous) = previous {
        previous_field.push_str("\"previous_response_id\":");
        previous_field.push_str(&serde_json::Value::from(previous).to_string());
        previous_field.push(',');
    }
    // Captured key order: type, model, stream, previous_response_id, input, …, text,
    // generate (prewarm only), client_metadata.
    let split = model_and_stream_len(inner).unwrap_or(0);
    let mut out = String::with_capacity(inner.len() + previous_field.len() + 48);
    out.push_str("{\"type\":\"response.create\"");
    if !inner.is_empty() || !previous_field.is_empty() {
        out.push(',');
    }
    out.push_str(&inner[..split]);
    out.push_str(&previous_field);
    out.push_str(&inner[split..]);
    if out.ends_with(',') {
        out.pop();
    }
    if turn == WsTurn::Prewarm {
        // A prewarm carries no input, whatever the caller put there (captured: `"input":[]`).
        if let Some(range) = member_value(&out, "input")
            && &out[range.clone()] != "[]"
        {
            out.replace_range(range, "[]");
        }
        const METADATA: &str = ",\"client_metadata\":";
        let at = out.rfind(METADATA).unwrap_or(out.len());
        out.insert_str(at, ",\"generate\":false");
    }
    out.push('}');
    Ok(out)
}

/// Byte range of the value of the top-level member `key` of the JSON object text `object`.
fn member_value(object: &str, key: &str) -> Option<std::ops::Range<usize>> {
    let b = object.as_bytes();
    let mut i = skip_ws(b, 0);
    if b.get(i) != Some(&b'{') {
        return None;
    }
    i += 1;
    loop {
        i = skip_ws(b, i);
        if b.get(i) != Some(&b'"') {
            return None;
        }
        let key_end = string_end(b, i)?;
        let name = object.get(i + 1..key_end - 1)?;
        i = skip_ws(b, key_end);
        if b.get(i) != Some(&b':') {
            return None;
        }
        let start = skip_ws(b, i + 1);
        let end = value_end(b, start)?;
        if name == key {
            return Some(start..end);
        }
        i = skip_ws(b, end);
        if b.get(i) != Some(&b',') {
            return None;
        }
        i += 1;
    }
}

fn skip_ws(b: &[u8], mut i: usize) -> usize {
    while b.get(i).is_some_and(u8::is_ascii_whitespace) {
        i += 1;
    }
    i
}

/// Index just past the string starting with the quote at `start`.
fn string_end(b: &[u8], start: usize) -> Option<usize> {
    let mut i = start + 1;
    loop {
        match *b.get(i)? {
            b'\\' => i += 2,
            b'"' => return Some(i + 1),
            _ => i += 1,
        }
    }
}

/// Index just past the JSON value starting at `start`.
fn value_end(b: &[u8], start: usize) -> Option<usize> {
    match *b.get(start)? {
        b'"' => string_end(b, start),
        b'{' | b'[' => {
            let mut depth = 0usize;
            let mut i = start;
            loop {
                match *b.get(i)? {
                    b'"' => {
                        i = string_end(b, i)?;
                        continue;
                    }
                    b'{' | b'[' => depth += 1,
                    b'}' | b']' => {
                        depth -= 1;
                        if depth == 0 {
                            return Some(i + 1);
                        }
                    }
                    _ => {}
                }
                i += 1;
            }
        }
        _ => {
            let mut i = start;
            while b
                .get(i)
                .is_some_and(|c| !matches!(c, b',' | b'}' | b']') && !c.is_ascii_whitespace())
            {
                i += 1;
            }
            Some(i)
        }
    }
}

/// Length of a leading `"model":"…","stream":true|false,` in `inner`, if present.
fn model_and_stream_len(inner: &str) -> Option<usize> {
    let rest = inner.strip_prefix("\"model\":\"")?;
    let mut escaped = false;
    let mut end = None;
    for (i, c) in rest.char_indices() {
        match c {
            '\\' if !escaped => escaped = true,
            '"' if !escaped => {
                end = Some(i);
                break;
            }
            _ => escaped = false,
        }
    }
    let after_model = &rest[end? + 1..];
    let stream = [
        "\",\"stream\":true,",
        ",\"stream\":true,",
        ",\"stream\":false,",
    ]
    .iter()
    .find(|p| after_model.starts_with(**p))?;
    Some("\"model\":\"".len() + end? + 1 + stream.len())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn response_create_keeps_the_captured_key_order() {
        let body = br#"{"model":"gpt-6.1-sol","stream":true,"input":[],"store":false,"client_metadata":{"a":"b"}}"#;
        let prewarm = response_create(body, None, WsTurn::Prewarm).unwrap();
        assert_eq!(
            prewarm,
            r#"{"type":"response.create","model":"gpt-6.1-sol","stream":true,"input":[],"store":false,"generate":false,"client_metadata":{"a":"b"}}"#
        );
        let turn = response_create(body, Some("resp_1"), WsTurn::Turn).unwrap();
        assert_eq!(
            turn,
            r#"{"type":"response.create","model":"gpt-6.1-sol","stream":true,"previous_response_id":"resp_1","input":[],"store":false,"client_metadata":{"a":"b"}}"#
        );
        // Other key orders still produce valid JSON.
        let odd = response_create(br#"{"input":[]}"#, Some("r\"2"), WsTurn::Turn).unwrap();
        let v: serde_json::Value = serde_json::from_str(&odd).unwrap();
        assert_eq!(v["previous_response_id"], "r\"2");
        let empty = response_create(b"{}", None, WsTurn::Prewarm).unwrap();
        assert_eq!(empty, r#"{"type":"response.create","generate":false}"#);
        assert!(response_create(b"[1]", None, WsTurn::Turn).is_err());
    }

    #[test]
    fn prewarm_is_the_captured_message() {
        let path = format!(
            "{}/tests/fixtures/request-body-ws-exec-prewarm.json",
            env!("CARGO_MANIFEST_DIR")
        );
        let captured = std::fs::read_to_string(path).unwrap();
        let captured = captured.trim_end();
        // The HTTP-shaped body the caller hands in: without `type` and `generate`, and with
        // some input that a prewarm must drop.
        let body = captured
            .replacen("\"type\":\"response.create\",", "", 1)
            .replacen(",\"generate\":false", "", 1)
            .replacen(
                "\"input\":[]",
                "\"input\":[{\"role\":\"user\",\"content\":\"x]}\"}]",
                1,
            );
        let prewarm = response_create(body.as_bytes(), None, WsTurn::Prewarm).unwrap();
        assert_eq!(prewarm, captured);
    }
}
