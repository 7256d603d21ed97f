//! Fixed-shape results made by a JS object literal instead of property by property.
//!
//! In V8 (Node), adding properties to an object made by `napi_create_object` goes through the
//! engine's slow generic path: about 1.1 µs for parseOrderStr's 8 fields, whether they are defined
//! at once or set one by one, with or without cached keys. An object literal in a small JS function
//! is built from a boilerplate by compiled code in well under 0.1 µs, and gives the object a
//! fast, stable shape. So each env compiles that function once (`napi_run_script`, a constant
//! source: no input reaches it) and the export calls it with the values it made.
//!
//! ArkTS's NAPI runs only compiled bytecode (no `napi_run_script` of source text), so on the device
//! the result is built with [`JsObject`] as before. Where the script cannot be compiled or called,
//! the same fallback is used, so the result's shape never depends on the path.
//!
//! For tests only, `PAYSIGN_NAPI_NO_SCRIPT=1` makes the host take the device's path too, so Node
//! tests check the objects a phone builds (tests/node/device-path.test.mjs).

use std::ffi::c_void;
use std::sync::OnceLock;

use napi_ohos::sys;

use crate::js_object::{string, Raw};

/// The per-env functions; a null reference means "not available here, use the fallback".
struct Literals {
    order_str_info: sys::napi_ref,
}

/// The function behind `OrderStrInfo`: the properties in the order of the `.d.ts`, `appId` left out
/// when the orderStr has none (not set to `undefined`), as the fallback does.
const ORDER_STR_INFO: &str = "(function orderStrInfo(mercNo, prepayId, timestamp, noncestr, authId, appId, sandbox, ageMs) {\n\
  'use strict';\n\
  return appId === undefined\n\
    ? { mercNo: mercNo, prepayId: prepayId, timestamp: timestamp, noncestr: noncestr, authId: authId, sandbox: sandbox, ageMs: ageMs }\n\
    : { mercNo: mercNo, prepayId: prepayId, timestamp: timestamp, noncestr: noncestr, authId: authId, appId: appId, sandbox: sandbox, ageMs: ageMs };\n\
})";

/// Frees one env's functions when the env goes away.
unsafe extern "C" fn finalize_literals(env: sys::napi_env, data: *mut c_void, _hint: *mut c_void) {
    if data.is_null() {
        return;
    }
    // SAFETY: `data` is the box this module leaked into the env's instance data, handed back once.
    let literals = unsafe { Box::from_raw(data.cast::<Literals>()) };
    if !literals.order_str_info.is_null() {
        // SAFETY: a reference this module created in this env; deleted once, here.
        unsafe { sys::napi_delete_reference(env, literals.order_str_info) };
    }
}

/// Test-only: `PAYSIGN_NAPI_NO_SCRIPT=1` builds results as the device does (no compiled function).
/// Read once per process, and said once in the log (info) so a test can see which path ran.
fn script_disabled() -> bool {
    static DISABLED: OnceLock<bool> = OnceLock::new();
    *DISABLED.get_or_init(|| {
        let disabled = std::env::var_os("PAYSIGN_NAPI_NO_SCRIPT").is_some_and(|v| v == "1");
        if disabled {
            crate::log::log(
                crate::log::Level::Info,
                "PAYSIGN_NAPI_NO_SCRIPT=1: results built as on the device (testing only)",
            );
        }
        disabled
    })
}

/// Compiles the `OrderStrInfo` function in this env; null when the engine cannot (or when
/// [`script_disabled`]).
fn compile(env: sys::napi_env) -> sys::napi_ref {
    if script_disabled() {
        return std::ptr::null_mut();
    }
    let mut source = std::ptr::null_mut();
    let mut function = std::ptr::null_mut();
    let mut t = 0;
    let mut reference = std::ptr::null_mut();
    // SAFETY: every out-pointer receives a handle of this env; the source is valid UTF-8 of the
    // given length.
    let made = unsafe {
        sys::napi_create_string_utf8(
            env,
            ORDER_STR_INFO.as_ptr().cast(),
            ORDER_STR_INFO.len() as isize,
            &mut source,
        ) == sys::Status::napi_ok
            && sys::napi_run_script(env, source, &mut function) == sys::Status::napi_ok
            && sys::napi_typeof(env, function, &mut t) == sys::Status::napi_ok
            && t == sys::ValueType::napi_function
            && sys::napi_create_reference(env, function, 1, &mut reference) == sys::Status::napi_ok
    };
    if made {
        return reference;
    }
    // A failed compile may leave an exception pending; it is not the caller's.
    let mut pending = false;
    // SAFETY: plain status queries on this env.
    unsafe {
        if sys::napi_is_exception_pending(env, &mut pending) == sys::Status::napi_ok && pending {
            let mut dropped = std::ptr::null_mut();
            sys::napi_get_and_clear_last_exception(env, &mut dropped);
        }
    }
    std::ptr::null_mut()
}

/// The env's `OrderStrInfo` function, compiled on first use; `None` when the engine cannot.
fn order_str_info_function(env: sys::napi_env) -> Option<sys::napi_value> {
    let mut data = std::ptr::null_mut();
    // SAFETY: reads this env's instance data, which only this module sets.
    if unsafe { sys::napi_get_instance_data(env, &mut data) } != sys::Status::napi_ok {
        return None;
    }
    let reference = if data.is_null() {
        let literals = Box::into_raw(Box::new(Literals {
            order_str_info: compile(env),
        }));
        // SAFETY: the box is handed to the env, which calls `finalize_literals` once at teardown.
        let status = unsafe {
            sys::napi_set_instance_data(
                env,
                literals.cast(),
                Some(finalize_literals),
                std::ptr::null_mut(),
            )
        };
        if status != sys::Status::napi_ok {
            // SAFETY: not handed over; freed here (with its reference).
            unsafe { finalize_literals(env, literals.cast(), std::ptr::null_mut()) };
            return None;
        }
        // SAFETY: just made above and now owned by the env, which outlives this call.
        unsafe { (*literals).order_str_info }
    } else {
        // SAFETY: this env's instance data is always a `Literals` set above.
        unsafe { (*data.cast::<Literals>()).order_str_info }
    };
    if reference.is_null() {
        return None;
    }
    let mut function = std::ptr::null_mut();
    // SAFETY: a live reference of this env.
    (unsafe { sys::napi_get_reference_value(env, reference, &mut function) }
        == sys::Status::napi_ok
        && !function.is_null())
    .then_some(function)
}

/// `OrderStrInfo`'s fields, in the order of the `.d.ts`.
pub(crate) struct OrderStrInfo<'a> {
    pub(crate) merc_no: &'a str,
    pub(crate) prepay_id: &'a str,
    pub(crate) timestamp: &'a str,
    pub(crate) noncestr: &'a str,
    pub(crate) auth_id: &'a str,
    pub(crate) app_id: Option<&'a str>,
    pub(crate) sandbox: bool,
    pub(crate) age_ms: f64,
}

/// The `OrderStrInfo` object through the env's literal function; `None` when the engine has none
/// (the caller builds it property by property then).
pub(crate) fn order_str_info(env: sys::napi_env, info: &OrderStrInfo) -> Option<Result<Raw, ()>> {
    let function = order_str_info_function(env)?;
    Some(call_order_str_info(env, function, info))
}

fn call_order_str_info(
    env: sys::napi_env,
    function: sys::napi_value,
    info: &OrderStrInfo,
) -> Result<Raw, ()> {
    let mut undefined = std::ptr::null_mut();
    let mut sandbox = std::ptr::null_mut();
    let mut age = std::ptr::null_mut();
    // SAFETY: out-pointers receive handles of this env.
    let made = unsafe {
        sys::napi_get_undefined(env, &mut undefined) == sys::Status::napi_ok
            && sys::napi_get_boolean(env, info.sandbox, &mut sandbox) == sys::Status::napi_ok
            && sys::napi_create_double(env, info.age_ms, &mut age) == sys::Status::napi_ok
    };
    if !made {
        return Err(());
    }
    let args = [
        string(env, info.merc_no).ok_or(())?,
        string(env, info.prepay_id).ok_or(())?,
        string(env, info.timestamp).ok_or(())?,
        string(env, info.noncestr).ok_or(())?,
        string(env, info.auth_id).ok_or(())?,
        match info.app_id {
            Some(app_id) => string(env, app_id).ok_or(())?,
            None => undefined,
        },
        sandbox,
        age,
    ];
    let mut out = std::ptr::null_mut();
    // SAFETY: `function` is a live function of this env, `args` live values of this env.
    let status = unsafe {
        sys::napi_call_function(
            env,
            undefined,
            function,
            args.len(),
            args.as_ptr(),
            &mut out,
        )
    };
    (status == sys::Status::napi_ok && !out.is_null())
        .then_some(Raw(out))
        .ok_or(())
}
