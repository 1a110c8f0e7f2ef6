//! Where things live: the agents' transcript roots (from each agent's own environment
//! variable, else its documented default) and Sessionscope's own data directory.
//!
//! Nothing here creates or writes anything; it only computes paths. Home and config
//! directories come from the `directories` crate (XDG rules on Linux), never from a
//! hard-coded `/home/...`.

use std::path::PathBuf;

use crate::harness::{claude, HarnessRoot};
use crate::model::Harness;

/// Every transcript root Sessionscope watches in this environment.
pub fn harness_roots() -> Vec<HarnessRoot> {
    let home = directories::BaseDirs::new().map(|b| b.home_dir().to_path_buf());
    let claude_env = std::env::var("CLAUDE_CONFIG_DIR").ok();
    claude::default_roots(claude_env.as_deref(), home.as_deref())
        .into_iter()
        .map(|path| HarnessRoot {
            harness: Harness::ClaudeCode,
            path,
        })
        .collect()
}

/// Sessionscope's own data directory: `$SESSIONSCOPE_DATA_DIR`, else the platform's
/// data directory (`~/.local/share/sessionscope` on Linux).
pub fn data_dir() -> PathBuf {
    if let Some(dir) = std::env::var_os("SESSIONSCOPE_DATA_DIR").filter(|d| !d.is_empty()) {
        return PathBuf::from(dir);
    }
    directories::ProjectDirs::from("dev", "sessionscope", "sessionscope")
        .map(|p| p.data_dir().to_path_buf())
        .unwrap_or_else(|| std::env::temp_dir().join("sessionscope"))
}

/// Where the logs of supervised runs are kept.
pub fn run_log_dir() -> PathBuf {
    data_dir().join("runs")
}
