//! What an agent produced, as seen in its tool calls and their output: commit SHAs
//! (from `git commit`'s `[branch abc1234] message` line) and pull-request URLs (from the
//! output of `gh pr create`), plus the files it wrote. `records sync --signals` and
//! `post-session` turn these into a record's `deliverables` and its outcome.
//!
//! Parsers call [`ToolCallKind::of_command`] when they see a shell command and feed the
//! tool's output to [`TranscriptFacts::note_tool_output`]. This module reads text only.

use std::sync::LazyLock;

use regex::Regex;

use super::TranscriptFacts;

/// `[main 1a2b3c4] message`, `[main (root-commit) 1a2b3c4] message`,
/// `[detached HEAD 1a2b3c4] message`.
static COMMIT_LINE: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"(?m)^\[[^\[\]\n]+? ([0-9a-f]{7,40})\] \S").expect("valid regex"));

static PR_URL: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"https://github\.com/[A-Za-z0-9_.-]+/[A-Za-z0-9_.-]+/pull/\d+")
        .expect("valid regex")
});

/// What a shell command can produce that counts as a deliverable.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ToolCallKind {
    /// A shell command: its output may announce a commit.
    pub shell: bool,
    /// `gh pr create`: its output carries the new PR's URL.
    pub creates_pr: bool,
}

impl ToolCallKind {
    pub fn of_command(command: &str) -> Self {
        ToolCallKind {
            shell: true,
            creates_pr: command.contains("gh pr create"),
        }
    }
}

/// The same commit line as [`COMMIT_LINE`], found in the *JSON-encoded* text of a
/// record: a line starts after an escaped newline (`\n`) or at the string's opening
/// quote; any escape but `\n` may stand inside it. So every commit line of the decoded
/// text shows here too (the converse need not hold: this only decides what to decode).
static ENCODED_COMMIT_LINE: LazyLock<regex::bytes::Regex> = LazyLock::new(|| {
    regex::bytes::Regex::new(r#"(?:\\n|")\[(?:[^\[\]\\]|\\[^n])+? [0-9a-f]{7,40}\] \S"#)
        .expect("valid regex")
});

impl ToolCallKind {
    /// Could the output of this call, as it sits JSON-encoded in `raw` (a whole
    /// transcript line), announce a deliverable? `false` means
    /// [`TranscriptFacts::note_tool_output`] would find nothing in it, so parsers skip
    /// decoding megabytes of tool output that only looks like a shell's chatter.
    pub fn may_announce(self, raw: &[u8]) -> bool {
        (self.shell && ENCODED_COMMIT_LINE.is_match(raw))
            || (self.creates_pr && memchr::memmem::find(raw, b"github.com/").is_some())
    }
}

impl TranscriptFacts {
    /// Fold the output of a finished tool call into the deliverables.
    pub fn note_tool_output(&mut self, kind: ToolCallKind, output: &str) {
        if kind.shell && output.contains("] ") {
            for c in COMMIT_LINE.captures_iter(output) {
                self.note_deliverable(&c[1]);
            }
        }
        if kind.creates_pr {
            for m in PR_URL.find_iter(output) {
                self.note_deliverable(m.as_str());
            }
        }
    }

    /// Files named by an `apply_patch` envelope (`*** Add File: p`, `*** Update File: p`),
    /// the way Codex edits files.
    pub fn note_patch(&mut self, patch: &str) {
        for line in patch.lines() {
            let line = line.trim_start();
            let path = line
                .strip_prefix("*** Add File: ")
                .or_else(|| line.strip_prefix("*** Update File: "));
            if let Some(path) = path {
                self.note_file_write(path.trim());
            }
        }
    }

    /// A file the agent created or edited (counted once per path).
    pub fn note_file_write(&mut self, path: &str) {
        if !path.is_empty() && !self.files_written.iter().any(|p| p == path) {
            self.files_written.push(path.to_string());
        }
    }

    fn note_deliverable(&mut self, d: &str) {
        if !self.deliverables.iter().any(|x| x == d) {
            self.deliverables.push(d.to_string());
        }
    }

    /// The trajectory's own verdict, as gptme-sessions' `is_productive` judges it from
    /// the signals we extract: a commit or PR, or at least two distinct files written.
    pub fn looks_productive(&self) -> bool {
        !self.deliverables.is_empty() || self.files_written.len() >= 2
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn commits_and_pr_urls_are_found_only_where_they_are_produced() {
        let mut f = TranscriptFacts::default();
        let shell = ToolCallKind::of_command("git commit -m 'x'");
        f.note_tool_output(
            shell,
            "[main 1a2b3c4] Fix the parser\n 1 file changed\n[feature/x (root-commit) deadbeef12] init\n",
        );
        assert_eq!(f.deliverables, ["1a2b3c4", "deadbeef12"]);
        // A PR URL in the output of some other command is not a deliverable.
        f.note_tool_output(shell, "see https://github.com/o/r/pull/7");
        assert_eq!(f.deliverables.len(), 2);
        let pr = ToolCallKind::of_command("gh pr create --fill");
        f.note_tool_output(pr, "https://github.com/o/r/pull/42\n");
        f.note_tool_output(pr, "https://github.com/o/r/pull/42\n");
        assert_eq!(f.deliverables[2], "https://github.com/o/r/pull/42");
        assert_eq!(f.deliverables.len(), 3);
        assert!(f.looks_productive());
    }

    #[test]
    fn patch_envelopes_name_written_files() {
        let mut f = TranscriptFacts::default();
        f.note_patch("*** Begin Patch\n*** Update File: src/a.rs\n@@\n-x\n+y\n*** Add File: src/b.rs\n+z\n*** End Patch");
        assert_eq!(f.files_written, ["src/a.rs", "src/b.rs"]);
    }

    #[test]
    fn two_distinct_files_make_a_session_productive() {
        let mut f = TranscriptFacts::default();
        f.note_file_write("/a");
        f.note_file_write("/a");
        assert!(!f.looks_productive());
        f.note_file_write("/b");
        assert!(f.looks_productive());
    }

    #[test]
    fn the_raw_precheck_never_misses_what_the_decoded_output_announces() {
        let shell = ToolCallKind::of_command("git commit -am x");
        let pr = ToolCallKind::of_command("gh pr create --fill");
        let outputs = [
            "[main 0123abcd] fix the thing\n 2 files changed",
            "noise\n[feat/ünï-code (root-commit) 89abcdef0] first\nmore",
            "[detached HEAD 1a2b3c4] msg",
            "  [main 0123abcd] indented is not a commit line",
            "[main 0123abcd]no space",
            "a[i] = 0; b[j] = 1; \"quoted\" \\ back\\slash",
            "https://github.com/o/r/pull/5",
            "see http://example.com/pull/5",
            "",
        ];
        for out in outputs {
            for kind in [shell, pr] {
                let mut f = TranscriptFacts::default();
                f.note_tool_output(kind, out);
                // The output as it sits inside a transcript line.
                let line = serde_json::json!({"type": "user", "content": out}).to_string();
                let may = kind.may_announce(line.as_bytes());
                if !f.deliverables.is_empty() {
                    assert!(may, "missed {out:?} in {line}");
                }
                if out.is_empty() || out.starts_with("a[i]") || out.starts_with("see") {
                    assert!(!may, "{out:?} cannot announce anything");
                }
            }
        }
    }
}
