//! Being told the moment an agent process exits, instead of at the next process scan.
//!
//! The live loop re-matches sessions to processes on file events and every status
//! tick. An agent's exit often comes *after* its last file event: Claude Code removes
//! its live-state file in an exit handler and then takes a while to end, Codex's
//! launcher outlives its worker. Waiting for the tick made a session read Ended up to
//! a whole tick late. So each agent process a scan finds is watched here, and its exit
//! wakes the loop at once.
//!
//! On Linux each watched process gets a pidfd (bound to that process, not to a pid
//! that may be reused) and a small thread blocked in `poll` on it; the thread sends
//! one wake-up when the process exits and ends. Elsewhere, or where the kernel has no
//! pidfd, nothing is watched and the tick stays the rule.

use std::collections::HashSet;
use std::sync::{Arc, Mutex};

use super::AgentProcess;

/// Called once per watched process that exits (from that process's watching thread).
pub type OnExit = Arc<dyn Fn() + Send + Sync>;

/// Watches agent processes for their exit; see the module docs.
pub struct ExitWatcher {
    /// Processes watched now, by pid and start time: a process is watched once.
    watched: Arc<Mutex<HashSet<(u32, u64)>>>,
    on_exit: OnExit,
}

impl ExitWatcher {
    pub fn new(on_exit: OnExit) -> ExitWatcher {
        ExitWatcher {
            watched: Arc::new(Mutex::new(HashSet::new())),
            on_exit,
        }
    }

    /// Watch every process of this scan not watched yet.
    pub fn watch(&self, processes: &[AgentProcess]) {
        for p in processes {
            let key = (p.identity.pid, p.identity.start_time);
            let mut watched = self.watched.lock().unwrap_or_else(|e| e.into_inner());
            if !watched.insert(key) {
                continue;
            }
            drop(watched);
            if !platform::watch(p, key, Arc::clone(&self.watched), Arc::clone(&self.on_exit)) {
                // Not watchable (no pidfd here): the tick stays the rule for it.
                self.forget(key);
            }
        }
    }

    fn forget(&self, key: (u32, u64)) {
        self.watched
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .remove(&key);
    }

    /// How many processes are watched now (for tests and diagnostics).
    pub fn watching(&self) -> usize {
        self.watched.lock().unwrap_or_else(|e| e.into_inner()).len()
    }
}

#[cfg(target_os = "linux")]
mod platform {
    use std::collections::HashSet;
    use std::sync::{Arc, Mutex};

    use super::OnExit;
    use crate::procs::pidfd::{PidFd, PidFdError};
    use crate::procs::{start_ticks, AgentProcess};

    /// Little is needed to wait in `poll`; hundreds of agents cost little memory.
    const STACK: usize = 64 * 1024;

    /// Start the thread that waits for `p` to exit. False when it cannot be watched.
    pub fn watch(
        p: &AgentProcess,
        key: (u32, u64),
        watched: Arc<Mutex<HashSet<(u32, u64)>>>,
        on_exit: OnExit,
    ) -> bool {
        let pid = p.identity.pid;
        let fd = match PidFd::open(pid) {
            Ok(fd) => Some(fd),
            // Gone between the scan and now: that is an exit to report.
            Err(PidFdError::Gone) => None,
            Err(PidFdError::Unsupported | PidFdError::Other(_)) => return false,
        };
        // The pid may already name a newer process: the one scanned has exited then.
        let same = fd.is_some() && (p.start_ticks.is_none() || start_ticks(pid) == p.start_ticks);
        let spawned = std::thread::Builder::new()
            .name(format!("exit-watch-{pid}"))
            .stack_size(STACK)
            .spawn(move || {
                if let (true, Some(fd)) = (same, &fd) {
                    if fd.wait_exit().is_err() {
                        // Cannot wait: leave it to the tick, and let a later scan retry.
                        watched
                            .lock()
                            .unwrap_or_else(|e| e.into_inner())
                            .remove(&key);
                        return;
                    }
                }
                watched
                    .lock()
                    .unwrap_or_else(|e| e.into_inner())
                    .remove(&key);
                on_exit();
            });
        spawned.is_ok()
    }
}

#[cfg(not(target_os = "linux"))]
mod platform {
    use std::collections::HashSet;
    use std::sync::{Arc, Mutex};

    use super::OnExit;
    use crate::procs::AgentProcess;

    pub fn watch(
        _p: &AgentProcess,
        _key: (u32, u64),
        _watched: Arc<Mutex<HashSet<(u32, u64)>>>,
        _on_exit: OnExit,
    ) -> bool {
        false
    }
}

#[cfg(all(test, target_os = "linux"))]
mod tests {
    use super::*;
    use crate::model::Harness;
    use crate::procs::{start_ticks, ProcessIdentity};
    use std::process::Command;
    use std::sync::mpsc;
    use std::time::{Duration, Instant};

    fn agent(pid: u32) -> AgentProcess {
        AgentProcess {
            identity: ProcessIdentity { pid, start_time: 1 },
            harness: Harness::ClaudeCode,
            cwd: None,
            open_files: Vec::new(),
            appending_logs: Vec::new(),
            start_ticks: start_ticks(pid),
            parent_pid: None,
            running_command: false,
        }
    }

    fn watcher() -> (ExitWatcher, mpsc::Receiver<Instant>) {
        let (tx, rx) = mpsc::channel();
        let tx = Mutex::new(tx);
        let on_exit: OnExit = Arc::new(move || {
            let _ = tx.lock().unwrap().send(Instant::now());
        });
        (ExitWatcher::new(on_exit), rx)
    }

    #[test]
    fn an_exit_is_reported_at_once_and_only_once() {
        if crate::procs::pidfd::PidFd::open(std::process::id()).is_err() {
            eprintln!("no pidfd on this kernel; skipped");
            return;
        }
        let (exits, rx) = watcher();
        let mut child = Command::new("sleep").arg("30").spawn().unwrap();
        let me = agent(child.id());
        exits.watch(std::slice::from_ref(&me));
        exits.watch(std::slice::from_ref(&me)); // the next scan sees it again
        assert_eq!(exits.watching(), 1);
        assert!(
            rx.recv_timeout(Duration::from_millis(200)).is_err(),
            "still running"
        );
        child.kill().unwrap();
        let killed = Instant::now();
        let told = rx
            .recv_timeout(Duration::from_secs(5))
            .expect("told of the exit");
        assert!(told.duration_since(killed) < Duration::from_millis(500));
        child.wait().unwrap();
        assert!(
            rx.recv_timeout(Duration::from_millis(300)).is_err(),
            "told once"
        );
        assert_eq!(exits.watching(), 0);
    }

    #[test]
    fn a_zombie_counts_as_exited() {
        if crate::procs::pidfd::PidFd::open(std::process::id()).is_err() {
            return;
        }
        let (exits, rx) = watcher();
        let mut child = Command::new("sh")
            .args(["-c", "sleep 0.2"])
            .spawn()
            .unwrap();
        exits.watch(&[agent(child.id())]);
        // Not reaped until the exit was reported: a zombie runs no more.
        rx.recv_timeout(Duration::from_secs(5))
            .expect("told while a zombie");
        child.wait().unwrap();
    }

    #[test]
    fn a_process_gone_before_it_is_watched_is_reported() {
        let (exits, rx) = watcher();
        let mut child = Command::new("true").spawn().unwrap();
        let me = agent(child.id());
        child.wait().unwrap();
        exits.watch(&[me]);
        if crate::procs::pidfd::PidFd::open(std::process::id()).is_ok() {
            rx.recv_timeout(Duration::from_secs(5)).expect("told");
        }
    }
}
