//! The public listener: the app's two calls, Payment Kit's callbacks, and health probes. Each
//! resource has its own `router()`; [`router`] merges them.

use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::{DefaultBodyLimit, Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::IntoResponse;
use axum::routing::{get, post};
use axum::{Json, Router};
use paysign_contract::{CreateOrderRequest, OrderStatus, Ticket, IDEMPOTENCY_KEY_HEADER};

use crate::auth::AuthUser;
use crate::callbacks;
use crate::error::{Error, Result};
use crate::orders;
use crate::server::AppState;

/// Callbacks, the app API and health, with their body limits.
pub fn router(state: &AppState) -> Router<Arc<AppState>> {
    let limits = &state.settings.config.limits;
    Router::new()
        .merge(order_routes().layer(DefaultBodyLimit::max(limits.request_body_bytes)))
        .merge(callback_routes().layer(DefaultBodyLimit::max(limits.callback_body_bytes)))
        .merge(health_routes())
}

fn order_routes() -> Router<Arc<AppState>> {
    Router::new()
        .route(paysign_contract::ORDERS_PATH, post(create_order))
        .route("/paysign/orders/{merc_order_no}", get(order_status))
}

fn callback_routes() -> Router<Arc<AppState>> {
    Router::new()
        .route("/paysign/callbacks/payment", post(callbacks::payment))
        .route("/paysign/callbacks/contract", post(callbacks::contract))
        .route("/paysign/callbacks/refund", post(callbacks::refund))
}

pub fn health_routes() -> Router<Arc<AppState>> {
    Router::new()
        .route("/healthz", get(healthz))
        .route("/readyz", get(readyz))
}

async fn create_order(
    State(state): State<Arc<AppState>>,
    AuthUser(user): AuthUser,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Json<Ticket>> {
    let key = orders::check_idempotency_key(
        headers
            .get(IDEMPOTENCY_KEY_HEADER)
            .map(|v| v.to_str().unwrap_or("")),
    )?;
    // Unknown fields (an "amount", say) are ignored: the price is the catalogue's.
    let request: CreateOrderRequest =
        serde_json::from_slice(&body).map_err(|e| Error::BadRequest(format!("body: {e}")))?;
    Ok(Json(orders::create(&state, &user, &key, &request).await?))
}

async fn order_status(
    State(state): State<Arc<AppState>>,
    AuthUser(user): AuthUser,
    Path(merc_order_no): Path<String>,
) -> Result<Json<OrderStatus>> {
    Ok(Json(orders::status(&state, &user, &merc_order_no).await?))
}

async fn healthz() -> &'static str {
    "ok"
}

async fn readyz(State(state): State<Arc<AppState>>) -> impl IntoResponse {
    match state.db.ping().await {
        Ok(()) => (StatusCode::OK, "ready"),
        Err(e) => {
            tracing::warn!(error = %e, "not ready: database unreachable");
            (StatusCode::SERVICE_UNAVAILABLE, "database unreachable")
        }
    }
}
