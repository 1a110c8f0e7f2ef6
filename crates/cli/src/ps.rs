//! `sessionscope ps`: one scan of every harness root plus a process scan, printed.

use chrono::{DateTime, Utc};
use clap::Args;
use sessionscope_core::model::{Session, SessionCounts};
use sessionscope_core::paths;
use sessionscope_core::procs::ProcessScanner;
use sessionscope_core::sessions::index::SessionIndex;
use sessionscope_core::sessions::short_id::ShortIds;

#[derive(Args)]
pub struct PsArgs {
    /// Print JSON: {"sessions": [...], "counts": {...}}.
    #[arg(long)]
    json: bool,
    /// Show ended sessions too (by default only sessions that are not ended).
    #[arg(long, short)]
    all: bool,
}

pub fn run(args: PsArgs) -> anyhow::Result<()> {
    let now = Utc::now();
    let mut index = SessionIndex::new(paths::harness_roots());
    index.scan_all(now);
    index.refresh_status(ProcessScanner::new().scan(), now);
    let counts = index.counts();
    // Short ids are unique among every session `kill` or `transcript` could name,
    // not only among the rows shown.
    let all_ids: Vec<String> = index.sessions().into_iter().map(|s| s.id).collect();
    let shorts = ShortIds::new(&all_ids);
    let sessions: Vec<Session> = index
        .sessions()
        .into_iter()
        .filter(|s| {
            args.all || s.status.is_active() || s.status == sessionscope_core::model::Status::Idle
        })
        .collect();
    for e in &index.read_errors {
        eprintln!("sessionscope: warning: {e}");
    }
    if args.json {
        let out = serde_json::json!({ "sessions": sessions, "counts": counts });
        println!("{}", serde_json::to_string_pretty(&out)?);
        return Ok(());
    }
    print_table(&sessions, &shorts, counts, now, &index);
    Ok(())
}

fn print_table(
    sessions: &[Session],
    shorts: &ShortIds,
    c: SessionCounts,
    now: DateTime<Utc>,
    index: &SessionIndex,
) {
    println!(
        "{} sessions: {} active ({} generating, {} running tool, {} waiting), {} idle, {} ended",
        c.total, c.active, c.generating, c.running_tool, c.waiting, c.idle, c.ended
    );
    if sessions.is_empty() {
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
    println!(
        "{:<10} {:<12} {:<18} {:<20} {:>5} {:<18} {:>8}  TITLE",
        "ID", "HARNESS", "STATUS", "MODEL", "MSGS", "PROJECT", "ELAPSED"
    );
    for s in sessions {
        let elapsed = s
            .status_since
            .map(|t| human_duration(now.signed_duration_since(t)))
            .unwrap_or_default();
        println!(
            "{:<10} {:<12} {:<18} {:<20} {:>5} {:<18} {:>8}  {}",
            shorts.get(&s.id),
            s.harness.as_str(),
            format!(
                "{:?}{}{}",
                s.status,
                if s.gone { " (gone)" } else { "" },
                if s.ambiguous { " (ambiguous)" } else { "" }
            ),
            clip(s.model.as_deref().unwrap_or("-"), 20),
            s.message_count(),
            clip(s.project.as_deref().unwrap_or("-"), 18),
            elapsed,
            s.title.as_deref().unwrap_or("")
        );
    }
}

pub(crate) fn clip(s: &str, n: usize) -> String {
    if s.chars().count() <= n {
        return s.to_string();
    }
    let tail: String = s
        .chars()
        .rev()
        .take(n - 1)
        .collect::<Vec<_>>()
        .into_iter()
        .rev()
        .collect();
    format!("…{tail}")
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
