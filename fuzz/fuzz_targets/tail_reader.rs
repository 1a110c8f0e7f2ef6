//! The tail reader against an oracle: exactly the complete lines written, once each.
//! The property is `sessionscope_core::fuzz_hooks::run("tail_reader", ..)`, which cargo test
//! also runs on every saved input in `tests/fixtures/fuzz/tail_reader/`.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    sessionscope_core::fuzz_hooks::run("tail_reader", data);
});
