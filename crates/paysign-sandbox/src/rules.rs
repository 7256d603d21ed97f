//! The time and amount rules the sandbox enforces beyond field shapes (those are paysign-pas's
//! `validate()` checks, shared with the client): prepay validity, order lifetime, refund spacing,
//! the bill window and hours.

/// Prepay ids are valid for 10 minutes (spec §2, §4.1).
pub const PREPAY_VALIDITY_MS: i64 = 10 * 60 * 1000;
/// Orders expire after 2 hours unless `expireTime` says otherwise (spec §4.1).
pub const DEFAULT_ORDER_VALIDITY_MS: i64 = 2 * 3600 * 1000;
/// `expireTime` at most 180 days ahead.
pub const MAX_ORDER_VALIDITY_MS: i64 = 180 * 24 * 3600 * 1000;
/// Refunds of one order at least a minute apart, else `ORDER_CONCURRENT_ERROR` (spec §4.4).
pub const REFUND_SPACING_MS: i64 = 60 * 1000;
/// Bills cover the last 90 days (spec §4.8).
pub const BILL_WINDOW_DAYS: i64 = 90;
/// A day's settle bill exists from 15:00 Beijing time the next day (spec §4.9).
pub const SETTLE_BILL_READY_HOUR: u32 = 15;
/// A bill download link is valid for 10 minutes.
pub const BILL_LINK_VALIDITY_MS: i64 = 10 * 60 * 1000;
/// `PayMercAuth.time` may differ from the sandbox's wall clock by at most this (anti-replay).
pub const DEFAULT_MAX_CLOCK_SKEW_MS: i64 = 5 * 60 * 1000;
