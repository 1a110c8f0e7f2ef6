//! Commands about settings: read them, and save them (sensitive changes only after a
//! native confirmation).

use sessionscope_core::consent;
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

/// Save and apply. A change that decides where data is read from, written to or sent
/// (`consent::settings_changes`) is applied only after the user's yes in a native
/// dialog naming the new values; `false` when they said no (nothing was saved).
/// Launch at login is switched through the autostart plugin first, so a failure there
/// leaves the saved settings unchanged.
#[tauri::command]
pub async fn save_settings(app: AppHandle, settings: Settings) -> Result<bool, String> {
    let current = app.state::<AppState>().settings();
    let changes = consent::settings_changes(&current, &settings);
    if !changes.is_empty() {
        let question = consent::settings_question(&changes);
        if !crate::dialogs::confirm(&app, "Apply settings?", question, "Apply").await? {
            return Ok(false);
        }
    }
    let autostart = app.autolaunch();
    if settings.launch_at_login != autostart.is_enabled().unwrap_or(false) {
        let result = if settings.launch_at_login {
            autostart.enable()
        } else {
            autostart.disable()
        };
        result.map_err(|e| format!("could not change launch at login: {e}"))?;
    }
    let show_tray_icon = settings.show_tray_icon;
    app.state::<AppState>()
        .update_settings(&app, settings)
        .map_err(|e| format!("could not save settings: {e}"))?;
    crate::tray::set_visible(&app, show_tray_icon);
    Ok(true)
}
