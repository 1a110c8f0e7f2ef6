//! sessionscope-core: everything Sessionscope knows, with no user interface.
//!
//! The CLI (`crates/cli`) and the desktop shell (`src-tauri`) are thin layers over this
//! crate; neither holds logic of its own. Data flows one way: filesystem →
//! [`sessions::watch`] → [`sessions::tail`] → [`agents`] parsers → [`sessions::index`] →
//! [`sessions::status`] → change sets ([`sessions::live`]). Commands the user starts are
//! run and remembered by [`runs`]; agent processes are found and signalled by [`procs`];
//! [`kill`] plans and carries out graceful, PID-reuse-safe stops; [`records`] is the
//! gptme-sessions record store and [`analytics`] the numbers over it and over usage;
//! [`views`] shapes both for the app's Records and Analytics views; [`remote`] serves
//! the live table to, and reads it from, other machines over SSH.

pub mod agent_file;
pub mod agent_state;
pub mod agents;
pub mod analytics;
pub mod background;
pub mod bindings;
pub mod consent;
pub mod doctor;
#[doc(hidden)]
pub mod fuzz_hooks;
pub mod kill;
pub mod model;
pub mod owners;
pub mod paths;
pub mod pricing;
pub mod procs;
pub mod progress;
pub mod records;
pub mod remote;
pub mod runs;
pub mod sessions;
pub mod settings;
pub mod since;
pub mod sqlite_file;
pub mod views;
