//! Filesystem watching of the harness roots, with debouncing and a fallback to polling.
//!
//! [`RootWatcher`] watches each root recursively with `notify` (inotify, FSEvents,
//! ReadDirectoryChangesW). Raw events are collected for a short debounce window and
//! delivered as one deduplicated batch of paths, so a burst of appends becomes a single
//! read. A root that does not exist yet (the agent was never run) is waited for by a
//! non-recursive OS watch on the nearest folder above it that exists, moved down as
//! the folders between appear, and by a `stat` every [`ROOT_RECHECK`] where that watch
//! cannot be had; once the root appears it is watched and reported as changed, so the
//! index scans it. (A first run of an agent creates its root: waiting for the recheck
//! kept its new session off the screen for up to a second.)
//!
//! Nothing the OS watcher says is dropped:
//! - a root whose recursive watch cannot be set up (inotify's `max_user_watches`
//!   reached, no inotify instance left, a file system without events) is watched by
//!   polling instead, once, rather than walked again every second; the same happens
//!   when the OS watcher reports an error for a path under a root later (a new
//!   directory it could not watch). The root is reported as changed, so whatever
//!   happened meanwhile is read;
//! - an overflow of the kernel's event queue (`Flag::Rescan`) reports every watched
//!   root as changed, so the index rescans them (only new bytes are read);
//! - [`RootWatcher::health`] says which roots are polled and why, for the UI.
//!
//! This module only says *which paths* changed; it never reads them.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::sync::mpsc::{self, Receiver, RecvTimeoutError, Sender};
use std::sync::{Arc, Mutex, MutexGuard};
use std::thread;
use std::time::{Duration, Instant};

use notify::event::Flag;
use notify::{Config, EventKind, PollWatcher, RecommendedWatcher, RecursiveMode, Watcher};
use serde::{Deserialize, Serialize};

/// How long raw events are gathered before a batch goes out.
pub const DEBOUNCE: Duration = Duration::from_millis(30);
/// How often roots that do not exist yet are looked for.
pub const ROOT_RECHECK: Duration = Duration::from_secs(1);
/// How often a polled root is walked: each walk `stat`s every file under it.
pub const POLL_INTERVAL: Duration = Duration::from_secs(3);

/// How the roots are being watched, for the UI.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct WatchHealth {
    /// Roots watched by polling, with the reason.
    pub polled: Vec<PolledRoot>,
    /// Times the OS dropped events and every root was rescanned.
    pub rescans: u64,
    /// The last error the OS watcher reported, if any.
    pub last_error: Option<String>,
    /// Seconds between two walks of a polled root.
    pub poll_seconds: u64,
}

/// A root watched by polling.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PolledRoot {
    pub root: String,
    pub reason: String,
}

impl WatchHealth {
    /// One line per problem, as the UI and the CLI say it.
    pub fn notices(&self) -> Vec<String> {
        let mut out: Vec<String> = self
            .polled
            .iter()
            .map(|p| {
                format!(
                    "Watching {} by polling every {} s: {}",
                    p.root, self.poll_seconds, p.reason
                )
            })
            .collect();
        if self.rescans > 0 {
            out.push(format!(
                "The file watcher dropped events {} time(s); everything was read again",
                self.rescans
            ));
        }
        out
    }
}

/// Knobs of [`RootWatcher::start_with`]; the defaults are the app's.
#[derive(Debug, Clone)]
pub struct WatchConfig {
    pub poll_interval: Duration,
    /// How often missing roots are looked for without an event ([`ROOT_RECHECK`]).
    pub root_recheck: Duration,
    /// Roots whose OS watch is made to fail, as a full `max_user_watches` would (tests).
    pub refuse_native: Vec<PathBuf>,
}

impl Default for WatchConfig {
    fn default() -> Self {
        WatchConfig {
            poll_interval: POLL_INTERVAL,
            root_recheck: ROOT_RECHECK,
            refuse_native: Vec::new(),
        }
    }
}

/// What the watchers' callbacks tell the control thread.
enum Control {
    /// The OS watcher failed for `path` (or for everything, without one).
    Failed(Option<PathBuf>, String),
    /// Events were dropped: rescan everything.
    Rescan,
    /// Something changed in a folder above a missing root: look for the roots now.
    Look,
    /// The watcher was dropped.
    Stop,
}

/// Non-recursive OS watches on the nearest existing folder above each missing root
/// (see the module docs). Without an OS watcher this does nothing and the recheck
/// finds the roots.
struct Sentinels {
    watcher: Option<RecommendedWatcher>,
    on: BTreeSet<PathBuf>,
}

impl Sentinels {
    fn new(control: Sender<Control>) -> Sentinels {
        let handler = move |event: notify::Result<notify::Event>| {
            if event.is_ok_and(|e| !matches!(e.kind, EventKind::Access(_))) {
                let _ = control.send(Control::Look);
            }
        };
        Sentinels {
            watcher: RecommendedWatcher::new(handler, Config::default()).ok(),
            on: BTreeSet::new(),
        }
    }

    /// Watch the folders above `missing` (and nothing else). True when the folders
    /// moved meanwhile, so the caller looks again (what changed before a watch was
    /// set sent no event).
    fn point_at(&mut self, missing: &[PathBuf]) -> bool {
        let Some(watcher) = &mut self.watcher else {
            return false;
        };
        let want: BTreeSet<PathBuf> = missing.iter().filter_map(|r| nearest_existing(r)).collect();
        for gone in self.on.difference(&want) {
            let _ = watcher.unwatch(gone);
        }
        self.on.retain(|p| want.contains(p));
        for dir in &want {
            if !self.on.contains(dir) && watcher.watch(dir, RecursiveMode::NonRecursive).is_ok() {
                self.on.insert(dir.clone());
            }
        }
        let now: BTreeSet<PathBuf> = missing.iter().filter_map(|r| nearest_existing(r)).collect();
        now != want
    }
}

/// The nearest folder above `root` that exists (the root itself once it does).
fn nearest_existing(root: &Path) -> Option<PathBuf> {
    root.ancestors().find(|p| p.is_dir()).map(Path::to_path_buf)
}

/// The watchers and what is known about them, shared with the control thread.
struct Watching {
    native: Option<RecommendedWatcher>,
    /// Created the first time a root needs it.
    poll: Option<PollWatcher>,
    handler: Handler,
    config: WatchConfig,
    /// Roots that exist and are watched (natively or by polling).
    watched: Vec<PathBuf>,
    health: WatchHealth,
    /// OS watches tried, all roots together (a root is tried once: see module docs).
    native_attempts: u64,
}

impl Watching {
    /// Watch an existing `root`: natively if possible, else by polling.
    fn watch(&mut self, root: &Path) -> bool {
        let refused = self.config.refuse_native.iter().any(|r| r == root);
        let native = match (&mut self.native, refused) {
            (Some(w), false) => {
                self.native_attempts += 1;
                w.watch(root, RecursiveMode::Recursive)
                    .map_err(|e| describe(&e))
            }
            (Some(_), true) => {
                self.native_attempts += 1;
                Err(describe(&notify::Error::new(
                    notify::ErrorKind::MaxFilesWatch,
                )))
            }
            (None, _) => Err("the system's file watcher is not available".to_string()),
        };
        let ok = match native {
            Ok(()) => true,
            Err(reason) => self.poll_root(root, reason),
        };
        if ok && !self.watched.iter().any(|r| r == root) {
            self.watched.push(root.to_path_buf());
        }
        ok
    }

    /// Move `root` to the polling watcher (its OS watch, if partly set up, is dropped).
    fn poll_root(&mut self, root: &Path, reason: String) -> bool {
        if self
            .health
            .polled
            .iter()
            .any(|p| Path::new(&p.root) == root)
        {
            return true;
        }
        if let Some(w) = &mut self.native {
            let _ = w.unwatch(root);
        }
        if self.poll.is_none() {
            let config = Config::default().with_poll_interval(self.config.poll_interval);
            self.poll = PollWatcher::new(self.handler.clone(), config).ok();
        }
        let Some(poll) = &mut self.poll else {
            return false;
        };
        if poll.watch(root, RecursiveMode::Recursive).is_err() {
            return false;
        }
        self.health.polled.push(PolledRoot {
            root: root.display().to_string(),
            reason,
        });
        true
    }

    /// The watched root `path` is under.
    fn root_of(&self, path: &Path) -> Option<PathBuf> {
        self.watched
            .iter()
            .filter(|r| path.starts_with(r))
            .max_by_key(|r| r.as_os_str().len())
            .cloned()
    }
}

/// Say what went wrong in words a user can act on.
fn describe(e: &notify::Error) -> String {
    match e.kind {
        notify::ErrorKind::MaxFilesWatch => {
            "too many folders to watch (the system's limit of watches, inotify's \
             max_user_watches on Linux, is reached)"
                .to_string()
        }
        _ => e.to_string(),
    }
}

/// The callback both watchers share: paths go to the debouncer, the rest to control.
#[derive(Clone)]
struct Handler {
    paths: Sender<PathBuf>,
    control: Sender<Control>,
}

impl notify::EventHandler for Handler {
    fn handle_event(&mut self, res: notify::Result<notify::Event>) {
        match res {
            Ok(event) if event.flag() == Some(Flag::Rescan) => {
                let _ = self.control.send(Control::Rescan);
            }
            Ok(event) => {
                if matches!(event.kind, EventKind::Access(_)) {
                    return;
                }
                for p in event.paths {
                    let _ = self.paths.send(p);
                }
            }
            Err(e) => {
                let _ = self
                    .control
                    .send(Control::Failed(e.paths.first().cloned(), describe(&e)));
            }
        }
    }
}

/// Watches roots and sends batches of changed paths. Dropping it stops watching.
pub struct RootWatcher {
    watching: Arc<Mutex<Watching>>,
    stop: Sender<Control>,
}

fn lock(w: &Mutex<Watching>) -> MutexGuard<'_, Watching> {
    w.lock().unwrap_or_else(|e| e.into_inner())
}

impl RootWatcher {
    /// Start watching `roots`; batches of changed paths arrive on `batches`.
    pub fn start(roots: Vec<PathBuf>, batches: Sender<Vec<PathBuf>>) -> notify::Result<Self> {
        Self::start_with(roots, batches, WatchConfig::default())
    }

    /// [`RootWatcher::start`] with other knobs.
    pub fn start_with(
        roots: Vec<PathBuf>,
        batches: Sender<Vec<PathBuf>>,
        config: WatchConfig,
    ) -> notify::Result<Self> {
        let (raw_tx, raw_rx) = mpsc::channel::<PathBuf>();
        let (control_tx, control_rx) = mpsc::channel::<Control>();
        let handler = Handler {
            paths: raw_tx.clone(),
            control: control_tx.clone(),
        };
        let mut health = WatchHealth {
            poll_seconds: config.poll_interval.as_secs().max(1),
            ..WatchHealth::default()
        };
        let native = match RecommendedWatcher::new(handler.clone(), Config::default()) {
            Ok(w) => Some(w),
            Err(e) => {
                health.last_error = Some(describe(&e));
                None
            }
        };
        let mut watching = Watching {
            native,
            poll: None,
            handler,
            config,
            watched: Vec::new(),
            health,
            native_attempts: 0,
        };
        // Roots: watch those that exist; keep looking for the others.
        let mut missing = Vec::new();
        for root in roots {
            if !(root.is_dir() && watching.watch(&root)) {
                missing.push(root);
            }
        }
        let recheck = watching.config.root_recheck;
        let watching = Arc::new(Mutex::new(watching));
        let shared = Arc::clone(&watching);
        let sentinels = Sentinels::new(control_tx.clone());
        let looker = Looker {
            missing,
            sentinels,
            recheck,
            look: control_tx.clone(),
        };
        thread::Builder::new()
            .name("watch-roots".into())
            .spawn(move || control(shared, looker, control_rx, raw_tx))
            .map_err(|e| notify::Error::generic(&e.to_string()))?;
        thread::Builder::new()
            .name("watch-debounce".into())
            .spawn(move || debounce(raw_rx, batches))
            .map_err(|e| notify::Error::generic(&e.to_string()))?;
        Ok(RootWatcher {
            watching,
            stop: control_tx,
        })
    }

    /// Which roots are polled and why, and how often events were dropped.
    pub fn health(&self) -> WatchHealth {
        lock(&self.watching).health.clone()
    }

    /// How many OS watches were tried (each existing root once; tests check that a
    /// failing root is not tried again every second).
    pub fn native_attempts(&self) -> u64 {
        lock(&self.watching).native_attempts
    }

    /// A handle that reads [`RootWatcher::health`] without keeping the watcher alive.
    pub fn health_probe(&self) -> HealthProbe {
        HealthProbe(Arc::downgrade(&self.watching))
    }
}

/// Reads a watcher's health while it lives (see [`RootWatcher::health_probe`]).
#[derive(Clone)]
pub struct HealthProbe(std::sync::Weak<Mutex<Watching>>);

impl HealthProbe {
    pub fn health(&self) -> Option<WatchHealth> {
        self.0.upgrade().map(|w| lock(&w).health.clone())
    }
}

impl Drop for RootWatcher {
    fn drop(&mut self) {
        let _ = self.stop.send(Control::Stop);
    }
}

/// What the control thread needs to find missing roots.
struct Looker {
    missing: Vec<PathBuf>,
    sentinels: Sentinels,
    recheck: Duration,
    /// The control channel, to look again at once when the folders moved meanwhile.
    look: Sender<Control>,
}

impl Looker {
    /// Watch the missing roots that exist now and report them as changed; point the
    /// sentinels at the folders above the others.
    fn look(&mut self, watching: &Mutex<Watching>, changed: &Sender<PathBuf>) {
        if self.missing.is_empty() {
            return;
        }
        self.missing.retain(|root| {
            if !root.is_dir() {
                return true;
            }
            let watched = lock(watching).watch(root);
            if watched {
                let _ = changed.send(root.clone());
            }
            !watched
        });
        if self.sentinels.point_at(&self.missing) {
            let _ = self.look.send(Control::Look);
        }
    }
}

/// The control thread: looks for missing roots, moves failing roots to polling, turns
/// dropped events into rescans. Ends when the watcher is dropped.
fn control(
    watching: Arc<Mutex<Watching>>,
    mut looker: Looker,
    control: Receiver<Control>,
    changed: Sender<PathBuf>,
) {
    looker.look(&watching, &changed);
    loop {
        match control.recv_timeout(looker.recheck) {
            Ok(Control::Stop) | Err(RecvTimeoutError::Disconnected) => return,
            Ok(Control::Rescan) => {
                let mut w = lock(&watching);
                w.health.rescans += 1;
                for root in &w.watched {
                    let _ = changed.send(root.clone());
                }
            }
            Ok(Control::Failed(path, reason)) => {
                let mut w = lock(&watching);
                w.health.last_error = Some(reason.clone());
                let roots = match path.as_deref().and_then(|p| w.root_of(p)) {
                    Some(root) => vec![root],
                    // No path: the OS watcher as a whole failed; poll everything.
                    None => w.watched.clone(),
                };
                for root in roots {
                    if w.poll_root(&root, reason.clone()) {
                        let _ = changed.send(root);
                    }
                }
            }
            Ok(Control::Look) | Err(RecvTimeoutError::Timeout) => {}
        }
        looker.look(&watching, &changed);
    }
}

/// Gather paths for [`DEBOUNCE`] after the first one, then send them as one batch.
fn debounce(raw: Receiver<PathBuf>, batches: Sender<Vec<PathBuf>>) {
    while let Ok(first) = raw.recv() {
        let mut set = BTreeSet::from([first]);
        let deadline = Instant::now() + DEBOUNCE;
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            match raw.recv_timeout(left) {
                Ok(p) => {
                    set.insert(p);
                }
                Err(RecvTimeoutError::Timeout) => break,
                Err(RecvTimeoutError::Disconnected) => {
                    let _ = batches.send(set.into_iter().collect());
                    return;
                }
            }
        }
        if batches.send(set.into_iter().collect()).is_err() {
            return;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;

    /// Wait until a batch containing `want` arrives (other paths may come too).
    fn wait_for(rx: &Receiver<Vec<PathBuf>>, want: &std::path::Path) -> bool {
        wait_for_any(rx, &[want])
    }

    fn wait_for_any(rx: &Receiver<Vec<PathBuf>>, wants: &[&std::path::Path]) -> bool {
        let deadline = Instant::now() + Duration::from_secs(5);
        while Instant::now() < deadline {
            if let Ok(batch) = rx.recv_timeout(Duration::from_millis(200)) {
                if batch.iter().any(|p| wants.contains(&p.as_path())) {
                    return true;
                }
            }
        }
        false
    }

    #[test]
    fn sees_create_append_and_delete() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path().canonicalize().unwrap();
        let (tx, rx) = mpsc::channel();
        let _w = RootWatcher::start(vec![root.clone()], tx).unwrap();
        std::fs::create_dir(root.join("proj")).unwrap();
        let file = root.join("proj").join("s.jsonl");
        std::fs::write(&file, b"{}\n").unwrap();
        // A file written right after its directory was created can race the recursive
        // watch being added to that directory; the directory event is then the news
        // (the index rescans a changed directory), so either path counts.
        assert!(
            wait_for_any(&rx, &[&file, &root.join("proj")]),
            "create seen"
        );
        let mut f = std::fs::OpenOptions::new()
            .append(true)
            .open(&file)
            .unwrap();
        f.write_all(b"{}\n").unwrap();
        drop(f);
        assert!(wait_for(&rx, &file), "append seen");
        std::fs::remove_file(&file).unwrap();
        assert!(wait_for(&rx, &file), "delete seen");
    }

    /// Issue 17: 100k files must not need 100k watches. A recursive root costs one
    /// inotify watch per directory and none per file (read back from the kernel's
    /// own list of this process's watches, `/proc/self/fdinfo`).
    #[cfg(target_os = "linux")]
    #[test]
    fn a_tree_costs_one_watch_per_directory_and_none_per_file() {
        use std::collections::HashSet;
        use std::os::unix::fs::MetadataExt;
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path().canonicalize().unwrap();
        let (mut dirs, mut files) = (HashSet::new(), HashSet::new());
        dirs.insert(std::fs::metadata(&root).unwrap().ino());
        for d in 0..12 {
            let deep = root.join(format!("p{d}")).join("a").join("b");
            std::fs::create_dir_all(&deep).unwrap();
            for level in [
                root.join(format!("p{d}")),
                root.join(format!("p{d}/a")),
                deep.clone(),
            ] {
                dirs.insert(std::fs::metadata(&level).unwrap().ino());
            }
            for f in 0..40 {
                let file = deep.join(format!("s{f}.jsonl"));
                std::fs::write(&file, b"{}\n").unwrap();
                files.insert(std::fs::metadata(&file).unwrap().ino());
            }
        }
        let (tx, _rx) = mpsc::channel();
        let w = RootWatcher::start(vec![root.clone()], tx).unwrap();
        assert!(w.health().polled.is_empty(), "watched natively");
        // Every inode this process watches, over all its inotify instances.
        let mut watched = HashSet::new();
        for fd in std::fs::read_dir("/proc/self/fdinfo").unwrap().flatten() {
            let Ok(info) = std::fs::read_to_string(fd.path()) else {
                continue;
            };
            for line in info.lines().filter(|l| l.starts_with("inotify wd:")) {
                let ino = line.split_whitespace().find_map(|f| f.strip_prefix("ino:"));
                if let Some(ino) = ino.and_then(|h| u64::from_str_radix(h, 16).ok()) {
                    watched.insert(ino);
                }
            }
        }
        assert!(dirs.is_subset(&watched), "every directory is watched");
        assert!(watched.is_disjoint(&files), "no file is watched");
    }

    #[test]
    fn a_burst_of_appends_comes_as_few_batches() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path().canonicalize().unwrap();
        let file = root.join("s.jsonl");
        std::fs::write(&file, b"").unwrap();
        let (tx, rx) = mpsc::channel();
        let _w = RootWatcher::start(vec![root.clone()], tx).unwrap();
        let mut f = std::fs::OpenOptions::new()
            .append(true)
            .open(&file)
            .unwrap();
        for _ in 0..1000 {
            f.write_all(b"{}\n").unwrap();
        }
        drop(f);
        assert!(wait_for(&rx, &file));
        let mut batches = 1;
        while rx.recv_timeout(Duration::from_millis(300)).is_ok() {
            batches += 1;
        }
        assert!(batches < 20, "1000 appends gave {batches} batches");
    }

    #[test]
    fn a_root_created_later_is_picked_up() {
        let dir = tempfile::tempdir().unwrap();
        let base = dir.path().canonicalize().unwrap();
        let root = base.join("later").join("projects");
        let (tx, rx) = mpsc::channel();
        let _w = RootWatcher::start(vec![root.clone()], tx).unwrap();
        std::fs::create_dir_all(&root).unwrap();
        assert!(wait_for(&rx, &root), "appearance of the root reported");
        let file = root.join("s.jsonl");
        std::fs::write(&file, b"{}\n").unwrap();
        assert!(wait_for(&rx, &file), "files in the new root seen");
    }

    /// Issue 18: an agent's first run creates its root (and the folders above it one
    /// by one); its first session must not wait for a recheck to be seen. The recheck
    /// is set far beyond the wait, so only an event can report the root.
    #[cfg(any(target_os = "linux", target_os = "macos", windows))]
    #[test]
    fn a_root_created_later_is_seen_at_once_not_at_the_recheck() {
        let dir = tempfile::tempdir().unwrap();
        let base = dir.path().canonicalize().unwrap();
        let root = base.join("home").join(".claude").join("projects");
        let (tx, rx) = mpsc::channel();
        let config = WatchConfig {
            root_recheck: Duration::from_secs(600),
            ..WatchConfig::default()
        };
        let _w = RootWatcher::start_with(vec![root.clone()], tx, config).unwrap();
        for step in [base.join("home"), base.join("home/.claude"), root.clone()] {
            std::thread::sleep(Duration::from_millis(50));
            std::fs::create_dir(&step).unwrap();
        }
        let created = Instant::now();
        assert!(wait_for(&rx, &root), "appearance of the root reported");
        assert!(created.elapsed() < Duration::from_secs(3));
        let file = root.join("-p").join("s.jsonl");
        std::fs::create_dir(root.join("-p")).unwrap();
        std::fs::write(&file, b"{}\n").unwrap();
        assert!(
            wait_for_any(&rx, &[&file, &root.join("-p")]),
            "files in the new root seen"
        );
    }

    fn fast_polling(refuse: &[&Path]) -> WatchConfig {
        WatchConfig {
            poll_interval: Duration::from_millis(200),
            refuse_native: refuse.iter().map(|p| p.to_path_buf()).collect(),
            ..WatchConfig::default()
        }
    }

    /// Issue 20: a root whose OS watch fails (as with a full `max_user_watches`) is
    /// polled, changes under it are still seen, the health says so, and the OS watch
    /// is not tried (the tree not walked) again every second.
    #[test]
    fn a_root_the_os_cannot_watch_is_polled_once_and_changes_are_seen() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path().canonicalize().unwrap();
        let (tx, rx) = mpsc::channel();
        let w = RootWatcher::start_with(vec![root.clone()], tx, fast_polling(&[&root])).unwrap();
        let health = w.health();
        assert_eq!(health.polled.len(), 1, "{health:?}");
        assert_eq!(health.polled[0].root, root.display().to_string());
        let notice = &health.notices()[0];
        assert!(notice.contains("by polling"), "{notice}");
        assert!(notice.contains("max_user_watches"), "{notice}");
        let file = root.join("s.jsonl");
        std::fs::write(&file, b"{}\n").unwrap();
        assert!(wait_for(&rx, &file), "a new file seen by polling");
        std::thread::sleep(ROOT_RECHECK * 2);
        assert_eq!(
            w.native_attempts(),
            1,
            "the failing root is not walked again"
        );
    }

    #[test]
    fn an_error_for_a_path_under_a_root_moves_that_root_to_polling() {
        let dir = tempfile::tempdir().unwrap();
        let base = dir.path().canonicalize().unwrap();
        let (a, b) = (base.join("a"), base.join("b"));
        std::fs::create_dir_all(a.join("deep")).unwrap();
        std::fs::create_dir_all(&b).unwrap();
        let (tx, rx) = mpsc::channel();
        let w = RootWatcher::start_with(vec![a.clone(), b.clone()], tx, fast_polling(&[])).unwrap();
        assert!(w.health().polled.is_empty());
        let mut handler = lock(&w.watching).handler.clone();
        notify::EventHandler::handle_event(
            &mut handler,
            Err(notify::Error::new(notify::ErrorKind::MaxFilesWatch).add_path(a.join("deep"))),
        );
        assert!(wait_for(&rx, &a), "the root is read again after the error");
        let health = w.health();
        assert_eq!(health.polled.len(), 1, "{health:?}");
        assert_eq!(health.polled[0].root, a.display().to_string());
        assert!(health.last_error.unwrap().contains("too many folders"));
        let file = a.join("deep").join("s.jsonl");
        std::fs::write(&file, b"{}\n").unwrap();
        assert!(
            wait_for(&rx, &file),
            "changes under the polled root are seen"
        );
    }

    #[test]
    fn an_overflow_of_the_event_queue_rescans_every_root() {
        let dir = tempfile::tempdir().unwrap();
        let base = dir.path().canonicalize().unwrap();
        let (a, b) = (base.join("a"), base.join("b"));
        std::fs::create_dir_all(&a).unwrap();
        std::fs::create_dir_all(&b).unwrap();
        let (tx, rx) = mpsc::channel();
        let w = RootWatcher::start_with(vec![a.clone(), b.clone()], tx, fast_polling(&[])).unwrap();
        let mut handler = lock(&w.watching).handler.clone();
        notify::EventHandler::handle_event(
            &mut handler,
            Ok(notify::Event::new(EventKind::Other).set_flag(Flag::Rescan)),
        );
        let mut seen = BTreeSet::new();
        let deadline = Instant::now() + Duration::from_secs(5);
        while seen.len() < 2 && Instant::now() < deadline {
            if let Ok(batch) = rx.recv_timeout(Duration::from_millis(200)) {
                seen.extend(batch.into_iter().filter(|p| *p == a || *p == b));
            }
        }
        assert_eq!(seen.len(), 2, "both roots rescanned: {seen:?}");
        assert_eq!(w.health().rescans, 1);
        assert!(w.health().notices()[0].contains("dropped events 1 time"));
    }
}
