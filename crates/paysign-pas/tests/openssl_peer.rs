//! What the merchant side signs, checked by a verifier the project did not write: the OpenSSL 3
//! command line, with merchant keys OpenSSL made, over strings spelled out here from the spec
//! (the printed §3.2 examples, the orderStr's fields in ASCII order) — not over paysign-crypto's
//! canonical string. And the spec's printed notification and header examples, parsed exactly as
//! printed. OpenSSL is the independent peer: these tests fail (not skip) without it;
//! scripts/setup.sh installs it.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use std::path::{Path, PathBuf};
use std::process::Command;

use base64::Engine as _;
use paysign_crypto::PrivateKey;
use paysign_pas::model::{ContractSignedNotification, OrderStatus, PaymentNotification};
use paysign_pas::{HttpMethod, MerchantModel, MerchantSigner, OrderStrBuilder};
use serde_json::Value;

const SM2_OPTIONS: [&str; 3] = ["-sm3", "-sigopt", "distid:1234567812345678"];
const PSS_OPTIONS: [&str; 7] = [
    "-sha256",
    "-sigopt",
    "rsa_padding_mode:pss",
    "-sigopt",
    "rsa_pss_saltlen:32",
    "-sigopt",
    "rsa_mgf1_md:sha256",
];
const MERC_NO: &str = "101723200001";
const AUTH_ID: &str = "120291744647139001";
const APP_ID: &str = "5765880207853001";
const PREPAY_ID: &str = "12507011723580897591704001";
const NOW: i64 = 1_751_361_838_042;
const NONCE: &str = "6f18060eee669126b98e474407cc0682";

/// Spec §3.2's POST example and the signing string printed under it.
const SPEC_BODY: &str = r#"{"appId":"5765880207854262xxx","callbackUrl":"https://www.xxx.com/hw_notify","currency":"CNY","mercNo":"101723200xxx","mercOrderNo":"2405171027547xxx","payload":"shop|h8ahnJA8xxRXVw","totalAmount":5,"tradeSummary":"test","subOrders":[{"mercNo":"101723200xxx","mercOrderNo":"abcxxx1"},{"mercNo":"101723201xxx","mercOrderNo":"abcxxx2"}]}"#;
const SPEC_BODY_STRING: &str = "appId=5765880207854262xxx&callbackUrl=https://www.xxx.com/hw_notify&currency=CNY&mercNo=101723200xxx&mercOrderNo=2405171027547xxx&payload=shop|h8ahnJA8xxRXVw&subOrders=mercNo=101723200xxx&mercOrderNo=abcxxx1,mercNo=101723201xxx&mercOrderNo=abcxxx2&totalAmount=5&tradeSummary=test";
/// Spec §3.2's GET example: the signing string is the URI as sent.
const SPEC_GET: &str = "/api/v2/aggr/transactions/merc-orders/20240507000000041809599950090xxx?mercNo=101540000089&sdkVersion=1.0.0";

struct OpenSsl {
    dir: tempfile::TempDir,
}

impl OpenSsl {
    fn new() -> Self {
        Self {
            dir: tempfile::tempdir().unwrap(),
        }
    }

    fn path(&self, name: &str) -> PathBuf {
        self.dir.path().join(name)
    }

    fn run(&self, args: &[&str]) -> std::process::Output {
        Command::new("openssl").args(args).output().expect(
            "the openssl command (OpenSSL 3) is the independent peer of these tests; run scripts/setup.sh",
        )
    }

    fn ok(&self, args: &[&str]) {
        let out = self.run(args);
        assert!(
            out.status.success(),
            "openssl {args:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    }

    /// An OpenSSL-made key pair: our loader reads the private PEM, OpenSSL keeps the public one.
    fn key_pair(&self, algorithm: &str) -> (PrivateKey, PathBuf) {
        let private = self.path(&format!("{algorithm}.pem"));
        let public = self.path(&format!("{algorithm}-pub.pem"));
        match algorithm {
            "SM2" => self.ok(&["genpkey", "-algorithm", "SM2", "-out", s(&private)]),
            _ => {
                // A 3072-bit key takes seconds to generate; the crypto crate's fixture is OpenSSL-made.
                let fixture = Path::new(env!("CARGO_MANIFEST_DIR"))
                    .join("../paysign-crypto/tests/fixtures/rsa3072-private.pem");
                std::fs::copy(fixture, &private).unwrap();
            }
        }
        self.ok(&["pkey", "-in", s(&private), "-pubout", "-out", s(&public)]);
        let key = PrivateKey::from_text(&std::fs::read_to_string(&private).unwrap()).unwrap();
        (key, public)
    }

    fn verifies(&self, public: &Path, message: &str, sig_b64: &str, options: &[&str]) -> bool {
        let (msg, sig) = (self.path("msg"), self.path("sig"));
        std::fs::write(&msg, message).unwrap();
        let raw = base64::engine::general_purpose::STANDARD
            .decode(sig_b64)
            .unwrap();
        std::fs::write(&sig, raw).unwrap();
        let mut args = vec!["dgst", "-verify", s(public), "-signature", s(&sig)];
        args.extend_from_slice(options);
        args.push(s(&msg));
        let out = self.run(&args);
        out.status.success() && String::from_utf8_lossy(&out.stdout).contains("Verified OK")
    }
}

fn s(path: &Path) -> &str {
    path.to_str().unwrap()
}

fn options(algorithm: &str) -> &'static [&'static str] {
    if algorithm == "SM2" {
        &SM2_OPTIONS
    } else {
        &PSS_OPTIONS
    }
}

#[test]
fn our_order_str_sign_verifies_with_openssl_over_the_fields_in_ascii_order() {
    let openssl = OpenSsl::new();
    for algorithm in ["SM2", "RSA"] {
        let (key, public) = openssl.key_pair(algorithm);
        for sandbox in [false, true] {
            let text = OrderStrBuilder::new(
                MerchantSigner::new(MERC_NO, AUTH_ID, key.clone()),
                MerchantModel::Direct,
            )
            .sandbox(sandbox)
            .build_with_nonce(Some(APP_ID), PREPAY_ID, NOW, NONCE.to_owned())
            .unwrap();
            let order: Value = serde_json::from_str(&text).unwrap();
            let sign = order["sign"].as_str().unwrap();
            // app_id < auth_id < merc_no < noncestr < prepay_id < reserved < timestamp (spec §2).
            let reserved = match order.get("reserved") {
                Some(r) => format!("&reserved={}", r.as_str().unwrap()),
                None => String::new(),
            };
            assert_eq!(reserved.is_empty(), !sandbox, "{text}");
            let expected = format!(
                "app_id={APP_ID}&auth_id={AUTH_ID}&merc_no={MERC_NO}&noncestr={NONCE}&prepay_id={PREPAY_ID}{reserved}&timestamp={NOW}"
            );
            let opts = options(algorithm);
            assert!(
                openssl.verifies(&public, &expected, sign, opts),
                "{algorithm}: OpenSSL rejects {text}"
            );
            // The check can fail: the same sign over the string without app_id does not verify.
            let without_app = expected.replacen(&format!("app_id={APP_ID}&"), "", 1);
            assert!(!openssl.verifies(&public, &without_app, sign, opts));
        }
    }
}

#[test]
fn our_pay_merc_auth_verifies_with_openssl_over_the_spec_printed_strings() {
    let openssl = OpenSsl::new();
    for algorithm in ["SM2", "RSA"] {
        let (key, public) = openssl.key_pair(algorithm);
        let signer = MerchantSigner::new(MERC_NO, AUTH_ID, key);
        let opts = options(algorithm);
        for (method, path, body, body_string) in [
            (
                HttpMethod::Post,
                "/api/v2/aggr/preorder/create/app",
                SPEC_BODY,
                SPEC_BODY_STRING,
            ),
            (HttpMethod::Get, SPEC_GET, "", SPEC_GET),
        ] {
            let auth = signer
                .pay_merc_auth_with_trace_id(
                    method,
                    path,
                    body,
                    NOW,
                    "202305151026422776499".into(),
                )
                .unwrap();
            assert!(
                openssl.verifies(&public, body_string, &auth.body_sign, opts),
                "{algorithm} {method:?}: bodySign is not over the spec's printed string"
            );
            let header_string = format!(
                "authId={AUTH_ID}&bodySign={}&callerId={MERC_NO}&time={NOW}&traceId=202305151026422776499",
                auth.body_sign
            );
            assert!(
                openssl.verifies(&public, &header_string, &auth.header_sign, opts),
                "{algorithm} {method:?}: headerSign is not over {header_string}"
            );
            assert!(!openssl.verifies(&public, &header_string, &auth.body_sign, opts));
        }
    }
}

/// Spec §5.2's example, exactly as printed (masked values, a cut signature).
#[test]
fn the_printed_payment_notification_parses() {
    let printed = r#"{"callbackId":"124070308575300049145189***","callbackTime":"2023-03-29 09:29:14","currency":"CNY","dataType":"plain","finishTime":"2023-02-23T10:02:04.000+0800","mercOrderNo":"czl00120240705***","appId":"5765880207853***","mercNo":"10132120***","orderStatus":"TRX_SUCCESS","payerAmount":10000,"payload":"example-payload","paymentTools":"AGMT","promotionAmount":0,"sign":"MEYCIQDX…","signType":"SM2","certNo":"120291744647139***","sysTransOrderNo":"12407030857530004914518***","totalAmount":10000}"#;
    let n: PaymentNotification = serde_json::from_str(printed).unwrap();
    assert_eq!(n.header.callback_id, "124070308575300049145189***");
    assert_eq!(n.merc_order_no, "czl00120240705***");
    assert_eq!(n.order_status, OrderStatus::Success);
    assert_eq!((n.total_amount, n.payer_amount), (10000, Some(10000)));
    assert_eq!(n.app_id.as_deref(), Some("5765880207853***"));
    let canonical = paysign_crypto::canonical_json(printed).unwrap();
    assert!(
        canonical.starts_with("appId=5765880207853***&callbackId="),
        "{canonical}"
    );
    assert!(!canonical.contains("sign=MEYC"), "{canonical}");
}

/// Spec §5.3's example as printed, with `appId` unquoted (a documentation typo the parser takes).
#[test]
fn the_printed_contract_notification_parses_with_its_unquoted_app_id() {
    let printed = r#"{"callbackId":"124070308575300049145189***","callbackTime":"2023-08-29 09:29:14","dataType":"plain","mercContractCode":"2024020316555432***","mercNo":"10132120***","operateTime":"2023-09-01 09:01:25","sign":"MEYCIQ…","signType":"SM2","certNo":"120291744647139***","contractId":"2024070914615843071097***","appId":5765880207853}"#;
    let n: ContractSignedNotification = serde_json::from_str(printed).unwrap();
    assert_eq!(n.contract_id, "2024070914615843071097***");
    assert_eq!(n.app_id.as_deref(), Some("5765880207853"));
}

/// Spec §3.5's header example as printed.
#[test]
fn the_printed_pay_merc_auth_example_parses() {
    let printed = r#"{"callerId":"10132120***","traceId":"202305151026422776499","time":1684117602555,"authId":"120291744647139***","headerSign":"u+H1Oe…","bodySign":"yWDt…"}"#;
    let auth = paysign_pas::simulator::auth::parse_pay_merc_auth(Some(printed)).unwrap();
    assert_eq!(auth.caller_id, "10132120***");
    assert_eq!(auth.time, 1_684_117_602_555);
    assert_eq!(auth.trace_id.len(), 21);
}
