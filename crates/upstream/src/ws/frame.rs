//! WebSocket frame headers (RFC 6455 §5.2): parsing what arrives, writing masked client
//! frames, and the XOR mask itself.

/// Continuation frame.
pub(crate) const CONTINUATION: u8 = 0x0;
/// Text frame.
pub(crate) const TEXT: u8 = 0x1;
/// Binary frame.
pub(crate) const BINARY: u8 = 0x2;
/// Close frame.
pub(crate) const CLOSE: u8 = 0x8;
/// Ping frame.
pub(crate) const PING: u8 = 0x9;
/// Pong frame.
pub(crate) const PONG: u8 = 0xA;

/// A parsed frame header.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Header {
    /// Last frame of its message.
    pub(crate) fin: bool,
    /// RSV1: the message is compressed (permessage-deflate; first frame only).
    pub(crate) rsv1: bool,
    /// Opcode (low four bits).
    pub(crate) opcode: u8,
    /// Masking key (client→server frames carry one, server→client frames must not).
    pub(crate) mask: Option<[u8; 4]>,
    /// Payload length.
    pub(crate) len: u64,
    /// Bytes the header takes on the wire.
    pub(crate) header_len: usize,
}

impl Header {
    /// True for close, ping and pong.
    pub(crate) fn is_control(&self) -> bool {
        self.opcode & 0x8 != 0
    }
}

/// Parses a frame header at the start of `buf`; `Ok(None)` when more bytes are needed.
pub(crate) fn parse(buf: &[u8]) -> Result<Option<Header>, &'static str> {
    let [b0, b1, ..] = *buf else {
        return Ok(None);
    };
    if b0 & 0x30 != 0 {
        return Err("frame has RSV2 or RSV3 set");
    }
    let opcode = b0 & 0x0f;
    if !matches!(opcode, CONTINUATION | TEXT | BINARY | CLOSE | PING | PONG) {
        return Err("frame has a reserved opcode");
    }
    let masked = b1 & 0x80 != 0;
    let (len, mut at) = match b1 & 0x7f {
        126 => match buf.get(2..4) {
            Some(b) => (u64::from(u16::from_be_bytes([b[0], b[1]])), 4),
            None => return Ok(None),
        },
        127 => match buf.get(2..10) {
            Some(b) => {
                let mut be = [0u8; 8];
                be.copy_from_slice(b);
                let len = u64::from_be_bytes(be);
                if len >> 63 != 0 {
                    return Err("frame length has its top bit set");
                }
                (len, 10)
            }
            None => return Ok(None),
        },
        short => (u64::from(short), 2),
    };
    let mask = if masked {
        let Some(key) = buf.get(at..at + 4) else {
            return Ok(None);
        };
        at += 4;
        Some([key[0], key[1], key[2], key[3]])
    } else {
        None
    };
    let header = Header {
        fin: b0 & 0x80 != 0,
        rsv1: b0 & 0x40 != 0,
        opcode,
        mask,
        len,
        header_len: at,
    };
    if header.is_control() && (!header.fin || len > 125) {
        return Err("control frame is fragmented or longer than 125 bytes");
    }
    Ok(Some(header))
}

/// Appends a masked frame (`fin`, `rsv1`, `opcode`, `payload`) to `out`.
pub(crate) fn write_masked(
    out: &mut Vec<u8>,
    fin: bool,
    rsv1: bool,
    opcode: u8,
    mask: [u8; 4],
    payload: &[u8],
) {
    out.reserve(14 + payload.len());
    out.push(u8::from(fin) << 7 | u8::from(rsv1) << 6 | opcode);
    match payload.len() {
        n @ 0..=125 => out.push(0x80 | n as u8),
        n @ 126..=0xffff => {
            out.push(0x80 | 126);
            out.extend_from_slice(&(n as u16).to_be_bytes());
        }
        n => {
            out.push(0x80 | 127);
            out.extend_from_slice(&(n as u64).to_be_bytes());
        }
    }
    out.extend_from_slice(&mask);
    let start = out.len();
    out.extend_from_slice(payload);
    apply_mask(&mut out[start..], mask);
}

/// XORs `data` with the repeating 4-byte `mask` (masking and unmasking are the same).
pub(crate) fn apply_mask(data: &mut [u8], mask: [u8; 4]) {
    let wide = u64::from_ne_bytes([
        mask[0], mask[1], mask[2], mask[3], mask[0], mask[1], mask[2], mask[3],
    ]);
    let mut chunks = data.chunks_exact_mut(8);
    for chunk in &mut chunks {
        let mut word = [0u8; 8];
        word.copy_from_slice(chunk);
        chunk.copy_from_slice(&(u64::from_ne_bytes(word) ^ wide).to_ne_bytes());
    }
    for (byte, key) in chunks.into_remainder().iter_mut().zip(mask.iter().cycle()) {
        *byte ^= key;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn headers_round_trip_at_each_length_size() {
        for len in [0usize, 125, 126, 65_535, 65_536] {
            let payload = vec![7u8; len];
            let mut wire = Vec::new();
            write_masked(&mut wire, true, true, TEXT, [1, 2, 3, 4], &payload);
            let h = parse(&wire).unwrap().unwrap();
            assert_eq!(
                (h.fin, h.rsv1, h.opcode, h.len),
                (true, true, TEXT, len as u64)
            );
            assert_eq!(h.mask, Some([1, 2, 3, 4]));
            assert_eq!(wire.len(), h.header_len + len);
            let mut body = wire[h.header_len..].to_vec();
            apply_mask(&mut body, [1, 2, 3, 4]);
            assert_eq!(body, payload);
            assert_eq!(parse(&wire[..h.header_len - 1]).unwrap(), None);
        }
    }

    #[test]
    fn bad_headers_are_refused() {
        assert!(parse(&[0x91, 0]).is_err(), "rsv3");
        assert!(parse(&[0x83, 0]).is_err(), "reserved opcode");
        assert!(parse(&[0x09, 0]).is_err(), "fragmented ping");
        assert!(parse(&[0x89, 126, 0, 126]).is_err(), "long ping");
        assert!(parse(&[0x82, 127, 0x80, 0, 0, 0, 0, 0, 0, 0]).is_err());
        assert_eq!(parse(&[0x81]).unwrap(), None);
    }
}
