#![no_main]
// The body and its invariants: crates/paysign-fuzz/src/targets.rs, `pay_merc_auth`.
libfuzzer_sys::fuzz_target!(|data: &[u8]| paysign_fuzz::pay_merc_auth(data));
