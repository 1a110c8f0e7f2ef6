//! `records classify` and `records classify-stats`: the kind of work autonomous
//! sessions did, from their journal entries (gptme-sessions' commands: same flags,
//! JSON and text). The classifier is `sessionscope_core::records::classify`.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use anyhow::{bail, Result};
use clap::Args;
use sessionscope_core::records::classify::{
    classify_by_keywords, default_categories, PRODUCTIVE_CATEGORIES,
};
use sessionscope_core::records::journal::{entry_date, journal_entries, session_id_of};
use sessionscope_core::records::pyjson::PyValue;
use sessionscope_core::records::Store;

pub fn journal_dir(arg: Option<PathBuf>) -> Result<PathBuf> {
    let dir = match arg {
        Some(d) => {
            if !d.exists() {
                crate::usage_bail!(
                    "Invalid value for '--journal-dir': Path '{}' does not exist.",
                    d.display()
                );
            }
            d
        }
        None => std::env::current_dir()?.join("journal"),
    };
    if !dir.is_dir() {
        crate::usage_bail!(
            "Invalid value for '--journal-dir': {} is not a directory",
            dir.display()
        );
    }
    Ok(dir)
}

/// Python's `Counter.most_common()`: by count, ties in first-seen order.
fn most_common<'a>(items: impl Iterator<Item = &'a str>) -> Vec<(&'a str, usize)> {
    let mut counts: Vec<(&str, usize)> = Vec::new();
    for it in items {
        match counts.iter_mut().find(|(k, _)| *k == it) {
            Some(slot) => slot.1 += 1,
            None => counts.push((it, 1)),
        }
    }
    counts.sort_by_key(|c| std::cmp::Reverse(c.1));
    counts
}

/// A journal entry's text (`None` for a FIFO, a device, or text that is not UTF-8).
pub fn read_entry(path: &Path) -> Option<String> {
    sessionscope_core::records::normalized::read_regular_text(path)
}

#[derive(Args)]
pub struct ClassifyArgs {
    /// Journal folder holding YYYY-MM-DD/autonomous-session-*.md (default: ./journal).
    #[arg(long)]
    journal_dir: Option<PathBuf>,
    /// Classify the last N sessions.
    #[arg(long, default_value_t = 20, allow_negative_numbers = true)]
    last: i64,
    /// Ask an LLM first (gptme-sessions' default). Sessionscope classifies by
    /// keywords, as gptme-sessions falls back to when no model is reachable.
    #[arg(long, overrides_with = "no_llm")]
    llm: bool,
    /// Keywords only.
    #[arg(long)]
    no_llm: bool,
    #[arg(long)]
    json: bool,
    /// Write each category to the store record with the entry's session id.
    #[arg(long)]
    update_store: bool,
    /// Also score goal alignment in the same LLM call (needs --llm).
    #[arg(long)]
    judge: bool,
    /// The agent's goals, for --judge.
    #[arg(long)]
    goals: Option<String>,
}

pub fn classify_cmd(store: &Store, a: ClassifyArgs) -> Result<()> {
    if a.judge {
        if a.no_llm {
            crate::usage_bail!("--judge requires --llm (cannot judge without LLM)");
        }
        bail!("--judge is not supported by sessionscope records classify yet; run 'sessionscope records judge' for alignment scores");
    }
    let dir = journal_dir(a.journal_dir)?;
    if a.last <= 0 {
        crate::usage_bail!("--last must be a positive integer");
    }
    let entries = journal_entries(&dir, a.last, false);
    if entries.is_empty() {
        eprintln!("No autonomous session journal entries found.");
        return Ok(());
    }
    eprintln!("Classifying {} session(s)...", entries.len());
    let mut rows: Vec<(String, PyValue, String, bool)> = Vec::new();
    for entry in &entries {
        let Some(text) = read_entry(entry) else {
            eprintln!("Skipping {}: not readable as UTF-8 text", entry.display());
            continue;
        };
        let sid = session_id_of(entry);
        let date = entry_date(entry);
        let c = classify_by_keywords(&text, default_categories());
        let mut row = vec![
            ("session_id".to_string(), PyValue::Str(sid.clone())),
            ("date".into(), PyValue::Str(date.clone())),
        ];
        row.extend(c.py_items());
        row.push((
            "journal_path".into(),
            PyValue::Str(entry.display().to_string()),
        ));
        if !a.json {
            println!(
                "  {sid:<12} {date}  {:<16} conf={:.2}  [{}]",
                c.category, c.confidence, c.classifier
            );
        }
        rows.push((sid, PyValue::Dict(row), c.category.clone(), c.productive));
    }
    if a.update_store {
        let by_id: HashMap<&str, &str> = rows
            .iter()
            .map(|(sid, _, cat, _)| (sid.as_str(), cat.as_str()))
            .collect();
        let updated = store.modify(|records| {
            let mut n = 0;
            for r in records.iter_mut() {
                if let Some(cat) = by_id.get(r.session_id.as_str()) {
                    r.category = Some(cat.to_string());
                    n += 1;
                }
            }
            Ok(n)
        })?;
        if updated > 0 {
            eprintln!(
                "\nUpdated {updated} record(s) in {}",
                store.path().display()
            );
        } else {
            eprintln!("\nNo matching records found in store to update.");
        }
    }
    if a.json {
        let list = PyValue::List(rows.into_iter().map(|r| r.1).collect());
        println!("{}", list.dumps_pretty(false));
        return Ok(());
    }
    let productive = rows.iter().filter(|r| r.3).count();
    println!(
        "\nClassified: {} sessions  ({productive} productive)",
        rows.len()
    );
    for (cat, n) in most_common(rows.iter().map(|r| r.2.as_str())) {
        println!("  {cat:<16} {n}");
    }
    Ok(())
}

#[derive(Args)]
pub struct ClassifyStatsArgs {
    /// Journal folder (default: ./journal).
    #[arg(long)]
    journal_dir: Option<PathBuf>,
    /// Number of sessions to analyze.
    #[arg(long, default_value_t = 20, allow_negative_numbers = true)]
    last: i64,
    #[arg(long)]
    json: bool,
    /// Window for the diversity check.
    #[arg(long, default_value_t = 5, allow_negative_numbers = true)]
    diversity_window: i64,
}

pub fn classify_stats_cmd(a: ClassifyStatsArgs) -> Result<()> {
    let dir = journal_dir(a.journal_dir)?;
    let entries = journal_entries(&dir, a.last, true);
    if entries.is_empty() {
        eprintln!("No autonomous session journal entries found.");
        return Ok(());
    }
    struct Row {
        category: String,
        secondary: Option<String>,
        productive: bool,
        py: PyValue,
    }
    let mut rows = Vec::new();
    for entry in &entries {
        let Some(text) = read_entry(entry) else {
            continue;
        };
        let c = classify_by_keywords(&text, default_categories());
        let date = entry_date(entry);
        let mut py = vec![("date".to_string(), PyValue::Str(date))];
        py.extend(c.py_items());
        rows.push(Row {
            category: c.category.clone(),
            secondary: c.secondary_category.clone(),
            productive: c.productive,
            py: PyValue::Dict(py),
        });
    }
    if rows.is_empty() {
        eprintln!("No sessions could be classified.");
        return Ok(());
    }
    if a.json {
        let list = PyValue::List(rows.into_iter().map(|r| r.py).collect());
        println!("{}", list.dumps_pretty(false));
        return Ok(());
    }
    let total = rows.len();
    let productive = rows.iter().filter(|r| r.productive).count();
    let primary = most_common(rows.iter().map(|r| r.category.as_str()));
    let multi = most_common(
        rows.iter()
            .flat_map(|r| std::iter::once(r.category.as_str()).chain(r.secondary.as_deref())),
    );
    println!("Session Classification Stats (last {total} sessions)");
    println!("{}", "=".repeat(50));
    println!(
        "Productive: {productive}/{total} ({}%)",
        productive * 100 / total
    );
    println!(
        "NOOP:       {}/{total} ({}%)",
        total - productive,
        (total - productive) * 100 / total
    );
    println!();
    println!("Category Breakdown (primary):");
    for (cat, n) in &primary {
        let pct = n * 100 / total;
        println!("  {cat:<15} {n:>3} ({pct:>2}%) {}", "#".repeat(pct / 2));
    }
    if rows.iter().any(|r| r.secondary.is_some()) {
        println!();
        println!("Category Presence (primary + secondary):");
        for (cat, n) in &multi {
            let pct = n * 100 / total;
            let p = primary
                .iter()
                .find(|(c, _)| c == cat)
                .map_or(0, |(_, n)| *n);
            let mut detail = format!("{p}p");
            if n - p > 0 {
                detail.push_str(&format!("+{}s", n - p));
            }
            println!(
                "  {cat:<15} {n:>3} ({pct:>2}%) {}  [{detail}]",
                "#".repeat(pct / 2)
            );
        }
    }
    let mut missing: Vec<&str> = PRODUCTIVE_CATEGORIES
        .iter()
        .copied()
        .filter(|c| !multi.iter().any(|(m, _)| m == c))
        .collect();
    missing.sort();
    if !missing.is_empty() {
        println!("\n  Missing categories: {}", missing.join(", "));
    }
    if total >= 10 {
        let prod = |rs: &[Row]| rs.iter().filter(|r| r.productive).count();
        let recent = prod(&rows[total - 5..]);
        let earlier = prod(&rows[total - 10..total - 5]);
        let trend = match recent.cmp(&earlier) {
            std::cmp::Ordering::Greater => "improving",
            std::cmp::Ordering::Less => "declining",
            std::cmp::Ordering::Equal => "stable",
        };
        println!("\nTrend: {trend} (recent 5: {recent}/5, previous 5: {earlier}/5)");
    }
    let window = a.diversity_window;
    if total as i64 >= window {
        println!();
        println!("Session Diversity (last {window}):");
        // Python's `results[-window:]`: 0 means all, a negative window skips from the start.
        let from = match window {
            w if w > 0 => total - w as usize,
            0 => 0,
            w => (w.unsigned_abs() as usize).min(total),
        };
        let recent: Vec<&str> = rows[from..].iter().map(|r| r.category.as_str()).collect();
        let mut alerts = Vec::new();
        if recent.len() >= 3 {
            let last3 = &recent[recent.len() - 3..];
            if last3.iter().all(|c| *c == last3[0]) {
                alerts.push(format!(
                    "3+ consecutive '{}' sessions — consider diversifying",
                    recent[recent.len() - 1]
                ));
            }
        }
        let non_code = recent
            .iter()
            .filter(|c| matches!(**c, "triage" | "pm-react"))
            .count();
        if non_code >= 3 {
            alerts.push(format!(
                "{non_code}/{window} sessions were triage/pm-react — pivot to code or ideas"
            ));
        }
        if !recent.contains(&"code") && window >= 5 {
            alerts.push("No code sessions in last 5 — consider picking up a coding task".into());
        }
        if alerts.is_empty() {
            let mut seen: Vec<&str> = Vec::new();
            for c in &recent {
                if !seen.contains(c) {
                    seen.push(c);
                }
            }
            let parts: Vec<String> = seen
                .iter()
                .map(|c| format!("{c}({})", recent.iter().filter(|r| *r == c).count()))
                .collect();
            println!(
                "  ✅ Good diversity: {}/{window} categories — {}",
                seen.len(),
                parts.join(", ")
            );
        } else {
            for alert in alerts {
                println!("  ⚠️  {alert}");
            }
        }
    }
    Ok(())
}
