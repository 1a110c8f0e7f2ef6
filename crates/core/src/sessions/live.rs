//! The live loop: watcher → index → coalesced change sets pushed to a listener.
//!
//! [`LiveSessions::start`] scans every root once, then runs one background thread that
//! owns the work: batches of changed paths from [`crate::sessions::watch::RootWatcher`] are read
//! incrementally, and every [`STATUS_TICK`] the statuses are re-inferred with a fresh
//! process scan (status depends on time and on processes, which no file event reports).
//! An agent process that exits wakes the loop at once for a fresh scan
//! ([`crate::procs::exit_watch`]), so a session reads Ended when its process ends.
//! Each non-empty [`SessionChange`] goes to the listener, at most one every
//! [`PUSH_PERIOD`] (what arrives sooner is merged into the next); the app forwards it
//! as an event, so the UI never polls.
//!
//! The index sits behind a mutex so a snapshot can be taken at any time.
//!
//! Problems that are not rows (a FIFO named like a transcript, a file too large to
//! read, a root watched by polling) become *notices*: a short, deduplicated list sent
//! to a second listener whenever it changes, within the batch that found them.

use std::collections::VecDeque;
use std::path::PathBuf;
use std::sync::mpsc::{self, RecvTimeoutError};
use std::sync::{Arc, Mutex, MutexGuard};
use std::thread;
use std::time::{Duration, Instant};

use chrono::Utc;

use crate::agents::HarnessRoot;
use crate::model::{Session, SessionChange, SessionCounts, SessionSnapshot};
use crate::procs::exit_watch::ExitWatcher;
use crate::procs::ProcessScanner;
use crate::sessions::index::SessionIndex;
use crate::sessions::watch::{HealthProbe, RootWatcher, WatchConfig};

/// How often statuses are re-inferred (elapsed-time rules, process liveness).
pub const STATUS_TICK: Duration = Duration::from_secs(2);

/// Change sets go to the listener at most this often. The first change after a quiet
/// spell goes at once; while agents keep writing (200 of them, 10 lines a second each),
/// what they wrote in the meantime goes as one change set, so the header counts (a
/// pass over every row) and the web view's work are paid ten times a second, not for
/// every debounced batch.
pub const PUSH_PERIOD: Duration = Duration::from_millis(100);

/// Memory freed in bulk (the first scan's cache rows and sort buffers, a snapshot's
/// copy of every row) is handed back to the system at the first ticks after start and
/// then at most this often when something changed: the allocator keeps freed small
/// blocks for reuse otherwise, and an idle table of 100k rows kept 100+ MB it no
/// longer used (issue 17).
const TRIM_EVERY: Duration = Duration::from_secs(60);

/// The most read problems kept as notices (the newest win).
const MAX_PROBLEMS: usize = 20;

/// Called with the whole list of notices each time it changes.
pub type NoticesFn = Box<dyn Fn(Vec<String>) + Send>;

/// Options of [`LiveSessions::start_full`].
#[derive(Default)]
pub struct LiveOptions {
    pub watch: WatchConfig,
    pub on_notices: Option<NoticesFn>,
    /// How often statuses are re-inferred; [`STATUS_TICK`] when `None`.
    pub status_tick: Option<Duration>,
}

/// A running live loop. Dropping it stops watching; the thread ends with the watcher.
pub struct LiveSessions {
    index: Arc<Mutex<SessionIndex>>,
    notices: Arc<Mutex<Vec<String>>>,
    _watcher: Option<RootWatcher>,
    /// The exit watcher's way into the loop; taken on drop so the loop can end.
    exit_wake: Arc<Mutex<Option<mpsc::Sender<Vec<PathBuf>>>>>,
}

impl Drop for LiveSessions {
    fn drop(&mut self) {
        self.exit_wake
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .take();
    }
}

/// The notices of the live loop: the watcher's, then the newest read problems.
struct Notices {
    problems: VecDeque<String>,
    probe: Option<HealthProbe>,
    shared: Arc<Mutex<Vec<String>>>,
    listener: Option<NoticesFn>,
}

impl Notices {
    /// Take the index's new read errors; tell the listener if the list changed.
    fn update(&mut self, index: &mut SessionIndex) {
        for e in index.read_errors.drain(..) {
            self.problems.retain(|p| *p != e);
            self.problems.push_back(e);
            if self.problems.len() > MAX_PROBLEMS {
                self.problems.pop_front();
            }
        }
        let mut all = self
            .probe
            .as_ref()
            .and_then(HealthProbe::health)
            .map(|h| h.notices())
            .unwrap_or_default();
        all.extend(self.problems.iter().cloned());
        let mut shared = self.shared.lock().unwrap_or_else(|e| e.into_inner());
        if *shared != all {
            shared.clone_from(&all);
            drop(shared);
            if let Some(listener) = &self.listener {
                listener(all);
            }
        }
    }
}

impl LiveSessions {
    /// Scan `roots`, then watch them and call `listener` with every change and the
    /// header counts after it.
    pub fn start(
        roots: Vec<HarnessRoot>,
        listener: impl Fn(SessionChange, SessionCounts) + Send + 'static,
    ) -> LiveSessions {
        Self::start_with(SessionIndex::new(roots), listener)
    }

    /// Like [`LiveSessions::start`], with an index prepared by the caller: one with a
    /// cache ([`SessionIndex::with_cache`], so unchanged files are not read at start)
    /// and a progress callback ([`SessionIndex::set_progress`]) for the first scan.
    pub fn start_with(
        index: SessionIndex,
        listener: impl Fn(SessionChange, SessionCounts) + Send + 'static,
    ) -> LiveSessions {
        Self::start_full(index, listener, LiveOptions::default())
    }

    /// [`LiveSessions::start_with`], with a listener for the notices and the watcher's
    /// knobs.
    pub fn start_full(
        mut index: SessionIndex,
        listener: impl Fn(SessionChange, SessionCounts) + Send + 'static,
        options: LiveOptions,
    ) -> LiveSessions {
        let state_dirs = index.state_dirs();
        let status_tick = options.status_tick.unwrap_or(STATUS_TICK);
        let paths: Vec<PathBuf> = index
            .roots()
            .iter()
            .map(|r| r.path.clone())
            .chain(state_dirs.iter().cloned())
            .collect();
        let mut scanner = ProcessScanner::new();
        index.scan_all_quietly(Utc::now());

        let (tx, rx) = mpsc::channel::<Vec<PathBuf>>();
        // An agent's exit arrives as an empty batch. The sender sits where dropping
        // LiveSessions can take it away, so the thread still ends with the watcher.
        let exit_wake = Arc::new(Mutex::new(Some(tx.clone())));
        let wake = Arc::clone(&exit_wake);
        let exits = ExitWatcher::new(Arc::new(move || {
            if let Some(tx) = &*wake.lock().unwrap_or_else(|e| e.into_inner()) {
                let _ = tx.send(Vec::new());
            }
        }));
        let watcher = RootWatcher::start_with(paths, tx, options.watch).ok();
        let mut scan = move || {
            let procs = scanner.scan();
            exits.watch(&procs);
            procs
        };
        index.refresh_status(scan(), Utc::now());
        let shared_notices = Arc::new(Mutex::new(Vec::new()));
        let mut notices = Notices {
            problems: VecDeque::new(),
            probe: watcher.as_ref().map(RootWatcher::health_probe),
            shared: Arc::clone(&shared_notices),
            listener: options.on_notices,
        };
        notices.update(&mut index);
        let index = Arc::new(Mutex::new(index));
        let shared = Arc::clone(&index);
        thread::Builder::new()
            .name("live-sessions".into())
            .spawn(move || {
                let mut next_tick = Instant::now() + status_tick;
                // What was read but not yet pushed, and when the last push went out.
                let mut pending = SessionChange::default();
                let mut last_push: Option<Instant> = None;
                // Trimmed at the first three ticks (the caller's snapshot of the
                // table is taken and dropped around then), then after changes.
                let mut trims_due = 3u32;
                let mut changed_since_trim = false;
                let mut last_trim = Instant::now();
                loop {
                    let now = Instant::now();
                    let push_at =
                        (!pending.is_empty()).then(|| last_push.map_or(now, |t| t + PUSH_PERIOD));
                    let until = push_at.map_or(next_tick, |p| p.min(next_tick));
                    match rx.recv_timeout(until.saturating_duration_since(now)) {
                        Ok(mut batch) => {
                            // An empty batch: an agent process exited (see ExitWatcher).
                            let mut exited = batch.is_empty();
                            // Drain whatever else is queued: one change set for all of it.
                            while let Ok(more) = rx.try_recv() {
                                exited |= more.is_empty();
                                batch.extend(more);
                            }
                            batch.sort();
                            batch.dedup();
                            // An agent's live-state file came or went (it started,
                            // changed busy/idle, or exited): re-match at once rather
                            // than at the next tick.
                            let state_moved = batch
                                .iter()
                                .any(|p| state_dirs.iter().any(|d| p.starts_with(d)));
                            let procs = (state_moved || exited).then(&mut scan);
                            let mut index = lock(&shared);
                            let mut change = index.paths_changed(&batch, Utc::now());
                            if let Some(procs) = procs {
                                change.merge(index.refresh_status(procs, Utc::now()));
                            }
                            notices.update(&mut index);
                            pending.merge(change);
                        }
                        Err(RecvTimeoutError::Timeout) if Instant::now() >= next_tick => {
                            next_tick = Instant::now() + status_tick;
                            if trims_due > 0
                                || (changed_since_trim && last_trim.elapsed() >= TRIM_EVERY)
                            {
                                trims_due = trims_due.saturating_sub(1);
                                changed_since_trim = false;
                                last_trim = Instant::now();
                                release_free_memory();
                            }
                            let procs = scan();
                            let mut index = lock(&shared);
                            let change = index.refresh_status(procs, Utc::now());
                            // The watcher's health changes without a batch.
                            notices.update(&mut index);
                            pending.merge(change);
                        }
                        // Time to push what is pending.
                        Err(RecvTimeoutError::Timeout) => {}
                        Err(RecvTimeoutError::Disconnected) => return,
                    }
                    let due = last_push.is_none_or(|t| t.elapsed() >= PUSH_PERIOD);
                    if !pending.is_empty() && due {
                        // The header counts are worked out only for a change that goes out.
                        let counts = lock(&shared).counts();
                        last_push = Some(Instant::now());
                        changed_since_trim = true;
                        listener(std::mem::take(&mut pending), counts);
                    }
                }
            })
            .expect("spawning the live-sessions thread");
        LiveSessions {
            index,
            notices: shared_notices,
            _watcher: watcher,
            exit_wake,
        }
    }

    /// What the user should know that is not a row (see the module docs).
    pub fn notices(&self) -> Vec<String> {
        self.notices
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .clone()
    }

    pub fn sessions(&self) -> Vec<Session> {
        lock(&self.index).sessions()
    }

    pub fn counts(&self) -> SessionCounts {
        lock(&self.index).counts()
    }

    /// Only the sessions in `status` (the tray lists the waiting ones), without
    /// cloning the whole table.
    pub fn sessions_in(&self, status: crate::model::Status, limit: usize) -> Vec<Session> {
        lock(&self.index).sessions_in(status, limit)
    }

    /// The header counts and the sessions in `status`, under one lock and from one pass
    /// (see [`SessionIndex::counts_and_in`]).
    pub fn counts_and_in(
        &self,
        status: crate::model::Status,
        limit: usize,
    ) -> (SessionCounts, Vec<Session>) {
        lock(&self.index).counts_and_in(status, limit)
    }

    /// One row and the facts behind it (see [`SessionIndex::session_with_facts`]).
    pub fn session_with_facts(
        &self,
        key: &str,
    ) -> Option<(Session, crate::agents::TranscriptFacts)> {
        lock(&self.index).session_with_facts(key)
    }

    /// Every session with its per-quarter-hour usage (see [`SessionIndex::usage_rows`]).
    pub fn usage_rows(&self) -> Vec<(Session, Vec<crate::agents::UsageSlot>)> {
        lock(&self.index).usage_rows()
    }

    pub fn roots(&self) -> Vec<HarnessRoot> {
        lock(&self.index).roots().to_vec()
    }

    /// The whole table, its counts and the roots searched, taken under one lock.
    pub fn snapshot(&self) -> SessionSnapshot {
        let index = lock(&self.index);
        SessionSnapshot {
            sessions: index.sessions(),
            counts: index.counts(),
            roots: crate::paths::searched_roots(index.roots()),
            scanning: false,
            notices: self.notices(),
        }
    }
}

/// Give memory the allocator holds free back to the system (glibc keeps freed blocks
/// below the top of each arena otherwise). Elsewhere a no-op.
fn release_free_memory() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    // SAFETY: malloc_trim only walks the allocator's own free lists; it takes no
    // pointers and is safe to call from any thread at any time.
    unsafe {
        libc::malloc_trim(0);
    }
}

/// A poisoned lock only means another thread panicked mid-update; the table is still
/// the best we have, so keep serving it.
fn lock(index: &Mutex<SessionIndex>) -> MutexGuard<'_, SessionIndex> {
    index.lock().unwrap_or_else(|e| e.into_inner())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::Harness;
    use std::io::Write;

    #[test]
    fn an_appended_line_reaches_the_listener() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path().canonicalize().unwrap().join("projects");
        std::fs::create_dir_all(root.join("-p")).unwrap();
        let file = root.join("-p").join("s1.jsonl");
        std::fs::write(&file, "").unwrap();
        let (tx, rx) = mpsc::channel();
        let live = LiveSessions::start(
            vec![HarnessRoot {
                harness: Harness::ClaudeCode,
                path: root,
            }],
            move |c, _counts| {
                let _ = tx.send(c);
            },
        );
        assert_eq!(live.sessions().len(), 1);
        let mut f = std::fs::OpenOptions::new()
            .append(true)
            .open(&file)
            .unwrap();
        writeln!(f, r#"{{"type":"user","message":{{"content":"hi"}}}}"#).unwrap();
        let deadline = Instant::now() + Duration::from_secs(5);
        let mut seen = false;
        while Instant::now() < deadline && !seen {
            if let Ok(c) = rx.recv_timeout(Duration::from_millis(100)) {
                seen = c.upserted.iter().any(|s| s.user_messages == 1);
            }
        }
        assert!(seen, "change with the new message pushed");
        assert_eq!(live.sessions()[0].user_messages, 1);
    }

    /// 200 agents writing at once: change sets go out at most one per PUSH_PERIOD,
    /// each with everything read since the one before, and the last line still arrives.
    #[test]
    fn appends_in_quick_succession_go_out_merged_at_most_once_per_period() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path().canonicalize().unwrap().join("projects");
        std::fs::create_dir_all(root.join("-p")).unwrap();
        let files: Vec<_> = (0..4)
            .map(|i| root.join("-p").join(format!("s{i}.jsonl")))
            .collect();
        for f in &files {
            std::fs::write(f, "").unwrap();
        }
        let (tx, rx) = mpsc::channel();
        let _live = LiveSessions::start(
            vec![HarnessRoot {
                harness: Harness::ClaudeCode,
                path: root,
            }],
            move |c, _counts| {
                let _ = tx.send((Instant::now(), c));
            },
        );
        let mut handles: Vec<_> = files
            .iter()
            .map(|f| std::fs::OpenOptions::new().append(true).open(f).unwrap())
            .collect();
        const LINES: u32 = 40;
        for _ in 0..LINES {
            for h in &mut handles {
                writeln!(h, r#"{{"type":"user","message":{{"content":"hi"}}}}"#).unwrap();
            }
            thread::sleep(Duration::from_millis(10));
        }
        let deadline = Instant::now() + Duration::from_secs(10);
        let mut pushes: Vec<Instant> = Vec::new();
        let mut last_seen = std::collections::HashMap::new();
        while Instant::now() < deadline
            && !(last_seen.len() == files.len() && last_seen.values().all(|&n| n == LINES))
        {
            if let Ok((at, c)) = rx.recv_timeout(Duration::from_millis(100)) {
                pushes.push(at);
                for s in c.upserted {
                    last_seen.insert(s.key, s.user_messages);
                }
            }
        }
        assert!(
            last_seen.len() == files.len() && last_seen.values().all(|&n| n == LINES),
            "every line arrived: {last_seen:?}"
        );
        for pair in pushes.windows(2) {
            assert!(
                pair[1] - pair[0] >= PUSH_PERIOD - Duration::from_millis(20),
                "pushes {:?} apart",
                pair[1] - pair[0]
            );
        }
    }

    /// Issue 20: a FIFO named like a transcript, made while the app runs, is reported
    /// as a notice within a second, and the live thread goes on reading the others.
    #[cfg(unix)]
    #[test]
    fn a_fifo_made_while_running_is_reported_and_blocks_nothing() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path().canonicalize().unwrap().join("projects");
        std::fs::create_dir_all(root.join("-p")).unwrap();
        let file = root.join("-p").join("s1.jsonl");
        std::fs::write(&file, "").unwrap();
        let (tx, rx) = mpsc::channel();
        let (notice_tx, notice_rx) = mpsc::channel();
        let live = LiveSessions::start_full(
            SessionIndex::new(vec![HarnessRoot {
                harness: Harness::ClaudeCode,
                path: root.clone(),
            }]),
            move |c, _counts| {
                let _ = tx.send(c);
            },
            LiveOptions {
                on_notices: Some(Box::new(move |n| {
                    let _ = notice_tx.send(n);
                })),
                ..LiveOptions::default()
            },
        );
        let fifo = root.join("-p").join("pipe.jsonl");
        crate::agent_file::tests::mkfifo(&fifo);
        let said = format!("{}: skipped: a FIFO, not a regular file", fifo.display());
        let notices = notice_rx
            .recv_timeout(Duration::from_secs(1))
            .expect("the FIFO is reported within 1 s");
        assert_eq!(notices, std::slice::from_ref(&said));
        assert_eq!(live.snapshot().notices, [said]);
        let mut f = std::fs::OpenOptions::new()
            .append(true)
            .open(&file)
            .unwrap();
        writeln!(f, r#"{{"type":"user","message":{{"content":"hi"}}}}"#).unwrap();
        let deadline = Instant::now() + Duration::from_secs(5);
        let mut seen = false;
        while Instant::now() < deadline && !seen {
            if let Ok(c) = rx.recv_timeout(Duration::from_millis(100)) {
                seen = c.upserted.iter().any(|s| s.user_messages == 1);
            }
        }
        assert!(seen, "the live thread still reads the real transcript");
        assert_eq!(live.sessions().len(), 1);
    }
}
