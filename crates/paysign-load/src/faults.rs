//! `make faults`: runs that print counts and fail on any violation.
//!
//! - [`kill9`]: the merchant server is SIGKILLed while the sandbox's dispatcher delivers payment
//!   and contract notifications, then started again on the same port and database. Every
//!   callback the sandbox saw answered success must already be in the database at the kill;
//!   the rest are redelivered and applied; in the end each is stored exactly once.
//! - [`two_instances`]: two merchant servers on one PostgreSQL database, orders split between
//!   them (each order's callbackUrl names the instance that created it); every notification
//!   is sent 3 times by the sandbox (2 copies at once) and POSTed once more to each instance
//!   by the run (as a load balancer could), and must be applied once. Then notifications are
//!   dropped and both reconcile workers find the payments by query: no order may be queried
//!   twice (the sandbox counts the queries, `GET /sandbox/api-calls`).

use std::collections::{HashMap, HashSet};
use std::time::{Duration, Instant};

use serde_json::json;

use crate::api::{self, SeenCallback};
use crate::db::{self, Backend, Db};
use crate::measure::closed_loop;
use crate::stack::{Binaries, Merchant, MerchantSetup, SandboxSetup, Stack};
use crate::{check, Ctx, Res};

fn now_ms() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_millis() as i64)
}

/// Creates `n` orders through the app API, the i-th on `merchants[i % len]`.
async fn create_orders(
    http: &reqwest::Client,
    merchants: &[String],
    n: usize,
    tag: &str,
) -> Res<Vec<(String, String)>> {
    let mut out = Vec::with_capacity(n);
    let mut tasks = tokio::task::JoinSet::new();
    let gate = std::sync::Arc::new(tokio::sync::Semaphore::new(4));
    for i in 0..n {
        let http = http.clone();
        let url = merchants
            .get(i % merchants.len())
            .ctx("a merchant")?
            .clone();
        let gate = std::sync::Arc::clone(&gate);
        let key = format!("{tag}-{i}");
        tasks.spawn(async move {
            let _permit = gate.acquire().await.map_err(|e| e.to_string())?;
            api::create_order(&http, &url, &format!("user-{}", i % 16), &key).await
        });
    }
    while let Some(r) = tasks.join_next().await {
        out.push(r.ctx("creating an order")??);
    }
    Ok(out)
}

/// Waits until the sandbox has `expected` callbacks, none still pending; they must all be
/// delivered.
async fn all_delivered(
    http: &reqwest::Client,
    sandbox: &str,
    expected: usize,
    timeout: Duration,
) -> Res<Vec<SeenCallback>> {
    let deadline = Instant::now() + timeout;
    loop {
        let seen = api::seen_callbacks(http, sandbox).await?;
        let settled = seen.len() == expected
            && seen
                .iter()
                .all(|c| c.status != "PENDING" && c.status != "HELD");
        if settled {
            let bad: Vec<_> = seen.iter().filter(|c| c.status != "DELIVERED").collect();
            check(bad.is_empty(), || {
                format!("callbacks not delivered: {bad:?}")
            })?;
            return Ok(seen);
        }
        if Instant::now() > deadline {
            let pending = seen.iter().filter(|c| c.status != "DELIVERED").count();
            return Err(format!(
                "after {timeout:?}: {} callbacks seen of {expected}, {pending} not delivered",
                seen.len()
            ));
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

#[derive(Debug, Clone, Copy)]
pub struct Kill9Options {
    pub orders: usize,
}

pub async fn kill9(bins: &Binaries, backend: Backend, o: Kill9Options) -> Res<()> {
    let mut stack = Stack::new(bins.clone())?;
    // A persistent sandbox, its retry schedule shrunk 1000-fold (20 ms, 200 ms, then 10.8 s).
    let sandbox = stack.sandbox(&SandboxSetup {
        db: true,
        callback_scale: Some(0.001),
    })?;
    let database_url = db::fresh(backend, stack.dir.path(), "kill9").await?;
    let mut merchant = stack.merchant(
        &sandbox,
        &MerchantSetup {
            database_url: database_url.clone(),
            reconcile: String::new(),
        },
        None,
    )?;
    let db = Db::open(&database_url).await?;
    let http = stack.http.clone();
    let orders = create_orders(
        &http,
        std::slice::from_ref(&merchant.url),
        o.orders,
        "kill9",
    )
    .await?;
    let total = 2 * o.orders;

    // The users pay and sign; each step makes the sandbox POST a notification to the merchant.
    let surl = sandbox.url.clone();
    let users = tokio::spawn(closed_loop(orders.clone(), 4, {
        let http = http.clone();
        move |(no, code): (String, String)| {
            let (http, surl) = (http.clone(), surl.clone());
            async move {
                api::pay(&http, &surl, &no).await?;
                api::sign(&http, &surl, &code).await
            }
        }
    }));

    // SIGKILL once a third is stored.
    let deadline = Instant::now() + Duration::from_secs(120);
    loop {
        let stored = db.callbacks().await?;
        if stored as usize >= total / 3 {
            break;
        }
        check(Instant::now() < deadline, || {
            format!("only {stored} of {total} callbacks stored after 120 s")
        })?;
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    merchant.kill9();
    let kill_ms = now_ms();
    // The merchant is gone: what its database holds now is what it committed. Let the sandbox
    // record the attempts the kill cut off, then read what it saw.
    let at_kill: HashSet<String> = db
        .callback_rows()
        .await?
        .into_iter()
        .map(|(id, _, _)| id)
        .collect();
    tokio::time::sleep(Duration::from_millis(300)).await;
    let seen_at_kill = api::seen_callbacks(&http, &sandbox.url).await?;
    let answered_before: Vec<&SeenCallback> = seen_at_kill
        .iter()
        .filter(|c| c.first_success_ms.is_some_and(|t| t <= kill_ms))
        .collect();
    let lost: Vec<&&SeenCallback> = answered_before
        .iter()
        .filter(|c| !at_kill.contains(&c.callback_id))
        .collect();
    check(lost.is_empty(), || {
        format!("{} callbacks were answered success but are not in the database after the kill: {lost:?}", lost.len())
    })?;
    let outage = Instant::now();
    merchant.restart()?;
    let restarted_ms = now_ms();
    let down_ms = outage.elapsed().as_millis() + 300;

    let paid = users.await.ctx("the users")?;
    check(paid.errors == 0, || {
        format!("pay/sign calls failed: {:?}", paid.error_samples)
    })?;
    let seen = all_delivered(&http, &sandbox.url, total, Duration::from_secs(120)).await?;
    let rows = db.callback_rows().await?;
    let stored: HashMap<&str, usize> = rows.iter().fold(HashMap::new(), |mut m, (id, _, _)| {
        *m.entry(id.as_str()).or_default() += 1;
        m
    });
    let seen_ids: HashSet<&str> = seen.iter().map(|c| c.callback_id.as_str()).collect();
    check(rows.len() == total && stored.len() == total, || {
        format!(
            "{} rows for {} distinct callbackIds, {total} callbacks sent",
            rows.len(),
            stored.len()
        )
    })?;
    check(stored.keys().all(|id| seen_ids.contains(id)), || {
        "a stored callbackId the sandbox never sent".to_owned()
    })?;
    let interrupted: Vec<&SeenCallback> = seen.iter().filter(|c| c.failed > 0).collect();
    check(!interrupted.is_empty(), || {
        "no delivery attempt failed: the kill did not land while callbacks flowed (use more orders)"
            .to_owned()
    })?;
    let committed_unanswered = interrupted
        .iter()
        .filter(|c| at_kill.contains(&c.callback_id))
        .count();
    let paid_orders = db.paid_orders().await?;
    let signed = db.signed_contracts().await?;
    check(
        paid_orders as usize == o.orders && signed as usize == o.orders,
        || {
            format!(
                "{paid_orders} orders PAID and {signed} contracts SIGNED of {}",
                o.orders
            )
        },
    )?;
    let applied_after = api::callback_results(&http, &merchant.admin_url, "applied").await?
        + api::callback_results(&http, &merchant.admin_url, "no_change").await?;
    let duplicates_after = api::callback_results(&http, &merchant.admin_url, "duplicate").await?;
    let failed_attempts: usize = seen.iter().map(|c| c.failed).sum();
    println!(
        "kill -9 of the merchant while callbacks flow, {}: {total} callbacks ({} payments, {} contracts)",
        backend.name(),
        o.orders,
        o.orders
    );
    println!(
        "  before the kill: {} answered success, all {} in the database at the kill ({} stored then)",
        answered_before.len(),
        answered_before.len(),
        at_kill.len()
    );
    println!(
        "  around the kill (down about {down_ms} ms): {failed_attempts} attempts refused or cut off, over {} callbacks; \
         {committed_unanswered} of them had been committed before their answer was cut off",
        interrupted.len()
    );
    let late_failures: Vec<&String> = seen
        .iter()
        .flat_map(|c| &c.failures)
        .filter(|(at, _)| *at >= restarted_ms)
        .map(|(_, why)| why)
        .collect();
    println!(
        "  after the restart: the sandbox redelivered those {}; the new process applied {applied_after:.0} and answered {duplicates_after:.0} as duplicates",
        interrupted.len()
    );
    if !late_failures.is_empty() {
        println!(
            "  attempts that failed after the restart (then redelivered; a stored one is answered as a duplicate): {}, e.g. {:?}",
            late_failures.len(),
            late_failures.first()
        );
    }
    println!(
        "  in the end: {total} delivered, {} stored exactly once, {paid_orders} orders PAID, {signed} contracts SIGNED; violations: 0",
        stored.len()
    );
    check(applied_after as usize + at_kill.len() == total, || {
        format!(
            "{} stored at the kill + {applied_after} applied after the restart != {total}",
            at_kill.len()
        )
    })?;
    db.close().await;
    Ok(())
}

#[derive(Debug, Clone, Copy)]
pub struct TwoInstancesOptions {
    /// Orders whose notifications are delivered (and duplicated).
    pub delivered: usize,
    /// Orders whose notifications are dropped (found by the reconcile workers).
    pub dropped: usize,
}

const PAYMENT_AFTER_MS: i64 = 4000;

pub async fn two_instances(bins: &Binaries, o: TwoInstancesOptions) -> Res<()> {
    let mut stack = Stack::new(bins.clone())?;
    let sandbox = stack.sandbox(&SandboxSetup {
        db: false,
        callback_scale: Some(0.001),
    })?;
    let database_url = db::fresh(Backend::Postgres, stack.dir.path(), "two").await?;
    let setup = MerchantSetup {
        database_url: database_url.clone(),
        reconcile: format!(
            "interval_ms = 200\npayment_after_ms = {PAYMENT_AFTER_MS}\ncontract_after_ms = 3600000\n\
             refund_after_ms = 3600000\ndebit_after_ms = 3600000\nstatus_query_after_ms = 3600000\nconcurrency = 4\n"
        ),
    };
    let a = stack.merchant(&sandbox, &setup, None)?;
    let b = stack.merchant(&sandbox, &setup, None)?;
    let both: [&Merchant; 2] = [&a, &b];
    let urls = [a.url.clone(), b.url.clone()];
    let db = Db::open(&database_url).await?;
    let http = stack.http.clone();

    // 1. Delivered, several times over, to both.
    let n = o.delivered;
    api::callback_faults(
        &http,
        &sandbox.url,
        json!({"duplicate": 2 * n, "copies": 3, "concurrentCopies": 2}),
    )
    .await?;
    let orders = create_orders(&http, &urls, n, "two").await?;
    let replays = closed_loop(orders.clone(), 4, {
        let (http, surl, urls) = (http.clone(), sandbox.url.clone(), urls.clone());
        move |(no, code): (String, String)| {
            let (http, surl, urls) = (http.clone(), surl.clone(), urls.clone());
            async move {
                api::pay(&http, &surl, &no).await?;
                let body = api::paid_notifications_of(&http, &surl, &no).await?;
                // The same notification to both instances at once, while the sandbox's own
                // copies reach the instance that created the order.
                let [ua, ub] = &urls;
                let (ua, ub) = (
                    format!("{ua}/paysign/callbacks/payment"),
                    format!("{ub}/paysign/callbacks/payment"),
                );
                let (ra, rb) = tokio::join!(
                    api::deliver(&http, &ua, body.clone()),
                    api::deliver(&http, &ub, body),
                );
                ra?;
                rb?;
                api::sign(&http, &surl, &code).await
            }
        }
    })
    .await;
    check(replays.errors == 0, || {
        format!(
            "{} replays or cashier calls failed: {:?}",
            replays.errors, replays.error_samples
        )
    })?;
    let seen = all_delivered(&http, &sandbox.url, 2 * n, Duration::from_secs(60)).await?;
    let (mut applied, mut duplicates, mut no_change) = ([0.0; 2], [0.0; 2], [0.0; 2]);
    for (((m, applied), duplicates), no_change) in both
        .iter()
        .zip(&mut applied)
        .zip(&mut duplicates)
        .zip(&mut no_change)
    {
        *applied = api::callback_results(&http, &m.admin_url, "applied").await?;
        *duplicates = api::callback_results(&http, &m.admin_url, "duplicate").await?;
        *no_change = api::callback_results(&http, &m.admin_url, "no_change").await?;
    }
    let rows = db.callbacks().await?;
    let paid = db.paid_orders().await?;
    let signed = db.signed_contracts().await?;
    let sandbox_answers: usize = seen.iter().map(|c| c.answered).sum();
    println!(
        "two merchant instances on one PostgreSQL: {n} orders split between them, {} callbacks",
        2 * n
    );
    println!(
        "  deliveries answered success: {sandbox_answers} by the sandbox (3 copies each, 2 at once) + {} replayed by the run to both instances at once",
        2 * n
    );
    println!(
        "  applied: {:.0} by instance A + {:.0} by instance B = {:.0}; answered as duplicates: {:.0} + {:.0}",
        applied[0],
        applied[1],
        applied[0] + applied[1],
        duplicates[0],
        duplicates[1]
    );
    println!("  stored: {rows} callbacks, {paid} orders PAID, {signed} contracts SIGNED");
    check((applied[0] + applied[1]) as usize == 2 * n, || {
        format!(
            "{} applications for {} callbacks",
            applied[0] + applied[1],
            2 * n
        )
    })?;
    check(
        rows as usize == 2 * n && paid as usize == n && signed as usize == n,
        || format!("{rows} callbacks stored, {paid} PAID, {signed} SIGNED for {n} orders"),
    )?;
    println!(
        "  every request answered success ({} in all) was applied, answered as a duplicate, or found nothing to change ({:.0})",
        sandbox_answers + 2 * n,
        no_change[0] + no_change[1]
    );

    // 2. Dropped: both workers look for the payments; each order must be queried once.
    let m = o.dropped;
    api::callback_faults(&http, &sandbox.url, json!({"drop": m})).await?;
    let started = Instant::now();
    let lost = create_orders(&http, &urls, m, "dropped").await?;
    let paying = closed_loop(lost.clone(), 4, {
        let (http, surl) = (http.clone(), sandbox.url.clone());
        move |(no, _): (String, String)| {
            let (http, surl) = (http.clone(), surl.clone());
            async move { api::pay(&http, &surl, &no).await }
        }
    })
    .await;
    let paid_within = started.elapsed();
    check(paying.errors == 0, || {
        format!("pay calls failed: {:?}", paying.error_samples)
    })?;
    check(
        paid_within < Duration::from_millis(PAYMENT_AFTER_MS as u64),
        || {
            format!(
            "creating and paying took {paid_within:?}, longer than payment_after_ms ({PAYMENT_AFTER_MS} ms): \
             a query before the payment would be a legitimate second one; use fewer orders"
        )
        },
    )?;
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        let paid = db.paid_orders().await?;
        if paid as usize == n + m {
            break;
        }
        check(Instant::now() < deadline, || {
            format!("{paid} of {} orders PAID after 60 s", n + m)
        })?;
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    // Let any second query the workers would make happen before counting.
    tokio::time::sleep(Duration::from_millis(1000)).await;
    let queries = api::api_calls(&http, &sandbox.url, "queryOrder").await?;
    let per_order: Vec<u64> = lost
        .iter()
        .map(|(no, _)| queries.get(no).copied().unwrap_or(0))
        .collect();
    let mut by_instance = [0.0; 2];
    for (mm, count) in both.iter().zip(&mut by_instance) {
        *count = api::metric(
            &http,
            &mm.admin_url,
            "paysign_merchant_payment_kit_calls_total",
            &["api=\"query_order\""],
        )
        .await?;
    }
    let twice = per_order.iter().filter(|&&c| c > 1).count();
    let never = per_order.iter().filter(|&&c| c == 0).count();
    println!(
        "  reconcile: {m} payments whose notifications were dropped, found by query: {} queries by instance A + {} by instance B; \
         queried once: {}, more than once: {twice}, never: {never}",
        by_instance[0],
        by_instance[1],
        per_order.iter().filter(|&&c| c == 1).count()
    );
    check(twice == 0 && never == 0, || {
        format!("the sandbox counted per-order queries {per_order:?} (each must be 1)")
    })?;
    let dropped_seen = api::seen_callbacks(&http, &sandbox.url)
        .await?
        .iter()
        .filter(|c| c.status == "DROPPED")
        .count();
    check(dropped_seen == m, || {
        format!("{dropped_seen} notifications dropped, {m} armed")
    })?;
    println!("  violations: 0");
    db.close().await;
    Ok(())
}
