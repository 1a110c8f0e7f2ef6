//! The offset index of a transcript that is one JSON document (a Gemini `.json` chat;
//! [`super::Document`]), so its last page, and any page before it, decode the
//! messages near the page instead of the whole file (issue 17: a 1.2 GB chat).
//!
//! One pass over the document ([`refresh`], with a [`Scanner`]) decodes every message
//! once to number its entries and leaves a [`DocMark`] at a message start at least
//! every [`MARK_BYTES`] or [`MARK_ENTRIES`]: its byte offset, the index its first
//! entry gets, the parse errors before it, and the SHA-256 of the bytes from it to the
//! next mark. A page ([`read`]) seeks to the last mark before it and decodes forward.
//!
//! The index is checked against the file's inode, size and mtime on every use. The
//! agent rewrites the whole file on every change, but what it changes is the header's
//! `lastUpdated` and the last message or two: so on a change, the header is scanned
//! again (the first message must start where it did), then the bytes between marks
//! are hashed and compared, and the marks whose bytes are the same are kept —
//! identical bytes from a message start scan and decode to identical entries — and
//! decoding resumes at the first mark whose bytes differ (hashing the file is several
//! times cheaper than decoding it). Anything else (other inode, the first message
//! moved) builds the index again from the start.
//!
//! A file rewritten while it is read is noticed by its inode, size and mtime before
//! and after, or by a document that ends where the index says it goes on: the read
//! gives [`Changed`], and the caller reads again, never a page mixing two versions.

use std::fs::File;
use std::io::{Seek, SeekFrom};
use std::path::Path;

use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::document::{hash_range, Digest16, End, Scanner};
use super::offsets::{MARK_BYTES, MARK_ENTRIES};
use super::{Document, Keep, TranscriptError, WholeTranscript};

/// The file changed while it was read: read again.
#[derive(Debug)]
pub(crate) struct Changed;

/// What a read can fail with: the file's own error, or [`Changed`].
#[derive(Debug)]
pub(crate) enum Failure {
    Changed,
    Error(TranscriptError),
}

impl From<Changed> for Failure {
    fn from(_: Changed) -> Self {
        Failure::Changed
    }
}

/// Which version of a file an index describes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct Stamp {
    pub inode: u64,
    pub size: u64,
    pub mtime_s: i64,
    pub mtime_ns: u32,
}

pub(super) fn stamp(file: &File) -> std::io::Result<Stamp> {
    let meta = file.metadata()?;
    let (mtime_s, mtime_ns) = match meta.modified() {
        Ok(t) => match t.duration_since(std::time::UNIX_EPOCH) {
            Ok(d) => (d.as_secs() as i64, d.subsec_nanos()),
            Err(e) => (
                -(e.duration().as_secs() as i64),
                e.duration().subsec_nanos(),
            ),
        },
        Err(_) => (0, 0),
    };
    Ok(Stamp {
        inode: crate::agent_file::open_file_id(file, &meta),
        size: meta.len(),
        mtime_s,
        mtime_ns,
    })
}

/// A message start: where a read can begin.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct DocMark {
    pub offset: u64,
    /// The index of its first entry.
    pub index: u32,
    /// Parse errors before it.
    pub errors: u32,
    /// The first entry of the last message before it.
    pub last_message: Option<u32>,
    /// SHA-256 (first 16 bytes, hex) of the bytes from here to the next mark; none on
    /// the last mark.
    pub hash: Option<String>,
}

/// The index of one document.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct DocOffsets {
    pub stamp: Stamp,
    /// Ascending; empty when the document has no messages.
    pub marks: Vec<DocMark>,
    /// Entries in the whole document.
    pub total: u32,
    /// Parse errors in the whole document.
    pub errors: u32,
    /// The first entry of its last message (sent again while it grows).
    pub last_message: Option<u32>,
}

impl DocOffsets {
    /// The last mark at or before entry `index`.
    fn mark_before(&self, index: u32) -> Option<&DocMark> {
        let i = self.marks.partition_point(|m| m.index <= index);
        self.marks.get(i.saturating_sub(1))
    }
}

fn hex(d: Digest16) -> String {
    d.iter().map(|b| format!("{b:02x}")).collect()
}

/// Decode one element: `None` when it is not JSON (the document is broken there).
fn decode(doc: &Document, bytes: &[u8], drafts: &mut Vec<super::Draft>) -> Option<bool> {
    decode_seen(doc, bytes, drafts, &mut |_| {})
}

/// [`decode`], handing the element to `visit` too.
fn decode_seen(
    doc: &Document,
    bytes: &[u8],
    drafts: &mut Vec<super::Draft>,
    visit: &mut dyn FnMut(Seen<'_>),
) -> Option<bool> {
    let text = String::from_utf8_lossy(bytes);
    let value: Value = serde_json::from_str(&text).ok()?;
    drafts.clear();
    let ok = (doc.drafts)(&value, drafts).is_ok();
    visit(Seen::Element(&value));
    Some(ok)
}

/// What a listing sees of a document while [`index_visiting`] indexes it.
pub(crate) enum Seen<'a> {
    /// A top-level member other than the messages (handed over at the end).
    Header(String, Value),
    /// One element of the messages, in order.
    Element(&'a Value),
}

/// Index `path` from its first byte, handing each element and top-level member to
/// `visit` on the way: the listing's one pass over a big document, which leaves its
/// index behind. Also answers whether the document is broken (cut short, not JSON).
pub(crate) fn index_visiting(
    path: &Path,
    doc: &Document,
    visit: &mut dyn FnMut(Seen<'_>),
) -> Result<(DocOffsets, bool), Failure> {
    refresh_inner(path, doc, None, Some(visit)).map(|(idx, _, broken)| (idx, broken))
}

/// Where decoding can resume in a file that changed since `known` was built: the
/// number of leading marks whose bytes are the same (0: none, start over).
fn reusable(
    file: &mut File,
    doc: &Document,
    known: &DocOffsets,
    now: Stamp,
) -> std::io::Result<usize> {
    let Some(first) = known.marks.first() else {
        return Ok(0);
    };
    if known.stamp.inode != now.inode || first.offset > now.size {
        return Ok(0);
    }
    file.seek(SeekFrom::Start(0))?;
    if Scanner::new(&mut *file, doc.key).next_start()? != Some(first.offset) {
        return Ok(0);
    }
    let mut kept = 1;
    for pair in known.marks.windows(2) {
        let same = match &pair[0].hash {
            Some(want) => {
                hash_range(file, pair[0].offset, pair[1].offset)?.is_some_and(|h| hex(h) == *want)
            }
            None => false,
        };
        if !same {
            break;
        }
        kept += 1;
    }
    Ok(kept)
}

/// The index of `path`, brought up to date from `known` (see the module
/// documentation), and how many of its marks were kept (`None`: unchanged).
pub(crate) fn refresh(
    path: &Path,
    doc: &Document,
    known: Option<DocOffsets>,
) -> Result<(DocOffsets, Option<usize>), Failure> {
    refresh_inner(path, doc, known, None).map(|(idx, kept, _)| (idx, kept))
}

fn refresh_inner(
    path: &Path,
    doc: &Document,
    known: Option<DocOffsets>,
    mut visit: Option<&mut dyn FnMut(Seen<'_>)>,
) -> Result<(DocOffsets, Option<usize>, bool), Failure> {
    let io_err = |e| Failure::Error(TranscriptError::io(path, e));
    let mut file = crate::agent_file::open(path).map_err(io_err)?;
    let now = stamp(&file).map_err(io_err)?;
    let known = match known {
        Some(k) if k.stamp == now => return Ok((k, None, false)),
        other => other,
    };
    let kept = match &known {
        Some(k) => reusable(&mut file, doc, k, now).map_err(io_err)?,
        None => 0,
    };
    let mut marks: Vec<DocMark> = known.map(|k| k.marks).unwrap_or_default();
    marks.truncate(kept);
    let (mut index, mut errors, mut last_message) = (0u32, 0u32, None);
    let mut scanner = match marks.last_mut() {
        Some(m) => {
            m.hash = None;
            (index, errors, last_message) = (m.index, m.errors, m.last_message);
            file.seek(SeekFrom::Start(m.offset)).map_err(io_err)?;
            let mut s = Scanner::at_element(&mut file, doc.key, m.offset);
            s.start_hash();
            s
        }
        None => {
            file.seek(SeekFrom::Start(0)).map_err(io_err)?;
            let mut s = Scanner::new(&mut file, doc.key);
            if visit.is_some() {
                s.keep_headers();
            }
            s
        }
    };
    let mut bytes = Vec::new();
    let mut drafts = Vec::new();
    while let Some(at) = scanner.next_start().map_err(io_err)? {
        let due = marks.last().is_none_or(|m| {
            at.saturating_sub(m.offset) >= MARK_BYTES
                || index.saturating_sub(m.index) >= MARK_ENTRIES
        });
        if due {
            match marks.last_mut() {
                Some(m) => m.hash = Some(hex(scanner.take_hash())),
                None => scanner.start_hash(),
            }
            marks.push(DocMark {
                offset: at,
                index,
                errors,
                last_message,
                hash: None,
            });
        }
        if !scanner.element(&mut bytes).map_err(io_err)? {
            break;
        }
        let decoded = match visit.as_mut() {
            Some(v) => decode_seen(doc, &bytes, &mut drafts, &mut **v),
            None => decode(doc, &bytes, &mut drafts),
        };
        match decoded {
            None => {
                scanner.broken();
                break;
            }
            Some(ok) => {
                errors = errors.saturating_add(u32::from(!ok));
                if !drafts.is_empty() {
                    last_message = Some(index);
                    let n = u32::try_from(drafts.len()).unwrap_or(u32::MAX);
                    index = index.saturating_add(n);
                }
            }
        }
    }
    let broken = scanner.end() == Some(End::Broken);
    if broken {
        errors = errors.saturating_add(1);
    }
    if let Some(visit) = visit {
        for (key, value) in scanner.take_headers() {
            visit(Seen::Header(key, value));
        }
    }
    drop(scanner);
    if stamp(&file).map_err(io_err)? != now {
        return Err(Failure::Changed);
    }
    let offsets = DocOffsets {
        stamp: now,
        marks,
        total: index,
        errors,
        last_message,
    };
    Ok((offsets, Some(kept), broken))
}

/// The entries `keep` asks for, decoded from the last mark before them; the counts
/// (total, errors, the last message) come from the index. [`Failure::Changed`] when
/// the file is no longer the one indexed.
pub(crate) fn read(
    path: &Path,
    doc: &Document,
    idx: &DocOffsets,
    keep: Keep,
) -> Result<WholeTranscript, Failure> {
    let io_err = |e| Failure::Error(TranscriptError::io(path, e));
    let total = idx.total as usize;
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
    if let Some(mark) = idx.mark_before(u32::try_from(lo).unwrap_or(u32::MAX)) {
        whole.skipped_before = mark.index as usize;
        file.seek(SeekFrom::Start(mark.offset)).map_err(io_err)?;
        let mut scanner = Scanner::at_element(&mut file, doc.key, mark.offset);
        let mut bytes = Vec::new();
        let mut drafts = Vec::new();
        while whole.total() < hi {
            // The index says more follows: a document that ends here changed.
            if scanner.next_start().map_err(io_err)?.is_none()
                || !scanner.element(&mut bytes).map_err(io_err)?
            {
                return Err(Failure::Changed);
            }
            decode(doc, &bytes, &mut drafts).ok_or(Changed)?;
            if drafts.is_empty() {
                continue;
            }
            whole.begin_message();
            for d in drafts.drain(..) {
                whole.push(d, keep);
            }
            whole.end_message(keep);
        }
    }
    whole.skipped_after += total.saturating_sub(whole.total());
    if let Some(last) = idx.last_message.map(|l| l as usize) {
        if whole.message_starts.last().is_none_or(|s| *s < last) {
            whole.message_starts.push(last);
        }
    }
    if stamp(&file).map_err(io_err)? != idx.stamp {
        return Err(Failure::Changed);
    }
    Ok(whole)
}

#[cfg(test)]
pub(crate) mod tests {
    use std::path::PathBuf;

    use super::super::document::BYTES_READ;
    use super::super::offsets::OffsetStore;
    use super::super::{
        read_all_entries, read_transcript, read_transcript_tail, TranscriptCursor, TranscriptEntry,
        TranscriptPage,
    };
    use super::*;
    use crate::agents::gemini::{transcript::DOCUMENT, write_chat};
    use crate::model::Harness;

    const MAX: usize = super::super::DEFAULT_MAX_TEXT_BYTES;
    const G: Harness = Harness::Gemini;

    fn chat(dir: &Path, turns: usize) -> (PathBuf, Vec<u8>) {
        let p = dir.join("session-2026-11-20T10-00-0d3f7a1e.json");
        let bytes = write_chat(&p, turns);
        (p, bytes)
    }

    pub(crate) fn bytes_read<T>(f: impl FnOnce() -> T) -> (T, u64) {
        BYTES_READ.with(|n| n.set(0));
        let out = f();
        (out, BYTES_READ.with(|n| n.get()))
    }

    /// Every entry, paged back from the end `n` at a time through the store.
    fn paged_back(store: &mut OffsetStore, p: &Path, n: usize) -> Vec<TranscriptEntry> {
        let tail = store.tail(G, p, n, MAX).unwrap();
        let mut all = tail.entries;
        while let Some(first) = all.first().map(|e| e.index).filter(|i| *i > 0) {
            let page = store.before(G, p, first, n, MAX).unwrap();
            assert!(!page.entries.is_empty(), "stuck before {first}");
            assert_eq!(page.entries.last().unwrap().index + 1, first);
            all.splice(0..0, page.entries);
        }
        all
    }

    /// The store answers every page as reading the whole file does.
    pub(crate) fn same_as_whole_reads(store: &mut OffsetStore, p: &Path) {
        let whole = read_all_entries(G, p, MAX).unwrap();
        for n in [1, 20, 37, 500] {
            let want = read_transcript_tail(G, p, n, MAX).unwrap();
            let got = store.tail(G, p, n, MAX).unwrap();
            assert_eq!(got, want, "last {n}");
        }
        for n in [7, 256, 1000] {
            assert_eq!(paged_back(store, p, n), whole.entries, "pages of {n}");
        }
        let mut cursor = TranscriptCursor::default();
        loop {
            let want = read_transcript(G, p, &cursor, 1000, MAX).unwrap();
            let got = store.page(G, p, &cursor, 1000, MAX).unwrap();
            assert_eq!(got, want, "from {cursor:?}");
            if got.at_end {
                break;
            }
            cursor = got.next;
        }
        let n = whole.entries.len() as u32;
        for index in [0, 1, n / 2, n - 3, n - 1, n, n + 5] {
            let from = TranscriptCursor {
                index,
                ..Default::default()
            };
            let want = read_transcript(G, p, &from, 3, MAX).unwrap();
            assert_eq!(
                store.page(G, p, &from, 3, MAX).unwrap(),
                want,
                "from {index}"
            );
        }
        let e = &whole.entries[whole.entries.len() / 3];
        let full = store.entry_full(G, p, &e.at, e.index).unwrap();
        assert_eq!(full.text, e.text);
    }

    #[test]
    fn pages_of_a_json_chat_come_from_its_index_as_from_a_whole_read() {
        let dir = tempfile::tempdir().unwrap();
        let (p, bytes) = chat(dir.path(), 3000);
        assert!(bytes.len() as u64 > 2 * MARK_BYTES, "{}", bytes.len());
        let mut store = OffsetStore::in_memory();
        same_as_whole_reads(&mut store, &p);
        // Once indexed, the last page and a page in the middle read about one mark's
        // spacing, not the file.
        let size = bytes.len() as u64;
        for (what, read) in [
            ("tail", bytes_read(|| store.tail(G, &p, 20, MAX).unwrap()).1),
            (
                "before",
                bytes_read(|| store.before(G, &p, 7000, 50, MAX).unwrap()).1,
            ),
            (
                "page",
                bytes_read(|| {
                    let from = TranscriptCursor {
                        index: 4000,
                        ..Default::default()
                    };
                    store.page(G, &p, &from, 100, MAX).unwrap()
                })
                .1,
            ),
        ] {
            assert!(
                read <= MARK_BYTES + 2 * (1 << 20),
                "{what} read {read} of {size}"
            );
        }
        // Kept on disk: another store (another process) does not index it again.
        let db = dir.path().join("offsets.sqlite3");
        OffsetStore::open(&db).tail(G, &p, 5, MAX).unwrap();
        let (page, read) = bytes_read(|| OffsetStore::open(&db).tail(G, &p, 5, MAX).unwrap());
        assert_eq!(page.entries.len(), 5);
        assert!(read < size / 2, "read {read} of {size}: indexed again");
    }

    #[test]
    fn a_rewritten_chat_keeps_the_marks_whose_bytes_are_unchanged() {
        let dir = tempfile::tempdir().unwrap();
        let (p, _) = chat(dir.path(), 3000);
        let (first, kept) = refresh(&p, &DOCUMENT, None).unwrap();
        assert_eq!(kept, Some(0));
        assert!(first.marks.len() > 10, "{}", first.marks.len());
        assert_eq!(refresh(&p, &DOCUMENT, Some(first.clone())).unwrap().1, None);
        // As Gemini CLI does: the whole file written again with one more turn.
        let grown = write_chat(&p, 3001);
        let (second, kept) = refresh(&p, &DOCUMENT, Some(first.clone())).unwrap();
        assert_eq!(kept, Some(first.marks.len()), "every mark kept");
        let (fresh, _) = refresh(&p, &DOCUMENT, None).unwrap();
        assert_eq!(second, fresh);
        let mut store = OffsetStore::in_memory();
        same_as_whole_reads(&mut store, &p);
        // A message in the middle changed, same length: the marks after it go.
        let at = grown.len() / 2;
        let i = at + memchr::memmem::find(&grown[at..], b"answer").unwrap();
        let mut edited = grown.clone();
        edited[i] = b'A';
        std::fs::write(&p, &edited).unwrap();
        let (third, kept) = refresh(&p, &DOCUMENT, Some(second.clone())).unwrap();
        let kept = kept.unwrap();
        assert!(kept > 2 && kept < second.marks.len(), "{kept}");
        assert!(second.marks[kept - 1].offset <= i as u64 && second.marks[kept].offset > i as u64);
        assert_eq!(third, refresh(&p, &DOCUMENT, None).unwrap().0);
        same_as_whole_reads(&mut store, &p);
        // Everything moved (a longer header): indexed again from the start.
        let shifted = String::from_utf8(edited)
            .unwrap()
            .replacen("{", "{\"kind\": \"main\", ", 1);
        std::fs::write(&p, shifted).unwrap();
        let (fourth, kept) = refresh(&p, &DOCUMENT, Some(third)).unwrap();
        assert_eq!(kept, Some(0));
        assert_eq!(fourth, refresh(&p, &DOCUMENT, None).unwrap().0);
        same_as_whole_reads(&mut store, &p);
        // Cut short (caught while being written), then gone: pages as a whole read
        // gives them, then an error; never a panic.
        let bytes = std::fs::read(&p).unwrap();
        for cut in [bytes.len() / 3, bytes.len() - 2, 10, 0] {
            std::fs::write(&p, &bytes[..cut]).unwrap();
            assert_eq!(
                store.tail(G, &p, 30, MAX).unwrap(),
                read_transcript_tail(G, &p, 30, MAX).unwrap(),
                "cut at {cut}"
            );
        }
        std::fs::remove_file(&p).unwrap();
        let err = store.tail(G, &p, 5, MAX).unwrap_err();
        assert!(matches!(err, TranscriptError::NotFound(_)), "{err}");
    }

    #[test]
    fn a_stale_index_is_never_read_as_the_new_file() {
        let dir = tempfile::tempdir().unwrap();
        let (p, _) = chat(dir.path(), 500);
        let (idx, _) = refresh(&p, &DOCUMENT, None).unwrap();
        write_chat(&p, 501);
        assert!(matches!(
            read(&p, &DOCUMENT, &idx, Keep::Last(5)),
            Err(Failure::Changed)
        ));
    }

    /// A writer rewrites the chat in place, as Gemini CLI does (truncate, write),
    /// alternating two versions, while pages are read: every page is one version's
    /// (or a prefix of one, caught mid-write), or a clear error; never a mix.
    #[test]
    fn a_chat_rewritten_while_it_is_read_gives_one_version_or_an_error() {
        let dir = tempfile::tempdir().unwrap();
        let (p, a) = chat(dir.path(), 800);
        let b = String::from_utf8(a.clone())
            .unwrap()
            .replace("answer", "REPLY!")
            .into_bytes();
        let qa = dir.path().join("a.json");
        let qb = dir.path().join("b.json");
        std::fs::write(&qa, &a).unwrap();
        std::fs::write(&qb, &b).unwrap();
        let all_a = read_all_entries(G, &qa, MAX).unwrap().entries;
        let all_b = read_all_entries(G, &qb, MAX).unwrap().entries;
        let stop = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
        let writer = {
            let (p, stop) = (p.clone(), stop.clone());
            std::thread::spawn(move || {
                let mut n = 0;
                while !stop.load(std::sync::atomic::Ordering::Relaxed) {
                    std::fs::write(&p, if n % 2 == 0 { &b } else { &a }).unwrap();
                    n += 1;
                    // Gemini CLI rewrites once per message, not back to back: with no
                    // pause at all (under Wine, where a write is slow) no read ever
                    // fits between two rewrites, and every answer is "changed" (with
                    // 2 ms, all 60 were under Wine at a load of 9).
                    std::thread::sleep(std::time::Duration::from_millis(20));
                }
            })
        };
        let one_version = |page: &TranscriptPage| {
            let of = |all: &[TranscriptEntry]| {
                page.entries
                    .iter()
                    .all(|e| all.get(e.index as usize).is_some_and(|w| w.text == e.text))
            };
            of(&all_a) || of(&all_b)
        };
        let mut store = OffsetStore::in_memory();
        let (mut pages, mut errors) = (0, 0);
        for i in 0..60 {
            let got = if i % 2 == 0 {
                store.tail(G, &p, 50, MAX)
            } else {
                store.before(G, &p, 2000, 50, MAX)
            };
            match got {
                Ok(page) => {
                    pages += 1;
                    assert!(one_version(&page), "a page mixing both versions");
                }
                Err(e) => {
                    errors += 1;
                    assert!(matches!(e, TranscriptError::Changed(_)), "{e}");
                }
            }
        }
        stop.store(true, std::sync::atomic::Ordering::Relaxed);
        writer.join().unwrap();
        println!("{pages} pages, {errors} 'changed' while the chat was rewritten");
        // Once the rewrites stop, the same store (its index left by whichever version
        // it saw last) answers with one version.
        let last = store.tail(G, &p, 50, MAX).unwrap();
        assert!(!last.entries.is_empty() && one_version(&last));
    }
}
