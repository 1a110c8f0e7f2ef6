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

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use rusqlite::{params, Connection, OptionalExtension};

use crate::agents::TranscriptFacts;
use crate::model::Harness;

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

/// One file as cached.
#[derive(Debug, Clone, PartialEq)]
pub struct CachedFile {
    pub harness: Harness,
    pub stamp: FileStamp,
    pub oversized_lines: u32,
    pub facts: TranscriptFacts,
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
        let (conn, version) =
            crate::sqlite_file::open_checked(path, std::time::Duration::from_secs(2))?;
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
        Ok(IndexCache {
            conn,
            path: path.to_path_buf(),
        })
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Every cached file. Rows that do not decode (a damaged row) are left out, so
    /// their files are simply read again.
    pub fn load(&self) -> HashMap<PathBuf, CachedFile> {
        let mut out = HashMap::new();
        let Ok(mut stmt) = self.conn.prepare(
            "SELECT path, harness, size, mtime_ns, inode, oversized_lines, facts FROM files",
        ) else {
            return out;
        };
        let rows = stmt.query_map([], |r| {
            Ok((
                r.get::<_, String>(0)?,
                r.get::<_, String>(1)?,
                r.get::<_, i64>(2)?,
                r.get::<_, i64>(3)?,
                r.get::<_, i64>(4)?,
                r.get::<_, i64>(5)?,
                r.get::<_, String>(6)?,
            ))
        });
        let Ok(rows) = rows else { return out };
        for (path, harness, size, mtime_ns, inode, oversized, facts) in rows.flatten() {
            let harness = serde_json::from_value::<Harness>(serde_json::Value::String(harness));
            let facts = serde_json::from_str::<TranscriptFacts>(&facts);
            if let (Ok(harness), Ok(facts)) = (harness, facts) {
                out.insert(
                    PathBuf::from(path),
                    CachedFile {
                        harness,
                        stamp: FileStamp {
                            size: size as u64,
                            mtime_ns,
                            inode: inode as u64,
                        },
                        oversized_lines: oversized as u32,
                        facts,
                    },
                );
            }
        }
        out
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
        let tx = self.conn.transaction()?;
        {
            let mut put = tx.prepare_cached(
                "INSERT OR REPLACE INTO files
                 (path, harness, size, mtime_ns, inode, oversized_lines, facts)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
            )?;
            for (path, file) in upserts {
                let facts = serde_json::to_string(&file.facts)
                    .map_err(|e| rusqlite::Error::ToSqlConversionFailure(Box::new(e)))?;
                put.execute(params![
                    path.to_string_lossy(),
                    file.harness.as_str(),
                    file.stamp.size as i64,
                    file.stamp.mtime_ns,
                    file.stamp.inode as i64,
                    file.oversized_lines as i64,
                    facts
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
            facts,
        }
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
        assert_eq!(rows[&a], entry(10));
        c.save(&[], std::slice::from_ref(&a)).unwrap();
        assert_eq!(c.load().keys().collect::<Vec<_>>(), [&b]);
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
