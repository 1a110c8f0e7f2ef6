//! What every format's extractor shares: reading JSON fields the way the Python code
//! does (`d.get(k, "")`, truthiness, `_as_int`), the accumulator of tool calls,
//! writes, commits and retries, and the structured deliverable details
//! (gptme-sessions' `deliverables.py`).

use std::collections::{HashMap, HashSet, VecDeque};
use std::sync::LazyLock;

use chrono::{DateTime, FixedOffset};
use regex::Regex;

use crate::records::normalized::parse_iso;
use crate::records::pyjson::PyValue;

/// A git commit line in shell output: `[branch abc1234] message`.
pub(super) static COMMIT_RE: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"\[(?:master|main|[a-zA-Z0-9_/-]+)\s+([0-9a-f]{7,12})\]\s+(.+?)(?:\n|$)").unwrap()
});

/// `d.get(key)` when `d` is an object, else nothing.
pub(super) fn get<'a>(v: &'a PyValue, key: &str) -> Option<&'a PyValue> {
    v.get(key)
}

/// `d.get(key, "")` read as a string; any other type reads as empty.
pub(super) fn get_str<'a>(v: &'a PyValue, key: &str) -> &'a str {
    get(v, key).and_then(PyValue::as_str).unwrap_or("")
}

/// `d.get(key) or {}`: the value when it is truthy, else an empty object.
pub(super) fn get_or_empty<'a>(v: &'a PyValue, key: &str) -> &'a PyValue {
    static EMPTY: PyValue = PyValue::Dict(Vec::new());
    match get(v, key) {
        Some(x) if x.truthy() => x,
        _ => &EMPTY,
    }
}

/// `_as_int`: integers, and floats that are whole; never booleans.
pub(super) fn as_int(v: Option<&PyValue>) -> Option<i128> {
    match v? {
        PyValue::Int(i) => Some(*i),
        PyValue::Float(f) if f.is_finite() && f.fract() == 0.0 => Some(*f as i128),
        _ => None,
    }
}

/// A number as Python's `float(x)` reads one (booleans are 0/1).
pub(super) fn as_float(v: &PyValue) -> Option<f64> {
    match v {
        PyValue::Int(i) => Some(*i as f64),
        PyValue::Float(f) => Some(*f),
        PyValue::Bool(b) => Some(if *b { 1.0 } else { 0.0 }),
        PyValue::Str(s) => s.trim().parse::<f64>().ok(),
        _ => None,
    }
}

/// `s[:n]` on code points.
pub(super) fn head_chars(s: &str, n: usize) -> &str {
    match s.char_indices().nth(n) {
        Some((i, _)) => &s[..i],
        None => s,
    }
}

/// `s[-n:]` on code points.
pub(super) fn tail_chars(s: &str, n: usize) -> &str {
    let count = s.chars().count();
    if count <= n {
        return s;
    }
    match s.char_indices().nth(count - n) {
        Some((i, _)) => &s[i..],
        None => "",
    }
}

/// Python's `round(x, digits)`: the correctly rounded decimal, read back.
pub fn py_round(x: f64, digits: usize) -> f64 {
    if !x.is_finite() {
        return x;
    }
    format!("{x:.digits$}").parse().unwrap_or(x)
}

/// A record's `timestamp`, when it is an ISO 8601 string.
pub(super) fn timestamp_of(v: &PyValue) -> Option<DateTime<FixedOffset>> {
    let s = get(v, "timestamp")?.as_str()?;
    if s.is_empty() {
        return None;
    }
    parse_iso(s)
}

/// `list(dict.fromkeys(items))`.
pub(super) fn unique(items: impl IntoIterator<Item = String>) -> Vec<String> {
    let mut seen: HashSet<String> = HashSet::new();
    items
        .into_iter()
        .filter(|i| seen.insert(i.clone()))
        .collect()
}

/// `deliverables.deliverable_kind`.
pub(super) fn deliverable_kind(value: &str) -> &'static str {
    fn sha(v: &str) -> bool {
        let v = v.trim().to_lowercase();
        (7..=40).contains(&v.chars().count()) && v.chars().all(|c| c.is_ascii_hexdigit())
    }
    let s = value.trim();
    if s.starts_with("merge-commit (") && s.ends_with(')') {
        return "merge_commit";
    }
    if s.starts_with("merge PR #") || s.starts_with("PR #") || s.contains("/pull/") {
        return "pull_request";
    }
    if sha(s) {
        return "commit";
    }
    if s.ends_with(')') {
        if let Some(open) = s.rfind('(') {
            if sha(&s[open + 1..s.len() - 1]) {
                return "commit";
            }
        }
    }
    "file"
}

/// `build_deliverable_detail`: empty evidence values are dropped.
/// A deliverable detail whose kind is inferred from the value.
pub fn detail_of(value: &str, provenance: &str, evidence: Vec<(&str, PyValue)>) -> PyValue {
    detail(value, None, provenance, evidence)
}

pub(super) fn detail(
    value: &str,
    kind: Option<&str>,
    provenance: &str,
    evidence: Vec<(&str, PyValue)>,
) -> PyValue {
    let evidence = evidence
        .into_iter()
        .filter(|(_, v)| match v {
            PyValue::Null => false,
            PyValue::Str(x) => !x.is_empty(),
            PyValue::List(x) => !x.is_empty(),
            PyValue::Dict(x) => !x.is_empty(),
            _ => true,
        })
        .map(|(k, v)| (k.to_string(), v))
        .collect();
    PyValue::Dict(vec![
        ("value".into(), PyValue::Str(value.to_string())),
        (
            "kind".into(),
            PyValue::Str(kind.unwrap_or_else(|| deliverable_kind(value)).to_string()),
        ),
        ("provenance_class".into(), PyValue::Str(provenance.into())),
        ("evidence".into(), PyValue::Dict(evidence)),
    ])
}

pub(super) fn s(v: &str) -> PyValue {
    PyValue::Str(v.to_string())
}

/// The state an extractor builds while it walks the records.
#[derive(Default)]
pub(super) struct Acc {
    pub tool_calls: Vec<(String, i64)>,
    pub steps: i64,
    pub error_count: i64,
    pub git_commits: Vec<String>,
    pub file_writes: Vec<String>,
    pub journal_paths: Vec<String>,
    pub retry_count: i64,
    pub timestamps: Vec<DateTime<FixedOffset>>,
    recent_sigs: VecDeque<String>,
    /// The first detail recorded for each value.
    details: HashMap<String, PyValue>,
}

impl Acc {
    pub fn count_tool(&mut self, name: &str) {
        match self.tool_calls.iter_mut().find(|(n, _)| n == name) {
            Some((_, c)) => *c += 1,
            None => self.tool_calls.push((name.to_string(), 1)),
        }
    }

    /// Remember the first detail seen for a value.
    pub fn record_detail(
        &mut self,
        value: &str,
        kind: &str,
        provenance: &str,
        evidence: Vec<(&str, PyValue)>,
    ) {
        if value.is_empty() || self.details.contains_key(value) {
            return;
        }
        let d = detail(value, Some(kind), provenance, evidence);
        self.details.insert(value.to_string(), d);
    }

    /// A tool wrote `path` (not a journal): a write, its detail, and the retry check
    /// (the same tool on the same path among the last 20 writes).
    pub fn file_write(&mut self, tool: &str, path: &str) {
        self.file_writes.push(path.to_string());
        self.record_detail(
            path,
            "file",
            "tool_authored",
            vec![("source", s("trajectory")), ("tool_name", s(tool))],
        );
        let sig = format!("{tool}:{path}");
        if self.recent_sigs.contains(&sig) {
            self.retry_count += 1;
        }
        self.recent_sigs.push_back(sig);
        if self.recent_sigs.len() > 20 {
            self.recent_sigs.pop_front();
        }
    }

    /// A commit seen in a tool's output.
    pub fn commit(&mut self, hash: &str, message: &str, evidence: Vec<(&str, PyValue)>) {
        let value = format!("{} ({hash})", message.trim());
        self.git_commits.push(value.clone());
        self.record_detail(&value, "commit", "session_committed", evidence);
    }

    /// Every commit line in `text`, credited to `tool`.
    pub fn commits_in(&mut self, text: &str, tool: &str) {
        for c in COMMIT_RE.captures_iter(text) {
            self.commit(
                &c[1],
                &c[2],
                vec![("source", s("trajectory")), ("tool_name", s(tool))],
            );
        }
    }

    pub fn duration_s(&self) -> i64 {
        match (self.timestamps.iter().min(), self.timestamps.iter().max()) {
            (Some(a), Some(b)) if self.timestamps.len() >= 2 => (*b - *a).num_seconds(),
            _ => 0,
        }
    }

    /// `deliverables` (unique, in order) and one detail for each.
    pub fn deliverables(&self, values: Vec<String>) -> (Vec<String>, Vec<PyValue>) {
        let values = unique(values);
        let details = values
            .iter()
            .map(|v| match self.details.get(v) {
                Some(d) => d.clone(),
                None => detail(
                    v,
                    None,
                    "fallback_observed",
                    vec![("source", s("projection_fallback"))],
                ),
            })
            .collect();
        (values, details)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kinds_follow_the_python_rules() {
        assert_eq!(deliverable_kind("merge-commit (abc)"), "merge_commit");
        assert_eq!(deliverable_kind("merge PR #3"), "pull_request");
        assert_eq!(deliverable_kind("deadbeef"), "commit");
        assert_eq!(deliverable_kind("Fix it (deadbee)"), "commit");
        assert_eq!(deliverable_kind("src/x (copy)"), "file");
    }

    #[test]
    fn rounding_and_slicing_follow_python() {
        assert_eq!(py_round(0.70000001, 4), 0.7);
        assert_eq!(py_round(2.675, 2), 2.67); // the binary value is below the tie
        assert_eq!(head_chars("héllo", 2), "hé");
        assert_eq!(tail_chars("héllo", 4), "éllo");
        assert_eq!(tail_chars("hé", 4), "hé");
    }

    #[test]
    fn retries_are_the_same_write_again_within_twenty() {
        let mut a = Acc::default();
        a.file_write("save", "a.txt");
        a.file_write("save", "a.txt");
        a.file_write("patch", "a.txt");
        assert_eq!(a.retry_count, 1);
        for i in 0..20 {
            a.file_write("save", &format!("f{i}"));
        }
        a.file_write("save", "a.txt");
        assert_eq!(a.retry_count, 1);
    }
}
