//! A fast pass over the lines of a store that hands each record's few analytic fields
//! ([`RecordFields`]) to a callback, applying the same read rules as
//! [`Record::from_value`] (absent keys default to `unknown`, `null` stays null,
//! `run_type` normalisation, a missing timestamp reads as "now").

use std::borrow::Cow;

use serde::{Deserialize, Deserializer};

use crate::records::filter::RecordFields;
use crate::records::record::{normalize_run_type, now_iso};
use crate::records::Record;

#[derive(Deserialize)]
struct Borrowed<'a>(#[serde(borrow)] Cow<'a, str>);

/// `None` = key absent, `Some(None)` = `null`, `Some(Some(s))` = a string.
type Presence<'a> = Option<Option<Cow<'a, str>>>;

fn present<'de, D: Deserializer<'de>>(d: D) -> Result<Presence<'de>, D::Error> {
    Option::<Borrowed<'de>>::deserialize(d).map(|o| Some(o.map(|b| b.0)))
}

#[derive(Deserialize)]
struct FastLine<'a> {
    #[serde(default, borrow, deserialize_with = "present")]
    timestamp: Presence<'a>,
    #[serde(default, borrow, deserialize_with = "present")]
    harness: Presence<'a>,
    #[serde(default, borrow, deserialize_with = "present")]
    model: Presence<'a>,
    #[serde(default, borrow, deserialize_with = "present")]
    run_type: Presence<'a>,
    #[serde(default, borrow, deserialize_with = "present")]
    category: Presence<'a>,
    #[serde(default, borrow, deserialize_with = "present")]
    outcome: Presence<'a>,
    #[serde(default, borrow, deserialize_with = "present")]
    project: Presence<'a>,
    #[serde(default)]
    duration_seconds: Option<i64>,
}

fn or_unknown<'a>(p: &'a Presence<'_>) -> Option<&'a str> {
    match p {
        None => Some("unknown"),
        Some(v) => v.as_deref(),
    }
}

/// Call `each` with the analytic fields of every record line in `bytes`; returns the
/// number of malformed lines skipped.
pub fn scan_store_bytes(bytes: &[u8], mut each: impl FnMut(&RecordFields<'_>)) -> usize {
    let now = now_iso();
    bytes
        .split(|b| *b == b'\n')
        .filter(|line| !scan_line(line, &now, &mut each))
        .count()
}

/// Like [`scan_store_bytes`], also handing each record's raw line to `each` (to parse
/// in full only the lines a filter keeps).
pub fn scan_store_lines<'b>(bytes: &'b [u8], mut each: impl FnMut(&RecordFields<'_>, &'b [u8])) {
    let now = now_iso();
    for line in bytes.split(|b| *b == b'\n') {
        scan_line(line, &now, &mut |f: &RecordFields<'_>| each(f, line));
    }
}

/// Hand one line's fields to `each`; `false` when the line is not a record (blank
/// lines count as records so they are not reported as malformed).
fn scan_line(line: &[u8], now: &str, each: &mut impl FnMut(&RecordFields<'_>)) -> bool {
    let line = line.trim_ascii();
    if line.is_empty() {
        return true;
    }
    // Only an object is a record: serde would read `[]` as a struct of defaults.
    if !line.starts_with(b"{") {
        return false;
    }
    if let Ok(fast) = serde_json::from_slice::<FastLine<'_>>(line) {
        let ts = fast.timestamp.as_ref().and_then(|t| t.as_deref());
        // Hour-24 timestamps are rare; the full parser knows how to repair them.
        if !ts.is_some_and(|t| t.contains("T24:")) {
            let run_type =
                or_unknown(&fast.run_type).map(|rt| normalize_run_type(rt).unwrap_or(rt));
            each(&RecordFields {
                timestamp: ts.filter(|t| !t.is_empty()).unwrap_or(now),
                harness: or_unknown(&fast.harness),
                model: or_unknown(&fast.model),
                run_type,
                category: fast.category.as_ref().and_then(|c| c.as_deref()),
                outcome: or_unknown(&fast.outcome),
                project: fast.project.as_ref().and_then(|c| c.as_deref()),
                duration_seconds: fast.duration_seconds.unwrap_or(0),
            });
            return true;
        }
    }
    match Record::from_line(line) {
        Some(rec) => {
            each(&RecordFields::of(&rec));
            true
        }
        None => false,
    }
}

/// [`scan_store_bytes`] on every core, straight from a file: each thread reads its own byte
/// range with positioned reads into one reused buffer, so a 100 MB store is never held
/// in memory at once and the copying is shared between cores too. A thread owns the
/// lines that *start* in its range. The file's length is taken once at the start, so
/// a concurrent append is simply not seen; a missing file is an empty store.
pub fn scan_file_parallel<A: Send>(
    path: &std::path::Path,
    init: impl Fn() -> A + Sync,
    each: impl Fn(&mut A, &RecordFields<'_>) + Sync,
) -> std::io::Result<Vec<A>> {
    let file = match std::fs::File::open(path) {
        Ok(f) => f,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(vec![init()]),
        Err(e) => return Err(e),
    };
    let len = file.metadata()?.len();
    const MIN_RANGE: u64 = 4 << 20;
    let threads = std::thread::available_parallelism()
        .map(|n| n.get() as u64)
        .unwrap_or(1)
        .min(len / MIN_RANGE + 1)
        .max(1);
    scan_ranges(&file, len, threads, init, each)
}

/// Scan `file` (of length `len`) in `threads` ranges at once.
fn scan_ranges<A: Send>(
    file: &std::fs::File,
    len: u64,
    threads: u64,
    init: impl Fn() -> A + Sync,
    each: impl Fn(&mut A, &RecordFields<'_>) + Sync,
) -> std::io::Result<Vec<A>> {
    std::thread::scope(|scope| {
        let handles: Vec<_> = (0..threads)
            .map(|i| {
                let (init, each) = (&init, &each);
                let start = len * i / threads;
                let end = len * (i + 1) / threads;
                scope.spawn(move || -> std::io::Result<A> {
                    let mut acc = init();
                    scan_range(file, start, end, len, |f| each(&mut acc, f))?;
                    Ok(acc)
                })
            })
            .collect();
        handles
            .into_iter()
            .map(|h| h.join().expect("scan thread panicked"))
            .collect()
    })
}

/// Read at `offset` until `buf` is full or the file (as of `len`) ends.
fn read_at(file: &std::fs::File, buf: &mut [u8], offset: u64) -> std::io::Result<usize> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::FileExt;
        let mut done = 0;
        while done < buf.len() {
            match file.read_at(&mut buf[done..], offset + done as u64)? {
                0 => break,
                n => done += n,
            }
        }
        Ok(done)
    }
    #[cfg(not(any(unix, windows)))]
    {
        let _ = (file, buf, offset);
        Err(std::io::Error::from(std::io::ErrorKind::Unsupported))
    }
    #[cfg(windows)]
    {
        use std::os::windows::fs::FileExt;
        let mut done = 0;
        while done < buf.len() {
            match file.seek_read(&mut buf[done..], offset + done as u64)? {
                0 => break,
                n => done += n,
            }
        }
        Ok(done)
    }
}

/// Scan the lines that start in `[start, end)` (a line starts at 0 or after `\n`).
fn scan_range(
    file: &std::fs::File,
    start: u64,
    end: u64,
    len: u64,
    mut each: impl FnMut(&RecordFields<'_>),
) -> std::io::Result<()> {
    const BLOCK: usize = 4 << 20;
    let now = now_iso();
    let mut buf: Vec<u8> = vec![0; BLOCK];
    let mut filled = 0usize; // bytes of `buf` holding data
    let mut buf_pos = start; // file offset of buf[0]
    let mut next = start; // file offset where the next unread byte goes
                          // Find the first line start at or after `start`.
    let mut line_start = if start == 0 {
        Some(0usize)
    } else {
        buf_pos = start - 1;
        next = start - 1;
        None
    };
    loop {
        if filled == buf.len() {
            buf.resize(buf.len() * 2, 0); // one line longer than the buffer
        }
        let want = (buf.len() - filled).min((len - next.min(len)) as usize);
        let n = if want == 0 {
            0
        } else {
            read_at(file, &mut buf[filled..filled + want], next)?
        };
        filled += n;
        next += n as u64;
        let at_eof = n == 0 || next >= len;
        let mut consumed = 0usize;
        if line_start.is_none() {
            match memchr::memchr(b'\n', &buf[..filled]) {
                Some(p) => line_start = Some(p + 1),
                None if at_eof => return Ok(()),
                None => {
                    // Still inside the previous range's last line: drop what we read.
                    buf_pos += filled as u64;
                    filled = 0;
                    continue;
                }
            }
        }
        let mut ls = line_start.unwrap_or(0);
        loop {
            if buf_pos + ls as u64 >= end {
                return Ok(());
            }
            match memchr::memchr(b'\n', &buf[ls..filled]) {
                Some(p) => {
                    scan_line(&buf[ls..ls + p], &now, &mut each);
                    ls += p + 1;
                }
                None if at_eof => {
                    scan_line(&buf[ls..filled], &now, &mut each);
                    return Ok(());
                }
                None => break,
            }
        }
        consumed = consumed.max(ls);
        buf.copy_within(consumed..filled, 0);
        filled -= consumed;
        buf_pos += consumed as u64;
        line_start = Some(0);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The fast view and the full record parser must agree on every field.
    #[test]
    fn fast_path_agrees_with_the_full_parser() {
        let lines = [
            r#"{"session_id":"a","timestamp":"2026-01-01T10:00:00+00:00","model":"claude-opus-4-6","harness":"gptme","run_type":"42","outcome":"productive","duration_seconds":300,"project":"/w/p","category":"code"}"#,
            r#"{"session_id":"b","timestamp":"2026-01-01T10:00:00+00:00","model":null,"harness":null,"run_type":null,"outcome":null,"duration_seconds":null}"#,
            r#"{"session_id":"c"}"#,
            r#"{"session_id":"d","timestamp":"2026-01-01T24:00:00","model":"caf\u00e9"}"#,
            r#"{"session_id":"e","duration_seconds":12.5,"model":7}"#,
            r#"{"session_id":"f","run_type":"autonomous-session-3","outcome":"noop"}"#,
        ];
        for line in lines {
            let full = Record::from_line(line.as_bytes()).unwrap();
            let want = RecordFields::of(&full);
            let mut got = None;
            scan_store_bytes(line.as_bytes(), |f| {
                got = Some((
                    f.harness.map(str::to_string),
                    f.model.map(str::to_string),
                    f.run_type.map(str::to_string),
                    f.outcome.map(str::to_string),
                    f.project.map(str::to_string),
                    f.category.map(str::to_string),
                    f.duration_seconds,
                    f.timestamp.get(..10).map(str::to_string),
                ))
            });
            let want = (
                want.harness.map(str::to_string),
                want.model.map(str::to_string),
                want.run_type.map(str::to_string),
                want.outcome.map(str::to_string),
                want.project.map(str::to_string),
                want.category.map(str::to_string),
                want.duration_seconds,
                want.timestamp.get(..10).map(str::to_string),
            );
            assert_eq!(got, Some(want), "{line}");
        }
    }

    #[test]
    fn file_scan_sees_every_line_once_at_any_split() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("s.jsonl");
        let mut bytes = Vec::new();
        for i in 0..300_000 {
            bytes.extend_from_slice(
                format!(
                    "{{\"session_id\":\"{i}\",\"duration_seconds\":{i},\"pad\":\"{}\"}}\n",
                    "x".repeat(i % 50)
                )
                .as_bytes(),
            );
        }
        bytes.extend_from_slice(b"{\"session_id\":\"last\",\"duration_seconds\":1}");
        std::fs::write(&path, &bytes).unwrap();
        let parts = scan_file_parallel(
            &path,
            || (0u64, 0i64),
            |acc, f| {
                acc.0 += 1;
                acc.1 += f.duration_seconds;
            },
        )
        .unwrap();
        let total = parts.iter().fold((0, 0), |a, b| (a.0 + b.0, a.1 + b.1));
        assert_eq!(total, (300_001, 299_999 * 300_000 / 2 + 1));
        for n in [0usize, 1, 5] {
            let small = dir.path().join(format!("small{n}.jsonl"));
            std::fs::write(&small, "{\"session_id\":\"a\"}\n".repeat(n)).unwrap();
            let c: u64 = scan_file_parallel(&small, || 0u64, |c, _| *c += 1)
                .unwrap()
                .iter()
                .sum();
            assert_eq!(c, n as u64);
        }
        // Every way of cutting the file sees every line exactly once.
        let file = std::fs::File::open(&path).unwrap();
        let len = bytes.len() as u64;
        for threads in [1, 3, 7, 64] {
            let parts = scan_ranges(
                &file,
                len,
                threads,
                || (0u64, 0i64),
                |acc, f| {
                    acc.0 += 1;
                    acc.1 += f.duration_seconds;
                },
            )
            .unwrap();
            let total = parts.iter().fold((0, 0), |a, b| (a.0 + b.0, a.1 + b.1));
            assert_eq!(
                total,
                (300_001, 299_999 * 300_000 / 2 + 1),
                "{threads} threads"
            );
        }
        let missing: u64 = scan_file_parallel(&dir.path().join("none"), || 0u64, |c, _| *c += 1)
            .unwrap()
            .iter()
            .sum();
        assert_eq!(missing, 0);
    }

    #[test]
    fn malformed_lines_are_counted_not_fatal() {
        let bytes = b"{\"session_id\":\"a\"}\nnot json\n[1]\n\n{\"session_id\":\"b\",\"mo";
        let mut n = 0;
        let bad = scan_store_bytes(bytes, |_| n += 1);
        assert_eq!((n, bad), (1, 3));
    }

    /// gptme-sessions counts only objects: `[]`, `42` and `"x"` are malformed lines.
    #[test]
    fn json_that_is_not_an_object_is_malformed() {
        let bytes = b"{\"session_id\":\"a\"}\n[]\n42\n\"x\"\nnull\n{}\n";
        let mut n = 0;
        let bad = scan_store_bytes(bytes, |_| n += 1);
        assert_eq!((n, bad), (2, 4));
    }
}
