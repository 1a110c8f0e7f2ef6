//! The run host's own side: it starts the run in a pseudo-terminal it owns, relays the
//! terminal's output to Sessionscope and Sessionscope's keys and sizes to the terminal,
//! and once Sessionscope lets go (a `D` frame, or its end of the pipes closing because
//! it quit or crashed) writes the output to the run's log itself, until the run ends.
//!
//! Handing over loses nothing and reorders nothing: after `D` the host keeps the output
//! in memory (up to [`HOLD_LIMIT`]) while Sessionscope reads what was already in the
//! pipe into the log, and starts appending only when Sessionscope closes its end.

use std::fs::{File, OpenOptions};
use std::io::{Read, Write};
use std::sync::mpsc;
use std::sync::{Arc, Mutex};
use std::thread;
use std::time::{Duration, Instant};

use std::path::PathBuf;

use portable_pty::{MasterPty, PtySize};

use super::frames::{Event, Frame, HostSpec};
use super::RUN_HOST_ENV;
use crate::runs::launch::{self, default_cwd, Launch, Terminal};

/// Output kept in memory between `D` and Sessionscope closing its end; past it the log
/// is written at once.
pub const HOLD_LIMIT: usize = 8 * 1024 * 1024;

/// The exit code of a host that could not start its run (no spec, or the spawn
/// failed); the reason went out as a `failed` event.
pub const SPAWN_FAILED: u32 = 127;

/// Where the run's output goes now.
enum Sink {
    /// To Sessionscope.
    Attached(Box<dyn Write + Send>),
    /// Sessionscope is letting go: kept until it has closed its end.
    Holding(Vec<u8>),
    /// Sessionscope is gone: appended to the log (opened on first use).
    Log(Option<File>),
}

struct Relay {
    sink: Sink,
    log_path: String,
}

impl Relay {
    fn put(&mut self, chunk: &[u8]) {
        match &mut self.sink {
            Sink::Attached(out) => {
                if out.write_all(chunk).and_then(|_| out.flush()).is_err() {
                    // Sessionscope went away without a word (it crashed).
                    self.write_to_log();
                    self.put(chunk);
                }
            }
            Sink::Holding(held) if held.len() + chunk.len() <= HOLD_LIMIT => {
                held.extend_from_slice(chunk)
            }
            Sink::Holding(_) => {
                self.write_to_log();
                self.put(chunk);
            }
            Sink::Log(file) => {
                if file.is_none() {
                    *file = open_log(&self.log_path);
                }
                // Nobody is left to tell about a failed write.
                if let Some(f) = file.as_mut() {
                    let _ = f.write_all(chunk);
                }
            }
        }
    }

    /// `D`: stop writing to Sessionscope (its reader sees the end) and hold the output.
    fn hold(&mut self) {
        if matches!(self.sink, Sink::Attached(_)) {
            self.sink = Sink::Holding(Vec::new());
        }
    }

    /// Sessionscope's end is closed: from now on the log, what was held first.
    fn write_to_log(&mut self) {
        let held = match std::mem::replace(&mut self.sink, Sink::Log(None)) {
            Sink::Holding(held) => held,
            Sink::Log(file) => {
                self.sink = Sink::Log(file);
                return;
            }
            Sink::Attached(_) => Vec::new(),
        };
        if !held.is_empty() {
            self.put(&held);
        }
    }
}

fn open_log(path: &str) -> Option<File> {
    OpenOptions::new().create(true).append(true).open(path).ok()
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}

/// Serve one run: read its spec from `commands`, start it, relay until it ends, and
/// return its exit code (the host exits with it). `events` carries the [`Event`]s.
pub fn serve(
    mut commands: impl Read + Send + 'static,
    output: impl Write + Send + 'static,
    events: &mut dyn Write,
) -> u32 {
    let mut say = |e: Event| {
        let _ = events.write_all(e.line().as_bytes());
        let _ = events.flush();
    };
    let spec = match Frame::read(&mut commands) {
        Ok(Some(Frame::Spec(spec))) => spec,
        other => {
            say(Event::Failed(format!("no run to start ({other:?})")));
            return SPAWN_FAILED;
        }
    };
    let Terminal {
        master,
        mut child,
        reader,
        input: writer,
    } = match start(&spec) {
        Ok(terminal) => terminal,
        Err(e) => {
            say(Event::Failed(e));
            return SPAWN_FAILED;
        }
    };
    let pid = child.process_id().unwrap_or(0);
    // Windows: the run's tree in a job object this host holds for the run's life, so
    // a kill finds it by name even after Sessionscope has quit.
    #[cfg(windows)]
    let (_job, job) = match crate::procs::job::Job::contain(pid) {
        Ok(j) => (Some(j), true),
        Err(e) => {
            say(Event::Warning(format!(
                "no job object ({e}); a kill ends its process tree by parent links"
            )));
            (None, false)
        }
    };
    #[cfg(not(windows))]
    let job = false;
    say(Event::Started { pid, job });

    let relay = Arc::new(Mutex::new(Relay {
        sink: Sink::Attached(Box::new(output)),
        log_path: spec.log.clone(),
    }));
    let last_output = Arc::new(Mutex::new(Instant::now()));
    let (done_tx, done_rx) = mpsc::channel::<()>();
    {
        let relay = relay.clone();
        let last_output = last_output.clone();
        let mut reader = reader;
        thread::spawn(move || {
            let mut buf = vec![0u8; 64 * 1024];
            loop {
                match reader.read(&mut buf) {
                    Ok(0) | Err(_) => break,
                    Ok(n) => {
                        lock(&relay).put(&buf[..n]);
                        *lock(&last_output) = Instant::now();
                    }
                }
            }
            let _ = done_tx.send(());
        });
    }
    let master: Arc<Mutex<Option<Box<dyn MasterPty + Send>>>> = Arc::new(Mutex::new(Some(master)));
    let writer: Arc<Mutex<Option<Box<dyn Write + Send>>>> = Arc::new(Mutex::new(writer));
    {
        let relay = relay.clone();
        let master = master.clone();
        let writer = writer.clone();
        thread::spawn(move || loop {
            match Frame::read(&mut commands) {
                Ok(Some(Frame::Input(keys))) => {
                    if let Some(w) = lock(&writer).as_mut() {
                        let _ = w.write_all(&keys).and_then(|_| w.flush());
                    }
                }
                Ok(Some(Frame::Resize { rows, cols })) => {
                    if let Some(m) = lock(&master).as_ref() {
                        let _ = m.resize(size(rows, cols));
                    }
                }
                Ok(Some(Frame::Detach)) => lock(&relay).hold(),
                Ok(Some(Frame::Spec(_))) => {}
                // Sessionscope closed its end (it let go, quit or crashed).
                Ok(None) | Err(_) => {
                    lock(&relay).write_to_log();
                    break;
                }
            }
        });
    }

    let code = match child.wait() {
        Ok(status) => status.exit_code(),
        Err(e) => {
            say(Event::Warning(format!("lost track of the run: {e}")));
            1
        }
    };
    // What the run printed last: on Unix the terminal ends by itself; a ConPTY only
    // once it is closed, so it is closed after a short quiet spell.
    let deadline = Instant::now() + Duration::from_secs(2);
    while done_rx.recv_timeout(Duration::from_millis(50)).is_err() {
        let quiet = lock(&last_output).elapsed() > Duration::from_millis(200);
        if quiet || Instant::now() > deadline {
            break;
        }
    }
    lock(&writer).take();
    lock(&master).take();
    let _ = done_rx.recv_timeout(Duration::from_secs(2));
    // All output is out: Sessionscope's reader sees the end now (the commands thread
    // may still hold the relay until the process exits).
    match &mut lock(&relay).sink {
        Sink::Log(Some(f)) => {
            let _ = f.flush();
        }
        sink => *sink = Sink::Log(None),
    }
    say(Event::Exited(code));
    code
}

fn size(rows: u16, cols: u16) -> PtySize {
    PtySize {
        rows: rows.max(1),
        cols: cols.max(1),
        pixel_width: 0,
        pixel_height: 0,
    }
}

fn start(spec: &HostSpec) -> Result<Terminal, String> {
    if spec.command.trim().is_empty() {
        return Err("the command is empty".into());
    }
    let launch = Launch {
        command: spec.command.clone(),
        cwd: spec.cwd.as_ref().map_or_else(default_cwd, PathBuf::from),
        env: spec.env.clone(),
        // The run is not a host itself, whatever it starts.
        remove: vec![RUN_HOST_ENV.to_string()],
    };
    launch::open(&launch, size(spec.rows, spec.cols)).map_err(|e| e.to_string())
}
