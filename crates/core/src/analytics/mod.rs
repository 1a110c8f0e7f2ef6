//! Numbers over the record store: `stats` (success rates by model, run type, harness,
//! project and their cross-tabs), `runs` (duration distribution, NOOP rate, short runs,
//! daily counts, model × outcome), with the exact JSON keys and numbers of
//! gptme-sessions' `SessionStore.stats` and `compute_run_analytics`.
//!
//! [`scan`] reads the store's bytes with a borrowed, few-field view of each line, so
//! statistics over 100k records do not build 100k full [`crate::records::Record`]s; a
//! line that view cannot read falls back to the full record parser, so both paths see
//! the same values. This module never writes anything.

pub mod runs;
pub mod scan;
pub mod stats;

pub use runs::{run_analytics, RunAnalytics};
pub use scan::scan_store_bytes;
pub use stats::{stats, Bucket, DurationStats, Stats};
