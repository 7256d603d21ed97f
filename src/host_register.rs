//! Host builds only: makes Node load the module through its `napi_register_module_v1` symbol.
//!
//! napi-derive-ohos registers the module from a load-time constructor by passing a `napi_module`
//! that lives on the constructor's stack to `napi_module_register`. The OpenHarmony runtime copies
//! it; Node keeps the pointer and reads it after the constructor has returned, so it calls a
//! garbage address (a segfault on `require`). On the host this crate defines its own no-op
//! `napi_module_register`, bound locally (`-Bsymbolic`, see build.rs), so nothing is registered
//! from the constructor and Node falls back to the exported `napi_register_module_v1`.

use napi_ohos::sys::napi_module;

/// # Safety
/// Called only by the module constructor; ignores its argument.
#[no_mangle]
pub unsafe extern "C" fn napi_module_register(_module: *mut napi_module) {}
