//! Where things live: Sessionscope's own data directory and run logs, and (from
//! [`crate::agents::roots`], re-exported here) the agents' transcript roots.
//!
//! Nothing here creates or writes anything; it only computes paths.

use std::path::{Path, PathBuf};

pub use crate::agents::roots::{harness_roots, root_env_var, roots_for, searched_roots, Os};

/// Sessionscope's own data directory: `$SESSIONSCOPE_DATA_DIR`, else the platform's
/// data directory (`~/.local/share/sessionscope` on Linux).
/// Where the app and the CLI keep the transcripts' offset indexes
/// ([`crate::agents::transcript::offsets::OffsetStore`]).
pub fn transcript_offsets_db() -> PathBuf {
    data_dir().join("transcript_offsets.sqlite3")
}

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
