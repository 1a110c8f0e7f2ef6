//! Gemini CLI chats: `$GEMINI_DATA_DIR` (default `~/.gemini/tmp`), laid out
//! `<project>/chats/session-<YYYY-MM-DDThh-mm>-<id8>.jsonl` (current) or `.json`
//! (older); sub-agent chats sit in `<project>/chats/<parent session id>/<id>.jsonl`.
//!
//! Read from gemini-cli's `chatRecordingService.ts` and ccusage's Gemini adapter:
//! - **JSONL** (append-only): a header {`sessionId`, `projectHash`, `startTime`,
//!   `lastUpdated`, `kind` (`main` | `subagent`), `directories`}, then one message per
//!   line. A message is rewritten by appending it again with the same `id` (the later
//!   line wins); `{"$set": {...}}` lines update metadata (`summary`, ...);
//!   `{"$rewindTo": id}` lines drop messages from the conversation view.
//! - **JSON** (whole file, rewritten on every change): the same header fields plus
//!   `messages: [...]`.
//! - Message: {`id`, `timestamp`, `type` (`user` | `gemini` | `info` | `error` |
//!   `warning`), `content` (string or parts `[{text}]`), `toolCalls` [{`id`, `name`,
//!   `status` (`success` | `error` | `cancelled` | still running), ...}], `thoughts`,
//!   `model`, `tokens` {`input`, `output`, `cached`, `thoughts`, `tool`, `total`}}.
//! - The project is known only by `projectHash`, the SHA-256 of its root path; newer
//!   versions name the folder after the project and write its path in
//!   `<project>/.project_root`, which we read when present.
//!
//! Token rules (ccusage's): only `gemini` messages with `tokens` and a model count (in
//! JSONL a model seen on an earlier line is inherited, in JSON it is not); `cached`
//! overlaps `input` (input becomes `input - min(input, cached)`) only when `total`
//! equals `input + output + thoughts + tool`; `tool` tokens are input; cache-read =
//! `cached`; when `total` exceeds what is accounted for, the excess becomes output if
//! output is 0 (otherwise it is reasoning, which ccusage does not show as output).
//! `$rewindTo` does not refund tokens: usage of rewound messages still counts, and so
//! do their messages (ccusage ignores rewinds too).

pub(super) mod transcript;
mod wire;

use std::collections::HashMap;
use std::path::Path;

use serde_json::{Map, Value};

use super::roots::{var, AgentPaths, Base};
use super::transcript::Reader;
use super::TurnState;
use super::{file_stem, parse_ts, title_from, TranscriptFacts, TranscriptParser};
use super::{Agent, FileMode};
use crate::model::{Harness, Usage};
use crate::pricing;
use wire::{FileItem, LineKind, Message, Record};

const TITLE_MAX: usize = 120;

/// `<project>/chats/*.json[l]` or `<project>/chats/<parent>/*.jsonl`.
pub fn is_transcript(root: &Path, path: &Path) -> bool {
    let Ok(rel) = path.strip_prefix(root) else {
        return false;
    };
    let parts: Vec<_> = rel.components().map(|c| c.as_os_str()).collect();
    let ext_ok = path
        .extension()
        .is_some_and(|e| e == "jsonl" || e == "json");
    ext_ok
        && match parts.len() {
            3 => parts[1] == "chats",
            4 => parts[1] == "chats" && path.extension().is_some_and(|e| e == "jsonl"),
            _ => false,
        }
}

/// The file stem is the id; a sub-agent's parent is the folder it sits in under `chats/`.
pub fn ids_from_path(path: &Path) -> (String, Option<String>) {
    let parent_dir = path.parent();
    let parent = parent_dir
        .filter(|d| {
            d.parent()
                .and_then(Path::file_name)
                .is_some_and(|n| n == "chats")
        })
        .and_then(Path::file_name)
        .map(|n| n.to_string_lossy().into_owned());
    (file_stem(path), parent)
}

/// What one message contributes, kept so a rewritten message can replace it.
#[derive(Clone, Default)]
struct MessageSummary {
    user: bool,
    gemini: bool,
    usage: Option<Usage>,
    cost: Option<f64>,
    tool_calls: u32,
    tool_errors: u32,
    tools_running: bool,
}

/// Folds a Gemini chat: line by line for JSONL, or all messages of a JSON file.
pub struct GeminiTranscript {
    facts: TranscriptFacts,
    /// Message id → its current contribution.
    messages: HashMap<String, MessageSummary>,
    models_hint: Option<String>,
    inherit_model: bool,
    header_time: Option<chrono::DateTime<chrono::Utc>>,
    summary: Option<String>,
    seen_user_title: bool,
    anonymous: u64,
}

impl GeminiTranscript {
    pub fn new(path: &Path) -> Self {
        let project = path
            .parent()
            .and_then(|d| {
                d.ancestors()
                    .find(|a| a.file_name().is_some_and(|n| n == "chats"))
            })
            .and_then(Path::parent)
            .and_then(|proj| std::fs::read_to_string(proj.join(".project_root")).ok())
            .map(|s| s.trim().to_string())
            .filter(|s| !s.is_empty());
        GeminiTranscript {
            facts: TranscriptFacts {
                project,
                ..Default::default()
            },
            messages: HashMap::new(),
            models_hint: None,
            inherit_model: true,
            header_time: None,
            summary: None,
            seen_user_title: false,
            anonymous: 0,
        }
    }

    fn apply_record(&mut self, rec: Record<'_>) {
        let kind = rec.kind();
        match kind {
            LineKind::Set(set) => {
                if let Some(s) = set.get("summary").and_then(Value::as_str) {
                    self.summary = title_from(s, TITLE_MAX);
                    if !self.seen_user_title {
                        self.facts.title = self.summary.clone();
                    }
                }
                if let Some(t) = parse_ts(set.get("lastUpdated").and_then(Value::as_str)) {
                    self.facts.note_time(t);
                }
                return;
            }
            LineKind::Rewind(_) => return,
            LineKind::Message(_) | LineKind::Other => {}
        }
        if let Some(id) = rec.session_id() {
            self.facts.id = Some(id.to_string());
        }
        if let Some(h) = rec.project_hash() {
            self.facts.project_hash = Some(h.to_string());
        }
        for key in ["startTime", "lastUpdated"] {
            if let Some(t) = rec.time(key) {
                self.facts.note_time(t);
                if key == "startTime" {
                    self.header_time = Some(t);
                }
            }
        }
        if self.inherit_model {
            if let Some(m) = rec.model() {
                self.models_hint = Some(m.to_string());
            }
        }
        if let LineKind::Message(m) = kind {
            self.apply_message(m);
        }
    }

    fn apply_message(&mut self, m: Message<'_>) {
        let id = match m.id() {
            Some(id) => id.to_string(),
            None => {
                self.anonymous += 1;
                format!("\u{0}{}", self.anonymous)
            }
        };
        if let Some(t) = m.timestamp() {
            self.facts.note_time(t);
        }
        let kind = m.kind();
        let model = m
            .model()
            .map(str::to_string)
            .or_else(|| self.models_hint.clone().filter(|_| self.inherit_model));
        let mut s = MessageSummary {
            user: kind == "user" && !m.is_tool_results(),
            gemini: kind == "gemini",
            ..Default::default()
        };
        if s.gemini {
            if let (Some(model), Some((usage, reasoning))) = (model.as_deref(), m.usage()) {
                // ccusage bills thoughts (and any unseen part of `total`) as output.
                let mut billed = usage;
                billed.output_tokens = billed.output_tokens.saturating_add(reasoning);
                s.cost = pricing::message_cost(model, &billed, 0);
                s.usage = Some(usage);
            }
            if let Some(model) = model.as_deref() {
                self.facts.note_model(model);
            }
            let calls: Option<Vec<_>> = m.tool_calls().map(Iterator::collect);
            // 0.61 writes the model's answer (with its tokens) before running the
            // function it asked for, and adds `toolCalls` only once that has run: an
            // answered message without text or calls is a tool running now.
            let silent = m.content_text().is_none_or(|t| t.trim().is_empty());
            if calls.as_ref().is_none_or(|c| c.is_empty()) && silent && m.has_tokens() {
                s.tools_running = true;
            }
            for c in calls.into_iter().flatten() {
                s.tool_calls += 1;
                match c.status() {
                    Some("error") => s.tool_errors += 1,
                    Some("success" | "cancelled") => {}
                    _ => s.tools_running = true,
                }
            }
        }
        if s.user && !self.seen_user_title {
            if let Some(t) = m.content_text().and_then(|t| title_from(&t, TITLE_MAX)) {
                self.facts.title = Some(t);
                self.seen_user_title = true;
            }
        }
        let id_key = id.clone();
        let old = self.messages.insert(id, s.clone()).unwrap_or_default();
        // A rewrite without usable tokens keeps the tokens already counted (ccusage
        // keeps the earlier event in that case).
        let (new_usage, new_cost) = match s.usage {
            Some(u) => (Some(u), s.cost),
            None => (old.usage, old.cost),
        };
        if let Some(entry) = self.messages.get_mut(&id_key) {
            entry.usage = new_usage;
            entry.cost = new_cost;
        }
        let f = &mut self.facts;
        f.user_messages = f.user_messages + s.user as u32 - old.user as u32;
        f.assistant_messages = f.assistant_messages + s.gemini as u32 - old.gemini as u32;
        f.tool_calls = f.tool_calls + s.tool_calls - old.tool_calls;
        f.tool_errors = f.tool_errors + s.tool_errors - old.tool_errors;
        if let Some(u) = old.usage {
            sub_usage(&mut f.usage, &u);
        }
        if let Some(u) = new_usage {
            f.usage.add(&u);
        }
        if let Some(c) = old.cost {
            *f.cost_usd.get_or_insert(0.0) -= c;
        }
        f.add_cost(new_cost);
        match kind {
            "user" => f.turn = TurnState::AwaitingModel,
            "gemini" => {
                f.turn = if s.tools_running {
                    TurnState::ToolPending
                } else if s.tool_calls > 0 {
                    // Tools finished inside this message: the model is called again.
                    TurnState::AwaitingModel
                } else {
                    TurnState::TurnEnded
                }
            }
            "error" => f.turn = TurnState::Errored,
            _ => {}
        }
    }
}

fn sub_usage(total: &mut Usage, u: &Usage) {
    total.input_tokens = total.input_tokens.saturating_sub(u.input_tokens);
    total.output_tokens = total.output_tokens.saturating_sub(u.output_tokens);
    total.cache_creation_tokens = total
        .cache_creation_tokens
        .saturating_sub(u.cache_creation_tokens);
    total.cache_read_tokens = total.cache_read_tokens.saturating_sub(u.cache_read_tokens);
}

impl TranscriptParser for GeminiTranscript {
    fn apply_line(&mut self, line: &[u8]) {
        if let Some(obj) = wire::decode_line(line, &mut self.facts.parse_errors) {
            self.apply_record(Record(&obj));
        }
    }

    fn facts(&self) -> &TranscriptFacts {
        &self.facts
    }
}

/// Folds an older `.json` chat as it is decoded, one message at a time.
struct JsonFold {
    t: GeminiTranscript,
    header: Map<String, Value>,
}

impl JsonFold {
    fn new(path: &Path) -> Self {
        let mut t = GeminiTranscript::new(path);
        // In a JSON file a message's model is not inherited from earlier ones (ccusage).
        t.inherit_model = false;
        JsonFold {
            t,
            header: Map::new(),
        }
    }

    fn item(&mut self, item: FileItem) {
        match item {
            FileItem::Header(key, value) => {
                self.header.insert(key, value);
            }
            FileItem::Message(v) => self.message(&v),
        }
    }

    fn message(&mut self, v: &Value) {
        match v {
            Value::Object(o) => {
                if let Some(m) = Message::of(o) {
                    self.t.apply_message(m);
                }
            }
            _ => self.t.facts.parse_errors += 1,
        }
    }

    /// The facts of what was read; a decoding error (a file cut short while it is
    /// rewritten, or not a chat) counts as one parse error. The header applies
    /// whatever its place in the file (its fields only set ids and widen times).
    fn finish(mut self, decoded: serde_json::Result<()>) -> TranscriptFacts {
        if decoded.is_err() {
            self.t.facts.parse_errors += 1;
        }
        let t = &mut self.t;
        t.apply_record(Record(&self.header));
        if let Some(summary) = t.summary.clone().filter(|_| !t.seen_user_title) {
            t.facts.title = Some(summary);
        }
        self.t.facts
    }
}

/// Rebuild the facts of an older whole-file `.json` chat from its content.
pub fn parse_json_file(path: &Path, content: &[u8]) -> TranscriptFacts {
    let mut fold = JsonFold::new(path);
    let text = String::from_utf8_lossy(content);
    if text.trim().is_empty() {
        return fold.t.facts;
    }
    let decoded = wire::stream_file_str(&text, &mut |item| fold.item(item));
    fold.finish(decoded)
}

/// The facts of the `.json` chat at `path`: read whole (invalid UTF-8 replaced) when it
/// is at most `max` bytes, else decoded from the file as a stream, one message at a
/// time, so memory is bounded by the largest message rather than the file. Both
/// decode with the same code ([`wire::stream_file`]).
pub fn read_json_file(path: &Path, max: u64) -> std::io::Result<TranscriptFacts> {
    match crate::agent_file::read_whole(path, max) {
        Ok(bytes) => return Ok(parse_json_file(path, &bytes)),
        Err(e) if e.kind() == std::io::ErrorKind::FileTooLarge => {}
        Err(e) => return Err(e),
    }
    if let Some(mut store) = super::transcript::offsets::scan_store() {
        return read_json_indexed(path, &mut store);
    }
    let file = crate::agent_file::open(path)?;
    let mut fold = JsonFold::new(path);
    let reader = std::io::BufReader::with_capacity(1 << 20, file);
    let decoded = wire::stream_file(reader, &mut |item| fold.item(item));
    match decoded {
        // A read that failed is the file's problem, not its content's.
        Err(e) if e.is_io() => Err(e.into()),
        decoded => Ok(fold.finish(decoded)),
    }
}

/// The facts of the `.json` chat at `path`, decoded in the one pass that builds its
/// offset index, which is left in `store` (issue 17: a big chat opens at once, with
/// no second pass). Decoded as [`read_json_file`] streams it (a scan of the
/// document's structure, then serde for each message and header field; invalid UTF-8
/// replaced, as in memory), so the facts are the same. A file that changed during
/// the pass gives its facts but leaves no index.
pub(crate) fn read_json_indexed(
    path: &Path,
    store: &mut super::transcript::offsets::OffsetStore,
) -> std::io::Result<TranscriptFacts> {
    use super::transcript::doc_offsets::{index_visiting, Failure, Seen};
    use super::transcript::TranscriptError;
    let mut fold = JsonFold::new(path);
    let indexed = index_visiting(path, &transcript::DOCUMENT, &mut |seen| match seen {
        Seen::Header(key, value) => fold.item(FileItem::Header(key, value)),
        Seen::Element(v) => fold.message(v),
    });
    let broken = match indexed {
        Ok((idx, broken)) => {
            store.keep_document(Harness::Gemini, path, idx);
            broken
        }
        Err(Failure::Changed) => false,
        Err(Failure::Error(TranscriptError::NotFound(_))) => {
            return Err(std::io::ErrorKind::NotFound.into())
        }
        Err(Failure::Error(TranscriptError::Io { source, .. })) => return Err(source),
        Err(Failure::Error(e)) => return Err(std::io::Error::other(e.to_string())),
    };
    let decoded = if broken {
        Err(serde::de::Error::custom("broken"))
    } else {
        Ok(())
    };
    Ok(fold.finish(decoded))
}

/// Gemini CLI as an [`Agent`](crate::agents::Agent).
pub struct Gemini;

static PATHS: AgentPaths = AgentPaths {
    vars: &[
        var("GEMINI_DATA_DIR", true, &[&[]]),
        var("GEMINI_CLI_HOME", false, &[&[".gemini", "tmp"]]),
    ],
    defaults: &[(Base::Home, &[".gemini", "tmp"])],
};

impl Agent for Gemini {
    fn harness(&self) -> Harness {
        Harness::Gemini
    }
    fn paths(&self) -> &'static AgentPaths {
        &PATHS
    }
    fn is_transcript(&self, root: &Path, path: &Path) -> bool {
        is_transcript(root, path)
    }
    fn ids_from_path(&self, path: &Path) -> (String, Option<String>) {
        ids_from_path(path)
    }
    fn id_from_records(&self) -> bool {
        true
    }
    /// The older `.json` chats are rewritten whole on every change.
    fn file_mode(&self, path: &Path) -> FileMode {
        if path.extension().is_some_and(|e| e == "json") {
            FileMode::WholeFile
        } else {
            FileMode::Lines
        }
    }
    fn parser(&self, path: &Path) -> Box<dyn TranscriptParser> {
        Box::new(GeminiTranscript::new(path))
    }
    fn parse_whole_file(&self, path: &Path, content: &[u8]) -> TranscriptFacts {
        parse_json_file(path, content)
    }
    fn read_whole_file(&self, path: &Path, max: u64) -> std::io::Result<TranscriptFacts> {
        read_json_file(path, max)
    }
    fn transcript_reader(&self) -> Reader {
        Reader::Whole(transcript::read_whole)
    }
    /// An older `.json` chat: its `messages`, paged through an offset index.
    fn document(&self, path: &Path) -> Option<&'static super::transcript::Document> {
        path.extension()
            .is_some_and(|e| e == "json")
            .then_some(&transcript::DOCUMENT)
    }
    /// A `.jsonl` chat: its messages, paged through an index of their latest copies.
    fn log(&self, path: &Path) -> Option<&'static super::transcript::KeyedLog> {
        path.extension()
            .is_some_and(|e| e == "jsonl")
            .then_some(&transcript::LOG)
    }
    fn is_program(&self, name: &str) -> bool {
        name == "gemini"
    }
    fn is_script(&self, arg: &str, _after_dash_m: bool) -> bool {
        arg.contains("gemini-cli") || arg.ends_with("/gemini")
    }
    /// Gemini CLI (0.61) prints a failed model call and exits, writing no record.
    fn errors_unrecorded(&self) -> bool {
        true
    }
    /// Gemini CLI names a project folder by the SHA-256 (hex) of its root path.
    fn project_hash(&self, cwd: &Path) -> Option<String> {
        use sha2::{Digest, Sha256};
        let digest = Sha256::digest(cwd.to_string_lossy().as_bytes());
        Some(digest.iter().map(|b| format!("{b:02x}")).collect())
    }
}

/// A generated `.json` chat of `n` turns (a prompt, then an answer with tokens, a
/// thought and a tool call, a failed one every third turn), for the tests that read it
/// whole and streamed.
#[cfg(test)]
pub(crate) fn write_chat(path: &Path, n: usize) -> Vec<u8> {
    let mut messages = Vec::new();
    for i in 0..n {
        messages.push(serde_json::json!({
            "id": format!("u{i}"), "timestamp": format!("2026-11-20T10:{:02}:00.000Z", i % 60),
            "type": "user", "content": format!("question {i} {}", "x".repeat(i % 7 * 40)),
        }));
        let status = if i % 3 == 2 { "error" } else { "success" };
        messages.push(serde_json::json!({
            "id": format!("g{i}"), "timestamp": format!("2026-11-20T11:{:02}:00.000Z", i % 60),
            "type": "gemini", "content": format!("answer {i}"), "model": "gemini-2.5-pro",
            "thoughts": [{"subject": "Plan", "description": format!("step {i}")}],
            "toolCalls": [{"id": format!("c{i}"), "name": "read_file", "status": status,
                "args": {"path": "a.rs"}, "resultDisplay": format!("result {i}")}],
            "tokens": {"input": 1000 + i, "output": 50, "cached": 200, "thoughts": 7,
                "tool": 0, "total": 1057 + i},
        }));
    }
    let chat = serde_json::json!({
        "sessionId": "0d3f7a1e-1111-4222-8333-944445555666",
        "projectHash": "5d41402abc4b2a76b9719d911017c5925d41402abc4b2a76b9719d911017c592",
        "startTime": "2026-11-20T09:59:00.000Z",
        "messages": messages,
        "lastUpdated": "2026-11-20T12:00:00.000Z",
    });
    let bytes = serde_json::to_vec_pretty(&chat).unwrap();
    std::fs::write(path, &bytes).unwrap();
    bytes
}

#[cfg(test)]
mod tests {
    use super::*;

    fn u(json: &str) -> Option<Usage> {
        wire::usage_of(&serde_json::from_str(json).unwrap()).map(|(u, _)| u)
    }

    #[test]
    fn cached_overlaps_input_only_when_total_says_so() {
        // total = input+output+thoughts+tool → cached is inside input.
        let a =
            u(r#"{"input":1000,"output":100,"cached":400,"thoughts":50,"tool":0,"total":1150}"#)
                .unwrap();
        assert_eq!(
            (a.input_tokens, a.cache_read_tokens, a.output_tokens),
            (600, 400, 100)
        );
        // total includes cached on top → cached is extra.
        let b =
            u(r#"{"input":1000,"output":100,"cached":400,"thoughts":50,"tool":0,"total":1550}"#)
                .unwrap();
        assert_eq!((b.input_tokens, b.cache_read_tokens), (1000, 400));
        // Tool tokens are input; a total beyond the parts fills a zero output.
        let c = u(r#"{"input":10,"output":0,"cached":0,"tool":5,"total":40}"#).unwrap();
        assert_eq!((c.input_tokens, c.output_tokens), (15, 25));
        assert_eq!(u(r#"{"input":0,"output":0}"#), None);
    }

    #[test]
    fn a_rewritten_message_replaces_its_earlier_version() {
        let mut t = GeminiTranscript::new(Path::new("/nowhere/chats/s.jsonl"));
        for l in [
            r#"{"sessionId":"s1","projectHash":"ab","startTime":"2026-01-01T00:00:00Z","lastUpdated":"2026-01-01T00:00:00Z","kind":"main"}"#,
            r#"{"id":"u1","timestamp":"2026-01-01T00:00:01Z","type":"user","content":[{"text":"refactor "},{"text":"it"}]}"#,
            r#"{"id":"g1","timestamp":"2026-01-01T00:00:02Z","type":"gemini","content":"","model":"gemini-2.5-pro","toolCalls":[{"id":"t1","name":"run_shell_command","status":"executing"}],"tokens":{"input":100,"output":10,"cached":0,"thoughts":0,"tool":0,"total":110}}"#,
        ] {
            t.apply_line(l.as_bytes());
        }
        assert_eq!(t.facts().turn, TurnState::ToolPending);
        t.apply_line(br#"{"id":"g1","timestamp":"2026-01-01T00:00:03Z","type":"gemini","content":"","model":"gemini-2.5-pro","toolCalls":[{"id":"t1","name":"run_shell_command","status":"error"}],"tokens":{"input":100,"output":10,"cached":0,"thoughts":0,"tool":0,"total":110}}"#);
        let f = t.facts();
        assert_eq!(f.turn, TurnState::AwaitingModel);
        assert_eq!(
            (f.assistant_messages, f.tool_calls, f.tool_errors),
            (1, 1, 1)
        );
        assert_eq!(f.usage.input_tokens, 100);
        assert_eq!(f.title.as_deref(), Some("refactor it"));
        assert_eq!(f.id.as_deref(), Some("s1"));
        assert_eq!(f.project_hash.as_deref(), Some("ab"));
    }

    #[test]
    fn a_tool_runs_between_an_answer_without_text_and_its_results() {
        // Gemini CLI 0.61.0, as written around a shell command (suite, scenario tool).
        let mut t = GeminiTranscript::new(Path::new("/r/p/chats/session-x.jsonl"));
        let answer = r#"{"id":"g1","timestamp":"2026-12-07T12:53:05.996Z","type":"gemini","content":"","thoughts":[],"tokens":{"input":700,"output":61,"cached":0,"thoughts":0,"tool":0,"total":761},"model":"gemini-3.8-flash"}"#;
        for l in [
            r#"{"id":"u1","timestamp":"2026-12-07T12:53:05.628Z","type":"user","content":[{"text":"Check the build and report back"}]}"#,
            answer,
        ] {
            t.apply_line(l.as_bytes());
        }
        assert_eq!(
            t.facts().turn,
            TurnState::ToolPending,
            "while the command runs"
        );
        let called = answer.replace(
            r#""model":"gemini-3.8-flash"}"#,
            r#""model":"gemini-3.8-flash","toolCalls":[{"id":"c1","name":"run_shell_command","status":"success"}]}"#,
        );
        t.apply_line(called.as_bytes());
        t.apply_line(br#"{"id":"u2","timestamp":"2026-12-07T12:53:06.922Z","type":"user","content":[{"functionResponse":{"id":"c1","name":"run_shell_command","response":{"output":"tool finished"}}}]}"#);
        assert_eq!(t.facts().turn, TurnState::AwaitingModel);
        t.apply_line(br#"{"id":"g2","timestamp":"2026-12-07T12:53:07.108Z","type":"gemini","content":"The command finished.","thoughts":[],"tokens":{"input":905,"output":44,"cached":0,"thoughts":0,"tool":0,"total":949},"model":"gemini-3.8-flash"}"#);
        let f = t.facts();
        assert_eq!(f.turn, TurnState::TurnEnded);
        assert_eq!(
            (f.user_messages, f.assistant_messages),
            (1, 2),
            "a tool result is no prompt"
        );
        assert_eq!((f.usage.input_tokens, f.usage.output_tokens), (1605, 105));
        assert_eq!(f.title.as_deref(), Some("Check the build and report back"));
    }

    #[test]
    fn whole_json_files_parse_and_bad_ones_count_an_error() {
        let json = br#"{"sessionId":"s2","projectHash":"cd","startTime":"2026-01-01T00:00:00Z","lastUpdated":"2026-01-01T00:01:00Z","messages":[{"id":"a","type":"user","content":"hi","timestamp":"2026-01-01T00:00:01Z"},{"id":"b","type":"gemini","content":"yo","timestamp":"2026-01-01T00:00:02Z","tokens":{"input":5,"output":1,"total":6}},{"id":"c","type":"gemini","model":"gemini-2.5-flash","content":"ok","timestamp":"2026-01-01T00:00:03Z","tokens":{"input":7,"output":2,"total":9}}]}"#;
        let f = parse_json_file(Path::new("/x/chats/session-1.json"), json);
        assert_eq!(f.assistant_messages, 2);
        // "b" has no model: ccusage drops its tokens in JSON files.
        assert_eq!(f.usage.input_tokens, 7);
        assert_eq!(f.turn, TurnState::TurnEnded);
        assert_eq!(
            parse_json_file(Path::new("/x/a.json"), b"{\"sessionId\":").parse_errors,
            1
        );
        assert_eq!(parse_json_file(Path::new("/x/a.json"), b"").parse_errors, 0);
    }

    #[test]
    fn paths() {
        let root = Path::new("/g/tmp");
        assert!(is_transcript(
            root,
            Path::new("/g/tmp/abc/chats/session-1.json")
        ));
        assert!(is_transcript(
            root,
            Path::new("/g/tmp/abc/chats/p1/child.jsonl")
        ));
        assert!(!is_transcript(root, Path::new("/g/tmp/abc/logs.json")));
        assert_eq!(
            ids_from_path(Path::new("/g/tmp/abc/chats/p1/child.jsonl")),
            ("child".into(), Some("p1".into()))
        );
        assert_eq!(ids_from_path(Path::new("/g/tmp/abc/chats/s.jsonl")).1, None);
    }

    /// Totals written by hand; see tests/fixtures/gemini/README.md.
    #[test]
    fn fixture_totals() {
        use crate::agents::fixture_support::sessions;
        use crate::model::Harness;
        let s = sessions(Harness::Gemini, "gemini/tmp");
        assert_eq!(s.len(), 4);
        let json = &s["aaaa1111-0000-4000-8000-00000000a001"];
        assert_eq!(
            json.usage,
            Usage {
                input_tokens: 2430,
                output_tokens: 300,
                cache_creation_tokens: 0,
                cache_read_tokens: 1100
            }
        );
        assert_eq!((json.user_messages, json.assistant_messages), (1, 3));
        assert_eq!((json.tool_calls, json.tool_errors), (1, 1));
        assert_eq!(json.title.as_deref(), Some("Summarise the open issues"));
        // Priced as gemini-2.5-pro, thoughts billed as output ($/M: 1.25 in, 0.125
        // cached, 10 out): (400·1.25 + 600·0.125 + 250·10) + (2030·1.25 + 500·0.125 +
        // 100·10) = 3075 + 3600 per million; the model-less message costs nothing.
        assert!((json.cost_usd.unwrap() - 0.006675).abs() < 1e-12);
        let main = &s["bbbb2222-0000-4000-8000-00000000b002"];
        assert_eq!(
            main.usage,
            Usage {
                input_tokens: 400,
                output_tokens: 110,
                cache_creation_tokens: 0,
                cache_read_tokens: 0
            }
        );
        assert_eq!(main.project.as_deref(), Some("/home/dev/web"));
        assert_eq!(main.title.as_deref(), Some("Add a dark mode toggle"));
        assert_eq!(
            main.assistant_messages, 2,
            "the rewritten message counts once"
        );
        assert_eq!(main.parse_errors, 1);
        let child = &s["helper-7c1d"];
        assert_eq!(
            child.parent_id.as_deref(),
            Some("bbbb2222-0000-4000-8000-00000000b002")
        );
        assert_eq!(child.usage.input_tokens, 80);
        assert_eq!(s["session-2026-11-20T12-00-empty000"].message_count(), 0);
    }

    #[test]
    fn a_rewritten_json_file_is_read_again_whole() {
        let dir = tempfile::tempdir().unwrap();
        let chats = dir.path().join("p").join("chats");
        std::fs::create_dir_all(&chats).unwrap();
        let file = chats.join("session-1.json");
        let one = r#"{"sessionId":"s","projectHash":"h","messages":[{"id":"a","type":"user","content":"hi","timestamp":"2026-01-01T00:00:00Z"}]}"#;
        std::fs::write(&file, one).unwrap();
        let mut idx = crate::sessions::index::SessionIndex::new(vec![crate::agents::HarnessRoot {
            harness: crate::model::Harness::Gemini,
            path: dir.path().to_path_buf(),
        }]);
        idx.scan_all(chrono::Utc::now());
        assert_eq!(idx.sessions()[0].message_count(), 1);
        let two = r#"{"sessionId":"s","projectHash":"h","messages":[{"id":"a","type":"user","content":"hi","timestamp":"2026-01-01T00:00:00Z"},{"id":"b","type":"gemini","model":"gemini-2.5-pro","content":"yo","timestamp":"2026-01-01T00:00:05Z","tokens":{"input":9,"output":1,"total":10}}]}"#;
        std::fs::write(&file, two).unwrap();
        let c = idx.paths_changed(std::slice::from_ref(&file), chrono::Utc::now());
        assert_eq!(c.upserted.len(), 1);
        assert_eq!(
            c.upserted[0].message_count(),
            2,
            "not 3: the file is re-read, not appended"
        );
        assert_eq!(c.upserted[0].usage.input_tokens, 9);
    }

    /// Issue 17 (4): a FIFO named like a chat, in either shape, hangs neither the
    /// scan nor any transcript reader: each says what it is and goes on.
    #[cfg(unix)]
    #[test]
    fn a_fifo_named_like_a_chat_hangs_neither_the_scan_nor_the_readers() {
        use crate::agents::transcript::offsets::OffsetStore;
        use crate::agents::transcript::{
            read_all_entries, read_entry_full, read_transcript, read_transcript_tail,
            TranscriptCursor,
        };
        use crate::model::Harness::Gemini as G;
        let dir = tempfile::tempdir().unwrap();
        let chats = dir.path().join("p").join("chats");
        std::fs::create_dir_all(&chats).unwrap();
        write_chat(&chats.join("session-2026-11-20T10-00-aaaa0000.json"), 3);
        let fifos = [
            chats.join("session-2026-11-20T10-00-ffff0000.json"),
            chats.join("session-2026-11-20T10-00-ffff0001.jsonl"),
        ];
        for f in &fifos {
            crate::agent_file::tests::mkfifo(f);
        }
        let (tx, rx) = std::sync::mpsc::channel();
        let (root, paths) = (dir.path().to_path_buf(), fifos.clone());
        std::thread::spawn(move || {
            let mut idx =
                crate::sessions::index::SessionIndex::new(vec![crate::agents::HarnessRoot {
                    harness: G,
                    path: root,
                }]);
            idx.scan_all(chrono::Utc::now());
            let mut store = OffsetStore::in_memory();
            let start = TranscriptCursor::default();
            let mut refused = Vec::new();
            for f in &paths {
                refused.extend([
                    read_transcript(G, f, &start, 10, 100).is_err(),
                    read_transcript_tail(G, f, 10, 100).is_err(),
                    read_all_entries(G, f, 100).is_err(),
                    read_entry_full(G, f, &start, 0).is_err(),
                    store.tail(G, f, 5, 100).is_err(),
                    store.before(G, f, 10, 5, 100).is_err(),
                    store.page(G, f, &start, 5, 100).is_err(),
                    store.entry_full(G, f, &start, 0).is_err(),
                ]);
            }
            let _ = tx.send((idx.sessions().len(), idx.read_errors.clone(), refused));
        });
        let (sessions, errors, refused) = rx
            .recv_timeout(std::time::Duration::from_secs(10))
            .expect("the scan and the readers answer, not wait on the FIFO");
        assert_eq!(sessions, 1, "the real chat is listed");
        for f in &fifos {
            let said = format!("{}: skipped: a FIFO, not a regular file", f.display());
            assert!(errors.contains(&said), "{said} in {errors:?}");
        }
        assert_eq!(refused, vec![true; 16], "every reader refuses it");
    }

    /// Issue 17 (1): a chat the listing decodes as a stream leaves its offset index
    /// from that same pass, with the same facts as a whole read (also when cut
    /// short), and its first page is then read from the index, not the file.
    #[test]
    fn a_big_chat_listed_leaves_its_index_and_opens_without_another_pass() {
        use crate::agents::transcript::doc_offsets::tests::bytes_read;
        use crate::agents::transcript::offsets::{OffsetStore, MARK_BYTES};
        use crate::agents::transcript::read_transcript_tail;
        use crate::model::Harness::Gemini as G;
        const MAX: usize = crate::agents::transcript::DEFAULT_MAX_TEXT_BYTES;
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("session-2026-11-20T10-00-0d3f7a1e.json");
        let bytes = write_chat(&p, 3000);
        let size = bytes.len() as u64;
        assert!(size > 2 * MARK_BYTES, "{size}");
        let db = dir.path().join("offsets.sqlite3");
        let (facts, read) = bytes_read(|| read_json_indexed(&p, &mut OffsetStore::open(&db)));
        assert_eq!(facts.unwrap(), parse_json_file(&p, &bytes));
        assert!(
            read >= size && read < size + 4096,
            "one pass: {read} of {size}"
        );
        // Another store (the next process) pages it from the index at once.
        let (page, read) = bytes_read(|| OffsetStore::open(&db).tail(G, &p, 20, MAX).unwrap());
        assert_eq!(page, read_transcript_tail(G, &p, 20, MAX).unwrap());
        assert!(read <= MARK_BYTES + (2 << 20), "read {read} of {size}");
        // Cut short, or not a chat: the same facts as a whole read, and no panic.
        let cut_path = dir.path().join("session-2026-11-20T10-00-cut00000.json");
        let mut store = OffsetStore::in_memory();
        let cuts = (1..bytes.len())
            .step_by(bytes.len() / 97)
            .chain([0, bytes.len() - 1]);
        for cut in cuts {
            std::fs::write(&cut_path, &bytes[..cut]).unwrap();
            let f = read_json_indexed(&cut_path, &mut store).unwrap();
            assert_eq!(f, parse_json_file(&cut_path, &bytes[..cut]), "cut at {cut}");
        }
        for junk in [
            &b"[1, 2]"[..],
            b"\xff\xfe{\"messages\": [",
            b"{\"messages\": 7}",
            b"{\"a\": 1} trailing",
        ] {
            std::fs::write(&cut_path, junk).unwrap();
            let f = read_json_indexed(&cut_path, &mut store).unwrap();
            assert_eq!(f, parse_json_file(&cut_path, junk), "{junk:?}");
        }
    }

    #[test]
    fn a_chat_over_the_cap_is_streamed_to_the_same_facts() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("session-2026-11-20T10-00-0d3f7a1e.json");
        let bytes = write_chat(&p, 200);
        let whole = parse_json_file(&p, &bytes);
        assert_eq!(read_json_file(&p, u64::MAX).unwrap(), whole);
        // A cap far below the file: decoded from the file, one message at a time.
        assert!(bytes.len() > 50_000);
        let streamed = read_json_file(&p, 4096).unwrap();
        assert_eq!(streamed, whole);
        assert_eq!((whole.user_messages, whole.assistant_messages), (200, 200));
        assert_eq!((whole.tool_calls, whole.tool_errors), (200, 66));
        assert_eq!(whole.parse_errors, 0);
        assert!(whole.usage.total() > 200_000 && whole.cost_usd.unwrap() > 0.0);
        assert_eq!(
            whole.id.as_deref(),
            Some("0d3f7a1e-1111-4222-8333-944445555666")
        );
        // `lastUpdated` after `messages` still counts.
        assert_eq!(
            whole.last_activity.unwrap().to_rfc3339(),
            "2026-11-20T12:00:00+00:00"
        );
    }

    #[test]
    fn a_chat_cut_short_gives_the_messages_before_the_cut_and_one_error() {
        let dir = tempfile::tempdir().unwrap();
        let full = dir.path().join("session-2026-11-20T10-00-0d3f7a1e.json");
        let bytes = write_chat(&full, 30);
        let all = parse_json_file(&full, &bytes);
        let cut_path = dir.path().join("session-2026-11-20T10-00-cut00000.json");
        let mut last_users = 0;
        for cut in (1..bytes.len()).step_by(97) {
            std::fs::write(&cut_path, &bytes[..cut]).unwrap();
            for max in [u64::MAX, 256] {
                let f = read_json_file(&cut_path, max).unwrap();
                assert_eq!(f.parse_errors, 1, "cut at {cut}");
                assert!(f.user_messages <= all.user_messages);
                assert!(f.usage.total() <= all.usage.total());
                if max == 256 {
                    // Streamed and in memory agree at every cut.
                    assert_eq!(f, parse_json_file(&cut_path, &bytes[..cut]));
                }
                assert!(f.user_messages >= last_users, "cut at {cut}");
                last_users = f.user_messages;
            }
        }
        assert!(last_users >= 28, "{last_users}");
        // Not a chat at all, or not text: one error, no panic.
        for junk in [
            &b"[1, 2]"[..],
            b"\xff\xfe{\"messages\": [",
            b"{\"messages\": 7}",
        ] {
            std::fs::write(&cut_path, junk).unwrap();
            let f = read_json_file(&cut_path, 1).unwrap();
            assert!(f.parse_errors <= 1 && f.user_messages == 0, "{junk:?}");
        }
    }
}
