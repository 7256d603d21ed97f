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
/// `contractId` of a withholding debit (spec §4.13).
pub const CONTRACT_ID: usize = 64;
/// `appId` / `spAppId` / `subAppId` (undocumented; generous).
pub const APP_ID: usize = 64;
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

/// A callback URL: required, at most 512 characters, an absolute `https://` URL with a host and
/// no credentials — or `http://` to a loopback host, which only a local sandbox can call (Payment
/// Kit itself refuses non-public URLs).
pub fn callback_url(field: &'static str, value: &str) -> Result<(), FieldError> {
    required(field, value, CALLBACK_URL)?;
    let url =
        url::Url::parse(value).map_err(|e| FieldError::new(field, format!("not a URL: {e}")))?;
    if !url.username().is_empty() || url.password().is_some() {
        return Err(FieldError::new(field, "must not carry credentials"));
    }
    match url.scheme() {
        "https" if url.host().is_some() => Ok(()),
        "http" if is_loopback(&url) => Ok(()),
        _ => Err(FieldError::new(
            field,
            "must be an https:// URL (or http:// to a loopback host)",
        )),
    }
}

/// True for an `http://` URL whose host, as a URL parser reads it, is loopback: `localhost`,
/// `127.0.0.0/8` or `[::1]`. `http://localhost:1@evil.example/` names the host `evil.example`,
/// so it is not loopback.
pub fn is_loopback_http(url: &str) -> bool {
    url::Url::parse(url).is_ok_and(|u| u.scheme() == "http" && is_loopback(&u))
}

/// True when a parsed URL's host is loopback (any scheme).
pub fn is_loopback(url: &url::Url) -> bool {
    match url.host() {
        Some(url::Host::Domain(d)) => d.eq_ignore_ascii_case("localhost"),
        Some(url::Host::Ipv4(ip)) => ip.is_loopback(),
        Some(url::Host::Ipv6(ip)) => ip.is_loopback(),
        None => false,
    }
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
            "http://LOCALHOST:8080/x",
            // The URL standard reads these as 127.0.0.1 too.
            "http://2130706433/",
            "http://127.1/",
        ] {
            assert!(is_loopback_http(ok), "{ok}");
        }
        for bad in [
            "http://127.0.0.1.evil.example/cb",
            "http://localhost@evil.example/",
            "http://localhost:1@evil.example/",
            "http://127.0.0.1:80@evil.example/cb",
            "http://[::1]@evil.example/",
            "http://evil.example/#@127.0.0.1",
            "http://evil.example\\@127.0.0.1/",
            "http://0x7f000001.evil.example/",
            "http://127.0.0.1%2eevil.example/",
            "http://",
            "http://localhost.evil.example",
            "http://10.0.0.1/cb",
            "https://127.0.0.1/cb",
            "ftp://127.0.0.1",
        ] {
            assert!(!is_loopback_http(bad), "{bad}");
        }
    }

    #[test]
    fn callback_urls_are_parsed_not_prefix_matched() {
        for ok in [
            "https://merchant.example/cb",
            "https://merchant.example:8443/paysign/callbacks/payment?x=1",
            "http://127.0.0.1:9000/cb",
        ] {
            assert!(callback_url("callbackUrl", ok).is_ok(), "{ok}");
        }
        for bad in [
            "https://",
            "https://user:pw@merchant.example/cb",
            "http://localhost:1@evil.example/",
            "http://merchant.example/cb",
            "merchant.example/cb",
        ] {
            assert!(callback_url("callbackUrl", bad).is_err(), "{bad}");
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
