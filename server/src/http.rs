//! The HTTP face: `GET /healthz` (200 `ok`) and `GET /metrics` (Prometheus text of the
//! server's and the engine's own metrics). The AWS wire protocols and the dashboard will join
//! this router later. The router has no fallback of its own, so it can be merged with tonic's
//! router if gRPC and HTTP ever share a port. Built by `serve`.

use std::sync::Arc;

use axum::Router;
use axum::extract::State;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use stratus_engine::Engine;

use crate::aws::handler::AwsApi;
use crate::telemetry::Registry;

#[derive(Clone)]
struct AppState {
    engine: Arc<Engine>,
    registry: Arc<Registry>,
}

/// The HTTP routes.
/// `/healthz`, `/metrics`, and every other request to the AWS endpoint (`aws::handler`).
pub(crate) fn router(engine: Arc<Engine>, registry: Arc<Registry>, aws: Arc<AwsApi>) -> Router {
    let aws_routes = Router::new().fallback(crate::aws::handler::handle).with_state(aws);
    Router::new()
        .route("/healthz", get(healthz))
        .route("/metrics", get(metrics))
        .with_state(AppState { engine, registry })
        .merge(aws_routes)
}

async fn healthz() -> &'static str {
    "ok"
}

async fn metrics(State(state): State<AppState>) -> Response {
    let engine = Arc::clone(&state.engine);
    match tokio::task::spawn_blocking(move || engine.stats()).await {
        Ok(stats) => {
            ([(header::CONTENT_TYPE, "text/plain; version=0.0.4; charset=utf-8")], state.registry.render(&stats))
                .into_response()
        }
        Err(err) => {
            tracing::error!(error = %err, "reading engine stats failed");
            (StatusCode::INTERNAL_SERVER_ERROR, "engine stats unavailable\n").into_response()
        }
    }
}
