//! Plain JS objects built with one `napi_define_properties` call, for the hot results (each step's
//! action, parseOrderStr's answer). napi-rs's `#[napi(object)]` conversion makes a JS string of
//! every key and sets each property with its own call: three Node-API calls per field, which cost
//! more than the work behind them. Here the keys are static C strings and all properties are
//! defined at once. The `#[napi(object)]` structs in `types` still declare the shapes for the
//! generated `.d.ts`; the Node tests compare the two.

use std::ffi::CStr;

use napi_ohos::bindgen_prelude::ToNapiValue;
use napi_ohos::sys;

/// A JS value made here, handed to napi as the export's result (public only because the exports
/// that return it are).
pub struct Raw(pub(crate) sys::napi_value);

impl ToNapiValue for Raw {
    unsafe fn to_napi_value(_env: sys::napi_env, val: Self) -> napi_ohos::Result<sys::napi_value> {
        Ok(val.0)
    }
}

/// The properties of one object being built. Data properties, writable, enumerable and
/// configurable, like those of an object literal.
pub(crate) struct JsObject {
    env: sys::napi_env,
    props: Vec<sys::napi_property_descriptor>,
    failed: bool,
}

impl JsObject {
    pub(crate) fn new(env: sys::napi_env) -> JsObject {
        JsObject {
            env,
            props: Vec::with_capacity(10),
            failed: false,
        }
    }

    fn push(&mut self, name: &'static CStr, status: sys::napi_status, value: sys::napi_value) {
        if status != sys::Status::napi_ok {
            self.failed = true;
            return;
        }
        self.props.push(sys::napi_property_descriptor {
            utf8name: name.as_ptr(),
            name: std::ptr::null_mut(),
            method: None,
            getter: None,
            setter: None,
            value,
            attributes: sys::PropertyAttributes::writable
                | sys::PropertyAttributes::enumerable
                | sys::PropertyAttributes::configurable,
            data: std::ptr::null_mut(),
        });
    }

    pub(crate) fn str(&mut self, name: &'static CStr, value: &str) -> &mut JsObject {
        match string(self.env, value) {
            Some(out) => self.push(name, sys::Status::napi_ok, out),
            None => self.failed = true,
        }
        self
    }

    pub(crate) fn opt_str(&mut self, name: &'static CStr, value: Option<&str>) -> &mut JsObject {
        if let Some(value) = value {
            self.str(name, value);
        }
        self
    }

    pub(crate) fn num(&mut self, name: &'static CStr, value: f64) -> &mut JsObject {
        let mut out = std::ptr::null_mut();
        // SAFETY: `out` receives a handle of this env.
        let status = unsafe { sys::napi_create_double(self.env, value, &mut out) };
        self.push(name, status, out);
        self
    }

    pub(crate) fn bool(&mut self, name: &'static CStr, value: bool) -> &mut JsObject {
        let mut out = std::ptr::null_mut();
        // SAFETY: `out` receives a handle of this env.
        let status = unsafe { sys::napi_get_boolean(self.env, value, &mut out) };
        self.push(name, status, out);
        self
    }

    pub(crate) fn object(&mut self, name: &'static CStr, value: JsObject) -> &mut JsObject {
        match value.finish() {
            Ok(Raw(out)) => self.push(name, sys::Status::napi_ok, out),
            Err(_) => self.failed = true,
        }
        self
    }

    /// The object, or an error when any value could not be made.
    pub(crate) fn finish(self) -> napi_ohos::Result<Raw> {
        let failed = || napi_ohos::Error::from_reason("could not build a result object");
        if self.failed {
            return Err(failed());
        }
        let mut object = std::ptr::null_mut();
        // SAFETY: `object` receives a handle of this env; `props` holds valid descriptors whose
        // names are static NUL-terminated strings and whose values are handles of this env.
        unsafe {
            if sys::napi_create_object(self.env, &mut object) != sys::Status::napi_ok
                || sys::napi_define_properties(
                    self.env,
                    object,
                    self.props.len(),
                    self.props.as_ptr(),
                ) != sys::Status::napi_ok
            {
                return Err(failed());
            }
        }
        Ok(Raw(object))
    }
}

/// A JS string, or `None` when it could not be made. ASCII (most of what paysign returns) is made as
/// Latin-1, a plain copy, which V8 does faster than decoding UTF-8.
pub(crate) fn string(env: sys::napi_env, value: &str) -> Option<sys::napi_value> {
    let mut out = std::ptr::null_mut();
    // SAFETY: `value` is valid for its length (ASCII is valid Latin-1 as well as UTF-8); `out`
    // receives a handle of this env.
    let status = unsafe {
        if value.is_ascii() {
            sys::napi_create_string_latin1(
                env,
                value.as_ptr().cast(),
                value.len() as isize,
                &mut out,
            )
        } else {
            sys::napi_create_string_utf8(env, value.as_ptr().cast(), value.len() as isize, &mut out)
        }
    };
    (status == sys::Status::napi_ok).then_some(out)
}
