//! `records judge` over journal entries: what gptme-sessions' `judge` scores —
//! `JOURNAL/YYYY-MM-DD/autonomous-session-*.md`, each with the category and outcome
//! of its YAML block — with its JSON rows (`session_id`, `date`, `category`,
//! `outcome`, `journal_path`, then the verdict fields) and text. The model call is
//! `sessionscope_core::records::judge`'s, the same as for store records.

use std::path::PathBuf;

use anyhow::Result;
use sessionscope_core::records::journal::{entry_date, journal_entries, session_id_of, yaml_meta};
use sessionscope_core::records::judge::{self, JudgeConfig, Verdict};
use sessionscope_core::records::pyjson::PyValue;
use sessionscope_core::records::Store;

use super::classify::read_entry;

/// What `judge` was asked, for the journal mode.
pub struct JournalJudge<'a> {
    pub journal_dir: PathBuf,
    pub last: i64,
    pub goals: &'a str,
    pub cfg: &'a JudgeConfig,
    pub update_store: bool,
    pub dry_run: bool,
    pub json: bool,
}

fn s(v: &str) -> PyValue {
    PyValue::Str(v.to_string())
}

pub fn run(store: &Store, j: JournalJudge<'_>) -> Result<()> {
    if j.dry_run && j.update_store {
        crate::usage_bail!("--dry-run and --update-store are mutually exclusive");
    }
    if !j.journal_dir.is_dir() {
        crate::usage_bail!(
            "Invalid value for '--journal-dir': {} is not a directory",
            j.journal_dir.display()
        );
    }
    if j.last <= 0 {
        crate::usage_bail!("--last must be a positive integer (got 0 or negative)");
    }
    let entries = journal_entries(&j.journal_dir, j.last, false);
    if entries.is_empty() {
        eprintln!("No autonomous session journal entries found.");
        return Ok(());
    }
    eprintln!(
        "Found {} session(s) to {}",
        entries.len(),
        if j.dry_run { "preview" } else { "score" }
    );
    let env = |k: &str| std::env::var(k).ok();
    let mut rows: Vec<PyValue> = Vec::new();
    let mut scored: Vec<(String, Verdict)> = Vec::new();
    for entry in &entries {
        let Some(text) = read_entry(entry) else {
            eprintln!("Skipping {}: not readable as UTF-8 text", entry.display());
            continue;
        };
        let meta = yaml_meta(&text);
        let get = |k: &str| {
            meta.iter()
                .find(|(key, _)| key == k)
                .map(|(_, v)| v.clone())
                .unwrap_or_else(|| "unknown".into())
        };
        let (sid, date, cat, outcome) = (
            session_id_of(entry),
            entry_date(entry),
            get("category"),
            get("outcome"),
        );
        let mut row = vec![
            ("session_id".to_string(), s(&sid)),
            ("date".into(), s(&date)),
            ("category".into(), s(&cat)),
            ("outcome".into(), s(&outcome)),
            ("journal_path".into(), s(&entry.display().to_string())),
        ];
        if j.dry_run {
            if !j.json {
                println!("  {sid:<12} {date}  {cat:<14} {outcome}");
            }
            rows.push(PyValue::Dict(row));
            continue;
        }
        let req = judge::build_request(
            j.cfg,
            j.goals,
            &judge::journal_summary(&text, &cat, &outcome),
        );
        match judge::send(j.cfg, &req, env) {
            Ok(v) => {
                row.push(("llm_judge_score".into(), PyValue::Float(v.score)));
                row.push(("llm_judge_reason".into(), s(&v.reason)));
                row.push(("llm_judge_model".into(), s(&v.model)));
                row.push((
                    "grades".into(),
                    PyValue::Dict(vec![("alignment".into(), PyValue::Float(v.score))]),
                ));
                row.push((
                    "grade_reasons".into(),
                    PyValue::Dict(vec![("alignment".into(), s(&v.reason))]),
                ));
                if !j.json {
                    println!("  {sid:<12} {date}  {cat:<14} {:.2}  {}", v.score, v.reason);
                }
                scored.push((sid, v));
            }
            Err(e) => {
                eprintln!("  {sid:<12} not scored: {e}");
                rows.push(PyValue::Dict(row));
                if matches!(e, judge::JudgeError::MissingKey(_)) {
                    break;
                }
                continue;
            }
        }
        rows.push(PyValue::Dict(row));
    }
    if j.dry_run {
        if j.json {
            println!("{}", PyValue::List(rows).dumps_pretty(false));
        } else {
            println!("\n{} session(s) (dry run)", rows.len());
        }
        return Ok(());
    }
    if j.update_store {
        if scored.is_empty() {
            eprintln!("\nNo sessions were scored — check the judge's endpoint and API key.");
        } else {
            match judge::store_verdicts(store, &scored)? {
                0 => eprintln!("\nNo matching records found in store to update."),
                n => eprintln!("\nUpdated {n} record(s) in {}", store.path().display()),
            }
        }
    }
    if j.json {
        println!("{}", PyValue::List(rows).dumps_pretty(false));
    } else if !scored.is_empty() {
        println!("{}", scored_line(&scored, rows.len()));
    } else {
        // gptme-sessions says so and exits 0: scripts around it must not break.
        eprintln!("{NOTHING_SCORED}");
    }
    Ok(())
}

/// What `judge` says (on stderr, exiting 0, as gptme-sessions does) when no session
/// got a score.
pub const NOTHING_SCORED: &str =
    "\nNo sessions scored. Check that the judge's endpoint and API key are set.";

/// gptme-sessions' closing line of `judge`: `Scored: N/M  mean=…  min=…  max=…`
/// (`scored` is not empty).
pub fn scored_line(scored: &[(String, Verdict)], total: usize) -> String {
    let scores: Vec<f64> = scored.iter().map(|(_, v)| v.score).collect();
    let mean = scores.iter().sum::<f64>() / scores.len() as f64;
    let min = scores.iter().cloned().fold(f64::INFINITY, f64::min);
    let max = scores.iter().cloned().fold(f64::NEG_INFINITY, f64::max);
    format!(
        "\nScored: {}/{total}  mean={mean:.2}  min={min:.2}  max={max:.2}",
        scored.len()
    )
}
