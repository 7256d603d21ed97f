//! PayMercAuth as Payment Kit checks it (spec §3.5): parse the header, verify headerSign and
//! bodySign with the merchant's registered public key, check the clock. Errors carry the spec's
//! `MISSING_*` / `INVALID_*` / `INVALID_SIGNATURE` codes so a simulator answers exactly as
//! Payment Kit does.

use paysign_crypto::{canonical_json, PublicKey};

use crate::auth::{body_sign_input, HttpMethod, PayMercAuth};
use crate::codes::{ResultCode, SubCode};
use crate::infer;
use crate::limits;
use crate::model::common::ResponseEnvelope;

/// Why a PayMercAuth header was refused. Each maps to the spec's resultCode and subCode.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AuthError {
    #[error("the PayMercAuth header is missing")]
    MissingHeader,
    #[error("the PayMercAuth header is not a JSON object: {0}")]
    InvalidHeader(String),
    #[error("PayMercAuth.callerId is missing")]
    MissingCallerId,
    #[error("PayMercAuth.traceId is missing")]
    MissingTraceId,
    #[error("PayMercAuth.time is missing")]
    MissingTime,
    #[error("PayMercAuth.authId is missing")]
    MissingAuthId,
    #[error("PayMercAuth.headerSign is missing")]
    MissingHeaderSign,
    #[error("PayMercAuth.bodySign is missing")]
    MissingBodySign,
    #[error("PayMercAuth.traceId must be 1 to 32 characters")]
    InvalidTraceId,
    #[error("PayMercAuth.time must be an integer of milliseconds")]
    InvalidTime,
    #[error("PayMercAuth.time is {skew_ms} ms away from the server clock")]
    TimeOutOfWindow { skew_ms: i64 },
    #[error("the request body is not a JSON object: {0}")]
    InvalidBody(String),
    #[error("headerSign does not verify with the merchant's public key")]
    BadHeaderSign,
    #[error("bodySign does not verify with the merchant's public key")]
    BadBodySign,
}

impl AuthError {
    /// The subCode Payment Kit answers with.
    pub fn sub_code(&self) -> SubCode {
        match self {
            AuthError::MissingHeader => SubCode::MissingAuthHeader,
            AuthError::InvalidHeader(_) => SubCode::InvalidAuthHeader,
            AuthError::MissingCallerId => SubCode::MissingCallerId,
            AuthError::MissingTraceId => SubCode::MissingTracerId,
            AuthError::MissingTime => SubCode::MissingTime,
            AuthError::MissingAuthId => SubCode::MissingAuthId,
            AuthError::MissingHeaderSign => SubCode::MissingHeaderSign,
            AuthError::MissingBodySign => SubCode::MissingBodySign,
            AuthError::InvalidTraceId => SubCode::InvalidTracerId,
            AuthError::InvalidTime | AuthError::TimeOutOfWindow { .. } => SubCode::InvalidTime,
            AuthError::InvalidBody(_) => SubCode::InvalidParameter,
            AuthError::BadHeaderSign | AuthError::BadBodySign => SubCode::InvalidSignature,
        }
    }

    /// The resultCode Payment Kit answers with.
    pub fn result_code(&self) -> ResultCode {
        self.sub_code().result_code()
    }

    /// The error answer (unsigned; the server signs it like any answer).
    pub fn to_envelope(&self) -> ResponseEnvelope {
        ResponseEnvelope::error(self.sub_code(), self.to_string())
    }
}

/// Reads a PayMercAuth header and checks that every required field is there with the right type.
/// Does not check signatures: use it to find the merchant (callerId, authId) and its key, then
/// call [`verify_pay_merc_auth`].
pub fn parse_pay_merc_auth(header: Option<&str>) -> Result<PayMercAuth, AuthError> {
    let text = match header.map(str::trim) {
        None | Some("") => return Err(AuthError::MissingHeader),
        Some(t) => t,
    };
    let value: serde_json::Value =
        serde_json::from_str(text).map_err(|e| AuthError::InvalidHeader(e.to_string()))?;
    let map = value
        .as_object()
        .ok_or_else(|| AuthError::InvalidHeader("not an object".to_owned()))?;
    let string = |key: &str, missing: AuthError| -> Result<String, AuthError> {
        match map.get(key) {
            None | Some(serde_json::Value::Null) => Err(missing),
            Some(serde_json::Value::String(s)) if s.is_empty() => Err(missing),
            Some(serde_json::Value::String(s)) => Ok(s.clone()),
            Some(_) => Err(AuthError::InvalidHeader(format!("{key} must be a string"))),
        }
    };
    let caller_id = string("callerId", AuthError::MissingCallerId)?;
    let trace_id = string("traceId", AuthError::MissingTraceId)?;
    if trace_id.chars().count() > limits::TRACE_ID {
        return Err(AuthError::InvalidTraceId);
    }
    let time = match map.get("time") {
        None | Some(serde_json::Value::Null) => return Err(AuthError::MissingTime),
        Some(v) => v.as_i64().ok_or(AuthError::InvalidTime)?,
    };
    let auth_id = string("authId", AuthError::MissingAuthId)?;
    let header_sign = string(infer::HEADER_SIGN_FIELD, AuthError::MissingHeaderSign)?;
    let body_sign = string("bodySign", AuthError::MissingBodySign)?;
    let session_key = match map.get("sessionKey") {
        Some(serde_json::Value::String(s)) => Some(s.clone()),
        _ => None,
    };
    Ok(PayMercAuth {
        caller_id,
        trace_id,
        time,
        auth_id,
        session_key,
        header_sign,
        body_sign,
    })
}

/// Server side: parses the header and checks headerSign (over every received header field but
/// headerSign) and bodySign (over the raw body, or the path plus query for GET) with the
/// merchant's public key. Returns the header on success.
///
/// Replay (reused traceId) and clock checks need server state; see [`check_time`].
pub fn verify_pay_merc_auth(
    header: Option<&str>,
    method: HttpMethod,
    path_and_query: &str,
    body: &str,
    merchant_key: &PublicKey,
) -> Result<PayMercAuth, AuthError> {
    let auth = parse_pay_merc_auth(header)?;
    // Re-read the raw header so unknown extra fields take part in the canonical string, exactly
    // as "all fields except headerSign" says.
    let mut raw: serde_json::Map<String, serde_json::Value> =
        serde_json::from_str(header.unwrap_or_default().trim())
            .map_err(|e| AuthError::InvalidHeader(e.to_string()))?;
    raw.remove(infer::HEADER_SIGN_FIELD);
    let unsigned =
        serde_json::to_string(&raw).map_err(|e| AuthError::InvalidHeader(e.to_string()))?;
    let header_input =
        canonical_json(&unsigned).map_err(|e| AuthError::InvalidHeader(e.to_string()))?;
    merchant_key
        .verify(header_input.as_bytes(), &auth.header_sign)
        .map_err(|_| AuthError::BadHeaderSign)?;
    let body_input = body_sign_input(method, path_and_query, body)
        .map_err(|e| AuthError::InvalidBody(e.to_string()))?;
    merchant_key
        .verify(body_input.as_bytes(), &auth.body_sign)
        .map_err(|_| AuthError::BadBodySign)?;
    Ok(auth)
}

/// Server side: refuses a header whose `time` is more than `window_ms` away from `now_ms`
/// (anti-replay; the window is [`infer::AUTH_TIME_WINDOW_MS`] unless the server picks another).
pub fn check_time(auth: &PayMercAuth, now_ms: i64, window_ms: i64) -> Result<(), AuthError> {
    let skew = auth.time.saturating_sub(now_ms);
    if skew.saturating_abs() > window_ms {
        return Err(AuthError::TimeOutOfWindow { skew_ms: skew });
    }
    Ok(())
}
