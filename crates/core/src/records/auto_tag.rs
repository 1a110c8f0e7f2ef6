//! `auto-tag`: set the `category` of records from what their trajectories show, as
//! gptme-sessions' `auto-tag` does.
//!
//! The newest `--limit` records without a category (or `unknown`; every record with
//! `--retag-all`), newest first by `timestamp` (records whose timestamp does not parse
//! come last, by id, descending), are read one by one: a record without an existing
//! `trajectory_path` is skipped; otherwise the trajectory's signals give an inferred
//! category, the files it wrote and the journal entries it touched. A `--mapping-file`
//! (YAML, `pattern: category`) overrides the inference: the first pattern matching the
//! record's project, journal path, trajectory path, a written file or a journal path
//! wins (case-insensitive; a pattern with `*`, `?` or `[` is a glob over the whole
//! path, any other is a substring).
//!
//! Reading the trajectories happens outside the store lock; the new categories are then
//! written in one locked rewrite ([`Store::modify`]) that re-reads the store, so a
//! record appended or changed meanwhile by another program is kept. A record whose
//! category another writer changed in between is left as that writer set it (and
//! reported skipped) instead of being overwritten.
//!
//! [`auto_tag`] takes the extractor; [`extract_signals`] is the real one (the signals
//! port), tests pass stand-ins.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use super::normalized::parse_iso;
use super::pyjson::PyValue;
use super::record::Record;
use super::store::{Store, StoreError};

/// What `auto-tag` needs from a trajectory's signals.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Extracted {
    pub inferred_category: Option<String>,
    pub file_writes: Vec<String>,
    pub journal_paths: Vec<String>,
}

/// One `pattern: category` line of a mapping file, trimmed.
#[derive(Debug, Clone, PartialEq)]
pub struct MappingRule {
    pub pattern: String,
    pub category: String,
}

/// The choices of one run.
#[derive(Debug, Clone, Default)]
pub struct Options {
    /// At most this many records are looked at (at least 1).
    pub limit: usize,
    /// Look at records that already have a category too.
    pub retag_all: bool,
    /// Report, write nothing.
    pub dry_run: bool,
    /// YAML `pattern: category` overrides, read (as in gptme-sessions) only once some
    /// record is selected.
    pub mapping_file: Option<PathBuf>,
}

/// What happened to one record.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Status {
    Updated,
    WouldUpdate,
    Unchanged,
    Skipped,
}

impl Status {
    pub fn as_str(self) -> &'static str {
        match self {
            Status::Updated => "updated",
            Status::WouldUpdate => "would-update",
            Status::Unchanged => "unchanged",
            Status::Skipped => "skipped",
        }
    }
}

/// One line of the report.
#[derive(Debug, Clone, PartialEq)]
pub struct Row {
    pub session_id: String,
    pub previous_category: Option<String>,
    pub trajectory_path: Option<String>,
    pub status: Status,
    /// Why a record was skipped.
    pub reason: Option<String>,
    /// The category chosen (not for skipped records).
    pub category: Option<String>,
    /// `signals`, or `mapping:PATTERN`.
    pub source: Option<String>,
}

/// The whole answer.
#[derive(Debug, Clone, PartialEq)]
pub enum Outcome {
    /// The store has no records.
    NoRecords,
    /// No record matched the selection.
    NoTargets {
        retag_all: bool,
    },
    Rows(Vec<Row>),
}

/// Why `auto-tag` stopped.
#[derive(Debug, thiserror::Error)]
pub enum AutoTagError {
    /// A mapping file that cannot be read or is not a mapping of strings.
    #[error("{0}")]
    Mapping(String),
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// Newest first: records with a timestamp Python's `fromisoformat` reads, by time; then
/// the others by id; both descending. Equal keys keep store order (a stable sort).
fn sort_key(r: &Record) -> (bool, i64, &str) {
    match parse_iso(&r.timestamp) {
        Some(t) => (true, t.timestamp_micros(), ""),
        None => (false, 0, r.session_id.as_str()),
    }
}

/// Indexes (in `records`) of the records `auto-tag` looks at, in processing order.
pub fn select_targets(records: &[Record], limit: usize, retag_all: bool) -> Vec<usize> {
    let mut idx: Vec<usize> = (0..records.len())
        .filter(|&i| {
            let c = records[i].category.as_deref();
            retag_all || c.is_none_or(|c| c.is_empty() || c == "unknown")
        })
        .collect();
    idx.sort_by(|&a, &b| sort_key(&records[b]).cmp(&sort_key(&records[a])));
    idx.truncate(limit);
    idx
}

/// Decide the category of one record.
fn decide(
    record: &Record,
    rules: &[MappingRule],
    dry_run: bool,
    extract: &dyn Fn(&Path) -> Result<Extracted, String>,
) -> Row {
    let mut row = Row {
        session_id: record.session_id.clone(),
        previous_category: record.category.clone(),
        trajectory_path: record.trajectory_path.clone(),
        status: Status::Skipped,
        reason: None,
        category: None,
        source: None,
    };
    let skip = |mut row: Row, why: String| {
        row.reason = Some(why);
        row
    };
    let Some(traj) = record.trajectory_path.as_deref().filter(|t| !t.is_empty()) else {
        return skip(row, "missing trajectory_path".into());
    };
    if !Path::new(traj).exists() {
        return skip(row, "trajectory_path does not exist".into());
    }
    let found = match extract(Path::new(traj)) {
        Ok(f) => f,
        Err(e) => return skip(row, format!("signal extraction failed: {e}")),
    };
    let mut candidates: Vec<&str> = Vec::new();
    candidates.extend(record.project.as_deref());
    candidates.extend(record.journal_path.as_deref());
    candidates.push(traj);
    candidates.extend(found.file_writes.iter().map(String::as_str));
    candidates.extend(found.journal_paths.iter().map(String::as_str));
    let (category, source) = match match_override(rules, &candidates) {
        Some(rule) => (
            Some(rule.category.clone()),
            format!("mapping:{}", rule.pattern),
        ),
        None => (found.inferred_category, "signals".to_string()),
    };
    let Some(category) = category.filter(|c| !c.is_empty()) else {
        return skip(row, "no category inferred".into());
    };
    row.status = if record.category.as_deref() == Some(category.as_str()) {
        Status::Unchanged
    } else if dry_run {
        Status::WouldUpdate
    } else {
        Status::Updated
    };
    row.category = Some(category);
    row.source = Some(source);
    row
}

/// [`auto_tag`]'s extractor over the signals port ([`super::signals::analyze_path`]):
/// the inferred category, the files written, the journal entries touched; its error
/// text is gptme-sessions' (`… is a directory and does not contain conversation.jsonl`).
pub fn extract_signals(path: &Path) -> Result<Extracted, String> {
    let a = super::signals::analyze_path(path).map_err(|e| e.to_string())?;
    Ok(Extracted {
        inferred_category: a.inferred_category,
        file_writes: a.signals.file_writes,
        journal_paths: a.signals.journal_paths,
    })
}

/// Run `auto-tag` over `store`, reading trajectories with `extract` (its error text is
/// shown after "signal extraction failed: ").
pub fn auto_tag(
    store: &Store,
    opts: &Options,
    extract: &dyn Fn(&Path) -> Result<Extracted, String>,
) -> Result<Outcome, AutoTagError> {
    let records = store.load()?.records;
    if records.is_empty() {
        return Ok(Outcome::NoRecords);
    }
    let targets = select_targets(&records, opts.limit.max(1), opts.retag_all);
    if targets.is_empty() {
        return Ok(Outcome::NoTargets {
            retag_all: opts.retag_all,
        });
    }
    let rules = match &opts.mapping_file {
        Some(p) => load_mapping(p)?,
        None => Vec::new(),
    };
    let mut rows: Vec<(usize, Row)> = targets
        .iter()
        .map(|&i| (i, decide(&records[i], &rules, opts.dry_run, extract)))
        .collect();
    if !opts.dry_run && rows.iter().any(|(_, r)| r.status == Status::Updated) {
        // The n-th record with an id in the snapshot is the n-th with that id now: a
        // locked rewrite never removes or reorders records (Store::modify), and appends
        // go to the end.
        let nth = occurrences(&records);
        let wanted: Vec<(usize, String, usize)> = rows
            .iter()
            .enumerate()
            .filter(|(_, (_, r))| r.status == Status::Updated)
            .map(|(k, (i, _))| (k, records[*i].session_id.clone(), nth[*i]))
            .collect();
        let lost = store.modify(|now| {
            let now_nth = occurrences(now);
            let at: HashMap<(&str, usize), usize> = now
                .iter()
                .enumerate()
                .map(|(i, r)| ((r.session_id.as_str(), now_nth[i]), i))
                .collect();
            let slots: Vec<Option<usize>> = wanted
                .iter()
                .map(|(_, id, n)| at.get(&(id.as_str(), *n)).copied())
                .collect();
            let mut lost = Vec::new();
            for ((k, _, _), slot) in wanted.iter().zip(slots) {
                let row = &rows[*k].1;
                let slot = slot.map(|i| &mut now[i]);
                match slot {
                    Some(r) if r.category == row.previous_category => {
                        r.category = row.category.clone();
                    }
                    _ => lost.push(*k),
                }
            }
            Ok(lost)
        })?;
        for k in lost {
            let row = &mut rows[k].1;
            row.status = Status::Skipped;
            row.reason = Some("changed by another writer meanwhile; left as it is".into());
            row.category = None;
            row.source = None;
        }
    }
    Ok(Outcome::Rows(rows.into_iter().map(|(_, r)| r).collect()))
}

/// For each record, how many records before it have the same id.
fn occurrences(records: &[Record]) -> Vec<usize> {
    let mut seen: HashMap<&str, usize> = HashMap::new();
    records
        .iter()
        .map(|r| {
            let n = seen.entry(r.session_id.as_str()).or_default();
            *n += 1;
            *n - 1
        })
        .collect()
}

fn opt_str(v: &Option<String>) -> PyValue {
    v.clone().map(PyValue::Str).unwrap_or(PyValue::Null)
}

/// gptme-sessions' `--json` list.
pub fn to_py(rows: &[Row]) -> PyValue {
    PyValue::List(
        rows.iter()
            .map(|r| {
                let mut d = vec![
                    ("session_id".to_string(), PyValue::Str(r.session_id.clone())),
                    (
                        "previous_category".to_string(),
                        opt_str(&r.previous_category),
                    ),
                    ("trajectory_path".to_string(), opt_str(&r.trajectory_path)),
                ];
                if r.status == Status::Skipped {
                    d.push(("status".into(), PyValue::Str(r.status.as_str().into())));
                    d.push(("reason".into(), opt_str(&r.reason)));
                } else {
                    d.push(("category".into(), opt_str(&r.category)));
                    d.push(("source".into(), opt_str(&r.source)));
                    d.push(("status".into(), PyValue::Str(r.status.as_str().into())));
                }
                PyValue::Dict(d)
            })
            .collect(),
    )
}

/// Left-align in `width` characters, as Python's `{:<N}`.
fn pad(s: &str, width: usize) -> String {
    let n = s.chars().count();
    format!("{s}{}", " ".repeat(width.saturating_sub(n)))
}

/// gptme-sessions' text: one line per record, then the counts.
pub fn render_text(rows: &[Row], dry_run: bool) -> String {
    let mut out = String::new();
    let (mut changed, mut unchanged, mut skipped) = (0, 0, 0);
    for r in rows {
        let id = pad(&r.session_id, 12);
        match r.status {
            Status::Skipped => {
                skipped += 1;
                let reason = r.reason.as_deref().unwrap_or("");
                out.push_str(&format!("{id}  skipped      {reason}\n"));
                continue;
            }
            Status::Unchanged => unchanged += 1,
            Status::Updated | Status::WouldUpdate => changed += 1,
        }
        let or_q = |v: &Option<String>| {
            v.clone()
                .filter(|s| !s.is_empty())
                .unwrap_or_else(|| "?".into())
        };
        out.push_str(&format!(
            "{id}  {}  {} -> {}  [{}]\n",
            pad(r.status.as_str(), 11),
            pad(&or_q(&r.previous_category), 14),
            pad(&or_q(&r.category), 14),
            r.source.as_deref().unwrap_or("")
        ));
    }
    let verb = if dry_run { "Would tag" } else { "Tagged" };
    out.push_str(&format!(
        "\n{verb} {changed} record(s); {unchanged} unchanged; {skipped} skipped.\n"
    ));
    out
}

mod glob;
mod mapping;
#[cfg(test)]
mod tests;

pub use glob::{fnmatch, match_override};
pub use mapping::load_mapping;
