//! The Records view's data: the filter the view sends ([`RecordQuery`]), one light row
//! per record for the table ([`RecordRow`]), every key of one record as text for the
//! detail pane ([`record_fields`]), the stats and run analytics as plottable lists
//! ([`RecordsOverview`]) and outcomes per day ([`outcome_trend`]).
//!
//! Numbers come from [`crate::analytics`] (the gptme-sessions semantics); this module
//! only reshapes them. It never reads or writes the store itself.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use serde_json::Value;
use ts_rs::TS;

use crate::analytics::{Bucket, RunAnalytics, Stats};
use crate::records::filter::RecordFields;
use crate::records::record::KNOWN_FIELDS;
use crate::records::{Record, RecordFilter};
use crate::since::{parse_since, SinceError};

/// The shared filters of `sessionscope records query`, as the view sends them. Empty
/// strings do not filter; `since` takes the CLI's forms (`90s`, `30m`, `2h`, `7d`,
/// `2w`, `all`).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, TS)]
pub struct RecordQuery {
    pub model: Option<String>,
    pub harness: Option<String>,
    pub outcome: Option<String>,
    pub category: Option<String>,
    pub run_type: Option<String>,
    /// Substring of the project path.
    pub project: Option<String>,
    pub since: Option<String>,
}

fn non_empty(s: &Option<String>) -> Option<String> {
    s.as_deref()
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(str::to_string)
}

impl RecordQuery {
    pub fn to_filter(&self) -> Result<RecordFilter, SinceError> {
        let since = match non_empty(&self.since) {
            Some(s) => parse_since(&s)?,
            None => None,
        };
        Ok(RecordFilter {
            model: non_empty(&self.model),
            run_type: non_empty(&self.run_type),
            category: non_empty(&self.category),
            harness: non_empty(&self.harness),
            outcome: non_empty(&self.outcome),
            project: non_empty(&self.project),
            since,
        })
    }
}

/// One line of the records table.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
pub struct RecordRow {
    pub session_id: String,
    pub timestamp: String,
    pub harness: Option<String>,
    /// As stored.
    pub model: Option<String>,
    /// As grouped by the stats (see [`crate::records::normalize_model`]).
    pub model_normalized: Option<String>,
    pub run_type: Option<String>,
    pub category: Option<String>,
    pub outcome: Option<String>,
    pub project: Option<String>,
    #[ts(type = "number")]
    pub duration_seconds: i64,
    #[ts(type = "number | null")]
    pub token_count: Option<i64>,
    pub deliverables: u32,
    /// The record has keys this version does not know (shown in the detail pane).
    pub unknown_keys: u32,
}

pub fn record_row(r: &Record) -> RecordRow {
    RecordRow {
        session_id: r.session_id.clone(),
        timestamp: r.timestamp.clone(),
        harness: r.harness.clone(),
        model: r.model.clone(),
        model_normalized: r.model_normalized(),
        run_type: r.run_type.clone(),
        category: r.category.clone(),
        outcome: r.outcome.clone(),
        project: r.project.clone(),
        duration_seconds: r.duration_seconds,
        token_count: r.token_count,
        deliverables: r.deliverables.len() as u32,
        unknown_keys: r
            .extra
            .keys()
            .filter(|k| !KNOWN_FIELDS.contains(&k.as_str()))
            .count() as u32,
    }
}

/// One key of a record with its value as plain text: strings as they are, anything
/// else as compact JSON. The view renders it as text, never as HTML.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
pub struct RecordField {
    pub key: String,
    pub value: String,
    /// A key gptme-sessions defines (false: an unknown key kept as read).
    pub known: bool,
}

/// Every key of `r` in the order it is written to the store.
pub fn record_fields(r: &Record) -> Vec<RecordField> {
    let Value::Object(map) = r.to_value() else {
        return Vec::new();
    };
    map.into_iter()
        .map(|(key, v)| RecordField {
            known: KNOWN_FIELDS.contains(&key.as_str()),
            value: match v {
                Value::String(s) => s,
                other => other.to_string(),
            },
            key,
        })
        .collect()
}

/// A group of a stats breakdown.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
pub struct GroupRate {
    pub name: String,
    #[ts(type = "number")]
    pub total: u64,
    #[ts(type = "number")]
    pub productive: u64,
    /// productive / total.
    pub rate: f64,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
pub struct NamedCount {
    pub name: String,
    #[ts(type = "number")]
    pub count: u64,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
pub struct NoopRow {
    pub run_type: String,
    #[ts(type = "number")]
    pub total: u64,
    #[ts(type = "number")]
    pub noop: u64,
    pub rate: f64,
}

/// Model × outcome: `other` is every outcome besides productive and noop.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
pub struct ModelOutcomeRow {
    pub model: String,
    #[ts(type = "number")]
    pub total: u64,
    #[ts(type = "number")]
    pub productive: u64,
    #[ts(type = "number")]
    pub noop: u64,
    #[ts(type = "number")]
    pub other: u64,
    pub rate: f64,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
pub struct DurationSummary {
    #[ts(type = "number")]
    pub count: u64,
    pub avg: f64,
    #[ts(type = "number")]
    pub min: i64,
    #[ts(type = "number")]
    pub max: i64,
    pub total_hours: f64,
}

/// `stats` and `runs` of one selection, as lists in display order.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, TS)]
pub struct RecordsOverview {
    #[ts(type = "number")]
    pub total: u64,
    #[ts(type = "number")]
    pub productive: u64,
    #[ts(type = "number")]
    pub noop: u64,
    #[ts(type = "number")]
    pub violated_policy: u64,
    pub success_rate: f64,
    pub duration: Option<DurationSummary>,
    pub by_model: Vec<GroupRate>,
    pub by_harness: Vec<GroupRate>,
    pub by_run_type: Vec<GroupRate>,
    pub by_project: Vec<GroupRate>,
    /// `<1m`, `1-5m`, `5-15m`, `15-30m`, `30m+`, `unknown`, always all six.
    pub duration_buckets: Vec<NamedCount>,
    pub noop_by_run_type: Vec<NoopRow>,
    /// Oldest day first.
    pub daily_counts: Vec<NamedCount>,
    pub model_outcome: Vec<ModelOutcomeRow>,
}

fn groups(m: &BTreeMap<String, Bucket>) -> Vec<GroupRate> {
    m.iter()
        .map(|(name, b)| GroupRate {
            name: name.clone(),
            total: b.total,
            productive: b.productive,
            rate: b.rate,
        })
        .collect()
}

impl RecordsOverview {
    pub fn new(stats: &Stats, runs: &RunAnalytics) -> Self {
        let mut o = RecordsOverview {
            total: stats.total,
            ..RecordsOverview::default()
        };
        if let Some(d) = &stats.detail {
            o.productive = d.productive;
            o.noop = d.noop;
            o.violated_policy = d.violated_policy;
            o.success_rate = d.success_rate;
            o.duration = d.duration.map(|d| DurationSummary {
                count: d.count,
                avg: d.avg,
                min: d.min,
                max: d.max,
                total_hours: d.total_hours,
            });
            o.by_model = groups(&d.by_model);
            o.by_harness = groups(&d.by_harness);
            o.by_run_type = groups(&d.by_run_type);
            o.by_project = groups(&d.by_project);
        }
        let dd = runs
            .detail
            .as_ref()
            .map(|r| r.duration_distribution)
            .unwrap_or_default();
        o.duration_buckets = [
            ("<1m", dd.under_1m),
            ("1-5m", dd.m1_5),
            ("5-15m", dd.m5_15),
            ("15-30m", dd.m15_30),
            ("30m+", dd.over_30m),
            ("unknown", dd.unknown),
        ]
        .into_iter()
        .map(|(name, count)| NamedCount {
            name: name.into(),
            count,
        })
        .collect();
        if let Some(r) = &runs.detail {
            o.noop_by_run_type = r
                .noop_by_run_type
                .iter()
                .map(|(k, n)| NoopRow {
                    run_type: k.clone(),
                    total: n.total,
                    noop: n.noop,
                    rate: n.rate,
                })
                .collect();
            o.daily_counts = r
                .daily_counts
                .iter()
                .map(|(k, &count)| NamedCount {
                    name: k.clone(),
                    count,
                })
                .collect();
            o.model_outcome = r
                .model_outcome
                .iter()
                .map(|(k, m)| ModelOutcomeRow {
                    model: k.clone(),
                    total: m.total,
                    productive: m.productive,
                    noop: m.noop,
                    other: m.total.saturating_sub(m.productive + m.noop),
                    rate: m.rate,
                })
                .collect();
        }
        o
    }
}

/// Outcomes of the records of one day (the first 10 characters of `timestamp`, like
/// `runs`' `daily_counts`).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, TS)]
pub struct DayOutcomes {
    pub day: String,
    #[ts(type = "number")]
    pub total: u64,
    #[ts(type = "number")]
    pub productive: u64,
    #[ts(type = "number")]
    pub noop: u64,
    /// `failed` and `violated_policy`.
    #[ts(type = "number")]
    pub failed: u64,
    /// `unknown`, missing or any other value.
    #[ts(type = "number")]
    pub other: u64,
    /// noop / total.
    pub noop_rate: f64,
    /// productive / total.
    pub success_rate: f64,
}

/// Accumulates [`DayOutcomes`] one record at a time (the store scan lends each
/// record's fields only for the duration of a call).
#[derive(Debug, Default)]
pub struct TrendBuilder {
    days: BTreeMap<String, DayOutcomes>,
}

impl TrendBuilder {
    pub fn add(&mut self, f: &RecordFields<'_>) {
        let end = f
            .timestamp
            .char_indices()
            .nth(10)
            .map_or(f.timestamp.len(), |(i, _)| i);
        let day = &f.timestamp[..end];
        if !self.days.contains_key(day) {
            self.days.insert(day.to_string(), DayOutcomes::default());
        }
        let d = self.days.get_mut(day).expect("just inserted");
        d.total += 1;
        match f.outcome.unwrap_or("") {
            "productive" => d.productive += 1,
            "noop" => d.noop += 1,
            "failed" | "violated_policy" => d.failed += 1,
            _ => d.other += 1,
        }
    }

    /// Oldest day first; days without records are absent.
    pub fn finish(self) -> Vec<DayOutcomes> {
        self.days
            .into_iter()
            .map(|(day, mut d)| {
                d.day = day;
                d.noop_rate = d.noop as f64 / d.total as f64;
                d.success_rate = d.productive as f64 / d.total as f64;
                d
            })
            .collect()
    }
}

/// Outcomes per day, oldest first; days without records are absent.
pub fn outcome_trend<'a>(records: impl IntoIterator<Item = RecordFields<'a>>) -> Vec<DayOutcomes> {
    let mut b = TrendBuilder::default();
    for f in records {
        b.add(&f);
    }
    b.finish()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::analytics::{run_analytics, stats};

    fn rec(line: &str) -> Record {
        Record::from_line(line.as_bytes()).expect("valid record")
    }

    #[test]
    fn query_parses_since_and_ignores_blank_fields() {
        let q = RecordQuery {
            model: Some("  ".into()),
            harness: Some("codex".into()),
            since: Some("2w".into()),
            ..RecordQuery::default()
        };
        let f = q.to_filter().unwrap();
        assert_eq!(f.model, None);
        assert_eq!(f.harness.as_deref(), Some("codex"));
        assert_eq!(f.since, Some(crate::since::Since::days(14.0)));
        let bad = RecordQuery {
            since: Some("yesterday".into()),
            ..RecordQuery::default()
        };
        assert!(bad.to_filter().is_err());
    }

    #[test]
    fn detail_lists_unknown_keys_as_text() {
        let r = rec(
            r#"{"session_id":"ab12cd34","timestamp":"2026-11-20T10:00:00Z","outcome":"productive","deliverables":["abc123"],"my_key":{"a":1},"note":"<b>x</b>"}"#,
        );
        let fields = record_fields(&r);
        let get = |k: &str| fields.iter().find(|f| f.key == k).unwrap();
        assert_eq!(get("session_id").value, "ab12cd34");
        assert!(get("session_id").known);
        assert_eq!(get("deliverables").value, r#"["abc123"]"#);
        assert_eq!(get("my_key").value, r#"{"a":1}"#);
        assert!(!get("my_key").known);
        assert_eq!(get("note").value, "<b>x</b>");
        let row = record_row(&r);
        assert_eq!(row.unknown_keys, 2);
        assert_eq!(row.deliverables, 1);
    }

    #[test]
    fn overview_lists_every_bucket_and_model_outcome_other() {
        // By hand: 4 records; opus: productive (30 s), noop (400 s), failed (0 s);
        // sonnet: productive (2000 s).
        let rs = [
            r#"{"session_id":"a1","timestamp":"2026-11-20T10:00:00Z","model":"claude-opus-4-5","outcome":"productive","duration_seconds":30,"harness":"claude-code"}"#,
            r#"{"session_id":"a2","timestamp":"2026-11-20T11:00:00Z","model":"claude-opus-4-5","outcome":"noop","duration_seconds":400,"harness":"claude-code"}"#,
            r#"{"session_id":"a3","timestamp":"2026-11-21T11:00:00Z","model":"claude-opus-4-5","outcome":"failed","harness":"codex"}"#,
            r#"{"session_id":"a4","timestamp":"2026-11-21T12:00:00Z","model":"claude-sonnet-4-5","outcome":"productive","duration_seconds":2000,"harness":"codex"}"#,
        ]
        .map(rec);
        let fields = || rs.iter().map(RecordFields::of);
        let o = RecordsOverview::new(&stats(fields()), &run_analytics(fields()));
        assert_eq!(o.total, 4);
        assert_eq!(o.productive, 2);
        assert_eq!(o.success_rate, 0.5);
        let counts: Vec<(&str, u64)> = o
            .duration_buckets
            .iter()
            .map(|b| (b.name.as_str(), b.count))
            .collect();
        assert_eq!(
            counts,
            [
                ("<1m", 1),
                ("1-5m", 0),
                ("5-15m", 1),
                ("15-30m", 0),
                ("30m+", 1),
                ("unknown", 1)
            ]
        );
        let opus = o
            .model_outcome
            .iter()
            .find(|m| m.model == "opus")
            .expect("opus grouped by normalised name");
        assert_eq!(
            (opus.total, opus.productive, opus.noop, opus.other),
            (3, 1, 1, 1)
        );
        assert_eq!(
            o.daily_counts,
            [
                NamedCount {
                    name: "2026-11-20".into(),
                    count: 2
                },
                NamedCount {
                    name: "2026-11-21".into(),
                    count: 2
                }
            ]
        );
        let harness: Vec<(&str, u64, f64)> = o
            .by_harness
            .iter()
            .map(|g| (g.name.as_str(), g.total, g.rate))
            .collect();
        assert_eq!(harness, [("claude-code", 2, 0.5), ("codex", 2, 0.5)]);
    }

    #[test]
    fn empty_selection_still_has_the_six_duration_buckets() {
        let o = RecordsOverview::new(&Stats::default(), &RunAnalytics::default());
        assert_eq!(o.total, 0);
        assert_eq!(o.duration_buckets.len(), 6);
        assert!(o.duration_buckets.iter().all(|b| b.count == 0));
    }

    #[test]
    fn trend_counts_outcomes_per_day() {
        // Day 1: productive, noop, noop, unknown → noop rate 2/4; day 2: failed,
        // violated_policy → 2 failed.
        let rs = [
            r#"{"session_id":"b1","timestamp":"2026-11-20T01:00:00Z","outcome":"productive"}"#,
            r#"{"session_id":"b2","timestamp":"2026-11-20T02:00:00Z","outcome":"noop"}"#,
            r#"{"session_id":"b3","timestamp":"2026-11-20T03:00:00Z","outcome":"noop"}"#,
            r#"{"session_id":"b4","timestamp":"2026-11-20T04:00:00Z"}"#,
            r#"{"session_id":"b5","timestamp":"2026-11-22T04:00:00Z","outcome":"failed"}"#,
            r#"{"session_id":"b6","timestamp":"2026-11-22T05:00:00Z","outcome":"violated_policy"}"#,
        ]
        .map(rec);
        let t = outcome_trend(rs.iter().map(RecordFields::of));
        assert_eq!(t.len(), 2);
        assert_eq!(t[0].day, "2026-11-20");
        assert_eq!(
            (
                t[0].total,
                t[0].productive,
                t[0].noop,
                t[0].failed,
                t[0].other
            ),
            (4, 1, 2, 0, 1)
        );
        assert_eq!(t[0].noop_rate, 0.5);
        assert_eq!(t[0].success_rate, 0.25);
        assert_eq!(t[1].day, "2026-11-22");
        assert_eq!((t[1].total, t[1].failed, t[1].noop_rate), (2, 2, 0.0));
    }
}
