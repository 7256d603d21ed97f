//! The operations listener (loopback by default; every call but `/metrics` and the probes needs
//! the admin bearer token): orders and contracts, refunds, unsign, withholding debits, bills.

use std::sync::Arc;

use std::time::Duration;

use axum::body::Bytes;
use axum::extract::State;
use axum::http::{header, HeaderMap};
use axum::response::IntoResponse;
use axum::routing::{get, post};
use axum::{Json, Router};
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};

use crate::auth::Operator;
use crate::error::{Error, Result};
use crate::http::{
    body_gate, json_object, require_json, with_fallbacks, PathParam as Path, QueryParams as Query,
};
use crate::operations::{self, BillKind, BillReport, ChargeBody, RefundBody};
use crate::server::AppState;
use crate::store::{self, CallbackRecord, Contract, Debit, Order, Refund};

pub fn router(state: &AppState) -> Router<Arc<AppState>> {
    let limits = &state.settings.config.limits;
    let routes = Router::new()
        .route("/admin/orders", get(list_orders))
        .route("/admin/orders/{no}", get(get_order))
        .route("/admin/orders/{no}/refunds", post(create_refund))
        .route("/admin/refunds/{no}", get(get_refund))
        .route("/admin/contracts", get(list_contracts))
        .route("/admin/contracts/{code}", get(get_contract))
        .route("/admin/contracts/{code}/unsign", post(unsign))
        .route("/admin/contracts/{code}/charges", post(charge))
        .route("/admin/debits/{no}", get(get_debit))
        .route("/admin/bills/{kind}/{date}", get(bill))
        .route("/admin/reconcile", post(reconcile_now))
        .route("/metrics", get(metrics));
    with_fallbacks(
        body_gate(
            routes,
            limits.request_body_bytes,
            Duration::from_millis(limits.body_timeout_ms),
        )
        .merge(crate::http::health_routes()),
    )
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct Page {
    #[serde(default)]
    limit: Option<i64>,
    /// The `createdMs` of the last row of the previous page: the page lists rows created
    /// before it, and with `beforeKey` also those created in that millisecond after that row.
    #[serde(default)]
    before: Option<i64>,
    /// That row's `mercOrderNo` (orders) or `mercContractCode` (contracts).
    #[serde(default)]
    before_key: Option<String>,
}

impl Page {
    fn start(&self) -> Result<store::PageStart> {
        if self.before_key.is_some() && self.before.is_none() {
            return Err(Error::BadRequest(
                "beforeKey needs before (the createdMs of the same row)".to_owned(),
            ));
        }
        Ok(store::PageStart {
            created_ms: self.before,
            key: self.before_key.clone(),
        })
    }
}

fn limit(p: &Page) -> i64 {
    p.limit.unwrap_or(50).clamp(1, 500)
}

/// An optional JSON body: empty means the defaults; anything else must be declared JSON.
fn parse<T: DeserializeOwned + Default>(headers: &HeaderMap, body: &Bytes) -> Result<T> {
    if body.iter().all(u8::is_ascii_whitespace) {
        return Ok(T::default());
    }
    require_json(headers)?;
    json_object(body)
}

async fn list_orders(
    _: Operator,
    State(s): State<Arc<AppState>>,
    Query(p): Query<Page>,
) -> Result<Json<Vec<Order>>> {
    Ok(Json(
        store::list_orders(&s.db, limit(&p), &p.start()?).await?,
    ))
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
struct OrderDetail {
    order: Order,
    contract: Option<Contract>,
    refunds: Vec<Refund>,
    callbacks: Vec<CallbackRecord>,
}

async fn get_order(
    _: Operator,
    State(s): State<Arc<AppState>>,
    Path(no): Path<String>,
) -> Result<Json<OrderDetail>> {
    let order = store::order(&s.db, &no).await?.ok_or(Error::NotFound)?;
    let contract = store::contract(&s.db, &order.merc_contract_code).await?;
    let refunds = store::refunds_of_order(&s.db, &no).await?;
    let callbacks = store::callbacks_of(&s.db, &no).await?;
    Ok(Json(OrderDetail {
        order,
        contract,
        refunds,
        callbacks,
    }))
}

async fn create_refund(
    _: Operator,
    State(s): State<Arc<AppState>>,
    Path(no): Path<String>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Json<Refund>> {
    let body: RefundBody = parse(&headers, &body)?;
    Ok(Json(operations::refund(&s, &no, &body).await?))
}

#[derive(Debug, Deserialize)]
struct Refresh {
    /// `true`: ask Payment Kit before answering.
    #[serde(default)]
    query: bool,
}

async fn get_refund(
    _: Operator,
    State(s): State<Arc<AppState>>,
    Path(no): Path<String>,
    Query(r): Query<Refresh>,
) -> Result<Json<Refund>> {
    Ok(Json(operations::refund_status(&s, &no, r.query).await?))
}

async fn list_contracts(
    _: Operator,
    State(s): State<Arc<AppState>>,
    Query(p): Query<Page>,
) -> Result<Json<Vec<Contract>>> {
    Ok(Json(
        store::list_contracts(&s.db, limit(&p), &p.start()?).await?,
    ))
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
struct ContractDetail {
    contract: Contract,
    debits: Vec<Debit>,
    callbacks: Vec<CallbackRecord>,
}

async fn get_contract(
    _: Operator,
    State(s): State<Arc<AppState>>,
    Path(code): Path<String>,
) -> Result<Json<ContractDetail>> {
    let contract = store::contract(&s.db, &code)
        .await?
        .ok_or(Error::NotFound)?;
    let debits = store::debits_of_contract(&s.db, &code).await?;
    let callbacks = store::callbacks_of(&s.db, &code).await?;
    Ok(Json(ContractDetail {
        contract,
        debits,
        callbacks,
    }))
}

async fn unsign(
    _: Operator,
    State(s): State<Arc<AppState>>,
    Path(code): Path<String>,
) -> Result<Json<Contract>> {
    Ok(Json(operations::unsign(&s, &code).await?))
}

async fn charge(
    _: Operator,
    State(s): State<Arc<AppState>>,
    Path(code): Path<String>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Json<Debit>> {
    let body: ChargeBody = parse(&headers, &body)?;
    Ok(Json(operations::charge(&s, &code, &body).await?))
}

async fn get_debit(
    _: Operator,
    State(s): State<Arc<AppState>>,
    Path(no): Path<String>,
) -> Result<Json<Debit>> {
    Ok(Json(
        store::debit(&s.db, &no).await?.ok_or(Error::NotFound)?,
    ))
}

async fn bill(
    _: Operator,
    State(s): State<Arc<AppState>>,
    Path((kind, date)): Path<(String, String)>,
) -> Result<Json<BillReport>> {
    let kind = match kind.as_str() {
        "trade" => BillKind::Trade,
        "settle" => BillKind::Settle,
        _ => return Err(Error::BadRequest("bill kind is trade or settle".to_owned())),
    };
    Ok(Json(operations::bill_report(&s, kind, &date).await?))
}

#[derive(Debug, Serialize)]
struct Reconciled {
    checked: usize,
}

/// One reconcile pass now (also what the worker runs on its interval).
async fn reconcile_now(_: Operator, State(s): State<Arc<AppState>>) -> Json<Reconciled> {
    Json(Reconciled {
        checked: crate::reconcile::run_once(&s).await,
    })
}

async fn metrics(State(s): State<Arc<AppState>>) -> impl IntoResponse {
    (
        [(
            header::CONTENT_TYPE,
            "application/openmetrics-text; version=1.0.0; charset=utf-8",
        )],
        s.metrics.render(),
    )
}
