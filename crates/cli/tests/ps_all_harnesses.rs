//! `sessionscope ps` shows every harness side by side: the binary runs with each
//! agent's environment variable pointing at its fixture root, and every harness appears
//! with the model its fixture names.

use std::path::PathBuf;
use std::process::Command;

use sessionscope_core::sessions::short_id;

fn fixtures() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../tests/fixtures")
}

#[test]
fn ps_all_json_lists_all_six_harnesses_with_their_models() {
    let f = fixtures();
    let home = tempfile::tempdir().unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_sessionscope"))
        .args(["ps", "--all", "--json"])
        .env("HOME", home.path())
        .env("XDG_DATA_HOME", home.path().join("data"))
        .env("XDG_CONFIG_HOME", home.path().join("config"))
        .env("CLAUDE_CONFIG_DIR", f.join("claude"))
        .env("CODEX_HOME", f.join("codex"))
        .env("GPTME_LOGS_DIR", f.join("gptme"))
        .env("GEMINI_DATA_DIR", f.join("gemini/tmp"))
        .env("OPENCODE_DATA_DIR", f.join("opencode"))
        .env("COPILOT_STATE_DIR", f.join("copilot"))
        .output()
        .expect("run sessionscope");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).expect("JSON on stdout");
    let sessions = v["sessions"].as_array().expect("sessions array");
    let has = |harness: &str, model: &str| {
        sessions.iter().any(|s| {
            s["harness"] == harness
                && s["models"]
                    .as_array()
                    .is_some_and(|m| m.iter().any(|x| x == model))
        })
    };
    for (harness, model) in [
        ("claude-code", "claude-sonnet-4-5-20250929"),
        ("codex", "gpt-5-codex"),
        ("gptme", "anthropic/claude-sonnet-4-5"),
        ("gemini", "gemini-2.5-pro"),
        ("opencode", "claude-sonnet-4-5"),
        ("copilot", "claude-sonnet-4.5"),
    ] {
        assert!(has(harness, model), "{harness} with {model} missing");
    }
    // Every fixture session is there, and the sub-agents point at their parents.
    assert_eq!(v["counts"]["total"], 2 + 4 + 2 + 4 + 3 + 2);
    let parent_of = |id: &str| {
        sessions
            .iter()
            .find(|s| s["id"] == id)
            .map(|s| s["parent_id"].clone())
    };
    assert_eq!(parent_of("ses_b"), Some("ses_a".into()));
    assert_eq!(
        parent_of("agent-3f2a"),
        Some("6c1e2f3a-8b4d-4e5f-9a0b-1c2d3e4f5a60".into())
    );
}

#[test]
fn ps_table_names_each_harness() {
    let f = fixtures();
    let home = tempfile::tempdir().unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_sessionscope"))
        .args(["ps", "--all"])
        .env("HOME", home.path())
        .env("CLAUDE_CONFIG_DIR", f.join("claude"))
        .env("CODEX_HOME", f.join("codex"))
        .env("GPTME_LOGS_DIR", f.join("gptme"))
        .env("GEMINI_DATA_DIR", f.join("gemini/tmp"))
        .env("OPENCODE_DATA_DIR", f.join("opencode"))
        .env("COPILOT_STATE_DIR", f.join("copilot"))
        .output()
        .expect("run sessionscope");
    let text = String::from_utf8_lossy(&out.stdout);
    for harness in [
        "claude-code",
        "codex",
        "gptme",
        "gemini",
        "opencode",
        "copilot",
    ] {
        assert!(text.contains(harness), "{harness} not in:\n{text}");
    }
}

/// The ID column is the one short-id rule of core: every row's id is different, and
/// each names exactly one session, so `kill`/`transcript` can take it back. (Before,
/// three Codex rows read `019a0c11` and two gptme rows `2026-11-`.)
#[test]
fn ps_table_ids_are_distinct_and_each_names_one_session() {
    let f = fixtures();
    let home = tempfile::tempdir().unwrap();
    let run = |args: &[&str]| {
        let out = Command::new(env!("CARGO_BIN_EXE_sessionscope"))
            .args(args)
            .env("HOME", home.path())
            .env("XDG_DATA_HOME", home.path().join("data"))
            .env("XDG_CONFIG_HOME", home.path().join("config"))
            .env("CLAUDE_CONFIG_DIR", f.join("claude"))
            .env("CODEX_HOME", f.join("codex"))
            .env("GPTME_LOGS_DIR", f.join("gptme"))
            .env("GEMINI_DATA_DIR", f.join("gemini/tmp"))
            .env("OPENCODE_DATA_DIR", f.join("opencode"))
            .env("COPILOT_STATE_DIR", f.join("copilot"))
            .output()
            .expect("run sessionscope");
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8(out.stdout).unwrap()
    };
    let v: serde_json::Value = serde_json::from_str(&run(&["ps", "--all", "--json"])).unwrap();
    let ids: Vec<String> = v["sessions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["id"].as_str().unwrap().to_string())
        .collect();
    let table = run(&["ps", "--all"]);
    let shown: Vec<&str> = table
        .lines()
        .skip_while(|l| !l.starts_with("ID "))
        .skip(1)
        .map(|l| l.split_whitespace().next().unwrap())
        .collect();
    assert_eq!(shown.len(), ids.len(), "{table}");
    let distinct: std::collections::HashSet<_> = shown.iter().collect();
    assert_eq!(distinct.len(), shown.len(), "ids repeat:\n{table}");
    for short in &shown {
        let named: Vec<_> = ids
            .iter()
            .filter(|id| short_id::matches(id, short))
            .collect();
        assert_eq!(named.len(), 1, "{short} names {named:?}");
    }
    // The rule skips gptme's date prefix instead of showing it.
    assert!(!shown.iter().any(|s| s.starts_with("2026-11-")), "{table}");
}
