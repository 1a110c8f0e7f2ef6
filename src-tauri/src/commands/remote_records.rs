//! The records of a remote host in the Records view, and "Record this session" on a
//! remote row. Reads go over the host's live link (`records`, `record`), read there
//! with the view's filters and shaped here into the same page the view gets for this
//! machine's store; recording asks first in the native dialog naming the host and the
//! session, and the host records exactly the session confirmed, in its own store.

use sessionscope_core::remote::protocol::{Answer, ConfirmedBy, RecordConfirmation, Request};
use sessionscope_core::remote::rows;
use sessionscope_core::views::{self, RecordField, RecordQuery, RecordsPage, SessionRecorded};
use tauri::{AppHandle, Manager};

use crate::commands::remote::{ask, requests_for, ASK_TIMEOUT};
use crate::remote::RemoteWatch;

/// The Records view's page for `host`: its records passing `query`, read there.
#[tauri::command]
pub async fn list_remote_records(
    app: AppHandle,
    host: String,
    query: RecordQuery,
) -> Result<RecordsPage, String> {
    // A bad window is said here, before asking the host.
    query.to_filter().map_err(|e| e.to_string())?;
    match ask(
        requests_for(&app, &host)?,
        Request::Records { query },
        ASK_TIMEOUT,
    )
    .await?
    {
        Answer::Records {
            store_path,
            records,
        } => Ok(views::page_of(format!("{host}:{store_path}"), &records)),
        _ => Err(format!("{host} answered something else than its records")),
    }
}

/// Every field of one record of `host`'s store.
#[tauri::command]
pub async fn remote_record_detail(
    app: AppHandle,
    host: String,
    id: String,
) -> Result<Vec<RecordField>, String> {
    match ask(
        requests_for(&app, &host)?,
        Request::Record { id },
        ASK_TIMEOUT,
    )
    .await?
    {
        Answer::Record { record } => Ok(views::record_fields(&record)),
        _ => Err(format!("{host} answered something else than a record")),
    }
}

/// "Record this session" for a row of `host` (`session` is the host's own key), after
/// a yes in the native dialog; `None` when the user said no.
#[tauri::command]
pub async fn record_remote_session(
    app: AppHandle,
    host: String,
    session: String,
) -> Result<Option<SessionRecorded>, String> {
    let requests = requests_for(&app, &host)?;
    let row_key = rows::row_key(&host, &session);
    let row = app
        .state::<RemoteWatch>()
        .rows_of(Some(&host))
        .into_iter()
        .find(|s| s.key == row_key)
        .ok_or_else(|| format!("no session {session} of {host} in the table"))?;
    let shown = sessionscope_core::kill::shown;
    let text = format!(
        "On host {}:\n\nRecord session {} ({}) in that host's record store, with the \
         outcome read from its transcript?",
        shown(&host),
        shown(&row.id),
        shown(row.title.as_deref().unwrap_or("untitled")),
    );
    if !crate::dialogs::confirm(&app, "Record this session?", text, "Record").await? {
        return Ok(None);
    }
    let confirmation = RecordConfirmation::now(ConfirmedBy::Dialog, &host, &session);
    let request = Request::RecordSession {
        session,
        confirmation,
    };
    match ask(requests, request, ASK_TIMEOUT).await? {
        Answer::Recorded { recorded } => Ok(Some(recorded)),
        _ => Err(format!("{host} answered something else than the record")),
    }
}
