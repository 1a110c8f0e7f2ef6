//! The filters `stats` and `query` share (`--model --run-type --category --harness
//! --outcome --project --since`) and the `--since` syntax.
//!
//! `--since` is [`crate::since`]'s grammar (gptme-sessions' plus calendar days). A
//! record passes when its `timestamp` is at or after the cut-off; a timestamp that
//! does not parse fails any time filter, as in Python. Timestamps without an offset are
//! read as local time, as Python's `datetime.fromisoformat(...).timestamp()` does.

use chrono::{DateTime, Local, NaiveDate, NaiveDateTime, TimeZone, Utc};

use super::model_name::normalize_model;
use super::record::Record;
use crate::since::Since;

/// Parse a record timestamp the way Python's `fromisoformat` would accept it.
pub fn parse_timestamp(ts: &str) -> Option<DateTime<Utc>> {
    let ts = ts.trim();
    if let Ok(t) = DateTime::parse_from_rfc3339(ts) {
        return Some(t.with_timezone(&Utc));
    }
    let with_t = ts.replacen(' ', "T", 1);
    if let Ok(t) = DateTime::parse_from_rfc3339(&with_t) {
        return Some(t.with_timezone(&Utc));
    }
    for fmt in [
        "%Y-%m-%dT%H:%M:%S%.f%:z",
        "%Y-%m-%dT%H:%M%:z",
        "%Y-%m-%dT%H:%M:%S%z",
    ] {
        if let Ok(t) = DateTime::parse_from_str(&with_t, fmt) {
            return Some(t.with_timezone(&Utc));
        }
    }
    let naive = ["%Y-%m-%dT%H:%M:%S%.f", "%Y-%m-%dT%H:%M"]
        .iter()
        .find_map(|f| NaiveDateTime::parse_from_str(&with_t, f).ok())
        .or_else(|| {
            NaiveDate::parse_from_str(ts, "%Y-%m-%d")
                .ok()
                .and_then(|d| d.and_hms_opt(0, 0, 0))
        })?;
    Local
        .from_local_datetime(&naive)
        .earliest()
        .map(|t| t.with_timezone(&Utc))
}

/// The shared record filters. Empty fields do not filter.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct RecordFilter {
    /// Matches the normalised or the raw model name.
    pub model: Option<String>,
    pub run_type: Option<String>,
    pub category: Option<String>,
    pub harness: Option<String>,
    pub outcome: Option<String>,
    /// Substring of the project path.
    pub project: Option<String>,
    /// How far back (from [`crate::since::parse_since`]); `None` is all time.
    pub since: Option<Since>,
}

/// The few fields filtering and statistics read, borrowed from a record or from a
/// line being scanned (see `analytics::scan`).
#[derive(Debug, Clone, Copy, Default)]
pub struct RecordFields<'a> {
    pub timestamp: &'a str,
    pub harness: Option<&'a str>,
    pub model: Option<&'a str>,
    pub run_type: Option<&'a str>,
    pub category: Option<&'a str>,
    pub outcome: Option<&'a str>,
    pub project: Option<&'a str>,
    pub duration_seconds: i64,
}

impl<'a> RecordFields<'a> {
    pub fn of(r: &'a Record) -> Self {
        RecordFields {
            timestamp: &r.timestamp,
            harness: r.harness.as_deref(),
            model: r.model.as_deref(),
            run_type: r.run_type.as_deref(),
            category: r.category.as_deref(),
            outcome: r.outcome.as_deref(),
            project: r.project.as_deref(),
            duration_seconds: r.duration_seconds,
        }
    }
}

impl RecordFilter {
    /// Is there anything to filter on besides time?
    pub fn has_field_filters(&self) -> bool {
        self.model.is_some()
            || self.run_type.is_some()
            || self.category.is_some()
            || self.harness.is_some()
            || self.outcome.is_some()
            || self.project.is_some()
    }

    /// Does a record pass, `now` being the reference for `since`?
    pub fn matches(&self, f: &RecordFields<'_>, now: DateTime<Utc>) -> bool {
        fn eq(want: &Option<String>, have: Option<&str>) -> bool {
            match want.as_deref().filter(|w| !w.is_empty()) {
                None => true,
                Some(w) => have == Some(w),
            }
        }
        if let Some(want) = self.model.as_deref().filter(|w| !w.is_empty()) {
            let ok = f
                .model
                .is_some_and(|m| m == want || normalize_model(m) == want);
            if !ok {
                return false;
            }
        }
        if !eq(&self.run_type, f.run_type)
            || !eq(&self.category, f.category)
            || !eq(&self.harness, f.harness)
            || !eq(&self.outcome, f.outcome)
        {
            return false;
        }
        if let Some(want) = self.project.as_deref().filter(|w| !w.is_empty()) {
            if !f.project.is_some_and(|p| !p.is_empty() && p.contains(want)) {
                return false;
            }
        }
        if let Some(since) = self.since {
            let cutoff = since.cutoff(now);
            match parse_timestamp(f.timestamp) {
                Some(t) if t >= cutoff => {}
                _ => return false,
            }
        }
        true
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn timestamps_in_python_iso_forms_parse() {
        let want = Utc.with_ymd_and_hms(2026, 3, 1, 12, 0, 0).unwrap();
        assert_eq!(parse_timestamp("2026-03-01T12:00:00+00:00"), Some(want));
        assert_eq!(parse_timestamp("2026-03-01T12:00:00Z"), Some(want));
        assert_eq!(parse_timestamp("2026-03-01 12:00:00+00:00"), Some(want));
        assert_eq!(
            parse_timestamp("2026-03-01T13:00:00.123456+01:00").map(|t| t.timestamp()),
            Some(want.timestamp())
        );
        assert!(parse_timestamp("2026-03-01T12:00:00").is_some());
        assert!(parse_timestamp("2026-03-01").is_some());
        assert!(parse_timestamp("yesterday").is_none());
    }

    #[test]
    fn filters_match_normalised_or_raw_model_and_project_substring() {
        let now = Utc.with_ymd_and_hms(2026, 3, 10, 0, 0, 0).unwrap();
        let f = RecordFields {
            timestamp: "2026-03-05T00:00:00+00:00",
            model: Some("claude-opus-4-6"),
            project: Some("/home/u/work/sessionscope"),
            ..Default::default()
        };
        let by = |filter: RecordFilter| filter.matches(&f, now);
        assert!(by(RecordFilter {
            model: Some("opus".into()),
            ..Default::default()
        }));
        assert!(by(RecordFilter {
            model: Some("claude-opus-4-6".into()),
            ..Default::default()
        }));
        assert!(!by(RecordFilter {
            model: Some("sonnet".into()),
            ..Default::default()
        }));
        assert!(by(RecordFilter {
            project: Some("scope".into()),
            ..Default::default()
        }));
        assert!(by(RecordFilter {
            since: Some(Since::days(7.0)),
            ..Default::default()
        }));
        assert!(!by(RecordFilter {
            since: Some(Since::days(4.0)),
            ..Default::default()
        }));
        assert!(!by(RecordFilter {
            harness: Some("codex".into()),
            ..Default::default()
        }));
    }
}
