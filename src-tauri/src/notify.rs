//! Desktop notifications for sessions that start waiting, finish or fail. Which
//! changes count and how many may be shown is decided by core's `alerts`; this only
//! shows them.

use std::time::Instant;

use sessionscope_core::model::Session;
use tauri::{AppHandle, Manager};
use tauri_plugin_notification::NotificationExt;

use crate::state::AppState;

pub fn session_changes(app: &AppHandle, updated: &[Session]) {
    let Some(state) = app.try_state::<AppState>() else {
        return;
    };
    let settings = state.settings();
    let mut guard = state.alerts.lock().unwrap_or_else(|e| e.into_inner());
    let (tracker, limit) = &mut *guard;
    let now = Instant::now();
    for alert in tracker.observe(updated, &settings) {
        if !limit.allow(now) {
            continue;
        }
        let _ = app
            .notification()
            .builder()
            .title(&alert.title)
            .body(&alert.body)
            .show();
    }
}
