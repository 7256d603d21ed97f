//! Sandbox state in SQLite (`:memory:` by default, a file with `--db`): merchants, orders,
//! contracts, refunds, seen traceIds, bill download grants and the event log. Only storage lives
//! here; which changes are allowed is decided in `lifecycle`.

use std::path::Path;
use std::sync::{Mutex, MutexGuard};

use rusqlite::{params, Connection, OptionalExtension, Row, Transaction};
use serde::{Deserialize, Serialize};

use crate::merchants::Merchant;

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("sandbox database: {0}")]
    Sql(#[from] rusqlite::Error),
    #[error("sandbox database holds a value it cannot read: {0}")]
    Corrupt(String),
}

/// `orderStatus` of a payment order (spec §4.3).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum OrderStatus {
    TrxApply,
    TrxProc,
    TrxSuccess,
    TrxFailed,
}

impl OrderStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::TrxApply => "TRX_APPLY",
            Self::TrxProc => "TRX_PROC",
            Self::TrxSuccess => "TRX_SUCCESS",
            Self::TrxFailed => "TRX_FAILED",
        }
    }
    fn parse(s: &str) -> Result<Self, StoreError> {
        Ok(match s {
            "TRX_APPLY" => Self::TrxApply,
            "TRX_PROC" => Self::TrxProc,
            "TRX_SUCCESS" => Self::TrxSuccess,
            "TRX_FAILED" => Self::TrxFailed,
            other => return Err(StoreError::Corrupt(format!("order status {other}"))),
        })
    }
}

/// State of the withholding contract signed with an order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum ContractStatus {
    /// Pre-ordered, not (yet) signed in the cashier.
    Pending,
    /// `signStatus` 1.
    Signed,
    /// `signStatus` 9.
    Unsigned,
}

impl ContractStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Pending => "PENDING",
            Self::Signed => "SIGNED",
            Self::Unsigned => "UNSIGNED",
        }
    }
    fn parse(s: &str) -> Result<Self, StoreError> {
        Ok(match s {
            "PENDING" => Self::Pending,
            "SIGNED" => Self::Signed,
            "UNSIGNED" => Self::Unsigned,
            other => return Err(StoreError::Corrupt(format!("contract status {other}"))),
        })
    }
}

/// `refundOrderStatus` (spec §4.5).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum RefundStatus {
    RefundChlProc,
    RefundSuccess,
    RefundFailed,
}

impl RefundStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::RefundChlProc => "REFUND_CHL_PROC",
            Self::RefundSuccess => "REFUND_SUCCESS",
            Self::RefundFailed => "REFUND_FAILED",
        }
    }
    fn parse(s: &str) -> Result<Self, StoreError> {
        Ok(match s {
            "REFUND_CHL_PROC" => Self::RefundChlProc,
            "REFUND_SUCCESS" => Self::RefundSuccess,
            "REFUND_FAILED" => Self::RefundFailed,
            other => return Err(StoreError::Corrupt(format!("refund status {other}"))),
        })
    }
}

/// A pay-and-sign order. `merc_no` is the calling merchant (direct merchant or service provider).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Order {
    pub merc_no: String,
    pub merc_order_no: String,
    pub sub_merc_no: Option<String>,
    /// `appId` (direct) or `spAppId` (service provider).
    pub app_id: Option<String>,
    pub sub_app_id: Option<String>,
    /// `app` or `fa` (atomic service).
    pub channel: String,
    pub sys_trans_order_no: String,
    pub prepay_id: String,
    pub prepay_issued_ms: i64,
    pub trade_summary: String,
    pub total_amount: i64,
    pub currency: String,
    pub payload: Option<String>,
    pub callback_url: String,
    pub expire_at_ms: i64,
    pub status: OrderStatus,
    pub finish_ms: Option<i64>,
    /// Why a failed order failed: `FAILED` (cashier) or `EXPIRED`.
    pub closed_reason: Option<String>,
    pub merc_contract_code: String,
    pub created_ms: i64,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Contract {
    pub merc_no: String,
    pub merc_contract_code: String,
    pub sub_merc_no: Option<String>,
    pub app_id: Option<String>,
    pub plan_id: String,
    pub merc_order_no: String,
    pub callback_url: String,
    pub status: ContractStatus,
    pub contract_id: Option<String>,
    pub signed_ms: Option<i64>,
    pub expire_date_ms: Option<i64>,
    pub unsigned_ms: Option<i64>,
    pub change_mode: Option<String>,
    pub unsign_callback_url: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Refund {
    pub merc_no: String,
    pub merc_refund_order_no: String,
    pub sys_refund_order_no: String,
    pub merc_order_no: String,
    pub sys_trans_order_no: String,
    pub refund_amount: i64,
    pub reason: Option<String>,
    pub callback_url: String,
    pub payload: Option<String>,
    pub status: RefundStatus,
    pub created_ms: i64,
    pub finish_ms: Option<i64>,
}

/// One entry of the event log (see `events`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct EventRecord {
    pub seq: i64,
    pub at_ms: i64,
    pub kind: String,
    pub merc_no: String,
    pub key: String,
}

/// A one-time bill download the downloadInfo answer granted.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BillGrant {
    pub token: String,
    pub authorization: String,
    pub merc_no: String,
    pub kind: String,
    pub bill_date: String,
    /// An SP bill narrowed to one sub-merchant.
    pub sub_merc_no: Option<String>,
    pub expires_ms: i64,
}

const SCHEMA: &str = "
CREATE TABLE IF NOT EXISTS merchants (merc_no TEXT PRIMARY KEY, body TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS trace_ids (caller_id TEXT NOT NULL, trace_id TEXT NOT NULL, seen_ms INTEGER NOT NULL,
  PRIMARY KEY (caller_id, trace_id));
CREATE TABLE IF NOT EXISTS orders (
  merc_no TEXT NOT NULL, merc_order_no TEXT NOT NULL, sub_merc_no TEXT, app_id TEXT, sub_app_id TEXT,
  channel TEXT NOT NULL, sys_trans_order_no TEXT NOT NULL UNIQUE, prepay_id TEXT NOT NULL UNIQUE,
  prepay_issued_ms INTEGER NOT NULL, trade_summary TEXT NOT NULL, total_amount INTEGER NOT NULL,
  currency TEXT NOT NULL, payload TEXT, callback_url TEXT NOT NULL, expire_at_ms INTEGER NOT NULL,
  status TEXT NOT NULL, finish_ms INTEGER, closed_reason TEXT, merc_contract_code TEXT NOT NULL,
  created_ms INTEGER NOT NULL, PRIMARY KEY (merc_no, merc_order_no));
CREATE TABLE IF NOT EXISTS contracts (
  merc_no TEXT NOT NULL, merc_contract_code TEXT NOT NULL, sub_merc_no TEXT, app_id TEXT, plan_id TEXT NOT NULL,
  merc_order_no TEXT NOT NULL, callback_url TEXT NOT NULL, status TEXT NOT NULL, contract_id TEXT UNIQUE,
  signed_ms INTEGER, expire_date_ms INTEGER, unsigned_ms INTEGER, change_mode TEXT, unsign_callback_url TEXT,
  PRIMARY KEY (merc_no, merc_contract_code));
CREATE TABLE IF NOT EXISTS refunds (
  merc_no TEXT NOT NULL, merc_refund_order_no TEXT NOT NULL, sys_refund_order_no TEXT NOT NULL UNIQUE,
  merc_order_no TEXT NOT NULL, sys_trans_order_no TEXT NOT NULL, refund_amount INTEGER NOT NULL, reason TEXT,
  callback_url TEXT NOT NULL, payload TEXT, status TEXT NOT NULL, created_ms INTEGER NOT NULL, finish_ms INTEGER,
  PRIMARY KEY (merc_no, merc_refund_order_no));
CREATE TABLE IF NOT EXISTS bill_grants (token TEXT PRIMARY KEY, authorization TEXT NOT NULL, merc_no TEXT NOT NULL,
  kind TEXT NOT NULL, bill_date TEXT NOT NULL, sub_merc_no TEXT, expires_ms INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS events (seq INTEGER PRIMARY KEY AUTOINCREMENT, at_ms INTEGER NOT NULL, kind TEXT NOT NULL,
  merc_no TEXT NOT NULL, key TEXT NOT NULL);
";

/// The one storage implementation: SQLite behind a mutex (requests are short; the sandbox is
/// not a throughput target).
pub struct Store {
    conn: Mutex<Connection>,
}

impl Store {
    /// An in-memory database.
    pub fn in_memory() -> Result<Self, StoreError> {
        Self::init(Connection::open_in_memory()?)
    }

    /// A database file, created when missing; state survives restarts.
    pub fn open(path: &Path) -> Result<Self, StoreError> {
        Self::init(Connection::open(path)?)
    }

    fn init(conn: Connection) -> Result<Self, StoreError> {
        conn.execute_batch(SCHEMA)?;
        conn.execute_batch(crate::delivery_store::SCHEMA)?;
        conn.execute_batch(crate::withhold::SCHEMA)?;
        Ok(Self {
            conn: Mutex::new(conn),
        })
    }

    fn lock(&self) -> MutexGuard<'_, Connection> {
        // A panic while holding the lock cannot leave SQLite half-written (transactions roll
        // back), so a poisoned lock is still safe to use.
        self.conn.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Runs `f` in one transaction, committed when it returns `Ok`.
    pub fn transaction<T, E>(
        &self,
        f: impl FnOnce(&Transaction<'_>) -> Result<T, E>,
    ) -> Result<T, E>
    where
        E: From<StoreError>,
    {
        let mut conn = self.lock();
        let tx = conn.transaction().map_err(StoreError::from)?;
        let out = f(&tx)?;
        tx.commit().map_err(StoreError::from)?;
        Ok(out)
    }

    /// Runs `f` on the connection outside an explicit transaction: reads, and changes that are
    /// a single statement.
    pub fn run<T>(
        &self,
        f: impl FnOnce(&Connection) -> Result<T, StoreError>,
    ) -> Result<T, StoreError> {
        let conn = self.lock();
        f(&conn)
    }
}

// ---- merchants ----

pub fn put_merchant(c: &Connection, m: &Merchant) -> Result<(), StoreError> {
    let body = serde_json::to_string(m).map_err(|e| StoreError::Corrupt(e.to_string()))?;
    c.execute(
        "INSERT INTO merchants (merc_no, body) VALUES (?1, ?2)
         ON CONFLICT(merc_no) DO UPDATE SET body = excluded.body",
        params![m.merc_no, body],
    )?;
    Ok(())
}

pub fn merchant(c: &Connection, merc_no: &str) -> Result<Option<Merchant>, StoreError> {
    let body: Option<String> = c
        .query_row(
            "SELECT body FROM merchants WHERE merc_no = ?1",
            [merc_no],
            |r| r.get(0),
        )
        .optional()?;
    body.map(|b| serde_json::from_str(&b).map_err(|e| StoreError::Corrupt(e.to_string())))
        .transpose()
}

pub fn merchants(c: &Connection) -> Result<Vec<Merchant>, StoreError> {
    let mut stmt = c.prepare("SELECT body FROM merchants ORDER BY merc_no")?;
    let bodies = stmt
        .query_map([], |r| r.get::<_, String>(0))?
        .collect::<Result<Vec<_>, _>>()?;
    bodies
        .iter()
        .map(|b| serde_json::from_str(b).map_err(|e| StoreError::Corrupt(e.to_string())))
        .collect()
}

// ---- trace ids ----

/// Records a traceId; `false` when this caller already used it.
pub fn record_trace_id(
    c: &Connection,
    caller_id: &str,
    trace_id: &str,
    now_ms: i64,
) -> Result<bool, StoreError> {
    let n = c.execute(
        "INSERT OR IGNORE INTO trace_ids (caller_id, trace_id, seen_ms) VALUES (?1, ?2, ?3)",
        params![caller_id, trace_id, now_ms],
    )?;
    Ok(n == 1)
}

// ---- orders ----

const ORDER_COLS: &str = "merc_no, merc_order_no, sub_merc_no, app_id, sub_app_id, channel, sys_trans_order_no,
  prepay_id, prepay_issued_ms, trade_summary, total_amount, currency, payload, callback_url, expire_at_ms, status,
  finish_ms, closed_reason, merc_contract_code, created_ms";

fn order_from_row(r: &Row<'_>) -> rusqlite::Result<(Order, String)> {
    let status: String = r.get(15)?;
    Ok((
        Order {
            merc_no: r.get(0)?,
            merc_order_no: r.get(1)?,
            sub_merc_no: r.get(2)?,
            app_id: r.get(3)?,
            sub_app_id: r.get(4)?,
            channel: r.get(5)?,
            sys_trans_order_no: r.get(6)?,
            prepay_id: r.get(7)?,
            prepay_issued_ms: r.get(8)?,
            trade_summary: r.get(9)?,
            total_amount: r.get(10)?,
            currency: r.get(11)?,
            payload: r.get(12)?,
            callback_url: r.get(13)?,
            expire_at_ms: r.get(14)?,
            status: OrderStatus::TrxApply,
            finish_ms: r.get(16)?,
            closed_reason: r.get(17)?,
            merc_contract_code: r.get(18)?,
            created_ms: r.get(19)?,
        },
        status,
    ))
}

fn finish_order(row: (Order, String)) -> Result<Order, StoreError> {
    let (mut order, status) = row;
    order.status = OrderStatus::parse(&status)?;
    Ok(order)
}

pub fn insert_order(c: &Connection, o: &Order) -> Result<(), StoreError> {
    c.execute(
        &format!("INSERT INTO orders ({ORDER_COLS}) VALUES (?1,?2,?3,?4,?5,?6,?7,?8,?9,?10,?11,?12,?13,?14,?15,?16,?17,?18,?19,?20)"),
        params![
            o.merc_no, o.merc_order_no, o.sub_merc_no, o.app_id, o.sub_app_id, o.channel, o.sys_trans_order_no,
            o.prepay_id, o.prepay_issued_ms, o.trade_summary, o.total_amount, o.currency, o.payload,
            o.callback_url, o.expire_at_ms, o.status.as_str(), o.finish_ms, o.closed_reason,
            o.merc_contract_code, o.created_ms
        ],
    )?;
    Ok(())
}

pub fn order(
    c: &Connection,
    merc_no: &str,
    merc_order_no: &str,
) -> Result<Option<Order>, StoreError> {
    c.query_row(
        &format!("SELECT {ORDER_COLS} FROM orders WHERE merc_no = ?1 AND merc_order_no = ?2"),
        [merc_no, merc_order_no],
        order_from_row,
    )
    .optional()?
    .map(finish_order)
    .transpose()
}

pub fn order_by_sys_no(
    c: &Connection,
    merc_no: &str,
    sys_no: &str,
) -> Result<Option<Order>, StoreError> {
    c.query_row(
        &format!("SELECT {ORDER_COLS} FROM orders WHERE merc_no = ?1 AND sys_trans_order_no = ?2"),
        [merc_no, sys_no],
        order_from_row,
    )
    .optional()?
    .map(finish_order)
    .transpose()
}

/// The order a cashier was opened for: the orderStr carries `merc_no` and `prepay_id`.
pub fn order_by_prepay_id(
    c: &Connection,
    merc_no: &str,
    prepay_id: &str,
) -> Result<Option<Order>, StoreError> {
    c.query_row(
        &format!("SELECT {ORDER_COLS} FROM orders WHERE merc_no = ?1 AND prepay_id = ?2"),
        [merc_no, prepay_id],
        order_from_row,
    )
    .optional()?
    .map(finish_order)
    .transpose()
}

pub fn orders(c: &Connection, merc_no: Option<&str>) -> Result<Vec<Order>, StoreError> {
    let mut stmt = c.prepare(&format!(
        "SELECT {ORDER_COLS} FROM orders WHERE ?1 IS NULL OR merc_no = ?1 ORDER BY created_ms, merc_order_no"
    ))?;
    let rows = stmt
        .query_map([merc_no], order_from_row)?
        .collect::<Result<Vec<_>, _>>()?;
    rows.into_iter().map(finish_order).collect()
}

pub fn update_order_status(
    c: &Connection,
    o: &Order,
    status: OrderStatus,
    finish_ms: Option<i64>,
    closed_reason: Option<&str>,
) -> Result<(), StoreError> {
    c.execute(
        "UPDATE orders SET status = ?3, finish_ms = ?4, closed_reason = ?5 WHERE merc_no = ?1 AND merc_order_no = ?2",
        params![o.merc_no, o.merc_order_no, status.as_str(), finish_ms, closed_reason],
    )?;
    Ok(())
}

// ---- contracts ----

const CONTRACT_COLS: &str =
    "merc_no, merc_contract_code, sub_merc_no, app_id, plan_id, merc_order_no, callback_url,
  status, contract_id, signed_ms, expire_date_ms, unsigned_ms, change_mode, unsign_callback_url";

fn contract_from_row(r: &Row<'_>) -> rusqlite::Result<(Contract, String)> {
    Ok((
        Contract {
            merc_no: r.get(0)?,
            merc_contract_code: r.get(1)?,
            sub_merc_no: r.get(2)?,
            app_id: r.get(3)?,
            plan_id: r.get(4)?,
            merc_order_no: r.get(5)?,
            callback_url: r.get(6)?,
            status: ContractStatus::Pending,
            contract_id: r.get(8)?,
            signed_ms: r.get(9)?,
            expire_date_ms: r.get(10)?,
            unsigned_ms: r.get(11)?,
            change_mode: r.get(12)?,
            unsign_callback_url: r.get(13)?,
        },
        r.get(7)?,
    ))
}

fn finish_contract(row: (Contract, String)) -> Result<Contract, StoreError> {
    let (mut contract, status) = row;
    contract.status = ContractStatus::parse(&status)?;
    Ok(contract)
}

pub fn insert_contract(c: &Connection, k: &Contract) -> Result<(), StoreError> {
    c.execute(
        &format!("INSERT INTO contracts ({CONTRACT_COLS}) VALUES (?1,?2,?3,?4,?5,?6,?7,?8,?9,?10,?11,?12,?13,?14)"),
        params![
            k.merc_no, k.merc_contract_code, k.sub_merc_no, k.app_id, k.plan_id, k.merc_order_no, k.callback_url,
            k.status.as_str(), k.contract_id, k.signed_ms, k.expire_date_ms, k.unsigned_ms, k.change_mode,
            k.unsign_callback_url
        ],
    )?;
    Ok(())
}

pub fn contract(c: &Connection, merc_no: &str, code: &str) -> Result<Option<Contract>, StoreError> {
    c.query_row(
        &format!(
            "SELECT {CONTRACT_COLS} FROM contracts WHERE merc_no = ?1 AND merc_contract_code = ?2"
        ),
        [merc_no, code],
        contract_from_row,
    )
    .optional()?
    .map(finish_contract)
    .transpose()
}

pub fn contract_by_id(
    c: &Connection,
    merc_no: &str,
    contract_id: &str,
) -> Result<Option<Contract>, StoreError> {
    c.query_row(
        &format!("SELECT {CONTRACT_COLS} FROM contracts WHERE merc_no = ?1 AND contract_id = ?2"),
        [merc_no, contract_id],
        contract_from_row,
    )
    .optional()?
    .map(finish_contract)
    .transpose()
}

pub fn contracts(c: &Connection, merc_no: Option<&str>) -> Result<Vec<Contract>, StoreError> {
    let mut stmt = c.prepare(&format!(
        "SELECT {CONTRACT_COLS} FROM contracts WHERE ?1 IS NULL OR merc_no = ?1 ORDER BY merc_no, merc_contract_code"
    ))?;
    let rows = stmt
        .query_map([merc_no], contract_from_row)?
        .collect::<Result<Vec<_>, _>>()?;
    rows.into_iter().map(finish_contract).collect()
}

pub fn update_contract(c: &Connection, k: &Contract) -> Result<(), StoreError> {
    c.execute(
        "UPDATE contracts SET status = ?3, contract_id = ?4, signed_ms = ?5, expire_date_ms = ?6, unsigned_ms = ?7,
           change_mode = ?8, unsign_callback_url = ?9 WHERE merc_no = ?1 AND merc_contract_code = ?2",
        params![
            k.merc_no, k.merc_contract_code, k.status.as_str(), k.contract_id, k.signed_ms, k.expire_date_ms,
            k.unsigned_ms, k.change_mode, k.unsign_callback_url
        ],
    )?;
    Ok(())
}

// ---- refunds ----

const REFUND_COLS: &str =
    "merc_no, merc_refund_order_no, sys_refund_order_no, merc_order_no, sys_trans_order_no,
  refund_amount, reason, callback_url, payload, status, created_ms, finish_ms";

fn refund_from_row(r: &Row<'_>) -> rusqlite::Result<(Refund, String)> {
    Ok((
        Refund {
            merc_no: r.get(0)?,
            merc_refund_order_no: r.get(1)?,
            sys_refund_order_no: r.get(2)?,
            merc_order_no: r.get(3)?,
            sys_trans_order_no: r.get(4)?,
            refund_amount: r.get(5)?,
            reason: r.get(6)?,
            callback_url: r.get(7)?,
            payload: r.get(8)?,
            status: RefundStatus::RefundChlProc,
            created_ms: r.get(10)?,
            finish_ms: r.get(11)?,
        },
        r.get(9)?,
    ))
}

fn finish_refund(row: (Refund, String)) -> Result<Refund, StoreError> {
    let (mut refund, status) = row;
    refund.status = RefundStatus::parse(&status)?;
    Ok(refund)
}

pub fn insert_refund(c: &Connection, f: &Refund) -> Result<(), StoreError> {
    c.execute(
        &format!(
            "INSERT INTO refunds ({REFUND_COLS}) VALUES (?1,?2,?3,?4,?5,?6,?7,?8,?9,?10,?11,?12)"
        ),
        params![
            f.merc_no,
            f.merc_refund_order_no,
            f.sys_refund_order_no,
            f.merc_order_no,
            f.sys_trans_order_no,
            f.refund_amount,
            f.reason,
            f.callback_url,
            f.payload,
            f.status.as_str(),
            f.created_ms,
            f.finish_ms
        ],
    )?;
    Ok(())
}

pub fn refund(
    c: &Connection,
    merc_no: &str,
    merc_refund_order_no: &str,
) -> Result<Option<Refund>, StoreError> {
    c.query_row(
        &format!(
            "SELECT {REFUND_COLS} FROM refunds WHERE merc_no = ?1 AND merc_refund_order_no = ?2"
        ),
        [merc_no, merc_refund_order_no],
        refund_from_row,
    )
    .optional()?
    .map(finish_refund)
    .transpose()
}

pub fn refund_by_sys_no(
    c: &Connection,
    merc_no: &str,
    sys_no: &str,
) -> Result<Option<Refund>, StoreError> {
    c.query_row(
        &format!(
            "SELECT {REFUND_COLS} FROM refunds WHERE merc_no = ?1 AND sys_refund_order_no = ?2"
        ),
        [merc_no, sys_no],
        refund_from_row,
    )
    .optional()?
    .map(finish_refund)
    .transpose()
}

/// Refunds of one merchant, or of one of its orders when `merc_order_no` is given.
pub fn refunds(
    c: &Connection,
    merc_no: Option<&str>,
    merc_order_no: Option<&str>,
) -> Result<Vec<Refund>, StoreError> {
    let mut stmt = c.prepare(&format!(
        "SELECT {REFUND_COLS} FROM refunds WHERE (?1 IS NULL OR merc_no = ?1) AND (?2 IS NULL OR merc_order_no = ?2)
         ORDER BY created_ms, merc_refund_order_no"
    ))?;
    let rows = stmt
        .query_map(params![merc_no, merc_order_no], refund_from_row)?
        .collect::<Result<Vec<_>, _>>()?;
    rows.into_iter().map(finish_refund).collect()
}

pub fn update_refund_status(
    c: &Connection,
    f: &Refund,
    status: RefundStatus,
    finish_ms: i64,
) -> Result<(), StoreError> {
    c.execute(
        "UPDATE refunds SET status = ?3, finish_ms = ?4 WHERE merc_no = ?1 AND merc_refund_order_no = ?2",
        params![f.merc_no, f.merc_refund_order_no, status.as_str(), finish_ms],
    )?;
    Ok(())
}

// ---- bill grants ----

pub fn insert_bill_grant(c: &Connection, g: &BillGrant) -> Result<(), StoreError> {
    c.execute(
        "INSERT INTO bill_grants (token, authorization, merc_no, kind, bill_date, sub_merc_no, expires_ms)
         VALUES (?1,?2,?3,?4,?5,?6,?7)",
        params![g.token, g.authorization, g.merc_no, g.kind, g.bill_date, g.sub_merc_no, g.expires_ms],
    )?;
    Ok(())
}

pub fn bill_grant(c: &Connection, token: &str) -> Result<Option<BillGrant>, StoreError> {
    Ok(c.query_row(
        "SELECT token, authorization, merc_no, kind, bill_date, sub_merc_no, expires_ms FROM bill_grants WHERE token = ?1",
        [token],
        |r| {
            Ok(BillGrant {
                token: r.get(0)?,
                authorization: r.get(1)?,
                merc_no: r.get(2)?,
                kind: r.get(3)?,
                bill_date: r.get(4)?,
                sub_merc_no: r.get(5)?,
                expires_ms: r.get(6)?,
            })
        },
    )
    .optional()?)
}

// ---- events ----

pub fn append_event(
    c: &Connection,
    at_ms: i64,
    kind: &str,
    merc_no: &str,
    key: &str,
) -> Result<i64, StoreError> {
    c.execute(
        "INSERT INTO events (at_ms, kind, merc_no, key) VALUES (?1, ?2, ?3, ?4)",
        params![at_ms, kind, merc_no, key],
    )?;
    Ok(c.last_insert_rowid())
}

pub fn events_after(c: &Connection, after_seq: i64) -> Result<Vec<EventRecord>, StoreError> {
    let mut stmt =
        c.prepare("SELECT seq, at_ms, kind, merc_no, key FROM events WHERE seq > ?1 ORDER BY seq")?;
    let rows = stmt
        .query_map([after_seq], |r| {
            Ok(EventRecord {
                seq: r.get(0)?,
                at_ms: r.get(1)?,
                kind: r.get(2)?,
                merc_no: r.get(3)?,
                key: r.get(4)?,
            })
        })?
        .collect::<Result<Vec<_>, _>>()?;
    Ok(rows)
}

pub fn event(c: &Connection, seq: i64) -> Result<Option<EventRecord>, StoreError> {
    Ok(c.query_row(
        "SELECT seq, at_ms, kind, merc_no, key FROM events WHERE seq = ?1",
        [seq],
        |r| {
            Ok(EventRecord {
                seq: r.get(0)?,
                at_ms: r.get(1)?,
                kind: r.get(2)?,
                merc_no: r.get(3)?,
                key: r.get(4)?,
            })
        },
    )
    .optional()?)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn order(no: &str, prepay: &str) -> Order {
        Order {
            merc_no: "101".to_owned(),
            merc_order_no: no.to_owned(),
            sub_merc_no: None,
            app_id: Some("APP".to_owned()),
            sub_app_id: None,
            channel: "app".to_owned(),
            sys_trans_order_no: format!("SYS-{no}"),
            prepay_id: prepay.to_owned(),
            prepay_issued_ms: 1,
            trade_summary: "t".to_owned(),
            total_amount: 5,
            currency: "CNY".to_owned(),
            payload: None,
            callback_url: "https://m.example/cb".to_owned(),
            expire_at_ms: 2,
            status: OrderStatus::TrxApply,
            finish_ms: None,
            closed_reason: None,
            merc_contract_code: format!("C-{no}"),
            created_ms: 1,
        }
    }

    #[test]
    fn orders_are_found_by_number_prepay_id_and_system_number() {
        let store = Store::in_memory().unwrap();
        store
            .transaction(|c| -> Result<(), StoreError> {
                insert_order(c, &order("A", "P-A"))?;
                insert_order(c, &order("B", "P-B"))
            })
            .unwrap();
        store
            .run(|c| {
                assert_eq!(
                    order_by_prepay_id(c, "101", "P-B")?.unwrap().merc_order_no,
                    "B"
                );
                assert!(order_by_prepay_id(c, "999", "P-B")?.is_none());
                assert_eq!(
                    order_by_sys_no(c, "101", "SYS-A")?.unwrap().prepay_id,
                    "P-A"
                );
                Ok(())
            })
            .unwrap();
        // A duplicate mercOrderNo of one merchant is refused by the schema too.
        let dup = store.run(|c| insert_order(c, &order("A", "P-C")));
        assert!(dup.is_err());
    }

    #[test]
    fn a_failed_transaction_leaves_nothing() {
        let store = Store::in_memory().unwrap();
        let r: Result<(), StoreError> = store.transaction(|c| {
            insert_order(c, &order("A", "P-A"))?;
            insert_order(c, &order("A", "P-A2"))
        });
        assert!(r.is_err());
        assert!(store.run(|c| orders(c, None)).unwrap().is_empty());
    }

    #[test]
    fn trace_ids_are_single_use_per_caller() {
        let store = Store::in_memory().unwrap();
        store
            .run(|c| {
                assert!(record_trace_id(c, "101", "t1", 0)?);
                assert!(!record_trace_id(c, "101", "t1", 0)?);
                assert!(record_trace_id(c, "102", "t1", 0)?);
                Ok(())
            })
            .unwrap();
    }
}
