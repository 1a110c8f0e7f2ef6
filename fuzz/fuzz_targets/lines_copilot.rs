//! Copilot CLI's line parser on any bytes.
//! The property is `sessionscope_core::fuzz_hooks::run("lines_copilot", ..)`, which cargo test
//! also runs on every saved input in `tests/fixtures/fuzz/lines_copilot/`.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    sessionscope_core::fuzz_hooks::run("lines_copilot", data);
});
