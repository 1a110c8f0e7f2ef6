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

use std::collections::HashMap;
use std::sync::mpsc;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use crate::remote::client::{LinkError, RequestWriter};
use crate::remote::protocol::{Answer, Request};

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
}
