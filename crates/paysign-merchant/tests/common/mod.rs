//! The test bench: a real paysign-sandbox (Payment Kit simulator) on a loopback port, and one or
//! two paysign-merchant servers on a real database — an SQLite file, or a fresh database in
//! the PostgreSQL cluster named by `PAYSIGN_TEST_POSTGRES_URL` (`make test` starts one; see
//! mk/60-merchant.mk) — configured through a real `merchant.toml` and key files.
#![allow(dead_code)]

use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};

use paysign_crypto::PrivateKey;
use paysign_merchant::{Config, RunningServer};
use paysign_sandbox::{
    start, Merchant, MerchantModel, RunningSandbox, SandboxConfig, SandboxOptions, SubMerchant,
};
use serde_json::{json, Value};
use sqlx::Connection;

pub const MERC_NO: &str = "101000000001";
pub const APP_ID: &str = "5765880207853001";
pub const AUTH_ID: &str = "AUTH-DIRECT-1";
pub const PLAN_ID: &str = "PLAN-MONTHLY";
/// A service provider (服务商) selling for its sub-merchant.
pub const SP_MERC_NO: &str = "201000000001";
pub const SP_APP_ID: &str = "5765880207853201";
pub const SP_AUTH_ID: &str = "AUTH-SP-1";
pub const SUB_MERC_NO: &str = "301000000001";
pub const SUB_APP_ID: &str = "5765880207853301";
pub const ADMIN_TOKEN: &str = "test-admin-token-0123456789";
pub const PRICE: i64 = 1500;

/// Which database a test runs on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

/// The PostgreSQL server of this run, if any. `PAYSIGN_REQUIRE_POSTGRES=1` (set by `make test`)
/// turns a missing one into a failure instead of a skip.
pub fn postgres_url() -> Option<String> {
    match std::env::var("PAYSIGN_TEST_POSTGRES_URL") {
        Ok(url) if !url.is_empty() => Some(url),
        _ => {
            assert!(
                std::env::var("PAYSIGN_REQUIRE_POSTGRES").as_deref() != Ok("1"),
                "PAYSIGN_REQUIRE_POSTGRES=1 but PAYSIGN_TEST_POSTGRES_URL is not set"
            );
            None
        }
    }
}

/// Runs `$name(Backend)` once per database: `sqlite::$name` and `postgres::$name`.
#[macro_export]
macro_rules! on_both_databases {
    ($($name:ident),* $(,)?) => {
        mod sqlite {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $name() {
                    super::$name($crate::common::Backend::Sqlite).await;
                }
            )*
        }
        mod postgres {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $name() {
                    if $crate::common::postgres_url().is_none() {
                        eprintln!("skipped: PAYSIGN_TEST_POSTGRES_URL is not set (make test sets it)");
                        return;
                    }
                    super::$name($crate::common::Backend::Postgres).await;
                }
            )*
        }
    };
}

pub struct Bench {
    /// The merchant number orders are made under at Payment Kit (the SP's for a service provider).
    pub merc_no: &'static str,
    pub sandbox: RunningSandbox,
    pub dir: tempfile::TempDir,
    pub database_url: String,
    pub merchant_key: PrivateKey,
    pub http: reqwest::Client,
    pub servers: Vec<RunningServer>,
}

fn write_secret(path: &Path, text: &str) {
    std::fs::write(path, text).unwrap();
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o600)).unwrap();
}

/// A fresh, empty database of the backend.
async fn fresh_database(backend: Backend, dir: &Path) -> String {
    match backend {
        Backend::Sqlite => format!("sqlite://{}", dir.join("merchant.db").display()),
        Backend::Postgres => {
            let admin = postgres_url().unwrap();
            let name = format!("t_{}", hex::encode(rand_bytes()));
            let mut conn = sqlx::postgres::PgConnection::connect(&admin).await.unwrap();
            sqlx::query(sqlx::AssertSqlSafe(format!("CREATE DATABASE {name}")))
                .execute(&mut conn)
                .await
                .unwrap();
            conn.close().await.unwrap();
            // Same server and credentials, the new database.
            let mut url = url::Url::parse(&admin).unwrap();
            url.set_path(&format!("/{name}"));
            url.to_string()
        }
    }
}

fn rand_bytes() -> [u8; 8] {
    let mut b = [0u8; 8];
    getrandom::fill(&mut b).unwrap();
    b
}

/// The `merchant.toml` of a test server (reconcile thresholds at zero, the worker off: tests
/// run passes by hand).
pub fn config_text(sandbox_url: &str, database_url: &str, extra: &str) -> String {
    format!(
        r#"
listen = "127.0.0.1:0"
admin_listen = "127.0.0.1:0"
database_url = "{database_url}"
# Nothing listens there: the sandbox's own dispatcher (if any) stays on loopback; tests POST
# the notifications themselves.
public_base_url = "http://127.0.0.1:9"

[payment_kit]
base_url = "{sandbox_url}"
public_key_file = "huawei-sm2-pub.pem"
request_timeout_ms = 5000
# The sandbox serves bills on loopback.
bill_hosts = ["127.0.0.1"]

[merchant]
model = "DIRECT"
merc_no = "{MERC_NO}"
app_id = "{APP_ID}"
auth_id = "{AUTH_ID}"
private_key_file = "merchant-sm2.pem"
plan_id = "{PLAN_ID}"
trade_name = "paysign test"

[auth]
mode = "dev"
admin_token_file = "admin.token"

[[products]]
id = "vip-month"
name = "VIP 月卡"
amount_fen = {PRICE}

[[products]]
id = "vip-year"
name = "VIP 年卡"
amount_fen = 15000

{extra}
"#
    )
}

/// Put in `extra`: the server is the service provider of the sandbox, selling for its sub-merchant.
pub const SERVICE_PROVIDER_MARK: &str = "# model: service provider";

pub const RECONCILE_BY_HAND: &str = r#"
[reconcile]
enabled = false
payment_after_ms = 0
contract_after_ms = 0
refund_after_ms = 0
debit_after_ms = 0
status_query_after_ms = 3600000
"#;

impl Bench {
    /// A sandbox knowing the merchant, and one merchant server.
    pub async fn start(backend: Backend) -> Bench {
        Self::start_with(backend, RECONCILE_BY_HAND).await
    }

    pub async fn start_with(backend: Backend, extra: &str) -> Bench {
        let merchant_key = PrivateKey::generate_sm2().unwrap();
        let sandbox = start(SandboxOptions {
            config: SandboxConfig {
                merchants: vec![
                    Merchant {
                        merc_no: MERC_NO.to_owned(),
                        name: "paysign test shop".to_owned(),
                        model: MerchantModel::Direct,
                        auth_id: AUTH_ID.to_owned(),
                        public_key: merchant_key.public_key().to_spki_pem(),
                        app_ids: vec![APP_ID.to_owned()],
                        plan_ids: vec![PLAN_ID.to_owned()],
                        sub_merchants: vec![],
                        refund_enabled: true,
                        trade_bill_enabled: true,
                        settle_bill_enabled: true,
                    },
                    Merchant {
                        merc_no: SP_MERC_NO.to_owned(),
                        name: "paysign test provider".to_owned(),
                        model: MerchantModel::Sp,
                        auth_id: SP_AUTH_ID.to_owned(),
                        public_key: merchant_key.public_key().to_spki_pem(),
                        app_ids: vec![SP_APP_ID.to_owned()],
                        plan_ids: vec![PLAN_ID.to_owned()],
                        sub_merchants: vec![SubMerchant {
                            merc_no: SUB_MERC_NO.to_owned(),
                            name: "paysign test sub-merchant".to_owned(),
                            app_ids: vec![SUB_APP_ID.to_owned()],
                        }],
                        refund_enabled: true,
                        trade_bill_enabled: true,
                        settle_bill_enabled: true,
                    },
                ],
            },
            ..SandboxOptions::default()
        })
        .await
        .unwrap();
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(
            dir.path().join("huawei-sm2-pub.pem"),
            sandbox.public_key().to_spki_pem(),
        )
        .unwrap();
        write_secret(
            &dir.path().join("merchant-sm2.pem"),
            &merchant_key.to_pkcs8_pem(),
        );
        write_secret(&dir.path().join("admin.token"), ADMIN_TOKEN);
        let database_url = fresh_database(backend, dir.path()).await;
        let mut text = config_text(&sandbox.base_url(), &database_url, extra);
        let sp = extra.contains(SERVICE_PROVIDER_MARK);
        if sp {
            text = text
                .replace("model = \"DIRECT\"", "model = \"SP\"")
                .replace(
                    &format!("merc_no = \"{MERC_NO}\""),
                    &format!(
                        "merc_no = \"{SP_MERC_NO}\"\nsub_merc_no = \"{SUB_MERC_NO}\"\nsub_app_id = \"{SUB_APP_ID}\""
                    ),
                )
                .replace(&format!("app_id = \"{APP_ID}\""), &format!("app_id = \"{SP_APP_ID}\""))
                .replace(&format!("auth_id = \"{AUTH_ID}\""), &format!("auth_id = \"{SP_AUTH_ID}\""));
        }
        std::fs::write(dir.path().join("merchant.toml"), &text).unwrap();
        let mut bench = Bench {
            merc_no: if sp { SP_MERC_NO } else { MERC_NO },
            sandbox,
            dir,
            database_url,
            merchant_key,
            http: reqwest::Client::new(),
            servers: vec![],
        };
        bench.add_server().await;
        bench
    }

    pub fn config_path(&self) -> PathBuf {
        self.dir.path().join("merchant.toml")
    }

    /// Another instance on the same database.
    pub async fn add_server(&mut self) -> usize {
        let settings = Config::from_file(&self.config_path())
            .unwrap()
            .load()
            .unwrap();
        let server = paysign_merchant::start(settings).await.unwrap();
        self.servers.push(server);
        self.servers.len() - 1
    }

    pub fn server(&self) -> &RunningServer {
        &self.servers[0]
    }

    pub async fn stop(self) {
        for s in self.servers {
            s.shutdown().await;
        }
        let _ = self.sandbox.shutdown().await;
    }

    // ------------------------------------------------------------ the app's calls

    pub async fn create(&self, user: &str, key: &str, body: Value) -> (u16, Value) {
        let r = self
            .http
            .post(format!("{}/paysign/orders", self.server().base_url()))
            .header("X-Paysign-User", user)
            .header("Idempotency-Key", key)
            .json(&body)
            .send()
            .await
            .unwrap();
        let status = r.status().as_u16();
        (status, r.json().await.unwrap_or(Value::Null))
    }

    /// A new order of `vip-month` that must succeed: (mercOrderNo, mercContractCode).
    pub async fn new_order(&self, user: &str) -> (String, String) {
        let key = format!("key-{}", hex::encode(rand_bytes()));
        let (status, ticket) = self
            .create(user, &key, json!({"productId": "vip-month"}))
            .await;
        assert_eq!(status, 200, "{ticket}");
        (
            ticket["mercOrderNo"].as_str().unwrap().to_owned(),
            ticket["mercContractCode"].as_str().unwrap().to_owned(),
        )
    }

    pub async fn status(&self, user: &str, no: &str) -> (u16, Value) {
        let r = self
            .http
            .get(format!("{}/paysign/orders/{no}", self.server().base_url()))
            .header("X-Paysign-User", user)
            .send()
            .await
            .unwrap();
        let status = r.status().as_u16();
        (status, r.json().await.unwrap_or(Value::Null))
    }

    // ------------------------------------------------------------ Payment Kit's side

    pub async fn sandbox_post(&self, path: &str, body: Value) -> Value {
        let r = self
            .http
            .post(format!("{}{path}", self.sandbox.base_url()))
            .json(&body)
            .send()
            .await
            .unwrap();
        let status = r.status().as_u16();
        let v: Value = r.json().await.unwrap();
        assert_eq!(status, 200, "{path}: {v}");
        v
    }

    pub async fn sandbox_get(&self, path: &str) -> (u16, Value) {
        let r = self
            .http
            .get(format!("{}{path}", self.sandbox.base_url()))
            .send()
            .await
            .unwrap();
        let status = r.status().as_u16();
        (status, r.json().await.unwrap_or(Value::Null))
    }

    /// The user pays in the cashier.
    pub async fn pay(&self, no: &str) {
        self.sandbox_post(
            &format!("/sandbox/orders/{}/{no}/pay", self.merc_no),
            json!({}),
        )
        .await;
    }

    /// The user signs the contract in the cashier; returns Payment Kit's contractId.
    pub async fn sign(&self, code: &str) -> String {
        let c = self
            .sandbox_post(
                &format!("/sandbox/contracts/{}/{code}/sign", self.merc_no),
                json!({}),
            )
            .await;
        c["contractId"].as_str().unwrap().to_owned()
    }

    /// The signed notification Payment Kit sends for the latest event of `kind` about `key`.
    pub async fn notification(&self, kind: &str, key: &str) -> String {
        let (_, events) = self.sandbox_get("/sandbox/events").await;
        let seq = events
            .as_array()
            .unwrap()
            .iter()
            .rev()
            .find(|e| e["kind"] == kind && e["key"] == key)
            .unwrap_or_else(|| panic!("no {kind} event for {key}: {events}"))["seq"]
            .as_i64()
            .unwrap();
        let (status, n) = self
            .sandbox_get(&format!("/sandbox/events/{seq}/notification"))
            .await;
        assert_eq!(status, 200, "{n}");
        n["body"].as_str().unwrap().to_owned()
    }

    /// POSTs a notification body to an instance's callback endpoint: (status, answer).
    pub async fn deliver_to(&self, server: usize, endpoint: &str, body: &str) -> (u16, String) {
        self.try_deliver_to(server, endpoint, body)
            .await
            .unwrap_or_else(|e| panic!("delivering to /paysign/callbacks/{endpoint}: {e}"))
    }

    /// [`deliver_to`](Self::deliver_to), with a transport error returned instead of a panic.
    pub async fn try_deliver_to(
        &self,
        server: usize,
        endpoint: &str,
        body: &str,
    ) -> Result<(u16, String), reqwest::Error> {
        let r = self
            .http
            .post(format!(
                "{}/paysign/callbacks/{endpoint}",
                self.servers[server].base_url()
            ))
            .header("Content-Type", "application/json; charset=UTF-8")
            .body(body.to_owned())
            .send()
            .await?;
        let status = r.status().as_u16();
        Ok((status, r.text().await?))
    }

    pub async fn deliver(&self, endpoint: &str, body: &str) -> (u16, String) {
        self.deliver_to(0, endpoint, body).await
    }

    /// Delivers a notification and insists on Payment Kit's success answer.
    pub async fn deliver_ok(&self, endpoint: &str, body: &str) {
        let (status, answer) = self.deliver(endpoint, body).await;
        assert_eq!(status, 200, "{answer}");
        assert_eq!(answer, r#"{"resultCode":"000000","resultDesc":"Success."}"#);
    }

    /// Pays and signs in the sandbox and delivers both notifications: returns the contractId.
    pub async fn pay_and_sign(&self, no: &str, code: &str) -> String {
        self.pay(no).await;
        let contract_id = self.sign(code).await;
        let body = self.notification("ORDER_PAID", no).await;
        self.deliver_ok("payment", &body).await;
        let body = self.notification("CONTRACT_SIGNED", code).await;
        self.deliver_ok("contract", &body).await;
        contract_id
    }

    // ------------------------------------------------------------ operations

    pub async fn admin_post(&self, path: &str, body: Value) -> (u16, Value) {
        let r = self
            .http
            .post(format!("{}{path}", self.server().admin_url()))
            .bearer_auth(ADMIN_TOKEN)
            .json(&body)
            .send()
            .await
            .unwrap();
        let status = r.status().as_u16();
        (status, r.json().await.unwrap_or(Value::Null))
    }

    pub async fn admin_get(&self, path: &str) -> (u16, Value) {
        let r = self
            .http
            .get(format!("{}{path}", self.server().admin_url()))
            .bearer_auth(ADMIN_TOKEN)
            .send()
            .await
            .unwrap();
        let status = r.status().as_u16();
        (status, r.json().await.unwrap_or(Value::Null))
    }

    /// One reconcile pass on the first instance.
    pub async fn reconcile(&self) -> usize {
        paysign_merchant::reconcile::run_once(&self.server().state).await
    }

    /// A direct query of the server's database.
    pub async fn db_count(&self, sql: &'static str, bind: &str) -> i64 {
        use sqlx::Row;
        let row = sqlx::query(sql)
            .bind(bind)
            .fetch_one(&self.server().state.db.pool)
            .await
            .unwrap();
        row.try_get::<i64, _>(0).unwrap()
    }
}
