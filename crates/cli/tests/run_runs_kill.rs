//! `sessionscope run`, `runs` and `kill` as a user calls them: the real binary, a
//! temporary data directory (SESSIONSCOPE_DATA_DIR) and an empty agent config dir, so
//! nothing outside the test is read or touched.

use std::path::Path;
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

use serde_json::Value;

fn sessionscope(data: &Path) -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_sessionscope"));
    // Every agent root points into the temp dir: nothing of this machine's agents is read.
    cmd.env("SESSIONSCOPE_DATA_DIR", data.join("data"))
        .env("HOME", data.join("home"))
        .env("XDG_DATA_HOME", data.join("home/data"))
        .env("XDG_CONFIG_HOME", data.join("home/config"))
        .env("CLAUDE_CONFIG_DIR", data.join("no-agents"))
        .env("CODEX_HOME", data.join("no-agents/codex"))
        .env("GPTME_LOGS_DIR", data.join("no-agents/gptme"))
        .env("GEMINI_DATA_DIR", data.join("no-agents/gemini"))
        .env("OPENCODE_DATA_DIR", data.join("no-agents/opencode"))
        .env("COPILOT_STATE_DIR", data.join("no-agents/copilot"))
        .env_remove("LINES")
        .env_remove("COLUMNS")
        .stdin(Stdio::null());
    cmd
}

fn output(cmd: &mut Command) -> Output {
    cmd.output().expect("the binary runs")
}

fn runs_json(data: &Path) -> Vec<Value> {
    let out = output(sessionscope(data).args(["runs", "--json"]));
    assert!(out.status.success(), "{out:?}");
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    v["runs"].as_array().unwrap().clone()
}

/// A background `sessionscope run`, killed and reaped if a test fails before it ends.
struct BackgroundRun(Child);

impl Drop for BackgroundRun {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// A command that waits 30 s: `sleep 30`, or on Windows `ping` (cmd has no sleep).
const SLEEP_30: &[&str] = if cfg!(windows) {
    &["ping", "-n", "31", "127.0.0.1"]
} else {
    &["sleep", "30"]
};

/// A command that succeeds at once.
const SUCCEED: &str = if cfg!(windows) { "exit 0" } else { "true" };

/// Start `sessionscope run --name NAME -- sleep 30` in the background and return it
/// with its run id once the history shows it running.
fn background_sleeper(data: &Path, name: &str) -> (BackgroundRun, String) {
    let child = BackgroundRun(
        sessionscope(data)
            .args(["run", "--name", name, "--"])
            .args(SLEEP_30)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap(),
    );
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let runs = runs_json(data);
        if let Some(r) = runs
            .iter()
            .find(|r| r["name"] == name && r["status"] == "running")
        {
            return (child, r["id"].as_str().unwrap().to_string());
        }
        assert!(
            Instant::now() < deadline,
            "the run never showed up: {runs:?}"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
}

#[test]
fn run_streams_output_and_exits_with_the_commands_code() {
    let dir = tempfile::tempdir().unwrap();
    // The command as words, quoted for the OS's shell when joined.
    let (words, joined): (&[&str], &str) = if cfg!(windows) {
        (
            &["cmd", "/C", "echo %GREETING%& exit 7"],
            r#"cmd /C "echo %GREETING%& exit 7""#,
        )
    } else {
        (
            &["sh", "-c", "echo \"$GREETING\"; exit 7"],
            "sh -c 'echo \"$GREETING\"; exit 7'",
        )
    };
    let out = output(
        sessionscope(dir.path())
            .args([
                "run",
                "--name",
                "greeter",
                "--env",
                "GREETING=hi there",
                "--",
            ])
            .args(words),
    );
    assert_eq!(out.status.code(), Some(7));
    assert!(
        String::from_utf8_lossy(&out.stdout).contains("hi there"),
        "{out:?}"
    );
    let runs = runs_json(dir.path());
    assert_eq!(runs.len(), 1);
    let r = &runs[0];
    assert_eq!(r["name"], "greeter");
    assert_eq!(r["status"], "failed");
    assert_eq!(r["exit_code"], 7);
    assert_eq!(r["env_names"], serde_json::json!(["GREETING"]));
    assert_eq!(r["command"], joined);
}

/// Unix: signals and `pwd`.
#[cfg(unix)]
#[test]
fn a_signal_death_exits_128_plus_the_signal_and_success_exits_0() {
    let dir = tempfile::tempdir().unwrap();
    let killed = output(sessionscope(dir.path()).args(["run", "--", "kill -TERM $$"]));
    assert_eq!(killed.status.code(), Some(128 + 15));
    let ok = output(sessionscope(dir.path()).args(["run", "--cwd", "/", "--", "pwd"]));
    assert_eq!(ok.status.code(), Some(0));
    assert_eq!(String::from_utf8_lossy(&ok.stdout).trim(), "/");
    // Without --cwd: where `sessionscope run` was started, as any command would.
    let here = dir.path().canonicalize().unwrap();
    let local = output(
        sessionscope(dir.path())
            .current_dir(&here)
            .args(["run", "--", "pwd"]),
    );
    assert_eq!(
        String::from_utf8_lossy(&local.stdout).trim(),
        here.to_str().unwrap()
    );
    let statuses: Vec<Value> = runs_json(dir.path())
        .iter()
        .map(|r| r["status"].clone())
        .collect();
    assert_eq!(statuses, vec!["failed", "completed", "completed"]);
}

#[test]
fn runs_lists_the_shared_history_as_a_table() {
    let dir = tempfile::tempdir().unwrap();
    let empty = output(sessionscope(dir.path()).arg("runs"));
    assert!(String::from_utf8_lossy(&empty.stdout).starts_with("No runs."));
    output(sessionscope(dir.path()).args(["run", "-n", "first", "--", SUCCEED]));
    let table = output(sessionscope(dir.path()).arg("runs"));
    let text = String::from_utf8_lossy(&table.stdout);
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines.len(), 2, "{text}");
    assert!(lines[0].starts_with("ID"));
    assert!(lines[1].contains("first") && lines[1].contains("completed"));
}

#[test]
fn kill_refuses_without_yes_when_stdin_is_not_a_terminal() {
    let dir = tempfile::tempdir().unwrap();
    let (mut run, id) = background_sleeper(dir.path(), "sleeper");
    let refused = output(sessionscope(dir.path()).args(["kill", &id]));
    assert_eq!(
        refused.status.code(),
        Some(3),
        "3 = refused, documented in --help"
    );
    assert!(String::from_utf8_lossy(&refused.stderr).contains("--yes"));
    assert!(
        String::from_utf8_lossy(&refused.stdout).contains("sleeper"),
        "says what it would stop"
    );
    std::thread::sleep(Duration::from_millis(200));
    assert!(run.0.try_wait().unwrap().is_none(), "nothing was stopped");
    assert_eq!(runs_json(dir.path())[0]["status"], "running");

    // A unique prefix is enough; the steps are printed as they happen.
    let killed = output(sessionscope(dir.path()).args(["kill", &id[..6], "--yes", "--grace", "1"]));
    let text = String::from_utf8_lossy(&killed.stdout);
    assert_eq!(killed.status.code(), Some(0), "{killed:?}");
    assert!(text.contains("stopped:"), "{text}");
    let status = run.0.wait().unwrap();
    let r = &runs_json(dir.path())[0];
    assert_eq!(r["status"], "killed");
    if cfg!(unix) {
        assert!(text.contains("sent SIGTERM to process group"), "{text}");
        assert_eq!(
            status.code(),
            Some(128 + 15),
            "the run exits as a SIGTERM death"
        );
        assert_eq!(r["exit_signal"], 15);
    } else {
        // Ctrl-Break to its console, then the job ended after the grace period.
        // (Under Wine the Ctrl-Break cannot be sent, and the kill says so and goes on.)
        assert!(text.contains("Ctrl-Break, then TerminateProcess"), "{text}");
        assert!(text.contains("sent TerminateProcess"), "{text}");
        assert!(!status.success(), "{status:?}");
    }
}

#[test]
fn kill_of_an_unknown_or_finished_id_stops_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let unknown = output(sessionscope(dir.path()).args(["kill", "nosuchid", "--yes"]));
    assert_eq!(unknown.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&unknown.stderr).contains("no run or live agent session"));
    output(sessionscope(dir.path()).args(["run", "--", SUCCEED]));
    let id = runs_json(dir.path())[0]["id"].as_str().unwrap().to_string();
    let finished = output(sessionscope(dir.path()).args(["kill", &id, "--yes"]));
    assert_eq!(finished.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&finished.stderr).contains("not running"));
}

/// Unix: the "agent" is `sleep` under the name `claude` (a symlink), ended by SIGINT.
#[cfg(unix)]
#[test]
fn kill_finds_a_live_agent_session_and_interrupts_it_first() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().canonicalize().unwrap();
    let work = root.join("project");
    std::fs::create_dir(&work).unwrap();
    // A Claude Code transcript whose cwd is the agent process's cwd.
    let session_id = "5d0c9a2e-1f3b-4c6d-8e7f-0a1b2c3d4e5f";
    let transcripts = root.join("no-agents/projects/-project");
    std::fs::create_dir_all(&transcripts).unwrap();
    let line = serde_json::json!({
        "type": "user",
        "sessionId": session_id,
        "timestamp": chrono_now(),
        "cwd": work,
        "message": {"role": "user", "content": "run the tests"}
    });
    std::fs::write(
        transcripts.join(format!("{session_id}.jsonl")),
        format!("{line}\n"),
    )
    .unwrap();
    // An "agent": `sleep` started under the name `claude`, in that directory.
    let bin = root.join("bin");
    std::fs::create_dir(&bin).unwrap();
    std::os::unix::fs::symlink(which("sleep"), bin.join("claude")).unwrap();
    let mut agent = BackgroundRun(
        Command::new(bin.join("claude"))
            .arg("30")
            .current_dir(&work)
            .spawn()
            .unwrap(),
    );
    std::thread::sleep(Duration::from_millis(200));

    let out = output(sessionscope(&root).args(["kill", &session_id[..8], "--yes", "--grace", "1"]));
    let text = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(0), "{out:?}");
    assert!(text.contains("claude-code"), "{text}");
    assert!(
        text.contains("SIGINT (stop generating), then SIGTERM, then SIGKILL after 1 s"),
        "{text}"
    );
    assert!(
        text.contains(&format!("sent SIGINT to process {}", agent.0.id())),
        "{text}"
    );
    assert!(text.contains("exited after SIGINT"), "{text}");
    use std::os::unix::process::ExitStatusExt;
    assert_eq!(agent.0.wait().unwrap().signal(), Some(2));
}

/// A project directory and a first prompt with line breaks and terminal escapes in
/// them (both legal in a Linux path and a transcript) are shown escaped in the kill
/// prompt: they add no line to it and reach the terminal as text, not as escapes.
#[cfg(target_os = "linux")]
#[test]
fn kill_shows_a_transcripts_newlines_and_escapes_visibly_on_one_line() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().canonicalize().unwrap();
    let work = root.join("proj\n• claude-code · not this one\u{1b}[2J");
    std::fs::create_dir(&work).unwrap();
    let session_id = "7e1d9a2e-1f3b-4c6d-8e7f-0a1b2c3d4e5f";
    let transcripts = root.join("no-agents/projects/-proj");
    std::fs::create_dir_all(&transcripts).unwrap();
    let line = serde_json::json!({
        "type": "user",
        "sessionId": session_id,
        "timestamp": chrono_now(),
        "cwd": work,
        "message": {"role": "user", "content": "fix it\u{1b}]0;owned\u{7}\rStop 0 sessions?"}
    });
    std::fs::write(
        transcripts.join(format!("{session_id}.jsonl")),
        format!("{line}\n"),
    )
    .unwrap();
    let bin = root.join("bin");
    std::fs::create_dir(&bin).unwrap();
    std::os::unix::fs::symlink(which("sleep"), bin.join("claude")).unwrap();
    let mut agent = BackgroundRun(
        Command::new(bin.join("claude"))
            .arg("30")
            .current_dir(&work)
            .spawn()
            .unwrap(),
    );
    std::thread::sleep(Duration::from_millis(200));

    // Without --yes (stdin is no terminal) it only prints what it would stop.
    let out = output(sessionscope(&root).args(["kill", &session_id[..8]]));
    assert_eq!(out.status.code(), Some(3), "{out:?}");
    assert!(
        !out.stdout.iter().any(|b| matches!(b, 0x1b | 0x07 | b'\r')),
        "no raw escape reaches the terminal: {out:?}"
    );
    let text = String::from_utf8_lossy(&out.stdout);
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines[0], "Stop 1 agent session?", "{text}");
    assert_eq!(
        lines.iter().filter(|l| l.starts_with("• ")).count(),
        1,
        "one item, no fake second one: {text}"
    );
    let detail = lines
        .iter()
        .find(|l| l.contains("pid "))
        .unwrap_or_else(|| panic!("{text}"));
    assert!(
        detail.ends_with("proj\\n• claude-code · not this one\\u{1b}[2J"),
        "the path, escaped, on its one line: {text}"
    );
    assert!(!text.contains("owned\u{7}"), "{text}");
    assert!(agent.0.try_wait().unwrap().is_none(), "nothing was stopped");
}

#[cfg(unix)]
fn chrono_now() -> String {
    // Recent activity, so the session counts as live rather than ended.
    let secs = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64;
    chrono::DateTime::from_timestamp(secs, 0)
        .unwrap()
        .to_rfc3339_opts(chrono::SecondsFormat::Millis, true)
}

#[cfg(unix)]
fn which(program: &str) -> std::path::PathBuf {
    std::env::var_os("PATH")
        .into_iter()
        .flat_map(|p| std::env::split_paths(&p).collect::<Vec<_>>())
        .map(|d| d.join(program))
        .find(|p| p.is_file())
        .unwrap_or_else(|| panic!("{program} not on PATH"))
}

#[test]
fn on_a_terminal_keys_reach_the_run_and_its_size_follows_ours() {
    // `script` (util-linux) gives `sessionscope run` a terminal of a known size.
    let Some(script) = std::env::var_os("PATH").and_then(|p| {
        std::env::split_paths(&p)
            .map(|d| d.join("script"))
            .find(|p| p.is_file())
    }) else {
        eprintln!("skipped: no `script` on PATH");
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let bin = env!("CARGO_BIN_EXE_sessionscope");
    let inner =
        format!("stty cols 77 rows 11; {bin} run -- 'stty size; read answer; echo got=$answer'");
    let mut child = Command::new(script)
        .args(["-qfc", &inner, "/dev/null"])
        .env("SESSIONSCOPE_DATA_DIR", dir.path().join("data"))
        .env("HOME", dir.path())
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let mut stdin = child.stdin.take().unwrap();
    let mut stdout = child.stdout.take().unwrap();
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let mut buf = [0u8; 4096];
        while let Ok(n) = std::io::Read::read(&mut stdout, &mut buf) {
            if n == 0 || tx.send(buf[..n].to_vec()).is_err() {
                return;
            }
        }
    });
    let mut text = String::new();
    let wait_for = |needle: &str, text: &mut String| {
        let deadline = Instant::now() + Duration::from_secs(20);
        while !text.contains(needle) && Instant::now() < deadline {
            if let Ok(chunk) = rx.recv_timeout(Duration::from_millis(100)) {
                text.push_str(&String::from_utf8_lossy(&chunk));
            }
        }
        text.contains(needle)
    };
    assert!(wait_for("11 77", &mut text), "{text:?}");
    // Enter as a terminal sends it: a carriage return, which raw mode passes on.
    std::io::Write::write_all(&mut stdin, b"yes\r").unwrap();
    assert!(wait_for("got=yes", &mut text), "{text:?}");
    drop(stdin);
    child.wait().unwrap();
}

#[test]
fn listing_runs_creates_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let out = output(sessionscope(dir.path()).args(["runs", "--json"]));
    assert!(out.status.success());
    assert_eq!(
        String::from_utf8_lossy(&out.stdout).trim(),
        "{\n  \"runs\": []\n}"
    );
    assert!(!dir.path().join("data").exists(), "no data dir was created");
}

#[test]
fn a_finished_runs_log_can_be_reopened_by_id_prefix() {
    let dir = tempfile::tempdir().unwrap();
    let two_lines = if cfg!(windows) {
        "echo first-line& echo last-line"
    } else {
        "echo first-line; echo last-line"
    };
    output(sessionscope(dir.path()).args(["run", "--", two_lines]));
    let id = runs_json(dir.path())[0]["id"].as_str().unwrap().to_string();
    let whole = output(sessionscope(dir.path()).args(["runs", "--log", &id[..4]]));
    let whole = String::from_utf8_lossy(&whole.stdout);
    if cfg!(windows) {
        // A pseudoconsole adds its own escape sequences around the text.
        assert!(whole.contains("first-line\r\n"), "{whole:?}");
        assert!(whole.contains("last-line"), "{whole:?}");
    } else {
        assert_eq!(whole, "first-line\r\nlast-line\r\n");
        let tail = output(sessionscope(dir.path()).args(["runs", "--log", &id, "--bytes", "11"]));
        assert_eq!(String::from_utf8_lossy(&tail.stdout), "last-line\r\n");
    }
    let unknown = output(sessionscope(dir.path()).args(["runs", "--log", "zz"]));
    assert_eq!(unknown.status.code(), Some(1));
}

#[test]
fn parallel_runs_from_separate_processes_all_land_in_the_history() {
    let dir = tempfile::tempdir().unwrap();
    let children: Vec<BackgroundRun> = (0..6)
        .map(|i| {
            BackgroundRun(
                sessionscope(dir.path())
                    .args([
                        "run",
                        "--name",
                        &format!("job{i}"),
                        "--",
                        &format!("exit {i}"),
                    ])
                    .stdout(Stdio::null())
                    .stderr(Stdio::null())
                    .spawn()
                    .unwrap(),
            )
        })
        .collect();
    let mut codes: Vec<i32> = children
        .into_iter()
        .map(|mut c| c.0.wait().unwrap().code().unwrap())
        .collect();
    codes.sort();
    assert_eq!(codes, vec![0, 1, 2, 3, 4, 5]);
    let mut seen: Vec<(String, i64)> = runs_json(dir.path())
        .iter()
        .map(|r| {
            (
                r["name"].as_str().unwrap().to_string(),
                r["exit_code"].as_i64().unwrap(),
            )
        })
        .collect();
    seen.sort();
    let expected: Vec<(String, i64)> = (0..6).map(|i| (format!("job{i}"), i)).collect();
    assert_eq!(seen, expected);
}

#[test]
fn several_ids_are_listed_together_and_stopped_at_once() {
    let dir = tempfile::tempdir().unwrap();
    let (mut first, a) = background_sleeper(dir.path(), "sleeper");
    let (mut second, b) = background_sleeper(dir.path(), "second");
    // One unknown id: nothing at all is stopped.
    let partial = output(sessionscope(dir.path()).args(["kill", &a, "nosuch", "--yes"]));
    assert_eq!(partial.status.code(), Some(1));
    assert!(first.0.try_wait().unwrap().is_none());

    let out = output(sessionscope(dir.path()).args(["kill", &a, &b, "--yes", "--grace", "1"]));
    let text = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(0), "{out:?}");
    let listed = text
        .lines()
        .take_while(|l| !l.contains("sent "))
        .collect::<Vec<_>>()
        .join("\n");
    assert!(
        listed.contains("sleeper") && listed.contains("second"),
        "{text}"
    );
    assert!(
        text.contains("stopped: sleeper:") && text.contains("stopped: second:"),
        "{text}"
    );
    let (first, second) = (first.0.wait().unwrap(), second.0.wait().unwrap());
    if cfg!(unix) {
        assert_eq!(first.code(), Some(143));
        assert_eq!(second.code(), Some(143));
    } else {
        assert!(
            !first.success() && !second.success(),
            "{first:?} {second:?}"
        );
    }
}

/// A corrupt `runs.jsonl` cannot make `kill` signal PID 0, 1, a value `kill(2)` reads as
/// "every process", or the process group the CLI itself runs in: each is refused by name
/// and nothing dies. The CLI runs inside a group led by a sleeper, so a signal that got
/// through would stop both.
#[cfg(target_os = "linux")]
#[test]
fn kill_never_signals_the_pids_a_corrupt_history_names() {
    use std::os::unix::process::CommandExt;

    let dir = tempfile::tempdir().unwrap();
    let data = dir.path();
    let mut leader = BackgroundRun(
        Command::new("sleep")
            .arg("60")
            .process_group(0)
            .spawn()
            .unwrap(),
    );
    let group = leader.0.id();
    // The owner lives, so the runs stay "running" and reach the kill plan.
    let owner = sessionscope_core::procs::identity_of(group).unwrap();
    let runs = data.join("data/runs");
    std::fs::create_dir_all(&runs).unwrap();
    let line = |id: &str, pid: serde_json::Value| {
        serde_json::json!({
            "event": "run",
            "owner": owner,
            "run": {
                "id": id, "name": id, "command": "sleep 60", "cwd": null, "pid": pid,
                "started_at": "2026-12-01T10:00:00Z", "ended_at": null, "status": "running",
                "exit_code": null, "reason": null, "log_path": null,
                "pid_start_time": owner.start_time,
            }
        })
        .to_string()
    };
    let cases = [
        ("pidzero0000", serde_json::json!(0), "PID 0"),
        ("pidone00000", serde_json::json!(1), "init"),
        ("pidallbits0", serde_json::json!(u32::MAX), "not a PID"),
        ("owngroup000", serde_json::json!(group), "own process group"),
    ];
    let mut file = String::new();
    for (id, pid, _) in &cases {
        file.push_str(&line(id, pid.clone()));
        file.push('\n');
    }
    // A negative PID is not a PID at all: the line is skipped as malformed.
    file.push_str(&line("negative000", serde_json::json!(-5)));
    file.push('\n');
    std::fs::write(runs.join("runs.jsonl"), file).unwrap();

    for (id, _, why) in cases {
        let out = output(
            sessionscope(data)
                .args(["kill", "--yes", "--grace", "0", id])
                .process_group(group as i32),
        );
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(
            out.status.code().is_some(),
            "{id}: the CLI must exit, not die of a signal: {out:?}"
        );
        assert!(!out.status.success(), "{id}: nothing was stopped: {out:?}");
        assert!(
            stderr.contains("refusing to signal") && stderr.contains(why),
            "{id}: the refusal says why: {stderr}"
        );
        assert!(
            leader.0.try_wait().unwrap().is_none(),
            "{id}: the group's leader still runs"
        );
    }
    let out = output(sessionscope(data).args(["kill", "--yes", "negative000"]));
    assert!(
        !out.status.success() && out.status.code().is_some(),
        "{out:?}"
    );
    assert!(leader.0.try_wait().unwrap().is_none());
}
