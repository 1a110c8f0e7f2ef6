//! `dedup`: find records that describe the same session twice and merge them into the
//! richest one, as gptme-sessions' `dedup` does.
//!
//! Two records are duplicates when they share a harness and their time intervals
//! overlap by at least `min_overlap` (Jaccard: intersection / union). Overlap is
//! transitive, so a chain of overlapping records is one group. In each group the
//! record with the most metadata (its *richness*) is kept and filled with the fields it
//! lacks from the others; each other record gets `duplicate_of: <keeper id>` and stays
//! in the store, so nothing is ever deleted and a second run changes nothing.
//!
//! A record's interval is `start_time`..`end_time`, else `timestamp` plus
//! `duration_seconds`; a record whose start does not parse is never grouped.
//! Timestamps without an offset are read like every other record timestamp (see
//! [`super::filter::parse_timestamp`]); Python would stop with a `TypeError` when such
//! a record meets one with an offset.

use std::collections::BTreeMap;

use chrono::{DateTime, Duration, Utc};
use serde::Serialize;
use serde_json::{Map, Value};

use super::filter::parse_timestamp;
use super::record::{truthy, Record, HARM_CATEGORY_LABELS};
use super::store::{Store, StoreError};

/// The fields whose presence makes a record richer, and which a keeper takes from its
/// duplicates when it lacks them (gptme-sessions' `_RICHNESS_FIELDS`, same order).
pub const RICHNESS_FIELDS: &[&str] = &[
    "start_time",
    "end_time",
    "session_name",
    "project",
    "category",
    "recommended_category",
    "selector_mode",
    "trajectory_path",
    "journal_path",
    "trajectory_grade",
    "llm_judge_score",
    "token_count",
    "context_peak_tokens",
    "harm_category",
    "span_aggregates",
];

/// The extra key that marks a merged duplicate.
pub const DUPLICATE_OF: &str = "duplicate_of";

/// Default `--min-overlap`.
pub const DEFAULT_MIN_OVERLAP: f64 = 0.6;

/// One merged (or, in a preview, mergeable) duplicate.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct DuplicateRow {
    pub session_id: String,
    pub richness: u32,
    /// Fields of the keeper filled from this record, in [`RICHNESS_FIELDS`] order,
    /// then `deliverables`, `deliverable_details`, `grades`.
    pub merged_fields: Vec<String>,
    /// `merged`, or `would-merge` in a preview.
    pub status: String,
}

/// One keeper and the duplicates merged into it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct DedupGroup {
    pub keeper: String,
    /// The keeper's richness after the merge (before it, in a preview).
    pub keeper_richness: u32,
    pub harness: String,
    pub duplicates: Vec<DuplicateRow>,
}

/// What [`dedup`] found.
#[derive(Debug, Clone, PartialEq)]
pub enum DedupOutcome {
    /// The store holds no record.
    EmptyStore,
    /// No two records overlap enough.
    NoDuplicates,
    /// Every group found was merged before.
    AllMerged,
    /// The groups merged (or that would be, in a preview).
    Merged(Vec<DedupGroup>),
}

impl DedupOutcome {
    /// How many duplicates were (or would be) merged.
    pub fn merged_count(&self) -> usize {
        match self {
            DedupOutcome::Merged(groups) => groups.iter().map(|g| g.duplicates.len()).sum(),
            _ => 0,
        }
    }
}

/// Find duplicate groups in the store and, unless `dry_run`, merge them and rewrite
/// the store under its lock (the read, the merge and the write form one locked cycle).
pub fn dedup(store: &Store, min_overlap: f64, dry_run: bool) -> Result<DedupOutcome, StoreError> {
    if dry_run {
        let mut records = store.load()?.records;
        return Ok(plan(&mut records, min_overlap, false));
    }
    store.modify(|records| Ok(plan(records, min_overlap, true)))
}

/// The merge itself over records in memory: with `apply`, keepers are filled and
/// duplicates marked in `records`; without, `records` is left as it was.
pub fn plan(records: &mut [Record], min_overlap: f64, apply: bool) -> DedupOutcome {
    if records.is_empty() {
        return DedupOutcome::EmptyStore;
    }
    let groups = duplicate_groups(records, min_overlap);
    if groups.is_empty() {
        return DedupOutcome::NoDuplicates;
    }
    let status = if apply { "merged" } else { "would-merge" };
    let mut results = Vec::new();
    for group in groups {
        let keeper_at = group[0];
        let mut keeper = records[keeper_at].to_value_map();
        let keeper_id = records[keeper_at].session_id.clone();
        let mut rows = Vec::new();
        for &dup_at in &group[1..] {
            let dup = &records[dup_at];
            if dup.extra.get(DUPLICATE_OF).is_some_and(truthy) {
                continue; // merged by an earlier run
            }
            let dup_map = dup.to_value_map();
            let mut target = keeper.clone();
            let merged_fields = merge_into(&mut target, &dup_map);
            if apply {
                keeper = target;
            }
            rows.push(DuplicateRow {
                session_id: dup.session_id.clone(),
                richness: richness(&dup_map),
                merged_fields,
                status: status.to_string(),
            });
        }
        if rows.is_empty() {
            continue;
        }
        if apply {
            for row in &rows {
                if let Some(dup) = records.iter_mut().find(|r| r.session_id == row.session_id) {
                    dup.extra
                        .insert(DUPLICATE_OF.into(), Value::from(keeper_id.clone()));
                }
            }
            if let Some(mut merged) = Record::from_value(Value::Object(keeper.clone())) {
                // An unknown harm category was only hidden from the counting.
                if merged.harm_category.is_none() {
                    merged.harm_category = records[keeper_at].harm_category.clone();
                }
                records[keeper_at] = merged;
            }
        }
        results.push(DedupGroup {
            keeper: keeper_id,
            keeper_richness: richness(&keeper),
            harness: records[keeper_at]
                .harness
                .clone()
                .filter(|h| !h.is_empty())
                .unwrap_or_else(|| "unknown".into()),
            duplicates: rows,
        });
    }
    if results.is_empty() {
        DedupOutcome::AllMerged
    } else {
        DedupOutcome::Merged(results)
    }
}

impl Record {
    /// The record as gptme-sessions sees it for counting fields: a `harm_category`
    /// outside its labels reads as unset.
    fn to_value_map(&self) -> Map<String, Value> {
        let mut m = match self.to_value() {
            Value::Object(m) => m,
            _ => Map::new(),
        };
        let known_harm = m
            .get("harm_category")
            .and_then(Value::as_str)
            .is_some_and(|h| HARM_CATEGORY_LABELS.contains(&h));
        if !known_harm {
            m.remove("harm_category");
        }
        m
    }
}

/// `None`, `""` and `"unknown"` count as missing; `0` and `0.0` do not (a judge score
/// of 0.0 is a real score).
fn is_empty_value(v: Option<&Value>) -> bool {
    match v {
        None | Some(Value::Null) => true,
        Some(Value::String(s)) => s.is_empty() || s == "unknown",
        Some(_) => false,
    }
}

fn list_len(m: &Map<String, Value>, key: &str) -> u32 {
    match m.get(key) {
        Some(Value::Array(a)) => a.len() as u32,
        Some(Value::Object(o)) => o.len() as u32,
        _ => 0,
    }
}

/// How complete a record is: populated [`RICHNESS_FIELDS`] plus one per deliverable,
/// deliverable detail and grade.
fn richness(m: &Map<String, Value>) -> u32 {
    let fields = RICHNESS_FIELDS
        .iter()
        .filter(|f| !is_empty_value(m.get(**f)))
        .count() as u32;
    fields
        + list_len(m, "deliverables")
        + list_len(m, "deliverable_details")
        + list_len(m, "grades")
}

/// Fill `keeper`'s missing fields from `dup`; the names of what was filled.
fn merge_into(keeper: &mut Map<String, Value>, dup: &Map<String, Value>) -> Vec<String> {
    let mut filled = Vec::new();
    for name in RICHNESS_FIELDS {
        if !is_empty_value(keeper.get(*name)) {
            continue;
        }
        if let Some(v) = dup.get(*name).filter(|v| !is_empty_value(Some(v))) {
            keeper.insert(name.to_string(), v.clone());
            filled.push(name.to_string());
        }
    }
    for list in ["deliverables", "deliverable_details"] {
        let existing = array(keeper, list);
        let extra: Vec<Value> = array(dup, list)
            .into_iter()
            .filter(|d| !existing.contains(d))
            .collect();
        if !extra.is_empty() {
            let mut all = existing;
            all.extend(extra);
            keeper.insert(list.to_string(), Value::Array(all));
            filled.push(list.to_string());
        }
    }
    let mut grades = match keeper.get("grades") {
        Some(Value::Object(g)) => g.clone(),
        _ => Map::new(),
    };
    let mut added = false;
    if let Some(Value::Object(dup_grades)) = dup.get("grades") {
        for (k, v) in dup_grades {
            if !grades.contains_key(k) {
                grades.insert(k.clone(), v.clone());
                added = true;
            }
        }
    }
    if added {
        keeper.insert("grades".into(), Value::Object(grades));
        filled.push("grades".into());
    }
    filled
}

fn array(m: &Map<String, Value>, key: &str) -> Vec<Value> {
    match m.get(key) {
        Some(Value::Array(a)) => a.clone(),
        _ => Vec::new(),
    }
}

type Interval = (DateTime<Utc>, DateTime<Utc>);

fn interval(r: &Record) -> Option<Interval> {
    let start_raw = r
        .start_time
        .as_deref()
        .filter(|s| !s.is_empty())
        .unwrap_or(&r.timestamp);
    if start_raw.is_empty() {
        return None;
    }
    let start = parse_timestamp(start_raw)?;
    let end = r
        .end_time
        .as_deref()
        .filter(|s| !s.is_empty())
        .and_then(parse_timestamp)
        .unwrap_or_else(|| start + Duration::seconds(r.duration_seconds.max(0)));
    Some((start, end.max(start)))
}

/// Jaccard overlap of two intervals; two equal instants overlap fully.
fn overlap_ratio(a: Interval, b: Interval) -> f64 {
    let union = (a.1.max(b.1) - a.0.min(b.0))
        .num_microseconds()
        .unwrap_or(i64::MAX) as f64;
    if union <= 0.0 {
        return 1.0;
    }
    let inter = (a.1.min(b.1) - a.0.max(b.0))
        .num_microseconds()
        .unwrap_or(0) as f64;
    if inter <= 0.0 {
        return 0.0;
    }
    (inter / union).min(1.0)
}

/// Groups of 2+ indices into `records`, each sorted richest first (ties keep file
/// order), groups in the order of their harness' first record.
fn duplicate_groups(records: &[Record], min_overlap: f64) -> Vec<Vec<usize>> {
    let mut by_harness: Vec<(String, Vec<(usize, Interval)>)> = Vec::new();
    for (i, r) in records.iter().enumerate() {
        let Some(iv) = interval(r) else { continue };
        let h = r
            .harness
            .clone()
            .filter(|h| !h.is_empty())
            .unwrap_or_else(|| "unknown".into());
        match by_harness.iter_mut().find(|(name, _)| *name == h) {
            Some((_, items)) => items.push((i, iv)),
            None => by_harness.push((h, vec![(i, iv)])),
        }
    }
    let mut groups = Vec::new();
    for (_, items) in by_harness {
        let n = items.len();
        let mut parent: Vec<usize> = (0..n).collect();
        fn find(parent: &mut [usize], mut x: usize) -> usize {
            while parent[x] != x {
                parent[x] = parent[parent[x]];
                x = parent[x];
            }
            x
        }
        for i in 0..n {
            for j in i + 1..n {
                if overlap_ratio(items[i].1, items[j].1) >= min_overlap {
                    let (ri, rj) = (find(&mut parent, i), find(&mut parent, j));
                    parent[ri] = rj;
                }
            }
        }
        // Clusters in the order their root is first seen, like Python's dict.
        let mut clusters: BTreeMap<usize, Vec<usize>> = BTreeMap::new();
        let mut order: Vec<usize> = Vec::new();
        for (idx, item) in items.iter().enumerate() {
            let root = find(&mut parent, idx);
            if !clusters.contains_key(&root) {
                order.push(root);
            }
            clusters.entry(root).or_default().push(item.0);
        }
        for root in order {
            let mut members = clusters.remove(&root).unwrap_or_default();
            if members.len() >= 2 {
                // Stable: equally rich records keep their file order.
                members.sort_by_key(|&i| std::cmp::Reverse(richness(&records[i].to_value_map())));
                groups.push(members);
            }
        }
    }
    groups
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rec(json: &str) -> Record {
        Record::from_line(json.as_bytes()).unwrap()
    }

    #[test]
    fn a_short_session_inside_a_long_one_is_not_a_duplicate() {
        let mut records = vec![
            rec(
                r#"{"session_id":"a","timestamp":"2026-01-01T10:00:00+00:00","start_time":"2026-01-01T10:00:00+00:00","end_time":"2026-01-01T12:00:00+00:00","harness":"gptme"}"#,
            ),
            rec(
                r#"{"session_id":"b","timestamp":"2026-01-01T10:20:00+00:00","start_time":"2026-01-01T10:10:00+00:00","end_time":"2026-01-01T10:20:00+00:00","harness":"gptme"}"#,
            ),
        ];
        assert_eq!(plan(&mut records, 0.6, true), DedupOutcome::NoDuplicates);
        assert!(records.iter().all(|r| !r.extra.contains_key(DUPLICATE_OF)));
    }

    #[test]
    fn a_zero_judge_score_is_a_value_the_keeper_keeps() {
        let mut records = vec![
            rec(
                r#"{"session_id":"a","timestamp":"2026-01-01T10:00:00+00:00","duration_seconds":600,"harness":"gptme","llm_judge_score":0.0,"project":"p"}"#,
            ),
            rec(
                r#"{"session_id":"b","timestamp":"2026-01-01T10:00:00+00:00","duration_seconds":600,"harness":"gptme","llm_judge_score":0.9}"#,
            ),
        ];
        let out = plan(&mut records, 0.6, true);
        assert_eq!(out.merged_count(), 1);
        assert_eq!(records[0].llm_judge_score, Some(0.0));
        assert_eq!(records[1].extra[DUPLICATE_OF], "a");
        // Idempotent: the second run finds only merged groups.
        assert_eq!(plan(&mut records, 0.6, true), DedupOutcome::AllMerged);
    }
}
