//! Claude Code transcripts: `<root>/<project-slug>/<session-uuid>.jsonl`, one record per
//! line, and sub-agent transcripts in `<root>/<slug>/<session-uuid>/subagents/*.jsonl`.
//!
//! Roots: every entry of `$CLAUDE_CONFIG_DIR` (a comma-separated list) joined with
//! `projects`, else both `~/.config/claude/projects` and `~/.claude/projects`.
//!
//! Records we read (everything else is ignored): `type` (`user`, `assistant`, `system`,
//! `summary`, `cost-state`, ...), `timestamp`, `cwd`, `gitBranch`, `version`,
//! `requestId` (or, from 2.1.x on, `requestRef`), `isApiErrorMessage`, `summary`,
//! `totalCostUSD` and `startTime` (of `cost-state`), and `message` {`role`, `content`
//! (a string or blocks: `text`, `tool_use`, `tool_result` with `is_error`), `model`,
//! `id`, `stop_reason`, `usage`}.
//!
//! Record types read as nothing, on purpose (seen with 2.1.332): `queue-operation`,
//! `attachment`, `api-request-shape`, `api-request-blob`, `api-request`, `last-prompt`,
//! `atis-latch`, `tools-used`, `mode`, `permission-mode`, `file-history-snapshot`. Any other type, and fields
//! beyond [`KNOWN_FIELDS`], are counted by the drift guard ([`super::drift`]).
//!
//! Cost: when the agent writes `cost-state` records, their `totalCostUSD` (the last
//! one per process `startTime`, summed) is the session's cost: the agent knows its own
//! prices, including models our table lacks.
//!
//! Counting rules (the same as ccusage, so totals agree):
//! - Streaming writes one assistant message as several lines sharing `message.id` and
//!   `requestId` (2.1.x: `requestRef`, one line per content block, each repeating the
//!   message's usage); usage is counted once per `message.id:requestId`. A line
//!   lacking either id is counted on its own.
//! - An assistant *message* is counted once per `message.id`.
//! - A user line is a prompt when it carries text; a line of only `tool_result` blocks
//!   is the answer to a tool call, not a user message.
//! - The model `<synthetic>` (written for local errors) is not a model.

pub(super) mod transcript;
mod wire;

use std::borrow::Cow;
use std::collections::{HashMap, HashSet};
use std::path::Path;

use super::condense::{self, Decision, Seg};
use super::deliverables::ToolCallKind;
use super::roots::{var, AgentPaths, Base};
use super::seen::Seen;
use super::transcript::Reader;
use super::Agent;
use super::TurnState;
use super::{decode_record, file_stem, parse_ts, title_from, TranscriptFacts, TranscriptParser};
use crate::model::Harness;
use crate::pricing;
use wire::{Content, Keep, Record};

/// Longest title kept, in characters.
const TITLE_MAX: usize = 120;

/// Record types read for nothing, deliberately (see the module documentation).
const IGNORED_TYPES: &[&str] = &[
    "queue-operation",
    "attachment",
    "api-request-shape",
    "api-request-blob",
    "api-request",
    "last-prompt",
    "atis-latch",
    "tools-used",
    "file-history-snapshot",
    "custom-title",
    "mode",
    "permission-mode",
];

/// Top-level fields Claude Code 2.1.332 and older versions write, per record type.
const KNOWN_FIELDS: &[(&str, &[&str])] = &[
    (
        "user",
        &[
            "cwd",
            "entrypoint",
            "gitBranch",
            "isSidechain",
            "message",
            "parentUuid",
            "permissionDecision",
            "permissionMode",
            "promptId",
            "promptSource",
            "rowSource",
            "sandboxed",
            "sentAtMs",
            "sessionId",
            "sourceToolAssistantUUID",
            "timestamp",
            "toolUseResult",
            "turnOrigin",
            "turnPosition",
            "type",
            "userType",
            "uuid",
            "version",
            "isMeta",
            "isCompactSummary",
            "requestId",
            "slug",
            "agentId",
            "isVisibleInTranscriptOnly",
            "thinkingMetadata",
            "todos",
            "imagePasteIds",
            "origin",
        ],
    ),
    (
        "assistant",
        &[
            "apiBlockIndex",
            "cwd",
            "effort",
            "entrypoint",
            "gitBranch",
            "isSidechain",
            "madeBy",
            "message",
            "parentUuid",
            "perTurnEffort",
            "promptCacheRequested",
            "requestRef",
            "requestedModel",
            "sessionId",
            "timestamp",
            "toolInputStreamMs",
            "type",
            "userType",
            "uuid",
            "version",
            "requestId",
            "isApiErrorMessage",
            "costUSD",
            "slug",
            "agentId",
            "error",
            "serverClassifierRequest",
            "session_id",
        ],
    ),
    (
        "system",
        &[
            "cwd",
            "entrypoint",
            "error",
            "gitBranch",
            "isSidechain",
            "level",
            "maxRetries",
            "parentUuid",
            "retryAttempt",
            "retryInMs",
            "sessionId",
            "source",
            "subtype",
            "timestamp",
            "type",
            "userType",
            "uuid",
            "version",
            "content",
            "isMeta",
            "isApiErrorMessage",
            "toolUseID",
            "logicalParentUuid",
            "compactMetadata",
            "slug",
            "durationMs",
            "messageCount",
        ],
    ),
    (
        "cost-state",
        &[
            "hasUnknownModelCost",
            "modelUsage",
            "sessionId",
            "startTime",
            "totalAPIDuration",
            "totalAPIDurationWithoutRetries",
            "totalCostUSD",
            "totalDuration",
            "totalLinesAdded",
            "totalLinesRemoved",
            "totalToolDuration",
            "type",
        ],
    ),
    ("summary", &["type", "summary", "leafUuid"]),
];

/// Transcripts sit one level below the root (`<slug>/<uuid>.jsonl`) or, for sub-agents,
/// three levels below (`<slug>/<uuid>/subagents/<agent>.jsonl`).
pub fn is_transcript(root: &Path, path: &Path) -> bool {
    if path.extension().is_none_or(|e| e != "jsonl") {
        return false;
    }
    let Ok(rel) = path.strip_prefix(root) else {
        return false;
    };
    let parts: Vec<_> = rel.components().collect();
    match parts.len() {
        2 => true,
        4 => parts[2].as_os_str() == "subagents",
        _ => false,
    }
}

/// The session id is the file name; a sub-agent's parent is the directory above
/// `subagents/`.
pub fn ids_from_path(path: &Path) -> (String, Option<String>) {
    let id = file_stem(path);
    let parent = path
        .parent()
        .filter(|p| p.file_name().is_some_and(|n| n == "subagents"))
        .and_then(Path::parent)
        .and_then(Path::file_name)
        .map(|n| n.to_string_lossy().into_owned());
    (id, parent)
}

/// Folds a Claude Code transcript line by line.
#[derive(Debug)]
pub struct ClaudeTranscript {
    facts: TranscriptFacts,
    has_summary: bool,
    /// `message.id:requestId` of the usage counted (see [`Seen`]).
    usage_seen: Seen,
    /// `message.id` of the messages counted.
    messages_seen: Seen,
    pending_tools: HashSet<String>,
    /// The last `totalCostUSD` of each process (by `cost-state` `startTime`, in ms).
    agent_costs: Vec<(i64, f64)>,
    fields: super::drift::FieldCheck,
    /// Shell calls awaiting their result, whose output may announce a deliverable.
    shell_calls: HashMap<String, ToolCallKind>,
}

impl ClaudeTranscript {
    pub fn new(_path: &Path) -> Self {
        ClaudeTranscript {
            facts: TranscriptFacts::default(),
            has_summary: false,
            usage_seen: Seen::default(),
            messages_seen: Seen::default(),
            pending_tools: HashSet::new(),
            agent_costs: Vec::new(),
            fields: Default::default(),
            shell_calls: HashMap::new(),
        }
    }

    fn apply(&mut self, rec: Record<'_>) {
        let f = &mut self.facts;
        if let Some(ts) = parse_ts(rec.timestamp.as_deref()) {
            f.note_time(ts);
        }
        if f.id.is_none() {
            f.id = rec.session_id.map(Cow::into_owned);
        }
        if let Some(cwd) = rec.cwd.filter(|c| !c.is_empty()) {
            if f.project.as_deref() != Some(&*cwd) {
                f.project = Some(cwd.into_owned());
            }
        }
        if let Some(branch) = rec.git_branch.filter(|b| !b.is_empty()) {
            if f.git_branch.as_deref() != Some(&*branch) {
                f.git_branch = Some(branch.into_owned());
            }
        }
        if let Some(v) = rec.version.filter(|v| !v.is_empty()) {
            if f.agent_version.as_deref() != Some(&*v) {
                f.agent_version = Some(v.into_owned());
            }
        }
        match rec.kind.as_deref() {
            Some("summary") if !self.has_summary => {
                if let Some(t) = rec
                    .summary
                    .as_deref()
                    .and_then(|s| title_from(s, TITLE_MAX))
                {
                    f.title = Some(t);
                    self.has_summary = true;
                }
            }
            Some("user") => {
                let Some(msg) = rec.message else { return };
                let mut prompt: Option<Cow<str>> = None;
                let mut tool_results = 0;
                match msg.content {
                    Some(Content::Text(t)) => prompt = Some(t),
                    Some(Content::Blocks(blocks)) => {
                        for b in blocks {
                            match b.kind.as_deref() {
                                Some("tool_result") => {
                                    tool_results += 1;
                                    if b.is_error == Some(true) {
                                        f.tool_errors += 1;
                                    }
                                    if let Some(id) = b.tool_use_id.as_deref() {
                                        self.pending_tools.remove(id);
                                        if let Some(kind) = self.shell_calls.remove(id) {
                                            note_output(f, kind, b.content.decoded.as_ref());
                                        }
                                    }
                                }
                                Some("text") if prompt.is_none() => prompt = b.text,
                                _ => {}
                            }
                        }
                    }
                    _ => {}
                }
                if let Some(text) = prompt {
                    f.user_messages += 1;
                    let is_command_noise = rec.is_meta == Some(true)
                        || text.starts_with("<command-")
                        || text.starts_with("<local-command")
                        || text.starts_with("Caveat:");
                    if f.title.is_none() && !is_command_noise {
                        f.title = title_from(&text, TITLE_MAX);
                    }
                    f.turn = TurnState::AwaitingModel;
                } else if tool_results > 0 {
                    f.turn = if self.pending_tools.is_empty() {
                        TurnState::AwaitingModel
                    } else {
                        TurnState::ToolPending
                    };
                }
            }
            Some("assistant") => {
                let Some(msg) = rec.message else { return };
                if let Some(model) = msg.model.as_deref() {
                    f.note_model(model);
                }
                let counted_before = match msg.id.as_deref() {
                    Some(id) => !self.messages_seen.insert(&[id.as_bytes()]),
                    None => false,
                };
                if !counted_before {
                    f.assistant_messages += 1;
                }
                if let Some(u) = msg.usage {
                    let request = rec.request_id.as_deref().or(rec.request_ref.as_deref());
                    let fresh = match (msg.id.as_deref(), request) {
                        (Some(m), Some(r)) => {
                            self.usage_seen.insert(&[m.as_bytes(), b":", r.as_bytes()])
                        }
                        _ => true,
                    };
                    if fresh {
                        let usage = u.usage();
                        let one_hour = u
                            .cache_creation
                            .map(|c| c.ephemeral_1h_input_tokens)
                            .unwrap_or(0);
                        let priced = || {
                            msg.model
                                .as_deref()
                                .and_then(|m| pricing::message_cost(m, &usage, one_hour))
                        };
                        let cost = rec.cost_usd.or_else(priced);
                        let at = parse_ts(rec.timestamp.as_deref());
                        let model = msg.model.as_deref().unwrap_or("unknown");
                        f.add_usage(at, model, &usage, cost);
                    }
                }
                if let Some(Content::Blocks(blocks)) = msg.content {
                    for b in blocks {
                        if b.kind.as_deref() == Some("tool_use") {
                            f.tool_calls += 1;
                            let input = b.input.args.as_ref();
                            if let Some(path) = input
                                .and_then(|i| i.file_path.as_deref().or(i.notebook_path.as_deref()))
                                .filter(|_| is_file_write(b.name.as_deref()))
                            {
                                f.note_file_write(path);
                            }
                            if let Some(id) = b.id {
                                if let Some(cmd) = input.and_then(|i| i.command.as_deref()) {
                                    self.shell_calls
                                        .insert(id.to_string(), ToolCallKind::of_command(cmd));
                                }
                                self.pending_tools.insert(id.into_owned());
                            }
                        }
                    }
                }
                f.turn = if rec.is_api_error == Some(true) {
                    TurnState::Errored
                } else if !self.pending_tools.is_empty() {
                    TurnState::ToolPending
                } else {
                    match msg.stop_reason.as_deref() {
                        Some("tool_use") => TurnState::ToolPending,
                        Some(_) => TurnState::TurnEnded,
                        None => TurnState::Streaming,
                    }
                };
            }
            Some("system") if rec.is_api_error == Some(true) => f.turn = TurnState::Errored,
            Some("cost-state") => {
                if let Some(total) = rec.total_cost_usd.filter(|c| c.is_finite() && *c >= 0.0) {
                    let process = rec.start_time.map(|t| t as i64).unwrap_or(0);
                    match self.agent_costs.iter_mut().find(|(p, _)| *p == process) {
                        Some(entry) => entry.1 = total,
                        None => self.agent_costs.push((process, total)),
                    }
                    let sum = self.agent_costs.iter().map(|(_, c)| c).sum();
                    f.agent_cost_usd = Some(sum);
                    f.cost_usd = Some(sum);
                }
            }
            Some("system" | "summary") => {}
            Some(kind) if IGNORED_TYPES.contains(&kind) => {}
            Some(kind) => super::drift::count(&mut f.unknown, &format!("type {kind}")),
            None => {}
        }
    }
}

/// Is a string at `path` one the facts parser never reads? Only those may be dropped
/// from a line before it is decoded (see [`condense`]): [`Record`] names no such
/// field, or the facts parser skips it (a transcript-only part, which accepts `""` as
/// it accepts the string), and a tool result's `content` is read only when captured.
fn ignored_by_record(path: &[Seg<'_>], capture: bool) -> Decision {
    use Seg::{Index, Key};
    const RECORD: &[&[u8]] = &[
        b"type",
        b"timestamp",
        b"sessionId",
        b"cwd",
        b"gitBranch",
        b"requestId",
        b"isApiErrorMessage",
        b"isMeta",
        b"summary",
        b"costUSD",
        b"message",
        b"version",
        b"requestRef",
        b"totalCostUSD",
        b"startTime",
    ];
    const MESSAGE: &[&[u8]] = &[b"content", b"model", b"id", b"stop_reason", b"usage"];
    const BLOCK: &[&[u8]] = &[
        b"type",
        b"text",
        b"id",
        b"tool_use_id",
        b"is_error",
        b"name",
        b"input",
        b"content",
    ];
    const INPUT: &[&[u8]] = &[b"command", b"file_path", b"notebook_path"];
    let ignored = match path {
        [Key(k), ..] if !RECORD.contains(k) => true,
        [Key(b"message"), Key(k), ..] if !MESSAGE.contains(k) => true,
        [Key(b"message"), Key(b"content"), Index, Key(k), ..] if !BLOCK.contains(k) => true,
        [Key(b"message"), Key(b"content"), Index, Key(b"content"), ..] => !capture,
        [Key(b"message"), Key(b"content"), Index, Key(b"input"), Key(k), ..] => !INPUT.contains(k),
        _ => false,
    };
    if ignored {
        Decision::Drop
    } else {
        Decision::Keep
    }
}

/// Tools that create or edit the file named in their input.
fn is_file_write(name: Option<&str>) -> bool {
    matches!(name, Some("Write" | "Edit" | "MultiEdit" | "NotebookEdit"))
}

/// Hand a tool result's text to the deliverable scanner.
fn note_output(f: &mut TranscriptFacts, kind: ToolCallKind, content: Option<&Content<'_>>) {
    match content {
        Some(Content::Text(t)) => f.note_tool_output(kind, t),
        Some(Content::Blocks(blocks)) => {
            for b in blocks {
                if let Some(t) = &b.text {
                    f.note_tool_output(kind, t);
                }
            }
        }
        _ => {}
    }
}

impl ClaudeTranscript {
    /// Drift guard: the first line of each known record type is checked for fields
    /// this version of the parser has not seen.
    fn check_fields(&mut self, rec: &Record<'_>, line: &[u8]) {
        let Some(kind) = rec.kind.as_deref() else {
            return;
        };
        if self.fields.done(kind) {
            return;
        }
        if let Some((_, known)) = KNOWN_FIELDS.iter().find(|(k, _)| *k == kind) {
            self.fields
                .check(&mut self.facts.unknown, kind, line, known);
        }
    }
}

impl TranscriptParser for ClaudeTranscript {
    fn apply_line(&mut self, line: &[u8]) {
        if line.iter().all(u8::is_ascii_whitespace) {
            return;
        }
        // Decode tool output only for the result of a pending shell call whose raw
        // text could announce a commit or a PR (see `ToolCallKind::may_announce`).
        let capture = self.shell_calls.iter().any(|(id, kind)| {
            memchr::memmem::find(line, id.as_bytes()).is_some() && kind.may_announce(line)
        });
        wire::set_keep(Keep::Facts { output: capture });
        // A long line is first shrunk to the parts `Record` reads (see `condense`);
        // should that fail or the shrunk line not decode, the line is read as it is.
        let mut short = condense::take_scratch();
        let shrunk = line.len() >= condense::MIN_LINE
            && condense::condense(line, &mut short, |path, _| ignored_by_record(path, capture));
        let mut done = false;
        if shrunk {
            if let Ok(rec) = serde_json::from_slice::<Record>(&short) {
                self.check_fields(&rec, line);
                self.apply(rec);
                done = true;
            }
        }
        if !done {
            let mut lossy = None;
            let record = decode_record::<Record>(line, &mut lossy, &mut self.facts.parse_errors);
            if let Some(rec) = record {
                self.check_fields(&rec, line);
                self.apply(rec);
            }
        }
        wire::set_keep(Keep::All);
        condense::give_scratch(short);
    }

    fn facts(&self) -> &TranscriptFacts {
        &self.facts
    }
}

/// Claude Code as an [`Agent`](crate::agents::Agent).
pub struct Claude;

static PATHS: AgentPaths = AgentPaths {
    vars: &[var("CLAUDE_CONFIG_DIR", true, &[&["projects"]])],
    defaults: &[
        (Base::XdgConfig, &["claude", "projects"]),
        (Base::Home, &[".claude", "projects"]),
    ],
};

impl Agent for Claude {
    fn harness(&self) -> Harness {
        Harness::ClaudeCode
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
    fn parser(&self, path: &Path) -> Box<dyn TranscriptParser> {
        Box::new(ClaudeTranscript::new(path))
    }
    fn transcript_reader(&self) -> Reader {
        Reader::Lines(|carry| Box::new(transcript::ClaudeLines::new(carry)))
    }
    fn is_program(&self, name: &str) -> bool {
        name == "claude"
    }
    fn is_script(&self, arg: &str, _after_dash_m: bool) -> bool {
        arg.contains("claude-code") || arg.ends_with("/claude")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fold(lines: &[&str]) -> TranscriptFacts {
        let mut t = ClaudeTranscript::new(Path::new("x.jsonl"));
        for l in lines {
            t.apply_line(l.as_bytes());
        }
        t.facts().clone()
    }

    const USER: &str = r#"{"type":"user","sessionId":"s1","timestamp":"2026-11-20T10:00:00.000Z","cwd":"/home/u/proj","gitBranch":"main","message":{"role":"user","content":"Fix the   failing test\nplease"}}"#;
    const ASSIST_TOOL: &str = r#"{"type":"assistant","sessionId":"s1","timestamp":"2026-11-20T10:00:05.000Z","requestId":"r1","message":{"id":"m1","role":"assistant","model":"claude-sonnet-4-5","stop_reason":"tool_use","content":[{"type":"tool_use","id":"t1","name":"Bash","input":{"command":"ls"}}],"usage":{"input_tokens":10,"output_tokens":5,"cache_creation_input_tokens":100,"cache_read_input_tokens":1000}}}"#;
    const TOOL_RESULT: &str = r#"{"type":"user","sessionId":"s1","timestamp":"2026-11-20T10:00:06.000Z","message":{"role":"user","content":[{"type":"tool_result","tool_use_id":"t1","content":"boom","is_error":true}]}}"#;
    const ASSIST_END: &str = r#"{"type":"assistant","sessionId":"s1","timestamp":"2026-11-20T10:00:09.000Z","requestId":"r2","message":{"id":"m2","role":"assistant","model":"claude-opus-4-6","stop_reason":"end_turn","content":[{"type":"text","text":"Done."}],"usage":{"input_tokens":20,"output_tokens":7}}}"#;

    #[test]
    fn a_full_turn_is_counted() {
        let f = fold(&[USER, ASSIST_TOOL, TOOL_RESULT, ASSIST_END]);
        assert_eq!(f.id.as_deref(), Some("s1"));
        assert_eq!(f.title.as_deref(), Some("Fix the failing test please"));
        assert_eq!(f.project.as_deref(), Some("/home/u/proj"));
        assert_eq!(f.git_branch.as_deref(), Some("main"));
        assert_eq!(f.user_messages, 1);
        assert_eq!(f.assistant_messages, 2);
        assert_eq!(f.tool_calls, 1);
        assert_eq!(f.tool_errors, 1);
        assert_eq!(f.model.as_deref(), Some("claude-opus-4-6"));
        assert_eq!(f.models, vec!["claude-sonnet-4-5", "claude-opus-4-6"]);
        assert_eq!(f.usage.input_tokens, 30);
        assert_eq!(f.usage.output_tokens, 12);
        assert_eq!(f.usage.cache_creation_tokens, 100);
        assert_eq!(f.usage.cache_read_tokens, 1000);
        assert_eq!(f.turn, TurnState::TurnEnded);
        assert_eq!(f.parse_errors, 0);
    }

    #[test]
    fn commits_prs_and_file_writes_are_collected_for_records() {
        let commit_call = r#"{"type":"assistant","message":{"id":"m9","content":[{"type":"tool_use","id":"c1","name":"Bash","input":{"command":"git commit -am fix"}},{"type":"tool_use","id":"w1","name":"Write","input":{"file_path":"/w/a.rs","content":"x"}},{"type":"tool_use","id":"w2","name":"Edit","input":{"file_path":"/w/b.rs"}},{"type":"tool_use","id":"r1","name":"Read","input":{"file_path":"/w/c.rs"}}]}}"#;
        let commit_result = r#"{"type":"user","message":{"content":[{"type":"tool_result","tool_use_id":"c1","content":[{"type":"text","text":"[main 0123abcd] fix\n 2 files changed"}]}]}}"#;
        let pr_call = r#"{"type":"assistant","message":{"id":"m10","content":[{"type":"tool_use","id":"p1","name":"Bash","input":{"command":"gh pr create --fill"}}]}}"#;
        let pr_result = r#"{"type":"user","message":{"content":[{"type":"tool_result","tool_use_id":"p1","content":"https://github.com/o/r/pull/5"}]}}"#;
        let f = fold(&[commit_call, commit_result, pr_call, pr_result]);
        assert_eq!(
            f.deliverables,
            ["0123abcd", "https://github.com/o/r/pull/5"]
        );
        assert_eq!(f.files_written, ["/w/a.rs", "/w/b.rs"]);
    }

    #[test]
    fn turn_state_follows_the_last_record() {
        assert_eq!(fold(&[USER]).turn, TurnState::AwaitingModel);
        assert_eq!(fold(&[USER, ASSIST_TOOL]).turn, TurnState::ToolPending);
        assert_eq!(
            fold(&[USER, ASSIST_TOOL, TOOL_RESULT]).turn,
            TurnState::AwaitingModel
        );
    }

    #[test]
    fn streamed_duplicates_count_usage_and_message_once() {
        let f = fold(&[ASSIST_TOOL, ASSIST_TOOL, ASSIST_TOOL]);
        assert_eq!(f.usage.input_tokens, 10);
        assert_eq!(f.assistant_messages, 1);
        // Tool calls are per content block line; the duplicate lines repeat the block.
        assert_eq!(f.tool_calls, 3);
    }

    #[test]
    fn usage_without_both_ids_counts_every_line() {
        let line = r#"{"type":"assistant","message":{"model":"m","usage":{"input_tokens":3,"output_tokens":1}}}"#;
        let f = fold(&[line, line]);
        assert_eq!(f.usage.input_tokens, 6);
        assert_eq!(f.assistant_messages, 2);
    }

    #[test]
    fn summary_wins_over_first_prompt_and_synthetic_is_not_a_model() {
        let summary = r#"{"type":"summary","summary":"Refactor the parser","leafUuid":"x"}"#;
        let synthetic = r#"{"type":"assistant","message":{"model":"<synthetic>","content":"x"}}"#;
        let f = fold(&[USER, summary, synthetic]);
        assert_eq!(f.title.as_deref(), Some("Refactor the parser"));
        assert!(f.models.is_empty());
    }

    #[test]
    fn bad_lines_are_counted_and_do_not_stop_parsing() {
        let f = fold(&[
            "{not json",
            r#"{"type":"user","message":{"content":"tru"#,
            "[1,2,3]",
            "",
            USER,
            r#"{"type":"brand-new-type","whatever":{"deep":[1]}}"#,
            r#"{"type":"assistant","message":{"content":42}}"#,
        ]);
        assert_eq!(f.parse_errors, 3);
        assert_eq!(f.user_messages, 1);
        assert_eq!(f.assistant_messages, 1);
    }

    #[test]
    fn invalid_utf8_inside_a_string_is_replaced_not_fatal() {
        let mut t = ClaudeTranscript::new(Path::new("x.jsonl"));
        let mut line = br#"{"type":"user","message":{"content":"caf"#.to_vec();
        line.extend_from_slice(b"\xe9 ok\"}}");
        t.apply_line(&line);
        assert_eq!(t.facts().user_messages, 1);
        assert_eq!(t.facts().title.as_deref(), Some("caf\u{fffd} ok"));
        assert_eq!(t.facts().parse_errors, 0);
    }

    #[test]
    fn transcript_paths_and_ids() {
        let root = Path::new("/r/projects");
        assert!(is_transcript(
            root,
            Path::new("/r/projects/-home-u/abc.jsonl")
        ));
        assert!(is_transcript(
            root,
            Path::new("/r/projects/-home-u/abc/subagents/agent-1.jsonl")
        ));
        assert!(!is_transcript(root, Path::new("/r/projects/abc.jsonl")));
        assert!(!is_transcript(
            root,
            Path::new("/r/projects/-home-u/abc.json")
        ));
        assert_eq!(
            ids_from_path(Path::new("/r/p/-h/abc/subagents/agent-1.jsonl")),
            ("agent-1".into(), Some("abc".into()))
        );
        assert_eq!(
            ids_from_path(Path::new("/r/p/-h/abc.jsonl")),
            ("abc".into(), None)
        );
    }

    /// Files written by the real Claude Code 2.1.332 against a stand-in model server;
    /// see tests/fixtures/claude-real/README.md for how, and for the expected numbers.
    #[test]
    fn real_claude_code_2_1_332_sessions() {
        use crate::agents::fixture_support::sessions;
        use crate::model::Harness;
        let s = sessions(Harness::ClaudeCode, "claude-real/projects");
        assert_eq!(s.len(), 5);
        for session in s.values() {
            assert!(
                session.unknown_records.is_empty(),
                "{}: every record type and field of the pinned version is known: {:?}",
                session.id,
                session.unknown_records
            );
            assert_eq!(session.agent_version.as_deref(), Some("2.1.332"));
            assert_eq!(session.parse_errors, 0);
        }
        let hello = &s["6dd1feb8-3ad4-4f3d-9839-fe111773a9e4"];
        assert_eq!(hello.title.as_deref(), Some("say hello"));
        assert_eq!((hello.user_messages, hello.assistant_messages), (1, 1));
        assert_eq!(hello.usage.input_tokens, 100);
        assert_eq!(hello.usage.output_tokens, 42);
        assert_eq!(hello.model.as_deref(), Some("claude-opus-5-5"));
        // The agent's own cost-state, equal to our price for its default model.
        assert_eq!(hello.cost_usd, Some(0.00124));
        assert!(!hello.price_unknown);

        let tool = &s["ee33b1b5-b52f-4912-b393-1f6171951658"];
        assert_eq!((tool.user_messages, tool.assistant_messages), (1, 2));
        assert_eq!((tool.tool_calls, tool.tool_errors), (1, 0));
        assert_eq!(
            (tool.usage.input_tokens, tool.usage.output_tokens),
            (200, 62)
        );
        assert_eq!(tool.cost_usd, Some(0.00204));

        // One message written as two lines (text, then tool_use) sharing `requestRef`
        // and no `requestId`: its usage counts once.
        let split = &s["573ae204-a7ab-4fce-bec0-709260eeed49"];
        assert_eq!(split.assistant_messages, 2);
        assert_eq!(
            (split.usage.input_tokens, split.usage.output_tokens),
            (200, 62)
        );
        assert_eq!(split.cost_usd, Some(0.00204));
        assert_eq!(split.tool_calls, 1);

        // Killed while retrying a dropped connection: a prompt, no answer, cost 0.
        let retries = &s["c8ec0ba9-a557-40de-88ac-156fd30ab5aa"];
        assert_eq!((retries.user_messages, retries.assistant_messages), (1, 0));
        assert_eq!(retries.usage.total(), 0);
        assert_eq!(retries.cost_usd, Some(0.0));

        // Interactive, one turn, then Ctrl-D: `cost-state` is written at exit only, and
        // counts a request the transcript does not show (twice the answer's price).
        let interactive = &s["798e02c2-5d84-4a9c-9cca-20f928485e30"];
        assert_eq!(
            (interactive.user_messages, interactive.assistant_messages),
            (1, 1)
        );
        assert_eq!(interactive.usage.output_tokens, 42);
        assert_eq!(interactive.cost_usd, Some(0.00248));
    }

    #[test]
    fn the_pinned_default_model_is_priced_as_claude_code_prices_it() {
        let facts = fold(&[
            r#"{"type":"assistant","requestRef":"r1","message":{"id":"m1","model":"claude-opus-5-5","stop_reason":"end_turn","usage":{"input_tokens":100,"output_tokens":42}}}"#,
        ]);
        assert!((facts.cost_usd.unwrap() - 0.00124).abs() < 1e-12);
    }

    #[test]
    fn cost_state_totals_add_up_per_process_and_unknown_types_are_counted() {
        let facts = fold(&[
            r#"{"type":"assistant","message":{"id":"m1","model":"claude-unpriced-x","stop_reason":"end_turn","usage":{"input_tokens":10,"output_tokens":1}}}"#,
            r#"{"type":"cost-state","startTime":1000,"totalCostUSD":0.5}"#,
            r#"{"type":"cost-state","startTime":1000,"totalCostUSD":0.75}"#,
            r#"{"type":"cost-state","startTime":2000,"totalCostUSD":0.25}"#,
            r#"{"type":"hologram","x":1}"#,
            r#"{"type":"hologram","x":2}"#,
            r#"{"type":"user","brandNewField":1,"message":{"role":"user","content":"hi"}}"#,
        ]);
        assert_eq!(
            facts.cost_usd,
            Some(1.0),
            "last total of each process, summed"
        );
        assert_eq!(facts.agent_cost_usd, Some(1.0));
        assert_eq!(facts.unknown.get("type hologram"), Some(&2));
        assert_eq!(facts.unknown.get("field user.brandNewField"), Some(&1));
        assert_eq!(facts.unknown.len(), 2);
    }
}
