//! What the app holds while it runs: the user's settings, core's live session table
//! and run supervisor. Each source of changes hands what changed, as a [`Change`], to
//! one sink (the dispatcher, [`crate::dispatch`]); nothing here knows who listens.
//!
//! [`AppState::new`] only builds; the first scan starts with [`start_first_scan`]
//! once the state is managed, so no thread ever waits for it to appear.

use std::sync::{Arc, Mutex, MutexGuard, RwLock, RwLockReadGuard};

use sessionscope_core::agents::transcript::offsets::OffsetStore;
use sessionscope_core::model::{RunInfo, Session, SessionChange, SessionCounts};
use sessionscope_core::paths;
use sessionscope_core::progress::Throttled;
use sessionscope_core::runs::pacer::PacedStreams;
use sessionscope_core::runs::quit_notice;
use sessionscope_core::runs::supervisor::Supervisor;
use sessionscope_core::sessions::cache::IndexCache;
use sessionscope_core::sessions::index::SessionIndex;
use sessionscope_core::sessions::live::{LiveOptions, LiveSessions};
use sessionscope_core::settings::{self, Settings};
use tauri::{AppHandle, Manager};

use crate::events;

/// What changed, as core reported it.
#[derive(Debug)]
pub enum Change {
    /// Rows the first scan has read so far, with the counts over all of them.
    Scanned {
        change: SessionChange,
        counts: SessionCounts,
    },
    /// The live table changed.
    Sessions {
        change: SessionChange,
        counts: SessionCounts,
    },
    /// The live table was replaced (first scan done, roots changed); its sessions.
    Reset { sessions: Vec<Session> },
    /// The whole list of notices (files skipped, roots polled).
    Notices(Vec<String>),
    /// A run started, changed status or ended.
    Run(RunInfo),
}

/// Where every [`Change`] goes.
pub type ChangeSink = Arc<dyn Fn(Change) + Send + Sync>;

/// The user's settings, shared with the handlers that read them (notifications).
pub type SharedSettings = Arc<Mutex<Settings>>;

pub struct AppState {
    live: RwLock<LiveSessions>,
    /// Cleared when the first scan's table has been swapped in.
    pub scanning: std::sync::atomic::AtomicBool,
    /// The rows the first scan has read so far (also sent as they come), for a
    /// snapshot asked for while it runs.
    pub first_rows: FirstRows,
    pub supervisor: Supervisor,
    settings: SharedSettings,
    /// Why the settings file could not be used, shown once in Settings.
    pub settings_problem: Option<String>,
    /// Terminal panels being fed run output, by the id they acknowledge with.
    pub output_streams: Arc<PacedStreams>,
    /// Offset indexes of the transcripts the detail pane opened (shared file with the
    /// CLI): a long transcript opens at its end without being read from the start.
    pub transcript_offsets: Mutex<OffsetStore>,
    sink: ChangeSink,
}

/// Rows by key, shared between the first scan and [`AppState`].
pub type FirstRows = Arc<Mutex<std::collections::HashMap<String, Session>>>;

pub fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}

/// The settings file in the data directory, and why it could not be used (if so).
pub fn load_settings() -> (SharedSettings, Option<String>) {
    let (settings, problem) = settings::load(&settings::settings_path(&paths::data_dir()));
    (Arc::new(Mutex::new(settings)), problem)
}

/// The live table, resumed from the file cache (`index.sqlite3` in the data dir, shared
/// with the CLI): unchanged transcripts are not read again at start. The scan reports
/// its progress as `index-progress` events; with `fill_in` (the first scan after the
/// window opened on an empty table) the rows read so far go to the sink as
/// [`Change::Scanned`], newest files first, so the table fills in while older history
/// is read.
fn start_live(
    app: &AppHandle,
    settings: &Settings,
    fill_in: Option<FirstRows>,
    sink: &ChangeSink,
) -> LiveSessions {
    let mut index = SessionIndex::new(settings::watched_roots(settings));
    match IndexCache::open(&IndexCache::default_path()) {
        Ok(cache) => index = index.with_cache(cache),
        Err(e) => eprintln!("sessionscope: cache unavailable, reading every transcript: {e}"),
    }
    let on_progress = app.clone();
    let throttled = Throttled::new(events::PROGRESS_PERIOD, move |p| {
        events::index_progress(&on_progress, p);
    });
    index.set_progress(Box::new(move |p| throttled.report(p)));
    if let Some(so_far) = fill_in {
        let sink = Arc::clone(sink);
        index.set_rows_read(
            Box::new(move |rows| {
                let mut so_far = lock(&so_far);
                for row in &rows {
                    so_far.insert(row.key.clone(), row.clone());
                }
                let counts = SessionCounts::of(so_far.values());
                let change = SessionChange {
                    upserted: rows,
                    removed: Vec::new(),
                };
                sink(Change::Scanned { change, counts });
            }),
            sessionscope_core::sessions::index::WAVE_BYTES,
        );
    }
    let on_change = Arc::clone(sink);
    let on_notices = Arc::clone(sink);
    let options = LiveOptions {
        on_notices: Some(Box::new(move |notices| {
            on_notices(Change::Notices(notices))
        })),
        ..LiveOptions::default()
    };
    LiveSessions::start_full(
        index,
        move |change, counts| on_change(Change::Sessions { change, counts }),
        options,
    )
}

impl AppState {
    /// Everything the app holds, on an empty table: the window opens at once, and
    /// [`start_first_scan`] (which may read gigabytes) fills it in.
    pub fn new(
        settings: SharedSettings,
        settings_problem: Option<String>,
        sink: ChangeSink,
    ) -> AppState {
        // A big Gemini chat the scan decodes leaves its page index for the detail pane.
        sessionscope_core::agents::transcript::offsets::index_while_scanning(
            paths::transcript_offsets_db(),
        );
        let current = lock(&settings).clone();
        let live = LiveSessions::start(Vec::new(), |_, _| {});
        let on_runs = Arc::clone(&sink);
        let supervisor = Supervisor::new(paths::run_log_dir(), move |run| {
            on_runs(Change::Run(run.clone()))
        });
        supervisor.set_ring_bytes(current.run_buffer_bytes());
        if current.run_log_retention_days > 0 {
            if let Err(e) = supervisor.apply_retention(current.run_log_retention_days) {
                eprintln!("sessionscope: could not apply log retention: {e}");
            }
        }
        AppState {
            live: RwLock::new(live),
            scanning: std::sync::atomic::AtomicBool::new(true),
            first_rows: FirstRows::default(),
            supervisor,
            settings,
            settings_problem,
            output_streams: Default::default(),
            transcript_offsets: Mutex::new(OffsetStore::open(
                &sessionscope_core::paths::transcript_offsets_db(),
            )),
            sink,
        }
    }

    /// Apply the quit policy to runs still alive: stop them, or leave them running
    /// (their output keeps going to the log; the next start shows them).
    pub fn on_exit(app: &AppHandle) {
        let Some(state) = app.try_state::<AppState>() else {
            return;
        };
        let settings = state.settings();
        let reports = state
            .supervisor
            .shutdown(settings.quit_policy(), settings.kill_grace());
        for report in &reports {
            eprintln!("sessionscope: at quit: {report:?}");
        }
        // The next start shows the user what was done (this process can no longer).
        if let Err(e) = quit_notice::save(&paths::run_log_dir(), &reports) {
            eprintln!("sessionscope: could not keep the quit notice: {e}");
        }
    }

    pub fn live(&self) -> RwLockReadGuard<'_, LiveSessions> {
        self.live.read().unwrap_or_else(|e| e.into_inner())
    }

    pub fn settings(&self) -> Settings {
        lock(&self.settings).clone()
    }

    /// Swap a new live table in; `then` runs before the change is announced (a view
    /// re-reading on it finds everything in place).
    fn replace_live(&self, fresh: LiveSessions, then: impl FnOnce()) {
        let sessions = fresh.sessions();
        *self.live.write().unwrap_or_else(|e| e.into_inner()) = fresh;
        then();
        (self.sink)(Change::Reset { sessions });
    }

    /// Save new settings and apply them: a change of roots restarts the watcher.
    pub fn update_settings(&self, app: &AppHandle, new: Settings) -> std::io::Result<()> {
        settings::save(&settings::settings_path(&paths::data_dir()), &new)?;
        let roots_changed = lock(&self.settings).extra_roots != new.extra_roots;
        *lock(&self.settings) = new.clone();
        self.supervisor.set_ring_bytes(new.run_buffer_bytes());
        if roots_changed {
            self.replace_live(start_live(app, &new, None, &self.sink), || {});
        }
        Ok(())
    }
}

/// Run the first scan on its own thread and swap its table in when done. Call once,
/// after the [`AppState`] is managed.
pub fn start_first_scan(app: &AppHandle) {
    let app = app.clone();
    let _ = std::thread::Builder::new()
        .name("first-scan".into())
        .spawn(move || {
            let Some(state) = app.try_state::<AppState>() else {
                return;
            };
            let scanned = start_live(
                &app,
                &state.settings(),
                Some(Arc::clone(&state.first_rows)),
                &state.sink,
            );
            state.replace_live(scanned, || {
                state
                    .scanning
                    .store(false, std::sync::atomic::Ordering::Release);
                lock(&state.first_rows).clear();
            });
        });
}
