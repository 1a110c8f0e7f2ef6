//! Signals of small inline trajectories of each format.

use super::*;

fn run(lines: &[&str]) -> Analysis {
    analyze(&parse_lines(&lines.join("\n")))
}

#[test]
fn gptme_tools_writes_commits_errors() {
    let a = run(&[
        r#"{"role":"system","content":"You are gptme.","timestamp":"2026-11-20T10:00:00+00:00"}"#,
        r#"{"role":"user","content":"fix it","timestamp":"2026-11-20T10:00:01+00:00"}"#,
        "{\"role\":\"assistant\",\"content\":\"ok\\n@save(c1): {\\\"path\\\": \\\"src/a.py\\\"}\\n@shell(c2): git commit\",\"timestamp\":\"2026-11-20T10:00:05+00:00\",\"metadata\":{\"model\":\"m\",\"usage\":{\"input_tokens\":10,\"output_tokens\":5},\"timings\":{\"ttft_ms\":100,\"gen_ms\":50}}}",
        r#"{"role":"system","content":"[main abc1234] feat: add a\n 1 file changed","timestamp":"2026-11-20T10:01:00+00:00"}"#,
        r#"{"role":"system","content":"Error: boom","timestamp":"2026-11-20T10:01:30+00:00"}"#,
        "torn {\"role\":",
    ]);
    let s = &a.signals;
    assert_eq!(s.format, Format::Gptme);
    assert_eq!(s.tool_calls, vec![("save".into(), 1), ("shell".into(), 1)]);
    assert_eq!(s.steps, 1);
    assert_eq!(s.error_count, 1);
    assert_eq!(s.git_commits, vec!["feat: add a (abc1234)"]);
    assert_eq!(s.file_writes, vec!["src/a.py"]);
    assert_eq!(s.session_duration_s, Some(90));
    assert!(a.productive);
    // One commit: 0.60; 1 error in 2 tools: -0.10.
    assert_eq!(a.grade, 0.5);
    assert_eq!(a.inferred_category.as_deref(), Some("code"));
    assert_eq!(a.usage("total_tokens"), Some(&PyValue::Int(15)));
    assert_eq!(a.timing("ttft_ms_avg"), Some(&PyValue::Float(100.0)));
}

#[test]
fn claude_code_github_work_and_timing() {
    let a = run(&[
        r#"{"type":"user","timestamp":"2026-11-20T10:00:00Z","message":{"content":"go"}}"#,
        r#"{"type":"assistant","timestamp":"2026-11-20T10:00:10Z","message":{"model":"claude-x","usage":{"input_tokens":5,"output_tokens":2},"content":[{"type":"tool_use","id":"t1","name":"Bash","input":{"command":"gh pr create --fill"}},{"type":"tool_use","id":"t2","name":"Bash","input":{"command":"gh pr merge 7 --repo o/r --squash"}}]}}"#,
        r#"{"type":"user","timestamp":"2026-11-20T10:00:30Z","message":{"content":[{"type":"tool_result","tool_use_id":"t1","content":"https://github.com/o/r/pull/7"},{"type":"tool_result","tool_use_id":"t2","content":[{"type":"text","text":"Squashed and merged pull request #7 (x)"}]}]}}"#,
    ]);
    let s = &a.signals;
    assert_eq!(s.format, Format::ClaudeCode);
    let gh = s.gh.as_ref().unwrap();
    assert_eq!(gh.prs_submitted, vec!["PR #7"]);
    assert_eq!(gh.pr_merges, vec!["PR #7"]);
    assert_eq!(gh.gh_interactions, 1);
    let t = s.timing.as_ref().unwrap();
    // Two calls dispatched together, 20 s: 10 s each.
    assert_eq!(t.total, vec![("Bash".into(), 20.0)]);
    assert_eq!(t.max, vec![("Bash".into(), 10.0)]);
    assert_eq!(s.deliverables, vec!["merge PR #7"]);
    assert!(a.productive);
    // 1.2 + 1.5 = 2.7 units: 0.78.
    assert_eq!(a.grade, 0.78);
}

#[test]
fn formats_are_detected_from_the_first_record() {
    let f = |l: &str| Format::detect(&parse_lines(l));
    assert_eq!(
        f(r#"{"type":"session_meta","payload":{"originator":"codex_exec"}}"#),
        Format::Codex
    );
    assert_eq!(
        f(r#"{"type":"session_meta","payload":{"originator":"codex_cli_rs"}}"#),
        Format::Gptme
    );
    assert_eq!(
        f(r#"{"type":"session.start","data":{"producer":"copilot-agent"}}"#),
        Format::Copilot
    );
    assert_eq!(f(r#"{"type":"available_commands"}"#), Format::Grok);
    assert_eq!(
        f("{\"type\":\"x\"}\n{\"type\":\"result\"}"),
        Format::ClaudeCode
    );
    assert_eq!(f(""), Format::Gptme);
}

#[test]
fn bad_input_never_panics() {
    for text in [
        "",
        "\n\n",
        "[1,2]\n3\n\"s\"\nnull",
        "{\"role\": 5, \"content\": [1, {\"a\": null}], \"timestamp\": 7}",
        "{\"type\":\"assistant\",\"message\":{\"content\":[{\"type\":\"tool_use\",\"name\":5,\"input\":[]}]}}",
        "{\"type\":\"user\",\"message\":{\"content\":[{\"type\":\"tool_result\",\"content\":{\"x\":1}}]}}",
        "{\"type\":\"session_meta\",\"payload\":{\"originator\":\"codex_exec\"}}\n{\"type\":\"response_item\",\"payload\":{\"type\":\"function_call\",\"name\":\"exec_command\",\"arguments\":\"{not json\"}}",
        "{\"type\":\"available_commands\"}\n{\"type\":\"tool_call_update\",\"status\":\"completed\",\"rawOutput\":[]}",
    ] {
        let a = run(&[text]);
        assert!((0.0..=1.0).contains(&a.grade));
    }
    let huge = format!(
        "{{\"role\":\"assistant\",\"content\":\"{}\"}}",
        "x".repeat(5_000_000)
    );
    assert_eq!(run(&[&huge]).signals.tool_calls.len(), 0);
    let deep = "[".repeat(100_000);
    assert!(parse_lines(&deep).is_empty());
}

#[test]
fn unreadable_files_are_errors() {
    let dir = tempfile::tempdir().unwrap();
    let bad = dir.path().join("bad.jsonl");
    std::fs::write(&bad, b"{\"role\":\"user\",\"content\":\"\xff\"}\n").unwrap();
    assert!(matches!(
        parse_trajectory(&bad),
        Err(TrajectoryError::NotUtf8(_))
    ));
    assert!(matches!(
        parse_trajectory(&dir.path().join("nope.jsonl")),
        Err(TrajectoryError::NotFound(_))
    ));
    assert!(matches!(
        analyze_path(dir.path()),
        Err(TrajectoryError::DirectoryWithoutConversation(_))
    ));
}
