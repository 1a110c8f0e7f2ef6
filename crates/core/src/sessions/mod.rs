//! The live session table and what feeds it: [`watch`] (filesystem events),
//! [`tail`] (incremental reads), [`index`] + [`cache`] (the rows, and the SQLite cache
//! that makes a restart cheap, its facts in the binary form of [`facts_codec`]), [`status`] (what each session is doing), [`live`] (the
//! loop that turns all of it into change sets), [`search`] (full-text search over
//! transcripts), [`short_id`] (the one rule for showing and accepting short ids),
//! [`alerts`] (which changes deserve a notification) and [`export`]
//! (CSV/JSON of the rows).

pub mod alerts;
pub mod cache;
pub mod export;
pub mod facts_codec;
pub mod index;
pub mod live;
pub mod search;
pub mod short_id;
pub mod status;
pub mod tail;
pub mod watch;
