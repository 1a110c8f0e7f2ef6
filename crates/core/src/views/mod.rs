//! What the app's Records and Analytics views show, shaped for the web view: flat,
//! `ts-rs`-exported types built from the record store ([`records_view`]) and from the
//! live session list ([`daily`]).
//!
//! The gptme-sessions-compatible JSON shapes (`Stats`, `RunAnalytics`) stay in
//! [`crate::analytics`]; this module only converts them into lists a chart can plot and
//! adds the per-day aggregations the CLI has no command for. It never writes anything.

pub mod daily;
pub mod records_tools;
pub mod records_view;

pub use daily::{session_analytics, SessionAnalytics};
pub use records_view::{
    outcome_trend, record_fields, record_row, DayOutcomes, RecordField, RecordQuery, RecordRow,
    RecordsOverview,
};

use serde::{Deserialize, Serialize};
use ts_rs::TS;

use crate::analytics::{run_analytics, stats};
use crate::model::Session;
use crate::records::annotate::{annotate, AnnotateError, Annotation};
use crate::records::filter::RecordFields;
use crate::records::{find, FindError, Store, StoreError};

/// What the Records view shows for one set of filters: the rows (newest first), the
/// stats and run analytics of exactly those rows, and their outcomes per day.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
pub struct RecordsPage {
    /// The store file, so the view can say where it looked.
    pub store_path: String,
    pub rows: Vec<RecordRow>,
    pub overview: RecordsOverview,
    pub trend: Vec<DayOutcomes>,
    /// The kinds of work of exactly those rows.
    pub categories: records_tools::CategoryStats,
}

/// Why a page could not be built.
#[derive(Debug, thiserror::Error)]
pub enum PageError {
    #[error(transparent)]
    Since(#[from] crate::since::SinceError),
    #[error(transparent)]
    Store(#[from] StoreError),
}

pub fn records_page(store: &Store, q: &RecordQuery) -> Result<RecordsPage, PageError> {
    let filter = q.to_filter()?;
    let records = crate::records::query(store, &filter, chrono::Utc::now())?;
    Ok(page_of(store.path().display().to_string(), &records))
}

/// The page of records already filtered (a host's answer to a `records` request, read
/// there with the same filters), `store_path` naming where they came from.
pub fn page_of(store_path: String, records: &[crate::records::Record]) -> RecordsPage {
    let fields = || records.iter().map(RecordFields::of);
    RecordsPage {
        store_path,
        rows: newest_first(records),
        overview: RecordsOverview::new(&stats(fields()), &run_analytics(fields())),
        trend: outcome_trend(fields()),
        categories: records_tools::category_stats(records),
    }
}

/// Rows by their timestamp, newest first: `sync` and "Record this session" date a record
/// by its session's start, so append order is not time order. Records with the same
/// time (or none that parses, which go last) keep the later-appended-first order.
fn newest_first(records: &[crate::records::Record]) -> Vec<RecordRow> {
    let mut keyed: Vec<_> = records
        .iter()
        .rev()
        .map(|r| (crate::records::filter::parse_timestamp(&r.timestamp), r))
        .collect();
    keyed.sort_by_key(|k| std::cmp::Reverse(k.0));
    keyed.into_iter().map(|(_, r)| record_row(r)).collect()
}

/// Outcomes per day of the records passing `q`, read with the light scan (no full
/// record is built), for the Analytics view.
pub fn records_trend(store: &Store, q: &RecordQuery) -> Result<Vec<DayOutcomes>, PageError> {
    let filter = q.to_filter()?;
    let now = chrono::Utc::now();
    let bytes = store.read_bytes()?;
    let mut trend = records_view::TrendBuilder::default();
    crate::records::scan::scan_store_bytes(&bytes, |f| {
        if filter.matches(f, now) {
            trend.add(f);
        }
    });
    Ok(trend.finish())
}

/// Every key of the record `id_or_prefix` designates.
pub fn record_detail(store: &Store, id_or_prefix: &str) -> Result<Vec<RecordField>, FindError> {
    Ok(record_fields(&find(store, id_or_prefix)?))
}

/// What the view's "Annotate" form may change. Empty strings change nothing.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, TS)]
pub struct RecordAnnotation {
    pub outcome: Option<String>,
    pub category: Option<String>,
    pub add_deliverables: Vec<String>,
    pub notes: Option<String>,
}

impl RecordAnnotation {
    fn to_annotation(&self) -> Annotation {
        let keep = |s: &Option<String>| {
            s.as_deref()
                .map(str::trim)
                .filter(|s| !s.is_empty())
                .map(str::to_string)
        };
        Annotation {
            outcome: keep(&self.outcome),
            category: keep(&self.category),
            add_deliverables: self
                .add_deliverables
                .iter()
                .map(|d| d.trim())
                .filter(|d| !d.is_empty())
                .map(str::to_string)
                .collect(),
            notes: keep(&self.notes),
            ..Annotation::default()
        }
    }
}

/// Amend one record under the store lock (see [`crate::records::annotate`]); returns
/// its new fields.
pub fn annotate_record(
    store: &Store,
    id_or_prefix: &str,
    a: &RecordAnnotation,
) -> Result<Vec<RecordField>, AnnotateError> {
    Ok(record_fields(&annotate(
        store,
        id_or_prefix,
        &a.to_annotation(),
    )?))
}

/// The answer to "Record this session": the record's id and outcome, and whether the
/// store held it already (then nothing was written).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
pub struct SessionRecorded {
    pub session_id: String,
    pub outcome: Option<String>,
    pub already_recorded: bool,
}

/// Run the post-session pipeline on a session of the live table
/// ([`crate::records::post_session::record_seen_session`]).
pub fn record_session(
    store: &Store,
    session: &Session,
    facts: &crate::agents::TranscriptFacts,
) -> Result<SessionRecorded, StoreError> {
    use crate::records::post_session::{record_seen_session, Recorded};
    let (record, already_recorded) =
        match record_seen_session(store, session, facts, chrono::Utc::now())? {
            Recorded::Added(r) => (r, false),
            Recorded::AlreadyThere(r) => (r, true),
        };
    Ok(SessionRecorded {
        session_id: record.session_id,
        outcome: record.outcome,
        already_recorded,
    })
}

/// [`session_analytics`] for the last `days` days up to now, with the top 15 projects.
pub fn session_analytics_now(sessions: &[Session], days: u32) -> SessionAnalytics {
    session_analytics(sessions, chrono::Utc::now(), days, 15)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::records::Record;

    #[test]
    fn rows_are_ordered_by_time_not_by_append_order() {
        let d = tempfile::tempdir().unwrap();
        let store = Store::new(d.path());
        let now = chrono::Utc::now();
        // A synced old session appended after a newer post-session record, in both
        // of the timestamp forms the store holds, and one with no usable time.
        for (id, ago_h, zulu) in [("new", 1, false), ("old", 30, true), ("mid", 5, false)] {
            let mut r = Record::new();
            r.session_id = id.into();
            let t = now - chrono::Duration::hours(ago_h);
            r.timestamp = if zulu {
                t.format("%Y-%m-%dT%H:%M:%S%.6fZ").to_string()
            } else {
                t.format("%Y-%m-%dT%H:%M:%S%.6f+00:00").to_string()
            };
            store.append(&r).unwrap();
        }
        let mut broken = Record::new();
        broken.session_id = "notime".into();
        broken.timestamp = "yesterday-ish".into();
        store.append(&broken).unwrap();
        let page = records_page(&store, &RecordQuery::default()).unwrap();
        let ids: Vec<&str> = page.rows.iter().map(|r| r.session_id.as_str()).collect();
        assert_eq!(ids, ["new", "mid", "old", "notime"]);
    }

    #[test]
    fn page_filters_rows_newest_first_and_annotation_round_trips() {
        let d = tempfile::tempdir().unwrap();
        let store = Store::new(d.path());
        for (id, harness, outcome) in [
            ("aaaa0001", "codex", "noop"),
            ("aaaa0002", "claude-code", "productive"),
            ("bbbb0003", "codex", "productive"),
        ] {
            let mut r = Record::new();
            r.session_id = id.into();
            r.harness = Some(harness.into());
            r.outcome = Some(outcome.into());
            r.extra.insert("custom".into(), serde_json::json!([1, 2]));
            store.append(&r).unwrap();
        }
        let q = RecordQuery {
            harness: Some("codex".into()),
            since: Some("1d".into()),
            ..RecordQuery::default()
        };
        let page = records_page(&store, &q).unwrap();
        let ids: Vec<&str> = page.rows.iter().map(|r| r.session_id.as_str()).collect();
        assert_eq!(ids, ["bbbb0003", "aaaa0001"]);
        assert_eq!(page.overview.total, 2);
        assert_eq!(page.overview.productive, 1);
        assert_eq!(page.trend.iter().map(|d| d.total).sum::<u64>(), 2);
        assert_eq!(records_trend(&store, &q).unwrap(), page.trend);
        let all = records_trend(&store, &RecordQuery::default()).unwrap();
        assert_eq!(
            (all.len(), all[0].total, all[0].productive, all[0].noop),
            (1, 3, 2, 1)
        );

        let a = RecordAnnotation {
            outcome: Some("productive".into()),
            category: Some("  ".into()),
            add_deliverables: vec!["https://github.com/o/r/pull/1".into(), " ".into()],
            notes: Some("looked at it".into()),
        };
        let fields = annotate_record(&store, "aaaa0001", &a).unwrap();
        let get = |k: &str| fields.iter().find(|f| f.key == k).map(|f| f.value.clone());
        assert_eq!(get("outcome").as_deref(), Some("productive"));
        assert_eq!(get("category").as_deref(), Some("null"));
        assert_eq!(
            get("deliverables").as_deref(),
            Some(r#"["https://github.com/o/r/pull/1"]"#)
        );
        assert_eq!(get("custom").as_deref(), Some("[1,2]"));
        // Written to the store, not just returned.
        assert_eq!(record_detail(&store, "aaaa0001").unwrap(), fields);
        assert!(
            annotate_record(&store, "aaaa", &a).is_err(),
            "ambiguous prefix"
        );
        assert!(annotate_record(&store, "bbbb0003", &RecordAnnotation::default()).is_err());
    }

    #[test]
    fn missing_store_is_an_empty_page() {
        let d = tempfile::tempdir().unwrap();
        let page =
            records_page(&Store::new(d.path().join("nope")), &RecordQuery::default()).unwrap();
        assert!(page.rows.is_empty());
        assert_eq!(page.overview.total, 0);
    }
}
