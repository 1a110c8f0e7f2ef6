//! One host kept live: connect, take the snapshot, apply changes, notice a lost link
//! within [`SILENCE_LIMIT`], and reconnect with back-off.
//!
//! [`HostLink::start`] runs one thread per host that reports [`LinkEvent`]s: the
//! host's [`HostState`] each time it changes, its snapshot (on every (re)connect, which
//! replaces all of that host's rows, so a reconnect neither duplicates nor loses any),
//! and then its changes. A host that needs the user (no sessionscope there, another
//! version, a password) is retried slowly; a lost one quickly at first (1 s, doubling,
//! at most [`MAX_BACKOFF`]). While it is live, [`HostLink::requests`] asks the host
//! things over the same connection (see [`crate::remote::requests`]).

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::thread::{self, JoinHandle};
use std::time::Duration;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use ts_rs::TS;

use crate::model::{SessionChange, SessionCounts, SessionSnapshot};
use crate::remote::client::{Connection, LinkError, SshCommand, SshProcess};
use crate::remote::protocol::{ServerMessage, SILENCE_LIMIT};
use crate::remote::requests::Requests;

/// The longest wait between two attempts at a lost host.
pub const MAX_BACKOFF: Duration = Duration::from_secs(30);

/// The wait before trying again a host that needs the user to act.
pub const USER_BACKOFF: Duration = Duration::from_secs(60);

/// Where a host stands, as the Host column and `remote watch` show it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(tag = "state", rename_all = "kebab-case")]
pub enum HostState {
    Connecting,
    Live {
        since: DateTime<Utc>,
        version: String,
    },
    /// The link broke; its rows are the last known ones.
    Lost {
        since: DateTime<Utc>,
        reason: String,
    },
    /// Waiting before the next attempt.
    Retrying {
        /// When the host was last live, if it ever was.
        lost_since: Option<DateTime<Utc>>,
        attempt: u32,
        next_at: DateTime<Utc>,
        reason: String,
    },
    /// Retrying will not help until the user acts: the message says what to do.
    NeedsAction {
        message: String,
    },
}

impl HostState {
    /// One line for people.
    pub fn describe(&self) -> String {
        match self {
            HostState::Connecting => "connecting".into(),
            HostState::Live { since, version } => format!(
                "live since {} (sessionscope {version})",
                since.format("%H:%M:%S")
            ),
            HostState::Lost { since, reason } => {
                format!("lost since {}: {reason}", since.format("%H:%M:%S"))
            }
            HostState::Retrying {
                attempt,
                next_at,
                reason,
                ..
            } => format!(
                "retrying at {} (attempt {attempt}): {reason}",
                next_at.format("%H:%M:%S")
            ),
            HostState::NeedsAction { message } => message.clone(),
        }
    }
}

/// What a link reports.
#[derive(Debug, Clone, PartialEq)]
pub enum LinkEvent {
    State(HostState),
    /// The host's whole table: replace every row of this host.
    Snapshot(SessionSnapshot),
    Changed {
        change: SessionChange,
        counts: SessionCounts,
    },
    Notices(Vec<String>),
}

/// A host being followed. Dropping it ends ssh and the thread.
pub struct HostLink {
    requests: Requests,
    stop: Arc<AtomicBool>,
    process: Arc<Mutex<Option<SshProcess>>>,
    bytes: Arc<AtomicU64>,
    thread: Option<JoinHandle<()>>,
}

impl HostLink {
    /// Follow `host`, calling `on_event` from the link's own thread.
    pub fn start(
        host: &str,
        ssh: SshCommand,
        on_event: impl Fn(LinkEvent) + Send + 'static,
    ) -> HostLink {
        Self::start_counting(host, ssh, Arc::default(), on_event)
    }

    /// [`HostLink::start`], adding every byte the host sends to `bytes` (which the
    /// caller can read from `on_event`, e.g. to tell the snapshot from what follows).
    pub fn start_counting(
        host: &str,
        ssh: SshCommand,
        bytes: Arc<AtomicU64>,
        on_event: impl Fn(LinkEvent) + Send + 'static,
    ) -> HostLink {
        let stop = Arc::new(AtomicBool::new(false));
        let process = Arc::new(Mutex::new(None));
        let requests = Requests::new(host);
        let follow = Follow {
            requests: requests.clone(),
            host: host.to_string(),
            ssh,
            stop: Arc::clone(&stop),
            process: Arc::clone(&process),
            bytes: Arc::clone(&bytes),
            emit: Box::new(on_event),
        };
        let thread = thread::Builder::new()
            .name(format!("remote {host}"))
            .spawn(move || follow.run())
            .ok();
        HostLink {
            requests,
            stop,
            process,
            bytes,
            thread,
        }
    }

    /// Bytes received from the host, over every connection so far.
    pub fn bytes_received(&self) -> u64 {
        self.bytes.load(Ordering::Relaxed)
    }

    /// Questions for the host over this link (answered while it is live).
    pub fn requests(&self) -> Requests {
        self.requests.clone()
    }

    /// The pid of the current ssh process, if connected.
    pub fn ssh_pid(&self) -> Option<u32> {
        lock(&self.process).as_ref().map(SshProcess::pid)
    }
}

impl Drop for HostLink {
    /// Ends ssh at once. The thread is not waited for: it may be inside a connect
    /// that has not said hello yet (up to its timeout); it stops as soon as that
    /// returns, and ends the ssh it started.
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
        if let Some(p) = lock(&self.process).take() {
            p.kill();
        }
        drop(self.thread.take());
    }
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}

type EmitFn = Box<dyn Fn(LinkEvent) + Send>;

/// The link thread's state.
struct Follow {
    requests: Requests,
    host: String,
    ssh: SshCommand,
    stop: Arc<AtomicBool>,
    process: Arc<Mutex<Option<SshProcess>>>,
    bytes: Arc<AtomicU64>,
    emit: EmitFn,
}

impl Follow {
    fn run(self) {
        let mut attempt: u32 = 0;
        let mut lost_since: Option<DateTime<Utc>> = None;
        while !self.stopped() {
            (self.emit)(LinkEvent::State(HostState::Connecting));
            let outcome = self.session();
            if self.stopped() {
                // Ended by dropping the link, not lost.
                return;
            }
            let error = match outcome {
                Ok((error, since)) => {
                    // It was live: the next failure starts the back-off afresh.
                    attempt = 0;
                    lost_since = Some(since);
                    (self.emit)(LinkEvent::State(HostState::Lost {
                        since,
                        reason: error.to_string(),
                    }));
                    error
                }
                Err(e) => e,
            };
            let wait = if error.needs_the_user() {
                (self.emit)(LinkEvent::State(HostState::NeedsAction {
                    message: error.to_string(),
                }));
                USER_BACKOFF
            } else {
                let wait = Duration::from_secs(1u64 << attempt.min(5)).min(MAX_BACKOFF);
                attempt = attempt.saturating_add(1);
                (self.emit)(LinkEvent::State(HostState::Retrying {
                    lost_since,
                    attempt,
                    next_at: Utc::now() + chrono::Duration::from_std(wait).unwrap_or_default(),
                    reason: error.to_string(),
                }));
                wait
            };
            self.sleep(wait);
        }
    }

    /// One connection: `Err` if it never got live, else why and when it was lost.
    fn session(&self) -> Result<(LinkError, DateTime<Utc>), LinkError> {
        let mut conn = Connection::open(&self.host, &self.ssh, Arc::clone(&self.bytes))?;
        *lock(&self.process) = Some(conn.process());
        if self.stopped() {
            conn.process().kill();
        }
        let snapshot = conn.snapshot()?;
        // Questions can be asked as soon as the host is shown live: attach first.
        self.requests.attach(conn.writer());
        (self.emit)(LinkEvent::Snapshot(snapshot));
        (self.emit)(LinkEvent::State(HostState::Live {
            since: Utc::now(),
            version: conn.hello.version.clone(),
        }));
        loop {
            if self.stopped() {
                let why = LinkError::Lost {
                    host: self.host.clone(),
                    reason: "stopped".into(),
                };
                self.requests.detach(&why);
                return Ok((why, Utc::now()));
            }
            match conn.next_message(SILENCE_LIMIT) {
                Ok(ServerMessage::Changed { change, counts }) => {
                    (self.emit)(LinkEvent::Changed { change, counts })
                }
                Ok(ServerMessage::Notices { notices }) => (self.emit)(LinkEvent::Notices(notices)),
                Ok(ServerMessage::Snapshot { snapshot }) => {
                    (self.emit)(LinkEvent::Snapshot(snapshot))
                }
                Ok(ServerMessage::Reply { id, answer, error }) => {
                    self.requests.answered(id, answer, error)
                }
                Ok(ServerMessage::RunOutput { run, offset, bytes }) => {
                    self.requests.run_output(&run, offset, &bytes)
                }
                Ok(ServerMessage::RunEnded { run, code }) => self.requests.run_ended(run, code),
                Ok(_) => {}
                Err(e) => {
                    self.requests.detach(&e);
                    lock(&self.process).take();
                    return Ok((e, Utc::now()));
                }
            }
        }
    }

    fn stopped(&self) -> bool {
        self.stop.load(Ordering::SeqCst)
    }

    fn sleep(&self, total: Duration) {
        let step = Duration::from_millis(100);
        let mut left = total;
        while !self.stopped() && !left.is_zero() {
            let d = left.min(step);
            thread::sleep(d);
            left -= d;
        }
    }
}

// `sh -c` stands in for ssh in every test here: they are Unix's.
#[cfg(all(test, unix))]
mod tests {
    use super::*;
    use crate::remote::protocol::{encode, Hello};
    use std::sync::mpsc;
    use std::time::Instant;

    /// A fake ssh that prints a hello and a snapshot, then beats until killed.
    fn fake_live() -> SshCommand {
        let hello = String::from_utf8(encode(&ServerMessage::Hello(Hello::this_build()))).unwrap();
        let snap = String::from_utf8(encode(&ServerMessage::Snapshot {
            snapshot: SessionSnapshot::default(),
        }))
        .unwrap();
        let beat = String::from_utf8(encode(&ServerMessage::Beat)).unwrap();
        let script =
            format!("echo '{hello}'; echo '{snap}'; while :; do echo '{beat}'; sleep 0.5; done");
        SshCommand {
            program: vec!["sh".into(), "-c".into(), script, "fake-ssh".into()],
            remote_command: String::new(),
        }
    }

    #[test]
    fn a_killed_ssh_is_lost_at_once_and_the_link_comes_back() {
        let (tx, rx) = mpsc::channel();
        let link = HostLink::start("fake", fake_live(), move |e| {
            let _ = tx.send(e);
        });
        let wait_for = |what: &dyn Fn(&LinkEvent) -> bool| {
            let deadline = Instant::now() + Duration::from_secs(5);
            while Instant::now() < deadline {
                if let Ok(e) = rx.recv_timeout(Duration::from_millis(100)) {
                    if what(&e) {
                        return true;
                    }
                }
            }
            false
        };
        let live = |e: &LinkEvent| matches!(e, LinkEvent::State(HostState::Live { .. }));
        assert!(wait_for(&live), "live");
        let pid = link.ssh_pid().expect("an ssh pid");
        let t = Instant::now();
        let _ = std::process::Command::new("kill")
            .args(["-9", &pid.to_string()])
            .status();
        assert!(
            wait_for(&|e| matches!(e, LinkEvent::State(HostState::Lost { .. }))),
            "lost"
        );
        assert!(t.elapsed() < Duration::from_secs(5));
        assert!(wait_for(&live), "live again after the back-off");
        assert!(link.bytes_received() > 0);
    }

    /// Collect events until `what` matches or `limit` passes.
    fn wait(
        rx: &mpsc::Receiver<LinkEvent>,
        limit: Duration,
        what: impl Fn(&LinkEvent) -> bool,
    ) -> bool {
        let deadline = Instant::now() + limit;
        while Instant::now() < deadline {
            if let Ok(e) = rx.recv_timeout(Duration::from_millis(50)) {
                if what(&e) {
                    return true;
                }
            }
        }
        false
    }

    /// A stopped remote (SIGSTOP) sends nothing, not even an end of file: it is lost
    /// within the silence limit.
    #[test]
    fn a_stopped_remote_is_lost_within_5s() {
        let (tx, rx) = mpsc::channel();
        let link = HostLink::start("fake", fake_live(), move |e| {
            let _ = tx.send(e);
        });
        assert!(wait(&rx, Duration::from_secs(5), |e| matches!(
            e,
            LinkEvent::State(HostState::Live { .. })
        )));
        let pid = link.ssh_pid().expect("a pid").to_string();
        let _ = std::process::Command::new("kill")
            .args(["-STOP", &pid])
            .status();
        let t = Instant::now();
        assert!(wait(&rx, Duration::from_secs(5), |e| matches!(
            e,
            LinkEvent::State(HostState::Lost { .. })
        )));
        assert!(t.elapsed() < Duration::from_secs(5), "{:?}", t.elapsed());
        let _ = std::process::Command::new("kill")
            .args(["-CONT", &pid])
            .status();
    }

    /// A remote that floods changes as fast as it can neither freezes the link nor
    /// stops it from being dropped at once.
    #[test]
    fn a_flood_of_changes_is_followed_and_dropping_the_link_is_prompt() {
        let hello = String::from_utf8(encode(&ServerMessage::Hello(Hello::this_build()))).unwrap();
        let snap = String::from_utf8(encode(&ServerMessage::Snapshot {
            snapshot: SessionSnapshot::default(),
        }))
        .unwrap();
        let change = String::from_utf8(encode(&ServerMessage::Changed {
            change: SessionChange {
                upserted: Vec::new(),
                removed: vec!["k".repeat(1000)],
            },
            counts: SessionCounts::default(),
        }))
        .unwrap();
        let script = format!("echo '{hello}'; echo '{snap}'; yes '{change}'");
        let ssh = SshCommand {
            program: vec!["sh".into(), "-c".into(), script, "fake-ssh".into()],
            remote_command: String::new(),
        };
        let (tx, rx) = mpsc::channel();
        let link = HostLink::start("flood", ssh, move |e| {
            let _ = tx.send(e);
        });
        let mut changes = 0;
        let deadline = Instant::now() + Duration::from_secs(5);
        while changes < 1000 && Instant::now() < deadline {
            if let Ok(LinkEvent::Changed { .. }) = rx.recv_timeout(Duration::from_millis(50)) {
                changes += 1;
            }
        }
        assert!(changes >= 1000, "only {changes} changes followed");
        let t = Instant::now();
        drop(link);
        assert!(
            t.elapsed() < Duration::from_secs(2),
            "drop took {:?}",
            t.elapsed()
        );
    }

    #[test]
    fn a_missing_binary_asks_the_user_to_act() {
        let ssh = SshCommand {
            program: vec!["sh".into(), "-c".into(), "exit 127".into(), "x".into()],
            remote_command: String::new(),
        };
        let (tx, rx) = mpsc::channel();
        let _link = HostLink::start("box", ssh, move |e| {
            let _ = tx.send(e);
        });
        let deadline = Instant::now() + Duration::from_secs(5);
        let mut said = None;
        while Instant::now() < deadline && said.is_none() {
            if let Ok(LinkEvent::State(HostState::NeedsAction { message })) =
                rx.recv_timeout(Duration::from_millis(100))
            {
                said = Some(message);
            }
        }
        let said = said.expect("a needs-action state");
        assert!(said.contains("sessionscope remote install box"), "{said}");
    }
}
