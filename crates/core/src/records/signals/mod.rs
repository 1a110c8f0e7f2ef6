//! Productivity signals of one agent trajectory, as gptme-sessions' `signals` command
//! and its post-session pipeline compute them: tool calls, steps, errors, commits,
//! file writes, GitHub work, duration, deliverables with their provenance, token usage
//! and timings — and from those a grade, a productive/noop call and a category.
//! No model is asked; everything comes from the transcript (plus `git diff-tree` and
//! `gh pr view` where gptme-sessions asks them too).
//!
//! - [`common`]: the field readers and the accumulator the extractors share;
//! - [`gptme`], [`cc`], [`codex`], [`copilot`], [`grok`]: one extractor per format;
//! - [`usage`]: tokens, bytes and timings;
//! - [`grade`]: grade, productive, category;
//! - [`external`]: the files and commands read outside the transcript.
//!
//! [`Analysis::to_py`] is the `--json` object, keys in gptme-sessions' order.

mod cc;
mod codex;
pub mod common;
mod copilot;
mod external;
mod gptme;
pub mod grade;
mod grok;
mod usage;

use std::path::{Path, PathBuf};

use crate::records::pyjson::PyValue;

/// The trajectory formats gptme-sessions tells apart.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Format {
    #[default]
    Gptme,
    ClaudeCode,
    Codex,
    Copilot,
    Grok,
}

impl Format {
    pub fn as_str(self) -> &'static str {
        match self {
            Format::Gptme => "gptme",
            Format::ClaudeCode => "claude_code",
            Format::Codex => "codex",
            Format::Copilot => "copilot",
            Format::Grok => "grok",
        }
    }

    /// `detect_format`: Codex, Copilot and Grok by their first record, then gptme by
    /// any `role`, Claude Code by any user/assistant/result record; gptme otherwise.
    pub fn detect(msgs: &[PyValue]) -> Format {
        use common::{get_or_empty, get_str};
        if let Some(first) = msgs.first() {
            match get_str(first, "type") {
                "session_meta"
                    if matches!(
                        get_str(get_or_empty(first, "payload"), "originator"),
                        "codex_exec" | "codex_interactive"
                    ) =>
                {
                    return Format::Codex
                }
                "session.start"
                    if get_str(get_or_empty(first, "data"), "producer") == "copilot-agent" =>
                {
                    return Format::Copilot
                }
                "available_commands" => return Format::Grok,
                _ => {}
            }
        }
        for m in msgs {
            if m.get("role").is_some() {
                return Format::Gptme;
            }
            if matches!(get_str(m, "type"), "user" | "assistant" | "result") {
                return Format::ClaudeCode;
            }
        }
        Format::Gptme
    }
}

/// Per-tool wall time of Claude Code sessions (seconds, one decimal).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ToolTiming {
    pub total_s: f64,
    pub total: Vec<(String, f64)>,
    pub max: Vec<(String, f64)>,
}

/// GitHub CLI work seen in Claude Code sessions.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct GhSignals {
    pub gh_interactions: i64,
    pub prs_submitted: Vec<String>,
    pub pr_merges: Vec<String>,
    pub issues_closed: i64,
    pub reviews_submitted: i64,
    pub comments_posted: i64,
    pub issues_created: i64,
    pub ci_fixed: bool,
}

/// What one extractor found. Fields a format does not produce are `None`.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Signals {
    pub format: Format,
    /// Calls per tool, in first-seen order.
    pub tool_calls: Vec<(String, i64)>,
    pub steps: i64,
    pub error_count: i64,
    pub warning_phrase_count: Option<i64>,
    pub git_commits: Vec<String>,
    pub file_writes: Vec<String>,
    pub journal_paths: Vec<String>,
    /// `None` for Grok logs, which carry no timestamps.
    pub session_duration_s: Option<i64>,
    pub timing: Option<ToolTiming>,
    pub retry_count: i64,
    pub gh: Option<GhSignals>,
    pub deliverables: Vec<String>,
    /// One `{value, kind, provenance_class, evidence}` object per deliverable.
    pub deliverable_details: Vec<PyValue>,
    pub summarizer_fired: Option<bool>,
}

impl Signals {
    fn from_acc(a: common::Acc) -> Signals {
        Signals {
            tool_calls: a.tool_calls,
            steps: a.steps,
            error_count: a.error_count,
            git_commits: a.git_commits,
            file_writes: a.file_writes,
            journal_paths: common::unique(a.journal_paths),
            retry_count: a.retry_count,
            ..Signals::default()
        }
    }

    /// The signal keys of the JSON object, in gptme-sessions' order for the format.
    fn push_py(&self, d: &mut Vec<(String, PyValue)>) {
        let strs = |v: &[String]| PyValue::List(v.iter().cloned().map(PyValue::Str).collect());
        let int = |i: i64| PyValue::Int(i128::from(i));
        let mut put = |k: &str, v: PyValue| d.push((k.to_string(), v));
        put(
            "tool_calls",
            PyValue::Dict(
                self.tool_calls
                    .iter()
                    .map(|(k, n)| (k.clone(), int(*n)))
                    .collect(),
            ),
        );
        put("steps", int(self.steps));
        put("error_count", int(self.error_count));
        if let Some(w) = self.warning_phrase_count {
            put("warning_phrase_count", int(w));
        }
        put("git_commits", strs(&self.git_commits));
        put("file_writes", strs(&self.file_writes));
        put("journal_paths", strs(&self.journal_paths));
        put(
            "session_duration_s",
            self.session_duration_s.map_or(PyValue::Null, int),
        );
        if let Some(t) = &self.timing {
            let floats = |v: &[(String, f64)]| {
                PyValue::Dict(
                    v.iter()
                        .map(|(k, x)| (k.clone(), PyValue::Float(*x)))
                        .collect(),
                )
            };
            put("total_tool_time_s", PyValue::Float(t.total_s));
            put("tool_time_total", floats(&t.total));
            put("tool_time_max", floats(&t.max));
        }
        put("retry_count", int(self.retry_count));
        if let Some(g) = &self.gh {
            put("gh_interactions", int(g.gh_interactions));
            put("prs_submitted", strs(&g.prs_submitted));
            put("pr_merges", strs(&g.pr_merges));
            put("issues_closed", int(g.issues_closed));
            put("reviews_submitted", int(g.reviews_submitted));
            put("comments_posted", int(g.comments_posted));
            put("issues_created", int(g.issues_created));
            put("ci_fixed", PyValue::Bool(g.ci_fixed));
        }
        put("deliverables", strs(&self.deliverables));
        put(
            "deliverable_details",
            PyValue::List(self.deliverable_details.clone()),
        );
        if let Some(f) = self.summarizer_fired {
            put("summarizer_fired", PyValue::Bool(f));
        }
    }

    pub fn total_tools(&self) -> i64 {
        self.tool_calls.iter().map(|(_, n)| n).sum()
    }
}

/// Signals plus what is judged from them.
#[derive(Debug, Clone, PartialEq)]
pub struct Analysis {
    pub signals: Signals,
    pub productive: bool,
    /// Rounded to 4 decimals.
    pub grade: f64,
    pub inferred_category: Option<String>,
    /// The `usage` object; empty when the log has no usage.
    pub usage: Vec<(String, PyValue)>,
    /// gptme's `timings` object; empty when absent.
    pub timings: Vec<(String, PyValue)>,
}

impl Analysis {
    /// `extract_from_path`'s result as the `signals --json` object.
    pub fn to_py(&self) -> PyValue {
        let mut d = Vec::new();
        self.signals.push_py(&mut d);
        d.push((
            "format".into(),
            PyValue::Str(self.signals.format.as_str().into()),
        ));
        d.push(("productive".into(), PyValue::Bool(self.productive)));
        d.push(("grade".into(), PyValue::Float(self.grade)));
        d.push((
            "inferred_category".into(),
            self.inferred_category
                .clone()
                .map_or(PyValue::Null, PyValue::Str),
        ));
        if !self.usage.is_empty() {
            d.push(("usage".into(), PyValue::Dict(self.usage.clone())));
        }
        if !self.timings.is_empty() {
            d.push(("timings".into(), PyValue::Dict(self.timings.clone())));
        }
        PyValue::Dict(d)
    }

    /// A key of `usage`.
    pub fn usage(&self, key: &str) -> Option<&PyValue> {
        self.usage.iter().find(|(k, _)| k == key).map(|(_, v)| v)
    }

    /// A key of `timings`.
    pub fn timing(&self, key: &str) -> Option<&PyValue> {
        self.timings.iter().find(|(k, _)| k == key).map(|(_, v)| v)
    }
}

/// Why a trajectory could not be read.
#[derive(Debug, thiserror::Error)]
pub enum TrajectoryError {
    #[error("{0} not found")]
    NotFound(PathBuf),
    #[error("{0} is a directory and does not contain conversation.jsonl")]
    DirectoryWithoutConversation(PathBuf),
    #[error("cannot read {0}: permission denied")]
    PermissionDenied(PathBuf),
    #[error("{0} contains non-UTF-8 content")]
    NotUtf8(PathBuf),
    #[error("cannot read {path}: {source}")]
    Io {
        path: PathBuf,
        source: std::io::Error,
    },
}

/// The records of a JSONL trajectory: lines split as Python's text mode splits them
/// (`\n`, `\r\n`, `\r`), blank and non-JSON lines skipped, and lines that are JSON but
/// not objects skipped too (the Python tool stops with a traceback on those).
pub fn parse_trajectory(path: &Path) -> Result<Vec<PyValue>, TrajectoryError> {
    let bytes = std::fs::read(path).map_err(|e| match e.kind() {
        std::io::ErrorKind::NotFound => TrajectoryError::NotFound(path.to_path_buf()),
        std::io::ErrorKind::PermissionDenied => {
            TrajectoryError::PermissionDenied(path.to_path_buf())
        }
        _ => TrajectoryError::Io {
            path: path.to_path_buf(),
            source: e,
        },
    })?;
    let text =
        std::str::from_utf8(&bytes).map_err(|_| TrajectoryError::NotUtf8(path.to_path_buf()))?;
    Ok(parse_lines(text))
}

/// [`parse_trajectory`] on text already read.
pub fn parse_lines(text: &str) -> Vec<PyValue> {
    text.split('\n')
        .flat_map(|l| l.split('\r'))
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .filter_map(PyValue::parse)
        .filter(PyValue::is_dict)
        .collect()
}

/// Signals, usage and grade of parsed records.
pub fn analyze(msgs: &[PyValue]) -> Analysis {
    let format = Format::detect(msgs);
    let (signals, usage) = match format {
        Format::ClaudeCode => (cc::extract(msgs), usage::claude_code(msgs)),
        Format::Codex => (codex::extract(msgs), usage::codex(msgs)),
        Format::Copilot => (copilot::extract(msgs), usage::copilot(msgs)),
        Format::Grok => (grok::extract(msgs), usage::grok(msgs)),
        Format::Gptme => (gptme::extract(msgs), usage::gptme(msgs)),
    };
    let committed = external::committed_files(&signals.git_commits);
    let inferred_category = grade::infer_category(&signals, &committed);
    let g = grade::grade_signals(&signals, inferred_category.as_deref());
    let timings = if format == Format::Gptme {
        usage::timings(msgs)
    } else {
        Vec::new()
    };
    Analysis {
        productive: grade::is_productive(&signals),
        grade: common::py_round(g, 4),
        inferred_category,
        usage,
        timings,
        signals,
    }
}

/// `extract_from_path`: a JSONL file, or a gptme log folder holding
/// `conversation.jsonl`.
pub fn analyze_path(path: &Path) -> Result<Analysis, TrajectoryError> {
    let file = if path.is_dir() {
        let c = path.join("conversation.jsonl");
        if !c.exists() {
            return Err(TrajectoryError::DirectoryWithoutConversation(
                path.to_path_buf(),
            ));
        }
        c
    } else {
        path.to_path_buf()
    };
    Ok(analyze(&parse_trajectory(&file)?))
}

#[cfg(test)]
mod tests;
