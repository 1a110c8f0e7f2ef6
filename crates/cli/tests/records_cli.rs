//! `sessionscope records …` run as a subprocess against hand-written fixture stores
//! (tests/fixtures/records); every expected number was computed by hand.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use serde_json::{json, Value};

fn fixtures() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../tests/fixtures/records")
}

/// A sandbox: its own HOME and agent roots, so nothing of the real user is read.
struct Sandbox {
    dir: tempfile::TempDir,
}

impl Sandbox {
    fn new() -> Self {
        let s = Sandbox {
            dir: tempfile::tempdir().unwrap(),
        };
        std::fs::create_dir_all(s.home()).unwrap();
        std::fs::create_dir_all(s.claude().join("projects")).unwrap();
        s
    }

    fn home(&self) -> PathBuf {
        self.dir.path().join("home")
    }

    fn claude(&self) -> PathBuf {
        self.dir.path().join("claude")
    }

    fn store_dir(&self) -> PathBuf {
        self.dir.path().join("store")
    }

    fn store_file(&self) -> PathBuf {
        self.store_dir().join("session-records.jsonl")
    }

    /// Put the basic fixture store into the sandbox (so tests may change it).
    fn with_basic_store(self) -> Self {
        std::fs::create_dir_all(self.store_dir()).unwrap();
        std::fs::copy(
            fixtures().join("basic/session-records.jsonl"),
            self.store_file(),
        )
        .unwrap();
        self
    }

    fn with_claude_transcripts(self) -> Self {
        copy_dir(
            &fixtures().join("claude/projects"),
            &self.claude().join("projects"),
        );
        self
    }

    /// The Claude Code fixture transcripts, their sessions moved to today (UTC):
    /// discovery picks a log by the day of its first timestamp, not by the day it
    /// was copied.
    fn with_claude_transcripts_of_today(self) -> Self {
        let today = chrono::Utc::now().format("%Y-%m-%dT").to_string();
        for (from, to) in [
            (
                "-home-u-work-alpha",
                "5f0c2a9e-1111-4222-8333-944455556666.jsonl",
            ),
            (
                "-home-u-work-beta",
                "0aa0bb11-2222-4333-8444-555566667777.jsonl",
            ),
        ] {
            let text =
                std::fs::read_to_string(fixtures().join("claude/projects").join(from).join(to))
                    .unwrap()
                    .replace("2026-01-20T", &today)
                    .replace("2026-01-21T", &today);
            let dir = self.claude().join("projects").join(from);
            std::fs::create_dir_all(&dir).unwrap();
            std::fs::write(dir.join(to), text).unwrap();
        }
        self
    }

    /// Codex, gptme and Copilot CLI transcripts from the adapters' fixtures.
    fn with_other_harnesses(self) -> Self {
        let all = fixtures().join("..");
        copy_dir(&all.join("codex"), &self.dir.path().join("codex"));
        copy_dir(&all.join("gptme"), &self.dir.path().join("gptme"));
        copy_dir(&all.join("copilot"), &self.dir.path().join("copilot"));
        self
    }

    fn run(&self, args: &[&str]) -> Output {
        self.run_stdin(args, None)
    }

    fn run_stdin(&self, args: &[&str], stdin: Option<&str>) -> Output {
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_sessionscope"));
        cmd.arg("records")
            .arg("--sessions-dir")
            .arg(self.store_dir())
            .args(args)
            .env("HOME", self.home())
            .env("XDG_CONFIG_HOME", self.home().join(".config"))
            .env("XDG_DATA_HOME", self.home().join(".local/share"))
            .env("CLAUDE_CONFIG_DIR", self.claude())
            .env("CODEX_HOME", self.dir.path().join("codex"))
            .env("GPTME_LOGS_DIR", self.dir.path().join("gptme"))
            .env("COPILOT_STATE_DIR", self.dir.path().join("copilot"))
            .env("GEMINI_DATA_DIR", self.dir.path().join("gemini"))
            .env("OPENCODE_DATA_DIR", self.dir.path().join("opencode"));
        for var in [
            "GPTME_SESSIONS_DIR",
            "CODEX_SESSIONS_DIR",
            "ANTHROPIC_API_KEY",
            "OPENAI_API_KEY",
            "SESSIONSCOPE_JUDGE_API",
            "SESSIONSCOPE_JUDGE_BASE_URL",
            "SESSIONSCOPE_JUDGE_MODEL",
            "SESSIONSCOPE_JUDGE_API_KEY_ENV",
        ] {
            cmd.env_remove(var);
        }
        match stdin {
            None => cmd.output().unwrap(),
            Some(text) => {
                use std::io::Write;
                cmd.stdin(std::process::Stdio::piped())
                    .stdout(std::process::Stdio::piped())
                    .stderr(std::process::Stdio::piped());
                let mut child = cmd.spawn().unwrap();
                child
                    .stdin
                    .take()
                    .unwrap()
                    .write_all(text.as_bytes())
                    .unwrap();
                child.wait_with_output().unwrap()
            }
        }
    }

    fn json(&self, args: &[&str]) -> Value {
        let out = self.run(args);
        assert!(
            out.status.success(),
            "{args:?} failed: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
            panic!(
                "{args:?}: not JSON ({e}): {}",
                String::from_utf8_lossy(&out.stdout)
            )
        })
    }

    fn store_lines(&self) -> Vec<String> {
        std::fs::read_to_string(self.store_file())
            .unwrap()
            .lines()
            .map(str::to_string)
            .collect()
    }
}

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for e in std::fs::read_dir(from).unwrap() {
        let e = e.unwrap();
        let target = to.join(e.file_name());
        if e.file_type().unwrap().is_dir() {
            copy_dir(&e.path(), &target);
        } else {
            std::fs::copy(e.path(), target).unwrap();
        }
    }
}

fn ids(v: &Value) -> Vec<String> {
    v.as_array()
        .unwrap()
        .iter()
        .map(|r| r["session_id"].as_str().unwrap().to_string())
        .collect()
}

fn expected(name: &str) -> Value {
    serde_json::from_str(&std::fs::read_to_string(fixtures().join(name)).unwrap()).unwrap()
}

#[test]
fn stats_json_equals_the_hand_computed_summary() {
    let s = Sandbox::new().with_basic_store();
    assert_eq!(
        s.json(&["stats", "--since", "all", "--json"]),
        expected("basic/expected-stats-all.json")
    );
    // `query --stats` is the same summary.
    assert_eq!(
        s.json(&["query", "--stats", "--json"]),
        expected("basic/expected-stats-all.json")
    );
}

#[test]
fn runs_json_equals_the_hand_computed_analytics() {
    let s = Sandbox::new().with_basic_store();
    assert_eq!(
        s.json(&["runs", "--since", "all", "--json"]),
        expected("basic/expected-runs-all.json")
    );
}

#[test]
fn default_windows_exclude_old_records() {
    let s = Sandbox::new().with_basic_store();
    // stats defaults to 30 days, runs to 14: the fixture is older than both.
    assert_eq!(s.json(&["stats", "--json"]), json!({"total": 0}));
    assert_eq!(s.json(&["runs", "--json"]), json!({"total": 0}));
    assert_eq!(s.json(&["query", "--since", "7d", "--json"]), json!([]));
}

#[test]
fn query_filters() {
    let s = Sandbox::new().with_basic_store();
    let q = |args: &[&str]| {
        let mut all = vec!["query", "--json"];
        all.extend_from_slice(args);
        ids(&s.json(&all))
    };
    assert_eq!(q(&["--model", "opus"]), ["a1b2c3d4", "d4000000"]);
    assert_eq!(q(&["--model", "claude-opus-4.6"]), ["d4000000"]);
    assert_eq!(q(&["--model", "haiku"]), ["a1b2ffff"]);
    assert_eq!(q(&["--harness", "unknown"]), ["b7e10000"]);
    assert_eq!(
        q(&["--project", "alpha"]),
        ["a1b2c3d4", "c3000000", "d4000000"]
    );
    assert_eq!(
        q(&["--outcome", "noop", "--run-type", "autonomous"]),
        ["a1b2ffff", "e5000000"]
    );
    assert_eq!(q(&["--category", "code"]), ["a1b2c3d4"]);
    let st = s.json(&["query", "--stats", "--harness", "claude-code", "--json"]);
    assert_eq!(st["total"], 3);
    assert_eq!(st["productive"], 1);
    assert_eq!(st["noop"], 1);
    assert_eq!(st["violated_policy"], 1);
    assert_eq!(
        st["by_project"],
        json!({"alpha": {"total": 2, "productive": 1, "rate": 0.5}})
    );
}

#[test]
fn since_counts_from_now() {
    let s = Sandbox::new();
    std::fs::create_dir_all(s.store_dir()).unwrap();
    let now = chrono::Utc::now();
    let at = |h: i64| (now - chrono::Duration::hours(h)).to_rfc3339();
    let lines = [
        json!({"session_id": "00000001", "timestamp": at(1), "outcome": "productive", "duration_seconds": 30}),
        json!({"session_id": "00000002", "timestamp": at(30), "outcome": "noop"}),
        json!({"session_id": "00000003", "timestamp": at(24 * 10), "outcome": "noop"}),
    ];
    let text: String = lines.iter().map(|l| format!("{l}\n")).collect();
    std::fs::write(s.store_file(), text).unwrap();
    assert_eq!(
        ids(&s.json(&["query", "--since", "2h", "--json"])),
        ["00000001"]
    );
    assert_eq!(
        ids(&s.json(&["query", "--since", "2d", "--json"])),
        ["00000001", "00000002"]
    );
    assert_eq!(s.json(&["stats", "--json"])["total"], 3);
    assert_eq!(s.json(&["stats", "--since", "1w", "--json"])["total"], 2);
    assert_eq!(s.json(&["runs", "--since", "90m", "--json"])["total"], 1);
    let bad = s.run(&["stats", "--since", "7y"]);
    assert!(!bad.status.success());
    assert!(String::from_utf8_lossy(&bad.stderr).contains("--since"));
}

/// Issue 20: `records append` after a 64 MiB unterminated tail (a writer killed
/// mid-line) took 17.4 s holding the store's lock, and held the tail in memory twice.
/// The repair reads it once with one buffer: it runs under a 64 MiB data limit, fast.
#[test]
fn append_repairs_a_64_mib_torn_tail_in_bounded_time_and_memory() {
    use std::io::Write;
    let s = Sandbox::new().with_basic_store();
    let records_before = s.json(&["stats", "--since", "all", "--json"])["total"].clone();
    {
        let mut f = std::fs::OpenOptions::new()
            .append(true)
            .open(s.store_file())
            .unwrap();
        f.write_all(br#"{"session_id":"torn0000","notes":""#)
            .unwrap();
        let block = vec![b'x'; 1 << 20];
        for _ in 0..64 {
            f.write_all(&block).unwrap();
        }
    }
    let limited = Command::new("prlimit").arg("--version").output().is_ok();
    let mut args = vec!["append", "--harness", "gptme", "--outcome", "noop"];
    let started = std::time::Instant::now();
    let out = if limited {
        // The address space is not limited (threads reserve it); the heap is.
        let store_dir = s.store_dir();
        let mut full = vec![
            "--data=67108864",
            env!("CARGO_BIN_EXE_sessionscope"),
            "records",
            "--sessions-dir",
            store_dir.to_str().unwrap(),
        ];
        full.append(&mut args);
        Command::new("prlimit")
            .args(&full)
            .env("HOME", s.home())
            .output()
            .unwrap()
    } else {
        s.run(&args)
    };
    let took = started.elapsed();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let text = std::fs::read(s.store_file()).unwrap();
    assert!(text.ends_with(b"\n"));
    assert!(
        !text.windows(8).any(|w| w == b"torn0000"),
        "the torn tail is cut"
    );
    assert_eq!(
        s.json(&["stats", "--since", "all", "--json"])["total"],
        records_before.as_u64().unwrap() + 1
    );
    assert!(took < std::time::Duration::from_secs(2), "took {took:?}");
}

/// `--since` values beyond the calendar panicked with exit 101 (issue 20); they mean
/// "since the beginning", and a calendar day works as in `usage`.
#[test]
fn since_beyond_the_calendar_means_everything() {
    let s = Sandbox::new().with_basic_store().with_claude_transcripts();
    let total = s.json(&["stats", "--since", "all", "--json"])["total"].clone();
    for huge in ["100000000", "9999999999999w", "1970-01-01"] {
        assert_eq!(
            s.json(&["stats", "--since", huge, "--json"])["total"],
            total
        );
        assert_eq!(
            s.json(&["runs", "--since", huge, "--json"])["total"],
            s.json(&["runs", "--since", "all", "--json"])["total"]
        );
        let discover = s.run(&["discover", "--since", huge]);
        assert_eq!(discover.status.code(), Some(0), "discover --since {huge}");
        let sync = s.run(&["sync", "--dry-run", "--since", huge]);
        assert_eq!(sync.status.code(), Some(0), "sync --since {huge}: {sync:?}");
    }
}

#[test]
fn show_by_unique_prefix_returns_every_field_and_unknown_keys() {
    let s = Sandbox::new().with_basic_store();
    let shown = s.json(&["show", "a1b2c", "--json"]);
    let line = std::fs::read_to_string(fixtures().join("basic/session-records.jsonl")).unwrap();
    let original: Value = serde_json::from_str(line.lines().next().unwrap()).unwrap();
    assert_eq!(
        shown, original,
        "a record with every field must come back unchanged"
    );
    assert_eq!(shown["notes"], "keep me");
}

#[test]
fn show_applies_the_legacy_journal_path_rule() {
    let s = Sandbox::new().with_basic_store();
    let r = s.json(&["show", "b7e", "--json"]);
    assert_eq!(
        r["trajectory_path"],
        "/home/u/.local/share/gptme/logs/2026-01-11-x/conversation.jsonl"
    );
    assert_eq!(r["journal_path"], Value::Null);
    assert_eq!(r["harness"], "unknown");
    assert_eq!(r["inferred_category"], "infrastructure");
}

#[test]
fn ambiguous_and_unknown_prefixes_are_errors() {
    let s = Sandbox::new().with_basic_store();
    let out = s.run(&["show", "a1b2"]);
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("Ambiguous prefix 'a1b2' matches 2 sessions: a1b2c3d4, a1b2ffff"),
        "{err}"
    );
    let out = s.run(&["show", "zz"]);
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("No session found matching 'zz'"));
}

#[test]
fn annotate_changes_one_record_and_keeps_every_other_line_verbatim() {
    let s = Sandbox::new().with_basic_store();
    let before = s.store_lines();
    let out = s.run(&[
        "annotate",
        "a1b2c",
        "--outcome",
        "noop",
        "--category",
        "triage",
        "--add-deliverable",
        "https://github.com/o/alpha/pull/8",
        "--add-deliverable",
        "0123abcd",
    ]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(
        String::from_utf8_lossy(&out.stdout).trim(),
        "Updated session a1b2c3d4."
    );
    let after = s.store_lines();
    // The fixture ends in a torn line (no newline, not JSON): the rewrite drops it,
    // as the next append would, rather than keep it as a malformed line for good.
    assert!(before.last().unwrap().ends_with("\"outc"));
    assert_eq!(after.len(), before.len() - 1);
    for i in 1..after.len() {
        assert_eq!(after[i], before[i], "line {i} changed");
    }
    let r: Value = serde_json::from_str(&after[0]).unwrap();
    assert_eq!(r["outcome"], "noop");
    assert_eq!(r["category"], "triage");
    assert_eq!(
        r["deliverables"],
        json!([
            "0123abcd",
            "https://github.com/o/alpha/pull/7",
            "https://github.com/o/alpha/pull/8"
        ])
    );
    assert_eq!(r["notes"], "keep me");
    assert_eq!(r["custom"], json!({"x": [1, 2]}));
    assert_eq!(
        r["span_aggregates"],
        json!({"total_spans": 12, "error_spans": 1})
    );
    assert!(s.store_dir().join("session-records.jsonl.lock").exists());
    // Ambiguous prefixes and empty requests change nothing.
    assert!(!s
        .run(&["annotate", "a1b2", "--outcome", "noop"])
        .status
        .success());
    assert!(!s.run(&["annotate", "d4"]).status.success());
    assert_eq!(s.store_lines(), after);
}

#[test]
fn append_repairs_the_torn_tail_and_adds_one_line() {
    let s = Sandbox::new().with_basic_store();
    let before = s.store_lines();
    let out = s.run(&[
        "append",
        "--harness",
        "codex",
        "--model",
        "gpt-5.4",
        "--outcome",
        "productive",
        "--duration",
        "90",
        "--deliverables",
        "abc1234",
    ]);
    assert!(out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("deprecated"));
    let after = s.store_lines();
    // The torn last line is gone, the eight complete lines are untouched.
    assert_eq!(after.len(), before.len());
    assert_eq!(after[..8], before[..8]);
    let r: Value = serde_json::from_str(&after[8]).unwrap();
    assert_eq!(r["harness"], "codex");
    assert_eq!(r["run_type"], "autonomous");
    assert_eq!(r["deliverables"], json!(["abc1234"]));
    assert_eq!(r["session_id"].as_str().unwrap().len(), 8);
    assert_eq!(s.json(&["stats", "--since", "all", "--json"])["total"], 7);
}

#[test]
fn bulk_append_from_jsonl_keeps_unknown_keys() {
    let s = Sandbox::new();
    let input = "{\"session_id\":\"11111111\",\"custom\":true}\n\n{\"session_id\":\"22222222\",\"model\":\"claude-opus-4-6\"}\n";
    let out = s.run_stdin(&["append", "--from-jsonl", "-"], Some(input));
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let lines = s.store_lines();
    assert_eq!(lines.len(), 2);
    let first: Value = serde_json::from_str(&lines[0]).unwrap();
    assert_eq!(first["custom"], true);
}

#[test]
fn post_session_outcomes() {
    let s = Sandbox::new().with_claude_transcripts();
    let post = |extra: &[&str]| {
        let mut args = vec!["post-session", "--harness", "claude-code", "--json"];
        args.extend_from_slice(extra);
        s.json(&args)
    };
    assert_eq!(
        post(&[
            "--exit-code",
            "2",
            "--start-commit",
            "a",
            "--end-commit",
            "b"
        ])["outcome"],
        "failed"
    );
    assert_eq!(
        post(&["--start-commit", "a", "--end-commit", "b"])["outcome"],
        "productive"
    );
    assert_eq!(
        post(&["--start-commit", "a", "--end-commit", "a"])["outcome"],
        "noop"
    );
    assert_eq!(post(&["--exit-code", "124"])["outcome"], "unknown");
    assert_eq!(
        post(&[
            "--start-commit",
            "a",
            "--end-commit",
            "a",
            "--deliverables",
            "https://github.com/o/r/pull/3"
        ])["outcome"],
        "productive"
    );
    let traj = s
        .claude()
        .join("projects/-home-u-work-alpha/5f0c2a9e-1111-4222-8333-944455556666.jsonl");
    let r = post(&[
        "--trajectory",
        traj.to_str().unwrap(),
        "--session-id",
        "cafe0001",
        "--start-commit",
        "x",
        "--end-commit",
        "x",
    ]);
    assert_eq!(
        r,
        json!({"session_id": "cafe0001", "outcome": "productive", "grade": 0.7, "token_count": 12360})
    );
    let rec = s.json(&["show", "cafe0001", "--json"]);
    assert_eq!(rec["model"], "claude-opus-4-6");
    assert_eq!(rec["duration_seconds"], 600);
    // The trajectory's deliverables as gptme-sessions' signals name them.
    assert_eq!(
        rec["deliverables"],
        json!([
            "Fix flaky parser test (9f8e7d6)",
            "/home/u/work/alpha/src/parser.rs"
        ])
    );
    assert_eq!(rec["trajectory_grade"], 0.7);
    assert_eq!(rec["grades"]["productivity"], 0.7);
    assert_eq!(rec["project"], "/home/u/work/alpha");
    assert_eq!(rec["trajectory_path"], traj.to_str().unwrap());
    assert_eq!(s.json(&["stats", "--json"])["total"], 6);
}

#[test]
fn discover_and_sync_with_signals_are_idempotent() {
    let s = Sandbox::new().with_claude_transcripts();
    let d = s.json(&["discover", "--since", "all", "--json"]);
    assert_eq!(d["total_discovered"], 2);
    assert!(d["sessions"]
        .as_array()
        .unwrap()
        .iter()
        .all(|e| e["synced"] == false && e["harness"] == "claude-code"));
    let dry = s.run(&["sync", "--since", "all", "--signals", "--dry-run"]);
    assert!(dry.status.success());
    assert!(String::from_utf8_lossy(&dry.stdout).contains("2 would be imported"));
    assert!(!s.store_file().exists(), "a dry run writes nothing");
    let out = s.run(&["sync", "--since", "all", "--signals"]);
    assert_eq!(
        String::from_utf8_lossy(&out.stdout).trim(),
        "Imported 2 session(s), 0 unchanged."
    );
    let recs = s.json(&["query", "--json"]);
    let alpha = recs
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["project"] == "/home/u/work/alpha")
        .unwrap();
    assert_eq!(alpha["outcome"], "productive");
    assert_eq!(alpha["duration_seconds"], 600);
    assert_eq!(alpha["timestamp"], "2026-01-20T10:00:00+00:00");
    assert_eq!(alpha["start_time"], "2026-01-20T10:00:00+00:00");
    assert_eq!(alpha["end_time"], "2026-01-20T10:10:00+00:00");
    assert_eq!(alpha["token_count"], 12360);
    assert_eq!(alpha["input_tokens"], 1450);
    assert_eq!(alpha["output_tokens"], 410);
    assert_eq!(alpha["cache_creation_tokens"], 500);
    assert_eq!(alpha["cache_read_tokens"], 10000);
    assert_eq!(
        alpha["deliverables"],
        json!([
            "Fix flaky parser test (9f8e7d6)",
            "/home/u/work/alpha/src/parser.rs"
        ])
    );
    assert_eq!(alpha["deliverable_details"][1]["kind"], "file");
    let beta = recs
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["project"] == "/home/u/work/beta")
        .unwrap();
    assert_eq!(beta["outcome"], "noop");
    assert_eq!(beta["duration_seconds"], 30);
    // Named like gptme-sessions names them: the first 8 characters of the file name,
    // so `query` lists names rather than ids.
    assert_eq!(alpha["session_name"], "5f0c2a9e");
    assert_eq!(beta["session_name"], "0aa0bb11");
    assert_eq!(beta["model"], "claude-sonnet-4-5");
    let again = s.run(&["sync", "--since", "all", "--signals"]);
    assert_eq!(
        String::from_utf8_lossy(&again.stdout).trim(),
        "Imported 0 session(s), 2 unchanged."
    );
    assert_eq!(s.store_lines().len(), 2);
    let d = s.json(&["discover", "--since", "all", "--unsynced", "--json"]);
    assert_eq!(d, json!({"sessions": [], "total_discovered": 2}));
    let d = s.json(&["discover", "--since", "all", "--signals", "--json"]);
    let e = d["sessions"]
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["productive"] == true)
        .unwrap();
    assert_eq!(e["git_commits"], 1);
    assert_eq!(e["tool_calls"], 3);
    assert_eq!(e["synced"], true);
}

#[test]
fn bare_records_on_an_empty_store_summarises_discovery() {
    let s = Sandbox::new().with_claude_transcripts_of_today();
    let out = s.run(&[]);
    assert!(out.status.success());
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains("Discovered 2 session(s)"), "{text}");
    assert!(text.contains("claude-code"));
    let s = Sandbox::new().with_basic_store();
    let text = String::from_utf8_lossy(&s.run(&[]).stdout).to_string();
    assert!(text.contains("No records in the last 30 days"), "{text}");
}

/// A loopback server answering every request with one OpenAI-style verdict.
fn judge_server(
    answer: &'static str,
    requests: usize,
) -> (String, std::thread::JoinHandle<Vec<String>>) {
    use std::io::{Read, Write};
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    let h = std::thread::spawn(move || {
        let mut seen = Vec::new();
        for _ in 0..requests {
            let (mut sock, _) = listener.accept().unwrap();
            let mut req = Vec::new();
            let mut buf = [0u8; 8192];
            loop {
                let n = sock.read(&mut buf).unwrap_or(0);
                if n == 0 {
                    break;
                }
                req.extend_from_slice(&buf[..n]);
                let t = String::from_utf8_lossy(&req).to_string();
                if let Some(end) = t.find("\r\n\r\n") {
                    let len = t
                        .lines()
                        .find_map(|l| {
                            l.to_ascii_lowercase()
                                .strip_prefix("content-length:")
                                .map(|v| v.trim().parse::<usize>().unwrap())
                        })
                        .unwrap_or(0);
                    if req.len() >= end + 4 + len {
                        break;
                    }
                }
            }
            let body = json!({"choices": [{"message": {"content": answer}}]}).to_string();
            let reply = format!("HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}", body.len());
            sock.write_all(reply.as_bytes()).unwrap();
            seen.push(String::from_utf8_lossy(&req).to_string());
        }
        seen
    });
    (base, h)
}

#[test]
fn judge_scores_journal_entries_and_writes_them_to_matching_records() {
    let s = Sandbox::new();
    std::fs::create_dir_all(s.store_dir()).unwrap();
    std::fs::write(
        s.store_file(),
        "{\"session_id\": \"ab12\", \"timestamp\": \"2026-11-01T10:00:00+00:00\"}\n",
    )
    .unwrap();
    let journal = s.dir.path().join("journal");
    for (day, name, body) in [
        (
            "2026-11-01",
            "autonomous-session-ab12.md",
            "# Code: fix\n```yaml\ncategory: code\noutcome: productive\n```\n",
        ),
        ("2026-11-02", "autonomous-session-cd34.md", "# Triage\n"),
        ("2026-11-02", "notes.md", "# not an entry\n"),
    ] {
        std::fs::create_dir_all(journal.join(day)).unwrap();
        std::fs::write(journal.join(day).join(name), body).unwrap();
    }
    let (base, server) = judge_server("{\"score\": 0.8, \"reason\": \"On goal.\"}", 2);
    let out = s.run(&[
        "judge",
        "--journal-dir",
        journal.to_str().unwrap(),
        "--api",
        "openai",
        "--base-url",
        &base,
        "--model",
        "local-judge",
        "--update-store",
        "--json",
    ]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let rows: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(ids(&rows), ["ab12", "cd34"]);
    let first = &rows[0];
    assert_eq!(first["date"], "2026-11-01");
    assert_eq!(first["category"], "code");
    assert_eq!(first["outcome"], "productive");
    // A path in the OS's own form (`\` between the parts on Windows).
    assert!(
        std::path::Path::new(first["journal_path"].as_str().unwrap())
            .ends_with(std::path::Path::new("2026-11-01").join("autonomous-session-ab12.md"))
    );
    assert_eq!(first["llm_judge_score"], json!(0.8));
    assert_eq!(first["grade_reasons"], json!({"alignment": "On goal."}));
    assert_eq!(rows[1]["category"], "unknown");
    let seen = server.join().unwrap();
    assert!(
        seen[0].contains("Category: code"),
        "the entry is what is judged"
    );
    let r = s.json(&["show", "ab12", "--json"]);
    assert_eq!(r["llm_judge_score"], json!(0.8));
    assert_eq!(r["grades"], json!({"alignment": 0.8}));
}

/// Issue 14: like gptme-sessions, `judge` that could score nothing (no endpoint
/// answers) says so on stderr and exits 0, so a script around it goes on.
#[test]
fn judge_that_scores_nothing_says_so_and_exits_zero_like_gptme_sessions() {
    let s = Sandbox::new().with_basic_store();
    let before = std::fs::read(s.store_file()).unwrap();
    let out = s.run(&[
        "judge",
        "--last",
        "1",
        "--api",
        "openai",
        "--base-url",
        "http://127.0.0.1:9",
        "--timeout",
        "2",
        "--update-store",
    ]);
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(0), "{err}");
    assert!(err.contains("not scored"), "{err}");
    assert!(err.contains("No sessions scored"), "{err}");
    assert_eq!(
        std::fs::read(s.store_file()).unwrap(),
        before,
        "nothing written"
    );
}

#[test]
fn judge_dry_run_sends_nothing_and_hides_the_key() {
    let s = Sandbox::new().with_basic_store();
    let out = s.run(&[
        "judge",
        "--last",
        "1",
        "--dry-run",
        "--api",
        "openai",
        "--base-url",
        "http://127.0.0.1:9",
        "--api-key-env",
        "MY_JUDGE_KEY",
    ]);
    assert!(out.status.success());
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        text.contains("POST http://127.0.0.1:9/v1/chat/completions"),
        "{text}"
    );
    assert!(text.contains("Bearer <$MY_JUDGE_KEY>"));
    assert!(
        text.contains("e5000000"),
        "the newest record is judged: {text}"
    );
}

#[test]
fn judge_updates_the_store_through_a_loopback_endpoint() {
    let s = Sandbox::new().with_basic_store();
    let (base, server) = judge_server(
        "```json\n{\"score\": 0.65, \"reason\": \"Useful fix.\"}\n```",
        2,
    );
    let mut cmd_args = vec![
        "judge",
        "--last",
        "2",
        "--api",
        "openai",
        "--base-url",
        &base,
        "--model",
        "local-judge",
        "--update-store",
        "--json",
    ];
    let out = s.run(&cmd_args);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let results: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(ids(&results), ["d4000000", "e5000000"]);
    let seen = server.join().unwrap();
    assert!(seen[0].contains("\"model\":\"local-judge\""));
    let r = s.json(&["show", "e5", "--json"]);
    assert_eq!(r["llm_judge_score"], json!(0.65));
    assert_eq!(r["llm_judge_reason"], "Useful fix.");
    assert_eq!(r["llm_judge_model"], "local-judge");
    assert_eq!(r["grades"], json!({"alignment": 0.65}));
    // Nothing about the key is stored.
    assert!(!std::fs::read_to_string(s.store_file())
        .unwrap()
        .contains("Bearer"));
    cmd_args.clear();
}

#[test]
fn bare_records_shows_recent_stats_and_the_unsynced_hint() {
    let s = Sandbox::new().with_claude_transcripts_of_today();
    std::fs::create_dir_all(s.store_dir()).unwrap();
    let now = chrono::Utc::now().to_rfc3339();
    std::fs::write(
        s.store_file(),
        format!("{}\n", json!({"session_id": "recent01", "timestamp": now, "outcome": "productive", "model": "claude-opus-4-6"})),
    )
    .unwrap();
    let text = String::from_utf8_lossy(&s.run(&[]).stdout).to_string();
    assert!(
        text.contains("Sessions: 1 total, 1 productive (100% success rate)"),
        "{text}"
    );
    assert!(
        text.contains("\n\nTip: 2 new session(s) available in the last 14 days. Run 'sessionscope records sync' to import.\n"),
        "{text}"
    );
    // `stats` says the same after its tables, as gptme-sessions does.
    let stats = String::from_utf8_lossy(&s.run(&["stats"]).stdout).to_string();
    assert!(
        stats.ends_with(
            "\nHint: 2 session(s) discovered but not synced. Run 'sessionscope records sync' to import.\n"
        ),
        "{stats}"
    );
    assert!(!stats.contains("NOOP:"), "{stats}");
    s.run(&["sync", "--since", "all"]);
    let synced = String::from_utf8_lossy(&s.run(&["stats"]).stdout).to_string();
    assert!(!synced.contains("Hint:"), "{synced}");
}

#[test]
fn discover_and_sync_cover_every_harness_in_the_registry() {
    let s = Sandbox::new()
        .with_claude_transcripts()
        .with_other_harnesses();
    let d = s.json(&["discover", "--since", "all", "--json"]);
    let mut harnesses: Vec<String> = d["sessions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["harness"].as_str().unwrap().to_string())
        .collect();
    harnesses.dedup();
    harnesses.sort();
    harnesses.dedup();
    assert_eq!(harnesses, ["claude-code", "codex", "copilot-cli", "gptme"]);
    let n = d["total_discovered"].as_u64().unwrap();
    let out = s.run(&["sync", "--since", "all", "--signals"]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(s.store_lines().len() as u64, n);
    let by_harness = s.json(&["stats", "--since", "all", "--json"])["by_harness"].clone();
    for h in ["claude-code", "codex", "copilot-cli", "gptme"] {
        assert!(
            by_harness[h]["total"].as_u64().unwrap() >= 1,
            "{h}: {by_harness}"
        );
    }
    // Every synced record says what its transcript says, and a re-run adds nothing.
    for r in s.json(&["query", "--json"]).as_array().unwrap() {
        assert_ne!(r["outcome"], "unknown", "{r}");
        if r["harness"] == "gptme" {
            // The log folder without its date.
            assert!(
                ["quick-fox", "broken-log"].contains(&r["session_name"].as_str().unwrap()),
                "{r}"
            );
        }
        assert!(r["trajectory_path"]
            .as_str()
            .unwrap()
            .starts_with(s.dir.path().to_str().unwrap()));
    }
    let again = s.run(&["sync", "--since", "all", "--signals"]);
    assert!(String::from_utf8_lossy(&again.stdout).starts_with("Imported 0 session(s)"));
    assert_eq!(s.store_lines().len() as u64, n);
}

/// Issue 14: `discover` lists oldest first across agents (undated last) and closes
/// with gptme-sessions' line: the days scanned, then what is synced; an empty window
/// is said in its words.
#[test]
fn discover_lists_oldest_first_and_closes_with_the_days_it_scanned() {
    let s = Sandbox::new()
        .with_claude_transcripts_of_today()
        .with_other_harnesses();
    let d = s.json(&["discover", "--since", "all", "--json"]);
    let dates: Vec<Option<String>> = d["sessions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["session_date"].as_str().map(str::to_string))
        .collect();
    let mut in_order = dates.clone();
    in_order.sort_by_key(|d| (d.is_none(), d.clone()));
    assert_eq!(dates, in_order);
    let out = s.run(&["discover", "--since", "30d"]);
    let text = String::from_utf8_lossy(&out.stdout).to_string();
    let n = text.lines().filter(|l| l.starts_with('[')).count();
    assert!(n >= 2, "today's two Claude Code sessions: {text}");
    let today = chrono::Local::now().date_naive();
    let start = today - chrono::Days::new(30);
    assert_eq!(
        text.trim_end().lines().last().unwrap(),
        format!("{n} session(s) found ({start} to {today}), 0 synced, {n} pending")
    );
    // From a day on: that day is the first one looked at.
    let day = (today - chrono::Days::new(3)).to_string();
    let out = s.run(&["discover", "--since", &day]);
    let text = String::from_utf8_lossy(&out.stdout).to_string();
    let n = text.lines().filter(|l| l.starts_with('[')).count();
    assert_eq!(
        text.trim_end().lines().last().unwrap(),
        format!("{n} session(s) found ({day} to {today}), 0 synced, {n} pending")
    );
    let empty = Sandbox::new().run(&["discover", "--since", "2h"]);
    assert_eq!(
        String::from_utf8_lossy(&empty.stdout).trim(),
        "No sessions found in the last 2 hours."
    );
}

/// A FIFO where a log or a journal entry is expected is refused at once, never read
/// (opening one for reading would wait for a writer forever).
#[cfg(unix)]
#[test]
fn fifos_in_place_of_logs_are_refused_not_read() {
    let s = Sandbox::new();
    let fifo = s.dir.path().join("log.jsonl");
    let journal_day = s.dir.path().join("journal/2026-11-01");
    std::fs::create_dir_all(&journal_day).unwrap();
    let entry = journal_day.join("autonomous-session-ab.md");
    for p in [&fifo, &entry] {
        assert!(Command::new("mkfifo").arg(p).status().unwrap().success());
    }
    let journal = s.dir.path().join("journal");
    for args in [
        vec!["replay", fifo.to_str().unwrap()],
        vec!["transcript", fifo.to_str().unwrap()],
        vec!["classify-stats", "--journal-dir", journal.to_str().unwrap()],
        vec![
            "judge",
            "--journal-dir",
            journal.to_str().unwrap(),
            "--dry-run",
        ],
    ] {
        let mut child = Command::new(env!("CARGO_BIN_EXE_sessionscope"))
            .arg("records")
            .arg("--sessions-dir")
            .arg(s.store_dir())
            .args(&args)
            .env("HOME", s.home())
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .spawn()
            .unwrap();
        let started = std::time::Instant::now();
        let status = loop {
            if let Some(st) = child.try_wait().unwrap() {
                break st;
            }
            if started.elapsed() > std::time::Duration::from_secs(20) {
                let _ = child.kill();
                panic!("{args:?} blocked on a FIFO");
            }
            std::thread::sleep(std::time::Duration::from_millis(20));
        };
        if args[0] == "replay" || args[0] == "transcript" {
            assert!(!status.success(), "{args:?}");
        }
    }
}

/// Without a harness-quota.toml, gptme-sessions prices nothing; Sessionscope prices
/// with its built-in table and says so. Expected dollars by hand from that table:
/// d1000001 (claude-opus-4-6: 1000 in × $5 + 2000 out × $25 + 3000 cache writes ×
/// $6.25 + 40000 cache reads × $0.50 per million) = $0.09375; f4000001
/// (claude-sonnet-4.6: 2000 × $3 + 300 × $15 + 100 × $3.75 + 9000 × $0.30) =
/// $0.013575; the other records have no token breakdown or an unknown model.
#[test]
fn cost_without_a_price_file_uses_the_built_in_table_and_says_so() {
    let s = Sandbox::new();
    std::fs::create_dir_all(s.store_dir()).unwrap();
    std::fs::copy(
        fixtures().join("parity/session-records.jsonl"),
        s.store_file(),
    )
    .unwrap();
    let out = s.run(&["cost", "--days", "36500", "--json"]);
    assert!(out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("built-in price table"));
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    // 14 records; one timestamp does not parse, so it is outside any window.
    assert_eq!(v["session_count"], 13);
    assert_eq!(v["priced_count"], 2);
    assert!(
        (v["total_cost"].as_f64().unwrap() - 0.107325).abs() < 1e-12,
        "{v}"
    );
    assert_eq!(v["by_model"]["opus"]["total_cost"], json!(0.09375));
    assert_eq!(v["by_model"]["sonnet"]["total_cost"], json!(0.013575));
    assert_eq!(v["by_day"]["2026-07-04"]["count"], 1);
}

#[test]
fn blaming_a_github_ref_without_gh_says_gh_is_needed() {
    let s = Sandbox::new().with_basic_store();
    let empty_path = s.dir.path().join("empty-bin");
    std::fs::create_dir_all(&empty_path).unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_sessionscope"))
        .args(["records", "blame", "acme/app#7", "--records"])
        .arg(s.store_file())
        .env("HOME", s.home())
        .env("PATH", &empty_path)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("`gh` was not found on PATH"), "{err}");
    assert!(out.stdout.is_empty());
}
