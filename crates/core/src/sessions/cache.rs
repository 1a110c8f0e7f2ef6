//! The on-disk cache of the session index: for every transcript file, the facts its
//! parser derived and the stamp (size, mtime, inode) of the bytes they came from, in
//! SQLite (`<data dir>/index.sqlite3`).
//!
//! The rule is deliberately simple: **a file whose stamp is unchanged is not read
//! again; a file that changed in any way is parsed again from byte 0.** Resuming an
//! appended file from its saved offset would need each parser's private state (the
//! ids already counted, the tool calls still open, ...) persisted too; parsing one
//! changed file again costs milliseconds, so that state is not kept. Once the app is
//! running, appends are read incrementally in memory by `tail`, never re-parsed.
//!
//! The cache is only ever derived data: every row can be rebuilt from the agents' own
//! files, so a cache that cannot be opened, fails its integrity check, or has a schema
//! or parser version this build does not know is deleted and rebuilt, never trusted.
//! Nothing the user wrote lives only here. This module knows nothing of how facts
//! are computed; it stores and returns them.
//!
//! Built for 100k files (issue 17): the per-quarter-hour usage slots, most of the
//! bytes, sit in their own column and are read only by what needs them
//! ([`IndexCache::load_slots`], for `usage`), not by every start; each row also
//! carries the session id it shows, indexed, so one session is found by its id (or
//! the start of it) without loading the rest ([`IndexCache::find_ids`]). The facts are
//! kept in the binary form of [`facts_codec`], not JSON, and the whole-file integrity
//! check runs once a day (and at the next open after a failed read or write), not at
//! every start: see [`crate::sqlite_file::open_checked_if`] for why that is safe.

use std::collections::HashMap;
use std::ffi::OsString;
use std::path::{Path, PathBuf};

use rusqlite::{params, Connection, OptionalExtension};

use crate::agents::{TranscriptFacts, UsageSlot};
use crate::model::Harness;
use crate::sessions::{facts_codec, short_id};

/// Schema steps, applied in order; `PRAGMA user_version` is how many have run.
const MIGRATIONS: &[&str] = &[
    // 1: files and their facts.
    "CREATE TABLE files (
        path TEXT PRIMARY KEY,
        harness TEXT NOT NULL,
        size INTEGER NOT NULL,
        mtime_ns INTEGER NOT NULL,
        inode INTEGER NOT NULL,
        oversized_lines INTEGER NOT NULL,
        facts TEXT NOT NULL
     );
     CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);",
    // 2: the usage slots apart from the other facts (a start reads no slots), and the
    // session id (and its distinct part, see `short_id`) indexed for lookups by id.
    // The old rows are dropped: they are rebuilt from the files.
    "DROP TABLE files;
     CREATE TABLE files (
        path TEXT PRIMARY KEY,
        harness TEXT NOT NULL,
        size INTEGER NOT NULL,
        mtime_ns INTEGER NOT NULL,
        inode INTEGER NOT NULL,
        oversized_lines INTEGER NOT NULL,
        session_id TEXT NOT NULL,
        id_part TEXT NOT NULL,
        facts TEXT NOT NULL,
        slots TEXT NOT NULL
     );
     CREATE INDEX files_by_id ON files (session_id);
     CREATE INDEX files_by_part ON files (id_part);",
    // 3: the facts in the binary form of `facts_codec` (a warm start decoded 100k
    // JSON documents); the JSON rows are dropped and rebuilt from the files.
    "DROP TABLE files;
     CREATE TABLE files (
        path TEXT PRIMARY KEY,
        harness TEXT NOT NULL,
        size INTEGER NOT NULL,
        mtime_ns INTEGER NOT NULL,
        inode INTEGER NOT NULL,
        oversized_lines INTEGER NOT NULL,
        session_id TEXT NOT NULL,
        id_part TEXT NOT NULL,
        facts BLOB NOT NULL,
        slots TEXT NOT NULL
     );
     CREATE INDEX files_by_id ON files (session_id);
     CREATE INDEX files_by_part ON files (id_part);",
];

/// Bumped whenever a parser starts deriving different facts from the same bytes: the
/// cached facts of an older parser are then dropped (the files are read again).
pub const PARSER_VERSION: &str = "2";

/// What identifies the content a file had when its facts were derived.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FileStamp {
    pub size: u64,
    pub mtime_ns: i64,
    pub inode: u64,
}

impl FileStamp {
    /// The stamp of `path` now; `None` when it cannot be read (gone).
    pub fn of(path: &Path) -> Option<FileStamp> {
        std::fs::metadata(path)
            .ok()
            .map(|m| FileStamp::from_meta(&m))
    }

    pub fn from_meta(meta: &std::fs::Metadata) -> FileStamp {
        let mtime_ns = meta
            .modified()
            .ok()
            .and_then(|t| t.duration_since(std::time::UNIX_EPOCH).ok())
            .map(|d| d.as_nanos() as i64)
            .unwrap_or(0);
        FileStamp {
            size: meta.len(),
            mtime_ns,
            inode: crate::agent_file::inode(meta),
        }
    }
}

/// One file as cached. [`IndexCache::load`] leaves `facts.usage_slots` empty (they
/// are read by [`IndexCache::load_slots`]); [`IndexCache::save`] stores them.
#[derive(Debug, Clone, PartialEq)]
pub struct CachedFile {
    pub harness: Harness,
    pub stamp: FileStamp,
    pub oversized_lines: u32,
    /// The id the session's row shows (what `transcript ID` and `kill ID` match).
    pub session_id: String,
    pub facts: TranscriptFacts,
}

/// Cached files by path, as bytes (see [`IndexCache::load`]).
pub type CachedFiles = HashMap<OsString, CachedFile, foldhash::fast::RandomState>;

/// A cached file whose session id matched a lookup ([`IndexCache::find_ids`]).
#[derive(Debug, Clone, PartialEq)]
pub struct FoundId {
    pub path: PathBuf,
    pub harness: Harness,
    pub session_id: String,
}

/// An open cache database. See the module documentation.
pub struct IndexCache {
    conn: Connection,
    path: PathBuf,
}

impl IndexCache {
    /// Where the app and the CLI keep the cache.
    pub fn default_path() -> PathBuf {
        crate::paths::data_dir().join("index.sqlite3")
    }

    /// Open (or create) the cache at `path`. A file that is not a usable cache of
    /// this version is deleted and created afresh; `Err` only when even a fresh one
    /// cannot be created (read-only directory, ...), and then the index simply runs
    /// without a cache.
    pub fn open(path: &Path) -> rusqlite::Result<IndexCache> {
        crate::sqlite_file::open_rebuildable(path, Self::try_open)
    }

    fn try_open(path: &Path) -> rusqlite::Result<IndexCache> {
        let now = unix_now();
        let checked = std::cell::Cell::new(false);
        let (conn, version) = crate::sqlite_file::open_checked_if(
            path,
            std::time::Duration::from_secs(2),
            |conn, version| {
                let due = version == 0 || !checked_since(conn, now - CHECK_EVERY_SECS);
                checked.set(due);
                due
            },
        )?;
        if version < 0 || version as usize > MIGRATIONS.len() {
            // Written by a newer build: not ours to interpret.
            return Err(rusqlite::Error::InvalidQuery);
        }
        for (i, step) in MIGRATIONS.iter().enumerate().skip(version as usize) {
            let tx = conn.unchecked_transaction()?;
            tx.execute_batch(step)?;
            tx.pragma_update(None, "user_version", (i + 1) as i64)?;
            tx.commit()?;
        }
        let parser: Option<String> = conn
            .query_row(
                "SELECT value FROM meta WHERE key = 'parser_version'",
                [],
                |r| r.get(0),
            )
            .optional()?;
        if parser.as_deref() != Some(PARSER_VERSION) {
            conn.execute_batch("DELETE FROM files")?;
            conn.execute(
                "INSERT OR REPLACE INTO meta (key, value) VALUES ('parser_version', ?1)",
                [PARSER_VERSION],
            )?;
        }
        if checked.get() {
            conn.execute(
                "INSERT OR REPLACE INTO meta (key, value) VALUES ('checked_at', ?1)",
                [now.to_string()],
            )?;
        }
        Ok(IndexCache {
            conn,
            path: path.to_path_buf(),
        })
    }

    /// Open an existing cache of this version for a lookup ([`IndexCache::find_ids`],
    /// [`IndexCache::load_one`]) without the integrity check of [`IndexCache::open`],
    /// which reads the whole file (a tenth of a second for 100k files): `None` when
    /// there is none, or it is of another schema or parser version. A damaged page
    /// still makes the lookup fail (SQLite checks every page it reads), and then the
    /// caller scans as without a cache, which opens it with the check.
    pub fn open_for_lookup(path: &Path) -> Option<IndexCache> {
        use rusqlite::OpenFlags;
        let conn = Connection::open_with_flags(
            path,
            OpenFlags::SQLITE_OPEN_READ_WRITE | OpenFlags::SQLITE_OPEN_NO_MUTEX,
        )
        .ok()?;
        conn.busy_timeout(std::time::Duration::from_secs(2)).ok()?;
        let version: i64 = conn
            .query_row("PRAGMA user_version", [], |r| r.get(0))
            .ok()?;
        let parser: String = conn
            .query_row(
                "SELECT value FROM meta WHERE key = 'parser_version'",
                [],
                |r| r.get(0),
            )
            .ok()?;
        (version as usize == MIGRATIONS.len() && parser == PARSER_VERSION).then(|| IndexCache {
            conn,
            path: path.to_path_buf(),
        })
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Every cached file, without its usage slots, by its path (as bytes: hashing a
    /// `Path` goes component by component, slow for 100k of them). Rows that do not
    /// decode (a damaged row) are left out, so their files are simply read again.
    pub fn load(&self) -> CachedFiles {
        // Sized at once: growing a map of 100k entries rehashes it again and again.
        let n: i64 = self
            .conn
            .query_row("SELECT count(*) FROM files", [], |r| r.get(0))
            .unwrap_or(0);
        self.load_where("", [], n.clamp(0, 1 << 24) as usize)
    }

    /// The cached file at `path`, without its usage slots.
    pub fn load_one(&self, path: &Path) -> Option<CachedFile> {
        let key = path.to_string_lossy();
        self.load_where("WHERE path = ?1", [key.as_ref()], 1)
            .into_values()
            .next()
    }

    fn load_where<P: rusqlite::Params>(&self, filter: &str, p: P, size: usize) -> CachedFiles {
        let mut out = CachedFiles::with_capacity_and_hasher(size, Default::default());
        let sql = format!(
            "SELECT path, harness, size, mtime_ns, inode, oversized_lines, session_id, facts
             FROM files {filter}"
        );
        let Ok(mut stmt) = self.conn.prepare(&sql) else {
            self.want_check();
            return out;
        };
        let Ok(mut rows) = stmt.query(p) else {
            self.want_check();
            return out;
        };
        loop {
            let r = match rows.next() {
                Ok(Some(r)) => r,
                Ok(None) => break,
                Err(_) => {
                    // What is not read is read from the files; the next open checks
                    // (and if need be rebuilds) the cache.
                    self.want_check();
                    break;
                }
            };
            let (Ok(path), Ok(harness), Ok(size), Ok(mtime_ns), Ok(inode), Ok(oversized)) = (
                r.get_ref(0).and_then(|v| Ok(v.as_str()?)),
                r.get_ref(1).and_then(|v| Ok(v.as_str()?)),
                r.get::<_, i64>(2),
                r.get::<_, i64>(3),
                r.get::<_, i64>(4),
                r.get::<_, i64>(5),
            ) else {
                continue;
            };
            let (Some(harness), Ok(session_id), Ok(facts)) = (
                harness_named(harness),
                r.get::<_, String>(6),
                r.get_ref(7)
                    .map_err(|_| ())
                    .and_then(|v| v.as_blob().map_err(|_| ()))
                    .and_then(|b| facts_codec::decode(b).ok_or(())),
            ) else {
                continue;
            };
            out.insert(
                OsString::from(path),
                CachedFile {
                    harness,
                    stamp: FileStamp {
                        size: size as u64,
                        mtime_ns,
                        inode: inode as u64,
                    },
                    oversized_lines: oversized as u32,
                    session_id,
                    facts,
                },
            );
        }
        out
    }

    /// The usage slots of every cached file (`paths`: of these only, when given), with
    /// the stamp they were derived at: a caller holding facts of another stamp (the
    /// file changed and another process saved it since) must not mix the two.
    pub fn load_slots(
        &self,
        paths: Option<&[&Path]>,
    ) -> HashMap<PathBuf, (FileStamp, Vec<UsageSlot>)> {
        let mut out = HashMap::new();
        let decode = |r: &rusqlite::Row| -> Option<(PathBuf, (FileStamp, Vec<UsageSlot>))> {
            let path = r.get::<_, String>(0).ok()?;
            let stamp = FileStamp {
                size: r.get::<_, i64>(1).ok()? as u64,
                mtime_ns: r.get(2).ok()?,
                inode: r.get::<_, i64>(3).ok()? as u64,
            };
            let slots = r.get_ref(4).ok()?.as_bytes().ok()?;
            let slots = serde_json::from_slice::<Vec<UsageSlot>>(slots).ok()?;
            Some((PathBuf::from(path), (stamp, slots)))
        };
        const COLUMNS: &str = "SELECT path, size, mtime_ns, inode, slots FROM files";
        match paths {
            None => {
                let Ok(mut stmt) = self.conn.prepare(COLUMNS) else {
                    return out;
                };
                let Ok(mut rows) = stmt.query([]) else {
                    return out;
                };
                while let Ok(Some(r)) = rows.next() {
                    out.extend(decode(r));
                }
            }
            Some(paths) => {
                let Ok(mut stmt) = self.conn.prepare(&format!("{COLUMNS} WHERE path = ?1")) else {
                    return out;
                };
                for p in paths {
                    if let Ok(Some(found)) =
                        stmt.query_row([p.to_string_lossy()], |r| Ok(decode(r)))
                    {
                        out.extend([found]);
                    }
                }
            }
        }
        out
    }

    /// The cached files whose session id is `wanted`, whose key
    /// (`<harness>:<id>`, as rows have it) is, or whose id `wanted` names as a short
    /// id ([`short_id::matches`]: the start of the id or of its distinct part); at
    /// most `limit` of them. What the cache knew at its last save: a caller checks
    /// that the files are still the ones cached. `Err` when the cache could not be
    /// read to the end (then what it holds is not known).
    pub fn find_ids(&self, wanted: &str, limit: usize) -> rusqlite::Result<Vec<FoundId>> {
        let mut out: Vec<FoundId> = Vec::new();
        if wanted.is_empty() {
            return Ok(out);
        }
        let key = wanted
            .split_once(':')
            .and_then(|(h, id)| Some((harness_named(h)?, id)));
        // Every string starting with `wanted` sorts in [wanted, wanted + U+10FFFF)
        // (but one whose next character is U+10FFFF itself, which no id has).
        let upper = format!("{wanted}\u{10FFFF}");
        let sql = "SELECT path, harness, session_id FROM files
                   WHERE session_id = ?2
                      OR (session_id >= ?1 AND session_id < ?3)
                      OR (id_part >= ?1 AND id_part < ?3)";
        let mut stmt = self.conn.prepare(sql)?;
        let by_key = key.map_or(wanted, |(_, id)| id);
        let mut rows = stmt.query(params![wanted, by_key, upper])?;
        while let Some(r) = rows.next()? {
            if out.len() >= limit {
                break;
            }
            let (path, harness, session_id) = (
                r.get::<_, String>(0)?,
                r.get::<_, String>(1)?,
                r.get::<_, String>(2)?,
            );
            let Some(harness) = harness_named(&harness) else {
                continue;
            };
            let named = short_id::matches(&session_id, wanted)
                || key.is_some_and(|(h, id)| h == harness && id == session_id);
            if named {
                out.push(FoundId {
                    path: PathBuf::from(path),
                    harness,
                    session_id,
                });
            }
        }
        Ok(out)
    }

    /// Have the next [`IndexCache::open`] run the integrity check: a read or write
    /// failed, which may be damage. Best effort: a cache too damaged to note it is
    /// checked at the latest after [`CHECK_EVERY_SECS`].
    fn want_check(&self) {
        let _ = self
            .conn
            .execute("DELETE FROM meta WHERE key = 'checked_at'", []);
    }

    /// Write `upserts` and forget `removed`, in one transaction.
    pub fn save(
        &mut self,
        upserts: &[(&Path, &CachedFile)],
        removed: &[PathBuf],
    ) -> rusqlite::Result<()> {
        if upserts.is_empty() && removed.is_empty() {
            return Ok(());
        }
        let saved = self.try_save(upserts, removed);
        if saved.is_err() {
            self.want_check();
        }
        saved
    }

    fn try_save(
        &mut self,
        upserts: &[(&Path, &CachedFile)],
        removed: &[PathBuf],
    ) -> rusqlite::Result<()> {
        let tx = self.conn.transaction()?;
        {
            let mut put = tx.prepare_cached(
                "INSERT OR REPLACE INTO files
                 (path, harness, size, mtime_ns, inode, oversized_lines, session_id, id_part,
                  facts, slots)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)",
            )?;
            let json = |v: Result<String, serde_json::Error>| {
                v.map_err(|e| rusqlite::Error::ToSqlConversionFailure(Box::new(e)))
            };
            for (path, file) in upserts {
                let slots = json(serde_json::to_string(&file.facts.usage_slots))?;
                let facts = if file.facts.usage_slots.is_empty() {
                    facts_codec::encode(&file.facts)
                } else {
                    let mut facts = file.facts.clone();
                    facts.usage_slots = Vec::new();
                    facts_codec::encode(&facts)
                };
                put.execute(params![
                    path.to_string_lossy(),
                    file.harness.as_str(),
                    file.stamp.size as i64,
                    file.stamp.mtime_ns,
                    file.stamp.inode as i64,
                    file.oversized_lines as i64,
                    file.session_id,
                    short_id::distinct_part(&file.session_id),
                    facts,
                    slots
                ])?;
            }
            let mut del = tx.prepare_cached("DELETE FROM files WHERE path = ?1")?;
            for path in removed {
                del.execute([path.to_string_lossy()])?;
            }
        }
        tx.commit()
    }
}

/// How often [`IndexCache::open`] runs the whole-file integrity check (seconds); in
/// between, a cache whose reads or writes failed asks for it at its next open
/// ([`IndexCache::want_check`]).
const CHECK_EVERY_SECS: i64 = 24 * 3600;

fn unix_now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs() as i64)
}

/// Did the cache pass its integrity check after `since` (and not in the future: a
/// clock set back does not postpone the check for good)? Any read error is a no.
fn checked_since(conn: &Connection, since: i64) -> bool {
    let at: Option<String> = conn
        .query_row("SELECT value FROM meta WHERE key = 'checked_at'", [], |r| {
            r.get(0)
        })
        .ok();
    let now = unix_now();
    at.and_then(|a| a.parse::<i64>().ok())
        .is_some_and(|at| at > since && at <= now)
}

/// The harness a cache row names (as [`Harness::as_str`] spells it).
fn harness_named(name: &str) -> Option<Harness> {
    name.parse().ok().filter(|h: &Harness| h.as_str() == name)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entry(size: u64) -> CachedFile {
        let facts = TranscriptFacts {
            user_messages: 3,
            title: Some("héllo".into()),
            ..TranscriptFacts::default()
        };
        CachedFile {
            harness: Harness::ClaudeCode,
            stamp: FileStamp {
                size,
                mtime_ns: 1_700_000_000_123_456_789,
                inode: 42,
            },
            oversized_lines: 1,
            session_id: "9f2c1a7e-0000-4000-8000-00000000000a".into(),
            facts,
        }
    }

    fn slot(model: &str, tokens: u64) -> UsageSlot {
        UsageSlot {
            slot: chrono::DateTime::from_timestamp(1_700_000_100, 0).unwrap(),
            model: model.into(),
            usage: crate::model::Usage {
                input_tokens: tokens,
                ..Default::default()
            },
            cost_usd: 0.5,
        }
    }

    #[test]
    fn slots_are_kept_apart_and_read_only_when_asked() {
        let dir = tempfile::tempdir().unwrap();
        let db = dir.path().join("index.sqlite3");
        let a = PathBuf::from("/x/a.jsonl");
        let b = PathBuf::from("/x/b.jsonl");
        let mut with_slots = entry(10);
        with_slots.facts.usage_slots = vec![slot("m1", 7), slot("m2", 9)];
        let mut c = IndexCache::open(&db).unwrap();
        c.save(&[(&a, &with_slots), (&b, &entry(20))], &[]).unwrap();
        // A start reads the facts without their slots...
        let rows = c.load();
        assert!(rows[a.as_os_str()].facts.usage_slots.is_empty());
        let mut bare = with_slots.clone();
        bare.facts.usage_slots.clear();
        assert_eq!(rows[a.as_os_str()], bare);
        assert_eq!(c.load_one(&a), Some(bare));
        assert_eq!(c.load_one(Path::new("/x/none.jsonl")), None);
        // ...and a report reads them, with the stamp they belong to.
        let slots = c.load_slots(None);
        assert_eq!(
            slots[&a],
            (with_slots.stamp, with_slots.facts.usage_slots.clone())
        );
        assert_eq!(slots[&b], (entry(20).stamp, vec![]));
        let only_a = c.load_slots(Some(&[a.as_path()]));
        assert_eq!(only_a.keys().collect::<Vec<_>>(), [&a]);
    }

    #[test]
    fn ids_are_found_whole_by_key_and_by_their_start() {
        let dir = tempfile::tempdir().unwrap();
        let mut c = IndexCache::open(&dir.path().join("index.sqlite3")).unwrap();
        let with = |id: &str, harness: Harness| CachedFile {
            session_id: id.into(),
            harness,
            ..entry(1)
        };
        let rows = [
            (
                "/c/aaaa1111-1.jsonl",
                with("aaaa1111-1", Harness::ClaudeCode),
            ),
            (
                "/c/aaaa2222-2.jsonl",
                with("aaaa2222-2", Harness::ClaudeCode),
            ),
            ("/x/aaaa1111-1.jsonl", with("aaaa1111-1", Harness::Codex)),
            (
                "/g/2026-11-20-quick-fox",
                with("2026-11-20-quick-fox", Harness::Gptme),
            ),
            (
                "/c/aaaa1111-10.jsonl",
                with("aaaa1111-10", Harness::ClaudeCode),
            ),
        ];
        let refs: Vec<(PathBuf, CachedFile)> = rows
            .iter()
            .map(|(p, f)| (PathBuf::from(p), f.clone()))
            .collect();
        let refs: Vec<(&Path, &CachedFile)> = refs.iter().map(|(p, f)| (p.as_path(), f)).collect();
        c.save(&refs, &[]).unwrap();
        let found = |q: &str| {
            let mut v: Vec<String> = c
                .find_ids(q, 10)
                .unwrap()
                .into_iter()
                .map(|f| format!("{}:{}", f.harness, f.path.display()))
                .collect();
            v.sort();
            v
        };
        assert_eq!(
            found("aaaa1111-1"),
            [
                "claude-code:/c/aaaa1111-1.jsonl",
                "claude-code:/c/aaaa1111-10.jsonl",
                "codex:/x/aaaa1111-1.jsonl"
            ]
        );
        assert_eq!(found("codex:aaaa1111-1"), ["codex:/x/aaaa1111-1.jsonl"]);
        assert_eq!(found("aaaa2"), ["claude-code:/c/aaaa2222-2.jsonl"]);
        assert_eq!(found("aaaa").len(), 4);
        // gptme's date is not what a user types: the rest of the id is.
        assert_eq!(found("quick"), ["gptme:/g/2026-11-20-quick-fox"]);
        assert_eq!(found("2026-11-20-q"), ["gptme:/g/2026-11-20-quick-fox"]);
        assert!(found("b").is_empty());
        assert!(found("").is_empty());
        assert!(found("gemini:aaaa1111-1").is_empty());
        assert_eq!(c.find_ids("aaaa", 2).unwrap().len(), 2);
    }

    #[test]
    fn a_lookup_opens_only_a_cache_of_this_version_and_creates_none() {
        let dir = tempfile::tempdir().unwrap();
        let db = dir.path().join("index.sqlite3");
        assert!(IndexCache::open_for_lookup(&db).is_none());
        assert!(!db.exists());
        let a = PathBuf::from("/x/a.jsonl");
        IndexCache::open(&db)
            .unwrap()
            .save(&[(&a, &entry(1))], &[])
            .unwrap();
        let c = IndexCache::open_for_lookup(&db).unwrap();
        assert_eq!(c.find_ids("9f2c1a7e", 5).unwrap().len(), 1);
        drop(c);
        let conn = Connection::open(&db).unwrap();
        conn.execute(
            "UPDATE meta SET value = 'old' WHERE key = 'parser_version'",
            [],
        )
        .unwrap();
        drop(conn);
        assert!(IndexCache::open_for_lookup(&db).is_none());
        std::fs::write(&db, b"not a database at all, not even close to one").unwrap();
        assert!(IndexCache::open_for_lookup(&db).is_none());
    }

    #[test]
    fn a_cache_of_the_second_schema_with_json_facts_is_emptied() {
        let dir = tempfile::tempdir().unwrap();
        let db = dir.path().join("index.sqlite3");
        let conn = Connection::open(&db).unwrap();
        conn.execute_batch(MIGRATIONS[0]).unwrap();
        conn.execute_batch(MIGRATIONS[1]).unwrap();
        conn.execute(
            "INSERT INTO files VALUES ('/x/a.jsonl', 'claude-code', 1, 2, 3, 0, 'a', 'a',
             '{\"user_messages\": 3}', '[]')",
            [],
        )
        .unwrap();
        conn.pragma_update(None, "user_version", 2).unwrap();
        drop(conn);
        let c = IndexCache::open(&db).unwrap();
        assert!(c.load().is_empty());
        assert!(c.find_ids("a", 10).unwrap().is_empty());
    }

    #[test]
    fn a_cache_of_the_first_schema_is_emptied_not_misread() {
        let dir = tempfile::tempdir().unwrap();
        let db = dir.path().join("index.sqlite3");
        let conn = Connection::open(&db).unwrap();
        conn.execute_batch(MIGRATIONS[0]).unwrap();
        conn.execute(
            "INSERT INTO files VALUES ('/x/a.jsonl', 'claude-code', 1, 2, 3, 0, '{}')",
            [],
        )
        .unwrap();
        conn.pragma_update(None, "user_version", 1).unwrap();
        drop(conn);
        let c = IndexCache::open(&db).unwrap();
        assert!(c.load().is_empty());
        assert!(c.find_ids("a", 10).unwrap().is_empty());
    }

    #[test]
    fn rows_survive_reopening_and_removal_forgets_them() {
        let dir = tempfile::tempdir().unwrap();
        let db = dir.path().join("sub/index.sqlite3");
        let a = PathBuf::from("/x/a.jsonl");
        let b = PathBuf::from("/x/b.jsonl");
        {
            let mut c = IndexCache::open(&db).unwrap();
            c.save(&[(&a, &entry(10)), (&b, &entry(20))], &[]).unwrap();
        }
        let mut c = IndexCache::open(&db).unwrap();
        let rows = c.load();
        assert_eq!(rows.len(), 2);
        assert_eq!(rows[a.as_os_str()], entry(10));
        c.save(&[], std::slice::from_ref(&a)).unwrap();
        assert_eq!(c.load().keys().collect::<Vec<_>>(), [b.as_os_str()]);
    }

    #[test]
    fn garbage_or_a_newer_schema_is_rebuilt_empty() {
        let dir = tempfile::tempdir().unwrap();
        let db = dir.path().join("index.sqlite3");
        std::fs::write(
            &db,
            b"this is not a database \x00\xff at all, not even close",
        )
        .unwrap();
        let mut c = IndexCache::open(&db).unwrap();
        assert!(c.load().is_empty());
        let a = PathBuf::from("/x/a.jsonl");
        c.save(&[(&a, &entry(1))], &[]).unwrap();
        drop(c);
        // A future build's schema: not trusted, rebuilt.
        let conn = Connection::open(&db).unwrap();
        conn.pragma_update(None, "user_version", 99).unwrap();
        drop(conn);
        assert!(IndexCache::open(&db).unwrap().load().is_empty());
    }

    fn checked_at(db: &Path) -> Option<i64> {
        let conn = Connection::open(db).unwrap();
        conn.query_row("SELECT value FROM meta WHERE key = 'checked_at'", [], |r| {
            r.get::<_, String>(0)
        })
        .ok()
        .and_then(|v| v.parse().ok())
    }

    fn set_checked_at(db: &Path, at: i64) {
        let conn = Connection::open(db).unwrap();
        conn.execute(
            "UPDATE meta SET value = ?1 WHERE key = 'checked_at'",
            [at.to_string()],
        )
        .unwrap();
    }

    #[test]
    fn the_integrity_check_runs_daily_and_after_a_failed_read() {
        let dir = tempfile::tempdir().unwrap();
        let db = dir.path().join("index.sqlite3");
        let paths: Vec<PathBuf> = (0..2000)
            .map(|i| PathBuf::from(format!("/x/{i:05}.jsonl")))
            .collect();
        let files: Vec<(&Path, CachedFile)> = paths
            .iter()
            .map(|p| (p.as_path(), entry(p.as_os_str().len() as u64)))
            .collect();
        let refs: Vec<(&Path, &CachedFile)> = files.iter().map(|(p, f)| (*p, f)).collect();
        IndexCache::open(&db).unwrap().save(&refs, &[]).unwrap();
        // A new cache counts as checked; a check a day old is due again.
        let first = checked_at(&db).expect("checked when created");
        assert!((unix_now() - first).abs() < 60);
        set_checked_at(&db, first - CHECK_EVERY_SECS - 1);
        drop(IndexCache::open(&db).unwrap());
        assert!(checked_at(&db).unwrap() >= first);
        // A check "in the future" (a clock set back) does not count.
        set_checked_at(&db, unix_now() + 3600);
        drop(IndexCache::open(&db).unwrap());
        assert!(checked_at(&db).unwrap() <= unix_now());

        // Damage the table of files: an open within the day does not see it (no
        // check), but the read fails, so the next open checks and rebuilds.
        let (root, page_size): (i64, i64) = {
            let conn = Connection::open(&db).unwrap();
            (
                conn.query_row(
                    "SELECT rootpage FROM sqlite_master WHERE name = 'files'",
                    [],
                    |r| r.get(0),
                )
                .unwrap(),
                conn.query_row("PRAGMA page_size", [], |r| r.get(0))
                    .unwrap(),
            )
        };
        assert!(!dir.path().join("index.sqlite3-wal").exists());
        let mut bytes = std::fs::read(&db).unwrap();
        let at = ((root - 1) * page_size) as usize;
        bytes[at..at + page_size as usize].fill(0xa5);
        std::fs::write(&db, &bytes).unwrap();
        let c = IndexCache::open(&db).unwrap();
        assert!(c.load().len() < paths.len());
        drop(c);
        assert_eq!(checked_at(&db), None, "a failed read asks for a check");
        let c = IndexCache::open(&db).unwrap();
        assert!(c.load().is_empty(), "rebuilt, not trusted");
        assert!(checked_at(&db).is_some());
    }

    #[test]
    fn facts_of_an_older_parser_are_dropped() {
        let dir = tempfile::tempdir().unwrap();
        let db = dir.path().join("index.sqlite3");
        let a = PathBuf::from("/x/a.jsonl");
        let mut c = IndexCache::open(&db).unwrap();
        c.save(&[(&a, &entry(1))], &[]).unwrap();
        c.conn
            .execute(
                "UPDATE meta SET value = 'old' WHERE key = 'parser_version'",
                [],
            )
            .unwrap();
        drop(c);
        assert!(IndexCache::open(&db).unwrap().load().is_empty());
    }
}
