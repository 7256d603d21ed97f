//! Synchronous answers from Payment Kit: envelope and signature checks (signing one is the
//! simulator's side, `crate::simulator`).

use paysign_crypto::{CryptoError, PublicKey};

use crate::codes::{ResultCode, SubCode};
use crate::error::{ApiError, PasError};
use crate::infer;

/// What the envelope of an answer says, read from the raw JSON.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Envelope {
    pub result_code: ResultCode,
    pub result_desc: Option<String>,
    pub sub_code: Option<SubCode>,
    pub sub_desc: Option<String>,
    pub signed: bool,
}

/// Reads the envelope of a raw answer; `None` when it is not a JSON object with a `resultCode`.
pub fn read_envelope(body: &str) -> Option<Envelope> {
    let map: serde_json::Map<String, serde_json::Value> = serde_json::from_str(body).ok()?;
    let text = |k: &str| map.get(k).and_then(|v| v.as_str()).map(str::to_owned);
    Some(Envelope {
        result_code: ResultCode::parse(&text("resultCode")?),
        result_desc: text("resultDesc"),
        sub_code: text("subCode").map(|s| SubCode::parse(&s)),
        sub_desc: text("subDesc"),
        signed: map.get("sign").is_some_and(|v| !v.is_null()),
    })
}

/// Checks a raw answer: its signature with Huawei's key (when `huawei_key` is given), then its
/// resultCode. `Ok` means a verified success whose body can be parsed into the typed response.
pub fn check(
    body: &str,
    http_status: u16,
    huawei_key: Option<&PublicKey>,
) -> Result<Envelope, PasError> {
    let envelope = read_envelope(body).ok_or_else(|| {
        if (200..300).contains(&http_status) {
            PasError::InvalidResponse("not a JSON object with a resultCode".to_owned())
        } else {
            PasError::HttpStatus {
                status: http_status,
            }
        }
    })?;
    let success = envelope.result_code == ResultCode::Success;
    if let Some(key) = huawei_key {
        if envelope.signed {
            paysign_crypto::verify_body(body, key).map_err(|e| match e {
                CryptoError::Verify(_) => PasError::ResponseSignature(
                    "the answer's sign does not verify with Huawei's public key".to_owned(),
                ),
                other => PasError::ResponseSignature(other.to_string()),
            })?;
        } else if success || !infer::ERROR_RESPONSES_MAY_BE_UNSIGNED {
            return Err(PasError::ResponseSignature(
                "the answer has no sign".to_owned(),
            ));
        }
    }
    if !success {
        return Err(PasError::Api(ApiError {
            result_code: envelope.result_code,
            sub_code: envelope.sub_code,
            result_desc: envelope.result_desc,
            sub_desc: envelope.sub_desc,
            http_status,
        }));
    }
    Ok(envelope)
}
