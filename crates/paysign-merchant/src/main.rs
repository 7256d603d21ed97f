//! `paysign-merchant`: the reference merchant server for Payment Kit pay-and-sign.

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};
use paysign_merchant::config::{AuthMode, Config};
use tracing_subscriber::EnvFilter;

/// The reference merchant server for Huawei Payment Kit pay-and-sign (支付并签约).
///
/// Serves the app (POST /paysign/orders, GET /paysign/orders/{mercOrderNo}) and Payment Kit's
/// callbacks (/paysign/callbacks/payment|contract|refund) on `listen`, and the operations API
/// (/admin/..., /metrics) on `admin_listen`; both answer /healthz and /readyz. A worker
/// queries Payment Kit for whatever stayed pending.
///
/// On start it prints two lines:
///   paysign-merchant listening on http://ADDR
///   paysign-merchant admin on http://ADDR
///
/// Logs go to stderr (RUST_LOG, default info); they never carry keys, signatures, orderStrs or
/// prepay ids. SIGTERM or Ctrl-C: finish in-flight requests, then exit.
///
/// ADMIN API (Authorization: Bearer <admin token>), JSON:
///   GET  /admin/orders[?limit=&before=]      GET /admin/orders/{mercOrderNo}
///   POST /admin/orders/{mercOrderNo}/refunds {"mercRefundOrderNo"?, "amountFen"?, "reason"?}
///   GET  /admin/refunds/{mercRefundOrderNo}[?query=true]
///   GET  /admin/contracts[?limit=&before=]   GET /admin/contracts/{mercContractCode}
///   POST /admin/contracts/{code}/unsign
///   POST /admin/contracts/{code}/charges     {"productId" | "amountFen", "mercOrderNo"?}
///   GET  /admin/debits/{mercOrderNo}
///   GET  /admin/bills/{trade|settle}/{yyyyMMdd}   the bill against the database
///   POST /admin/reconcile                    one reconcile pass now
///   GET  /metrics                            Prometheus text (no token)
///
/// See docs/merchant-server.md for the configuration file, https and PostgreSQL.
#[derive(Debug, Parser)]
#[command(name = "paysign-merchant", version, verbatim_doc_comment)]
struct Args {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Run the server.
    Serve {
        /// The configuration file (TOML; see docs/merchant-server.md).
        #[arg(long, value_name = "FILE")]
        config: PathBuf,
    },
    /// Check the configuration file and the files it names, then exit.
    CheckConfig {
        #[arg(long, value_name = "FILE")]
        config: PathBuf,
    },
}

fn announce(server: &paysign_merchant::RunningServer) {
    use std::io::Write;
    let mut out = std::io::stdout().lock();
    let _ = writeln!(out, "paysign-merchant listening on {}", server.base_url());
    let _ = writeln!(out, "paysign-merchant admin on {}", server.admin_url());
    let _ = out.flush();
}

async fn stop_signal() {
    #[cfg(unix)]
    {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut term) => {
                tokio::select! {
                    _ = tokio::signal::ctrl_c() => {}
                    _ = term.recv() => {}
                }
            }
            Err(_) => {
                let _ = tokio::signal::ctrl_c().await;
            }
        }
    }
    #[cfg(not(unix))]
    {
        let _ = tokio::signal::ctrl_c().await;
    }
}

fn load(path: &std::path::Path) -> Result<paysign_merchant::Settings, String> {
    Config::from_file(path)
        .and_then(Config::load)
        .map_err(|e| e.to_string())
}

#[tokio::main]
async fn main() -> ExitCode {
    tracing_subscriber::fmt()
        .with_env_filter(
            EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info")),
        )
        .with_writer(std::io::stderr)
        .init();
    match Args::parse().command {
        Command::CheckConfig { config } => match load(&config) {
            Ok(_) => {
                println!("{}: ok", config.display());
                ExitCode::SUCCESS
            }
            Err(e) => {
                eprintln!("paysign-merchant: {e}");
                ExitCode::from(2)
            }
        },
        Command::Serve { config } => {
            let settings = match load(&config) {
                Ok(s) => s,
                Err(e) => {
                    eprintln!("paysign-merchant: {e}");
                    return ExitCode::from(2);
                }
            };
            if settings.config.auth.mode == AuthMode::Dev {
                eprintln!(
                    "paysign-merchant: WARNING: auth.mode = \"dev\": the user id is taken from \
                     the X-Paysign-User header, so ANYONE CAN ACT AS ANY USER. Local runs only; \
                     use auth.mode = \"jwt\" anywhere else."
                );
                tracing::warn!("insecure dev authentication is on");
            }
            let server = match paysign_merchant::start(settings).await {
                Ok(s) => s,
                Err(e) => {
                    eprintln!("paysign-merchant: {e}");
                    return ExitCode::from(1);
                }
            };
            announce(&server);
            stop_signal().await;
            tracing::info!("stopping: finishing in-flight requests");
            server.shutdown().await;
            ExitCode::SUCCESS
        }
    }
}
