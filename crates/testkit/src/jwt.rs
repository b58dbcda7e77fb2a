//! Unsigned-style JWTs shaped like the ChatGPT OAuth tokens: minting for tests, decoding for the auth check.

use base64::Engine as _;
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use serde_json::{Value, json};
use sha2::{Digest, Sha256};

use crate::error::MockError;

/// The claim namespace holding the ChatGPT account id, plan and user id.
pub const AUTH_CLAIM: &str = "https://api.openai.com/auth";
/// The claim namespace holding the e-mail address.
pub const PROFILE_CLAIM: &str = "https://api.openai.com/profile";
/// The OAuth client id of the official Codex CLI (also what the fake OAuth server expects).
pub const CLIENT_ID: &str = "app_EMoamEEZ73f0CkXaXp7hrann";

/// The identity a minted token carries.
#[derive(Clone, PartialEq, Eq)]
pub struct JwtClaims {
    /// `https://api.openai.com/auth`.`chatgpt_account_id` (must equal the `chatgpt-account-id` header).
    pub chatgpt_account_id: String,
    /// `chatgpt_plan_type`: `free`, `plus`, `pro`, `team`, ...
    pub plan_type: String,
    /// `https://api.openai.com/profile`.`email`.
    pub email: String,
    /// Expiry, Unix seconds.
    pub exp: u64,
    /// `chatgpt_user_id` / `user_id`.
    pub user_id: String,
}

impl std::fmt::Debug for JwtClaims {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("JwtClaims")
            .field("chatgpt_account_id", &self.chatgpt_account_id)
            .field("plan_type", &self.plan_type)
            .field("exp", &self.exp)
            .finish_non_exhaustive()
    }
}

/// Seconds between `iat` and `exp` of a minted token (10 days, like the real access tokens).
const LIFETIME_SECS: u64 = 864_000;

/// Mints an access-token JWT (`HS256` header, dummy signature) with the claim layout of the captures.
pub fn mint_jwt(claims: &JwtClaims) -> String {
    let iat = claims.exp.saturating_sub(LIFETIME_SECS);
    let payload = json!({
        "iss": "https://auth.openai.com",
        "aud": ["https://api.openai.com/v1"],
        "client_id": CLIENT_ID,
        "sub": format!("auth0|{}", claims.user_id),
        "iat": iat,
        "nbf": iat,
        "exp": claims.exp,
        "jti": format!("mock-access-{}-{}", claims.chatgpt_account_id, claims.exp),
        "scp": ["openid", "profile", "email", "offline_access"],
        AUTH_CLAIM: auth_claim(claims),
        PROFILE_CLAIM: { "email": claims.email, "email_verified": true },
    });
    encode(&payload)
}

/// Mints an id-token JWT (audience = the client id, e-mail at top level too).
pub(crate) fn mint_id_token(claims: &JwtClaims) -> String {
    let iat = claims.exp.saturating_sub(LIFETIME_SECS);
    let payload = json!({
        "iss": "https://auth.openai.com",
        "aud": [CLIENT_ID],
        "sub": format!("auth0|{}", claims.user_id),
        "email": claims.email,
        "email_verified": true,
        "iat": iat,
        "exp": claims.exp,
        "auth_time": iat,
        AUTH_CLAIM: auth_claim(claims),
        PROFILE_CLAIM: { "email": claims.email, "email_verified": true },
    });
    encode(&payload)
}

fn auth_claim(claims: &JwtClaims) -> Value {
    json!({
        "chatgpt_account_id": claims.chatgpt_account_id,
        "chatgpt_plan_type": claims.plan_type,
        "chatgpt_user_id": claims.user_id,
        "user_id": claims.user_id,
    })
}

fn encode(payload: &Value) -> String {
    let header = URL_SAFE_NO_PAD.encode(br#"{"alg":"HS256","typ":"JWT","kid":"MOCK-KID"}"#);
    let body = URL_SAFE_NO_PAD.encode(payload.to_string());
    let signing_input = format!("{header}.{body}");
    let sig = URL_SAFE_NO_PAD.encode(Sha256::digest(signing_input.as_bytes()));
    format!("{signing_input}.{sig}")
}

/// What the backend needs to know about a bearer token.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct TokenInfo {
    pub account_id: String,
    pub plan_type: String,
    pub user_id: String,
    pub email: String,
    pub exp: Option<u64>,
}

/// Decodes a JWT payload without verifying the signature (any `alg` accepted).
pub(crate) fn decode(token: &str) -> Result<TokenInfo, MockError> {
    let mut parts = token.split('.');
    let (Some(_header), Some(payload), Some(_sig), None) =
        (parts.next(), parts.next(), parts.next(), parts.next())
    else {
        return Err(MockError::InvalidJwt(
            "token is not three dot-separated segments",
        ));
    };
    let trimmed = payload.trim_end_matches('=');
    let raw = URL_SAFE_NO_PAD
        .decode(trimmed)
        .or_else(|_| STANDARD.decode(payload))
        .map_err(|_| MockError::InvalidJwt("payload is not base64url"))?;
    let value: Value =
        serde_json::from_slice(&raw).map_err(|_| MockError::InvalidJwt("payload is not json"))?;
    let auth = value.get(AUTH_CLAIM);
    let account_id = auth
        .and_then(|a| a.get("chatgpt_account_id"))
        .and_then(Value::as_str)
        .filter(|s| !s.is_empty())
        .ok_or(MockError::InvalidJwt(
            "token has no chatgpt_account_id claim",
        ))?;
    let str_claim = |key: &str| auth.and_then(|a| a.get(key)).and_then(Value::as_str);
    let plan_type = str_claim("chatgpt_plan_type").unwrap_or("plus");
    let user_id = str_claim("chatgpt_user_id")
        .or_else(|| str_claim("user_id"))
        .unwrap_or("");
    let email = value
        .get(PROFILE_CLAIM)
        .and_then(|p| p.get("email"))
        .or_else(|| value.get("email"))
        .and_then(Value::as_str)
        .unwrap_or("");
    Ok(TokenInfo {
        account_id: account_id.to_owned(),
        plan_type: plan_type.to_owned(),
        user_id: user_id.to_owned(),
        email: email.to_owned(),
        exp: value.get("exp").and_then(Value::as_u64),
    })
}

/// A stable, non-reversible rendering of a secret for logs and records: prefix + sha256 prefix.
pub fn redact_secret(secret: &str) -> String {
    let digest = Sha256::digest(secret.as_bytes());
    let mut hex = String::with_capacity(16);
    for b in &digest[..8] {
        hex.push_str(&format!("{b:02x}"));
    }
    let prefix: String = secret.chars().take(6).collect();
    format!("{prefix}…sha256:{hex}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn minted_token_decodes() {
        let claims = JwtClaims {
            chatgpt_account_id: "acct-1".into(),
            plan_type: "pro".into(),
            email: "a@example.invalid".into(),
            exp: 2_000_000_000,
            user_id: "user-1".into(),
        };
        let info = decode(&mint_jwt(&claims)).unwrap();
        assert_eq!(info.account_id, "acct-1");
        assert_eq!(info.plan_type, "pro");
        assert_eq!(info.email, "a@example.invalid");
        assert_eq!(info.exp, Some(2_000_000_000));
        let id = decode(&mint_id_token(&claims)).unwrap();
        assert_eq!(id.user_id, "user-1");
    }

    #[test]
    fn capture_token_decodes() {
        let token = "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCIsImtpZCI6IkZBS0UtS0lEIn0.eyJodHRwczovL2FwaS5vcGVuYWkuY29tL2F1dGgiOnsiY2hhdGdwdF9hY2NvdW50X2lkIjoiMDAwMDAwMDAtMDAwMC00MDAwLTgwMDAtMDAwMDAwMDBmYTZlIiwiY2hhdGdwdF9wbGFuX3R5cGUiOiJwcm8ifSwiZXhwIjoyMTEwODY1NTEyfQ.sig";
        let info = decode(token).unwrap();
        assert_eq!(info.account_id, "00000000-0000-4000-8000-00000000fa6e");
        assert!(decode("abc").is_err());
        assert!(decode("a.b.c").is_err());
    }
}
