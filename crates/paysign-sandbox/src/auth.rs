//! PayMercAuth as Payment Kit checks it: the header parsed and both signatures verified with the
//! caller's registered public key (paysign-pas's server-side verify), the callerId and authId
//! matched to a known merchant, `time` within the allowed skew of the wall clock, and the
//! traceId never reused by that caller.

use paysign_crypto::PublicKey;
use paysign_pas::auth::{HttpMethod, PayMercAuth};
use paysign_pas::codes::SubCode;
use paysign_pas::simulator::auth as pas_auth;

use crate::clock;
use crate::merchants::Merchant;
use crate::rejection::Rejection;
use crate::store::{self, Store};

/// Checks the request; on success returns the calling merchant and its header.
pub fn authenticate(
    store: &Store,
    header: Option<&str>,
    method: HttpMethod,
    path_and_query: &str,
    body: &str,
    max_skew_ms: i64,
) -> Result<(Merchant, PayMercAuth), Rejection> {
    let reject = |e: pas_auth::AuthError| Rejection::new(e.sub_code(), e.to_string());
    let parsed = pas_auth::parse_pay_merc_auth(header).map_err(reject)?;
    let merchant = store
        .run(|c| store::merchant(c, &parsed.caller_id))
        .map_err(|e| Rejection::unavailable(e.to_string()))?
        .ok_or_else(|| {
            Rejection::new(
                SubCode::InvalidCallerId,
                "callerId is not a merchant the sandbox knows",
            )
        })?;
    if merchant.auth_id != parsed.auth_id {
        return Err(Rejection::new(
            SubCode::InvalidAuthId,
            "authId is not the certificate registered for this merchant",
        ));
    }
    let key = PublicKey::from_text(&merchant.public_key).map_err(|e| {
        Rejection::new(
            SubCode::InvalidPubKey,
            format!("the merchant's registered key: {e}"),
        )
    })?;
    let auth = pas_auth::verify_pay_merc_auth(header, method, path_and_query, body, &key)
        .map_err(reject)?;
    pas_auth::check_time(&auth, clock::system_ms(), max_skew_ms).map_err(reject)?;
    // Recorded only once the signatures verified, so nobody can burn a merchant's traceIds.
    let fresh = store
        .run(|c| store::record_trace_id(c, &auth.caller_id, &auth.trace_id, clock::system_ms()))
        .map_err(|e| Rejection::unavailable(e.to_string()))?;
    if !fresh {
        return Err(Rejection::new(
            SubCode::InvalidDuplicateRequest,
            "this traceId was already used by this merchant",
        ));
    }
    Ok((merchant, auth))
}
