//! PasClient against `PaymentKitDouble` (a scripted loopback test double of Payment Kit's
//! server) over real HTTP: every API for both merchant models, real SM2/RSA signatures checked
//! by the double, retries, timeouts, tampered answers and business errors.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

mod support;

use std::time::Duration;

use paysign_pas::bill::BillTradeStatus;
use paysign_pas::endpoints as ep;
use paysign_pas::model::common::{ContractInfo, OrderStatus, RefundStatus, SignStatus};
use paysign_pas::model::{
    PartnerPrepayRequest, PartnerUnsignRequest, PartnerWithholdRequest, PrepayOrder, PrepayRequest,
    RefundRequest, UnsignRequest, WithholdOrder, WithholdRequest,
};
use paysign_pas::{
    BillKind, MerchantModel, PasClient, PasError, PrepayChannel, ResultCode, SubCode,
};
use serde_json::json;
use support::*;

fn order(no: &str) -> PrepayOrder {
    PrepayOrder {
        merc_order_no: no.to_owned(),
        trade_summary: "paysign demo-monthly plan".to_owned(),
        total_amount: 2500,
        currency: Some("CNY".to_owned()),
        goods_detail: None,
        allocation_type: None,
        callback_url: "https://merchant.example.com/hw/pay/callback".to_owned(),
        payload: Some("p1".to_owned()),
        expire_time: Some("2030-03-28T17:50:12.000+0800".to_owned()),
        contract_info: ContractInfo {
            plan_id: "1001".to_owned(),
            merc_contract_code: format!("C{no}"),
            callback_url: "https://merchant.example.com/hw/sign/callback".to_owned(),
        },
        payer: None,
    }
}

fn direct_prepay(no: &str) -> PrepayRequest {
    PrepayRequest {
        app_id: "5765880207853001".to_owned(),
        merc_no: DIRECT_MERC_NO.to_owned(),
        order: order(no),
    }
}

fn sp_prepay(no: &str) -> PartnerPrepayRequest {
    PartnerPrepayRequest {
        sp_app_id: "5765880207853002".to_owned(),
        sp_merc_no: SP_MERC_NO.to_owned(),
        sub_app_id: Some("5765880207853003".to_owned()),
        sub_merc_no: SUB_MERC_NO.to_owned(),
        order: order(no),
    }
}

fn refund_request() -> RefundRequest {
    RefundRequest {
        merc_order_no: Some("ORDER-1".to_owned()),
        sys_trans_order_no: None,
        merc_refund_order_no: "REFUND-1".to_owned(),
        reason: Some("user asked".to_owned()),
        callback_url: "https://merchant.example.com/hw/refund/callback".to_owned(),
        refund_amount: Some(1000),
        payload: None,
    }
}

async fn start() -> (PaymentKitDouble, paysign_crypto::PrivateKey) {
    let key = sm2_key();
    (PaymentKitDouble::start(key.public_key()).await, key)
}

fn last_path(double: &PaymentKitDouble) -> String {
    double.seen().last().unwrap().path_and_query.clone()
}

// --- every API, both models ------------------------------------------------------------------

#[tokio::test]
async fn prepay_direct_app_and_atomic_service() {
    let (double, key) = start().await;
    let client = double.client(MerchantModel::Direct, key);
    let answer = client
        .pas_prepay(&direct_prepay("D1"), PrepayChannel::App)
        .await
        .unwrap();
    assert_eq!(answer.prepay_id, "ppD1");
    assert_eq!(last_path(&double), ep::DIRECT_PREPAY_APP);
    let body: serde_json::Value = serde_json::from_str(&double.seen()[0].body).unwrap();
    assert_eq!(body["mercNo"], DIRECT_MERC_NO);
    assert_eq!(body["totalAmount"], 2500);
    assert_eq!(body["contractInfo"]["mercContractCode"], "CD1");
    client
        .pas_prepay(&direct_prepay("D2"), PrepayChannel::AtomicService)
        .await
        .unwrap();
    assert_eq!(last_path(&double), ep::DIRECT_PREPAY_ATOMIC);
}

#[tokio::test]
async fn prepay_service_provider_app_and_atomic_service() {
    let (double, key) = start().await;
    let client = double.client(MerchantModel::ServiceProvider, key);
    let answer = client
        .partner_pas_prepay(&sp_prepay("S1"), PrepayChannel::App)
        .await
        .unwrap();
    assert_eq!(answer.prepay_id, "ppS1");
    assert_eq!(answer.merc_order_no.as_deref(), Some("S1"));
    assert_eq!(last_path(&double), ep::SP_PREPAY_APP);
    let body: serde_json::Value = serde_json::from_str(&double.seen()[0].body).unwrap();
    assert_eq!(body["spMercNo"], SP_MERC_NO);
    assert_eq!(body["subMercNo"], SUB_MERC_NO);
    assert!(body.get("mercNo").is_none());
    client
        .partner_pas_prepay(&sp_prepay("S2"), PrepayChannel::AtomicService)
        .await
        .unwrap();
    assert_eq!(last_path(&double), ep::SP_PREPAY_ATOMIC);
}

#[tokio::test]
async fn prepay_with_an_rsa_merchant_key() {
    let key = rsa_key();
    let double = PaymentKitDouble::start(key.public_key()).await;
    for model in MerchantModel::ALL {
        let client = double.client(model, key.clone());
        let answer = match model {
            MerchantModel::Direct => {
                client
                    .pas_prepay(&direct_prepay("R1"), PrepayChannel::App)
                    .await
            }
            MerchantModel::ServiceProvider => {
                client
                    .partner_pas_prepay(&sp_prepay("R2"), PrepayChannel::App)
                    .await
            }
        };
        assert!(answer.unwrap().prepay_id.starts_with("ppR"));
    }
}

#[tokio::test]
async fn query_order_both_models() {
    let (double, key) = start().await;
    let direct = double.client(MerchantModel::Direct, key.clone());
    let order = direct.query_order("ORDER-1").await.unwrap();
    assert_eq!(
        last_path(&double),
        format!("{}ORDER-1", ep::DIRECT_QUERY_ORDER_PREFIX)
    );
    assert_eq!(double.seen().last().unwrap().method, "GET");
    assert_eq!(order.order_status, OrderStatus::Success);
    assert_eq!(
        (
            order.total_amount,
            order.payer_amount,
            order.promotion_amount
        ),
        (2500, Some(2000), Some(500))
    );
    assert_eq!(order.merc_no.as_deref(), Some(DIRECT_MERC_NO));

    let sp = double.client(MerchantModel::ServiceProvider, key);
    let order = sp.query_order("ORDER-2").await.unwrap();
    assert_eq!(
        last_path(&double),
        format!("{}ORDER-2", ep::SP_QUERY_ORDER_PREFIX)
    );
    assert_eq!(order.merc_order_no, "ORDER-2");
    assert_eq!(order.sub_merc_no.as_deref(), Some(SUB_MERC_NO));
}

#[tokio::test]
async fn refund_and_query_refund_both_models() {
    let (double, key) = start().await;
    for (model, refund_path, query_prefix) in [
        (
            MerchantModel::Direct,
            ep::DIRECT_REFUND,
            ep::DIRECT_QUERY_REFUND_PREFIX,
        ),
        (
            MerchantModel::ServiceProvider,
            ep::SP_REFUND,
            ep::SP_QUERY_REFUND_PREFIX,
        ),
    ] {
        let client = double.client(model, key.clone());
        let refund = client.refund(&refund_request()).await.unwrap();
        assert_eq!(last_path(&double), refund_path);
        assert_eq!(refund.merc_refund_order_no.as_deref(), Some("REFUND-1"));
        assert_eq!(refund.refund_amount, Some(1000));
        let status = client.query_refund("REFUND-1").await.unwrap();
        assert_eq!(last_path(&double), format!("{query_prefix}REFUND-1"));
        assert_eq!(status.refund_order_status, RefundStatus::Success);
        assert_eq!(status.refund_amount, Some(1000));
    }
}

#[tokio::test]
async fn query_contract_and_unsign_both_models() {
    let (double, key) = start().await;
    let direct = double.client(MerchantModel::Direct, key.clone());
    let contract = direct.query_contract("C-1").await.unwrap();
    assert_eq!(
        last_path(&double),
        format!("{}C-1", ep::DIRECT_QUERY_CONTRACT_PREFIX)
    );
    assert_eq!(contract.sign_status, Some(SignStatus::Signed));
    assert_eq!(
        contract.contract_id.as_deref(),
        Some("2024070914615843071097001")
    );
    let unsign = direct
        .unsign(&UnsignRequest {
            contract_id: None,
            merc_contract_code: Some("C-1".to_owned()),
            merc_no: DIRECT_MERC_NO.to_owned(),
            callback_url: Some("https://merchant.example.com/hw/unsign".to_owned()),
        })
        .await
        .unwrap();
    assert_eq!(last_path(&double), ep::DIRECT_UNSIGN);
    assert_eq!(unsign.merc_contract_code.as_deref(), Some("C-1"));

    let sp = double.client(MerchantModel::ServiceProvider, key);
    let contract = sp.query_contract("C-2").await.unwrap();
    assert_eq!(
        last_path(&double),
        format!("{}C-2", ep::SP_QUERY_CONTRACT_PREFIX)
    );
    assert_eq!(contract.sub_merc_no.as_deref(), Some(SUB_MERC_NO));
    let unsign = sp
        .partner_unsign(&PartnerUnsignRequest {
            contract_id: Some("2024070914615843071097001".to_owned()),
            merc_contract_code: Some("C-2".to_owned()),
            sp_merc_no: SP_MERC_NO.to_owned(),
            sub_merc_no: SUB_MERC_NO.to_owned(),
            callback_url: None,
        })
        .await
        .unwrap();
    assert_eq!(last_path(&double), ep::SP_UNSIGN);
    assert_eq!(unsign.sp_merc_no.as_deref(), Some(SP_MERC_NO));
}

#[tokio::test]
async fn trade_and_settle_bills_both_models() {
    let (double, key) = start().await;
    for (model, kind, path, sub) in [
        (
            MerchantModel::Direct,
            BillKind::Trade,
            ep::DIRECT_TRADE_BILL,
            None,
        ),
        (
            MerchantModel::Direct,
            BillKind::Settle,
            ep::DIRECT_SETTLE_BILL,
            None,
        ),
        (
            MerchantModel::ServiceProvider,
            BillKind::Trade,
            ep::SP_TRADE_BILL,
            Some(SUB_MERC_NO),
        ),
        (
            MerchantModel::ServiceProvider,
            BillKind::Settle,
            ep::SP_SETTLE_BILL,
            None,
        ),
    ] {
        let client = double.client(model, key.clone());
        let query = match sub {
            Some(s) => format!("{path}?billDate=20250101&subMercNo={s}"),
            None => format!("{path}?billDate=20250101"),
        };
        match kind {
            BillKind::Trade => {
                double.set_bill_zip(make_zip(&[("对账单20250101.csv", TRADE_CSV.as_bytes())]));
                let rows = client.trade_bill("20250101", sub).await.unwrap().unwrap();
                assert_eq!(last_path(&double), query);
                assert_eq!(rows.len(), 3);
                assert_eq!(rows[0].trade_amount_fen, 6);
                assert_eq!(rows[0].fee_amount_fen, 1);
                assert_eq!(rows[1].trade_amount_fen, -6);
                assert_eq!(rows[2].status, BillTradeStatus::Failed);
                assert_eq!(rows[2].order_amount_fen, 123_457_780);
                assert_eq!(rows[2].payload.as_deref(), Some("a,b"));
            }
            BillKind::Settle => {
                double.set_bill_zip(make_zip(&[("结算账单.csv", SETTLE_CSV.as_bytes())]));
                let rows = client.settle_bill("20250101", sub).await.unwrap().unwrap();
                assert_eq!(last_path(&double), query);
                assert_eq!(rows.len(), 1);
                assert_eq!(rows[0].settle_amount_fen, 501);
                assert_eq!(rows[0].fee_amount_fen, 3);
                assert_eq!(
                    rows[0].extra.get("新列").map(String::as_str),
                    Some("future")
                );
            }
        }
        // No bill generated for the date: None, nothing downloaded.
        let none = match kind {
            BillKind::Trade => client
                .trade_bill(NO_BILL_DATE, sub)
                .await
                .unwrap()
                .map(|r| r.len()),
            BillKind::Settle => client
                .settle_bill(NO_BILL_DATE, sub)
                .await
                .unwrap()
                .map(|r| r.len()),
        };
        assert_eq!(none, None);
    }
}

#[tokio::test]
async fn bill_download_without_the_given_headers_is_refused() {
    let (double, key) = start().await;
    double.set_bill_zip(make_zip(&[("a.csv", TRADE_CSV.as_bytes())]));
    let client = double.client(MerchantModel::Direct, key);
    let info = client
        .bill_download_info(BillKind::Trade, "20250101", None)
        .await
        .unwrap();
    let mut param = info.bill_download_param.unwrap();
    param.headers.remove("Authorization");
    let err = client.download_bill(&param).await.unwrap_err();
    assert!(
        matches!(
            err,
            PasError::Bill(paysign_pas::bill::BillError::DownloadStatus(403))
        ),
        "{err:?}"
    );
}

// --- rejected signatures -------------------------------------------------------------------

#[tokio::test]
async fn a_key_payment_kit_does_not_know_is_rejected_with_invalid_signature() {
    let (double, _registered) = start().await;
    let client = double.client(MerchantModel::Direct, sm2_key());
    let err = client.query_order("ORDER-1").await.unwrap_err();
    let api = err.api().expect("an API error");
    assert_eq!(api.result_code, ResultCode::SignatureError);
    assert_eq!(api.sub_code, Some(SubCode::InvalidSignature));
    assert!(!err.retryable());
    assert_eq!(double.seen().len(), 1, "a signature error is not retried");
}

#[tokio::test]
async fn an_rsa_key_in_place_of_the_registered_sm2_key_is_rejected() {
    let (double, _registered) = start().await;
    let client = double.client(MerchantModel::ServiceProvider, rsa_key());
    let err = client.refund(&refund_request()).await.unwrap_err();
    assert_eq!(err.api().unwrap().sub_code, Some(SubCode::InvalidSignature));
}

// --- retries -------------------------------------------------------------------------------

#[tokio::test]
async fn frequency_limit_is_retried_with_a_fresh_trace_id() {
    let (double, key) = start().await;
    let limited = Script::Error {
        result_code: "300000",
        sub_code: "CALL_FREQUENCY_LIMITED",
    };
    double.script([limited.clone(), limited]);
    let client = double.client(MerchantModel::Direct, key);
    let order = client.query_order("ORDER-1").await.unwrap();
    assert_eq!(order.merc_order_no, "ORDER-1");
    let seen = double.seen();
    assert_eq!(seen.len(), 3);
    let ids: std::collections::HashSet<_> =
        seen.iter().map(|s| s.trace_id.clone().unwrap()).collect();
    assert_eq!(ids.len(), 3, "every attempt has its own traceId");
    assert!(ids.iter().all(|id| id.len() == 32));
}

#[tokio::test]
async fn frequency_limit_gives_up_after_the_bound() {
    let (double, key) = start().await;
    let limited = Script::Error {
        result_code: "300000",
        sub_code: "CALL_FREQUENCY_LIMITED",
    };
    double.script(vec![limited; 5]);
    let client = double.client(MerchantModel::ServiceProvider, key);
    let err = client
        .partner_pas_prepay(&sp_prepay("S9"), PrepayChannel::App)
        .await
        .unwrap_err();
    assert!(err.api().unwrap().is_frequency_limited());
    assert!(err.retryable());
    assert_eq!(double.seen().len(), 3, "1 attempt + max_retries (2)");
}

#[tokio::test]
async fn business_errors_are_not_retried() {
    let (double, key) = start().await;
    double.script([Script::Error {
        result_code: "400000",
        sub_code: "MERC_ORDER_NOT_EXIST",
    }]);
    let client = double.client(MerchantModel::Direct, key);
    let err = client.query_order("NOPE").await.unwrap_err();
    let api = err.api().unwrap();
    assert_eq!(api.result_code, ResultCode::BusinessError);
    assert_eq!(api.sub_code, Some(SubCode::MercOrderNotExist));
    assert_eq!(api.sub_desc.as_deref(), Some("scripted error"));
    assert!(!err.retryable());
    assert!(err.action().contains("order number"));
    assert_eq!(double.seen().len(), 1);
}

#[tokio::test]
async fn every_business_code_reaches_the_caller_typed() {
    let (double, key) = start().await;
    let client = double.client(MerchantModel::Direct, key);
    for code in SubCode::KNOWN
        .iter()
        .filter(|c| c.result_code() == ResultCode::BusinessError)
    {
        let text: &'static str = Box::leak(code.as_str().to_owned().into_boxed_str());
        double.script([Script::Error {
            result_code: "400000",
            sub_code: text,
        }]);
        let err = client.refund(&refund_request()).await.unwrap_err();
        assert_eq!(err.api().unwrap().sub_code.as_ref(), Some(code));
    }
}

#[tokio::test]
async fn a_slow_answer_times_out_and_the_retry_succeeds() {
    let (double, key) = start().await;
    double.script([Script::Delay(Duration::from_millis(4000))]);
    let mut config = double.config(MerchantModel::Direct, key);
    config.request_timeout = Duration::from_millis(1500);
    let client = PasClient::new(config).unwrap();
    let order = client.query_order("ORDER-1").await.unwrap();
    assert_eq!(order.merc_order_no, "ORDER-1");
    assert_eq!(double.seen().len(), 2);
}

#[tokio::test]
async fn timeouts_end_in_a_transport_error_after_the_bound() {
    let (double, key) = start().await;
    double.script(vec![Script::Delay(Duration::from_millis(600)); 3]);
    let mut config = double.config(MerchantModel::Direct, key);
    config.request_timeout = Duration::from_millis(200);
    config.max_retries = 2;
    let client = PasClient::new(config).unwrap();
    let err = client.query_refund("REFUND-1").await.unwrap_err();
    assert!(
        matches!(err, PasError::Transport { timeout: true, .. }),
        "{err:?}"
    );
    assert!(err.outcome_unknown());
    assert_eq!(double.seen().len(), 3);
}

#[tokio::test]
async fn connection_refused_is_a_transport_error() {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    drop(listener);
    let key = sm2_key();
    let mut config = paysign_pas::ClientConfig::new(
        format!("http://127.0.0.1:{port}"),
        MerchantModel::Direct,
        paysign_pas::MerchantSigner::new(DIRECT_MERC_NO, AUTH_ID, key.clone()),
        key.public_key(),
    );
    config.retry_backoff = Duration::from_millis(1);
    let err = PasClient::new(config)
        .unwrap()
        .query_order("X")
        .await
        .unwrap_err();
    assert!(
        matches!(err, PasError::Transport { timeout: false, .. }),
        "{err:?}"
    );
}

// --- answers that must not be trusted ------------------------------------------------------

#[tokio::test]
async fn a_tampered_answer_is_refused() {
    let (double, key) = start().await;
    double.script([Script::Tamper {
        field: "totalAmount",
        value: json!(1),
    }]);
    let client = double.client(MerchantModel::Direct, key);
    let err = client.query_order("ORDER-1").await.unwrap_err();
    assert!(matches!(err, PasError::ResponseSignature(_)), "{err:?}");
    assert_eq!(double.seen().len(), 1, "tampering is not retried");
}

#[tokio::test]
async fn a_tampered_status_in_an_sp_answer_is_refused() {
    let (double, key) = start().await;
    double.script([Script::Tamper {
        field: "refundOrderStatus",
        value: json!("REFUND_FAILED"),
    }]);
    let client = double.client(MerchantModel::ServiceProvider, key);
    let err = client.query_refund("REFUND-1").await.unwrap_err();
    assert!(matches!(err, PasError::ResponseSignature(_)), "{err:?}");
    // The same call untampered verifies.
    assert_eq!(
        client
            .query_refund("REFUND-1")
            .await
            .unwrap()
            .refund_order_status,
        RefundStatus::Success
    );
}

#[tokio::test]
async fn an_unsigned_success_and_a_foreign_signature_are_refused() {
    let (double, key) = start().await;
    double.script([Script::Unsigned, Script::WrongKey]);
    let client = double.client(MerchantModel::Direct, key);
    let unsigned = client.query_contract("C-1").await.unwrap_err();
    assert!(
        matches!(unsigned, PasError::ResponseSignature(_)),
        "{unsigned:?}"
    );
    let foreign = client.query_contract("C-1").await.unwrap_err();
    assert!(
        matches!(foreign, PasError::ResponseSignature(_)),
        "{foreign:?}"
    );
}

#[tokio::test]
async fn verification_off_accepts_a_tampered_answer() {
    let (double, key) = start().await;
    double.script([Script::Tamper {
        field: "totalAmount",
        value: json!(1),
    }]);
    let mut config = double.config(MerchantModel::Direct, key);
    config.verify_responses = false;
    let order = PasClient::new(config)
        .unwrap()
        .query_order("ORDER-1")
        .await
        .unwrap();
    assert_eq!(order.total_amount, 1);
}

#[tokio::test]
async fn non_json_answers_are_typed() {
    let (double, key) = start().await;
    double.script([
        Script::Raw {
            status: 502,
            body: "<html>bad gateway</html>",
        },
        Script::Raw {
            status: 200,
            body: "not json",
        },
    ]);
    let client = double.client(MerchantModel::Direct, key);
    let gateway = client.query_order("A").await.unwrap_err();
    assert!(
        matches!(gateway, PasError::HttpStatus { status: 502 }),
        "{gateway:?}"
    );
    let garbage = client.query_order("A").await.unwrap_err();
    assert!(
        matches!(garbage, PasError::InvalidResponse(_)),
        "{garbage:?}"
    );
}

// --- refused before sending -----------------------------------------------------------------

#[tokio::test]
async fn invalid_requests_never_leave_the_client() {
    let (double, key) = start().await;
    let direct = double.client(MerchantModel::Direct, key.clone());
    let mut bad = direct_prepay("D1");
    bad.order.total_amount = 0;
    let err = direct
        .pas_prepay(&bad, PrepayChannel::App)
        .await
        .unwrap_err();
    assert!(
        matches!(&err, PasError::InvalidRequest(f) if f.field == "totalAmount"),
        "{err:?}"
    );
    let mut bad = direct_prepay(&"9".repeat(47));
    bad.order.payload = None;
    let err = direct
        .pas_prepay(&bad, PrepayChannel::App)
        .await
        .unwrap_err();
    assert!(
        matches!(&err, PasError::InvalidRequest(f) if f.field == "mercOrderNo"),
        "{err:?}"
    );
    let err = direct.query_order("a/b").await.unwrap_err();
    assert!(matches!(&err, PasError::InvalidRequest(_)), "{err:?}");
    let err = direct
        .bill_download_info(BillKind::Trade, "2025-01-01", None)
        .await
        .unwrap_err();
    assert!(
        matches!(&err, PasError::InvalidRequest(f) if f.field == "billDate"),
        "{err:?}"
    );
    // A direct client refuses SP-only APIs, and the other way round.
    let err = direct
        .partner_pas_prepay(&sp_prepay("S1"), PrepayChannel::App)
        .await
        .unwrap_err();
    assert!(matches!(err, PasError::Config(_)), "{err:?}");
    let sp = double.client(MerchantModel::ServiceProvider, key);
    let err = sp
        .pas_prepay(&direct_prepay("D1"), PrepayChannel::App)
        .await
        .unwrap_err();
    assert!(matches!(err, PasError::Config(_)), "{err:?}");
    assert!(double.seen().is_empty());
}

#[test]
fn base_urls_are_checked() {
    let key = sm2_key();
    let make = |url: &str| {
        PasClient::new(paysign_pas::ClientConfig::new(
            url,
            MerchantModel::Direct,
            paysign_pas::MerchantSigner::new(DIRECT_MERC_NO, AUTH_ID, key.clone()),
            key.public_key(),
        ))
    };
    assert!(make(ep::PRODUCTION_BASE_URL).is_ok());
    assert!(make(ep::HUAWEI_SANDBOX_BASE_URL).is_ok());
    assert!(make("http://127.0.0.1:8080").is_ok());
    assert!(matches!(
        make("http://example.com"),
        Err(PasError::Config(_))
    ));
    assert!(matches!(
        make("https://example.com/api"),
        Err(PasError::Config(_))
    ));
    assert!(matches!(make("ftp://127.0.0.1"), Err(PasError::Config(_))));
    let mut no_key = paysign_pas::ClientConfig::new(
        "http://127.0.0.1:1",
        MerchantModel::Direct,
        paysign_pas::MerchantSigner::new(DIRECT_MERC_NO, AUTH_ID, key.clone()),
        key.public_key(),
    );
    no_key.huawei_public_key = None;
    assert!(matches!(PasClient::new(no_key), Err(PasError::Config(_))));
}

#[test]
fn the_client_and_its_futures_can_cross_threads() {
    fn send_sync<T: Send + Sync>(_: &T) {}
    fn send<T: Send>(_: T) {}
    let key = sm2_key();
    let client = PasClient::new(paysign_pas::ClientConfig::new(
        "http://127.0.0.1:1",
        MerchantModel::Direct,
        paysign_pas::MerchantSigner::new(DIRECT_MERC_NO, AUTH_ID, key.clone()),
        key.public_key(),
    ))
    .unwrap();
    send_sync(&client);
    // Merchant servers call the client from multi-threaded handlers (axum, actix).
    send(client.query_order("A"));
    send(client.pas_prepay(&direct_prepay("A"), PrepayChannel::App));
    send(client.trade_bill("20250101", None));
}

#[tokio::test]
async fn call_reaches_other_apis_with_the_same_signing_and_checks() {
    let (double, key) = start().await;
    let client = double.client(MerchantModel::Direct, key);
    let path = format!("{}ORDER-9", ep::DIRECT_QUERY_ORDER_PREFIX);
    let raw: serde_json::Value = client
        .call(paysign_pas::HttpMethod::Get, &path, "ignored")
        .await
        .unwrap();
    assert_eq!(raw["mercOrderNo"], "ORDER-9");
    assert_eq!(double.seen().last().unwrap().body, "", "GET sends no body");
    let refund = serde_json::to_string(&refund_request()).unwrap();
    let raw: serde_json::Value = client
        .call(paysign_pas::HttpMethod::Post, ep::DIRECT_REFUND, &refund)
        .await
        .unwrap();
    assert_eq!(raw["mercRefundOrderNo"], "REFUND-1");
    double.script([Script::Tamper {
        field: "mercOrderNo",
        value: json!("x"),
    }]);
    let err = client
        .call::<serde_json::Value>(paysign_pas::HttpMethod::Get, &path, "")
        .await
        .unwrap_err();
    assert!(matches!(err, PasError::ResponseSignature(_)), "{err:?}");
    let err = client
        .call::<serde_json::Value>(paysign_pas::HttpMethod::Get, "http://evil.example/x", "")
        .await
        .unwrap_err();
    assert!(matches!(err, PasError::InvalidRequest(_)), "{err:?}");
}

#[tokio::test]
async fn only_transport_errors_and_frequency_limits_are_retried() {
    let (double, key) = start().await;
    let client = double.client(MerchantModel::Direct, key);
    for (result_code, sub_code) in [
        ("500000", "UNKNOW_ERROR"),
        ("200001", "INVALID_DUPLICATE_REQUEST"),
        ("200001", "INVALID_TIME"),
        ("400000", "ORDER_CONCURRENT_ERROR"),
    ] {
        let before = double.seen().len();
        double.script([Script::Error {
            result_code,
            sub_code,
        }]);
        let err = client.refund(&refund_request()).await.unwrap_err();
        assert_eq!(
            err.api().unwrap().sub_code.as_ref().map(|c| c.as_str()),
            Some(sub_code)
        );
        assert_eq!(
            double.seen().len(),
            before + 1,
            "{sub_code} is not retried by the client"
        );
    }
    // A 5xx without a Payment Kit answer is not retried either (the write may have happened).
    double.script([Script::Raw {
        status: 503,
        body: "",
    }]);
    let before = double.seen().len();
    let err = client.refund(&refund_request()).await.unwrap_err();
    match &err {
        PasError::OutcomeUnknown { cause } => {
            assert!(
                matches!(**cause, PasError::HttpStatus { status: 503 }),
                "{cause:?}"
            )
        }
        other => panic!("{other:?}"),
    }
    assert!(err.outcome_unknown());
    assert_eq!(double.seen().len(), before + 1);
}

#[tokio::test]
async fn bill_downloads_have_their_own_timeout_and_bounded_retries() {
    let (double, key) = start().await;
    double.set_bill_zip(make_zip(&[("a.csv", TRADE_CSV.as_bytes())]));
    double.set_bill_delay(Duration::from_millis(1500));
    let mut config = double.config(MerchantModel::Direct, key);
    config.request_timeout = Duration::from_millis(1000);
    config.download_timeout = Duration::from_secs(6);
    let client = PasClient::new(config.clone()).unwrap();
    // Slower than an API call may take, within the download budget: fine.
    assert_eq!(
        client
            .trade_bill("20250101", None)
            .await
            .unwrap()
            .unwrap()
            .len(),
        3
    );
    assert_eq!(double.bill_downloads(), 1);
    // Slower than the download budget: a transport timeout after 1 + max_retries attempts.
    config.download_timeout = Duration::from_millis(300);
    let client = PasClient::new(config).unwrap();
    let err = client.trade_bill("20250101", None).await.unwrap_err();
    assert!(
        matches!(err, PasError::Transport { timeout: true, .. }),
        "{err:?}"
    );
    assert_eq!(double.bill_downloads(), 1 + 3);
}

// --- withholding debit (免密代扣) --------------------------------------------------------------

fn debit(no: &str) -> WithholdOrder {
    WithholdOrder {
        merc_order_no: no.to_owned(),
        trade_summary: "paysign demo-monthly renewal".to_owned(),
        total_amount: 1500,
        currency: Some("CNY".to_owned()),
        allocation_type: None,
        callback_url: "https://merchant.example.com/paysign/callbacks/payment".to_owned(),
        contract_id: "2024070914615843071097001".to_owned(),
        payload: Some("month 11".to_owned()),
        expire_time: None,
        payer: None,
    }
}

fn direct_debit(no: &str) -> WithholdRequest {
    WithholdRequest {
        app_id: "5765880207853001".to_owned(),
        merc_no: DIRECT_MERC_NO.to_owned(),
        order: debit(no),
    }
}

fn sp_debit(no: &str) -> PartnerWithholdRequest {
    PartnerWithholdRequest {
        app_id: None,
        sp_merc_no: SP_MERC_NO.to_owned(),
        sub_merc_no: SUB_MERC_NO.to_owned(),
        sp_app_id: Some("5765880207853002".to_owned()),
        sub_app_id: None,
        order: debit(no),
    }
}

#[tokio::test]
async fn withhold_both_models() {
    let (double, key) = start().await;
    let direct = double.client(MerchantModel::Direct, key.clone());
    let answer = direct.withhold(&direct_debit("DEBIT-1")).await.unwrap();
    assert_eq!(answer.sys_trans_order_no.as_deref(), Some("WDEBIT-1"));
    assert_eq!(last_path(&double), ep::DIRECT_WITHHOLD);
    let sent: serde_json::Value =
        serde_json::from_str(&double.seen().last().unwrap().body).unwrap();
    assert_eq!(
        sent,
        json!({"appId": "5765880207853001", "mercNo": DIRECT_MERC_NO, "mercOrderNo": "DEBIT-1",
               "tradeSummary": "paysign demo-monthly renewal", "totalAmount": 1500, "currency": "CNY",
               "callbackUrl": "https://merchant.example.com/paysign/callbacks/payment",
               "contractId": "2024070914615843071097001", "payload": "month 11"})
    );
    let sp = double.client(MerchantModel::ServiceProvider, key);
    let answer = sp.partner_withhold(&sp_debit("DEBIT-2")).await.unwrap();
    assert_eq!(answer.merc_order_no.as_deref(), Some("DEBIT-2"));
    assert_eq!(last_path(&double), ep::SP_WITHHOLD);
    let sent: serde_json::Value =
        serde_json::from_str(&double.seen().last().unwrap().body).unwrap();
    assert_eq!(sent["spMercNo"], SP_MERC_NO);
    assert_eq!(sent["subMercNo"], SUB_MERC_NO);
    assert!(sent.get("mercNo").is_none() && sent.get("appId").is_none());
    // The wrong model's call never leaves the client.
    let before = double.seen().len();
    assert!(matches!(
        sp.withhold(&direct_debit("DEBIT-3")).await,
        Err(PasError::Config(_))
    ));
    assert_eq!(double.seen().len(), before);
}

#[tokio::test]
async fn invalid_debits_never_leave_the_client() {
    let (double, key) = start().await;
    let client = double.client(MerchantModel::Direct, key);
    type Change = Box<dyn Fn(&mut WithholdRequest)>;
    let cases: Vec<(&str, Change)> = vec![
        ("contractId", Box::new(|r| r.order.contract_id.clear())),
        (
            "contractId",
            Box::new(|r| r.order.contract_id = "9".repeat(65)),
        ),
        ("totalAmount", Box::new(|r| r.order.total_amount = 0)),
        ("totalAmount", Box::new(|r| r.order.total_amount = -1500)),
        (
            "currency",
            Box::new(|r| r.order.currency = Some("USD".to_owned())),
        ),
        (
            "mercOrderNo",
            Box::new(|r| r.order.merc_order_no = "n".repeat(47)),
        ),
        (
            "callbackUrl",
            Box::new(|r| r.order.callback_url = "http://merchant.example/cb".to_owned()),
        ),
        (
            "callbackUrl",
            Box::new(|r| r.order.callback_url = "http://localhost:1@evil.example/".to_owned()),
        ),
        ("appId", Box::new(|r| r.app_id.clear())),
        (
            "expireTime",
            Box::new(|r| r.order.expire_time = Some("2030-01-01".to_owned())),
        ),
    ];
    for (field, change) in cases {
        let mut request = direct_debit("DEBIT-X");
        change(&mut request);
        match client.withhold(&request).await {
            Err(PasError::InvalidRequest(e)) => assert_eq!(e.field, field),
            other => panic!("{field}: {other:?}"),
        }
    }
    assert!(double.seen().is_empty());
}

// --- writes: retried only when nothing reached Payment Kit ------------------------------------

#[tokio::test]
async fn a_write_that_timed_out_after_sending_is_outcome_unknown_and_not_retried() {
    let (double, key) = start().await;
    let mut config = double.config(MerchantModel::Direct, key);
    config.request_timeout = Duration::from_millis(300);
    config.max_retries = 3;
    let client = PasClient::new(config).unwrap();
    let writes: Vec<(&str, Result<(), PasError>)> = vec![
        ("prepay", {
            double.script([Script::Delay(Duration::from_millis(1000))]);
            client
                .pas_prepay(&direct_prepay("ORDER-T"), PrepayChannel::App)
                .await
                .map(|_| ())
        }),
        ("refund", {
            double.script([Script::Delay(Duration::from_millis(1000))]);
            client.refund(&refund_request()).await.map(|_| ())
        }),
        ("unsign", {
            double.script([Script::Delay(Duration::from_millis(1000))]);
            client
                .unsign(&UnsignRequest {
                    contract_id: None,
                    merc_contract_code: Some("C1".to_owned()),
                    merc_no: DIRECT_MERC_NO.to_owned(),
                    callback_url: None,
                })
                .await
                .map(|_| ())
        }),
        ("withhold", {
            double.script([Script::Delay(Duration::from_millis(1000))]);
            client.withhold(&direct_debit("DEBIT-T")).await.map(|_| ())
        }),
    ];
    // Each write was sent once: a second copy of a write whose fate is unknown is never sent.
    assert_eq!(double.seen().len(), 4);
    for (name, result) in writes {
        let err = result.unwrap_err();
        match &err {
            PasError::OutcomeUnknown { cause } => assert!(
                matches!(
                    **cause,
                    PasError::Transport {
                        timeout: true,
                        connect: false,
                        ..
                    }
                ),
                "{name}: {cause:?}"
            ),
            other => panic!("{name}: {other:?}"),
        }
        assert!(err.outcome_unknown() && err.api().is_none(), "{name}");
        assert!(!err.retryable(), "{name}: query before acting");
    }
    // A read that times out is retried (it cannot move money).
    double.script([Script::Delay(Duration::from_millis(1000))]);
    client.query_order("ORDER-T").await.unwrap();
    assert_eq!(double.seen().len(), 6, "4 writes once, the read twice");
}

#[tokio::test]
async fn a_write_is_retried_after_a_connect_error() {
    let key = sm2_key();
    // Nothing listens for the first ~400 ms: the first attempts are refused at connect.
    let double = PaymentKitDouble::start_after(key.public_key(), Duration::from_millis(400)).await;
    let mut config = double.config(MerchantModel::Direct, key);
    config.retry_backoff = Duration::from_millis(150);
    config.max_retries = 4;
    let client = PasClient::new(config).unwrap();
    let answer = client.withhold(&direct_debit("DEBIT-C")).await.unwrap();
    assert_eq!(answer.sys_trans_order_no.as_deref(), Some("WDEBIT-C"));
    // Only the attempt that connected reached Payment Kit.
    assert_eq!(double.seen().len(), 1);
}

#[tokio::test]
async fn a_write_that_never_connected_is_a_plain_connect_error() {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    drop(listener);
    let key = sm2_key();
    let mut config = paysign_pas::ClientConfig::new(
        format!("http://127.0.0.1:{port}"),
        MerchantModel::Direct,
        paysign_pas::MerchantSigner::new(DIRECT_MERC_NO, AUTH_ID, key.clone()),
        key.public_key(),
    );
    config.retry_backoff = Duration::from_millis(1);
    let err = PasClient::new(config)
        .unwrap()
        .refund(&refund_request())
        .await
        .unwrap_err();
    assert!(
        matches!(err, PasError::Transport { connect: true, .. }),
        "{err:?}"
    );
    assert!(!err.outcome_unknown(), "nothing was sent");
}

#[tokio::test]
async fn a_duplicate_answer_to_a_retried_write_is_outcome_unknown() {
    let (double, key) = start().await;
    let client = double.client(MerchantModel::Direct, key);
    for (sub_code, call) in [
        ("CHECK_ORDER_STATUS", "prepay"),
        ("CHECK_TRANSACTION_ORDER_STATUS", "withhold"),
        ("ORDER_CONCURRENT_ERROR", "refund"),
    ] {
        // Rate-limited first (nothing processed, so retried), then "already processed".
        double.script([
            Script::Error {
                result_code: "300000",
                sub_code: "CALL_FREQUENCY_LIMITED",
            },
            Script::Error {
                result_code: "400000",
                sub_code,
            },
        ]);
        let before = double.seen().len();
        let err = match call {
            "prepay" => client
                .pas_prepay(&direct_prepay("ORDER-D"), PrepayChannel::App)
                .await
                .map(|_| ()),
            "withhold" => client.withhold(&direct_debit("DEBIT-D")).await.map(|_| ()),
            _ => client.refund(&refund_request()).await.map(|_| ()),
        }
        .unwrap_err();
        match &err {
            PasError::OutcomeUnknown { cause } => assert_eq!(
                cause.api().unwrap().sub_code.as_ref().map(|c| c.as_str()),
                Some(sub_code)
            ),
            other => panic!("{call}: {other:?}"),
        }
        assert_eq!(double.seen().len(), before + 2);
        // The same answer to a first attempt is a plain business error.
        double.script([Script::Error {
            result_code: "400000",
            sub_code,
        }]);
        let err = client.withhold(&direct_debit("DEBIT-D")).await.unwrap_err();
        assert_eq!(
            err.api().unwrap().sub_code.as_ref().map(|c| c.as_str()),
            Some(sub_code)
        );
    }
}

#[tokio::test]
async fn an_untrusted_answer_to_a_write_is_outcome_unknown() {
    let (double, key) = start().await;
    let client = double.client(MerchantModel::Direct, key);
    double.script([Script::Tamper {
        field: "sysTransOrderNo",
        value: json!("FORGED"),
    }]);
    let err = client.withhold(&direct_debit("DEBIT-U")).await.unwrap_err();
    match &err {
        PasError::OutcomeUnknown { cause } => {
            assert!(
                matches!(**cause, PasError::ResponseSignature(_)),
                "{cause:?}"
            )
        }
        other => panic!("{other:?}"),
    }
    // The same on a read is a plain signature error.
    double.script([Script::Tamper {
        field: "totalAmount",
        value: json!(1),
    }]);
    assert!(matches!(
        client.query_order("ORDER-U").await,
        Err(PasError::ResponseSignature(_))
    ));
}

#[tokio::test]
async fn oversized_answers_are_refused() {
    let (double, key) = start().await;
    let client = double.client(MerchantModel::Direct, key);
    let huge: &'static str = Box::leak(
        format!(
            r#"{{"resultCode":"000000","resultDesc":"{}"}}"#,
            "x".repeat(paysign_pas::client::MAX_RESPONSE_BYTES)
        )
        .into_boxed_str(),
    );
    double.script([Script::Raw {
        status: 200,
        body: huge,
    }]);
    let err = client.query_order("ORDER-1").await.unwrap_err();
    assert!(
        matches!(&err, PasError::InvalidResponse(m) if m.contains("larger than")),
        "{err:?}"
    );
    double.script([Script::Raw {
        status: 200,
        body: huge,
    }]);
    let err = client.refund(&refund_request()).await.unwrap_err();
    assert!(matches!(err, PasError::OutcomeUnknown { .. }), "{err:?}");
}

#[test]
fn urls_are_parsed_for_loopback() {
    let key = sm2_key();
    let make = |url: &str| {
        PasClient::new(paysign_pas::ClientConfig::new(
            url,
            MerchantModel::Direct,
            paysign_pas::MerchantSigner::new(DIRECT_MERC_NO, AUTH_ID, key.clone()),
            key.public_key(),
        ))
    };
    for bad in [
        "http://localhost:1@evil.example/",
        "http://127.0.0.1@evil.example",
        "http://127.0.0.1.evil.example",
    ] {
        assert!(matches!(make(bad), Err(PasError::Config(_))), "{bad}");
    }
    assert!(make("http://localhost:8787").is_ok());
    assert!(make("http://[::1]:8787").is_ok());
}

#[tokio::test]
async fn a_bill_download_url_that_only_looks_local_is_refused() {
    let (double, key) = start().await;
    let client = double.client(MerchantModel::Direct, key);
    let param: paysign_pas::model::common::BillDownloadParam = serde_json::from_value(json!({
        "headers": {}, "method": "GET", "downloadUrl": "http://localhost:1@evil.example/bill.zip"
    }))
    .unwrap();
    assert!(matches!(
        client.download_bill(&param).await,
        Err(PasError::Bill(paysign_pas::bill::BillError::Download(_)))
    ));
    assert_eq!(double.bill_downloads(), 0);
}

#[tokio::test]
async fn bill_download_redirects_are_bounded() {
    use std::sync::atomic::{AtomicUsize, Ordering};
    use std::sync::Arc;
    // A storage that redirects to itself for ever: the client stops after its own limit (3), far
    // below reqwest's default of 10.
    let hits = Arc::new(AtomicUsize::new(0));
    let counted = hits.clone();
    let app = axum::Router::new().route(
        "/loop.zip",
        axum::routing::get(move || {
            let counted = counted.clone();
            async move {
                counted.fetch_add(1, Ordering::SeqCst);
                (
                    axum::http::StatusCode::FOUND,
                    [(axum::http::header::LOCATION, "/loop.zip")],
                )
            }
        }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    let (double, key) = start().await;
    let client = double.client(MerchantModel::Direct, key);
    let param: paysign_pas::model::common::BillDownloadParam = serde_json::from_value(json!({
        "headers": {}, "method": "GET", "downloadUrl": format!("http://{addr}/loop.zip")
    }))
    .unwrap();
    let err = client.download_bill(&param).await.unwrap_err();
    assert!(
        matches!(
            err,
            PasError::Bill(paysign_pas::bill::BillError::Redirect(_))
        ),
        "{err:?}"
    );
    // The URL itself and 3 redirects, once: a refused redirect is policy, not a network error
    // worth retrying.
    assert_eq!(hits.load(Ordering::SeqCst), 1 + 3);
}

/// A loopback listener that counts the connections it accepts (and answers none).
async fn counting_listener() -> (
    std::net::SocketAddr,
    std::sync::Arc<std::sync::atomic::AtomicUsize>,
) {
    use std::sync::atomic::{AtomicUsize, Ordering};
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let accepted = std::sync::Arc::new(AtomicUsize::new(0));
    let counted = accepted.clone();
    tokio::spawn(async move {
        while let Ok((stream, _)) = listener.accept().await {
            counted.fetch_add(1, Ordering::SeqCst);
            drop(stream);
        }
    });
    (addr, accepted)
}

fn download_param(url: &str) -> paysign_pas::model::common::BillDownloadParam {
    serde_json::from_value(json!({"headers": {}, "method": "GET", "downloadUrl": url})).unwrap()
}

#[tokio::test]
async fn a_bill_url_to_a_host_off_the_list_is_refused_before_any_connection() {
    use std::sync::atomic::Ordering;
    let (storage, accepted) = counting_listener().await;
    let (double, key) = start().await;
    // Payment Kit's default list (Huawei Cloud OBS) does not hold this machine, nor does a list
    // naming other hosts.
    let mut config = double.config(MerchantModel::Direct, key.clone());
    config.bill_hosts = paysign_pas::ClientConfig::new(
        "https://petalpay-developer.cloud.huawei.com.cn",
        MerchantModel::Direct,
        paysign_pas::MerchantSigner::new(DIRECT_MERC_NO, AUTH_ID, key.clone()),
        key.public_key(),
    )
    .bill_hosts;
    let by_default = PasClient::new(config.clone()).unwrap();
    config.bill_hosts =
        paysign_pas::HostAllowList::new(["bills.example.com", "*.storage.example"]).unwrap();
    let listed_elsewhere = PasClient::new(config).unwrap();
    for client in [&by_default, &listed_elsewhere] {
        for url in [
            format!("http://{storage}/bill.zip"),
            format!("http://localhost:{}/bill.zip", storage.port()),
        ] {
            let err = client
                .download_bill(&download_param(&url))
                .await
                .unwrap_err();
            assert!(
                matches!(
                    err,
                    PasError::Bill(paysign_pas::bill::BillError::HostNotAllowed(_))
                ),
                "{url}: {err:?}"
            );
        }
    }
    assert_eq!(accepted.load(Ordering::SeqCst), 0, "no connection was made");
}

#[tokio::test]
async fn a_redirect_to_a_host_off_the_list_is_not_followed() {
    use std::sync::atomic::{AtomicUsize, Ordering};
    use std::sync::Arc;
    let (elsewhere, accepted) = counting_listener().await;
    // The listed storage (127.0.0.1) redirects to `localhost`: loopback too, but not listed.
    let hits = Arc::new(AtomicUsize::new(0));
    let counted = hits.clone();
    let target = format!("http://localhost:{}/stolen.zip", elsewhere.port());
    let app = axum::Router::new().route(
        "/bill.zip",
        axum::routing::get(move || {
            let counted = counted.clone();
            let target = target.clone();
            async move {
                counted.fetch_add(1, Ordering::SeqCst);
                (
                    axum::http::StatusCode::FOUND,
                    [(axum::http::header::LOCATION, target)],
                )
            }
        }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let storage = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    let (double, key) = start().await;
    let mut config = double.config(MerchantModel::Direct, key);
    config.bill_hosts = paysign_pas::HostAllowList::new(["127.0.0.1"]).unwrap();
    let client = PasClient::new(config).unwrap();
    let err = client
        .download_bill(&download_param(&format!("http://{storage}/bill.zip")))
        .await
        .unwrap_err();
    match &err {
        PasError::Bill(paysign_pas::bill::BillError::Redirect(why)) => {
            assert!(why.contains("allow-list"), "{why}")
        }
        other => panic!("{other:?}"),
    }
    assert_eq!(hits.load(Ordering::SeqCst), 1);
    assert_eq!(
        accepted.load(Ordering::SeqCst),
        0,
        "the redirect target was never contacted"
    );
}
