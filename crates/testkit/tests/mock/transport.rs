//! Transport features added for the upstream tests: zstd request bodies, HTTPS with a test CA,
//! and the CONNECT / SOCKS5 test proxies.

use std::sync::Arc;

use bytes::Bytes;
use codex_proxy_testkit::proxy::{ProxyProtocol, TestProxy};
use codex_proxy_testkit::{MockConfig, MockServer, TestCa};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

use crate::support::{account, body, deltas, send, server};

#[tokio::test]
async fn zstd_request_bodies_are_decoded() {
    let server = server().await;
    let acct = account("acct-zstd");
    let json = body("compressed hello").to_string();
    let compressed = zstd::encode_all(json.as_bytes(), 3).unwrap();
    let bearer = format!("Bearer {}", acct.token);
    let r = send(
        server.addr(),
        "POST",
        "/backend-api/codex/responses",
        &[
            ("authorization", bearer.as_str()),
            ("chatgpt-account-id", acct.id.as_str()),
            ("content-type", "application/json"),
            ("content-encoding", "zstd"),
        ],
        Bytes::from(compressed),
    )
    .await;
    assert_eq!(r.status, 200, "{}", String::from_utf8_lossy(&r.body));
    let text = deltas(&r.events(), "response.output_text.delta");
    assert_eq!(text, "echo: compressed hello");
    let recorded = server.requests();
    assert_eq!(recorded[0].body.as_ref().unwrap()["model"], "gpt-5.4");
}

#[tokio::test]
async fn tls_server_presents_a_leaf_of_the_generated_ca() {
    let ca = TestCa::generate().unwrap();
    let server = MockServer::start_tls(MockConfig::default(), &ca)
        .await
        .unwrap();
    assert!(server.base_url().starts_with("https://127.0.0.1:"));

    let mut roots = rustls::RootCertStore::empty();
    use rustls::pki_types::pem::PemObject as _;
    for cert in rustls::pki_types::CertificateDer::pem_slice_iter(ca.ca_pem().as_bytes()) {
        roots.add(cert.unwrap()).unwrap();
    }
    let provider = Arc::new(rustls::crypto::aws_lc_rs::default_provider());
    let config = rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .unwrap()
        .with_root_certificates(roots)
        .with_no_client_auth();
    let connector = tokio_rustls::TlsConnector::from(Arc::new(config));
    let tcp = TcpStream::connect(server.addr()).await.unwrap();
    let name = rustls::pki_types::ServerName::try_from("chatgpt.com").unwrap();
    let mut tls = connector.connect(name, tcp).await.unwrap();
    tls.write_all(
        b"GET /backend-api/codex/models HTTP/1.1\r\nhost: chatgpt.com\r\nconnection: close\r\n\r\n",
    )
    .await
    .unwrap();
    let mut answer = Vec::new();
    let _ = tls.read_to_end(&mut answer).await;
    // Unauthenticated, but served over TLS by the mock.
    assert!(
        answer.starts_with(b"HTTP/1.1 401"),
        "{}",
        String::from_utf8_lossy(&answer)
    );
}

#[tokio::test]
async fn proxies_tunnel_and_check_credentials() {
    let server = server().await;
    for protocol in [ProxyProtocol::HttpConnect, ProxyProtocol::Socks5] {
        let proxy = TestProxy::start(protocol, None, Some(server.addr()))
            .await
            .unwrap();
        let mut tcp = TcpStream::connect(proxy.addr()).await.unwrap();
        match protocol {
            ProxyProtocol::HttpConnect => {
                tcp.write_all(b"CONNECT chatgpt.com:443 HTTP/1.1\r\nhost: chatgpt.com:443\r\n\r\n")
                    .await
                    .unwrap();
                let mut head = [0u8; 39];
                tcp.read_exact(&mut head).await.unwrap();
                assert!(head.starts_with(b"HTTP/1.1 200"));
            }
            ProxyProtocol::Socks5 => {
                tcp.write_all(&[5, 1, 0]).await.unwrap();
                let mut reply = [0u8; 2];
                tcp.read_exact(&mut reply).await.unwrap();
                assert_eq!(reply, [5, 0]);
                let mut req = vec![5, 1, 0, 3, 11];
                req.extend_from_slice(b"chatgpt.com");
                req.extend_from_slice(&443u16.to_be_bytes());
                tcp.write_all(&req).await.unwrap();
                let mut reply = [0u8; 10];
                tcp.read_exact(&mut reply).await.unwrap();
                assert_eq!(reply[1], 0);
            }
        }
        tcp.write_all(
            b"GET /backend-api/codex/models HTTP/1.1\r\nhost: x\r\nconnection: close\r\n\r\n",
        )
        .await
        .unwrap();
        let mut answer = Vec::new();
        let _ = tcp.read_to_end(&mut answer).await;
        assert!(answer.starts_with(b"HTTP/1.1 401"), "{protocol:?}");
        assert_eq!(proxy.targets(), vec!["chatgpt.com:443".to_owned()]);
    }

    let guarded = TestProxy::start(
        ProxyProtocol::HttpConnect,
        Some(("u", "p")),
        Some(server.addr()),
    )
    .await
    .unwrap();
    assert_eq!(guarded.url(), format!("http://u:p@{}", guarded.addr()));
    let mut tcp = TcpStream::connect(guarded.addr()).await.unwrap();
    tcp.write_all(b"CONNECT chatgpt.com:443 HTTP/1.1\r\n\r\n")
        .await
        .unwrap();
    let mut answer = Vec::new();
    let _ = tcp.read_to_end(&mut answer).await;
    assert!(answer.starts_with(b"HTTP/1.1 407"));
    assert!(guarded.targets().is_empty());
}
