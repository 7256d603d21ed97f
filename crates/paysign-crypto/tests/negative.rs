#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]
//! Everything that must be rejected is rejected with a typed error, and nothing panics:
//! flipped bits, other keys, other IDs, bad Base64 and DER, out-of-range r and s, bad keys.

use std::path::Path;

use base64::Engine as _;
use paysign_crypto::{
    sign_body, verify_body, CryptoError, KeyAlgorithm, KeyError, PrivateKey, PublicKey, VerifyError,
};

const BODY: &str = r#"{"mercNo":"1013212001","mercOrderNo":"czl00120240705001","totalAmount":10000,"currency":"CNY","payer":{"openId":"MDFA"},"subOrders":[{"a":"1"},{"a":"2"}],"tradeSummary":"杂志"}"#;
/// The SM2 group order n.
const N: &str = "FFFFFFFEFFFFFFFFFFFFFFFFFFFFFFFF7203DF6B21C6052B53BBF40939D54123";

fn fixture(name: &str) -> String {
    std::fs::read_to_string(
        Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("tests/fixtures")
            .join(name),
    )
    .unwrap()
}

fn b64(bytes: &[u8]) -> String {
    base64::engine::general_purpose::STANDARD.encode(bytes)
}

fn unb64(text: &str) -> Vec<u8> {
    base64::engine::general_purpose::STANDARD
        .decode(text)
        .unwrap()
}

fn rsa_key() -> PrivateKey {
    PrivateKey::from_text(&fixture("rsa3072-private.pem")).unwrap()
}

#[test]
fn every_flipped_bit_of_the_message_is_rejected() {
    for key in [PrivateKey::generate_sm2().unwrap(), rsa_key()] {
        let public = key.public_key();
        let message = paysign_crypto::canonical_json(BODY).unwrap().into_bytes();
        let sig = key.sign(&message).unwrap();
        public.verify(&message, &sig).unwrap();
        // RSA verification is slower in a debug build: every 7th bit there, every bit for SM2.
        let step = if key.algorithm() == KeyAlgorithm::Sm2 {
            1
        } else {
            7
        };
        for bit in (0..message.len() * 8).step_by(step) {
            let mut flipped = message.clone();
            flipped[bit / 8] ^= 1 << (bit % 8);
            assert_eq!(
                public.verify(&flipped, &sig),
                Err(VerifyError::Mismatch),
                "{:?} bit {bit}",
                key.algorithm()
            );
        }
    }
}

#[test]
fn every_flipped_bit_of_the_signature_is_rejected_without_panic() {
    let message = b"amount=1&mercNo=1";
    for key in [PrivateKey::generate_sm2().unwrap(), rsa_key()] {
        let public = key.public_key();
        let sig = unb64(&key.sign(message).unwrap());
        for bit in 0..sig.len() * 8 {
            let mut flipped = sig.clone();
            flipped[bit / 8] ^= 1 << (bit % 8);
            assert!(
                public.verify(message, &b64(&flipped)).is_err(),
                "{:?} bit {bit}",
                key.algorithm()
            );
        }
    }
}

#[test]
fn a_flipped_bit_in_any_body_value_is_rejected() {
    let key = PrivateKey::generate_sm2().unwrap();
    let signed = sign_body(BODY, &key).unwrap();
    let sign_at = signed.find("\"sign\"").unwrap();
    let mut checked = 0;
    for (i, byte) in signed.bytes().enumerate() {
        // Flip the low bit of each ASCII letter or digit outside the sign member; the result stays
        // valid JSON text (or not: both must be rejected).
        if i >= sign_at || !byte.is_ascii_alphanumeric() {
            continue;
        }
        let mut bytes = signed.clone().into_bytes();
        bytes[i] ^= 1;
        let Ok(text) = String::from_utf8(bytes) else {
            continue;
        };
        assert!(verify_body(&text, &key.public_key()).is_err(), "byte {i}");
        checked += 1;
    }
    assert!(checked > 100);
}

#[test]
fn another_key_and_another_id_are_rejected() {
    let key = PrivateKey::generate_sm2().unwrap();
    let other = PublicKey::from_text(&fixture("sm2-other-public.pem")).unwrap();
    let sig = key.sign(b"m").unwrap();
    assert_eq!(other.verify(b"m", &sig), Err(VerifyError::Mismatch));
    let rsa = rsa_key().public_key();
    assert!(rsa.verify(b"m", &sig).is_err());
    let rsa_sig = rsa_key().sign(b"m").unwrap();
    assert!(key.public_key().verify(b"m", &rsa_sig).is_err());
    let other_id = key.sign_sm2_with_distid(b"m", "merchant-0001").unwrap();
    assert_eq!(
        key.public_key().verify(b"m", &other_id),
        Err(VerifyError::Mismatch)
    );
    key.public_key()
        .verify_sm2_with_distid(b"m", &other_id, "merchant-0001")
        .unwrap();
    assert_eq!(
        rsa.verify_sm2_with_distid(b"m", &rsa_sig, "x"),
        Err(VerifyError::DistIdForRsa)
    );
}

#[test]
fn bad_base64_is_rejected() {
    let key = PrivateKey::generate_sm2().unwrap().public_key();
    for bad in [
        "", "!!!!", "MEUC IQ", "====", "MEUCIQ-_", "MEUCIQ", "\u{6742}",
    ] {
        let result = key.verify(b"m", bad);
        assert!(
            matches!(
                result,
                Err(VerifyError::InvalidBase64 | VerifyError::MalformedSignature { .. })
            ),
            "{bad:?}: {result:?}"
        );
    }
    assert_eq!(key.verify(b"m", "!!!!"), Err(VerifyError::InvalidBase64));
}

#[test]
fn bad_der_is_rejected() {
    let key = PrivateKey::generate_sm2().unwrap();
    let public = key.public_key();
    let good = unb64(&key.sign(b"m").unwrap());
    let mut cases: Vec<Vec<u8>> = vec![
        vec![],
        vec![0x30],
        vec![0x30, 0x00],
        vec![0x30, 0x84, 0xff, 0xff, 0xff, 0xff],
        vec![0x31, 0x06, 0x02, 0x01, 0x01, 0x02, 0x01, 0x01],
        vec![0x30, 0x06, 0x02, 0x01, 0x01, 0x02, 0x01, 0x01, 0x00],
        vec![0x30, 0x03, 0x02, 0x01, 0x01],
        vec![0x04; 63],
        vec![0x04; 65],
    ];
    for cut in 1..good.len() {
        cases.push(good[..cut].to_vec());
    }
    let mut trailing = good.clone();
    trailing.push(0);
    cases.push(trailing);
    let mut long = good.clone();
    long[1] = long[1].wrapping_add(1);
    cases.push(long);
    for case in cases {
        assert!(public.verify(b"m", &b64(&case)).is_err(), "{case:02x?}");
    }
}

fn der_sig(r: &[u8], s: &[u8]) -> Vec<u8> {
    // Test-only DER builder: INTEGERs with a leading zero when the top bit is set.
    fn int(v: &[u8]) -> Vec<u8> {
        let mut body = v.to_vec();
        if body.first().is_some_and(|b| b & 0x80 != 0) {
            body.insert(0, 0);
        }
        let mut out = vec![0x02, body.len() as u8];
        out.extend(body);
        out
    }
    let mut inner = int(r);
    inner.extend(int(s));
    let mut out = vec![0x30, inner.len() as u8];
    out.extend(inner);
    out
}

#[test]
fn out_of_range_r_or_s_is_rejected() {
    let key = PrivateKey::generate_sm2().unwrap();
    let public = key.public_key();
    let good = unb64(&key.sign(b"m").unwrap());
    let sig = sm2::dsa::Signature::from_der(&good).unwrap();
    let (r, s) = (sig.r_bytes().to_vec(), sig.s_bytes().to_vec());
    let n = hex::decode(N).unwrap();
    let mut n_plus_1 = n.clone();
    *n_plus_1.last_mut().unwrap() += 1;
    let max = vec![0xff; 32];
    let zero = vec![0u8; 32];
    for bad in [&n, &n_plus_1, &max, &zero] {
        for (rr, ss) in [(bad, &s), (&r, bad)] {
            let der = der_sig(rr, ss);
            assert!(public.verify(b"m", &b64(&der)).is_err());
            let mut raw = rr.clone();
            raw.extend_from_slice(ss);
            assert_eq!(
                public.verify(b"m", &b64(&raw)),
                Err(VerifyError::ScalarOutOfRange)
            );
        }
    }
    // r + n (same residue) must not be accepted either.
    assert!(public
        .verify(b"m", &b64(&der_sig(&[&[1u8][..], &r].concat(), &s)))
        .is_err());
    // The unmodified pair passes through the same builder.
    public.verify(b"m", &b64(&der_sig(&r, &s))).unwrap();
}

#[test]
fn bad_key_text_gives_typed_errors() {
    let cases: Vec<(String, KeyError)> = vec![
        ("".into(), KeyError::Empty),
        ("   \n".into(), KeyError::Empty),
        ("not a key at all!".into(), KeyError::UnrecognizedEncoding),
        (
            fixture("p256-public.pem"),
            KeyError::UnsupportedCurve("1.2.840.10045.3.1.7".into()),
        ),
        (
            fixture("sm2-other-private.pem"),
            KeyError::PrivateKeyGivenForPublic,
        ),
        (
            "-----BEGIN CERTIFICATE REQUEST-----\nMIIB\n-----END CERTIFICATE REQUEST-----".into(),
            KeyError::UnsupportedPemLabel("CERTIFICATE REQUEST".into()),
        ),
        (
            "-----BEGIN PUBLIC KEY-----\nMIIB".into(),
            KeyError::InvalidPem("no END line for \"PUBLIC KEY\"".into()),
        ),
        (
            "-----BEGIN PUBLIC KEY-----\n!!!!\n-----END PUBLIC KEY-----".into(),
            KeyError::InvalidPem("the \"PUBLIC KEY\" block is not valid Base64".into()),
        ),
        (format!("04{}", "00".repeat(64)), KeyError::InvalidSm2Point),
        (format!("04{}", "11".repeat(64)), KeyError::InvalidSm2Point),
        (
            "0011".into(),
            KeyError::MalformedDer {
                len: 2,
                expected: "an SM2 point, SubjectPublicKeyInfo or X.509 certificate",
            },
        ),
    ];
    for (text, expected) in cases {
        assert_eq!(
            PublicKey::from_text(&text).unwrap_err(),
            expected,
            "{text:?}"
        );
    }
    let private_cases: Vec<(String, KeyError)> = vec![
        (
            fixture("p256-private.pem"),
            KeyError::UnsupportedCurve("1.2.840.10045.3.1.7".into()),
        ),
        (
            fixture("sm2-other-public.pem"),
            KeyError::PublicKeyGivenForPrivate,
        ),
        (
            fixture("gmt-vector-cert.pem"),
            KeyError::PublicKeyGivenForPrivate,
        ),
        ("00".repeat(32), KeyError::InvalidSm2Scalar),
        (N.into(), KeyError::InvalidSm2Scalar),
        (
            "-----BEGIN ENCRYPTED PRIVATE KEY-----\nMIIB\n-----END ENCRYPTED PRIVATE KEY-----"
                .into(),
            KeyError::EncryptedPrivateKey,
        ),
    ];
    for (text, expected) in private_cases {
        assert_eq!(
            PrivateKey::from_text(&text).unwrap_err(),
            expected,
            "{text:?}"
        );
    }
}

#[test]
fn key_errors_never_echo_key_material() {
    let secret_hex = "00".repeat(31) + "07";
    let pkcs8 = PrivateKey::from_text(&secret_hex)
        .unwrap()
        .to_pkcs8_base64();
    let truncated = &pkcs8[..pkcs8.len() - 8];
    let error = PrivateKey::from_text(truncated).unwrap_err().to_string();
    assert!(!error.contains(&truncated[..16]), "{error}");
}

#[test]
fn small_rsa_keys_are_refused() {
    assert_eq!(
        PrivateKey::generate_rsa(1024).unwrap_err(),
        KeyError::RsaKeySize {
            bits: 1024,
            min: 2048,
            max: 8192
        }
    );
}

#[test]
fn bodies_without_a_usable_sign_are_typed_errors() {
    let key = PrivateKey::generate_sm2().unwrap().public_key();
    assert_eq!(
        verify_body(r#"{"a":1}"#, &key),
        Err(CryptoError::MissingSign)
    );
    assert_eq!(
        verify_body(r#"{"a":1,"sign":12}"#, &key),
        Err(CryptoError::SignNotString)
    );
    assert_eq!(
        verify_body(r#"{"a":1,"sign":"@@"}"#, &key),
        Err(CryptoError::Verify(VerifyError::InvalidBase64))
    );
    assert!(matches!(
        verify_body("[]", &key),
        Err(CryptoError::Canonical(_))
    ));
}
