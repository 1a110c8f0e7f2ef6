//! Commands of the Records view: the filtered records page, one record's fields, the
//! "Annotate" form (core's locked upsert), and the watcher that tells the view when the
//! store file changed (`records-changed`), so records appended by another program —
//! an agent's own `gptme-sessions post-session` — show up without a reload.
//!
//! The tools beside the table (cost, duplicates, transcript search) call the same core
//! code as `sessionscope records cost|dedup|search`; merging duplicates asks first with
//! a native dialog naming what it will mark.
//!
//! The store directory is the `record_store_dir` setting, else core's location rules
//! (`GPTME_SESSIONS_DIR`, `~/.local/share/gptme-sessions/`).

use std::path::{Path, PathBuf};
use std::sync::mpsc::{self, RecvTimeoutError};
use std::time::Duration;

use sessionscope_core::records::dedup::DEFAULT_MIN_OVERLAP;
use sessionscope_core::records::Store;
use sessionscope_core::sessions::watch::RootWatcher;
use sessionscope_core::views::records_tools::{
    self, CostView, DedupView, TranscriptMatch, TranscriptSearch,
};
use sessionscope_core::views::{
    self, DayOutcomes, RecordAnnotation, RecordField, RecordQuery, RecordsPage,
};
use tauri::{AppHandle, Manager, State};

use crate::state::AppState;

/// How often the watcher looks whether the store directory setting changed.
const SETTINGS_RECHECK: Duration = Duration::from_secs(2);

fn store(state: &AppState) -> Store {
    Store::locate(state.settings().record_store_dir.as_deref().map(Path::new))
}

#[tauri::command]
pub fn list_records(state: State<'_, AppState>, query: RecordQuery) -> Result<RecordsPage, String> {
    views::records_page(&store(&state), &query).map_err(|e| e.to_string())
}

#[tauri::command]
pub fn record_detail(state: State<'_, AppState>, id: String) -> Result<Vec<RecordField>, String> {
    views::record_detail(&store(&state), &id).map_err(|e| e.to_string())
}

/// Outcomes per day of the records passing `query` (light scan, no rows).
#[tauri::command]
pub fn record_trend(
    state: State<'_, AppState>,
    query: RecordQuery,
) -> Result<Vec<DayOutcomes>, String> {
    views::records_trend(&store(&state), &query).map_err(|e| e.to_string())
}

/// Amend one record under the store lock; returns its fields as written.
#[tauri::command]
pub fn annotate_record(
    state: State<'_, AppState>,
    id: String,
    annotation: RecordAnnotation,
) -> Result<Vec<RecordField>, String> {
    views::annotate_record(&store(&state), &id, &annotation).map_err(|e| e.to_string())
}

/// "Record this session": the post-session pipeline on a row of the live table, written
/// under the store lock; a session already in the store is not added twice.
#[tauri::command]
pub fn record_session(
    state: State<'_, AppState>,
    key: String,
) -> Result<views::SessionRecorded, String> {
    let (session, facts) = state
        .live()
        .session_with_facts(&key)
        .ok_or_else(|| format!("no session {key} in the table"))?;
    views::record_session(&store(&state), &session, &facts).map_err(|e| e.to_string())
}

/// `records cost --days N` (`None`: every record).
#[tauri::command]
pub async fn record_costs(
    state: State<'_, AppState>,
    days: Option<i64>,
) -> Result<CostView, String> {
    let store = store(&state);
    tauri::async_runtime::spawn_blocking(move || {
        records_tools::store_cost(&store, days).map_err(|e| e.to_string())
    })
    .await
    .map_err(|e| e.to_string())?
}

/// `records dedup --dry-run`: what a merge would mark; writes nothing.
#[tauri::command]
pub async fn preview_duplicates(state: State<'_, AppState>) -> Result<DedupView, String> {
    let store = store(&state);
    tauri::async_runtime::spawn_blocking(move || {
        records_tools::dedup_preview(&store, DEFAULT_MIN_OVERLAP).map_err(|e| e.to_string())
    })
    .await
    .map_err(|e| e.to_string())?
}

/// Merge exactly the duplicates of `preview`, after a native yes. `None` when the user
/// said no; an error (and nothing written) when the store changed since the preview.
#[tauri::command]
pub async fn merge_duplicates(
    app: AppHandle,
    state: State<'_, AppState>,
    preview: DedupView,
) -> Result<Option<DedupView>, String> {
    let store = store(&state);
    if preview.duplicate_count == 0 {
        return Err("the preview names no duplicate to merge".into());
    }
    let text =
        records_tools::dedup_confirmation_text(&preview, &store.path().display().to_string());
    if !crate::dialogs::confirm(&app, "Merge duplicate records?", text, "Merge").await? {
        return Ok(None);
    }
    tauri::async_runtime::spawn_blocking(move || {
        records_tools::dedup_apply(&store, DEFAULT_MIN_OVERLAP, &preview)
            .map(Some)
            .map_err(|e| e.to_string())
    })
    .await
    .map_err(|e| e.to_string())?
}

/// `records search TEXT`: the sessions whose transcripts mention it, in the roots the
/// app watches.
#[tauri::command]
pub async fn search_record_transcripts(
    state: State<'_, AppState>,
    search: TranscriptSearch,
) -> Result<Vec<TranscriptMatch>, String> {
    let roots = sessionscope_core::settings::watched_roots(&state.settings());
    tauri::async_runtime::spawn_blocking(move || records_tools::search_transcripts(&roots, &search))
        .await
        .map_err(|e| e.to_string())?
}

/// Watch the record store for the app's lifetime and emit `records-changed` when its
/// file changes. Follows a change of the `record_store_dir` setting. Call once from
/// `setup`, after the [`AppState`] is managed.
pub fn start_watch(app: &AppHandle) {
    let app = app.clone();
    std::thread::spawn(move || {
        let Some(state) = app.try_state::<AppState>() else {
            return;
        };
        let mut watching: Option<(PathBuf, RootWatcher, mpsc::Receiver<Vec<PathBuf>>)> = None;
        loop {
            let wanted = store(&state);
            let file = wanted.path();
            if watching.as_ref().map(|w| &w.0) != Some(&file) {
                let (tx, rx) = mpsc::channel();
                match RootWatcher::start(vec![wanted.dir().to_path_buf()], tx) {
                    Ok(w) => {
                        // The directory may now be another store: let the view re-read.
                        if watching.is_some() {
                            crate::events::records_changed(&app);
                        }
                        watching = Some((file.clone(), w, rx));
                    }
                    Err(e) => {
                        eprintln!("sessionscope: cannot watch {}: {e}", wanted.dir().display());
                        watching = None;
                        std::thread::sleep(SETTINGS_RECHECK);
                        continue;
                    }
                }
            }
            let Some((file, _, rx)) = watching.as_ref() else {
                continue;
            };
            match rx.recv_timeout(SETTINGS_RECHECK) {
                Ok(batch) => {
                    if batch.iter().any(|p| p == file) {
                        crate::events::records_changed(&app);
                    }
                }
                Err(RecvTimeoutError::Timeout) => {}
                Err(RecvTimeoutError::Disconnected) => watching = None,
            }
        }
    });
}
