//! Commands about agent sessions.

use sessionscope_core::export;
use sessionscope_core::model::SessionSnapshot;
use tauri::State;

use crate::state::AppState;

/// The full table, sent once; later changes arrive as `sessions-changed` events.
#[tauri::command]
pub fn list_sessions(state: State<'_, AppState>) -> SessionSnapshot {
    state.live().snapshot()
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
    let sessions: Vec<_> = app
        .state::<AppState>()
        .live()
        .sessions()
        .into_iter()
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
