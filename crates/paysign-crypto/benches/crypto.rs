#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]
//! Criterion benchmarks: SM2 sign and verify, RSA-PSS sign (and verify), canonicalization of a
//! typical payment callback, and a whole callback check. `scripts/bench-vs-openssl.sh` runs them
//! next to `openssl speed sm2` and prints the ratio.

use std::hint::black_box;

use criterion::{criterion_group, criterion_main, Criterion};
use paysign_crypto::{canonical_json, sign_body, verify_body, PrivateKey};

/// A pay-and-sign payment notification as Payment Kit sends it (spec §5.2).
const CALLBACK: &str = r#"{"callbackId":"124070308575300049145189001","callbackTime":"2023-03-29 09:29:14","currency":"CNY","dataType":"plain","finishTime":"2023-02-23T10:02:04.000+0800","mercOrderNo":"czl00120240705001","appId":"5765880207853001","mercNo":"1013212001","orderStatus":"TRX_SUCCESS","payerAmount":9900,"payload":"example-payload","paymentTools":"AGMT","promotionAmount":100,"signType":"SM2","certNo":"120291744647139001","sysTransOrderNo":"12407030857530004914518001","totalAmount":10000,"payer":{"openId":"MDFAMTAwMDAwMDAx"},"promotionDetail":[{"promotionId":"P1","amount":100}]}"#;

fn benches(c: &mut Criterion) {
    let message = canonical_json(CALLBACK).unwrap();
    let sm2 = PrivateKey::generate_sm2().unwrap();
    let sm2_public = sm2.public_key();
    let sm2_sig = sm2.sign(message.as_bytes()).unwrap();
    let rsa = PrivateKey::from_text(include_str!("../tests/fixtures/rsa3072-private.pem")).unwrap();
    let rsa_public = rsa.public_key();
    let rsa_sig = rsa.sign(message.as_bytes()).unwrap();
    let signed_callback = sign_body(CALLBACK, &sm2).unwrap();

    c.bench_function("sm2_sign", |b| {
        b.iter(|| sm2.sign(black_box(message.as_bytes())).unwrap())
    });
    c.bench_function("sm2_verify", |b| {
        b.iter(|| {
            sm2_public
                .verify(black_box(message.as_bytes()), black_box(&sm2_sig))
                .unwrap()
        })
    });
    c.bench_function("rsa3072_pss_sign", |b| {
        b.iter(|| rsa.sign(black_box(message.as_bytes())).unwrap())
    });
    c.bench_function("rsa3072_pss_verify", |b| {
        b.iter(|| {
            rsa_public
                .verify(black_box(message.as_bytes()), black_box(&rsa_sig))
                .unwrap()
        })
    });
    c.bench_function("canonical_callback", |b| {
        b.iter(|| canonical_json(black_box(CALLBACK)).unwrap())
    });
    c.bench_function("verify_callback_body_sm2", |b| {
        b.iter(|| verify_body(black_box(&signed_callback), &sm2_public).unwrap())
    });
}

criterion_group!(crypto, benches);
criterion_main!(crypto);
