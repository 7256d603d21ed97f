//! PayMercAuth (spec §3.5): the signed header on every merchant request. Built here for the
//! client; parsed and verified here for the server side (the sandbox), with errors that carry the
//! spec's `MISSING_*` / `INVALID_*` / `INVALID_SIGNATURE` codes.
//!
//! bodySign signs the canonical string of the JSON body (POST) or the path plus query exactly as
//! sent (GET). headerSign signs the canonical string of every header field but `headerSign`
//! itself, so it covers `bodySign` (`[INFER]`, see [`crate::infer`]).

use paysign_crypto::{canonical_get, canonical_json, PrivateKey, PublicKey};
use serde::{Deserialize, Serialize};

use crate::codes::{ResultCode, SubCode};
use crate::error::PasError;
use crate::infer;
use crate::limits;
use crate::model::common::ResponseEnvelope;

/// The HTTP method of a signed request; it decides what bodySign covers.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum HttpMethod {
    Get,
    Post,
}

impl HttpMethod {
    pub fn as_str(&self) -> &'static str {
        match self {
            HttpMethod::Get => "GET",
            HttpMethod::Post => "POST",
        }
    }

    /// `GET` / `POST` in any case; anything else is `None`.
    pub fn parse(method: &str) -> Option<Self> {
        if method.eq_ignore_ascii_case("GET") {
            Some(HttpMethod::Get)
        } else if method.eq_ignore_ascii_case("POST") {
            Some(HttpMethod::Post)
        } else {
            None
        }
    }
}

/// The PayMercAuth header object.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PayMercAuth {
    /// Merchant number (direct) or service-provider number.
    pub caller_id: String,
    /// Unique per request, ≤ 32 characters; a reused one is `INVALID_DUPLICATE_REQUEST`.
    pub trace_id: String,
    /// Milliseconds since the epoch.
    pub time: i64,
    /// Merchant certificate ID.
    pub auth_id: String,
    /// SM4 key for encrypted fields (not used by this crate; kept when received).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub session_key: Option<String>,
    pub header_sign: String,
    pub body_sign: String,
}

impl std::fmt::Debug for PayMercAuth {
    // Signatures stay out of logs.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PayMercAuth")
            .field("caller_id", &self.caller_id)
            .field("trace_id", &self.trace_id)
            .field("time", &self.time)
            .field("auth_id", &self.auth_id)
            .finish_non_exhaustive()
    }
}

/// Who signs: merchant number (or SP number), certificate ID and private key.
#[derive(Debug, Clone)]
pub struct MerchantSigner {
    /// `callerId`: the direct merchant number, or the service provider's.
    pub caller_id: String,
    /// `authId` / `auth_id`: the certificate ID from the merchant platform.
    pub auth_id: String,
    /// SM2 or RSA; the algorithm follows the key.
    pub private_key: PrivateKey,
}

impl MerchantSigner {
    pub fn new(
        caller_id: impl Into<String>,
        auth_id: impl Into<String>,
        private_key: PrivateKey,
    ) -> Self {
        MerchantSigner {
            caller_id: caller_id.into(),
            auth_id: auth_id.into(),
            private_key,
        }
    }

    /// Builds the header for one request with a fresh traceId and the given time.
    pub fn pay_merc_auth(
        &self,
        method: HttpMethod,
        path_and_query: &str,
        body: &str,
        time_ms: i64,
    ) -> Result<PayMercAuth, PasError> {
        self.pay_merc_auth_with_trace_id(
            method,
            path_and_query,
            body,
            time_ms,
            new_trace_id(time_ms)?,
        )
    }

    /// Builds the header with a caller-chosen traceId (tests, replays of a known request).
    pub fn pay_merc_auth_with_trace_id(
        &self,
        method: HttpMethod,
        path_and_query: &str,
        body: &str,
        time_ms: i64,
        trace_id: String,
    ) -> Result<PayMercAuth, PasError> {
        let body_input = body_sign_input(method, path_and_query, body)
            .map_err(|e| PasError::Signing(e.to_string()))?;
        let body_sign = self
            .private_key
            .sign(body_input.as_bytes())
            .map_err(|e| PasError::Signing(e.to_string()))?;
        let mut auth = PayMercAuth {
            caller_id: self.caller_id.clone(),
            trace_id,
            time: time_ms,
            auth_id: self.auth_id.clone(),
            session_key: None,
            header_sign: String::new(),
            body_sign,
        };
        let unsigned = header_without_sign(&auth).map_err(|e| PasError::Signing(e.to_string()))?;
        let header_input =
            canonical_json(&unsigned).map_err(|e| PasError::Signing(e.to_string()))?;
        auth.header_sign = self
            .private_key
            .sign(header_input.as_bytes())
            .map_err(|e| PasError::Signing(e.to_string()))?;
        Ok(auth)
    }
}

impl PayMercAuth {
    /// The header value: the object as compact JSON.
    pub fn to_header_value(&self) -> Result<String, PasError> {
        serde_json::to_string(self).map_err(|e| PasError::Signing(e.to_string()))
    }
}

/// The JSON of the header fields without headerSign: what headerSign signs (canonicalized).
fn header_without_sign(auth: &PayMercAuth) -> Result<String, serde_json::Error> {
    let mut value = serde_json::to_value(auth)?;
    if let Some(map) = value.as_object_mut() {
        map.remove(infer::HEADER_SIGN_FIELD);
    }
    serde_json::to_string(&value)
}

/// The string bodySign signs: GET → the path and query as sent; POST → the body's canonical string.
pub fn body_sign_input(
    method: HttpMethod,
    path_and_query: &str,
    body: &str,
) -> Result<String, paysign_crypto::CanonicalError> {
    match method {
        HttpMethod::Get => Ok(canonical_get(path_and_query)),
        HttpMethod::Post => canonical_json(body),
    }
}

/// A fresh traceId: the 13-digit millisecond time then 19 random hex digits (32 characters, the
/// maximum), following the spec's "timestamp + random" advice.
pub fn new_trace_id(time_ms: i64) -> Result<String, PasError> {
    let mut random = [0u8; 10];
    getrandom::fill(&mut random).map_err(|e| PasError::Signing(format!("random: {e}")))?;
    let mut id = format!("{:013}{}", time_ms.max(0), hex::encode(random));
    id.truncate(limits::TRACE_ID);
    Ok(id)
}

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
