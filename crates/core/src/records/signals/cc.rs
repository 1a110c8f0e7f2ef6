//! Signals of a Claude Code session log: `tool_use` items of assistant records,
//! `tool_result` items of user records, GitHub CLI work (PRs created, merged, issues
//! closed, reviews, comments, CI failures fixed) and per-tool timing.

use std::collections::{HashMap, HashSet};
use std::path::Path;
use std::sync::LazyLock;

use regex::Regex;

use super::common::{
    get, get_or_empty, get_str, head_chars, s, tail_chars, timestamp_of, Acc, COMMIT_RE,
};
use super::external;
use super::{Format, GhSignals, Signals, ToolTiming};
use crate::records::pyjson::PyValue;

fn re(p: &str) -> Regex {
    Regex::new(p).unwrap()
}

static WARNING_PHRASE: LazyLock<Regex> =
    LazyLock::new(|| re(r"error:|\bfailed\b|\bfailures?\b|\btraceback\b|\bexception\b"));
static BG_TASK: LazyLock<Regex> = LazyLock::new(|| re(r"Output is being written to: (.+\.output)"));
static PR_MERGE_OUT: LazyLock<Regex> =
    LazyLock::new(|| re(r"(?:Squashed and merged|Rebased and merged|Merged) pull request #(\d+)"));
static GH_INTERACTION: LazyLock<Regex> = LazyLock::new(|| {
    re(concat!(
        r"gh\s+(?:",
        r"pr\s+(?:review|comment|close|reopen|merge|edit)",
        r"|issue\s+(?:comment|close|reopen|edit|create)",
        r"|api\s+repos/[^\s]+/(?:pulls|issues)/\d+/(?:comments|reviews)",
        r")"
    ))
});
static PR_CREATE_CMD: LazyLock<Regex> = LazyLock::new(|| re(r"\bgh\s+pr\s+create\b"));
static ISSUE_CLOSE_CMD: LazyLock<Regex> = LazyLock::new(|| re(r"\bgh\s+issue\s+close\b"));
static PR_MERGE_CMD: LazyLock<Regex> = LazyLock::new(|| re(r"\bgh\s+pr\s+merge\b"));
static REPO_FLAG: LazyLock<Regex> =
    LazyLock::new(|| re(r"--repo[=\s]+([A-Za-z0-9_.-]+/[A-Za-z0-9_.-]+)"));
static PR_MERGE_NUM: LazyLock<Regex> =
    LazyLock::new(|| re(r"\bgh\s+pr\s+merge\s+(?:--?\S+(?:\s+[^-\d]\S*)?\s+)*(\d+)"));
static PR_URL: LazyLock<Regex> =
    LazyLock::new(|| re(r"https://github\.com/([^/\s]+/[^/\s]+)/pull/(\d+)"));
static PR_REVIEW_CMD: LazyLock<Regex> = LazyLock::new(|| re(r"gh\s+pr\s+review\b"));
static COMMENT_CMD: LazyLock<Regex> = LazyLock::new(|| {
    re(r"gh\s+(?:pr|issue)\s+comment\b|gh\s+api\s+repos/[^\s]+/(?:pulls|issues)/\d+/comments\b")
});
static ISSUE_CREATE_CMD: LazyLock<Regex> = LazyLock::new(|| re(r"\bgh\s+issue\s+create\b"));
static CI_LOG_CMD: LazyLock<Regex> = LazyLock::new(|| re(r"gh\s+run\s+view\b.*--log-failed"));
static HEREDOC_JOURNAL: LazyLock<Regex> =
    LazyLock::new(|| re(r"(?m)cat\s*>>?\s*(.*?\.md)(?:\s+<<|\s*$)"));
static SHELL_VAR: LazyLock<Regex> = LazyLock::new(|| re(r"\$\{[^}]+\}"));

const WRITE_TOOLS: [&str; 3] = ["Write", "Edit", "NotebookEdit"];

/// A Python int from a `\d+` match (Unicode digits included).
fn py_int(digits: &str) -> Option<u64> {
    let ascii: String = digits
        .chars()
        .map(|c| {
            c.to_digit(10)
                .and_then(|d| char::from_digit(d, 10))
                .unwrap_or(c)
        })
        .collect();
    ascii.parse().ok()
}

/// `str(result content)`: a string, or the blocks' texts joined by spaces.
fn result_text(item: &PyValue) -> String {
    match get(item, "content") {
        None => String::new(),
        Some(PyValue::List(blocks)) => blocks
            .iter()
            .map(|c| match c {
                PyValue::Dict(_) => match get(c, "text") {
                    Some(t) => t.py_str(),
                    None => c.py_str(),
                },
                other => other.py_str(),
            })
            .collect::<Vec<_>>()
            .join(" "),
        Some(v) => v.py_str(),
    }
}

/// Journal files a Bash command writes through `cat > …/journal/….md`, resolved
/// against the session's last timestamp and the files on disk.
fn heredoc_journals(cmd: &str, a: &Acc) -> Vec<String> {
    let mut out = Vec::new();
    for m in HEREDOC_JOURNAL.captures_iter(cmd) {
        let mut jpath = m[1].trim().to_string();
        if !jpath.contains("/journal/") {
            continue;
        }
        let latest = a.timestamps.iter().max();
        if jpath.contains("$(") {
            if let Some(ts) = latest {
                for (pat, rep) in [
                    ("$(date +%Y-%m-%d)", ts.format("%Y-%m-%d").to_string()),
                    ("$(date +%H%M)", ts.format("%H%M").to_string()),
                ] {
                    jpath = jpath.replace(&format!("\\{pat}"), &rep);
                    jpath = jpath.replace(pat, &rep);
                }
            }
        }
        if jpath.contains("${") {
            let pattern = SHELL_VAR.replace_all(&jpath, "*").to_string();
            let end = latest.map_or(0.0, |t| t.timestamp_millis() as f64 / 1000.0);
            match external::glob_nearest(&pattern, end) {
                Some(found) => jpath = found,
                None => continue,
            }
        } else if jpath.contains("$(") {
            continue;
        }
        if Path::new(&jpath).is_file() {
            out.push(jpath);
        }
    }
    out
}

pub(super) fn extract(msgs: &[PyValue]) -> Signals {
    let mut a = Acc::default();
    let mut warnings = 0i64;
    let mut gh = GhSignals::default();
    let mut tool_name_of: HashMap<String, String> = HashMap::new();
    let mut dispatch: HashMap<String, (String, chrono::DateTime<chrono::FixedOffset>, usize)> =
        HashMap::new();
    let mut durations: Vec<(String, Vec<f64>)> = Vec::new();
    let mut pr_create_pending: HashSet<String> = HashSet::new();
    let mut issue_close_pending: HashSet<String> = HashSet::new();
    let mut ci_pending: HashSet<String> = HashSet::new();
    let mut ci_failure_found = false;
    let mut merge_pending: HashSet<String> = HashSet::new();
    let mut seen_hashes: HashSet<String> = HashSet::new();
    let mut pr_context: HashMap<u64, String> = HashMap::new();
    let mut merge_repo: HashMap<String, String> = HashMap::new();
    let mut merge_num: HashMap<String, u64> = HashMap::new();

    for record in msgs {
        let ts = timestamp_of(record);
        if let Some(t) = ts {
            a.timestamps.push(t);
        }
        match get_str(record, "type") {
            "assistant" => {
                let Some(PyValue::List(content)) = get(get_or_empty(record, "message"), "content")
                else {
                    continue;
                };
                let mut step_has_tool = false;
                let mut dispatch_ids: Vec<(String, String)> = Vec::new();
                for item in content {
                    if !item.is_dict() || get_str(item, "type") != "tool_use" {
                        continue;
                    }
                    let tool = get_str(item, "name");
                    if tool.is_empty() {
                        continue;
                    }
                    a.count_tool(tool);
                    step_has_tool = true;
                    let tool_id = get_str(item, "id").to_string();
                    if !tool_id.is_empty() {
                        tool_name_of.insert(tool_id.clone(), tool.to_string());
                        if ts.is_some() {
                            dispatch_ids.push((tool_id.clone(), tool.to_string()));
                        }
                    }
                    let input = get(item, "input").unwrap_or(&PyValue::Null);
                    if WRITE_TOOLS.contains(&tool) {
                        let key = if tool == "NotebookEdit" {
                            "notebook_path"
                        } else {
                            "file_path"
                        };
                        let path = get_str(input, key);
                        if !path.is_empty() {
                            if path.contains("/journal/") {
                                a.journal_paths.push(path.to_string());
                            } else {
                                a.file_write(tool, path);
                            }
                        }
                    } else if tool == "Bash" {
                        let cmd = get_str(input, "command");
                        if GH_INTERACTION.is_match(cmd) {
                            gh.gh_interactions += 1;
                        }
                        if PR_REVIEW_CMD.is_match(cmd) {
                            gh.reviews_submitted += 1;
                        }
                        if COMMENT_CMD.is_match(cmd) {
                            gh.comments_posted += 1;
                        }
                        if ISSUE_CREATE_CMD.is_match(cmd) {
                            gh.issues_created += 1;
                        }
                        if !tool_id.is_empty() {
                            if PR_CREATE_CMD.is_match(cmd) {
                                pr_create_pending.insert(tool_id.clone());
                            }
                            if ISSUE_CLOSE_CMD.is_match(cmd) {
                                issue_close_pending.insert(tool_id.clone());
                            }
                            if CI_LOG_CMD.is_match(cmd) {
                                ci_pending.insert(tool_id.clone());
                            }
                            if PR_MERGE_CMD.is_match(cmd) {
                                merge_pending.insert(tool_id.clone());
                                if let Some(m) = REPO_FLAG.captures(cmd) {
                                    merge_repo.insert(tool_id.clone(), m[1].to_string());
                                }
                                if let Some(n) =
                                    PR_MERGE_NUM.captures(cmd).and_then(|m| py_int(&m[1]))
                                {
                                    merge_num.insert(tool_id.clone(), n);
                                }
                            }
                        }
                        if cmd.contains("/journal/") {
                            let found = heredoc_journals(cmd, &a);
                            a.journal_paths.extend(found);
                        }
                    }
                }
                if let Some(t) = ts {
                    let n = dispatch_ids.len();
                    for (id, tool) in dispatch_ids {
                        dispatch.insert(id, (tool, t, n));
                    }
                }
                if step_has_tool {
                    a.steps += 1;
                }
            }
            "user" => {
                let Some(PyValue::List(content)) = get(get_or_empty(record, "message"), "content")
                else {
                    continue;
                };
                for item in content {
                    if !item.is_dict() || get_str(item, "type") != "tool_result" {
                        continue;
                    }
                    let id = get_str(item, "tool_use_id").to_string();
                    if let Some(t) = ts {
                        if let Some((name, at, n)) = dispatch.remove(&id) {
                            let secs = (t - at).num_microseconds().unwrap_or(i64::MAX) as f64
                                / 1e6
                                / n.max(1) as f64;
                            if secs >= 0.0 {
                                match durations.iter_mut().find(|(k, _)| *k == name) {
                                    Some((_, v)) => v.push(secs),
                                    None => durations.push((name, vec![secs])),
                                }
                            }
                        }
                    }
                    if get(item, "is_error").is_some_and(PyValue::truthy) {
                        a.error_count += 1;
                        continue;
                    }
                    let text = result_text(item);
                    let scan = if text.chars().count() <= 4000 {
                        text.to_lowercase()
                    } else {
                        format!("{}\n{}", head_chars(&text, 2000), tail_chars(&text, 2000))
                            .to_lowercase()
                    };
                    warnings += WARNING_PHRASE.find_iter(&scan).count() as i64;

                    if tool_name_of.get(&id).map(String::as_str) == Some("Bash") {
                        for c in COMMIT_RE.captures_iter(&text) {
                            if seen_hashes.insert(c[1].to_string()) {
                                a.commit(
                                    &c[1],
                                    &c[2],
                                    vec![("source", s("trajectory")), ("tool_name", s("Bash"))],
                                );
                            }
                        }
                        for bg in BG_TASK.captures_iter(&text) {
                            let Some(body) = external::read_lossy(&bg[1]) else {
                                continue;
                            };
                            for c in COMMIT_RE.captures_iter(&body) {
                                if seen_hashes.insert(c[1].to_string()) {
                                    a.commit(
                                        &c[1],
                                        &c[2],
                                        vec![
                                            ("source", s("trajectory")),
                                            ("tool_name", s("Bash")),
                                            ("background", PyValue::Bool(true)),
                                        ],
                                    );
                                }
                            }
                        }
                        if merge_pending.remove(&id) {
                            let repo = merge_repo.remove(&id);
                            let stashed = merge_num.remove(&id);
                            for m in PR_MERGE_OUT.captures_iter(&text) {
                                let num = &m[1];
                                gh.pr_merges.push(format!("PR #{num}"));
                                a.record_detail(
                                    &format!("merge PR #{num}"),
                                    "pull_request",
                                    "session_committed",
                                    vec![
                                        ("source", s("trajectory")),
                                        ("tool_name", s("Bash")),
                                        ("action", s("gh_pr_merge")),
                                    ],
                                );
                                if let (Some(r), Some(n)) = (&repo, py_int(num)) {
                                    pr_context.entry(n).or_insert_with(|| r.clone());
                                }
                            }
                            if let (Some(n), Some(r)) = (stashed, &repo) {
                                pr_context.entry(n).or_insert_with(|| r.clone());
                            }
                        }
                        if pr_create_pending.remove(&id) {
                            if let Some(m) = PR_URL.captures(&text) {
                                gh.prs_submitted.push(format!("PR #{}", &m[2]));
                                if let Some(n) = py_int(&m[2]) {
                                    pr_context.insert(n, m[1].to_string());
                                }
                            }
                        }
                        if issue_close_pending.remove(&id) {
                            gh.issues_closed += 1;
                        }
                        if ci_pending.remove(&id) {
                            let actual = match BG_TASK.captures(&text) {
                                Some(bg) => external::read_lossy(&bg[1]).unwrap_or_default(),
                                None => text.clone(),
                            };
                            if !actual.trim().is_empty() {
                                ci_failure_found = true;
                            }
                        }
                    }
                }
            }
            _ => {}
        }
    }

    gh.ci_fixed = ci_failure_found && !a.git_commits.is_empty();
    for sha in external::merge_shas(&gh.pr_merges, &pr_context) {
        let entry = format!("merge-commit ({sha})");
        if !a.git_commits.contains(&entry) {
            a.git_commits.push(entry.clone());
        }
        a.record_detail(
            &entry,
            "merge_commit",
            "server_generated",
            vec![("source", s("gh_api")), ("action", s("gh_pr_merge"))],
        );
    }
    let values = a
        .git_commits
        .iter()
        .cloned()
        .chain(gh.pr_merges.iter().map(|m| format!("merge {m}")))
        .chain(a.file_writes.iter().cloned())
        .collect();
    let (deliverables, details) = a.deliverables(values);

    let mut timing = ToolTiming::default();
    let mut total = 0.0;
    for (name, d) in &durations {
        let sum = super::common::py_round(d.iter().sum::<f64>(), 1);
        let max = super::common::py_round(d.iter().cloned().fold(f64::MIN, f64::max), 1);
        timing.total.push((name.clone(), sum));
        timing.max.push((name.clone(), max));
        total += sum;
    }
    timing.total_s = super::common::py_round(total, 1);

    Signals {
        format: Format::ClaudeCode,
        session_duration_s: Some(a.duration_s()),
        warning_phrase_count: Some(warnings),
        timing: Some(timing),
        gh: Some(gh),
        deliverables,
        deliverable_details: details,
        summarizer_fired: None,
        ..Signals::from_acc(a)
    }
}
