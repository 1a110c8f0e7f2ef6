//! Commands about the remote hosts in Settings: their chips, their rows for the one
//! table, this machine's name (the Host column's name for local rows), and killing
//! sessions on a host: the plan comes from the host over its live link, the native
//! dialog here names the host, and the host stops exactly what was confirmed; and a
//! host's run history with the end of a run's log (starting and following runs on a
//! host: `remote_runs`).

use std::time::Duration;

use sessionscope_core::model::{KillOutcome, RunInfo, Session};
use sessionscope_core::remote::protocol::{Answer, Confirmation, ConfirmedBy, Request};
use sessionscope_core::remote::requests::Requests;
use sessionscope_core::remote::table::RemoteHosts;
use tauri::{AppHandle, Manager};

use crate::remote::RemoteWatch;
use crate::state::AppState;

/// How long a read of a host (a plan, a transcript page) may take.
pub const ASK_TIMEOUT: Duration = Duration::from_secs(30);

#[tauri::command]
pub fn list_remote_hosts(app: AppHandle) -> RemoteHosts {
    app.state::<RemoteWatch>().chips()
}

/// Every row of every host, keyed as the one table holds them.
#[tauri::command]
pub fn list_remote_sessions(app: AppHandle) -> Vec<Session> {
    app.state::<RemoteWatch>().rows()
}

/// This machine's name, as the Host column shows it for local rows.
#[tauri::command]
pub fn this_machine() -> String {
    sessionscope_core::remote::hosts::this_machine()
}

/// How to ask `host`, if it is one of the hosts in Settings.
pub fn requests_for(app: &AppHandle, host: &str) -> Result<Requests, String> {
    if !app
        .state::<AppState>()
        .settings()
        .hosts
        .iter()
        .any(|h| h.trim() == host)
    {
        return Err(format!("{host:?} is not one of the hosts in Settings"));
    }
    app.state::<RemoteWatch>()
        .requests(host)
        .ok_or_else(|| format!("{host} is not connected yet"))
}

/// Ask `host` one thing over its link, off the async runtime.
pub async fn ask(
    requests: Requests,
    request: Request,
    timeout: Duration,
) -> Result<Answer, String> {
    tauri::async_runtime::spawn_blocking(move || requests.ask(request, timeout))
        .await
        .map_err(|e| e.to_string())?
        .map_err(|e| e.to_string())
}

/// Stop sessions or runs `ids` (the host's own ids) on `host` after the user's yes.
/// An empty list means the user said no.
#[tauri::command]
pub async fn kill_remote_session(
    app: AppHandle,
    host: String,
    ids: Vec<String>,
) -> Result<Vec<KillOutcome>, String> {
    let requests = requests_for(&app, &host)?;
    let grace = app.state::<AppState>().settings().kill_grace();
    let request = Request::KillPlan {
        ids,
        grace_ms: grace.as_millis() as u64,
    };
    let plan = match ask(requests.clone(), request, ASK_TIMEOUT).await? {
        Answer::KillPlan { plan } => plan,
        _ => return Err(format!("{host} answered something else than a plan")),
    };
    if plan.items.is_empty() {
        return Err(plan.nothing_to_stop());
    }
    let shown = sessionscope_core::kill::shown(&host);
    let text = format!("On host {shown}:\n\n{}", plan.describe());
    if !crate::dialogs::confirm(&app, plan.title(), text, "Stop").await? {
        return Ok(Vec::new());
    }
    let confirmation = Confirmation::for_plan(ConfirmedBy::Dialog, &host, &plan);
    // The host waits out the grace period before it escalates.
    let timeout = ASK_TIMEOUT + grace * 2;
    match ask(requests, Request::Kill { plan, confirmation }, timeout).await? {
        Answer::Killed { outcomes } => Ok(outcomes),
        _ => Err(format!(
            "{host} answered something else than the kill's outcome"
        )),
    }
}

/// The run history of `host`.
#[tauri::command]
pub async fn list_remote_runs(app: AppHandle, host: String) -> Result<Vec<RunInfo>, String> {
    match ask(requests_for(&app, &host)?, Request::Runs, ASK_TIMEOUT).await? {
        Answer::Runs { runs } => Ok(runs),
        _ => Err(format!("{host} answered something else than its runs")),
    }
}

/// The end of one run's log on `host` (at most [`RUN_LOG_BYTES`]), as plain text.
#[tauri::command]
pub async fn remote_run_log(app: AppHandle, host: String, run: String) -> Result<String, String> {
    let request = Request::RunLog {
        run,
        max_bytes: RUN_LOG_BYTES,
    };
    match ask(requests_for(&app, &host)?, request, ASK_TIMEOUT).await? {
        // Shown as plain text: the terminal's escape sequences are taken out.
        Answer::RunLog { text, .. } => Ok(
            sessionscope_core::agents::transcript::text::strip_controls(&text),
        ),
        _ => Err(format!("{host} answered something else than a run's log")),
    }
}

/// How much of a host's run log the Runs view shows.
pub const RUN_LOG_BYTES: usize = 64 * 1024;
