//! `paysign-sandbox`: a local simulator of the Huawei Payment Kit server for pay and sign.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

use clap::Parser;
use paysign_sandbox::{
    start, AutoResult, CallbackOptions, RetrySchedule, SandboxConfig, SandboxOptions, ServeLimits,
    WithholdSettings,
};

/// A local simulator of the Huawei Payment Kit server (pay and sign, 支付并签约).
///
/// Answers the Payment Kit server API for direct merchants and service providers over HTTP on
/// loopback, the way paysign-pas and the Huawei SDKs call it: PayMercAuth is checked with the
/// merchant's public key, every answer is signed with the sandbox's own SM2 key, and the
/// Payment Kit rules are enforced (field lengths, amounts, duplicate mercOrderNo, 10-minute
/// prepay validity, refunds bounded by the paid amount, unsign of signed contracts only).
///
/// On start it prints one line `paysign-sandbox listening on http://127.0.0.1:PORT`, then the
/// public key merchants must configure as Huawei's key (also served at GET /sandbox/public-key),
/// then `paysign-sandbox cashier: POST <url>` and `paysign-sandbox callbacks: ...`.
///
/// CALLBACKS: every notification is POSTed, signed, to its callbackUrl (https, or http to a
/// loopback host; nothing else is contacted) until answered with
/// {"resultCode":"000000","resultDesc":"Success."}, with the same callbackId on every retry.
///
/// MERCHANT API (PayMercAuth): the pay-and-sign pre-order (/create/app and /create/fa), query
/// order, refund, query refund, query contract, unsign, withholding debit (/transactions/withhold),
/// trade and settle bill downloadInfo —
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
///   GET  /sandbox/debits[?mercNo=]   GET /sandbox/debits/{mercNo}/{mercOrderNo}
///   POST /sandbox/debits/{mercNo}/{mercOrderNo}/succeed | /fail   (a withholding debit's result)
///   GET  /sandbox/withhold-settings    POST /sandbox/withhold-settings {"maxDebits":5,
///        "windowMs":14400000,"autoResult":"SUCCESS","autoDelayMs":2000}   (SUCCESS|FAIL|OFF)
///   GET  /sandbox/events[?after=SEQ]   GET /sandbox/events/{seq}/notification[?dataType=encrypt]
///   POST /sandbox/cashier {"orderStr":"...","decision":"PAY_AND_SIGN"}   (the phone's cashier:
///        PAY_AND_SIGN | PAY_ONLY | CANCEL | FAIL | PAID_NETWORK_ERROR | ALREADY_PROCESSED;
///        answers {"code":0} or {"code":1001930001,"message":"Pay failed.","reason":"..."})
///   GET  /sandbox/callbacks[?mercNo=&callbackId=]   (every callback and its attempts)
///   GET  /sandbox/api-calls[?mercNo=&api=]   (merchant API calls per order, contract, refund:
///        [{"mercNo","api":"prepay|queryOrder|queryContract|queryRefund","key","count"}])
///   GET  /sandbox/callback-faults      POST /sandbox/callback-faults {"drop":1,"duplicate":1,
///        "copies":3,"concurrentCopies":2,"delay":1,"delayMs":2000,"outOfOrder":2}
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
    /// Do not log to stderr (merchant API calls, cashier calls, callback attempts).
    #[arg(long)]
    quiet: bool,
    /// Do not POST notifications to their callbackUrls (they stay readable at
    /// /sandbox/events/{seq}/notification).
    #[arg(long)]
    no_callbacks: bool,
    /// Multiply the callback retry schedule (3 x 20 s, 17 x 200 s, then every 3 h up to 48 h)
    /// by this factor: 0.001 makes it 20 ms, 200 ms, 10.8 s (36 attempts over 165 s).
    #[arg(long, value_name = "FACTOR", default_value_t = 1.0)]
    callback_schedule_scale: f64,
    /// How long a merchant may take to acknowledge a callback before it counts as failed.
    #[arg(long, value_name = "MS", default_value_t = 3000)]
    callback_timeout_ms: u64,
    /// POST callbacks to loopback URLs only (https to other hosts ends REFUSED, uncontacted).
    #[arg(long)]
    loopback_callbacks_only: bool,
    /// Withholding debits accepted per contract within --withhold-window-secs; one more is
    /// WITHHOLD_OVER_TIMES.
    #[arg(long, value_name = "N", default_value_t = 5)]
    withhold_max_debits: u32,
    /// The rolling window of --withhold-max-debits.
    #[arg(long, value_name = "SECS", default_value_t = 4 * 3600)]
    withhold_window_secs: u32,
    /// What an accepted debit becomes when the operator API does not decide: success, fail or
    /// off (stays processing).
    #[arg(long, value_name = "RESULT", default_value = "success", value_parser = parse_auto)]
    withhold_auto: AutoResult,
    /// Delay before that automatic result.
    #[arg(long, value_name = "MS", default_value_t = 2000)]
    withhold_delay_ms: u32,
    /// Time a client has to send a request head (and how long an idle connection stays open).
    #[arg(long, value_name = "MS", default_value_t = 10_000)]
    header_timeout_ms: u64,
    /// Time a client has to send a request body once its head arrived.
    #[arg(long, value_name = "MS", default_value_t = 30_000)]
    body_timeout_ms: u64,
    /// Connections served at once; more wait to be accepted.
    #[arg(long, value_name = "N", default_value_t = 512)]
    max_connections: usize,
}

fn parse_auto(s: &str) -> Result<AutoResult, String> {
    AutoResult::parse(s).ok_or_else(|| format!("{s:?}: expected success, fail or off"))
}

/// The start-up lines scripts read. Written without `println!` so a closed stdout (the reader
/// went away) cannot stop the server.
fn announce(sandbox: &paysign_sandbox::RunningSandbox, callbacks: Option<&CallbackOptions>) {
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
    let _ = writeln!(
        out,
        "paysign-sandbox cashier: POST {}/sandbox/cashier",
        sandbox.base_url()
    );
    let _ = match callbacks {
        Some(c) => writeln!(
            out,
            "paysign-sandbox callbacks: delivered, {} attempts over {} ms, answer timeout {} ms",
            c.schedule.attempts(),
            c.schedule.span().as_millis(),
            c.timeout.as_millis()
        ),
        None => writeln!(
            out,
            "paysign-sandbox callbacks: not delivered (--no-callbacks)"
        ),
    };
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
    let callbacks = if args.no_callbacks {
        None
    } else {
        let Some(schedule) = RetrySchedule::borrowed_hms().scaled(args.callback_schedule_scale)
        else {
            eprintln!(
                "paysign-sandbox: --callback-schedule-scale must be a finite number of 0 or more"
            );
            return ExitCode::from(2);
        };
        Some(CallbackOptions {
            schedule,
            timeout: Duration::from_millis(args.callback_timeout_ms),
        })
    };
    if args.db.is_some() && args.key.is_none() {
        eprintln!(
            "paysign-sandbox: --db without --key: a new key signs from now on, so merchants \
             must configure it again and callbacks stored before this start no longer verify"
        );
    }
    let options = SandboxOptions {
        listen: args.listen,
        db: args.db,
        key: args.key,
        config,
        public_url: args.public_url,
        max_clock_skew_ms: i64::from(args.max_clock_skew_secs) * 1000,
        log_requests: !args.quiet,
        callbacks: callbacks.clone(),
        remote_callbacks: !args.loopback_callbacks_only,
        withhold: WithholdSettings {
            max_debits: args.withhold_max_debits,
            window_ms: i64::from(args.withhold_window_secs.max(1)) * 1000,
            auto_result: args.withhold_auto,
            auto_delay_ms: i64::from(args.withhold_delay_ms),
        },
        limits: ServeLimits {
            header_timeout: Duration::from_millis(args.header_timeout_ms),
            body_timeout: Duration::from_millis(args.body_timeout_ms),
            max_connections: args.max_connections,
        },
    };
    let sandbox = match start(options).await {
        Ok(s) => s,
        Err(e) => {
            eprintln!("paysign-sandbox: {e}");
            return ExitCode::from(1);
        }
    };
    announce(&sandbox, callbacks.as_ref());
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
