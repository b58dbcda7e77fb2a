//! Gemini routes (translation spec §5): `POST /v1beta/models/{model}:generateContent` and
//! `:streamGenerateContent` (also under `/v1/models/…`, which google-genai 3.x uses),
//! `GET /v1beta/models` and `GET /v1beta/models/{model}`. Auth by `?key=`, `x-goog-api-key`,
//! `x-api-key` or Bearer. Errors render in the Gemini shape (the router picks the dialect from
//! the path, see [`is_gemini_path`]).

use std::sync::Arc;

use codex_proxy_schema::gemini::{Model, ModelList};
use codex_proxy_schema::responses::ResponsesEvent;
use codex_proxy_translate::gemini::{
    GeminiCollector, GeminiStream, StreamFormat, request_to_responses,
};
use codex_proxy_translate::{ErrorKind, ErrorReply, UpstreamFailure};
use http::{HeaderMap, Request, Response, StatusCode};
use hyper::body::Incoming;

use crate::body::Body;
use crate::dialect::{self, Collect, StreamTranslate};
use crate::error::GatewayError;
use crate::router::json_response;
use crate::state::AppState;

/// Path prefixes of model-scoped Gemini routes.
const PREFIXES: [&str; 2] = ["/v1beta/models/", "/v1/models/"];

/// Whether `path` is a Gemini route (its errors use the Gemini shape).
pub(crate) fn is_gemini_path(path: &str) -> bool {
    path.starts_with("/v1beta/")
        || (path.starts_with("/v1/models/") && (path.contains(':') || path.contains("%3A")))
}

/// Whether `path` names a model action (`…/models/{model}:{action}`).
pub(crate) fn is_action_path(path: &str) -> bool {
    PREFIXES.iter().any(|p| {
        path.strip_prefix(p)
            .is_some_and(|rest| rest.contains(':') || rest.contains("%3A"))
    })
}

/// `POST …/models/{model}:{action}`.
pub(crate) async fn generate(
    state: Arc<AppState>,
    req: Request<Incoming>,
    request_id: &str,
) -> Result<Response<Body>, GatewayError> {
    let path = req.uri().path().replace("%3A", ":").replace("%3a", ":");
    let segment = PREFIXES
        .iter()
        .find_map(|p| path.strip_prefix(p))
        .unwrap_or_default()
        .to_owned();
    let (model, action) = match segment.rfind(':') {
        Some(i) if i > 0 => (&segment[..i], &segment[i + 1..]),
        _ => ("", ""),
    };
    let alt_sse = query_param(req.uri().query(), "alt").is_some_and(|v| v == "sse");
    let streaming = match action {
        "generateContent" => alt_sse,
        "streamGenerateContent" => true,
        _ => {
            return Err(invalid(format!(
                "Invalid action. Expected :generateContent or :streamGenerateContent, got: {segment}"
            )));
        }
    };
    let caller = gemini_caller(&state, &req);
    let fut = generate_as_caller(state, req, request_id, model, streaming, alt_sse);
    match caller {
        Some(caller) => crate::auth::scope(caller, fut).await,
        None => fut.await,
    }
}

async fn generate_as_caller(
    state: Arc<AppState>,
    req: Request<Incoming>,
    request_id: &str,
    model: &str,
    streaming: bool,
    alt_sse: bool,
) -> Result<Response<Body>, GatewayError> {
    check_key(&state, &req)?;
    let conversation = conversation_id(req.headers());
    let seed_key = presented_key(&req).unwrap_or_default();
    let body =
        crate::body::read_limited(req.into_body(), state.live().server.max_body_bytes).await?;
    let opts = state.request_options();
    let mut translated = request_to_responses(model, &body, streaming, &opts)
        .map_err(|e| GatewayError::Translate(e.to_reply()))?;
    drop(body);
    let attempted = dialect::send_translated(
        &state,
        &mut translated.translated.request,
        conversation.as_deref(),
        &seed_key,
        request_id,
    )
    .await?;
    let format = if alt_sse {
        StreamFormat::Sse
    } else {
        StreamFormat::JsonArray
    };
    let ctx = translated.context(uuid::Uuid::new_v4().simple().to_string(), format);
    if streaming {
        let stream = GeminiOut {
            stream: GeminiStream::new(ctx),
            format,
        };
        Ok(dialect::stream(&state, attempted, stream))
    } else {
        dialect::collect(&state, attempted, GeminiCollector::new(ctx)).await
    }
}

/// `GET /v1beta/models`.
pub(crate) async fn list(
    state: &AppState,
    req: &Request<Incoming>,
) -> Result<Response<Body>, GatewayError> {
    as_gemini_caller(state, req, async { check_key(state, req) }).await?;
    crate::models::refresh_if_stale(state).await;
    let models = state.catalog.models().iter().map(model_entry).collect();
    Ok(json_response(StatusCode::OK, &ModelList { models }))
}

/// `GET /v1beta/models/{model}`.
pub(crate) async fn one(
    state: &AppState,
    req: &Request<Incoming>,
) -> Result<Response<Body>, GatewayError> {
    as_gemini_caller(state, req, async { check_key(state, req) }).await?;
    crate::models::refresh_if_stale(state).await;
    let id = req
        .uri()
        .path()
        .strip_prefix("/v1beta/models/")
        .unwrap_or_default();
    match state.catalog.get(id) {
        Some(m) => Ok(json_response(StatusCode::OK, &model_entry(&m))),
        None => Err(GatewayError::Translate(ErrorReply::new(
            404,
            ErrorKind::ModelNotFound,
            format!("models/{id} is not found"),
            Some("model_not_found"),
        ))),
    }
}

fn model_entry(m: &crate::catalog::ModelInfo) -> Model {
    Model {
        name: format!("models/{}", m.id),
        base_model_id: m.id.clone(),
        display_name: m.display_name.clone(),
        description: m.description.clone(),
        input_token_limit: m.context_window,
        supported_generation_methods: vec![
            "generateContent".to_owned(),
            "streamGenerateContent".to_owned(),
        ],
        thinking: !m.supported_reasoning_efforts.is_empty(),
    }
}

fn invalid(message: String) -> GatewayError {
    GatewayError::Translate(ErrorReply::new(
        400,
        ErrorKind::InvalidRequest,
        message,
        Some("invalid_argument"),
    ))
}

/// The caller when Gemini's own key locations are used: a request without Bearer /
/// `x-api-key` but with `?key=` or `x-goog-api-key` is authenticated with that key (master key
/// or pool client key). `None`: the router's caller stands.
fn gemini_caller(state: &AppState, req: &Request<Incoming>) -> Option<crate::auth::Caller> {
    if crate::auth::presented(req.headers()).is_some() {
        return None;
    }
    let key = query_param(req.uri().query(), "key")
        .map(str::as_bytes)
        .or_else(|| {
            req.headers()
                .get("x-goog-api-key")
                .map(|v| v.as_bytes().trim_ascii())
        })?;
    let mut headers = HeaderMap::new();
    headers.insert("x-api-key", http::HeaderValue::from_bytes(key).ok()?);
    Some(crate::auth::authenticate(state, &headers))
}

/// Runs `fut` as the Gemini caller when there is one (see [`gemini_caller`]).
async fn as_gemini_caller<F: Future>(
    state: &AppState,
    req: &Request<Incoming>,
    fut: F,
) -> F::Output {
    match gemini_caller(state, req) {
        Some(caller) => crate::auth::scope(caller, fut).await,
        None => fut.await,
    }
}

/// Passes when the scoped caller is authenticated (see [`gemini_caller`]).
fn check_key(state: &AppState, req: &Request<Incoming>) -> Result<(), GatewayError> {
    crate::auth::check(state.live().server.proxy_api_key.as_ref(), req.headers())
}

fn presented_key(req: &Request<Incoming>) -> Option<Vec<u8>> {
    req.headers()
        .get("x-goog-api-key")
        .map(|v| v.as_bytes().trim_ascii().to_vec())
        .or_else(|| crate::auth::presented(req.headers()).map(<[u8]>::to_vec))
        .or_else(|| query_param(req.uri().query(), "key").map(|k| k.as_bytes().to_vec()))
}

/// Gemini clients' conversation id headers (§2.9).
fn conversation_id(headers: &HeaderMap) -> Option<String> {
    ["x-conversation-id", "x-session-id"].iter().find_map(|h| {
        headers
            .get(*h)
            .and_then(|v| v.to_str().ok())
            .map(str::trim)
            .filter(|v| !v.is_empty())
            .map(str::to_owned)
    })
}

/// The raw value of `name` in a query string (keys and `alt` values need no decoding).
fn query_param<'q>(query: Option<&'q str>, name: &str) -> Option<&'q str> {
    query?.split('&').find_map(|pair| {
        let (k, v) = pair.split_once('=').unwrap_or((pair, ""));
        (k == name).then_some(v)
    })
}

/// The stream translator with the framing's content type and keep-alive.
struct GeminiOut {
    stream: GeminiStream,
    format: StreamFormat,
}

impl StreamTranslate for GeminiOut {
    fn push(&mut self, ev: &ResponsesEvent<'_>, out: &mut Vec<u8>) {
        self.stream.push(ev, out);
    }
    fn finish(&mut self, out: &mut Vec<u8>) {
        self.stream.finish(out);
    }
    fn fail(&mut self, failure: &UpstreamFailure, out: &mut Vec<u8>) {
        self.stream.fail(failure, out);
    }
    fn is_terminated(&self) -> bool {
        self.stream.is_terminated()
    }
    fn heartbeat(&self) -> &'static [u8] {
        match self.format {
            StreamFormat::Sse => b": ping\n\n",
            // Whitespace between array elements keeps the JSON valid.
            StreamFormat::JsonArray => b"\n",
        }
    }
    fn content_type(&self) -> &'static str {
        match self.format {
            StreamFormat::Sse => "text/event-stream",
            StreamFormat::JsonArray => "application/json",
        }
    }
}

impl Collect for GeminiCollector {
    fn push(&mut self, ev: &ResponsesEvent<'_>) {
        GeminiCollector::push(self, ev);
    }
    fn finish(self) -> Result<Vec<u8>, ErrorReply> {
        GeminiCollector::finish(self)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_and_query() {
        assert!(is_gemini_path("/v1beta/models"));
        assert!(is_gemini_path(
            "/v1/models/gemini-2.5-flash:generateContent"
        ));
        assert!(!is_gemini_path("/v1/models/gpt-5.4"));
        assert!(is_action_path("/v1beta/models/x:streamGenerateContent"));
        assert!(!is_action_path("/v1beta/models/x"));
        assert_eq!(query_param(Some("alt=sse&key=k"), "key"), Some("k"));
        assert_eq!(query_param(Some("alt=sse"), "key"), None);
        assert_eq!(
            codex_proxy_translate::gemini::gemini_status(429),
            "RESOURCE_EXHAUSTED"
        );
    }
}
