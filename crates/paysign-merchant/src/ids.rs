//! Order numbers nobody can guess: a prefix and 128 random bits in hex.

/// `PREFIX` + 32 hex characters (16 random bytes from the OS).
pub fn new_id(prefix: &str) -> Result<String, getrandom::Error> {
    let mut bytes = [0u8; 16];
    getrandom::fill(&mut bytes)?;
    Ok(format!("{prefix}{}", hex::encode_upper(bytes)))
}

/// Order numbers and codes the server accepts in paths: 1 to 64 of `[A-Za-z0-9_-]`.
pub fn is_plain_id(text: &str) -> bool {
    !text.is_empty()
        && text.len() <= 64
        && text
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn ids_are_long_random_and_plain() {
        let a = new_id("PS").unwrap();
        let b = new_id("PS").unwrap();
        assert_ne!(a, b);
        assert_eq!(a.len(), 34);
        assert!(a.len() <= paysign_contract::MERC_ORDER_NO_MAX_CHARS);
        assert!(is_plain_id(&a));
        assert!(!is_plain_id("a/b"));
        assert!(!is_plain_id(""));
    }
}
