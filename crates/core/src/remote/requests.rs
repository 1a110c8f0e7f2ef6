//! Requests to a host over its live link (a transcript page, a kill plan, a kill):
//! each is written to the ssh the link already runs and its reply handed back by the
//! link's thread, which reads every line the host sends. Asking therefore costs no new
//! ssh connection, and no new `serve` with its own scan and snapshot.
//!
//! [`Requests`] is cloned freely (one per host, from `HostLink::requests`). While the
//! host is not live, asking fails at once; when the link is lost, every question still
//! waiting is answered with the reason; a host that never replies is given up on after
//! the caller's timeout. Nothing in a reply is run: it is one of the protocol's
//! [`Answer`]s or an error message.
//!
//! [`Requests::follow_run`] subscribes to a run's output: the link thread hands each
//! chunk to the [`RunSubscription`] without ever waiting (a consumer that falls
//! [`RUN_QUEUE`] chunks behind loses chunks, which it then shows as skipped), so a
//! flooding run can neither grow memory here nor hold the host's table back.

use std::collections::{HashMap, VecDeque};
use std::sync::mpsc::{self, Receiver, SyncSender, TrySendError};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use crate::model::RunInfo;
use crate::remote::client::{LinkError, RequestWriter};
use crate::remote::protocol::{self, Answer, Request, MAX_OUTPUT_CHUNK};
use crate::remote::run_stream::{FeedItem, RunFeed};

/// Chunks (each at most 64 KiB) queued for one followed run.
pub const RUN_QUEUE: usize = 64;

type Reply = Result<Answer, LinkError>;

/// Questions for one host, answered over its link.
#[derive(Clone)]
pub struct Requests {
    host: String,
    inner: Arc<Mutex<Pending>>,
}

#[derive(Default)]
struct Pending {
    /// Set while the host is live.
    writer: Option<RequestWriter>,
    next_id: u64,
    waiting: HashMap<u64, mpsc::Sender<Reply>>,
    /// Followed runs, by full run id.
    follows: HashMap<String, Follower>,
}

/// The link thread's end of one followed run.
struct Follower {
    chunks: SyncSender<(u64, Vec<u8>)>,
    end: Arc<Mutex<Option<RunEnd>>>,
}

/// How a followed run's output stopped.
#[derive(Debug, Clone, PartialEq)]
pub enum RunEnd {
    /// The run ended; `code` is the exit code a shell would report.
    Ended { run: Box<RunInfo>, code: i32 },
    /// The link to the host was lost (the run may well go on there).
    Lost(LinkError),
}

/// What [`RunSubscription::next`] hands out.
#[derive(Debug, Clone, PartialEq)]
pub enum RunEvent {
    Output(Vec<u8>),
    /// Bytes not carried (still in the run's log on the host).
    Skipped(u64),
    /// The last event.
    End(RunEnd),
}

/// One run's output as it arrives; dropping it stops the host sending it.
pub struct RunSubscription {
    run: String,
    chunks: Receiver<(u64, Vec<u8>)>,
    end: Arc<Mutex<Option<RunEnd>>>,
    feed: RunFeed,
    pending: VecDeque<RunEvent>,
    owner: Requests,
    done: bool,
}

impl RunSubscription {
    /// The run's id.
    pub fn run(&self) -> &str {
        &self.run
    }

    /// The offset in the run's log of the next byte expected (to follow again from
    /// there after a lost link).
    pub fn offset(&self) -> u64 {
        self.feed.offset()
    }

    /// The next event, waiting up to `wait`; `None` when nothing came meanwhile (and
    /// after the end was handed out).
    pub fn next(&mut self, wait: Duration) -> Option<RunEvent> {
        let deadline = Instant::now() + wait;
        loop {
            if let Some(event) = self.pending.pop_front() {
                return Some(event);
            }
            if self.done {
                return None;
            }
            if let Ok((offset, bytes)) = self.chunks.try_recv() {
                self.take(offset, &bytes);
                continue;
            }
            let end = lock(&self.end).take();
            if let Some(end) = end {
                // Chunks queued just before the end came first.
                while let Ok((offset, bytes)) = self.chunks.try_recv() {
                    self.take(offset, &bytes);
                }
                self.pending.push_back(RunEvent::End(end));
                self.done = true;
                continue;
            }
            let now = Instant::now();
            if now >= deadline {
                return None;
            }
            let step = (deadline - now).min(Duration::from_millis(50));
            if let Ok((offset, bytes)) = self.chunks.recv_timeout(step) {
                self.take(offset, &bytes);
            }
        }
    }

    fn take(&mut self, offset: u64, bytes: &[u8]) {
        for item in self.feed.take(offset, bytes) {
            self.pending.push_back(match item {
                FeedItem::Output(b) => RunEvent::Output(b),
                FeedItem::Skipped(n) => RunEvent::Skipped(n),
            });
        }
    }
}

impl Drop for RunSubscription {
    fn drop(&mut self) {
        let writer = {
            let mut p = lock(&self.owner.inner);
            let ours = p
                .follows
                .get(&self.run)
                .is_some_and(|f| Arc::ptr_eq(&f.end, &self.end));
            if ours {
                p.follows.remove(&self.run);
            }
            p.writer.clone().filter(|_| ours && !self.done)
        };
        if let Some(w) = writer {
            // Its reply (id 0) is dropped like any reply nobody waits for.
            let _ = w.send(
                0,
                Request::UnfollowRun {
                    run: self.run.clone(),
                },
            );
        }
    }
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}

impl Requests {
    pub fn new(host: &str) -> Requests {
        Requests {
            host: host.to_string(),
            inner: Arc::default(),
        }
    }

    /// Ask `request` and wait up to `timeout` for its answer. An error when the host is
    /// not live, the link is lost meanwhile, or the host says no.
    pub fn ask(&self, request: Request, timeout: Duration) -> Reply {
        let (tx, rx) = mpsc::channel();
        let (id, writer) = {
            let mut p = lock(&self.inner);
            let Some(writer) = p.writer.clone() else {
                return Err(LinkError::Lost {
                    host: self.host.clone(),
                    reason: "not connected (see the host's state)".into(),
                });
            };
            p.next_id += 1;
            let id = p.next_id;
            p.waiting.insert(id, tx);
            (id, writer)
        };
        if let Err(e) = writer.send(id, request) {
            lock(&self.inner).waiting.remove(&id);
            return Err(e);
        }
        match rx.recv_timeout(timeout) {
            Ok(reply) => reply,
            Err(_) => {
                lock(&self.inner).waiting.remove(&id);
                Err(LinkError::Lost {
                    host: self.host.clone(),
                    reason: format!("no answer within {} s", timeout.as_secs()),
                })
            }
        }
    }

    /// Follow run `run` (its full id) from byte `from_offset` of its log. The
    /// subscription is in place before the host is asked, so no chunk is missed.
    pub fn follow_run(
        &self,
        run: &str,
        from_offset: u64,
        timeout: Duration,
    ) -> Result<(RunInfo, RunSubscription), LinkError> {
        let (tx, rx) = mpsc::sync_channel(RUN_QUEUE);
        let end = Arc::new(Mutex::new(None));
        lock(&self.inner).follows.insert(
            run.to_string(),
            Follower {
                chunks: tx,
                end: Arc::clone(&end),
            },
        );
        let sub = RunSubscription {
            run: run.to_string(),
            chunks: rx,
            end,
            feed: RunFeed::new(from_offset),
            pending: VecDeque::new(),
            owner: self.clone(),
            done: false,
        };
        let request = Request::FollowRun {
            run: run.to_string(),
            from_offset,
        };
        match self.ask(request, timeout)? {
            Answer::Following { run } => Ok((*run, sub)),
            other => Err(LinkError::Remote {
                host: self.host.clone(),
                message: format!("an unexpected answer to follow-run: {other:?}"),
            }),
        }
    }

    /// A chunk of a followed run's output came (never waits: a full queue drops it,
    /// and its consumer shows the gap).
    pub(crate) fn run_output(&self, run: &str, offset: u64, bytes: &str) {
        let p = lock(&self.inner);
        let Some(f) = p.follows.get(run) else {
            return;
        };
        // A chunk that is not base64 or too big is a gap, not an error of the link.
        let Ok(bytes) = protocol::decode_bytes(bytes, MAX_OUTPUT_CHUNK) else {
            return;
        };
        match f.chunks.try_send((offset, bytes)) {
            Ok(()) | Err(TrySendError::Full(_)) | Err(TrySendError::Disconnected(_)) => {}
        }
    }

    /// A followed run ended.
    pub(crate) fn run_ended(&self, run: Box<RunInfo>, code: i32) {
        if let Some(f) = lock(&self.inner).follows.remove(&run.id) {
            *lock(&f.end) = Some(RunEnd::Ended { run, code });
        }
    }

    /// Whether the host is live (questions can be sent).
    pub fn connected(&self) -> bool {
        lock(&self.inner).writer.is_some()
    }

    /// The link is live on a connection with this writing end.
    pub(crate) fn attach(&self, writer: RequestWriter) {
        lock(&self.inner).writer = Some(writer);
    }

    /// The host replied to `id` (an id nobody waits for any more is dropped).
    pub(crate) fn answered(&self, id: u64, answer: Option<Answer>, error: Option<String>) {
        let Some(tx) = lock(&self.inner).waiting.remove(&id) else {
            return;
        };
        let reply = match (answer, error) {
            (Some(a), _) => Ok(a),
            (None, e) => Err(LinkError::Remote {
                host: self.host.clone(),
                message: e.unwrap_or_else(|| "an empty reply".into()),
            }),
        };
        let _ = tx.send(reply);
    }

    /// The link is gone: no more sending, and everyone waiting hears why.
    pub(crate) fn detach(&self, why: &LinkError) {
        let waiting: Vec<mpsc::Sender<Reply>> = {
            let mut p = lock(&self.inner);
            p.writer = None;
            for (_, f) in p.follows.drain() {
                *lock(&f.end) = Some(RunEnd::Lost(why.clone()));
            }
            p.waiting.drain().map(|(_, tx)| tx).collect()
        };
        for tx in waiting {
            let _ = tx.send(Err(why.clone()));
        }
    }
}

// The stand-in host is a bash script, and the lost link is a `kill -9`.
#[cfg(all(test, unix))]
mod tests {
    use std::time::Instant;

    use super::*;
    use crate::model::SessionSnapshot;
    use crate::remote::client::SshCommand;
    use crate::remote::link::{HostLink, HostState, LinkEvent};
    use crate::remote::protocol::{encode, Hello, ServerMessage};

    /// A fake ssh: hello, an empty snapshot, beats, and (when `answer`) a `runs`
    /// reply to each request line, with that request's id.
    fn fake(answer: bool) -> SshCommand {
        let line = |m: &ServerMessage| String::from_utf8(encode(m)).unwrap();
        let hello = line(&ServerMessage::Hello(Hello::this_build()));
        let snap = line(&ServerMessage::Snapshot {
            snapshot: SessionSnapshot::default(),
        });
        let beat = line(&ServerMessage::Beat);
        let reply = if answer {
            r#"echo "{\"type\":\"reply\",\"id\":$id,\"answer\":{\"kind\":\"runs\",\"runs\":[]}}""#
        } else {
            ":"
        };
        // One process (killing it ends its output, as killing ssh does): beats while
        // no request line comes.
        let script = format!(
            "echo '{hello}'; echo '{snap}'; while :; do \
             if read -r -t 0.3 line; then id=${{line#*\\\"id\\\":}}; id=${{id%%,*}}; {reply}; \
             else echo '{beat}'; fi; done"
        );
        SshCommand {
            program: vec!["bash".into(), "-c".into(), script, "fake-ssh".into()],
            remote_command: String::new(),
        }
    }

    fn live(host: &str, ssh: SshCommand) -> HostLink {
        let (tx, rx) = mpsc::channel();
        let link = HostLink::start(host, ssh, move |e| {
            let _ = tx.send(e);
        });
        let deadline = Instant::now() + Duration::from_secs(10);
        while Instant::now() < deadline {
            if let Ok(LinkEvent::State(HostState::Live { .. })) =
                rx.recv_timeout(Duration::from_millis(50))
            {
                return link;
            }
        }
        panic!("{host} never got live");
    }

    #[test]
    fn a_question_is_answered_over_the_live_link_with_its_own_id() {
        let link = HostLink::start("idle", fake(true), |_| {});
        // Not live yet (or never): refused at once rather than waiting.
        let t = Instant::now();
        let early = Requests::new("nowhere").ask(Request::Runs, Duration::from_secs(30));
        assert!(matches!(early, Err(LinkError::Lost { .. })), "{early:?}");
        assert!(t.elapsed() < Duration::from_secs(1));
        drop(link);

        let link = live("box", fake(true));
        let asks = link.requests();
        assert!(asks.connected());
        // Several at once, from several threads: each gets its own reply.
        let threads: Vec<_> = (0..4)
            .map(|_| {
                let asks = asks.clone();
                std::thread::spawn(move || asks.ask(Request::Runs, Duration::from_secs(10)))
            })
            .collect();
        for t in threads {
            let answer = t.join().unwrap();
            assert!(
                matches!(answer, Ok(Answer::Runs { ref runs }) if runs.is_empty()),
                "{answer:?}"
            );
        }
    }

    #[test]
    fn a_lost_link_answers_every_waiting_question_with_why() {
        let link = live("mute", fake(false));
        let asks = link.requests();
        let waiting = std::thread::spawn(move || asks.ask(Request::Runs, Duration::from_secs(60)));
        std::thread::sleep(Duration::from_millis(300));
        let pid = link.ssh_pid().expect("an ssh pid").to_string();
        let t = Instant::now();
        let _ = std::process::Command::new("kill")
            .args(["-9", &pid])
            .status();
        let answer = waiting.join().unwrap();
        assert!(matches!(answer, Err(LinkError::Lost { .. })), "{answer:?}");
        assert!(t.elapsed() < Duration::from_secs(5), "{:?}", t.elapsed());
        assert!(!link.requests().connected());
    }

    #[test]
    fn a_host_that_never_answers_is_given_up_on_after_the_timeout() {
        let link = live("slow", fake(false));
        let t = Instant::now();
        let answer = link.requests().ask(Request::Runs, Duration::from_secs(1));
        assert!(
            matches!(answer, Err(LinkError::Lost { ref reason, .. }) if reason.contains("no answer")),
            "{answer:?}"
        );
        assert!(t.elapsed() < Duration::from_secs(3));
    }

    /// A fake host that answers a follow-run with `following`, then sends `chunks`
    /// (offset, text) and the run's end with code 3.
    fn fake_run(chunks: &[(u64, &str)]) -> SshCommand {
        let line = |m: &ServerMessage| String::from_utf8(encode(m)).unwrap();
        let hello = line(&ServerMessage::Hello(Hello::this_build()));
        let snap = line(&ServerMessage::Snapshot {
            snapshot: SessionSnapshot::default(),
        });
        let run: RunInfo = serde_json::from_value(serde_json::json!({
            "id": "r1", "name": "r", "command": "x", "cwd": null, "pid": null,
            "started_at": "2026-01-01T00:00:00Z", "ended_at": null, "status": "failed",
            "exit_code": 3, "reason": null, "log_path": null
        }))
        .unwrap();
        let following = format!(
            r#"{{\"type\":\"reply\",\"id\":$id,\"answer\":{{\"kind\":\"following\",\"run\":{}}}}}"#,
            serde_json::to_string(&run).unwrap().replace('"', "\\\"")
        );
        let mut after = String::new();
        for (offset, text) in chunks {
            after += &format!(
                "echo '{}'; ",
                line(&ServerMessage::RunOutput {
                    run: "r1".into(),
                    offset: *offset,
                    bytes: crate::remote::protocol::encode_bytes(text.as_bytes()),
                })
            );
        }
        after += &format!(
            "echo '{}'; ",
            line(&ServerMessage::RunEnded {
                run: Box::new(run),
                code: 3
            })
        );
        let script = format!(
            "echo '{hello}'; echo '{snap}'; while :; do \
             if read -r -t 0.3 line; then id=${{line#*\\\"id\\\":}}; id=${{id%%,*}}; \
             echo \"{following}\"; {after} else echo '{{\"type\":\"beat\"}}'; fi; done"
        );
        SshCommand {
            program: vec!["bash".into(), "-c".into(), script, "fake-ssh".into()],
            remote_command: String::new(),
        }
    }

    #[test]
    fn a_followed_run_comes_in_order_with_its_gaps_said_and_then_its_end() {
        let link = live(
            "runner",
            fake_run(&[(0, "one "), (4, "two "), (20, "late"), (0, "dup")]),
        );
        let (info, mut sub) = link
            .requests()
            .follow_run("r1", 0, Duration::from_secs(10))
            .expect("following");
        assert_eq!(info.id, "r1");
        let mut events = Vec::new();
        let deadline = Instant::now() + Duration::from_secs(10);
        while Instant::now() < deadline {
            match sub.next(Duration::from_millis(200)) {
                Some(e @ RunEvent::End(_)) => {
                    events.push(e);
                    break;
                }
                Some(e) => events.push(e),
                None => {}
            }
        }
        let RunEvent::End(RunEnd::Ended { code, .. }) = events.pop().expect("an end") else {
            panic!("{events:?}");
        };
        assert_eq!(code, 3);
        assert_eq!(
            events,
            [
                RunEvent::Output(b"one ".to_vec()),
                RunEvent::Output(b"two ".to_vec()),
                RunEvent::Skipped(12),
                RunEvent::Output(b"late".to_vec()),
            ]
        );
        assert_eq!(
            sub.next(Duration::from_millis(10)),
            None,
            "nothing after the end"
        );
    }

    #[test]
    fn a_followed_run_hears_a_lost_link() {
        let link = live("runner", fake_run(&[]));
        // Followed run "r2" gets nothing from this host but the loss.
        let asks = link.requests();
        let follow = std::thread::spawn(move || asks.follow_run("r2", 0, Duration::from_secs(10)));
        let (_, mut sub) = follow.join().unwrap().expect("following");
        let pid = link.ssh_pid().expect("an ssh pid").to_string();
        let _ = std::process::Command::new("kill")
            .args(["-9", &pid])
            .status();
        let deadline = Instant::now() + Duration::from_secs(5);
        loop {
            assert!(Instant::now() < deadline, "no end");
            if let Some(RunEvent::End(end)) = sub.next(Duration::from_millis(100)) {
                assert!(
                    matches!(end, RunEnd::Lost(LinkError::Lost { .. })),
                    "{end:?}"
                );
                break;
            }
        }
    }
}
