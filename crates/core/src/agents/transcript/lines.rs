//! Paging through an append-only line transcript from a byte offset.
//!
//! Unlike `tail::TailCursor`, which keeps its position in memory for the index, a page
//! read here starts from a [`TranscriptCursor`] the UI hands back, and must know where
//! every line starts (each entry remembers it, to be read again in full). Only complete
//! lines are read: a last line without its newline is left for the next read. Lines
//! longer than `tail::MAX_LINE_BYTES` are skipped and counted, never buffered whole.
//! This module knows no agent format; a [`LineFormat`] turns each line into drafts.
//! A read may leave [`Mark`]s behind (where a line starts, with the parser state
//! there), which is how `offsets` builds its index of a file in the same pass.
//!
//! A file shorter than the cursor's offset was truncated or replaced: the page starts
//! over (`reset`). A file replaced by a *longer* one cannot be told apart from an
//! append by an offset alone; agents only append, and the index's `TailCursor`, which
//! compares inodes, reports such a replacement, upon which the caller starts over.

use std::io::{BufRead, BufReader, Seek, SeekFrom};
use std::path::Path;

use super::offsets::{Mark, Marks};
use super::{
    Draft, LineFormat, ShrunkDraft, TranscriptCursor, TranscriptError, TranscriptPage, Window,
};
use crate::agents::MAX_LINE_BYTES;

const READ_BUFFER: usize = 256 * 1024;

#[cfg(test)]
thread_local! {
    /// Bytes read by page reads on this thread (tests check what a read touched).
    pub(crate) static BYTES_READ: std::cell::Cell<u64> = const { std::cell::Cell::new(0) };
}

/// Read the page of `window` from `from`; with `marks`, also leave a [`Mark`] at every
/// line start it asks for (their `errors` count this read's parse errors only).
pub(crate) fn read_page(
    path: &Path,
    from: &TranscriptCursor,
    window: Window,
    max_text_bytes: usize,
    make_format: impl Fn(Option<String>) -> Box<dyn LineFormat>,
    mut marks: Option<&mut Marks>,
) -> Result<TranscriptPage, TranscriptError> {
    let io_err = |e| TranscriptError::io(path, e);
    let mut file = crate::agent_file::open(path).map_err(io_err)?;
    let total_bytes = file.metadata().map_err(io_err)?.len();
    let mut page = TranscriptPage {
        total_bytes,
        ..Default::default()
    };
    let mut cursor = from.clone();
    if cursor.offset > total_bytes {
        // The file shrank: it was truncated or replaced. Start again.
        page.reset = true;
        cursor = TranscriptCursor::default();
    }
    file.seek(SeekFrom::Start(cursor.offset)).map_err(io_err)?;
    let mut reader = BufReader::with_capacity(READ_BUFFER, file);
    let mut format = make_format(cursor.carry.clone());
    let mut line: Vec<u8> = Vec::new();
    let mut drafts: Vec<Draft> = Vec::new();
    let mut line_start = cursor.offset;
    let mut too_long = false;
    // Bytes of the current line consumed so far, newline included.
    let mut line_bytes: u64 = 0;
    // Tail reads keep entries uncleaned until they are known to survive.
    let mut tail: Vec<(u32, TranscriptCursor, ShrunkDraft)> = Vec::new();
    loop {
        let buf = reader.fill_buf().map_err(io_err)?;
        if buf.is_empty() {
            page.at_end = true;
            break; // end of file; a partial last line stays unread
        }
        let (piece, complete) = match memchr::memchr(b'\n', buf) {
            Some(nl) => (&buf[..nl], true),
            None => (buf, false),
        };
        let used = piece.len() + complete as usize;
        if !too_long && line.len() + piece.len() > MAX_LINE_BYTES {
            too_long = true;
            line = Vec::new();
        }
        if !too_long {
            line.extend_from_slice(piece);
        }
        reader.consume(used);
        #[cfg(test)]
        BYTES_READ.with(|n| n.set(n.get() + used as u64));
        line_bytes += used as u64;
        if !complete {
            continue;
        }
        let end_offset = line_start + line_bytes;
        let carry_before = format.carry();
        if too_long {
            page.parse_errors += 1;
        } else {
            let body = line.strip_suffix(b"\r").unwrap_or(&line);
            if !body.iter().all(u8::is_ascii_whitespace) {
                drafts.clear();
                if format.entries(body, &mut drafts).is_err() {
                    page.parse_errors += 1;
                }
                let at = TranscriptCursor {
                    offset: line_start,
                    index: cursor.index,
                    carry: carry_before,
                };
                for d in drafts.drain(..) {
                    match window {
                        Window::Head(_) => {
                            page.entries
                                .push(d.finish(cursor.index, at.clone(), max_text_bytes))
                        }
                        Window::Tail(_) => {
                            tail.push((cursor.index, at.clone(), d.shrink(max_text_bytes)))
                        }
                    }
                    // A cursor handed back by the web view may hold any index.
                    cursor.index = cursor.index.saturating_add(1);
                }
            }
        }
        line.clear();
        line_bytes = 0;
        too_long = false;
        line_start = end_offset;
        cursor.offset = end_offset;
        if let Some(m) = marks.as_deref_mut() {
            if m.due(end_offset, cursor.index) {
                m.push(Mark {
                    at: TranscriptCursor {
                        offset: end_offset,
                        index: cursor.index,
                        carry: format.carry(),
                    },
                    errors: page.parse_errors,
                });
            }
        }
        match window {
            Window::Head(limit) if page.entries.len() >= limit => break,
            // Keep memory bounded: only the last entries survive a tail read.
            Window::Tail(last) if tail.len() >= last.saturating_mul(2).max(64) => {
                let excess = tail.len() - last;
                tail.drain(..excess);
            }
            _ => {}
        }
    }
    if let Window::Tail(last) = window {
        let excess = tail.len().saturating_sub(last);
        page.entries = tail
            .into_iter()
            .skip(excess)
            .map(|(index, at, d)| d.finish(index, at, max_text_bytes))
            .collect();
    }
    if !page.at_end {
        // Stopped at the limit: at the end anyway when nothing complete follows.
        page.at_end = cursor.offset >= total_bytes;
    }
    cursor.carry = format.carry();
    page.next = cursor;
    Ok(page)
}

#[cfg(test)]
mod tests {
    use std::io::Write;
    use std::path::Path;

    use super::super::test_support::kinds_and_texts;
    use super::super::*;
    use crate::agents::MAX_LINE_BYTES;
    use crate::model::Harness;

    const USER: &str = r#"{"type":"user","timestamp":"2026-11-20T10:00:00.000Z","message":{"role":"user","content":"hello"}}"#;
    const ANSWER: &str = r#"{"type":"assistant","requestId":"r1","message":{"id":"m1","model":"claude-opus-4-6","content":[{"type":"text","text":"\u001b[32mgreen\u001b[0m hi"}],"usage":{"input_tokens":5,"output_tokens":2}}}"#;

    fn append(path: &Path, bytes: &[u8]) {
        let mut f = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(path)
            .unwrap();
        f.write_all(bytes).unwrap();
    }

    fn read(path: &Path, from: &TranscriptCursor) -> TranscriptPage {
        read_transcript(Harness::ClaudeCode, path, from, 100, DEFAULT_MAX_TEXT_BYTES).unwrap()
    }

    #[test]
    fn live_tail_sends_only_new_complete_lines() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("s.jsonl");
        append(&p, format!("{USER}\n{}", &ANSWER[..40]).as_bytes());
        let first = read(&p, &TranscriptCursor::default());
        assert_eq!(
            kinds_and_texts(&first.entries),
            vec![(EntryKind::User, "hello".into())]
        );
        assert!(first.at_end);
        assert_eq!(
            first.next.offset,
            USER.len() as u64 + 1,
            "the torn line waits"
        );
        assert_eq!(first.parse_errors, 0);
        // Nothing new: nothing sent.
        assert!(read(&p, &first.next).entries.is_empty());
        append(&p, format!("{}\n", &ANSWER[40..]).as_bytes());
        let second = read(&p, &first.next);
        assert_eq!(
            kinds_and_texts(&second.entries),
            vec![(EntryKind::Assistant, "green hi".into())]
        );
        assert_eq!(second.entries[0].index, 1);
        assert_eq!(second.next.index, 2);
        assert_eq!(second.total_bytes, (USER.len() + ANSWER.len() + 2) as u64);
    }

    /// The web view hands cursors back; one holding the largest index must not
    /// overflow (issue 20): the index stops at `u32::MAX`.
    #[test]
    fn a_cursor_at_the_largest_index_reads_without_overflow() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("s.jsonl");
        append(&p, format!("{USER}\n{ANSWER}\n").as_bytes());
        let from = TranscriptCursor {
            index: u32::MAX,
            ..Default::default()
        };
        let page = read(&p, &from);
        assert_eq!(page.entries.len(), 2);
        assert!(page.entries.iter().all(|e| e.index == u32::MAX));
        assert_eq!(page.next.index, u32::MAX);
        let tail =
            read_transcript(Harness::ClaudeCode, &p, &from, 1, DEFAULT_MAX_TEXT_BYTES).unwrap();
        assert_eq!(tail.next.index, u32::MAX);
    }

    #[test]
    fn a_truncated_file_resets_the_reader() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("s.jsonl");
        append(&p, format!("{USER}\n{ANSWER}\n").as_bytes());
        let page = read(&p, &TranscriptCursor::default());
        std::fs::write(&p, format!("{ANSWER}\n")).unwrap();
        let again = read(&p, &page.next);
        assert!(again.reset);
        assert_eq!(again.entries[0].index, 0);
        assert_eq!(again.entries[0].kind, EntryKind::Assistant);
    }

    #[test]
    fn pages_of_any_size_give_the_same_entries() {
        let p = crate::agents::transcript::test_support::fixture(
            "claude-cli/projects/-home-dev-shop/0d6f9f0e-1234-4abc-9def-00000000c0de.jsonl",
        );
        let whole = read_transcript(
            Harness::ClaudeCode,
            &p,
            &TranscriptCursor::default(),
            1000,
            usize::MAX,
        )
        .unwrap();
        let (paged, _) = crate::agents::transcript::test_support::read_all(Harness::ClaudeCode, &p);
        assert_eq!(whole.entries, paged);
        let mut one_by_one = Vec::new();
        let mut cursor = TranscriptCursor::default();
        loop {
            let page = read_transcript(Harness::ClaudeCode, &p, &cursor, 1, usize::MAX).unwrap();
            one_by_one.extend(page.entries);
            cursor = page.next;
            if page.at_end {
                break;
            }
        }
        assert_eq!(one_by_one, whole.entries);
        assert_eq!(whole.entries.len(), 6);
        // Streamed msg_01 over two lines: usage once, on its first line.
        assert!(whole.entries[2].usage.is_some());
        assert_eq!(whole.entries[3].usage, None);
    }

    #[test]
    fn invalid_utf8_becomes_replacement_characters() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("s.jsonl");
        let mut line = br#"{"type":"user","message":{"role":"user","content":"caf"#.to_vec();
        line.extend_from_slice(b"\xe9 \xff ok\"}}\n\xff\xfe\n");
        std::fs::write(&p, &line).unwrap();
        let page = read(&p, &TranscriptCursor::default());
        assert_eq!(page.entries[0].text, "caf\u{fffd} \u{fffd} ok");
        assert_eq!(page.parse_errors, 1, "the line of garbage");
    }

    #[test]
    fn empty_and_deleted_files() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("s.jsonl");
        std::fs::write(&p, b"").unwrap();
        let page = read(&p, &TranscriptCursor::default());
        assert!(page.entries.is_empty() && page.at_end && page.parse_errors == 0);
        std::fs::remove_file(&p).unwrap();
        for h in [
            Harness::ClaudeCode,
            Harness::Codex,
            Harness::Gptme,
            Harness::Copilot,
            Harness::Gemini,
            Harness::Opencode,
        ] {
            let err = read_transcript(h, &p, &TranscriptCursor::default(), 10, 100).unwrap_err();
            assert!(matches!(err, TranscriptError::NotFound(_)), "{h:?}: {err}");
            assert!(err.to_string().contains("no longer exists"));
        }
    }

    #[test]
    fn a_50_mb_tool_output_is_cut_and_read_in_full_on_demand() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("s.jsonl");
        let big = "x".repeat(50 * 1024 * 1024);
        let line = format!(
            r#"{{"type":"user","message":{{"role":"user","content":[{{"type":"tool_result","tool_use_id":"t9","content":"{big}"}}]}}}}"#
        );
        std::fs::write(&p, format!("{USER}\n{line}\n{ANSWER}\n")).unwrap();
        let page = read(&p, &TranscriptCursor::default());
        assert_eq!(page.entries.len(), 3);
        let cut = &page.entries[1];
        assert!(cut.truncated);
        assert_eq!(cut.text.len(), DEFAULT_MAX_TEXT_BYTES);
        assert_eq!(cut.full_len, big.len() as u64);
        assert!(!page.entries[0].truncated);
        let full = read_entry_full(Harness::ClaudeCode, &p, &cut.at, cut.index).unwrap();
        assert_eq!(full.text.len(), big.len());
        assert!(!full.truncated);
        assert_eq!(full.tool_use_id.as_deref(), Some("t9"));
        let missing = read_entry_full(Harness::ClaudeCode, &p, &cut.at, cut.index + 5);
        assert!(matches!(missing, Err(TranscriptError::NoSuchEntry { .. })));
    }

    #[test]
    fn a_line_over_the_size_limit_is_skipped_and_counted() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("s.jsonl");
        let mut f = std::fs::File::create(&p).unwrap();
        writeln!(f, "{USER}").unwrap();
        let block = vec![b'x'; 1024 * 1024];
        for _ in 0..(MAX_LINE_BYTES / block.len() + 1) {
            f.write_all(&block).unwrap();
        }
        writeln!(f).unwrap();
        writeln!(f, "{ANSWER}").unwrap();
        drop(f);
        let page = read(&p, &TranscriptCursor::default());
        assert_eq!(
            kinds_and_texts(&page.entries),
            vec![
                (EntryKind::User, "hello".to_string()),
                (EntryKind::Assistant, "green hi".to_string())
            ]
        );
        assert_eq!(page.parse_errors, 1);
        assert_eq!(page.entries[1].index, 1);
        assert!(page.at_end);
    }

    #[test]
    fn torn_fixture_lines_never_panic_any_format() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("s.jsonl");
        let mut files = Vec::new();
        let mut stack = vec![crate::agents::transcript::test_support::fixture("")];
        while let Some(d) = stack.pop() {
            for e in std::fs::read_dir(&d).unwrap().flatten() {
                let path = e.path();
                if path.is_dir() {
                    stack.push(path);
                } else if path.extension().is_some_and(|x| x == "jsonl") {
                    files.push(path);
                }
            }
        }
        assert!(files.len() > 8);
        let mut torn = Vec::new();
        for f in &files {
            for line in std::fs::read(f).unwrap().split(|b| *b == b'\n') {
                for cut in (0..line.len()).step_by(7) {
                    torn.extend_from_slice(&line[..cut]);
                    torn.push(b'\n');
                }
                torn.extend_from_slice(line);
                torn.extend_from_slice(b"\n\xff{\"type\":\n");
            }
        }
        std::fs::write(&p, &torn).unwrap();
        for h in [
            Harness::ClaudeCode,
            Harness::Codex,
            Harness::Gptme,
            Harness::Copilot,
            Harness::Gemini,
        ] {
            let read = read_transcript(h, &p, &TranscriptCursor::default(), usize::MAX, 64);
            if h == Harness::Gemini && torn.len() as u64 > crate::agent_file::MAX_WHOLE_FILE_BYTES {
                // Gemini's reader reads the file whole: over the cap it says so.
                let e = read.unwrap_err().to_string();
                assert!(e.contains("too large to read"), "{e}");
                continue;
            }
            assert!(read.unwrap().parse_errors > 0, "{h:?}");
        }
    }
}
