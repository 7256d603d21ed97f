//! The orderStr builder: fields, 13-digit timestamp, fresh noncestr, a signature that verifies,
//! the sandbox flag, the service-provider variant, and acceptance by paysign-core's parser (what
//! the app runs before opening the cashier).
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

mod support;

use paysign_crypto::PrivateKey;
use paysign_pas::orderstr::OrderStrFields;
use paysign_pas::{FieldError, MerchantModel, MerchantSigner, OrderStrBuilder, PasError};
use support::*;

const NOW: i64 = 1_751_361_838_042;
const APP_ID: &str = "5765880207853001";
const PREPAY: &str = "12507011723580897591704001";

fn builder(key: PrivateKey, model: MerchantModel) -> OrderStrBuilder {
    let caller = match model {
        MerchantModel::Direct => DIRECT_MERC_NO,
        MerchantModel::ServiceProvider => SP_MERC_NO,
    };
    OrderStrBuilder::new(MerchantSigner::new(caller, AUTH_ID, key), model)
}

#[test]
fn direct_order_str_has_every_field_and_a_valid_signature() {
    for key in [sm2_key(), rsa_key()] {
        let public = key.public_key();
        let text = builder(key, MerchantModel::Direct)
            .build(Some(APP_ID), PREPAY, NOW)
            .unwrap();
        let fields: OrderStrFields = serde_json::from_str(&text).unwrap();
        assert_eq!(fields.app_id.as_deref(), Some(APP_ID));
        assert_eq!(fields.merc_no, DIRECT_MERC_NO);
        assert_eq!(fields.prepay_id, PREPAY);
        assert_eq!(fields.timestamp, "1751361838042");
        assert_eq!(fields.auth_id, AUTH_ID);
        assert_eq!(fields.noncestr.len(), 32);
        assert_eq!(fields.reserved, None);
        // Every value is a string (the orderStr is a flat object of strings).
        let map: serde_json::Map<String, serde_json::Value> = serde_json::from_str(&text).unwrap();
        assert!(map.values().all(serde_json::Value::is_string));
        // The signature covers every field but sign, sorted: app_id=…&auth_id=…&merc_no=…
        let expected = format!(
            "app_id={APP_ID}&auth_id={AUTH_ID}&merc_no={DIRECT_MERC_NO}&noncestr={}&prepay_id={PREPAY}&timestamp={NOW}",
            fields.noncestr
        );
        public
            .verify(expected.as_bytes(), fields.sign.as_deref().unwrap())
            .unwrap();
        paysign_crypto::verify_body(&text, &public).unwrap();
    }
}

#[test]
fn sandbox_order_str_signs_reserved_too() {
    let key = sm2_key();
    let public = key.public_key();
    let text = builder(key, MerchantModel::Direct)
        .sandbox(true)
        .build(Some(APP_ID), PREPAY, NOW)
        .unwrap();
    let fields: OrderStrFields = serde_json::from_str(&text).unwrap();
    assert_eq!(fields.reserved.as_deref(), Some(r#"{"sandbox_flag":true}"#));
    paysign_crypto::verify_body(&text, &public).unwrap();
    // Dropping reserved breaks the signature: it was signed.
    let mut map: serde_json::Map<String, serde_json::Value> = serde_json::from_str(&text).unwrap();
    map.remove("reserved");
    assert!(paysign_crypto::verify_body(&serde_json::to_string(&map).unwrap(), &public).is_err());
}

#[test]
fn service_provider_order_str_uses_sp_merc_no_and_sub_app_id() {
    let key = sm2_key();
    let public = key.public_key();
    let b = builder(key, MerchantModel::ServiceProvider);
    let with_app = b.build(Some("sub-app-1"), PREPAY, NOW).unwrap();
    let fields: OrderStrFields = serde_json::from_str(&with_app).unwrap();
    assert_eq!(fields.merc_no, SP_MERC_NO);
    assert_eq!(fields.app_id.as_deref(), Some("sub-app-1"));
    paysign_crypto::verify_body(&with_app, &public).unwrap();
    let without_app = b.build(None, PREPAY, NOW).unwrap();
    let fields: OrderStrFields = serde_json::from_str(&without_app).unwrap();
    assert_eq!(fields.app_id, None);
    paysign_crypto::verify_body(&without_app, &public).unwrap();
}

#[test]
fn noncestr_is_fresh_every_time() {
    let b = builder(sm2_key(), MerchantModel::Direct);
    let nonces: std::collections::HashSet<String> = (0..20)
        .map(|_| {
            let f: OrderStrFields =
                serde_json::from_str(&b.build(Some(APP_ID), PREPAY, NOW).unwrap()).unwrap();
            f.noncestr
        })
        .collect();
    assert_eq!(nonces.len(), 20);
}

#[test]
fn bad_inputs_are_refused() {
    let b = builder(sm2_key(), MerchantModel::Direct);
    let field = |r: Result<String, PasError>| match r {
        Err(PasError::InvalidRequest(FieldError { field, .. })) => field,
        other => panic!("{other:?}"),
    };
    assert_eq!(field(b.build(Some(APP_ID), "", NOW)), "prepay_id");
    assert_eq!(field(b.build(None, PREPAY, NOW)), "app_id");
    assert_eq!(field(b.build(Some(""), PREPAY, NOW)), "app_id");
    assert_eq!(field(b.build(Some(APP_ID), PREPAY, 1_000)), "timestamp");
    assert_eq!(
        field(b.build_with_nonce(Some(APP_ID), PREPAY, NOW, "n".repeat(33))),
        "noncestr"
    );
    assert_eq!(
        field(b.build_with_nonce(Some(APP_ID), PREPAY, NOW, String::new())),
        "noncestr"
    );
}

#[test]
fn paysign_core_accepts_what_the_builder_makes() {
    for (model, app_id, sandbox) in [
        (MerchantModel::Direct, Some(APP_ID), false),
        (MerchantModel::Direct, Some(APP_ID), true),
        (MerchantModel::ServiceProvider, Some("sub-app-1"), true),
        (MerchantModel::ServiceProvider, None, false),
    ] {
        let key = sm2_key();
        let public = key.public_key();
        let text = builder(key, model)
            .sandbox(sandbox)
            .build(app_id, PREPAY, NOW)
            .unwrap();
        let now = u64::try_from(NOW).unwrap() + 60_000;
        let checked = paysign_core::order_str::validate(&text, now, app_id).unwrap();
        assert_eq!(checked.sandbox, sandbox);
        assert_eq!(checked.order.prepay_id, PREPAY);
        assert_eq!(checked.order.app_id.as_deref(), app_id);
        assert_eq!(checked.age_ms, 60_000);
        // And the other way: the core model round-trips to text whose signature still verifies.
        let reparsed = paysign_core::OrderStr::from_json(&text).unwrap();
        paysign_crypto::verify_body(&reparsed.to_json().unwrap(), &public).unwrap();
    }
}
