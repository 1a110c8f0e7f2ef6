//! Agent processes: which coding agents are running, where (their cwd), since when, and
//! how to signal one without hitting a different process that reused its PID.
//!
//! A process is recognised by its executable name (`claude`, `codex`, `gptme`, ...) or,
//! for agents that run on Node or Python, by a script path in its arguments. Each one
//! carries what can tie it to exactly one session: its working directory, the
//! transcripts it holds open (Linux: `/proc/<pid>/fd`; Codex keeps its rollout open)
//! and its start time in clock ticks (what Claude Code's live-state file records).
//! `sessions::owners` does the matching.
//!
//! Signals go through [`ProcessIdentity`]: PID *and* start time. If the PID now belongs
//! to a process started at another time, nothing is sent. On Linux (5.3 and later) a
//! pidfd is opened before the start time is checked and the signal goes through it
//! ([`pidfd`]), so the process checked is the process signalled even if it exits and its
//! PID is reused in between. Some PIDs are never signalled whatever a file or a caller
//! says ([`forbidden_target`]): 0, 1, values `kill(2)` reads as groups, and
//! Sessionscope's own process, group and session.

use std::path::{Path, PathBuf};

use sysinfo::{ProcessRefreshKind, ProcessesToUpdate, RefreshKind, System, UpdateKind};

use crate::agents::AGENTS;
use crate::model::Harness;

pub mod closed_pipe;
pub mod exit_watch;
#[cfg(target_os = "linux")]
mod pidfd;
pub mod shell;

/// A PID together with the time the process started, which a reused PID cannot fake.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct ProcessIdentity {
    pub pid: u32,
    /// Seconds since the epoch, as the OS reports it.
    pub start_time: u64,
}

/// One running agent process.
#[derive(Debug, Clone, PartialEq)]
pub struct AgentProcess {
    pub identity: ProcessIdentity,
    pub harness: Harness,
    pub cwd: Option<PathBuf>,
    /// Transcript-like files (`*.jsonl`, `*.json`) and lock files (`*.lock`, gptme's
    /// `<conversation>/.lock`, Copilot's `<session>/inuse.<pid>.hold`) the process
    /// holds open. Read on Linux only; empty
    /// elsewhere.
    pub open_files: Vec<PathBuf>,
    /// Log files (`*.log`) the process appends to, each with its file offset: right
    /// after the last line *this* process wrote, since appending moves the offset to
    /// the end of each write. opencode 1.18's processes share one log and tag each line
    /// with their own run id, so that line tells which process is which. Linux only.
    pub appending_logs: Vec<(PathBuf, u64)>,
    /// Start time in clock ticks since boot (`/proc/<pid>/stat` field 22), as Claude
    /// Code writes it in `procStart`. Linux only.
    pub start_ticks: Option<u64>,
    /// The parent process: an agent may run as a launcher and a worker (Gemini CLI
    /// relaunches itself in a child `node`; the Codex npm shim starts the native
    /// binary), both in one directory, and they are one agent, not two.
    pub parent_pid: Option<u32>,
    /// Its persistent shell is running a command ([`shell`]): a tool call in progress
    /// that the agent's files do not show (gptme only).
    pub running_command: bool,
}

/// Which agent a process is, from its name and arguments.
pub fn recognise(name: &str, args: &[String]) -> Option<Harness> {
    let name = name.trim_end_matches(".exe");
    if let Some(harness) = by_name(name) {
        return Some(harness);
    }
    // A native agent whose process renamed itself (Copilot CLI 1.0's binary shows as
    // `MainThread`): the program it was started as.
    if let Some(program) = args.first().and_then(|a| Path::new(a).file_name()) {
        let program = program.to_string_lossy();
        if let Some(harness) = by_name(program.trim_end_matches(".exe")) {
            return Some(harness);
        }
    }
    // Node and Python launchers: look for the agent's script in the first arguments.
    if !matches!(name, "node" | "bun" | "deno" | "python" | "python3") {
        return None;
    }
    // A bare `gptme` counts only after `-m` (see the gptme agent's `is_script`).
    let module = |i: usize| i >= 1 && args.get(i - 1).is_some_and(|p| p == "-m");
    args.iter().enumerate().skip(1).take(3).find_map(|(i, a)| {
        let a = a.to_ascii_lowercase();
        AGENTS
            .iter()
            .find(|agent| agent.is_script(&a, module(i)))
            .map(|agent| agent.harness())
    })
}

/// `gptme-server`, by its name or as the script of a Python launcher.
pub fn serves_many_workspaces(name: &str, args: &[String]) -> bool {
    let is_server = |a: &str| {
        Path::new(a)
            .file_name()
            .is_some_and(|n| n.to_string_lossy().trim_end_matches(".exe") == "gptme-server")
    };
    is_server(name) || args.iter().take(2).any(|a| is_server(a))
}

/// The agent a program name alone names.
fn by_name(name: &str) -> Option<Harness> {
    AGENTS
        .iter()
        .find(|agent| agent.is_program(name))
        .map(|agent| agent.harness())
}

/// A reusable process scanner (keeping `System` avoids re-reading static data).
pub struct ProcessScanner {
    system: System,
}

impl Default for ProcessScanner {
    fn default() -> Self {
        Self::new()
    }
}

impl ProcessScanner {
    pub fn new() -> Self {
        ProcessScanner {
            system: System::new_with_specifics(RefreshKind::nothing()),
        }
    }

    /// Every agent process currently running.
    pub fn scan(&mut self) -> Vec<AgentProcess> {
        // Threads are skipped below, so their `/proc/<pid>/task` entries are not listed.
        let kind = ProcessRefreshKind::nothing()
            .without_tasks()
            .with_cmd(UpdateKind::OnlyIfNotSet)
            .with_cwd(UpdateKind::OnlyIfNotSet);
        self.system
            .refresh_processes_specifics(ProcessesToUpdate::All, true, kind);
        let mut found = Vec::new();
        for (pid, p) in self.system.processes() {
            // Threads appear as processes on Linux; they share the parent's identity.
            if p.thread_kind().is_some() {
                continue;
            }
            // An exited process not reaped yet runs no more; its command line is the
            // one kept from an earlier scan, so it would still be recognised.
            if matches!(
                p.status(),
                sysinfo::ProcessStatus::Zombie | sysinfo::ProcessStatus::Dead
            ) {
                continue;
            }
            let name = p.name().to_string_lossy();
            let args: Vec<String> = p
                .cmd()
                .iter()
                .map(|a| a.to_string_lossy().into_owned())
                .collect();
            if let Some(harness) = recognise(&name, &args) {
                let (open_files, appending_logs) = open_files(pid.as_u32());
                // A server works for conversations in many workspaces: where it was
                // started says nothing about which it writes (unknown, not a guess).
                let cwd = match serves_many_workspaces(&name, &args) {
                    true => None,
                    false => p.cwd().map(PathBuf::from),
                };
                found.push(AgentProcess {
                    identity: ProcessIdentity {
                        pid: pid.as_u32(),
                        start_time: p.start_time(),
                    },
                    harness,
                    cwd,
                    open_files,
                    appending_logs,
                    start_ticks: start_ticks(pid.as_u32()),
                    parent_pid: p.parent().map(|pp| pp.as_u32()),
                    running_command: false,
                });
            }
        }
        self.mark_running_commands(&mut found);
        found
    }

    /// Set [`AgentProcess::running_command`] for the gptme processes of `found`.
    fn mark_running_commands(&self, found: &mut [AgentProcess]) {
        let agents: Vec<u32> = found
            .iter()
            .filter(|a| a.harness == Harness::Gptme)
            .map(|a| a.identity.pid)
            .collect();
        if agents.is_empty() {
            return;
        }
        let tree: Vec<shell::Node> = self
            .system
            .processes()
            .iter()
            .filter(|(_, p)| p.thread_kind().is_none())
            .map(|(pid, p)| shell::Node {
                pid: pid.as_u32(),
                parent: p.parent().map(|pp| pp.as_u32()),
                name: p.name().to_string_lossy(),
                args: p.cmd().iter().map(|a| a.to_string_lossy()).collect(),
                running: cfg!(unix) && p.status() == sysinfo::ProcessStatus::Run,
            })
            .collect();
        let busy = shell::agents_running_a_command(&agents, &tree);
        for a in found.iter_mut() {
            a.running_command = busy.contains(&a.identity.pid);
        }
    }
}

/// The `*.jsonl` / `*.json` / `*.lock` files process `pid` holds open, and the `*.log`
/// files it appends to with their offsets (a handful of readlinks; only agent
/// processes are asked). Unreadable (another user's process) reads as none.
#[cfg(target_os = "linux")]
pub fn open_files(pid: u32) -> (Vec<PathBuf>, Vec<(PathBuf, u64)>) {
    let Ok(fds) = std::fs::read_dir(format!("/proc/{pid}/fd")) else {
        return (Vec::new(), Vec::new());
    };
    let mut files = Vec::new();
    let mut logs = Vec::new();
    for fd in fds.flatten() {
        let Ok(path) = std::fs::read_link(fd.path()) else {
            continue;
        };
        let ext = path.extension().and_then(|e| e.to_str()).unwrap_or("");
        if matches!(ext, "jsonl" | "json" | "lock" | "hold")
            || path.file_name().is_some_and(|n| n == ".lock")
        {
            files.push(path);
        } else if ext == "log" {
            let info = std::fs::read_to_string(format!(
                "/proc/{pid}/fdinfo/{}",
                fd.file_name().to_string_lossy()
            ));
            if let Some(pos) = info.ok().as_deref().and_then(appending_offset) {
                logs.push((path, pos));
            }
        }
    }
    files.sort();
    files.dedup();
    logs.sort();
    (files, logs)
}

#[cfg(not(target_os = "linux"))]
pub fn open_files(_pid: u32) -> (Vec<PathBuf>, Vec<(PathBuf, u64)>) {
    (Vec::new(), Vec::new())
}

/// The offset of an fd opened for appending, from its `/proc/<pid>/fdinfo/<fd>` text
/// (`pos:` decimal, `flags:` octal); `None` when it is not opened with `O_APPEND`.
pub fn appending_offset(fdinfo: &str) -> Option<u64> {
    const O_APPEND: u32 = 0o2000;
    let field = |name: &str| {
        fdinfo
            .lines()
            .find_map(|l| l.strip_prefix(name))
            .map(str::trim)
    };
    let flags = u32::from_str_radix(field("flags:")?, 8).ok()?;
    let pos = field("pos:")?.parse().ok()?;
    (flags & O_APPEND != 0).then_some(pos)
}

/// Field 22 of `/proc/<pid>/stat`: start time in clock ticks since boot.
#[cfg(target_os = "linux")]
pub fn start_ticks(pid: u32) -> Option<u64> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    // The command name (field 2) may hold spaces and parentheses: count after the last ')'.
    let rest = &stat[stat.rfind(')')? + 1..];
    rest.split_whitespace().nth(19)?.parse().ok()
}

#[cfg(not(target_os = "linux"))]
pub fn start_ticks(_pid: u32) -> Option<u64> {
    None
}

/// The identity of a live process, or `None` when no process has that PID.
pub fn identity_of(pid: u32) -> Option<ProcessIdentity> {
    let mut sys = System::new();
    let spid = sysinfo::Pid::from_u32(pid);
    sys.refresh_processes_specifics(
        ProcessesToUpdate::Some(&[spid]),
        true,
        ProcessRefreshKind::nothing(),
    );
    sys.process(spid).map(|p| ProcessIdentity {
        pid,
        start_time: p.start_time(),
    })
}

/// Why a signal was not delivered.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum SignalError {
    #[error("process {0} no longer exists")]
    NoSuchProcess(u32),
    #[error(
        "PID {0} now belongs to a different process (started at another time); nothing was sent"
    )]
    PidReused(u32),
    #[error("could not signal process {pid}: {reason}")]
    Failed { pid: u32, reason: String },
    #[error("refusing to signal PID {pid}: {reason}; nothing was sent")]
    Forbidden { pid: u32, reason: &'static str },
}

/// Why `pid` must never be signalled (with `group`: as a process group), or `None`.
///
/// The numbers come from files anyone can corrupt (`runs.jsonl`, an agent's own state
/// files) and from the web view, so this is checked right before every signal, in one
/// place: `kill(2)` reads 0 as "my own process group" and negative numbers (a `u32`
/// above `i32::MAX` cast to `pid_t`) as a group or "every process"; 1 is init; and
/// Sessionscope never stops itself, the group it runs in, or its session's leader (the
/// shell `sessionscope kill` was typed into).
pub fn forbidden_target(pid: u32, group: bool) -> Option<&'static str> {
    if pid == 0 {
        return Some("PID 0 would name Sessionscope's own process group");
    }
    if pid == std::process::id() {
        return Some("that is Sessionscope itself");
    }
    platform::forbidden(pid, group)
}

fn check_target(pid: u32, group: bool) -> Result<(), SignalError> {
    match forbidden_target(pid, group) {
        Some(reason) => Err(SignalError::Forbidden { pid, reason }),
        None => Ok(()),
    }
}

/// The signals Sessionscope sends, in the order of a graceful stop (defined in
/// `model` because the UI shows them).
pub use crate::model::StopSignal;

/// Send `signal` to the process `who` names, only if it is still that process.
pub fn signal_process(who: ProcessIdentity, signal: StopSignal) -> Result<(), SignalError> {
    check_target(who.pid, false)?;
    // Opened before the check: from here on the handle names this process only.
    let handle = platform::Handle::open(who.pid)?;
    match identity_of(who.pid) {
        None => Err(SignalError::NoSuchProcess(who.pid)),
        Some(now) if now.start_time != who.start_time => Err(SignalError::PidReused(who.pid)),
        Some(_) => platform::send(&handle, who.pid, signal, false),
    }
}

/// Send `signal` to the whole process group led by `leader` (a supervised run).
pub fn signal_group(leader: u32, signal: StopSignal) -> Result<(), SignalError> {
    check_target(leader, true)?;
    platform::send(&platform::Handle::none(), leader, signal, true)
}

/// Send `signal` to the process group led by `leader`, only if the group is still the
/// one `leader` names. While the leader lives, its start time must match. Once the
/// leader has exited, its group (other members still running) keeps the PID from being
/// handed out again, so the group can only be ours.
pub fn signal_group_checked(
    leader: ProcessIdentity,
    signal: StopSignal,
) -> Result<(), SignalError> {
    check_target(leader.pid, true)?;
    // A reaped leader has no handle; its group then keeps the PID from reuse.
    let handle = platform::Handle::open(leader.pid).unwrap_or_else(|_| platform::Handle::none());
    match identity_of(leader.pid) {
        Some(now) if now.start_time != leader.start_time => Err(SignalError::PidReused(leader.pid)),
        Some(_) => platform::send(&handle, leader.pid, signal, true),
        None if platform::group_exists(leader.pid) => {
            platform::send(&platform::Handle::none(), leader.pid, signal, true)
        }
        None => Err(SignalError::NoSuchProcess(leader.pid)),
    }
}

/// Is the process `who` names still running (same PID, same start time, not a zombie)?
pub fn is_running(who: ProcessIdentity) -> bool {
    identity_of(who.pid).is_some_and(|now| now.start_time == who.start_time) && is_alive(who.pid)
}

/// Is anything of the group led by `leader` still running? Counts the leader itself
/// only when it is `leader` (not a process that reused the PID).
pub fn group_is_running(leader: ProcessIdentity) -> bool {
    // PID 0 would count the kernel's own threads (their group is 0) as members.
    if leader.pid == 0 {
        return false;
    }
    match identity_of(leader.pid) {
        Some(now) if now.start_time == leader.start_time && is_alive(leader.pid) => true,
        // A zombie leader or no leader: members may still run.
        Some(now) if now.start_time == leader.start_time => {
            platform::group_has_live_members(leader.pid)
        }
        Some(_) => false,
        None => platform::group_has_live_members(leader.pid),
    }
}

/// Does the process lead its own process group (as a job started from an interactive
/// shell does)? Then signalling its group also reaches the tools it spawned, exactly
/// like Ctrl-C in its terminal would.
pub fn leads_its_group(pid: u32) -> bool {
    platform::leads_group(pid)
}

/// Is a process with this PID running (and not a zombie)?
pub fn is_alive(pid: u32) -> bool {
    let mut sys = System::new();
    let spid = sysinfo::Pid::from_u32(pid);
    sys.refresh_processes_specifics(
        ProcessesToUpdate::Some(&[spid]),
        true,
        ProcessRefreshKind::nothing(),
    );
    sys.process(spid).is_some_and(|p| {
        !matches!(
            p.status(),
            sysinfo::ProcessStatus::Zombie | sysinfo::ProcessStatus::Dead
        )
    })
}

#[cfg(unix)]
mod platform {
    use super::{SignalError, StopSignal};
    use nix::errno::Errno;
    use nix::sys::signal::{kill, killpg, Signal};
    use nix::unistd::Pid;

    /// A `pid_t` that names one process: 0 and negative values name groups to kill(2).
    fn pid_t(pid: u32) -> Option<Pid> {
        i32::try_from(pid)
            .ok()
            .filter(|&p| p > 0)
            .map(Pid::from_raw)
    }

    pub fn forbidden(pid: u32, group: bool) -> Option<&'static str> {
        let Some(target) = pid_t(pid) else {
            return Some("not a PID (kill(2) would read it as a process group, or every process)");
        };
        if pid == 1 {
            return Some("PID 1 is the system's init process");
        }
        if target == nix::unistd::getpgrp() {
            return Some("that is Sessionscope's own process group");
        }
        if group && nix::unistd::getsid(None).is_ok_and(|sid| sid == target) {
            return Some("that group holds the terminal session Sessionscope runs in");
        }
        None
    }

    /// The process's pidfd where the kernel has them; else nothing (plain kill).
    pub struct Handle {
        #[cfg(target_os = "linux")]
        fd: Option<super::pidfd::PidFd>,
    }

    impl Handle {
        pub fn none() -> Handle {
            Handle {
                #[cfg(target_os = "linux")]
                fd: None,
            }
        }

        #[cfg(target_os = "linux")]
        pub fn open(pid: u32) -> Result<Handle, SignalError> {
            use super::pidfd::{PidFd, PidFdError};
            match PidFd::open(pid) {
                Ok(fd) => Ok(Handle { fd: Some(fd) }),
                Err(PidFdError::Gone) => Err(SignalError::NoSuchProcess(pid)),
                // Older kernels, seccomp filters, or EPERM in odd namespaces: the same
                // start-time check, then a plain kill.
                Err(PidFdError::Unsupported | PidFdError::Other(_)) => Ok(Handle::none()),
            }
        }

        #[cfg(not(target_os = "linux"))]
        pub fn open(_pid: u32) -> Result<Handle, SignalError> {
            Ok(Handle::none())
        }
    }

    pub fn group_exists(pgid: u32) -> bool {
        pid_t(pgid).is_some_and(|g| killpg(g, None).is_ok())
    }

    /// `killpg(0)` also succeeds for a group of zombies; look for a member that runs.
    pub fn group_has_live_members(pgid: u32) -> bool {
        if !group_exists(pgid) {
            return false;
        }
        let mut sys = sysinfo::System::new();
        sys.refresh_processes_specifics(
            sysinfo::ProcessesToUpdate::All,
            true,
            sysinfo::ProcessRefreshKind::nothing(),
        );
        sys.processes().iter().any(|(pid, p)| {
            p.thread_kind().is_none()
                && !matches!(
                    p.status(),
                    sysinfo::ProcessStatus::Zombie | sysinfo::ProcessStatus::Dead
                )
                && nix::unistd::getpgid(Some(Pid::from_raw(pid.as_u32() as i32)))
                    .is_ok_and(|g| g.as_raw() == pgid as i32)
        })
    }

    pub fn leads_group(pid: u32) -> bool {
        pid_t(pid).is_some_and(|p| nix::unistd::getpgid(Some(p)).is_ok_and(|g| g == p))
    }

    /// Send through the pidfd when there is one (and, for a group, when the kernel
    /// can: Linux 6.9); else `kill`/`killpg`, which the caller's checks guard.
    pub fn send(
        handle: &Handle,
        pid: u32,
        signal: StopSignal,
        group: bool,
    ) -> Result<(), SignalError> {
        let sig = match signal {
            StopSignal::Interrupt => Signal::SIGINT,
            StopSignal::Terminate => Signal::SIGTERM,
            StopSignal::Kill => Signal::SIGKILL,
        };
        let Some(target) = pid_t(pid) else {
            return Err(SignalError::Forbidden {
                pid,
                reason: "not a PID",
            });
        };
        #[cfg(target_os = "linux")]
        if let Some(fd) = &handle.fd {
            use super::pidfd::PidFdError;
            match fd.send(sig as i32, group) {
                Ok(()) => return Ok(()),
                Err(PidFdError::Gone) => return Err(SignalError::NoSuchProcess(pid)),
                Err(PidFdError::Other(e)) => {
                    return Err(SignalError::Failed {
                        pid,
                        reason: e.to_string(),
                    })
                }
                Err(PidFdError::Unsupported) => {}
            }
        }
        #[cfg(not(target_os = "linux"))]
        let _ = handle;
        let result = if group {
            killpg(target, sig)
        } else {
            kill(target, sig)
        };
        match result {
            Ok(()) => Ok(()),
            Err(Errno::ESRCH) => Err(SignalError::NoSuchProcess(pid)),
            Err(e) => Err(SignalError::Failed {
                pid,
                reason: e.desc().to_string(),
            }),
        }
    }
}

#[cfg(windows)]
pub mod console_ctrl;
#[cfg(windows)]
pub mod job;
#[cfg(windows)]
mod windows;
#[cfg(windows)]
use self::windows as platform;

#[cfg(test)]
mod tests {
    use super::*;

    fn s(v: &[&str]) -> Vec<String> {
        v.iter().map(|x| x.to_string()).collect()
    }

    #[test]
    fn fdinfo_gives_the_offset_of_appending_fds_only() {
        let append = "pos:\t4005\nflags:\t0102001\nmnt_id:\t30\nino:\t77\n";
        assert_eq!(appending_offset(append), Some(4005));
        assert_eq!(appending_offset("pos:\t4005\nflags:\t0100001\n"), None);
        assert_eq!(appending_offset("pos:\tx\nflags:\t02001\n"), None);
        assert_eq!(appending_offset("flags:\t02001\n"), None);
        assert_eq!(appending_offset(""), None);
    }

    #[cfg(target_os = "linux")]
    #[test]
    fn a_log_this_process_appends_to_is_listed_with_its_offset() {
        use std::io::Write;
        let dir = tempfile::tempdir().unwrap();
        let log = dir.path().join("agent.log");
        std::fs::write(&log, "someone else's line\n").unwrap();
        let mut f = std::fs::OpenOptions::new().append(true).open(&log).unwrap();
        f.write_all(b"run=mine message=hello\n").unwrap();
        let kept = std::fs::File::create(dir.path().join("t.jsonl")).unwrap();
        let (files, logs) = open_files(std::process::id());
        let log = log.canonicalize().unwrap();
        assert!(logs.contains(&(log, 43)), "{logs:?}");
        assert!(files.iter().any(|p| p.ends_with("t.jsonl")), "{files:?}");
        drop((f, kept));
    }

    #[test]
    fn agents_are_recognised_by_name_or_script() {
        assert_eq!(recognise("claude", &[]), Some(Harness::ClaudeCode));
        assert_eq!(recognise("codex.exe", &[]), Some(Harness::Codex));
        assert_eq!(recognise("codex-x86_64-un", &[]), Some(Harness::Codex));
        assert_eq!(
            recognise(
                "node",
                &s(&[
                    "node",
                    "/usr/lib/node_modules/@anthropic-ai/claude-code/cli.js"
                ])
            ),
            Some(Harness::ClaudeCode)
        );
        assert_eq!(
            recognise("python3", &s(&["python3", "/usr/bin/gptme"])),
            Some(Harness::Gptme)
        );
        assert_eq!(
            recognise("python3", &s(&["python3", "-m", "gptme", "-n"])),
            Some(Harness::Gptme)
        );
        // A script that only names gptme among its arguments (the agents suite).
        assert_eq!(
            recognise("python3", &s(&["python3", "suite.py", "--agents", "gptme"])),
            None
        );
        assert_eq!(recognise("node", &s(&["node", "server.js"])), None);
        // Copilot CLI 1.0: the npm launcher, and its native binary, renamed MainThread.
        assert_eq!(
            recognise("node", &s(&["node", "/n/node_modules/.bin/copilot", "-p"])),
            Some(Harness::Copilot)
        );
        assert_eq!(
            recognise(
                "MainThread",
                &s(&["/n/@github/copilot-linux-x64/copilot", "-p"])
            ),
            Some(Harness::Copilot)
        );
        assert_eq!(recognise("MainThread", &s(&["/usr/bin/python3"])), None);
        assert!(serves_many_workspaces(
            "python3",
            &s(&["python3", "/v/bin/gptme-server"])
        ));
        assert!(serves_many_workspaces("gptme-server", &[]));
        assert!(!serves_many_workspaces(
            "python3",
            &s(&["python3", "/v/bin/gptme"])
        ));
        assert_eq!(recognise("bash", &s(&["bash", "claude"])), None);
    }

    #[cfg(target_os = "linux")]
    #[test]
    fn a_process_shows_the_transcript_it_holds_open_and_its_start_ticks() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("rollout-x.jsonl");
        std::fs::write(&file, "").unwrap();
        let mut child = std::process::Command::new("sh")
            .arg("-c")
            .arg("exec 3>>\"$0\"; sleep 30")
            .arg(&file)
            .spawn()
            .unwrap();
        let pid = child.id();
        let held = crate::kill::wait_until(std::time::Duration::from_secs(5), || {
            open_files(pid).0.contains(&file)
        });
        let ticks = start_ticks(pid);
        child.kill().unwrap();
        child.wait().unwrap();
        assert!(held, "the open file is listed");
        let own = start_ticks(std::process::id()).unwrap();
        assert!(ticks.unwrap() >= own, "a child starts after its parent");
        assert!(
            open_files(pid).0.is_empty(),
            "an exited process holds nothing"
        );
    }

    #[cfg(unix)]
    #[test]
    fn pids_that_name_groups_init_or_ourselves_are_never_signalled() {
        let me = std::process::id();
        let my_group = nix::unistd::getpgrp().as_raw() as u32;
        for (pid, group) in [
            (0, false),
            (0, true),
            (1, true),
            (u32::MAX, false),
            (i32::MAX as u32 + 1, true),
            (me, false),
            (my_group, true),
        ] {
            assert!(
                forbidden_target(pid, group).is_some(),
                "{pid} group={group}"
            );
        }
        // Through every signalling entry point: refused before anything is sent (were
        // it sent, this test process itself would be the one to die).
        let zero = ProcessIdentity {
            pid: 0,
            start_time: 0,
        };
        for result in [
            signal_group_checked(zero, StopSignal::Kill),
            signal_process(zero, StopSignal::Kill),
            signal_group(0, StopSignal::Kill),
            signal_group(my_group, StopSignal::Kill),
            signal_group(u32::MAX, StopSignal::Kill),
        ] {
            assert!(
                matches!(result, Err(SignalError::Forbidden { .. })),
                "{result:?}"
            );
        }
        // The kernel's threads have group 0: PID 0 is no group that "still runs".
        assert!(!group_is_running(zero));
        // An ordinary child is fine to signal.
        let mut child = std::process::Command::new("sleep")
            .arg("30")
            .spawn()
            .unwrap();
        assert_eq!(forbidden_target(child.id(), false), None);
        child.kill().unwrap();
        child.wait().unwrap();
    }

    #[cfg(unix)]
    #[test]
    fn a_stale_start_time_sends_nothing() {
        let mut child = std::process::Command::new("sleep")
            .arg("30")
            .spawn()
            .unwrap();
        let pid = child.id();
        let real = identity_of(pid).expect("child is running");
        let stale = ProcessIdentity {
            pid,
            start_time: real.start_time.saturating_sub(1000),
        };
        assert_eq!(
            signal_process(stale, StopSignal::Kill),
            Err(SignalError::PidReused(pid))
        );
        assert!(
            child.try_wait().unwrap().is_none(),
            "the process must still run"
        );
        signal_process(real, StopSignal::Kill).unwrap();
        let status = child.wait().unwrap();
        use std::os::unix::process::ExitStatusExt;
        assert_eq!(status.signal(), Some(9));
        assert_eq!(
            signal_process(real, StopSignal::Kill),
            Err(SignalError::NoSuchProcess(pid))
        );
    }
}
