//! Commands about runs: start and kill (each after a native confirmation shown here,
//! on the Rust side), stream, type into, resize, and clear.

use sessionscope_core::consent;
use sessionscope_core::kill::KillScope;
use sessionscope_core::model::{EnvLines, EnvVar, KillTarget, RunInfo, RunOutput, RunRequest};
use sessionscope_core::paths;
use sessionscope_core::runs::pacer;
use sessionscope_core::runs::quit_notice::{self, QuitNotice};
use sessionscope_core::runs::supervisor::SupervisorError;
use tauri::ipc::Channel;
use tauri::{AppHandle, Manager, State};

use crate::state::AppState;

/// What the last quit did to runs still alive, until the user dismisses it.
#[tauri::command]
pub fn last_quit_notice() -> Option<QuitNotice> {
    quit_notice::load(&paths::run_log_dir())
}

#[tauri::command]
pub fn dismiss_quit_notice() -> Result<(), String> {
    quit_notice::dismiss(&paths::run_log_dir()).map_err(|e| e.to_string())
}

#[tauri::command]
pub fn list_runs(state: State<'_, AppState>) -> Vec<RunInfo> {
    state.supervisor.runs()
}

/// Start a command, after the user's yes in a native dialog that shows it (command,
/// folder, environment) literally: a script in the web view cannot run anything on
/// its own. `None` when the user said no.
#[tauri::command]
pub async fn start_run(app: AppHandle, request: RunRequest) -> Result<Option<RunInfo>, String> {
    if request.command.trim().is_empty() {
        return Err(SupervisorError::EmptyCommand.to_string());
    }
    let question = consent::run_question(&request);
    if !crate::dialogs::confirm(&app, "Run command?", question, "Run").await? {
        return Ok(None);
    }
    app.state::<AppState>()
        .supervisor
        .start(request)
        .map(Some)
        .map_err(|e| e.to_string())
}

/// Replay the run's recent output, then stream the rest until the run ends, paced to
/// what the panel draws (core's [`pacer::feed_panel`]). Returns the id the panel
/// acknowledges with ([`ack_run_output`]).
#[tauri::command]
pub fn attach_run(
    state: State<'_, AppState>,
    id: String,
    on_output: Channel<RunOutput>,
) -> Result<u64, String> {
    let (backlog, rx) = state.supervisor.attach(&id).map_err(|e| e.to_string())?;
    Ok(pacer::feed_panel(
        &state.output_streams,
        backlog,
        rx,
        panel_sender(id, on_output),
    ))
}

/// What [`pacer::feed_panel`] sends the panel through: each paced chunk tagged with
/// the run's id; false once the panel is gone (the pacer then stops). Shared by this
/// machine's runs and a host's ([`super::remote_runs`]).
pub(crate) fn panel_sender(
    id: String,
    on_output: Channel<RunOutput>,
) -> impl FnMut(u32, String) -> bool + Send + 'static {
    move |ack, data| {
        on_output
            .send(RunOutput {
                run_id: id.clone(),
                ack,
                data,
            })
            .is_ok()
    }
}

/// The panel has drawn `bytes` of stream `stream`'s output.
#[tauri::command]
pub fn ack_run_output(state: State<'_, AppState>, stream: u64, bytes: u32) {
    state.output_streams.acknowledge(stream, bytes as usize);
}

/// Type into a run's terminal. Only runs this app started take input, and each of
/// those started after the user's yes ([`start_run`]); runs of other processes (the
/// CLI, an earlier app) are refused by the supervisor as detached.
#[tauri::command]
pub fn write_run_input(state: State<'_, AppState>, id: String, data: String) -> Result<(), String> {
    state
        .supervisor
        .write_input(&id, data.as_bytes())
        .map_err(|e| e.to_string())
}

#[tauri::command]
pub fn resize_run(
    state: State<'_, AppState>,
    id: String,
    rows: u16,
    cols: u16,
) -> Result<(), String> {
    state
        .supervisor
        .resize(&id, rows, cols)
        .map_err(|e| e.to_string())
}

/// Ask the user in a native dialog; kill only on their yes. Returns whether the kill
/// was sent. The web view has no other way to kill.
#[tauri::command]
pub async fn kill_run(app: AppHandle, id: String) -> Result<bool, String> {
    let state = app.state::<AppState>();
    let grace = state.settings().kill_grace();
    // The plan refuses what is not running or names a PID that must never be signalled;
    // its text is the one the CLI's prompt shows, run name and command escaped.
    let plan = KillScope {
        supervisor: Some(&state.supervisor),
        ..KillScope::default()
    }
    .plan(&[KillTarget::Run { run_id: id.clone() }], grace);
    if plan.items.is_empty() {
        return Err(plan.nothing_to_stop());
    }
    let confirmed = crate::dialogs::confirm(&app, plan.title(), plan.describe(), "Kill").await?;
    if !confirmed {
        return Ok(false);
    }
    state
        .supervisor
        .kill(&id, grace)
        .map_err(|e| e.to_string())?;
    Ok(true)
}

/// The Runs form's environment field read by core's parser (the one `--env` uses), so
/// the window and the CLI accept the same variables.
#[tauri::command]
pub fn parse_env(text: String) -> EnvLines {
    EnvVar::parse_lines(&text)
}

#[tauri::command]
pub fn clear_finished_runs(state: State<'_, AppState>) -> Vec<String> {
    state.supervisor.clear_finished()
}
