//! Starting the server: one shared [`AppState`], the public and admin listeners, the reconcile
//! worker, and a graceful stop (in-flight requests finish, the worker ends its pass, the pool
//! closes).

use std::net::SocketAddr;
use std::sync::Arc;

use tokio::net::TcpListener;
use tokio::sync::watch;
use tokio::task::JoinHandle;

use crate::auth::Authenticator;
use crate::commit::Committer;
use crate::config::{AuthMode, Settings};
use crate::db::{Db, DbError};
use crate::metrics::Metrics;
use crate::pk::PaymentKit;
use crate::{admin, http, ids, reconcile};

/// Everything the handlers and the worker share.
pub struct AppState {
    pub settings: Arc<Settings>,
    pub db: Db,
    pub payment_kit: PaymentKit,
    pub auth: Authenticator,
    pub metrics: Metrics,
    /// The writer that stores verified callbacks in batches (group commit).
    pub committer: Committer,
    /// This instance's name in row leases.
    pub instance: String,
}

#[derive(Debug, thiserror::Error)]
pub enum StartError {
    #[error(transparent)]
    Db(#[from] DbError),
    #[error("Payment Kit client: {0}")]
    PaymentKit(#[from] paysign_pas::PasError),
    #[error("cannot listen on {addr}: {source}")]
    Bind {
        addr: SocketAddr,
        source: std::io::Error,
    },
    #[error("{0}")]
    Other(String),
}

/// A server running in the background.
pub struct RunningServer {
    pub addr: SocketAddr,
    pub admin_addr: SocketAddr,
    pub state: Arc<AppState>,
    stop: watch::Sender<bool>,
    tasks: Vec<JoinHandle<()>>,
}

impl RunningServer {
    /// `http://ADDR` of the public listener.
    pub fn base_url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// `http://ADDR` of the admin listener.
    pub fn admin_url(&self) -> String {
        format!("http://{}", self.admin_addr)
    }

    /// Stops accepting, lets in-flight requests and the worker's pass finish, closes the pool.
    pub async fn shutdown(self) {
        let _ = self.stop.send(true);
        for task in self.tasks {
            let _ = task.await;
        }
        self.state.db.close().await;
    }
}

async fn bind(addr: SocketAddr) -> Result<TcpListener, StartError> {
    TcpListener::bind(addr)
        .await
        .map_err(|source| StartError::Bind { addr, source })
}

/// Connects the database (migrating it), binds both listeners and starts serving.
pub async fn start(settings: Settings) -> Result<RunningServer, StartError> {
    let settings = Arc::new(settings);
    let config = &settings.config;
    let db = Db::connect(&config.database_url).await?;
    let metrics = Metrics::new();
    let payment_kit = PaymentKit::new(Arc::clone(&settings), metrics.clone())?;
    let auth = match (config.auth.mode, &settings.jwt_secret) {
        (AuthMode::Jwt, Some(secret)) => Authenticator::jwt(secret).map_err(StartError::Other)?,
        (AuthMode::Jwt, None) => {
            return Err(StartError::Other("jwt mode without a secret".to_owned()))
        }
        (AuthMode::Dev, _) => Authenticator::Dev,
    };
    let instance = ids::new_id("I").map_err(|e| StartError::Other(e.to_string()))?;
    let committer = Committer::start(db.clone(), metrics.clone());
    let state = Arc::new(AppState {
        settings: Arc::clone(&settings),
        db,
        payment_kit,
        auth,
        metrics,
        committer,
        instance,
    });
    let public = bind(config.listen).await?;
    let admin = bind(config.admin_listen).await?;
    let addr = public.local_addr().map_err(|source| StartError::Bind {
        addr: config.listen,
        source,
    })?;
    let admin_addr = admin.local_addr().map_err(|source| StartError::Bind {
        addr: config.admin_listen,
        source,
    })?;
    let (stop, stopped) = watch::channel(false);
    let mut tasks = Vec::new();
    let public_app = http::router(&state).with_state(Arc::clone(&state));
    let admin_app = admin::router(&state).with_state(Arc::clone(&state));
    let limits = config.limits.serve();
    tasks.push(serve(public, public_app, limits, stopped.clone(), "public"));
    tasks.push(serve(admin, admin_app, limits, stopped.clone(), "admin"));
    if config.reconcile.enabled {
        tasks.push(tokio::spawn(reconcile::worker(Arc::clone(&state), stopped)));
    }
    Ok(RunningServer {
        addr,
        admin_addr,
        state,
        stop,
        tasks,
    })
}

/// Serves one listener under the configured limits (header and body deadlines, connection cap:
/// `paysign_serve`) until the stop signal.
fn serve(
    listener: TcpListener,
    app: axum::Router,
    limits: paysign_serve::ServeLimits,
    mut stopped: watch::Receiver<bool>,
    name: &'static str,
) -> JoinHandle<()> {
    tokio::spawn(async move {
        paysign_serve::serve(listener, app, limits, async move {
            while !*stopped.borrow() {
                if stopped.changed().await.is_err() {
                    break;
                }
            }
        })
        .await;
        tracing::debug!(listener = name, "listener stopped");
    })
}
