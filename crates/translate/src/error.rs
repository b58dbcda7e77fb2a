//! Why a client request could not be translated.

use thiserror::Error;

use crate::reply::{ErrorKind, ErrorReply};

/// A request that cannot be translated into a Codex request.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum TranslateError {
    /// The body is not JSON.
    #[error("malformed json request body")]
    InvalidJson,
    /// The body is JSON but not an acceptable request.
    #[error("invalid request: {message}")]
    InvalidRequest {
        /// What is wrong.
        message: String,
        /// The offending parameter, when one is to blame.
        param: Option<String>,
    },
    /// The model name is not known (chat route only).
    #[error("model '{0}' not found")]
    ModelNotFound(String),
}

impl TranslateError {
    pub(crate) fn invalid(message: impl Into<String>) -> Self {
        TranslateError::InvalidRequest {
            message: message.into(),
            param: None,
        }
    }

    pub(crate) fn invalid_param(param: &str, message: impl Into<String>) -> Self {
        TranslateError::InvalidRequest {
            message: message.into(),
            param: Some(param.to_owned()),
        }
    }

    /// HTTP status for this error.
    pub fn status(&self) -> u16 {
        match self {
            TranslateError::InvalidJson | TranslateError::InvalidRequest { .. } => 400,
            TranslateError::ModelNotFound(_) => 404,
        }
    }

    /// The dialect-neutral reply (messages follow the reference wording clients may match on).
    pub fn to_reply(&self) -> ErrorReply {
        match self {
            TranslateError::InvalidJson => ErrorReply::new(
                400,
                ErrorKind::InvalidRequest,
                "Malformed JSON request body",
                Some("invalid_json"),
            ),
            TranslateError::InvalidRequest { message, param } => ErrorReply {
                status: 400,
                kind: ErrorKind::InvalidRequest,
                message: format!("Invalid request: {message}"),
                code: Some("invalid_request".to_owned()),
                param: param.clone(),
            },
            TranslateError::ModelNotFound(model) => ErrorReply::new(
                404,
                ErrorKind::ModelNotFound,
                format!("Model '{model}' not found"),
                Some("model_not_found"),
            )
            .with_param("model"),
        }
    }
}
