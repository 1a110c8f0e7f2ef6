//! Log retention: deleting run logs older than the retention period, never those of
//! runs still running.

use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime};

use super::Supervisor;
use crate::model::RunStatus;

impl Supervisor {
    /// Delete logs older than `days` days, except those of running runs. Returns the
    /// deleted files. The runs stay in the history; reopening such a log says it is gone.
    pub fn apply_retention(&self, days: u32) -> std::io::Result<Vec<PathBuf>> {
        let keep: Vec<PathBuf> = self
            .runs()
            .into_iter()
            .filter(|r| r.status == RunStatus::Running)
            .filter_map(|r| r.log_path.map(PathBuf::from))
            .collect();
        prune_logs(
            &self.inner.log_dir,
            Duration::from_secs(u64::from(days) * 86_400),
            SystemTime::now(),
            &keep,
        )
    }
}

/// Delete `*.log` files in `dir` last modified more than `max_age` before `now`,
/// except those listed in `keep`. Returns what was deleted.
pub fn prune_logs(
    dir: &Path,
    max_age: Duration,
    now: SystemTime,
    keep: &[PathBuf],
) -> std::io::Result<Vec<PathBuf>> {
    let cutoff = now.checked_sub(max_age).unwrap_or(SystemTime::UNIX_EPOCH);
    let entries = match std::fs::read_dir(dir) {
        Ok(e) => e,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
        Err(e) => return Err(e),
    };
    let mut deleted = Vec::new();
    for entry in entries.flatten() {
        let path = entry.path();
        if path.extension().and_then(|e| e.to_str()) != Some("log") || keep.contains(&path) {
            continue;
        }
        let Ok(meta) = entry.metadata() else { continue };
        if !meta.is_file() || meta.modified().map_or(true, |m| m >= cutoff) {
            continue;
        }
        if std::fs::remove_file(&path).is_ok() {
            deleted.push(path);
        }
    }
    deleted.sort();
    Ok(deleted)
}
