//! Issue 20, item 5: a whole-file transcript (a Gemini chat is one JSON document) over
//! `agent_file::MAX_WHOLE_FILE_BYTES` is never read into memory. The session table,
//! the transcript view and the search index each say "too large to read" for it and
//! go on with the other files. (The 1 GiB chat and its peak memory are in `make bench`.)

use std::path::{Path, PathBuf};
use std::sync::atomic::AtomicBool;

use chrono::Utc;
use sessionscope_core::agent_file::MAX_WHOLE_FILE_BYTES;
use sessionscope_core::agents::transcript::{read_transcript, TranscriptCursor};
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
fn a_gemini_chat_over_the_cap_is_too_large_to_read_everywhere() {
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
    let problem = index
        .read_errors
        .iter()
        .find(|e| e.contains("too large to read"))
        .unwrap_or_else(|| panic!("{:?}", index.read_errors));
    assert!(problem.starts_with(&big.display().to_string()), "{problem}");
    let small_row = index
        .sessions()
        .into_iter()
        .find(|s| s.path == small.display().to_string())
        .expect("the other chat is read");
    assert_eq!(small_row.user_messages, 1);

    let err = read_transcript(
        Harness::Gemini,
        &big,
        &TranscriptCursor::default(),
        50,
        4096,
    )
    .unwrap_err()
    .to_string();
    assert!(err.contains("too large to read"), "{err}");
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
        // Reported by every update, not only the first (the file is not recorded).
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
