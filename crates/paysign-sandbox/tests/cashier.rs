//! `POST /sandbox/cashier`: every decision's code, events, notifications and queries, for both
//! merchant models; every orderStr Payment Kit would refuse is refused and changes nothing; an
//! orderStr signed by the OpenSSL command line (not by paysign) opens the cashier.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

mod common;

use common::*;
use paysign_pas::auth::MerchantSigner;
use paysign_pas::callback;
use paysign_pas::client::PasClient;
use paysign_pas::codes::SubCode;
use paysign_pas::endpoints::{MerchantModel as PasModel, PrepayChannel};
use paysign_pas::model::Notification;
use paysign_pas::model::{OrderStatus, SignStatus};
use paysign_pas::OrderStrBuilder;
use serde_json::{json, Value};

const PAID_OK: u64 = 0;
const CANCELED: u64 = 1_001_930_000;
const PAY_FAILED: u64 = 1_001_930_001;
const PROCESSED: u64 = 1_001_930_002;
const NETWORK: u64 = 1_001_930_011;

/// A direct order pre-ordered through paysign-pas, and its orderStr as the merchant builds it.
async fn direct_order(fx: &Fixture, no: &str) -> String {
    let prepay = fx
        .client(DIRECT)
        .pas_prepay(&direct_prepay(no, 1990), PrepayChannel::App)
        .await
        .unwrap();
    OrderStrBuilder::new(fx.signer(DIRECT), PasModel::Direct)
        .build(Some(DIRECT_APP), &prepay.prepay_id, now_ms())
        .unwrap()
}

async fn cashier(fx: &Fixture, order_str: Value, decision: &str) -> (u16, Value) {
    fx.op_post(
        "/sandbox/cashier",
        json!({ "orderStr": order_str, "decision": decision }),
    )
    .await
}

/// The cashier's code for an orderStr (HTTP 200 expected).
async fn code(fx: &Fixture, order_str: &str, decision: &str) -> u64 {
    let (status, answer) = cashier(fx, json!(order_str), decision).await;
    assert_eq!(status, 200, "{answer}");
    let code = answer["code"].as_u64().unwrap();
    if code == 0 {
        assert!(answer.get("message").is_none(), "{answer}");
    } else {
        assert!(
            answer["message"].as_str().unwrap().ends_with('.'),
            "{answer}"
        );
    }
    code
}

/// Kinds of the events of one merchant's order, contract (C-<order>) and refunds.
async fn events_of(fx: &Fixture, no: &str) -> Vec<String> {
    let (_, events) = fx.op_get("/sandbox/events").await;
    let contract = format!("C-{no}");
    events
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["key"] == no || e["key"] == contract.as_str())
        .map(|e| e["kind"].as_str().unwrap().to_owned())
        .collect()
}

async fn event_count(fx: &Fixture) -> usize {
    fx.op_get("/sandbox/events")
        .await
        .1
        .as_array()
        .unwrap()
        .len()
}

#[tokio::test]
async fn each_decision_gives_its_code_events_and_queries() {
    let fx = Fixture::start().await;
    let client = fx.client(DIRECT);
    let key = fx.sandbox_key();

    // PAY_AND_SIGN: resolves; paid and signed; both notifications signed by the sandbox.
    let s = direct_order(&fx, "D-PAS").await;
    assert_eq!(code(&fx, &s, "PAY_AND_SIGN").await, PAID_OK);
    assert_eq!(
        events_of(&fx, "D-PAS").await,
        ["ORDER_PAID", "CONTRACT_SIGNED"]
    );
    let q = client.query_order("D-PAS").await.unwrap();
    assert_eq!(
        (q.order_status, q.total_amount),
        (OrderStatus::Success, 1990)
    );
    let k = client.query_contract("C-D-PAS").await.unwrap();
    assert_eq!(k.sign_status, Some(SignStatus::Signed));
    let (_, events) = fx.op_get("/sandbox/events").await;
    for e in events.as_array().unwrap() {
        let (status, n) = fx
            .op_get(&format!("/sandbox/events/{}/notification", e["seq"]))
            .await;
        assert_eq!(status, 200, "{n}");
        match callback::parse_notification(n["body"].as_str().unwrap().as_bytes(), &key).unwrap() {
            Notification::Payment(p) => assert_eq!(p.merc_order_no, "D-PAS"),
            Notification::ContractSigned(c) => {
                assert_eq!(Some(c.contract_id), k.contract_id);
            }
            other => panic!("{other:?}"),
        }
    }

    // PAY_ONLY: resolves; paid; the contract is never signed.
    let s = direct_order(&fx, "D-PO").await;
    assert_eq!(code(&fx, &s, "PAY_ONLY").await, PAID_OK);
    assert_eq!(events_of(&fx, "D-PO").await, ["ORDER_PAID"]);
    assert_eq!(
        client.query_order("D-PO").await.unwrap().order_status,
        OrderStatus::Success
    );
    assert_eq!(
        sub_code(client.query_contract("C-D-PO").await),
        SubCode::CheckContractStatus
    );

    // CANCEL: 1001930000; nothing happens, and the same orderStr can still be paid.
    let s = direct_order(&fx, "D-CA").await;
    assert_eq!(code(&fx, &s, "CANCEL").await, CANCELED);
    assert!(events_of(&fx, "D-CA").await.is_empty());
    assert_eq!(
        client.query_order("D-CA").await.unwrap().order_status,
        OrderStatus::Applied
    );
    assert_eq!(code(&fx, &s, "PAY_AND_SIGN").await, PAID_OK);
    assert_eq!(
        events_of(&fx, "D-CA").await,
        ["ORDER_PAID", "CONTRACT_SIGNED"]
    );

    // FAIL: 1001930001; the order closes TRX_FAILED and Payment Kit sends nothing.
    let s = direct_order(&fx, "D-FA").await;
    assert_eq!(code(&fx, &s, "FAIL").await, PAY_FAILED);
    assert_eq!(events_of(&fx, "D-FA").await, ["ORDER_FAILED"]);
    assert_eq!(
        client.query_order("D-FA").await.unwrap().order_status,
        OrderStatus::Failed
    );
    let (_, events) = fx.op_get("/sandbox/events").await;
    let failed = events.as_array().unwrap().last().unwrap().clone();
    let (status, _) = fx
        .op_get(&format!("/sandbox/events/{}/notification", failed["seq"]))
        .await;
    assert_eq!(status, 404);
    // A closed order cannot be paid afterwards.
    assert_eq!(code(&fx, &s, "PAY_AND_SIGN").await, PAY_FAILED);

    // PAID_NETWORK_ERROR: the app gets 1001930011 although it paid and signed.
    let s = direct_order(&fx, "D-NE").await;
    assert_eq!(code(&fx, &s, "PAID_NETWORK_ERROR").await, NETWORK);
    assert_eq!(
        events_of(&fx, "D-NE").await,
        ["ORDER_PAID", "CONTRACT_SIGNED"]
    );
    assert_eq!(
        client.query_order("D-NE").await.unwrap().order_status,
        OrderStatus::Success
    );
    assert_eq!(
        client.query_contract("C-D-NE").await.unwrap().sign_status,
        Some(SignStatus::Signed)
    );

    // ALREADY_PROCESSED: 1001930002 and nothing changes.
    let s = direct_order(&fx, "D-AP").await;
    assert_eq!(code(&fx, &s, "ALREADY_PROCESSED").await, PROCESSED);
    assert!(events_of(&fx, "D-AP").await.is_empty());
    assert_eq!(
        client.query_order("D-AP").await.unwrap().order_status,
        OrderStatus::Applied
    );
}

#[tokio::test]
async fn a_service_provider_order_goes_through_the_cashier() {
    let fx = Fixture::start().await;
    let client = fx.client(SP);
    let prepay = client
        .partner_pas_prepay(&sp_prepay("S-1", 500), PrepayChannel::App)
        .await
        .unwrap();
    let builder = OrderStrBuilder::new(fx.signer(SP), PasModel::ServiceProvider);
    // The orderStr must carry the sub-merchant's app id the pre-order named.
    let wrong_app = builder
        .build(Some(SP_APP), &prepay.prepay_id, now_ms())
        .unwrap();
    assert_eq!(code(&fx, &wrong_app, "PAY_AND_SIGN").await, PAY_FAILED);
    let s = builder
        .build(Some(SUB_APP), &prepay.prepay_id, now_ms())
        .unwrap();
    assert_eq!(code(&fx, &s, "PAY_AND_SIGN").await, PAID_OK);
    assert_eq!(
        events_of(&fx, "S-1").await,
        ["ORDER_PAID", "CONTRACT_SIGNED"]
    );
    let q = client.query_order("S-1").await.unwrap();
    assert_eq!(q.order_status, OrderStatus::Success);
    assert_eq!(q.sub_merc_no.as_deref(), Some(SUB));
    assert_eq!(
        client.query_contract("C-S-1").await.unwrap().sign_status,
        Some(SignStatus::Signed)
    );

    // Without a subAppId in the pre-order, the orderStr has no app_id.
    let mut req = sp_prepay("S-2", 500);
    req.sub_app_id = None;
    let prepay = client
        .partner_pas_prepay(&req, PrepayChannel::App)
        .await
        .unwrap();
    let s = builder.build(None, &prepay.prepay_id, now_ms()).unwrap();
    assert_eq!(code(&fx, &s, "PAY_ONLY").await, PAID_OK);
    assert_eq!(events_of(&fx, "S-2").await, ["ORDER_PAID"]);
}

/// Re-signs an orderStr object with `signer`'s key after `edit` changed it.
fn resigned(fx: &Fixture, signer: &str, order_str: &str, edit: impl FnOnce(&mut Value)) -> String {
    let mut v: Value = serde_json::from_str(order_str).unwrap();
    v.as_object_mut().unwrap().remove("sign");
    edit(&mut v);
    let key = match signer {
        DIRECT => &fx.keys.direct,
        RESTRICTED => &fx.keys.restricted,
        _ => &fx.keys.sp,
    };
    paysign_crypto::sign_body(&v.to_string(), key).unwrap()
}

fn edited(order_str: &str, edit: impl FnOnce(&mut Value)) -> String {
    let mut v: Value = serde_json::from_str(order_str).unwrap();
    edit(&mut v);
    v.to_string()
}

#[tokio::test]
async fn orderstrs_payment_kit_would_refuse_are_refused_and_change_nothing() {
    let fx = Fixture::start().await;
    let good = direct_order(&fx, "R-1").await;
    let other_prepay = {
        let p = fx
            .client(DIRECT)
            .pas_prepay(&direct_prepay("R-2", 100), PrepayChannel::App)
            .await
            .unwrap();
        p.prepay_id
    };
    let restricted_prepay = fx
        .client(RESTRICTED)
        .pas_prepay(
            &{
                let mut r = direct_prepay("R-3", 100);
                r.merc_no = RESTRICTED.to_owned();
                r
            },
            PrepayChannel::App,
        )
        .await
        .unwrap()
        .prepay_id;
    let before = event_count(&fx).await;

    let refused: Vec<(&str, &str, String)> = vec![
        // Tampered after signing: the sign no longer verifies.
        (
            "prepay_id swapped",
            "sign does not verify",
            edited(&good, |v| v["prepay_id"] = json!(other_prepay)),
        ),
        (
            "app_id changed",
            "sign does not verify",
            edited(&good, |v| v["app_id"] = json!("APP-OTHER")),
        ),
        (
            "timestamp changed",
            "sign does not verify",
            edited(&good, |v| v["timestamp"] = json!("1700000000000")),
        ),
        (
            "field added",
            "sign does not verify",
            edited(&good, |v| v["reserved"] = json!(r#"{"sandbox_flag":true}"#)),
        ),
        (
            "sign of another string",
            "sign does not verify",
            edited(&good, |v| {
                let other = direct_prepay_sign(&fx, &other_prepay);
                v["sign"] = json!(other);
            }),
        ),
        // Signed, but by the wrong key or with the wrong facts.
        (
            "signed with another merchant's key",
            "sign does not verify",
            resigned(&fx, RESTRICTED, &good, |_| {}),
        ),
        (
            "auth_id of another certificate",
            "auth_id",
            resigned(&fx, DIRECT, &good, |v| {
                v["auth_id"] = json!(RESTRICTED_AUTH)
            }),
        ),
        (
            "app_id not the order's",
            "app_id",
            resigned(&fx, DIRECT, &good, |v| v["app_id"] = json!("APP-OTHER")),
        ),
        (
            "app_id missing for a direct merchant",
            "app_id",
            resigned(&fx, DIRECT, &good, |v| {
                v.as_object_mut().unwrap().remove("app_id");
            }),
        ),
        (
            "prepay_id of another merchant's order",
            "prepay_id names no order",
            resigned(&fx, DIRECT, &good, |v| {
                v["prepay_id"] = json!(restricted_prepay)
            }),
        ),
        (
            "merc_no of another merchant",
            "prepay_id names no order",
            resigned(&fx, RESTRICTED, &good, |v| {
                v["merc_no"] = json!(RESTRICTED);
                v["auth_id"] = json!(RESTRICTED_AUTH);
            }),
        ),
        (
            "unknown prepay_id",
            "prepay_id names no order",
            resigned(&fx, DIRECT, &good, |v| v["prepay_id"] = json!("1234")),
        ),
        (
            "timestamp not 13 digits",
            "timestamp",
            resigned(&fx, DIRECT, &good, |v| v["timestamp"] = json!("1700000000")),
        ),
        (
            "noncestr too long",
            "noncestr",
            resigned(&fx, DIRECT, &good, |v| {
                v["noncestr"] = json!("n".repeat(33))
            }),
        ),
        (
            "unknown merchant",
            "not a registered merchant",
            resigned(&fx, DIRECT, &good, |v| v["merc_no"] = json!("999000000001")),
        ),
    ];
    for (why, reason, s) in &refused {
        for decision in ["PAY_AND_SIGN", "CANCEL", "FAIL"] {
            let (status, answer) = cashier(&fx, json!(s), decision).await;
            assert_eq!(status, 200, "{why}: {answer}");
            assert_eq!(answer["code"], PAY_FAILED, "{why}: {answer}");
            assert_eq!(answer["message"], "Pay failed.", "{why}");
            assert!(
                answer["reason"].as_str().unwrap().contains(reason),
                "{why}: {answer}"
            );
        }
    }

    let malformed: Vec<(&str, Value)> = vec![
        ("not JSON", json!("app_id=1&merc_no=2")),
        ("a JSON array", json!("[]")),
        (
            "double-serialized",
            json!(serde_json::to_string(&good).unwrap()),
        ),
        (
            "an object, not a string",
            serde_json::from_str(&good).unwrap(),
        ),
        ("missing", Value::Null),
        (
            "no sign",
            json!(edited(&good, |v| {
                v.as_object_mut().unwrap().remove("sign");
            })),
        ),
        (
            "no prepay_id",
            json!(edited(&good, |v| {
                v.as_object_mut().unwrap().remove("prepay_id");
            })),
        ),
        (
            "a number where a string belongs",
            json!(edited(&good, |v| v["timestamp"] = json!(1_700_000_000_000_i64))),
        ),
    ];
    for (why, s) in malformed {
        let (status, answer) = cashier(&fx, s, "PAY_AND_SIGN").await;
        assert_eq!(status, 200, "{why}: {answer}");
        assert_eq!(answer["code"], 401, "{why}: {answer}");
        assert_eq!(answer["message"], "Parameter error.", "{why}");
    }

    // Nothing moved: no event, the orders still open, and the genuine orderStr still pays.
    assert_eq!(event_count(&fx).await, before);
    let client = fx.client(DIRECT);
    for no in ["R-1", "R-2"] {
        assert_eq!(
            client.query_order(no).await.unwrap().order_status,
            OrderStatus::Applied
        );
    }
    assert_eq!(code(&fx, &good, "PAY_ONLY").await, PAID_OK);
    // Paid once; the cashier opens no second time for it.
    assert_eq!(code(&fx, &good, "PAY_AND_SIGN").await, PAY_FAILED);
    assert_eq!(events_of(&fx, "R-1").await, ["ORDER_PAID"]);
}

/// A genuine orderStr for `prepay_id`, to take its sign for another one.
fn direct_prepay_sign(fx: &Fixture, prepay_id: &str) -> String {
    let s = OrderStrBuilder::new(fx.signer(DIRECT), PasModel::Direct)
        .build(Some(DIRECT_APP), prepay_id, now_ms())
        .unwrap();
    let v: Value = serde_json::from_str(&s).unwrap();
    v["sign"].as_str().unwrap().to_owned()
}

#[tokio::test]
async fn a_prepay_id_older_than_ten_minutes_is_refused() {
    let fx = Fixture::start().await;
    let s = direct_order(&fx, "E-1").await;
    fx.advance_clock(9 * 60 * 1000).await;
    assert_eq!(code(&fx, &s, "CANCEL").await, CANCELED);
    fx.advance_clock(60 * 1000 + 1000).await;
    let before = event_count(&fx).await;
    let (_, answer) = cashier(&fx, json!(s), "PAY_AND_SIGN").await;
    assert_eq!(answer["code"], PAY_FAILED);
    assert!(
        answer["reason"].as_str().unwrap().contains("10 minutes"),
        "{answer}"
    );
    assert_eq!(event_count(&fx).await, before);
    assert_eq!(
        fx.client(DIRECT)
            .query_order("E-1")
            .await
            .unwrap()
            .order_status,
        OrderStatus::Applied
    );
}

#[tokio::test]
async fn two_cashiers_of_one_order_pay_it_once() {
    let fx = Fixture::start().await;
    for round in 0..5 {
        let no = format!("C2-{round}");
        let s = direct_order(&fx, &no).await;
        let (a, b) = tokio::join!(code(&fx, &s, "PAY_AND_SIGN"), code(&fx, &s, "PAY_AND_SIGN"));
        let mut codes = [a, b];
        codes.sort_unstable();
        assert_eq!(codes[0], PAID_OK, "{codes:?}");
        assert!(codes[1] == PROCESSED || codes[1] == PAY_FAILED, "{codes:?}");
        assert_eq!(events_of(&fx, &no).await, ["ORDER_PAID", "CONTRACT_SIGNED"]);
    }
}

#[tokio::test]
async fn a_bad_request_to_the_cashier_is_a_400_not_a_payment_kit_code() {
    let fx = Fixture::start().await;
    let s = direct_order(&fx, "B-1").await;
    for body in [
        json!({ "orderStr": s, "decision": "PAY_TWICE" }),
        json!({ "orderStr": s }),
        json!("PAY_AND_SIGN"),
    ] {
        let (status, answer) = fx.op_post("/sandbox/cashier", body).await;
        assert_eq!(status, 400, "{answer}");
        assert!(
            answer["error"].as_str().unwrap().contains("decision"),
            "{answer}"
        );
    }
    assert!(events_of(&fx, "B-1").await.is_empty());
}

/// An orderStr signed by `openssl dgst` (RSA-PSS, SHA-256, salt 32) over a canonical string
/// written out by hand: neither paysign's canonical string nor its signer is involved.
#[tokio::test]
async fn an_orderstr_signed_by_the_openssl_command_line_opens_the_cashier() {
    use base64::Engine as _;
    let fx = Fixture::start().await;
    let pem_path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/fixtures/merchant-rsa-3072.test-key.pem"
    );
    let key =
        paysign_crypto::PrivateKey::from_text(&std::fs::read_to_string(pem_path).unwrap()).unwrap();
    let mut m = merchant(
        "103000000001",
        "AUTH-RSA",
        paysign_sandbox::MerchantModel::Direct,
        &key,
    );
    m.app_ids = vec![DIRECT_APP.to_owned()];
    m.plan_ids = vec![DIRECT_PLAN.to_owned()];
    let (status, body) = fx
        .op_post("/sandbox/merchants", serde_json::to_value(&m).unwrap())
        .await;
    assert_eq!(status, 201, "{body}");
    let mut config = fx.config_for(DIRECT);
    config.signer = MerchantSigner::new("103000000001", "AUTH-RSA", key);
    let client = PasClient::new(config).unwrap();
    let mut req = direct_prepay("OSSL-1", 100);
    req.merc_no = "103000000001".to_owned();
    let prepay_id = client
        .pas_prepay(&req, PrepayChannel::App)
        .await
        .unwrap()
        .prepay_id;

    let ts = now_ms().to_string();
    let canonical = format!(
        "app_id={DIRECT_APP}&auth_id=AUTH-RSA&merc_no=103000000001&noncestr=0f1e2d3c4b5a&prepay_id={prepay_id}&timestamp={ts}"
    );
    let dir = tempfile::tempdir().unwrap();
    let msg = dir.path().join("msg");
    let sig = dir.path().join("sig");
    std::fs::write(&msg, &canonical).unwrap();
    let out = std::process::Command::new("openssl")
        .args([
            "dgst",
            "-sha256",
            "-sign",
            pem_path,
            "-sigopt",
            "rsa_padding_mode:pss",
        ])
        .args([
            "-sigopt",
            "rsa_pss_saltlen:32",
            "-sigopt",
            "rsa_mgf1_md:sha256",
            "-out",
        ])
        .arg(&sig)
        .arg(&msg)
        .output()
        .expect("the openssl command is needed (scripts/setup.sh installs it)");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let sign = base64::engine::general_purpose::STANDARD.encode(std::fs::read(&sig).unwrap());
    let order_str = json!({
        "app_id": DIRECT_APP, "merc_no": "103000000001", "prepay_id": prepay_id,
        "timestamp": ts, "noncestr": "0f1e2d3c4b5a", "auth_id": "AUTH-RSA", "sign": sign,
    })
    .to_string();
    // One character of the signed text changed: refused.
    let tampered = order_str.replace("0f1e2d3c4b5a", "0f1e2d3c4b5b");
    assert_eq!(code(&fx, &tampered, "PAY_AND_SIGN").await, PAY_FAILED);
    assert_eq!(code(&fx, &order_str, "PAY_AND_SIGN").await, PAID_OK);
    assert_eq!(
        client.query_order("OSSL-1").await.unwrap().order_status,
        OrderStatus::Success
    );
}
