//! Sessionscope desktop app: thin glue between sessionscope-core and the web view.
//!
//! Start-up builds the [`state::AppState`] (the live session table and the run
//! supervisor, both from core), forwards their changes as events (`sessions-changed`,
//! `run-changed`), keeps the tray up to date, and registers the commands of
//! [`commands`]. Nothing here decides anything about sessions or runs.

#![cfg_attr(not(debug_assertions), windows_subsystem = "windows")]

mod commands;
mod events;
mod state;
mod tray;

fn main() {
    tauri::Builder::default()
        .plugin(tauri_plugin_dialog::init())
        .setup(|app| {
            let handle = app.handle().clone();
            let state = state::AppState::start(&handle);
            tauri::Manager::manage(app, state);
            tray::create(&handle)?;
            tray::refresh(&handle);
            Ok(())
        })
        .invoke_handler(tauri::generate_handler![
            commands::sessions::list_sessions,
            commands::sessions::export_sessions,
            commands::runs::list_runs,
            commands::runs::start_run,
            commands::runs::attach_run,
            commands::runs::write_run_input,
            commands::runs::resize_run,
            commands::runs::kill_run,
            commands::runs::clear_finished_runs,
        ])
        .run(tauri::generate_context!())
        .expect("error while running Sessionscope");
}
