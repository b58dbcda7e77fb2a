//! The bridge's routes. `/api/chat` and `/api/generate` translate Ollama ⇄ Responses directly
//! (through the shared pipeline in [`crate::dialect`]); `/v1/*` is handed to the main router
//! in-process with only a few headers kept and the proxy key injected.

use std::sync::Arc;

use codex_proxy_schema::ollama::{ShowRequest, VersionResponse};
use codex_proxy_schema::responses::ResponsesEvent;
use codex_proxy_translate::ollama::models::{self, ModelFacts, rfc3339};
use codex_proxy_translate::ollama::{
    OllamaCollector, OllamaContext, OllamaMode, OllamaStream, chat_to_responses,
    generate_to_responses,
};
use codex_proxy_translate::{ErrorKind, ErrorReply, UpstreamFailure, resolve_model};
use http::{HeaderMap, HeaderValue, Method, Request, Response, StatusCode, header};
use hyper::body::Incoming;
use sha2::{Digest as _, Sha256};

use super::cors::{self, Origin};
use crate::body::{Body, full};
use crate::config::OllamaConfig;
use crate::dialect::{self, Collect, StreamTranslate};
use crate::error::{Dialect, GatewayError};
use crate::router::json_response;
use crate::state::AppState;

/// Headers a `/v1/*` request keeps when forwarded.
const FORWARDED: [&str; 6] = [
    "content-type",
    "accept",
    "user-agent",
    "x-request-id",
    "traceparent",
    "tracestate",
];

/// What every bridge request needs.
#[derive(Debug)]
pub(crate) struct BridgeState {
    app: Arc<AppState>,
    cfg: OllamaConfig,
    /// When the bridge started (RFC 3339), reported as the models' `modified_at`.
    started_at: String,
}

impl BridgeState {
    pub(crate) fn new(app: Arc<AppState>, cfg: OllamaConfig) -> Self {
        BridgeState {
            app,
            cfg,
            started_at: rfc3339(crate::chat::unix_now()),
        }
    }
}

/// Handles one bridge request; never fails (errors render as `{"error": "..."}`).
pub(crate) async fn handle(bridge: Arc<BridgeState>, req: Request<Incoming>) -> Response<Body> {
    let origin = cors::origin(req.headers());
    if req.method() == Method::OPTIONS {
        return cors::preflight(&origin);
    }
    if origin == Origin::Denied {
        // Refuse outright: a foreign page must not spend the accounts even without reading.
        let mut resp = error_json(StatusCode::FORBIDDEN, "Origin not allowed");
        resp.headers_mut()
            .insert(header::VARY, HeaderValue::from_static("Origin"));
        return resp;
    }
    let request_id = uuid::Uuid::new_v4().simple().to_string()[..16].to_owned();
    let path = req.uri().path().to_owned();
    let mut resp = match route(&bridge, req, &request_id).await {
        Ok(resp) => resp,
        Err(e) => {
            tracing::info!(%path, error = e.label(), request_id, "ollama bridge request failed");
            e.into_response(Dialect::Ollama)
        }
    };
    cors::decorate(&mut resp, &origin);
    resp
}

async fn route(
    bridge: &Arc<BridgeState>,
    req: Request<Incoming>,
    request_id: &str,
) -> Result<Response<Body>, GatewayError> {
    let path = req.uri().path().to_owned();
    match (req.method().clone(), path.as_str()) {
        (Method::GET | Method::HEAD, "/") => {
            let mut resp = Response::new(full(b"codex-proxy ollama bridge".to_vec()));
            resp.headers_mut().insert(
                header::CONTENT_TYPE,
                HeaderValue::from_static("text/plain; charset=utf-8"),
            );
            Ok(resp)
        }
        (Method::GET, "/api/version") => Ok(json_response(
            StatusCode::OK,
            &VersionResponse {
                version: bridge.cfg.version.clone(),
            },
        )),
        (Method::GET, "/api/tags") => tags(bridge).await,
        (Method::POST, "/api/show") => show(bridge, req).await,
        (Method::POST, "/api/chat") => generate(bridge, req, request_id, OllamaMode::Chat).await,
        (Method::POST, "/api/generate") => {
            generate(bridge, req, request_id, OllamaMode::Generate).await
        }
        (_, p) if p.starts_with("/v1/") => Ok(forward(bridge, req).await),
        _ => Ok(error_json(
            StatusCode::NOT_FOUND,
            &format!("Unsupported path: {path}"),
        )),
    }
}

fn error_json(status: StatusCode, message: &str) -> Response<Body> {
    json_response(status, &serde_json::json!({ "error": message }))
}

async fn tags(bridge: &BridgeState) -> Result<Response<Body>, GatewayError> {
    crate::models::refresh_if_stale(&bridge.app).await;
    let facts: Vec<ModelFacts> = bridge.app.catalog.models().iter().map(facts_of).collect();
    Ok(json_response(
        StatusCode::OK,
        &models::tags(&facts, &bridge.started_at),
    ))
}

async fn show(
    bridge: &BridgeState,
    req: Request<Incoming>,
) -> Result<Response<Body>, GatewayError> {
    let app = &bridge.app;
    let body = crate::body::read_limited(req.into_body(), app.live().server.max_body_bytes).await?;
    let parsed: ShowRequest =
        serde_json::from_slice(&body).map_err(|_| bad("Invalid JSON body"))?;
    let name = parsed
        .model
        .or(parsed.name)
        .map(|m| m.trim().to_owned())
        .filter(|m| !m.is_empty())
        .ok_or_else(|| bad("Missing model"))?;
    crate::models::refresh_if_stale(app).await;
    // Unknown names (`llama3.2`) are served by the default model, as in `/api/chat`.
    let base = name.strip_suffix(":latest").unwrap_or(&name);
    let info = app.catalog.get(base).or_else(|| {
        let id = resolve_model(base, &app.request_options().catalog).id;
        app.catalog.get(&id)
    });
    let facts = match &info {
        Some(m) => facts_of(m),
        None => ModelFacts {
            id: resolve_model(base, &app.request_options().catalog).id,
            digest: digest(base),
            ..ModelFacts::default()
        },
    };
    let reply = models::show(&name, &facts, &bridge.started_at, bridge.cfg.disable_vision);
    Ok(json_response(StatusCode::OK, &reply))
}

fn facts_of(m: &crate::catalog::ModelInfo) -> ModelFacts {
    ModelFacts {
        id: m.id.clone(),
        display_name: Some(m.display_name.clone()).filter(|d| !d.is_empty()),
        input_modalities: m.input_modalities.clone(),
        efforts: m
            .supported_reasoning_efforts
            .iter()
            .map(|e| e.reasoning_effort.clone())
            .collect(),
        default_effort: Some(m.default_reasoning_effort.clone()).filter(|d| !d.is_empty()),
        digest: digest(&m.id),
    }
}

fn digest(id: &str) -> String {
    Sha256::digest(id.as_bytes())
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

fn bad(message: &str) -> GatewayError {
    GatewayError::Translate(ErrorReply::new(
        400,
        ErrorKind::InvalidRequest,
        message,
        Some("invalid_request"),
    ))
}

async fn generate(
    bridge: &BridgeState,
    req: Request<Incoming>,
    request_id: &str,
    mode: OllamaMode,
) -> Result<Response<Body>, GatewayError> {
    let app = &bridge.app;
    let body = crate::body::read_limited(req.into_body(), app.live().server.max_body_bytes).await?;
    let opts = app.request_options();
    let translated = match mode {
        OllamaMode::Chat => chat_to_responses(&body, &opts),
        OllamaMode::Generate => generate_to_responses(&body, &opts),
    };
    let mut translated = translated.map_err(|e| GatewayError::Translate(e.to_reply()))?;
    drop(body);
    let attempted = dialect::send_translated(
        app,
        &mut translated.request,
        None,
        b"ollama-bridge",
        request_id,
    )
    .await?;
    let ctx = OllamaContext::for_request(&translated, rfc3339(crate::chat::unix_now()), mode);
    if translated.stream {
        Ok(dialect::stream(
            app,
            attempted,
            Ndjson(OllamaStream::new(ctx)),
        ))
    } else {
        dialect::collect(app, attempted, OllamaCollector::new(ctx)).await
    }
}

/// `/v1/*` → the main router, with the allowed headers and the proxy key.
async fn forward(bridge: &BridgeState, req: Request<Incoming>) -> Response<Body> {
    let (mut parts, body) = req.into_parts();
    let mut headers = HeaderMap::with_capacity(FORWARDED.len() + 2);
    for name in FORWARDED {
        for value in parts.headers.get_all(name) {
            headers.append(name, value.clone());
        }
    }
    if let Some(host) = parts.headers.get(header::HOST) {
        headers.insert(header::HOST, host.clone());
    }
    if let Some(key) = &bridge.app.live().server.proxy_api_key
        && let Ok(v) = HeaderValue::from_str(&format!("Bearer {}", key.expose()))
    {
        headers.insert(header::AUTHORIZATION, v);
    }
    parts.headers = headers;
    crate::router::handle(bridge.app.clone(), Request::from_parts(parts, body)).await
}

/// NDJSON framing for the shared streaming body.
struct Ndjson(OllamaStream);

impl StreamTranslate for Ndjson {
    fn push(&mut self, ev: &ResponsesEvent<'_>, out: &mut Vec<u8>) {
        self.0.push(ev, out);
    }
    fn finish(&mut self, out: &mut Vec<u8>) {
        self.0.finish(out);
    }
    fn fail(&mut self, failure: &UpstreamFailure, out: &mut Vec<u8>) {
        self.0.fail(failure, out);
    }
    fn is_terminated(&self) -> bool {
        self.0.is_terminated()
    }
    fn heartbeat(&self) -> &'static [u8] {
        // Ollama clients parse every line as JSON: keep-alive is an empty, not-done fragment.
        b"{\"model\":\"\",\"created_at\":\"\",\"message\":{\"role\":\"assistant\",\"content\":\"\"},\"done\":false}\n"
    }
    fn content_type(&self) -> &'static str {
        "application/x-ndjson"
    }
}

impl Collect for OllamaCollector {
    fn push(&mut self, ev: &ResponsesEvent<'_>) {
        OllamaCollector::push(self, ev);
    }
    fn finish(self) -> Result<Vec<u8>, ErrorReply> {
        OllamaCollector::finish(self)
    }
}
