//! Signals of a Grok Build streaming-json log: `tool_call` records, completed
//! `tool_call_update`s (exit codes, commit output of `git commit` commands). It has no
//! timestamps, so no duration.

use std::collections::HashMap;

use super::common::{get, get_or_empty, get_str, s, Acc, COMMIT_RE};
use super::{Format, Signals};
use crate::records::pyjson::PyValue;

const WRITE_TOOLS: [&str; 2] = ["write", "search_replace"];

pub(super) fn extract(msgs: &[PyValue]) -> Signals {
    let mut a = Acc::default();
    let mut input_of: HashMap<String, PyValue> = HashMap::new();
    let mut batch_has_tool = false;
    for record in msgs {
        match get_str(record, "type") {
            "tool_call" => {
                let tool = get_str(record, "toolName");
                let input = get_or_empty(record, "rawInput");
                let id = get_str(record, "toolCallId");
                if !tool.is_empty() {
                    a.count_tool(tool);
                    batch_has_tool = true;
                }
                if !id.is_empty() {
                    input_of.insert(id.to_string(), input.clone());
                }
                if WRITE_TOOLS.contains(&tool) {
                    let path = get_str(input, "path");
                    if !path.is_empty() {
                        if path.contains("/journal/") {
                            a.journal_paths.push(path.to_string());
                        } else {
                            a.file_writes.push(path.to_string());
                        }
                        a.record_detail(
                            path,
                            "file",
                            "tool_authored",
                            vec![("source", s("trajectory")), ("tool_name", s(tool))],
                        );
                    }
                }
            }
            "tool_call_update" => {
                if get_str(record, "status") != "completed" {
                    continue;
                }
                let out = get_or_empty(record, "rawOutput");
                if !out.is_dict() {
                    continue;
                }
                if let Some(PyValue::Int(code)) = get(out, "exit_code") {
                    if *code != 0 {
                        a.error_count += 1;
                    }
                }
                let empty = PyValue::Dict(Vec::new());
                let input = input_of
                    .get(get_str(record, "toolCallId"))
                    .unwrap_or(&empty);
                let mut command = get_str(input, "command");
                if command.is_empty() {
                    command = get_str(out, "command");
                }
                if !command.is_empty()
                    && (command.contains("git commit") || command.contains("git-safe-commit"))
                {
                    let text = get_str(out, "output_for_prompt");
                    for c in COMMIT_RE.captures_iter(text) {
                        let value = format!("{} {}", &c[1], c[2].trim());
                        if !a.git_commits.contains(&value) {
                            a.git_commits.push(value.clone());
                            a.record_detail(
                                &value,
                                "git_commit",
                                "tool_authored",
                                vec![
                                    ("source", s("trajectory")),
                                    ("tool_name", s("run_terminal_command")),
                                ],
                            );
                        }
                    }
                }
            }
            "text" if batch_has_tool => {
                a.steps += 1;
                batch_has_tool = false;
            }
            _ => {}
        }
    }
    if batch_has_tool {
        a.steps += 1;
    }
    let (deliverables, details) = a.deliverables(
        a.git_commits
            .iter()
            .chain(&a.file_writes)
            .cloned()
            .collect(),
    );
    Signals {
        format: Format::Grok,
        session_duration_s: None,
        deliverables,
        deliverable_details: details,
        summarizer_fired: Some(false),
        ..Signals::from_acc(a)
    }
}
