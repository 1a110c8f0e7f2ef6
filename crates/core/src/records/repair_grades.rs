//! `repair-grades`: fill the multivariate `grades` / `grade_reasons` maps from the
//! legacy scalar fields older writers left (`trajectory_grade` → `productivity`,
//! `llm_judge_score` → `alignment`, `llm_judge_reason` → the alignment reason), as
//! gptme-sessions' `SessionRecord.sync_grade_fields` does. Existing entries are never
//! overwritten, so a second run changes nothing.

use serde::Serialize;
use serde_json::Value;

use super::record::Record;
use super::store::{Store, StoreError};

/// What a run repaired (or, in a preview, would repair).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct GradeRepair {
    /// Records that gained any entry.
    pub repaired: usize,
    pub productivity: usize,
    pub alignment: usize,
    pub alignment_reasons: usize,
}

/// Add the missing `grades` / `grade_reasons` entries of one record; what was added.
pub fn sync_grade_fields(r: &mut Record) -> GradeRepair {
    let mut added = GradeRepair::default();
    if let Some(g) = r.trajectory_grade {
        if !r.grades.contains_key("productivity") {
            r.grades.insert("productivity".into(), Value::from(g));
            added.productivity = 1;
        }
    }
    if let Some(s) = r.llm_judge_score {
        if !r.grades.contains_key("alignment") {
            r.grades.insert("alignment".into(), Value::from(s));
            added.alignment = 1;
        }
    }
    if let Some(reason) = &r.llm_judge_reason {
        if r.grades.contains_key("alignment") && !r.grade_reasons.contains_key("alignment") {
            r.grade_reasons
                .insert("alignment".into(), Value::from(reason.clone()));
            added.alignment_reasons = 1;
        }
    }
    added.repaired = usize::from(added != GradeRepair::default());
    added
}

/// Repair every record of the store; unless `dry_run`, write the result back under
/// the lock (one locked read-repair-write cycle).
pub fn repair_grades(store: &Store, dry_run: bool) -> Result<Option<GradeRepair>, StoreError> {
    let repair_all = |records: &mut Vec<Record>| {
        if records.is_empty() {
            return None;
        }
        let mut total = GradeRepair::default();
        for r in records.iter_mut() {
            let one = sync_grade_fields(r);
            total.repaired += one.repaired;
            total.productivity += one.productivity;
            total.alignment += one.alignment;
            total.alignment_reasons += one.alignment_reasons;
        }
        Some(total)
    };
    if dry_run {
        let mut records = store.load()?.records;
        return Ok(repair_all(&mut records));
    }
    store.modify(|records| Ok(repair_all(records)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn legacy_scalars_fill_missing_grades_once() {
        let mut r = Record::from_line(
            br#"{"session_id":"a","trajectory_grade":0.6,"llm_judge_score":0.7,"llm_judge_reason":"ok","grades":{"productivity":0.1}}"#,
        )
        .unwrap();
        let first = sync_grade_fields(&mut r);
        assert_eq!(
            (first.productivity, first.alignment, first.alignment_reasons),
            (0, 1, 1)
        );
        assert_eq!(r.grades["productivity"], 0.1, "an existing grade is kept");
        assert_eq!(r.grades["alignment"], 0.7);
        assert_eq!(r.grade_reasons["alignment"], "ok");
        assert_eq!(sync_grade_fields(&mut r), GradeRepair::default());
    }
}
