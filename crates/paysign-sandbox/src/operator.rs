//! The operator API under `/sandbox/...` (no PayMercAuth; the server listens on loopback only):
//! act as the cashier and Payment Kit (pay, fail, expire, sign, user unsign, finish a refund),
//! read what the sandbox holds, register merchants, move the business clock, read events and the
//! signed notification each would send, and arm test faults.

use std::sync::Arc;

use axum::extract::rejection::JsonRejection;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use paysign_serve::JsonObject;
use serde::{Deserialize, Serialize};

use crate::events::{EventKind, SandboxEvent};
use crate::faults::{FaultCounts, FaultPlan};
use crate::lifecycle::{LifecycleError, UnsignMode};
use crate::merchants::Merchant;
use crate::notifications::{self, NotificationOptions};
use crate::server::AppState;
use crate::store;

type AppStateRef = State<Arc<AppState>>;

pub fn routes() -> Router<Arc<AppState>> {
    Router::new()
        .route("/sandbox/health", get(health))
        .route("/sandbox/public-key", get(public_key))
        .route(
            "/sandbox/merchants",
            get(list_merchants).post(register_merchant),
        )
        .route("/sandbox/orders", get(list_orders))
        .route("/sandbox/orders/{merc_no}/{merc_order_no}", get(get_order))
        .route("/sandbox/orders/{merc_no}/{merc_order_no}/pay", post(pay))
        .route("/sandbox/orders/{merc_no}/{merc_order_no}/fail", post(fail))
        .route(
            "/sandbox/orders/{merc_no}/{merc_order_no}/expire",
            post(expire),
        )
        .route("/sandbox/contracts", get(list_contracts))
        .route("/sandbox/contracts/{merc_no}/{code}", get(get_contract))
        .route("/sandbox/contracts/{merc_no}/{code}/sign", post(sign))
        .route(
            "/sandbox/contracts/{merc_no}/{code}/unsign",
            post(user_unsign),
        )
        .route("/sandbox/refunds", get(list_refunds))
        .route(
            "/sandbox/refunds/{merc_no}/{refund_no}/complete",
            post(complete_refund),
        )
        .route("/sandbox/events", get(list_events))
        .route(
            "/sandbox/events/{seq}/notification",
            get(event_notification),
        )
        .route("/sandbox/clock", get(get_clock).post(advance_clock))
        .route("/sandbox/faults", get(get_faults).post(arm_faults))
}

/// An operator error: `{"error": "..."}` with 400, 404, 409 or 500.
pub struct OpError(StatusCode, String);

impl OpError {
    pub fn new(status: StatusCode, message: impl Into<String>) -> Self {
        Self(status, message.into())
    }
}

impl IntoResponse for OpError {
    fn into_response(self) -> Response {
        #[derive(Serialize)]
        struct Body {
            error: String,
        }
        (self.0, Json(Body { error: self.1 })).into_response()
    }
}

impl From<LifecycleError> for OpError {
    fn from(e: LifecycleError) -> Self {
        match e {
            LifecycleError::NotFound(m) => OpError(StatusCode::NOT_FOUND, m),
            LifecycleError::Conflict(m) => OpError(StatusCode::CONFLICT, m),
            LifecycleError::Rejected(r) => OpError(StatusCode::BAD_REQUEST, r.to_string()),
            LifecycleError::Store(s) => OpError(StatusCode::INTERNAL_SERVER_ERROR, s.to_string()),
        }
    }
}

impl From<store::StoreError> for OpError {
    fn from(e: store::StoreError) -> Self {
        OpError(StatusCode::INTERNAL_SERVER_ERROR, e.to_string())
    }
}

type OpResult<T> = Result<Json<T>, OpError>;

/// A body that is not the JSON a handler takes: 400 (415 for a non-JSON Content-Type), with
/// axum's description of what was wrong.
pub fn bad_json(e: JsonRejection) -> OpError {
    let status = match e.status() {
        StatusCode::UNSUPPORTED_MEDIA_TYPE => StatusCode::UNSUPPORTED_MEDIA_TYPE,
        _ => StatusCode::BAD_REQUEST,
    };
    OpError(status, e.body_text())
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Health {
    status: &'static str,
    merchants: usize,
}

async fn health(State(s): AppStateRef) -> OpResult<Health> {
    let merchants = s.store.run(store::merchants)?.len();
    Ok(Json(Health {
        status: "ok",
        merchants,
    }))
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct PublicKeyInfo {
    algorithm: &'static str,
    /// SubjectPublicKeyInfo PEM.
    public_key_pem: String,
    /// Hex of the uncompressed point `04‖X‖Y`, the form Huawei's samples configure.
    public_key_hex: Option<String>,
    cert_no: String,
}

async fn public_key(State(s): AppStateRef) -> Json<PublicKeyInfo> {
    let key = s.signer.public_key();
    Json(PublicKeyInfo {
        algorithm: "SM2",
        public_key_pem: key.to_spki_pem(),
        public_key_hex: key.to_sm2_point_hex(),
        cert_no: s.signer.cert_no().to_owned(),
    })
}

async fn list_merchants(State(s): AppStateRef) -> OpResult<Vec<Merchant>> {
    Ok(Json(s.store.run(store::merchants)?))
}

async fn register_merchant(
    State(s): AppStateRef,
    body: Result<Json<JsonObject<Merchant>>, JsonRejection>,
) -> Result<(StatusCode, Json<Merchant>), OpError> {
    let Json(JsonObject(m)) = body.map_err(|e| OpError(StatusCode::BAD_REQUEST, e.body_text()))?;
    s.register_merchant(&m)
        .map_err(|e| OpError(StatusCode::BAD_REQUEST, e))?;
    Ok((StatusCode::CREATED, Json(m)))
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct ByMerchant {
    merc_no: Option<String>,
}

async fn list_orders(
    State(s): AppStateRef,
    Query(q): Query<ByMerchant>,
) -> OpResult<Vec<store::Order>> {
    Ok(Json(
        s.store.run(|c| store::orders(c, q.merc_no.as_deref()))?,
    ))
}

async fn get_order(
    State(s): AppStateRef,
    Path((merc_no, no)): Path<(String, String)>,
) -> OpResult<store::Order> {
    s.store
        .run(|c| store::order(c, &merc_no, &no))?
        .map(Json)
        .ok_or_else(|| OpError(StatusCode::NOT_FOUND, format!("order {no} of {merc_no}")))
}

async fn pay(
    State(s): AppStateRef,
    Path((merc_no, no)): Path<(String, String)>,
) -> OpResult<store::Order> {
    Ok(Json(s.lifecycle.pay(&merc_no, &no)?))
}

async fn fail(
    State(s): AppStateRef,
    Path((merc_no, no)): Path<(String, String)>,
) -> OpResult<store::Order> {
    Ok(Json(s.lifecycle.fail(&merc_no, &no)?))
}

async fn expire(
    State(s): AppStateRef,
    Path((merc_no, no)): Path<(String, String)>,
) -> OpResult<store::Order> {
    Ok(Json(s.lifecycle.expire(&merc_no, &no)?))
}

async fn list_contracts(
    State(s): AppStateRef,
    Query(q): Query<ByMerchant>,
) -> OpResult<Vec<store::Contract>> {
    Ok(Json(
        s.store.run(|c| store::contracts(c, q.merc_no.as_deref()))?,
    ))
}

async fn get_contract(
    State(s): AppStateRef,
    Path((merc_no, code)): Path<(String, String)>,
) -> OpResult<store::Contract> {
    s.store
        .run(|c| store::contract(c, &merc_no, &code))?
        .map(Json)
        .ok_or_else(|| {
            OpError(
                StatusCode::NOT_FOUND,
                format!("contract {code} of {merc_no}"),
            )
        })
}

async fn sign(
    State(s): AppStateRef,
    Path((merc_no, code)): Path<(String, String)>,
) -> OpResult<store::Contract> {
    Ok(Json(s.lifecycle.sign(&merc_no, &code)?))
}

#[derive(Deserialize, Default)]
#[serde(rename_all = "camelCase", default)]
struct UnsignBody {
    /// `USER_UNSIGN` (default) or `PLATFORM_UNSIGN`.
    change_mode: Option<String>,
}

async fn user_unsign(
    State(s): AppStateRef,
    Path((merc_no, code)): Path<(String, String)>,
    body: Result<Option<Json<JsonObject<UnsignBody>>>, JsonRejection>,
) -> OpResult<store::Contract> {
    let body = body.map_err(bad_json)?;
    let mode = match body
        .and_then(|Json(JsonObject(b))| b.change_mode)
        .as_deref()
    {
        None | Some("USER_UNSIGN") => UnsignMode::User,
        Some("PLATFORM_UNSIGN") => UnsignMode::Platform,
        Some(other) => {
            return Err(OpError(
                StatusCode::BAD_REQUEST,
                format!("changeMode {other}: use USER_UNSIGN or PLATFORM_UNSIGN"),
            ))
        }
    };
    Ok(Json(s.lifecycle.unsign_by(&merc_no, &code, mode)?))
}

async fn list_refunds(
    State(s): AppStateRef,
    Query(q): Query<ByMerchant>,
) -> OpResult<Vec<store::Refund>> {
    Ok(Json(
        s.store
            .run(|c| store::refunds(c, q.merc_no.as_deref(), None))?,
    ))
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase", default)]
struct CompleteBody {
    success: bool,
}

impl Default for CompleteBody {
    fn default() -> Self {
        Self { success: true }
    }
}

async fn complete_refund(
    State(s): AppStateRef,
    Path((merc_no, no)): Path<(String, String)>,
    body: Result<Option<Json<JsonObject<CompleteBody>>>, JsonRejection>,
) -> OpResult<store::Refund> {
    let success = body
        .map_err(bad_json)?
        .is_none_or(|Json(JsonObject(b))| b.success);
    Ok(Json(s.lifecycle.finish_refund(&merc_no, &no, success)?))
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct After {
    after: Option<i64>,
}

fn to_event(r: store::EventRecord) -> Result<SandboxEvent, OpError> {
    let kind = EventKind::parse(&r.kind).ok_or_else(|| {
        OpError(
            StatusCode::INTERNAL_SERVER_ERROR,
            format!("event kind {}", r.kind),
        )
    })?;
    Ok(SandboxEvent {
        seq: r.seq,
        at_ms: r.at_ms,
        kind,
        merc_no: r.merc_no,
        key: r.key,
    })
}

async fn list_events(State(s): AppStateRef, Query(q): Query<After>) -> OpResult<Vec<SandboxEvent>> {
    let records = s
        .store
        .run(|c| store::events_after(c, q.after.unwrap_or(0)))?;
    Ok(Json(
        records
            .into_iter()
            .map(to_event)
            .collect::<Result<_, _>>()?,
    ))
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct NotificationQuery {
    /// `encrypt` marks the notification `dataType=encrypt`.
    data_type: Option<String>,
}

async fn event_notification(
    State(s): AppStateRef,
    Path(seq): Path<i64>,
    Query(q): Query<NotificationQuery>,
) -> Result<Json<notifications::OutgoingNotification>, OpError> {
    let record = s
        .store
        .run(|c| store::event(c, seq))?
        .ok_or_else(|| OpError(StatusCode::NOT_FOUND, format!("event {seq}")))?;
    let event = to_event(record)?;
    let opts = NotificationOptions {
        encrypt_flag: q.data_type.as_deref() == Some("encrypt"),
    };
    let now = s.clock.now_ms();
    let built = s
        .store
        .run(|c| Ok(notifications::build(c, &s.signer, &event, now, opts)))?;
    match built {
        Ok(Some(n)) => Ok(Json(n)),
        Ok(None) => Err(OpError(
            StatusCode::NOT_FOUND,
            format!(
                "Payment Kit sends no notification for {}",
                event.kind.as_str()
            ),
        )),
        Err(e) => Err(OpError(StatusCode::INTERNAL_SERVER_ERROR, e.to_string())),
    }
}

#[derive(Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ClockInfo {
    pub now_ms: i64,
    pub offset_ms: i64,
}

async fn get_clock(State(s): AppStateRef) -> Json<ClockInfo> {
    Json(ClockInfo {
        now_ms: s.clock.now_ms(),
        offset_ms: s.clock.offset_ms(),
    })
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Advance {
    advance_ms: i64,
}

/// The business clock moves at most this far from the wall clock (about 100 years): far enough
/// for any expiry or window, near enough that every date stays printable.
const MAX_CLOCK_OFFSET_MS: i64 = 100 * 366 * 24 * 3_600_000;

async fn advance_clock(
    State(s): AppStateRef,
    body: Result<Json<JsonObject<Advance>>, JsonRejection>,
) -> OpResult<ClockInfo> {
    let Json(JsonObject(a)) = body.map_err(bad_json)?;
    let within = s
        .clock
        .offset_ms()
        .checked_add(a.advance_ms)
        .is_some_and(|offset| offset.abs() <= MAX_CLOCK_OFFSET_MS);
    if !within {
        return Err(OpError(
            StatusCode::BAD_REQUEST,
            format!("advanceMs would move the clock more than {MAX_CLOCK_OFFSET_MS} ms from now"),
        ));
    }
    s.clock.advance(a.advance_ms);
    Ok(Json(ClockInfo {
        now_ms: s.clock.now_ms(),
        offset_ms: s.clock.offset_ms(),
    }))
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct FaultState {
    armed: FaultPlan,
    counts: FaultCounts,
}

async fn get_faults(State(s): AppStateRef) -> Json<FaultState> {
    Json(FaultState {
        armed: s.faults.plan(),
        counts: s.faults.counts(),
    })
}

async fn arm_faults(
    State(s): AppStateRef,
    body: Result<Json<JsonObject<FaultPlan>>, JsonRejection>,
) -> Result<Json<FaultState>, OpError> {
    let Json(JsonObject(plan)) =
        body.map_err(|e| OpError(StatusCode::BAD_REQUEST, e.body_text()))?;
    s.faults.arm(plan);
    Ok(Json(FaultState {
        armed: s.faults.plan(),
        counts: s.faults.counts(),
    }))
}
