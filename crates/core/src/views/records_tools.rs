//! The Records view's tools, shaped for the web view over the same core code as the
//! `sessionscope records` commands: what the sessions cost ([`cost_view`], the `cost`
//! command's [`analyze_costs`]), duplicate records with a preview before anything is
//! merged ([`dedup_preview`], [`dedup_apply`], the `dedup` command's [`plan`]), the
//! kinds of work by category ([`category_stats`], the productive categories of
//! `classify`), and which transcripts mention a string ([`search_transcripts`], the
//! `search` command's scan).
//!
//! Merging is the one write here: it applies exactly the preview the user saw, and
//! refuses when the store changed in between, so a confirmation never covers more
//! than it named.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use ts_rs::TS;

use crate::model::Harness;
use crate::records::classify::PRODUCTIVE_CATEGORIES;
use crate::records::cost::{analyze_costs, PriceSource, Pricer};
use crate::records::dedup::{plan, DedupOutcome};
use crate::records::transcript_search::{search_recent, Query};
use crate::records::{Record, Store, StoreError};

/// What the sessions of the last `days` days cost (all records when `days` is `None`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
pub struct CostView {
    #[ts(type = "number | null")]
    pub days: Option<i64>,
    /// Records in the window.
    #[ts(type = "number")]
    pub session_count: u64,
    /// Of them, the ones a price was found for.
    #[ts(type = "number")]
    pub priced_count: u64,
    pub total_cost: f64,
    /// Per priced session.
    pub avg_cost: f64,
    /// Most expensive first.
    pub by_model: Vec<CostGroup>,
    /// Oldest day first.
    pub by_day: Vec<CostGroup>,
    /// Where the prices came from, in words.
    pub price_source: String,
}

/// Sessions and dollars of one model or day.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
pub struct CostGroup {
    pub name: String,
    #[ts(type = "number")]
    pub count: u64,
    pub total_cost: f64,
    pub avg_cost: f64,
}

impl CostGroup {
    fn of(name: &str, b: &crate::records::cost::CostBucket) -> CostGroup {
        CostGroup {
            name: name.to_string(),
            count: b.count,
            total_cost: b.total_cost,
            avg_cost: b.avg_cost(),
        }
    }
}

/// `records cost --days N` as the view shows it.
pub fn cost_view(
    records: &[Record],
    days: Option<i64>,
    now: DateTime<Utc>,
    pricer: &Pricer,
) -> CostView {
    let c = analyze_costs(records, days.filter(|d| *d > 0), now, pricer);
    let mut by_model: Vec<CostGroup> = c
        .by_model
        .iter()
        .map(|(name, b)| CostGroup::of(name, b))
        .collect();
    // Stable: equal totals keep the order first priced, as the CLI's table does.
    by_model.sort_by(|a, b| b.total_cost.total_cmp(&a.total_cost));
    CostView {
        days: days.filter(|d| *d > 0),
        session_count: c.session_count,
        priced_count: c.priced_count,
        total_cost: c.total_cost,
        avg_cost: c.avg_cost(),
        by_model,
        by_day: c
            .by_day
            .iter()
            .map(|(name, b)| CostGroup::of(name, b))
            .collect(),
        price_source: match c.price_source {
            PriceSource::QuotaConfig => "prices from ~/.config/gptme/harness-quota.toml".into(),
            PriceSource::Embedded => {
                "Sessionscope's built-in price table (no prices in ~/.config/gptme/harness-quota.toml)"
                    .into()
            }
        },
    }
}

/// [`cost_view`] of the whole store today, priced like `records cost`.
pub fn store_cost(store: &Store, days: Option<i64>) -> Result<CostView, StoreError> {
    let records = store.load()?.records;
    Ok(cost_view(
        &records,
        days,
        Utc::now(),
        &Pricer::from_user_config(),
    ))
}

/// Duplicate records found (a preview) or merged.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
pub struct DedupView {
    /// `empty_store`, `no_duplicates`, `all_merged` (every group was merged before) or
    /// `found`.
    pub outcome: String,
    pub groups: Vec<DedupGroupView>,
    /// Duplicates merged, or that a merge would mark.
    pub duplicate_count: u32,
    /// The store was rewritten.
    pub applied: bool,
}

/// A keeper and the records that describe the same session.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
pub struct DedupGroupView {
    pub keeper: String,
    pub harness: String,
    pub keeper_richness: u32,
    pub duplicates: Vec<DuplicateView>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
pub struct DuplicateView {
    pub session_id: String,
    pub richness: u32,
    /// Fields of the keeper filled from this record.
    pub merged_fields: Vec<String>,
}

fn dedup_view(outcome: DedupOutcome, applied: bool) -> DedupView {
    let duplicate_count = outcome.merged_count() as u32;
    let (name, groups) = match outcome {
        DedupOutcome::EmptyStore => ("empty_store", Vec::new()),
        DedupOutcome::NoDuplicates => ("no_duplicates", Vec::new()),
        DedupOutcome::AllMerged => ("all_merged", Vec::new()),
        DedupOutcome::Merged(groups) => ("found", groups),
    };
    DedupView {
        outcome: name.into(),
        groups: groups
            .into_iter()
            .map(|g| DedupGroupView {
                keeper: g.keeper,
                harness: g.harness,
                keeper_richness: g.keeper_richness,
                duplicates: g
                    .duplicates
                    .into_iter()
                    .map(|d| DuplicateView {
                        session_id: d.session_id,
                        richness: d.richness,
                        merged_fields: d.merged_fields,
                    })
                    .collect(),
            })
            .collect(),
        duplicate_count,
        applied: applied && duplicate_count > 0,
    }
}

/// What `records dedup --dry-run` would merge; writes nothing.
pub fn dedup_preview(store: &Store, min_overlap: f64) -> Result<DedupView, StoreError> {
    let mut records = store.load()?.records;
    Ok(dedup_view(plan(&mut records, min_overlap, false), false))
}

/// The (keeper, duplicate) pairs a preview names: what a merge may touch.
fn pairs(v: &DedupView) -> Vec<(String, String)> {
    let mut out: Vec<_> = v
        .groups
        .iter()
        .flat_map(|g| {
            g.duplicates
                .iter()
                .map(|d| (g.keeper.clone(), d.session_id.clone()))
        })
        .collect();
    out.sort();
    out
}

/// Merge the duplicates of `previewed` under the store's lock, only if a fresh plan
/// finds exactly the same pairs; otherwise nothing is written and the error says to
/// look again.
pub fn dedup_apply(
    store: &Store,
    min_overlap: f64,
    previewed: &DedupView,
) -> Result<DedupView, DedupApplyError> {
    let wanted = pairs(previewed);
    if wanted.is_empty() {
        return Err(DedupApplyError::NothingToMerge);
    }
    let applied = store.modify(|records| {
        let fresh = dedup_view(plan(records, min_overlap, false), false);
        if pairs(&fresh) != wanted {
            return Ok(None);
        }
        Ok(Some(dedup_view(plan(records, min_overlap, true), true)))
    })?;
    applied.ok_or(DedupApplyError::StoreChanged)
}

/// Groups named one by one in the confirmation; the rest are counted.
const CONFIRM_GROUPS_SHOWN: usize = 8;

/// The native confirmation's text for merging `preview`: how many records get
/// `duplicate_of`, that none is deleted, and the groups by id. Ids come from a file
/// other programs write, so control characters are shown escaped, never as new lines.
pub fn dedup_confirmation_text(preview: &DedupView, store_path: &str) -> String {
    let mut text = format!(
        "Mark {} record(s) as duplicates in {} ({} group(s))? Each keeper takes the fields \
         it lacks from its duplicates; no record is deleted.",
        preview.duplicate_count,
        one_line(store_path),
        preview.groups.len()
    );
    for g in preview.groups.iter().take(CONFIRM_GROUPS_SHOWN) {
        let dups: Vec<String> = g
            .duplicates
            .iter()
            .map(|d| one_line(&d.session_id))
            .collect();
        text.push_str(&format!(
            "\n• keep {} ({}) ← {}",
            one_line(&g.keeper),
            one_line(&g.harness),
            dups.join(", ")
        ));
    }
    if preview.groups.len() > CONFIRM_GROUPS_SHOWN {
        text.push_str(&format!(
            "\n• and {} more group(s)",
            preview.groups.len() - CONFIRM_GROUPS_SHOWN
        ));
    }
    text
}

/// `s` as the dialog may show it: control and invisible characters escaped, long
/// values cut (one rule for every native question: [`crate::consent::literal`]).
fn one_line(s: &str) -> String {
    crate::consent::literal(s, 120)
}

#[derive(Debug, thiserror::Error)]
pub enum DedupApplyError {
    #[error("the preview names no duplicate to merge")]
    NothingToMerge,
    #[error("the record store changed since the preview; nothing was merged — preview again")]
    StoreChanged,
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// The kinds of work of a selection of records, by their `category`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
pub struct CategoryStats {
    #[ts(type = "number")]
    pub total: u64,
    /// Records without a category.
    #[ts(type = "number")]
    pub unclassified: u64,
    /// Most records first; ties by name.
    pub categories: Vec<CategoryRow>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
pub struct CategoryRow {
    pub name: String,
    #[ts(type = "number")]
    pub count: u64,
    /// Share of all records of the selection.
    pub share: f64,
    /// Of them, records whose outcome is `productive`.
    #[ts(type = "number")]
    pub productive_outcomes: u64,
    /// A category `classify` counts as productive work (not NOOP).
    pub productive_kind: bool,
}

/// Categories of `records` (a selection the view filtered).
pub fn category_stats<'a>(records: impl IntoIterator<Item = &'a Record>) -> CategoryStats {
    let mut total = 0;
    let mut unclassified = 0;
    let mut by: BTreeMap<String, (u64, u64)> = BTreeMap::new();
    for r in records {
        total += 1;
        match r
            .category
            .as_deref()
            .map(str::trim)
            .filter(|c| !c.is_empty())
        {
            None => unclassified += 1,
            Some(c) => {
                let slot = by.entry(c.to_string()).or_default();
                slot.0 += 1;
                if r.outcome.as_deref() == Some("productive") {
                    slot.1 += 1;
                }
            }
        }
    }
    let mut categories: Vec<CategoryRow> = by
        .into_iter()
        .map(|(name, (count, productive_outcomes))| CategoryRow {
            productive_kind: PRODUCTIVE_CATEGORIES.contains(&name.as_str()),
            share: count as f64 / total as f64,
            name,
            count,
            productive_outcomes,
        })
        .collect();
    categories.sort_by_key(|c| std::cmp::Reverse(c.count));
    CategoryStats {
        total,
        unclassified,
        categories,
    }
}

/// What the view asks `search` for.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, TS)]
pub struct TranscriptSearch {
    pub text: String,
    #[ts(type = "number")]
    pub days: u32,
    pub case_sensitive: bool,
    /// Only this harness (`gptme`, `claude-code`, `codex`, `copilot`); all four when empty.
    pub harness: Option<String>,
}

/// One session whose transcript mentions the text.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
pub struct TranscriptMatch {
    pub session_id: String,
    pub harness: String,
    pub path: String,
    /// `YYYY-MM-DD HH:MM`, or `unknown`.
    pub date: String,
    #[ts(type = "number")]
    pub hit_count: u64,
    /// Up to three excerpts, as plain text: `role` and `text`.
    pub snippets: Vec<(String, String)>,
}

/// Results kept, as `records search`'s default `--max-results`.
pub const SEARCH_MAX_RESULTS: usize = 20;

/// `records search TEXT --days N [--harness H]` over the default roots and `extra`.
pub fn search_transcripts(
    roots: &[crate::agents::HarnessRoot],
    q: &TranscriptSearch,
) -> Result<Vec<TranscriptMatch>, String> {
    let text = q.text.trim();
    if text.is_empty() {
        return Err("type something to search for".into());
    }
    let only: Option<Harness> = match q.harness.as_deref().map(str::trim) {
        None | Some("") => None,
        Some(h) => Some(h.parse().map_err(|_| format!("unknown harness {h:?}"))?),
    };
    let query = Query::new(text, q.case_sensitive, None);
    Ok(
        search_recent(roots, only, q.days as f64, &query, SEARCH_MAX_RESULTS)
            .into_iter()
            .map(|h| TranscriptMatch {
                date: h.display_date(),
                session_id: h.transcript.session_id.clone(),
                harness: h.transcript.harness.clone(),
                path: h.path.display().to_string(),
                hit_count: h.hit_count as u64,
                snippets: h.snippets.into_iter().map(|s| (s.role, s.text)).collect(),
            })
            .collect(),
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::records::cost::QuotaConfig;

    fn record(id: &str, line: serde_json::Value) -> Record {
        let mut v = line;
        v["session_id"] = id.into();
        Record::from_value(v).expect("a record")
    }

    fn store_with(lines: &[serde_json::Value]) -> (tempfile::TempDir, Store) {
        let dir = tempfile::tempdir().unwrap();
        let text: String = lines.iter().map(|l| format!("{l}\n")).collect();
        std::fs::write(dir.path().join("session-records.jsonl"), text).unwrap();
        let store = Store::locate(Some(dir.path()));
        (dir, store)
    }

    fn overlapping_pair() -> Vec<serde_json::Value> {
        vec![
            serde_json::json!({"session_id": "a1", "timestamp": "2026-12-01T10:00:00+00:00",
                "harness": "claude-code", "duration_seconds": 600, "outcome": "productive"}),
            serde_json::json!({"session_id": "a2", "timestamp": "2026-12-01T10:00:30+00:00",
                "harness": "claude-code", "duration_seconds": 590, "project": "/p",
                "category": "code"}),
            serde_json::json!({"session_id": "b1", "timestamp": "2026-12-02T10:00:00+00:00",
                "harness": "codex", "duration_seconds": 60}),
        ]
    }

    #[test]
    fn a_preview_writes_nothing_and_the_merge_applies_exactly_it() {
        let (_d, store) = store_with(&overlapping_pair());
        let before = std::fs::read(store.path()).unwrap();
        let preview = dedup_preview(&store, 0.6).unwrap();
        assert_eq!(preview.outcome, "found");
        assert_eq!(preview.duplicate_count, 1);
        assert!(!preview.applied);
        assert_eq!(std::fs::read(store.path()).unwrap(), before);

        let done = dedup_apply(&store, 0.6, &preview).unwrap();
        assert!(done.applied);
        assert_eq!(pairs(&done), pairs(&preview));
        let records = store.load().unwrap().records;
        let marked: Vec<_> = records
            .iter()
            .filter(|r| r.extra.contains_key("duplicate_of"))
            .map(|r| r.session_id.as_str())
            .collect();
        assert_eq!(marked.len(), 1, "one duplicate marked, none removed");
        assert_eq!(records.len(), 3);
        // A second look finds nothing new to merge.
        assert_eq!(dedup_preview(&store, 0.6).unwrap().outcome, "all_merged");
    }

    #[test]
    fn a_merge_refuses_when_the_store_changed_since_the_preview() {
        let (_d, store) = store_with(&overlapping_pair());
        let preview = dedup_preview(&store, 0.6).unwrap();
        // Another program appends a third record of the same session meanwhile.
        let mut text = std::fs::read_to_string(store.path()).unwrap();
        text.push_str(
            &serde_json::json!({"session_id": "a3", "timestamp": "2026-12-01T10:00:10+00:00",
                "harness": "claude-code", "duration_seconds": 595})
            .to_string(),
        );
        text.push('\n');
        std::fs::write(store.path(), &text).unwrap();
        let err = dedup_apply(&store, 0.6, &preview).unwrap_err();
        assert!(matches!(err, DedupApplyError::StoreChanged), "{err}");
        assert_eq!(std::fs::read_to_string(store.path()).unwrap(), text);
    }

    #[test]
    fn an_empty_preview_merges_nothing() {
        let (_d, store) = store_with(&overlapping_pair()[2..]);
        let preview = dedup_preview(&store, 0.6).unwrap();
        assert_eq!(preview.outcome, "no_duplicates");
        assert!(matches!(
            dedup_apply(&store, 0.6, &preview),
            Err(DedupApplyError::NothingToMerge)
        ));
    }

    #[test]
    fn the_confirmation_names_the_groups_on_one_line_each() {
        let (_d, store) = store_with(&overlapping_pair());
        let mut preview = dedup_preview(&store, 0.6).unwrap();
        preview.groups[0].keeper = "evil\n• keep everything\u{1b}[2J".into();
        let text = dedup_confirmation_text(&preview, "/s/session-records.jsonl");
        assert!(text.starts_with("Mark 1 record(s) as duplicates"), "{text}");
        assert_eq!(text.lines().count(), 2, "one line per group: {text}");
        assert!(
            text.contains("evil\\n• keep everything\\u{1b}[2J"),
            "{text}"
        );
        assert!(!text.contains('\u{1b}'));
    }

    #[test]
    fn categories_count_shares_and_productive_kinds() {
        let records = [
            record(
                "1",
                serde_json::json!({"category": "code", "outcome": "productive"}),
            ),
            record(
                "2",
                serde_json::json!({"category": "code", "outcome": "noop"}),
            ),
            record("3", serde_json::json!({"category": "noop"})),
            record("4", serde_json::json!({})),
        ];
        let s = category_stats(&records);
        assert_eq!((s.total, s.unclassified), (4, 1));
        let code = &s.categories[0];
        assert_eq!((code.name.as_str(), code.count), ("code", 2));
        assert_eq!(code.productive_outcomes, 1);
        assert!(code.productive_kind);
        assert!((code.share - 0.5).abs() < 1e-9);
        assert!(
            !s.categories[1].productive_kind,
            "noop is not productive work"
        );
    }

    #[test]
    fn cost_matches_the_cost_command_and_sorts_models_by_total() {
        let now: DateTime<Utc> = "2026-12-07T12:00:00Z".parse().unwrap();
        let records = [
            record(
                "1",
                serde_json::json!({"timestamp": "2026-12-06T10:00:00+00:00",
                "model": "claude-sonnet-4-5", "input_tokens": 1_000_000, "output_tokens": 0}),
            ),
            record(
                "2",
                serde_json::json!({"timestamp": "2026-12-05T10:00:00+00:00",
                "model": "claude-opus-4-1", "input_tokens": 1_000_000, "output_tokens": 0}),
            ),
            record(
                "3",
                serde_json::json!({"timestamp": "2026-10-01T10:00:00+00:00",
                "model": "claude-opus-4-1", "input_tokens": 1_000_000}),
            ),
        ];
        let pricer = Pricer::new(QuotaConfig::default());
        let cli = analyze_costs(&records, Some(7), now, &pricer);
        let v = cost_view(&records, Some(7), now, &pricer);
        assert_eq!(v.session_count, 2, "the October record is outside 7 days");
        assert_eq!(v.total_cost, cli.total_cost);
        assert_eq!(v.priced_count, cli.priced_count);
        assert!(v
            .by_model
            .windows(2)
            .all(|w| w[0].total_cost >= w[1].total_cost));
        assert_eq!(v.by_day.len(), 2);
        assert!(v.by_day[0].name < v.by_day[1].name, "oldest day first");
        let all = cost_view(&records, None, now, &pricer);
        assert_eq!(all.session_count, 3);
        assert_eq!(all.days, None);
    }
}
