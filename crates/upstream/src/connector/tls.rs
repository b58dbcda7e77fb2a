//! TLS stage: rustls (aws-lc-rs) with webpki + native roots (+ an optional extra CA),
//! ALPN `h2`, `http/1.1`.

use std::sync::Arc;

use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, ServerName};
use rustls::{ClientConfig, RootCertStore};
use tokio::net::TcpStream;
use tokio_rustls::client::TlsStream;

use crate::error::UpstreamError;

/// Performs client handshakes with one shared rustls config.
pub(crate) struct TlsConnector {
    inner: tokio_rustls::TlsConnector,
}

impl TlsConnector {
    /// Loads the roots and builds the client config.
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
        let provider = Arc::new(rustls::crypto::aws_lc_rs::default_provider());
        let mut config = ClientConfig::builder_with_provider(provider)
            .with_safe_default_protocol_versions()
            .map_err(|err| UpstreamError::Config {
                reason: format!("tls setup: {err}"),
            })?
            .with_root_certificates(roots)
            .with_no_client_auth();
        config.alpn_protocols = vec![b"h2".to_vec(), b"http/1.1".to_vec()];
        Ok(TlsConnector {
            inner: tokio_rustls::TlsConnector::from(Arc::new(config)),
        })
    }

    /// Handshakes over `tcp`, presenting `host` as SNI and verifying the certificate for it.
    pub(crate) async fn handshake(
        &self,
        host: &str,
        tcp: TcpStream,
    ) -> Result<TlsStream<TcpStream>, UpstreamError> {
        let name =
            ServerName::try_from(host.to_owned()).map_err(|_| UpstreamError::InvalidUrl {
                reason: "host is not a valid tls name",
            })?;
        self.inner
            .connect(name, tcp)
            .await
            .map_err(UpstreamError::Tls)
    }
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
