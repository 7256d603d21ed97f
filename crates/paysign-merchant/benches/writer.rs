//! The callback writer alone (no HTTP, no verify): CPU and wall time per stored payment
//! callback, by batch size, on a SQLite file (WAL, `synchronous=FULL`), through the writer's own
//! connection (the server's writer on a file, src/sqlite_writer.rs) and through a pool
//! connection it keeps (the server's writer in memory and on PostgreSQL). Prints figures;
//! asserts only that every callback was applied and stored once and every order paid.
//!
//! The figures explain the writer's design (docs/merchant-server.md, "Performance and
//! durability"): what a callback costs depends on the connection and on how many share a
//! commit, whose flush costs the same for one callback as for sixty-four.
//!
//! `cargo bench -p paysign-merchant --bench writer` (`make bench-merchant` runs it too);
//! `PAYSIGN_BENCH_ORDERS` (default 2048) orders per path and batch size.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use std::path::Path;
use std::time::{Duration, Instant};

use paysign_load::measure::process_cpu;
use paysign_merchant::callbacks::Outcome;
use paysign_merchant::commit::{self, Change, CommitStats, PaymentTerms, Verified};
use paysign_merchant::db::Db;
use paysign_merchant::sqlite_writer::{self, Direct};
use paysign_merchant::store::{self, Contract, Order};

const BATCHES: [usize; 5] = [1, 4, 16, 32, 64];
const AMOUNT: i64 = 1500;

fn url(file: &Path) -> String {
    format!("sqlite://{}", file.display())
}

/// A database file with `n` pending orders, made once and copied for every measurement.
async fn template(dir: &Path, n: usize) -> Vec<String> {
    let file = dir.join("template.db");
    let db = Db::connect(&url(&file)).await.unwrap();
    let mut numbers = Vec::with_capacity(n);
    for i in 0..n {
        let no = paysign_merchant::ids::new_id("PS").unwrap();
        let code = paysign_merchant::ids::new_id("PC").unwrap();
        let user = format!("user-{}", i % 50);
        let order = Order {
            merc_order_no: no.clone(),
            user_id: user.clone(),
            idempotency_key: format!("bench-{i}"),
            product_id: "vip-month".to_owned(),
            amount_fen: AMOUNT,
            currency: "CNY".to_owned(),
            merc_contract_code: code.clone(),
            order_str: None,
            ticket_ms: None,
            payment: store::payment::PREPARING.to_owned(),
            sys_trans_order_no: None,
            paid_ms: None,
            finish_time: None,
            refunded_fen: 0,
            created_ms: 1,
            updated_ms: 1,
            expire_ms: i64::MAX,
            next_check_ms: i64::MAX,
            check_attempts: 0,
        };
        let contract = Contract {
            merc_contract_code: code,
            merc_order_no: no.clone(),
            user_id: user,
            plan_id: "PLAN-MONTHLY".to_owned(),
            state: store::contract::PENDING.to_owned(),
            contract_id: None,
            operate_time: None,
            unsign_requested: false,
            withhold_blocked_until: 0,
            created_ms: 1,
            updated_ms: 1,
            next_check_ms: i64::MAX,
            check_attempts: 0,
        };
        assert!(store::insert_order(&db, &order, &contract).await.unwrap());
        // An orderStr about as long as a real one: the order rows are as large as a server's.
        store::set_ticket(&db, &no, &"o".repeat(900), 2, i64::MAX)
            .await
            .unwrap();
        numbers.push(no);
    }
    sqlx::query("PRAGMA wal_checkpoint(TRUNCATE)")
        .execute(&db.pool)
        .await
        .unwrap();
    db.close().await;
    numbers
}

/// A verified payment notification for `no`, with a body as long as a real one (kept for audit).
fn paid(i: usize, no: &str) -> Verified {
    Verified {
        callback_id: format!("BENCH{i:021}"),
        kind: "payment",
        subject: no.to_owned(),
        raw: format!("{{\"pad\":\"{}\"}}", "b".repeat(1400)),
        change: Change::Payment(PaymentTerms {
            merc_order_no: no.to_owned(),
            success: Some(true),
            total_amount: AMOUNT,
            currency: "CNY".to_owned(),
            sys_trans_order_no: format!("SYS{i:016}"),
            finish_time: Some("2026-11-29 12:00:00".to_owned()),
            finish_ms: 3,
        }),
    }
}

#[derive(Clone, Copy)]
enum Via {
    Own,
    Pool,
}

/// Stores one payment callback per order, `batch` per transaction; (CPU, wall) per callback.
async fn measure(dir: &Path, numbers: &[String], via: Via, batch: usize) -> (f64, f64) {
    let file = dir.join(format!("run-{batch}-{}.db", via as u8));
    std::fs::copy(dir.join("template.db"), &file).unwrap();
    let db = Db::connect(&url(&file)).await.unwrap();
    let items: Vec<Verified> = numbers
        .iter()
        .enumerate()
        .map(|(i, no)| paid(i, no))
        .collect();
    let stats = CommitStats::default();
    let own = sqlite_writer::open(&file).unwrap();
    let mut pooled = db.connection().await.unwrap();
    let (cpu, wall) = (process_cpu(), Instant::now());
    for chunk in items.chunks(batch) {
        let outcomes = match via {
            Via::Own => {
                commit::apply_batch_with(
                    &mut Direct {
                        db: &db,
                        conn: &own,
                    },
                    chunk,
                    &stats,
                )
                .await
            }
            Via::Pool => commit::apply_batch_on(&db, &mut pooled, chunk, &stats).await,
        };
        assert!(outcomes
            .iter()
            .all(|o| *o == Outcome::Applied { changed: true }));
    }
    let (cpu, wall) = (process_cpu() - cpu, wall.elapsed());
    drop(pooled);
    let count = |sql: &'static str| {
        let db = db.clone();
        async move {
            use sqlx::Row;
            let row = sqlx::query(sql).fetch_one(&db.pool).await.unwrap();
            row.try_get::<i64, _>(0).unwrap() as usize
        }
    };
    assert_eq!(count("SELECT COUNT(*) FROM callbacks").await, numbers.len());
    assert_eq!(
        count("SELECT COUNT(*) FROM orders WHERE payment = 'PAID'").await,
        numbers.len()
    );
    db.close().await;
    let per = |d: Duration| d.as_secs_f64() * 1e6 / numbers.len() as f64;
    (per(cpu), per(wall))
}

fn main() {
    let n = std::env::var("PAYSIGN_BENCH_ORDERS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(2048);
    // One thread: the writer's own connection runs on the thread that calls it, and the pool's
    // SQLite thread is the only other one working, so the process's CPU time is the writer's.
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let numbers = runtime.block_on(template(dir.path(), n));
    println!(
        "callback writer alone (no HTTP, no verify), SQLite file (WAL, synchronous=FULL), \
         {n} payment callbacks per line, process CPU and wall time per callback:"
    );
    println!("  per commit   own connection: CPU / wall     pool connection: CPU / wall");
    for batch in BATCHES {
        let (own_cpu, own_wall) = runtime.block_on(measure(dir.path(), &numbers, Via::Own, batch));
        let (pool_cpu, pool_wall) =
            runtime.block_on(measure(dir.path(), &numbers, Via::Pool, batch));
        println!(
            "  {batch:>10}   {own_cpu:>8.1} / {own_wall:>6.1} us      {pool_cpu:>8.1} / {pool_wall:>6.1} us"
        );
    }
}
