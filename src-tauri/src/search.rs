//! Full-text search for the app: a background thread keeps the FTS index up to date
//! (at start, then whenever sessions changed), reporting progress as
//! `search-progress` events; queries use their own connection (the index is in WAL
//! mode), so a search never waits for an update. The transcripts the last update could
//! not read (too large to read whole) are kept for the search results to name.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use sessionscope_core::model::ScanProgress;
use sessionscope_core::progress::Throttled;
use sessionscope_core::sessions::search::SearchIndex;
use tauri::{AppHandle, Emitter, Manager};

use crate::state::AppState;

/// How often pending changes are folded into the index.
const UPDATE_PERIOD: Duration = Duration::from_secs(5);
/// At most one progress event this often (plus the last).
pub const PROGRESS_PERIOD: Duration = Duration::from_millis(100);

pub struct SearchService {
    reader: Mutex<Option<SearchIndex>>,
    dirty: Arc<AtomicBool>,
    /// "path: why" for each transcript the last update skipped.
    skipped: Arc<Mutex<Vec<String>>>,
}

impl SearchService {
    /// Open the index and start the updater thread.
    pub fn start(app: &AppHandle) -> SearchService {
        let dirty = Arc::new(AtomicBool::new(true));
        let reader = SearchIndex::open(&SearchIndex::default_path())
            .map_err(|e| eprintln!("sessionscope: full-text search unavailable: {e}"))
            .ok();
        let updater_app = app.clone();
        let updater_dirty = Arc::clone(&dirty);
        let skipped = Arc::new(Mutex::new(Vec::new()));
        let updater_skipped = Arc::clone(&skipped);
        let _ = std::thread::Builder::new()
            .name("search-index".into())
            .spawn(move || {
                let Ok(mut writer) = SearchIndex::open(&SearchIndex::default_path()) else {
                    return;
                };
                let never = AtomicBool::new(false);
                loop {
                    if updater_dirty.swap(false, Ordering::AcqRel) {
                        let roots = match updater_app.try_state::<AppState>() {
                            Some(state) => state.live().roots(),
                            None => {
                                updater_dirty.store(true, Ordering::Release);
                                std::thread::sleep(Duration::from_millis(200));
                                continue;
                            }
                        };
                        let throttled = Throttled::new(PROGRESS_PERIOD, |p: ScanProgress| {
                            let _ = updater_app.emit("search-progress", p);
                        });
                        let report = |p: ScanProgress| throttled.report(p);
                        match writer.update(&roots, &report, &never) {
                            Ok(stats) => {
                                let named = stats
                                    .skipped
                                    .iter()
                                    .map(|s| format!("{}: {}", s.path.display(), s.reason))
                                    .collect();
                                *updater_skipped.lock().unwrap_or_else(|e| e.into_inner()) = named;
                            }
                            Err(e) => eprintln!("sessionscope: search index update failed: {e}"),
                        }
                    }
                    std::thread::sleep(UPDATE_PERIOD);
                }
            });
        SearchService {
            reader: Mutex::new(reader),
            dirty,
            skipped,
        }
    }

    /// Sessions changed: fold the new text in at the next update.
    pub fn mark_dirty(&self) {
        self.dirty.store(true, Ordering::Release);
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
