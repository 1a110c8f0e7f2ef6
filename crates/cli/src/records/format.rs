//! Human-readable layouts of records, stats and run analytics (the `--json` output
//! is the core types serialised as they are). Layout only: every number comes from
//! `sessionscope_core::analytics`.

use std::collections::BTreeMap;
use std::fmt::Write;

use sessionscope_core::analytics::{Bucket, RunAnalytics, Stats};
use sessionscope_core::records::Record;

/// A window of `days` as gptme-sessions' messages say it (`_fmt_since`): "90 seconds",
/// "30 minutes", "2 hours", "7 days", "1.5 days"; no window is "all time".
pub fn window(days: Option<f64>) -> String {
    let Some(days) = days else {
        return "all time".to_string();
    };
    let seconds = days * 86400.0;
    if seconds < 120.0 {
        format!("{} seconds", seconds.round_ties_even())
    } else if seconds < 3600.0 {
        format!("{} minutes", (seconds / 60.0).round_ties_even())
    } else if seconds < 86400.0 {
        format!("{} hours", (seconds / 3600.0).round_ties_even())
    } else if days.fract() == 0.0 {
        format!("{days} days")
    } else {
        format!("{days:.1} days")
    }
}

fn pct(rate: f64) -> String {
    format!("{:.0}%", rate * 100.0)
}

/// One `By …:` table as gptme-sessions' `format_stats` prints it: names padded to
/// `min_width` (or to the longest name when `grow`), counts as `{:3}/{:3}`.
fn table(
    out: &mut String,
    title: &str,
    rows: &BTreeMap<String, Bucket>,
    min_width: usize,
    grow: bool,
) {
    if rows.is_empty() {
        return;
    }
    let longest = rows.keys().map(|k| k.chars().count()).max().unwrap_or(0);
    let width = if grow {
        longest.max(min_width)
    } else {
        min_width
    };
    let _ = writeln!(out, "{title}:");
    for (k, b) in rows {
        let _ = writeln!(
            out,
            "  {k:<width$}  {:>3}/{:>3}  ({})",
            b.productive,
            b.total,
            pct(b.rate)
        );
    }
    out.push('\n');
}

/// Do the two sides of a cross-tab each have at least two values?
fn worth_crossing(rows: &BTreeMap<String, Bucket>) -> bool {
    let mut left = std::collections::BTreeSet::new();
    let mut right = std::collections::BTreeSet::new();
    for k in rows.keys() {
        let mut parts = k.splitn(2, '×');
        left.insert(parts.next().unwrap_or(""));
        right.insert(parts.next().unwrap_or(""));
    }
    left.len() >= 2 && right.len() >= 2
}

pub fn stats(s: &Stats) -> String {
    let mut out = String::new();
    let Some(d) = &s.detail else {
        return "No session records found.\n".into();
    };
    let _ = writeln!(
        out,
        "Sessions: {} total, {} productive ({} success rate)",
        s.total,
        d.productive,
        pct(d.success_rate)
    );
    if d.violated_policy > 0 {
        let _ = writeln!(out, "  Policy violations: {} session(s)", d.violated_policy);
    }
    if let Some(dur) = &d.duration {
        let _ = writeln!(
            out,
            "Duration: {} with data, avg {:.0}m, total {:.1}h",
            dur.count,
            dur.avg / 60.0,
            dur.total_hours
        );
    }
    out.push('\n');
    table(&mut out, "By model", &d.by_model, 12, true);
    table(&mut out, "By run type", &d.by_run_type, 12, false);
    table(&mut out, "By harness", &d.by_harness, 12, false);
    table(&mut out, "By project", &d.by_project, 12, true);
    if worth_crossing(&d.by_model_run_type) {
        table(
            &mut out,
            "By model × run type",
            &d.by_model_run_type,
            25,
            true,
        );
    }
    if worth_crossing(&d.by_harness_model) {
        table(
            &mut out,
            "By harness × model",
            &d.by_harness_model,
            30,
            true,
        );
    }
    out
}

fn bar(n: u64) -> String {
    "#".repeat(n.min(40) as usize)
}

/// gptme-sessions' `format_run_analytics`, line for line.
pub fn runs(r: &RunAnalytics) -> String {
    let Some(d) = &r.detail else {
        return "No session records found.\n".into();
    };
    let total = r.total.max(1) as f64;
    let mut out = String::new();
    let _ = writeln!(out, "Run Analytics ({} sessions)", r.total);
    let _ = writeln!(out, "{}\n", "=".repeat(50));
    let dist = &d.duration_distribution;
    let _ = writeln!(out, "Duration distribution:");
    for (name, n) in [
        ("<1m", dist.under_1m),
        ("1-5m", dist.m1_5),
        ("5-15m", dist.m5_15),
        ("15-30m", dist.m15_30),
        ("30m+", dist.over_30m),
        ("unknown", dist.unknown),
    ] {
        let _ = writeln!(
            out,
            "  {name:>7}  {n:>3}  ({:>4.1}%)  {}",
            n as f64 / total * 100.0,
            bar(n)
        );
    }
    out.push('\n');
    if !d.noop_by_run_type.is_empty() {
        let _ = writeln!(out, "NOOP rate by run type:");
        for (rt, v) in &d.noop_by_run_type {
            let _ = writeln!(
                out,
                "  {rt:<15}  {:>3}/{:>3}  ({})",
                v.noop,
                v.total,
                pct(v.rate)
            );
        }
        out.push('\n');
    }
    if !d.short_runs.is_empty() {
        let _ = writeln!(out, "Short runs (<2min) by type:");
        let mut short: Vec<_> = d.short_runs.iter().collect();
        short.sort_by(|a, b| b.1.cmp(a.1).then(a.0.cmp(b.0)));
        for (rt, n) in short {
            let _ = writeln!(out, "  {rt:<15}  {n:>3}");
        }
        out.push('\n');
    }
    if !d.daily_counts.is_empty() {
        let _ = writeln!(out, "Daily run counts:");
        for (day, n) in &d.daily_counts {
            let _ = writeln!(out, "  {day}  {n:>3}  {}", bar(*n));
        }
        out.push('\n');
    }
    if !d.model_outcome.is_empty() {
        let _ = writeln!(out, "Model × outcome:");
        for (m, v) in &d.model_outcome {
            let _ = writeln!(
                out,
                "  {m:<12}  {:>3} productive, {:>3} noop  ({} success)",
                v.productive,
                v.noop,
                pct(v.rate)
            );
        }
    }
    out
}

fn project_short(p: &str) -> &str {
    p.trim_end_matches('/').rsplit('/').next().unwrap_or(p)
}

/// One line of `query`: status, date, name, model, category, duration, project.
pub fn query_line(r: &Record) -> String {
    let status = if r.outcome.as_deref() == Some("productive") {
        "+"
    } else {
        "-"
    };
    let date: String = r.timestamp.chars().take(10).collect();
    let name = r
        .session_name
        .clone()
        .unwrap_or_else(|| r.session_id.chars().take(8).collect());
    let model = r.model_normalized().unwrap_or_else(|| "unknown".into());
    let dur = if r.duration_seconds > 0 {
        format!("{:>3}m", r.duration_seconds / 60)
    } else {
        "   ?".into()
    };
    format!(
        "[{status}] {date}  {name:<20}  {model:<8}  {:<14}  {dur}  {}",
        r.category.as_deref().unwrap_or("?"),
        r.project.as_deref().map(project_short).unwrap_or("")
    )
}

/// `show`: gptme-sessions' layout (its fields, its labels, in its order).
pub fn record_detail(r: &Record) -> String {
    let mut out = String::new();
    let status = if r.outcome.as_deref() == Some("productive") {
        "+"
    } else {
        "-"
    };
    let date: String = r.timestamp.chars().take(10).collect();
    let _ = writeln!(out, "[{status}] {}  {date}", r.session_id);
    let mut line = |label: &str, value: &str| {
        let _ = writeln!(out, "  {label:<14}{value}");
    };
    let set = |v: &Option<String>| v.as_deref().filter(|s| !s.is_empty()).map(str::to_string);
    if let Some(v) = set(&r.session_name) {
        line("Name:", &v);
    }
    if let Some(v) = set(&r.project) {
        line("Project:", &v);
    }
    line(
        "Harness:",
        &set(&r.harness).unwrap_or_else(|| "unknown".into()),
    );
    line("Model:", &set(&r.model).unwrap_or_else(|| "unknown".into()));
    line(
        "Run type:",
        &set(&r.run_type).unwrap_or_else(|| "unknown".into()),
    );
    line("Outcome:", r.outcome.as_deref().unwrap_or("None"));
    if r.duration_seconds != 0 {
        let s = r.duration_seconds;
        let (h, rem) = (s.div_euclid(3600), s.rem_euclid(3600));
        let (m, sec) = (rem / 60, rem % 60);
        let dur = if h != 0 {
            format!("{h}h {m}m {sec}s")
        } else {
            format!("{m}m {sec}s")
        };
        line("Duration:", &dur);
    }
    if let Some(v) = set(&r.category) {
        line("Category:", &v);
    }
    if let Some(v) = set(&r.recommended_category) {
        line("Recommended:", &v);
    }
    if let Some(v) = set(&r.selector_mode) {
        line("Selector:", &v);
    }
    if let Some(t) = r.token_count {
        line("Tokens:", &thousands(t));
    }
    if let Some(score) = r.llm_judge_score {
        line("Judge score:", &format!("{score:.2}"));
    }
    if let Some(v) = set(&r.llm_judge_reason) {
        line("Judge reason:", &v);
    }
    if let Some(v) = set(&r.llm_judge_model) {
        line("Judge model:", &v);
    }
    if let Some(v) = set(&r.trigger) {
        line("Trigger:", &v);
    }
    if let Some(v) = set(&r.journal_path) {
        line("Journal:", &v);
    }
    if !r.deliverables.is_empty() {
        let _ = writeln!(out, "  Deliverables:");
        for d in &r.deliverables {
            let _ = writeln!(out, "    - {d}");
        }
    }
    out
}

/// `f"{n:,}"`.
pub fn thousands(n: i64) -> String {
    let digits = n.unsigned_abs().to_string();
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    if n < 0 {
        format!("-{out}")
    } else {
        out
    }
}
