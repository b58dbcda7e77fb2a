//! JWT claim decoding (no signature verification): account id, user id, plan, email, expiry.

use std::time::{Duration, SystemTime};

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde::Deserialize;

use crate::error::TokenError;

/// The claims the pool uses, read from an access (or id) token payload.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Claims {
    /// `https://api.openai.com/auth`.`chatgpt_account_id` (the `ChatGPT-Account-Id` header).
    pub chatgpt_account_id: Option<String>,
    /// `chatgpt_user_id` (auth object preferred, then profile), else `user_id`.
    pub user_id: Option<String>,
    /// `chatgpt_plan_type` (auth object preferred, then profile).
    pub plan_type: Option<String>,
    /// `https://api.openai.com/profile`.`email`, else the top-level `email`.
    pub email: Option<String>,
    /// `exp` in Unix seconds.
    pub exp: Option<u64>,
}

impl Claims {
    /// Decodes the payload (second segment) of a JWT. The signature is not checked.
    pub fn decode(token: &str) -> Result<Claims, TokenError> {
        let token = token.trim();
        if token.is_empty() {
            return Err(TokenError::Empty);
        }
        let mut parts = token.split('.');
        let (Some(_header), Some(payload)) = (parts.next(), parts.next()) else {
            return Err(TokenError::Malformed);
        };
        // Tolerate padded base64url too.
        let bytes = URL_SAFE_NO_PAD
            .decode(payload.trim_end_matches('='))
            .map_err(|_| TokenError::Malformed)?;
        // Must be a JSON object (serde would also accept an array for a struct).
        let object: serde_json::Map<String, serde_json::Value> =
            serde_json::from_slice(&bytes).map_err(|_| TokenError::Malformed)?;
        let raw: RawPayload = serde_json::from_value(serde_json::Value::Object(object))
            .map_err(|_| TokenError::Malformed)?;
        Ok(raw.into_claims())
    }

    /// When the token expires, if it says.
    pub fn expires_at(&self) -> Option<SystemTime> {
        self.exp
            .map(|secs| SystemTime::UNIX_EPOCH + Duration::from_secs(secs))
    }

    /// `now >= exp - margin`; a token without `exp` counts as expired (reference rule).
    pub fn is_expired(&self, now: SystemTime, margin: Duration) -> bool {
        match self.expires_at() {
            Some(exp) => now + margin >= exp,
            None => true,
        }
    }
}

/// The payload as it appears on the wire; every field optional and type-tolerant.
#[derive(Deserialize)]
struct RawPayload {
    #[serde(default)]
    exp: Option<serde_json::Value>,
    #[serde(default)]
    email: Option<serde_json::Value>,
    #[serde(default, rename = "https://api.openai.com/auth")]
    auth: Option<serde_json::Value>,
    #[serde(default, rename = "https://api.openai.com/profile")]
    profile: Option<serde_json::Value>,
}

impl RawPayload {
    fn into_claims(self) -> Claims {
        let empty = serde_json::Map::new();
        let auth = self
            .auth
            .as_ref()
            .and_then(|v| v.as_object())
            .unwrap_or(&empty);
        let profile = self
            .profile
            .as_ref()
            .and_then(|v| v.as_object())
            .unwrap_or(&empty);
        let pick = |key: &str| string(auth.get(key)).or_else(|| string(profile.get(key)));
        Claims {
            chatgpt_account_id: string(auth.get("chatgpt_account_id")),
            user_id: pick("chatgpt_user_id").or_else(|| pick("user_id")),
            plan_type: pick("chatgpt_plan_type"),
            email: string(profile.get("email")).or_else(|| string(self.email.as_ref())),
            // Non-numeric exp → unknown (counts as expired).
            exp: self.exp.as_ref().and_then(|v| {
                v.as_u64().or_else(|| {
                    v.as_f64()
                        .filter(|f| *f >= 0.0 && f.is_finite())
                        .map(|f| f as u64)
                })
            }),
        }
    }
}

fn string(value: Option<&serde_json::Value>) -> Option<String> {
    value
        .and_then(|v| v.as_str())
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(str::to_owned)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn jwt(payload: &str) -> String {
        format!(
            "eyJhbGciOiJub25lIn0.{}.sig",
            URL_SAFE_NO_PAD.encode(payload)
        )
    }

    #[test]
    fn reads_auth_and_profile_claims() {
        let c = Claims::decode(&jwt(
            r#"{"exp":100,"https://api.openai.com/auth":{"chatgpt_account_id":"a","chatgpt_plan_type":"plus","chatgpt_user_id":"u"},"https://api.openai.com/profile":{"email":"e@x","chatgpt_plan_type":"free"}}"#,
        ))
        .unwrap();
        assert_eq!(c.chatgpt_account_id.as_deref(), Some("a"));
        assert_eq!(c.plan_type.as_deref(), Some("plus"));
        assert_eq!(c.user_id.as_deref(), Some("u"));
        assert_eq!(c.email.as_deref(), Some("e@x"));
        assert_eq!(c.exp, Some(100));
    }

    #[test]
    fn profile_is_the_fallback_for_plan_and_user() {
        let c = Claims::decode(&jwt(
            r#"{"https://api.openai.com/profile":{"chatgpt_plan_type":"free","chatgpt_user_id":"u2"}}"#,
        ))
        .unwrap();
        assert_eq!(c.plan_type.as_deref(), Some("free"));
        assert_eq!(c.user_id.as_deref(), Some("u2"));
        assert!(c.is_expired(SystemTime::UNIX_EPOCH, Duration::ZERO));
    }

    #[test]
    fn bad_tokens_are_errors_not_panics() {
        for bad in [
            "",
            "abc",
            "a.!!!.c",
            "a.bm90IGpzb24.c",
            &jwt("[1,2]"),
            &jwt("\"s\""),
        ] {
            assert!(Claims::decode(bad).is_err(), "{bad}");
        }
        assert_eq!(Claims::decode("  "), Err(TokenError::Empty));
    }

    #[test]
    fn non_numeric_exp_is_expired() {
        let c = Claims::decode(&jwt(r#"{"exp":"soon"}"#)).unwrap();
        assert_eq!(c.exp, None);
        assert!(c.is_expired(SystemTime::UNIX_EPOCH, Duration::ZERO));
    }
}
