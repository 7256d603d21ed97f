//! The sandbox's business clock: wall time plus an offset the operator can advance, so prepay
//! validity, order expiry, refund spacing and bill dates can be exercised without waiting.
//! PayMercAuth freshness is checked against the real wall clock (see `auth`), because it guards
//! the network exchange, not the business state.

use std::sync::atomic::{AtomicI64, Ordering};

use chrono::{DateTime, FixedOffset, NaiveDate, Offset, TimeZone, Utc};

/// Beijing time (UTC+8), the zone of every formatted time in the protocol.
const BEIJING_SECS: i32 = 8 * 3600;

/// Milliseconds since the Unix epoch by the machine's clock.
pub fn system_ms() -> i64 {
    Utc::now().timestamp_millis()
}

fn beijing() -> FixedOffset {
    // 8 h is always a valid offset; the fallback is never taken.
    FixedOffset::east_opt(BEIJING_SECS).unwrap_or_else(|| Utc.fix())
}

/// The business clock.
#[derive(Debug, Default)]
pub struct Clock {
    offset_ms: AtomicI64,
}

impl Clock {
    pub fn new() -> Self {
        Self::default()
    }

    /// Business time now, in ms since the epoch.
    pub fn now_ms(&self) -> i64 {
        system_ms().saturating_add(self.offset_ms.load(Ordering::Relaxed))
    }

    /// Moves business time forward (or back, with a negative value); returns the new offset.
    pub fn advance(&self, ms: i64) -> i64 {
        self.offset_ms
            .fetch_add(ms, Ordering::Relaxed)
            .saturating_add(ms)
    }

    pub fn offset_ms(&self) -> i64 {
        self.offset_ms.load(Ordering::Relaxed)
    }
}

fn to_beijing(ms: i64) -> Option<DateTime<FixedOffset>> {
    DateTime::<Utc>::from_timestamp_millis(ms).map(|t| t.with_timezone(&beijing()))
}

/// `yyyy-MM-dd'T'HH:mm:ss.SSSZ`, e.g. `2023-03-28T17:50:12.000+0800` (expireTime, finishTime).
pub fn format_iso(ms: i64) -> String {
    to_beijing(ms)
        .map(|t| t.format("%Y-%m-%dT%H:%M:%S%.3f%z").to_string())
        .unwrap_or_default()
}

/// Parses `yyyy-MM-dd'T'HH:mm:ss.SSSZ` into ms since the epoch.
pub fn parse_iso(text: &str) -> Option<i64> {
    DateTime::parse_from_str(text, "%Y-%m-%dT%H:%M:%S%.3f%z")
        .ok()
        .map(|t| t.timestamp_millis())
}

/// `yyyy-MM-dd HH:mm:ss` (callbackTime, operateTime, signedTime, bill times).
pub fn format_plain(ms: i64) -> String {
    to_beijing(ms)
        .map(|t| t.format("%Y-%m-%d %H:%M:%S").to_string())
        .unwrap_or_default()
}

/// `yyyy-MM-dd` (expireDate).
pub fn format_date(ms: i64) -> String {
    to_beijing(ms)
        .map(|t| t.format("%Y-%m-%d").to_string())
        .unwrap_or_default()
}

/// The Beijing calendar day of an instant.
pub fn beijing_day(ms: i64) -> Option<NaiveDate> {
    to_beijing(ms).map(|t| t.date_naive())
}

/// Parses a `yyyyMMdd` bill date.
pub fn parse_bill_date(text: &str) -> Option<NaiveDate> {
    if text.len() != 8 || !text.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    NaiveDate::parse_from_str(text, "%Y%m%d").ok()
}

/// The instant a Beijing day starts plus `hours`, in ms since the epoch.
pub fn beijing_day_at(day: NaiveDate, hours: u32) -> Option<i64> {
    let naive = day.and_hms_opt(hours, 0, 0)?;
    beijing()
        .from_local_datetime(&naive)
        .single()
        .map(|t| t.timestamp_millis())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn iso_round_trips_in_beijing_time() {
        let ms = 1_679_997_012_000; // 2023-03-28T17:50:12+0800
        assert_eq!(format_iso(ms), "2023-03-28T17:50:12.000+0800");
        assert_eq!(parse_iso("2023-03-28T17:50:12.000+0800"), Some(ms));
        assert_eq!(parse_iso("2023-03-28 17:50:12"), None);
        assert_eq!(format_plain(ms), "2023-03-28 17:50:12");
        assert_eq!(format_date(ms), "2023-03-28");
    }

    #[test]
    fn bill_dates_are_strict() {
        assert!(parse_bill_date("20230328").is_some());
        assert!(parse_bill_date("2023-03-28").is_none());
        assert!(parse_bill_date("20231328").is_none());
        assert!(parse_bill_date("２０２３0328").is_none());
    }

    #[test]
    fn advancing_moves_business_time_only_forward_by_the_amount() {
        let clock = Clock::new();
        let before = clock.now_ms();
        assert_eq!(clock.advance(600_000), 600_000);
        let after = clock.now_ms();
        assert!(after - before >= 600_000 && after - before < 660_000);
    }
}
