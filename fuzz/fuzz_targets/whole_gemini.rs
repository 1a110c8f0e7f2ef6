//! Gemini CLI's whole-file chat parser (chats/session-*.json) on any bytes.
//! The property is `sessionscope_core::fuzz_hooks::run("whole_gemini", ..)`, which cargo test
//! also runs on every saved input in `tests/fixtures/fuzz/whole_gemini/`.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    sessionscope_core::fuzz_hooks::run("whole_gemini", data);
});
