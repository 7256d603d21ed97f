//! Shared by the integration tests: real keys, and `PaymentKitDouble`, a scripted loopback test
//! double of Payment Kit's server (the real one cannot be reached from here). It checks every
//! request's PayMercAuth with the merchant's public key, refuses reused traceIds, and answers
//! signed with its own SM2 "Huawei" key — unless a test scripts a different answer.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    dead_code
)]

use std::collections::{HashSet, VecDeque};
use std::sync::{Arc, Mutex, OnceLock};
use std::time::Duration;

use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, Method, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use paysign_crypto::{PrivateKey, PublicKey};
use paysign_pas::auth::HttpMethod;
use paysign_pas::endpoints as ep;
use paysign_pas::simulator::auth::verify_pay_merc_auth;
use paysign_pas::simulator::sign_message;
use paysign_pas::{ClientConfig, MerchantModel, MerchantSigner, PasClient};
use serde_json::{json, Value};

pub const DIRECT_MERC_NO: &str = "101000000001";
pub const SP_MERC_NO: &str = "102000000001";
pub const SUB_MERC_NO: &str = "103000000001";
pub const AUTH_ID: &str = "120291744647139001";
pub const BILL_AUTHORIZATION: &str = "AWS4-HMAC-SHA256 Credential=TEST/20250101/obs, Signature=abc";
/// A bill date for which the double has no bill.
pub const NO_BILL_DATE: &str = "20000101";

pub fn sm2_key() -> PrivateKey {
    PrivateKey::generate_sm2().unwrap()
}

/// One RSA key per test binary (generation is slow in debug builds).
pub fn rsa_key() -> PrivateKey {
    static KEY: OnceLock<PrivateKey> = OnceLock::new();
    KEY.get_or_init(|| PrivateKey::generate_rsa(2048).unwrap())
        .clone()
}

/// What the double does with the next request.
#[derive(Debug, Clone)]
pub enum Script {
    /// Verify PayMercAuth and answer like Payment Kit.
    Normal,
    /// Sleep, then behave normally (the client should have timed out by then).
    Delay(Duration),
    /// Answer this envelope error, signed.
    Error {
        result_code: &'static str,
        sub_code: &'static str,
    },
    /// Answer normally, then change a field after signing.
    Tamper { field: &'static str, value: Value },
    /// Answer normally but without `sign`.
    Unsigned,
    /// Answer normally, signed with another key.
    WrongKey,
    /// Answer this status and raw body.
    Raw { status: u16, body: &'static str },
}

#[derive(Debug, Clone)]
pub struct Seen {
    pub method: String,
    pub path_and_query: String,
    pub trace_id: Option<String>,
    pub body: String,
}

pub struct DoubleState {
    merchant_key: PublicKey,
    huawei_key: PrivateKey,
    base_url: OnceLock<String>,
    scripts: Mutex<VecDeque<Script>>,
    seen: Mutex<Vec<Seen>>,
    trace_ids: Mutex<HashSet<String>>,
    bill_zip: Mutex<Vec<u8>>,
    bill_delay: Mutex<Duration>,
    bill_downloads: Mutex<usize>,
}

pub struct PaymentKitDouble {
    pub base_url: String,
    pub huawei_key: PrivateKey,
    state: Arc<DoubleState>,
}

impl PaymentKitDouble {
    /// Starts on 127.0.0.1 with an ephemeral port; accepts requests signed by `merchant_key`.
    pub async fn start(merchant_key: PublicKey) -> Self {
        Self::start_after(merchant_key, Duration::ZERO).await
    }

    /// Like `start`, but the port only starts listening after `delay`: until then connections
    /// are refused (the port is bound, so no one else can take it).
    pub async fn start_after(merchant_key: PublicKey, delay: Duration) -> Self {
        let huawei_key = sm2_key();
        let state = Arc::new(DoubleState {
            merchant_key,
            huawei_key: huawei_key.clone(),
            base_url: OnceLock::new(),
            scripts: Mutex::new(VecDeque::new()),
            seen: Mutex::new(Vec::new()),
            trace_ids: Mutex::new(HashSet::new()),
            bill_zip: Mutex::new(Vec::new()),
            bill_delay: Mutex::new(Duration::ZERO),
            bill_downloads: Mutex::new(0),
        });
        let socket = tokio::net::TcpSocket::new_v4().unwrap();
        socket.bind("127.0.0.1:0".parse().unwrap()).unwrap();
        let base_url = format!("http://{}", socket.local_addr().unwrap());
        state.base_url.set(base_url.clone()).unwrap();
        let app = axum::Router::new()
            .fallback(handle)
            .with_state(state.clone());
        // Listening now (not in the task) when there is no delay, so the first request of a
        // test never races the task's start.
        let pending = if delay.is_zero() {
            Err(socket.listen(128).unwrap())
        } else {
            Ok(socket)
        };
        tokio::spawn(async move {
            let listener = match pending {
                Err(listener) => listener,
                Ok(socket) => {
                    tokio::time::sleep(delay).await;
                    socket.listen(128).unwrap()
                }
            };
            axum::serve(listener, app).await.unwrap();
        });
        PaymentKitDouble {
            base_url,
            huawei_key,
            state,
        }
    }

    /// Queues behaviours for the next requests, in order (then `Normal`).
    pub fn script(&self, scripts: impl IntoIterator<Item = Script>) {
        self.state.scripts.lock().unwrap().extend(scripts);
    }

    pub fn seen(&self) -> Vec<Seen> {
        self.state.seen.lock().unwrap().clone()
    }

    pub fn set_bill_zip(&self, zip: Vec<u8>) {
        *self.state.bill_zip.lock().unwrap() = zip;
    }

    /// Bill storage answers this late.
    pub fn set_bill_delay(&self, delay: Duration) {
        *self.state.bill_delay.lock().unwrap() = delay;
    }

    /// How many bill downloads reached the storage.
    pub fn bill_downloads(&self) -> usize {
        *self.state.bill_downloads.lock().unwrap()
    }

    pub fn huawei_public_key(&self) -> PublicKey {
        self.huawei_key.public_key()
    }

    /// A client for `model`, signing with `key`, with short timeouts and backoff for tests.
    pub fn client(&self, model: MerchantModel, key: PrivateKey) -> PasClient {
        PasClient::new(self.config(model, key)).unwrap()
    }

    pub fn config(&self, model: MerchantModel, key: PrivateKey) -> ClientConfig {
        let caller = match model {
            MerchantModel::Direct => DIRECT_MERC_NO,
            MerchantModel::ServiceProvider => SP_MERC_NO,
        };
        let mut config = ClientConfig::new(
            self.base_url.clone(),
            model,
            MerchantSigner::new(caller, AUTH_ID, key),
            self.huawei_public_key(),
        );
        // Generous: debug-build SM2 on a loaded 2-core machine; tests about timeouts set their own.
        config.request_timeout = Duration::from_secs(10);
        config.retry_backoff = Duration::from_millis(10);
        // The double serves bills on loopback.
        config.bill_hosts = paysign_pas::HostAllowList::loopback();
        config
    }
}

async fn handle(
    State(state): State<Arc<DoubleState>>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let path_and_query = uri
        .path_and_query()
        .map(|p| p.as_str().to_owned())
        .unwrap_or_default();
    if uri.path().starts_with("/obs/") {
        *state.bill_downloads.lock().unwrap() += 1;
        let delay = *state.bill_delay.lock().unwrap();
        tokio::time::sleep(delay).await;
        return serve_bill(&state, &headers);
    }
    let body = String::from_utf8(body.to_vec()).unwrap();
    let header = headers
        .get("PayMercAuth")
        .map(|v| v.to_str().unwrap().to_owned());
    let trace_id = header
        .as_deref()
        .and_then(|h| serde_json::from_str::<Value>(h).ok())
        .and_then(|v| v["traceId"].as_str().map(str::to_owned));
    state.seen.lock().unwrap().push(Seen {
        method: method.to_string(),
        path_and_query: path_and_query.clone(),
        trace_id: trace_id.clone(),
        body: body.clone(),
    });
    let script = state
        .scripts
        .lock()
        .unwrap()
        .pop_front()
        .unwrap_or(Script::Normal);
    if let Script::Delay(d) = &script {
        tokio::time::sleep(*d).await;
    }
    if let Script::Raw { status, body } = &script {
        return (StatusCode::from_u16(*status).unwrap(), *body).into_response();
    }
    let http_method = HttpMethod::parse(method.as_str()).unwrap();
    // Payment Kit's checks: PayMercAuth, then traceId reuse.
    if let Err(e) = verify_pay_merc_auth(
        header.as_deref(),
        http_method,
        &path_and_query,
        &body,
        &state.merchant_key,
    ) {
        return signed(&state, serde_json::to_value(e.to_envelope()).unwrap());
    }
    if !state
        .trace_ids
        .lock()
        .unwrap()
        .insert(trace_id.unwrap_or_default())
    {
        return signed(
            &state,
            json!({"resultCode":"200001","resultDesc":"Invalid parameter.","subCode":"INVALID_DUPLICATE_REQUEST"}),
        );
    }
    if let Script::Error {
        result_code,
        sub_code,
    } = &script
    {
        return signed(
            &state,
            json!({"resultCode": result_code, "resultDesc": "scripted", "subCode": sub_code, "subDesc": "scripted error"}),
        );
    }
    let answer = answer(&state, uri.path(), &path_and_query, &body);
    match script {
        Script::Tamper { field, value } => {
            let mut v: Value =
                serde_json::from_str(&sign_message(&answer, &state.huawei_key).unwrap()).unwrap();
            v[field] = value;
            json_response(v.to_string())
        }
        Script::Unsigned => json_response(answer.to_string()),
        Script::WrongKey => json_response(sign_message(&answer, &sm2_key()).unwrap()),
        _ => signed(&state, answer),
    }
}

fn signed(state: &DoubleState, value: Value) -> Response {
    json_response(sign_message(&value, &state.huawei_key).unwrap())
}

fn json_response(body: String) -> Response {
    (
        StatusCode::OK,
        [("content-type", "application/json; charset=UTF-8")],
        body,
    )
        .into_response()
}

fn serve_bill(state: &DoubleState, headers: &HeaderMap) -> Response {
    let authorized = headers
        .get("authorization")
        .is_some_and(|v| v.to_str().unwrap() == BILL_AUTHORIZATION);
    if !authorized {
        return (StatusCode::FORBIDDEN, "missing OBS authorization").into_response();
    }
    (StatusCode::OK, state.bill_zip.lock().unwrap().clone()).into_response()
}

/// Payment Kit's success answers, echoing what the request named.
fn answer(state: &DoubleState, path: &str, path_and_query: &str, body: &str) -> Value {
    let req: Value = serde_json::from_str(body).unwrap_or(Value::Null);
    let ok = json!({"resultCode": "000000", "resultDesc": "Success."});
    let mut v = ok;
    let last = path.rsplit('/').next().unwrap_or_default().to_owned();
    let sp = path.contains("/partner/");
    let set_ids = |v: &mut Value| {
        if sp {
            v["spMercNo"] = json!(SP_MERC_NO);
            v["subMercNo"] = json!(SUB_MERC_NO);
        } else {
            v["mercNo"] = json!(DIRECT_MERC_NO);
        }
    };
    if [
        ep::DIRECT_PREPAY_APP,
        ep::DIRECT_PREPAY_ATOMIC,
        ep::SP_PREPAY_APP,
        ep::SP_PREPAY_ATOMIC,
    ]
    .contains(&path)
    {
        v["prepayId"] = json!(format!("pp{}", req["mercOrderNo"].as_str().unwrap()));
        v["mercOrderNo"] = req["mercOrderNo"].clone();
    } else if path.starts_with(ep::DIRECT_QUERY_ORDER_PREFIX)
        || path.starts_with(ep::SP_QUERY_ORDER_PREFIX)
    {
        v["mercOrderNo"] = json!(last);
        v["orderStatus"] = json!("TRX_SUCCESS");
        v["currency"] = json!("CNY");
        v["totalAmount"] = json!(2500);
        v["payerAmount"] = json!(2000);
        v["promotionAmount"] = json!(500);
        v["sysTransOrderNo"] = json!("12407030857530004914518001");
        v["paymentTools"] = json!("AGMT");
        v["futureField"] = json!({"nested": [1, 2]});
        set_ids(&mut v);
    } else if path == ep::DIRECT_REFUND || path == ep::SP_REFUND {
        v["mercRefundOrderNo"] = req["mercRefundOrderNo"].clone();
        v["mercOrderNo"] = req["mercOrderNo"].clone();
        v["refundAmount"] = req.get("refundAmount").cloned().unwrap_or(json!(2500));
        v["sysRefundOrderNo"] = json!("R1");
    } else if path.starts_with(ep::DIRECT_QUERY_REFUND_PREFIX)
        || path.starts_with(ep::SP_QUERY_REFUND_PREFIX)
    {
        v["mercRefundOrderNo"] = json!(last);
        v["refundOrderStatus"] = json!("REFUND_SUCCESS");
        v["refundAmount"] = json!(1000);
        v["currency"] = json!("CNY");
    } else if path.starts_with(ep::DIRECT_QUERY_CONTRACT_PREFIX)
        || path.starts_with(ep::SP_QUERY_CONTRACT_PREFIX)
    {
        v["mercContractCode"] = json!(last);
        v["contractId"] = json!("2024070914615843071097001");
        v["planId"] = json!("1001");
        v["signStatus"] = json!("1");
        v["signedTime"] = json!("2023-09-01 09:01:25");
        set_ids(&mut v);
    } else if path == ep::DIRECT_WITHHOLD || path == ep::SP_WITHHOLD {
        v["mercOrderNo"] = req["mercOrderNo"].clone();
        v["sysTransOrderNo"] = json!(format!("W{}", req["mercOrderNo"].as_str().unwrap()));
    } else if path == ep::DIRECT_UNSIGN || path == ep::SP_UNSIGN {
        v["mercContractCode"] = req["mercContractCode"].clone();
        v["planId"] = json!("1001");
        set_ids(&mut v);
    } else if [
        ep::DIRECT_TRADE_BILL,
        ep::DIRECT_SETTLE_BILL,
        ep::SP_TRADE_BILL,
        ep::SP_SETTLE_BILL,
    ]
    .contains(&path)
    {
        if !path_and_query.contains(NO_BILL_DATE) {
            let base = state.base_url.get().unwrap();
            v["billDownloadParam"] = json!({
                "headers": {
                    "Authorization": BILL_AUTHORIZATION,
                    "x-amz-content-sha256": "UNSIGNED-PAYLOAD",
                    "Host": "petalpay-merchant-test-001.obs.cn-north-4.myhuaweicloud.cn",
                    "connection": "close"
                },
                "method": "GET",
                "downloadUrl": format!("{base}/obs/bill.zip")
            });
        }
    } else {
        return json!({"resultCode": "400000", "resultDesc": "Business error.", "subCode": "INVALID_ARGUMENTS", "subDesc": format!("no such path {path}")});
    }
    v
}

/// A zip holding `files`, deflated, as Payment Kit's bill storage serves it.
pub fn make_zip(files: &[(&str, &[u8])]) -> Vec<u8> {
    use std::io::Write;
    let mut writer = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    for (name, data) in files {
        writer
            .start_file(
                *name,
                zip::write::SimpleFileOptions::default()
                    .compression_method(zip::CompressionMethod::Deflated),
            )
            .unwrap();
        writer.write_all(data).unwrap();
    }
    writer.finish().unwrap().into_inner()
}

/// A trade bill as documented (every column, in order): a payment, a refund with a negative
/// amount, and one with a promotion.
pub const TRADE_CSV: &str = "\u{feff}商户名称,商户号,交易创建时间,交易完成时间,系统交易订单号,商户订单号,交易状态,交易类型,产品实例编号,产品名称,银行名称,卡类型,交易币种,交易金额(元),订单金额(元),优惠金额(元),手续费金额(元),合作方商户号,合作方商户名称,原系统交易订单号,原商户订单号,商户预留信息,AppID,用户标识
测试商户,101000000001,2022-08-25 10:29:19,2022-08-25 10:29:25,1220823200000007764421,ORDER-1,成功,收单,8478701144000088,借记卡快捷支付,工商银行,借记卡,CNY,0.06,0.06,0,0.01,,,,,payload test,5765880207858652727,2248554003012454
测试商户,101000000001,2022-08-25 11:00:00,2022-08-25 11:00:01,1220823200000007764999,REFUND-1,成功,退款,,,,,CNY,-0.06,-0.06,,0.00,,,1220823200000007764421,ORDER-1,,,
测试商户,101000000001,2022-08-25 12:00:00,2022-08-25 12:00:05,1220823200000007765000,ORDER-2,失败,收单,,,,,CNY,1234567.8,1234577.80,10,3.5,,,,,\"a,b\",,
";

/// A settle bill as documented, plus a column this version does not know.
pub const SETTLE_CSV: &str = "结算单号,结算日,商户名称,商户号,交易创建时间,交易完成时间,系统交易订单号,商户订单号,交易类型,产品实例编号,产品名称,银行名称,卡类型,交易币种,结算金额(元),订单金额(元),优惠金额(元),手续费金额(元),手续费收取方式,分账类型,合作方商户名称,合作方商户号,原系统交易订单号,原商户订单号,商户预留信息,AppID,用户标识,新列
71306c214b2d486199e3c19a6000000X,20220826,测试商户,101000000001,20220825,2022-08-25 10:29:19,1220825102620000000857556,Imagazine_1661394000000,收单,871784782980000,借记卡快捷支付,工商银行,借记卡,CNY,5.01,5.01,0,0.03,手续费轧差收取,不分账,,101000000001,,,payload test,5765880207858652727,2248554003012454,future
";
