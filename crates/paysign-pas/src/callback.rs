//! Notifications from Payment Kit (spec §3.7, §5): raw body → verify Huawei's SM2 signature over
//! the canonical string of every field but `sign` (the raw fields, so fields Huawei adds later
//! still count) → typed notification. Then answer [`SUCCESS_REPLY`].
//!
//! A body larger than [`MAX_CALLBACK_BODY_BYTES`] is refused before anything else; a server
//! should stop reading at that size too. A contract notification is only ever "signed" when its
//! `changeMode` is absent or `USER_SIGN`: an unsign mode, or one this version does not know, is
//! never taken for a signing.
//!
//! ```no_run
//! # fn demo(body: &[u8], huawei_key: &paysign_crypto::PublicKey) {
//! match paysign_pas::callback::parse_payment(body, huawei_key) {
//!     Ok(n) => { /* idempotent on n.header.callback_id; then reply SUCCESS_REPLY */ }
//!     Err(e) => { /* reply with an error status; Payment Kit re-delivers */ }
//! }
//! # }
//! ```

use paysign_crypto::{CryptoError, PublicKey};
use serde::de::DeserializeOwned;

use crate::infer;
use crate::model::common::ChangeMode;
use crate::model::notify::{
    ContractSignedNotification, Notification, NotificationKind, PaymentNotification,
    RefundNotification, UnsignNotification, WithholdNotification,
};

/// Largest notification body accepted. Documented notifications are well under 4 KiB; the cap
/// leaves room for promotion lists and fields Huawei may add, and bounds what an unauthenticated
/// sender can make a server buffer and hash.
pub const MAX_CALLBACK_BODY_BYTES: usize = 64 * 1024;

/// The exact body Payment Kit needs back, as `application/json`, within 3 seconds; anything else
/// counts as a failure and the notification is delivered again.
pub const SUCCESS_REPLY: &str = r#"{"resultCode":"000000","resultDesc":"Success."}"#;

/// Content type of [`SUCCESS_REPLY`].
pub const REPLY_CONTENT_TYPE: &str = "application/json";

/// Why a notification was refused. Answer anything but [`SUCCESS_REPLY`] and Payment Kit retries.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CallbackError {
    #[error("the notification body is larger than {MAX_CALLBACK_BODY_BYTES} bytes")]
    TooLarge,
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
    /// A contract notification whose `changeMode` does not belong to the kind asked for (an
    /// unsign mode given to the signed parser, or the reverse), or that this version does not
    /// know: never applied as either.
    #[error("the contract notification's changeMode {change_mode:?} is not a {expected:?} mode")]
    UnexpectedChangeMode {
        expected: Option<NotificationKind>,
        change_mode: String,
    },
}

/// Verifies a notification body and returns it as text. Checks, in order: size, UTF-8, JSON
/// object, `signType` (SM2 when present), the signature, then refuses `dataType=encrypt`.
pub fn verify(
    raw: &[u8],
    huawei_key: &PublicKey,
) -> Result<(String, serde_json::Map<String, serde_json::Value>), CallbackError> {
    if raw.len() > MAX_CALLBACK_BODY_BYTES {
        return Err(CallbackError::TooLarge);
    }
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

/// A withholding debit result (spec §4.13; direct or service provider). Same fields as a payment
/// notification and no contractId: match it to the debit by `mercOrderNo`. Unlike a pay-and-sign
/// payment, it may report `TRX_FAILED`.
pub fn parse_withhold(
    raw: &[u8],
    huawei_key: &PublicKey,
) -> Result<WithholdNotification, CallbackError> {
    typed(raw, huawei_key, NotificationKind::Payment)
}

/// A contract-signed notification (direct or service provider). Refused with
/// [`CallbackError::UnexpectedChangeMode`] unless `changeMode` is absent or `USER_SIGN`.
pub fn parse_contract_signed(
    raw: &[u8],
    huawei_key: &PublicKey,
) -> Result<ContractSignedNotification, CallbackError> {
    let n: ContractSignedNotification = typed(raw, huawei_key, NotificationKind::ContractSigned)?;
    check_change_mode(n.change_mode.as_ref(), NotificationKind::ContractSigned)?;
    Ok(n)
}

/// An unsign notification. Refused with [`CallbackError::UnexpectedChangeMode`] when `changeMode`
/// is `USER_SIGN` or unknown (absent is accepted: the unsign page marks it optional).
pub fn parse_unsign(
    raw: &[u8],
    huawei_key: &PublicKey,
) -> Result<UnsignNotification, CallbackError> {
    let n: UnsignNotification = typed(raw, huawei_key, NotificationKind::Unsign)?;
    check_change_mode(n.change_mode.as_ref(), NotificationKind::Unsign)?;
    Ok(n)
}

/// Which contract notification a `changeMode` belongs to: `None` for a mode this version does
/// not know. An absent mode is a signing (the documented signed example carries none).
fn change_mode_kind(mode: Option<&ChangeMode>) -> Option<NotificationKind> {
    match mode {
        None | Some(ChangeMode::UserSign) => Some(NotificationKind::ContractSigned),
        Some(m) if m.is_unsign() => Some(NotificationKind::Unsign),
        Some(_) => None,
    }
}

fn check_change_mode(
    mode: Option<&ChangeMode>,
    expected: NotificationKind,
) -> Result<(), CallbackError> {
    // An absent mode is fine for an unsign notification too (optional there); only a mode that
    // names the other kind, or no known kind, is refused.
    if mode.is_none() || change_mode_kind(mode) == Some(expected) {
        return Ok(());
    }
    Err(CallbackError::UnexpectedChangeMode {
        expected: Some(expected),
        change_mode: mode.map(|m| m.as_str().to_owned()).unwrap_or_default(),
    })
}

/// A refund result notification.
pub fn parse_refund(
    raw: &[u8],
    huawei_key: &PublicKey,
) -> Result<RefundNotification, CallbackError> {
    typed(raw, huawei_key, NotificationKind::Refund)
}

/// Any notification, its kind told by its fields (for one URL that receives all of them):
/// `mercRefundNo` → refund; `orderStatus` → payment (a withholding debit's result has the same
/// shape: tell them apart by your own `mercOrderNo`); `contractId` with an unsign `changeMode` →
/// unsign; `contractId` with `USER_SIGN` or no `changeMode` → contract signed; `contractId` with
/// any other `changeMode` → [`CallbackError::UnexpectedChangeMode`].
pub fn parse_notification(
    raw: &[u8],
    huawei_key: &PublicKey,
) -> Result<Notification, CallbackError> {
    let (text, map) = verify(raw, huawei_key)?;
    let kind = kind_of(&map)?;
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

fn kind_of(
    map: &serde_json::Map<String, serde_json::Value>,
) -> Result<NotificationKind, CallbackError> {
    if map.contains_key("mercRefundNo") {
        return Ok(NotificationKind::Refund);
    }
    if map.contains_key("orderStatus") {
        return Ok(NotificationKind::Payment);
    }
    if map.contains_key("contractId") {
        let mode = match map.get("changeMode") {
            None | Some(serde_json::Value::Null) => None,
            Some(serde_json::Value::String(s)) => Some(ChangeMode::parse(s)),
            Some(other) => Some(ChangeMode::Other(other.to_string())),
        };
        return change_mode_kind(mode.as_ref()).ok_or_else(|| {
            CallbackError::UnexpectedChangeMode {
                expected: None,
                change_mode: mode.map(|m| m.as_str().to_owned()).unwrap_or_default(),
            }
        });
    }
    Err(CallbackError::WrongShape {
        expected: None,
        reason: "none of mercRefundNo, orderStatus, contractId is present".to_owned(),
    })
}
