//! The callback endpoint (SM2 verify + checks + one transaction) over loopback, against the SM2
//! verification bound measured in the same run. Prints figures; asserts only that every
//! notification was answered success and stored exactly once.
//!
//! `cargo bench -p paysign-merchant --bench callbacks` (SQLite file); with
//! `PAYSIGN_TEST_POSTGRES_URL` set (e.g. under scripts/pg-test.sh) it runs on PostgreSQL too.
//! `PAYSIGN_BENCH_CALLBACKS` (default 800) and `PAYSIGN_BENCH_CONCURRENCY` (default 32) tune it.
//! Callbacks are stored by group commit (src/commit.rs): one durable commit carries what
//! arrived meanwhile, so the throughput is at most (callbacks in flight) / (a batch's time).
//! 32 in flight — Payment Kit delivers from many senders at once: at 16 the cores wait on
//! commits more often; at 64 `make load` gained up to 7 points of the bound but p99 doubled to
//! 30 ms (docs/reliability.md).
//! Orders are paid in an order unrelated to their creation and notified in the order of payment
//! (`paysign_load::measure::payment_order`), as in production.
//! The driver is `make load`'s: `paysign_load::client` (keep-alive HTTP/1.1, one connection per
//! request in flight) through `measure::closed_loop`, on its own thread and current-thread
//! runtime (`measure::DriverThread`), so the CPU time it takes from the server is printed.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

#[path = "../tests/common/mod.rs"]
mod common;

use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::time::Duration;

use common::{Backend, Bench};
use paysign_load::client::{Bytes, Client, Uri};
use paysign_load::measure::{
    named_thread_cpu, payment_order, percentile, verify_bound, DriverThread, MachineCpu, Round,
};
use serde_json::{json, Value};

fn env_usize(name: &str, default: usize) -> usize {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

async fn prepare(bench: &Bench, n: usize) -> Vec<String> {
    // n orders, then each paid in the sandbox, in an order unrelated to their creation
    // (`payment_order`); their signed payment notifications in the order of payment.
    let mut numbers = Vec::with_capacity(n);
    let mut tasks = tokio::task::JoinSet::new();
    let base = bench.server().base_url();
    let gate = Arc::new(tokio::sync::Semaphore::new(8));
    for i in 0..n {
        let http = bench.http.clone();
        let base = base.clone();
        let gate = Arc::clone(&gate);
        tasks.spawn(async move {
            let _permit = gate.acquire().await.unwrap();
            let ticket: Value = http
                .post(format!("{base}/paysign/orders"))
                .header("X-Paysign-User", format!("user-{}", i % 50))
                .header("Idempotency-Key", format!("bench-{i}"))
                .json(&json!({"productId": "vip-month"}))
                .send()
                .await
                .unwrap()
                .json()
                .await
                .unwrap();
            ticket["mercOrderNo"].as_str().unwrap().to_owned()
        });
    }
    while let Some(no) = tasks.join_next().await {
        numbers.push(no.unwrap());
    }
    let numbers = payment_order(numbers);
    for no in &numbers {
        bench.pay(no).await;
    }
    let bodies = paysign_load::api::paid_notifications(&bench.http, &bench.sandbox.base_url())
        .await
        .unwrap();
    assert_eq!(bodies.len(), n);
    bodies
}

/// POSTs `bodies` with `concurrency` requests in flight, from the driver thread.
async fn endpoint_round(
    driver: &DriverThread,
    client: &Arc<Client>,
    bodies: Vec<Bytes>,
    concurrency: usize,
) -> Round {
    let client = Arc::clone(client);
    let path = Uri::from_static("/paysign/callbacks/payment");
    driver
        .closed_loop(bodies, concurrency, move |body: Bytes| {
            let (client, path) = (Arc::clone(&client), path.clone());
            async move { client.deliver(&path, body).await }
        })
        .await
        .unwrap()
}

/// The same client, concurrency and keep-alive connections on `GET /healthz` (no verify, no
/// database): what HTTP alone costs both sides per request on these cores.
async fn http_floor(
    driver: &DriverThread,
    client: &Arc<Client>,
    n: usize,
    concurrency: usize,
) -> Round {
    let client = Arc::clone(client);
    let path = Uri::from_static("/healthz");
    driver
        .closed_loop((0..n).collect(), concurrency, move |_: usize| {
            let (client, path) = (Arc::clone(&client), path.clone());
            async move {
                let answer = client.get(&path).await?;
                if answer.status == 200 {
                    Ok(())
                } else {
                    Err(format!("GET /healthz: HTTP {}", answer.status))
                }
            }
        })
        .await
        .unwrap()
}

async fn run(backend: Backend, n: usize, concurrency: usize, threads: usize) {
    const ROUNDS: usize = 4;
    let bench = Bench::start(backend).await;
    let bodies = prepare(&bench, n).await;
    let key = bench.sandbox.public_key();
    // The machine is shared: verify-only and endpoint rounds alternate, and each side's best
    // round is compared (the same load for both, as far as one can tell).
    // The driver (the load generator's client) runs on its own thread with a current-thread
    // runtime, as a separate load generator would: the server's runtime keeps its workers, and
    // the driver's CPU time is that thread's alone.
    let driver = DriverThread::start().unwrap();
    let client = Arc::new(Client::new(&bench.server().base_url()).unwrap());
    let payloads: Vec<Bytes> = bodies.iter().map(|b| Bytes::from(b.clone())).collect();
    let mut bounds = Vec::new();
    let mut floors = Vec::new();
    let mut rounds = Vec::new();
    let mut machine = MachineCpu::default();
    let per_round = n.div_ceil(ROUNDS);
    for chunk in payloads.chunks(per_round) {
        let sample = bodies.clone();
        let key = key.clone();
        bounds.push(
            tokio::task::spawn_blocking(move || {
                verify_bound(&sample, &key, threads, Duration::from_millis(700))
            })
            .await
            .unwrap(),
        );
        let floor = http_floor(&driver, &client, chunk.len(), concurrency).await;
        assert_eq!(floor.errors, 0, "{:?}", floor.error_samples);
        floors.push(floor);
        let before = MachineCpu::now().unwrap_or_default();
        rounds.push(endpoint_round(&driver, &client, chunk.to_vec(), concurrency).await);
        let passed = MachineCpu::now().unwrap_or_default().since(before);
        machine.idle += passed.idle;
        machine.total += passed.total;
    }
    // The writer thread works only on callbacks, so its whole CPU time is the rounds'.
    let writer_cpu = named_thread_cpu("paysign-writer");
    let errors: usize = rounds.iter().map(|r| r.errors).sum();
    let error_samples: Vec<&String> = rounds.iter().flat_map(|r| &r.error_samples).collect();
    let mut latencies: Vec<Duration> = rounds.iter().flat_map(|r| r.latencies.clone()).collect();
    latencies.sort();
    let rate_of = |v: &[Round]| v.iter().map(|r| r.per_second).collect::<Vec<f64>>();
    let rates = rate_of(&rounds);
    let floor_rates = rate_of(&floors);
    let best_bound = bounds.iter().copied().fold(0.0, f64::max);
    let best_rate = rates.iter().copied().fold(0.0, f64::max);
    let best_floor = floor_rates.iter().copied().fold(0.0, f64::max);
    let driver_us = |v: &[Round]| {
        v.iter()
            .filter_map(Round::driver_us_per_request)
            .map(|us| format!("{us:.1}"))
            .collect::<Vec<_>>()
            .join(" ")
    };

    // Every notification stored once, every order paid.
    let stored = bench
        .db_count("SELECT COUNT(*) FROM callbacks WHERE kind = $1", "payment")
        .await;
    let paid = bench
        .db_count("SELECT COUNT(*) FROM orders WHERE payment = $1", "PAID")
        .await;
    assert_eq!(stored as usize, n);
    assert_eq!(paid as usize, n);
    assert_eq!(errors, 0, "{error_samples:?}");

    let name = match backend {
        Backend::Sqlite => "SQLite file",
        Backend::Postgres => "PostgreSQL",
    };
    let list = |v: &[f64]| {
        v.iter()
            .map(|x| format!("{x:.0}"))
            .collect::<Vec<_>>()
            .join(" ")
    };
    println!(
        "callback endpoint (verify + checks + store), {name}, {n} notifications in {} rounds, {concurrency} concurrent, loopback:",
        rates.len()
    );
    println!(
        "  SM2 verify bound ({threads} threads): best {best_bound:.0}/s (rounds: {})",
        list(&bounds)
    );
    println!(
        "  endpoint: best {best_rate:.0} callbacks/s (rounds: {}) = {:.0} % of the bound (goal >= 70 %)",
        list(&rates),
        100.0 * best_rate / best_bound
    );
    println!(
        "  driver (client) CPU per callback, its own thread: {} us (rounds)",
        driver_us(&rounds)
    );
    println!(
        "  latency: p50 {:.2} ms, p99 {:.2} ms (goal < 20 ms), max {:.2} ms",
        percentile(&latencies, 0.50).as_secs_f64() * 1e3,
        percentile(&latencies, 0.99).as_secs_f64() * 1e3,
        latencies.last().copied().unwrap_or_default().as_secs_f64() * 1e3
    );
    // Where a callback's time goes, in microseconds of the whole machine per callback: verify
    // (from the bound), HTTP both sides (from the floor), and the rest: JSON, checks, SQL, the
    // database's own work on the same cores, and cores idle while a commit waits.
    let us = |rate: f64| 1e6 / rate;
    println!(
        "  HTTP alone (GET /healthz, same client): best {best_floor:.0}/s (rounds: {}); driver CPU per request: {} us",
        list(&floor_rates),
        driver_us(&floors)
    );
    println!(
        "  per callback: {:.0} us = verify {:.0} + HTTP {:.0} + rest (JSON, SQL, database) {:.0}; \
         verify + HTTP alone would reach {:.0} % of the bound",
        us(best_rate),
        us(best_bound),
        us(best_floor),
        us(best_rate) - us(best_bound) - us(best_floor),
        100.0 * us(best_bound) / (us(best_bound) + us(best_floor))
    );
    // The same over all endpoint rounds, in CPU time of every core: what verifying costs (from
    // the bound), what the driver and the SQLite writer's thread took, how long the cores sat
    // idle (a closed loop at this concurrency leaves them waiting for commits), and the rest.
    let elapsed: f64 = rounds
        .iter()
        .map(|r| r.requests as f64 / r.per_second.max(1e-9))
        .sum();
    let all = threads as f64 * elapsed * 1e6 / n as f64;
    let idle = all * machine.idle_share();
    let verify = threads as f64 * us(best_bound);
    let driver_all = rounds
        .iter()
        .filter_map(|r| r.driver_cpu)
        .sum::<Duration>()
        .as_secs_f64()
        * 1e6
        / n as f64;
    let writer = writer_cpu.map_or(0.0, |c| c.as_secs_f64() * 1e6 / n as f64);
    println!(
        "  CPU per callback, all rounds, {threads} cores: {all:.0} us = verify {verify:.0} + idle {idle:.0} ({:.0} %) \
         + driver {driver_all:.0} + writer thread {} + the rest {:.0} (HTTP, JSON, checks, runtime{})",
        100.0 * machine.idle_share(),
        writer_cpu.map_or_else(|| "-".to_owned(), |_| format!("{writer:.0}")),
        all - verify - idle - driver_all - writer,
        match backend {
            Backend::Sqlite => "",
            Backend::Postgres => ", PostgreSQL's writes and its processes",
        }
    );
    let commits = bench.server().state.committer.stats();
    let batches = commits.batches.load(Ordering::Relaxed);
    let carried = commits.callbacks.load(Ordering::Relaxed);
    println!(
        "  group commit: {carried} callbacks in {batches} transactions ({:.1} per commit), {} of them \
         settled by one statement, {} batches split after a failure",
        carried as f64 / batches.max(1) as f64,
        commits.at_once.load(Ordering::Relaxed),
        commits.split.load(Ordering::Relaxed)
    );
    println!("  errors: {errors}; stored once each: {stored}; orders PAID: {paid}");
    bench.stop().await;
}

fn main() {
    let threads = std::thread::available_parallelism().map_or(2, |n| n.get());
    let n = env_usize("PAYSIGN_BENCH_CALLBACKS", 800);
    let concurrency = env_usize("PAYSIGN_BENCH_CONCURRENCY", 32);
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(threads)
        .enable_all()
        .build()
        .unwrap();
    runtime.block_on(run(Backend::Sqlite, n, concurrency, threads));
    if common::postgres_url().is_some() {
        runtime.block_on(run(Backend::Postgres, n, concurrency, threads));
    }
}
