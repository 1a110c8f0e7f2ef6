//! Declares the app's own commands so each one gets a permission, and the capability
//! file can grant the UI exactly the ones it uses (least privilege).

fn main() {
    let manifest = tauri_build::AppManifest::new().commands(&[
        "list_sessions",
        "export_sessions",
        "kill_sessions",
        "list_runs",
        "start_run",
        "attach_run",
        "write_run_input",
        "resize_run",
        "kill_run",
        "clear_finished_runs",
        "get_settings",
        "save_settings",
        "read_transcript",
        "read_transcript_entry",
        "search_transcripts",
        "list_server_sessions",
        "kill_server_session",
        "list_remote_hosts",
        "list_remote_sessions",
        "this_machine",
        "list_remote_runs",
        "remote_run_log",
        "kill_remote_session",
        "list_records",
        "record_detail",
        "annotate_record",
        "session_analytics",
        "save_export",
        "record_trend",
        "record_session",
        "last_quit_notice",
        "dismiss_quit_notice",
        "reveal_session_file",
        "ack_run_output",
        "record_costs",
        "refresh_server_sessions",
        "preview_duplicates",
        "merge_duplicates",
        "search_record_transcripts",
        "parse_env",
    ]);
    tauri_build::try_build(tauri_build::Attributes::new().app_manifest(manifest))
        .expect("tauri-build failed");
}
