//! `sessionscope records …`: a drop-in for the `gptme-sessions` command (same
//! subcommands, flags, defaults and `--json` shapes), over the same store.
//! `alias gptme-sessions='sessionscope records'` works.
//!
//! Each subcommand parses its flags, calls `sessionscope_core::records` /
//! `sessionscope_core::analytics`, and prints; the human layout lives in
//! [`format`]. No record logic lives here.

mod auto_tag;
mod blame;
mod classify;
mod cost;
mod format;
mod hosts;
mod judge_journal;
mod maintenance;
mod signals;
mod transcripts;

use std::collections::HashSet;
use std::io::BufRead;
use std::path::PathBuf;

use anyhow::{bail, Context, Result};
use chrono::Utc;
use clap::{Args, Subcommand, ValueEnum};
use sessionscope_core::analytics;
use sessionscope_core::records::annotate::{self, Annotation};
use sessionscope_core::records::discover::{self, Found};
use sessionscope_core::records::judge::{self, JudgeApi, JudgeConfig};
use sessionscope_core::records::post_session::{self, PostSession};
use sessionscope_core::records::session_day;
use sessionscope_core::records::{self, find, query, Record, RecordFilter, Store};
use sessionscope_core::since::{parse_since, Since};

use crate::exit::UsageError;

#[derive(Args)]
pub struct RecordsArgs {
    /// Directory of session-records.jsonl (default: $GPTME_SESSIONS_DIR, else
    /// ~/.local/share/gptme-sessions).
    #[arg(long)]
    sessions_dir: Option<PathBuf>,
    #[command(subcommand)]
    command: Option<RecordsCommand>,
}

#[derive(Subcommand)]
enum RecordsCommand {
    /// Summary statistics (default window: last 30 days).
    Stats(Box<FilterArgs>),
    /// List records matching filters.
    Query(Box<QueryArgs>),
    /// One record by id or unique id prefix.
    Show(ShowArgs),
    /// Run analytics: durations, NOOP rate, short runs, daily counts, model × outcome.
    Runs(RunsArgs),
    /// List agent transcripts on disk (the store is not changed).
    Discover(Box<DiscoverArgs>),
    /// Import discovered transcripts into the store (matched by trajectory path).
    Sync(Box<SyncArgs>),
    /// Amend fields of one record.
    Annotate(Box<AnnotateArgs>),
    /// Rate sessions' goal alignment with an LLM (opt-in; needs an API key).
    Judge(Box<JudgeArgs>),
    /// Record a finished agent run: determine its outcome and append it.
    PostSession(Box<PostSessionArgs>),
    /// Append a record (deprecated: use sync, post-session or annotate).
    Append(Box<AppendArgs>),
    /// Merge duplicate records (same harness, overlapping times) into the richest one.
    Dedup(maintenance::DedupArgs),
    /// Fill `grades` from the legacy scalar grade fields.
    RepairGrades(maintenance::RepairGradesArgs),
    /// What sessions cost (prices from ~/.config/gptme/harness-quota.toml).
    Cost(cost::CostArgs),
    /// Productivity signals and grade of one trajectory (gptme, Claude Code, Codex,
    /// Copilot, Grok).
    Signals(Box<signals::SignalsArgs>),
    /// One agent log as a normalized transcript (gptme-sessions schema v1).
    Transcript(transcripts::TranscriptArgs),
    /// Replay a finished session in the terminal (a log path or a record id).
    Replay(transcripts::ReplayArgs),
    /// Find the sessions whose transcripts mention a string.
    Search(transcripts::SearchArgs),
    /// Classify autonomous sessions by kind of work, from their journal entries.
    Classify(Box<classify::ClassifyArgs>),
    /// Category breakdown, trend and diversity alerts of recent journal entries.
    ClassifyStats(classify::ClassifyStatsArgs),
    /// Assign categories to records from their trajectories' signals (or a mapping file).
    AutoTag(auto_tag::AutoTagArgs),
    /// Which agent session wrote a file, one line of it, or a GitHub PR/issue (commits ×
    /// session windows).
    Blame(blame::BlameArgs),
}

#[derive(Args, Clone, Default)]
struct FilterArgs {
    /// Model, normalised (opus) or raw (claude-opus-4-6).
    #[arg(long)]
    model: Option<String>,
    #[arg(long)]
    run_type: Option<String>,
    #[arg(long)]
    category: Option<String>,
    #[arg(long)]
    harness: Option<String>,
    #[arg(long)]
    outcome: Option<String>,
    /// Substring of the project path.
    #[arg(long)]
    project: Option<String>,
    /// Window: 90s, 30m, 2h, 7d, 2w, '2 hours ago', a day (2026-11-01), or all.
    #[arg(long)]
    since: Option<String>,
    #[arg(long)]
    json: bool,
    #[command(flatten)]
    hosts: crate::hosts::HostArgs,
}

impl FilterArgs {
    fn filter(&self, since: Option<Since>) -> RecordFilter {
        RecordFilter {
            model: self.model.clone(),
            run_type: self.run_type.clone(),
            category: self.category.clone(),
            harness: self.harness.clone(),
            outcome: self.outcome.clone(),
            project: self.project.clone(),
            since,
        }
    }

    /// The same filters as the protocol's query, `since` as given (`None`: all).
    fn query(&self, since: Option<&str>) -> sessionscope_core::views::RecordQuery {
        sessionscope_core::views::RecordQuery {
            model: self.model.clone(),
            harness: self.harness.clone(),
            outcome: self.outcome.clone(),
            category: self.category.clone(),
            run_type: self.run_type.clone(),
            project: self.project.clone(),
            since: since.map(str::to_string),
        }
    }
}

#[derive(Args)]
struct QueryArgs {
    #[command(flatten)]
    filters: FilterArgs,
    /// Print summary statistics of the matching records instead of the list.
    #[arg(long)]
    stats: bool,
}

#[derive(Args)]
struct ShowArgs {
    /// Full session id or a unique prefix.
    session_id: String,
    #[arg(long)]
    json: bool,
    #[command(flatten)]
    hosts: crate::hosts::HostArgs,
}

#[derive(Args)]
struct RunsArgs {
    #[arg(long, default_value = "14d")]
    since: String,
    #[arg(long)]
    json: bool,
    #[command(flatten)]
    hosts: crate::hosts::HostArgs,
}

#[derive(Args)]
struct DiscoverArgs {
    /// Only this harness (claude-code, codex, gptme, gemini, opencode, copilot-cli).
    #[arg(long)]
    harness: Option<String>,
    #[arg(long, default_value = "7d")]
    since: String,
    /// Read each transcript: outcome, tool calls, commits, errors.
    #[arg(long)]
    signals: bool,
    /// Only transcripts not yet in the store.
    #[arg(long)]
    unsynced: bool,
    #[arg(long)]
    json: bool,
}

#[derive(Args)]
struct SyncArgs {
    #[arg(long)]
    harness: Option<String>,
    #[arg(long, default_value = "14d")]
    since: String,
    /// Fill outcome, duration, start/end time, tokens and deliverables from each
    /// transcript, and update records whose outcome is still unknown.
    #[arg(long)]
    signals: bool,
    /// Show what would be imported or updated without writing.
    #[arg(long)]
    dry_run: bool,
    /// Only correct existing records' timestamps from their transcripts (nothing is
    /// imported).
    #[arg(long)]
    fix_timestamps: bool,
}

#[derive(Clone, Copy, ValueEnum)]
enum OutcomeArg {
    Productive,
    Noop,
    Failed,
    Unknown,
    #[value(name = "violated_policy")]
    ViolatedPolicy,
}

impl OutcomeArg {
    fn as_str(self) -> &'static str {
        match self {
            OutcomeArg::Productive => "productive",
            OutcomeArg::Noop => "noop",
            OutcomeArg::Failed => "failed",
            OutcomeArg::Unknown => "unknown",
            OutcomeArg::ViolatedPolicy => "violated_policy",
        }
    }
}

#[derive(Clone, Copy, ValueEnum)]
enum TriggerArg {
    Timer,
    Dispatch,
    Manual,
    Spawn,
}

impl TriggerArg {
    fn as_str(self) -> &'static str {
        match self {
            TriggerArg::Timer => "timer",
            TriggerArg::Dispatch => "dispatch",
            TriggerArg::Manual => "manual",
            TriggerArg::Spawn => "spawn",
        }
    }
}

#[derive(Args)]
struct AnnotateArgs {
    /// Full session id or a unique prefix.
    session_id: String,
    #[arg(long)]
    model: Option<String>,
    #[arg(long)]
    harness: Option<String>,
    #[arg(long)]
    run_type: Option<String>,
    #[arg(long)]
    category: Option<String>,
    #[arg(long, value_enum)]
    outcome: Option<OutcomeArg>,
    /// Duration in seconds.
    #[arg(long)]
    duration: Option<u32>,
    #[arg(long)]
    journal_path: Option<String>,
    #[arg(long)]
    selector_mode: Option<String>,
    #[arg(long, value_enum)]
    trigger: Option<TriggerArg>,
    #[arg(long)]
    token_count: Option<u64>,
    #[arg(long)]
    recommended_category: Option<String>,
    /// Add a deliverable (commit SHA, PR URL); repeatable.
    #[arg(long)]
    add_deliverable: Vec<String>,
    /// Print the updated record as JSON.
    #[arg(long)]
    json: bool,
}

#[derive(Args)]
struct JudgeArgs {
    /// Score autonomous-session journal entries (DIR/YYYY-MM-DD/autonomous-session-*.md)
    /// like gptme-sessions; the default when ./journal exists. Without either, the
    /// newest store records are scored.
    #[arg(long)]
    journal_dir: Option<PathBuf>,
    /// Score the last N entries or records (by timestamp).
    #[arg(long, default_value_t = 20, allow_negative_numbers = true)]
    last: i64,
    /// The agent's goals, in priority order.
    #[arg(long)]
    goals: Option<String>,
    /// Judge model (default: claude-haiku-4-5-20251001 for Anthropic, gpt-4o-mini
    /// for OpenAI-compatible endpoints; env SESSIONSCOPE_JUDGE_MODEL).
    #[arg(long = "model")]
    judge_model: Option<String>,
    /// Wire format: anthropic or openai (env SESSIONSCOPE_JUDGE_API).
    #[arg(long)]
    api: Option<String>,
    /// Endpoint base URL (env SESSIONSCOPE_JUDGE_BASE_URL).
    #[arg(long)]
    base_url: Option<String>,
    /// Name of the environment variable holding the API key (env
    /// SESSIONSCOPE_JUDGE_API_KEY_ENV; default ANTHROPIC_API_KEY / OPENAI_API_KEY).
    #[arg(long)]
    api_key_env: Option<String>,
    /// Seconds to wait for each answer.
    #[arg(long, default_value_t = 60)]
    timeout: u64,
    /// Write scores back to the store.
    #[arg(long)]
    update_store: bool,
    /// Show what would be sent, without calling the model.
    #[arg(long)]
    dry_run: bool,
    #[arg(long)]
    json: bool,
}

/// The harnesses `post-session` takes, as gptme-sessions' `click.Choice`.
const POST_SESSION_HARNESSES: [&str; 4] = ["gptme", "claude-code", "codex", "copilot-cli"];

#[derive(Args)]
struct PostSessionArgs {
    /// Harness that ran the session: gptme, claude-code, codex or copilot-cli (the
    /// four gptme-sessions records; any other is a usage error there too).
    #[arg(long, value_parser = POST_SESSION_HARNESSES)]
    harness: String,
    #[arg(long, default_value = "unknown")]
    model: String,
    #[arg(long, default_value = "unknown")]
    run_type: String,
    #[arg(long)]
    trigger: Option<String>,
    #[arg(long)]
    category: Option<String>,
    #[arg(long)]
    recommended_category: Option<String>,
    #[arg(long)]
    selector_mode: Option<String>,
    /// Exit code of the agent (non-zero except 124 = failed).
    #[arg(long, default_value_t = 0, allow_negative_numbers = true)]
    exit_code: i64,
    /// Duration in seconds.
    #[arg(long, default_value_t = 0)]
    duration: i64,
    /// The agent's transcript, read for signals.
    #[arg(long)]
    trajectory: Option<PathBuf>,
    #[arg(long)]
    start_commit: Option<String>,
    #[arg(long)]
    end_commit: Option<String>,
    /// Deliverables the caller observed (commit SHAs, PR URLs); repeatable.
    #[arg(long)]
    deliverables: Vec<String>,
    #[arg(long)]
    journal_path: Option<String>,
    #[arg(long)]
    session_id: Option<String>,
    #[arg(long, value_parser = ["standard", "extended", "large", "massive"])]
    context_tier: Option<String>,
    #[arg(long, value_parser = ["control", "treatment"])]
    ab_group: Option<String>,
    #[arg(long)]
    tier_version: Option<String>,
    #[arg(long)]
    json: bool,
}

#[derive(Args)]
struct AppendArgs {
    #[arg(long, default_value = "unknown")]
    harness: String,
    #[arg(long, default_value = "unknown")]
    model: String,
    #[arg(long, default_value = "autonomous")]
    run_type: String,
    #[arg(long)]
    category: Option<String>,
    #[arg(long, default_value = "unknown")]
    outcome: String,
    #[arg(long, default_value_t = 0)]
    duration: i64,
    #[arg(long)]
    selector_mode: Option<String>,
    #[arg(long)]
    journal_path: Option<String>,
    /// Commit SHAs, PR URLs; repeatable.
    #[arg(long)]
    deliverables: Vec<String>,
    /// Append every JSON object line of FILE ('-' for stdin) as it is, each with
    /// its own locked append (bulk import; the other flags are ignored).
    #[arg(long, value_name = "FILE")]
    from_jsonl: Option<PathBuf>,
}

pub fn run(args: RecordsArgs) -> Result<()> {
    let store = Store::locate(args.sessions_dir.as_deref());
    match args.command {
        None => overview(&store),
        Some(RecordsCommand::Stats(a)) => stats(&store, *a),
        Some(RecordsCommand::Query(a)) => query_cmd(&store, *a),
        Some(RecordsCommand::Show(a)) => show(&store, a),
        Some(RecordsCommand::Runs(a)) => runs(&store, a),
        Some(RecordsCommand::Discover(a)) => discover_cmd(&store, *a),
        Some(RecordsCommand::Sync(a)) => sync(&store, *a),
        Some(RecordsCommand::Annotate(a)) => annotate(&store, *a),
        Some(RecordsCommand::Judge(a)) => judge_cmd(&store, *a),
        Some(RecordsCommand::PostSession(a)) => post_session_cmd(&store, *a),
        Some(RecordsCommand::Append(a)) => append(&store, *a),
        Some(RecordsCommand::Dedup(a)) => maintenance::dedup_cmd(&store, a),
        Some(RecordsCommand::RepairGrades(a)) => maintenance::repair_grades_cmd(&store, a),
        Some(RecordsCommand::Cost(a)) => cost::run(&store, a),
        Some(RecordsCommand::Signals(a)) => signals::signals_cmd(*a),
        Some(RecordsCommand::Transcript(a)) => transcripts::transcript_cmd(a),
        Some(RecordsCommand::Replay(a)) => transcripts::replay_cmd(&store, a),
        Some(RecordsCommand::Search(a)) => transcripts::search_cmd(a),
        Some(RecordsCommand::Classify(a)) => classify::classify_cmd(&store, *a),
        Some(RecordsCommand::ClassifyStats(a)) => classify::classify_stats_cmd(a),
        Some(RecordsCommand::Blame(a)) => blame::blame_cmd(&store, a),
        Some(RecordsCommand::AutoTag(a)) => auto_tag::auto_tag_cmd(&store, a),
    }
}

fn since_arg(since: &str) -> Result<Option<Since>> {
    // A `--since` that does not parse is a bad value (gptme-sessions: BadParameter).
    parse_since(since).map_err(|e| UsageError(e.to_string()).into())
}

/// Exit 1 after the output when a host could not be read (said on stderr already).
fn exit_if(host_failed: bool) -> Result<()> {
    if host_failed {
        std::process::exit(crate::exit::ERROR);
    }
    Ok(())
}

fn print_json(v: &impl serde::Serialize) -> Result<()> {
    println!("{}", serde_json::to_string_pretty(v)?);
    Ok(())
}

/// Bare `records`: the last 30 days, or what is on disk when the store is empty.
fn overview(store: &Store) -> Result<()> {
    let now = Utc::now();
    let filter = RecordFilter {
        since: Some(Since::days(30.0)),
        ..RecordFilter::default()
    };
    let s = analytics::store_stats(store, &filter, now)?;
    if s.total > 0 {
        println!("Last 30 days (use 'sessionscope records stats --since all' for all-time):\n");
        print!("{}", format::stats(&s));
        let records = store.load()?.records;
        // gptme-sessions' wording, with this tool's name.
        match discover::count_unsynced(&sessionscope_core::settings::watched_roots_now(), &records, 14.0, now) {
            0 => println!("\nTip: Run 'sessionscope records sync' to keep the store up to date."),
            n => println!("\nTip: {n} new session(s) available in the last 14 days. Run 'sessionscope records sync' to import."),
        }
        return Ok(());
    }
    if records::count(store)? > 0 {
        println!("No records in the last 30 days. Use 'sessionscope records stats --since all' for all-time data.");
        return Ok(());
    }
    discovery_summary(30.0)
}

fn discovery_summary(days: f64) -> Result<()> {
    let found = discover::find_transcripts(
        &sessionscope_core::settings::watched_roots_now(),
        None,
        Some(Since::days(days)),
        Utc::now(),
    );
    println!("No session records found in store.");
    if found.is_empty() {
        println!("No sessions discovered in the last {days} days either.\nTo record sessions, run 'sessionscope records post-session' after each agent run.");
        return Ok(());
    }
    let mut counts: std::collections::BTreeMap<&str, usize> = Default::default();
    for f in &found {
        *counts
            .entry(discover::record_harness_name(f.harness))
            .or_default() += 1;
    }
    println!(
        "Discovered {} session(s) in the last {days} days:\n",
        found.len()
    );
    for (h, n) in counts {
        println!("  {h:<14}  {n} session(s)");
    }
    println!("\nRun 'sessionscope records sync' to import sessions into the store for analytics.\nRun 'sessionscope records discover' to list session paths.");
    Ok(())
}

fn stats(store: &Store, a: FilterArgs) -> Result<()> {
    // Like gptme-sessions: no --since means the last 30 days.
    let since = match a.since.as_deref() {
        Some(s) if !s.is_empty() => since_arg(s)?,
        _ => Some(Since::days(30.0)),
    };
    if a.hosts.named() {
        let window = match a.since.as_deref() {
            Some(s) if !s.is_empty() => s,
            _ => "30d",
        };
        let (all, failed) = hosts::fetch(&a.hosts, store, &a.query(Some(window)))?;
        hosts::stats(&all, a.json, a.since.is_none())?;
        return exit_if(failed);
    }
    let s = analytics::store_stats(store, &a.filter(since), Utc::now())?;
    if a.json {
        return print_json(&s);
    }
    if s.total == 0 {
        if a.filter(None).has_field_filters() || a.since.is_some() {
            println!("No records match your filters.");
        } else if records::count(store)? > 0 {
            println!("No records in the last 30 days. Use --since all for all-time data.");
        } else {
            // The discovery summary already recommends `sync`.
            return discovery_summary(30.0);
        }
    } else {
        if a.since.is_none() {
            println!("Last 30 days (use --since all for all-time):\n");
        }
        print!("{}", format::stats(&s));
    }
    unsynced_hint(store, since.map(|s| s.days_before(Utc::now())))
}

/// gptme-sessions' hint after `stats`, matched or not: transcripts of the window (whole
/// days, 30 for `--since all`) that `sync` would import.
fn unsynced_hint(store: &Store, since_days: Option<f64>) -> Result<()> {
    let days = since_days
        .map(f64::ceil)
        .filter(|d| *d > 0.0)
        .unwrap_or(30.0);
    let records = store.load()?.records;
    let n = discover::count_unsynced(
        &sessionscope_core::settings::watched_roots_now(),
        &records,
        days,
        Utc::now(),
    );
    if n > 0 {
        println!(
            "\nHint: {n} session(s) discovered but not synced. Run 'sessionscope records sync' to import."
        );
    }
    Ok(())
}

fn query_cmd(store: &Store, a: QueryArgs) -> Result<()> {
    let since = match a.filters.since.as_deref() {
        Some(s) => since_arg(s)?,
        None => None,
    };
    let filter = a.filters.filter(since);
    let now = Utc::now();
    if a.filters.hosts.named() {
        let query = a.filters.query(a.filters.since.as_deref());
        let (all, failed) = hosts::fetch(&a.filters.hosts, store, &query)?;
        if a.stats {
            hosts::stats(&all, a.filters.json, false)?;
        } else {
            hosts::list(&all, a.filters.json)?;
        }
        return exit_if(failed);
    }
    if a.stats {
        let s = analytics::store_stats(store, &filter, now)?;
        if a.filters.json {
            return print_json(&s);
        }
        print!("{}", format::stats(&s));
        return Ok(());
    }
    let records = query(store, &filter, now)?;
    if a.filters.json {
        return print_json(&records);
    }
    for r in &records {
        println!("{}", format::query_line(r));
    }
    println!("\n{} records", records.len());
    Ok(())
}

fn show(store: &Store, a: ShowArgs) -> Result<()> {
    if a.hosts.named() {
        let failed = hosts::show(&a.hosts, store, &a.session_id, a.json)?;
        return exit_if(failed);
    }
    let record = find(store, &a.session_id)?;
    if a.json {
        return print_json(&record);
    }
    print!("{}", format::record_detail(&record));
    Ok(())
}

fn runs(store: &Store, a: RunsArgs) -> Result<()> {
    let since = since_arg(&a.since)?;
    let now = Utc::now();
    if a.hosts.named() {
        let query = sessionscope_core::views::RecordQuery {
            since: Some(a.since.clone()),
            ..Default::default()
        };
        let (all, failed) = hosts::fetch(&a.hosts, store, &query)?;
        hosts::runs(&all, a.json, since.map(|s| s.days_before(now)))?;
        return exit_if(failed);
    }
    let r = analytics::store_runs(store, since, now)?;
    if a.json {
        return print_json(&r);
    }
    if r.total == 0 {
        if records::count(store)? == 0 {
            return discovery_summary(since.map_or(14.0, |s| s.days_before(now)).ceil());
        }
        let days = since.map_or(14.0, |s| s.days_before(now));
        println!("No runs found in the last {}.", format::window(Some(days)));
        return Ok(());
    }
    print!("{}", format::runs(&r));
    Ok(())
}

fn harness_arg(h: Option<&str>) -> Result<Option<sessionscope_core::model::Harness>> {
    match h {
        None => Ok(None),
        Some(name) => match name.parse() {
            Ok(h) => Ok(Some(h)),
            // A bad value: exit 2, as gptme-sessions' click.Choice does.
            Err(_) => crate::usage_bail!("invalid value for '--harness': '{name}' (claude-code, codex, gptme, gemini, opencode, copilot-cli)"),
        },
    }
}

fn discover_cmd(store: &Store, a: DiscoverArgs) -> Result<()> {
    let since = since_arg(&a.since)?;
    let harness = harness_arg(a.harness.as_deref())?;
    let now = Utc::now();
    let found = discover::find_transcripts(
        &sessionscope_core::settings::watched_roots_now(),
        harness,
        since,
        now,
    );
    let total_discovered = found.len();
    let entries = discover::describe(&found, &store.load()?.records, a.signals, a.unsynced);
    if a.json {
        return print_json(&serde_json::json!({
            "sessions": entries,
            "total_discovered": total_discovered,
        }));
    }
    let days = since.map(|s| s.days_before(now));
    let window = format::window(days);
    if entries.is_empty() {
        if a.unsynced && total_discovered > 0 {
            println!("All {total_discovered} session(s) in the last {window} are already synced.");
        } else {
            println!("No sessions found in the last {window}.");
        }
        return Ok(());
    }
    let width = entries.iter().map(|e| e.harness.len()).max().unwrap_or(0);
    for e in &entries {
        let flag = if e.synced { "S" } else { " " };
        let date = e.session_date.as_deref().unwrap_or("????");
        match (&e.signals, &e.signals_error) {
            (Some(_), None) => println!(
                "[{flag}][{}] {date}  {:<width$}  {}tools={} commits={} errors={}  {}",
                if e.productive == Some(true) { "+" } else { "-" },
                e.harness,
                match e.grade {
                    Some(Some(g)) => format!("grade={g:.2}  "),
                    _ => String::new(),
                },
                e.tool_calls.unwrap_or(0),
                e.git_commits.unwrap_or(0),
                e.error_count.unwrap_or(0),
                e.path
            ),
            (_, Some(err)) => {
                println!(
                    "[{flag}][?] {date}  {:<width$}  (signals error: {err})  {}",
                    e.harness, e.path
                )
            }
            _ => println!("[{flag}]   {date}  {:<width$}  {}", e.harness, e.path),
        }
    }
    // gptme-sessions' closing line: the days scanned, then what is synced.
    let today = session_day::local_day(now);
    let span = match since {
        Some(s) => {
            // The first day looked at (the day itself for `--since YYYY-MM-DD`), shown
            // no further back than a century.
            let floor = today - chrono::Days::new(36500);
            let start = session_day::Days::of(s, now).start.max(floor);
            format!(" ({start} to {today})")
        }
        None => String::new(),
    };
    let footer = if a.unsynced {
        let skipped = total_discovered - entries.len();
        if skipped > 0 {
            format!(" ({total_discovered} total, {skipped} already synced)")
        } else {
            String::new()
        }
    } else {
        let pending = entries.iter().filter(|e| !e.synced).count();
        format!(", {} synced, {pending} pending", entries.len() - pending)
    };
    println!("\n{} session(s) found{span}{footer}", entries.len());
    Ok(())
}

fn sync(store: &Store, a: SyncArgs) -> Result<()> {
    if a.fix_timestamps {
        return fix_timestamps(store, a.dry_run);
    }
    let since = since_arg(&a.since)?;
    let harness = harness_arg(a.harness.as_deref())?;
    let found: Vec<Found> = discover::find_transcripts(
        &sessionscope_core::settings::watched_roots_now(),
        harness,
        since,
        Utc::now(),
    );
    if found.is_empty() {
        // gptme-sessions' words (`--since all` reads "the last all time" there too).
        let days = since.map(|s| s.days_before(Utc::now()));
        println!("No sessions found in the last {}.", format::window(days));
        return Ok(());
    }
    let report = discover::sync(store, &found, a.signals, a.dry_run)?;
    for (path, err) in &report.unreadable {
        eprintln!("  warning: could not read {path}: {err}");
    }
    if a.dry_run {
        // In the order discovery found them, as gptme-sessions prints them.
        let imported: HashSet<&String> = report.imported.iter().collect();
        let updated: HashSet<&String> = report.updated.iter().collect();
        for f in &found {
            let p = f.path.to_string_lossy().into_owned();
            let verb = if imported.contains(&p) {
                "import"
            } else if updated.contains(&p) {
                "update"
            } else {
                continue;
            };
            println!(
                "  would {verb}: {:<14}  {p}",
                discover::record_harness_name(f.harness)
            );
        }
        println!(
            "\n{} found, {} unchanged, {} would be imported{}",
            report.found,
            report.unchanged,
            report.imported.len(),
            if report.updated.is_empty() {
                String::new()
            } else {
                format!(", {} would be updated", report.updated.len())
            }
        );
        return Ok(());
    }
    let mut parts = vec![format!("Imported {} session(s)", report.imported.len())];
    if !report.updated.is_empty() {
        parts.push(format!("updated {}", report.updated.len()));
    }
    parts.push(format!("{} unchanged.", report.unchanged));
    println!("{}", parts.join(", "));
    Ok(())
}

/// `sync --fix-timestamps`, with gptme-sessions' lines.
fn fix_timestamps(store: &Store, dry_run: bool) -> Result<()> {
    let report = sessionscope_core::records::fix_timestamps::fix_timestamps(store, dry_run)?;
    if report.total == 0 {
        println!("No records in store to fix.");
        return Ok(());
    }
    if dry_run {
        let first19 = |s: &str| s.chars().take(19).collect::<String>();
        for f in &report.fixes {
            println!(
                "  would fix: {}  {} → {}",
                f.session_id,
                first19(&f.old),
                first19(&f.new)
            );
        }
    }
    println!(
        "{} {} timestamp(s) out of {} record(s).",
        if dry_run { "Would fix" } else { "Fixed" },
        report.fixes.len(),
        report.total
    );
    Ok(())
}

fn annotate(store: &Store, a: AnnotateArgs) -> Result<()> {
    if a.session_id.is_empty() {
        crate::usage_bail!("Session ID must not be empty.");
    }
    let change = Annotation {
        model: a.model,
        harness: a.harness,
        run_type: a.run_type,
        category: a.category,
        outcome: a.outcome.map(|o| o.as_str().to_string()),
        duration_seconds: a.duration.map(i64::from),
        journal_path: a.journal_path,
        selector_mode: a.selector_mode,
        trigger: a.trigger.map(|t| t.as_str().to_string()),
        token_count: a.token_count.map(|t| t as i64),
        recommended_category: a.recommended_category,
        add_deliverables: a.add_deliverable,
        notes: None,
    };
    let updated = annotate::annotate(store, &a.session_id, &change).map_err(|e| match e {
        annotate::AnnotateError::Nothing => anyhow::Error::from(UsageError(e.to_string())),
        other => other.into(),
    })?;
    if a.json {
        return print_json(&updated);
    }
    println!("Updated session {}.", updated.session_id);
    Ok(())
}

fn judge_cmd(store: &Store, a: JudgeArgs) -> Result<()> {
    let api = match a.api.as_deref() {
        Some(s) => Some(
            JudgeApi::parse(s)
                .with_context(|| format!("unknown --api '{s}' (anthropic or openai)"))?,
        ),
        None => None,
    };
    let env = |k: &str| std::env::var(k).ok();
    let mut cfg = JudgeConfig::resolve(
        api,
        a.base_url.clone(),
        a.judge_model.clone(),
        a.api_key_env.clone(),
        env,
    );
    cfg.timeout = std::time::Duration::from_secs(a.timeout.max(1));
    let goals = a
        .goals
        .clone()
        .unwrap_or_else(|| judge::DEFAULT_GOALS.to_string());
    let journal_dir = a.journal_dir.clone().or_else(|| {
        let default = std::env::current_dir().ok()?.join("journal");
        default.is_dir().then_some(default)
    });
    if let Some(journal_dir) = journal_dir {
        return judge_journal::run(
            store,
            judge_journal::JournalJudge {
                journal_dir,
                last: a.last,
                goals: &goals,
                cfg: &cfg,
                update_store: a.update_store,
                dry_run: a.dry_run,
                json: a.json,
            },
        );
    }
    let chosen = judge::latest(&store.load()?.records, a.last.max(0) as usize);
    let mut results = Vec::new();
    let mut scored = Vec::new();
    for r in &chosen {
        let req = judge::build_request(&cfg, &goals, &judge::session_summary(r));
        if a.dry_run {
            if a.json {
                results.push(serde_json::json!({"session_id": r.session_id, "request": req}));
            } else {
                println!("POST {}", req.url);
                for (k, v) in &req.headers {
                    println!("{k}: {v}");
                }
                println!("{}\n", serde_json::to_string_pretty(&req.body)?);
            }
            continue;
        }
        match judge::send(&cfg, &req, env) {
            Ok(v) => {
                if !a.json {
                    println!("  {:<10} {:.2}  {}", r.session_id, v.score, v.reason);
                }
                results.push(serde_json::json!({
                    "session_id": r.session_id,
                    "llm_judge_score": v.score,
                    "llm_judge_reason": v.reason,
                    "llm_judge_model": v.model,
                    "grades": {"alignment": v.score},
                }));
                scored.push((r.session_id.clone(), v));
            }
            Err(e) => {
                eprintln!("  {:<10} not scored: {e}", r.session_id);
                results
                    .push(serde_json::json!({"session_id": r.session_id, "error": e.to_string()}));
                if matches!(e, judge::JudgeError::MissingKey(_)) {
                    break;
                }
            }
        }
    }
    if a.update_store && !a.dry_run && !scored.is_empty() {
        let n = judge::store_verdicts(store, &scored)?;
        eprintln!("Updated {n} record(s) in {}", store.path().display());
    }
    if a.json {
        return print_json(&results);
    }
    if a.dry_run {
        println!("{} session(s) (dry run; nothing sent)", chosen.len());
    } else if !scored.is_empty() {
        println!("{}", judge_journal::scored_line(&scored, chosen.len()));
    } else if !chosen.is_empty() {
        // Exit 0, as gptme-sessions does: scripts around it must not break.
        eprintln!("{}", judge_journal::NOTHING_SCORED);
    }
    Ok(())
}

fn post_session_cmd(store: &Store, a: PostSessionArgs) -> Result<()> {
    let input = PostSession {
        harness: a.harness.clone(),
        model: Some(a.model.clone()),
        run_type: Some(a.run_type.clone()),
        trigger: a.trigger.clone(),
        category: a.category.clone(),
        recommended_category: a.recommended_category.clone(),
        selector_mode: a.selector_mode.clone(),
        exit_code: a.exit_code,
        duration_seconds: a.duration,
        trajectory_path: a
            .trajectory
            .as_ref()
            .map(|p| p.to_string_lossy().into_owned()),
        start_commit: a.start_commit.clone(),
        end_commit: a.end_commit.clone(),
        deliverables: a.deliverables.clone(),
        journal_path: a.journal_path.clone(),
        session_id: a.session_id.clone(),
        context_tier: a.context_tier.clone(),
        ab_group: a.ab_group.clone(),
        tier_version: a.tier_version.clone(),
    };
    let (record, warning) = post_session::record_session(store, &input, Utc::now())?;
    if let Some(w) = warning {
        eprintln!("sessionscope: warning: {w}");
    }
    let outcome = record.outcome.clone().unwrap_or_default();
    if a.json {
        println!(
            "{}",
            serde_json::json!({
                "session_id": record.session_id,
                "outcome": outcome,
                "grade": record.trajectory_grade,
                "token_count": record.token_count,
            })
        );
    } else {
        let grade = record
            .trajectory_grade
            .map(|g| format!("{g:.4}"))
            .unwrap_or_else(|| "n/a".into());
        let tokens = record
            .token_count
            .map(format::thousands)
            .unwrap_or_else(|| "n/a".into());
        println!(
            "Recorded session {}: outcome={outcome} grade={grade} tokens={tokens}",
            record.session_id
        );
    }
    Ok(())
}

fn append(store: &Store, a: AppendArgs) -> Result<()> {
    if let Some(src) = &a.from_jsonl {
        let reader: Box<dyn BufRead> = if src.as_os_str() == "-" {
            Box::new(std::io::stdin().lock())
        } else {
            Box::new(std::io::BufReader::new(
                std::fs::File::open(src).with_context(|| src.display().to_string())?,
            ))
        };
        let mut n = 0usize;
        for line in reader.split(b'\n') {
            let line = line?;
            if line.iter().all(u8::is_ascii_whitespace) {
                continue;
            }
            let Some(r) = Record::from_line(&line) else {
                bail!("line {} is not a JSON object", n + 1);
            };
            store.append(&r)?;
            n += 1;
        }
        eprintln!("Appended {n} record(s) to {}", store.path().display());
        return Ok(());
    }
    eprintln!("Warning: 'append' is deprecated. Use 'sync' to import sessions from trajectories or 'annotate' to correct metadata on an existing record.");
    let mut r = Record::new();
    r.harness = Some(a.harness);
    r.model = Some(a.model);
    r.run_type = Some(a.run_type);
    r.category = a.category;
    r.outcome = Some(a.outcome);
    r.duration_seconds = a.duration;
    r.selector_mode = a.selector_mode;
    r.journal_path = a.journal_path;
    r.deliverables = a.deliverables;
    store.append(&r)?;
    println!(
        "Appended session {} to {}",
        r.session_id,
        store.path().display()
    );
    Ok(())
}
