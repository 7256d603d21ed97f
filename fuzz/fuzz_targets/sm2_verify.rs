#![no_main]
// The body and its invariants: crates/paysign-fuzz/src/targets.rs, `sm2_verify`.
libfuzzer_sys::fuzz_target!(|data: &[u8]| paysign_fuzz::sm2_verify(data));
