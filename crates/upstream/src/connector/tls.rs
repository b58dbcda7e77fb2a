//! TLS stage: rustls (aws-lc-rs) configured to send the official client's rustls ClientHello
//! (Codex CLI 0.169.0, `clienthello-customca-rustls-h2-*` and `clienthello-websocket-rustls-*`
//! captures), with webpki + native roots (+ an optional extra CA).
//!
//! What makes the hello match, field by field:
//! - cipher suites, in order: the aws-lc-rs defaults spelled out below (rustls appends the
//!   `TLS_EMPTY_RENEGOTIATION_INFO_SCSV` itself), so a provider feature change cannot alter them;
//! - groups `X25519MLKEM768, x25519, secp256r1, secp384r1` with key shares for the hybrid group
//!   and x25519 (rustls shares the classical half when the hybrid comes first);
//! - signature algorithms: the aws-lc-rs provider's verification list (incl. ML-DSA);
//! - `session_ticket` requested but never offered back and no `pre_shared_key`: the official
//!   client builds a fresh config per client, so none of the 44 captured rustls hellos resumes;
//! - ALPN `h2,http/1.1` on the HTTP path, none on the WebSocket path;
//! - extension order: randomised per connection by rustls itself, as in the captures.

use std::sync::Arc;

use rustls::client::{Resumption, Tls12Resumption};
use rustls::crypto::CryptoProvider;
use rustls::crypto::aws_lc_rs::{self as provider, cipher_suite, kx_group};
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, ServerName};
use rustls::{ClientConfig, RootCertStore};
use tokio::net::TcpStream;
use tokio_rustls::client::TlsStream;

use crate::error::UpstreamError;

/// ALPN protocols of the HTTP client (reqwest + rustls in the official client).
pub(crate) const HTTP_ALPN: [&[u8]; 2] = [b"h2", b"http/1.1"];

/// Performs client handshakes with shared rustls configs (one per ALPN mode).
pub(crate) struct TlsConnector {
    http: tokio_rustls::TlsConnector,
    websocket: tokio_rustls::TlsConnector,
}

impl TlsConnector {
    /// Loads the roots and builds the client configs.
    pub(crate) fn new(extra_ca_pem: Option<&[u8]>) -> Result<TlsConnector, UpstreamError> {
        let mut roots = RootCertStore::empty();
        roots.extend(webpki_roots::TLS_SERVER_ROOTS.iter().cloned());
        let native = rustls_native_certs::load_native_certs();
        if !native.errors.is_empty() {
            tracing::debug!(
                errors = native.errors.len(),
                "some native root certificates failed to load"
            );
        }
        roots.add_parsable_certificates(native.certs);
        if let Some(pem) = extra_ca_pem {
            add_pem(&mut roots, pem)?;
        }
        let http = client_config(roots.clone(), &HTTP_ALPN)?;
        let websocket = client_config(roots, &[])?;
        Ok(TlsConnector {
            http: tokio_rustls::TlsConnector::from(http),
            websocket: tokio_rustls::TlsConnector::from(websocket),
        })
    }

    /// Handshakes over `tcp` with the HTTP config (ALPN `h2,http/1.1`), presenting `host` as
    /// SNI and verifying the certificate for it.
    pub(crate) async fn handshake(
        &self,
        host: &str,
        tcp: TcpStream,
    ) -> Result<TlsStream<TcpStream>, UpstreamError> {
        connect(&self.http, host, tcp).await
    }

    /// Handshakes with the WebSocket config: the same hello without ALPN.
    pub(crate) async fn handshake_websocket(
        &self,
        host: &str,
        tcp: TcpStream,
    ) -> Result<TlsStream<TcpStream>, UpstreamError> {
        connect(&self.websocket, host, tcp).await
    }
}

async fn connect(
    connector: &tokio_rustls::TlsConnector,
    host: &str,
    tcp: TcpStream,
) -> Result<TlsStream<TcpStream>, UpstreamError> {
    let name = ServerName::try_from(host.to_owned()).map_err(|_| UpstreamError::InvalidUrl {
        reason: "host is not a valid tls name",
    })?;
    connector
        .connect(name, tcp)
        .await
        .map_err(UpstreamError::Tls)
}

/// The official client's rustls config: provider, groups, versions, resumption, ALPN.
fn client_config(roots: RootCertStore, alpn: &[&[u8]]) -> Result<Arc<ClientConfig>, UpstreamError> {
    let provider = CryptoProvider {
        cipher_suites: vec![
            cipher_suite::TLS13_AES_256_GCM_SHA384,
            cipher_suite::TLS13_AES_128_GCM_SHA256,
            cipher_suite::TLS13_CHACHA20_POLY1305_SHA256,
            cipher_suite::TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384,
            cipher_suite::TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256,
            cipher_suite::TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256,
            cipher_suite::TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384,
            cipher_suite::TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256,
            cipher_suite::TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256,
        ],
        kx_groups: vec![
            kx_group::X25519MLKEM768,
            kx_group::X25519,
            kx_group::SECP256R1,
            kx_group::SECP384R1,
        ],
        ..provider::default_provider()
    };
    let mut config = ClientConfig::builder_with_provider(Arc::new(provider))
        .with_protocol_versions(&[&rustls::version::TLS13, &rustls::version::TLS12])
        .map_err(|err| UpstreamError::Config {
            reason: format!("tls setup: {err}"),
        })?
        .with_root_certificates(roots)
        .with_no_client_auth();
    // Ask for tickets (empty `session_ticket` extension) but never store one, so no hello
    // carries `pre_shared_key`, exactly like a freshly built official client.
    config.resumption =
        Resumption::disabled().tls12_resumption(Tls12Resumption::SessionIdOrTickets);
    config.alpn_protocols = alpn.iter().map(|p| p.to_vec()).collect();
    Ok(Arc::new(config))
}

fn add_pem(roots: &mut RootCertStore, pem: &[u8]) -> Result<(), UpstreamError> {
    let mut added = 0usize;
    for cert in CertificateDer::pem_slice_iter(pem) {
        let cert = cert.map_err(|err| UpstreamError::Config {
            reason: format!("extra ca pem is not valid: {err}"),
        })?;
        roots.add(cert).map_err(|err| UpstreamError::Config {
            reason: format!("extra ca certificate rejected: {err}"),
        })?;
        added += 1;
    }
    if added == 0 {
        return Err(UpstreamError::Config {
            reason: "extra ca pem holds no certificate".to_owned(),
        });
    }
    Ok(())
}
