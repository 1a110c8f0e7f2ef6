//! Commands the user starts from Sessionscope, each in its own pseudo-terminal.
//!
//! A run is spawned through `portable-pty`, which makes the child a session and process
//! group leader (`setsid`), so a kill reaches every grandchild through the group. Per
//! run, one reader thread copies PTY output into a bounded in-memory ring buffer (what
//! a newly opened terminal panel replays), the run's log file (everything), and to
//! every attached subscriber; one waiter thread records the exit status.
//!
//! A kill is graceful first: SIGTERM to the group, then SIGKILL when the group is still
//! alive after the grace period. The supervisor never asks the user anything: the
//! confirmation dialog belongs to the caller (the app shows a native one; the CLI asks
//! on the terminal). Status: `Completed` (exit 0), `Failed` (non-zero or a signal the
//! user did not send), `Killed` (the user's kill).

use std::collections::{HashMap, VecDeque};
use std::fs::File;
use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::sync::mpsc::{self, Receiver, Sender};
use std::sync::{Arc, Mutex, MutexGuard};
use std::thread;
use std::time::Duration;

use chrono::Utc;
use portable_pty::{native_pty_system, CommandBuilder, MasterPty, PtySize};

use crate::model::{RunInfo, RunRequest, RunStatus};
use crate::procs::{self, StopSignal};

/// Default size of the replay buffer of one run.
pub const DEFAULT_RING_BYTES: usize = 1024 * 1024;

/// Errors a caller can show to the user as they are.
#[derive(Debug, thiserror::Error)]
pub enum SupervisorError {
    #[error("no run with id {0}")]
    UnknownRun(String),
    #[error("the command is empty")]
    EmptyCommand,
    #[error("run {0} is not running")]
    NotRunning(String),
    #[error("could not start the command: {0}")]
    Spawn(String),
    #[error(transparent)]
    Signal(#[from] procs::SignalError),
    #[error("I/O error: {0}")]
    Io(#[from] std::io::Error),
}

/// Keeps the last `capacity` bytes written to it.
#[derive(Debug)]
pub struct RingBuffer {
    bytes: VecDeque<u8>,
    capacity: usize,
}

impl RingBuffer {
    pub fn new(capacity: usize) -> Self {
        RingBuffer {
            bytes: VecDeque::with_capacity(capacity.min(64 * 1024)),
            capacity,
        }
    }

    pub fn push(&mut self, data: &[u8]) {
        let data = if data.len() > self.capacity {
            &data[data.len() - self.capacity..]
        } else {
            data
        };
        let overflow = (self.bytes.len() + data.len()).saturating_sub(self.capacity);
        self.bytes.drain(..overflow);
        self.bytes.extend(data);
    }

    pub fn contents(&self) -> Vec<u8> {
        self.bytes.iter().copied().collect()
    }
}

/// Turns a byte stream into UTF-8 text without splitting a character across batches.
#[derive(Debug, Default)]
pub struct Utf8Stream {
    carry: Vec<u8>,
}

impl Utf8Stream {
    pub fn decode(&mut self, bytes: &[u8]) -> String {
        self.carry.extend_from_slice(bytes);
        let mut out = String::with_capacity(self.carry.len());
        let mut rest: &[u8] = &self.carry;
        loop {
            match std::str::from_utf8(rest) {
                Ok(s) => {
                    out.push_str(s);
                    rest = &[];
                    break;
                }
                Err(e) => {
                    let (good, bad) = rest.split_at(e.valid_up_to());
                    out.push_str(std::str::from_utf8(good).unwrap_or_default());
                    match e.error_len() {
                        // Invalid bytes: replace and go on.
                        Some(n) => {
                            out.push('\u{fffd}');
                            rest = &bad[n..];
                        }
                        // An incomplete character at the end: keep it for next time.
                        None => {
                            rest = bad;
                            break;
                        }
                    }
                }
            }
        }
        self.carry = rest.to_vec();
        out
    }
}

struct RunSlot {
    info: RunInfo,
    ring: RingBuffer,
    subscribers: Vec<Sender<Vec<u8>>>,
    /// Set when the user asked to kill, so the exit is reported as Killed.
    kill_requested: bool,
    master: Option<Box<dyn MasterPty + Send>>,
    input: Option<Box<dyn Write + Send>>,
}

type Listener = Arc<dyn Fn(&RunInfo) + Send + Sync>;

/// See the module documentation. Cheap to clone; clones share the same runs.
#[derive(Clone)]
pub struct Supervisor {
    runs: Arc<Mutex<HashMap<String, RunSlot>>>,
    order: Arc<Mutex<Vec<String>>>,
    log_dir: PathBuf,
    ring_bytes: usize,
    listener: Listener,
}

impl Supervisor {
    /// `log_dir` receives one `<run-id>.log` per run; `listener` hears every status change.
    pub fn new(
        log_dir: impl Into<PathBuf>,
        listener: impl Fn(&RunInfo) + Send + Sync + 'static,
    ) -> Self {
        Supervisor {
            runs: Arc::default(),
            order: Arc::default(),
            log_dir: log_dir.into(),
            ring_bytes: DEFAULT_RING_BYTES,
            listener: Arc::new(listener),
        }
    }

    pub fn with_ring_bytes(mut self, bytes: usize) -> Self {
        self.ring_bytes = bytes;
        self
    }

    fn slots(&self) -> MutexGuard<'_, HashMap<String, RunSlot>> {
        self.runs.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Every run, oldest first.
    pub fn runs(&self) -> Vec<RunInfo> {
        let order = self.order.lock().unwrap_or_else(|e| e.into_inner()).clone();
        let slots = self.slots();
        order
            .iter()
            .filter_map(|id| slots.get(id).map(|s| s.info.clone()))
            .collect()
    }

    pub fn run(&self, id: &str) -> Option<RunInfo> {
        self.slots().get(id).map(|s| s.info.clone())
    }

    /// Start `req.command` through the user's shell in a new PTY.
    pub fn start(&self, req: RunRequest) -> Result<RunInfo, SupervisorError> {
        let command = req.command.trim();
        if command.is_empty() {
            return Err(SupervisorError::EmptyCommand);
        }
        std::fs::create_dir_all(&self.log_dir)?;
        let id = uuid::Uuid::new_v4().simple().to_string()[..12].to_string();
        let log_path = self.log_dir.join(format!("{id}.log"));
        let log = File::create(&log_path)?;

        let pty = native_pty_system();
        let pair = pty
            .openpty(PtySize {
                rows: 30,
                cols: 120,
                pixel_width: 0,
                pixel_height: 0,
            })
            .map_err(|e| SupervisorError::Spawn(e.to_string()))?;
        let mut cmd = shell_command(command);
        if let Some(cwd) = req.cwd.as_deref().filter(|c| !c.trim().is_empty()) {
            if !Path::new(cwd).is_dir() {
                return Err(SupervisorError::Spawn(format!("no such directory: {cwd}")));
            }
            cmd.cwd(cwd);
        }
        cmd.env("TERM", "xterm-256color");
        let mut child = pair
            .slave
            .spawn_command(cmd)
            .map_err(|e| SupervisorError::Spawn(e.to_string()))?;
        // The slave end belongs to the child now; holding it would keep the PTY open
        // after the child exits and the reader would never see EOF.
        drop(pair.slave);
        let reader = pair
            .master
            .try_clone_reader()
            .map_err(|e| SupervisorError::Spawn(e.to_string()))?;
        let input = pair.master.take_writer().ok();

        let name = if req.name.trim().is_empty() {
            command
                .split_whitespace()
                .next()
                .unwrap_or("run")
                .to_string()
        } else {
            req.name.trim().to_string()
        };
        let info = RunInfo {
            id: id.clone(),
            name,
            command: command.to_string(),
            cwd: req.cwd.clone().filter(|c| !c.trim().is_empty()),
            pid: child.process_id(),
            started_at: Utc::now(),
            ended_at: None,
            status: RunStatus::Running,
            exit_code: None,
            reason: None,
            log_path: Some(log_path.to_string_lossy().into_owned()),
        };
        self.slots().insert(
            id.clone(),
            RunSlot {
                info: info.clone(),
                ring: RingBuffer::new(self.ring_bytes),
                subscribers: Vec::new(),
                kill_requested: false,
                master: Some(pair.master),
                input,
            },
        );
        self.order
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .push(id.clone());
        (self.listener)(&info);

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
            let _ = log.write_all(chunk);
            let mut slots = self.slots();
            let Some(slot) = slots.get_mut(id) else { break };
            slot.ring.push(chunk);
            slot.subscribers.retain(|s| s.send(chunk.to_vec()).is_ok());
        }
        let _ = log.flush();
    }

    fn finish(&self, id: &str, status: std::io::Result<portable_pty::ExitStatus>) {
        let info = {
            let mut slots = self.slots();
            let Some(slot) = slots.get_mut(id) else {
                return;
            };
            let info = &mut slot.info;
            info.ended_at = Some(Utc::now());
            match status {
                Ok(st) => {
                    let code = st.exit_code() as i32;
                    if slot.kill_requested {
                        info.status = RunStatus::Killed;
                        info.reason = Some(match st.signal() {
                            Some(sig) => format!("killed by the user ({sig})"),
                            None => "killed by the user".into(),
                        });
                    } else if let Some(sig) = st.signal() {
                        info.status = RunStatus::Failed;
                        info.reason = Some(format!("signal: {sig}"));
                    } else if code == 0 {
                        info.status = RunStatus::Completed;
                        info.exit_code = Some(0);
                    } else {
                        info.status = RunStatus::Failed;
                        info.exit_code = Some(code);
                        info.reason = Some(format!("exit code {code}"));
                    }
                    if st.signal().is_none() {
                        info.exit_code = Some(code);
                    }
                }
                Err(e) => {
                    info.status = RunStatus::Failed;
                    info.reason = Some(format!("lost track of the process: {e}"));
                }
            }
            // Dropping the subscribers ends their streams; the PTY is no longer needed.
            slot.subscribers.clear();
            slot.input = None;
            slot.master = None;
            info.clone()
        };
        (self.listener)(&info);
    }

    /// The output so far (the ring buffer) and a stream of what comes next. The stream
    /// ends when the run ends.
    pub fn attach(&self, id: &str) -> Result<(Vec<u8>, Receiver<Vec<u8>>), SupervisorError> {
        let mut slots = self.slots();
        let slot = slots
            .get_mut(id)
            .ok_or_else(|| SupervisorError::UnknownRun(id.into()))?;
        let (tx, rx) = mpsc::channel();
        if slot.info.status == RunStatus::Running {
            slot.subscribers.push(tx);
        }
        Ok((slot.ring.contents(), rx))
    }

    /// Type into the run's terminal.
    pub fn write_input(&self, id: &str, data: &[u8]) -> Result<(), SupervisorError> {
        let mut slots = self.slots();
        let slot = slots
            .get_mut(id)
            .ok_or_else(|| SupervisorError::UnknownRun(id.into()))?;
        let input = slot
            .input
            .as_mut()
            .ok_or_else(|| SupervisorError::NotRunning(id.into()))?;
        input.write_all(data)?;
        input.flush()?;
        Ok(())
    }

    /// Resize the run's terminal to the panel's size.
    pub fn resize(&self, id: &str, rows: u16, cols: u16) -> Result<(), SupervisorError> {
        let slots = self.slots();
        let slot = slots
            .get(id)
            .ok_or_else(|| SupervisorError::UnknownRun(id.into()))?;
        if let Some(master) = slot.master.as_ref() {
            master
                .resize(PtySize {
                    rows: rows.max(1),
                    cols: cols.max(1),
                    pixel_width: 0,
                    pixel_height: 0,
                })
                .map_err(|e| SupervisorError::Spawn(e.to_string()))?;
        }
        Ok(())
    }

    /// Stop a run: SIGTERM to its process group, SIGKILL after `grace` if it lives on.
    /// Returns once the first signal is sent; the status becomes `Killed` on exit.
    pub fn kill(&self, id: &str, grace: Duration) -> Result<(), SupervisorError> {
        let pid = {
            let mut slots = self.slots();
            let slot = slots
                .get_mut(id)
                .ok_or_else(|| SupervisorError::UnknownRun(id.into()))?;
            if slot.info.status != RunStatus::Running {
                return Err(SupervisorError::NotRunning(id.into()));
            }
            slot.kill_requested = true;
            slot.info
                .pid
                .ok_or_else(|| SupervisorError::NotRunning(id.into()))?
        };
        procs::signal_group(pid, StopSignal::Terminate)?;
        let this = self.clone();
        let id = id.to_string();
        thread::spawn(move || {
            let step = Duration::from_millis(50);
            let mut waited = Duration::ZERO;
            while waited < grace {
                if this.run(&id).is_none_or(|r| r.status != RunStatus::Running) {
                    return;
                }
                thread::sleep(step);
                waited += step;
            }
            let _ = procs::signal_group(pid, StopSignal::Kill);
        });
        Ok(())
    }

    /// Forget every run that is no longer running (their logs stay on disk).
    pub fn clear_finished(&self) -> Vec<String> {
        let mut slots = self.slots();
        let done: Vec<String> = slots
            .iter()
            .filter(|(_, s)| s.info.status != RunStatus::Running)
            .map(|(id, _)| id.clone())
            .collect();
        for id in &done {
            slots.remove(id);
        }
        self.order
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .retain(|id| !done.contains(id));
        done
    }
}

#[cfg(unix)]
fn shell_command(command: &str) -> CommandBuilder {
    let shell = std::env::var("SHELL")
        .ok()
        .filter(|s| Path::new(s).is_file())
        .unwrap_or_else(|| "/bin/sh".into());
    let mut cmd = CommandBuilder::new(shell);
    cmd.args(["-c", command]);
    cmd
}

#[cfg(windows)]
fn shell_command(command: &str) -> CommandBuilder {
    let mut cmd = CommandBuilder::new("cmd.exe");
    cmd.args(["/C", command]);
    cmd
}

#[cfg(all(test, unix))]
mod tests {
    use super::*;
    use std::time::Instant;

    fn supervisor() -> (tempfile::TempDir, Supervisor) {
        let dir = tempfile::tempdir().unwrap();
        let sup = Supervisor::new(dir.path().join("logs"), |_| {});
        (dir, sup)
    }

    fn wait_done(sup: &Supervisor, id: &str) -> RunInfo {
        let deadline = Instant::now() + Duration::from_secs(10);
        loop {
            let r = sup.run(id).unwrap();
            if r.status != RunStatus::Running || Instant::now() > deadline {
                return r;
            }
            thread::sleep(Duration::from_millis(20));
        }
    }

    fn req(cmd: &str) -> RunRequest {
        RunRequest {
            name: "t".into(),
            command: cmd.into(),
            cwd: None,
        }
    }

    #[test]
    fn exit_codes_map_to_completed_and_failed() {
        let (_d, sup) = supervisor();
        let ok = sup.start(req("echo hello")).unwrap();
        let bad = sup.start(req("exit 3")).unwrap();
        let ok = wait_done(&sup, &ok.id);
        assert_eq!((ok.status, ok.exit_code), (RunStatus::Completed, Some(0)));
        let bad = wait_done(&sup, &bad.id);
        assert_eq!((bad.status, bad.exit_code), (RunStatus::Failed, Some(3)));
        assert_eq!(bad.reason.as_deref(), Some("exit code 3"));
        let log = std::fs::read_to_string(ok.log_path.unwrap()).unwrap();
        assert!(log.contains("hello"), "log has the output: {log:?}");
    }

    #[test]
    fn output_streams_to_subscribers_and_is_replayed_from_the_ring() {
        let (_d, sup) = supervisor();
        let run = sup
            .start(req("sleep 0.3; for i in 1 2 3; do echo line $i; done"))
            .unwrap();
        let (_backlog, rx) = sup.attach(&run.id).unwrap();
        let mut got = Vec::new();
        while let Ok(chunk) = rx.recv_timeout(Duration::from_secs(5)) {
            got.extend(chunk);
        }
        let text = String::from_utf8_lossy(&got);
        assert!(text.contains("line 3"), "streamed: {text:?}");
        wait_done(&sup, &run.id);
        let (backlog, _) = sup.attach(&run.id).unwrap();
        assert!(String::from_utf8_lossy(&backlog).contains("line 1"));
    }

    #[test]
    fn kill_takes_down_the_whole_group_and_reports_killed() {
        let (_d, sup) = supervisor();
        // The shell starts a grandchild that ignores nothing special; both must die.
        let run = sup.start(req("sleep 1000 & echo child=$!; wait")).unwrap();
        let (_, rx) = sup.attach(&run.id).unwrap();
        let mut text = String::new();
        let deadline = Instant::now() + Duration::from_secs(5);
        while !text.contains('\n') && Instant::now() < deadline {
            if let Ok(c) = rx.recv_timeout(Duration::from_millis(100)) {
                text.push_str(&String::from_utf8_lossy(&c));
            }
        }
        let grandchild: u32 = text
            .trim()
            .strip_prefix("child=")
            .and_then(|s| s.trim().parse().ok())
            .unwrap_or_else(|| panic!("no child pid in {text:?}"));
        sup.kill(&run.id, Duration::from_secs(2)).unwrap();
        let done = wait_done(&sup, &run.id);
        assert_eq!(done.status, RunStatus::Killed);
        let deadline = Instant::now() + Duration::from_secs(5);
        while procs::is_alive(grandchild) && Instant::now() < deadline {
            thread::sleep(Duration::from_millis(50));
        }
        assert!(
            !procs::is_alive(grandchild),
            "grandchild died with its group"
        );
    }

    #[test]
    fn a_process_ignoring_sigterm_is_forced_after_the_grace_period() {
        let (_d, sup) = supervisor();
        let run = sup
            .start(req(
                "trap '' TERM; echo ready; while true; do sleep 0.1; done",
            ))
            .unwrap();
        let (_, rx) = sup.attach(&run.id).unwrap();
        let _ = rx.recv_timeout(Duration::from_secs(5));
        sup.kill(&run.id, Duration::from_millis(300)).unwrap();
        let done = wait_done(&sup, &run.id);
        assert_eq!(done.status, RunStatus::Killed);
    }

    #[test]
    fn input_reaches_the_process() {
        let (_d, sup) = supervisor();
        let run = sup.start(req("read answer; echo got=$answer")).unwrap();
        let (_, rx) = sup.attach(&run.id).unwrap();
        sup.write_input(&run.id, b"yes\r").unwrap();
        let mut text = String::new();
        while let Ok(c) = rx.recv_timeout(Duration::from_secs(5)) {
            text.push_str(&String::from_utf8_lossy(&c));
        }
        assert!(text.contains("got=yes"), "{text:?}");
        assert_eq!(wait_done(&sup, &run.id).status, RunStatus::Completed);
    }

    #[test]
    fn clear_finished_keeps_running_ones() {
        let (_d, sup) = supervisor();
        let a = sup.start(req("true")).unwrap();
        let b = sup.start(req("sleep 5")).unwrap();
        wait_done(&sup, &a.id);
        assert_eq!(sup.clear_finished(), vec![a.id.clone()]);
        assert_eq!(sup.runs().len(), 1);
        sup.kill(&b.id, Duration::from_millis(100)).unwrap();
        assert_eq!(wait_done(&sup, &b.id).status, RunStatus::Killed);
    }

    #[test]
    fn ring_buffer_keeps_the_tail() {
        let mut r = RingBuffer::new(5);
        r.push(b"abc");
        r.push(b"defg");
        assert_eq!(r.contents(), b"cdefg");
        r.push(b"0123456789");
        assert_eq!(r.contents(), b"56789");
    }

    #[test]
    fn utf8_stream_holds_back_split_characters() {
        let mut s = Utf8Stream::default();
        let bytes = "é€".as_bytes();
        assert_eq!(s.decode(&bytes[..1]), "");
        assert_eq!(s.decode(&bytes[1..3]), "é");
        assert_eq!(s.decode(&bytes[3..]), "€");
        assert_eq!(s.decode(b"a\xffb"), "a\u{fffd}b");
    }
}
