//! `runs`: run analytics as gptme-sessions' `compute_run_analytics` computes them.
//!
//! - `duration_distribution`: `<1m` (< 60 s), `1-5m` (< 300), `5-15m` (< 900),
//!   `15-30m` (< 1800), `30m+`, and `unknown` for `duration_seconds <= 0`;
//! - `noop_by_run_type`: `{total, noop, rate}` per run type, rate = noop / total;
//! - `short_runs`: per run type, records with 0 < duration < 120 s;
//! - `daily_counts`: records per first 10 characters of `timestamp` (the UTC date as
//!   written, not converted);
//! - `model_outcome`: per normalised model `{total, productive, noop, rate}`, rate =
//!   productive / total.
//!
//! An empty selection is `{"total": 0}`.

use std::collections::BTreeMap;

use serde::Serialize;

use super::stats::group_name;
use crate::records::filter::RecordFields;
use crate::records::normalize_model;

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct DurationDistribution {
    #[serde(rename = "<1m")]
    pub under_1m: u64,
    #[serde(rename = "1-5m")]
    pub m1_5: u64,
    #[serde(rename = "5-15m")]
    pub m5_15: u64,
    #[serde(rename = "15-30m")]
    pub m15_30: u64,
    #[serde(rename = "30m+")]
    pub over_30m: u64,
    pub unknown: u64,
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize)]
pub struct NoopRate {
    pub total: u64,
    pub noop: u64,
    pub rate: f64,
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize)]
pub struct ModelOutcome {
    pub total: u64,
    pub productive: u64,
    pub noop: u64,
    pub rate: f64,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct RunAnalytics {
    pub total: u64,
    #[serde(flatten)]
    pub detail: Option<RunDetail>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct RunDetail {
    pub duration_distribution: DurationDistribution,
    pub noop_by_run_type: BTreeMap<String, NoopRate>,
    pub short_runs: BTreeMap<String, u64>,
    pub daily_counts: BTreeMap<String, u64>,
    pub model_outcome: BTreeMap<String, ModelOutcome>,
}

/// Accumulates [`RunAnalytics`] one record at a time; builders of disjoint parts of a
/// store can be merged.
#[derive(Default)]
pub struct RunsBuilder {
    total: u64,
    d: RunDetail,
}

fn bump<'m, V: Default>(map: &'m mut BTreeMap<String, V>, key: &str) -> &'m mut V {
    if !map.contains_key(key) {
        map.insert(key.to_string(), V::default());
    }
    map.get_mut(key).expect("just inserted")
}

impl RunsBuilder {
    pub fn add(&mut self, f: &RecordFields<'_>) {
        let d = &mut self.d;
        self.total += 1;
        let secs = f.duration_seconds;
        let slot = match secs {
            s if s <= 0 => &mut d.duration_distribution.unknown,
            s if s < 60 => &mut d.duration_distribution.under_1m,
            s if s < 300 => &mut d.duration_distribution.m1_5,
            s if s < 900 => &mut d.duration_distribution.m5_15,
            s if s < 1800 => &mut d.duration_distribution.m15_30,
            _ => &mut d.duration_distribution.over_30m,
        };
        *slot += 1;
        let outcome = f.outcome.unwrap_or("");
        let run_type = group_name(f.run_type);
        let n = bump(&mut d.noop_by_run_type, run_type);
        n.total += 1;
        n.noop += (outcome == "noop") as u64;
        if secs > 0 && secs < 120 {
            *bump(&mut d.short_runs, run_type) += 1;
        }
        let day_end = f
            .timestamp
            .char_indices()
            .nth(10)
            .map_or(f.timestamp.len(), |(i, _)| i);
        *bump(&mut d.daily_counts, &f.timestamp[..day_end]) += 1;
        let model = f.model.map(normalize_model);
        let m = bump(&mut d.model_outcome, group_name(model.as_deref()));
        m.total += 1;
        m.productive += (outcome == "productive") as u64;
        m.noop += (outcome == "noop") as u64;
    }

    pub fn merge(&mut self, o: RunsBuilder) {
        self.total += o.total;
        let (a, b) = (&mut self.d, o.d);
        let (x, y) = (&mut a.duration_distribution, b.duration_distribution);
        x.under_1m += y.under_1m;
        x.m1_5 += y.m1_5;
        x.m5_15 += y.m5_15;
        x.m15_30 += y.m15_30;
        x.over_30m += y.over_30m;
        x.unknown += y.unknown;
        for (k, v) in b.noop_by_run_type {
            let n = bump(&mut a.noop_by_run_type, &k);
            n.total += v.total;
            n.noop += v.noop;
        }
        for (k, v) in b.short_runs {
            *bump(&mut a.short_runs, &k) += v;
        }
        for (k, v) in b.daily_counts {
            *bump(&mut a.daily_counts, &k) += v;
        }
        for (k, v) in b.model_outcome {
            let m = bump(&mut a.model_outcome, &k);
            m.total += v.total;
            m.productive += v.productive;
            m.noop += v.noop;
        }
    }

    pub fn finish(self) -> RunAnalytics {
        if self.total == 0 {
            return RunAnalytics::default();
        }
        let mut d = self.d;
        for n in d.noop_by_run_type.values_mut() {
            n.rate = n.noop as f64 / n.total as f64;
        }
        for m in d.model_outcome.values_mut() {
            m.rate = m.productive as f64 / m.total as f64;
        }
        RunAnalytics {
            total: self.total,
            detail: Some(d),
        }
    }
}

/// Run analytics over a set of records.
pub fn run_analytics<'a>(records: impl IntoIterator<Item = RecordFields<'a>>) -> RunAnalytics {
    let mut b = RunsBuilder::default();
    for f in records {
        b.add(&f);
    }
    b.finish()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn f(ts: &str, rt: &str, outcome: &str, dur: i64) -> RecordFields<'static> {
        RecordFields {
            timestamp: Box::leak(ts.to_string().into_boxed_str()),
            model: Some("claude-opus-4-6"),
            run_type: Some(Box::leak(rt.to_string().into_boxed_str())),
            outcome: Some(Box::leak(outcome.to_string().into_boxed_str())),
            duration_seconds: dur,
            ..Default::default()
        }
    }

    #[test]
    fn bucket_edges_and_rates() {
        let a = run_analytics([
            f("2026-01-01T10:00:00+00:00", "autonomous", "noop", 59),
            f("2026-01-01T11:00:00+00:00", "autonomous", "productive", 60),
            f("2026-01-02T10:00:00+00:00", "manual", "noop", 1800),
            f("2026-01-02T10:00:00+00:00", "manual", "unknown", 0),
        ]);
        let v = serde_json::to_value(&a).unwrap();
        assert_eq!(
            v["duration_distribution"],
            json!({"<1m": 1, "1-5m": 1, "5-15m": 0, "15-30m": 0, "30m+": 1, "unknown": 1})
        );
        assert_eq!(
            v["noop_by_run_type"]["manual"],
            json!({"total": 2, "noop": 1, "rate": 0.5})
        );
        assert_eq!(v["short_runs"], json!({"autonomous": 2}));
        assert_eq!(v["daily_counts"], json!({"2026-01-01": 2, "2026-01-02": 2}));
        assert_eq!(
            v["model_outcome"]["opus"],
            json!({"total": 4, "productive": 1, "noop": 2, "rate": 0.25})
        );
        assert_eq!(
            serde_json::to_value(run_analytics([])).unwrap(),
            json!({"total": 0})
        );
    }
}
