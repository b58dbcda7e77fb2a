//! Per-call inputs: the account's credentials and the identity of one responses call.
//! Both have hand-written `Debug` impls that never print the access token.

use std::fmt;

use bytes::Bytes;

/// The account a call is made for.
#[derive(Clone, Copy)]
pub struct Credentials<'a> {
    /// ChatGPT OAuth access token (a JWT), sent as `authorization: Bearer …`.
    pub access_token: &'a str,
    /// `chatgpt-account-id` header; omitted when `None`.
    pub account_id: Option<&'a str>,
}

impl fmt::Debug for Credentials<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Credentials")
            .field("access_token", &"<redacted>")
            .field("account_id", &self.account_id)
            .finish()
    }
}

/// One `POST /codex/responses` call.
#[derive(Clone)]
pub struct ResponsesCall<'a> {
    /// Who pays for it.
    pub creds: Credentials<'a>,
    /// The JSON request body (sent as is; compression comes with the fingerprint work).
    pub body: Bytes,
    /// The thread id: `session-id`, `thread-id`, `x-client-request-id`, and the window id
    /// `{session_id}:0`, as the official client sends them.
    pub session_id: &'a str,
    /// Upstream model id, used in `x-codex-routing-hint` and the turn metadata.
    pub model: &'a str,
    /// `x-codex-turn-state` echoed from the previous response of the same turn.
    pub turn_state: Option<&'a str>,
    /// Per-request id; sent as the `turn_id` of `x-codex-turn-metadata`.
    pub request_id: &'a str,
    /// The account's installation id; sent inside `x-codex-turn-metadata` only.
    pub installation_id: Option<&'a str>,
}

impl fmt::Debug for ResponsesCall<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ResponsesCall")
            .field("creds", &self.creds)
            .field("body_len", &self.body.len())
            .field("session_id", &self.session_id)
            .field("model", &self.model)
            .field("turn_state", &self.turn_state.map(|_| "<present>"))
            .field("request_id", &self.request_id)
            .field("installation_id", &self.installation_id)
            .finish()
    }
}
