//! Unit tests of the client framing and codec: the captured deflate session decoded (and
//! re-encoded byte for byte), and a scripted server on an in-memory pipe for fragments,
//! ping/pong, close, limits and protocol errors.

use bytes::BytesMut;
use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _, DuplexStream};

use super::deflate::{Deflate, DeflateParams};
use super::frame;
use super::socket::Socket;
use crate::error::UpstreamError;

fn fixture(name: &str) -> Vec<u8> {
    let path = format!("{}/tests/fixtures/{name}", env!("CARGO_MANIFEST_DIR"));
    std::fs::read(path).unwrap()
}

/// Decodes masked client frames (the server's view) with our frame parser and inflater:
/// returns (payload as sent, inflated message) per message.
fn decode_client_frames(mut wire: &[u8]) -> Vec<(Vec<u8>, Vec<u8>)> {
    let mut codec = Deflate::new(DeflateParams::default());
    let mut out = Vec::new();
    while !wire.is_empty() {
        let h = frame::parse(wire).unwrap().unwrap();
        assert!(h.fin && h.rsv1 && h.opcode == frame::TEXT, "{h:?}");
        let end = h.header_len + h.len as usize;
        let mut payload = wire[h.header_len..end].to_vec();
        frame::apply_mask(&mut payload, h.mask.unwrap());
        let mut message = Vec::new();
        codec.decompress(&payload, &mut message, 1 << 24).unwrap();
        out.push((payload, message));
        wire = &wire[end..];
    }
    out
}

#[test]
fn the_captured_deflate_session_decodes_and_reencodes_byte_for_byte() {
    let raw = fixture("ws-exec-deflate-c2s-raw.bin");
    let head_end = raw.windows(4).position(|w| w == b"\r\n\r\n").unwrap() + 4;
    let head = std::str::from_utf8(&raw[..head_end]).unwrap();
    assert!(
        head.ends_with(
            "sec-websocket-extensions: permessage-deflate; client_max_window_bits\r\n\r\n"
        )
    );
    let messages = decode_client_frames(&raw[head_end..]);
    assert_eq!(messages.len(), 3);
    let sizes: Vec<usize> = messages.iter().map(|(_, m)| m.len()).collect();
    assert_eq!(sizes, [1499, 70605, 2169]);
    let prewarm: serde_json::Value = serde_json::from_slice(&messages[0].1).unwrap();
    assert_eq!(prewarm["generate"], false);
    assert_eq!(prewarm["input"], serde_json::json!([]));
    let turn: serde_json::Value = serde_json::from_slice(&messages[1].1).unwrap();
    assert!(
        turn["previous_response_id"]
            .as_str()
            .unwrap()
            .starts_with("resp_")
    );
    // The third message only decodes with the window of the first two: context takeover.
    let mut fresh = Deflate::new(DeflateParams::default());
    let mut alone = Vec::new();
    let ok = fresh
        .decompress(&messages[2].0, &mut alone, 1 << 24)
        .is_ok();
    assert!(!ok || alone != messages[2].1);

    // Our compressor (level 6, zlib-rs, context takeover) produces the same payloads.
    let mut ours = Deflate::new(DeflateParams::default());
    for (payload, message) in &messages {
        let mut wire = Vec::new();
        assert!(ours.compress(message, &mut wire).unwrap());
        assert_eq!(&wire, payload);
    }
}

/// A socket over one end of a pipe; the test plays the server on the other.
fn pair(deflate: Option<DeflateParams>) -> (Socket<DuplexStream>, DuplexStream) {
    let (client, server) = tokio::io::duplex(1 << 20);
    (
        Socket::new(client, BytesMut::new(), deflate.map(Deflate::new), 42),
        server,
    )
}

fn server_frame(b0: u8, payload: &[u8]) -> Vec<u8> {
    let mut out = vec![b0];
    match payload.len() {
        n @ 0..=125 => out.push(n as u8),
        n => {
            out.push(126);
            out.extend_from_slice(&(n as u16).to_be_bytes());
        }
    }
    out.extend_from_slice(payload);
    out
}

/// Reads one masked client frame: (first byte, unmasked payload).
async fn read_client_frame(server: &mut DuplexStream) -> (u8, Vec<u8>) {
    let mut buf = Vec::new();
    loop {
        if let Some(h) = frame::parse(&buf).unwrap() {
            let end = h.header_len + h.len as usize;
            if buf.len() >= end {
                let mut payload = buf[h.header_len..end].to_vec();
                frame::apply_mask(&mut payload, h.mask.expect("client frames are masked"));
                return (buf[0], payload);
            }
        }
        let mut chunk = [0u8; 4096];
        let n = server.read(&mut chunk).await.unwrap();
        assert!(n > 0, "client closed");
        buf.extend_from_slice(&chunk[..n]);
    }
}

#[tokio::test]
async fn fragments_pings_and_close() {
    let (mut socket, mut server) = pair(None);
    let mut script = Vec::new();
    script.extend(server_frame(0x01, b"{\"a\":"));
    script.extend(server_frame(0x89, b"hb"));
    script.extend(server_frame(0x00, b"1"));
    script.extend(server_frame(0x80, b"}"));
    script.extend(server_frame(0x81, b"{}"));
    script.extend(server_frame(0x88, &1001u16.to_be_bytes()));
    server.write_all(&script).await.unwrap();

    assert_eq!(
        &socket.next_message().await.unwrap().unwrap()[..],
        b"{\"a\":1}"
    );
    assert_eq!(read_client_frame(&mut server).await, (0x8A, b"hb".to_vec()));
    assert_eq!(&socket.next_message().await.unwrap().unwrap()[..], b"{}");
    assert!(
        socket.next_message().await.unwrap().is_none(),
        "close ends the stream"
    );
    assert_eq!(
        read_client_frame(&mut server).await,
        (0x88, 1001u16.to_be_bytes().to_vec())
    );
    assert!(socket.send_text(b"late").await.is_err());
}

#[tokio::test]
async fn compressed_fragments_and_client_close() {
    let params = DeflateParams::default();
    let (mut socket, mut server) = pair(Some(params));
    let mut server_codec = Deflate::new(params);
    let message = br#"{"type":"response.output_text.delta","delta":"hello hello hello"}"#;
    let mut compressed = Vec::new();
    server_codec.compress(message, &mut compressed).unwrap();
    let (a, b) = compressed.split_at(compressed.len() / 2);
    let mut script = server_frame(0x41, a); // RSV1 on the first frame only
    script.extend(server_frame(0x80, b));
    // The same message again, now much shorter thanks to the shared window.
    let mut again = Vec::new();
    server_codec.compress(message, &mut again).unwrap();
    assert!(again.len() < compressed.len() / 2);
    script.extend(server_frame(0xC1, &again));
    server.write_all(&script).await.unwrap();
    assert_eq!(&socket.next_message().await.unwrap().unwrap()[..], message);
    assert_eq!(&socket.next_message().await.unwrap().unwrap()[..], message);

    socket.send_text(b"{\"x\":1}").await.unwrap();
    let (b0, payload) = read_client_frame(&mut server).await;
    assert_eq!(b0, 0xC1, "FIN + RSV1 + text");
    let mut inflated = Vec::new();
    Deflate::new(params)
        .decompress(&payload, &mut inflated, 100)
        .unwrap();
    assert_eq!(inflated, b"{\"x\":1}");
    socket.close().await.unwrap();
    assert_eq!(
        read_client_frame(&mut server).await,
        (0x88, 1000u16.to_be_bytes().to_vec())
    );
}

async fn first_error(script: Vec<u8>, deflate: bool, max: usize) -> UpstreamError {
    let (mut socket, mut server) = pair(deflate.then(DeflateParams::default));
    socket.set_max_message(max);
    server.write_all(&script).await.unwrap();
    drop(server);
    loop {
        match socket.next_message().await {
            Ok(Some(_)) => {}
            Ok(None) => panic!("no error"),
            Err(e) => return e,
        }
    }
}

#[tokio::test]
async fn protocol_violations_and_limits_fail_the_socket() {
    let label = |e: UpstreamError| {
        assert!(e.is_retryable() && e.is_websocket_refused());
        e.to_string()
    };
    let masked = vec![0x81, 0x82, 1, 2, 3, 4, b'a' ^ 1, b'b' ^ 2];
    assert!(label(first_error(masked, false, 100).await).contains("masked"));
    let rsv1 = server_frame(0xC1, b"x");
    assert!(label(first_error(rsv1, false, 100).await).contains("RSV1"));
    let big = server_frame(0x81, &[b'a'; 200]);
    assert!(label(first_error(big, false, 100).await).contains("size limit"));
    let mut parts = server_frame(0x01, &[b'a'; 80]);
    parts.extend(server_frame(0x80, &[b'a'; 80]));
    assert!(label(first_error(parts, false, 100).await).contains("size limit"));
    let orphan = server_frame(0x80, b"x");
    assert!(label(first_error(orphan, false, 100).await).contains("continuation"));
    let bad_utf8 = server_frame(0x81, &[0xff, 0xfe]);
    assert!(label(first_error(bad_utf8, false, 100).await).contains("UTF-8"));
    let garbage = server_frame(0xC1, &[0xff; 8]);
    assert!(label(first_error(garbage, true, 100).await).contains("deflate"));
    let cut = server_frame(0x81, b"{}");
    let e = first_error(cut, false, 100).await;
    assert!(e.to_string().contains("without a close frame"), "{e}");
}
