//! Bringing the full-text index up to date (see the parent module for what it holds).
//!
//! The files to read are worked out first (stamps against the `files` table). Reader
//! threads then turn each into pieces (its prompts, answers and tool results) while
//! this thread writes what they hand over through a bounded channel, so reading and
//! writing overlap and at most a few files' pieces are held at once. Writes go in
//! transactions of about [`TX_TEXT_BYTES`] of text: a transaction's pieces are
//! numbered by time first and handed to FTS5 in ascending id order, because FTS5
//! flushes its in-memory terms to a new segment whenever an id comes out of order
//! (thousands of tiny segments to merge again). An append-only transcript that only
//! grew is read from the cursor the last update stored (`files.resume`), so a live
//! session costs its new lines, not the whole file again.

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::mpsc;

use rusqlite::{params, Connection, OptionalExtension, Transaction};

use super::{key_base, role_code, SkippedFile, UpdateStats, PIECE_MAX_BYTES, UNTIMED_END};
use crate::agents::transcript::{
    read_all_entries, read_transcript, EntryKind, Reader, TranscriptCursor, TranscriptEntry,
    TranscriptError, DEFAULT_PAGE_ENTRIES,
};
use crate::agents::{self, HarnessRoot, SourceKind};
use crate::model::{Harness, ScanProgress, TextRole};
use crate::sessions::cache::FileStamp;

/// FTS5's in-memory term buffer before it writes a segment (its `hashsize`).
pub(super) const HASH_BYTES: usize = 32 << 20;
/// Text written per transaction: the unit of what a reader of the index sees arrive.
const TX_TEXT_BYTES: u64 = 24 << 20;
/// Files read ahead of the writer (each holds its pieces until written).
const CHANNEL_FILES: usize = 8;
/// Reader threads at most. Reading a whole-file transcript (Gemini) holds its parsed
/// JSON, a few times the file's size: a bound on memory must not scale with cores.
const MAX_READERS: usize = 4;

/// One searchable piece of a transcript.
#[derive(Debug, Clone, PartialEq)]
pub(super) struct TextPiece {
    pub role: TextRole,
    pub timestamp: Option<chrono::DateTime<chrono::Utc>>,
    /// Byte offset of its line (0 for whole-file formats).
    pub line: u64,
    /// Its entry's index among the entries of that line (of the file, for whole-file
    /// formats): what a snippet reads again.
    pub entry: u32,
    pub text: String,
}

/// What was read of one file, or of one part of a long one.
struct Read {
    pieces: Vec<TextPiece>,
    /// Where to go on next time (append-only formats only).
    resume: Option<TranscriptCursor>,
    /// Read from the start: the file's earlier pieces are to be replaced.
    replaced: bool,
    /// The file's last part: its stamp can be recorded (before that, a stamp that
    /// matches no file, so an interrupted update goes on from `resume`).
    last: bool,
    /// Bytes of the file this part covers.
    bytes: u64,
}

/// A file to read, and from where.
struct Job {
    harness: Harness,
    path: PathBuf,
    stamp: FileStamp,
    /// Its row in `files`, when it was indexed before.
    id: Option<i64>,
    /// Read only what follows this cursor (the file grew); else read it all.
    from: Option<TranscriptCursor>,
}

/// A file as the index knows it.
struct Known {
    id: i64,
    stamp: FileStamp,
    resume: Option<TranscriptCursor>,
}

pub(super) fn update(
    conn: &mut Connection,
    roots: &[HarnessRoot],
    progress: &(dyn Fn(ScanProgress) + Sync),
    cancel: &AtomicBool,
) -> rusqlite::Result<UpdateStats> {
    let mut errors = Vec::new();
    let mut found: Vec<(Harness, PathBuf, FileStamp)> = Vec::new();
    for root in roots {
        if agents::agent(root.harness).source_kind() != SourceKind::Files {
            continue;
        }
        for path in crate::sessions::index::transcript_files(root, &root.path, &mut errors) {
            if let Some(stamp) = FileStamp::of(&path) {
                found.push((root.harness, path, stamp));
            }
        }
    }
    let mut known = known_files(conn)?;
    let present: std::collections::HashSet<&PathBuf> = found.iter().map(|f| &f.1).collect();
    let gone: Vec<i64> = known
        .iter()
        .filter(|(p, _)| !present.contains(p))
        .map(|(_, k)| k.id)
        .collect();
    known.retain(|p, _| present.contains(p));
    index_found(conn, found, known, gone, progress, cancel)
}

/// [`update`] for `paths` only (see [`super::SearchIndex::update_paths`]).
pub(super) fn update_paths(
    conn: &mut Connection,
    roots: &[HarnessRoot],
    paths: &[PathBuf],
    progress: &(dyn Fn(ScanProgress) + Sync),
    cancel: &AtomicBool,
) -> rusqlite::Result<UpdateStats> {
    let mut found = Vec::new();
    let mut known = HashMap::new();
    let mut gone = Vec::new();
    {
        for path in paths {
            let Some(root) = roots.iter().find(|r| {
                path.starts_with(&r.path)
                    && agents::agent(r.harness).source_kind() == SourceKind::Files
                    && agents::agent(r.harness).is_transcript(&r.path, path)
            }) else {
                continue;
            };
            let indexed = known_path(conn, &path.to_string_lossy())?;
            match (FileStamp::of(path), indexed) {
                (Some(stamp), indexed) => {
                    if let Some(indexed) = indexed {
                        known.insert(path.clone(), indexed);
                    }
                    found.push((root.harness, path.clone(), stamp));
                }
                (None, Some(indexed)) => gone.push(indexed.id),
                (None, None) => {}
            }
        }
    }
    index_found(conn, found, known, gone, progress, cancel)
}

/// Drop the files `gone` (their ids) from the index, then (re)index each of `found`
/// whose stamp differs from the one `known` holds for it.
fn index_found(
    conn: &mut Connection,
    found: Vec<(Harness, PathBuf, FileStamp)>,
    mut known: HashMap<PathBuf, Known>,
    gone: Vec<i64>,
    progress: &(dyn Fn(ScanProgress) + Sync),
    cancel: &AtomicBool,
) -> rusqlite::Result<UpdateStats> {
    let mut stats = UpdateStats::default();
    if !gone.is_empty() {
        let tx = conn.transaction()?;
        for id in &gone {
            forget(&tx, *id, true)?;
        }
        tx.commit()?;
    }
    stats.files_removed = gone.len() as u64;
    let mut todo: Vec<Job> = Vec::new();
    for (harness, path, stamp) in found {
        let before = known.remove(&path);
        if before.as_ref().is_some_and(|k| k.stamp == stamp) {
            continue;
        }
        let from = before.as_ref().and_then(|k| {
            let r = k.resume.as_ref()?;
            // Grown in place: the same file, longer, past where reading stopped. Where
            // the OS gives no inode (Windows: 0 from a walk's metadata) a file replaced
            // by a longer one looks grown, so it is read whole again.
            (stamp.inode != 0
                && k.stamp.inode == stamp.inode
                && stamp.size >= k.stamp.size
                && stamp.size >= r.offset)
                .then(|| r.clone())
        });
        todo.push(Job {
            harness,
            path,
            stamp,
            id: before.map(|k| k.id),
            from,
        });
    }
    // Big files first, so the last reads are short and the writer is never left
    // waiting on one long read at the end.
    todo.sort_by_key(|j| std::cmp::Reverse(j.stamp.size.saturating_sub(resume_offset(j))));
    let total = ScanProgress {
        files_done: 0,
        files_total: todo.len() as u64,
        bytes_done: 0,
        bytes_total: todo
            .iter()
            .map(|j| j.stamp.size.saturating_sub(resume_offset(j)))
            .sum(),
    };
    progress(total);
    if todo.is_empty() {
        return Ok(stats);
    }
    let readers = std::thread::available_parallelism()
        .map_or(1, |n| n.get().saturating_sub(1))
        .clamp(1, MAX_READERS);
    let next_job = AtomicUsize::new(0);
    let stop = AtomicBool::new(false);
    let (send, receive) = mpsc::sync_channel::<(usize, Result<Read, String>)>(CHANNEL_FILES);
    std::thread::scope(|scope| {
        for i in 0..readers {
            let send = send.clone();
            let (todo, next_job, stop) = (&todo, &next_job, &stop);
            let _ = std::thread::Builder::new()
                .name(format!("search-read-{i}"))
                .spawn_scoped(scope, move || loop {
                    let n = next_job.fetch_add(1, Ordering::Relaxed);
                    if n >= todo.len()
                        || stop.load(Ordering::Relaxed)
                        || cancel.load(Ordering::Relaxed)
                    {
                        return;
                    }
                    let job = &todo[n];
                    let sent = read_file(job, &mut |read| {
                        !stop.load(Ordering::Relaxed)
                            && !cancel.load(Ordering::Relaxed)
                            && send.send((n, read)).is_ok()
                    });
                    if !sent {
                        return;
                    }
                });
        }
        drop(send);
        let result = write_all(conn, &todo, receive, progress, cancel, total, &mut stats);
        stop.store(true, Ordering::Relaxed);
        result
    })?;
    Ok(stats)
}

fn resume_offset(job: &Job) -> u64 {
    job.from.as_ref().map_or(0, |c| c.offset)
}

/// The writer: take files as the readers finish them, and write them in transactions.
fn write_all(
    conn: &mut Connection,
    todo: &[Job],
    receive: mpsc::Receiver<(usize, Result<Read, String>)>,
    progress: &(dyn Fn(ScanProgress) + Sync),
    cancel: &AtomicBool,
    total: ScanProgress,
    stats: &mut UpdateStats,
) -> rusqlite::Result<()> {
    let mut done = total;
    let mut keys = Keys::default();
    let mut pending: Vec<(usize, Read)> = Vec::new();
    let mut pending_bytes = 0u64;
    let mut waited = std::time::Instant::now();
    loop {
        // Wait for the next file, but write what is pending first when nothing has
        // come for a while (a slow read must not hold back what was read before it).
        let got = match receive.recv_timeout(std::time::Duration::from_millis(500)) {
            Ok(got) => Some(got),
            Err(mpsc::RecvTimeoutError::Timeout) => None,
            Err(mpsc::RecvTimeoutError::Disconnected) => break,
        };
        if let Some((n, read)) = got {
            let job = &todo[n];
            match read {
                Ok(read) => {
                    done.files_done += read.last as u64;
                    done.bytes_done = (done.bytes_done + read.bytes).min(total.bytes_total);
                    pending_bytes += read.pieces.iter().map(|p| p.text.len() as u64).sum::<u64>();
                    pending.push((n, read));
                }
                Err(reason) => {
                    done.files_done += 1;
                    // Unreadable now: what it said before is no longer searchable.
                    if let Some(id) = job.id {
                        let tx = conn.transaction()?;
                        forget(&tx, id, true)?;
                        tx.commit()?;
                    }
                    stats.skipped.push(SkippedFile {
                        path: job.path.clone(),
                        reason,
                    })
                }
            }
            progress(done);
        }
        let cancelled = cancel.load(Ordering::Relaxed);
        if !pending.is_empty()
            && (pending_bytes >= TX_TEXT_BYTES
                || waited.elapsed() >= std::time::Duration::from_secs(1)
                || cancelled)
        {
            write_files(conn, todo, std::mem::take(&mut pending), &mut keys, stats)?;
            pending_bytes = 0;
            waited = std::time::Instant::now();
        }
        if cancelled {
            stats.cancelled = true;
            return Ok(());
        }
    }
    if !pending.is_empty() {
        write_files(conn, todo, pending, &mut keys, stats)?;
    }
    stats.cancelled = cancel.load(Ordering::Relaxed) && done.files_done < total.files_total;
    Ok(())
}

/// Where the next piece of a given second may go, so pieces sharing a second do not
/// probe every taken slot again; and the next id for a piece without a time.
#[derive(Default)]
struct Keys {
    next_in_second: HashMap<i64, i64>,
    next_untimed: Option<i64>,
}

/// Write the pieces of `files` in one transaction (see the module documentation).
fn write_files(
    conn: &mut Connection,
    todo: &[Job],
    files: Vec<(usize, Read)>,
    keys: &mut Keys,
    stats: &mut UpdateStats,
) -> rusqlite::Result<()> {
    let tx = conn.transaction()?;
    // Old rows go first: a delete among the inserts would flush FTS5's buffer.
    for (n, read) in &files {
        if let Some(id) = todo[*n].id {
            if read.replaced {
                forget(&tx, id, false)?;
            }
        }
    }
    if keys.next_untimed.is_none() {
        let max: Option<i64> = tx.query_row(
            "SELECT max(id) FROM meta WHERE id < ?1",
            [UNTIMED_END],
            |r| r.get(0),
        )?;
        keys.next_untimed = Some(max.unwrap_or(0) + 1);
    }
    let mut rows: Vec<(i64, &str, &'static str)> = Vec::new();
    {
        let mut describe = tx.prepare_cached(
            "INSERT OR IGNORE INTO meta (id, file, role, ts, line, entry)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
        )?;
        for (n, read) in &files {
            let job = &todo[*n];
            let (size, mtime_ns) = match (&read.resume, read.last) {
                (Some(at), false) => (at.offset, -1),
                _ => (job.stamp.size, job.stamp.mtime_ns),
            };
            let path = job.path.to_string_lossy();
            let (file, exists) = match job.id {
                Some(id) => (id, true),
                None => slot_of(&tx, &path)?,
            };
            let resume = read.resume.as_ref();
            let values = params![
                file,
                path,
                job.harness.as_str(),
                size as i64,
                mtime_ns,
                job.stamp.inode as i64,
                resume.map(|c| c.offset as i64),
                resume.map(|c| c.index),
                resume.and_then(|c| c.carry.as_deref()),
            ];
            if exists {
                tx.prepare_cached(
                    "UPDATE files SET path = ?2, harness = ?3, size = ?4, mtime_ns = ?5,
                     inode = ?6, at_offset = ?7, at_index = ?8, carry = ?9 WHERE id = ?1",
                )?
                .execute(values)?;
            } else {
                tx.prepare_cached(
                    "INSERT INTO files
                     (id, path, harness, size, mtime_ns, inode, at_offset, at_index, carry)
                     VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
                )?
                .execute(values)?;
            }
            for p in &read.pieces {
                let ts = p.timestamp.map(|t| t.timestamp_millis());
                let mut id = match key_base(p.timestamp) {
                    Some(base) => *keys.next_in_second.get(&base).unwrap_or(&base),
                    None => keys.next_untimed.unwrap_or(1),
                };
                loop {
                    let written = describe.execute(params![
                        id,
                        file,
                        role_code(p.role),
                        ts,
                        p.line as i64,
                        p.entry
                    ])?;
                    if written == 1 {
                        break;
                    }
                    id += 1;
                }
                match key_base(p.timestamp) {
                    Some(base) => {
                        // Slots run into the next seconds only when a second is full.
                        let next = keys.next_in_second.entry(base).or_insert(base);
                        *next = (*next).max(id + 1).max(base);
                        if keys.next_in_second.len() > 1 << 16 {
                            keys.next_in_second.clear();
                        }
                    }
                    None => keys.next_untimed = Some(id + 1),
                }
                rows.push((id, p.text.as_str(), job.harness.as_str()));
                stats.pieces += 1;
                stats.text_bytes += p.text.len() as u64;
            }
            stats.files_indexed += read.last as u64;
            stats.bytes_read += read.bytes;
        }
        rows.sort_unstable_by_key(|r| r.0);
        let mut insert =
            tx.prepare_cached("INSERT INTO pieces (rowid, body, tag) VALUES (?1, ?2, ?3)")?;
        for (id, body, tag) in &rows {
            insert.execute(params![id, body, tag])?;
        }
    }
    tx.commit()
}

/// Files as the index has them.
fn known_files(conn: &Connection) -> rusqlite::Result<HashMap<PathBuf, Known>> {
    let mut stmt = conn
        .prepare("SELECT id, size, mtime_ns, inode, at_offset, at_index, carry, path FROM files")?;
    let rows = stmt.query_map([], |r| {
        Ok((PathBuf::from(r.get::<_, String>(7)?), known_row(r)?))
    })?;
    rows.collect()
}

/// A `files` row as [`Known`] (columns: id, size, mtime_ns, inode, at_offset,
/// at_index, carry).
fn known_row(r: &rusqlite::Row) -> rusqlite::Result<Known> {
    Ok(Known {
        id: r.get(0)?,
        stamp: FileStamp {
            size: r.get::<_, i64>(1)? as u64,
            mtime_ns: r.get(2)?,
            inode: r.get::<_, i64>(3)? as u64,
        },
        resume: match r.get::<_, Option<i64>>(4)? {
            Some(offset) => Some(TranscriptCursor {
                offset: offset as u64,
                index: r.get(5)?,
                carry: r.get(6)?,
            }),
            None => None,
        },
    })
}

/// Where a file's row is looked for first: a hash of its path (ids are not handed
/// out in order, so no index of paths is needed beside the table).
fn path_hash(path: &str) -> i64 {
    // FNV-1a: stable across runs and builds, unlike the std hasher.
    let h = path.bytes().fold(0xcbf2_9ce4_8422_2325u64, |h, b| {
        (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3)
    });
    (h >> 2) as i64 + 1
}

/// The id of `path`'s row, and whether it exists: the first of its hash and the ids
/// after it that holds this path or is free.
fn slot_of(conn: &Connection, path: &str) -> rusqlite::Result<(i64, bool)> {
    let mut stmt = conn.prepare_cached("SELECT path FROM files WHERE id = ?1")?;
    let mut id = path_hash(path);
    loop {
        match stmt.query_row([id], |r| r.get::<_, String>(0)).optional()? {
            None => return Ok((id, false)),
            Some(p) if p == path => return Ok((id, true)),
            Some(_) => id = id.wrapping_add(1),
        }
    }
}

/// `path`'s row as [`Known`], if the index has one.
fn known_path(conn: &Connection, path: &str) -> rusqlite::Result<Option<Known>> {
    let (id, exists) = slot_of(conn, path)?;
    if !exists {
        return Ok(None);
    }
    conn.prepare_cached(
        "SELECT id, size, mtime_ns, inode, at_offset, at_index, carry FROM files WHERE id = ?1",
    )?
    .query_row([id], known_row)
    .optional()
}

/// Drop the pieces of file `id` (and its row too when `whole`).
fn forget(tx: &Transaction, id: i64, whole: bool) -> rusqlite::Result<()> {
    let ids: Vec<i64> = tx
        .prepare_cached("SELECT id FROM meta WHERE file = ?1")?
        .query_map([id], |r| r.get(0))?
        .collect::<Result<_, _>>()?;
    let mut delete = tx.prepare_cached("DELETE FROM pieces WHERE rowid = ?1")?;
    for piece in ids {
        delete.execute([piece])?;
    }
    tx.execute("DELETE FROM meta WHERE file = ?1", [id])?;
    if whole {
        tx.execute("DELETE FROM files WHERE id = ?1", [id])?;
    }
    Ok(())
}

/// Text read per part of a long transcript: the most held of one file at once.
const PART_TEXT_BYTES: u64 = if cfg!(test) { 2048 } else { 8 << 20 };

/// Read the pieces of `job`'s file (from `job.from` on, when given: its prompts,
/// answers and tool results) and hand them to `emit`, a long line transcript in parts
/// of about [`PART_TEXT_BYTES`] of text; `false` when `emit` said to stop. A file that
/// cannot be read at all because of what it is (over the whole-file cap, not a
/// regular file) is an `Err` with the reason, to be reported; other read errors (it
/// vanished, a transient I/O error) give no pieces, as before.
fn read_file(job: &Job, emit: &mut dyn FnMut(Result<Read, String>) -> bool) -> bool {
    use crate::agent_file::{too_large, MAX_WHOLE_FILE_BYTES};
    let (harness, path) = (job.harness, job.path.as_path());
    // The pieces of a file are held until they are written: a whole-file chat over
    // the cap (which the table and the transcript view read as a stream) is still
    // left out here rather than held whole.
    if agents::agent(harness).file_mode(path) == agents::FileMode::WholeFile {
        if let Ok(meta) = std::fs::metadata(path) {
            if meta.len() > MAX_WHOLE_FILE_BYTES {
                return emit(Err(too_large(meta.len(), MAX_WHOLE_FILE_BYTES).to_string()));
            }
        }
    }
    let failed = |e: TranscriptError| match e {
        TranscriptError::Io { source, .. }
            if source.kind() == std::io::ErrorKind::FileTooLarge
                || crate::agent_file::is_not_regular(&source) =>
        {
            Err(source.to_string())
        }
        _ => Ok(Read {
            pieces: Vec::new(),
            resume: None,
            replaced: true,
            last: true,
            bytes: 0,
        }),
    };
    let mut pieces = Vec::new();
    let mut text_bytes = 0u64;
    if matches!(agents::agent(harness).transcript_reader(), Reader::Whole(_)) {
        // Parsed once, in one page; its entries are found again by their index.
        let page = match read_all_entries(harness, path, PIECE_MAX_BYTES) {
            Ok(p) => p,
            Err(e) => return emit(failed(e)),
        };
        for mut e in page.entries {
            e.at.index = 0;
            pieces.extend(piece_of(e));
        }
        return emit(Ok(Read {
            pieces,
            resume: None,
            replaced: true,
            last: true,
            bytes: job.stamp.size,
        }));
    }
    let mut cursor = job.from.clone().unwrap_or_default();
    let mut replaced = job.from.is_none();
    let mut part_start = cursor.offset;
    loop {
        let page = match read_transcript(
            harness,
            path,
            &cursor,
            DEFAULT_PAGE_ENTRIES,
            PIECE_MAX_BYTES,
        ) {
            Ok(p) => p,
            Err(e) => return emit(failed(e)),
        };
        if page.reset {
            // Shorter than where we stopped: replaced. Read it all again.
            pieces.clear();
            replaced = true;
            cursor = TranscriptCursor::default();
            part_start = 0;
            continue;
        }
        for p in page.entries.into_iter().filter_map(piece_of) {
            text_bytes += p.text.len() as u64;
            pieces.push(p);
        }
        cursor = page.next;
        if page.at_end || text_bytes >= PART_TEXT_BYTES {
            let read = Read {
                pieces: std::mem::take(&mut pieces),
                resume: Some(cursor.clone()),
                replaced,
                last: page.at_end,
                bytes: cursor.offset.saturating_sub(part_start),
            };
            if !emit(Ok(read)) {
                return false;
            }
            if page.at_end {
                return true;
            }
            text_bytes = 0;
            replaced = false;
            part_start = cursor.offset;
        }
    }
}

/// The searchable piece of an entry: a prompt, an answer or a tool result with text.
fn piece_of(e: TranscriptEntry) -> Option<TextPiece> {
    let role = match e.kind {
        EntryKind::User => TextRole::User,
        EntryKind::Assistant => TextRole::Assistant,
        EntryKind::ToolResult => TextRole::Tool,
        _ => return None,
    };
    let text = e.text.trim();
    if text.is_empty() {
        return None;
    }
    Some(TextPiece {
        role,
        timestamp: e.timestamp,
        line: e.at.offset,
        entry: e.index.saturating_sub(e.at.index),
        text: if text.len() == e.text.len() {
            e.text
        } else {
            text.to_string()
        },
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_path_whose_hash_is_taken_gets_the_next_free_id_and_is_found_there() {
        let dir = tempfile::tempdir().unwrap();
        let index = super::super::SearchIndex::open(&dir.path().join("s.sqlite3")).unwrap();
        let conn = &index.conn;
        let path = "/h/.claude/projects/-w/a.jsonl";
        let h = path_hash(path);
        assert_eq!(path_hash(path), h, "stable");
        assert_eq!(slot_of(conn, path).unwrap(), (h, false));
        let add = |id: i64, p: &str| {
            conn.execute(
                "INSERT INTO files (id, path, harness, size, mtime_ns, inode)
                 VALUES (?1, ?2, 'claude-code', 1, 1, 1)",
                params![id, p],
            )
            .unwrap();
        };
        add(h, "/somewhere/else.jsonl");
        assert_eq!(slot_of(conn, path).unwrap(), (h + 1, false));
        add(h + 1, path);
        assert_eq!(slot_of(conn, path).unwrap(), (h + 1, true));
        assert_eq!(known_path(conn, path).unwrap().map(|k| k.id), Some(h + 1));
        assert!(known_path(conn, "/not/there.jsonl").unwrap().is_none());
    }
}
