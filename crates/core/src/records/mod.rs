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
//! - [`post_session`]: building the record at the end of an agent run;
//! - [`discover`]: finding agent transcripts and turning them into records (`sync`);
//! - [`judge`]: the opt-in LLM judge.
//!
//! Statistics over records live in [`crate::analytics`]. Nothing here knows about a
//! terminal or a window; the CLI and the app call these functions.

pub mod annotate;
pub mod discover;
pub mod filter;
pub mod judge;
pub mod lookup;
pub mod model_name;
pub mod post_session;
pub mod record;
pub mod store;

pub use filter::{parse_since, RecordFilter};
pub use lookup::{find_by_prefix, LookupError};
pub use model_name::normalize_model;
pub use record::Record;
pub use store::{sessions_dir, Loaded, Store, StoreError};

/// The records that pass `filter`, in file order.
pub fn query(
    store: &Store,
    filter: &RecordFilter,
    now: chrono::DateTime<chrono::Utc>,
) -> Result<Vec<Record>, StoreError> {
    let loaded = store.load()?;
    Ok(loaded
        .records
        .into_iter()
        .filter(|r| filter.matches(&filter::RecordFields::of(r), now))
        .collect())
}
