//! From signals to a judgement, as gptme-sessions computes it: the graded reward
//! (`grade_signals`), the binary productive/noop call (`is_productive`) and the work
//! category inferred from commit messages and written paths (`infer_category`).

use std::sync::LazyLock;

use regex::Regex;

use super::Signals;

/// Categories whose main output is not commits (reviews, triage, research…).
const NON_COMMIT_CATEGORIES: [&str; 5] =
    ["pm-react", "research", "triage", "social", "self-review"];

/// The graded reward in 0.0–1.0 (not yet rounded).
pub fn grade_signals(s: &Signals, category: Option<&str>) -> f64 {
    let commits = s.git_commits.len() as f64;
    let writes = unique_count(&s.file_writes);
    let errors = s.error_count as f64;
    let total_tools: i64 = s.tool_calls.iter().map(|(_, n)| n).sum();
    let has_complete = s.tool_calls.iter().any(|(n, _)| n == "complete");
    let gh = s.gh.clone().unwrap_or_default();
    let effective = commits
        + 1.5 * gh.pr_merges.len() as f64
        + 1.2 * gh.prs_submitted.len() as f64
        + 0.4 * gh.issues_closed as f64
        + 0.8 * f64::from(u8::from(gh.ci_fixed));
    let non_commit = category.is_some_and(|c| NON_COMMIT_CATEGORIES.contains(&c));
    let interactions = gh.gh_interactions;

    let mut reward = if effective == 0.0 && writes == 0 && interactions == 0 {
        if total_tools == 0 {
            0.10
        } else if non_commit {
            0.35
        } else {
            0.25
        }
    } else if effective == 0.0 {
        let effective_writes = writes as i64 + interactions;
        if effective_writes >= 3 || (non_commit && effective_writes >= 1) {
            0.55
        } else {
            0.40
        }
    } else if effective < 1.5 {
        0.60
    } else if effective < 2.5 {
        0.70
    } else if effective < 3.5 {
        0.78
    } else {
        f64::min(0.92, 0.80 + 0.03 * (effective - 4.0))
    };
    if total_tools > 0 {
        let rate = errors / total_tools as f64;
        if rate > 0.15 {
            reward -= 0.10;
        } else if rate > 0.05 {
            reward -= 0.05;
        }
    }
    if s.retry_count >= 3 {
        reward -= 0.08;
    } else if s.retry_count >= 1 {
        reward -= 0.03;
    }
    if has_complete {
        reward += 0.03;
    }
    reward.clamp(0.0, 1.0)
}

fn unique_count(items: &[String]) -> usize {
    let set: std::collections::HashSet<&String> = items.iter().collect();
    set.len()
}

/// Any commit, 2+ distinct files written, or GitHub work that moved something.
pub fn is_productive(s: &Signals) -> bool {
    let gh = s.gh.clone().unwrap_or_default();
    !s.git_commits.is_empty()
        || unique_count(&s.file_writes) >= 2
        || gh.gh_interactions >= 1
        || !gh.prs_submitted.is_empty()
        || !gh.pr_merges.is_empty()
        || gh.issues_closed >= 1
        || gh.ci_fixed
}

const CASCADE_CATEGORIES: [&str; 16] = [
    "code",
    "infrastructure",
    "content",
    "triage",
    "cross-repo",
    "self-review",
    "strategic",
    "research",
    "monitoring",
    "social",
    "news",
    "cleanup",
    "pm-react",
    "knowledge",
    "coordination",
    "novelty",
];

fn prefix_category(prefix: &str) -> Option<&'static str> {
    Some(match prefix {
        "feat" | "fix" | "refactor" | "perf" | "test" | "style" => "code",
        "ci" | "build" => "infrastructure",
        "docs" => "content",
        _ => return None,
    })
}

fn scope_category(scope: &str) -> Option<&'static str> {
    Some(match scope {
        "lessons" | "lesson" => "knowledge",
        "tasks" => "triage",
        "standup" | "orchestration" => "coordination",
        "scripts" | "hooks" | "ci" => "infrastructure",
        _ => return None,
    })
}

/// `segment` is a whole directory component of `p`.
fn dir_in_path(segment: &str, p: &str) -> bool {
    p.split('/').any(|part| part == segment)
}

static SCOPED: LazyLock<Regex> = LazyLock::new(|| Regex::new(r"^(\w+)\(([^)]+)\)").unwrap());
static PREFIX: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"^(feat|fix|refactor|perf|test|ci|build|docs|style)\b").unwrap());

fn add(votes: &mut Vec<(String, i64)>, cat: &str, n: i64) {
    match votes.iter_mut().find(|(c, _)| c == cat) {
        Some((_, v)) => *v += n,
        None => votes.push((cat.to_string(), n)),
    }
}

/// The work category, from conventional-commit prefixes and scopes, the files the
/// commits changed (`committed`, weighted double) and the files written; `None`
/// below two votes.
pub fn infer_category(s: &Signals, committed: &[String]) -> Option<String> {
    let mut prefix_counts: Vec<(String, i64)> = Vec::new();
    for c in &s.git_commits {
        if let Some(m) = SCOPED.captures(c) {
            if m[1].to_lowercase() == "docs" && m[2].to_lowercase() == "journal" {
                continue;
            }
        }
        if let Some(m) = PREFIX.captures(c) {
            add(&mut prefix_counts, &m[1], 1);
        }
    }
    let mut scope_counts: Vec<(String, i64)> = Vec::new();
    for c in &s.git_commits {
        if let Some(m) = SCOPED.captures(c) {
            add(&mut scope_counts, &m[2].to_lowercase(), 1);
        }
    }
    let mut path_signals: Vec<(String, i64)> = Vec::new();
    let paths = s
        .file_writes
        .iter()
        .map(|p| (p, 1))
        .chain(committed.iter().map(|p| (p, 2)));
    for (path, w) in paths {
        let p = path.to_lowercase();
        let d = |seg: &str| dir_in_path(seg, &p);
        let cat = if d("lesson") || d("lessons") || d("patterns") {
            Some("knowledge")
        } else if d("test") || d("tests") || p.contains("_test.") || p.contains("test_") {
            Some("code")
        } else if d("scripts") || d("hooks") || d("ci") {
            Some("infrastructure")
        } else if d("standup") || d("standups") {
            Some("coordination")
        } else if d("tasks") {
            Some("triage")
        } else if [".py", ".sh", ".ts", ".js", ".rs", ".go"]
            .iter()
            .any(|e| p.ends_with(e))
        {
            Some("code")
        } else {
            None
        };
        if let Some(c) = cat {
            add(&mut path_signals, c, w);
        }
    }
    let mut votes: Vec<(String, i64)> = Vec::new();
    for (prefix, n) in &prefix_counts {
        if let Some(c) = prefix_category(prefix) {
            add(&mut votes, c, *n);
        }
    }
    for (scope, n) in &scope_counts {
        if let Some(c) = scope_category(scope) {
            add(&mut votes, c, n * 2);
        } else if CASCADE_CATEGORIES.contains(&scope.as_str()) {
            add(&mut votes, scope, n * 2);
        }
    }
    for (c, n) in &path_signals {
        add(&mut votes, c, *n);
    }
    let interactions = s.gh.as_ref().map_or(0, |g| g.gh_interactions);
    if interactions >= 2 && s.git_commits.is_empty() && s.file_writes.is_empty() {
        return Some("pm-react".into());
    }
    // `max` keeps the first of equal counts, in insertion order.
    let mut best: Option<&(String, i64)> = None;
    for v in &votes {
        if best.is_none_or(|b| v.1 > b.1) {
            best = Some(v);
        }
    }
    let (cat, n) = best?;
    (*n >= 2).then(|| cat.clone())
}

#[cfg(test)]
mod tests {
    use super::super::{Format, GhSignals};
    use super::*;

    fn sig(commits: &[&str], writes: &[&str], tools: &[(&str, i64)], errors: i64) -> Signals {
        Signals {
            format: Format::Gptme,
            tool_calls: tools.iter().map(|(n, c)| (n.to_string(), *c)).collect(),
            git_commits: commits.iter().map(|s| s.to_string()).collect(),
            file_writes: writes.iter().map(|s| s.to_string()).collect(),
            error_count: errors,
            ..Signals::default()
        }
    }

    #[test]
    fn tiers() {
        assert_eq!(grade_signals(&sig(&[], &[], &[], 0), None), 0.10);
        assert_eq!(
            grade_signals(&sig(&[], &[], &[("shell", 2)], 0), None),
            0.25
        );
        assert_eq!(
            grade_signals(&sig(&[], &[], &[("shell", 2)], 0), Some("triage")),
            0.35
        );
        assert_eq!(
            grade_signals(&sig(&[], &["a", "b", "c"], &[("save", 3)], 0), None),
            0.55
        );
        assert_eq!(
            grade_signals(&sig(&[], &["a"], &[("save", 1)], 0), None),
            0.40
        );
        let one = sig(&["x (abcdef1)"], &[], &[("shell", 20), ("complete", 1)], 2);
        // 2 errors / 21 tools > 0.05: -0.05; complete: +0.03.
        assert!((grade_signals(&one, None) - 0.58).abs() < 1e-9);
        let mut many = sig(&["a (1234567)"; 6], &[], &[("shell", 6)], 0);
        many.gh = Some(GhSignals {
            pr_merges: vec!["PR #1".into()],
            ..GhSignals::default()
        });
        // 6 + 1.5 = 7.5 units: min(0.92, 0.80 + 0.03 * 3.5).
        assert!((grade_signals(&many, None) - 0.905).abs() < 1e-9);
    }

    #[test]
    fn categories_need_two_votes() {
        let s = sig(&["feat(lessons): add (abcdef1)"], &[], &[], 0);
        assert_eq!(infer_category(&s, &[]).as_deref(), Some("knowledge"));
        let s = sig(&["fix: typo (abcdef1)"], &[], &[], 0);
        assert_eq!(infer_category(&s, &[]), None);
        let s = sig(&["fix: typo (abcdef1)"], &["src/a.rs"], &[], 0);
        assert_eq!(infer_category(&s, &[]).as_deref(), Some("code"));
        let s = sig(&["docs(journal): day (abcdef1)"], &[], &[], 0);
        assert_eq!(infer_category(&s, &[]), None);
    }
}
