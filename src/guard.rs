//! The panic guard every export runs in: a panic becomes error 5002 thrown to JS, never an abort.
//! (`#[napi(catch_unwind)]` is the second net; this one gives the error its paysign code.)

use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::Once;

use napi_ohos::Env;
use paysign_core::PaysignError;

use crate::log::{log, Level};
use crate::throw::throw;

/// Runs `body` for the export `name`; its error or panic is thrown to JS as a paysign error.
pub(crate) fn run<T>(
    env: &Env,
    name: &'static str,
    body: impl FnOnce() -> Result<T, PaysignError>,
) -> napi_ohos::Result<T> {
    install_panic_hook();
    catch_unwind(AssertUnwindSafe(body))
        .unwrap_or_else(|_| Err(caught_panic(name)))
        .map_err(|error| fail(env, name, error))
}

// The two helpers below are the same for every export; kept out of line so that `run`, which is
// instantiated once per export, stays small (device library size).

#[inline(never)]
fn caught_panic(name: &str) -> PaysignError {
    PaysignError::Internal {
        reason: format!("a panic in {name} was caught"),
    }
}

/// Logs and throws one export's error.
#[inline(never)]
fn fail(env: &Env, name: &str, error: PaysignError) -> napi_ohos::Error {
    log(
        Level::Info,
        &format!("{name}: error {}: {error}", error.code().as_u32()),
    );
    throw(env, &error)
}

/// The default hook prints the panic payload to stderr, which the device discards; this one logs
/// where it happened through the shim (the payload may hold data, so it is left out).
fn install_panic_hook() {
    static HOOK: Once = Once::new();
    HOOK.call_once(|| {
        std::panic::set_hook(Box::new(|info| {
            let place = info
                .location()
                .map(|l| format!("{}:{}", l.file(), l.line()))
                .unwrap_or_default();
            log(Level::Error, &format!("panic at {place}"));
        }));
    });
}
