#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]
//! Property tests: sign-then-verify round-trips on arbitrary bodies, the canonical string does not
//! depend on the key order of the input, and no input makes parsing or verifying panic.

use std::sync::OnceLock;

use paysign_crypto::{canonical_json, sign_body, verify_body, PrivateKey};
use proptest::prelude::*;

/// A JSON value whose objects keep an explicit member order, so the same value can be written
/// out in different key orders.
#[derive(Debug, Clone)]
enum Json {
    Null,
    Bool(bool),
    /// Number text as written on the wire.
    Number(String),
    Str(String),
    Array(Vec<Json>),
    Object(Vec<(String, Json)>),
}

fn number_text() -> impl Strategy<Value = String> {
    prop_oneof![
        any::<i64>().prop_map(|n| n.to_string()),
        (any::<u32>(), 0u32..100).prop_map(|(i, f)| format!("{i}.{f:02}")),
        "[1-9][0-9]{20,40}",
        Just("0".to_owned()),
        Just("-0.0".to_owned()),
        Just("1E+3".to_owned()),
    ]
}

fn json() -> impl Strategy<Value = Json> {
    let leaf = prop_oneof![
        Just(Json::Null),
        any::<bool>().prop_map(Json::Bool),
        number_text().prop_map(Json::Number),
        any::<String>().prop_map(Json::Str),
        "[a-zA-Z0-9 &=,|:/._-]{0,12}".prop_map(Json::Str),
    ];
    leaf.prop_recursive(3, 24, 6, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..4).prop_map(Json::Array),
            object(inner),
        ]
    })
}

/// An object with distinct keys.
fn object(values: impl Strategy<Value = Json>) -> impl Strategy<Value = Json> {
    prop::collection::btree_map("[a-zA-Z_][a-zA-Z0-9_]{0,8}|\\PC{1,4}", values, 0..6)
        .prop_map(|m| Json::Object(m.into_iter().collect()))
}

/// Writes the value; every object's members are rotated by `seed` and reversed on odd seeds.
fn write(v: &Json, seed: usize, out: &mut String) {
    match v {
        Json::Null => out.push_str("null"),
        Json::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
        Json::Number(n) => out.push_str(n),
        Json::Str(s) => out.push_str(&serde_json::to_string(s).unwrap()),
        Json::Array(items) => {
            out.push('[');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                write(item, seed, out);
            }
            out.push(']');
        }
        Json::Object(members) => {
            let mut ordered: Vec<&(String, Json)> = members.iter().collect();
            if !ordered.is_empty() {
                let len = ordered.len();
                ordered.rotate_left(seed % len);
            }
            if seed % 2 == 1 {
                ordered.reverse();
            }
            out.push('{');
            for (i, (k, value)) in ordered.into_iter().enumerate() {
                if i > 0 {
                    out.push_str(" , ");
                }
                out.push_str(&serde_json::to_string(k).unwrap());
                out.push(':');
                write(value, seed, out);
            }
            out.push('}');
        }
    }
}

fn text(v: &Json, seed: usize) -> String {
    let mut out = String::new();
    write(v, seed, &mut out);
    out
}

fn sm2_key() -> &'static PrivateKey {
    static KEY: OnceLock<PrivateKey> = OnceLock::new();
    KEY.get_or_init(|| PrivateKey::generate_sm2().unwrap())
}

fn rsa_key() -> &'static PrivateKey {
    static KEY: OnceLock<PrivateKey> = OnceLock::new();
    KEY.get_or_init(|| {
        let pem = std::fs::read_to_string(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/tests/fixtures/rsa3072-private.pem"
        ))
        .unwrap();
        PrivateKey::from_text(&pem).unwrap()
    })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(128))]

    #[test]
    fn canonical_string_ignores_key_order(body in object(json()), seed in 0usize..1000) {
        let a = canonical_json(&text(&body, 0)).unwrap();
        let b = canonical_json(&text(&body, seed)).unwrap();
        prop_assert_eq!(a, b);
    }

    #[test]
    fn sm2_sign_then_verify_round_trips(body in object(json()), seed in 0usize..1000) {
        let signed = sign_body(&text(&body, seed), sm2_key()).unwrap();
        prop_assert!(verify_body(&signed, &sm2_key().public_key()).is_ok());
        // An added field, even an empty one, breaks it.
        let added = signed.replacen('{', "{\"zzExtra\":\"\",", 1);
        prop_assert!(verify_body(&added, &sm2_key().public_key()).is_err());
    }

    #[test]
    fn canonical_and_verify_never_panic(input in any::<String>(), sig in any::<String>()) {
        let _ = canonical_json(&input);
        let _ = sm2_key().public_key().verify(input.as_bytes(), &sig);
        let _ = paysign_crypto::PublicKey::from_text(&input);
        let _ = paysign_crypto::PrivateKey::from_text(&input);
    }
}

/// DER `SEQUENCE { INTEGER r, INTEGER s }` with arbitrary integer contents (test-only encoder).
fn der_of(r: &[u8], s: &[u8]) -> Vec<u8> {
    let mut inner = vec![0x02, r.len() as u8];
    inner.extend_from_slice(r);
    inner.extend_from_slice(&[0x02, s.len() as u8]);
    inner.extend_from_slice(s);
    let mut out = vec![0x30, inner.len() as u8];
    out.extend(inner);
    out
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn arbitrary_signature_bytes_are_rejected_without_panic(
        bytes in prop::collection::vec(any::<u8>(), 0..80),
        r in prop::collection::vec(any::<u8>(), 0..40),
        s in prop::collection::vec(any::<u8>(), 0..40),
    ) {
        use base64::Engine as _;
        let key = sm2_key().public_key();
        let b64 = |b: &[u8]| base64::engine::general_purpose::STANDARD.encode(b);
        prop_assert!(key.verify(b"m", &b64(&bytes)).is_err());
        prop_assert!(key.verify(b"m", &b64(&der_of(&r, &s))).is_err());
        prop_assert!(rsa_key().public_key().verify(b"m", &b64(&bytes)).is_err());
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    /// SM2 verification accepts exactly the signed message, and the default-ID path agrees with
    /// an explicit `verify_sm2_with_distid` on valid signatures, tampered ones and random (r, s).
    #[test]
    fn sm2_verify_accepts_exactly_the_signed_message(
        message in prop::collection::vec(any::<u8>(), 0..200),
        flip in any::<Option<(usize, u8)>>(),
        r in prop::array::uniform32(any::<u8>()),
        s in prop::array::uniform32(any::<u8>()),
    ) {
        use base64::Engine as _;
        let id = paysign_crypto::rules::SM2_DEFAULT_DISTID;
        let key = sm2_key().public_key();
        let sig = sm2_key().sign(&message).unwrap();
        let mut signed_message = message.clone();
        if let Some((at, bits)) = flip {
            if !signed_message.is_empty() && bits != 0 {
                let i = at % signed_message.len();
                signed_message[i] ^= bits;
            }
        }
        let default_id = key.verify(&signed_message, &sig).is_ok();
        let reference = key.verify_sm2_with_distid(&signed_message, &sig, id).is_ok();
        prop_assert_eq!(default_id, reference);
        prop_assert_eq!(default_id, signed_message == message);

        let random = base64::engine::general_purpose::STANDARD.encode([r, s].concat());
        prop_assert_eq!(
            key.verify(&message, &random).is_ok(),
            key.verify_sm2_with_distid(&message, &random, id).is_ok()
        );
    }
}

proptest! {
    // RSA-PSS signing is slower in a debug build.
    #![proptest_config(ProptestConfig::with_cases(12))]

    #[test]
    fn rsa_sign_then_verify_round_trips(body in object(json()), seed in 0usize..1000) {
        let signed = sign_body(&text(&body, seed), rsa_key()).unwrap();
        prop_assert!(verify_body(&signed, &rsa_key().public_key()).is_ok());
    }
}
