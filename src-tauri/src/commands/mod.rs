//! Tauri commands, one file per area. Each is a few lines calling core.

pub mod analytics;
pub mod records;
pub mod remote;
pub mod remote_records;
pub mod remote_runs;
pub mod runs;
pub mod search;
pub mod server;
pub mod sessions;
pub mod settings;
pub mod transcript;
