//! The phone's Payment Kit cashier as an HTTP call: `POST /sandbox/cashier` with
//! `{"orderStr": "...", "decision": "PAY_AND_SIGN"}` does what `paymentService.requestPayment`
//! would do with that orderStr, and answers what it would resolve or reject with:
//! `{"code": 0}` or `{"code": <Payment Kit code>, "message": "...", "reason": "..."}`.
//!
//! The orderStr is checked as Payment Kit checks it (spec §1.3 1001930001, §2) before any
//! decision: its `sign` verifies with the merchant's registered key over the canonical string,
//! `auth_id` is the merchant's certificate id, the prepay_id names an order of that merchant and
//! is at most 10 minutes old on the business clock, `app_id` is the order's, and the order is
//! still open. A refused orderStr changes nothing. The decision then drives `lifecycle` exactly
//! as the operator API does, so events, notifications and queries agree with what the app saw.

use std::sync::Arc;

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use axum::{Json, Router};
use paysign_crypto::PublicKey;
use paysign_serve::JsonObject;
use rusqlite::Connection;
use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::lifecycle::LifecycleError;
use crate::merchants::MerchantModel;
use crate::rules;
use crate::server::AppState;
use crate::store::{self, Order, OrderStatus, StoreError};

/// `requestPayment` resolved.
pub const OK: u32 = 0;
/// Parameter error: the orderStr is missing or not a JSON object of string fields.
pub const PARAMETER_ERROR: u32 = 401;
/// The user left the cashier.
pub const USER_CANCELED: u32 = 1_001_930_000;
/// Pay failed: a bad orderStr (sign, key, prepay_id, app_id...) or a failed payment.
pub const PAY_FAILED: u32 = 1_001_930_001;
/// The transaction has been processed: the same order in two cashiers at once.
pub const ALREADY_PROCESSED: u32 = 1_001_930_002;
/// Network connection error.
pub const NETWORK_ERROR: u32 = 1_001_930_011;

/// Payment Kit's own message for each code (spec §1.2).
pub fn message(code: u32) -> &'static str {
    match code {
        OK => "",
        PARAMETER_ERROR => "Parameter error.",
        USER_CANCELED => "The operation was canceled by the user.",
        PAY_FAILED => "Pay failed.",
        ALREADY_PROCESSED => "The transaction has been processed.",
        NETWORK_ERROR => "Network connection error.",
        _ => "Unknown error.",
    }
}

/// What the tester makes the user (and the network) do in the cashier.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum Decision {
    /// Pays and signs the contract: resolves.
    PayAndSign,
    /// Pays, declines to sign: resolves (the app learns the contract state from the server).
    PayOnly,
    /// Leaves the cashier: 1001930000, nothing paid.
    Cancel,
    /// The payment fails: 1001930001, the order closes `TRX_FAILED` (no notification).
    Fail,
    /// Pays and signs, but the app's connection drops: 1001930011.
    PaidNetworkError,
    /// Payment Kit says the order is already being processed: 1001930002, nothing changes.
    AlreadyProcessed,
}

impl Decision {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::PayAndSign => "PAY_AND_SIGN",
            Self::PayOnly => "PAY_ONLY",
            Self::Cancel => "CANCEL",
            Self::Fail => "FAIL",
            Self::PaidNetworkError => "PAID_NETWORK_ERROR",
            Self::AlreadyProcessed => "ALREADY_PROCESSED",
        }
    }
}

/// What the cashier answers: the app's `requestPayment` result.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CashierAnswer {
    /// 0 when `requestPayment` resolves, else the BusinessError code.
    pub code: u32,
    /// The BusinessError message (absent on success).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub message: Option<String>,
    /// For the tester: which check refused the orderStr, or what the decision did. Payment Kit
    /// tells the app nothing of the kind; the HAR does not pass it on as the error message.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
}

impl CashierAnswer {
    fn new(code: u32, reason: impl Into<String>) -> Self {
        Self {
            code,
            message: (code != OK).then(|| message(code).to_owned()),
            reason: Some(reason.into()),
        }
    }
}

/// Why an orderStr is refused before any decision.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Refusal {
    /// Not an orderStr at all (401).
    Malformed(String),
    /// A well-formed orderStr Payment Kit would not open (1001930001).
    Invalid(String),
}

impl Refusal {
    fn answer(self) -> CashierAnswer {
        match self {
            Self::Malformed(why) => CashierAnswer::new(PARAMETER_ERROR, why),
            Self::Invalid(why) => CashierAnswer::new(PAY_FAILED, why),
        }
    }
}

/// The order an orderStr opens the cashier for, after every check Payment Kit makes.
/// Reads only; `now_ms` is the business clock.
pub fn check(
    c: &Connection,
    order_str: &str,
    now_ms: i64,
) -> Result<Result<Order, Refusal>, StoreError> {
    let fields = match parse(order_str) {
        Ok(f) => f,
        Err(r) => return Ok(Err(r)),
    };
    let invalid = |why: &str| Ok(Err(Refusal::Invalid(why.to_owned())));
    if fields.timestamp.len() != 13 || !fields.timestamp.bytes().all(|b| b.is_ascii_digit()) {
        return invalid("timestamp must be 13 digits of milliseconds");
    }
    if fields.noncestr.is_empty() || fields.noncestr.chars().count() > 32 {
        return invalid("noncestr must be 1 to 32 characters");
    }
    let Some(merchant) = store::merchant(c, &fields.merc_no)? else {
        return invalid("merc_no is not a registered merchant");
    };
    if fields.auth_id != merchant.auth_id {
        return invalid("auth_id is not the merchant's certificate id");
    }
    let Ok(key) = PublicKey::from_text(&merchant.public_key) else {
        return invalid("the merchant's registered public key cannot be read");
    };
    if paysign_crypto::verify_body(order_str, &key).is_err() {
        return invalid("sign does not verify with the merchant's public key");
    }
    let Some(order) = store::order_by_prepay_id(c, &fields.merc_no, &fields.prepay_id)? else {
        return invalid("prepay_id names no order of this merchant");
    };
    if now_ms.saturating_sub(order.prepay_issued_ms) > rules::PREPAY_VALIDITY_MS {
        return invalid("prepay_id is older than 10 minutes");
    }
    let app_id_ok = match merchant.model {
        MerchantModel::Direct => fields.app_id.is_some() && fields.app_id == order.app_id,
        // A provider's orderStr carries the sub-merchant's app id when the pre-order had one
        // (paysign-pas's infer note 4); without one, none or the provider's own.
        MerchantModel::Sp => match &order.sub_app_id {
            Some(sub_app) => fields.app_id.as_ref() == Some(sub_app),
            None => fields.app_id.is_none() || fields.app_id == order.app_id,
        },
    };
    if !app_id_ok {
        return invalid("app_id is not the order's app id");
    }
    match order.status {
        OrderStatus::TrxSuccess => invalid("the order is already paid"),
        OrderStatus::TrxFailed => invalid("the order is closed"),
        _ if now_ms >= order.expire_at_ms => invalid("the order has expired"),
        _ => Ok(Ok(order)),
    }
}

struct Fields {
    app_id: Option<String>,
    merc_no: String,
    prepay_id: String,
    timestamp: String,
    noncestr: String,
    auth_id: String,
}

/// The orderStr as a JSON object whose members are strings, with every required one present.
fn parse(order_str: &str) -> Result<Fields, Refusal> {
    let malformed = |why: &str| Refusal::Malformed(why.to_owned());
    let Ok(Value::Object(map)) = serde_json::from_str::<Value>(order_str) else {
        return Err(malformed("orderStr is not a JSON object"));
    };
    if let Some((name, _)) = map.iter().find(|(_, v)| !v.is_string()) {
        return Err(Refusal::Malformed(format!(
            "orderStr field {name} is not a string"
        )));
    }
    let text = |name: &str| map.get(name).and_then(Value::as_str).map(str::to_owned);
    let required = |name: &'static str| {
        text(name).ok_or_else(|| Refusal::Malformed(format!("orderStr has no {name}")))
    };
    required("sign")?;
    Ok(Fields {
        app_id: text("app_id"),
        merc_no: required("merc_no")?,
        prepay_id: required("prepay_id")?,
        timestamp: required("timestamp")?,
        noncestr: required("noncestr")?,
        auth_id: required("auth_id")?,
    })
}

/// Checks the orderStr, then plays the decision. `Err` only for the sandbox's own failures.
pub fn run(
    state: &AppState,
    order_str: &str,
    decision: Decision,
) -> Result<(CashierAnswer, Option<Order>), LifecycleError> {
    let now = state.clock.now_ms();
    let order = match state.store.run(|c| check(c, order_str, now))? {
        Ok(order) => order,
        Err(refusal) => return Ok((refusal.answer(), None)),
    };
    let (merc_no, order_no) = (order.merc_no.as_str(), order.merc_order_no.as_str());
    // Another cashier of the same order may have paid or closed it since the check: Payment Kit
    // answers "already processed" to the second of two cashiers of one order.
    let concurrent = |e: LifecycleError| match e {
        LifecycleError::Conflict(why) => Ok(CashierAnswer::new(ALREADY_PROCESSED, why)),
        other => Err(other),
    };
    let pay = || -> Result<Option<CashierAnswer>, LifecycleError> {
        match state.lifecycle.pay(merc_no, order_no) {
            Ok(_) => Ok(None),
            Err(e) => concurrent(e).map(Some),
        }
    };
    let answer = match decision {
        Decision::Cancel => CashierAnswer::new(USER_CANCELED, "the user left the cashier"),
        Decision::AlreadyProcessed => CashierAnswer::new(
            ALREADY_PROCESSED,
            "answered as already processed; nothing changed",
        ),
        Decision::Fail => match state.lifecycle.fail(merc_no, order_no) {
            Ok(_) => CashierAnswer::new(PAY_FAILED, "the payment failed; the order is closed"),
            Err(e) => concurrent(e)?,
        },
        Decision::PayOnly => match pay()? {
            Some(refused) => refused,
            None => CashierAnswer::new(OK, "paid; the user declined to sign"),
        },
        Decision::PayAndSign | Decision::PaidNetworkError => match pay()? {
            Some(refused) => refused,
            None => {
                state.lifecycle.sign(merc_no, &order.merc_contract_code)?;
                if decision == Decision::PayAndSign {
                    CashierAnswer::new(OK, "paid and signed")
                } else {
                    CashierAnswer::new(
                        NETWORK_ERROR,
                        "paid and signed; the app was told the network failed",
                    )
                }
            }
        },
    };
    Ok((answer, Some(order)))
}

pub fn routes() -> Router<Arc<AppState>> {
    Router::new().route("/sandbox/cashier", post(cashier))
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct CashierRequest {
    /// Anything: `requestPayment` answers 401 for a missing or non-string orderStr.
    #[serde(default)]
    order_str: Value,
    decision: Decision,
}

async fn cashier(
    State(s): State<Arc<AppState>>,
    body: Result<Json<JsonObject<CashierRequest>>, axum::extract::rejection::JsonRejection>,
) -> Response {
    let request = match body {
        Ok(Json(JsonObject(r))) => r,
        Err(e) => {
            let why = format!(
                "{} (send {{\"orderStr\": \"...\", \"decision\": \"PAY_AND_SIGN\" | \"PAY_ONLY\" | \
                 \"CANCEL\" | \"FAIL\" | \"PAID_NETWORK_ERROR\" | \"ALREADY_PROCESSED\"}})",
                e.body_text()
            );
            return (
                StatusCode::BAD_REQUEST,
                Json(serde_json::json!({ "error": why })),
            )
                .into_response();
        }
    };
    let Value::String(order_str) = request.order_str else {
        let answer = CashierAnswer::new(PARAMETER_ERROR, "orderStr must be a string");
        return Json(answer).into_response();
    };
    // Blocking SQLite and signing work off the async workers.
    let state = Arc::clone(&s);
    let decision = request.decision;
    let ran = tokio::task::spawn_blocking(move || run(&state, &order_str, decision)).await;
    match ran {
        Ok(Ok((answer, order))) => {
            if s.log_requests {
                // Never the orderStr, its sign or prepay_id: the order number and the result.
                let order = order.map_or_else(
                    || "-".to_owned(),
                    |o| format!("{} {}", o.merc_no, o.merc_order_no),
                );
                eprintln!(
                    "paysign-sandbox: cashier {} {order} -> {}",
                    decision.as_str(),
                    answer.code
                );
            }
            Json(answer).into_response()
        }
        Ok(Err(e)) => crate::operator::OpError::from(e).into_response(),
        Err(e) => (
            StatusCode::INTERNAL_SERVER_ERROR,
            Json(serde_json::json!({ "error": format!("cashier task: {e}") })),
        )
            .into_response(),
    }
}
