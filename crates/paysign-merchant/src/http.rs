//! The public listener: the app's two calls, Payment Kit's callbacks, and health probes. Each
//! resource has its own `router()`; [`router`] merges them.

use std::sync::Arc;
use std::time::Duration;

use axum::body::Bytes;
use axum::extract::{FromRequestParts, Path, Query, Request, State};
use axum::http::request::Parts;
use axum::http::{header, HeaderMap, StatusCode};
use axum::middleware::Next;
use axum::response::IntoResponse;
use axum::routing::{get, post};
use axum::{Json, Router};
use paysign_contract::{CreateOrderRequest, OrderStatus, Ticket, IDEMPOTENCY_KEY_HEADER};
use paysign_serve::JsonObject;
use serde::de::DeserializeOwned;

use crate::auth::AuthUser;
use crate::callbacks;
use crate::error::{Error, Result};
use crate::orders;
use crate::server::AppState;

/// Callbacks, the app API and health, with their body limits.
pub fn router(state: &AppState) -> Router<Arc<AppState>> {
    let limits = &state.settings.config.limits;
    let timeout = Duration::from_millis(limits.body_timeout_ms);
    with_fallbacks(
        Router::new()
            .merge(body_gate(
                order_routes(),
                limits.request_body_bytes,
                timeout,
            ))
            .merge(body_gate(
                callback_routes(),
                limits.callback_body_bytes,
                timeout,
            ))
            .merge(health_routes()),
    )
}

/// Reads each request's whole body (at most `limit` bytes, within `timeout`) before its handler
/// runs, so handlers never wait on a slow client and an oversized body is refused with the
/// error body (413) before anything is parsed.
pub fn body_gate(
    routes: Router<Arc<AppState>>,
    limit: usize,
    timeout: Duration,
) -> Router<Arc<AppState>> {
    routes.layer(axum::middleware::from_fn(
        move |request: Request, next: Next| async move {
            match paysign_serve::buffer_request(request, limit, timeout).await {
                Ok(request) => next.run(request).await,
                Err(e) => Error::from(e).into_response(),
            }
        },
    ))
}

/// Unknown paths and methods answer the error body too (404, 405).
pub fn with_fallbacks(routes: Router<Arc<AppState>>) -> Router<Arc<AppState>> {
    routes
        .fallback(|| async { Error::NoRoute })
        .method_not_allowed_fallback(|| async { Error::MethodNotAllowed })
}

/// A JSON body's `Content-Type` must say JSON in UTF-8 (415 otherwise): a form post or a GBK body
/// is refused, never guessed at.
pub fn require_json(headers: &HeaderMap) -> Result<()> {
    let content_type = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok());
    if paysign_serve::is_json_utf8(content_type) {
        Ok(())
    } else {
        Err(Error::UnsupportedMediaType(
            "the body must be sent as Content-Type: application/json (UTF-8)".to_owned(),
        ))
    }
}

/// A JSON object typed as `T` (400 otherwise). Only an object ([`JsonObject`]): serde's derived
/// readers also take a struct written as an array (`["vip-month"]`), which no client sends.
pub fn json_object<T: DeserializeOwned>(body: &[u8]) -> Result<T> {
    serde_json::from_slice(body)
        .map(|JsonObject(value)| value)
        .map_err(|e| Error::BadRequest(format!("body: {e}")))
}

/// A path parameter; a malformed one (bad percent-encoding, not UTF-8) is a 400 error body.
pub struct PathParam<T>(pub T);

impl<S: Send + Sync, T: DeserializeOwned + Send> FromRequestParts<S> for PathParam<T> {
    type Rejection = Error;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self> {
        Path::<T>::from_request_parts(parts, state)
            .await
            .map(|Path(value)| PathParam(value))
            .map_err(|e| Error::BadRequest(format!("path: {}", e.body_text())))
    }
}

/// Query parameters; malformed ones are a 400 error body.
pub struct QueryParams<T>(pub T);

impl<S: Send + Sync, T: DeserializeOwned + Send> FromRequestParts<S> for QueryParams<T> {
    type Rejection = Error;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self> {
        Query::<T>::from_request_parts(parts, state)
            .await
            .map(|Query(value)| QueryParams(value))
            .map_err(|e| Error::BadRequest(format!("query: {}", e.body_text())))
    }
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
    require_json(&headers)?;
    let key = orders::check_idempotency_key(
        headers
            .get(IDEMPOTENCY_KEY_HEADER)
            .map(|v| v.to_str().unwrap_or("")),
    )?;
    // Unknown fields (an "amount", say) are ignored: the price is the catalogue's.
    let request: CreateOrderRequest = json_object(&body)?;
    Ok(Json(orders::create(&state, &user, &key, &request).await?))
}

async fn order_status(
    State(state): State<Arc<AppState>>,
    AuthUser(user): AuthUser,
    PathParam(merc_order_no): PathParam<String>,
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
