//! Full-text search over transcripts: an SQLite FTS5 index of user prompts, assistant
//! text and tool output (the entries `transcript` reads from every agent's files), kept
//! in `<data dir>/search.sqlite3`.
//!
//! [`SearchIndex::update`] brings the index up to date with the transcript files under
//! the roots ([`build`]): a file whose stamp (size, mtime, inode) is unchanged is
//! skipped, an append-only transcript that grew is read from where the last update
//! stopped (only its new lines), another changed one has its rows replaced, a vanished
//! one is dropped. Files are read and split into pieces on reader threads while the
//! calling thread writes them, in transactions of a few megabytes of text, so an
//! update can report progress and be cancelled between files (an `AtomicBool`)
//! without leaving a half-indexed file. A file that cannot be read at all (over the
//! whole-file cap, not a regular file) is not indexed and is listed in the update's
//! [`UpdateStats::skipped`], every update, for the CLI and the app to show. The app
//! runs it in the background at idle priority; the CLI runs it before each search.
//!
//! [`SearchIndex::search`] ([`query`]) matches every word of the query (a `"quoted
//! phrase"` as a phrase), case- and accent-insensitively (`unicode61` with diacritics
//! removed), and lists the newest pieces first with a highlighted snippet.
//!
//! The index keeps no copy of the text (a contentless FTS5 table: the words and their
//! positions only, so it is about half the size of the text it indexes). Each piece's
//! row id is its time (seconds × [`KEY_SLOTS`] + a slot), so "newest first" is the
//! index's own order and a search stops after the hits it shows; beside it, `meta`
//! says where the piece is (file, line offset, entry), and a snippet is made by reading
//! that entry again from the transcript. A transcript rewritten since it was indexed
//! (until the next update) gives its hits without a snippet.
//!
//! Like the session cache, this database is derived data only: a damaged or old one is
//! deleted and rebuilt; its integrity check runs once a day, not at every open.
//! Not indexed: opencode (a database, not files), thinking, tool inputs, and text
//! beyond the first 64 KB of one entry. Scripts without spaces between words
//! (Chinese, Japanese) match only whole runs of characters.

mod build;
mod query;

use std::path::{Path, PathBuf};
use std::sync::atomic::AtomicBool;

use chrono::{DateTime, Utc};
use rusqlite::Connection;

use crate::agents::HarnessRoot;
use crate::model::{Harness, ScanProgress, SearchHit, TextRole};

pub use query::fts_query;

/// Version 4: a contentless index keyed by time, with `meta` pointing into the files,
/// whose rows are found by a hash of their path.
const SCHEMA_VERSION: i64 = 4;

/// Longest text kept from one entry (a tool output can be megabytes; its first part is
/// what people search for: the command's errors and results).
pub const PIECE_MAX_BYTES: usize = 64 * 1024;

/// Row ids per second of piece time: a piece's id is `seconds * KEY_SLOTS + slot`.
/// Few, so the gaps between the ids of one word's pieces, which the index stores,
/// stay short (two bytes for pieces minutes apart); a second with more pieces than
/// slots goes on in the next second's.
const KEY_SLOTS: i64 = 1 << 8;
/// Ids below this are pieces without a time (numbered in the order they came).
const UNTIMED_END: i64 = 1 << 32;

/// The first id a piece written at `ts` may take; `None` for no (usable) time.
fn key_base(ts: Option<DateTime<Utc>>) -> Option<i64> {
    let secs = ts?.timestamp();
    (UNTIMED_END / KEY_SLOTS..1 << 40)
        .contains(&secs)
        .then_some(secs * KEY_SLOTS)
}

/// The smallest id of a piece written at or after `since`.
fn key_since(since: DateTime<Utc>) -> i64 {
    key_base(Some(since)).unwrap_or(if since.timestamp() < 0 {
        0
    } else {
        UNTIMED_END
    })
}

/// What an update did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct UpdateStats {
    pub files_indexed: u64,
    pub files_removed: u64,
    pub bytes_read: u64,
    pub pieces: u64,
    /// Bytes of text handed to the index (after the [`PIECE_MAX_BYTES`] cut).
    pub text_bytes: u64,
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

/// How often the whole file's integrity is checked (`PRAGMA quick_check` reads every
/// page: seconds for a gigabyte index, too slow for every `sessionscope search`).
const CHECK_EVERY_SECS: i64 = 24 * 3600;

fn unix_now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs() as i64)
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
    /// `PRAGMA quick_check`, which reads every page of the index, and need not run
    /// twice.
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
        let now = unix_now();
        let checked = std::cell::Cell::new(false);
        let (conn, version) = crate::sqlite_file::open_checked_if(
            path,
            std::time::Duration::from_secs(5),
            |conn, version| {
                let due = version != SCHEMA_VERSION || !checked_since(conn, now);
                checked.set(due);
                due
            },
        )?;
        match version {
            0 => {
                let tx = conn.unchecked_transaction()?;
                tx.execute_batch(
                    "CREATE TABLE files (
                        id INTEGER PRIMARY KEY, path TEXT NOT NULL, harness TEXT NOT NULL,
                        size INTEGER NOT NULL, mtime_ns INTEGER NOT NULL, inode INTEGER NOT NULL,
                        at_offset INTEGER, at_index INTEGER, carry TEXT
                     );
                     CREATE VIRTUAL TABLE pieces USING fts5(
                        body, tag, content = '', contentless_delete = 1,
                        tokenize = 'unicode61 remove_diacritics 2'
                     );
                     CREATE TABLE meta (
                        id INTEGER PRIMARY KEY, file INTEGER NOT NULL, role INTEGER NOT NULL,
                        ts INTEGER, line INTEGER NOT NULL, entry INTEGER NOT NULL
                     );
                     CREATE INDEX meta_file ON meta (file);
                     CREATE TABLE kv (key TEXT PRIMARY KEY, value TEXT NOT NULL);",
                )?;
                // Pending text is flushed to the index in segments of this many bytes
                // (default 1 MiB: hundreds of small segments to merge again).
                tx.execute(
                    "INSERT INTO pieces (pieces, rank) VALUES ('hashsize', ?1)",
                    [build::HASH_BYTES as i64],
                )?;
                tx.pragma_update(None, "user_version", SCHEMA_VERSION)?;
                tx.commit()?;
            }
            SCHEMA_VERSION => {}
            _ => return Err(rusqlite::Error::InvalidQuery),
        }
        if checked.get() {
            conn.execute(
                "INSERT OR REPLACE INTO kv (key, value) VALUES ('checked_at', ?1)",
                [now.to_string()],
            )?;
        }
        Ok(SearchIndex { conn })
    }

    /// Bring the index up to date with the transcripts under `roots`; see the module
    /// documentation. `progress` is called after each file; setting `cancel` stops
    /// the update after the file in flight (what was committed stays valid).
    pub fn update(
        &mut self,
        roots: &[HarnessRoot],
        progress: &(dyn Fn(ScanProgress) + Sync),
        cancel: &AtomicBool,
    ) -> rusqlite::Result<UpdateStats> {
        build::update(&mut self.conn, roots, progress, cancel)
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
        build::update_paths(&mut self.conn, roots, paths, progress, cancel)
    }

    /// The newest pieces matching `query`, at most `filter.limit` (default 50).
    pub fn search(&self, query: &str, filter: &SearchFilter) -> Result<Vec<SearchHit>, String> {
        query::search(&self.conn, query, filter)
    }
}

/// Did the index pass its integrity check within [`CHECK_EVERY_SECS`] before `now`
/// (and not in the future: a clock set back does not postpone it for good)?
fn checked_since(conn: &Connection, now: i64) -> bool {
    conn.query_row("SELECT value FROM kv WHERE key = 'checked_at'", [], |r| {
        r.get::<_, String>(0)
    })
    .ok()
    .and_then(|a| a.parse::<i64>().ok())
    .is_some_and(|at| at > now - CHECK_EVERY_SECS && at <= now)
}

/// `role` as stored in `meta`.
fn role_code(role: TextRole) -> i64 {
    match role {
        TextRole::User => 0,
        TextRole::Assistant => 1,
        TextRole::Tool => 2,
    }
}

fn role_of(code: i64) -> TextRole {
    match code {
        0 => TextRole::User,
        1 => TextRole::Assistant,
        _ => TextRole::Tool,
    }
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
        // Joined a component at a time, as the watcher names them (on Windows a
        // "-w/new.jsonl" join is a path no walk or watcher gives, with a '/' in it).
        let new = s.root.join("-w").join("new.jsonl");
        let old = s.root.join("-w").join("old.jsonl");
        let added = s.root.join("-w").join("added.jsonl");
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

    fn append(path: &Path, text: &str) {
        use std::io::Write;
        let mut f = std::fs::OpenOptions::new().append(true).open(path).unwrap();
        f.write_all(text.as_bytes()).unwrap();
    }

    #[test]
    fn an_appended_line_is_found_and_only_it_is_read() {
        let s = setup();
        let mut idx = build(&s);
        let file = s.root.join("-w/old.jsonl");
        let before = std::fs::metadata(&file).unwrap().len();
        let added = line("user", "2026-01-01T10:03:00Z", "now the walrus speaks");
        append(&file, &added);
        // Half a line (an agent mid-write) is not read yet.
        append(&file, "{\"type\":\"user\",\"timestamp\":\"2026-01-01T10:04:00Z\",\"message\":{\"role\":\"user\",\"content\":\"kiwi");
        let st = idx
            .update(&s.roots, &|_| {}, &AtomicBool::new(false))
            .unwrap();
        assert_eq!(st.files_indexed, 1);
        // Where the OS gives the walk no inode (Windows) an append cannot be told from
        // a replacement, and the file is read whole again (build.rs).
        if cfg!(unix) {
            assert_eq!(st.pieces, 1, "only the new line");
            assert!(st.bytes_read < std::fs::metadata(&file).unwrap().len() - before + 1);
        }
        let hit = &find(&idx, "walrus")[0];
        assert_eq!(hit.session_id, "old");
        assert_eq!(hit.snippet, "now the [walrus] speaks");
        // The old pieces are still there, once.
        assert_eq!(find(&idx, "mismatched").len(), 1);
        assert!(find(&idx, "kiwi").is_empty());
        append(&file, " fruit\"}}\n");
        idx.update(&s.roots, &|_| {}, &AtomicBool::new(false))
            .unwrap();
        assert_eq!(find(&idx, "kiwi").len(), 1);
        assert_eq!(find(&idx, "walrus").len(), 1);
    }

    #[test]
    fn a_rewritten_file_is_read_again_whole() {
        let s = setup();
        let mut idx = build(&s);
        let file = s.root.join("-w/old.jsonl");
        // Shorter than before: replaced, not appended to.
        std::fs::write(&file, line("user", "2026-01-05T10:00:00Z", "brand new")).unwrap();
        idx.update(&s.roots, &|_| {}, &AtomicBool::new(false))
            .unwrap();
        assert!(find(&idx, "mismatched").is_empty());
        assert_eq!(find(&idx, "brand").len(), 1);
        // Replaced by a longer file (a new inode): read whole again too.
        let tmp = s.root.join("-w/old.tmp");
        std::fs::write(
            &tmp,
            line(
                "user",
                "2026-01-06T10:00:00Z",
                "completely different and much longer text",
            ) + &line("user", "2026-01-06T10:00:01Z", "second line here"),
        )
        .unwrap();
        std::fs::rename(&tmp, &file).unwrap();
        idx.update(&s.roots, &|_| {}, &AtomicBool::new(false))
            .unwrap();
        assert!(find(&idx, "brand").is_empty());
        assert_eq!(find(&idx, "different").len(), 1);
    }

    #[test]
    fn newest_first_across_files_written_in_any_order_with_harness_and_date_filters() {
        let dir = tempfile::tempdir().unwrap();
        let claude = dir.path().join("projects");
        std::fs::create_dir_all(claude.join("-w")).unwrap();
        let codex = dir.path().join("sessions");
        std::fs::create_dir_all(codex.join("2026/02/01")).unwrap();
        // Many files whose times interleave, and pieces sharing one second.
        let mut expect = Vec::new();
        for f in 0..12 {
            let mut body = String::new();
            for i in 0..5 {
                let ts = format!("2026-01-{:02}T10:00:{:02}Z", 1 + i * 3 + f % 3, f);
                body += &line("user", &ts, &format!("common token f{f} i{i}"));
                expect.push((ts, f, i));
            }
            std::fs::write(claude.join(format!("-w/s{f:02}.jsonl")), body).unwrap();
        }
        std::fs::write(
            codex.join(
                "2026/02/01/rollout-2026-02-01T10-00-00-0199a0a0-0000-7000-8000-000000000001.jsonl",
            ),
            serde_json::json!({"timestamp": "2026-02-01T10:00:00.500Z", "type": "response_item",
                "payload": {"type": "message", "role": "user",
                    "content": [{"type": "input_text", "text": "common token from codex"}]}})
            .to_string()
                + "\n",
        )
        .unwrap();
        let roots = vec![
            HarnessRoot {
                harness: Harness::ClaudeCode,
                path: claude,
            },
            HarnessRoot {
                harness: Harness::Codex,
                path: codex,
            },
        ];
        let mut idx = SearchIndex::open(&dir.path().join("s.sqlite3")).unwrap();
        idx.update(&roots, &|_| {}, &AtomicBool::new(false))
            .unwrap();
        let all = idx
            .search(
                "common token",
                &SearchFilter {
                    limit: 1000,
                    ..SearchFilter::default()
                },
            )
            .unwrap();
        assert_eq!(all.len(), 61);
        assert_eq!(all[0].harness, Harness::Codex);
        let times: Vec<_> = all.iter().map(|h| h.timestamp.unwrap()).collect();
        assert!(times.windows(2).all(|w| w[0] >= w[1]), "{times:?}");
        assert_eq!(
            all[0].timestamp,
            "2026-02-01T10:00:00.500Z".parse::<DateTime<Utc>>().ok()
        );
        // The limit takes the newest.
        let five = idx
            .search(
                "common",
                &SearchFilter {
                    limit: 5,
                    ..SearchFilter::default()
                },
            )
            .unwrap();
        let key = |h: &SearchHit| (h.path.clone(), h.timestamp);
        assert_eq!(
            five.iter().map(key).collect::<Vec<_>>(),
            all[..5].iter().map(key).collect::<Vec<_>>()
        );
        let only = |harness, since: Option<&str>| {
            idx.search(
                "token",
                &SearchFilter {
                    harness,
                    since: since.map(|s| s.parse().unwrap()),
                    limit: 1000,
                },
            )
            .unwrap()
        };
        assert_eq!(only(Some(Harness::Codex), None).len(), 1);
        assert_eq!(only(Some(Harness::ClaudeCode), None).len(), 60);
        // "codex" is a harness name, not a word of the Claude pieces.
        assert_eq!(find(&idx, "codex").len(), 1);
        // The date filter is exact to the millisecond.
        assert_eq!(only(None, Some("2026-02-01T10:00:00.500Z")).len(), 1);
        assert_eq!(only(None, Some("2026-02-01T10:00:00.501Z")).len(), 0);
        let since = "2026-01-13T10:00:05Z";
        let want = expect
            .iter()
            .filter(|(ts, _, _)| ts.as_str() >= since)
            .count();
        assert_eq!(only(Some(Harness::ClaudeCode), Some(since)).len(), want);
    }

    #[test]
    fn a_hit_in_a_transcript_changed_since_it_was_indexed_has_no_marks() {
        let s = setup();
        let idx = build(&s);
        let file = s.root.join("-w/old.jsonl");
        let text = std::fs::read_to_string(&file).unwrap();
        std::fs::write(&file, text.replace("mismatched", "xxxxxxxxxx")).unwrap();
        let hits = find(&idx, "mismatched");
        assert_eq!(hits.len(), 1);
        // Found (the index is as of the last update) but not marked: the text now.
        assert_eq!(
            hits[0].snippet,
            "error[E0308]: xxxxxxxxxx types in parser.rs"
        );
        std::fs::remove_file(&file).unwrap();
        assert_eq!(find(&idx, "mismatched")[0].snippet, "");
    }

    #[test]
    fn the_index_holds_no_copy_of_the_text() {
        let s = setup();
        let huge: String = (0..20_000).map(|i| format!("w{i} ")).collect();
        std::fs::write(
            s.root.join("-w/big.jsonl"),
            tool("2026-01-02T00:00:00Z", &huge),
        )
        .unwrap();
        let idx = build(&s);
        drop(idx);
        let conn = Connection::open(&s.db).unwrap();
        let tables: Vec<String> = conn
            .prepare("SELECT name FROM sqlite_master WHERE type = 'table'")
            .unwrap()
            .query_map([], |r| r.get(0))
            .unwrap()
            .collect::<Result<_, _>>()
            .unwrap();
        assert!(!tables.iter().any(|t| t == "pieces_content"), "{tables:?}");
        let idx = SearchIndex::open(&s.db).unwrap();
        let hit = &find(&idx, "w100")[0];
        assert!(hit.snippet.contains("[w100]"), "{}", hit.snippet);
        // Past the 64 KB cut: not indexed.
        assert!(huge.find("w19999").unwrap() > PIECE_MAX_BYTES);
        assert!(find(&idx, "w19999").is_empty());
    }

    #[test]
    fn a_long_transcript_is_written_in_parts_and_an_interrupted_update_goes_on() {
        let s = setup();
        let file = s.root.join("-w/long.jsonl");
        let body: String = (0..300)
            .map(|i| {
                line(
                    "user",
                    &format!("2026-04-01T10:{:02}:{:02}Z", i / 60, i % 60),
                    &format!("line{i} of the long session, padded {}", "x".repeat(40)),
                )
            })
            .collect();
        std::fs::write(&file, &body).unwrap();
        let mut idx = SearchIndex::open(&s.db).unwrap();
        let cancel = AtomicBool::new(false);
        let st = idx
            .update(
                &s.roots,
                &|p| {
                    if p.bytes_done > 0 && p.bytes_done < p.bytes_total {
                        cancel.store(true, std::sync::atomic::Ordering::Relaxed);
                    }
                },
                &cancel,
            )
            .unwrap();
        assert!(st.cancelled);
        let first = find(&idx, "padded").len();
        assert!(first > 0 && first < 300, "{first}");
        let st = idx
            .update(&s.roots, &|_| {}, &AtomicBool::new(false))
            .unwrap();
        assert!(
            st.bytes_read < body.len() as u64,
            "went on, not from the start"
        );
        let all = idx
            .search(
                "padded",
                &SearchFilter {
                    limit: 1000,
                    ..SearchFilter::default()
                },
            )
            .unwrap();
        assert_eq!(all.len(), 300, "each line once");
        assert_eq!(
            all[0].snippet,
            "line299 of the long session, [padded] xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"
        );
        // Nothing changed: nothing read.
        let st = idx
            .update(&s.roots, &|_| {}, &AtomicBool::new(false))
            .unwrap();
        assert_eq!((st.files_indexed, st.bytes_read), (0, 0));
    }
}
