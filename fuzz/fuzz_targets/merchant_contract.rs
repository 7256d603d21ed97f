#![no_main]
// The body and its invariants: crates/paysign-fuzz/src/targets.rs, `merchant_contract`.
libfuzzer_sys::fuzz_target!(|data: &[u8]| paysign_fuzz::merchant_contract(data));
