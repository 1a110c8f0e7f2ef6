//! `sessionscope serve --stdio`: this machine's live table for another machine's
//! sessionscope, which runs this over `ssh`. It speaks the protocol of
//! `sessionscope_core::remote::protocol` on stdin and stdout: hello, snapshot, then only
//! changes, beats on silence, and answers to requests. It opens no socket, writes
//! nothing but its own data dir (the index cache), and ends when stdin closes or
//! stdout breaks. A kill is carried out only with the confirmation the other side
//! obtained for exactly that plan. A request line it cannot read is answered with an
//! error under the line's own `id` when one can be made out, so the asker fails at once
//! instead of waiting out its timeout; an answer too long for the client's line cap is
//! replaced by an error saying so (the link stays up). A run is started only with the
//! confirmation obtained for exactly that command.
//!
//! Runs go through one [`Supervisor`], the one `sessionscope run` and the app use, so
//! they are in this machine's run history and logs. Their output is sent from their
//! logs to whoever follows them, never more than [`IN_FLIGHT`] bytes ahead of what
//! stdout has taken. When serve ends (the ssh link dropped, or a SIGTERM or SIGHUP)
//! the runs it started are left running: each terminal goes to a relay that keeps
//! writing the log, as the app does on "leave running" at quit.

use std::collections::HashMap;
use std::io::{self, BufReader, Write};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::mpsc::{self, RecvTimeoutError, Sender};
use std::sync::{Arc, Mutex, OnceLock};
use std::time::Duration;

use clap::Args;
use sessionscope_core::agents::transcript::offsets::OffsetStore;
use sessionscope_core::agents::transcript::{self, read_all_entries};
use sessionscope_core::kill::{KillOptions, KillScope};
use sessionscope_core::model::{KillTarget, QuitPolicy, RunRequest, RunStatus, Session};
use sessionscope_core::procs::ProcessScanner;
use sessionscope_core::records::{self, Store};
use sessionscope_core::remote::protocol::{
    self, Answer, Hello, Request, RequestLine, ServerMessage, HEARTBEAT, MAX_COMMAND_BYTES,
    MAX_INPUT_BYTES, MAX_LINE_BYTES, MAX_REQUEST_BYTES,
};
use sessionscope_core::remote::run_stream::LogFollower;
use sessionscope_core::runs::supervisor::Supervisor;
use sessionscope_core::sessions::cache::IndexCache;
use sessionscope_core::sessions::index::SessionIndex;
use sessionscope_core::sessions::live::{LiveOptions, LiveSessions};
use sessionscope_core::sessions::short_id;
use sessionscope_core::settings;

#[derive(Args)]
pub struct ServeArgs {
    /// Speak the protocol on stdin/stdout (the only transport; there is no socket).
    #[arg(long, required = true)]
    stdio: bool,
}

/// Run output bytes (base64) handed to the writer and not yet on stdout, over every
/// followed run: a follower waits while more than this is.
const IN_FLIGHT: usize = 2 << 20;

/// How often a follower looks at a log that has nothing new.
const FOLLOW_POLL: Duration = Duration::from_millis(50);

/// The terminal size of a run started here (the viewer's is not known).
const RUN_SIZE: (u16, u16) = (30, 120);

/// The one supervisor of this serve, opened on first use.
static RUNS: OnceLock<Supervisor> = OnceLock::new();

fn runs() -> &'static Supervisor {
    RUNS.get_or_init(|| Supervisor::open_default(|_| {}))
}

/// End serve: the runs it started are left running (never stopped by a lost link).
/// Once: a second caller (stdin and stdout end together) waits for the first's exit.
fn end(code: i32) -> ! {
    static ENDING: Mutex<()> = Mutex::new(());
    let _once = lock(&ENDING);
    if let Some(sup) = RUNS.get() {
        sup.shutdown(QuitPolicy::LeaveRunning, Duration::ZERO);
    }
    std::process::exit(code)
}

/// What serve's request threads share.
struct Shared {
    live: LiveSessions,
    tx: Sender<ServerMessage>,
    /// The followed runs, by id: setting the flag stops that follower.
    follows: Mutex<HashMap<String, Arc<AtomicBool>>>,
    in_flight: Arc<AtomicUsize>,
    /// One offsets store for every transcript request, so a big transcript's index
    /// is loaded once, not once per page.
    offsets: Mutex<OffsetStore>,
}

/// Messages out, and whether the snapshot has gone (changes before it are in it).
struct Outbox {
    tx: Sender<ServerMessage>,
    snapshot_sent: bool,
}

pub fn run(_args: ServeArgs) -> anyhow::Result<()> {
    // A hangup or a SIGTERM leaves the runs running too (SIGKILL cannot be helped).
    ctrlc::set_handler(|| end(0))?;
    let (tx, rx) = mpsc::channel::<ServerMessage>();
    let in_flight = Arc::new(AtomicUsize::new(0));
    let written = Arc::clone(&in_flight);
    let writer = std::thread::spawn(move || write_messages(rx, &written));
    let _ = tx.send(ServerMessage::Hello(Hello::this_build()));
    let outbox = Arc::new(Mutex::new(Outbox {
        tx: tx.clone(),
        snapshot_sent: false,
    }));

    let mut index = SessionIndex::new(settings::watched_roots_now());
    if let Ok(cache) = IndexCache::open(&IndexCache::default_path()) {
        index = index.with_cache(cache);
    }
    let on_change = Arc::clone(&outbox);
    let on_notices = Arc::clone(&outbox);
    let live = LiveSessions::start_full(
        index,
        move |change, counts| {
            let out = lock(&on_change);
            if out.snapshot_sent {
                let _ = out.tx.send(ServerMessage::Changed { change, counts });
            }
        },
        LiveOptions {
            on_notices: Some(Box::new(move |notices| {
                let out = lock(&on_notices);
                if out.snapshot_sent {
                    let _ = out.tx.send(ServerMessage::Notices { notices });
                }
            })),
            ..LiveOptions::default()
        },
    );
    {
        let mut out = lock(&outbox);
        let _ = out.tx.send(ServerMessage::Snapshot {
            snapshot: live.snapshot(),
        });
        out.snapshot_sent = true;
    }
    let shared = Arc::new(Shared {
        live,
        tx: tx.clone(),
        follows: Mutex::default(),
        in_flight,
        offsets: Mutex::new(OffsetStore::open(
            &sessionscope_core::paths::transcript_offsets_db(),
        )),
    });

    let keys = {
        let (keys, typed) = mpsc::channel::<RequestLine>();
        let shared = Arc::clone(&shared);
        std::thread::spawn(move || {
            for line in typed {
                let answer = answer(&shared, line.request);
                reply(&shared.tx, line.id, answer);
            }
        });
        keys
    };
    let mut stdin = BufReader::new(io::stdin().lock());
    let mut buf = Vec::new();
    loop {
        match protocol::read_line_capped(&mut stdin, &mut buf, MAX_REQUEST_BYTES) {
            Ok(true) => {}
            Ok(false) | Err(protocol::LineError::Io(_)) => break,
            Err(e @ protocol::LineError::TooLong { .. }) => {
                reply(&tx, 0, Err(format!("request refused: {e}")));
                break;
            }
        }
        if buf.iter().all(u8::is_ascii_whitespace) {
            continue;
        }
        let line: RequestLine = match serde_json::from_slice(&buf) {
            Ok(l) => l,
            Err(e) => {
                reply(&tx, lenient_id(&buf), Err(format!("not a request: {e}")));
                continue;
            }
        };
        // Keys keep their order: one thread types them all, in the order they came.
        if let Request::RunInput { .. } = line.request {
            let _ = keys.send(line);
            continue;
        }
        // Each other request on its own thread: a kill's grace period blocks no reads.
        let shared = Arc::clone(&shared);
        std::thread::spawn(move || {
            if let Request::FollowRun { run, from_offset } = line.request {
                follow(&shared, line.id, &run, from_offset);
                return;
            }
            let answer = answer(&shared, line.request);
            reply(&shared.tx, line.id, answer);
        });
    }
    drop(tx);
    drop(outbox);
    drop(shared);
    let _ = writer;
    end(0)
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}

/// The `id` of a request line that is not a request this build reads (an unknown kind,
/// a missing field), so its asker hears the error: the JSON object's `id`, else the
/// digits after the first `"id":`, else 0 (nobody's).
fn lenient_id(line: &[u8]) -> u64 {
    if let Ok(v) = serde_json::from_slice::<serde_json::Value>(line) {
        return v.get("id").and_then(serde_json::Value::as_u64).unwrap_or(0);
    }
    let Some(at) = line.windows(4).position(|w| w == b"\"id\"") else {
        return 0;
    };
    let rest = &line[at + 4..];
    let rest = &rest[rest.iter().take_while(|b| b.is_ascii_whitespace()).count()..];
    let Some(rest) = rest.strip_prefix(b":") else {
        return 0;
    };
    let digits: String = rest
        .iter()
        .skip_while(|b| b.is_ascii_whitespace())
        .take_while(|b| b.is_ascii_digit())
        .map(|b| char::from(*b))
        .collect();
    digits.parse().unwrap_or(0)
}

fn reply(tx: &Sender<ServerMessage>, id: u64, result: Result<Answer, String>) {
    let (answer, error) = match result {
        Ok(a) => (Some(a), None),
        Err(e) => (None, Some(e)),
    };
    let _ = tx.send(ServerMessage::Reply { id, answer, error });
}

/// The writer thread: one line per message, a beat after each [`HEARTBEAT`] of
/// silence; a broken stdout (the ssh link is gone) ends the process. Run output
/// written is taken off `in_flight`.
fn write_messages(rx: mpsc::Receiver<ServerMessage>, in_flight: &AtomicUsize) {
    let mut out = io::stdout().lock();
    loop {
        let message = match rx.recv_timeout(HEARTBEAT) {
            Ok(m) => m,
            Err(RecvTimeoutError::Timeout) => ServerMessage::Beat,
            Err(RecvTimeoutError::Disconnected) => return,
        };
        let mut line = protocol::encode(&message);
        if line.len() >= MAX_LINE_BYTES {
            if let ServerMessage::Reply { id, .. } = message {
                // The client would drop the whole link for it: say so instead.
                line = protocol::encode(&ServerMessage::Reply {
                    id,
                    answer: None,
                    error: Some(format!(
                        "the answer is {} MB, over the {} MB a line may have; ask for less \
                         (a shorter --since, more filters)",
                        line.len() >> 20,
                        MAX_LINE_BYTES >> 20
                    )),
                });
            }
        }
        line.push(b'\n');
        if out.write_all(&line).and_then(|_| out.flush()).is_err() {
            end(0);
        }
        if let ServerMessage::RunOutput { bytes, .. } = &message {
            in_flight.fetch_sub(bytes.len(), Ordering::SeqCst);
        }
    }
}

/// `follow-run`: say `following`, then send the run's log from `from_offset` on, and
/// its end once it has ended and all of it went. A second follow of the same run
/// replaces the first.
fn follow(shared: &Arc<Shared>, id: u64, query: &str, from_offset: u64) {
    let sup = runs();
    let run = match sup.find_run(query) {
        Ok(r) => r,
        Err(e) => return reply(&shared.tx, id, Err(e.to_string())),
    };
    let Some(log) = run.log_path.clone() else {
        return reply(&shared.tx, id, Err(format!("run {} has no log", run.id)));
    };
    let stop = Arc::new(AtomicBool::new(false));
    if let Some(old) = lock(&shared.follows).insert(run.id.clone(), Arc::clone(&stop)) {
        old.store(true, Ordering::SeqCst);
    }
    // The answer goes before the first chunk (one channel keeps the order).
    reply(
        &shared.tx,
        id,
        Ok(Answer::Following {
            run: Box::new(run.clone()),
        }),
    );
    let mut follower = LogFollower::new(log, from_offset);
    let mut ended = false;
    while !stop.load(Ordering::SeqCst) {
        if shared.in_flight.load(Ordering::SeqCst) > IN_FLIGHT {
            std::thread::sleep(Duration::from_millis(10));
            continue;
        }
        match follower.read() {
            Ok(Some((offset, bytes))) => {
                let bytes = protocol::encode_bytes(&bytes);
                shared.in_flight.fetch_add(bytes.len(), Ordering::SeqCst);
                let message = ServerMessage::RunOutput {
                    run: run.id.clone(),
                    offset,
                    bytes,
                };
                if shared.tx.send(message).is_err() {
                    return;
                }
                continue;
            }
            Ok(None) => {}
            Err(e) => {
                eprintln!("sessionscope serve: reading the log of run {}: {e}", run.id);
                std::thread::sleep(Duration::from_secs(1));
            }
        }
        let now = sup.run(&run.id);
        if now.as_ref().is_none_or(|r| r.status != RunStatus::Running) {
            // Once more to the end of the log, then the end.
            if ended {
                let info = now.unwrap_or_else(|| run.clone());
                let code = info.shell_exit_code();
                let _ = shared.tx.send(ServerMessage::RunEnded {
                    run: Box::new(info),
                    code,
                });
                break;
            }
            ended = true;
            continue;
        }
        std::thread::sleep(FOLLOW_POLL);
    }
    let mut follows = lock(&shared.follows);
    if follows.get(&run.id).is_some_and(|s| Arc::ptr_eq(s, &stop)) {
        follows.remove(&run.id);
    }
}

/// The answer to one request.
fn answer(shared: &Shared, request: Request) -> Result<Answer, String> {
    let live = &shared.live;
    match request {
        Request::Transcript {
            session,
            last,
            max_text_bytes,
            from,
            before,
        } => {
            let s = find_session(&live.sessions(), &session)?;
            let path: &std::path::Path = s.path.as_ref();
            let offsets = || lock(&shared.offsets);
            let page = match (from, before, last) {
                (Some(from), _, _) => offsets().page(
                    s.harness,
                    path,
                    &from,
                    transcript::DEFAULT_PAGE_ENTRIES,
                    max_text_bytes,
                ),
                (None, Some(before), n) => offsets().before(
                    s.harness,
                    path,
                    before,
                    n.unwrap_or(transcript::DEFAULT_PAGE_ENTRIES),
                    max_text_bytes,
                ),
                (None, None, Some(n)) => offsets().tail(s.harness, path, n, max_text_bytes),
                (None, None, None) => read_all_entries(s.harness, path, max_text_bytes),
            }
            .map_err(|e| format!("session {}: {e}", s.id))?;
            Ok(Answer::Transcript {
                session: Box::new(s),
                page,
            })
        }
        Request::TranscriptEntry { session, at, index } => {
            let s = find_session(&live.sessions(), &session)?;
            let entry = lock(&shared.offsets)
                .entry_full(s.harness, s.path.as_ref(), &at, index)
                .map_err(|e| format!("session {}: {e}", s.id))?;
            Ok(Answer::TranscriptEntry {
                entry: Box::new(entry),
            })
        }
        Request::Runs => Ok(Answer::Runs {
            runs: runs().runs(),
        }),
        Request::RunLog { run, max_bytes } => {
            let sup = runs();
            let run = sup.find_run(&run).map_err(|e| e.to_string())?;
            let bytes = sup
                .log_tail(&run.id, max_bytes)
                .map_err(|e| e.to_string())?;
            Ok(Answer::RunLog {
                run: Box::new(run),
                text: String::from_utf8_lossy(&bytes).into_owned(),
            })
        }
        Request::UsageRows => Ok(Answer::UsageRows {
            rows: live.usage_rows(),
        }),
        Request::KillPlan { ids, grace_ms } => {
            let grace = Duration::from_millis(grace_ms.min(600_000));
            with_scope(live, |scope| {
                let targets = ids
                    .iter()
                    .map(|id| scope.find(id))
                    .collect::<Result<Vec<KillTarget>, String>>()?;
                Ok(Answer::KillPlan {
                    plan: scope.plan(&targets, grace),
                })
            })
        }
        Request::Records { query } => {
            let store = record_store();
            let filter = query.to_filter().map_err(|e| e.to_string())?;
            let records =
                records::query(&store, &filter, chrono::Utc::now()).map_err(|e| e.to_string())?;
            Ok(Answer::Records {
                store_path: store.path().display().to_string(),
                records,
            })
        }
        Request::Record { id } => Ok(Answer::Record {
            record: Box::new(records::find(&record_store(), &id).map_err(|e| e.to_string())?),
        }),
        Request::RecordSession {
            session,
            confirmation,
        } => {
            if !confirmation.covers(&session) {
                return Err("record refused: the confirmation does not name this session".into());
            }
            let found = find_session(&live.sessions(), &session)?;
            let (found, facts) = live
                .session_with_facts(&found.key)
                .ok_or_else(|| format!("session {} left the table", found.id))?;
            let recorded =
                sessionscope_core::views::record_session(&record_store(), &found, &facts)
                    .map_err(|e| e.to_string())?;
            Ok(Answer::Recorded { recorded })
        }
        Request::Kill { plan, confirmation } => {
            if !confirmation.covers(&plan) {
                return Err("kill refused: the confirmation does not name exactly the \
                            targets of the plan"
                    .into());
            }
            let grace = Duration::from_millis(plan.grace_ms.min(600_000));
            with_scope(live, |scope| {
                Ok(Answer::Killed {
                    outcomes: scope.execute(&plan, &KillOptions::with_grace(grace), &|_| {}),
                })
            })
        }
        Request::StartRun {
            command,
            cwd,
            name,
            confirmation,
        } => {
            if !confirmation.covers(&command, cwd.as_deref()) {
                return Err(
                    "start refused: the confirmation does not name exactly this \
                            command and directory"
                        .into(),
                );
            }
            if command.len() > MAX_COMMAND_BYTES {
                return Err(format!(
                    "start refused: a command longer than {MAX_COMMAND_BYTES} bytes"
                ));
            }
            let request = RunRequest {
                name: name.unwrap_or_default(),
                command,
                cwd,
                env: Vec::new(),
            };
            let (rows, cols) = RUN_SIZE;
            let run = runs()
                .start_sized(request, rows, cols)
                .map_err(|e| e.to_string())?;
            Ok(Answer::RunStarted { run: Box::new(run) })
        }
        Request::FollowRun { .. } => Err("follow-run is answered by its follower".into()),
        Request::UnfollowRun { run } => {
            let id = runs().find_run(&run).map_err(|e| e.to_string())?.id;
            if let Some(stop) = lock(&shared.follows).remove(&id) {
                stop.store(true, Ordering::SeqCst);
            }
            Ok(Answer::Done)
        }
        Request::RunInput { run, bytes } => {
            let bytes = protocol::decode_bytes(&bytes, MAX_INPUT_BYTES)
                .map_err(|e| format!("input refused: {e}"))?;
            let sup = runs();
            let id = sup.find_run(&run).map_err(|e| e.to_string())?.id;
            sup.write_input(&id, &bytes).map_err(|e| e.to_string())?;
            Ok(Answer::Done)
        }
    }
}

/// This machine's record store, as its `records` commands find it (`$GPTME_SESSIONS_DIR`,
/// else `~/.local/share/gptme-sessions`), or the app's `record_store_dir` setting here
/// when one is set.
fn record_store() -> Store {
    let dir = settings::peek(&settings::settings_path(
        &sessionscope_core::paths::data_dir(),
    ))
    .0
    .record_store_dir;
    Store::locate(dir.as_deref().map(std::path::Path::new))
}

/// A kill scope over this machine's runs, sessions and agent processes, as now.
fn with_scope<T>(
    live: &LiveSessions,
    f: impl FnOnce(&KillScope) -> Result<T, String>,
) -> Result<T, String> {
    let sup = runs();
    let sessions = live.sessions();
    let processes = ProcessScanner::new().scan();
    let scope = KillScope {
        supervisor: Some(sup),
        sessions: &sessions,
        processes: &processes,
        ..Default::default()
    };
    f(&scope)
}

/// The session whose id or key is `wanted`, else the only one whose id starts with it.
fn find_session(sessions: &[Session], wanted: &str) -> Result<Session, String> {
    if let Some(s) = sessions.iter().find(|s| s.id == wanted || s.key == wanted) {
        return Ok(s.clone());
    }
    let matches: Vec<&Session> = sessions
        .iter()
        .filter(|s| short_id::matches(&s.id, wanted))
        .collect();
    match matches.as_slice() {
        [one] => Ok((*one).clone()),
        [] => Err(format!("no session id starts with {wanted:?}")),
        many => Err(format!(
            "{} sessions start with {wanted:?}; give more of the id",
            many.len()
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::lenient_id;

    #[test]
    fn the_id_of_a_line_that_is_no_request_is_made_out_when_it_can_be() {
        assert_eq!(lenient_id(br#"{"id":7,"request":{"kind":"teleport"}}"#), 7);
        assert_eq!(lenient_id(br#"{"request":{"kind":"runs"},"id":12}"#), 12);
        // Not JSON at all (cut short, a stray byte): the digits after "id":.
        assert_eq!(lenient_id(br#"{"id": 42, "request": {"kind": "ru"#), 42);
        assert_eq!(lenient_id(b"rm -rf /"), 0);
        assert_eq!(lenient_id(br#"{"id":"x"}"#), 0);
        assert_eq!(lenient_id(br#"{"id":99999999999999999999999}"#), 0);
    }
}
