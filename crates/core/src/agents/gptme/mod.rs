//! gptme conversations: `$GPTME_LOGS_DIR/<YYYY-MM-DD>-<name>/conversation.jsonl`
//! (default `~/.local/share/gptme/logs`), beside a `config.toml`.
//!
//! `conversation.jsonl` holds one message per line, as gptme's `Message` (read from
//! `gptme/message.py`) is written: {`role` (`system` | `user` | `assistant`), `content` (a string), `timestamp`
//! (ISO 8601; gptme writes *local* time without an offset, newer versions may add one),
//! `files`, `pinned`, `hide`, `call_id`, `metadata`}. `metadata` may hold `model`,
//! `usage` {`input_tokens`, `output_tokens`, `cache_read_tokens`,
//! `cache_creation_tokens`, `reasoning_tokens`} and `cost` (USD); older files put the
//! token keys directly in `metadata` (gptme migrates them on read, and so do we). A
//! `system` message whose `metadata.tool` names a tool is that tool's result.
//!
//! Tool calls are not records of their own: the assistant writes them inside its text,
//! as fenced blocks whose info string names a tool (```` ```shell ````,
//! ```` ```save path ````, ...) or, in the "tool" format, as `@tool(call_id): ...`
//! lines. gptme runs them and appends each result as a `system` message; a result
//! starting with `Error` is a failed tool. `config.toml` (`[chat]` `model`, `workspace`,
//! `name`) gives the model and the working directory (the project).
//!
//! Turn state: a user message → the model is due; an assistant message with tool calls
//! → tools run until the `system` results arrive; an assistant message without tool
//! calls → the turn ended; a visible `system` message starting with `Error` while no
//! tool runs → the agent hit an error. ccusage does not read gptme, so its token totals have no
//! cross-check; they are the sum of per-message `usage`.

pub mod server;
pub(super) mod transcript;

use std::path::Path;

use chrono::{DateTime, Local, NaiveDateTime, TimeZone, Utc};
use serde::Deserialize;
use serde_json::Value;

use super::deliverables::ToolCallKind;
use super::roots::{var, AgentPaths, Base};
use super::transcript::Reader;
use super::Agent;
use super::TurnState;
use super::{decode_record, title_from, TranscriptFacts, TranscriptParser};
use crate::model::{Harness, Usage};
use crate::pricing;

const TITLE_MAX: usize = 120;

/// Languages gptme executes as tools when they open a fenced block.
const TOOL_BLOCKS: &[&str] = &[
    "shell",
    "bash",
    "sh",
    "ipython",
    "python",
    "py",
    "save",
    "append",
    "patch",
    "tmux",
    "browser",
    "gh",
    "computer",
    "morph",
    "subagent",
    "read",
    "rag",
    "chats",
    "screenshot",
    "vision",
    "youtube",
    "tts",
    "choice",
    "todo",
    "todowrite",
    "todoread",
    "complete",
];

/// `<root>/<conversation>/conversation.jsonl` (branches are not separate sessions).
pub fn is_transcript(root: &Path, path: &Path) -> bool {
    let Ok(rel) = path.strip_prefix(root) else {
        return false;
    };
    rel.components().count() == 2 && path.file_name().is_some_and(|n| n == "conversation.jsonl")
}

/// The conversation's directory name is its id.
pub fn ids_from_path(path: &Path) -> (String, Option<String>) {
    let id = path
        .parent()
        .and_then(Path::file_name)
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    (id, None)
}

/// One line of `conversation.jsonl`: the wire type both the facts parser (here) and
/// the transcript reader (`transcript.rs`) decode, so a line one cannot read is a
/// parse error for both.
#[derive(Deserialize)]
pub(super) struct Message {
    pub role: Option<String>,
    #[serde(default)]
    pub content: Value,
    timestamp: Option<String>,
    #[serde(default)]
    pub hide: bool,
    #[serde(default)]
    pub metadata: Value,
    /// The tool call a result answers (newer gptme).
    pub call_id: Option<String>,
}

impl Message {
    /// When it was written (see [`parse_gptme_ts`]).
    pub fn timestamp(&self) -> Option<DateTime<Utc>> {
        self.timestamp.as_deref().and_then(parse_gptme_ts)
    }

    /// The model `metadata` names.
    pub fn model(&self) -> Option<&str> {
        self.metadata.get("model").and_then(Value::as_str)
    }

    /// The tool `metadata` names (a tool result's).
    pub fn tool(&self) -> Option<&str> {
        self.metadata.get("tool").and_then(Value::as_str)
    }

    /// `metadata.usage`, or the token keys directly in `metadata` (older files).
    pub fn usage(&self) -> Usage {
        let u = self
            .metadata
            .get("usage")
            .filter(|u| u.is_object())
            .unwrap_or(&self.metadata);
        Usage {
            input_tokens: u64_at(u, "input_tokens"),
            output_tokens: u64_at(u, "output_tokens"),
            cache_creation_tokens: u64_at(u, "cache_creation_tokens"),
            cache_read_tokens: u64_at(u, "cache_read_tokens"),
        }
    }
}

#[derive(Deserialize, Default)]
struct Config {
    #[serde(default)]
    chat: ChatConfig,
}

#[derive(Deserialize, Default)]
struct ChatConfig {
    model: Option<String>,
    workspace: Option<String>,
}

/// Folds a gptme `conversation.jsonl` line by line; reads `config.toml` once at start.
pub struct GptmeTranscript {
    facts: TranscriptFacts,
    tools_pending: bool,
    /// What the results of the last assistant message's tool calls may announce.
    pending_kind: ToolCallKind,
    config_model: Option<String>,
}

impl GptmeTranscript {
    pub fn new(path: &Path) -> Self {
        let mut facts = TranscriptFacts::default();
        let config: Config = path
            .parent()
            .map(|d| d.join("config.toml"))
            .and_then(|p| std::fs::read_to_string(p).ok())
            .and_then(|s| toml::from_str(&s).ok())
            .unwrap_or_default();
        if let Some(ws) = config.chat.workspace.filter(|w| !w.is_empty()) {
            facts.project = Some(ws);
        }
        GptmeTranscript {
            facts,
            tools_pending: false,
            pending_kind: ToolCallKind::default(),
            config_model: config.chat.model.filter(|m| !m.is_empty()),
        }
    }

    fn apply(&mut self, m: Message) {
        let f = &mut self.facts;
        if let Some(ts) = m.timestamp() {
            f.note_time(ts);
        }
        let text = match &m.content {
            Value::String(s) => s.as_str(),
            _ => "",
        };
        match m.role.as_deref() {
            Some("user") if !m.hide => {
                f.user_messages += 1;
                if f.title.is_none() {
                    f.title = title_from(text, TITLE_MAX);
                }
                self.tools_pending = false;
                f.turn = TurnState::AwaitingModel;
            }
            Some("assistant") => {
                f.assistant_messages += 1;
                let model = m
                    .model()
                    .map(str::to_string)
                    .or_else(|| self.config_model.clone());
                if let Some(model) = model {
                    f.note_model(&model);
                }
                let usage = m.usage();
                f.usage.add(&usage);
                let recorded = m.metadata.get("cost").and_then(Value::as_f64);
                let priced = f
                    .model
                    .as_deref()
                    .filter(|_| usage.total() > 0)
                    .and_then(|model| pricing::message_cost(model, &usage, 0));
                f.add_cost(recorded.or(priced));
                let calls = count_tool_calls(text);
                f.tool_calls += calls;
                self.tools_pending = calls > 0;
                // Deliverables: files named by save/append/patch blocks, and the kind
                // of output the next tool results may carry (a commit, a PR URL).
                for line in text.lines() {
                    let t = line.trim_start();
                    for tool in ["```save ", "```append ", "```patch "] {
                        if let Some(path) = t
                            .strip_prefix(tool)
                            .and_then(|r| r.split_whitespace().next())
                        {
                            f.note_file_write(path);
                        }
                    }
                }
                self.pending_kind = ToolCallKind::of_command(text);
                f.turn = if calls > 0 {
                    TurnState::ToolPending
                } else {
                    TurnState::TurnEnded
                };
            }
            // gptme 0.35 marks a failed model call (`error: generic\nError code: 400
            // ...`) with `metadata.error` and exits.
            Some("system") if m.metadata.get("error").and_then(Value::as_bool) == Some(true) => {
                f.turn = TurnState::Errored;
            }
            Some("system") if self.tools_pending || m.tool().is_some() => {
                // A tool result; several may follow one assistant message.
                if text.trim_start().starts_with("Error") {
                    f.tool_errors += 1;
                }
                f.note_tool_output(self.pending_kind, text);
                f.turn = TurnState::AwaitingModel;
            }
            Some("system") if !m.hide && text.trim_start().starts_with("Error") => {
                // An error outside any tool run: gptme reports a failed model call.
                f.turn = TurnState::Errored;
            }
            _ => {}
        }
    }
}

/// Fenced blocks that open with a tool name, plus `@tool(id):` lines.
fn count_tool_calls(text: &str) -> u32 {
    let mut calls = 0;
    let mut in_block = false;
    for line in text.lines() {
        let t = line.trim_start();
        if let Some(info) = t.strip_prefix("```") {
            if in_block {
                in_block = false;
                continue;
            }
            in_block = true;
            let lang = info.split_whitespace().next().unwrap_or("");
            if TOOL_BLOCKS.contains(&lang) {
                calls += 1;
            }
        } else if !in_block {
            if let Some(rest) = t.strip_prefix('@') {
                let name: String = rest
                    .chars()
                    .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
                    .collect();
                if !name.is_empty() && rest[name.len()..].starts_with('(') {
                    calls += 1;
                }
            }
        }
    }
    calls
}

fn u64_at(v: &Value, key: &str) -> u64 {
    v.get(key).and_then(Value::as_u64).unwrap_or(0)
}

/// gptme writes `datetime.now().isoformat()`: local time without an offset.
fn parse_gptme_ts(s: &str) -> Option<DateTime<Utc>> {
    if let Ok(t) = DateTime::parse_from_rfc3339(s) {
        return Some(t.with_timezone(&Utc));
    }
    let naive = NaiveDateTime::parse_from_str(s, "%Y-%m-%dT%H:%M:%S%.f").ok()?;
    Local
        .from_local_datetime(&naive)
        .earliest()
        .map(|t| t.with_timezone(&Utc))
}

impl TranscriptParser for GptmeTranscript {
    fn apply_line(&mut self, line: &[u8]) {
        let mut lossy = None;
        if let Some(m) = decode_record::<Message>(line, &mut lossy, &mut self.facts.parse_errors) {
            self.apply(m);
        }
    }

    fn facts(&self) -> &TranscriptFacts {
        &self.facts
    }
}

/// Gptme as an [`Agent`](crate::agents::Agent).
pub struct Gptme;

static PATHS: AgentPaths = AgentPaths {
    vars: &[
        var("GPTME_LOGS_HOME", false, &[&[]]),
        var("GPTME_LOGS_DIR", false, &[&[]]),
        var("XDG_DATA_HOME", false, &[&["gptme", "logs"]]),
    ],
    defaults: &[
        // gptme keeps using this one where it already exists, on every OS.
        (Base::Home, &[".local", "share", "gptme", "logs"]),
        (Base::PlatformDirsData("gptme"), &["logs"]),
    ],
};

impl Agent for Gptme {
    fn harness(&self) -> Harness {
        Harness::Gptme
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
        Box::new(GptmeTranscript::new(path))
    }
    fn transcript_reader(&self) -> Reader {
        Reader::Lines(|carry| Box::new(transcript::GptmeLines::new(carry)))
    }
    fn is_program(&self, name: &str) -> bool {
        name == "gptme" || name == "gptme-server"
    }
    /// A bare `gptme` counts only as the module of `python -m gptme`: as any argument
    /// it would make `python3 suite.py --agents gptme` a gptme process.
    fn is_script(&self, arg: &str, after_dash_m: bool) -> bool {
        arg.ends_with("/gptme") || (arg == "gptme" && after_dash_m)
    }
    /// gptme holds `<conversation>/.lock` while it runs.
    fn is_lock_file(&self, name: &str) -> bool {
        name == ".lock"
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tool_blocks_are_counted_but_plain_code_is_not() {
        let text =
            "Let me look.\n```shell\nls\n```\nand\n```txt\nnot a tool\n```\n```save a.py\nx\n```";
        assert_eq!(count_tool_calls(text), 2);
        assert_eq!(count_tool_calls("@shell(call_1): {\"command\": \"ls\"}"), 1);
        assert_eq!(count_tool_calls("email me @ noon"), 0);
    }

    #[test]
    fn a_failed_model_call_marked_in_metadata_fails_the_turn() {
        // gptme 0.35.1 after a refused request (suite, scenario error).
        let dir = tempfile::tempdir().unwrap();
        let mut t = GptmeTranscript::new(&dir.path().join("conversation.jsonl"));
        for l in [
            r#"{"role": "user", "content": "Check the build and report back", "timestamp": "2026-12-07T12:30:48.171496"}"#,
            r#"{"role": "system", "content": "error: generic\nError code: 400 - {'error': {'message': 'Stand-in refuses this request'}}", "timestamp": "2026-12-07T12:31:00.169021+00:00", "metadata": {"error": true, "error_class": "generic", "exit_code": 1}}"#,
        ] {
            t.apply_line(l.as_bytes());
        }
        assert_eq!(t.facts().turn, TurnState::Errored);
    }

    #[test]
    fn a_conversation_with_config_and_usage() {
        let dir = tempfile::tempdir().unwrap();
        let conv = dir.path().join("2026-01-02-happy-fox");
        std::fs::create_dir_all(&conv).unwrap();
        std::fs::write(
            conv.join("config.toml"),
            "[chat]\nmodel = \"anthropic/claude-sonnet-4-5\"\nworkspace = \"/w/app\"\n",
        )
        .unwrap();
        let mut t = GptmeTranscript::new(&conv.join("conversation.jsonl"));
        for l in [
            r#"{"role":"system","content":"You are gptme","timestamp":"2026-01-02T10:00:00+00:00","hide":true}"#,
            r#"{"role":"user","content":"list files","timestamp":"2026-01-02T10:00:01+00:00"}"#,
            r#"{"role":"assistant","content":"```shell\nls\n```","timestamp":"2026-01-02T10:00:03+00:00","metadata":{"usage":{"input_tokens":100,"output_tokens":20,"cache_read_tokens":50,"cache_creation_tokens":5},"cost":0.01}}"#,
        ] {
            t.apply_line(l.as_bytes());
        }
        assert_eq!(t.facts().turn, TurnState::ToolPending);
        t.apply_line(br#"{"role":"system","content":"Error: command not found","timestamp":"2026-01-02T10:00:04+00:00"}"#);
        assert_eq!(t.facts().turn, TurnState::AwaitingModel);
        t.apply_line(br#"{"role":"assistant","content":"Done.","timestamp":"2026-01-02T10:00:06+00:00","metadata":{"model":"openai/gpt-5","input_tokens":7,"output_tokens":3}}"#);
        let f = t.facts();
        assert_eq!(f.turn, TurnState::TurnEnded);
        assert_eq!(f.project.as_deref(), Some("/w/app"));
        assert_eq!(
            f.models,
            vec!["anthropic/claude-sonnet-4-5", "openai/gpt-5"]
        );
        assert_eq!((f.user_messages, f.assistant_messages), (1, 2));
        assert_eq!((f.tool_calls, f.tool_errors), (1, 1));
        assert_eq!(f.usage.input_tokens, 107);
        assert_eq!(f.usage.output_tokens, 23);
        assert_eq!(f.usage.cache_read_tokens, 50);
        assert_eq!(f.usage.cache_creation_tokens, 5);
        // 0.01 recorded, plus the second message priced as gpt-5 (its own model):
        // 7 × $1.25/M + 3 × $10/M.
        assert!((f.cost_usd.unwrap() - (0.01 + 0.00003875)).abs() < 1e-12);
        assert_eq!(f.title.as_deref(), Some("list files"));
    }

    #[test]
    fn naive_local_timestamps_parse() {
        assert!(parse_gptme_ts("2026-01-02T10:00:01.123456").is_some());
        assert!(parse_gptme_ts("yesterday").is_none());
    }

    /// Totals written by hand; see tests/fixtures/gptme/README.md.
    #[test]
    fn fixture_totals() {
        use crate::agents::fixture_support::sessions;
        use crate::model::Harness;
        let s = sessions(Harness::Gptme, "gptme");
        assert_eq!(s.len(), 2);
        let fox = &s["2026-11-20-quick-fox"];
        assert_eq!(
            fox.usage,
            Usage {
                input_tokens: 2120,
                output_tokens: 120,
                cache_creation_tokens: 1500,
                cache_read_tokens: 1500
            }
        );
        assert_eq!((fox.user_messages, fox.assistant_messages), (1, 3));
        assert_eq!((fox.tool_calls, fox.tool_errors), (2, 1));
        assert_eq!(fox.project.as_deref(), Some("/home/dev/notes"));
        assert_eq!(fox.model.as_deref(), Some("anthropic/claude-sonnet-4-5"));
        let broken = &s["2026-11-21-broken-log"];
        assert_eq!((broken.user_messages, broken.assistant_messages), (1, 1));
        assert_eq!(broken.parse_errors, 1);
        assert_eq!(broken.usage.input_tokens, 30);
        assert_eq!(broken.model.as_deref(), Some("openai/gpt-5"));
    }

    #[test]
    fn saved_files_commits_and_prs_are_collected_for_records() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("conversation.jsonl");
        let mut t = GptmeTranscript::new(&path);
        for l in [
            r#"{"role":"assistant","content":"```save src/a.py\nprint(1)\n```\n```patch src/b.py\n<<<<<<< ORIGINAL\n=======\n>>>>>>> UPDATED\n```","timestamp":"2026-01-02T10:00:03+00:00"}"#,
            r#"{"role":"system","content":"Saved to src/a.py","timestamp":"2026-01-02T10:00:04+00:00"}"#,
            r#"{"role":"assistant","content":"```shell\ngit commit -am fix && gh pr create --fill\n```","timestamp":"2026-01-02T10:00:05+00:00"}"#,
            r#"{"role":"system","content":"Ran command:\n[master 5e6f7a8] fix\nhttps://github.com/o/r/pull/4","timestamp":"2026-01-02T10:00:06+00:00"}"#,
        ] {
            t.apply_line(l.as_bytes());
        }
        let f = t.facts();
        assert_eq!(f.files_written, ["src/a.py", "src/b.py"]);
        assert_eq!(f.deliverables, ["5e6f7a8", "https://github.com/o/r/pull/4"]);
    }
}
