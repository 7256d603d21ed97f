#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]
//! Criterion benchmarks of the merchant-side costs per call: PayMercAuth build (SM2, RSA-PSS
//! 2048) and server-side verify, orderStr build, callback verify + parse, bill CSV parsing, and a
//! whole signed round trip through the loopback test double (`cargo bench -p paysign-pas`).

#[path = "../tests/support/mod.rs"]
mod support;

use std::hint::black_box;

use criterion::{criterion_group, criterion_main, Criterion};
use paysign_pas::auth::HttpMethod;
use paysign_pas::simulator::auth::verify_pay_merc_auth;
use paysign_pas::{bill, callback, MerchantModel, MerchantSigner, OrderStrBuilder};
use support::*;

const BODY: &str = r#"{"appId":"5765880207853001","mercNo":"101000000001","mercOrderNo":"czl00120240705001","tradeSummary":"xx商城-手机","totalAmount":2,"currency":"CNY","callbackUrl":"https://www.example.com/hw/pay/callback","payload":"example-payload","contractInfo":{"planId":"1001","mercContractCode":"2024020316555432001","callbackUrl":"https://www.example.com/hw/sign/callback"}}"#;
const PATH: &str = "/api/v1/aggr/pay-and-sign/preorder/create/app";
const NOW: i64 = 1_751_361_838_042;
const CALLBACK: &str = r#"{"callbackId":"124070308575300049145189001","callbackTime":"2023-03-29 09:29:14","currency":"CNY","dataType":"plain","finishTime":"2023-02-23T10:02:04.000+0800","mercOrderNo":"czl00120240705001","appId":"5765880207853001","mercNo":"101321200001","orderStatus":"TRX_SUCCESS","payerAmount":10000,"payload":"example-payload","paymentTools":"AGMT","promotionAmount":0,"signType":"SM2","certNo":"120291744647139001","sysTransOrderNo":"12407030857530004914518001","totalAmount":10000}"#;

fn benches(c: &mut Criterion) {
    for (name, key) in [("sm2", sm2_key()), ("rsa2048", rsa_key())] {
        let public = key.public_key();
        let signer = MerchantSigner::new(DIRECT_MERC_NO, AUTH_ID, key.clone());
        c.bench_function(&format!("pay_merc_auth_build_{name}"), |b| {
            b.iter(|| {
                signer
                    .pay_merc_auth(HttpMethod::Post, PATH, black_box(BODY), NOW)
                    .unwrap()
            })
        });
        let header = signer
            .pay_merc_auth(HttpMethod::Post, PATH, BODY, NOW)
            .unwrap()
            .to_header_value()
            .unwrap();
        c.bench_function(&format!("pay_merc_auth_verify_{name}"), |b| {
            b.iter(|| {
                verify_pay_merc_auth(
                    Some(black_box(&header)),
                    HttpMethod::Post,
                    PATH,
                    BODY,
                    &public,
                )
                .unwrap()
            })
        });
        let builder = OrderStrBuilder::new(signer.clone(), MerchantModel::Direct).sandbox(true);
        c.bench_function(&format!("order_str_build_{name}"), |b| {
            b.iter(|| {
                builder
                    .build(
                        Some("5765880207853001"),
                        black_box("12507011723580897591704001"),
                        NOW,
                    )
                    .unwrap()
            })
        });
    }

    let huawei = sm2_key();
    let huawei_public = huawei.public_key();
    let signed = paysign_crypto::sign_body(CALLBACK, &huawei).unwrap();
    c.bench_function("callback_verify_and_parse_payment", |b| {
        b.iter(|| callback::parse_payment(black_box(signed.as_bytes()), &huawei_public).unwrap())
    });

    // 10 000 rows: a busy merchant's day.
    let (header, rows) = TRADE_CSV.split_once('\n').unwrap();
    let first_row = rows.lines().next().unwrap();
    let mut big = String::from(header);
    big.push('\n');
    for _ in 0..10_000 {
        big.push_str(first_row);
        big.push('\n');
    }
    let zip = make_zip(&[("bill.csv", big.as_bytes())]);
    c.bench_function("trade_bill_zip_10k_rows", |b| {
        b.iter(|| {
            assert_eq!(
                bill::parse_trade_bill_zip(black_box(&zip)).unwrap().len(),
                10_000
            )
        })
    });

    // A whole call: sign, HTTP over loopback, the double verifies and signs, the client verifies.
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let key = sm2_key();
    let double = runtime.block_on(PaymentKitDouble::start(key.public_key()));
    let client = double.client(MerchantModel::Direct, key);
    c.bench_function("query_order_loopback_round_trip_sm2", |b| {
        b.iter(|| runtime.block_on(client.query_order("ORDER-1")).unwrap())
    });
}

criterion_group! {
    name = pas;
    config = Criterion::default().sample_size(20).measurement_time(std::time::Duration::from_secs(2)).warm_up_time(std::time::Duration::from_millis(500));
    targets = benches
}
criterion_main!(pas);
