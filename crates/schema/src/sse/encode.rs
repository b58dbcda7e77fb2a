//! SSE encoder: appends wire bytes to a caller-owned `Vec<u8>` (no allocation of its own).
//!
//! Data containing line breaks (`\n`, `\r\n` or `\r`) is written as several `data:` lines, which
//! a decoder joins back with `\n`. Event names and ids are cut at their first line break.

use super::SseFrame;

/// Writes `event: <event>\n` (when given), the data lines and the blank line ending the event.
pub fn write_event(out: &mut Vec<u8>, event: Option<&str>, data: &str) {
    if let Some(event) = event {
        write_field(out, b"event: ", first_line(event));
    }
    write_data_lines(out, data);
    out.push(b'\n');
}

/// Writes `data: <data>\n\n` (several `data:` lines if `data` has line breaks).
pub fn write_data(out: &mut Vec<u8>, data: &str) {
    write_event(out, None, data);
}

/// Writes a comment block `: <text>\n\n` (a keep-alive that clients ignore).
pub fn write_comment(out: &mut Vec<u8>, text: &str) {
    for line in lines(text) {
        write_field(out, b": ", line);
    }
    out.push(b'\n');
}

/// Writes a whole frame: `event:`, `id:`, `retry:` (those present) and the data lines.
pub fn write_frame(out: &mut Vec<u8>, frame: &SseFrame<'_>) {
    if let Some(event) = frame.event {
        write_field(out, b"event: ", first_line(event));
    }
    if let Some(id) = frame.id {
        write_field(out, b"id: ", first_line(id));
    }
    if let Some(retry) = frame.retry {
        out.extend_from_slice(b"retry: ");
        out.extend_from_slice(itoa::Buffer::new().format(retry).as_bytes());
        out.push(b'\n');
    }
    write_data_lines(out, frame.data);
    out.push(b'\n');
}

fn write_data_lines(out: &mut Vec<u8>, data: &str) {
    for line in lines(data) {
        write_field(out, b"data: ", line);
    }
}

fn write_field(out: &mut Vec<u8>, prefix: &[u8], value: &str) {
    out.extend_from_slice(prefix);
    out.extend_from_slice(value.as_bytes());
    out.push(b'\n');
}

fn first_line(s: &str) -> &str {
    match memchr::memchr2(b'\n', b'\r', s.as_bytes()) {
        Some(end) => &s[..end],
        None => s,
    }
}

/// Splits on `\n`, `\r\n` and `\r`; an empty string is one empty line.
fn lines(s: &str) -> impl Iterator<Item = &str> {
    let mut rest = Some(s);
    std::iter::from_fn(move || {
        let s = rest?;
        match memchr::memchr2(b'\n', b'\r', s.as_bytes()) {
            Some(end) => {
                let skip =
                    if s.as_bytes()[end] == b'\r' && s.as_bytes().get(end + 1) == Some(&b'\n') {
                        2
                    } else {
                        1
                    };
                rest = Some(&s[end + skip..]);
                Some(&s[..end])
            }
            None => {
                rest = None;
                Some(s)
            }
        }
    })
}
