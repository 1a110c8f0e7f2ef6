//! Commands about settings.

use sessionscope_core::settings::{Settings, SettingsSnapshot};
use tauri::{AppHandle, Manager};
use tauri_plugin_autostart::ManagerExt;

use crate::state::AppState;

#[tauri::command]
pub fn get_settings(app: AppHandle) -> SettingsSnapshot {
    let state = app.state::<AppState>();
    SettingsSnapshot {
        settings: state.settings(),
        problem: state.settings_problem.clone(),
        data_dir: sessionscope_core::paths::data_dir().display().to_string(),
    }
}

/// Save and apply. Launch at login is switched through the autostart plugin first,
/// so a failure there leaves the saved settings unchanged.
#[tauri::command]
pub fn save_settings(app: AppHandle, settings: Settings) -> Result<(), String> {
    let autostart = app.autolaunch();
    if settings.launch_at_login != autostart.is_enabled().unwrap_or(false) {
        let result = if settings.launch_at_login {
            autostart.enable()
        } else {
            autostart.disable()
        };
        result.map_err(|e| format!("could not change launch at login: {e}"))?;
    }
    app.state::<AppState>()
        .update_settings(&app, settings)
        .map_err(|e| format!("could not save settings: {e}"))
}
