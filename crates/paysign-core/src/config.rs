//! Flow configuration: deadlines and status-polling backoff, with the documented defaults.

use serde::{Deserialize, Serialize};

use crate::error::PaysignError;

/// Deadlines longer than a day are a mistake (and keep every sum far from overflow).
const MAX_DEADLINE_MS: u64 = 24 * 60 * 60 * 1000;
/// An app id is short; anything longer is not one.
const MAX_APP_ID_CHARS: usize = 64;

/// How long a flow may take and how it polls the merchant status.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct FlowConfig {
    /// From `STARTED` to the cashier (the cashier itself is the user's time), and the outer bound
    /// of confirmation.
    pub overall_deadline_ms: u64,
    /// How long to confirm with the merchant after the cashier returns.
    pub confirm_deadline_ms: u64,
    /// The first wait between status queries (the first query goes at once).
    pub backoff_initial_ms: u64,
    /// The longest wait between status queries.
    pub backoff_cap_ms: u64,
    /// Each wait is the previous one times this.
    pub backoff_factor: f64,
    /// This app's id; when set, an orderStr for another app is refused.
    pub expected_app_id: Option<String>,
}

impl Default for FlowConfig {
    fn default() -> Self {
        FlowConfig {
            overall_deadline_ms: 300_000,
            confirm_deadline_ms: 30_000,
            backoff_initial_ms: 500,
            backoff_cap_ms: 5_000,
            backoff_factor: 2.0,
            expected_app_id: None,
        }
    }
}

impl FlowConfig {
    /// Checks every bound; a config that passes keeps all flow arithmetic in range.
    pub fn validate(&self) -> Result<(), PaysignError> {
        let bad = |reason: String| Err(PaysignError::InvalidInput { reason });
        for (name, value) in [
            ("overallDeadlineMs", self.overall_deadline_ms),
            ("confirmDeadlineMs", self.confirm_deadline_ms),
            ("backoffInitialMs", self.backoff_initial_ms),
            ("backoffCapMs", self.backoff_cap_ms),
        ] {
            if value == 0 || value > MAX_DEADLINE_MS {
                return bad(format!(
                    "{name} must be 1..={MAX_DEADLINE_MS} ms, got {value}"
                ));
            }
        }
        if self.backoff_cap_ms < self.backoff_initial_ms {
            return bad("backoffCapMs must not be below backoffInitialMs".to_string());
        }
        if !(1.0..=10.0).contains(&self.backoff_factor) {
            return bad(format!(
                "backoffFactor must be between 1 and 10, got {}",
                self.backoff_factor
            ));
        }
        if let Some(app_id) = &self.expected_app_id {
            let chars = app_id.chars().count();
            if chars == 0 || chars > MAX_APP_ID_CHARS || app_id.chars().any(char::is_control) {
                return bad(format!(
                    "expectedAppId must be 1..={MAX_APP_ID_CHARS} printable characters"
                ));
            }
        }
        Ok(())
    }

    /// The wait before status query number `completed + 1`, given `completed` queries so far
    /// (at least one): initial × factor^(completed-1), capped.
    pub fn backoff_ms(&self, completed: u32) -> u64 {
        let exponent = completed.saturating_sub(1).min(64);
        let raw = (self.backoff_initial_ms as f64) * self.backoff_factor.powi(exponent as i32);
        if raw.is_finite() && raw < self.backoff_cap_ms as f64 {
            // In range: raw is below the cap, which is at most a day.
            (raw as u64).max(1)
        } else {
            self.backoff_cap_ms
        }
    }

    /// An upper bound on status queries in one confirmation: with every wait at least
    /// `backoff_initial_ms`, no more than this many fit in the confirmation window, and a caller
    /// whose clock does not advance still reaches the end.
    pub fn max_status_queries(&self) -> u32 {
        let fit = self.confirm_deadline_ms / self.backoff_initial_ms.max(1);
        u32::try_from(fit.saturating_add(2))
            .unwrap_or(u32::MAX)
            .min(1_000)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_are_valid_and_documented() {
        let c = FlowConfig::default();
        c.validate().unwrap();
        assert_eq!(c.overall_deadline_ms, 300_000);
        assert_eq!(c.confirm_deadline_ms, 30_000);
        assert_eq!((c.backoff_initial_ms, c.backoff_cap_ms), (500, 5_000));
        assert_eq!(c.backoff_factor, 2.0);
    }

    #[test]
    fn backoff_grows_to_the_cap() {
        let c = FlowConfig::default();
        let waits: Vec<u64> = (1..=7).map(|n| c.backoff_ms(n)).collect();
        assert_eq!(waits, vec![500, 1000, 2000, 4000, 5000, 5000, 5000]);
        assert_eq!(c.backoff_ms(u32::MAX), 5000);
        let flat = FlowConfig {
            backoff_factor: 1.0,
            ..FlowConfig::default()
        };
        assert_eq!(flat.backoff_ms(9), 500);
    }

    #[test]
    fn rejects_out_of_range_values() {
        let cases = [
            FlowConfig {
                overall_deadline_ms: 0,
                ..FlowConfig::default()
            },
            FlowConfig {
                confirm_deadline_ms: MAX_DEADLINE_MS + 1,
                ..FlowConfig::default()
            },
            FlowConfig {
                backoff_initial_ms: 0,
                ..FlowConfig::default()
            },
            FlowConfig {
                backoff_cap_ms: 100,
                ..FlowConfig::default()
            },
            FlowConfig {
                backoff_factor: 0.5,
                ..FlowConfig::default()
            },
            FlowConfig {
                backoff_factor: f64::NAN,
                ..FlowConfig::default()
            },
            FlowConfig {
                backoff_factor: f64::INFINITY,
                ..FlowConfig::default()
            },
            FlowConfig {
                expected_app_id: Some(String::new()),
                ..FlowConfig::default()
            },
            FlowConfig {
                expected_app_id: Some("a\0b".into()),
                ..FlowConfig::default()
            },
        ];
        for c in cases {
            let err = c.validate().unwrap_err();
            assert_eq!(err.code().as_u32(), 1001, "{c:?}");
        }
    }

    #[test]
    fn query_bound_covers_the_window() {
        let c = FlowConfig::default();
        assert_eq!(c.max_status_queries(), 62);
        let tiny = FlowConfig {
            backoff_initial_ms: 1,
            backoff_cap_ms: 1,
            confirm_deadline_ms: MAX_DEADLINE_MS,
            ..FlowConfig::default()
        };
        assert_eq!(tiny.max_status_queries(), 1_000);
    }
}
