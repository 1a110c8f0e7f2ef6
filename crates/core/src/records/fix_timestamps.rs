//! `sync --fix-timestamps`: give records the start time of their own transcript, as
//! gptme-sessions does. Older `sync`s stamped records with the import time or a
//! synthetic noon-UTC placeholder, which put sessions on the wrong day in `stats`.
//!
//! A record's right timestamp is the first `timestamp` in its transcript (written as
//! the transcript wrote it: an offset stays, a naive time stays naive). When the file
//! cannot be read, gptme logs and Codex transcripts still carry their date in the path
//! (`YYYY-MM-DD-name/`, `YYYY/MM/DD/`), which gives midnight UTC of that day. A record
//! is changed when its timestamp is on another day, or when it is the 12:00:00
//! placeholder and the transcript says otherwise.

use std::path::Path;

use chrono::NaiveDate;
use serde::Serialize;

use super::normalized::Format;
use super::record::Record;
use super::session_day;
use super::store::{Store, StoreError};

/// One timestamp that was (or would be) corrected.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct TimestampFix {
    pub session_id: String,
    pub old: String,
    pub new: String,
}

/// What a run did.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct FixReport {
    pub fixes: Vec<TimestampFix>,
    /// Records in the store.
    pub total: usize,
}

/// The first timestamp of a JSONL file, as (isoformat text, its date).
fn first_timestamp(path: &Path) -> Option<(String, NaiveDate)> {
    session_day::first_timestamp_iso(path)
}

fn is_jsonl(path: &Path) -> bool {
    path.extension().is_some_and(|e| e == "jsonl")
}

/// The transcript's real start (gptme-sessions' `session_datetime_from_path`).
fn start_from_file(harness: &str, path: &Path) -> Option<(String, NaiveDate)> {
    if !path.is_file() {
        return None;
    }
    match harness {
        "gptme" if !is_jsonl(path) => first_timestamp(&path.join("conversation.jsonl")),
        _ => first_timestamp(path),
    }
}

/// The date the path encodes (gptme-sessions' `session_date_from_path`: gptme and
/// Codex by their folders, any other harness by its first timestamp).
fn date_from_path(harness: &str, path: &Path) -> Option<NaiveDate> {
    let format = match harness {
        "gptme" => Format::Gptme,
        "codex" => Format::Codex,
        _ => Format::ClaudeCode,
    };
    session_day::date_from_path(format, path)
}

/// The correction one record needs, if any.
pub fn fix_for(r: &Record) -> Option<TimestampFix> {
    let traj = r.trajectory_path.as_deref().filter(|t| !t.is_empty())?;
    let path = Path::new(traj);
    let harness = r
        .harness
        .as_deref()
        .filter(|h| !h.is_empty())
        .unwrap_or("unknown");
    let real = start_from_file(harness, path);
    let (correct, day) = match &real {
        Some((ts, day)) => (ts.clone(), *day),
        None => {
            let day = date_from_path(harness, path)?;
            (format!("{day}T00:00:00+00:00"), day)
        }
    };
    let prefix = day.format("%Y-%m-%d").to_string();
    let time_of = |s: &str| s.get(11..19).map(str::to_string);
    let noon_placeholder = real.is_some()
        && time_of(&r.timestamp).as_deref() == Some("12:00:00")
        && time_of(&correct).as_deref() != Some("12:00:00");
    (!r.timestamp.starts_with(&prefix) || noon_placeholder).then(|| TimestampFix {
        session_id: r.session_id.clone(),
        old: r.timestamp.clone(),
        new: correct,
    })
}

/// Correct every record of the store; unless `dry_run`, write the result back in one
/// locked read-fix-write cycle.
pub fn fix_timestamps(store: &Store, dry_run: bool) -> Result<FixReport, StoreError> {
    let fix_all = |records: &mut Vec<Record>, apply: bool| {
        let mut report = FixReport {
            fixes: Vec::new(),
            total: records.len(),
        };
        for r in records.iter_mut() {
            if let Some(fix) = fix_for(r) {
                if apply {
                    r.timestamp = fix.new.clone();
                }
                report.fixes.push(fix);
            }
        }
        report
    };
    if dry_run {
        let mut records = store.load()?.records;
        return Ok(fix_all(&mut records, false));
    }
    store.modify(|records| Ok(fix_all(records, true)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates_come_from_gptme_and_codex_paths_when_the_file_is_gone() {
        assert_eq!(
            date_from_path("gptme", Path::new("/x/logs/2026-10-01-gone")),
            NaiveDate::from_ymd_opt(2026, 10, 1)
        );
        assert_eq!(
            date_from_path("codex", Path::new("/x/sessions/2026/09/15/r.jsonl")),
            NaiveDate::from_ymd_opt(2026, 9, 15)
        );
        assert_eq!(
            date_from_path("claude-code", Path::new("/nope.jsonl")),
            None
        );
    }
}
