//! Full-text search for the app: a background thread keeps the FTS index up to date
//! (at start, then whenever sessions changed), reporting progress as
//! `search-progress` events; queries use their own connection (the index is in WAL
//! mode), so a search never waits for an update. The transcripts the last update could
//! not read (too large to read whole) are kept for the search results to name.

use std::sync::atomic::AtomicBool;
use std::sync::Mutex;
use std::time::Duration;

use sessionscope_core::model::ScanProgress;
use sessionscope_core::progress::Throttled;
use sessionscope_core::sessions::search::SearchIndex;
use tauri::{AppHandle, Manager};

use crate::dispatch::Dirty;
use crate::state::AppState;

/// How often pending changes are folded into the index.
const UPDATE_PERIOD: Duration = Duration::from_secs(5);

pub struct SearchService {
    reader: Mutex<Option<SearchIndex>>,
    /// Set by the dispatcher when sessions changed.
    dirty: Dirty,
    /// "path: why" for each transcript the last update skipped.
    skipped: Mutex<Vec<String>>,
}

impl SearchService {
    /// Open the index for queries; `dirty` (set: update at start) says when to update it.
    pub fn open(dirty: Dirty) -> SearchService {
        let reader = SearchIndex::open(&SearchIndex::default_path())
            .map_err(|e| eprintln!("sessionscope: full-text search unavailable: {e}"))
            .ok();
        SearchService {
            reader: Mutex::new(reader),
            dirty,
            skipped: Mutex::default(),
        }
    }

    /// The transcripts the last update could not read, "path: why".
    pub fn skipped(&self) -> Vec<String> {
        self.skipped
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .clone()
    }

    pub fn with_reader<T>(&self, f: impl FnOnce(&SearchIndex) -> T) -> Result<T, String> {
        let guard = self.reader.lock().unwrap_or_else(|e| e.into_inner());
        guard
            .as_ref()
            .map(f)
            .ok_or_else(|| "full-text search is unavailable (see the log)".to_string())
    }
}

/// The updater thread: folds the marked changes into the index every
/// [`UPDATE_PERIOD`]. Call once, after the [`AppState`] and the [`SearchService`] are
/// managed.
pub fn start_updater(app: &AppHandle) {
    let app = app.clone();
    let _ = std::thread::Builder::new()
        .name("search-index".into())
        .spawn(move || {
            let (Some(state), Some(service)) = (
                app.try_state::<AppState>(),
                app.try_state::<SearchService>(),
            ) else {
                return;
            };
            let Ok(mut writer) = SearchIndex::open(&SearchIndex::default_path()) else {
                return;
            };
            let never = AtomicBool::new(false);
            loop {
                if service.dirty.take() {
                    let roots = state.live().roots();
                    let throttled =
                        Throttled::new(crate::events::PROGRESS_PERIOD, |p: ScanProgress| {
                            crate::events::search_progress(&app, p);
                        });
                    let report = |p: ScanProgress| throttled.report(p);
                    match writer.update(&roots, &report, &never) {
                        Ok(stats) => {
                            let named = stats
                                .skipped
                                .iter()
                                .map(|s| format!("{}: {}", s.path.display(), s.reason))
                                .collect();
                            *crate::state::lock(&service.skipped) = named;
                        }
                        Err(e) => eprintln!("sessionscope: search index update failed: {e}"),
                    }
                }
                std::thread::sleep(UPDATE_PERIOD);
            }
        });
}
