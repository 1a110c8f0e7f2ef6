//! Signals of a Copilot CLI `events.jsonl`: `toolRequests` of assistant messages,
//! `tool.execution_complete` results (success flag, bash output) and session errors.

use std::collections::HashMap;

use super::common::{get, get_or_empty, get_str, head_chars, timestamp_of, Acc};
use super::{Format, Signals};
use crate::records::pyjson::PyValue;

const WRITE_TOOLS: [&str; 3] = ["edit", "write", "create"];

pub(super) fn extract(msgs: &[PyValue]) -> Signals {
    let mut a = Acc::default();
    let mut name_of: HashMap<String, String> = HashMap::new();
    for record in msgs {
        if let Some(t) = timestamp_of(record) {
            a.timestamps.push(t);
        }
        let data = get_or_empty(record, "data");
        match get_str(record, "type") {
            "assistant.message" => {
                let mut step_has_tool = false;
                let requests = match get(data, "toolRequests") {
                    Some(PyValue::List(l)) => l.as_slice(),
                    _ => &[],
                };
                for req in requests {
                    let tool = get_str(req, "name");
                    if tool.is_empty() {
                        continue;
                    }
                    a.count_tool(tool);
                    step_has_tool = true;
                    let id = get_str(req, "toolCallId");
                    if !id.is_empty() {
                        name_of.insert(id.to_string(), tool.to_string());
                    }
                    if WRITE_TOOLS.contains(&tool) {
                        let args = match get(req, "arguments") {
                            Some(PyValue::Str(s)) if !s.is_empty() => {
                                PyValue::parse(s).unwrap_or(PyValue::Dict(Vec::new()))
                            }
                            Some(v) if v.truthy() => v.clone(),
                            _ => PyValue::Dict(Vec::new()),
                        };
                        let mut path = get_str(&args, "path");
                        if path.is_empty() {
                            path = get_str(&args, "file_path");
                        }
                        if !path.is_empty() {
                            let path = path.to_string();
                            if path.contains("/journal/") {
                                a.journal_paths.push(path);
                            } else {
                                a.file_write(tool, &path);
                            }
                        }
                    }
                }
                if step_has_tool {
                    a.steps += 1;
                }
            }
            "tool.execution_complete" => {
                if get(data, "success") == Some(&PyValue::Bool(false)) {
                    a.error_count += 1;
                }
                let tool = name_of.get(get_str(data, "toolCallId"));
                if tool.map(String::as_str) == Some("bash") {
                    let result = get_or_empty(data, "result");
                    let content = match get(result, "detailedContent") {
                        Some(v) if v.truthy() => Some(v),
                        _ => get(result, "content"),
                    };
                    if let Some(PyValue::Str(text)) = content {
                        a.commits_in(head_chars(text, 500), "bash");
                    }
                }
            }
            "session.error" => a.error_count += 1,
            _ => {}
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
        format: Format::Copilot,
        session_duration_s: Some(a.duration_s()),
        deliverables,
        deliverable_details: details,
        ..Signals::from_acc(a)
    }
}
