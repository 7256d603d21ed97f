#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]
//! Interop with the OpenSSL 3 command line, both ways: bodies signed by `openssl` over their
//! canonical string verify here, and our signatures verify with `openssl`.
//! OpenSSL is the independent peer, so these tests fail (not skip) when it is missing;
//! `scripts/setup.sh` installs it.

use std::path::{Path, PathBuf};
use std::process::Command;

use base64::Engine as _;
use paysign_crypto::{canonical_json, sign_body, verify_body, PrivateKey, PublicKey};

const DISTID: &str = "distid:1234567812345678";
const PSS: [&str; 6] = [
    "-sigopt",
    "rsa_padding_mode:pss",
    "-sigopt",
    "rsa_pss_saltlen:32",
    "-sigopt",
    "rsa_mgf1_md:sha256",
];

/// A payment notification as Payment Kit sends it (spec §5.2), with a nested payer and a list.
pub const NOTIFY: &str = r#"{"callbackId":"124070308575300049145189001","callbackTime":"2023-03-29 09:29:14","currency":"CNY","dataType":"plain","finishTime":"2023-02-23T10:02:04.000+0800","mercOrderNo":"czl00120240705001","appId":"5765880207853001","mercNo":"1013212001","orderStatus":"TRX_SUCCESS","payerAmount":9900,"payload":"example-payload","paymentTools":"AGMT","promotionAmount":100,"signType":"SM2","certNo":"120291744647139001","sysTransOrderNo":"12407030857530004914518001","totalAmount":10000,"payer":{"openId":"MDFAMTAwMDAwMDAx"},"promotionDetail":[{"promotionId":"P1","amount":100}]}"#;

fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures")
        .join(name)
}

fn openssl(args: &[&str]) -> std::process::Output {
    let out = Command::new("openssl").args(args).output().expect(
        "the openssl command (OpenSSL 3) is needed by the interop tests; run scripts/setup.sh",
    );
    out
}

fn openssl_ok(args: &[&str]) {
    let out = openssl(args);
    assert!(
        out.status.success(),
        "openssl {args:?} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

fn p(path: &Path) -> &str {
    path.to_str().unwrap()
}

/// `openssl dgst` signature over `message` as Base64.
fn openssl_sign(dir: &Path, key: &Path, message: &str, extra: &[&str]) -> String {
    let msg = dir.join("msg");
    let sig = dir.join("sig");
    std::fs::write(&msg, message).unwrap();
    let mut args = vec!["dgst", "-sign", p(key), "-out", p(&sig)];
    args.extend_from_slice(extra);
    args.push(p(&msg));
    openssl_ok(&args);
    base64::engine::general_purpose::STANDARD.encode(std::fs::read(&sig).unwrap())
}

/// Whether `openssl dgst -verify` accepts a Base64 signature over `message`.
fn openssl_verifies(
    dir: &Path,
    public: &Path,
    message: &str,
    sig_b64: &str,
    extra: &[&str],
) -> bool {
    let msg = dir.join("vmsg");
    let sig = dir.join("vsig");
    std::fs::write(&msg, message).unwrap();
    std::fs::write(
        &sig,
        base64::engine::general_purpose::STANDARD
            .decode(sig_b64)
            .unwrap(),
    )
    .unwrap();
    let mut args = vec!["dgst", "-verify", p(public), "-signature", p(&sig)];
    args.extend_from_slice(extra);
    args.push(p(&msg));
    let out = openssl(&args);
    let stdout = String::from_utf8_lossy(&out.stdout);
    out.status.success() && stdout.contains("Verified OK")
}

fn with_sign(body: &str, sig: &str) -> String {
    let trimmed = body.trim_end().strip_suffix('}').unwrap();
    format!("{trimmed},\"sign\":\"{sig}\"}}")
}

fn sm2_pair(dir: &Path) -> (PathBuf, PathBuf) {
    let private = dir.join("sm2.pem");
    let public = dir.join("sm2-pub.pem");
    openssl_ok(&["genpkey", "-algorithm", "SM2", "-out", p(&private)]);
    openssl_ok(&["pkey", "-in", p(&private), "-pubout", "-out", p(&public)]);
    (private, public)
}

#[test]
fn openssl_sm2_signed_notification_verifies_here() {
    let dir = tempfile::tempdir().unwrap();
    let (private, public) = sm2_pair(dir.path());
    let canonical = canonical_json(NOTIFY).unwrap();
    let sig = openssl_sign(
        dir.path(),
        &private,
        &canonical,
        &["-sm3", "-sigopt", DISTID],
    );
    let body = with_sign(NOTIFY, &sig);

    let key = PublicKey::from_text(&std::fs::read_to_string(&public).unwrap()).unwrap();
    verify_body(&body, &key).unwrap();
    // The same key as the bare hex point Huawei's Go sample uses.
    let hex_key = PublicKey::from_text(&key.to_sm2_point_hex().unwrap()).unwrap();
    verify_body(&body, &hex_key).unwrap();

    // Changing any value, adding a field or removing one breaks it.
    let changed = body.replace("\"totalAmount\":10000", "\"totalAmount\":1000");
    assert!(verify_body(&changed, &key).is_err());
    let added = body.replacen('{', "{\"extra\":\"\",", 1);
    assert!(verify_body(&added, &key).is_err());
    let removed = body.replace("\"payload\":\"example-payload\",", "");
    assert!(verify_body(&removed, &key).is_err());
}

#[test]
fn openssl_sm2_with_another_distid_is_rejected_under_the_default() {
    let dir = tempfile::tempdir().unwrap();
    let (private, public) = sm2_pair(dir.path());
    let message = canonical_json(NOTIFY).unwrap();
    let sig = openssl_sign(
        dir.path(),
        &private,
        &message,
        &["-sm3", "-sigopt", "distid:ALICE123@YAHOO.COM"],
    );
    let key = PublicKey::from_text(&std::fs::read_to_string(&public).unwrap()).unwrap();
    assert!(key.verify(message.as_bytes(), &sig).is_err());
    key.verify_sm2_with_distid(message.as_bytes(), &sig, "ALICE123@YAHOO.COM")
        .unwrap();
}

#[test]
fn our_sm2_signatures_verify_with_openssl() {
    let dir = tempfile::tempdir().unwrap();
    // An OpenSSL-made key loaded here, and a key made here loaded into OpenSSL.
    let (private, public) = sm2_pair(dir.path());
    let theirs = PrivateKey::from_text(&std::fs::read_to_string(&private).unwrap()).unwrap();
    let ours = PrivateKey::generate_sm2().unwrap();
    let ours_private = dir.path().join("ours.pem");
    let ours_public = dir.path().join("ours-pub.pem");
    std::fs::write(&ours_private, ours.to_pkcs8_pem().as_bytes()).unwrap();
    std::fs::write(&ours_public, ours.public_key().to_spki_pem()).unwrap();
    // OpenSSL reads our PKCS#8 and derives the same public key.
    let derived = dir.path().join("derived-pub.pem");
    openssl_ok(&[
        "pkey",
        "-in",
        p(&ours_private),
        "-pubout",
        "-out",
        p(&derived),
    ]);
    assert_eq!(
        std::fs::read_to_string(&derived).unwrap(),
        ours.public_key().to_spki_pem()
    );

    for (key, public) in [(&theirs, &public), (&ours, &ours_public)] {
        let signed = sign_body(NOTIFY, key).unwrap();
        let sig = paysign_crypto::body_signature(&signed).unwrap();
        let canonical = canonical_json(&signed).unwrap();
        assert!(openssl_verifies(
            dir.path(),
            public,
            &canonical,
            &sig,
            &["-sm3", "-sigopt", DISTID]
        ));
        assert!(!openssl_verifies(
            dir.path(),
            public,
            &canonical.replace("TRX_SUCCESS", "TRX_FAILED"),
            &sig,
            &["-sm3", "-sigopt", DISTID]
        ));
    }
}

#[test]
fn openssl_rsa_pss_signature_verifies_here() {
    let dir = tempfile::tempdir().unwrap();
    let canonical = canonical_json(NOTIFY).unwrap();
    let mut extra = vec!["-sha256"];
    extra.extend_from_slice(&PSS);
    let sig = openssl_sign(
        dir.path(),
        &fixture("rsa3072-private.pem"),
        &canonical,
        &extra,
    );
    let body = with_sign(NOTIFY, &sig);
    let key =
        PublicKey::from_text(&std::fs::read_to_string(fixture("rsa3072-public.pem")).unwrap())
            .unwrap();
    verify_body(&body, &key).unwrap();
    let other = PublicKey::from_text(
        &std::fs::read_to_string(fixture("rsa3072-other-public.pem")).unwrap(),
    )
    .unwrap();
    assert!(verify_body(&body, &other).is_err());
    assert!(verify_body(&body.replace("CNY", "USD"), &key).is_err());
}

#[test]
fn our_rsa_pss_signatures_verify_with_openssl() {
    let dir = tempfile::tempdir().unwrap();
    let key =
        PrivateKey::from_text(&std::fs::read_to_string(fixture("rsa3072-private.pem")).unwrap())
            .unwrap();
    let signed = sign_body(NOTIFY, &key).unwrap();
    let sig = paysign_crypto::body_signature(&signed).unwrap();
    let canonical = canonical_json(&signed).unwrap();
    let mut extra = vec!["-sha256"];
    extra.extend_from_slice(&PSS);
    assert!(openssl_verifies(
        dir.path(),
        &fixture("rsa3072-public.pem"),
        &canonical,
        &sig,
        &extra
    ));
    assert!(!openssl_verifies(
        dir.path(),
        &fixture("rsa3072-other-public.pem"),
        &canonical,
        &sig,
        &extra
    ));
    // Our SPKI export is byte-identical to OpenSSL's for the same key.
    assert_eq!(
        key.public_key().to_spki_pem(),
        std::fs::read_to_string(fixture("rsa3072-public.pem")).unwrap()
    );
}

#[test]
fn rsassa_pss_keys_from_openssl_load_and_interoperate() {
    // `openssl genpkey -algorithm RSA-PSS` labels keys with the id-RSASSA-PSS OID.
    let dir = tempfile::tempdir().unwrap();
    let private = dir.path().join("pss.pem");
    let public = dir.path().join("pss-pub.pem");
    openssl_ok(&[
        "genpkey",
        "-algorithm",
        "RSA-PSS",
        "-pkeyopt",
        "rsa_keygen_bits:2048",
        "-out",
        p(&private),
    ]);
    openssl_ok(&["pkey", "-in", p(&private), "-pubout", "-out", p(&public)]);
    let key = PrivateKey::from_text(&std::fs::read_to_string(&private).unwrap()).unwrap();
    assert_eq!(key.algorithm(), paysign_crypto::KeyAlgorithm::RsaPss);
    let verifier = PublicKey::from_text(&std::fs::read_to_string(&public).unwrap()).unwrap();
    let canonical = canonical_json(NOTIFY).unwrap();
    let sig = key.sign(canonical.as_bytes()).unwrap();
    verifier.verify(canonical.as_bytes(), &sig).unwrap();
    let mut extra = vec!["-sha256"];
    extra.extend_from_slice(&PSS);
    assert!(openssl_verifies(
        dir.path(),
        &public,
        &canonical,
        &sig,
        &extra
    ));
}
