//! One error type for everything the Payment Kit server API can do wrong, with `retryable` and
//! what to do. Payment Kit's own codes arrive as [`ApiError`].

use crate::codes::{ResultCode, Retry, SubCode};

/// A Payment Kit answer with `resultCode != "000000"`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApiError {
    pub result_code: ResultCode,
    pub sub_code: Option<SubCode>,
    pub result_desc: Option<String>,
    pub sub_desc: Option<String>,
    /// The HTTP status the answer came with.
    pub http_status: u16,
}

impl ApiError {
    /// Whether a later identical call can succeed.
    pub fn retry(&self) -> Retry {
        match &self.sub_code {
            Some(sub) if sub.is_known() => sub.retry(),
            _ => self.result_code.retry(),
        }
    }

    /// What the merchant should do.
    pub fn action(&self) -> &'static str {
        match &self.sub_code {
            Some(sub) => sub.action(),
            None => match self.result_code {
                ResultCode::InsufficientPermission => SubCode::InsufficientPermission.action(),
                ResultCode::SignatureError => SubCode::InvalidSignature.action(),
                ResultCode::FrequencyLimited => SubCode::CallFrequencyLimited.action(),
                ResultCode::ServiceUnavailable => SubCode::UnknowError.action(),
                _ => "Read resultDesc; query the order before acting on a write.",
            },
        }
    }

    /// True when Payment Kit rate-limited the call.
    pub fn is_frequency_limited(&self) -> bool {
        self.result_code == ResultCode::FrequencyLimited
            || self.sub_code == Some(SubCode::CallFrequencyLimited)
    }
}

impl std::fmt::Display for ApiError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Payment Kit answered {}", self.result_code)?;
        if let Some(sub) = &self.sub_code {
            write!(f, "/{sub}")?;
        }
        if let Some(desc) = self.sub_desc.as_deref().or(self.result_desc.as_deref()) {
            write!(f, " ({desc})")?;
        }
        Ok(())
    }
}

impl std::error::Error for ApiError {}

/// A request field that breaks the documented rules, found before anything is sent.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("invalid field `{field}`: {reason}")]
pub struct FieldError {
    pub field: &'static str,
    pub reason: String,
}

impl FieldError {
    pub(crate) fn new(field: &'static str, reason: impl Into<String>) -> Self {
        FieldError {
            field,
            reason: reason.into(),
        }
    }
}

/// Everything that can go wrong calling Payment Kit.
#[derive(Debug, thiserror::Error)]
pub enum PasError {
    /// The request breaks a documented rule; nothing was sent.
    #[error(transparent)]
    InvalidRequest(#[from] FieldError),
    /// The client is misconfigured (base URL, keys); nothing was sent.
    #[error("configuration: {0}")]
    Config(String),
    /// Signing failed locally (bad key); nothing was sent.
    #[error("signing: {0}")]
    Signing(String),
    /// The request did not complete (connect, TLS, timeout, reset). `connect` is true when no
    /// connection was made, so nothing reached Payment Kit. A write never ends in this variant
    /// unless `connect` is true: otherwise it is [`PasError::OutcomeUnknown`].
    #[error("transport{}: {message}", if *.timeout { " timeout" } else if *.connect { " (connect)" } else { "" })]
    Transport {
        message: String,
        timeout: bool,
        connect: bool,
    },
    /// A write (pre-order, refund, unsign, withholding debit) may or may not have been processed:
    /// the request was sent but its answer was lost, late, unreadable or untrusted, or a retry was
    /// answered "already processed". Do not send a different request for the same purpose:
    /// query the order / refund / contract (or retry with the same merchant number) first.
    #[error("the outcome of the write is unknown ({cause}); query before acting")]
    OutcomeUnknown {
        #[source]
        cause: Box<PasError>,
    },
    /// A non-JSON answer with an HTTP error status.
    #[error("HTTP {status} without a Payment Kit answer")]
    HttpStatus { status: u16 },
    /// The answer is not what the API documents (not JSON, missing a required field).
    #[error("invalid response: {0}")]
    InvalidResponse(String),
    /// The answer's `sign` is missing or does not verify with Huawei's public key: treat the
    /// content as untrusted (possible tampering or a wrong Huawei key configured).
    #[error("response signature: {0}")]
    ResponseSignature(String),
    /// Payment Kit answered with an error code.
    #[error(transparent)]
    Api(ApiError),
    /// A bill could not be downloaded or parsed.
    #[error(transparent)]
    Bill(#[from] crate::bill::BillError),
}

impl PasError {
    /// Whether a later identical call can succeed (the client already retried transport errors
    /// and frequency limits up to its bound). `false` for [`PasError::OutcomeUnknown`]: query
    /// first; the write may have happened.
    pub fn retryable(&self) -> bool {
        match self {
            PasError::Transport { .. } => true,
            PasError::Api(api) => api.retry() != Retry::No,
            PasError::HttpStatus { status } => *status >= 500,
            _ => false,
        }
    }

    /// True when money may have moved although the call failed: every
    /// [`PasError::OutcomeUnknown`], and (for a read, where it does not matter) a transport error
    /// after connecting or an HTTP error without a Payment Kit answer.
    pub fn outcome_unknown(&self) -> bool {
        match self {
            PasError::OutcomeUnknown { .. } | PasError::HttpStatus { .. } => true,
            PasError::Transport { connect, .. } => !connect,
            _ => false,
        }
    }

    /// What the merchant should do.
    pub fn action(&self) -> &'static str {
        match self {
            PasError::InvalidRequest(_) => "Fix the request field named in the error.",
            PasError::Config(_) => "Fix the client configuration (base URL, keys, timeouts).",
            PasError::Signing(_) => "Check the merchant private key (format and algorithm).",
            PasError::Transport { .. } => "Retry later; for a write, query its state first.",
            PasError::OutcomeUnknown { .. } => {
                "Query the order / refund / contract before acting; retry only with the same merchant number."
            }
            PasError::HttpStatus { .. } => {
                "Payment Kit or a proxy failed: retry later; for a write, query first."
            }
            PasError::InvalidResponse(_) => {
                "Payment Kit's answer was malformed: query the state; report if it persists."
            }
            PasError::ResponseSignature(_) => {
                "Do not trust the answer: check Huawei's public key configured; query again."
            }
            PasError::Api(api) => api.action(),
            PasError::Bill(_) => {
                "Download the bill again; report the file if parsing keeps failing."
            }
        }
    }

    /// The API error, if Payment Kit answered with one. `None` for [`PasError::OutcomeUnknown`]
    /// even when its cause is an answer: an "already processed" answer to a retry is not a
    /// failure of the write to act on.
    pub fn api(&self) -> Option<&ApiError> {
        match self {
            PasError::Api(api) => Some(api),
            _ => None,
        }
    }
}
