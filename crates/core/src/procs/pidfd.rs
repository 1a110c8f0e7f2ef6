//! Linux process file descriptors: a handle on one process that stays bound to it even
//! after its PID is handed to another process. [`super`] opens one *before* it checks a
//! process's start time and signals through it *after*, so the process that was checked
//! is the process that gets the signal: no window in which a reused PID is hit.
//!
//! `pidfd_open` and `pidfd_send_signal` exist since Linux 5.3; signalling the process
//! group a pidfd leads (`PIDFD_SIGNAL_PROCESS_GROUP`) since 6.9. On older kernels
//! [`PidFd::open`] answers `Unsupported` and group signals answer `Unsupported`, and the
//! caller falls back to `kill`/`killpg` after the same start-time check.

use std::io;
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd};

/// Signal the process group whose id is the pidfd's PID (Linux 6.9, `<linux/pidfd.h>`).
const PIDFD_SIGNAL_PROCESS_GROUP: libc::c_uint = 1 << 2;

/// An open handle on one process.
#[derive(Debug)]
pub struct PidFd(OwnedFd);

/// Why a pidfd call did not deliver.
#[derive(Debug)]
pub enum PidFdError {
    /// No such process (or it has been reaped).
    Gone,
    /// The kernel lacks the call or the flag: use the fallback.
    Unsupported,
    Other(io::Error),
}

fn classify(err: io::Error) -> PidFdError {
    match err.raw_os_error() {
        Some(libc::ESRCH) => PidFdError::Gone,
        // ENOSYS: no such system call (< 5.3, or blocked by a seccomp filter that
        // answers ENOSYS, as container runtimes do). EINVAL: the flag is unknown (< 6.9).
        Some(libc::ENOSYS | libc::EINVAL) => PidFdError::Unsupported,
        _ => PidFdError::Other(err),
    }
}

impl PidFd {
    /// Open a handle on the process `pid` (which must lead its thread group).
    pub fn open(pid: u32) -> Result<PidFd, PidFdError> {
        let pid = libc::pid_t::try_from(pid).map_err(|_| PidFdError::Gone)?;
        // SAFETY: pidfd_open takes a pid and flags and returns a new descriptor or -1.
        let fd = unsafe { libc::syscall(libc::SYS_pidfd_open, pid, 0 as libc::c_uint) };
        if fd < 0 {
            return Err(classify(io::Error::last_os_error()));
        }
        // SAFETY: the descriptor was just returned by the kernel and is owned by no one else.
        Ok(PidFd(unsafe { OwnedFd::from_raw_fd(fd as libc::c_int) }))
    }

    /// Send `signal` to the process, or (with `group`) to the process group it leads.
    pub fn send(&self, signal: libc::c_int, group: bool) -> Result<(), PidFdError> {
        let flags = if group { PIDFD_SIGNAL_PROCESS_GROUP } else { 0 };
        // SAFETY: a valid descriptor, a signal number, no siginfo, and flags.
        let r = unsafe {
            libc::syscall(
                libc::SYS_pidfd_send_signal,
                self.0.as_raw_fd(),
                signal,
                std::ptr::null::<libc::siginfo_t>(),
                flags,
            )
        };
        if r < 0 {
            return Err(classify(io::Error::last_os_error()));
        }
        Ok(())
    }

    /// Block until the process has exited (a zombie counts: it runs no more). A pidfd
    /// becomes readable at that moment, whoever reaps the process and whenever.
    pub fn wait_exit(&self) -> Result<(), PidFdError> {
        let mut pfd = libc::pollfd {
            fd: self.0.as_raw_fd(),
            events: libc::POLLIN,
            revents: 0,
        };
        loop {
            // SAFETY: one valid pollfd, no timeout.
            let r = unsafe { libc::poll(&mut pfd, 1, -1) };
            if r > 0 {
                return Ok(());
            }
            let err = io::Error::last_os_error();
            if r < 0 && err.kind() != io::ErrorKind::Interrupted {
                return Err(PidFdError::Other(err));
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::os::unix::process::{CommandExt, ExitStatusExt};
    use std::process::Command;

    fn unsupported_here() -> bool {
        matches!(
            PidFd::open(std::process::id()),
            Err(PidFdError::Unsupported)
        )
    }

    #[test]
    fn a_pidfd_keeps_naming_its_process_after_the_pid_is_gone() {
        if unsupported_here() {
            eprintln!("pidfd_open is not available on this kernel; skipped");
            return;
        }
        let mut child = Command::new("sleep").arg("30").spawn().unwrap();
        let fd = PidFd::open(child.id()).unwrap();
        fd.send(libc::SIGTERM, false).unwrap();
        assert_eq!(child.wait().unwrap().signal(), Some(libc::SIGTERM));
        // Reaped: its PID may be anyone's now, but the handle still names the dead
        // process, so nothing can be delivered to a newcomer.
        assert!(matches!(
            fd.send(libc::SIGKILL, false),
            Err(PidFdError::Gone)
        ));
        assert!(matches!(PidFd::open(child.id()), Err(PidFdError::Gone)));
    }

    #[test]
    fn a_group_signal_reaches_the_members_the_leader_started() {
        if unsupported_here() {
            return;
        }
        // A group leader whose child ignores nothing: both must get the signal.
        let mut leader = Command::new("sh")
            .args(["-c", "sleep 30 & echo $!; wait"])
            .stdout(std::process::Stdio::piped())
            .process_group(0)
            .spawn()
            .unwrap();
        let mut line = String::new();
        std::io::BufRead::read_line(
            &mut std::io::BufReader::new(leader.stdout.take().unwrap()),
            &mut line,
        )
        .unwrap();
        let member: i32 = line.trim().parse().unwrap();
        let fd = PidFd::open(leader.id()).unwrap();
        match fd.send(libc::SIGKILL, true) {
            Err(PidFdError::Unsupported) => {
                // Kernel < 6.9: the caller falls back to killpg.
                unsafe { libc::killpg(leader.id() as i32, libc::SIGKILL) };
            }
            other => other.unwrap(),
        }
        assert_eq!(leader.wait().unwrap().signal(), Some(libc::SIGKILL));
        // The member is reparented when the leader dies; a zombie counts as stopped.
        let running = || {
            std::fs::read_to_string(format!("/proc/{member}/stat")).is_ok_and(|s| {
                s.rsplit_once(") ")
                    .is_some_and(|(_, r)| !r.starts_with('Z'))
            })
        };
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(5);
        while running() && std::time::Instant::now() < deadline {
            std::thread::sleep(std::time::Duration::from_millis(20));
        }
        assert!(!running(), "the member got the signal too");
    }
}
