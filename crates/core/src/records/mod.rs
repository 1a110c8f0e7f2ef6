//! The session record store, compatible with gptme-sessions (`session-records.jsonl`):
//! one JSON object per finished agent session, shared with the Python tool in the same
//! directory under the same lock protocol.
//!
//! - [`record`]: the [`Record`] type, lossless for keys it does not know;
//! - [`model_name`]: model-name normalisation for grouping;
//! - [`store`]: location, locking, append with torn-tail repair, atomic rewrite;
//! - [`lookup`]: id-prefix resolution;
//! - [`annotate`]: amending one record under the lock;
//! - [`filter`]: the shared filters and `--since`;
//! - [`post_session`]: building the record at the end of an agent run, graded by
//!   [`signals`], with [`smell`] (the journal's LLM-smell score) and [`failure`]
//!   (why a failed run failed);
//! - [`discover`]: finding agent transcripts and turning them into records (`sync`),
//!   picked by the day [`session_day`] gives them (gptme-sessions' rules);
//! - [`judge`]: the opt-in LLM judge;
//! - [`dedup`]: merging records that describe one session twice;
//! - [`repair_grades`]: `grades` filled from the legacy scalar grade fields;
//! - [`cost`]: what sessions cost, priced like gptme-usage;
//! - [`normalized`]: one agent log as gptme-sessions' normalized transcript, printed
//!   through [`pyjson`] as Python prints it;
//! - [`transcript_search`]: `search` over those transcripts;
//! - [`fix_timestamps`]: `sync --fix-timestamps`;
//! - [`classify`]: the keyword classifier of journal entries (`classify`,
//!   `classify-stats`), found and read by [`journal`];
//! - [`blame`]: commits of a file matched to the session windows of the records;
//! - [`auto_tag`]: categories set from what the trajectories show (`auto-tag`);
//! - [`signals`]: a trajectory's productivity signals, usage and grade (`signals`,
//!   and the grades `post-session` and `discover --signals` record).
//!
//! Statistics over records live in [`crate::analytics`]. Nothing here knows about a
//! terminal or a window; the CLI and the app call these functions.

pub mod annotate;
pub mod auto_tag;
pub mod blame;
pub mod classify;
pub mod cost;
pub mod dedup;
pub mod discover;
pub mod failure;
pub mod filter;
pub mod fix_timestamps;
pub mod journal;
pub mod judge;
pub mod lookup;
pub mod model_name;
pub mod normalized;
pub mod post_session;
pub mod pyjson;
pub mod record;
pub mod repair_grades;
pub mod scan;
pub mod session_day;
pub mod signals;
pub mod smell;
pub mod store;
pub mod transcript_search;

pub use filter::RecordFilter;
pub use lookup::{find_by_prefix, LookupError};
pub use model_name::normalize_model;
pub use record::Record;
pub use store::{sessions_dir, Loaded, Store, StoreError};

/// The records that pass `filter`, in file order. Lines are filtered on a light view
/// first, so only the records that pass are parsed in full.
pub fn query(
    store: &Store,
    filter: &RecordFilter,
    now: chrono::DateTime<chrono::Utc>,
) -> Result<Vec<Record>, StoreError> {
    let bytes = store.read_bytes()?;
    let mut kept: Vec<&[u8]> = Vec::new();
    crate::records::scan::scan_store_lines(&bytes, |f, line| {
        if filter.matches(f, now) {
            kept.push(line);
        }
    });
    Ok(kept.into_iter().filter_map(Record::from_line).collect())
}

/// How many records the store holds (a light scan; malformed lines do not count).
pub fn count(store: &Store) -> Result<u64, StoreError> {
    let path = store.path();
    let parts = crate::records::scan::scan_file_parallel(&path, || 0u64, |n, _| *n += 1)
        .map_err(|source| StoreError::Io { path, source })?;
    Ok(parts.into_iter().sum())
}

/// The one record `id_or_prefix` designates (see [`find_by_prefix`]), reading only the
/// ids of the other records.
pub fn find(store: &Store, id_or_prefix: &str) -> Result<Record, FindError> {
    if id_or_prefix.is_empty() {
        return Err(LookupError::Empty.into());
    }
    let bytes = store.read_bytes()?;
    let candidates: Vec<Record> = bytes
        .split(|b| *b == b'\n')
        .filter(|line| lookup::line_id_may_match(line, id_or_prefix))
        .filter_map(Record::from_line)
        .collect();
    let i = find_by_prefix(&candidates, id_or_prefix)?;
    Ok(candidates
        .into_iter()
        .nth(i)
        .expect("index from find_by_prefix"))
}

/// Why [`find`] found no single record.
#[derive(Debug, thiserror::Error)]
pub enum FindError {
    #[error(transparent)]
    Lookup(#[from] LookupError),
    #[error(transparent)]
    Store(#[from] StoreError),
}
