//! Converting between JS values and paysign-core types. Inputs are read field by field from a
//! plain object, so every wrong shape becomes error 1001 naming the field; numbers are checked to be
//! finite integers in range before they become Rust integers.

use std::borrow::Cow;

use napi_ohos::bindgen_prelude::{External, FromNapiMutRef, FromNapiValue, Object, Unknown};
use napi_ohos::{sys, JsValue, ValueType};
use paysign_core::order_str::OrderStrView;
use paysign_core::{
    Action, ErrorView, Event, FlowConfig, FlowState, PayAndSignOutcome, PaysignError,
};

use crate::js_object::{JsObject, Raw};
use crate::types::{JsFlowConfig, JsPaysignError};

/// Integers above this lose precision as JS numbers.
const MAX_SAFE_INTEGER: f64 = 9_007_199_254_740_991.0;

fn invalid(reason: String) -> PaysignError {
    PaysignError::InvalidInput { reason }
}

fn type_name(t: ValueType) -> &'static str {
    match t {
        ValueType::Undefined => "undefined",
        ValueType::Null => "null",
        ValueType::Boolean => "boolean",
        ValueType::Number => "number",
        ValueType::String => "string",
        // ArkTS's NAPI has no Symbol (napi-ohos leaves the variant out on ohos).
        #[cfg(not(target_env = "ohos"))]
        ValueType::Symbol => "symbol",
        ValueType::Object => "object",
        ValueType::Function => "function",
        ValueType::External => "external",
        ValueType::BigInt => "bigint",
        _ => "unknown",
    }
}

/// Reads the fields of one plain-object argument.
pub(crate) struct ObjectArg<'env> {
    object: Object<'env>,
    name: &'static str,
}

impl<'env> ObjectArg<'env> {
    /// The argument must be an object (not null, not a function).
    pub(crate) fn new(arg: Unknown<'env>, name: &'static str) -> Result<Self, PaysignError> {
        let t = arg
            .get_type()
            .map_err(|e| invalid(format!("{name}: {e}")))?;
        if t != ValueType::Object {
            return Err(invalid(format!(
                "{name} must be an object, found {}",
                type_name(t)
            )));
        }
        let value = arg.value();
        Ok(ObjectArg {
            object: Object::from_raw(value.env, value.value),
            name,
        })
    }

    /// A field with its type; `None` when it is absent, undefined or null. One property read:
    /// the value is converted from what was read (a getter runs once).
    ///
    /// Two Node-API calls (get the named property, typeof): every call across the boundary costs
    /// more than the work behind most fields, so the key is passed as a C string from the stack
    /// rather than made into a JS string first.
    fn field(&self, field: &str) -> Result<Option<(Unknown<'env>, ValueType)>, PaysignError> {
        let failed = || invalid(format!("{}.{field} could not be read", self.name));
        let mut key = [0u8; 32];
        let Some(slot) = key.get_mut(..field.len()).filter(|_| field.len() < 32) else {
            return Err(failed());
        };
        slot.copy_from_slice(field.as_bytes());
        let raw = self.object.value();
        let mut value = std::ptr::null_mut();
        // SAFETY: env and object are this call's live handles; `key` is NUL-terminated (one zero
        // byte at least follows the copied name, which holds no NUL: it is one of this module's
        // field names).
        let status = unsafe {
            sys::napi_get_named_property(raw.env, raw.value, key.as_ptr().cast(), &mut value)
        };
        if status != sys::Status::napi_ok {
            return Err(failed());
        }
        let mut t = 0;
        // SAFETY: `value` was just returned by napi for this env.
        if unsafe { sys::napi_typeof(raw.env, value, &mut t) } != sys::Status::napi_ok {
            return Err(failed());
        }
        match ValueType::from(t) {
            ValueType::Undefined | ValueType::Null => Ok(None),
            // SAFETY: a live value of this env, of the type just read.
            t => Ok(Some((
                unsafe { Unknown::from_raw_unchecked(raw.env, value) },
                t,
            ))),
        }
    }

    /// The field's value when it has type `want`; an error naming the field when it has another.
    fn typed(&self, field: &str, want: ValueType) -> Result<Option<Unknown<'env>>, PaysignError> {
        match self.field(field)? {
            None => Ok(None),
            Some((value, t)) if t == want => Ok(Some(value)),
            Some((_, t)) => Err(invalid(format!(
                "{}.{field} must be a {}, found {}",
                self.name,
                type_name(want),
                type_name(t)
            ))),
        }
    }

    fn convert_error(&self, field: &str, e: napi_ohos::Error) -> PaysignError {
        invalid(format!("{}.{field}: {e}", self.name))
    }

    pub(crate) fn missing(&self, field: &str) -> PaysignError {
        invalid(format!("{}.{field} is required", self.name))
    }

    pub(crate) fn opt_string(&self, field: &str) -> Result<Option<String>, PaysignError> {
        self.typed(field, ValueType::String)?
            .map(|v| {
                let raw = v.value();
                // SAFETY: a live string value of this env (its type was checked).
                unsafe { String::from_napi_value(raw.env, raw.value) }
                    .map_err(|e| self.convert_error(field, e))
            })
            .transpose()
    }

    /// An optional string field read into `buf` in one Node-API call where it fits (else into a
    /// new `String`, as `opt_string` does).
    pub(crate) fn opt_str_in<'b>(
        &self,
        field: &str,
        buf: &'b mut [u8],
    ) -> Result<Option<Cow<'b, str>>, PaysignError> {
        let Some(value) = self.typed(field, ValueType::String)? else {
            return Ok(None);
        };
        let raw = value.value();
        if let Some(text) = read_string_into(raw.env, raw.value, buf) {
            return Ok(Some(Cow::Borrowed(text)));
        }
        // SAFETY: a live string value of this env (its type was checked).
        unsafe { String::from_napi_value(raw.env, raw.value) }
            .map(|s| Some(Cow::Owned(s)))
            .map_err(|e| self.convert_error(field, e))
    }

    pub(crate) fn string(&self, field: &str) -> Result<String, PaysignError> {
        self.opt_string(field)?.ok_or_else(|| self.missing(field))
    }

    pub(crate) fn opt_number(&self, field: &str) -> Result<Option<f64>, PaysignError> {
        self.typed(field, ValueType::Number)?
            .map(|v| {
                let raw = v.value();
                // SAFETY: a live number value of this env (its type was checked).
                unsafe { f64::from_napi_value(raw.env, raw.value) }
                    .map_err(|e| self.convert_error(field, e))
            })
            .transpose()
    }

    pub(crate) fn number(&self, field: &str) -> Result<f64, PaysignError> {
        self.opt_number(field)?.ok_or_else(|| self.missing(field))
    }

    /// An optional object field, for reading in turn.
    pub(crate) fn opt_object(&self, field: &str) -> Result<Option<Unknown<'env>>, PaysignError> {
        self.typed(field, ValueType::Object)
    }

    pub(crate) fn boolean(&self, field: &str) -> Result<bool, PaysignError> {
        self.typed(field, ValueType::Boolean)?
            .map(|v| v.coerce_to_bool().map_err(|e| self.convert_error(field, e)))
            .transpose()?
            .ok_or_else(|| self.missing(field))
    }
}

/// The flow a `newFlow` or `resumeFlow` made; anything else is 1003.
///
/// The external's type tag is checked before its contents are used; only this library creates
/// externals in the processes it runs in (JS cannot make one).
pub(crate) fn flow_arg(arg: Unknown) -> Result<&'static mut FlowState, PaysignError> {
    let not_a_flow = |found: &str| PaysignError::InvalidState {
        reason: format!("flow must be a flow made by newFlow or resumeFlow, found {found}"),
    };
    let t = arg.get_type().map_err(|e| not_a_flow(&e.to_string()))?;
    if t != ValueType::External {
        return Err(not_a_flow(type_name(t)));
    }
    let value = arg.value();
    // SAFETY: `value` is a live external of this env (checked above); `from_napi_mut_ref` checks
    // its type tag is FlowState's before handing out the reference.
    let external = unsafe { External::<FlowState>::from_napi_mut_ref(value.env, value.value) }
        .map_err(|_| not_a_flow("another native object"))?;
    Ok(&mut **external)
}

/// A JS number that must be a whole number in `min..=MAX_SAFE_INTEGER`.
pub(crate) fn integer(value: f64, name: &str, min: f64) -> Result<i64, PaysignError> {
    if !value.is_finite() || value.fract() != 0.0 || value < min || value > MAX_SAFE_INTEGER {
        return Err(invalid(format!(
            "{name} must be a whole number between {min} and {MAX_SAFE_INTEGER}, got {value}"
        )));
    }
    // In range: |value| <= 2^53 fits i64 exactly.
    Ok(value as i64)
}

/// A JS number that must be a non-negative whole number (times, durations).
pub(crate) fn unsigned(value: f64, name: &str) -> Result<u64, PaysignError> {
    let n = integer(value, name, 0.0)?;
    u64::try_from(n).map_err(|_| invalid(format!("{name} must not be negative")))
}

/// Room for an orderStr read in one Node-API call (a 3072-bit RSA sign makes it about 750 bytes);
/// a longer one is read in two calls.
const ORDER_STR_STACK_BYTES: usize = 2048;

/// Reads parseOrderStr's arguments and runs `check` on them: the input object, or the orderStr
/// itself with `nowMs` and `expectedAppId` after it (no property to look up: each lookup costs
/// about as much as checking a field). The strings are read into stack buffers in one Node-API
/// call each where they fit, instead of asking their length first and copying them into new
/// `String`s.
pub(crate) fn with_parse_order_str_args<T>(
    first: Unknown,
    now_ms: Unknown,
    expected_app_id: Unknown,
    check: impl FnOnce(&str, u64, Option<&str>) -> Result<T, PaysignError>,
) -> Result<T, PaysignError> {
    let mut text_buf = [0u8; ORDER_STR_STACK_BYTES];
    let mut expected_buf = [0u8; 128];
    let first_type = first
        .get_type()
        .map_err(|e| invalid(format!("input: {e}")))?;
    if first_type == ValueType::String {
        let text = arg_str_in(first, "orderStr", &mut text_buf)?;
        let now = match arg_value(now_ms, "nowMs")? {
            Some((value, ValueType::Number)) => number_of(value, "nowMs")?,
            Some((_, t)) => {
                return Err(invalid(format!(
                    "nowMs must be a number, found {}",
                    type_name(t)
                )))
            }
            None => return Err(invalid("nowMs is required".to_string())),
        };
        let now = unsigned(now, "nowMs")?;
        let expected = match arg_value(expected_app_id, "expectedAppId")? {
            Some((value, ValueType::String)) => {
                Some(arg_str_in(value, "expectedAppId", &mut expected_buf)?)
            }
            Some((_, t)) => {
                return Err(invalid(format!(
                    "expectedAppId must be a string, found {}",
                    type_name(t)
                )))
            }
            None => None,
        };
        return check(&text, now, expected.as_deref());
    }
    let input = ObjectArg::new(first, "input")?;
    let text = input
        .opt_str_in("orderStr", &mut text_buf)?
        .ok_or_else(|| input.missing("orderStr"))?;
    let now_ms = unsigned(input.number("nowMs")?, "input.nowMs")?;
    let expected = input.opt_str_in("expectedAppId", &mut expected_buf)?;
    check(&text, now_ms, expected.as_deref())
}

/// A positional argument with its type; `None` when it is absent, undefined or null.
fn arg_value<'env>(
    value: Unknown<'env>,
    name: &str,
) -> Result<Option<(Unknown<'env>, ValueType)>, PaysignError> {
    match value
        .get_type()
        .map_err(|e| invalid(format!("{name}: {e}")))?
    {
        ValueType::Undefined | ValueType::Null => Ok(None),
        t => Ok(Some((value, t))),
    }
}

fn number_of(value: Unknown, name: &str) -> Result<f64, PaysignError> {
    let raw = value.value();
    // SAFETY: a live number value of this env (its type was checked).
    unsafe { f64::from_napi_value(raw.env, raw.value) }.map_err(|e| invalid(format!("{name}: {e}")))
}

/// A string argument (its type checked) read as `ObjectArg::opt_str_in` reads a field.
fn arg_str_in<'b>(
    value: Unknown,
    name: &str,
    buf: &'b mut [u8],
) -> Result<Cow<'b, str>, PaysignError> {
    let raw = value.value();
    if let Some(text) = read_string_into(raw.env, raw.value, buf) {
        return Ok(Cow::Borrowed(text));
    }
    // SAFETY: a live string value of this env (its type was checked).
    unsafe { String::from_napi_value(raw.env, raw.value) }
        .map(Cow::Owned)
        .map_err(|e| invalid(format!("{name}: {e}")))
}

/// A JS string read into `buf` with one call; `None` when it may not have fit (or the engine
/// refused), so the caller reads it the long way.
fn read_string_into(env: sys::napi_env, value: sys::napi_value, buf: &mut [u8]) -> Option<&str> {
    let mut written = 0usize;
    // SAFETY: `buf` is writable for its length; the engine writes at most `len - 1` bytes and a NUL.
    let status = unsafe {
        sys::napi_get_value_string_utf8(
            env,
            value,
            buf.as_mut_ptr().cast(),
            buf.len(),
            &mut written,
        )
    };
    // The engine stops before a character that does not fit (at most 4 bytes) and keeps one byte
    // for the NUL: with 5 bytes or more left over, nothing was cut off.
    if status != sys::Status::napi_ok || written.saturating_add(5) > buf.len() {
        return None;
    }
    std::str::from_utf8(buf.get(..written)?).ok()
}

pub(crate) fn error_to_js(view: ErrorView) -> JsPaysignError {
    JsPaysignError {
        code: view.code,
        kind: view.kind.as_str().to_string(),
        retryable: view.retryable,
        unknown_outcome: view.unknown_outcome,
        message: view.message,
        action: view.action,
        user_message_zh: view.user_message_zh,
        user_message_en: view.user_message_en,
        payment_kit_code: view.payment_kit_code,
        field: view.field,
    }
}

pub(crate) fn flow_config(arg: Unknown) -> Result<FlowConfig, PaysignError> {
    let input = ObjectArg::new(arg, "config")?;
    let read = JsFlowConfig {
        overall_deadline_ms: input.opt_number("overallDeadlineMs")?,
        confirm_deadline_ms: input.opt_number("confirmDeadlineMs")?,
        backoff_initial_ms: input.opt_number("backoffInitialMs")?,
        backoff_cap_ms: input.opt_number("backoffCapMs")?,
        backoff_factor: input.opt_number("backoffFactor")?,
        expected_app_id: input.opt_string("expectedAppId")?,
    };
    let defaults = FlowConfig::default();
    let ms = |value: Option<f64>, name: &str, default: u64| match value {
        Some(v) => unsigned(v, &format!("config.{name}")),
        None => Ok(default),
    };
    let config = FlowConfig {
        overall_deadline_ms: ms(
            read.overall_deadline_ms,
            "overallDeadlineMs",
            defaults.overall_deadline_ms,
        )?,
        confirm_deadline_ms: ms(
            read.confirm_deadline_ms,
            "confirmDeadlineMs",
            defaults.confirm_deadline_ms,
        )?,
        backoff_initial_ms: ms(
            read.backoff_initial_ms,
            "backoffInitialMs",
            defaults.backoff_initial_ms,
        )?,
        backoff_cap_ms: ms(read.backoff_cap_ms, "backoffCapMs", defaults.backoff_cap_ms)?,
        backoff_factor: read.backoff_factor.unwrap_or(defaults.backoff_factor),
        expected_app_id: read.expected_app_id,
    };
    config.validate()?;
    Ok(config)
}

/// Reads an event: `kind` and `nowMs`, then only the fields that kind carries (each read costs
/// Node-API calls; a field another kind uses is ignored, as the docs' table says).
pub(crate) fn flow_event(arg: Unknown) -> Result<(u64, Event), PaysignError> {
    let input = ObjectArg::new(arg, "event")?;
    let kind = input.string("kind")?;
    let now_ms = unsigned(input.number("nowMs")?, "event.nowMs")?;
    let body = |kind: &str| {
        input
            .opt_string("body")?
            .ok_or_else(|| invalid(format!("event.body is required for {kind}")))
    };
    let message = || -> Result<String, PaysignError> {
        Ok(input.opt_string("errorMessage")?.unwrap_or_default())
    };
    let http_status = || -> Result<Option<u16>, PaysignError> {
        match input.opt_number("httpStatus")? {
            Some(v) => {
                let status = integer(v, "event.httpStatus", 100.0)?;
                Ok(Some(
                    u16::try_from(status)
                        .ok()
                        .filter(|s| *s <= 599)
                        .ok_or_else(|| {
                            invalid(format!("event.httpStatus must be 100..=599, got {v}"))
                        })?,
                ))
            }
            None => Ok(None),
        }
    };
    let parsed = match kind.as_str() {
        "STARTED" => Event::Started,
        "TICKET_FETCHED" => Event::TicketFetched {
            body: body("TICKET_FETCHED")?,
        },
        "TICKET_FAILED" => Event::TicketFailed {
            http_status: http_status()?,
            message: message()?,
        },
        "CASHIER_RETURNED" => Event::CashierReturned,
        "CASHIER_FAILED" => Event::CashierFailed {
            code: integer(
                input.opt_number("errorCode")?.ok_or_else(|| {
                    invalid("event.errorCode is required for CASHIER_FAILED".into())
                })?,
                "event.errorCode",
                -MAX_SAFE_INTEGER,
            )?,
            message: message()?,
        },
        "STATUS_FETCHED" => Event::StatusFetched {
            body: body("STATUS_FETCHED")?,
        },
        "STATUS_FAILED" => Event::StatusFailed {
            http_status: http_status()?,
            message: message()?,
        },
        "TIMER_FIRED" => Event::TimerFired,
        other => {
            let shown: String = other.chars().take(32).collect();
            return Err(invalid(format!(
                "event.kind {shown:?} is not an event kind"
            )));
        }
    };
    Ok((now_ms, parsed))
}

/// What a built result object could not be made of: an internal error (5002).
fn unbuilt(e: napi_ohos::Error) -> PaysignError {
    PaysignError::Internal {
        reason: format!("result object: {e}"),
    }
}

/// parseOrderStr's answer (`OrderStrInfo` in the .d.ts): through the env's object-literal function
/// where the engine has one (Node), else built in one define call (the device).
pub(crate) fn order_str_js(env: sys::napi_env, view: &OrderStrView) -> Result<Raw, PaysignError> {
    #[cfg(not(target_env = "ohos"))]
    {
        let info = crate::literal::OrderStrInfo {
            merc_no: &view.merc_no,
            prepay_id: &view.prepay_id,
            timestamp: &view.timestamp,
            noncestr: &view.noncestr,
            auth_id: &view.auth_id,
            app_id: view.app_id.as_deref(),
            sandbox: view.sandbox,
            age_ms: view.age_ms as f64,
        };
        if let Some(made) = crate::literal::order_str_info(env, &info) {
            return made.map_err(|()| PaysignError::Internal {
                reason: "result object: could not build OrderStrInfo".to_string(),
            });
        }
    }
    let mut o = JsObject::new(env);
    o.str(c"mercNo", &view.merc_no)
        .str(c"prepayId", &view.prepay_id)
        .str(c"timestamp", &view.timestamp)
        .str(c"noncestr", &view.noncestr)
        .str(c"authId", &view.auth_id)
        .opt_str(c"appId", view.app_id.as_deref())
        .bool(c"sandbox", view.sandbox)
        .num(c"ageMs", view.age_ms as f64);
    o.finish().map_err(unbuilt)
}

/// A `PaysignError` object (the .d.ts `PaysignError`).
fn error_js(env: sys::napi_env, view: &ErrorView) -> JsObject {
    let mut o = JsObject::new(env);
    o.num(c"code", f64::from(view.code))
        .str(c"kind", view.kind.as_str())
        .bool(c"retryable", view.retryable)
        .bool(c"unknownOutcome", view.unknown_outcome)
        .str(c"message", &view.message)
        .str(c"action", &view.action)
        .str(c"userMessageZh", &view.user_message_zh)
        .str(c"userMessageEn", &view.user_message_en)
        .opt_str(c"field", view.field.as_deref());
    if let Some(code) = view.payment_kit_code {
        // Payment Kit codes come in as JS numbers (checked to be safe integers): exact as f64.
        o.num(c"paymentKitCode", code as f64);
    }
    o
}

/// A `PayAndSignOutcome` object.
fn outcome_js(env: sys::napi_env, outcome: &PayAndSignOutcome) -> JsObject {
    let mut o = JsObject::new(env);
    o.str(c"payment", outcome.payment.as_str())
        .str(c"contract", outcome.contract.as_str())
        .opt_str(c"mercOrderNo", outcome.merc_order_no.as_deref())
        .opt_str(c"mercContractCode", outcome.merc_contract_code.as_deref())
        .opt_str(c"contractId", outcome.contract_id.as_deref())
        .num(c"elapsedMs", outcome.elapsed_ms as f64)
        .bool(c"isFinal", outcome.is_final())
        .bool(c"unknownOutcome", outcome.unknown_outcome());
    if let Some(error) = &outcome.error {
        o.object(c"error", error_js(env, &error.view()));
    }
    o
}

/// stepFlow's answer (`FlowAction` in the .d.ts), built in one define call per object.
pub(crate) fn action_js(env: sys::napi_env, action: &Action) -> Result<Raw, PaysignError> {
    let mut o = JsObject::new(env);
    o.str(c"kind", action.kind()).str(c"stage", action.stage());
    match action {
        Action::FetchTicket => {}
        Action::OpenCashier {
            order_str,
            merc_order_no,
            merc_contract_code,
        } => {
            o.str(c"orderStr", order_str)
                .str(c"mercOrderNo", merc_order_no)
                .str(c"mercContractCode", merc_contract_code);
        }
        Action::QueryStatus { merc_order_no } => {
            o.str(c"mercOrderNo", merc_order_no);
        }
        Action::Wait { wait_ms } => {
            o.num(c"waitMs", *wait_ms as f64);
        }
        Action::Done { outcome } => {
            o.object(c"outcome", outcome_js(env, outcome));
        }
    }
    o.finish().map_err(unbuilt)
}
