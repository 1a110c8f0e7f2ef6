//! The plain data types every other part of Sessionscope speaks: sessions, their status
//! and usage, the change sets pushed to the UI, and supervised runs.
//!
//! These types are serialised to JSON for the CLI (`--json`) and for Tauri IPC, and they
//! are exported to TypeScript with `ts-rs` (see `bindings.rs`), so the front end never
//! declares a type of its own. This module holds no logic beyond small accessors; it
//! must never depend on I/O.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use ts_rs::TS;

/// Which coding agent wrote a session.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize, TS)]
#[serde(rename_all = "kebab-case")]
pub enum Harness {
    ClaudeCode,
    Codex,
    Gptme,
    Gemini,
    Opencode,
    Copilot,
}

impl Harness {
    /// The name used on the command line and in the record store (`claude-code`, ...).
    pub fn as_str(self) -> &'static str {
        match self {
            Harness::ClaudeCode => "claude-code",
            Harness::Codex => "codex",
            Harness::Gptme => "gptme",
            Harness::Gemini => "gemini",
            Harness::Opencode => "opencode",
            Harness::Copilot => "copilot",
        }
    }
}

impl std::fmt::Display for Harness {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A harness name no agent has.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown harness {0:?} (claude-code, codex, gptme, gemini, opencode, copilot)")]
pub struct UnknownHarness(pub String);

/// The one parser of harness names, as the CLI and the record store spell them:
/// [`Harness::as_str`], plus `claude` and gptme-sessions' `copilot-cli`.
impl std::str::FromStr for Harness {
    type Err = UnknownHarness;

    fn from_str(name: &str) -> Result<Self, Self::Err> {
        Ok(match name {
            "claude-code" | "claude" => Harness::ClaudeCode,
            "codex" => Harness::Codex,
            "gptme" => Harness::Gptme,
            "gemini" => Harness::Gemini,
            "opencode" => Harness::Opencode,
            "copilot" | "copilot-cli" => Harness::Copilot,
            _ => return Err(UnknownHarness(name.to_string())),
        })
    }
}

/// What a session is doing right now, as inferred by `status`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, TS)]
#[serde(rename_all = "kebab-case")]
pub enum Status {
    /// The model is producing a response (a prompt or tool result awaits its answer).
    Generating,
    /// The model asked for a tool call whose result has not been written yet.
    RunningTool,
    /// The agent finished its turn; its process is alive and waits for the user.
    WaitingForInput,
    /// Alive or recently alive, but nothing has happened for a long time.
    Idle,
    /// The agent's process is gone and the session ended normally.
    Ended,
    /// The agent's process is gone and the last record was an error.
    Failed,
}

impl Status {
    /// Active sessions are the ones a user may need to look at now.
    pub fn is_active(self) -> bool {
        matches!(
            self,
            Status::Generating | Status::RunningTool | Status::WaitingForInput
        )
    }
}

/// Token counts of one session or one message. Cached tokens are counted separately
/// from `input_tokens`, as Anthropic reports them.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize, TS)]
pub struct Usage {
    #[ts(type = "number")]
    pub input_tokens: u64,
    #[ts(type = "number")]
    pub output_tokens: u64,
    #[ts(type = "number")]
    pub cache_creation_tokens: u64,
    #[ts(type = "number")]
    pub cache_read_tokens: u64,
}

impl Usage {
    /// Token counts come from files anyone can write: sums saturate at `u64::MAX`
    /// instead of panicking (debug) or wrapping to a small number (release).
    pub fn add(&mut self, other: &Usage) {
        self.input_tokens = self.input_tokens.saturating_add(other.input_tokens);
        self.output_tokens = self.output_tokens.saturating_add(other.output_tokens);
        self.cache_creation_tokens = self
            .cache_creation_tokens
            .saturating_add(other.cache_creation_tokens);
        self.cache_read_tokens = self
            .cache_read_tokens
            .saturating_add(other.cache_read_tokens);
    }

    pub fn total(&self) -> u64 {
        self.input_tokens
            .saturating_add(self.output_tokens)
            .saturating_add(self.cache_creation_tokens)
            .saturating_add(self.cache_read_tokens)
    }
}

/// One agent session as the table shows it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
pub struct Session {
    /// Stable key: harness plus the agent's own session id.
    pub key: String,
    /// The agent's own session id (a uuid for Claude Code).
    pub id: String,
    pub harness: Harness,
    /// The first `summary` record, else the first user prompt (trimmed).
    pub title: Option<String>,
    /// Working directory of the agent, taken from the records.
    pub project: Option<String>,
    pub git_branch: Option<String>,
    /// The model of the most recent assistant message.
    pub model: Option<String>,
    /// Every model seen in the session, in order of first use.
    pub models: Vec<String>,
    pub started_at: Option<DateTime<Utc>>,
    pub last_activity: Option<DateTime<Utc>>,
    /// Since when the session has been in its current status (drives the ticking clock).
    pub status_since: Option<DateTime<Utc>>,
    pub user_messages: u32,
    pub assistant_messages: u32,
    pub tool_calls: u32,
    pub tool_errors: u32,
    pub usage: Usage,
    /// Money spent in US dollars, as ccusage computes it: per message, the cost the
    /// agent recorded, else the usage priced with the embedded table
    /// ([`crate::pricing`]). `None` when no message could be priced (unknown model).
    pub cost_usd: Option<f64>,
    /// Tokens were used but no cost is known: the model is not in the price table and
    /// the agent recorded no cost. Shown as "price unknown" beside the tokens.
    pub price_unknown: bool,
    /// Lines that could not be parsed; the session stays visible regardless.
    pub parse_errors: u32,
    pub status: Status,
    /// PID of the agent process matched to this session, if any.
    pub pid: Option<u32>,
    /// Several agent processes of this kind share the session's directory and nothing
    /// says which one writes it: the session counts as running, but no pid is named
    /// and Kill refuses it.
    pub ambiguous: bool,
    /// The name the agent itself shows for the session (Claude Code's live state).
    pub agent_name: Option<String>,
    /// The agent's version, as its records name it.
    pub agent_version: Option<String>,
    /// Drift guard: record types and fields the parser does not know, with how often
    /// each was seen. Empty when the format is fully understood.
    pub unknown_records: std::collections::BTreeMap<String, u32>,
    /// The transcript file.
    pub path: String,
    /// The file was deleted after it was seen.
    pub gone: bool,
    /// For sub-agent transcripts: the session that spawned them.
    pub parent_id: Option<String>,
}

impl Session {
    /// User plus assistant messages, the "messages" column.
    pub fn message_count(&self) -> u32 {
        self.user_messages + self.assistant_messages
    }
}

/// How far a scan has got: files and bytes read of those found. Reported from the
/// scanning threads, so `files_done` may arrive out of order by a step or two.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize, TS)]
pub struct ScanProgress {
    #[ts(type = "number")]
    pub files_done: u64,
    #[ts(type = "number")]
    pub files_total: u64,
    #[ts(type = "number")]
    pub bytes_done: u64,
    #[ts(type = "number")]
    pub bytes_total: u64,
}

/// Who wrote a piece of transcript text.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "kebab-case")]
pub enum TextRole {
    User,
    Assistant,
    /// A tool's output.
    Tool,
}

impl TextRole {
    pub fn as_str(self) -> &'static str {
        match self {
            TextRole::User => "user",
            TextRole::Assistant => "assistant",
            TextRole::Tool => "tool",
        }
    }

    /// The inverse of [`TextRole::as_str`]; anything else reads as tool output.
    pub fn parse(s: &str) -> TextRole {
        match s {
            "user" => TextRole::User,
            "assistant" => TextRole::Assistant,
            _ => TextRole::Tool,
        }
    }
}

/// One full-text search result: where the words were found and a snippet with the
/// matches between `[` and `]`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
pub struct SearchHit {
    /// The same key as [`Session::key`].
    pub session_key: String,
    pub session_id: String,
    pub harness: Harness,
    pub role: TextRole,
    pub timestamp: Option<DateTime<Utc>>,
    /// The transcript file.
    pub path: String,
    pub snippet: String,
}

/// The answer to a full-text search in the app: the hits, and the transcripts the
/// index could not read (so not searched), each as "path: why" ("… too large to read
/// (70 MiB; files over 64 MiB are not read whole)").
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, TS)]
pub struct FullTextResults {
    pub hits: Vec<SearchHit>,
    pub skipped: Vec<String>,
}

/// Counts for the header of the table.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize, TS)]
pub struct SessionCounts {
    pub total: u32,
    pub active: u32,
    pub idle: u32,
    pub generating: u32,
    pub running_tool: u32,
    pub waiting: u32,
    pub ended: u32,
}

impl SessionCounts {
    pub fn of<'a>(sessions: impl IntoIterator<Item = &'a Session>) -> Self {
        let mut c = SessionCounts::default();
        for s in sessions {
            c.total += 1;
            match s.status {
                Status::Generating => c.generating += 1,
                Status::RunningTool => c.running_tool += 1,
                Status::WaitingForInput => c.waiting += 1,
                Status::Idle => c.idle += 1,
                Status::Ended | Status::Failed => c.ended += 1,
            }
            if s.status.is_active() {
                c.active += 1;
            }
        }
        c
    }
}

/// What changed in the session table since the last push: rows to insert or replace,
/// and keys of rows to drop.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, TS)]
pub struct SessionChange {
    pub upserted: Vec<Session>,
    pub removed: Vec<String>,
}

impl SessionChange {
    pub fn is_empty(&self) -> bool {
        self.upserted.is_empty() && self.removed.is_empty()
    }

    /// Fold a later change into this one, keeping only the newest version of each row.
    /// Rows are found by key through a map: a search of the list per row made the
    /// first scan of 100k files quadratic (issue 17).
    pub fn merge(&mut self, later: SessionChange) {
        use std::collections::{HashMap, HashSet};
        if self.upserted.is_empty() && self.removed.is_empty() {
            // Into nothing (a first scan's first root: 70k rows): `later` itself,
            // unless it names a key twice, which the general way below settles.
            let mut keys: HashSet<&str> = HashSet::with_capacity(later.upserted.len());
            let distinct = later.upserted.iter().all(|s| keys.insert(&s.key))
                && later.removed.iter().all(|k| keys.insert(k));
            if distinct {
                *self = later;
                return;
            }
        }
        let mut at: HashMap<String, usize> = self
            .upserted
            .iter()
            .enumerate()
            .map(|(i, s)| (s.key.clone(), i))
            .collect();
        let mut removed: HashSet<String> = self.removed.iter().cloned().collect();
        for s in later.upserted {
            if removed.remove(&s.key) {
                self.removed.retain(|k| k != &s.key);
            }
            match at.get(&s.key) {
                Some(&i) => self.upserted[i] = s,
                None => {
                    at.insert(s.key.clone(), self.upserted.len());
                    self.upserted.push(s);
                }
            }
        }
        if later.removed.is_empty() {
            return;
        }
        let gone: HashSet<&str> = later.removed.iter().map(String::as_str).collect();
        self.upserted.retain(|s| !gone.contains(s.key.as_str()));
        for k in later.removed {
            if removed.insert(k.clone()) {
                self.removed.push(k);
            }
        }
    }
}

/// The whole table with its header counts and the roots searched: the answer to the
/// one snapshot request the UI makes at start.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, TS)]
pub struct SessionSnapshot {
    pub sessions: Vec<Session>,
    pub counts: SessionCounts,
    /// Directories searched, shown when no session is found.
    pub roots: Vec<SearchedRoot>,
    /// The first scan is still reading transcripts (the table will be replaced).
    #[serde(default)]
    pub scanning: bool,
    /// Problems that are not rows: files skipped (FIFOs, too large to read), roots
    /// watched by polling. Updated by the `index-notices` event.
    #[serde(default)]
    pub notices: Vec<String>,
}

/// One directory searched for an agent's transcripts, as the first-run screen lists it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
pub struct SearchedRoot {
    pub harness: Harness,
    pub path: String,
    /// The directory exists (the agent has written something there, or was set up).
    pub exists: bool,
    /// Added in Settings rather than the agent's default location.
    pub from_settings: bool,
    /// The variable that moves this agent's files (`CLAUDE_CONFIG_DIR`, ...).
    pub env_var: String,
}

/// The `sessions-changed` event: the rows that changed and the new header counts.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, TS)]
pub struct SessionsChanged {
    pub change: SessionChange,
    pub counts: SessionCounts,
}

/// Lifecycle of a command started by the user.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "kebab-case")]
pub enum RunStatus {
    Running,
    /// Exited with code 0.
    Completed,
    /// Exited non-zero or died of a signal the user did not send.
    Failed,
    /// Stopped by the user through Kill.
    Killed,
}

/// A command started from Sessionscope in a pseudo-terminal.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
pub struct RunInfo {
    pub id: String,
    pub name: String,
    pub command: String,
    pub cwd: Option<String>,
    pub pid: Option<u32>,
    pub started_at: DateTime<Utc>,
    pub ended_at: Option<DateTime<Utc>>,
    pub status: RunStatus,
    pub exit_code: Option<i32>,
    /// Human-readable reason for a failure or kill ("signal SIGTERM", "exit 3").
    pub reason: Option<String>,
    /// Where the full output is kept.
    pub log_path: Option<String>,
    /// Names (never values: they may be secrets) of the environment variables the run
    /// was started with on top of Sessionscope's own environment.
    #[serde(default)]
    pub env_names: Vec<String>,
    /// Milliseconds from start to end; `None` while running.
    #[serde(default)]
    #[ts(type = "number | null")]
    pub duration_ms: Option<u64>,
    /// The number of the signal the process died of, when it died of one.
    #[serde(default)]
    pub exit_signal: Option<i32>,
    /// Start time of the run's process (seconds since the epoch, as the OS reports
    /// it): with `pid` it names the process, so a later Sessionscope never signals a
    /// process that reused the PID.
    #[serde(default)]
    #[ts(type = "number | null")]
    pub pid_start_time: Option<u64>,
    /// Running, but this Sessionscope has no terminal for it: it was started by
    /// another Sessionscope process (the CLI, or an app closed with "leave running").
    /// It takes no input; its output is read back from the log file.
    #[serde(default)]
    pub detached: bool,
}

impl RunInfo {
    /// The exit status a shell would report for the run: its exit code, 128 + the
    /// signal number when a signal ended it, 1 when neither is known (lost runs).
    pub fn shell_exit_code(&self) -> i32 {
        match (self.exit_code, self.exit_signal, self.status) {
            (Some(code), _, _) => code,
            (None, Some(signal), _) => 128 + signal,
            (None, None, RunStatus::Completed) => 0,
            (None, None, _) => 1,
        }
    }
}

/// A batch of terminal output of one run, as pushed to the terminal panel.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
pub struct RunOutput {
    pub run_id: String,
    /// Output decoded as UTF-8; a multibyte character split across reads is held back
    /// until it is complete.
    pub data: String,
    /// What the panel acknowledges once it has drawn `data` (see [`crate::runs::pacer`]).
    pub ack: u32,
}

/// What the user asked to start: any shell command, an agent CLI included.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, TS)]
pub struct RunRequest {
    pub name: String,
    pub command: String,
    pub cwd: Option<String>,
    /// Environment variables set for the run on top of Sessionscope's own (may be
    /// left out: none).
    #[serde(default)]
    #[ts(as = "Option<Vec<EnvVar>>", optional)]
    pub env: Vec<EnvVar>,
}

/// One `NAME=value` pair of a [`RunRequest`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
pub struct EnvVar {
    pub name: String,
    pub value: String,
}

impl EnvVar {
    /// Parse `NAME=value` (the value may be empty or contain `=`).
    pub fn parse(pair: &str) -> Option<EnvVar> {
        let (name, value) = pair.split_once('=')?;
        let valid = !name.is_empty()
            && !name.starts_with(|c: char| c.is_ascii_digit())
            && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_');
        valid.then(|| EnvVar {
            name: name.to_string(),
            value: value.to_string(),
        })
    }
}

/// A block of `NAME=value` lines read with [`EnvVar::parse_lines`]: the variables, and
/// one message per line that is not one.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, TS)]
pub struct EnvLines {
    pub env: Vec<EnvVar>,
    pub errors: Vec<String>,
}

impl EnvVar {
    /// The Runs form's environment field, one `NAME=value` per line: each line is
    /// trimmed, blank lines and `#` comments are skipped, spaces before the `=` are
    /// not part of the name, and the rest is [`EnvVar::parse`] (the CLI's `--env`).
    pub fn parse_lines(text: &str) -> EnvLines {
        let mut out = EnvLines::default();
        for line in text.lines().map(str::trim) {
            if line.is_empty() || line.starts_with('#') {
                continue;
            }
            let var = line
                .split_once('=')
                .and_then(|(name, value)| EnvVar::parse(&format!("{}={value}", name.trim_end())));
            match var {
                Some(var) => out.env.push(var),
                None => out.errors.push(format!("not NAME=value: {line}")),
            }
        }
        out
    }
}

/// What happens to runs still alive when Sessionscope quits (a user setting).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "kebab-case")]
pub enum QuitPolicy {
    /// Keep them running; their output keeps going to the log and the next start of
    /// Sessionscope shows them as running (detached).
    #[default]
    LeaveRunning,
    /// Stop them gracefully (SIGTERM, then SIGKILL after the grace period).
    Stop,
}

/// The user's settings for runs.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
pub struct RunSettings {
    pub quit_policy: QuitPolicy,
    /// Logs of finished runs older than this many days are deleted; `None` keeps them.
    pub log_retention_days: Option<u32>,
    /// How long a kill waits after SIGTERM before it sends SIGKILL.
    #[ts(type = "number")]
    pub kill_grace_ms: u64,
}

impl Default for RunSettings {
    fn default() -> Self {
        RunSettings {
            quit_policy: QuitPolicy::LeaveRunning,
            log_retention_days: Some(30),
            kill_grace_ms: 5000,
        }
    }
}

/// What quitting did to one run, so the app can tell the user.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
pub struct QuitReport {
    pub run_id: String,
    pub name: String,
    pub action: QuitAction,
    /// A sentence for the user ("left running, output still goes to …").
    pub detail: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "kebab-case")]
pub enum QuitAction {
    LeftRunning,
    Stopped,
    /// Asked to stop, but it was still alive when the grace period ran out (SIGKILL sent).
    StopFailed,
}

/// The signals of a graceful stop, in order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, TS)]
#[serde(rename_all = "kebab-case")]
pub enum StopSignal {
    /// SIGINT: "stop generating" for agents that treat Ctrl-C that way.
    Interrupt,
    /// SIGTERM.
    Terminate,
    /// SIGKILL (forced; cannot be caught).
    Kill,
}

impl StopSignal {
    /// The name users of this OS know it by. Windows has no signals: the first two are
    /// console events (`procs::console_ctrl`), the last ends the process, or for a
    /// run its whole job object (`procs::job`).
    pub fn name(self) -> &'static str {
        if cfg!(windows) {
            return match self {
                StopSignal::Interrupt => "Ctrl-C",
                StopSignal::Terminate => "Ctrl-Break",
                StopSignal::Kill => "TerminateProcess",
            };
        }
        match self {
            StopSignal::Interrupt => "SIGINT",
            StopSignal::Terminate => "SIGTERM",
            StopSignal::Kill => "SIGKILL",
        }
    }
}

/// One thing a kill can be aimed at.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize, TS)]
#[serde(tag = "kind", rename_all = "kebab-case")]
pub enum KillTarget {
    /// A run from Sessionscope's history (its process group is signalled).
    Run { run_id: String },
    /// An agent process Sessionscope did not start, named by PID *and* start time so a
    /// reused PID is never signalled.
    Agent {
        pid: u32,
        #[ts(type = "number")]
        start_time: u64,
        session_key: String,
    },
    /// A session inside a configured gptme-server (`DELETE /api/v2/sessions/{id}`).
    GptmeServer { session_id: String },
}

/// One line of the confirmation dialog: what will be stopped and how.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
pub struct KillPlanItem {
    pub target: KillTarget,
    /// What the user recognises: run name, or harness and session title.
    pub label: String,
    /// PID, directory, command: what makes it unambiguous.
    pub detail: String,
    /// The signals that will be sent, in order, until it exits (empty for a server
    /// session, which is stopped over HTTP).
    pub signals: Vec<StopSignal>,
}

/// Everything one confirmation dialog lists; executing it stops exactly these items.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
pub struct KillPlan {
    pub items: Vec<KillPlanItem>,
    /// Selected things that cannot be killed (not running, unknown id), with the reason.
    pub skipped: Vec<String>,
    /// Wait after SIGTERM before SIGKILL.
    #[ts(type = "number")]
    pub grace_ms: u64,
}

/// One step of a kill, reported as it happens so the UI can show it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(tag = "step", rename_all = "kebab-case")]
pub enum KillStep {
    /// A signal was sent, to the whole process group or to the process alone.
    Signalled {
        signal: StopSignal,
        group: bool,
    },
    /// The target is gone; `after` is the last signal sent.
    Exited {
        after: Option<StopSignal>,
    },
    /// Nothing was sent: the PID now names a different process.
    PidReused,
    /// Nothing was sent: the process had already exited.
    AlreadyGone,
    /// The gptme-server confirmed the session was deleted.
    ServerDeleted,
    Failed {
        reason: String,
    },
}

/// A [`KillStep`] of one target, with when it happened and a sentence for the user.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
pub struct KillEvent {
    pub target: KillTarget,
    pub at: DateTime<Utc>,
    pub step: KillStep,
    pub message: String,
}

/// How the kill of one target ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "kebab-case")]
pub enum KillResult {
    /// It exited after our signals (or the server deleted it).
    Stopped,
    /// It had exited before anything was sent.
    AlreadyGone,
    /// Nothing was sent because the PID belongs to another process now.
    Refused,
    /// Signals were sent but it is still alive, or sending failed.
    Failed,
}

/// The result of one target of a plan, with every step taken.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
pub struct KillOutcome {
    pub target: KillTarget,
    pub result: KillResult,
    pub message: String,
    pub steps: Vec<KillEvent>,
}

/// Where a local gptme-server listens (a user setting; Sessionscope is only its client).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
pub struct GptmeServerSettings {
    /// e.g. `http://127.0.0.1:5700`; `None` when no server is configured.
    pub base_url: Option<String>,
    /// Name of the environment variable holding the bearer token (the token itself is
    /// never stored in settings).
    pub token_env: String,
}

impl Default for GptmeServerSettings {
    fn default() -> Self {
        GptmeServerSettings {
            base_url: None,
            token_env: "GPTME_SERVER_TOKEN".into(),
        }
    }
}

/// What the app shows about a configured gptme-server: its health, its sessions, or
/// why they could not be read.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, TS)]
pub struct ServerSessions {
    pub base_url: Option<String>,
    pub sessions: Vec<ServerSession>,
    pub error: Option<String>,
    /// The server answered 401: it wants its bearer token (even on loopback), which is
    /// not an outage.
    pub token_needed: bool,
    /// `GET /api/v2/server/health` (needs no token), else the counts of `sessions`
    /// when the list answered; `None` when neither did.
    pub health: Option<ServerHealth>,
    /// When the server was last asked.
    pub updated_at: Option<DateTime<Utc>>,
}

/// The counts gptme-server's own /admin panel shows, from `/api/v2/server/health`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
pub struct ServerHealth {
    pub session_count: u32,
    pub generating_count: u32,
    pub idle_count: u32,
    /// `green` (nothing generating), `yellow` (some) or `red` (every session busy);
    /// as the server says, or worked out from the counts when it says something else.
    pub level: String,
}

/// A live session of a gptme-server, as `GET /api/v2/sessions` reports it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
pub struct ServerSession {
    pub id: String,
    pub conversation_id: Option<String>,
    pub model: Option<String>,
    pub message_count: u32,
    pub generating: bool,
    /// Seconds the current generation has run; `None` when not generating.
    pub elapsed_seconds: Option<f64>,
    pub created_at: Option<DateTime<Utc>>,
    pub last_activity: Option<DateTime<Utc>>,
}

/// What the tray and the header summarise.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize, TS)]
pub struct ActivitySummary {
    pub sessions: SessionCounts,
    pub runs_running: u32,
}

/// A row with nothing in it but its key (also its id), for tests that only move rows around.
#[cfg(test)]
impl Session {
    pub(crate) fn blank(key: &str) -> Session {
        serde_json::from_value(serde_json::json!({
            "key": key, "id": key, "harness": "claude-code", "title": null, "project": null,
            "git_branch": null, "model": null, "models": [], "started_at": null,
            "last_activity": null, "status_since": null, "user_messages": 0,
            "assistant_messages": 0, "tool_calls": 0, "tool_errors": 0,
            "usage": {"input_tokens": 0, "output_tokens": 0, "cache_creation_tokens": 0,
                      "cache_read_tokens": 0},
            "cost_usd": null, "price_unknown": false, "parse_errors": 0, "status": "idle",
            "pid": null, "ambiguous": false, "agent_name": null, "agent_version": null,
            "unknown_records": {}, "path": "", "gone": false, "parent_id": null
        }))
        .expect("a blank row deserialises")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(key: &str, n: u32) -> Session {
        Session {
            user_messages: n,
            ..Session::blank(key)
        }
    }

    /// The list-search merge this one replaced (issue 17), as the reference.
    fn merge_by_search(this: &mut SessionChange, later: SessionChange) {
        for s in later.upserted {
            this.removed.retain(|k| k != &s.key);
            match this.upserted.iter_mut().find(|o| o.key == s.key) {
                Some(old) => *old = s,
                None => this.upserted.push(s),
            }
        }
        for k in later.removed {
            this.upserted.retain(|s| s.key != k);
            if !this.removed.contains(&k) {
                this.removed.push(k);
            }
        }
    }

    #[test]
    fn merge_keeps_the_newest_row_per_key_in_order_as_before() {
        // Keys from a small alphabet so rows are replaced, removed and brought back.
        let mut seed = 17u64;
        let mut next = move |n: u64| {
            seed = seed
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            (seed >> 33) % n
        };
        for _ in 0..200 {
            let (mut fast, mut slow) = (SessionChange::default(), SessionChange::default());
            for step in 0..6 {
                let mut later = SessionChange::default();
                for _ in 0..next(8) {
                    later.upserted.push(row(&format!("k{}", next(10)), step));
                }
                for _ in 0..next(4) {
                    later.removed.push(format!("k{}", next(10)));
                }
                merge_by_search(&mut slow, later.clone());
                fast.merge(later);
                assert_eq!(fast, slow);
            }
        }
    }

    #[test]
    fn usage_sums_saturate_instead_of_overflowing() {
        let huge = Usage {
            input_tokens: u64::MAX,
            output_tokens: u64::MAX,
            cache_creation_tokens: u64::MAX,
            cache_read_tokens: u64::MAX,
        };
        let mut sum = huge;
        sum.add(&huge);
        assert_eq!(sum, huge);
        assert_eq!(sum.total(), u64::MAX);
        let mut small = Usage {
            input_tokens: 2,
            ..Usage::default()
        };
        small.add(&Usage {
            input_tokens: 3,
            output_tokens: 1,
            ..Usage::default()
        });
        assert_eq!((small.input_tokens, small.total()), (5, 6));
    }

    #[test]
    fn a_run_request_without_env_is_accepted_as_the_ui_sends_it() {
        let req: RunRequest =
            serde_json::from_str(r#"{"name":"n","command":"make","cwd":null}"#).unwrap();
        assert!(req.env.is_empty());
        let with: RunRequest = serde_json::from_str(
            r#"{"name":"n","command":"make","cwd":"/tmp","env":[{"name":"A","value":"b=c"}]}"#,
        )
        .unwrap();
        assert_eq!(with.env, vec![EnvVar::parse("A=b=c").unwrap()]);
    }

    #[test]
    fn env_pairs_need_a_valid_name() {
        assert_eq!(
            EnvVar::parse("PATH_2=/x:/y"),
            Some(EnvVar {
                name: "PATH_2".into(),
                value: "/x:/y".into()
            })
        );
        assert_eq!(
            EnvVar::parse("EMPTY=").map(|v| v.value),
            Some(String::new())
        );
        for bad in ["=x", "NOEQUALS", "2X=1", "A B=1", "Ä=1"] {
            assert_eq!(EnvVar::parse(bad), None, "{bad}");
        }
    }

    #[test]
    fn env_lines_are_the_cli_pairs_one_per_line() {
        let read = EnvVar::parse_lines("A=1\n\n# comment\n B = x=y \r\nPATH_2=\n");
        let pair = |n: &str, v: &str| EnvVar {
            name: n.into(),
            value: v.into(),
        };
        assert_eq!(
            read,
            EnvLines {
                env: vec![pair("A", "1"), pair("B", " x=y"), pair("PATH_2", "")],
                errors: vec![],
            }
        );
        let bad = EnvVar::parse_lines("=x\n1A=2\nnoequals\nA B=c\nOK=1");
        assert_eq!(bad.env, vec![pair("OK", "1")]);
        assert_eq!(
            bad.errors,
            [
                "not NAME=value: =x",
                "not NAME=value: 1A=2",
                "not NAME=value: noequals",
                "not NAME=value: A B=c"
            ]
        );
        // Each line that is read is exactly what `--env` reads.
        for line in ["A=b=c", "EMPTY=", "X_1=/a:/b"] {
            assert_eq!(
                EnvVar::parse_lines(line).env,
                vec![EnvVar::parse(line).unwrap()]
            );
        }
    }

    #[test]
    fn shell_exit_codes_follow_the_shell_convention() {
        let mut run: RunInfo = serde_json::from_value(serde_json::json!({
            "id": "x", "name": "x", "command": "x", "cwd": null, "pid": null,
            "started_at": "2026-01-01T00:00:00Z", "ended_at": null, "status": "failed",
            "exit_code": 3, "reason": null, "log_path": null
        }))
        .unwrap();
        assert_eq!(run.shell_exit_code(), 3);
        (run.exit_code, run.exit_signal) = (None, Some(15));
        assert_eq!(run.shell_exit_code(), 143);
        run.exit_signal = None;
        assert_eq!(run.shell_exit_code(), 1, "lost: unknown");
        run.status = RunStatus::Completed;
        assert_eq!(run.shell_exit_code(), 0);
    }
}

#[cfg(test)]
mod harness_name_tests {
    use super::*;

    #[test]
    fn every_harness_name_parses_back_and_aliases_are_accepted() {
        for h in [
            Harness::ClaudeCode,
            Harness::Codex,
            Harness::Gptme,
            Harness::Gemini,
            Harness::Opencode,
            Harness::Copilot,
        ] {
            assert_eq!(h.to_string().parse::<Harness>(), Ok(h));
        }
        assert_eq!("claude".parse::<Harness>(), Ok(Harness::ClaudeCode));
        assert_eq!("copilot-cli".parse::<Harness>(), Ok(Harness::Copilot));
        let err = "Claude".parse::<Harness>().unwrap_err().to_string();
        assert!(err.contains("unknown harness \"Claude\"") && err.contains("claude-code"));
    }
}
