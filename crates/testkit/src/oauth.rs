//! The fake OAuth server: `/oauth/authorize` (redirect with code) and `/oauth/token`
//! (PKCE S256 code exchange, rotating single-use refresh tokens, API-key token exchange).

use std::collections::HashMap;
use std::hash::{DefaultHasher, Hash, Hasher};

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use bytes::Bytes;
use http::{HeaderMap, HeaderValue, StatusCode, Uri, header};
use serde_json::{Value, json};
use sha2::{Digest, Sha256};

use crate::body::{self, Resp};
use crate::jwt::{self, CLIENT_ID, JwtClaims};
use crate::state::{State, unix_now};

const SCOPE: &str = "openid profile email offline_access";

struct CodeGrant {
    challenge: String,
    redirect_uri: String,
    claims: JwtClaims,
}

struct RefreshGrant {
    claims: JwtClaims,
    used: bool,
}

/// Outstanding authorization codes and refresh tokens.
#[derive(Default)]
pub(crate) struct OAuthState {
    codes: HashMap<String, CodeGrant>,
    refresh: HashMap<String, RefreshGrant>,
}

fn oauth_error(status: StatusCode, error: &str, description: &str) -> Resp {
    body::json(
        status,
        &json!({ "error": error, "error_description": description }),
    )
}

fn refresh_error(code: &str, message: &str) -> Resp {
    let value = json!({ "error": {
        "message": message, "type": "invalid_grant", "param": null, "code": code,
    }});
    body::json(StatusCode::UNAUTHORIZED, &value)
}

/// `GET /oauth/authorize`: checks the PKCE parameters and redirects to `redirect_uri` with
/// `code` and `state`. Mock-only query parameters `mock_account_id`, `mock_plan`, `mock_email`,
/// `mock_user_id` choose the identity of the issued tokens.
pub(crate) fn authorize(state: &State, uri: &Uri) -> Resp {
    let q = parse_form(uri.query().unwrap_or("").as_bytes());
    let get = |k: &str| q.get(k).map(String::as_str).filter(|v| !v.is_empty());
    if get("response_type") != Some("code") {
        return oauth_error(
            StatusCode::BAD_REQUEST,
            "unsupported_response_type",
            "response_type must be code",
        );
    }
    if get("client_id") != Some(CLIENT_ID) {
        return oauth_error(
            StatusCode::BAD_REQUEST,
            "invalid_client",
            "unknown client_id",
        );
    }
    if get("code_challenge_method") != Some("S256") {
        return oauth_error(
            StatusCode::BAD_REQUEST,
            "invalid_request",
            "code_challenge_method must be S256",
        );
    }
    let (Some(redirect), Some(challenge), Some(st)) =
        (get("redirect_uri"), get("code_challenge"), get("state"))
    else {
        return oauth_error(
            StatusCode::BAD_REQUEST,
            "invalid_request",
            "redirect_uri, code_challenge and state are required",
        );
    };
    let n = state.next_id();
    let account = get("mock_account_id").map_or_else(
        || format!("00000000-0000-4000-8000-{n:012x}"),
        str::to_owned,
    );
    let claims = JwtClaims {
        email: get("mock_email").map_or_else(|| format!("user{n}@example.invalid"), str::to_owned),
        plan_type: get("mock_plan").unwrap_or("pro").to_owned(),
        user_id: get("mock_user_id").map_or_else(|| format!("user-mock{n:08}"), str::to_owned),
        chatgpt_account_id: account,
        exp: 0,
    };
    let code = format!("mock_code_{n:016x}");
    let sep = if redirect.contains('?') { '&' } else { '?' };
    let location = format!(
        "{redirect}{sep}code={code}&scope={}&state={}",
        encode(SCOPE),
        encode(st)
    );
    let grant = CodeGrant {
        challenge: challenge.to_owned(),
        redirect_uri: redirect.to_owned(),
        claims,
    };
    state.lock_oauth().codes.insert(code, grant);
    let mut resp = body::empty(StatusCode::FOUND);
    if let Ok(v) = HeaderValue::from_str(&location) {
        resp.headers_mut().insert(header::LOCATION, v);
    }
    resp
}

/// `POST /oauth/token`, form-encoded (code exchange, token exchange) or JSON (refresh), as the
/// official client sends them. Stores the parsed fields in `json` for the request record.
pub(crate) fn token(
    state: &State,
    headers: &HeaderMap,
    body: &Bytes,
    json: &mut Option<Value>,
) -> Resp {
    let ctype = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    let fields: HashMap<String, String> = if ctype.starts_with("application/x-www-form-urlencoded")
    {
        parse_form(body)
    } else if ctype.starts_with("application/json") {
        match serde_json::from_slice::<HashMap<String, Value>>(body) {
            Ok(map) => map
                .into_iter()
                .filter_map(|(k, v)| v.as_str().map(|s| (k, s.to_owned())))
                .collect(),
            Err(_) => {
                return oauth_error(
                    StatusCode::BAD_REQUEST,
                    "invalid_request",
                    "body is not a JSON object",
                );
            }
        }
    } else {
        return oauth_error(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "invalid_request",
            "unsupported content-type",
        );
    };
    *json = Some(Value::Object(
        fields
            .iter()
            .map(|(k, v)| (k.clone(), Value::from(v.as_str())))
            .collect(),
    ));
    let get = |k: &str| fields.get(k).map(String::as_str).unwrap_or("");
    if get("client_id") != CLIENT_ID {
        return oauth_error(
            StatusCode::UNAUTHORIZED,
            "invalid_client",
            "unknown client_id",
        );
    }
    match get("grant_type") {
        "authorization_code" => {
            let mut oauth = state.lock_oauth();
            let Some(grant) = oauth.codes.remove(get("code")) else {
                return oauth_error(
                    StatusCode::BAD_REQUEST,
                    "invalid_grant",
                    "invalid or already used authorization code",
                );
            };
            if grant.redirect_uri != get("redirect_uri") {
                return oauth_error(
                    StatusCode::BAD_REQUEST,
                    "invalid_grant",
                    "redirect_uri mismatch",
                );
            }
            let computed = URL_SAFE_NO_PAD.encode(Sha256::digest(get("code_verifier").as_bytes()));
            if computed != grant.challenge {
                return oauth_error(
                    StatusCode::BAD_REQUEST,
                    "invalid_grant",
                    "code_verifier does not match code_challenge",
                );
            }
            drop(oauth);
            issue(state, grant.claims)
        }
        "refresh_token" => {
            let rt = get("refresh_token");
            let mut oauth = state.lock_oauth();
            let claims = match oauth.refresh.get_mut(rt) {
                Some(g) if g.used => {
                    return refresh_error(
                        "refresh_token_reused",
                        "Your refresh token has already been used to generate a new access token. Please try signing in again.",
                    );
                }
                Some(g) => {
                    g.used = true;
                    g.claims.clone()
                }
                None if state.cfg.accept_unknown_refresh_tokens
                    && !rt.is_empty()
                    && !rt.starts_with("rt_invalid") =>
                {
                    let claims = claims_for_unknown(rt);
                    oauth.refresh.insert(
                        rt.to_owned(),
                        RefreshGrant {
                            claims: claims.clone(),
                            used: true,
                        },
                    );
                    claims
                }
                None => {
                    return refresh_error(
                        "refresh_token_invalidated",
                        "Could not validate your refresh token. Please try signing in again.",
                    );
                }
            };
            drop(oauth);
            issue(state, claims)
        }
        "urn:ietf:params:oauth:grant-type:token-exchange" => {
            match jwt::decode(get("subject_token")) {
                Ok(info) if get("requested_token") == "openai-api-key" => body::json(
                    StatusCode::OK,
                    &json!({
                        "access_token": format!("sk-mock-{}", info.account_id),
                        "issued_token_type": "urn:ietf:params:oauth:token-type:access_token",
                        "token_type": "Bearer",
                    }),
                ),
                _ => oauth_error(
                    StatusCode::BAD_REQUEST,
                    "invalid_request",
                    "invalid subject_token or requested_token",
                ),
            }
        }
        _ => oauth_error(
            StatusCode::BAD_REQUEST,
            "unsupported_grant_type",
            "unsupported grant_type",
        ),
    }
}

/// Registers a fresh refresh token for `claims` (used by [`crate::MockServer::issue_refresh_token`]).
pub(crate) fn register_refresh(state: &State, claims: &JwtClaims) -> String {
    let rt = format!("rt_mock_{:016x}", state.next_id());
    let grant = RefreshGrant {
        claims: claims.clone(),
        used: false,
    };
    state.lock_oauth().refresh.insert(rt.clone(), grant);
    rt
}

fn issue(state: &State, mut claims: JwtClaims) -> Resp {
    let ttl = state.cfg.token_ttl.as_secs();
    claims.exp = unix_now() + ttl;
    let refresh = register_refresh(state, &claims);
    body::json(
        StatusCode::OK,
        &json!({
            "access_token": jwt::mint_jwt(&claims),
            "refresh_token": refresh,
            "id_token": jwt::mint_id_token(&claims),
            "token_type": "Bearer",
            "expires_in": ttl,
            "scope": SCOPE,
        }),
    )
}

/// A deterministic identity for a refresh token the mock never issued.
fn claims_for_unknown(rt: &str) -> JwtClaims {
    let mut h = DefaultHasher::new();
    rt.hash(&mut h);
    let x = h.finish();
    JwtClaims {
        chatgpt_account_id: format!("00000000-0000-4000-9000-{:012x}", x & 0xffff_ffff_ffff),
        plan_type: "pro".to_owned(),
        email: format!("refresh{:08x}@example.invalid", x >> 32),
        exp: 0,
        user_id: format!("user-refresh{:08x}", x >> 32),
    }
}

/// Parses `application/x-www-form-urlencoded` (also query strings); later keys win.
pub(crate) fn parse_form(input: &[u8]) -> HashMap<String, String> {
    input
        .split(|&b| b == b'&')
        .filter(|p| !p.is_empty())
        .map(|pair| {
            let mut it = pair.splitn(2, |&b| b == b'=');
            let k = decode(it.next().unwrap_or_default());
            let v = decode(it.next().unwrap_or_default());
            (k, v)
        })
        .collect()
}

fn decode(s: &[u8]) -> String {
    let mut out = Vec::with_capacity(s.len());
    let mut i = 0;
    while i < s.len() {
        match s[i] {
            b'+' => out.push(b' '),
            b'%' if i + 2 < s.len() => {
                let hex = std::str::from_utf8(&s[i + 1..i + 3]).ok();
                match hex.and_then(|h| u8::from_str_radix(h, 16).ok()) {
                    Some(b) => {
                        out.push(b);
                        i += 2;
                    }
                    None => out.push(b'%'),
                }
            }
            b => out.push(b),
        }
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// Percent-encodes everything outside RFC 3986 unreserved characters.
pub(crate) fn encode(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~') {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn form_round_trip() {
        let f =
            parse_form(b"a=1&redirect_uri=http%3A%2F%2F127.0.0.1%3A1455%2Fcb&s=x+y&bad=%zz&t=%4");
        assert_eq!(f["redirect_uri"], "http://127.0.0.1:1455/cb");
        assert_eq!(f["s"], "x y");
        assert_eq!(f["bad"], "%zz");
        assert_eq!(f["t"], "%4");
        assert_eq!(decode(encode("a b/c?").as_bytes()), "a b/c?");
    }
}
