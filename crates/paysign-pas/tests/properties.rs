//! Properties: yuan ↔ fen is exact for every amount; PayMercAuth verifies for any body and path
//! and stops verifying when any value changes; orderStr signatures hold for any prepay_id.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use std::sync::OnceLock;

use paysign_crypto::PrivateKey;
use paysign_pas::auth::HttpMethod;
use paysign_pas::bill::yuan_to_fen;
use paysign_pas::simulator::auth::{verify_pay_merc_auth, AuthError};
use paysign_pas::{MerchantModel, MerchantSigner, OrderStrBuilder};
use proptest::prelude::*;

fn key() -> &'static PrivateKey {
    static KEY: OnceLock<PrivateKey> = OnceLock::new();
    KEY.get_or_init(|| PrivateKey::generate_sm2().unwrap())
}

fn signer() -> MerchantSigner {
    MerchantSigner::new("101000000001", "120291744647139001", key().clone())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    #[test]
    fn yuan_text_parses_to_the_exact_fen(fen in -10_000_000_000_000i64..10_000_000_000_000i64) {
        let sign = if fen < 0 { "-" } else { "" };
        let abs = fen.unsigned_abs();
        let (whole, cents) = (abs / 100, abs % 100);
        prop_assert_eq!(yuan_to_fen(&format!("{sign}{whole}.{cents:02}")), Ok(fen));
        if cents % 10 == 0 {
            prop_assert_eq!(yuan_to_fen(&format!("{sign}{whole}.{}", cents / 10)), Ok(fen));
        }
        if cents == 0 {
            prop_assert_eq!(yuan_to_fen(&format!("{sign}{whole}")), Ok(fen));
        }
        let three_decimals = format!("{sign}{whole}.{cents:02}1");
        prop_assert!(yuan_to_fen(&three_decimals).is_err());
    }

    #[test]
    fn pay_merc_auth_verifies_any_body_and_breaks_on_any_change(
        fields in prop::collection::btree_map("f[a-zA-Z]{0,11}", "[ -~\u{4e00}-\u{4e20}]{0,24}", 1..8),
        amount in 1i64..1_000_000_000,
        path in "/api/v1/[a-z]{1,10}/[A-Za-z0-9_-]{1,20}",
        flip in any::<prop::sample::Index>(),
    ) {
        let mut body = serde_json::Map::new();
        for (k, v) in &fields {
            body.insert(k.clone(), serde_json::Value::String(v.clone()));
        }
        body.insert("totalAmount".into(), amount.into());
        let body = serde_json::Value::Object(body).to_string();
        let public = key().public_key();
        let header = signer()
            .pay_merc_auth(HttpMethod::Post, &path, &body, 1_700_000_000_000)
            .unwrap()
            .to_header_value()
            .unwrap();
        prop_assert!(verify_pay_merc_auth(Some(&header), HttpMethod::Post, &path, &body, &public).is_ok());

        // Change one value: the amount, or one of the string fields.
        let mut changed: serde_json::Map<String, serde_json::Value> = serde_json::from_str(&body).unwrap();
        let keys: Vec<String> = changed.keys().cloned().collect();
        let victim = flip.get(&keys).clone();
        let new_value = match &changed[&victim] {
            serde_json::Value::String(s) => serde_json::Value::String(format!("{s}x")),
            _ => serde_json::Value::from(amount + 1),
        };
        changed.insert(victim, new_value);
        let changed = serde_json::Value::Object(changed).to_string();
        prop_assert_eq!(
            verify_pay_merc_auth(Some(&header), HttpMethod::Post, &path, &changed, &public).unwrap_err(),
            AuthError::BadBodySign
        );

        // GET: the path is what is signed.
        let get = signer().pay_merc_auth(HttpMethod::Get, &path, "", 1).unwrap().to_header_value().unwrap();
        prop_assert!(verify_pay_merc_auth(Some(&get), HttpMethod::Get, &path, "", &public).is_ok());
        let other_path = format!("{path}0");
        prop_assert!(verify_pay_merc_auth(Some(&get), HttpMethod::Get, &other_path, "", &public).is_err());
    }

    #[test]
    fn order_str_signature_holds_for_any_prepay_id(prepay in "[0-9A-Za-z]{1,64}", sandbox in any::<bool>()) {
        let text = OrderStrBuilder::new(signer(), MerchantModel::Direct)
            .sandbox(sandbox)
            .build(Some("5765880207853001"), &prepay, 1_751_361_838_042)
            .unwrap();
        prop_assert!(paysign_crypto::verify_body(&text, &key().public_key()).is_ok());
        let fields: paysign_pas::orderstr::OrderStrFields = serde_json::from_str(&text).unwrap();
        prop_assert_eq!(fields.prepay_id, prepay);
        prop_assert_eq!(fields.reserved.is_some(), sandbox);
    }
}
