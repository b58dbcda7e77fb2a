//! Parsing of import payloads (official `auth.json`, the reference's export formats,
//! Sub2API files, bare tokens, text lines) and the export file shapes.

use serde::Serialize;
use serde_json::Value;

use crate::error::PoolError;

/// Credentials extracted from one import item.
#[derive(Default)]
pub(crate) struct Credentials {
    pub(crate) access: Option<String>,
    pub(crate) refresh: Option<String>,
    pub(crate) id_token: Option<String>,
    pub(crate) label: Option<String>,
    pub(crate) installation_id: Option<String>,
    /// `tokens.account_id` of an `auth.json`, used when the JWT lacks the claim.
    pub(crate) account_id_hint: Option<String>,
}

impl std::fmt::Debug for Credentials {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Credentials")
            .field("access", &self.access.as_ref().map(|_| "<redacted>"))
            .field("refresh", &self.refresh.as_ref().map(|_| "<redacted>"))
            .field("label", &self.label)
            .finish_non_exhaustive()
    }
}

/// One item of an import: credentials, or the reason it was skipped.
pub(crate) type Item = Result<Credentials, &'static str>;

/// What [`crate::Pool::import`] did.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct ImportReport {
    /// Accounts created.
    pub added: usize,
    /// Existing accounts whose tokens were updated.
    pub updated: usize,
    /// Items not imported: (index in the payload, reason).
    pub skipped: Vec<(usize, String)>,
}

/// Splits an import payload into items.
pub(crate) fn parse(bytes: &[u8]) -> Result<Vec<Item>, PoolError> {
    let text = std::str::from_utf8(bytes).map_err(|_| PoolError::InvalidImport("not utf-8"))?;
    let text = text.trim().trim_start_matches('\u{feff}');
    if text.is_empty() {
        return Err(PoolError::InvalidImport("no importable accounts found"));
    }
    let items = match serde_json::from_str::<Value>(text) {
        Ok(value) => from_value(value)?,
        // Not one JSON document: JSON lines or one token per line.
        Err(_) => text
            .lines()
            .map(str::trim)
            .filter(|l| !l.is_empty())
            .map(|line| match serde_json::from_str::<Value>(line) {
                Ok(v) => item(&v),
                Err(_) => item(&Value::String(line.to_owned())),
            })
            .collect(),
    };
    if items.is_empty() {
        return Err(PoolError::InvalidImport("no importable accounts found"));
    }
    Ok(items)
}

fn from_value(value: Value) -> Result<Vec<Item>, PoolError> {
    match value {
        Value::Array(list) => Ok(list.iter().map(item).collect()),
        Value::String(_) => Ok(vec![item(&value)]),
        Value::Object(ref obj) => {
            let accounts = obj.get("accounts").and_then(Value::as_array);
            let sub2api = obj.get("type").and_then(Value::as_str) == Some("sub2api-data")
                || obj.contains_key("proxies")
                || accounts.is_some_and(|a| a.iter().any(|x| x.get("credentials").is_some()));
            match accounts {
                Some(list) if sub2api => Ok(list.iter().map(sub2api_item).collect()),
                Some(list) => Ok(list.iter().map(item).collect()),
                None => Ok(vec![item(&value)]),
            }
        }
        _ => Err(PoolError::InvalidImport(
            "expected a json object, array or string",
        )),
    }
}

fn sub2api_item(value: &Value) -> Item {
    let field = |k: &str| value.get(k).and_then(Value::as_str);
    if field("platform") != Some("openai") || field("type") != Some("oauth") {
        return Err("not an openai oauth account");
    }
    item(value)
}

/// Reads one item: a bare token string or an object with token fields.
fn item(value: &Value) -> Item {
    match value {
        Value::String(s) => {
            let token = strip_bearer(s).ok_or("empty token")?;
            let mut c = Credentials::default();
            if token.starts_with("oaistb_rt_") || token.starts_with("rt_") {
                c.refresh = Some(token);
            } else {
                c.access = Some(token);
            }
            Ok(c)
        }
        Value::Object(_) => {
            let c = Credentials {
                access: first(
                    value,
                    &[
                        &["token"],
                        &["access_token"],
                        &["accessToken"],
                        &["tokens", "access_token"],
                        &["tokens", "accessToken"],
                        &["credentials", "access_token"],
                        &["credentials", "accessToken"],
                        &["credentials", "token"],
                    ],
                ),
                refresh: first(
                    value,
                    &[
                        &["refreshToken"],
                        &["refresh_token"],
                        &["tokens", "refreshToken"],
                        &["tokens", "refresh_token"],
                        &["credentials", "refreshToken"],
                        &["credentials", "refresh_token"],
                    ],
                ),
                id_token: first(
                    value,
                    &[
                        &["idToken"],
                        &["id_token"],
                        &["tokens", "id_token"],
                        &["tokens", "idToken"],
                    ],
                ),
                label: first(
                    value,
                    &[
                        &["label"],
                        &["name"],
                        &["account_name"],
                        &["accountName"],
                        &["account_note"],
                        &["accountNote"],
                        &["note"],
                    ],
                )
                .map(|l| truncate_label(&l)),
                installation_id: first(value, &[&["installationId"], &["installation_id"]]),
                account_id_hint: first(
                    value,
                    &[
                        &["tokens", "account_id"],
                        &["credentials", "chatgpt_account_id"],
                    ],
                ),
            };
            if c.access.is_none() && c.refresh.is_none() {
                return Err("no access token or refresh token");
            }
            Ok(c)
        }
        _ => Err("item is neither a token string nor an object"),
    }
}

fn first(value: &Value, paths: &[&[&str]]) -> Option<String> {
    paths.iter().find_map(|path| {
        let mut v = value;
        for key in *path {
            v = v.get(key)?;
        }
        v.as_str().and_then(strip_bearer)
    })
}

/// Trims and removes a leading `Bearer `; `None` if nothing is left.
pub(crate) fn strip_bearer(s: &str) -> Option<String> {
    let s = s.trim();
    let s = match s.get(..7) {
        Some(p) if p.eq_ignore_ascii_case("bearer ") => s[7..].trim(),
        _ => s,
    };
    (!s.is_empty()).then(|| s.to_owned())
}

/// Labels are at most 64 characters.
pub(crate) fn truncate_label(label: &str) -> String {
    label.trim().chars().take(64).collect()
}

/// An export file: `{"accounts": [...]}`, accepted back by [`crate::Pool::import`].
/// `Debug` redacts tokens.
#[derive(Clone, Serialize)]
pub struct ExportFile {
    /// The exported accounts.
    pub accounts: Vec<ExportEntry>,
}

impl std::fmt::Debug for ExportFile {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ExportFile")
            .field("accounts", &self.accounts.len())
            .finish_non_exhaustive()
    }
}

impl ExportFile {
    /// Pretty JSON bytes (2-space indent).
    pub fn to_json(&self) -> Vec<u8> {
        // Serializing plain strings, numbers and options into a Vec cannot fail.
        serde_json::to_vec_pretty(self).unwrap_or_default()
    }
}

/// One exported account, in the reference's camelCase shape. In the minimal format only
/// `refreshToken` and `label` are present.
#[derive(Clone, Default, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ExportEntry {
    /// Our account id.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    /// Access token.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub token: Option<String>,
    /// Refresh token.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub refresh_token: Option<String>,
    /// Id token.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub id_token: Option<String>,
    /// Label.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub label: Option<String>,
    /// Email.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub email: Option<String>,
    /// ChatGPT account id.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub account_id: Option<String>,
    /// ChatGPT user id.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub user_id: Option<String>,
    /// Plan type.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub plan_type: Option<String>,
    /// Status (`active`, `expired`, …).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub status: Option<String>,
    /// Installation id (kept on re-import into an empty pool).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub installation_id: Option<String>,
    /// When the account was added (RFC 3339).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub added_at: Option<String>,
}
