//! A run host: a small process of Sessionscope's own executable that owns one run's
//! pseudo-terminal, so the run can outlive the Sessionscope that started it.
//!
//! Why: on Windows a run's terminal is a pseudoconsole (ConPTY), and Windows closes a
//! pseudoconsole — ending every program attached to it — when the process that made it
//! exits. On Unix Sessionscope hands the terminal to a relay at quit; a ConPTY cannot be
//! handed over (its handles are not Sessionscope's to pass on). So on Windows the
//! supervisor starts every run through a host from the first instant: the host makes
//! the pseudoconsole, starts the command in it, puts the command's tree in the run's
//! job object and holds that job for the run's life, and relays the terminal over its
//! standard streams ([`frames`]): output on stdout, keys and sizes on stdin, events
//! (the run's PID, its exit code) on stderr. At quit with "leave running",
//! [`HostLink::detach`] lets go and the host writes the output to the run's log
//! ([`serve`]) until the run ends. The host is started detached from Sessionscope's
//! console and process group, so neither a closed terminal nor a Ctrl-C there reaches
//! it, and on Windows with no handle of Sessionscope's but its pipes
//! (`windows_spawn`). It opens nothing but those pipes and the log: no socket, no
//! listener.
//!
//! The host is the running executable itself started with [`RUN_HOST_ENV`]: the CLI,
//! the app and the Windows test binary call [`serve_if_asked`] first thing in `main`,
//! which also marks the executable as one that can host ([`can_host`]). A process that
//! never called it (a library test binary) starts its runs in a pseudoconsole of its own,
//! as before.
//!
//! The Sessionscope side is what `portable-pty` hands out for an in-process terminal — a
//! [`MasterPty`] ([`HostedMaster`]) and a [`Child`] ([`HostedChild`]) — so the
//! supervisor treats both kinds of run alike.

pub mod frames;
pub mod serve;
#[cfg(windows)]
mod windows_spawn;

use std::io::{self, BufRead, BufReader, Read, Write};
use std::path::Path;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Condvar, Mutex};
use std::time::Duration;

use portable_pty::{Child, ChildKiller, ExitStatus, MasterPty, PtySize};

use frames::{Event, Frame, HostSpec};

/// Set on a process started to be a run host (value `1`).
pub const RUN_HOST_ENV: &str = "SESSIONSCOPE_RUN_HOST";

static CAN_HOST: AtomicBool = AtomicBool::new(false);

/// When this process was started as a run host, serve its one run and exit with the
/// run's exit code; otherwise note that this executable can host runs, and return.
pub fn serve_if_asked() {
    if std::env::var_os(RUN_HOST_ENV).is_none_or(|v| v != "1") {
        CAN_HOST.store(true, Ordering::Relaxed);
        return;
    }
    // Standard output as a file this process owns, so that letting go of it (at the
    // hand-over) closes the pipe and Sessionscope's reader sees the end; nothing else
    // in a host writes to it.
    #[cfg(windows)]
    // SAFETY: the handle is this process's standard output, taken over once, here.
    let output = unsafe {
        use std::os::windows::io::{AsRawHandle, FromRawHandle};
        std::fs::File::from_raw_handle(io::stdout().as_raw_handle())
    };
    #[cfg(unix)]
    // SAFETY: as above, descriptor 1.
    let output = unsafe {
        use std::os::fd::FromRawFd;
        std::fs::File::from_raw_fd(1)
    };
    let code = serve::serve(io::stdin(), output, &mut io::stderr());
    std::process::exit(code as i32);
}

/// Whether this executable serves as a run host (its `main` called [`serve_if_asked`]).
pub fn can_host() -> bool {
    CAN_HOST.load(Ordering::Relaxed)
}

/// Start a host (this executable) for `spec` and wait until the run has started.
pub fn start(spec: HostSpec) -> io::Result<Hosted> {
    let exe = std::env::current_exe()?;
    start_with(&exe, spec)
}

fn start_with(exe: &Path, spec: HostSpec) -> io::Result<Hosted> {
    #[cfg(windows)]
    {
        let s = windows_spawn::spawn(exe, &[(RUN_HOST_ENV.to_string(), "1".to_string())])?;
        connect(
            Box::new(s.commands),
            Box::new(s.output),
            Box::new(BufReader::new(s.events)),
            Some(Box::new(s.process)),
            spec,
        )
    }
    #[cfg(unix)]
    {
        use std::os::unix::process::CommandExt;
        use std::process::{Command, Stdio};
        // A process group of its own: a Ctrl-C typed where Sessionscope runs does not
        // reach it.
        let mut process = Command::new(exe)
            .env(RUN_HOST_ENV, "1")
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .process_group(0)
            .spawn()?;
        let (Some(stdin), Some(stdout), Some(stderr)) = (
            process.stdin.take(),
            process.stdout.take(),
            process.stderr.take(),
        ) else {
            let _ = process.kill();
            return Err(io::Error::other("the run host has no pipes"));
        };
        connect(
            Box::new(stdin),
            Box::new(stdout),
            Box::new(BufReader::new(stderr)),
            Some(Box::new(process)),
            spec,
        )
    }
}

/// The host process as Sessionscope holds it: to end it if the run cannot start, and
/// to reap it once the run has ended.
pub trait HostProcess: Send {
    fn id(&self) -> u32;
    fn kill(&mut self) -> io::Result<()>;
    fn wait(&mut self) -> io::Result<()>;
}

impl HostProcess for std::process::Child {
    fn id(&self) -> u32 {
        std::process::Child::id(self)
    }

    fn kill(&mut self) -> io::Result<()> {
        std::process::Child::kill(self)
    }

    fn wait(&mut self) -> io::Result<()> {
        std::process::Child::wait(self).map(|_| ())
    }
}

/// The parts of a hosted run, as the supervisor uses an in-process terminal's.
pub struct Hosted {
    pub pid: u32,
    /// The host put the run in its job object (Windows).
    pub job: bool,
    /// What the host warned about while starting the run.
    pub warnings: Vec<String>,
    pub master: Box<dyn MasterPty + Send>,
    pub child: Box<dyn Child + Send + Sync>,
    pub reader: Box<dyn Read + Send>,
    pub input: Box<dyn Write + Send>,
}

/// Send the spec over `commands` and read events until the run has started.
pub fn connect(
    commands: Box<dyn Write + Send>,
    output: Box<dyn Read + Send>,
    mut events: Box<dyn BufRead + Send>,
    process: Option<Box<dyn HostProcess>>,
    spec: HostSpec,
) -> io::Result<Hosted> {
    let size = PtySize {
        rows: spec.rows.max(1),
        cols: spec.cols.max(1),
        pixel_width: 0,
        pixel_height: 0,
    };
    let link = Arc::new(HostLink {
        commands: Mutex::new(Some(commands)),
        output_ended: (Mutex::new(false), Condvar::new()),
    });
    let host_pid = process.as_ref().map(|p| p.id());
    let fail = |e: io::Error, process: Option<Box<dyn HostProcess>>| {
        if let Some(mut p) = process {
            let _ = p.kill();
            let _ = p.wait();
        }
        Err(e)
    };
    if let Err(e) = link.send(&Frame::Spec(spec)) {
        return fail(e, process);
    }
    let mut warnings = Vec::new();
    let (pid, job) = loop {
        match read_event(&mut *events) {
            Ok(Some(Event::Started { pid, job })) => break (pid, job),
            Ok(Some(Event::Warning(w))) => warnings.push(w),
            Ok(Some(Event::Failed(e))) => return fail(io::Error::other(e), process),
            Ok(Some(Event::Exited(_)) | None) => {
                return fail(
                    io::Error::other("the run host ended before the run started"),
                    process,
                )
            }
            Err(e) => return fail(e, process),
        }
    };
    Ok(Hosted {
        pid,
        job,
        warnings,
        master: Box::new(HostedMaster {
            link: link.clone(),
            size: Mutex::new(size),
        }),
        child: Box::new(HostedChild {
            pid,
            host_pid,
            events: Mutex::new(events),
            process: Mutex::new(process),
            exit: None,
        }),
        reader: Box::new(EndSignal {
            inner: output,
            link: link.clone(),
        }),
        input: Box::new(InputWriter { link }),
    })
}

/// The next event line; `None` at the end of the stream. Lines that say nothing known
/// (a panic message of the host, say) are skipped.
fn read_event(events: &mut dyn BufRead) -> io::Result<Option<Event>> {
    let mut line = String::new();
    loop {
        line.clear();
        if events.read_line(&mut line)? == 0 {
            return Ok(None);
        }
        if let Some(e) = Event::parse(&line) {
            return Ok(Some(e));
        }
    }
}

/// Sessionscope's end of the commands pipe, shared by the keys, the sizes and the
/// hand-over.
pub struct HostLink {
    commands: Mutex<Option<Box<dyn Write + Send>>>,
    /// Set once Sessionscope's reader has seen the end of the output stream.
    output_ended: (Mutex<bool>, Condvar),
}

impl HostLink {
    fn send(&self, frame: &Frame) -> io::Result<()> {
        match lock(&self.commands).as_mut() {
            Some(w) => frame.send(&mut **w),
            None => Err(io::Error::new(
                io::ErrorKind::BrokenPipe,
                "the run was handed to its host",
            )),
        }
    }

    /// Let go of the run: the host stops sending output, Sessionscope's reader drains
    /// what is on its way (waiting up to `wait`), and then the commands pipe is closed,
    /// on which the host appends the output to the log itself.
    pub fn detach(&self, wait: Duration) -> io::Result<()> {
        let sent = self.send(&Frame::Detach);
        let (ended, cv) = &self.output_ended;
        let guard = lock(ended);
        let _ = cv.wait_timeout_while(guard, wait, |ended| !*ended);
        lock(&self.commands).take();
        sent
    }

    fn mark_output_ended(&self) {
        let (ended, cv) = &self.output_ended;
        *lock(ended) = true;
        cv.notify_all();
    }
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}

/// The run's output as Sessionscope reads it; notes when it has ended.
struct EndSignal {
    inner: Box<dyn Read + Send>,
    link: Arc<HostLink>,
}

impl Read for EndSignal {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let r = self.inner.read(buf);
        if !matches!(r, Ok(n) if n > 0) {
            self.link.mark_output_ended();
        }
        r
    }
}

/// Keys typed into the run, sent as `I` frames.
struct InputWriter {
    link: Arc<HostLink>,
}

impl Write for InputWriter {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.link.send(&Frame::Input(buf.to_vec()))?;
        Ok(buf.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

/// The run's terminal as Sessionscope sees it: resizing sends `R` frames.
pub struct HostedMaster {
    link: Arc<HostLink>,
    size: Mutex<PtySize>,
}

impl HostedMaster {
    /// See [`HostLink::detach`].
    pub fn detach(&self, wait: Duration) -> io::Result<()> {
        self.link.detach(wait)
    }

    /// The link to the host, usable without holding the terminal.
    pub fn link(&self) -> Arc<HostLink> {
        self.link.clone()
    }
}

impl MasterPty for HostedMaster {
    fn resize(&self, size: PtySize) -> anyhow::Result<()> {
        self.link.send(&Frame::Resize {
            rows: size.rows,
            cols: size.cols,
        })?;
        *lock(&self.size) = size;
        Ok(())
    }

    fn get_size(&self) -> anyhow::Result<PtySize> {
        Ok(*lock(&self.size))
    }

    fn try_clone_reader(&self) -> anyhow::Result<Box<dyn Read + Send>> {
        anyhow::bail!("a hosted run's output has one reader, handed out at its start")
    }

    fn take_writer(&self) -> anyhow::Result<Box<dyn Write + Send>> {
        Ok(Box::new(InputWriter {
            link: self.link.clone(),
        }))
    }

    #[cfg(unix)]
    fn process_group_leader(&self) -> Option<i32> {
        None
    }

    #[cfg(unix)]
    fn as_raw_fd(&self) -> Option<std::os::fd::RawFd> {
        None
    }

    #[cfg(unix)]
    fn tty_name(&self) -> Option<std::path::PathBuf> {
        None
    }
}

/// The run, as Sessionscope waits for it: its exit code comes from the host's events.
pub struct HostedChild {
    pid: u32,
    host_pid: Option<u32>,
    events: Mutex<Box<dyn BufRead + Send>>,
    process: Mutex<Option<Box<dyn HostProcess>>>,
    exit: Option<ExitStatus>,
}

impl std::fmt::Debug for HostedChild {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("HostedChild")
            .field("pid", &self.pid)
            .field("host_pid", &self.host_pid)
            .field("exit", &self.exit)
            .finish_non_exhaustive()
    }
}

impl Child for HostedChild {
    fn try_wait(&mut self) -> io::Result<Option<ExitStatus>> {
        Ok(self.exit.clone())
    }

    fn wait(&mut self) -> io::Result<ExitStatus> {
        if let Some(exit) = &self.exit {
            return Ok(exit.clone());
        }
        let code = loop {
            match read_event(&mut **lock(&self.events))? {
                Some(Event::Exited(code)) => break Some(code),
                Some(_) => continue,
                None => break None,
            }
        };
        if let Some(mut p) = lock(&self.process).take() {
            let _ = p.wait();
        }
        let code = code.ok_or_else(|| {
            io::Error::other("its run host ended without saying how the run ended")
        })?;
        let status = ExitStatus::with_exit_code(code);
        self.exit = Some(status.clone());
        Ok(status)
    }

    fn process_id(&self) -> Option<u32> {
        Some(self.pid)
    }

    #[cfg(windows)]
    fn as_raw_handle(&self) -> Option<std::os::windows::io::RawHandle> {
        None
    }
}

impl ChildKiller for HostedChild {
    /// Ends the host, which ends the run's terminal and with it the run.
    fn kill(&mut self) -> io::Result<()> {
        HostKiller {
            host_pid: self.host_pid,
        }
        .kill()
    }

    fn clone_killer(&self) -> Box<dyn ChildKiller + Send + Sync> {
        Box::new(HostKiller {
            host_pid: self.host_pid,
        })
    }
}

#[derive(Debug)]
struct HostKiller {
    host_pid: Option<u32>,
}

impl ChildKiller for HostKiller {
    fn kill(&mut self) -> io::Result<()> {
        let Some(pid) = self.host_pid else {
            return Ok(());
        };
        let mut sys = sysinfo::System::new();
        let spid = sysinfo::Pid::from_u32(pid);
        sys.refresh_processes(sysinfo::ProcessesToUpdate::Some(&[spid]), true);
        match sys.process(spid) {
            Some(p) if p.kill() => Ok(()),
            Some(_) => Err(io::Error::other("the run host could not be ended")),
            None => Ok(()),
        }
    }

    fn clone_killer(&self) -> Box<dyn ChildKiller + Send + Sync> {
        Box::new(HostKiller {
            host_pid: self.host_pid,
        })
    }
}

// Unix shell commands; on Windows the same code runs as two processes in
// `tests/windows_runs.rs`.
#[cfg(all(test, unix))]
mod tests;
