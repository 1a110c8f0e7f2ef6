//! The persisted list of runs, shared by every Sessionscope process (the app and any
//! number of `sessionscope run` commands) through one append-only file.
//!
//! `runs.jsonl` holds one JSON object per line: a `run` line is the latest known state
//! of one run (written when it starts and again when it ends), a `cleared` line hides
//! finished runs from the list ("Clear Completed"). Reading folds the lines: the last
//! `run` line of an id wins, a later `cleared` line removes it. Lines that do not parse
//! (a writer killed mid-line) are counted and skipped.
//!
//! Writers take an exclusive lock on a sibling `runs.lock` file (`fs4`), never on the
//! data file itself, so compaction can replace the data file by rename while other
//! processes wait on the same lock. This module stores and folds records; it never
//! looks at processes and never deletes logs.

use std::fs::{File, OpenOptions};
use std::io::{self, BufRead, BufReader, Read, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};

use fs4::fs_std::FileExt;
use serde::{Deserialize, Serialize};

use crate::model::RunInfo;
use crate::procs::ProcessIdentity;

/// One line of `runs.jsonl`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "event", rename_all = "kebab-case")]
enum HistoryLine {
    Run {
        run: Box<RunInfo>,
        /// The Sessionscope process that holds the run's terminal and will record its
        /// end; `None` once nobody does (handed off at quit).
        #[serde(default)]
        owner: Option<ProcessIdentity>,
    },
    Cleared {
        ids: Vec<String>,
    },
    /// A process that does not own the run is killing it: the owner reports the
    /// coming signal death as Killed, not Failed.
    KillRequested {
        id: String,
    },
}

/// The folded state of one run.
#[derive(Debug, Clone, PartialEq)]
pub struct HistoryEntry {
    pub run: RunInfo,
    pub owner: Option<ProcessIdentity>,
}

/// What [`RunHistory::load`] found.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct HistorySnapshot {
    /// Runs in the order they were first recorded (oldest first), cleared ones left out.
    pub entries: Vec<HistoryEntry>,
    /// Ids hidden by "Clear Completed" (their logs may still exist).
    pub cleared: Vec<String>,
    /// Runs another process asked to kill (see [`RunHistory::request_kill`]).
    pub kill_requested: Vec<String>,
    /// Lines that could not be read.
    pub bad_lines: usize,
    /// Lines in the file; compaction is worth it when far above `entries`.
    pub lines: usize,
}

/// The history file of one data directory.
#[derive(Debug, Clone)]
pub struct RunHistory {
    file: PathBuf,
    lock: PathBuf,
}

impl RunHistory {
    /// The history kept in `dir` (`dir/runs.jsonl`, locked through `dir/runs.lock`).
    pub fn new(dir: &Path) -> Self {
        RunHistory {
            file: dir.join("runs.jsonl"),
            lock: dir.join("runs.lock"),
        }
    }

    pub fn path(&self) -> &Path {
        &self.file
    }

    fn locked<T>(&self, exclusive: bool, f: impl FnOnce() -> io::Result<T>) -> io::Result<T> {
        if let Some(dir) = self.lock.parent() {
            std::fs::create_dir_all(dir)?;
        }
        let lock = OpenOptions::new()
            .create(true)
            .truncate(false)
            .write(true)
            .open(&self.lock)?;
        if exclusive {
            lock.lock_exclusive()?;
        } else {
            lock.lock_shared()?;
        }
        let result = f();
        let _ = FileExt::unlock(&lock);
        result
    }

    /// Record the current state of a run.
    pub fn record(&self, run: &RunInfo, owner: Option<ProcessIdentity>) -> io::Result<()> {
        self.append(&HistoryLine::Run {
            run: Box::new(run.clone()),
            owner,
        })
    }

    /// Hide these runs from the list (their logs are not touched).
    pub fn clear(&self, ids: &[String]) -> io::Result<()> {
        if ids.is_empty() {
            return Ok(());
        }
        self.append(&HistoryLine::Cleared { ids: ids.to_vec() })
    }

    /// Note that this process is killing a run another process owns.
    pub fn request_kill(&self, id: &str) -> io::Result<()> {
        self.append(&HistoryLine::KillRequested { id: id.to_string() })
    }

    fn append(&self, line: &HistoryLine) -> io::Result<()> {
        let mut text = serde_json::to_string(line).map_err(io::Error::other)?;
        text.push('\n');
        self.locked(true, || {
            let mut file = OpenOptions::new()
                .create(true)
                .append(true)
                .read(true)
                .open(&self.file)?;
            // A writer killed mid-line left no newline: start on a fresh line so this
            // record is not glued to the broken one.
            let len = file.metadata()?.len();
            if len > 0 {
                let mut last = [0u8; 1];
                file.seek(SeekFrom::Start(len - 1))?;
                file.read_exact(&mut last)?;
                if last[0] != b'\n' {
                    text.insert(0, '\n');
                }
            }
            // One write of the whole line, under the lock: readers never see half of it.
            file.write_all(text.as_bytes())?;
            file.flush()
        })
    }

    /// Read and fold the whole history. A missing file is an empty history.
    pub fn load(&self) -> io::Result<HistorySnapshot> {
        // Reading must not create the data directory (`sessionscope runs` on a
        // machine that never ran anything).
        if !self.file.exists() {
            return Ok(HistorySnapshot::default());
        }
        self.locked(false, || self.read_unlocked())
    }

    fn read_unlocked(&self) -> io::Result<HistorySnapshot> {
        let file = match File::open(&self.file) {
            Ok(f) => f,
            Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(HistorySnapshot::default()),
            Err(e) => return Err(e),
        };
        let mut snapshot = HistorySnapshot::default();
        let mut order: Vec<String> = Vec::new();
        let mut latest: std::collections::HashMap<String, HistoryEntry> = Default::default();
        let mut reader = BufReader::new(file);
        let mut buf = Vec::new();
        loop {
            buf.clear();
            if reader.read_until(b'\n', &mut buf)? == 0 {
                break;
            }
            let line = buf.trim_ascii();
            if line.is_empty() {
                continue;
            }
            snapshot.lines += 1;
            match serde_json::from_slice::<HistoryLine>(line) {
                Ok(HistoryLine::Run { run, owner }) => {
                    snapshot.cleared.retain(|id| id != &run.id);
                    if !latest.contains_key(&run.id) {
                        order.push(run.id.clone());
                    }
                    latest.insert(run.id.clone(), HistoryEntry { run: *run, owner });
                }
                Ok(HistoryLine::Cleared { ids }) => {
                    for id in ids {
                        if latest.remove(&id).is_some() {
                            order.retain(|o| o != &id);
                        }
                        if !snapshot.cleared.contains(&id) {
                            snapshot.cleared.push(id);
                        }
                    }
                }
                Ok(HistoryLine::KillRequested { id }) => {
                    if !snapshot.kill_requested.contains(&id) {
                        snapshot.kill_requested.push(id);
                    }
                }
                Err(_) => snapshot.bad_lines += 1,
            }
        }
        snapshot.entries = order
            .into_iter()
            .filter_map(|id| latest.remove(&id))
            .collect();
        Ok(snapshot)
    }

    /// Rewrite the file with one line per run (plus one `cleared` line and the kill
    /// requests of running runs) when it holds many superseded lines. Returns whether it was rewritten.
    pub fn compact(&self) -> io::Result<bool> {
        if !self.file.exists() {
            return Ok(false);
        }
        self.locked(true, || {
            let snap = self.read_unlocked()?;
            let running: Vec<&str> = snap
                .entries
                .iter()
                .filter(|e| e.run.status == crate::model::RunStatus::Running)
                .map(|e| e.run.id.as_str())
                .collect();
            let kills: Vec<String> = snap
                .kill_requested
                .iter()
                .filter(|id| running.contains(&id.as_str()))
                .cloned()
                .collect();
            let needed = snap.entries.len() + usize::from(!snap.cleared.is_empty()) + kills.len();
            // A run takes two lines (start, end): rewrite once half the file is
            // superseded or hidden, not on every start.
            if snap.lines <= needed * 3 + 64 {
                return Ok(false);
            }
            let tmp = self.file.with_extension("jsonl.tmp");
            {
                let mut out = io::BufWriter::new(File::create(&tmp)?);
                for e in snap.entries {
                    let line = HistoryLine::Run {
                        run: Box::new(e.run),
                        owner: e.owner,
                    };
                    serde_json::to_writer(&mut out, &line).map_err(io::Error::other)?;
                    out.write_all(b"\n")?;
                }
                for id in kills {
                    serde_json::to_writer(&mut out, &HistoryLine::KillRequested { id })
                        .map_err(io::Error::other)?;
                    out.write_all(b"\n")?;
                }
                if !snap.cleared.is_empty() {
                    let line = HistoryLine::Cleared { ids: snap.cleared };
                    serde_json::to_writer(&mut out, &line).map_err(io::Error::other)?;
                    out.write_all(b"\n")?;
                }
                out.into_inner().map_err(|e| e.into_error())?.sync_all()?;
            }
            std::fs::rename(&tmp, &self.file)?;
            Ok(true)
        })
    }

    /// Size and modification time of the file, to notice writes by other processes.
    pub fn stamp(&self) -> Option<(u64, std::time::SystemTime)> {
        let m = std::fs::metadata(&self.file).ok()?;
        Some((m.len(), m.modified().ok()?))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::RunStatus;
    use chrono::Utc;

    fn run(id: &str, status: RunStatus) -> RunInfo {
        RunInfo {
            id: id.into(),
            name: id.into(),
            command: "true".into(),
            cwd: None,
            pid: Some(1),
            started_at: Utc::now(),
            ended_at: None,
            status,
            exit_code: None,
            reason: None,
            log_path: None,
            env_names: vec![],
            duration_ms: None,
            exit_signal: None,
            pid_start_time: None,
            detached: false,
        }
    }

    #[test]
    fn the_last_state_of_each_run_wins_and_cleared_runs_disappear() {
        let dir = tempfile::tempdir().unwrap();
        let h = RunHistory::new(dir.path());
        assert_eq!(h.load().unwrap(), HistorySnapshot::default());
        h.record(&run("a", RunStatus::Running), None).unwrap();
        h.record(&run("b", RunStatus::Running), None).unwrap();
        h.record(&run("a", RunStatus::Completed), None).unwrap();
        h.record(&run("c", RunStatus::Failed), None).unwrap();
        h.clear(&["c".into()]).unwrap();
        let snap = h.load().unwrap();
        let got: Vec<(&str, RunStatus)> = snap
            .entries
            .iter()
            .map(|e| (e.run.id.as_str(), e.run.status))
            .collect();
        assert_eq!(
            got,
            vec![("a", RunStatus::Completed), ("b", RunStatus::Running)]
        );
        assert_eq!(snap.cleared, vec!["c".to_string()]);
        assert_eq!(snap.lines, 5);
    }

    #[test]
    fn a_torn_line_is_skipped_and_the_next_record_starts_on_its_own_line() {
        let dir = tempfile::tempdir().unwrap();
        let h = RunHistory::new(dir.path());
        h.record(&run("a", RunStatus::Running), None).unwrap();
        // A writer died in the middle of a line.
        let mut f = OpenOptions::new().append(true).open(h.path()).unwrap();
        f.write_all(b"{\"event\":\"run\",\"run\":{\"id\":\"b")
            .unwrap();
        drop(f);
        h.record(&run("a", RunStatus::Killed), None).unwrap();
        std::fs::write(
            dir.path().join("other.txt"),
            "not the history, must be ignored",
        )
        .unwrap();
        let snap = h.load().unwrap();
        assert_eq!(snap.bad_lines, 1);
        assert_eq!(snap.entries.len(), 1);
        assert_eq!(snap.entries[0].run.status, RunStatus::Killed);
    }

    #[test]
    fn invalid_utf8_and_unknown_events_are_counted_not_fatal() {
        let dir = tempfile::tempdir().unwrap();
        let h = RunHistory::new(dir.path());
        std::fs::write(
            h.path(),
            b"\xff\xfe garbage\n{\"event\":\"future-kind\"}\n\n",
        )
        .unwrap();
        h.record(&run("x", RunStatus::Completed), None).unwrap();
        let snap = h.load().unwrap();
        assert_eq!((snap.bad_lines, snap.entries.len()), (2, 1));
    }

    #[test]
    fn compaction_keeps_the_folded_state() {
        let dir = tempfile::tempdir().unwrap();
        let h = RunHistory::new(dir.path());
        for i in 0..100 {
            let mut r = run("same", RunStatus::Running);
            r.name = format!("v{i}");
            h.record(&r, None).unwrap();
        }
        h.record(&run("gone", RunStatus::Completed), None).unwrap();
        h.clear(&["gone".into()]).unwrap();
        let before = h.load().unwrap();
        assert!(h.compact().unwrap());
        let after = h.load().unwrap();
        assert_eq!(after.entries, before.entries);
        assert_eq!(after.entries[0].run.name, "v99");
        assert_eq!(after.cleared, vec!["gone".to_string()]);
        assert_eq!(after.lines, 2);
        assert!(!h.compact().unwrap(), "nothing left to compact");
    }

    #[test]
    fn concurrent_writers_from_many_threads_lose_no_line() {
        let dir = tempfile::tempdir().unwrap();
        let threads: Vec<_> = (0..8)
            .map(|t| {
                let h = RunHistory::new(dir.path());
                std::thread::spawn(move || {
                    for i in 0..50 {
                        h.record(&run(&format!("{t}-{i}"), RunStatus::Completed), None)
                            .unwrap();
                    }
                })
            })
            .collect();
        for t in threads {
            t.join().unwrap();
        }
        let snap = RunHistory::new(dir.path()).load().unwrap();
        assert_eq!((snap.entries.len(), snap.bad_lines), (400, 0));
    }
}
