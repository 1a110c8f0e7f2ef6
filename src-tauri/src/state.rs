//! What the app holds while it runs: core's live session table and run supervisor,
//! each wired to push its changes to the web view and the tray.

use std::time::Duration;

use sessionscope_core::live::LiveSessions;
use sessionscope_core::paths;
use sessionscope_core::supervisor::Supervisor;
use tauri::AppHandle;

use crate::{events, tray};

/// Time a killed run gets between SIGTERM and SIGKILL.
pub const KILL_GRACE: Duration = Duration::from_secs(3);

pub struct AppState {
    pub live: LiveSessions,
    pub supervisor: Supervisor,
}

impl AppState {
    pub fn start(app: &AppHandle) -> AppState {
        let on_sessions = app.clone();
        let live = LiveSessions::start(paths::harness_roots(), move |change, counts| {
            events::sessions_changed(&on_sessions, change, counts);
            tray::refresh(&on_sessions);
        });
        let on_runs = app.clone();
        let supervisor = Supervisor::new(paths::run_log_dir(), move |run| {
            events::run_changed(&on_runs, run);
            tray::refresh(&on_runs);
        });
        AppState { live, supervisor }
    }
}
