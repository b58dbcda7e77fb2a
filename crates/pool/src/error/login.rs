//! OAuth login errors: [`LoginError`] and the transport's [`TransportError`].

use super::RefreshError;

/// The OAuth server could not be reached (the transport's own message, without secrets).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct TransportError(pub String);

/// Why a login failed. Every variant has a message fit for the user.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum LoginError {
    /// The user (or the provider) refused: `error=access_denied` or another `error`.
    #[error("login was denied: {error}{}", description.as_deref().map(|d| format!(" ({d})")).unwrap_or_default())]
    Denied {
        /// The OAuth `error` parameter.
        error: String,
        /// `error_description`, if any.
        description: Option<String>,
    },
    /// The login took too long; start again.
    #[error("login expired; start the login again")]
    Expired,
    /// The callback has no `state`.
    #[error("callback url has no state parameter")]
    MissingState,
    /// The callback's `state` is not the one this login sent (another login, or forged).
    #[error("callback state does not match this login; start the login again")]
    StateMismatch,
    /// No pending login has this state (never started here, already used, or expired).
    #[error("no pending login for this callback; it may have expired or been used already")]
    UnknownState,
    /// The callback has no `code`.
    #[error("callback url has no code parameter")]
    MissingCode,
    /// The token endpoint refused the code.
    #[error("token exchange rejected ({status}){}", code.as_deref().map(|c| format!(": {c}")).unwrap_or_default())]
    Exchange {
        /// HTTP status.
        status: u16,
        /// OAuth error code.
        code: Option<String>,
    },
    /// The device endpoint refused the request.
    #[error("device login rejected ({status})")]
    DeviceRejected {
        /// HTTP status.
        status: u16,
    },
    /// The OAuth server answered something we do not understand.
    #[error("unexpected {0} from the oauth server")]
    InvalidResponse(&'static str),
    /// The OAuth server could not be reached.
    #[error("oauth server unreachable: {0}")]
    Transport(String),
}

impl LoginError {
    /// Trying the same step again may work (network failure).
    pub fn is_retryable(&self) -> bool {
        matches!(self, LoginError::Transport(_))
    }

    /// The user must start a new login.
    pub fn needs_restart(&self) -> bool {
        matches!(
            self,
            LoginError::Expired | LoginError::StateMismatch | LoginError::UnknownState
        )
    }

    /// A short, stable label.
    pub fn label(&self) -> &'static str {
        match self {
            LoginError::Denied { .. } => "denied",
            LoginError::Expired => "expired",
            LoginError::MissingState => "missing_state",
            LoginError::StateMismatch => "state_mismatch",
            LoginError::UnknownState => "unknown_state",
            LoginError::MissingCode => "missing_code",
            LoginError::Exchange { .. } => "exchange_rejected",
            LoginError::DeviceRejected { .. } => "device_rejected",
            LoginError::InvalidResponse(_) => "invalid_response",
            LoginError::Transport(_) => "transport",
        }
    }

    /// Maps a token-endpoint failure during a code exchange.
    pub(crate) fn from_exchange(e: RefreshError) -> LoginError {
        match e {
            RefreshError::Rejected { status, code, .. } => LoginError::Exchange { status, code },
            RefreshError::Transport(m) => LoginError::Transport(m),
        }
    }
}
