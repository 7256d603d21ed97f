//! Wall-clock milliseconds and the time formats of the protocol (Beijing time, UTC+8).

use chrono::{DateTime, FixedOffset, NaiveDate, NaiveDateTime, Offset, TimeZone};

/// Milliseconds since the epoch.
pub fn now_ms() -> i64 {
    chrono::Utc::now().timestamp_millis()
}

fn beijing() -> FixedOffset {
    // 8 hours east is always a valid offset.
    FixedOffset::east_opt(8 * 3600).unwrap_or(chrono::Utc.fix())
}

fn at(ms: i64) -> DateTime<FixedOffset> {
    let utc = DateTime::from_timestamp_millis(ms).unwrap_or_default();
    utc.with_timezone(&beijing())
}

/// `yyyy-MM-dd'T'HH:mm:ss.SSSZ` (expireTime): `2023-03-28T17:50:12.000+0800`.
pub fn format_iso(ms: i64) -> String {
    at(ms).format("%Y-%m-%dT%H:%M:%S%.3f%z").to_string()
}

/// `yyyy-MM-dd HH:mm:ss` (operateTime, callbackTime).
pub fn format_plain(ms: i64) -> String {
    at(ms).format("%Y-%m-%d %H:%M:%S").to_string()
}

/// Milliseconds of an ISO time with offset (finishTime); `None` when it does not parse.
pub fn parse_iso(text: &str) -> Option<i64> {
    DateTime::parse_from_str(text, "%Y-%m-%dT%H:%M:%S%.3f%z")
        .ok()
        .map(|t| t.timestamp_millis())
}

/// Milliseconds of a Beijing `yyyy-MM-dd HH:mm:ss`.
pub fn parse_plain(text: &str) -> Option<i64> {
    let naive = NaiveDateTime::parse_from_str(text, "%Y-%m-%d %H:%M:%S").ok()?;
    beijing()
        .from_local_datetime(&naive)
        .single()
        .map(|t| t.timestamp_millis())
}

/// `[start, end)` in milliseconds of a Beijing day given as `yyyyMMdd`.
pub fn bill_day(text: &str) -> Option<(i64, i64)> {
    if text.len() != 8 || !text.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let day = NaiveDate::parse_from_str(text, "%Y%m%d").ok()?;
    let start = beijing()
        .from_local_datetime(&day.and_hms_opt(0, 0, 0)?)
        .single()?
        .timestamp_millis();
    Some((start, start + 24 * 3_600_000))
}

/// The Beijing day (`yyyyMMdd`) of a time.
pub fn bill_date_of(ms: i64) -> String {
    at(ms).format("%Y%m%d").to_string()
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn formats_are_beijing_time() {
        // 2023-03-28T09:50:12Z
        let ms = 1_679_997_012_000;
        assert_eq!(format_iso(ms), "2023-03-28T17:50:12.000+0800");
        assert_eq!(format_plain(ms), "2023-03-28 17:50:12");
        assert_eq!(parse_iso("2023-03-28T17:50:12.000+0800"), Some(ms));
        assert_eq!(parse_plain("2023-03-28 17:50:12"), Some(ms));
        assert_eq!(bill_date_of(ms), "20230328");
        let (start, end) = bill_day("20230328").unwrap();
        assert!(start <= ms && ms < end);
        assert_eq!(end - start, 86_400_000);
        assert_eq!(bill_day("2023-03-28"), None);
        assert_eq!(bill_day("20231340"), None);
    }
}
