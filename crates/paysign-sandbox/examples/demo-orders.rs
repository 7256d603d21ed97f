//! `demo-orders`: pre-orders pay-and-sign orders at a running sandbox the way a merchant server
//! does, and prints their orderStrs, one JSON object a line:
//! `{"mercNo","mercOrderNo","mercContractCode","appId","orderStr"}`.
//!
//! It registers a new merchant with a fresh SM2 key (`POST /sandbox/merchants`), pre-orders
//! through paysign-pas over HTTP with PayMercAuth, and builds each orderStr with paysign-pas's
//! `OrderStrBuilder`. For the HAR's Node tests of `sandboxCashier`, and for trying the cashier by
//! hand:
//!
//! ```sh
//! cargo run -p paysign-sandbox --example demo-orders -- --sandbox http://127.0.0.1:8787 --count 2
//! ```

use std::process::ExitCode;

use clap::{Parser, ValueEnum};
use paysign_crypto::{PrivateKey, PublicKey};
use paysign_pas::auth::MerchantSigner;
use paysign_pas::client::{ClientConfig, PasClient};
use paysign_pas::endpoints::{MerchantModel as PasModel, PrepayChannel};
use paysign_pas::model::{ContractInfo, PartnerPrepayRequest, PrepayOrder, PrepayRequest};
use paysign_pas::OrderStrBuilder;
use paysign_sandbox::{Merchant, MerchantModel, SubMerchant};
use rand::RngExt;
use serde_json::{json, Value};

#[derive(Clone, Copy, PartialEq, Eq, ValueEnum)]
enum Model {
    Direct,
    Sp,
}

/// Pre-orders demo orders at a running paysign-sandbox and prints their orderStrs.
#[derive(Parser)]
#[command(name = "demo-orders")]
struct Args {
    /// The sandbox's base URL, as it printed it.
    #[arg(long)]
    sandbox: String,
    /// How many orders.
    #[arg(long, default_value_t = 1)]
    count: u32,
    /// Direct merchant or service provider (with a sub-merchant and its app id).
    #[arg(long, value_enum, default_value_t = Model::Direct)]
    model: Model,
    /// Amount of each order in fen.
    #[arg(long, default_value_t = 1)]
    amount: i64,
    /// Where the payment and contract notifications go (https, or http to loopback).
    #[arg(long, default_value = "http://127.0.0.1:9/paysign/callbacks")]
    callback_url: String,
}

fn random_digits(n: usize) -> String {
    let mut rng = rand::rng();
    (0..n)
        .map(|_| char::from(b'0' + rng.random_range(0..10u8)))
        .collect()
}

async fn run(args: Args) -> Result<(), String> {
    let base = args.sandbox.trim_end_matches('/').to_owned();
    let http = reqwest::Client::builder()
        .no_proxy()
        .build()
        .map_err(|e| e.to_string())?;
    let info: Value = http
        .get(format!("{base}/sandbox/public-key"))
        .send()
        .await
        .map_err(|e| format!("{base}: {e}"))?
        .json()
        .await
        .map_err(|e| format!("{base}/sandbox/public-key: {e}"))?;
    let sandbox_key = PublicKey::from_text(
        info.get("publicKeyPem")
            .and_then(Value::as_str)
            .unwrap_or_default(),
    )
    .map_err(|e| format!("the sandbox's public key: {e}"))?;

    let key = PrivateKey::generate_sm2().map_err(|e| e.to_string())?;
    let suffix = random_digits(9);
    let (merc_no, auth_id) = (format!("109{suffix}"), format!("AUTH-DEMO-{suffix}"));
    let (app_id, sub_no, sub_app) = ("DEMO-APP", format!("309{suffix}"), "DEMO-SUB-APP");
    let merchant = Merchant {
        merc_no: merc_no.clone(),
        name: "Demo orders".to_owned(),
        model: match args.model {
            Model::Direct => MerchantModel::Direct,
            Model::Sp => MerchantModel::Sp,
        },
        auth_id: auth_id.clone(),
        public_key: key.public_key().to_spki_pem(),
        app_ids: vec![app_id.to_owned()],
        plan_ids: vec!["DEMO-PLAN".to_owned()],
        sub_merchants: match args.model {
            Model::Direct => vec![],
            Model::Sp => vec![SubMerchant {
                merc_no: sub_no.clone(),
                name: "Demo sub-merchant".to_owned(),
                app_ids: vec![sub_app.to_owned()],
            }],
        },
        refund_enabled: true,
        trade_bill_enabled: true,
        settle_bill_enabled: true,
    };
    let registered = http
        .post(format!("{base}/sandbox/merchants"))
        .header("Content-Type", "application/json")
        .body(serde_json::to_string(&merchant).map_err(|e| e.to_string())?)
        .send()
        .await
        .map_err(|e| e.to_string())?;
    if !registered.status().is_success() {
        return Err(format!(
            "registering the merchant: HTTP {}",
            registered.status()
        ));
    }

    let model = match args.model {
        Model::Direct => PasModel::Direct,
        Model::Sp => PasModel::ServiceProvider,
    };
    let signer = MerchantSigner::new(merc_no.as_str(), auth_id.as_str(), key);
    let client = PasClient::new(ClientConfig::new(
        base.as_str(),
        model,
        signer.clone(),
        sandbox_key,
    ))
    .map_err(|e| e.to_string())?;
    let builder = OrderStrBuilder::new(signer, model);
    for i in 0..args.count {
        let no = format!("DEMO{suffix}{i:04}");
        let code = format!("DEMO-C{suffix}{i:04}");
        let order = PrepayOrder {
            merc_order_no: no.clone(),
            trade_summary: "Demo order".to_owned(),
            total_amount: args.amount,
            currency: Some("CNY".to_owned()),
            goods_detail: None,
            allocation_type: None,
            callback_url: args.callback_url.clone(),
            payload: None,
            expire_time: None,
            contract_info: ContractInfo {
                plan_id: "DEMO-PLAN".to_owned(),
                merc_contract_code: code.clone(),
                callback_url: args.callback_url.clone(),
            },
            payer: None,
        };
        let (prepay, order_app) = match args.model {
            Model::Direct => (
                client
                    .pas_prepay(
                        &PrepayRequest {
                            app_id: app_id.to_owned(),
                            merc_no: merc_no.clone(),
                            order,
                        },
                        PrepayChannel::App,
                    )
                    .await,
                app_id,
            ),
            Model::Sp => (
                client
                    .partner_pas_prepay(
                        &PartnerPrepayRequest {
                            sp_app_id: app_id.to_owned(),
                            sp_merc_no: merc_no.clone(),
                            sub_app_id: Some(sub_app.to_owned()),
                            sub_merc_no: sub_no.clone(),
                            order,
                        },
                        PrepayChannel::App,
                    )
                    .await,
                sub_app,
            ),
        };
        let prepay = prepay.map_err(|e| format!("pre-order {no}: {e}"))?;
        let now = chrono::Utc::now().timestamp_millis();
        let order_str = builder
            .build(Some(order_app), &prepay.prepay_id, now)
            .map_err(|e| e.to_string())?;
        println!(
            "{}",
            json!({
                "mercNo": merc_no, "mercOrderNo": no, "mercContractCode": code,
                "appId": order_app, "orderStr": order_str,
            })
        );
    }
    Ok(())
}

#[tokio::main(flavor = "current_thread")]
async fn main() -> ExitCode {
    match run(Args::parse()).await {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("demo-orders: {e}");
            ExitCode::FAILURE
        }
    }
}
