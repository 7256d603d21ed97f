//! The models against the spec's examples: requests serialize to the documented JSON, answers
//! parse (unknown fields tolerated, unknown states kept), codes map to their resultCode.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use paysign_pas::codes::Retry;
use paysign_pas::endpoints::{self as ep, path_segment};
use paysign_pas::model::common::{
    AllocationType, BillDownloadParam, ContractInfo, GoodDetail, OrderStatus, PayerIn,
    ResponseEnvelope, SignStatus,
};
use paysign_pas::model::*;
use paysign_pas::{
    ApiError, BillKind, MerchantModel, PasError, PrepayChannel, ResultCode, SubCode,
};
use serde_json::{json, Value};

fn spec_prepay() -> PrepayRequest {
    PrepayRequest {
        app_id: "5765880207853001".into(),
        merc_no: "101321200001".into(),
        order: PrepayOrder {
            merc_order_no: "czl00120240705001".into(),
            trade_summary: "xx商城-手机".into(),
            total_amount: 2,
            currency: Some("CNY".into()),
            goods_detail: None,
            allocation_type: None,
            callback_url: "https://www.xxxxxx.com/hw/pay/callback".into(),
            payload: Some("example-payload".into()),
            expire_time: Some("2023-03-28T17:50:12.000+0800".into()),
            contract_info: ContractInfo {
                plan_id: "1001".into(),
                merc_contract_code: "2024020316555432001".into(),
                callback_url: "https://www.xxxxxx.com/hw/sign/callback".into(),
            },
            payer: None,
        },
    }
}

#[test]
fn direct_prepay_serializes_to_the_spec_example() {
    let v = serde_json::to_value(spec_prepay()).unwrap();
    assert_eq!(
        v,
        json!({"appId":"5765880207853001","mercOrderNo":"czl00120240705001","mercNo":"101321200001","tradeSummary":"xx商城-手机",
               "totalAmount":2,"currency":"CNY","callbackUrl":"https://www.xxxxxx.com/hw/pay/callback","payload":"example-payload",
               "expireTime":"2023-03-28T17:50:12.000+0800",
               "contractInfo":{"planId":"1001","mercContractCode":"2024020316555432001","callbackUrl":"https://www.xxxxxx.com/hw/sign/callback"}})
    );
    spec_prepay().validate().unwrap();
    // And back (the sandbox reads what the client sends).
    let back: PrepayRequest = serde_json::from_value(v).unwrap();
    assert_eq!(back, spec_prepay());
}

#[test]
fn sp_prepay_has_sp_fields_and_no_direct_ones() {
    let req = PartnerPrepayRequest {
        sp_app_id: "a".into(),
        sp_merc_no: "102000000001".into(),
        sub_app_id: None,
        sub_merc_no: "103000000001".into(),
        order: spec_prepay().order,
    };
    let v = serde_json::to_value(&req).unwrap();
    assert_eq!(v["spMercNo"], "102000000001");
    assert_eq!(v["subMercNo"], "103000000001");
    assert!(v.get("mercNo").is_none() && v.get("appId").is_none() && v.get("subAppId").is_none());
    req.validate().unwrap();
    let mut bad = req.clone();
    bad.sub_merc_no = "1".repeat(13);
    assert_eq!(bad.validate().unwrap_err().field, "subMercNo");
}

#[test]
fn prepay_validation_follows_the_documented_limits() {
    let field = |f: &dyn Fn(&mut PrepayRequest)| {
        let mut r = spec_prepay();
        f(&mut r);
        r.validate().unwrap_err().field
    };
    assert_eq!(
        field(&|r| r.order.merc_order_no = "x".repeat(47)),
        "mercOrderNo"
    );
    assert_eq!(field(&|r| r.merc_no = "1".repeat(13)), "mercNo");
    assert_eq!(
        field(&|r| r.order.trade_summary = "字".repeat(129)),
        "tradeSummary"
    );
    assert_eq!(field(&|r| r.order.total_amount = -1), "totalAmount");
    assert_eq!(
        field(&|r| r.order.currency = Some("USD".into())),
        "currency"
    );
    assert_eq!(
        field(&|r| r.order.callback_url = "http://merchant.example.com/cb".into()),
        "callbackUrl"
    );
    assert_eq!(
        field(&|r| r.order.callback_url = format!("https://{}", "a".repeat(510))),
        "callbackUrl"
    );
    assert_eq!(
        field(&|r| r.order.payload = Some("p".repeat(256))),
        "payload"
    );
    assert_eq!(
        field(&|r| r.order.expire_time = Some("2023-03-28 17:50:12".into())),
        "expireTime"
    );
    assert_eq!(
        field(&|r| r.order.contract_info.merc_contract_code = "c".repeat(65)),
        "contractInfo.mercContractCode"
    );
    assert_eq!(
        field(&|r| r.order.contract_info.plan_id = String::new()),
        "contractInfo.planId"
    );
    assert_eq!(
        field(&|r| r.order.goods_detail = Some(vec![GoodDetail {
            quantity: 1,
            unit_price: 0,
            goods_name: "g".into(),
            goods_id: None
        }])),
        "goodsDetail.unitPrice"
    );
    assert_eq!(
        field(&|r| r.order.payer = Some(PayerIn {
            user_client_ip: None,
            credential_type: None,
            credential_id_no: String::new(),
            real_name: None,
            text_type: None
        })),
        "payer.credentialIdNo"
    );
    // A loopback http callback is allowed: only a local sandbox can call it.
    let mut local = spec_prepay();
    local.order.callback_url = "http://127.0.0.1:8080/hw/pay".into();
    local.order.allocation_type = Some(AllocationType::NoAllocation);
    local.validate().unwrap();
}

#[test]
fn refund_and_unsign_validation() {
    let mut refund = RefundRequest {
        merc_order_no: None,
        sys_trans_order_no: None,
        merc_refund_order_no: "R1".into(),
        reason: None,
        callback_url: "https://x.example/r".into(),
        refund_amount: None,
        payload: None,
    };
    assert_eq!(refund.validate().unwrap_err().field, "mercOrderNo");
    refund.sys_trans_order_no = Some("1".into());
    refund.validate().unwrap();
    refund.refund_amount = Some(0);
    assert_eq!(refund.validate().unwrap_err().field, "refundAmount");
    let unsign = UnsignRequest {
        contract_id: None,
        merc_contract_code: None,
        merc_no: "1".into(),
        callback_url: None,
    };
    assert_eq!(unsign.validate().unwrap_err().field, "contractId");
    let sp = PartnerUnsignRequest {
        contract_id: Some("c".into()),
        merc_contract_code: None,
        sp_merc_no: "1".into(),
        sub_merc_no: String::new(),
        callback_url: None,
    };
    assert_eq!(sp.validate().unwrap_err().field, "subMercNo");
}

#[test]
fn spec_answers_parse() {
    let prepay: PrepayResponse = serde_json::from_str(
        r#"{"resultCode":"000000","resultDesc":"Success.","sign":"MEQCIEIW==","prepayId":"12407091401520894056950001","mercOrderNo":"czl00120240705001"}"#,
    )
    .unwrap();
    assert_eq!(prepay.prepay_id, "12407091401520894056950001");
    assert!(
        !format!("{prepay:?}").contains("12407091401520894056950001"),
        "prepay_id never logged"
    );

    let order: QueryOrderResponse = serde_json::from_str(
        r#"{"resultCode":"000000","resultDesc":"Success.","sign":"MEQ=","sysTransOrderNo":"12407030857530004914518001","mercOrderNo":"czl00120240705001","orderStatus":"TRX_SUCCESS","payload":"example-payload","currency":"CNY","totalAmount":100000,"payerAmount":80000,"promotionAmount":20000,"finishTime":"2023-11-28T10:09:01.276+0800","paymentTools":"AGMT","brandNewField":{"x":1}}"#,
    )
    .unwrap();
    assert_eq!(order.order_status, OrderStatus::Success);
    assert_eq!(
        order.total_amount - order.payer_amount.unwrap(),
        order.promotion_amount.unwrap()
    );

    let contract: QueryContractResponse = serde_json::from_str(
        r#"{"mercContractCode":"2024020316555432001","signedTime":"2023-09-01 09:01:25","resultCode":"000000","sign":"MEUCIQ","contractId":"2024070914615843071097001","planId":"1001","resultDesc":"success","mercNo":"101321200001"}"#,
    )
    .unwrap();
    assert_eq!(contract.sign_status, None);
    assert_eq!(
        contract.contract_id.as_deref(),
        Some("2024070914615843071097001")
    );

    let bill: BillDownloadInfoResponse = serde_json::from_str(
        r#"{"sign":"MEUC","resultCode":"000000","resultDesc":"Success","billDownloadParam":{"headers":{"Authorization":"AWS4-HMAC-SHA256 Credential=X","x-amz-date":"20221103T005326Z"},"method":"GET","downloadUrl":"https://petalpay-merchant-test-001.obs.cn-north-4.myhuaweicloud.cn/xxxxxx.zip"}}"#,
    )
    .unwrap();
    let param: BillDownloadParam = bill.bill_download_param.unwrap();
    assert_eq!(param.method, "GET");
    assert!(
        !format!("{param:?}").contains("Credential"),
        "storage credentials never logged"
    );
}

#[test]
fn unknown_states_are_kept_not_rejected() {
    let order: QueryOrderResponse = serde_json::from_value(json!({
        "resultCode":"000000","mercOrderNo":"a","orderStatus":"TRX_NEW_STATE","currency":"CNY","totalAmount":1
    }))
    .unwrap();
    assert_eq!(
        order.order_status,
        OrderStatus::Other("TRX_NEW_STATE".into())
    );
    assert!(!order.order_status.is_known());
    assert_eq!(
        serde_json::to_value(&order.order_status).unwrap(),
        json!("TRX_NEW_STATE")
    );
    assert_eq!(SignStatus::parse("9"), SignStatus::Unsigned);
    assert!(OrderStatus::Processing.is_pending() && OrderStatus::Applied.is_pending());
}

#[test]
fn every_sub_code_round_trips_and_has_an_action() {
    assert!(SubCode::KNOWN.len() >= 60);
    for code in SubCode::KNOWN {
        assert_eq!(&SubCode::parse(code.as_str()), code);
        assert!(!code.action().is_empty());
        let envelope = ResponseEnvelope::error(code.clone(), "x");
        assert_eq!(envelope.result_code, code.result_code());
    }
    assert_eq!(
        SubCode::MissingTracerId.result_code(),
        ResultCode::MissingParameter
    );
    assert_eq!(
        SubCode::InvalidDuplicateRequest.result_code(),
        ResultCode::InvalidParameter
    );
    assert_eq!(
        SubCode::InvalidSignature.result_code(),
        ResultCode::SignatureError
    );
    assert_eq!(
        SubCode::CallFrequencyLimited.result_code(),
        ResultCode::FrequencyLimited
    );
    assert_eq!(
        SubCode::InsufficientPermission.result_code(),
        ResultCode::InsufficientPermission
    );
    assert_eq!(
        SubCode::RetryTooMany.result_code(),
        ResultCode::BusinessError
    );
    assert_eq!(
        SubCode::parse("COUPON_EXPIRED"),
        SubCode::Other("COUPON_EXPIRED".into())
    );
}

#[test]
fn retry_advice() {
    let api = |rc: &str, sub: Option<&str>| {
        PasError::Api(ApiError {
            result_code: ResultCode::parse(rc),
            sub_code: sub.map(SubCode::parse),
            result_desc: None,
            sub_desc: None,
            http_status: 200,
        })
    };
    assert!(api("300000", Some("CALL_FREQUENCY_LIMITED")).retryable());
    assert!(api("500000", None).retryable());
    assert!(api("400000", Some("UNKNOW_ERROR")).retryable());
    assert!(api("400000", Some("ORDER_CONCURRENT_ERROR")).retryable());
    assert_eq!(
        SubCode::WithholdOverTimes.retry_after(),
        Some(std::time::Duration::from_secs(4 * 3600))
    );
    assert_eq!(
        SubCode::OrderConcurrentError.retry_after(),
        Some(std::time::Duration::from_secs(60))
    );
    assert_eq!(SubCode::CheckOrderStatus.retry_after(), None);
    assert_eq!(SubCode::WithholdOverTimes.retry(), Retry::Later);
    assert!(!api("400000", Some("RETRY_TOO_MANY")).retryable());
    assert!(api("400000", Some("RETRY_TOO_MANY"))
        .action()
        .contains("NEW mercRefundOrderNo"));
    assert!(!api("200002", Some("INVALID_SIGNATURE")).retryable());
    assert!(!api("400000", Some("MERC_ORDER_NOT_EXIST")).outcome_unknown());
    let shown = api("400000", Some("CHECK_AMOUNT_INVALID")).to_string();
    assert!(shown.contains("400000/CHECK_AMOUNT_INVALID"), "{shown}");
}

#[test]
fn paths_for_both_models() {
    assert_eq!(
        ep::prepay(MerchantModel::Direct, PrepayChannel::App),
        "/api/v1/aggr/pay-and-sign/preorder/create/app"
    );
    assert_eq!(
        ep::prepay(MerchantModel::ServiceProvider, PrepayChannel::AtomicService),
        "/api/v1/partner/aggr/pay-and-sign/preorder/create/fa"
    );
    assert_eq!(
        ep::query_order(MerchantModel::Direct, "A-1").unwrap(),
        "/api/v2/aggr/transactions/merc-orders/A-1"
    );
    assert_eq!(
        ep::query_order(MerchantModel::ServiceProvider, "A-1").unwrap(),
        "/api/v2/partner/aggr/transactions/merc-orders/A-1"
    );
    assert_eq!(
        ep::refund(MerchantModel::ServiceProvider),
        "/api/v1/partner/aggr/transactions/refunds"
    );
    assert_eq!(
        ep::query_contract(MerchantModel::Direct, "C").unwrap(),
        "/api/v2/contract/sign/merc-contracts/C"
    );
    assert_eq!(
        ep::unsign(MerchantModel::ServiceProvider),
        "/api/v1/partner/contract/unsign"
    );
    assert_eq!(
        ep::bill(
            MerchantModel::Direct,
            BillKind::Trade,
            "20250101",
            Some("1")
        )
        .unwrap(),
        "/api/v1/bill/trade-bill/downloadInfo?billDate=20250101"
    );
    assert_eq!(
        ep::bill(
            MerchantModel::ServiceProvider,
            BillKind::Trade,
            "20250101",
            Some("103")
        )
        .unwrap(),
        "/api/v1/partner/bill/trade-bill/downloadInfo?billDate=20250101&subMercNo=103"
    );
    assert!(ep::bill(MerchantModel::Direct, BillKind::Settle, "2025011", None).is_err());
    for bad in ["", "a b", "a/b", "a?b", "a%20", "a#", "a&b", "a=b", "a+b"] {
        assert!(path_segment("mercOrderNo", bad, 46).is_err(), "{bad:?}");
    }
    assert!(path_segment("mercOrderNo", &"a".repeat(47), 46).is_err());
    assert!(path_segment("mercOrderNo", "Az09-_.~", 46).is_ok());
    // Route templates and prefixes agree.
    for (route, prefix) in [
        (ep::DIRECT_QUERY_ORDER_ROUTE, ep::DIRECT_QUERY_ORDER_PREFIX),
        (ep::SP_QUERY_ORDER_ROUTE, ep::SP_QUERY_ORDER_PREFIX),
        (
            ep::DIRECT_QUERY_REFUND_ROUTE,
            ep::DIRECT_QUERY_REFUND_PREFIX,
        ),
        (ep::SP_QUERY_REFUND_ROUTE, ep::SP_QUERY_REFUND_PREFIX),
        (
            ep::DIRECT_QUERY_CONTRACT_ROUTE,
            ep::DIRECT_QUERY_CONTRACT_PREFIX,
        ),
        (ep::SP_QUERY_CONTRACT_ROUTE, ep::SP_QUERY_CONTRACT_PREFIX),
    ] {
        assert!(route.starts_with(prefix) && route.ends_with('}'), "{route}");
    }
}

#[test]
fn secrets_stay_out_of_debug_output() {
    let payer = PayerIn {
        user_client_ip: Some("1.2.3.4".into()),
        credential_type: Some("01".into()),
        credential_id_no: "110101199001011234".into(),
        real_name: Some("张三".into()),
        text_type: None,
    };
    let shown = format!("{payer:?}");
    assert!(
        !shown.contains("110101199001011234") && !shown.contains("张三"),
        "{shown}"
    );
    let v: Value = serde_json::to_value(&payer).unwrap();
    assert_eq!(
        v["credentialIdNo"], "110101199001011234",
        "but they are sent"
    );
}

#[test]
fn docs_list_every_code_and_path() {
    let doc =
        std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/../../docs/pas.md")).unwrap();
    for code in SubCode::KNOWN {
        assert!(
            doc.contains(&format!("`{}`", code.as_str())),
            "docs/pas.md misses {code}"
        );
    }
    for path in [
        ep::DIRECT_PREPAY_APP,
        ep::SP_PREPAY_APP,
        ep::DIRECT_QUERY_ORDER_ROUTE,
        ep::SP_QUERY_ORDER_ROUTE,
        ep::DIRECT_REFUND,
        ep::SP_REFUND,
        ep::DIRECT_QUERY_REFUND_ROUTE,
        ep::SP_QUERY_REFUND_ROUTE,
        ep::DIRECT_QUERY_CONTRACT_ROUTE,
        ep::SP_QUERY_CONTRACT_ROUTE,
        ep::DIRECT_UNSIGN,
        ep::SP_UNSIGN,
        ep::DIRECT_WITHHOLD,
        ep::SP_WITHHOLD,
        ep::DIRECT_TRADE_BILL,
        ep::SP_TRADE_BILL,
        ep::DIRECT_SETTLE_BILL,
        ep::SP_SETTLE_BILL,
    ] {
        assert!(doc.contains(path), "docs/pas.md misses {path}");
    }
}
