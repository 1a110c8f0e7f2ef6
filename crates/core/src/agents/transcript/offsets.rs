//! An offset index per transcript file, so a long session opens at its end and pages
//! back without reading the file from the start (issue 17: a 1.2 GB transcript).
//!
//! An entry's `index` counts every entry before it, so the first read of a line
//! transcript has to go through the whole file once. That pass leaves [`Mark`]s
//! behind: where a line starts (byte offset, the index its first entry gets, the
//! parser's carry there) and how many unreadable lines came before, one at least
//! every [`MARK_BYTES`] or [`MARK_ENTRIES`]. With them, the last page is read from
//! the last mark before it, and any earlier page from the mark before that page:
//! what a read touches is bounded by the page and one mark's spacing, not the file.
//!
//! The marks of a file are kept in [`OffsetStore`] (in memory, and in
//! `<data dir>/transcript_offsets.sqlite3` — derived data, rebuilt when it cannot be
//! trusted) and checked on every use:
//! - the file grew: only the new bytes are read, and marks added;
//! - it shrank below what was indexed, its inode changed (rotated, replaced), or the
//!   bytes just before the indexed end are no longer the same (rewritten): the marks
//!   are dropped and the file indexed again;
//! - a torn last line (no newline yet) is never indexed: the end stays before it.
//!
//! A whole-file transcript that is one JSON document of messages (a Gemini `.json`
//! chat, [`super::Document`]) has an index of its message starts instead, kept beside
//! the line marks (`doc_offsets`; table `documents`), and one whose lines replace and
//! rewind earlier messages (a Gemini `.jsonl` chat, [`super::KeyedLog`]) an index of
//! where each message's latest line is (`log_offsets`; table `logs`);
//! [`OffsetStore::page`] reads their pages forward from a cursor through them too.
//! Other whole-file formats (opencode) are parsed whole as before, keeping only the
//! page's entries. Nothing here writes to an agent's file.

use std::collections::HashMap;
use std::io::{Read, Seek, SeekFrom};
use std::path::{Path, PathBuf};

use rusqlite::{params, Connection, OptionalExtension};
use serde::{Deserialize, Serialize};

use super::doc_offsets::{self, DocOffsets, Failure};
use super::log_offsets::{self, LogOffsets};
use super::{
    page_of_whole, parse_whole, reader, Keep, KeyedLog, LineFormat, Reader, TranscriptCursor,
    TranscriptEntry, TranscriptError, TranscriptPage, WholeReader, WholeTranscript, Window,
};
use crate::model::Harness;

/// At most this many bytes between two marks (a line is never split, so a mark may
/// come one line later).
pub const MARK_BYTES: u64 = 1024 * 1024;
/// At most this many entries between two marks.
pub const MARK_ENTRIES: u32 = 256;
/// Bytes before the indexed end compared on every use to notice a rewritten file.
const SIGNATURE_BYTES: u64 = 64;
/// Files whose marks the store keeps in memory (the app's detail pane, the CLI).
const MEMO_FILES: usize = 64;
/// Bumped when marks are computed differently (the stored ones are then dropped).
const FORMAT_VERSION: &str = "1";

/// A line start: the cursor a read can start from there, and the unreadable lines
/// before it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct Mark {
    pub at: TranscriptCursor,
    pub errors: u32,
}

/// Marks left by one read (see `lines::read_page`): one is due once the line start is
/// [`MARK_BYTES`] or [`MARK_ENTRIES`] past the previous one.
#[derive(Debug, Default)]
pub(crate) struct Marks {
    last: (u64, u32),
    pub(crate) list: Vec<Mark>,
}

impl Marks {
    pub(crate) fn due(&self, offset: u64, index: u32) -> bool {
        offset.saturating_sub(self.last.0) >= MARK_BYTES
            || index.saturating_sub(self.last.1) >= MARK_ENTRIES
    }

    pub(crate) fn push(&mut self, mark: Mark) {
        self.last = (mark.at.offset, mark.at.index);
        self.list.push(mark);
    }
}

type MakeFormat = fn(Option<String>) -> Box<dyn LineFormat>;

/// The index of one line transcript.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
struct FileOffsets {
    inode: u64,
    /// Ascending; the first is the start of the file.
    marks: Vec<Mark>,
    /// After the last complete line indexed: the total entries and unreadable lines.
    end: Mark,
    /// The [`SIGNATURE_BYTES`] before `end.at.offset`, as they were.
    signature: Vec<u8>,
}

impl FileOffsets {
    fn empty(inode: u64) -> FileOffsets {
        FileOffsets {
            inode,
            marks: vec![Mark {
                at: TranscriptCursor::default(),
                errors: 0,
            }],
            end: Mark {
                at: TranscriptCursor::default(),
                errors: 0,
            },
            signature: Vec::new(),
        }
    }

    /// The last mark at or before entry `index`.
    fn mark_before(&self, index: u32) -> &Mark {
        let i = self.marks.partition_point(|m| m.at.index <= index);
        &self.marks[i.saturating_sub(1)]
    }
}

/// Offset indexes of transcript files: kept in memory, and in a SQLite file when
/// opened with one. See the module documentation.
pub struct OffsetStore {
    conn: Option<Connection>,
    memo: HashMap<(Harness, PathBuf), FileOffsets>,
    docs: HashMap<(Harness, PathBuf), DocOffsets>,
    logs: HashMap<(Harness, PathBuf), LogOffsets>,
}

/// Times a one-document transcript is read again after it changed under the read.
const CHANGED_RETRIES: usize = 3;

/// The store listing scans leave document indexes in ([`index_while_scanning`]).
static SCAN_STORE: std::sync::OnceLock<PathBuf> = std::sync::OnceLock::new();

/// Have listing scans in this process leave the offset index of each whole-file
/// document they decode as a stream (a Gemini `.json` chat over the whole-file cap) in
/// the store at `db`, so its first page is read from the index at once (the app and
/// the CLI ask for this with their store; unset, nothing is written).
pub fn index_while_scanning(db: PathBuf) {
    let _ = SCAN_STORE.set(db);
}

/// The store [`index_while_scanning`] names, opened.
pub(crate) fn scan_store() -> Option<OffsetStore> {
    SCAN_STORE.get().map(|db| OffsetStore::open(db))
}

impl OffsetStore {
    /// Marks kept in memory only (nothing is written).
    pub fn in_memory() -> OffsetStore {
        OffsetStore {
            conn: None,
            memo: HashMap::new(),
            docs: HashMap::new(),
            logs: HashMap::new(),
        }
    }

    /// Marks kept in `db` too. A file that is not a usable store of this version is
    /// rebuilt empty; when even that fails, the store works in memory only.
    pub fn open(db: &Path) -> OffsetStore {
        let conn = crate::sqlite_file::open_rebuildable(db, |p| {
            let (conn, version) =
                crate::sqlite_file::open_checked(p, std::time::Duration::from_secs(2))?;
            if version != 0 && version != 1 {
                return Err(rusqlite::Error::InvalidQuery);
            }
            conn.execute_batch(
                "CREATE TABLE IF NOT EXISTS offsets (
                    harness TEXT NOT NULL, path TEXT NOT NULL, data TEXT NOT NULL,
                    PRIMARY KEY (harness, path));
                 CREATE TABLE IF NOT EXISTS documents (
                    harness TEXT NOT NULL, path TEXT NOT NULL, data TEXT NOT NULL,
                    PRIMARY KEY (harness, path));
                 CREATE TABLE IF NOT EXISTS logs (
                    harness TEXT NOT NULL, path TEXT NOT NULL, data BLOB NOT NULL,
                    PRIMARY KEY (harness, path));
                 CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
                 PRAGMA user_version = 1;",
            )?;
            let format: Option<String> = conn
                .query_row("SELECT value FROM meta WHERE key = 'format'", [], |r| {
                    r.get(0)
                })
                .optional()?;
            if format.as_deref() != Some(FORMAT_VERSION) {
                conn.execute_batch(
                    "DELETE FROM offsets; DELETE FROM documents; DELETE FROM logs;",
                )?;
                conn.execute(
                    "INSERT OR REPLACE INTO meta (key, value) VALUES ('format', ?1)",
                    [FORMAT_VERSION],
                )?;
            }
            Ok(conn)
        });
        OffsetStore {
            conn: conn.ok(),
            memo: HashMap::new(),
            docs: HashMap::new(),
            logs: HashMap::new(),
        }
    }

    /// The last `last` entries of a transcript (what [`super::read_transcript_tail`]
    /// answers), read from the last mark before them.
    pub fn tail(
        &mut self,
        harness: Harness,
        path: &Path,
        last: usize,
        max_text_bytes: usize,
    ) -> Result<TranscriptPage, TranscriptError> {
        let last = last.max(1);
        let make_format = match reader(harness) {
            Reader::Lines(make_format) => make_format,
            Reader::Whole(read_whole) => {
                let whole = self.whole(harness, path, read_whole, Keep::Last(last))?;
                let start = TranscriptCursor {
                    index: whole.total().saturating_sub(last) as u32,
                    ..TranscriptCursor::default()
                };
                return Ok(page_of_whole(whole, &start, usize::MAX, max_text_bytes));
            }
        };
        let (offsets, reset) = self.refreshed(harness, path, make_format)?;
        let want = offsets
            .end
            .at
            .index
            .saturating_sub(u32::try_from(last).unwrap_or(u32::MAX));
        let mark = offsets.mark_before(want);
        let mut page = super::lines::read_page(
            path,
            &mark.at,
            Window::Tail(last),
            max_text_bytes,
            make_format,
            None,
        )?;
        page.parse_errors = page.parse_errors.saturating_add(mark.errors);
        page.reset |= reset;
        Ok(page)
    }

    /// Up to `n` entries just before entry `before` (`before - n .. before`), for
    /// paging back from the end. `reset` says the file was replaced or truncated since
    /// it was last indexed (the caller's earlier entries are void); `next` and
    /// `at_end` are not meaningful here (keep tailing from the cursor of the last page).
    pub fn before(
        &mut self,
        harness: Harness,
        path: &Path,
        before: u32,
        n: usize,
        max_text_bytes: usize,
    ) -> Result<TranscriptPage, TranscriptError> {
        let n = u32::try_from(n).unwrap_or(u32::MAX);
        let start = before.saturating_sub(n);
        let read_whole = match reader(harness) {
            Reader::Whole(read_whole) => read_whole,
            Reader::Lines(make_format) => {
                let (offsets, reset) = self.refreshed(harness, path, make_format)?;
                let before = before.min(offsets.end.at.index);
                let mark = offsets.mark_before(start);
                let limit = (before.saturating_sub(mark.at.index)) as usize;
                let mut page = if limit == 0 {
                    TranscriptPage::default()
                } else {
                    super::lines::read_page(
                        path,
                        &mark.at,
                        Window::Head(limit),
                        max_text_bytes,
                        make_format,
                        None,
                    )?
                };
                page.entries
                    .retain(|e| e.index >= start && e.index < before);
                page.parse_errors = page.parse_errors.saturating_add(mark.errors);
                page.reset = reset;
                page.at_end = false;
                return Ok(page);
            }
        };
        let from = TranscriptCursor {
            index: start,
            ..TranscriptCursor::default()
        };
        let whole = self.whole(
            harness,
            path,
            read_whole,
            Keep::Range(start as usize, before as usize),
        )?;
        let mut page = page_of_whole(
            whole,
            &from,
            before.saturating_sub(start) as usize,
            max_text_bytes,
        );
        page.entries.retain(|e| e.index < before);
        Ok(page)
    }

    /// A page from `from` on, as [`super::read_transcript`] answers it; a one-document
    /// transcript is read through its index (what the detail pane asks while it
    /// follows a session, and for one entry in full).
    pub fn page(
        &mut self,
        harness: Harness,
        path: &Path,
        from: &TranscriptCursor,
        limit: usize,
        max_text_bytes: usize,
    ) -> Result<TranscriptPage, TranscriptError> {
        let read_whole = match reader(harness) {
            Reader::Whole(read_whole)
                if crate::agents::agent(harness).document(path).is_some()
                    || crate::agents::agent(harness).log(path).is_some() =>
            {
                read_whole
            }
            _ => return super::read_transcript(harness, path, from, limit, max_text_bytes),
        };
        let limit = limit.max(1);
        let start = from.index as usize;
        let mut whole = self.whole(harness, path, read_whole, Keep::Range(start, start + limit))?;
        if start > whole.total() {
            // It shrank: the page starts over from the first entry.
            whole = self.whole(harness, path, read_whole, Keep::Range(0, limit))?;
        }
        Ok(page_of_whole(whole, from, limit, max_text_bytes))
    }

    /// One entry in full, as [`super::read_entry_full`] answers it.
    pub fn entry_full(
        &mut self,
        harness: Harness,
        path: &Path,
        at: &TranscriptCursor,
        index: u32,
    ) -> Result<TranscriptEntry, TranscriptError> {
        super::entry_of(self.page(harness, path, at, 1, usize::MAX)?, path, index)
    }

    /// The drafts `keep` names of a whole-file transcript: through its document index
    /// when it is one JSON document, its log index when it is a log of messages, else
    /// parsed whole.
    fn whole(
        &mut self,
        harness: Harness,
        path: &Path,
        read_whole: WholeReader,
        keep: Keep,
    ) -> Result<WholeTranscript, TranscriptError> {
        if let Some(log) = crate::agents::agent(harness).log(path) {
            return self.whole_log(harness, path, log, keep);
        }
        let Some(doc) = crate::agents::agent(harness).document(path) else {
            return parse_whole(read_whole, path, keep);
        };
        let key = (harness, path.to_path_buf());
        for _ in 0..CHANGED_RETRIES {
            let known = match self.docs.remove(&key) {
                Some(known) => Some(known),
                None => self.load_doc(harness, path),
            };
            let idx = match doc_offsets::refresh(path, doc, known) {
                Ok((idx, kept)) => {
                    if kept.is_some() {
                        self.save_doc(harness, path, &idx);
                    }
                    idx
                }
                Err(Failure::Changed) => continue,
                Err(Failure::Error(e)) => return Err(e),
            };
            let read = doc_offsets::read(path, doc, &idx, keep);
            if self.docs.len() >= MEMO_FILES {
                self.docs.clear();
            }
            self.docs.insert(key.clone(), idx);
            match read {
                Ok(whole) => return Ok(whole),
                Err(Failure::Changed) => continue,
                Err(Failure::Error(e)) => return Err(e),
            }
        }
        Err(TranscriptError::Changed(path.to_path_buf()))
    }

    /// [`OffsetStore::whole`] of a log, through its index (`log_offsets`).
    fn whole_log(
        &mut self,
        harness: Harness,
        path: &Path,
        log: &KeyedLog,
        keep: Keep,
    ) -> Result<WholeTranscript, TranscriptError> {
        let key = (harness, path.to_path_buf());
        for _ in 0..CHANGED_RETRIES {
            let known = match self.logs.remove(&key) {
                Some(known) => Some(known),
                None => self.load_log(harness, path),
            };
            let mut idx = match log_offsets::refresh(path, log, known) {
                Ok((idx, _)) => idx,
                Err(Failure::Changed) => continue,
                Err(Failure::Error(e)) => return Err(e),
            };
            // Stored once it moved on by a mark's spacing (a live chat grows by a line
            // at a time; the lines since are read again by the next process).
            if idx.end().saturating_sub(idx.stored_end) >= MARK_BYTES
                || (idx.stored_end == 0 && idx.end() > 0)
            {
                self.save_log(harness, path, &mut idx);
            }
            let read = log_offsets::read(path, log, &idx, keep);
            if self.logs.len() >= MEMO_FILES {
                self.logs.clear();
            }
            self.logs.insert(key.clone(), idx);
            match read {
                Ok(whole) => return Ok(whole),
                Err(Failure::Changed) => continue,
                Err(Failure::Error(e)) => return Err(e),
            }
        }
        Err(TranscriptError::Changed(path.to_path_buf()))
    }

    fn load_log(&self, harness: Harness, path: &Path) -> Option<LogOffsets> {
        let conn = self.conn.as_ref()?;
        let data: Vec<u8> = conn
            .query_row(
                "SELECT data FROM logs WHERE harness = ?1 AND path = ?2",
                params![harness.as_str(), path.to_string_lossy()],
                |r| r.get(0),
            )
            .ok()?;
        // A row that does not decode is as good as none: the file is indexed again.
        LogOffsets::decode(&data)
    }

    fn save_log(&self, harness: Harness, path: &Path, offsets: &mut LogOffsets) {
        let Some(conn) = self.conn.as_ref() else {
            return;
        };
        // Derived data: a failed write only means indexing again next time.
        let saved = conn.execute(
            "INSERT OR REPLACE INTO logs (harness, path, data) VALUES (?1, ?2, ?3)",
            params![harness.as_str(), path.to_string_lossy(), offsets.encode()],
        );
        if saved.is_ok() {
            offsets.stored_end = offsets.end();
        }
    }

    /// Keep the index a listing scan built of a document (`doc_offsets::index_visiting`).
    pub(crate) fn keep_document(&mut self, harness: Harness, path: &Path, idx: DocOffsets) {
        self.save_doc(harness, path, &idx);
        if self.docs.len() >= MEMO_FILES {
            self.docs.clear();
        }
        self.docs.insert((harness, path.to_path_buf()), idx);
    }

    fn load_doc(&self, harness: Harness, path: &Path) -> Option<DocOffsets> {
        let conn = self.conn.as_ref()?;
        let data: String = conn
            .query_row(
                "SELECT data FROM documents WHERE harness = ?1 AND path = ?2",
                params![harness.as_str(), path.to_string_lossy()],
                |r| r.get(0),
            )
            .ok()?;
        // A row that does not decode is as good as none: the file is indexed again.
        serde_json::from_str(&data).ok()
    }

    fn save_doc(&self, harness: Harness, path: &Path, offsets: &DocOffsets) {
        let (Some(conn), Ok(data)) = (self.conn.as_ref(), serde_json::to_string(offsets)) else {
            return;
        };
        // Derived data: a failed write only means indexing again next time.
        let _ = conn.execute(
            "INSERT OR REPLACE INTO documents (harness, path, data) VALUES (?1, ?2, ?3)",
            params![harness.as_str(), path.to_string_lossy(), data],
        );
    }

    /// The marks of `path`, brought up to date with the file (see the module
    /// documentation), and whether earlier ones had to be thrown away.
    fn refreshed(
        &mut self,
        harness: Harness,
        path: &Path,
        make_format: MakeFormat,
    ) -> Result<(FileOffsets, bool), TranscriptError> {
        let io_err = |e| TranscriptError::io(path, e);
        let mut file = crate::agent_file::open(path).map_err(io_err)?;
        let meta = file.metadata().map_err(io_err)?;
        let inode = crate::agent_file::open_file_id(&file, &meta);
        let size = meta.len();
        let key = (harness, path.to_path_buf());
        let known = match self.memo.remove(&key) {
            Some(known) => Some(known),
            None => self.load(harness, path),
        };
        let mut offsets = known.unwrap_or_else(|| FileOffsets::empty(inode));
        let end = offsets.end.at.offset;
        let valid = offsets.inode == inode
            && size >= end
            && signature(&mut file, end).map_err(io_err)? == offsets.signature;
        if !valid {
            offsets = FileOffsets::empty(inode);
        }
        let mut changed = !valid;
        if size > offsets.end.at.offset {
            let from = offsets.end.at.clone();
            let mut marks = Marks {
                last: offsets
                    .marks
                    .last()
                    .map_or((0, 0), |m| (m.at.offset, m.at.index)),
                list: Vec::new(),
            };
            // One entry kept: this pass is for the marks.
            let page = super::lines::read_page(
                path,
                &from,
                Window::Tail(1),
                0,
                make_format,
                Some(&mut marks),
            )?;
            let base = offsets.end.errors;
            offsets.marks.extend(marks.list.into_iter().map(|m| Mark {
                errors: m.errors.saturating_add(base),
                ..m
            }));
            if page.next.offset != offsets.end.at.offset {
                offsets.end = Mark {
                    at: page.next,
                    errors: base.saturating_add(page.parse_errors),
                };
                offsets.signature = signature(&mut file, offsets.end.at.offset).map_err(io_err)?;
                changed = true;
            }
        }
        if changed {
            self.save(harness, path, &offsets);
        }
        if self.memo.len() >= MEMO_FILES {
            self.memo.clear();
        }
        self.memo.insert(key, offsets.clone());
        Ok((offsets, !valid && end > 0))
    }

    fn load(&self, harness: Harness, path: &Path) -> Option<FileOffsets> {
        let conn = self.conn.as_ref()?;
        let data: String = conn
            .query_row(
                "SELECT data FROM offsets WHERE harness = ?1 AND path = ?2",
                params![harness.as_str(), path.to_string_lossy()],
                |r| r.get(0),
            )
            .ok()?;
        // A row that does not decode is as good as none: the file is indexed again.
        serde_json::from_str(&data).ok()
    }

    fn save(&self, harness: Harness, path: &Path, offsets: &FileOffsets) {
        let (Some(conn), Ok(data)) = (self.conn.as_ref(), serde_json::to_string(offsets)) else {
            return;
        };
        // Derived data: a failed write only means indexing again next time.
        let _ = conn.execute(
            "INSERT OR REPLACE INTO offsets (harness, path, data) VALUES (?1, ?2, ?3)",
            params![harness.as_str(), path.to_string_lossy(), data],
        );
    }
}

/// The [`SIGNATURE_BYTES`] of `file` before `end`.
fn signature(file: &mut std::fs::File, end: u64) -> std::io::Result<Vec<u8>> {
    let start = end.saturating_sub(SIGNATURE_BYTES);
    file.seek(SeekFrom::Start(start))?;
    let mut buf = Vec::with_capacity((end - start) as usize);
    file.take(end - start).read_to_end(&mut buf)?;
    Ok(buf)
}

#[cfg(test)]
mod tests {
    use std::io::Write;

    use super::super::lines::BYTES_READ;
    use super::super::test_support::fixture;
    use super::super::{read_all_entries, read_transcript_tail, TranscriptEntry};
    use super::*;

    const MAX: usize = super::super::DEFAULT_MAX_TEXT_BYTES;

    fn claude_line(i: usize) -> String {
        match i % 5 {
            0 => format!(
                r#"{{"type":"user","timestamp":"2026-11-20T10:00:00.000Z","message":{{"role":"user","content":"prompt {i} {}"}}}}"#,
                "x".repeat(i % 300)
            ),
            // Two entries from one line: thinking and text.
            1 => format!(
                r#"{{"type":"assistant","requestId":"r{i}","message":{{"id":"m{i}","model":"claude-opus-4-6","content":[{{"type":"thinking","thinking":"hmm {i}"}},{{"type":"text","text":"answer {i}"}}],"usage":{{"input_tokens":5,"output_tokens":2}}}}}}"#
            ),
            2 => r#"{"type":"assistant","message":{"id":"#.to_string(), // unreadable
            3 => String::new(),                                         // blank: no entry
            _ => format!(
                r#"{{"type":"user","message":{{"role":"user","content":[{{"type":"tool_result","tool_use_id":"t{i}","content":"{}"}}]}}}}"#,
                "out ".repeat(i % 700)
            ),
        }
    }

    fn write_lines(path: &Path, range: std::ops::Range<usize>, line: fn(usize) -> String) {
        let mut f = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(path)
            .unwrap();
        for i in range {
            writeln!(f, "{}", line(i)).unwrap();
        }
    }

    fn bytes_read<T>(f: impl FnOnce() -> T) -> (T, u64) {
        BYTES_READ.with(|n| n.set(0));
        let out = f();
        (out, BYTES_READ.with(|n| n.get()))
    }

    /// Every entry, paged back from the end `n` at a time.
    fn paged_back(store: &mut OffsetStore, h: Harness, p: &Path, n: usize) -> Vec<TranscriptEntry> {
        let tail = store.tail(h, p, n, MAX).unwrap();
        let mut all = tail.entries;
        while let Some(first) = all.first().map(|e| e.index).filter(|i| *i > 0) {
            let page = store.before(h, p, first, n, MAX).unwrap();
            assert!(!page.reset);
            assert!(!page.entries.is_empty(), "stuck before {first}");
            assert_eq!(page.entries.last().unwrap().index + 1, first);
            all.splice(0..0, page.entries);
        }
        all
    }

    #[test]
    fn tail_and_pages_back_equal_one_read_of_the_whole_file() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("s.jsonl");
        write_lines(&p, 0..6000, claude_line);
        let size = std::fs::metadata(&p).unwrap().len();
        assert!(size > 2 * MARK_BYTES, "{size}");
        let whole = read_all_entries(Harness::ClaudeCode, &p, MAX).unwrap();
        let mut store = OffsetStore::in_memory();
        for n in [1, 20, 37, 500] {
            let want = read_transcript_tail(Harness::ClaudeCode, &p, n, MAX).unwrap();
            let got = store.tail(Harness::ClaudeCode, &p, n, MAX).unwrap();
            assert_eq!(got.entries, want.entries, "last {n}");
            assert_eq!(got.parse_errors, want.parse_errors);
            assert_eq!(got.next, want.next);
            assert!(got.at_end && !got.reset);
        }
        assert_eq!(whole.parse_errors, 1200);
        for n in [7, 256, 1000] {
            assert_eq!(
                paged_back(&mut store, Harness::ClaudeCode, &p, n),
                whole.entries
            );
        }
        // Once indexed, the last page and any page before it read about one mark's
        // spacing, not the file.
        let (page, read) = bytes_read(|| store.tail(Harness::ClaudeCode, &p, 20, MAX).unwrap());
        assert_eq!(page.entries.len(), 20);
        assert!(
            read < MARK_BYTES + 64 * 1024,
            "tail read {read} of {size} bytes"
        );
        let (page, read) = bytes_read(|| {
            store
                .before(Harness::ClaudeCode, &p, 3000, 50, MAX)
                .unwrap()
        });
        assert_eq!(page.entries.len(), 50);
        assert_eq!(page.entries[0].index, 2950);
        assert!(
            read < MARK_BYTES + 64 * 1024,
            "page read {read} of {size} bytes"
        );
    }

    #[test]
    fn codex_carry_survives_the_marks() {
        // Codex pairs a message with its copy in the other record kind across lines:
        // the parser state at each mark must come back exactly.
        let src = fixture(
            "codex/sessions/2026/11/20/rollout-2026-11-20T09-00-00-019a0c11-1111-7000-8000-000000000001.jsonl",
        );
        let body = std::fs::read(&src).unwrap();
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("rollout.jsonl");
        let mut f = std::fs::File::create(&p).unwrap();
        for _ in 0..400 {
            f.write_all(&body).unwrap();
        }
        drop(f);
        let whole = read_all_entries(Harness::Codex, &p, MAX).unwrap();
        assert!(whole.entries.len() > 2 * MARK_ENTRIES as usize);
        let mut store = OffsetStore::in_memory();
        assert_eq!(
            paged_back(&mut store, Harness::Codex, &p, 33),
            whole.entries
        );
        let tail = store.tail(Harness::Codex, &p, 10, MAX).unwrap();
        let want = read_transcript_tail(Harness::Codex, &p, 10, MAX).unwrap();
        assert_eq!((tail.entries, tail.next), (want.entries, want.next));
    }

    #[test]
    fn a_growing_file_is_read_on_from_its_indexed_end_and_a_torn_line_waits() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("s.jsonl");
        write_lines(&p, 0..4000, claude_line);
        let mut store = OffsetStore::in_memory();
        store.tail(Harness::ClaudeCode, &p, 5, MAX).unwrap();
        let before = std::fs::metadata(&p).unwrap().len();
        write_lines(&p, 4000..4100, claude_line);
        let torn = claude_line(4101);
        let mut f = std::fs::OpenOptions::new().append(true).open(&p).unwrap();
        f.write_all(&torn.as_bytes()[..20]).unwrap();
        let grown = std::fs::metadata(&p).unwrap().len();
        let (page, read) = bytes_read(|| store.tail(Harness::ClaudeCode, &p, 5, MAX).unwrap());
        // The new bytes once for the marks, then the page from the last mark.
        assert!(
            read < (grown - before) + MARK_BYTES + 64 * 1024,
            "read {read} after {} new bytes",
            grown - before
        );
        let want = read_transcript_tail(Harness::ClaudeCode, &p, 5, MAX).unwrap();
        assert_eq!(page.entries, want.entries);
        assert_eq!(
            page.next.offset,
            grown - 20,
            "the torn line is not read yet"
        );
        f.write_all(&torn.as_bytes()[20..]).unwrap();
        f.write_all(b"\n").unwrap();
        let page = store.tail(Harness::ClaudeCode, &p, 5, MAX).unwrap();
        let want = read_transcript_tail(Harness::ClaudeCode, &p, 5, MAX).unwrap();
        assert_eq!(page.entries, want.entries);
        assert_eq!(page.parse_errors, want.parse_errors);
        let whole = read_all_entries(Harness::ClaudeCode, &p, MAX).unwrap();
        assert_eq!(
            paged_back(&mut store, Harness::ClaudeCode, &p, 300),
            whole.entries
        );
    }

    #[test]
    fn a_truncated_rotated_or_rewritten_file_is_indexed_again() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("s.jsonl");
        let other = |i: usize| claude_line(i + 1);
        let mut store = OffsetStore::in_memory();
        let check = |store: &mut OffsetStore, reset: bool| {
            let got = store.tail(Harness::ClaudeCode, &p, 30, MAX).unwrap();
            let want = read_transcript_tail(Harness::ClaudeCode, &p, 30, MAX).unwrap();
            assert_eq!(got.entries, want.entries);
            assert_eq!(got.parse_errors, want.parse_errors);
            assert_eq!(got.reset, reset);
            let whole = read_all_entries(Harness::ClaudeCode, &p, MAX).unwrap();
            assert_eq!(
                paged_back(store, Harness::ClaudeCode, &p, 100),
                whole.entries
            );
        };
        write_lines(&p, 0..3000, claude_line);
        check(&mut store, false);
        // Truncated (shorter than what was indexed).
        std::fs::write(&p, b"").unwrap();
        write_lines(&p, 0..500, other);
        check(&mut store, true);
        // Rotated: a longer file renamed into its place (a new inode).
        let q = dir.path().join("new.jsonl");
        write_lines(&q, 0..3500, claude_line);
        std::fs::rename(&q, &p).unwrap();
        check(&mut store, true);
        // Rewritten in place, longer, with other bytes before the indexed end.
        let mut f = std::fs::OpenOptions::new().write(true).open(&p).unwrap();
        let mut body = Vec::new();
        for i in 0..3600 {
            body.extend_from_slice(other(i).as_bytes());
            body.push(b'\n');
        }
        f.write_all(&body).unwrap();
        drop(f);
        check(&mut store, true);
        // Gone: an error, not a panic.
        std::fs::remove_file(&p).unwrap();
        let err = store.tail(Harness::ClaudeCode, &p, 5, MAX).unwrap_err();
        assert!(matches!(err, TranscriptError::NotFound(_)), "{err}");
    }

    #[test]
    fn marks_are_kept_on_disk_and_a_damaged_store_is_rebuilt() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("s.jsonl");
        let db = dir.path().join("data/offsets.sqlite3");
        write_lines(&p, 0..5000, claude_line);
        let size = std::fs::metadata(&p).unwrap().len();
        let first = OffsetStore::open(&db)
            .tail(Harness::ClaudeCode, &p, 20, MAX)
            .unwrap();
        let mut store = OffsetStore::open(&db);
        let (again, read) = bytes_read(|| store.tail(Harness::ClaudeCode, &p, 20, MAX).unwrap());
        assert_eq!(again, first);
        assert!(read < size / 2, "read {read} of {size}: not indexed again");
        drop(store);
        std::fs::write(&db, b"not a database at all, not even close....").unwrap();
        let (page, read) = bytes_read(|| {
            OffsetStore::open(&db)
                .tail(Harness::ClaudeCode, &p, 20, MAX)
                .unwrap()
        });
        assert_eq!(page, first);
        assert!(read >= size, "indexed again from the start");
    }

    #[test]
    fn whole_file_formats_page_back_too() {
        let p = fixture(
            "gemini/tmp/5d41402abc4b2a76b9719d911017c5925d41402abc4b2a76b9719d911017c592/chats/session-2026-11-20T10-00-aaaa1111.json",
        );
        let whole = read_all_entries(Harness::Gemini, &p, MAX).unwrap();
        assert!(whole.entries.len() > 3);
        let mut store = OffsetStore::in_memory();
        assert_eq!(
            paged_back(&mut store, Harness::Gemini, &p, 2),
            whole.entries
        );
    }
}
