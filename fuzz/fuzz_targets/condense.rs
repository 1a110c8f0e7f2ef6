//! The long-line condenser: it condenses only valid JSON, into shorter valid JSON.
//! The property is `sessionscope_core::fuzz_hooks::run("condense", ..)`, which cargo test
//! also runs on every saved input in `tests/fixtures/fuzz/condense/`.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    sessionscope_core::fuzz_hooks::run("condense", data);
});
