//! Commands about a configured gptme-server's sessions.

use std::time::Duration;

use sessionscope_core::agents::gptme::server::GptmeServerClient;
use sessionscope_core::kill::KillScope;
use sessionscope_core::model::KillTarget;
use tauri::{AppHandle, Manager, State};

use sessionscope_core::model::ServerSessions;

use crate::server::{self as watch, ServerWatch};
use crate::state::AppState;

#[tauri::command]
pub fn list_server_sessions(watch: State<'_, ServerWatch>) -> ServerSessions {
    crate::state::lock(&watch.0).clone()
}

/// Ask the server now (the Refresh button) instead of waiting for the next poll.
#[tauri::command]
pub async fn refresh_server_sessions(app: AppHandle) -> Result<ServerSessions, String> {
    tauri::async_runtime::spawn_blocking(move || {
        watch::refresh(&app, &app.state::<AppState>(), &app.state::<ServerWatch>())
    })
    .await
    .map_err(|e| e.to_string())
}

/// After the user's yes in a native dialog, `DELETE /api/v2/sessions/{id}`: the server
/// stops generating, clears pending tool runs and drops the session (its log stays).
#[tauri::command]
pub async fn kill_server_session(app: AppHandle, id: String) -> Result<bool, String> {
    let settings = app.state::<AppState>().settings().gptme_server;
    let client = GptmeServerClient::from_settings(&settings)
        .ok_or_else(|| "no gptme-server is configured (Settings)".to_string())?;
    let sessions = crate::state::lock(&app.state::<ServerWatch>().0)
        .sessions
        .clone();
    // The id comes from the web view: the plan's text shows it escaped, like the CLI.
    let plan = KillScope {
        server: Some(&client),
        server_sessions: &sessions,
        ..KillScope::default()
    }
    .plan(
        &[KillTarget::GptmeServer {
            session_id: id.clone(),
        }],
        Duration::ZERO,
    );
    if plan.items.is_empty() {
        return Err(plan.nothing_to_stop());
    }
    if !crate::dialogs::confirm(&app, plan.title(), plan.describe(), "Stop").await? {
        return Ok(false);
    }
    let deleted = id.clone();
    tauri::async_runtime::spawn_blocking(move || client.delete_session(&deleted))
        .await
        .map_err(|e| e.to_string())?
        .map_err(|e| e.to_string())?;
    // The row goes now, not at the next poll.
    watch::forget(&app, &app.state::<ServerWatch>(), &id);
    Ok(true)
}
