//! PayMercAuth (spec §3.5): the signed header on every merchant request, built for the client.
//! Verifying it is Payment Kit's side: `crate::simulator::auth` (feature `simulator`).
//!
//! bodySign signs the canonical string of the JSON body (POST) or the path plus query exactly as
//! sent (GET). headerSign signs the canonical string of every header field but `headerSign`
//! itself, so it covers `bodySign` (`[INFER]`, see [`crate::infer`]).

use paysign_crypto::{canonical_get, canonical_json, PrivateKey};
use serde::{Deserialize, Serialize};

use crate::error::PasError;
use crate::infer;
use crate::limits;

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
