//! `sessionscope sessions`, `usage` and `search` run as subprocesses against the Claude
//! Code fixtures in `tests/fixtures/claude` (totals counted by hand from its README:
//! the main session input 20, output 224, cache writes 5300, cache reads 29000 in
//! claude-sonnet-4-5; its sub-agent input 900, output 30 in claude-haiku-4-5).

use std::path::{Path, PathBuf};
use std::process::Command;

use serde_json::Value;

const SESSION: &str = "6c1e2f3a-8b4d-4e5f-9a0b-1c2d3e4f5a60";

fn fixture() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../tests/fixtures/claude")
}

/// Run sessionscope with only the Claude fixture root, its own data directory `data`
/// and days in UTC.
fn run(data: &Path, args: &[&str]) -> Value {
    run_on(&fixture(), data, args)
}

/// [`run`] with the Claude root `claude`.
fn run_on(claude: &Path, data: &Path, args: &[&str]) -> Value {
    serde_json::from_slice(&output_on(claude, data, args)).unwrap()
}

/// `sessionscope ARGS` over the Claude Code root `claude` alone (every other agent's
/// root points nowhere), with its own data directory and days in UTC: its stdout.
fn output_on(claude: &Path, data: &Path, args: &[&str]) -> Vec<u8> {
    let empty = tempfile::tempdir().unwrap();
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_sessionscope"));
    cmd.args(args)
        .env("HOME", empty.path())
        .env("TZ", "UTC")
        .env("SESSIONSCOPE_DATA_DIR", data)
        .env("CLAUDE_CONFIG_DIR", claude);
    for var in [
        "CODEX_HOME",
        "GPTME_LOGS_DIR",
        "GEMINI_DATA_DIR",
        "OPENCODE_DATA_DIR",
        "COPILOT_STATE_DIR",
    ] {
        cmd.env(var, empty.path().join("none"));
    }
    let out = cmd.output().unwrap();
    assert!(
        out.status.success(),
        "{args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    out.stdout
}

fn tokens(v: &Value) -> [u64; 4] {
    let n = |k: &str| v[k].as_u64().unwrap();
    [
        n("inputTokens"),
        n("outputTokens"),
        n("cacheCreationTokens"),
        n("cacheReadTokens"),
    ]
}

/// Hand-priced: sonnet 4.5 ($3 / $15 / $3.75 / $0.30 per Mtok) for the two main
/// messages, 0.022446 + 0.009549; haiku 4.5 ($1 / $5) for the sub-agent, 0.00105.
const SONNET_COST: f64 = 0.022446 + 0.009549;
const HAIKU_COST: f64 = 0.00105;

#[test]
fn sessions_lists_each_transcript_with_usage_and_cost() {
    let data = tempfile::tempdir().unwrap();
    let v = run(data.path(), &["sessions", "--json"]);
    let rows = v.as_array().unwrap();
    assert_eq!(rows.len(), 2);
    let main = rows.iter().find(|s| s["id"] == SESSION).unwrap();
    let u = &main["usage"];
    assert_eq!(
        [
            &u["input_tokens"],
            &u["output_tokens"],
            &u["cache_creation_tokens"],
            &u["cache_read_tokens"]
        ],
        [20, 224, 5300, 29000]
    );
    assert!((main["cost_usd"].as_f64().unwrap() - SONNET_COST).abs() < 1e-12);
    let sub = rows.iter().find(|s| s["id"] == "agent-3f2a").unwrap();
    assert_eq!(sub["parent_id"], SESSION);
    // Filters: another harness has none; a date after the last activity has none.
    assert_eq!(
        run(data.path(), &["sessions", "--json", "--harness", "codex"]),
        serde_json::json!([])
    );
    let since = run(
        data.path(),
        &["sessions", "--json", "--since", "2026-11-24"],
    );
    assert_eq!(since.as_array().unwrap().len(), 0);
    let since = run(
        data.path(),
        &["sessions", "--json", "--since", "2026-11-23"],
    );
    assert_eq!(since.as_array().unwrap().len(), 2);
}

#[test]
fn usage_groups_like_ccusage() {
    let data = tempfile::tempdir().unwrap();
    let by_session = run(data.path(), &["usage", "--by", "session", "--json"]);
    let sessions = by_session["sessions"].as_array().unwrap();
    assert_eq!(sessions.len(), 1, "the sub-agent counts in its parent");
    assert_eq!(sessions[0]["sessionId"], SESSION);
    assert_eq!(tokens(&sessions[0]), [920, 254, 5300, 29000]);
    assert_eq!(sessions[0]["totalTokens"], 920 + 254 + 5300 + 29000);
    let cost = sessions[0]["totalCost"].as_f64().unwrap();
    assert!((cost - SONNET_COST - HAIKU_COST).abs() < 1e-12, "{cost}");

    let daily = run(data.path(), &["usage", "--json"]);
    let days = daily["daily"].as_array().unwrap();
    assert_eq!(days.len(), 1);
    assert_eq!(days[0]["date"], "2026-11-23");
    assert_eq!(tokens(&daily["totals"]), [920, 254, 5300, 29000]);

    let models = run(data.path(), &["usage", "--by", "model", "--json"]);
    let models = models["models"].as_array().unwrap();
    let by_name = |n: &str| models.iter().find(|m| m["model"] == n).unwrap();
    assert_eq!(
        tokens(by_name("claude-sonnet-4-5-20250929")),
        [20, 224, 5300, 29000]
    );
    assert_eq!(
        tokens(by_name("claude-haiku-4-5-20251001")),
        [900, 30, 0, 0]
    );

    let projects = run(data.path(), &["usage", "--by", "project", "--json"]);
    assert_eq!(projects["projects"][0]["project"], "/home/dev/api");
}

/// `sessionscope ARGS` over a Claude Code root `claude` alone: its stdout.
fn table(claude: &Path, data: &Path, args: &[&str]) -> String {
    String::from_utf8(output_on(claude, data, args)).unwrap()
}

#[test]
fn both_tables_print_a_title_without_its_escapes() {
    let dir = tempfile::tempdir().unwrap();
    let project = dir.path().join("claude/projects/-w-p");
    std::fs::create_dir_all(&project).unwrap();
    // A prompt that would retitle the terminal and clear it, with a line break inside.
    let prompt = r#"{"type":"user","sessionId":"5e55a000-0000-4000-8000-000000000001","timestamp":"2026-01-05T10:00:00.000Z","cwd":"/w/p","message":{"role":"user","content":"fix \u001b]0;pwned\u0007the \u001b[2Jbug\r\nnow"}}"#;
    std::fs::write(
        project.join("5e55a000-0000-4000-8000-000000000001.jsonl"),
        format!("{prompt}\n"),
    )
    .unwrap();
    let data = dir.path().join("data");
    for args in [&["sessions"][..], &["ps", "--all"]] {
        let out = table(&dir.path().join("claude"), &data, args);
        let row = out
            .lines()
            .find(|l| l.starts_with("5e55a000"))
            .unwrap_or_else(|| panic!("{args:?}: no row in {out:?}"));
        assert!(row.contains("fix the bug"), "{args:?}: {row:?}");
        assert!(
            !out.contains('\u{1b}') && !out.contains("pwned"),
            "{args:?}: {out:?}"
        );
    }
}

/// The tree `from` copied into `to`, every file last written a day ago.
fn copy_written_a_day_ago(from: &Path, to: &Path) {
    let day_ago = std::time::SystemTime::now() - std::time::Duration::from_secs(86_400);
    for entry in std::fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        let target = to.join(entry.file_name());
        if entry.file_type().unwrap().is_dir() {
            std::fs::create_dir_all(&target).unwrap();
            copy_written_a_day_ago(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), &target).unwrap();
            let file = std::fs::File::options().write(true).open(&target).unwrap();
            file.set_modified(day_ago).unwrap();
        }
    }
}

#[test]
fn the_cache_never_changes_the_answer() {
    // A copy of the fixtures written a day ago: in a fresh clone their files are as
    // new as the clone, and a run 120 s after it (the "ended" grace period of a
    // session with no process) judged the same rows waiting, then ended a moment later.
    let claude = tempfile::tempdir().unwrap();
    copy_written_a_day_ago(&fixture(), claude.path());
    let data = tempfile::tempdir().unwrap();
    let run = |args: &[&str]| run_on(claude.path(), data.path(), args);
    let cold = run(&["sessions", "--json", "--no-cache"]);
    let first = run(&["sessions", "--json"]);
    assert!(data.path().join("index.sqlite3").exists());
    let warm = run(&["sessions", "--json"]);
    std::fs::write(
        data.path().join("index.sqlite3"),
        b"\x00garbage, not SQLite",
    )
    .unwrap();
    let rebuilt = run(&["sessions", "--json"]);
    // status_since depends on the time of the run for rows without activity; none here.
    for v in [&first, &warm, &rebuilt] {
        assert_eq!(v, &cold);
    }
}

#[test]
fn search_finds_prompts_answers_and_tool_output() {
    let data = tempfile::tempdir().unwrap();
    let hits = run(data.path(), &["search", "limiter", "--json"]);
    let hits = hits.as_array().unwrap();
    assert_eq!(hits.len(), 2, "{hits:?}");
    // Newest first: the answer (12:00:15) before the prompt (12:00:00).
    assert_eq!(hits[0]["role"], "assistant");
    assert_eq!(hits[1]["role"], "user");
    assert_eq!(hits[1]["session_key"], format!("claude-code:{SESSION}"));
    // Every word must occur: only the prompt has both.
    let both = run(data.path(), &["search", "rate", "limiter", "--json"]);
    assert_eq!(both.as_array().unwrap().len(), 1);
    assert!(both[0]["snippet"]
        .as_str()
        .unwrap()
        .contains("[rate] [limiter]"));
    let tool = run(data.path(), &["search", "\"tests failed\"", "--json"]);
    assert_eq!(tool[0]["role"], "tool");
    let none = run(data.path(), &["search", "\"failed tests\"", "--json"]);
    assert_eq!(none, serde_json::json!([]));
}

/// One `--since` grammar for every command (issue 20): gptme-sessions' spellings work
/// here too, and windows older than the calendar mean "everything" instead of a panic.
#[test]
fn since_takes_one_grammar_and_never_panics() {
    let data = tempfile::tempdir().unwrap();
    let all_tokens = tokens(&run(data.path(), &["usage", "--json"])["totals"]);
    for huge in [
        "9999999999999w",
        "100000000",
        "2 hours ago",
        "all",
        "2026-11-01",
    ] {
        let usage = run(data.path(), &["usage", "--json", "--since", huge]);
        let sessions = run(data.path(), &["sessions", "--json", "--since", huge]);
        let hits = run(
            data.path(),
            &["search", "limiter", "--json", "--since", huge],
        );
        if huge == "2 hours ago" {
            // The fixtures are from 2026-11-24: nothing is that recent.
            assert_eq!(hits, serde_json::json!([]));
            continue;
        }
        assert_eq!(tokens(&usage["totals"]), all_tokens, "{huge}");
        assert_eq!(sessions.as_array().unwrap().len(), 2, "{huge}");
        assert_eq!(hits.as_array().unwrap().len(), 2, "{huge}");
    }
    let empty = tempfile::tempdir().unwrap();
    let bad = Command::new(env!("CARGO_BIN_EXE_sessionscope"))
        .args(["usage", "--since", "7y"])
        .env("HOME", empty.path())
        .env("SESSIONSCOPE_DATA_DIR", data.path())
        .output()
        .unwrap();
    assert!(!bad.status.success());
    assert!(String::from_utf8_lossy(&bad.stderr).contains("'7y' for '--since'"));
}

/// Issue 20, item 5: a Gemini chat over the whole-file cap (64 MiB) is not searched,
/// and `search` says so on stderr, with `--json` still one array on stdout.
#[test]
fn search_names_a_transcript_too_large_to_read() {
    use std::io::Write;
    let data = tempfile::tempdir().unwrap();
    let gemini = tempfile::tempdir().unwrap();
    let chats = gemini
        .path()
        .join("5d41402abc4b2a76b9719d911017c592")
        .join("chats");
    std::fs::create_dir_all(&chats).unwrap();
    let big = chats.join("session-2026-11-20T10-00-big00000.json");
    let mut f = std::io::BufWriter::new(std::fs::File::create(&big).unwrap());
    f.write_all(br#"{"sessionId":"big","messages":[{"id":"m1","type":"user","content":""#)
        .unwrap();
    let block = "lorem ipsum ".repeat(1 << 16);
    for _ in 0..(65 << 20) / block.len() + 1 {
        f.write_all(block.as_bytes()).unwrap();
    }
    f.write_all(br#" needle"}]}"#).unwrap();
    f.flush().unwrap();
    drop(f);
    let empty = tempfile::tempdir().unwrap();
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_sessionscope"));
    cmd.args(["search", "needle", "--json"])
        .env("HOME", empty.path())
        .env("SESSIONSCOPE_DATA_DIR", data.path())
        .env("GEMINI_DATA_DIR", gemini.path());
    for var in [
        "CLAUDE_CONFIG_DIR",
        "CODEX_HOME",
        "GPTME_LOGS_DIR",
        "OPENCODE_DATA_DIR",
        "COPILOT_STATE_DIR",
    ] {
        cmd.env(var, empty.path().join("none"));
    }
    let out = cmd.output().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{stderr}");
    let hits: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(hits, serde_json::json!([]));
    assert!(
        stderr.contains(&format!(
            "not searched: {}: too large to read (66 MiB; files over 64 MiB are not read whole)",
            big.display()
        )),
        "{stderr}"
    );
}
