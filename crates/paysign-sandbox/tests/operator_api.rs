//! The operator API: reading what the sandbox holds, registering merchants, the user's and the
//! platform's unsign, and its refusals.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

mod common;

use common::*;
use paysign_crypto::PrivateKey;
use paysign_pas::codes::SubCode;
use paysign_pas::endpoints::PrepayChannel;
use paysign_pas::model::{ChangeMode, Notification, SignStatus};
use paysign_sandbox::MerchantModel;
use serde_json::json;

#[tokio::test]
async fn it_shows_what_it_holds() {
    let fx = Fixture::start().await;
    let (status, health) = fx.op_get("/sandbox/health").await;
    assert_eq!(status, 200);
    assert_eq!(health, json!({"status": "ok", "merchants": 3}));
    let (_, merchants) = fx.op_get("/sandbox/merchants").await;
    let models: Vec<(&str, &str)> = merchants
        .as_array()
        .unwrap()
        .iter()
        .map(|m| (m["mercNo"].as_str().unwrap(), m["model"].as_str().unwrap()))
        .collect();
    assert_eq!(
        models,
        [(DIRECT, "DIRECT"), (RESTRICTED, "DIRECT"), (SP, "SP")]
    );

    fx.client(DIRECT)
        .pas_prepay(&direct_prepay("O-1", 10), PrepayChannel::App)
        .await
        .unwrap();
    fx.client(SP)
        .partner_pas_prepay(&sp_prepay("O-2", 20), PrepayChannel::App)
        .await
        .unwrap();
    let (_, all) = fx.op_get("/sandbox/orders").await;
    assert_eq!(all.as_array().unwrap().len(), 2);
    let (_, sp_orders) = fx.op_get(&format!("/sandbox/orders?mercNo={SP}")).await;
    assert_eq!(sp_orders[0]["mercOrderNo"], "O-2");
    assert_eq!(sp_orders[0]["subMercNo"], SUB);
    assert_eq!(sp_orders[0]["status"], "TRX_APPLY");
    let (_, contracts) = fx
        .op_get(&format!("/sandbox/contracts?mercNo={DIRECT}"))
        .await;
    assert_eq!(contracts[0]["status"], "PENDING");
    assert_eq!(contracts[0]["mercOrderNo"], "O-1");

    fx.act(&format!("/sandbox/orders/{DIRECT}/O-1/pay")).await;
    fx.client(DIRECT)
        .refund(&refund_request("O-1", "OR-1", Some(3)))
        .await
        .unwrap();
    let (_, refunds) = fx.op_get("/sandbox/refunds").await;
    assert_eq!(refunds[0]["status"], "REFUND_CHL_PROC");
    assert_eq!(refunds[0]["refundAmount"], 3);
    let (status, _) = fx.op_get(&format!("/sandbox/orders/{DIRECT}/NOPE")).await;
    assert_eq!(status, 404);

    let (_, key) = fx.op_get("/sandbox/public-key").await;
    assert_eq!(key["algorithm"], "SM2");
    assert_eq!(
        key["publicKeyPem"].as_str(),
        Some(fx.sandbox_key().to_spki_pem().as_str())
    );
}

#[tokio::test]
async fn merchants_registered_at_run_time_are_checked() {
    let fx = Fixture::start().await;
    let key = PrivateKey::generate_sm2().unwrap();
    let mut m = merchant("104000000001", "AUTH-NEW", MerchantModel::Direct, &key);
    m.public_key = "not a key".to_owned();
    let (status, body) = fx
        .op_post("/sandbox/merchants", serde_json::to_value(&m).unwrap())
        .await;
    assert_eq!(status, 400);
    assert!(
        body["error"].as_str().unwrap().contains("publicKey"),
        "{body}"
    );
    let (status, _) = fx
        .op_post("/sandbox/merchants", json!({"mercNo": "1"}))
        .await;
    assert_eq!(status, 400);
    m.public_key = key.public_key().to_spki_pem();
    m.merc_no = "1234567890123".to_owned();
    let (status, body) = fx
        .op_post("/sandbox/merchants", serde_json::to_value(&m).unwrap())
        .await;
    assert_eq!(status, 400, "{body}");
    let (_, health) = fx.op_get("/sandbox/health").await;
    assert_eq!(health["merchants"], 3);
}

#[tokio::test]
async fn users_and_the_platform_can_end_a_contract() {
    let fx = Fixture::start().await;
    let client = fx.client(DIRECT);
    for no in ["U-1", "U-2"] {
        client
            .pas_prepay(&direct_prepay(no, 10), PrepayChannel::App)
            .await
            .unwrap();
        fx.act(&format!("/sandbox/orders/{DIRECT}/{no}/pay")).await;
        fx.act(&format!("/sandbox/contracts/{DIRECT}/C-{no}/sign"))
            .await;
    }
    let (status, _) = fx
        .op_post(
            &format!("/sandbox/contracts/{DIRECT}/C-U-1/unsign"),
            json!({"changeMode": "USER_UNSIGN"}),
        )
        .await;
    assert_eq!(status, 200);
    let (status, _) = fx
        .op_post(
            &format!("/sandbox/contracts/{DIRECT}/C-U-2/unsign"),
            json!({"changeMode": "PLATFORM_UNSIGN"}),
        )
        .await;
    assert_eq!(status, 200);
    let (status, body) = fx
        .op_post(
            &format!("/sandbox/contracts/{DIRECT}/C-U-2/unsign"),
            json!({}),
        )
        .await;
    assert_eq!(status, 409, "{body}");
    let (status, _) = fx
        .op_post(
            &format!("/sandbox/contracts/{DIRECT}/C-U-1/unsign"),
            json!({"changeMode": "MERC_API_UNSIGN"}),
        )
        .await;
    assert_eq!(status, 400);
    assert_eq!(
        client.query_contract("C-U-1").await.unwrap().sign_status,
        Some(SignStatus::Unsigned)
    );

    let (_, events) = fx.op_get("/sandbox/events?after=0").await;
    let unsigns: Vec<i64> = events
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["kind"] == "CONTRACT_UNSIGNED")
        .map(|e| e["seq"].as_i64().unwrap())
        .collect();
    let mut modes = Vec::new();
    for seq in unsigns {
        let (_, n) = fx
            .op_get(&format!("/sandbox/events/{seq}/notification"))
            .await;
        // Without an unsign request, the result goes to the contract's callbackUrl.
        assert_eq!(
            n["callbackUrl"],
            "https://merchant.example/hw/sign/callback"
        );
        match paysign_pas::callback::parse_notification(
            n["body"].as_str().unwrap().as_bytes(),
            &fx.sandbox_key(),
        )
        .unwrap()
        {
            Notification::Unsign(u) => modes.push(u.change_mode.unwrap()),
            other => panic!("{other:?}"),
        }
    }
    assert_eq!(modes, [ChangeMode::UserUnsign, ChangeMode::PlatformUnsign]);
    let (_, after) = fx
        .op_get(&format!(
            "/sandbox/events?after={}",
            events.as_array().unwrap().len() - 1
        ))
        .await;
    assert_eq!(after.as_array().unwrap().len(), 1);
}

#[tokio::test]
async fn a_refund_number_belongs_to_one_order() {
    let fx = Fixture::start().await;
    let client = fx.client(DIRECT);
    for no in ["A-1", "A-2"] {
        client
            .pas_prepay(&direct_prepay(no, 100), PrepayChannel::App)
            .await
            .unwrap();
        fx.act(&format!("/sandbox/orders/{DIRECT}/{no}/pay")).await;
    }
    client
        .refund(&refund_request("A-1", "RN-1", Some(10)))
        .await
        .unwrap();
    assert_eq!(
        sub_code(
            client
                .refund(&refund_request("A-2", "RN-1", Some(10)))
                .await
        ),
        SubCode::InvalidArguments
    );
    let (status, _) = fx
        .op_post(
            &format!("/sandbox/refunds/{DIRECT}/RN-1/complete"),
            json!({}),
        )
        .await;
    assert_eq!(status, 200);
    let (status, _) = fx
        .op_post(
            &format!("/sandbox/refunds/{DIRECT}/RN-1/complete"),
            json!({}),
        )
        .await;
    assert_eq!(status, 409);
    let (status, _) = fx
        .op_post(
            &format!("/sandbox/refunds/{DIRECT}/RN-404/complete"),
            json!({}),
        )
        .await;
    assert_eq!(status, 404);
}

#[tokio::test]
async fn faults_can_be_read_and_bad_plans_are_refused() {
    let fx = Fixture::start().await;
    let (status, _) = fx
        .op_post("/sandbox/faults", json!({"dropEverything": 1}))
        .await;
    assert_eq!(status, 400);
    fx.arm(json!({"tamperResponses": 2})).await;
    let (_, state) = fx.op_get("/sandbox/faults").await;
    assert_eq!(state["armed"]["tamperResponses"], 2);
    fx.arm(json!({})).await;
    let (_, state) = fx.op_get("/sandbox/faults").await;
    assert_eq!(state["armed"]["tamperResponses"], 0);
}
