//! Full-text search for the app: a background thread keeps the FTS index up to date
//! (at start, then whenever sessions changed), at low CPU and I/O priority, reporting
//! progress as `search-progress` events; queries use their own connection (the index
//! is in WAL mode), so a search never waits for an update. The transcripts the last
//! update could not read (too large to read whole) are kept for the search results to
//! name.
//!
//! Both connections are opened on the updater's thread, not while the window is
//! built: opening may check the index (`PRAGMA quick_check`, once a day), and the
//! window's first rows must not wait for it. After the first update, only the
//! transcripts of the rows that changed are looked at again ([`SearchDirty`]), not
//! every file under the roots.

use std::sync::atomic::AtomicBool;
use std::sync::Mutex;
use std::time::Duration;

use sessionscope_core::model::ScanProgress;
use sessionscope_core::progress::Throttled;
use sessionscope_core::sessions::search::SearchIndex;
use tauri::{AppHandle, Manager};

use crate::dispatch::{SearchDirty, SearchPending};
use crate::state::AppState;

/// How often pending changes are folded into the index.
const UPDATE_PERIOD: Duration = Duration::from_secs(5);

pub struct SearchService {
    reader: Mutex<Option<SearchIndex>>,
    /// Filled by the dispatcher when sessions changed.
    dirty: SearchDirty,
    /// Why queries cannot be answered yet, or at all.
    unavailable: Mutex<String>,
    /// "path: why" for each transcript the last update skipped.
    skipped: Mutex<Vec<String>>,
}

impl SearchService {
    /// The service, without its index yet (the updater opens it); `dirty` (everything,
    /// at start) says what to update.
    pub fn new(dirty: SearchDirty) -> SearchService {
        SearchService {
            reader: Mutex::new(None),
            dirty,
            unavailable: Mutex::new(
                "full-text search is opening its index; try again in a moment".to_string(),
            ),
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
        match guard.as_ref() {
            Some(index) => Ok(f(index)),
            None => Err(crate::state::lock(&self.unavailable).clone()),
        }
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
            // Below the UI and the live table: the index is built when they are idle.
            sessionscope_core::background::lower_this_thread();
            let (Some(state), Some(service)) = (
                app.try_state::<AppState>(),
                app.try_state::<SearchService>(),
            ) else {
                return;
            };
            let path = SearchIndex::default_path();
            let mut writer = match SearchIndex::open(&path) {
                Ok(writer) => writer,
                Err(e) => {
                    let why = format!("full-text search is unavailable: {e}");
                    eprintln!("sessionscope: {why}");
                    *crate::state::lock(&service.unavailable) = why;
                    return;
                }
            };
            match SearchIndex::open_for_queries(&path) {
                Ok(reader) => *crate::state::lock(&service.reader) = Some(reader),
                Err(e) => {
                    let why = format!("full-text search is unavailable: {e}");
                    eprintln!("sessionscope: {why}");
                    *crate::state::lock(&service.unavailable) = why;
                }
            }
            let never = AtomicBool::new(false);
            loop {
                let pending = service.dirty.take();
                if pending != SearchPending::Nothing {
                    let roots = state.live().roots();
                    let throttled =
                        Throttled::new(crate::events::PROGRESS_PERIOD, |p: ScanProgress| {
                            crate::events::search_progress(&app, p);
                        });
                    let report = |p: ScanProgress| throttled.report(p);
                    let updated = match &pending {
                        SearchPending::Paths(paths) => {
                            let paths: Vec<_> = paths.iter().cloned().collect();
                            writer.update_paths(&roots, &paths, &report, &never)
                        }
                        _ => writer.update(&roots, &report, &never),
                    };
                    match updated {
                        Ok(stats) => {
                            let named = stats
                                .skipped
                                .iter()
                                .map(|s| format!("{}: {}", s.path.display(), s.reason));
                            let mut skipped = crate::state::lock(&service.skipped);
                            match &pending {
                                // The others' reasons still hold: replace only these.
                                SearchPending::Paths(paths) => {
                                    skipped.retain(|s| {
                                        !paths
                                            .iter()
                                            .any(|p| s.starts_with(&format!("{}: ", p.display())))
                                    });
                                    skipped.extend(named);
                                }
                                _ => *skipped = named.collect(),
                            }
                        }
                        Err(e) => eprintln!("sessionscope: search index update failed: {e}"),
                    }
                }
                std::thread::sleep(UPDATE_PERIOD);
            }
        });
}
