//! Record::from_line on any line: only objects become records, and they read back.
//! The property is `sessionscope_core::fuzz_hooks::run("record_line", ..)`, which cargo test
//! also runs on every saved input in `tests/fixtures/fuzz/record_line/`.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    sessionscope_core::fuzz_hooks::run("record_line", data);
});
