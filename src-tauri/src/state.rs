//! What the app holds while it runs: the user's settings, core's live session table
//! and run supervisor, each wired to push its changes to the web view, the tray and
//! (for status transitions) desktop notifications.

use std::sync::{Mutex, MutexGuard, RwLock, RwLockReadGuard};

use sessionscope_core::agents::transcript::offsets::OffsetStore;
use sessionscope_core::model::{Session, SessionChange, SessionCounts};
use sessionscope_core::progress::Throttled;
use sessionscope_core::runs::pacer::PacedStreams;
use sessionscope_core::runs::quit_notice;
use sessionscope_core::runs::supervisor::Supervisor;
use sessionscope_core::sessions::alerts::{AlertTracker, RateLimit};
use sessionscope_core::sessions::cache::IndexCache;
use sessionscope_core::sessions::index::SessionIndex;
use sessionscope_core::sessions::live::{LiveOptions, LiveSessions};
use sessionscope_core::settings::{self, Settings};
use sessionscope_core::{agents::HarnessRoot, paths};
use tauri::AppHandle;

use crate::{events, notify, tray};

pub struct AppState {
    live: RwLock<LiveSessions>,
    /// Cleared when the first scan's table has been swapped in.
    pub scanning: std::sync::atomic::AtomicBool,
    /// The rows the first scan has read so far (also sent as they come), for a
    /// snapshot asked for while it runs.
    pub first_rows: FirstRows,
    pub supervisor: Supervisor,
    settings: Mutex<Settings>,
    /// Why the settings file could not be used, shown once in Settings.
    pub settings_problem: Option<String>,
    pub alerts: Mutex<(AlertTracker, RateLimit)>,
    /// Terminal panels being fed run output, by the id they acknowledge with.
    pub output_streams: std::sync::Arc<PacedStreams>,
    /// Offset indexes of the transcripts the detail pane opened (shared file with the
    /// CLI): a long transcript opens at its end without being read from the start.
    pub transcript_offsets: Mutex<OffsetStore>,
}

/// Rows by key, shared between the first scan and [`AppState`].
pub type FirstRows = std::sync::Arc<Mutex<std::collections::HashMap<String, Session>>>;

pub fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}

/// Default roots of every harness, then the ones the user added.
pub fn roots_for(settings: &Settings) -> Vec<HarnessRoot> {
    let mut roots = paths::harness_roots();
    for extra in settings.roots() {
        if !roots.contains(&extra) {
            roots.push(extra);
        }
    }
    roots
}

/// The live table, resumed from the file cache (`index.sqlite3` in the data dir, shared
/// with the CLI): unchanged transcripts are not read again at start. The scan reports
/// its progress as `index-progress` events; with `fill_in` (the first scan after the
/// window opened on an empty table) the rows read so far go out as `sessions-changed`
/// too, newest files first, so the table fills in while older history is read.
fn start_live(app: &AppHandle, settings: &Settings, fill_in: Option<FirstRows>) -> LiveSessions {
    let mut index = SessionIndex::new(roots_for(settings));
    match IndexCache::open(&IndexCache::default_path()) {
        Ok(cache) => index = index.with_cache(cache),
        Err(e) => eprintln!("sessionscope: cache unavailable, reading every transcript: {e}"),
    }
    let on_progress = app.clone();
    let throttled = Throttled::new(crate::search::PROGRESS_PERIOD, move |p| {
        let _ = tauri::Emitter::emit(&on_progress, "index-progress", p);
    });
    index.set_progress(Box::new(move |p| throttled.report(p)));
    if let Some(so_far) = fill_in {
        let on_rows = app.clone();
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
                events::sessions_changed(&on_rows, change, counts);
            }),
            sessionscope_core::sessions::index::WAVE_BYTES,
        );
    }
    let on_change = app.clone();
    let on_notices = app.clone();
    let options = LiveOptions {
        on_notices: Some(Box::new(move |notices| {
            events::index_notices(&on_notices, notices)
        })),
        ..LiveOptions::default()
    };
    LiveSessions::start_full(
        index,
        move |change, counts| {
            notify::session_changes(&on_change, &change.upserted);
            if let Some(search) =
                tauri::Manager::try_state::<crate::search::SearchService>(&on_change)
            {
                search.mark_dirty();
            }
            events::sessions_changed(&on_change, change, counts);
            tray::refresh(&on_change);
        },
        options,
    )
}

impl AppState {
    pub fn start(app: &AppHandle) -> AppState {
        let (settings, settings_problem) =
            settings::load(&settings::settings_path(&paths::data_dir()));
        // The window opens at once on an empty table; the first scan (which may read
        // gigabytes) runs in the background and swaps the real table in when done.
        let live = LiveSessions::start(Vec::new(), |_, _| {});
        let filling = FirstRows::default();
        let first_rows = filling.clone();
        let scanner = app.clone();
        let first_settings = settings.clone();
        std::thread::spawn(move || {
            let scanned = start_live(&scanner, &first_settings, Some(first_rows));
            // setup() manages the state right after this constructor returns.
            let state = loop {
                match tauri::Manager::try_state::<AppState>(&scanner) {
                    Some(state) => break state,
                    None => std::thread::sleep(std::time::Duration::from_millis(10)),
                }
            };
            lock(&state.alerts).0.prime(&scanned.sessions());
            *state.live.write().unwrap_or_else(|e| e.into_inner()) = scanned;
            state
                .scanning
                .store(false, std::sync::atomic::Ordering::Release);
            lock(&state.first_rows).clear();
            let _ = tauri::Emitter::emit(&scanner, "sessions-reset", ());
            tray::refresh(&scanner);
        });
        let tracker = AlertTracker::default();
        let on_runs = app.clone();
        let supervisor = Supervisor::new(paths::run_log_dir(), move |run| {
            events::run_changed(&on_runs, run);
            tray::refresh(&on_runs);
        });
        supervisor.set_ring_bytes(settings.run_buffer_bytes());
        if settings.run_log_retention_days > 0 {
            if let Err(e) = supervisor.apply_retention(settings.run_log_retention_days) {
                eprintln!("sessionscope: could not apply log retention: {e}");
            }
        }
        AppState {
            live: RwLock::new(live),
            scanning: std::sync::atomic::AtomicBool::new(true),
            first_rows: filling,
            supervisor,
            settings: Mutex::new(settings),
            settings_problem,
            alerts: Mutex::new((
                tracker,
                RateLimit::new(4, std::time::Duration::from_secs(60)),
            )),
            output_streams: Default::default(),
            transcript_offsets: Mutex::new(OffsetStore::open(&OffsetStore::default_path())),
        }
    }

    /// Apply the quit policy to runs still alive: stop them, or leave them running
    /// (their output keeps going to the log; the next start shows them).
    pub fn on_exit(app: &AppHandle) {
        use tauri::Manager;
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

    /// Save new settings and apply them: a change of roots restarts the watcher.
    pub fn update_settings(&self, app: &AppHandle, new: Settings) -> std::io::Result<()> {
        settings::save(&settings::settings_path(&paths::data_dir()), &new)?;
        let roots_changed = lock(&self.settings).extra_roots != new.extra_roots;
        *lock(&self.settings) = new.clone();
        self.supervisor.set_ring_bytes(new.run_buffer_bytes());
        crate::tray::set_visible(app, new.show_tray_icon);
        if roots_changed {
            let fresh = start_live(app, &new, None);
            lock(&self.alerts).0.prime(&fresh.sessions());
            *self.live.write().unwrap_or_else(|e| e.into_inner()) = fresh;
            let _ = tauri::Emitter::emit(app, "sessions-reset", ());
        }
        Ok(())
    }
}
