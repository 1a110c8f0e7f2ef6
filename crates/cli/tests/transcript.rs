//! `sessionscope transcript`: the binary finds a session by id prefix among every
//! harness's fixture root (each agent's environment variable set) and prints its
//! transcript as text or JSON. Expected entries are written by hand from the fixtures.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn fixtures() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../tests/fixtures")
}

/// Run the binary with every agent pointed at `roots` (a harness absent from it gets
/// an empty directory).
fn run(args: &[&str], claude_dir: Option<&Path>) -> Output {
    let f = fixtures();
    let home = tempfile::tempdir().unwrap();
    let empty = home.path().join("empty");
    std::fs::create_dir_all(&empty).unwrap();
    let claude = claude_dir
        .map(Path::to_path_buf)
        .unwrap_or(f.join("claude"));
    Command::new(env!("CARGO_BIN_EXE_sessionscope"))
        .arg("transcript")
        .args(args)
        .env("HOME", home.path())
        .env("XDG_DATA_HOME", home.path().join("data"))
        .env("XDG_CONFIG_HOME", home.path().join("config"))
        .env("CLAUDE_CONFIG_DIR", claude)
        .env("CODEX_HOME", f.join("codex"))
        .env("GPTME_LOGS_DIR", f.join("gptme"))
        .env("GEMINI_DATA_DIR", f.join("gemini/tmp"))
        .env("OPENCODE_DATA_DIR", f.join("opencode"))
        .env("COPILOT_STATE_DIR", f.join("copilot"))
        .output()
        .expect("run sessionscope")
}

fn stdout_ok(out: &Output) -> String {
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout.clone()).expect("UTF-8 output")
}

/// `(kind, text)` of every entry of a `--json` transcript.
fn entries_of(id: &str) -> Vec<(String, String)> {
    let out = stdout_ok(&run(&[id, "--json"], None));
    let v: serde_json::Value = serde_json::from_str(&out).expect("JSON");
    v["entries"]
        .as_array()
        .expect("entries")
        .iter()
        .map(|e| {
            (
                e["kind"].as_str().unwrap().to_string(),
                e["text"].as_str().unwrap().to_string(),
            )
        })
        .collect()
}

fn pairs(list: &[(&str, &str)]) -> Vec<(String, String)> {
    list.iter()
        .map(|(k, t)| (k.to_string(), t.to_string()))
        .collect()
}

#[test]
fn claude_transcript_reads_in_order_with_tools_and_usage() {
    let out = stdout_ok(&run(&["6c1e"], None));
    let expected_in_order = [
        "claude-code session 6c1e2f3a-8b4d-4e5f-9a0b-1c2d3e4f5a60 · /home/dev/api",
        "#0 2026-11-23 12:00:00 user\nAdd a login rate limiter",
        "#1 2026-11-23 12:00:04 thinking · claude-sonnet-4-5-20250929 · tokens 12 in, 4 out, 12000 cache read, 5000 cache write\nplan",
        "#2 2026-11-23 12:00:05 tool call Bash [toolu_1] · claude-sonnet-4-5-20250929\n{\n  \"command\": \"cargo test\"\n}",
        "#3 2026-11-23 12:00:09 tool result [toolu_1] FAILED\nerror: 2 tests failed",
        "#4 2026-11-23 12:00:15 assistant",
        "Added the limiter; two old tests need updating.",
        "(1 unreadable record skipped)",
    ];
    let mut rest = out.as_str();
    for want in expected_in_order {
        let at = rest
            .find(want)
            .unwrap_or_else(|| panic!("{want:?} missing (in order) from:\n{out}"));
        rest = &rest[at + want.len()..];
    }
}

#[test]
fn every_harness_has_its_transcript() {
    assert_eq!(
        entries_of("019a0c11-1111"),
        pairs(&[
            (
                "system",
                "<environment_context>\n  <cwd>/home/dev/api</cwd>\n</environment_context>"
            ),
            ("user", "Run the test suite and fix\nwhatever fails"),
            ("tool-call", ""),
            ("tool-result", "test result: FAILED. 11 passed; 1 failed"),
            ("system", "Token usage of the model call"),
            (
                "assistant",
                "One test fails because the fixture path moved; fixed it."
            ),
            ("system", "Token usage of the model call"),
        ])
    );
    assert_eq!(
        entries_of("2026-11-20-quick-fox")[..3],
        pairs(&[
            ("user", "Count the TODOs in this repo"),
            (
                "assistant",
                "Let me search.\n```shell\ngrep -rn TODO . | wc -l\n```"
            ),
            (
                "tool-result",
                "Ran command: `grep -rn TODO . | wc -l`\n```stdout\n17\n```"
            ),
        ])
    );
    assert_eq!(
        entries_of("helper-7c1d"),
        pairs(&[
            ("user", "find the css variables"),
            ("assistant", "Found 12."),
        ])
    );
    assert_eq!(
        entries_of("ses_b"),
        pairs(&[
            ("user", "Map the payment module"),
            ("assistant", "It has four files."),
        ])
    );
    assert_eq!(
        entries_of("ses_old"),
        pairs(&[
            ("user", "Why does the build fail on CI?"),
            ("assistant", "Missing env var."),
        ])
    );
    assert_eq!(
        entries_of("3f6c9a52-1b7e-4c0a-9d55-2a8e71f0c002"),
        pairs(&[
            ("system", "Model changed to gpt-5-mini"),
            ("user", "why is the build slow?"),
        ])
    );
}

#[test]
fn long_texts_are_cut_unless_full_and_ansi_is_stripped() {
    let dir = tempfile::tempdir().unwrap();
    let project = dir.path().join("projects/-home-dev-big");
    std::fs::create_dir_all(&project).unwrap();
    let long = "0123456789".repeat(4000); // 40,000 bytes
    let line = format!(
        r#"{{"type":"user","sessionId":"b1g00000-0000-4000-8000-000000000000","timestamp":"2026-11-24T10:00:00.000Z","message":{{"role":"user","content":"\u001b[31mred\u001b[0m {long}"}}}}"#
    );
    std::fs::write(
        project.join("b1g00000-0000-4000-8000-000000000000.jsonl"),
        format!("{line}\n"),
    )
    .unwrap();
    let cut = stdout_ok(&run(&["b1g"], Some(dir.path())));
    assert!(
        cut.contains("#0 2026-11-24 10:00:00 user\nred 0123456789"),
        "{cut}"
    );
    assert!(!cut.contains('\u{1b}'), "escape sequences are removed");
    // 3 + 2 * 4 bytes of escapes, "red ", and the 40,000 digits.
    assert!(
        cut.contains("[… cut; 40013 bytes in full: use --full]"),
        "{cut}"
    );
    assert!(!cut.contains(&long));
    let full = stdout_ok(&run(&["b1g", "--full"], Some(dir.path())));
    assert!(full.contains(&format!("red {long}\n")));
    assert!(!full.contains("cut;"));
}

#[test]
fn last_prints_only_the_final_entries_with_their_numbers() {
    let out = stdout_ok(&run(&["ses_a", "--last", "2"], None));
    assert!(!out.contains("#3 "), "{out}");
    assert!(
        out.contains("#4 2026-11-22 07:00:09 tool result bash [toolu_2] FAILED\nexit 1"),
        "{out}"
    );
    assert!(
        out.contains("#5 2026-11-22 07:00:21 assistant · claude-sonnet-4-5"),
        "{out}"
    );
    assert!(out.contains("Split into three functions."));
}

#[test]
fn unknown_and_ambiguous_ids_are_clear_errors() {
    let out = run(&["zzz-no-such"], None);
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("no session id starts with \"zzz-no-such\""),
        "{err}"
    );
    assert!(err.contains("searched"), "{err}");
    // Both Copilot fixtures start like this.
    let out = run(&["3f6c9a52"], None);
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("2 sessions start with \"3f6c9a52\""), "{err}");
    assert!(
        err.contains("3f6c9a52-1b7e-4c0a-9d55-2a8e71f0c001 (copilot)"),
        "{err}"
    );
}

#[test]
fn a_cached_session_is_found_again_and_read_anew_once_it_changed() {
    // One data directory for all runs, so the cache the first run leaves is used.
    let home = tempfile::tempdir().unwrap();
    let projects = home.path().join("claude/projects/-home-dev-api");
    std::fs::create_dir_all(&projects).unwrap();
    let id = "6c1e2f3a-8b4d-4e5f-9a0b-1c2d3e4f5a60";
    let file = projects.join(format!("{id}.jsonl"));
    std::fs::copy(
        fixtures().join(format!("claude/projects/-home-dev-api/{id}.jsonl")),
        &file,
    )
    .unwrap();
    // Every run: this HOME, its data and config folders, Claude Code's folder, no other agent.
    let in_home = |args: &[&str]| -> Output {
        let none = home.path().join("none");
        Command::new(env!("CARGO_BIN_EXE_sessionscope"))
            .arg("transcript")
            .args(args)
            .env("HOME", home.path())
            .env("XDG_DATA_HOME", home.path().join("data"))
            .env("XDG_CONFIG_HOME", home.path().join("config"))
            .env("CLAUDE_CONFIG_DIR", home.path().join("claude"))
            .envs(
                [
                    "CODEX_HOME",
                    "GPTME_LOGS_DIR",
                    "GEMINI_DATA_DIR",
                    "OPENCODE_DATA_DIR",
                    "COPILOT_STATE_DIR",
                ]
                .map(|var| (var, &none)),
            )
            .output()
            .unwrap()
    };
    let run_here = |args: &[&str]| -> serde_json::Value {
        let out = in_home(&[args, &["--json"]].concat());
        serde_json::from_str(&stdout_ok(&out)).expect("JSON")
    };
    let first = run_here(&["6c1e2f3a"]);
    assert_eq!(first["session"]["id"], id);
    // Found again (now through the cache, by its start, its id or its key): the same.
    assert_eq!(run_here(&["6c1e2f3a"]), first);
    assert_eq!(run_here(&[id]), first);
    assert_eq!(run_here(&[&format!("claude-code:{id}")]), first);
    // Appended to: what the cache holds is old, so the file is read again.
    let mut f = std::fs::OpenOptions::new()
        .append(true)
        .open(&file)
        .unwrap();
    use std::io::Write;
    writeln!(
        f,
        r#"{{"type":"user","sessionId":"{id}","timestamp":"2026-11-23T12:05:00.000Z","cwd":"/home/dev/api","message":{{"role":"user","content":"one more thing"}}}}"#
    )
    .unwrap();
    drop(f);
    let later = run_here(&["6c1e2f3a"]);
    let users = |v: &serde_json::Value| v["session"]["user_messages"].as_u64().unwrap();
    assert_eq!(users(&later), users(&first) + 1);
    let last = later["entries"].as_array().unwrap().last().unwrap().clone();
    assert_eq!(last["text"], "one more thing");
    // Gone: not found, said so.
    std::fs::remove_file(&file).unwrap();
    let out = in_home(&["6c1e2f3a"]);
    assert!(!out.status.success());
}
