//! Issues 20 (item 5) and 17: a Gemini chat (one JSON document) over
//! `agent_file::MAX_WHOLE_FILE_BYTES` is never read into memory whole: it is decoded
//! from the file one message at a time, so the session table lists it with its totals
//! and the transcript view shows its last page, like any other chat. The search index,
//! which holds a file's text until it is written, still leaves it out and says why. (The 1.2 GB chat, its time and peak memory are in `make bench`.)

use std::path::{Path, PathBuf};
use std::sync::atomic::AtomicBool;

use chrono::Utc;
use sessionscope_core::agent_file::MAX_WHOLE_FILE_BYTES;
use sessionscope_core::agents::transcript::{
    read_entry_full, read_transcript, read_transcript_tail, TranscriptCursor,
};
use sessionscope_core::agents::HarnessRoot;
use sessionscope_core::model::Harness;
use sessionscope_core::sessions::index::SessionIndex;
use sessionscope_core::sessions::search::{SearchFilter, SearchIndex};

/// A Gemini chat whose one user message holds `pad` bytes of text, then `word`.
fn write_chat(path: &Path, id: &str, pad: usize, word: &str) {
    use std::io::Write;
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    let mut f = std::io::BufWriter::new(std::fs::File::create(path).unwrap());
    write!(
        f,
        r#"{{"sessionId":"{id}","startTime":"2026-11-20T10:00:00.000Z","lastUpdated":"2026-11-20T10:03:00.000Z","messages":[{{"id":"m1","timestamp":"2026-11-20T10:00:01.000Z","type":"user","content":""#
    )
    .unwrap();
    let block = "lorem ipsum ".repeat(1024);
    let mut left = pad;
    while left > 0 {
        let n = left.min(block.len());
        f.write_all(&block.as_bytes()[..n]).unwrap();
        left -= n;
    }
    write!(f, r#" {word}"}}]}}"#).unwrap();
    f.flush().unwrap();
}

fn chats(root: &Path) -> PathBuf {
    root.join("5d41402abc4b2a76b9719d911017c5925d41402abc4b2a76b9719d911017c592")
        .join("chats")
}

#[test]
fn a_gemini_chat_over_the_cap_is_read_as_a_stream_everywhere() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().join("tmp");
    let big = chats(&root).join("session-2026-11-20T10-00-big00000.json");
    let small = chats(&root).join("session-2026-11-20T11-00-small000.json");
    write_chat(&big, "big", MAX_WHOLE_FILE_BYTES as usize + 1024, "needle");
    write_chat(&small, "small", 100, "needle");
    let roots = vec![HarnessRoot {
        harness: Harness::Gemini,
        path: root.clone(),
    }];

    let mut index = SessionIndex::new(roots.clone());
    index.scan_all(Utc::now());
    assert!(index.read_errors.is_empty(), "{:?}", index.read_errors);
    let rows = index.sessions();
    for (path, id) in [(&big, "big"), (&small, "small")] {
        let row = rows
            .iter()
            .find(|s| s.path == path.display().to_string())
            .expect("both chats are listed");
        assert_eq!((row.id.as_str(), row.user_messages), (id, 1));
    }

    let page = read_transcript_tail(Harness::Gemini, &big, 20, 4096).unwrap();
    assert_eq!(page.entries.len(), 1);
    let e = &page.entries[0];
    assert!(
        e.truncated && e.full_len > MAX_WHOLE_FILE_BYTES,
        "{}",
        e.full_len
    );
    assert!(e.text.starts_with("lorem ipsum"));
    assert_eq!(
        (page.parse_errors, page.total_bytes > MAX_WHOLE_FILE_BYTES),
        (0, true)
    );
    let full = read_entry_full(Harness::Gemini, &big, &e.at, e.index).unwrap();
    assert!(full.text.ends_with(" needle"));
    assert!(read_transcript(
        Harness::Gemini,
        &small,
        &TranscriptCursor::default(),
        50,
        4096
    )
    .is_ok());

    let mut search = SearchIndex::open(&dir.path().join("search.sqlite3")).unwrap();
    for _ in 0..2 {
        // The search index holds a file's text while it writes it: it still leaves the
        // big chat out, and says so on every update (the file is not recorded).
        let stats = search
            .update(&roots, &|_| {}, &AtomicBool::new(false))
            .unwrap();
        assert_eq!(stats.skipped.len(), 1, "{:?}", stats.skipped);
        assert_eq!(stats.skipped[0].path, big);
        let reason = &stats.skipped[0].reason;
        assert!(
            reason.starts_with("too large to read (65 MiB; files over 64 MiB"),
            "{reason}"
        );
    }
    let hits = search.search("needle", &SearchFilter::default()).unwrap();
    assert_eq!(hits.len(), 1, "{hits:?}");
    assert_eq!(hits[0].path, small.display().to_string());
}
