//! Payment Kit's side of the protocol, for simulators (feature `simulator`, which paysign-sandbox
//! turns on): verifying a merchant's PayMercAuth ([`auth`]) and signing answers and notifications
//! the way Payment Kit does ([`sign_message`], [`sign_response`]).
//!
//! Why a feature and not the default: a merchant server never verifies PayMercAuth nor signs as
//! Huawei, so it should not carry that code (nor be able to call it by mistake, e.g. sign a
//! "Huawei" answer with its own key in a test that then proves nothing).

pub mod auth;

use paysign_crypto::{CryptoError, PrivateKey};
use serde::Serialize;

/// Serializes a notification (or any answer) and signs it with Huawei's — or the sandbox's — SM2
/// key: what Payment Kit sends. Any `sign` already set is replaced.
pub fn sign_message<T: Serialize>(message: &T, key: &PrivateKey) -> Result<String, CryptoError> {
    let mut value = serde_json::to_value(message).map_err(|e| {
        CryptoError::Canonical(paysign_crypto::CanonicalError::InvalidJson(e.to_string()))
    })?;
    if let Some(map) = value.as_object_mut() {
        map.remove("sign");
    }
    let text = serde_json::to_string(&value).map_err(|e| {
        CryptoError::Canonical(paysign_crypto::CanonicalError::InvalidJson(e.to_string()))
    })?;
    paysign_crypto::sign_body(&text, key)
}

/// Serializes a synchronous answer and signs it (what Payment Kit — or the sandbox — sends back).
pub fn sign_response<T: Serialize>(response: &T, key: &PrivateKey) -> Result<String, CryptoError> {
    sign_message(response, key)
}
