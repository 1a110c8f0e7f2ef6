//! Commands that read a session's transcript for the detail pane: the last entries
//! first (through the file's offset index, `transcript::offsets`), then only what was
//! appended since the cursor the pane holds, and earlier pages when the user pages
//! back. A remote row's transcript (its key names the host, `core::remote::rows`) is
//! asked of its host over the live link, with the same cursors.

use std::path::PathBuf;

use sessionscope_core::agents::transcript::{
    self, TranscriptCursor, TranscriptEntry, TranscriptPage,
};
use sessionscope_core::model::{Harness, Session};
use sessionscope_core::remote::protocol::{Answer, Request};
use sessionscope_core::remote::rows::split_row_key;
use tauri::{AppHandle, Manager};

use crate::commands::remote::{ask, requests_for, ASK_TIMEOUT};
use crate::state::AppState;

/// How many entries the pane opens with, and reads at a time when paging back.
const OPENING_ENTRIES: usize = 200;

/// A page of a remote row's transcript: `from` a cursor, `before` an index, or the
/// opening tail.
async fn remote_page(
    app: &AppHandle,
    host: &str,
    key: &str,
    from: Option<TranscriptCursor>,
    before: Option<u32>,
) -> Result<TranscriptPage, String> {
    let request = Request::Transcript {
        session: key.to_string(),
        last: from.is_none().then_some(OPENING_ENTRIES),
        max_text_bytes: transcript::DEFAULT_MAX_TEXT_BYTES,
        from,
        before,
    };
    match ask(requests_for(app, host)?, request, ASK_TIMEOUT).await? {
        Answer::Transcript { page, .. } => Ok(page),
        _ => Err(format!("{host} answered something else than a transcript")),
    }
}

fn locate(app: &AppHandle, key: &str) -> Result<(Harness, PathBuf), String> {
    let sessions: Vec<Session> = app.state::<AppState>().live().sessions();
    let s = sessions
        .into_iter()
        .find(|s| s.key == key)
        .ok_or_else(|| format!("no session {key}"))?;
    Ok((s.harness, PathBuf::from(s.path)))
}

/// With no cursor: the last entries. With `from`: what came after it. With `before`:
/// the page of entries just before that index (paging back).
#[tauri::command]
pub async fn read_transcript(
    app: AppHandle,
    key: String,
    from: Option<TranscriptCursor>,
    before: Option<u32>,
) -> Result<TranscriptPage, String> {
    if let Some((host, key)) = split_row_key(&key) {
        return remote_page(&app, host, key, from, before).await;
    }
    let (harness, path) = locate(&app, &key)?;
    tauri::async_runtime::spawn_blocking(move || match (from, before) {
        // From the file's offset index: read from its start only the first time.
        (None, None) => crate::state::lock(&app.state::<AppState>().transcript_offsets).tail(
            harness,
            &path,
            OPENING_ENTRIES,
            transcript::DEFAULT_MAX_TEXT_BYTES,
        ),
        (None, Some(before)) => crate::state::lock(&app.state::<AppState>().transcript_offsets)
            .before(
                harness,
                &path,
                before,
                OPENING_ENTRIES,
                transcript::DEFAULT_MAX_TEXT_BYTES,
            ),
        // A Gemini `.json` chat through its index too: not decoded whole per change.
        (Some(from), _) => crate::state::lock(&app.state::<AppState>().transcript_offsets).page(
            harness,
            &path,
            &from,
            transcript::DEFAULT_PAGE_ENTRIES,
            transcript::DEFAULT_MAX_TEXT_BYTES,
        ),
    })
    .await
    .map_err(|e| e.to_string())?
    .map_err(|e| e.to_string())
}

/// One entry untruncated ("show all").
#[tauri::command]
pub async fn read_transcript_entry(
    app: AppHandle,
    key: String,
    at: TranscriptCursor,
    index: u32,
) -> Result<TranscriptEntry, String> {
    if let Some((host, key)) = split_row_key(&key) {
        let request = Request::TranscriptEntry {
            session: key.to_string(),
            at,
            index,
        };
        return match ask(requests_for(&app, host)?, request, ASK_TIMEOUT).await? {
            Answer::TranscriptEntry { entry } => Ok(*entry),
            _ => Err(format!("{host} answered something else than an entry")),
        };
    }
    let (harness, path) = locate(&app, &key)?;
    tauri::async_runtime::spawn_blocking(move || {
        crate::state::lock(&app.state::<AppState>().transcript_offsets)
            .entry_full(harness, &path, &at, index)
    })
    .await
    .map_err(|e| e.to_string())?
    .map_err(|e| e.to_string())
}
