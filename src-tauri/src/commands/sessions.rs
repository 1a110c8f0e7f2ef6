//! Commands about agent sessions.

use sessionscope_core::model::SessionSnapshot;
use tauri::State;

use crate::state::AppState;

/// The full table, sent once; later changes arrive as `sessions-changed` events.
#[tauri::command]
pub fn list_sessions(state: State<'_, AppState>) -> SessionSnapshot {
    state.live.snapshot()
}
