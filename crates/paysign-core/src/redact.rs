//! Redaction for log lines: secrets (sign values, prepay_id, keys, openId) never reach a log.
//!
//! Every log line paysign writes is built from these helpers, and passes through
//! [`printf_safe`] before it reaches hilog (which uses the message as a printf format).

/// How many characters of an identifier stay visible at each end.
const KEEP_EACH_END: usize = 4;

/// A signature: only its length is shown.
pub fn sign(value: &str) -> String {
    format!("<sign:{} chars>", value.chars().count())
}

/// A key (private, public or session): nothing of it is shown.
pub fn key(_value: &str) -> String {
    "<key>".to_string()
}

/// A prepay_id: the first and last four characters, enough to match it with the merchant's
/// records, not enough to use it. Short values are masked entirely.
pub fn prepay_id(value: &str) -> String {
    mask_middle(value)
}

/// An openId (a user identifier): like a prepay_id.
pub fn open_id(value: &str) -> String {
    mask_middle(value)
}

fn mask_middle(value: &str) -> String {
    let count = value.chars().count();
    if count <= KEEP_EACH_END * 3 {
        return format!("<{count} chars>");
    }
    let head: String = value.chars().take(KEEP_EACH_END).collect();
    let tail: String = value.chars().skip(count - KEEP_EACH_END).collect();
    format!("{head}…{tail}")
}

/// A whole orderStr, as a log line may show it: the merchant number and the times in clear, the
/// prepay_id masked, the sign reduced to its length, anything unparsable reduced to its length.
pub fn order_str(text: &str) -> String {
    // Read as a Value like every other JSON here: a typed Map read is a second instance of
    // serde_json's reader (about 10 KB of the device library).
    let parsed: Result<serde_json::Value, _> = serde_json::from_str(text);
    let Ok(serde_json::Value::Object(map)) = parsed else {
        return format!("<orderStr: {} bytes, not a JSON object>", text.len());
    };
    let fields: Vec<String> = map
        .iter()
        .map(|(name, value)| {
            let shown = match value.as_str() {
                Some(s) => match name.as_str() {
                    "sign" => sign(s),
                    "prepay_id" => prepay_id(s),
                    "merc_no" | "app_id" | "auth_id" | "timestamp" | "reserved" => s.to_string(),
                    _ => format!("<{} chars>", s.chars().count()),
                },
                None => "<not a string>".to_string(),
            };
            format!("{name}={shown}")
        })
        .collect();
    format!("orderStr{{{}}}", fields.join(", "))
}

/// Makes a message safe to pass as a printf format string (hilog's `OH_LOG_Print` does): `%`
/// becomes `%%`, NUL bytes are dropped (they would cut the C string or fail its construction),
/// and the result is cut to `max_bytes` on a character boundary (hilog truncates at 4096).
pub fn printf_safe(message: &str, max_bytes: usize) -> String {
    let mut out = String::with_capacity(message.len().min(max_bytes));
    for ch in message.chars() {
        let piece_len = if ch == '%' { 2 } else { ch.len_utf8() };
        if ch == '\0' {
            continue;
        }
        if out.len() + piece_len > max_bytes {
            break;
        }
        if ch == '%' {
            out.push_str("%%");
        } else {
            out.push(ch);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    const SIGN: &str = "OeS+xINxQk9hV2Zt0b3Bd4ZXJ5c2VjcmV0c2lnbmF0dXJlCg==";
    const PREPAY: &str = "125070117235808975917041234";

    #[test]
    fn sign_and_key_show_nothing_of_the_value() {
        assert_eq!(sign(SIGN), format!("<sign:{} chars>", SIGN.len()));
        assert!(!sign(SIGN).contains("OeS"));
        assert_eq!(key("-----BEGIN PRIVATE KEY-----abc"), "<key>");
    }

    #[test]
    fn ids_keep_only_their_ends() {
        let masked = prepay_id(PREPAY);
        assert_eq!(masked, "1250…1234");
        assert!(!masked.contains("0897591"));
        assert_eq!(open_id("short-open-id"), "shor…n-id");
        assert_eq!(open_id("abc"), "<3 chars>");
        assert_eq!(prepay_id(""), "<0 chars>");
        assert_eq!(prepay_id("ééééééééééééé"), "éééé…éééé");
    }

    #[test]
    fn order_str_masks_secrets_and_keeps_the_merchant() {
        let text = format!(
            r#"{{"merc_no":"101610000123","prepay_id":"{PREPAY}","sign":"{SIGN}","noncestr":"abcdef0123","timestamp":"1751361838042","auth_id":"101610000031001","open_id":"user-open-id-123456"}}"#
        );
        let shown = order_str(&text);
        assert!(shown.contains("merc_no=101610000123"));
        assert!(shown.contains("timestamp=1751361838042"));
        assert!(!shown.contains(SIGN));
        assert!(!shown.contains(PREPAY));
        assert!(!shown.contains("user-open-id"));
        assert!(!shown.contains("abcdef0123"));
        assert_eq!(
            order_str("not json %s"),
            "<orderStr: 11 bytes, not a JSON object>"
        );
    }

    #[test]
    fn printf_safe_escapes_percent_drops_nul_and_cuts_on_a_boundary() {
        assert_eq!(printf_safe("100% %n%s", 100), "100%% %%n%%s");
        assert_eq!(printf_safe("a\0b", 100), "ab");
        assert_eq!(printf_safe("abcdef", 3), "abc");
        // Never half a `%%` and never half a character.
        assert_eq!(printf_safe("ab%", 3), "ab");
        assert_eq!(printf_safe("a支付", 4), "a支");
        assert_eq!(printf_safe("", 10), "");
    }
}
