//! What an operator does through the admin API: refunds (idempotent on mercRefundOrderNo),
//! unsign, withholding debits against signed contracts (免密代扣, spec §4.13), and bills checked
//! against the database.

use std::collections::BTreeMap;

use paysign_pas::codes::SubCode;
use serde::{Deserialize, Serialize};

use crate::db::DbError;
use crate::error::{Error, Result};
use crate::pk::{self, WriteOutcome};
use crate::server::AppState;
use crate::store::{self, contract, debit, payment, refund, Debit, Refund, RefundInsert};
use crate::{ids, time};

/// After WITHHOLD_OVER_TIMES nothing is sent on that contract sooner than this.
pub const WITHHOLD_OVER_TIMES_WAIT_MS: i64 = 4 * 3_600_000;

fn ms(v: u64) -> i64 {
    i64::try_from(v).unwrap_or(i64::MAX)
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct RefundBody {
    /// The refund's own number; the same number refunds once. Generated when absent.
    #[serde(default)]
    pub merc_refund_order_no: Option<String>,
    /// Omitted: what is left of the order.
    #[serde(default)]
    pub amount_fen: Option<i64>,
    #[serde(default)]
    pub reason: Option<String>,
}

/// Refunds (part of) a paid order. The amount is reserved on the order first, so concurrent
/// refunds never exceed what was paid.
pub async fn refund(state: &AppState, merc_order_no: &str, body: &RefundBody) -> Result<Refund> {
    let order = store::order(&state.db, merc_order_no)
        .await?
        .ok_or(Error::NotFound)?;
    if let Some(no) = &body.merc_refund_order_no {
        if !ids::is_plain_id(no) {
            return Err(Error::BadRequest(
                "mercRefundOrderNo must be 1 to 64 of A-Z a-z 0-9 - _".to_owned(),
            ));
        }
        if let Some(existing) = store::refund_by_no(&state.db, no).await? {
            return same_refund(existing, merc_order_no, body);
        }
    }
    if order.payment != payment::PAID {
        return Err(Error::Conflict(format!(
            "order {merc_order_no} is {}, not PAID",
            order.payment
        )));
    }
    let amount = body
        .amount_fen
        .unwrap_or(order.amount_fen - order.refunded_fen);
    if amount <= 0 {
        return Err(Error::Conflict("nothing is left to refund".to_owned()));
    }
    if let Some(reason) = &body.reason {
        if reason.chars().count() > 256 {
            return Err(Error::BadRequest("reason is longer than 256".to_owned()));
        }
    }
    let no = match &body.merc_refund_order_no {
        Some(n) => n.clone(),
        None => ids::new_id("PR").map_err(|e| Error::Internal(e.to_string()))?,
    };
    let now = time::now_ms();
    let row = Refund {
        merc_refund_order_no: no.clone(),
        merc_order_no: merc_order_no.to_owned(),
        amount_fen: amount,
        reason: body.reason.clone(),
        state: refund::PENDING.to_owned(),
        sys_refund_order_no: None,
        failure: None,
        created_ms: now,
        updated_ms: now,
        finished_ms: None,
        check_attempts: 0,
    };
    let next_check = now + ms(state.settings.config.reconcile.refund_after_ms);
    match store::insert_refund(&state.db, &row, next_check).await? {
        RefundInsert::Created => {}
        RefundInsert::Exists(existing) => return same_refund(existing, merc_order_no, body),
        RefundInsert::NotRefundable => {
            return Err(Error::Conflict(format!(
                "{amount} fen exceeds what is left to refund on {merc_order_no}"
            )))
        }
    }
    tracing::info!(
        merc_order_no,
        merc_refund_order_no = no,
        amount_fen = amount,
        "refund requested"
    );
    send_refund(state, &row).await?;
    store::refund_by_no(&state.db, &no)
        .await?
        .ok_or_else(|| Error::Internal("refund vanished".to_owned()))
}

fn same_refund(existing: Refund, merc_order_no: &str, body: &RefundBody) -> Result<Refund> {
    if existing.merc_order_no != merc_order_no
        || body.amount_fen.is_some_and(|a| a != existing.amount_fen)
    {
        return Err(Error::Conflict(
            "this mercRefundOrderNo was used for another refund".to_owned(),
        ));
    }
    Ok(existing)
}

/// Sends (or sends again) a pending refund; a definite refusal fails it and frees its amount.
pub async fn send_refund(state: &AppState, r: &Refund) -> std::result::Result<(), DbError> {
    let outcome = state
        .payment_kit
        .refund(
            &r.merc_order_no,
            &r.merc_refund_order_no,
            r.amount_fen,
            r.reason.as_deref(),
        )
        .await;
    match outcome {
        WriteOutcome::Accepted(sys) => {
            store::refund_accepted(&state.db, &r.merc_refund_order_no, sys.as_deref()).await
        }
        WriteOutcome::Unknown(e) => {
            tracing::warn!(merc_refund_order_no = r.merc_refund_order_no, error = %e, "refund outcome unknown; will query");
            Ok(())
        }
        WriteOutcome::Refused(e) => {
            let code = pk::sub_code(&e).map_or_else(|| e.to_string(), |c| c.to_string());
            tracing::warn!(merc_refund_order_no = r.merc_refund_order_no, reason = %code, "refund refused");
            let mut conn = state.db.pool.acquire().await?;
            store::mark_refund_failed(&mut *conn, &r.merc_refund_order_no, &code, time::now_ms())
                .await?;
            Ok(())
        }
    }
}

/// A refund, asking Payment Kit first when `refresh`.
pub async fn refund_status(state: &AppState, no: &str, refresh: bool) -> Result<Refund> {
    let r = store::refund_by_no(&state.db, no)
        .await?
        .ok_or(Error::NotFound)?;
    if refresh && r.state == refund::PENDING {
        let lookup = state
            .payment_kit
            .query_refund(no)
            .await
            .map_err(|e| Error::Upstream(e.to_string()))?;
        let now = time::now_ms();
        let mut conn = state.db.pool.acquire().await?;
        match lookup {
            pk::RefundLookup::Success {
                sys_refund_order_no,
            } => {
                store::mark_refund_success(
                    &mut *conn,
                    no,
                    sys_refund_order_no.as_deref(),
                    now,
                    now,
                )
                .await?;
            }
            pk::RefundLookup::Failed => {
                store::mark_refund_failed(&mut *conn, no, "REFUND_FAILED", now).await?;
            }
            pk::RefundLookup::Processing | pk::RefundLookup::Unknown => {}
        }
    }
    store::refund_by_no(&state.db, no)
        .await?
        .ok_or(Error::NotFound)
}

/// Asks Payment Kit to end a signed contract; the notification (or the worker's query) records
/// the end.
pub async fn unsign(state: &AppState, code: &str) -> Result<store::Contract> {
    let c = store::contract(&state.db, code)
        .await?
        .ok_or(Error::NotFound)?;
    if c.state == contract::UNSIGNED {
        return Ok(c);
    }
    if c.state != contract::SIGNED {
        return Err(Error::Conflict(format!(
            "contract {code} is {}, not SIGNED",
            c.state
        )));
    }
    match state
        .payment_kit
        .unsign(c.contract_id.as_deref(), code)
        .await
    {
        WriteOutcome::Accepted(()) | WriteOutcome::Unknown(_) => {
            let now = time::now_ms();
            store::set_unsign_requested(&state.db, code, now, now).await?;
            tracing::info!(merc_contract_code = code, "unsign requested");
        }
        WriteOutcome::Refused(e) => {
            return Err(Error::Upstream(
                pk::sub_code(&e).map_or_else(|| e.to_string(), |c| c.to_string()),
            ))
        }
    }
    store::contract(&state.db, code)
        .await?
        .ok_or(Error::NotFound)
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ChargeBody {
    /// Priced from the catalogue.
    #[serde(default)]
    pub product_id: Option<String>,
    /// Or an explicit amount (fen), for renewals priced elsewhere.
    #[serde(default)]
    pub amount_fen: Option<i64>,
    /// The debit's own number; the same number charges once. Generated when absent.
    #[serde(default)]
    pub merc_order_no: Option<String>,
}

/// Charges a signed contract (免密代扣). Accepted means pending until the notification or a
/// query; WITHHOLD_OVER_TIMES schedules nothing on the contract sooner than 4 hours.
pub async fn charge(state: &AppState, code: &str, body: &ChargeBody) -> Result<Debit> {
    let c = store::contract(&state.db, code)
        .await?
        .ok_or(Error::NotFound)?;
    let (amount, product_id) = match (&body.product_id, body.amount_fen) {
        (Some(p), None) => {
            let product = state
                .settings
                .products
                .get(p)
                .ok_or_else(|| Error::BadRequest(format!("unknown product {p:?}")))?;
            (product.amount_fen, Some(product.id.clone()))
        }
        (None, Some(a)) if a > 0 => (a, None),
        _ => {
            return Err(Error::BadRequest(
                "give productId or a positive amountFen (not both)".to_owned(),
            ))
        }
    };
    if let Some(no) = &body.merc_order_no {
        if !ids::is_plain_id(no) || no.len() > paysign_contract::MERC_ORDER_NO_MAX_CHARS {
            return Err(Error::BadRequest(
                "mercOrderNo must be 1 to 46 of A-Z a-z 0-9 - _".to_owned(),
            ));
        }
        if let Some(existing) = store::debit(&state.db, no).await? {
            if existing.merc_contract_code != code || existing.amount_fen != amount {
                return Err(Error::Conflict(
                    "this mercOrderNo was used for another charge".to_owned(),
                ));
            }
            return Ok(existing);
        }
        if store::order(&state.db, no).await?.is_some() {
            return Err(Error::Conflict(
                "this mercOrderNo is a pay-and-sign order".to_owned(),
            ));
        }
    }
    let Some(contract_id) = c
        .contract_id
        .clone()
        .filter(|_| c.state == contract::SIGNED)
    else {
        return Err(Error::Conflict(format!(
            "contract {code} is {}, not SIGNED",
            c.state
        )));
    };
    let now = time::now_ms();
    if c.withhold_blocked_until > now {
        return Err(Error::TooEarly(format!(
            "Payment Kit refused more debits on this contract (WITHHOLD_OVER_TIMES); next try from {}",
            time::format_iso(c.withhold_blocked_until)
        )));
    }
    let no = match &body.merc_order_no {
        Some(n) => n.clone(),
        None => ids::new_id("PD").map_err(|e| Error::Internal(e.to_string()))?,
    };
    let row = Debit {
        merc_order_no: no.clone(),
        merc_contract_code: code.to_owned(),
        contract_id,
        user_id: c.user_id.clone(),
        product_id,
        amount_fen: amount,
        currency: paysign_pas::limits::CNY.to_owned(),
        state: debit::SCHEDULED.to_owned(),
        sys_trans_order_no: None,
        failure: None,
        paid_ms: None,
        finish_time: None,
        created_ms: now,
        updated_ms: now,
        send_after_ms: now,
        check_attempts: 0,
    };
    let next_check = now + ms(state.settings.config.reconcile.debit_after_ms);
    if !store::insert_debit(&state.db, &row, next_check).await? {
        return store::debit(&state.db, &no)
            .await?
            .ok_or_else(|| Error::Conflict("retry the charge".to_owned()));
    }
    tracing::info!(
        merc_contract_code = code,
        merc_order_no = no,
        amount_fen = amount,
        "debit requested"
    );
    send_debit(state, &row).await?;
    store::debit(&state.db, &no)
        .await?
        .ok_or_else(|| Error::Internal("debit vanished".to_owned()))
}

/// Sends a scheduled debit (first time, or again).
pub async fn send_debit(state: &AppState, d: &Debit) -> std::result::Result<(), DbError> {
    let summary: String = format!(
        "{}-{}",
        state.settings.config.merchant.trade_name,
        d.product_id
            .as_ref()
            .and_then(|p| state.settings.products.get(p))
            .map_or("withholding", |p| p.name.as_str())
    )
    .chars()
    .take(128)
    .collect();
    let now = time::now_ms();
    let next_check = now + ms(state.settings.config.reconcile.debit_after_ms);
    match state
        .payment_kit
        .withhold(&d.merc_order_no, &d.contract_id, d.amount_fen, &summary)
        .await
    {
        WriteOutcome::Accepted(sys) => {
            store::debit_sent(&state.db, &d.merc_order_no, sys.as_deref(), now, next_check).await
        }
        WriteOutcome::Unknown(e) => {
            // Maybe charged: from now on only a query (or the notification) decides.
            tracing::warn!(merc_order_no = d.merc_order_no, error = %e, "debit outcome unknown; will query");
            store::debit_sent(&state.db, &d.merc_order_no, None, now, next_check).await
        }
        WriteOutcome::Refused(e) if pk::sub_code(&e) == Some(&SubCode::WithholdOverTimes) => {
            let until = now + WITHHOLD_OVER_TIMES_WAIT_MS;
            store::block_withholding(&state.db, &d.merc_contract_code, until).await?;
            store::debit_reschedule(
                &state.db,
                &d.merc_order_no,
                "WITHHOLD_OVER_TIMES",
                until,
                now,
            )
            .await?;
            tracing::warn!(
                merc_order_no = d.merc_order_no,
                "WITHHOLD_OVER_TIMES: sent again in 4 h"
            );
            Ok(())
        }
        WriteOutcome::Refused(e) => {
            let code = pk::sub_code(&e).map_or_else(|| e.to_string(), |c| c.to_string());
            tracing::warn!(merc_order_no = d.merc_order_no, reason = %code, "debit refused");
            let mut conn = state.db.pool.acquire().await?;
            store::mark_debit_failed(&mut *conn, &d.merc_order_no, &code, now).await?;
            Ok(())
        }
    }
}

// ------------------------------------------------------------------ bills

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum BillKind {
    Trade,
    Settle,
}

/// One line of the bill, or of the database, that the other side lacks or disagrees with.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Difference {
    /// mercOrderNo of a payment or debit, mercRefundOrderNo of a refund.
    pub merc_order_no: String,
    /// `PAYMENT` or `REFUND`.
    pub kind: &'static str,
    pub bill_fen: Option<i64>,
    pub database_fen: Option<i64>,
}

/// A bill compared with the database.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct BillReport {
    pub bill_date: String,
    pub kind: &'static str,
    pub bill_rows: usize,
    pub matched: usize,
    /// In the bill, not in the database as finished that day.
    pub missing_in_database: Vec<Difference>,
    /// Finished that day in the database, not in the bill.
    pub missing_in_bill: Vec<Difference>,
    pub amount_mismatches: Vec<Difference>,
}

impl BillReport {
    pub fn is_clean(&self) -> bool {
        self.missing_in_database.is_empty()
            && self.missing_in_bill.is_empty()
            && self.amount_mismatches.is_empty()
    }
}

/// Downloads a bill of `bill_date` (`yyyyMMdd`, Beijing) and reports every difference with
/// the payments, debits and refunds that finished that day.
pub async fn bill_report(state: &AppState, kind: BillKind, bill_date: &str) -> Result<BillReport> {
    let (from, to) = time::bill_day(bill_date)
        .ok_or_else(|| Error::BadRequest("the bill date must be yyyyMMdd".to_owned()))?;
    // (kind, key) -> fen: refunds count as positive amounts on both sides.
    let mut bill: BTreeMap<(&'static str, String), i64> = BTreeMap::new();
    let rows = match kind {
        BillKind::Trade => {
            let rows = state
                .payment_kit
                .trade_bill(bill_date)
                .await
                .map_err(|e| Error::Upstream(e.to_string()))?
                .ok_or(Error::NotFound)?;
            for r in &rows {
                let k = line_kind(&r.trade_type);
                *bill.entry((k, r.merc_order_no.clone())).or_insert(0) += r.trade_amount_fen.abs();
            }
            rows.len()
        }
        BillKind::Settle => {
            let rows = state
                .payment_kit
                .settle_bill(bill_date)
                .await
                .map_err(|e| Error::Upstream(e.to_string()))?
                .ok_or(Error::NotFound)?;
            for r in &rows {
                let k = if r.settle_amount_fen < 0 {
                    "REFUND"
                } else {
                    line_kind(&r.trade_type)
                };
                // A payment line's order amount is its total; a refund line carries the
                // refunded amount (plus any fee returned) as a negative settle amount.
                let fen = if k == "REFUND" {
                    r.settle_amount_fen.abs() + r.fee_amount_fen.abs()
                } else {
                    r.order_amount_fen
                };
                *bill.entry((k, r.merc_order_no.clone())).or_insert(0) += fen;
            }
            rows.len()
        }
    };
    let mut database: BTreeMap<(&'static str, String), i64> = BTreeMap::new();
    for o in store::orders_paid_between(&state.db, from, to).await? {
        database.insert(("PAYMENT", o.merc_order_no), o.amount_fen);
    }
    for d in store::debits_paid_between(&state.db, from, to).await? {
        database.insert(("PAYMENT", d.merc_order_no), d.amount_fen);
    }
    for r in store::refunds_finished_between(&state.db, from, to).await? {
        database.insert(("REFUND", r.merc_refund_order_no), r.amount_fen);
    }
    let mut report = BillReport {
        bill_date: bill_date.to_owned(),
        kind: match kind {
            BillKind::Trade => "trade",
            BillKind::Settle => "settle",
        },
        bill_rows: rows,
        matched: 0,
        missing_in_database: vec![],
        missing_in_bill: vec![],
        amount_mismatches: vec![],
    };
    for ((k, no), fen) in &bill {
        match database.get(&(*k, no.clone())) {
            None => report.missing_in_database.push(Difference {
                merc_order_no: no.clone(),
                kind: k,
                bill_fen: Some(*fen),
                database_fen: None,
            }),
            Some(db_fen) if db_fen != fen => report.amount_mismatches.push(Difference {
                merc_order_no: no.clone(),
                kind: k,
                bill_fen: Some(*fen),
                database_fen: Some(*db_fen),
            }),
            Some(_) => report.matched += 1,
        }
    }
    for ((k, no), fen) in &database {
        if !bill.contains_key(&(*k, no.clone())) {
            report.missing_in_bill.push(Difference {
                merc_order_no: no.clone(),
                kind: k,
                bill_fen: None,
                database_fen: Some(*fen),
            });
        }
    }
    if !report.is_clean() {
        tracing::warn!(
            bill_date,
            kind = report.kind,
            missing_in_database = report.missing_in_database.len(),
            missing_in_bill = report.missing_in_bill.len(),
            amount_mismatches = report.amount_mismatches.len(),
            "bill differs from the database"
        );
    }
    Ok(report)
}

fn line_kind(trade_type: &str) -> &'static str {
    if trade_type.contains("退款") {
        "REFUND"
    } else {
        "PAYMENT"
    }
}
