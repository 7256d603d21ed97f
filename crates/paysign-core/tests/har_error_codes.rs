//! The HAR's `PaysignErrorCode` (paysign/src/main/ets/ErrorCode.ets) is generated from the Rust
//! table, so ArkTS never spells the codes a second time.
//! `PAYSIGN_BLESS=1 cargo test -p paysign-core --test har_error_codes` rewrites it after a change.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use std::collections::HashSet;

use paysign_core::error::error_table;

const PATH: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../../paysign/src/main/ets/ErrorCode.ets"
);

fn rendered() -> String {
    let mut out = String::from(
        "// Generated from crates/paysign-core/src/error.rs by\n\
         // `PAYSIGN_BLESS=1 cargo test -p paysign-core --test har_error_codes`; do not edit.\n\n\
         /** The codes of paysign's error table (the native library's `errorInfo` describes each). */\n\
         export enum PaysignErrorCode {\n",
    );
    for info in error_table() {
        out.push_str(&format!(
            "  /** {} */\n  {} = {},\n",
            info.meaning.replace("*/", "* /"),
            info.code.constant_name(),
            info.code.as_u32()
        ));
    }
    out.push_str("}\n");
    out
}

#[test]
fn constant_names_are_unique_and_upper_snake() {
    let mut seen = HashSet::new();
    for info in error_table() {
        let name = info.code.constant_name();
        assert!(seen.insert(name), "{name} twice");
        assert!(
            name.chars().all(|c| c.is_ascii_uppercase() || c == '_'),
            "{name}"
        );
    }
}

#[test]
fn har_error_codes_are_the_rust_table() {
    let wanted = rendered();
    let current = std::fs::read_to_string(PATH).unwrap_or_default();
    if current == wanted {
        return;
    }
    if std::env::var_os("PAYSIGN_BLESS").is_some() {
        std::fs::write(PATH, wanted).unwrap();
        return;
    }
    panic!(
        "paysign/src/main/ets/ErrorCode.ets differs from crates/paysign-core/src/error.rs; \
         run PAYSIGN_BLESS=1 cargo test -p paysign-core --test har_error_codes"
    );
}
