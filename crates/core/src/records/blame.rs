//! `blame`: which agent session wrote a file (or one line of it), as gptme-sessions'
//! `blame` answers it — by matching each commit's author date against the time
//! windows of the session records (`[timestamp - duration_seconds, timestamp]`).
//!
//! Per commit, in this order: a `Git-Session-Id:` trailer names the session outright
//! (`trailer`); a commit inside exactly one window is `exact`, inside several
//! `ambiguous` (the window whose midpoint is closest wins, all are listed); else the
//! nearest window within 30 minutes is `near`; else the commit is unattributable.
//! Records come from the given store file plus its rotated siblings in the same folder
//! (`session-records-archive-*.jsonl`, `session-records.jsonl.bak-*`), the store
//! itself winning on a repeated id. Git is run as a subprocess in the current folder;
//! nothing is written.
//!
//! A GitHub ref (`owner/repo#N`) is resolved as gptme-sessions does, through the
//! user's own GitHub CLI (`gh`, run only when the user blames such a ref): the PR's
//! commits (`gh api repos/OWNER/REPO/pulls/N/commits`), else, for an issue, the commits
//! of the PRs that close it (`gh pr list --search closes:#N`). A `gh` that fails gives
//! the same warnings and empty answers as the Python tool; a `gh` that cannot be run at
//! all is an error that says so.

use std::path::{Path, PathBuf};
use std::process::Command;

use chrono::{DateTime, Duration, Utc};

use super::normalized::parse_iso;
use super::pyjson::PyValue;

/// How far after (or before) a window a commit may still be matched to it.
pub const NEAREST_TOLERANCE_MINUTES: i64 = 30;

/// One session's window.
#[derive(Debug, Clone, PartialEq)]
pub struct SessionWindow {
    pub session_id: String,
    pub start: DateTime<Utc>,
    pub end: DateTime<Utc>,
    pub category: Option<PyValue>,
    pub harness: Option<PyValue>,
    pub productivity: Option<PyValue>,
    pub journal_path: Option<PyValue>,
    pub model: Option<PyValue>,
}

impl SessionWindow {
    fn distance(&self, when: DateTime<Utc>) -> Duration {
        if self.start <= when && when <= self.end {
            Duration::zero()
        } else if when < self.start {
            self.start - when
        } else {
            when - self.end
        }
    }
}

/// One commit and the session it is attributed to.
#[derive(Debug, Clone, PartialEq)]
pub struct Attribution {
    pub sha: String,
    pub when: DateTime<Utc>,
    pub author: String,
    pub subject: String,
    pub session_id: Option<String>,
    pub category: Option<PyValue>,
    pub productivity: Option<PyValue>,
    pub journal_path: Option<PyValue>,
    /// `exact`, `near`, `ambiguous` or `unmatched`.
    pub confidence: &'static str,
    /// `trailer`, `commit-window`, `nearest` or `unattributable`.
    pub method: &'static str,
    pub model: Option<PyValue>,
    pub harness: Option<PyValue>,
    pub trailer_session_id: Option<String>,
    pub candidates: Vec<String>,
}

/// What `blame` found.
#[derive(Debug, Clone, PartialEq)]
pub struct BlameResult {
    /// The repository-relative path (as given when it is outside the repository), or
    /// the GitHub ref.
    pub path: String,
    pub line: Option<u64>,
    pub attributions: Vec<Attribution>,
    /// What gptme-sessions prints on stderr on the way (`warning: …`).
    pub warnings: Vec<String>,
}

/// Why `blame` could not answer.
#[derive(Debug, thiserror::Error)]
pub enum BlameError {
    /// A usage error (gptme-sessions exits 2 for these).
    #[error("{0}")]
    Usage(String),
    #[error("{0}")]
    Git(String),
    /// `gh` could not be started (not installed, not on PATH).
    #[error("{0}")]
    Gh(String),
}

/// `owner/repo#N`.
pub fn is_github_ref(s: &str) -> bool {
    let Some((repo, num)) = s.split_once('#') else {
        return false;
    };
    let part_ok = |p: &str| {
        !p.is_empty()
            && p.chars()
                .all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '.' | '-'))
    };
    let mut halves = repo.splitn(2, '/');
    let (owner, name) = (halves.next().unwrap_or(""), halves.next().unwrap_or(""));
    part_ok(owner) && part_ok(name) && !num.is_empty() && num.bytes().all(|b| b.is_ascii_digit())
}

/// The store file plus its rotated siblings, store first, siblings sorted.
pub fn record_sources(primary: &Path) -> Vec<PathBuf> {
    let mut out = vec![primary.to_path_buf()];
    let Some(dir) = primary.parent() else {
        return out;
    };
    let dir = if dir.as_os_str().is_empty() {
        Path::new(".")
    } else {
        dir
    };
    let mut siblings: Vec<PathBuf> = std::fs::read_dir(dir)
        .map(|rd| rd.filter_map(|e| e.ok()).map(|e| e.path()).collect())
        .unwrap_or_default();
    siblings.retain(|p| {
        let name = p
            .file_name()
            .map(|n| n.to_string_lossy().to_string())
            .unwrap_or_default();
        name.starts_with("session-records")
            && name.contains(".jsonl")
            && p.is_file()
            && p.file_name() != primary.file_name()
    });
    siblings.sort();
    out.extend(siblings);
    out
}

/// Session windows of every record with an id and a readable timestamp.
pub fn load_windows(primary: &Path) -> Vec<SessionWindow> {
    let mut out: Vec<SessionWindow> = Vec::new();
    for src in record_sources(primary) {
        let Some(text) = super::normalized::read_regular_text(&src) else {
            continue;
        };
        for line in text.lines().map(str::trim).filter(|l| !l.is_empty()) {
            let Some(rec) = PyValue::parse(line).filter(PyValue::is_dict) else {
                continue;
            };
            let sid = match rec.get("session_id") {
                Some(v) if v.truthy() => v.py_str(),
                _ => continue,
            };
            let Some(ts) = rec
                .get("timestamp")
                .and_then(PyValue::as_str)
                .filter(|t| !t.is_empty())
            else {
                continue;
            };
            if out.iter().any(|w| w.session_id == sid) {
                continue;
            }
            let Some(end) = parse_iso(ts).map(|t| t.with_timezone(&Utc)) else {
                continue;
            };
            let secs = match rec.get("duration_seconds") {
                Some(PyValue::Int(i)) => *i as f64,
                Some(PyValue::Float(f)) => *f,
                _ => 0.0,
            };
            let start = end - Duration::microseconds((secs * 1e6) as i64);
            let keep = |k: &str| rec.get(k).filter(|v| !matches!(v, PyValue::Null)).cloned();
            out.push(SessionWindow {
                session_id: sid,
                start,
                end,
                category: keep("category"),
                harness: keep("harness"),
                productivity: rec
                    .get("grades")
                    .and_then(|g| g.get("productivity"))
                    .filter(|v| !matches!(v, PyValue::Null))
                    .cloned(),
                journal_path: keep("journal_path"),
                model: keep("model"),
            });
        }
    }
    out
}

fn fill(att: &mut Attribution, w: &SessionWindow) {
    att.session_id = Some(w.session_id.clone());
    att.category = w.category.clone();
    att.productivity = w.productivity.clone();
    att.journal_path = w.journal_path.clone();
    att.model = w.model.clone();
    att.harness = w.harness.clone();
}

/// Attribute one commit (see the module documentation for the order of the rules).
pub fn attribute(att: &mut Attribution, windows: &[SessionWindow]) {
    if let Some(sid) = att.trailer_session_id.clone() {
        att.method = "trailer";
        att.confidence = "exact";
        att.session_id = Some(sid.clone());
        if let Some(w) = windows.iter().find(|w| w.session_id == sid) {
            fill(att, w);
        }
        return;
    }
    let inside: Vec<&SessionWindow> = windows
        .iter()
        .filter(|w| w.distance(att.when).is_zero())
        .collect();
    if inside.len() == 1 {
        att.confidence = "exact";
        att.method = "commit-window";
        fill(att, inside[0]);
        return;
    }
    if inside.len() > 1 {
        let from_mid = |w: &SessionWindow| {
            let mid = w.start + (w.end - w.start) / 2;
            (att.when - mid).abs()
        };
        let best = inside
            .iter()
            .copied()
            .reduce(|a, b| if from_mid(b) < from_mid(a) { b } else { a })
            .expect("two or more windows");
        att.confidence = "ambiguous";
        att.method = "commit-window";
        att.candidates = inside.iter().map(|w| w.session_id.clone()).collect();
        fill(att, best);
        return;
    }
    let nearest = windows
        .iter()
        .map(|w| (w, w.distance(att.when)))
        .reduce(|a, b| if b.1 < a.1 { b } else { a });
    if let Some((w, d)) = nearest {
        if d <= Duration::minutes(NEAREST_TOLERANCE_MINUTES) {
            att.confidence = "near";
            att.method = "nearest";
            fill(att, w);
        }
    }
}

fn git(args: &[&str]) -> Result<String, BlameError> {
    let out = Command::new("git")
        .args(args)
        .output()
        .map_err(|e| BlameError::Git(format!("cannot run git: {e}")))?;
    if !out.status.success() {
        return Err(BlameError::Git(format!(
            "git {} failed: {}",
            args.join(" "),
            String::from_utf8_lossy(&out.stderr).trim()
        )));
    }
    Ok(String::from_utf8_lossy(&out.stdout).trim().to_string())
}

const FORMAT_FIELDS: &str =
    "%x1f%an%x1f%s%x1f%(trailers:key=Git-Session-Id,valueonly,separator=%x1e)";

fn commit(
    sha: String,
    when: &str,
    author: &str,
    subject: &str,
    trailer: &str,
) -> Option<Attribution> {
    let trailer = trailer.split('\u{1e}').next().unwrap_or("").trim();
    Some(Attribution {
        sha,
        when: parse_iso(when)?.with_timezone(&Utc),
        author: author.to_string(),
        subject: subject.to_string(),
        session_id: None,
        category: None,
        productivity: None,
        journal_path: None,
        confidence: "unmatched",
        method: "unattributable",
        model: None,
        harness: None,
        trailer_session_id: (!trailer.is_empty()).then(|| trailer.to_string()),
        candidates: Vec::new(),
    })
}

/// The last `limit` commits that touched `path` (following renames).
fn commits_for_path(path: &str, limit: u64) -> Result<Vec<Attribution>, BlameError> {
    let out = git(&[
        "log",
        "--follow",
        &format!("--max-count={limit}"),
        &format!("--format=%H%x1f%aI{FORMAT_FIELDS}"),
        "--",
        path,
    ])?;
    Ok(out
        .split('\n')
        .filter(|l| !l.is_empty())
        .filter_map(|l| {
            let p: Vec<&str> = l.splitn(5, '\u{1f}').collect();
            commit(
                p.first()?.to_string(),
                p.get(1)?,
                p.get(2)?,
                p.get(3)?,
                p.get(4).copied().unwrap_or(""),
            )
        })
        .collect())
}

/// The commit that last changed line `line` of `path`.
fn commit_for_line(path: &str, line: u64) -> Result<Vec<Attribution>, BlameError> {
    let out = git(&[
        "blame",
        "-L",
        &format!("{line},{line}"),
        "--porcelain",
        "--",
        path,
    ])?;
    let sha = out
        .lines()
        .next()
        .and_then(|l| l.split(' ').next())
        .unwrap_or("")
        .to_string();
    let meta = git(&["show", "-s", &format!("--format=%aI{FORMAT_FIELDS}"), &sha])?;
    let p: Vec<&str> = meta.splitn(4, '\u{1f}').collect();
    let one = commit(
        sha,
        p.first().copied().unwrap_or(""),
        p.get(1).copied().unwrap_or(""),
        p.get(2).copied().unwrap_or(""),
        p.get(3).copied().unwrap_or(""),
    );
    Ok(one.into_iter().collect())
}

/// Which `gh` to run: the one on PATH, or (in tests) a given program.
pub enum Gh {
    Path,
    Program(PathBuf),
}

/// `--jq` filter of gptme-sessions: one `sha, author date, author, subject` TSV line
/// per commit.
const GH_JQ_COMMITS: &str = ".[] | [.sha, .commit.author.date, .commit.author.name, (.commit.message | split(\"\\n\")[0])] | @tsv";

impl Gh {
    /// Run `gh ARGS`: its stdout (trimmed) when it succeeds, `None` when it exits
    /// non-zero, an error when it cannot be started.
    fn run(&self, args: &[&str]) -> Result<Option<String>, BlameError> {
        let program = match self {
            Gh::Path => Path::new("gh"),
            Gh::Program(p) => p.as_path(),
        };
        let out = Command::new(program)
            .args(args)
            .stdin(std::process::Stdio::null())
            .output()
            .map_err(|e| {
                BlameError::Gh(if e.kind() == std::io::ErrorKind::NotFound {
                    "blaming a GitHub ref (owner/repo#N) needs the GitHub CLI, and `gh` was not found on PATH: install it and run `gh auth login`, or blame a file path".to_string()
                } else {
                    format!("cannot run gh: {e}")
                })
            })?;
        Ok(out
            .status
            .success()
            .then(|| String::from_utf8_lossy(&out.stdout).trim().to_string()))
    }

    fn pr_commits(&self, owner_repo: &str, pr: &str) -> Result<Option<String>, BlameError> {
        self.run(&[
            "api",
            &format!("repos/{owner_repo}/pulls/{pr}/commits"),
            "--jq",
            GH_JQ_COMMITS,
        ])
    }
}

/// Commits of `gh`'s TSV answer; lines without four fields are skipped, as in Python.
fn parse_commit_tsv(out: &str) -> Result<Vec<Attribution>, BlameError> {
    let mut commits = Vec::new();
    for line in out.split('\n').filter(|l| !l.is_empty()) {
        let p: Vec<&str> = line.splitn(4, '\t').collect();
        let [sha, when, author, subject] = p[..] else {
            continue;
        };
        let c = commit(sha.to_string(), when, author, subject, "").ok_or_else(|| {
            BlameError::Usage(format!("Invalid isoformat string: {when:?} (from gh)"))
        })?;
        commits.push(c);
    }
    Ok(commits)
}

/// The commits of a PR, or of the PRs closing an issue, with the warnings gptme-sessions
/// prints when there are none.
pub fn commits_for_github_ref(
    reference: &str,
    gh: &Gh,
) -> Result<(Vec<Attribution>, Vec<String>), BlameError> {
    let Some((owner_repo, number)) = reference
        .split_once('#')
        .filter(|_| is_github_ref(reference))
    else {
        return Err(BlameError::Usage(format!(
            "Not a valid GitHub ref: '{reference}'"
        )));
    };
    // A PR first: the pulls endpoint answers 404 for a plain issue.
    if let Some(out) = gh.pr_commits(owner_repo, number)? {
        let commits = parse_commit_tsv(&out)?;
        if !commits.is_empty() {
            return Ok((commits, Vec::new()));
        }
    }
    let search = format!("closes:#{number}");
    let Some(prs) = gh.run(&[
        "pr",
        "list",
        "--repo",
        owner_repo,
        "--state",
        "all",
        "--search",
        &search,
        "--json",
        "number",
        "--jq",
        ".[].number",
    ])?
    else {
        return Ok((
            Vec::new(),
            vec![format!(
                "warning: could not list closing PRs for {reference} (gh unavailable?)"
            )],
        ));
    };
    let mut commits = Vec::new();
    for pr in prs.lines().map(str::trim).filter(|p| !p.is_empty()) {
        if let Some(out) = gh.pr_commits(owner_repo, pr)? {
            commits.extend(parse_commit_tsv(&out)?);
        }
    }
    let warnings = if commits.is_empty() {
        vec![format!(
            "warning: no commits found for {reference} (not a PR and no closing PRs discovered)"
        )]
    } else {
        Vec::new()
    };
    Ok((commits, warnings))
}

/// Where the records are when no file is given: `<git root>/state/sessions/` (where
/// gptme agents keep theirs), else `fallback` (the store Sessionscope uses).
pub fn default_records(fallback: PathBuf) -> PathBuf {
    match git(&["rev-parse", "--show-toplevel"]) {
        Ok(root) => {
            let p = Path::new(&root).join("state/sessions/session-records.jsonl");
            if p.exists() {
                p
            } else {
                fallback
            }
        }
        Err(_) => fallback,
    }
}

/// Blame a file (or one of its lines) in the git repository of the current folder.
pub fn blame(
    path_or_ref: &str,
    line: Option<u64>,
    limit: u64,
    records: &Path,
) -> Result<BlameResult, BlameError> {
    let windows = load_windows(records);
    if is_github_ref(path_or_ref) {
        if line.is_some() {
            return Err(BlameError::Usage(
                "--line is not supported for GitHub refs".into(),
            ));
        }
        let (mut attributions, warnings) = commits_for_github_ref(path_or_ref, &Gh::Path)?;
        for a in &mut attributions {
            attribute(a, &windows);
        }
        return Ok(BlameResult {
            path: path_or_ref.to_string(),
            line: None,
            attributions,
            warnings,
        });
    }
    let root = git(&["rev-parse", "--show-toplevel"])
        .map_err(|_| BlameError::Usage("not inside a git repository".into()))?;
    let given = Path::new(path_or_ref);
    let abs = std::fs::canonicalize(given).unwrap_or_else(|_| {
        std::env::current_dir()
            .map(|d| d.join(given))
            .unwrap_or_else(|_| given.to_path_buf())
    });
    let root = std::fs::canonicalize(&root).unwrap_or_else(|_| PathBuf::from(&root));
    let rel = abs
        .strip_prefix(&root)
        .map(|r| r.to_string_lossy().to_string())
        .unwrap_or_else(|_| path_or_ref.to_string());
    let mut attributions = match line {
        Some(l) => commit_for_line(&rel, l)?,
        None => commits_for_path(&rel, limit)?,
    };
    for a in &mut attributions {
        attribute(a, &windows);
    }
    Ok(BlameResult {
        path: rel,
        line,
        attributions,
        warnings: Vec::new(),
    })
}

fn opt_str(v: &Option<String>) -> PyValue {
    v.clone().map(PyValue::Str).unwrap_or(PyValue::Null)
}

fn opt(v: &Option<PyValue>) -> PyValue {
    v.clone().unwrap_or(PyValue::Null)
}

/// gptme-sessions' `--json` document.
pub fn to_py(r: &BlameResult) -> PyValue {
    let atts = r
        .attributions
        .iter()
        .map(|a| {
            PyValue::Dict(vec![
                ("sha".into(), PyValue::Str(a.sha.clone())),
                (
                    "when".into(),
                    PyValue::Str(super::normalized::isoformat(&a.when.fixed_offset())),
                ),
                ("author".into(), PyValue::Str(a.author.clone())),
                ("subject".into(), PyValue::Str(a.subject.clone())),
                ("session_id".into(), opt_str(&a.session_id)),
                ("category".into(), opt(&a.category)),
                ("productivity".into(), opt(&a.productivity)),
                ("journal_path".into(), opt(&a.journal_path)),
                ("confidence".into(), PyValue::Str(a.confidence.into())),
                ("method".into(), PyValue::Str(a.method.into())),
                ("model".into(), opt(&a.model)),
                ("harness".into(), opt(&a.harness)),
                (
                    "candidates".into(),
                    PyValue::List(a.candidates.iter().cloned().map(PyValue::Str).collect()),
                ),
            ])
        })
        .collect();
    PyValue::Dict(vec![
        ("path".into(), PyValue::Str(r.path.clone())),
        (
            "line".into(),
            r.line
                .map(|l| PyValue::Int(l.into()))
                .unwrap_or(PyValue::Null),
        ),
        ("attributions".into(), PyValue::List(atts)),
    ])
}

/// gptme-sessions' text layout.
pub fn render_text(r: &BlameResult) -> String {
    let mut lines = Vec::new();
    let target = match r.line {
        Some(l) => format!("{}:{l}", r.path),
        None => r.path.clone(),
    };
    lines.push(format!("Session provenance for {target}"));
    lines.push(String::new());
    if r.attributions.is_empty() {
        lines.push("  (no commits found)".into());
        return lines.join("\n");
    }
    let shown = |v: &Option<PyValue>| match v {
        Some(v) if v.truthy() => v.py_str(),
        _ => "—".to_string(),
    };
    for a in &r.attributions {
        let prod = match &a.productivity {
            Some(PyValue::Float(f)) => format!("{f:.2}"),
            Some(PyValue::Int(i)) => format!("{:.2}", *i as f64),
            Some(other) => other.py_str(),
            None => "—".into(),
        };
        let mark = match a.confidence {
            "exact" => "●",
            "near" => "○",
            "ambiguous" => "◐",
            _ => "·",
        };
        let sha: String = a.sha.chars().take(9).collect();
        lines.push(format!(
            "  {mark} {}  {sha}  session={}",
            a.when.format("%Y-%m-%d %H:%M"),
            a.session_id
                .clone()
                .filter(|s| !s.is_empty())
                .unwrap_or_else(|| "—".into())
        ));
        lines.push(format!(
            "      category={}  model={}  productivity={prod}  method={}",
            shown(&a.category),
            shown(&a.model),
            a.method
        ));
        lines.push(format!("      {}", a.subject));
        if let Some(j) = a.journal_path.as_ref().filter(|j| j.truthy()) {
            lines.push(format!("      journal: {}", j.py_str()));
        }
        if !a.candidates.is_empty() {
            lines.push(format!("      candidates: {}", a.candidates.join(", ")));
        }
    }
    lines.push(String::new());
    lines.push(
        "  ● exact (commit-window/trajectory/trailer)  ◐ ambiguous (multiple windows)  ○ nearest (≤30m)  · unattributable"
            .into(),
    );
    lines.join("\n")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn github_refs_are_recognised() {
        assert!(is_github_ref("gptme/gptme-contrib#1252"));
        assert!(!is_github_ref("src/login.rs"));
        assert!(!is_github_ref("a/b/c#1"));
        assert!(!is_github_ref("a/b#x"));
    }

    #[test]
    fn a_commit_between_windows_goes_to_the_nearest_within_30_minutes() {
        let t = |s: &str| parse_iso(s).unwrap().with_timezone(&Utc);
        let w = |id: &str, a: &str, b: &str| SessionWindow {
            session_id: id.into(),
            start: t(a),
            end: t(b),
            category: None,
            harness: None,
            productivity: None,
            journal_path: None,
            model: None,
        };
        let windows = [
            w("a", "2026-01-01T10:00:00Z", "2026-01-01T11:00:00Z"),
            w("b", "2026-01-01T12:10:00Z", "2026-01-01T13:00:00Z"),
        ];
        let mut c = commit("x".into(), "2026-01-01T11:20:00Z", "me", "s", "").unwrap();
        attribute(&mut c, &windows);
        assert_eq!((c.session_id.as_deref(), c.method), (Some("a"), "nearest"));
        let mut far = commit("y".into(), "2026-01-01T11:35:00+00:00", "me", "s", "").unwrap();
        attribute(&mut far, &windows);
        assert_eq!((far.session_id, far.method), (None, "unattributable"));
    }

    /// A stand-in `gh`: logs its arguments to `calls`, then answers from `script`
    /// (a shell `case` over "$*").
    #[cfg(unix)]
    fn stand_in_gh(dir: &Path, script: &str) -> Gh {
        use std::os::unix::fs::PermissionsExt;
        let bin = dir.join("gh");
        std::fs::write(
            &bin,
            format!(
                "#!/bin/sh\nprintf '%s\\n' \"$*\" >>\"{}\"\ncase \"$*\" in\n{script}\n*) exit 1 ;;\nesac\n",
                dir.join("calls").display()
            ),
        )
        .unwrap();
        std::fs::set_permissions(&bin, std::fs::Permissions::from_mode(0o755)).unwrap();
        Gh::Program(bin)
    }

    #[cfg(unix)]
    #[test]
    fn a_prs_commits_come_from_gh_api_with_the_python_arguments() {
        let dir = tempfile::tempdir().unwrap();
        let gh = stand_in_gh(
            dir.path(),
            "'api repos/o/r/pulls/7/commits --jq '*) printf 'aaaa1111\\t2026-07-01T08:10:00Z\\tBob\\tfeat: one\\nbad line\\nbbbb2222\\t2026-07-01T09:00:00+02:00\\tAnn\\tfix: two\\twith tab\\n' ;;",
        );
        let (commits, warnings) = commits_for_github_ref("o/r#7", &gh).unwrap();
        assert!(warnings.is_empty());
        let got: Vec<_> = commits
            .iter()
            .map(|c| (c.sha.as_str(), c.when.to_rfc3339(), c.subject.as_str()))
            .collect();
        assert_eq!(
            got,
            [
                (
                    "aaaa1111",
                    "2026-07-01T08:10:00+00:00".to_string(),
                    "feat: one"
                ),
                (
                    "bbbb2222",
                    "2026-07-01T07:00:00+00:00".to_string(),
                    "fix: two\twith tab"
                ),
            ]
        );
        let calls = std::fs::read_to_string(dir.path().join("calls")).unwrap();
        assert_eq!(
            calls,
            format!("api repos/o/r/pulls/7/commits --jq {GH_JQ_COMMITS}\n")
        );
    }

    #[cfg(unix)]
    #[test]
    fn an_issue_takes_the_commits_of_the_prs_that_close_it() {
        let dir = tempfile::tempdir().unwrap();
        let gh = stand_in_gh(
            dir.path(),
            "'pr list --repo o/r --state all --search closes:#8 --json number --jq .[].number') printf '11\\n12\\n' ;;\n\
             'api repos/o/r/pulls/11/commits --jq '*) printf 'cccc3333\\t2026-07-02T10:00:00Z\\tBob\\tdocs: three\\n' ;;",
        );
        let (commits, warnings) = commits_for_github_ref("o/r#8", &gh).unwrap();
        assert_eq!(commits.len(), 1);
        assert_eq!(commits[0].sha, "cccc3333");
        assert!(warnings.is_empty());
        let calls = std::fs::read_to_string(dir.path().join("calls")).unwrap();
        assert_eq!(calls.lines().count(), 4, "{calls}");
    }

    #[cfg(unix)]
    #[test]
    fn a_failing_gh_gives_python_warnings_and_no_commits() {
        let dir = tempfile::tempdir().unwrap();
        let gh = stand_in_gh(dir.path(), "");
        let (commits, warnings) = commits_for_github_ref("o/r#9", &gh).unwrap();
        assert!(commits.is_empty());
        assert_eq!(
            warnings,
            ["warning: could not list closing PRs for o/r#9 (gh unavailable?)"]
        );
        let gh = stand_in_gh(dir.path(), "'pr list '*) ;;");
        let (_, warnings) = commits_for_github_ref("o/r#9", &gh).unwrap();
        assert_eq!(
            warnings,
            ["warning: no commits found for o/r#9 (not a PR and no closing PRs discovered)"]
        );
    }

    #[cfg(unix)]
    #[test]
    fn a_bad_date_from_gh_is_an_error_not_a_panic() {
        let dir = tempfile::tempdir().unwrap();
        let gh = stand_in_gh(
            dir.path(),
            "'api '*) printf 'aaaa\\tyesterday\\tBob\\tx\\n' ;;",
        );
        let err = commits_for_github_ref("o/r#7", &gh).unwrap_err();
        assert!(matches!(err, BlameError::Usage(_)), "{err}");
    }

    #[test]
    fn a_missing_gh_is_a_clear_error() {
        let dir = tempfile::tempdir().unwrap();
        let gh = Gh::Program(dir.path().join("no-such-gh"));
        let err = commits_for_github_ref("o/r#7", &gh).unwrap_err();
        assert!(matches!(err, BlameError::Gh(_)));
        assert!(
            err.to_string().contains("`gh` was not found on PATH"),
            "{err}"
        );
        let err = commits_for_github_ref("not a ref", &gh).unwrap_err();
        assert!(matches!(err, BlameError::Usage(_)));
    }
}
