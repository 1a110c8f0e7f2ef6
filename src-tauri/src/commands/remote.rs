//! Commands about the remote hosts in Settings: their live view, and killing a session
//! on one (the plan comes from the host, the native dialog here names the host, and
//! the host stops exactly what was confirmed).

use sessionscope_core::remote::client::{Connection, SshCommand};
use sessionscope_core::remote::protocol::{Answer, Confirmation, ConfirmedBy, Request};
use sessionscope_core::remote::table::RemoteHosts;
use tauri::{AppHandle, Manager};

use crate::remote::RemoteWatch;
use crate::state::AppState;

#[tauri::command]
pub fn list_remote_hosts(app: AppHandle) -> RemoteHosts {
    app.state::<RemoteWatch>().view()
}

/// Stop session `id` on `host` (one of Settings' hosts) after the user's yes.
#[tauri::command]
pub async fn kill_remote_session(app: AppHandle, host: String, id: String) -> Result<bool, String> {
    if !app.state::<AppState>().settings().hosts.contains(&host) {
        return Err(format!("{host:?} is not one of the hosts in Settings"));
    }
    let grace = app.state::<AppState>().settings().kill_grace();
    let (conn, plan) = {
        let host = host.clone();
        tauri::async_runtime::spawn_blocking(move || {
            let mut c = Connection::open(&host, &SshCommand::from_env(), Default::default())
                .map_err(|e| e.to_string())?;
            let request = Request::KillPlan {
                ids: vec![id],
                grace_ms: grace.as_millis() as u64,
            };
            match c.request(request).map_err(|e| e.to_string())? {
                Answer::KillPlan { plan } => Ok((c, plan)),
                _ => Err(format!("{host} answered something else than a plan")),
            }
        })
        .await
        .map_err(|e| e.to_string())??
    };
    if plan.items.is_empty() {
        return Err(plan.nothing_to_stop());
    }
    let shown = sessionscope_core::kill::shown(&host);
    let text = format!("On host {shown}:\n\n{}", plan.describe());
    if !crate::dialogs::confirm(&app, plan.title(), text, "Stop").await? {
        return Ok(false);
    }
    let confirmation = Confirmation::for_plan(ConfirmedBy::Dialog, &host, &plan);
    let mut conn = conn;
    tauri::async_runtime::spawn_blocking(move || {
        match conn
            .request(Request::Kill { plan, confirmation })
            .map_err(|e| e.to_string())?
        {
            Answer::Killed { outcomes } => Ok(outcomes
                .iter()
                .all(|o| o.result == sessionscope_core::model::KillResult::Stopped)),
            _ => Err(format!(
                "{host} answered something else than the kill's outcome"
            )),
        }
    })
    .await
    .map_err(|e| e.to_string())?
}
