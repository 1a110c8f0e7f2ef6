//! opencode's JSON-tree store and transcript reader on any session, message and part files.
//! The property is `sessionscope_core::fuzz_hooks::run("opencode_tree", ..)`, which cargo test
//! also runs on every saved input in `tests/fixtures/fuzz/opencode_tree/`.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    sessionscope_core::fuzz_hooks::run("opencode_tree", data);
});
