//! What stayed pending is asked of Payment Kit: payments, contracts, refunds and debits past
//! their thresholds, with exponential backoff and bounded concurrency. Items are claimed with
//! row leases (`FOR UPDATE SKIP LOCKED` on PostgreSQL), so many instances share the work
//! without querying the same item twice. Unpaid orders past expiry are closed, after Payment
//! Kit confirmed that nothing was paid. Failures and cancels send no callback: this is how the
//! server learns of them.

use std::sync::Arc;

use tokio::sync::watch;
use tokio::task::JoinSet;

use crate::db::DbError;
use crate::pk::{ContractLookup, PaymentLookup, RefundLookup};
use crate::server::AppState;
use crate::store::{self, contract, debit, payment, refund, Work};
use crate::{operations, time};

fn ms(v: u64) -> i64 {
    i64::try_from(v).unwrap_or(i64::MAX)
}

/// The next check after `attempts` inconclusive ones: `base * 2^attempts`, at most `max`.
pub fn backoff(base_ms: i64, attempts: i64, max_ms: i64) -> i64 {
    let shift = u32::try_from(attempts.clamp(0, 30)).unwrap_or(30);
    base_ms
        .max(1_000)
        .saturating_mul(1i64 << shift)
        .min(max_ms.max(1_000))
}

/// Whether an item is settled, or needs asking again later.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Next {
    Done,
    Later,
}

/// One pass over every kind of pending work; returns how many items were looked at.
pub async fn run_once(state: &Arc<AppState>) -> usize {
    let mut seen = 0;
    for work in Work::ALL {
        match pass(state, work).await {
            Ok(n) => seen += n,
            Err(e) => tracing::warn!(kind = work.as_str(), error = %e, "reconcile pass failed"),
        }
    }
    let now = time::now_ms();
    for work in Work::ALL {
        if let Ok(n) = store::backlog(&state.db, work, now).await {
            state.metrics.set_backlog(work.as_str(), n);
        }
    }
    seen
}

async fn pass(state: &Arc<AppState>, work: Work) -> Result<usize, DbError> {
    let cfg = &state.settings.config.reconcile;
    let now = time::now_ms();
    let limit = i64::try_from(cfg.concurrency).unwrap_or(1);
    let claimed = store::claim_due(
        &state.db,
        work,
        &state.instance,
        now,
        now + ms(cfg.lease_ms),
        limit,
    )
    .await?;
    let count = claimed.len();
    let mut tasks = JoinSet::new();
    for (key, attempts) in claimed {
        let state = Arc::clone(state);
        tasks.spawn(async move {
            let next = match check(&state, work, &key).await {
                Ok(next) => next,
                Err(e) => {
                    tracing::warn!(kind = work.as_str(), key, error = %e, "reconcile check failed");
                    Next::Later
                }
            };
            let cfg = &state.settings.config.reconcile;
            let base = match work {
                Work::Payments => cfg.payment_after_ms,
                Work::Contracts => cfg.contract_after_ms,
                Work::Refunds => cfg.refund_after_ms,
                Work::Debits => cfg.debit_after_ms,
            };
            let now = time::now_ms();
            let next_at = match next {
                Next::Done => now,
                Next::Later => now + backoff(ms(base), attempts, ms(cfg.max_backoff_ms)),
            };
            if let Err(e) = store::release(
                &state.db,
                work,
                &key,
                &state.instance,
                next_at,
                attempts + 1,
            )
            .await
            {
                tracing::warn!(kind = work.as_str(), key, error = %e, "lease release failed");
            }
        });
    }
    while tasks.join_next().await.is_some() {}
    Ok(count)
}

async fn check(state: &AppState, work: Work, key: &str) -> Result<Next, DbError> {
    match work {
        Work::Payments => check_payment(state, key).await,
        Work::Contracts => check_contract(state, key).await,
        Work::Refunds => check_refund(state, key).await,
        Work::Debits => check_debit(state, key).await,
    }
}

/// The status call's own query, at most one in flight per order across instances.
pub async fn query_order_now(state: &AppState, merc_order_no: &str, now: i64) {
    let cfg = &state.settings.config.reconcile;
    let min_gap = 1_000;
    match store::claim_order_query(
        &state.db,
        merc_order_no,
        &state.instance,
        now,
        now + ms(cfg.lease_ms),
        now - min_gap,
    )
    .await
    {
        Ok(true) => {}
        Ok(false) => return,
        Err(e) => {
            tracing::warn!(merc_order_no, error = %e, "status query claim failed");
            return;
        }
    }
    if let Err(e) = check_payment(state, merc_order_no).await {
        tracing::warn!(merc_order_no, error = %e, "status query failed");
    }
    if let Ok(Some(order)) = store::order(&state.db, merc_order_no).await {
        if let Err(e) = check_contract(state, &order.merc_contract_code).await {
            tracing::warn!(merc_order_no, error = %e, "contract query failed");
        }
    }
    if let Err(e) = store::release_order_query(&state.db, merc_order_no, &state.instance).await {
        tracing::warn!(merc_order_no, error = %e, "status query release failed");
    }
}

async fn check_payment(state: &AppState, no: &str) -> Result<Next, DbError> {
    let Some(order) = store::order(&state.db, no).await? else {
        return Ok(Next::Done);
    };
    if order.payment != payment::PENDING {
        return Ok(Next::Done);
    }
    let lookup = match state.payment_kit.query_order(no).await {
        Ok(l) => l,
        Err(e) => {
            tracing::info!(merc_order_no = no, error = %e, "payment query failed");
            return Ok(Next::Later);
        }
    };
    let now = time::now_ms();
    let mut conn = state.db.pool.acquire().await?;
    match lookup {
        PaymentLookup::Paid {
            sys_trans_order_no,
            amount_fen,
            currency,
            finish_time,
        } => {
            if amount_fen != order.amount_fen || currency != order.currency {
                tracing::error!(
                    merc_order_no = no,
                    amount_fen,
                    stored_fen = order.amount_fen,
                    "Payment Kit reports another amount for this order; left pending"
                );
                return Ok(Next::Later);
            }
            let paid_ms = finish_time
                .as_deref()
                .and_then(time::parse_iso)
                .unwrap_or(now);
            if store::mark_paid(
                &mut *conn,
                no,
                sys_trans_order_no.as_deref(),
                finish_time.as_deref(),
                paid_ms,
                now,
            )
            .await?
            {
                tracing::info!(merc_order_no = no, "payment confirmed by query");
            }
            Ok(Next::Done)
        }
        PaymentLookup::Failed => {
            store::mark_not_paid(&mut *conn, no, now).await?;
            Ok(Next::Done)
        }
        PaymentLookup::Unknown if now > order.expire_ms => {
            // Expired, and Payment Kit has no payment for it: closed unpaid.
            if store::mark_not_paid(&mut *conn, no, now).await? {
                tracing::info!(merc_order_no = no, "unpaid order closed after expiry");
            }
            Ok(Next::Done)
        }
        PaymentLookup::Unknown | PaymentLookup::Processing => Ok(Next::Later),
    }
}

async fn check_contract(state: &AppState, code: &str) -> Result<Next, DbError> {
    let Some(c) = store::contract(&state.db, code).await? else {
        return Ok(Next::Done);
    };
    let unsigning = c.state == contract::SIGNED && c.unsign_requested;
    if c.state != contract::PENDING && !unsigning {
        return Ok(Next::Done);
    }
    let Some(order) = store::order(&state.db, &c.merc_order_no).await? else {
        return Ok(Next::Done);
    };
    let now = time::now_ms();
    let mut conn = state.db.pool.acquire().await?;
    if order.payment == payment::NOT_PAID && !unsigning {
        store::mark_contract_not_signed(&mut *conn, &order.merc_order_no, now).await?;
        return Ok(Next::Done);
    }
    if order.payment != payment::PAID && !unsigning {
        // Signing follows the payment: nothing to ask yet.
        return Ok(Next::Later);
    }
    let lookup = match state.payment_kit.query_contract(code).await {
        Ok(l) => l,
        Err(e) => {
            tracing::info!(merc_contract_code = code, error = %e, "contract query failed");
            return Ok(Next::Later);
        }
    };
    match lookup {
        ContractLookup::Signed {
            contract_id,
            signed_time,
        } => {
            if unsigning {
                return Ok(Next::Later);
            }
            let op = signed_time.unwrap_or_else(|| time::format_plain(now));
            store::mark_signed(&mut *conn, code, &contract_id, &op, now).await?;
            Ok(Next::Done)
        }
        ContractLookup::Unsigned { contract_id } => {
            store::mark_unsigned(
                &mut *conn,
                code,
                contract_id.as_deref(),
                &time::format_plain(now),
                now,
            )
            .await?;
            Ok(Next::Done)
        }
        ContractLookup::Unknown => {
            let grace = ms(state.settings.config.reconcile.contract_grace_ms);
            if !unsigning && order.paid_ms.is_some_and(|p| now - p > grace) {
                // Paid long ago and still no contract: the user did not sign.
                store::mark_contract_not_signed(&mut *conn, &order.merc_order_no, now).await?;
                return Ok(Next::Done);
            }
            Ok(Next::Later)
        }
    }
}

async fn check_refund(state: &AppState, no: &str) -> Result<Next, DbError> {
    let Some(r) = store::refund_by_no(&state.db, no).await? else {
        return Ok(Next::Done);
    };
    if r.state != refund::PENDING {
        return Ok(Next::Done);
    }
    let lookup = match state.payment_kit.query_refund(no).await {
        Ok(l) => l,
        Err(e) => {
            tracing::info!(merc_refund_order_no = no, error = %e, "refund query failed");
            return Ok(Next::Later);
        }
    };
    let now = time::now_ms();
    let mut conn = state.db.pool.acquire().await?;
    match lookup {
        RefundLookup::Success {
            sys_refund_order_no,
        } => {
            store::mark_refund_success(&mut *conn, no, sys_refund_order_no.as_deref(), now, now)
                .await?;
            Ok(Next::Done)
        }
        RefundLookup::Failed => {
            store::mark_refund_failed(&mut *conn, no, "REFUND_FAILED", now).await?;
            Ok(Next::Done)
        }
        RefundLookup::Processing => Ok(Next::Later),
        RefundLookup::Unknown => {
            // The request never arrived: send it again, with the same mercRefundOrderNo (Payment
            // Kit refunds one number once).
            drop(conn);
            operations::send_refund(state, &r).await?;
            Ok(Next::Later)
        }
    }
}

async fn check_debit(state: &AppState, no: &str) -> Result<Next, DbError> {
    let Some(d) = store::debit(&state.db, no).await? else {
        return Ok(Next::Done);
    };
    let now = time::now_ms();
    if d.state == debit::SCHEDULED {
        if d.send_after_ms > now {
            return Ok(Next::Later);
        }
        operations::send_debit(state, &d).await?;
        return Ok(Next::Later);
    }
    if d.state != debit::PENDING {
        return Ok(Next::Done);
    }
    let lookup = match state.payment_kit.query_order(no).await {
        Ok(l) => l,
        Err(e) => {
            tracing::info!(merc_order_no = no, error = %e, "debit query failed");
            return Ok(Next::Later);
        }
    };
    let mut conn = state.db.pool.acquire().await?;
    match lookup {
        PaymentLookup::Paid {
            sys_trans_order_no,
            amount_fen,
            finish_time,
            ..
        } => {
            if amount_fen != d.amount_fen {
                tracing::error!(
                    merc_order_no = no,
                    "Payment Kit reports another debit amount"
                );
                return Ok(Next::Later);
            }
            let paid_ms = finish_time
                .as_deref()
                .and_then(time::parse_iso)
                .unwrap_or(now);
            store::mark_debit_paid(
                &mut *conn,
                no,
                sys_trans_order_no.as_deref(),
                finish_time.as_deref(),
                paid_ms,
                now,
            )
            .await?;
            Ok(Next::Done)
        }
        PaymentLookup::Failed => {
            store::mark_debit_failed(&mut *conn, no, "TRX_FAILED", now).await?;
            Ok(Next::Done)
        }
        PaymentLookup::Processing => Ok(Next::Later),
        PaymentLookup::Unknown => {
            drop(conn);
            store::debit_resend(&state.db, no, now).await?;
            Ok(Next::Later)
        }
    }
}

/// The background worker: a pass every `interval`, until `stop` turns true.
pub async fn worker(state: Arc<AppState>, mut stop: watch::Receiver<bool>) {
    let interval = state.settings.config.reconcile.interval();
    loop {
        run_once(&state).await;
        tokio::select! {
            _ = tokio::time::sleep(interval) => {}
            _ = stop.changed() => break,
        }
        if *stop.borrow() {
            break;
        }
    }
}
