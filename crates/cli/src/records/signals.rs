//! `records signals PATH`: gptme-sessions' `signals` command — a trajectory's
//! productivity signals and grade (`sessionscope_core::records::signals`) as a
//! summary, the `--json` object, the bare `--grade` or the `--usage` line, with the
//! optional LLM judge of the same core as `records judge`.

use std::path::PathBuf;

use anyhow::Result;
use clap::Args;
use sessionscope_core::records::judge::{self, JudgeConfig};
use sessionscope_core::records::pyjson::PyValue;
use sessionscope_core::records::signals::{analyze_path, Analysis};

#[derive(Args)]
pub struct SignalsArgs {
    /// A gptme, Claude Code, Codex, Copilot or Grok trajectory (.jsonl).
    path: PathBuf,
    /// Output as JSON (default: human-readable summary).
    #[arg(long)]
    json: bool,
    /// Output grade only (float 0.0-1.0).
    #[arg(long)]
    grade: bool,
    /// Output token usage breakdown.
    #[arg(long)]
    usage: bool,
    /// Run LLM-as-judge scoring (the judge of `records judge`; needs an API key).
    #[arg(long)]
    llm_judge: bool,
    /// Agent goals for the LLM judge (default: generic).
    #[arg(long)]
    goals: Option<String>,
    /// Category hint for the LLM judge.
    #[arg(long = "category")]
    judge_category: Option<String>,
    /// Judge model ID (default: the `records judge` default).
    #[arg(long = "model")]
    judge_model: Option<String>,
}

/// `f"{n:,}"` of an integer (other values as Python's `str`).
fn thousands(n: &PyValue) -> String {
    match n {
        PyValue::Int(i) => match i64::try_from(*i) {
            Ok(i) => super::format::thousands(i),
            Err(_) => n.py_str(),
        },
        other => other.py_str(),
    }
}

/// `f"{x:.1f}"` of a number.
fn one_decimal(v: &PyValue) -> String {
    match v {
        PyValue::Int(i) => format!("{:.1}", *i as f64),
        PyValue::Float(f) => format!("{f:.1}"),
        other => other.py_str(),
    }
}

fn int_of(v: Option<&PyValue>) -> PyValue {
    v.cloned().unwrap_or(PyValue::Int(0))
}

fn rate_limit_line(a: &Analysis) -> Option<String> {
    let primary = a
        .usage("rate_limit_primary_pct")
        .filter(|v| **v != PyValue::Null)?;
    let secondary = a
        .usage("rate_limit_secondary_pct")
        .filter(|v| **v != PyValue::Null)
        .map(|s| format!(" secondary={}%", one_decimal(s)))
        .unwrap_or_default();
    Some(format!(
        "Rate limits: primary={}%{secondary} (no absolute token counts)",
        one_decimal(primary)
    ))
}

/// The judge's summary of a session, synthesized from its signals.
fn judge_summary(a: &Analysis) -> String {
    let s = &a.signals;
    let mut parts: Vec<String> = Vec::new();
    if !s.git_commits.is_empty() {
        parts.push(format!("Git commits ({}):", s.git_commits.len()));
        parts.extend(s.git_commits.iter().take(10).map(|c| format!("  - {c}")));
    }
    let mut unique: Vec<&String> = Vec::new();
    for w in &s.file_writes {
        if !unique.contains(&w) {
            unique.push(w);
        }
    }
    if !unique.is_empty() {
        parts.push(format!("Files written ({} unique):", unique.len()));
        parts.extend(unique.iter().take(10).map(|w| format!("  - {w}")));
    }
    if !s.tool_calls.is_empty() {
        parts.push(format!(
            "Tool calls: {} total ({})",
            s.total_tools(),
            top_tools(a)
        ));
    }
    parts.push(format!("Trajectory grade: {:.2}", a.grade));
    if s.error_count != 0 {
        parts.push(format!("Errors: {}", s.error_count));
    }
    if let Some(d) = s.session_duration_s.filter(|d| *d != 0) {
        parts.push(format!("Duration: {d}s"));
    }
    parts.join("\n")
}

/// The five most used tools, `name:count`, most used first (ties in first-seen order).
fn top_tools(a: &Analysis) -> String {
    let mut tc = a.signals.tool_calls.clone();
    tc.sort_by_key(|(_, n)| -n);
    tc.iter()
        .take(5)
        .map(|(t, n)| format!("{t}:{n}"))
        .collect::<Vec<_>>()
        .join(", ")
}

fn run_judge(a: &SignalsArgs, analysis: &Analysis) -> Option<PyValue> {
    let env = |k: &str| std::env::var(k).ok();
    let cfg = JudgeConfig::resolve(None, None, a.judge_model.clone(), None, env);
    let goals = a
        .goals
        .clone()
        .unwrap_or_else(|| judge::DEFAULT_GOALS.to_string());
    let mut summary = judge_summary(analysis);
    if let Some(c) = &a.judge_category {
        summary = format!("Category: {c}\n{summary}");
    }
    let req = judge::build_request(&cfg, &goals, &summary);
    let v = judge::send(&cfg, &req, env).ok()?;
    Some(PyValue::Dict(vec![
        ("score".into(), PyValue::Float(v.score)),
        ("reason".into(), PyValue::Str(v.reason)),
        ("model".into(), PyValue::Str(v.model)),
    ]))
}

pub fn signals_cmd(a: SignalsArgs) -> Result<()> {
    if [a.json, a.grade, a.usage].iter().filter(|f| **f).count() > 1 {
        crate::usage_bail!("--json, --grade, and --usage are mutually exclusive");
    }
    if !a.path.is_file() {
        if a.path.is_dir() {
            crate::usage_bail!(
                "Invalid value for 'PATH': {} is a directory, expected a .jsonl file",
                a.path.display()
            );
        }
        crate::usage_bail!("Invalid value for 'PATH': {} not found", a.path.display());
    }
    let analysis = analyze_path(&a.path)?;
    let mut verdict = None;
    if a.llm_judge && !(a.grade || a.usage) {
        verdict = run_judge(&a, &analysis);
        if verdict.is_none() {
            eprintln!("LLM judge: unavailable (missing API key, SDK, or judge returned no result)");
        }
    }
    if a.grade {
        println!("{:.4}", analysis.grade);
        return Ok(());
    }
    if a.json {
        let mut obj = analysis.to_py();
        if let (PyValue::Dict(items), Some(v)) = (&mut obj, &verdict) {
            items.push(("llm_judge".into(), v.clone()));
        }
        println!("{}", obj.dumps_pretty(false));
        return Ok(());
    }
    let u = |k: &str| int_of(analysis.usage(k));
    if a.usage {
        if analysis.usage.is_empty() {
            return Ok(());
        }
        let total = analysis.usage("total_tokens").and_then(|t| match t {
            PyValue::Int(i) => Some(*i),
            _ => None,
        });
        if total.unwrap_or(0) > 0 {
            println!(
                "input={} output={} cache_read={} cache_create={} total={}",
                u("input_tokens").py_str(),
                u("output_tokens").py_str(),
                u("cache_read_tokens").py_str(),
                u("cache_creation_tokens").py_str(),
                u("total_tokens").py_str()
            );
        } else if let Some(line) = rate_limit_line(&analysis) {
            println!("{line}");
        }
        return Ok(());
    }

    let s = &analysis.signals;
    let total = s.total_tools();
    println!("Format: {}", s.format.as_str());
    let per_step = if s.steps != 0 {
        format!(" ({:.1} tools/step)", total as f64 / s.steps as f64)
    } else {
        String::new()
    };
    println!(
        "Tool calls: {total} in {} step(s){per_step} ({})",
        s.steps,
        top_tools(&analysis)
    );
    println!("Git commits: {}", s.git_commits.len());
    let unique = s
        .file_writes
        .iter()
        .collect::<std::collections::HashSet<_>>()
        .len();
    if unique == s.file_writes.len() {
        println!("File writes: {unique}");
    } else {
        println!(
            "File writes: {unique} unique ({} total)",
            s.file_writes.len()
        );
    }
    println!("Errors: {}", s.error_count);
    println!("Retries: {}", s.retry_count);
    match s.session_duration_s {
        Some(d) => println!("Duration: {d}s"),
        None => println!("Duration: Nones"),
    }
    println!(
        "Productive: {}",
        if analysis.productive { "True" } else { "False" }
    );
    println!("Grade: {:.4}", analysis.grade);
    if !analysis.usage.is_empty() {
        if analysis.usage("total_tokens").is_some() {
            println!(
                "Tokens: {} total (in={} out={} cache_create={} cache_read={})",
                thousands(&u("total_tokens")),
                thousands(&u("input_tokens")),
                thousands(&u("output_tokens")),
                thousands(&u("cache_creation_tokens")),
                thousands(&u("cache_read_tokens"))
            );
        } else if let Some(line) = rate_limit_line(&analysis) {
            println!("{line}");
        }
    }
    if let Some(PyValue::Dict(v)) = &verdict {
        let get = |k: &str| v.iter().find(|(n, _)| n == k).map(|(_, x)| x.clone());
        let score = match get("score") {
            Some(PyValue::Float(f)) => f,
            _ => 0.0,
        };
        println!(
            "LLM Judge: {score:.2} ({}) — {}",
            get("model").map(|m| m.py_str()).unwrap_or_default(),
            get("reason").map(|m| m.py_str()).unwrap_or_default()
        );
    }
    if !s.deliverables.is_empty() {
        println!("Deliverables:");
        for d in s.deliverables.iter().take(10) {
            println!("  - {d}");
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn thousands_like_python() {
        assert_eq!(thousands(&PyValue::Int(0)), "0");
        assert_eq!(thousands(&PyValue::Int(1234567)), "1,234,567");
        assert_eq!(thousands(&PyValue::Int(-1000)), "-1,000");
        assert_eq!(thousands(&PyValue::Float(1.5)), "1.5");
    }
}
