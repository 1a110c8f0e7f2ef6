//! Incremental reading of append-only line files (JSONL transcripts).
//!
//! A [`TailCursor`] remembers how far a file has been read (a byte offset) and the
//! bytes of an unfinished last line. Each [`TailCursor::read_new`] reads only what was
//! appended since, hands every *complete* line to a callback, and keeps a partial last
//! line for the next call, so an agent caught mid-write never yields a torn record.
//!
//! It notices when the file was truncated (size below the offset) or replaced (another
//! inode), and starts again from byte 0, telling the caller to forget what it derived
//! from the old content. A missing file is reported as [`TailEvent::Gone`], not as an
//! error. Lines longer than [`MAX_LINE_BYTES`] are skipped and counted, never buffered
//! without bound. This module knows nothing of JSON or of any agent format.

use std::io::{self, Read, Seek, SeekFrom};
use std::path::{Path, PathBuf};

pub use crate::agents::MAX_LINE_BYTES;

/// The smallest read; reads grow with what is left to read up to [`MAX_READ`].
const READ_CHUNK: usize = 256 * 1024;
/// The largest read: a whole transcript of up to this size is read at once, so its
/// lines are handed out from the read buffer without being copied again.
const MAX_READ: usize = 4 * 1024 * 1024;

thread_local! {
    /// One read buffer per thread, reused by every cursor read on that thread: a cold
    /// scan of thousands of files allocates (and zeroes) it once per thread.
    static READ_BUF: std::cell::RefCell<Vec<u8>> = const { std::cell::RefCell::new(Vec::new()) };
}

/// What a read found, besides the lines themselves.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TailEvent {
    /// Only new bytes were read (possibly none).
    Appended,
    /// The file shrank or was replaced: reading restarted at byte 0, so anything derived
    /// from earlier lines must be discarded before the lines of this read are applied.
    Reset,
    /// The file no longer exists.
    Gone,
}

/// Identity of a file's content stream: a replaced file gets a new one.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
struct FileIdentity {
    dev: u64,
    ino: u64,
}

#[cfg(unix)]
fn identity(_file: &std::fs::File, meta: &std::fs::Metadata) -> FileIdentity {
    use std::os::unix::fs::MetadataExt;
    FileIdentity {
        dev: meta.dev(),
        ino: meta.ino(),
    }
}

/// Windows: the volume's serial number and the file's index on it (what Unix calls
/// device and inode), from the open file.
#[cfg(windows)]
fn identity(file: &std::fs::File, _meta: &std::fs::Metadata) -> FileIdentity {
    use std::os::windows::io::AsRawHandle;
    use windows_sys::Win32::Storage::FileSystem::{
        GetFileInformationByHandle, BY_HANDLE_FILE_INFORMATION,
    };
    // SAFETY: a plain-data struct, zero is its empty value.
    let mut info: BY_HANDLE_FILE_INFORMATION = unsafe { std::mem::zeroed() };
    // SAFETY: a handle of an open file and an out-pointer to the struct it fills.
    if unsafe { GetFileInformationByHandle(file.as_raw_handle(), &mut info) } == 0 {
        // Unknown: replacement is then noticed only when the new file is shorter.
        return FileIdentity::default();
    }
    FileIdentity {
        dev: u64::from(info.dwVolumeSerialNumber),
        ino: (u64::from(info.nFileIndexHigh) << 32) | u64::from(info.nFileIndexLow),
    }
}

#[cfg(not(any(unix, windows)))]
fn identity(_file: &std::fs::File, _meta: &std::fs::Metadata) -> FileIdentity {
    FileIdentity::default()
}

/// The read position in one file. Cheap to keep one per watched file.
#[derive(Debug)]
pub struct TailCursor {
    path: PathBuf,
    offset: u64,
    identity: Option<FileIdentity>,
    partial: Vec<u8>,
    /// The line being skipped because it exceeded [`MAX_LINE_BYTES`].
    skipping_long_line: bool,
    oversized_lines: u64,
    /// The file was seen and then vanished: its next appearance is a [`TailEvent::Reset`].
    vanished: bool,
}

impl TailCursor {
    pub fn new(path: impl Into<PathBuf>) -> Self {
        TailCursor {
            path: path.into(),
            offset: 0,
            identity: None,
            partial: Vec::new(),
            skipping_long_line: false,
            oversized_lines: 0,
            vanished: false,
        }
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Bytes consumed so far, including those of a buffered partial line.
    pub fn offset(&self) -> u64 {
        self.offset
    }

    /// Lines skipped because they were longer than [`MAX_LINE_BYTES`].
    pub fn oversized_lines(&self) -> u64 {
        self.oversized_lines
    }

    /// Bytes of an unfinished last line waiting for its newline.
    pub fn pending_bytes(&self) -> usize {
        self.partial.len()
    }

    /// Read everything appended since the last call and pass each complete line
    /// (without its `\n`, and without a trailing `\r`) to `on_line`.
    pub fn read_new(&mut self, on_line: impl FnMut(&[u8])) -> io::Result<TailEvent> {
        self.read_new_with_meta(on_line).map(|(event, _)| event)
    }

    /// [`TailCursor::read_new`], also returning the metadata of the file as opened,
    /// taken before any byte was read (`None` when it is gone): callers that stamp
    /// what they read need no `stat` of the path of their own.
    pub fn read_new_with_meta(
        &mut self,
        mut on_line: impl FnMut(&[u8]),
    ) -> io::Result<(TailEvent, Option<std::fs::Metadata>)> {
        // Never blocks: a FIFO or device under this name is an error, not a hang.
        let mut file = match crate::agent_file::open(&self.path) {
            Ok(f) => f,
            Err(e) if e.kind() == io::ErrorKind::NotFound => {
                // Whatever appears under this name later is a new file, even if the
                // file system hands it the same inode again: start over then.
                if self.offset > 0 || self.identity.is_some() {
                    self.offset = 0;
                    self.identity = None;
                    self.partial = Vec::new();
                    self.skipping_long_line = false;
                    self.vanished = true;
                }
                return Ok((TailEvent::Gone, None));
            }
            Err(e) => return Err(e),
        };
        let meta = file.metadata()?;
        let id = identity(&file, &meta);
        let mut event = TailEvent::Appended;
        if std::mem::take(&mut self.vanished) {
            event = TailEvent::Reset;
        }
        let replaced = self.identity.is_some_and(|old| old != id);
        if replaced || meta.len() < self.offset {
            self.offset = 0;
            self.partial.clear();
            self.skipping_long_line = false;
            event = TailEvent::Reset;
        }
        self.identity = Some(id);
        if meta.len() == self.offset {
            return Ok((event, Some(meta)));
        }
        file.seek(SeekFrom::Start(self.offset))?;
        // One byte more than is left, so a file read whole ends with a read of 0.
        let want = usize::try_from(meta.len() - self.offset)
            .unwrap_or(MAX_READ)
            .saturating_add(1)
            .clamp(READ_CHUNK, MAX_READ);
        READ_BUF.with(|cell| {
            let mut owned = Vec::new();
            // Should `on_line` itself read a file on this thread, it gets its own buffer.
            let mut guard = cell.try_borrow_mut().ok();
            let buf = guard.as_deref_mut().unwrap_or(&mut owned);
            if buf.len() < want {
                buf.resize(want, 0);
            }
            let buf = &mut buf[..want];
            loop {
                let n = match file.read(buf) {
                    Ok(0) => break,
                    Ok(n) => n,
                    Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                    Err(e) => return Err(e),
                };
                self.offset += n as u64;
                self.feed(&buf[..n], &mut on_line);
            }
            Ok(())
        })?;
        // Thousands of cursors sit idle between appends: none keeps a big line buffer.
        if self.partial.is_empty() {
            self.partial = Vec::new();
        } else {
            self.partial.shrink_to_fit();
        }
        Ok((event, Some(meta)))
    }

    /// Split `chunk` into lines, joining with the buffered partial line.
    fn feed(&mut self, chunk: &[u8], on_line: &mut impl FnMut(&[u8])) {
        let mut start = 0;
        for nl in memchr::memchr_iter(b'\n', chunk) {
            let piece = &chunk[start..nl];
            start = nl + 1;
            if self.skipping_long_line {
                self.skipping_long_line = false;
                continue;
            }
            if self.partial.len() + piece.len() > MAX_LINE_BYTES {
                // The line's end arrived in this chunk, but the whole line is too long.
                self.partial.clear();
                self.oversized_lines += 1;
                continue;
            }
            if self.partial.is_empty() {
                on_line(trim_cr(piece));
            } else {
                self.partial.extend_from_slice(piece);
                let line = std::mem::take(&mut self.partial);
                on_line(trim_cr(&line));
                // Keep the allocation for the next long line, but not a huge one.
                if line.capacity() <= READ_CHUNK * 4 {
                    self.partial = line;
                    self.partial.clear();
                }
            }
        }
        let rest = &chunk[start..];
        if rest.is_empty() || self.skipping_long_line {
            return;
        }
        if self.partial.len() + rest.len() > MAX_LINE_BYTES {
            self.partial = Vec::new();
            self.skipping_long_line = true;
            self.oversized_lines += 1;
        } else {
            self.partial.extend_from_slice(rest);
        }
    }
}

fn trim_cr(line: &[u8]) -> &[u8] {
    line.strip_suffix(b"\r").unwrap_or(line)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::fs::File;
    use std::io::Write;

    fn lines_of(cursor: &mut TailCursor) -> (TailEvent, Vec<String>) {
        let mut out = Vec::new();
        let ev = cursor
            .read_new(|l| out.push(String::from_utf8_lossy(l).into_owned()))
            .unwrap();
        (ev, out)
    }

    fn append(path: &Path, bytes: &[u8]) {
        let mut f = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(path)
            .unwrap();
        f.write_all(bytes).unwrap();
    }

    #[test]
    fn partial_last_line_is_held_until_completed_by_a_later_write() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("s.jsonl");
        append(&p, b"{\"a\":1}\n{\"b\":");
        let mut c = TailCursor::new(&p);
        assert_eq!(lines_of(&mut c).1, vec!["{\"a\":1}"]);
        assert_eq!(c.pending_bytes(), 5);
        append(&p, b"2}\n");
        assert_eq!(lines_of(&mut c).1, vec!["{\"b\":2}"]);
        assert_eq!(c.pending_bytes(), 0);
        // Nothing new: nothing delivered.
        assert_eq!(lines_of(&mut c), (TailEvent::Appended, vec![]));
    }

    #[test]
    fn only_new_bytes_are_read() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("s.jsonl");
        append(&p, b"one\ntwo\n");
        let mut c = TailCursor::new(&p);
        assert_eq!(lines_of(&mut c).1.len(), 2);
        append(&p, b"three\r\n");
        assert_eq!(lines_of(&mut c).1, vec!["three"]);
        assert_eq!(c.offset(), 15);
    }

    #[test]
    fn truncation_resets_the_offset() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("s.jsonl");
        append(&p, b"first line\nsecond line\n");
        let mut c = TailCursor::new(&p);
        lines_of(&mut c);
        std::fs::write(&p, b"new\n").unwrap();
        assert_eq!(
            lines_of(&mut c),
            (TailEvent::Reset, vec!["new".to_string()])
        );
        assert_eq!(c.offset(), 4);
    }

    #[test]
    fn replacement_by_a_longer_file_is_noticed() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("s.jsonl");
        append(&p, b"a\n");
        let mut c = TailCursor::new(&p);
        lines_of(&mut c);
        let tmp = dir.path().join("tmp");
        std::fs::write(&tmp, b"x\ny\nz\n").unwrap();
        std::fs::rename(&tmp, &p).unwrap();
        let (ev, lines) = lines_of(&mut c);
        assert_eq!(ev, TailEvent::Reset);
        assert_eq!(lines, vec!["x", "y", "z"]);
    }

    #[test]
    fn deleted_file_is_reported_gone() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("s.jsonl");
        append(&p, b"a\n");
        let mut c = TailCursor::new(&p);
        lines_of(&mut c);
        std::fs::remove_file(&p).unwrap();
        assert_eq!(lines_of(&mut c).0, TailEvent::Gone);
    }

    #[test]
    fn a_file_recreated_after_deletion_is_read_from_the_start() {
        // The file system may give the new file the old inode; a longer new file
        // must still not be taken for an append to the old one.
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("s.jsonl");
        append(&p, b"old\n");
        let mut c = TailCursor::new(&p);
        lines_of(&mut c);
        std::fs::remove_file(&p).unwrap();
        assert_eq!(lines_of(&mut c).0, TailEvent::Gone);
        append(&p, b"new one\nsecond\n");
        let (ev, lines) = lines_of(&mut c);
        assert_eq!(ev, TailEvent::Reset);
        assert_eq!(lines, vec!["new one", "second"]);
        assert_eq!(lines_of(&mut c), (TailEvent::Appended, vec![]));
    }

    #[test]
    fn invalid_utf8_passes_through_as_bytes() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("s.jsonl");
        append(&p, b"ok\n\xff\xfe bad\nok2\n");
        let mut c = TailCursor::new(&p);
        let mut raw = Vec::new();
        c.read_new(|l| raw.push(l.to_vec())).unwrap();
        assert_eq!(
            raw,
            vec![b"ok".to_vec(), b"\xff\xfe bad".to_vec(), b"ok2".to_vec()]
        );
    }

    #[test]
    fn lines_longer_than_the_limit_are_skipped_and_counted() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("s.jsonl");
        let mut f = File::create(&p).unwrap();
        f.write_all(b"before\n").unwrap();
        let block = vec![b'x'; 1024 * 1024];
        for _ in 0..(MAX_LINE_BYTES / block.len() + 2) {
            f.write_all(&block).unwrap();
        }
        f.write_all(b"\nafter\n").unwrap();
        drop(f);
        let mut c = TailCursor::new(&p);
        let (_, lines) = lines_of(&mut c);
        assert_eq!(lines, vec!["before", "after"]);
        assert_eq!(c.oversized_lines(), 1);
    }

    #[test]
    fn a_line_crossing_the_limit_in_the_chunk_of_its_newline_is_skipped() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("s.jsonl");
        // Exactly the limit is buffered; one more byte arrives with the newline.
        let mut data = vec![b'z'; MAX_LINE_BYTES];
        data.extend_from_slice(b"z\nnext\n");
        std::fs::write(&p, &data).unwrap();
        let mut c = TailCursor::new(&p);
        let (_, lines) = lines_of(&mut c);
        assert_eq!(lines, vec!["next"]);
        assert_eq!(c.oversized_lines(), 1);
    }

    #[test]
    fn a_50_mb_line_is_delivered_whole() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("s.jsonl");
        let mut big = vec![b'y'; 50 * 1024 * 1024];
        big.push(b'\n');
        std::fs::write(&p, &big).unwrap();
        let mut c = TailCursor::new(&p);
        let mut lens = Vec::new();
        c.read_new(|l| lens.push(l.len())).unwrap();
        assert_eq!(lens, vec![50 * 1024 * 1024]);
    }
}
