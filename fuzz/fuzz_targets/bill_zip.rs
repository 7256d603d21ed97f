#![no_main]
// The body and its invariants: crates/paysign-fuzz/src/targets.rs, `bill_zip`.
libfuzzer_sys::fuzz_target!(|data: &[u8]| paysign_fuzz::bill_zip(data));
