//! Rows and the statements that move them. Every state change is one conditional `UPDATE` whose
//! `WHERE` names the states it may leave, so a change applies once however many callbacks,
//! queries and instances race for it, and states only move forward:
//!
//! ```text
//! payment   PREPARING -> PENDING -> PAID | NOT_PAID      NOT_PAID -> PAID (a verified late success)
//! contract  PENDING -> SIGNED | NOT_SIGNED -> UNSIGNED   NOT_SIGNED -> SIGNED; never UNSIGNED -> SIGNED
//! refund    PENDING -> SUCCESS | FAILED
//! debit     SCHEDULED -> PENDING -> PAID | NOT_PAID     (SCHEDULED: not sent yet, or sent again later)
//! ```

use sqlx::any::AnyRow;
use sqlx::{AnyConnection, AssertSqlSafe, Row};

use crate::db::{Db, DbError};
use crate::exec::{Arg, Exec};

pub type Result<T> = std::result::Result<T, DbError>;

pub mod payment {
    pub const PREPARING: &str = "PREPARING";
    pub const PENDING: &str = "PENDING";
    pub const PAID: &str = "PAID";
    pub const NOT_PAID: &str = "NOT_PAID";
}

pub mod contract {
    pub const PENDING: &str = "PENDING";
    pub const SIGNED: &str = "SIGNED";
    pub const NOT_SIGNED: &str = "NOT_SIGNED";
    pub const UNSIGNED: &str = "UNSIGNED";
}

pub mod refund {
    pub const PENDING: &str = "PENDING";
    pub const SUCCESS: &str = "SUCCESS";
    pub const FAILED: &str = "FAILED";
}

pub mod debit {
    pub const SCHEDULED: &str = "SCHEDULED";
    pub const PENDING: &str = "PENDING";
    pub const PAID: &str = "PAID";
    pub const NOT_PAID: &str = "NOT_PAID";
}

/// A pay-and-sign order.
#[derive(Clone, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Order {
    pub merc_order_no: String,
    pub user_id: String,
    #[serde(skip)]
    pub idempotency_key: String,
    pub product_id: String,
    pub amount_fen: i64,
    pub currency: String,
    pub merc_contract_code: String,
    /// The signed orderStr (holds the prepay_id: never logged, never listed).
    #[serde(skip)]
    pub order_str: Option<String>,
    pub ticket_ms: Option<i64>,
    pub payment: String,
    pub sys_trans_order_no: Option<String>,
    pub paid_ms: Option<i64>,
    pub finish_time: Option<String>,
    pub refunded_fen: i64,
    pub created_ms: i64,
    pub updated_ms: i64,
    pub expire_ms: i64,
    pub next_check_ms: i64,
    pub check_attempts: i64,
}

impl std::fmt::Debug for Order {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Order")
            .field("merc_order_no", &self.merc_order_no)
            .field("payment", &self.payment)
            .field("amount_fen", &self.amount_fen)
            .finish_non_exhaustive()
    }
}

const ORDER_COLUMNS: &str = "merc_order_no, user_id, idempotency_key, product_id, amount_fen, \
    currency, merc_contract_code, order_str, ticket_ms, payment, sys_trans_order_no, paid_ms, \
    finish_time, refunded_fen, created_ms, updated_ms, expire_ms, next_check_ms, check_attempts";

fn order_row(r: &AnyRow) -> std::result::Result<Order, sqlx::Error> {
    Ok(Order {
        merc_order_no: r.try_get("merc_order_no")?,
        user_id: r.try_get("user_id")?,
        idempotency_key: r.try_get("idempotency_key")?,
        product_id: r.try_get("product_id")?,
        amount_fen: r.try_get("amount_fen")?,
        currency: r.try_get("currency")?,
        merc_contract_code: r.try_get("merc_contract_code")?,
        order_str: r.try_get("order_str")?,
        ticket_ms: r.try_get("ticket_ms")?,
        payment: r.try_get("payment")?,
        sys_trans_order_no: r.try_get("sys_trans_order_no")?,
        paid_ms: r.try_get("paid_ms")?,
        finish_time: r.try_get("finish_time")?,
        refunded_fen: r.try_get("refunded_fen")?,
        created_ms: r.try_get("created_ms")?,
        updated_ms: r.try_get("updated_ms")?,
        expire_ms: r.try_get("expire_ms")?,
        next_check_ms: r.try_get("next_check_ms")?,
        check_attempts: r.try_get("check_attempts")?,
    })
}

/// The withholding contract signed (or not) with an order.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Contract {
    pub merc_contract_code: String,
    pub merc_order_no: String,
    pub user_id: String,
    pub plan_id: String,
    pub state: String,
    pub contract_id: Option<String>,
    pub operate_time: Option<String>,
    pub unsign_requested: bool,
    pub withhold_blocked_until: i64,
    pub created_ms: i64,
    pub updated_ms: i64,
    pub next_check_ms: i64,
    pub check_attempts: i64,
}

const CONTRACT_COLUMNS: &str = "merc_contract_code, merc_order_no, user_id, plan_id, state, \
    contract_id, operate_time, unsign_requested, withhold_blocked_until, created_ms, updated_ms, \
    next_check_ms, check_attempts";

fn contract_row(r: &AnyRow) -> std::result::Result<Contract, sqlx::Error> {
    Ok(Contract {
        merc_contract_code: r.try_get("merc_contract_code")?,
        merc_order_no: r.try_get("merc_order_no")?,
        user_id: r.try_get("user_id")?,
        plan_id: r.try_get("plan_id")?,
        state: r.try_get("state")?,
        contract_id: r.try_get("contract_id")?,
        operate_time: r.try_get("operate_time")?,
        unsign_requested: r.try_get::<i64, _>("unsign_requested")? != 0,
        withhold_blocked_until: r.try_get("withhold_blocked_until")?,
        created_ms: r.try_get("created_ms")?,
        updated_ms: r.try_get("updated_ms")?,
        next_check_ms: r.try_get("next_check_ms")?,
        check_attempts: r.try_get("check_attempts")?,
    })
}

/// A refund of (part of) a paid order.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Refund {
    pub merc_refund_order_no: String,
    pub merc_order_no: String,
    pub amount_fen: i64,
    pub reason: Option<String>,
    pub state: String,
    pub sys_refund_order_no: Option<String>,
    pub failure: Option<String>,
    pub created_ms: i64,
    pub updated_ms: i64,
    pub finished_ms: Option<i64>,
    pub check_attempts: i64,
}

const REFUND_COLUMNS: &str = "merc_refund_order_no, merc_order_no, amount_fen, reason, state, \
    sys_refund_order_no, failure, created_ms, updated_ms, finished_ms, check_attempts";

fn refund_row(r: &AnyRow) -> std::result::Result<Refund, sqlx::Error> {
    Ok(Refund {
        merc_refund_order_no: r.try_get("merc_refund_order_no")?,
        merc_order_no: r.try_get("merc_order_no")?,
        amount_fen: r.try_get("amount_fen")?,
        reason: r.try_get("reason")?,
        state: r.try_get("state")?,
        sys_refund_order_no: r.try_get("sys_refund_order_no")?,
        failure: r.try_get("failure")?,
        created_ms: r.try_get("created_ms")?,
        updated_ms: r.try_get("updated_ms")?,
        finished_ms: r.try_get("finished_ms")?,
        check_attempts: r.try_get("check_attempts")?,
    })
}

/// A withholding debit (免密代扣) against a signed contract.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Debit {
    pub merc_order_no: String,
    pub merc_contract_code: String,
    pub contract_id: String,
    pub user_id: String,
    pub product_id: Option<String>,
    pub amount_fen: i64,
    pub currency: String,
    pub state: String,
    pub sys_trans_order_no: Option<String>,
    pub failure: Option<String>,
    pub paid_ms: Option<i64>,
    pub finish_time: Option<String>,
    pub created_ms: i64,
    pub updated_ms: i64,
    pub send_after_ms: i64,
    pub check_attempts: i64,
}

const DEBIT_COLUMNS: &str = "merc_order_no, merc_contract_code, contract_id, user_id, product_id, \
    amount_fen, currency, state, sys_trans_order_no, failure, paid_ms, finish_time, created_ms, \
    updated_ms, send_after_ms, check_attempts";

fn debit_row(r: &AnyRow) -> std::result::Result<Debit, sqlx::Error> {
    Ok(Debit {
        merc_order_no: r.try_get("merc_order_no")?,
        merc_contract_code: r.try_get("merc_contract_code")?,
        contract_id: r.try_get("contract_id")?,
        user_id: r.try_get("user_id")?,
        product_id: r.try_get("product_id")?,
        amount_fen: r.try_get("amount_fen")?,
        currency: r.try_get("currency")?,
        state: r.try_get("state")?,
        sys_trans_order_no: r.try_get("sys_trans_order_no")?,
        failure: r.try_get("failure")?,
        paid_ms: r.try_get("paid_ms")?,
        finish_time: r.try_get("finish_time")?,
        created_ms: r.try_get("created_ms")?,
        updated_ms: r.try_get("updated_ms")?,
        send_after_ms: r.try_get("send_after_ms")?,
        check_attempts: r.try_get("check_attempts")?,
    })
}

/// A verified notification as recorded (the raw body only through [`callback_body`]).
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "camelCase")]
pub struct CallbackRecord {
    pub callback_id: String,
    pub kind: String,
    pub subject: String,
    pub outcome: String,
    pub received_ms: i64,
}

fn sql(text: String) -> AssertSqlSafe<String> {
    // Only ever built from this module's constants (table and column names), never from input.
    AssertSqlSafe(text)
}

// ------------------------------------------------------------------ orders and contracts

/// A new order with its contract, both pending; `false` when the user already used the key.
pub async fn insert_order(db: &Db, order: &Order, contract: &Contract) -> Result<bool> {
    let mut tx = db.begin_write().await?;
    let inserted = sqlx::query(
        "INSERT INTO orders (merc_order_no, user_id, idempotency_key, product_id, amount_fen, \
         currency, merc_contract_code, payment, created_ms, updated_ms, expire_ms, next_check_ms) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12) \
         ON CONFLICT (user_id, idempotency_key) DO NOTHING",
    )
    .bind(&order.merc_order_no)
    .bind(&order.user_id)
    .bind(&order.idempotency_key)
    .bind(&order.product_id)
    .bind(order.amount_fen)
    .bind(&order.currency)
    .bind(&order.merc_contract_code)
    .bind(&order.payment)
    .bind(order.created_ms)
    .bind(order.updated_ms)
    .bind(order.expire_ms)
    .bind(order.next_check_ms)
    .execute(&mut *tx)
    .await?
    .rows_affected();
    if inserted == 0 {
        tx.rollback().await?;
        return Ok(false);
    }
    sqlx::query(
        "INSERT INTO contracts (merc_contract_code, merc_order_no, user_id, plan_id, state, \
         created_ms, updated_ms, next_check_ms) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
    )
    .bind(&contract.merc_contract_code)
    .bind(&contract.merc_order_no)
    .bind(&contract.user_id)
    .bind(&contract.plan_id)
    .bind(&contract.state)
    .bind(contract.created_ms)
    .bind(contract.updated_ms)
    .bind(contract.next_check_ms)
    .execute(&mut *tx)
    .await?;
    tx.commit().await?;
    Ok(true)
}

/// The ticket is out: the order is pending from now on.
pub async fn set_ticket(
    db: &Db,
    merc_order_no: &str,
    order_str: &str,
    now: i64,
    next_check_ms: i64,
) -> Result<()> {
    sqlx::query(
        "UPDATE orders SET order_str = $1, ticket_ms = $2, payment = $3, updated_ms = $2, \
         next_check_ms = $4 WHERE merc_order_no = $5 AND payment = $6",
    )
    .bind(order_str)
    .bind(now)
    .bind(payment::PENDING)
    .bind(next_check_ms)
    .bind(merc_order_no)
    .bind(payment::PREPARING)
    .execute(&db.pool)
    .await?;
    Ok(())
}

/// Forgets an order whose pre-order failed (no ticket was ever issued, so nobody can pay it);
/// the same idempotency key can then try again.
pub async fn delete_preparing(db: &Db, merc_order_no: &str) -> Result<()> {
    let mut tx = db.begin_write().await?;
    let gone = sqlx::query("DELETE FROM orders WHERE merc_order_no = $1 AND payment = $2")
        .bind(merc_order_no)
        .bind(payment::PREPARING)
        .execute(&mut *tx)
        .await?
        .rows_affected();
    if gone > 0 {
        sqlx::query("DELETE FROM contracts WHERE merc_order_no = $1")
            .bind(merc_order_no)
            .execute(&mut *tx)
            .await?;
    }
    tx.commit().await?;
    Ok(())
}

pub async fn order_by_key(db: &Db, user_id: &str, key: &str) -> Result<Option<Order>> {
    let row = sqlx::query(sql(format!(
        "SELECT {ORDER_COLUMNS} FROM orders WHERE user_id = $1 AND idempotency_key = $2"
    )))
    .bind(user_id)
    .bind(key)
    .fetch_optional(&db.pool)
    .await?;
    Ok(row.as_ref().map(order_row).transpose()?)
}

pub async fn order(db: &Db, merc_order_no: &str) -> Result<Option<Order>> {
    let row = sqlx::query(sql(format!(
        "SELECT {ORDER_COLUMNS} FROM orders WHERE merc_order_no = $1"
    )))
    .bind(merc_order_no)
    .fetch_optional(&db.pool)
    .await?;
    Ok(row.as_ref().map(order_row).transpose()?)
}

pub async fn contract(db: &Db, merc_contract_code: &str) -> Result<Option<Contract>> {
    let row = sqlx::query(sql(format!(
        "SELECT {CONTRACT_COLUMNS} FROM contracts WHERE merc_contract_code = $1"
    )))
    .bind(merc_contract_code)
    .fetch_optional(&db.pool)
    .await?;
    Ok(row.as_ref().map(contract_row).transpose()?)
}

/// Where a page of a newest-first listing starts: after the row created at `created_ms` with
/// this key (order number or contract code), the last of the previous page. Rows are ordered by
/// creation time, newest first, then by key, so rows made in the same millisecond as that row
/// and listed after it come next, not skipped. Without a key: rows created before `created_ms`.
#[derive(Debug, Clone, Default)]
pub struct PageStart {
    pub created_ms: Option<i64>,
    pub key: Option<String>,
}

/// The two newest-first listings of the operations API.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Listing {
    Orders,
    Contracts,
}

impl Listing {
    /// Its statement: `$1` the start's time, `$2` its key, `$3` the limit. The first condition
    /// lets the index (`orders_created`, `contracts_created`) be entered where the page starts;
    /// the second leaves out what the previous pages listed. (Public for the test of its plan.)
    pub fn sql(self) -> String {
        let (table, columns, key) = match self {
            Listing::Orders => ("orders", ORDER_COLUMNS, "merc_order_no"),
            Listing::Contracts => ("contracts", CONTRACT_COLUMNS, "merc_contract_code"),
        };
        format!(
            "SELECT {columns} FROM {table} WHERE created_ms <= $1 AND (created_ms < $1 OR {key} > $2) \
             ORDER BY created_ms DESC, {key} LIMIT $3"
        )
    }

    async fn rows(self, db: &Db, limit: i64, start: &PageStart) -> Result<Vec<AnyRow>> {
        // No key: `key > NULL` holds for no row, so only older rows follow.
        Ok(sqlx::query(sql(self.sql()))
            .bind(start.created_ms.unwrap_or(i64::MAX))
            .bind(start.key.as_deref())
            .bind(limit)
            .fetch_all(&db.pool)
            .await?)
    }
}

pub async fn list_orders(db: &Db, limit: i64, start: &PageStart) -> Result<Vec<Order>> {
    let rows = Listing::Orders.rows(db, limit, start).await?;
    Ok(rows
        .iter()
        .map(order_row)
        .collect::<std::result::Result<_, _>>()?)
}

pub async fn list_contracts(db: &Db, limit: i64, start: &PageStart) -> Result<Vec<Contract>> {
    let rows = Listing::Contracts.rows(db, limit, start).await?;
    Ok(rows
        .iter()
        .map(contract_row)
        .collect::<std::result::Result<_, _>>()?)
}

/// Paid orders whose payment finished in `[from_ms, to_ms)`.
pub async fn orders_paid_between(db: &Db, from_ms: i64, to_ms: i64) -> Result<Vec<Order>> {
    let rows = sqlx::query(sql(format!(
        "SELECT {ORDER_COLUMNS} FROM orders WHERE payment = $1 AND paid_ms >= $2 AND paid_ms < $3"
    )))
    .bind(payment::PAID)
    .bind(from_ms)
    .bind(to_ms)
    .fetch_all(&db.pool)
    .await?;
    Ok(rows
        .iter()
        .map(order_row)
        .collect::<std::result::Result<_, _>>()?)
}

/// The order is paid (from a verified notification or a query). `false`: it already was.
pub async fn mark_paid<C: Exec>(
    conn: &mut C,
    merc_order_no: &str,
    sys_trans_order_no: Option<&str>,
    finish_time: Option<&str>,
    paid_ms: i64,
    now: i64,
) -> Result<bool> {
    let args = [
        Arg::Text(payment::PAID),
        Arg::MaybeText(sys_trans_order_no),
        Arg::MaybeText(finish_time),
        Arg::Int(paid_ms),
        Arg::Int(now),
        Arg::Text(merc_order_no),
        Arg::Text(payment::PENDING),
        Arg::Text(payment::NOT_PAID),
        Arg::Text(contract::PENDING),
        Arg::Text(contract::NOT_SIGNED),
    ];
    if conn.on_postgres() {
        // One round trip instead of two: both updates in one statement (a data-modifying CTE),
        // the contract's only when the order's applied. The contract by its code and no state
        // index, as in RECORD_AND_PAY_POSTGRES.
        let changed = conn
            .fetch_int(
                "WITH paid AS (UPDATE orders SET payment = $1, sys_trans_order_no = $2, \
                 finish_time = $3, paid_ms = $4, updated_ms = $5 \
                 WHERE merc_order_no = $6 AND payment IN ($7, $8) \
                 RETURNING merc_contract_code), \
                 revived AS (UPDATE contracts SET state = $9, updated_ms = $5, next_check_ms = $5 \
                 WHERE merc_contract_code = (SELECT merc_contract_code FROM paid) \
                 AND (merc_order_no || '') = $6 AND (state || '') = $10 \
                 AND contract_id IS NULL) \
                 SELECT COUNT(*) FROM paid",
                &args,
            )
            .await?;
        return Ok(changed > 0);
    }
    let changed = conn
        .execute(
            "UPDATE orders SET payment = $1, sys_trans_order_no = $2, finish_time = $3, \
             paid_ms = $4, updated_ms = $5 WHERE merc_order_no = $6 AND payment IN ($7, $8)",
            args.get(..8).unwrap_or(&args),
        )
        .await?;
    if changed > 0 {
        // A contract given up on because the payment looked failed is pending again (by its
        // order's index, not the state's: unary `+`).
        conn.execute(
            "UPDATE contracts SET state = $1, updated_ms = $2, next_check_ms = $2 \
             WHERE merc_order_no = $3 AND +state = $4 AND contract_id IS NULL",
            &[
                Arg::Text(contract::PENDING),
                Arg::Int(now),
                Arg::Text(merc_order_no),
                Arg::Text(contract::NOT_SIGNED),
            ],
        )
        .await?;
    }
    Ok(changed > 0)
}

/// The order will not take money (failed, or closed unpaid after expiry); its contract is not
/// signed either.
pub async fn mark_not_paid<C: Exec>(conn: &mut C, merc_order_no: &str, now: i64) -> Result<bool> {
    let changed = conn
        .execute(
            "UPDATE orders SET payment = $1, updated_ms = $2 \
             WHERE merc_order_no = $3 AND payment = $4",
            &[
                Arg::Text(payment::NOT_PAID),
                Arg::Int(now),
                Arg::Text(merc_order_no),
                Arg::Text(payment::PENDING),
            ],
        )
        .await?;
    if changed > 0 {
        mark_contract_not_signed(conn, merc_order_no, now).await?;
    }
    Ok(changed > 0)
}

pub async fn mark_contract_not_signed<C: Exec>(
    conn: &mut C,
    merc_order_no: &str,
    now: i64,
) -> Result<bool> {
    let changed = conn
        .execute(
            "UPDATE contracts SET state = $1, updated_ms = $2 \
             WHERE merc_order_no = $3 AND state = $4",
            &[
                Arg::Text(contract::NOT_SIGNED),
                Arg::Int(now),
                Arg::Text(merc_order_no),
                Arg::Text(contract::PENDING),
            ],
        )
        .await?;
    Ok(changed > 0)
}

/// The contract is signed, unless it already ended or a later change was recorded
/// (`operate_time` is `yyyy-MM-dd HH:mm:ss`, ordered as text).
pub async fn mark_signed<C: Exec>(
    conn: &mut C,
    merc_contract_code: &str,
    contract_id: &str,
    operate_time: &str,
    now: i64,
) -> Result<bool> {
    let changed = conn
        .execute(
            "UPDATE contracts SET state = $1, contract_id = $2, operate_time = $3, updated_ms = $4 \
             WHERE merc_contract_code = $5 AND state IN ($6, $7) \
             AND (operate_time IS NULL OR operate_time <= $3)",
            &[
                Arg::Text(contract::SIGNED),
                Arg::Text(contract_id),
                Arg::Text(operate_time),
                Arg::Int(now),
                Arg::Text(merc_contract_code),
                Arg::Text(contract::PENDING),
                Arg::Text(contract::NOT_SIGNED),
            ],
        )
        .await?;
    Ok(changed > 0)
}

/// The contract ended (user, merchant or platform). Final.
pub async fn mark_unsigned<C: Exec>(
    conn: &mut C,
    merc_contract_code: &str,
    contract_id: Option<&str>,
    operate_time: &str,
    now: i64,
) -> Result<bool> {
    let changed = conn
        .execute(
            "UPDATE contracts SET state = $1, contract_id = COALESCE(contract_id, $2), \
             operate_time = $3, updated_ms = $4 \
             WHERE merc_contract_code = $5 AND state IN ($6, $7, $8) \
             AND (operate_time IS NULL OR operate_time <= $3)",
            &[
                Arg::Text(contract::UNSIGNED),
                Arg::MaybeText(contract_id),
                Arg::Text(operate_time),
                Arg::Int(now),
                Arg::Text(merc_contract_code),
                Arg::Text(contract::PENDING),
                Arg::Text(contract::SIGNED),
                Arg::Text(contract::NOT_SIGNED),
            ],
        )
        .await?;
    Ok(changed > 0)
}

/// The merchant asked Payment Kit to end the contract: the worker confirms it from
/// `next_check_ms` on, unless the notification comes first.
pub async fn set_unsign_requested(
    db: &Db,
    merc_contract_code: &str,
    now: i64,
    next_check_ms: i64,
) -> Result<()> {
    sqlx::query(
        "UPDATE contracts SET unsign_requested = 1, updated_ms = $1, next_check_ms = $2, \
         check_attempts = 0 WHERE merc_contract_code = $3",
    )
    .bind(now)
    .bind(next_check_ms)
    .bind(merc_contract_code)
    .execute(&db.pool)
    .await?;
    Ok(())
}

/// Payment Kit said WITHHOLD_OVER_TIMES: no debit on this contract before `until`.
pub async fn block_withholding(db: &Db, merc_contract_code: &str, until: i64) -> Result<()> {
    sqlx::query(
        "UPDATE contracts SET withhold_blocked_until = $1 \
         WHERE merc_contract_code = $2 AND withhold_blocked_until < $1",
    )
    .bind(until)
    .bind(merc_contract_code)
    .execute(&db.pool)
    .await?;
    Ok(())
}

// ------------------------------------------------------------------ refunds

pub enum RefundInsert {
    Created,
    /// The mercRefundOrderNo exists already: this refund.
    Exists(Refund),
    /// The order is not paid, or the amount exceeds what is left to refund.
    NotRefundable,
}

/// Reserves the amount on the order and records the refund as pending, in one transaction.
pub async fn insert_refund(db: &Db, r: &Refund, next_check_ms: i64) -> Result<RefundInsert> {
    let mut tx = db.begin_write().await?;
    // Written first, so SQLite takes its write lock at once (no deferred-lock upgrade).
    let inserted = sqlx::query(
        "INSERT INTO refunds (merc_refund_order_no, merc_order_no, amount_fen, reason, state, \
         created_ms, updated_ms, next_check_ms) VALUES ($1, $2, $3, $4, $5, $6, $6, $7) \
         ON CONFLICT (merc_refund_order_no) DO NOTHING",
    )
    .bind(&r.merc_refund_order_no)
    .bind(&r.merc_order_no)
    .bind(r.amount_fen)
    .bind(&r.reason)
    .bind(refund::PENDING)
    .bind(r.created_ms)
    .bind(next_check_ms)
    .execute(&mut *tx)
    .await?
    .rows_affected();
    if inserted == 0 {
        tx.rollback().await?;
        return Ok(match refund_by_no(db, &r.merc_refund_order_no).await? {
            Some(existing) => RefundInsert::Exists(existing),
            None => RefundInsert::NotRefundable,
        });
    }
    let reserved = sqlx::query(
        "UPDATE orders SET refunded_fen = refunded_fen + $1, updated_ms = $2 \
         WHERE merc_order_no = $3 AND payment = $4 AND refunded_fen + $1 <= amount_fen",
    )
    .bind(r.amount_fen)
    .bind(r.created_ms)
    .bind(&r.merc_order_no)
    .bind(payment::PAID)
    .execute(&mut *tx)
    .await?
    .rows_affected();
    if reserved == 0 {
        tx.rollback().await?;
        return Ok(RefundInsert::NotRefundable);
    }
    tx.commit().await?;
    Ok(RefundInsert::Created)
}

pub async fn refund_by_no(db: &Db, merc_refund_order_no: &str) -> Result<Option<Refund>> {
    let row = sqlx::query(sql(format!(
        "SELECT {REFUND_COLUMNS} FROM refunds WHERE merc_refund_order_no = $1"
    )))
    .bind(merc_refund_order_no)
    .fetch_optional(&db.pool)
    .await?;
    Ok(row.as_ref().map(refund_row).transpose()?)
}

pub async fn refunds_of_order(db: &Db, merc_order_no: &str) -> Result<Vec<Refund>> {
    let rows = sqlx::query(sql(format!(
        "SELECT {REFUND_COLUMNS} FROM refunds WHERE merc_order_no = $1 ORDER BY created_ms"
    )))
    .bind(merc_order_no)
    .fetch_all(&db.pool)
    .await?;
    Ok(rows
        .iter()
        .map(refund_row)
        .collect::<std::result::Result<_, _>>()?)
}

pub async fn refunds_finished_between(db: &Db, from_ms: i64, to_ms: i64) -> Result<Vec<Refund>> {
    let rows = sqlx::query(sql(format!(
        "SELECT {REFUND_COLUMNS} FROM refunds WHERE state = $1 AND finished_ms >= $2 \
         AND finished_ms < $3"
    )))
    .bind(refund::SUCCESS)
    .bind(from_ms)
    .bind(to_ms)
    .fetch_all(&db.pool)
    .await?;
    Ok(rows
        .iter()
        .map(refund_row)
        .collect::<std::result::Result<_, _>>()?)
}

pub async fn refund_accepted(db: &Db, merc_refund_order_no: &str, sys: Option<&str>) -> Result<()> {
    sqlx::query(
        "UPDATE refunds SET sys_refund_order_no = COALESCE(sys_refund_order_no, $1) \
         WHERE merc_refund_order_no = $2",
    )
    .bind(sys)
    .bind(merc_refund_order_no)
    .execute(&db.pool)
    .await?;
    Ok(())
}

pub async fn mark_refund_success<C: Exec>(
    conn: &mut C,
    merc_refund_order_no: &str,
    sys: Option<&str>,
    finished_ms: i64,
    now: i64,
) -> Result<bool> {
    let changed = conn
        .execute(
            "UPDATE refunds SET state = $1, \
             sys_refund_order_no = COALESCE($2, sys_refund_order_no), \
             finished_ms = $3, updated_ms = $4 WHERE merc_refund_order_no = $5 AND state = $6",
            &[
                Arg::Text(refund::SUCCESS),
                Arg::MaybeText(sys),
                Arg::Int(finished_ms),
                Arg::Int(now),
                Arg::Text(merc_refund_order_no),
                Arg::Text(refund::PENDING),
            ],
        )
        .await?;
    Ok(changed > 0)
}

/// The refund failed: its amount is refundable again.
pub async fn mark_refund_failed<C: Exec>(
    conn: &mut C,
    merc_refund_order_no: &str,
    failure: &str,
    now: i64,
) -> Result<bool> {
    let failed = conn
        .fetch_text_int(
            "UPDATE refunds SET state = $1, failure = $2, finished_ms = $3, updated_ms = $3 \
             WHERE merc_refund_order_no = $4 AND state = $5 RETURNING merc_order_no, amount_fen",
            &[
                Arg::Text(refund::FAILED),
                Arg::Text(failure),
                Arg::Int(now),
                Arg::Text(merc_refund_order_no),
                Arg::Text(refund::PENDING),
            ],
        )
        .await?;
    let Some((order_no, amount)) = failed else {
        return Ok(false);
    };
    conn.execute(
        "UPDATE orders SET refunded_fen = refunded_fen - $1, updated_ms = $2 \
         WHERE merc_order_no = $3",
        &[Arg::Int(amount), Arg::Int(now), Arg::Text(&order_no)],
    )
    .await?;
    Ok(true)
}

// ------------------------------------------------------------------ debits

pub async fn insert_debit(db: &Db, d: &Debit, next_check_ms: i64) -> Result<bool> {
    let inserted = sqlx::query(
        "INSERT INTO debits (merc_order_no, merc_contract_code, contract_id, user_id, product_id, \
         amount_fen, currency, state, created_ms, updated_ms, send_after_ms, next_check_ms) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $9, $10, $11) \
         ON CONFLICT (merc_order_no) DO NOTHING",
    )
    .bind(&d.merc_order_no)
    .bind(&d.merc_contract_code)
    .bind(&d.contract_id)
    .bind(&d.user_id)
    .bind(&d.product_id)
    .bind(d.amount_fen)
    .bind(&d.currency)
    .bind(&d.state)
    .bind(d.created_ms)
    .bind(d.send_after_ms)
    .bind(next_check_ms)
    .execute(&db.pool)
    .await?
    .rows_affected();
    Ok(inserted > 0)
}

pub async fn debit(db: &Db, merc_order_no: &str) -> Result<Option<Debit>> {
    let row = sqlx::query(sql(format!(
        "SELECT {DEBIT_COLUMNS} FROM debits WHERE merc_order_no = $1"
    )))
    .bind(merc_order_no)
    .fetch_optional(&db.pool)
    .await?;
    Ok(row.as_ref().map(debit_row).transpose()?)
}

pub async fn debits_of_contract(db: &Db, merc_contract_code: &str) -> Result<Vec<Debit>> {
    let rows = sqlx::query(sql(format!(
        "SELECT {DEBIT_COLUMNS} FROM debits WHERE merc_contract_code = $1 ORDER BY created_ms"
    )))
    .bind(merc_contract_code)
    .fetch_all(&db.pool)
    .await?;
    Ok(rows
        .iter()
        .map(debit_row)
        .collect::<std::result::Result<_, _>>()?)
}

pub async fn debits_paid_between(db: &Db, from_ms: i64, to_ms: i64) -> Result<Vec<Debit>> {
    let rows = sqlx::query(sql(format!(
        "SELECT {DEBIT_COLUMNS} FROM debits WHERE state = $1 AND paid_ms >= $2 AND paid_ms < $3"
    )))
    .bind(debit::PAID)
    .bind(from_ms)
    .bind(to_ms)
    .fetch_all(&db.pool)
    .await?;
    Ok(rows
        .iter()
        .map(debit_row)
        .collect::<std::result::Result<_, _>>()?)
}

/// Payment Kit accepted the debit: pending until the notification or a query.
pub async fn debit_sent(
    db: &Db,
    merc_order_no: &str,
    sys: Option<&str>,
    now: i64,
    next_check_ms: i64,
) -> Result<()> {
    sqlx::query(
        "UPDATE debits SET state = $1, sys_trans_order_no = COALESCE($2, sys_trans_order_no), \
         updated_ms = $3, next_check_ms = $4 WHERE merc_order_no = $5 AND state = $6",
    )
    .bind(debit::PENDING)
    .bind(sys)
    .bind(now)
    .bind(next_check_ms)
    .bind(merc_order_no)
    .bind(debit::SCHEDULED)
    .execute(&db.pool)
    .await?;
    Ok(())
}

/// Not sent now; the worker sends it again from `send_after_ms` (WITHHOLD_OVER_TIMES).
pub async fn debit_reschedule(
    db: &Db,
    merc_order_no: &str,
    failure: &str,
    send_after_ms: i64,
    now: i64,
) -> Result<()> {
    sqlx::query(
        "UPDATE debits SET failure = $1, send_after_ms = $2, next_check_ms = $2, updated_ms = $3 \
         WHERE merc_order_no = $4 AND state = $5",
    )
    .bind(failure)
    .bind(send_after_ms)
    .bind(now)
    .bind(merc_order_no)
    .bind(debit::SCHEDULED)
    .execute(&db.pool)
    .await?;
    Ok(())
}

pub async fn mark_debit_paid<C: Exec>(
    conn: &mut C,
    merc_order_no: &str,
    sys: Option<&str>,
    finish_time: Option<&str>,
    paid_ms: i64,
    now: i64,
) -> Result<bool> {
    let changed = conn
        .execute(
            "UPDATE debits SET state = $1, sys_trans_order_no = COALESCE($2, sys_trans_order_no), \
             finish_time = $3, paid_ms = $4, updated_ms = $5 \
             WHERE merc_order_no = $6 AND state IN ($7, $8, $9)",
            &[
                Arg::Text(debit::PAID),
                Arg::MaybeText(sys),
                Arg::MaybeText(finish_time),
                Arg::Int(paid_ms),
                Arg::Int(now),
                Arg::Text(merc_order_no),
                Arg::Text(debit::SCHEDULED),
                Arg::Text(debit::PENDING),
                Arg::Text(debit::NOT_PAID),
            ],
        )
        .await?;
    Ok(changed > 0)
}

/// Payment Kit does not know a debit whose request may not have arrived: send it again (the same
/// mercOrderNo is charged at most once).
pub async fn debit_resend(db: &Db, merc_order_no: &str, now: i64) -> Result<()> {
    sqlx::query(
        "UPDATE debits SET state = $1, send_after_ms = $2, updated_ms = $2 \
         WHERE merc_order_no = $3 AND state = $4",
    )
    .bind(debit::SCHEDULED)
    .bind(now)
    .bind(merc_order_no)
    .bind(debit::PENDING)
    .execute(&db.pool)
    .await?;
    Ok(())
}

pub async fn mark_debit_failed<C: Exec>(
    conn: &mut C,
    merc_order_no: &str,
    failure: &str,
    now: i64,
) -> Result<bool> {
    let changed = conn
        .execute(
            "UPDATE debits SET state = $1, failure = $2, updated_ms = $3 \
             WHERE merc_order_no = $4 AND state IN ($5, $6)",
            &[
                Arg::Text(debit::NOT_PAID),
                Arg::Text(failure),
                Arg::Int(now),
                Arg::Text(merc_order_no),
                Arg::Text(debit::SCHEDULED),
                Arg::Text(debit::PENDING),
            ],
        )
        .await?;
    Ok(changed > 0)
}

// ------------------------------------------------------------------ callbacks

/// One verified notification to record with [`record_and_pay`].
#[derive(Debug, Clone, Copy)]
pub struct NewCallback<'a> {
    pub callback_id: &'a str,
    pub kind: &'a str,
    pub subject: &'a str,
    pub raw_body: &'a str,
}

/// A recorded payment notification that pays its order, if it is new (see [`record_and_pay`]).
/// Serialized as it travels in the batch parameter (short keys: the SQL reads them per row).
#[derive(Debug, Clone, Copy, serde::Serialize)]
pub struct PaidCallback<'a> {
    #[serde(rename = "cb")]
    pub callback_id: &'a str,
    #[serde(rename = "no")]
    pub merc_order_no: &'a str,
    #[serde(rename = "sys")]
    pub sys_trans_order_no: Option<&'a str>,
    #[serde(rename = "ft")]
    pub finish_time: Option<&'a str>,
    #[serde(rename = "pm")]
    pub paid_ms: i64,
}

/// What [`record_and_pay`] did.
#[derive(Debug, Default)]
pub struct Recorded {
    /// The callbackIds recorded now (the others were recorded before, or earlier in the rows).
    pub new: std::collections::HashSet<String>,
    /// The orders paid now.
    pub paid: std::collections::HashSet<String>,
}

/// A recorded outcome no committed row ever has: on SQLite it marks, within the transaction,
/// the rows this call records, so the statements after the insert touch only their orders.
const RECORDING: &str = "RECORDING";

/// A batch as one JSON text parameter: one statement text for every batch size, so each
/// connection prepares and plans it once (texts built from the count filled the statement
/// cache with one entry per size and made PostgreSQL plan nearly every batch anew).
fn batch_json<T: serde::Serialize>(rows: &T) -> Result<String> {
    serde_json::to_string(rows).map_err(|e| DbError::Sql(sqlx::Error::Encode(Box::new(e))))
}

#[derive(serde::Serialize)]
struct RowJson<'a> {
    cb: &'a str,
    kind: &'a str,
    subject: &'a str,
    outcome: &'a str,
    raw: &'a str,
}

/// The CTEs `paid` and `revived` of PostgreSQL's batch statements: the orders of `v` (cb, no,
/// sys, ft, pm) whose callback `ins` recorded now are paid if they still can be ($7, $8), and
/// their given-up contracts ($6) revived ($5); $1 is now, $4 paid.
macro_rules! pay_recorded_postgres {
    () => {
        "paid AS (UPDATE orders SET payment = $4, sys_trans_order_no = v.sys, \
          finish_time = v.ft, paid_ms = v.pm, updated_ms = $1 FROM v JOIN ins \
          ON ins.callback_id = v.cb \
          WHERE orders.merc_order_no = v.no AND (orders.payment || '') IN ($7, $8) \
          AND orders.merc_order_no = ANY (ARRAY(SELECT no FROM v)) \
          RETURNING orders.merc_order_no, orders.merc_contract_code), \
        revived AS (UPDATE contracts SET state = $5, updated_ms = $1, next_check_ms = $1 \
          FROM paid WHERE contracts.merc_contract_code = paid.merc_contract_code \
          AND contracts.merc_order_no = paid.merc_order_no \
          AND (contracts.state || '') = $6 AND contracts.contract_id IS NULL) "
    };
}

/// [`record_and_pay`] on PostgreSQL: one statement of data-modifying CTEs ($3, SQLite's marker,
/// is bound for both dialects and unused here). Orders and contracts are looked up by primary
/// key only. The planner guesses 100 rows for a JSON set and would scan every order to join
/// them, so keys come as `= ANY (ARRAY(..))`. A state condition it could answer from a state
/// index (`orders_due`, `contracts_due`) made it read every pending order or unsigned contract
/// and intersect, in each batch: `(state || '')` keeps it a filter, as SQLite's unary `+` does
/// below. Contracts are joined to the orders paid now, a set it expects to be tiny, so it looks
/// each one up (`= ANY` over them had it scan the table).
const RECORD_AND_PAY_POSTGRES: &str = concat!(
    "WITH r AS (SELECT * FROM json_to_recordset($9::json) \
      AS r (cb text, kind text, subject text, outcome text, raw text)), \
    ins AS (INSERT INTO callbacks (callback_id, kind, subject, outcome, received_ms, raw_body) \
      SELECT cb, kind, subject, $2, $1, raw FROM r ORDER BY cb \
      ON CONFLICT (callback_id) DO NOTHING RETURNING callback_id), \
    v AS (SELECT * FROM json_to_recordset($10::json) \
      AS v (cb text, no text, sys text, ft text, pm bigint)), ",
    pay_recorded_postgres!(),
    "SELECT 'new' AS tag, callback_id AS id FROM ins \
    UNION ALL SELECT 'paid' AS tag, merc_order_no AS id FROM paid"
);

/// [`record_and_pay`] on SQLite, which has no data-modifying CTEs: four statements in one call.
/// The contracts go before the orders, while "the order can still be paid" says which ones
/// this call pays: the same condition the orders' update applies next. SQLite cannot tell how
/// many rows `json_each` gives, and left alone it walks the state indexes (every pending order
/// or contract) instead of looking each one up by key: the unary `+` keeps a state condition
/// off its index.
const RECORD_AND_PAY_SQLITE: &str = "\
    INSERT INTO callbacks (callback_id, kind, subject, outcome, received_ms, raw_body) \
      SELECT value ->> 'cb', value ->> 'kind', value ->> 'subject', value ->> 'outcome', $1, \
      value ->> 'raw' FROM json_each($9) WHERE true \
      ON CONFLICT (callback_id) DO NOTHING RETURNING 'new' AS tag, callback_id AS id; \
    WITH v (cb, no) AS (SELECT value ->> 'cb', value ->> 'no' FROM json_each($10)) \
    UPDATE contracts SET state = $5, updated_ms = $1, next_check_ms = $1 \
      WHERE +state = $6 AND contract_id IS NULL AND merc_order_no IN \
      (SELECT v.no FROM v JOIN callbacks c ON c.callback_id = v.cb AND c.outcome = $3 \
      JOIN orders o ON o.merc_order_no = v.no AND +o.payment IN ($7, $8)); \
    WITH v (cb, no, sys, ft, pm) AS (SELECT value ->> 'cb', value ->> 'no', value ->> 'sys', \
      value ->> 'ft', value ->> 'pm' FROM json_each($10)) \
    UPDATE orders SET payment = $4, sys_trans_order_no = v.sys, finish_time = v.ft, \
      paid_ms = v.pm, updated_ms = $1 FROM v \
      WHERE orders.merc_order_no = v.no AND +orders.payment IN ($7, $8) \
      AND EXISTS (SELECT 1 FROM callbacks c WHERE c.callback_id = v.cb AND c.outcome = $3) \
      RETURNING 'paid' AS tag, orders.merc_order_no AS id; \
    UPDATE callbacks SET outcome = $2 WHERE outcome = $3 \
      AND callback_id IN (SELECT value ->> 'cb' FROM json_each($10))";

/// In one round trip: records `rows` (outcome `APPLIED`; on PostgreSQL, where two instances
/// write at once, in callbackId order so that they take the key locks in the same order), then,
/// for each of `pays` whose callback was recorded now, applies [`mark_paid`] to its order (same
/// conditions, contract revived).
/// Each of `pays` names one of `rows`, and no two the same order. Callers mark `NO_CHANGE` the
/// new ones whose order was not paid now. On SQLite, run it inside a write transaction: the
/// rows it records are marked [`RECORDING`] until its last statement.
pub async fn record_and_pay(
    conn: &mut AnyConnection,
    rows: &[NewCallback<'_>],
    pays: &[PaidCallback<'_>],
    now: i64,
) -> Result<Recorded> {
    if rows.is_empty() {
        return Ok(Recorded::default());
    }
    let postgres = conn.on_postgres();
    let paying: std::collections::HashSet<&str> = pays.iter().map(|p| p.callback_id).collect();
    let rows: Vec<RowJson<'_>> = rows
        .iter()
        .map(|r| RowJson {
            cb: r.callback_id,
            kind: r.kind,
            subject: r.subject,
            outcome: if !postgres && paying.contains(r.callback_id) {
                RECORDING
            } else {
                "APPLIED"
            },
            raw: r.raw_body,
        })
        .collect();
    let text = if postgres {
        RECORD_AND_PAY_POSTGRES
    } else {
        RECORD_AND_PAY_SQLITE
    };
    let query = sqlx::query(text)
        .bind(now)
        .bind("APPLIED")
        .bind(RECORDING)
        .bind(payment::PAID)
        .bind(contract::PENDING)
        .bind(contract::NOT_SIGNED)
        .bind(payment::PENDING)
        .bind(payment::NOT_PAID)
        .bind(batch_json(&rows)?)
        .bind(batch_json(&pays)?);
    let mut recorded = Recorded::default();
    for row in query.fetch_all(&mut *conn).await? {
        let tag: String = row.try_get("tag")?;
        let id: String = row.try_get("id")?;
        match tag.as_str() {
            "new" => recorded.new.insert(id),
            _ => recorded.paid.insert(id),
        };
    }
    Ok(recorded)
}

/// A successful payment notification of a pay-and-sign order, for [`settle_payments`]: what it
/// is checked against (amount, currency), what it records and what it pays. Serialized as it
/// travels in the batch parameter (short keys: the SQL reads them per row).
#[derive(Debug, Clone, Copy, serde::Serialize)]
pub struct OrderPayment<'a> {
    #[serde(rename = "cb")]
    pub callback_id: &'a str,
    #[serde(rename = "no")]
    pub merc_order_no: &'a str,
    #[serde(rename = "amt")]
    pub amount_fen: i64,
    #[serde(rename = "cur")]
    pub currency: &'a str,
    #[serde(rename = "sys")]
    pub sys_trans_order_no: &'a str,
    #[serde(rename = "ft")]
    pub finish_time: Option<&'a str>,
    #[serde(rename = "pm")]
    pub paid_ms: i64,
    /// The body as received, kept for audit.
    pub raw: &'a str,
}

/// What [`settle_payments`] did with each payment, by callbackId or mercOrderNo.
#[derive(Debug, Default)]
pub struct Settled {
    /// The callbackIds recorded now (a payment not here but among the checked was recorded
    /// before: a duplicate).
    pub new: std::collections::HashSet<String>,
    /// The orders paid now.
    pub paid: std::collections::HashSet<String>,
    /// Orders stored with another amount or currency than notified, with the stored ones:
    /// nothing of their payments was recorded.
    pub other_terms: std::collections::HashMap<String, (i64, String)>,
    /// Numbers that name no pay-and-sign order (a withholding debit, or nothing): nothing of
    /// their payments was recorded.
    pub not_orders: std::collections::HashSet<String>,
}

/// [`settle_payments`]: data-modifying CTEs, so the check, the recording, the payments and the
/// contracts' revival are one statement, and in autocommit one transaction. Only the payments
/// whose order has the notified amount and currency are recorded (`v`). A recording's outcome
/// is `NO_CHANGE` when its order was past paying in the statement's snapshot; the rare one
/// recorded `APPLIED` whose order another transaction paid meanwhile is fixed after (see
/// [`settle_payments`]). Keys are looked up as in [`RECORD_AND_PAY_POSTGRES`].
const SETTLE_PAYMENTS_POSTGRES: &str = concat!(
    "WITH n AS (SELECT * FROM json_to_recordset($10::json) AS n (cb text, no text, amt bigint, \
      cur text, sys text, ft text, pm bigint, raw text)), \
    o AS (SELECT merc_order_no, amount_fen, currency, payment FROM orders \
      WHERE merc_order_no = ANY (ARRAY(SELECT no FROM n))), \
    v AS (SELECT n.*, o.payment IN ($7, $8) AS payable FROM n JOIN o \
      ON o.merc_order_no = n.no AND o.amount_fen = n.amt AND o.currency = n.cur), \
    ins AS (INSERT INTO callbacks (callback_id, kind, subject, outcome, received_ms, raw_body) \
      SELECT cb, $9, no, CASE WHEN payable THEN $2 ELSE $3 END, $1, raw FROM v ORDER BY cb \
      ON CONFLICT (callback_id) DO NOTHING RETURNING callback_id, outcome), ",
    pay_recorded_postgres!(),
    "SELECT 'new' AS tag, callback_id AS id, outcome AS cur, CAST(NULL AS BIGINT) AS amt \
      FROM ins \
    UNION ALL SELECT 'paid', merc_order_no, NULL, NULL FROM paid \
    UNION ALL SELECT 'other', o.merc_order_no, o.currency, o.amount_fen FROM o JOIN n \
      ON n.no = o.merc_order_no WHERE o.amount_fen <> n.amt OR o.currency <> n.cur \
    UNION ALL SELECT 'none', no, NULL, NULL FROM n \
      WHERE NOT EXISTS (SELECT 1 FROM o WHERE o.merc_order_no = n.no)"
);

/// PostgreSQL only: checks `payments` (distinct callbackIds, distinct orders) against their
/// orders, records those that match and pays their orders (same conditions as [`mark_paid`],
/// contract revived), in one statement: in autocommit, one round trip and one transaction for
/// the batch, where the general path takes four (the check, `BEGIN`, [`record_and_pay`],
/// `COMMIT`). Run outside a transaction, what it returns is committed.
pub async fn settle_payments(
    conn: &mut AnyConnection,
    payments: &[OrderPayment<'_>],
    now: i64,
) -> Result<Settled> {
    let mut settled = Settled::default();
    if payments.is_empty() {
        return Ok(settled);
    }
    // Two about one order would both be recorded APPLIED while one paid it.
    let mut ids = std::collections::HashSet::new();
    let mut orders = std::collections::HashSet::new();
    if !payments
        .iter()
        .all(|p| ids.insert(p.callback_id) && orders.insert(p.merc_order_no))
    {
        return Err(DbError::Sql(sqlx::Error::InvalidArgument(
            "settle_payments: callbackIds and orders must be distinct".to_owned(),
        )));
    }
    // Numbered as in record_and_pay, whose `paid` and `revived` it shares.
    let query = sqlx::query(SETTLE_PAYMENTS_POSTGRES)
        .bind(now)
        .bind("APPLIED")
        .bind("NO_CHANGE")
        .bind(payment::PAID)
        .bind(contract::PENDING)
        .bind(contract::NOT_SIGNED)
        .bind(payment::PENDING)
        .bind(payment::NOT_PAID)
        .bind("payment")
        .bind(batch_json(&payments)?);
    let mut recorded_applied = Vec::new();
    for row in query.fetch_all(&mut *conn).await? {
        let tag: String = row.try_get("tag")?;
        let id: String = row.try_get("id")?;
        match tag.as_str() {
            "new" => {
                if row.try_get::<Option<String>, _>("cur")?.as_deref() == Some("APPLIED") {
                    recorded_applied.push(id.clone());
                }
                settled.new.insert(id);
            }
            "paid" => {
                settled.paid.insert(id);
            }
            "other" => {
                let amount: Option<i64> = row.try_get("amt")?;
                let currency: Option<String> = row.try_get("cur")?;
                settled.other_terms.insert(
                    id,
                    (amount.unwrap_or_default(), currency.unwrap_or_default()),
                );
            }
            _ => {
                settled.not_orders.insert(id);
            }
        }
    }
    // Recorded APPLIED from the snapshot, yet not paid: another transaction paid the order in
    // between. Rare; the label is fixed in a statement of its own (money is not at stake).
    let order_of: std::collections::HashMap<&str, &str> = payments
        .iter()
        .map(|p| (p.callback_id, p.merc_order_no))
        .collect();
    let unchanged: Vec<&str> = recorded_applied
        .iter()
        .map(String::as_str)
        .filter(|cb| {
            order_of
                .get(cb)
                .is_some_and(|no| !settled.paid.contains(*no))
        })
        .collect();
    set_callback_outcomes(conn, &unchanged, "NO_CHANGE").await?;
    Ok(settled)
}

/// Records one verified notification with `outcome`, unless its callbackId was recorded before
/// (`false`). Row by row, for the writer's own SQLite connection, where a statement costs no
/// round trip ([`record_and_pay`] records a whole batch in one).
pub async fn record_callback<C: Exec>(
    conn: &mut C,
    row: &NewCallback<'_>,
    outcome: &str,
    now: i64,
) -> Result<bool> {
    let inserted = conn
        .execute(
            "INSERT INTO callbacks (callback_id, kind, subject, outcome, received_ms, raw_body) \
             VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (callback_id) DO NOTHING",
            &[
                Arg::Text(row.callback_id),
                Arg::Text(row.kind),
                Arg::Text(row.subject),
                Arg::Text(outcome),
                Arg::Int(now),
                Arg::Text(row.raw_body),
            ],
        )
        .await?;
    Ok(inserted > 0)
}

/// Sets how one recorded notification ended.
pub async fn set_callback_outcome<C: Exec>(
    conn: &mut C,
    callback_id: &str,
    outcome: &str,
) -> Result<()> {
    conn.execute(
        "UPDATE callbacks SET outcome = $1 WHERE callback_id = $2",
        &[Arg::Text(outcome), Arg::Text(callback_id)],
    )
    .await?;
    Ok(())
}

/// Sets how recorded notifications ended (after [`record_and_pay`] recorded them as applied).
pub async fn set_callback_outcomes(
    conn: &mut AnyConnection,
    callback_ids: &[&str],
    outcome: &str,
) -> Result<()> {
    if callback_ids.is_empty() {
        return Ok(());
    }
    let list = (0..callback_ids.len())
        .map(|i| format!("${}", i + 2))
        .collect::<Vec<_>>()
        .join(", ");
    let mut query = sqlx::query(sql(format!(
        "UPDATE callbacks SET outcome = $1 WHERE callback_id IN ({list})"
    )))
    .bind(outcome);
    for id in callback_ids {
        query = query.bind(*id);
    }
    query.execute(&mut *conn).await?;
    Ok(())
}

/// Amount, currency and "is a withholding debit" by mercOrderNo: what payment notifications are
/// checked against.
pub type Terms = std::collections::HashMap<String, (i64, String, bool)>;

/// [`payment_terms`] on SQLite (`$1`: the numbers as one JSON array; rows: number, amount,
/// currency, 1 for a debit). One text for every batch size, so each connection prepares and
/// plans it once.
pub const PAYMENT_TERMS_SQLITE: &str = "WITH n (no) AS (SELECT value FROM json_each($1)) \
     SELECT merc_order_no, amount_fen, currency, CAST(0 AS BIGINT) AS debit FROM orders \
     WHERE merc_order_no IN (SELECT no FROM n) UNION ALL \
     SELECT merc_order_no, amount_fen, currency, CAST(1 AS BIGINT) AS debit FROM debits \
     WHERE merc_order_no IN (SELECT no FROM n)";

/// Adds one row of a payment terms query.
pub fn add_term(terms: &mut Terms, no: String, amount: i64, currency: String, debit: bool) {
    // An order and a debit never share a number; if they did, the order counts.
    if !debit || !terms.contains_key(&no) {
        terms.insert(no, (amount, currency, debit));
    }
}

/// The numbers of a payment terms query as its one parameter.
pub fn terms_parameter(merc_order_nos: &[&str]) -> Result<String> {
    batch_json(&merc_order_nos)
}

/// The amount and currency of the pay-and-sign orders, or else withholding debits (`true`), with
/// these mercOrderNos, in one query: what payment notifications are checked against.
pub async fn payment_terms(conn: &mut AnyConnection, merc_order_nos: &[&str]) -> Result<Terms> {
    let mut terms = Terms::new();
    if merc_order_nos.is_empty() {
        return Ok(terms);
    }
    let numbers = terms_parameter(merc_order_nos)?;
    let text = if conn.on_postgres() {
        // Looked up by key (a plain IN over the JSON set would make the planner scan).
        "SELECT merc_order_no, amount_fen, currency, CAST(0 AS BIGINT) AS debit FROM orders \
         WHERE merc_order_no = ANY (ARRAY(SELECT json_array_elements_text($1::json))) \
         UNION ALL \
         SELECT merc_order_no, amount_fen, currency, CAST(1 AS BIGINT) AS debit FROM debits \
         WHERE merc_order_no = ANY (ARRAY(SELECT json_array_elements_text($1::json)))"
    } else {
        PAYMENT_TERMS_SQLITE
    };
    let query = sqlx::query(text).bind(numbers);
    for r in query.fetch_all(&mut *conn).await? {
        let debit = r.try_get::<i64, _>("debit")? != 0;
        add_term(
            &mut terms,
            r.try_get("merc_order_no")?,
            r.try_get("amount_fen")?,
            r.try_get("currency")?,
            debit,
        );
    }
    Ok(terms)
}

pub async fn callbacks_of(db: &Db, subject: &str) -> Result<Vec<CallbackRecord>> {
    let rows = sqlx::query(
        "SELECT callback_id, kind, subject, outcome, received_ms FROM callbacks \
         WHERE subject = $1 ORDER BY received_ms",
    )
    .bind(subject)
    .fetch_all(&db.pool)
    .await?;
    rows.iter()
        .map(|r| {
            Ok(CallbackRecord {
                callback_id: r.try_get("callback_id")?,
                kind: r.try_get("kind")?,
                subject: r.try_get("subject")?,
                outcome: r.try_get("outcome")?,
                received_ms: r.try_get("received_ms")?,
            })
        })
        .collect::<std::result::Result<_, sqlx::Error>>()
        .map_err(DbError::from)
}

pub async fn callback_body(db: &Db, callback_id: &str) -> Result<Option<String>> {
    let row = sqlx::query("SELECT raw_body FROM callbacks WHERE callback_id = $1")
        .bind(callback_id)
        .fetch_optional(&db.pool)
        .await?;
    Ok(row.map(|r| r.try_get("raw_body")).transpose()?)
}

pub async fn count_callbacks(db: &Db, subject: &str) -> Result<i64> {
    let row = sqlx::query("SELECT COUNT(*) AS n FROM callbacks WHERE subject = $1")
        .bind(subject)
        .fetch_one(&db.pool)
        .await?;
    Ok(row.try_get("n")?)
}

// ------------------------------------------------------------------ leases (reconciliation)

/// The kinds of pending work the reconciler queries Payment Kit about.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Work {
    Payments,
    Contracts,
    Refunds,
    Debits,
}

impl Work {
    pub const ALL: [Work; 4] = [Work::Payments, Work::Contracts, Work::Refunds, Work::Debits];

    pub fn as_str(self) -> &'static str {
        match self {
            Work::Payments => "payment",
            Work::Contracts => "contract",
            Work::Refunds => "refund",
            Work::Debits => "debit",
        }
    }

    fn table(self) -> (&'static str, &'static str, &'static str) {
        // (table, key column, condition for "still pending")
        match self {
            Work::Payments => ("orders", "merc_order_no", "payment = 'PENDING'"),
            Work::Contracts => (
                "contracts",
                "merc_contract_code",
                "(state = 'PENDING' OR (state = 'SIGNED' AND unsign_requested = 1))",
            ),
            Work::Refunds => ("refunds", "merc_refund_order_no", "state = 'PENDING'"),
            Work::Debits => (
                "debits",
                "merc_order_no",
                "state IN ('PENDING', 'SCHEDULED')",
            ),
        }
    }
}

/// Claims up to `limit` due items of one kind for `owner` until `lease_until`: rows another
/// instance holds (an unexpired lease, or a PostgreSQL row lock) are skipped.
pub async fn claim_due(
    db: &Db,
    work: Work,
    owner: &str,
    now: i64,
    lease_until: i64,
    limit: i64,
) -> Result<Vec<(String, i64)>> {
    let (table, key, pending) = work.table();
    let skip = db.skip_locked();
    let rows = sqlx::query(sql(format!(
        "UPDATE {table} SET lease_owner = $1, lease_until = $2 WHERE {key} IN \
         (SELECT {key} FROM {table} WHERE {pending} AND next_check_ms <= $3 AND lease_until < $3 \
          ORDER BY next_check_ms LIMIT $4{skip}) \
         RETURNING {key}, check_attempts"
    )))
    .bind(owner)
    .bind(lease_until)
    .bind(now)
    .bind(limit)
    .fetch_all(&db.pool)
    .await?;
    rows.iter()
        .map(|r| Ok((r.try_get(key)?, r.try_get("check_attempts")?)))
        .collect::<std::result::Result<_, sqlx::Error>>()
        .map_err(DbError::from)
}

/// Claims one order for an on-demand status query, unless another query of it is in flight
/// (anywhere) or one ran since `not_since`.
pub async fn claim_order_query(
    db: &Db,
    merc_order_no: &str,
    owner: &str,
    now: i64,
    lease_until: i64,
    not_since: i64,
) -> Result<bool> {
    let changed = sqlx::query(
        "UPDATE orders SET lease_owner = $1, lease_until = $2, last_query_ms = $3 \
         WHERE merc_order_no = $4 AND lease_until < $3 AND last_query_ms <= $5",
    )
    .bind(owner)
    .bind(lease_until)
    .bind(now)
    .bind(merc_order_no)
    .bind(not_since)
    .execute(&db.pool)
    .await?
    .rows_affected();
    Ok(changed > 0)
}

/// Gives a claimed item back with its next check time.
pub async fn release(
    db: &Db,
    work: Work,
    key_value: &str,
    owner: &str,
    next_check_ms: i64,
    attempts: i64,
) -> Result<()> {
    let (table, key, _) = work.table();
    sqlx::query(sql(format!(
        "UPDATE {table} SET lease_owner = NULL, lease_until = 0, next_check_ms = $1, \
         check_attempts = $2 WHERE {key} = $3 AND lease_owner = $4"
    )))
    .bind(next_check_ms)
    .bind(attempts)
    .bind(key_value)
    .bind(owner)
    .execute(&db.pool)
    .await?;
    Ok(())
}

/// Ends an on-demand claim without touching the schedule.
pub async fn release_order_query(db: &Db, merc_order_no: &str, owner: &str) -> Result<()> {
    sqlx::query(
        "UPDATE orders SET lease_owner = NULL, lease_until = 0 \
         WHERE merc_order_no = $1 AND lease_owner = $2",
    )
    .bind(merc_order_no)
    .bind(owner)
    .execute(&db.pool)
    .await?;
    Ok(())
}

/// How many items of a kind are pending and past due (the reconcile backlog).
pub async fn backlog(db: &Db, work: Work, now: i64) -> Result<i64> {
    let (table, _, pending) = work.table();
    let row = sqlx::query(sql(format!(
        "SELECT COUNT(*) AS n FROM {table} WHERE {pending} AND next_check_ms <= $1"
    )))
    .bind(now)
    .fetch_one(&db.pool)
    .await?;
    Ok(row.try_get("n")?)
}
