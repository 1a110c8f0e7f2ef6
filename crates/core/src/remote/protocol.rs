//! The `serve --stdio` protocol: one JSON object per line, UTF-8, `\n`-terminated.
//!
//! **Server → client** ([`ServerMessage`], tagged by `"type"`):
//! 1. `{"type":"hello","protocol":3,"version":"0.1.0","os":"linux","arch":"x86_64"}`
//!    first, before the initial scan, so a client can check the version at once.
//! 2. `{"type":"snapshot","snapshot":{...}}`: the whole table ([`SessionSnapshot`]).
//! 3. Then only changes: `{"type":"changed","change":{...},"counts":{...}}` (the same
//!    [`SessionChange`] the app gets, applied as upserts and removals by key; applying
//!    one twice is harmless), and `{"type":"notices","notices":[...]}` when the list of
//!    read problems changes.
//! 4. `{"type":"beat"}` after every [`HEARTBEAT`] of silence, so a client tells a
//!    quiet host from a dead link within [`SILENCE_LIMIT`].
//! 5. `{"type":"reply","id":N,"answer":{...}}` or `{"type":"reply","id":N,"error":"..."}`
//!    for each request, in any order relative to changes.
//! 6. For each run a client follows (`follow-run`): `{"type":"run-output","run":ID,
//!    "offset":N,"bytes":BASE64}`, the run's output from byte `offset` of its log
//!    (each chunk at most [`MAX_OUTPUT_CHUNK`] bytes, offsets increasing; a jump in
//!    `offset` is output skipped because the follower fell too far behind, still whole
//!    in the log on the host), then `{"type":"run-ended","run":{...},"code":N}` once
//!    it has ended and every byte of its log was sent.
//!
//! **Client → server** ([`RequestLine`]): `{"id":N,"request":{"kind":"...",...}}`, see
//! [`Request`]. Reads answer at once. A request that changes anything (`kill`) carries
//! the [`Confirmation`] the local side obtained (its dialog or terminal answer, naming
//! the host and exactly the targets); the server refuses one whose confirmation does not
//! name the same targets as the plan. `start-run` carries a [`RunConfirmation`] naming
//! exactly the command (and directory) the user said yes to; the server runs nothing
//! else, and nothing at all without one. `record-session` carries a
//! [`RecordConfirmation`] naming exactly the session to record.
//!
//! Protocol 2 added to protocol 1 what the app's detail pane needs of a remote
//! session: transcript pages read on `from` a cursor or `before` an index, and one
//! entry untruncated (`transcript-entry`). A protocol 1 server would have ignored
//! those fields and answered the whole transcript, hence the new number. Protocol 3
//! (this one) adds the host's gptme-sessions records (`records`, `record`), which a
//! protocol 2 server would refuse as not a request, starting a run on the host
//! (`start-run`), following a run's output (`follow-run`, `unfollow-run`, the
//! `run-output` and `run-ended` messages), typing into a run this server started
//! (`run-input`) and recording one of its sessions (`record-session`).
//!
//! The server stops when its stdin closes. A client reads every line with a cap
//! ([`read_line_capped`], [`MAX_LINE_BYTES`]) and treats a line that is too long, not
//! JSON, or not one of these messages as a broken host, never as something to run.
//! The protocol number changes whenever a message changes incompatibly; both sides
//! must speak the same one.

use std::io::{self, BufRead};
use std::time::Duration;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::agents::transcript::{TranscriptCursor, TranscriptEntry, TranscriptPage};
use crate::agents::UsageSlot;
use crate::model::{
    KillOutcome, KillPlan, KillTarget, RunInfo, Session, SessionChange, SessionCounts,
    SessionSnapshot,
};
use crate::records::Record;
use crate::views::RecordQuery;

/// The protocol this build speaks.
pub const PROTOCOL_VERSION: u32 = 3;

/// The longest line a client accepts from a server (a snapshot of tens of thousands of
/// sessions fits; anything longer is a broken or hostile host).
pub const MAX_LINE_BYTES: usize = 64 << 20;

/// The longest request line a server accepts.
pub const MAX_REQUEST_BYTES: usize = 1 << 20;

/// The most output bytes one `run-output` message carries.
pub const MAX_OUTPUT_CHUNK: usize = 64 * 1024;

/// The most bytes one `run-input` request carries.
pub const MAX_INPUT_BYTES: usize = 64 * 1024;

/// The longest command line `start-run` accepts.
pub const MAX_COMMAND_BYTES: usize = 64 * 1024;

/// A server says `beat` after this much silence.
pub const HEARTBEAT: Duration = Duration::from_secs(1);

/// A client calls a host lost after this much silence (a stopped or unreachable host
/// sends nothing, not even an end of file).
pub const SILENCE_LIMIT: Duration = Duration::from_millis(3500);

/// What the server says first.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Hello {
    pub protocol: u32,
    /// The server's sessionscope version.
    pub version: String,
    /// `std::env::consts::OS` of the server (`linux`, `macos`, `windows`).
    pub os: String,
    /// `std::env::consts::ARCH` of the server (`x86_64`, `aarch64`).
    pub arch: String,
}

impl Hello {
    /// This build's hello.
    pub fn this_build() -> Hello {
        Hello {
            protocol: PROTOCOL_VERSION,
            version: env!("CARGO_PKG_VERSION").to_string(),
            os: std::env::consts::OS.to_string(),
            arch: std::env::consts::ARCH.to_string(),
        }
    }
}

/// One line from the server.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "kebab-case")]
pub enum ServerMessage {
    Hello(Hello),
    Snapshot {
        snapshot: SessionSnapshot,
    },
    Changed {
        change: SessionChange,
        counts: SessionCounts,
    },
    Notices {
        notices: Vec<String>,
    },
    Beat,
    Reply {
        id: u64,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        answer: Option<Answer>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        error: Option<String>,
    },
    /// Output of a followed run: `bytes` (base64) are its log from `offset` on.
    RunOutput {
        run: String,
        offset: u64,
        bytes: String,
    },
    /// A followed run has ended and all its output was sent; `code` is the exit code a
    /// shell would report ([`RunInfo::shell_exit_code`]).
    RunEnded {
        run: Box<RunInfo>,
        code: i32,
    },
}

/// One line from the client.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RequestLine {
    pub id: u64,
    pub request: Request,
}

/// What a client can ask.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "kebab-case")]
pub enum Request {
    /// A session's transcript. `session` is an id, a key or a unique prefix of an id.
    /// Which entries: with `from`, a page read on from that cursor (the `next` of an
    /// earlier page: following a live session); else with `before`, up to `last`
    /// (default one page) entries just before that index (paging back); else the last
    /// `last` entries, or with neither, the whole of it.
    Transcript {
        session: String,
        last: Option<usize>,
        max_text_bytes: usize,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        from: Option<TranscriptCursor>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        before: Option<u32>,
    },
    /// One entry of a session's transcript, untruncated, read again from its `at`.
    TranscriptEntry {
        session: String,
        at: TranscriptCursor,
        index: u32,
    },
    /// The run history.
    Runs,
    /// The end of one run's log (`run` is an id or a unique prefix).
    RunLog { run: String, max_bytes: usize },
    /// Every session with its per-quarter-hour usage, for `usage` reports.
    UsageRows,
    /// What killing `ids` would stop (nothing is stopped).
    KillPlan { ids: Vec<String>, grace_ms: u64 },
    /// Carry out `plan`, confirmed on the local side.
    Kill {
        plan: KillPlan,
        confirmation: Confirmation,
    },
    /// The host's gptme-sessions records passing `query` (the filters of `records
    /// query` and `stats`; `since` counted on the host's clock), in store order.
    Records { query: RecordQuery },
    /// One record of the host's store by id or unique id prefix (`records show`).
    Record { id: String },
    /// Start `command` (run by the host's shell) in `cwd` (default: the host's home),
    /// confirmed on the local side for exactly this command and directory. Answered
    /// with `run-started`; the run is in the host's history like any other, and is
    /// left running when the link drops.
    StartRun {
        command: String,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        cwd: Option<String>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        name: Option<String>,
        confirmation: RunConfirmation,
    },
    /// Send the output of run `run` (an id or a unique prefix) from byte `from_offset`
    /// of its log, then its end; answered with `following` before the first chunk.
    FollowRun { run: String, from_offset: u64 },
    /// Stop sending run `run`'s output (answered with `done`).
    UnfollowRun { run: String },
    /// Keys for run `run` (`bytes` base64, at most [`MAX_INPUT_BYTES`]); only a run
    /// this server started takes input.
    RunInput { run: String, bytes: String },
    /// "Record this session": the post-session pipeline on session `session` (an id
    /// or key of the host's table) into the host's record store, confirmed on the
    /// local side for exactly that session; a session already recorded is not added
    /// twice.
    RecordSession {
        session: String,
        confirmation: RecordConfirmation,
    },
}

/// A successful answer, tagged by `"kind"`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "kebab-case")]
pub enum Answer {
    Transcript {
        session: Box<Session>,
        page: TranscriptPage,
    },
    TranscriptEntry {
        entry: Box<TranscriptEntry>,
    },
    Runs {
        runs: Vec<RunInfo>,
    },
    /// The log's bytes as text (invalid UTF-8 replaced).
    RunLog {
        run: Box<RunInfo>,
        text: String,
    },
    UsageRows {
        rows: Vec<(Session, Vec<UsageSlot>)>,
    },
    KillPlan {
        plan: KillPlan,
    },
    Killed {
        outcomes: Vec<KillOutcome>,
    },
    Records {
        /// The host's store file, to say where the records came from.
        store_path: String,
        records: Vec<Record>,
    },
    Record {
        record: Box<Record>,
    },
    Recorded {
        recorded: crate::views::SessionRecorded,
    },
    RunStarted {
        run: Box<RunInfo>,
    },
    Following {
        run: Box<RunInfo>,
    },
    /// Done, nothing to say.
    Done,
}

/// How the user said yes, on the machine they sit at.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum ConfirmedBy {
    /// The app's native dialog.
    Dialog,
    /// A y/N question on the terminal.
    Terminal,
    /// `--yes` on the command line.
    YesFlag,
}

/// The yes the local side obtained before asking a host to change anything.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Confirmation {
    pub by: ConfirmedBy,
    pub at: DateTime<Utc>,
    /// The host as the user named it in the question.
    pub host: String,
    /// Exactly what the question listed.
    pub targets: Vec<KillTarget>,
}

impl Confirmation {
    /// The yes `by` gave just now for every item of `plan` on `host`.
    pub fn for_plan(by: ConfirmedBy, host: &str, plan: &KillPlan) -> Confirmation {
        Confirmation {
            by,
            at: Utc::now(),
            host: host.to_string(),
            targets: plan.items.iter().map(|i| i.target.clone()).collect(),
        }
    }

    /// Whether this yes was given for exactly the items of `plan`.
    pub fn covers(&self, plan: &KillPlan) -> bool {
        let planned: Vec<&KillTarget> = plan.items.iter().map(|i| &i.target).collect();
        let confirmed: Vec<&KillTarget> = self.targets.iter().collect();
        !planned.is_empty() && planned == confirmed
    }
}

/// The yes the local side obtained before asking a host to start a run: the
/// question named `host`, `command` exactly and, when given, `cwd`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RunConfirmation {
    pub by: ConfirmedBy,
    pub at: DateTime<Utc>,
    pub host: String,
    pub command: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cwd: Option<String>,
}

impl RunConfirmation {
    /// The yes `by` gave just now to running `command` in `cwd` on `host`.
    pub fn now(by: ConfirmedBy, host: &str, command: &str, cwd: Option<&str>) -> Self {
        RunConfirmation {
            by,
            at: Utc::now(),
            host: host.to_string(),
            command: command.to_string(),
            cwd: cwd.map(str::to_string),
        }
    }

    /// Whether this yes was given for exactly this command in this directory.
    pub fn covers(&self, command: &str, cwd: Option<&str>) -> bool {
        !command.trim().is_empty() && self.command == command && self.cwd.as_deref() == cwd
    }
}

/// The yes the local side obtained before asking a host to record one of its sessions.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RecordConfirmation {
    pub by: ConfirmedBy,
    pub at: DateTime<Utc>,
    /// The host as the user named it in the question.
    pub host: String,
    /// The session the question named (as the request names it).
    pub session: String,
}

impl RecordConfirmation {
    /// The yes `by` gave just now to recording `session` on `host`.
    pub fn now(by: ConfirmedBy, host: &str, session: &str) -> Self {
        RecordConfirmation {
            by,
            at: Utc::now(),
            host: host.to_string(),
            session: session.to_string(),
        }
    }

    /// Whether this yes was given for exactly this session.
    pub fn covers(&self, session: &str) -> bool {
        !session.trim().is_empty() && self.session == session
    }
}

/// Bytes as the protocol carries them (standard base64).
pub fn encode_bytes(bytes: &[u8]) -> String {
    use base64::Engine;
    base64::engine::general_purpose::STANDARD.encode(bytes)
}

/// The bytes of a base64 field, refused when not base64 or longer than `max` once
/// decoded (checked before decoding: a huge field is never held twice).
pub fn decode_bytes(text: &str, max: usize) -> Result<Vec<u8>, String> {
    use base64::Engine;
    if text.len() / 4 * 3 > max + 2 {
        return Err(format!("more than {max} bytes in one message"));
    }
    let bytes = base64::engine::general_purpose::STANDARD
        .decode(text)
        .map_err(|e| format!("not base64: {e}"))?;
    if bytes.len() > max {
        return Err(format!("more than {max} bytes in one message"));
    }
    Ok(bytes)
}

/// Why a line could not be read.
#[derive(Debug, thiserror::Error)]
pub enum LineError {
    #[error("a line longer than {max} bytes")]
    TooLong { max: usize },
    #[error(transparent)]
    Io(#[from] io::Error),
}

/// Read one `\n`-terminated line into `buf` (cleared first, the newline dropped),
/// never holding more than `max` bytes. `Ok(false)` at end of input (a last line
/// without a newline is returned first).
pub fn read_line_capped(
    reader: &mut impl BufRead,
    buf: &mut Vec<u8>,
    max: usize,
) -> Result<bool, LineError> {
    buf.clear();
    loop {
        let chunk = match reader.fill_buf() {
            Ok(c) => c,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(e.into()),
        };
        if chunk.is_empty() {
            return Ok(!buf.is_empty());
        }
        let (take, done) = match memchr::memchr(b'\n', chunk) {
            Some(i) => (i, true),
            None => (chunk.len(), false),
        };
        if buf.len() + take > max {
            return Err(LineError::TooLong { max });
        }
        buf.extend_from_slice(&chunk[..take]);
        reader.consume(if done { take + 1 } else { take });
        if done {
            return Ok(true);
        }
    }
}

/// The start of a bad line, printable and short, for an error message.
pub fn preview(line: &[u8]) -> String {
    let text = String::from_utf8_lossy(&line[..line.len().min(200)]);
    let mut out: String = text
        .chars()
        .take(60)
        .map(|c| if c.is_control() { '·' } else { c })
        .collect();
    if text.chars().count() > 60 || line.len() > 200 {
        out.push('…');
    }
    out
}

/// One server line as JSON (no newline).
pub fn encode(message: &ServerMessage) -> Vec<u8> {
    serde_json::to_vec(message).unwrap_or_else(|e| {
        // Our own types always serialize; say so on the wire rather than panic.
        serde_json::to_vec(&ServerMessage::Reply {
            id: 0,
            answer: None,
            error: Some(format!("could not encode a message: {e}")),
        })
        .unwrap_or_default()
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hello_round_trips_with_its_wire_names() {
        let line = encode(&ServerMessage::Hello(Hello::this_build()));
        let text = String::from_utf8(line.clone()).unwrap();
        assert!(
            text.starts_with(r#"{"type":"hello","protocol":3,"#),
            "{text}"
        );
        let back: ServerMessage = serde_json::from_slice(&line).unwrap();
        assert_eq!(back, ServerMessage::Hello(Hello::this_build()));
        assert_eq!(encode(&ServerMessage::Beat), br#"{"type":"beat"}"#);
    }

    #[test]
    fn requests_read_as_documented() {
        let r: RequestLine = serde_json::from_str(
            r#"{"id":7,"request":{"kind":"run-log","run":"3f2a","max_bytes":100}}"#,
        )
        .unwrap();
        assert_eq!(
            r.request,
            Request::RunLog {
                run: "3f2a".into(),
                max_bytes: 100
            }
        );
        assert!(
            serde_json::from_str::<RequestLine>(r#"{"id":1,"request":{"kind":"rm"}}"#).is_err()
        );
        // Protocol 1's transcript request still reads (no cursor: the tail or the whole).
        let r: RequestLine = serde_json::from_str(
            r#"{"id":2,"request":{"kind":"transcript","session":"ab","last":5,"max_text_bytes":9}}"#,
        )
        .unwrap();
        assert!(matches!(
            r.request,
            Request::Transcript {
                from: None,
                before: None,
                last: Some(5),
                ..
            }
        ));
        let r: RequestLine = serde_json::from_str(
            r#"{"id":3,"request":{"kind":"transcript","session":"ab","last":null,"max_text_bytes":9,
                "from":{"offset":120,"index":4,"carry":null}}}"#,
        )
        .unwrap();
        let Request::Transcript {
            from: Some(from), ..
        } = r.request
        else {
            panic!("a cursor: {:?}", r.request);
        };
        assert_eq!((from.offset, from.index), (120, 4));
    }

    #[test]
    fn a_line_over_the_cap_is_an_error_not_an_allocation() {
        let data = vec![b'x'; 10_000];
        let mut r = io::BufReader::with_capacity(64, &data[..]);
        let mut buf = Vec::new();
        let err = read_line_capped(&mut r, &mut buf, 1000).unwrap_err();
        assert!(matches!(err, LineError::TooLong { max: 1000 }));
        assert!(buf.len() <= 1000);
    }

    #[test]
    fn lines_are_split_and_the_last_one_kept() {
        let mut r = io::BufReader::with_capacity(3, &b"ab\ncdef\ngh"[..]);
        let mut buf = Vec::new();
        let mut lines = Vec::new();
        while read_line_capped(&mut r, &mut buf, 100).unwrap() {
            lines.push(String::from_utf8(buf.clone()).unwrap());
        }
        assert_eq!(lines, ["ab", "cdef", "gh"]);
    }

    #[test]
    fn a_confirmation_covers_exactly_its_targets() {
        let t = |pid| KillTarget::Agent {
            pid,
            start_time: 1,
            session_key: "k".into(),
        };
        let item = |pid| crate::model::KillPlanItem {
            target: t(pid),
            label: String::new(),
            detail: String::new(),
            signals: Vec::new(),
        };
        let plan = KillPlan {
            items: vec![item(10)],
            skipped: Vec::new(),
            grace_ms: 0,
        };
        let yes = |targets| Confirmation {
            by: ConfirmedBy::Terminal,
            at: Utc::now(),
            host: "box".into(),
            targets,
        };
        assert!(yes(vec![t(10)]).covers(&plan));
        assert!(!yes(vec![t(11)]).covers(&plan));
        assert!(!yes(vec![t(10), t(11)]).covers(&plan));
        let empty = KillPlan {
            items: Vec::new(),
            ..plan
        };
        assert!(!yes(Vec::new()).covers(&empty));
    }

    #[test]
    fn run_messages_read_as_documented() {
        let r: RequestLine = serde_json::from_str(
            r#"{"id":4,"request":{"kind":"start-run","command":"make -j2","confirmation":
                {"by":"dialog","at":"2026-01-01T00:00:00Z","host":"box","command":"make -j2"}}}"#,
        )
        .unwrap();
        let Request::StartRun {
            command,
            cwd: None,
            name: None,
            confirmation,
        } = r.request
        else {
            panic!("{:?}", r.request);
        };
        assert!(confirmation.covers(&command, None));
        let r: RequestLine = serde_json::from_str(
            r#"{"id":5,"request":{"kind":"follow-run","run":"3f2a","from_offset":12}}"#,
        )
        .unwrap();
        assert_eq!(
            r.request,
            Request::FollowRun {
                run: "3f2a".into(),
                from_offset: 12
            }
        );
        // A start without a confirmation is not a request at all.
        assert!(serde_json::from_str::<RequestLine>(
            r#"{"id":6,"request":{"kind":"start-run","command":"rm -rf ~"}}"#
        )
        .is_err());
        let out = ServerMessage::RunOutput {
            run: "3f2a".into(),
            offset: 0,
            bytes: encode_bytes(b"hi\n\xff"),
        };
        let line = String::from_utf8(encode(&out)).unwrap();
        assert_eq!(
            line,
            r#"{"type":"run-output","run":"3f2a","offset":0,"bytes":"aGkK/w=="}"#
        );
        assert_eq!(serde_json::from_str::<ServerMessage>(&line).unwrap(), out);
    }

    #[test]
    fn a_run_confirmation_covers_exactly_its_command_and_directory() {
        let yes = RunConfirmation::now(ConfirmedBy::Terminal, "box", "make test", Some("/src"));
        assert!(yes.covers("make test", Some("/src")));
        assert!(!yes.covers("make test; rm -rf ~", Some("/src")));
        assert!(!yes.covers("make  test", Some("/src")));
        assert!(!yes.covers("make test", None));
        assert!(!yes.covers("make test", Some("/")));
        let blank = RunConfirmation::now(ConfirmedBy::YesFlag, "box", " ", None);
        assert!(!blank.covers(" ", None));
    }

    #[test]
    fn output_bytes_round_trip_and_bad_or_huge_fields_are_refused() {
        let all: Vec<u8> = (0..=255).collect();
        assert_eq!(decode_bytes(&encode_bytes(&all), 256).unwrap(), all);
        assert_eq!(decode_bytes("", 0).unwrap(), Vec::<u8>::new());
        assert!(decode_bytes("not base64!", 100)
            .unwrap_err()
            .contains("base64"));
        let huge = encode_bytes(&vec![7u8; MAX_OUTPUT_CHUNK + 1]);
        assert!(decode_bytes(&huge, MAX_OUTPUT_CHUNK)
            .unwrap_err()
            .contains("more than"));
        let exact = encode_bytes(&vec![7u8; MAX_OUTPUT_CHUNK]);
        assert_eq!(
            decode_bytes(&exact, MAX_OUTPUT_CHUNK).unwrap().len(),
            MAX_OUTPUT_CHUNK
        );
        // A field far too long is refused before it is decoded.
        let giant = "A".repeat(64 << 20);
        assert!(decode_bytes(&giant, MAX_OUTPUT_CHUNK).is_err());
        // A run-output line whose fields are of the wrong type is not a message.
        assert!(serde_json::from_str::<ServerMessage>(
            r#"{"type":"run-output","run":"x","offset":-1,"bytes":"AA=="}"#
        )
        .is_err());
        assert!(serde_json::from_str::<ServerMessage>(
            r#"{"type":"run-ended","run":"x","code":0}"#
        )
        .is_err());
    }

    #[test]
    fn previews_are_short_and_printable() {
        assert_eq!(preview(b"\x1b[31mhi\n"), "·[31mhi·");
        assert!(preview(&[b'a'; 500]).ends_with('…'));
    }
}
