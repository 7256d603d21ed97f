//! Group commit of callbacks (src/commit.rs) on real SQLite and real PostgreSQL: a failure in a
//! batch answers success for none of its members and fails only the bad one; copies of a
//! callbackId within a batch apply once; a commit that fails, or a server killed with SIGKILL
//! mid-load, leaves no callback answered success that is not stored. Failures are injected
//! with real database triggers.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

mod common;

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};

use common::*;
use paysign_merchant::callbacks::{self, Endpoint, Outcome, Refusal};
use paysign_merchant::commit::{self, Change, CommitStats, Verified};
use sqlx::AssertSqlSafe;

on_both_databases!(
    a_failing_member_fails_alone_and_copies_in_a_batch_apply_once,
    a_failed_commit_answers_no_member_success,
    concurrent_callbacks_answered_success_are_exactly_the_stored_ones,
    payments_are_checked_against_their_orders_for_the_whole_batch,
    two_callbacks_paying_one_order_change_it_once,
);

/// On a SQLite file the server's writer has a connection of its own (src/sqlite_writer.rs), so
/// the `sqlite::` cases above test that one; these run the same cases through a pool
/// connection, the writer of a SQLite database in memory.
mod sqlite_through_the_pool {
    use super::*;

    macro_rules! through_the_pool {
        ($($name:ident),* $(,)?) => {$(
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn $name() {
                POOLED.scope(true, super::$name(Backend::Sqlite)).await;
            }
        )*};
    }

    through_the_pool!(
        a_failing_member_fails_alone_and_copies_in_a_batch_apply_once,
        a_failed_commit_answers_no_member_success,
        payments_are_checked_against_their_orders_for_the_whole_batch,
        two_callbacks_paying_one_order_change_it_once,
    );
}

tokio::task_local! {
    /// Set by `sqlite_through_the_pool`: apply batches through a pool connection.
    static POOLED: bool;
}

/// A batch applied as the case's writer does (see `sqlite_through_the_pool`).
async fn apply_batch(
    db: &paysign_merchant::db::Db,
    batch: &[Verified],
    stats: &CommitStats,
) -> Vec<Outcome> {
    if POOLED.try_with(|pooled| *pooled).unwrap_or(false) {
        commit::apply_batch_pooled(db, batch, stats).await
    } else {
        commit::apply_batch(db, batch, stats).await
    }
}

const SUCCESS: &str = r#"{"resultCode":"000000","resultDesc":"Success."}"#;

/// `n` orders paid in the sandbox: (mercOrderNo, signed payment notification).
async fn paid_orders(bench: &Bench, n: usize) -> Vec<(String, String)> {
    let mut out = Vec::with_capacity(n);
    for i in 0..n {
        let (no, _) = bench.new_order(&format!("user-{i}")).await;
        bench.pay(&no).await;
        let body = bench.notification("ORDER_PAID", &no).await;
        out.push((no, body));
    }
    out
}

async fn verified(bench: &Bench, body: &str) -> Verified {
    callbacks::check(&bench.server().state, Endpoint::Payment, body.as_bytes())
        .await
        .unwrap_or_else(|refused| panic!("{refused:?}"))
}

async fn exec(bench: &Bench, text: String) {
    sqlx::raw_sql(AssertSqlSafe(text))
        .execute(&bench.server().state.db.pool)
        .await
        .unwrap();
}

/// Any update of these orders fails (a statement inside the batch fails).
async fn fail_updates_of(bench: &Bench, backend: Backend, orders: &[&str]) {
    let list = orders
        .iter()
        .map(|o| format!("'{o}'"))
        .collect::<Vec<_>>()
        .join(", ");
    exec(
        bench,
        match backend {
            Backend::Sqlite => format!(
                "CREATE TRIGGER injected_failure BEFORE UPDATE ON orders \
                 WHEN NEW.merc_order_no IN ({list}) \
                 BEGIN SELECT RAISE(ABORT, 'injected failure'); END"
            ),
            Backend::Postgres => format!(
                "CREATE FUNCTION injected_failure() RETURNS trigger LANGUAGE plpgsql AS \
                 $$ BEGIN RAISE EXCEPTION 'injected failure'; END $$; \
                 CREATE TRIGGER injected_failure BEFORE UPDATE ON orders FOR EACH ROW \
                 WHEN (NEW.merc_order_no IN ({list})) EXECUTE FUNCTION injected_failure()"
            ),
        },
    )
    .await;
}

async fn remove_injected_failure(bench: &Bench, backend: Backend) {
    exec(
        bench,
        match backend {
            Backend::Sqlite => "DROP TRIGGER injected_failure".to_owned(),
            Backend::Postgres => "DROP TRIGGER injected_failure ON orders; \
                                  DROP FUNCTION injected_failure()"
                .to_owned(),
        },
    )
    .await;
}

/// Whether the batches of `backend` settle payments in one statement (PostgreSQL's data-modifying
/// CTEs; `commit::settle_payments`).
fn settles_at_once(backend: Backend) -> bool {
    matches!(backend, Backend::Postgres)
}

async fn stored(bench: &Bench, no: &str) -> (i64, String) {
    let n = bench
        .db_count("SELECT COUNT(*) FROM callbacks WHERE subject = $1", no)
        .await;
    (
        n,
        bench.status(&owner_of(bench, no).await, no).await.1["payment"]
            .as_str()
            .unwrap()
            .to_owned(),
    )
}

async fn owner_of(bench: &Bench, no: &str) -> String {
    paysign_merchant::store::order(&bench.server().state.db, no)
        .await
        .unwrap()
        .unwrap()
        .user_id
}

async fn a_failing_member_fails_alone_and_copies_in_a_batch_apply_once(backend: Backend) {
    let bench = Bench::start(backend).await;
    let orders = paid_orders(&bench, 3).await;
    let (good1, bad, good2) = (&orders[0], &orders[1], &orders[2]);
    fail_updates_of(&bench, backend, &[&bad.0]).await;

    let db = &bench.server().state.db;
    let stats = CommitStats::default();
    // One batch: two good callbacks, the bad one, and two copies of the first.
    let batch = vec![
        verified(&bench, &good1.1).await,
        verified(&bench, &bad.1).await,
        verified(&bench, &good1.1).await,
        verified(&bench, &good2.1).await,
        verified(&bench, &good1.1).await,
    ];
    let outcomes = apply_batch(db, &batch, &stats).await;
    assert_eq!(
        outcomes,
        vec![
            Outcome::Applied { changed: true },
            Outcome::Refused(Refusal::Internal),
            Outcome::Duplicate,
            Outcome::Applied { changed: true },
            Outcome::Duplicate,
        ]
    );
    // The batch failed as a whole and was applied member by member: only the bad one is out.
    assert_eq!(stats.split.load(std::sync::atomic::Ordering::Relaxed), 1);
    assert_eq!(stored(&bench, &good1.0).await, (1, "PAID".to_owned()));
    assert_eq!(stored(&bench, &good2.0).await, (1, "PAID".to_owned()));
    assert_eq!(stored(&bench, &bad.0).await, (0, "PENDING".to_owned()));

    // Over HTTP the bad one is not success, so Payment Kit delivers it again; once the fault
    // is gone it applies, and the others stay applied once.
    let (status, answer) = bench.deliver("payment", &bad.1).await;
    assert_eq!(status, 500);
    assert_ne!(answer, SUCCESS);
    remove_injected_failure(&bench, backend).await;
    bench.deliver_ok("payment", &bad.1).await;
    assert_eq!(stored(&bench, &bad.0).await, (1, "PAID".to_owned()));

    // A later batch of copies only: all duplicates, nothing written.
    let again = vec![
        verified(&bench, &good1.1).await,
        verified(&bench, &good2.1).await,
        verified(&bench, &good2.1).await,
    ];
    assert_eq!(
        apply_batch(db, &again, &stats).await,
        vec![Outcome::Duplicate; 3]
    );
    for (no, _) in &orders {
        assert_eq!(stored(&bench, no).await, (1, "PAID".to_owned()));
    }
    bench.stop().await;
}

async fn a_failed_commit_answers_no_member_success(backend: Backend) {
    let bench = Bench::start(backend).await;
    let orders = paid_orders(&bench, 4).await;
    let bad = &orders[2].0;
    // Every statement succeeds; the fault fires when the transaction commits (PostgreSQL: a
    // deferred constraint trigger). SQLite has no deferred triggers: there the recording
    // statement fails instead.
    exec(
        &bench,
        match backend {
            Backend::Sqlite => format!(
                "CREATE TRIGGER injected_failure BEFORE INSERT ON callbacks \
                 WHEN NEW.subject = '{bad}' \
                 BEGIN SELECT RAISE(ABORT, 'injected failure'); END"
            ),
            Backend::Postgres => format!(
                "CREATE FUNCTION injected_failure() RETURNS trigger LANGUAGE plpgsql AS \
                 $$ BEGIN RAISE EXCEPTION 'injected commit failure'; END $$; \
                 CREATE CONSTRAINT TRIGGER injected_failure AFTER INSERT ON callbacks \
                 DEFERRABLE INITIALLY DEFERRED FOR EACH ROW \
                 WHEN (NEW.subject = '{bad}') EXECUTE FUNCTION injected_failure()"
            ),
        },
    )
    .await;
    let stats = CommitStats::default();
    let mut batch = Vec::new();
    for (_, body) in &orders {
        batch.push(verified(&bench, body).await);
    }
    let outcomes = apply_batch(&bench.server().state.db, &batch, &stats).await;
    for ((no, _), outcome) in orders.iter().zip(&outcomes) {
        if no == bad {
            assert_eq!(*outcome, Outcome::Refused(Refusal::Internal));
            assert_eq!(stored(&bench, no).await, (0, "PENDING".to_owned()));
        } else {
            assert_eq!(*outcome, Outcome::Applied { changed: true });
            assert_eq!(stored(&bench, no).await, (1, "PAID".to_owned()));
        }
    }
    assert_eq!(stats.split.load(std::sync::atomic::Ordering::Relaxed), 1);
    // Alone, it fails the same way: never success, never stored.
    let outcome = apply_batch(
        &bench.server().state.db,
        &[verified(&bench, &orders[2].1).await],
        &stats,
    )
    .await;
    assert_eq!(outcome, vec![Outcome::Refused(Refusal::Internal)]);
    assert_eq!(stored(&bench, bad).await, (0, "PENDING".to_owned()));
    bench.stop().await;
}

async fn concurrent_callbacks_answered_success_are_exactly_the_stored_ones(backend: Backend) {
    let bench = Bench::start(backend).await;
    let orders = paid_orders(&bench, 24).await;
    let failing: Vec<&str> = orders
        .iter()
        .step_by(3)
        .map(|(no, _)| no.as_str())
        .collect();
    fail_updates_of(&bench, backend, &failing).await;
    // Every notification twice, all at once: batches mix good, failing and copies.
    let url = format!("{}/paysign/callbacks/payment", bench.server().base_url());
    let mut tasks = Vec::new();
    for (no, body) in orders.iter().chain(orders.iter()) {
        let (http, url, body, no) = (bench.http.clone(), url.clone(), body.clone(), no.clone());
        tasks.push(tokio::spawn(async move {
            let r = http.post(url).body(body).send().await.unwrap();
            let ok = r.status().as_u16() == 200 && r.text().await.unwrap() == SUCCESS;
            (no, ok)
        }));
    }
    let mut answered_ok = std::collections::HashMap::<String, usize>::new();
    for t in tasks {
        let (no, ok) = t.await.unwrap();
        *answered_ok.entry(no).or_default() += usize::from(ok);
    }
    for (no, _) in &orders {
        let ok = answered_ok[no];
        if failing.contains(&no.as_str()) {
            assert_eq!(ok, 0, "{no} failed yet was answered success");
            assert_eq!(stored(&bench, no).await, (0, "PENDING".to_owned()));
        } else {
            assert_eq!(ok, 2, "{no}");
            assert_eq!(stored(&bench, no).await, (1, "PAID".to_owned()));
        }
    }
    let m = &bench.server().state.metrics;
    let good = (orders.len() - failing.len()) as u64;
    assert_eq!(m.callback_count("payment", "applied"), good);
    assert_eq!(m.callback_count("payment", "duplicate"), good);
    assert_eq!(
        m.callback_count("payment", "error"),
        2 * failing.len() as u64
    );
    bench.stop().await;
}

async fn payments_are_checked_against_their_orders_for_the_whole_batch(backend: Backend) {
    let bench = Bench::start(backend).await;
    let orders = paid_orders(&bench, 2).await;
    let good = verified(&bench, &orders[0].1).await;
    // What the writer would get if a notification's amount or order differed from the stored
    // one (Huawei signs what it sends, so these are built past the signature check).
    let mut other_amount = verified(&bench, &orders[1].1).await;
    let Change::Payment(terms) = &mut other_amount.change else {
        panic!("{:?}", other_amount.change)
    };
    terms.total_amount = 1;
    let mut unknown = verified(&bench, &orders[1].1).await;
    unknown.callback_id = "CB-UNKNOWN-ORDER".to_owned();
    let Change::Payment(terms) = &mut unknown.change else {
        panic!("{:?}", unknown.change)
    };
    terms.merc_order_no = "PS-NOT-HERE".to_owned();
    let stats = CommitStats::default();
    let outcomes = apply_batch(
        &bench.server().state.db,
        &[other_amount, good, unknown],
        &stats,
    )
    .await;
    assert!(
        matches!(&outcomes[0], Outcome::Refused(Refusal::Mismatch(why)) if why.contains("notified 1 ")),
        "{outcomes:?}"
    );
    assert_eq!(outcomes[1], Outcome::Applied { changed: true });
    assert!(
        matches!(&outcomes[2], Outcome::Refused(Refusal::Unknown(_))),
        "{outcomes:?}"
    );
    // On PostgreSQL the good one was checked, recorded and paid by one statement, which also
    // refused the other amount; the unknown order went on to the general path, which looked
    // for a withholding debit of that number.
    assert_eq!(
        stats.at_once.load(std::sync::atomic::Ordering::Relaxed),
        u64::from(settles_at_once(backend))
    );
    assert_eq!(stored(&bench, &orders[0].0).await, (1, "PAID".to_owned()));
    assert_eq!(
        stored(&bench, &orders[1].0).await,
        (0, "PENDING".to_owned())
    );
    assert_eq!(
        bench
            .db_count(
                "SELECT COUNT(*) FROM callbacks WHERE callback_id = $1",
                "CB-UNKNOWN-ORDER"
            )
            .await,
        0
    );
    bench.stop().await;
}

/// Two callbackIds about one order in a batch (Payment Kit may notify a payment twice under
/// different ids): the order changes once, both are recorded, the second as NO_CHANGE; a copy
/// of a recorded one is a duplicate even when a new one for its order rides in the same batch.
async fn two_callbacks_paying_one_order_change_it_once(backend: Backend) {
    let bench = Bench::start(backend).await;
    let orders = paid_orders(&bench, 2).await;
    let (no, body) = &orders[0];
    let first = verified(&bench, body).await;
    let mut second = first.clone();
    second.callback_id = format!("{}-AGAIN", first.callback_id);
    let other = verified(&bench, &orders[1].1).await;
    let stats = CommitStats::default();
    let db = &bench.server().state.db;
    assert_eq!(
        apply_batch(db, &[second.clone(), other, first.clone()], &stats).await,
        vec![
            Outcome::Applied { changed: false },
            Outcome::Applied { changed: true },
            Outcome::Applied { changed: true },
        ]
    );
    // On PostgreSQL the lower callbackId of the order and the other order's went in one
    // statement, the second id after it.
    assert_eq!(
        stats.at_once.load(std::sync::atomic::Ordering::Relaxed),
        2 * u64::from(settles_at_once(backend))
    );
    // The lower callbackId goes first (the batch is applied in callbackId order).
    let outcome_of = |id: String| {
        let bench = &bench;
        async move {
            sqlx::query_scalar::<_, String>("SELECT outcome FROM callbacks WHERE callback_id = $1")
                .bind(id)
                .fetch_one(&bench.server().state.db.pool)
                .await
                .unwrap()
        }
    };
    assert_eq!(outcome_of(first.callback_id.clone()).await, "APPLIED");
    assert_eq!(outcome_of(second.callback_id.clone()).await, "NO_CHANGE");
    assert_eq!(stored(&bench, no).await, (2, "PAID".to_owned()));

    // A copy of the first and a third id for the same order: a duplicate, and no change.
    let mut third = first.clone();
    third.callback_id = format!("{}-THIRD", first.callback_id);
    assert_eq!(
        apply_batch(db, &[first.clone(), third.clone()], &stats).await,
        vec![Outcome::Duplicate, Outcome::Applied { changed: false }]
    );
    assert_eq!(outcome_of(third.callback_id).await, "NO_CHANGE");
    assert_eq!(stored(&bench, no).await, (3, "PAID".to_owned()));
    // Alone, a new id for the paid order: recorded as no change (on PostgreSQL by the one
    // statement, from the order's state as it read it).
    let mut fourth = first.clone();
    fourth.callback_id = format!("{}-FOURTH", first.callback_id);
    let (before, batches) = (
        stats.at_once.load(std::sync::atomic::Ordering::Relaxed),
        stats.batches.load(std::sync::atomic::Ordering::Relaxed),
    );
    assert_eq!(
        apply_batch(db, std::slice::from_ref(&fourth), &stats).await,
        vec![Outcome::Applied { changed: false }]
    );
    assert_eq!(
        stats.at_once.load(std::sync::atomic::Ordering::Relaxed) - before,
        u64::from(settles_at_once(backend))
    );
    // One transaction in all: nothing was left to a second one.
    assert_eq!(
        stats.batches.load(std::sync::atomic::Ordering::Relaxed) - batches,
        1
    );
    assert_eq!(outcome_of(fourth.callback_id).await, "NO_CHANGE");
    assert_eq!(stored(&bench, no).await, (4, "PAID".to_owned()));
    // Every outcome recorded is a final one.
    assert_eq!(
        bench
            .db_count(
                "SELECT COUNT(*) FROM callbacks WHERE outcome NOT IN ('APPLIED', 'NO_CHANGE') \
                 AND callback_id <> $1",
                "",
            )
            .await,
        0
    );
    bench.stop().await;
}

/// PostgreSQL: paying a batch of orders, and one from a query, reads orders and contracts by
/// key, however many others are pending: with 2,000 pending orders and unsigned contracts
/// besides, neither state index is read and neither table scanned. (Left to choose, the planner
/// read the whole pending range of `orders_due` in every batch, and scanned `contracts`.) Counted
/// with PostgreSQL's statistics of this connection, not yet flushed (`pg_stat_get_xact_*`).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postgres_payments_read_orders_and_contracts_by_key() {
    if postgres_url().is_none() {
        eprintln!("skipped: PAYSIGN_TEST_POSTGRES_URL is not set (make test sets it)");
        return;
    }
    use paysign_merchant::store::{self, NewCallback, OrderPayment, PaidCallback};
    let bench = Bench::start(Backend::Postgres).await;
    let mut orders = Vec::new();
    for i in 0..6 {
        orders.push(bench.new_order(&format!("user-{i}")).await.0);
    }
    exec(
        &bench,
        "INSERT INTO orders (merc_order_no, user_id, idempotency_key, product_id, amount_fen, \
         currency, merc_contract_code, payment, created_ms, updated_ms, expire_ms, next_check_ms) \
         SELECT 'OTHER-' || i, 'user-x', 'key-' || i, 'vip-month', 1500, 'CNY', 'OTHER-C-' || i, \
         'PENDING', 1, 1, 1, 1 FROM generate_series(1, 2000) i; \
         INSERT INTO contracts (merc_contract_code, merc_order_no, user_id, plan_id, state, \
         created_ms, updated_ms, next_check_ms) SELECT 'OTHER-C-' || i, 'OTHER-' || i, 'user-x', \
         'PLAN-MONTHLY', 'NOT_SIGNED', 1, 1, 1 FROM generate_series(1, 2000) i"
            .to_owned(),
    )
    .await;
    let db = &bench.server().state.db;
    let now = paysign_merchant::time::now_ms();
    // Three were given up on (a failed payment): paying them makes their contracts pending again.
    let mut conn = db.connection().await.unwrap();
    for no in [&orders[1], &orders[3], &orders[5]] {
        assert!(store::mark_not_paid(&mut *conn, no, now).await.unwrap());
    }
    drop(conn);

    let ids: Vec<String> = (0..3).map(|i| format!("CB-BY-KEY-{i}")).collect();
    let rows: Vec<NewCallback<'_>> = (0..3)
        .map(|i| NewCallback {
            callback_id: &ids[i],
            kind: "payment",
            subject: &orders[i],
            raw_body: "{}",
        })
        .collect();
    let pays: Vec<PaidCallback<'_>> = (0..3)
        .map(|i| PaidCallback {
            callback_id: &ids[i],
            merc_order_no: &orders[i],
            sys_trans_order_no: Some("SYS-BY-KEY"),
            finish_time: None,
            paid_ms: now,
        })
        .collect();
    // This connection's counts start at zero: what it did before is flushed when it goes idle.
    let mut conn = db.connection().await.unwrap();
    sqlx::query("SELECT pg_stat_force_next_flush()")
        .execute(&mut *conn)
        .await
        .unwrap();
    let mut tx = sqlx::Connection::begin(&mut *conn).await.unwrap();
    let recorded = store::record_and_pay(&mut tx, &rows, &pays, now)
        .await
        .unwrap();
    assert_eq!(recorded.paid.len(), 3);
    assert!(
        store::mark_paid(&mut *tx, &orders[3], Some("SYS-BY-KEY"), None, now, now)
            .await
            .unwrap()
    );
    // The statement that checks, records and pays at once (its own transaction when the
    // writer runs it; here inside this one, to count it too).
    let settle_ids: Vec<String> = (4..6).map(|i| format!("CB-BY-KEY-{i}")).collect();
    let settle: Vec<OrderPayment<'_>> = (4..6)
        .map(|i| OrderPayment {
            callback_id: &settle_ids[i - 4],
            merc_order_no: &orders[i],
            amount_fen: PRICE,
            currency: "CNY",
            sys_trans_order_no: "SYS-BY-KEY",
            finish_time: None,
            paid_ms: now,
            raw: "{}",
        })
        .collect();
    // Two payments of one order are refused before anything is sent.
    let twice = [
        settle[0],
        OrderPayment {
            callback_id: "CB-BY-KEY-TWICE",
            ..settle[0]
        },
    ];
    assert!(store::settle_payments(&mut tx, &twice, now).await.is_err());
    let settled = store::settle_payments(&mut tx, &settle, now).await.unwrap();
    assert_eq!(settled.new.len(), 2, "{settled:?}");
    assert_eq!(settled.paid.len(), 2, "{settled:?}");
    // Scans of a table (sequential) or of an index, in this transaction.
    let mut counted = Vec::new();
    for relation in [
        "orders",
        "contracts",
        "orders_due",
        "contracts_due",
        "orders_pkey",
    ] {
        let scans =
            sqlx::query_scalar::<_, i64>("SELECT pg_stat_get_xact_numscans(CAST($1 AS regclass))")
                .bind(relation)
                .fetch_one(&mut *tx)
                .await
                .unwrap();
        counted.push((relation, scans));
    }
    tx.commit().await.unwrap();
    drop(conn);
    let count = |relation: &str| counted.iter().find(|(r, _)| *r == relation).unwrap().1;
    assert!(
        count("orders_pkey") > 0,
        "the statistics count this transaction: {counted:?}"
    );
    for relation in ["orders", "contracts", "orders_due", "contracts_due"] {
        assert_eq!(count(relation), 0, "{relation} was scanned: {counted:?}");
    }

    // And they did what they do: six orders paid, the three contracts pending again.
    for (i, no) in orders.iter().enumerate() {
        let order = store::order(db, no).await.unwrap().unwrap();
        assert_eq!(order.payment, "PAID", "order {i}");
        let contract = store::contract(db, &order.merc_contract_code)
            .await
            .unwrap()
            .unwrap();
        assert_eq!(contract.state, "PENDING", "contract of order {i}");
    }
    assert_eq!(
        bench
            .db_count(
                "SELECT COUNT(*) FROM orders WHERE payment = 'PENDING' AND merc_order_no LIKE $1",
                "OTHER-%",
            )
            .await,
        2000
    );
    bench.stop().await;
}

/// The binary on an SQLite file, killed with SIGKILL while callbacks are in flight: every
/// callback it answered success is in the file afterwards, with its order paid.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sigkill_mid_load_loses_no_callback_answered_success() {
    let bench = Bench::start(Backend::Sqlite).await;
    let orders = paid_orders(&bench, 40).await;
    // The binary on the same database file as the bench's own server.
    let mut child = Command::new(env!("CARGO_BIN_EXE_paysign-merchant"))
        .args(["serve", "--config"])
        .arg(bench.config_path())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
    let first = lines.next().unwrap().unwrap();
    let base = first
        .strip_prefix("paysign-merchant listening on ")
        .unwrap_or_else(|| panic!("{first}"))
        .to_owned();
    let url = format!("{base}/paysign/callbacks/payment");
    let (answered, mut first_success) = tokio::sync::mpsc::channel::<()>(64);
    let mut tasks = Vec::new();
    for (no, body) in orders.iter().cloned() {
        let (http, url, answered) = (bench.http.clone(), url.clone(), answered.clone());
        tasks.push(tokio::spawn(async move {
            let ok = match http.post(url).body(body).send().await {
                Ok(r) => {
                    r.status().as_u16() == 200 && r.text().await.ok().as_deref() == Some(SUCCESS)
                }
                Err(_) => false,
            };
            if ok {
                let _ = answered.send(()).await;
            }
            (no, ok)
        }));
    }
    drop(answered);
    // Killed once some have been answered and (almost surely) others are still in flight.
    for _ in 0..5 {
        first_success.recv().await.unwrap();
    }
    child.kill().unwrap(); // SIGKILL
    child.wait().unwrap();
    let mut succeeded = 0;
    for t in tasks {
        let (no, ok) = t.await.unwrap();
        if ok {
            succeeded += 1;
            assert_eq!(stored(&bench, &no).await, (1, "PAID".to_owned()), "{no}");
        }
    }
    assert!(succeeded >= 5);
    // The file is intact and what was not answered is delivered again: all apply once.
    for (no, body) in &orders {
        bench.deliver_ok("payment", body).await;
        assert_eq!(stored(&bench, no).await, (1, "PAID".to_owned()));
    }
    bench.stop().await;
}

/// Durability of an answered success rests on SQLite flushing each commit to disk.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sqlite_commits_are_flushed_to_disk() {
    use sqlx::Row;
    let bench = Bench::start(Backend::Sqlite).await;
    let pool = &bench.server().state.db.pool;
    // Several connections of the pool, each asked: 2 is FULL.
    let mut conns = Vec::new();
    for _ in 0..3 {
        conns.push(pool.acquire().await.unwrap());
    }
    for c in &mut conns {
        let row = sqlx::query("PRAGMA synchronous")
            .fetch_one(&mut **c)
            .await
            .unwrap();
        assert_eq!(row.try_get::<i64, _>(0).unwrap(), 2);
        let row = sqlx::query("PRAGMA journal_mode")
            .fetch_one(&mut **c)
            .await
            .unwrap();
        assert_eq!(row.try_get::<String, _>(0).unwrap(), "wal");
    }
    drop(conns);
    // And the callback writer's own connection (src/sqlite_writer.rs).
    let file = bench.server().state.db.sqlite_file().unwrap().to_path_buf();
    let own = paysign_merchant::sqlite_writer::open(&file).unwrap();
    let synchronous: i64 = own
        .query_row("PRAGMA synchronous", [], |r| r.get(0))
        .unwrap();
    assert_eq!(synchronous, 2);
    let journal: String = own
        .query_row("PRAGMA journal_mode", [], |r| r.get(0))
        .unwrap();
    assert_eq!(journal, "wal");
    drop(own);
    // It opens the server's file, never a new one.
    let missing = file.with_file_name("no-such.db");
    assert!(paysign_merchant::sqlite_writer::open(&missing).is_err());
    assert!(!missing.exists());
    bench.stop().await;
}
