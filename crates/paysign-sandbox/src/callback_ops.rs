//! The operator API of callback delivery: every callback with its attempts
//! (`GET /sandbox/callbacks`), and the delivery faults (`GET/POST /sandbox/callback-faults`).

use std::sync::Arc;

use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::routing::get;
use axum::{Json, Router};
use paysign_serve::JsonObject;
use serde::{Deserialize, Serialize};

use crate::delivery_faults::{DeliveryFaultCounts, DeliveryFaultPlan};
use crate::delivery_store::{self as ds, Attempt, Delivery};
use crate::operator::OpError;
use crate::server::AppState;

pub fn routes() -> Router<Arc<AppState>> {
    Router::new()
        .route("/sandbox/callbacks", get(list))
        .route("/sandbox/callback-faults", get(faults).post(arm))
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Filter {
    merc_no: Option<String>,
    callback_id: Option<String>,
}

/// A callback and every attempt made to deliver it.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct CallbackView {
    #[serde(flatten)]
    delivery: Delivery,
    attempts: Vec<Attempt>,
}

async fn list(
    State(s): State<Arc<AppState>>,
    Query(f): Query<Filter>,
) -> Result<Json<Vec<CallbackView>>, OpError> {
    let views = s.store.run(|c| {
        ds::list(c, f.merc_no.as_deref(), f.callback_id.as_deref())?
            .into_iter()
            .map(|delivery| {
                let attempts = ds::attempts(c, delivery.seq)?;
                Ok(CallbackView { delivery, attempts })
            })
            .collect::<Result<Vec<_>, _>>()
    })?;
    Ok(Json(views))
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct FaultState {
    /// Whether this sandbox delivers callbacks (`--no-callbacks` turns it off).
    delivering: bool,
    armed: DeliveryFaultPlan,
    counts: DeliveryFaultCounts,
}

fn state_of(s: &AppState) -> FaultState {
    FaultState {
        delivering: s.callbacks.enabled(),
        armed: s.callbacks.faults.plan(),
        counts: s.callbacks.faults.counts(),
    }
}

async fn faults(State(s): State<Arc<AppState>>) -> Json<FaultState> {
    Json(state_of(&s))
}

/// Replaces the armed plan; callbacks held for an unfinished out-of-order group are sent now.
async fn arm(
    State(s): State<Arc<AppState>>,
    body: Result<Json<JsonObject<DeliveryFaultPlan>>, axum::extract::rejection::JsonRejection>,
) -> Result<Json<FaultState>, OpError> {
    let Json(JsonObject(plan)) =
        body.map_err(|e| OpError::new(StatusCode::BAD_REQUEST, e.body_text()))?;
    if !s.callbacks.enabled() {
        return Err(OpError::new(
            StatusCode::CONFLICT,
            "this sandbox does not deliver callbacks (started with --no-callbacks)",
        ));
    }
    plan.validate()
        .map_err(|e| OpError::new(StatusCode::BAD_REQUEST, e))?;
    s.callbacks.faults.arm(plan);
    s.callbacks.release_held();
    Ok(Json(state_of(&s)))
}
