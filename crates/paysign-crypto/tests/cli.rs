#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]
//! The `paysign-crypto` command as a merchant engineer runs it: a notification signed by
//! `openssl` over its canonical string passes `verify`; any changed, added or removed field fails
//! with exit 1 and a one-line reason; key and usage errors exit 2.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

use base64::Engine as _;

const NOTIFY: &str = r#"{"callbackId":"124070308575300049145189001","callbackTime":"2023-03-29 09:29:14","currency":"CNY","dataType":"plain","finishTime":"2023-02-23T10:02:04.000+0800","mercOrderNo":"czl00120240705001","appId":"5765880207853001","mercNo":"1013212001","orderStatus":"TRX_SUCCESS","payerAmount":9900,"payload":"example-payload","paymentTools":"AGMT","promotionAmount":100,"signType":"SM2","certNo":"120291744647139001","sysTransOrderNo":"12407030857530004914518001","totalAmount":10000,"payer":{"openId":"MDFAMTAwMDAwMDAx"},"promotionDetail":[{"promotionId":"P1","amount":100}]}"#;

fn bin() -> Command {
    Command::new(env!("CARGO_BIN_EXE_paysign-crypto"))
}

fn run(args: &[&str], stdin: Option<&str>) -> Output {
    let mut child = bin()
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    {
        let mut input = child.stdin.take().unwrap();
        if let Some(text) = stdin {
            // A command that fails before reading its input closes the pipe: not an error here.
            let _ = input.write_all(text.as_bytes());
        }
    }
    child.wait_with_output().unwrap()
}

fn stdout(out: &Output) -> String {
    String::from_utf8(out.stdout.clone()).unwrap()
}

fn stderr(out: &Output) -> String {
    String::from_utf8(out.stderr.clone()).unwrap()
}

fn p(path: &Path) -> &str {
    path.to_str().unwrap()
}

fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures")
        .join(name)
}

fn openssl(args: &[&str]) {
    let out = Command::new("openssl")
        .args(args)
        .output()
        .expect("openssl (OpenSSL 3) is needed; run scripts/setup.sh");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// A notification signed the way Payment Kit does it, but by `openssl`: SM2 over the canonical
/// string printed by our CLI, default distinguishing ID, DER signature in Base64.
fn openssl_signed_notification(dir: &Path) -> (String, PathBuf) {
    let private = dir.join("hw.pem");
    let public = dir.join("hw-pub.pem");
    openssl(&["genpkey", "-algorithm", "SM2", "-out", p(&private)]);
    openssl(&["pkey", "-in", p(&private), "-pubout", "-out", p(&public)]);
    let body_file = dir.join("notify.json");
    std::fs::write(&body_file, NOTIFY).unwrap();
    let canonical = run(&["canonical", p(&body_file)], None);
    assert_eq!(canonical.status.code(), Some(0), "{}", stderr(&canonical));
    let message = dir.join("canonical.txt");
    // The printed line ends in a newline that is not part of the string.
    std::fs::write(&message, stdout(&canonical).trim_end_matches('\n')).unwrap();
    let sig = dir.join("sig.der");
    openssl(&[
        "dgst",
        "-sm3",
        "-sign",
        p(&private),
        "-sigopt",
        "distid:1234567812345678",
        "-out",
        p(&sig),
        p(&message),
    ]);
    let sig_b64 = base64::engine::general_purpose::STANDARD.encode(std::fs::read(&sig).unwrap());
    let body = format!(
        "{},\"sign\":\"{sig_b64}\"}}",
        NOTIFY.strip_suffix('}').unwrap()
    );
    (body, public)
}

#[test]
fn openssl_signed_notification_passes_and_any_change_fails() {
    let dir = tempfile::tempdir().unwrap();
    let (body, public) = openssl_signed_notification(dir.path());

    let ok = run(&["verify", "--public-key", p(&public), "-"], Some(&body));
    assert_eq!(ok.status.code(), Some(0), "{}", stderr(&ok));
    assert_eq!(stdout(&ok), "valid: SM2 signature matches\n");

    // The key as text, in the hex form Huawei's Go sample uses.
    let pem = std::fs::read_to_string(&public).unwrap();
    let hex_key = paysign_crypto::PublicKey::from_text(&pem)
        .unwrap()
        .to_sm2_point_hex()
        .unwrap();
    let ok_hex = run(&["verify", "--public-key", &hex_key], Some(&body));
    assert_eq!(ok_hex.status.code(), Some(0), "{}", stderr(&ok_hex));

    let parsed: std::collections::BTreeMap<String, Box<serde_json::value::RawValue>> =
        serde_json::from_str(NOTIFY).unwrap();
    let mut variants = vec![body.replacen('{', "{\"newField\":\"x\",", 1)];
    for (key, value) in &parsed {
        let raw = value.get();
        let member = format!("\"{key}\":{raw}");
        assert!(body.contains(&member), "{member}");
        // Removed.
        variants.push(body.replace(&format!("{member},"), ""));
        // Changed: a string or number gets one more character, a nested value a changed string.
        let changed = match raw.as_bytes()[0] {
            b'"' => format!("\"{key}\":{}0\"", raw.strip_suffix('"').unwrap()),
            b'{' | b'[' => format!("\"{key}\":{}", raw.replacen("\":\"", "\":\"X", 1)),
            _ => format!("\"{key}\":{raw}1"),
        };
        assert_ne!(changed, member);
        variants.push(body.replace(&member, &changed));
    }
    assert_eq!(variants.len(), 1 + 2 * parsed.len());
    for variant in variants {
        assert_ne!(variant, body);
        let out = run(&["verify", "--public-key", p(&public)], Some(&variant));
        assert_eq!(out.status.code(), Some(1), "{variant}");
        let reason = stderr(&out);
        assert!(reason.starts_with("invalid: "), "{reason}");
        assert_eq!(reason.lines().count(), 1, "{reason}");
    }
}

#[test]
fn canonical_reads_a_file_or_stdin_and_get_uris() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("b.json");
    std::fs::write(&file, r#"{"b":"2","sign":"x","a":1}"#).unwrap();
    assert_eq!(stdout(&run(&["canonical", p(&file)], None)), "a=1&b=2\n");
    assert_eq!(
        stdout(&run(&["canonical"], Some(r#"{"z":[{"y":1},{"y":2}]}"#))),
        "z=y=1,y=2\n"
    );
    assert_eq!(
        stdout(&run(
            &["canonical", "--get", "https://h.example/api/v2/x?mercNo=1"],
            None
        )),
        "/api/v2/x?mercNo=1\n"
    );
    let bad = run(&["canonical"], Some("{\"a\":"));
    assert_eq!(bad.status.code(), Some(2));
    assert!(stderr(&bad).starts_with("error: the body is not valid JSON"));
}

#[test]
fn sign_then_verify_with_generated_keys() {
    let dir = tempfile::tempdir().unwrap();
    let out_dir = dir.path().join("keys");
    let gen = run(&["keygen", "--sm2", "--out", p(&out_dir)], None);
    assert_eq!(gen.status.code(), Some(0), "{}", stderr(&gen));
    for name in [
        "sm2-private.pem",
        "sm2-private.pkcs8.b64",
        "sm2-public.pem",
        "sm2-public.hex",
    ] {
        assert!(out_dir.join(name).is_file(), "{name}");
    }
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(out_dir.join("sm2-private.pem"))
            .unwrap()
            .permissions()
            .mode();
        assert_eq!(mode & 0o077, 0, "private key readable by others: {mode:o}");
    }
    // Never replaces an existing key.
    let again = run(&["keygen", "--sm2", "--out", p(&out_dir)], None);
    assert_eq!(again.status.code(), Some(2));
    assert!(stderr(&again).contains("already exists"));

    let private = out_dir.join("sm2-private.pkcs8.b64");
    let signed = run(&["sign", "--private-key", p(&private)], Some(NOTIFY));
    assert_eq!(signed.status.code(), Some(0), "{}", stderr(&signed));
    let signed_body = stdout(&signed);
    for public in ["sm2-public.pem", "sm2-public.hex"] {
        let ok = run(
            &["verify", "--public-key", p(&out_dir.join(public))],
            Some(&signed_body),
        );
        assert_eq!(ok.status.code(), Some(0), "{public}: {}", stderr(&ok));
    }
    // OpenSSL accepts the generated public key file.
    openssl(&[
        "pkey",
        "-pubin",
        "-in",
        p(&out_dir.join("sm2-public.pem")),
        "-noout",
    ]);
    // --rsa with an SM2 key is a usage error.
    let wrong = run(
        &["sign", "--private-key", p(&private), "--rsa"],
        Some(NOTIFY),
    );
    assert_eq!(wrong.status.code(), Some(2));
}

#[test]
fn rsa_sign_needs_the_rsa_flag() {
    let key = fixture("rsa3072-private.pem");
    let refused = run(&["sign", "--private-key", p(&key)], Some(NOTIFY));
    assert_eq!(refused.status.code(), Some(2));
    assert!(stderr(&refused).contains("--rsa"));
    let signed = run(&["sign", "--private-key", p(&key), "--rsa"], Some(NOTIFY));
    assert_eq!(signed.status.code(), Some(0), "{}", stderr(&signed));
    let public = fixture("rsa3072-public.pem");
    let ok = run(
        &["verify", "--public-key", p(&public)],
        Some(&stdout(&signed)),
    );
    assert_eq!(stdout(&ok), "valid: RSA-PSS signature matches\n");
}

#[test]
fn key_and_usage_errors_exit_2_with_a_reason() {
    let body = r#"{"a":"1","sign":"MEUC"}"#;
    let cases: Vec<Vec<String>> = vec![
        vec![
            "verify".into(),
            "--public-key".into(),
            "missing-key.pem".into(),
        ],
        vec![
            "verify".into(),
            "--public-key".into(),
            "zzzz not a key".into(),
        ],
        vec![
            "verify".into(),
            "--public-key".into(),
            p(&fixture("sm2-other-private.pem")).into(),
        ],
        vec![
            "verify".into(),
            "--public-key".into(),
            p(&fixture("p256-public.pem")).into(),
        ],
        vec![
            "sign".into(),
            "--private-key".into(),
            p(&fixture("sm2-other-public.pem")).into(),
        ],
        vec!["verify".into()],
        vec!["keygen".into(), "--out".into(), "x".into()],
        vec![
            "keygen".into(),
            "--sm2".into(),
            "--rsa".into(),
            "--out".into(),
            "x".into(),
        ],
    ];
    for args in cases {
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        let out = run(&args, Some(body));
        assert_eq!(out.status.code(), Some(2), "{args:?}: {}", stderr(&out));
        assert!(!stderr(&out).is_empty());
    }
    let missing = run(&["verify", "--public-key", "missing-key.pem"], Some(body));
    assert_eq!(
        stderr(&missing),
        "error: key file missing-key.pem does not exist\n"
    );
    let not_a_file = run(&["verify", "--public-key", "keys/huawei"], Some(body));
    assert_eq!(
        stderr(&not_a_file),
        "error: KEY is neither an existing file nor key text: the key text is not PEM, hex or Base64\n"
    );
    // A broken private key given as text is never echoed back.
    let pem = std::fs::read_to_string(fixture("sm2-other-private.pem")).unwrap();
    let b64: String = pem.lines().filter(|l| !l.starts_with("-----")).collect();
    let broken = &b64[..b64.len() - 4];
    let out = run(&["sign", "--private-key", broken], Some(body));
    assert_eq!(out.status.code(), Some(2));
    assert!(!stderr(&out).contains(&broken[8..40]), "{}", stderr(&out));
    let private = run(
        &[
            "verify",
            "--public-key",
            p(&fixture("sm2-other-private.pem")),
        ],
        Some(body),
    );
    assert!(stderr(&private).contains("a public key (or certificate) is expected"));
}

#[test]
fn a_body_without_sign_is_invalid_not_a_crash() {
    let key = fixture("sm2-other-public.pem");
    let out = run(&["verify", "--public-key", p(&key)], Some(r#"{"a":"1"}"#));
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(stderr(&out), "invalid: the body has no \"sign\" field\n");
}
