//! Entry points for the fuzz targets (`fuzz/`, run by `make fuzz`), each with the
//! property the fuzzer checks: a panic, a failed assertion or an arithmetic overflow is
//! a crash. The same functions replay every saved input under
//! `tests/fixtures/fuzz/<target>/` in `cargo test` ([`run`]), so each crash the
//! fuzzer ever found stays a test. Nothing else calls them.

use std::io::Write as _;
use std::path::Path;

use crate::agents::condense::{condense, Decision};
use crate::agents::transcript::{read_transcript, read_transcript_tail, TranscriptCursor};
use crate::model::Harness;
use crate::records::{Record, Store};
use crate::sessions::tail::TailCursor;

/// Every target, by the name of its file in `fuzz/fuzz_targets/`.
pub const TARGETS: &[&str] = &[
    "lines_claude",
    "lines_codex",
    "lines_gptme",
    "lines_gemini",
    "lines_copilot",
    "whole_gemini",
    "opencode_tree",
    "transcript_view",
    "condense",
    "tail_reader",
    "record_line",
    "store_repair",
];

/// Run the target named `target` on `data`; `false` for an unknown name.
pub fn run(target: &str, data: &[u8]) -> bool {
    match target {
        "lines_claude" => parse_lines(Harness::ClaudeCode, "s.jsonl", data),
        "lines_codex" => parse_lines(
            Harness::Codex,
            "rollout-2026-01-01T00-00-00-0199a000-0000-7000-8000-000000000001.jsonl",
            data,
        ),
        "lines_gptme" => parse_lines(Harness::Gptme, "conversation.jsonl", data),
        "lines_gemini" => parse_lines(
            Harness::Gemini,
            "session-2026-01-01T00-00-aaaa1111.jsonl",
            data,
        ),
        "lines_copilot" => parse_lines(Harness::Copilot, "events.jsonl", data),
        "whole_gemini" => whole_gemini(data),
        "opencode_tree" => opencode_tree(data),
        "transcript_view" => transcript_view(data),
        "condense" => condense_keeps_validity(data),
        "tail_reader" => tail_reader(data),
        "record_line" => record_line(data),
        "store_repair" => store_repair(data),
        _ => return false,
    }
    true
}

/// The condenser (see `agents::condense`) on any bytes, dropping every long string
/// it is offered: when it condenses, the original was valid JSON and so is the copy.
pub fn condense_keeps_validity(line: &[u8]) {
    let mut out = Vec::new();
    let condensed = condense(line, &mut out, |_, _| Decision::Drop);
    if condensed {
        let valid = |b: &[u8]| serde_json::from_slice::<serde::de::IgnoredAny>(b).is_ok();
        assert!(valid(line), "condensed a line serde rejects");
        assert!(valid(&out), "the condensed line is not valid JSON");
        assert!(out.len() < line.len(), "condensing made the line longer");
    }
}

/// A line parser of `harness` (the session table's facts) fed `data` line by line,
/// as the tail reader would; it must never panic.
pub fn parse_lines(harness: Harness, file_name: &str, data: &[u8]) {
    let path = Path::new("/fuzz").join(file_name);
    let mut parser = crate::agents::agent(harness).parser(&path);
    for line in data.split(|b| *b == b'\n') {
        parser.apply_line(line);
    }
    let facts = parser.facts();
    // Sums over the lines saturate: a total is never below one of its parts.
    assert!(facts.usage.total() >= facts.usage.input_tokens);
}

/// Gemini's whole-file chat parser (`chats/session-*.json`) on any bytes.
pub fn whole_gemini(data: &[u8]) {
    let path = Path::new("/fuzz/session-2026-01-01T00-00-aaaa1111.json");
    let _ = crate::agents::agent(Harness::Gemini).parse_whole_file(path, data);
}

/// opencode's JSON-tree layout (`storage/session`, `storage/message`,
/// `storage/part`): `data` split at 0xFF bytes into a session, a message and a part
/// file. The store's scan (the table) and the transcript reader must not panic.
pub fn opencode_tree(data: &[u8]) {
    let mut parts = data.splitn(3, |b| *b == 0xFF);
    let mut next = || parts.next().unwrap_or_default();
    let (session, message, part) = (next(), next(), next());
    let Ok(dir) = tempfile::tempdir() else {
        return;
    };
    let storage = dir.path().join("storage");
    let files = [
        (storage.join("session/proj/ses_1.json"), session),
        (storage.join("message/ses_1/msg_1.json"), message),
        (storage.join("part/msg_1/prt_1.json"), part),
    ];
    for (path, bytes) in &files {
        let written = path
            .parent()
            .map(std::fs::create_dir_all)
            .and_then(Result::ok)
            .and_then(|()| std::fs::write(path, bytes).ok());
        if written.is_none() {
            return;
        }
    }
    if let Some(mut store) = crate::agents::agent(Harness::Opencode).store(dir.path()) {
        for found in store.scan() {
            let _ = read_transcript(
                Harness::Opencode,
                &found.location,
                &TranscriptCursor::default(),
                50,
                200,
            );
        }
    }
    let _ = read_transcript(
        Harness::Opencode,
        &files[0].0,
        &TranscriptCursor::default(),
        50,
        200,
    );
}

/// The transcript view's readers (the detail pane, `sessionscope transcript`) on any
/// file of a line-based agent or Gemini's whole-file chat; the first byte picks the
/// agent. Pages are read with a small limit, so paging and the cursor are exercised.
pub fn transcript_view(data: &[u8]) {
    let Some((pick, body)) = data.split_first() else {
        return;
    };
    let (harness, name) = match pick % 6 {
        0 => (Harness::ClaudeCode, "s.jsonl"),
        1 => (
            Harness::Codex,
            "rollout-2026-01-01T00-00-00-0199a000-0000-7000-8000-000000000001.jsonl",
        ),
        2 => (Harness::Gptme, "conversation.jsonl"),
        3 => (Harness::Copilot, "events.jsonl"),
        4 => (Harness::Gemini, "session-2026-01-01T00-00-aaaa1111.jsonl"),
        _ => (Harness::Gemini, "session-2026-01-01T00-00-aaaa1111.json"),
    };
    let Ok(dir) = tempfile::tempdir() else {
        return;
    };
    let path = dir.path().join(name);
    if std::fs::write(&path, body).is_err() {
        return;
    }
    let mut cursor = TranscriptCursor::default();
    for _ in 0..64 {
        let Ok(page) = read_transcript(harness, &path, &cursor, 3, 200) else {
            return;
        };
        if page.at_end {
            break;
        }
        cursor = page.next;
    }
    let _ = read_transcript_tail(harness, &path, 5, 200);
}

/// The tail reader against an oracle: `data` is appended to a file in pieces (split
/// at 0xFF bytes) with a read after each; the lines handed out must be exactly the
/// complete lines of the whole input, in order, once each.
pub fn tail_reader(data: &[u8]) {
    let Ok(dir) = tempfile::tempdir() else {
        return;
    };
    let path = dir.path().join("t.jsonl");
    let Ok(mut file) = std::fs::File::create(&path) else {
        return;
    };
    let mut cursor = TailCursor::new(&path);
    let mut got: Vec<Vec<u8>> = Vec::new();
    let mut written: Vec<u8> = Vec::new();
    for piece in data.split(|b| *b == 0xFF) {
        if file.write_all(piece).is_err() {
            return;
        }
        written.extend_from_slice(piece);
        cursor
            .read_new(|line| got.push(line.to_vec()))
            .expect("a regular file reads");
    }
    let mut want: Vec<Vec<u8>> = written
        .split(|b| *b == b'\n')
        .map(|l| l.strip_suffix(b"\r").unwrap_or(l).to_vec())
        .collect();
    want.pop(); // the part after the last newline is not a line yet
    assert_eq!(got, want);
}

/// `Record::from_line` (one line of the gptme-sessions store) on any bytes: a record
/// is only ever read from an object, and the line it writes back reads back.
pub fn record_line(data: &[u8]) {
    let Some(record) = Record::from_line(data) else {
        return;
    };
    // `from_line` trims like Python's `str.strip()` (any Unicode blank), so must this.
    let text = std::str::from_utf8(data).expect("a record line is UTF-8");
    assert!(
        text.trim().starts_with('{'),
        "a non-object line became a record"
    );
    let again = Record::from_line(record.to_line().as_bytes());
    assert!(again.is_some(), "a record's own line does not read back");
}

/// The store's torn-tail repair and rewrite on any store file: an append keeps every
/// complete line byte for byte, loses no record and ends the file with a newline; an
/// upsert after it keeps every record.
pub fn store_repair(data: &[u8]) {
    let Ok(dir) = tempfile::tempdir() else {
        return;
    };
    let store = Store::new(dir.path());
    if std::fs::write(store.path(), data).is_err() {
        return;
    }
    let before = store.load().expect("the store reads").records.len();
    let mut record = Record::new();
    record.session_id = "fuzz0000".into();
    store.append(&record).expect("the append succeeds");
    let after = std::fs::read(store.path()).expect("the store reads");
    assert!(
        after.ends_with(b"\n"),
        "the store does not end with a newline"
    );
    let complete = data.iter().rposition(|b| *b == b'\n').map_or(0, |i| i + 1);
    assert_eq!(
        &after[..complete],
        &data[..complete],
        "a complete line changed"
    );
    let loaded = store.load().expect("the store reads");
    assert_eq!(
        loaded.records.len(),
        before + 1,
        "the append lost or made up a record"
    );
    assert_eq!(
        loaded.records.last().map(|r| r.session_id.as_str()),
        Some("fuzz0000")
    );
    store.upsert(vec![record]).expect("the upsert succeeds");
    assert_eq!(
        store.load().expect("the store reads").records.len(),
        loaded.records.len(),
        "the upsert changed the number of records"
    );
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every input saved under `tests/fixtures/fuzz/<target>/` (each crash the fuzzer
    /// found, and seeds worth keeping) passes its target.
    #[test]
    fn every_saved_fuzz_input_passes_its_target() {
        let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../tests/fixtures/fuzz");
        let mut ran = 0;
        for target in TARGETS {
            let Ok(dir) = std::fs::read_dir(root.join(target)) else {
                continue;
            };
            for entry in dir.flatten() {
                let data = std::fs::read(entry.path()).unwrap();
                let ok = std::panic::catch_unwind(|| run(target, &data));
                assert!(
                    matches!(ok, Ok(true)),
                    "{target} fails on {}",
                    entry.path().display()
                );
                ran += 1;
            }
        }
        assert!(ran > 0, "no saved inputs under {}", root.display());
    }

    #[test]
    fn every_target_has_a_file_in_fuzz_targets_and_runs_on_empty_input() {
        let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../fuzz/fuzz_targets");
        for target in TARGETS {
            assert!(
                dir.join(format!("{target}.rs")).is_file(),
                "{target}.rs missing"
            );
            assert!(run(target, b""));
        }
        assert!(!run("no_such_target", b""));
    }
}
