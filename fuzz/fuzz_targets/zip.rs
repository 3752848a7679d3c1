#![no_main]
libfuzzer_sys::fuzz_target!(|data: &[u8]| layer_tools_fuzz::zip(data));
