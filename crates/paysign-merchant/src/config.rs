//! `merchant.toml`, parsed once at start into [`Config`]; [`Config::load`] then reads the files it
//! names (keys, secrets) into [`Settings`], refusing secrets that other users can read.

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::time::Duration;

use paysign_crypto::{PrivateKey, PublicKey};
use serde::Deserialize;

/// The configuration file as written.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Config {
    /// App API and Payment Kit callbacks.
    pub listen: SocketAddr,
    /// Operations API, `/metrics`; loopback unless you put a proxy with its own auth before it.
    #[serde(default = "default_admin_listen")]
    pub admin_listen: SocketAddr,
    /// `sqlite::memory:`, `sqlite://file.db` or `postgres://...`.
    #[serde(default = "default_database_url")]
    pub database_url: String,
    /// What Payment Kit calls back: `{public_base_url}/paysign/callbacks/...` goes into every
    /// request. `https://`, or `http://` to a loopback host for a local sandbox.
    pub public_base_url: String,
    pub payment_kit: PaymentKitConfig,
    pub merchant: MerchantConfig,
    pub auth: AuthConfig,
    #[serde(default)]
    pub products: Vec<Product>,
    #[serde(default)]
    pub reconcile: ReconcileConfig,
    #[serde(default)]
    pub limits: LimitsConfig,
}

fn default_admin_listen() -> SocketAddr {
    SocketAddr::from(([127, 0, 0, 1], 0))
}

fn default_database_url() -> String {
    "sqlite::memory:".to_owned()
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PaymentKitConfig {
    /// Huawei's API host, or a local sandbox's `http://127.0.0.1:PORT`.
    pub base_url: String,
    /// Huawei's SM2 public key (PEM, or the SM2 point in hex) for answers and callbacks.
    pub public_key_file: PathBuf,
    /// Mark orderStrs for Huawei's sandbox environment (`reserved.sandbox_flag`).
    #[serde(default)]
    pub sandbox_flag: bool,
    /// Whole-request timeout of one Payment Kit call, in milliseconds.
    #[serde(default = "default_request_timeout_ms")]
    pub request_timeout_ms: u64,
    /// The hosts a bill download URL (and each redirect) may name: host names, `*.domain`
    /// wildcards or IP addresses. Absent: Payment Kit's bill storage
    /// (`paysign_pas::infer::BILL_STORAGE_HOSTS`). A local sandbox needs `["127.0.0.1"]`.
    #[serde(default)]
    pub bill_hosts: Option<Vec<String>>,
}

impl PaymentKitConfig {
    /// The bill download allow-list (checked in [`Config::parse`]).
    pub fn bill_host_list(&self) -> Result<paysign_pas::HostAllowList, String> {
        match &self.bill_hosts {
            None => Ok(paysign_pas::HostAllowList::payment_kit_bill_storage()),
            Some(hosts) => paysign_pas::HostAllowList::new(hosts)
                .map_err(|e| format!("payment_kit.bill_hosts: {e}")),
        }
    }
}

fn default_request_timeout_ms() -> u64 {
    10_000
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
pub enum Model {
    #[serde(rename = "DIRECT")]
    Direct,
    #[serde(rename = "SP")]
    ServiceProvider,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MerchantConfig {
    pub model: Model,
    /// Direct: the merchant number. SP: the service provider's number (spMercNo, callerId).
    pub merc_no: String,
    /// Direct: the app id. SP: spAppId.
    pub app_id: String,
    /// Merchant certificate id (PayMercAuth.authId, orderStr auth_id).
    pub auth_id: String,
    /// SM2 or RSA private key; must not be readable by group or others.
    pub private_key_file: PathBuf,
    /// The withholding plan users sign with their first payment.
    pub plan_id: String,
    /// SP only: the sub-merchant the orders are for.
    #[serde(default)]
    pub sub_merc_no: Option<String>,
    /// SP only, optional: the sub-merchant's app id.
    #[serde(default)]
    pub sub_app_id: Option<String>,
    /// Prefix of tradeSummary ("app name-product name").
    #[serde(default = "default_trade_name")]
    pub trade_name: String,
}

fn default_trade_name() -> String {
    "paysign".to_owned()
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum AuthMode {
    /// The user id comes from `X-Paysign-User`: anyone can act as anyone. Local runs only.
    Dev,
    /// HS256 bearer tokens; `sub` is the user id.
    Jwt,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AuthConfig {
    pub mode: AuthMode,
    #[serde(default)]
    pub hs256_secret_file: Option<PathBuf>,
    /// Bearer token of the operations API; must not be readable by group or others.
    pub admin_token_file: PathBuf,
}

#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Product {
    pub id: String,
    pub name: String,
    pub amount_fen: i64,
}

/// When the server asks Payment Kit about what stayed pending, and how hard.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct ReconcileConfig {
    /// How often the worker looks for due work (ms).
    pub interval_ms: u64,
    /// A payment still pending this long after its ticket is queried (ms).
    pub payment_after_ms: u64,
    /// A contract still pending this long after its order is queried (ms).
    pub contract_after_ms: u64,
    /// A refund still processing this long is queried (ms).
    pub refund_after_ms: u64,
    /// A withholding debit still processing this long is queried (ms).
    pub debit_after_ms: u64,
    /// Backoff between inconclusive queries doubles up to this (ms).
    pub max_backoff_ms: u64,
    /// Items processed at once by one instance.
    pub concurrency: usize,
    /// A claimed item is left to other instances after this long (ms), should this one die.
    pub lease_ms: u64,
    /// The status call asks Payment Kit itself when the order is pending this long (ms).
    pub status_query_after_ms: u64,
    /// Unpaid orders expire (Payment Kit's expireTime) after this long (ms).
    pub order_expire_ms: u64,
    /// A paid order whose contract Payment Kit still does not know after this long is
    /// NOT_SIGNED (ms).
    pub contract_grace_ms: u64,
    /// Run the background worker (tests drive it by hand).
    pub enabled: bool,
}

impl Default for ReconcileConfig {
    fn default() -> Self {
        ReconcileConfig {
            interval_ms: 5_000,
            payment_after_ms: 60_000,
            contract_after_ms: 60_000,
            refund_after_ms: 60_000,
            debit_after_ms: 60_000,
            max_backoff_ms: 30 * 60_000,
            concurrency: 4,
            lease_ms: 60_000,
            status_query_after_ms: 3_000,
            order_expire_ms: 2 * 3_600_000,
            contract_grace_ms: 15 * 60_000,
            enabled: true,
        }
    }
}

/// What one client may take from the server: body sizes, and time and connections against slow
/// clients (both listeners).
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct LimitsConfig {
    /// Largest callback body accepted (bytes).
    pub callback_body_bytes: usize,
    /// Largest app or admin request body accepted (bytes).
    pub request_body_bytes: usize,
    /// Time to send a request head (ms); also how long an idle kept-alive connection stays open.
    pub header_timeout_ms: u64,
    /// Time to send a whole request body once its head arrived (ms).
    pub body_timeout_ms: u64,
    /// Connections served at once, per listener; more wait to be accepted.
    pub max_connections: usize,
}

impl Default for LimitsConfig {
    fn default() -> Self {
        let serve = paysign_serve::ServeLimits::default();
        LimitsConfig {
            callback_body_bytes: 64 * 1024,
            request_body_bytes: 16 * 1024,
            header_timeout_ms: millis(serve.header_timeout),
            body_timeout_ms: millis(serve.body_timeout),
            max_connections: serve.max_connections,
        }
    }
}

fn millis(d: Duration) -> u64 {
    u64::try_from(d.as_millis()).unwrap_or(u64::MAX)
}

impl LimitsConfig {
    /// The listeners' limits.
    pub fn serve(&self) -> paysign_serve::ServeLimits {
        paysign_serve::ServeLimits {
            header_timeout: Duration::from_millis(self.header_timeout_ms),
            body_timeout: Duration::from_millis(self.body_timeout_ms),
            max_connections: self.max_connections,
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("cannot read {path}: {source}")]
    Read {
        path: String,
        source: std::io::Error,
    },
    #[error("{path}: {message}")]
    Parse { path: String, message: String },
    #[error("{0}")]
    Invalid(String),
    #[error(
        "{path} is readable or writable by group or others (mode {mode:o}); \
         run: chmod 600 {path}"
    )]
    Exposed { path: String, mode: u32 },
}

/// Everything the server needs, read and checked.
#[derive(Clone)]
pub struct Settings {
    pub config: Config,
    pub private_key: PrivateKey,
    pub huawei_key: PublicKey,
    pub admin_token: String,
    pub jwt_secret: Option<Vec<u8>>,
    pub products: BTreeMap<String, Product>,
}

impl std::fmt::Debug for Settings {
    // Keys and tokens stay out of logs.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Settings")
            .field("config", &self.config)
            .finish_non_exhaustive()
    }
}

impl Config {
    /// Parses the TOML text; relative paths in it are taken from `base_dir`.
    pub fn parse(text: &str, base_dir: &Path, shown: &str) -> Result<Config, ConfigError> {
        let mut config: Config = toml::from_str(text).map_err(|e| ConfigError::Parse {
            path: shown.to_owned(),
            message: e.to_string(),
        })?;
        let resolve = |p: &mut PathBuf| {
            if p.is_relative() {
                *p = base_dir.join(&*p);
            }
        };
        resolve(&mut config.payment_kit.public_key_file);
        resolve(&mut config.merchant.private_key_file);
        resolve(&mut config.auth.admin_token_file);
        if let Some(p) = config.auth.hs256_secret_file.as_mut() {
            resolve(p);
        }
        config.validate()?;
        Ok(config)
    }

    /// Reads and parses a configuration file.
    pub fn from_file(path: &Path) -> Result<Config, ConfigError> {
        let text = std::fs::read_to_string(path).map_err(|source| ConfigError::Read {
            path: path.display().to_string(),
            source,
        })?;
        let base = path.parent().unwrap_or_else(|| Path::new("."));
        Config::parse(&text, base, &path.display().to_string())
    }

    fn validate(&self) -> Result<(), ConfigError> {
        let invalid = |m: String| Err(ConfigError::Invalid(m));
        check_public_base_url(&self.public_base_url).map_err(ConfigError::Invalid)?;
        self.payment_kit
            .bill_host_list()
            .map_err(ConfigError::Invalid)?;
        let m = &self.merchant;
        for (name, value, max) in [
            ("merchant.merc_no", &m.merc_no, 12),
            ("merchant.app_id", &m.app_id, 64),
            ("merchant.auth_id", &m.auth_id, 64),
            ("merchant.plan_id", &m.plan_id, 64),
        ] {
            if value.trim().is_empty() || value.chars().count() > max {
                return invalid(format!("{name} must be 1 to {max} characters"));
            }
        }
        match (m.model, &m.sub_merc_no) {
            (Model::ServiceProvider, None) => {
                return invalid("merchant.model = \"SP\" needs merchant.sub_merc_no".to_owned())
            }
            (Model::Direct, Some(_)) => {
                return invalid("merchant.sub_merc_no is for model = \"SP\" only".to_owned())
            }
            _ => {}
        }
        if self.auth.mode == AuthMode::Jwt && self.auth.hs256_secret_file.is_none() {
            return invalid("auth.mode = \"jwt\" needs auth.hs256_secret_file".to_owned());
        }
        if self.products.is_empty() {
            return invalid("at least one [[products]] entry is needed".to_owned());
        }
        let mut seen = std::collections::BTreeSet::new();
        for p in &self.products {
            if p.id.is_empty() || p.id.chars().count() > paysign_contract::PRODUCT_ID_MAX_CHARS {
                return invalid(format!(
                    "product id {:?} must be 1 to {} characters",
                    p.id,
                    paysign_contract::PRODUCT_ID_MAX_CHARS
                ));
            }
            if p.amount_fen <= 0 {
                return invalid(format!("product {}: amount_fen must be positive", p.id));
            }
            if p.name.trim().is_empty() {
                return invalid(format!("product {}: name is empty", p.id));
            }
            if !seen.insert(p.id.clone()) {
                return invalid(format!("product {} is listed twice", p.id));
            }
        }
        let r = &self.reconcile;
        if r.concurrency == 0 || r.interval_ms == 0 || r.lease_ms == 0 {
            return invalid(
                "reconcile.concurrency, interval_ms and lease_ms must be positive".to_owned(),
            );
        }
        if r.order_expire_ms < 60_000 || r.order_expire_ms > 180 * 24 * 3_600_000 {
            return invalid("reconcile.order_expire_ms must be 1 minute to 180 days".to_owned());
        }
        if self.limits.callback_body_bytes < 1024 || self.limits.request_body_bytes < 256 {
            return invalid("limits are too small to hold a valid request".to_owned());
        }
        self.limits
            .serve()
            .validate()
            .map_err(|e| ConfigError::Invalid(format!("limits: {e}")))?;
        Ok(())
    }

    /// Reads the keys and secrets the configuration names.
    pub fn load(self) -> Result<Settings, ConfigError> {
        let private_text = read_secret(&self.merchant.private_key_file)?;
        let private_key = PrivateKey::from_text(&private_text).map_err(|e| {
            ConfigError::Invalid(format!(
                "{}: not a usable private key: {e}",
                self.merchant.private_key_file.display()
            ))
        })?;
        let public_text = read(&self.payment_kit.public_key_file)?;
        let huawei_key = PublicKey::from_text(&public_text).map_err(|e| {
            ConfigError::Invalid(format!(
                "{}: not a usable public key: {e}",
                self.payment_kit.public_key_file.display()
            ))
        })?;
        let admin_token = read_secret(&self.auth.admin_token_file)?.trim().to_owned();
        if admin_token.len() < 16 {
            return Err(ConfigError::Invalid(format!(
                "{}: the admin token must be at least 16 characters",
                self.auth.admin_token_file.display()
            )));
        }
        let jwt_secret = match (&self.auth.mode, &self.auth.hs256_secret_file) {
            (AuthMode::Jwt, Some(path)) => {
                let secret = read_secret(path)?.trim().as_bytes().to_vec();
                if secret.len() < 32 {
                    return Err(ConfigError::Invalid(format!(
                        "{}: an HS256 secret must be at least 32 bytes",
                        path.display()
                    )));
                }
                Some(secret)
            }
            _ => None,
        };
        let products = self
            .products
            .iter()
            .map(|p| (p.id.clone(), p.clone()))
            .collect();
        Ok(Settings {
            config: self,
            private_key,
            huawei_key,
            admin_token,
            jwt_secret,
            products,
        })
    }
}

impl ReconcileConfig {
    pub fn interval(&self) -> Duration {
        Duration::from_millis(self.interval_ms)
    }
}

/// `https://host[:port][/path]`, or `http://` to a loopback host (a local sandbox calling back).
pub fn check_public_base_url(url: &str) -> Result<(), String> {
    let parsed = reqwest::Url::parse(url)
        .map_err(|e| format!("public_base_url {url:?} is not a URL: {e}"))?;
    if parsed.query().is_some() || !parsed.username().is_empty() || parsed.password().is_some() {
        return Err("public_base_url must not carry a query or credentials".to_owned());
    }
    match parsed.scheme() {
        "https" => Ok(()),
        "http" if is_loopback_host(&parsed) => Ok(()),
        _ => Err(format!(
            "public_base_url {url:?} must be https:// (Payment Kit calls back over https only), \
             or http:// to a loopback host for a local sandbox"
        )),
    }
}

fn is_loopback_host(url: &reqwest::Url) -> bool {
    match url.host() {
        Some(url::Host::Domain(d)) => d.eq_ignore_ascii_case("localhost"),
        Some(url::Host::Ipv4(ip)) => ip.is_loopback(),
        Some(url::Host::Ipv6(ip)) => ip.is_loopback(),
        None => false,
    }
}

fn read(path: &Path) -> Result<String, ConfigError> {
    std::fs::read_to_string(path).map_err(|source| ConfigError::Read {
        path: path.display().to_string(),
        source,
    })
}

/// Reads a secret file after checking nobody but its owner can read or change it.
pub fn read_secret(path: &Path) -> Result<String, ConfigError> {
    check_private(path)?;
    read(path)
}

#[cfg(unix)]
fn check_private(path: &Path) -> Result<(), ConfigError> {
    use std::os::unix::fs::PermissionsExt;
    let meta = std::fs::metadata(path).map_err(|source| ConfigError::Read {
        path: path.display().to_string(),
        source,
    })?;
    let mode = meta.permissions().mode() & 0o777;
    if mode & 0o077 != 0 {
        return Err(ConfigError::Exposed {
            path: path.display().to_string(),
            mode,
        });
    }
    Ok(())
}

#[cfg(not(unix))]
fn check_private(_path: &Path) -> Result<(), ConfigError> {
    Ok(())
}
