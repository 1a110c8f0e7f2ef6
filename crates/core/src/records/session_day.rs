//! The day an agent's transcript belongs to, and which days a look back covers, by
//! gptme-sessions' discovery rules (its `discovery.py`), so `discover`, `sync`,
//! `search`, the `stats` hint and the app pick the same logs as the Python tool:
//!
//! - gptme: the date its log folder's name starts with (`2026-11-20-quick-fox/`);
//!   folders of benchmark runs (`YYYY-MM-DD-gptme-evals-…`) are not sessions.
//! - Codex: the `YYYY/MM/DD/` folders the rollout sits in.
//! - Claude Code and Copilot CLI: the date of the first `timestamp` in the file, as
//!   written (in its own offset). Claude Code files under 4 KiB are skipped: they are
//!   the stubs of sessions that never got an answer.
//! - Agents gptme-sessions does not read (Gemini CLI, opencode): the day of the first
//!   event when known, else of the file's last change.
//!
//! A transcript without a day is not discovered. A look back of `N` days covers the
//! whole days from `today - ceil(N)` to today, both included.

use std::io::BufRead;
use std::path::{Component, Path};

use chrono::{DateTime, FixedOffset, Local, NaiveDate, NaiveDateTime, Utc};

use super::normalized::{isoformat, isoformat_naive, parse_iso_parts, Format};
use super::pyjson::PyValue;
use crate::since::Since;

/// Claude Code logs smaller than this are stubs (gptme-sessions' `CC_MIN_SESSION_SIZE`).
pub const CC_MIN_SESSION_BYTES: u64 = 4096;

/// The first `timestamp` of a JSONL log that Python's `datetime.fromisoformat` reads,
/// as (time as written, its offset if any). Reads only up to that line; a line that is
/// not UTF-8 before it ends the look, as the Python reader's decode error does.
pub fn first_timestamp(path: &Path) -> Option<(NaiveDateTime, Option<FixedOffset>)> {
    let file = crate::agent_file::open(path).ok()?;
    let mut reader = std::io::BufReader::new(file);
    let mut line = Vec::new();
    loop {
        line.clear();
        if reader.read_until(b'\n', &mut line).ok()? == 0 {
            return None;
        }
        // Python reads text with universal newlines: a lone CR ends a line too.
        for text in std::str::from_utf8(&line).ok()?.split('\r').map(str::trim) {
            if text.is_empty() {
                continue;
            }
            let Some(entry) = PyValue::parse(text).filter(PyValue::is_dict) else {
                continue;
            };
            if let Some(PyValue::Str(ts)) = entry.get("timestamp") {
                if let Some(parts) = parse_iso_parts(ts).filter(|_| !ts.is_empty()) {
                    return Some(parts);
                }
            }
        }
    }
}

/// The first timestamp as gptme-sessions writes it back (`datetime.isoformat()`: an
/// offset kept, a naive time left naive, microseconds when there are any), with its
/// date.
pub fn first_timestamp_iso(path: &Path) -> Option<(String, NaiveDate)> {
    let (naive, offset) = first_timestamp(path)?;
    Some(match offset {
        Some(o) => (
            isoformat(&naive.and_local_timezone(o).single()?),
            naive.date(),
        ),
        None => (isoformat_naive(&naive), naive.date()),
    })
}

/// The date a gptme log folder's name starts with (`YYYY-MM-DD-…`).
pub fn gptme_folder_date(folder: &str) -> Option<NaiveDate> {
    let head: String = folder.chars().take(10).collect();
    NaiveDate::parse_from_str(&head, "%Y-%m-%d").ok()
}

/// gptme-sessions' `session_date_from_path`: the date a gptme log (its folder or its
/// `conversation.jsonl`) or a Codex rollout (`…/YYYY/MM/DD/file`) carries in its path;
/// for the others, the date of the file's first timestamp.
pub fn date_from_path(format: Format, path: &Path) -> Option<NaiveDate> {
    match format {
        Format::Gptme => {
            let is_jsonl = path.extension().is_some_and(|e| e == "jsonl");
            let folder = if is_jsonl {
                path.parent()?.file_name()?
            } else {
                path.file_name()?
            };
            gptme_folder_date(&folder.to_string_lossy())
        }
        Format::Codex => {
            let parts: Vec<String> = path
                .components()
                .filter_map(|c| match c {
                    Component::Normal(s) => Some(s.to_string_lossy().to_string()),
                    _ => None,
                })
                .collect();
            let n = parts.len();
            if n < 4 {
                return None;
            }
            let num = |s: &str| s.trim().parse::<i32>().ok();
            NaiveDate::from_ymd_opt(
                num(&parts[n - 4])?,
                u32::try_from(num(&parts[n - 3])?).ok()?,
                u32::try_from(num(&parts[n - 2])?).ok()?,
            )
        }
        Format::ClaudeCode | Format::Copilot | Format::Grok => {
            first_timestamp(path).map(|(t, _)| t.date())
        }
    }
}

/// Is this gptme log folder a benchmark run (`YYYY-MM-DD-gptme-evals-…`)?
fn is_gptme_eval(folder: &str) -> bool {
    folder
        .get(11..)
        .is_some_and(|rest| rest.starts_with("gptme-evals-"))
}

/// The day a transcript file of an agent gptme-sessions reads belongs to, or `None`
/// when it is not discovered (no day, an eval run, a Claude Code stub).
pub fn transcript_day(format: Format, path: &Path) -> Option<NaiveDate> {
    match format {
        Format::Gptme => {
            let folder = path.parent()?.file_name()?.to_string_lossy().to_string();
            if is_gptme_eval(&folder) {
                return None;
            }
            date_from_path(format, path)
        }
        Format::ClaudeCode => {
            let size = std::fs::metadata(path).ok()?.len();
            if size < CC_MIN_SESSION_BYTES {
                return None;
            }
            date_from_path(format, path)
        }
        _ => date_from_path(format, path),
    }
}

/// The local date of a moment (the day of a file's last change, for agents
/// gptme-sessions does not read).
pub fn local_day(t: DateTime<Utc>) -> NaiveDate {
    t.with_timezone(&Local).date_naive()
}

/// The whole days a discovery covers, both ends included.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Days {
    pub start: NaiveDate,
    pub end: NaiveDate,
}

impl Days {
    /// The days `since` covers up to `now`: `today - ceil(days)` to today
    /// (gptme-sessions rounds a sub-day window up to a day); from that day on for a
    /// `--since YYYY-MM-DD`. Today is the local date; where UTC is already a day ahead
    /// (west of Greenwich in the evening) that day counts too, so a log stamped in UTC
    /// is not lost until midnight.
    pub fn of(since: Since, now: DateTime<Utc>) -> Days {
        let today = local_day(now);
        let start = match since {
            Since::Day(day) => day,
            Since::Window { seconds } => {
                let days = (seconds / 86400.0).ceil().clamp(0.0, 1e12) as u64;
                today
                    .checked_sub_days(chrono::Days::new(days))
                    .unwrap_or(NaiveDate::MIN)
            }
        };
        Days {
            start,
            end: today.max(now.date_naive()),
        }
    }

    pub fn contains(&self, day: NaiveDate) -> bool {
        self.start <= day && day <= self.end
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn day(y: i32, m: u32, d: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, d).unwrap()
    }

    #[test]
    fn dates_come_from_gptme_and_codex_paths_when_the_file_is_gone() {
        assert_eq!(
            date_from_path(Format::Gptme, Path::new("/x/logs/2026-10-01-gone")),
            Some(day(2026, 10, 1))
        );
        assert_eq!(
            date_from_path(Format::Codex, Path::new("/x/sessions/2026/09/15/r.jsonl")),
            Some(day(2026, 9, 15))
        );
        assert_eq!(
            date_from_path(Format::Codex, Path::new("/x/archived_sessions/r.jsonl")),
            None
        );
        assert_eq!(
            date_from_path(Format::ClaudeCode, Path::new("/nope.jsonl")),
            None
        );
        assert_eq!(
            date_from_path(Format::Gptme, Path::new("/x/logs/née")),
            None
        );
    }

    #[test]
    fn the_first_readable_timestamp_gives_the_day_in_its_own_offset() {
        let d = tempfile::tempdir().unwrap();
        let f = d.path().join("s.jsonl");
        std::fs::write(
            &f,
            "\n[1]\r{\"timestamp\": \"\"}\n{\"timestamp\": \"soon\"}\n{\"timestamp\": 5}\n\
             {\"timestamp\": \"2026-11-20T23:30:00-05:00\"}\n{\"timestamp\": \"2026-01-01T00:00:00Z\"}\n",
        )
        .unwrap();
        assert_eq!(date_from_path(Format::Copilot, &f), Some(day(2026, 11, 20)));
        // Not UTF-8 before any timestamp: no day, as Python's decode error.
        std::fs::write(
            &f,
            b"{\"a\": \"\xff\"}\n{\"timestamp\": \"2026-11-20T10:00:00Z\"}\n",
        )
        .unwrap();
        assert_eq!(date_from_path(Format::Copilot, &f), None);
    }

    #[test]
    fn claude_code_stubs_and_gptme_eval_runs_are_not_sessions() {
        let d = tempfile::tempdir().unwrap();
        let f = d.path().join("s.jsonl");
        let line = "{\"timestamp\": \"2026-11-20T10:00:00Z\", \"pad\": \"x\"}\n";
        std::fs::write(&f, line.repeat(4096 / line.len())).unwrap();
        assert!(std::fs::metadata(&f).unwrap().len() < CC_MIN_SESSION_BYTES);
        assert_eq!(transcript_day(Format::ClaudeCode, &f), None);
        std::fs::write(&f, line.repeat(4096 / line.len() + 1)).unwrap();
        assert_eq!(
            transcript_day(Format::ClaudeCode, &f),
            Some(day(2026, 11, 20))
        );
        let eval = Path::new("/l/2026-11-20-gptme-evals-x/conversation.jsonl");
        assert_eq!(transcript_day(Format::Gptme, eval), None);
        let real = Path::new("/l/2026-11-20-gptme-eval/conversation.jsonl");
        assert_eq!(transcript_day(Format::Gptme, real), Some(day(2026, 11, 20)));
    }

    #[test]
    fn a_look_back_covers_whole_days_up_to_today() {
        let now = Utc.with_ymd_and_hms(2026, 12, 7, 12, 0, 0).unwrap();
        let today = local_day(now);
        let w = Days::of(Since::days(7.0), now);
        assert_eq!(w.start, today - chrono::Days::new(7));
        assert!(w.contains(w.start) && w.contains(today));
        assert!(!w.contains(w.start.pred_opt().unwrap()));
        // Two hours reach back to yesterday, whole.
        assert_eq!(
            Days::of(Since::days(2.0 / 24.0), now).start,
            today.pred_opt().unwrap()
        );
        assert_eq!(
            Days::of(Since::Day(day(2026, 11, 1)), now).start,
            day(2026, 11, 1)
        );
        assert_eq!(Days::of(Since::days(1e300), now).start, NaiveDate::MIN);
        assert!(!w.contains(now.date_naive() + chrono::Days::new(2)));
    }
}
