//! Token totals agree with ccusage 20.0.24 on every fixture root it can read.
//!
//! ccusage is installed once into the test's scratch directory with
//! `npm install --prefix <dir> ccusage@20.0.24` and run as
//! `ccusage <agent> session --json --offline` with the agent's variable pointing at a
//! copy of the fixtures. When npm or the package cannot be had (offline machine), the
//! test prints why and passes without comparing. Copilot is not compared: ccusage reads
//! Copilot's OpenTelemetry export, not the `events.jsonl` files Sessionscope reads.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;

use serde_json::Value;

const CCUSAGE: &str = "ccusage@20.0.24";

fn fixtures() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../tests/fixtures")
}

/// The ccusage binary, installing it on first use; `Err` says why it is unavailable.
fn ccusage() -> Result<PathBuf, String> {
    let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("ccusage-20.0.24");
    let bin = dir.join("node_modules/.bin/ccusage");
    if bin.exists() {
        return Ok(bin);
    }
    std::fs::create_dir_all(&dir).map_err(|e| e.to_string())?;
    let out = Command::new("npm")
        .args(["install", "--no-audit", "--no-fund", "--prefix"])
        .arg(&dir)
        .arg(CCUSAGE)
        .output()
        .map_err(|e| format!("npm not available: {e}"))?;
    if !out.status.success() || !bin.exists() {
        return Err(format!(
            "npm install {CCUSAGE} failed: {}",
            String::from_utf8_lossy(&out.stderr).trim()
        ));
    }
    Ok(bin)
}

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap().flatten() {
        let target = to.join(entry.file_name());
        if entry.file_type().unwrap().is_dir() {
            copy_dir(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), target).unwrap();
        }
    }
}

type Totals = [u64; 4];

/// ccusage's per-session totals (input, output, cache creation, cache read) and cost.
fn ccusage_totals(
    bin: &Path,
    agent: &str,
    var: &str,
    root: &Path,
    home: &Path,
) -> BTreeMap<String, (Totals, f64)> {
    let out = Command::new(bin)
        .args([agent, "session", "--json", "--offline"])
        .env("HOME", home)
        .env(var, root)
        .output()
        .expect("run ccusage");
    assert!(
        out.status.success(),
        "ccusage {agent}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let v: Value = serde_json::from_slice(&out.stdout).expect("ccusage JSON");
    let n = |s: &Value, k: &str| s[k].as_u64().unwrap_or(0);
    v["sessions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| {
            let tokens = [
                n(s, "inputTokens"),
                n(s, "outputTokens"),
                n(s, "cacheCreationTokens"),
                n(s, "cacheReadTokens"),
            ];
            // Codex reports `costUSD`, the other agents `totalCost`.
            let cost = s["totalCost"]
                .as_f64()
                .or(s["costUSD"].as_f64())
                .unwrap_or(0.0);
            (s["sessionId"].as_str().unwrap().to_string(), (tokens, cost))
        })
        .collect()
}

/// Our sessions of one harness from `sessionscope ps --all --json`.
fn our_sessions(vars: &[(&str, PathBuf)], home: &Path, harness: &str) -> Vec<Value> {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_sessionscope"));
    cmd.args(["ps", "--all", "--json"]).env("HOME", home);
    for var in [
        "CLAUDE_CONFIG_DIR",
        "CODEX_HOME",
        "GPTME_LOGS_DIR",
        "GEMINI_DATA_DIR",
        "OPENCODE_DATA_DIR",
        "COPILOT_STATE_DIR",
    ] {
        cmd.env(var, home.join("none"));
    }
    for (k, v) in vars {
        cmd.env(k, v);
    }
    let out = cmd.output().expect("run sessionscope");
    assert!(out.status.success());
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    v["sessions"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|s| s["harness"] == harness)
        .cloned()
        .collect()
}

fn usage(s: &Value) -> Totals {
    let u = &s["usage"];
    let n = |k: &str| u[k].as_u64().unwrap_or(0);
    [
        n("input_tokens"),
        n("output_tokens"),
        n("cache_creation_tokens"),
        n("cache_read_tokens"),
    ]
}

fn add(a: &mut Totals, b: Totals) {
    for i in 0..4 {
        a[i] += b[i];
    }
}

#[test]
fn token_totals_equal_ccusage_on_every_fixture_root() {
    let bin = match ccusage() {
        Ok(b) => b,
        Err(why) => {
            eprintln!("skipped: ccusage comparison not run: {why}");
            return;
        }
    };
    let tmp = tempfile::tempdir().unwrap();
    let home = tmp.path().join("home");
    std::fs::create_dir_all(&home).unwrap();
    let copy = tmp.path().join("fixtures");
    copy_dir(&fixtures(), &copy);

    // (ccusage agent, variable, root for both tools, our harness, how ids relate)
    let cases = [
        (
            "claude",
            "CLAUDE_CONFIG_DIR",
            copy.join("claude"),
            "claude-code",
        ),
        ("codex", "CODEX_HOME", copy.join("codex"), "codex"),
        (
            "gemini",
            "GEMINI_DATA_DIR",
            copy.join("gemini/tmp"),
            "gemini",
        ),
        (
            "opencode",
            "OPENCODE_DATA_DIR",
            copy.join("opencode"),
            "opencode",
        ),
    ];
    for (agent, var, root, harness) in cases {
        let theirs = ccusage_totals(&bin, agent, var, &root, &home);
        assert!(!theirs.is_empty(), "ccusage found no {agent} sessions");
        let ours = our_sessions(&[(var, root.clone())], &home, harness);
        // Group ours the way ccusage keys sessions.
        let mut grouped: BTreeMap<String, (Totals, f64)> = BTreeMap::new();
        for s in &ours {
            let id = s["id"].as_str().unwrap();
            let key = match agent {
                // ccusage counts a Claude sub-agent's usage in its parent session.
                "claude" => s["parent_id"].as_str().unwrap_or(id).to_string(),
                // ccusage keys Codex sessions by the rollout path under sessions/.
                "codex" => theirs
                    .keys()
                    .find(|k| k.ends_with(id))
                    .cloned()
                    .unwrap_or_else(|| id.to_string()),
                _ => id.to_string(),
            };
            let entry = grouped.entry(key).or_default();
            add(&mut entry.0, usage(s));
            entry.1 += s["cost_usd"].as_f64().unwrap_or(0.0);
        }
        for (id, (tokens, cost)) in &theirs {
            let (our_tokens, our_cost) = grouped.get(id).copied().unwrap_or_default();
            assert_eq!(
                &our_tokens, tokens,
                "{agent} session {id}: tokens, ours vs ccusage"
            );
            assert!(
                (our_cost - cost).abs() <= 1e-12 + cost.abs() * 1e-9,
                "{agent} session {id}: cost {our_cost} vs ccusage {cost}"
            );
            eprintln!("{agent} {id}: tokens {tokens:?}, cost ${cost} — equal");
        }
        for (id, (tokens, _)) in &grouped {
            if !theirs.contains_key(id) {
                assert_eq!(
                    *tokens, [0; 4],
                    "{agent} session {id} has usage ccusage does not see"
                );
            }
        }
    }
}
