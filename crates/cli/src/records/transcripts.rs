//! `records transcript PATH`, `records replay TARGET` and `records search QUERY`:
//! gptme-sessions' commands over one normalized agent log
//! (`sessionscope_core::records::normalized`), same flags, JSON and text.

use std::path::{Path, PathBuf};

use anyhow::{bail, Result};
use clap::{Args, ValueEnum};
use sessionscope_core::records::normalized::{read_transcript, Message, Transcript};
use sessionscope_core::records::pyjson::PyValue;
use sessionscope_core::records::transcript_search::{search_recent, Query};
use sessionscope_core::records::{find, Store};

#[derive(Args)]
pub struct TranscriptArgs {
    /// An agent log (.jsonl); the format is detected.
    path: PathBuf,
    /// The whole normalized transcript as JSON (schema_version 1).
    #[arg(long)]
    json: bool,
    /// Only the messages array, as JSON.
    #[arg(long)]
    messages_only: bool,
}

fn first_chars(s: &str, n: usize) -> String {
    s.chars().take(n).collect()
}

pub fn transcript_cmd(a: TranscriptArgs) -> Result<()> {
    if !a.path.is_file() {
        if a.path.is_dir() {
            crate::usage_bail!(
                "Invalid value for 'PATH': {} is a directory, expected a .jsonl file",
                a.path.display()
            );
        }
        crate::usage_bail!("Invalid value for 'PATH': {} not found", a.path.display());
    }
    let t = read_transcript(&a.path)?;
    if a.messages_only {
        let msgs = PyValue::List(t.messages.iter().map(Message::to_py).collect());
        println!("{}", msgs.dumps_pretty(false));
        return Ok(());
    }
    if a.json {
        println!("{}", t.to_py().dumps_pretty(false));
        return Ok(());
    }
    println!("Harness:      {}", t.harness);
    println!("Session ID:   {}", t.session_id);
    if let Some(v) = t.session_name.as_deref().filter(|v| !v.is_empty()) {
        println!("Session name: {v}");
    }
    if let Some(v) = t.project.as_deref().filter(|v| !v.is_empty()) {
        println!("Project:      {v}");
    }
    if let Some(v) = t.model.as_deref().filter(|v| !v.is_empty()) {
        println!("Model:        {v}");
    }
    if let Some(v) = &t.started_at {
        println!("Started at:   {v}");
    }
    if let Some(v) = &t.last_activity {
        println!("Last activity: {v}");
    }
    println!("Messages:     {}", t.messages.len());
    let caps = if t.capabilities.is_empty() {
        "none".to_string()
    } else {
        t.capabilities.join(", ")
    };
    println!("Capabilities: {caps}");
    println!(
        "Schema:       v{}",
        sessionscope_core::records::normalized::SCHEMA_VERSION
    );
    if !t.messages.is_empty() {
        println!("\nTranscript (first 5 messages):");
        for m in t.messages.iter().take(5) {
            let ts = m
                .timestamp
                .as_deref()
                .map(|t| format!("[{}] ", first_chars(t, 19)))
                .unwrap_or_default();
            let preview = first_chars(&m.content, 80).replace('\n', "\\n");
            if let Some(tool) = m.tool_name.as_deref().filter(|n| !n.is_empty()) {
                let input = m
                    .tool_input
                    .clone()
                    .filter(PyValue::truthy)
                    .unwrap_or(PyValue::Dict(Vec::new()));
                println!("  {ts}{} → {tool}({})", m.role, input.dumps());
            } else if m.role == "tool_result" {
                let err = if m.is_error { " [ERROR]" } else { "" };
                println!("  {ts}tool_result{err}: {preview}");
            } else {
                println!("  {ts}{}: {preview}", m.role);
            }
        }
    }
    Ok(())
}

#[derive(Clone, Copy, PartialEq, Eq, ValueEnum)]
enum ToolResults {
    Summary,
    Full,
    Hide,
}

#[derive(Args)]
pub struct ReplayArgs {
    /// A log path, or a record's session id (or unique prefix).
    target: String,
    /// Show the initial system messages instead of collapsing them.
    #[arg(long)]
    raw_system: bool,
    /// Show the structured input of each tool call.
    #[arg(long)]
    tool_input: bool,
    /// How to show tool results.
    #[arg(long, value_enum, ignore_case = true, default_value = "summary")]
    tool_results: ToolResults,
    /// Only the last N messages.
    #[arg(long, value_parser = clap::value_parser!(u64).range(1..))]
    tail: Option<u64>,
}

fn expand_user(target: &str) -> PathBuf {
    if let Some(rest) = target.strip_prefix("~/") {
        if let Some(home) = std::env::var_os("HOME") {
            return Path::new(&home).join(rest);
        }
    }
    PathBuf::from(target)
}

pub fn replay_cmd(store: &Store, a: ReplayArgs) -> Result<()> {
    if a.target.is_empty() {
        crate::usage_bail!("Replay target must not be empty.");
    }
    let path = expand_user(&a.target);
    let t = if path.exists() {
        read_transcript(&path)?
    } else {
        let record = find(store, &a.target)?;
        let Some(traj) = record.trajectory_path.as_deref().filter(|p| !p.is_empty()) else {
            bail!(
                "Session '{}' has no trajectory_path; cannot replay it.",
                record.session_id
            );
        };
        read_transcript(&expand_user(traj))?
    };
    print!("{}", render_replay(&t, &a));
    Ok(())
}

fn format_bytes(n: usize) -> String {
    if n >= 1024 {
        format!("{:.1} KB", n as f64 / 1024.0)
    } else {
        format!("{n} B")
    }
}

/// gptme-sessions' `render_replay`, line for line.
fn render_replay(t: &Transcript, a: &ReplayArgs) -> String {
    let mut messages: &[Message] = &t.messages;
    let mut collapsed = 0;
    let mut collapsed_bytes = 0;
    if !a.raw_system {
        for m in messages.iter().take_while(|m| m.role == "system") {
            collapsed += 1;
            collapsed_bytes += m.content.len();
        }
        messages = &messages[collapsed..];
    }
    if let Some(n) = a.tail {
        let n = (n as usize).min(messages.len());
        messages = &messages[messages.len() - n..];
    }
    let mut lines = vec![
        format!("Session:       {}", t.session_id),
        format!("Harness:       {}", t.harness),
    ];
    let mut opt = |label: &str, v: &Option<String>| {
        if let Some(v) = v.as_deref().filter(|v| !v.is_empty()) {
            lines.push(format!("{label}{v}"));
        }
    };
    opt("Session name:  ", &t.session_name);
    opt("Model:         ", &t.model);
    opt("Project:       ", &t.project);
    opt("Started at:    ", &t.started_at);
    opt("Last activity: ", &t.last_activity);
    let count = if messages.len() == t.messages.len() {
        t.messages.len().to_string()
    } else {
        format!("{} displayed ({} total)", messages.len(), t.messages.len())
    };
    lines.push(format!("Messages:      {count}"));
    lines.push(format!("Source:        {}", t.trajectory_path));
    if collapsed > 0 {
        let noun = if collapsed == 1 {
            "message"
        } else {
            "messages"
        };
        lines.push(String::new());
        lines.push(format!(
            "[system prelude collapsed: {collapsed} {noun}, {}]",
            format_bytes(collapsed_bytes)
        ));
    }
    if !messages.is_empty() {
        lines.push(String::new());
    }
    for (i, m) in messages.iter().enumerate() {
        if i > 0 {
            lines.push(String::new());
        }
        render_message(&mut lines, m, a);
    }
    let text = lines.join("\n");
    format!("{}\n", text.trim_end_matches(char::is_whitespace))
}

fn render_message(lines: &mut Vec<String>, m: &Message, a: &ReplayArgs) {
    let time = |lines: &mut Vec<String>| {
        if let Some(ts) = m.timestamp.as_deref().filter(|t| !t.is_empty()) {
            lines.push(format!("time: {ts}"));
        }
    };
    if let Some(tool) = m.tool_name.as_deref().filter(|n| !n.is_empty()) {
        lines.push(format!("TOOL CALL  {tool}"));
        time(lines);
        if a.tool_input {
            if let Some(input) = &m.tool_input {
                lines.push(input.dumps_pretty(true));
            }
        }
        return;
    }
    if m.role == "tool_result" {
        lines.push(if m.is_error {
            "TOOL RESULT  [ERROR]".into()
        } else {
            "TOOL RESULT".into()
        });
        time(lines);
        let content = m
            .tool_result
            .as_deref()
            .filter(|r| !r.is_empty())
            .unwrap_or(&m.content);
        lines.push(match a.tool_results {
            ToolResults::Hide => "[hidden]".into(),
            ToolResults::Full if content.is_empty() => "[empty]".into(),
            ToolResults::Full => content.to_string(),
            ToolResults::Summary => summarize(content),
        });
        return;
    }
    lines.push(m.role.to_uppercase());
    time(lines);
    lines.push(if m.content.is_empty() {
        "[empty]".into()
    } else {
        m.content.clone()
    });
}

/// At most 4 lines and 320 characters of a tool's output, with `...` when cut.
fn summarize(text: &str) -> String {
    const MAX_LINES: usize = 4;
    const MAX_CHARS: usize = 320;
    let stripped = text.trim_matches(char::is_whitespace);
    if stripped.is_empty() {
        return "[empty]".into();
    }
    let all: Vec<&str> = py_splitlines(stripped);
    let by_lines = all.len() > MAX_LINES;
    let mut summary = all[..all.len().min(MAX_LINES)].join("\n");
    let by_chars = summary.chars().count() > MAX_CHARS;
    if by_chars {
        summary = summary.chars().take(MAX_CHARS - 3).collect::<String>();
        summary = summary.trim_end_matches(char::is_whitespace).to_string();
    }
    if by_lines || by_chars {
        let suffix = if by_lines || summary.contains('\n') {
            "\n..."
        } else {
            "..."
        };
        summary = format!("{}{suffix}", summary.trim_end_matches(char::is_whitespace));
    }
    summary
}

/// Python's `str.splitlines()`: every line boundary it knows, without the breaks.
fn py_splitlines(s: &str) -> Vec<&str> {
    let is_break = |c: char| {
        matches!(
            c,
            '\n' | '\r'
                | '\u{b}'
                | '\u{c}'
                | '\u{1c}'
                | '\u{1d}'
                | '\u{1e}'
                | '\u{85}'
                | '\u{2028}'
                | '\u{2029}'
        )
    };
    let mut out = Vec::new();
    let mut start = 0;
    let mut iter = s.char_indices().peekable();
    while let Some((i, c)) = iter.next() {
        if is_break(c) {
            out.push(&s[start..i]);
            let mut next = i + c.len_utf8();
            if c == '\r' {
                if let Some(&(j, '\n')) = iter.peek() {
                    iter.next();
                    next = j + 1;
                }
            }
            start = next;
        }
    }
    if start < s.len() {
        out.push(&s[start..]);
    }
    out
}

#[derive(Clone, Copy, ValueEnum)]
enum SearchHarness {
    Gptme,
    #[value(name = "claude-code")]
    ClaudeCode,
    Codex,
    Copilot,
}

#[derive(Args)]
pub struct SearchArgs {
    /// Text to find (a literal, not a pattern).
    query: String,
    /// Search sessions from the last N days.
    #[arg(long, default_value_t = 30)]
    days: i64,
    /// Only this harness.
    #[arg(long, value_enum)]
    harness: Option<SearchHarness>,
    /// Most sessions to list.
    #[arg(long, default_value_t = 10)]
    max_results: usize,
    #[arg(long)]
    case_sensitive: bool,
    /// Only session ids, no excerpts.
    #[arg(long)]
    no_snippets: bool,
    #[arg(long)]
    json: bool,
    /// Only sessions that touched this file path.
    #[arg(long = "file")]
    file_path: Option<String>,
}

fn py_repr_str(s: &str) -> String {
    let v = PyValue::List(vec![PyValue::Str(s.to_string())]).py_str();
    v[1..v.len() - 1].to_string()
}

pub fn search_cmd(a: SearchArgs) -> Result<()> {
    let mut msg = format!(
        "Searching {}-day window for: {}",
        a.days,
        py_repr_str(&a.query)
    );
    if let Some(f) = &a.file_path {
        msg.push_str(&format!(
            " (filtered to sessions touching {})",
            py_repr_str(f)
        ));
    }
    eprintln!("{msg}");
    use sessionscope_core::model::Harness;
    let only = a.harness.map(|h| match h {
        SearchHarness::Gptme => Harness::Gptme,
        SearchHarness::ClaudeCode => Harness::ClaudeCode,
        SearchHarness::Codex => Harness::Codex,
        SearchHarness::Copilot => Harness::Copilot,
    });
    let q = Query::new(&a.query, a.case_sensitive, a.file_path.as_deref());
    let hits = search_recent(
        &sessionscope_core::settings::watched_roots_now(),
        only,
        a.days.max(0) as f64,
        &q,
        a.max_results,
    );
    if a.json {
        let rows: Vec<PyValue> = hits
            .iter()
            .map(|h| {
                PyValue::Dict(vec![
                    (
                        "session_id".into(),
                        PyValue::Str(h.transcript.session_id.clone()),
                    ),
                    ("harness".into(), PyValue::Str(h.transcript.harness.clone())),
                    ("path".into(), PyValue::Str(h.path.display().to_string())),
                    ("hit_count".into(), PyValue::Int(h.hit_count as i128)),
                    (
                        "started_at".into(),
                        h.transcript
                            .started_at
                            .clone()
                            .map(PyValue::Str)
                            .unwrap_or(PyValue::Null),
                    ),
                    (
                        "snippets".into(),
                        PyValue::List(
                            h.snippets
                                .iter()
                                .map(|s| {
                                    PyValue::Dict(vec![
                                        ("role".into(), PyValue::Str(s.role.clone())),
                                        ("text".into(), PyValue::Str(s.text.clone())),
                                    ])
                                })
                                .collect(),
                        ),
                    ),
                ])
            })
            .collect();
        println!("{}", PyValue::List(rows).dumps_pretty(false));
        return Ok(());
    }
    if hits.is_empty() {
        println!("No sessions found.");
        return Ok(());
    }
    println!("\nFound {} session(s):\n", hits.len());
    for h in &hits {
        println!(
            "  {}  [{}]  {}  ({} hit(s))",
            h.display_date(),
            h.transcript.harness,
            h.transcript.session_id,
            h.hit_count
        );
        if !a.no_snippets {
            for s in &h.snippets {
                let role: String = s.role.to_uppercase().chars().take(4).collect();
                println!("    [{role}] {}", s.text);
            }
        }
        println!();
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn summaries_cut_at_four_lines_or_320_characters() {
        assert_eq!(summarize("  \n "), "[empty]");
        assert_eq!(summarize("a\nb\nc\nd\ne"), "a\nb\nc\nd\n...");
        let long = "x".repeat(400);
        assert_eq!(summarize(&long), format!("{}...", "x".repeat(317)));
        assert_eq!(py_splitlines("a\r\nb\rc\n"), vec!["a", "b", "c"]);
    }
}
