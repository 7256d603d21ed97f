//! The sandbox's own SM2 key: it signs every response and notification the way Payment Kit does
//! (SM2 over the canonical string of every field but `sign`), and its public key is what a
//! merchant server configures as "Huawei's public key" when it talks to the sandbox.

use std::path::Path;

use paysign_crypto::{CryptoError, KeyError, PrivateKey, PublicKey};
use serde::Serialize;

#[derive(Debug, thiserror::Error)]
pub enum SigningError {
    #[error("cannot read the sandbox key file {path}: {source}")]
    Read {
        path: String,
        source: std::io::Error,
    },
    #[error("the sandbox key: {0}")]
    Key(#[from] KeyError),
    #[error("the sandbox key must be SM2 (Payment Kit signs with SM2), not {0}")]
    NotSm2(String),
    #[error("cannot serialize the answer: {0}")]
    Serialize(#[from] serde_json::Error),
    #[error("cannot sign the answer: {0}")]
    Sign(#[from] CryptoError),
}

pub struct Signer {
    key: PrivateKey,
    cert_no: String,
}

impl Signer {
    /// A fresh SM2 key, for a sandbox whose public key is read from its start-up line.
    pub fn generate() -> Result<Self, SigningError> {
        Ok(Self::new(PrivateKey::generate_sm2()?))
    }

    /// An SM2 private key from a file (PEM PKCS#8, or Base64/hex PKCS#8 DER).
    pub fn from_file(path: &Path) -> Result<Self, SigningError> {
        let text = std::fs::read_to_string(path).map_err(|source| SigningError::Read {
            path: path.display().to_string(),
            source,
        })?;
        let key = PrivateKey::from_text(&text)?;
        if key.algorithm() != paysign_crypto::KeyAlgorithm::Sm2 {
            return Err(SigningError::NotSm2(key.algorithm().to_string()));
        }
        Ok(Self::new(key))
    }

    fn new(key: PrivateKey) -> Self {
        let digest = paysign_crypto::sm3_digest(key.public_key().to_spki_pem().as_bytes());
        let cert_no = digest
            .iter()
            .take(8)
            .map(|b| format!("{b:02x}"))
            .collect::<String>();
        Self {
            key,
            cert_no: format!("SBX{cert_no}"),
        }
    }

    pub fn public_key(&self) -> PublicKey {
        self.key.public_key()
    }

    /// A stable identifier of the key, sent as `certNo` in notifications.
    pub fn cert_no(&self) -> &str {
        &self.cert_no
    }

    /// Serializes `value` (whose `sign` is unset) and adds `sign`.
    pub fn sign_json<T: Serialize>(&self, value: &T) -> Result<String, SigningError> {
        let body = serde_json::to_string(value)?;
        Ok(paysign_crypto::sign_body(&body, &self.key)?)
    }
}
