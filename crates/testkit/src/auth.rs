//! Bearer JWT and `chatgpt-account-id` checks.

use http::{HeaderMap, StatusCode};

use crate::body::{self, Resp};
use crate::jwt::{self, TokenInfo};
use crate::state::unix_now;

/// The header carrying the ChatGPT account id.
pub const ACCOUNT_HEADER: &str = "chatgpt-account-id";

fn unauthorized(message: &str, code: Option<&str>) -> Box<Resp> {
    Box::new(body::error(
        StatusCode::UNAUTHORIZED,
        message,
        "invalid_request_error",
        None,
        code,
    ))
}

/// Checks the bearer token (JWT with an account claim, not expired) and the account header.
/// With `require_account_header` a missing `chatgpt-account-id` is a 400; when present it must
/// equal the token's claim.
pub(crate) fn authenticate(
    headers: &HeaderMap,
    require_account_header: bool,
) -> Result<TokenInfo, Box<Resp>> {
    let token = headers
        .get(http::header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| {
            v.strip_prefix("Bearer ")
                .or_else(|| v.strip_prefix("bearer "))
        })
        .map(str::trim)
        .filter(|t| !t.is_empty())
        .ok_or_else(|| unauthorized("Missing bearer or basic authentication in header", None))?;
    let info = jwt::decode(token).map_err(|_| {
        unauthorized(
            "Could not parse your authentication token. Please try signing in again.",
            Some("token_invalid"),
        )
    })?;
    if info.exp.is_some_and(|exp| exp <= unix_now()) {
        return Err(unauthorized(
            "Provided authentication token is expired. Please try signing in again.",
            Some("token_expired"),
        ));
    }
    match headers.get(ACCOUNT_HEADER).map(|v| v.to_str()) {
        None if require_account_header => Err(Box::new(body::detail(
            StatusCode::BAD_REQUEST,
            "Missing chatgpt-account-id header",
        ))),
        None => Ok(info),
        Some(Ok(id)) if id == info.account_id => Ok(info),
        Some(_) => Err(unauthorized(
            "The chatgpt-account-id header does not match the authentication token.",
            Some("account_mismatch"),
        )),
    }
}
