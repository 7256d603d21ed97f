//! How many times each merchant called each per-item Payment Kit API about each order, contract
//! or refund, since this start (in memory; `GET /sandbox/api-calls`). It shows, for example, that
//! several instances of a merchant server together query a pending order once. Only calls that
//! passed PayMercAuth count: they are the merchant's.

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};

use axum::extract::{Query, State};
use axum::routing::get;
use axum::{Json, Router};
use serde::{Deserialize, Serialize};

use crate::server::AppState;

/// The counted APIs, by the name the listing uses.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Api {
    /// The pay-and-sign pre-order, by mercOrderNo.
    Prepay,
    /// Query order (payment or withholding debit), by mercOrderNo.
    QueryOrder,
    /// Query contract, by mercContractCode.
    QueryContract,
    /// Query refund, by mercRefundOrderNo.
    QueryRefund,
}

impl Api {
    pub fn as_str(self) -> &'static str {
        match self {
            Api::Prepay => "prepay",
            Api::QueryOrder => "queryOrder",
            Api::QueryContract => "queryContract",
            Api::QueryRefund => "queryRefund",
        }
    }
}

/// The counters: (mercNo, API, the order/contract/refund number) → calls.
#[derive(Debug, Default)]
pub struct ApiCalls(Mutex<BTreeMap<(String, Api, String), u64>>);

impl ApiCalls {
    pub fn record(&self, merc_no: &str, api: Api, key: &str) {
        // A poisoned lock only means another request panicked mid-increment; counting goes on.
        let mut map = self.0.lock().unwrap_or_else(|p| p.into_inner());
        *map.entry((merc_no.to_owned(), api, key.to_owned()))
            .or_insert(0) += 1;
    }

    /// Every counter, ordered by merchant, API and key, optionally of one merchant or API.
    pub fn list(&self, merc_no: Option<&str>, api: Option<&str>) -> Vec<ApiCallCount> {
        let map = self.0.lock().unwrap_or_else(|p| p.into_inner());
        map.iter()
            .filter(|((m, a, _), _)| {
                merc_no.is_none_or(|want| want == m) && api.is_none_or(|want| want == a.as_str())
            })
            .map(|((m, a, k), n)| ApiCallCount {
                merc_no: m.clone(),
                api: a.as_str(),
                key: k.clone(),
                count: *n,
            })
            .collect()
    }
}

/// One counter as `GET /sandbox/api-calls` lists it.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ApiCallCount {
    pub merc_no: String,
    pub api: &'static str,
    pub key: String,
    pub count: u64,
}

pub fn routes() -> Router<Arc<AppState>> {
    Router::new().route("/sandbox/api-calls", get(list))
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Filter {
    merc_no: Option<String>,
    api: Option<String>,
}

async fn list(State(s): State<Arc<AppState>>, Query(f): Query<Filter>) -> Json<Vec<ApiCallCount>> {
    Json(s.api_calls.list(f.merc_no.as_deref(), f.api.as_deref()))
}
