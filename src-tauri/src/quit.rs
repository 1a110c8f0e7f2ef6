//! Quitting from the menu, the tray or Ctrl+Q: when runs are still alive, a native
//! dialog first lists them and says what quitting will do to them (leave them running
//! or stop them, as the user chose in Settings); Cancel keeps the app open. What was
//! then done is saved by [`crate::state::AppState::on_exit`] and shown at the next
//! start.

use sessionscope_core::runs::quit_notice;
use tauri::{AppHandle, Manager};

use crate::state::AppState;

/// Ask if needed, then exit. Returns at once; the dialog runs off the event loop.
pub fn request(app: &AppHandle) {
    let app = app.clone();
    tauri::async_runtime::spawn(async move {
        let question = app.try_state::<AppState>().and_then(|state| {
            quit_notice::question(
                &state.supervisor.alive_at_quit(),
                state.settings().quit_policy(),
            )
        });
        let go = match question {
            None => true,
            Some(text) => crate::dialogs::confirm(&app, "Quit Sessionscope?", text, "Quit")
                .await
                .unwrap_or(false),
        };
        if go {
            app.exit(0);
        }
    });
}
