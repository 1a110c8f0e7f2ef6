//! Commands that read a session's transcript for the detail pane: the last entries
//! first (through the file's offset index, `transcript::offsets`), then only what was
//! appended since the cursor the pane holds.

use std::path::PathBuf;

use sessionscope_core::agents::transcript::{
    self, TranscriptCursor, TranscriptEntry, TranscriptPage,
};
use sessionscope_core::model::{Harness, Session};
use tauri::{AppHandle, Manager};

use crate::state::AppState;

/// How many entries the pane opens with.
const OPENING_ENTRIES: usize = 200;

fn locate(app: &AppHandle, key: &str) -> Result<(Harness, PathBuf), String> {
    let sessions: Vec<Session> = app.state::<AppState>().live().sessions();
    let s = sessions
        .into_iter()
        .find(|s| s.key == key)
        .ok_or_else(|| format!("no session {key}"))?;
    Ok((s.harness, PathBuf::from(s.path)))
}

/// With no cursor: the last entries. With one: what came after it.
#[tauri::command]
pub async fn read_transcript(
    app: AppHandle,
    key: String,
    from: Option<TranscriptCursor>,
) -> Result<TranscriptPage, String> {
    let (harness, path) = locate(&app, &key)?;
    tauri::async_runtime::spawn_blocking(move || match from {
        // From the file's offset index: read from its start only the first time.
        None => crate::state::lock(&app.state::<AppState>().transcript_offsets).tail(
            harness,
            &path,
            OPENING_ENTRIES,
            transcript::DEFAULT_MAX_TEXT_BYTES,
        ),
        Some(from) => transcript::read_transcript(
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
    let (harness, path) = locate(&app, &key)?;
    tauri::async_runtime::spawn_blocking(move || {
        transcript::read_entry_full(harness, &path, &at, index)
    })
    .await
    .map_err(|e| e.to_string())?
    .map_err(|e| e.to_string())
}
