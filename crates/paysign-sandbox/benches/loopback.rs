//! Figures, not assertions: how long paysign-pas calls take against an in-process sandbox over
//! loopback (SM2 signing and verification on both sides, SQLite in memory).
//! Run with `cargo bench -p paysign-sandbox --bench loopback`.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use std::time::{Duration, Instant};

use paysign_crypto::PrivateKey;
use paysign_pas::auth::MerchantSigner;
use paysign_pas::client::{ClientConfig, PasClient};
use paysign_pas::endpoints::{MerchantModel as PasModel, PrepayChannel};
use paysign_pas::model::{ContractInfo, PrepayOrder, PrepayRequest};
use paysign_sandbox::{start, Merchant, MerchantModel, SandboxConfig, SandboxOptions};

const CALLS: usize = 300;

fn request(no: usize) -> PrepayRequest {
    PrepayRequest {
        app_id: "APP".to_owned(),
        merc_no: "101".to_owned(),
        order: PrepayOrder {
            merc_order_no: format!("B-{no}"),
            trade_summary: "bench".to_owned(),
            total_amount: 100,
            currency: None,
            goods_detail: None,
            allocation_type: None,
            callback_url: "https://merchant.example/pay".to_owned(),
            payload: None,
            expire_time: None,
            contract_info: ContractInfo {
                plan_id: "PLAN".to_owned(),
                merc_contract_code: format!("C-{no}"),
                callback_url: "https://merchant.example/sign".to_owned(),
            },
            payer: None,
        },
    }
}

fn report(name: &str, samples: &mut [Duration]) {
    samples.sort();
    let total: Duration = samples.iter().sum();
    let mean = total / samples.len() as u32;
    let p50 = samples[samples.len() / 2];
    let p99 = samples[samples.len() * 99 / 100];
    println!(
        "{name:<12} {CALLS} calls: mean {:>7.2} ms  p50 {:>7.2} ms  p99 {:>7.2} ms  ({:.0} calls/s sequential)",
        mean.as_secs_f64() * 1e3,
        p50.as_secs_f64() * 1e3,
        p99.as_secs_f64() * 1e3,
        samples.len() as f64 / total.as_secs_f64()
    );
}

#[tokio::main]
async fn main() {
    let key = PrivateKey::generate_sm2().unwrap();
    let merchant = Merchant {
        merc_no: "101".to_owned(),
        name: "bench".to_owned(),
        model: MerchantModel::Direct,
        auth_id: "AUTH".to_owned(),
        public_key: key.public_key().to_spki_pem(),
        app_ids: vec!["APP".to_owned()],
        plan_ids: vec!["PLAN".to_owned()],
        sub_merchants: vec![],
        refund_enabled: true,
        trade_bill_enabled: true,
        settle_bill_enabled: true,
    };
    let sandbox = start(SandboxOptions {
        config: SandboxConfig {
            merchants: vec![merchant],
        },
        ..SandboxOptions::default()
    })
    .await
    .unwrap();
    let client = PasClient::new(ClientConfig::new(
        sandbox.base_url(),
        PasModel::Direct,
        MerchantSigner::new("101", "AUTH", key),
        sandbox.public_key(),
    ))
    .unwrap();
    let mut prepay = Vec::with_capacity(CALLS);
    for i in 0..CALLS {
        let started = Instant::now();
        client
            .pas_prepay(&request(i), PrepayChannel::App)
            .await
            .unwrap();
        prepay.push(started.elapsed());
    }
    let mut query = Vec::with_capacity(CALLS);
    for i in 0..CALLS {
        let started = Instant::now();
        client.query_order(&format!("B-{i}")).await.unwrap();
        query.push(started.elapsed());
    }
    report("pre-order", &mut prepay);
    report("query order", &mut query);
    sandbox.shutdown().await.unwrap();
}
