//! paysign-pas's client against a running sandbox over loopback HTTP: every API for both
//! merchant models, the state each leaves, and every business error the sandbox produces.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

mod common;

use common::*;
use paysign_pas::auth::{HttpMethod, MerchantSigner};
use paysign_pas::bill::BillTradeStatus;
use paysign_pas::client::PasClient;
use paysign_pas::codes::{ResultCode, SubCode};
use paysign_pas::endpoints::{self as ep, PrepayChannel};
use paysign_pas::error::PasError;
use paysign_pas::model::{
    AllocationType, OrderStatus, PartnerUnsignRequest, RefundStatus, SignStatus, UnsignRequest,
};
use paysign_sandbox::clock;
use serde_json::json;

const MINUTE: i64 = 60_000;

// ------------------------------------------------------------------ pre-order, query, sign, unsign

#[tokio::test]
async fn direct_pay_and_sign_then_query_and_unsign() {
    let fx = Fixture::start().await;
    let client = fx.client(DIRECT);
    let created = client
        .pas_prepay(&direct_prepay("D-1", 1999), PrepayChannel::App)
        .await
        .unwrap();
    assert_eq!(created.merc_order_no.as_deref(), Some("D-1"));
    assert_eq!(created.prepay_id.len(), 26);

    let q = client.query_order("D-1").await.unwrap();
    assert_eq!(q.order_status, OrderStatus::Applied);
    assert_eq!((q.total_amount, q.currency.as_str()), (1999, "CNY"));
    assert_eq!(q.merc_no.as_deref(), Some(DIRECT));
    assert_eq!(q.app_id.as_deref(), Some(DIRECT_APP));
    assert_eq!(q.payload.as_deref(), Some("payload-D-1"));
    assert!(q.finish_time.is_none() && q.payer_amount.is_none());

    // Not signed yet: Payment Kit knows no contract by that code.
    assert_eq!(
        sub_code(client.query_contract("C-D-1").await),
        SubCode::CheckContractStatus
    );

    fx.act(&format!("/sandbox/orders/{DIRECT}/D-1/pay")).await;
    let q = client.query_order("D-1").await.unwrap();
    assert_eq!(q.order_status, OrderStatus::Success);
    assert_eq!(q.payer_amount, Some(1999));
    assert!(clock::parse_iso(q.finish_time.as_deref().unwrap()).is_some());

    let signed = fx
        .act(&format!("/sandbox/contracts/{DIRECT}/C-D-1/sign"))
        .await;
    let contract_id = signed["contractId"].as_str().unwrap().to_owned();
    let k = client.query_contract("C-D-1").await.unwrap();
    assert_eq!(k.sign_status, Some(SignStatus::Signed));
    assert_eq!(k.contract_id.as_deref(), Some(contract_id.as_str()));
    assert_eq!(k.plan_id.as_deref(), Some(DIRECT_PLAN));
    assert_eq!(k.merc_no.as_deref(), Some(DIRECT));
    assert_eq!(k.signed_time.as_deref().map(str::len), Some(19));

    let unsigned = client
        .unsign(&UnsignRequest {
            contract_id: None,
            merc_contract_code: Some("C-D-1".to_owned()),
            merc_no: DIRECT.to_owned(),
            callback_url: Some("https://merchant.example/hw/unsign".to_owned()),
        })
        .await
        .unwrap();
    assert_eq!(unsigned.merc_contract_code.as_deref(), Some("C-D-1"));
    assert_eq!(unsigned.plan_id.as_deref(), Some(DIRECT_PLAN));
    assert_eq!(unsigned.merc_no.as_deref(), Some(DIRECT));
    let k = client.query_contract("C-D-1").await.unwrap();
    assert_eq!(k.sign_status, Some(SignStatus::Unsigned));

    // Only a signed contract can be ended.
    let again = client
        .unsign(&UnsignRequest {
            contract_id: Some(contract_id),
            merc_contract_code: None,
            merc_no: DIRECT.to_owned(),
            callback_url: None,
        })
        .await;
    assert_eq!(sub_code(again), SubCode::CheckContractStatus);
}

#[tokio::test]
async fn direct_atomic_service_pre_order_uses_the_fa_path() {
    let fx = Fixture::start().await;
    let client = fx.client(DIRECT);
    client
        .pas_prepay(&direct_prepay("D-FA", 100), PrepayChannel::AtomicService)
        .await
        .unwrap();
    let (_, order) = fx.op_get(&format!("/sandbox/orders/{DIRECT}/D-FA")).await;
    assert_eq!(order["channel"], "fa");
}

#[tokio::test]
async fn service_provider_pay_and_sign_then_query_and_unsign() {
    let fx = Fixture::start().await;
    let client = fx.client(SP);
    let created = client
        .partner_pas_prepay(&sp_prepay("S-1", 4200), PrepayChannel::App)
        .await
        .unwrap();
    assert_eq!(created.merc_order_no.as_deref(), Some("S-1"));
    client
        .partner_pas_prepay(&sp_prepay("S-FA", 10), PrepayChannel::AtomicService)
        .await
        .unwrap();

    let q = client.query_order("S-1").await.unwrap();
    assert_eq!(q.order_status, OrderStatus::Applied);
    assert_eq!(q.sp_merc_no.as_deref(), Some(SP));
    assert_eq!(q.sub_merc_no.as_deref(), Some(SUB));
    assert_eq!(q.sp_app_id.as_deref(), Some(SP_APP));
    assert_eq!(q.sub_app_id.as_deref(), Some(SUB_APP));
    assert!(q.merc_no.is_none());

    fx.act(&format!("/sandbox/orders/{SP}/S-1/pay")).await;
    assert_eq!(
        client.query_order("S-1").await.unwrap().order_status,
        OrderStatus::Success
    );
    let signed = fx.act(&format!("/sandbox/contracts/{SP}/C-S-1/sign")).await;
    let contract_id = signed["contractId"].as_str().unwrap().to_owned();
    let k = client.query_contract("C-S-1").await.unwrap();
    assert_eq!(k.sign_status, Some(SignStatus::Signed));
    assert_eq!(k.sp_merc_no.as_deref(), Some(SP));
    assert_eq!(k.sub_merc_no.as_deref(), Some(SUB));

    // Another sub-merchant of the provider cannot end this sub-merchant's contract.
    let wrong_sub = client
        .partner_unsign(&PartnerUnsignRequest {
            contract_id: Some(contract_id.clone()),
            merc_contract_code: None,
            sp_merc_no: SP.to_owned(),
            sub_merc_no: OTHER_SUB.to_owned(),
            callback_url: None,
        })
        .await;
    assert_eq!(sub_code(wrong_sub), SubCode::CustNotExist);

    let unsigned = client
        .partner_unsign(&PartnerUnsignRequest {
            contract_id: Some(contract_id),
            merc_contract_code: None,
            sp_merc_no: SP.to_owned(),
            sub_merc_no: SUB.to_owned(),
            callback_url: None,
        })
        .await
        .unwrap();
    assert_eq!(unsigned.sp_merc_no.as_deref(), Some(SP));
    assert_eq!(unsigned.sub_merc_no.as_deref(), Some(SUB));
    assert_eq!(unsigned.merc_contract_code.as_deref(), Some("C-S-1"));
    assert_eq!(
        client.query_contract("C-S-1").await.unwrap().sign_status,
        Some(SignStatus::Unsigned)
    );
}

// ------------------------------------------------------------------ refunds

async fn refund_rules(fx: &Fixture, client: &PasClient, merc_no: &str, order_no: &str) {
    fx.act(&format!("/sandbox/orders/{merc_no}/{order_no}/pay"))
        .await;

    let first = client
        .refund(&refund_request(order_no, "R-1", Some(300)))
        .await
        .unwrap();
    assert_eq!(first.refund_amount, Some(300));
    assert_eq!(first.merc_order_no.as_deref(), Some(order_no));
    let q = client.query_refund("R-1").await.unwrap();
    assert_eq!(q.refund_order_status, RefundStatus::Processing);
    assert_eq!(q.refund_amount, Some(300));

    // The same mercRefundOrderNo again: the same refund, never a second one.
    let repeat = client
        .refund(&refund_request(order_no, "R-1", Some(300)))
        .await
        .unwrap();
    assert_eq!(repeat.sys_refund_order_no, first.sys_refund_order_no);

    // A second refund of the order within a minute.
    let soon = client
        .refund(&refund_request(order_no, "R-2", Some(300)))
        .await;
    assert_eq!(sub_code(soon), SubCode::OrderConcurrentError);

    fx.advance_clock(MINUTE + 1_000).await;
    // 300 + 701 > 1000.
    let too_much = client
        .refund(&refund_request(order_no, "R-2", Some(701)))
        .await;
    assert_eq!(sub_code(too_much), SubCode::CheckAmountInvalid);
    let second = client
        .refund(&refund_request(order_no, "R-2", Some(700)))
        .await
        .unwrap();
    assert_eq!(second.refund_amount, Some(700));

    fx.act(&format!("/sandbox/refunds/{merc_no}/R-1/complete"))
        .await;
    let (status, _) = fx
        .op_post(
            &format!("/sandbox/refunds/{merc_no}/R-2/complete"),
            json!({"success": false}),
        )
        .await;
    assert_eq!(status, 200);
    let q1 = client.query_refund("R-1").await.unwrap();
    assert_eq!(q1.refund_order_status, RefundStatus::Success);
    assert!(q1.finish_time.is_some());
    assert_eq!(
        client
            .query_refund("R-2")
            .await
            .unwrap()
            .refund_order_status,
        RefundStatus::Failed
    );

    // A failed refund gives its amount back; a full refund (no amount) now exceeds what is left.
    fx.advance_clock(MINUTE + 1_000).await;
    let full = client.refund(&refund_request(order_no, "R-3", None)).await;
    assert_eq!(sub_code(full), SubCode::CheckAmountInvalid);
    let rest = client
        .refund(&refund_request(order_no, "R-3", Some(700)))
        .await
        .unwrap();
    assert_eq!(rest.refund_amount, Some(700));

    // A refund number already used for another order.
    let other = client
        .refund(&refund_request("NO-SUCH-ORDER", "R-1", Some(1)))
        .await;
    assert_eq!(sub_code(other), SubCode::MercOrderNotExist);
    assert_eq!(
        sub_code(client.query_refund("R-404").await),
        SubCode::MercOrderNotExist
    );
}

#[tokio::test]
async fn direct_refunds_are_bounded_spaced_and_idempotent() {
    let fx = Fixture::start().await;
    let client = fx.client(DIRECT);
    client
        .pas_prepay(&direct_prepay("D-R", 1000), PrepayChannel::App)
        .await
        .unwrap();
    refund_rules(&fx, &client, DIRECT, "D-R").await;
}

#[tokio::test]
async fn service_provider_refunds_are_bounded_spaced_and_idempotent() {
    let fx = Fixture::start().await;
    let client = fx.client(SP);
    client
        .partner_pas_prepay(&sp_prepay("S-R", 1000), PrepayChannel::App)
        .await
        .unwrap();
    refund_rules(&fx, &client, SP, "S-R").await;
}

#[tokio::test]
async fn refund_errors() {
    let fx = Fixture::start().await;
    let client = fx.client(DIRECT);
    client
        .pas_prepay(&direct_prepay("D-UNPAID", 500), PrepayChannel::App)
        .await
        .unwrap();
    let unpaid = client
        .refund(&refund_request("D-UNPAID", "R-U", Some(1)))
        .await;
    assert_eq!(sub_code(unpaid), SubCode::CheckOrderStatus);

    let mut by_sys_no = refund_request("D-UNPAID", "R-S", Some(1));
    by_sys_no.merc_order_no = None;
    by_sys_no.sys_trans_order_no = Some("00000000000000000000000000".to_owned());
    assert_eq!(
        sub_code(client.refund(&by_sys_no).await),
        SubCode::PayOrderNotExist
    );

    // By sysTransOrderNo, which wins over mercOrderNo.
    fx.act(&format!("/sandbox/orders/{DIRECT}/D-UNPAID/pay"))
        .await;
    let sys_no = client
        .query_order("D-UNPAID")
        .await
        .unwrap()
        .sys_trans_order_no
        .unwrap();
    by_sys_no.sys_trans_order_no = Some(sys_no);
    by_sys_no.merc_order_no = Some("IGNORED".to_owned());
    let made = client.refund(&by_sys_no).await.unwrap();
    assert_eq!(made.merc_order_no.as_deref(), Some("D-UNPAID"));

    let restricted = fx.client(RESTRICTED);
    let mut req = direct_prepay("X-1", 500);
    req.merc_no = RESTRICTED.to_owned();
    restricted
        .pas_prepay(&req, PrepayChannel::App)
        .await
        .unwrap();
    fx.act(&format!("/sandbox/orders/{RESTRICTED}/X-1/pay"))
        .await;
    let refused = restricted.refund(&refund_request("X-1", "R-X", None)).await;
    assert_eq!(sub_code(refused), SubCode::MercNotSupportRefund);
}

// ------------------------------------------------------------------ pre-order rules

#[tokio::test]
async fn direct_pre_order_business_errors() {
    let fx = Fixture::start().await;
    let client = fx.client(DIRECT);
    client
        .pas_prepay(&direct_prepay("D-DUP", 100), PrepayChannel::App)
        .await
        .unwrap();

    let dup = client
        .pas_prepay(&direct_prepay("D-DUP", 100), PrepayChannel::App)
        .await;
    assert_eq!(sub_code(dup), SubCode::CheckOrderStatus);

    let mut same_contract = direct_prepay("D-OTHER", 100);
    same_contract.order.contract_info.merc_contract_code = "C-D-DUP".to_owned();
    assert_eq!(
        sub_code(client.pas_prepay(&same_contract, PrepayChannel::App).await),
        SubCode::CheckContractStatus
    );

    let mut bad_app = direct_prepay("D-APP", 100);
    bad_app.app_id = "APP-NOT-BOUND".to_owned();
    assert_eq!(
        sub_code(client.pas_prepay(&bad_app, PrepayChannel::App).await),
        SubCode::InvalidAppId
    );

    let mut bad_merc = direct_prepay("D-MERC", 100);
    bad_merc.merc_no = RESTRICTED.to_owned();
    assert_eq!(
        sub_code(client.pas_prepay(&bad_merc, PrepayChannel::App).await),
        SubCode::InvalidMercNo
    );

    let mut bad_plan = direct_prepay("D-PLAN", 100);
    bad_plan.order.contract_info.plan_id = "PLAN-NOT-ENABLED".to_owned();
    assert_eq!(
        sub_code(client.pas_prepay(&bad_plan, PrepayChannel::App).await),
        SubCode::NoMatchMatchingProduct
    );

    let mut sharing = direct_prepay("D-ALLOC", 100);
    sharing.order.allocation_type = Some(AllocationType::DelayOrderAllocation);
    assert_eq!(
        sub_code(client.pas_prepay(&sharing, PrepayChannel::App).await),
        SubCode::NoMatchMatchingProduct
    );

    let mut past = direct_prepay("D-PAST", 100);
    past.order.expire_time = Some(clock::format_iso(now_ms() - MINUTE));
    assert_eq!(
        sub_code(client.pas_prepay(&past, PrepayChannel::App).await),
        SubCode::InvalidArguments
    );

    let mut far = direct_prepay("D-FAR", 100);
    far.order.expire_time = Some(clock::format_iso(now_ms() + 181 * 24 * 60 * MINUTE));
    assert_eq!(
        sub_code(client.pas_prepay(&far, PrepayChannel::App).await),
        SubCode::InvalidArguments
    );

    // None of the refused pre-orders left an order behind.
    let (_, orders) = fx.op_get(&format!("/sandbox/orders?mercNo={DIRECT}")).await;
    assert_eq!(orders.as_array().unwrap().len(), 1);
}

#[tokio::test]
async fn field_rules_are_checked_on_receipt() {
    // The client refuses these before sending; a merchant with another client may not.
    let fx = Fixture::start().await;
    let valid = serde_json::to_value(direct_prepay("D-F", 100)).unwrap();
    let cases: Vec<(&str, serde_json::Value)> = vec![
        ("tradeSummary", json!("x".repeat(129))),
        ("mercOrderNo", json!("n".repeat(47))),
        ("totalAmount", json!(0)),
        ("totalAmount", json!(-1)),
        ("currency", json!("USD")),
        ("callbackUrl", json!("ftp://merchant.example/cb")),
        (
            "callbackUrl",
            json!(format!("https://m.example/{}", "p".repeat(500))),
        ),
        ("payload", json!("p".repeat(256))),
        ("expireTime", json!("2030-01-01 00:00:00")),
        ("contractInfo", json!(null)),
        ("mercNo", json!("1234567890123")),
    ];
    for (field, value) in cases {
        let mut body = valid.clone();
        body[field] = value;
        let body = body.to_string();
        let answer = fx
            .raw_verified(
                DIRECT,
                HttpMethod::Post,
                ep::DIRECT_PREPAY_APP,
                &body,
                |_| Some(()),
            )
            .await;
        assert_eq!(answer["resultCode"], "400000", "{field}: {answer}");
        assert_eq!(
            raw_sub_code(&answer),
            "INVALID_ARGUMENTS",
            "{field}: {answer}"
        );
    }
    let mut long_code = valid.clone();
    long_code["contractInfo"]["mercContractCode"] = json!("c".repeat(65));
    let answer = fx
        .raw_verified(
            DIRECT,
            HttpMethod::Post,
            ep::DIRECT_PREPAY_APP,
            &long_code.to_string(),
            |_| Some(()),
        )
        .await;
    assert_eq!(raw_sub_code(&answer), "INVALID_ARGUMENTS");
    let (_, orders) = fx.op_get("/sandbox/orders").await;
    assert_eq!(orders.as_array().unwrap().len(), 0);
}

#[tokio::test]
async fn service_provider_pre_order_business_errors() {
    let fx = Fixture::start().await;
    let client = fx.client(SP);
    let mut unknown_sub = sp_prepay("S-E1", 100);
    unknown_sub.sub_merc_no = "399999999999".to_owned();
    assert_eq!(
        sub_code(
            client
                .partner_pas_prepay(&unknown_sub, PrepayChannel::App)
                .await
        ),
        SubCode::InvalidSubMercNo
    );
    let mut sub_app = sp_prepay("S-E2", 100);
    sub_app.sub_app_id = Some(DIRECT_APP.to_owned());
    assert_eq!(
        sub_code(
            client
                .partner_pas_prepay(&sub_app, PrepayChannel::App)
                .await
        ),
        SubCode::InvalidAppId
    );
    let mut sp_app = sp_prepay("S-E3", 100);
    sp_app.sp_app_id = SUB_APP.to_owned();
    assert_eq!(
        sub_code(client.partner_pas_prepay(&sp_app, PrepayChannel::App).await),
        SubCode::InvalidAppId
    );
    let mut sp_merc = sp_prepay("S-E4", 100);
    sp_merc.sp_merc_no = DIRECT.to_owned();
    assert_eq!(
        sub_code(
            client
                .partner_pas_prepay(&sp_merc, PrepayChannel::App)
                .await
        ),
        SubCode::InvalidMercNo
    );
    client
        .partner_pas_prepay(&sp_prepay("S-DUP", 100), PrepayChannel::App)
        .await
        .unwrap();
    assert_eq!(
        sub_code(
            client
                .partner_pas_prepay(&sp_prepay("S-DUP", 100), PrepayChannel::App)
                .await
        ),
        SubCode::CheckOrderStatus
    );
    // A sub app id is optional.
    let mut no_sub_app = sp_prepay("S-OK", 100);
    no_sub_app.sub_app_id = None;
    client
        .partner_pas_prepay(&no_sub_app, PrepayChannel::App)
        .await
        .unwrap();
}

#[tokio::test]
async fn a_merchant_cannot_use_the_other_models_api() {
    let fx = Fixture::start().await;
    // The SP merchant's credentials on the direct API.
    let mut config = fx.config_for(SP);
    config.model = paysign_pas::endpoints::MerchantModel::Direct;
    let client = PasClient::new(config).unwrap();
    let answer = client.query_order("ANY").await;
    match answer {
        Err(PasError::Api(api)) => {
            assert_eq!(api.result_code, ResultCode::InsufficientPermission);
            assert_eq!(api.sub_code, Some(SubCode::InsufficientPermission));
        }
        other => panic!("{other:?}"),
    }
}

#[tokio::test]
async fn queries_of_unknown_things() {
    let fx = Fixture::start().await;
    for merc_no in [DIRECT, SP] {
        let client = fx.client(merc_no);
        assert_eq!(
            sub_code(client.query_order("NOPE").await),
            SubCode::MercOrderNotExist
        );
        assert_eq!(
            sub_code(client.query_refund("NOPE").await),
            SubCode::MercOrderNotExist
        );
        assert_eq!(
            sub_code(client.query_contract("NOPE").await),
            SubCode::CheckContractStatus
        );
    }
    let direct = fx.client(DIRECT);
    let unknown = direct
        .unsign(&UnsignRequest {
            contract_id: None,
            merc_contract_code: Some("NOPE".to_owned()),
            merc_no: DIRECT.to_owned(),
            callback_url: None,
        })
        .await;
    assert_eq!(sub_code(unknown), SubCode::CustNotExist);
    let wrong_merc = direct
        .unsign(&UnsignRequest {
            contract_id: None,
            merc_contract_code: Some("NOPE".to_owned()),
            merc_no: RESTRICTED.to_owned(),
            callback_url: None,
        })
        .await;
    assert_eq!(sub_code(wrong_merc), SubCode::InvalidMercNo);
    // A pending (never signed) contract cannot be ended.
    direct
        .pas_prepay(&direct_prepay("D-P", 100), PrepayChannel::App)
        .await
        .unwrap();
    let pending = direct
        .unsign(&UnsignRequest {
            contract_id: None,
            merc_contract_code: Some("C-D-P".to_owned()),
            merc_no: DIRECT.to_owned(),
            callback_url: None,
        })
        .await;
    assert_eq!(sub_code(pending), SubCode::CheckContractStatus);
    let sp_wrong_sub = fx
        .client(SP)
        .partner_unsign(&PartnerUnsignRequest {
            contract_id: None,
            merc_contract_code: Some("NOPE".to_owned()),
            sp_merc_no: SP.to_owned(),
            sub_merc_no: "399999999999".to_owned(),
            callback_url: None,
        })
        .await;
    assert_eq!(sub_code(sp_wrong_sub), SubCode::InvalidSubMercNo);
}

// ------------------------------------------------------------------ the cashier's rules

#[tokio::test]
async fn the_cashier_follows_prepay_validity_and_order_state() {
    let fx = Fixture::start().await;
    let client = fx.client(DIRECT);
    for no in ["D-OLD", "D-FAIL", "D-EXP", "D-SIGN"] {
        client
            .pas_prepay(&direct_prepay(no, 100), PrepayChannel::App)
            .await
            .unwrap();
    }
    // Signing comes after paying in pay-and-sign.
    let (status, body) = fx
        .op_post(
            &format!("/sandbox/contracts/{DIRECT}/C-D-SIGN/sign"),
            json!({}),
        )
        .await;
    assert_eq!(status, 409, "{body}");

    let (status, _) = fx
        .op_post(&format!("/sandbox/orders/{DIRECT}/D-FAIL/fail"), json!({}))
        .await;
    assert_eq!(status, 200);
    assert_eq!(
        client.query_order("D-FAIL").await.unwrap().order_status,
        OrderStatus::Failed
    );
    let (status, _) = fx
        .op_post(&format!("/sandbox/orders/{DIRECT}/D-FAIL/pay"), json!({}))
        .await;
    assert_eq!(status, 409);

    fx.act(&format!("/sandbox/orders/{DIRECT}/D-EXP/expire"))
        .await;
    assert_eq!(
        client.query_order("D-EXP").await.unwrap().order_status,
        OrderStatus::Failed
    );

    // The prepayId is valid for 10 minutes.
    fx.advance_clock(10 * MINUTE + 1_000).await;
    let (status, body) = fx
        .op_post(&format!("/sandbox/orders/{DIRECT}/D-OLD/pay"), json!({}))
        .await;
    assert_eq!(status, 409);
    assert!(body["error"].as_str().unwrap().contains("10 minutes"));
    assert_eq!(
        client.query_order("D-OLD").await.unwrap().order_status,
        OrderStatus::Applied
    );

    let (status, _) = fx
        .op_post(&format!("/sandbox/orders/{DIRECT}/NOPE/pay"), json!({}))
        .await;
    assert_eq!(status, 404);

    let (_, events) = fx.op_get("/sandbox/events").await;
    let kinds: Vec<&str> = events
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["kind"].as_str().unwrap())
        .collect();
    assert_eq!(kinds, ["ORDER_FAILED", "ORDER_EXPIRED"]);
}

#[tokio::test]
async fn an_unpaid_order_closes_at_its_expire_time() {
    let fx = Fixture::start().await;
    let client = fx.client(DIRECT);
    let mut req = direct_prepay("D-T", 100);
    req.order.expire_time = Some(clock::format_iso(now_ms() + 30 * MINUTE));
    client.pas_prepay(&req, PrepayChannel::App).await.unwrap();
    fx.advance_clock(29 * MINUTE).await;
    assert_eq!(
        client.query_order("D-T").await.unwrap().order_status,
        OrderStatus::Applied
    );
    fx.advance_clock(2 * MINUTE).await;
    assert_eq!(
        client.query_order("D-T").await.unwrap().order_status,
        OrderStatus::Failed
    );
    let (_, order) = fx.op_get(&format!("/sandbox/orders/{DIRECT}/D-T")).await;
    assert_eq!(order["closedReason"], "EXPIRED");
}

// ------------------------------------------------------------------ bills

/// Moves the business clock to `hour`:00 Beijing time, `days` days after today; returns the
/// Beijing day it was before the move.
async fn clock_to(fx: &Fixture, days: u64, hour: u32) -> chrono::NaiveDate {
    let (_, c) = fx.op_get("/sandbox/clock").await;
    let today = clock::beijing_day(c["nowMs"].as_i64().unwrap()).unwrap();
    clock_to_day(fx, today + chrono::Days::new(days), hour).await;
    today
}

/// Moves the business clock to `hour`:00 Beijing time on `day`.
async fn clock_to_day(fx: &Fixture, day: chrono::NaiveDate, hour: u32) {
    let (_, c) = fx.op_get("/sandbox/clock").await;
    let target = clock::beijing_day_at(day, hour).unwrap();
    fx.advance_clock(target - c["nowMs"].as_i64().unwrap())
        .await;
}

fn yyyymmdd(day: chrono::NaiveDate) -> String {
    day.format("%Y%m%d").to_string()
}

async fn bills_from_own_orders(fx: &Fixture, client: &PasClient, merc_no: &str, prefix: &str) {
    fx.act(&format!("/sandbox/orders/{merc_no}/{prefix}-1/pay"))
        .await;
    fx.act(&format!("/sandbox/orders/{merc_no}/{prefix}-2/pay"))
        .await;
    client
        .refund(&refund_request(
            &format!("{prefix}-1"),
            &format!("{prefix}-R"),
            Some(234),
        ))
        .await
        .unwrap();
    fx.act(&format!("/sandbox/refunds/{merc_no}/{prefix}-R/complete"))
        .await;
    // Day D has the payments; at D+1 01:00 the trade bill exists but not yet the settle bill.
    let (_, paid) = fx
        .op_get(&format!("/sandbox/orders/{merc_no}/{prefix}-1"))
        .await;
    let day = clock::beijing_day(paid["finishMs"].as_i64().unwrap()).unwrap();
    clock_to_day(fx, day + chrono::Days::new(1), 1).await;
    let date = yyyymmdd(day);

    let rows = client.trade_bill(&date, None).await.unwrap().unwrap();
    assert_eq!(rows.len(), 3, "{rows:?}");
    let pay1 = rows
        .iter()
        .find(|r| r.merc_order_no == format!("{prefix}-1"))
        .unwrap();
    assert_eq!(pay1.trade_type, "收单");
    assert_eq!(pay1.status, BillTradeStatus::Success);
    assert_eq!((pay1.trade_amount_fen, pay1.order_amount_fen), (1234, 1234));
    assert_eq!(pay1.fee_amount_fen, 0);
    let pay2 = rows
        .iter()
        .find(|r| r.merc_order_no == format!("{prefix}-2"))
        .unwrap();
    assert_eq!(pay2.trade_amount_fen, 5);
    let refund = rows.iter().find(|r| r.trade_type == "退款").unwrap();
    assert_eq!(refund.trade_amount_fen, 234);
    assert_eq!(
        refund.orig_merc_order_no.as_deref(),
        Some(format!("{prefix}-1").as_str())
    );
    assert_eq!(refund.merc_order_no, format!("{prefix}-R"));

    let settle = client.settle_bill(&date, None).await;
    assert_eq!(sub_code(settle), SubCode::NotSettlementDate);
    clock_to(fx, 0, 16).await;
    let settled = client.settle_bill(&date, None).await.unwrap().unwrap();
    assert_eq!(settled.len(), 3);
    let net: i64 = settled.iter().map(|r| r.settle_amount_fen).sum();
    assert_eq!(net, 1234 + 5 - 234);
    assert!(settled
        .iter()
        .all(|r| r.settle_date == day.format("%Y-%m-%d").to_string()));

    // The bill of a day without business is empty, not an error.
    let earlier = yyyymmdd(day - chrono::Days::new(3));
    assert_eq!(
        client
            .trade_bill(&earlier, None)
            .await
            .unwrap()
            .unwrap()
            .len(),
        0
    );
    // Today, and 91 days ago, have no bill.
    let (_, c) = fx.op_get("/sandbox/clock").await;
    let today = clock::beijing_day(c["nowMs"].as_i64().unwrap()).unwrap();
    assert_eq!(
        sub_code(client.trade_bill(&yyyymmdd(today), None).await),
        SubCode::InvalidArguments
    );
    let old = yyyymmdd(today - chrono::Days::new(91));
    assert_eq!(
        sub_code(client.trade_bill(&old, None).await),
        SubCode::InvalidArguments
    );
}

#[tokio::test]
async fn direct_trade_and_settle_bills_come_from_the_sandboxs_orders() {
    let fx = Fixture::start().await;
    let client = fx.client(DIRECT);
    client
        .pas_prepay(&direct_prepay("DB-1", 1234), PrepayChannel::App)
        .await
        .unwrap();
    client
        .pas_prepay(&direct_prepay("DB-2", 5), PrepayChannel::App)
        .await
        .unwrap();
    client
        .pas_prepay(&direct_prepay("DB-UNPAID", 99), PrepayChannel::App)
        .await
        .unwrap();
    bills_from_own_orders(&fx, &client, DIRECT, "DB").await;
    let rows = client
        .trade_bill(
            &yyyymmdd(clock_to(&fx, 0, 10).await - chrono::Days::new(1)),
            None,
        )
        .await
        .unwrap()
        .unwrap();
    assert!(rows
        .iter()
        .all(|r| r.merc_no == DIRECT && r.partner_merc_no.is_none()));
    assert!(rows.iter().all(|r| r.app_id.as_deref() == Some(DIRECT_APP)));
}

#[tokio::test]
async fn service_provider_bills_name_the_sub_merchant_and_can_be_narrowed() {
    let fx = Fixture::start().await;
    let client = fx.client(SP);
    client
        .partner_pas_prepay(&sp_prepay("SB-1", 1234), PrepayChannel::App)
        .await
        .unwrap();
    client
        .partner_pas_prepay(&sp_prepay("SB-2", 5), PrepayChannel::App)
        .await
        .unwrap();
    bills_from_own_orders(&fx, &client, SP, "SB").await;
    let date = yyyymmdd(clock_to(&fx, 0, 10).await - chrono::Days::new(1));
    let rows = client.trade_bill(&date, Some(SUB)).await.unwrap().unwrap();
    assert_eq!(rows.len(), 3);
    assert!(rows
        .iter()
        .all(|r| r.merc_no == SUB && r.partner_merc_no.as_deref() == Some(SP)));
    assert_eq!(
        client
            .trade_bill(&date, Some(OTHER_SUB))
            .await
            .unwrap()
            .unwrap()
            .len(),
        0
    );
    assert_eq!(
        sub_code(client.trade_bill(&date, Some("399999999999")).await),
        SubCode::InvalidSubMercNo
    );
}

#[tokio::test]
async fn bill_switches_and_download_headers() {
    let fx = Fixture::start().await;
    let yesterday = yyyymmdd(clock_to(&fx, 0, 20).await - chrono::Days::new(1));
    let restricted = fx.client(RESTRICTED);
    assert_eq!(
        sub_code(restricted.trade_bill(&yesterday, None).await),
        SubCode::BillSwitchNotTurnOn
    );
    assert_eq!(
        sub_code(restricted.settle_bill(&yesterday, None).await),
        SubCode::BillSwitchNotTurnOn
    );

    let client = fx.client(DIRECT);
    let info = client
        .bill_download_info(ep::BillKind::Trade, &yesterday, None)
        .await
        .unwrap();
    let param = info.bill_download_param.unwrap();
    assert!(param.download_url.starts_with(&fx.base_url()));
    assert!(param.headers.contains_key("Authorization"));
    // With the headers given, the download works; without the credential, OBS says no.
    assert!(!client.download_bill(&param).await.unwrap().is_empty());
    let mut forged = param.clone();
    forged
        .headers
        .insert("Authorization".to_owned(), "OBS SANDBOX:guess".to_owned());
    match client.download_bill(&forged).await {
        Err(PasError::Bill(e)) => assert!(e.to_string().contains("403"), "{e}"),
        other => panic!("{other:?}"),
    }
    let mut bare = param;
    bare.headers.remove("x-amz-date");
    assert!(matches!(
        client.download_bill(&bare).await,
        Err(PasError::Bill(_))
    ));
}

// ------------------------------------------------------------------ RSA-PSS merchants

#[tokio::test]
async fn a_merchant_with_an_rsa_key_signs_with_rsa_pss() {
    let fx = Fixture::start().await;
    let pem = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/fixtures/merchant-rsa-3072.test-key.pem"
    ))
    .unwrap();
    let key = paysign_crypto::PrivateKey::from_text(&pem).unwrap();
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
    let mut req = direct_prepay("RSA-1", 100);
    req.merc_no = "103000000001".to_owned();
    client.pas_prepay(&req, PrepayChannel::App).await.unwrap();
    assert_eq!(
        client.query_order("RSA-1").await.unwrap().order_status,
        OrderStatus::Applied
    );
}

// ------------------------------------------------------------------ per-item call counts

#[tokio::test]
async fn api_calls_counts_each_merchants_calls_per_item() {
    let fx = Fixture::start().await;
    let direct = fx.client(DIRECT);
    let sp = fx.client(SP);
    direct
        .pas_prepay(&direct_prepay("N-1", 100), PrepayChannel::App)
        .await
        .unwrap();
    direct
        .pas_prepay(&direct_prepay("N-2", 100), PrepayChannel::App)
        .await
        .unwrap();
    sp.partner_pas_prepay(&sp_prepay("N-1", 100), PrepayChannel::App)
        .await
        .unwrap();
    for _ in 0..3 {
        direct.query_order("N-1").await.unwrap();
    }
    direct.query_order("N-2").await.unwrap();
    // A query about an unknown item is still a query; an unsigned contract is one too.
    assert!(direct.query_order("N-404").await.is_err());
    assert!(direct.query_contract("C-N-1").await.is_err());
    // A call that fails PayMercAuth is nobody's: not counted.
    let (status, _) = fx
        .raw(
            DIRECT,
            HttpMethod::Get,
            &ep::query_order(ep::MerchantModel::Direct, "N-1").unwrap(),
            "",
            |h| {
                h.insert("authId".to_owned(), json!("SOMEONE-ELSE"));
                Some(())
            },
        )
        .await;
    assert_eq!(status, 200);

    let (status, all) = fx
        .op_get(&format!("/sandbox/api-calls?mercNo={DIRECT}"))
        .await;
    assert_eq!(status, 200);
    let rows: Vec<(String, String, u64)> = all
        .as_array()
        .unwrap()
        .iter()
        .map(|r| {
            assert_eq!(r["mercNo"], DIRECT);
            (
                r["api"].as_str().unwrap().to_owned(),
                r["key"].as_str().unwrap().to_owned(),
                r["count"].as_u64().unwrap(),
            )
        })
        .collect();
    let row = |api: &str, key: &str, n: u64| (api.to_owned(), key.to_owned(), n);
    assert_eq!(
        rows,
        vec![
            row("prepay", "N-1", 1),
            row("prepay", "N-2", 1),
            row("queryOrder", "N-1", 3),
            row("queryOrder", "N-2", 1),
            row("queryOrder", "N-404", 1),
            row("queryContract", "C-N-1", 1),
        ]
    );
    // Filtered by API; the service provider's calls are its own.
    let (_, queries) = fx.op_get("/sandbox/api-calls?api=queryOrder").await;
    assert_eq!(queries.as_array().unwrap().len(), 3);
    let (_, sp_calls) = fx.op_get(&format!("/sandbox/api-calls?mercNo={SP}")).await;
    assert_eq!(
        sp_calls,
        json!([{"mercNo": SP, "api": "prepay", "key": "N-1", "count": 1}])
    );
}
