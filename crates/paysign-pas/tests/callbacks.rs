//! Notifications: all four kinds, direct and service provider, signed with a real SM2 key over
//! the raw body; valid ones parse, tampered ones are refused, encrypted ones get a clear error.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

mod support;

use paysign_crypto::PrivateKey;
use paysign_pas::callback::{self, CallbackError, SUCCESS_REPLY};
use paysign_pas::model::common::{ChangeMode, DataType, OrderStatus, PaymentTool, RefundStatus};
use paysign_pas::model::{Notification, NotificationKind};
use support::*;

// Bodies shaped like the spec's examples (§5.2–§5.5), masked digits filled in.
const PAY_DIRECT: &str = r#"{"callbackId":"124070308575300049145189001","callbackTime":"2023-03-29 09:29:14","currency":"CNY","dataType":"plain","finishTime":"2023-02-23T10:02:04.000+0800","mercOrderNo":"czl00120240705001","appId":"5765880207853001","mercNo":"101321200001","orderStatus":"TRX_SUCCESS","payerAmount":10000,"payload":"example-payload","paymentTools":"AGMT","promotionAmount":0,"signType":"SM2","certNo":"120291744647139001","sysTransOrderNo":"12407030857530004914518001","totalAmount":10000}"#;
const PAY_SP: &str = r#"{"callbackId":"124070308575300049145189002","callbackTime":"2023-03-29 09:29:14","currency":"CNY","dataType":"plain","mercOrderNo":"sp-order-1","spMercNo":"102000000001","subMercNo":"103000000001","spAppId":"5765880207853002","orderStatus":"TRX_SUCCESS","payerAmount":800,"promotionAmount":200,"signType":"SM2","sysTransOrderNo":"12407030857530004914518002","totalAmount":1000,"promotionDetail":[{"promotionId":"P1","promotionType":"COUPON","promotionAmount":200,"promotionStatus":"PROMO_SUCCESS"}],"payer":{"openId":"o-1","userClientIpMatched":true}}"#;
const SIGN_DIRECT: &str = r#"{"callbackId":"124070308575300049145189003","callbackTime":"2023-08-29 09:29:14","dataType":"plain","mercContractCode":"2024020316555432001","mercNo":"101321200001","operateTime":"2023-09-01 09:01:25","signType":"SM2","certNo":"120291744647139001","contractId":"2024070914615843071097001","appId":5765880207853001,"changeMode":"USER_SIGN","planId":"1001","expireDate":"2099-12-31"}"#;
const SIGN_SP: &str = r#"{"callbackId":"124070308575300049145189004","callbackTime":"2023-08-29 09:29:14","dataType":"plain","mercContractCode":"sp-contract-1","spMercNo":"102000000001","subMercNo":"103000000001","operateTime":"2023-09-01 09:01:25","signType":"SM2","contractId":"2024070914615843071097002","changeMode":"USER_SIGN"}"#;
const UNSIGN_DIRECT: &str = r#"{"callbackId":"124070308575300049145189005","callbackTime":"2023-10-01 10:00:00","signType":"SM2","certNo":"120291744647139001","planId":"1001","mercContractCode":"2024020316555432001","contractId":"2024070914615843071097001","mercNo":"101321200001","appId":"5765880207853001","changeMode":"MERC_API_UNSIGN","operateTime":"2023-10-01 09:59:59"}"#;
const UNSIGN_SP: &str = r#"{"callbackId":"124070308575300049145189006","callbackTime":"2023-10-01 10:00:00","dataType":"plain","signType":"SM2","contractId":"2024070914615843071097002","spMercNo":"102000000001","subMercNo":"103000000001","changeMode":"USER_UNSIGN","operateTime":"2023-10-01 09:59:59"}"#;
const REFUND_DIRECT: &str = r#"{"callbackId":"124070308575300049145189007","callbackTime":"2023-10-02 10:00:00","dataType":"plain","signType":"SM2","mercRefundNo":"REFUND-1","sysRefundNo":"R1","refundAmount":1000,"payerRefundAmount":1000,"promotionRefundAmount":0,"currency":"CNY","mercNo":"101321200001","finishTime":"2023-10-02T10:00:00.000+0800","refundOrderStatus":"REFUND_SUCCESS","payload":"p"}"#;
const REFUND_SP: &str = r#"{"callbackId":"124070308575300049145189008","callbackTime":"2023-10-02 10:00:00","dataType":"plain","signType":"SM2","mercRefundNo":"REFUND-2","sysRefundNo":"R2","refundAmount":500,"payerRefundAmount":400,"promotionRefundAmount":100,"currency":"CNY","spMercNo":"102000000001","subMercNo":"103000000001","refundOrderStatus":"REFUND_FAILED"}"#;

const ALL: [(&str, NotificationKind, bool); 8] = [
    (PAY_DIRECT, NotificationKind::Payment, false),
    (PAY_SP, NotificationKind::Payment, true),
    (SIGN_DIRECT, NotificationKind::ContractSigned, false),
    (SIGN_SP, NotificationKind::ContractSigned, true),
    (UNSIGN_DIRECT, NotificationKind::Unsign, false),
    (UNSIGN_SP, NotificationKind::Unsign, true),
    (REFUND_DIRECT, NotificationKind::Refund, false),
    (REFUND_SP, NotificationKind::Refund, true),
];

fn sign(body: &str, key: &PrivateKey) -> Vec<u8> {
    paysign_crypto::sign_body(body, key).unwrap().into_bytes()
}

#[test]
fn success_reply_is_exact() {
    assert_eq!(
        SUCCESS_REPLY,
        r#"{"resultCode":"000000","resultDesc":"Success."}"#
    );
    assert_eq!(callback::REPLY_CONTENT_TYPE, "application/json");
}

#[test]
fn payment_direct_and_sp() {
    let huawei = sm2_key();
    let public = huawei.public_key();
    let n = callback::parse_payment(&sign(PAY_DIRECT, &huawei), &public).unwrap();
    assert_eq!(n.merc_order_no, "czl00120240705001");
    assert_eq!(n.order_status, OrderStatus::Success);
    assert_eq!(
        (n.total_amount, n.payer_amount, n.promotion_amount),
        (10000, Some(10000), Some(0))
    );
    assert_eq!(n.payment_tools, Some(PaymentTool::Agreement));
    assert_eq!(n.merc_no.as_deref(), Some("101321200001"));
    assert_eq!(n.header.data_type, Some(DataType::Plain));
    assert_eq!(n.header.callback_id, "124070308575300049145189001");

    let n = callback::parse_payment(&sign(PAY_SP, &huawei), &public).unwrap();
    assert_eq!(n.sp_merc_no.as_deref(), Some(SP_MERC_NO));
    assert_eq!(n.sub_merc_no.as_deref(), Some(SUB_MERC_NO));
    assert_eq!(n.merc_no, None);
    assert_eq!(
        n.promotion_detail.as_ref().unwrap()[0].promotion_amount,
        Some(200)
    );
    assert_eq!(n.payer.as_ref().unwrap().user_client_ip_matched, Some(true));
}

#[test]
fn contract_signed_direct_and_sp() {
    let huawei = sm2_key();
    let public = huawei.public_key();
    let n = callback::parse_contract_signed(&sign(SIGN_DIRECT, &huawei), &public).unwrap();
    assert_eq!(n.contract_id, "2024070914615843071097001");
    assert_eq!(
        n.app_id.as_deref(),
        Some("5765880207853001"),
        "a bare-number appId is read as text"
    );
    assert_eq!(n.change_mode, Some(ChangeMode::UserSign));
    assert_eq!(n.merc_contract_code.as_deref(), Some("2024020316555432001"));
    let n = callback::parse_contract_signed(&sign(SIGN_SP, &huawei), &public).unwrap();
    assert_eq!(n.sp_merc_no.as_deref(), Some(SP_MERC_NO));
    assert_eq!(n.contract_id, "2024070914615843071097002");
}

#[test]
fn unsign_direct_and_sp() {
    let huawei = sm2_key();
    let public = huawei.public_key();
    let n = callback::parse_unsign(&sign(UNSIGN_DIRECT, &huawei), &public).unwrap();
    assert_eq!(n.change_mode, Some(ChangeMode::MerchantApiUnsign));
    assert_eq!(
        n.header.data_type, None,
        "dataType is optional on unsign notifications"
    );
    let n = callback::parse_unsign(&sign(UNSIGN_SP, &huawei), &public).unwrap();
    assert_eq!(n.change_mode, Some(ChangeMode::UserUnsign));
    assert_eq!(n.sub_merc_no.as_deref(), Some(SUB_MERC_NO));
}

#[test]
fn refund_direct_and_sp() {
    let huawei = sm2_key();
    let public = huawei.public_key();
    let n = callback::parse_refund(&sign(REFUND_DIRECT, &huawei), &public).unwrap();
    assert_eq!(n.merc_refund_no, "REFUND-1");
    assert_eq!(n.refund_order_status, RefundStatus::Success);
    assert_eq!(n.refund_amount, 1000);
    let n = callback::parse_refund(&sign(REFUND_SP, &huawei), &public).unwrap();
    assert_eq!(n.refund_order_status, RefundStatus::Failed);
    assert_eq!(
        (
            n.refund_amount,
            n.payer_refund_amount,
            n.promotion_refund_amount
        ),
        (500, Some(400), Some(100))
    );
}

#[test]
fn parse_notification_tells_the_kind() {
    let huawei = sm2_key();
    let public = huawei.public_key();
    for (body, kind, _) in ALL {
        let n = callback::parse_notification(&sign(body, &huawei), &public).unwrap();
        assert_eq!(n.kind(), kind, "{body}");
        assert!(n.callback_id().starts_with("1240703085753000491451890"));
    }
    let n = callback::parse_notification(&sign(REFUND_SP, &huawei), &public).unwrap();
    assert!(matches!(n, Notification::Refund(r) if r.merc_refund_no == "REFUND-2"));
}

#[test]
fn every_tampered_notification_is_refused() {
    let huawei = sm2_key();
    let public = huawei.public_key();
    for (body, _, _) in ALL {
        let signed = String::from_utf8(sign(body, &huawei)).unwrap();
        let mut tampers = vec![
            // A changed value.
            signed.replacen("\"callbackTime\":\"20", "\"callbackTime\":\"19", 1),
            // A field added after signing (raw fields all count).
            signed.replacen('{', "{\"extra\":\"x\",", 1),
        ];
        // A removed field.
        let mut map: serde_json::Map<String, serde_json::Value> =
            serde_json::from_str(&signed).unwrap();
        map.remove("callbackId");
        tampers.push(serde_json::to_string(&map).unwrap());
        for amount in [
            "\"totalAmount\":10000",
            "\"refundAmount\":1000",
            "\"refundAmount\":500",
            "\"totalAmount\":1000",
        ] {
            if signed.contains(amount) {
                tampers.push(signed.replacen(amount, &format!("{amount}1"), 1));
            }
        }
        for t in tampers {
            assert_ne!(t, signed);
            let err = callback::parse_notification(t.as_bytes(), &public).unwrap_err();
            assert_eq!(err, CallbackError::BadSignature, "{t}");
        }
        // Signed by someone else.
        let err = callback::parse_notification(&sign(body, &sm2_key()), &public).unwrap_err();
        assert_eq!(err, CallbackError::BadSignature);
    }
}

#[test]
fn fields_huawei_adds_later_are_covered_and_tolerated() {
    let huawei = sm2_key();
    let public = huawei.public_key();
    let with_new = PAY_DIRECT.replacen('{', r#"{"newField":"v","newObject":{"b":1,"a":"x"},"#, 1);
    let n = callback::parse_payment(&sign(&with_new, &huawei), &public).unwrap();
    assert_eq!(n.total_amount, 10000);
}

#[test]
fn unsigned_unknown_and_rsa_typed_notifications_are_refused() {
    let huawei = sm2_key();
    let public = huawei.public_key();
    assert_eq!(
        callback::parse_payment(PAY_DIRECT.as_bytes(), &public).unwrap_err(),
        CallbackError::MissingSign
    );
    let rsa = PAY_DIRECT.replace("\"signType\":\"SM2\"", "\"signType\":\"RSA\"");
    assert_eq!(
        callback::parse_payment(&sign(&rsa, &huawei), &public).unwrap_err(),
        CallbackError::UnsupportedSignType("RSA".to_owned())
    );
    assert_eq!(
        callback::parse_payment(b"\xff\xfe", &public).unwrap_err(),
        CallbackError::NotUtf8
    );
    assert!(matches!(
        callback::parse_payment(b"[1,2]", &public).unwrap_err(),
        CallbackError::NotJson(_)
    ));
    let neither = r#"{"callbackId":"1","dataType":"plain","signType":"SM2"}"#;
    assert!(matches!(
        callback::parse_notification(&sign(neither, &huawei), &public).unwrap_err(),
        CallbackError::WrongShape { expected: None, .. }
    ));
}

#[test]
fn a_notification_of_another_kind_is_a_wrong_shape() {
    let huawei = sm2_key();
    let public = huawei.public_key();
    let err = callback::parse_payment(&sign(REFUND_DIRECT, &huawei), &public).unwrap_err();
    assert!(
        matches!(
            err,
            CallbackError::WrongShape {
                expected: Some(NotificationKind::Payment),
                ..
            }
        ),
        "{err:?}"
    );
}

#[test]
fn encrypted_notifications_get_a_clear_error() {
    let huawei = sm2_key();
    let public = huawei.public_key();
    for (body, _, _) in ALL {
        let encrypted = if body.contains("\"dataType\":\"plain\"") {
            body.replace("\"dataType\":\"plain\"", "\"dataType\":\"encrypt\"")
        } else {
            body.replacen('{', "{\"dataType\":\"encrypt\",", 1)
        };
        let err = callback::parse_notification(&sign(&encrypted, &huawei), &public).unwrap_err();
        assert_eq!(err, CallbackError::EncryptedNotSupported);
        assert!(err.to_string().contains("dataType=encrypt"));
    }
}

#[test]
fn sign_message_makes_what_parse_accepts() {
    // What a simulator uses to send notifications: typed → signed JSON → parsed back equal.
    let huawei = sm2_key();
    let public = huawei.public_key();
    let n = callback::parse_payment(&sign(PAY_SP, &huawei), &public).unwrap();
    let resent = paysign_pas::simulator::sign_message(&n, &huawei).unwrap();
    let mut back = callback::parse_payment(resent.as_bytes(), &public).unwrap();
    assert_ne!(back.header.sign, n.header.sign, "signed afresh");
    back.header.sign.clone_from(&n.header.sign);
    assert_eq!(back, n);
}

/// Replaces (or with `None` removes) `changeMode` in a notification body.
fn with_change_mode(body: &str, mode: Option<&str>) -> String {
    let mut v: serde_json::Value = serde_json::from_str(body).unwrap();
    match mode {
        Some(m) => v["changeMode"] = serde_json::json!(m),
        None => {
            v.as_object_mut().unwrap().remove("changeMode");
        }
    }
    v.to_string()
}

#[test]
fn an_unsign_or_unknown_change_mode_is_never_a_signing() {
    let huawei = sm2_key();
    let public = huawei.public_key();
    for base in [SIGN_DIRECT, SIGN_SP] {
        // USER_SIGN and no changeMode (the documented example has none) are signings.
        for mode in [Some("USER_SIGN"), None] {
            let body = sign(&with_change_mode(base, mode), &huawei);
            assert!(
                callback::parse_contract_signed(&body, &public).is_ok(),
                "{mode:?}"
            );
            assert_eq!(
                callback::parse_notification(&body, &public).unwrap().kind(),
                NotificationKind::ContractSigned
            );
        }
        for mode in ["USER_UNSIGN", "MERC_API_UNSIGN", "PLATFORM_UNSIGN"] {
            let body = sign(&with_change_mode(base, Some(mode)), &huawei);
            assert_eq!(
                callback::parse_contract_signed(&body, &public).unwrap_err(),
                CallbackError::UnexpectedChangeMode {
                    expected: Some(NotificationKind::ContractSigned),
                    change_mode: mode.to_owned()
                }
            );
            assert_eq!(
                callback::parse_notification(&body, &public).unwrap().kind(),
                NotificationKind::Unsign,
                "{mode}"
            );
        }
        for mode in ["USER_SIGN_V2", "user_sign", ""] {
            let body = sign(&with_change_mode(base, Some(mode)), &huawei);
            assert!(
                matches!(
                    callback::parse_contract_signed(&body, &public),
                    Err(CallbackError::UnexpectedChangeMode { .. })
                ),
                "{mode:?}"
            );
            assert!(
                matches!(
                    callback::parse_notification(&body, &public),
                    Err(CallbackError::UnexpectedChangeMode { expected: None, .. })
                ),
                "{mode:?}"
            );
            assert!(callback::parse_unsign(&body, &public).is_err(), "{mode:?}");
        }
    }
}

#[test]
fn a_signing_mode_is_never_an_unsign() {
    let huawei = sm2_key();
    let public = huawei.public_key();
    for base in [UNSIGN_DIRECT, UNSIGN_SP] {
        let body = sign(&with_change_mode(base, Some("USER_SIGN")), &huawei);
        assert_eq!(
            callback::parse_unsign(&body, &public).unwrap_err(),
            CallbackError::UnexpectedChangeMode {
                expected: Some(NotificationKind::Unsign),
                change_mode: "USER_SIGN".to_owned()
            }
        );
    }
}

#[test]
fn oversized_notifications_are_refused_before_verification() {
    let huawei = sm2_key();
    let public = huawei.public_key();
    let mut v: serde_json::Value = serde_json::from_str(PAY_DIRECT).unwrap();
    // Validly signed by Huawei's key, but past the cap: refused all the same.
    v["payload"] = serde_json::json!("x".repeat(callback::MAX_CALLBACK_BODY_BYTES));
    let body = sign(&v.to_string(), &huawei);
    assert!(body.len() > callback::MAX_CALLBACK_BODY_BYTES);
    assert_eq!(
        callback::parse_payment(&body, &public).unwrap_err(),
        CallbackError::TooLarge
    );
    assert_eq!(
        callback::parse_notification(&body, &public).unwrap_err(),
        CallbackError::TooLarge
    );
    // Just under the cap is read.
    let small = PAY_DIRECT.len() + 200;
    v["payload"] = serde_json::json!("x".repeat(callback::MAX_CALLBACK_BODY_BYTES - small));
    let body = sign(&v.to_string(), &huawei);
    assert!(
        body.len() <= callback::MAX_CALLBACK_BODY_BYTES,
        "{}",
        body.len()
    );
    assert!(callback::parse_payment(&body, &public).is_ok());
}

// A withholding debit's result (spec §4.13): a payment's fields, no contractId, may fail.
const WITHHOLD_DIRECT: &str = r#"{"callbackId":"124070308575300049145189009","callbackTime":"2023-11-01 10:00:00","dataType":"plain","signType":"SM2","mercNo":"101321200001","appId":"5765880207853001","sysTransOrderNo":"12407030857530004914518009","mercOrderNo":"debit-2023-11","orderStatus":"TRX_FAILED","currency":"CNY","totalAmount":1500,"payerAmount":0,"promotionAmount":0}"#;
const WITHHOLD_SP: &str = r#"{"callbackId":"124070308575300049145189010","callbackTime":"2023-11-01 10:00:00","dataType":"plain","signType":"SM2","spMercNo":"102000000001","subMercNo":"103000000001","spAppId":"5765880207853002","sysTransOrderNo":"12407030857530004914518010","mercOrderNo":"sp-debit-1","orderStatus":"TRX_SUCCESS","currency":"CNY","totalAmount":1500,"payerAmount":1500,"promotionAmount":0,"finishTime":"2023-11-01T10:00:00.000+0800","paymentTools":"ACCT","payload":"month 11"}"#;

#[test]
fn withholding_results_direct_and_sp() {
    let huawei = sm2_key();
    let public = huawei.public_key();
    let n = callback::parse_withhold(&sign(WITHHOLD_DIRECT, &huawei), &public).unwrap();
    assert_eq!(n.merc_order_no, "debit-2023-11");
    assert_eq!(n.order_status, OrderStatus::Failed);
    assert_eq!((n.total_amount, n.payer_amount), (1500, Some(0)));
    assert_eq!(n.merc_no.as_deref(), Some("101321200001"));
    let n = callback::parse_withhold(&sign(WITHHOLD_SP, &huawei), &public).unwrap();
    assert_eq!(n.order_status, OrderStatus::Success);
    assert_eq!(n.sub_merc_no.as_deref(), Some("103000000001"));
    assert_eq!(n.payment_tools, Some(PaymentTool::Account));
    assert_eq!(n.payload.as_deref(), Some("month 11"));
    // One URL for payments and debits: the kind is "payment"; the merchant's own mercOrderNo
    // says which.
    assert_eq!(
        callback::parse_notification(&sign(WITHHOLD_SP, &huawei), &public)
            .unwrap()
            .kind(),
        NotificationKind::Payment
    );
    // Tampered amount: refused.
    let forged = String::from_utf8(sign(WITHHOLD_DIRECT, &huawei))
        .unwrap()
        .replace("\"totalAmount\":1500", "\"totalAmount\":1");
    assert_eq!(
        callback::parse_withhold(forged.as_bytes(), &public).unwrap_err(),
        CallbackError::BadSignature
    );
}
