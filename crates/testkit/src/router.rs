//! Request dispatch: reads the body, routes by path, records the request.

use std::convert::Infallible;
use std::sync::Arc;

use http::{Method, Request, StatusCode, header};
use http_body_util::{BodyExt as _, Limited};
use hyper::body::Incoming;

use crate::body::{self, Resp};
use crate::endpoints;
use crate::oauth;
use crate::record::RecordedRequest;
use crate::responses;
use crate::state::{Route, State};

/// Largest request body accepted (the real client sends ~70 KB; images can be large).
const MAX_BODY: usize = 64 << 20;

/// The hyper service function.
pub(crate) async fn handle(state: Arc<State>, req: Request<Incoming>) -> Result<Resp, Infallible> {
    let (mut parts, incoming) = req.into_parts();
    let body = match Limited::new(incoming, MAX_BODY).collect().await {
        Ok(c) => c.to_bytes(),
        Err(_) => {
            state.count_route(Route::Other);
            return Ok(body::detail(
                StatusCode::PAYLOAD_TOO_LARGE,
                "request body unreadable or too large",
            ));
        }
    };
    let path = parts.uri.path();
    let route = route_of(path);
    // A refused upgrade is transport negotiation, not a model call: counted as `other`.
    let refused_upgrade = route == Route::Responses
        && parts.method == Method::GET
        && is_upgrade(&parts.headers)
        && !state.websocket();
    state.count_route(if refused_upgrade { Route::Other } else { route });
    let mut json = None;
    let resp = match (route, &parts.method) {
        (Route::Responses, &Method::POST) => {
            responses::handle(&state, &parts, &body, &mut json).await
        }
        (Route::Responses, &Method::GET) if is_upgrade(&parts.headers) && state.websocket() => {
            crate::ws::upgrade(&state, &mut parts)
        }
        (Route::Responses, &Method::GET) if is_upgrade(&parts.headers) => body::detail(
            StatusCode::UPGRADE_REQUIRED,
            "WebSocket transport is not supported by the mock; use HTTPS POST",
        ),
        (Route::Compact, &Method::POST) => endpoints::compact(&state, &parts, &body, &mut json),
        (Route::Models, &Method::GET) => endpoints::models(&state, &parts),
        (Route::Usage, &Method::GET) => endpoints::usage(&state, &parts),
        (Route::AccountsCheck, &Method::GET) => endpoints::accounts_check(&state, &parts),
        (Route::OauthAuthorize, &Method::GET) => oauth::authorize(&state, &parts.uri),
        (Route::OauthToken, &Method::POST) => {
            oauth::token(&state, &parts.headers, &body, &mut json)
        }
        (Route::Mock, _) => match (path, &parts.method) {
            ("/__mock/faults", &Method::POST | &Method::DELETE) => {
                endpoints::faults(&state, &parts, &body)
            }
            ("/__mock/stats", &Method::GET) => endpoints::stats(&state),
            ("/__mock/requests", &Method::GET) => endpoints::requests(&state),
            ("/__mock/appcast", &Method::GET) => crate::extras::appcast(&state),
            _ => body::detail(StatusCode::NOT_FOUND, "Not Found"),
        },
        (Route::Other, _) => body::detail(StatusCode::NOT_FOUND, "Not Found"),
        _ => body::detail(StatusCode::METHOD_NOT_ALLOWED, "Method Not Allowed"),
    };
    let mut resp = resp;
    crate::extras::set_cookie(&state, parts.uri.path(), &mut resp);
    if route != Route::Mock && state.recording() {
        let json = json.or_else(|| serde_json::from_slice(&body).ok());
        state.record(RecordedRequest::new(
            &parts.method,
            &parts.uri,
            &parts.headers,
            json,
        ));
    }
    Ok(resp)
}

fn route_of(path: &str) -> Route {
    match path {
        "/backend-api/codex/responses" => Route::Responses,
        "/backend-api/codex/responses/compact" => Route::Compact,
        "/backend-api/codex/models" => Route::Models,
        "/backend-api/wham/usage" | "/backend-api/codex/usage" | "/api/codex/usage" => Route::Usage,
        "/backend-api/wham/accounts/check" => Route::AccountsCheck,
        "/oauth/authorize" => Route::OauthAuthorize,
        "/oauth/token" => Route::OauthToken,
        p if p.starts_with("/__mock/") => Route::Mock,
        _ => Route::Other,
    }
}

fn is_upgrade(headers: &http::HeaderMap) -> bool {
    headers
        .get(header::UPGRADE)
        .is_some_and(|v| v.as_bytes().eq_ignore_ascii_case(b"websocket"))
}
