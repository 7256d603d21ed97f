//! The README's error table is rendered from the Rust table, so the two cannot drift.
//! `PAYSIGN_BLESS=1 cargo test -p paysign-core --test readme_table` rewrites it after a change.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use paysign_core::error::error_table;

const START: &str = "<!-- error-table:start -->";
const END: &str = "<!-- error-table:end -->";

fn rendered() -> String {
    let yes = |b: bool| if b { "yes" } else { "" };
    let mut out = String::from(
        "| code | kind | retryable | money may have moved | action | 用户提示 |\n|---|---|---|---|---|---|\n",
    );
    for info in error_table() {
        out.push_str(&format!(
            "| {} | {} | {} | {} | {} | {} |\n",
            info.code.as_u32(),
            info.kind.as_str(),
            yes(info.retryable),
            yes(info.unknown_outcome),
            info.action,
            info.user_message_zh,
        ));
    }
    out
}

#[test]
fn readme_error_table_is_the_rust_table() {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../../README.md");
    let readme = std::fs::read_to_string(path).unwrap();
    let (head, rest) = readme
        .split_once(START)
        .expect("README has the start marker");
    let (current, tail) = rest.split_once(END).expect("README has the end marker");
    let wanted = format!("\n{}", rendered());
    if current == wanted {
        return;
    }
    if std::env::var_os("PAYSIGN_BLESS").is_some() {
        std::fs::write(path, format!("{head}{START}{wanted}{END}{tail}")).unwrap();
        return;
    }
    panic!(
        "README.md's error table differs from crates/paysign-core/src/error.rs; \
         run PAYSIGN_BLESS=1 cargo test -p paysign-core --test readme_table. Wanted:\n{wanted}"
    );
}
