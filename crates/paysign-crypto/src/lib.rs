//! paysign-crypto: the canonical signing string of Huawei Payment Kit, SM2/SM3 and
//! SHA256withRSA/PSS signatures, and key loading in every form Payment Kit and its SDKs use.
//!
//! Every inferred protocol choice lives in [`rules`]. Built on RustCrypto (`sm2`, `rsa`, `sha2`,
//! `x509-cert`); no hand-written ASN.1 or big-number code.
//!
//! ```
//! let key = paysign_crypto::PrivateKey::generate_sm2().unwrap();
//! let signed = paysign_crypto::sign_body(r#"{"mercNo":"101","totalAmount":5}"#, &key).unwrap();
//! paysign_crypto::verify_body(&signed, &key.public_key()).unwrap();
//! ```

mod canonical;
mod keys;
pub mod rules;
mod sig;

pub use canonical::{canonical_get, canonical_json, CanonicalError};
pub use keys::{KeyAlgorithm, KeyError, PrivateKey, PublicKey};
pub use sig::{SignError, VerifyError};

/// Why signing or verifying a whole JSON body failed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CryptoError {
    #[error(transparent)]
    Canonical(#[from] CanonicalError),
    #[error("the body has no \"sign\" field")]
    MissingSign,
    #[error("the body's \"sign\" field is not a string")]
    SignNotString,
    #[error(transparent)]
    Sign(#[from] SignError),
    #[error(transparent)]
    Verify(#[from] VerifyError),
    #[error(transparent)]
    Key(#[from] KeyError),
}

/// Signs a JSON body: returns it with `"sign"` set (replaced in place or appended). Every other
/// member keeps its raw text and order.
pub fn sign_body(body: &str, key: &PrivateKey) -> Result<String, CryptoError> {
    let parsed = canonical::Body::parse(body)?;
    let signature = key.sign(parsed.canonical()?.as_bytes())?;
    Ok(parsed.with_sign(&signature)?)
}

/// Verifies a JSON body's `"sign"` against the canonical string of the rest of it.
pub fn verify_body(body: &str, key: &PublicKey) -> Result<(), CryptoError> {
    let parsed = canonical::Body::parse(body)?;
    let raw = parsed.sign_raw().ok_or(CryptoError::MissingSign)?;
    let signature: String =
        serde_json::from_str(raw.get()).map_err(|_| CryptoError::SignNotString)?;
    key.verify(parsed.canonical()?.as_bytes(), &signature)?;
    Ok(())
}

/// The `sign` value of a JSON body, if it has a string one (for tools that show or compare it).
pub fn body_signature(body: &str) -> Result<String, CryptoError> {
    let parsed = canonical::Body::parse(body)?;
    let raw = parsed.sign_raw().ok_or(CryptoError::MissingSign)?;
    serde_json::from_str(raw.get()).map_err(|_| CryptoError::SignNotString)
}

/// SM3 digest (GB/T 32905) of `data`, the hash under SM2 signatures.
pub fn sm3_digest(data: &[u8]) -> [u8; 32] {
    use sm3::Digest as _;
    sm3::Sm3::digest(data).into()
}
