//! Documented field limits (spec §4, §6), in characters. Shared by the client's checks before
//! sending and by the sandbox's checks on receipt.

use crate::error::FieldError;

pub const MERC_ORDER_NO: usize = 46;
pub const MERC_NO: usize = 12;
pub const TRADE_SUMMARY: usize = 128;
pub const CALLBACK_URL: usize = 512;
pub const PAYLOAD: usize = 255;
pub const MERC_CONTRACT_CODE: usize = 64;
pub const MERC_REFUND_ORDER_NO: usize = 64;
pub const REASON: usize = 256;
pub const CURRENCY: usize = 3;
pub const GOODS_NAME: usize = 128;
pub const GOODS_ID: usize = 32;
pub const TRACE_ID: usize = 32;
pub const NONCESTR: usize = 32;
pub const CREDENTIAL_TYPE: usize = 2;
pub const CREDENTIAL_ID_NO: usize = 128;
pub const REAL_NAME: usize = 256;

/// The only currency Payment Kit accepts.
pub const CNY: &str = "CNY";

/// A required string: non-empty and at most `max` characters.
pub fn required(field: &'static str, value: &str, max: usize) -> Result<(), FieldError> {
    if value.trim().is_empty() {
        return Err(FieldError::new(field, "is required"));
    }
    at_most(field, value, max)
}

/// An optional string: at most `max` characters when present.
pub fn optional(field: &'static str, value: Option<&str>, max: usize) -> Result<(), FieldError> {
    match value {
        Some(v) => at_most(field, v, max),
        None => Ok(()),
    }
}

fn at_most(field: &'static str, value: &str, max: usize) -> Result<(), FieldError> {
    if value.chars().count() > max {
        return Err(FieldError::new(
            field,
            format!("longer than {max} characters"),
        ));
    }
    Ok(())
}

/// A callback URL: required, at most 512 characters, `https://` — or `http://` to a loopback
/// host, which only a local sandbox can call (Payment Kit itself refuses non-public URLs).
pub fn callback_url(field: &'static str, value: &str) -> Result<(), FieldError> {
    required(field, value, CALLBACK_URL)?;
    if value.starts_with("https://") || is_loopback_http(value) {
        return Ok(());
    }
    Err(FieldError::new(field, "must be an https:// URL"))
}

/// `http://127.0.0.1…`, `http://localhost…` or `http://[::1]…`.
pub fn is_loopback_http(url: &str) -> bool {
    let Some(rest) = url.strip_prefix("http://") else {
        return false;
    };
    ["127.0.0.1", "localhost", "[::1]"].iter().any(|host| {
        rest.strip_prefix(host)
            .is_some_and(|after| after.is_empty() || after.starts_with([':', '/']))
    })
}

/// An amount in fen: strictly positive.
pub fn positive_fen(field: &'static str, value: i64) -> Result<(), FieldError> {
    if value <= 0 {
        return Err(FieldError::new(field, "must be a positive amount in fen"));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn loopback_http_is_only_loopback() {
        for ok in [
            "http://127.0.0.1",
            "http://127.0.0.1:8080/cb",
            "http://localhost/cb",
            "http://[::1]:9/x",
        ] {
            assert!(is_loopback_http(ok), "{ok}");
        }
        for bad in [
            "http://127.0.0.1.evil.example/cb",
            "http://localhost@evil.example/",
            "http://localhost.evil.example",
            "http://10.0.0.1/cb",
            "https://127.0.0.1/cb",
            "ftp://127.0.0.1",
        ] {
            assert!(!is_loopback_http(bad), "{bad}");
        }
    }

    #[test]
    fn lengths_count_characters_not_bytes() {
        assert!(required("tradeSummary", &"字".repeat(TRADE_SUMMARY), TRADE_SUMMARY).is_ok());
        assert!(required(
            "tradeSummary",
            &"字".repeat(TRADE_SUMMARY + 1),
            TRADE_SUMMARY
        )
        .is_err());
        assert!(required("mercNo", " ", MERC_NO).is_err());
        assert!(optional("payload", None, PAYLOAD).is_ok());
        assert!(positive_fen("totalAmount", 1).is_ok());
        assert!(positive_fen("totalAmount", 0).is_err());
    }
}
