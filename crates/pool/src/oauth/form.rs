//! `application/x-www-form-urlencoded` encoding and decoding, as the official client's URL
//! library does it (space as `+`, only `*-._` and alphanumerics left bare).

/// Encodes `pairs` as `k=v&k=v`.
pub fn encode<K: AsRef<str>, V: AsRef<str>>(pairs: &[(K, V)]) -> String {
    let mut out = String::new();
    for (i, (k, v)) in pairs.iter().enumerate() {
        if i > 0 {
            out.push('&');
        }
        push_encoded(&mut out, k.as_ref());
        out.push('=');
        push_encoded(&mut out, v.as_ref());
    }
    out
}

fn push_encoded(out: &mut String, s: &str) {
    const HEX: &[u8; 16] = b"0123456789ABCDEF";
    for &b in s.as_bytes() {
        match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'*' | b'-' | b'.' | b'_' => {
                out.push(char::from(b));
            }
            b' ' => out.push('+'),
            _ => {
                out.push('%');
                out.push(char::from(HEX[usize::from(b >> 4)]));
                out.push(char::from(HEX[usize::from(b & 15)]));
            }
        }
    }
}

/// Decodes a query string (`a=1&b=x+y`); malformed escapes are kept literally and invalid
/// UTF-8 is replaced.
pub fn decode(query: &str) -> Vec<(String, String)> {
    query
        .split('&')
        .filter(|p| !p.is_empty())
        .map(|pair| {
            let (k, v) = pair.split_once('=').unwrap_or((pair, ""));
            (unescape(k), unescape(v))
        })
        .collect()
}

fn unescape(s: &str) -> String {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'+' => out.push(b' '),
            b'%' => {
                let hex = bytes
                    .get(i + 1..i + 3)
                    .and_then(|h| std::str::from_utf8(h).ok())
                    .and_then(|h| u8::from_str_radix(h, 16).ok());
                match hex {
                    Some(b) => {
                        out.push(b);
                        i += 2;
                    }
                    None => out.push(b'%'),
                }
            }
            b => out.push(b),
        }
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips_and_matches_form_rules() {
        let s = encode(&[("redirect_uri", "http://127.0.0.1:1455/a b"), ("x", "é~")]);
        assert_eq!(
            s,
            "redirect_uri=http%3A%2F%2F127.0.0.1%3A1455%2Fa+b&x=%C3%A9%7E"
        );
        let back = decode(&s);
        assert_eq!(back[0].1, "http://127.0.0.1:1455/a b");
        assert_eq!(back[1].1, "é~");
        assert_eq!(decode("a=%zz&b&=c")[0].1, "%zz");
    }
}
