//! The events the backend pushes to the web view, named after what happened.

use sessionscope_core::model::{RunInfo, SessionChange, SessionCounts, SessionsChanged};
use tauri::{AppHandle, Emitter};

pub const SESSIONS_CHANGED: &str = "sessions-changed";
pub const RUN_CHANGED: &str = "run-changed";
pub const INDEX_NOTICES: &str = "index-notices";

pub fn sessions_changed(app: &AppHandle, change: SessionChange, counts: SessionCounts) {
    let _ = app.emit(SESSIONS_CHANGED, SessionsChanged { change, counts });
}

pub fn run_changed(app: &AppHandle, run: &RunInfo) {
    let _ = app.emit(RUN_CHANGED, run);
}

/// The whole list of notices (files skipped, roots polled), each time it changes.
pub fn index_notices(app: &AppHandle, notices: Vec<String>) {
    let _ = app.emit(INDEX_NOTICES, notices);
}
