//! Autonomous-session journal entries, as gptme-sessions' `judge`, `classify` and
//! `classify-stats` find and read them: `JOURNAL/YYYY-MM-DD/autonomous-session-*.md`,
//! the session id in the file name, and the `category` / `outcome` of the entry's
//! first YAML code block.

use std::path::{Path, PathBuf};

use regex::Regex;

/// The autonomous-session journal entries under `journal_dir`
/// (`YYYY-MM-DD/<glob>.md`), oldest day first, the last `last` of them (all when
/// `last` is 0 or less). `pattern_anywhere` takes `*autonomous-session-*.md`
/// (classify-stats) instead of `autonomous-session-*.md` (classify, judge).
pub fn journal_entries(journal_dir: &Path, last: i64, pattern_anywhere: bool) -> Vec<PathBuf> {
    let day = Regex::new(r"^\d{4}-\d{2}-\d{2}$").expect("a valid pattern");
    let mut days: Vec<PathBuf> = std::fs::read_dir(journal_dir)
        .map(|rd| rd.filter_map(|e| e.ok()).map(|e| e.path()).collect())
        .unwrap_or_default();
    days.sort();
    let mut out = Vec::new();
    for d in days {
        let name = d
            .file_name()
            .map(|n| n.to_string_lossy().to_string())
            .unwrap_or_default();
        if !d.is_dir() || !day.is_match(&name) {
            continue;
        }
        let mut files: Vec<PathBuf> = std::fs::read_dir(&d)
            .map(|rd| rd.filter_map(|e| e.ok()).map(|e| e.path()).collect())
            .unwrap_or_default();
        files.retain(|f| {
            let n = f
                .file_name()
                .map(|n| n.to_string_lossy().to_string())
                .unwrap_or_default();
            // pathlib's glob: `*` matches a leading dot too.
            let hit = if pattern_anywhere {
                n.contains("autonomous-session-")
            } else {
                n.starts_with("autonomous-session-")
            };
            hit && n.ends_with(".md")
        });
        files.sort();
        out.extend(files);
    }
    if last > 0 {
        let keep = (last as usize).min(out.len());
        out.drain(..out.len() - keep);
    }
    out
}

/// `autonomous-session-<word>.md` → `<word>`, else the file stem.
pub fn session_id_of(path: &Path) -> String {
    let stem = path
        .file_stem()
        .map(|s| s.to_string_lossy().to_string())
        .unwrap_or_default();
    let word: String = stem
        .strip_prefix("autonomous-session-")
        .map(|rest| {
            rest.chars()
                .take_while(|c| c.is_alphanumeric() || *c == '_')
                .collect()
        })
        .unwrap_or_default();
    if word.is_empty() {
        stem
    } else {
        word
    }
}

/// The folder name of the entry's day (`YYYY-MM-DD`).
pub fn entry_date(path: &Path) -> String {
    path.parent()
        .and_then(Path::file_name)
        .map(|n| n.to_string_lossy().to_string())
        .unwrap_or_default()
}

/// `key: value` lines of the first ```yaml (or ```yml) code block.
pub fn yaml_meta(text: &str) -> Vec<(String, String)> {
    let block = Regex::new(r"(?s)```ya?ml\s*\n(.*?)```").expect("a valid pattern");
    let Some(c) = block.captures(text) else {
        return Vec::new();
    };
    let mut meta: Vec<(String, String)> = Vec::new();
    for line in c[1].trim_matches(char::is_whitespace).lines() {
        if let Some((k, v)) = line.split_once(':') {
            let (k, v) = (k.trim().to_string(), v.trim().to_string());
            match meta.iter_mut().find(|(key, _)| *key == k) {
                Some(slot) => slot.1 = v,
                None => meta.push((k, v)),
            }
        }
    }
    meta
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn meta_comes_from_the_first_yaml_block() {
        let text = "# x\n```yaml\ncategory: code\noutcome: productive\nnote: a: b\n```\n```yml\ncategory: no\n```";
        let m = yaml_meta(text);
        assert_eq!(m[0], ("category".into(), "code".into()));
        assert_eq!(m[2], ("note".into(), "a: b".into()));
        assert_eq!(m.len(), 3);
        assert_eq!(
            session_id_of(Path::new("j/2026-01-01/autonomous-session-ab12.md")),
            "ab12"
        );
        assert_eq!(
            session_id_of(Path::new("j/2026-01-01/autonomous-session-.md")),
            "autonomous-session-"
        );
    }
}
