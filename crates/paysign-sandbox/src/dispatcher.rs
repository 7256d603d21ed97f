//! The callback dispatcher: every event that has a notification (see `notifications`) is POSTed,
//! signed with the sandbox key, to its callbackUrl, as Payment Kit does (spec §5.1):
//! `application/json; charset=UTF-8`; acknowledged only by an `application/json` answer
//! `{"resultCode":"000000","resultDesc":"Success."}` within the timeout (3 s); otherwise sent
//! again, same callbackId and same body, on the retry schedule (`schedule`), and given up
//! after its last attempt. Every attempt is recorded (`delivery_store`), so with `--db`
//! undelivered callbacks resume after a restart.
//!
//! It reads the event log, not only the live bus: a cursor in the database says which events
//! already became deliveries, and the bus only wakes it. Only https URLs and http URLs of a
//! loopback host are contacted; redirects are not followed and no proxy is used.

use std::collections::HashMap;
use std::net::{Ipv4Addr, Ipv6Addr};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use tokio::sync::{broadcast, watch, Notify};
use tokio::task::{JoinHandle, JoinSet};

use crate::clock::system_ms;
use crate::delivery_faults::DeliveryFaults;
use crate::delivery_store::{self as ds, Attempt, Delivery, DeliveryStatus};
use crate::events::{EventKind, SandboxEvent};
use crate::notifications::{self, NotificationOptions};
use crate::schedule::RetrySchedule;
use crate::server::AppState;
use crate::store::{self, StoreError};

/// Payment Kit's answer deadline (spec §5.1).
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(3);
/// Longest answer body read and recorded.
const MAX_ANSWER_READ: usize = 64 * 1024;
const MAX_ANSWER_KEPT: usize = 512;
const CONTENT_TYPE: &str = "application/json; charset=UTF-8";

/// How callbacks are delivered.
#[derive(Debug, Clone)]
pub struct CallbackOptions {
    pub schedule: RetrySchedule,
    /// How long an answer may take (3 s at Payment Kit).
    pub timeout: Duration,
}

impl Default for CallbackOptions {
    fn default() -> Self {
        Self {
            schedule: RetrySchedule::borrowed_hms(),
            timeout: DEFAULT_TIMEOUT,
        }
    }
}

/// What the operator API shares with the running dispatcher.
#[derive(Debug, Default)]
pub struct Control {
    pub faults: DeliveryFaults,
    enabled: bool,
    remote: bool,
    wake: Notify,
    release_held: AtomicBool,
}

impl Control {
    /// `remote`: https URLs of other hosts are contacted too (else loopback URLs only).
    pub fn new(enabled: bool, remote: bool) -> Self {
        Self {
            enabled,
            remote,
            ..Self::default()
        }
    }

    /// Whether this sandbox delivers callbacks at all.
    pub fn enabled(&self) -> bool {
        self.enabled
    }

    /// Sends what is held for an out-of-order group now (the plan changed), in reverse order.
    pub fn release_held(&self) {
        self.release_held.store(true, Ordering::SeqCst);
        self.wake.notify_one();
    }
}

/// Why a URL is not contacted, or the URL to contact: https, or http to a loopback host; with
/// `remote` false (the library's default, so tests never leave the machine) loopback hosts only.
pub fn may_contact(url: &str, remote: bool) -> Result<reqwest::Url, &'static str> {
    let parsed = reqwest::Url::parse(url).map_err(|_| "the callbackUrl is not a URL")?;
    if !parsed.username().is_empty() || parsed.password().is_some() {
        return Err("the callbackUrl carries credentials");
    }
    let host = parsed.host_str().unwrap_or_default();
    let loopback = host == "localhost"
        || host.parse::<Ipv4Addr>().is_ok_and(|ip| ip.is_loopback())
        || host
            .strip_prefix('[')
            .and_then(|h| h.strip_suffix(']'))
            .and_then(|h| h.parse::<Ipv6Addr>().ok())
            .is_some_and(|ip| ip.is_loopback());
    match parsed.scheme() {
        "https" | "http" if loopback => Ok(parsed),
        "https" if host.is_empty() => Err("the callbackUrl has no host"),
        "https" if remote => Ok(parsed),
        "https" => Err("this sandbox sends callbacks to loopback hosts only"),
        "http" => Err("http callbackUrls are only sent to loopback; use https"),
        _ => Err("the callbackUrl is neither https nor http to loopback"),
    }
}

/// Whether an answer acknowledges the callback; the error says what was wrong with it.
pub fn acknowledged(status: u16, content_type: Option<&str>, body: &str) -> Result<(), String> {
    if status != 200 {
        return Err(format!("HTTP {status}, not 200"));
    }
    let essence = content_type
        .and_then(|t| t.split(';').next())
        .map(|t| t.trim().to_ascii_lowercase());
    if essence.as_deref() != Some("application/json") {
        return Err(format!(
            "Content-Type {}, not application/json",
            content_type.unwrap_or("missing")
        ));
    }
    let value: serde_json::Value =
        serde_json::from_str(body).map_err(|_| "the answer is not JSON".to_owned())?;
    if value.get("resultCode").and_then(|v| v.as_str()) != Some("000000")
        || value.get("resultDesc").and_then(|v| v.as_str()) != Some("Success.")
    {
        return Err(
            "the answer is not {\"resultCode\":\"000000\",\"resultDesc\":\"Success.\"}".to_owned(),
        );
    }
    Ok(())
}

/// What the delivering tasks share.
struct Ctx {
    state: Arc<AppState>,
    client: reqwest::Client,
    options: CallbackOptions,
}

/// The HTTP client callbacks go out with: no redirects, no proxy.
pub fn http_client() -> Result<reqwest::Client, reqwest::Error> {
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .no_proxy()
        .user_agent(concat!("paysign-sandbox/", env!("CARGO_PKG_VERSION")))
        .build()
}

/// Starts delivering; the task ends when `stop` turns true (in-flight attempts are abandoned
/// and, with `--db`, made again after the next start).
pub fn spawn(
    state: Arc<AppState>,
    client: reqwest::Client,
    options: CallbackOptions,
    stop: watch::Receiver<bool>,
) -> JoinHandle<()> {
    let ctx = Arc::new(Ctx {
        state,
        client,
        options,
    });
    tokio::spawn(run(ctx, stop))
}

async fn run(ctx: Arc<Ctx>, mut stop: watch::Receiver<bool>) {
    let mut bus = ctx.state.bus.subscribe();
    let mut tasks: JoinSet<()> = JoinSet::new();
    // Task id -> the deliveries it is sending, so none is sent twice at once.
    let mut in_flight: HashMap<tokio::task::Id, Vec<i64>> = HashMap::new();
    // Held before a restart: their group will not complete now; send them.
    let mut release = true;
    loop {
        match schedule_new(&ctx) {
            Ok(complete) => release |= complete,
            Err(e) => log(
                &ctx,
                format_args!("callbacks: cannot read the event log: {e}"),
            ),
        }
        release |= ctx
            .state
            .callbacks
            .release_held
            .swap(false, Ordering::SeqCst);
        if release {
            release = false;
            let held = ctx.state.store.run(ds::held).map(|held| {
                held.into_iter()
                    .filter(|d| !in_flight.values().any(|seqs| seqs.contains(&d.seq)))
                    .collect::<Vec<_>>()
            });
            match held {
                Ok(held) if !held.is_empty() => {
                    let seqs = held.iter().map(|d| d.seq).collect();
                    let ctx2 = Arc::clone(&ctx);
                    let handle = tasks.spawn(async move {
                        for d in held.into_iter().rev() {
                            attempt_round(&ctx2, d).await;
                        }
                    });
                    in_flight.insert(handle.id(), seqs);
                }
                Ok(_) => {}
                Err(e) => log(&ctx, format_args!("callbacks: {e}")),
            }
        }
        let now = system_ms();
        let mut next_due: Option<i64> = None;
        match ctx.state.store.run(ds::pending) {
            Ok(pending) => {
                for d in pending {
                    if in_flight.values().any(|seqs| seqs.contains(&d.seq)) {
                        continue;
                    }
                    let due = d.next_attempt_ms.unwrap_or(now);
                    if due <= now {
                        let seq = d.seq;
                        let ctx2 = Arc::clone(&ctx);
                        let handle = tasks.spawn(async move { attempt_round(&ctx2, d).await });
                        in_flight.insert(handle.id(), vec![seq]);
                    } else {
                        next_due = Some(next_due.map_or(due, |n: i64| n.min(due)));
                    }
                }
            }
            Err(e) => log(&ctx, format_args!("callbacks: {e}")),
        }
        // Without anything due, wake at least every few seconds (a clock change, a store error).
        let wait = next_due
            .map(|due| Duration::from_millis(u64::try_from(due - now).unwrap_or(0)))
            .unwrap_or(Duration::from_secs(5))
            .min(Duration::from_secs(5));
        tokio::select! {
            _ = stop.changed() => break,
            received = bus.recv() => {
                if let Err(broadcast::error::RecvError::Closed) = received {
                    break;
                }
            }
            () = ctx.state.callbacks.wake.notified() => {}
            Some(done) = tasks.join_next_with_id() => {
                let id = match done {
                    Ok((id, ())) => id,
                    Err(e) => e.id(),
                };
                in_flight.remove(&id);
            }
            () = tokio::time::sleep(wait) => {}
        }
    }
    tasks.abort_all();
    while tasks.join_next().await.is_some() {}
}

/// Turns the events after the cursor into deliveries, deciding each one's delivery faults.
/// Returns whether an out-of-order group became complete.
fn schedule_new(ctx: &Ctx) -> Result<bool, StoreError> {
    let state = &ctx.state;
    state.store.transaction(|c| {
        let mut complete = false;
        let events = store::events_after(c, ds::cursor(c)?)?;
        for record in events {
            let seq = record.seq;
            if let Some(kind) = EventKind::parse(&record.kind) {
                let event = SandboxEvent {
                    seq,
                    at_ms: record.at_ms,
                    kind,
                    merc_no: record.merc_no,
                    key: record.key,
                };
                let now = state.clock.now_ms();
                match notifications::build(
                    c,
                    &state.signer,
                    &event,
                    now,
                    NotificationOptions::default(),
                ) {
                    Ok(Some(n)) => {
                        let d = new_delivery(ctx, &event, n, &mut complete);
                        ds::insert(c, &d)?;
                    }
                    Ok(None) => {}
                    Err(e) => log(
                        ctx,
                        format_args!("callbacks: no notification for event {seq}: {e}"),
                    ),
                }
            }
            ds::set_cursor(c, seq)?;
        }
        Ok(complete)
    })
}

fn new_delivery(
    ctx: &Ctx,
    event: &SandboxEvent,
    n: notifications::OutgoingNotification,
    complete: &mut bool,
) -> Delivery {
    let now = system_ms();
    let url = n.callback_url.unwrap_or_default();
    let mut d = Delivery {
        seq: event.seq,
        callback_id: n.callback_id,
        kind: n.kind.to_owned(),
        merc_no: event.merc_no.clone(),
        url,
        body: n.body,
        status: DeliveryStatus::Pending,
        rounds: 0,
        next_attempt_ms: Some(now),
        copies: 1,
        concurrent_copies: 1,
        created_ms: now,
        finished_ms: None,
        note: None,
    };
    if let Err(why) = may_contact(&d.url, ctx.state.callbacks.remote) {
        d.status = DeliveryStatus::Refused;
        d.next_attempt_ms = None;
        d.finished_ms = Some(now);
        d.note = Some(why.to_owned());
        return d;
    }
    let fate = ctx.state.callbacks.faults.next();
    if fate.drop {
        d.status = DeliveryStatus::Dropped;
        d.next_attempt_ms = None;
        d.finished_ms = Some(now);
        d.note = Some("dropped by the drop delivery fault".to_owned());
        return d;
    }
    (d.copies, d.concurrent_copies) = fate.copies;
    d.next_attempt_ms = Some(now.saturating_add(i64::try_from(fate.delay_ms).unwrap_or(0)));
    if fate.hold {
        d.status = DeliveryStatus::Held;
        d.note = Some("held by the outOfOrder delivery fault".to_owned());
    }
    *complete |= fate.release;
    d
}

/// One attempt of a delivery: its copies (a duplicated first attempt: the concurrent ones at
/// once, then the rest one by one), recorded, then the delivery marked delivered, due again,
/// or given up.
async fn attempt_round(ctx: &Ctx, mut d: Delivery) {
    let attempt = d.rounds.saturating_add(1);
    let (copies, concurrent) = if d.rounds == 0 {
        let copies = d.copies.max(1);
        (copies, d.concurrent_copies.clamp(1, copies))
    } else {
        (1, 1)
    };
    let mut results = Vec::with_capacity(usize::try_from(copies).unwrap_or(1));
    let mut together = JoinSet::new();
    for copy in 1..=concurrent {
        let (client, url, body, id) = (
            ctx.client.clone(),
            d.url.clone(),
            d.body.clone(),
            d.callback_id.clone(),
        );
        let (timeout, remote) = (ctx.options.timeout, ctx.state.callbacks.remote);
        together.spawn(
            async move { post(client, url, body, id, attempt, copy, timeout, remote).await },
        );
    }
    while let Some(r) = together.join_next().await {
        if let Ok(a) = r {
            results.push(a);
        }
    }
    for copy in concurrent + 1..=copies {
        results.push(
            post(
                ctx.client.clone(),
                d.url.clone(),
                d.body.clone(),
                d.callback_id.clone(),
                attempt,
                copy,
                ctx.options.timeout,
                ctx.state.callbacks.remote,
            )
            .await,
        );
    }
    results.sort_by_key(|a| a.copy);
    let now = system_ms();
    d.rounds = attempt;
    let outcome = if results.iter().any(|a| a.delivered) {
        d.status = DeliveryStatus::Delivered;
        d.next_attempt_ms = None;
        d.finished_ms = Some(now);
        "delivered".to_owned()
    } else {
        match ctx.options.schedule.delay_after(attempt) {
            Some(wait) => {
                let wait_ms = i64::try_from(wait.as_millis()).unwrap_or(i64::MAX);
                d.status = DeliveryStatus::Pending;
                d.next_attempt_ms = Some(now.saturating_add(wait_ms));
                format!("next attempt in {wait_ms} ms")
            }
            None => {
                d.status = DeliveryStatus::GaveUp;
                d.next_attempt_ms = None;
                d.finished_ms = Some(now);
                d.note = Some(format!("not acknowledged after {attempt} attempts"));
                "given up".to_owned()
            }
        }
    };
    let recorded = ctx.state.store.transaction(|c| -> Result<(), StoreError> {
        for a in &results {
            ds::insert_attempt(c, d.seq, a)?;
        }
        ds::update(c, &d)
    });
    if let Err(e) = recorded {
        log(
            ctx,
            format_args!("callbacks: cannot record {}: {e}", d.callback_id),
        );
    }
    if ctx.state.log_requests {
        let target = may_contact(&d.url, true).map_or_else(
            |_| "?".to_owned(),
            |u| format!("{}://{}{}", u.scheme(), u.authority(), u.path()),
        );
        for a in &results {
            let answer = match (a.status, &a.error) {
                (_, None) => "acknowledged".to_owned(),
                (Some(s), Some(e)) => format!("HTTP {s}: {e}"),
                (None, Some(e)) => e.clone(),
            };
            eprintln!(
                "paysign-sandbox: callback {} {} attempt {attempt} copy {} -> {target}: {answer}",
                d.callback_id, d.kind, a.copy
            );
        }
        eprintln!(
            "paysign-sandbox: callback {} {}: {outcome}",
            d.callback_id, d.kind
        );
    }
}

/// One POST of the signed body; never fails, the result is in the attempt.
#[allow(clippy::too_many_arguments)]
async fn post(
    client: reqwest::Client,
    url: String,
    body: String,
    callback_id: String,
    attempt: u32,
    copy: u32,
    timeout: Duration,
    remote: bool,
) -> Attempt {
    let at_ms = system_ms();
    let started = Instant::now();
    let mut a = Attempt {
        callback_id,
        attempt,
        copy,
        url: url.clone(),
        at_ms,
        duration_ms: 0,
        status: None,
        answer: None,
        error: None,
        delivered: false,
    };
    // Checked again: a URL changed in the database is still never contacted.
    let target = match may_contact(&url, remote) {
        Ok(u) => u,
        Err(why) => {
            a.error = Some(why.to_owned());
            return a;
        }
    };
    let sent = tokio::time::timeout(timeout, async {
        let mut response = client
            .post(target)
            .header(reqwest::header::CONTENT_TYPE, CONTENT_TYPE)
            .body(body)
            .send()
            .await?;
        let status = response.status().as_u16();
        let content_type = response
            .headers()
            .get(reqwest::header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned);
        let mut bytes = Vec::new();
        while let Some(chunk) = response.chunk().await? {
            bytes.extend_from_slice(&chunk);
            if bytes.len() > MAX_ANSWER_READ {
                break;
            }
        }
        Ok::<_, reqwest::Error>((status, content_type, bytes))
    })
    .await;
    a.duration_ms = i64::try_from(started.elapsed().as_millis()).unwrap_or(i64::MAX);
    match sent {
        Err(_) => {
            a.error = Some(format!("no answer within {} ms", timeout.as_millis()));
        }
        Ok(Err(e)) => {
            a.error = Some(if e.is_connect() {
                "cannot connect".to_owned()
            } else {
                format!("transport error: {e}")
            });
        }
        Ok(Ok((status, content_type, bytes))) => {
            let text = String::from_utf8_lossy(&bytes);
            a.status = Some(status);
            a.answer = Some(text.chars().take(MAX_ANSWER_KEPT).collect());
            match acknowledged(status, content_type.as_deref(), &text) {
                Ok(()) => a.delivered = true,
                Err(why) => a.error = Some(why),
            }
        }
    }
    a
}

fn log(ctx: &Ctx, message: std::fmt::Arguments<'_>) {
    if ctx.state.log_requests {
        eprintln!("paysign-sandbox: {message}");
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_https_and_loopback_http_are_contacted() {
        for ok in [
            "http://127.0.0.1:8080/cb",
            "http://127.1.2.3/cb",
            "http://localhost:9/cb?x=1",
            "http://[::1]:8080/cb",
            "https://127.0.0.1:8443/cb",
        ] {
            assert!(may_contact(ok, false).is_ok(), "{ok}");
            assert!(may_contact(ok, true).is_ok(), "{ok}");
        }
        for remote in [
            "https://merchant.example/hw/pay",
            "https://10.0.0.1:8443/cb",
        ] {
            assert!(may_contact(remote, true).is_ok(), "{remote}");
            assert!(may_contact(remote, false).is_err(), "{remote}");
        }
        for bad in [
            "http://merchant.example/cb",
            "http://10.0.0.1/cb",
            "http://127.0.0.1:80@merchant.example/cb",
            "https://user:pw@merchant.example/cb",
            "http://localhost.merchant.example/cb",
            "ftp://127.0.0.1/cb",
            "file:///etc/passwd",
            "/hw/pay",
            "",
        ] {
            assert!(may_contact(bad, true).is_err(), "{bad}");
        }
    }

    #[test]
    fn only_the_documented_answer_acknowledges() {
        let ok = r#"{"resultCode":"000000","resultDesc":"Success."}"#;
        assert!(acknowledged(200, Some("application/json"), ok).is_ok());
        assert!(acknowledged(200, Some("Application/JSON; charset=utf-8"), ok).is_ok());
        let spaced = "{ \"resultDesc\": \"Success.\", \"resultCode\": \"000000\" }";
        assert!(acknowledged(200, Some("application/json"), spaced).is_ok());
        for (status, content_type, body) in [
            (500, Some("application/json"), ok),
            (204, Some("application/json"), ok),
            (200, Some("text/plain"), ok),
            (200, None, ok),
            (200, Some("application/json"), "success"),
            (200, Some("application/json"), r#"{"resultCode":"000000"}"#),
            (
                200,
                Some("application/json"),
                r#"{"resultCode":"000001","resultDesc":"Success."}"#,
            ),
            (
                200,
                Some("application/json"),
                r#"{"resultCode":0,"resultDesc":"Success."}"#,
            ),
        ] {
            assert!(
                acknowledged(status, content_type, body).is_err(),
                "{status} {content_type:?} {body}"
            );
        }
    }
}
