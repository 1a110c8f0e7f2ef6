//! Telling the user what quitting does to runs still alive: the question asked before
//! the app quits ("2 runs are still running; they will be left running"), and what
//! quitting then did, kept in a small file beside the run history until the user has
//! read it at the next start (the app that quit can no longer show anything).
//!
//! The file is Sessionscope's own (`last-quit.json` in the run log directory), written
//! atomically; a malformed one is treated as absent, never as an error that stops the
//! app from starting.

use std::path::{Path, PathBuf};

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use ts_rs::TS;

use crate::model::{QuitPolicy, QuitReport, RunInfo};
use crate::paths::Os;

const FILE: &str = "last-quit.json";

/// What the last quit did, shown once at the next start.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
pub struct QuitNotice {
    pub at: DateTime<Utc>,
    pub reports: Vec<QuitReport>,
}

fn path(dir: &Path) -> PathBuf {
    dir.join(FILE)
}

/// Keep `reports`, stamped now, for the next start (nothing is written when there are
/// none).
pub fn save(dir: &Path, reports: &[QuitReport]) -> std::io::Result<()> {
    if reports.is_empty() {
        return Ok(());
    }
    std::fs::create_dir_all(dir)?;
    let notice = QuitNotice {
        at: Utc::now(),
        reports: reports.to_vec(),
    };
    let tmp = dir.join(format!("{FILE}.{}.tmp", std::process::id()));
    std::fs::write(&tmp, serde_json::to_vec_pretty(&notice)?)?;
    std::fs::rename(&tmp, path(dir))
}

/// The notice of the last quit, if there is one the user has not dismissed.
pub fn load(dir: &Path) -> Option<QuitNotice> {
    let bytes = std::fs::read(path(dir)).ok()?;
    serde_json::from_slice(&bytes).ok()
}

/// The user has read it.
pub fn dismiss(dir: &Path) -> std::io::Result<()> {
    match std::fs::remove_file(path(dir)) {
        Err(e) if e.kind() != std::io::ErrorKind::NotFound => Err(e),
        _ => Ok(()),
    }
}

/// The question asked before quitting with `alive` runs; `None` when none are alive
/// (then there is nothing to ask). Said in this OS's terms (see [`question_on`]).
pub fn question(alive: &[RunInfo], policy: QuitPolicy) -> Option<String> {
    question_on(Os::current(), alive, policy)
}

/// [`question`] as it reads on `os`: how a run is stopped is said in that OS's terms.
/// Leaving runs running reads the same everywhere: on Windows each run's terminal is
/// held by its run host (`runs::host`), which outlives Sessionscope.
pub fn question_on(os: Os, alive: &[RunInfo], policy: QuitPolicy) -> Option<String> {
    if alive.is_empty() {
        return None;
    }
    let (n, verb) = match alive.len() {
        1 => ("1 run is".to_string(), "It"),
        k => (format!("{k} runs are"), "They"),
    };
    let them = if alive.len() == 1 { "it" } else { "them" };
    let what = match (policy, os) {
        (QuitPolicy::LeaveRunning, _) => format!(
            "{verb} will be left running: output keeps going to the log, and Sessionscope shows {them} again at its next start."
        ),
        (QuitPolicy::Stop, Os::Windows) => format!(
            "{verb} will be stopped (Ctrl-C and Ctrl-Break to {} console, then every process of {} job object is ended after the grace period).",
            if alive.len() == 1 { "its" } else { "their" },
            if alive.len() == 1 { "its" } else { "their" },
        ),
        (QuitPolicy::Stop, _) => format!(
            "{verb} will be stopped (SIGTERM, then SIGKILL after the grace period)."
        ),
    };
    let list: Vec<String> = alive
        .iter()
        .map(|r| match r.pid {
            Some(pid) => format!("• {} (PID {pid}): {}", r.name, r.command),
            None => format!("• {}: {}", r.name, r.command),
        })
        .collect();
    Some(format!(
        "{n} still running:\n{}\n\n{what}\nThe choice is in Settings → Runs.",
        list.join("\n")
    ))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{QuitAction, RunStatus};

    fn run(name: &str, pid: Option<u32>) -> RunInfo {
        RunInfo {
            id: format!("id-{name}"),
            name: name.into(),
            command: format!("{name} --watch"),
            cwd: None,
            pid,
            started_at: Utc::now(),
            ended_at: None,
            status: RunStatus::Running,
            exit_code: None,
            reason: None,
            log_path: None,
            env_names: Vec::new(),
            duration_ms: None,
            exit_signal: None,
            pid_start_time: None,
            detached: false,
        }
    }

    #[test]
    fn the_question_names_every_run_and_what_will_happen() {
        assert_eq!(question(&[], QuitPolicy::Stop), None);
        let one = question_on(
            Os::Linux,
            &[run("build", Some(42))],
            QuitPolicy::LeaveRunning,
        )
        .unwrap();
        assert!(one.starts_with("1 run is still running:\n• build (PID 42): build --watch\n"));
        assert!(one.contains("It will be left running"), "{one}");
        let two = question_on(
            Os::Linux,
            &[run("a", Some(1)), run("b", None)],
            QuitPolicy::Stop,
        )
        .unwrap();
        assert!(two.starts_with("2 runs are still running:"), "{two}");
        assert!(two.contains("• b: b --watch"), "{two}");
        assert!(two.contains("They will be stopped"), "{two}");
    }

    /// On Windows runs are left running as elsewhere (their run hosts keep their
    /// terminals); stopping is said in Windows' terms, without signals.
    #[test]
    fn on_windows_the_question_says_what_windows_will_do() {
        let alive = [run("build", Some(42))];
        let leave = question_on(Os::Windows, &alive, QuitPolicy::LeaveRunning).unwrap();
        assert!(
            leave.starts_with("1 run is still running:\n• build (PID 42)"),
            "{leave}"
        );
        assert!(leave.contains("It will be left running"), "{leave}");
        let stop = question_on(Os::Windows, &alive, QuitPolicy::Stop).unwrap();
        assert!(
            stop.contains("Ctrl-C and Ctrl-Break to its console"),
            "{stop}"
        );
        assert!(!stop.contains("SIG"), "{stop}");
        for os in [Os::Linux, Os::MacOs] {
            let leave = question_on(os, &alive, QuitPolicy::LeaveRunning).unwrap();
            assert!(leave.contains("It will be left running"), "{leave}");
            let stop = question_on(os, &alive, QuitPolicy::Stop).unwrap();
            assert!(stop.contains("SIGTERM, then SIGKILL"), "{stop}");
        }
    }

    #[test]
    fn a_notice_is_kept_until_dismissed_and_a_bad_file_is_ignored() {
        let d = tempfile::tempdir().unwrap();
        assert_eq!(load(d.path()), None);
        save(d.path(), &[]).unwrap();
        assert_eq!(load(d.path()), None, "nothing to tell, nothing written");
        let reports = vec![
            QuitReport {
                run_id: "r1".into(),
                name: "build".into(),
                action: QuitAction::LeftRunning,
                detail: "left running; its output keeps going to /x.log".into(),
            },
            QuitReport {
                run_id: "r2".into(),
                name: "serve".into(),
                action: QuitAction::StopFailed,
                detail: "still alive after SIGKILL".into(),
            },
        ];
        let before = Utc::now();
        save(d.path(), &reports).unwrap();
        let notice = load(d.path()).unwrap();
        assert_eq!(notice.reports, reports);
        assert!(notice.at >= before && notice.at <= Utc::now());
        dismiss(d.path()).unwrap();
        assert_eq!(load(d.path()), None);
        dismiss(d.path()).unwrap();
        std::fs::write(d.path().join(FILE), b"{ torn").unwrap();
        assert_eq!(load(d.path()), None);
    }
}
