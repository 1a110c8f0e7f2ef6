//! Output into a pipe its reader closed early (`sessionscope ps --json | head -c 200`)
//! ends the command quietly, as with every other Unix tool: Rust starts programs with
//! SIGPIPE ignored, so each `println!` would instead panic with "failed printing to
//! stdout" and a backtrace. The CLI calls [`end_quietly_when_the_reader_leaves`] first
//! thing. Windows has no SIGPIPE (see the README's known limits).

/// Restore the default action of SIGPIPE (end the process) for this process. Children
/// are unaffected: std gives them the default action already.
pub fn end_quietly_when_the_reader_leaves() {
    #[cfg(unix)]
    // SAFETY: called at the start of `main`, before any thread exists; it replaces the
    // disposition Rust's runtime set (SIG_IGN) with the default, which installs no
    // handler code that could run concurrently.
    unsafe {
        nix::libc::signal(nix::libc::SIGPIPE, nix::libc::SIG_DFL);
    }
}
