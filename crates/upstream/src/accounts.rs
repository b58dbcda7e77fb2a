//! `GET /wham/accounts/check`: the workspace routing list the official client fetches before
//! any model call.

use serde_json::Value;

use crate::error::UpstreamError;

/// The parsed answer of `/wham/accounts/check`.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct AccountsCheck {
    /// One entry per workspace the token can act for.
    pub accounts: Vec<AccountRouting>,
}

/// One workspace of [`AccountsCheck`].
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct AccountRouting {
    /// The ChatGPT account (workspace) id, i.e. `chatgpt-account-id`.
    pub id: String,
    /// `plan_type`, e.g. `pro`.
    pub plan_type: Option<String>,
    /// `workspace_backend_origin`, e.g. `https://chatgpt.com`.
    pub backend_origin: Option<String>,
    /// `account_routing_override`: `NO_CONSTRAINT` or a region such as `us` (then model
    /// calls carry `x-openai-account-routing-override: us`).
    pub routing_override: Option<String>,
}

impl AccountsCheck {
    /// Parses the JSON body; unknown fields are ignored, a missing `accounts` list is an
    /// error.
    pub fn parse(body: &[u8]) -> Result<AccountsCheck, UpstreamError> {
        let malformed = || UpstreamError::Malformed {
            what: "accounts check body",
        };
        let value: Value = serde_json::from_slice(body).map_err(|_| malformed())?;
        let list = value
            .get("accounts")
            .and_then(Value::as_array)
            .ok_or_else(malformed)?;
        let text = |v: &Value, key: &str| v.get(key).and_then(Value::as_str).map(str::to_owned);
        let accounts = list
            .iter()
            .filter_map(|entry| {
                Some(AccountRouting {
                    id: text(entry, "id")?,
                    plan_type: text(entry, "plan_type"),
                    backend_origin: text(entry, "workspace_backend_origin"),
                    routing_override: text(entry, "account_routing_override"),
                })
            })
            .collect();
        Ok(AccountsCheck { accounts })
    }

    /// The entry of `account_id`.
    pub fn account(&self, account_id: &str) -> Option<&AccountRouting> {
        self.accounts.iter().find(|a| a.id == account_id)
    }
}

impl AccountRouting {
    /// The region the account is pinned to, if any (`NO_CONSTRAINT` means none).
    pub fn region(&self) -> Option<&str> {
        self.routing_override
            .as_deref()
            .filter(|r| !r.eq_ignore_ascii_case("NO_CONSTRAINT") && !r.is_empty())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_the_captured_answer() {
        let body = br#"{"accounts": [{"id": "acc-1", "name": null, "plan_type": "pro",
            "workspace_backend_origin": "https://chatgpt.com",
            "account_routing_override": "NO_CONSTRAINT"}, {"id": "acc-2",
            "account_routing_override": "us"}, {"name": "no id"}]}"#;
        let check = AccountsCheck::parse(body).unwrap();
        assert_eq!(check.accounts.len(), 2);
        let first = check.account("acc-1").unwrap();
        assert_eq!(first.plan_type.as_deref(), Some("pro"));
        assert_eq!(first.region(), None);
        assert_eq!(check.account("acc-2").unwrap().region(), Some("us"));
        assert!(AccountsCheck::parse(b"{}").is_err());
        assert!(AccountsCheck::parse(b"<html>").is_err());
    }
}
