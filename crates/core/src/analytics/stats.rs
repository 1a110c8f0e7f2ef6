//! `stats`: the summary gptme-sessions prints for `stats --json` and `query --stats`.
//!
//! Semantics, from `SessionStore.stats`:
//! - `success_rate` = productive / total over *all* selected records (failed and
//!   unknown outcomes count in the denominator);
//! - every breakdown bucket is `{total, productive, rate}` with `rate` = productive /
//!   total; keys are sorted; a missing or empty value groups under `"null"`;
//! - `by_model` groups by the normalised model name; cross-tabs join two names with
//!   `×` (`opus×autonomous`, `gptme×opus`);
//! - `by_project` uses the last path component and skips records without a project;
//!   it is omitted entirely when no record has one;
//! - `duration` covers records with `duration_seconds > 0` (`{}` when none):
//!   `avg` and `total_hours` are floats, `min` and `max` integers;
//! - an empty selection is just `{"total": 0}`.

use std::collections::{BTreeMap, HashMap};

use serde::{Serialize, Serializer};

use crate::records::filter::RecordFields;
use crate::records::normalize_model;

/// Counts of one group.
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize)]
pub struct Bucket {
    pub total: u64,
    pub productive: u64,
    pub rate: f64,
}

#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct DurationStats {
    pub count: u64,
    pub avg: f64,
    pub min: i64,
    pub max: i64,
    pub total_hours: f64,
}

/// The whole summary. Serialises to gptme-sessions' JSON shape.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct Stats {
    pub total: u64,
    #[serde(flatten)]
    pub detail: Option<StatsDetail>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct StatsDetail {
    pub productive: u64,
    pub noop: u64,
    pub violated_policy: u64,
    pub success_rate: f64,
    #[serde(serialize_with = "empty_object_if_none")]
    pub duration: Option<DurationStats>,
    pub by_model: BTreeMap<String, Bucket>,
    pub by_run_type: BTreeMap<String, Bucket>,
    pub by_model_run_type: BTreeMap<String, Bucket>,
    pub by_harness: BTreeMap<String, Bucket>,
    pub by_harness_model: BTreeMap<String, Bucket>,
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub by_project: BTreeMap<String, Bucket>,
}

fn empty_object_if_none<S: Serializer>(d: &Option<DurationStats>, s: S) -> Result<S::Ok, S::Error> {
    match d {
        Some(d) => d.serialize(s),
        None => BTreeMap::<String, u8>::new().serialize(s),
    }
}

/// A value that Python would treat as falsy groups under `"null"`.
pub(crate) fn group_name(v: Option<&str>) -> &str {
    match v {
        Some(s) if !s.is_empty() => s,
        _ => "null",
    }
}

/// The display name of a project: its last path component.
pub(crate) fn project_short(p: &str) -> &str {
    if p.contains('/') {
        let trimmed = p.trim_end_matches('/');
        trimmed.rsplit('/').next().unwrap_or("")
    } else {
        p
    }
}

/// Group counters keyed by name.
#[derive(Default)]
pub(crate) struct Groups(HashMap<String, (u64, u64)>);

impl Groups {
    pub(crate) fn add_n(&mut self, key: &str, total: u64, productive: u64) {
        let slot = match self.0.get_mut(key) {
            Some(s) => s,
            None => self.0.entry(key.to_string()).or_default(),
        };
        slot.0 += total;
        slot.1 += productive;
    }

    pub(crate) fn into_buckets(self) -> BTreeMap<String, Bucket> {
        self.0
            .into_iter()
            .map(|(k, (total, productive))| {
                let rate = if total > 0 {
                    productive as f64 / total as f64
                } else {
                    0.0
                };
                (
                    k,
                    Bucket {
                        total,
                        productive,
                        rate,
                    },
                )
            })
            .collect()
    }
}

/// Separates the parts of a combination key; no name contains it.
const SEP: char = '\u{1f}';

/// Accumulates [`Stats`] one record at a time.
///
/// Each record only bumps the counter of its (harness, raw model, run type, project)
/// combination; the groupings, and model normalisation, are computed once per
/// distinct combination in [`StatsBuilder::finish`]. That keeps the per-record cost to
/// one hash lookup, which matters on stores of 100k records.
#[derive(Default)]
pub struct StatsBuilder {
    total: u64,
    productive: u64,
    noop: u64,
    violated_policy: u64,
    combos: HashMap<String, (u64, u64)>,
    durations: (u64, i64, i64, i64),
    key: String,
}

impl StatsBuilder {
    pub fn add(&mut self, f: &RecordFields<'_>) {
        let outcome = f.outcome.unwrap_or("");
        let productive = outcome == "productive";
        self.total += 1;
        self.productive += productive as u64;
        self.noop += (outcome == "noop") as u64;
        self.violated_policy += (outcome == "violated_policy") as u64;

        self.key.clear();
        self.key.push_str(group_name(f.harness));
        self.key.push(SEP);
        self.key.push_str(f.model.unwrap_or(""));
        self.key.push(SEP);
        self.key.push_str(group_name(f.run_type));
        self.key.push(SEP);
        match f.project.filter(|p| !p.is_empty()) {
            Some(p) => {
                self.key.push('+');
                self.key.push_str(project_short(p));
            }
            None => self.key.push('-'),
        }
        let slot = match self.combos.get_mut(self.key.as_str()) {
            Some(s) => s,
            None => self.combos.entry(self.key.clone()).or_default(),
        };
        slot.0 += 1;
        slot.1 += productive as u64;

        let d = f.duration_seconds;
        if d > 0 {
            let (count, sum, min, max) = &mut self.durations;
            if *count == 0 {
                *min = d;
                *max = d;
            }
            *count += 1;
            *sum += d;
            *min = (*min).min(d);
            *max = (*max).max(d);
        }
    }

    /// Fold another builder's counts into this one.
    pub fn merge(&mut self, o: StatsBuilder) {
        self.total += o.total;
        self.productive += o.productive;
        self.noop += o.noop;
        self.violated_policy += o.violated_policy;
        for (k, (t, p)) in o.combos {
            let slot = self.combos.entry(k).or_default();
            slot.0 += t;
            slot.1 += p;
        }
        let (c, s, mn, mx) = o.durations;
        if c > 0 {
            let d = &mut self.durations;
            if d.0 == 0 {
                *d = (c, s, mn, mx);
            } else {
                d.0 += c;
                d.1 += s;
                d.2 = d.2.min(mn);
                d.3 = d.3.max(mx);
            }
        }
    }

    pub fn finish(self) -> Stats {
        if self.total == 0 {
            return Stats::default();
        }
        let mut by_model = Groups::default();
        let mut by_run_type = Groups::default();
        let mut by_model_run_type = Groups::default();
        let mut by_harness = Groups::default();
        let mut by_harness_model = Groups::default();
        let mut by_project = Groups::default();
        for (key, (t, p)) in &self.combos {
            let mut parts = key.splitn(4, SEP);
            let harness = parts.next().unwrap_or("null");
            let raw_model = parts.next().unwrap_or("");
            let run_type = parts.next().unwrap_or("null");
            let project = parts.next().unwrap_or("-");
            let normalised = normalize_model(raw_model);
            let model = group_name(Some(&normalised));
            by_model.add_n(model, *t, *p);
            by_run_type.add_n(run_type, *t, *p);
            by_harness.add_n(harness, *t, *p);
            by_model_run_type.add_n(&format!("{model}×{run_type}"), *t, *p);
            by_harness_model.add_n(&format!("{harness}×{model}"), *t, *p);
            if let Some(name) = project.strip_prefix('+') {
                by_project.add_n(name, *t, *p);
            }
        }
        let (count, sum, min, max) = self.durations;
        let duration = (count > 0).then(|| DurationStats {
            count,
            avg: sum as f64 / count as f64,
            min,
            max,
            total_hours: sum as f64 / 3600.0,
        });
        Stats {
            total: self.total,
            detail: Some(StatsDetail {
                productive: self.productive,
                noop: self.noop,
                violated_policy: self.violated_policy,
                success_rate: self.productive as f64 / self.total as f64,
                duration,
                by_model: by_model.into_buckets(),
                by_run_type: by_run_type.into_buckets(),
                by_model_run_type: by_model_run_type.into_buckets(),
                by_harness: by_harness.into_buckets(),
                by_harness_model: by_harness_model.into_buckets(),
                by_project: by_project.into_buckets(),
            }),
        }
    }
}

/// Stats over a set of records.
pub fn stats<'a>(records: impl IntoIterator<Item = RecordFields<'a>>) -> Stats {
    let mut b = StatsBuilder::default();
    for f in records {
        b.add(&f);
    }
    b.finish()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn f<'a>(model: &'a str, outcome: &'a str, dur: i64) -> RecordFields<'a> {
        RecordFields {
            timestamp: "2026-01-01T00:00:00+00:00",
            harness: Some("claude-code"),
            model: Some(model),
            run_type: Some("autonomous"),
            outcome: Some(outcome),
            duration_seconds: dur,
            ..Default::default()
        }
    }

    #[test]
    fn empty_selection_is_only_total() {
        assert_eq!(
            serde_json::to_value(stats([])).unwrap(),
            json!({"total": 0})
        );
    }

    #[test]
    fn hand_computed_summary() {
        // 3 records: 2 opus (1 productive, 1 noop), 1 sonnet failed; durations 60, 0, 120.
        let s = stats([
            f("claude-opus-4-6", "productive", 60),
            f("claude-opus-4.6", "noop", 0),
            f("claude-sonnet-4-5", "failed", 120),
        ]);
        let v = serde_json::to_value(&s).unwrap();
        assert_eq!(v["total"], 3);
        assert_eq!(v["productive"], 1);
        assert_eq!(v["noop"], 1);
        assert_eq!(v["success_rate"], json!(1.0 / 3.0));
        assert_eq!(
            v["duration"],
            json!({"count": 2, "avg": 90.0, "min": 60, "max": 120, "total_hours": 180.0 / 3600.0})
        );
        assert_eq!(
            v["by_model"]["opus"],
            json!({"total": 2, "productive": 1, "rate": 0.5})
        );
        assert_eq!(v["by_model_run_type"]["sonnet×autonomous"]["total"], 1);
        assert_eq!(v["by_harness_model"]["claude-code×opus"]["total"], 2);
        assert!(v.get("by_project").is_none());
    }

    #[test]
    fn project_short_names() {
        assert_eq!(project_short("/home/u/proj/"), "proj");
        assert_eq!(project_short("proj"), "proj");
        assert_eq!(project_short("/"), "");
    }
}
