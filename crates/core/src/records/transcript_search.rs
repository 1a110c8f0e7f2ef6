//! `records search`: which agent sessions mention a string, as gptme-sessions'
//! `search` answers it — a substring scan (case-insensitive unless asked) over the
//! normalized messages ([`super::normalized`]) of the logs discovered in the window,
//! ranked newest first, then by hit count, with up to three snippets of 120
//! characters either side of the first match of a message.
//!
//! This is the drop-in for scripts; the app's own full-text search over every session
//! is [`crate::sessions::search`] (an FTS5 index), which answers faster on large histories.

use std::path::PathBuf;

use chrono::{DateTime, Utc};
use regex::{Regex, RegexBuilder};

use super::normalized::{read_transcript, Message, Transcript};
use super::pyjson::PyValue;

/// Characters of context either side of a match.
pub const SNIPPET_CONTEXT: usize = 120;
/// Snippets kept per session.
pub const MAX_SNIPPETS_PER_SESSION: usize = 3;

/// A message excerpt around a match.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct Snippet {
    pub role: String,
    pub text: String,
}

/// One session that matched.
#[derive(Debug, Clone, PartialEq)]
pub struct SearchHit {
    pub transcript: Transcript,
    pub path: PathBuf,
    pub hit_count: usize,
    pub snippets: Vec<Snippet>,
}

impl SearchHit {
    /// `YYYY-MM-DD HH:MM` of the first message in its own offset, or `unknown`.
    pub fn display_date(&self) -> String {
        self.transcript
            .started_at
            .as_deref()
            .and_then(super::normalized::parse_iso)
            .map(|t| t.format("%Y-%m-%d %H:%M").to_string())
            .unwrap_or_else(|| "unknown".into())
    }

    fn started(&self) -> Option<DateTime<Utc>> {
        self.transcript.started
    }
}

/// The query as a matcher.
pub struct Query {
    pattern: Regex,
    file: Option<Regex>,
}

impl Query {
    /// `text` literally; `file` narrows to sessions whose messages or tool inputs
    /// mention that path.
    pub fn new(text: &str, case_sensitive: bool, file: Option<&str>) -> Query {
        let build = |t: &str| {
            RegexBuilder::new(&regex::escape(t))
                .case_insensitive(!case_sensitive)
                .build()
                .expect("an escaped literal is a valid pattern")
        };
        Query {
            pattern: build(text),
            file: file.map(build),
        }
    }
}

fn value_mentions(v: &PyValue, re: &Regex) -> bool {
    match v {
        PyValue::Str(s) => re.is_match(s),
        PyValue::Dict(d) => d.iter().any(|(_, v)| value_mentions(v, re)),
        PyValue::List(l) => l.iter().any(|v| value_mentions(v, re)),
        _ => false,
    }
}

fn message_mentions(m: &Message, re: &Regex) -> bool {
    (!m.content.is_empty() && re.is_match(&m.content))
        || m.tool_input
            .as_ref()
            .is_some_and(|i| i.truthy() && value_mentions(i, re))
}

/// The excerpt around the first match of `content`.
fn snippet(content: &str, re: &Regex) -> Option<String> {
    let m = re.find(content)?;
    let chars: Vec<(usize, char)> = content.char_indices().collect();
    let start_char = chars.partition_point(|(b, _)| *b < m.start());
    let end_char = chars.partition_point(|(b, _)| *b < m.end());
    let from = start_char.saturating_sub(SNIPPET_CONTEXT);
    let to = (end_char + SNIPPET_CONTEXT).min(chars.len());
    let text: String = chars[from..to].iter().map(|(_, c)| *c).collect();
    let text = text.replace('\n', " ");
    let mut out = text.trim_matches(char::is_whitespace).to_string();
    if from > 0 {
        out.insert(0, '…');
    }
    if to < chars.len() {
        out.push('…');
    }
    Some(out)
}

/// Search one log; `None` when it cannot be read or does not match.
pub fn search_path(path: PathBuf, q: &Query) -> Option<SearchHit> {
    let transcript = read_transcript(&path).ok()?;
    if let Some(file) = &q.file {
        if !transcript
            .messages
            .iter()
            .any(|m| message_mentions(m, file))
        {
            return None;
        }
    }
    let mut hits = 0;
    let mut snippets = Vec::new();
    for m in transcript.messages.iter().filter(|m| !m.content.is_empty()) {
        let n = q.pattern.find_iter(&m.content).count();
        if n == 0 {
            continue;
        }
        hits += n;
        if snippets.len() < MAX_SNIPPETS_PER_SESSION {
            if let Some(text) = snippet(&m.content, &q.pattern) {
                snippets.push(Snippet {
                    role: m.role.clone(),
                    text,
                });
            }
        }
    }
    (hits > 0).then_some(SearchHit {
        transcript,
        path,
        hit_count: hits,
        snippets,
    })
}

/// Search `paths` and rank: newest first (no start time counts as oldest), then most
/// hits; at most `max_results`.
pub fn search_paths(paths: Vec<PathBuf>, q: &Query, max_results: usize) -> Vec<SearchHit> {
    let mut hits: Vec<SearchHit> = paths
        .into_iter()
        .filter_map(|p| search_path(p, q))
        .collect();
    hits.sort_by(|a, b| {
        let ts = |h: &SearchHit| h.started().map(|t| t.timestamp_micros()).unwrap_or(0);
        ts(b).cmp(&ts(a)).then(b.hit_count.cmp(&a.hit_count))
    });
    hits.truncate(max_results);
    hits
}

/// `records search` as a whole: the logs of the last `days` days (by their day, see
/// [`super::session_day`]) under `roots` of `only` that harness (else of the four
/// gptme-sessions searches: gptme, Claude Code, Codex, Copilot), searched and ranked
/// as [`search_paths`] does.
pub fn search_recent(
    roots: &[crate::agents::HarnessRoot],
    only: Option<crate::model::Harness>,
    days: f64,
    q: &Query,
    max_results: usize,
) -> Vec<SearchHit> {
    use crate::model::Harness;
    let wanted = |h: Harness| match only {
        Some(o) => h == o,
        None => super::normalized::Format::of_harness(h).is_some(),
    };
    let found = super::discover::find_transcripts(
        roots,
        None,
        Some(crate::since::Since::days(days.max(0.0))),
        Utc::now(),
    );
    // gptme-sessions searches a gptme log by its folder (and names that path).
    let paths = found
        .into_iter()
        .filter(|f| wanted(f.harness) && f.facts.is_none())
        .map(|f| match super::normalized::Format::of_harness(f.harness) {
            Some(super::normalized::Format::Gptme) => match f.path.parent() {
                Some(folder) => folder.to_path_buf(),
                None => f.path,
            },
            _ => f.path,
        })
        .collect();
    search_paths(paths, q, max_results)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn snippets_take_120_characters_either_side_and_mark_cuts() {
        let q = Query::new("NEEDLE", false, None);
        let text = format!("{}needle{}", "é".repeat(200), "x\ny".repeat(100));
        let s = snippet(&text, &q.pattern).unwrap();
        assert!(s.starts_with('…') && s.ends_with('…'));
        assert_eq!(s.chars().count(), 120 + 6 + 120 + 2);
        assert!(!s.contains('\n'));
        assert_eq!(snippet("short needle", &q.pattern).unwrap(), "short needle");
    }
}
