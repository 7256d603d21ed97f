#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]
//! The GM/T 0003.5-2012 signature example (recommended curve, default ID), spec Appendix A.
//! The published (r, s) must verify with the example key in every accepted public-key form, and
//! the private key in every accepted form must produce signatures that verify.

use base64::Engine as _;
use paysign_crypto::{KeyAlgorithm, PrivateKey, PublicKey, VerifyError};
use sm2::elliptic_curve::ff::PrimeField;
use sm2::elliptic_curve::ops::Reduce;
use sm2::elliptic_curve::point::AffineCoordinates;
use sm2::{FieldBytes, ProjectivePoint, Scalar};

const ID: &str = "1234567812345678";
const MSG: &[u8] = b"message digest";
const D_A: &str = "3945208F7B2144B13F36E38AC6D39F95889393692860B51A42FB81EF4DF7C5B8";
const X_A: &str = "09F9DF311E5421A150DD7D161E4BC5C672179FAD1833FC076BB08FF356F35020";
const Y_A: &str = "CCEA490CE26775A52DC6EA718CC1AA600AED05FBF35E084A6632F6072DA9AD13";
const K: &str = "59276E27D506861A16680F3AD9C02DCCEF3CC1FA3CDBE4CE6D54B80DEAC1BC21";
const R: &str = "F5A03B0648D2C4630EEAC513E1BB81A15944DA3827D5B74143AC7EACEEE720B3";
const S: &str = "B1B6AA29DF212FD8763182BC0D421CA1BB9038FD1F7F42D4840B69C485BBC1AA";
const SPKI_HEX: &str = "3059301306072a8648ce3d020106082a811ccf5501822d0342000409f9df311e5421a150dd7d161e4bc5c672179fad1833fc076bb08ff356f35020ccea490ce26775a52dc6ea718cc1aa600aed05fbf35e084a6632f6072da9ad13";
const SIG_DER_B64: &str =
    "MEYCIQD1oDsGSNLEYw7qxRPhu4GhWUTaOCfVt0FDrH6s7ucgswIhALG2qinfIS/YdjGCvA1CHKG7kDj9H39C1IQLacSFu8Gq";

// Recommended-curve parameters (GM/T 0003.5) that enter Z_A.
const CURVE_A: &str = "FFFFFFFEFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFF00000000FFFFFFFFFFFFFFFC";
const CURVE_B: &str = "28E9FA9E9D9F5E344D5A9E4BCF6509A7F39789F515AB8F92DDBCBD414D940E93";
const G_X: &str = "32C4AE2C1F1981195F9904466A39C9948FE30BBFF2660BE1715A4589334C74C7";
const G_Y: &str = "BC3736A2F4F6779C59BDCEE36B692153D0A9877CC62A474002DF32E52139F0A0";
// Intermediate values printed in the standard's example.
const Z_A: &str = "B2E14C5C79C6DF5B85F4FE7ED8DB7A262B9DA7E07CCB0EA9F4747B8CCDA8A4F3";
const E: &str = "F0B43E94BA45ACCAACE692ED534382EB17E6AB5A19CE7B31F4486FDFC0D28640";

fn fixture(name: &str) -> String {
    std::fs::read_to_string(format!(
        "{}/tests/fixtures/{name}",
        env!("CARGO_MANIFEST_DIR")
    ))
    .unwrap()
}

fn pem_body_der(pem: &str) -> Vec<u8> {
    let body: String = pem.lines().filter(|l| !l.starts_with("-----")).collect();
    base64::engine::general_purpose::STANDARD
        .decode(body)
        .unwrap()
}

fn b64(bytes: &[u8]) -> String {
    base64::engine::general_purpose::STANDARD.encode(bytes)
}

fn raw_rs_b64() -> String {
    b64(&hex::decode(format!("{R}{S}")).unwrap())
}

/// Every public-key text form the loader accepts, built from the published numbers.
fn public_key_forms() -> Vec<(&'static str, String)> {
    let spki_der = hex::decode(SPKI_HEX).unwrap();
    let spki_pem = format!(
        "-----BEGIN PUBLIC KEY-----\n{}\n-----END PUBLIC KEY-----\n",
        b64(&spki_der)
    );
    let cert_pem = fixture("gmt-vector-cert.pem");
    vec![
        ("hex 04||X||Y", format!("04{X_A}{Y_A}")),
        (
            "lower-case hex 04||X||Y",
            format!("04{X_A}{Y_A}").to_lowercase(),
        ),
        ("hex X||Y", format!("{X_A}{Y_A}")),
        ("hex SPKI", SPKI_HEX.to_owned()),
        ("Base64 SPKI", b64(&spki_der)),
        ("PEM SPKI", spki_pem),
        // Some encoders name the SM2 OID as the algorithm itself, without id-ecPublicKey.
        (
            "hex SPKI with the SM2 OID as algorithm",
            format!("3050300a06082a811ccf5501822d0342000404{X_A}{Y_A}")
                .replacen("000404", "0004", 1),
        ),
        ("PEM X.509 certificate", cert_pem.clone()),
        ("Base64 DER certificate", b64(&pem_body_der(&cert_pem))),
        ("hex DER certificate", hex::encode(pem_body_der(&cert_pem))),
    ]
}

#[test]
fn published_signature_verifies_with_every_public_key_form() {
    for (form, text) in public_key_forms() {
        let key = PublicKey::from_text(&text).unwrap_or_else(|e| panic!("{form}: {e}"));
        assert_eq!(key.algorithm(), KeyAlgorithm::Sm2, "{form}");
        assert_eq!(
            key.to_sm2_point_hex().unwrap(),
            format!("04{X_A}{Y_A}"),
            "{form}"
        );
        key.verify(MSG, SIG_DER_B64)
            .unwrap_or_else(|e| panic!("{form} DER: {e}"));
        key.verify(MSG, &raw_rs_b64())
            .unwrap_or_else(|e| panic!("{form} raw r||s: {e}"));
        assert_eq!(
            key.verify(b"message digesT", SIG_DER_B64),
            Err(VerifyError::Mismatch),
            "{form}"
        );
    }
}

#[test]
fn the_der_signature_is_r_and_s() {
    let der = base64::engine::general_purpose::STANDARD
        .decode(SIG_DER_B64)
        .unwrap();
    let sig = sm2::dsa::Signature::from_der(&der).unwrap();
    assert_eq!(hex::encode_upper(sig.r_bytes()), R);
    assert_eq!(hex::encode_upper(sig.s_bytes()), S);
}

/// Every private-key text form, from the OpenSSL-made fixtures and the published scalar.
fn private_key_forms() -> Vec<(&'static str, String)> {
    let pkcs8_pem = fixture("gmt-vector-private.pem");
    let pkcs8_der = pem_body_der(&pkcs8_pem);
    vec![
        ("hex scalar", D_A.to_owned()),
        ("PEM PKCS#8", pkcs8_pem.clone()),
        ("hex PKCS#8", hex::encode_upper(&pkcs8_der)),
        ("Base64 PKCS#8", b64(&pkcs8_der)),
        ("PEM SEC1", fixture("gmt-vector-sec1.pem")),
    ]
}

#[test]
fn every_private_key_form_signs_for_the_published_public_key() {
    let public = PublicKey::from_text(&format!("04{X_A}{Y_A}")).unwrap();
    for (form, text) in private_key_forms() {
        let key = PrivateKey::from_text(&text).unwrap_or_else(|e| panic!("{form}: {e}"));
        assert_eq!(key.public_key(), public, "{form}");
        let sig = key.sign(MSG).unwrap();
        assert!(sig.starts_with("ME"), "{form}: DER SEQUENCE in Base64");
        public
            .verify(MSG, &sig)
            .unwrap_or_else(|e| panic!("{form}: {e}"));
        // Hedged nonce: signing twice gives two different valid signatures.
        assert_ne!(sig, key.sign(MSG).unwrap(), "{form}");
    }
}

fn scalar(hex_text: &str) -> Scalar {
    let bytes = FieldBytes::try_from(hex::decode(hex_text).unwrap().as_slice()).unwrap();
    Scalar::from_repr(bytes).unwrap()
}

/// The crate draws k itself (hedged RFC 6979) and offers no fixed-k signing, so the example's
/// signature is reproduced step by step (A1-A7) with the crate's own curve arithmetic, checking
/// Z_A and e against the standard's intermediate values on the way.
#[test]
fn fixed_k_signature_is_reproduced() {
    let mut z_input = vec![0x00, 0x80];
    z_input.extend_from_slice(ID.as_bytes());
    for part in [CURVE_A, CURVE_B, G_X, G_Y, X_A, Y_A] {
        z_input.extend_from_slice(&hex::decode(part).unwrap());
    }
    let z = paysign_crypto::sm3_digest(&z_input);
    assert_eq!(hex::encode_upper(z), Z_A);

    let mut m = z.to_vec();
    m.extend_from_slice(MSG);
    let e_bytes = paysign_crypto::sm3_digest(&m);
    assert_eq!(hex::encode_upper(e_bytes), E);

    let e = <Scalar as Reduce<FieldBytes>>::reduce(&FieldBytes::from(e_bytes));
    let (d, k) = (scalar(D_A), scalar(K));
    let x1 = (ProjectivePoint::GENERATOR * k).to_affine().x();
    let r = e + <Scalar as Reduce<FieldBytes>>::reduce(&x1);
    let s = (Scalar::ONE + d).invert().unwrap() * (k - r * d);
    assert_eq!(hex::encode_upper(r.to_repr()), R);
    assert_eq!(hex::encode_upper(s.to_repr()), S);
}

#[test]
fn another_distinguishing_id_does_not_verify() {
    let key = PublicKey::from_text(SPKI_HEX).unwrap();
    assert_eq!(
        key.verify_sm2_with_distid(MSG, SIG_DER_B64, "ALICE123@YAHOO.COM"),
        Err(VerifyError::Mismatch)
    );
    key.verify_sm2_with_distid(MSG, SIG_DER_B64, ID).unwrap();
}
