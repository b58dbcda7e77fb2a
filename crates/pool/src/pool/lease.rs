//! [`Lease`]: the right to use one account for one request, holding a concurrency slot.

use std::fmt;
use std::sync::Arc;

use crate::account::{Account, AccountId};
use crate::slots::SlotGuard;

/// The right to use one account for one request. Holds one of the account's concurrency
/// slots (`max_concurrent_per_account`) until the last clone is dropped. `Debug` redacts
/// the token.
#[derive(Clone)]
pub struct Lease {
    id: AccountId,
    access_token: String,
    chatgpt_account_id: Option<String>,
    installation_id: String,
    prompt_cache_key: Option<String>,
    slot: Option<Arc<SlotGuard>>,
}

impl Lease {
    /// The account's id (pass the lease back to [`crate::Pool::report`]).
    pub fn id(&self) -> &AccountId {
        &self.id
    }

    /// The bearer token for upstream.
    pub fn access_token(&self) -> &str {
        &self.access_token
    }

    /// The `ChatGPT-Account-Id` header value.
    pub fn chatgpt_account_id(&self) -> Option<&str> {
        self.chatgpt_account_id.as_deref()
    }

    /// The account's stable installation id (uuid).
    pub fn installation_id(&self) -> &str {
        &self.installation_id
    }

    /// The `prompt_cache_key` to send upstream for this session on this account
    /// (`cp_` + 32 hex chars, stable per session and account); `None` without a session key.
    pub fn prompt_cache_key(&self) -> Option<&str> {
        self.prompt_cache_key.as_deref()
    }

    pub(crate) fn of(account: &Account) -> Option<Lease> {
        Some(Lease {
            id: account.meta.id.clone(),
            access_token: account.secrets.access_token.clone()?,
            chatgpt_account_id: account.meta.chatgpt_account_id.clone(),
            installation_id: account.meta.installation_id.clone(),
            prompt_cache_key: None,
            slot: None,
        })
    }

    pub(crate) fn with_slot(mut self, slot: Option<SlotGuard>) -> Lease {
        if let Some(slot) = slot {
            self.slot = Some(Arc::new(slot));
        }
        self
    }

    pub(crate) fn with_cache_key(mut self, key: Option<String>) -> Lease {
        self.prompt_cache_key = key;
        self
    }
}

impl fmt::Debug for Lease {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Lease")
            .field("id", &self.id)
            .field("access_token", &"<redacted>")
            .field("chatgpt_account_id", &self.chatgpt_account_id)
            .field("installation_id", &self.installation_id)
            .field("prompt_cache_key", &self.prompt_cache_key)
            .finish()
    }
}
