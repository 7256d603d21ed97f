//! Withholding debit (免密代扣, spec §4.13) as Payment Kit plays it, for both merchant models:
//! a merchant charges a signed contract without the cashier.
//!
//! - The API (`merchant_api` routes it here): fields checked with paysign-pas's `validate()`; the
//!   caller's bindings (mercNo, appId, sub-merchant); the contract must be the caller's and
//!   signed; `MERC_NOT_SUPPORT_ALLOCATION` for delayed allocation; at most
//!   [`WithholdSettings::max_debits`] debits per contract in a rolling
//!   [`WithholdSettings::window_ms`], else `WITHHOLD_OVER_TIMES`.
//! - Idempotency by mercOrderNo: the same debit asked again answers the same accepted debit; a
//!   mercOrderNo whose debit failed, or that names a different debit or a pay-and-sign order,
//!   answers `CHECK_TRANSACTION_ORDER_STATUS`. A refused call stores nothing, so it can be
//!   retried with the same mercOrderNo.
//! - `000000` means accepted (`TRX_PROC`). The result comes later: automatically after
//!   [`WithholdSettings::auto_delay_ms`] (success, failure, or off), or through the operator API
//!   (`/sandbox/debits/...`). Either way a `DEBIT_FINISHED` event is logged, whose signed
//!   notification (the payment notification's fields, no contractId) the callback dispatcher
//!   delivers like every other one, and the order query (§4.3) reports the debit.

use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::routing::{get, post};
use axum::{Json, Router};
use paysign_pas::codes::SubCode;
use paysign_pas::model::notify::NotificationHeader;
use paysign_pas::model::{
    AllocationType, OrderStatus as WireOrderStatus, PaymentTool, QueryOrderResponse,
    ResponseEnvelope, WithholdNotification, WithholdOrder,
};
use paysign_serve::JsonObject;
use rand::RngExt;
use rusqlite::{params, Connection, OptionalExtension, Row};
use serde::{Deserialize, Serialize};
use tokio::sync::watch;
use tokio::task::JoinHandle;

use crate::clock;
use crate::events::{EventKind, SandboxEvent};
use crate::lifecycle::LifecycleError;
use crate::merchants::{Merchant, MerchantModel};
use crate::notifications::{NotificationError, OutgoingNotification};
use crate::operator::OpError;
use crate::rejection::Rejection;
use crate::rules;
use crate::server::AppState;
use crate::store::{self, ContractStatus, OrderStatus, StoreError};

/// What happens to an accepted debit when nobody decides through the operator API.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum AutoResult {
    /// Charged after the delay (failed instead if the contract ended meanwhile).
    Success,
    /// Failed after the delay (e.g. to test a merchant's failure handling).
    Fail,
    /// Stays `TRX_PROC` until the operator API finishes it.
    Off,
}

impl AutoResult {
    pub fn parse(s: &str) -> Option<Self> {
        Some(match s.to_ascii_lowercase().as_str() {
            "success" => Self::Success,
            "fail" => Self::Fail,
            "off" => Self::Off,
            _ => return None,
        })
    }
}

/// The sandbox's withholding rules; set at start and changed through
/// `POST /sandbox/withhold-settings`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct WithholdSettings {
    /// Debits accepted per contract within `window_ms`; one more is `WITHHOLD_OVER_TIMES`.
    pub max_debits: u32,
    /// The rolling window of `max_debits`. Payment Kit's count is not documented; its advice to
    /// retry after 4 hours is why the default window is 4 hours.
    pub window_ms: i64,
    pub auto_result: AutoResult,
    /// Delay between acceptance and the automatic result.
    pub auto_delay_ms: i64,
}

impl Default for WithholdSettings {
    fn default() -> Self {
        Self {
            max_debits: 5,
            window_ms: 4 * 3600 * 1000,
            auto_result: AutoResult::Success,
            auto_delay_ms: 2000,
        }
    }
}

impl WithholdSettings {
    /// Positive window, non-negative delay.
    pub fn validate(&self) -> Result<(), String> {
        if self.window_ms <= 0 {
            return Err("windowMs must be positive".to_owned());
        }
        if self.auto_delay_ms < 0 {
            return Err("autoDelayMs must not be negative".to_owned());
        }
        Ok(())
    }
}

/// The live settings, shared by the API, the operator API and the worker.
#[derive(Debug)]
pub struct Withholding {
    settings: Mutex<WithholdSettings>,
}

impl Withholding {
    pub fn new(settings: WithholdSettings) -> Self {
        Self {
            settings: Mutex::new(settings),
        }
    }

    fn lock(&self) -> MutexGuard<'_, WithholdSettings> {
        // Plain data: a poisoned lock still holds a whole value.
        self.settings.lock().unwrap_or_else(|p| p.into_inner())
    }

    pub fn settings(&self) -> WithholdSettings {
        *self.lock()
    }

    pub fn set(&self, settings: WithholdSettings) -> Result<(), String> {
        settings.validate()?;
        *self.lock() = settings;
        Ok(())
    }
}

// ---------------------------------------------------------------- storage

/// The debits table (created with the rest of the sandbox's schema).
pub const SCHEMA: &str = "
CREATE TABLE IF NOT EXISTS debits (
  merc_no TEXT NOT NULL, merc_order_no TEXT NOT NULL, sub_merc_no TEXT, app_id TEXT, sp_app_id TEXT,
  sub_app_id TEXT, sys_trans_order_no TEXT NOT NULL UNIQUE, contract_id TEXT NOT NULL,
  merc_contract_code TEXT NOT NULL, trade_summary TEXT NOT NULL, total_amount INTEGER NOT NULL,
  currency TEXT NOT NULL, payload TEXT, callback_url TEXT NOT NULL, expire_at_ms INTEGER,
  status TEXT NOT NULL, failure_reason TEXT, created_ms INTEGER NOT NULL, due_ms INTEGER,
  finish_ms INTEGER, PRIMARY KEY (merc_no, merc_order_no));
CREATE INDEX IF NOT EXISTS debits_by_contract ON debits (merc_no, contract_id, created_ms);
";

/// One debit. `merc_no` is the calling merchant (direct merchant or service provider).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Debit {
    pub merc_no: String,
    pub merc_order_no: String,
    pub sub_merc_no: Option<String>,
    /// `appId` as sent.
    pub app_id: Option<String>,
    pub sp_app_id: Option<String>,
    pub sub_app_id: Option<String>,
    pub sys_trans_order_no: String,
    pub contract_id: String,
    pub merc_contract_code: String,
    pub trade_summary: String,
    pub total_amount: i64,
    pub currency: String,
    pub payload: Option<String>,
    pub callback_url: String,
    pub expire_at_ms: Option<i64>,
    /// `TRX_PROC` until the result, then `TRX_SUCCESS` or `TRX_FAILED`.
    pub status: OrderStatus,
    /// Why a failed debit failed: `OPERATOR`, `AUTO`, `CONTRACT_ENDED`.
    pub failure_reason: Option<String>,
    pub created_ms: i64,
    /// When the automatic result is due (business clock); `None` when the operator decides.
    pub due_ms: Option<i64>,
    pub finish_ms: Option<i64>,
}

const COLS: &str = "merc_no, merc_order_no, sub_merc_no, app_id, sp_app_id, sub_app_id,
  sys_trans_order_no, contract_id, merc_contract_code, trade_summary, total_amount, currency, payload,
  callback_url, expire_at_ms, status, failure_reason, created_ms, due_ms, finish_ms";

fn from_row(r: &Row<'_>) -> rusqlite::Result<(Debit, String)> {
    Ok((
        Debit {
            merc_no: r.get(0)?,
            merc_order_no: r.get(1)?,
            sub_merc_no: r.get(2)?,
            app_id: r.get(3)?,
            sp_app_id: r.get(4)?,
            sub_app_id: r.get(5)?,
            sys_trans_order_no: r.get(6)?,
            contract_id: r.get(7)?,
            merc_contract_code: r.get(8)?,
            trade_summary: r.get(9)?,
            total_amount: r.get(10)?,
            currency: r.get(11)?,
            payload: r.get(12)?,
            callback_url: r.get(13)?,
            expire_at_ms: r.get(14)?,
            status: OrderStatus::TrxProc,
            failure_reason: r.get(16)?,
            created_ms: r.get(17)?,
            due_ms: r.get(18)?,
            finish_ms: r.get(19)?,
        },
        r.get(15)?,
    ))
}

fn finish_row((mut d, status): (Debit, String)) -> Result<Debit, StoreError> {
    d.status = match status.as_str() {
        "TRX_APPLY" => OrderStatus::TrxApply,
        "TRX_PROC" => OrderStatus::TrxProc,
        "TRX_SUCCESS" => OrderStatus::TrxSuccess,
        "TRX_FAILED" => OrderStatus::TrxFailed,
        other => return Err(StoreError::Corrupt(format!("debit status {other}"))),
    };
    Ok(d)
}

fn insert(c: &Connection, d: &Debit) -> Result<(), StoreError> {
    c.execute(
        &format!("INSERT INTO debits ({COLS}) VALUES (?1,?2,?3,?4,?5,?6,?7,?8,?9,?10,?11,?12,?13,?14,?15,?16,?17,?18,?19,?20)"),
        params![
            d.merc_no, d.merc_order_no, d.sub_merc_no, d.app_id, d.sp_app_id, d.sub_app_id,
            d.sys_trans_order_no, d.contract_id, d.merc_contract_code, d.trade_summary,
            d.total_amount, d.currency, d.payload, d.callback_url, d.expire_at_ms,
            d.status.as_str(), d.failure_reason, d.created_ms, d.due_ms, d.finish_ms
        ],
    )?;
    Ok(())
}

/// A debit of `merc_no` by mercOrderNo.
pub fn debit(
    c: &Connection,
    merc_no: &str,
    merc_order_no: &str,
) -> Result<Option<Debit>, StoreError> {
    c.query_row(
        &format!("SELECT {COLS} FROM debits WHERE merc_no = ?1 AND merc_order_no = ?2"),
        [merc_no, merc_order_no],
        from_row,
    )
    .optional()?
    .map(finish_row)
    .transpose()
}

/// Every debit, oldest first, optionally of one merchant.
pub fn debits(c: &Connection, merc_no: Option<&str>) -> Result<Vec<Debit>, StoreError> {
    let mut stmt = c.prepare(&format!(
        "SELECT {COLS} FROM debits WHERE ?1 IS NULL OR merc_no = ?1 ORDER BY created_ms, merc_order_no"
    ))?;
    let rows = stmt
        .query_map([merc_no], from_row)?
        .collect::<Result<Vec<_>, _>>()?;
    rows.into_iter().map(finish_row).collect()
}

fn accepted_since(
    c: &Connection,
    merc_no: &str,
    contract_id: &str,
    since_ms: i64,
) -> Result<i64, StoreError> {
    Ok(c.query_row(
        "SELECT COUNT(*) FROM debits WHERE merc_no = ?1 AND contract_id = ?2 AND created_ms > ?3",
        params![merc_no, contract_id, since_ms],
        |r| r.get(0),
    )?)
}

fn due(c: &Connection, now_ms: i64) -> Result<Vec<(String, String)>, StoreError> {
    let mut stmt = c.prepare(
        "SELECT merc_no, merc_order_no FROM debits WHERE status = 'TRX_PROC' AND due_ms IS NOT NULL
         AND due_ms <= ?1 ORDER BY due_ms",
    )?;
    let rows = stmt
        .query_map([now_ms], |r| Ok((r.get(0)?, r.get(1)?)))?
        .collect::<Result<Vec<_>, _>>()?;
    Ok(rows)
}

// ---------------------------------------------------------------- the API

/// Who a debit is for, as sent: the direct merchant, or a service provider's sub-merchant.
#[derive(Debug, Clone)]
pub struct DebitParty {
    /// `mercNo` (direct) or `spMercNo`.
    pub merc_no: String,
    /// `appId` (required for a direct merchant, optional for a service provider).
    pub app_id: Option<String>,
    pub sp_app_id: Option<String>,
    pub sub_merc_no: Option<String>,
    pub sub_app_id: Option<String>,
}

fn check_party(caller: &Merchant, party: &DebitParty) -> Result<(), Rejection> {
    let wrong_merc = |why: &str| Rejection::new(SubCode::InvalidMercNoWithhold, why.to_owned());
    let app_bound = |app: &Option<String>, bound: &[String]| {
        app.as_ref().is_none_or(|a| bound.iter().any(|b| b == a))
    };
    if party.merc_no != caller.merc_no {
        return Err(wrong_merc(
            "the merchant number in the body is not the caller's",
        ));
    }
    match caller.model {
        MerchantModel::Direct => {
            if party.sub_merc_no.is_some() {
                return Err(Rejection::argument("a direct merchant has no sub-merchant"));
            }
            if !app_bound(&party.app_id, &caller.app_ids) {
                return Err(Rejection::new(
                    SubCode::InvalidAppId,
                    "the app id is not bound to the merchant",
                ));
            }
        }
        MerchantModel::Sp => {
            let sub_no = party.sub_merc_no.as_deref().unwrap_or_default();
            let Some(sub) = caller.sub_merchant(sub_no) else {
                return Err(wrong_merc(
                    "the sub-merchant does not belong to the service provider",
                ));
            };
            // spAppId is the provider's app; appId may be the provider's or the sub-merchant's.
            let apps_ok = app_bound(&party.sp_app_id, &caller.app_ids)
                && (app_bound(&party.app_id, &caller.app_ids)
                    || app_bound(&party.app_id, &sub.app_ids))
                && app_bound(&party.sub_app_id, &sub.app_ids);
            if !apps_ok {
                return Err(Rejection::new(
                    SubCode::InvalidAppId,
                    "an app id is not bound to the service provider or sub-merchant",
                ));
            }
        }
    }
    Ok(())
}

fn random_digits(n: usize) -> String {
    let mut rng = rand::rng();
    (0..n)
        .map(|_| char::from(b'0' + rng.random_range(0..10u8)))
        .collect()
}

/// Accepts a debit (fields already validated), or answers the one already accepted under that
/// mercOrderNo.
pub fn create(
    state: &AppState,
    caller: &Merchant,
    party: DebitParty,
    req: &WithholdOrder,
) -> Result<Debit, Rejection> {
    check_party(caller, &party)?;
    if req.allocation_type == Some(AllocationType::DelayOrderAllocation) {
        return Err(Rejection::new(
            SubCode::MercNotSupportAllocation,
            "profit sharing is not enabled for sandbox merchants",
        ));
    }
    let settings = state.withhold.settings();
    let currency = req.currency.clone().unwrap_or_else(|| "CNY".to_owned());
    let now = state.clock.now_ms();
    let outcome = state
        .store
        .transaction(|c| -> Result<Result<Debit, Rejection>, StoreError> {
            if let Some(existing) = debit(c, &caller.merc_no, &req.merc_order_no)? {
                let same = existing.contract_id == req.contract_id
                    && existing.total_amount == req.total_amount
                    && existing.currency == currency
                    && existing.sub_merc_no == party.sub_merc_no;
                if !same {
                    return Ok(Err(Rejection::new(
                        SubCode::CheckTransactionOrderStatus,
                        "the mercOrderNo was used for a different debit",
                    )));
                }
                if existing.status == OrderStatus::TrxFailed {
                    return Ok(Err(Rejection::new(
                    SubCode::CheckTransactionOrderStatus,
                    "the debit with this mercOrderNo failed; a new charge needs a new mercOrderNo",
                )));
                }
                // The same debit asked again: the one already accepted, never a second charge.
                return Ok(Ok(existing));
            }
            if store::order(c, &caller.merc_no, &req.merc_order_no)?.is_some() {
                return Ok(Err(Rejection::new(
                    SubCode::CheckTransactionOrderStatus,
                    "the mercOrderNo belongs to a pay-and-sign order",
                )));
            }
            let contract = match store::contract_by_id(c, &caller.merc_no, &req.contract_id)? {
                Some(k) if k.sub_merc_no == party.sub_merc_no => k,
                _ => {
                    return Ok(Err(Rejection::new(
                        SubCode::CustNotExist,
                        "no contract with that contractId for this merchant",
                    )))
                }
            };
            if contract.status != ContractStatus::Signed {
                return Ok(Err(Rejection::new(
                    SubCode::CustNotExist,
                    format!("the contract is {}, not signed", contract.status.as_str()),
                )));
            }
            let expire_at_ms = match req.expire_time.as_deref() {
                None => None,
                Some(text) => match clock::parse_iso(text) {
                    Some(at) if at > now && at - now <= rules::MAX_ORDER_VALIDITY_MS => Some(at),
                    _ => {
                        return Ok(Err(Rejection::argument(
                            "expireTime must be in the future and at most 180 days away",
                        )))
                    }
                },
            };
            let recent = accepted_since(
                c,
                &caller.merc_no,
                &req.contract_id,
                now.saturating_sub(settings.window_ms),
            )?;
            if recent >= i64::from(settings.max_debits) {
                return Ok(Err(Rejection::new(
                    SubCode::WithholdOverTimes,
                    format!(
                        "{recent} debits of this contract within {} ms; retry after 4 hours",
                        settings.window_ms
                    ),
                )));
            }
            let d = Debit {
                merc_no: caller.merc_no.clone(),
                merc_order_no: req.merc_order_no.clone(),
                sub_merc_no: party.sub_merc_no.clone(),
                app_id: party.app_id.clone(),
                sp_app_id: party.sp_app_id.clone(),
                sub_app_id: party.sub_app_id.clone(),
                sys_trans_order_no: random_digits(26),
                contract_id: req.contract_id.clone(),
                merc_contract_code: contract.merc_contract_code,
                trade_summary: req.trade_summary.clone(),
                total_amount: req.total_amount,
                currency: currency.clone(),
                payload: req.payload.clone(),
                callback_url: req.callback_url.clone(),
                expire_at_ms,
                status: OrderStatus::TrxProc,
                failure_reason: None,
                created_ms: now,
                due_ms: (settings.auto_result != AutoResult::Off)
                    .then(|| now.saturating_add(settings.auto_delay_ms)),
                finish_ms: None,
            };
            insert(c, &d)?;
            Ok(Ok(d))
        });
    match outcome {
        Ok(result) => result,
        Err(e) => Err(Rejection::unavailable(e.to_string())),
    }
}

/// A debit of the caller for the order query; `sub_merc_no`, when given, must match.
pub fn find(
    state: &AppState,
    caller: &str,
    merc_order_no: &str,
    sub_merc_no: Option<&str>,
) -> Result<Option<Debit>, StoreError> {
    let found = state.store.run(|c| debit(c, caller, merc_order_no))?;
    Ok(found.filter(|d| sub_merc_no.is_none() || d.sub_merc_no.as_deref() == sub_merc_no))
}

fn wire_status(s: OrderStatus) -> WireOrderStatus {
    match s {
        OrderStatus::TrxApply => WireOrderStatus::Applied,
        OrderStatus::TrxProc => WireOrderStatus::Processing,
        OrderStatus::TrxSuccess => WireOrderStatus::Success,
        OrderStatus::TrxFailed => WireOrderStatus::Failed,
    }
}

/// The order query's answer for a debit (spec §4.3, §4.13).
pub fn query_response(d: &Debit, sp: bool) -> QueryOrderResponse {
    let paid = d.status == OrderStatus::TrxSuccess;
    QueryOrderResponse {
        envelope: ResponseEnvelope::success(),
        merc_order_no: d.merc_order_no.clone(),
        order_status: wire_status(d.status),
        currency: d.currency.clone(),
        total_amount: d.total_amount,
        merc_no: (!sp).then(|| d.merc_no.clone()),
        app_id: if sp { None } else { d.app_id.clone() },
        sp_merc_no: sp.then(|| d.merc_no.clone()),
        sub_merc_no: d.sub_merc_no.clone(),
        sp_app_id: d.sp_app_id.clone(),
        sub_app_id: d.sub_app_id.clone(),
        sys_trans_order_no: Some(d.sys_trans_order_no.clone()),
        payload: d.payload.clone(),
        payer_amount: paid.then_some(d.total_amount),
        promotion_amount: paid.then_some(0),
        finish_time: d.finish_ms.map(clock::format_iso),
        payment_tools: paid.then_some(PaymentTool::Account),
        promotion_detail: None,
        payer: None,
    }
}

// ---------------------------------------------------------------- the result

/// Finishes a debit still processing (success or failure), logs its `DEBIT_FINISHED` event and
/// publishes it once committed.
pub fn finish(
    state: &AppState,
    merc_no: &str,
    merc_order_no: &str,
    success: bool,
    reason: &str,
) -> Result<Debit, LifecycleError> {
    let now = state.clock.now_ms();
    let (d, event) = state.store.transaction(|c| {
        let Some(mut d) = debit(c, merc_no, merc_order_no)? else {
            return Err(LifecycleError::NotFound(format!(
                "debit {merc_order_no} of {merc_no}"
            )));
        };
        if d.status != OrderStatus::TrxProc {
            return Err(LifecycleError::Conflict(format!(
                "the debit is already {}",
                d.status.as_str()
            )));
        }
        d.status = if success {
            OrderStatus::TrxSuccess
        } else {
            OrderStatus::TrxFailed
        };
        d.failure_reason = (!success).then(|| reason.to_owned());
        d.finish_ms = Some(now);
        d.due_ms = None;
        c.execute(
            "UPDATE debits SET status = ?3, failure_reason = ?4, finish_ms = ?5, due_ms = NULL
             WHERE merc_no = ?1 AND merc_order_no = ?2",
            params![
                merc_no,
                merc_order_no,
                d.status.as_str(),
                d.failure_reason,
                now
            ],
        )
        .map_err(StoreError::from)?;
        let kind = EventKind::DebitFinished;
        let seq = store::append_event(c, now, kind.as_str(), merc_no, merc_order_no)?;
        let event = SandboxEvent {
            seq,
            at_ms: now,
            kind,
            merc_no: merc_no.to_owned(),
            key: merc_order_no.to_owned(),
        };
        Ok((d, event))
    })?;
    state.bus.publish(vec![event]);
    Ok(d)
}

/// Finishes every debit whose automatic result is due, by the current settings: `SUCCESS`
/// charges it unless its contract ended meanwhile, `FAIL` fails it, `OFF` leaves it to the
/// operator.
pub fn finish_due(state: &AppState) -> Result<usize, LifecycleError> {
    let settings = state.withhold.settings();
    let now = state.clock.now_ms();
    let due = state.store.run(|c| due(c, now))?;
    let mut done = 0;
    for (merc_no, no) in due {
        if settings.auto_result == AutoResult::Off {
            state.store.run(|c| {
                c.execute(
                    "UPDATE debits SET due_ms = NULL WHERE merc_no = ?1 AND merc_order_no = ?2",
                    [&merc_no, &no],
                )?;
                Ok(())
            })?;
            continue;
        }
        let signed = state.store.run(|c| {
            let Some(d) = debit(c, &merc_no, &no)? else {
                return Ok(false);
            };
            Ok(store::contract_by_id(c, &merc_no, &d.contract_id)?
                .is_some_and(|k| k.status == ContractStatus::Signed))
        })?;
        let (success, reason) = match (settings.auto_result, signed) {
            (AutoResult::Success, true) => (true, ""),
            (AutoResult::Success, false) => (false, "CONTRACT_ENDED"),
            _ => (false, "AUTO"),
        };
        match finish(state, &merc_no, &no, success, reason) {
            // Finished by the operator in between: nothing to do.
            Ok(_) | Err(LifecycleError::Conflict(_)) => done += 1,
            Err(e) => return Err(e),
        }
    }
    Ok(done)
}

/// How often the worker looks for due debits.
const TICK: Duration = Duration::from_millis(50);

/// Runs [`finish_due`] every 50 ms until `stop` turns true or its sender is gone.
pub fn spawn_worker(state: Arc<AppState>, mut stop: watch::Receiver<bool>) -> JoinHandle<()> {
    tokio::spawn(async move {
        loop {
            tokio::select! {
                changed = stop.changed() => {
                    if changed.is_err() || *stop.borrow() {
                        return;
                    }
                }
                () = tokio::time::sleep(TICK) => {
                    if let Err(e) = finish_due(&state) {
                        if state.log_requests {
                            eprintln!("paysign-sandbox withholding: {e}");
                        }
                    }
                }
            }
        }
    })
}

// ---------------------------------------------------------------- the notification

/// The signed result notification of a finished debit (payment-withhold-notify).
pub fn notification(
    conn: &Connection,
    signer: &crate::signing::Signer,
    merchant: &Merchant,
    header: NotificationHeader,
    event: &SandboxEvent,
) -> Result<OutgoingNotification, NotificationError> {
    let d = debit(conn, &event.merc_no, &event.key)?
        .ok_or_else(|| NotificationError::Missing(format!("debit {}", event.key)))?;
    let status = match d.status {
        OrderStatus::TrxSuccess => WireOrderStatus::Success,
        OrderStatus::TrxFailed => WireOrderStatus::Failed,
        _ => {
            return Err(NotificationError::Missing(format!(
                "the result of debit {}",
                event.key
            )))
        }
    };
    let sp = merchant.model == MerchantModel::Sp;
    let paid = status == WireOrderStatus::Success;
    let callback_id = header.callback_id.clone();
    let n = WithholdNotification {
        header,
        merc_order_no: d.merc_order_no.clone(),
        sys_trans_order_no: d.sys_trans_order_no.clone(),
        order_status: status,
        currency: d.currency.clone(),
        total_amount: d.total_amount,
        payer_amount: Some(if paid { d.total_amount } else { 0 }),
        promotion_amount: Some(0),
        merc_no: (!sp).then(|| d.merc_no.clone()),
        app_id: if sp { None } else { d.app_id.clone() },
        sp_merc_no: sp.then(|| d.merc_no.clone()),
        sub_merc_no: d.sub_merc_no.clone(),
        sp_app_id: if sp { d.sp_app_id.clone() } else { None },
        payload: d.payload.clone(),
        finish_time: d.finish_ms.map(clock::format_iso),
        payment_tools: paid.then_some(PaymentTool::Account),
        promotion_detail: None,
        payer: None,
    };
    Ok(OutgoingNotification {
        kind: "WITHHOLD",
        callback_id,
        callback_url: Some(d.callback_url),
        body: signer.sign_json(&n)?,
    })
}

// ---------------------------------------------------------------- the operator API

type AppStateRef = State<Arc<AppState>>;

/// `/sandbox/debits...` and `/sandbox/withhold-settings`.
pub fn routes() -> Router<Arc<AppState>> {
    Router::new()
        .route("/sandbox/debits", get(list))
        .route("/sandbox/debits/{merc_no}/{merc_order_no}", get(get_one))
        .route(
            "/sandbox/debits/{merc_no}/{merc_order_no}/succeed",
            post(succeed),
        )
        .route("/sandbox/debits/{merc_no}/{merc_order_no}/fail", post(fail))
        .route(
            "/sandbox/withhold-settings",
            get(get_settings).post(set_settings),
        )
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct ByMerchant {
    merc_no: Option<String>,
}

async fn list(
    State(s): AppStateRef,
    Query(q): Query<ByMerchant>,
) -> Result<Json<Vec<Debit>>, OpError> {
    Ok(Json(s.store.run(|c| debits(c, q.merc_no.as_deref()))?))
}

async fn get_one(
    State(s): AppStateRef,
    Path((merc_no, no)): Path<(String, String)>,
) -> Result<Json<Debit>, OpError> {
    s.store
        .run(|c| debit(c, &merc_no, &no))?
        .map(Json)
        .ok_or_else(|| OpError::new(StatusCode::NOT_FOUND, format!("debit {no} of {merc_no}")))
}

async fn succeed(
    State(s): AppStateRef,
    Path((merc_no, no)): Path<(String, String)>,
) -> Result<Json<Debit>, OpError> {
    Ok(Json(finish(&s, &merc_no, &no, true, "")?))
}

async fn fail(
    State(s): AppStateRef,
    Path((merc_no, no)): Path<(String, String)>,
) -> Result<Json<Debit>, OpError> {
    Ok(Json(finish(&s, &merc_no, &no, false, "OPERATOR")?))
}

async fn get_settings(State(s): AppStateRef) -> Json<WithholdSettings> {
    Json(s.withhold.settings())
}

async fn set_settings(
    State(s): AppStateRef,
    body: Result<Json<JsonObject<WithholdSettings>>, axum::extract::rejection::JsonRejection>,
) -> Result<Json<WithholdSettings>, OpError> {
    let Json(JsonObject(settings)) =
        body.map_err(|e| OpError::new(StatusCode::BAD_REQUEST, e.body_text()))?;
    s.withhold
        .set(settings)
        .map_err(|e| OpError::new(StatusCode::BAD_REQUEST, e))?;
    Ok(Json(settings))
}
