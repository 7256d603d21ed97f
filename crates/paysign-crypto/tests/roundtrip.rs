#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]
//! Whole-body sign/verify round trips with freshly generated SM2 keys and the RSA fixture key.

use paysign_crypto::{sign_body, verify_body, CryptoError, KeyAlgorithm, PrivateKey, VerifyError};

const NOTIFY: &str = r#"{"callbackId":"124070308575300049145189001","callbackTime":"2023-03-29 09:29:14","currency":"CNY","dataType":"plain","finishTime":"2023-02-23T10:02:04.000+0800","mercOrderNo":"czl00120240705001","appId":"5765880207853001","mercNo":"1013212001","orderStatus":"TRX_SUCCESS","payerAmount":10000,"payload":"example-payload","paymentTools":"AGMT","promotionAmount":0,"signType":"SM2","certNo":"120291744647139001","sysTransOrderNo":"12407030857530004914518001","totalAmount":10000}"#;

#[test]
fn sm2_body_round_trip() {
    let key = PrivateKey::generate_sm2().unwrap();
    assert_eq!(key.algorithm(), KeyAlgorithm::Sm2);
    let signed = sign_body(NOTIFY, &key).unwrap();
    verify_body(&signed, &key.public_key()).unwrap();
    let tampered = signed.replace("\"totalAmount\":10000", "\"totalAmount\":10001");
    assert_eq!(
        verify_body(&tampered, &key.public_key()),
        Err(CryptoError::Verify(VerifyError::Mismatch))
    );
}

#[test]
fn debug_never_shows_the_secret() {
    let key = PrivateKey::generate_sm2().unwrap();
    let shown = format!("{key:?}");
    assert_eq!(shown, "PrivateKey { algorithm: Sm2, .. }");
    let b64 = key.to_pkcs8_base64();
    assert!(!shown.contains(&b64[..20]));
}
