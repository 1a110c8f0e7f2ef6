//! The one dispatcher: core's change sets come in here, and each is handed to the
//! handlers that must recompute something — the web view (events), desktop
//! notifications, the full-text index, the tray and the Analytics view.
//!
//! *What changed* ([`Change`], produced by the live table and the run supervisor in
//! [`crate::state`]) is kept apart from *what to recompute* ([`Work`], decided by
//! [`work_for`] alone, a pure function with its tests), as in GitButler's watcher.
//! The handlers themselves are cheap: the search index, the tray and Analytics are only
//! marked dirty here and recompute on their own threads, coalesced.

use std::collections::BTreeSet;
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::{self, Receiver, SyncSender};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tauri::AppHandle;

use crate::events;
use crate::notify::Notifier;
use crate::state::Change;

/// Analytics recomputes at most this often: an agent writing its transcript token by
/// token must not make the view recompute every day of every session each time.
pub const ANALYTICS_QUIET: Duration = Duration::from_millis(1500);

/// One thing to recompute after a change.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Work {
    /// Push the change to the web view (its own event).
    Emit,
    /// Look at the new statuses for notifications to show.
    Notify,
    /// Forget what notifications knew and learn the rebuilt table (no notification).
    PrimeNotify,
    /// Fold the new transcript text into the full-text index.
    Search,
    /// Redraw the tray (counts, waiting sessions, running commands).
    Tray,
    /// Tell the Analytics view to recompute (debounced).
    Analytics,
}

/// What a change is about, as far as deciding what to recompute goes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// Rows the first scan has read so far (its [`Kind::Reset`] follows).
    Scanned,
    /// Rows added, changed or removed.
    Rows,
    /// Only the counts moved (no row changed).
    Counts,
    /// The whole table was rebuilt.
    Reset,
    /// The list of notices changed.
    Notices,
    /// A run started, changed or ended.
    Run,
}

impl Change {
    pub fn kind(&self) -> Kind {
        match self {
            Change::Scanned { .. } => Kind::Scanned,
            Change::Sessions { change, .. }
                if change.upserted.is_empty() && change.removed.is_empty() =>
            {
                Kind::Counts
            }
            Change::Sessions { .. } => Kind::Rows,
            Change::Reset { .. } => Kind::Reset,
            Change::Notices(_) => Kind::Notices,
            Change::Run(_) => Kind::Run,
        }
    }
}

/// What a kind of change asks to be recomputed, in order.
pub fn work_for(kind: Kind) -> &'static [Work] {
    use Work::*;
    match kind {
        Kind::Scanned | Kind::Notices => &[Emit],
        Kind::Counts | Kind::Run => &[Emit, Tray],
        Kind::Rows => &[Notify, Search, Emit, Tray, Analytics],
        Kind::Reset => &[PrimeNotify, Search, Emit, Tray, Analytics],
    }
}

/// A "recompute when you can" flag, set here and taken by the handler's thread.
#[derive(Clone, Default)]
pub struct Dirty(Arc<AtomicBool>);

impl Dirty {
    /// A flag already set: the first look recomputes.
    pub fn set() -> Dirty {
        Dirty(Arc::new(AtomicBool::new(true)))
    }

    pub fn mark(&self) {
        self.0.store(true, Ordering::Release);
    }

    /// Whether it was set, clearing it.
    pub fn take(&self) -> bool {
        self.0.swap(false, Ordering::AcqRel)
    }
}

/// What the full-text index has to look at again.
#[derive(Debug, Default, PartialEq, Eq)]
pub enum SearchPending {
    #[default]
    Nothing,
    /// These transcripts (the rows that changed): a `stat` each.
    Paths(BTreeSet<PathBuf>),
    /// Every transcript under the roots (at start, after a rebuild or a removal): a walk.
    Everything,
}

/// More changed paths than this between two index updates: walk everything instead.
const MAX_PENDING_PATHS: usize = 20_000;

/// The full-text index's to-do, filled here and taken by its updater thread. With 200
/// agents writing, the live table changes every few tens of milliseconds; the index
/// then looks at the transcripts that changed, not at all 100k under the roots.
#[derive(Clone, Default)]
pub struct SearchDirty(Arc<Mutex<SearchPending>>);

impl SearchDirty {
    /// Everything to look at: the first update reads the roots whole.
    pub fn everything() -> SearchDirty {
        SearchDirty(Arc::new(Mutex::new(SearchPending::Everything)))
    }

    pub fn mark_everything(&self) {
        *crate::state::lock(&self.0) = SearchPending::Everything;
    }

    pub fn mark_paths(&self, paths: impl IntoIterator<Item = PathBuf>) {
        let mut pending = crate::state::lock(&self.0);
        let set = match &mut *pending {
            SearchPending::Everything => return,
            SearchPending::Nothing => {
                *pending = SearchPending::Paths(BTreeSet::new());
                match &mut *pending {
                    SearchPending::Paths(set) => set,
                    _ => return,
                }
            }
            SearchPending::Paths(set) => set,
        };
        set.extend(paths);
        if set.len() > MAX_PENDING_PATHS {
            *pending = SearchPending::Everything;
        }
    }

    /// What is pending, leaving nothing.
    pub fn take(&self) -> SearchPending {
        std::mem::take(&mut *crate::state::lock(&self.0))
    }

    /// Mark what `change` asks the index to look at again: the changed rows'
    /// transcripts, or everything when rows went away (their keys name no file) or the
    /// table was rebuilt.
    fn mark_for(&self, change: &Change) {
        match change {
            Change::Sessions { change, .. } if change.removed.is_empty() => {
                self.mark_paths(change.upserted.iter().map(|s| PathBuf::from(&s.path)))
            }
            _ => self.mark_everything(),
        }
    }
}

pub struct Dispatcher {
    app: AppHandle,
    notifier: Arc<Notifier>,
    search: SearchDirty,
    tray: Dirty,
    analytics: SyncSender<()>,
}

impl Dispatcher {
    /// The dispatcher and the receiving end of its Analytics nudges, for
    /// [`start_analytics`] once everything is managed.
    pub fn new(
        app: AppHandle,
        notifier: Arc<Notifier>,
        search: SearchDirty,
        tray: Dirty,
    ) -> (Dispatcher, Receiver<()>) {
        // One pending nudge is all it takes: more while it waits say nothing new.
        let (analytics, nudges) = mpsc::sync_channel(1);
        let dispatcher = Dispatcher {
            app,
            notifier,
            search,
            tray,
            analytics,
        };
        (dispatcher, nudges)
    }

    pub fn dispatch(&self, change: Change) {
        let work = work_for(change.kind());
        for step in work {
            match step {
                Work::Notify => {
                    if let Change::Sessions { change, .. } = &change {
                        self.notifier.session_changes(&self.app, &change.upserted);
                    }
                }
                Work::PrimeNotify => {
                    if let Change::Reset { sessions } = &change {
                        self.notifier.prime(sessions);
                    }
                }
                Work::Search => self.search.mark_for(&change),
                Work::Tray => self.tray.mark(),
                Work::Analytics => {
                    let _ = self.analytics.try_send(());
                }
                Work::Emit => {}
            }
        }
        // Last, so a view that re-reads on the event finds the other handlers' marks set;
        // it takes the change by value.
        if work.contains(&Work::Emit) {
            emit(&self.app, change);
        }
    }
}

fn emit(app: &AppHandle, change: Change) {
    match change {
        Change::Scanned { change, counts } | Change::Sessions { change, counts } => {
            events::sessions_changed(app, change, counts)
        }
        Change::Reset { .. } => events::sessions_reset(app),
        Change::Notices(notices) => events::index_notices(app, notices),
        Change::Run(run) => events::run_changed(app, &run),
    }
}

/// The Analytics handler: after a nudge, wait until sessions have been quiet for
/// [`ANALYTICS_QUIET`] (or that long has passed), then tell the view once. Sleeps while
/// nothing changes; ends when the dispatcher is gone.
pub fn start_analytics(app: &AppHandle, nudges: Receiver<()>) {
    let app = app.clone();
    let _ = std::thread::Builder::new()
        .name("analytics-nudge".into())
        .spawn(move || {
            while nudges.recv().is_ok() {
                std::thread::sleep(ANALYTICS_QUIET);
                while nudges.try_recv().is_ok() {}
                events::analytics_changed(&app);
            }
        });
}

#[cfg(test)]
mod tests {
    use super::*;
    use sessionscope_core::model::{SessionChange, SessionCounts};

    fn removed(keys: usize) -> Change {
        Change::Sessions {
            change: SessionChange {
                upserted: Vec::new(),
                removed: vec!["k".to_string(); keys],
            },
            counts: SessionCounts::default(),
        }
    }

    #[test]
    fn a_change_set_with_rows_is_rows_and_without_is_counts() {
        assert_eq!(removed(1).kind(), Kind::Rows);
        assert_eq!(removed(0).kind(), Kind::Counts);
        assert_eq!(Change::Notices(vec![]).kind(), Kind::Notices);
        assert_eq!(Change::Reset { sessions: vec![] }.kind(), Kind::Reset);
    }

    #[test]
    fn changed_rows_reach_every_handler() {
        let work = work_for(Kind::Rows);
        for w in [
            Work::Notify,
            Work::Search,
            Work::Emit,
            Work::Tray,
            Work::Analytics,
        ] {
            assert!(work.contains(&w), "{w:?}");
        }
    }

    #[test]
    fn counts_and_runs_redraw_but_recompute_nothing() {
        assert_eq!(work_for(Kind::Counts), [Work::Emit, Work::Tray]);
        assert_eq!(work_for(Kind::Run), [Work::Emit, Work::Tray]);
    }

    #[test]
    fn first_scan_rows_and_notices_are_only_shown() {
        assert_eq!(work_for(Kind::Scanned), [Work::Emit]);
        assert_eq!(work_for(Kind::Notices), [Work::Emit]);
    }

    #[test]
    fn a_rebuilt_table_primes_notifications_instead_of_notifying() {
        let work = work_for(Kind::Reset);
        assert!(work.contains(&Work::PrimeNotify) && !work.contains(&Work::Notify));
        assert!(work.contains(&Work::Search) && work.contains(&Work::Analytics));
    }

    #[test]
    fn the_search_index_is_given_the_changed_paths_or_everything() {
        let d = SearchDirty::default();
        assert_eq!(d.take(), SearchPending::Nothing);
        d.mark_paths([PathBuf::from("/a"), PathBuf::from("/b")]);
        d.mark_paths([PathBuf::from("/a")]);
        assert_eq!(
            d.take(),
            SearchPending::Paths(["/a", "/b"].into_iter().map(PathBuf::from).collect())
        );
        assert_eq!(d.take(), SearchPending::Nothing);
        // A removal names no file: everything, and paths marked after it add nothing.
        d.clone().mark_for(&removed(1));
        d.mark_paths([PathBuf::from("/c")]);
        assert_eq!(d.take(), SearchPending::Everything);
        d.mark_for(&Change::Reset { sessions: vec![] });
        assert_eq!(d.take(), SearchPending::Everything);
        // A status-only change set marks no path.
        d.mark_for(&removed(0));
        assert_eq!(d.take(), SearchPending::Paths(BTreeSet::new()));
        // Too many paths to keep: everything.
        d.mark_paths((0..=MAX_PENDING_PATHS).map(|i| PathBuf::from(format!("/{i}"))));
        assert_eq!(d.take(), SearchPending::Everything);
        assert_eq!(SearchDirty::everything().take(), SearchPending::Everything);
    }

    #[test]
    fn a_dirty_flag_is_taken_once() {
        let d = Dirty::default();
        assert!(!d.take());
        d.mark();
        d.clone().mark();
        assert!(d.take());
        assert!(!d.take());
        assert!(Dirty::set().take());
    }
}
