//! One error type for every handler: it answers a client error as `{"error": {"code", "message"}}`
//! and an internal one as a bare 500 whose cause goes to the log, never to the caller.

use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde_json::json;

use crate::db::DbError;

#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("not found")]
    NotFound,
    #[error("unauthorized: {0}")]
    Unauthorized(&'static str),
    #[error("{0}")]
    BadRequest(String),
    /// A body over the cap (413); the message names the cap.
    #[error("{0}")]
    TooLarge(String),
    /// The client did not send its body in time (408).
    #[error("{0}")]
    SlowClient(String),
    /// A body that is not `application/json` in UTF-8 (415).
    #[error("{0}")]
    UnsupportedMediaType(String),
    #[error("no such path")]
    NoRoute,
    #[error("method not allowed here")]
    MethodNotAllowed,
    #[error("{0}")]
    Conflict(String),
    #[error("{0}")]
    TooEarly(String),
    /// Payment Kit refused or could not be reached; the message says which, without secrets.
    #[error("Payment Kit: {0}")]
    Upstream(String),
    #[error(transparent)]
    Db(#[from] DbError),
    #[error("{0}")]
    Internal(String),
}

impl From<sqlx::Error> for Error {
    fn from(e: sqlx::Error) -> Self {
        Error::Db(DbError::Sql(e))
    }
}

impl From<paysign_serve::BodyError> for Error {
    fn from(e: paysign_serve::BodyError) -> Self {
        use paysign_serve::BodyError;
        match e {
            BodyError::TooLarge { .. } => Error::TooLarge(e.to_string()),
            BodyError::TimedOut { .. } => Error::SlowClient(e.to_string()),
            BodyError::Unreadable(_) => Error::BadRequest(e.to_string()),
        }
    }
}

impl Error {
    fn status_and_code(&self) -> (StatusCode, &'static str) {
        match self {
            Error::NotFound => (StatusCode::NOT_FOUND, "NOT_FOUND"),
            Error::Unauthorized(_) => (StatusCode::UNAUTHORIZED, "UNAUTHORIZED"),
            Error::BadRequest(_) => (StatusCode::BAD_REQUEST, "BAD_REQUEST"),
            Error::TooLarge(_) => (StatusCode::PAYLOAD_TOO_LARGE, "TOO_LARGE"),
            Error::SlowClient(_) => (StatusCode::REQUEST_TIMEOUT, "REQUEST_TIMEOUT"),
            Error::UnsupportedMediaType(_) => {
                (StatusCode::UNSUPPORTED_MEDIA_TYPE, "UNSUPPORTED_MEDIA_TYPE")
            }
            Error::NoRoute => (StatusCode::NOT_FOUND, "NOT_FOUND"),
            Error::MethodNotAllowed => (StatusCode::METHOD_NOT_ALLOWED, "METHOD_NOT_ALLOWED"),
            Error::Conflict(_) => (StatusCode::CONFLICT, "CONFLICT"),
            Error::TooEarly(_) => (StatusCode::TOO_MANY_REQUESTS, "TOO_EARLY"),
            Error::Upstream(_) => (StatusCode::BAD_GATEWAY, "PAYMENT_KIT"),
            Error::Db(_) | Error::Internal(_) => (StatusCode::INTERNAL_SERVER_ERROR, "INTERNAL"),
        }
    }
}

impl IntoResponse for Error {
    fn into_response(self) -> Response {
        let (status, code) = self.status_and_code();
        let message = match &self {
            Error::Db(e) => {
                tracing::error!(error = %e, "database error");
                "internal error".to_owned()
            }
            Error::Internal(e) => {
                tracing::error!(error = %e, "internal error");
                "internal error".to_owned()
            }
            Error::Unauthorized(why) => {
                tracing::debug!(why, "unauthorized request");
                "unauthorized".to_owned()
            }
            other => other.to_string(),
        };
        let mut response = (
            status,
            Json(json!({ "error": { "code": code, "message": message } })),
        )
            .into_response();
        if status == StatusCode::UNAUTHORIZED {
            response.headers_mut().insert(
                axum::http::header::WWW_AUTHENTICATE,
                axum::http::HeaderValue::from_static("Bearer"),
            );
        }
        response
    }
}

pub type Result<T> = std::result::Result<T, Error>;
