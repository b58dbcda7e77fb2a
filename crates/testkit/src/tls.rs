//! A throwaway certificate authority generated at test time, and rustls server configs signed
//! by it, so loopback HTTPS tests need no checked-in keys.

use std::sync::Arc;

use rcgen::{
    BasicConstraints, CertificateParams, CertifiedIssuer, DnType, IsCa, KeyPair, KeyUsagePurpose,
};
use rustls::ServerConfig;
use rustls::pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer};

use crate::error::MockError;

/// Names every [`TestCa`] leaf is valid for: the real backend hosts (so clients can present
/// the real SNI while dialling loopback) and the loopback addresses.
pub const TEST_NAMES: &[&str] = &[
    "chatgpt.com",
    "auth.openai.com",
    "localhost",
    "127.0.0.1",
    "::1",
];

/// A CA (ECDSA P-256) plus one leaf certificate for [`TEST_NAMES`].
pub struct TestCa {
    ca_pem: String,
    leaf: CertificateDer<'static>,
    leaf_key: Vec<u8>,
}

impl std::fmt::Debug for TestCa {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TestCa").finish_non_exhaustive()
    }
}

impl TestCa {
    /// Generates a fresh CA and leaf.
    pub fn generate() -> Result<TestCa, MockError> {
        let fail = |e: rcgen::Error| MockError::Tls(e.to_string());
        let mut ca_params = CertificateParams::new(Vec::<String>::new()).map_err(fail)?;
        ca_params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
        ca_params
            .distinguished_name
            .push(DnType::CommonName, "codex-proxy testkit CA");
        ca_params.key_usages = vec![KeyUsagePurpose::KeyCertSign, KeyUsagePurpose::CrlSign];
        let ca = CertifiedIssuer::self_signed(ca_params, KeyPair::generate().map_err(fail)?)
            .map_err(fail)?;
        let names: Vec<String> = TEST_NAMES.iter().map(|n| (*n).to_owned()).collect();
        let mut leaf_params = CertificateParams::new(names).map_err(fail)?;
        leaf_params
            .distinguished_name
            .push(DnType::CommonName, "chatgpt.com");
        let leaf_key = KeyPair::generate().map_err(fail)?;
        let leaf = leaf_params.signed_by(&leaf_key, &ca).map_err(fail)?;
        Ok(TestCa {
            ca_pem: ca.pem(),
            leaf: leaf.der().clone(),
            leaf_key: leaf_key.serialize_der(),
        })
    }

    /// The CA certificate (PEM) for a client's trust store (`UpstreamConfig::extra_ca_pem`).
    pub fn ca_pem(&self) -> &str {
        &self.ca_pem
    }

    /// A server config presenting the leaf, offering `alpn` (e.g. `[b"h2", b"http/1.1"]`).
    pub fn server_config(&self, alpn: &[&[u8]]) -> Result<Arc<ServerConfig>, MockError> {
        let provider = Arc::new(rustls::crypto::aws_lc_rs::default_provider());
        let key = PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(self.leaf_key.clone()));
        let mut config = ServerConfig::builder_with_provider(provider)
            .with_safe_default_protocol_versions()
            .map_err(|e| MockError::Tls(e.to_string()))?
            .with_no_client_auth()
            .with_single_cert(vec![self.leaf.clone()], key)
            .map_err(|e| MockError::Tls(e.to_string()))?;
        config.alpn_protocols = alpn.iter().map(|p| p.to_vec()).collect();
        Ok(Arc::new(config))
    }
}
