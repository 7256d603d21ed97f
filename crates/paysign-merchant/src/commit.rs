//! Group commit of verified callbacks. Handlers verify and check notifications in parallel, then
//! hand each one to a single writer, which applies whatever has queued up meanwhile in one
//! transaction: one disk flush on SQLite (synchronous=FULL) and, for the common batch of
//! payments, one round trip on PostgreSQL for the whole batch instead of per callback. A
//! handler answers only with the outcome the writer sends back after the transaction holding
//! its callback committed, so "success" is never said about a callback that is not durably
//! stored.
//!
//! The writer: on a SQLite file, a thread with a connection of its own (`sqlite_writer`), which
//! also waits up to [`COMMIT_DELAY`] for callbacks still being verified; on PostgreSQL and in
//! memory, a task on a pool connection it keeps ([`Pooled`]). Both store a batch the same way
//! ([`apply_batch_with`]). On PostgreSQL the successful payments of distinct orders go first, in
//! one statement that checks each against its order (amount and currency), records those that
//! match and pays their orders (`store::settle_payments`, one round trip and one transaction).
//! Then the rest: the payments' orders or debits are read (amounts and currencies, one query);
//! then, in one transaction, every new callbackId is recorded first, so a callbackId recorded
//! before — by an earlier batch or another instance — writes nothing and is a duplicate, and its
//! change is applied; those that changed nothing have their record marked `NO_CHANGE`. Through
//! the pool, the recording and the payments of distinct orders take one round trip
//! (`store::record_and_pay`). If anything in the batch fails, the batch rolls back and each
//! member is applied again alone, so one bad callback fails only itself. Copies of one
//! callbackId within a batch follow the first.

use std::collections::{HashMap, HashSet};
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

use sqlx::pool::PoolConnection;
use sqlx::{Any, AnyConnection};
use tokio::sync::{mpsc, oneshot};

use crate::callbacks::{Outcome, Refusal};
use crate::db::{Db, DbError};
use crate::exec::Exec;
use crate::sqlite_writer;
use crate::store::{self, NewCallback, PaidCallback};
use crate::time;

/// Most callbacks one transaction takes (bounds the batch parameter and the time a
/// batch holds SQLite's write lock).
pub const MAX_BATCH: usize = 64;

/// Callbacks waiting for the writer before handlers wait to hand theirs over.
const QUEUE: usize = 1024;

/// How long the writer on a SQLite file waits for callbacks already being verified to join a
/// batch. Its own connection commits so fast that, under load, batches fell to about two
/// callbacks, and a flush (`synchronous = FULL`) for every two cost more CPU than it saved
/// (docs/merchant-server.md). Alone, a callback waits for nobody: the writer waits only while
/// another is on its way (PostgreSQL's `commit_delay` with `commit_siblings`, in effect).
pub const COMMIT_DELAY: Duration = Duration::from_millis(1);

/// How often, within [`COMMIT_DELAY`], the writer looks for arrivals and whether more are coming.
const DELAY_SLICE: Duration = Duration::from_micros(250);

/// The state change a verified, checked notification asks for. Each is one conditional update
/// of `store` that only moves states forward.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Change {
    Paid {
        merc_order_no: String,
        sys_trans_order_no: String,
        finish_time: Option<String>,
        finish_ms: i64,
    },
    NotPaid {
        merc_order_no: String,
    },
    DebitPaid {
        merc_order_no: String,
        sys_trans_order_no: String,
        finish_time: Option<String>,
        finish_ms: i64,
    },
    DebitFailed {
        merc_order_no: String,
    },
    Signed {
        merc_contract_code: String,
        contract_id: String,
        operate_time: String,
    },
    Unsigned {
        merc_contract_code: String,
        contract_id: String,
        operate_time: String,
    },
    RefundSucceeded {
        merc_refund_order_no: String,
        sys_refund_order_no: Option<String>,
        finished_ms: i64,
    },
    RefundFailed {
        merc_refund_order_no: String,
    },
    /// A status that changes nothing here (e.g. still processing): recorded only.
    Nothing,
    /// A payment notification not yet checked against the order or debit it names: the writer
    /// checks the whole batch's in one query, then it becomes one of the changes above (or a
    /// refusal: unknown order, other amount or currency).
    Payment(PaymentTerms),
}

/// What a payment notification says, to check against the stored order or debit.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PaymentTerms {
    pub merc_order_no: String,
    /// `Some(true)` paid, `Some(false)` failed, `None` another status (changes nothing).
    pub success: Option<bool>,
    pub total_amount: i64,
    pub currency: String,
    pub sys_trans_order_no: String,
    pub finish_time: Option<String>,
    pub finish_ms: i64,
}

/// A notification that passed verification and the checks against stored rows, ready to store.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Verified {
    pub callback_id: String,
    /// `payment`, `debit`, `contract`, `unsign` or `refund` (the `callbacks.kind` column).
    pub kind: &'static str,
    /// The order, contract or refund number it is about.
    pub subject: String,
    /// The body as received, kept for audit.
    pub raw: String,
    pub change: Change,
}

impl Verified {
    /// Its row in the callback inbox.
    pub fn record(&self) -> NewCallback<'_> {
        NewCallback {
            callback_id: &self.callback_id,
            kind: self.kind,
            subject: &self.subject,
            raw_body: &self.raw,
        }
    }
}

/// Counters of the writer (the benchmark prints them; `/metrics` has them too).
#[derive(Debug, Default)]
pub struct CommitStats {
    /// Transactions that committed a batch (retries of single members included).
    pub batches: AtomicU64,
    /// Callbacks those transactions carried.
    pub callbacks: AtomicU64,
    /// Batches that failed and were retried member by member.
    pub split: AtomicU64,
    /// Callbacks stored by one statement that checked, recorded and paid them
    /// ([`store::settle_payments`], PostgreSQL).
    pub at_once: AtomicU64,
}

struct Job {
    item: Verified,
    reply: oneshot::Sender<Outcome>,
}

/// The handle handlers submit to; the writer ends when every handle is dropped.
#[derive(Debug, Clone)]
pub struct Committer {
    jobs: mpsc::Sender<Job>,
    stats: Arc<CommitStats>,
    /// Callbacks being verified and checked, on their way to the writer (see [`Coming`]).
    coming: Arc<AtomicUsize>,
}

/// A callback on its way to the writer, from before its verification until it is queued: while
/// any is, the writer on a SQLite file may wait a little for it to join the batch (see
/// [`COMMIT_DELAY`]). Dropped on any path, it stops counting.
#[derive(Debug)]
pub struct Coming(Arc<AtomicUsize>);

impl Drop for Coming {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::Relaxed);
    }
}

impl Committer {
    /// Starts the writer task on the current tokio runtime.
    pub fn start(db: Db, metrics: crate::metrics::Metrics) -> Committer {
        let (jobs, queue) = mpsc::channel(QUEUE);
        let stats = Arc::new(CommitStats::default());
        let coming = Arc::new(AtomicUsize::new(0));
        // One writer on both engines: SQLite has one writer at a time anyway, and on
        // PostgreSQL, when a batch was four round trips, a second writer only halved the
        // batches (more round trips per callback) and lowered throughput (benches/callbacks.rs).
        // On a SQLite file it is a thread with its own connection (src/sqlite_writer.rs).
        let own = db.sqlite_file().map(sqlite_writer::open);
        match own {
            Some(Ok(conn)) => {
                let (db, stats) = (db.clone(), Arc::clone(&stats));
                let on_the_way = Arc::clone(&coming);
                let spawned = std::thread::Builder::new()
                    .name("paysign-writer".to_owned())
                    .spawn(move || writer_thread(db, conn, queue, on_the_way, stats, metrics));
                if let Err(e) = spawned {
                    // Its queue is gone with it: every callback is refused (not answered
                    // success) and Payment Kit delivers it again.
                    tracing::error!(error = %e, "callback writer: cannot start its thread");
                }
            }
            other => {
                if let Some(Err(e)) = other {
                    tracing::warn!(error = %e, "callback writer: no own connection; using the pool");
                }
                tokio::spawn(writer(db, queue, Arc::clone(&stats), metrics));
            }
        }
        Committer {
            jobs,
            stats,
            coming,
        }
    }

    /// Callbacks counted by [`coming`](Self::coming) and not yet queued.
    pub fn on_the_way(&self) -> usize {
        self.coming.load(Ordering::Relaxed)
    }

    /// Counts a callback on its way to [`submit`](Self::submit), from before its verification.
    pub fn coming(&self) -> Coming {
        self.coming.fetch_add(1, Ordering::Relaxed);
        Coming(Arc::clone(&self.coming))
    }

    /// Stores `item` with the next batch and returns how it ended, once that is durable.
    /// `coming` (from [`coming`](Self::coming)) ends once it is queued.
    pub async fn submit(&self, item: Verified, coming: Coming) -> Outcome {
        let (reply, answer) = oneshot::channel();
        let sent = self.jobs.send(Job { item, reply }).await;
        drop(coming);
        if sent.is_err() {
            return Outcome::Refused(Refusal::Internal);
        }
        // A writer gone before answering committed nothing it would have answered for.
        answer.await.unwrap_or(Outcome::Refused(Refusal::Internal))
    }

    pub fn stats(&self) -> &CommitStats {
        &self.stats
    }
}

async fn writer(
    db: Db,
    mut queue: mpsc::Receiver<Job>,
    stats: Arc<CommitStats>,
    metrics: crate::metrics::Metrics,
) {
    let mut jobs = Vec::with_capacity(MAX_BATCH);
    // The writer keeps one connection: its prepared statements and SQLite's page cache stay
    // warm from batch to batch. After a database error it is handed back and another taken;
    // when the pool closes (shutdown waits for every connection) the writer ends. A pool of one
    // (an in-memory SQLite database) gets its connection back after every batch: the app's
    // requests and the worker need it in between.
    let keep = db.pool.options().get_max_connections() > 1;
    let mut conn: Option<PoolConnection<Any>> = None;
    let closing = db.pool.close_event();
    tokio::pin!(closing);
    loop {
        // Waits for one callback, then takes every other that queued meanwhile: under load the
        // batch is what arrived during the previous commit; alone, a callback waits for nobody.
        // (No commit delay here: its round trips already make a batch take long enough, and
        // on PostgreSQL waiting cost more than it saved, docs/merchant-server.md.)
        let taken = tokio::select! {
            n = queue.recv_many(&mut jobs, MAX_BATCH) => n,
            () = &mut closing => 0,
        };
        if taken == 0 {
            break;
        }
        let (items, replies): (Vec<Verified>, Vec<oneshot::Sender<Outcome>>) =
            jobs.drain(..).map(|j| (j.item, j.reply)).unzip();
        if conn.is_none() {
            conn = db.connection().await.map_err(log_db_error).ok();
        }
        let outcomes = match conn.as_mut() {
            Some(c) => apply_batch_on(&db, c, &items, &stats).await,
            None => vec![Outcome::Refused(Refusal::Internal); items.len()],
        };
        if !keep || outcomes.contains(&Outcome::Refused(Refusal::Internal)) {
            conn = None;
        }
        metrics.callback_batch(items.len());
        for (reply, outcome) in replies.into_iter().zip(outcomes) {
            // The handler may be gone (client hung up); the callback is stored either way and
            // its next delivery is a duplicate.
            let _ = reply.send(outcome);
        }
    }
}

/// The writer on a SQLite file: batches as the pool's writer takes them, stored on its own
/// connection. It ends when every [`Committer`] is gone; it holds no pool connection, so closing
/// the pool never waits for it.
fn writer_thread(
    db: Db,
    conn: rusqlite::Connection,
    mut queue: mpsc::Receiver<Job>,
    coming: Arc<AtomicUsize>,
    stats: Arc<CommitStats>,
    metrics: crate::metrics::Metrics,
) {
    // Runs the shared batch logic, whose futures are ready at once here except for the wait
    // for this process's write turn.
    let runtime = match tokio::runtime::Builder::new_current_thread().build() {
        Ok(runtime) => runtime,
        Err(e) => {
            tracing::error!(error = %e, "callback writer: cannot start");
            return;
        }
    };
    let mut conn = Some(conn);
    while let Some(first) = queue.blocking_recv() {
        let mut jobs = vec![first];
        gather(&mut queue, &mut jobs, &coming);
        let (items, replies): (Vec<Verified>, Vec<oneshot::Sender<Outcome>>) =
            jobs.into_iter().map(|j| (j.item, j.reply)).unzip();
        if conn.is_none() {
            conn = reopen(&db);
        }
        let outcomes = match conn.as_ref() {
            Some(c) => runtime.block_on(apply_batch_with(
                &mut sqlite_writer::Direct { db: &db, conn: c },
                &items,
                &stats,
            )),
            None => vec![Outcome::Refused(Refusal::Internal); items.len()],
        };
        if outcomes.contains(&Outcome::Refused(Refusal::Internal)) {
            // A database error: the next batch starts on a fresh connection.
            conn = None;
        }
        metrics.callback_batch(items.len());
        for (reply, outcome) in replies.into_iter().zip(outcomes) {
            let _ = reply.send(outcome);
        }
    }
}

/// A fresh connection for the writer's thread after a database error (`None`: the next batch
/// is refused and tries again).
fn reopen(db: &Db) -> Option<rusqlite::Connection> {
    match sqlite_writer::open(db.sqlite_file()?) {
        Ok(conn) => Some(conn),
        Err(e) => {
            tracing::error!(error = %e, "callback writer: cannot reopen its connection");
            None
        }
    }
}

/// Adds to `jobs` what queued meanwhile and, while callbacks are still on their way, what
/// arrives within [`COMMIT_DELAY`]: the batch of a writer that has just taken its first job.
/// It sleeps in slices rather than waiting on the queue, so arrivals wake nobody.
fn gather(queue: &mut mpsc::Receiver<Job>, jobs: &mut Vec<Job>, coming: &AtomicUsize) {
    let deadline = std::time::Instant::now() + COMMIT_DELAY;
    loop {
        while jobs.len() < MAX_BATCH {
            match queue.try_recv() {
                Ok(job) => jobs.push(job),
                Err(_) => break,
            }
        }
        let left = deadline.saturating_duration_since(std::time::Instant::now());
        if jobs.len() >= MAX_BATCH || coming.load(Ordering::Relaxed) == 0 || left.is_zero() {
            return;
        }
        std::thread::sleep(left.min(DELAY_SLICE));
    }
}

fn log_db_error(e: sqlx::Error) {
    tracing::error!(error = %e, "callback writer: no database connection");
}

/// Applies a batch as the server's writer does: on a SQLite file through a connection of its
/// own (opened for this call; the calling thread waits while it writes), otherwise
/// [`apply_batch_pooled`].
pub async fn apply_batch(db: &Db, items: &[Verified], stats: &CommitStats) -> Vec<Outcome> {
    let Some(file) = db.sqlite_file() else {
        return apply_batch_pooled(db, items, stats).await;
    };
    match sqlite_writer::open(file) {
        Ok(conn) => {
            apply_batch_with(&mut sqlite_writer::Direct { db, conn: &conn }, items, stats).await
        }
        Err(e) => {
            tracing::error!(error = %e, "callback writer: cannot open its connection");
            vec![Outcome::Refused(Refusal::Internal); items.len()]
        }
    }
}

/// [`apply_batch_on`] on a connection taken from the pool for this batch.
pub async fn apply_batch_pooled(db: &Db, items: &[Verified], stats: &CommitStats) -> Vec<Outcome> {
    match db.connection().await {
        Ok(mut conn) => apply_batch_on(db, &mut conn, items, stats).await,
        Err(e) => {
            log_db_error(e);
            vec![Outcome::Refused(Refusal::Internal); items.len()]
        }
    }
}

/// Checks `items`' payments against the stored orders (one query), applies the rest in one
/// transaction (members retried alone if it fails) and returns each one's outcome, in order.
/// Every `Applied`/`Duplicate` returned is committed.
pub async fn apply_batch_on(
    db: &Db,
    conn: &mut AnyConnection,
    items: &[Verified],
    stats: &CommitStats,
) -> Vec<Outcome> {
    apply_batch_with(&mut Pooled { db, conn }, items, stats).await
}

/// Where a batch is stored: the two steps that differ between a pool connection ([`Pooled`])
/// and the writer's own SQLite connection (`sqlite_writer`). Everything that decides an outcome
/// (the checks, the order of members, retries, copies) is shared, in [`apply_batch_with`].
#[allow(async_fn_in_trait)] // used with concrete types only
pub trait BatchStore {
    /// [`store::payment_terms`]: amount, currency and "is a debit" of these mercOrderNos.
    async fn payment_terms(&mut self, numbers: &[&str]) -> Result<store::Terms, DbError>;
    /// Records `items` (distinct callbackIds, in callbackId order) and applies the changes of
    /// the new ones, in one transaction that is committed before this returns `Ok`.
    async fn apply_in_one_transaction(
        &mut self,
        items: &[&Verified],
    ) -> Result<Vec<Outcome>, DbError>;
    /// [`store::settle_payments`], committed before this returns `Ok(Some(_))`, where a store
    /// settles payments in one statement; `Ok(None)` where it does not (SQLite), and all
    /// payments take the general path.
    async fn settle_payments(
        &mut self,
        _payments: &[store::OrderPayment<'_>],
    ) -> Result<Option<store::Settled>, DbError> {
        Ok(None)
    }
}

/// A pool connection (`sqlx`): PostgreSQL, and SQLite in memory.
pub struct Pooled<'a> {
    pub db: &'a Db,
    pub conn: &'a mut AnyConnection,
}

impl BatchStore for Pooled<'_> {
    async fn payment_terms(&mut self, numbers: &[&str]) -> Result<store::Terms, DbError> {
        store::payment_terms(self.conn, numbers).await
    }

    async fn apply_in_one_transaction(
        &mut self,
        items: &[&Verified],
    ) -> Result<Vec<Outcome>, DbError> {
        apply_in_one_transaction(self.db, self.conn, items).await
    }

    /// On PostgreSQL: one statement in autocommit. SQLite has no data-modifying CTEs.
    async fn settle_payments(
        &mut self,
        payments: &[store::OrderPayment<'_>],
    ) -> Result<Option<store::Settled>, DbError> {
        if !self.conn.on_postgres() {
            return Ok(None);
        }
        let now = time::now_ms();
        store::settle_payments(self.conn, payments, now)
            .await
            .map(Some)
    }
}

/// [`apply_batch_on`] on any [`BatchStore`]: the payments a store settles in one statement
/// first ([`settle_payments`]), then the others checked and applied in one transaction.
pub async fn apply_batch_with<S: BatchStore>(
    store: &mut S,
    items: &[Verified],
    stats: &CommitStats,
) -> Vec<Outcome> {
    let settled = settle_payments(store, items, stats).await;
    if settled.iter().all(Option::is_none) {
        return check_and_apply(store, items, stats).await;
    }
    let rest: Vec<Verified> = items
        .iter()
        .zip(&settled)
        .filter(|(_, s)| s.is_none())
        .map(|(v, _)| v.clone())
        .collect();
    let mut rest_outcomes = if rest.is_empty() {
        Vec::new()
    } else {
        check_and_apply(store, &rest, stats).await
    }
    .into_iter();
    settled
        .into_iter()
        .map(|s| {
            s.or_else(|| rest_outcomes.next())
                .unwrap_or(Outcome::Refused(Refusal::Internal))
        })
        .collect()
}

/// The successful payments of pay-and-sign orders in `items`, settled in one statement where
/// the store can ([`BatchStore::settle_payments`]): checked, recorded and paid, committed. One
/// per order and per callbackId, the lowest callbackId first (as the general path orders a
/// batch); a second one about an order, a copy, a failure notice and anything else is left to
/// the general path (`None`), after this one. So is every payment if the statement fails: it
/// changed nothing then, and the general path retries them, alone if need be.
async fn settle_payments<S: BatchStore>(
    store: &mut S,
    items: &[Verified],
    stats: &CommitStats,
) -> Vec<Option<Outcome>> {
    let mut settled: Vec<Option<Outcome>> = vec![None; items.len()];
    let mut by_id: Vec<usize> = (0..items.len()).collect();
    by_id.sort_by(|&a, &b| {
        let id = |i: usize| items.get(i).map(|v| &v.callback_id);
        id(a).cmp(&id(b))
    });
    let (mut ids, mut orders) = (HashSet::new(), HashSet::new());
    let mut taken: Vec<(usize, &PaymentTerms)> = Vec::new();
    for i in by_id {
        let Some(v) = items.get(i) else { continue };
        if let Change::Payment(p) = &v.change {
            if p.success == Some(true)
                && ids.insert(v.callback_id.as_str())
                && orders.insert(p.merc_order_no.as_str())
            {
                taken.push((i, p));
            }
        }
    }
    if taken.is_empty() {
        return settled;
    }
    let payments: Vec<store::OrderPayment<'_>> = taken
        .iter()
        .filter_map(|&(i, p)| {
            items.get(i).map(|v| store::OrderPayment {
                callback_id: &v.callback_id,
                merc_order_no: &p.merc_order_no,
                amount_fen: p.total_amount,
                currency: &p.currency,
                sys_trans_order_no: &p.sys_trans_order_no,
                finish_time: p.finish_time.as_deref(),
                paid_ms: p.finish_ms,
                raw: &v.raw,
            })
        })
        .collect();
    let done = match store.settle_payments(&payments).await {
        Ok(Some(done)) => done,
        Ok(None) => return settled,
        Err(e) => {
            tracing::warn!(error = %e, size = payments.len(), "payments not settled at once; applying them in a transaction");
            return settled;
        }
    };
    let mut stored = 0;
    for (i, p) in taken {
        let (Some(slot), Some(v)) = (settled.get_mut(i), items.get(i)) else {
            continue;
        };
        let no = &p.merc_order_no;
        *slot = if let Some((amount, currency)) = done.other_terms.get(no) {
            Some(other_terms(p, *amount, currency))
        } else if done.not_orders.contains(no) {
            None // a withholding debit, or unknown: the general path tells
        } else if done.new.contains(&v.callback_id) {
            stored += 1;
            Some(Outcome::Applied {
                changed: done.paid.contains(no),
            })
        } else {
            stored += 1;
            Some(Outcome::Duplicate)
        };
    }
    stats.batches.fetch_add(1, Ordering::Relaxed);
    stats.callbacks.fetch_add(stored, Ordering::Relaxed);
    stats.at_once.fetch_add(stored, Ordering::Relaxed);
    settled
}

/// The refusal of a payment notified with other terms than its order or debit has.
fn other_terms(p: &PaymentTerms, amount: i64, currency: &str) -> Outcome {
    Outcome::Refused(Refusal::Mismatch(format!(
        "order {}: notified {} {} but stored {amount} {currency}",
        p.merc_order_no, p.total_amount, p.currency
    )))
}

/// Checks the payments of `items` against their orders or debits (one query), then applies
/// everything in one transaction.
async fn check_and_apply<S: BatchStore>(
    store: &mut S,
    items: &[Verified],
    stats: &CommitStats,
) -> Vec<Outcome> {
    let checked = check_payments(store, items).await;
    let ready: Vec<&Verified> = checked.iter().filter_map(|c| c.as_ref().ok()).collect();
    let mut applied = apply_checked(store, &ready, stats).await.into_iter();
    checked
        .into_iter()
        .map(|c| match c {
            Ok(_) => applied
                .next()
                .unwrap_or(Outcome::Refused(Refusal::Internal)),
            Err(refused) => refused,
        })
        .collect()
}

/// Resolves every `Change::Payment` against the order, or else the debit, it names (amounts and
/// currencies never change once stored, so this reads them before the transaction).
async fn check_payments<S: BatchStore>(
    store: &mut S,
    items: &[Verified],
) -> Vec<Result<Verified, Outcome>> {
    let numbers: Vec<&str> = items
        .iter()
        .filter_map(|v| match &v.change {
            Change::Payment(p) => Some(p.merc_order_no.as_str()),
            _ => None,
        })
        .collect::<HashSet<_>>()
        .into_iter()
        .collect();
    let terms = match store.payment_terms(&numbers).await {
        Ok(terms) => Some(terms),
        Err(e) => {
            tracing::error!(error = %e, "callback check failed: database error");
            None
        }
    };
    items
        .iter()
        .map(|v| {
            let Change::Payment(p) = &v.change else {
                return Ok(v.clone());
            };
            let no = &p.merc_order_no;
            let Some(terms) = &terms else {
                return Err(Outcome::Refused(Refusal::Internal));
            };
            let Some((amount, currency, is_debit)) = terms.get(no) else {
                return Err(Outcome::Refused(Refusal::Unknown(format!("order {no}"))));
            };
            if p.total_amount != *amount || p.currency != *currency {
                return Err(other_terms(p, *amount, currency));
            }
            let merc_order_no = no.clone();
            let change = match (p.success, is_debit) {
                (Some(true), false) => Change::Paid {
                    merc_order_no,
                    sys_trans_order_no: p.sys_trans_order_no.clone(),
                    finish_time: p.finish_time.clone(),
                    finish_ms: p.finish_ms,
                },
                (Some(true), true) => Change::DebitPaid {
                    merc_order_no,
                    sys_trans_order_no: p.sys_trans_order_no.clone(),
                    finish_time: p.finish_time.clone(),
                    finish_ms: p.finish_ms,
                },
                (Some(false), false) => Change::NotPaid { merc_order_no },
                (Some(false), true) => Change::DebitFailed { merc_order_no },
                (None, _) => Change::Nothing,
            };
            Ok(Verified {
                callback_id: v.callback_id.clone(),
                kind: if *is_debit { "debit" } else { "payment" },
                subject: v.subject.clone(),
                raw: v.raw.clone(),
                change,
            })
        })
        .collect()
}

async fn apply_checked<S: BatchStore>(
    store: &mut S,
    items: &[&Verified],
    stats: &CommitStats,
) -> Vec<Outcome> {
    // The first of each callbackId leads; later copies in this batch follow its outcome.
    let mut leader_of: HashMap<&str, usize> = HashMap::new();
    let mut leaders: Vec<&Verified> = Vec::new();
    let follows: Vec<usize> = items
        .iter()
        .map(|v| {
            *leader_of.entry(v.callback_id.as_str()).or_insert_with(|| {
                leaders.push(v);
                leaders.len() - 1
            })
        })
        .collect();
    // The same lock order on every instance: by callbackId.
    let mut order: Vec<usize> = (0..leaders.len()).collect();
    order.sort_by(|&a, &b| {
        leaders
            .get(a)
            .map(|v| &v.callback_id)
            .cmp(&leaders.get(b).map(|v| &v.callback_id))
    });
    let sorted: Vec<&Verified> = order
        .iter()
        .filter_map(|&i| leaders.get(i).copied())
        .collect();

    let sorted_outcomes = match store.apply_in_one_transaction(&sorted).await {
        Ok(outcomes) => {
            stats.batches.fetch_add(1, Ordering::Relaxed);
            stats
                .callbacks
                .fetch_add(sorted.len() as u64, Ordering::Relaxed);
            outcomes
        }
        Err(e) if sorted.len() == 1 => {
            tracing::error!(error = %e, "callback transaction failed");
            vec![Outcome::Refused(Refusal::Internal)]
        }
        Err(e) => {
            tracing::warn!(error = %e, size = sorted.len(), "callback batch failed; applying its members one by one");
            stats.split.fetch_add(1, Ordering::Relaxed);
            let mut outcomes = Vec::with_capacity(sorted.len());
            for v in &sorted {
                outcomes.push(match store.apply_in_one_transaction(&[*v]).await {
                    Ok(mut alone) => {
                        stats.batches.fetch_add(1, Ordering::Relaxed);
                        stats.callbacks.fetch_add(1, Ordering::Relaxed);
                        alone.pop().unwrap_or(Outcome::Refused(Refusal::Internal))
                    }
                    Err(e) => {
                        tracing::error!(error = %e, "callback transaction failed");
                        Outcome::Refused(Refusal::Internal)
                    }
                });
            }
            outcomes
        }
    };
    // Back from sorted to leader order, then to every item.
    let mut leader_outcomes = vec![Outcome::Refused(Refusal::Internal); leaders.len()];
    for (&i, outcome) in order.iter().zip(sorted_outcomes) {
        if let Some(slot) = leader_outcomes.get_mut(i) {
            *slot = outcome;
        }
    }
    let mut led = vec![false; leaders.len()];
    follows
        .iter()
        .map(|&l| {
            let outcome = leader_outcomes
                .get(l)
                .cloned()
                .unwrap_or(Outcome::Refused(Refusal::Internal));
            match led.get_mut(l) {
                Some(first) if !*first => {
                    *first = true;
                    outcome
                }
                // A copy: stored by its leader (success answered), or refused with it.
                _ => match outcome {
                    Outcome::Applied { .. } | Outcome::Duplicate => Outcome::Duplicate,
                    refused => refused,
                },
            }
        })
        .collect()
}

async fn apply_in_one_transaction(
    db: &Db,
    conn: &mut AnyConnection,
    items: &[&Verified],
) -> Result<Vec<Outcome>, DbError> {
    let now = time::now_ms();
    let mut tx = db.begin_write_on(conn).await?;
    let rows: Vec<NewCallback<'_>> = items.iter().map(|v| v.record()).collect();
    // The payments of distinct orders go with the recording (the common case: one round trip
    // for the batch); everything else row by row after it, in the same transaction. A second
    // callback about an order already taken goes row by row too, so only one of them changes
    // the order.
    let mut at_once: HashMap<&str, &str> = HashMap::new();
    let mut pays = Vec::new();
    let mut taken = HashSet::new();
    for v in items {
        if let Change::Paid {
            merc_order_no,
            sys_trans_order_no,
            finish_time,
            finish_ms,
        } = &v.change
        {
            if taken.insert(merc_order_no.as_str()) {
                at_once.insert(&v.callback_id, merc_order_no);
                pays.push(PaidCallback {
                    callback_id: &v.callback_id,
                    merc_order_no,
                    sys_trans_order_no: Some(sys_trans_order_no),
                    finish_time: finish_time.as_deref(),
                    paid_ms: *finish_ms,
                });
            }
        }
    }
    // Recorded first: a callbackId seen before writes nothing more, so no member ever needs
    // its changes undone alone. APPLIED; fixed below for those that change nothing.
    let store::Recorded { new, paid } = store::record_and_pay(&mut tx, &rows, &pays, now).await?;
    let mut outcomes = Vec::with_capacity(items.len());
    let mut unchanged: Vec<&str> = Vec::new();
    for v in items {
        if !new.contains(&v.callback_id) {
            outcomes.push(Outcome::Duplicate);
            continue;
        }
        let changed = match at_once.get(v.callback_id.as_str()) {
            Some(&no) => paid.contains(no),
            None => apply_change(&mut tx, &v.change, now).await?,
        };
        if !changed {
            unchanged.push(&v.callback_id);
        }
        outcomes.push(Outcome::Applied { changed });
    }
    store::set_callback_outcomes(&mut tx, &unchanged, "NO_CHANGE").await?;
    tx.commit().await?;
    Ok(outcomes)
}

/// Applies one verified change (not a payment still to check) and says whether it changed
/// anything: the same statements on either kind of connection.
pub async fn apply_change<C: Exec>(
    conn: &mut C,
    change: &Change,
    now: i64,
) -> Result<bool, DbError> {
    match change {
        Change::Paid {
            merc_order_no,
            sys_trans_order_no,
            finish_time,
            finish_ms,
        } => {
            store::mark_paid(
                conn,
                merc_order_no,
                Some(sys_trans_order_no),
                finish_time.as_deref(),
                *finish_ms,
                now,
            )
            .await
        }
        Change::NotPaid { merc_order_no } => store::mark_not_paid(conn, merc_order_no, now).await,
        Change::DebitPaid {
            merc_order_no,
            sys_trans_order_no,
            finish_time,
            finish_ms,
        } => {
            store::mark_debit_paid(
                conn,
                merc_order_no,
                Some(sys_trans_order_no),
                finish_time.as_deref(),
                *finish_ms,
                now,
            )
            .await
        }
        Change::DebitFailed { merc_order_no } => {
            store::mark_debit_failed(conn, merc_order_no, "TRX_FAILED", now).await
        }
        Change::Signed {
            merc_contract_code,
            contract_id,
            operate_time,
        } => store::mark_signed(conn, merc_contract_code, contract_id, operate_time, now).await,
        Change::Unsigned {
            merc_contract_code,
            contract_id,
            operate_time,
        } => {
            store::mark_unsigned(
                conn,
                merc_contract_code,
                Some(contract_id),
                operate_time,
                now,
            )
            .await
        }
        Change::RefundSucceeded {
            merc_refund_order_no,
            sys_refund_order_no,
            finished_ms,
        } => {
            store::mark_refund_success(
                conn,
                merc_refund_order_no,
                sys_refund_order_no.as_deref(),
                *finished_ms,
                now,
            )
            .await
        }
        Change::RefundFailed {
            merc_refund_order_no,
        } => store::mark_refund_failed(conn, merc_refund_order_no, "REFUND_FAILED", now).await,
        Change::Nothing => Ok(false),
        // `check_payments` resolves these before any transaction; one that got here unchecked
        // fails its transaction rather than be answered success.
        Change::Payment(_) => Err(DbError::Sql(sqlx::Error::Protocol(
            "a payment callback reached the writer unchecked".to_owned(),
        ))),
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::indexing_slicing)]
    use super::*;

    fn job(id: &str) -> (Job, oneshot::Receiver<Outcome>) {
        let (reply, answer) = oneshot::channel();
        let item = Verified {
            callback_id: id.to_owned(),
            kind: "payment",
            subject: "PS1".to_owned(),
            raw: "{}".to_owned(),
            change: Change::Nothing,
        };
        (Job { item, reply }, answer)
    }

    fn ids(jobs: &[Job]) -> Vec<&str> {
        jobs.iter().map(|j| j.item.callback_id.as_str()).collect()
    }

    #[test]
    fn with_nobody_on_the_way_a_batch_takes_only_what_queued() {
        let (send, mut queue) = mpsc::channel(8);
        let (queued, _a) = job("A");
        send.try_send(queued).unwrap();
        let (first, _f) = job("F");
        let mut jobs = vec![first];
        gather(&mut queue, &mut jobs, &AtomicUsize::new(0));
        assert_eq!(ids(&jobs), ["F", "A"]);
    }

    #[test]
    fn the_wait_for_a_callback_on_its_way_is_bounded() {
        let (_send, mut queue) = mpsc::channel(8);
        let (first, _f) = job("F");
        let mut jobs = vec![first];
        // Counted as on its way, and it never comes (say its client hung up mid-verify and
        // the count were lost): the batch still goes, after the commit delay.
        let started = std::time::Instant::now();
        gather(&mut queue, &mut jobs, &AtomicUsize::new(1));
        assert!(started.elapsed() >= COMMIT_DELAY);
        assert_eq!(ids(&jobs), ["F"]);
    }

    #[test]
    fn a_callback_on_its_way_joins_this_batch_or_the_next() {
        let (send, mut queue) = mpsc::channel(8);
        let coming = Arc::new(AtomicUsize::new(1));
        let (late, _l) = job("L");
        let on_the_way = Arc::clone(&coming);
        // As `submit` does: queued first, then no longer counted.
        let sender = std::thread::spawn(move || {
            send.blocking_send(late).unwrap();
            on_the_way.fetch_sub(1, Ordering::Relaxed);
            send
        });
        let (first, _f) = job("F");
        let mut jobs = vec![first];
        gather(&mut queue, &mut jobs, &coming);
        drop(sender.join().unwrap());
        while let Ok(next) = queue.try_recv() {
            jobs.push(next);
        }
        assert_eq!(ids(&jobs), ["F", "L"]);
    }

    #[test]
    fn a_callback_stops_counting_once_queued_or_dropped() {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        runtime.block_on(async {
            let (jobs, mut queue) = mpsc::channel(8);
            let committer = Committer {
                jobs,
                stats: Arc::default(),
                coming: Arc::default(),
            };
            let refused = committer.coming();
            let stored = committer.coming();
            assert_eq!(committer.on_the_way(), 2);
            drop(refused);
            assert_eq!(committer.on_the_way(), 1);
            let (item, _) = job("S");
            let submitter = committer.clone();
            let answer = tokio::spawn(async move { submitter.submit(item.item, stored).await });
            let queued = queue.recv().await.unwrap();
            assert_eq!(committer.on_the_way(), 0);
            queued.reply.send(Outcome::Duplicate).unwrap();
            assert_eq!(answer.await.unwrap(), Outcome::Duplicate);
        });
    }
}
