//! The echo model's image generation: when a request offers the `image_generation` tool (and no
//! function or custom tool, or the user text says `[[image]]`), the answer is one
//! `image_generation_call` item whose `result` is a small deterministic PNG (8×8, one colour
//! derived from the prompt) in base64. Also the strict checks of the tool's options (upstream
//! spec §3.6).

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use bytes::BytesMut;
use http::StatusCode;
use serde_json::Value;

use crate::body::{self, Resp};
use crate::json::{push_raw, push_str};

/// Marker asking for an image even when function tools are offered.
const MARKER: &str = "[[image]]";
const SIZES: &[&str] = &[
    "1024x1024",
    "1024x1536",
    "1536x1024",
    "2048x2048",
    "2048x3072",
    "3072x2048",
    "3840x2160",
    "2160x3840",
    "2304x3072",
    "auto",
];
/// Tool options the backend refuses with `unknown_parameter`.
const REFUSED: &[&str] = &[
    "n",
    "input_image",
    "mask",
    "input_fidelity",
    "style",
    "response_format",
];

/// The image a request asks for, if any.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct ImageSpec {
    pub size: String,
    pub output_format: String,
    pub background: String,
}

/// An `image_generation` tool in `tools` when the echo model should draw (see module docs).
pub(crate) fn wanted(request: &Value, user_text: &str) -> Option<ImageSpec> {
    let tools = request.get("tools")?.as_array()?;
    let image = tools
        .iter()
        .find(|t| t.get("type").and_then(Value::as_str) == Some("image_generation"))?;
    let has_functions = tools.iter().any(|t| {
        matches!(
            t.get("type").and_then(Value::as_str),
            Some("function" | "custom" | "namespace")
        )
    });
    if has_functions && !user_text.contains(MARKER) {
        return None;
    }
    let s = |k: &str, d: &str| image.get(k).and_then(Value::as_str).unwrap_or(d).to_owned();
    Some(ImageSpec {
        size: s("size", "auto"),
        output_format: s("output_format", "png"),
        background: s("background", "opaque"),
    })
}

/// Base64 of an 8×8 PNG in one colour derived from `prompt`.
pub(crate) fn png_b64(prompt: &str) -> String {
    let h = prompt.bytes().fold(0x811c_9dc5_u32, |h, b| {
        (h ^ u32::from(b)).wrapping_mul(0x0100_0193)
    });
    let [r, g, b, _] = h.to_le_bytes();
    STANDARD.encode(png(8, 8, [r, g, b]))
}

/// Writes an `image_generation_call` item (`done` adds `result` and `revised_prompt`).
pub(crate) fn write_item(
    out: &mut BytesMut,
    id: &str,
    spec: &ImageSpec,
    result: &str,
    revised_prompt: &str,
    done: bool,
) {
    push_raw(out, "{\"id\":");
    push_str(out, id);
    push_raw(out, ",\"type\":\"image_generation_call\",\"status\":");
    if !done {
        push_raw(out, "\"in_progress\"}");
        return;
    }
    push_raw(out, "\"completed\",\"background\":");
    push_str(out, &spec.background);
    push_raw(out, ",\"output_format\":");
    push_str(out, &spec.output_format);
    push_raw(out, ",\"quality\":\"auto\",\"size\":");
    push_str(out, &spec.size);
    push_raw(out, ",\"result\":");
    push_str(out, result);
    push_raw(out, ",\"revised_prompt\":");
    push_str(out, revised_prompt);
    push_raw(out, "}");
}

/// Checks an `image_generation` tool's options like the backend.
pub(crate) fn validate_tool(tool: &Value, at: &str) -> Result<(), Box<Resp>> {
    let bad = |key: &str, code: &str, msg: String| {
        Box::new(body::error(
            StatusCode::BAD_REQUEST,
            &msg,
            "invalid_request_error",
            Some(&format!("{at}.{key}")),
            Some(code),
        ))
    };
    if let Some(key) = REFUSED.iter().find(|k| tool.get(**k).is_some()) {
        return Err(bad(
            key,
            "unknown_parameter",
            format!("Unknown parameter: '{at}.{key}'."),
        ));
    }
    let choices: [(&str, &[&str]); 4] = [
        ("size", SIZES),
        ("output_format", &["png", "jpeg", "webp"]),
        ("background", &["auto", "opaque"]),
        ("moderation", &["auto", "low"]),
    ];
    for (key, allowed) in choices {
        if let Some(v) = tool.get(key)
            && !v.as_str().is_some_and(|s| allowed.contains(&s))
        {
            return Err(bad(
                key,
                "invalid_value",
                format!("Invalid value: {v}. Supported values are: {allowed:?}."),
            ));
        }
    }
    for (key, max) in [("output_compression", 100), ("partial_images", 3)] {
        if let Some(v) = tool.get(key)
            && v.as_u64().is_none_or(|n| n > max)
        {
            return Err(bad(
                key,
                "invalid_value",
                format!("Invalid value: {v}. Expected an integer from 0 to {max}."),
            ));
        }
    }
    let png = tool
        .get("output_format")
        .and_then(Value::as_str)
        .is_none_or(|f| f == "png");
    if png
        && tool
            .get("output_compression")
            .is_some_and(|c| c.as_u64() != Some(100))
    {
        return Err(bad(
            "output_compression",
            "invalid_value",
            "Compression less than 100 is not supported for PNG output format.".to_owned(),
        ));
    }
    Ok(())
}

/// A truecolour PNG of one colour, deflate "stored" blocks (no compression library needed).
fn png(width: u32, height: u32, rgb: [u8; 3]) -> Vec<u8> {
    // Each scanline: filter byte 0 (none), then the pixels.
    let mut row = vec![0_u8];
    for _ in 0..width {
        row.extend_from_slice(&rgb);
    }
    let raw = row.repeat(height as usize);
    let mut zlib = vec![0x78, 0x01];
    let mut blocks = raw.chunks(65_535).peekable();
    while let Some(block) = blocks.next() {
        zlib.push(u8::from(blocks.peek().is_none()));
        let len = u16::try_from(block.len()).unwrap_or(u16::MAX);
        zlib.extend_from_slice(&len.to_le_bytes());
        zlib.extend_from_slice(&(!len).to_le_bytes());
        zlib.extend_from_slice(block);
    }
    zlib.extend_from_slice(&adler32(&raw).to_be_bytes());

    let mut out = b"\x89PNG\r\n\x1a\n".to_vec();
    let mut ihdr = Vec::with_capacity(13);
    ihdr.extend_from_slice(&width.to_be_bytes());
    ihdr.extend_from_slice(&height.to_be_bytes());
    ihdr.extend_from_slice(&[8, 2, 0, 0, 0]); // 8-bit RGB, no interlace
    chunk(&mut out, b"IHDR", &ihdr);
    chunk(&mut out, b"IDAT", &zlib);
    chunk(&mut out, b"IEND", &[]);
    out
}

fn chunk(out: &mut Vec<u8>, kind: &[u8; 4], data: &[u8]) {
    let len = u32::try_from(data.len()).unwrap_or(u32::MAX);
    out.extend_from_slice(&len.to_be_bytes());
    let start = out.len();
    out.extend_from_slice(kind);
    out.extend_from_slice(data);
    let crc = crc32(&out[start..]);
    out.extend_from_slice(&crc.to_be_bytes());
}

fn crc32(data: &[u8]) -> u32 {
    let mut crc = 0xffff_ffff_u32;
    for &byte in data {
        crc ^= u32::from(byte);
        for _ in 0..8 {
            let mask = (crc & 1).wrapping_neg();
            crc = (crc >> 1) ^ (0xedb8_8320 & mask);
        }
    }
    !crc
}

fn adler32(data: &[u8]) -> u32 {
    let (mut a, mut b) = (1_u32, 0_u32);
    for &byte in data {
        a = (a + u32::from(byte)) % 65_521;
        b = (b + a) % 65_521;
    }
    (b << 16) | a
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn png_is_well_formed_and_deterministic() {
        let bytes = png(8, 8, [1, 2, 3]);
        assert!(bytes.starts_with(b"\x89PNG\r\n\x1a\n"));
        assert_eq!(&bytes[12..16], b"IHDR");
        assert!(bytes.ends_with(&[0xae, 0x42, 0x60, 0x82]), "IEND crc");
        assert_eq!(crc32(b"123456789"), 0xcbf4_3926);
        assert_eq!(adler32(b"Wikipedia"), 0x11e6_0398);
        assert_eq!(png_b64("a cat"), png_b64("a cat"));
        assert_ne!(png_b64("a cat"), png_b64("a dog"));
    }

    #[test]
    fn wanted_only_for_image_requests() {
        let v = serde_json::json!({"tools": [{"type": "image_generation", "size": "1024x1024"}]});
        assert_eq!(
            wanted(&v, "x").map(|s| s.size),
            Some("1024x1024".to_owned())
        );
        let v = serde_json::json!({"tools": [{"type": "image_generation"}, {"type": "function", "name": "f"}]});
        assert!(wanted(&v, "x").is_none());
        assert!(wanted(&v, "draw [[image]]").is_some());
    }

    #[test]
    fn tool_options_checked() {
        let ok = serde_json::json!({"type": "image_generation", "size": "auto", "output_format": "jpeg", "output_compression": 50});
        assert!(validate_tool(&ok, "tools[0]").is_ok());
        for bad in [
            serde_json::json!({"n": 1}),
            serde_json::json!({"size": "10x10"}),
            serde_json::json!({"background": "transparent"}),
            serde_json::json!({"output_format": "gif"}),
            serde_json::json!({"output_compression": 80}),
            serde_json::json!({"partial_images": 4}),
        ] {
            assert!(validate_tool(&bad, "tools[0]").is_err(), "{bad}");
        }
    }
}
