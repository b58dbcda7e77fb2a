//! Errors of profile loading, feed parsing and the updater's persistence.

/// What went wrong.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum FingerprintError {
    /// `fingerprint.yaml` does not parse or has an invalid value (`path` names the key).
    #[error("invalid fingerprint profile at {path}: {reason}")]
    Profile {
        /// Dotted key path (`header_order[3]`, `user_agent_template`, ...) or `.` for the file.
        path: String,
        /// What is wrong with it.
        reason: String,
    },
    /// The update feed is not a usable appcast.
    #[error("invalid update feed: {0}")]
    Feed(&'static str),
    /// Fetching the update feed failed (the fetch function's own message, no secrets).
    #[error("update feed fetch failed: {0}")]
    Fetch(String),
    /// Reading or writing the persisted state failed.
    #[error("fingerprint state i/o failed")]
    Io(#[from] std::io::Error),
    /// The persisted state file is corrupt.
    #[error("fingerprint state file is corrupt")]
    State(#[source] serde_json::Error),
}

impl FingerprintError {
    /// A transient problem (network, disk) worth retrying at the next scheduled check, as
    /// opposed to bad data.
    pub fn is_transient(&self) -> bool {
        matches!(self, Self::Fetch(_) | Self::Io(_))
    }
}
