//! The server as an operator meets it: the binary's command line and start-up lines, SIGTERM,
//! secrets readable by others refused, HS256 app tokens, the admin token, probes and metrics,
//! the status call asking Payment Kit, the background worker. (Storage-independent: SQLite.)
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

mod common;

use std::io::{BufRead, BufReader};
use std::os::unix::fs::PermissionsExt;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use common::*;
use paysign_merchant::config::{Config, ConfigError};
use serde_json::json;

fn binary() -> Command {
    Command::new(env!("CARGO_BIN_EXE_paysign-merchant"))
}

/// The bench's config with an in-memory database, for the binary.
fn memory_config(bench: &Bench) -> std::path::PathBuf {
    let path = bench.dir.path().join("memory.toml");
    let text = config_text(&bench.sandbox.base_url(), "sqlite::memory:", "");
    std::fs::write(&path, text).unwrap();
    path
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_binary_announces_both_listeners_serves_and_stops_on_sigterm() {
    let bench = Bench::start(Backend::Sqlite).await;
    let config = memory_config(&bench);
    let mut child = binary()
        .args(["serve", "--config"])
        .arg(&config)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
    let first = lines.next().unwrap().unwrap();
    let second = lines.next().unwrap().unwrap();
    let public = first
        .strip_prefix("paysign-merchant listening on ")
        .unwrap_or_else(|| panic!("{first}"))
        .to_owned();
    let admin = second
        .strip_prefix("paysign-merchant admin on ")
        .unwrap_or_else(|| panic!("{second}"))
        .to_owned();
    assert!(public.starts_with("http://127.0.0.1:"), "{public}");
    assert!(admin.starts_with("http://127.0.0.1:"), "{admin}");
    assert_ne!(public, admin);

    let http = reqwest::Client::new();
    for base in [&public, &admin] {
        let r = http.get(format!("{base}/healthz")).send().await.unwrap();
        assert_eq!(r.status().as_u16(), 200);
        let r = http.get(format!("{base}/readyz")).send().await.unwrap();
        assert_eq!(r.status().as_u16(), 200);
    }
    // A real order through the binary, on its in-memory database.
    let r = http
        .post(format!("{public}/paysign/orders"))
        .header("X-Paysign-User", "alice")
        .header("Idempotency-Key", "bin-1")
        .json(&json!({"productId": "vip-month"}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 200);
    let no = r.json::<serde_json::Value>().await.unwrap()["mercOrderNo"]
        .as_str()
        .unwrap()
        .to_owned();
    // Its payment notification, then the app's read: the callback writer and the app's
    // requests share the in-memory database's one connection.
    bench.pay(&no).await;
    let body = bench.notification("ORDER_PAID", &no).await;
    let r = http
        .post(format!("{public}/paysign/callbacks/payment"))
        .header("Content-Type", "application/json; charset=UTF-8")
        .body(body)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 200);
    let asked = Instant::now();
    let r = http
        .get(format!("{public}/paysign/orders/{no}"))
        .header("X-Paysign-User", "alice")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 200, "{}", r.text().await.unwrap());
    assert_eq!(
        r.json::<serde_json::Value>().await.unwrap()["payment"],
        "PAID"
    );
    assert!(
        asked.elapsed() < Duration::from_secs(5),
        "{:?}",
        asked.elapsed()
    );
    let metrics = http
        .get(format!("{admin}/metrics"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        metrics.contains("paysign_merchant_orders_created_total 1"),
        "{metrics}"
    );
    assert!(
        metrics.contains("paysign_merchant_payment_kit_call_seconds"),
        "{metrics}"
    );
    // Operations are not on the public listener.
    let r = http
        .get(format!("{public}/admin/orders"))
        .bearer_auth(ADMIN_TOKEN)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 404);

    let pid = child.id().to_string();
    assert!(Command::new("kill")
        .args(["-TERM", &pid])
        .status()
        .unwrap()
        .success());
    let started = Instant::now();
    let status = loop {
        if let Some(s) = child.try_wait().unwrap() {
            break s;
        }
        assert!(
            started.elapsed() < Duration::from_secs(10),
            "no exit after SIGTERM"
        );
        std::thread::sleep(Duration::from_millis(50));
    };
    assert!(status.success(), "{status:?}");
    let mut stderr = String::new();
    std::io::Read::read_to_string(&mut child.stderr.take().unwrap(), &mut stderr).unwrap();
    assert!(stderr.contains("ANYONE CAN ACT AS ANY USER"), "{stderr}");
    // Secrets never reach the log.
    assert!(!stderr.contains(ADMIN_TOKEN));
    assert!(!stderr.contains("prepay"), "{stderr}");
    bench.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_secret_readable_by_others_is_refused() {
    let bench = Bench::start(Backend::Sqlite).await;
    let config = memory_config(&bench);
    let key = bench.dir.path().join("merchant-sm2.pem");
    std::fs::set_permissions(&key, std::fs::Permissions::from_mode(0o644)).unwrap();
    let out = binary()
        .args(["serve", "--config"])
        .arg(&config)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(out.stdout.is_empty());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("chmod 600"), "{stderr}");
    match Config::from_file(&config).unwrap().load() {
        Err(ConfigError::Exposed { mode, .. }) => assert_eq!(mode, 0o644),
        other => panic!("{other:?}"),
    }
    // The admin token too.
    std::fs::set_permissions(&key, std::fs::Permissions::from_mode(0o600)).unwrap();
    let token = bench.dir.path().join("admin.token");
    std::fs::set_permissions(&token, std::fs::Permissions::from_mode(0o640)).unwrap();
    assert!(matches!(
        Config::from_file(&config).unwrap().load(),
        Err(ConfigError::Exposed { .. })
    ));
    std::fs::set_permissions(&token, std::fs::Permissions::from_mode(0o600)).unwrap();
    let out = binary()
        .args(["check-config", "--config"])
        .arg(&config)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    bench.stop().await;
}

#[test]
fn the_configuration_is_checked_before_anything_starts() {
    let dir = std::path::Path::new(".");
    let good = config_text("http://127.0.0.1:8787", "sqlite::memory:", "");
    Config::parse(&good, dir, "merchant.toml").unwrap();
    let bad = |from: &str, to: &str| {
        let text = good.replacen(from, to, 1);
        assert_ne!(text, good, "{from}");
        match Config::parse(&text, dir, "merchant.toml") {
            Err(e) => e.to_string(),
            Ok(_) => panic!("accepted: {to}"),
        }
    };
    // Payment Kit calls back over https; plain http only to this machine (URL-parsed).
    assert!(bad("http://127.0.0.1:9", "http://merchant.example").contains("https"));
    assert!(
        bad("http://127.0.0.1:9", "http://localhost:1@evil.example/").contains("public_base_url")
    );
    assert!(bad("http://127.0.0.1:9", "http://127.0.0.1.evil.example").contains("https"));
    assert!(bad("amount_fen = 1500", "amount_fen = 0").contains("positive"));
    assert!(bad("model = \"DIRECT\"", "model = \"SP\"").contains("sub_merc_no"));
    assert!(bad("mode = \"dev\"", "mode = \"jwt\"").contains("hs256_secret_file"));
    assert!(bad("listen = ", "listn = ").contains("unknown field"));
    assert!(bad("id = \"vip-year\"", "id = \"vip-month\"").contains("twice"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn jwt_mode_takes_the_user_from_a_valid_hs256_token_only() {
    let secret = "an HS256 secret of at least thirty-two bytes!";
    let mut bench = Bench::start(Backend::Sqlite).await;
    let secret_path = bench.dir.path().join("jwt.secret");
    std::fs::write(&secret_path, secret).unwrap();
    std::fs::set_permissions(&secret_path, std::fs::Permissions::from_mode(0o600)).unwrap();
    let text = std::fs::read_to_string(bench.config_path())
        .unwrap()
        .replace(
            "mode = \"dev\"",
            "mode = \"jwt\"\nhs256_secret_file = \"jwt.secret\"",
        );
    std::fs::write(bench.config_path(), text).unwrap();
    let jwt = bench.add_server().await;
    let base = bench.servers[jwt].base_url();
    let token = |sub: &str, exp_offset: i64, key: &str| {
        let exp = paysign_merchant::time::now_ms() / 1000 + exp_offset;
        jsonwebtoken::encode(
            &jsonwebtoken::Header::new(jsonwebtoken::Algorithm::HS256),
            &json!({"sub": sub, "exp": exp}),
            &jsonwebtoken::EncodingKey::from_secret(key.as_bytes()).unwrap(),
        )
        .unwrap()
    };
    let create = |auth: Option<String>, user_header: bool| {
        let mut r = bench
            .http
            .post(format!("{base}/paysign/orders"))
            .header("Idempotency-Key", "jwt-1")
            .json(&json!({"productId": "vip-month"}));
        if let Some(t) = auth {
            r = r.bearer_auth(t);
        }
        if user_header {
            r = r.header("X-Paysign-User", "alice");
        }
        r.send()
    };
    let r = create(Some(token("alice", 600, secret)), false)
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 200);
    let ticket: serde_json::Value = r.json().await.unwrap();
    let no = ticket["mercOrderNo"].as_str().unwrap();
    for (auth, header) in [
        (None, true),
        (
            Some(token(
                "alice",
                600,
                "another secret of thirty-two bytes or more",
            )),
            false,
        ),
        (Some(token("alice", -3600, secret)), false),
        (Some("not.a.token".to_owned()), false),
    ] {
        let r = create(auth, header).await.unwrap();
        assert_eq!(r.status().as_u16(), 401);
        assert_eq!(r.headers()["www-authenticate"], "Bearer");
    }
    // The token's subject owns the order.
    let read = |sub: &str| {
        bench
            .http
            .get(format!("{base}/paysign/orders/{no}"))
            .bearer_auth(token(sub, 600, secret))
            .send()
    };
    assert_eq!(read("alice").await.unwrap().status().as_u16(), 200);
    assert_eq!(read("bob").await.unwrap().status().as_u16(), 404);
    bench.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn operations_need_the_admin_token() {
    let bench = Bench::start(Backend::Sqlite).await;
    let admin = bench.server().admin_url();
    for auth in [None, Some("wrong-token-0123456789"), Some("")] {
        let mut r = bench.http.get(format!("{admin}/admin/orders"));
        if let Some(t) = auth {
            r = r.bearer_auth(t);
        }
        assert_eq!(r.send().await.unwrap().status().as_u16(), 401);
    }
    let (status, orders) = bench.admin_get("/admin/orders").await;
    assert_eq!(status, 200);
    assert_eq!(orders, json!([]));
    bench.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_status_call_asks_payment_kit_when_nothing_came() {
    let extra = RECONCILE_BY_HAND.replace(
        "status_query_after_ms = 3600000",
        "status_query_after_ms = 0",
    );
    let bench = Bench::start_with(Backend::Sqlite, &extra).await;
    let (no, code) = bench.new_order("alice").await;
    bench.pay(&no).await;
    let contract_id = bench.sign(&code).await;
    let (_, s) = bench.status("alice", &no).await;
    assert_eq!(s["payment"], "PAID");
    assert_eq!(s["contract"], "SIGNED");
    assert_eq!(s["contractId"], contract_id.as_str());
    // Another user's poll never triggers a query about this order.
    let before = bench
        .server()
        .state
        .metrics
        .payment_kit_calls("query_order", "ok");
    assert_eq!(bench.status("mallory", &no).await.0, 404);
    assert_eq!(
        bench
            .server()
            .state
            .metrics
            .payment_kit_calls("query_order", "ok"),
        before
    );
    bench.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_background_worker_recovers_a_lost_callback_by_itself() {
    let extra = r#"
[reconcile]
interval_ms = 100
payment_after_ms = 0
contract_after_ms = 0
status_query_after_ms = 3600000
"#;
    let bench = Bench::start_with(Backend::Sqlite, extra).await;
    let (no, _) = bench.new_order("alice").await;
    bench.pay(&no).await;
    let started = Instant::now();
    loop {
        let (_, s) = bench.status("alice", &no).await;
        if s["payment"] == "PAID" {
            break;
        }
        assert!(started.elapsed() < Duration::from_secs(10), "{s}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let metrics = bench
        .http
        .get(format!("{}/metrics", bench.server().admin_url()))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        metrics.contains("paysign_merchant_reconcile_backlog"),
        "{metrics}"
    );
    bench.stop().await;
}
