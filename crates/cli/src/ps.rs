//! `sessionscope ps`: one scan of every harness root (through the index cache, so an
//! unchanged file is not read again; `--no-cache` reads them all) plus a process scan,
//! printed; with `--host`, the snapshot each host's `serve --stdio` sends, in one table.

use std::io::Write;

use chrono::{DateTime, Utc};
use clap::Args;
use sessionscope_core::model::{Session, SessionCounts};
use sessionscope_core::paths;
use sessionscope_core::procs::ProcessScanner;
use sessionscope_core::sessions::index::SessionIndex;
use sessionscope_core::sessions::short_id::ShortIds;

use crate::hosts::{self, HostArgs};

#[derive(Args)]
pub struct PsArgs {
    /// Print JSON: {"sessions": [...], "counts": {...}}.
    #[arg(long)]
    json: bool,
    /// Show ended sessions too (by default only sessions that are not ended).
    #[arg(long, short)]
    all: bool,
    /// Read every file again instead of using the cache.
    #[arg(long)]
    no_cache: bool,
    #[command(flatten)]
    hosts: HostArgs,
}

pub fn run(args: PsArgs) -> anyhow::Result<()> {
    if args.hosts.named() {
        return run_hosts(args);
    }
    let now = Utc::now();
    // Warnings about unreadable files are printed by the scan.
    let mut index = crate::scan::scan_with(
        sessionscope_core::settings::watched_roots_now(),
        args.no_cache,
        now,
        false,
    );
    index.refresh_status(ProcessScanner::new().scan(), now);
    // Borrowed, once: the counts and the list come from the same rows.
    let all = index.rows();
    let counts = SessionCounts::of(all.iter().copied());
    let shown = |s: &Session| {
        args.all || s.status.is_active() || s.status == sessionscope_core::model::Status::Idle
    };
    if args.json {
        // Written as it is serialised (no JSON tree of 100k rows in memory first).
        #[derive(serde::Serialize)]
        struct Out<'a> {
            sessions: Vec<&'a Session>,
            counts: SessionCounts,
        }
        let out = Out {
            sessions: all.iter().copied().filter(|s| shown(s)).collect(),
            counts,
        };
        let mut w = std::io::BufWriter::new(std::io::stdout().lock());
        let written = serde_json::to_writer_pretty(&mut w, &out)
            .map_err(std::io::Error::from)
            .and_then(|_| writeln!(w))
            .and_then(|_| w.flush());
        // The process ends here: freeing 100k rows one by one would only cost time.
        drop(out);
        drop(all);
        index.close_cache();
        std::mem::forget(index);
        return match written {
            Err(e) if e.kind() != std::io::ErrorKind::BrokenPipe => Err(e.into()),
            _ => Ok(()), // a closed pipe (`| head`) just ends the output
        };
    }
    // Short ids are unique among every session `kill` or `transcript` could name,
    // not only among the rows shown.
    let all_ids: Vec<&str> = all.iter().map(|s| s.id.as_str()).collect();
    let shorts = ShortIds::new(&all_ids);
    let sessions: Vec<&Session> = all.iter().copied().filter(|s| shown(s)).collect();
    print_table(&sessions, &shorts, counts, now, &index);
    // As above: the process ends here.
    drop(sessions);
    drop(all);
    index.close_cache();
    std::mem::forget(index);
    Ok(())
}

/// One machine's rows as `ps` shows them.
struct HostRows {
    host: String,
    sessions: Vec<Session>,
    shorts: ShortIds,
    counts: SessionCounts,
}

/// `ps --host H... | --all-hosts`: every machine's rows in one table with a Host column.
fn run_hosts(args: PsArgs) -> anyhow::Result<()> {
    let now = Utc::now();
    let machines = args.hosts.machines()?;
    let shown = |s: &Session| {
        args.all || s.status.is_active() || s.status == sessionscope_core::model::Status::Idle
    };
    let keep = |host: &str, all: Vec<Session>, counts| {
        let ids: Vec<String> = all.iter().map(|s| s.id.clone()).collect();
        HostRows {
            host: host.to_string(),
            shorts: ShortIds::new(&ids),
            sessions: all.into_iter().filter(|s| shown(s)).collect(),
            counts,
        }
    };
    let mut tables = Vec::new();
    let mut failed = false;
    if machines.contains(&sessionscope_core::remote::hosts::Machine::Local) {
        let mut index = crate::scan::scan_with(
            sessionscope_core::settings::watched_roots_now(),
            args.no_cache,
            now,
            false,
        );
        index.refresh_status(ProcessScanner::new().scan(), now);
        tables.push(keep("local", index.sessions(), index.counts()));
    }
    for (host, result) in hosts::each_remote(&machines, |c| c.snapshot()) {
        match result {
            Ok(snap) => tables.push(keep(&host, snap.sessions, snap.counts)),
            Err(e) => {
                hosts::warn(&e);
                failed = true;
            }
        }
    }
    let mut c = SessionCounts::default();
    for t in &tables {
        let n = t.counts;
        c.total += n.total;
        c.active += n.active;
        c.idle += n.idle;
        c.generating += n.generating;
        c.running_tool += n.running_tool;
        c.waiting += n.waiting;
        c.ended += n.ended;
    }
    if args.json {
        let sessions: Vec<serde_json::Value> = tables
            .iter()
            .flat_map(|t| t.sessions.iter().map(|s| hosts::with_host(s, &t.host)))
            .collect();
        let out = serde_json::json!({ "sessions": sessions, "counts": c });
        println!("{}", serde_json::to_string_pretty(&out)?);
    } else {
        println!(
            "{} sessions on {} hosts: {} active ({} generating, {} running tool, {} waiting), {} idle, {} ended",
            c.total, tables.len(), c.active, c.generating, c.running_tool, c.waiting, c.idle, c.ended
        );
        println!(
            "{:<16} {:<10} {:<12} {:<18} {:<20} {:>5} {:<18} {:>8}  TITLE",
            "HOST", "ID", "HARNESS", "STATUS", "MODEL", "MSGS", "PROJECT", "ELAPSED"
        );
        for t in &tables {
            for s in &t.sessions {
                println!("{:<16} {}", clip(&t.host, 16), row(s, &t.shorts, now));
            }
        }
    }
    if failed {
        std::process::exit(crate::exit::ERROR);
    }
    Ok(())
}

/// A row of the table, from the ID column on, written straight to where it goes (no
/// string per row: `ps --all` writes 100k of them).
struct Row<'a> {
    s: &'a Session,
    shorts: &'a ShortIds,
    now: DateTime<Utc>,
}

impl std::fmt::Display for Row<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let s = self.s;
        let elapsed = s
            .status_since
            .map(|t| human_duration(self.now.signed_duration_since(t)))
            .unwrap_or_default();
        let status = format!(
            "{:?}{}{}",
            s.status,
            if s.gone { " (gone)" } else { "" },
            if s.ambiguous { " (ambiguous)" } else { "" }
        );
        write!(
            f,
            "{:<10} {:<12} {:<18} {:<20} {:>5} {:<18} {:>8}  {}",
            self.shorts.get(&s.id),
            s.harness.as_str(),
            status,
            clip(s.model.as_deref().unwrap_or("-"), 20),
            s.message_count(),
            clip(s.project.as_deref().unwrap_or("-"), 18),
            elapsed,
            title_cell(s.title.as_deref())
        )
    }
}

fn row<'a>(s: &'a Session, shorts: &'a ShortIds, now: DateTime<Utc>) -> Row<'a> {
    Row { s, shorts, now }
}

/// A title as the last cell of a table row (`ps`, `sessions`): it is what an agent (or
/// a remote host) wrote, so no escape or control character reaches the terminal, and
/// a line break or tab in it becomes a space rather than splitting the row.
pub(crate) fn title_cell(title: Option<&str>) -> std::borrow::Cow<'_, str> {
    let title = title.unwrap_or("");
    // Most titles hold nothing to strip: borrowed as they are.
    if !title.contains(|c: char| c.is_control() || c == '\u{7f}') {
        return title.into();
    }
    let clean = sessionscope_core::agents::transcript::text::strip_controls(title);
    clean.replace(['\n', '\t'], " ").into()
}

fn print_table(
    sessions: &[&Session],
    shorts: &ShortIds,
    c: SessionCounts,
    now: DateTime<Utc>,
    index: &SessionIndex,
) {
    println!(
        "{} sessions: {} active ({} generating, {} running tool, {} waiting), {} idle, {} ended",
        c.total, c.active, c.generating, c.running_tool, c.waiting, c.idle, c.ended
    );
    if sessions.is_empty() && c.total > 0 {
        let roots: Vec<String> = index
            .roots()
            .iter()
            .map(|r| r.path.display().to_string())
            .collect();
        println!(
            "No live sessions (use --all for ended ones). Searched: {}",
            roots.join(", ")
        );
        return;
    }
    if sessions.is_empty() {
        // First run, or agents elsewhere: say where we looked and how to look elsewhere.
        println!("No agent sessions found. Searched:");
        let searched = paths::searched_roots(index.roots());
        let mut vars: Vec<&str> = Vec::new();
        for r in &searched {
            let state = if r.exists { "" } else { "  (does not exist)" };
            println!("  {:<12} {}{state}", r.harness.as_str(), r.path);
            if !vars.contains(&r.env_var.as_str()) {
                vars.push(&r.env_var);
            }
        }
        println!(
            "Agents that keep their files elsewhere: set their variable ({}).",
            vars.join(", ")
        );
        return;
    }
    println!(
        "{:<10} {:<12} {:<18} {:<20} {:>5} {:<18} {:>8}  TITLE",
        "ID", "HARNESS", "STATUS", "MODEL", "MSGS", "PROJECT", "ELAPSED"
    );
    // Buffered: stdout alone writes (and flushes) every line, 100k writes for 100k rows.
    let mut out = std::io::BufWriter::new(std::io::stdout().lock());
    for s in sessions {
        if writeln!(out, "{}", row(s, shorts, now)).is_err() {
            return; // a closed pipe (`| head`) just ends the output
        }
    }
    let _ = out.flush();
}

pub(crate) fn clip(s: &str, n: usize) -> std::borrow::Cow<'_, str> {
    if s.len() <= n || s.chars().count() <= n {
        return s.into();
    }
    let tail: String = s
        .chars()
        .rev()
        .take(n - 1)
        .collect::<Vec<_>>()
        .into_iter()
        .rev()
        .collect();
    format!("…{tail}").into()
}

pub(crate) fn human_duration(d: chrono::Duration) -> String {
    let s = d.num_seconds().max(0);
    match s {
        0..=59 => format!("{s}s"),
        60..=3599 => format!("{}m{:02}s", s / 60, s % 60),
        3600..=86399 => format!("{}h{:02}m", s / 3600, (s % 3600) / 60),
        _ => format!("{}d{:02}h", s / 86400, (s % 86400) / 3600),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_title_cell_lets_no_escape_or_line_break_through() {
        let cell = title_cell(Some(
            "fix \u{1b}[2J\u{1b}]0;pwned\u{7}the\tbug\r\nnow\u{9b}31m",
        ));
        assert!(!cell.contains(|c: char| c.is_control()), "{cell:?}");
        assert!(
            cell.starts_with("fix ") && cell.contains("the bug now"),
            "{cell:?}"
        );
        assert_eq!(title_cell(Some("plain ✅ title")), "plain ✅ title");
        assert_eq!(title_cell(None), "");
    }
}
