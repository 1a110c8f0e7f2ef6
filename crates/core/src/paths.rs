//! Where things live: the agents' transcript roots (from each agent's own environment
//! variable, else its documented default) and Sessionscope's own data directory.
//!
//! Nothing here creates or writes anything; it only computes paths. Home and config
//! directories come from the `directories` crate (XDG rules on Linux), never from a
//! hard-coded `/home/...`.

use std::path::{Path, PathBuf};

use crate::agents::{claude, codex, copilot, gemini, gptme, opencode, HarnessRoot};
use crate::model::Harness;

/// Every transcript root Sessionscope watches in this environment, from each agent's
/// own variable (`CLAUDE_CONFIG_DIR`, `CODEX_HOME`, `GPTME_LOGS_DIR`, `GEMINI_DATA_DIR`,
/// `OPENCODE_DATA_DIR`, `COPILOT_STATE_DIR`), else its documented default.
pub fn harness_roots() -> Vec<HarnessRoot> {
    let home = directories::BaseDirs::new().map(|b| b.home_dir().to_path_buf());
    let home = home.as_deref();
    let env = |name: &str| std::env::var(name).ok();
    let mut roots = Vec::new();
    let mut add = |harness: Harness, paths: Vec<PathBuf>| {
        roots.extend(paths.into_iter().map(|path| HarnessRoot { harness, path }));
    };
    add(
        Harness::ClaudeCode,
        claude::default_roots(env("CLAUDE_CONFIG_DIR").as_deref(), home),
    );
    add(
        Harness::Codex,
        codex::default_roots(env("CODEX_HOME").as_deref(), home),
    );
    add(
        Harness::Gptme,
        gptme::default_roots(env("GPTME_LOGS_DIR").as_deref()),
    );
    add(
        Harness::Gemini,
        gemini::default_roots(env("GEMINI_DATA_DIR").as_deref(), home),
    );
    add(
        Harness::Opencode,
        opencode::default_roots(env("OPENCODE_DATA_DIR").as_deref()),
    );
    add(
        Harness::Copilot,
        copilot::default_roots(env("COPILOT_STATE_DIR").as_deref(), home),
    );
    roots
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

/// The folder to show for a session's path ("Open folder" in the app): the directory
/// holding a transcript file, the path itself when it is a directory, else its nearest
/// existing ancestor (an opencode database location `opencode.db#ses_1` names no file
/// of its own; a deleted transcript leaves its directory). `None` when nothing of it
/// exists.
pub fn folder_of(path: &Path) -> Option<PathBuf> {
    if path.is_dir() {
        return Some(path.to_path_buf());
    }
    path.ancestors()
        .skip(1)
        .find(|p| p.is_dir())
        .map(Path::to_path_buf)
}

#[cfg(test)]
mod folder_tests {
    use super::*;

    #[test]
    fn the_folder_of_a_file_a_store_location_and_a_deleted_file() {
        let d = tempfile::tempdir().unwrap();
        let dir = d.path().join("projects").join("-w-p");
        std::fs::create_dir_all(&dir).unwrap();
        let file = dir.join("abc.jsonl");
        std::fs::write(&file, "{}\n").unwrap();
        assert_eq!(folder_of(&file), Some(dir.clone()));
        assert_eq!(folder_of(&dir), Some(dir.clone()));
        let db = d.path().join("opencode.db");
        std::fs::write(&db, "").unwrap();
        assert_eq!(
            folder_of(Path::new(&format!("{}#ses_1", db.display()))),
            Some(d.path().to_path_buf())
        );
        std::fs::remove_file(&file).unwrap();
        assert_eq!(folder_of(&file), Some(dir));
        assert_eq!(folder_of(Path::new("")), None);
    }
}
