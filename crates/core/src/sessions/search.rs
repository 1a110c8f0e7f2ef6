//! Full-text search over transcripts: an SQLite FTS5 index of user prompts, assistant
//! text and tool output (the entries `transcript` reads from every agent's files), kept
//! in `<data dir>/search.sqlite3`.
//!
//! [`SearchIndex::update`] brings the index up to date with the transcript files under
//! the roots: a file whose stamp (size, mtime, inode) is unchanged is skipped, a
//! changed one has its rows replaced, a vanished one is dropped. Files are read and
//! split into pieces in parallel and written in batches, one transaction each, so an
//! update can report progress and be cancelled between batches (an `AtomicBool`)
//! without leaving a half-indexed file. A file that cannot be read at all (over the
//! whole-file cap, not a regular file) is not indexed and is listed in the update's
//! [`UpdateStats::skipped`], every update, for the CLI and the app to show. The app
//! runs it in the background; the CLI runs it before each search.
//!
//! [`SearchIndex::search`] matches every word of the query (a `"quoted phrase"` as a
//! phrase), case- and accent-insensitively (`unicode61` with diacritics removed), and
//! lists the newest pieces first with a highlighted snippet. Like the session cache,
//! this database is derived data only: a damaged or old one is deleted and rebuilt.
//! Not indexed: opencode (a database, not files), thinking, tool inputs, and text
//! beyond the first 64 KB of one entry. Scripts without spaces between words
//! (Chinese, Japanese) match only whole runs of characters.

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};

use chrono::{DateTime, Utc};
use rayon::prelude::*;
use rusqlite::{params, Connection, OptionalExtension};

use crate::agents::{self, HarnessRoot, SourceKind};
use crate::model::{Harness, ScanProgress, SearchHit, TextRole};
use crate::sessions::cache::FileStamp;

/// Version 2 keeps the columns beside the text in `meta`, so sorting matches by time
/// never reads the text itself.
const SCHEMA_VERSION: i64 = 2;

/// Longest text kept from one entry (a tool output can be megabytes; its first part is
/// what people search for: the command's errors and results).
pub const PIECE_MAX_BYTES: usize = 64 * 1024;

/// One searchable piece of a transcript.
#[derive(Debug, Clone, PartialEq)]
struct TextPiece {
    role: TextRole,
    timestamp: Option<DateTime<Utc>>,
    text: String,
}

/// Files indexed per transaction: the unit of progress and of cancellation.
const BATCH_FILES: usize = 32;
/// A batch's pieces are all held until its transaction: a batch also ends once its
/// files add up to this many bytes, so a few big transcripts are not held at once.
const BATCH_BYTES: u64 = 128 << 20;
/// Files read at once. Reading a whole-file transcript (Gemini, opencode) holds its
/// parsed JSON, a few times the file's size: a bound on the machine's whole memory
/// must not scale with its number of cores.
const MAX_READERS: usize = 4;

/// What an update did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct UpdateStats {
    pub files_indexed: u64,
    pub files_removed: u64,
    pub bytes_read: u64,
    pub pieces: u64,
    pub cancelled: bool,
    /// Transcripts not indexed because they could not be read at all (too large to
    /// read whole, not a regular file), each with why. They are not recorded as
    /// indexed, so every update tries them again (a stat) and reports them again.
    pub skipped: Vec<SkippedFile>,
}

/// A transcript an update left out, and why ("too large to read (70 MiB; …)").
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SkippedFile {
    pub path: PathBuf,
    pub reason: String,
}

/// Narrowing of a search.
#[derive(Debug, Clone, Default)]
pub struct SearchFilter {
    pub harness: Option<Harness>,
    pub since: Option<DateTime<Utc>>,
    pub limit: usize,
}

/// See the module documentation.
pub struct SearchIndex {
    conn: Connection,
}

impl SearchIndex {
    pub fn default_path() -> PathBuf {
        crate::paths::data_dir().join("search.sqlite3")
    }

    /// Open or create the index at `path`; a file that is not a usable index of this
    /// version is deleted and created afresh.
    pub fn open(path: &Path) -> rusqlite::Result<SearchIndex> {
        crate::sqlite_file::open_rebuildable(path, Self::try_open)
    }

    /// Open an index another connection of this process has opened with
    /// [`SearchIndex::open`] (checked, created, migrated), for queries only: without
    /// `PRAGMA quick_check`, which on an FTS5 table re-reads and re-tokenizes every
    /// piece (tens of seconds over 100k transcripts) and need not run twice.
    pub fn open_for_queries(path: &Path) -> rusqlite::Result<SearchIndex> {
        let (conn, version) = crate::sqlite_file::open_checked_if(
            path,
            std::time::Duration::from_secs(5),
            |_, _| false,
        )?;
        if version != SCHEMA_VERSION {
            return Err(rusqlite::Error::InvalidQuery);
        }
        Ok(SearchIndex { conn })
    }

    fn try_open(path: &Path) -> rusqlite::Result<SearchIndex> {
        let (conn, version) =
            crate::sqlite_file::open_checked(path, std::time::Duration::from_secs(5))?;
        match version {
            0 => {
                conn.execute_batch(
                    "CREATE TABLE files (
                        path TEXT PRIMARY KEY, harness TEXT NOT NULL, session TEXT NOT NULL,
                        size INTEGER NOT NULL, mtime_ns INTEGER NOT NULL, inode INTEGER NOT NULL,
                        first_row INTEGER, last_row INTEGER
                     );
                     CREATE VIRTUAL TABLE pieces USING fts5(
                        body, tokenize = 'unicode61 remove_diacritics 2'
                     );
                     CREATE TABLE meta (
                        id INTEGER PRIMARY KEY, session TEXT NOT NULL, harness TEXT NOT NULL,
                        role TEXT NOT NULL, ts INTEGER, path TEXT NOT NULL
                     );
                     CREATE INDEX meta_ts ON meta (ts);",
                )?;
                conn.pragma_update(None, "user_version", SCHEMA_VERSION)?;
            }
            SCHEMA_VERSION => {}
            _ => return Err(rusqlite::Error::InvalidQuery),
        }
        Ok(SearchIndex { conn })
    }

    /// Bring the index up to date with the transcripts under `roots`; see the module
    /// documentation. `progress` is called after each batch; setting `cancel` stops
    /// the update after the batch in flight (what was committed stays valid).
    pub fn update(
        &mut self,
        roots: &[HarnessRoot],
        progress: &(dyn Fn(ScanProgress) + Sync),
        cancel: &AtomicBool,
    ) -> rusqlite::Result<UpdateStats> {
        let mut errors = Vec::new();
        let mut found: Vec<(HarnessRoot, PathBuf, FileStamp)> = Vec::new();
        for root in roots {
            if agents::agent(root.harness).source_kind() != SourceKind::Files {
                continue;
            }
            for path in crate::sessions::index::transcript_files(root, &root.path, &mut errors) {
                if let Some(stamp) = FileStamp::of(&path) {
                    found.push((root.clone(), path, stamp));
                }
            }
        }
        let known = self.known_files()?;
        let present: std::collections::HashSet<&PathBuf> = found.iter().map(|f| &f.1).collect();
        let gone: Vec<PathBuf> = known
            .keys()
            .filter(|p| !present.contains(p))
            .cloned()
            .collect();
        self.index_found(found, &known, gone, progress, cancel)
    }

    /// [`SearchIndex::update`] for these paths only (the transcripts the live table saw
    /// change): no walk of the roots and no read of every indexed file's stamp, so 200
    /// sessions written to at once cost 200 `stat`s, not one per file under the roots.
    /// A path no longer there is dropped from the index; one that is not a transcript
    /// under `roots` is ignored.
    pub fn update_paths(
        &mut self,
        roots: &[HarnessRoot],
        paths: &[PathBuf],
        progress: &(dyn Fn(ScanProgress) + Sync),
        cancel: &AtomicBool,
    ) -> rusqlite::Result<UpdateStats> {
        let mut found = Vec::new();
        let mut known = std::collections::HashMap::new();
        let mut gone = Vec::new();
        {
            let mut stamp_of = self
                .conn
                .prepare_cached("SELECT size, mtime_ns, inode FROM files WHERE path = ?1")?;
            for path in paths {
                let Some(root) = roots.iter().find(|r| {
                    path.starts_with(&r.path)
                        && agents::agent(r.harness).source_kind() == SourceKind::Files
                        && agents::agent(r.harness).is_transcript(&r.path, path)
                }) else {
                    continue;
                };
                let indexed = stamp_of
                    .query_row([path.to_string_lossy()], |r| {
                        Ok(FileStamp {
                            size: r.get::<_, i64>(0)? as u64,
                            mtime_ns: r.get(1)?,
                            inode: r.get::<_, i64>(2)? as u64,
                        })
                    })
                    .optional()?;
                match (FileStamp::of(path), indexed) {
                    (Some(stamp), indexed) => {
                        if let Some(indexed) = indexed {
                            known.insert(path.clone(), indexed);
                        }
                        found.push((root.clone(), path.clone(), stamp));
                    }
                    (None, Some(_)) => gone.push(path.clone()),
                    (None, None) => {}
                }
            }
        }
        self.index_found(found, &known, gone, progress, cancel)
    }

    /// Drop `gone` from the index, then (re)index each of `found` whose stamp differs
    /// from the one `known` holds for it.
    fn index_found(
        &mut self,
        found: Vec<(HarnessRoot, PathBuf, FileStamp)>,
        known: &std::collections::HashMap<PathBuf, FileStamp>,
        gone: Vec<PathBuf>,
        progress: &(dyn Fn(ScanProgress) + Sync),
        cancel: &AtomicBool,
    ) -> rusqlite::Result<UpdateStats> {
        let mut stats = UpdateStats::default();
        {
            let tx = self.conn.transaction()?;
            for path in &gone {
                forget(&tx, path)?;
            }
            tx.commit()?;
        }
        stats.files_removed = gone.len() as u64;
        let todo: Vec<(HarnessRoot, PathBuf, FileStamp)> = found
            .into_iter()
            .filter(|(_, p, s)| known.get(p) != Some(s))
            .collect();
        let total = ScanProgress {
            files_done: 0,
            files_total: todo.len() as u64,
            bytes_done: 0,
            bytes_total: todo.iter().map(|t| t.2.size).sum(),
        };
        progress(total);
        let files_done = AtomicU64::new(0);
        let bytes_done = AtomicU64::new(0);
        let readers = rayon::ThreadPoolBuilder::new()
            .num_threads(rayon::current_num_threads().min(MAX_READERS))
            .thread_name(|i| format!("search-read-{i}"))
            .build()
            .ok();
        for batch in batches(&todo) {
            if cancel.load(Ordering::Relaxed) {
                stats.cancelled = true;
                break;
            }
            let read_batch = || {
                batch
                    .par_iter()
                    .map(|(root, path, stamp)| {
                        let pieces = read_pieces(root.harness, path);
                        (root, path, *stamp, pieces)
                    })
                    .collect::<Vec<_>>()
            };
            #[allow(clippy::type_complexity)]
            let read: Vec<(
                &HarnessRoot,
                &PathBuf,
                FileStamp,
                Result<Vec<TextPiece>, String>,
            )> = match &readers {
                Some(pool) => pool.install(read_batch),
                None => read_batch(),
            };
            let tx = self.conn.transaction()?;
            {
                let mut insert = tx.prepare_cached("INSERT INTO pieces (body) VALUES (?1)")?;
                let mut describe = tx.prepare_cached(
                    "INSERT INTO meta (id, session, harness, role, ts, path)
                     VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
                )?;
                let mut record = tx.prepare_cached(
                    "INSERT OR REPLACE INTO files
                     (path, harness, session, size, mtime_ns, inode, first_row, last_row)
                     VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
                )?;
                for (root, path, stamp, pieces) in &read {
                    forget(&tx, path)?;
                    let pieces = match pieces {
                        Ok(pieces) => pieces,
                        Err(reason) => {
                            stats.skipped.push(SkippedFile {
                                path: (*path).clone(),
                                reason: reason.clone(),
                            });
                            progress(ScanProgress {
                                files_done: files_done.fetch_add(1, Ordering::Relaxed) + 1,
                                bytes_done: bytes_done.fetch_add(stamp.size, Ordering::Relaxed)
                                    + stamp.size,
                                ..total
                            });
                            continue;
                        }
                    };
                    let (id, _) = agents::agent(root.harness).ids_from_path(path);
                    let session = format!("{}:{id}", root.harness.as_str());
                    let path_text = path.to_string_lossy();
                    let mut first = None;
                    let mut last = None;
                    for p in pieces {
                        insert.execute([&p.text])?;
                        let row = tx.last_insert_rowid();
                        describe.execute(params![
                            row,
                            session,
                            root.harness.as_str(),
                            p.role.as_str(),
                            p.timestamp.map(|t| t.timestamp_millis()),
                            path_text,
                        ])?;
                        first.get_or_insert(row);
                        last = Some(row);
                    }
                    record.execute(params![
                        path_text,
                        root.harness.as_str(),
                        session,
                        stamp.size as i64,
                        stamp.mtime_ns,
                        stamp.inode as i64,
                        first,
                        last
                    ])?;
                    stats.files_indexed += 1;
                    stats.bytes_read += stamp.size;
                    stats.pieces += pieces.len() as u64;
                    progress(ScanProgress {
                        files_done: files_done.fetch_add(1, Ordering::Relaxed) + 1,
                        bytes_done: bytes_done.fetch_add(stamp.size, Ordering::Relaxed)
                            + stamp.size,
                        ..total
                    });
                }
            }
            tx.commit()?;
        }
        Ok(stats)
    }

    fn known_files(&self) -> rusqlite::Result<std::collections::HashMap<PathBuf, FileStamp>> {
        let mut stmt = self
            .conn
            .prepare("SELECT path, size, mtime_ns, inode FROM files")?;
        let rows = stmt.query_map([], |r| {
            Ok((
                PathBuf::from(r.get::<_, String>(0)?),
                FileStamp {
                    size: r.get::<_, i64>(1)? as u64,
                    mtime_ns: r.get(2)?,
                    inode: r.get::<_, i64>(3)? as u64,
                },
            ))
        })?;
        rows.collect()
    }

    /// The newest pieces matching `query`, at most `filter.limit` (default 50).
    pub fn search(&self, query: &str, filter: &SearchFilter) -> Result<Vec<SearchHit>, String> {
        let fts = fts_query(query)?;
        let limit = if filter.limit == 0 { 50 } else { filter.limit };
        let mut stmt = self
            .conn
            .prepare_cached(
                // Newest first: pick the rows by time alone, then make snippets
                // for those few only (a snippet in the first query would be built
                // for every match before the sort).
                "WITH top AS (
                    SELECT m.id FROM meta m
                    WHERE m.id IN (SELECT rowid FROM pieces WHERE pieces MATCH ?1)
                      AND (?2 IS NULL OR m.harness = ?2)
                      AND (?3 IS NULL OR m.ts >= ?3)
                    ORDER BY m.ts DESC, m.id DESC
                    LIMIT ?4
                 )
                 SELECT m.session, m.harness, m.role, m.ts, m.path,
                        snippet(pieces, 0, '[', ']', '…', 16)
                 FROM pieces JOIN meta m ON m.id = pieces.rowid
                 WHERE pieces MATCH ?1 AND pieces.rowid IN (SELECT id FROM top)
                 ORDER BY m.ts DESC, m.id DESC",
            )
            .map_err(|e| e.to_string())?;
        let rows = stmt
            .query_map(
                params![
                    fts,
                    filter.harness.map(Harness::as_str),
                    filter.since.map(|t| t.timestamp_millis()),
                    limit as i64
                ],
                |r| {
                    let session: String = r.get(0)?;
                    let harness: String = r.get(1)?;
                    let role: String = r.get(2)?;
                    let ts: Option<i64> = r.get(3)?;
                    Ok(SearchHit {
                        session_id: session
                            .split_once(':')
                            .map(|(_, id)| id.to_string())
                            .unwrap_or_default(),
                        session_key: session,
                        harness: serde_json::from_value(serde_json::Value::String(harness))
                            .unwrap_or(Harness::ClaudeCode),
                        role: TextRole::parse(&role),
                        timestamp: ts.and_then(DateTime::<Utc>::from_timestamp_millis),
                        path: r.get(4)?,
                        snippet: r.get(5)?,
                    })
                },
            )
            .map_err(|e| e.to_string())?;
        rows.collect::<Result<Vec<_>, _>>()
            .map_err(|e| e.to_string())
    }
}

/// Drop the rows of one file.
fn forget(tx: &rusqlite::Transaction, path: &Path) -> rusqlite::Result<()> {
    let path_text = path.to_string_lossy();
    let range: Option<(Option<i64>, Option<i64>)> = tx
        .query_row(
            "SELECT first_row, last_row FROM files WHERE path = ?1",
            [&path_text],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
        .ok();
    if let Some((Some(first), Some(last))) = range {
        tx.execute(
            "DELETE FROM pieces WHERE rowid BETWEEN ?1 AND ?2",
            params![first, last],
        )?;
        tx.execute(
            "DELETE FROM meta WHERE id BETWEEN ?1 AND ?2",
            params![first, last],
        )?;
    }
    tx.execute("DELETE FROM files WHERE path = ?1", [&path_text])?;
    Ok(())
}

/// `todo` cut into batches of at most [`BATCH_FILES`] files and about [`BATCH_BYTES`]
/// bytes (a file bigger than that is a batch of its own).
fn batches<T>(todo: &[(T, PathBuf, FileStamp)]) -> Vec<&[(T, PathBuf, FileStamp)]> {
    let mut out = Vec::new();
    let mut start = 0;
    let mut bytes = 0u64;
    for (i, (_, _, stamp)) in todo.iter().enumerate() {
        let full = i - start == BATCH_FILES || (i > start && bytes + stamp.size > BATCH_BYTES);
        if full {
            out.push(&todo[start..i]);
            start = i;
            bytes = 0;
        }
        bytes += stamp.size;
    }
    if start < todo.len() {
        out.push(&todo[start..]);
    }
    out
}

/// Every piece of one file: its prompts, answers and tool results. A file that cannot
/// be read at all because of what it is (over the whole-file cap, not a regular file)
/// is an `Err` with the reason, to be reported; other read errors (it vanished, a
/// transient I/O error) give no pieces, as before.
fn read_pieces(harness: Harness, path: &Path) -> Result<Vec<TextPiece>, String> {
    use crate::agent_file::{too_large, MAX_WHOLE_FILE_BYTES};
    use crate::agents::transcript::{read_all_entries, EntryKind, TranscriptError};
    // The pieces of a file are held until its batch is written: a whole-file chat
    // over the cap (which the table and the transcript view read as a stream) is
    // still left out here rather than held whole.
    if crate::agents::agent(harness).file_mode(path) == crate::agents::FileMode::WholeFile {
        if let Ok(meta) = std::fs::metadata(path) {
            if meta.len() > MAX_WHOLE_FILE_BYTES {
                return Err(too_large(meta.len(), MAX_WHOLE_FILE_BYTES).to_string());
            }
        }
    }
    let page = match read_all_entries(harness, path, PIECE_MAX_BYTES) {
        Ok(page) => page,
        Err(TranscriptError::Io { source, .. })
            if source.kind() == std::io::ErrorKind::FileTooLarge
                || crate::agent_file::is_not_regular(&source) =>
        {
            return Err(source.to_string());
        }
        Err(_) => return Ok(Vec::new()),
    };
    Ok(page
        .entries
        .into_iter()
        .filter_map(|e| {
            let role = match e.kind {
                EntryKind::User => TextRole::User,
                EntryKind::Assistant => TextRole::Assistant,
                EntryKind::ToolResult => TextRole::Tool,
                _ => return None,
            };
            let text = e.text.trim();
            (!text.is_empty()).then(|| TextPiece {
                role,
                timestamp: e.timestamp,
                text: text.to_string(),
            })
        })
        .collect())
}

/// Turn what a user typed into an FTS5 query: every word must occur (implicit AND),
/// a `"quoted phrase"` as a phrase; FTS5 operators and punctuation are taken as text,
/// so no input is a syntax error.
pub fn fts_query(input: &str) -> Result<String, String> {
    let mut terms = Vec::new();
    let mut rest = input.trim();
    while !rest.is_empty() {
        if let Some(after) = rest.strip_prefix('"') {
            let (phrase, tail) = after.split_once('"').unwrap_or((after, ""));
            terms.push(phrase.to_string());
            rest = tail.trim_start();
        } else {
            let end = rest
                .find(|c: char| c.is_whitespace() || c == '"')
                .unwrap_or(rest.len());
            terms.push(rest[..end].to_string());
            rest = rest[end..].trim_start();
        }
    }
    let quoted: Vec<String> = terms
        .iter()
        .filter(|t| t.chars().any(char::is_alphanumeric))
        .map(|t| format!("\"{}\"", t.replace('"', "\"\"")))
        .collect();
    if quoted.is_empty() {
        return Err("empty search: type at least one word".into());
    }
    Ok(quoted.join(" "))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn line(kind: &str, ts: &str, content: &str) -> String {
        serde_json::json!({
            "type": kind, "timestamp": ts, "sessionId": "s",
            "message": {"role": kind, "content": content}
        })
        .to_string()
            + "\n"
    }

    fn tool(ts: &str, output: &str) -> String {
        serde_json::json!({
            "type": "user", "timestamp": ts,
            "message": {"role": "user", "content": [{"type": "tool_result", "tool_use_id": "t", "content": output}]}
        })
        .to_string()
            + "\n"
    }

    struct Setup {
        _dir: tempfile::TempDir,
        root: PathBuf,
        roots: Vec<HarnessRoot>,
        db: PathBuf,
    }

    fn setup() -> Setup {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path().join("projects");
        std::fs::create_dir_all(root.join("-w")).unwrap();
        std::fs::write(
            root.join("-w/old.jsonl"),
            line(
                "user",
                "2026-01-01T10:00:00Z",
                "Please fix the flaky parser test",
            ) + &line(
                "assistant",
                "2026-01-01T10:01:00Z",
                "The café straße déjà-vu case",
            ) + &tool(
                "2026-01-01T10:02:00Z",
                "error[E0308]: mismatched types in parser.rs",
            ),
        )
        .unwrap();
        std::fs::write(
            root.join("-w/new.jsonl"),
            line(
                "user",
                "2026-03-01T10:00:00Z",
                "the parser again, \"quoted words\" here",
            ) + &line(
                "assistant",
                "2026-03-01T10:05:00Z",
                "Русский текст и parser",
            ),
        )
        .unwrap();
        let roots = vec![HarnessRoot {
            harness: Harness::ClaudeCode,
            path: root.clone(),
        }];
        let db = dir.path().join("search.sqlite3");
        Setup {
            _dir: dir,
            root,
            roots,
            db,
        }
    }

    fn build(s: &Setup) -> SearchIndex {
        let mut idx = SearchIndex::open(&s.db).unwrap();
        idx.update(&s.roots, &|_| {}, &AtomicBool::new(false))
            .unwrap();
        idx
    }

    fn find(idx: &SearchIndex, q: &str) -> Vec<SearchHit> {
        idx.search(q, &SearchFilter::default()).unwrap()
    }

    #[test]
    fn finds_prompts_answers_and_tool_output_newest_first() {
        let s = setup();
        let idx = build(&s);
        let hits = find(&idx, "parser");
        let roles: Vec<_> = hits
            .iter()
            .map(|h| (h.session_id.as_str(), h.role))
            .collect();
        assert_eq!(
            roles,
            [
                ("new", TextRole::Assistant),
                ("new", TextRole::User),
                ("old", TextRole::Tool),
                ("old", TextRole::User)
            ]
        );
        assert_eq!(hits[0].session_key, "claude-code:new");
        assert!(hits[2].snippet.contains("[parser]"), "{}", hits[2].snippet);
        let hit = &find(&idx, "mismatched")[0];
        assert_eq!(hit.role, TextRole::Tool);
        assert_eq!(
            hit.timestamp,
            "2026-01-01T10:02:00Z".parse::<DateTime<Utc>>().ok()
        );
    }

    #[test]
    fn quotes_and_non_ascii() {
        let s = setup();
        let idx = build(&s);
        // A phrase in quotes matches only in that order.
        assert_eq!(find(&idx, "\"quoted words\"").len(), 1);
        assert_eq!(find(&idx, "\"words quoted\"").len(), 0);
        // An unbalanced quote or FTS operators are just text, never a syntax error.
        assert_eq!(find(&idx, "\"quoted").len(), 1);
        assert_eq!(find(&idx, "parser AND OR NOT (").len(), 0);
        assert_eq!(find(&idx, "fix* parser").len(), 1);
        // Accents and case are ignored; other scripts are words too.
        assert_eq!(find(&idx, "CAFE strasse").len(), 0, "ß is not ss");
        assert_eq!(find(&idx, "CAFE straße").len(), 1);
        assert_eq!(find(&idx, "deja").len(), 1);
        assert_eq!(find(&idx, "русский").len(), 1);
        assert!(idx.search("  \" ", &SearchFilter::default()).is_err());
    }

    #[test]
    fn filters_and_incremental_updates() {
        let s = setup();
        let mut idx = build(&s);
        let since = SearchFilter {
            since: "2026-02-01T00:00:00Z".parse().ok(),
            ..SearchFilter::default()
        };
        assert_eq!(idx.search("parser", &since).unwrap().len(), 2);
        let codex = SearchFilter {
            harness: Some(Harness::Codex),
            ..SearchFilter::default()
        };
        assert!(idx.search("parser", &codex).unwrap().is_empty());
        // Unchanged files are not read again; a changed one is replaced, a deleted one dropped.
        let again = idx
            .update(&s.roots, &|_| {}, &AtomicBool::new(false))
            .unwrap();
        assert_eq!(again.files_indexed, 0);
        std::fs::write(
            s.root.join("-w/new.jsonl"),
            line("user", "2026-03-02T10:00:00Z", "only zebra now"),
        )
        .unwrap();
        std::fs::remove_file(s.root.join("-w/old.jsonl")).unwrap();
        let st = idx
            .update(&s.roots, &|_| {}, &AtomicBool::new(false))
            .unwrap();
        assert_eq!((st.files_indexed, st.files_removed), (1, 1));
        assert!(find(&idx, "parser").is_empty());
        assert_eq!(find(&idx, "zebra").len(), 1);
    }

    #[test]
    fn an_update_of_named_paths_reads_only_those_and_drops_the_gone() {
        let s = setup();
        let mut idx = build(&s);
        let new = s.root.join("-w/new.jsonl");
        let old = s.root.join("-w/old.jsonl");
        let added = s.root.join("-w/added.jsonl");
        std::fs::write(&new, line("user", "2026-03-02T10:00:00Z", "only zebra now")).unwrap();
        std::fs::write(&old, line("user", "2026-03-02T10:00:00Z", "an okapi")).unwrap();
        std::fs::write(&added, line("user", "2026-03-03T10:00:00Z", "a giraffe")).unwrap();
        let outside = s._dir.path().join("elsewhere.jsonl");
        std::fs::write(&outside, line("user", "2026-03-03T10:00:00Z", "a walrus")).unwrap();
        let never = AtomicBool::new(false);
        // Only the named paths: old.jsonl changed too but is not looked at.
        let st = idx
            .update_paths(
                &s.roots,
                &[new.clone(), added.clone(), outside],
                &|_| {},
                &never,
            )
            .unwrap();
        assert_eq!((st.files_indexed, st.files_removed), (2, 0));
        assert_eq!(find(&idx, "zebra").len(), 1);
        assert_eq!(find(&idx, "giraffe").len(), 1);
        assert!(find(&idx, "walrus").is_empty(), "not under a root");
        assert!(find(&idx, "okapi").is_empty(), "not named");
        assert_eq!(
            find(&idx, "mismatched").len(),
            1,
            "old.jsonl as indexed before"
        );
        // Named again unchanged: nothing read. Deleted: its pieces go.
        let st = idx
            .update_paths(&s.roots, std::slice::from_ref(&new), &|_| {}, &never)
            .unwrap();
        assert_eq!((st.files_indexed, st.files_removed), (0, 0));
        std::fs::remove_file(&new).unwrap();
        let st = idx.update_paths(&s.roots, &[new], &|_| {}, &never).unwrap();
        assert_eq!((st.files_indexed, st.files_removed), (0, 1));
        assert!(find(&idx, "zebra").is_empty());
        // A full update still finds what the named ones left.
        let st = idx.update(&s.roots, &|_| {}, &never).unwrap();
        assert_eq!((st.files_indexed, st.files_removed), (1, 0));
        assert_eq!(find(&idx, "okapi").len(), 1);
        // A second connection for queries sees what the first wrote.
        let reader = SearchIndex::open_for_queries(&s.db).unwrap();
        assert_eq!(find(&reader, "giraffe").len(), 1);
    }

    #[test]
    fn cancelling_stops_before_any_batch_and_a_damaged_index_is_rebuilt() {
        let s = setup();
        let mut idx = SearchIndex::open(&s.db).unwrap();
        let st = idx
            .update(&s.roots, &|_| {}, &AtomicBool::new(true))
            .unwrap();
        assert!(st.cancelled);
        assert_eq!(st.files_indexed, 0);
        drop(idx);
        std::fs::write(&s.db, b"garbage garbage garbage").unwrap();
        let idx = build(&s);
        assert_eq!(find(&idx, "mismatched").len(), 1);
    }
}
