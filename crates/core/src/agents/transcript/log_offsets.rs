//! The offset index of a chat log whose lines replace and rewind earlier messages (a
//! Gemini `.jsonl` chat; [`super::KeyedLog`]), so its last page, and any page before
//! it, read the lines of the page's messages instead of the whole file (issue 17).
//!
//! Which messages a log holds, and in what order, depends on every line before:
//! a message appended again with the same id replaces its earlier copy where it stood,
//! and a rewind drops a message and everything after it. So the index keeps, for each
//! message of the log as it stands, where its latest line is (offset, length), how
//! many entries it makes, a hash of its id and the model it names (a message without
//! one inherits the last named before it): 28 bytes a message, bounded by the
//! messages, not the bytes. A page finds its first message by entry index, takes the
//! model named last before it from the index, and reads each of its messages' lines.
//!
//! The index is built in one pass ([`refresh`]) and, like the line marks of
//! `offsets`, read on from its end when the file grew (Gemini CLI only appends to a
//! `.jsonl`, and writes a new file and renames it over the old one when it rewrites
//! it): it is kept when the inode is the same and the 64 bytes before the indexed end
//! are unchanged, else built again. A last line without its newline is not indexed
//! until it has one. A page checks the file's inode, size and mtime before and after
//! it reads, and that each line it reads is the message the index says (id and entry
//! count): anything else is [`Failure::Changed`], read again by the caller, never a
//! page mixing two versions.

use std::collections::HashMap;
use std::fs::File;
use std::io::{BufRead, BufReader, Read, Seek, SeekFrom};
use std::path::Path;

use super::doc_offsets::{stamp, Failure, Stamp};
use super::{Draft, Keep, KeyedLog, LogLine, TranscriptError, WholeTranscript};
use crate::agents::MAX_LINE_BYTES;

/// Bytes before the indexed end compared to notice a file rewritten in place.
const SIGNATURE_BYTES: u64 = 64;
/// A message that names no model.
const NO_MODEL: u32 = u32::MAX;
const READ_BUFFER: usize = 256 * 1024;
/// Leading bytes of the stored form, bumped when it changes.
const MAGIC: &[u8; 4] = b"SSL1";

/// One message of the log as it stands: where its latest line is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Msg {
    offset: u64,
    len: u32,
    /// Entries it makes.
    drafts: u32,
    /// [`id_hash`] of its id.
    id: u64,
    /// Index in [`LogOffsets::models`], or [`NO_MODEL`].
    model: u32,
}

/// The index of one log.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct LogOffsets {
    pub stamp: Stamp,
    /// After the last complete line indexed.
    end: u64,
    /// The [`SIGNATURE_BYTES`] before `end`, as they were.
    signature: Vec<u8>,
    errors: u32,
    /// Every model a message named (few).
    models: Vec<String>,
    messages: Vec<Msg>,
    /// The first entry of each message, then the total (derived from `messages`).
    firsts: Vec<u32>,
    /// `end` when last stored (the caller stores it again once it moved on enough).
    pub stored_end: u64,
}

/// FNV-1a: stable across processes (the index is stored), and a 64-bit collision
/// between two ids of one chat is not a concern (it would only merge two messages).
fn id_hash(id: &str) -> u64 {
    id.bytes().fold(0xcbf2_9ce4_8422_2325, |h, b| {
        (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3)
    })
}

impl LogOffsets {
    fn empty(stamp: Stamp) -> LogOffsets {
        LogOffsets {
            stamp,
            end: 0,
            signature: Vec::new(),
            errors: 0,
            models: Vec::new(),
            messages: Vec::new(),
            firsts: vec![0],
            stored_end: 0,
        }
    }

    /// Entries in the whole log.
    pub fn total(&self) -> u32 {
        self.firsts.last().copied().unwrap_or(0)
    }

    pub fn end(&self) -> u64 {
        self.end
    }

    fn number(&mut self) {
        self.firsts.clear();
        let mut at = 0u32;
        for m in &self.messages {
            self.firsts.push(at);
            at = at.saturating_add(m.drafts);
        }
        self.firsts.push(at);
    }

    fn model_of(&self, m: &Msg) -> Option<&str> {
        self.models.get(m.model as usize).map(String::as_str)
    }

    /// The stored form (see [`LogOffsets::decode`]).
    pub fn encode(&self) -> Vec<u8> {
        let mut b = Vec::with_capacity(64 + self.messages.len() * 28);
        b.extend_from_slice(MAGIC);
        let s = &self.stamp;
        b.extend_from_slice(&s.inode.to_le_bytes());
        b.extend_from_slice(&s.size.to_le_bytes());
        b.extend_from_slice(&s.mtime_s.to_le_bytes());
        b.extend_from_slice(&s.mtime_ns.to_le_bytes());
        b.extend_from_slice(&self.end.to_le_bytes());
        b.extend_from_slice(&self.errors.to_le_bytes());
        let bytes = |b: &mut Vec<u8>, v: &[u8]| {
            b.extend_from_slice(&(v.len() as u32).to_le_bytes());
            b.extend_from_slice(v);
        };
        bytes(&mut b, &self.signature);
        b.extend_from_slice(&(self.models.len() as u32).to_le_bytes());
        for m in &self.models {
            bytes(&mut b, m.as_bytes());
        }
        b.extend_from_slice(&(self.messages.len() as u32).to_le_bytes());
        for m in &self.messages {
            b.extend_from_slice(&m.offset.to_le_bytes());
            b.extend_from_slice(&m.len.to_le_bytes());
            b.extend_from_slice(&m.drafts.to_le_bytes());
            b.extend_from_slice(&m.id.to_le_bytes());
            b.extend_from_slice(&m.model.to_le_bytes());
        }
        b
    }

    /// An index from its stored form; `None` when it is not one (damaged, another
    /// version, lines past its end): the log is then indexed again.
    pub fn decode(b: &[u8]) -> Option<LogOffsets> {
        let mut r = Bytes(b);
        if r.take(4)? != MAGIC {
            return None;
        }
        let stamp = Stamp {
            inode: r.u64()?,
            size: r.u64()?,
            mtime_s: r.u64()? as i64,
            mtime_ns: r.u32()?,
        };
        let end = r.u64()?;
        let errors = r.u32()?;
        let signature = r.bytes()?.to_vec();
        let n_models = r.u32()? as usize;
        let mut models = Vec::new();
        for _ in 0..n_models {
            models.push(String::from_utf8(r.bytes()?.to_vec()).ok()?);
        }
        let n = r.u32()? as usize;
        if r.0.len() != n.checked_mul(28)? {
            return None;
        }
        let mut messages = Vec::with_capacity(n);
        for _ in 0..n {
            let m = Msg {
                offset: r.u64()?,
                len: r.u32()?,
                drafts: r.u32()?,
                id: r.u64()?,
                model: r.u32()?,
            };
            let in_file = m
                .offset
                .checked_add(u64::from(m.len))
                .is_some_and(|e| e <= end);
            if !in_file || (m.model != NO_MODEL && m.model as usize >= models.len()) {
                return None;
            }
            messages.push(m);
        }
        let mut idx = LogOffsets {
            stamp,
            end,
            signature,
            errors,
            models,
            messages,
            firsts: Vec::new(),
            stored_end: end,
        };
        idx.number();
        Some(idx)
    }
}

/// A reader over a stored index.
struct Bytes<'a>(&'a [u8]);

impl<'a> Bytes<'a> {
    fn take(&mut self, n: usize) -> Option<&'a [u8]> {
        if self.0.len() < n {
            return None;
        }
        let (head, rest) = self.0.split_at(n);
        self.0 = rest;
        Some(head)
    }
    fn u64(&mut self) -> Option<u64> {
        Some(u64::from_le_bytes(self.take(8)?.try_into().ok()?))
    }
    fn u32(&mut self) -> Option<u32> {
        Some(u32::from_le_bytes(self.take(4)?.try_into().ok()?))
    }
    fn bytes(&mut self) -> Option<&'a [u8]> {
        let n = self.u32()? as usize;
        self.take(n)
    }
}

/// The [`SIGNATURE_BYTES`] of `file` before `end`.
fn signature(file: &mut File, end: u64) -> std::io::Result<Vec<u8>> {
    let start = end.saturating_sub(SIGNATURE_BYTES);
    file.seek(SeekFrom::Start(start))?;
    let mut buf = Vec::with_capacity((end - start) as usize);
    file.take(end - start).read_to_end(&mut buf)?;
    Ok(buf)
}

/// Applies lines to an index, in file order.
struct Fold<'a> {
    idx: &'a mut LogOffsets,
    /// Id hash → position in `idx.messages` (made on the first line read: a refresh
    /// that finds nothing new does not build it).
    at: Option<HashMap<u64, usize>>,
    models: HashMap<String, u32>,
    drafts: Vec<Draft>,
}

impl<'a> Fold<'a> {
    fn new(idx: &'a mut LogOffsets) -> Self {
        let models = idx
            .models
            .iter()
            .enumerate()
            .map(|(i, m)| (m.clone(), i as u32))
            .collect();
        Fold {
            idx,
            at: None,
            models,
            drafts: Vec::new(),
        }
    }

    fn line(&mut self, log: &KeyedLog, offset: u64, line: Option<&[u8]>) {
        let Some(line) = line else {
            // Longer than any line is read whole: unreadable.
            self.idx.errors = self.idx.errors.saturating_add(1);
            return;
        };
        let body = line.strip_suffix(b"\r").unwrap_or(line);
        self.drafts.clear();
        let messages = &self.idx.messages;
        let at = self.at.get_or_insert_with(|| {
            messages
                .iter()
                .enumerate()
                .map(|(i, m)| (m.id, i))
                .collect()
        });
        match (log.line)(body, None, &mut self.drafts) {
            LogLine::Other => {}
            LogLine::Error => self.idx.errors = self.idx.errors.saturating_add(1),
            LogLine::Rewind(target) => {
                // As gemini-cli's loader: an unknown id rewinds everything.
                let keep = at.get(&id_hash(&target)).copied().unwrap_or(0);
                for m in self.idx.messages.drain(keep..) {
                    at.remove(&m.id);
                }
            }
            LogLine::Message { id, model } => {
                let model = match model {
                    Some(name) => {
                        let next = self.idx.models.len() as u32;
                        *self.models.entry(name.clone()).or_insert_with(|| {
                            self.idx.models.push(name);
                            next
                        })
                    }
                    None => NO_MODEL,
                };
                let m = Msg {
                    offset,
                    len: line.len() as u32,
                    drafts: u32::try_from(self.drafts.len()).unwrap_or(u32::MAX),
                    id: id_hash(&id),
                    model,
                };
                match at.get(&m.id) {
                    Some(&i) => self.idx.messages[i] = m,
                    None => {
                        at.insert(m.id, self.idx.messages.len());
                        self.idx.messages.push(m);
                    }
                }
            }
        }
    }
}

/// The index of `path`, brought up to date from `known` (see the module
/// documentation), and whether it changed: `None` unchanged, `Some(true)` built from
/// the start, `Some(false)` read on from its end.
pub(crate) fn refresh(
    path: &Path,
    log: &KeyedLog,
    known: Option<LogOffsets>,
) -> Result<(LogOffsets, Option<bool>), Failure> {
    let io_err = |e| Failure::Error(TranscriptError::io(path, e));
    let mut file = crate::agent_file::open(path).map_err(io_err)?;
    let now = stamp(&file).map_err(io_err)?;
    let mut idx = match known {
        Some(k) if k.stamp == now => return Ok((k, None)),
        Some(k)
            if k.stamp.inode == now.inode
                && now.size >= k.end
                && signature(&mut file, k.end).map_err(io_err)? == k.signature =>
        {
            k
        }
        _ => LogOffsets::empty(now),
    };
    let fresh = idx.end == 0;
    file.seek(SeekFrom::Start(idx.end)).map_err(io_err)?;
    let mut reader = BufReader::with_capacity(READ_BUFFER, &mut file);
    let mut fold = Fold::new(&mut idx);
    let mut line: Vec<u8> = Vec::new();
    let mut too_long = false;
    let mut start = fold.idx.end;
    let mut pos = start;
    loop {
        let buf = reader.fill_buf().map_err(io_err)?;
        if buf.is_empty() {
            break; // a last line without its newline waits
        }
        let (piece, complete) = match memchr::memchr(b'\n', buf) {
            Some(nl) => (&buf[..nl], true),
            None => (buf, false),
        };
        let used = piece.len() + usize::from(complete);
        if !too_long && line.len() + piece.len() > MAX_LINE_BYTES {
            too_long = true;
            line = Vec::new();
        }
        if !too_long {
            line.extend_from_slice(piece);
        }
        reader.consume(used);
        #[cfg(test)]
        super::document::BYTES_READ.with(|n| n.set(n.get() + used as u64));
        pos += used as u64;
        if complete {
            fold.line(log, start, (!too_long).then_some(line.as_slice()));
            fold.idx.end = pos;
            start = pos;
            line.clear();
            too_long = false;
        }
    }
    drop(reader);
    idx.signature = signature(&mut file, idx.end).map_err(io_err)?;
    idx.stamp = now;
    idx.number();
    // Lines appended meanwhile are read on next time (the stamp is the one from
    // before, so the next use reads on from `end`); a file cut shorter than what was
    // read is another file.
    if stamp(&file).map_err(io_err)?.size < idx.end {
        return Err(Failure::Changed);
    }
    Ok((idx, Some(fresh)))
}

/// The entries `keep` asks for, read from their messages' lines; the counts (total,
/// errors, the last message) come from the index. [`Failure::Changed`] when the file
/// is no longer the one indexed.
pub(crate) fn read(
    path: &Path,
    log: &KeyedLog,
    idx: &LogOffsets,
    keep: Keep,
) -> Result<WholeTranscript, Failure> {
    let io_err = |e| Failure::Error(TranscriptError::io(path, e));
    let total = idx.total() as usize;
    let (lo, hi) = match keep {
        Keep::All => (0, total),
        Keep::Range(start, end) => (start.min(total), end.min(total)),
        Keep::Last(n) => (total.saturating_sub(n), total),
    };
    let mut whole = WholeTranscript {
        parse_errors: idx.errors,
        total_bytes: idx.stamp.size,
        ..Default::default()
    };
    let mut file = crate::agent_file::open(path).map_err(io_err)?;
    if stamp(&file).map_err(io_err)? != idx.stamp {
        return Err(Failure::Changed);
    }
    let n = idx.messages.len();
    // The message holding entry `lo`.
    let first = idx.firsts[..n]
        .partition_point(|f| *f as usize <= lo)
        .saturating_sub(1);
    let mut hint = idx.messages[..first]
        .iter()
        .rev()
        .find_map(|m| idx.model_of(m))
        .map(String::from);
    whole.skipped_before = idx.firsts.get(first).map_or(0, |f| *f as usize);
    let mut line = Vec::new();
    let mut drafts = Vec::new();
    for m in &idx.messages[first.min(n)..] {
        if whole.total() >= hi {
            break;
        }
        line.clear();
        file.seek(SeekFrom::Start(m.offset)).map_err(io_err)?;
        (&mut file)
            .take(u64::from(m.len))
            .read_to_end(&mut line)
            .map_err(io_err)?;
        #[cfg(test)]
        super::document::BYTES_READ.with(|c| c.set(c.get() + line.len() as u64));
        let body = line.strip_suffix(b"\r").unwrap_or(&line);
        drafts.clear();
        match (log.line)(body, hint.as_deref(), &mut drafts) {
            LogLine::Message { id, model }
                if id_hash(&id) == m.id && drafts.len() == m.drafts as usize =>
            {
                if model.is_some() {
                    hint = model;
                }
            }
            // Not the line indexed: the file is another one now.
            _ => return Err(Failure::Changed),
        }
        whole.begin_message();
        for d in drafts.drain(..) {
            whole.push(d, keep);
        }
        whole.end_message(keep);
    }
    whole.skipped_after += total.saturating_sub(whole.total());
    let last = idx.messages.iter().zip(&idx.firsts).rev();
    if let Some((_, at)) = last.into_iter().find(|(m, _)| m.drafts > 0) {
        let at = *at as usize;
        if whole.message_starts.last().is_none_or(|s| *s < at) {
            whole.message_starts.push(at);
        }
    }
    if stamp(&file).map_err(io_err)? != idx.stamp {
        return Err(Failure::Changed);
    }
    Ok(whole)
}

#[cfg(test)]
mod tests {
    use std::io::Write;
    use std::path::PathBuf;

    use super::super::doc_offsets::tests::{bytes_read, same_as_whole_reads};
    use super::super::offsets::{OffsetStore, MARK_BYTES};
    use super::super::{read_all_entries, read_transcript_tail, TranscriptEntry};
    use super::*;
    use crate::agents::gemini::transcript::LOG;
    use crate::model::Harness;

    const MAX: usize = super::super::DEFAULT_MAX_TEXT_BYTES;
    const G: Harness = Harness::Gemini;

    /// Lines of a `.jsonl` chat as Gemini CLI writes one, turns `from..to`: a prompt,
    /// an answer written twice (first while its tool runs, then with the result), a
    /// model named on every fifth answer only (the others inherit it), metadata, a
    /// broken line, an old answer rewritten much later, and rewinds (to a known
    /// message, and once to an unknown one, which drops everything before).
    fn turns(from: usize, to: usize, tag: &str) -> Vec<String> {
        let mut out = Vec::new();
        if from == 0 {
            out.push(r#"{"sessionId":"0d3f7a1e-1111-4222-8333-944445555666","projectHash":"ab","startTime":"2026-11-21T08:30:00.000Z","lastUpdated":"2026-11-21T08:30:00.000Z","kind":"main"}"#.to_string());
        }
        for i in from..to {
            let pad = "x".repeat(i % 11 * 37);
            out.push(format!(
                r#"{{"id":"u{i}","timestamp":"2026-11-21T08:{:02}:00.000Z","type":"user","content":[{{"text":"question {i} {pad}"}}]}}"#,
                i % 60
            ));
            let model = match i % 10 {
                0 => r#","model":"gemini-2.5-pro""#,
                5 => r#","model":"gemini-2.5-flash""#,
                _ => "",
            };
            let tokens = format!(
                r#""tokens":{{"input":{},"output":50,"cached":0,"thoughts":0,"tool":0,"total":{}}}"#,
                100 + i,
                150 + i
            );
            out.push(format!(
                r#"{{"id":"g{i}","type":"gemini","content":"","thoughts":[{{"subject":"Plan","description":"step {i}"}}],{tokens}{model}}}"#
            ));
            out.push(format!(
                r#"{{"id":"g{i}","timestamp":"2026-11-21T09:{:02}:00.000Z","type":"gemini","content":"{tag} {i}","thoughts":[{{"subject":"Plan","description":"step {i}"}}],"toolCalls":[{{"id":"c{i}","name":"read_file","status":"success","args":{{"path":"a.rs"}},"resultDisplay":"result {i} {pad}"}}],{tokens}{model}}}"#,
                i % 60
            ));
            if i % 50 == 7 {
                out.push(format!(r#"{{"$set":{{"summary":"chat {i}","lastUpdated":"2026-11-21T10:00:00.000Z"}}}}"#));
            }
            if i % 97 == 13 {
                out.push(format!(r#"{{"id":"g{i}","type":"gemini","content":"cut"#));
            }
            if i % 173 == 100 {
                out.push(format!(r#"{{"$rewindTo":"u{}"}}"#, i - 3));
            }
            if i % 211 == 150 {
                let old = i - 120;
                out.push(format!(
                    r#"{{"id":"g{old}","type":"gemini","content":"{tag} {old} again","model":"gemini-2.5-pro"}}"#
                ));
            }
            if i == 4 {
                out.push(r#"{"$rewindTo":"nobody"}"#.to_string());
            }
        }
        out
    }

    fn append(p: &Path, lines: &[String]) {
        let mut f = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(p)
            .unwrap();
        for l in lines {
            writeln!(f, "{l}").unwrap();
        }
    }

    fn chat(dir: &Path, n: usize) -> PathBuf {
        let p = dir.join("session-2026-11-21T08-30-0d3f7a1e.jsonl");
        append(&p, &turns(0, n, "answer"));
        p
    }

    #[test]
    fn pages_of_a_jsonl_chat_come_from_its_index_as_from_a_whole_read() {
        let dir = tempfile::tempdir().unwrap();
        let p = chat(dir.path(), 3000);
        let size = std::fs::metadata(&p).unwrap().len();
        assert!(size > 2 * MARK_BYTES, "{size}");
        let whole = read_all_entries(G, &p, MAX).unwrap();
        assert!(whole.parse_errors > 20, "{}", whole.parse_errors);
        // Rewinds dropped messages, rewrites replaced them where they stood.
        assert!(whole.entries.iter().any(|e| e.text.ends_with(" again")));
        assert!(!whole
            .entries
            .iter()
            .any(|e| e.text.starts_with("question 0 ")));
        let mut store = OffsetStore::in_memory();
        same_as_whole_reads(&mut store, &p);
        // Once indexed, a page reads the lines of its messages, not the file.
        for (what, read, bound) in [
            (
                "tail",
                bytes_read(|| store.tail(G, &p, 20, MAX).unwrap()).1,
                16 << 10,
            ),
            (
                "before",
                bytes_read(|| store.before(G, &p, 7000, 50, MAX).unwrap()).1,
                32 << 10,
            ),
            (
                "page",
                bytes_read(|| {
                    let from = super::super::TranscriptCursor {
                        index: 4000,
                        ..Default::default()
                    };
                    store.page(G, &p, &from, 100, MAX).unwrap()
                })
                .1,
                64 << 10,
            ),
        ] {
            assert!(read > 0 && read <= bound, "{what} read {read} of {size}");
        }
        // Kept on disk: another store (another process) does not index it again.
        let db = dir.path().join("offsets.sqlite3");
        OffsetStore::open(&db).tail(G, &p, 5, MAX).unwrap();
        let (page, read) = bytes_read(|| OffsetStore::open(&db).tail(G, &p, 5, MAX).unwrap());
        assert_eq!(page.entries.len(), 5);
        assert!(read < 16 << 10, "read {read} of {size}: indexed again");
    }

    #[test]
    fn a_growing_chat_is_read_on_and_its_rewinds_and_rewrites_are_seen() {
        let dir = tempfile::tempdir().unwrap();
        let p = chat(dir.path(), 1500);
        let mut store = OffsetStore::in_memory();
        store.tail(G, &p, 5, MAX).unwrap();
        let before = std::fs::metadata(&p).unwrap().len();
        // More turns, with a rewind far back and an old message rewritten.
        let mut more = turns(1500, 1600, "answer");
        more.push(r#"{"$rewindTo":"u1200"}"#.to_string());
        more.extend(turns(1600, 1650, "answer"));
        more.push(r#"{"id":"g1000","type":"gemini","content":"rewritten late"}"#.to_string());
        append(&p, &more);
        let grown = std::fs::metadata(&p).unwrap().len();
        let (page, read) = bytes_read(|| store.tail(G, &p, 5, MAX).unwrap());
        assert!(
            read < (grown - before) + (16 << 10),
            "read {read} after {} new bytes",
            grown - before
        );
        assert_eq!(page, read_transcript_tail(G, &p, 5, MAX).unwrap());
        same_as_whole_reads(&mut store, &p);
        let all = read_all_entries(G, &p, MAX).unwrap().entries;
        assert!(all.iter().any(|e| e.text == "rewritten late"));
        assert!(!all.iter().any(|e| e.text == "answer 1300"), "rewound");
        // A torn last line waits for its newline, in both readers.
        let torn = turns(1650, 1651, "answer").join("\n");
        let mut f = std::fs::OpenOptions::new().append(true).open(&p).unwrap();
        f.write_all(&torn.as_bytes()[..40]).unwrap();
        let page = store.tail(G, &p, 5, MAX).unwrap();
        assert_eq!(page, read_transcript_tail(G, &p, 5, MAX).unwrap());
        assert!(!page
            .entries
            .iter()
            .any(|e| e.text.contains("question 1650")));
        f.write_all(&torn.as_bytes()[40..]).unwrap();
        f.write_all(b"\n").unwrap();
        drop(f);
        let page = store.tail(G, &p, 5, MAX).unwrap();
        assert_eq!(page, read_transcript_tail(G, &p, 5, MAX).unwrap());
        assert!(page.entries.iter().any(|e| e.text == "answer 1650"));
        // Everything rewound: no entries, no panic.
        append(&p, &[r#"{"$rewindTo":"u0-unknown"}"#.to_string()]);
        let page = store.tail(G, &p, 5, MAX).unwrap();
        assert!(page.entries.is_empty());
        assert_eq!(page, read_transcript_tail(G, &p, 5, MAX).unwrap());
    }

    #[test]
    fn a_replaced_or_rewritten_chat_is_indexed_again() {
        let dir = tempfile::tempdir().unwrap();
        let p = chat(dir.path(), 600);
        let (first, built) = refresh(&p, &LOG, None).unwrap();
        assert_eq!(built, Some(true));
        assert_eq!(refresh(&p, &LOG, Some(first.clone())).unwrap().1, None);
        append(&p, &turns(600, 610, "answer"));
        let (grown, built) = refresh(&p, &LOG, Some(first.clone())).unwrap();
        assert_eq!(built, Some(false), "read on from its end");
        assert_eq!(grown, refresh(&p, &LOG, None).unwrap().0);
        let mut store = OffsetStore::in_memory();
        same_as_whole_reads(&mut store, &p);
        // As gemini-cli rewrites a chat: a new file renamed over it.
        let q = dir.path().join("tmp.jsonl");
        append(&q, &turns(0, 700, "REPLY!"));
        std::fs::rename(&q, &p).unwrap();
        let (replaced, built) = refresh(&p, &LOG, Some(grown.clone())).unwrap();
        assert_eq!(built, Some(true));
        assert_eq!(replaced, refresh(&p, &LOG, None).unwrap().0);
        same_as_whole_reads(&mut store, &p);
        // Rewritten in place, longer, other bytes before the indexed end.
        let mut body = turns(0, 720, "other").join("\n");
        body.push('\n');
        let mut f = std::fs::OpenOptions::new().write(true).open(&p).unwrap();
        f.write_all(body.as_bytes()).unwrap();
        drop(f);
        let (_, built) = refresh(&p, &LOG, Some(replaced)).unwrap();
        assert_eq!(built, Some(true));
        same_as_whole_reads(&mut store, &p);
        // A stale index is never read as the new file.
        append(&p, &turns(720, 721, "other"));
        let (stale, _) = refresh(&p, &LOG, None).unwrap();
        append(&p, &[r#"{"$rewindTo":"u710"}"#.to_string()]);
        assert!(matches!(
            read(&p, &LOG, &stale, Keep::Last(5)),
            Err(Failure::Changed)
        ));
        // Gone: an error, not a panic.
        std::fs::remove_file(&p).unwrap();
        let err = store.tail(G, &p, 5, MAX).unwrap_err();
        assert!(matches!(err, TranscriptError::NotFound(_)), "{err}");
    }

    #[test]
    fn the_stored_index_comes_back_and_a_damaged_one_is_none() {
        let dir = tempfile::tempdir().unwrap();
        let p = chat(dir.path(), 200);
        let (idx, _) = refresh(&p, &LOG, None).unwrap();
        let bytes = idx.encode();
        let mut want = idx.clone();
        want.stored_end = idx.end;
        assert!(LogOffsets::decode(&bytes) == Some(want), "round trip");
        assert!(
            bytes.len() < 256 + 28 * idx.messages.len(),
            "{}",
            bytes.len()
        );
        for cut in 0..bytes.len() {
            assert!(LogOffsets::decode(&bytes[..cut]).is_none(), "cut at {cut}");
        }
        // A message past the end, or naming a model that is not there.
        let mut bad = idx.clone();
        bad.messages[3].offset = bad.end;
        assert!(LogOffsets::decode(&bad.encode()).is_none());
        let mut bad = idx;
        bad.messages[3].model = 9;
        assert!(LogOffsets::decode(&bad.encode()).is_none());
    }

    /// Gemini CLI rewrites a chat by renaming a new file over it: a writer does so,
    /// alternating two versions, while pages are read. Every page is one version's,
    /// or a clear error; never a mix.
    #[test]
    fn a_chat_replaced_while_it_is_read_gives_one_version_or_an_error() {
        let dir = tempfile::tempdir().unwrap();
        let p = chat(dir.path(), 300);
        let a = std::fs::read(&p).unwrap();
        let b = String::from_utf8(a.clone())
            .unwrap()
            .replace("answer", "REPLY!!")
            .into_bytes();
        let (qa, qb) = (dir.path().join("a.jsonl"), dir.path().join("b.jsonl"));
        std::fs::write(&qa, &a).unwrap();
        std::fs::write(&qb, &b).unwrap();
        let all_a = read_all_entries(G, &qa, MAX).unwrap().entries;
        let all_b = read_all_entries(G, &qb, MAX).unwrap().entries;
        let stop = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
        let writer = {
            let (p, stop, tmp) = (p.clone(), stop.clone(), dir.path().join("t.jsonl"));
            std::thread::spawn(move || {
                let mut n = 0;
                while !stop.load(std::sync::atomic::Ordering::Relaxed) {
                    // Where the OS refuses to rename over an open file, the chat just
                    // stays as it was this time.
                    if std::fs::write(&tmp, if n % 2 == 0 { &b } else { &a }).is_ok() {
                        let _ = std::fs::rename(&tmp, &p);
                    }
                    n += 1;
                    // Indexing a replaced chat again takes a while (a debug build
                    // under load): a writer faster than that leaves no read whole.
                    std::thread::sleep(std::time::Duration::from_millis(20));
                }
            })
        };
        let mut store = OffsetStore::in_memory();
        let (mut pages, mut errors) = (0, 0);
        for i in 0..61 {
            if i == 60 {
                // The last read once the writer stopped: it must answer.
                stop.store(true, std::sync::atomic::Ordering::Relaxed);
                std::thread::sleep(std::time::Duration::from_millis(50));
                println!("{pages} pages, {errors} 'changed' while the chat was replaced");
            }
            let got = if i % 2 == 0 {
                store.tail(G, &p, 50, MAX)
            } else {
                store.before(G, &p, 600, 50, MAX)
            };
            match got {
                Ok(page) => {
                    pages += 1;
                    let of = |all: &[TranscriptEntry]| {
                        page.entries
                            .iter()
                            .all(|e| all.get(e.index as usize).is_some_and(|w| w.text == e.text))
                    };
                    assert!(of(&all_a) || of(&all_b), "a page mixing both versions");
                }
                Err(e) => {
                    errors += 1;
                    assert!(matches!(e, TranscriptError::Changed(_)), "{e}");
                }
            }
        }
        writer.join().unwrap();
        assert!(pages > 0, "{errors} errors");
    }
}
