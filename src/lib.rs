//! libpaysign: the N-API surface of paysign. Converts JS values and forwards to `paysign-core`.

use napi_derive_ohos::napi;

/// The library version, as built.
#[napi(catch_unwind)]
pub fn version() -> String {
    env!("CARGO_PKG_VERSION").to_string()
}
