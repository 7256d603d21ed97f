//! The parts under test as separate processes: the real `paysign-sandbox` and
//! `paysign-merchant` binaries on free loopback ports, configured through real files (keys,
//! `merchant.toml`, the sandbox's merchant list) in a temporary directory. A merchant can be
//! killed with SIGKILL and started again on the same port and database.

use std::io::{BufRead, BufReader};
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use paysign_crypto::{PrivateKey, PublicKey};

use crate::{Ctx, Res};

pub const MERC_NO: &str = "101000000001";
pub const APP_ID: &str = "5765880207853001";
pub const AUTH_ID: &str = "AUTH-LOAD-1";
pub const PLAN_ID: &str = "PLAN-MONTHLY";
pub const PRODUCT: &str = "vip-month";
pub const PRICE_FEN: i64 = 1500;
pub const ADMIN_TOKEN: &str = "load-admin-token-0123456789";

/// Where the two server binaries are.
#[derive(Debug, Clone)]
pub struct Binaries {
    pub merchant: PathBuf,
    pub sandbox: PathBuf,
}

impl Binaries {
    /// In `dir`, or next to this program (cargo puts every binary of a profile together).
    pub fn find(dir: Option<&Path>) -> Res<Binaries> {
        let dir = match dir {
            Some(d) => d.to_path_buf(),
            None => std::env::current_exe()
                .ctx("this program's path")?
                .parent()
                .ctx("this program's directory")?
                .to_path_buf(),
        };
        let b = Binaries {
            merchant: dir.join("paysign-merchant"),
            sandbox: dir.join("paysign-sandbox"),
        };
        for p in [&b.merchant, &b.sandbox] {
            if !p.is_file() {
                return Err(format!(
                    "{} is missing: build it first (make load builds both)",
                    p.display()
                ));
            }
        }
        Ok(b)
    }
}

/// A free loopback port (bound and released; the server binds it right after).
pub fn free_port() -> Res<u16> {
    let l = std::net::TcpListener::bind("127.0.0.1:0").ctx("a free port")?;
    Ok(l.local_addr().ctx("a free port")?.port())
}

fn write_secret(path: &Path, text: &str) -> Res<()> {
    std::fs::write(path, text).ctx("writing a key file")?;
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o600)).ctx("chmod 600")
}

/// A running child process whose stdout is drained in the background (so it never blocks),
/// stderr going to a log file in the run directory.
struct Proc {
    child: Child,
    /// The start lines up to the one the caller waited for.
    lines: Vec<String>,
}

impl Proc {
    fn spawn(mut cmd: Command, log: &Path, ready: &'static str, timeout: Duration) -> Res<Proc> {
        let log_file = std::fs::File::options()
            .create(true)
            .append(true)
            .open(log)
            .ctx("the log file")?;
        let mut child = cmd
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(log_file)
            .spawn()
            .ctx("starting a server")?;
        let stdout = child.stdout.take().ctx("the server's stdout")?;
        let (tx, rx) = std::sync::mpsc::channel::<String>();
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines() {
                let Ok(line) = line else { break };
                // Nobody listens once start-up is over: keep reading so the pipe never fills.
                let _ = tx.send(line);
            }
        });
        let mut lines = Vec::new();
        let deadline = std::time::Instant::now() + timeout;
        loop {
            let left = deadline.saturating_duration_since(std::time::Instant::now());
            match rx.recv_timeout(left) {
                Ok(line) => {
                    let done = line.starts_with(ready);
                    lines.push(line);
                    if done {
                        return Ok(Proc { child, lines });
                    }
                }
                Err(_) => {
                    let _ = child.kill();
                    let _ = child.wait();
                    let tail = std::fs::read_to_string(log).unwrap_or_default();
                    let tail: Vec<&str> = tail.lines().rev().take(15).collect();
                    return Err(format!(
                        "the server did not print {ready:?} in time; stdout: {lines:?}; stderr (last lines, newest first): {tail:?}"
                    ));
                }
            }
        }
    }

    fn line_after(&self, prefix: &str) -> Res<String> {
        self.lines
            .iter()
            .find_map(|l| l.strip_prefix(prefix))
            .map(|s| s.trim().to_owned())
            .ctx(prefix)
    }

    fn pid(&self) -> u32 {
        self.child.id()
    }

    /// SIGKILL, then reap.
    fn kill9(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Drop for Proc {
    fn drop(&mut self) {
        self.kill9();
    }
}

/// How to run the sandbox.
#[derive(Debug, Clone, Default)]
pub struct SandboxSetup {
    /// Keep its state in an SQLite file in the run directory (`--db`).
    pub db: bool,
    /// Deliver callbacks with the retry schedule multiplied by this (`None`: `--no-callbacks`).
    pub callback_scale: Option<f64>,
}

pub struct Sandbox {
    proc: Proc,
    pub url: String,
    pub key: PublicKey,
}

impl Sandbox {
    pub fn pid(&self) -> u32 {
        self.proc.pid()
    }
}

pub struct Merchant {
    proc: Option<Proc>,
    pub url: String,
    pub admin_url: String,
    config: PathBuf,
    log: PathBuf,
    binary: PathBuf,
}

impl Merchant {
    pub fn pid(&self) -> Option<u32> {
        self.proc.as_ref().map(Proc::pid)
    }

    /// SIGKILL: no shutdown, no flush; what a crash or the OOM killer does.
    pub fn kill9(&mut self) {
        if let Some(mut p) = self.proc.take() {
            p.kill9();
        }
    }

    /// Starts it again with the same configuration (same port, same database).
    pub fn restart(&mut self) -> Res<()> {
        self.kill9();
        let (proc, url, admin_url) = start_merchant(&self.binary, &self.config, &self.log)?;
        // The same listen address; the admin listener is on a new free port.
        self.proc = Some(proc);
        self.url = url;
        self.admin_url = admin_url;
        Ok(())
    }
}

fn start_merchant(binary: &Path, config: &Path, log: &Path) -> Res<(Proc, String, String)> {
    let mut cmd = Command::new(binary);
    cmd.arg("serve").arg("--config").arg(config);
    cmd.env("RUST_LOG", "warn");
    let proc = Proc::spawn(
        cmd,
        log,
        "paysign-merchant admin on ",
        Duration::from_secs(60),
    )?;
    let url = proc.line_after("paysign-merchant listening on ")?;
    let admin = proc.line_after("paysign-merchant admin on ")?;
    Ok((proc, url, admin))
}

/// The merchant server's options this run varies.
#[derive(Debug, Clone)]
pub struct MerchantSetup {
    pub database_url: String,
    /// The `[reconcile]` table's body; empty: the worker is off.
    pub reconcile: String,
}

/// One run: a directory with the keys and configuration files, the binaries.
pub struct Stack {
    pub dir: tempfile::TempDir,
    pub bins: Binaries,
    pub merchant_key: PrivateKey,
    pub http: reqwest::Client,
    merchants: usize,
}

impl Stack {
    pub fn new(bins: Binaries) -> Res<Stack> {
        let dir = tempfile::Builder::new()
            .prefix("paysign-load.")
            .tempdir()
            .ctx("a run directory")?;
        let merchant_key = PrivateKey::generate_sm2().map_err(|e| e.to_string())?;
        write_secret(
            &dir.path().join("merchant-sm2.pem"),
            &merchant_key.to_pkcs8_pem(),
        )?;
        write_secret(&dir.path().join("admin.token"), ADMIN_TOKEN)?;
        let http = reqwest::Client::builder()
            .no_proxy()
            .timeout(Duration::from_secs(30))
            .build()
            .ctx("the HTTP client")?;
        Ok(Stack {
            dir,
            bins,
            merchant_key,
            http,
            merchants: 0,
        })
    }

    pub fn path(&self, name: &str) -> PathBuf {
        self.dir.path().join(name)
    }

    /// Starts the sandbox knowing this run's merchant.
    pub fn sandbox(&self, setup: &SandboxSetup) -> Res<Sandbox> {
        let key = PrivateKey::generate_sm2().map_err(|e| e.to_string())?;
        let key_file = self.path("sandbox-sm2.pem");
        write_secret(&key_file, &key.to_pkcs8_pem())?;
        let config = serde_json::json!({"merchants": [{
            "mercNo": MERC_NO, "name": "paysign load shop", "model": "DIRECT",
            "authId": AUTH_ID, "publicKey": self.merchant_key.public_key().to_spki_pem(),
            "appIds": [APP_ID], "planIds": [PLAN_ID],
        }]});
        let config_file = self.path("sandbox.json");
        std::fs::write(&config_file, config.to_string()).ctx("sandbox.json")?;
        let mut cmd = Command::new(&self.bins.sandbox);
        cmd.arg("--listen")
            .arg("127.0.0.1:0")
            .arg("--quiet")
            .arg("--key")
            .arg(&key_file)
            .arg("--config")
            .arg(&config_file);
        if setup.db {
            cmd.arg("--db").arg(self.path("sandbox.sqlite"));
        }
        match setup.callback_scale {
            Some(scale) => cmd.arg("--callback-schedule-scale").arg(scale.to_string()),
            None => cmd.arg("--no-callbacks"),
        };
        let proc = Proc::spawn(
            cmd,
            &self.path("sandbox.log"),
            "paysign-sandbox callbacks:",
            Duration::from_secs(60),
        )?;
        let url = proc.line_after("paysign-sandbox listening on ")?;
        Ok(Sandbox {
            proc,
            url,
            key: key.public_key(),
        })
    }

    /// Starts a merchant server (its own port, callbacks addressed to that port) on the given
    /// database, paying through `sandbox`.
    pub fn merchant(
        &mut self,
        sandbox: &Sandbox,
        setup: &MerchantSetup,
        binary: Option<&Path>,
    ) -> Res<Merchant> {
        self.merchants += 1;
        let n = self.merchants;
        std::fs::write(self.path("huawei-sm2-pub.pem"), sandbox.key.to_spki_pem())
            .ctx("huawei-sm2-pub.pem")?;
        let port = free_port()?;
        let reconcile = if setup.reconcile.trim().is_empty() {
            "enabled = false".to_owned()
        } else {
            setup.reconcile.clone()
        };
        let text = format!(
            r#"listen = "127.0.0.1:{port}"
admin_listen = "127.0.0.1:0"
database_url = "{db}"
public_base_url = "http://127.0.0.1:{port}"

[payment_kit]
base_url = "{sandbox}"
public_key_file = "huawei-sm2-pub.pem"
request_timeout_ms = 10000

[merchant]
model = "DIRECT"
merc_no = "{MERC_NO}"
app_id = "{APP_ID}"
auth_id = "{AUTH_ID}"
private_key_file = "merchant-sm2.pem"
plan_id = "{PLAN_ID}"
trade_name = "paysign load"

[auth]
mode = "dev"
admin_token_file = "admin.token"

[[products]]
id = "{PRODUCT}"
name = "VIP 月卡"
amount_fen = {PRICE_FEN}

[reconcile]
{reconcile}
"#,
            db = setup.database_url,
            sandbox = sandbox.url,
        );
        let config = self.path(&format!("merchant-{n}.toml"));
        std::fs::write(&config, text).ctx("merchant.toml")?;
        let log = self.path(&format!("merchant-{n}.log"));
        let binary = binary.unwrap_or(&self.bins.merchant).to_path_buf();
        let (proc, url, admin_url) = start_merchant(&binary, &config, &log)?;
        Ok(Merchant {
            proc: Some(proc),
            url,
            admin_url,
            config,
            log,
            binary,
        })
    }
}
