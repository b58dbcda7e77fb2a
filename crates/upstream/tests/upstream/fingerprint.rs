//! The test that cannot lie: our TLS ClientHello and HTTP/2 connection start, captured on a
//! loopback socket, compared field by field with the official client's captures (both sides
//! parsed by the same code).

use std::collections::HashSet;
use std::net::SocketAddr;
use std::time::Duration;

use codex_proxy_testkit::TestCa;
use codex_proxy_upstream::{Credentials, Upstream, UpstreamConfig};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::mpsc;

use crate::clienthello::{self, Hello};
use crate::support;

fn fixture(name: &str) -> Vec<u8> {
    let path = format!("{}/tests/fixtures/{name}", env!("CARGO_MANIFEST_DIR"));
    std::fs::read(&path).unwrap_or_else(|e| panic!("{path}: {e}"))
}

fn fixture_text(name: &str) -> String {
    String::from_utf8(fixture(name)).unwrap()
}

/// The value of `key: value` in a fixture's parsed `.txt` view.
fn txt_field(text: &str, key: &str) -> String {
    text.lines()
        .find_map(|l| l.strip_prefix(key))
        .map(|v| v.trim().to_owned())
        .unwrap_or_else(|| panic!("no {key} in fixture"))
}

/// A config for `https://chatgpt.com/backend-api` dialling `addr` instead.
fn chatgpt_config(addr: SocketAddr) -> UpstreamConfig {
    let mut cfg = support::config("https://chatgpt.com/backend-api");
    cfg.connect_to = Some(addr);
    cfg
}

/// Reads one whole TLS record from `stream`.
async fn read_record(stream: &mut TcpStream) -> Vec<u8> {
    let mut head = [0u8; 5];
    stream.read_exact(&mut head).await.unwrap();
    let len = usize::from(u16::from_be_bytes([head[3], head[4]]));
    let mut record = head.to_vec();
    record.resize(5 + len, 0);
    stream.read_exact(&mut record[5..]).await.unwrap();
    record
}

/// A listener that records the first TLS record of each connection and hangs up.
async fn hello_catcher() -> (SocketAddr, mpsc::UnboundedReceiver<Vec<u8>>) {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let (tx, rx) = mpsc::unbounded_channel();
    tokio::spawn(async move {
        while let Ok((mut stream, _)) = listener.accept().await {
            let record = read_record(&mut stream).await;
            let _ = tx.send(record);
        }
    });
    (addr, rx)
}

fn creds() -> Credentials<'static> {
    support::creds()
}

/// Every field of the official rustls hello that does not vary per connection.
fn assert_same_hello(ours: &Hello, official: &Hello) {
    assert_eq!(ours.record_len, official.record_len, "record length");
    assert_eq!(
        ours.legacy_version, official.legacy_version,
        "legacy version"
    );
    assert_eq!(
        ours.session_id_len, official.session_id_len,
        "legacy session id"
    );
    assert_eq!(ours.ciphers, official.ciphers, "cipher suites, in order");
    assert_eq!(
        ours.compression, official.compression,
        "compression methods"
    );
    assert_eq!(
        ours.extension_set(),
        official.extension_set(),
        "extension set"
    );
    assert_eq!(ours.sni, official.sni, "sni");
    assert_eq!(ours.alpn, official.alpn, "alpn");
    assert_eq!(ours.groups, official.groups, "supported groups, in order");
    assert_eq!(
        ours.sigalgs, official.sigalgs,
        "signature algorithms, in order"
    );
    assert_eq!(ours.versions, official.versions, "supported versions");
    assert_eq!(ours.key_shares, official.key_shares, "key shares");
    assert_eq!(ours.psk_modes, official.psk_modes, "psk modes");
    assert_eq!(
        ours.ec_point_formats, official.ec_point_formats,
        "ec point formats"
    );
    assert_eq!(
        ours.status_request, official.status_request,
        "status request"
    );
    assert_eq!(
        ours.session_ticket, official.session_ticket,
        "session ticket"
    );
    assert_eq!(ours.ja4(), official.ja4(), "ja4");
}

#[tokio::test]
async fn http_clienthello_matches_the_official_rustls_hello() {
    let official = clienthello::parse(&fixture("clienthello-customca-rustls-h2-chatgpt.com.bin"));
    let txt = fixture_text("clienthello-customca-rustls-h2-chatgpt.com.txt");
    // Our JA4 code agrees with the capture's own analysis.
    assert_eq!(official.ja4(), txt_field(&txt, "JA4:"));
    assert_eq!(official.ja4(), "t13d1011h2_61a7ad8aa9b6_0d308c48d2a3");
    assert_eq!(official.groups[0], 0x11ec, "X25519MLKEM768 first");

    let (addr, mut hellos) = hello_catcher().await;
    let upstream = Upstream::new(chatgpt_config(addr)).unwrap();
    let mut orders = HashSet::new();
    for _ in 0..4 {
        // The catcher hangs up after the hello: every call opens a new connection.
        let err = upstream.get("/wham/usage", &creds()).await.unwrap_err();
        assert!(err.is_retryable(), "{err:?}");
        let ours = clienthello::parse(&hellos.recv().await.unwrap());
        assert_same_hello(&ours, &official);
        assert!(!ours.extensions.contains(&41), "never a pre_shared_key");
        orders.insert(ours.extensions.clone());
    }
    // rustls randomises the extension order per connection, as in all 44 captures.
    assert!(orders.len() >= 2, "extension order is not randomised");
}

#[tokio::test]
async fn websocket_hello_of_the_capture_differs_only_by_alpn() {
    // Documents why one config per path is enough: the WebSocket hello is the HTTP hello
    // without ALPN (`docs/transport.md`).
    let http = clienthello::parse(&fixture("clienthello-customca-rustls-h2-chatgpt.com.bin"));
    let ws = clienthello::parse(&fixture("clienthello-websocket-rustls-chatgpt.com.bin"));
    assert!(ws.alpn.is_empty());
    let mut http_without_alpn = http.extension_set();
    http_without_alpn.retain(|e| *e != 16);
    assert_eq!(ws.extension_set(), http_without_alpn);
    assert_eq!(
        (&ws.ciphers, &ws.groups, &ws.sigalgs, &ws.key_shares),
        (&http.ciphers, &http.groups, &http.sigalgs, &http.key_shares)
    );
    assert_eq!(ws.ja4(), "t13d101000_61a7ad8aa9b6_0d308c48d2a3");
}

/// Forwards connections to `target`, recording the first record the client sends on each.
async fn tee(target: SocketAddr) -> (SocketAddr, mpsc::UnboundedReceiver<Vec<u8>>) {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let (tx, rx) = mpsc::unbounded_channel();
    tokio::spawn(async move {
        while let Ok((mut client, _)) = listener.accept().await {
            let tx = tx.clone();
            tokio::spawn(async move {
                let record = read_record(&mut client).await;
                let mut server = TcpStream::connect(target).await.unwrap();
                server.write_all(&record).await.unwrap();
                let _ = tx.send(record);
                let _ = tokio::io::copy_bidirectional(&mut client, &mut server).await;
            });
        }
    });
    (addr, rx)
}

#[tokio::test]
async fn reconnects_never_resume_a_session() {
    // A real TLS 1.3 server that issues tickets, HTTP/1.1 only, and a pool that keeps no idle
    // connection: every call is a new full handshake after a successful one.
    let ca = TestCa::generate().unwrap();
    let tls = (*ca.server_config(&[b"http/1.1"]).unwrap()).clone();
    let server = crate::hyper_server::HyperServer::tls(tls, Duration::ZERO).await;
    let (addr, mut hellos) = tee(SocketAddr::from(([127, 0, 0, 1], server.port))).await;
    let mut cfg = chatgpt_config(addr);
    cfg.extra_ca_pem = Some(ca.ca_pem().as_bytes().to_vec());
    cfg.max_idle_per_host = 0;
    let upstream = Upstream::new(cfg).unwrap();
    for _ in 0..3 {
        let response = upstream.get("/wham/usage", &creds()).await.unwrap();
        assert_eq!(response.status, 200);
        let hello = clienthello::parse(&hellos.recv().await.unwrap());
        assert!(!hello.extensions.contains(&41), "pre_shared_key offered");
        assert_eq!(hello.session_ticket.as_deref(), Some(&[][..]));
    }
    assert_eq!(server.accepted(), 3);
}

/// Splits an HTTP/2 client stream after the preface into frames `(type, flags, whole frame)`.
fn frames(stream: &[u8]) -> Vec<(u8, u8, Vec<u8>)> {
    const PREFACE: &[u8] = b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n";
    assert!(stream.starts_with(PREFACE), "no h2 preface");
    let mut rest = &stream[PREFACE.len()..];
    let mut out = Vec::new();
    while rest.len() >= 9 {
        let len = (usize::from(rest[0]) << 16) | (usize::from(rest[1]) << 8) | usize::from(rest[2]);
        if rest.len() < 9 + len {
            break;
        }
        out.push((rest[3], rest[4], rest[..9 + len].to_vec()));
        rest = &rest[9 + len..];
    }
    out
}

/// Frames without SETTINGS ACKs (their position depends on when the server's SETTINGS land).
fn without_acks(frames: Vec<(u8, u8, Vec<u8>)>) -> Vec<(u8, u8, Vec<u8>)> {
    frames
        .into_iter()
        .filter(|(kind, flags, _)| !(*kind == 4 && flags & 1 == 1))
        .collect()
}

#[tokio::test]
async fn h2_preface_settings_and_accounts_check_headers_are_byte_identical() {
    let official = fixture("h2-c2s-plaintext-customca-accounts-check-and-more.bin");
    let official_frames = without_acks(frames(&official));

    // The exact token and account id of the same capture run (FAKE values, HS256 with a
    // dummy key), from the decoded header list of its models fetch.
    let head = fixture_text("request-headers-models-get-h2-customca.txt");
    let value = |key: &str| {
        let v = txt_field(&head, key);
        v.split("    [").next().unwrap().to_owned()
    };
    let token = value("authorization: Bearer");
    let account = value("chatgpt-account-id:");

    let ca = TestCa::generate().unwrap();
    let (addr, recorded) = crate::recording_h2::start(&ca).await;
    let mut cfg = chatgpt_config(addr);
    cfg.extra_ca_pem = Some(ca.ca_pem().as_bytes().to_vec());
    let upstream = Upstream::new(cfg).unwrap();
    let creds = Credentials {
        access_token: &token,
        account_id: Some(&account),
    };
    let check = upstream.accounts_check(&creds).await.unwrap();
    assert_eq!(check.accounts.len(), 1);

    let ours = without_acks(frames(&recorded.raw()));
    // SETTINGS (ENABLE_PUSH=0, INITIAL_WINDOW_SIZE=2097152, MAX_FRAME_SIZE=16384,
    // MAX_HEADER_LIST_SIZE=16384, in that order), WINDOW_UPDATE +5177345, then the HEADERS
    // frame of GET /backend-api/wham/accounts/check: pseudo-header order, header order, HPACK
    // representations (Huffman, literal-without-indexing for :path/authorization) and flags.
    assert_eq!(ours[0].2, official_frames[0].2, "client SETTINGS frame");
    assert_eq!(
        ours[1].2, official_frames[1].2,
        "connection WINDOW_UPDATE frame"
    );
    assert_eq!(ours[2].0, 1, "third frame is HEADERS");
    assert_eq!(
        ours[2].2, official_frames[2].2,
        "HEADERS frame of accounts/check"
    );
}

#[tokio::test]
async fn h2_responses_post_header_order_matches_the_capture() {
    let listing = fixture_text("request-headers-responses-post-h2-customca-turn.txt");
    let expected: Vec<String> = listing
        .lines()
        .filter(|l| !l.starts_with('#') && !l.starts_with(':') && !l.trim().is_empty())
        .filter_map(|l| l.split_once(':').map(|(name, _)| name.to_owned()))
        .collect();
    assert!(expected.len() > 10);

    let ca = TestCa::generate().unwrap();
    let (addr, recorded) = crate::recording_h2::start(&ca).await;
    let mut cfg = chatgpt_config(addr);
    cfg.extra_ca_pem = Some(ca.ca_pem().as_bytes().to_vec());
    let upstream = Upstream::new(cfg).unwrap();
    let body = fixture("request-body-responses-post-h2-customca-turn.json");
    let mut call = support::call("");
    call.body = body.into();
    let mut stream = upstream.responses(call).await.unwrap();
    while stream.chunk().await.is_some() {}

    let names = recorded.header_names();
    assert_eq!(
        names, expected,
        "regular header order of POST /codex/responses over h2"
    );
}

#[tokio::test]
async fn websocket_clienthello_matches_the_official_websocket_hello() {
    let official = clienthello::parse(&fixture("clienthello-websocket-rustls-chatgpt.com.bin"));
    assert_eq!(
        official.ja4(),
        txt_field(
            &fixture_text("clienthello-websocket-rustls-chatgpt.com.txt"),
            "JA4:"
        )
    );
    let (addr, mut hellos) = hello_catcher().await;
    let upstream = Upstream::new(chatgpt_config(addr)).unwrap();
    let call = codex_proxy_upstream::WsCall {
        creds: creds(),
        session_id: "01a20c79-4706-7a11-bffb-2e9caeaf983f",
        model: "gpt-6.1-sol",
        installation_id: None,
    };
    assert!(upstream.websocket(call).await.is_err());
    let ours = clienthello::parse(&hellos.recv().await.unwrap());
    assert_same_hello(&ours, &official);
    assert!(ours.alpn.is_empty(), "no ALPN on the WebSocket path");
}
