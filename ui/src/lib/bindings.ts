// Generated from crates/core/src/model.rs and agents/transcript/mod.rs by ts-rs. Do not edit by hand:
// UPDATE_BINDINGS=1 cargo test -p sessionscope-core bindings

export type Harness = "claude-code" | "codex" | "gptme" | "gemini" | "opencode" | "copilot";

export type Status = "generating" | "running-tool" | "waiting-for-input" | "idle" | "ended" | "failed";

export type Usage = { input_tokens: number, output_tokens: number, cache_creation_tokens: number, cache_read_tokens: number, };

export type Session = { 
/**
 * Stable key: harness plus the agent's own session id.
 */
key: string, 
/**
 * The agent's own session id (a uuid for Claude Code).
 */
id: string, harness: Harness, 
/**
 * The first `summary` record, else the first user prompt (trimmed).
 */
title: string | null, 
/**
 * Working directory of the agent, taken from the records.
 */
project: string | null, git_branch: string | null, 
/**
 * The model of the most recent assistant message.
 */
model: string | null, 
/**
 * Every model seen in the session, in order of first use.
 */
models: Array<string>, started_at: string | null, last_activity: string | null, 
/**
 * Since when the session has been in its current status (drives the ticking clock).
 */
status_since: string | null, user_messages: number, assistant_messages: number, tool_calls: number, tool_errors: number, usage: Usage, 
/**
 * Money spent in US dollars, as ccusage computes it: per message, the cost the
 * agent recorded, else the usage priced with the embedded table
 * ([`crate::pricing`]). `None` when no message could be priced (unknown model).
 */
cost_usd: number | null, 
/**
 * Tokens were used but no cost is known: the model is not in the price table and
 * the agent recorded no cost. Shown as "price unknown" beside the tokens.
 */
price_unknown: boolean, 
/**
 * Lines that could not be parsed; the session stays visible regardless.
 */
parse_errors: number, status: Status, 
/**
 * PID of the agent process matched to this session, if any.
 */
pid: number | null, 
/**
 * Several agent processes of this kind share the session's directory and nothing
 * says which one writes it: the session counts as running, but no pid is named
 * and Kill refuses it.
 */
ambiguous: boolean, 
/**
 * The name the agent itself shows for the session (Claude Code's live state).
 */
agent_name: string | null, 
/**
 * The agent's version, as its records name it.
 */
agent_version: string | null, 
/**
 * Drift guard: record types and fields the parser does not know, with how often
 * each was seen. Empty when the format is fully understood.
 */
unknown_records: { [key in string]: number }, 
/**
 * The transcript file.
 */
path: string, 
/**
 * The file was deleted after it was seen.
 */
gone: boolean, 
/**
 * For sub-agent transcripts: the session that spawned them.
 */
parent_id: string | null, };

export type SessionCounts = { total: number, active: number, idle: number, generating: number, running_tool: number, waiting: number, ended: number, };

export type SessionChange = { upserted: Array<Session>, removed: Array<string>, };

export type SearchedRoot = { harness: Harness, path: string, 
/**
 * The directory exists (the agent has written something there, or was set up).
 */
exists: boolean, 
/**
 * Added in Settings rather than the agent's default location.
 */
from_settings: boolean, 
/**
 * The variable that moves this agent's files (`CLAUDE_CONFIG_DIR`, ...).
 */
env_var: string, };

export type SessionSnapshot = { sessions: Array<Session>, counts: SessionCounts, 
/**
 * Directories searched, shown when no session is found.
 */
roots: Array<SearchedRoot>, 
/**
 * The first scan is still reading transcripts (the table will be replaced).
 */
scanning: boolean, 
/**
 * Problems that are not rows: files skipped (FIFOs, too large to read), roots
 * watched by polling. Updated by the `index-notices` event.
 */
notices: Array<string>, };

export type SessionsChanged = { change: SessionChange, counts: SessionCounts, };

export type RunStatus = "running" | "completed" | "failed" | "killed";

export type RunInfo = { id: string, name: string, command: string, cwd: string | null, pid: number | null, started_at: string, ended_at: string | null, status: RunStatus, exit_code: number | null, 
/**
 * Human-readable reason for a failure or kill ("signal SIGTERM", "exit 3").
 */
reason: string | null, 
/**
 * Where the full output is kept.
 */
log_path: string | null, 
/**
 * Names (never values: they may be secrets) of the environment variables the run
 * was started with on top of Sessionscope's own environment.
 */
env_names: Array<string>, 
/**
 * Milliseconds from start to end; `None` while running.
 */
duration_ms: number | null, 
/**
 * The number of the signal the process died of, when it died of one.
 */
exit_signal: number | null, 
/**
 * Start time of the run's process (seconds since the epoch, as the OS reports
 * it): with `pid` it names the process, so a later Sessionscope never signals a
 * process that reused the PID.
 */
pid_start_time: number | null, 
/**
 * Running, but this Sessionscope has no terminal for it: it was started by
 * another Sessionscope process (the CLI, or an app closed with "leave running").
 * It takes no input; its output is read back from the log file.
 */
detached: boolean, };

export type RunOutput = { run_id: string, 
/**
 * Output decoded as UTF-8; a multibyte character split across reads is held back
 * until it is complete.
 */
data: string, 
/**
 * What the panel acknowledges once it has drawn `data` (see [`crate::runs::pacer`]).
 */
ack: number, };

export type RunRequest = { name: string, command: string, cwd: string | null, 
/**
 * Environment variables set for the run on top of Sessionscope's own (may be
 * left out: none).
 */
env?: Array<EnvVar>, };

export type EnvVar = { name: string, value: string, };

export type EnvLines = { env: Array<EnvVar>, errors: Array<string>, };

export type QuitPolicy = "leave-running" | "stop";

export type RunSettings = { quit_policy: QuitPolicy, 
/**
 * Logs of finished runs older than this many days are deleted; `None` keeps them.
 */
log_retention_days: number | null, 
/**
 * How long a kill waits after SIGTERM before it sends SIGKILL.
 */
kill_grace_ms: number, };

export type QuitReport = { run_id: string, name: string, action: QuitAction, 
/**
 * A sentence for the user ("left running, output still goes to …").
 */
detail: string, };

export type QuitAction = "left-running" | "stopped" | "stop-failed";

export type QuitNotice = { at: string, reports: Array<QuitReport>, };

export type StopSignal = "interrupt" | "terminate" | "kill";

export type KillTarget = { "kind": "run", run_id: string, } | { "kind": "agent", pid: number, start_time: number, session_key: string, } | { "kind": "gptme-server", session_id: string, };

export type KillPlanItem = { target: KillTarget, 
/**
 * What the user recognises: run name, or harness and session title.
 */
label: string, 
/**
 * PID, directory, command: what makes it unambiguous.
 */
detail: string, 
/**
 * The signals that will be sent, in order, until it exits (empty for a server
 * session, which is stopped over HTTP).
 */
signals: Array<StopSignal>, };

export type KillPlan = { items: Array<KillPlanItem>, 
/**
 * Selected things that cannot be killed (not running, unknown id), with the reason.
 */
skipped: Array<string>, 
/**
 * Wait after SIGTERM before SIGKILL.
 */
grace_ms: number, };

export type KillStep = { "step": "signalled", signal: StopSignal, group: boolean, } | { "step": "exited", after: StopSignal | null, } | { "step": "pid-reused" } | { "step": "already-gone" } | { "step": "server-deleted" } | { "step": "failed", reason: string, };

export type KillEvent = { target: KillTarget, at: string, step: KillStep, message: string, };

export type KillResult = "stopped" | "already-gone" | "refused" | "failed";

export type KillOutcome = { target: KillTarget, result: KillResult, message: string, steps: Array<KillEvent>, };

export type ServerSession = { id: string, conversation_id: string | null, model: string | null, message_count: number, generating: boolean, 
/**
 * Seconds the current generation has run; `None` when not generating.
 */
elapsed_seconds: number | null, created_at: string | null, last_activity: string | null, };

export type ServerHealth = { session_count: number, generating_count: number, idle_count: number, 
/**
 * `green` (nothing generating), `yellow` (some) or `red` (every session busy);
 * as the server says, or worked out from the counts when it says something else.
 */
level: string, };

export type ServerSessions = { base_url: string | null, sessions: Array<ServerSession>, error: string | null, 
/**
 * The server answered 401: it wants its bearer token (even on loopback), which is
 * not an outage.
 */
token_needed: boolean, 
/**
 * `GET /api/v2/server/health` (needs no token), else the counts of `sessions`
 * when the list answered; `None` when neither did.
 */
health: ServerHealth | null, 
/**
 * When the server was last asked.
 */
updated_at: string | null, };

export type HostState = { "state": "connecting" } | { "state": "live", since: string, version: string, } | { "state": "lost", since: string, reason: string, } | { "state": "retrying", 
/**
 * When the host was last live, if it ever was.
 */
lost_since: string | null, attempt: number, next_at: string, reason: string, } | { "state": "needs-action", message: string, };

export type RemoteHost = { 
/**
 * As the user named it in Settings.
 */
host: string, state: HostState, sessions: Array<Session>, counts: SessionCounts, 
/**
 * The host's read problems (files skipped, roots polled).
 */
notices: Array<string>, };

export type RemoteHosts = { hosts: Array<RemoteHost>, };

export type HostRows = { host: string, reset: boolean, change: SessionChange, };

export type GptmeServerSettings = { 
/**
 * e.g. `http://127.0.0.1:5700`; `None` when no server is configured.
 */
base_url: string | null, 
/**
 * Name of the environment variable holding the bearer token (the token itself is
 * never stored in settings).
 */
token_env: string, };

export type ActivitySummary = { sessions: SessionCounts, runs_running: number, };

export type Theme = "system" | "light" | "dark";

export type TerminalScheme = "green-on-black" | "light" | "solarized-dark" | "default";

export type ExtraRoot = { harness: Harness, path: string, };

export type Settings = { 
/**
 * Directories watched in addition to each harness's default location.
 */
extra_roots: Array<ExtraRoot>, 
/**
 * The gptme-sessions record store directory (None: its own default rules).
 */
record_store_dir: string | null, 
/**
 * Logs of finished runs older than this are deleted (0 keeps them forever).
 */
run_log_retention_days: number, 
/**
 * Seconds between the polite stop signal and SIGKILL.
 */
kill_grace_seconds: number, notify_waiting: boolean, notify_finished: boolean, notify_failed: boolean, theme: Theme, 
/**
 * Colours of the runs' terminal panel.
 */
terminal_scheme: TerminalScheme, launch_at_login: boolean, 
/**
 * Show the icon in the system tray (its menu says how to hide it).
 */
show_tray_icon: boolean, 
/**
 * Stop the runs still alive when the app quits (otherwise they keep running).
 */
stop_runs_on_quit: boolean, 
/**
 * How much of each run's recent output is kept in memory for the terminal panel,
 * in KiB (the full output is always in the run's log file).
 */
run_buffer_kib: number, 
/**
 * A local gptme-server whose sessions are listed beside the others.
 */
gptme_server: GptmeServerSettings, 
/**
 * Other machines reached over SSH (`user@host` or a name from `~/.ssh/config`):
 * `--all-hosts` on the CLI.
 */
hosts: Array<string>, };

export type SettingsSnapshot = { settings: Settings, problem: string | null, data_dir: string, };

export type EntryKind = "user" | "assistant" | "thinking" | "tool-call" | "tool-result" | "system" | "error" | "summary";

export type TranscriptCursor = { 
/**
 * Byte offset of the next unread line (0 and unused for whole-file formats).
 */
offset: number, 
/**
 * Index the next entry gets.
 */
index: number, carry: string | null, };

export type TranscriptEntry = { 
/**
 * Position in the transcript, from 0, stable across reads.
 */
index: number, timestamp: string | null, kind: EntryKind, 
/**
 * Plain text without ANSI escapes; cut to the page's `max_text_bytes`.
 */
text: string, tool_name: string | null, 
/**
 * Links a tool call and its result (Claude `tool_use_id`, Codex `call_id`, ...).
 */
tool_use_id: string | null, 
/**
 * The tool's arguments as pretty-printed JSON (or the raw text the agent wrote).
 */
tool_input: string | null, is_error: boolean, model: string | null, 
/**
 * Token usage of the model call that produced this entry, on the first entry of
 * that call only, so summing entries never counts a call twice.
 */
usage: Usage | null, 
/**
 * `text` or `tool_input` was cut; [`read_entry_full`] returns all of it.
 */
truncated: boolean, 
/**
 * Bytes of `text` plus `tool_input` as the agent wrote them (before cutting and
 * before escape sequences were removed).
 */
full_len: number, 
/**
 * Where to read this entry again ([`read_entry_full`]).
 */
at: TranscriptCursor, };

export type TranscriptPage = { entries: Array<TranscriptEntry>, 
/**
 * Where the next read starts.
 */
next: TranscriptCursor, 
/**
 * The transcript shrank or was replaced: drop everything and apply this page.
 */
reset: boolean, 
/**
 * Everything written so far was read; ask again when the file changes.
 */
at_end: boolean, 
/**
 * Size of the transcript file (the database for opencode).
 */
total_bytes: number, 
/**
 * Records of this read that could not be parsed and were skipped.
 */
parse_errors: number, };

export type ScanProgress = { files_done: number, files_total: number, bytes_done: number, bytes_total: number, };

export type TextRole = "user" | "assistant" | "tool";

export type SearchHit = { 
/**
 * The same key as [`Session::key`].
 */
session_key: string, session_id: string, harness: Harness, role: TextRole, timestamp: string | null, 
/**
 * The transcript file.
 */
path: string, snippet: string, };

export type FullTextResults = { hits: Array<SearchHit>, skipped: Array<string>, };

export type RecordQuery = { model: string | null, harness: string | null, outcome: string | null, category: string | null, run_type: string | null, 
/**
 * Substring of the project path.
 */
project: string | null, since: string | null, };

export type RecordRow = { session_id: string, timestamp: string, harness: string | null, 
/**
 * As stored.
 */
model: string | null, 
/**
 * As grouped by the stats (see [`crate::records::normalize_model`]).
 */
model_normalized: string | null, run_type: string | null, category: string | null, outcome: string | null, project: string | null, duration_seconds: number, token_count: number | null, deliverables: number, 
/**
 * The record has keys this version does not know (shown in the detail pane).
 */
unknown_keys: number, };

export type RecordField = { key: string, value: string, 
/**
 * A key gptme-sessions defines (false: an unknown key kept as read).
 */
known: boolean, };

export type GroupRate = { name: string, total: number, productive: number, 
/**
 * productive / total.
 */
rate: number, };

export type NamedCount = { name: string, count: number, };

export type NoopRow = { run_type: string, total: number, noop: number, rate: number, };

export type ModelOutcomeRow = { model: string, total: number, productive: number, noop: number, other: number, rate: number, };

export type DurationSummary = { count: number, avg: number, min: number, max: number, total_hours: number, };

export type RecordsOverview = { total: number, productive: number, noop: number, violated_policy: number, success_rate: number, duration: DurationSummary | null, by_model: Array<GroupRate>, by_harness: Array<GroupRate>, by_run_type: Array<GroupRate>, by_project: Array<GroupRate>, 
/**
 * `<1m`, `1-5m`, `5-15m`, `15-30m`, `30m+`, `unknown`, always all six.
 */
duration_buckets: Array<NamedCount>, noop_by_run_type: Array<NoopRow>, 
/**
 * Oldest day first.
 */
daily_counts: Array<NamedCount>, model_outcome: Array<ModelOutcomeRow>, };

export type DayOutcomes = { day: string, total: number, productive: number, noop: number, 
/**
 * `failed` and `violated_policy`.
 */
failed: number, 
/**
 * `unknown`, missing or any other value.
 */
other: number, 
/**
 * noop / total.
 */
noop_rate: number, 
/**
 * productive / total.
 */
success_rate: number, };

export type HarnessSeries = { harness: string, sessions: number[], tokens: number[], };

export type ProjectTotal = { project: string, sessions: number, tokens: number, cost_usd: number, };

export type SessionAnalytics = { 
/**
 * Every UTC day of the window, oldest first, as `YYYY-MM-DD`.
 */
days: Array<string>, 
/**
 * Harnesses with at least one session in the window, by name.
 */
by_harness: Array<HarnessSeries>, 
/**
 * US dollars per day, aligned with `days`.
 */
cost_per_day: Array<number>, unpriced: number, duration_buckets: Array<NamedCount>, top_projects: Array<ProjectTotal>, };

export type CategoryRow = { name: string, count: number, 
/**
 * Share of all records of the selection.
 */
share: number, 
/**
 * Of them, records whose outcome is `productive`.
 */
productive_outcomes: number, 
/**
 * A category `classify` counts as productive work (not NOOP).
 */
productive_kind: boolean, };

export type CategoryStats = { total: number, 
/**
 * Records without a category.
 */
unclassified: number, 
/**
 * Most records first; ties by name.
 */
categories: Array<CategoryRow>, };

export type RecordsPage = { 
/**
 * The store file, so the view can say where it looked.
 */
store_path: string, rows: Array<RecordRow>, overview: RecordsOverview, trend: Array<DayOutcomes>, 
/**
 * The kinds of work of exactly those rows.
 */
categories: CategoryStats, };

export type CostGroup = { name: string, count: number, total_cost: number, avg_cost: number, };

export type CostView = { days: number | null, 
/**
 * Records in the window.
 */
session_count: number, 
/**
 * Of them, the ones a price was found for.
 */
priced_count: number, total_cost: number, 
/**
 * Per priced session.
 */
avg_cost: number, 
/**
 * Most expensive first.
 */
by_model: Array<CostGroup>, 
/**
 * Oldest day first.
 */
by_day: Array<CostGroup>, 
/**
 * Where the prices came from, in words.
 */
price_source: string, };

export type DuplicateView = { session_id: string, richness: number, 
/**
 * Fields of the keeper filled from this record.
 */
merged_fields: Array<string>, };

export type DedupGroupView = { keeper: string, harness: string, keeper_richness: number, duplicates: Array<DuplicateView>, };

export type DedupView = { 
/**
 * `empty_store`, `no_duplicates`, `all_merged` (every group was merged before) or
 * `found`.
 */
outcome: string, groups: Array<DedupGroupView>, 
/**
 * Duplicates merged, or that a merge would mark.
 */
duplicate_count: number, 
/**
 * The store was rewritten.
 */
applied: boolean, };

export type TranscriptSearch = { text: string, days: number, case_sensitive: boolean, 
/**
 * Only this harness (`gptme`, `claude-code`, `codex`, `copilot`); all four when empty.
 */
harness: string | null, };

export type TranscriptMatch = { session_id: string, harness: string, path: string, 
/**
 * `YYYY-MM-DD HH:MM`, or `unknown`.
 */
date: string, hit_count: number, 
/**
 * Up to three excerpts, as plain text: `role` and `text`.
 */
snippets: Array<[string, string]>, };

export type RecordAnnotation = { outcome: string | null, category: string | null, add_deliverables: Array<string>, notes: string | null, };

export type SessionRecorded = { session_id: string, outcome: string | null, already_recorded: boolean, };
