//! The `paysign-sandbox` binary: its help, its start-up line, its refusals, and state and key
//! kept across a restart with `--db` and `--key`.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

mod common;

use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Child, Command, Stdio};

use common::*;
use paysign_crypto::{PrivateKey, PublicKey};
use paysign_pas::auth::MerchantSigner;
use paysign_pas::client::{ClientConfig, PasClient};
use paysign_pas::endpoints::{MerchantModel as PasModel, PrepayChannel};
use paysign_pas::model::OrderStatus;
use paysign_sandbox::{MerchantModel, SandboxConfig};

const BIN: &str = env!("CARGO_BIN_EXE_paysign-sandbox");

/// A running sandbox process, killed when dropped.
struct Process {
    child: Child,
    /// Kept open: the sandbox writes more than the lines read here.
    _stdout: std::io::Lines<BufReader<std::process::ChildStdout>>,
    base_url: String,
    printed_key_hex: String,
}

impl Drop for Process {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn spawn(args: Vec<String>) -> Process {
    let mut child = Command::new(BIN)
        .args(["--listen", "127.0.0.1:0", "--quiet", "--no-callbacks"])
        .args(args)
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .unwrap();
    let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
    let first = lines.next().unwrap().unwrap();
    let base_url = first
        .strip_prefix("paysign-sandbox listening on ")
        .unwrap_or_else(|| panic!("unexpected first line {first:?}"))
        .to_owned();
    let second = lines.next().unwrap().unwrap();
    let printed_key_hex = second.rsplit(' ').next().unwrap().to_owned();
    Process {
        child,
        _stdout: lines,
        base_url,
        printed_key_hex,
    }
}

fn write_config(dir: &Path, key: &PrivateKey) -> String {
    let mut m = merchant(DIRECT, DIRECT_AUTH, MerchantModel::Direct, key);
    m.app_ids = vec![DIRECT_APP.to_owned()];
    m.plan_ids = vec![DIRECT_PLAN.to_owned()];
    let path = dir.join("sandbox.json");
    std::fs::write(
        &path,
        serde_json::to_string_pretty(&SandboxConfig { merchants: vec![m] }).unwrap(),
    )
    .unwrap();
    path.to_str().unwrap().to_owned()
}

#[test]
fn help_documents_the_options_the_operator_api_and_the_config_file() {
    let out = Command::new(BIN).arg("--help").output().unwrap();
    assert!(out.status.success());
    let text = String::from_utf8(out.stdout).unwrap();
    for needle in [
        "--listen",
        "--db",
        "--key",
        "--config",
        "--public-url",
        "--max-clock-skew-secs",
        "OPERATOR API",
        "/sandbox/orders/{mercNo}/{mercOrderNo}/pay",
        "/sandbox/faults",
        "/sandbox/cashier",
        "PAID_NETWORK_ERROR",
        "/sandbox/callbacks",
        "/sandbox/callback-faults",
        "--no-callbacks",
        "--callback-schedule-scale",
        "--callback-timeout-ms",
        "--loopback-callbacks-only",
        "CONFIG FILE",
        "subMerchants",
    ] {
        assert!(text.contains(needle), "--help lacks {needle}");
    }
}

#[test]
fn it_listens_on_loopback_only() {
    let out = Command::new(BIN)
        .args(["--listen", "0.0.0.0:0"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains("loopback"));
}

#[test]
fn the_start_up_lines_name_the_cashier_and_the_callback_schedule() {
    let mut child = Command::new(BIN)
        .args(["--listen", "127.0.0.1:0", "--quiet"])
        .args([
            "--callback-schedule-scale",
            "0.001",
            "--callback-timeout-ms",
            "1500",
        ])
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let mut lines = Vec::new();
    for line in BufReader::new(child.stdout.take().unwrap()).lines() {
        let line = line.unwrap();
        let last = line.starts_with("paysign-sandbox callbacks:");
        lines.push(line);
        if last {
            break;
        }
    }
    let _ = child.kill();
    let _ = child.wait();
    let base = lines[0]
        .strip_prefix("paysign-sandbox listening on ")
        .unwrap()
        .to_owned();
    let n = lines.len();
    assert_eq!(
        lines[n - 2],
        format!("paysign-sandbox cashier: POST {base}/sandbox/cashier")
    );
    assert_eq!(
        lines[n - 1],
        "paysign-sandbox callbacks: delivered, 36 attempts over 165460 ms, answer timeout 1500 ms"
    );
}

#[test]
fn a_negative_schedule_scale_is_refused() {
    let out = Command::new(BIN)
        .args(["--listen", "127.0.0.1:0", "--callback-schedule-scale=-1"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("--callback-schedule-scale"));
}

#[test]
fn a_bad_config_file_is_named_in_the_error() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("broken.json");
    std::fs::write(&path, r#"{"merchants":[{"mercNo":"1"}]}"#).unwrap();
    let out = Command::new(BIN)
        .args(["--config", path.to_str().unwrap()])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("broken.json"), "{err}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn state_and_key_survive_a_restart_with_db_and_key_files() {
    let dir = tempfile::tempdir().unwrap();
    let merchant_key = PrivateKey::generate_sm2().unwrap();
    let config = write_config(dir.path(), &merchant_key);
    let key_path = dir.path().join("sandbox-sm2.pem");
    std::fs::write(
        &key_path,
        PrivateKey::generate_sm2().unwrap().to_pkcs8_pem().as_str(),
    )
    .unwrap();
    let db_path = dir.path().join("sandbox.sqlite");
    let args: Vec<String> = vec![
        "--config".to_owned(),
        config,
        "--db".to_owned(),
        db_path.to_str().unwrap().to_owned(),
        "--key".to_owned(),
        key_path.to_str().unwrap().to_owned(),
    ];
    let again = args.clone();

    let first = tokio::task::spawn_blocking(move || spawn(args))
        .await
        .unwrap();
    let http = reqwest::Client::new();
    let served: serde_json::Value = http
        .get(format!("{}/sandbox/public-key", first.base_url))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(
        served["publicKeyHex"].as_str(),
        Some(first.printed_key_hex.as_str())
    );
    let sandbox_key = PublicKey::from_text(served["publicKeyPem"].as_str().unwrap()).unwrap();

    let client_for = |base_url: &str| {
        PasClient::new(ClientConfig::new(
            base_url,
            PasModel::Direct,
            MerchantSigner::new(DIRECT, DIRECT_AUTH, merchant_key.clone()),
            sandbox_key.clone(),
        ))
        .unwrap()
    };
    client_for(&first.base_url)
        .pas_prepay(&direct_prepay("P-1", 300), PrepayChannel::App)
        .await
        .unwrap();
    http.post(format!(
        "{}/sandbox/orders/{DIRECT}/P-1/pay",
        first.base_url
    ))
    .send()
    .await
    .unwrap()
    .error_for_status()
    .unwrap();
    drop(first);

    let second = tokio::task::spawn_blocking(move || spawn(again))
        .await
        .unwrap();
    // Same key (the client verifies answers with the first run's key), same order.
    let q = client_for(&second.base_url)
        .query_order("P-1")
        .await
        .unwrap();
    assert_eq!(
        (q.order_status, q.total_amount),
        (OrderStatus::Success, 300)
    );
}
