//! The record store's torn-tail repair and rewrite: no complete line changed, no record lost.
//! The property is `sessionscope_core::fuzz_hooks::run("store_repair", ..)`, which cargo test
//! also runs on every saved input in `tests/fixtures/fuzz/store_repair/`.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    sessionscope_core::fuzz_hooks::run("store_repair", data);
});
