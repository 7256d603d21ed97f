#![no_main]
// The body and its invariants: crates/paysign-fuzz/src/targets.rs, `order_str`.
libfuzzer_sys::fuzz_target!(|data: &[u8]| paysign_fuzz::order_str(data));
