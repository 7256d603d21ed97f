//! Starting the sandbox: state, router (merchant API, bill downloads, operator API) and the
//! loopback listener. Tests start it in-process on an ephemeral port; the binary does the same.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use axum::extract::Request;
use axum::http::{header, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use axum::Router;
use paysign_crypto::PublicKey;
use paysign_serve::{BodyError, ServeLimits};
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
use crate::operator::OpError;
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
    /// Slow and greedy clients: header and body deadlines, connections at once.
    pub limits: ServeLimits,
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
            limits: ServeLimits::default(),
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
    #[error("limits: {0}")]
    Limits(String),
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
    /// The body deadline of every request (the rest of `SandboxOptions::limits` is the
    /// listener's).
    pub body_timeout: Duration,
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
    // The merchant API reads its own bodies (under the same deadline) to answer in Payment
    // Kit's signed envelope; the operator side answers `{"error": ...}`.
    let operator_side = operator::routes()
        .merge(cashier::routes())
        .merge(callback_ops::routes())
        .merge(withhold::routes())
        .merge(api_calls::routes())
        .layer(axum::middleware::from_fn_with_state(
            Arc::clone(&state),
            operator_body_gate,
        ));
    merchant_api::routes()
        .merge(operator_side)
        .fallback(|| async { OpError::new(StatusCode::NOT_FOUND, "no such path") })
        .method_not_allowed_fallback(|| async {
            OpError::new(StatusCode::METHOD_NOT_ALLOWED, "method not allowed here")
        })
        .with_state(state)
}

/// Reads an operator request's whole body (at most [`merchant_api::MAX_BODY`], within the body
/// deadline) before its handler, and insists a non-empty body is declared JSON: a body sent
/// without `Content-Type` would otherwise be read as "no body" and its defaults applied.
async fn operator_body_gate(
    axum::extract::State(state): axum::extract::State<Arc<AppState>>,
    request: Request,
    next: Next,
) -> Response {
    let request =
        match paysign_serve::buffer_request(request, merchant_api::MAX_BODY, state.body_timeout)
            .await
        {
            Ok(r) => r,
            Err(e) => {
                let status = match e {
                    BodyError::TooLarge { .. } => StatusCode::PAYLOAD_TOO_LARGE,
                    BodyError::TimedOut { .. } => StatusCode::REQUEST_TIMEOUT,
                    BodyError::Unreadable(_) => StatusCode::BAD_REQUEST,
                };
                return OpError::new(status, e.to_string()).into_response();
            }
        };
    let has_body = axum::body::HttpBody::size_hint(request.body())
        .exact()
        .is_some_and(|n| n > 0);
    let content_type = request
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok());
    if has_body && !paysign_serve::is_json_utf8(content_type) {
        return OpError::new(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "a request body must be sent as Content-Type: application/json (UTF-8)",
        )
        .into_response();
    }
    as_error_body(next.run(request).await).await
}

/// axum's own refusals (a bad path or query parameter, a JSON rejection left unmapped) are plain
/// text; the operator API answers every error as `{"error": ...}`.
async fn as_error_body(response: Response) -> Response {
    let status = response.status();
    let is_json = response
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|c| paysign_serve::is_json_utf8(Some(c)));
    if !(status.is_client_error() || status.is_server_error()) || is_json {
        return response;
    }
    let text = axum::body::to_bytes(response.into_body(), 64 * 1024)
        .await
        .map(|b| String::from_utf8_lossy(&b).into_owned())
        .unwrap_or_default();
    let message = if text.trim().is_empty() {
        status.canonical_reason().unwrap_or("error").to_owned()
    } else {
        text
    };
    OpError::new(status, message).into_response()
}

/// Binds, registers the configured merchants and serves in a background task.
pub async fn start(options: SandboxOptions) -> Result<RunningSandbox, StartError> {
    if !options.listen.ip().is_loopback() {
        return Err(StartError::NotLoopback(options.listen));
    }
    options.withhold.validate().map_err(StartError::Withhold)?;
    options.limits.validate().map_err(StartError::Limits)?;
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
        body_timeout: options.limits.body_timeout,
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
    let limits = options.limits;
    let task = tokio::spawn(async move {
        paysign_serve::serve(
            FaultyListener::new(listener, faults),
            app,
            limits,
            async move {
                let _ = rx.await;
            },
        )
        .await;
        Ok(())
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
