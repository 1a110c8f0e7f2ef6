//! Status scenarios: a fake agent per harness (`tests/scenarios/fake_agent.py`) runs as
//! a real child process named like the real agent, in its own working directory, and
//! writes that agent's format one phase at a time. At each checkpoint the index reads
//! the files, scans processes, and must report the status a user would expect:
//! generating → running tool → waiting for input → ended on exit; failed after an error.
//!
//! The agent only moves on when told to (a line on its stdin) and says when a phase is
//! fully written, so no assertion depends on timing. Thresholds are shortened with
//! `StatusRules` (`ended_after` = 0: a session whose process cannot be found is over at
//! once, so every "alive" checkpoint also proves the process was matched to it).

use std::io::{BufRead, BufReader, Write};
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdin, ChildStdout, Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration as StdDuration, Instant};

use chrono::{Duration, Utc};
use sessionscope_core::agents::HarnessRoot;
use sessionscope_core::model::{Harness, Session, Status};
use sessionscope_core::procs::ProcessScanner;
use sessionscope_core::sessions::index::SessionIndex;
use sessionscope_core::sessions::live::{LiveOptions, LiveSessions};
use sessionscope_core::sessions::status::StatusRules;

/// The Python interpreter's real path, for a direct shebang (so the process name is the
/// launcher's file name, not `env` or `python3`).
fn python() -> Option<String> {
    let out = Command::new("python3")
        .args([
            "-c",
            "import os,sys;print(os.path.realpath(sys.executable))",
        ])
        .output()
        .ok()?;
    let path = String::from_utf8(out.stdout).ok()?.trim().to_string();
    (out.status.success() && !path.is_empty()).then_some(path)
}

struct Scenario {
    _tmp: tempfile::TempDir,
    harness: Harness,
    index: SessionIndex,
    scanner: ProcessScanner,
    child: Child,
    stdin: ChildStdin,
    stdout: BufReader<ChildStdout>,
    cwd: PathBuf,
    root: PathBuf,
    rules: StatusRules,
}

impl Scenario {
    fn start(harness: Harness, agent: &str) -> Option<Scenario> {
        let Some(py) = python() else {
            eprintln!("skipped: python3 is not available");
            return None;
        };
        let tmp = tempfile::tempdir().unwrap();
        let base = tmp.path().canonicalize().unwrap();
        let bin = base.join("bin");
        let cwd = base.join("work").join(format!("{agent}-project"));
        let data = base.join("data");
        std::fs::create_dir_all(&bin).unwrap();
        std::fs::create_dir_all(&cwd).unwrap();
        std::fs::create_dir_all(&data).unwrap();
        let script = std::fs::read_to_string(
            Path::new(env!("CARGO_MANIFEST_DIR")).join("../../tests/scenarios/fake_agent.py"),
        )
        .unwrap();
        let launcher = bin.join(agent);
        std::fs::write(&launcher, format!("#!{py}\n{script}")).unwrap();
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            std::fs::set_permissions(&launcher, std::fs::Permissions::from_mode(0o755)).unwrap();
        }
        let root = match harness {
            Harness::ClaudeCode => data.join("projects"),
            Harness::Codex => data.join("sessions"),
            _ => data.clone(),
        };
        std::fs::create_dir_all(&root).unwrap();
        // The launcher was just written: a test on another thread that forks meanwhile
        // holds its write handle until its child execs, and exec then fails with
        // "text file busy" (ETXTBSY). That lasts only as long as the other fork: retry.
        let mut tries = 0;
        let mut child = loop {
            let spawned = Command::new(&launcher)
                .arg("--root")
                .arg(&data)
                .current_dir(&cwd)
                .stdin(Stdio::piped())
                .stdout(Stdio::piped())
                .spawn();
            match spawned {
                Err(e) if e.kind() == std::io::ErrorKind::ExecutableFileBusy && tries < 100 => {
                    tries += 1;
                    std::thread::sleep(std::time::Duration::from_millis(10));
                }
                other => break other.expect("start the fake agent"),
            }
        };
        let stdin = child.stdin.take().unwrap();
        let stdout = BufReader::new(child.stdout.take().unwrap());
        let rules = StatusRules {
            ended_after: Duration::zero(),
            stream_settle: Duration::seconds(1),
            idle_after: Duration::hours(1),
        };
        let index = SessionIndex::new(vec![HarnessRoot {
            harness,
            path: root.clone(),
        }])
        .with_rules(rules);
        Some(Scenario {
            _tmp: tmp,
            harness,
            index,
            scanner: ProcessScanner::new(),
            child,
            stdin,
            stdout,
            cwd,
            root,
            rules,
        })
    }

    /// Tell the agent to write one phase and wait until it has.
    fn step(&mut self, phase: &str) {
        writeln!(self.stdin, "{phase}").unwrap();
        self.stdin.flush().unwrap();
        let mut line = String::new();
        self.stdout.read_line(&mut line).unwrap();
        assert_eq!(
            line.trim(),
            format!("at {phase}"),
            "agent did not reach {phase}"
        );
    }

    /// Tell the agent to exit and wait for the process to be gone.
    fn exit(&mut self) -> std::process::ExitStatus {
        writeln!(self.stdin, "exit").unwrap();
        self.stdin.flush().unwrap();
        self.child.wait().unwrap()
    }

    /// What the index reports now for the agent's (only) session.
    fn session(&mut self) -> Session {
        let now = Utc::now();
        self.index.scan_all(now);
        self.index.refresh_status(self.scanner.scan(), now);
        let rows: Vec<Session> = self
            .index
            .sessions()
            .into_iter()
            .filter(|s| s.harness == self.harness)
            .collect();
        assert_eq!(rows.len(), 1, "one session expected: {rows:#?}");
        rows.into_iter().next().unwrap()
    }

    fn expect(&mut self, status: Status, alive: bool) {
        let s = self.session();
        assert_eq!(
            s.status, status,
            "{:?} session after the last phase: {s:#?}",
            self.harness
        );
        if alive {
            assert_eq!(s.pid, Some(self.child.id()), "the agent process is matched");
            assert_eq!(
                s.project
                    .as_deref()
                    .map(Path::new)
                    .or(Some(self.cwd.as_path())),
                Some(self.cwd.as_path())
            );
        } else {
            assert_eq!(s.pid, None);
        }
    }
}

/// The live loop on the agent's root, with a status tick far longer than any wait
/// below: a change that arrives proves the loop did not wait for the tick.
fn live_without_ticks(sc: &Scenario) -> (LiveSessions, mpsc::Receiver<(Instant, Session)>) {
    let (tx, rx) = mpsc::channel();
    let index = SessionIndex::new(vec![HarnessRoot {
        harness: sc.harness,
        path: sc.root.clone(),
    }])
    .with_rules(sc.rules);
    let live = LiveSessions::start_full(
        index,
        move |change, _| {
            for s in change.upserted {
                let _ = tx.send((Instant::now(), s));
            }
        },
        LiveOptions {
            status_tick: Some(StdDuration::from_secs(600)),
            ..LiveOptions::default()
        },
    );
    (live, rx)
}

/// Wait for the session to show `status`; when it did.
fn shows(
    rx: &mpsc::Receiver<(Instant, Session)>,
    status: Status,
    what: &str,
) -> (Instant, Session) {
    let deadline = Instant::now() + StdDuration::from_secs(10);
    loop {
        let left = deadline.saturating_duration_since(Instant::now());
        match rx.recv_timeout(left) {
            Ok((at, s)) if s.status == status => return (at, s),
            Ok(_) => {}
            Err(_) => panic!("{what}: the live loop never showed {status:?}"),
        }
    }
}

/// Issue 18: the app shows Ended within 250 ms of the agent's exit. The agent writes
/// nothing when it exits, so only its exit itself can tell the live loop.
fn ended_at_the_exit(harness: Harness, agent: &str) {
    if !cfg!(target_os = "linux") {
        return; // elsewhere the tick is the rule (no pidfd)
    }
    let Some(mut sc) = Scenario::start(harness, agent) else {
        return;
    };
    sc.step("start");
    sc.step("answer");
    let (live, rx) = live_without_ticks(&sc);
    // Read by the first scan, before any change goes out.
    let first = live.sessions();
    assert_eq!(first.len(), 1, "{first:#?}");
    assert_eq!(first[0].status, Status::WaitingForInput);
    assert_eq!(first[0].pid, Some(sc.child.id()));
    let status = sc.exit();
    let exited = Instant::now();
    assert!(status.success());
    let (at, ended) = shows(&rx, Status::Ended, "after the exit");
    assert_eq!(ended.pid, None);
    let late = at.saturating_duration_since(exited);
    assert!(
        late < StdDuration::from_millis(1500),
        "Ended {late:?} after the exit: the loop waited for something else than the exit"
    );
}

#[test]
fn claude_code_ends_at_the_exit_in_the_live_loop() {
    ended_at_the_exit(Harness::ClaudeCode, "claude");
}

#[test]
fn gemini_ends_at_the_exit_in_the_live_loop() {
    ended_at_the_exit(Harness::Gemini, "gemini");
}

/// A whole turn, then a clean exit.
fn normal_turn(harness: Harness, agent: &str) {
    let Some(mut sc) = Scenario::start(harness, agent) else {
        return;
    };
    sc.step("start");
    sc.expect(Status::Generating, true);
    sc.step("tool");
    sc.expect(Status::RunningTool, true);
    sc.step("answer");
    sc.expect(Status::WaitingForInput, true);
    assert!(sc.exit().success());
    sc.expect(Status::Ended, false);
}

/// The model call fails; the agent waits, then exits with an error.
fn failing_turn(harness: Harness, agent: &str) {
    let Some(mut sc) = Scenario::start(harness, agent) else {
        return;
    };
    sc.step("start");
    sc.expect(Status::Generating, true);
    sc.step("error");
    sc.expect(Status::WaitingForInput, true);
    assert!(!sc.exit().success());
    sc.expect(Status::Failed, false);
}

#[test]
fn claude_code_turn() {
    normal_turn(Harness::ClaudeCode, "claude");
}

#[test]
fn claude_code_failure() {
    failing_turn(Harness::ClaudeCode, "claude");
}

#[test]
fn codex_turn() {
    normal_turn(Harness::Codex, "codex");
}

#[test]
fn codex_failure() {
    failing_turn(Harness::Codex, "codex");
}

#[test]
fn gptme_turn() {
    normal_turn(Harness::Gptme, "gptme");
}

#[test]
fn gptme_failure() {
    failing_turn(Harness::Gptme, "gptme");
}

#[test]
fn gemini_turn() {
    normal_turn(Harness::Gemini, "gemini");
}

#[test]
fn gemini_failure() {
    failing_turn(Harness::Gemini, "gemini");
}

#[test]
fn opencode_turn() {
    normal_turn(Harness::Opencode, "opencode");
}

#[test]
fn opencode_failure() {
    failing_turn(Harness::Opencode, "opencode");
}

#[test]
fn copilot_turn() {
    normal_turn(Harness::Copilot, "copilot");
}

#[test]
fn copilot_failure() {
    failing_turn(Harness::Copilot, "copilot");
}
