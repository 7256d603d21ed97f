//! `make load`: the merchant server (release build, its own process) under load on loopback.
//!
//! 1. The callback endpoint with pre-signed payment notifications (verify + checks + one
//!    transaction), closed loop at each concurrency, against the SM2 verify bound measured in
//!    the same run just before each round; p50/p99/max and errors; every notification must be
//!    answered success and stored once.
//! 2. Order creation through the merchant (app → merchant → sandbox pre-order → signed
//!    orderStr) against the bare pre-order sent straight to the sandbox with paysign-pas, in
//!    alternating rounds; the difference is what the merchant adds per order.

use std::sync::Arc;
use std::time::Duration;

use paysign_pas::model::{ContractInfo, PrepayOrder, PrepayRequest};
use paysign_pas::{ClientConfig, MerchantModel, MerchantSigner, PasClient, PrepayChannel};

use crate::api;
use crate::client::{Bytes, Client, Uri};
use crate::db::{self, Backend, Db};
use crate::measure::{self, closed_loop, ms, Round};
use crate::stack::{
    Binaries, MerchantSetup, SandboxSetup, Stack, APP_ID, AUTH_ID, MERC_NO, PLAN_ID, PRICE_FEN,
};
use crate::{check, Ctx, Res};

#[derive(Debug, Clone)]
pub struct LoadOptions {
    pub concurrencies: Vec<usize>,
    /// Notifications per concurrency level.
    pub callbacks: usize,
    /// Rounds per level, each after its own verify-bound measurement.
    pub rounds: usize,
    /// Orders per round of the order-creation comparison (two rounds each way).
    pub orders: usize,
    pub order_concurrency: Vec<usize>,
}

/// One concurrency level of the callback run.
pub struct CallbackLevel {
    pub concurrency: usize,
    /// The verify bound measured before each round.
    pub bounds: Vec<f64>,
    pub rounds: Vec<Round>,
}

impl CallbackLevel {
    fn best_bound(&self) -> f64 {
        self.bounds.iter().copied().fold(0.0, f64::max)
    }
    fn best_rate(&self) -> f64 {
        self.rounds.iter().map(|r| r.per_second).fold(0.0, f64::max)
    }
    /// Every round's latencies and errors together.
    fn pooled(&self) -> Round {
        merge(self.rounds.clone())
    }
}

pub async fn run(bins: &Binaries, backend: Backend, o: &LoadOptions) -> Res<()> {
    let mut stack = Stack::new(bins.clone())?;
    let sandbox = stack.sandbox(&SandboxSetup::default())?;
    let database_url = db::fresh(backend, stack.dir.path(), "load").await?;
    let merchant = stack.merchant(
        &sandbox,
        &MerchantSetup {
            database_url: database_url.clone(),
            reconcile: String::new(),
        },
        None,
    )?;
    let db = Db::open(&database_url).await?;
    let http = stack.http.clone();
    let threads = std::thread::available_parallelism().map_or(2, |n| n.get());
    println!(
        "== {} — merchant (pid {}) and sandbox (pid {}) as processes, {threads} cores, load average {}",
        backend.name(),
        merchant.pid().unwrap_or_default(),
        sandbox.pid(),
        load_average()
    );

    // Orders to pay: created through the app API, then paid in the sandbox in an order unrelated
    // to their creation (`measure::payment_order`); the notifications the sandbox signed for
    // them, in the order of payment, are the load (it does not deliver them itself here).
    let total = o.callbacks * o.concurrencies.len();
    let prep = std::time::Instant::now();
    let murl = merchant.url.clone();
    let numbers = Arc::new(std::sync::Mutex::new(Vec::with_capacity(total)));
    let made = closed_loop((0..total).collect(), 8, {
        let (http, numbers) = (http.clone(), Arc::clone(&numbers));
        move |i: usize| {
            let (http, murl, numbers) = (http.clone(), murl.clone(), Arc::clone(&numbers));
            async move {
                let (no, _) = api::create_order(
                    &http,
                    &murl,
                    &format!("user-{}", i % 64),
                    &format!("load-{i}"),
                )
                .await?;
                numbers
                    .lock()
                    .unwrap_or_else(std::sync::PoisonError::into_inner)
                    .push(no);
                Ok(())
            }
        }
    })
    .await;
    let numbers = std::mem::take(
        &mut *numbers
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner),
    );
    let surl = sandbox.url.clone();
    let paid = closed_loop(measure::payment_order(numbers), 8, {
        let http = http.clone();
        move |no: String| {
            let (http, surl) = (http.clone(), surl.clone());
            async move { api::pay(&http, &surl, &no).await }
        }
    })
    .await;
    check(made.errors == 0 && paid.errors == 0, || {
        format!(
            "preparing {total} paid orders: {} + {} errors, e.g. {:?} {:?}",
            made.errors, paid.errors, made.error_samples, paid.error_samples
        )
    })?;
    let bodies = api::paid_notifications(&http, &sandbox.url).await?;
    check(bodies.len() == total, || {
        format!("{} notifications for {total} paid orders", bodies.len())
    })?;
    println!(
        "prepared {total} paid orders and their signed notifications in {:.1} s",
        prep.elapsed().as_secs_f64()
    );

    // The measured requests go through the lean keep-alive client (one connection per request
    // in flight); the rest of the run uses reqwest.
    let callbacks = Arc::new(Client::new(&merchant.url)?);
    let path = Uri::from_static("/paysign/callbacks/payment");
    // Each body is made once; a request shares it by reference count.
    let payloads: Vec<Bytes> = bodies.iter().map(|b| Bytes::from(b.clone())).collect();
    let mut levels = Vec::new();
    let mut stored_so_far = 0;
    for (chunk, &concurrency) in payloads.chunks(o.callbacks).zip(&o.concurrencies) {
        // The machine is shared: verify-only and endpoint rounds alternate, and each side's best
        // round is compared (as close to the same conditions as one can get).
        let mut bounds = Vec::new();
        let mut rounds = Vec::new();
        for part in chunk.chunks(chunk.len().div_ceil(o.rounds.max(1)).max(1)) {
            let sample = bodies.clone();
            let key = sandbox.key.clone();
            bounds.push(
                tokio::task::spawn_blocking(move || {
                    measure::verify_bound(&sample, &key, threads, Duration::from_millis(500))
                })
                .await
                .ctx("the verify bound")?,
            );
            // During a round this process does nothing but drive it (the verify threads have
            // ended, the database pool is idle): its CPU time is the driver's.
            let cpu = measure::process_cpu();
            let mut round = closed_loop(part.to_vec(), concurrency, {
                let (callbacks, path) = (Arc::clone(&callbacks), path.clone());
                move |body: Bytes| {
                    let (callbacks, path) = (Arc::clone(&callbacks), path.clone());
                    async move { callbacks.deliver(&path, body).await }
                }
            })
            .await;
            round.driver_cpu = Some(measure::process_cpu().saturating_sub(cpu));
            stored_so_far += part.len() as i64;
            let stored = db.callbacks().await?;
            check(round.errors == 0, || {
                format!(
                    "{} callbacks not answered success at concurrency {concurrency}, e.g. {:?}",
                    round.errors, round.error_samples
                )
            })?;
            check(stored == stored_so_far, || {
                format!("{stored} callbacks stored after {stored_so_far} were answered success")
            })?;
            rounds.push(round);
        }
        levels.push(CallbackLevel {
            concurrency,
            bounds,
            rounds,
        });
    }
    let paid = db.paid_orders().await?;
    check(paid as usize == total, || {
        format!("{paid} orders PAID of {total} notified")
    })?;
    print_callbacks(backend, threads, &levels, total, paid);

    orders(&stack, &sandbox.url, &sandbox.key, &merchant.url, o).await?;
    db.close().await;
    Ok(())
}

/// The 1-minute load average, so the figures can be read against what else ran.
pub fn load_average() -> String {
    std::fs::read_to_string("/proc/loadavg")
        .ok()
        .and_then(|s| s.split_whitespace().next().map(str::to_owned))
        .unwrap_or_else(|| "unknown".to_owned())
}

fn print_callbacks(
    backend: Backend,
    threads: usize,
    levels: &[CallbackLevel],
    total: usize,
    paid: i64,
) {
    let list = |v: &mut dyn Iterator<Item = f64>| {
        v.map(|x| format!("{x:.0}")).collect::<Vec<_>>().join(" ")
    };
    println!(
        "callback endpoint (SM2 verify + checks + one transaction), {}, the merchant as its own process over loopback; \
         bound = SM2 verifications/s on {threads} threads in this process, measured before each round; \
         ratio = the level's best round / the run's best bound",
        backend.name()
    );
    println!("  concurrency  callbacks/s  bound/s  ratio   p50 ms   p99 ms   max ms  errors  driver us/req  (rounds: callbacks/s | bound/s)");
    // The bound is the machine's, not the round's: the best measurement of the whole run is the
    // one least disturbed by other work, so every level is compared with it.
    let bound = levels
        .iter()
        .map(CallbackLevel::best_bound)
        .fold(0.0, f64::max);
    for l in levels {
        let all = l.pooled();
        println!(
            "  {:>11}  {:>11.0}  {:>7.0}  {:>4.0} %  {:>7.2}  {:>7.2}  {:>7.2}  {:>6}  {:>13}  ({} | {})",
            l.concurrency,
            l.best_rate(),
            bound,
            100.0 * l.best_rate() / bound.max(1.0),
            ms(all.p50()),
            ms(all.p99()),
            ms(all.max()),
            all.errors,
            all.driver_us_per_request()
                .map_or_else(|| "-".to_owned(), |us| format!("{us:.1}")),
            list(&mut l.rounds.iter().map(|r| r.per_second)),
            list(&mut l.bounds.iter().copied()),
        );
    }
    println!(
        "  goals: ratio >= 70 %, p99 < 20 ms, 0 errors; stored once each: {total}, orders PAID: {paid}"
    );
    println!(
        "  driver us/req: this process's CPU time (user + system) per callback while a round ran, \
         taken from the same cores as the server's"
    );
}

fn prepay_request(no: &str, callback_base: &str) -> PrepayRequest {
    PrepayRequest {
        app_id: APP_ID.to_owned(),
        merc_no: MERC_NO.to_owned(),
        order: PrepayOrder {
            merc_order_no: no.to_owned(),
            trade_summary: "paysign load-VIP 月卡".to_owned(),
            total_amount: PRICE_FEN,
            currency: Some(paysign_pas::limits::CNY.to_owned()),
            goods_detail: None,
            allocation_type: None,
            callback_url: format!("{callback_base}/paysign/callbacks/payment"),
            payload: None,
            expire_time: None,
            contract_info: ContractInfo {
                plan_id: PLAN_ID.to_owned(),
                merc_contract_code: format!("C{no}"),
                callback_url: format!("{callback_base}/paysign/callbacks/contract"),
            },
            payer: None,
        },
    }
}

/// Order creation through the merchant against the bare pre-order, alternating rounds.
async fn orders(
    stack: &Stack,
    sandbox_url: &str,
    sandbox_key: &paysign_crypto::PublicKey,
    merchant_url: &str,
    o: &LoadOptions,
) -> Res<()> {
    let signer = MerchantSigner::new(
        MERC_NO.to_owned(),
        AUTH_ID.to_owned(),
        stack.merchant_key.clone(),
    );
    let client = Arc::new(
        PasClient::new(ClientConfig::new(
            sandbox_url.to_owned(),
            MerchantModel::Direct,
            signer,
            sandbox_key.clone(),
        ))
        .ctx("the Payment Kit client")?,
    );
    let http = stack.http.clone();
    let mut random = [0u8; 4];
    getrandom::fill(&mut random).map_err(|e| e.to_string())?;
    let run_id = hex::encode(random);
    println!(
        "order creation: app -> merchant (auth, idempotency row, pre-order, orderStr signed, order stored) \
         vs the bare pre-order to the sandbox (paysign-pas, PayMercAuth signed, answer verified); 2 rounds each, alternating"
    );
    println!("  concurrency  path       orders/s   p50 ms   p99 ms  errors");
    for &c in &o.order_concurrency {
        let mut bare = Vec::new();
        let mut full = Vec::new();
        for r in 0..2 {
            let keys: Vec<String> = (0..o.orders)
                .map(|i| format!("{run_id}c{c}r{r}n{i}"))
                .collect();
            let b = closed_loop(keys.clone(), c, {
                let client = Arc::clone(&client);
                let base = merchant_url.to_owned();
                move |k: String| {
                    let (client, base) = (Arc::clone(&client), base.clone());
                    async move {
                        let no = format!("BARE{k}");
                        client
                            .pas_prepay(&prepay_request(&no, &base), PrepayChannel::App)
                            .await
                            .map(drop)
                            .map_err(|e| e.to_string())
                    }
                }
            })
            .await;
            let f = closed_loop(keys, c, {
                let (http, base) = (http.clone(), merchant_url.to_owned());
                move |k: String| {
                    let (http, base) = (http.clone(), base.clone());
                    async move {
                        api::create_order(&http, &base, "order-user", &k)
                            .await
                            .map(drop)
                    }
                }
            })
            .await;
            bare.push(b);
            full.push(f);
        }
        let bare = merge(bare);
        let full = merge(full);
        for (name, r) in [("bare", &bare), ("merchant", &full)] {
            println!(
                "  {c:>11}  {name:<9} {:>8.0}  {:>7.2}  {:>7.2}  {:>6}",
                r.per_second,
                ms(r.p50()),
                ms(r.p99()),
                r.errors
            );
        }
        check(bare.errors == 0 && full.errors == 0, || {
            format!(
                "order creation errors: {:?} {:?}",
                bare.error_samples, full.error_samples
            )
        })?;
        println!(
            "  {c:>11}  overhead per order: p50 {:+.2} ms, p99 {:+.2} ms; 1/throughput {:.2} ms (merchant) vs {:.2} ms (bare)",
            ms(full.p50()) - ms(bare.p50()),
            ms(full.p99()) - ms(bare.p99()),
            1e3 / full.per_second.max(1e-9),
            1e3 / bare.per_second.max(1e-9),
        );
    }
    Ok(())
}

/// Two rounds as one: their latencies together, the better throughput.
fn merge(rounds: Vec<Round>) -> Round {
    let mut out = Round {
        // Known only if known for every round.
        driver_cpu: rounds.iter().map(|r| r.driver_cpu).sum(),
        ..Round::default()
    };
    for r in rounds {
        out.requests += r.requests;
        out.per_second = out.per_second.max(r.per_second);
        out.latencies.extend(r.latencies);
        out.errors += r.errors;
        out.error_samples.extend(r.error_samples);
    }
    out.latencies.sort();
    out
}
