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

use crate::commit::{Change, PaymentTerms, Verified};
use crate::config::Model;
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
    let coming = state.committer.coming();
    let verified = match check(state, endpoint, raw).await {
        Ok(v) => v,
        Err(refused) => return refused,
    };
    let (kind, subject, change) = (
        verified.kind,
        verified.subject.clone(),
        change_label(&verified.change),
    );
    // Answered only once the transaction holding it has committed (see `commit`).
    let outcome = state.committer.submit(verified, coming).await;
    if outcome == (Outcome::Applied { changed: true }) {
        tracing::info!(kind, subject = %subject, change, "callback applied");
    }
    outcome
}

fn change_label(change: &Change) -> &'static str {
    match change {
        Change::Paid { .. } | Change::DebitPaid { .. } => "PAID",
        Change::Payment(p) => match p.success {
            Some(true) => "PAID",
            Some(false) => "NOT_PAID",
            None => "NONE",
        },
        Change::NotPaid { .. } | Change::DebitFailed { .. } => "NOT_PAID",
        Change::Signed { .. } => "SIGNED",
        Change::Unsigned { .. } => "UNSIGNED",
        Change::RefundSucceeded { .. } => "REFUND_SUCCESS",
        Change::RefundFailed { .. } => "REFUND_FAILED",
        Change::Nothing => "NONE",
    }
}

/// Verifies a notification and checks it against what this server stored, without writing:
/// the change to store, or the refusal to answer. (Public for the batch tests.)
pub async fn check(state: &AppState, endpoint: Endpoint, raw: &[u8]) -> Result<Verified, Outcome> {
    // The signature first: nothing below reads a field Huawei did not sign.
    let (text, map) = match callback::verify(raw, &state.settings.huawei_key) {
        Ok(v) => v,
        Err(e) => return Err(Outcome::Refused(Refusal::Invalid(short(&e)))),
    };
    // The verified body is typed from the tree `verify` already parsed, not parsed again.
    let body = serde_json::Value::Object(map);
    let callback_id_ok = body
        .get("callbackId")
        .and_then(|v| v.as_str())
        .is_some_and(|id| !id.is_empty() && id.len() <= MAX_CALLBACK_ID);
    if !callback_id_ok {
        return Err(Outcome::Refused(Refusal::Invalid(
            "callbackId missing or too long".to_owned(),
        )));
    }
    let invalid = |what: &str, e: serde_json::Error| {
        Outcome::Refused(Refusal::Invalid(format!("{what} shape: {e}")))
    };
    let checked = match endpoint {
        Endpoint::Payment => {
            let n = typed::<PaymentNotification>(&body).map_err(|e| invalid("payment", e))?;
            on_payment(state, n).await
        }
        Endpoint::Contract => {
            let mode = body
                .get("changeMode")
                .and_then(|v| v.as_str())
                .map(ChangeMode::parse);
            match mode {
                None | Some(ChangeMode::UserSign) => {
                    let n = typed::<ContractSignedNotification>(&body)
                        .map_err(|e| invalid("contract", e))?;
                    on_signed(state, n).await
                }
                Some(
                    ChangeMode::UserUnsign
                    | ChangeMode::MerchantApiUnsign
                    | ChangeMode::PlatformUnsign,
                ) => {
                    let n = typed::<UnsignNotification>(&body).map_err(|e| invalid("unsign", e))?;
                    on_unsigned(state, n).await
                }
                // An unknown changeMode is never read as "signed".
                Some(ChangeMode::Other(other)) => {
                    return Err(Outcome::Refused(Refusal::Invalid(format!(
                        "unknown changeMode {other:?}"
                    ))))
                }
            }
        }
        Endpoint::Refund => {
            let n = typed::<RefundNotification>(&body).map_err(|e| invalid("refund", e))?;
            on_refund(state, n).await
        }
    };
    match checked {
        Ok(Ok((header, kind, subject, change))) => Ok(Verified {
            callback_id: header.callback_id,
            kind,
            subject,
            raw: text,
            change,
        }),
        Ok(Err(refusal)) => Err(Outcome::Refused(refusal)),
        Err(e) => {
            tracing::error!(error = %e, "callback check failed: database error");
            Err(Outcome::Refused(Refusal::Internal))
        }
    }
}

/// What a check found: the notification's header, its `callbacks.kind`, its subject and the
/// change to store; or why it is refused.
type Checked = DbResult<Result<(NotificationHeader, &'static str, String, Change), Refusal>>;

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
) -> Result<(), Refusal> {
    let m = &state.settings.config.merchant;
    let same = |field: &str, got: Option<&str>, want: Option<&str>| match (got, want) {
        (Some(g), Some(w)) if g != w => Err(format!("{field} {g:?} is not this merchant's")),
        (Some(g), None) => Err(format!("{field} {g:?} is not expected for this merchant")),
        _ => Ok(()),
    };
    let parties = || -> Result<(), String> {
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
    };
    parties().map_err(Refusal::Mismatch)
}

async fn on_payment(state: &AppState, n: PaymentNotification) -> Checked {
    if let Err(r) = check_parties(
        state,
        n.merc_no.as_deref(),
        n.app_id.as_deref(),
        n.sp_merc_no.as_deref(),
        n.sub_merc_no.as_deref(),
    ) {
        return Ok(Err(r));
    }
    let no = n.merc_order_no;
    let finish_ms = n
        .finish_time
        .as_deref()
        .and_then(time::parse_iso)
        .unwrap_or_else(time::now_ms);
    // Checked against the stored order (or debit) by the writer, for the whole batch at once.
    let change = Change::Payment(PaymentTerms {
        merc_order_no: no.clone(),
        success: match n.order_status {
            OrderStatus::Success => Some(true),
            OrderStatus::Failed => Some(false),
            _ => None,
        },
        total_amount: n.total_amount,
        currency: n.currency,
        sys_trans_order_no: n.sys_trans_order_no,
        finish_time: n.finish_time,
        finish_ms,
    });
    Ok(Ok((n.header, "payment", no, change)))
}

async fn on_signed(state: &AppState, n: ContractSignedNotification) -> Checked {
    if let Err(r) = check_parties(
        state,
        n.merc_no.as_deref(),
        n.app_id.as_deref(),
        n.sp_merc_no.as_deref(),
        n.sub_merc_no.as_deref(),
    ) {
        return Ok(Err(r));
    }
    let Some(code) = n.merc_contract_code else {
        return Ok(Err(Refusal::Unknown(
            "a contract notification without mercContractCode".to_owned(),
        )));
    };
    let Some(stored) = store::contract(&state.db, &code).await? else {
        return Ok(Err(Refusal::Unknown(format!("contract {code}"))));
    };
    if let Some(plan) = &n.plan_id {
        if *plan != stored.plan_id {
            return Ok(Err(Refusal::Mismatch(format!(
                "contract {code}: plan {plan:?} is not the stored one"
            ))));
        }
    }
    let change = Change::Signed {
        merc_contract_code: code.clone(),
        contract_id: n.contract_id,
        operate_time: n.operate_time,
    };
    Ok(Ok((n.header, "contract", code, change)))
}

async fn on_unsigned(state: &AppState, n: UnsignNotification) -> Checked {
    if let Err(r) = check_parties(
        state,
        n.merc_no.as_deref(),
        n.app_id.as_deref(),
        n.sp_merc_no.as_deref(),
        n.sub_merc_no.as_deref(),
    ) {
        return Ok(Err(r));
    }
    let Some(code) = n.merc_contract_code else {
        return Ok(Err(Refusal::Unknown(
            "an unsign notification without mercContractCode".to_owned(),
        )));
    };
    let Some(stored) = store::contract(&state.db, &code).await? else {
        return Ok(Err(Refusal::Unknown(format!("contract {code}"))));
    };
    if stored
        .contract_id
        .as_deref()
        .is_some_and(|id| id != n.contract_id)
    {
        return Ok(Err(Refusal::Mismatch(format!(
            "contract {code}: another contractId"
        ))));
    }
    let operate_time = n
        .operate_time
        .unwrap_or_else(|| time::format_plain(time::now_ms()));
    let change = Change::Unsigned {
        merc_contract_code: code.clone(),
        contract_id: n.contract_id,
        operate_time,
    };
    Ok(Ok((n.header, "unsign", code, change)))
}

async fn on_refund(state: &AppState, n: RefundNotification) -> Checked {
    if let Err(r) = check_parties(
        state,
        n.merc_no.as_deref(),
        None,
        n.sp_merc_no.as_deref(),
        n.sub_merc_no.as_deref(),
    ) {
        return Ok(Err(r));
    }
    let no = n.merc_refund_no;
    let Some(stored) = store::refund_by_no(&state.db, &no).await? else {
        return Ok(Err(Refusal::Unknown(format!("refund {no}"))));
    };
    if n.refund_amount != stored.amount_fen {
        return Ok(Err(Refusal::Mismatch(format!(
            "refund {no}: notified {} but stored {}",
            n.refund_amount, stored.amount_fen
        ))));
    }
    let change = match n.refund_order_status {
        RefundStatus::Success => Change::RefundSucceeded {
            merc_refund_order_no: no.clone(),
            sys_refund_order_no: n.sys_refund_no,
            finished_ms: n
                .finish_time
                .as_deref()
                .and_then(time::parse_iso)
                .unwrap_or_else(time::now_ms),
        },
        RefundStatus::Failed => Change::RefundFailed {
            merc_refund_order_no: no.clone(),
        },
        _ => Change::Nothing,
    };
    Ok(Ok((n.header, "refund", no, change)))
}
