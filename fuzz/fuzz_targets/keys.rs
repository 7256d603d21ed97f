#![no_main]
// The body and its invariants: crates/paysign-fuzz/src/targets.rs, `keys`.
libfuzzer_sys::fuzz_target!(|data: &[u8]| paysign_fuzz::keys(data));
