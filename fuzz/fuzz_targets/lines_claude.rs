//! Claude Code's line parser on any bytes.
//! The property is `sessionscope_core::fuzz_hooks::run("lines_claude", ..)`, which cargo test
//! also runs on every saved input in `tests/fixtures/fuzz/lines_claude/`.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    sessionscope_core::fuzz_hooks::run("lines_claude", data);
});
