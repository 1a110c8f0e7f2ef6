//! The transcript view's readers (paged and tail) on any file of any line agent or Gemini's chat.
//! The property is `sessionscope_core::fuzz_hooks::run("transcript_view", ..)`, which cargo test
//! also runs on every saved input in `tests/fixtures/fuzz/transcript_view/`.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    sessionscope_core::fuzz_hooks::run("transcript_view", data);
});
