//! Commands about agent sessions.

use sessionscope_core::model::SessionSnapshot;
use sessionscope_core::sessions::export;
use tauri::State;

use crate::state::AppState;

/// The full table, sent once; later changes arrive as `sessions-changed` events.
/// Async, so it is built and serialized off the main thread: 100k rows take a while,
/// and the main thread is the one that draws the window.
#[tauri::command]
pub async fn list_sessions(app: tauri::AppHandle) -> Result<SessionSnapshot, String> {
    tauri::async_runtime::spawn_blocking(move || {
        use tauri::Manager;
        let state = app.state::<AppState>();
        let snapshot = state.live().snapshot();
        if !state.scanning.load(std::sync::atomic::Ordering::Acquire) {
            return snapshot;
        }
        // The first scan is still reading: what it has read so far (the same rows its
        // `sessions-changed` events carry), and the roots it is reading.
        let rows = crate::state::lock(&state.first_rows);
        let sessions: Vec<_> = rows.values().cloned().collect();
        SessionSnapshot {
            counts: sessionscope_core::model::SessionCounts::of(&sessions),
            sessions,
            scanning: true,
            roots: snapshot.roots,
            notices: snapshot.notices,
        }
    })
    .await
    .map_err(|e| e.to_string())
}

/// Show the folder of a session's transcript in the file manager. Only paths of
/// sessions in the table can be opened, never one the web view names.
#[tauri::command]
pub fn reveal_session_file(state: State<'_, AppState>, key: String) -> Result<(), String> {
    let path = state
        .live()
        .sessions()
        .into_iter()
        .find(|s| s.key == key)
        .map(|s| std::path::PathBuf::from(s.path))
        .ok_or_else(|| format!("no session {key} in the table"))?;
    let folder = sessionscope_core::paths::folder_of(&path)
        .ok_or_else(|| format!("{} no longer exists", path.display()))?;
    crate::reveal::reveal(&path, &folder)
        .map_err(|e| format!("could not open {}: {e}", folder.display()))
}

/// Ask where to save (native dialog), then write the sessions with `keys` as CSV or
/// JSON. Returns the path written, or `None` when the user cancelled.
#[tauri::command]
pub async fn export_sessions(
    app: tauri::AppHandle,
    keys: Vec<String>,
    format: String,
) -> Result<Option<String>, String> {
    use std::collections::HashSet;
    use tauri::Manager;
    use tauri_plugin_dialog::DialogExt;

    let wanted: HashSet<String> = keys.into_iter().collect();
    // This machine's rows and the remote hosts' (keyed `@HOST KEY`, which says the host).
    let remote = app.state::<crate::remote::RemoteWatch>().rows();
    let sessions: Vec<_> = app
        .state::<AppState>()
        .live()
        .sessions()
        .into_iter()
        .chain(remote)
        .filter(|s| wanted.contains(&s.key))
        .collect();
    let (extension, body) = match format.as_str() {
        "csv" => (
            "csv",
            export::sessions_csv(&sessions).map_err(|e| e.to_string())?,
        ),
        "json" => ("json", export::sessions_json(&sessions)),
        other => return Err(format!("unknown export format {other:?}")),
    };
    let dialog = app
        .dialog()
        .file()
        .set_title("Export sessions")
        .set_file_name(format!("sessions.{extension}"))
        .add_filter(extension.to_uppercase(), &[extension]);
    let chosen = tauri::async_runtime::spawn_blocking(move || dialog.blocking_save_file())
        .await
        .map_err(|e| e.to_string())?;
    let Some(path) = chosen.and_then(|p| p.into_path().ok()) else {
        return Ok(None);
    };
    std::fs::write(&path, body).map_err(|e| format!("could not write {}: {e}", path.display()))?;
    Ok(Some(path.display().to_string()))
}

/// Stop the agent processes behind the sessions with `keys`, after one native dialog
/// that lists exactly what will be stopped (and what cannot be). Each step of the
/// escalation is pushed as a `kill-progress` event. Returns the outcomes, or an empty
/// list when the user said no.
#[tauri::command]
pub async fn kill_sessions(
    app: tauri::AppHandle,
    keys: Vec<String>,
) -> Result<Vec<sessionscope_core::model::KillOutcome>, String> {
    use sessionscope_core::kill::{self, KillOptions, KillScope};
    use sessionscope_core::procs::ProcessScanner;
    use std::collections::HashSet;
    use tauri::Manager;

    let state = app.state::<AppState>();
    let wanted: HashSet<&String> = keys.iter().collect();
    let sessions: Vec<_> = state
        .live()
        .sessions()
        .into_iter()
        .filter(|s| wanted.contains(&s.key))
        .collect();
    let processes = ProcessScanner::new().scan();
    let mut not_running = Vec::new();
    let targets: Vec<_> = sessions
        .iter()
        .filter_map(|s| {
            let target = kill::agent_target(s, &processes);
            if target.is_none() {
                not_running.push(kill::no_target_reason(s));
            }
            target
        })
        .collect();
    let grace = state.settings().kill_grace();
    let scope = KillScope {
        supervisor: Some(&state.supervisor),
        sessions: &sessions,
        processes: &processes,
        ..KillScope::default()
    };
    let mut plan = scope.plan(&targets, grace);
    plan.skipped.extend(not_running);
    if plan.items.is_empty() {
        return Err(plan.nothing_to_stop());
    }
    // One text for this dialog and the CLI's prompt; transcript fields shown escaped.
    let confirmed = crate::dialogs::confirm(&app, plan.title(), plan.describe(), "Stop").await?;
    if !confirmed {
        return Ok(Vec::new());
    }
    let emitter = app.clone();
    let outcomes = tauri::async_runtime::spawn_blocking(move || {
        let state = emitter.state::<AppState>();
        let scope = KillScope {
            supervisor: Some(&state.supervisor),
            sessions: &sessions,
            processes: &processes,
            ..KillScope::default()
        };
        scope.execute(&plan, &KillOptions::with_grace(grace), &|event| {
            crate::events::kill_progress(&emitter, event);
        })
    })
    .await
    .map_err(|e| e.to_string())?;
    Ok(outcomes)
}
