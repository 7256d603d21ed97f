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
///
/// A panic inside a panic hook aborts the process, so the hook does nothing that can panic: the
/// line is written into a fixed stack buffer that truncates instead of failing (no allocation, no
/// `format!`), and a hook already running on this thread (a panic while logging) returns at once.
fn install_panic_hook() {
    static HOOK: Once = Once::new();
    HOOK.call_once(|| {
        std::panic::set_hook(Box::new(|info| {
            thread_local! {
                static BUSY: std::cell::Cell<bool> = const { std::cell::Cell::new(false) };
            }
            if BUSY.with(|busy| busy.replace(true)) {
                return;
            }
            let mut line = LineBuf::new();
            let _ = std::fmt::Write::write_str(&mut line, "panic at ");
            if let Some(place) = info.location() {
                let _ = std::fmt::Write::write_fmt(
                    &mut line,
                    format_args!("{}:{}", place.file(), place.line()),
                );
            }
            log(Level::Error, line.as_str());
            BUSY.with(|busy| busy.set(false));
        }));
    });
}

/// A fixed-size line that keeps what fits (on a character boundary) and never reports an error.
struct LineBuf {
    bytes: [u8; 256],
    len: usize,
}

impl LineBuf {
    fn new() -> LineBuf {
        LineBuf {
            bytes: [0; 256],
            len: 0,
        }
    }

    fn as_str(&self) -> &str {
        let filled = self.bytes.get(..self.len).unwrap_or_default();
        // Only whole characters are copied in, so this is always valid UTF-8.
        std::str::from_utf8(filled).unwrap_or_default()
    }
}

impl std::fmt::Write for LineBuf {
    fn write_str(&mut self, s: &str) -> std::fmt::Result {
        for c in s.chars() {
            let mut utf8 = [0u8; 4];
            let encoded = c.encode_utf8(&mut utf8).as_bytes();
            let end = self.len.saturating_add(encoded.len());
            match self.bytes.get_mut(self.len..end) {
                Some(room) => {
                    room.copy_from_slice(encoded);
                    self.len = end;
                }
                None => break,
            }
        }
        Ok(())
    }
}
