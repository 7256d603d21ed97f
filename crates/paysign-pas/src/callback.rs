//! Notifications from Payment Kit (spec §3.7, §5): raw body → verify Huawei's SM2 signature over
//! the canonical string of every field but `sign` (the raw fields, so fields Huawei adds later
//! still count) → typed notification. Then answer [`SUCCESS_REPLY`].
//!
//! ```no_run
//! # fn demo(body: &[u8], huawei_key: &paysign_crypto::PublicKey) {
//! match paysign_pas::callback::parse_payment(body, huawei_key) {
//!     Ok(n) => { /* idempotent on n.header.callback_id; then reply SUCCESS_REPLY */ }
//!     Err(e) => { /* reply with an error status; Payment Kit re-delivers */ }
//! }
//! # }
//! ```

use paysign_crypto::{CryptoError, PrivateKey, PublicKey};
use serde::de::DeserializeOwned;
use serde::Serialize;

use crate::infer;
use crate::model::notify::{
    ContractSignedNotification, Notification, NotificationKind, PaymentNotification,
    RefundNotification, UnsignNotification,
};

/// The exact body Payment Kit needs back, as `application/json`, within 3 seconds; anything else
/// counts as a failure and the notification is delivered again.
pub const SUCCESS_REPLY: &str = r#"{"resultCode":"000000","resultDesc":"Success."}"#;

/// Content type of [`SUCCESS_REPLY`].
pub const REPLY_CONTENT_TYPE: &str = "application/json";

/// Why a notification was refused. Answer anything but [`SUCCESS_REPLY`] and Payment Kit retries.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CallbackError {
    #[error("the notification body is not UTF-8")]
    NotUtf8,
    #[error("the notification body is not a JSON object: {0}")]
    NotJson(String),
    #[error("the notification has no sign")]
    MissingSign,
    #[error("the notification's signType is {0:?}; only SM2 is supported")]
    UnsupportedSignType(String),
    #[error("the notification's signature does not verify with Huawei's public key")]
    BadSignature,
    #[error(
        "the notification is encrypted (dataType=encrypt), which this version does not support; \
         configure plain notifications on the merchant platform"
    )]
    EncryptedNotSupported,
    #[error("the notification is not a {expected:?} notification: {reason}")]
    WrongShape {
        expected: Option<NotificationKind>,
        reason: String,
    },
}

/// Verifies a notification body and returns it as text. Checks, in order: UTF-8, JSON object,
/// `signType` (SM2 when present), the signature, then refuses `dataType=encrypt`.
pub fn verify(
    raw: &[u8],
    huawei_key: &PublicKey,
) -> Result<(String, serde_json::Map<String, serde_json::Value>), CallbackError> {
    let text = std::str::from_utf8(raw).map_err(|_| CallbackError::NotUtf8)?;
    let map: serde_json::Map<String, serde_json::Value> =
        serde_json::from_str(text).map_err(|e| CallbackError::NotJson(e.to_string()))?;
    if let Some(sign_type) = map.get("signType") {
        let sign_type = sign_type.as_str().unwrap_or_default();
        if !sign_type.eq_ignore_ascii_case(infer::HUAWEI_SIGN_TYPE) {
            return Err(CallbackError::UnsupportedSignType(sign_type.to_owned()));
        }
    }
    paysign_crypto::verify_body(text, huawei_key).map_err(|e| match e {
        CryptoError::MissingSign => CallbackError::MissingSign,
        CryptoError::Canonical(c) => CallbackError::NotJson(c.to_string()),
        _ => CallbackError::BadSignature,
    })?;
    if map.get("dataType").and_then(|v| v.as_str()) == Some("encrypt") {
        return Err(CallbackError::EncryptedNotSupported);
    }
    Ok((text.to_owned(), map))
}

fn typed<T: DeserializeOwned>(
    raw: &[u8],
    huawei_key: &PublicKey,
    kind: NotificationKind,
) -> Result<T, CallbackError> {
    let (text, _) = verify(raw, huawei_key)?;
    serde_json::from_str(&text).map_err(|e| CallbackError::WrongShape {
        expected: Some(kind),
        reason: e.to_string(),
    })
}

/// A payment result notification (direct or service provider).
pub fn parse_payment(
    raw: &[u8],
    huawei_key: &PublicKey,
) -> Result<PaymentNotification, CallbackError> {
    typed(raw, huawei_key, NotificationKind::Payment)
}

/// A contract-signed notification (direct or service provider).
pub fn parse_contract_signed(
    raw: &[u8],
    huawei_key: &PublicKey,
) -> Result<ContractSignedNotification, CallbackError> {
    typed(raw, huawei_key, NotificationKind::ContractSigned)
}

/// An unsign notification.
pub fn parse_unsign(
    raw: &[u8],
    huawei_key: &PublicKey,
) -> Result<UnsignNotification, CallbackError> {
    typed(raw, huawei_key, NotificationKind::Unsign)
}

/// A refund result notification.
pub fn parse_refund(
    raw: &[u8],
    huawei_key: &PublicKey,
) -> Result<RefundNotification, CallbackError> {
    typed(raw, huawei_key, NotificationKind::Refund)
}

/// Any notification, its kind told by its fields (for one URL that receives all four):
/// `mercRefundNo` → refund; `orderStatus` → payment; `contractId` with an unsign `changeMode` →
/// unsign; `contractId` otherwise → contract signed.
pub fn parse_notification(
    raw: &[u8],
    huawei_key: &PublicKey,
) -> Result<Notification, CallbackError> {
    let (text, map) = verify(raw, huawei_key)?;
    let kind = kind_of(&map).ok_or_else(|| CallbackError::WrongShape {
        expected: None,
        reason: "none of mercRefundNo, orderStatus, contractId is present".to_owned(),
    })?;
    let shape = |e: serde_json::Error| CallbackError::WrongShape {
        expected: Some(kind),
        reason: e.to_string(),
    };
    Ok(match kind {
        NotificationKind::Payment => {
            Notification::Payment(serde_json::from_str(&text).map_err(shape)?)
        }
        NotificationKind::ContractSigned => {
            Notification::ContractSigned(serde_json::from_str(&text).map_err(shape)?)
        }
        NotificationKind::Unsign => {
            Notification::Unsign(serde_json::from_str(&text).map_err(shape)?)
        }
        NotificationKind::Refund => {
            Notification::Refund(serde_json::from_str(&text).map_err(shape)?)
        }
    })
}

fn kind_of(map: &serde_json::Map<String, serde_json::Value>) -> Option<NotificationKind> {
    if map.contains_key("mercRefundNo") {
        return Some(NotificationKind::Refund);
    }
    if map.contains_key("orderStatus") {
        return Some(NotificationKind::Payment);
    }
    if map.contains_key("contractId") {
        let unsign = matches!(
            map.get("changeMode").and_then(|v| v.as_str()),
            Some("USER_UNSIGN" | "MERC_API_UNSIGN" | "PLATFORM_UNSIGN")
        );
        return Some(if unsign {
            NotificationKind::Unsign
        } else {
            NotificationKind::ContractSigned
        });
    }
    None
}

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
