//! Benchmark of the full-text index (issue 17; run by `tests/bench/search_bench.sh`,
//! part of `make bench`, never of `make test`):
//!
//! - `bench_search build DB`: build the index of every transcript root of this
//!   environment (`CLAUDE_CONFIG_DIR`, `CODEX_HOME`, … as the CLI reads them) into DB
//!   from scratch; prints one `build:` line: bytes of transcripts read, bytes of text
//!   indexed, pieces, wall and CPU seconds, MB/s, the index's size (and its share of
//!   the text and of the transcripts) and peak RSS.
//! - `bench_search query DB [N]`: N (default 200) searches, as the app makes them (at
//!   most 100 hits), for words and two-word phrases sampled from the prompts, answers
//!   and tool outputs of random transcripts, a quarter of them narrowed by harness or
//!   by date; prints one `query:` line with p50/p95/max.
//!
//! `SEARCH_FTS_CONFIG=hashsize=4194304,automerge=8` builds with other FTS5 settings
//! than the index's own (for experiments). Reads only the roots, writes only DB (and its `-wal`/`-shm`).

use std::path::Path;
use std::sync::atomic::AtomicBool;
use std::time::Instant;

use sessionscope_core::agents::transcript::{read_all_entries, EntryKind};
use sessionscope_core::model::Harness;
use sessionscope_core::sessions::search::{SearchFilter, SearchIndex, PIECE_MAX_BYTES};

fn percentile(sorted: &[f64], p: f64) -> f64 {
    let i = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[i.min(sorted.len() - 1)]
}

/// User + system CPU seconds of this process, and its peak RSS in MiB.
fn cpu_and_peak() -> (f64, f64) {
    #[cfg(target_os = "linux")]
    {
        let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
        let peak = status
            .lines()
            .find_map(|l| l.strip_prefix("VmHWM:"))
            .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<f64>().ok())
            .unwrap_or(0.0)
            / 1024.0;
        let stat = std::fs::read_to_string("/proc/self/stat").unwrap_or_default();
        let after = stat.rsplit_once(')').map(|(_, a)| a).unwrap_or("");
        let f: Vec<f64> = after
            .split_whitespace()
            .map(|x| x.parse().unwrap_or(0.0))
            .collect();
        // utime and stime are fields 14 and 15 of stat (12 and 13 after the name).
        let ticks = f.get(11).copied().unwrap_or(0.0) + f.get(12).copied().unwrap_or(0.0);
        (ticks / 100.0, peak)
    }
    #[cfg(not(target_os = "linux"))]
    (0.0, 0.0)
}

fn db_size(db: &str) -> u64 {
    ["", "-wal"]
        .iter()
        .filter_map(|s| std::fs::metadata(format!("{db}{s}")).ok())
        .map(|m| m.len())
        .sum()
}

fn build(db: &str) {
    for suffix in ["", "-wal", "-shm"] {
        let _ = std::fs::remove_file(format!("{db}{suffix}"));
    }
    let roots = sessionscope_core::agents::roots::harness_roots();
    let mut index = SearchIndex::open(Path::new(db)).unwrap();
    // Experiments: FTS5 settings other than the index's own, e.g.
    // SEARCH_FTS_CONFIG=hashsize=4194304,automerge=8.
    if let Ok(config) = std::env::var("SEARCH_FTS_CONFIG") {
        let conn = rusqlite::Connection::open(db).unwrap();
        for kv in config.split(',').filter(|kv| !kv.is_empty()) {
            let (k, v) = kv.split_once('=').unwrap();
            conn.execute(
                "INSERT INTO pieces (pieces, rank) VALUES (?1, ?2)",
                rusqlite::params![k, v.parse::<i64>().unwrap()],
            )
            .unwrap();
        }
    }
    let t0 = Instant::now();
    let stats = index
        .update(&roots, &|_| {}, &AtomicBool::new(false))
        .unwrap();
    let wall = t0.elapsed().as_secs_f64();
    drop(index);
    let (cpu, peak) = cpu_and_peak();
    let mb = stats.bytes_read as f64 / 1048576.0;
    let text = stats.text_bytes as f64 / 1048576.0;
    let size = db_size(db) as f64 / 1048576.0;
    println!(
        "build: {} files, {mb:.0} MB read, {text:.0} MB of text indexed, {} pieces, {} skipped; \
         {wall:.1} s wall = {:.0} MB/s, CPU {cpu:.1} s; index {size:.0} MB = {:.0} % of the text, \
         {:.0} % of the transcripts; peak RSS {peak:.0} MiB",
        stats.files_indexed,
        stats.pieces,
        stats.skipped.len(),
        mb / wall,
        size / text.max(1e-9) * 100.0,
        size / mb.max(1e-9) * 100.0,
    );
}

/// Words of 5+ lowercase letters of an indexed text, for queries.
fn words_of(line: &str) -> Vec<String> {
    line.split(|c: char| !c.is_alphanumeric())
        .filter(|w| w.chars().count() >= 5 && w.chars().all(|c| c.is_ascii_lowercase()))
        .map(str::to_string)
        .collect()
}

fn query(db: &str, n: usize) {
    let index = SearchIndex::open(Path::new(db)).unwrap();
    // Sample text the way a user remembers it: from random lines of random transcripts.
    let conn = rusqlite::Connection::open(db).unwrap();
    let files: Vec<(String, String)> = conn
        .prepare("SELECT path, harness FROM files ORDER BY path")
        .unwrap()
        .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap();
    let mut seed = 0x9e3779b97f4a7c15u64;
    let mut next = || {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        seed
    };
    let mut queries: Vec<(String, SearchFilter)> = Vec::new();
    let mut tries = 0;
    while queries.len() < n && tries < n * 50 && !files.is_empty() {
        tries += 1;
        let (path, harness) = &files[next() as usize % files.len()];
        let Ok(harness) = harness.parse::<Harness>() else {
            continue;
        };
        let Ok(page) = read_all_entries(harness, Path::new(path), PIECE_MAX_BYTES) else {
            continue;
        };
        let texts: Vec<&str> = page
            .entries
            .iter()
            .filter(|e| {
                matches!(
                    e.kind,
                    EntryKind::User | EntryKind::Assistant | EntryKind::ToolResult
                )
            })
            .map(|e| e.text.as_str())
            .collect();
        if texts.is_empty() {
            continue;
        }
        let text = texts[next() as usize % texts.len()];
        let words = words_of(text);
        if words.len() < 2 {
            continue;
        }
        let i = next() as usize % (words.len() - 1);
        let q = match queries.len() % 4 {
            // A two-word phrase as it was written.
            1 if text.contains(&format!("{} {}", words[i], words[i + 1])) => {
                format!("\"{} {}\"", words[i], words[i + 1])
            }
            _ => words[i].clone(),
        };
        let filter = match queries.len() % 8 {
            3 => SearchFilter {
                harness: Some(harness),
                ..SearchFilter::default()
            },
            7 => SearchFilter {
                since: "2026-06-01T00:00:00Z".parse().ok(),
                ..SearchFilter::default()
            },
            _ => SearchFilter::default(),
        };
        queries.push((
            q,
            SearchFilter {
                limit: 100,
                ..filter
            },
        ));
    }
    let mut times = Vec::new();
    let mut hits = 0;
    let mut empty = 0;
    let mut slowest = Vec::new();
    for (q, filter) in &queries {
        let t = Instant::now();
        let found = index.search(q, filter).unwrap().len();
        let ms = t.elapsed().as_secs_f64() * 1000.0;
        times.push(ms);
        slowest.push((ms, q, filter, found));
        hits += found;
        empty += (found == 0) as usize;
    }
    times.sort_by(f64::total_cmp);
    slowest.sort_by(|a, b| b.0.total_cmp(&a.0));
    for (ms, q, filter, found) in slowest.iter().take(5) {
        eprintln!(
            "slow: {ms:.1} ms for {q} (harness {:?}, since {:?}): {found} hits",
            filter.harness, filter.since
        );
    }
    println!(
        "query: {} queries ({hits} hits, {empty} with none) over an index of {:.0} MB: \
         p50 {:.1} ms, p95 {:.1} ms, max {:.1} ms",
        times.len(),
        db_size(db) as f64 / 1048576.0,
        percentile(&times, 0.5),
        percentile(&times, 0.95),
        times.last().copied().unwrap_or(0.0),
    );
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    match (args.get(1).map(String::as_str), args.get(2)) {
        (Some("build"), Some(db)) => build(db),
        (Some("query"), Some(db)) => {
            query(db, args.get(3).and_then(|a| a.parse().ok()).unwrap_or(200))
        }
        _ => eprintln!("usage: bench_search build DB | query DB [N]"),
    }
}
