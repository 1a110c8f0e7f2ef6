//! Signals of a gptme `conversation.jsonl`: tool calls are `@tool(id): {json}` blocks
//! in assistant messages, results and errors are timestamped system messages.

use std::sync::LazyLock;

use regex::Regex;

use super::common::{get, get_str, head_chars, timestamp_of, Acc};
use super::{Format, Signals};
use crate::records::pyjson::PyValue;

/// The marker gptme-tooloutput-trimmer's summarization pass starts its message with.
const SUMMARIZATION_MARKER: &str = "[Summarized previous tool outputs]";

static BLOCK_START: LazyLock<Regex> = LazyLock::new(|| Regex::new(r"\n@\w+\(").unwrap());
static BLOCK: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"(?s)^\n@(\w+)\(([^)]+)\):\s*(.*)").unwrap());
static PATH_ARG: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r#""path"\s*:\s*"([^"]+)""#).unwrap());

/// `re.split(r"(?=\n@\w+\()", text)`: pieces starting at each block start.
fn split_blocks(text: &str) -> Vec<&str> {
    let mut cuts: Vec<usize> = Vec::new();
    let mut at = 0;
    while let Some(m) = BLOCK_START.find_at(text, at) {
        cuts.push(m.start());
        // The next block may start right after this one's newline.
        at = m.start() + 1;
    }
    let mut out = Vec::new();
    let mut prev = 0;
    for c in cuts {
        out.push(&text[prev..c]);
        prev = c;
    }
    out.push(&text[prev..]);
    out
}

pub(super) fn extract(msgs: &[PyValue]) -> Signals {
    let mut a = Acc::default();
    let mut summarizer_fired = false;
    for msg in msgs {
        let role = get_str(msg, "role");
        let content = get_str(msg, "content");
        let has_ts = get(msg, "timestamp").is_some_and(PyValue::truthy);
        if let Some(ts) = timestamp_of(msg) {
            a.timestamps.push(ts);
        }
        if role == "assistant" {
            let text = format!("\n{content}");
            let mut step_has_tool = false;
            for block in split_blocks(&text) {
                let Some(c) = BLOCK.captures(block) else {
                    continue;
                };
                let tool = c.get(1).map_or("", |m| m.as_str());
                a.count_tool(tool);
                step_has_tool = true;
                if matches!(tool, "save" | "write" | "patch" | "edit") {
                    let args = c.get(3).map_or("", |m| m.as_str());
                    if let Some(p) = PATH_ARG.captures(args) {
                        let path = &p[1];
                        if path.contains("/journal/") {
                            a.journal_paths.push(path.to_string());
                        } else {
                            a.file_write(tool, path);
                        }
                    }
                }
            }
            if step_has_tool {
                a.steps += 1;
            }
        } else if role == "system" && has_ts {
            let stripped = content.trim();
            if stripped.starts_with(SUMMARIZATION_MARKER) {
                summarizer_fired = true;
            }
            if !stripped.starts_with("Ran command:")
                && (stripped.starts_with("Error")
                    || head_chars(content, 100).contains("Error during execution:")
                    || head_chars(content, 80).to_lowercase().contains("error:"))
            {
                a.error_count += 1;
            }
            a.commits_in(head_chars(content, 500), "shell");
        }
    }
    let (deliverables, details) = a.deliverables(
        a.git_commits
            .iter()
            .chain(&a.file_writes)
            .cloned()
            .collect(),
    );
    Signals {
        format: Format::Gptme,
        session_duration_s: Some(a.duration_s()),
        deliverables,
        deliverable_details: details,
        summarizer_fired: Some(summarizer_fired),
        ..Signals::from_acc(a)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn blocks_split_before_each_tool_call() {
        let t = "\nhi\n@save(c1): {\"path\": \"a\"}\n@shell(c2): ls";
        let b = split_blocks(t);
        assert_eq!(
            b,
            vec!["\nhi", "\n@save(c1): {\"path\": \"a\"}", "\n@shell(c2): ls"]
        );
        assert_eq!(split_blocks("\n@x(1): y"), vec!["", "\n@x(1): y"]);
    }
}
