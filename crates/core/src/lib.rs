//! sessionscope-core: everything Sessionscope knows, with no user interface.
//!
//! The CLI (`crates/cli`) and the desktop shell (`src-tauri`) are thin layers over this
//! crate; neither holds logic of its own. Data flows one way: filesystem → [`watch`] →
//! [`tail`] → [`harness`] parsers → [`index`] → [`status`] → change sets ([`live`]).
//! Commands the user starts are run by [`supervisor`] and remembered by [`history`];
//! agent processes are found and signalled by [`procs`]; [`kill`] plans and carries out
//! graceful, PID-reuse-safe stops; [`gptme_server`] is a client of a gptme-server.

pub mod agent_state;
pub mod alerts;
pub mod analytics;
pub mod bindings;
pub mod cache;
pub mod dashboard;
pub mod doctor;
pub mod export;
pub mod gptme_server;
pub mod harness;
pub mod history;
pub mod index;
pub mod kill;
pub mod live;
pub mod model;
pub mod owners;
pub mod pacer;
pub mod paths;
pub mod pricing;
pub mod procs;
pub mod progress;
pub mod quit_notice;
pub mod records;
pub mod search;
pub mod settings;
pub mod sqlite_file;
pub mod status;
pub mod supervisor;
pub mod tail;
pub mod transcript;
pub mod usage;
pub mod watch;
