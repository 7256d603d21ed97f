//! Signing and verifying byte strings: SM2/SM3 (hedged nonce, DER signatures) and
//! SHA256withRSA/PSS. Signatures travel as standard Base64.

use base64::Engine as _;
use rsa::signature::{RandomizedSigner as _, Verifier as _};

use crate::keys::{PrivateKey, PrivateSecret, PublicInner, PublicKey};
use crate::rules;

/// Why signing failed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SignError {
    #[error("the SM2 distinguishing ID is too long")]
    InvalidDistId,
    #[error("SM2 signing failed (random number generator or arithmetic error)")]
    Sm2,
    #[error("RSA-PSS signing failed: {0}")]
    Rsa(String),
    #[error("a distinguishing ID applies to SM2 keys only")]
    DistIdForRsa,
}

/// Why a signature was not accepted.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum VerifyError {
    #[error("the signature is not valid standard Base64")]
    InvalidBase64,
    #[error("the SM2 signature is neither DER SEQUENCE{{r, s}} nor 64-byte r||s ({len} bytes)")]
    MalformedSignature { len: usize },
    #[error("the SM2 signature's r or s is out of range (zero or not below the group order)")]
    ScalarOutOfRange,
    #[error("the RSA signature has {len} bytes, the key needs {expected}")]
    RsaSignatureLength { len: usize, expected: usize },
    #[error("the SM2 distinguishing ID is too long")]
    InvalidDistId,
    #[error("a distinguishing ID applies to SM2 keys only")]
    DistIdForRsa,
    #[error("the signature does not match this message and key")]
    Mismatch,
}

impl PrivateKey {
    /// Signs `message`; returns the Base64 signature (SM2: DER `SEQUENCE{r,s}`; RSA: raw).
    /// SM2 uses the default distinguishing ID and a hedged nonce (RFC 6979 plus fresh randomness).
    pub fn sign(&self, message: &[u8]) -> Result<String, SignError> {
        match &self.secret {
            PrivateSecret::Sm2(_) => self.sign_sm2_with_distid(message, rules::SM2_DEFAULT_DISTID),
            PrivateSecret::Rsa(key) => {
                let signature = key
                    .try_sign_with_rng(&mut getrandom::SysRng, message)
                    .map_err(|e| SignError::Rsa(e.to_string()))?;
                let bytes: Box<[u8]> = signature.into();
                Ok(b64(&bytes))
            }
        }
    }

    /// SM2 signature under another distinguishing ID (for peers that set one).
    pub fn sign_sm2_with_distid(&self, message: &[u8], distid: &str) -> Result<String, SignError> {
        let PrivateSecret::Sm2(secret) = &self.secret else {
            return Err(SignError::DistIdForRsa);
        };
        let signer =
            sm2::dsa::SigningKey::new(distid, secret).map_err(|_| SignError::InvalidDistId)?;
        let signature: sm2::dsa::Signature = signer
            .try_sign_with_rng(&mut getrandom::SysRng, message)
            .map_err(|_| SignError::Sm2)?;
        Ok(b64(signature.to_der().as_bytes()))
    }
}

impl PublicKey {
    /// Checks a Base64 signature over `message`. SM2 accepts DER and (see `rules`) raw r||s.
    pub fn verify(&self, message: &[u8], signature_b64: &str) -> Result<(), VerifyError> {
        match &self.inner {
            PublicInner::Sm2(key) => {
                let signature = decode_sm2_signature(signature_b64)?;
                key.verify(message, &signature)
                    .map_err(|_| VerifyError::Mismatch)
            }
            PublicInner::Rsa(key) => {
                let bytes = decode_b64(signature_b64)?;
                let expected = rsa::traits::PublicKeyParts::size(key.as_ref().as_ref());
                if bytes.len() != expected {
                    return Err(VerifyError::RsaSignatureLength {
                        len: bytes.len(),
                        expected,
                    });
                }
                let signature = rsa::pss::Signature::try_from(bytes.as_slice())
                    .map_err(|_| VerifyError::Mismatch)?;
                key.verify(message, &signature)
                    .map_err(|_| VerifyError::Mismatch)
            }
        }
    }

    /// SM2 verification under another distinguishing ID.
    pub fn verify_sm2_with_distid(
        &self,
        message: &[u8],
        signature_b64: &str,
        distid: &str,
    ) -> Result<(), VerifyError> {
        let PublicInner::Sm2(key) = &self.inner else {
            return Err(VerifyError::DistIdForRsa);
        };
        let signature = decode_sm2_signature(signature_b64)?;
        let point = sm2::PublicKey::from(key.as_ref());
        let other =
            sm2::dsa::VerifyingKey::new(distid, point).map_err(|_| VerifyError::InvalidDistId)?;
        other
            .verify(message, &signature)
            .map_err(|_| VerifyError::Mismatch)
    }
}

fn b64(bytes: &[u8]) -> String {
    base64::engine::general_purpose::STANDARD.encode(bytes)
}

fn decode_b64(text: &str) -> Result<Vec<u8>, VerifyError> {
    base64::engine::general_purpose::STANDARD
        .decode(text.trim())
        .map_err(|_| VerifyError::InvalidBase64)
}

fn decode_sm2_signature(text: &str) -> Result<sm2::dsa::Signature, VerifyError> {
    let bytes = decode_b64(text)?;
    // DER first; a raw r||s whose first byte happens to be 0x30 falls through to the raw form.
    if bytes.first() == Some(&0x30) {
        if let Ok(der) = sm2::dsa::DerSignature::try_from(bytes.as_slice()) {
            return sm2::dsa::Signature::try_from(der).map_err(|_| VerifyError::ScalarOutOfRange);
        }
    }
    if rules::SM2_ACCEPT_RAW_RS && bytes.len() == sm2::dsa::Signature::BYTE_SIZE {
        return sm2::dsa::Signature::from_slice(&bytes).map_err(|_| VerifyError::ScalarOutOfRange);
    }
    Err(VerifyError::MalformedSignature { len: bytes.len() })
}
