//! Callback delivery over real loopback HTTP to a real receiving server: every kind posted,
//! signed and acknowledged; retries keep the callbackId and body and stop on success; slow
//! answers fail; the schedule ends; a restart with `--db` resumes; the delivery faults do what
//! they say.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

mod common;

use std::time::{Duration, Instant};

use common::receiver::{Answer, Receiver};
use common::*;
use paysign_pas::callback;
use paysign_pas::endpoints::{MerchantModel as PasModel, PrepayChannel};
use paysign_pas::model::{Notification, UnsignRequest};
use paysign_pas::OrderStrBuilder;
use paysign_sandbox::{CallbackOptions, RetrySchedule};
use serde_json::{json, Value};

const WAIT: Duration = Duration::from_secs(10);

fn quick(delays_ms: &[u64]) -> CallbackOptions {
    CallbackOptions {
        schedule: RetrySchedule::from_delays(
            delays_ms
                .iter()
                .map(|&ms| Duration::from_millis(ms))
                .collect(),
        ),
        timeout: Duration::from_secs(3),
    }
}

async fn fixture(options: CallbackOptions) -> Fixture {
    Fixture::start_with(|o| o.callbacks = Some(options)).await
}

/// A direct order whose callbacks go to the receiver (`/pay`, `/sign`); its orderStr.
async fn order_to(fx: &Fixture, rx: &Receiver, no: &str) -> String {
    let mut req = direct_prepay(no, 1200);
    req.order.callback_url = rx.url("/pay");
    req.order.contract_info.callback_url = rx.url("/sign");
    let prepay = fx
        .client(DIRECT)
        .pas_prepay(&req, PrepayChannel::App)
        .await
        .unwrap();
    OrderStrBuilder::new(fx.signer(DIRECT), PasModel::Direct)
        .build(Some(DIRECT_APP), &prepay.prepay_id, now_ms())
        .unwrap()
}

async fn pay(fx: &Fixture, order_str: &str, decision: &str) {
    let (status, answer) = fx
        .op_post(
            "/sandbox/cashier",
            json!({ "orderStr": order_str, "decision": decision }),
        )
        .await;
    assert_eq!(status, 200, "{answer}");
}

async fn callbacks(fx: &Fixture) -> Vec<Value> {
    let (status, list) = fx.op_get("/sandbox/callbacks").await;
    assert_eq!(status, 200, "{list}");
    list.as_array().unwrap().clone()
}

/// Waits until every callback has left PENDING/HELD and `n` exist; returns them.
async fn settled(fx: &Fixture, n: usize) -> Vec<Value> {
    let deadline = Instant::now() + WAIT;
    loop {
        let list = callbacks(fx).await;
        if list.len() >= n
            && list
                .iter()
                .all(|c| c["status"] != "PENDING" && c["status"] != "HELD")
        {
            return list;
        }
        assert!(Instant::now() < deadline, "not settled: {list:#?}");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

fn by_kind<'a>(list: &'a [Value], kind: &str) -> &'a Value {
    list.iter().find(|c| c["kind"] == kind).unwrap()
}

#[tokio::test]
async fn every_kind_is_posted_signed_to_its_url_and_acknowledged() {
    let fx = fixture(quick(&[50, 50])).await;
    let rx = Receiver::start().await;
    let key = fx.sandbox_key();
    let client = fx.client(DIRECT);

    let s = order_to(&fx, &rx, "K-1").await;
    pay(&fx, &s, "PAY_AND_SIGN").await;
    let mut refund = refund_request("K-1", "RF-1", Some(200));
    refund.callback_url = rx.url("/refund");
    client.refund(&refund).await.unwrap();
    fx.act(&format!("/sandbox/refunds/{DIRECT}/RF-1/complete"))
        .await;
    let contract_id = client
        .query_contract("C-K-1")
        .await
        .unwrap()
        .contract_id
        .unwrap();
    client
        .unsign(&UnsignRequest {
            contract_id: Some(contract_id.clone()),
            merc_contract_code: None,
            merc_no: DIRECT.to_owned(),
            callback_url: Some(rx.url("/unsign")),
        })
        .await
        .unwrap();
    // A failed payment sends nothing (spec §0 step 9).
    let failed = order_to(&fx, &rx, "K-2").await;
    pay(&fx, &failed, "FAIL").await;

    let list = settled(&fx, 4).await;
    assert_eq!(list.len(), 4, "{list:#?}");
    let got = rx.wait_for(4, WAIT).await;
    assert_eq!(got.len(), 4);
    let mut paths: Vec<&str> = got.iter().map(|r| r.path.as_str()).collect();
    paths.sort_unstable();
    assert_eq!(paths, ["/pay", "/refund", "/sign", "/unsign"]);
    for r in &got {
        assert_eq!(
            r.content_type.as_deref(),
            Some("application/json; charset=UTF-8")
        );
        let n = callback::parse_notification(r.body.as_bytes(), &key).unwrap();
        match (r.path.as_str(), &n) {
            ("/pay", Notification::Payment(p)) => {
                assert_eq!((p.merc_order_no.as_str(), p.total_amount), ("K-1", 1200));
            }
            ("/sign", Notification::ContractSigned(c)) => assert_eq!(c.contract_id, contract_id),
            ("/refund", Notification::Refund(f)) => {
                assert_eq!((f.merc_refund_no.as_str(), f.refund_amount), ("RF-1", 200));
            }
            ("/unsign", Notification::Unsign(u)) => assert_eq!(u.contract_id, contract_id),
            other => panic!("{other:?}"),
        }
        // What arrived is what the sandbox lists, delivered at the first attempt.
        let c = list
            .iter()
            .find(|c| c["callbackId"] == r.callback_id().as_str())
            .unwrap();
        assert_eq!(c["status"], "DELIVERED", "{c}");
        assert_eq!(c["body"], r.body.as_str());
        assert_eq!(c["url"], rx.url(&r.path).as_str());
        let attempts = c["attempts"].as_array().unwrap();
        assert_eq!(attempts.len(), 1, "{c}");
        assert_eq!(
            (
                &attempts[0]["attempt"],
                &attempts[0]["status"],
                &attempts[0]["delivered"]
            ),
            (&json!(1), &json!(200), &json!(true))
        );
        assert_eq!(attempts[0]["answer"], common::receiver::ACK);
        assert_eq!(attempts[0]["callbackId"], c["callbackId"]);
    }
    // Each kind's callbackId is the one the event's notification has.
    let (_, events) = fx.op_get("/sandbox/events").await;
    for e in events.as_array().unwrap() {
        let (status, n) = fx
            .op_get(&format!("/sandbox/events/{}/notification", e["seq"]))
            .await;
        if status == 200 {
            assert_eq!(
                by_kind(&list, n["kind"].as_str().unwrap())["callbackId"],
                n["callbackId"]
            );
        }
    }
}

#[tokio::test]
async fn retries_keep_the_callback_id_and_body_and_stop_at_the_acknowledgement() {
    let fx = fixture(quick(&[30, 30, 30, 30, 30, 30, 30, 30])).await;
    let rx = Receiver::start().await;
    rx.script(
        vec![Answer::Status(500), Answer::PlainText, Answer::WrongJson],
        Answer::Ack,
    );
    let s = order_to(&fx, &rx, "T-1").await;
    pay(&fx, &s, "PAY_ONLY").await;
    let list = settled(&fx, 1).await;
    let c = &list[0];
    assert_eq!(c["status"], "DELIVERED", "{c:#}");
    let attempts = c["attempts"].as_array().unwrap();
    let numbers: Vec<i64> = attempts
        .iter()
        .map(|a| a["attempt"].as_i64().unwrap())
        .collect();
    assert_eq!(numbers, [1, 2, 3, 4]);
    assert_eq!(attempts[0]["status"], 500);
    assert!(attempts[0]["error"].as_str().unwrap().contains("500"));
    assert!(attempts[1]["error"]
        .as_str()
        .unwrap()
        .contains("Content-Type"));
    assert!(attempts[2]["error"]
        .as_str()
        .unwrap()
        .contains("resultCode"));
    assert_eq!(
        attempts[2]["answer"],
        r#"{"resultCode":"100001","resultDesc":"Busy."}"#
    );
    assert_eq!(attempts[3]["delivered"], true);
    // Several schedule periods later: nothing more was sent.
    tokio::time::sleep(Duration::from_millis(200)).await;
    let got = rx.received();
    assert_eq!(got.len(), 4);
    let first = &got[0];
    for r in &got {
        assert_eq!(r.callback_id(), c["callbackId"].as_str().unwrap());
        assert_eq!(r.body, first.body);
    }
    // Attempts are spaced by the schedule.
    for pair in got.windows(2) {
        assert!(pair[1].at - pair[0].at >= Duration::from_millis(25));
    }
}

#[tokio::test]
async fn an_answer_slower_than_the_timeout_is_a_failure() {
    let mut options = quick(&[20, 20]);
    options.timeout = Duration::from_millis(200);
    let fx = fixture(options).await;
    let rx = Receiver::start().await;
    rx.script(
        vec![Answer::SlowAck(Duration::from_millis(600))],
        Answer::Ack,
    );
    let s = order_to(&fx, &rx, "SL-1").await;
    pay(&fx, &s, "PAY_ONLY").await;
    let list = settled(&fx, 1).await;
    let attempts = list[0]["attempts"].as_array().unwrap();
    assert_eq!(attempts.len(), 2, "{:#}", list[0]);
    assert_eq!(attempts[0]["error"], "no answer within 200 ms");
    assert_eq!(attempts[0]["delivered"], false);
    assert_eq!(attempts[1]["delivered"], true);
    assert_eq!(list[0]["status"], "DELIVERED");
}

#[tokio::test]
async fn the_borrowed_schedule_scaled_down_ends_after_its_last_attempt() {
    // 20 s -> 0.2 ms, 200 s -> 2 ms, 3 h -> 108 ms: 36 attempts over 1.65 s.
    let schedule = RetrySchedule::borrowed_hms().scaled(0.000_01).unwrap();
    assert_eq!(schedule.attempts(), 36);
    let fx = fixture(CallbackOptions {
        schedule,
        timeout: Duration::from_secs(3),
    })
    .await;
    let rx = Receiver::start().await;
    rx.script(vec![], Answer::Status(503));
    let s = order_to(&fx, &rx, "G-1").await;
    pay(&fx, &s, "PAY_ONLY").await;
    let list = settled(&fx, 1).await;
    let c = &list[0];
    assert_eq!(c["status"], "GAVE_UP", "{c:#}");
    assert_eq!(c["rounds"], 36);
    assert_eq!(c["attempts"].as_array().unwrap().len(), 36);
    assert!(c["note"].as_str().unwrap().contains("36 attempts"));
    let got = rx.received();
    assert_eq!(got.len(), 36);
    // The shape: the last 15 waits are the long (3 h) ones, the first 20 the short ones.
    let gaps: Vec<Duration> = got.windows(2).map(|p| p[1].at - p[0].at).collect();
    assert!(
        gaps[20..].iter().all(|g| *g >= Duration::from_millis(100)),
        "{gaps:?}"
    );
    let short: Duration = gaps[..20].iter().sum();
    let long: Duration = gaps[20..].iter().sum();
    assert!(short < long / 3, "{gaps:?}");
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(rx.received().len(), 36);
}

#[tokio::test]
async fn a_restart_with_a_database_resumes_delivery() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("sandbox.sqlite");
    let key_file = dir.path().join("sandbox.pem");
    std::fs::write(
        &key_file,
        paysign_crypto::PrivateKey::generate_sm2()
            .unwrap()
            .to_pkcs8_pem()
            .as_str(),
    )
    .unwrap();
    let options = |o: &mut paysign_sandbox::SandboxOptions| {
        o.db = Some(db.clone());
        o.key = Some(key_file.clone());
        o.callbacks = Some(quick(&[400, 400, 400]));
    };
    let rx = Receiver::start().await;
    rx.script(vec![], Answer::Status(500));
    let fx = Fixture::start_with(options).await;
    let s = order_to(&fx, &rx, "DB-1").await;
    pay(&fx, &s, "PAY_ONLY").await;
    rx.wait_for(1, WAIT).await;
    // Recorded, and due again in 400 ms; the sandbox stops first.
    tokio::time::sleep(Duration::from_millis(100)).await;
    let before = callbacks(&fx).await;
    assert_eq!(before[0]["status"], "PENDING");
    assert_eq!(before[0]["rounds"], 1);
    let Fixture { sandbox, keys, .. } = fx;
    sandbox.shutdown().await.unwrap();

    rx.script(vec![], Answer::Ack);
    let sandbox = paysign_sandbox::start({
        let mut o = paysign_sandbox::SandboxOptions {
            config: config(&keys),
            ..Default::default()
        };
        options(&mut o);
        o
    })
    .await
    .unwrap();
    let fx = Fixture {
        sandbox,
        keys,
        http: reqwest::Client::new(),
    };
    let list = settled(&fx, 1).await;
    let c = &list[0];
    assert_eq!(c["status"], "DELIVERED", "{c:#}");
    assert_eq!(c["callbackId"], before[0]["callbackId"]);
    let numbers: Vec<i64> = c["attempts"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["attempt"].as_i64().unwrap())
        .collect();
    assert_eq!(numbers, [1, 2]);
    let got = rx.received();
    assert_eq!(got.len(), 2);
    assert_eq!(got[0].body, got[1].body);
    // The body stored before the restart still verifies with the (kept) key.
    callback::parse_notification(got[1].body.as_bytes(), &fx.sandbox_key()).unwrap();
    // No event was delivered twice: the cursor survived too.
    assert_eq!(callbacks(&fx).await.len(), 1);
}

async fn arm(fx: &Fixture, plan: Value) {
    let (status, body) = fx.op_post("/sandbox/callback-faults", plan).await;
    assert_eq!(status, 200, "{body}");
}

#[tokio::test]
async fn duplicate_sends_copies_with_one_callback_id_some_at_the_same_time() {
    let fx = fixture(quick(&[50])).await;
    let rx = Receiver::start().await;
    rx.hold(Duration::from_millis(150));
    arm(
        &fx,
        json!({ "duplicate": 1, "copies": 3, "concurrentCopies": 2 }),
    )
    .await;
    let s = order_to(&fx, &rx, "DU-1").await;
    pay(&fx, &s, "PAY_ONLY").await;
    let list = settled(&fx, 1).await;
    let got = rx.wait_for(3, WAIT).await;
    assert_eq!(got.len(), 3);
    assert!(got.iter().all(|r| r.body == got[0].body));
    assert_eq!(rx.max_in_flight(), 2);
    let attempts = list[0]["attempts"].as_array().unwrap();
    let copies: Vec<(i64, i64)> = attempts
        .iter()
        .map(|a| (a["attempt"].as_i64().unwrap(), a["copy"].as_i64().unwrap()))
        .collect();
    assert_eq!(copies, [(1, 1), (1, 2), (1, 3)]);
    assert_eq!(list[0]["status"], "DELIVERED");
    // The third copy came after the two concurrent ones were answered.
    let mut times: Vec<Instant> = got.iter().map(|r| r.at).collect();
    times.sort();
    assert!(times[2] - times[1] >= Duration::from_millis(140));
    let (_, state) = fx.op_get("/sandbox/callback-faults").await;
    assert_eq!(state["counts"]["duplicated"], 1);
    assert_eq!(state["armed"]["duplicate"], 0);
}

#[tokio::test]
async fn delay_sends_late_and_drop_never_sends() {
    let fx = fixture(quick(&[50])).await;
    let rx = Receiver::start().await;
    // The payment notification is the first of PAY_AND_SIGN's two.
    arm(&fx, json!({ "drop": 1, "delay": 1, "delayMs": 400 })).await;
    let s = order_to(&fx, &rx, "DD-1").await;
    let started = Instant::now();
    pay(&fx, &s, "PAY_AND_SIGN").await;
    let list = settled(&fx, 2).await;
    let paid = by_kind(&list, "PAYMENT");
    assert_eq!(paid["status"], "DROPPED");
    assert!(paid["attempts"].as_array().unwrap().is_empty());
    let signed = by_kind(&list, "CONTRACT_SIGNED");
    assert_eq!(signed["status"], "DELIVERED");
    let first = &signed["attempts"][0];
    let late = first["atMs"].as_i64().unwrap() - signed["createdMs"].as_i64().unwrap();
    assert!(late >= 400, "sent {late} ms after it was created");
    let got = rx.received();
    assert_eq!(got.len(), 1);
    assert_eq!(got[0].path, "/sign");
    assert!(got[0].at - started >= Duration::from_millis(400));
}

#[tokio::test]
async fn out_of_order_delivers_the_group_in_reverse() {
    let fx = fixture(quick(&[50])).await;
    let rx = Receiver::start().await;
    arm(&fx, json!({ "outOfOrder": 2 })).await;
    let s = order_to(&fx, &rx, "OO-1").await;
    pay(&fx, &s, "PAY_AND_SIGN").await;
    settled(&fx, 2).await;
    let got = rx.wait_for(2, WAIT).await;
    let paths: Vec<&str> = got.iter().map(|r| r.path.as_str()).collect();
    assert_eq!(paths, ["/sign", "/pay"]);

    // An unfinished group is sent when the plan changes.
    arm(&fx, json!({ "outOfOrder": 3 })).await;
    let s = order_to(&fx, &rx, "OO-2").await;
    pay(&fx, &s, "PAY_AND_SIGN").await;
    tokio::time::sleep(Duration::from_millis(150)).await;
    let held: Vec<Value> = callbacks(&fx)
        .await
        .into_iter()
        .filter(|c| c["status"] == "HELD")
        .collect();
    assert_eq!(held.len(), 2);
    assert_eq!(rx.received().len(), 2);
    arm(&fx, json!({})).await;
    settled(&fx, 4).await;
    let got = rx.wait_for(4, WAIT).await;
    let paths: Vec<&str> = got[2..].iter().map(|r| r.path.as_str()).collect();
    assert_eq!(paths, ["/sign", "/pay"]);
}

#[tokio::test]
async fn impossible_fault_plans_are_refused_and_a_sandbox_without_delivery_says_so() {
    let fx = fixture(quick(&[50])).await;
    for plan in [
        json!({ "duplicate": 1, "copies": 1 }),
        json!({ "outOfOrder": 1 }),
        json!({ "dropEverything": true }),
    ] {
        let (status, body) = fx.op_post("/sandbox/callback-faults", plan).await;
        assert_eq!(status, 400, "{body}");
    }
    let quiet = Fixture::start().await;
    let (status, body) = quiet
        .op_post("/sandbox/callback-faults", json!({ "drop": 1 }))
        .await;
    assert_eq!(status, 409, "{body}");
    let (_, state) = quiet.op_get("/sandbox/callback-faults").await;
    assert_eq!(state["delivering"], false);
}

#[tokio::test]
async fn a_sandbox_started_as_a_library_contacts_loopback_urls_only() {
    // remote_callbacks is off by default: an https URL of another host is never contacted.
    let fx = fixture(quick(&[50])).await;
    let prepay = fx
        .client(DIRECT)
        .pas_prepay(&direct_prepay("LO-1", 100), PrepayChannel::App)
        .await
        .unwrap();
    let s = OrderStrBuilder::new(fx.signer(DIRECT), PasModel::Direct)
        .build(Some(DIRECT_APP), &prepay.prepay_id, now_ms())
        .unwrap();
    pay(&fx, &s, "PAY_ONLY").await;
    let list = settled(&fx, 1).await;
    let c = &list[0];
    assert_eq!(c["url"], "https://merchant.example/hw/pay/callback");
    assert_eq!(c["status"], "REFUSED", "{c:#}");
    assert!(c["note"].as_str().unwrap().contains("loopback"));
    assert!(c["attempts"].as_array().unwrap().is_empty());
}
