//! `sessionscope serve --stdio` driven directly on its stdin and stdout (no ssh): the
//! hello and snapshot come first, bad request lines get an error reply (under their
//! own id when they have one, so the asker fails at once) and change nothing, the
//! record store is read with a query's filters, a session is recorded only with a yes
//! naming it, a kill whose confirmation does not name the plan's targets is refused, and
//! closing stdin ends it. The Claude Code fixtures (`tests/fixtures/claude-cli`) are
//! its agent data.

use std::io::{BufRead, BufReader, Write};
use std::path::PathBuf;
use std::process::{Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use serde_json::Value;

#[test]
fn serve_answers_refuses_and_ends_with_its_stdin() {
    let tmp = tempfile::tempdir().unwrap();
    let empty = tmp.path().join("empty");
    let claude = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../tests/fixtures/claude-cli");
    let store = tmp.path().join("records");
    std::fs::create_dir_all(&store).unwrap();
    std::fs::write(
        store.join("session-records.jsonl"),
        concat!(
            r#"{"session_id":"feed0001","timestamp":"2026-01-02T03:04:05+00:00","harness":"gptme","outcome":"productive"}"#,
            "\n",
            r#"{"session_id":"cafe0002","timestamp":"2026-01-02T04:04:05+00:00","harness":"codex","outcome":"noop"}"#,
            "\n"
        ),
    )
    .unwrap();
    let mut child = Command::new(env!("CARGO_BIN_EXE_sessionscope"))
        .args(["serve", "--stdio"])
        .env("HOME", tmp.path())
        .env("SESSIONSCOPE_DATA_DIR", tmp.path().join("data"))
        .env("CLAUDE_CONFIG_DIR", &claude)
        .env("CODEX_HOME", &empty)
        .env("GPTME_LOGS_DIR", &empty)
        .env("GEMINI_DATA_DIR", &empty)
        .env("OPENCODE_DATA_DIR", &empty)
        .env("COPILOT_STATE_DIR", &empty)
        .env("GPTME_SESSIONS_DIR", &store)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let (tx, rx) = mpsc::channel::<Value>();
    let out = child.stdout.take().unwrap();
    std::thread::spawn(move || {
        for line in BufReader::new(out).lines() {
            let Ok(line) = line else { return };
            let v: Value = serde_json::from_str(&line).expect("every line is JSON");
            let _ = tx.send(v);
        }
    });
    let next = || rx.recv_timeout(Duration::from_secs(10)).expect("a line");
    let hello = next();
    assert_eq!(hello["type"], "hello");
    assert_eq!(
        hello["protocol"],
        sessionscope_core::remote::protocol::PROTOCOL_VERSION
    );
    let snapshot = next();
    assert_eq!(snapshot["type"], "snapshot");
    assert_eq!(
        snapshot["snapshot"]["sessions"].as_array().unwrap().len(),
        3
    );

    let mut stdin = child.stdin.take().unwrap();
    let kill = r#"{"id":1,"request":{"kind":"kill","plan":{"items":[{"target":{"kind":"run","run_id":"r1"},"label":"x","detail":"","signals":["terminate"]}],"skipped":[],"grace_ms":0},"confirmation":{"by":"terminal","at":"2026-01-01T00:00:00Z","host":"h","targets":[]}}}"#;
    let lines = [
        "rm -rf / # not a request".to_string(),
        kill.to_string(),
        r#"{"id":2,"request":{"kind":"runs"}}"#.to_string(),
        r#"{"id":3,"request":{"kind":"transcript","session":"0d6f9f0e","last":1,"max_text_bytes":100}}"#
            .to_string(),
        // A kind this build does not know (a newer client's): its own id, answered.
        r#"{"id":4,"request":{"kind":"teleport","to":"mars"}}"#.to_string(),
        r#"{"id":5,"request":{"kind":"records","query":{"model":null,"harness":"codex","outcome":null,"category":null,"run_type":null,"project":null,"since":"all"}}}"#
            .to_string(),
        r#"{"id":6,"request":{"kind":"record","id":"feed"}}"#.to_string(),
        // Recording a session needs a yes for exactly that session.
        r#"{"id":7,"request":{"kind":"record-session","session":"0d6f9f0e","confirmation":{"by":"dialog","at":"2026-01-01T00:00:00Z","host":"h","session":"another"}}}"#
            .to_string(),
        r#"{"id":8,"request":{"kind":"record-session","session":"0d6f9f0e","confirmation":{"by":"dialog","at":"2026-01-01T00:00:00Z","host":"h","session":"0d6f9f0e"}}}"#
            .to_string(),
    ];
    for l in &lines {
        writeln!(stdin, "{l}").unwrap();
    }
    stdin.flush().unwrap();
    let mut replies = std::collections::BTreeMap::new();
    let deadline = Instant::now() + Duration::from_secs(10);
    while replies.len() < 9 && Instant::now() < deadline {
        if let Ok(v) = rx.recv_timeout(Duration::from_millis(200)) {
            if v["type"] == "reply" {
                replies.insert(v["id"].as_u64().unwrap(), v);
            }
        }
    }
    assert!(replies[&0]["error"]
        .as_str()
        .unwrap()
        .contains("not a request"));
    assert!(
        replies[&1]["error"]
            .as_str()
            .unwrap()
            .contains("kill refused"),
        "{}",
        replies[&1]
    );
    assert_eq!(replies[&2]["answer"]["kind"], "runs");
    assert_eq!(replies[&3]["answer"]["kind"], "transcript");
    assert_eq!(
        replies[&3]["answer"]["page"]["entries"]
            .as_array()
            .unwrap()
            .len(),
        1
    );

    assert!(
        replies[&4]["error"]
            .as_str()
            .unwrap()
            .contains("not a request"),
        "{}",
        replies[&4]
    );
    assert_eq!(replies[&5]["answer"]["kind"], "records", "{}", replies[&5]);
    let records = replies[&5]["answer"]["records"].as_array().unwrap();
    let ids: Vec<&str> = records
        .iter()
        .map(|r| r["session_id"].as_str().unwrap())
        .collect();
    assert_eq!(ids, ["cafe0002"], "only the codex record");
    assert_eq!(replies[&6]["answer"]["record"]["outcome"], "productive");
    assert!(
        replies[&7]["error"]
            .as_str()
            .unwrap()
            .contains("record refused"),
        "{}",
        replies[&7]
    );
    assert_eq!(replies[&8]["answer"]["kind"], "recorded", "{}", replies[&8]);
    assert_eq!(replies[&8]["answer"]["recorded"]["already_recorded"], false);
    // The confirmed session once, nothing for the refused request.
    let store_text = std::fs::read_to_string(store.join("session-records.jsonl")).unwrap();
    let added: Vec<Value> = store_text
        .lines()
        .skip(2)
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(added.len(), 1, "{store_text}");
    assert_eq!(added[0]["harness"], "claude-code");
    assert!(added[0]["trajectory_path"]
        .as_str()
        .unwrap()
        .contains("0d6f9f0e"));

    drop(stdin);
    let t = Instant::now();
    loop {
        if child.try_wait().unwrap().is_some() {
            break;
        }
        assert!(
            t.elapsed() < Duration::from_secs(5),
            "serve outlived its stdin"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
}
