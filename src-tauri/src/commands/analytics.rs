//! Commands of the Analytics view: per-day numbers over the live session list (of every
//! machine, this one, or one remote host), and
//! saving a chart's PNG or CSV where the user chooses (native dialog; the web view
//! cannot write files).

use sessionscope_core::views::{self, SessionAnalytics};
use tauri::{AppHandle, Manager};

use crate::remote::RemoteWatch;
use crate::state::AppState;

/// Sessions, tokens and cost per day over the last `days` days (1–366), of `machine`:
/// every machine (none given: this one and every host's rows the app holds), this one
/// (`""`), or one of Settings' hosts.
#[tauri::command]
pub fn session_analytics(app: AppHandle, days: u32, machine: Option<String>) -> SessionAnalytics {
    let local = || app.state::<AppState>().live().sessions();
    let remote = |host: Option<&str>| app.state::<RemoteWatch>().rows_of(host);
    let sessions = match machine.as_deref() {
        None => {
            let mut all = local();
            all.extend(remote(None));
            all
        }
        Some("") => local(),
        Some(host) => remote(Some(host)),
    };
    views::session_analytics_now(&sessions, days.clamp(1, 366))
}

/// Ask where to save `bytes` (native dialog, proposing `file_name`) and write them.
/// Returns the path written, or `None` when the user cancelled.
#[tauri::command]
pub async fn save_export(
    app: tauri::AppHandle,
    file_name: String,
    bytes: Vec<u8>,
) -> Result<Option<String>, String> {
    use tauri_plugin_dialog::DialogExt;

    let extension = file_name.rsplit_once('.').map(|(_, e)| e.to_string());
    let mut dialog = app
        .dialog()
        .file()
        .set_title("Export chart")
        .set_file_name(&file_name);
    if let Some(ext) = &extension {
        dialog = dialog.add_filter(ext.to_uppercase(), &[ext.as_str()]);
    }
    let chosen = tauri::async_runtime::spawn_blocking(move || dialog.blocking_save_file())
        .await
        .map_err(|e| e.to_string())?;
    let Some(path) = chosen.and_then(|p| p.into_path().ok()) else {
        return Ok(None);
    };
    std::fs::write(&path, bytes).map_err(|e| format!("could not write {}: {e}", path.display()))?;
    Ok(Some(path.display().to_string()))
}
