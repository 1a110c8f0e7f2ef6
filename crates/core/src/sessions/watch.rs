//! Filesystem watching of the harness roots, with debouncing.
//!
//! [`RootWatcher`] watches each root recursively with `notify` (inotify, FSEvents,
//! ReadDirectoryChangesW). Raw events are collected for a short debounce window and
//! delivered as one deduplicated batch of paths, so a burst of appends becomes a single
//! read. A root that does not exist yet (the agent was never run) is checked for every
//! [`ROOT_RECHECK`]; once it appears it is watched and reported as changed, so the
//! index scans it. When the OS watcher cannot be created (no inotify instances left,
//! network filesystems), it falls back to `notify`'s polling watcher.
//!
//! This module only says *which paths* changed; it never reads them.

use std::collections::BTreeSet;
use std::path::PathBuf;
use std::sync::mpsc::{self, Receiver, RecvTimeoutError, Sender};
use std::sync::{Arc, Mutex};
use std::thread;
use std::time::{Duration, Instant};

use notify::{Config, EventKind, PollWatcher, RecommendedWatcher, RecursiveMode, Watcher};

/// How long raw events are gathered before a batch goes out.
pub const DEBOUNCE: Duration = Duration::from_millis(30);
/// How often roots that do not exist yet are looked for.
pub const ROOT_RECHECK: Duration = Duration::from_secs(1);

enum Backend {
    Native(RecommendedWatcher),
    Polling(PollWatcher),
}

impl Backend {
    fn watch(&mut self, path: &std::path::Path) -> notify::Result<()> {
        match self {
            Backend::Native(w) => w.watch(path, RecursiveMode::Recursive),
            Backend::Polling(w) => w.watch(path, RecursiveMode::Recursive),
        }
    }
}

/// Watches roots and sends batches of changed paths. Dropping it stops watching.
pub struct RootWatcher {
    _backend: Arc<Mutex<Backend>>,
    stop: Sender<()>,
}

impl RootWatcher {
    /// Start watching `roots`; batches of changed paths arrive on `batches`.
    pub fn start(roots: Vec<PathBuf>, batches: Sender<Vec<PathBuf>>) -> notify::Result<Self> {
        let (raw_tx, raw_rx) = mpsc::channel::<PathBuf>();
        let handler_tx = raw_tx.clone();
        let handler = move |res: notify::Result<notify::Event>| {
            if let Ok(event) = res {
                if matches!(event.kind, EventKind::Access(_)) {
                    return;
                }
                for p in event.paths {
                    let _ = handler_tx.send(p);
                }
            }
        };
        let backend = match RecommendedWatcher::new(handler.clone(), Config::default()) {
            Ok(w) => Backend::Native(w),
            Err(_) => Backend::Polling(PollWatcher::new(
                handler,
                Config::default().with_poll_interval(Duration::from_secs(2)),
            )?),
        };
        let backend = Arc::new(Mutex::new(backend));
        let (stop_tx, stop_rx) = mpsc::channel::<()>();

        // Roots: watch those that exist; keep looking for the others.
        let mut missing = Vec::new();
        for root in roots {
            let ok = root.is_dir()
                && backend
                    .lock()
                    .map(|mut b| b.watch(&root).is_ok())
                    .unwrap_or(false);
            if !ok {
                missing.push(root);
            }
        }
        let rechecker_backend = Arc::clone(&backend);
        let rechecker_tx = raw_tx;
        thread::Builder::new()
            .name("watch-roots".into())
            .spawn(move || {
                while !missing.is_empty() {
                    match stop_rx.recv_timeout(ROOT_RECHECK) {
                        Err(RecvTimeoutError::Timeout) => {}
                        _ => return,
                    }
                    missing.retain(|root| {
                        if !root.is_dir() {
                            return true;
                        }
                        let watched = rechecker_backend
                            .lock()
                            .map(|mut b| b.watch(root).is_ok())
                            .unwrap_or(false);
                        if watched {
                            let _ = rechecker_tx.send(root.clone());
                        }
                        !watched
                    });
                }
            })
            .map_err(|e| notify::Error::generic(&e.to_string()))?;

        thread::Builder::new()
            .name("watch-debounce".into())
            .spawn(move || debounce(raw_rx, batches))
            .map_err(|e| notify::Error::generic(&e.to_string()))?;

        Ok(RootWatcher {
            _backend: backend,
            stop: stop_tx,
        })
    }
}

impl Drop for RootWatcher {
    fn drop(&mut self) {
        let _ = self.stop.send(());
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
}
