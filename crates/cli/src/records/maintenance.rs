//! `records dedup` and `records repair-grades`: the two store-wide repairs of
//! gptme-sessions (same flags, JSON and text). The rules live in
//! `sessionscope_core::records::{dedup, repair_grades}`.

use anyhow::Result;
use clap::Args;
use sessionscope_core::records::dedup::{self, DedupOutcome, DEFAULT_MIN_OVERLAP};
use sessionscope_core::records::repair_grades::repair_grades;
use sessionscope_core::records::Store;

#[derive(Args)]
pub struct DedupArgs {
    /// Minimum Jaccard time overlap (intersection/union, 0.0-1.0) for two records of
    /// one harness to count as duplicates.
    #[arg(long, default_value_t = DEFAULT_MIN_OVERLAP)]
    min_overlap: f64,
    /// Show the merge plan without rewriting the store.
    #[arg(long)]
    dry_run: bool,
    #[arg(long)]
    json: bool,
}

pub fn dedup_cmd(store: &Store, a: DedupArgs) -> Result<()> {
    if !(0.0..=1.0).contains(&a.min_overlap) {
        crate::usage_bail!(
            "invalid value '{}' for '--min-overlap': not in the range 0.0 to 1.0",
            a.min_overlap
        );
    }
    let outcome = dedup::dedup(store, a.min_overlap, a.dry_run)?;
    let merged = outcome.merged_count();
    let groups = match outcome {
        DedupOutcome::EmptyStore => {
            println!("No records in store.");
            return Ok(());
        }
        DedupOutcome::NoDuplicates => {
            println!("No duplicate session records found.");
            return Ok(());
        }
        DedupOutcome::AllMerged => {
            println!("No new duplicates to merge (all already deduped).");
            return Ok(());
        }
        DedupOutcome::Merged(groups) => groups,
    };
    if a.json {
        println!("{}", serde_json::to_string_pretty(&groups)?);
        return Ok(());
    }
    for g in &groups {
        println!(
            "keeper {} ({}, richness={}):",
            g.keeper, g.harness, g.keeper_richness
        );
        for d in &g.duplicates {
            let fields = if d.merged_fields.is_empty() {
                "no new fields".to_string()
            } else {
                d.merged_fields.join(", ")
            };
            println!(
                "  {:<11}  {:<12}  richness={:<3}  [{fields}]",
                d.status, d.session_id, d.richness
            );
        }
    }
    let verb = if a.dry_run { "Would merge" } else { "Merged" };
    println!(
        "\n{verb} {merged} duplicate record(s) into {} keeper(s).",
        groups.len()
    );
    Ok(())
}

#[derive(Args)]
pub struct RepairGradesArgs {
    /// Show what would change without rewriting the store.
    #[arg(long)]
    dry_run: bool,
}

pub fn repair_grades_cmd(store: &Store, a: RepairGradesArgs) -> Result<()> {
    let Some(r) = repair_grades(store, a.dry_run)? else {
        println!("No records in store.");
        return Ok(());
    };
    let verb = if a.dry_run {
        "Would repair"
    } else {
        "Repaired"
    };
    println!(
        "{verb} {} record(s): productivity={}, alignment={}, alignment_reasons={}.",
        r.repaired, r.productivity, r.alignment, r.alignment_reasons
    );
    Ok(())
}
