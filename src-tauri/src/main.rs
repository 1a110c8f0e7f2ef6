//! Sessionscope desktop app: thin glue between sessionscope-core and the web view.
//!
//! Start-up has three steps, in this order, so no thread ever waits for a state
//! to appear: build everything (settings, the handlers, the [`dispatch::Dispatcher`]
//! that hands core's change sets to them, the [`state::AppState`] with the live
//! session table and the run supervisor), `manage` it, then open the window and the
//! tray and start the threads. Every event is named in [`events`]; the commands are in
//! [`commands`]. Nothing here decides anything about sessions or runs.

#![cfg_attr(not(debug_assertions), windows_subsystem = "windows")]

mod commands;
mod dialogs;
mod dispatch;
mod events;
mod menu;
mod notify;
mod quit;
mod remote;
mod reveal;
mod search;
mod server;
mod state;
mod tray;
mod window;

use tauri::Manager;

fn main() {
    // Windows: this process may have been started only to send Ctrl-C / Ctrl-Break to
    // another console (see core's `console_ctrl`); then it does that and exits.
    #[cfg(windows)]
    sessionscope_core::procs::console_ctrl::run_helper_if_asked();
    // Or to hold one run's terminal so the run can outlive Sessionscope (see core's
    // `runs::host`); then it serves that run and exits with its exit code.
    sessionscope_core::runs::host::serve_if_asked();
    let builder = tauri::Builder::default()
        // First: a second launch only brings the running window forward.
        .plugin(tauri_plugin_single_instance::init(|app, _args, _cwd| {
            window::show_main_window(app);
        }))
        .plugin(tauri_plugin_window_state::Builder::default().build())
        .plugin(tauri_plugin_dialog::init());
    #[cfg(feature = "notifications")]
    let builder = builder.plugin(tauri_plugin_notification::init());
    builder
        .plugin(tauri_plugin_autostart::init(
            tauri_plugin_autostart::MacosLauncher::LaunchAgent,
            None,
        ))
        .menu(menu::build)
        .on_menu_event(|app, event| menu::on_event(app, event.id().as_ref()))
        .setup(|app| {
            let handle = app.handle().clone();
            // 1. Build.
            let (settings, settings_problem) = state::load_settings();
            let show_tray_icon = state::lock(&settings).show_tray_icon;
            let notifier = std::sync::Arc::new(notify::Notifier::new(settings.clone()));
            let (search_dirty, tray_dirty) =
                (dispatch::SearchDirty::everything(), dispatch::Dirty::set());
            let (dispatcher, analytics_nudges) = dispatch::Dispatcher::new(
                handle.clone(),
                notifier,
                search_dirty.clone(),
                tray_dirty.clone(),
            );
            let sink: state::ChangeSink = std::sync::Arc::new(move |c| dispatcher.dispatch(c));
            // 2. Manage.
            app.manage(state::AppState::new(settings, settings_problem, sink));
            app.manage(search::SearchService::new(search_dirty));
            app.manage(server::ServerWatch::default());
            app.manage(remote::RemoteWatch::default());
            // 3. Open and start: the window's first calls find everything above in place.
            window::open_main_window(app)?;
            tray::create(&handle, show_tray_icon)?;
            tray::start_updater(&handle, tray_dirty)?;
            state::start_first_scan(&handle);
            search::start_updater(&handle);
            dispatch::start_analytics(&handle, analytics_nudges);
            server::start(&handle);
            remote::start(&handle);
            commands::records::start_watch(&handle);
            Ok(())
        })
        .invoke_handler(tauri::generate_handler![
            commands::sessions::list_sessions,
            commands::sessions::export_sessions,
            commands::sessions::reveal_session_file,
            commands::sessions::kill_sessions,
            commands::runs::list_runs,
            commands::runs::last_quit_notice,
            commands::runs::dismiss_quit_notice,
            commands::runs::start_run,
            commands::runs::attach_run,
            commands::runs::ack_run_output,
            commands::runs::write_run_input,
            commands::runs::resize_run,
            commands::runs::kill_run,
            commands::runs::clear_finished_runs,
            commands::runs::parse_env,
            commands::settings::get_settings,
            commands::settings::save_settings,
            commands::transcript::read_transcript,
            commands::transcript::read_transcript_entry,
            commands::search::search_transcripts,
            commands::server::list_server_sessions,
            commands::server::kill_server_session,
            commands::remote::list_remote_hosts,
            commands::remote::list_remote_sessions,
            commands::remote::this_machine,
            commands::remote::list_remote_runs,
            commands::remote::remote_run_log,
            commands::remote::kill_remote_session,
            commands::remote_runs::start_remote_run,
            commands::remote_runs::follow_remote_run,
            commands::remote_runs::write_remote_run_input,
            commands::remote_records::list_remote_records,
            commands::remote_records::remote_record_detail,
            commands::remote_records::record_remote_session,
            commands::records::list_records,
            commands::records::record_detail,
            commands::records::annotate_record,
            commands::records::record_session,
            commands::analytics::session_analytics,
            commands::analytics::save_export,
            commands::records::record_trend,
            commands::records::record_costs,
            commands::server::refresh_server_sessions,
            commands::records::preview_duplicates,
            commands::records::merge_duplicates,
            commands::records::search_record_transcripts,
        ])
        .build(tauri::generate_context!())
        .expect("error while building Sessionscope")
        .run(|app, event| {
            if let tauri::RunEvent::Exit = event {
                state::AppState::on_exit(app);
            }
        });
}
