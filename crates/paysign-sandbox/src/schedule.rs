//! When a callback that was not acknowledged is sent again. Payment Kit's schedule is not
//! published (spec §5.1 "[NOT FOUND]"); the sandbox borrows the legacy HMS Pay one the spec
//! quotes: the first 3 retries 20 s apart, the 4th to the 20th 200 s apart, then every 3 hours
//! until 48 hours have passed. A scale factor shrinks it so tests and demos see it end in seconds.

use std::time::Duration;

const HOUR: u64 = 3600;

/// Waits between attempts: `delays[i]` is the wait after the `i + 1`-th failed attempt. The
/// callback is given up after the last attempt, `delays.len() + 1`, fails.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RetrySchedule {
    delays: Vec<Duration>,
}

impl RetrySchedule {
    /// The borrowed HMS shape at full length: 35 retries, the last one 46 h after the first try.
    pub fn borrowed_hms() -> Self {
        let mut delays = vec![Duration::from_secs(20); 3];
        delays.extend(std::iter::repeat_n(Duration::from_secs(200), 17));
        let mut total: u64 = delays.iter().map(Duration::as_secs).sum();
        while total + 3 * HOUR <= 48 * HOUR {
            delays.push(Duration::from_secs(3 * HOUR));
            total += 3 * HOUR;
        }
        Self { delays }
    }

    /// Any waits (tests).
    pub fn from_delays(delays: Vec<Duration>) -> Self {
        Self { delays }
    }

    /// Every wait multiplied by `factor` (`0.001` turns 20 s into 20 ms and 48 h into 173 s).
    /// A factor that is negative, not finite, or too large to represent is refused.
    pub fn scaled(&self, factor: f64) -> Option<Self> {
        if !factor.is_finite() || factor < 0.0 {
            return None;
        }
        let delays = self
            .delays
            .iter()
            .map(|d| Duration::try_from_secs_f64(d.as_secs_f64() * factor).ok())
            .collect::<Option<Vec<_>>>()?;
        Some(Self { delays })
    }

    /// How many attempts a callback gets in all (the first included).
    pub fn attempts(&self) -> u32 {
        u32::try_from(self.delays.len())
            .unwrap_or(u32::MAX)
            .saturating_add(1)
    }

    /// The wait after `failed` attempts (1-based), or `None` when that was the last one.
    pub fn delay_after(&self, failed: u32) -> Option<Duration> {
        let index = usize::try_from(failed.checked_sub(1)?).ok()?;
        self.delays.get(index).copied()
    }

    /// From the first attempt to the last.
    pub fn span(&self) -> Duration {
        self.delays.iter().sum()
    }
}

impl Default for RetrySchedule {
    fn default() -> Self {
        Self::borrowed_hms()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_borrowed_schedule_has_the_hms_shape_and_ends_within_48_hours() {
        let s = RetrySchedule::borrowed_hms();
        assert_eq!(s.delay_after(1), Some(Duration::from_secs(20)));
        assert_eq!(s.delay_after(3), Some(Duration::from_secs(20)));
        assert_eq!(s.delay_after(4), Some(Duration::from_secs(200)));
        assert_eq!(s.delay_after(20), Some(Duration::from_secs(200)));
        assert_eq!(s.delay_after(21), Some(Duration::from_secs(3 * 3600)));
        // 3 x 20 s + 17 x 200 s = 3460 s, then 15 x 3 h: 165 460 s (45 h 57 min 40 s).
        assert_eq!(s.attempts(), 36);
        assert_eq!(s.span(), Duration::from_secs(165_460));
        assert!(s.span() + Duration::from_secs(3 * 3600) > Duration::from_secs(48 * 3600));
        assert_eq!(s.delay_after(36), None);
        assert_eq!(s.delay_after(0), None);
    }

    #[test]
    fn scaling_keeps_the_shape() {
        let s = RetrySchedule::borrowed_hms().scaled(0.001).unwrap();
        assert_eq!(s.attempts(), 36);
        assert_eq!(s.delay_after(1), Some(Duration::from_millis(20)));
        assert_eq!(s.delay_after(4), Some(Duration::from_millis(200)));
        assert_eq!(s.delay_after(21), Some(Duration::from_millis(10_800)));
        assert_eq!(s.span(), Duration::from_micros(165_460_000));
        assert!(RetrySchedule::borrowed_hms().scaled(-1.0).is_none());
        assert!(RetrySchedule::borrowed_hms().scaled(f64::NAN).is_none());
        assert!(RetrySchedule::borrowed_hms().scaled(1e300).is_none());
        assert_eq!(
            RetrySchedule::borrowed_hms().scaled(0.0).unwrap().span(),
            Duration::ZERO
        );
    }
}
