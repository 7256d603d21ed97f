//! PayMercAuth: build → verify round trips with real SM2 and RSA-PSS keys, and every tamper and
//! every missing or malformed field refused with the spec's code.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

mod support;

use paysign_crypto::PrivateKey;
use paysign_pas::auth::HttpMethod;
use paysign_pas::infer::AUTH_TIME_WINDOW_MS;
use paysign_pas::simulator::auth::{
    check_time, parse_pay_merc_auth, verify_pay_merc_auth, AuthError,
};
use paysign_pas::{MerchantSigner, ResultCode, SubCode};
use serde_json::{json, Value};
use support::*;

const BODY: &str = r#"{"mercOrderNo":"A1","totalAmount":5,"contractInfo":{"planId":"1","mercContractCode":"C1","callbackUrl":"https://x.example/s"},"tradeSummary":"shop-手机"}"#;
const PATH: &str = "/api/v1/aggr/pay-and-sign/preorder/create/app";
const GET_PATH: &str = "/api/v2/aggr/transactions/merc-orders/A1";
const NOW: i64 = 1_700_000_000_000;

fn signer(key: PrivateKey) -> MerchantSigner {
    MerchantSigner::new(DIRECT_MERC_NO, AUTH_ID, key)
}

fn header(signer: &MerchantSigner, method: HttpMethod, path: &str, body: &str) -> String {
    signer
        .pay_merc_auth(method, path, body, NOW)
        .unwrap()
        .to_header_value()
        .unwrap()
}

fn edit(header: &str, f: impl FnOnce(&mut serde_json::Map<String, Value>)) -> String {
    let mut v: serde_json::Map<String, Value> = serde_json::from_str(header).unwrap();
    f(&mut v);
    serde_json::to_string(&v).unwrap()
}

#[test]
fn round_trip_sm2_and_rsa_post_and_get() {
    for key in [sm2_key(), rsa_key()] {
        let public = key.public_key();
        let s = signer(key);
        let post = header(&s, HttpMethod::Post, PATH, BODY);
        let auth =
            verify_pay_merc_auth(Some(&post), HttpMethod::Post, PATH, BODY, &public).unwrap();
        assert_eq!(auth.caller_id, DIRECT_MERC_NO);
        assert_eq!(auth.auth_id, AUTH_ID);
        assert_eq!(auth.time, NOW);
        assert_eq!(auth.trace_id.len(), 32);
        assert!(auth.trace_id.starts_with(&NOW.to_string()));
        let get = header(&s, HttpMethod::Get, GET_PATH, "");
        verify_pay_merc_auth(Some(&get), HttpMethod::Get, GET_PATH, "", &public).unwrap();
    }
}

#[test]
fn header_is_the_documented_json_object() {
    let s = signer(sm2_key());
    let v: Value = serde_json::from_str(&header(&s, HttpMethod::Post, PATH, BODY)).unwrap();
    let mut keys: Vec<&str> = v.as_object().unwrap().keys().map(String::as_str).collect();
    keys.sort_unstable();
    assert_eq!(
        keys,
        [
            "authId",
            "bodySign",
            "callerId",
            "headerSign",
            "time",
            "traceId"
        ]
    );
    assert!(v["time"].is_i64(), "time is a Long, not a string");
}

#[test]
fn body_sign_covers_the_canonical_body_not_its_text_layout() {
    // Same members, other order and spacing: still verifies (the canonical string is the same).
    let key = sm2_key();
    let public = key.public_key();
    let h = header(&signer(key), HttpMethod::Post, PATH, BODY);
    let reordered: Value = serde_json::from_str(BODY).unwrap();
    let pretty = serde_json::to_string_pretty(&reordered).unwrap();
    verify_pay_merc_auth(Some(&h), HttpMethod::Post, PATH, &pretty, &public).unwrap();
}

#[test]
fn every_tamper_is_rejected() {
    let key = sm2_key();
    let public = key.public_key();
    let s = signer(key);
    let post = header(&s, HttpMethod::Post, PATH, BODY);
    let get = header(&s, HttpMethod::Get, GET_PATH, "");
    let body_changed = BODY.replace("\"totalAmount\":5", "\"totalAmount\":6");
    let cases: Vec<(&str, String, HttpMethod, &str, String, AuthError)> = vec![
        (
            "amount changed",
            post.clone(),
            HttpMethod::Post,
            PATH,
            body_changed,
            AuthError::BadBodySign,
        ),
        (
            "field added",
            post.clone(),
            HttpMethod::Post,
            PATH,
            BODY.replace("{\"merc", "{\"payload\":\"x\",\"merc"),
            AuthError::BadBodySign,
        ),
        (
            "GET path changed",
            get.clone(),
            HttpMethod::Get,
            "/api/v2/aggr/transactions/merc-orders/A2",
            String::new(),
            AuthError::BadBodySign,
        ),
        (
            "GET query added",
            get.clone(),
            HttpMethod::Get,
            "/api/v2/aggr/transactions/merc-orders/A1?x=1",
            String::new(),
            AuthError::BadBodySign,
        ),
        (
            "POST replayed as GET",
            post.clone(),
            HttpMethod::Get,
            PATH,
            String::new(),
            AuthError::BadBodySign,
        ),
        (
            "callerId changed",
            edit(&post, |m| {
                m.insert("callerId".into(), json!("999"));
            }),
            HttpMethod::Post,
            PATH,
            BODY.to_owned(),
            AuthError::BadHeaderSign,
        ),
        (
            "authId changed",
            edit(&post, |m| {
                m.insert("authId".into(), json!("999"));
            }),
            HttpMethod::Post,
            PATH,
            BODY.to_owned(),
            AuthError::BadHeaderSign,
        ),
        (
            "time changed",
            edit(&post, |m| {
                m.insert("time".into(), json!(NOW + 1));
            }),
            HttpMethod::Post,
            PATH,
            BODY.to_owned(),
            AuthError::BadHeaderSign,
        ),
        (
            "traceId changed",
            edit(&post, |m| {
                m.insert("traceId".into(), json!("1"));
            }),
            HttpMethod::Post,
            PATH,
            BODY.to_owned(),
            AuthError::BadHeaderSign,
        ),
        (
            "field injected",
            edit(&post, |m| {
                m.insert("sessionKey".into(), json!("k"));
            }),
            HttpMethod::Post,
            PATH,
            BODY.to_owned(),
            AuthError::BadHeaderSign,
        ),
        (
            "bodySign swapped from another request",
            edit(&post, |m| {
                let other: Value = serde_json::from_str(&get).unwrap();
                m.insert("bodySign".into(), other["bodySign"].clone());
            }),
            HttpMethod::Post,
            PATH,
            BODY.to_owned(),
            AuthError::BadHeaderSign,
        ),
        (
            "headerSign garbage",
            edit(&post, |m| {
                m.insert("headerSign".into(), json!("AAAA"));
            }),
            HttpMethod::Post,
            PATH,
            BODY.to_owned(),
            AuthError::BadHeaderSign,
        ),
    ];
    for (name, h, method, path, body, expected) in cases {
        let err = verify_pay_merc_auth(Some(&h), method, path, &body, &public).unwrap_err();
        assert_eq!(err, expected, "{name}");
        assert_eq!(err.sub_code(), SubCode::InvalidSignature, "{name}");
        assert_eq!(err.result_code(), ResultCode::SignatureError, "{name}");
    }
}

#[test]
fn another_merchants_key_is_rejected() {
    let h = header(&signer(sm2_key()), HttpMethod::Post, PATH, BODY);
    for other in [sm2_key().public_key(), rsa_key().public_key()] {
        let err = verify_pay_merc_auth(Some(&h), HttpMethod::Post, PATH, BODY, &other).unwrap_err();
        assert_eq!(err, AuthError::BadHeaderSign);
    }
}

#[test]
fn missing_and_malformed_fields_map_to_the_spec_codes() {
    let key = sm2_key();
    let public = key.public_key();
    let h = header(&signer(key), HttpMethod::Post, PATH, BODY);
    let without = |f: &str| {
        edit(&h, |m| {
            m.remove(f);
        })
    };
    let cases: Vec<(Option<String>, SubCode, ResultCode)> = vec![
        (
            None,
            SubCode::MissingAuthHeader,
            ResultCode::MissingParameter,
        ),
        (
            Some("  ".into()),
            SubCode::MissingAuthHeader,
            ResultCode::MissingParameter,
        ),
        (
            Some("{not json".into()),
            SubCode::InvalidAuthHeader,
            ResultCode::InvalidParameter,
        ),
        (
            Some("[1]".into()),
            SubCode::InvalidAuthHeader,
            ResultCode::InvalidParameter,
        ),
        (
            Some(without("callerId")),
            SubCode::MissingCallerId,
            ResultCode::MissingParameter,
        ),
        (
            Some(without("traceId")),
            SubCode::MissingTracerId,
            ResultCode::MissingParameter,
        ),
        (
            Some(without("time")),
            SubCode::MissingTime,
            ResultCode::MissingParameter,
        ),
        (
            Some(without("authId")),
            SubCode::MissingAuthId,
            ResultCode::MissingParameter,
        ),
        (
            Some(without("headerSign")),
            SubCode::MissingHeaderSign,
            ResultCode::MissingParameter,
        ),
        (
            Some(without("bodySign")),
            SubCode::MissingBodySign,
            ResultCode::MissingParameter,
        ),
        (
            Some(edit(&h, |m| {
                m.insert("callerId".into(), json!(""));
            })),
            SubCode::MissingCallerId,
            ResultCode::MissingParameter,
        ),
        (
            Some(edit(&h, |m| {
                m.insert("traceId".into(), json!("1".repeat(33)));
            })),
            SubCode::InvalidTracerId,
            ResultCode::InvalidParameter,
        ),
        (
            Some(edit(&h, |m| {
                m.insert("time".into(), json!("1700000000000"));
            })),
            SubCode::InvalidTime,
            ResultCode::InvalidParameter,
        ),
        (
            Some(edit(&h, |m| {
                m.insert("time".into(), json!(1.5));
            })),
            SubCode::InvalidTime,
            ResultCode::InvalidParameter,
        ),
        (
            Some(edit(&h, |m| {
                m.insert("authId".into(), json!(12));
            })),
            SubCode::InvalidAuthHeader,
            ResultCode::InvalidParameter,
        ),
    ];
    for (h, sub, result) in cases {
        let err =
            verify_pay_merc_auth(h.as_deref(), HttpMethod::Post, PATH, BODY, &public).unwrap_err();
        assert_eq!(
            (err.sub_code(), err.result_code()),
            (sub.clone(), result.clone()),
            "{h:?}"
        );
        let envelope = err.to_envelope();
        assert_eq!(envelope.result_code, result);
        assert_eq!(envelope.sub_code, Some(sub));
    }
}

#[test]
fn a_body_that_is_not_json_is_invalid_parameter() {
    let key = sm2_key();
    let public = key.public_key();
    let h = header(&signer(key), HttpMethod::Post, PATH, BODY);
    let err =
        verify_pay_merc_auth(Some(&h), HttpMethod::Post, PATH, "not json", &public).unwrap_err();
    assert_eq!(err.sub_code(), SubCode::InvalidParameter);
}

#[test]
fn parse_reads_the_fields_needed_to_find_the_merchant_key() {
    let h = header(&signer(sm2_key()), HttpMethod::Post, PATH, BODY);
    let auth = parse_pay_merc_auth(Some(&h)).unwrap();
    assert_eq!(
        (auth.caller_id.as_str(), auth.auth_id.as_str()),
        (DIRECT_MERC_NO, AUTH_ID)
    );
    let debug = format!("{auth:?}");
    assert!(!debug.contains(&auth.body_sign) && !debug.contains(&auth.header_sign));
}

#[test]
fn trace_ids_are_fresh() {
    let s = signer(sm2_key());
    let ids: std::collections::HashSet<String> = (0..50)
        .map(|_| {
            s.pay_merc_auth(HttpMethod::Get, GET_PATH, "", NOW)
                .unwrap()
                .trace_id
        })
        .collect();
    assert_eq!(ids.len(), 50);
}

#[test]
fn clock_window() {
    let auth = signer(sm2_key())
        .pay_merc_auth(HttpMethod::Get, GET_PATH, "", NOW)
        .unwrap();
    assert!(check_time(&auth, NOW + AUTH_TIME_WINDOW_MS, AUTH_TIME_WINDOW_MS).is_ok());
    assert!(check_time(&auth, NOW - AUTH_TIME_WINDOW_MS, AUTH_TIME_WINDOW_MS).is_ok());
    let late = check_time(&auth, NOW + AUTH_TIME_WINDOW_MS + 1, AUTH_TIME_WINDOW_MS).unwrap_err();
    assert_eq!(late.sub_code(), SubCode::InvalidTime);
    assert!(check_time(&auth, NOW - AUTH_TIME_WINDOW_MS - 1, AUTH_TIME_WINDOW_MS).is_err());
}

#[test]
fn header_sign_is_over_the_documented_canonical_string() {
    // headerSign verifies over authId=…&bodySign=…&callerId=…&time=…&traceId=… (infer note 1).
    let key = sm2_key();
    let public = key.public_key();
    let auth = signer(key)
        .pay_merc_auth(HttpMethod::Post, PATH, BODY, NOW)
        .unwrap();
    let expected = format!(
        "authId={}&bodySign={}&callerId={}&time={}&traceId={}",
        auth.auth_id, auth.body_sign, auth.caller_id, auth.time, auth.trace_id
    );
    public
        .verify(expected.as_bytes(), &auth.header_sign)
        .unwrap();
    let body_canonical = paysign_crypto::canonical_json(BODY).unwrap();
    assert!(body_canonical.starts_with(
        "contractInfo=callbackUrl=https://x.example/s&mercContractCode=C1&planId=1&mercOrderNo=A1"
    ));
    public
        .verify(body_canonical.as_bytes(), &auth.body_sign)
        .unwrap();
}
