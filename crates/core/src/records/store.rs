//! The store file itself: where it lives, the lock every mutation holds, and the two
//! ways to change it — a locked append and a locked, atomic in-place rewrite.
//!
//! Protocol (the same as gptme-sessions' `store.py`, so both tools can write at once):
//! - every mutation holds an exclusive lock on `session-records.jsonl.lock`, a
//!   permanent sentinel that is never deleted (`flock` on Unix via `File::lock`, which
//!   interoperates with Python's `fcntl.flock`; `LockFileEx` on Windows);
//! - append: under the lock, repair a torn tail (a last line without `\n` that is not
//!   valid JSON is truncated away — a lone unparseable *first* line is never deleted),
//!   append one line, fsync. A kept last line that lacks its `\n` gets one first
//!   (Python appends straight after it, fusing two records into one bad line);
//! - rewrite: under the lock, re-read the file, write every line to a uniquely named
//!   temp file in the same directory (untouched records and malformed lines byte for
//!   byte, changed records re-serialised), fsync, rename over the store. Nothing is ever
//!   deleted by a rewrite, except what the next append would cut anyway: a torn last
//!   line (no `\n`, not valid JSON, not the only line) is not written back, so it
//!   never becomes a permanent malformed line in the middle of the store;
//! - a temp file (`session-records.jsonl.tmp.*`, our name and Python's) is only ever
//!   created under the lock, so any found while holding it was left by a writer that
//!   died mid-rewrite: every locked write removes them.
//!
//! Unlike the Python package, the rewrite keeps every line in its place (Python moves
//! malformed lines to the end) and only re-serialises the records that changed.
//! Reading takes no lock, as in Python: a torn last line is simply skipped.

use std::fs::{File, OpenOptions};
use std::io::{self, Read, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};

use super::record::Record;

/// File name of the store inside its directory.
pub const STORE_FILE: &str = "session-records.jsonl";
/// File name of the lock sentinel beside it.
pub const LOCK_FILE: &str = "session-records.jsonl.lock";

/// The store directory: the `--sessions-dir` flag, else `$GPTME_SESSIONS_DIR`, else
/// `~/.local/share/gptme-sessions` (home-relative on every OS, as in the Python tool).
pub fn sessions_dir(flag: Option<&Path>) -> PathBuf {
    if let Some(dir) = flag {
        return dir.to_path_buf();
    }
    if let Some(dir) = std::env::var_os("GPTME_SESSIONS_DIR").filter(|d| !d.is_empty()) {
        return PathBuf::from(dir);
    }
    let home = directories::BaseDirs::new()
        .map(|b| b.home_dir().to_path_buf())
        .unwrap_or_else(std::env::temp_dir);
    home.join(".local").join("share").join("gptme-sessions")
}

/// What went wrong with the store.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("{path}: {source}")]
    Io {
        path: PathBuf,
        #[source]
        source: io::Error,
    },
    #[error("records may be changed or added by a rewrite, never removed")]
    RemovedRecords,
}

fn io_err(path: &Path) -> impl FnOnce(io::Error) -> StoreError + '_ {
    move |source| StoreError::Io {
        path: path.to_path_buf(),
        source,
    }
}

/// One line of the store as read.
#[derive(Debug, Clone)]
enum Line {
    /// A record, with the bytes it was read from (written back unchanged if untouched).
    Record { raw: Vec<u8>, index: usize },
    /// A line that is not a JSON object; kept verbatim.
    Malformed(Vec<u8>),
}

/// Everything read from the store file.
#[derive(Debug, Clone, Default)]
pub struct Loaded {
    /// Records in file order.
    pub records: Vec<Record>,
    /// Non-empty lines that are not JSON objects (skipped, but counted).
    pub malformed: usize,
    lines: Vec<Line>,
    /// The last line is torn (see the module docs): a rewrite drops it.
    torn_tail: bool,
}

/// Parse the bytes of a store file. Blank lines are dropped; a final line without a
/// newline is treated like any other line (a torn one is malformed). Large stores are
/// parsed on every core, in line-aligned chunks, and put back together in order.
fn parse(bytes: &[u8]) -> Loaded {
    let mut loaded = parse_lines(bytes);
    loaded.torn_tail = match memchr::memrchr(b'\n', bytes) {
        Some(nl) => {
            let last = &bytes[nl + 1..];
            !last.iter().all(u8::is_ascii_whitespace)
                && !is_one_json_value(trim_blanks(last)).unwrap_or(false)
        }
        None => false, // a lone first line is never dropped
    };
    loaded
}

/// [`parse`] without the torn-tail check.
fn parse_lines(bytes: &[u8]) -> Loaded {
    const MIN_CHUNK: usize = 2 << 20;
    let threads = std::thread::available_parallelism()
        .map(|n| n.get())
        .unwrap_or(1)
        .min(bytes.len() / MIN_CHUNK + 1);
    if threads <= 1 {
        return parse_chunk(bytes);
    }
    let mut chunks = Vec::with_capacity(threads);
    let mut start = 0;
    for i in 1..=threads {
        let mut end = (bytes.len() * i / threads).max(start);
        if i < threads && end < bytes.len() {
            end = memchr::memchr(b'\n', &bytes[end..]).map_or(bytes.len(), |p| end + p + 1);
        } else {
            end = bytes.len();
        }
        chunks.push(&bytes[start..end]);
        start = end;
    }
    let parts: Vec<Loaded> = std::thread::scope(|scope| {
        let handles: Vec<_> = chunks
            .into_iter()
            .map(|c| scope.spawn(move || parse_chunk(c)))
            .collect();
        handles
            .into_iter()
            .map(|h| h.join().expect("store parser panicked"))
            .collect()
    });
    let mut all = Loaded::default();
    for part in parts {
        let offset = all.records.len();
        all.malformed += part.malformed;
        all.records.extend(part.records);
        all.lines.extend(part.lines.into_iter().map(|l| match l {
            Line::Record { raw, index } => Line::Record {
                raw,
                index: index + offset,
            },
            other => other,
        }));
    }
    all
}

fn parse_chunk(bytes: &[u8]) -> Loaded {
    let mut loaded = Loaded::default();
    for raw in bytes.split(|b| *b == b'\n') {
        if raw.iter().all(u8::is_ascii_whitespace) {
            continue;
        }
        match Record::from_line(raw) {
            Some(rec) => {
                loaded.lines.push(Line::Record {
                    raw: raw.to_vec(),
                    index: loaded.records.len(),
                });
                loaded.records.push(rec);
            }
            None => {
                loaded.malformed += 1;
                loaded.lines.push(Line::Malformed(raw.to_vec()));
            }
        }
    }
    loaded
}

/// A record store in one directory.
#[derive(Debug, Clone)]
pub struct Store {
    dir: PathBuf,
}

impl Store {
    pub fn new(dir: impl Into<PathBuf>) -> Self {
        Store { dir: dir.into() }
    }

    /// The store found by the location rules (see [`sessions_dir`]).
    pub fn locate(flag: Option<&Path>) -> Self {
        Store::new(sessions_dir(flag))
    }

    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// `<dir>/session-records.jsonl`.
    pub fn path(&self) -> PathBuf {
        self.dir.join(STORE_FILE)
    }

    fn lock_path(&self) -> PathBuf {
        self.dir.join(LOCK_FILE)
    }

    /// Read the raw bytes of the store; an absent file is an empty store.
    pub fn read_bytes(&self) -> Result<Vec<u8>, StoreError> {
        let path = self.path();
        match std::fs::read(&path) {
            Ok(b) => Ok(b),
            Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(Vec::new()),
            Err(e) => Err(io_err(&path)(e)),
        }
    }

    /// Every record (no lock taken, like the Python reader).
    pub fn load(&self) -> Result<Loaded, StoreError> {
        Ok(parse(&self.read_bytes()?))
    }

    /// Hold the exclusive store lock while `f` runs. The lock file is created if
    /// needed and never removed.
    pub fn with_lock<T>(&self, f: impl FnOnce() -> Result<T, StoreError>) -> Result<T, StoreError> {
        std::fs::create_dir_all(&self.dir).map_err(io_err(&self.dir))?;
        let lock_path = self.lock_path();
        // Read-write, not append-only: LockFileEx wants read or write access on
        // Windows; flock on Unix takes any descriptor. Never truncated.
        let lock = OpenOptions::new()
            .create(true)
            .read(true)
            .write(true)
            .truncate(false)
            .open(&lock_path)
            .map_err(io_err(&lock_path))?;
        lock.lock().map_err(io_err(&lock_path))?;
        let result = f();
        // Closing the file releases the lock too; unlocking first makes it prompt.
        let _ = lock.unlock();
        result
    }

    /// Append one record under the lock, after repairing a torn tail.
    pub fn append(&self, record: &Record) -> Result<(), StoreError> {
        self.with_lock(|| self.append_locked(record))
    }

    /// Append `record` unless a record for which `same` holds is already stored;
    /// then return that one and write nothing. Looking and appending happen under one
    /// lock, so two callers cannot both add the same session.
    pub fn append_unless(
        &self,
        record: &Record,
        same: impl Fn(&Record) -> bool,
    ) -> Result<Option<Record>, StoreError> {
        self.with_lock(|| {
            if let Some(existing) = self.load()?.records.into_iter().find(|r| same(r)) {
                return Ok(Some(existing));
            }
            self.append_locked(record).map(|()| None)
        })
    }

    /// The append itself; the caller holds the lock.
    fn append_locked(&self, record: &Record) -> Result<(), StoreError> {
        let mut line = record.to_line().into_bytes();
        line.push(b'\n');
        let path = self.path();
        // Repair through a read-write handle: on Windows an append-only handle
        // may not truncate.
        let mut file = OpenOptions::new()
            .create(true)
            .read(true)
            .write(true)
            .truncate(false)
            .open(&path)
            .map_err(io_err(&path))?;
        repair_torn_tail(&mut file).map_err(io_err(&path))?;
        drop(file);
        self.remove_stale_temps();
        let mut file = OpenOptions::new()
            .append(true)
            .open(&path)
            .map_err(io_err(&path))?;
        file.write_all(&line).map_err(io_err(&path))?;
        file.sync_all().map_err(io_err(&path))?;
        Ok(())
    }

    /// Read the store under the lock, let `edit` change or add records, and write the
    /// result back atomically if anything changed. The lock is held for the whole
    /// cycle, so no concurrent append or rewrite can be lost.
    ///
    /// `edit` may change records in place and push new ones (they go to the end); it
    /// must not remove any. Returns what `edit` returned.
    pub fn modify<T>(
        &self,
        edit: impl FnOnce(&mut Vec<Record>) -> Result<T, StoreError>,
    ) -> Result<T, StoreError> {
        self.with_lock(|| {
            let loaded = self.load()?;
            let mut records = loaded.records.clone();
            let out = edit(&mut records)?;
            if records.len() < loaded.records.len() {
                return Err(StoreError::RemovedRecords);
            }
            let changed = records.len() > loaded.records.len()
                || records.iter().zip(&loaded.records).any(|(a, b)| a != b);
            if changed {
                self.write_back(&loaded, &records)?;
            }
            Ok(out)
        })
    }

    /// Insert or replace records by `session_id` (the first line with that id is
    /// replaced; unknown ids are appended). Nothing is deleted.
    pub fn upsert(&self, updates: Vec<Record>) -> Result<(), StoreError> {
        self.modify(|records| {
            for update in updates {
                match records
                    .iter_mut()
                    .find(|r| r.session_id == update.session_id)
                {
                    Some(slot) => *slot = update,
                    None => records.push(update),
                }
            }
            Ok(())
        })
    }

    /// Write `records` in the places of `loaded`'s lines to a temp file and rename it
    /// over the store. Must be called with the lock held.
    fn write_back(&self, loaded: &Loaded, records: &[Record]) -> Result<(), StoreError> {
        self.remove_stale_temps();
        let path = self.path();
        let mut out: Vec<u8> = Vec::with_capacity(loaded.lines.len() * 256);
        let kept = loaded.lines.len() - usize::from(loaded.torn_tail);
        for line in &loaded.lines[..kept] {
            match line {
                Line::Record { raw, index } => {
                    if records[*index] == loaded.records[*index] {
                        out.extend_from_slice(raw);
                    } else {
                        out.extend_from_slice(records[*index].to_line().as_bytes());
                    }
                }
                Line::Malformed(raw) => out.extend_from_slice(raw),
            }
            out.push(b'\n');
        }
        for added in &records[loaded.records.len()..] {
            out.extend_from_slice(added.to_line().as_bytes());
            out.push(b'\n');
        }
        let prefix = format!("{STORE_FILE}.tmp.{}.", std::process::id());
        let mut tmp = tempfile::Builder::new()
            .prefix(&prefix)
            .rand_bytes(8)
            .tempfile_in(&self.dir)
            .map_err(io_err(&self.dir))?;
        // Keep the store's permissions: a temp file is created owner-only.
        if let Ok(meta) = std::fs::metadata(&path) {
            let _ = tmp.as_file().set_permissions(meta.permissions());
        }
        tmp.write_all(&out).map_err(io_err(tmp.path()))?;
        tmp.as_file().sync_all().map_err(io_err(tmp.path()))?;
        tmp.persist(&path).map_err(|e| io_err(&path)(e.error))?;
        sync_dir(&self.dir);
        Ok(())
    }

    /// Delete the temp files of rewrites that died before their rename. Must be called
    /// with the lock held (only lock holders create temp files). Best effort: a temp
    /// file that cannot be removed costs disk space, not data.
    fn remove_stale_temps(&self) {
        let Ok(entries) = std::fs::read_dir(&self.dir) else {
            return;
        };
        let prefix = format!("{STORE_FILE}.tmp.");
        for entry in entries.flatten() {
            let stale = entry
                .file_name()
                .to_str()
                .is_some_and(|n| n.starts_with(&prefix))
                && entry.file_type().is_ok_and(|t| t.is_file());
            if stale {
                let _ = std::fs::remove_file(entry.path());
            }
        }
    }
}

/// If the file does not end in `\n` and its last partial line is not valid JSON,
/// truncate back to just after the last newline. A file whose only line is
/// unparseable is left alone: that is damage we must not turn into data loss.
/// Only the tail is read, so an append costs the same on a huge store; a long torn
/// tail is read twice (back to its start, then forward through the JSON check), with
/// one 64 KiB buffer: O(tail) time, constant memory.
fn repair_torn_tail(file: &mut File) -> io::Result<bool> {
    let len = file.seek(SeekFrom::End(0))?;
    if len == 0 {
        return Ok(false);
    }
    let mut last = [0u8; 1];
    file.seek(SeekFrom::Start(len - 1))?;
    file.read_exact(&mut last)?;
    if last[0] == b'\n' {
        return Ok(false);
    }
    const CHUNK: u64 = 64 * 1024;
    let mut buf = vec![0u8; CHUNK as usize];
    let mut end = len;
    let newline_at = loop {
        let start = end.saturating_sub(CHUNK);
        let chunk = &mut buf[..(end - start) as usize];
        file.seek(SeekFrom::Start(start))?;
        file.read_exact(chunk)?;
        if let Some(i) = memchr::memrchr(b'\n', chunk) {
            break Some(start + i as u64);
        }
        if start == 0 {
            break None;
        }
        end = start;
    };
    let Some(newline_at) = newline_at else {
        // A lone first line is never deleted, even if unparseable; it only gets the
        // newline it lacks so the next record does not fuse with it.
        file.seek(SeekFrom::End(0))?;
        file.write_all(b"\n")?;
        return Ok(false);
    };
    let (from, to) = blank_trimmed(file, newline_at + 1, len)?;
    file.seek(SeekFrom::Start(from))?;
    let tail = io::BufReader::with_capacity(CHUNK as usize, Read::by_ref(file).take(to - from));
    if is_one_json_value(tail)? {
        // A complete record that only lacks its newline: terminate it.
        file.seek(SeekFrom::End(0))?;
        file.write_all(b"\n")?;
        return Ok(false);
    }
    file.set_len(newline_at + 1)?;
    file.sync_all()?;
    Ok(true)
}

/// How many bytes at either end of a line to look at for blanks.
const BLANK_LOOK: u64 = 4096;

/// The range `start..end` of `file` without the blanks `str::trim` removes at either
/// end (looked for in the first and last [`BLANK_LOOK`] bytes). The loader trims
/// those, as Python's `str.strip()` does, before it parses a line; so a record with a
/// no-break space after it is a record, and the repair must not cut it as torn.
fn blank_trimmed(file: &mut File, start: u64, end: u64) -> io::Result<(u64, u64)> {
    let mut head = vec![0u8; BLANK_LOOK.min(end - start) as usize];
    file.seek(SeekFrom::Start(start))?;
    file.read_exact(&mut head)?;
    let tail_start = end.saturating_sub(BLANK_LOOK).max(start);
    let mut tail = vec![0u8; (end - tail_start) as usize];
    file.seek(SeekFrom::Start(tail_start))?;
    file.read_exact(&mut tail)?;
    let from = start + blank_prefix(&head) as u64;
    let to = end.saturating_sub(blank_suffix(&tail) as u64).max(from);
    Ok((from, to))
}

/// `line` without the blanks `str::trim` removes (see [`blank_trimmed`]).
fn trim_blanks(line: &[u8]) -> &[u8] {
    let rest = &line[blank_prefix(line)..];
    &rest[..rest.len() - blank_suffix(rest)]
}

/// Bytes of Unicode blanks at the start of `bytes` (its valid UTF-8 part).
fn blank_prefix(bytes: &[u8]) -> usize {
    let text = match std::str::from_utf8(bytes) {
        Ok(t) => t,
        Err(e) => std::str::from_utf8(&bytes[..e.valid_up_to()]).unwrap_or_default(),
    };
    text.len() - text.trim_start().len()
}

/// Bytes of Unicode blanks at the end of `bytes`, which may start inside a character;
/// none when the rest is not UTF-8.
fn blank_suffix(bytes: &[u8]) -> usize {
    let cut = bytes
        .iter()
        .take(3)
        .take_while(|b| (0x80..0xC0).contains(*b))
        .count();
    std::str::from_utf8(&bytes[cut..]).map_or(0, |t| t.len() - t.trim_end().len())
}

/// Is `text` one JSON value in UTF-8 (surrounding whitespace allowed)? The test
/// Python's `json.loads(partial.decode("utf-8"))` makes, streamed: nothing is kept
/// but the parser's nesting. Errors are the reader's, not the JSON's.
fn is_one_json_value(text: impl Read) -> io::Result<bool> {
    use serde::Deserialize;
    let mut checked = Utf8Checked::new(text);
    let mut de = serde_json::Deserializer::from_reader(&mut checked);
    let parsed = serde::de::IgnoredAny::deserialize(&mut de).and_then(|_| de.end());
    drop(de);
    if let Some(e) = checked.io_error.take() {
        return Err(e);
    }
    Ok(parsed.is_ok() && checked.finish())
}

/// A reader that checks, as the bytes pass, that they are UTF-8 (serde_json does not
/// check the inside of strings it skips).
struct Utf8Checked<R> {
    inner: R,
    /// The bytes of a character cut by a read boundary (at most 3).
    pending: Vec<u8>,
    valid: bool,
    /// A read error, told apart from a JSON error after the parse.
    io_error: Option<io::Error>,
}

impl<R: Read> Utf8Checked<R> {
    fn new(inner: R) -> Self {
        Utf8Checked {
            inner,
            pending: Vec::new(),
            valid: true,
            io_error: None,
        }
    }

    /// Valid so far, and no character left unfinished at the end.
    fn finish(&self) -> bool {
        self.valid && self.pending.is_empty()
    }

    fn check(&mut self, bytes: &[u8]) {
        let mut rest = bytes;
        if !self.pending.is_empty() {
            // Complete the cut character with at most 3 more bytes.
            let take = rest.len().min(4 - self.pending.len());
            self.pending.extend_from_slice(&rest[..take]);
            match std::str::from_utf8(&self.pending) {
                Ok(_) => {
                    rest = &rest[take..];
                    self.pending.clear();
                }
                Err(e) if e.valid_up_to() > 0 => {
                    let used = e.valid_up_to() - (self.pending.len() - take);
                    rest = &rest[used..];
                    self.pending.clear();
                }
                Err(e) if e.error_len().is_none() && take == rest.len() => {
                    return; // still unfinished: wait for more
                }
                Err(_) => {
                    self.valid = false;
                    return;
                }
            }
        }
        if let Err(e) = std::str::from_utf8(rest) {
            match e.error_len() {
                Some(_) => self.valid = false,
                None => self.pending = rest[e.valid_up_to()..].to_vec(),
            }
        }
    }
}

impl<R: Read> Read for Utf8Checked<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = match self.inner.read(buf) {
            Ok(n) => n,
            Err(e) => {
                let kind = e.kind();
                self.io_error = Some(e);
                return Err(kind.into());
            }
        };
        if self.valid {
            self.check(&buf[..n]);
        }
        Ok(n)
    }
}

#[cfg(unix)]
fn sync_dir(dir: &Path) {
    if let Ok(d) = File::open(dir) {
        let _ = d.sync_all();
    }
}

#[cfg(not(unix))]
fn sync_dir(_dir: &Path) {}

#[cfg(test)]
mod tests {
    use super::*;

    fn store() -> (tempfile::TempDir, Store) {
        let d = tempfile::tempdir().unwrap();
        let s = Store::new(d.path());
        (d, s)
    }

    fn rec(id: &str) -> Record {
        Record {
            session_id: id.into(),
            timestamp: "2026-01-01T00:00:00+00:00".into(),
            ..Record::default()
        }
    }

    #[test]
    fn append_creates_store_and_lock_and_reads_back() {
        let (_d, s) = store();
        s.append(&rec("aaaa0001")).unwrap();
        s.append(&rec("aaaa0002")).unwrap();
        assert!(s.dir().join(LOCK_FILE).exists());
        let l = s.load().unwrap();
        assert_eq!(l.records.len(), 2);
        assert_eq!(l.records[1].session_id, "aaaa0002");
    }

    #[test]
    fn a_torn_tail_is_cut_before_the_next_append() {
        let (_d, s) = store();
        std::fs::write(
            s.path(),
            b"{\"session_id\":\"a\"}\n{\"session_id\":\"b\",\"mo",
        )
        .unwrap();
        s.append(&rec("c")).unwrap();
        let text = std::fs::read_to_string(s.path()).unwrap();
        assert_eq!(text.lines().count(), 2);
        assert!(text.ends_with('\n'));
        let l = s.load().unwrap();
        assert_eq!(l.malformed, 0);
        let ids: Vec<_> = l.records.iter().map(|r| r.session_id.as_str()).collect();
        assert_eq!(ids, ["a", "c"]);
    }

    #[test]
    fn a_valid_last_line_without_newline_is_kept_and_terminated() {
        let (_d, s) = store();
        std::fs::write(s.path(), b"{\"session_id\":\"a\"}\n{\"session_id\":\"b\"}").unwrap();
        s.append(&rec("c")).unwrap();
        let ids: Vec<_> = s
            .load()
            .unwrap()
            .records
            .iter()
            .map(|r| r.session_id.clone())
            .collect();
        assert_eq!(ids, ["a", "b", "c"]);
    }

    #[test]
    fn a_lone_unparseable_first_line_is_never_deleted() {
        let (_d, s) = store();
        std::fs::write(s.path(), b"{\"session_id\":\"torn").unwrap();
        s.append(&rec("c")).unwrap();
        let text = std::fs::read_to_string(s.path()).unwrap();
        assert!(text.starts_with("{\"session_id\":\"torn"));
        assert_eq!(s.load().unwrap().records.len(), 1);
    }

    #[test]
    fn rewrite_keeps_untouched_lines_and_malformed_lines_verbatim() {
        let (_d, s) = store();
        let original = "{\"session_id\": \"a\", \"custom\": 1}\nnot json at all\n\n{\"session_id\":\"b\",\"outcome\":\"unknown\"}\n[1,2]\n";
        std::fs::write(s.path(), original).unwrap();
        s.modify(|rs| {
            rs[1].outcome = Some("productive".into());
            Ok(())
        })
        .unwrap();
        let text = std::fs::read_to_string(s.path()).unwrap();
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(lines[0], "{\"session_id\": \"a\", \"custom\": 1}");
        assert_eq!(lines[1], "not json at all");
        assert!(lines[2].contains("\"outcome\":\"productive\""));
        assert_eq!(lines[3], "[1,2]");
        assert_eq!(lines.len(), 4);
        // No temp files left behind.
        let names: Vec<_> = std::fs::read_dir(s.dir())
            .unwrap()
            .map(|e| e.unwrap().file_name().into_string().unwrap())
            .collect();
        assert!(names.iter().all(|n| !n.contains(".tmp.")), "{names:?}");
    }

    #[test]
    fn an_unchanged_modify_does_not_rewrite() {
        let (_d, s) = store();
        std::fs::write(s.path(), "{\"session_id\":\"a\"}\n").unwrap();
        let before = std::fs::metadata(s.path()).unwrap().modified().unwrap();
        std::thread::sleep(std::time::Duration::from_millis(20));
        s.modify(|_| Ok(())).unwrap();
        assert_eq!(
            std::fs::metadata(s.path()).unwrap().modified().unwrap(),
            before
        );
    }

    #[test]
    fn upsert_replaces_by_id_and_appends_new_ones_and_never_deletes() {
        let (_d, s) = store();
        s.append(&rec("a")).unwrap();
        s.append(&rec("b")).unwrap();
        let mut a = rec("a");
        a.category = Some("code".into());
        s.upsert(vec![a, rec("z")]).unwrap();
        let l = s.load().unwrap();
        let ids: Vec<_> = l.records.iter().map(|r| r.session_id.as_str()).collect();
        assert_eq!(ids, ["a", "b", "z"]);
        assert_eq!(l.records[0].category.as_deref(), Some("code"));
        let removed = s.modify(|rs| {
            rs.pop();
            Ok(())
        });
        assert!(matches!(removed, Err(StoreError::RemovedRecords)));
        assert_eq!(s.load().unwrap().records.len(), 3);
    }

    #[test]
    fn a_large_store_parses_in_order_with_its_malformed_lines() {
        let mut text = String::new();
        for i in 0..40_000 {
            text.push_str(&format!(
                "{{\"session_id\":\"{i:08}\",\"pad\":\"{}\"}}\n",
                "x".repeat(100)
            ));
            if i % 1000 == 0 {
                text.push_str("garbage\n");
            }
        }
        let l = parse(text.as_bytes());
        assert_eq!(l.records.len(), 40_000);
        assert_eq!(l.malformed, 40);
        assert!(l
            .records
            .iter()
            .enumerate()
            .all(|(i, r)| r.session_id == format!("{i:08}")));
        // Every record line points at its own record.
        for line in &l.lines {
            if let Line::Record { raw, index } = line {
                assert_eq!(
                    Record::from_line(raw).unwrap().session_id,
                    l.records[*index].session_id
                );
            }
        }
    }

    /// Issue 20: the torn-tail repair reads the tail in O(its length) with one
    /// buffer; what it decides is Python's `json.loads(partial.decode("utf-8"))`.
    #[test]
    fn a_long_torn_tail_is_cut_and_a_long_valid_one_kept() {
        let (_d, s) = store();
        // Multi-byte characters land across the 64 KiB read boundaries.
        let long_text = "é€😀".repeat(60_000);
        let head = "{\"session_id\":\"a\"}\n";
        let torn = format!("{head}{{\"session_id\":\"b\",\"notes\":\"{long_text}");
        std::fs::write(s.path(), &torn).unwrap();
        s.append(&rec("c")).unwrap();
        let ids: Vec<_> = s
            .load()
            .unwrap()
            .records
            .into_iter()
            .map(|r| r.session_id)
            .collect();
        assert_eq!(ids, ["a", "c"]);

        let whole = format!("{head}{{\"session_id\":\"b\",\"notes\":\"{long_text}\"}}");
        std::fs::write(s.path(), &whole).unwrap();
        s.append(&rec("c")).unwrap();
        let loaded = s.load().unwrap();
        assert_eq!(loaded.records.len(), 3);
        assert_eq!(loaded.records[1].extra["notes"], long_text.as_str());
    }

    #[test]
    fn a_tail_with_invalid_utf8_is_torn_like_python_says() {
        let (_d, s) = store();
        let mut bytes = b"{\"session_id\":\"a\"}\n{\"session_id\":\"b\",\"notes\":\"".to_vec();
        bytes.extend_from_slice(&[0xff, 0xfe]);
        bytes.extend_from_slice(b"\"}");
        std::fs::write(s.path(), &bytes).unwrap();
        s.append(&rec("c")).unwrap();
        let text = std::fs::read(s.path()).unwrap();
        assert!(!text.windows(2).any(|w| w == [0xff, 0xfe]));
        assert_eq!(s.load().unwrap().records.len(), 2);
    }

    /// The UTF-8 check holds whatever the read boundaries: one byte at a time here.
    #[test]
    fn the_json_check_streams_through_any_read_size() {
        struct OneByte<'a>(&'a [u8]);
        impl Read for OneByte<'_> {
            fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
                let Some((first, rest)) = self.0.split_first() else {
                    return Ok(0);
                };
                buf[0] = *first;
                self.0 = rest;
                Ok(1)
            }
        }
        let check = |b: &[u8]| is_one_json_value(OneByte(b)).unwrap();
        assert!(check("{\"a\":\"é€😀\"}".as_bytes()));
        assert!(check(b" [1, 2] "));
        assert!(check(b"42"));
        assert!(!check(b"{\"a\":1"));
        assert!(!check(b"{\"a\":1} {}"));
        assert!(!check(b"{\"a\":\"\xe2\x82\"}"), "a cut 3-byte character");
        assert!(!check(b"{\"a\":\"\xc3\"}"));
        assert!(!check(b"\"\xf0\x9f\x98\""));
        assert!(is_one_json_value("\"😀\"".as_bytes()).unwrap());
    }

    /// A torn last line read by a rewrite (annotate, upsert) is not written back: it
    /// would become a malformed line for good, no longer last, never repaired.
    #[test]
    fn a_rewrite_drops_a_torn_last_line_like_the_next_append_would() {
        let (_d, s) = store();
        std::fs::write(
            s.path(),
            "{\"session_id\":\"a\"}\nnot json\n{\"session_id\":\"b\",\"mo",
        )
        .unwrap();
        s.modify(|rs| {
            rs[0].outcome = Some("productive".into());
            Ok(())
        })
        .unwrap();
        let text = std::fs::read_to_string(s.path()).unwrap();
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(lines.len(), 2, "{text}");
        assert!(lines[0].contains("productive"));
        assert_eq!(lines[1], "not json", "a malformed line in the middle stays");
        // A valid last line without its newline is kept, and a lone torn first line too.
        std::fs::write(s.path(), "{\"session_id\":\"a\"}\n{\"session_id\":\"b\"}").unwrap();
        s.upsert(vec![rec("z")]).unwrap();
        assert_eq!(s.load().unwrap().records.len(), 3);
        std::fs::write(s.path(), "{\"session_id\":\"torn").unwrap();
        s.upsert(vec![rec("z")]).unwrap();
        let text = std::fs::read_to_string(s.path()).unwrap();
        assert!(text.starts_with("{\"session_id\":\"torn\n"), "{text}");
    }

    /// Found writing the store_repair fuzz target's oracle: a last line the loader
    /// reads as a record, because it trims Unicode blanks (a no-break space, U+3000)
    /// like Python's `str.strip()`, was cut as torn by the next append, losing the
    /// record. Now what the loader counts, the repair and a rewrite keep.
    #[test]
    fn a_record_with_unicode_blanks_around_it_is_not_cut_as_torn() {
        let (_d, s) = store();
        for tail in [
            "{\"session_id\":\"b\"}\u{a0}",
            "\u{3000}{\"session_id\":\"b\"}\u{2029}\u{85}",
            "\u{b}{\"session_id\":\"b\"} \u{c}",
        ] {
            let text = format!("{{\"session_id\":\"a\"}}\n{tail}");
            std::fs::write(s.path(), &text).unwrap();
            assert_eq!(s.load().unwrap().records.len(), 2, "{tail:?}");
            s.append(&rec("c")).unwrap();
            let ids: Vec<String> = s
                .load()
                .unwrap()
                .records
                .into_iter()
                .map(|r| r.session_id)
                .collect();
            assert_eq!(ids, ["a", "b", "c"], "{tail:?}");
            std::fs::write(s.path(), &text).unwrap();
            s.upsert(vec![rec("c")]).unwrap();
            assert_eq!(s.load().unwrap().records.len(), 3, "{tail:?}");
        }
        // Blanks around a torn line do not save it, and the look at the ends stays
        // bounded: a long tail of blanks is cut like any torn line.
        let torn = format!(
            "{{\"session_id\":\"a\"}}\n\u{a0}{{\"session_id\":\"b{}",
            "\u{a0}".repeat(5000)
        );
        std::fs::write(s.path(), &torn).unwrap();
        s.append(&rec("c")).unwrap();
        assert_eq!(s.load().unwrap().records.len(), 2);
        assert_eq!(s.load().unwrap().malformed, 0);
    }

    /// A writer killed between writing its temp file and renaming it leaves the temp
    /// file; the next locked write (ours or Python's name for it) removes it.
    #[test]
    fn the_next_write_removes_temp_files_of_a_crashed_rewrite() {
        let (_d, s) = store();
        s.append(&rec("a")).unwrap();
        let ours = s.dir().join(format!("{STORE_FILE}.tmp.4242.abcdefgh"));
        let pythons = s.dir().join(format!("{STORE_FILE}.tmp.77.0123abcd"));
        let unrelated = s.dir().join("notes.tmp.1");
        for p in [&ours, &pythons, &unrelated] {
            std::fs::write(p, "{\"session_id\":\"half").unwrap();
        }
        s.append(&rec("b")).unwrap();
        assert!(!ours.exists() && !pythons.exists());
        assert!(unrelated.exists());
        std::fs::write(&ours, "x").unwrap();
        s.upsert(vec![rec("c")]).unwrap();
        assert!(!ours.exists());
        assert_eq!(s.load().unwrap().records.len(), 3);
    }

    /// gptme-sessions counts only objects as records: `[]`, `42`, `"x"` and `null`
    /// are malformed lines, counted, and kept byte for byte by a rewrite.
    #[test]
    fn json_that_is_not_an_object_is_a_malformed_line_kept_verbatim() {
        let (_d, s) = store();
        let original = "{\"session_id\":\"a\"}\n[]\n42\n\"x\"\nnull\n{\"session_id\":\"b\"}\n";
        std::fs::write(s.path(), original).unwrap();
        let loaded = s.load().unwrap();
        assert_eq!((loaded.records.len(), loaded.malformed), (2, 4));
        assert_eq!(crate::records::count(&s).unwrap(), 2);
        s.modify(|rs| {
            rs[1].outcome = Some("noop".into());
            Ok(())
        })
        .unwrap();
        let text = std::fs::read_to_string(s.path()).unwrap();
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(lines[..5], original.lines().collect::<Vec<_>>()[..5]);
        assert!(lines[5].contains("\"noop\""));
    }

    #[test]
    fn location_flag_beats_env() {
        let flag = Path::new("/x/flag");
        assert_eq!(sessions_dir(Some(flag)), PathBuf::from("/x/flag"));
        assert!(
            sessions_dir(None).is_absolute() || std::env::var_os("GPTME_SESSIONS_DIR").is_some()
        );
    }
}
