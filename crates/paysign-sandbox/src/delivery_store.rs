//! Storage of callback deliveries (one row per notification, its signed body fixed at the
//! first send so every retry is the same message) and of every attempt (url, status, answer),
//! in the sandbox's SQLite database next to the event log. With `--db` they survive a restart,
//! so undelivered callbacks resume. Which attempt comes when is decided in `dispatcher`.

use rusqlite::{params, Connection, OptionalExtension, Row};
use serde::{Deserialize, Serialize};

use crate::store::StoreError;

pub(crate) const SCHEMA: &str = "
CREATE TABLE IF NOT EXISTS callback_cursor (id INTEGER PRIMARY KEY CHECK (id = 1), seq INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS callbacks (
  seq INTEGER PRIMARY KEY, callback_id TEXT NOT NULL, kind TEXT NOT NULL, merc_no TEXT NOT NULL,
  url TEXT NOT NULL, body TEXT NOT NULL, status TEXT NOT NULL, rounds INTEGER NOT NULL,
  next_attempt_ms INTEGER, copies INTEGER NOT NULL, concurrent_copies INTEGER NOT NULL,
  created_ms INTEGER NOT NULL, finished_ms INTEGER, note TEXT);
CREATE INDEX IF NOT EXISTS callbacks_due ON callbacks (status, next_attempt_ms);
CREATE TABLE IF NOT EXISTS callback_attempts (
  id INTEGER PRIMARY KEY AUTOINCREMENT, seq INTEGER NOT NULL, callback_id TEXT NOT NULL,
  attempt INTEGER NOT NULL, copy INTEGER NOT NULL, url TEXT NOT NULL, at_ms INTEGER NOT NULL,
  duration_ms INTEGER NOT NULL, http_status INTEGER, answer TEXT, error TEXT, delivered INTEGER NOT NULL);
";

/// Where a callback stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum DeliveryStatus {
    /// Waiting for its next attempt (`next_attempt_ms`).
    Pending,
    /// A copy was acknowledged with `{"resultCode":"000000","resultDesc":"Success."}`.
    Delivered,
    /// Every attempt of the schedule failed.
    GaveUp,
    /// The `drop` delivery fault: never sent.
    Dropped,
    /// The `outOfOrder` delivery fault: held until its group is complete, then sent in reverse.
    Held,
    /// The URL is neither https nor http to loopback: never contacted.
    Refused,
}

impl DeliveryStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Pending => "PENDING",
            Self::Delivered => "DELIVERED",
            Self::GaveUp => "GAVE_UP",
            Self::Dropped => "DROPPED",
            Self::Held => "HELD",
            Self::Refused => "REFUSED",
        }
    }

    fn parse(s: &str) -> Result<Self, StoreError> {
        Ok(match s {
            "PENDING" => Self::Pending,
            "DELIVERED" => Self::Delivered,
            "GAVE_UP" => Self::GaveUp,
            "DROPPED" => Self::Dropped,
            "HELD" => Self::Held,
            "REFUSED" => Self::Refused,
            other => return Err(StoreError::Corrupt(format!("callback status {other}"))),
        })
    }
}

/// One notification to deliver.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Delivery {
    /// The event it notifies.
    pub seq: i64,
    pub callback_id: String,
    /// `PAYMENT`, `CONTRACT_SIGNED`, `UNSIGN`, `REFUND`, ...
    pub kind: String,
    pub merc_no: String,
    pub url: String,
    /// The signed JSON body, the same on every attempt.
    pub body: String,
    pub status: DeliveryStatus,
    /// Attempts made so far (copies of one attempt count once).
    pub rounds: u32,
    /// Wall-clock ms of the next attempt, while pending.
    pub next_attempt_ms: Option<i64>,
    /// Copies sent on the first attempt (`duplicate` fault), `concurrent_copies` of them at once.
    pub copies: u32,
    pub concurrent_copies: u32,
    pub created_ms: i64,
    pub finished_ms: Option<i64>,
    /// Why it was refused, dropped or given up.
    pub note: Option<String>,
}

/// One HTTP POST of a callback (one copy of one attempt).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Attempt {
    pub callback_id: String,
    /// 1 for the first send, 2 for the first retry...
    pub attempt: u32,
    /// 1..=copies for a duplicated first attempt, else 1.
    pub copy: u32,
    pub url: String,
    /// Wall-clock ms when the POST started.
    pub at_ms: i64,
    pub duration_ms: i64,
    /// The HTTP status, when an answer came.
    pub status: Option<u16>,
    /// The answer's body (at most 512 characters).
    pub answer: Option<String>,
    /// Why no valid acknowledgement came (timeout, connection refused, wrong answer).
    pub error: Option<String>,
    pub delivered: bool,
}

const COLS: &str =
    "seq, callback_id, kind, merc_no, url, body, status, rounds, next_attempt_ms, copies,
  concurrent_copies, created_ms, finished_ms, note";

fn from_row(r: &Row<'_>) -> rusqlite::Result<(Delivery, String)> {
    Ok((
        Delivery {
            seq: r.get(0)?,
            callback_id: r.get(1)?,
            kind: r.get(2)?,
            merc_no: r.get(3)?,
            url: r.get(4)?,
            body: r.get(5)?,
            status: DeliveryStatus::Pending,
            rounds: r.get(7)?,
            next_attempt_ms: r.get(8)?,
            copies: r.get(9)?,
            concurrent_copies: r.get(10)?,
            created_ms: r.get(11)?,
            finished_ms: r.get(12)?,
            note: r.get(13)?,
        },
        r.get(6)?,
    ))
}

fn finish(row: (Delivery, String)) -> Result<Delivery, StoreError> {
    let (mut d, status) = row;
    d.status = DeliveryStatus::parse(&status)?;
    Ok(d)
}

fn collect(
    c: &Connection,
    sql: &str,
    args: impl rusqlite::Params,
) -> Result<Vec<Delivery>, StoreError> {
    let mut stmt = c.prepare(sql)?;
    let rows = stmt
        .query_map(args, from_row)?
        .collect::<Result<Vec<_>, _>>()?;
    rows.into_iter().map(finish).collect()
}

/// The last event already turned into a delivery (or skipped: no notification).
pub fn cursor(c: &Connection) -> Result<i64, StoreError> {
    Ok(
        c.query_row("SELECT seq FROM callback_cursor WHERE id = 1", [], |r| {
            r.get(0)
        })
        .optional()?
        .unwrap_or(0),
    )
}

pub fn set_cursor(c: &Connection, seq: i64) -> Result<(), StoreError> {
    c.execute(
        "INSERT INTO callback_cursor (id, seq) VALUES (1, ?1) ON CONFLICT(id) DO UPDATE SET seq = excluded.seq",
        [seq],
    )?;
    Ok(())
}

pub fn insert(c: &Connection, d: &Delivery) -> Result<(), StoreError> {
    c.execute(
        &format!("INSERT INTO callbacks ({COLS}) VALUES (?1,?2,?3,?4,?5,?6,?7,?8,?9,?10,?11,?12,?13,?14)"),
        params![
            d.seq, d.callback_id, d.kind, d.merc_no, d.url, d.body, d.status.as_str(), d.rounds,
            d.next_attempt_ms, d.copies, d.concurrent_copies, d.created_ms, d.finished_ms, d.note
        ],
    )?;
    Ok(())
}

/// Writes a delivery's changing fields (status, rounds, next attempt, end, note).
pub fn update(c: &Connection, d: &Delivery) -> Result<(), StoreError> {
    c.execute(
        "UPDATE callbacks SET status = ?2, rounds = ?3, next_attempt_ms = ?4, finished_ms = ?5, note = ?6
         WHERE seq = ?1",
        params![
            d.seq,
            d.status.as_str(),
            d.rounds,
            d.next_attempt_ms,
            d.finished_ms,
            d.note
        ],
    )?;
    Ok(())
}

pub fn get(c: &Connection, seq: i64) -> Result<Option<Delivery>, StoreError> {
    c.query_row(
        &format!("SELECT {COLS} FROM callbacks WHERE seq = ?1"),
        [seq],
        from_row,
    )
    .optional()?
    .map(finish)
    .transpose()
}

/// Pending deliveries, soonest first.
pub fn pending(c: &Connection) -> Result<Vec<Delivery>, StoreError> {
    collect(
        c,
        &format!(
            "SELECT {COLS} FROM callbacks WHERE status = 'PENDING' ORDER BY next_attempt_ms, seq"
        ),
        [],
    )
}

/// Held deliveries, oldest first.
pub fn held(c: &Connection) -> Result<Vec<Delivery>, StoreError> {
    collect(
        c,
        &format!("SELECT {COLS} FROM callbacks WHERE status = 'HELD' ORDER BY seq"),
        [],
    )
}

/// Deliveries, oldest first, optionally of one merchant or with one callbackId.
pub fn list(
    c: &Connection,
    merc_no: Option<&str>,
    callback_id: Option<&str>,
) -> Result<Vec<Delivery>, StoreError> {
    collect(
        c,
        &format!(
            "SELECT {COLS} FROM callbacks WHERE (?1 IS NULL OR merc_no = ?1) AND (?2 IS NULL OR callback_id = ?2)
             ORDER BY seq"
        ),
        params![merc_no, callback_id],
    )
}

pub fn insert_attempt(c: &Connection, seq: i64, a: &Attempt) -> Result<(), StoreError> {
    c.execute(
        "INSERT INTO callback_attempts (seq, callback_id, attempt, copy, url, at_ms, duration_ms, http_status,
           answer, error, delivered) VALUES (?1,?2,?3,?4,?5,?6,?7,?8,?9,?10,?11)",
        params![
            seq,
            a.callback_id,
            a.attempt,
            a.copy,
            a.url,
            a.at_ms,
            a.duration_ms,
            a.status,
            a.answer,
            a.error,
            a.delivered
        ],
    )?;
    Ok(())
}

/// Attempts of one delivery, in the order they were recorded.
pub fn attempts(c: &Connection, seq: i64) -> Result<Vec<Attempt>, StoreError> {
    let mut stmt = c.prepare(
        "SELECT callback_id, attempt, copy, url, at_ms, duration_ms, http_status, answer, error, delivered
         FROM callback_attempts WHERE seq = ?1 ORDER BY id",
    )?;
    let rows = stmt
        .query_map([seq], |r| {
            Ok(Attempt {
                callback_id: r.get(0)?,
                attempt: r.get(1)?,
                copy: r.get(2)?,
                url: r.get(3)?,
                at_ms: r.get(4)?,
                duration_ms: r.get(5)?,
                status: r.get(6)?,
                answer: r.get(7)?,
                error: r.get(8)?,
                delivered: r.get(9)?,
            })
        })?
        .collect::<Result<Vec<_>, _>>()?;
    Ok(rows)
}
