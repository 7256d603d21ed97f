//! Load and fault runs against the real `paysign-merchant` and `paysign-sandbox` binaries, each
//! a separate process on loopback (`make load`, `make faults`; docs/reliability.md):
//!
//! - `stack`: the two binaries started from real configuration files, killed and restarted;
//! - `db`: a fresh database per run, and counts read straight from the merchant's tables;
//! - `api`: the HTTP calls an app, Payment Kit's cashier and an operator make;
//! - `client`: the lean keep-alive HTTP/1.1 client of the measured requests;
//! - `measure`: the SM2 verify bound, a closed-loop driver, percentiles, CPU time;
//! - `load`: the callback endpoint at several concurrencies, order creation against the bare
//!   pre-order;
//! - `faults`: SIGKILL of the merchant while callbacks flow, and two instances on one
//!   PostgreSQL, each run printing its counts and failing on any violation.

pub mod api;
pub mod client;
pub mod db;
pub mod faults;
pub mod load;
pub mod measure;
pub mod stack;

/// Errors are sentences for the operator running the tool.
pub type Res<T> = Result<T, String>;

/// `.ctx("what")?` turns any error (or a `None`) into "what: error".
pub trait Ctx<T> {
    fn ctx(self, what: &str) -> Res<T>;
}

impl<T, E: std::fmt::Display> Ctx<T> for Result<T, E> {
    fn ctx(self, what: &str) -> Res<T> {
        self.map_err(|e| format!("{what}: {e}"))
    }
}

impl<T> Ctx<T> for Option<T> {
    fn ctx(self, what: &str) -> Res<T> {
        self.ok_or_else(|| format!("{what}: missing"))
    }
}

/// Fails the run with `what` unless `ok`; a violation is never just printed.
pub fn check(ok: bool, what: impl FnOnce() -> String) -> Res<()> {
    if ok {
        Ok(())
    } else {
        Err(format!("VIOLATION: {}", what()))
    }
}
