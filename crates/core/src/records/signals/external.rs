//! What the signals read outside the transcript, as gptme-sessions does: the output
//! files of Claude Code's background tasks, journal files on disk, `git diff-tree` for
//! the files of a commit, and `gh pr view` for the server-side SHA of a squash merge.
//! Every outside call is bounded by a timeout and any failure reads as "nothing".

use std::collections::HashMap;
use std::io::Read;
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

/// A file's text as Python's `read_text(errors="replace")` gives it.
pub(super) fn read_lossy(path: &str) -> Option<String> {
    let bytes = std::fs::read(path).ok()?;
    let text = String::from_utf8_lossy(&bytes);
    Some(text.replace("\r\n", "\n").replace('\r', "\n"))
}

/// The file matching `pattern` whose mtime is nearest `when` (seconds).
pub(super) fn glob_nearest(pattern: &str, when: f64) -> Option<String> {
    let opts = glob::MatchOptions {
        case_sensitive: true,
        require_literal_separator: true,
        require_literal_leading_dot: true,
    };
    let mut found: Vec<(f64, String)> = glob::glob_with(pattern, opts)
        .ok()?
        .filter_map(Result::ok)
        .map(|p| {
            let dist = std::fs::metadata(&p)
                .and_then(|m| m.modified())
                .ok()
                .and_then(|t| t.duration_since(std::time::UNIX_EPOCH).ok())
                .map_or(f64::INFINITY, |d| (d.as_secs_f64() - when).abs());
            (dist, p.to_string_lossy().into_owned())
        })
        .collect();
    found.sort_by(|a, b| a.0.total_cmp(&b.0));
    found.into_iter().next().map(|(_, p)| p)
}

/// Run a command with a deadline; its stdout when it exits 0.
pub(super) fn run(cmd: &mut Command, timeout: Duration) -> Option<String> {
    let mut child = cmd
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .ok()?;
    let mut stdout = child.stdout.take()?;
    let reader = std::thread::spawn(move || {
        let mut buf = Vec::new();
        let _ = stdout.read_to_end(&mut buf);
        buf
    });
    let start = Instant::now();
    // Most calls (git on a missing commit) end within milliseconds: poll often first.
    let mut pause = Duration::from_micros(100);
    let status = loop {
        match child.try_wait() {
            Ok(Some(s)) => break s,
            Ok(None) if start.elapsed() < timeout => {
                std::thread::sleep(pause);
                pause = (pause * 2).min(Duration::from_millis(10));
            }
            _ => {
                let _ = child.kill();
                let _ = child.wait();
                return None;
            }
        }
    };
    let out = reader.join().ok()?;
    status
        .success()
        .then(|| String::from_utf8_lossy(&out).into_owned())
}

/// Server-side merge-commit SHAs of the merged PRs whose repository is known.
pub(super) fn merge_shas(pr_merges: &[String], context: &HashMap<u64, String>) -> Vec<String> {
    let mut out = Vec::new();
    for m in pr_merges {
        let Some(num) = m.strip_prefix("PR #").and_then(|n| n.parse::<u64>().ok()) else {
            continue;
        };
        let Some(repo) = context.get(&num) else {
            continue;
        };
        let args = [
            "pr",
            "view",
            &num.to_string(),
            "--repo",
            repo,
            "--json",
            "mergeCommit",
        ];
        let Some(sha) = run(
            Command::new("gh")
                .args(args)
                .args(["-q", ".mergeCommit.oid"]),
            Duration::from_secs(10),
        ) else {
            continue;
        };
        let sha = sha.trim();
        if sha.len() == 40 && sha.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f')) {
            out.push(sha.to_string());
        }
    }
    out
}

fn git(args: &[&str], cwd: Option<&Path>) -> Option<String> {
    let mut c = Command::new("git");
    c.args(args);
    if let Some(d) = cwd {
        c.current_dir(d);
    }
    run(&mut c, Duration::from_secs(5))
}

/// Files changed by the commits (`message (sha)`), looked up with `git diff-tree` in
/// the working directory, else in its submodules and sibling repositories (then
/// prefixed with the repository's name).
pub(super) fn committed_files(git_commits: &[String]) -> Vec<String> {
    static SHA: std::sync::LazyLock<regex::Regex> =
        std::sync::LazyLock::new(|| regex::Regex::new(r"\(([0-9a-f]{7,40})\)\s*$").unwrap());
    let shas: Vec<String> = git_commits
        .iter()
        .filter_map(|c| SHA.captures(c).map(|m| m[1].to_string()))
        .collect();
    if shas.is_empty() {
        return Vec::new();
    }
    let mut candidates: Vec<String> = Vec::new();
    if let Some(out) = git(&["submodule", "status"], None) {
        for line in out.trim().lines() {
            let parts: Vec<&str> = line
                .trim()
                .trim_start_matches(['+', '-', 'U'])
                .split_whitespace()
                .collect();
            if parts.len() >= 2 {
                candidates.push(parts[1].to_string());
            }
        }
    }
    if let Some(out) = git(&["rev-parse", "--show-toplevel"], None) {
        let root = Path::new(out.trim()).to_path_buf();
        if let Some(parent) = root.parent() {
            if let Ok(entries) = std::fs::read_dir(parent) {
                for e in entries.flatten() {
                    let p = e.path();
                    if p != root && p.is_dir() && p.join(".git").exists() {
                        candidates.push(p.to_string_lossy().into_owned());
                    }
                }
            }
        }
    }
    let diff_tree = |sha: &str, cwd: Option<&Path>| -> Vec<String> {
        git(
            &["diff-tree", "--no-commit-id", "--name-only", "-r", sha],
            cwd,
        )
        .map(|o| {
            o.trim()
                .lines()
                .filter(|l| !l.is_empty())
                .map(str::to_string)
                .collect()
        })
        .unwrap_or_default()
    };
    let mut files = Vec::new();
    for sha in &shas {
        let mut found = diff_tree(sha, None);
        if found.is_empty() {
            for repo in &candidates {
                let f = diff_tree(sha, Some(Path::new(repo)));
                if !f.is_empty() {
                    let name = Path::new(repo)
                        .file_name()
                        .map(|n| n.to_string_lossy().into_owned())
                        .unwrap_or_default();
                    found = f.into_iter().map(|x| format!("{name}/{x}")).collect();
                    break;
                }
            }
        }
        files.extend(found);
    }
    files
}
