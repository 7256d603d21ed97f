//! Shared set-up of the sandbox integration tests: a sandbox started in-process on an ephemeral
//! loopback port with three merchants, paysign-pas clients for them, raw signed requests for
//! what the client refuses to send, and the operator API.
#![allow(dead_code)]

pub mod receiver;

use std::time::Duration;

use paysign_crypto::{PrivateKey, PublicKey};
use paysign_pas::auth::{HttpMethod, MerchantSigner, PayMercAuth};
use paysign_pas::client::{ClientConfig, PasClient};
use paysign_pas::codes::SubCode;
use paysign_pas::endpoints::MerchantModel as PasModel;
use paysign_pas::error::PasError;
use paysign_pas::model::{
    ContractInfo, PartnerPrepayRequest, PrepayOrder, PrepayRequest, RefundRequest,
};
use paysign_sandbox::{
    start, Merchant, MerchantModel, RunningSandbox, SandboxConfig, SandboxOptions, SubMerchant,
};
use serde_json::Value;

pub const DIRECT: &str = "101000000001";
pub const DIRECT_AUTH: &str = "AUTH-DIRECT";
pub const DIRECT_APP: &str = "APP-DIRECT";
pub const DIRECT_PLAN: &str = "PLAN-DIRECT";
/// A direct merchant with refunds and both bill switches off.
pub const RESTRICTED: &str = "102000000001";
pub const RESTRICTED_AUTH: &str = "AUTH-RESTRICTED";
pub const SP: &str = "201000000001";
pub const SP_AUTH: &str = "AUTH-SP";
pub const SP_APP: &str = "APP-SP";
pub const SP_PLAN: &str = "PLAN-SP";
pub const SUB: &str = "301000000001";
pub const SUB_APP: &str = "APP-SUB";
pub const OTHER_SUB: &str = "301000000002";

pub struct Merchants {
    pub direct: PrivateKey,
    pub restricted: PrivateKey,
    pub sp: PrivateKey,
}

pub struct Fixture {
    pub sandbox: RunningSandbox,
    pub keys: Merchants,
    pub http: reqwest::Client,
}

pub fn merchant(merc_no: &str, auth_id: &str, model: MerchantModel, key: &PrivateKey) -> Merchant {
    Merchant {
        merc_no: merc_no.to_owned(),
        name: format!("merchant {merc_no}"),
        model,
        auth_id: auth_id.to_owned(),
        public_key: key.public_key().to_spki_pem(),
        app_ids: vec![],
        plan_ids: vec![],
        sub_merchants: vec![],
        refund_enabled: true,
        trade_bill_enabled: true,
        settle_bill_enabled: true,
    }
}

pub fn config(keys: &Merchants) -> SandboxConfig {
    let mut direct = merchant(DIRECT, DIRECT_AUTH, MerchantModel::Direct, &keys.direct);
    direct.app_ids = vec![DIRECT_APP.to_owned()];
    direct.plan_ids = vec![DIRECT_PLAN.to_owned()];
    let mut restricted = merchant(
        RESTRICTED,
        RESTRICTED_AUTH,
        MerchantModel::Direct,
        &keys.restricted,
    );
    restricted.app_ids = vec![DIRECT_APP.to_owned()];
    restricted.plan_ids = vec![DIRECT_PLAN.to_owned()];
    restricted.refund_enabled = false;
    restricted.trade_bill_enabled = false;
    restricted.settle_bill_enabled = false;
    let mut sp = merchant(SP, SP_AUTH, MerchantModel::Sp, &keys.sp);
    sp.app_ids = vec![SP_APP.to_owned()];
    sp.plan_ids = vec![SP_PLAN.to_owned()];
    sp.sub_merchants = vec![
        SubMerchant {
            merc_no: SUB.to_owned(),
            name: "sub shop".to_owned(),
            app_ids: vec![SUB_APP.to_owned()],
        },
        SubMerchant {
            merc_no: OTHER_SUB.to_owned(),
            name: "other sub shop".to_owned(),
            app_ids: vec![],
        },
    ];
    SandboxConfig {
        merchants: vec![direct, restricted, sp],
    }
}

impl Fixture {
    pub async fn start() -> Self {
        Self::start_with(|_| {}).await
    }

    /// A sandbox with the test merchants and options changed by `edit`.
    pub async fn start_with(edit: impl FnOnce(&mut SandboxOptions)) -> Self {
        let keys = Merchants {
            direct: PrivateKey::generate_sm2().unwrap(),
            restricted: PrivateKey::generate_sm2().unwrap(),
            sp: PrivateKey::generate_sm2().unwrap(),
        };
        let mut options = SandboxOptions {
            config: config(&keys),
            ..SandboxOptions::default()
        };
        edit(&mut options);
        let sandbox = start(options).await.unwrap();
        Self {
            sandbox,
            keys,
            http: reqwest::Client::new(),
        }
    }

    pub fn base_url(&self) -> String {
        self.sandbox.base_url()
    }

    pub fn sandbox_key(&self) -> PublicKey {
        self.sandbox.public_key()
    }

    pub fn signer(&self, merc_no: &str) -> MerchantSigner {
        let (auth, key) = match merc_no {
            DIRECT => (DIRECT_AUTH, &self.keys.direct),
            RESTRICTED => (RESTRICTED_AUTH, &self.keys.restricted),
            SP => (SP_AUTH, &self.keys.sp),
            other => panic!("no test merchant {other}"),
        };
        MerchantSigner::new(merc_no, auth, key.clone())
    }

    /// A client with quick retries and a short timeout, verifying answers with the sandbox key.
    pub fn config_for(&self, merc_no: &str) -> ClientConfig {
        let model = if merc_no == SP {
            PasModel::ServiceProvider
        } else {
            PasModel::Direct
        };
        let mut config = ClientConfig::new(
            self.base_url(),
            model,
            self.signer(merc_no),
            self.sandbox_key(),
        );
        config.retry_backoff = Duration::from_millis(20);
        config.request_timeout = Duration::from_secs(5);
        // The sandbox serves bills on loopback.
        config.bill_hosts = paysign_pas::HostAllowList::loopback();
        config
    }

    pub fn client(&self, merc_no: &str) -> PasClient {
        PasClient::new(self.config_for(merc_no)).unwrap()
    }

    pub async fn op_post(&self, path: &str, body: Value) -> (u16, Value) {
        let r = self
            .http
            .post(format!("{}{path}", self.base_url()))
            .json(&body)
            .send()
            .await
            .unwrap();
        let status = r.status().as_u16();
        (status, r.json().await.unwrap())
    }

    pub async fn op_get(&self, path: &str) -> (u16, Value) {
        let r = self
            .http
            .get(format!("{}{path}", self.base_url()))
            .send()
            .await
            .unwrap();
        let status = r.status().as_u16();
        (status, r.json().await.unwrap())
    }

    /// Operator action that must succeed.
    pub async fn act(&self, path: &str) -> Value {
        let (status, body) = self.op_post(path, serde_json::json!({})).await;
        assert_eq!(status, 200, "{path}: {body}");
        body
    }

    pub async fn advance_clock(&self, ms: i64) {
        let (status, _) = self
            .op_post("/sandbox/clock", serde_json::json!({ "advanceMs": ms }))
            .await;
        assert_eq!(status, 200);
    }

    pub async fn arm(&self, plan: Value) {
        let (status, body) = self.op_post("/sandbox/faults", plan).await;
        assert_eq!(status, 200, "{body}");
    }

    /// Sends a request signed as `merc_no` would, after letting `edit` change the PayMercAuth
    /// header object (or drop it with `None`); returns the HTTP status and the raw answer.
    pub async fn raw(
        &self,
        merc_no: &str,
        method: HttpMethod,
        path_and_query: &str,
        body: &str,
        edit: impl FnOnce(&mut serde_json::Map<String, Value>) -> Option<()>,
    ) -> (u16, String) {
        let auth = self
            .signer(merc_no)
            .pay_merc_auth(method, path_and_query, body, now_ms())
            .unwrap();
        let mut header = serde_json::to_value(&auth)
            .unwrap()
            .as_object()
            .unwrap()
            .clone();
        let keep = edit(&mut header);
        let url = format!("{}{path_and_query}", self.base_url());
        let mut request = match method {
            HttpMethod::Get => self.http.get(url),
            HttpMethod::Post => self.http.post(url).body(body.to_owned()),
        }
        .header("Content-Type", "application/json; charset=UTF-8");
        if keep.is_some() {
            request = request.header("PayMercAuth", serde_json::to_string(&header).unwrap());
        }
        let response = request.send().await.unwrap();
        let status = response.status().as_u16();
        (status, response.text().await.unwrap())
    }

    /// Sends `sent_body` to `sent_path` with a PayMercAuth `header` as given.
    pub async fn send(
        &self,
        method: HttpMethod,
        sent_path: &str,
        sent_body: &str,
        header: Option<String>,
    ) -> (u16, String) {
        let url = format!("{}{sent_path}", self.base_url());
        let mut request = match method {
            HttpMethod::Get => self.http.get(url),
            HttpMethod::Post => self.http.post(url).body(sent_body.to_owned()),
        }
        .header("Content-Type", "application/json; charset=UTF-8");
        if let Some(h) = header {
            request = request.header("PayMercAuth", h);
        }
        let response = request.send().await.unwrap();
        let status = response.status().as_u16();
        (status, response.text().await.unwrap())
    }

    /// Checks an answer is HTTP 200 and signed by the sandbox; returns it parsed.
    pub fn verified(&self, (status, text): (u16, String)) -> Value {
        assert_eq!(status, 200, "{text}");
        paysign_crypto::verify_body(&text, &self.sandbox_key()).unwrap();
        serde_json::from_str(&text).unwrap()
    }

    /// `send` with `auth` as the PayMercAuth header, then checks the answer is signed by the
    /// sandbox and returns it parsed.
    pub async fn send_with_auth(
        &self,
        method: HttpMethod,
        sent_path: &str,
        sent_body: &str,
        auth: &PayMercAuth,
    ) -> Value {
        let header = auth.to_header_value().unwrap();
        self.verified(self.send(method, sent_path, sent_body, Some(header)).await)
    }

    /// `raw`, then checks the answer is signed by the sandbox and returns it parsed.
    pub async fn raw_verified(
        &self,
        merc_no: &str,
        method: HttpMethod,
        path_and_query: &str,
        body: &str,
        edit: impl FnOnce(&mut serde_json::Map<String, Value>) -> Option<()>,
    ) -> Value {
        let (status, text) = self.raw(merc_no, method, path_and_query, body, edit).await;
        assert_eq!(status, 200, "{text}");
        paysign_crypto::verify_body(&text, &self.sandbox_key()).unwrap();
        serde_json::from_str(&text).unwrap()
    }
}

pub fn now_ms() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_millis() as i64
}

pub fn order(merc_order_no: &str, amount: i64, plan: &str, contract_code: &str) -> PrepayOrder {
    PrepayOrder {
        merc_order_no: merc_order_no.to_owned(),
        trade_summary: "Demo shop-monthly box".to_owned(),
        total_amount: amount,
        currency: Some("CNY".to_owned()),
        goods_detail: None,
        allocation_type: None,
        callback_url: "https://merchant.example/hw/pay/callback".to_owned(),
        payload: Some(format!("payload-{merc_order_no}")),
        expire_time: None,
        contract_info: ContractInfo {
            plan_id: plan.to_owned(),
            merc_contract_code: contract_code.to_owned(),
            callback_url: "https://merchant.example/hw/sign/callback".to_owned(),
        },
        payer: None,
    }
}

pub fn direct_prepay(merc_order_no: &str, amount: i64) -> PrepayRequest {
    PrepayRequest {
        app_id: DIRECT_APP.to_owned(),
        merc_no: DIRECT.to_owned(),
        order: order(
            merc_order_no,
            amount,
            DIRECT_PLAN,
            &format!("C-{merc_order_no}"),
        ),
    }
}

pub fn sp_prepay(merc_order_no: &str, amount: i64) -> PartnerPrepayRequest {
    PartnerPrepayRequest {
        sp_app_id: SP_APP.to_owned(),
        sp_merc_no: SP.to_owned(),
        sub_app_id: Some(SUB_APP.to_owned()),
        sub_merc_no: SUB.to_owned(),
        order: order(
            merc_order_no,
            amount,
            SP_PLAN,
            &format!("C-{merc_order_no}"),
        ),
    }
}

pub fn refund_request(merc_order_no: &str, refund_no: &str, amount: Option<i64>) -> RefundRequest {
    RefundRequest {
        merc_order_no: Some(merc_order_no.to_owned()),
        sys_trans_order_no: None,
        merc_refund_order_no: refund_no.to_owned(),
        reason: Some("customer returned the box".to_owned()),
        callback_url: "https://merchant.example/hw/refund/callback".to_owned(),
        refund_amount: amount,
        payload: None,
    }
}

/// The Payment Kit subCode of a failed call.
pub fn sub_code(result: Result<impl std::fmt::Debug, PasError>) -> SubCode {
    match result {
        Err(PasError::Api(api)) => api.sub_code.expect("a subCode"),
        other => panic!("expected a Payment Kit error, got {other:?}"),
    }
}

/// The subCode of a raw answer.
pub fn raw_sub_code(answer: &Value) -> String {
    answer["subCode"].as_str().unwrap_or_default().to_owned()
}
