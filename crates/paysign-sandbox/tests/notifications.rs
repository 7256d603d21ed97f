//! The four notifications (payment, contract signed, unsign, refund) for both merchant models,
//! as the sandbox signs them, parsed and verified by paysign-pas's callback handling — valid,
//! tampered, signed by another key, and marked encrypted.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

mod common;

use common::*;
use paysign_crypto::PrivateKey;
use paysign_pas::callback::{self, CallbackError};
use paysign_pas::client::PasClient;
use paysign_pas::endpoints::PrepayChannel;
use paysign_pas::model::{
    ChangeMode, DataType, Notification, NotificationKind, OrderStatus, PartnerUnsignRequest,
    RefundStatus, UnsignRequest,
};
use serde_json::{json, Value};

/// The events of one pay, sign, refund and unsign, with the notification of each.
async fn run_flow(
    fx: &Fixture,
    client: &PasClient,
    merc_no: &str,
    order_no: &str,
) -> Vec<(Value, Value)> {
    if merc_no == SP {
        client
            .partner_pas_prepay(&sp_prepay(order_no, 880), PrepayChannel::App)
            .await
            .unwrap();
    } else {
        client
            .pas_prepay(&direct_prepay(order_no, 880), PrepayChannel::App)
            .await
            .unwrap();
    }
    fx.act(&format!("/sandbox/orders/{merc_no}/{order_no}/pay"))
        .await;
    let code = format!("C-{order_no}");
    let contract = fx
        .act(&format!("/sandbox/contracts/{merc_no}/{code}/sign"))
        .await;
    let contract_id = contract["contractId"].as_str().unwrap().to_owned();
    client
        .refund(&refund_request(order_no, "RF-1", Some(80)))
        .await
        .unwrap();
    fx.act(&format!("/sandbox/refunds/{merc_no}/RF-1/complete"))
        .await;
    if merc_no == SP {
        client
            .partner_unsign(&PartnerUnsignRequest {
                contract_id: Some(contract_id),
                merc_contract_code: None,
                sp_merc_no: SP.to_owned(),
                sub_merc_no: SUB.to_owned(),
                callback_url: Some("https://merchant.example/hw/unsign".to_owned()),
            })
            .await
            .unwrap();
    } else {
        client
            .unsign(&UnsignRequest {
                contract_id: Some(contract_id),
                merc_contract_code: None,
                merc_no: DIRECT.to_owned(),
                callback_url: Some("https://merchant.example/hw/unsign".to_owned()),
            })
            .await
            .unwrap();
    }
    let (_, events) = fx.op_get("/sandbox/events").await;
    let mut out = Vec::new();
    for e in events.as_array().unwrap() {
        let (status, n) = fx
            .op_get(&format!("/sandbox/events/{}/notification", e["seq"]))
            .await;
        assert_eq!(status, 200, "{n}");
        out.push((e.clone(), n));
    }
    out
}

fn body(n: &Value) -> &[u8] {
    n["body"].as_str().unwrap().as_bytes()
}

async fn all_four_kinds(merc_no: &str) {
    let fx = Fixture::start().await;
    let client = fx.client(merc_no);
    let key = fx.sandbox_key();
    let flow = run_flow(&fx, &client, merc_no, "N-1").await;
    let kinds: Vec<&str> = flow
        .iter()
        .map(|(_, n)| n["kind"].as_str().unwrap())
        .collect();
    assert_eq!(kinds, ["PAYMENT", "CONTRACT_SIGNED", "REFUND", "UNSIGN"]);
    let sp = merc_no == SP;

    for (event, n) in &flow {
        let parsed = callback::parse_notification(body(n), &key).unwrap();
        assert_eq!(parsed.callback_id(), n["callbackId"].as_str().unwrap());
        // The same event gives the same callbackId (it is what a merchant de-duplicates on).
        let (_, again) = fx
            .op_get(&format!("/sandbox/events/{}/notification", event["seq"]))
            .await;
        assert_eq!(again["callbackId"], n["callbackId"]);
        match parsed {
            Notification::Payment(p) => {
                assert_eq!(n["callbackUrl"], "https://merchant.example/hw/pay/callback");
                assert_eq!(p.merc_order_no, "N-1");
                assert_eq!(p.order_status, OrderStatus::Success);
                assert_eq!(
                    (p.total_amount, p.payer_amount, p.promotion_amount),
                    (880, Some(880), Some(0))
                );
                assert_eq!(p.header.data_type, Some(DataType::Plain));
                assert_eq!(p.header.sign_type.as_deref(), Some("SM2"));
                assert_eq!(p.payload.as_deref(), Some("payload-N-1"));
                if sp {
                    assert_eq!(
                        (p.sp_merc_no.as_deref(), p.sub_merc_no.as_deref()),
                        (Some(SP), Some(SUB))
                    );
                    assert_eq!(p.sp_app_id.as_deref(), Some(SP_APP));
                    assert!(p.merc_no.is_none() && p.app_id.is_none());
                } else {
                    assert_eq!(
                        (p.merc_no.as_deref(), p.app_id.as_deref()),
                        (Some(DIRECT), Some(DIRECT_APP))
                    );
                }
                // The typed parser for this kind agrees.
                assert_eq!(
                    callback::parse_payment(body(n), &key)
                        .unwrap()
                        .sys_trans_order_no,
                    p.sys_trans_order_no
                );
            }
            Notification::ContractSigned(c) => {
                assert_eq!(
                    n["callbackUrl"],
                    "https://merchant.example/hw/sign/callback"
                );
                assert_eq!(c.merc_contract_code.as_deref(), Some("C-N-1"));
                assert_eq!(c.change_mode, Some(ChangeMode::UserSign));
                assert_eq!(c.operate_time.len(), 19);
                if sp {
                    assert_eq!(
                        (c.sp_merc_no.as_deref(), c.sub_merc_no.as_deref()),
                        (Some(SP), Some(SUB))
                    );
                } else {
                    assert_eq!(c.merc_no.as_deref(), Some(DIRECT));
                }
                let (_, stored) = fx
                    .op_get(&format!("/sandbox/contracts/{merc_no}/C-N-1"))
                    .await;
                assert_eq!(stored["contractId"].as_str(), Some(c.contract_id.as_str()));
                assert!(callback::parse_contract_signed(body(n), &key).is_ok());
            }
            Notification::Refund(r) => {
                assert_eq!(
                    n["callbackUrl"],
                    "https://merchant.example/hw/refund/callback"
                );
                assert_eq!(r.merc_refund_no, "RF-1");
                assert_eq!(r.refund_order_status, RefundStatus::Success);
                assert_eq!(r.refund_amount, 80);
                if sp {
                    assert_eq!(r.sub_merc_no.as_deref(), Some(SUB));
                } else {
                    assert_eq!(r.merc_no.as_deref(), Some(DIRECT));
                }
                assert!(callback::parse_refund(body(n), &key).is_ok());
            }
            Notification::Unsign(u) => {
                assert_eq!(n["callbackUrl"], "https://merchant.example/hw/unsign");
                assert_eq!(u.change_mode, Some(ChangeMode::MerchantApiUnsign));
                assert_eq!(u.merc_contract_code.as_deref(), Some("C-N-1"));
                assert!(callback::parse_unsign(body(n), &key).is_ok());
            }
        }
    }

    // Tampered: any field changed after signing.
    for (_, n) in &flow {
        let mut v: serde_json::Map<String, Value> = serde_json::from_slice(body(n)).unwrap();
        let field = if v.contains_key("totalAmount") {
            "totalAmount"
        } else if v.contains_key("refundAmount") {
            "refundAmount"
        } else {
            "contractId"
        };
        let changed = match &v[field] {
            Value::Number(x) => json!(x.as_i64().unwrap() + 1),
            Value::String(s) => json!(format!("{s}9")),
            other => panic!("{other}"),
        };
        v.insert(field.to_owned(), changed);
        let tampered = serde_json::to_vec(&v).unwrap();
        assert_eq!(
            callback::parse_notification(&tampered, &key),
            Err(CallbackError::BadSignature),
            "{field}"
        );
        // Signed by someone else.
        let other = PrivateKey::generate_sm2().unwrap().public_key();
        assert_eq!(
            callback::parse_notification(body(n), &other),
            Err(CallbackError::BadSignature)
        );
        // Parsed as the wrong kind.
        let kind = callback::parse_notification(body(n), &key).unwrap().kind();
        if kind != NotificationKind::Payment {
            assert!(matches!(
                callback::parse_payment(body(n), &key),
                Err(CallbackError::WrongShape { .. })
            ));
        }
    }
}

#[tokio::test]
async fn direct_notifications_of_all_four_kinds_verify_and_parse() {
    all_four_kinds(DIRECT).await;
}

#[tokio::test]
async fn service_provider_notifications_of_all_four_kinds_verify_and_parse() {
    all_four_kinds(SP).await;
}

#[tokio::test]
async fn encrypted_notifications_are_refused_clearly() {
    let fx = Fixture::start().await;
    let client = fx.client(DIRECT);
    client
        .pas_prepay(&direct_prepay("E-1", 10), PrepayChannel::App)
        .await
        .unwrap();
    fx.act(&format!("/sandbox/orders/{DIRECT}/E-1/pay")).await;
    let (status, n) = fx
        .op_get("/sandbox/events/1/notification?dataType=encrypt")
        .await;
    assert_eq!(status, 200);
    assert_eq!(
        callback::parse_notification(body(&n), &fx.sandbox_key()),
        Err(CallbackError::EncryptedNotSupported)
    );
    assert_eq!(
        callback::SUCCESS_REPLY,
        r#"{"resultCode":"000000","resultDesc":"Success."}"#
    );
}

#[tokio::test]
async fn failed_and_expired_payments_send_nothing() {
    let fx = Fixture::start().await;
    let client = fx.client(SP);
    client
        .partner_pas_prepay(&sp_prepay("E-F", 10), PrepayChannel::App)
        .await
        .unwrap();
    client
        .partner_pas_prepay(&sp_prepay("E-X", 10), PrepayChannel::App)
        .await
        .unwrap();
    fx.act(&format!("/sandbox/orders/{SP}/E-F/fail")).await;
    fx.act(&format!("/sandbox/orders/{SP}/E-X/expire")).await;
    for seq in [1, 2] {
        let (status, body) = fx
            .op_get(&format!("/sandbox/events/{seq}/notification"))
            .await;
        assert_eq!(status, 404, "{body}");
    }
    let (status, _) = fx.op_get("/sandbox/events/99/notification").await;
    assert_eq!(status, 404);
}

#[tokio::test]
async fn events_are_published_live_for_the_callback_dispatcher() {
    let fx = Fixture::start().await;
    let mut events = fx.sandbox.subscribe();
    let client = fx.client(DIRECT);
    client
        .pas_prepay(&direct_prepay("L-1", 10), PrepayChannel::App)
        .await
        .unwrap();
    fx.act(&format!("/sandbox/orders/{DIRECT}/L-1/pay")).await;
    fx.act(&format!("/sandbox/contracts/{DIRECT}/C-L-1/sign"))
        .await;
    let paid = events.recv().await.unwrap();
    assert_eq!(
        (paid.kind.as_str(), paid.key.as_str()),
        ("ORDER_PAID", "L-1")
    );
    let signed = events.recv().await.unwrap();
    assert_eq!(
        (signed.kind.as_str(), signed.key.as_str()),
        ("CONTRACT_SIGNED", "C-L-1")
    );
    assert_eq!(signed.seq, paid.seq + 1);
}
