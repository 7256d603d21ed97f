//! Withholding debits (免密代扣, spec §4.13) over loopback HTTP with paysign-pas's typed client,
//! for both merchant models: accepted then charged (automatically or by the operator), the signed
//! result notification delivered to a real receiving server and served by the event API, the
//! order query, idempotency by mercOrderNo, WITHHOLD_OVER_TIMES, and every refusal.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

mod common;

use std::time::{Duration, Instant};

use common::receiver::Receiver;
use common::*;
use paysign_pas::auth::HttpMethod;
use paysign_pas::callback;
use paysign_pas::client::PasClient;
use paysign_pas::codes::{Retry, SubCode};
use paysign_pas::endpoints::{self as ep, PrepayChannel};
use paysign_pas::model::{
    AllocationType, OrderStatus, PartnerWithholdRequest, UnsignRequest, WithholdOrder,
    WithholdRequest,
};
use paysign_sandbox::{AutoResult, CallbackOptions, RetrySchedule, WithholdSettings};
use serde_json::{json, Value};

const WAIT: Duration = Duration::from_secs(10);

fn settings(auto_result: AutoResult, auto_delay_ms: i64) -> WithholdSettings {
    WithholdSettings {
        auto_result,
        auto_delay_ms,
        ..WithholdSettings::default()
    }
}

/// A sandbox that does not POST notifications (they stay readable through the event API), so
/// the merchant URLs of these tests are never contacted.
async fn sandbox(withhold: WithholdSettings) -> Fixture {
    Fixture::start_with(|o| o.withhold = withhold).await
}

fn quick_callbacks() -> CallbackOptions {
    CallbackOptions {
        schedule: RetrySchedule::from_delays(vec![Duration::from_millis(50); 3]),
        timeout: Duration::from_secs(3),
    }
}

/// A sandbox that POSTs notifications; every callbackUrl of such a test is a loopback receiver.
async fn delivering(withhold: WithholdSettings) -> Fixture {
    Fixture::start_with(|o| {
        o.withhold = withhold;
        o.callbacks = Some(quick_callbacks());
    })
    .await
}

/// Pays and signs a pay-and-sign order of `merc_no` through the operator API; its contractId.
/// The order's payment and signing notifications go to `sink` when given.
async fn signed_contract(
    fx: &Fixture,
    merc_no: &str,
    order_no: &str,
    sink: Option<&Receiver>,
) -> String {
    let client = fx.client(merc_no);
    let route = |order: &mut paysign_pas::model::PrepayOrder| {
        if let Some(rx) = sink {
            order.callback_url = rx.url("/pay");
            order.contract_info.callback_url = rx.url("/sign");
        }
    };
    if merc_no == SP {
        let mut req = sp_prepay(order_no, 1500);
        route(&mut req.order);
        client
            .partner_pas_prepay(&req, PrepayChannel::App)
            .await
            .unwrap();
    } else {
        let mut req = direct_prepay(order_no, 1500);
        route(&mut req.order);
        client.pas_prepay(&req, PrepayChannel::App).await.unwrap();
    }
    fx.act(&format!("/sandbox/orders/{merc_no}/{order_no}/pay"))
        .await;
    fx.act(&format!("/sandbox/contracts/{merc_no}/C-{order_no}/sign"))
        .await;
    client
        .query_contract(&format!("C-{order_no}"))
        .await
        .unwrap()
        .contract_id
        .unwrap()
}

fn debit(no: &str, contract_id: &str, amount: i64, callback_url: &str) -> WithholdOrder {
    WithholdOrder {
        merc_order_no: no.to_owned(),
        trade_summary: "Demo shop-monthly box renewal".to_owned(),
        total_amount: amount,
        currency: Some("CNY".to_owned()),
        allocation_type: None,
        callback_url: callback_url.to_owned(),
        contract_id: contract_id.to_owned(),
        payload: Some(format!("renewal-{no}")),
        expire_time: None,
        payer: None,
    }
}

fn direct_debit(no: &str, contract_id: &str, amount: i64) -> WithholdRequest {
    WithholdRequest {
        app_id: DIRECT_APP.to_owned(),
        merc_no: DIRECT.to_owned(),
        order: debit(
            no,
            contract_id,
            amount,
            "https://merchant.example/paysign/callbacks/payment",
        ),
    }
}

fn sp_debit(no: &str, contract_id: &str, amount: i64) -> PartnerWithholdRequest {
    PartnerWithholdRequest {
        app_id: None,
        sp_merc_no: SP.to_owned(),
        sub_merc_no: SUB.to_owned(),
        sp_app_id: Some(SP_APP.to_owned()),
        sub_app_id: Some(SUB_APP.to_owned()),
        order: debit(
            no,
            contract_id,
            amount,
            "https://merchant.example/paysign/callbacks/payment",
        ),
    }
}

async fn debits(fx: &Fixture) -> Vec<Value> {
    let (status, list) = fx.op_get("/sandbox/debits").await;
    assert_eq!(status, 200, "{list}");
    list.as_array().unwrap().clone()
}

/// Waits until the order query says the debit is no longer processing.
async fn settled(client: &PasClient, no: &str) -> OrderStatus {
    let deadline = Instant::now() + WAIT;
    loop {
        let status = client.query_order(no).await.unwrap().order_status;
        if !status.is_pending() {
            return status;
        }
        assert!(Instant::now() < deadline, "{no} still {status}");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

#[tokio::test]
async fn a_debit_is_accepted_then_charged_and_its_signed_result_delivered_both_models() {
    let fx = delivering(settings(AutoResult::Success, 400)).await;
    let rx = Receiver::start().await;
    let sink = Receiver::start().await;
    let key = fx.sandbox_key();
    for (merc_no, no) in [(DIRECT, "DEBIT-D1"), (SP, "DEBIT-S1")] {
        let contract_id = signed_contract(&fx, merc_no, &format!("PAS-{no}"), Some(&sink)).await;
        let client = fx.client(merc_no);
        let url = rx.url(&format!("/debit/{merc_no}"));
        let accepted = if merc_no == SP {
            let mut req = sp_debit(no, &contract_id, 990);
            req.order.callback_url = url;
            client.partner_withhold(&req).await.unwrap()
        } else {
            let mut req = direct_debit(no, &contract_id, 990);
            req.order.callback_url = url;
            client.withhold(&req).await.unwrap()
        };
        let sys_no = accepted.sys_trans_order_no.clone().unwrap();
        assert_eq!(sys_no.len(), 26);
        assert_eq!(accepted.merc_order_no.as_deref(), Some(no));
        // Accepted is not charged: the order query says processing until the result.
        let q = client.query_order(no).await.unwrap();
        assert_eq!(q.order_status, OrderStatus::Processing);
        assert_eq!((q.total_amount, q.payer_amount), (990, None));
        assert_eq!(settled(&client, no).await, OrderStatus::Success);
        let q = client.query_order(no).await.unwrap();
        assert_eq!(q.sys_trans_order_no.as_deref(), Some(sys_no.as_str()));
        assert_eq!(q.payer_amount, Some(990));
        assert!(q.finish_time.is_some());
        if merc_no == SP {
            assert_eq!(
                (q.sp_merc_no.as_deref(), q.sub_merc_no.as_deref()),
                (Some(SP), Some(SUB))
            );
        } else {
            assert_eq!(q.merc_no.as_deref(), Some(DIRECT));
        }
    }
    // Both results POSTed by the dispatcher, signed, each to its debit's callbackUrl.
    let got = rx.wait_for(2, WAIT).await;
    for r in &got {
        assert_eq!(
            r.content_type.as_deref(),
            Some("application/json; charset=UTF-8")
        );
        let n = callback::parse_withhold(r.body.as_bytes(), &key).unwrap();
        assert_eq!(n.order_status, OrderStatus::Success);
        assert_eq!((n.total_amount, n.payer_amount), (990, Some(990)));
        assert!(
            r.json().get("contractId").is_none(),
            "no contractId (§4.13)"
        );
        match n.merc_order_no.as_str() {
            "DEBIT-D1" => {
                assert_eq!(r.path, format!("/debit/{DIRECT}"));
                assert_eq!(n.merc_no.as_deref(), Some(DIRECT));
                assert_eq!(n.app_id.as_deref(), Some(DIRECT_APP));
            }
            "DEBIT-S1" => {
                assert_eq!(r.path, format!("/debit/{SP}"));
                assert_eq!(n.sp_merc_no.as_deref(), Some(SP));
                assert_eq!(n.sub_merc_no.as_deref(), Some(SUB));
                assert!(n.merc_no.is_none());
            }
            other => panic!("{other}"),
        }
        // A forged amount does not verify.
        let forged = r.body.replace("\"totalAmount\":990", "\"totalAmount\":1");
        assert!(callback::parse_withhold(forged.as_bytes(), &key).is_err());
    }
    // The same notifications through the event log, as every other kind.
    let (_, events) = fx.op_get("/sandbox/events").await;
    let finished: Vec<&Value> = events
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["kind"] == "DEBIT_FINISHED")
        .collect();
    assert_eq!(finished.len(), 2);
    for e in finished {
        let (status, n) = fx
            .op_get(&format!("/sandbox/events/{}/notification", e["seq"]))
            .await;
        assert_eq!(status, 200, "{n}");
        assert_eq!(n["kind"], "WITHHOLD");
        let body = n["body"].as_str().unwrap();
        let parsed = callback::parse_withhold(body.as_bytes(), &key).unwrap();
        assert_eq!(parsed.merc_order_no, e["key"].as_str().unwrap());
        assert!(got.iter().any(|r| r.callback_id() == n["callbackId"]));
    }
}

#[tokio::test]
async fn the_operator_decides_when_automatic_results_are_off() {
    let fx = delivering(settings(AutoResult::Off, 0)).await;
    let rx = Receiver::start().await;
    let sink = Receiver::start().await;
    let contract_id = signed_contract(&fx, DIRECT, "PAS-OP", Some(&sink)).await;
    let client = fx.client(DIRECT);
    let mut req = direct_debit("DEBIT-OP1", &contract_id, 300);
    req.order.callback_url = rx.url("/debit");
    client.withhold(&req).await.unwrap();
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(
        client.query_order("DEBIT-OP1").await.unwrap().order_status,
        OrderStatus::Processing,
        "nothing decides by itself"
    );
    let d = fx
        .act(&format!("/sandbox/debits/{DIRECT}/DEBIT-OP1/fail"))
        .await;
    assert_eq!(d["status"], "TRX_FAILED");
    assert_eq!(d["failureReason"], "OPERATOR");
    assert_eq!(
        client.query_order("DEBIT-OP1").await.unwrap().order_status,
        OrderStatus::Failed
    );
    // A failed debit is notified too, with nothing paid.
    let got = rx.wait_for(1, WAIT).await;
    let n = callback::parse_withhold(got[0].body.as_bytes(), &fx.sandbox_key()).unwrap();
    assert_eq!(n.order_status, OrderStatus::Failed);
    assert_eq!(n.payer_amount, Some(0));
    // A finished debit cannot be finished again.
    let (status, _) = fx
        .op_post(
            &format!("/sandbox/debits/{DIRECT}/DEBIT-OP1/succeed"),
            json!({}),
        )
        .await;
    assert_eq!(status, 409);
    let (status, _) = fx
        .op_post(&format!("/sandbox/debits/{DIRECT}/NOPE/succeed"), json!({}))
        .await;
    assert_eq!(status, 404);
    // The operator's success.
    let mut req = direct_debit("DEBIT-OP2", &contract_id, 300);
    req.order.callback_url = rx.url("/debit");
    client.withhold(&req).await.unwrap();
    fx.act(&format!("/sandbox/debits/{DIRECT}/DEBIT-OP2/succeed"))
        .await;
    assert_eq!(
        client.query_order("DEBIT-OP2").await.unwrap().order_status,
        OrderStatus::Success
    );
}

#[tokio::test]
async fn automatic_failure_and_a_contract_ended_before_the_result() {
    let fx = sandbox(settings(AutoResult::Success, 300)).await;
    let client = fx.client(DIRECT);
    let contract_id = signed_contract(&fx, DIRECT, "PAS-END", None).await;
    client
        .withhold(&direct_debit("DEBIT-E1", &contract_id, 100))
        .await
        .unwrap();
    // The user ends the contract before the debit is charged: it fails.
    client
        .unsign(&UnsignRequest {
            contract_id: Some(contract_id.clone()),
            merc_contract_code: None,
            merc_no: DIRECT.to_owned(),
            callback_url: None,
        })
        .await
        .unwrap();
    assert_eq!(settled(&client, "DEBIT-E1").await, OrderStatus::Failed);
    let (_, d) = fx
        .op_get(&format!("/sandbox/debits/{DIRECT}/DEBIT-E1"))
        .await;
    assert_eq!(d["failureReason"], "CONTRACT_ENDED");

    // autoResult FAIL, set through the operator API.
    let (status, s) = fx
        .op_post(
            "/sandbox/withhold-settings",
            json!({"maxDebits": 5, "windowMs": 3_600_000, "autoResult": "FAIL", "autoDelayMs": 50}),
        )
        .await;
    assert_eq!(status, 200, "{s}");
    let other = signed_contract(&fx, DIRECT, "PAS-FAIL", None).await;
    client
        .withhold(&direct_debit("DEBIT-F1", &other, 100))
        .await
        .unwrap();
    assert_eq!(settled(&client, "DEBIT-F1").await, OrderStatus::Failed);
    let (status, _) = fx
        .op_post(
            "/sandbox/withhold-settings",
            json!({"maxDebits": 5, "windowMs": 0, "autoResult": "FAIL", "autoDelayMs": 50}),
        )
        .await;
    assert_eq!(status, 400, "a window of 0 is refused");
}

#[tokio::test]
async fn idempotent_by_merc_order_no() {
    let fx = sandbox(settings(AutoResult::Off, 0)).await;
    let client = fx.client(DIRECT);
    let contract_id = signed_contract(&fx, DIRECT, "PAS-IDEM", None).await;
    let first = client
        .withhold(&direct_debit("DEBIT-I1", &contract_id, 500))
        .await
        .unwrap();
    // The same debit again: the same acceptance, one debit.
    let again = client
        .withhold(&direct_debit("DEBIT-I1", &contract_id, 500))
        .await
        .unwrap();
    assert_eq!(again.sys_trans_order_no, first.sys_trans_order_no);
    assert_eq!(debits(&fx).await.len(), 1);
    // The same number for a different amount: refused, nothing changes.
    assert_eq!(
        sub_code(
            client
                .withhold(&direct_debit("DEBIT-I1", &contract_id, 501))
                .await
        ),
        SubCode::CheckTransactionOrderStatus
    );
    // After success the same debit still answers the same.
    fx.act(&format!("/sandbox/debits/{DIRECT}/DEBIT-I1/succeed"))
        .await;
    let after = client
        .withhold(&direct_debit("DEBIT-I1", &contract_id, 500))
        .await
        .unwrap();
    assert_eq!(after.sys_trans_order_no, first.sys_trans_order_no);
    // After failure the number is final: a new charge needs a new number.
    client
        .withhold(&direct_debit("DEBIT-I2", &contract_id, 500))
        .await
        .unwrap();
    fx.act(&format!("/sandbox/debits/{DIRECT}/DEBIT-I2/fail"))
        .await;
    assert_eq!(
        sub_code(
            client
                .withhold(&direct_debit("DEBIT-I2", &contract_id, 500))
                .await
        ),
        SubCode::CheckTransactionOrderStatus
    );
    client
        .withhold(&direct_debit("DEBIT-I3", &contract_id, 500))
        .await
        .unwrap();
    // Order numbers are shared with pay-and-sign orders, both ways.
    assert_eq!(
        sub_code(
            client
                .withhold(&direct_debit("PAS-IDEM", &contract_id, 500))
                .await
        ),
        SubCode::CheckTransactionOrderStatus
    );
    assert_eq!(
        sub_code(
            client
                .pas_prepay(&direct_prepay("DEBIT-I3", 500), PrepayChannel::App)
                .await
        ),
        SubCode::CheckOrderStatus
    );
    let list = debits(&fx).await;
    let statuses: Vec<(&str, &str)> = list
        .iter()
        .map(|d| {
            (
                d["mercOrderNo"].as_str().unwrap(),
                d["status"].as_str().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        statuses,
        [
            ("DEBIT-I1", "TRX_SUCCESS"),
            ("DEBIT-I2", "TRX_FAILED"),
            ("DEBIT-I3", "TRX_PROC")
        ]
    );
}

#[tokio::test]
async fn withhold_over_times_after_the_configured_count_in_the_window() {
    let fx = sandbox(WithholdSettings {
        max_debits: 2,
        window_ms: 3_600_000,
        auto_result: AutoResult::Off,
        auto_delay_ms: 0,
    })
    .await;
    let client = fx.client(SP);
    let contract_id = signed_contract(&fx, SP, "PAS-OVER", None).await;
    let other_contract = signed_contract(&fx, SP, "PAS-OVER-2", None).await;
    for no in ["DEBIT-O1", "DEBIT-O2"] {
        client
            .partner_withhold(&sp_debit(no, &contract_id, 100))
            .await
            .unwrap();
    }
    let err = client
        .partner_withhold(&sp_debit("DEBIT-O3", &contract_id, 100))
        .await
        .unwrap_err();
    let api = err.api().unwrap();
    assert_eq!(api.sub_code, Some(SubCode::WithholdOverTimes));
    assert_eq!(api.retry(), Retry::Later);
    // Asking again for an accepted debit is not a new debit.
    client
        .partner_withhold(&sp_debit("DEBIT-O1", &contract_id, 100))
        .await
        .unwrap();
    // Another contract has its own count.
    client
        .partner_withhold(&sp_debit("DEBIT-O4", &other_contract, 100))
        .await
        .unwrap();
    // The window rolls on (business clock): the same number is accepted later.
    fx.advance_clock(3_600_001).await;
    client
        .partner_withhold(&sp_debit("DEBIT-O3", &contract_id, 100))
        .await
        .unwrap();
    assert_eq!(debits(&fx).await.len(), 4);
}

#[tokio::test]
async fn refused_debits_store_nothing() {
    let fx = sandbox(settings(AutoResult::Off, 0)).await;
    let direct = fx.client(DIRECT);
    let sp = fx.client(SP);
    let contract_id = signed_contract(&fx, DIRECT, "PAS-REF", None).await;
    let sp_contract = signed_contract(&fx, SP, "PAS-REF-SP", None).await;

    // Unknown contract, another merchant's contract, a contract never signed.
    assert_eq!(
        sub_code(direct.withhold(&direct_debit("R-1", "9999", 100)).await),
        SubCode::CustNotExist
    );
    assert_eq!(
        sub_code(
            direct
                .withhold(&direct_debit("R-2", &sp_contract, 100))
                .await
        ),
        SubCode::CustNotExist
    );
    // Bindings: appId, mercNo, sub-merchant.
    let mut req = direct_debit("R-3", &contract_id, 100);
    req.app_id = "APP-NOT-BOUND".to_owned();
    assert_eq!(sub_code(direct.withhold(&req).await), SubCode::InvalidAppId);
    let mut req = direct_debit("R-4", &contract_id, 100);
    req.merc_no = "109999999999".to_owned();
    assert_eq!(
        sub_code(direct.withhold(&req).await),
        SubCode::InvalidMercNoWithhold
    );
    let mut req = sp_debit("R-5", &sp_contract, 100);
    req.sub_merc_no = "309999999999".to_owned();
    assert_eq!(
        sub_code(sp.partner_withhold(&req).await),
        SubCode::InvalidMercNoWithhold
    );
    // The provider's contract belongs to SUB, not OTHER_SUB.
    let mut req = sp_debit("R-6", &sp_contract, 100);
    req.sub_merc_no = OTHER_SUB.to_owned();
    req.sub_app_id = None;
    assert_eq!(
        sub_code(sp.partner_withhold(&req).await),
        SubCode::CustNotExist
    );
    let mut req = sp_debit("R-7", &sp_contract, 100);
    req.sub_app_id = Some(SP_APP.to_owned());
    assert_eq!(
        sub_code(sp.partner_withhold(&req).await),
        SubCode::InvalidAppId
    );
    // Delayed allocation is not enabled.
    let mut req = direct_debit("R-8", &contract_id, 100);
    req.order.allocation_type = Some(AllocationType::DelayOrderAllocation);
    assert_eq!(
        sub_code(direct.withhold(&req).await),
        SubCode::MercNotSupportAllocation
    );
    // The other model's path.
    let (status, text) = fx
        .raw(
            SP,
            HttpMethod::Post,
            ep::DIRECT_WITHHOLD,
            &serde_json::to_string(&direct_debit("R-9", &contract_id, 100)).unwrap(),
            |_| Some(()),
        )
        .await;
    assert_eq!(status, 200);
    assert_eq!(
        raw_sub_code(&serde_json::from_str(&text).unwrap()),
        "INSUFFICIENT_PERMISSION"
    );
    // Fields the client would refuse, sent raw: the sandbox refuses them too.
    for (field, value) in [
        ("totalAmount", json!(0)),
        ("contractId", json!("9".repeat(65))),
        ("callbackUrl", json!("http://merchant.example/cb")),
        ("currency", json!("USD")),
        ("mercOrderNo", json!("")),
    ] {
        let mut body = serde_json::to_value(direct_debit("R-10", &contract_id, 100)).unwrap();
        body[field] = value;
        let answer = fx
            .raw_verified(
                DIRECT,
                HttpMethod::Post,
                ep::DIRECT_WITHHOLD,
                &body.to_string(),
                |_| Some(()),
            )
            .await;
        assert_eq!(raw_sub_code(&answer), "INVALID_ARGUMENTS", "{field}");
    }
    // A contract that ended.
    direct
        .unsign(&UnsignRequest {
            contract_id: Some(contract_id.clone()),
            merc_contract_code: None,
            merc_no: DIRECT.to_owned(),
            callback_url: None,
        })
        .await
        .unwrap();
    assert_eq!(
        sub_code(
            direct
                .withhold(&direct_debit("R-11", &contract_id, 100))
                .await
        ),
        SubCode::CustNotExist
    );
    assert!(debits(&fx).await.is_empty());
    // Nothing was stored, so a refused number can be used once the cause is fixed.
    direct
        .withhold(&direct_debit(
            "R-1",
            &signed_contract(&fx, DIRECT, "PAS-NEW", None).await,
            100,
        ))
        .await
        .unwrap();
    // The order query knows debits only of their own merchant.
    assert_eq!(
        sub_code(sp.query_order("R-1").await),
        SubCode::MercOrderNotExist
    );
}

#[tokio::test]
async fn charged_debits_are_in_the_trade_bill() {
    let fx = sandbox(settings(AutoResult::Off, 0)).await;
    let client = fx.client(SP);
    let contract_id = signed_contract(&fx, SP, "PAS-BILL", None).await;
    for no in ["DEBIT-B1", "DEBIT-B2"] {
        client
            .partner_withhold(&sp_debit(no, &contract_id, 1999))
            .await
            .unwrap();
    }
    let charged = fx
        .act(&format!("/sandbox/debits/{SP}/DEBIT-B1/succeed"))
        .await;
    // A failed debit moves no money: not in the bill.
    fx.act(&format!("/sandbox/debits/{SP}/DEBIT-B2/fail")).await;
    let day = paysign_sandbox::clock::beijing_day(charged["finishMs"].as_i64().unwrap()).unwrap();
    fx.advance_clock(24 * 3600 * 1000).await;
    let date = day.format("%Y%m%d").to_string();
    let rows = client.trade_bill(&date, Some(SUB)).await.unwrap().unwrap();
    let debit_rows: Vec<_> = rows
        .iter()
        .filter(|r| r.merc_order_no.starts_with("DEBIT-"))
        .collect();
    assert_eq!(debit_rows.len(), 1, "{rows:?}");
    let row = debit_rows[0];
    assert_eq!(row.merc_order_no, "DEBIT-B1");
    assert_eq!(row.trade_type, "收单");
    assert_eq!((row.trade_amount_fen, row.order_amount_fen), (1999, 1999));
    assert_eq!(
        row.sys_trans_order_no,
        charged["sysTransOrderNo"].as_str().unwrap()
    );
    assert_eq!(row.merc_no, SUB);
    assert_eq!(row.product_name.as_deref(), Some("免密代扣"));
    // The pay-and-sign payment that signed the contract is there too; another sub-merchant's
    // bill has neither.
    assert!(rows.iter().any(|r| r.merc_order_no == "PAS-BILL"));
    let other = client
        .trade_bill(&date, Some(OTHER_SUB))
        .await
        .unwrap()
        .unwrap_or_default();
    assert!(other.is_empty(), "{other:?}");
}

#[tokio::test]
async fn a_restart_with_a_database_keeps_debits_and_finishes_the_due_ones() {
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
        o.withhold = settings(AutoResult::Success, 500);
        o.callbacks = Some(quick_callbacks());
    };
    let rx = Receiver::start().await;
    let sink = Receiver::start().await;
    let fx = Fixture::start_with(options).await;
    let contract_id = signed_contract(&fx, DIRECT, "PAS-DB", Some(&sink)).await;
    let mut req = direct_debit("DEBIT-DB1", &contract_id, 4200);
    req.order.callback_url = rx.url("/debit");
    let accepted = fx.client(DIRECT).withhold(&req).await.unwrap();
    let Fixture { sandbox, keys, .. } = fx;
    sandbox.shutdown().await.unwrap();
    // Past its due time with the sandbox stopped: the stopped worker finished nothing.
    tokio::time::sleep(Duration::from_millis(800)).await;
    let status: String = rusqlite::Connection::open(&db)
        .unwrap()
        .query_row(
            "SELECT status FROM debits WHERE merc_order_no = 'DEBIT-DB1'",
            [],
            |r| r.get(0),
        )
        .unwrap();
    assert_eq!(status, "TRX_PROC");

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
    let client = fx.client(DIRECT);
    assert_eq!(settled(&client, "DEBIT-DB1").await, OrderStatus::Success);
    let got = rx.wait_for(1, WAIT).await;
    let n = callback::parse_withhold(got[0].body.as_bytes(), &fx.sandbox_key()).unwrap();
    assert_eq!(n.sys_trans_order_no, accepted.sys_trans_order_no.unwrap());
    assert_eq!(n.total_amount, 4200);
    // Asking again after the restart is still the same debit.
    let again = client.withhold(&req).await.unwrap();
    assert_eq!(
        again.sys_trans_order_no.as_deref(),
        Some(n.sys_trans_order_no.as_str())
    );
}
