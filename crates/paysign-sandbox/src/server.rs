//! Starting the sandbox: state, router (merchant API, bill downloads, operator API) and the
//! loopback listener. Tests start it in-process on an ephemeral port; the binary does the same.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;

use axum::Router;
use paysign_crypto::PublicKey;
use tokio::net::TcpListener;
use tokio::sync::{broadcast, oneshot, watch};
use tokio::task::JoinHandle;

use crate::api_calls::ApiCalls;
use crate::clock::Clock;
use crate::dispatcher::{self, CallbackOptions};
use crate::events::{EventBus, SandboxEvent};
use crate::faults::{Faults, FaultyListener};
use crate::lifecycle::Lifecycle;
use crate::merchants::{ConfigError, Merchant, SandboxConfig};
use crate::signing::{Signer, SigningError};
use crate::store::{self, Store, StoreError};
use crate::withhold::{self, WithholdSettings, Withholding};
use crate::{api_calls, callback_ops, cashier, merchant_api, operator, rules};

/// How to start a sandbox.
#[derive(Debug, Clone)]
pub struct SandboxOptions {
    /// Loopback address to bind; port 0 picks a free one.
    pub listen: SocketAddr,
    /// SQLite file; `None` keeps the state in memory.
    pub db: Option<PathBuf>,
    /// The sandbox's SM2 private key file; `None` generates one.
    pub key: Option<PathBuf>,
    /// Merchants to register at start.
    pub config: SandboxConfig,
    /// The base URL merchants reach the sandbox at, for bill download links (default: the bound
    /// address).
    pub public_url: Option<String>,
    /// Allowed difference between PayMercAuth.time and the wall clock.
    pub max_clock_skew_ms: i64,
    /// One stderr line per merchant API call (method, path, resultCode, subCode; never
    /// signatures, keys or prepayIds), cashier call and callback attempt.
    pub log_requests: bool,
    /// Deliver notifications to their callbackUrls; `None`: only served by the operator API.
    pub callbacks: Option<CallbackOptions>,
    /// Also POST callbacks to https URLs of other hosts (the binary's default). Off by default
    /// in the library: only loopback callback URLs are contacted, so tests never leave the
    /// machine; other URLs end `REFUSED`.
    pub remote_callbacks: bool,
    /// Withholding debit limits and automatic results.
    pub withhold: WithholdSettings,
}

impl Default for SandboxOptions {
    fn default() -> Self {
        Self {
            listen: SocketAddr::from(([127, 0, 0, 1], 0)),
            db: None,
            key: None,
            config: SandboxConfig::default(),
            public_url: None,
            max_clock_skew_ms: rules::DEFAULT_MAX_CLOCK_SKEW_MS,
            log_requests: false,
            callbacks: None,
            remote_callbacks: false,
            withhold: WithholdSettings::default(),
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum StartError {
    #[error("the sandbox only listens on loopback addresses (127.0.0.1 or ::1), not {0}")]
    NotLoopback(SocketAddr),
    #[error("cannot listen on {addr}: {source}")]
    Bind {
        addr: SocketAddr,
        source: std::io::Error,
    },
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error(transparent)]
    Signing(#[from] SigningError),
    #[error(transparent)]
    Config(#[from] ConfigError),
    #[error("withholding settings: {0}")]
    Withhold(String),
    #[error("the callback HTTP client: {0}")]
    Callbacks(String),
    #[error("merchant {merc_no}: {message}")]
    Merchant { merc_no: String, message: String },
}

/// Everything the handlers share.
pub struct AppState {
    pub lifecycle: Lifecycle,
    pub store: Arc<Store>,
    pub clock: Arc<Clock>,
    pub signer: Signer,
    pub faults: Arc<Faults>,
    pub bus: EventBus,
    /// The callback dispatcher's faults and wake-up (present when it is off, for the API).
    pub callbacks: Arc<dispatcher::Control>,
    pub withhold: Withholding,
    pub max_clock_skew_ms: i64,
    pub public_url: String,
    pub log_requests: bool,
    /// Per-item merchant API calls since this start (`GET /sandbox/api-calls`).
    pub api_calls: ApiCalls,
}

impl AppState {
    /// Registers (or replaces) a merchant after checking it and its public key.
    pub fn register_merchant(&self, merchant: &Merchant) -> Result<(), String> {
        merchant.validate()?;
        PublicKey::from_text(&merchant.public_key)
            .map_err(|e| format!("merchant {}: publicKey: {e}", merchant.merc_no))?;
        self.store
            .run(|c| store::put_merchant(c, merchant))
            .map_err(|e| e.to_string())
    }
}

/// A sandbox serving in the background.
pub struct RunningSandbox {
    addr: SocketAddr,
    state: Arc<AppState>,
    shutdown: Option<oneshot::Sender<()>>,
    task: JoinHandle<std::io::Result<()>>,
    stop_dispatcher: watch::Sender<bool>,
    dispatcher: Option<JoinHandle<()>>,
}

impl RunningSandbox {
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// `http://127.0.0.1:PORT`.
    pub fn base_url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// The key merchants verify the sandbox's answers and notifications with.
    pub fn public_key(&self) -> PublicKey {
        self.state.signer.public_key()
    }

    /// Live events (see `events`).
    pub fn subscribe(&self) -> broadcast::Receiver<SandboxEvent> {
        self.state.bus.subscribe()
    }

    pub fn state(&self) -> &Arc<AppState> {
        &self.state
    }

    /// Stops accepting, finishes in-flight requests, and waits for the server to end. Callbacks
    /// being sent are abandoned (with `--db` they are sent again after the next start).
    pub async fn shutdown(mut self) -> std::io::Result<()> {
        let _ = self.stop_dispatcher.send(true);
        if let Some(dispatcher) = self.dispatcher.take() {
            let _ = dispatcher.await;
        }
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
        match (&mut self.task).await {
            Ok(r) => r,
            Err(e) => Err(std::io::Error::other(e)),
        }
    }

    /// Serves until the server task ends (it never does on its own; for a binary that is
    /// stopped by a signal).
    pub async fn wait(mut self) -> std::io::Result<()> {
        let _keep_serving = self.shutdown.take();
        match self.task.await {
            Ok(r) => r,
            Err(e) => Err(std::io::Error::other(e)),
        }
    }
}

pub fn router(state: Arc<AppState>) -> Router {
    merchant_api::routes()
        .merge(operator::routes())
        .merge(cashier::routes())
        .merge(callback_ops::routes())
        .merge(withhold::routes())
        .merge(api_calls::routes())
        .with_state(state)
}

/// Binds, registers the configured merchants and serves in a background task.
pub async fn start(options: SandboxOptions) -> Result<RunningSandbox, StartError> {
    if !options.listen.ip().is_loopback() {
        return Err(StartError::NotLoopback(options.listen));
    }
    options.withhold.validate().map_err(StartError::Withhold)?;
    let store = Arc::new(match &options.db {
        Some(path) => Store::open(path)?,
        None => Store::in_memory()?,
    });
    let signer = match &options.key {
        Some(path) => Signer::from_file(path)?,
        None => Signer::generate()?,
    };
    let listener = TcpListener::bind(options.listen)
        .await
        .map_err(|source| StartError::Bind {
            addr: options.listen,
            source,
        })?;
    let addr = listener.local_addr().map_err(|source| StartError::Bind {
        addr: options.listen,
        source,
    })?;
    let clock = Arc::new(Clock::new());
    let bus = EventBus::new();
    let faults = Arc::new(Faults::default());
    let state = Arc::new(AppState {
        lifecycle: Lifecycle::new(Arc::clone(&store), Arc::clone(&clock), bus.clone()),
        store,
        clock,
        signer,
        faults: Arc::clone(&faults),
        bus,
        callbacks: Arc::new(dispatcher::Control::new(
            options.callbacks.is_some(),
            options.remote_callbacks,
        )),
        withhold: Withholding::new(options.withhold),
        max_clock_skew_ms: options.max_clock_skew_ms,
        log_requests: options.log_requests,
        api_calls: ApiCalls::default(),
        public_url: options
            .public_url
            .clone()
            .map(|u| u.trim_end_matches('/').to_owned())
            .unwrap_or_else(|| format!("http://{addr}")),
    });
    for m in &options.config.merchants {
        state
            .register_merchant(m)
            .map_err(|message| StartError::Merchant {
                merc_no: m.merc_no.clone(),
                message,
            })?;
    }
    let (stop_dispatcher, stop) = watch::channel(false);
    // Ends with the dispatcher's stop signal (or when the sandbox is dropped).
    drop(withhold::spawn_worker(
        Arc::clone(&state),
        stop_dispatcher.subscribe(),
    ));
    let dispatcher = match options.callbacks.clone() {
        Some(callback_options) => {
            let client =
                dispatcher::http_client().map_err(|e| StartError::Callbacks(e.to_string()))?;
            Some(dispatcher::spawn(
                Arc::clone(&state),
                client,
                callback_options,
                stop,
            ))
        }
        None => None,
    };
    let (tx, rx) = oneshot::channel::<()>();
    let app = router(Arc::clone(&state));
    let task = tokio::spawn(async move {
        axum::serve(FaultyListener::new(listener, faults), app)
            .with_graceful_shutdown(async move {
                let _ = rx.await;
            })
            .await
    });
    Ok(RunningSandbox {
        addr,
        state,
        shutdown: Some(tx),
        task,
        stop_dispatcher,
        dispatcher,
    })
}
