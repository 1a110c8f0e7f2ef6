//! Runs on a host in Settings: start one after the user's yes in the native dialog
//! (naming the host and showing the exact command; the host runs only what that yes
//! names), follow a run's output live into a terminal panel, and type into a run the
//! host's serve started.
//!
//! A followed run's output comes over the host's live link
//! (`core::remote::requests::RunSubscription`) and goes to the panel through the same
//! pacer as a local run's, so a flood costs neither side memory: what the panel cannot
//! keep up with is skipped and said so, and stays whole in the log on the host.

use std::sync::mpsc;
use std::time::Duration;

use sessionscope_core::consent;
use sessionscope_core::kill;
use sessionscope_core::model::{RunInfo, RunOutput};
use sessionscope_core::remote::protocol::{
    self, Answer, ConfirmedBy, Request, RunConfirmation, MAX_INPUT_BYTES,
};
use sessionscope_core::remote::requests::{RunEnd, RunEvent, RunSubscription};
use sessionscope_core::remote::run_stream::skipped_notice;
use sessionscope_core::runs::pacer;
use sessionscope_core::runs::supervisor::SUBSCRIBER_QUEUE;
use tauri::ipc::Channel;
use tauri::{AppHandle, Manager};

use super::remote::{ask, requests_for, ASK_TIMEOUT};
use crate::state::AppState;

/// Start `command` on `host` (in `cwd`, else the home folder there) after the user's
/// yes in the native dialog. `None` when the user said no.
#[tauri::command]
pub async fn start_remote_run(
    app: AppHandle,
    host: String,
    command: String,
    cwd: Option<String>,
    name: Option<String>,
) -> Result<Option<RunInfo>, String> {
    let command = command.trim().to_string();
    if command.is_empty() {
        return Err("the command is empty".into());
    }
    let cwd = cwd.map(|c| c.trim().to_string()).filter(|c| !c.is_empty());
    let requests = requests_for(&app, &host)?;
    let Some(question) = consent::remote_run_question(&host, &command, cwd.as_deref()) else {
        return Err("the command is too long to be shown whole in the question".into());
    };
    let title = format!("Run on {}?", kill::shown(&host));
    if !crate::dialogs::confirm(&app, &title, question, "Run").await? {
        return Ok(None);
    }
    let confirmation = RunConfirmation::now(ConfirmedBy::Dialog, &host, &command, cwd.as_deref());
    let request = Request::StartRun {
        command,
        cwd,
        name: name.filter(|n| !n.trim().is_empty()),
        confirmation,
    };
    match ask(requests, request, ASK_TIMEOUT).await? {
        Answer::RunStarted { run } => Ok(Some(*run)),
        _ => Err(format!(
            "{host} answered something else than the run it started"
        )),
    }
}

/// Follow run `run` of `host` into a terminal panel from the start of its log:
/// output, gaps and the end as text, paced like a local run's (acknowledged with
/// `ack_run_output` and the id returned).
#[tauri::command]
pub async fn follow_remote_run(
    app: AppHandle,
    host: String,
    run: String,
    on_output: Channel<RunOutput>,
) -> Result<u64, String> {
    let requests = requests_for(&app, &host)?;
    let id = run.clone();
    let (_, sub) =
        tauri::async_runtime::spawn_blocking(move || requests.follow_run(&run, 0, ASK_TIMEOUT))
            .await
            .map_err(|e| e.to_string())?
            .map_err(|e| e.to_string())?;
    let (tx, rx) = mpsc::sync_channel(SUBSCRIBER_QUEUE);
    let handle = app.clone();
    std::thread::Builder::new()
        .name(format!("remote-run {id}"))
        .spawn(move || bridge(sub, &handle, &host, &tx))
        .map_err(|e| e.to_string())?;
    let streams = &app.state::<AppState>().output_streams;
    let send = super::runs::panel_sender(id, on_output);
    Ok(pacer::feed_panel(streams, Vec::new(), rx, send))
}

/// The subscription's events as terminal bytes, until the end (then a closing line,
/// and the Runs list is told) or until the panel is gone (dropping the subscription
/// tells the host to stop).
fn bridge(mut sub: RunSubscription, app: &AppHandle, name: &str, tx: &mpsc::SyncSender<Vec<u8>>) {
    let host = &kill::shown(name);
    loop {
        let bytes = match sub.next(Duration::from_millis(500)) {
            // Nothing new: an empty chunk finds out whether the panel is still there.
            None => Vec::new(),
            Some(RunEvent::Output(b)) => b,
            Some(RunEvent::Skipped(n)) => skipped_notice(n).into_bytes(),
            Some(RunEvent::End(RunEnd::Ended { run, code })) => {
                let status = serde_json::to_value(run.status)
                    .ok()
                    .and_then(|v| v.as_str().map(str::to_string))
                    .unwrap_or_else(|| "ended".into());
                let _ =
                    tx.send(format!("\r\n[run {status} on {host}, exit {code}]\r\n").into_bytes());
                crate::events::remote_run_ended(app, name);
                return;
            }
            Some(RunEvent::End(RunEnd::Lost(e))) => {
                let _ = tx.send(
                    format!(
                        "\r\n[{}; the run goes on on {host}: open it again to follow it]\r\n",
                        kill::shown(&e.to_string())
                    )
                    .into_bytes(),
                );
                return;
            }
        };
        if tx.send(bytes).is_err() {
            return;
        }
    }
}

/// Type into run `run` on `host` (only a run that host's serve started takes input).
#[tauri::command]
pub async fn write_remote_run_input(
    app: AppHandle,
    host: String,
    run: String,
    data: String,
) -> Result<(), String> {
    if data.len() > MAX_INPUT_BYTES {
        return Err(format!("more than {MAX_INPUT_BYTES} bytes at once"));
    }
    let request = Request::RunInput {
        run,
        bytes: protocol::encode_bytes(data.as_bytes()),
    };
    match ask(requests_for(&app, &host)?, request, ASK_TIMEOUT).await? {
        Answer::Done => Ok(()),
        _ => Err(format!("{host} answered something else than done")),
    }
}
