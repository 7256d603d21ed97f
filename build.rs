fn main() {
    napi_build_ohos::setup();
    // Host (Node) builds: bind the library's own definitions locally, so the module constructor
    // calls src/host_register.rs's napi_module_register instead of Node's.
    let target_env = std::env::var("CARGO_CFG_TARGET_ENV").unwrap_or_default();
    let target_os = std::env::var("CARGO_CFG_TARGET_OS").unwrap_or_default();
    if target_env != "ohos" && target_os == "linux" {
        println!("cargo:rustc-cdylib-link-arg=-Wl,-Bsymbolic");
    }
}
