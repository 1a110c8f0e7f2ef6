//! The one index scan behind `sessions`, `usage` and `search`: every harness root (or
//! one harness's), through the cache unless `--no-cache`, with a progress bar on
//! stderr when stderr is a terminal. No parsing or counting happens here.

use std::io::IsTerminal;

use chrono::{DateTime, Utc};
use sessionscope_core::agents::HarnessRoot;
use sessionscope_core::model::Harness;
use sessionscope_core::sessions::cache::IndexCache;
use sessionscope_core::sessions::index::SessionIndex;

/// Every watched root of `harness` (all harnesses when `None`), Settings' extra roots
/// included, as the app watches them.
pub fn roots(harness: Option<Harness>) -> Vec<HarnessRoot> {
    sessionscope_core::settings::watched_roots_now()
        .into_iter()
        .filter(|r| harness.is_none_or(|h| r.harness == h))
        .collect()
}

/// Scan `roots` into an index, using the cache unless `no_cache`.
pub fn scan(roots: Vec<HarnessRoot>, no_cache: bool, now: DateTime<Utc>) -> SessionIndex {
    scan_with(roots, no_cache, now, true)
}

/// [`scan`], with the progress bar only when `progress` (`ps` and `transcript` print
/// none: their output is the first thing on the terminal).
pub fn scan_with(
    roots: Vec<HarnessRoot>,
    no_cache: bool,
    now: DateTime<Utc>,
    progress: bool,
) -> SessionIndex {
    // Each command reads the index once and exits: no parser is kept for later appends.
    let mut index = SessionIndex::new(roots).read_once();
    if !no_cache {
        match IndexCache::open(&IndexCache::default_path()) {
            Ok(cache) => index = index.with_cache(cache),
            Err(e) => eprintln!("sessionscope: warning: cache unavailable, scanning cold: {e}"),
        }
    }
    let bar = progress.then(|| progress_bar("indexing")).flatten();
    if let Some(bar) = bar.clone() {
        index.set_progress(Box::new(move |p| {
            bar.set_length(p.bytes_total);
            bar.set_position(p.bytes_done);
            bar.set_message(format!("{}/{} files", p.files_done, p.files_total));
        }));
    }
    index.scan_all_quietly(now);
    if let Some(bar) = bar {
        bar.finish_and_clear();
    }
    for e in &index.read_errors {
        eprintln!("sessionscope: warning: {e}");
    }
    index
}

/// A bytes progress bar on stderr, or `None` when stderr is not a terminal.
pub fn progress_bar(what: &str) -> Option<indicatif::ProgressBar> {
    std::io::stderr().is_terminal().then(|| {
        let bar = indicatif::ProgressBar::new(0);
        let template = format!(
            "{{spinner}} {what} {{msg}} {{bar:30}} {{binary_bytes}}/{{binary_total_bytes}}"
        );
        bar.set_style(
            indicatif::ProgressStyle::with_template(&template)
                .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar()),
        );
        bar
    })
}

/// The options every index-backed command shares: which agent, since when, and
/// whether to bypass the cache.
#[derive(clap::Args)]
pub struct ScanArgs {
    /// Only this agent's sessions (claude-code, codex, gptme, gemini, opencode, copilot).
    #[arg(long, value_parser = str::parse::<Harness>)]
    pub harness: Option<sessionscope_core::model::Harness>,
    /// Only what happened since this age (90s, 30m, 2h, 7d, 2w, '2 hours ago') or day (2026-11-01).
    #[arg(long)]
    pub since: Option<String>,
    /// Read every file again instead of using the cache.
    #[arg(long)]
    pub no_cache: bool,
}

impl ScanArgs {
    /// The `--since` cut-off, parsed relative to `now`.
    pub fn since(&self, now: DateTime<Utc>) -> anyhow::Result<Option<DateTime<Utc>>> {
        self.since
            .as_deref()
            .map(sessionscope_core::since::parse_since)
            .transpose()
            .map(|since| since.flatten().map(|s| s.cutoff(now)))
            .map_err(anyhow::Error::from)
    }

    /// The index over the chosen agents' roots (cached unless `--no-cache`).
    pub fn index(&self, now: DateTime<Utc>) -> SessionIndex {
        scan(roots(self.harness), self.no_cache, now)
    }
}
