//! Output into a pipe its reader closed early (`sessionscope ps --json | head -c 200`)
//! ends the command quietly, as with every other Unix tool: Rust starts programs with
//! SIGPIPE ignored, so each `println!` would instead panic with "failed printing to
//! stdout" and a backtrace. The CLI calls [`end_quietly_when_the_reader_leaves`] first
//! thing. Windows has no SIGPIPE (see the README's known limits).
//!
//! That default must not reach writes into a child's pipe (the request lines to a
//! host's `ssh`): a child that has exited would end the whole command silently (exit
//! 141) instead of being one host's error. [`write_to_child`] holds SIGPIPE back for
//! such a write.

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

/// Write `bytes` into a child's pipe, with SIGPIPE held back: a reader that has gone
/// makes it fail with `BrokenPipe` instead of ending this process. The write runs on
/// a short-lived thread that blocks SIGPIPE; the signal a failed write raises is
/// directed at that thread, stays pending there, and is discarded when it ends.
pub fn write_to_child<W: std::io::Write + Send>(pipe: &mut W, bytes: &[u8]) -> std::io::Result<()> {
    std::thread::scope(|scope| {
        scope
            .spawn(|| {
                #[cfg(unix)]
                {
                    let mut set = nix::sys::signal::SigSet::empty();
                    set.add(nix::sys::signal::Signal::SIGPIPE);
                    set.thread_block().map_err(std::io::Error::from)?;
                }
                pipe.write_all(bytes)?;
                pipe.flush()
            })
            .join()
            .unwrap_or_else(|_| Err(std::io::Error::other("the pipe writer panicked")))
    })
}

#[cfg(all(test, unix))]
mod tests {
    use super::*;
    use std::process::{Command, Stdio};

    /// The default action restored, a child that closed its input: the write fails
    /// with BrokenPipe and this (test) process lives on. Run in a child process of
    /// its own so the test harness's disposition is not changed.
    #[test]
    fn a_write_to_a_gone_reader_is_an_error_not_the_end() {
        if std::env::var_os("CLOSED_PIPE_CHILD").is_some() {
            end_quietly_when_the_reader_leaves();
            let mut child = Command::new("sh")
                .args(["-c", "exec 0<&-; sleep 5"])
                .stdin(Stdio::piped())
                .spawn()
                .unwrap();
            let mut stdin = child.stdin.take().unwrap();
            std::thread::sleep(std::time::Duration::from_millis(300));
            let e = write_to_child(&mut stdin, &[b'x'; 100_000]).unwrap_err();
            assert_eq!(e.kind(), std::io::ErrorKind::BrokenPipe);
            let _ = child.kill();
            let _ = child.wait();
            println!("SURVIVED");
            return;
        }
        let out = Command::new(std::env::current_exe().unwrap())
            .args([
                "--exact",
                "procs::closed_pipe::tests::a_write_to_a_gone_reader_is_an_error_not_the_end",
                "--nocapture",
                "--test-threads=1",
            ])
            .env("CLOSED_PIPE_CHILD", "1")
            .output()
            .unwrap();
        let said = String::from_utf8_lossy(&out.stdout);
        assert!(
            out.status.success() && said.contains("SURVIVED"),
            "{:?} {said} {}",
            out.status,
            String::from_utf8_lossy(&out.stderr)
        );
    }
}
