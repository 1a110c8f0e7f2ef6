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

use chrono::{Duration, Utc};
use sessionscope_core::agents::HarnessRoot;
use sessionscope_core::model::{Harness, Session, Status};
use sessionscope_core::procs::ProcessScanner;
use sessionscope_core::sessions::index::SessionIndex;
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
        let mut child = Command::new(&launcher)
            .arg("--root")
            .arg(&data)
            .current_dir(&cwd)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .spawn()
            .expect("start the fake agent");
        let stdin = child.stdin.take().unwrap();
        let stdout = BufReader::new(child.stdout.take().unwrap());
        let rules = StatusRules {
            ended_after: Duration::zero(),
            stream_settle: Duration::seconds(1),
            idle_after: Duration::hours(1),
        };
        let index = SessionIndex::new(vec![HarnessRoot {
            harness,
            path: root,
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
