//! The log shim: hilog on the device (tag `paysign`), stderr on the host.
//!
//! hilog takes the message as a printf format string, so every message is made printf-safe first
//! (`%` doubled, NUL dropped, cut to hilog's entry size). Callers pass text that is already
//! redacted (`paysign_core::redact`); nothing here knows what a secret is.

/// Severity of a log line. The full set, though not every level has a call site yet.
#[allow(dead_code)]
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) enum Level {
    Debug,
    Info,
    Warn,
    Error,
}

#[cfg(target_env = "ohos")]
mod sink {
    use super::Level;
    use std::sync::Once;

    /// hilog truncates an entry at 4096 bytes; stay below with room for the terminator.
    const MAX_ENTRY_BYTES: usize = 4000;
    /// The app log domain of paysign ("PS").
    const DOMAIN: u32 = 0x5053;

    /// hilog filters by level itself.
    pub(super) fn enabled(_level: Level) -> bool {
        true
    }

    pub(super) fn write(level: Level, message: &str) {
        static INIT: Once = Once::new();
        INIT.call_once(|| {
            ohos_hilog_binding::set_global_options(ohos_hilog_binding::LogOptions {
                domain: DOMAIN,
                tag: "paysign",
            });
        });
        let safe = paysign_core::redact::printf_safe(message, MAX_ENTRY_BYTES);
        match level {
            Level::Debug => ohos_hilog_binding::debug(safe),
            Level::Info => ohos_hilog_binding::info(safe),
            Level::Warn => ohos_hilog_binding::warn(safe),
            Level::Error => ohos_hilog_binding::error(safe),
        }
    }
}

#[cfg(not(target_env = "ohos"))]
mod sink {
    use super::Level;
    use std::io::Write;
    use std::sync::OnceLock;

    /// `PAYSIGN_LOG` = debug | info | warn | error | off; warn when unset.
    fn threshold() -> Option<Level> {
        static THRESHOLD: OnceLock<Option<Level>> = OnceLock::new();
        *THRESHOLD.get_or_init(|| match std::env::var("PAYSIGN_LOG").as_deref() {
            Ok("debug") => Some(Level::Debug),
            Ok("info") => Some(Level::Info),
            Ok("error") => Some(Level::Error),
            Ok("off") => None,
            _ => Some(Level::Warn),
        })
    }

    pub(super) fn enabled(level: Level) -> bool {
        threshold().is_some_and(|min| level >= min)
    }

    pub(super) fn write(level: Level, message: &str) {
        if enabled(level) {
            let clean: String = message.chars().filter(|c| *c != '\0').collect();
            // A failed write to stderr has nowhere to be reported.
            let _ = writeln!(std::io::stderr(), "paysign {level:?}: {clean}");
        }
    }
}

/// Writes one log line.
pub(crate) fn log(level: Level, message: &str) {
    sink::write(level, message);
}

/// Writes one log line built only when the level is logged (hot paths: a step per event).
pub(crate) fn log_with(level: Level, message: impl FnOnce() -> String) {
    if sink::enabled(level) {
        sink::write(level, &message());
    }
}
