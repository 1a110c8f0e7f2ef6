//! Agent formats: where each agent keeps its transcripts, how to recognise a transcript
//! file, and how to fold its lines into [`TranscriptFacts`].
//!
//! One submodule per agent. Each parser is lenient: a line it cannot read is counted in
//! `parse_errors` and skipped; unknown record types and fields are ignored; nothing
//! panics on input. Parsers see lines as bytes (possibly invalid UTF-8) from `tail`.

pub mod claude;

use std::path::{Path, PathBuf};

use chrono::{DateTime, Utc};

use crate::model::{Harness, Usage};
use crate::status::TurnState;

/// A directory an agent writes transcripts under.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HarnessRoot {
    pub harness: Harness,
    pub path: PathBuf,
}

/// Everything a parser learned from a transcript so far; `index` turns it into a
/// [`crate::model::Session`] by adding status and process information.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct TranscriptFacts {
    /// The agent's session id, when the records carry one.
    pub id: Option<String>,
    pub title: Option<String>,
    pub project: Option<String>,
    pub git_branch: Option<String>,
    pub model: Option<String>,
    pub models: Vec<String>,
    pub started_at: Option<DateTime<Utc>>,
    pub last_activity: Option<DateTime<Utc>>,
    pub user_messages: u32,
    pub assistant_messages: u32,
    pub tool_calls: u32,
    pub tool_errors: u32,
    pub usage: Usage,
    pub parse_errors: u32,
    pub turn: TurnState,
}

impl TranscriptFacts {
    pub(crate) fn note_model(&mut self, model: &str) {
        if model.is_empty() || model == "<synthetic>" {
            return;
        }
        if self.model.as_deref() != Some(model) {
            self.model = Some(model.to_string());
        }
        if !self.models.iter().any(|m| m == model) {
            self.models.push(model.to_string());
        }
    }

    pub(crate) fn note_time(&mut self, ts: DateTime<Utc>) {
        if self.started_at.is_none_or(|s| ts < s) {
            self.started_at = Some(ts);
        }
        if self.last_activity.is_none_or(|l| ts > l) {
            self.last_activity = Some(ts);
        }
    }
}

/// A transcript parser that is fed one line at a time.
pub trait TranscriptParser: Send {
    /// Fold one complete line into the facts. Never panics.
    fn apply_line(&mut self, line: &[u8]);
    /// What has been learned so far.
    fn facts(&self) -> &TranscriptFacts;
}

/// Make the parser for a transcript file of `harness`.
pub fn parser_for(harness: Harness, path: &Path) -> Box<dyn TranscriptParser> {
    match harness {
        Harness::ClaudeCode => Box::new(claude::ClaudeTranscript::new(path)),
        // Other agents are added by their own modules; until then they fold nothing.
        _ => Box::new(claude::ClaudeTranscript::new(path)),
    }
}

/// Is `path` a transcript file of `harness` under `root`?
pub fn is_transcript(harness: Harness, root: &Path, path: &Path) -> bool {
    match harness {
        Harness::ClaudeCode => claude::is_transcript(root, path),
        _ => false,
    }
}

/// The session id and parent id a transcript file stands for, from its path alone.
pub fn ids_from_path(harness: Harness, path: &Path) -> (String, Option<String>) {
    match harness {
        Harness::ClaudeCode => claude::ids_from_path(path),
        _ => (file_stem(path), None),
    }
}

pub(crate) fn file_stem(path: &Path) -> String {
    path.file_stem()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_default()
}

/// Trim a prompt to a one-line title of at most `max` characters.
pub(crate) fn title_from(text: &str, max: usize) -> Option<String> {
    let line = text.split_whitespace().collect::<Vec<_>>().join(" ");
    if line.is_empty() {
        return None;
    }
    if line.chars().count() <= max {
        return Some(line);
    }
    let mut cut: String = line.chars().take(max.saturating_sub(1)).collect();
    cut.push('…');
    Some(cut)
}

/// Parse an RFC 3339 timestamp, tolerating its absence or a bad value.
pub(crate) fn parse_ts(s: Option<&str>) -> Option<DateTime<Utc>> {
    s.and_then(|s| DateTime::parse_from_rfc3339(s).ok())
        .map(|t| t.with_timezone(&Utc))
}

/// Decode a JSON line; invalid UTF-8 inside strings is replaced rather than fatal.
pub(crate) fn decode_line<'a, T: serde::Deserialize<'a>>(
    line: &'a [u8],
    lossy: &'a mut Option<String>,
) -> Option<T> {
    match std::str::from_utf8(line) {
        Ok(s) => serde_json::from_str(s).ok(),
        Err(_) => {
            *lossy = Some(String::from_utf8_lossy(line).into_owned());
            serde_json::from_str(lossy.as_deref().unwrap_or_default()).ok()
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn titles_are_one_line_and_bounded() {
        assert_eq!(
            title_from("  fix\n the   bug ", 80).as_deref(),
            Some("fix the bug")
        );
        assert_eq!(title_from("   ", 80), None);
        assert_eq!(title_from("abcdef", 4).as_deref(), Some("abc…"));
        assert_eq!(title_from("ééééé", 3).as_deref(), Some("éé…"));
    }
}
