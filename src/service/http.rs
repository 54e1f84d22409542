//! The opt-in HTTP server (`daemon.listen`): `/metrics` and `/healthz`.

use std::future::Future;

use axum::Router;
use axum::extract::State;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use tokio::net::TcpListener;

use super::Shared;
use super::health::{crashed_lines, probe_ledger};
use crate::notify::redact::redact_urls;

/// Serves until `stopped` resolves.
pub(crate) async fn serve(
    listener: TcpListener,
    shared: Shared,
    stopped: impl Future<Output = ()> + Send + 'static,
) {
    let app = Router::new()
        .route("/metrics", get(metrics))
        .route("/healthz", get(healthz))
        .with_state(shared);
    let listener = super::slow::Guarded {
        inner: listener,
        timeout: super::slow::REQUEST_TIMEOUT,
    };
    if let Err(e) = axum::serve(listener, app)
        .with_graceful_shutdown(stopped)
        .await
    {
        tracing::error!("the /metrics server stopped: {e}");
    }
}

/// The Prometheus text exposition; 500 with the reason when the ledger cannot be read.
async fn metrics(State(s): State<Shared>) -> Response {
    let config = s.config.borrow().clone();
    let age = s.liveness.age();
    let body = tokio::task::spawn_blocking(move || {
        s.metrics
            .render(&config, s.ledger.as_ref(), age, chrono::Utc::now())
    })
    .await;
    match body {
        Ok(Ok(text)) => {
            ([(header::CONTENT_TYPE, "text/plain; version=0.0.4")], text).into_response()
        }
        Ok(Err(e)) => (
            StatusCode::INTERNAL_SERVER_ERROR,
            format!("cannot read the ledger: {e}\n"),
        )
            .into_response(),
        Err(e) => (
            StatusCode::INTERNAL_SERVER_ERROR,
            format!("metrics task failed: {e}\n"),
        )
            .into_response(),
    }
}

/// 200 "ok" when the scheduler loop ran recently, the ledger can be read, no line's last
/// check crashed and email is not paused; else 503 with the reason ("degraded: ..." for
/// paused email). Read-only: no write lock, no ledger write.
async fn healthz(State(s): State<Shared>) -> Response {
    if !s.liveness.fresh() {
        let age = s.liveness.age();
        return (
            StatusCode::SERVICE_UNAVAILABLE,
            format!("scheduler loop silent for {age:?}\n"),
        )
            .into_response();
    }
    let dir = s.config.borrow().daemon.state_dir.clone();
    let probe = move || {
        let paused = probe_ledger(&dir)?;
        match crashed_lines(s.ledger.as_ref())? {
            crashed if crashed.is_empty() => Ok(paused),
            crashed => Err(crashed.join("\n")),
        }
    };
    match tokio::task::spawn_blocking(probe).await {
        Ok(Ok(None)) => (StatusCode::OK, "ok\n").into_response(),
        Ok(Ok(Some(why))) => (
            StatusCode::SERVICE_UNAVAILABLE,
            format!("degraded: email delivery paused: {}\n", redact_urls(&why)),
        )
            .into_response(),
        Ok(Err(e)) => (StatusCode::SERVICE_UNAVAILABLE, format!("{e}\n")).into_response(),
        Err(e) => (
            StatusCode::SERVICE_UNAVAILABLE,
            format!("probe failed: {e}\n"),
        )
            .into_response(),
    }
}
