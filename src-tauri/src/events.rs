//! Every event the backend pushes to the web view: its name and its payload, in one
//! place. Nothing else in the app calls `emit`; each event has one function here that
//! takes exactly its payload. The web view listens through the names of
//! `ui/src/lib/events.ts`, a mirror of [`NAMES`] (the tests below fail when the two
//! disagree, or when another file emits on its own).

use sessionscope_core::model::{
    KillEvent, RunInfo, ScanProgress, ServerSessions, SessionChange, SessionCounts, SessionsChanged,
};
use sessionscope_core::remote::rows::HostRows;
use sessionscope_core::remote::table::RemoteHosts;
use tauri::{AppHandle, Emitter};

/// Rows added, changed or removed, with the new counts ([`SessionsChanged`]).
pub const SESSIONS_CHANGED: &str = "sessions-changed";
/// The whole table was rebuilt (first scan done, roots changed): take a new snapshot.
pub const SESSIONS_RESET: &str = "sessions-reset";
/// Progress of the first scan of the transcripts ([`ScanProgress`]).
pub const INDEX_PROGRESS: &str = "index-progress";
/// The whole list of notices (files skipped, roots polled), each time it changes.
pub const INDEX_NOTICES: &str = "index-notices";
/// Progress of an update of the full-text index ([`ScanProgress`]).
pub const SEARCH_PROGRESS: &str = "search-progress";
/// One run started, changed status or ended ([`RunInfo`]).
pub const RUN_CHANGED: &str = "run-changed";
/// One step of a kill's escalation ([`KillEvent`]).
pub const KILL_PROGRESS: &str = "kill-progress";
/// The menu bar or the tray asks the window to run an action (a palette id).
pub const MENU_ACTION: &str = "menu-action";
/// The tray or a notification asks the window to open a session (its key).
pub const FOCUS_SESSION: &str = "focus-session";
/// The configured gptme-server's sessions, each time they were read ([`ServerSessions`]).
pub const SERVER_SESSIONS: &str = "server-sessions";
/// Settings' hosts: each one's state and counts, without rows ([`RemoteHosts`]).
pub const REMOTE_HOSTS: &str = "remote-hosts";
/// The hosts' rows for the one table, per host all of them or what changed
/// ([`HostRows`], one per host that reported since the last push).
pub const REMOTE_SESSIONS: &str = "remote-sessions";
/// A run on a host that a terminal pane followed has ended (the host's name): its Runs
/// list reads the host's history again.
pub const REMOTE_RUN_ENDED: &str = "remote-run-ended";
/// The record store file changed (no payload): the Records view re-reads its page.
pub const RECORDS_CHANGED: &str = "records-changed";
/// Sessions' usage changed (no payload, debounced): the Analytics view recomputes.
pub const ANALYTICS_CHANGED: &str = "analytics-changed";

/// At most one progress event (`index-progress`, `search-progress`) this often, plus
/// the last.
pub const PROGRESS_PERIOD: std::time::Duration = std::time::Duration::from_millis(100);

/// Every name above (what `ui/src/lib/events.ts` must list; checked by the tests).
#[cfg(test)]
pub const NAMES: &[&str] = &[
    SESSIONS_CHANGED,
    SESSIONS_RESET,
    INDEX_PROGRESS,
    INDEX_NOTICES,
    SEARCH_PROGRESS,
    RUN_CHANGED,
    KILL_PROGRESS,
    MENU_ACTION,
    FOCUS_SESSION,
    SERVER_SESSIONS,
    REMOTE_HOSTS,
    REMOTE_SESSIONS,
    REMOTE_RUN_ENDED,
    RECORDS_CHANGED,
    ANALYTICS_CHANGED,
];

/// Emitting fails only when the web view is gone (quitting): nothing to tell then.
fn emit<T: serde::Serialize + Clone>(app: &AppHandle, name: &str, payload: T) {
    let _ = app.emit(name, payload);
}

pub fn sessions_changed(app: &AppHandle, change: SessionChange, counts: SessionCounts) {
    emit(app, SESSIONS_CHANGED, SessionsChanged { change, counts });
}

pub fn sessions_reset(app: &AppHandle) {
    emit(app, SESSIONS_RESET, ());
}

pub fn index_progress(app: &AppHandle, progress: ScanProgress) {
    emit(app, INDEX_PROGRESS, progress);
}

pub fn index_notices(app: &AppHandle, notices: Vec<String>) {
    emit(app, INDEX_NOTICES, notices);
}

pub fn search_progress(app: &AppHandle, progress: ScanProgress) {
    emit(app, SEARCH_PROGRESS, progress);
}

pub fn run_changed(app: &AppHandle, run: &RunInfo) {
    emit(app, RUN_CHANGED, run);
}

pub fn kill_progress(app: &AppHandle, event: &KillEvent) {
    emit(app, KILL_PROGRESS, event);
}

pub fn menu_action(app: &AppHandle, id: &str) {
    emit(app, MENU_ACTION, id.to_string());
}

pub fn focus_session(app: &AppHandle, key: &str) {
    emit(app, FOCUS_SESSION, key.to_string());
}

pub fn server_sessions(app: &AppHandle, view: ServerSessions) {
    emit(app, SERVER_SESSIONS, view);
}

pub fn remote_hosts(app: &AppHandle, hosts: RemoteHosts) {
    emit(app, REMOTE_HOSTS, hosts);
}

pub fn remote_sessions(app: &AppHandle, rows: Vec<HostRows>) {
    emit(app, REMOTE_SESSIONS, rows);
}

pub fn remote_run_ended(app: &AppHandle, host: &str) {
    emit(app, REMOTE_RUN_ENDED, host.to_string());
}

pub fn records_changed(app: &AppHandle) {
    emit(app, RECORDS_CHANGED, ());
}

pub fn analytics_changed(app: &AppHandle) {
    emit(app, ANALYTICS_CHANGED, ());
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeSet;
    use std::path::Path;

    use super::NAMES;

    const TS_MIRROR: &str = include_str!("../../ui/src/lib/events.ts");

    /// The quoted strings of the `EVENTS` object in events.ts.
    fn ts_names(source: &str) -> Vec<String> {
        let body = source
            .split_once("export const EVENTS = {")
            .and_then(|(_, rest)| rest.split_once('}'))
            .map(|(body, _)| body)
            .expect("events.ts defines `export const EVENTS = { ... }`");
        body.lines()
            .filter_map(|line| {
                let (_, value) = line.split_once(':')?;
                let value = value.trim().trim_end_matches(',');
                value
                    .strip_prefix('"')
                    .and_then(|v| v.strip_suffix('"'))
                    .map(str::to_string)
            })
            .collect()
    }

    #[test]
    fn the_ui_mirror_lists_exactly_these_names() {
        let ts = ts_names(TS_MIRROR);
        let unique: BTreeSet<&String> = ts.iter().collect();
        assert_eq!(unique.len(), ts.len(), "a name listed twice in events.ts");
        let rust: BTreeSet<String> = NAMES.iter().map(|s| s.to_string()).collect();
        let ts: BTreeSet<String> = ts.into_iter().collect();
        assert_eq!(rust, ts, "events.rs and ui/src/lib/events.ts disagree");
        assert_eq!(rust.len(), NAMES.len(), "a name listed twice in NAMES");
    }

    #[test]
    fn the_parser_of_the_mirror_sees_a_missing_name() {
        let ts = "export const EVENTS = {\n  a: \"x-y\",\n  b: \"z\",\n} as const;\n";
        assert_eq!(ts_names(ts), ["x-y", "z"]);
    }

    /// Every `.rs` file under `dir`, recursively.
    fn rust_files(dir: &Path, out: &mut Vec<std::path::PathBuf>) {
        for entry in std::fs::read_dir(dir).unwrap().flatten() {
            let path = entry.path();
            if path.is_dir() {
                rust_files(&path, out);
            } else if path.extension().is_some_and(|e| e == "rs") {
                out.push(path);
            }
        }
    }

    #[test]
    fn no_other_file_emits_events() {
        let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
        let mut files = Vec::new();
        rust_files(&src, &mut files);
        assert!(files.len() > 10, "found the app's sources");
        for file in files {
            if file.ends_with("events.rs") {
                continue;
            }
            let text = std::fs::read_to_string(&file).unwrap();
            assert!(
                !text.contains(".emit(") && !text.contains("Emitter"),
                "{} emits on its own; add its event to events.rs",
                file.display()
            );
        }
    }
}
