//! Error types of the pool: [`PoolError`], [`TokenError`], [`RefreshError`], [`KeyError`],
//! and (in `login.rs`) [`LoginError`] and [`TransportError`].

mod login;

use std::path::PathBuf;
use std::time::{Duration, SystemTime};

pub use login::{LoginError, TransportError};

/// Why a token (access JWT or pasted credential) was rejected.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TokenError {
    /// Neither an access token nor a refresh token was given.
    #[error("token is empty")]
    Empty,
    /// The access token is not a JWT with a base64url JSON-object payload.
    #[error("invalid jwt format: could not decode payload")]
    Malformed,
    /// The access token has expired and there is no refresh token to renew it.
    #[error("token is expired")]
    Expired,
    /// The access token has no `chatgpt_account_id` claim.
    #[error("token missing chatgpt_account_id claim")]
    MissingAccountId,
}

/// Errors returned by [`crate::Pool`].
#[derive(Debug, thiserror::Error)]
pub enum PoolError {
    /// A file in the data directory could not be read or written.
    #[error("{action} {}: {source}", path.display())]
    Io {
        /// What we were doing.
        action: &'static str,
        /// The file concerned.
        path: PathBuf,
        /// The underlying error.
        source: std::io::Error,
    },
    /// The redb database failed (open, transaction, table or commit).
    #[error("account storage: {context}: {message}")]
    Storage {
        /// The operation that failed.
        context: &'static str,
        /// The storage engine's message (never contains secrets).
        message: String,
    },
    /// The key file exists but is not 32 bytes long.
    #[error("key file {} is invalid: expected 32 bytes", path.display())]
    InvalidKeyFile {
        /// The key file.
        path: PathBuf,
    },
    /// The database holds encrypted accounts but the key file is gone.
    #[error(
        "key file {} is missing but the database holds encrypted accounts; restore the key file or move the database away",
        path.display()
    )]
    KeyMissing {
        /// Where the key file was expected.
        path: PathBuf,
    },
    /// The key file does not decrypt the database: it belongs to another database.
    #[error("key file {} does not match the account database (wrong key)", path.display())]
    WrongKey {
        /// The key file.
        path: PathBuf,
    },
    /// A stored record could not be decoded or decrypted.
    #[error("stored account {id} is corrupt: {reason}")]
    Corrupt {
        /// The record's key.
        id: String,
        /// What failed.
        reason: &'static str,
    },
    /// A token given by the user was rejected.
    #[error("invalid token: {0}")]
    InvalidToken(#[from] TokenError),
    /// An import payload could not be understood at all.
    #[error("invalid import: {0}")]
    InvalidImport(&'static str),
    /// The pool has no accounts.
    #[error("no account configured: run `codex-proxy login` or import an account")]
    NoAccount,
    /// Accounts exist but none can serve a request right now.
    #[error(
        "all {total} accounts are unavailable (expired, banned, disabled, rate limited or out of quota)"
    )]
    AllUnavailable {
        /// How many accounts exist.
        total: usize,
        /// The earliest time a temporarily blocked account (rate limit, quota, cooldown)
        /// becomes usable again, if any.
        soonest_reset: Option<SystemTime>,
    },
    /// No account (or client key) has this id.
    #[error("account not found")]
    NotFound,
    /// Every eligible account stayed at its concurrency limit for the whole wait.
    #[error("all eligible accounts are busy (waited {}s for a free slot)", waited.as_secs())]
    Busy {
        /// How long the acquire waited.
        waited: Duration,
    },
    /// No account's plan serves the requested model (plan routing).
    #[error("no account's plan serves model {model}")]
    ModelUnsupported {
        /// The requested model.
        model: String,
    },
    /// A batch status change asked for a status users cannot set.
    #[error("status can only be set to active or disabled")]
    InvalidStatus,
    /// A `/wham/usage` body without a `rate_limit` object.
    #[error("usage response has no rate_limit object")]
    InvalidUsage,
}

impl PoolError {
    /// The pool is empty: the user must log in or import an account.
    pub fn is_no_account(&self) -> bool {
        matches!(self, PoolError::NoAccount)
    }

    /// Accounts exist but none is usable right now (maybe later: see [`Self::soonest_reset`]).
    pub fn is_all_unavailable(&self) -> bool {
        matches!(self, PoolError::AllUnavailable { .. })
    }

    /// When the first blocked account becomes usable again, if known.
    pub fn soonest_reset(&self) -> Option<SystemTime> {
        match self {
            PoolError::AllUnavailable { soonest_reset, .. } => *soonest_reset,
            _ => None,
        }
    }

    /// The caller sent bad input (token, import payload, unknown id, status): a 4xx, not
    /// our fault.
    pub fn is_client_error(&self) -> bool {
        matches!(
            self,
            PoolError::InvalidToken(_)
                | PoolError::InvalidImport(_)
                | PoolError::NotFound
                | PoolError::InvalidStatus
        )
    }

    /// Every eligible account was at its concurrency limit for the whole wait (answer 429
    /// or 503; retrying soon may work).
    pub fn is_busy(&self) -> bool {
        matches!(self, PoolError::Busy { .. })
    }

    /// No account's plan serves the requested model.
    pub fn is_model_unsupported(&self) -> bool {
        matches!(self, PoolError::ModelUnsupported { .. })
    }

    /// How long a client should wait before retrying (`retry-after`), for
    /// [`PoolError::AllUnavailable`] with a known reset.
    pub fn retry_after(&self, now: SystemTime) -> Option<Duration> {
        self.soonest_reset()
            .map(|t| t.duration_since(now).unwrap_or(Duration::ZERO))
    }

    /// The data directory or database is broken (I/O, storage, key or corrupt record).
    pub fn is_storage(&self) -> bool {
        matches!(
            self,
            PoolError::Io { .. }
                | PoolError::Storage { .. }
                | PoolError::InvalidKeyFile { .. }
                | PoolError::KeyMissing { .. }
                | PoolError::WrongKey { .. }
                | PoolError::Corrupt { .. }
        )
    }

    /// The key file does not match the database.
    pub fn is_wrong_key(&self) -> bool {
        matches!(self, PoolError::WrongKey { .. })
    }

    /// A short, stable label for metrics and logs.
    pub fn label(&self) -> &'static str {
        match self {
            PoolError::Io { .. } => "io",
            PoolError::Storage { .. } => "storage",
            PoolError::InvalidKeyFile { .. } => "invalid_key_file",
            PoolError::KeyMissing { .. } => "key_missing",
            PoolError::WrongKey { .. } => "wrong_key",
            PoolError::Corrupt { .. } => "corrupt",
            PoolError::InvalidToken(_) => "invalid_token",
            PoolError::InvalidImport(_) => "invalid_import",
            PoolError::NoAccount => "no_account",
            PoolError::AllUnavailable { .. } => "all_unavailable",
            PoolError::NotFound => "not_found",
            PoolError::Busy { .. } => "busy",
            PoolError::ModelUnsupported { .. } => "model_unsupported",
            PoolError::InvalidStatus => "invalid_status",
            PoolError::InvalidUsage => "invalid_usage",
        }
    }
}

/// OAuth error codes after which a refresh token can never work again.
const TERMINAL_CODES: [&str; 6] = [
    "invalid_grant",
    "refresh_token_reused",
    "refresh_token_expired",
    "refresh_token_invalidated",
    "invalid_token",
    "access_denied",
];

/// A failed token refresh, as reported by a [`crate::Refresher`].
#[derive(Debug, Clone, thiserror::Error)]
pub enum RefreshError {
    /// The token endpoint answered with an error status.
    #[error("token refresh rejected ({status}){}", code.as_deref().map(|c| format!(": {c}")).unwrap_or_default())]
    Rejected {
        /// HTTP status.
        status: u16,
        /// OAuth error code (`error` or `error.code`), e.g. `invalid_grant`.
        code: Option<String>,
        /// Whether the body says the account was deactivated.
        deactivated: bool,
    },
    /// The token endpoint could not be reached or answered garbage.
    #[error("token refresh failed: {0}")]
    Transport(String),
}

impl RefreshError {
    /// Builds a [`RefreshError::Rejected`] from the token endpoint's status and body
    /// (`{"error":"invalid_grant"}` or `{"error":{"code":"refresh_token_reused"}}`).
    pub fn rejected(status: u16, body: &[u8]) -> RefreshError {
        let code = serde_json::from_slice::<serde_json::Value>(body)
            .ok()
            .and_then(|v| {
                let err = v.get("error")?;
                match err {
                    serde_json::Value::String(s) => Some(s.clone()),
                    serde_json::Value::Object(o) => o
                        .get("code")
                        .or_else(|| o.get("type"))
                        .and_then(|c| c.as_str())
                        .map(str::to_owned),
                    _ => None,
                }
            });
        let lower = String::from_utf8_lossy(body).to_ascii_lowercase();
        RefreshError::Rejected {
            status,
            code,
            deactivated: lower.contains("deactivated"),
        }
    }

    /// The refresh token is dead (`invalid_grant`, reused, expired, revoked, deactivated
    /// account): retrying cannot help and the account needs a new login.
    pub fn is_terminal(&self) -> bool {
        match self {
            RefreshError::Rejected {
                code, deactivated, ..
            } => {
                *deactivated
                    || code
                        .as_deref()
                        .is_some_and(|c| TERMINAL_CODES.contains(&c.to_ascii_lowercase().as_str()))
            }
            RefreshError::Transport(_) => false,
        }
    }

    /// The account itself was deactivated (a ban rather than an expired login).
    pub fn is_deactivated(&self) -> bool {
        matches!(
            self,
            RefreshError::Rejected {
                deactivated: true,
                ..
            }
        )
    }
}

/// Why a client key was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum KeyError {
    /// No key has this value.
    #[error("invalid api key")]
    Unknown,
    /// The key was revoked.
    #[error("api key has been revoked")]
    Revoked,
    /// The key's expiry has passed.
    #[error("api key has expired")]
    Expired,
    /// The key's token budget is used up.
    #[error("api key token budget exhausted")]
    BudgetExhausted,
    /// The key may not use this model.
    #[error("model {model} is not allowed for this api key")]
    ModelNotAllowed {
        /// The requested model.
        model: String,
    },
}

impl KeyError {
    /// The HTTP status to answer with: 401 unknown/revoked/expired, 403 model, 429 budget.
    pub fn status(&self) -> u16 {
        match self {
            KeyError::Unknown | KeyError::Revoked | KeyError::Expired => 401,
            KeyError::ModelNotAllowed { .. } => 403,
            KeyError::BudgetExhausted => 429,
        }
    }

    /// A short, stable label (also usable as the error `code`).
    pub fn label(&self) -> &'static str {
        match self {
            KeyError::Unknown => "key_not_found",
            KeyError::Revoked => "key_revoked",
            KeyError::Expired => "key_expired",
            KeyError::BudgetExhausted => "insufficient_quota",
            KeyError::ModelNotAllowed { .. } => "model_not_allowed",
        }
    }
}
