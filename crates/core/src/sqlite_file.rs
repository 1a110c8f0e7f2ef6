//! Opening Sessionscope's own SQLite files (the session cache, the search index and
//! the transcripts' offset indexes). A leaf: it uses nothing else of the crate.
//!
//! All are derived data, always rebuildable from the agents' transcripts, so the rule
//! is the same: a file that fails the integrity check, or whose schema the caller does
//! not accept, is deleted (with its `-wal`, `-shm` and `-journal` companions) and
//! created afresh. Never used for the record store, which holds user data.

use std::path::{Path, PathBuf};
use std::time::Duration;

use rusqlite::Connection;

/// Open `path` with `open`; when that fails, delete the file and its companions and
/// try once more. `Err` only when even a fresh file cannot be created.
pub fn open_rebuildable<T>(
    path: &Path,
    open: impl Fn(&Path) -> rusqlite::Result<T>,
) -> rusqlite::Result<T> {
    if let Some(dir) = path.parent() {
        let _ = std::fs::create_dir_all(dir);
    }
    open(path).or_else(|_| {
        for suffix in ["", "-wal", "-shm", "-journal"] {
            let mut p = path.as_os_str().to_owned();
            p.push(suffix);
            let _ = std::fs::remove_file(PathBuf::from(p));
        }
        open(path)
    })
}

/// Open a connection that passed `PRAGMA quick_check`, in WAL mode (readers never wait
/// for a writer), and return it with its `user_version` (the schema version).
pub fn open_checked(path: &Path, busy: Duration) -> rusqlite::Result<(Connection, i64)> {
    open_checked_if(path, busy, |_, _| true)
}

/// [`open_checked`], with the check only when `wants_check` (given the connection and
/// its `user_version`) says so: `PRAGMA quick_check` reads every page, a tenth of a
/// second for a 150 MiB cache, so a cache opened at every start checks itself now and
/// then instead. Skipping it never makes wrong data look right: SQLite keeps no
/// checksums, so the check only finds damage to the file's structure, and every page
/// read through a damaged structure fails with an error, which the caller treats as a
/// file to rebuild. Reading `user_version` of a file that is not a database fails here
/// too, check or not.
pub fn open_checked_if(
    path: &Path,
    busy: Duration,
    wants_check: impl FnOnce(&Connection, i64) -> bool,
) -> rusqlite::Result<(Connection, i64)> {
    let conn = Connection::open(path)?;
    conn.busy_timeout(busy)?;
    let version: i64 = conn.query_row("PRAGMA user_version", [], |r| r.get(0))?;
    if wants_check(&conn, version) {
        let check: String = conn.query_row("PRAGMA quick_check", [], |r| r.get(0))?;
        if check != "ok" {
            return Err(rusqlite::Error::InvalidQuery);
        }
    }
    conn.pragma_update(None, "journal_mode", "WAL")?;
    conn.pragma_update(None, "synchronous", "NORMAL")?;
    Ok((conn, version))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_garbage_file_is_replaced_by_a_fresh_one() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("x.sqlite3");
        std::fs::write(&path, b"this is not a database").unwrap();
        let (conn, version) =
            open_rebuildable(&path, |p| open_checked(p, Duration::from_secs(1))).unwrap();
        assert_eq!(version, 0);
        conn.execute_batch("CREATE TABLE t (x)").unwrap();
    }

    #[test]
    fn a_rejected_schema_is_rebuilt_once() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("x.sqlite3");
        let (conn, _) = open_checked(&path, Duration::from_secs(1)).unwrap();
        conn.pragma_update(None, "user_version", 99).unwrap();
        drop(conn);
        let version = open_rebuildable(&path, |p| {
            let (_, v) = open_checked(p, Duration::from_secs(1))?;
            if v == 99 {
                Err(rusqlite::Error::InvalidQuery)
            } else {
                Ok(v)
            }
        })
        .unwrap();
        assert_eq!(version, 0);
    }
}
