//! One connection to `sessionscope serve --stdio` on a host, through the system's
//! `ssh`.
//!
//! [`SshCommand`] builds `ssh -T -o BatchMode=yes -o ConnectTimeout=10 -- HOST
//! 'sessionscope serve --stdio'`: the user's own `ssh`, so `~/.ssh/config`, the agent,
//! `ProxyJump` and `ControlMaster` apply; `BatchMode` means a host that wants a
//! password fails and says so instead of prompting. [`Connection::open`] checks the
//! hello (protocol version) and [`Connection::next_message`] hands out the server's
//! lines one at a time, each read with a cap by a reader thread into a bounded queue,
//! so a flood slows the remote down rather than filling this side's memory. Whatever
//! goes wrong becomes a [`LinkError`] naming the host and, where there is one, what to
//! do. Nothing a host sends is ever run.

use std::io::{BufReader, Read};
use std::process::{Child, ChildStdin, Command, ExitStatus, Stdio};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::mpsc::{self, Receiver, RecvTimeoutError, SyncSender};
use std::sync::{Arc, Mutex};
use std::thread;
use std::time::{Duration, Instant};

use crate::model::SessionSnapshot;
use crate::remote::protocol::{
    self, Answer, Hello, LineError, Request, RequestLine, ServerMessage, MAX_LINE_BYTES,
    PROTOCOL_VERSION, SILENCE_LIMIT,
};

/// What runs on the host unless `$SESSIONSCOPE_REMOTE_COMMAND` says otherwise: the
/// places `remote install` and `cargo install` put the binary are searched too, since
/// a non-interactive ssh shell often lacks them in `PATH`.
pub const DEFAULT_REMOTE_COMMAND: &str =
    "PATH=\"$PATH:$HOME/.local/bin:$HOME/.cargo/bin\" exec sessionscope serve --stdio";

/// How long a host may take to say hello (ssh's own connect timeout is 10 s).
pub const HELLO_TIMEOUT: Duration = Duration::from_secs(20);

/// Lines queued between the reader thread and the consumer.
const QUEUE: usize = 256;

/// How this side runs `ssh`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SshCommand {
    /// The program and any options of the user's, e.g. `["ssh"]` or
    /// `["ssh", "-F", "/path/config"]`.
    pub program: Vec<String>,
    /// The command line the host's shell runs.
    pub remote_command: String,
}

impl Default for SshCommand {
    fn default() -> Self {
        SshCommand {
            program: vec!["ssh".into()],
            remote_command: DEFAULT_REMOTE_COMMAND.into(),
        }
    }
}

impl SshCommand {
    /// `$SESSIONSCOPE_SSH` (the program and options, split on spaces; default `ssh`)
    /// and `$SESSIONSCOPE_REMOTE_COMMAND`.
    pub fn from_env() -> SshCommand {
        let mut cmd = SshCommand::default();
        if let Ok(v) = std::env::var("SESSIONSCOPE_SSH") {
            let words: Vec<String> = v.split_whitespace().map(str::to_string).collect();
            if !words.is_empty() {
                cmd.program = words;
            }
        }
        if let Ok(v) = std::env::var("SESSIONSCOPE_REMOTE_COMMAND") {
            if !v.trim().is_empty() {
                cmd.remote_command = v;
            }
        }
        cmd
    }

    /// `ssh [user's options] -T -o BatchMode=yes -o ConnectTimeout=10 -- host remote`.
    pub fn command(&self, host: &str, remote: &str) -> Command {
        let mut c = Command::new(&self.program[0]);
        c.args(&self.program[1..])
            .args(["-T", "-o", "BatchMode=yes", "-o", "ConnectTimeout=10", "--"])
            .arg(host)
            .arg(remote);
        c
    }
}

/// Why a host could not be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum LinkError {
    #[error("cannot run ssh for {host}: {reason}")]
    NoSsh { host: String, reason: String },
    #[error(
        "{host} refused the login without a password prompt ({detail}): sessionscope \
             never asks for passwords; add a key (ssh-copy-id {host}) or load it into \
             your ssh agent"
    )]
    NeedsPassword { host: String, detail: String },
    #[error("ssh to {host} failed: {detail}")]
    SshFailed { host: String, detail: String },
    #[error(
        "sessionscope is not installed on {host}: run `sessionscope remote install \
             {host}`"
    )]
    NotInstalled { host: String },
    #[error(
        "{host} runs sessionscope {version} (protocol {protocol}), this is {ours} \
             (protocol {PROTOCOL_VERSION}): install the same version there with \
             `sessionscope remote install {host}`"
    )]
    VersionDiffers {
        host: String,
        version: String,
        protocol: u32,
        ours: String,
    },
    #[error("{host} sent something that is not the sessionscope protocol: {preview:?}")]
    Garbage { host: String, preview: String },
    #[error("{host} sent a line longer than {max} bytes; dropped the connection")]
    LineTooLong { host: String, max: usize },
    #[error("{host}: the connection was lost: {reason}")]
    Lost { host: String, reason: String },
    #[error("{host}: the remote sessionscope exited ({detail})")]
    Exited { host: String, detail: String },
    #[error("{host}: {message}")]
    Remote { host: String, message: String },
}

impl LinkError {
    /// Retrying will not help until the user does something on the host.
    pub fn needs_the_user(&self) -> bool {
        matches!(
            self,
            LinkError::NoSsh { .. }
                | LinkError::NeedsPassword { .. }
                | LinkError::NotInstalled { .. }
                | LinkError::VersionDiffers { .. }
        )
    }
}

/// What the reader thread hands over.
enum Incoming {
    Message(ServerMessage),
    Bad(LinkError),
    End,
}

/// The ssh child, shared so that another thread can end it.
#[derive(Clone)]
pub struct SshProcess(Arc<Mutex<Child>>);

impl SshProcess {
    pub fn pid(&self) -> u32 {
        lock(&self.0).id()
    }

    /// End ssh (and so the link); harmless when it has exited.
    pub fn kill(&self) {
        let mut child = lock(&self.0);
        let _ = child.kill();
        let _ = child.wait();
    }

    fn exit_status(&self, wait: Duration) -> Option<ExitStatus> {
        let deadline = Instant::now() + wait;
        loop {
            if let Ok(Some(s)) = lock(&self.0).try_wait() {
                return Some(s);
            }
            if Instant::now() >= deadline {
                return None;
            }
            thread::sleep(Duration::from_millis(20));
        }
    }
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}

/// The writing end of a connection (ssh's stdin), shared so that requests can be sent
/// from other threads while the link's thread reads (see `link::Requests`).
#[derive(Clone)]
pub struct RequestWriter {
    host: String,
    stdin: Arc<Mutex<Option<ChildStdin>>>,
}

impl RequestWriter {
    /// Send request `id`; its reply comes among the host's messages.
    pub fn send(&self, id: u64, request: Request) -> Result<(), LinkError> {
        let mut line =
            serde_json::to_vec(&RequestLine { id, request }).map_err(|e| LinkError::Remote {
                host: self.host.clone(),
                message: format!("could not encode the request: {e}"),
            })?;
        line.push(b'\n');
        let written = match &mut *lock(&self.stdin) {
            // An ssh that exited must be this host's error, not SIGPIPE ending the CLI.
            Some(stdin) => crate::procs::closed_pipe::write_to_child(stdin, &line),
            None => Err(std::io::ErrorKind::BrokenPipe.into()),
        };
        written.map_err(|e| LinkError::Lost {
            host: self.host.clone(),
            reason: format!("writing to ssh: {e}"),
        })
    }

    fn close(&self) {
        drop(lock(&self.stdin).take());
    }
}

/// A running `serve --stdio` on one host.
pub struct Connection {
    host: String,
    process: SshProcess,
    stdin: RequestWriter,
    rx: Receiver<Incoming>,
    stderr: Arc<Mutex<Vec<u8>>>,
    bytes: Arc<AtomicU64>,
    next_id: u64,
    /// What the server said first.
    pub hello: Hello,
}

impl Connection {
    /// Start ssh to `host` and read its hello. Fails with a clear error when the host
    /// cannot be reached, has no sessionscope, or speaks another protocol version.
    /// `bytes` counts every byte the host sends.
    pub fn open(
        host: &str,
        ssh: &SshCommand,
        bytes: Arc<AtomicU64>,
    ) -> Result<Connection, LinkError> {
        let mut child = ssh
            .command(host, &ssh.remote_command)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .map_err(|e| LinkError::NoSsh {
                host: host.to_string(),
                reason: format!("{}: {e}", ssh.program[0]),
            })?;
        let stdin = child.stdin.take();
        let stdout = child.stdout.take();
        let stderr_pipe = child.stderr.take();
        let (tx, rx) = mpsc::sync_channel(QUEUE);
        if let Some(out) = stdout {
            let (name, counter) = (host.to_string(), Arc::clone(&bytes));
            thread::Builder::new()
                .name(format!("remote-read {host}"))
                .spawn(move || read_lines(out, &name, &tx, &counter))
                .map_err(|e| LinkError::NoSsh {
                    host: host.to_string(),
                    reason: e.to_string(),
                })?;
        }
        let stderr = Arc::new(Mutex::new(Vec::new()));
        if let Some(mut err) = stderr_pipe {
            let keep = Arc::clone(&stderr);
            let _ = thread::Builder::new()
                .name("remote-stderr".into())
                .spawn(move || {
                    let mut buf = [0u8; 4096];
                    while let Ok(n @ 1..) = err.read(&mut buf) {
                        let mut k = lock(&keep);
                        k.extend_from_slice(&buf[..n]);
                        let over = k.len().saturating_sub(4096);
                        k.drain(..over);
                    }
                });
        }
        let mut conn = Connection {
            host: host.to_string(),
            process: SshProcess(Arc::new(Mutex::new(child))),
            stdin: RequestWriter {
                host: host.to_string(),
                stdin: Arc::new(Mutex::new(stdin)),
            },
            rx,
            stderr,
            bytes,
            next_id: 1,
            hello: Hello {
                protocol: 0,
                version: String::new(),
                os: String::new(),
                arch: String::new(),
            },
        };
        match conn.next(HELLO_TIMEOUT, true)? {
            ServerMessage::Hello(h) if h.protocol == PROTOCOL_VERSION => conn.hello = h,
            ServerMessage::Hello(h) => {
                return Err(LinkError::VersionDiffers {
                    host: conn.host.clone(),
                    version: h.version,
                    protocol: h.protocol,
                    ours: env!("CARGO_PKG_VERSION").into(),
                })
            }
            other => {
                return Err(LinkError::Garbage {
                    host: conn.host.clone(),
                    preview: format!(
                        "expected a hello first, got {}",
                        protocol::preview(&protocol::encode(&other))
                    ),
                })
            }
        }
        Ok(conn)
    }

    /// The host as the user named it.
    pub fn host(&self) -> &str {
        &self.host
    }

    /// Its writing end, for sending requests from other threads (the replies come
    /// through [`Connection::next_message`]; ids must not clash with
    /// [`Connection::request`]'s, which count from 1).
    pub fn writer(&self) -> RequestWriter {
        self.stdin.clone()
    }

    /// The ssh process, for ending the link from another thread.
    pub fn process(&self) -> SshProcess {
        self.process.clone()
    }

    /// Bytes received from the host so far.
    pub fn bytes_received(&self) -> u64 {
        self.bytes.load(Ordering::Relaxed)
    }

    /// The next line from the host; an error if nothing at all (not even a beat) came
    /// within `silence`, or the link broke.
    pub fn next_message(&mut self, silence: Duration) -> Result<ServerMessage, LinkError> {
        self.next(silence, false)
    }

    /// Wait for the snapshot (beats keep the wait alive while the host scans);
    /// changes before it are already in it.
    pub fn snapshot(&mut self) -> Result<SessionSnapshot, LinkError> {
        loop {
            if let ServerMessage::Snapshot { snapshot } = self.next_message(SILENCE_LIMIT)? {
                return Ok(snapshot);
            }
        }
    }

    /// Ask one thing and wait for its answer (beats keep the wait alive).
    pub fn request(&mut self, request: Request) -> Result<Answer, LinkError> {
        let id = self.next_id;
        self.next_id += 1;
        self.stdin.send(id, request)?;
        loop {
            if let ServerMessage::Reply {
                id: got,
                answer,
                error,
            } = self.next_message(SILENCE_LIMIT)?
            {
                if got != id {
                    continue;
                }
                return match (answer, error) {
                    (Some(a), _) => Ok(a),
                    (None, e) => Err(LinkError::Remote {
                        host: self.host.clone(),
                        message: e.unwrap_or_else(|| "an empty reply".into()),
                    }),
                };
            }
        }
    }

    fn next(&mut self, wait: Duration, before_hello: bool) -> Result<ServerMessage, LinkError> {
        match self.rx.recv_timeout(wait) {
            Ok(Incoming::Message(m)) => Ok(m),
            Ok(Incoming::Bad(e)) => {
                self.process.kill();
                Err(e)
            }
            Ok(Incoming::End) | Err(RecvTimeoutError::Disconnected) => {
                Err(self.ended(before_hello))
            }
            Err(RecvTimeoutError::Timeout) => {
                self.process.kill();
                Err(LinkError::Lost {
                    host: self.host.clone(),
                    reason: format!("nothing received for {:.1} s", wait.as_secs_f64()),
                })
            }
        }
    }

    /// The host's output ended: say why, from ssh's exit status and its stderr.
    fn ended(&mut self, before_hello: bool) -> LinkError {
        let status = self.process.exit_status(Duration::from_millis(1500));
        if status.is_none() {
            self.process.kill();
        }
        // Let the stderr thread take the last bytes.
        thread::sleep(Duration::from_millis(50));
        let stderr = String::from_utf8_lossy(&lock(&self.stderr)).to_string();
        classify(
            &self.host,
            status.and_then(|s| s.code()),
            &stderr,
            before_hello,
        )
    }
}

impl Drop for Connection {
    fn drop(&mut self) {
        self.stdin.close();
        self.process.kill();
    }
}

/// Why the output of ssh ended, in words.
fn classify(host: &str, code: Option<i32>, stderr: &str, before_hello: bool) -> LinkError {
    let host = host.to_string();
    let last = stderr
        .lines()
        .map(str::trim)
        .rfind(|l| !l.is_empty())
        .unwrap_or("")
        .chars()
        .filter(|c| !c.is_control())
        .take(300)
        .collect::<String>();
    let said = |what: &str| stderr.contains(what);
    if code == Some(127)
        || (before_hello && (said("sessionscope: not found") || said("command not found")))
    {
        return LinkError::NotInstalled { host };
    }
    if code == Some(255) {
        if said("Permission denied") || said("password") {
            return LinkError::NeedsPassword { host, detail: last };
        }
        let detail = if last.is_empty() {
            "ssh exited with 255".to_string()
        } else {
            last
        };
        return LinkError::SshFailed { host, detail };
    }
    let detail = match (code, last.is_empty()) {
        (Some(c), true) => format!("exit status {c}"),
        (Some(c), false) => format!("exit status {c}: {last}"),
        (None, true) => "killed by a signal".to_string(),
        (None, false) => format!("killed by a signal: {last}"),
    };
    if before_hello {
        LinkError::Exited { host, detail }
    } else {
        LinkError::Lost {
            host,
            reason: detail,
        }
    }
}

/// The reader thread: capped lines, parsed, into the bounded queue.
fn read_lines(out: impl Read, host: &str, tx: &SyncSender<Incoming>, bytes: &AtomicU64) {
    let mut reader = BufReader::with_capacity(64 * 1024, out);
    let mut buf = Vec::new();
    loop {
        let item = match protocol::read_line_capped(&mut reader, &mut buf, MAX_LINE_BYTES) {
            Ok(false) => Incoming::End,
            Ok(true) => {
                bytes.fetch_add(buf.len() as u64 + 1, Ordering::Relaxed);
                if buf.iter().all(u8::is_ascii_whitespace) {
                    continue;
                }
                match serde_json::from_slice::<ServerMessage>(&buf) {
                    Ok(m) => Incoming::Message(m),
                    Err(_) => Incoming::Bad(LinkError::Garbage {
                        host: host.to_string(),
                        preview: protocol::preview(&buf),
                    }),
                }
            }
            Err(LineError::TooLong { max }) => Incoming::Bad(LinkError::LineTooLong {
                host: host.to_string(),
                max,
            }),
            Err(LineError::Io(_)) => Incoming::End,
        };
        let last = !matches!(item, Incoming::Message(_));
        if tx.send(item).is_err() || last {
            return;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_ssh_command_never_prompts_and_ends_options_before_the_host() {
        let cmd = SshCommand {
            program: vec!["ssh".into(), "-F".into(), "/c".into()],
            remote_command: "x".into(),
        };
        let c = cmd.command("box", "sessionscope serve --stdio");
        let args: Vec<String> = c
            .get_args()
            .map(|a| a.to_string_lossy().to_string())
            .collect();
        assert_eq!(
            args,
            [
                "-F",
                "/c",
                "-T",
                "-o",
                "BatchMode=yes",
                "-o",
                "ConnectTimeout=10",
                "--",
                "box",
                "sessionscope serve --stdio"
            ]
        );
    }

    #[test]
    fn exits_are_told_apart() {
        let e = classify(
            "h",
            Some(127),
            "sh: 1: exec: sessionscope: not found\n",
            true,
        );
        assert_eq!(e, LinkError::NotInstalled { host: "h".into() });
        assert!(e.to_string().contains("sessionscope remote install h"));
        let e = classify(
            "h",
            Some(255),
            "u@h: Permission denied (publickey).\n",
            true,
        );
        assert!(matches!(e, LinkError::NeedsPassword { .. }), "{e}");
        let e = classify(
            "h",
            Some(255),
            "ssh: connect to host h port 22: refused\n",
            true,
        );
        assert!(e.to_string().contains("port 22: refused"), "{e}");
        let e = classify("h", None, "", false);
        assert!(matches!(e, LinkError::Lost { .. }), "{e}");
    }

    /// A fake host: `sh -c` stands in for ssh, printing what a broken remote would
    /// (Unix: the tests that use it are Unix's).
    #[cfg(unix)]
    fn fake(script: &str) -> Result<Connection, LinkError> {
        let ssh = SshCommand {
            program: vec!["sh".into(), "-c".into(), script.into(), "fake-ssh".into()],
            remote_command: String::new(),
        };
        Connection::open("fake", &ssh, Arc::default())
    }

    #[cfg(unix)]
    #[test]
    fn garbage_a_wrong_version_and_a_missing_binary_are_clear_errors() {
        let e = fake("echo 'rm -rf / # not json'").err().unwrap();
        assert!(matches!(e, LinkError::Garbage { .. }), "{e}");
        assert!(
            e.to_string().contains("not the sessionscope protocol"),
            "{e}"
        );
        let e = fake(
            r#"echo '{"type":"hello","protocol":99,"version":"9.9","os":"linux","arch":"x"}'"#,
        )
        .err()
        .unwrap();
        assert!(
            matches!(e, LinkError::VersionDiffers { protocol: 99, .. }),
            "{e}"
        );
        let e = fake("echo 'sh: 1: exec: sessionscope: not found' >&2; exit 127")
            .err()
            .unwrap();
        assert_eq!(
            e,
            LinkError::NotInstalled {
                host: "fake".into()
            }
        );
    }

    #[cfg(unix)]
    #[test]
    fn a_huge_line_is_refused_without_reading_it_all() {
        let e = fake("head -c 70000000 /dev/zero | tr '\\0' x")
            .err()
            .unwrap();
        assert!(matches!(e, LinkError::LineTooLong { .. }), "{e}");
    }

    #[cfg(unix)]
    #[test]
    fn a_silent_host_is_lost_after_the_silence_limit() {
        let hello = serde_json::to_string(&ServerMessage::Hello(Hello::this_build())).unwrap();
        let mut c = fake(&format!("echo '{hello}'; exec sleep 30")).unwrap();
        let t = Instant::now();
        let e = c.next_message(Duration::from_millis(300)).unwrap_err();
        assert!(matches!(e, LinkError::Lost { .. }), "{e}");
        assert!(t.elapsed() < Duration::from_secs(3));
    }
}
