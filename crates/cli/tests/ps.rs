//! `sessionscope ps` run as a subprocess against the Claude Code fixtures in
//! `tests/fixtures/claude-cli` (totals counted by hand in its README).

use std::path::{Path, PathBuf};
use std::process::Command;

/// A copy of the fixtures whose files were last written on 2026-11-21, as if the
/// agents had stopped then (a fresh clone would otherwise make them look just written).
fn fixture_dir() -> (tempfile::TempDir, PathBuf) {
    let src = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../tests/fixtures/claude-cli");
    let tmp = tempfile::tempdir().unwrap();
    let dst = tmp.path().join("claude");
    copy_tree(&src, &dst);
    (tmp, dst)
}

fn copy_tree(src: &Path, dst: &Path) {
    std::fs::create_dir_all(dst).unwrap();
    let old = std::time::UNIX_EPOCH + std::time::Duration::from_secs(1_795_000_000);
    for entry in std::fs::read_dir(src).unwrap() {
        let entry = entry.unwrap();
        let to = dst.join(entry.file_name());
        if entry.file_type().unwrap().is_dir() {
            copy_tree(&entry.path(), &to);
        } else {
            std::fs::copy(entry.path(), &to).unwrap();
            std::fs::File::options()
                .write(true)
                .open(&to)
                .unwrap()
                .set_modified(old)
                .unwrap();
        }
    }
}

/// Run `sessionscope ps` with only a Claude root (every other agent's root points at
/// an empty directory, so the machine's own agents never leak into the test), and its
/// cache in a directory of its own.
fn ps(claude_dir: &Path, args: &[&str]) -> std::process::Output {
    let empty = tempfile::tempdir().unwrap();
    ps_with_data(claude_dir, &empty.path().join("data"), args)
}

/// [`ps`] with Sessionscope's data directory (Settings and the cache) at `data_dir`.
fn ps_with_data(claude_dir: &Path, data_dir: &Path, args: &[&str]) -> std::process::Output {
    let empty = tempfile::tempdir().unwrap();
    let e = empty.path();
    Command::new(env!("CARGO_BIN_EXE_sessionscope"))
        .arg("ps")
        .args(args)
        .env("SESSIONSCOPE_DATA_DIR", data_dir)
        .env("CLAUDE_CONFIG_DIR", claude_dir)
        .env("CODEX_HOME", e.join("codex"))
        .env("GPTME_LOGS_DIR", e.join("gptme"))
        .env("GEMINI_DATA_DIR", e.join("gemini"))
        .env("OPENCODE_DATA_DIR", e.join("opencode"))
        .env("COPILOT_STATE_DIR", e.join("copilot"))
        .output()
        .expect("sessionscope runs")
}

fn ps_json(claude_dir: &Path) -> serde_json::Value {
    let out = ps(claude_dir, &["--all", "--json"]);
    assert!(
        out.status.success(),
        "stderr: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).expect("valid JSON")
}

#[test]
fn ps_reads_the_folders_added_in_settings_as_the_app_does() {
    let (tmp, dir) = fixture_dir();
    // Claude's own root is empty; the fixtures are a folder added in Settings.
    let own = tmp.path().join("own-claude");
    std::fs::create_dir_all(&own).unwrap();
    let data = tmp.path().join("data");
    std::fs::create_dir_all(&data).unwrap();
    let settings = serde_json::json!({
        "extra_roots": [{ "harness": "claude-code", "path": dir.join("projects") }]
    });
    std::fs::write(data.join("settings.json"), settings.to_string()).unwrap();
    let out = ps_with_data(&own, &data, &["--all", "--json"]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["sessions"].as_array().unwrap().len(), 3, "{v}");
    // Without the settings file the same command finds nothing.
    std::fs::remove_file(data.join("settings.json")).unwrap();
    let out = ps_with_data(&own, &data, &["--all", "--json"]);
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["sessions"].as_array().unwrap().len(), 0, "{v}");
}

#[test]
fn ps_lists_every_fixture_session_with_hand_counted_totals() {
    let (_tmp, dir) = fixture_dir();
    let v = ps_json(&dir);
    let sessions = v["sessions"].as_array().unwrap();
    assert_eq!(sessions.len(), 3);
    assert_eq!(v["counts"]["total"], 3);

    let shop = sessions
        .iter()
        .find(|s| s["id"] == "0d6f9f0e-1234-4abc-9def-00000000c0de")
        .expect("shop session");
    assert_eq!(shop["harness"], "claude-code");
    assert_eq!(shop["title"], "Add checkout discount codes");
    assert_eq!(shop["project"], "/home/dev/shop");
    assert_eq!(shop["git_branch"], "feature/discounts");
    assert_eq!(shop["model"], "claude-sonnet-4-5-20250929");
    assert_eq!(shop["user_messages"], 1);
    assert_eq!(shop["assistant_messages"], 2);
    assert_eq!(shop["tool_calls"], 1);
    assert_eq!(shop["usage"]["input_tokens"], 400);
    assert_eq!(shop["usage"]["output_tokens"], 70);
    assert_eq!(shop["usage"]["cache_creation_tokens"], 2000);
    assert_eq!(shop["usage"]["cache_read_tokens"], 2000);
    // The torn last line is still being written: not an error yet.
    assert_eq!(shop["parse_errors"], 0);
    // Last written days ago, with no agent running: ended.
    assert_eq!(shop["status"], "ended");

    let api = sessions
        .iter()
        .find(|s| s["id"] == "3b1d2c3e-aaaa-4bbb-8ccc-0123456789ab")
        .expect("api session");
    assert_eq!(api["title"], "Why does /health return 500?");
    assert_eq!(api["parse_errors"], 1);
    assert_eq!(api["tool_calls"], 1);

    let sub = sessions
        .iter()
        .find(|s| s["id"] == "agent-7f3e")
        .expect("sub-agent");
    assert_eq!(sub["parent_id"], "3b1d2c3e-aaaa-4bbb-8ccc-0123456789ab");
    assert_eq!(sub["model"], "claude-haiku-4-5");
}

#[test]
fn ps_without_all_hides_ended_sessions_and_says_where_it_looked() {
    let (_tmp, dir) = fixture_dir();
    let out = ps(&dir, &[]);
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success());
    assert!(text.contains("3 sessions"), "{text}");
    assert!(text.contains("No live sessions"), "{text}");
    assert!(
        text.contains(&dir.join("projects").display().to_string()),
        "{text}"
    );
}

#[test]
fn ps_handles_a_missing_root() {
    let dir = tempfile::tempdir().unwrap();
    let v = ps_json(&dir.path().join("never-created"));
    assert_eq!(v["sessions"].as_array().unwrap().len(), 0);
}
