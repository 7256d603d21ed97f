//! `paysign-load`: load and fault runs against the real paysign-merchant and paysign-sandbox
//! binaries on loopback (`make load`, `make faults`; docs/reliability.md).

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};
use paysign_load::db::{postgres_url, Backend};
use paysign_load::faults::{self, Kill9Options, TwoInstancesOptions};
use paysign_load::load::{self, LoadOptions};
use paysign_load::stack::Binaries;
use paysign_load::Res;

/// Load and fault runs against paysign-merchant and paysign-sandbox, each started as its own
/// process on loopback from real configuration files in a temporary directory.
///
/// PostgreSQL parts run when PAYSIGN_TEST_POSTGRES_URL names a server whose databases may be
/// created (scripts/pg-test.sh starts a throwaway one); with PAYSIGN_REQUIRE_POSTGRES=1 a
/// missing one is an error.
#[derive(Debug, Parser)]
#[command(name = "paysign-load", verbatim_doc_comment)]
struct Args {
    /// Where paysign-merchant and paysign-sandbox are (default: next to this program).
    #[arg(long, global = true, value_name = "DIR")]
    bin_dir: Option<PathBuf>,
    /// Threads of this program's async runtime, which drives every request. 1 (a current-thread
    /// runtime) takes the least scheduling from the servers on the same cores; the SM2 verify
    /// bound always runs on every core.
    #[arg(long, global = true, default_value_t = 1, value_name = "N")]
    driver_threads: usize,
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// The callback endpoint at several concurrencies against the SM2 verify bound, and order
    /// creation against the bare pre-order; prints a report.
    Load {
        /// Requests in flight, one callback round per value.
        #[arg(long, value_delimiter = ',', default_value = "1,4,16,64")]
        concurrency: Vec<usize>,
        /// Notifications per concurrency level.
        #[arg(long, default_value_t = 600)]
        callbacks: usize,
        /// Rounds per level, alternating with the verify-bound measurement.
        #[arg(long, default_value_t = 3)]
        rounds: usize,
        /// Orders per round of the order-creation comparison.
        #[arg(long, default_value_t = 200)]
        orders: usize,
        #[arg(long, value_delimiter = ',', default_value = "1,4")]
        order_concurrency: Vec<usize>,
    },
    /// kill -9 of the merchant while callbacks flow (SQLite and PostgreSQL), and two instances
    /// on one PostgreSQL; prints counts, fails on any violation.
    Faults {
        /// Fewer orders (the version `make test` runs).
        #[arg(long)]
        quick: bool,
    },
}

fn backends() -> Res<Vec<Backend>> {
    if postgres_url().is_some() {
        return Ok(vec![Backend::Sqlite, Backend::Postgres]);
    }
    if std::env::var("PAYSIGN_REQUIRE_POSTGRES").as_deref() == Ok("1") {
        return Err(
            "PAYSIGN_REQUIRE_POSTGRES=1 but PAYSIGN_TEST_POSTGRES_URL is not set".to_owned(),
        );
    }
    println!("PostgreSQL: skipped (PAYSIGN_TEST_POSTGRES_URL is not set; make load / make faults set it)");
    Ok(vec![Backend::Sqlite])
}

async fn run(args: Args) -> Res<()> {
    let bins = Binaries::find(args.bin_dir.as_deref())?;
    match args.command {
        Command::Load {
            concurrency,
            callbacks,
            rounds,
            orders,
            order_concurrency,
        } => {
            let o = LoadOptions {
                concurrencies: concurrency,
                callbacks,
                rounds,
                orders,
                order_concurrency,
            };
            for backend in backends()? {
                load::run(&bins, backend, &o).await?;
            }
        }
        Command::Faults { quick } => {
            let kill = Kill9Options {
                orders: if quick { 60 } else { 200 },
            };
            let two = TwoInstancesOptions {
                delivered: if quick { 24 } else { 100 },
                dropped: if quick { 12 } else { 40 },
            };
            let backends = backends()?;
            for &backend in &backends {
                faults::kill9(&bins, backend, kill).await?;
            }
            if backends.contains(&Backend::Postgres) {
                faults::two_instances(&bins, two).await?;
            }
        }
    }
    Ok(())
}

fn main() -> ExitCode {
    let args = Args::parse();
    let runtime = match args.driver_threads {
        0 | 1 => tokio::runtime::Builder::new_current_thread(),
        n => {
            let mut b = tokio::runtime::Builder::new_multi_thread();
            b.worker_threads(n);
            b
        }
    }
    .enable_all()
    .build();
    let runtime = match runtime {
        Ok(r) => r,
        Err(e) => {
            eprintln!("paysign-load: {e}");
            return ExitCode::from(1);
        }
    };
    match runtime.block_on(run(args)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("paysign-load: {e}");
            ExitCode::from(1)
        }
    }
}
