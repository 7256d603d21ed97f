//! The Payment Kit server API as the sandbox answers it, for both merchant models: PayMercAuth
//! checked, the request mapped from paysign-pas's models and checked with their `validate()`,
//! the change made through `lifecycle`, and every answer (errors too) signed with the sandbox key.
//! Test faults (delay, frequency limit, unavailability, tampering) apply here only.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;

use axum::body::{to_bytes, Body, Bytes};
use axum::extract::{Path, Request, State};
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::Router;
use paysign_pas::auth::HttpMethod;
use paysign_pas::codes::{ResultCode, SubCode};
use paysign_pas::endpoints::{self as ep, MerchantModel as PasModel, PrepayChannel};
use paysign_pas::model::{
    BillDownloadInfoResponse, BillDownloadParam, OrderStatus as WireOrderStatus,
    PartnerPrepayRequest, PartnerUnsignRequest, PaymentTool, PrepayRequest, PrepayResponse,
    QueryContractResponse, QueryOrderResponse, QueryRefundResponse, RefundRequest, RefundResponse,
    RefundStatus as WireRefundStatus, ResponseEnvelope, SignStatus,
    UnsignRequest as PasUnsignRequest, UnsignResponse,
};
use paysign_pas::model::{PartnerWithholdRequest, WithholdRequest, WithholdResponse};
use paysign_serve::JsonObject;
use rand::RngExt;
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};

use crate::api_calls::Api;
use crate::auth;
use crate::bills::{self, BillKind};
use crate::clock;
use crate::faults::{self, Before};
use crate::lifecycle::{LifecycleError, PrepayParty, UnsignRequest};
use crate::merchants::{Merchant, MerchantModel};
use crate::rejection::Rejection;
use crate::rules;
use crate::server::AppState;
use crate::store::{self, BillGrant, ContractStatus, OrderStatus, RefundStatus};
use crate::withhold::{self, DebitParty};

/// Largest request body accepted (the operator API's too).
pub const MAX_BODY: usize = 1 << 20;

#[derive(Debug, Clone, Copy)]
enum Endpoint {
    Prepay(PasModel, PrepayChannel),
    QueryOrder(PasModel),
    Refund(PasModel),
    QueryRefund(PasModel),
    QueryContract(PasModel),
    Unsign(PasModel),
    Withhold(PasModel),
    Bill(PasModel, BillKind),
}

impl Endpoint {
    fn model(self) -> PasModel {
        match self {
            Self::Prepay(m, _)
            | Self::QueryOrder(m)
            | Self::Refund(m)
            | Self::QueryRefund(m)
            | Self::QueryContract(m)
            | Self::Unsign(m)
            | Self::Withhold(m)
            | Self::Bill(m, _) => m,
        }
    }
}

macro_rules! at {
    ($method:ident, $ep:expr) => {
        $method(move |State(s): State<Arc<AppState>>, req: Request| serve(s, req, $ep))
    };
}

pub fn routes() -> Router<Arc<AppState>> {
    use BillKind::{Settle, Trade};
    use PasModel::{Direct, ServiceProvider as Sp};
    use PrepayChannel::{App, AtomicService as Fa};
    Router::new()
        .route(
            ep::DIRECT_PREPAY_APP,
            at!(post, Endpoint::Prepay(Direct, App)),
        )
        .route(
            ep::DIRECT_PREPAY_ATOMIC,
            at!(post, Endpoint::Prepay(Direct, Fa)),
        )
        .route(ep::SP_PREPAY_APP, at!(post, Endpoint::Prepay(Sp, App)))
        .route(ep::SP_PREPAY_ATOMIC, at!(post, Endpoint::Prepay(Sp, Fa)))
        .route(
            ep::DIRECT_QUERY_ORDER_ROUTE,
            at!(get, Endpoint::QueryOrder(Direct)),
        )
        .route(ep::SP_QUERY_ORDER_ROUTE, at!(get, Endpoint::QueryOrder(Sp)))
        .route(ep::DIRECT_REFUND, at!(post, Endpoint::Refund(Direct)))
        .route(ep::SP_REFUND, at!(post, Endpoint::Refund(Sp)))
        .route(
            ep::DIRECT_QUERY_REFUND_ROUTE,
            at!(get, Endpoint::QueryRefund(Direct)),
        )
        .route(
            ep::SP_QUERY_REFUND_ROUTE,
            at!(get, Endpoint::QueryRefund(Sp)),
        )
        .route(
            ep::DIRECT_QUERY_CONTRACT_ROUTE,
            at!(get, Endpoint::QueryContract(Direct)),
        )
        .route(
            ep::SP_QUERY_CONTRACT_ROUTE,
            at!(get, Endpoint::QueryContract(Sp)),
        )
        .route(ep::DIRECT_UNSIGN, at!(post, Endpoint::Unsign(Direct)))
        .route(ep::SP_UNSIGN, at!(post, Endpoint::Unsign(Sp)))
        .route(ep::DIRECT_WITHHOLD, at!(post, Endpoint::Withhold(Direct)))
        .route(ep::SP_WITHHOLD, at!(post, Endpoint::Withhold(Sp)))
        .route(
            ep::DIRECT_TRADE_BILL,
            at!(get, Endpoint::Bill(Direct, Trade)),
        )
        .route(
            ep::DIRECT_SETTLE_BILL,
            at!(get, Endpoint::Bill(Direct, Settle)),
        )
        .route(ep::SP_TRADE_BILL, at!(get, Endpoint::Bill(Sp, Trade)))
        .route(ep::SP_SETTLE_BILL, at!(get, Endpoint::Bill(Sp, Settle)))
        .route(BILL_DOWNLOAD_ROUTE, get(download_bill))
}

/// Where bill files are served (standing in for OBS).
pub const BILL_DOWNLOAD_ROUTE: &str = "/obs/bills/{token}";

/// Everything a handler needs about the authenticated call.
struct Call<'a> {
    state: &'a AppState,
    merchant: Merchant,
    path: String,
    query: Option<String>,
    body: String,
}

impl Call<'_> {
    /// The body as `T`, from a JSON object only ([`JsonObject`]).
    fn json<T: DeserializeOwned>(&self) -> Result<T, Rejection> {
        serde_json::from_str(&self.body)
            .map(|JsonObject(value)| value)
            .map_err(|e| Rejection::argument(format!("the request body: {e}")))
    }

    /// The last path segment after `prefix`.
    fn path_param(&self, prefix: &str) -> Result<String, Rejection> {
        match self.path.strip_prefix(prefix) {
            Some(p) if !p.is_empty() && !p.contains('/') => Ok(p.to_owned()),
            _ => Err(Rejection::argument("the path parameter is missing")),
        }
    }

    fn query_param(&self, name: &str) -> Option<String> {
        self.query.as_deref().and_then(|q| {
            q.split('&').find_map(|pair| {
                let (k, v) = pair.split_once('=').unwrap_or((pair, ""));
                (k == name).then(|| v.to_owned())
            })
        })
    }

    fn is_sp(&self) -> bool {
        self.merchant.model == MerchantModel::Sp
    }

    /// One more call of `api` about `key` by this (authenticated) merchant.
    fn count(&self, api: Api, key: &str) {
        self.state
            .api_calls
            .record(&self.merchant.merc_no, api, key);
    }
}

fn lifecycle_rejection(e: LifecycleError) -> Rejection {
    match e {
        LifecycleError::Rejected(r) => r,
        other => Rejection::unavailable(other.to_string()),
    }
}

/// A signed Payment Kit answer (HTTP 200, as Payment Kit answers business errors too).
fn answer(state: &AppState, result: Result<serde_json::Value, Rejection>) -> Response {
    let value = match result {
        Ok(v) => v,
        Err(r) => {
            let mut envelope = ResponseEnvelope::error(r.sub_code.clone(), r.description.clone());
            if envelope.result_code != r.result_code {
                envelope.result_code = r.result_code.clone();
                envelope.result_desc = Some(match r.result_code {
                    ResultCode::ServiceUnavailable => "Service unavailable.".to_owned(),
                    _ => r.result_code.as_str().to_owned(),
                });
            }
            serde_json::to_value(envelope).unwrap_or_default()
        }
    };
    match state.signer.sign_json(&value) {
        Ok(body) => (
            StatusCode::OK,
            [(header::CONTENT_TYPE, "application/json;charset=UTF-8")],
            body,
        )
            .into_response(),
        Err(e) => (StatusCode::INTERNAL_SERVER_ERROR, format!("sandbox: {e}")).into_response(),
    }
}

fn to_value<T: Serialize>(v: &T) -> Result<serde_json::Value, Rejection> {
    serde_json::to_value(v).map_err(|e| Rejection::unavailable(e.to_string()))
}

async fn serve(state: Arc<AppState>, req: Request, endpoint: Endpoint) -> Response {
    if let Some(ms) = state.faults.take_delay() {
        tokio::time::sleep(Duration::from_millis(ms)).await;
    }
    match state.faults.take_before() {
        Before::FrequencyLimited => {
            return answer(
                &state,
                Err(Rejection::new(
                    SubCode::CallFrequencyLimited,
                    "call frequency limited (sandbox fault)",
                )),
            )
        }
        Before::Unavailable => {
            return answer(
                &state,
                Err(Rejection::unavailable(
                    "service unavailable (sandbox fault)",
                )),
            )
        }
        Before::None => {}
    }
    let (parts, body) = req.into_parts();
    let read = paysign_serve::read_body(&parts.headers, body, MAX_BODY, state.body_timeout).await;
    let result = match read {
        Err(e) => Err(Rejection::argument(e.to_string())),
        Ok(bytes) => handle(
            &state,
            endpoint,
            &parts.method,
            &parts.uri,
            &parts.headers,
            bytes,
        ),
    };
    let response = answer(&state, result);
    if state.faults.take_tamper() {
        let (parts, body) = response.into_parts();
        let bytes = to_bytes(body, MAX_BODY).await.unwrap_or_default();
        return Response::from_parts(parts, Body::from(faults::tamper(&bytes)));
    }
    response
}

fn handle(
    state: &AppState,
    endpoint: Endpoint,
    method: &axum::http::Method,
    uri: &axum::http::Uri,
    headers: &HeaderMap,
    bytes: Bytes,
) -> Result<serde_json::Value, Rejection> {
    // Payment Kit documents `application/json; charset=UTF-8` on every request (spec §4); a
    // body declared otherwise is refused rather than guessed at.
    let content_type = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok());
    if !bytes.is_empty() && !paysign_serve::is_json_utf8(content_type) {
        return Err(Rejection::argument(
            "Content-Type must be application/json; charset=UTF-8",
        ));
    }
    let body = String::from_utf8(bytes.to_vec())
        .map_err(|_| Rejection::argument("the request body must be UTF-8"))?;
    let http_method = HttpMethod::parse(method.as_str())
        .ok_or_else(|| Rejection::argument("only GET and POST are used"))?;
    let header = match headers.get("PayMercAuth") {
        None => None,
        Some(v) => Some(v.to_str().map_err(|_| {
            Rejection::new(SubCode::InvalidAuthHeader, "PayMercAuth is not ASCII JSON")
        })?),
    };
    let path_and_query = uri.path_and_query().map_or(uri.path(), |p| p.as_str());
    let (merchant, _auth) = auth::authenticate(
        &state.store,
        header,
        http_method,
        path_and_query,
        &body,
        state.max_clock_skew_ms,
    )?;
    let allowed = matches!(
        (endpoint.model(), merchant.model),
        (PasModel::Direct, MerchantModel::Direct) | (PasModel::ServiceProvider, MerchantModel::Sp)
    );
    if !allowed {
        return Err(Rejection::new(
            SubCode::InsufficientPermission,
            "this API is for the other merchant model",
        ));
    }
    let call = Call {
        state,
        merchant,
        path: uri.path().to_owned(),
        query: uri.query().map(str::to_owned),
        body,
    };
    match endpoint {
        Endpoint::Prepay(_, channel) => prepay(&call, channel),
        Endpoint::QueryOrder(m) => query_order(&call, m),
        Endpoint::Refund(_) => refund(&call),
        Endpoint::QueryRefund(m) => query_refund(&call, m),
        Endpoint::QueryContract(m) => query_contract(&call, m),
        Endpoint::Unsign(_) => unsign(&call),
        Endpoint::Withhold(_) => withhold(&call),
        Endpoint::Bill(_, kind) => bill(&call, kind),
    }
}

fn prepay(call: &Call<'_>, channel: PrepayChannel) -> Result<serde_json::Value, Rejection> {
    let (party, order) = if call.is_sp() {
        let req: PartnerPrepayRequest = call.json()?;
        req.validate()?;
        (
            PrepayParty {
                merc_no: req.sp_merc_no,
                app_id: req.sp_app_id,
                sub_merc_no: Some(req.sub_merc_no),
                sub_app_id: req.sub_app_id,
            },
            req.order,
        )
    } else {
        let req: PrepayRequest = call.json()?;
        req.validate()?;
        (
            PrepayParty {
                merc_no: req.merc_no,
                app_id: req.app_id,
                sub_merc_no: None,
                sub_app_id: None,
            },
            req.order,
        )
    };
    call.count(Api::Prepay, &order.merc_order_no);
    let created = call
        .state
        .lifecycle
        .create_order(&call.merchant, channel, party, &order)
        .map_err(lifecycle_rejection)?;
    to_value(&PrepayResponse {
        envelope: ResponseEnvelope::success(),
        prepay_id: created.prepay_id,
        merc_order_no: Some(created.merc_order_no),
    })
}

fn wire_order_status(s: OrderStatus) -> WireOrderStatus {
    match s {
        OrderStatus::TrxApply => WireOrderStatus::Applied,
        OrderStatus::TrxProc => WireOrderStatus::Processing,
        OrderStatus::TrxSuccess => WireOrderStatus::Success,
        OrderStatus::TrxFailed => WireOrderStatus::Failed,
    }
}

fn query_order(call: &Call<'_>, model: PasModel) -> Result<serde_json::Value, Rejection> {
    let prefix = match model {
        PasModel::Direct => ep::DIRECT_QUERY_ORDER_PREFIX,
        PasModel::ServiceProvider => ep::SP_QUERY_ORDER_PREFIX,
    };
    let no = call.path_param(prefix)?;
    call.count(Api::QueryOrder, &no);
    let sub = call.query_param("subMercNo");
    let o = match call
        .state
        .lifecycle
        .order(&call.merchant.merc_no, &no, sub.as_deref())
    {
        Ok(o) => o,
        // Withholding debits are queried like orders (spec §4.13).
        Err(LifecycleError::Rejected(r)) if r.sub_code == SubCode::MercOrderNotExist => {
            let debit = withhold::find(call.state, &call.merchant.merc_no, &no, sub.as_deref())
                .map_err(|e| Rejection::unavailable(e.to_string()))?
                .ok_or(r)?;
            return to_value(&withhold::query_response(&debit, call.is_sp()));
        }
        Err(e) => return Err(lifecycle_rejection(e)),
    };
    let paid = o.status == OrderStatus::TrxSuccess;
    let sp = call.is_sp();
    to_value(&QueryOrderResponse {
        envelope: ResponseEnvelope::success(),
        merc_order_no: o.merc_order_no.clone(),
        order_status: wire_order_status(o.status),
        currency: o.currency.clone(),
        total_amount: o.total_amount,
        merc_no: (!sp).then(|| o.merc_no.clone()),
        app_id: if sp { None } else { o.app_id.clone() },
        sp_merc_no: sp.then(|| o.merc_no.clone()),
        sub_merc_no: o.sub_merc_no.clone(),
        sp_app_id: if sp { o.app_id.clone() } else { None },
        sub_app_id: o.sub_app_id.clone(),
        sys_trans_order_no: Some(o.sys_trans_order_no.clone()),
        payload: o.payload.clone(),
        payer_amount: paid.then_some(o.total_amount),
        promotion_amount: paid.then_some(0),
        finish_time: o.finish_ms.map(clock::format_iso),
        payment_tools: paid.then_some(PaymentTool::Agreement),
        promotion_detail: None,
        payer: None,
    })
}

fn withhold(call: &Call<'_>) -> Result<serde_json::Value, Rejection> {
    let (party, order) = if call.is_sp() {
        let req: PartnerWithholdRequest = call.json()?;
        req.validate()?;
        (
            DebitParty {
                merc_no: req.sp_merc_no,
                app_id: req.app_id,
                sp_app_id: req.sp_app_id,
                sub_merc_no: Some(req.sub_merc_no),
                sub_app_id: req.sub_app_id,
            },
            req.order,
        )
    } else {
        let req: WithholdRequest = call.json()?;
        req.validate()?;
        (
            DebitParty {
                merc_no: req.merc_no,
                app_id: Some(req.app_id),
                sp_app_id: None,
                sub_merc_no: None,
                sub_app_id: None,
            },
            req.order,
        )
    };
    let debit = withhold::create(call.state, &call.merchant, party, &order)?;
    to_value(&WithholdResponse {
        envelope: ResponseEnvelope::success(),
        sys_trans_order_no: Some(debit.sys_trans_order_no),
        merc_order_no: Some(debit.merc_order_no),
    })
}

fn refund_response(r: &store::Refund) -> Result<serde_json::Value, Rejection> {
    to_value(&RefundResponse {
        envelope: ResponseEnvelope::success(),
        merc_refund_order_no: Some(r.merc_refund_order_no.clone()),
        sys_refund_order_no: Some(r.sys_refund_order_no.clone()),
        sys_trans_order_no: Some(r.sys_trans_order_no.clone()),
        merc_order_no: Some(r.merc_order_no.clone()),
        refund_amount: Some(r.refund_amount),
        payer_refund_amount: Some(r.refund_amount),
    })
}

fn refund(call: &Call<'_>) -> Result<serde_json::Value, Rejection> {
    let req: RefundRequest = call.json()?;
    req.validate()?;
    let r = call
        .state
        .lifecycle
        .create_refund(&call.merchant, &req)
        .map_err(lifecycle_rejection)?;
    refund_response(&r)
}

fn query_refund(call: &Call<'_>, model: PasModel) -> Result<serde_json::Value, Rejection> {
    let prefix = match model {
        PasModel::Direct => ep::DIRECT_QUERY_REFUND_PREFIX,
        PasModel::ServiceProvider => ep::SP_QUERY_REFUND_PREFIX,
    };
    let no = call.path_param(prefix)?;
    call.count(Api::QueryRefund, &no);
    let r = call
        .state
        .lifecycle
        .refund(&call.merchant.merc_no, &no)
        .map_err(lifecycle_rejection)?;
    let currency = call
        .state
        .store
        .run(|c| store::order(c, &r.merc_no, &r.merc_order_no))
        .ok()
        .flatten()
        .map(|o| o.currency);
    to_value(&QueryRefundResponse {
        envelope: ResponseEnvelope::success(),
        refund_order_status: match r.status {
            RefundStatus::RefundChlProc => WireRefundStatus::Processing,
            RefundStatus::RefundSuccess => WireRefundStatus::Success,
            RefundStatus::RefundFailed => WireRefundStatus::Failed,
        },
        sys_refund_order_no: Some(r.sys_refund_order_no.clone()),
        merc_refund_order_no: Some(r.merc_refund_order_no.clone()),
        finish_time: r.finish_ms.map(clock::format_iso),
        refund_amount: Some(r.refund_amount),
        payer_refund_amount: Some(r.refund_amount),
        promotion_refund_amount: Some(0),
        currency,
        payload: r.payload.clone(),
    })
}

fn query_contract(call: &Call<'_>, model: PasModel) -> Result<serde_json::Value, Rejection> {
    let prefix = match model {
        PasModel::Direct => ep::DIRECT_QUERY_CONTRACT_PREFIX,
        PasModel::ServiceProvider => ep::SP_QUERY_CONTRACT_PREFIX,
    };
    let code = call.path_param(prefix)?;
    call.count(Api::QueryContract, &code);
    let sub = call.query_param("subMercNo");
    let k = call
        .state
        .lifecycle
        .contract(&call.merchant.merc_no, &code, sub.as_deref())
        .map_err(lifecycle_rejection)?;
    let sp = call.is_sp();
    to_value(&QueryContractResponse {
        envelope: ResponseEnvelope::success(),
        merc_contract_code: Some(k.merc_contract_code.clone()),
        contract_id: k.contract_id.clone(),
        plan_id: Some(k.plan_id.clone()),
        sign_status: Some(match k.status {
            ContractStatus::Unsigned => SignStatus::Unsigned,
            ContractStatus::Signed | ContractStatus::Pending => SignStatus::Signed,
        }),
        signed_time: k.signed_ms.map(clock::format_plain),
        expire_date: k.expire_date_ms.map(clock::format_date),
        merc_no: (!sp).then(|| k.merc_no.clone()),
        app_id: if sp { None } else { k.app_id.clone() },
        sp_merc_no: sp.then(|| k.merc_no.clone()),
        sub_merc_no: k.sub_merc_no.clone(),
        payer: None,
    })
}

fn unsign(call: &Call<'_>) -> Result<serde_json::Value, Rejection> {
    let req = if call.is_sp() {
        let r: PartnerUnsignRequest = call.json()?;
        r.validate()?;
        UnsignRequest {
            contract_id: r.contract_id,
            merc_contract_code: r.merc_contract_code,
            merc_no: r.sp_merc_no,
            sub_merc_no: Some(r.sub_merc_no),
            callback_url: r.callback_url,
        }
    } else {
        let r: PasUnsignRequest = call.json()?;
        r.validate()?;
        UnsignRequest {
            contract_id: r.contract_id,
            merc_contract_code: r.merc_contract_code,
            merc_no: r.merc_no,
            sub_merc_no: None,
            callback_url: r.callback_url,
        }
    };
    let k = call
        .state
        .lifecycle
        .unsign_by_merchant(&call.merchant, req)
        .map_err(lifecycle_rejection)?;
    let sp = call.is_sp();
    to_value(&UnsignResponse {
        envelope: ResponseEnvelope::success(),
        merc_no: (!sp).then(|| k.merc_no.clone()),
        sp_merc_no: sp.then(|| k.merc_no.clone()),
        sub_merc_no: k.sub_merc_no.clone(),
        merc_contract_code: Some(k.merc_contract_code.clone()),
        plan_id: Some(k.plan_id.clone()),
    })
}

fn random_hex(bytes: usize) -> String {
    let mut rng = rand::rng();
    (0..bytes)
        .map(|_| format!("{:02x}", rng.random_range(0..=255u8)))
        .collect()
}

fn bill(call: &Call<'_>, kind: BillKind) -> Result<serde_json::Value, Rejection> {
    let raw = call
        .query_param("billDate")
        .ok_or_else(|| Rejection::argument("billDate is required"))?;
    let day = clock::parse_bill_date(&raw)
        .ok_or_else(|| Rejection::argument("billDate must be yyyyMMdd"))?;
    let now = call.state.clock.now_ms();
    let today =
        clock::beijing_day(now).ok_or_else(|| Rejection::unavailable("clock out of range"))?;
    if day >= today {
        return Err(Rejection::argument(
            "there is no bill for today or a later day",
        ));
    }
    if (today - day).num_days() > rules::BILL_WINDOW_DAYS {
        return Err(Rejection::argument("billDate is more than 90 days ago"));
    }
    let enabled = match kind {
        BillKind::Trade => call.merchant.trade_bill_enabled,
        BillKind::Settle => call.merchant.settle_bill_enabled,
    };
    if !enabled {
        return Err(Rejection::new(
            SubCode::BillSwitchNotTurnOn,
            "the bill switch is off for this merchant",
        ));
    }
    if kind == BillKind::Settle {
        let ready = day
            .succ_opt()
            .and_then(|next| clock::beijing_day_at(next, rules::SETTLE_BILL_READY_HOUR))
            .unwrap_or(i64::MAX);
        if now < ready {
            return Err(Rejection::new(
                SubCode::NotSettlementDate,
                "the settle bill of that day is generated at 15:00 the next day",
            ));
        }
    }
    let sub = match (call.is_sp(), call.query_param("subMercNo")) {
        (true, Some(sub)) => {
            if call.merchant.sub_merchant(&sub).is_none() {
                return Err(Rejection::new(
                    SubCode::InvalidSubMercNo,
                    "the sub-merchant does not belong to the service provider",
                ));
            }
            Some(sub)
        }
        _ => None,
    };
    let grant = BillGrant {
        token: random_hex(16),
        authorization: format!("OBS SANDBOX:{}", random_hex(20)),
        merc_no: call.merchant.merc_no.clone(),
        kind: kind.as_str().to_owned(),
        bill_date: raw.clone(),
        sub_merc_no: sub,
        expires_ms: clock::system_ms() + rules::BILL_LINK_VALIDITY_MS,
    };
    call.state
        .store
        .run(|c| store::insert_bill_grant(c, &grant))
        .map_err(|e| Rejection::unavailable(e.to_string()))?;
    let host = call
        .state
        .public_url
        .split_once("://")
        .map_or(call.state.public_url.as_str(), |(_, rest)| rest)
        .trim_end_matches('/')
        .to_owned();
    let amz_date = chrono::Utc::now().format("%Y%m%dT%H%M%SZ").to_string();
    let headers = BTreeMap::from([
        ("Authorization".to_owned(), grant.authorization.clone()),
        (
            "x-amz-content-sha256".to_owned(),
            "UNSIGNED-PAYLOAD".to_owned(),
        ),
        ("x-amz-client-request-id".to_owned(), grant.token.clone()),
        ("x-amz-date".to_owned(), amz_date),
        ("Host".to_owned(), host),
    ]);
    to_value(&BillDownloadInfoResponse {
        envelope: ResponseEnvelope::success(),
        bill_download_param: Some(BillDownloadParam {
            headers,
            method: "GET".to_owned(),
            download_url: format!("{}/obs/bills/{}", call.state.public_url, grant.token),
        }),
    })
}

#[derive(Debug, Serialize, Deserialize)]
struct ObsError {
    code: &'static str,
    message: String,
}

fn obs_error(status: StatusCode, code: &'static str, message: impl Into<String>) -> Response {
    (
        status,
        axum::Json(ObsError {
            code,
            message: message.into(),
        }),
    )
        .into_response()
}

/// The bill file, for the headers the downloadInfo answer gave (like an OBS pre-signed GET).
async fn download_bill(
    State(state): State<Arc<AppState>>,
    Path(token): Path<String>,
    headers: HeaderMap,
) -> Response {
    let grant = match state.store.run(|c| store::bill_grant(c, &token)) {
        Ok(Some(g)) => g,
        Ok(None) => return obs_error(StatusCode::NOT_FOUND, "NoSuchKey", "no such bill"),
        Err(e) => {
            return obs_error(
                StatusCode::INTERNAL_SERVER_ERROR,
                "InternalError",
                e.to_string(),
            )
        }
    };
    if clock::system_ms() > grant.expires_ms {
        return obs_error(
            StatusCode::FORBIDDEN,
            "AccessDenied",
            "the download link expired",
        );
    }
    let auth = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok());
    if auth != Some(grant.authorization.as_str()) {
        return obs_error(
            StatusCode::FORBIDDEN,
            "SignatureDoesNotMatch",
            "the Authorization header is not the one given",
        );
    }
    for required in ["x-amz-date", "x-amz-content-sha256"] {
        if !headers.contains_key(required) {
            return obs_error(
                StatusCode::FORBIDDEN,
                "AccessDenied",
                format!("missing header {required}"),
            );
        }
    }
    let Some(day) = clock::parse_bill_date(&grant.bill_date) else {
        return obs_error(
            StatusCode::INTERNAL_SERVER_ERROR,
            "InternalError",
            "bad bill date",
        );
    };
    let kind = BillKind::parse(&grant.kind).unwrap_or(BillKind::Trade);
    let built = state.store.run(|c| {
        let merchant = store::merchant(c, &grant.merc_no)?
            .ok_or_else(|| store::StoreError::Corrupt(format!("merchant {}", grant.merc_no)))?;
        Ok(bills::lines(
            c,
            &merchant,
            kind,
            day,
            grant.sub_merc_no.as_deref(),
        ))
    });
    let rows = match built {
        Ok(Ok(rows)) => rows,
        Ok(Err(e)) => {
            return obs_error(
                StatusCode::INTERNAL_SERVER_ERROR,
                "InternalError",
                e.to_string(),
            )
        }
        Err(e) => {
            return obs_error(
                StatusCode::INTERNAL_SERVER_ERROR,
                "InternalError",
                e.to_string(),
            )
        }
    };
    match bills::zip(&grant.merc_no, &grant.bill_date, kind, &rows) {
        Ok(bytes) => (
            StatusCode::OK,
            [(header::CONTENT_TYPE, "application/zip")],
            bytes,
        )
            .into_response(),
        Err(e) => obs_error(
            StatusCode::INTERNAL_SERVER_ERROR,
            "InternalError",
            e.to_string(),
        ),
    }
}
