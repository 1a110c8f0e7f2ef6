//! Agent transcripts on disk, seen as candidate records: `discover` lists them, `sync`
//! turns the ones not yet in the store into records (matched by `trajectory_path`) and,
//! with signals, fills outcome, duration, start/end time, tokens and deliverables.
//!
//! Every harness Sessionscope knows is covered through the agent registry
//! ([`crate::agents::AGENTS`]: roots, which files are transcripts, their parsers), so
//! an agent added there is discovered here without a change. Sub-agent transcripts are
//! part of their parent session and are skipped. Which transcripts a look back finds
//! is decided by their day, as gptme-sessions decides it ([`super::session_day`]).
//! Signals come from the same [`TranscriptFacts`] the session list shows, so token
//! totals agree with it. This module never writes to an agent's files; `sync` writes
//! only through [`Store::modify`].

use std::collections::{BTreeSet, HashMap};
use std::path::{Path, PathBuf};

use chrono::{DateTime, NaiveDate, SecondsFormat, Utc};
use serde::Serialize;

use super::normalized::Format;
use super::pyjson::PyValue;
use super::record::Record;
use super::session_day::{self, Days};
use super::signals::{self, Analysis, TrajectoryError};
use super::store::{Store, StoreError};
use crate::agents::{self, FileMode, HarnessRoot, SourceKind, TranscriptFacts};
use crate::model::Harness;
use crate::sessions::tail::TailCursor;
use crate::since::Since;

/// The name a harness has in the record store. Copilot CLI is `copilot-cli` there,
/// as gptme-sessions writes it.
pub fn record_harness_name(h: Harness) -> &'static str {
    agents::agent(h).record_name()
}

/// One session found under a harness root: a transcript file, or a session inside a
/// store (opencode), whose facts are then already read.
#[derive(Debug, Clone, PartialEq)]
pub struct Found {
    pub harness: Harness,
    /// The transcript file, or the store's location of the session.
    pub path: PathBuf,
    pub modified: Option<DateTime<Utc>>,
    /// The day the session belongs to ([`session_day`]).
    pub day: NaiveDate,
    /// Facts of a store session (files are read on demand by [`read_facts`]).
    pub facts: Option<TranscriptFacts>,
}

/// Where gptme-sessions lists a harness among sessions of one day: gptme, Claude Code,
/// Codex, Copilot CLI, then the agents it does not read.
fn rank(h: Harness) -> u8 {
    match Format::of_harness(h) {
        Some(Format::Gptme) => 0,
        Some(Format::ClaudeCode) => 1,
        Some(Format::Codex) => 2,
        Some(Format::Copilot) => 3,
        Some(Format::Grok) | None => 4,
    }
}

/// Every top-level transcript under `roots` whose day ([`session_day`]) falls in the
/// whole days `since` covers up to `now` (every dated one when `None`), oldest day
/// first, in gptme-sessions' order within a day (by agent, then path).
pub fn find_transcripts(
    roots: &[HarnessRoot],
    harness_filter: Option<Harness>,
    since: Option<Since>,
    now: DateTime<Utc>,
) -> Vec<Found> {
    let window = since.map(|s| Days::of(s, now));
    let wanted = |d: NaiveDate| window.is_none_or(|w| w.contains(d));
    let mut seen = BTreeSet::new();
    let mut out = Vec::new();
    for root in roots {
        if harness_filter.is_some_and(|h| h != root.harness) {
            continue;
        }
        if agents::agent(root.harness).source_kind() == SourceKind::Store {
            let Some(mut store) = agents::agent(root.harness).store(&root.path) else {
                continue;
            };
            for s in store.scan() {
                let modified = s.facts.last_activity.or(s.facts.started_at);
                let Some(day) = s.facts.started_at.or(modified).map(session_day::local_day) else {
                    continue;
                };
                if s.gone
                    || s.parent_id.is_some()
                    || !wanted(day)
                    || !seen.insert(s.location.clone())
                {
                    continue;
                }
                out.push(Found {
                    harness: root.harness,
                    path: s.location,
                    modified,
                    day,
                    facts: Some(s.facts),
                });
            }
            continue;
        }
        let mut files = Vec::new();
        walk(root, &root.path, 0, &mut files);
        for path in files {
            if agents::agent(root.harness).ids_from_path(&path).1.is_some() || seen.contains(&path)
            {
                continue;
            }
            let modified = std::fs::metadata(&path)
                .and_then(|m| m.modified())
                .ok()
                .map(DateTime::<Utc>::from);
            let day = match Format::of_harness(root.harness) {
                Some(format) => session_day::transcript_day(format, &path),
                None => modified.map(session_day::local_day),
            };
            let Some(day) = day.filter(|d| wanted(*d)) else {
                continue;
            };
            seen.insert(path.clone());
            out.push(Found {
                harness: root.harness,
                path,
                modified,
                day,
                facts: None,
            });
        }
    }
    out.sort_by(|a, b| (a.day, rank(a.harness), &a.path).cmp(&(b.day, rank(b.harness), &b.path)));
    out
}

fn walk(root: &HarnessRoot, dir: &Path, depth: usize, out: &mut Vec<PathBuf>) {
    const MAX_DEPTH: usize = 6;
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for entry in entries.flatten() {
        let path = entry.path();
        let Ok(kind) = entry.file_type() else {
            continue;
        };
        if kind.is_dir() && depth < MAX_DEPTH {
            walk(root, &path, depth + 1, out);
        } else if kind.is_file() && agents::agent(root.harness).is_transcript(&root.path, &path) {
            out.push(path);
        }
    }
}

/// Fold a whole transcript file into facts with its harness's parser (line by line,
/// or whole for formats rewritten on every change).
pub fn read_facts(h: Harness, path: &Path) -> std::io::Result<TranscriptFacts> {
    match agents::agent(h).file_mode(path) {
        FileMode::WholeFile => {
            agents::agent(h).read_whole_file(path, crate::agent_file::MAX_WHOLE_FILE_BYTES)
        }
        FileMode::Lines => {
            let mut parser = agents::agent(h).parser(path);
            let mut cursor = TailCursor::new(path);
            cursor.read_new(|line| parser.apply_line(line))?;
            Ok(parser.facts().clone())
        }
    }
}

/// The facts of a found session: already known for store sessions, read otherwise.
pub fn facts_of(found: &Found) -> std::io::Result<TranscriptFacts> {
    match &found.facts {
        Some(f) => Ok(f.clone()),
        None => read_facts(found.harness, &found.path),
    }
}

/// What a transcript says about its session, in record terms.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct Signals {
    pub productive: bool,
    pub duration_seconds: i64,
    pub start_time: Option<String>,
    pub end_time: Option<String>,
    pub model: Option<String>,
    pub project: Option<String>,
    pub token_count: i64,
    pub input_tokens: i64,
    pub output_tokens: i64,
    pub cache_creation_tokens: i64,
    pub cache_read_tokens: i64,
    pub deliverables: Vec<String>,
    pub tool_calls: u32,
    pub error_count: u32,
    /// Commit SHAs among the deliverables.
    pub git_commits: usize,
}

/// A record's time, as `sync` writes it.
pub(super) fn iso(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(SecondsFormat::AutoSi, false)
}

impl Signals {
    pub fn from_facts(f: &TranscriptFacts) -> Self {
        let duration_seconds = match (f.started_at, f.last_activity) {
            (Some(a), Some(b)) if b > a => (b - a).num_seconds(),
            _ => 0,
        };
        Signals {
            productive: f.looks_productive(),
            duration_seconds,
            start_time: f.started_at.map(iso),
            end_time: f.last_activity.map(iso),
            model: f.model.clone(),
            project: f.project.clone(),
            token_count: f.usage.total() as i64,
            input_tokens: f.usage.input_tokens as i64,
            output_tokens: f.usage.output_tokens as i64,
            cache_creation_tokens: f.usage.cache_creation_tokens as i64,
            cache_read_tokens: f.usage.cache_read_tokens as i64,
            deliverables: f.deliverables.clone(),
            tool_calls: f.tool_calls,
            error_count: f.tool_errors,
            git_commits: f.deliverables.iter().filter(|d| looks_like_sha(d)).count(),
        }
    }
}

/// 7 to 40 lowercase hex characters.
pub fn looks_like_sha(s: &str) -> bool {
    (7..=40).contains(&s.len())
        && s.bytes()
            .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
}

/// Paths the store already has a record for (`trajectory_path`, and `journal_path` for
/// records older than the migration).
pub fn synced_paths(records: &[Record]) -> BTreeSet<String> {
    records
        .iter()
        .flat_map(|r| [r.trajectory_path.clone(), r.journal_path.clone()])
        .flatten()
        .collect()
}

/// How many sessions of the last `days` days `sync` would import (the hint the bare
/// `records` command prints).
pub fn count_unsynced(
    roots: &[HarnessRoot],
    records: &[Record],
    days: f64,
    now: DateTime<Utc>,
) -> usize {
    let synced = synced_paths(records);
    find_transcripts(roots, None, Some(Since::days(days)), now)
        .iter()
        .filter(|f| !synced.contains(f.path.to_string_lossy().as_ref()))
        .count()
}

/// Set `slot` when it holds nothing useful yet (`None`, empty, 0 or `unknown`), like
/// gptme-sessions' `_assign_if_missing`. Returns whether it changed.
fn fill_str(slot: &mut Option<String>, value: Option<&str>) -> bool {
    let empty = slot
        .as_deref()
        .is_none_or(|s| s.is_empty() || s == "unknown");
    match value.filter(|v| !v.is_empty()) {
        Some(v) if empty && slot.as_deref() != Some(v) => {
            *slot = Some(v.to_string());
            true
        }
        _ => false,
    }
}

fn fill_int(slot: &mut Option<i64>, value: i64) -> bool {
    if slot.is_none_or(|v| v == 0) && value != 0 {
        *slot = Some(value);
        return true;
    }
    false
}

/// Apply signals to a record, filling only what is missing; `outcome` is set only
/// while it is `unknown`. Returns whether anything changed.
pub fn apply_signals(r: &mut Record, s: &Signals) -> bool {
    let mut changed = false;
    if r.outcome.as_deref().is_none_or(|o| o == "unknown") {
        r.outcome = Some(if s.productive { "productive" } else { "noop" }.to_string());
        changed = true;
    }
    if r.duration_seconds == 0 && s.duration_seconds > 0 {
        r.duration_seconds = s.duration_seconds;
        changed = true;
    }
    if r.deliverables.is_empty() && !s.deliverables.is_empty() {
        r.deliverables = s.deliverables.clone();
        changed = true;
    }
    changed |= fill_str(&mut r.start_time, s.start_time.as_deref());
    changed |= fill_str(&mut r.end_time, s.end_time.as_deref());
    changed |= fill_str(&mut r.model, s.model.as_deref());
    changed |= fill_int(&mut r.token_count, s.token_count);
    changed |= fill_int(&mut r.input_tokens, s.input_tokens);
    changed |= fill_int(&mut r.output_tokens, s.output_tokens);
    changed |= fill_int(&mut r.cache_creation_tokens, s.cache_creation_tokens);
    changed |= fill_int(&mut r.cache_read_tokens, s.cache_read_tokens);
    changed
}

/// The harnesses gptme-sessions reads signals from (Gemini CLI and opencode logs
/// have none there).
fn has_signals(h: Harness) -> bool {
    super::normalized::Format::of_harness(h).is_some()
}

/// gptme-sessions' signals of a found transcript (`None` for a harness it does not
/// read).
pub fn analysis_of(found: &Found) -> Option<Result<Analysis, TrajectoryError>> {
    has_signals(found.harness).then(|| signals::analyze_path(&found.path))
}

/// gptme-sessions' `_assign_if_missing` for numbers: set while 0 or unset.
fn fill_opt_int(slot: &mut Option<i64>, value: Option<i64>) -> bool {
    match value {
        Some(v) if slot.is_none_or(|s| s == 0) && *slot != Some(v) => {
            *slot = Some(v);
            true
        }
        _ => false,
    }
}

/// What `sync --signals` takes from gptme-sessions' signals, as its
/// `_apply_extract_result_to_record` does: the outcome while `unknown`, and a
/// duration, deliverables with their details, the inferred category, the model and
/// the context sizes where the record has none. Token counts are left to the
/// transcript facts (see [`apply_signals`]): gptme-sessions sums every record of a
/// Claude Code message, which counts a split message's usage more than once.
pub fn apply_analysis(r: &mut Record, a: &Analysis) -> bool {
    let mut changed = false;
    if r.outcome.as_deref().is_none_or(|o| o == "unknown") {
        r.outcome = Some(if a.productive { "productive" } else { "noop" }.to_string());
        changed = true;
    }
    let duration = a.signals.session_duration_s.unwrap_or(0);
    if r.duration_seconds == 0 && duration != 0 {
        r.duration_seconds = duration;
        changed = true;
    }
    if r.deliverables.is_empty() && !a.signals.deliverables.is_empty() {
        r.deliverables = a.signals.deliverables.clone();
        changed = true;
    }
    if r.deliverable_details.is_empty() && !a.signals.deliverable_details.is_empty() {
        r.deliverable_details = a
            .signals
            .deliverable_details
            .iter()
            .filter_map(|d| serde_json::to_value(d).ok())
            .collect();
        changed = true;
    }
    changed |= fill_str(&mut r.category, a.inferred_category.as_deref());
    changed |= fill_str(&mut r.model, a.usage("model").and_then(PyValue::as_str));
    let int = |k: &str| match a.usage(k) {
        Some(PyValue::Int(i)) => i64::try_from(*i).ok(),
        _ => None,
    };
    changed |= fill_opt_int(&mut r.sys_prompt_tokens, int("sys_prompt_tokens"));
    changed |= fill_opt_int(&mut r.context_peak_tokens, int("context_peak_tokens"));
    changed |= fill_opt_int(&mut r.context_window, int("context_window"));
    changed |= fill_opt_int(&mut r.sys_prompt_bytes, int("sys_prompt_bytes"));
    changed |= fill_opt_int(&mut r.first_turn_bytes, int("first_turn_bytes"));
    changed |= fill_opt_int(&mut r.context_peak_bytes, int("context_peak_bytes"));
    changed |= fill_opt_int(&mut r.session_total_bytes, int("session_total_bytes"));
    changed
}

/// The record `sync` creates for a transcript: harness, trajectory path, start time
/// of the first event (else the file's mtime), model and project from the transcript,
/// and with `signals` the outcome, duration, tokens and deliverables.
pub fn record_for(
    found: &Found,
    facts: Option<&TranscriptFacts>,
    analysis: Option<&Analysis>,
    with_signals: bool,
) -> Record {
    let mut r = Record::new();
    r.harness = Some(record_harness_name(found.harness).to_string());
    r.trajectory_path = Some(found.path.to_string_lossy().into_owned());
    r.session_name = session_name_of(found);
    if let Some(ts) = start_timestamp(found, facts) {
        r.timestamp = ts;
    }
    if let Some(f) = facts {
        if let Some(m) = &f.model {
            r.model = Some(m.clone());
        }
        r.project = f.project.clone();
    }
    if with_signals {
        if let Some(a) = analysis {
            apply_analysis(&mut r, a);
        }
        if let Some(f) = facts {
            apply_signals(&mut r, &Signals::from_facts(f));
        }
    }
    r
}

/// The timestamp `sync` gives a new record, as gptme-sessions does for the logs it
/// reads: the log's first timestamp as written, else noon UTC of the session's day (a
/// log without one, e.g. an empty Codex rollout). Other agents' sessions: their first
/// event, else the last change.
fn start_timestamp(found: &Found, facts: Option<&TranscriptFacts>) -> Option<String> {
    if Format::of_harness(found.harness).is_some() && found.facts.is_none() {
        return Some(match session_day::first_timestamp_iso(&found.path) {
            Some((ts, _)) => ts,
            None => format!("{}T12:00:00+00:00", found.day.format("%Y-%m-%d")),
        });
    }
    facts.and_then(|f| f.started_at).or(found.modified).map(iso)
}

/// The `session_name` gptme-sessions gives a transcript (gptme: the log folder
/// without its date; Claude Code, Codex: the first 8 characters of the file name;
/// Copilot CLI: of its folder), so `query` lists names instead of ids.
pub fn session_name_of(found: &Found) -> Option<String> {
    super::normalized::session_name(found.harness.as_str(), &found.path).filter(|n| !n.is_empty())
}

/// One line of `discover`: a transcript, whether the store has it, and with signals
/// what it says (the keys of gptme-sessions' `discover --json`).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct DiscoveredSession {
    pub harness: &'static str,
    pub path: String,
    /// `YYYY-MM-DD`: the day the session belongs to ([`session_day`]).
    pub session_date: Option<String>,
    pub synced: bool,
    /// gptme-sessions' grade (`null` for Gemini CLI and opencode logs, which it does
    /// not read).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub grade: Option<Option<f64>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub productive: Option<bool>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub tool_calls: Option<u32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub git_commits: Option<usize>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error_count: Option<u32>,
    /// The transcript's own facts (durations, tokens); not printed, so `--json` has
    /// gptme-sessions' keys and no others.
    #[serde(skip)]
    pub signals: Option<Signals>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub signals_error: Option<String>,
}

/// Describe `found` transcripts against the store's `records`; `only_unsynced`
/// drops the ones already imported before any transcript is read.
pub fn describe(
    found: &[Found],
    records: &[Record],
    with_signals: bool,
    only_unsynced: bool,
) -> Vec<DiscoveredSession> {
    let synced = synced_paths(records);
    let mut out = Vec::new();
    for f in found {
        let path = f.path.to_string_lossy().into_owned();
        let is_synced = synced.contains(&path);
        if only_unsynced && is_synced {
            continue;
        }
        let mut e = DiscoveredSession {
            harness: record_harness_name(f.harness),
            session_date: Some(f.day.format("%Y-%m-%d").to_string()),
            path,
            synced: is_synced,
            grade: None,
            productive: None,
            tool_calls: None,
            git_commits: None,
            error_count: None,
            signals: None,
            signals_error: None,
        };
        if with_signals {
            match facts_of(f) {
                Ok(fx) => {
                    let s = Signals::from_facts(&fx);
                    e.grade = Some(None);
                    e.productive = Some(s.productive);
                    e.tool_calls = Some(s.tool_calls);
                    e.git_commits = Some(s.git_commits);
                    e.error_count = Some(s.error_count);
                    e.signals = Some(s);
                }
                Err(err) => e.signals_error = Some(err.to_string()),
            }
            // gptme-sessions' own signals and grade, where it reads the harness.
            match analysis_of(f) {
                Some(Ok(a)) => {
                    e.grade = Some(Some(a.grade));
                    e.productive = Some(a.productive);
                    e.tool_calls = Some(u32::try_from(a.signals.total_tools()).unwrap_or(u32::MAX));
                    e.git_commits = Some(a.signals.git_commits.len());
                    e.error_count = Some(u32::try_from(a.signals.error_count).unwrap_or(u32::MAX));
                }
                Some(Err(err)) => {
                    e.grade = None;
                    e.productive = None;
                    e.tool_calls = None;
                    e.git_commits = None;
                    e.error_count = None;
                    e.signals_error = Some(err.to_string());
                }
                None => {}
            }
        }
        out.push(e);
    }
    // Oldest first across all agents, undated last, as gptme-sessions lists them.
    out.sort_by(|a, b| match (&a.session_date, &b.session_date) {
        (Some(x), Some(y)) => x.cmp(y),
        (Some(_), None) => std::cmp::Ordering::Less,
        (None, Some(_)) => std::cmp::Ordering::Greater,
        (None, None) => std::cmp::Ordering::Equal,
    });
    out
}

/// What `sync` did (or, dry, would do).
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct SyncReport {
    pub found: usize,
    pub imported: Vec<String>,
    pub updated: Vec<String>,
    pub unchanged: usize,
    /// Transcripts that could not be read, with the reason.
    pub unreadable: Vec<(String, String)>,
}

/// Does a record still lack what signals would give it? Its outcome is `unknown` or
/// it has no token count. (gptme-sessions also re-reads a transcript while any usage
/// field is unset, e.g. `context_window`, which only Codex logs have: every run
/// would read every transcript again.)
fn wants_signals(r: &Record) -> bool {
    r.outcome.as_deref().is_none_or(|o| o == "unknown") || r.token_count.is_none()
}

/// Merge `found` transcripts into `records`: new ones are pushed, existing ones (by
/// trajectory path) get a missing model/project and, with signals, what
/// [`apply_signals`] fills. `facts` holds the transcripts already read.
pub fn merge_found(
    records: &mut Vec<Record>,
    found: &[Found],
    facts: &HashMap<PathBuf, TranscriptFacts>,
    analyses: &HashMap<PathBuf, Analysis>,
    with_signals: bool,
) -> SyncReport {
    let mut report = SyncReport {
        found: found.len(),
        ..SyncReport::default()
    };
    let mut by_path: HashMap<String, usize> = HashMap::new();
    for (i, r) in records.iter().enumerate() {
        if let Some(p) = r.trajectory_path.clone().or_else(|| r.journal_path.clone()) {
            by_path.entry(p).or_insert(i);
        }
    }
    for f in found {
        let key = f.path.to_string_lossy().into_owned();
        let fx = facts.get(&f.path);
        let an = analyses.get(&f.path);
        match by_path.get(&key) {
            Some(&i) => {
                let r = &mut records[i];
                let mut changed = false;
                changed |= fill_str(&mut r.session_name, session_name_of(f).as_deref());
                if with_signals {
                    if let Some(a) = an {
                        changed |= apply_analysis(r, a);
                    }
                }
                if let Some(fx) = fx {
                    changed |= fill_str(&mut r.model, fx.model.as_deref());
                    changed |= fill_str(&mut r.project, fx.project.as_deref());
                    if with_signals {
                        changed |= apply_signals(r, &Signals::from_facts(fx));
                    }
                }
                if changed {
                    report.updated.push(key);
                } else {
                    report.unchanged += 1;
                }
            }
            None => {
                records.push(record_for(f, fx, an, with_signals));
                by_path.insert(key.clone(), records.len() - 1);
                report.imported.push(key);
            }
        }
    }
    report
}

/// `read` each session on every core (transcripts are independent).
fn read_all<'a, T: Send>(
    found: &[&'a Found],
    read: impl Fn(&Found) -> T + Sync,
) -> Vec<(&'a Found, T)> {
    let threads = std::thread::available_parallelism()
        .map(|n| n.get())
        .unwrap_or(1)
        .min(found.len())
        .max(1);
    let per = found.len().div_ceil(threads).max(1);
    let read = &read;
    std::thread::scope(|scope| {
        let handles: Vec<_> = found
            .chunks(per)
            .map(|chunk| {
                scope.spawn(move || chunk.iter().map(|f| (*f, read(f))).collect::<Vec<_>>())
            })
            .collect();
        handles
            .into_iter()
            .flat_map(|h| h.join().expect("transcript reader panicked"))
            .collect()
    })
}

/// Import `found` into the store. Transcripts are read before the lock is taken, so
/// other writers wait only for the rewrite itself. With `dry_run` nothing is written.
pub fn sync(
    store: &Store,
    found: &[Found],
    with_signals: bool,
    dry_run: bool,
) -> Result<SyncReport, StoreError> {
    let before = store.load()?.records;
    let mut known: HashMap<String, &Record> = HashMap::new();
    for r in &before {
        if let Some(p) = r.trajectory_path.as_ref().or(r.journal_path.as_ref()) {
            known.entry(p.clone()).or_insert(r);
        }
    }
    let needed: Vec<&Found> = found
        .iter()
        .filter(|f| match known.get(f.path.to_string_lossy().as_ref()) {
            None => true,
            Some(r) => {
                with_signals && wants_signals(r)
                    || r.model.as_deref().is_none_or(|m| m == "unknown")
            }
        })
        .collect();
    let mut facts = HashMap::new();
    let mut analyses = HashMap::new();
    let mut unreadable = Vec::new();
    let read = |f: &Found| {
        let a = if with_signals { analysis_of(f) } else { None };
        (facts_of(f), a)
    };
    for (f, (result, analysis)) in read_all(&needed, read) {
        match result {
            Ok(fx) => {
                facts.insert(f.path.clone(), fx);
            }
            Err(e) => unreadable.push((f.path.to_string_lossy().into_owned(), e.to_string())),
        }
        match analysis {
            Some(Ok(a)) => {
                analyses.insert(f.path.clone(), a);
            }
            Some(Err(e)) => unreadable.push((f.path.to_string_lossy().into_owned(), e.to_string())),
            None => {}
        }
    }
    let mut report = if dry_run {
        let mut copy = before;
        merge_found(&mut copy, found, &facts, &analyses, with_signals)
    } else {
        store.modify(|records| Ok(merge_found(records, found, &facts, &analyses, with_signals)))?
    };
    report.unreadable = unreadable;
    Ok(report)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;

    const USER: &str = r#"{"type":"user","sessionId":"s","timestamp":"2026-11-20T10:00:00.000Z","cwd":"/w/p","message":{"role":"user","content":"fix it"}}"#;
    const CALL: &str = r#"{"type":"assistant","timestamp":"2026-11-20T10:04:00.000Z","requestId":"r1","message":{"id":"m1","model":"claude-opus-4-6","stop_reason":"tool_use","content":[{"type":"tool_use","id":"t1","name":"Bash","input":{"command":"git commit -am fix"}}],"usage":{"input_tokens":100,"output_tokens":20,"cache_creation_input_tokens":5,"cache_read_input_tokens":1000}}}"#;
    const RESULT: &str = r#"{"type":"user","timestamp":"2026-11-20T10:05:00.000Z","message":{"content":[{"type":"tool_result","tool_use_id":"t1","content":"[main abc1234] fix"}]}}"#;

    fn corpus() -> (tempfile::TempDir, Vec<HarnessRoot>, PathBuf) {
        let d = tempfile::tempdir().unwrap();
        let root = d.path().join("projects");
        let proj = root.join("-w-p");
        std::fs::create_dir_all(proj.join("sess/subagents")).unwrap();
        let file = proj.join("sess.jsonl");
        let mut f = std::fs::File::create(&file).unwrap();
        writeln!(f, "{USER}").unwrap();
        // The user pastes a build log: a real session, over the 4 KiB of a stub.
        let log = "error[E0308]: mismatched types --> src/lib.rs:10:5\\n".repeat(80);
        writeln!(
            f,
            r#"{{"type":"user","timestamp":"2026-11-20T10:00:01.000Z","message":{{"role":"user","content":"{log}"}}}}"#
        )
        .unwrap();
        for l in [CALL, RESULT] {
            writeln!(f, "{l}").unwrap();
        }
        std::fs::write(
            proj.join("sess/subagents/agent-1.jsonl"),
            format!("{USER}\n"),
        )
        .unwrap();
        let roots = vec![HarnessRoot {
            harness: Harness::ClaudeCode,
            path: root,
        }];
        (d, roots, file)
    }

    #[test]
    fn finds_top_level_transcripts_only() {
        let (_d, roots, file) = corpus();
        let now = chrono::TimeZone::with_ymd_and_hms(&Utc, 2026, 11, 22, 12, 0, 0).unwrap();
        let found = find_transcripts(&roots, None, Some(Since::days(7.0)), now);
        assert_eq!(found.len(), 1);
        assert_eq!(found[0].path, file);
        assert_eq!(found[0].day.to_string(), "2026-11-20");
        assert!(find_transcripts(&roots, Some(Harness::Codex), None, now).is_empty());
    }

    /// gptme-sessions' rules: the day of the first timestamp, not of the last change;
    /// Claude Code files under 4 KiB are stubs.
    #[test]
    fn picks_by_the_day_in_the_log_and_skips_claude_code_stubs() {
        let (_d, roots, file) = corpus();
        let stub = file.with_file_name("stub.jsonl");
        std::fs::write(&stub, format!("{USER}\n")).unwrap();
        // Written just now, but its session began on 2026-11-20.
        let now = chrono::TimeZone::with_ymd_and_hms(&Utc, 2026, 12, 7, 12, 0, 0).unwrap();
        assert!(find_transcripts(&roots, None, Some(Since::days(7.0)), now).is_empty());
        let month = find_transcripts(&roots, None, Some(Since::days(30.0)), now);
        assert_eq!(month.iter().map(|f| &f.path).collect::<Vec<_>>(), [&file]);
        assert_eq!(find_transcripts(&roots, None, None, now).len(), 1);
    }

    #[test]
    fn sync_imports_once_with_signals_and_is_safe_to_rerun() {
        let (d, roots, file) = corpus();
        let store = Store::new(d.path().join("store"));
        let found = find_transcripts(&roots, None, None, Utc::now());
        let listed = describe(&found, &[], true, false);
        // One commit: gptme-sessions grades 0.60.
        assert_eq!(listed[0].grade, Some(Some(0.6)));
        assert_eq!(listed[0].git_commits, Some(1));
        let dry = sync(&store, &found, true, true).unwrap();
        assert_eq!(dry.imported.len(), 1);
        assert!(!store.path().exists());
        let rep = sync(&store, &found, true, false).unwrap();
        assert_eq!(rep.imported, [file.to_string_lossy().to_string()]);
        let recs = store.load().unwrap().records;
        assert_eq!(recs.len(), 1);
        let r = &recs[0];
        assert_eq!(r.harness.as_deref(), Some("claude-code"));
        assert_eq!(r.outcome.as_deref(), Some("productive"));
        assert_eq!(r.duration_seconds, 300);
        assert_eq!(r.timestamp, "2026-11-20T10:00:00+00:00");
        assert_eq!(r.start_time.as_deref(), Some("2026-11-20T10:00:00+00:00"));
        assert_eq!(r.end_time.as_deref(), Some("2026-11-20T10:05:00+00:00"));
        assert_eq!(r.token_count, Some(1125));
        assert_eq!(r.input_tokens, Some(100));
        // Deliverables, their details and the context size are gptme-sessions'
        // signals'; the token counts are the session list's.
        assert_eq!(r.deliverables, ["fix (abc1234)"]);
        assert_eq!(r.deliverable_details[0]["kind"], "commit");
        assert_eq!(
            r.deliverable_details[0]["provenance_class"],
            "session_committed"
        );
        assert_eq!(r.sys_prompt_tokens, Some(1105));
        assert_eq!(r.model.as_deref(), Some("claude-opus-4-6"));
        assert_eq!(r.project.as_deref(), Some("/w/p"));
        let again = sync(&store, &found, true, false).unwrap();
        assert!(again.imported.is_empty() && again.updated.is_empty());
        assert_eq!(again.unchanged, 1);
        assert_eq!(store.load().unwrap().records.len(), 1);
    }

    #[test]
    fn signals_update_records_whose_outcome_is_unknown() {
        let (d, roots, file) = corpus();
        let store = Store::new(d.path().join("store"));
        let mut r = Record::new();
        r.trajectory_path = Some(file.to_string_lossy().into_owned());
        r.model = Some("claude-opus-4-6".into());
        store.append(&r).unwrap();
        let found = find_transcripts(&roots, None, None, Utc::now());
        // Without signals only the missing name is filled in (as gptme-sessions does).
        let plain = sync(&store, &found, false, false).unwrap();
        assert_eq!((plain.imported.len(), plain.updated.len()), (0, 1));
        let named = store.load().unwrap().records;
        assert_eq!(named[0].outcome.as_deref(), Some("unknown"));
        assert!(named[0].session_name.is_some());
        let plain = sync(&store, &found, false, false).unwrap();
        assert_eq!((plain.imported.len(), plain.updated.len()), (0, 0));
        let rep = sync(&store, &found, true, false).unwrap();
        assert_eq!(rep.updated.len(), 1);
        let recs = store.load().unwrap().records;
        assert_eq!(recs.len(), 1);
        assert_eq!(recs[0].outcome.as_deref(), Some("productive"));
        assert_eq!(recs[0].session_id, r.session_id);
    }

    /// A new record's timestamp as gptme-sessions writes it: the first timestamp of
    /// the log in Python's isoformat, else noon UTC of the day in its path.
    #[test]
    fn new_records_are_dated_like_gptme_sessions_dates_them() {
        let d = tempfile::tempdir().unwrap();
        let day_dir = d.path().join("sessions/2026/11/20");
        std::fs::create_dir_all(&day_dir).unwrap();
        let empty = day_dir.join("rollout-2026-11-20T09-00-00-x.jsonl");
        std::fs::write(&empty, "").unwrap();
        let naive = day_dir.join("rollout-2026-11-20T10-00-00-y.jsonl");
        std::fs::write(&naive, "{\"timestamp\": \"2026-11-20T10:00:00.12\"}\n").unwrap();
        let roots = [HarnessRoot {
            harness: Harness::Codex,
            path: d.path().join("sessions"),
        }];
        let found = find_transcripts(&roots, None, None, Utc::now());
        let stamps: Vec<String> = found
            .iter()
            .map(|f| record_for(f, None, None, false).timestamp)
            .collect();
        assert_eq!(
            stamps,
            ["2026-11-20T12:00:00+00:00", "2026-11-20T10:00:00.120000"]
        );
    }

    #[test]
    fn harness_names_round_trip() {
        for h in [
            Harness::ClaudeCode,
            Harness::Codex,
            Harness::Gptme,
            Harness::Gemini,
            Harness::Opencode,
            Harness::Copilot,
        ] {
            assert_eq!(record_harness_name(h).parse::<Harness>(), Ok(h));
        }
        assert_eq!(record_harness_name(Harness::Copilot), "copilot-cli");
    }
}
