//! `GET /v1/models`, `/v1/models/catalog`, `/v1/models/{id}`, `/v1/models/{id}/info`
//! (translation.md §8.3). The backend list is fetched lazily with an account and cached.

use std::time::{Duration, Instant};

use http::{Response, StatusCode};

use crate::body::Body;
use crate::catalog::parse_backend_models;
use crate::error::GatewayError;
use crate::router::json_response;
use crate::state::AppState;

/// Budget for one backend model list fetch.
const FETCH_TIMEOUT: Duration = Duration::from_secs(15);

/// OpenAI model list.
pub(crate) async fn list(state: &AppState) -> Result<Response<Body>, GatewayError> {
    refresh_if_stale(state).await;
    let data: Vec<_> = state
        .catalog
        .models()
        .iter()
        .map(|m| m.openai_object())
        .collect();
    Ok(json_response(
        StatusCode::OK,
        &serde_json::json!({ "object": "list", "data": data }),
    ))
}

/// Full catalog records.
pub(crate) async fn catalog(state: &AppState) -> Result<Response<Body>, GatewayError> {
    refresh_if_stale(state).await;
    Ok(json_response(StatusCode::OK, &state.catalog.models()))
}

/// One OpenAI model object.
pub(crate) async fn one(state: &AppState, id: &str) -> Result<Response<Body>, GatewayError> {
    refresh_if_stale(state).await;
    match state.catalog.get(id) {
        Some(m) => Ok(json_response(StatusCode::OK, &m.openai_object())),
        None => Err(GatewayError::ModelNotFound {
            model: id.to_owned(),
        }),
    }
}

/// One catalog record.
pub(crate) async fn info(state: &AppState, id: &str) -> Result<Response<Body>, GatewayError> {
    refresh_if_stale(state).await;
    match state.catalog.get(id) {
        Some(m) => Ok(json_response(StatusCode::OK, &m)),
        None => Err(GatewayError::ModelNotFound {
            model: id.to_owned(),
        }),
    }
}

/// Fetches `GET /codex/models` if the cached list is stale; failures keep the catalog as is.
pub(crate) async fn refresh_if_stale(state: &AppState) {
    if !state.catalog.is_stale(Instant::now()) {
        return;
    }
    let _guard = state.catalog.refresh_guard().await;
    if !state.catalog.is_stale(Instant::now()) {
        return;
    }
    let Ok(lease) = crate::pool_glue::acquire(state, &state.live().model.default).await else {
        // No account: nothing to ask the backend with; try again on the next call.
        return;
    };
    let path = format!(
        "/codex/models?client_version={}",
        state.config.client.app_version
    );
    let creds = crate::pool_glue::credentials(&lease);
    let fetched = match tokio::time::timeout(
        FETCH_TIMEOUT,
        state.transport.for_lease(state, &lease).get(&path, &creds),
    )
    .await
    {
        Ok(Ok(resp)) => parse_backend_models(&resp.body),
        Ok(Err(e)) => {
            tracing::info!(
                error = e.label(),
                "backend model list unavailable; using the static catalog"
            );
            None
        }
        Err(_) => {
            tracing::info!("backend model list timed out; using the static catalog");
            None
        }
    };
    // Plan routing: this account's plan serves exactly these models.
    if let Some(list) = &fetched {
        let ids = list.iter().map(|m| m.id.clone()).collect();
        if let Err(e) = state.pool.set_account_models(lease.id(), ids) {
            tracing::debug!(error = e.label(), "account model list not stored");
        }
    }
    drop(lease);
    state.catalog.set_backend(fetched, Instant::now());
}
