//! Seed inputs: one well-formed example of each input shape (the spec's examples, bodies signed
//! with the fuzz key, a real bill zip), from which libFuzzer mutates. `paysign-fuzz-seeds <dir>`
//! writes them as `<dir>/<target>/seed-<name>`; the committed corpus started from them.

use std::io::Write as _;

use paysign_core::{step, Event, FlowConfig, FlowState};
use paysign_pas::auth::{HttpMethod, MerchantSigner};
use paysign_pas::model::ResponseEnvelope;

use crate::{private_key, GMT_MESSAGE, KEY_POINT_HEX, KEY_SCALAR_HEX, NOW_MS};

/// One seed: target name, file name, bytes.
pub type Seed = (&'static str, String, Vec<u8>);

/// Every seed; an error means the fuzz key or a library refused to sign or pack.
pub fn all() -> Result<Vec<Seed>, String> {
    let mut out: Vec<Seed> = Vec::new();
    let mut add = |target: &'static str, name: &str, bytes: Vec<u8>| {
        out.push((target, format!("seed-{name}"), bytes));
    };

    let order = order_str_text(NOW_MS);
    add("order_str", "valid", order.clone().into_bytes());
    add(
        "order_str",
        "sandbox-app",
        br#"{"app_id":"101831000","merc_no":"101610000123","prepay_id":"12507011723580897591704123","timestamp":"1751361838042","noncestr":"6f18060eee669126b98e474407cc0682","sign":"OeS+xINxYWJjZGVmZ2hpamtsbW5vcA==","auth_id":"101610000031123","reserved":"{\"sandbox_flag\": true}"}"#.to_vec(),
    );
    add(
        "order_str",
        "twice-serialized",
        serde_json::to_string(&order)
            .map_err(|e| e.to_string())?
            .into_bytes(),
    );

    for (name, events) in flow_scripts() {
        add("flow_events", name, events);
    }
    for (name, state) in flow_states()? {
        add("flow_state", name, state.into_bytes());
    }

    add("canonical", "spec-post", br#"{"appId":"5765880207854262xxx","callbackUrl":"https://www.xxx.com/hw_notify","currency":"CNY","mercNo":"101723200xxx","mercOrderNo":"2405171027547xxx","payload":"shop|h8ahnJA8xxRXVw","totalAmount":5,"tradeSummary":"test","subOrders":[{"mercNo":"101723200xxx","mercOrderNo":"abcxxx1"},{"mercNo":"101723201xxx","mercOrderNo":"abcxxx2"}]}"#.to_vec());
    add("canonical", "nested", br#"{"sign":"x","b":[1,null,"s",{"z":-0.50e3}],"a":{"c":"\u6742","d":""},"e":null,"f":true}"#.to_vec());

    let key = private_key().ok_or("the fuzz key does not load")?;
    let gmt_sig = "MEYCIQD1oDsGSNLEYw7qxRPhu4GhWUTaOCfVt0FDrH6s7ucgswIhALG2qinfIS/YdjGCvA1CHKG7kDj9H39C1IQLacSFu8Gq";
    let cut = u8::try_from(GMT_MESSAGE.len()).map_err(|e| e.to_string())?;
    let mut text_form = vec![0x80 | cut];
    text_form.extend_from_slice(GMT_MESSAGE);
    text_form.extend_from_slice(gmt_sig.as_bytes());
    add("sm2_verify", "gmt-base64", text_form);
    let der = {
        use base64::Engine as _;
        base64::engine::general_purpose::STANDARD
            .decode(gmt_sig)
            .map_err(|e| e.to_string())?
    };
    let mut der_form = vec![cut];
    der_form.extend_from_slice(GMT_MESSAGE);
    der_form.extend_from_slice(&der);
    add("sm2_verify", "gmt-der", der_form);

    add("keys", "point-hex", KEY_POINT_HEX.as_bytes().to_vec());
    add("keys", "scalar-hex", KEY_SCALAR_HEX.as_bytes().to_vec());
    add(
        "keys",
        "spki-pem",
        key.public_key().to_spki_pem().into_bytes(),
    );
    add("keys", "pkcs8-pem", key.to_pkcs8_pem().as_bytes().to_vec());
    add(
        "keys",
        "cert-pem",
        include_str!("../../paysign-crypto/tests/fixtures/gmt-vector-cert.pem")
            .as_bytes()
            .to_vec(),
    );

    let sign = |body: serde_json::Value| -> Result<Vec<u8>, String> {
        paysign_pas::simulator::sign_message(&body, &key)
            .map(String::into_bytes)
            .map_err(|e| e.to_string())
    };
    add(
        "notification",
        "payment",
        sign(serde_json::json!({
            "callbackId": "124070308575300049145189001", "callbackTime": "2023-03-29 09:29:14",
            "currency": "CNY", "dataType": "plain", "finishTime": "2023-02-23T10:02:04.000+0800",
            "mercOrderNo": "PS20260101000001", "appId": "5765880207853001", "mercNo": "1013212001",
            "orderStatus": "TRX_SUCCESS", "payerAmount": 9900, "payload": "p", "paymentTools": "AGMT",
            "promotionAmount": 100, "signType": "SM2", "certNo": "120291744647139001",
            "sysTransOrderNo": "12407030857530004914518001", "totalAmount": 10000,
            "payer": {"openId": "MDFAMTAwMDAwMDAx"},
            "promotionDetail": [{"promotionId": "P1", "amount": 100}]
        }))?,
    );
    add(
        "notification",
        "contract-signed",
        sign(serde_json::json!({
            "callbackId": "124070308575300049145189002", "callbackTime": "2023-08-29 09:29:14",
            "dataType": "plain", "mercContractCode": "C-0001", "mercNo": "1013212001",
            "operateTime": "2023-09-01 09:01:25", "signType": "SM2", "certNo": "120291744647139001",
            "contractId": "2024070914615843071097001", "appId": 5765880207853001u64,
            "changeMode": "USER_SIGN", "expireDate": "2099-12-31"
        }))?,
    );
    add(
        "notification",
        "unsign",
        sign(serde_json::json!({
            "callbackId": "124070308575300049145189003", "callbackTime": "2023-08-29 09:29:14",
            "signType": "SM2", "contractId": "2024070914615843071097001",
            "changeMode": "MERC_API_UNSIGN", "operateTime": "2023-09-02 09:01:25"
        }))?,
    );
    add(
        "notification",
        "refund",
        sign(serde_json::json!({
            "callbackId": "124070308575300049145189004", "callbackTime": "2023-08-29 09:29:14",
            "dataType": "plain", "signType": "SM2", "mercRefundNo": "R-0001",
            "sysRefundNo": "1240703085753000491", "refundAmount": 100, "payerRefundAmount": 100,
            "promotionRefundAmount": 0, "currency": "CNY", "refundOrderStatus": "REFUND_SUCCESS",
            "finishTime": "2023-02-23T10:02:04.000+0800"
        }))?,
    );
    add(
        "notification",
        "answer",
        paysign_pas::simulator::sign_response(&ResponseEnvelope::success(), &key)
            .map_err(|e| e.to_string())?
            .into_bytes(),
    );

    add(
        "merchant_contract",
        "create-order",
        br#"{"productId":"monthly-box","amount":1}"#.to_vec(),
    );
    add(
        "merchant_contract",
        "ticket",
        serde_json::json!({
            "orderStr": order_str_text(NOW_MS), "mercOrderNo": "PS1", "mercContractCode": "C1",
            "serverTimeMs": NOW_MS,
        })
        .to_string()
        .into_bytes(),
    );
    add(
        "merchant_contract",
        "status",
        serde_json::json!({
            "mercOrderNo": "PS1", "payment": "PAID", "contract": "SIGNED",
            "contractId": "2024070914615843071097001", "updatedAt": NOW_MS,
        })
        .to_string()
        .into_bytes(),
    );

    let signer = MerchantSigner::new("101000000001", "AUTH-1", key.clone());
    let body = r#"{"mercNo":"101000000001","mercOrderNo":"PS1","totalAmount":5}"#;
    let path = "/api/v2/aggr/transactions/merc-orders/PS1?mercNo=101000000001";
    for (name, method, path, body) in [
        (
            "post",
            HttpMethod::Post,
            "/api/v2/aggr/preorder/create/app",
            body,
        ),
        ("get", HttpMethod::Get, path, ""),
    ] {
        let header = signer
            .pay_merc_auth_with_trace_id(method, path, body, NOW_MS as i64, "T1".to_owned())
            .and_then(|h| h.to_header_value())
            .map_err(|e| e.to_string())?;
        add(
            "pay_merc_auth",
            name,
            format!("{header}\n{path}\n{body}").into_bytes(),
        );
    }

    add("bill_csv", "trade", TRADE_CSV.as_bytes().to_vec());
    add("bill_csv", "settle", SETTLE_CSV.as_bytes().to_vec());
    add(
        "bill_zip",
        "trade",
        zip(&[("readme.txt", b"x"), ("trade.csv", TRADE_CSV.as_bytes())])?,
    );
    add(
        "bill_zip",
        "settle",
        zip(&[("settle.CSV", SETTLE_CSV.as_bytes())])?,
    );
    Ok(out)
}

fn order_str_text(timestamp: u64) -> String {
    serde_json::json!({
        "merc_no": "101610000123", "prepay_id": "125070117235808975917",
        "timestamp": timestamp.to_string(), "noncestr": "6f18060eee669126",
        "sign": "c2lnbmF0dXJl", "auth_id": "1016100000",
    })
    .to_string()
}

/// Byte scripts for `flow_events`, written as the target reads them (see `flow_event`): no custom
/// config, then per step a 16-bit time delta, the back-in-time ratio byte, the event choice.
fn flow_scripts() -> Vec<(&'static str, Vec<u8>)> {
    vec![
        (
            "short",
            vec![0, 0, 0, 0, 0, 0, 0, 0, 1, 2, 0, 0, 4, 9, 0, 0, 6, 1, 2, 3],
        ),
        ("long", (0u8..=255).collect()),
    ]
}

/// Encoded states along a paid-and-signed run.
fn flow_states() -> Result<Vec<(&'static str, String)>, String> {
    let err = |e: paysign_core::PaysignError| e.to_string();
    let ticket = serde_json::json!({
        "orderStr": order_str_text(NOW_MS), "mercOrderNo": "PS1", "mercContractCode": "C1",
    })
    .to_string();
    let status = serde_json::json!({
        "mercOrderNo": "PS1", "payment": "PAID", "contract": "SIGNED",
        "contractId": "2024070914615843071097001", "updatedAt": NOW_MS,
    })
    .to_string();
    let mut state = FlowState::new(FlowConfig::default()).map_err(err)?;
    let mut out = vec![("new", state.encode().map_err(err)?)];
    for (name, event) in [
        ("fetching", Event::Started),
        ("in-cashier", Event::TicketFetched { body: ticket }),
        ("querying", Event::CashierReturned),
        ("done", Event::StatusFetched { body: status }),
    ] {
        state = step(&state, NOW_MS + 1_000, &event).map_err(err)?.0;
        out.push((name, state.encode().map_err(err)?));
    }
    Ok(out)
}

fn zip(files: &[(&str, &[u8])]) -> Result<Vec<u8>, String> {
    let mut writer = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    for (name, data) in files {
        writer
            .start_file(
                *name,
                zip::write::SimpleFileOptions::default()
                    .compression_method(zip::CompressionMethod::Deflated),
            )
            .map_err(|e| e.to_string())?;
        writer.write_all(data).map_err(|e| e.to_string())?;
    }
    writer
        .finish()
        .map(std::io::Cursor::into_inner)
        .map_err(|e| e.to_string())
}

const TRADE_CSV: &str = "\u{feff}商户名称,商户号,交易创建时间,交易完成时间,系统交易订单号,商户订单号,交易状态,交易类型,产品实例编号,产品名称,银行名称,卡类型,交易币种,交易金额(元),订单金额(元),优惠金额(元),手续费金额(元),合作方商户号,合作方商户名称,原系统交易订单号,原商户订单号,商户预留信息,AppID,用户标识
测试商户,101000000001,2022-08-25 10:29:19,2022-08-25 10:29:25,1220823200000007764421,ORDER-1,成功,收单,8478701144000088,借记卡快捷支付,工商银行,借记卡,CNY,0.06,0.06,0,0.01,,,,,payload test,5765880207858652727,2248554003012454
测试商户,101000000001,2022-08-25 11:00:00,2022-08-25 11:00:01,1220823200000007764999,REFUND-1,成功,退款,,,,,CNY,-0.06,-0.06,,0.00,,,1220823200000007764421,ORDER-1,,,
";

const SETTLE_CSV: &str = "结算单号,结算日,商户名称,商户号,交易创建时间,交易完成时间,系统交易订单号,商户订单号,交易类型,产品实例编号,产品名称,银行名称,卡类型,交易币种,结算金额(元),订单金额(元),优惠金额(元),手续费金额(元),手续费收取方式,分账类型,合作方商户名称,合作方商户号,原系统交易订单号,原商户订单号,商户预留信息,AppID,用户标识,新列
71306c214b2d486199e3c19a6000000X,20220826,测试商户,101000000001,20220825,2022-08-25 10:29:19,1220825102620000000857556,Imagazine_1661394000000,收单,871784782980000,借记卡快捷支付,工商银行,借记卡,CNY,5.01,5.01,0,0.03,手续费轧差收取,不分账,,101000000001,,,payload test,5765880207858652727,2248554003012454,future
";
