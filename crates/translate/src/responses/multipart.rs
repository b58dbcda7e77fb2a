//! `multipart/form-data` image requests (what OpenAI SDKs send to `/v1/images/edits`) turned
//! into the JSON body [`images_request`](super::images_request) reads: text fields become JSON
//! strings (numbers and booleans where the API expects them), `image` / `image[]` files become
//! `data:` URLs in `images`, and a `mask` file becomes a `mask` field (which is then refused).

use serde_json::{Map, Value};

use crate::error::TranslateError;
use crate::reply::ErrorReply;

/// Fields the images API types as integers.
const INT_FIELDS: [&str; 3] = ["n", "output_compression", "partial_images"];

/// Convert a multipart body with the given `content-type` header value into JSON bytes.
pub fn images_multipart_to_json(content_type: &str, body: &[u8]) -> Result<Vec<u8>, ErrorReply> {
    let boundary = boundary(content_type).ok_or_else(|| bad("missing multipart boundary"))?;
    let delimiter = [b"--", boundary.as_bytes()].concat();
    let mut obj = Map::new();
    let mut images = Vec::new();
    let mut rest = body;
    // Skip the preamble up to the first delimiter.
    let start = find(rest, &delimiter).ok_or_else(|| bad("no multipart part found"))?;
    rest = &rest[start + delimiter.len()..];
    loop {
        if rest.starts_with(b"--") {
            break;
        }
        rest = rest
            .strip_prefix(b"\r\n")
            .ok_or_else(|| bad("malformed multipart delimiter"))?;
        let end = find(rest, &delimiter).ok_or_else(|| bad("unterminated multipart part"))?;
        let part = &rest[..end];
        let part = part.strip_suffix(b"\r\n").unwrap_or(part);
        rest = &rest[end + delimiter.len()..];
        let head_end =
            find(part, b"\r\n\r\n").ok_or_else(|| bad("multipart part without headers"))?;
        let head =
            std::str::from_utf8(&part[..head_end]).map_err(|_| bad("non-utf-8 part headers"))?;
        let content = &part[head_end + 4..];
        let (name, filename, mime) = part_headers(head);
        let Some(name) = name else {
            continue;
        };
        if filename.is_some() {
            let mime = mime.unwrap_or_else(|| "image/png".to_owned());
            let url = format!("data:{mime};base64,{}", base64(content));
            match name.as_str() {
                "image" | "image[]" => images.push(Value::Object(
                    [("image_url".to_owned(), Value::String(url))]
                        .into_iter()
                        .collect(),
                )),
                other => {
                    obj.insert(other.to_owned(), Value::String(url));
                }
            }
            continue;
        }
        let text = String::from_utf8(content.to_vec()).map_err(|_| bad("non-utf-8 form field"))?;
        let value = match (name.as_str(), text.as_str()) {
            (n, t) if INT_FIELDS.contains(&n) => t
                .trim()
                .parse::<u64>()
                .map_or(Value::String(text.clone()), Value::from),
            ("stream", "true") => Value::Bool(true),
            ("stream", "false") => Value::Bool(false),
            _ => Value::String(text),
        };
        obj.insert(name, value);
    }
    if !images.is_empty() {
        obj.insert("images".into(), Value::Array(images));
    }
    serde_json::to_vec(&Value::Object(obj)).map_err(|_| bad("cannot encode the form as json"))
}

fn bad(message: &str) -> ErrorReply {
    TranslateError::invalid(message).to_reply()
}

fn boundary(content_type: &str) -> Option<String> {
    let (kind, params) = content_type.split_once(';')?;
    if !kind.trim().eq_ignore_ascii_case("multipart/form-data") {
        return None;
    }
    params.split(';').find_map(|p| {
        let (k, v) = p.split_once('=')?;
        k.trim()
            .eq_ignore_ascii_case("boundary")
            .then(|| v.trim().trim_matches('"').to_owned())
            .filter(|b| !b.is_empty())
    })
}

/// `(name, filename, content-type)` of a part.
fn part_headers(head: &str) -> (Option<String>, Option<String>, Option<String>) {
    let (mut name, mut filename, mut mime) = (None, None, None);
    for line in head.split("\r\n") {
        let Some((key, value)) = line.split_once(':') else {
            continue;
        };
        if key.trim().eq_ignore_ascii_case("content-disposition") {
            for param in value.split(';').skip(1) {
                if let Some((k, v)) = param.split_once('=') {
                    let v = v.trim().trim_matches('"').to_owned();
                    match k.trim() {
                        "name" => name = Some(v),
                        "filename" => filename = Some(v),
                        _ => {}
                    }
                }
            }
        } else if key.trim().eq_ignore_ascii_case("content-type") {
            mime = Some(value.trim().to_owned());
        }
    }
    (name, filename, mime)
}

fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    if needle.is_empty() || haystack.len() < needle.len() {
        return None;
    }
    haystack.windows(needle.len()).position(|w| w == needle)
}

/// Standard base64 with padding.
fn base64(bytes: &[u8]) -> String {
    const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::with_capacity(bytes.len().div_ceil(3) * 4);
    for chunk in bytes.chunks(3) {
        let b = [
            chunk[0],
            chunk.get(1).copied().unwrap_or(0),
            chunk.get(2).copied().unwrap_or(0),
        ];
        let n = (u32::from(b[0]) << 16) | (u32::from(b[1]) << 8) | u32::from(b[2]);
        for i in 0..4 {
            if i <= chunk.len() {
                out.push(char::from(ALPHABET[((n >> (18 - 6 * i)) & 63) as usize]));
            } else {
                out.push('=');
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn form_with_image_becomes_json() {
        let body = b"--XyZ\r\nContent-Disposition: form-data; name=\"prompt\"\r\n\r\nadd a hat\r\n\
--XyZ\r\nContent-Disposition: form-data; name=\"n\"\r\n\r\n1\r\n\
--XyZ\r\nContent-Disposition: form-data; name=\"image\"; filename=\"a.png\"\r\nContent-Type: image/png\r\n\r\n\x89PNG\r\n\
--XyZ--\r\n";
        let json =
            images_multipart_to_json("multipart/form-data; boundary=XyZ", body).expect("parses");
        let v: Value = serde_json::from_slice(&json).expect("json");
        assert_eq!(v["prompt"], "add a hat");
        assert_eq!(v["n"], 1);
        assert_eq!(
            v["images"][0]["image_url"],
            "data:image/png;base64,iVBORw=="
        );
        assert_eq!(base64(b"Man"), "TWFu");
        assert_eq!(base64(b"Ma"), "TWE=");
        assert!(images_multipart_to_json("application/json", body).is_err());
        assert!(
            images_multipart_to_json("multipart/form-data; boundary=XyZ", b"--XyZ\r\nnope")
                .is_err()
        );
    }
}
