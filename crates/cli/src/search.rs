//! `sessionscope search QUERY`: bring the full-text index up to date (progress bar on
//! a terminal), then print the newest matching pieces with highlighted snippets.
//! Transcripts the index could not read (too large to read whole) are named on stderr.

use std::sync::atomic::AtomicBool;

use chrono::Utc;
use clap::Args;
use sessionscope_core::sessions::search::{SearchFilter, SearchIndex};
use sessionscope_core::since::parse_since;

use crate::scan;

#[derive(Args)]
pub struct SearchArgs {
    /// Words to find (all of them); "a quoted phrase" matches as a phrase.
    #[arg(required = true)]
    query: Vec<String>,
    /// Only this agent's transcripts (claude-code, codex, gptme).
    #[arg(long, value_parser = str::parse::<sessionscope_core::model::Harness>)]
    harness: Option<sessionscope_core::model::Harness>,
    /// Only text written since this age (90s, 30m, 2h, 7d, 2w) or date (2026-11-01).
    #[arg(long)]
    since: Option<String>,
    /// At most this many results.
    #[arg(long, default_value_t = 50)]
    limit: usize,
    /// Print a JSON array of hits.
    #[arg(long)]
    json: bool,
}

pub fn run(args: SearchArgs) -> anyhow::Result<()> {
    let since = args
        .since
        .as_deref()
        .map(parse_since)
        .transpose()?
        .flatten()
        .map(|s| s.cutoff(Utc::now()));
    let mut index = SearchIndex::open(&SearchIndex::default_path())?;
    let bar = scan::progress_bar("indexing text");
    let report = |p: sessionscope_core::model::ScanProgress| {
        if let Some(bar) = &bar {
            bar.set_length(p.bytes_total);
            bar.set_position(p.bytes_done);
            bar.set_message(format!("{}/{} files", p.files_done, p.files_total));
        }
    };
    let stats = index.update(&scan::roots(None), &report, &AtomicBool::new(false))?;
    if let Some(bar) = bar {
        bar.finish_and_clear();
    }
    // Not searched, and said so (on stderr, so `--json` stays one array of hits).
    for skipped in &stats.skipped {
        eprintln!(
            "sessionscope: not searched: {}: {}",
            skipped.path.display(),
            skipped.reason
        );
    }
    let filter = SearchFilter {
        harness: args.harness,
        since,
        limit: args.limit,
    };
    let hits = index
        .search(&args.query.join(" "), &filter)
        .map_err(anyhow::Error::msg)?;
    if args.json {
        println!("{}", serde_json::to_string_pretty(&hits)?);
        return Ok(());
    }
    for h in &hits {
        println!(
            "{}  {:<11} {:<10} {:<9} {}",
            h.timestamp
                .map(|t| t
                    .with_timezone(&chrono::Local)
                    .format("%Y-%m-%d %H:%M")
                    .to_string())
                .unwrap_or_else(|| "-".repeat(16)),
            h.harness.as_str(),
            h.session_id.chars().take(10).collect::<String>(),
            h.role.as_str(),
            h.snippet.split_whitespace().collect::<Vec<_>>().join(" ")
        );
    }
    if hits.is_empty() {
        println!("No match.");
    }
    Ok(())
}
