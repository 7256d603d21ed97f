//! The sandbox against a peer it did not write: the OpenSSL 3 command line signs merchant
//! requests (SM2 with the default ID, and RSA-PSS) and checks the sandbox's signed answers and
//! notifications, with keys OpenSSL generated (the sandbox's own SM2 key included).
//!
//! The strings signed are built here, by a 20-line rendering of spec §3.2's rules anchored on
//! the spec's printed example, not by paysign-crypto's canonicalizer; the PayMercAuth
//! headerSign input is spelled out field by field. So a wrong inferred rule in the project's
//! code, or a signature the standard tools would not make or accept, fails these tests.
//! OpenSSL is the independent peer: these tests fail (not skip) without it; scripts/setup.sh
//! installs it.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

mod common;

use std::path::{Path, PathBuf};
use std::process::Command;

use base64::Engine as _;
use common::{direct_prepay, now_ms, DIRECT, DIRECT_APP, DIRECT_AUTH, DIRECT_PLAN};
use paysign_pas::endpoints::{self, MerchantModel as PasModel, PrepayChannel};
use paysign_sandbox::{start, MerchantModel, RunningSandbox, SandboxConfig, SandboxOptions};
use serde_json::{json, Value};

const SM2_ID: [&str; 2] = ["-sigopt", "distid:1234567812345678"];
const PSS: [&str; 6] = [
    "-sigopt",
    "rsa_padding_mode:pss",
    "-sigopt",
    "rsa_pss_saltlen:32",
    "-sigopt",
    "rsa_mgf1_md:sha256",
];
const RSA_MERCHANT: &str = "103000000001";
const RSA_AUTH: &str = "AUTH-RSA";

/// Spec §3.2 as this test reads it: drop top-level `sign`, skip nulls, keys in byte order,
/// `key=value` joined by `&`, objects rendered the same way inside, lists joined by `,`, strings
/// raw, numbers and booleans as written.
fn canonical(value: &Value) -> String {
    fn render(value: &Value) -> String {
        match value {
            Value::Object(map) => {
                let mut pairs: Vec<(&String, &Value)> =
                    map.iter().filter(|(_, v)| !v.is_null()).collect();
                pairs.sort_by(|a, b| a.0.as_bytes().cmp(b.0.as_bytes()));
                pairs
                    .iter()
                    .map(|(k, v)| format!("{k}={}", render(v)))
                    .collect::<Vec<_>>()
                    .join("&")
            }
            Value::Array(items) => items.iter().map(render).collect::<Vec<_>>().join(","),
            Value::String(s) => s.clone(),
            Value::Number(n) => n.to_string(),
            Value::Bool(b) => b.to_string(),
            Value::Null => String::new(),
        }
    }
    let mut top = value.as_object().unwrap().clone();
    top.remove("sign");
    render(&Value::Object(top))
}

#[test]
fn the_test_canonical_rendering_gives_the_spec_printed_string() {
    let body: Value = serde_json::from_str(r#"{"appId":"5765880207854262xxx","callbackUrl":"https://www.xxx.com/hw_notify","currency":"CNY","mercNo":"101723200xxx","mercOrderNo":"2405171027547xxx","payload":"shop|h8ahnJA8xxRXVw","totalAmount":5,"tradeSummary":"test","subOrders":[{"mercNo":"101723200xxx","mercOrderNo":"abcxxx1"},{"mercNo":"101723201xxx","mercOrderNo":"abcxxx2"}]}"#).unwrap();
    assert_eq!(
        canonical(&body),
        "appId=5765880207854262xxx&callbackUrl=https://www.xxx.com/hw_notify&currency=CNY&mercNo=101723200xxx&mercOrderNo=2405171027547xxx&payload=shop|h8ahnJA8xxRXVw&subOrders=mercNo=101723200xxx&mercOrderNo=abcxxx1,mercNo=101723201xxx&mercOrderNo=abcxxx2&totalAmount=5&tradeSummary=test"
    );
}

struct Peer {
    dir: tempfile::TempDir,
}

impl Peer {
    fn new() -> Self {
        Self {
            dir: tempfile::tempdir().unwrap(),
        }
    }

    fn path(&self, name: &str) -> PathBuf {
        self.dir.path().join(name)
    }

    fn openssl(&self, args: &[&str]) -> std::process::Output {
        Command::new("openssl").args(args).output().expect(
            "the openssl command (OpenSSL 3) is the independent peer of these tests; run scripts/setup.sh",
        )
    }

    fn openssl_ok(&self, args: &[&str]) {
        let out = self.openssl(args);
        assert!(
            out.status.success(),
            "openssl {args:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    }

    /// A new SM2 key pair as PEM files `<name>.pem`, `<name>-pub.pem`.
    fn sm2_pair(&self, name: &str) -> (PathBuf, PathBuf) {
        let private = self.path(&format!("{name}.pem"));
        let public = self.path(&format!("{name}-pub.pem"));
        self.openssl_ok(&["genpkey", "-algorithm", "SM2", "-out", s(&private)]);
        self.openssl_ok(&["pkey", "-in", s(&private), "-pubout", "-out", s(&public)]);
        (private, public)
    }

    fn public_of(&self, private: &Path, name: &str) -> PathBuf {
        let public = self.path(name);
        self.openssl_ok(&["pkey", "-in", s(private), "-pubout", "-out", s(&public)]);
        public
    }

    /// `openssl dgst -sign` over `message`, Base64.
    fn sign(&self, key: &Path, message: &str, options: &[&str]) -> String {
        let (msg, sig) = (self.path("msg"), self.path("sig"));
        std::fs::write(&msg, message).unwrap();
        let mut args = vec!["dgst", "-sign", s(key), "-out", s(&sig)];
        args.extend_from_slice(options);
        args.push(s(&msg));
        self.openssl_ok(&args);
        b64().encode(std::fs::read(&sig).unwrap())
    }

    /// Whether `openssl dgst -verify` accepts a Base64 signature over `message`.
    fn verifies(&self, public: &Path, message: &str, sig_b64: &str, options: &[&str]) -> bool {
        let (msg, sig) = (self.path("vmsg"), self.path("vsig"));
        std::fs::write(&msg, message).unwrap();
        std::fs::write(&sig, b64().decode(sig_b64).unwrap()).unwrap();
        let mut args = vec!["dgst", "-verify", s(public), "-signature", s(&sig)];
        args.extend_from_slice(options);
        args.push(s(&msg));
        let out = self.openssl(&args);
        out.status.success() && String::from_utf8_lossy(&out.stdout).contains("Verified OK")
    }

    /// A signed answer or notification checked by OpenSSL with the sandbox's public key; and the
    /// same with one value changed, which must fail (so the check can fail).
    fn assert_sandbox_signed(&self, sandbox_public: &Path, text: &str) {
        let value: Value = serde_json::from_str(text).unwrap();
        let sig = value["sign"].as_str().expect("a signed answer").to_owned();
        let sm3 = ["-sm3", SM2_ID[0], SM2_ID[1]];
        assert!(
            self.verifies(sandbox_public, &canonical(&value), &sig, &sm3),
            "OpenSSL rejects the sandbox's signature on {text}"
        );
        let mut tampered = value.clone();
        let map = tampered.as_object_mut().unwrap();
        map.insert("injected".into(), json!("x"));
        assert!(!self.verifies(sandbox_public, &canonical(&tampered), &sig, &sm3));
    }
}

fn s(path: &Path) -> &str {
    path.to_str().unwrap()
}

fn b64() -> base64::engine::GeneralPurpose {
    base64::engine::general_purpose::STANDARD
}

fn merchant(merc_no: &str, auth_id: &str, public_pem: &Path) -> paysign_sandbox::Merchant {
    paysign_sandbox::Merchant {
        merc_no: merc_no.to_owned(),
        name: format!("merchant {merc_no}"),
        model: MerchantModel::Direct,
        auth_id: auth_id.to_owned(),
        public_key: std::fs::read_to_string(public_pem).unwrap(),
        app_ids: vec![DIRECT_APP.to_owned()],
        plan_ids: vec![DIRECT_PLAN.to_owned()],
        sub_merchants: vec![],
        refund_enabled: true,
        trade_bill_enabled: true,
        settle_bill_enabled: true,
    }
}

struct Setup {
    peer: Peer,
    sandbox: RunningSandbox,
    sandbox_public: PathBuf,
    sm2_merchant: PathBuf,
    rsa_merchant: PathBuf,
    http: reqwest::Client,
}

/// A sandbox whose own SM2 key and whose SM2 merchant's key OpenSSL generated, plus an RSA-PSS
/// merchant (the OpenSSL-made test key in tests/fixtures).
async fn setup() -> Setup {
    let peer = Peer::new();
    let (sandbox_key, sandbox_public) = peer.sm2_pair("sandbox");
    let (sm2_merchant, sm2_public) = peer.sm2_pair("merchant");
    let rsa_merchant =
        Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/merchant-rsa-3072.test-key.pem");
    let rsa_public = peer.public_of(&rsa_merchant, "rsa-pub.pem");
    let sandbox = start(SandboxOptions {
        key: Some(sandbox_key),
        config: SandboxConfig {
            merchants: vec![
                merchant(DIRECT, DIRECT_AUTH, &sm2_public),
                merchant(RSA_MERCHANT, RSA_AUTH, &rsa_public),
            ],
        },
        ..SandboxOptions::default()
    })
    .await
    .unwrap();
    Setup {
        peer,
        sandbox,
        sandbox_public,
        sm2_merchant,
        rsa_merchant,
        http: reqwest::Client::new(),
    }
}

impl Setup {
    /// Sends a request whose PayMercAuth OpenSSL signed: bodySign over the canonical body (POST)
    /// or the path and query (GET), headerSign over `authId=…&bodySign=…&callerId=…&time=…&traceId=…`.
    async fn send(
        &self,
        caller: (&str, &str, &Path),
        options: &[&str],
        path: &str,
        body: Option<&Value>,
    ) -> (u16, String) {
        let (caller_id, auth_id, key) = caller;
        let signed = match body {
            Some(body) => canonical(body),
            None => path.to_owned(),
        };
        let body_sign = self.peer.sign(key, &signed, options);
        let time = now_ms();
        let trace_id = format!("{time}{}", &caller_id[..4]);
        let header_input = format!(
            "authId={auth_id}&bodySign={body_sign}&callerId={caller_id}&time={time}&traceId={trace_id}"
        );
        let header_sign = self.peer.sign(key, &header_input, options);
        let header = json!({"callerId": caller_id, "traceId": trace_id, "time": time,
            "authId": auth_id, "bodySign": body_sign, "headerSign": header_sign});
        let url = format!("{}{path}", self.sandbox.base_url());
        let request = match body {
            Some(body) => self.http.post(url).body(body.to_string()),
            None => self.http.get(url),
        };
        let answer = request
            .header("Content-Type", "application/json; charset=UTF-8")
            .header("PayMercAuth", header.to_string())
            .send()
            .await
            .unwrap();
        let status = answer.status().as_u16();
        (status, answer.text().await.unwrap())
    }

    fn sm2_caller(&self) -> (&str, &str, &Path) {
        (DIRECT, DIRECT_AUTH, &self.sm2_merchant)
    }

    async fn operator(&self, path: &str) -> Value {
        let answer = self
            .http
            .post(format!("{}{path}", self.sandbox.base_url()))
            .json(&json!({}))
            .send()
            .await
            .unwrap();
        assert_eq!(answer.status().as_u16(), 200, "{path}");
        answer.json().await.unwrap()
    }

    async fn operator_get(&self, path: &str) -> Value {
        let answer = self
            .http
            .get(format!("{}{path}", self.sandbox.base_url()))
            .send()
            .await
            .unwrap();
        assert_eq!(answer.status().as_u16(), 200, "{path}");
        answer.json().await.unwrap()
    }
}

fn prepay_body(merc_no: &str, order_no: &str) -> Value {
    let mut request = direct_prepay(order_no, 880);
    request.merc_no = merc_no.to_owned();
    serde_json::to_value(&request).unwrap()
}

fn sub_code(text: &str) -> String {
    let value: Value = serde_json::from_str(text).unwrap();
    value["subCode"].as_str().unwrap_or_default().to_owned()
}

fn result_code(text: &str) -> String {
    let value: Value = serde_json::from_str(text).unwrap();
    value["resultCode"].as_str().unwrap_or_default().to_owned()
}

#[tokio::test]
async fn an_openssl_sm2_signed_prepay_is_accepted_and_its_answer_verifies_with_openssl() {
    let fx = setup().await;
    let path = endpoints::prepay(PasModel::Direct, PrepayChannel::App);
    let body = prepay_body(DIRECT, "OSSL-SM2-1");
    let sm3 = ["-sm3", SM2_ID[0], SM2_ID[1]];
    let (status, text) = fx.send(fx.sm2_caller(), &sm3, path, Some(&body)).await;
    assert_eq!(status, 200, "{text}");
    assert_eq!(result_code(&text), "000000", "{text}");
    let answer: Value = serde_json::from_str(&text).unwrap();
    assert!(
        answer["prepayId"].as_str().is_some_and(|p| !p.is_empty()),
        "{text}"
    );
    fx.peer.assert_sandbox_signed(&fx.sandbox_public, &text);
}

#[tokio::test]
async fn an_openssl_signed_get_is_accepted_and_its_answer_verifies_with_openssl() {
    let fx = setup().await;
    let sm3 = ["-sm3", SM2_ID[0], SM2_ID[1]];
    let prepay = endpoints::prepay(PasModel::Direct, PrepayChannel::App);
    let body = prepay_body(DIRECT, "OSSL-GET-1");
    let (status, text) = fx.send(fx.sm2_caller(), &sm3, prepay, Some(&body)).await;
    assert_eq!(
        (status, result_code(&text)),
        (200, "000000".into()),
        "{text}"
    );
    let query = endpoints::query_order(PasModel::Direct, "OSSL-GET-1").unwrap();
    let (status, text) = fx.send(fx.sm2_caller(), &sm3, &query, None).await;
    assert_eq!(status, 200, "{text}");
    assert_eq!(result_code(&text), "000000", "{text}");
    fx.peer.assert_sandbox_signed(&fx.sandbox_public, &text);
}

#[tokio::test]
async fn an_openssl_rsa_pss_signed_prepay_is_accepted() {
    let fx = setup().await;
    let path = endpoints::prepay(PasModel::Direct, PrepayChannel::App);
    let body = prepay_body(RSA_MERCHANT, "OSSL-RSA-1");
    let mut pss = vec!["-sha256"];
    pss.extend_from_slice(&PSS);
    let caller = (RSA_MERCHANT, RSA_AUTH, fx.rsa_merchant.as_path());
    let (status, text) = fx.send(caller, &pss, path, Some(&body)).await;
    assert_eq!(status, 200, "{text}");
    assert_eq!(result_code(&text), "000000", "{text}");
    fx.peer.assert_sandbox_signed(&fx.sandbox_public, &text);
}

/// The same OpenSSL signer with another distinguishing ID, or plain PKCS#1 v1.5 instead of PSS,
/// is refused: the accepting tests above could fail for the right reason.
#[tokio::test]
async fn a_signature_under_another_id_or_padding_is_refused() {
    let fx = setup().await;
    let path = endpoints::prepay(PasModel::Direct, PrepayChannel::App);
    let other_id = ["-sm3", "-sigopt", "distid:ALICE123@YAHOO.COM"];
    let body = prepay_body(DIRECT, "OSSL-BAD-1");
    let (_, text) = fx.send(fx.sm2_caller(), &other_id, path, Some(&body)).await;
    assert_eq!(sub_code(&text), "INVALID_SIGNATURE", "{text}");
    let caller = (RSA_MERCHANT, RSA_AUTH, fx.rsa_merchant.as_path());
    let body = prepay_body(RSA_MERCHANT, "OSSL-BAD-2");
    let (_, text) = fx.send(caller, &["-sha256"], path, Some(&body)).await;
    assert_eq!(sub_code(&text), "INVALID_SIGNATURE", "{text}");
    let orders = fx.operator_get("/sandbox/orders").await;
    assert_eq!(orders.as_array().map(Vec::len), Some(0), "{orders}");
}

#[tokio::test]
async fn the_sandboxs_notifications_verify_with_openssl() {
    let fx = setup().await;
    let sm3 = ["-sm3", SM2_ID[0], SM2_ID[1]];
    let path = endpoints::prepay(PasModel::Direct, PrepayChannel::App);
    let body = prepay_body(DIRECT, "OSSL-N-1");
    let (status, text) = fx.send(fx.sm2_caller(), &sm3, path, Some(&body)).await;
    assert_eq!(
        (status, result_code(&text)),
        (200, "000000".into()),
        "{text}"
    );
    fx.operator(&format!("/sandbox/orders/{DIRECT}/OSSL-N-1/pay"))
        .await;
    fx.operator(&format!("/sandbox/contracts/{DIRECT}/C-OSSL-N-1/sign"))
        .await;
    let events = fx.operator_get("/sandbox/events").await;
    let mut kinds = Vec::new();
    for event in events.as_array().unwrap() {
        let n = fx
            .operator_get(&format!("/sandbox/events/{}/notification", event["seq"]))
            .await;
        kinds.push(n["kind"].as_str().unwrap().to_owned());
        fx.peer
            .assert_sandbox_signed(&fx.sandbox_public, n["body"].as_str().unwrap());
    }
    assert_eq!(kinds, ["PAYMENT", "CONTRACT_SIGNED"]);
}
