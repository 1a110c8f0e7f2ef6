// Every call to the backend, typed with the bindings generated from Rust. Components
// import from here and never call `invoke` or `listen` themselves.
import { Channel, invoke } from "@tauri-apps/api/core";
import { listen, type UnlistenFn } from "@tauri-apps/api/event";
import { EVENTS } from "./events";
import type {
  EnvLines,
  KillEvent,
  KillOutcome,
  QuitNotice,
  HostRows,
  RemoteHosts,
  Session,
  RunInfo,
  RunOutput,
  RunRequest,
  ScanProgress,
  FullTextResults,
  ServerSessions,
  SessionSnapshot,
  SessionsChanged,
  Settings,
  SettingsSnapshot,
  TranscriptCursor,
  TranscriptEntry,
  TranscriptPage,
} from "./bindings";
import type {
  CostView,
  DayOutcomes,
  DedupView,
  TranscriptMatch,
  TranscriptSearch,
  RecordAnnotation,
  RecordField,
  RecordQuery,
  RecordsPage,
  SessionAnalytics,
  SessionRecorded,
} from "./bindings";

export const listSessions = () => invoke<SessionSnapshot>("list_sessions");

export const onSessionsChanged = (handler: (event: SessionsChanged) => void): Promise<UnlistenFn> =>
  listen<SessionsChanged>(EVENTS.sessionsChanged, (e) => handler(e.payload));

/** Opens a native save dialog and writes the sessions there; the path, or null if cancelled. */
export const exportSessions = (keys: string[], format: "csv" | "json") =>
  invoke<string | null>("export_sessions", { keys, format });

/** One native dialog lists what will be stopped; empty when the user said no. */
export const killSessions = (keys: string[]) => invoke<KillOutcome[]>("kill_sessions", { keys });

export const onKillProgress = (handler: (event: KillEvent) => void): Promise<UnlistenFn> =>
  listen<KillEvent>(EVENTS.killProgress, (e) => handler(e.payload));

/** Shows the folder of the session's transcript in the file manager. */
export const revealSessionFile = (key: string) => invoke<void>("reveal_session_file", { key });

/** Without a cursor: the last entries; with one: what was appended after it; with
 * `before`: the page just before that entry index (paging back). */
export const readTranscript = (
  key: string,
  from: TranscriptCursor | null,
  before: number | null = null,
) => invoke<TranscriptPage>("read_transcript", { key, from, before });

/** One entry untruncated. */
export const readTranscriptEntry = (key: string, at: TranscriptCursor, index: number) =>
  invoke<TranscriptEntry>("read_transcript_entry", { key, at, index });

/** The menu bar and tray ask the window to run an action (palette ids). */
export const onMenuAction = (handler: (id: string) => void): Promise<UnlistenFn> =>
  listen<string>(EVENTS.menuAction, (e) => handler(e.payload));

/** The tray asks the window to open a waiting session. */
export const onFocusSession = (handler: (key: string) => void): Promise<UnlistenFn> =>
  listen<string>(EVENTS.focusSession, (e) => handler(e.payload));

export const getSettings = () => invoke<SettingsSnapshot>("get_settings");

/** Saves and applies (a change of roots restarts watching). A change of where data is
 * read, written or sent asks first in a native dialog: false when the user said no. */
export const saveSettings = (settings: Settings) => invoke<boolean>("save_settings", { settings });

/** Full-text search over every transcript; the snippet marks hits with [ and ]. With the
 * hits, the transcripts not searched because they cannot be read ("path: too large…"). */
export const searchTranscripts = (query: string) =>
  invoke<FullTextResults>("search_transcripts", { query });

export const onSearchProgress = (handler: (p: ScanProgress) => void): Promise<UnlistenFn> =>
  listen<ScanProgress>(EVENTS.searchProgress, (e) => handler(e.payload));

/** Progress of reading the transcripts (the first scan after start). */
export const onIndexProgress = (handler: (p: ScanProgress) => void): Promise<UnlistenFn> =>
  listen<ScanProgress>(EVENTS.indexProgress, (e) => handler(e.payload));

/** Problems that are not rows (files skipped, roots polled): the whole list, on each change. */
export const onIndexNotices = (handler: (notices: string[]) => void): Promise<UnlistenFn> =>
  listen<string[]>(EVENTS.indexNotices, (e) => handler(e.payload));

/** The whole table was rebuilt (first scan done, or roots changed): take a new snapshot. */
export const onSessionsReset = (handler: () => void): Promise<UnlistenFn> =>
  listen<null>(EVENTS.sessionsReset, () => handler());

export const listServerSessions = () => invoke<ServerSessions>("list_server_sessions");

/** Asks the server now instead of at the next poll. */
export const refreshServerSessions = () => invoke<ServerSessions>("refresh_server_sessions");

export const onServerSessions = (handler: (s: ServerSessions) => void): Promise<UnlistenFn> =>
  listen<ServerSessions>(EVENTS.serverSessions, (e) => handler(e.payload));

/** Native dialog first; true when the server deleted the session. */
export const killServerSession = (id: string) => invoke<boolean>("kill_server_session", { id });

/** Settings' hosts: each one's state and counts (no rows), pushed as they change. */
export const listRemoteHosts = () => invoke<RemoteHosts>("list_remote_hosts");

export const onRemoteHosts = (handler: (r: RemoteHosts) => void): Promise<UnlistenFn> =>
  listen<RemoteHosts>(EVENTS.remoteHosts, (e) => handler(e.payload));

/** Every row of every host, keyed `@HOST KEY` for the one table. */
export const listRemoteSessions = () => invoke<Session[]>("list_remote_sessions");

/** The hosts' rows, per host all of them (`reset`) or what changed, pushed at most
 * every 250 ms with every host that reported. */
export const onRemoteSessions = (handler: (r: HostRows[]) => void): Promise<UnlistenFn> =>
  listen<HostRows[]>(EVENTS.remoteSessions, (e) => handler(e.payload));

/** A host's run history (read only). */
export const listRemoteRuns = (host: string) => invoke<RunInfo[]>("list_remote_runs", { host });

/** The end of a run's log on a host, as text. */
export const remoteRunLog = (host: string, run: string) =>
  invoke<string>("remote_run_log", { host, run });

/** This machine's name (the Host column of local rows). */
export const thisMachine = () => invoke<string>("this_machine");

/** Native dialog first, naming the host; the outcomes, or none when the user said no. */
export const killRemoteSession = (host: string, ids: string[]) =>
  invoke<KillOutcome[]>("kill_remote_session", { host, ids });

export const listRuns = () => invoke<RunInfo[]>("list_runs");

/** Asks the user in a native dialog that shows the command; null when they said no. */
export const startRun = (request: RunRequest) => invoke<RunInfo | null>("start_run", { request });

export const onRunChanged = (handler: (run: RunInfo) => void): Promise<UnlistenFn> =>
  listen<RunInfo>(EVENTS.runChanged, (e) => handler(e.payload));

/** Replays the run's recent output, then streams the rest to `onOutput`, which calls
 * `drawn` once the terminal has drawn that piece: the backend holds output back while
 * the panel is behind (the log keeps all of it), so a firehose cannot freeze the window. */
export const attachRun = (
  id: string,
  onOutput: (data: string, drawn: () => void) => void,
): Promise<void> => paced("attach_run", { id }, onOutput);

/** A run's output on `host`, followed live from the start of its log, paced as a local
 * run's is (gaps and the end come as lines of text). */
export const followRemoteRun = (
  host: string,
  run: string,
  onOutput: (data: string, drawn: () => void) => void,
): Promise<void> => paced("follow_remote_run", { host, run }, onOutput);

/** Stream a run's output over a channel, acknowledging what the panel has drawn. */
function paced(
  command: string,
  args: Record<string, unknown>,
  onOutput: (data: string, drawn: () => void) => void,
): Promise<void> {
  const channel = new Channel<RunOutput>();
  let stream: number | null = null;
  let owed = 0; // drawn before the backend told us the stream's id
  const ack = (bytes: number) => {
    if (stream === null) owed += bytes;
    else invoke<void>("ack_run_output", { stream, bytes }).catch(() => {});
  };
  channel.onmessage = (msg) => onOutput(msg.data, () => ack(msg.ack));
  return invoke<number>(command, { ...args, onOutput: channel }).then((id) => {
    stream = id;
    if (owed > 0) ack(owed);
    owed = 0;
  });
}

/** Asks the user in a native dialog naming the host and the exact command (shown by the
 * backend); null when they said no. */
export const startRemoteRun = (host: string, command: string, cwd: string | null) =>
  invoke<RunInfo | null>("start_remote_run", { host, command, cwd, name: null });

/** A run on a host that a terminal pane followed has ended (its host's name). */
export const onRemoteRunEnded = (handler: (host: string) => void): Promise<UnlistenFn> =>
  listen<string>(EVENTS.remoteRunEnded, (e) => handler(e.payload));

/** Keys for a run its host's serve started. */
export const writeRemoteRunInput = (host: string, run: string, data: string) =>
  invoke<void>("write_remote_run_input", { host, run, data });

export const writeRunInput = (id: string, data: string) =>
  invoke<void>("write_run_input", { id, data });

export const resizeRun = (id: string, rows: number, cols: number) =>
  invoke<void>("resize_run", { id, rows, cols });

/** Asks the user in a native dialog (shown by the backend); true when the kill was sent. */
export const killRun = (id: string) => invoke<boolean>("kill_run", { id });

/** The Runs form's environment field, read by core's parser (the CLI's `--env`). */
export const parseEnv = (text: string) => invoke<EnvLines>("parse_env", { text });

export const clearFinishedRuns = () => invoke<string[]>("clear_finished_runs");

/** What the last quit did to runs still alive, until dismissed. */
export const lastQuitNotice = () => invoke<QuitNotice | null>("last_quit_notice");

export const dismissQuitNotice = () => invoke<void>("dismiss_quit_notice");

// --- Records and Analytics views ---------------------------------------------------

/** The records passing `query` (newest first) with their stats, run analytics and trend. */
export const listRecords = (query: RecordQuery) => invoke<RecordsPage>("list_records", { query });

/** Every key of one record (unknown keys too), values as plain text. */
export const recordDetail = (id: string) => invoke<RecordField[]>("record_detail", { id });

/** Amends one record under the store lock; resolves to its fields as written. */
export const annotateRecord = (id: string, annotation: RecordAnnotation) =>
  invoke<RecordField[]>("annotate_record", { id, annotation });

/** "Record this session": the post-session pipeline on a row of the table (never twice). */
export const recordSession = (key: string) => invoke<SessionRecorded>("record_session", { key });

/** The Records view's page of a remote host: its own store, read there with `query`. */
export const listRemoteRecords = (host: string, query: RecordQuery) =>
  invoke<RecordsPage>("list_remote_records", { host, query });

/** Every key of one record of a remote host's store. */
export const remoteRecordDetail = (host: string, id: string) =>
  invoke<RecordField[]>("remote_record_detail", { host, id });

/** "Record this session" on a remote row (`session`: the host's own key), after the
 * native dialog naming the host; null when the user said no. */
export const recordRemoteSession = (host: string, session: string) =>
  invoke<SessionRecorded | null>("record_remote_session", { host, session });

/** Pushed when the record store file changed (another program appended, say). */
export const onRecordsChanged = (handler: () => void): Promise<UnlistenFn> =>
  listen<null>(EVENTS.recordsChanged, () => handler());

/** Pushed (debounced) when sessions' usage changed: the Analytics view recomputes. */
export const onAnalyticsChanged = (handler: () => void): Promise<UnlistenFn> =>
  listen<null>(EVENTS.analyticsChanged, () => handler());

/** `records cost --days N` (null: every record). */
export const recordCosts = (days: number | null) => invoke<CostView>("record_costs", { days });

/** `records dedup --dry-run`: what a merge would mark; writes nothing. */
export const previewDuplicates = () => invoke<DedupView>("preview_duplicates");

/** Merges exactly `preview` after the backend's native confirmation; null if the user
 *  said no. Rejects (nothing written) when the store changed since the preview. */
export const mergeDuplicates = (preview: DedupView) =>
  invoke<DedupView | null>("merge_duplicates", { preview });

/** `records search TEXT`: sessions whose transcripts mention it. */
export const searchRecordTranscripts = (search: TranscriptSearch) =>
  invoke<TranscriptMatch[]>("search_record_transcripts", { search });

/** Outcomes per day of the records passing `query`, without the rows. */
export const recordTrend = (query: RecordQuery) => invoke<DayOutcomes[]>("record_trend", { query });

/** Per-day numbers of every machine (`machine` null), this one (""), or one host. */
export const sessionAnalytics = (days: number, machine: string | null = null) =>
  invoke<SessionAnalytics>("session_analytics", { days, machine });

/** Opens a native save dialog and writes `bytes`; the path, or null if cancelled. */
export const saveExport = (fileName: string, bytes: Uint8Array) =>
  invoke<string | null>("save_export", { fileName, bytes: Array.from(bytes) });
