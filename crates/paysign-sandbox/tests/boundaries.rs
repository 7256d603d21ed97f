//! Bad input at every boundary of the sandbox, over real HTTP on loopback: the merchant API
//! (answers stay signed Payment Kit envelopes), the cashier and the operator API (answers are
//! `{"error": ...}`). Bodies over the cap (with a length, chunked), wrong JSON types, bodies that
//! are not a JSON object (an array of the fields, a string, `null`), bytes that are not UTF-8,
//! wrong Content-Types and charsets, truncated JSON, deep nesting, duplicate keys, huge numbers,
//! and clients that trickle their head or body. Each case gets a typed error, the sandbox answers
//! the next request, and nothing is stored.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

mod common;

use std::net::SocketAddr;
use std::time::Duration;

use common::*;
use paysign_crypto::PrivateKey;
use paysign_pas::auth::HttpMethod;
use paysign_pas::endpoints::{self as ep, MerchantModel as PasModel, PrepayChannel};
use paysign_pas::OrderStrBuilder;
use paysign_sandbox::{AutoResult, CallbackOptions, MerchantModel, ServeLimits, WithholdSettings};
use paysign_serve::testing::{self, chunked, head, request, Answer, Ending};
use serde_json::{json, Value};

const DEADLINE: Duration = Duration::from_millis(400);

async fn fixture() -> Fixture {
    let mut fx = Fixture::start_with(|o| {
        o.limits = ServeLimits {
            header_timeout: DEADLINE,
            body_timeout: DEADLINE,
            max_connections: 64,
        }
    })
    .await;
    // No pooled connections: the sandbox closes idle ones after DEADLINE.
    fx.http = reqwest::Client::builder()
        .pool_max_idle_per_host(0)
        .build()
        .unwrap();
    fx
}

fn addr(fx: &Fixture) -> SocketAddr {
    fx.sandbox.addr()
}

/// How many of each thing the sandbox holds.
async fn held(fx: &Fixture) -> Vec<(&'static str, usize)> {
    let mut out = Vec::new();
    for (name, path) in [
        ("orders", "/sandbox/orders"),
        ("contracts", "/sandbox/contracts"),
        ("refunds", "/sandbox/refunds"),
        ("debits", "/sandbox/debits"),
        ("events", "/sandbox/events"),
        ("callbacks", "/sandbox/callbacks"),
        ("merchants", "/sandbox/merchants"),
    ] {
        let (status, list) = fx.op_get(path).await;
        assert_eq!(status, 200, "{path}: {list}");
        out.push((name, list.as_array().map_or(0, Vec::len)));
    }
    out.push((
        "clock offset",
        usize::try_from(
            fx.op_get("/sandbox/clock").await.1["offsetMs"]
                .as_i64()
                .unwrap(),
        )
        .unwrap(),
    ));
    out
}

async fn still_serving(fx: &Fixture) {
    let answer = testing::send(addr(fx), &head("GET", "/sandbox/health", &[])).await;
    assert_eq!(answer.status, 200, "{}", answer.text());
}

/// A PayMercAuth header of `DIRECT` over `body` (or over `{}` when `body` has no canonical
/// string: the sandbox must then refuse the signature).
fn pay_merc_auth(fx: &Fixture, path: &str, body: &[u8]) -> String {
    let signer = fx.signer(DIRECT);
    let text = std::str::from_utf8(body).unwrap_or("{}");
    let auth = signer
        .pay_merc_auth(HttpMethod::Post, path, text, now_ms())
        .or_else(|_| signer.pay_merc_auth(HttpMethod::Post, path, "{}", now_ms()))
        .unwrap();
    auth.to_header_value().unwrap()
}

/// A merchant API answer: HTTP 200, signed by the sandbox, an error code.
fn assert_signed_refusal(fx: &Fixture, answer: &Answer, sub_code: Option<&str>, case: &str) {
    assert_eq!(answer.status, 200, "{case}: {}", answer.text());
    let text = answer.text();
    paysign_crypto::verify_body(&text, &fx.sandbox_key())
        .unwrap_or_else(|e| panic!("{case}: the answer is not signed ({e}): {text}"));
    let body: Value = serde_json::from_str(&text).unwrap();
    assert_ne!(body["resultCode"], "000000", "{case}: {body}");
    let code = raw_sub_code(&body);
    assert!(!code.is_empty(), "{case}: {body}");
    if let Some(expected) = sub_code {
        assert_eq!(code, expected, "{case}: {body}");
    }
}

/// The operator side's error body: `{"error": "..."}` with the status.
fn assert_op_error(answer: &Answer, status: u16, case: &str) {
    assert_eq!(answer.status, status, "{case}: {}", answer.text());
    let body: Value = serde_json::from_slice(&answer.body).unwrap_or_else(|e| {
        panic!(
            "{case}: the error body is not JSON ({e}): {}",
            answer.text()
        )
    });
    assert!(
        body["error"].as_str().is_some_and(|m| !m.is_empty()),
        "{case}: {body}"
    );
}

fn nested(depth: usize) -> String {
    format!("{}{}", "[".repeat(depth), "]".repeat(depth))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_merchant_api_requests_get_signed_refusals_and_store_nothing() {
    let fx = fixture().await;
    let before = held(&fx).await;
    let path = ep::DIRECT_PREPAY_APP;
    let good = serde_json::to_value(direct_prepay("BOUNDARY-1", 1500)).unwrap();
    let with = |field: &str, value: Value| {
        let mut v = good.clone();
        v.as_object_mut().unwrap().insert(field.to_owned(), value);
        v.to_string().into_bytes()
    };
    let json_type = ("Content-Type", "application/json; charset=UTF-8");
    let over = format!("{{\"pad\":\"{}\"}}", "x".repeat(1 << 20));
    let good_text = good.to_string();
    let truncated = good_text.as_bytes()[..good_text.len() / 2].to_vec();
    let deep = format!("{{\"mercNo\":{}}}", nested(5000)).into_bytes();
    let duplicated = good_text
        .replacen('{', "{\"totalAmount\":1,", 1)
        .into_bytes();
    // (case, body, Content-Type, the subCode expected ("" for any refusal), sent chunked?)
    type Case<'a> = (&'a str, Vec<u8>, Option<&'a str>, &'a str, bool);
    let cases: Vec<Case> = vec![
        (
            "over the cap",
            over.clone().into_bytes(),
            Some(json_type.1),
            "INVALID_ARGUMENTS",
            false,
        ),
        (
            "over the cap, chunked",
            over.into_bytes(),
            Some(json_type.1),
            "INVALID_ARGUMENTS",
            true,
        ),
        (
            "amount as a string",
            with("totalAmount", json!("1500")),
            Some(json_type.1),
            "INVALID_ARGUMENTS",
            false,
        ),
        (
            "amount fractional",
            with("totalAmount", json!(15.5)),
            Some(json_type.1),
            "INVALID_ARGUMENTS",
            false,
        ),
        (
            "amount huge",
            good_text
                .replace(
                    "\"totalAmount\":1500",
                    "\"totalAmount\":99999999999999999999",
                )
                .into_bytes(),
            Some(json_type.1),
            "INVALID_ARGUMENTS",
            false,
        ),
        (
            "not UTF-8",
            b"{\"mercNo\":\"\xff\xfe\"}".to_vec(),
            Some(json_type.1),
            "INVALID_ARGUMENTS",
            false,
        ),
        (
            "a form",
            good_text.clone().into_bytes(),
            Some("application/x-www-form-urlencoded"),
            "INVALID_ARGUMENTS",
            false,
        ),
        (
            "declared GBK",
            good_text.clone().into_bytes(),
            Some("application/json; charset=GBK"),
            "INVALID_ARGUMENTS",
            false,
        ),
        (
            "no Content-Type",
            good_text.clone().into_bytes(),
            None,
            "INVALID_ARGUMENTS",
            false,
        ),
        ("truncated", truncated, Some(json_type.1), "", false),
        ("deeply nested", deep, Some(json_type.1), "", false),
        ("a duplicate key", duplicated, Some(json_type.1), "", false),
        (
            "a huge exponent",
            with("totalAmount", json!(1e300)),
            Some(json_type.1),
            "",
            false,
        ),
    ];
    for (case, body, content_type, sub_code, is_chunked) in &cases {
        let header = pay_merc_auth(&fx, path, body);
        let mut headers = vec![("PayMercAuth", header.as_str())];
        if let Some(t) = content_type {
            headers.push(("Content-Type", *t));
        }
        let bytes = if *is_chunked {
            chunked("POST", path, &headers, body, 64 * 1024)
        } else {
            request("POST", path, &headers, body)
        };
        let answer = testing::send(addr(&fx), &bytes).await;
        let expected = (!sub_code.is_empty()).then_some(*sub_code);
        assert_signed_refusal(&fx, &answer, expected, case);
        still_serving(&fx).await;
    }
    assert_eq!(held(&fx).await, before, "nothing is stored");
    // The same request, well-formed, is accepted: the cases failed for their flaw alone.
    let answer = fx
        .raw_verified(DIRECT, HttpMethod::Post, path, &good_text, |_| Some(()))
        .await;
    assert_eq!(answer["resultCode"], "000000", "{answer}");
    fx.sandbox.shutdown().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_cashier_and_operator_requests_get_error_bodies_and_store_nothing() {
    let fx = fixture().await;
    let before = held(&fx).await;
    let json_type = ("Content-Type", "application/json");
    let over = format!(
        "{{\"orderStr\":\"{}\",\"decision\":\"CANCEL\"}}",
        "o".repeat(1 << 20)
    );
    let deep = format!("{{\"orderStr\":{},\"decision\":\"CANCEL\"}}", nested(5000));
    let post =
        |path: &str, headers: &[(&str, &str)], body: &[u8]| request("POST", path, headers, body);
    let cashier = "/sandbox/cashier";
    let refund = format!("/sandbox/refunds/{DIRECT}/NO-SUCH-REFUND/complete");
    let cases: Vec<(&str, Vec<u8>, u16)> = vec![
        (
            "cashier over the cap",
            post(cashier, &[json_type], over.as_bytes()),
            413,
        ),
        (
            "cashier over the cap, chunked",
            chunked("POST", cashier, &[json_type], over.as_bytes(), 8192),
            413,
        ),
        (
            "cashier decision as a number",
            post(cashier, &[json_type], br#"{"orderStr":"x","decision":3}"#),
            400,
        ),
        (
            "cashier unknown decision",
            post(
                cashier,
                &[json_type],
                br#"{"orderStr":"x","decision":"STEAL"}"#,
            ),
            400,
        ),
        (
            "cashier not UTF-8",
            post(
                cashier,
                &[json_type],
                b"{\"orderStr\":\"\xff\",\"decision\":\"CANCEL\"}",
            ),
            400,
        ),
        (
            "cashier as text",
            post(
                cashier,
                &[("Content-Type", "text/plain")],
                br#"{"orderStr":"x","decision":"CANCEL"}"#,
            ),
            415,
        ),
        (
            "cashier declared GBK",
            post(
                cashier,
                &[("Content-Type", "application/json; charset=GBK")],
                br#"{"orderStr":"x","decision":"CANCEL"}"#,
            ),
            415,
        ),
        (
            "cashier truncated",
            post(cashier, &[json_type], br#"{"orderStr":"x","decis"#),
            400,
        ),
        (
            "cashier deeply nested",
            post(cashier, &[json_type], deep.as_bytes()),
            400,
        ),
        (
            "cashier duplicate key",
            post(
                cashier,
                &[json_type],
                br#"{"orderStr":"x","decision":"CANCEL","decision":"PAY_AND_SIGN"}"#,
            ),
            400,
        ),
        (
            "clock by a string",
            post("/sandbox/clock", &[json_type], br#"{"advanceMs":"1"}"#),
            400,
        ),
        (
            "clock by a huge number",
            post(
                "/sandbox/clock",
                &[json_type],
                br#"{"advanceMs":99999999999999999999}"#,
            ),
            400,
        ),
        (
            "clock to the end of time",
            post(
                "/sandbox/clock",
                &[json_type],
                br#"{"advanceMs":9223372036854775807}"#,
            ),
            400,
        ),
        (
            "clock without a body type",
            post("/sandbox/clock", &[], br#"{"advanceMs":1000}"#),
            415,
        ),
        // Once read as "no body" and completed as a success.
        (
            "refund result without a body type",
            post(&refund, &[], br#"{"success":false}"#),
            415,
        ),
        (
            "refund result as a string",
            post(&refund, &[json_type], br#"{"success":"no"}"#),
            400,
        ),
        (
            "merchant over the cap",
            post(
                "/sandbox/merchants",
                &[json_type],
                format!("{{\"pad\":\"{}\"}}", "m".repeat(1 << 20)).as_bytes(),
            ),
            413,
        ),
        (
            "merchant of wrong types",
            post(
                "/sandbox/merchants",
                &[json_type],
                br#"{"mercNo":1,"model":true}"#,
            ),
            400,
        ),
        (
            "faults with a negative count",
            post(
                "/sandbox/faults",
                &[json_type],
                br#"{"dropConnections":-1}"#,
            ),
            400,
        ),
        (
            "event number not a number",
            head("GET", "/sandbox/events/abc/notification", &[]),
            400,
        ),
        (
            "orders filtered oddly",
            head("GET", "/sandbox/orders/%FF/%FE", &[]),
            400,
        ),
        ("no such path", head("GET", "/sandbox/nothing", &[]), 404),
        ("wrong method", head("DELETE", "/sandbox/clock", &[]), 405),
    ];
    for (case, bytes, status) in &cases {
        let answer = testing::send(addr(&fx), bytes).await;
        assert_op_error(&answer, *status, case);
        still_serving(&fx).await;
    }
    assert_eq!(held(&fx).await, before, "nothing is stored");
    fx.sandbox.shutdown().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn slow_clients_are_cut_off_while_others_are_served() {
    let fx = fixture().await;
    let before = held(&fx).await;
    let every = Duration::from_millis(60);
    let give_up = Duration::from_secs(5);
    let path = ep::DIRECT_PREPAY_APP;
    let body = serde_json::to_string(&direct_prepay("SLOW-1", 1500)).unwrap();
    let header = pay_merc_auth(&fx, path, body.as_bytes());
    let length = body.len().to_string();
    let slow_head = tokio::spawn(testing::trickle(
        addr(&fx),
        b"POST /sandbox/cashier HTTP/1.1\r\n",
        b"Content-Type: application/json\r\nX-Padding: 0123456789\r\n",
        every,
        give_up,
    ));
    let slow_api_body = tokio::spawn(testing::trickle(
        addr(&fx),
        head(
            "POST",
            path,
            &[
                ("PayMercAuth", &header),
                ("Content-Type", "application/json; charset=UTF-8"),
                ("Content-Length", &length),
            ],
        ),
        body.clone().into_bytes(),
        every,
        give_up,
    ));
    let slow_operator_body = tokio::spawn(testing::trickle(
        addr(&fx),
        head(
            "POST",
            "/sandbox/clock",
            &[
                ("Content-Type", "application/json"),
                ("Content-Length", "200"),
            ],
        ),
        &[b' '; 100],
        every,
        give_up,
    ));
    // Meanwhile a merchant is served.
    let client = fx.client(DIRECT);
    client
        .pas_prepay(
            &direct_prepay("FAST-1", 1500),
            paysign_pas::PrepayChannel::App,
        )
        .await
        .unwrap();
    still_serving(&fx).await;

    let (ending, took) = slow_head.await.unwrap();
    assert!(matches!(ending, Ending::Closed | Ending::Answered(_)));
    assert!(
        took >= DEADLINE - Duration::from_millis(100),
        "head cut after {took:?}"
    );
    match slow_api_body.await.unwrap() {
        (Ending::Answered(answer), took) => {
            assert_signed_refusal(&fx, &answer, Some("INVALID_ARGUMENTS"), "slow API body");
            assert!(
                answer.text().contains("did not arrive"),
                "{}",
                answer.text()
            );
            assert!(
                took >= DEADLINE - Duration::from_millis(100),
                "cut after {took:?}"
            );
        }
        (Ending::Closed, _) => panic!("slow API body: closed without an answer"),
    }
    match slow_operator_body.await.unwrap() {
        (Ending::Answered(answer), _) => assert_op_error(&answer, 408, "slow operator body"),
        (Ending::Closed, _) => panic!("slow operator body: closed without an answer"),
    }
    let after = held(&fx).await;
    // FAST-1 and its event, nothing of SLOW-1.
    assert_eq!(after[0].1, before[0].1 + 1);
    let (_, orders) = fx.op_get("/sandbox/orders").await;
    assert!(!orders.to_string().contains("SLOW-1"), "{orders}");
    fx.sandbox.shutdown().await.unwrap();
}

/// The values of a JSON object's members in the order written: the array serde's derived
/// readers take for the struct that object describes.
fn values_in_order(object: &str) -> Vec<Value> {
    struct InOrder(Vec<Value>);
    impl<'de> serde::Deserialize<'de> for InOrder {
        fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
            struct Members;
            impl<'de> serde::de::Visitor<'de> for Members {
                type Value = InOrder;
                fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                    f.write_str("a JSON object")
                }
                fn visit_map<A: serde::de::MapAccess<'de>>(
                    self,
                    mut map: A,
                ) -> Result<InOrder, A::Error> {
                    let mut values = Vec::new();
                    while let Some((_, value)) = map.next_entry::<String, Value>()? {
                        values.push(value);
                    }
                    Ok(InOrder(values))
                }
            }
            d.deserialize_map(Members)
        }
    }
    serde_json::from_str::<InOrder>(object).unwrap().0
}

/// Bodies that are JSON but not an object, made from a valid object body: its values as an
/// array (which serde's derived readers would take as the struct), the object sent as a
/// string, a number and `null`.
fn not_objects(object: &str) -> Vec<(&'static str, Vec<u8>)> {
    let array = Value::Array(values_in_order(object)).to_string();
    vec![
        ("its values as an array", array.clone().into_bytes()),
        (
            "its values as an array after blanks",
            format!(" \r\n\t{array}").into_bytes(),
        ),
        (
            "the object as a string",
            Value::String(object.to_owned()).to_string().into_bytes(),
        ),
        ("a number", b"60000".to_vec()),
        ("null", b"null".to_vec()),
    ]
}

/// What the operator API shows of the sandbox's state, minus what moves by itself (the clock's
/// reading, callback delivery attempts) and the counts of requests seen.
async fn state(fx: &Fixture) -> Vec<(&'static str, Value)> {
    let mut out = Vec::new();
    for path in [
        "/sandbox/merchants",
        "/sandbox/orders",
        "/sandbox/contracts",
        "/sandbox/refunds",
        "/sandbox/debits",
        "/sandbox/events",
        "/sandbox/withhold-settings",
    ] {
        let (status, body) = fx.op_get(path).await;
        assert_eq!(status, 200, "{path}: {body}");
        out.push((path, body));
    }
    let clock = fx.op_get("/sandbox/clock").await.1;
    out.push(("clock offset", clock["offsetMs"].clone()));
    let faults = fx.op_get("/sandbox/faults").await.1;
    out.push(("faults armed", faults["armed"].clone()));
    let delivery = fx.op_get("/sandbox/callback-faults").await.1;
    out.push(("callback faults armed", delivery["armed"].clone()));
    out
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bodies_that_are_not_json_objects_are_refused_and_change_nothing() {
    // Delivering callbacks, so that a delivery fault plan can be armed (to loopback hosts only:
    // the callbacks of these orders, to merchant.example, are never sent).
    let fx = Fixture::start_with(|o| o.callbacks = Some(CallbackOptions::default())).await;
    let client = fx.client(DIRECT);
    // An open order and its orderStr; a paid order with a signed contract and a refund in progress.
    let open = client
        .pas_prepay(&direct_prepay("OBJ-OPEN", 1990), PrepayChannel::App)
        .await
        .unwrap();
    let order_str = OrderStrBuilder::new(fx.signer(DIRECT), PasModel::Direct)
        .build(Some(DIRECT_APP), &open.prepay_id, now_ms())
        .unwrap();
    client
        .pas_prepay(&direct_prepay("OBJ-PAID", 1990), PrepayChannel::App)
        .await
        .unwrap();
    fx.act(&format!("/sandbox/orders/{DIRECT}/OBJ-PAID/pay"))
        .await;
    fx.act(&format!("/sandbox/contracts/{DIRECT}/C-OBJ-PAID/sign"))
        .await;
    client
        .refund(&refund_request("OBJ-PAID", "OBJ-R", Some(100)))
        .await
        .unwrap();
    let before = state(&fx).await;

    let new_merchant = serde_json::to_string(&merchant(
        "109000000009",
        "AUTH-OBJ",
        MerchantModel::Direct,
        &PrivateKey::generate_sm2().unwrap(),
    ))
    .unwrap();
    let settings = serde_json::to_string(&WithholdSettings {
        max_debits: 1,
        window_ms: 1_000,
        auto_result: AutoResult::Fail,
        auto_delay_ms: 0,
    })
    .unwrap();
    // (path, a valid object body): each would change something if accepted.
    let operator: Vec<(String, String)> = vec![
        ("/sandbox/merchants".into(), new_merchant),
        (
            "/sandbox/cashier".into(),
            format!(
                r#"{{"orderStr":{},"decision":"PAY_AND_SIGN"}}"#,
                json!(order_str)
            ),
        ),
        (
            format!("/sandbox/contracts/{DIRECT}/C-OBJ-PAID/unsign"),
            r#"{"changeMode":"PLATFORM_UNSIGN"}"#.into(),
        ),
        (
            format!("/sandbox/refunds/{DIRECT}/OBJ-R/complete"),
            r#"{"success":false}"#.into(),
        ),
        ("/sandbox/clock".into(), r#"{"advanceMs":60000}"#.into()),
        ("/sandbox/faults".into(), r#"{"dropConnections":5}"#.into()),
        ("/sandbox/callback-faults".into(), r#"{"drop":3}"#.into()),
        ("/sandbox/withhold-settings".into(), settings),
    ];
    let json_type = ("Content-Type", "application/json");
    for (path, object) in &operator {
        for (case, body) in not_objects(object) {
            let case = format!("{path}, {case}");
            let answer =
                testing::send(addr(&fx), &request("POST", path, &[json_type], &body)).await;
            assert_op_error(&answer, 400, &case);
            let error: Value = serde_json::from_slice(&answer.body).unwrap();
            let why = error["error"].as_str().unwrap();
            assert!(why.contains("expected a JSON object"), "{case}: {why}");
        }
    }

    // The Payment Kit merchant API: a signed INVALID_PARAMETER refusal, as its signature covers
    // the canonical string of a JSON object only.
    let prepay = serde_json::to_string(&direct_prepay("OBJ-NEW", 1500)).unwrap();
    let refund = serde_json::to_string(&refund_request("OBJ-PAID", "OBJ-R2", Some(100))).unwrap();
    for (path, object) in [
        (ep::DIRECT_PREPAY_APP, &prepay),
        (ep::DIRECT_REFUND, &refund),
    ] {
        for (case, body) in not_objects(object) {
            let case = format!("{path}, {case}");
            let header = pay_merc_auth(&fx, path, &body);
            let headers = [("PayMercAuth", header.as_str()), json_type];
            let answer = testing::send(addr(&fx), &request("POST", path, &headers, &body)).await;
            assert_signed_refusal(&fx, &answer, Some("INVALID_PARAMETER"), &case);
            let refusal: Value = serde_json::from_slice(&answer.body).unwrap();
            let why = refusal["subDesc"].as_str().unwrap();
            assert!(why.contains("is not a JSON object"), "{case}: {why}");
        }
    }
    still_serving(&fx).await;
    assert_eq!(state(&fx).await, before, "nothing is stored or changed");

    // The same requests as objects are taken: the cases above failed for their shape alone.
    let answer = fx
        .raw_verified(
            DIRECT,
            HttpMethod::Post,
            ep::DIRECT_PREPAY_APP,
            &prepay,
            |_| Some(()),
        )
        .await;
    assert_eq!(answer["resultCode"], "000000", "{answer}");
    for (path, object) in &operator {
        let bytes = request("POST", path, &[json_type], object.as_bytes());
        let answer = testing::send(addr(&fx), &bytes).await;
        let created = if path == "/sandbox/merchants" {
            201
        } else {
            200
        };
        assert_eq!(answer.status, created, "{path}: {}", answer.text());
    }
    fx.sandbox.shutdown().await.unwrap();
}
