//! Starting a run in a pseudo-terminal, the thread that pumps its output to the ring,
//! the log and the attached streams, and the waiter that records how it ended (exit
//! code, or the signal that ended it).

use std::fs::{File, OpenOptions};
use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::sync::mpsc;
use std::thread;
use std::time::Duration;

use chrono::Utc;
use portable_pty::PtySize;

use super::terminal::RingBuffer;
use super::{duration_ms, lock, RunSlot, Supervisor, SupervisorError};
use crate::model::{EnvVar, RunInfo, RunRequest, RunStatus};
use crate::procs;
use crate::runs::launch::{self, default_cwd, Launch, Terminal};

impl Supervisor {
    /// Start `req.command` through the user's shell in a new 30x120 PTY.
    pub fn start(&self, req: RunRequest) -> Result<RunInfo, SupervisorError> {
        self.start_sized(req, 30, 120)
    }

    /// Start `req.command` in a PTY of `rows` x `cols` from the first instant (the
    /// panel's or the user's terminal size), so its first output is laid out right.
    pub fn start_sized(
        &self,
        req: RunRequest,
        rows: u16,
        cols: u16,
    ) -> Result<RunInfo, SupervisorError> {
        let command = req.command.trim();
        if command.is_empty() {
            return Err(SupervisorError::EmptyCommand);
        }
        if let Some(bad) = req
            .env
            .iter()
            .find(|v| EnvVar::parse(&format!("{}=", v.name)).is_none())
        {
            return Err(SupervisorError::Spawn(format!(
                "invalid environment variable name: {:?}",
                bad.name
            )));
        }
        let log_dir = &self.inner.log_dir;
        std::fs::create_dir_all(log_dir)?;
        let id = uuid::Uuid::new_v4().simple().to_string()[..12].to_string();
        let log_path = log_dir.join(format!("{id}.log"));
        // Append mode: at quit a relay may take over writing the same file.
        let log = OpenOptions::new()
            .create(true)
            .append(true)
            .open(&log_path)?;

        let cwd = match req.cwd.as_deref().filter(|c| !c.trim().is_empty()) {
            Some(cwd) if !Path::new(cwd).is_dir() => {
                return Err(SupervisorError::Spawn(format!("no such directory: {cwd}")));
            }
            Some(cwd) => PathBuf::from(cwd),
            // portable-pty would pick $HOME even when it does not exist (and fail).
            None => default_cwd(),
        };
        let mut env = vec![("TERM".to_string(), "xterm-256color".to_string())];
        env.extend(req.env.iter().map(|v| (v.name.clone(), v.value.clone())));
        let launch = Launch {
            command: command.to_string(),
            cwd,
            env,
            remove: Vec::new(),
        };
        let size = PtySize {
            rows: rows.max(1),
            cols: cols.max(1),
            pixel_width: 0,
            pixel_height: 0,
        };
        let terminal = if use_host() {
            self.open_hosted(&id, &launch, size, &log_path)?
        } else {
            launch::open(&launch, size).map_err(|e| SupervisorError::Spawn(e.to_string()))?
        };
        let Terminal {
            master,
            mut child,
            reader,
            input,
        } = terminal;

        let name = crate::runs::naming::run_name(&req.name, command);
        let pid = child.process_id();
        let identity = pid.and_then(procs::identity_of);
        // Windows: the whole tree in one job, so a kill reaches the grandchildren. A
        // host made it and holds it for the run's life; this process holds it too.
        #[cfg(windows)]
        let job = pid.and_then(|leader| {
            let found = if use_host() {
                crate::procs::job::Job::open(leader).ok_or_else(|| {
                    std::io::Error::other("its run host made none")
                })
            } else {
                crate::procs::job::Job::contain(leader)
            };
            match found {
                Ok(job) => Some(job),
                Err(e) => {
                    self.warn(format!(
                        "run {id}: no job object ({e}); a kill ends its process tree by parent links"
                    ));
                    None
                }
            }
        });
        let info = RunInfo {
            id: id.clone(),
            name,
            command: command.to_string(),
            cwd: req.cwd.clone().filter(|c| !c.trim().is_empty()),
            pid,
            started_at: Utc::now(),
            ended_at: None,
            status: RunStatus::Running,
            exit_code: None,
            reason: None,
            log_path: Some(log_path.to_string_lossy().into_owned()),
            env_names: req.env.iter().map(|v| v.name.clone()).collect(),
            duration_ms: None,
            exit_signal: None,
            pid_start_time: identity.map(|i| i.start_time),
            detached: false,
        };
        self.slots().insert(
            id.clone(),
            RunSlot {
                info: info.clone(),
                ring: RingBuffer::new(self.ring_bytes()),
                subscribers: Vec::new(),
                kill_requested: false,
                master: Some(master),
                input,
                owned: true,
                owner: self.inner.me,
                #[cfg(windows)]
                job,
            },
        );
        lock(&self.inner.order).push(id.clone());
        self.record(&info, self.inner.me);
        self.notify(&info);

        let (done_tx, done_rx) = mpsc::channel::<()>();
        let this = self.clone();
        let reader_id = id.clone();
        thread::Builder::new()
            .name(format!("run-{id}-out"))
            .spawn(move || {
                this.pump_output(&reader_id, reader, log);
                let _ = done_tx.send(());
            })?;
        let this = self.clone();
        thread::Builder::new()
            .name(format!("run-{id}-wait"))
            .spawn(move || {
                let status = child.wait();
                // Let the reader drain what the child wrote before it exited, so a
                // Completed run's panel already shows its last line.
                let _ = done_rx.recv_timeout(Duration::from_secs(2));
                this.finish(&id, status);
            })?;
        Ok(info)
    }

    fn pump_output(&self, id: &str, mut reader: Box<dyn Read + Send>, mut log: File) {
        let mut buf = vec![0u8; 64 * 1024];
        loop {
            let n = match reader.read(&mut buf) {
                Ok(0) | Err(_) => break, // EOF, or EIO once the child side closed.
                Ok(n) => n,
            };
            let chunk = &buf[..n];
            // Written before anyone is shown the chunk: the log always holds at least
            // what a panel has displayed, even if Sessionscope exits right after.
            let _ = log.write_all(chunk);
            // The ring and the list of streams change together, under the lock, so a
            // stream attaching now gets this chunk either in its backlog or sent, never
            // both; the sends happen outside the lock because they may wait.
            let streams = {
                let mut slots = self.slots();
                let Some(slot) = slots.get_mut(id) else { break };
                slot.ring.push(chunk);
                slot.subscribers.clone()
            };
            let gone: Vec<u64> = streams
                .iter()
                .filter(|(_, tx)| tx.send(chunk.to_vec()).is_err())
                .map(|(sid, _)| *sid)
                .collect();
            drop(streams);
            if !gone.is_empty() {
                if let Some(slot) = self.slots().get_mut(id) {
                    slot.subscribers.retain(|(sid, _)| !gone.contains(sid));
                }
            }
        }
        let _ = log.flush();
    }

    fn finish(&self, id: &str, status: std::io::Result<portable_pty::ExitStatus>) {
        let info = {
            let mut slots = self.slots();
            let Some(slot) = slots.get_mut(id) else {
                return;
            };
            // Killed from another Sessionscope process (`sessionscope kill`)? On Unix
            // only a signal death can be; on Windows a kill is an exit code (the job's).
            let maybe_killed = status
                .as_ref()
                .is_ok_and(|s| s.signal().is_some() || (cfg!(windows) && !s.success()));
            if !slot.kill_requested && maybe_killed {
                slot.kill_requested = self
                    .inner
                    .history
                    .load()
                    .is_ok_and(|h| h.kill_requested.iter().any(|k| k == id));
            }
            let info = &mut slot.info;
            let now = Utc::now();
            info.ended_at = Some(now);
            info.duration_ms = Some(duration_ms(info.started_at, now));
            info.detached = false;
            match status {
                Ok(st) => {
                    let code = st.exit_code() as i32;
                    let signal = st.signal().map(|d| (signal_number(d), d.to_string()));
                    info.exit_signal = signal.as_ref().and_then(|s| s.0);
                    let signal_text = signal
                        .as_ref()
                        .map(|(n, d)| signal_label(*n, d))
                        .unwrap_or_default();
                    if slot.kill_requested {
                        info.status = RunStatus::Killed;
                        info.reason = Some(if let Some((n, d)) = &signal {
                            format!("killed by the user ({})", signal_name(*n, d))
                        } else {
                            "killed by the user".into()
                        });
                    } else if signal.is_some() {
                        info.status = RunStatus::Failed;
                        info.reason = Some(format!("killed by signal {signal_text}"));
                    } else if code == 0 {
                        info.status = RunStatus::Completed;
                    } else {
                        info.status = RunStatus::Failed;
                        info.reason = Some(format!("exit code {code}"));
                    }
                    if signal.is_none() {
                        info.exit_code = Some(code);
                    }
                }
                Err(e) => {
                    info.status = RunStatus::Failed;
                    info.reason = Some(format!("lost track of the process: {e}"));
                }
            }
            // Saved before anyone can see the run as ended (the lock is held): a
            // `sessionscope run` exits as soon as it sees the end, and must not leave
            // the history saying "running".
            let info = info.clone();
            self.record(&info, None);
            // Dropping the subscribers ends their streams; the PTY is no longer needed.
            slot.subscribers.clear();
            slot.input = None;
            slot.master = None;
            // Its PID may be handed on now: the job's name must not outlive it.
            #[cfg(windows)]
            {
                slot.job = None;
            }
            info
        };
        self.notify(&info);
    }
}

/// Runs start through a run host (`runs::host`) on Windows, where a pseudoconsole
/// would not outlive this process, when this executable can be one; elsewhere, and in
/// executables that cannot host, in a terminal this process holds.
fn use_host() -> bool {
    cfg!(windows) && crate::runs::host::can_host()
}

impl Supervisor {
    /// The run started by a run host of its own, which holds its terminal.
    fn open_hosted(
        &self,
        id: &str,
        launch: &Launch,
        size: PtySize,
        log_path: &Path,
    ) -> Result<Terminal, SupervisorError> {
        let spec = crate::runs::host::frames::HostSpec {
            command: launch.command.clone(),
            cwd: Some(launch.cwd.to_string_lossy().into_owned()),
            env: launch.env.clone(),
            rows: size.rows,
            cols: size.cols,
            log: log_path.to_string_lossy().into_owned(),
        };
        let hosted =
            crate::runs::host::start(spec).map_err(|e| SupervisorError::Spawn(e.to_string()))?;
        for w in hosted.warnings {
            self.warn(format!("run {id}: {w}"));
        }
        Ok(Terminal {
            master: hosted.master,
            child: hosted.child,
            reader: hosted.reader,
            input: Some(hosted.input),
        })
    }
}

/// The signal number behind the description `portable-pty` gives (`strsignal`).
fn signal_number(description: &str) -> Option<i32> {
    #[cfg(unix)]
    {
        use nix::sys::signal::Signal::*;
        let sig = match description {
            "Hangup" => SIGHUP,
            "Interrupt" => SIGINT,
            "Quit" => SIGQUIT,
            "Illegal instruction" => SIGILL,
            "Trace/breakpoint trap" | "Trace/BPT trap" => SIGTRAP,
            "Aborted" | "Abort trap" => SIGABRT,
            "Bus error" => SIGBUS,
            "Floating point exception" => SIGFPE,
            "Killed" => SIGKILL,
            "User defined signal 1" => SIGUSR1,
            "Segmentation fault" => SIGSEGV,
            "User defined signal 2" => SIGUSR2,
            "Broken pipe" => SIGPIPE,
            "Alarm clock" => SIGALRM,
            "Terminated" => SIGTERM,
            other => {
                return other
                    .rsplit(|c: char| !c.is_ascii_digit())
                    .next()
                    .and_then(|n| n.parse().ok())
            }
        };
        Some(sig as i32)
    }
    #[cfg(not(unix))]
    {
        let _ = description;
        None
    }
}

/// "SIGTERM", or the description when the number is unknown.
fn signal_name(number: Option<i32>, description: &str) -> String {
    #[cfg(unix)]
    if let Some(sig) = number.and_then(|n| nix::sys::signal::Signal::try_from(n).ok()) {
        return sig.as_str().to_string();
    }
    let _ = number;
    description.to_string()
}

/// "SIGTERM (Terminated)", or the description alone when the number is unknown.
fn signal_label(number: Option<i32>, description: &str) -> String {
    #[cfg(unix)]
    if let Some(sig) = number.and_then(|n| nix::sys::signal::Signal::try_from(n).ok()) {
        return format!("{} ({description})", sig.as_str());
    }
    let _ = number;
    description.to_string()
}
