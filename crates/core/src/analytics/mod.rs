//! Numbers over the record store and over usage: `stats` (success rates by model, run type, harness,
//! project and their cross-tabs), `runs` (duration distribution, NOOP rate, short runs,
//! daily counts, model × outcome), with the exact JSON keys and numbers of
//! gptme-sessions' `SessionStore.stats` and `compute_run_analytics`; [`usage`] (token and
//! cost totals grouped as ccusage groups them; prices come from [`crate::pricing`]).
//!
//! [`crate::records::scan`] reads the store with a borrowed, few-field view of each line, so
//! statistics over 100k records do not build 100k full [`crate::records::Record`]s; a
//! line that view cannot read falls back to the full record parser, so both paths see
//! the same values. This module never writes anything.

pub mod runs;
pub mod stats;
pub mod usage;

pub use runs::{run_analytics, RunAnalytics};
pub use stats::{stats, Bucket, DurationStats, Stats};

use chrono::{DateTime, Utc};

use crate::records::{RecordFilter, Store, StoreError};
use crate::since::Since;

/// `stats` over the records of `store` that pass `filter`.
pub fn store_stats(
    store: &Store,
    filter: &RecordFilter,
    now: DateTime<Utc>,
) -> Result<Stats, StoreError> {
    let path = store.path();
    let parts =
        crate::records::scan::scan_file_parallel(&path, stats::StatsBuilder::default, |b, f| {
            if filter.matches(f, now) {
                b.add(f);
            }
        })
        .map_err(|source| StoreError::Io { path, source })?;
    let mut all = stats::StatsBuilder::default();
    for part in parts {
        all.merge(part);
    }
    Ok(all.finish())
}

/// `runs` over the records of `store` since `since` (all when `None`).
pub fn store_runs(
    store: &Store,
    since: Option<Since>,
    now: DateTime<Utc>,
) -> Result<RunAnalytics, StoreError> {
    let filter = RecordFilter {
        since,
        ..RecordFilter::default()
    };
    let path = store.path();
    let parts =
        crate::records::scan::scan_file_parallel(&path, runs::RunsBuilder::default, |b, f| {
            if filter.matches(f, now) {
                b.add(f);
            }
        })
        .map_err(|source| StoreError::Io { path, source })?;
    let mut all = runs::RunsBuilder::default();
    for part in parts {
        all.merge(part);
    }
    Ok(all.finish())
}
