//! `https://` against a loopback TLS server with a test CA (trusted through `extra_ca_pem`).

use std::sync::Arc;
use std::time::Duration;

use codex_proxy_upstream::{Upstream, UpstreamError};
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer};

use crate::hyper_server::HyperServer;
use crate::support;

const CA: &[u8] = include_bytes!("certs/ca.pem");
const LEAF: &[u8] = include_bytes!("certs/leaf.pem");
const LEAF_KEY: &[u8] = include_bytes!("certs/leaf.key");

fn server_config(alpn: &[&[u8]]) -> rustls::ServerConfig {
    let provider = Arc::new(rustls::crypto::aws_lc_rs::default_provider());
    let certs = CertificateDer::pem_slice_iter(LEAF)
        .collect::<Result<Vec<_>, _>>()
        .unwrap();
    let key = PrivateKeyDer::from_pem_slice(LEAF_KEY).unwrap();
    let mut config = rustls::ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .unwrap()
        .with_no_client_auth()
        .with_single_cert(certs, key)
        .unwrap();
    config.alpn_protocols = alpn.iter().map(|p| p.to_vec()).collect();
    config
}

fn trusting_config(port: u16) -> codex_proxy_upstream::UpstreamConfig {
    let mut cfg = support::config(&format!("https://127.0.0.1:{port}/backend-api"));
    cfg.extra_ca_pem = Some(CA.to_vec());
    cfg
}

#[tokio::test]
async fn alpn_h2_uses_http2_and_shares_the_connection() {
    let server = HyperServer::tls(server_config(&[b"h2", b"http/1.1"]), Duration::ZERO).await;
    let upstream = Upstream::new(trusting_config(server.port)).unwrap();
    for _ in 0..2 {
        let response = upstream
            .get("/wham/usage", &support::creds())
            .await
            .unwrap();
        let text = std::str::from_utf8(&response.body).unwrap();
        assert!(
            text.starts_with("HTTP/2.0 GET /backend-api/wham/usage"),
            "{text}"
        );
    }
    assert_eq!(server.accepted(), 1);
}

#[tokio::test]
async fn alpn_http1_uses_http1_and_reuses_the_connection() {
    let server = HyperServer::tls(server_config(&[b"http/1.1"]), Duration::ZERO).await;
    let upstream = Upstream::new(trusting_config(server.port)).unwrap();
    for _ in 0..2 {
        let mut stream = upstream.responses(support::call("{}")).await.unwrap();
        let body = stream.chunk().await.unwrap().unwrap();
        let text = std::str::from_utf8(&body).unwrap();
        assert!(
            text.starts_with("HTTP/1.1 POST /backend-api/codex/responses"),
            "{text}"
        );
        assert!(stream.chunk().await.is_none());
    }
    assert_eq!(server.accepted(), 1);
}

#[tokio::test]
async fn untrusted_certificate_is_a_tls_error() {
    let server = HyperServer::tls(server_config(&[b"http/1.1"]), Duration::ZERO).await;
    let upstream = Upstream::new(support::config(&format!(
        "https://127.0.0.1:{}/backend-api",
        server.port
    )))
    .unwrap();
    let err = upstream
        .get("/wham/usage", &support::creds())
        .await
        .unwrap_err();
    assert!(matches!(err, UpstreamError::Tls(_)), "{err:?}");
    assert_eq!(err.label(), "tls");
}

#[test]
fn invalid_extra_ca_is_a_config_error() {
    let mut cfg = support::config("https://127.0.0.1:1/backend-api");
    cfg.extra_ca_pem = Some(b"not a pem".to_vec());
    let err = Upstream::new(cfg).unwrap_err();
    assert!(matches!(err, UpstreamError::Config { .. }), "{err:?}");
}
