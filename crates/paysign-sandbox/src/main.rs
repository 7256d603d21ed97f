//! `paysign-sandbox`: a local simulator of the Huawei Payment Kit server for pay and sign.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::ExitCode;

use clap::Parser;
use paysign_sandbox::{start, SandboxConfig, SandboxOptions};

/// A local simulator of the Huawei Payment Kit server (pay and sign, 支付并签约).
///
/// Answers the Payment Kit server API for direct merchants and service providers over HTTP on
/// loopback, the way paysign-pas and the Huawei SDKs call it: PayMercAuth is checked with the
/// merchant's public key, every answer is signed with the sandbox's own SM2 key, and the
/// Payment Kit rules are enforced (field lengths, amounts, duplicate mercOrderNo, 10-minute
/// prepay validity, refunds bounded by the paid amount, unsign of signed contracts only).
///
/// On start it prints one line `paysign-sandbox listening on http://127.0.0.1:PORT`, then the
/// public key merchants must configure as Huawei's key (also served at GET /sandbox/public-key).
///
/// MERCHANT API (PayMercAuth): the pay-and-sign pre-order (/create/app and /create/fa), query
/// order, refund, query refund, query contract, unsign, trade and settle bill downloadInfo —
/// direct paths under /api/v1|v2/..., service-provider paths under /api/.../partner/...
/// Bill files are served at GET /obs/bills/{token} with the headers downloadInfo gave.
///
/// OPERATOR API (no auth, loopback only), JSON:
///   GET  /sandbox/health | /sandbox/public-key
///   GET  /sandbox/merchants          POST /sandbox/merchants  (a merchant, as in the config)
///   GET  /sandbox/orders[?mercNo=]   GET /sandbox/orders/{mercNo}/{mercOrderNo}
///   POST /sandbox/orders/{mercNo}/{mercOrderNo}/pay | /fail | /expire   (as the cashier)
///   GET  /sandbox/contracts[?mercNo=]   GET /sandbox/contracts/{mercNo}/{mercContractCode}
///   POST /sandbox/contracts/{mercNo}/{mercContractCode}/sign            (after pay)
///   POST /sandbox/contracts/{mercNo}/{mercContractCode}/unsign  {"changeMode":"USER_UNSIGN"}
///   GET  /sandbox/refunds[?mercNo=]
///   POST /sandbox/refunds/{mercNo}/{mercRefundOrderNo}/complete  {"success":true}
///   GET  /sandbox/events[?after=SEQ]   GET /sandbox/events/{seq}/notification[?dataType=encrypt]
///   POST /sandbox/cashier {"orderStr":"...","decision":"PAY_AND_SIGN"}   (the phone's cashier:
///        PAY_AND_SIGN | PAY_ONLY | CANCEL | FAIL | PAID_NETWORK_ERROR | ALREADY_PROCESSED;
///        answers {"code":0} or {"code":1001930001,"message":"Pay failed.","reason":"..."})
///   GET  /sandbox/clock                POST /sandbox/clock {"advanceMs":600000}
///   GET  /sandbox/faults               POST /sandbox/faults {"dropConnections":1,
///        "frequencyLimited":1,"unavailable":1,"tamperResponses":1,"delayedResponses":1,"delayMs":2000}
///
/// CONFIG FILE (--config, JSON):
///   {"merchants":[{"mercNo":"101","name":"Shop","model":"DIRECT","authId":"A1",
///     "publicKey":"-----BEGIN PUBLIC KEY-----...","appIds":["5765"],"planIds":["P1"],
///     "refundEnabled":true,"tradeBillEnabled":true,"settleBillEnabled":true},
///    {"mercNo":"201","model":"SP","authId":"A2","publicKey":"...","appIds":["SPAPP"],
///     "planIds":["P2"],"subMerchants":[{"mercNo":"301","name":"Sub","appIds":["SUBAPP"]}]}]}
///
/// See docs/sandbox.md for the rules and a walk-through.
#[derive(Debug, Parser)]
#[command(name = "paysign-sandbox", version, verbatim_doc_comment)]
struct Args {
    /// Loopback address to listen on; port 0 picks a free port.
    #[arg(long, default_value = "127.0.0.1:8787")]
    listen: SocketAddr,
    /// Keep the state in this SQLite file (created if missing) instead of in memory.
    #[arg(long, value_name = "FILE")]
    db: Option<PathBuf>,
    /// The sandbox's SM2 private key (PEM PKCS#8, or Base64/hex DER); generated when absent.
    #[arg(long, value_name = "FILE")]
    key: Option<PathBuf>,
    /// Merchants to register at start (JSON, see above).
    #[arg(long, value_name = "FILE")]
    config: Option<PathBuf>,
    /// Base URL merchants reach the sandbox at, used in bill download links (default: the
    /// listening address).
    #[arg(long, value_name = "URL")]
    public_url: Option<String>,
    /// Largest accepted difference, in seconds, between PayMercAuth.time and this machine's clock.
    #[arg(long, default_value_t = 300)]
    max_clock_skew_secs: u32,
    /// Do not log merchant API calls to stderr (one line each: method, path, result code).
    #[arg(long)]
    quiet: bool,
}

/// The start-up lines scripts read. Written without `println!` so a closed stdout (the reader
/// went away) cannot stop the server.
fn announce(sandbox: &paysign_sandbox::RunningSandbox) {
    use std::io::Write;
    let key = sandbox.public_key();
    let mut out = std::io::stdout().lock();
    let _ = writeln!(out, "paysign-sandbox listening on {}", sandbox.base_url());
    let _ = writeln!(
        out,
        "paysign-sandbox public key (SM2, point hex): {}",
        key.to_sm2_point_hex().unwrap_or_default()
    );
    let _ = write!(out, "{}", key.to_spki_pem());
    let _ = out.flush();
}

/// Ctrl-C or SIGTERM: finish in-flight requests, then exit.
async fn stop_signal() -> std::io::Result<()> {
    #[cfg(unix)]
    {
        let mut term = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())?;
        tokio::select! {
            r = tokio::signal::ctrl_c() => r,
            _ = term.recv() => Ok(()),
        }
    }
    #[cfg(not(unix))]
    {
        tokio::signal::ctrl_c().await
    }
}

#[tokio::main]
async fn main() -> ExitCode {
    let args = Args::parse();
    let config = match &args.config {
        Some(path) => match SandboxConfig::from_file(path) {
            Ok(c) => c,
            Err(e) => {
                eprintln!("paysign-sandbox: {e}");
                return ExitCode::from(2);
            }
        },
        None => SandboxConfig::default(),
    };
    let options = SandboxOptions {
        listen: args.listen,
        db: args.db,
        key: args.key,
        config,
        public_url: args.public_url,
        max_clock_skew_ms: i64::from(args.max_clock_skew_secs) * 1000,
        log_requests: !args.quiet,
    };
    let sandbox = match start(options).await {
        Ok(s) => s,
        Err(e) => {
            eprintln!("paysign-sandbox: {e}");
            return ExitCode::from(1);
        }
    };
    announce(&sandbox);
    if stop_signal().await.is_err() {
        // No signal handler available: serve until killed.
        return match sandbox.wait().await {
            Ok(()) => ExitCode::SUCCESS,
            Err(e) => {
                eprintln!("paysign-sandbox: {e}");
                ExitCode::from(1)
            }
        };
    }
    match sandbox.shutdown().await {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("paysign-sandbox: {e}");
            ExitCode::from(1)
        }
    }
}
