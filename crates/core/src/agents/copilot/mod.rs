//! GitHub Copilot CLI sessions: `$COPILOT_STATE_DIR/<session uuid>/events.jsonl`
//! (default `~/.copilot/session-state`).
//!
//! One event per line: {`type`, `data`, `id`, `timestamp`, `parentId`}. Event shapes were
//! read from github/copilot-sdk's generated `session-events.ts` (the schema the CLI
//! writes); only non-ephemeral events reach the file, so there are no deltas, no
//! `session.idle` and no per-call `assistant.usage` on disk. We read:
//! - `session.start` / `session.resume` — `data.sessionId`, `data.selectedModel`,
//!   `data.context` {`cwd`, `branch`, `gitRoot`, ...};
//! - `session.model_change` — `data.newModel`;
//! - `user.message` — `data.content` (a prompt);
//! - `assistant.turn_start` / `assistant.turn_end`;
//! - `assistant.message` — `data.messageId`, `data.model`, `data.toolRequests`
//!   [{`toolCallId`, `name`}];
//! - `tool.execution_start` / `tool.execution_complete` — `data.toolCallId`,
//!   `data.success` (false = a tool error);
//! - `session.error`, `abort`, and `session.shutdown` — `data.shutdownType`
//!   (`routine` | `error`) and `data.modelMetrics` {model: {`usage`: {`inputTokens`,
//!   `outputTokens`, `cacheReadTokens`, `cacheWriteTokens`}}}.
//!
//! Tokens: the file carries usage only in `session.shutdown` (per process run), so a
//! live session shows none until its run ends; each shutdown's metrics are added.
//! `inputTokens` includes cache reads (the OpenAI convention, and the rule ccusage
//! applies to Copilot's OpenTelemetry spans), so input = `inputTokens - min(inputTokens,
//! cacheReadTokens)`. ccusage 20 reads Copilot usage from OpenTelemetry exports
//! (`~/.copilot/otel/*.jsonl`), not from these files, so its totals are not comparable.

pub(super) mod transcript;

use std::collections::HashSet;
use std::path::Path;

use serde::Deserialize;
use serde_json::Value;

use super::roots::{var, AgentPaths, Base};
use super::transcript::Reader;
use super::Agent;
use super::TurnState;
use super::{decode_record, file_stem, parse_ts, title_from, TranscriptFacts, TranscriptParser};
use crate::model::{Harness, Usage};
use crate::pricing;

const TITLE_MAX: usize = 120;

/// `<root>/<uuid>/events.jsonl`.
pub fn is_transcript(root: &Path, path: &Path) -> bool {
    let Ok(rel) = path.strip_prefix(root) else {
        return false;
    };
    rel.components().count() == 2 && path.file_name().is_some_and(|n| n == "events.jsonl")
}

/// The session folder's name is the session id.
pub fn ids_from_path(path: &Path) -> (String, Option<String>) {
    let id = path.parent().map(file_stem).unwrap_or_default();
    (id, None)
}

/// One line of `events.jsonl`: the wire type both the facts parser (here) and the
/// transcript reader (`transcript.rs`) decode, so a line one cannot read is a parse
/// error for both.
#[derive(Deserialize)]
pub(super) struct Event {
    #[serde(rename = "type")]
    pub kind: Option<String>,
    #[serde(default)]
    pub data: Value,
    timestamp: Option<String>,
}

impl Event {
    /// When it was written.
    pub fn timestamp(&self) -> Option<chrono::DateTime<chrono::Utc>> {
        parse_ts(self.timestamp.as_deref())
    }
}

/// Folds a Copilot CLI `events.jsonl` line by line.
pub struct CopilotTranscript {
    facts: TranscriptFacts,
    pending_tools: HashSet<String>,
    messages_seen: HashSet<String>,
    last_message_requested_tools: bool,
}

impl CopilotTranscript {
    pub fn new(_path: &Path) -> Self {
        CopilotTranscript {
            facts: TranscriptFacts::default(),
            pending_tools: HashSet::new(),
            messages_seen: HashSet::new(),
            last_message_requested_tools: false,
        }
    }

    fn apply(&mut self, e: Event) {
        let f = &mut self.facts;
        if let Some(ts) = e.timestamp() {
            f.note_time(ts);
        }
        let d = &e.data;
        match e.kind.as_deref() {
            Some("session.start" | "session.resume") => {
                if let Some(id) = str_at(d, "sessionId") {
                    f.id = Some(id.to_string());
                }
                if let Some(model) = str_at(d, "selectedModel") {
                    f.note_model(model);
                }
                if let Some(ctx) = d.get("context") {
                    if let Some(cwd) = str_at(ctx, "cwd") {
                        f.project = Some(cwd.to_string());
                    }
                    if let Some(branch) = str_at(ctx, "branch") {
                        f.git_branch = Some(branch.to_string());
                    }
                }
                if let Some(t) = parse_ts(str_at(d, "startTime")) {
                    f.note_time(t);
                }
                if e.kind.as_deref() == Some("session.resume") {
                    f.turn = TurnState::TurnEnded;
                }
            }
            Some("session.model_change") => {
                if let Some(model) = str_at(d, "newModel") {
                    f.note_model(model);
                }
            }
            Some("user.message") => {
                f.user_messages += 1;
                if f.title.is_none() {
                    f.title = str_at(d, "content").and_then(|c| title_from(c, TITLE_MAX));
                }
                f.turn = TurnState::AwaitingModel;
            }
            Some("assistant.turn_start") => f.turn = TurnState::AwaitingModel,
            Some("assistant.message") => {
                let fresh = match str_at(d, "messageId") {
                    Some(id) => self.messages_seen.insert(id.to_string()),
                    None => true,
                };
                if fresh {
                    f.assistant_messages += 1;
                }
                if let Some(model) = str_at(d, "model") {
                    f.note_model(model);
                }
                let requests = d
                    .get("toolRequests")
                    .and_then(Value::as_array)
                    .map(Vec::as_slice)
                    .unwrap_or_default();
                for r in requests {
                    if fresh {
                        f.tool_calls += 1;
                    }
                    if let Some(id) = str_at(r, "toolCallId") {
                        self.pending_tools.insert(id.to_string());
                    }
                }
                self.last_message_requested_tools = !requests.is_empty();
                f.turn = if self.pending_tools.is_empty() {
                    TurnState::Streaming
                } else {
                    TurnState::ToolPending
                };
            }
            Some("tool.execution_start") => {
                if let Some(id) = str_at(d, "toolCallId") {
                    self.pending_tools.insert(id.to_string());
                }
                f.turn = TurnState::ToolPending;
            }
            Some("tool.execution_complete") => {
                if let Some(id) = str_at(d, "toolCallId") {
                    self.pending_tools.remove(id);
                }
                if d.get("success").and_then(Value::as_bool) == Some(false) {
                    f.tool_errors += 1;
                }
                f.turn = if self.pending_tools.is_empty() {
                    TurnState::AwaitingModel
                } else {
                    TurnState::ToolPending
                };
            }
            Some("assistant.turn_end") => {
                f.turn = if !self.pending_tools.is_empty() {
                    TurnState::ToolPending
                } else if self.last_message_requested_tools {
                    TurnState::AwaitingModel
                } else {
                    TurnState::TurnEnded
                };
            }
            Some("abort") => {
                self.pending_tools.clear();
                f.turn = TurnState::TurnEnded;
            }
            Some("session.error") => f.turn = TurnState::Errored,
            Some("session.shutdown") => {
                if let Some(metrics) = d.get("modelMetrics").and_then(Value::as_object) {
                    for (model, m) in metrics {
                        let Some(u) = m.get("usage") else { continue };
                        let input = u64_at(u, "inputTokens");
                        let cache_read = u64_at(u, "cacheReadTokens");
                        let usage = Usage {
                            input_tokens: input - input.min(cache_read),
                            output_tokens: u64_at(u, "outputTokens"),
                            cache_creation_tokens: u64_at(u, "cacheWriteTokens"),
                            cache_read_tokens: cache_read,
                        };
                        f.usage.add(&usage);
                        f.add_cost(pricing::message_cost(model, &usage, 0));
                        f.note_model(model);
                    }
                }
                if let Some(model) = str_at(d, "currentModel") {
                    f.note_model(model);
                }
                self.pending_tools.clear();
                // A routine shutdown right after a `session.error` (1.0.102 exits so
                // after a refused request) ends a failed session.
                f.turn =
                    if str_at(d, "shutdownType") == Some("error") || f.turn == TurnState::Errored {
                        TurnState::Errored
                    } else {
                        TurnState::TurnEnded
                    };
            }
            _ => {}
        }
    }
}

fn str_at<'a>(v: &'a Value, key: &str) -> Option<&'a str> {
    v.get(key)
        .and_then(Value::as_str)
        .map(str::trim)
        .filter(|s| !s.is_empty())
}

fn u64_at(v: &Value, key: &str) -> u64 {
    v.get(key)
        .and_then(Value::as_f64)
        .filter(|f| f.is_finite() && *f > 0.0)
        .map(|f| f as u64)
        .unwrap_or(0)
}

impl TranscriptParser for CopilotTranscript {
    fn apply_line(&mut self, line: &[u8]) {
        let mut lossy = None;
        if let Some(e) = decode_record::<Event>(line, &mut lossy, &mut self.facts.parse_errors) {
            self.apply(e);
        }
    }

    fn facts(&self) -> &TranscriptFacts {
        &self.facts
    }
}

/// Copilot CLI as an [`Agent`](crate::agents::Agent).
pub struct Copilot;

static PATHS: AgentPaths = AgentPaths {
    vars: &[
        var("COPILOT_STATE_DIR", false, &[&[]]),
        var("COPILOT_HOME", false, &[&["session-state"]]),
    ],
    defaults: &[(Base::Home, &[".copilot", "session-state"])],
};

impl Agent for Copilot {
    fn harness(&self) -> Harness {
        Harness::Copilot
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
        Box::new(CopilotTranscript::new(path))
    }
    fn transcript_reader(&self) -> Reader {
        Reader::Lines(|carry| Box::new(transcript::CopilotLines::new(carry)))
    }
    /// Copilot CLI 1.0's native binary renames its process `MainThread`: its first
    /// argument still names the program.
    fn is_program(&self, name: &str) -> bool {
        name == "copilot"
    }
    fn is_script(&self, arg: &str, _after_dash_m: bool) -> bool {
        arg.contains("@github/copilot") || arg.ends_with("/copilot")
    }
    /// Copilot CLI (1.0) holds `<session>/inuse.<pid>.hold` while it runs.
    fn is_lock_file(&self, name: &str) -> bool {
        name.starts_with("inuse.") && name.ends_with(".hold")
    }
    /// gptme-sessions calls it `copilot-cli`.
    fn record_name(&self) -> &'static str {
        "copilot-cli"
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fold(lines: &[&str]) -> TranscriptFacts {
        let mut t = CopilotTranscript::new(Path::new("events.jsonl"));
        for l in lines {
            t.apply_line(l.as_bytes());
        }
        t.facts().clone()
    }

    const START: &str = r#"{"type":"session.start","id":"e1","parentId":null,"timestamp":"2026-01-01T00:00:00.000Z","data":{"sessionId":"c1","version":1,"producer":"copilot-agent","copilotVersion":"1.0.0","startTime":"2026-01-01T00:00:00.000Z","selectedModel":"claude-sonnet-4.5","context":{"cwd":"/w/site","branch":"dev"}}}"#;
    const USER: &str = r#"{"type":"user.message","id":"e2","parentId":"e1","timestamp":"2026-01-01T00:00:01.000Z","data":{"content":"fix the footer"}}"#;
    const ASK: &str = r#"{"type":"assistant.message","id":"e3","parentId":"e2","timestamp":"2026-01-01T00:00:03.000Z","data":{"messageId":"m1","content":"","toolRequests":[{"toolCallId":"t1","name":"bash"}]}}"#;
    const DONE: &str = r#"{"type":"tool.execution_complete","id":"e4","parentId":"e3","timestamp":"2026-01-01T00:00:04.000Z","data":{"toolCallId":"t1","success":false}}"#;
    const END: &str = r#"{"type":"session.shutdown","id":"e5","parentId":"e4","timestamp":"2026-01-01T00:00:09.000Z","data":{"shutdownType":"routine","modelMetrics":{"claude-sonnet-4.5":{"requests":{"count":2},"usage":{"inputTokens":1000,"outputTokens":80,"cacheReadTokens":600,"cacheWriteTokens":30}}}}}"#;

    #[test]
    fn a_session_with_a_failed_tool_and_shutdown_usage() {
        assert_eq!(fold(&[START, USER]).turn, TurnState::AwaitingModel);
        assert_eq!(fold(&[START, USER, ASK]).turn, TurnState::ToolPending);
        assert_eq!(
            fold(&[START, USER, ASK, DONE]).turn,
            TurnState::AwaitingModel
        );
        let f = fold(&[START, USER, ASK, DONE, END]);
        assert_eq!(f.turn, TurnState::TurnEnded);
        assert_eq!(f.id.as_deref(), Some("c1"));
        assert_eq!(f.project.as_deref(), Some("/w/site"));
        assert_eq!(f.git_branch.as_deref(), Some("dev"));
        assert_eq!((f.user_messages, f.assistant_messages), (1, 1));
        assert_eq!((f.tool_calls, f.tool_errors), (1, 1));
        assert_eq!(f.usage.input_tokens, 400);
        assert_eq!(f.usage.cache_read_tokens, 600);
        assert_eq!(f.usage.cache_creation_tokens, 30);
        assert_eq!(f.usage.output_tokens, 80);
        assert_eq!(f.models, vec!["claude-sonnet-4.5"]);
    }

    #[test]
    fn a_routine_shutdown_after_a_session_error_stays_failed() {
        // Copilot CLI 1.0.102 after a refused request (suite, scenario error).
        let error = r#"{"type":"session.error","data":{"errorType":"query","message":"500 Internal server error","statusCode":500},"timestamp":"2026-01-01T00:00:08.000Z"}"#;
        let end = r#"{"type":"session.shutdown","timestamp":"2026-01-01T00:00:09.000Z","data":{"shutdownType":"routine","modelMetrics":{}}}"#;
        assert_eq!(fold(&[START, USER, error, end]).turn, TurnState::Errored);
        assert_eq!(fold(&[START, USER, end]).turn, TurnState::TurnEnded);
    }

    #[test]
    fn error_shutdown_fails() {
        let end = r#"{"type":"session.shutdown","timestamp":"2026-01-01T00:00:09.000Z","data":{"shutdownType":"error","modelMetrics":{}}}"#;
        assert_eq!(fold(&[START, USER, end]).turn, TurnState::Errored);
    }

    /// Totals written by hand; see tests/fixtures/copilot/README.md.
    #[test]
    fn fixture_totals() {
        use crate::agents::fixture_support::sessions;
        use crate::model::Harness;
        let s = sessions(Harness::Copilot, "copilot");
        let done = &s["3f6c9a52-1b7e-4c0a-9d55-2a8e71f0c001"];
        assert_eq!(
            done.usage,
            Usage {
                input_tokens: 6000,
                output_tokens: 900,
                cache_creation_tokens: 2500,
                cache_read_tokens: 18000
            }
        );
        assert_eq!((done.user_messages, done.assistant_messages), (1, 2));
        assert_eq!((done.tool_calls, done.tool_errors), (2, 1));
        assert_eq!(done.git_branch.as_deref(), Some("feature/footer"));
        let live = &s["3f6c9a52-1b7e-4c0a-9d55-2a8e71f0c002"];
        assert_eq!(live.models, vec!["gpt-5", "gpt-5-mini"]);
        assert_eq!(live.parse_errors, 1);
        assert_eq!(live.title.as_deref(), Some("why is the build slow?"));
        assert_eq!(live.usage.total(), 0);
    }
}
