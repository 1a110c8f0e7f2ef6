//! Commands the user starts from Sessionscope, each in its own pseudo-terminal, and
//! the history of them that outlives any one Sessionscope process.
//!
//! A run is spawned through `portable-pty`, which makes the child a session and process
//! group leader (`setsid`), so a kill reaches every grandchild through the group. On
//! Windows (a ConPTY) the run is put in a job object instead (`job`), for the same end. Per
//! run, one reader thread copies PTY output into a bounded in-memory ring buffer (what
//! a newly opened terminal panel replays), the run's log file (everything), and to
//! every attached subscriber; one waiter thread records the exit status.
//!
//! Every start and end is appended to the shared history (`history`), which the app
//! and `sessionscope run` write at once. A supervisor loads it when created and keeps
//! following it: runs another process owns appear as *detached* (no terminal here;
//! their output is read back from the log). A run recorded as running whose process
//! is gone, with no live owner to record its end, is shown as ended with
//! [`LOST_REASON`]. Processes are always named by PID and start time, never by PID
//! alone, so a reused PID is never mistaken for a run.
//!
//! A kill is graceful first (see `kill`): SIGINT for agent CLIs, then SIGTERM to the
//! group, then SIGKILL when the group is still alive after the grace period. The
//! supervisor never asks the user anything: the confirmation dialog belongs to the
//! caller. Status: `Completed` (exit 0), `Failed` (non-zero or a signal the user did
//! not send), `Killed` (the user's kill).
//!
//! This file holds the [`Supervisor`] and what every job shares (its runs, their
//! order, the history); each job is a file of its own, each adding its methods:
//! - [`pty`]: starting a run in a PTY, pumping its output, recording its exit;
//! - [`terminal`]: the replay ring, attaching, reading the log, input and resize;
//! - [`history_sync`]: keeping in step with `runs.jsonl` and other processes;
//! - [`stop`]: stopping a run (the signals come from [`crate::kill`]);
//! - [`quit`]: what quitting does to live runs (hand-off or stop);
//! - [`retention`]: deleting old logs.

mod history_sync;
mod pty;
mod quit;
mod retention;
mod stop;
mod terminal;
#[cfg(all(test, unix))]
mod tests;

use std::collections::HashMap;
use std::io::Write;
use std::path::PathBuf;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::mpsc::SyncSender;
use std::sync::{Arc, Mutex, MutexGuard};
use std::thread;
use std::time::{Duration, SystemTime};

use chrono::Utc;
use portable_pty::MasterPty;

use crate::model::{RunInfo, RunStatus};
use crate::procs::{self, ProcessIdentity};
use crate::runs::history::{HistoryEntry, RunHistory};

pub use retention::prune_logs;
pub use terminal::{RingBuffer, Utf8Stream};

/// Default size of the replay buffer of one run.
pub const DEFAULT_RING_BYTES: usize = 1024 * 1024;

/// Output chunks (each at most 64 KiB, usually ~4 KiB) queued for one attached
/// stream. A stream that falls further behind holds the run's output back, as a slow
/// terminal does, so memory stays bounded however fast the command prints; a dropped
/// stream never holds anything back.
pub const SUBSCRIBER_QUEUE: usize = 256;

/// Errors a caller can show to the user as they are.
#[derive(Debug, thiserror::Error)]
pub enum SupervisorError {
    #[error("no run with id {0}")]
    UnknownRun(String),
    #[error("the command is empty")]
    EmptyCommand,
    #[error("run {0} is not running")]
    NotRunning(String),
    #[error("run {0} was started by another Sessionscope process; it takes no input here")]
    Detached(String),
    #[error("run {0} has no log (it was deleted, or never written)")]
    NoLog(String),
    #[error("{0:?} matches several runs: {1}")]
    Ambiguous(String, String),
    #[error("could not start the command: {0}")]
    Spawn(String),
    #[error(transparent)]
    Signal(#[from] procs::SignalError),
    #[error("I/O error: {0}")]
    Io(#[from] std::io::Error),
}

struct RunSlot {
    info: RunInfo,
    ring: RingBuffer,
    /// Attached streams, by id. Bounded: see [`SUBSCRIBER_QUEUE`].
    subscribers: Vec<(u64, SyncSender<Vec<u8>>)>,
    /// Set when the user asked to kill, so the exit is reported as Killed.
    kill_requested: bool,
    master: Option<Box<dyn MasterPty + Send>>,
    input: Option<Box<dyn Write + Send>>,
    /// This process holds the run's terminal and waits for its exit.
    owned: bool,
    /// For a run this process does not own: the Sessionscope process that does.
    owner: Option<ProcessIdentity>,
    /// Windows: the job object holding the run's process tree, kept open (and so
    /// findable by name) as long as this process knows the run.
    #[cfg(windows)]
    job: Option<crate::procs::job::Job>,
}

impl RunSlot {
    fn adopted(entry: HistoryEntry, ring_bytes: usize) -> Self {
        let mut info = entry.run;
        info.detached = info.status == RunStatus::Running;
        RunSlot {
            info,
            ring: RingBuffer::new(ring_bytes.min(64 * 1024)),
            subscribers: Vec::new(),
            kill_requested: false,
            master: None,
            input: None,
            owned: false,
            owner: entry.owner,
            #[cfg(windows)]
            job: None,
        }
    }

    /// PID and start time of the run's process, when known.
    fn identity(&self) -> Option<ProcessIdentity> {
        let pid = self.info.pid?;
        match self.info.pid_start_time {
            Some(start_time) => Some(ProcessIdentity { pid, start_time }),
            // Our own unreaped child cannot have handed its PID on.
            None if self.owned => procs::identity_of(pid),
            None => None,
        }
    }
}

type Listener = Arc<dyn Fn(&RunInfo) + Send + Sync>;

struct Inner {
    runs: Mutex<HashMap<String, RunSlot>>,
    order: Mutex<Vec<String>>,
    log_dir: PathBuf,
    ring_bytes: AtomicUsize,
    listener: Listener,
    history: RunHistory,
    /// This process, recorded as the owner of the runs it starts.
    me: Option<ProcessIdentity>,
    /// Size and mtime of the history file when last read.
    seen_stamp: Mutex<Option<(u64, SystemTime)>>,
    warnings: Mutex<Vec<String>>,
    next_subscriber: AtomicU64,
}

/// How often the history file and detached runs are looked at.
const MONITOR_PERIOD: Duration = Duration::from_millis(500);

/// The reason given to a run whose process vanished while the Sessionscope that owned
/// it was gone (it crashed, or quit without handing the run over).
pub const LOST_REASON: &str = "lost: Sessionscope exited while it ran (exit code unknown)";

/// The reason given to a run left running at quit that ended while no Sessionscope
/// watched it: nobody could wait for its exit status.
pub const UNWATCHED_REASON: &str =
    "ended after Sessionscope quit (left running); exit code unknown";

/// See the module documentation. Cheap to clone; clones share the same runs.
#[derive(Clone)]
pub struct Supervisor {
    inner: Arc<Inner>,
}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}

impl Supervisor {
    /// `log_dir` receives one `<run-id>.log` per run and the shared history
    /// (`runs.jsonl`); earlier runs found there are loaded at once. `listener` hears
    /// every status change, including those of runs other Sessionscope processes own.
    pub fn new(
        log_dir: impl Into<PathBuf>,
        listener: impl Fn(&RunInfo) + Send + Sync + 'static,
    ) -> Self {
        let log_dir = log_dir.into();
        let sup = Supervisor {
            inner: Arc::new(Inner {
                runs: Mutex::default(),
                order: Mutex::default(),
                history: RunHistory::new(&log_dir),
                log_dir,
                ring_bytes: AtomicUsize::new(DEFAULT_RING_BYTES),
                listener: Arc::new(listener),
                me: procs::identity_of(std::process::id()),
                seen_stamp: Mutex::default(),
                warnings: Mutex::default(),
                next_subscriber: AtomicU64::new(0),
            }),
        };
        if let Err(e) = sup.inner.history.compact() {
            sup.warn(format!("could not compact the run history: {e}"));
        }
        sup.sync_with_history(false);
        sup.check_detached();
        sup.spawn_monitor();
        sup
    }

    /// The supervisor over Sessionscope's data directory (`paths::run_log_dir()`).
    pub fn open_default(listener: impl Fn(&RunInfo) + Send + Sync + 'static) -> Self {
        Supervisor::new(crate::paths::run_log_dir(), listener)
    }

    pub fn with_ring_bytes(self, bytes: usize) -> Self {
        self.set_ring_bytes(bytes);
        self
    }

    /// The size of the output ring buffer of runs started from now on (runs already
    /// going keep theirs).
    pub fn set_ring_bytes(&self, bytes: usize) {
        self.inner.ring_bytes.store(bytes, Ordering::Relaxed);
    }

    fn ring_bytes(&self) -> usize {
        self.inner.ring_bytes.load(Ordering::Relaxed)
    }

    fn slots(&self) -> MutexGuard<'_, HashMap<String, RunSlot>> {
        lock(&self.inner.runs)
    }

    fn warn(&self, message: String) {
        lock(&self.inner.warnings).push(message);
    }

    /// Problems met reading or writing the history (never fatal), oldest first.
    pub fn warnings(&self) -> Vec<String> {
        lock(&self.inner.warnings).clone()
    }

    /// The history file shared with other Sessionscope processes.
    pub fn history_path(&self) -> PathBuf {
        self.inner.history.path().to_path_buf()
    }

    fn notify(&self, info: &RunInfo) {
        (self.inner.listener)(info);
    }

    /// Every run, oldest first.
    pub fn runs(&self) -> Vec<RunInfo> {
        let order = lock(&self.inner.order).clone();
        let slots = self.slots();
        let mut runs: Vec<RunInfo> = order
            .iter()
            .filter_map(|id| slots.get(id).map(|s| s.info.clone()))
            .collect();
        runs.sort_by_key(|r| r.started_at);
        runs
    }

    pub fn run(&self, id: &str) -> Option<RunInfo> {
        self.slots().get(id).map(|s| s.info.clone())
    }

    /// The run `query` names: its id, or a prefix of exactly one id.
    pub fn find_run(&self, query: &str) -> Result<RunInfo, SupervisorError> {
        let query = query.trim();
        let runs = self.runs();
        if let Some(exact) = runs.iter().find(|r| r.id == query) {
            return Ok(exact.clone());
        }
        let mut matches: Vec<RunInfo> = runs
            .into_iter()
            .filter(|r| !query.is_empty() && r.id.starts_with(query))
            .collect();
        match matches.len() {
            0 => Err(SupervisorError::UnknownRun(query.into())),
            1 => Ok(matches.remove(0)),
            _ => Err(SupervisorError::Ambiguous(
                query.into(),
                matches
                    .iter()
                    .map(|r| format!("{} ({})", r.id, r.name))
                    .collect::<Vec<_>>()
                    .join(", "),
            )),
        }
    }

    /// Block until the run has ended; `None` for an unknown id.
    pub fn wait(&self, id: &str) -> Option<RunInfo> {
        loop {
            let run = self.run(id)?;
            if run.status != RunStatus::Running {
                return Some(run);
            }
            thread::sleep(Duration::from_millis(20));
        }
    }
}

fn duration_ms(start: chrono::DateTime<Utc>, end: chrono::DateTime<Utc>) -> u64 {
    end.signed_duration_since(start).num_milliseconds().max(0) as u64
}
