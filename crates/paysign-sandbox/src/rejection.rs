//! A request the sandbox refuses: the Payment Kit `resultCode` / `subCode` pair it answers with
//! (spec §4.10, the codes of paysign-pas), plus a description for `subDesc`.

use std::fmt;

use paysign_pas::codes::{ResultCode, SubCode};
use paysign_pas::error::FieldError;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rejection {
    pub result_code: ResultCode,
    pub sub_code: SubCode,
    pub description: String,
}

impl Rejection {
    /// A sub code under the resultCode Payment Kit documents it with.
    pub fn new(sub_code: SubCode, description: impl Into<String>) -> Self {
        Self {
            result_code: sub_code.result_code(),
            sub_code,
            description: description.into(),
        }
    }

    /// 400000 `INVALID_ARGUMENTS`: a field is missing, too long or out of range.
    pub fn argument(description: impl Into<String>) -> Self {
        Self::new(SubCode::InvalidArguments, description)
    }

    /// 500000 `UNKNOW_ERROR` (Payment Kit's spelling): the service is unavailable.
    pub fn unavailable(description: impl Into<String>) -> Self {
        Self {
            result_code: ResultCode::ServiceUnavailable,
            sub_code: SubCode::UnknowError,
            description: description.into(),
        }
    }
}

impl From<FieldError> for Rejection {
    fn from(e: FieldError) -> Self {
        Self::argument(e.to_string())
    }
}

impl fmt::Display for Rejection {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} {}: {}",
            self.result_code, self.sub_code, self.description
        )
    }
}

impl std::error::Error for Rejection {}
