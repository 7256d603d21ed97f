//! PayMercAuth as the sandbox checks it (rejected signatures, reused traceIds, stale times,
//! missing and malformed header fields), and the client's behaviour against the sandbox's test
//! faults: retries, timeouts, dropped connections, unavailability and tampered answers.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

mod common;

use std::time::{Duration, Instant};

use common::*;
use paysign_crypto::PrivateKey;
use paysign_pas::auth::{HttpMethod, MerchantSigner};
use paysign_pas::client::PasClient;
use paysign_pas::codes::{ResultCode, SubCode};
use paysign_pas::endpoints::{self as ep, PrepayChannel};
use paysign_pas::error::PasError;
use serde_json::{json, Value};

fn query_path(no: &str) -> String {
    format!("{}{no}", ep::DIRECT_QUERY_ORDER_PREFIX)
}

async fn faults(fx: &Fixture) -> Value {
    fx.op_get("/sandbox/faults").await.1
}

// ------------------------------------------------------------------ signatures

#[tokio::test]
async fn a_request_signed_with_another_key_is_rejected() {
    let fx = Fixture::start().await;
    let mut config = fx.config_for(DIRECT);
    config.signer = MerchantSigner::new(DIRECT, DIRECT_AUTH, PrivateKey::generate_sm2().unwrap());
    let client = PasClient::new(config).unwrap();
    match client
        .pas_prepay(&direct_prepay("K-1", 100), PrepayChannel::App)
        .await
    {
        Err(PasError::Api(api)) => {
            assert_eq!(api.result_code, ResultCode::SignatureError);
            assert_eq!(api.sub_code, Some(SubCode::InvalidSignature));
            assert!(!PasError::Api(api).retryable());
        }
        other => panic!("{other:?}"),
    }
    let (_, orders) = fx.op_get("/sandbox/orders").await;
    assert_eq!(orders.as_array().unwrap().len(), 0);
}

#[tokio::test]
async fn a_changed_body_or_path_no_longer_matches_its_signature() {
    let fx = Fixture::start().await;
    let signed = serde_json::to_string(&direct_prepay("T-1", 100)).unwrap();
    let sent = serde_json::to_string(&direct_prepay("T-1", 1)).unwrap();
    let auth = fx
        .signer(DIRECT)
        .pay_merc_auth(HttpMethod::Post, ep::DIRECT_PREPAY_APP, &signed, now_ms())
        .unwrap();
    let answer = fx
        .send_with_auth(HttpMethod::Post, ep::DIRECT_PREPAY_APP, &sent, &auth)
        .await;
    assert_eq!(answer["resultCode"], "200002");
    assert_eq!(raw_sub_code(&answer), "INVALID_SIGNATURE");

    // GET: the signature covers the path; asking for another order with it fails.
    let auth = fx
        .signer(DIRECT)
        .pay_merc_auth(HttpMethod::Get, &query_path("A"), "", now_ms())
        .unwrap();
    let answer = fx
        .send_with_auth(HttpMethod::Get, &query_path("B"), "", &auth)
        .await;
    assert_eq!(raw_sub_code(&answer), "INVALID_SIGNATURE");

    // A header field changed after signing (headerSign covers every other field).
    let answer = fx
        .raw_verified(DIRECT, HttpMethod::Get, &query_path("A"), "", |h| {
            h.insert("time".to_owned(), json!(now_ms() + 1));
            Some(())
        })
        .await;
    assert_eq!(raw_sub_code(&answer), "INVALID_SIGNATURE");
}

#[tokio::test]
async fn a_reused_trace_id_is_refused_for_that_merchant_only() {
    let fx = Fixture::start().await;
    let send = |merc_no: &'static str, trace: &'static str| {
        let fx = &fx;
        async move {
            let auth = fx
                .signer(merc_no)
                .pay_merc_auth_with_trace_id(
                    HttpMethod::Get,
                    &query_path("X"),
                    "",
                    now_ms(),
                    trace.to_owned(),
                )
                .unwrap();
            fx.send_with_auth(HttpMethod::Get, &query_path("X"), "", &auth)
                .await
        }
    };
    // Authenticated, then refused for the unknown order: the traceId is spent.
    assert_eq!(
        raw_sub_code(&send(DIRECT, "trace-0001").await),
        "MERC_ORDER_NOT_EXIST"
    );
    let again = send(DIRECT, "trace-0001").await;
    assert_eq!(again["resultCode"], "200001");
    assert_eq!(raw_sub_code(&again), "INVALID_DUPLICATE_REQUEST");
    // Another merchant may use the same traceId.
    assert_eq!(
        raw_sub_code(&send(RESTRICTED, "trace-0001").await),
        "MERC_ORDER_NOT_EXIST"
    );
    // A request with a bad signature does not burn a traceId.
    let mut config = fx.config_for(DIRECT);
    config.signer = MerchantSigner::new(DIRECT, DIRECT_AUTH, PrivateKey::generate_sm2().unwrap());
    let forged = config
        .signer
        .pay_merc_auth_with_trace_id(
            HttpMethod::Get,
            &query_path("X"),
            "",
            now_ms(),
            "trace-0002".to_owned(),
        )
        .unwrap();
    let answer = fx
        .send_with_auth(HttpMethod::Get, &query_path("X"), "", &forged)
        .await;
    assert_eq!(raw_sub_code(&answer), "INVALID_SIGNATURE");
    assert_eq!(
        raw_sub_code(&send(DIRECT, "trace-0002").await),
        "MERC_ORDER_NOT_EXIST"
    );
}

#[tokio::test]
async fn a_stale_or_future_time_is_refused() {
    let fx = Fixture::start().await;
    for skew in [-6 * 60_000, 6 * 60_000] {
        let auth = fx
            .signer(DIRECT)
            .pay_merc_auth(HttpMethod::Get, &query_path("X"), "", now_ms() + skew)
            .unwrap();
        let answer = fx
            .send_with_auth(HttpMethod::Get, &query_path("X"), "", &auth)
            .await;
        assert_eq!(answer["resultCode"], "200001", "{skew}");
        assert_eq!(raw_sub_code(&answer), "INVALID_TIME", "{skew}");
    }
    // Within the window it passes.
    let auth = fx
        .signer(DIRECT)
        .pay_merc_auth(HttpMethod::Get, &query_path("X"), "", now_ms() - 4 * 60_000)
        .unwrap();
    let answer = fx
        .send_with_auth(HttpMethod::Get, &query_path("X"), "", &auth)
        .await;
    assert_eq!(raw_sub_code(&answer), "MERC_ORDER_NOT_EXIST");
}

#[tokio::test]
async fn missing_and_malformed_header_fields() {
    let fx = Fixture::start().await;
    let path = query_path("X");
    let missing = [
        ("callerId", "MISSING_CALLER_ID"),
        ("traceId", "MISSING_TRACER_ID"),
        ("time", "MISSING_TIME"),
        ("authId", "MISSING_AUTH_ID"),
        ("headerSign", "MISSING_HEADER_SIGN"),
        ("bodySign", "MISSING_BODY_SIGN"),
    ];
    for (field, code) in missing {
        let answer = fx
            .raw_verified(DIRECT, HttpMethod::Get, &path, "", |h| {
                h.remove(field);
                Some(())
            })
            .await;
        assert_eq!(answer["resultCode"], "200000", "{field}");
        assert_eq!(raw_sub_code(&answer), code, "{field}");
    }
    let no_header = fx
        .raw_verified(DIRECT, HttpMethod::Get, &path, "", |_| None)
        .await;
    assert_eq!(raw_sub_code(&no_header), "MISSING_AUTH_HEADER");

    let not_json = fx.verified(
        fx.send(HttpMethod::Get, &path, "", Some("callerId=1".to_owned()))
            .await,
    );
    assert_eq!(raw_sub_code(&not_json), "INVALID_AUTH_HEADER");

    let cases: Vec<(&str, Value, &str)> = vec![
        ("callerId", json!("999999999999"), "INVALID_CALLER_ID"),
        ("authId", json!("AUTH-SOMEONE-ELSE"), "INVALID_AUTH_ID"),
        ("traceId", json!("t".repeat(33)), "INVALID_TRACER_ID"),
        ("time", json!("1700000000000"), "INVALID_TIME"),
        ("callerId", json!(101), "INVALID_AUTH_HEADER"),
    ];
    for (field, value, code) in cases {
        let answer = fx
            .raw_verified(DIRECT, HttpMethod::Get, &path, "", |h| {
                h.insert(field.to_owned(), value.clone());
                Some(())
            })
            .await;
        assert_eq!(answer["resultCode"], "200001", "{field}");
        assert_eq!(raw_sub_code(&answer), code, "{field}");
    }

    // A POST body that is not JSON: the signed input cannot even be built.
    let auth = fx
        .signer(DIRECT)
        .pay_merc_auth(HttpMethod::Post, ep::DIRECT_PREPAY_APP, "{}", now_ms())
        .unwrap();
    let answer = fx
        .send_with_auth(HttpMethod::Post, ep::DIRECT_PREPAY_APP, "not json", &auth)
        .await;
    assert_eq!(raw_sub_code(&answer), "INVALID_PARAMETER");
}

// ------------------------------------------------------------------ retries and timeouts

#[tokio::test]
async fn frequency_limits_are_retried_within_the_bound() {
    let fx = Fixture::start().await;
    let client = fx.client(DIRECT); // 2 retries
    client
        .pas_prepay(&direct_prepay("F-1", 100), PrepayChannel::App)
        .await
        .unwrap();

    fx.arm(json!({"frequencyLimited": 2})).await;
    let q = client.query_order("F-1").await.unwrap();
    assert_eq!(q.merc_order_no, "F-1");
    let f = faults(&fx).await;
    assert_eq!(f["counts"]["frequencyLimited"], 2);

    fx.arm(json!({"frequencyLimited": 3})).await;
    match client.query_order("F-1").await {
        Err(PasError::Api(api)) => {
            assert!(api.is_frequency_limited());
            assert_eq!(api.result_code, ResultCode::FrequencyLimited);
        }
        other => panic!("{other:?}"),
    }
    assert_eq!(faults(&fx).await["counts"]["frequencyLimited"], 5);
}

#[tokio::test]
async fn a_dropped_write_is_outcome_unknown_and_a_dropped_read_is_retried() {
    let fx = Fixture::start().await;
    let client = fx.client(DIRECT);
    // The request was sent and the connection dropped: the client cannot know whether the
    // pre-order happened, so it says so and sends no second copy.
    fx.arm(json!({"dropConnections": 1})).await;
    match client
        .pas_prepay(&direct_prepay("N-1", 100), PrepayChannel::App)
        .await
    {
        Err(e @ PasError::OutcomeUnknown { .. }) => assert!(e.outcome_unknown()),
        other => panic!("{other:?}"),
    }
    assert_eq!(faults(&fx).await["counts"]["dropped"], 1);
    // Reads are retried through a drop; this one finds the order was never created (the
    // sandbox dropped before handling), so the same mercOrderNo is sent again, once.
    fx.arm(json!({"dropConnections": 1})).await;
    assert!(client.query_order("N-1").await.is_err());
    assert_eq!(faults(&fx).await["counts"]["dropped"], 2);
    client
        .pas_prepay(&direct_prepay("N-1", 100), PrepayChannel::App)
        .await
        .unwrap();
    let (_, orders) = fx.op_get("/sandbox/orders").await;
    assert_eq!(orders.as_array().unwrap().len(), 1);

    // More drops than retries: a read ends in a transport error.
    fx.arm(json!({"dropConnections": 3})).await;
    match client.query_order("N-1").await {
        Err(e @ PasError::Transport { .. }) => {
            assert!(e.retryable());
            assert!(e.outcome_unknown());
        }
        other => panic!("{other:?}"),
    }
    assert_eq!(faults(&fx).await["counts"]["dropped"], 5);
    // The operator API is never hit by the fault.
    fx.arm(json!({"dropConnections": 1})).await;
    assert_eq!(fx.op_get("/sandbox/health").await.0, 200);
}

#[tokio::test]
async fn a_slow_answer_times_out() {
    let fx = Fixture::start().await;
    let mut config = fx.config_for(DIRECT);
    config.request_timeout = Duration::from_millis(300);
    config.max_retries = 0;
    let client = PasClient::new(config.clone()).unwrap();
    fx.arm(json!({"delayedResponses": 1, "delayMs": 2000}))
        .await;
    let started = Instant::now();
    match client.query_order("S-1").await {
        Err(PasError::Transport { timeout, .. }) => assert!(timeout),
        other => panic!("{other:?}"),
    }
    assert!(started.elapsed() < Duration::from_millis(1500));

    // With a retry, the second attempt is answered in time.
    config.max_retries = 1;
    let client = PasClient::new(config).unwrap();
    fx.arm(json!({"delayedResponses": 1, "delayMs": 2000}))
        .await;
    assert_eq!(
        sub_code(client.query_order("S-1").await),
        SubCode::MercOrderNotExist
    );
}

#[tokio::test]
async fn unavailability_is_reported_not_retried() {
    let fx = Fixture::start().await;
    let client = fx.client(DIRECT);
    fx.arm(json!({"unavailable": 1})).await;
    match client.query_order("U-1").await {
        Err(e @ PasError::Api(_)) => {
            let PasError::Api(api) = &e else {
                unreachable!()
            };
            assert_eq!(api.result_code, ResultCode::ServiceUnavailable);
            assert_eq!(api.sub_code, Some(SubCode::UnknowError));
            assert!(e.retryable());
        }
        other => panic!("{other:?}"),
    }
    let f = faults(&fx).await;
    assert_eq!(
        (
            f["counts"]["unavailable"].as_u64(),
            f["counts"]["handled"].as_u64()
        ),
        (Some(1), Some(0))
    );
}

// ------------------------------------------------------------------ tampered answers

#[tokio::test]
async fn a_tampered_answer_fails_verification() {
    let fx = Fixture::start().await;
    let client = fx.client(DIRECT);
    fx.arm(json!({"tamperResponses": 1})).await;
    // A write whose answer cannot be trusted may or may not have happened.
    match client
        .pas_prepay(&direct_prepay("A-1", 100), PrepayChannel::App)
        .await
    {
        Err(PasError::OutcomeUnknown { cause }) => {
            assert!(
                matches!(*cause, PasError::ResponseSignature(_)),
                "{cause:?}"
            )
        }
        other => panic!("{other:?}"),
    }
    fx.act(&format!("/sandbox/orders/{DIRECT}/A-1/pay")).await;
    fx.arm(json!({"tamperResponses": 1})).await;
    assert!(matches!(
        client.query_order("A-1").await,
        Err(PasError::ResponseSignature(_))
    ));

    // What the tampering changed: with verification off the altered amount gets through.
    let mut config = fx.config_for(DIRECT);
    config.verify_responses = false;
    let trusting = PasClient::new(config).unwrap();
    fx.arm(json!({"tamperResponses": 1})).await;
    assert_eq!(trusting.query_order("A-1").await.unwrap().total_amount, 101);
    assert_eq!(client.query_order("A-1").await.unwrap().total_amount, 100);
    // Error answers are signed too, and tampering them is caught as well.
    fx.arm(json!({"tamperResponses": 1})).await;
    assert!(matches!(
        client.query_order("NOPE").await,
        Err(PasError::ResponseSignature(_))
    ));
}

#[tokio::test]
async fn a_client_configured_with_another_sandbox_key_rejects_every_answer() {
    let fx = Fixture::start().await;
    let mut config = fx.config_for(DIRECT);
    config.huawei_public_key = Some(PrivateKey::generate_sm2().unwrap().public_key());
    let client = PasClient::new(config).unwrap();
    assert!(matches!(
        client.query_order("X").await,
        Err(PasError::ResponseSignature(_))
    ));
}
