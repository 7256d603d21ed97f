//! Throwing a paysign error into JS: an `Error` whose `message` is the developer message and whose
//! `code` (number), `kind` and the other table fields are set on the same object.

use napi_ohos::{Env, Error, Status};
use paysign_core::PaysignError;

/// Throws `error` as a JS exception and returns the marker error that tells napi an exception is
/// already pending.
pub(crate) fn throw(env: &Env, error: &PaysignError) -> Error {
    let view = error.view();
    let thrown = (|| -> napi_ohos::Result<()> {
        let mut object =
            env.create_error(Error::new(Status::GenericFailure, view.message.clone()))?;
        object.set("code", view.code)?;
        object.set("kind", view.kind.as_str())?;
        object.set("retryable", view.retryable)?;
        object.set("unknownOutcome", view.unknown_outcome)?;
        object.set("action", view.action.as_str())?;
        object.set("userMessageZh", view.user_message_zh.as_str())?;
        object.set("userMessageEn", view.user_message_en.as_str())?;
        if let Some(code) = view.payment_kit_code {
            object.set("paymentKitCode", code)?;
        }
        if let Some(field) = &view.field {
            object.set("field", field.as_str())?;
        }
        env.throw(object)
    })();
    match thrown {
        Ok(()) => Error::from_status(Status::PendingException),
        // Could not build the object (e.g. an exception was already pending): napi throws this.
        Err(e) => e,
    }
}
