//! The live session table: one entry per transcript file under the harness roots, each
//! with its [`TailCursor`] and parser, turned into [`Session`] rows.
//!
//! The table is fed three kinds of news and answers each with a [`SessionChange`]
//! holding only the rows that really changed:
//! - [`SessionIndex::scan_all`]: walk every root (start-up, or a root that appeared);
//! - [`SessionIndex::paths_changed`]: the watcher saw these paths change; only the new
//!   bytes of each append-only file are read, a whole-file session (Gemini `.json`) is
//!   re-read when its size or mtime changed, and paths under a store root (opencode)
//!   go to that root's [`SessionStore`], which rebuilds only the sessions they affect;
//! - [`SessionIndex::refresh_status`]: time passed or processes came and went, so
//!   statuses are re-inferred without reading any file.
//!
//! Deleted files keep their row, marked `gone`, so the user still sees what vanished.
//! This module does no watching and no process scanning of its own.
//!
//! A first scan reads files in parallel (one file per thread, see `read_files`). With
//! an [`IndexCache`] ([`SessionIndex::with_cache`]), a file whose size, mtime and inode
//! match its cached stamp is not read at all; its cached facts are used until it
//! changes, and then it is parsed again from byte 0 (see `cache` for why).

use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};
use std::time::SystemTime;

use chrono::{DateTime, Utc};

use crate::agent_file;
use crate::agent_state::{self, AgentClaim};
use crate::agents::{
    self, FileMode, HarnessRoot, SessionStore, SourceKind, StoredSession, TranscriptFacts,
    TranscriptParser, UsageSlot,
};
use crate::model::{ScanProgress, Session, SessionChange, SessionCounts};
use crate::owners::{self, Candidate, Owner};
use crate::procs::AgentProcess;
use crate::sessions::cache::{CachedFile, CachedFiles, FileStamp, IndexCache};
use crate::sessions::status::{Liveness, StatusInputs, StatusRules};
use crate::sessions::tail::{TailCursor, TailEvent};

/// How the facts of one row are kept up to date.
enum Reader {
    /// Append-only JSONL: new bytes only, line by line.
    Lines {
        cursor: TailCursor,
        parser: Box<dyn TranscriptParser>,
    },
    /// A file rewritten whole: re-read when its size or mtime changes.
    Whole {
        facts: TranscriptFacts,
        stamp: Option<(u64, SystemTime)>,
    },
    /// A session of a [`SessionStore`]: the store hands over rebuilt facts.
    Stored { facts: TranscriptFacts },
    /// Facts from the cache, for a file unchanged since they were derived; replaced by
    /// a fresh `Lines` or `Whole` reader (reading from byte 0) once the file changes.
    /// Also what a line file read to its end becomes when it has been quiet for
    /// [`PARSER_KEPT_FOR`]: its parser's state (ids seen, open tool calls) is dropped,
    /// so a scan over 100k files holds facts, not parsers.
    Cached {
        facts: TranscriptFacts,
        oversized_lines: u32,
        /// `facts.usage_slots` is empty and the slots are in the cache (facts loaded
        /// from it leave them there until `usage_rows` asks).
        slots_in_cache: bool,
    },
}

struct TrackedFile {
    root: HarnessRoot,
    id: String,
    parent_id: Option<String>,
    reader: Reader,
    mtime: Option<DateTime<Utc>>,
    gone: bool,
    /// The row as last published, to publish only real changes.
    published: Option<Session>,
    /// Where a store session lives (shown as its path); `None` for plain files.
    published_location: Option<PathBuf>,
    /// The stamp of the bytes the facts were derived from (files only).
    stamp: Option<FileStamp>,
    /// The stamp last written to the cache.
    saved: Option<FileStamp>,
    /// A process (or the agent's live state) was matched to this session at some
    /// point: when none is any more, the session has exited.
    had_owner: bool,
}

impl TrackedFile {
    fn facts(&self) -> &TranscriptFacts {
        match &self.reader {
            Reader::Lines { parser, .. } => parser.facts(),
            Reader::Whole { facts, .. } | Reader::Stored { facts } => facts,
            Reader::Cached { facts, .. } => facts,
        }
    }

    fn oversized_lines(&self) -> u32 {
        match &self.reader {
            Reader::Lines { cursor, .. } => cursor.oversized_lines() as u32,
            Reader::Cached {
                oversized_lines, ..
            } => *oversized_lines,
            _ => 0,
        }
    }
}

/// See the module documentation.
pub struct SessionIndex {
    roots: Vec<HarnessRoot>,
    /// Rows keyed by their file, or by `<store location>` for store sessions.
    /// Boxed: the tree's nodes stay small, and adding 100k at once moves pointers.
    files: BTreeMap<PathBuf, Box<TrackedFile>>,
    /// One store per [`SourceKind::Store`] root, created on first scan.
    stores: HashMap<PathBuf, Box<dyn SessionStore>>,
    rules: StatusRules,
    processes: Vec<AgentProcess>,
    /// When `processes` was scanned (the `now` of the last status refresh); `None`
    /// before the first scan.
    processes_seen_at: Option<DateTime<Utc>>,
    /// What the agents' own live-state files said at the last status refresh.
    claims: Vec<AgentClaim>,
    /// Roots whose live-state folder exists (see [`agent_state::keeps_live_state`]).
    roots_with_state: Vec<PathBuf>,
    /// Read errors other than "not found" (unreadable files or directories).
    pub read_errors: Vec<String>,
    cache: Option<IndexCache>,
    /// Whether `cached` holds the cache's rows yet: they are read by the first scan,
    /// on another thread while the roots are walked (see `scan_all_reporting`).
    cache_loaded: bool,
    /// Cached files not yet claimed by a scan.
    /// Keyed by the path's bytes: hashing a `Path` goes component by component.
    cached: CachedFiles,
    progress: Option<ProgressFn>,
    /// The rows callback and the size of its waves in bytes.
    rows_read: Option<(RowsFn, u64)>,
    /// How long a line file read to its end keeps its parser ([`PARSER_KEPT_FOR`],
    /// or zero for an index read once, see [`SessionIndex::read_once`]).
    parser_kept_for: std::time::Duration,
}

/// Called from the scanning threads as files are read.
pub type ProgressFn = Box<dyn Fn(ScanProgress) + Send + Sync>;

/// Called during [`SessionIndex::scan_all`] with the rows of each wave of files read.
pub type RowsFn = Box<dyn Fn(Vec<Session>) + Send + Sync>;

/// A line file quiet for this long after being read to its end gives up its parser
/// (see [`Reader::Cached`]); its next change is read from byte 0, like a cached file's.
const PARSER_KEPT_FOR: std::time::Duration = std::time::Duration::from_secs(3600);

/// How many files a first scan reads before saving their facts to the cache (see
/// `read_saving`).
const SAVE_EVERY: usize = 4096;

/// A good wave size for [`SessionIndex::set_rows_read`]: large enough to keep every
/// core busy, small enough that a window fills in within a second or two on a first
/// start over gigabytes.
pub const WAVE_BYTES: u64 = 64 << 20;

/// The first wave is this small (or the wave size, if smaller), and each next one twice
/// the one before, up to the wave size: today's sessions are on screen at once.
const FIRST_WAVE_BYTES: u64 = 1 << 20;

impl SessionIndex {
    pub fn new(roots: Vec<HarnessRoot>) -> Self {
        SessionIndex {
            roots,
            files: BTreeMap::new(),
            stores: HashMap::new(),
            rules: StatusRules::default(),
            processes: Vec::new(),
            processes_seen_at: None,
            claims: Vec::new(),
            roots_with_state: Vec::new(),
            read_errors: Vec::new(),
            cache: None,
            cache_loaded: false,
            cached: CachedFiles::default(),
            progress: None,
            rows_read: None,
            parser_kept_for: PARSER_KEPT_FOR,
        }
    }

    /// For an index read once and then dropped (a CLI command): every line file read
    /// to its end gives up its parser at once (see [`Reader::Cached`]), as one quiet
    /// for an hour does, so a cold scan holds one parser per reading thread, not one
    /// per file (their ids seen were most of a cold scan's memory). Should the index be
    /// refreshed after all, a changed file is read again from its first byte.
    pub fn read_once(mut self) -> Self {
        self.parser_kept_for = std::time::Duration::ZERO;
        self
    }

    /// Use `cache`: files it knows unchanged are not read, and what is read is saved
    /// to it after every scan and batch of changes. Its rows are read by the first
    /// scan, while the roots are walked.
    pub fn with_cache(mut self, cache: IndexCache) -> Self {
        self.cached = CachedFiles::default();
        self.cache = Some(cache);
        self.cache_loaded = false;
        self
    }

    /// Read the cache's rows into `cached` if that has not been done yet.
    fn load_cached(&mut self) {
        if let (false, Some(cache)) = (self.cache_loaded, &self.cache) {
            self.cached = cache.load();
        }
        self.cache_loaded = true;
    }

    /// Close the cache (its database is closed cleanly, its write-ahead log folded
    /// in); the index goes on without one. For a command about to exit that does not
    /// free the rest of the index.
    pub fn close_cache(&mut self) {
        self.cache = None;
        self.cached = CachedFiles::default();
    }

    /// Report reading progress (files and bytes done of total) during scans.
    pub fn set_progress(&mut self, progress: ProgressFn) {
        self.progress = Some(progress);
    }

    /// Hand over rows as their files are read during [`SessionIndex::scan_all`]: the
    /// most recently written files first, in waves growing from 1 MB to about
    /// `wave_bytes` (see [`WAVE_BYTES`]), so a first start over a long history shows
    /// today's sessions while older ones are still read.
    pub fn set_rows_read(&mut self, rows_read: RowsFn, wave_bytes: u64) {
        self.rows_read = Some((rows_read, wave_bytes.max(1)));
    }

    /// Every session row with its usage split by quarter hour and model (for
    /// [`crate::analytics::usage::report`]); the same rows as [`SessionIndex::sessions`].
    pub fn usage_rows(&self) -> Vec<(Session, Vec<UsageSlot>)> {
        let sessions = self.sessions();
        // A set, not a search of every row per file: that was quadratic (92 s of CPU
        // for 70k Claude Code files, issue 17).
        let kept: std::collections::HashSet<(&str, &str)> = sessions
            .iter()
            .map(|s| (s.key.as_str(), s.path.as_str()))
            .collect();
        // Facts that came from the cache left their slots there: read them all at once.
        let mut in_cache = match (&self.cache, self.files.values().any(|f| slots_in_cache(f))) {
            (Some(cache), true) => cache.load_slots(None),
            _ => HashMap::new(),
        };
        let mut slots: HashMap<&str, Vec<UsageSlot>> = HashMap::new();
        for (path, f) in &self.files {
            if let Some(row) = &f.published {
                if kept.contains(&(row.key.as_str(), row.path.as_str())) {
                    slots.insert(&row.key, self.slots_of(path, f, &mut in_cache));
                }
            }
        }
        sessions
            .into_iter()
            .map(|s| {
                let slots = slots.remove(s.key.as_str());
                (s, slots.unwrap_or_default())
            })
            .collect()
    }

    /// [`SessionIndex::usage_rows`] of an index about to be dropped (the CLI's
    /// `usage`): the same rows in the same order, moved out rather than copied, so a
    /// report over 100k sessions does not hold every row twice.
    pub fn into_usage_rows(mut self) -> Vec<(Session, Vec<UsageSlot>)> {
        // Each row's file, chosen as `rows` chooses, by the address of its entry
        // (boxed, so it stays put while the tree is taken apart below).
        let rank: HashMap<usize, usize> = {
            let mut by_key: foldhash::HashMap<&str, (&TrackedFile, &Session)> =
                foldhash::HashMap::with_capacity_and_hasher(self.files.len(), Default::default());
            for f in self.files.values() {
                let Some(row) = f.published.as_ref() else {
                    continue;
                };
                match by_key.get(row.key.as_str()) {
                    Some((_, kept)) if kept.gone <= row.gone => {}
                    _ => {
                        by_key.insert(&row.key, (f, row));
                    }
                }
            }
            let mut chosen: Vec<(&TrackedFile, &Session)> = by_key.into_values().collect();
            chosen.sort_unstable_by(|(_, a), (_, b)| {
                b.last_activity
                    .cmp(&a.last_activity)
                    .then(a.key.cmp(&b.key))
            });
            chosen
                .iter()
                .enumerate()
                .map(|(i, (f, _))| (*f as *const TrackedFile as usize, i))
                .collect()
        };
        let mut in_cache = match (&self.cache, self.files.values().any(|f| slots_in_cache(f))) {
            (Some(cache), true) => cache.load_slots(None),
            _ => HashMap::new(),
        };
        let mut out: Vec<Option<(Session, Vec<UsageSlot>)>> = Vec::new();
        out.resize_with(rank.len(), || None);
        for (path, mut file) in std::mem::take(&mut self.files) {
            let Some(&i) = rank.get(&(&*file as *const TrackedFile as usize)) else {
                continue;
            };
            let slots = match &mut file.reader {
                Reader::Cached {
                    facts,
                    slots_in_cache: false,
                    ..
                } => std::mem::take(&mut facts.usage_slots),
                _ => self.slots_of(&path, &file, &mut in_cache),
            };
            if let Some(row) = file.published.take() {
                out[i] = Some((row, slots));
            }
        }
        out.into_iter().flatten().collect()
    }

    /// The usage slots of one file: its facts', or for facts from the cache, the
    /// cache's (from `in_cache`, read ahead) when they belong to the same bytes. If the
    /// cache row changed since (another process saved newer facts), none: a report
    /// then counts the session's totals at its last activity, as for agents without
    /// slots.
    fn slots_of(
        &self,
        path: &Path,
        f: &TrackedFile,
        in_cache: &mut HashMap<PathBuf, (FileStamp, Vec<UsageSlot>)>,
    ) -> Vec<UsageSlot> {
        if !slots_in_cache(f) {
            return f.facts().usage_slots.clone();
        }
        match in_cache.remove(path) {
            Some((stamp, slots)) if Some(stamp) == f.stamp => slots,
            _ => Vec::new(),
        }
    }

    /// The row of the one session `wanted` names (its id, its key or the start of
    /// its id, as `transcript ID` takes them), found through the cache without
    /// scanning the other files: `None` unless the cache knows exactly one session by
    /// that name (one whose id is exactly `wanted` wins over ones it starts), under
    /// one of `roots`, whose file is unchanged since it was cached. The caller then
    /// scans everything, which also says what is ambiguous or missing. A file that
    /// appeared since the cache was last saved is not seen here, so a short id (under
    /// [`short_id::MIN_LEN`] characters) is never answered from the cache alone.
    ///
    /// [`short_id::MIN_LEN`]: crate::sessions::short_id::MIN_LEN
    pub fn cached_session(
        roots: &[HarnessRoot],
        cache: &IndexCache,
        wanted: &str,
        now: DateTime<Utc>,
    ) -> Option<Session> {
        use crate::sessions::short_id;
        let found = cache.find_ids(wanted, 64).ok()?;
        let exact: Vec<_> = found
            .iter()
            .filter(|f| {
                f.session_id == wanted || format!("{}:{}", f.harness, f.session_id) == wanted
            })
            .collect();
        let one = match (exact.as_slice(), found.as_slice()) {
            ([one], _) => *one,
            ([], [one]) if wanted.chars().count() >= short_id::MIN_LEN => one,
            _ => return None,
        };
        let root = roots
            .iter()
            .find(|r| r.harness == one.harness && one.path.starts_with(&r.path))?;
        if agents::agent(root.harness).source_kind() != SourceKind::Files {
            return None;
        }
        let mut index = SessionIndex::new(vec![root.clone()]);
        index
            .cached
            .insert(one.path.clone().into(), cache.load_one(&one.path)?);
        if !index.track(root.clone(), one.path.clone()) {
            return None; // changed since: read it with the rest
        }
        let row = index.publish(&one.path, &HashMap::new(), now)?;
        (row.id == one.session_id).then_some(row)
    }

    /// Write what changed since the last save to the cache (no-op without one).
    /// `true` when there is a cache and it now holds every file's facts.
    fn save_cache(&mut self) -> bool {
        let Some(cache) = self.cache.as_mut() else {
            return false;
        };
        let mut upserts: Vec<(PathBuf, CachedFile)> = Vec::new();
        let mut removed: Vec<PathBuf> = self.cached.drain().map(|(p, _)| p.into()).collect();
        for (path, f) in self.files.iter_mut() {
            if matches!(f.reader, Reader::Stored { .. }) {
                continue;
            }
            if f.gone {
                if f.saved.take().is_some() {
                    removed.push(path.clone());
                }
                if slots_in_cache(f) {
                    // Its slots go with its row: should the file come back (renamed
                    // back, restored), it is read again rather than saved without them.
                    f.stamp = None;
                }
                continue;
            }
            if f.stamp.is_some() && f.stamp != f.saved {
                let oversized_lines = f.oversized_lines();
                upserts.push((
                    path.clone(),
                    CachedFile {
                        harness: f.root.harness,
                        stamp: f.stamp.unwrap_or(FileStamp {
                            size: 0,
                            mtime_ns: 0,
                            inode: 0,
                        }),
                        oversized_lines,
                        session_id: row_id(f),
                        facts: f.facts().clone(),
                    },
                ));
                f.saved = f.stamp;
            }
        }
        let refs: Vec<(&Path, &CachedFile)> =
            upserts.iter().map(|(p, c)| (p.as_path(), c)).collect();
        if let Err(e) = cache.save(&refs, &removed) {
            self.read_errors
                .push(format!("{}: cache not saved: {e}", cache.path().display()));
            return false;
        }
        true
    }

    pub fn roots(&self) -> &[HarnessRoot] {
        &self.roots
    }

    pub fn with_rules(mut self, rules: StatusRules) -> Self {
        self.rules = rules;
        self
    }

    /// Every row once, borrowed, most recent activity first. One session may have two
    /// files (Codex moves a rollout to `archived_sessions/`): the live copy wins over
    /// the vanished one. What [`SessionIndex::sessions`] clones.
    pub fn rows(&self) -> Vec<&Session> {
        let mut rows = self.rows_unsorted();
        sort_rows(&mut rows);
        rows
    }

    /// [`SessionIndex::rows`] in no order: what counting needs, without sorting 100k
    /// rows after every change.
    fn rows_unsorted(&self) -> Vec<&Session> {
        let mut by_key: foldhash::HashMap<&str, &Session> =
            foldhash::HashMap::with_capacity_and_hasher(self.files.len(), Default::default());
        for row in self.files.values().filter_map(|f| f.published.as_ref()) {
            match by_key.get(row.key.as_str()) {
                Some(kept) if kept.gone <= row.gone => {}
                _ => {
                    by_key.insert(&row.key, row);
                }
            }
        }
        by_key.into_values().collect()
    }

    /// One row and the facts it was derived from ("Record this session" builds its
    /// record from them, so its tokens are the table's).
    pub fn session_with_facts(&self, key: &str) -> Option<(Session, TranscriptFacts)> {
        let row = self.rows().into_iter().find(|s| s.key == key)?;
        let (path, file) = self
            .files
            .iter()
            .find(|(_, f)| f.published.as_ref() == Some(row))?;
        let mut facts = file.facts().clone();
        if slots_in_cache(file) {
            let mut in_cache = match &self.cache {
                Some(cache) => cache.load_slots(Some(&[path.as_path()])),
                None => HashMap::new(),
            };
            facts.usage_slots = self.slots_of(path, file, &mut in_cache);
        }
        Some((row.clone(), facts))
    }

    /// Every row, most recent activity first.
    pub fn sessions(&self) -> Vec<Session> {
        self.rows().into_iter().cloned().collect()
    }

    /// The most recently active sessions in `status`, at most `limit` of them, without
    /// cloning the rest of the table.
    pub fn sessions_in(&self, status: crate::model::Status, limit: usize) -> Vec<Session> {
        // Only the rows in `status` are sorted (the tray asks after every change).
        let mut rows: Vec<&Session> = self
            .rows_unsorted()
            .into_iter()
            .filter(|s| s.status == status)
            .collect();
        sort_rows(&mut rows);
        rows.into_iter().take(limit).cloned().collect()
    }

    /// [`SessionIndex::counts`] and [`SessionIndex::sessions_in`] from one pass over the
    /// rows (the tray asks for both every second while sessions change).
    pub fn counts_and_in(
        &self,
        status: crate::model::Status,
        limit: usize,
    ) -> (SessionCounts, Vec<Session>) {
        let rows = self.rows_unsorted();
        let mut wanted: Vec<&Session> = rows
            .iter()
            .copied()
            .filter(|s| s.status == status)
            .collect();
        sort_rows(&mut wanted);
        let wanted = wanted.into_iter().take(limit).cloned().collect();
        (SessionCounts::of(rows), wanted)
    }

    /// Header counts, computed over borrowed rows in no order (this runs after every
    /// change).
    pub fn counts(&self) -> SessionCounts {
        SessionCounts::of(self.rows_unsorted())
    }

    /// Walk every root and read every transcript found (new bytes only for known ones).
    pub fn scan_all(&mut self, now: DateTime<Utc>) -> SessionChange {
        self.scan_all_reporting(now, true)
    }

    /// [`SessionIndex::scan_all`] for a caller that reads the rows afterwards and has
    /// no use for the change (the CLI): no copy of every row is made for it.
    pub fn scan_all_quietly(&mut self, now: DateTime<Utc>) {
        self.scan_all_reporting(now, false);
    }

    fn scan_all_reporting(&mut self, now: DateTime<Utc>, report: bool) -> SessionChange {
        use rayon::prelude::*;
        let roots = self.roots.clone();
        // The files of every root are read in one parallel batch (no core idles while
        // the last big file of one root is read alone), then published root by root.
        let mut found_per_root = Vec::new();
        // What must be read: all but the files just found unchanged in the cache (one
        // `stat` each, in `track`, and nothing more).
        let mut all: Vec<PathBuf> = Vec::new();
        let mut unchanged: Vec<(PathBuf, FileStamp)> = Vec::new();
        let mut new_files: Vec<(PathBuf, Box<TrackedFile>)> = Vec::new();
        // The roots are walked (in parallel, each file stat'ed as it is found when
        // there is a cache to check it against) while another thread reads the
        // cache's rows: at 100k files each is a few tenths of a second (issue 17).
        let stat = self.cache.is_some() || !self.cached.is_empty();
        let to_load = match self.cache_loaded {
            false => self.cache.take(),
            true => None,
        };
        let (walked, loaded) = std::thread::scope(|s| {
            let loading = to_load.map(|cache| {
                s.spawn(move || {
                    let rows = cache.load();
                    (cache, rows)
                })
            });
            let walked: Vec<(Vec<FoundFile>, Vec<String>)> = roots
                .par_iter()
                .map(|root| {
                    let mut errors = Vec::new();
                    let found = match agents::agent(root.harness).source_kind() {
                        SourceKind::Files => {
                            transcript_files_with(root, &root.path, &mut errors, stat)
                        }
                        SourceKind::Store => Vec::new(),
                    };
                    (found, errors)
                })
                .collect();
            (walked, loading.map(|h| h.join()))
        });
        match loaded {
            Some(Ok((cache, rows))) => {
                self.cache = Some(cache);
                self.cached = rows;
            }
            // The reading thread panicked: the cache went with it, so scan cold.
            Some(Err(_)) => self.read_errors.push("index cache: not read".to_string()),
            None => {}
        }
        self.cache_loaded = true;
        for (root, (found, errors)) in roots.iter().zip(walked) {
            self.read_errors.extend(errors);
            if agents::agent(root.harness).source_kind() == SourceKind::Files {
                let mut paths = Vec::with_capacity(found.len());
                for (path, meta) in found {
                    if self.files.contains_key(&path) {
                        all.push(path.clone());
                    } else {
                        let (file, cached) = self.tracked(root.clone(), &path, meta);
                        match (cached, file.stamp) {
                            (true, Some(stamp)) => unchanged.push((path.clone(), stamp)),
                            _ => all.push(path.clone()),
                        }
                        new_files.push((path.clone(), Box::new(file)));
                    }
                    paths.push(path);
                }
                found_per_root.push(paths);
            }
        }
        // Added at once: the walk found them in path order, so this is a merge, not
        // 100k searches of the tree (comparing paths by components is not cheap).
        // A path under two roots stays with the first.
        // The cache rows went to their files: what is left is the few unclaimed ones.
        self.cached.shrink_to_fit();
        new_files.sort_by(|a, b| a.0.cmp(&b.0));
        new_files.dedup_by(|later, first| later.0 == first.0);
        let mut new_files: BTreeMap<PathBuf, Box<TrackedFile>> = new_files.into_iter().collect();
        self.files.append(&mut new_files);
        if self.rows_read.is_some() {
            // The app: cached files go through the waves too (newest first, the first
            // wave small), so the window fills with today's sessions at once rather
            // than after one wave of every cached row (a stat each is all they cost).
            self.read_in_waves(&all, unchanged, now);
        } else {
            self.read_saving(&all);
        }
        let mut change = SessionChange::default();
        let mut found_per_root = found_per_root.into_iter();
        for root in &roots {
            match agents::agent(root.harness).source_kind() {
                SourceKind::Files => {
                    let found = found_per_root.next().unwrap_or_default();
                    if report {
                        change.merge(self.publish_files(&found, now));
                    } else {
                        self.publish_quietly(&found, now);
                    }
                }
                SourceKind::Store => {
                    let found = self.store_of(root).scan();
                    change.merge(self.apply_stored(root, found, now));
                }
            }
        }
        self.save_cache();
        change
    }

    /// The watcher reports these paths (files or directories) as changed.
    pub fn paths_changed(&mut self, paths: &[PathBuf], now: DateTime<Utc>) -> SessionChange {
        self.load_cached();
        // A new session's live-state entry is written before its transcript: read them
        // again so the new row is not taken for an ended one until the next tick.
        self.read_claims();
        let mut change = SessionChange::default();
        let mut store_paths: Vec<(HarnessRoot, Vec<PathBuf>)> = Vec::new();
        for path in paths {
            if let Some(root) = self
                .root_of(path)
                .filter(|r| agents::agent(r.harness).source_kind() == SourceKind::Store)
            {
                match store_paths.iter_mut().find(|(r, _)| *r == root) {
                    Some((_, list)) => list.push(path.clone()),
                    None => store_paths.push((root, vec![path.clone()])),
                }
                continue;
            }
            if path.is_dir() {
                if let Some(root) = self.root_of(path) {
                    change.merge(self.scan_dir(&root, path, now));
                }
                continue;
            }
            if self.files.contains_key(path) {
                change.merge(self.read_file(path, now));
                continue;
            }
            if let Some(root) = self.root_of(path) {
                if agents::agent(root.harness).is_transcript(&root.path, path) {
                    // A FIFO, socket or device named like a transcript is never
                    // tracked: reading it could block this thread for good.
                    let meta = std::fs::metadata(path);
                    if let Some(kind) = meta.as_ref().ok().and_then(agent_file::special_kind) {
                        let e = agent_file::NotRegular(kind);
                        self.read_errors.push(format!("{}: {e}", path.display()));
                        continue;
                    }
                    self.track(root, path.clone());
                    change.merge(self.read_file(path, now));
                    continue;
                }
            }
            // A removed directory: every tracked file under it may be gone.
            let under: Vec<PathBuf> = self
                .files
                .range(path.clone()..)
                .take_while(|(p, _)| p.starts_with(path))
                .map(|(p, _)| p.clone())
                .collect();
            for p in under {
                change.merge(self.read_file(&p, now));
            }
        }
        for (root, list) in store_paths {
            let found = self.store_of(&root).changed(&list);
            change.merge(self.apply_stored(&root, found, now));
        }
        if self.cache.is_some() {
            // Files seen only by this batch are not "unclaimed" cache rows: keep those.
            let unclaimed = std::mem::take(&mut self.cached);
            self.save_cache();
            self.cached = unclaimed;
        }
        change
    }

    /// Read the agents' live-state files again (a handful of small files).
    fn read_claims(&mut self) {
        let (mut claims, errors) = agent_state::read_claims(&self.roots);
        claims.extend(agent_state::read_log_claims(&self.roots, &self.processes));
        self.claims = claims;
        self.roots_with_state = self
            .roots
            .iter()
            .filter(|r| agent_state::state_dir(r).is_some_and(|d| d.is_dir()))
            .map(|r| r.path.clone())
            .collect();
        for e in errors {
            if !self.read_errors.contains(&e) {
                self.read_errors.push(e);
            }
        }
    }

    /// Re-infer every status with fresh process information and the current time.
    pub fn refresh_status(
        &mut self,
        processes: Vec<AgentProcess>,
        now: DateTime<Utc>,
    ) -> SessionChange {
        self.processes = processes;
        self.processes_seen_at = Some(now);
        self.read_claims();
        let mut change = SessionChange::default();
        let owners = self.process_owners();
        // Only time and processes moved: a row whose status and pid stay put has
        // nothing new (its facts were published when they were read). Finding the
        // others first keeps a tick over thousands of idle sessions cheap.
        // Walked in place (no lookup by path per file): a tick over 10 000 idle
        // files must stay cheap.
        let moved: Vec<PathBuf> = self
            .files
            .iter()
            .filter(|(path, file)| {
                let owner = if owners.is_empty() {
                    None
                } else {
                    owners.get(*path)
                };
                !self.status_unchanged(file, owner, now)
            })
            .map(|(path, _)| path.clone())
            .collect();
        for path in moved {
            if let Some(row) = self.publish(&path, &owners, now) {
                change.upserted.push(row);
            }
        }
        change
    }

    fn status_unchanged(
        &self,
        file: &TrackedFile,
        owner: Option<&Owner>,
        now: DateTime<Utc>,
    ) -> bool {
        let Some(old) = &file.published else {
            return false;
        };
        old.pid == owner.and_then(|o| o.pid)
            && old.ambiguous == owner.is_some_and(|o| o.ambiguous)
            && old.agent_name.as_deref() == owner.and_then(|o| o.name.as_deref())
            && old.status == self.infer_status(file, owner, now)
    }

    fn infer_status(
        &self,
        file: &TrackedFile,
        owner: Option<&Owner>,
        now: DateTime<Utc>,
    ) -> crate::model::Status {
        self.rules.infer(StatusInputs {
            turn: file.facts().turn,
            last_write: last_write(file),
            liveness: self.liveness(file, owner),
            activity: owner.and_then(|o| o.activity),
            errors_unrecorded: agents::agent(file.root.harness).errors_unrecorded(),
            running_command: owner.is_some_and(|o| o.running_command),
            now,
        })
    }

    /// What decides whether a session's process is still there (borrowed apart from
    /// the files, so a row is built with one lookup of its file).
    fn judge(&self) -> Judge<'_> {
        Judge {
            processes: &self.processes,
            seen_at: self.processes_seen_at,
            roots_with_state: &self.roots_with_state,
        }
    }

    fn liveness(&self, file: &TrackedFile, owner: Option<&Owner>) -> Liveness {
        self.judge().liveness(file, owner)
    }

    fn root_of(&self, path: &Path) -> Option<HarnessRoot> {
        self.roots
            .iter()
            .find(|r| path.starts_with(&r.path))
            .cloned()
    }

    fn store_of(&mut self, root: &HarnessRoot) -> &mut Box<dyn SessionStore> {
        self.stores.entry(root.path.clone()).or_insert_with(|| {
            agents::agent(root.harness)
                .store(&root.path)
                .expect("source_kind says this harness has a store")
        })
    }

    /// Take the sessions a store rebuilt into the table.
    fn apply_stored(
        &mut self,
        root: &HarnessRoot,
        found: Vec<StoredSession>,
        now: DateTime<Utc>,
    ) -> SessionChange {
        if let Some(store) = self.stores.get_mut(&root.path) {
            self.read_errors.extend(store.take_errors());
        }
        let mut keys = Vec::new();
        for s in found {
            // A store session is keyed by its id under the root, whatever its location.
            let key = root.path.join(format!("#{}", s.id));
            let entry = self.files.entry(key.clone()).or_insert_with(|| {
                Box::new(TrackedFile {
                    root: root.clone(),
                    id: s.id.clone(),
                    parent_id: None,
                    reader: Reader::Stored {
                        facts: TranscriptFacts::default(),
                    },
                    mtime: None,
                    gone: false,
                    published: None,
                    published_location: None,
                    stamp: None,
                    saved: None,
                    had_owner: false,
                })
            });
            entry.gone = s.gone;
            if !s.gone {
                entry.parent_id = s.parent_id;
                entry.reader = Reader::Stored { facts: s.facts };
                // A database's mtime is shared by all its sessions and says nothing
                // about one of them: store sessions go by their own timestamps.
                entry.mtime = None;
                entry.published_location = Some(s.location);
            }
            keys.push(key);
        }
        let owners = self.process_owners();
        let mut change = SessionChange::default();
        for key in keys {
            if let Some(row) = self.publish(&key, &owners, now) {
                change.upserted.push(row);
            }
        }
        change
    }

    /// Start tracking `path`; `true` when its cached facts are still good (it is
    /// unchanged since: the one `stat` that proves it also gave its mtime, so it needs
    /// no reading at all).
    fn track(&mut self, root: HarnessRoot, path: PathBuf) -> bool {
        let (file, unchanged) = self.tracked(root, &path, None);
        self.files.insert(path, Box::new(file));
        unchanged
    }

    /// The entry [`SessionIndex::track`] adds for `path` (and whether it is unchanged
    /// since cached), not yet added. `meta`: the file's metadata if the caller just
    /// took it (else it is taken here when the cache knows the file).
    fn tracked(
        &mut self,
        root: HarnessRoot,
        path: &Path,
        meta: Option<std::fs::Metadata>,
    ) -> (TrackedFile, bool) {
        let (id, parent_id) = agents::agent(root.harness).ids_from_path(path);
        let mut stamp = None;
        let mut mtime = None;
        let cached = self
            .cached
            .remove(path.as_os_str())
            .filter(|c| c.harness == root.harness);
        let meta = match (&cached, meta) {
            (None, _) => None,
            (Some(_), Some(meta)) => Some(meta),
            (Some(_), None) => std::fs::metadata(path).ok(),
        };
        let reader = match (cached, meta) {
            (Some(c), Some(meta)) if FileStamp::from_meta(&meta) == c.stamp => {
                stamp = Some(c.stamp);
                mtime = meta.modified().ok().map(DateTime::<Utc>::from);
                Reader::Cached {
                    facts: c.facts,
                    oversized_lines: c.oversized_lines,
                    slots_in_cache: true,
                }
            }
            _ => fresh_reader(root.harness, path),
        };
        let file = TrackedFile {
            root,
            id,
            parent_id,
            reader,
            mtime,
            gone: false,
            published: None,
            published_location: None,
            stamp,
            saved: stamp,
            had_owner: false,
        };
        (file, stamp.is_some())
    }

    fn scan_dir(&mut self, root: &HarnessRoot, dir: &Path, now: DateTime<Utc>) -> SessionChange {
        let found = transcript_files(root, dir, &mut self.read_errors);
        for path in &found {
            if !self.files.contains_key(path) {
                self.track(root.clone(), path.clone());
            }
        }
        self.read_files(&found, now)
    }

    /// Read the new bytes of one tracked file (or the whole file, for whole-file
    /// sessions) and publish its row if it changed.
    fn read_file(&mut self, path: &Path, now: DateTime<Utc>) -> SessionChange {
        let Some(file) = self.files.get_mut(path) else {
            return SessionChange::default();
        };
        if let Some(e) = refresh_source(path, file, self.parser_kept_for) {
            self.read_errors.push(e);
        }
        let owners = self.process_owners();
        let mut change = SessionChange::default();
        if let Some(row) = self.publish(path, &owners, now) {
            change.upserted.push(row);
        }
        change
    }

    /// Read many tracked files at once, spread over all cores (each file is read by
    /// one thread, files are independent), then publish their rows in path order.
    fn read_files(&mut self, paths: &[PathBuf], now: DateTime<Utc>) -> SessionChange {
        self.refresh_files(paths, None);
        self.publish_files(paths, now)
    }

    /// [`SessionIndex::scan_all`] with a rows callback: read the newest files first, a
    /// wave at a time, and hand over each wave's rows (they are published, so the
    /// change `scan_all` returns holds only what the waves did not).
    /// `cached`: files found unchanged since cached, with the stamp that says so (their
    /// size and mtime, so they are not stat'ed again here).
    fn read_in_waves(
        &mut self,
        paths: &[PathBuf],
        cached: Vec<(PathBuf, FileStamp)>,
        now: DateTime<Utc>,
    ) {
        let mut sized: Vec<(PathBuf, u64, Option<std::time::SystemTime>)> = paths
            .iter()
            .map(|p| {
                let meta = std::fs::metadata(p).ok();
                let len = meta.as_ref().map_or(0, |m| m.len());
                (p.clone(), len, meta.and_then(|m| m.modified().ok()))
            })
            .collect();
        sized.extend(cached.into_iter().map(|(p, stamp)| {
            let modified = std::time::UNIX_EPOCH
                .checked_add(std::time::Duration::from_nanos(stamp.mtime_ns.max(0) as u64));
            (p, stamp.size, modified)
        }));
        sized.sort_by_key(|(_, _, modified)| std::cmp::Reverse(*modified));
        let mut done = ScanProgress {
            files_done: 0,
            files_total: sized.len() as u64,
            bytes_done: 0,
            bytes_total: sized.iter().map(|(_, len, _)| len).sum(),
        };
        let wave_size = self
            .rows_read
            .as_ref()
            .map_or(WAVE_BYTES, |(_, size)| *size);
        let mut limit = FIRST_WAVE_BYTES.min(wave_size);
        let mut wave: Vec<PathBuf> = Vec::new();
        let mut wave_bytes = 0;
        let mut rest = sized.into_iter().peekable();
        while let Some((path, len, _)) = rest.next() {
            wave.push(path);
            wave_bytes += len;
            if wave_bytes < limit && rest.peek().is_some() {
                continue;
            }
            self.refresh_files(&wave, Some(done));
            done.files_done += wave.len() as u64;
            done.bytes_done += wave_bytes;
            let rows = self.publish_files(&wave, now).upserted;
            if let (Some((hand_over, _)), false) = (&self.rows_read, rows.is_empty()) {
                hand_over(rows);
            }
            wave.clear();
            wave_bytes = 0;
            limit = limit.saturating_mul(2).min(wave_size);
        }
    }

    /// [`SessionIndex::refresh_files`] over `paths`, [`SAVE_EVERY`] files at a time
    /// (biggest first), each slice's facts saved to the cache as soon as it is read;
    /// then the usage slots of the files that gave up their parser (the bulk of their
    /// facts) are left in the cache, not in memory, until `usage_rows` asks. So a
    /// first scan of 100k files holds one slice's worth of slots, not all of them.
    fn read_saving(&mut self, paths: &[PathBuf]) {
        if self.cache.is_none() {
            self.refresh_files(paths, None);
            return;
        }
        let mut sized: Vec<(u64, &PathBuf)> = paths
            .iter()
            .map(|p| (std::fs::metadata(p).map_or(0, |m| m.len()), p))
            .collect();
        sized.sort_by_key(|(size, _)| std::cmp::Reverse(*size));
        let mut done = ScanProgress {
            files_done: 0,
            files_total: sized.len() as u64,
            bytes_done: 0,
            bytes_total: sized.iter().map(|(size, _)| size).sum(),
        };
        for slice in sized.chunks(SAVE_EVERY) {
            let slice_paths: Vec<PathBuf> = slice.iter().map(|(_, p)| (*p).clone()).collect();
            self.refresh_files(&slice_paths, Some(done));
            done.files_done += slice.len() as u64;
            done.bytes_done += slice.iter().map(|(size, _)| size).sum::<u64>();
            if !self.save_cache() {
                continue; // not saved: the slots stay here
            }
            for path in &slice_paths {
                let Some(file) = self.files.get_mut(path) else {
                    continue;
                };
                if file.saved != file.stamp || file.saved.is_none() {
                    continue;
                }
                if let Reader::Cached {
                    facts,
                    slots_in_cache: in_cache @ false,
                    ..
                } = &mut file.reader
                {
                    facts.usage_slots = Vec::new();
                    *in_cache = true;
                }
            }
        }
    }

    /// Bring the facts of many tracked files up to date, spread over all cores (each
    /// file is read by one thread, files are independent, biggest first). `within`
    /// places this batch inside a larger scan for the progress reports (what was done
    /// before it, and the totals).
    fn refresh_files(&mut self, paths: &[PathBuf], within: Option<ScanProgress>) {
        use rayon::prelude::*;
        let mut sorted: Vec<&Path> = paths.iter().map(PathBuf::as_path).collect();
        sorted.sort();
        sorted.dedup();
        let work = entries_mut(&mut self.files, &sorted);
        let mut work: Vec<(u64, &PathBuf, &mut Box<TrackedFile>)> = work
            .into_iter()
            .map(|(_, p, f)| (std::fs::metadata(p).map(|m| m.len()).unwrap_or(0), p, f))
            .collect();
        // Biggest first, so one huge file does not start last and finish alone.
        work.sort_by_key(|(size, _, _)| std::cmp::Reverse(*size));
        let total = within.unwrap_or(ScanProgress {
            files_done: 0,
            files_total: work.len() as u64,
            bytes_done: 0,
            bytes_total: work.iter().map(|(size, _, _)| size).sum(),
        });
        let files_done = std::sync::atomic::AtomicU64::new(total.files_done);
        let bytes_done = std::sync::atomic::AtomicU64::new(total.bytes_done);
        let progress = self.progress.as_deref();
        if let Some(report) = progress {
            report(total);
        }
        let kept_for = self.parser_kept_for;
        let errors: Vec<String> = work
            .par_iter_mut()
            .filter_map(|(size, path, file)| {
                let error = refresh_source(path, file, kept_for);
                if let Some(report) = progress {
                    use std::sync::atomic::Ordering::Relaxed;
                    report(ScanProgress {
                        files_done: files_done.fetch_add(1, Relaxed) + 1,
                        bytes_done: bytes_done.fetch_add(*size, Relaxed) + *size,
                        ..total
                    });
                }
                error
            })
            .collect();
        self.read_errors.extend(errors);
    }

    /// Publish the rows of `paths`, in path order.
    fn publish_files(&mut self, paths: &[PathBuf], now: DateTime<Utc>) -> SessionChange {
        let mut change = SessionChange::default();
        for path in self.publish_quietly(paths, now) {
            change.upserted.extend(self.changed_row(path));
        }
        change
    }

    /// Publish the rows of `paths`; those whose row changed, in path order. The tree
    /// is walked once alongside the sorted paths, not searched for each (at 100k
    /// files, comparing paths component by component was a tenth of a warm start).
    fn publish_quietly<'p>(&mut self, paths: &'p [PathBuf], now: DateTime<Utc>) -> Vec<&'p Path> {
        let owners = self.process_owners();
        let mut sorted: Vec<&Path> = paths.iter().map(PathBuf::as_path).collect();
        if !sorted.is_sorted() {
            sorted.sort();
        }
        sorted.dedup();
        let mut changed = Vec::new();
        let judge = Judge {
            processes: &self.processes,
            seen_at: self.processes_seen_at,
            roots_with_state: &self.roots_with_state,
        };
        for (i, path, file) in entries_mut(&mut self.files, &sorted) {
            let owner = match owners.is_empty() {
                true => None,
                false => owners.get(path),
            };
            if publish_row(file, path, owner, now, &judge, &self.rules) {
                changed.push(sorted[i]);
            }
        }
        changed
    }

    /// Which process (or live-state claim) stands behind each session file; see
    /// [`owners`] for the rules.
    fn process_owners(&self) -> HashMap<PathBuf, Owner> {
        if self.processes.is_empty() && self.claims.is_empty() {
            return HashMap::new();
        }
        let candidates: Vec<Candidate> = self
            .files
            .iter()
            .filter(|(_, f)| !f.gone)
            .map(|(path, f)| {
                let facts = f.facts();
                Candidate {
                    path,
                    harness: f.root.harness,
                    session_id: facts.id.as_deref().unwrap_or(&f.id),
                    project: facts.project.as_deref(),
                    project_hash: facts.project_hash.as_deref(),
                    last_write: last_write(f),
                    is_subagent: f.parent_id.is_some(),
                }
            })
            .collect();
        owners::match_owners(
            &candidates,
            &self.processes,
            &self.claims,
            |harness, cwd| agents::agent(harness).project_hash(cwd),
            claimed_process_runs,
        )
    }

    /// The live-state directories of the roots (watched too, so an agent's exit is
    /// seen the moment its state file goes).
    pub fn state_dirs(&self) -> Vec<PathBuf> {
        let mut dirs: Vec<PathBuf> = self
            .roots
            .iter()
            .filter_map(agent_state::state_dir)
            .collect();
        dirs.sort();
        dirs.dedup();
        dirs
    }

    /// Build the row of `path`; return it when it differs from the published one.
    fn publish(
        &mut self,
        path: &Path,
        owners: &HashMap<PathBuf, Owner>,
        now: DateTime<Utc>,
    ) -> Option<Session> {
        let judge = Judge {
            processes: &self.processes,
            seen_at: self.processes_seen_at,
            roots_with_state: &self.roots_with_state,
        };
        let file = self.files.get_mut(path)?;
        if !publish_row(file, path, owners.get(path), now, &judge, &self.rules) {
            return None;
        }
        self.changed_row(path)
    }

    /// The row `path` just published, for a change: `None` when it is a vanished copy
    /// of a session that lives on in another file (not pushed).
    fn changed_row(&self, path: &Path) -> Option<Session> {
        let row = self.files.get(path)?.published.as_ref()?;
        if row.gone
            && self.files.iter().any(|(p, f)| {
                p != path && !f.gone && f.published.as_ref().is_some_and(|o| o.key == row.key)
            })
        {
            return None;
        }
        Some(row.clone())
    }
}

/// Most recent activity first. Keys are distinct in a table, so the order is total and
/// an unstable sort the same as a stable one.
fn sort_rows(rows: &mut [&Session]) {
    rows.sort_unstable_by(|a, b| {
        b.last_activity
            .cmp(&a.last_activity)
            .then(a.key.cmp(&b.key))
    });
}

/// The entries of `sorted` (in path order, no path twice) that `files` holds, each
/// with its place in `sorted`, found by walking the tree once alongside them rather
/// than searching it for each (at 100k files, comparing paths component by component
/// was a tenth of a warm start).
fn entries_mut<'f>(
    files: &'f mut BTreeMap<PathBuf, Box<TrackedFile>>,
    sorted: &[&Path],
) -> Vec<(usize, &'f PathBuf, &'f mut Box<TrackedFile>)> {
    use std::ops::Bound;
    let mut out = Vec::with_capacity(sorted.len());
    let Some(&first) = sorted.first() else {
        return out;
    };
    let mut files = files
        .range_mut::<Path, _>((Bound::Included(first), Bound::Unbounded))
        .peekable();
    for (i, &path) in sorted.iter().enumerate() {
        while files.next_if(|(p, _)| p.as_path() < path).is_some() {}
        if let Some((p, f)) = files.next_if(|(p, _)| p.as_path() == path) {
            out.push((i, p, f));
        }
    }
    out
}

/// Build the row of `file` (at `path`) and publish it; `true` when it differs from the
/// one published before.
fn publish_row(
    file: &mut TrackedFile,
    path: &Path,
    owner: Option<&Owner>,
    now: DateTime<Utc>,
    judge: &Judge,
    rules: &StatusRules,
) -> bool {
    let liveness = judge.liveness(file, owner);
    let status = rules.infer(StatusInputs {
        turn: file.facts().turn,
        last_write: last_write(file),
        liveness,
        activity: owner.and_then(|o| o.activity),
        errors_unrecorded: agents::agent(file.root.harness).errors_unrecorded(),
        running_command: owner.is_some_and(|o| o.running_command),
        now,
    });
    file.had_owner |= owner.is_some();
    let facts = file.facts();
    let pid = owner.and_then(|o| o.pid);
    // Gemini links sub-agents by the parent's *session id*, which only the records
    // carry (the file name holds 8 of its characters).
    let id = row_id(file);
    let parent_id = file.parent_id.clone().or_else(|| facts.parent_id.clone());
    let status_since = match &file.published {
        Some(old) if old.status == status => old.status_since,
        _ => last_write(file).or(Some(now)),
    };
    let row = Session {
        key: format!("{}:{}", file.root.harness.as_str(), id),
        id,
        harness: file.root.harness,
        title: facts.title.clone(),
        project: facts.project.clone(),
        git_branch: facts.git_branch.clone(),
        model: facts.model.clone(),
        models: facts.models.clone(),
        started_at: facts.started_at,
        last_activity: facts.last_activity.or(file.mtime),
        status_since,
        user_messages: facts.user_messages,
        assistant_messages: facts.assistant_messages,
        tool_calls: facts.tool_calls,
        tool_errors: facts.tool_errors,
        usage: facts.usage,
        cost_usd: facts.cost_usd,
        price_unknown: facts.cost_usd.is_none() && facts.usage.total() > 0,
        parse_errors: facts.parse_errors + file.oversized_lines(),
        status,
        pid,
        ambiguous: owner.is_some_and(|o| o.ambiguous),
        agent_name: owner.and_then(|o| o.name.clone()),
        agent_version: facts.agent_version.clone(),
        unknown_records: facts.unknown.clone(),
        path: file
            .published_location
            .as_deref()
            .unwrap_or(path)
            .to_string_lossy()
            .into_owned(),
        gone: file.gone,
        parent_id,
    };
    if file.published.as_ref() == Some(&row) {
        return false;
    }
    file.published = Some(row);
    true
}

/// The process facts of the last status refresh, borrowed from a [`SessionIndex`].
struct Judge<'a> {
    processes: &'a [AgentProcess],
    /// When `processes` was scanned; `None` before the first scan.
    seen_at: Option<DateTime<Utc>>,
    roots_with_state: &'a [PathBuf],
}

impl Judge<'_> {
    /// Alive while something stands behind the session. Exited once that is gone, at
    /// once when the agent keeps live state for every running session and has none
    /// for this one, or when no process that could write the session runs (see
    /// [`Judge::no_possible_writer`]).
    fn liveness(&self, file: &TrackedFile, owner: Option<&Owner>) -> Liveness {
        if owner.is_some() {
            return Liveness::Alive;
        }
        let vouched = || {
            file.parent_id.is_none()
                && agent_state::keeps_live_state(
                    file.root.harness,
                    file.facts().agent_version.as_deref(),
                )
                && self.roots_with_state.contains(&file.root.path)
        };
        if file.had_owner || vouched() || self.no_possible_writer(file) {
            Liveness::Exited
        } else {
            Liveness::NotFound
        }
    }

    /// Is it certain that no running process writes this session? Only where the
    /// process scan sees every agent's working directory (Linux), only for a session
    /// last written [`SCAN_MARGIN`] before the last scan (a process that started since
    /// is not in it), and only when no process of its agent works in, above or below
    /// the session's project, or in a directory that cannot be read. So a Gemini,
    /// opencode, Copilot or gptme session, which leaves nothing behind that goes when
    /// its process exits, is Ended the moment its process is gone, instead of after its
    /// file has been quiet for [`StatusRules::ended_after`] — which stays the rule for
    /// a process this scan cannot see (another user's, another OS).
    fn no_possible_writer(&self, file: &TrackedFile) -> bool {
        if !cfg!(target_os = "linux") {
            return false;
        }
        let (Some(seen), Some(written)) = (self.seen_at, last_write(file)) else {
            return false;
        };
        if written > seen - SCAN_MARGIN {
            return false;
        }
        let facts = file.facts();
        let project = facts.project.as_deref().map(Path::new);
        let hash = facts.project_hash.as_deref();
        let agent = agents::agent(file.root.harness);
        !self
            .processes
            .iter()
            .filter(|p| p.harness == file.root.harness)
            .any(|p| match (p.cwd.as_deref(), project, hash) {
                (None, _, _) => true,
                (Some(cwd), Some(project), _) => {
                    cwd.starts_with(project) || project.starts_with(cwd)
                }
                (Some(cwd), None, Some(hash)) => cwd
                    .ancestors()
                    .any(|d| agent.project_hash(d).as_deref() == Some(hash)),
                (Some(_), None, None) => true,
            })
    }
}

/// Every transcript file of `root` below `dir` (transcripts are at most a few levels
/// deep). Unreadable directories are noted in `errors`; missing ones are just empty.
pub fn transcript_files(root: &HarnessRoot, dir: &Path, errors: &mut Vec<String>) -> Vec<PathBuf> {
    transcript_files_with(root, dir, errors, false)
        .into_iter()
        .map(|(path, _)| path)
        .collect()
}

/// A transcript file found by a walk, with its metadata when it was asked for.
type FoundFile = (PathBuf, Option<std::fs::Metadata>);

/// [`transcript_files`], each with its metadata when `stat` (what a file's cached
/// facts are checked against): taken through the directory the walk has open
/// (`fstatat` of a name, not a lookup of the whole path: a warm start stats 100k
/// files), and following a symlink as a read would. `None` when it cannot be taken.
/// The entries of each directory are looked at in parallel (both cores stat), and
/// come out in path order all the same.
fn transcript_files_with(
    root: &HarnessRoot,
    dir: &Path,
    errors: &mut Vec<String>,
    stat: bool,
) -> Vec<FoundFile> {
    /// What one directory entry gave.
    enum Found {
        File(FoundFile),
        Dir(Vec<FoundFile>, Vec<String>),
        Error(String),
        Nothing,
    }
    fn entry(root: &HarnessRoot, entry: &std::fs::DirEntry, depth: usize, stat: bool) -> Found {
        const MAX_DEPTH: usize = 6;
        let path = entry.path();
        let Ok(kind) = entry.file_type() else {
            return Found::Nothing;
        };
        if kind.is_dir() && depth < MAX_DEPTH {
            let mut errors = Vec::new();
            let found = walk(root, &path, depth + 1, stat, &mut errors);
            return Found::Dir(found, errors);
        }
        if kind.is_dir() || !agents::agent(root.harness).is_transcript(&root.path, &path) {
            return Found::Nothing;
        }
        if kind.is_file() {
            let meta = stat.then(|| entry.metadata().ok()).flatten();
            return Found::File((path, meta));
        }
        // A symlink (followed: to a transcript it counts), a FIFO, a socket or a
        // device: the last three are skipped and said so.
        match std::fs::metadata(&path) {
            Ok(meta) => match agent_file::special_kind(&meta) {
                None => Found::File((path, stat.then_some(meta))),
                Some(kind) => Found::Error(format!(
                    "{}: {}",
                    path.display(),
                    agent_file::NotRegular(kind)
                )),
            },
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Found::Nothing, // dangling
            Err(e) => Found::Error(format!("{}: {e}", path.display())),
        }
    }
    fn walk(
        root: &HarnessRoot,
        dir: &Path,
        depth: usize,
        stat: bool,
        errors: &mut Vec<String>,
    ) -> Vec<FoundFile> {
        use rayon::prelude::*;
        let entries = match std::fs::read_dir(dir) {
            Ok(e) => e,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Vec::new(),
            Err(e) => {
                errors.push(format!("{}: {e}", dir.display()));
                return Vec::new();
            }
        };
        // In name order, so the files come out in path order (see `scan_all`).
        let mut entries: Vec<(std::ffi::OsString, std::fs::DirEntry)> =
            entries.flatten().map(|e| (e.file_name(), e)).collect();
        entries.sort_unstable_by(|a, b| a.0.cmp(&b.0));
        let found: Vec<Found> = entries
            .par_iter()
            .with_min_len(64)
            .map(|(_, e)| entry(root, e, depth, stat))
            .collect();
        let mut out = Vec::with_capacity(found.len());
        for f in found {
            match f {
                Found::File(file) => out.push(file),
                Found::Dir(files, errs) => {
                    out.extend(files);
                    errors.extend(errs);
                }
                Found::Error(e) => errors.push(e),
                Found::Nothing => {}
            }
        }
        out
    }
    walk(root, dir, 0, stat, errors)
}

/// Bring one file's facts up to date from disk (new bytes of a line file, the whole of
/// a rewritten file) and note its mtime and whether it is gone. Touches nothing but
/// `file`, so many files can be refreshed in parallel. Returns a read error worth
/// reporting ("not found" is not one: the file is just gone).
fn refresh_source(
    path: &Path,
    file: &mut TrackedFile,
    parser_kept_for: std::time::Duration,
) -> Option<String> {
    let harness = file.root.harness;
    let mut error = None;
    if matches!(file.reader, Reader::Stored { .. }) {
        return None;
    }
    // Stat before reading: if the file grows while it is read, the saved stamp is
    // older than the bytes and the next start reads it again rather than trusting it.
    // A line file's stamp and mtime come from the open file itself, taken before its
    // first byte is read (no `stat` of the path: at 100k files, looking paths up was
    // a tenth of a cold scan).
    let lines = matches!(file.reader, Reader::Lines { .. });
    let mut before = match lines {
        true => None,
        false => FileStamp::of(path),
    };
    let mut opened: Option<std::fs::Metadata> = None;
    if let Reader::Cached { .. } = file.reader {
        match before {
            None => {
                file.gone = true;
                return None;
            }
            Some(now) if Some(now) == file.stamp => {
                file.gone = false;
                file.mtime = Some(DateTime::from_timestamp_nanos(now.mtime_ns));
                return None;
            }
            Some(_) => file.reader = fresh_reader(harness, path),
        }
    }
    match &mut file.reader {
        Reader::Lines { cursor, parser } => {
            match cursor.read_new_with_meta(|line| parser.apply_line(line)) {
                Ok((TailEvent::Gone, _)) => file.gone = true,
                Ok((TailEvent::Reset, _)) => {
                    // Start over: rebuild the facts from the lines just read again.
                    file.gone = false;
                    let mut fresh = agents::agent(harness).parser(path);
                    let mut again = TailCursor::new(path);
                    opened = again
                        .read_new_with_meta(|line| fresh.apply_line(line))
                        .ok()
                        .and_then(|(_, meta)| meta);
                    *parser = fresh;
                    *cursor = again;
                }
                Ok((TailEvent::Appended, meta)) => {
                    file.gone = false;
                    opened = meta;
                }
                Err(e) => error = Some(e),
            }
        }
        Reader::Cached { .. } => {}
        Reader::Whole { facts, stamp } => match std::fs::metadata(path) {
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => file.gone = true,
            Err(e) => error = Some(e),
            Ok(meta) => {
                file.gone = false;
                let now_stamp = meta.modified().ok().map(|m| (meta.len(), m));
                if now_stamp.is_none() || *stamp != now_stamp {
                    match agents::agent(harness)
                        .read_whole_file(path, crate::agent_file::MAX_WHOLE_FILE_BYTES)
                    {
                        Ok(read) => {
                            *facts = read;
                            *stamp = now_stamp;
                        }
                        Err(e) if e.kind() == std::io::ErrorKind::NotFound => file.gone = true,
                        Err(e) => error = Some(e),
                    }
                }
            }
        },
        Reader::Stored { .. } => {}
    }
    if let Some(meta) = &opened {
        before = before.or(Some(FileStamp::from_meta(meta)));
    } else if lines && !file.gone {
        // Not read (an error): stamped from the path as before.
        before = FileStamp::of(path);
    }
    file.stamp = match (&file.reader, before) {
        // What was consumed, not what the file has now: see the stat above.
        (Reader::Lines { cursor, .. }, Some(b)) => Some(FileStamp {
            size: cursor.offset(),
            ..b
        }),
        (Reader::Whole { .. }, b) => b,
        _ => None,
    };
    if !file.gone {
        file.mtime = match &opened {
            Some(meta) => meta.modified().ok().map(DateTime::<Utc>::from),
            None => mtime_of(path),
        };
    }
    if let Some(before) = before {
        drop_idle_parser(file, before, parser_kept_for);
    }
    error.map(|e| format!("{}: {e}", path.display()))
}

/// The id a file's row shows: the one its records give for agents whose file names
/// hold only part of it (Gemini links sub-agents by the parent's *session id*, which
/// only the records carry), else the one from its path.
fn row_id(file: &TrackedFile) -> String {
    match file.facts().id.as_deref() {
        Some(record_id) if agents::agent(file.root.harness).id_from_records() => {
            record_id.to_string()
        }
        _ => file.id.clone(),
    }
}

/// Were this file's facts loaded from the cache without their usage slots?
fn slots_in_cache(file: &TrackedFile) -> bool {
    matches!(
        file.reader,
        Reader::Cached {
            slots_in_cache: true,
            ..
        }
    )
}

/// A line file read to its end (`before`: its stamp when the read began) and quiet
/// for `kept_for` ([`PARSER_KEPT_FOR`], or zero: at once, whatever its mtime) gives up
/// its parser for its facts (see [`Reader::Cached`]).
fn drop_idle_parser(file: &mut TrackedFile, before: FileStamp, kept_for: std::time::Duration) {
    let Reader::Lines { cursor, parser } = &file.reader else {
        return;
    };
    let written =
        std::time::UNIX_EPOCH + std::time::Duration::from_nanos(before.mtime_ns.max(0) as u64);
    let quiet = kept_for.is_zero()
        || SystemTime::now()
            .duration_since(written)
            .is_ok_and(|d| d >= kept_for);
    if quiet && !file.gone && before.size == cursor.offset() {
        // A copy, not the parser's own facts: a copy's lists and strings are allocated
        // to their length (at 100k files, the growth room of the moved ones was 28 MiB).
        file.reader = Reader::Cached {
            facts: parser.facts().clone(),
            oversized_lines: cursor.oversized_lines() as u32,
            slots_in_cache: false,
        };
    }
}

fn mtime_of(path: &Path) -> Option<DateTime<Utc>> {
    std::fs::metadata(path)
        .and_then(|m| m.modified())
        .ok()
        .map(DateTime::<Utc>::from)
}

/// A reader that will read `path` from byte 0.
fn fresh_reader(harness: crate::model::Harness, path: &Path) -> Reader {
    match agents::agent(harness).file_mode(path) {
        FileMode::Lines => Reader::Lines {
            cursor: TailCursor::new(path),
            parser: agents::agent(harness).parser(path),
        },
        FileMode::WholeFile => Reader::Whole {
            facts: TranscriptFacts::default(),
            stamp: None,
        },
    }
}

/// How long before a process scan a session must have been last written for that scan
/// to prove its process gone: the scan's time is taken around it, not inside it.
const SCAN_MARGIN: chrono::Duration = chrono::Duration::milliseconds(500);

/// Is the process a live-state file names (and not yet in a process scan) running?
/// Where start ticks can be read they must match the claim's, so a file left behind
/// by a killed process does not make a reused pid its owner.
fn claimed_process_runs(pid: u32, proc_start: Option<u64>) -> bool {
    match (proc_start, crate::procs::start_ticks(pid)) {
        (Some(claimed), Some(actual)) => claimed == actual && crate::procs::is_alive(pid),
        _ => crate::procs::is_alive(pid),
    }
}

fn last_write(file: &TrackedFile) -> Option<DateTime<Utc>> {
    let facts = file.facts();
    match (facts.last_activity, file.mtime) {
        (Some(a), Some(b)) => Some(a.max(b)),
        (a, b) => a.or(b),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{Harness, Status};
    use std::io::Write;

    const PROMPT: &str = r#"{"type":"user","sessionId":"abc","timestamp":"2026-01-05T10:00:00.000Z","cwd":"/w/p","message":{"role":"user","content":"hello"}}"#;
    const ANSWER: &str = r#"{"type":"assistant","sessionId":"abc","timestamp":"2026-01-05T10:00:02.000Z","requestId":"r","message":{"id":"m","model":"claude-sonnet-4-5","stop_reason":"end_turn","content":[{"type":"text","text":"hi"}],"usage":{"input_tokens":5,"output_tokens":2}}}"#;

    fn setup() -> (tempfile::TempDir, SessionIndex, PathBuf) {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path().join("projects");
        std::fs::create_dir_all(root.join("-w-p")).unwrap();
        let idx = SessionIndex::new(vec![HarnessRoot {
            harness: Harness::ClaudeCode,
            path: root.clone(),
        }]);
        let file = root.join("-w-p").join("abc.jsonl");
        (dir, idx, file)
    }

    fn append(path: &Path, line: &str) {
        let mut f = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(path)
            .unwrap();
        writeln!(f, "{line}").unwrap();
    }

    #[test]
    fn counts_and_waiting_rows_from_one_pass_are_those_of_two() {
        let (_d, mut idx, file) = setup();
        let dir = file.parent().unwrap().to_path_buf();
        // Prompts only (a turn open) and answered ones, a minute apart.
        for i in 0..7 {
            let path = dir.join(format!("w{i}.jsonl"));
            let ts = format!("2026-01-05T10:0{i}:00.000Z");
            append(
                &path,
                &PROMPT
                    .replace("\"abc\"", &format!("\"w{i}\""))
                    .replace("2026-01-05T10:00:00.000Z", &ts),
            );
            if i % 2 == 0 {
                append(
                    &path,
                    &ANSWER
                        .replace("\"abc\"", &format!("\"w{i}\""))
                        .replace("2026-01-05T10:00:02.000Z", &ts),
                );
            }
        }
        idx.scan_all(Utc::now());
        let statuses: std::collections::HashSet<Status> =
            idx.sessions().iter().map(|s| s.status).collect();
        for status in statuses {
            for limit in [0, 2, 10] {
                let (counts, rows) = idx.counts_and_in(status, limit);
                assert_eq!(counts, idx.counts());
                assert_eq!(rows, idx.sessions_in(status, limit), "{status:?} {limit}");
            }
        }
        assert_eq!(idx.counts().total, 7);
    }

    #[test]
    fn a_first_scan_hands_over_rows_in_waves_newest_file_first() {
        let (_d, mut idx, file) = setup();
        let dir = file.parent().unwrap().to_path_buf();
        // Five sessions written one after another: e0 oldest, e4 newest.
        let t0 = SystemTime::now() - std::time::Duration::from_secs(3600);
        for i in 0..5 {
            let path = dir.join(format!("e{i}.jsonl"));
            append(&path, &PROMPT.replace("\"abc\"", &format!("\"e{i}\"")));
            let f = std::fs::File::options().write(true).open(&path).unwrap();
            f.set_modified(t0 + std::time::Duration::from_secs(60 * i))
                .unwrap();
        }
        let waves = std::sync::Arc::new(std::sync::Mutex::new(Vec::<Vec<String>>::new()));
        let seen = waves.clone();
        // Each prompt line is ~150 bytes: a wave of 300 bytes holds two files.
        idx.set_rows_read(
            Box::new(move |rows| {
                seen.lock()
                    .unwrap()
                    .push(rows.into_iter().map(|r| r.id).collect());
            }),
            300,
        );
        idx.scan_all(Utc::now());
        let waves = waves.lock().unwrap().clone();
        assert!(waves.len() >= 2, "more than one wave: {waves:?}");
        assert!(
            waves[0].contains(&"e4".to_string()),
            "newest first: {waves:?}"
        );
        assert!(
            waves.last().unwrap().contains(&"e0".to_string()),
            "{waves:?}"
        );
        let mut all: Vec<String> = waves.concat();
        all.sort();
        assert_eq!(all, ["e0", "e1", "e2", "e3", "e4"]);
        // The table holds every row, as after a scan without waves.
        assert_eq!(idx.sessions().len(), 5);
    }

    #[test]
    fn a_warm_start_hands_over_cached_rows_in_waves_newest_first_too() {
        let (d, idx, file) = setup();
        let roots = idx.roots().to_vec();
        let dir = file.parent().unwrap().to_path_buf();
        let t0 = SystemTime::now() - std::time::Duration::from_secs(3600);
        for i in 0..5 {
            let path = dir.join(format!("e{i}.jsonl"));
            append(&path, &PROMPT.replace("\"abc\"", &format!("\"e{i}\"")));
            let f = std::fs::File::options().write(true).open(&path).unwrap();
            f.set_modified(t0 + std::time::Duration::from_secs(60 * i))
                .unwrap();
        }
        let db = d.path().join("cache.sqlite3");
        SessionIndex::new(roots.clone())
            .with_cache(IndexCache::open(&db).unwrap())
            .scan_all(Utc::now());
        let mut idx = SessionIndex::new(roots).with_cache(IndexCache::open(&db).unwrap());
        let waves = std::sync::Arc::new(std::sync::Mutex::new(Vec::<Vec<String>>::new()));
        let seen = waves.clone();
        idx.set_rows_read(
            Box::new(move |rows| {
                seen.lock()
                    .unwrap()
                    .push(rows.into_iter().map(|r| r.id).collect());
            }),
            300,
        );
        idx.scan_all(Utc::now());
        assert!(idx
            .files
            .values()
            .all(|f| matches!(f.reader, Reader::Cached { .. })));
        let waves = waves.lock().unwrap().clone();
        assert!(
            waves.len() >= 2,
            "not one wave of every cached row: {waves:?}"
        );
        assert!(
            waves[0].contains(&"e4".to_string()),
            "newest first: {waves:?}"
        );
        assert_eq!(waves.concat().len(), 5);
    }

    #[test]
    fn first_scan_waves_start_at_one_megabyte_and_double() {
        let (_d, mut idx, file) = setup();
        let dir = file.parent().unwrap().to_path_buf();
        // Five sessions of ~700 KB each (one long prompt), e0 oldest, e4 newest.
        let long = "x".repeat(700 << 10);
        let t0 = SystemTime::now() - std::time::Duration::from_secs(3600);
        for i in 0..5 {
            let path = dir.join(format!("e{i}.jsonl"));
            let line = PROMPT
                .replace("\"abc\"", &format!("\"e{i}\""))
                .replace("\"hello\"", &format!("\"{long}\""));
            append(&path, &line);
            let f = std::fs::File::options().write(true).open(&path).unwrap();
            f.set_modified(t0 + std::time::Duration::from_secs(60 * i))
                .unwrap();
        }
        let waves = std::sync::Arc::new(std::sync::Mutex::new(Vec::<Vec<String>>::new()));
        let seen = waves.clone();
        idx.set_rows_read(
            Box::new(move |rows| {
                let mut ids: Vec<String> = rows.into_iter().map(|r| r.id).collect();
                ids.sort();
                seen.lock().unwrap().push(ids);
            }),
            WAVE_BYTES,
        );
        idx.scan_all(Utc::now());
        // 1 MB: the two newest (1.4 MB); then 2 MB: the other three (2.1 MB).
        assert_eq!(
            *waves.lock().unwrap(),
            [vec!["e3", "e4"], vec!["e0", "e1", "e2"]]
        );
    }

    #[test]
    fn scan_then_append_publishes_only_the_changed_row() {
        let (_d, mut idx, file) = setup();
        append(&file, PROMPT);
        let now = Utc::now();
        let c = idx.scan_all(now);
        assert_eq!(c.upserted.len(), 1);
        assert_eq!(c.upserted[0].key, "claude-code:abc");
        assert_eq!(c.upserted[0].message_count(), 1);
        assert_eq!(c.upserted[0].status, Status::Generating);
        // Nothing changed: nothing published.
        assert!(idx
            .paths_changed(std::slice::from_ref(&file), now)
            .is_empty());
        append(&file, ANSWER);
        let c = idx.paths_changed(std::slice::from_ref(&file), now);
        assert_eq!(c.upserted.len(), 1);
        assert_eq!(c.upserted[0].message_count(), 2);
        assert_eq!(c.upserted[0].usage.input_tokens, 5);
        assert_eq!(c.upserted[0].model.as_deref(), Some("claude-sonnet-4-5"));
    }

    /// Issue 20: a FIFO (or a symlink to one, or a socket) named like a transcript,
    /// appearing while the app runs, is skipped and reported at once; it never blocks
    /// the thread that holds the index. Same for a tracked file replaced by a FIFO,
    /// and for the cold scan.
    #[cfg(unix)]
    #[test]
    fn the_parallel_walk_lists_files_in_path_order_with_their_stat_and_errors() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path().join("projects");
        let mut want = Vec::new();
        // Names around the separator ('-' and '.' sort before '/' as bytes, after it
        // as components), and folders big enough to be split between threads.
        for project in ["-a", "-a-b", "-a.b", "-ab", "-b"] {
            let d = root.join(project);
            std::fs::create_dir_all(d.join("s1/subagents")).unwrap();
            for i in 0..150 {
                let p = d.join(format!("s{i}.jsonl"));
                std::fs::write(&p, format!("{i}\n")).unwrap();
                want.push(p);
            }
            let sub = d.join("s1/subagents/agent-x.jsonl");
            std::fs::write(&sub, "x\n").unwrap();
            want.push(sub);
            std::fs::write(d.join("notes.txt"), "not a transcript").unwrap();
        }
        let fifo = root.join("-b/fifo.jsonl");
        crate::agent_file::tests::mkfifo(&fifo);
        want.sort();
        let r = HarnessRoot {
            harness: Harness::ClaudeCode,
            path: root.clone(),
        };
        let mut errors = Vec::new();
        let found = transcript_files_with(&r, &root, &mut errors, true);
        let paths: Vec<PathBuf> = found.iter().map(|(p, _)| p.clone()).collect();
        assert_eq!(paths, want);
        for (p, meta) in &found {
            let size = std::fs::metadata(p).unwrap().len();
            assert_eq!(
                meta.as_ref().map(|m| m.len()),
                Some(size),
                "{}",
                p.display()
            );
        }
        assert_eq!(
            errors,
            [format!(
                "{}: skipped: a FIFO, not a regular file",
                fifo.display()
            )]
        );
        let mut errors = Vec::new();
        let bare = transcript_files_with(&r, &root, &mut errors, false);
        assert!(bare.iter().all(|(_, meta)| meta.is_none()));
        assert_eq!(bare.len(), want.len());
    }

    #[cfg(unix)]
    #[test]
    fn fifos_and_sockets_named_like_transcripts_are_skipped_and_reported() {
        let (_d, mut idx, file) = setup();
        append(&file, PROMPT);
        idx.scan_all(Utc::now());
        let dir = file.parent().unwrap();
        let fifo = dir.join("fifo.jsonl");
        crate::agent_file::tests::mkfifo(&fifo);
        let link = dir.join("link.jsonl");
        std::os::unix::fs::symlink(&fifo, &link).unwrap();
        let sock = dir.join("sock.jsonl");
        let _listener = std::os::unix::net::UnixListener::bind(&sock).unwrap();
        let (tx, rx) = std::sync::mpsc::channel();
        let changed = vec![fifo.clone(), link.clone(), sock.clone()];
        std::thread::spawn(move || {
            let change = idx.paths_changed(&changed, Utc::now());
            let _ = tx.send((idx, change));
        });
        let (mut idx, change) = rx
            .recv_timeout(std::time::Duration::from_secs(1))
            .expect("the change is handled within 1 s, not blocked on the FIFO");
        assert!(change.is_empty());
        assert_eq!(idx.sessions().len(), 1);
        for (p, kind) in [(&fifo, "a FIFO"), (&link, "a FIFO"), (&sock, "a socket")] {
            let said = format!("{}: skipped: {kind}, not a regular file", p.display());
            assert!(
                idx.read_errors.contains(&said),
                "{said} in {:?}",
                idx.read_errors
            );
        }
        // The transcript itself is swapped for a FIFO: an error, not a hang.
        idx.read_errors.clear();
        std::fs::remove_file(&file).unwrap();
        crate::agent_file::tests::mkfifo(&file);
        let (tx, rx) = std::sync::mpsc::channel();
        let path = file.clone();
        std::thread::spawn(move || {
            idx.paths_changed(&[path], Utc::now());
            let _ = tx.send(idx);
        });
        let idx = rx.recv_timeout(std::time::Duration::from_secs(1)).unwrap();
        assert!(
            idx.read_errors.iter().any(|e| e.contains("a FIFO")),
            "{:?}",
            idx.read_errors
        );
        // A cold scan reports them too, and reads the rest.
        let mut cold = SessionIndex::new(idx.roots().to_vec());
        append(&dir.join("other.jsonl"), PROMPT);
        cold.scan_all(Utc::now());
        assert_eq!(cold.sessions().len(), 1);
        assert_eq!(
            cold.read_errors
                .iter()
                .filter(|e| e.contains("a FIFO"))
                .count(),
            3,
            "{:?}",
            cold.read_errors
        );
    }

    #[test]
    fn a_row_is_recorded_once_with_the_tables_tokens_and_the_transcripts_times() {
        use crate::records::post_session::{record_seen_session, Recorded};
        let (d, mut idx, file) = setup();
        append(&file, PROMPT);
        append(&file, ANSWER);
        idx.scan_all(Utc::now());
        assert!(idx.session_with_facts("claude-code:nope").is_none());
        let (row, facts) = idx.session_with_facts("claude-code:abc").unwrap();
        let store = crate::records::Store::new(d.path().join("store"));
        let Recorded::Added(r) = record_seen_session(&store, &row, &facts, Utc::now()).unwrap()
        else {
            panic!("first click must add a record");
        };
        assert_eq!(r.harness.as_deref(), Some("claude-code"));
        assert_eq!(r.trajectory_path.as_deref(), file.to_str());
        assert_eq!(r.model.as_deref(), Some("claude-sonnet-4-5"));
        assert_eq!(r.token_count, Some(row.usage.total() as i64));
        assert_eq!(r.exit_code, Some(0));
        // Nothing produced in a 2-second chat: post-session calls that a noop, and
        // gptme-sessions grades a session without a tool call 0.10.
        assert_eq!(r.outcome.as_deref(), Some("noop"));
        assert_eq!(r.trajectory_grade, Some(0.1));
        assert_eq!(r.grades["productivity"], 0.1);
        assert_eq!(r.duration_seconds, 2);
        assert!(
            r.timestamp.starts_with("2026-01-05T10:00:00"),
            "{}",
            r.timestamp
        );
        assert!(r
            .end_time
            .as_deref()
            .unwrap()
            .starts_with("2026-01-05T10:00:02"));
        assert_eq!(r.project.as_deref(), Some("/w/p"));
        // A second click finds it and writes nothing.
        let again = record_seen_session(&store, &row, &facts, Utc::now()).unwrap();
        assert_eq!(again, Recorded::AlreadyThere(r));
        assert_eq!(store.load().unwrap().records.len(), 1);
    }

    #[test]
    fn a_failed_session_is_recorded_as_failed() {
        use crate::records::post_session::{record_seen_session, Recorded};
        let (d, mut idx, file) = setup();
        append(&file, PROMPT);
        idx.scan_all(Utc::now());
        let (mut row, facts) = idx.session_with_facts("claude-code:abc").unwrap();
        row.status = Status::Failed;
        let store = crate::records::Store::new(d.path().join("store"));
        match record_seen_session(&store, &row, &facts, Utc::now()).unwrap() {
            Recorded::Added(r) => {
                assert_eq!(r.outcome.as_deref(), Some("failed"));
                assert_eq!(r.exit_code, Some(1));
            }
            other => panic!("expected a new record, got {other:?}"),
        }
    }

    #[test]
    fn new_file_in_new_project_dir_is_found_from_its_directory_event() {
        let (_d, mut idx, file) = setup();
        idx.scan_all(Utc::now());
        let new_dir = file.parent().unwrap().parent().unwrap().join("-w-q");
        std::fs::create_dir_all(&new_dir).unwrap();
        append(&new_dir.join("def.jsonl"), PROMPT);
        let c = idx.paths_changed(&[new_dir], Utc::now());
        assert_eq!(c.upserted.len(), 1);
        assert_eq!(c.upserted[0].id, "def");
    }

    #[test]
    fn deleted_file_keeps_its_row_marked_gone() {
        let (_d, mut idx, file) = setup();
        append(&file, PROMPT);
        idx.scan_all(Utc::now());
        std::fs::remove_file(&file).unwrap();
        let c = idx.paths_changed(std::slice::from_ref(&file), Utc::now());
        assert!(c.upserted[0].gone);
        assert_eq!(idx.sessions().len(), 1);
    }

    #[test]
    fn truncated_file_is_recounted_from_scratch() {
        let (_d, mut idx, file) = setup();
        append(&file, PROMPT);
        append(&file, ANSWER);
        idx.scan_all(Utc::now());
        std::fs::write(&file, format!("{PROMPT}\n")).unwrap();
        let c = idx.paths_changed(std::slice::from_ref(&file), Utc::now());
        assert_eq!(c.upserted[0].message_count(), 1);
        assert_eq!(c.upserted[0].usage.input_tokens, 0);
    }

    #[test]
    fn an_archived_rollout_replaces_its_vanished_copy() {
        let dir = tempfile::tempdir().unwrap();
        let sessions = dir.path().join("sessions");
        let archived = dir.path().join("archived_sessions");
        let day = sessions.join("2026/11/20");
        std::fs::create_dir_all(&day).unwrap();
        std::fs::create_dir_all(&archived).unwrap();
        let name = "rollout-2026-11-20T09-00-00-019a0c11-1111-7000-8000-000000000001.jsonl";
        let line = r#"{"timestamp":"2026-11-20T09:00:01Z","type":"event_msg","payload":{"type":"user_message","message":"hi"}}"#;
        append(&day.join(name), line);
        let mut idx = SessionIndex::new(vec![
            HarnessRoot {
                harness: Harness::Codex,
                path: sessions,
            },
            HarnessRoot {
                harness: Harness::Codex,
                path: archived.clone(),
            },
        ]);
        idx.scan_all(Utc::now());
        std::fs::rename(day.join(name), archived.join(name)).unwrap();
        let c = idx.paths_changed(&[day.join(name), archived.join(name)], Utc::now());
        assert!(
            c.upserted.iter().all(|s| !s.gone),
            "the gone copy is not pushed"
        );
        let rows = idx.sessions();
        assert_eq!(rows.len(), 1);
        assert!(!rows[0].gone);
        assert!(rows[0].path.contains("archived_sessions"));
        assert_eq!(idx.counts().total, 1);
    }

    #[test]
    fn an_opencode_database_write_updates_only_that_session() {
        let dir = tempfile::tempdir().unwrap();
        let db = dir.path().join("opencode.db");
        let conn = rusqlite::Connection::open(&db).unwrap();
        conn.execute_batch(
            "CREATE TABLE session (id TEXT, parent_id TEXT, directory TEXT, title TEXT, time_created INTEGER, time_updated INTEGER);
             CREATE TABLE message (id TEXT, session_id TEXT, time_created INTEGER, time_updated INTEGER, data TEXT);
             CREATE TABLE part (id TEXT, message_id TEXT, session_id TEXT, time_created INTEGER, time_updated INTEGER, data TEXT);
             INSERT INTO session VALUES ('s1', NULL, '/w', 't', 1000, 1000);
             INSERT INTO session VALUES ('s2', NULL, '/w', 'u', 1000, 1000);
             INSERT INTO message VALUES ('m1', 's1', 1000, 1000, '{\"role\":\"user\",\"time\":{\"created\":1000}}');",
        )
        .unwrap();
        let mut idx = SessionIndex::new(vec![HarnessRoot {
            harness: Harness::Opencode,
            path: dir.path().to_path_buf(),
        }]);
        assert_eq!(idx.scan_all(Utc::now()).upserted.len(), 2);
        conn.execute_batch(
            "INSERT INTO message VALUES ('m2', 's1', 2000, 2000, '{\"role\":\"assistant\",\"modelID\":\"gpt-5\",\"providerID\":\"openai\",\"time\":{\"created\":2000,\"completed\":2500},\"tokens\":{\"input\":5,\"output\":1}}');",
        )
        .unwrap();
        let wal = dir.path().join("opencode.db-wal");
        let c = idx.paths_changed(&[db, wal], Utc::now());
        assert_eq!(c.upserted.len(), 1, "only s1 changed");
        assert_eq!(c.upserted[0].id, "s1");
        assert_eq!(c.upserted[0].assistant_messages, 1);
        assert_eq!(c.upserted[0].usage.input_tokens, 5);
    }

    #[test]
    fn a_process_in_the_project_dir_keeps_the_session_alive() {
        let (_d, mut idx, file) = setup();
        append(&file, PROMPT);
        append(&file, ANSWER);
        let later = Utc::now() + chrono::Duration::minutes(5);
        idx.scan_all(later);
        let c = idx.refresh_status(Vec::new(), later);
        let status = c
            .upserted
            .first()
            .map(|s| s.status)
            .unwrap_or(idx.sessions()[0].status);
        assert_eq!(status, Status::Ended);
        let proc = AgentProcess {
            identity: crate::procs::ProcessIdentity {
                pid: 4242,
                start_time: 1,
            },
            harness: Harness::ClaudeCode,
            cwd: Some(PathBuf::from("/w/p")),
            open_files: Vec::new(),
            appending_logs: Vec::new(),
            start_ticks: None,
            parent_pid: None,
            running_command: false,
        };
        let c = idx.refresh_status(vec![proc], Utc::now());
        assert_eq!(c.upserted[0].status, Status::WaitingForInput);
        assert_eq!(c.upserted[0].pid, Some(4242));
        // The process exits: Ended at once, without waiting for a quiet file.
        let c = idx.refresh_status(Vec::new(), Utc::now());
        assert_eq!(c.upserted[0].status, Status::Ended);
        assert_eq!(c.upserted[0].pid, None);
    }

    fn claude_proc(pid: u32) -> AgentProcess {
        AgentProcess {
            identity: crate::procs::ProcessIdentity { pid, start_time: 1 },
            harness: Harness::ClaudeCode,
            cwd: Some(PathBuf::from("/w/p")),
            open_files: Vec::new(),
            appending_logs: Vec::new(),
            start_ticks: Some(u64::from(pid) * 10),
            parent_pid: None,
            running_command: false,
        }
    }

    fn state_file(dir: &Path, pid: u32, session: &str, status: &str) {
        std::fs::create_dir_all(dir.join("sessions")).unwrap();
        let json = format!(
            r#"{{"pid":{pid},"sessionId":"{session}","cwd":"/w/p","procStart":"{}","status":"{status}","name":"n-{session}","updatedAt":1,"statusUpdatedAt":1}}"#,
            u64::from(pid) * 10
        );
        std::fs::write(dir.join("sessions").join(format!("{pid}.json")), json).unwrap();
    }

    #[test]
    fn claude_live_state_gives_each_of_two_sessions_in_one_directory_its_pid_and_status() {
        let (d, mut idx, first) = setup();
        let second = first.with_file_name("def.jsonl");
        // Written now, so that no row decays into Idle during the test.
        let now = Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Millis, true);
        let fresh = |line: &str| {
            line.replace("2026-01-05T10:00:00.000Z", &now)
                .replace("2026-01-05T10:00:02.000Z", &now)
        };
        append(&first, &fresh(PROMPT));
        append(&second, &fresh(&PROMPT.replace("abc", "def")));
        append(&second, &fresh(&ANSWER.replace("abc", "def")));
        idx.scan_all(Utc::now());
        let row =
            |idx: &SessionIndex, id: &str| idx.sessions().into_iter().find(|s| s.id == id).unwrap();
        // Two processes and no live state: nothing tells them apart.
        idx.refresh_status(vec![claude_proc(11), claude_proc(22)], Utc::now());
        for id in ["abc", "def"] {
            let s = row(&idx, id);
            assert!(s.ambiguous, "{id}");
            assert_eq!(
                s.pid, None,
                "{id}: a guessed pid could be the other agent's"
            );
            assert!(s.status.is_active(), "{id}: {:?}", s.status);
        }
        // Their live-state files say who is who, and busy/idle.
        state_file(d.path(), 11, "def", "idle");
        state_file(d.path(), 22, "abc", "busy");
        idx.refresh_status(vec![claude_proc(11), claude_proc(22)], Utc::now());
        let (abc, def) = (row(&idx, "abc"), row(&idx, "def"));
        assert_eq!((abc.pid, def.pid), (Some(22), Some(11)));
        assert!(!abc.ambiguous && !def.ambiguous);
        assert_eq!(abc.status, Status::Generating);
        assert_eq!(def.status, Status::WaitingForInput);
        assert_eq!(def.agent_name.as_deref(), Some("n-def"));
        // Agent 22 finishes its turn and exits: its file goes, its row ends at once;
        // the other keeps its own pid.
        std::fs::remove_file(d.path().join("sessions/22.json")).unwrap();
        append(&first, &fresh(ANSWER));
        idx.paths_changed(std::slice::from_ref(&first), Utc::now());
        idx.refresh_status(vec![claude_proc(11)], Utc::now());
        let (abc, def) = (row(&idx, "abc"), row(&idx, "def"));
        assert_eq!(abc.status, Status::Ended);
        assert_eq!(abc.pid, None);
        assert_eq!(def.pid, Some(11));
        assert_eq!(def.status, Status::WaitingForInput);
    }

    #[test]
    fn a_state_file_left_by_a_killed_process_is_not_believed() {
        let (d, mut idx, file) = setup();
        append(&file, PROMPT);
        idx.scan_all(Utc::now());
        state_file(d.path(), 33, "abc", "busy");
        // Pid 33 now belongs to a process started at another tick.
        let mut reused = claude_proc(33);
        reused.start_ticks = Some(5);
        reused.cwd = Some(PathBuf::from("/elsewhere"));
        idx.refresh_status(vec![reused], Utc::now());
        let s = &idx.sessions()[0];
        assert_eq!(s.pid, None);
    }
}

/// The cache never changes an answer: after any sequence of file operations, an
/// index started from the cache (and one that stayed up through the changes) lists
/// exactly the sessions a cold index lists.
#[cfg(test)]
mod cache_equivalence {
    use super::*;
    use crate::model::Harness;
    use proptest::prelude::*;
    use std::io::Write;
    use std::time::{Duration, UNIX_EPOCH};

    const NAMES: [&str; 3] = ["-w-p/a.jsonl", "-w-p/b.jsonl", "-w-q/a.jsonl"];

    /// `root` joined with a name of [`NAMES`] part by part, so the path has the OS's
    /// separators throughout, as a directory scan gives it (`\` on Windows).
    fn at(root: &Path, name: &str) -> PathBuf {
        name.split('/')
            .fold(root.to_path_buf(), |p, part| p.join(part))
    }

    /// Lines of every kind the Claude parser counts, a streamed duplicate, a torn
    /// line and one without its newline yet.
    fn line(k: u8) -> String {
        let ts = format!("2026-01-05T10:{:02}:00.000Z", k % 60);
        match k % 7 {
            0 => {
                format!(
                    r#"{{"type":"user","sessionId":"s","timestamp":"{ts}","cwd":"/w/p","message":{{"role":"user","content":"prompt {k} ü"}}}}"#
                ) + "\n"
            }
            1 | 2 => {
                format!(
                    r#"{{"type":"assistant","timestamp":"{ts}","requestId":"r{}","message":{{"id":"m{}","model":"claude-sonnet-4-5","stop_reason":"tool_use","content":[{{"type":"tool_use","id":"t{k}","name":"Bash","input":{{}}}}],"usage":{{"input_tokens":{k},"output_tokens":3,"cache_read_input_tokens":100}}}}}}"#,
                    k / 2,
                    k / 2
                ) + "\n"
            }
            3 => {
                format!(
                    r#"{{"type":"user","timestamp":"{ts}","message":{{"role":"user","content":[{{"type":"tool_result","tool_use_id":"t{}","content":"out","is_error":{}}}]}}}}"#,
                    k - 2,
                    k.is_multiple_of(2)
                ) + "\n"
            }
            4 => "{\"type\":\"assistant\",\"message\":{\"id\":\n".to_string(),
            5 => format!(r#"{{"type":"summary","summary":"sum {k}"}}"#) + "\n",
            _ => format!(r#"{{"type":"assistant","message":{{"id":"x{k}","usage":{{"input_tok"#),
        }
    }

    #[derive(Debug, Clone)]
    enum Op {
        Append(usize, Vec<u8>),
        Truncate(usize, usize),
        Delete(usize),
        Rename(usize, usize),
        ReplaceShorter(usize, bool),
        TouchMtime(usize),
        Restart,
    }

    fn op() -> impl Strategy<Value = Op> {
        prop_oneof![
            4 => (0..3usize, prop::collection::vec(any::<u8>(), 1..5)).prop_map(|(i, l)| Op::Append(i, l)),
            1 => (0..3usize, 0..400usize).prop_map(|(i, n)| Op::Truncate(i, n)),
            1 => (0..3usize).prop_map(Op::Delete),
            1 => (0..3usize, 0..3usize).prop_map(|(i, j)| Op::Rename(i, j)),
            1 => (0..3usize, any::<bool>()).prop_map(|(i, b)| Op::ReplaceShorter(i, b)),
            1 => (0..3usize).prop_map(Op::TouchMtime),
            1 => Just(Op::Restart),
        ]
    }

    fn cold(roots: &[HarnessRoot], now: DateTime<Utc>) -> Vec<Session> {
        let mut idx = SessionIndex::new(roots.to_vec());
        idx.scan_all(now);
        idx.sessions()
    }

    fn warm(roots: &[HarnessRoot], db: &Path, now: DateTime<Utc>) -> SessionIndex {
        let mut idx = SessionIndex::new(roots.to_vec()).with_cache(IndexCache::open(db).unwrap());
        idx.scan_all(now);
        idx
    }

    proptest! {
        #![proptest_config(ProptestConfig { cases: 48, ..ProptestConfig::default() })]
        #[test]
        fn cached_index_equals_a_cold_index(ops in prop::collection::vec(op(), 1..25)) {
            let dir = tempfile::tempdir().unwrap();
            let root = dir.path().join("projects");
            std::fs::create_dir_all(root.join("-w-p")).unwrap();
            std::fs::create_dir_all(root.join("-w-q")).unwrap();
            let db = dir.path().join("cache.sqlite3");
            let roots = vec![HarnessRoot { harness: Harness::ClaudeCode, path: root.clone() }];
            let now = Utc::now();
            let mut up = warm(&roots, &db, now);
            // Every write gets its own mtime in the past, as a real writer's would be
            // distinct; a cache keyed on (size, mtime, inode) must never mix them up.
            let mut clock = 0u64;
            let mut stamp = |p: &Path| {
                clock += 1;
                if let Ok(f) = std::fs::File::options().append(true).open(p) {
                    f.set_modified(UNIX_EPOCH + Duration::from_secs(1_700_000_000 + clock)).unwrap();
                }
            };
            for op in ops {
                let mut touched = Vec::new();
                match op {
                    Op::Append(i, kinds) => {
                        let p = at(&root, NAMES[i]);
                        let mut f = std::fs::OpenOptions::new().create(true).append(true).open(&p).unwrap();
                        for k in kinds {
                            f.write_all(line(k).as_bytes()).unwrap();
                        }
                        drop(f);
                        stamp(&p);
                        touched.push(p);
                    }
                    Op::Truncate(i, n) => {
                        let p = at(&root, NAMES[i]);
                        if let Ok(f) = std::fs::File::options().write(true).open(&p) {
                            let len = f.metadata().unwrap().len();
                            f.set_len(len.min(n as u64)).unwrap();
                            drop(f);
                            stamp(&p);
                        }
                        touched.push(p);
                    }
                    Op::Delete(i) => {
                        let p = at(&root, NAMES[i]);
                        let _ = std::fs::remove_file(&p);
                        touched.push(p);
                    }
                    Op::Rename(i, j) => {
                        let (from, to) = (at(&root, NAMES[i]), at(&root, NAMES[j]));
                        let _ = std::fs::rename(&from, &to);
                        touched.extend([from, to]);
                    }
                    Op::ReplaceShorter(i, in_place) => {
                        let p = at(&root, NAMES[i]);
                        if let Ok(old) = std::fs::read(&p) {
                            let keep = &old[..old.len() / 2];
                            if in_place {
                                std::fs::write(&p, keep).unwrap();
                            } else {
                                let tmp = dir.path().join("tmp");
                                std::fs::write(&tmp, keep).unwrap();
                                std::fs::rename(&tmp, &p).unwrap();
                            }
                            stamp(&p);
                        }
                        touched.push(p);
                    }
                    Op::TouchMtime(i) => {
                        let p = at(&root, NAMES[i]);
                        stamp(&p);
                        touched.push(p);
                    }
                    Op::Restart => up = warm(&roots, &db, now),
                }
                up.paths_changed(&touched, now);
                let expected = cold(&roots, now);
                let restarted = warm(&roots, &db, now);
                prop_assert_eq!(&restarted.sessions(), &expected);
                // The CLI's scan, which builds no change: the same rows.
                let mut quiet = SessionIndex::new(roots.to_vec()).with_cache(IndexCache::open(&db).unwrap());
                quiet.scan_all_quietly(now);
                prop_assert_eq!(&quiet.sessions(), &expected);
                // The usage slots too, though a warm start leaves them in the cache
                // until asked.
                let cold_usage = {
                    let mut idx = SessionIndex::new(roots.to_vec());
                    idx.scan_all(now);
                    idx.usage_rows()
                };
                prop_assert_eq!(restarted.usage_rows(), cold_usage.clone());
                // The CLI's index, read once (every parser given up), cold and warm,
                // with its usage moved out: the same rows and slots.
                let mut once = SessionIndex::new(roots.to_vec()).read_once();
                once.scan_all_quietly(now);
                prop_assert_eq!(&once.sessions(), &expected);
                prop_assert_eq!(once.into_usage_rows(), cold_usage.clone());
                let mut once = SessionIndex::new(roots.to_vec())
                    .read_once()
                    .with_cache(IndexCache::open(&db).unwrap());
                once.scan_all_quietly(now);
                prop_assert_eq!(once.into_usage_rows(), cold_usage.clone());
                let slots = |rows: Vec<(Session, Vec<UsageSlot>)>| -> Vec<(String, Vec<UsageSlot>)> {
                    rows.into_iter().filter(|(s, _)| !s.gone).map(|(s, u)| (s.key, u)).collect()
                };
                prop_assert_eq!(slots(up.usage_rows()), slots(cold_usage));
                // The index that stayed up keeps vanished rows (marked gone) and knows
                // since when each status held, which a fresh index cannot: compare the rest.
                let blur = |rows: Vec<Session>| -> Vec<Session> {
                    rows.into_iter()
                        .filter(|s| !s.gone)
                        .map(|s| Session { status_since: None, ..s })
                        .collect()
                };
                prop_assert_eq!(blur(up.sessions()), blur(expected));
            }
        }
    }

    /// A Claude Code session `id` in `root/-w-p`, written an hour and more ago.
    fn old_session(root: &Path, id: &str) -> PathBuf {
        let path = root.join("-w-p").join(format!("{id}.jsonl"));
        let prompt = r#"{"type":"user","sessionId":"s","timestamp":"2026-01-05T10:00:00.000Z","cwd":"/w/p","message":{"role":"user","content":"hi"}}"#;
        let answer = r#"{"type":"assistant","timestamp":"2026-01-05T10:00:02.000Z","requestId":"r","message":{"id":"m","model":"claude-sonnet-4-5","stop_reason":"end_turn","content":[{"type":"text","text":"yes"}],"usage":{"input_tokens":5,"output_tokens":2}}}"#;
        std::fs::write(&path, format!("{prompt}\n{answer}\n")).unwrap();
        let f = std::fs::File::options().append(true).open(&path).unwrap();
        f.set_modified(UNIX_EPOCH + Duration::from_secs(1_767_000_000))
            .unwrap();
        path
    }

    fn claude_root(dir: &Path) -> (PathBuf, Vec<HarnessRoot>) {
        let root = dir.join("projects");
        std::fs::create_dir_all(root.join("-w-p")).unwrap();
        let roots = vec![HarnessRoot {
            harness: Harness::ClaudeCode,
            path: root.clone(),
        }];
        (root, roots)
    }

    #[test]
    fn one_session_is_found_in_the_cache_by_its_id_while_that_is_certain() {
        let dir = tempfile::tempdir().unwrap();
        let (root, roots) = claude_root(dir.path());
        let a = old_session(&root, "aaaa1111-0000-4000-8000-000000000001");
        let b = old_session(&root, "aaaa2222-0000-4000-8000-000000000002");
        let _c = old_session(&root, "cccc3333-0000-4000-8000-000000000003");
        let db = dir.path().join("cache.sqlite3");
        let now = Utc::now();
        let full = warm(&roots, &db, now).sessions();
        let row = |id: &str| full.iter().find(|s| s.id.starts_with(id)).cloned();
        let cache = IndexCache::open(&db).unwrap();
        let find = |q: &str| SessionIndex::cached_session(&roots, &cache, q, now);
        // The row is the one a full scan shows, by the id, its key or its start.
        assert_eq!(find("aaaa1111"), row("aaaa1111"));
        assert!(find("aaaa1111").is_some());
        assert_eq!(
            find("aaaa1111-0000-4000-8000-000000000001"),
            row("aaaa1111")
        );
        assert_eq!(
            find("claude-code:cccc3333-0000-4000-8000-000000000003"),
            row("cccc")
        );
        // Not certain: ambiguous, too short to rule out a file the cache has not seen,
        // unknown, or in no root watched now.
        assert_eq!(find("aaaa"), None);
        assert_eq!(find("cccc"), None);
        assert_eq!(find("dddd4444"), None);
        assert_eq!(find("codex:cccc3333-0000-4000-8000-000000000003"), None);
        let elsewhere = [HarnessRoot {
            harness: Harness::ClaudeCode,
            path: dir.path().join("other"),
        }];
        assert_eq!(
            SessionIndex::cached_session(&elsewhere, &cache, "aaaa1111", now),
            None
        );
        // A file changed or gone since it was cached is for the full scan to read.
        append(&a, r#"{"type":"summary","summary":"later"}"#);
        assert_eq!(find("aaaa1111"), None);
        std::fs::remove_file(&b).unwrap();
        assert_eq!(find("aaaa2222"), None);
        // Once a scan saved them again, the changed one is found again, as it is now.
        let full = warm(&roots, &db, now).sessions();
        let cache = IndexCache::open(&db).unwrap();
        let found = SessionIndex::cached_session(&roots, &cache, "aaaa1111", now);
        assert_eq!(
            found.as_ref(),
            full.iter().find(|s| s.id.starts_with("aaaa1111"))
        );
        assert_eq!(found.unwrap().title.as_deref(), Some("later"));
    }

    fn append(path: &Path, line: &str) {
        let mut f = std::fs::OpenOptions::new().append(true).open(path).unwrap();
        writeln!(f, "{line}").unwrap();
    }

    #[test]
    fn a_file_read_long_after_its_last_write_keeps_its_facts_not_its_parser() {
        let dir = tempfile::tempdir().unwrap();
        let (root, roots) = claude_root(dir.path());
        let old = old_session(&root, "old");
        let new = root.join("-w-p").join("new.jsonl");
        // Written now: a copy would not do, as Windows' copy keeps the source's mtime.
        std::fs::write(&new, std::fs::read(&old).unwrap()).unwrap();
        let mut idx = SessionIndex::new(roots.clone());
        let now = Utc::now();
        idx.scan_all(now);
        assert!(matches!(
            idx.files[&old].reader,
            Reader::Cached {
                slots_in_cache: false,
                ..
            }
        ));
        assert!(matches!(idx.files[&new].reader, Reader::Lines { .. }));
        assert_eq!(idx.usage_rows().len(), 2);
        assert!(idx.usage_rows().iter().all(|(_, slots)| !slots.is_empty()));
        // When it changes after all, it is read again from its start.
        append(&old, r#"{"type":"summary","summary":"back"}"#);
        idx.paths_changed(std::slice::from_ref(&old), now);
        let row = idx.sessions().into_iter().find(|s| s.id == "old").unwrap();
        assert_eq!(row.title.as_deref(), Some("back"));
        assert_eq!(row.usage.input_tokens, 5);
        assert_eq!((row.user_messages, row.assistant_messages), (1, 1));
    }

    #[test]
    fn a_first_scan_leaves_the_slots_of_quiet_files_in_the_cache_not_in_memory() {
        let dir = tempfile::tempdir().unwrap();
        let (root, roots) = claude_root(dir.path());
        let old = old_session(&root, "old");
        let now = Utc::now();
        let expected = {
            let mut idx = SessionIndex::new(roots.clone());
            idx.scan_all(now);
            idx.usage_rows()
        };
        assert!(!expected[0].1.is_empty());
        let idx = warm(&roots, &dir.path().join("cache.sqlite3"), now);
        let Reader::Cached {
            facts,
            slots_in_cache,
            ..
        } = &idx.files[&old].reader
        else {
            panic!("a quiet file keeps no parser");
        };
        assert!(*slots_in_cache && facts.usage_slots.is_empty());
        assert_eq!(idx.usage_rows(), expected);
        let (_, facts) = idx.session_with_facts("claude-code:old").unwrap();
        assert_eq!(facts.usage_slots, expected[0].1);
    }

    #[test]
    fn a_garbage_cache_file_is_rebuilt_with_the_same_result() {
        let fixture = crate::agents::fixture_support::fixture("claude/projects");
        let roots = vec![HarnessRoot {
            harness: Harness::ClaudeCode,
            path: fixture,
        }];
        let dir = tempfile::tempdir().unwrap();
        let db = dir.path().join("cache.sqlite3");
        let now = Utc::now();
        let expected = cold(&roots, now);
        assert!(!expected.is_empty());
        std::fs::write(&db, vec![0xA5u8; 8192]).unwrap();
        assert_eq!(warm(&roots, &db, now).sessions(), expected);
        // And the rebuilt cache now answers without reading: same rows again.
        let again = warm(&roots, &db, now);
        assert!(again
            .files
            .values()
            .all(|f| matches!(f.reader, Reader::Cached { .. })));
        assert_eq!(again.sessions(), expected);
    }
}
