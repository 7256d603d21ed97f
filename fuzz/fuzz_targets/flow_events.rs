#![no_main]
// The body and its invariants: crates/paysign-fuzz/src/targets.rs, `flow_events`.
libfuzzer_sys::fuzz_target!(|data: &[u8]| paysign_fuzz::flow_events(data));
