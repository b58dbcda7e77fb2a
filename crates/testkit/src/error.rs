//! Errors of the fake backend's own machinery (not the HTTP errors it serves on purpose).

/// Something the mock could not parse or do.
#[derive(Debug, thiserror::Error)]
pub enum MockError {
    /// A bearer token did not decode as a JWT carrying a ChatGPT account id.
    #[error("invalid jwt: {0}")]
    InvalidJwt(&'static str),
    /// A fault name given to `set_fault`, `POST /__mock/faults` or a marker is unknown.
    #[error("unknown fault {0:?}")]
    UnknownFault(String),
    /// Generating the test CA or building a TLS config failed.
    #[error("tls setup failed: {0}")]
    Tls(String),
    /// Reading replay fixtures or writing the record file failed.
    #[error("i/o error: {0}")]
    Io(#[from] std::io::Error),
}

impl MockError {
    /// True when the caller sent something malformed (as opposed to a local i/o problem).
    pub fn is_client_error(&self) -> bool {
        matches!(self, MockError::InvalidJwt(_) | MockError::UnknownFault(_))
    }
}
