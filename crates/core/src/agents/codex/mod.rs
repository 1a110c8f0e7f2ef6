//! Codex CLI "rollout" transcripts:
//! `$CODEX_HOME/sessions/YYYY/MM/DD/rollout-<YYYY-MM-DDThh-mm-ss>-<uuid>.jsonl`
//! (default `~/.codex`), and `$CODEX_HOME/archived_sessions/` for archived ones.
//!
//! Every line is `{timestamp, type, payload}`. Read from openai/codex's rollout files and
//! ccusage's Codex adapter (ccusage 20, `adapter/codex/parser.rs`):
//! - `session_meta` — `payload.id`, `cwd`, `git` {`branch`, ...}, and for sub-agents
//!   `source.subagent.thread_spawn.parent_thread_id`. A sub-agent file replays its
//!   parent's `session_meta` too: only the first one describes this session.
//! - `turn_context` — `payload.model` (and `cwd`): the model of the events that follow.
//! - `response_item` — `payload.type` `function_call` / `custom_tool_call` /
//!   `local_shell_call` (a tool call, `call_id`) and `function_call_output` /
//!   `custom_tool_call_output` (its result; an `Exit code: N` or
//!   `metadata.exit_code` other than 0 is a tool error).
//! - `event_msg` — `payload.type` `user_message` (`message`: a prompt), `agent_message`
//!   (an assistant message), `task_started`, `task_complete`, `turn_aborted`, `error`,
//!   and `token_count` {`info`: {`last_token_usage`, `total_token_usage`}}.
//! - Codex 0.171 writes no `user_message` / `agent_message` events: a turn's messages
//!   are `event_msg` `item_completed` {`item`: {`type`: `UserMessage` / `AgentMessage`,
//!   `content`: [{`text`}]}}. They are counted only in files without the older events,
//!   so no message is counted twice. Read for nothing, on purpose: `world_state`,
//!   `token_usage_record` (the same numbers as `token_count`, which stays the one
//!   source of tokens), `thread_settings_applied` (its model is the `turn_context`'s).
//!   Other types, and payload fields beyond [`KNOWN_FIELDS`], are counted by the drift
//!   guard ([`super::drift`]).
//!
//! Token rules (ccusage's, so totals agree exactly):
//! - a `token_count` uses `last_token_usage`, else the difference of
//!   `total_token_usage` from the previous total (saturating); all-zero deltas are
//!   skipped; `cached_input_tokens` is clamped to `input_tokens`;
//! - `cached_input_tokens` is *part of* `input_tokens`: we store
//!   `input_tokens - cached` as input and `cached` as cache-read, which is exactly how
//!   `ccusage codex session --json` reports `inputTokens` / `cacheReadTokens`;
//!   Codex has no cache-creation tokens; reasoning tokens are already inside output;
//! - identical events (same timestamp, model and numbers) count once;
//! - the model is the latest `turn_context` model, else `gpt-5` (ccusage's fallback);
//! - a sub-agent file (`thread_spawn`) whose first two token counts share one second
//!   starts with a replay of the parent's history: token counts of that second are
//!   skipped. While only one token count has been seen, it is held back until the next
//!   one decides.

pub(super) mod transcript;
mod wire;

use std::borrow::Cow;
use std::collections::{HashMap, HashSet};
use std::path::Path;

use serde::Deserialize;
use serde_json::Value;

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
use wire::{ExecOutput, Line, Payload, RawUsage, ResponseItem};

const TITLE_MAX: usize = 120;

/// Top-level line types read, or skipped on purpose.
const KNOWN_TYPES: &[&str] = &[
    "session_meta",
    "turn_context",
    "response_item",
    "event_msg",
    "world_state",
    "token_usage_record",
    "compacted",
];

/// `event_msg` payload types read, or skipped on purpose.
const KNOWN_EVENTS: &[&str] = &[
    "user_message",
    "agent_message",
    "agent_reasoning",
    "agent_reasoning_raw_content",
    "agent_reasoning_section_break",
    "token_count",
    "task_started",
    "task_complete",
    "turn_aborted",
    "error",
    "stream_error",
    "item_started",
    "item_completed",
    "thread_settings_applied",
    "exec_command_begin",
    "exec_command_end",
    "patch_apply_begin",
    "patch_apply_end",
    "mcp_tool_call_begin",
    "mcp_tool_call_end",
    "web_search_begin",
    "web_search_end",
    "turn_diff",
    "entered_review_mode",
    "exited_review_mode",
    "context_compacted",
];

/// Payload fields Codex 0.171.0 and older versions write, per line type.
const KNOWN_FIELDS: &[(&str, &[&str])] = &[
    (
        "session_meta",
        &[
            "account_scoped",
            "base_instructions",
            "cli_version",
            "context_window",
            "cwd",
            "history_mode",
            "id",
            "model_provider",
            "originator",
            "runtime_workspace_roots",
            "session_id",
            "source",
            "thread_source",
            "timestamp",
            "git",
            "instructions",
            "forked_from_id",
        ],
    ),
    (
        "turn_context",
        &[
            "active_permission_profile",
            "approval_policy",
            "approvals_reviewer",
            "collaboration_mode",
            "comp_hash",
            "cwd",
            "disabled_plugin_ids",
            "model",
            "multi_agent_version",
            "permission_profile",
            "realtime_active",
            "root_turn_id",
            "sandbox_policy",
            "summary",
            "turn_id",
            "effort",
            "user_instructions",
            "developer_instructions",
            "truncation_policy",
            "final_output_json_schema",
        ],
    ),
    (
        "token_usage_record",
        &[
            "response_id",
            "root_turn_id",
            "session_id",
            "thread_id",
            "thread_token_usage",
            "turn_id",
            "turn_token_usage",
            "usage",
        ],
    ),
    ("world_state", &["full", "state"]),
];
/// ccusage prices Codex events without a model as `gpt-5`.
const FALLBACK_MODEL: &str = "gpt-5";

/// Any `rollout-*.jsonl` below the root (dated folders, or flat in `archived_sessions`).
pub fn is_transcript(root: &Path, path: &Path) -> bool {
    path.starts_with(root)
        && path.extension().is_some_and(|e| e == "jsonl")
        && path
            .file_name()
            .is_some_and(|n| n.to_string_lossy().starts_with("rollout-"))
}

/// The id is the uuid at the end of `rollout-<date>-<uuid>`, else the file stem.
pub fn ids_from_path(path: &Path) -> (String, Option<String>) {
    let stem = file_stem(path);
    let id = stem
        .len()
        .checked_sub(36)
        .and_then(|i| stem.get(i..))
        .filter(|tail| uuid::Uuid::parse_str(tail).is_ok())
        .map(str::to_string)
        .unwrap_or(stem);
    (id, None)
}

/// A token count waiting for the sub-agent replay decision.
struct HeldCount {
    second: String,
    key: String,
    usage: RawUsage,
    total: Option<RawUsage>,
}

/// Folds a Codex rollout line by line.
pub struct CodexTranscript {
    facts: TranscriptFacts,
    meta_seen: bool,
    is_subagent: bool,
    current_model: Option<String>,
    previous_total: Option<RawUsage>,
    /// Token events counted, by timestamp, model and counts (see [`Seen`]).
    counted_events: Seen,
    pending_tools: HashSet<String>,
    /// Tool calls awaiting output whose output may announce a commit or a PR.
    shell_calls: HashMap<String, ToolCallKind>,
    /// Sub-agent replay detection: the first count, held back; then the replay second.
    held: Option<HeldCount>,
    replay_second: Option<String>,
    counts_seen: u32,
    /// The file has the older `user_message` / `agent_message` events: count those
    /// and not `item_completed`.
    legacy_messages: bool,
    /// What the model's current response held so far (reset at each
    /// `token_usage_record`, which 0.171 writes once per response): a response of
    /// tool calls only is an assistant message too, as Claude Code's are.
    response_called: bool,
    response_spoke: bool,
    fields: super::drift::FieldCheck,
}

impl CodexTranscript {
    pub fn new(_path: &Path) -> Self {
        CodexTranscript {
            facts: TranscriptFacts::default(),
            meta_seen: false,
            is_subagent: false,
            current_model: None,
            previous_total: None,
            counted_events: Seen::default(),
            pending_tools: HashSet::new(),
            shell_calls: HashMap::new(),
            held: None,
            replay_second: None,
            counts_seen: 0,
            legacy_messages: false,
            response_called: false,
            response_spoke: false,
            fields: Default::default(),
        }
    }

    fn apply(&mut self, line: Line) {
        let ts = parse_ts(line.timestamp.as_deref());
        if let Some(ts) = ts {
            self.facts.note_time(ts);
        }
        let payload = match line.payload {
            Payload::Item(item) => return self.response_item(item, None),
            Payload::Raw(raw) if line.kind.as_deref() == Some("response_item") => {
                if let Ok(item) = serde_json::from_str::<ResponseItem>(raw.get()) {
                    self.response_item(item, None);
                }
                return;
            }
            other => other.into_value(),
        };
        let p = &payload;
        if let (Some(kind), Value::Object(map)) = (line.kind.as_deref(), p) {
            if let Some((_, known)) = KNOWN_FIELDS.iter().find(|(k, _)| *k == kind) {
                let keys = map.keys().map(String::as_str);
                self.fields
                    .check_keys(&mut self.facts.unknown, kind, keys, known);
            }
        }
        match line.kind.as_deref() {
            Some("session_meta") => self.session_meta(p),
            Some("turn_context") => {
                if let Some(model) = str_at(p, "model") {
                    self.current_model = Some(model.to_string());
                    self.facts.note_model(model);
                }
                if let Some(cwd) = str_at(p, "cwd") {
                    self.facts.project = Some(cwd.to_string());
                }
            }
            Some("event_msg") => self.event(p, line.timestamp.as_deref().unwrap_or("")),
            Some("token_usage_record") => {
                if self.response_called && !self.response_spoke {
                    self.facts.assistant_messages += 1;
                }
                self.response_called = false;
                self.response_spoke = false;
            }
            Some(kind) if KNOWN_TYPES.contains(&kind) => {}
            Some(kind) => super::drift::count(&mut self.facts.unknown, &format!("type {kind}")),
            None => {}
        }
    }

    fn session_meta(&mut self, p: &Value) {
        if self.meta_seen {
            return; // a sub-agent replays its parent's meta; the first one is ours
        }
        self.meta_seen = true;
        self.facts.id = str_at(p, "id").map(str::to_string);
        self.facts.agent_version = str_at(p, "cli_version").map(str::to_string);
        if let Some(cwd) = str_at(p, "cwd") {
            self.facts.project = Some(cwd.to_string());
        }
        if let Some(branch) = p.pointer("/git/branch").and_then(Value::as_str) {
            self.facts.git_branch = Some(branch.to_string());
        }
        if let Some(spawn) = p.pointer("/source/subagent/thread_spawn") {
            self.is_subagent = true;
            self.facts.parent_id = str_at(spawn, "parent_thread_id").map(str::to_string);
        }
    }

    /// `output`: the item's raw `output` when the line was condensed without it.
    fn response_item(&mut self, item: ResponseItem, output: Option<&str>) {
        let output = item.output.map(|raw| output.unwrap_or(raw.get()));
        let call_id = item
            .call_id
            .as_deref()
            .map(str::trim)
            .filter(|s| !s.is_empty());
        match item.kind.as_deref().map(str::trim) {
            Some("function_call" | "custom_tool_call" | "local_shell_call") => {
                self.facts.tool_calls += 1;
                self.response_called = true;
                // The call's arguments as text: a JSON string (`arguments`), the raw
                // input of a custom tool (`input`, e.g. an apply_patch envelope), or
                // the `action` of a local shell call.
                let args = [item.arguments, item.input, item.action]
                    .into_iter()
                    .flatten()
                    .find_map(|raw| match serde_json::from_str::<Value>(raw.get()).ok()? {
                        Value::String(s) => Some(s),
                        v @ Value::Object(_) => Some(v.to_string()),
                        _ => None,
                    })
                    .unwrap_or_default();
                self.facts.note_patch(&args.replace("\\n", "\n"));
                if let Some(id) = call_id {
                    self.pending_tools.insert(id.to_string());
                    self.shell_calls
                        .insert(id.to_string(), ToolCallKind::of_command(&args));
                }
                self.facts.turn = TurnState::ToolPending;
            }
            Some("function_call_output" | "custom_tool_call_output") => {
                if let Some(id) = call_id {
                    self.pending_tools.remove(id);
                    if let Some(kind) = self.shell_calls.remove(id) {
                        // Decode megabytes of output only when its raw text could
                        // announce a commit or a PR.
                        let output = output
                            .filter(|raw| kind.may_announce(raw.as_bytes()))
                            .and_then(|raw| serde_json::from_str::<Value>(raw).ok());
                        if let Some(text) = output_text(output.as_ref()) {
                            self.facts.note_tool_output(kind, &text);
                        }
                    }
                }
                if tool_output_failed(output) {
                    self.facts.tool_errors += 1;
                }
                self.facts.turn = if self.pending_tools.is_empty() {
                    TurnState::AwaitingModel
                } else {
                    TurnState::ToolPending
                };
            }
            _ => {}
        }
    }

    fn event(&mut self, p: &Value, timestamp: &str) {
        match str_at(p, "type") {
            Some("user_message") => {
                self.legacy_messages = true;
                self.user_message(str_at(p, "message"));
            }
            Some("agent_message") => {
                self.legacy_messages = true;
                self.agent_message();
            }
            Some("item_completed") if !self.legacy_messages => {
                let item = p.get("item");
                match item.and_then(|i| str_at(i, "type")) {
                    Some("UserMessage") => {
                        let text = item.and_then(|i| i.get("content")).and_then(first_text);
                        self.user_message(text);
                    }
                    Some("AgentMessage") => self.agent_message(),
                    _ => {}
                }
            }
            Some(kind) if !KNOWN_EVENTS.contains(&kind) => {
                super::drift::count(&mut self.facts.unknown, &format!("type event_msg.{kind}"))
            }
            Some("task_started") => self.facts.turn = TurnState::AwaitingModel,
            Some("task_complete" | "turn_aborted") => {
                self.pending_tools.clear();
                // 0.171 ends a turn the API refused with `task_complete` carrying the
                // `error` (and writes no `error` event).
                let failed = p.get("error").is_some_and(|e| !e.is_null());
                self.facts.turn = if failed {
                    TurnState::Errored
                } else {
                    TurnState::TurnEnded
                };
            }
            Some("error" | "stream_error") => self.facts.turn = TurnState::Errored,
            Some("token_count") => self.token_count(p, timestamp),
            _ => {}
        }
    }

    fn user_message(&mut self, text: Option<&str>) {
        self.facts.user_messages += 1;
        if self.facts.title.is_none() {
            self.facts.title = text.and_then(|m| title_from(m, TITLE_MAX));
        }
        self.facts.turn = TurnState::AwaitingModel;
    }

    fn agent_message(&mut self) {
        self.facts.assistant_messages += 1;
        self.response_spoke = true;
        if self.pending_tools.is_empty() {
            self.facts.turn = TurnState::Streaming;
        }
    }

    fn token_count(&mut self, p: &Value, timestamp: &str) {
        let info = p.get("info");
        let last: Option<RawUsage> = info
            .and_then(|i| i.get("last_token_usage"))
            .and_then(|v| RawUsage::deserialize(v).ok());
        let total: Option<RawUsage> = info
            .and_then(|i| i.get("total_token_usage"))
            .and_then(|v| RawUsage::deserialize(v).ok());
        if last.is_none() && total.is_none() {
            return;
        }
        let named = str_at(p, "model").or_else(|| info.and_then(|i| str_at(i, "model")));
        if let Some(model) = named {
            self.current_model = Some(model.to_string());
            self.facts.note_model(model);
        }
        self.counts_seen += 1;
        let second = timestamp.get(..19).unwrap_or(timestamp).to_string();
        if self.is_subagent {
            if let Some(replay) = &self.replay_second {
                if *replay == second {
                    if total.is_some() {
                        self.previous_total = total;
                    }
                    return;
                }
                self.replay_second = None;
                self.is_subagent = false; // replay over: count normally from here on
            } else if self.counts_seen == 1 {
                self.held = Some(HeldCount {
                    second,
                    key: timestamp.to_string(),
                    usage: last.unwrap_or_default(),
                    total,
                });
                if last.is_none() {
                    // Delta from totals needs the previous total, which is none yet.
                    if let Some(h) = &mut self.held {
                        h.usage = total.unwrap_or_default().minus(None);
                    }
                }
                return;
            } else if let Some(held) = self.held.take() {
                if held.second == second {
                    // Both replayed: skip them and everything else of this second.
                    self.replay_second = Some(second);
                    if total.is_some() {
                        self.previous_total = total;
                    } else if held.total.is_some() {
                        self.previous_total = held.total;
                    }
                    return;
                }
                self.is_subagent = false;
                if held.total.is_some() {
                    self.previous_total = held.total;
                }
                self.count(held.usage, &held.key);
            }
        }
        let delta = last.or_else(|| total.map(|t| t.minus(self.previous_total.as_ref())));
        if total.is_some() {
            self.previous_total = total;
        }
        if let Some(delta) = delta {
            self.count(delta, timestamp);
        }
    }

    fn count(&mut self, raw: RawUsage, timestamp: &str) {
        if raw.is_zero() {
            return;
        }
        let model = self
            .current_model
            .clone()
            .unwrap_or_else(|| FALLBACK_MODEL.to_string());
        // Lengths first, so no two (timestamp, model) pairs give the same bytes.
        let mut counts = [0u8; 56];
        let numbers = [
            timestamp.len() as u64,
            model.len() as u64,
            raw.input_tokens,
            raw.cached_input_tokens,
            raw.output_tokens,
            raw.reasoning_output_tokens,
            raw.total_tokens,
        ];
        for (to, n) in counts.chunks_exact_mut(8).zip(numbers) {
            to.copy_from_slice(&n.to_le_bytes());
        }
        if !self
            .counted_events
            .insert(&[&counts, timestamp.as_bytes(), model.as_bytes()])
        {
            return;
        }
        if self.current_model.is_none() {
            self.facts.note_model(&model);
        }
        let usage = raw.usage();
        let cost = pricing::codex_cost(&model, &usage);
        self.facts
            .add_usage(parse_ts(Some(timestamp)), &model, &usage, cost);
    }
}

/// The first `text` of an `item_completed` item's content blocks.
fn first_text(content: &Value) -> Option<&str> {
    content
        .as_array()?
        .iter()
        .find_map(|block| str_at(block, "text"))
}

fn str_at<'a>(v: &'a Value, key: &str) -> Option<&'a str> {
    v.get(key)
        .and_then(Value::as_str)
        .map(str::trim)
        .filter(|s| !s.is_empty())
}

/// The text a tool printed: the `output` string itself, or the `output` field of the
/// JSON object it holds (older Codex).
fn output_text(output: Option<&Value>) -> Option<String> {
    match output? {
        Value::String(s) => match serde_json::from_str::<Value>(s) {
            Ok(Value::Object(o)) => o.get("output").and_then(Value::as_str).map(str::to_string),
            _ => Some(s.clone()),
        },
        Value::Object(o) => o.get("output").and_then(Value::as_str).map(str::to_string),
        _ => None,
    }
}

/// Codex writes a tool's output as a string, either JSON with `metadata.exit_code`
/// (older) or text starting `Exit code: N` (newer); an object with `metadata` is read
/// the same way.
fn tool_output_failed(output: Option<&str>) -> bool {
    let Some(raw) = output else { return false };
    if cannot_fail(raw) {
        return false;
    }
    let exit_code = |json: &str| {
        serde_json::from_str::<ExecOutput>(json)
            .ok()
            .and_then(|o| o.metadata)
            .and_then(|m| m.exit_code)
    };
    let code = match raw.as_bytes().first() {
        Some(b'{') => exit_code(raw),
        Some(b'"') => {
            let Ok(text) = serde_json::from_str::<Cow<str>>(raw) else {
                return false;
            };
            match text.strip_prefix("Exit code: ") {
                Some(rest) => rest
                    .split(|c: char| !c.is_ascii_digit() && c != '-')
                    .next()
                    .and_then(|n| n.parse::<i64>().ok()),
                None => exit_code(&text),
            }
        }
        _ => None,
    };
    code.is_some_and(|c| c != 0)
}

/// Can this raw tool output (a JSON string) be judged not failed without decoding it?
/// Yes when it does not start with `Exit code: `, has no `\u` escape (which could spell
/// any text), and every `exit_code` in it is followed by `":0` and `,` or `}` in its
/// escaped form: then any exit code [`tool_output_failed`] could read from the
/// decoded text is 0. Spares decoding and re-parsing megabytes of shell output.
fn cannot_fail(raw: &str) -> bool {
    let b = raw.as_bytes();
    if b.first() != Some(&b'"')
        || b.starts_with(b"\"Exit code: ")
        || memchr::memmem::find(b, b"\\u").is_some()
    {
        return false;
    }
    memchr::memmem::find_iter(b, b"exit_code").all(|at| {
        let rest = &b[at + b"exit_code".len()..];
        rest.starts_with(b"\\\":0,") || rest.starts_with(b"\\\":0}")
    })
}

/// Is a string at `path` of a rollout line one the parser skips, assuming the line is
/// a `response_item` (checked after decoding, see [`CodexTranscript::apply_condensed`])?
/// The item's `output` is dropped too, once kept aside in `output` (it must be valid
/// UTF-8, as serde would require of it).
fn ignored_by_item<'a>(
    path: &[Seg<'a>],
    token: &'a [u8],
    output: &mut Option<&'a str>,
) -> Decision {
    use Seg::Key;
    const ITEM: &[&[u8]] = &[
        b"type",
        b"call_id",
        b"output",
        b"arguments",
        b"input",
        b"action",
    ];
    match path {
        [Key(k), ..] if !matches!(*k, b"timestamp" | b"type" | b"payload") => Decision::Drop,
        [Key(b"payload"), Key(b"output")] => {
            match (output.is_none(), simdutf8::basic::from_utf8(token)) {
                (true, Ok(text)) => {
                    *output = Some(text);
                    Decision::Drop
                }
                _ => Decision::GiveUp,
            }
        }
        [Key(b"payload"), Key(k), ..] if !ITEM.contains(k) => Decision::Drop,
        _ => Decision::Keep,
    }
}

impl CodexTranscript {
    /// Decode a long `response_item` line from its condensed copy (see [`condense`]).
    /// Returns `false`, having changed nothing, when the line must be decoded as it is.
    fn apply_condensed(&mut self, line: &[u8]) -> bool {
        if line.len() < condense::MIN_LINE
            || memchr::memmem::find(&line[..line.len().min(256)], b"\"type\":\"response_item\"")
                .is_none()
        {
            return false;
        }
        let mut short = condense::take_scratch();
        let mut output = None;
        let mut done = false;
        if condense::condense(line, &mut short, |path, token| {
            ignored_by_item(path, token, &mut output)
        }) {
            if let Ok(l) = serde_json::from_slice::<Line>(&short) {
                // One `type`, one `payload`, read as an item: the dropped strings were
                // ones `ResponseItem` and `Line` skip.
                if l.kinds_seen == 1 && l.payloads_seen == 1 {
                    if let Payload::Item(item) = l.payload {
                        if let Some(ts) = parse_ts(l.timestamp.as_deref()) {
                            self.facts.note_time(ts);
                        }
                        self.response_item(item, output);
                        done = true;
                    }
                }
            }
        }
        condense::give_scratch(short);
        done
    }
}

impl TranscriptParser for CodexTranscript {
    fn apply_line(&mut self, line: &[u8]) {
        if self.apply_condensed(line) {
            return;
        }
        let mut lossy = None;
        if let Some(l) = decode_record::<Line>(line, &mut lossy, &mut self.facts.parse_errors) {
            self.apply(l);
        }
    }

    fn facts(&self) -> &TranscriptFacts {
        &self.facts
    }
}

/// Codex CLI as an [`Agent`](crate::agents::Agent).
pub struct Codex;

static PATHS: AgentPaths = AgentPaths {
    vars: &[var(
        "CODEX_HOME",
        false,
        &[&["sessions"], &["archived_sessions"]],
    )],
    defaults: &[
        (Base::Home, &[".codex", "sessions"]),
        (Base::Home, &[".codex", "archived_sessions"]),
    ],
};

impl Agent for Codex {
    fn harness(&self) -> Harness {
        Harness::Codex
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
        Box::new(CodexTranscript::new(path))
    }
    fn transcript_reader(&self) -> Reader {
        Reader::Lines(|carry| Box::new(transcript::CodexLines::new(carry)))
    }
    fn is_program(&self, name: &str) -> bool {
        // The npm package runs a native binary named after its target triple
        // (`codex-x86_64-unknown-linux-musl`; the kernel keeps 15 characters of it).
        name == "codex" || name.starts_with("codex-x86_64") || name.starts_with("codex-aarch64")
    }
    fn is_script(&self, arg: &str, _after_dash_m: bool) -> bool {
        arg.contains("@openai/codex") || arg.ends_with("/codex")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::Usage;

    fn fold(lines: &[&str]) -> TranscriptFacts {
        let mut t = CodexTranscript::new(Path::new("x.jsonl"));
        for l in lines {
            t.apply_line(l.as_bytes());
        }
        t.facts().clone()
    }

    fn tc(ts: &str, last: Option<(u64, u64, u64)>, total: Option<(u64, u64, u64)>) -> String {
        let u = |t: Option<(u64, u64, u64)>| match t {
            Some((i, c, o)) => format!(
                r#"{{"input_tokens":{i},"cached_input_tokens":{c},"output_tokens":{o},"reasoning_output_tokens":0,"total_tokens":{}}}"#,
                i + o
            ),
            None => "null".into(),
        };
        format!(
            r#"{{"timestamp":"{ts}","type":"event_msg","payload":{{"type":"token_count","info":{{"last_token_usage":{},"total_token_usage":{}}}}}}}"#,
            u(last),
            u(total)
        )
    }

    #[test]
    fn a_response_of_tool_calls_only_is_an_assistant_message() {
        // Codex 0.171 (suite, scenario tool): call, record, output; answer, record.
        let lines = [
            r#"{"timestamp":"2026-01-01T00:00:01Z","type":"response_item","payload":{"type":"custom_tool_call","id":"ctc_1","status":"completed","call_id":"c1","name":"exec","input":"ls"}}"#,
            r#"{"timestamp":"2026-01-01T00:00:01Z","type":"token_usage_record","payload":{}}"#,
            r#"{"timestamp":"2026-01-01T00:00:02Z","type":"response_item","payload":{"type":"custom_tool_call_output","call_id":"c1","output":"ok"}}"#,
            r#"{"timestamp":"2026-01-01T00:00:03Z","type":"event_msg","payload":{"type":"item_completed","item":{"type":"AgentMessage","id":"a1"}}}"#,
            r#"{"timestamp":"2026-01-01T00:00:03Z","type":"response_item","payload":{"type":"function_call","name":"shell","call_id":"c2","arguments":"{}"}}"#,
            r#"{"timestamp":"2026-01-01T00:00:03Z","type":"token_usage_record","payload":{}}"#,
        ];
        let f = fold(&lines);
        // One response of a call only, one of text and a call: two messages.
        assert_eq!((f.assistant_messages, f.tool_calls), (2, 2));
    }

    #[test]
    fn a_task_completed_with_an_error_is_a_failed_turn() {
        // Codex 0.171 after a refused request (suite, scenario error): no `error` event.
        let user = r#"{"timestamp":"2026-01-01T00:00:01Z","type":"event_msg","payload":{"type":"task_started"}}"#;
        let failed = r#"{"timestamp":"2026-01-01T00:00:02Z","type":"event_msg","payload":{"type":"task_complete","last_agent_message":null,"error":{"message":"Stand-in refuses this request","codex_error_info":"other"}}}"#;
        let fine = r#"{"timestamp":"2026-01-01T00:00:02Z","type":"event_msg","payload":{"type":"task_complete","last_agent_message":"done","error":null}}"#;
        assert_eq!(fold(&[user, failed]).turn, TurnState::Errored);
        assert_eq!(fold(&[user, fine]).turn, TurnState::TurnEnded);
    }

    #[test]
    fn last_usage_is_summed_and_cached_is_split_out_of_input() {
        let f = fold(&[
            r#"{"timestamp":"2026-01-01T00:00:00.000Z","type":"turn_context","payload":{"model":"gpt-5-codex","cwd":"/w"}}"#,
            &tc(
                "2026-01-01T00:00:01.000Z",
                Some((100, 40, 10)),
                Some((100, 40, 10)),
            ),
            &tc(
                "2026-01-01T00:00:02.000Z",
                Some((50, 0, 5)),
                Some((150, 40, 15)),
            ),
        ]);
        assert_eq!(f.usage.input_tokens, 60 + 50);
        assert_eq!(f.usage.cache_read_tokens, 40);
        assert_eq!(f.usage.output_tokens, 15);
        assert_eq!(f.models, vec!["gpt-5-codex"]);
    }

    #[test]
    fn totals_only_are_differenced_and_repeats_count_once() {
        let a = tc("2026-01-01T00:00:01.000Z", None, Some((100, 0, 10)));
        let b = tc("2026-01-01T00:00:02.000Z", None, Some((130, 20, 12)));
        let f = fold(&[&a, &a, &b]);
        // First: 100/10; duplicate line: delta 0 → skipped; then 30 (20 cached) / 2.
        assert_eq!(f.usage.input_tokens, 100 + 10);
        assert_eq!(f.usage.cache_read_tokens, 20);
        assert_eq!(f.usage.output_tokens, 12);
        assert_eq!(
            f.models,
            vec!["gpt-5"],
            "no turn_context: ccusage's fallback"
        );
    }

    #[test]
    fn subagent_replay_of_parent_history_is_skipped() {
        let meta = r#"{"timestamp":"2026-01-01T00:03:00.000Z","type":"session_meta","payload":{"id":"child","source":{"subagent":{"thread_spawn":{"parent_thread_id":"parent-1"}}}}}"#;
        let parent_meta = r#"{"timestamp":"2026-01-01T00:03:00.000Z","type":"session_meta","payload":{"id":"parent-1"}}"#;
        let f = fold(&[
            meta,
            parent_meta,
            &tc(
                "2026-01-01T00:03:00.100Z",
                Some((1000, 0, 200)),
                Some((1000, 0, 200)),
            ),
            &tc(
                "2026-01-01T00:03:00.200Z",
                Some((500, 0, 100)),
                Some((1500, 0, 300)),
            ),
            &tc(
                "2026-01-01T00:03:05.000Z",
                Some((70, 0, 7)),
                Some((1570, 0, 307)),
            ),
        ]);
        assert_eq!(f.id.as_deref(), Some("child"));
        assert_eq!(f.parent_id.as_deref(), Some("parent-1"));
        assert_eq!(f.usage.input_tokens, 70);
        assert_eq!(f.usage.output_tokens, 7);
    }

    #[test]
    fn turn_states_and_tool_errors() {
        let user = r#"{"timestamp":"2026-01-01T00:00:00Z","type":"event_msg","payload":{"type":"user_message","message":"  add a test  "}}"#;
        let call = r#"{"timestamp":"2026-01-01T00:00:01Z","type":"response_item","payload":{"type":"function_call","name":"shell","arguments":"{}","call_id":"c1"}}"#;
        let out = r#"{"timestamp":"2026-01-01T00:00:02Z","type":"response_item","payload":{"type":"function_call_output","call_id":"c1","output":"{\"output\":\"no\",\"metadata\":{\"exit_code\":2}}"}}"#;
        let done = r#"{"timestamp":"2026-01-01T00:00:03Z","type":"event_msg","payload":{"type":"task_complete"}}"#;
        assert_eq!(fold(&[user]).turn, TurnState::AwaitingModel);
        assert_eq!(fold(&[user, call]).turn, TurnState::ToolPending);
        let f = fold(&[user, call, out]);
        assert_eq!(f.turn, TurnState::AwaitingModel);
        assert_eq!(f.tool_errors, 1);
        let f = fold(&[user, call, out, done]);
        assert_eq!(f.turn, TurnState::TurnEnded);
        assert_eq!(f.title.as_deref(), Some("add a test"));
        assert_eq!(f.tool_calls, 1);
    }

    #[test]
    fn a_payload_before_its_type_or_with_odd_field_types_still_counts() {
        let f = fold(&[
            r#"{"payload":{"type":"function_call","name":"shell","call_id":"c1"},"type":"response_item","timestamp":"2026-01-02T10:00:00Z"}"#,
            r#"{"timestamp":"2026-01-02T10:00:01Z","type":"response_item","payload":{"type":"function_call_output","call_id":7,"output":"Exit code: 2\nOutput:"}}"#,
            r#"{"type":"event_msg","payload":{"type":"user_message","message":"hi"},"timestamp":"2026-01-02T10:00:02Z"}"#,
        ]);
        assert_eq!(f.tool_calls, 1);
        assert_eq!(f.tool_errors, 1);
        assert_eq!(f.user_messages, 1);
        assert_eq!(f.parse_errors, 0);
    }

    #[test]
    fn exit_code_text_outputs() {
        let failed = |json: &str| {
            let raw: &serde_json::value::RawValue = serde_json::from_str(json).unwrap();
            tool_output_failed(Some(raw.get()))
        };
        assert!(failed(r#""Exit code: 1\nWall time: 0.1s""#));
        assert!(!failed(r#""Exit code: 0\nOutput:""#));
        assert!(!failed(r#""plain""#));
        // Older shape: JSON text inside the string, and the same as an object.
        assert!(failed(
            r#""{\"output\":\"x\",\"metadata\":{\"exit_code\":2}}""#
        ));
        assert!(!failed(
            r#""{\"output\":\"x\",\"metadata\":{\"exit_code\":0}}""#
        ));
        assert!(failed(r#"{"output":"x","metadata":{"exit_code":101}}"#));
        assert!(!failed("null"));
    }

    #[test]
    fn paths_and_roots() {
        let p = Path::new(
            "/h/.codex/sessions/2026/01/02/rollout-2026-01-02T10-00-00-0199a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5b.jsonl",
        );
        assert!(is_transcript(Path::new("/h/.codex/sessions"), p));
        assert_eq!(ids_from_path(p).0, "0199a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5b");
        assert!(!is_transcript(
            Path::new("/h/.codex/sessions"),
            Path::new("/h/.codex/sessions/history.jsonl")
        ));
    }

    /// Totals written by hand from the rules above; see tests/fixtures/codex/README.md.
    #[test]
    fn fixture_totals() {
        use crate::agents::fixture_support::sessions;
        use crate::model::Harness;
        let s = sessions(Harness::Codex, "codex/sessions");
        assert_eq!(s.len(), 4, "the empty file is a session too");
        let full = &s["019a0c11-1111-7000-8000-000000000001"];
        assert_eq!(
            full.usage,
            Usage {
                input_tokens: 1700,
                output_tokens: 230,
                cache_creation_tokens: 0,
                cache_read_tokens: 2000
            }
        );
        assert_eq!(
            full.title.as_deref(),
            Some("Run the test suite and fix whatever fails")
        );
        assert_eq!(full.project.as_deref(), Some("/home/dev/api"));
        assert_eq!(full.git_branch.as_deref(), Some("main"));
        assert_eq!(full.models, vec!["gpt-5-codex"]);
        // 1700 × $1.25/M + 2000 cached × $0.125/M + 230 × $10/M.
        assert!((full.cost_usd.unwrap() - 0.004675).abs() < 1e-12);
        assert_eq!((full.user_messages, full.assistant_messages), (1, 1));
        assert_eq!(
            (full.tool_calls, full.tool_errors, full.parse_errors),
            (1, 1, 1)
        );
        let legacy = &s["019a0c11-2222-7000-8000-000000000002"];
        assert_eq!(
            legacy.usage,
            Usage {
                input_tokens: 600,
                output_tokens: 70,
                cache_creation_tokens: 0,
                cache_read_tokens: 300
            }
        );
        assert_eq!(legacy.model.as_deref(), Some("gpt-5"));
        assert_eq!(
            legacy.parse_errors, 0,
            "a torn last line is not an error yet"
        );
        let child = &s["019a0c11-3333-7000-8000-000000000003"];
        assert_eq!(
            child.parent_id.as_deref(),
            Some("019a0c11-1111-7000-8000-000000000001")
        );
        assert_eq!(
            child.usage,
            Usage {
                input_tokens: 200,
                output_tokens: 20,
                cache_creation_tokens: 0,
                cache_read_tokens: 100
            }
        );
        let empty = &s["019a0c11-4444-7000-8000-000000000004"];
        assert_eq!((empty.usage.total(), empty.message_count()), (0, 0));
    }

    #[test]
    fn a_huge_line_is_skipped_by_the_tail_and_parsing_goes_on() {
        let dir = tempfile::tempdir().unwrap();
        let day = dir.path().join("2026/11/22");
        std::fs::create_dir_all(&day).unwrap();
        let file =
            day.join("rollout-2026-11-22T00-00-00-019a0c11-5555-7000-8000-000000000005.jsonl");
        let mut text = String::new();
        text.push_str(r#"{"timestamp":"2026-11-22T00:00:00Z","type":"event_msg","payload":{"type":"user_message","message":"big"}}"#);
        text.push('\n');
        // A tool output far beyond any sane line (a read chunk or more past the limit, so
        // the tail sees it overflow before its newline), then a normal token count.
        text.push_str(r#"{"timestamp":"2026-11-22T00:00:01Z","type":"response_item","payload":{"type":"function_call_output","call_id":"c","output":""#);
        text.push_str(&"x".repeat(crate::sessions::tail::MAX_LINE_BYTES + 1024 * 1024));
        text.push_str("\"}}\n");
        text.push_str(&tc(
            "2026-11-22T00:00:02Z",
            Some((10, 0, 1)),
            Some((10, 0, 1)),
        ));
        text.push('\n');
        std::fs::write(&file, text).unwrap();
        let mut idx = crate::sessions::index::SessionIndex::new(vec![crate::agents::HarnessRoot {
            harness: crate::model::Harness::Codex,
            path: dir.path().to_path_buf(),
        }]);
        idx.scan_all(chrono::Utc::now());
        let s = &idx.sessions()[0];
        assert_eq!(s.parse_errors, 1, "the oversized line is counted");
        assert_eq!(s.user_messages, 1);
        assert_eq!(s.usage.input_tokens, 10);
    }

    #[test]
    fn commits_prs_and_patched_files_are_collected_for_records() {
        let lines = [
            r#"{"timestamp":"2026-01-01T00:00:01Z","type":"response_item","payload":{"type":"custom_tool_call","name":"apply_patch","call_id":"p1","input":"*** Begin Patch\n*** Update File: src/a.rs\n@@\n-x\n+y\n*** Add File: src/b.rs\n+z\n*** End Patch"}}"#,
            r#"{"timestamp":"2026-01-01T00:00:02Z","type":"response_item","payload":{"type":"function_call","name":"shell","arguments":"{\"command\":[\"bash\",\"-lc\",\"git commit -am fix\"]}","call_id":"c1"}}"#,
            r#"{"timestamp":"2026-01-01T00:00:03Z","type":"response_item","payload":{"type":"function_call_output","call_id":"c1","output":"{\"output\":\"[main 1234abc] fix\\n 1 file changed\\n\",\"metadata\":{\"exit_code\":0}}"}}"#,
            r#"{"timestamp":"2026-01-01T00:00:04Z","type":"response_item","payload":{"type":"function_call","name":"shell","arguments":"{\"command\":[\"bash\",\"-lc\",\"gh pr create --fill\"]}","call_id":"c2"}}"#,
            r#"{"timestamp":"2026-01-01T00:00:05Z","type":"response_item","payload":{"type":"function_call_output","call_id":"c2","output":"Exit code: 0\nOutput:\nhttps://github.com/o/r/pull/9\n"}}"#,
        ];
        let mut t = CodexTranscript::new(Path::new("rollout.jsonl"));
        for l in lines {
            t.apply_line(l.as_bytes());
        }
        let f = t.facts();
        assert_eq!(f.files_written, ["src/a.rs", "src/b.rs"]);
        assert_eq!(f.deliverables, ["1234abc", "https://github.com/o/r/pull/9"]);
        assert!(f.looks_productive());
    }

    /// Rollouts written by the real Codex CLI 0.171.0 (`codex exec`) against a
    /// stand-in Responses API; see tests/fixtures/codex-real/README.md.
    #[test]
    fn real_codex_0_171_rollouts() {
        use crate::agents::fixture_support::sessions;
        use crate::model::Harness;
        let s = sessions(Harness::Codex, "codex-real/sessions");
        assert_eq!(s.len(), 2);
        for session in s.values() {
            assert!(
                session.unknown_records.is_empty(),
                "{}: {:?}",
                session.id,
                session.unknown_records
            );
            assert_eq!(session.agent_version.as_deref(), Some("0.171.0"));
            assert_eq!(session.models, vec!["gpt-6.2-sol"]);
            assert!(!session.price_unknown, "gpt-6.2-sol is priced");
            assert!(session.cost_usd.is_some_and(|c| c > 0.0));
        }
        let hello = &s["01a24ec9-1d1b-77b2-99f3-c92d126068bd"];
        assert_eq!(hello.title.as_deref(), Some("say hello"));
        assert_eq!((hello.user_messages, hello.assistant_messages), (1, 1));
        assert_eq!(
            hello.usage,
            Usage {
                input_tokens: 150,
                output_tokens: 30,
                cache_creation_tokens: 0,
                cache_read_tokens: 50
            }
        );
        let tool = &s["01a24ece-d489-76e1-b4b3-8d170521b682"];
        assert_eq!(tool.title.as_deref(), Some("run the tool"));
        // The response that only called the tool is a message too.
        assert_eq!((tool.user_messages, tool.assistant_messages), (1, 2));
        assert_eq!(tool.tool_calls, 1);
        assert_eq!(
            (
                tool.usage.input_tokens,
                tool.usage.cache_read_tokens,
                tool.usage.output_tokens
            ),
            (300, 100, 60)
        );
    }

    #[test]
    fn item_completed_messages_are_not_counted_twice_beside_the_older_events() {
        let mut t = CodexTranscript::new(Path::new("x.jsonl"));
        for l in [
            r#"{"timestamp":"2026-12-07T10:00:00Z","type":"event_msg","payload":{"type":"user_message","message":"old style"}}"#,
            r#"{"timestamp":"2026-12-07T10:00:00Z","type":"event_msg","payload":{"type":"item_completed","item":{"type":"UserMessage","content":[{"type":"text","text":"new style"}]}}}"#,
            r#"{"timestamp":"2026-12-07T10:00:01Z","type":"event_msg","payload":{"type":"agent_message","message":"a"}}"#,
            r#"{"timestamp":"2026-12-07T10:00:01Z","type":"event_msg","payload":{"type":"item_completed","item":{"type":"AgentMessage","content":[]}}}"#,
            r#"{"timestamp":"2026-12-07T10:00:02Z","type":"event_msg","payload":{"type":"quantum_event"}}"#,
            r#"{"timestamp":"2026-12-07T10:00:02Z","type":"galaxy","payload":{}}"#,
        ] {
            t.apply_line(l.as_bytes());
        }
        let f = t.facts();
        assert_eq!((f.user_messages, f.assistant_messages), (1, 1));
        assert_eq!(f.title.as_deref(), Some("old style"));
        assert_eq!(f.unknown.get("type event_msg.quantum_event"), Some(&1));
        assert_eq!(f.unknown.get("type galaxy"), Some(&1));
    }
}
