//! Gemini CLI's line parser (the JSONL chat) on any bytes.
//! The property is `sessionscope_core::fuzz_hooks::run("lines_gemini", ..)`, which cargo test
//! also runs on every saved input in `tests/fixtures/fuzz/lines_gemini/`.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    sessionscope_core::fuzz_hooks::run("lines_gemini", data);
});
