//! A small TLS ClientHello parser and JA4 calculator, used to compare our hello with the
//! official client's captured ones field by field. Both sides go through the same parser.

use sha2::{Digest, Sha256};

/// The fields of a ClientHello that make up a fingerprint.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Hello {
    /// Length of the TLS record payload (varies only with the SNI length).
    pub record_len: usize,
    pub legacy_version: u16,
    pub session_id_len: usize,
    pub ciphers: Vec<u16>,
    pub compression: Vec<u8>,
    /// Extension types in wire order.
    pub extensions: Vec<u16>,
    pub sni: Option<String>,
    pub alpn: Vec<String>,
    pub groups: Vec<u16>,
    pub sigalgs: Vec<u16>,
    pub versions: Vec<u16>,
    /// (group, key length) of each key share.
    pub key_shares: Vec<(u16, usize)>,
    pub psk_modes: Vec<u8>,
    pub ec_point_formats: Vec<u8>,
    /// Raw body of `status_request`.
    pub status_request: Vec<u8>,
    /// Raw body of `session_ticket` (empty: a request for a new ticket).
    pub session_ticket: Option<Vec<u8>>,
}

impl Hello {
    /// Extension types, sorted (the "extension set").
    pub fn extension_set(&self) -> Vec<u16> {
        let mut set = self.extensions.clone();
        set.sort_unstable();
        set
    }

    /// JA4 (FoxIO): `t13d1011h2_<ciphers hash>_<extensions+sigalgs hash>`.
    pub fn ja4(&self) -> String {
        let grease = |v: &u16| (v & 0x0f0f) == 0x0a0a;
        let version = match self.versions.iter().filter(|v| !grease(v)).max() {
            Some(0x0304) => "13",
            Some(0x0303) => "12",
            _ => "00",
        };
        let sni = if self.sni.is_some() { 'd' } else { 'i' };
        let ciphers: Vec<u16> = self
            .ciphers
            .iter()
            .copied()
            .filter(|c| !grease(c))
            .collect();
        let exts: Vec<u16> = self
            .extensions
            .iter()
            .copied()
            .filter(|e| !grease(e))
            .collect();
        let alpn = match self.alpn.first() {
            Some(first) => {
                let bytes = first.as_bytes();
                format!(
                    "{}{}",
                    char::from(bytes[0]),
                    char::from(bytes[bytes.len() - 1])
                )
            }
            None => "00".to_owned(),
        };
        let mut sorted_ciphers = ciphers.clone();
        sorted_ciphers.sort_unstable();
        let mut sorted_exts: Vec<u16> = exts
            .iter()
            .copied()
            .filter(|e| *e != 0 && *e != 16)
            .collect();
        sorted_exts.sort_unstable();
        let hex = |list: &[u16]| {
            list.iter()
                .map(|v| format!("{v:04x}"))
                .collect::<Vec<_>>()
                .join(",")
        };
        let part_b = truncated_sha256(&hex(&sorted_ciphers));
        let part_c = truncated_sha256(&format!("{}_{}", hex(&sorted_exts), hex(&self.sigalgs)));
        format!(
            "t{version}{sni}{:02}{:02}{alpn}_{part_b}_{part_c}",
            ciphers.len(),
            exts.len()
        )
    }
}

fn truncated_sha256(text: &str) -> String {
    let digest = Sha256::digest(text.as_bytes());
    digest[..6].iter().map(|b| format!("{b:02x}")).collect()
}

/// Parses one TLS record holding a whole ClientHello. Panics on malformed input (tests only).
pub fn parse(record: &[u8]) -> Hello {
    let mut r = Reader(record);
    assert_eq!(r.u8(), 0x16, "not a handshake record");
    let _record_version = r.u16();
    let record_len = usize::from(r.u16());
    let mut r = Reader(r.take(record_len));
    assert_eq!(r.u8(), 0x01, "not a ClientHello");
    let hs_len = r.u24();
    let mut r = Reader(r.take(hs_len));
    let legacy_version = r.u16();
    r.take(32);
    let session_id_len = usize::from(r.u8());
    r.take(session_id_len);
    let ciphers = r.list_u16(usize::from(r.clone().u16()) + 2);
    let compression_len = usize::from(r.u8());
    let compression = r.take(compression_len).to_vec();
    let ext_total = usize::from(r.u16());
    let mut exts = Reader(r.take(ext_total));
    let mut hello = Hello {
        record_len,
        legacy_version,
        session_id_len,
        ciphers,
        compression,
        extensions: Vec::new(),
        sni: None,
        alpn: Vec::new(),
        groups: Vec::new(),
        sigalgs: Vec::new(),
        versions: Vec::new(),
        key_shares: Vec::new(),
        psk_modes: Vec::new(),
        ec_point_formats: Vec::new(),
        status_request: Vec::new(),
        session_ticket: None,
    };
    while !exts.0.is_empty() {
        let kind = exts.u16();
        let len = usize::from(exts.u16());
        let body = exts.take(len);
        hello.extensions.push(kind);
        let mut b = Reader(body);
        match kind {
            0 => {
                let _list_len = b.u16();
                assert_eq!(b.u8(), 0, "host_name");
                let name_len = usize::from(b.u16());
                hello.sni = Some(String::from_utf8(b.take(name_len).to_vec()).unwrap());
            }
            5 => hello.status_request = body.to_vec(),
            10 => hello.groups = b.list_u16(len),
            11 => {
                let n = usize::from(b.u8());
                hello.ec_point_formats = b.take(n).to_vec();
            }
            13 => hello.sigalgs = b.list_u16(len),
            16 => {
                let _total = b.u16();
                while !b.0.is_empty() {
                    let n = usize::from(b.u8());
                    hello
                        .alpn
                        .push(String::from_utf8(b.take(n).to_vec()).unwrap());
                }
            }
            35 => hello.session_ticket = Some(body.to_vec()),
            43 => {
                let n = usize::from(b.u8());
                let mut v = Reader(b.take(n));
                while !v.0.is_empty() {
                    hello.versions.push(v.u16());
                }
            }
            45 => {
                let n = usize::from(b.u8());
                hello.psk_modes = b.take(n).to_vec();
            }
            51 => {
                let _total = b.u16();
                while !b.0.is_empty() {
                    let group = b.u16();
                    let n = usize::from(b.u16());
                    b.take(n);
                    hello.key_shares.push((group, n));
                }
            }
            _ => {}
        }
    }
    hello
}

#[derive(Clone)]
struct Reader<'a>(&'a [u8]);

impl<'a> Reader<'a> {
    fn take(&mut self, n: usize) -> &'a [u8] {
        let (head, rest) = self.0.split_at(n);
        self.0 = rest;
        head
    }
    fn u8(&mut self) -> u8 {
        self.take(1)[0]
    }
    fn u16(&mut self) -> u16 {
        let b = self.take(2);
        u16::from_be_bytes([b[0], b[1]])
    }
    fn u24(&mut self) -> usize {
        let b = self.take(3);
        (usize::from(b[0]) << 16) | (usize::from(b[1]) << 8) | usize::from(b[2])
    }
    /// A u16 length-prefixed list of u16 occupying `total` bytes including the prefix.
    fn list_u16(&mut self, total: usize) -> Vec<u16> {
        let mut inner = Reader(self.take(total));
        let n = usize::from(inner.u16());
        let mut list = Reader(inner.take(n));
        let mut out = Vec::new();
        while !list.0.is_empty() {
            out.push(list.u16());
        }
        out
    }
}
