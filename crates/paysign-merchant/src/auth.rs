//! Who is calling. App users: an HS256 bearer token whose `sub` is the user id, or — for local
//! runs only — the `X-Paysign-User` header (`dev` mode, announced loudly at start). Operators:
//! the admin bearer token, compared in constant time.

use std::sync::Arc;

use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use jsonwebtoken::{Algorithm, DecodingKey, Validation};
use serde::Deserialize;

use crate::error::Error;
use crate::server::AppState;

/// The header `dev` mode takes the user id from.
pub const DEV_USER_HEADER: &str = "X-Paysign-User";
/// A user id is 1 to this many characters.
pub const USER_ID_MAX_CHARS: usize = 128;

/// How app users are authenticated.
#[derive(Clone)]
pub enum Authenticator {
    Dev,
    Jwt(Box<(DecodingKey, Validation)>),
}

impl std::fmt::Debug for Authenticator {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Authenticator::Dev => f.write_str("Dev"),
            Authenticator::Jwt(_) => f.write_str("Jwt(HS256)"),
        }
    }
}

#[derive(Deserialize)]
struct Claims {
    sub: String,
}

impl Authenticator {
    pub fn jwt(secret: &[u8]) -> Result<Authenticator, String> {
        let key = DecodingKey::from_secret(secret).map_err(|e| format!("HS256 secret: {e}"))?;
        let mut validation = Validation::new(Algorithm::HS256);
        // exp is required and checked (with jsonwebtoken's default 60 s leeway).
        validation.set_required_spec_claims(&["exp", "sub"]);
        Ok(Authenticator::Jwt(Box::new((key, validation))))
    }

    /// The user id of a request.
    pub fn user(&self, parts: &Parts) -> Result<String, Error> {
        let user = match self {
            Authenticator::Dev => parts
                .headers
                .get(DEV_USER_HEADER)
                .and_then(|v| v.to_str().ok())
                .map(str::trim)
                .ok_or(Error::Unauthorized("no X-Paysign-User header"))?
                .to_owned(),
            Authenticator::Jwt(jwt) => {
                let (key, validation) = jwt.as_ref();
                let token = bearer(parts).ok_or(Error::Unauthorized("no bearer token"))?;
                jsonwebtoken::decode::<Claims>(token, key, validation)
                    .map_err(|_| Error::Unauthorized("invalid token"))?
                    .claims
                    .sub
            }
        };
        if user.is_empty()
            || user.chars().count() > USER_ID_MAX_CHARS
            || user.chars().any(char::is_control)
        {
            return Err(Error::Unauthorized("unusable user id"));
        }
        Ok(user)
    }
}

fn bearer(parts: &Parts) -> Option<&str> {
    let value = parts
        .headers
        .get(axum::http::header::AUTHORIZATION)?
        .to_str()
        .ok()?;
    let (scheme, token) = value.split_once(' ')?;
    scheme
        .eq_ignore_ascii_case("bearer")
        .then_some(token.trim())
}

/// The authenticated app user (an extractor).
#[derive(Debug, Clone)]
pub struct AuthUser(pub String);

impl FromRequestParts<Arc<AppState>> for AuthUser {
    type Rejection = Error;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &Arc<AppState>,
    ) -> Result<Self, Self::Rejection> {
        state.auth.user(parts).map(AuthUser)
    }
}

/// An operator holding the admin token (an extractor).
#[derive(Debug, Clone)]
pub struct Operator;

impl FromRequestParts<Arc<AppState>> for Operator {
    type Rejection = Error;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &Arc<AppState>,
    ) -> Result<Self, Self::Rejection> {
        let token = bearer(parts).ok_or(Error::Unauthorized("no admin token"))?;
        if constant_time_eq(token.as_bytes(), state.settings.admin_token.as_bytes()) {
            Ok(Operator)
        } else {
            Err(Error::Unauthorized("wrong admin token"))
        }
    }
}

fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    use subtle::ConstantTimeEq;
    a.ct_eq(b).into()
}
