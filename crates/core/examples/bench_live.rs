//! Benchmarks of the live path through the public core API (run by `make bench`):
//!
//! - `bench_live latency [N]`: append one line to a watched Claude Code transcript N
//!   times (default 1000), each time measuring until the change set carrying it reaches
//!   the listener; prints p50/p95/p99 in milliseconds.
//! - `bench_live idle [FILES] [SECONDS]`: watch FILES transcripts (default 10 000) and
//!   measure this process's CPU time over SECONDS (default 60) of no activity; prints
//!   the percentage of one core.
//!
//! Both run in a temporary directory. The full-text index has its own benchmark,
//! `bench_search`.

use std::io::Write;
use std::sync::mpsc;
use std::time::{Duration, Instant};

use sessionscope_core::agents::HarnessRoot;
use sessionscope_core::model::Harness;
use sessionscope_core::sessions::live::LiveSessions;

fn line(i: usize) -> String {
    format!(
        r#"{{"type":"user","sessionId":"s","timestamp":"2026-11-20T10:00:00.000Z","cwd":"/w","message":{{"role":"user","content":"prompt number {i}"}}}}"#
    )
}

fn percentile(sorted: &[f64], p: f64) -> f64 {
    let i = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[i.min(sorted.len() - 1)]
}

fn latency(n: usize) {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().canonicalize().unwrap().join("projects");
    std::fs::create_dir_all(root.join("-w")).unwrap();
    let file = root.join("-w").join("s.jsonl");
    std::fs::write(&file, "").unwrap();
    let (tx, rx) = mpsc::channel::<(Instant, u32)>();
    let _live = LiveSessions::start(
        vec![HarnessRoot {
            harness: Harness::ClaudeCode,
            path: root,
        }],
        move |change, _| {
            let at = Instant::now();
            for s in change.upserted {
                let _ = tx.send((at, s.user_messages));
            }
        },
    );
    std::thread::sleep(Duration::from_millis(300));
    let mut out = std::fs::OpenOptions::new()
        .append(true)
        .open(&file)
        .unwrap();
    let mut samples = Vec::with_capacity(n);
    for i in 0..n {
        let started = Instant::now();
        writeln!(out, "{}", line(i)).unwrap();
        out.flush().unwrap();
        let want = (i + 1) as u32;
        loop {
            match rx.recv_timeout(Duration::from_secs(10)) {
                Ok((at, count)) if count >= want => {
                    samples.push(at.duration_since(started).as_secs_f64() * 1000.0);
                    break;
                }
                Ok(_) => continue,
                Err(_) => panic!("append {i} produced no event within 10 s"),
            }
        }
        // Let the watcher settle so each append is its own event, as typing is.
        std::thread::sleep(Duration::from_millis(2));
    }
    samples.sort_by(f64::total_cmp);
    println!(
        "append->event over {n} appends: p50 {:.1} ms, p95 {:.1} ms, p99 {:.1} ms",
        percentile(&samples, 0.5),
        percentile(&samples, 0.95),
        percentile(&samples, 0.99)
    );
}

/// CPU time (user + system) of this process so far, from /proc/self/stat.
fn cpu_time() -> Duration {
    let stat = std::fs::read_to_string("/proc/self/stat").unwrap_or_default();
    let after = stat.rsplit_once(')').map(|(_, r)| r).unwrap_or("");
    let fields: Vec<&str> = after.split_whitespace().collect();
    let ticks = |i: usize| {
        fields
            .get(i)
            .and_then(|f| f.parse::<u64>().ok())
            .unwrap_or(0)
    };
    // Fields 14 and 15 of stat (utime, stime) are 12 and 13 after the command name.
    let clk = 100.0; // USER_HZ on Linux
    Duration::from_secs_f64((ticks(11) + ticks(12)) as f64 / clk)
}

fn idle(files: usize, seconds: u64) {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().canonicalize().unwrap().join("projects");
    for i in 0..files {
        let project = root.join(format!("-w-p{}", i % 100));
        std::fs::create_dir_all(&project).unwrap();
        std::fs::write(project.join(format!("s{i}.jsonl")), line(i) + "\n").unwrap();
    }
    let started = Instant::now();
    let live = LiveSessions::start(
        vec![HarnessRoot {
            harness: Harness::ClaudeCode,
            path: root,
        }],
        |_, _| {},
    );
    assert_eq!(live.sessions().len(), files);
    println!(
        "started watching {files} files in {:.2} s",
        started.elapsed().as_secs_f64()
    );
    std::thread::sleep(Duration::from_secs(3));
    let before = cpu_time();
    let t0 = Instant::now();
    std::thread::sleep(Duration::from_secs(seconds));
    let used = cpu_time() - before;
    println!(
        "idle CPU with {files} watched files over {seconds} s: {:.2} % of one core",
        used.as_secs_f64() / t0.elapsed().as_secs_f64() * 100.0
    );
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let num = |i: usize, default: u64| {
        args.get(i)
            .and_then(|a| a.parse::<u64>().ok())
            .unwrap_or(default)
    };
    match args.get(1).map(String::as_str) {
        Some("latency") => latency(num(2, 1000) as usize),
        Some("idle") => idle(num(2, 10_000) as usize, num(3, 60)),
        _ => eprintln!(
            "usage: bench_live latency [N] | idle [FILES] [SECONDS] (search: see bench_search)"
        ),
    }
}
