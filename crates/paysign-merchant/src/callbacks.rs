//! Payment Kit notifications (spec §5): the raw body is verified with Huawei's SM2 key before
//! anything reads it, then checked against what this server stored (merchant, app, amount,
//! currency), then applied in one transaction together with its `callbackId`, whose primary key
//! makes a repeated notification — concurrent, or on another instance — apply once and still be
//! answered success. Raw bodies are kept for audit; logs carry ids and reasons, never bodies.

use axum::body::Bytes;
use axum::extract::State;
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use paysign_pas::callback::{self, CallbackError, REPLY_CONTENT_TYPE, SUCCESS_REPLY};
use paysign_pas::model::notify::NotificationHeader;
use paysign_pas::model::{
    ChangeMode, ContractSignedNotification, OrderStatus, PaymentNotification, RefundNotification,
    RefundStatus, UnsignNotification,
};
use std::sync::Arc;

use crate::config::Model;
use crate::db::WriteTx;
use crate::server::AppState;
use crate::store::{self, Result as DbResult};
use crate::time;

/// A callbackId longer than this is refused (Payment Kit's are about 27 characters).
pub const MAX_CALLBACK_ID: usize = 128;

/// Which endpoint a notification came to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Endpoint {
    /// Pay-and-sign payments and withholding debits.
    Payment,
    /// Signed and unsigned contracts.
    Contract,
    Refund,
}

impl Endpoint {
    pub fn as_str(self) -> &'static str {
        match self {
            Endpoint::Payment => "payment",
            Endpoint::Contract => "contract",
            Endpoint::Refund => "refund",
        }
    }
}

/// How a notification ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    /// Recorded and applied (the state may not have changed if it already had moved on).
    Applied { changed: bool },
    /// Its callbackId was recorded before: nothing applied, success answered.
    Duplicate,
    /// Not answered success: Payment Kit will deliver it again.
    Refused(Refusal),
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Refusal {
    /// Not signed by Huawei's key, not JSON, not plain, or not this endpoint's shape.
    Invalid(String),
    /// Verified, but about an order, contract or refund this server does not have.
    Unknown(String),
    /// Verified, but it contradicts the stored order (merchant, app, amount or currency).
    Mismatch(String),
    /// The database failed; nothing was applied.
    Internal,
}

impl Refusal {
    fn label(&self) -> &'static str {
        match self {
            Refusal::Invalid(_) => "invalid",
            Refusal::Unknown(_) => "unknown",
            Refusal::Mismatch(_) => "mismatch",
            Refusal::Internal => "error",
        }
    }
}

pub async fn payment(State(state): State<Arc<AppState>>, body: Bytes) -> Response {
    answer(receive(&state, Endpoint::Payment, &body).await)
}

pub async fn contract(State(state): State<Arc<AppState>>, body: Bytes) -> Response {
    answer(receive(&state, Endpoint::Contract, &body).await)
}

pub async fn refund(State(state): State<Arc<AppState>>, body: Bytes) -> Response {
    answer(receive(&state, Endpoint::Refund, &body).await)
}

fn answer(outcome: Outcome) -> Response {
    match outcome {
        Outcome::Applied { .. } | Outcome::Duplicate => (
            StatusCode::OK,
            [(header::CONTENT_TYPE, REPLY_CONTENT_TYPE)],
            SUCCESS_REPLY,
        )
            .into_response(),
        Outcome::Refused(r) => {
            let status = match r {
                Refusal::Internal => StatusCode::INTERNAL_SERVER_ERROR,
                Refusal::Unknown(_) => StatusCode::NOT_FOUND,
                _ => StatusCode::BAD_REQUEST,
            };
            let body = serde_json::json!({"resultCode": "FAIL", "resultDesc": r.label()});
            (status, axum::Json(body)).into_response()
        }
    }
}

/// Verifies, checks and applies one notification body.
pub async fn receive(state: &AppState, endpoint: Endpoint, raw: &[u8]) -> Outcome {
    let outcome = process(state, endpoint, raw).await;
    let label = match &outcome {
        Outcome::Applied { changed: true } => "applied",
        Outcome::Applied { changed: false } => "no_change",
        Outcome::Duplicate => "duplicate",
        Outcome::Refused(r) => r.label(),
    };
    state.metrics.callback(endpoint.as_str(), label);
    if let Outcome::Refused(r) = &outcome {
        // The reason names fields and order numbers, never the body or its sign.
        match r {
            Refusal::Internal => {
                tracing::error!(
                    kind = endpoint.as_str(),
                    "callback not applied: database error"
                )
            }
            Refusal::Mismatch(why) => {
                // Signed by Huawei yet contradicting what this server stored: someone must look.
                tracing::error!(
                    kind = endpoint.as_str(),
                    reason = %why,
                    "verified callback contradicts the stored order; not applied"
                )
            }
            Refusal::Invalid(why) | Refusal::Unknown(why) => {
                tracing::warn!(
                    kind = endpoint.as_str(),
                    result = r.label(),
                    reason = %why,
                    bytes = raw.len(),
                    "callback refused"
                )
            }
        }
    }
    outcome
}

async fn process(state: &AppState, endpoint: Endpoint, raw: &[u8]) -> Outcome {
    // The signature first: nothing below reads a field Huawei did not sign.
    let (text, map) = match callback::verify(raw, &state.settings.huawei_key) {
        Ok(v) => v,
        Err(e) => return Outcome::Refused(Refusal::Invalid(short(&e))),
    };
    // The verified body is typed from the tree `verify` already parsed, not parsed again.
    let body = serde_json::Value::Object(map);
    let callback_id_ok = body
        .get("callbackId")
        .and_then(|v| v.as_str())
        .is_some_and(|id| !id.is_empty() && id.len() <= MAX_CALLBACK_ID);
    if !callback_id_ok {
        return Outcome::Refused(Refusal::Invalid(
            "callbackId missing or too long".to_owned(),
        ));
    }
    let result = match endpoint {
        Endpoint::Payment => match typed::<PaymentNotification>(&body) {
            Ok(n) => on_payment(state, &n, &text).await,
            Err(e) => Ok(Outcome::Refused(Refusal::Invalid(format!(
                "payment shape: {e}"
            )))),
        },
        Endpoint::Contract => {
            let mode = body
                .get("changeMode")
                .and_then(|v| v.as_str())
                .map(ChangeMode::parse);
            match mode {
                None | Some(ChangeMode::UserSign) => {
                    match typed::<ContractSignedNotification>(&body) {
                        Ok(n) => on_signed(state, &n, &text).await,
                        Err(e) => Ok(Outcome::Refused(Refusal::Invalid(format!(
                            "contract shape: {e}"
                        )))),
                    }
                }
                Some(
                    ChangeMode::UserUnsign
                    | ChangeMode::MerchantApiUnsign
                    | ChangeMode::PlatformUnsign,
                ) => match typed::<UnsignNotification>(&body) {
                    Ok(n) => on_unsigned(state, &n, &text).await,
                    Err(e) => Ok(Outcome::Refused(Refusal::Invalid(format!(
                        "unsign shape: {e}"
                    )))),
                },
                // An unknown changeMode is never read as "signed".
                Some(ChangeMode::Other(other)) => Ok(Outcome::Refused(Refusal::Invalid(format!(
                    "unknown changeMode {other:?}"
                )))),
            }
        }
        Endpoint::Refund => match typed::<RefundNotification>(&body) {
            Ok(n) => on_refund(state, &n, &text).await,
            Err(e) => Ok(Outcome::Refused(Refusal::Invalid(format!(
                "refund shape: {e}"
            )))),
        },
    };
    result.unwrap_or_else(|e| {
        tracing::error!(error = %e, "callback transaction failed");
        Outcome::Refused(Refusal::Internal)
    })
}

/// Types a verified body from its parsed tree (`Deserialize` on `&Value` borrows, copying only
/// the strings the struct keeps).
fn typed<T: serde::de::DeserializeOwned>(body: &serde_json::Value) -> serde_json::Result<T> {
    T::deserialize(body)
}

fn short(e: &CallbackError) -> String {
    match e {
        CallbackError::NotJson(_) => "not a JSON object".to_owned(),
        other => other.to_string(),
    }
}

/// The merchant fields of a notification agree with the configuration (absent ones are not
/// checked: Payment Kit marks several optional).
fn check_parties(
    state: &AppState,
    merc_no: Option<&str>,
    app_id: Option<&str>,
    sp_merc_no: Option<&str>,
    sub_merc_no: Option<&str>,
) -> Result<(), String> {
    let m = &state.settings.config.merchant;
    let same = |field: &str, got: Option<&str>, want: Option<&str>| match (got, want) {
        (Some(g), Some(w)) if g != w => Err(format!("{field} {g:?} is not this merchant's")),
        (Some(g), None) => Err(format!("{field} {g:?} is not expected for this merchant")),
        _ => Ok(()),
    };
    match m.model {
        Model::Direct => {
            same("mercNo", merc_no, Some(&m.merc_no))?;
            same("appId", app_id, Some(&m.app_id))?;
            same("spMercNo", sp_merc_no, None)
        }
        Model::ServiceProvider => {
            same("spMercNo", sp_merc_no, Some(&m.merc_no))?;
            same("subMercNo", sub_merc_no, m.sub_merc_no.as_deref())?;
            same("mercNo", merc_no, None)
        }
    }
}

/// Records the notification in the transaction that applied it, and commits; a callbackId
/// recorded before rolls everything back (it was applied then) and answers as a duplicate. The
/// state change comes first and the record second: both orders are safe (the change is
/// conditional, the record unique) and this one needs no second write for the outcome.
async fn record(
    mut tx: WriteTx,
    n: &NotificationHeader,
    kind: &str,
    subject: &str,
    raw: &str,
    changed: bool,
) -> DbResult<Outcome> {
    let outcome = if changed { "APPLIED" } else { "NO_CHANGE" };
    let now = time::now_ms();
    if store::insert_callback(&mut tx, &n.callback_id, kind, subject, outcome, now, raw).await? {
        tx.commit().await?;
        Ok(Outcome::Applied { changed })
    } else {
        tx.rollback().await?;
        Ok(Outcome::Duplicate)
    }
}

async fn on_payment(state: &AppState, n: &PaymentNotification, raw: &str) -> DbResult<Outcome> {
    if let Err(why) = check_parties(
        state,
        n.merc_no.as_deref(),
        n.app_id.as_deref(),
        n.sp_merc_no.as_deref(),
        n.sub_merc_no.as_deref(),
    ) {
        return Ok(Outcome::Refused(Refusal::Mismatch(why)));
    }
    let no = n.merc_order_no.as_str();
    // A pay-and-sign order, or a withholding debit: both are payment orders to Payment Kit.
    let (amount, currency, is_debit) = if let Some(o) = store::order(&state.db, no).await? {
        (o.amount_fen, o.currency, false)
    } else if let Some(d) = store::debit(&state.db, no).await? {
        (d.amount_fen, d.currency, true)
    } else {
        return Ok(Outcome::Refused(Refusal::Unknown(format!("order {no}"))));
    };
    if n.total_amount != amount || n.currency != currency {
        return Ok(Outcome::Refused(Refusal::Mismatch(format!(
            "order {no}: notified {} {} but stored {amount} {currency}",
            n.total_amount, n.currency
        ))));
    }
    let kind = if is_debit { "debit" } else { "payment" };
    let mut tx = state.db.begin_write().await?;
    let now = time::now_ms();
    let finish_ms = n
        .finish_time
        .as_deref()
        .and_then(time::parse_iso)
        .unwrap_or(now);
    let changed = match (&n.order_status, is_debit) {
        (OrderStatus::Success, false) => {
            store::mark_paid(
                &mut tx,
                no,
                Some(&n.sys_trans_order_no),
                n.finish_time.as_deref(),
                finish_ms,
                now,
            )
            .await?
        }
        (OrderStatus::Success, true) => {
            store::mark_debit_paid(
                &mut tx,
                no,
                Some(&n.sys_trans_order_no),
                n.finish_time.as_deref(),
                finish_ms,
                now,
            )
            .await?
        }
        (OrderStatus::Failed, false) => store::mark_not_paid(&mut tx, no, now).await?,
        (OrderStatus::Failed, true) => {
            store::mark_debit_failed(&mut tx, no, "TRX_FAILED", now).await?
        }
        _ => false,
    };
    if changed {
        tracing::info!(
            merc_order_no = no,
            kind,
            status = n.order_status.as_str(),
            "payment notified"
        );
    }
    record(tx, &n.header, kind, no, raw, changed).await
}

async fn on_signed(
    state: &AppState,
    n: &ContractSignedNotification,
    raw: &str,
) -> DbResult<Outcome> {
    if let Err(why) = check_parties(
        state,
        n.merc_no.as_deref(),
        n.app_id.as_deref(),
        n.sp_merc_no.as_deref(),
        n.sub_merc_no.as_deref(),
    ) {
        return Ok(Outcome::Refused(Refusal::Mismatch(why)));
    }
    let Some(code) = n.merc_contract_code.as_deref() else {
        return Ok(Outcome::Refused(Refusal::Unknown(
            "a contract notification without mercContractCode".to_owned(),
        )));
    };
    let Some(stored) = store::contract(&state.db, code).await? else {
        return Ok(Outcome::Refused(Refusal::Unknown(format!(
            "contract {code}"
        ))));
    };
    if let Some(plan) = &n.plan_id {
        if *plan != stored.plan_id {
            return Ok(Outcome::Refused(Refusal::Mismatch(format!(
                "contract {code}: plan {plan:?} is not the stored one"
            ))));
        }
    }
    let mut tx = state.db.begin_write().await?;
    let now = time::now_ms();
    let changed = store::mark_signed(&mut tx, code, &n.contract_id, &n.operate_time, now).await?;
    if changed {
        tracing::info!(merc_contract_code = code, "contract signed");
    }
    record(tx, &n.header, "contract", code, raw, changed).await
}

async fn on_unsigned(state: &AppState, n: &UnsignNotification, raw: &str) -> DbResult<Outcome> {
    if let Err(why) = check_parties(
        state,
        n.merc_no.as_deref(),
        n.app_id.as_deref(),
        n.sp_merc_no.as_deref(),
        n.sub_merc_no.as_deref(),
    ) {
        return Ok(Outcome::Refused(Refusal::Mismatch(why)));
    }
    let Some(code) = n.merc_contract_code.as_deref() else {
        return Ok(Outcome::Refused(Refusal::Unknown(
            "an unsign notification without mercContractCode".to_owned(),
        )));
    };
    let Some(stored) = store::contract(&state.db, code).await? else {
        return Ok(Outcome::Refused(Refusal::Unknown(format!(
            "contract {code}"
        ))));
    };
    if stored
        .contract_id
        .as_deref()
        .is_some_and(|id| id != n.contract_id)
    {
        return Ok(Outcome::Refused(Refusal::Mismatch(format!(
            "contract {code}: another contractId"
        ))));
    }
    let mut tx = state.db.begin_write().await?;
    let now = time::now_ms();
    let operate_time = n
        .operate_time
        .clone()
        .unwrap_or_else(|| time::format_plain(now));
    let changed =
        store::mark_unsigned(&mut tx, code, Some(&n.contract_id), &operate_time, now).await?;
    if changed {
        tracing::info!(merc_contract_code = code, "contract ended");
    }
    record(tx, &n.header, "unsign", code, raw, changed).await
}

async fn on_refund(state: &AppState, n: &RefundNotification, raw: &str) -> DbResult<Outcome> {
    if let Err(why) = check_parties(
        state,
        n.merc_no.as_deref(),
        None,
        n.sp_merc_no.as_deref(),
        n.sub_merc_no.as_deref(),
    ) {
        return Ok(Outcome::Refused(Refusal::Mismatch(why)));
    }
    let no = n.merc_refund_no.as_str();
    let Some(stored) = store::refund_by_no(&state.db, no).await? else {
        return Ok(Outcome::Refused(Refusal::Unknown(format!("refund {no}"))));
    };
    if n.refund_amount != stored.amount_fen {
        return Ok(Outcome::Refused(Refusal::Mismatch(format!(
            "refund {no}: notified {} but stored {}",
            n.refund_amount, stored.amount_fen
        ))));
    }
    let mut tx = state.db.begin_write().await?;
    let now = time::now_ms();
    let changed = match n.refund_order_status {
        RefundStatus::Success => {
            let finished = n
                .finish_time
                .as_deref()
                .and_then(time::parse_iso)
                .unwrap_or(now);
            store::mark_refund_success(&mut tx, no, n.sys_refund_no.as_deref(), finished, now)
                .await?
        }
        RefundStatus::Failed => {
            store::mark_refund_failed(&mut tx, no, "REFUND_FAILED", now).await?
        }
        _ => false,
    };
    if changed {
        tracing::info!(
            merc_refund_order_no = no,
            status = n.refund_order_status.as_str(),
            "refund notified"
        );
    }
    record(tx, &n.header, "refund", no, raw, changed).await
}
