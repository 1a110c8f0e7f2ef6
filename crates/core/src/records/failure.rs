//! Why a failed run failed, as gptme-sessions' `failure_capture.py` classifies it for
//! `post-session`: `timeout` (exit 124), `rate_limit`, `invalid_request`, `auth` (from
//! the last error-looking line of the trajectory), `pre_response_api_failure` (a quick
//! exit before any assistant turn), else `nonzero_exit_unclassified`.

use std::path::Path;
use std::sync::LazyLock;

use regex::Regex;

use super::pyjson::PyValue;

static ERROR_LINE: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?i)(error|exception|traceback|failed|rate.?limit|401|403|429|authentication)")
        .unwrap()
});

/// Python's `str.splitlines()` separators.
fn split_lines(s: &str) -> impl Iterator<Item = &str> {
    s.split(|c| {
        matches!(
            c,
            '\n' | '\r'
                | '\u{b}'
                | '\u{c}'
                | '\u{1c}'
                | '\u{1d}'
                | '\u{1e}'
                | '\u{85}'
                | '\u{2028}'
                | '\u{2029}'
        )
    })
}

/// The JSON objects of a trajectory read leniently (undecodable bytes replaced).
fn records(path: &Path) -> Vec<PyValue> {
    let Ok(bytes) = std::fs::read(path) else {
        return Vec::new();
    };
    let text = String::from_utf8_lossy(&bytes);
    text.split(['\n', '\r'])
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .filter_map(PyValue::parse)
        .filter(PyValue::is_dict)
        .collect()
}

fn truthy(v: Option<&PyValue>) -> Option<&PyValue> {
    v.filter(|x| x.truthy())
}

fn is_assistant(r: &PyValue) -> bool {
    r.get("role").and_then(PyValue::as_str) == Some("assistant")
        || r.get("type").and_then(PyValue::as_str) == Some("assistant")
}

fn has_any_content(r: &PyValue) -> bool {
    if truthy(r.get("content")).is_some() || truthy(r.get("text")).is_some() {
        return true;
    }
    truthy(r.get("message"))
        .and_then(|m| m.get("content"))
        .is_some_and(PyValue::truthy)
}

fn content_text(r: &PyValue) -> String {
    if let Some(c) = truthy(r.get("content")).or_else(|| truthy(r.get("text"))) {
        return c.py_str();
    }
    match truthy(r.get("message")).and_then(|m| truthy(m.get("content"))) {
        Some(PyValue::List(blocks)) => blocks
            .iter()
            .filter(|b| b.is_dict())
            .filter_map(|b| truthy(b.get("text")).map(PyValue::py_str))
            .filter(|t| !t.is_empty())
            .collect::<Vec<_>>()
            .join(" "),
        Some(other) => other.py_str(),
        None => String::new(),
    }
}

/// `(failure_reason, error)` of a run that exited with `exit_code` (none for 0).
pub fn capture(
    exit_code: i64,
    duration_seconds: i64,
    input_tokens: Option<i64>,
    trajectory: Option<&Path>,
) -> (Option<String>, Option<String>) {
    if exit_code == 0 {
        return (None, None);
    }
    let recs = trajectory
        .filter(|p| p.is_file())
        .map(records)
        .unwrap_or_default();
    let has_assistant = recs.iter().any(|r| is_assistant(r) && has_any_content(r));
    let mut error_text: Option<String> = None;
    for r in &recs {
        let content = content_text(r);
        for part in split_lines(&content) {
            let part = part.trim();
            if !part.is_empty() && ERROR_LINE.is_match(part) {
                error_text = Some(part.chars().take(500).collect());
            }
        }
    }
    let reason = classify(
        exit_code,
        duration_seconds,
        input_tokens,
        has_assistant,
        error_text.as_deref(),
    );
    let detail = match error_text {
        None if reason == "pre_response_api_failure" => {
            Some("exit before first assistant response (input_tokens=0)".to_string())
        }
        other => other,
    };
    (Some(reason.to_string()), detail)
}

fn classify(
    exit_code: i64,
    duration_seconds: i64,
    input_tokens: Option<i64>,
    has_assistant: bool,
    error: Option<&str>,
) -> &'static str {
    if exit_code == 124 {
        return "timeout";
    }
    if let Some(e) = error.filter(|e| !e.is_empty()) {
        let lower = e.to_lowercase();
        if (lower.contains("rate") && lower.contains("limit")) || e.contains("429") {
            return "rate_limit";
        }
        if lower.contains("invalid_request_error") {
            return "invalid_request";
        }
        if lower.contains("authentication")
            || lower.contains("unauthorized")
            || e.contains("401")
            || e.contains("403")
        {
            return "auth";
        }
    }
    let no_tokens = !has_assistant && input_tokens.is_none_or(|t| t == 0);
    if exit_code != 0 && no_tokens && duration_seconds < 120 {
        return "pre_response_api_failure";
    }
    "nonzero_exit_unclassified"
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reasons() {
        assert_eq!(capture(0, 5, None, None), (None, None));
        assert_eq!(capture(124, 5, None, None).0.as_deref(), Some("timeout"));
        assert_eq!(
            capture(1, 5, None, None),
            (
                Some("pre_response_api_failure".into()),
                Some("exit before first assistant response (input_tokens=0)".into())
            )
        );
        assert_eq!(
            capture(1, 500, None, None).0.as_deref(),
            Some("nonzero_exit_unclassified")
        );
        let dir = tempfile::tempdir().unwrap();
        let t = dir.path().join("t.jsonl");
        std::fs::write(
            &t,
            "{\"role\":\"assistant\",\"content\":\"ok\"}\n{\"role\":\"system\",\"content\":\"Error: 429 Too Many Requests\\nretrying\"}\n[1]\n\u{ff}",
        )
        .unwrap();
        assert_eq!(
            capture(1, 5, Some(10), Some(&t)),
            (
                Some("rate_limit".into()),
                Some("Error: 429 Too Many Requests".into())
            )
        );
    }
}
