//! Signals of a Codex CLI rollout: `apply_patch` file directives, shell redirects in
//! `exec_command` / `exec` commands, commits in shell output, non-zero exit codes.
//! A step is a turn (between `turn_context` records) that called a tool.

use std::collections::HashMap;
use std::sync::LazyLock;

use regex::Regex;

use super::common::{get, get_or_empty, get_str, head_chars, timestamp_of, Acc};
use super::{Format, Signals};
use crate::records::pyjson::PyValue;

static PATCH_FILE: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"(?m)^\*\*\*\s+(?:Add|Update)\s+File:\s+(.+?)\s*$").unwrap());
/// `(?:cat\s*>\s*|tee\s+(?:-\S+\s+)*|>(?!=)\s*)([^\s<>|&;]+)`; the look-ahead is
/// checked by hand (group 1 marks the bare `>` branch).
static REDIRECT: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"(?:cat\s*>\s*|tee\s+(?:-\S+\s+)*|(>)\s*)([^\s<>|&;]+)").unwrap());
static EXEC_CMD: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r#"tools\.exec_command\s*\(\s*[^)]*?"cmd"\s*:\s*("(?:[^"\\]|\\.)*")"#).unwrap()
});
static EXIT_CODE: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"Process exited with code (\d+)").unwrap());

/// Files a shell command writes through `cat >`, `tee` or a `>` redirect.
fn shell_writes(cmd: &str, tool: &str, a: &mut Acc) {
    let mut at = 0;
    while at <= cmd.len() {
        let Some(c) = REDIRECT.captures_at(cmd, at) else {
            break;
        };
        let whole = c.get(0).map_or(0..0, |m| m.range());
        if let Some(gt) = c.get(1) {
            if cmd[gt.end()..].starts_with('=') {
                // `>=`: not a redirect; the search goes on from the next character.
                at = gt.end();
                continue;
            }
        }
        at = whole.end.max(whole.start + 1);
        let path = c[2].trim_matches(['\'', '"']);
        if path.starts_with("/dev/") {
            continue;
        }
        if path.contains("/journal/") {
            a.journal_paths.push(path.to_string());
        } else {
            a.file_write(tool, path);
        }
    }
}

fn exit_error(output: &str, a: &mut Acc) {
    if output.contains("Process exited with code ") {
        if let Some(c) = EXIT_CODE.captures(output) {
            if &c[1] != "0" {
                a.error_count += 1;
            }
        }
    }
}

pub(super) fn extract(msgs: &[PyValue]) -> Signals {
    let mut a = Acc::default();
    let mut name_of: HashMap<String, String> = HashMap::new();
    let mut turn_has_tool = false;
    for record in msgs {
        if let Some(t) = timestamp_of(record) {
            a.timestamps.push(t);
        }
        match get_str(record, "type") {
            "turn_context" => {
                if turn_has_tool {
                    a.steps += 1;
                }
                turn_has_tool = false;
            }
            "response_item" => {
                let p = get_or_empty(record, "payload");
                let name = get_str(p, "name");
                match get_str(p, "type") {
                    "custom_tool_call" if name == "apply_patch" => {
                        a.count_tool("apply_patch");
                        turn_has_tool = true;
                        let input = get_str(p, "input");
                        for m in PATCH_FILE.captures_iter(input) {
                            let path = m[1].trim();
                            if path.contains("/journal/") || path.starts_with("journal/") {
                                a.journal_paths.push(path.to_string());
                            } else {
                                a.file_write("apply_patch", path);
                            }
                        }
                    }
                    "function_call" => {
                        if name.is_empty() {
                            continue;
                        }
                        a.count_tool(name);
                        turn_has_tool = true;
                        let call_id = get_str(p, "call_id");
                        if !call_id.is_empty() {
                            name_of.insert(call_id.to_string(), name.to_string());
                        }
                        if name == "exec_command" {
                            let args = match get(p, "arguments") {
                                Some(PyValue::Str(s)) => PyValue::parse(s).unwrap_or(PyValue::Null),
                                Some(v) => v.clone(),
                                None => PyValue::Null,
                            };
                            if args.is_dict() {
                                let cmd = get_str(&args, "cmd").to_string();
                                shell_writes(&cmd, "exec_command", &mut a);
                            }
                        }
                    }
                    "custom_tool_call" if name == "exec" => {
                        a.count_tool("exec");
                        turn_has_tool = true;
                        let call_id = get_str(p, "call_id");
                        if !call_id.is_empty() {
                            name_of.insert(call_id.to_string(), "exec".into());
                        }
                        let input = get_str(p, "input");
                        for m in EXEC_CMD.captures_iter(input) {
                            if let Ok(cmd) = serde_json::from_str::<String>(&m[1]) {
                                shell_writes(&cmd, "exec", &mut a);
                            }
                        }
                    }
                    "function_call_output" => {
                        let output = get_str(p, "output");
                        let tool = name_of
                            .get(get_str(p, "call_id"))
                            .cloned()
                            .unwrap_or_default();
                        exit_error(output, &mut a);
                        if tool == "exec_command" || tool == "write_stdin" {
                            a.commits_in(head_chars(output, 8000), &tool);
                        }
                    }
                    "custom_tool_call_output" => {
                        let tool = name_of.get(get_str(p, "call_id")).map(String::as_str);
                        if tool == Some("exec") {
                            let output = match get(p, "output") {
                                Some(PyValue::Str(s)) => s.clone(),
                                Some(PyValue::List(blocks)) => blocks
                                    .iter()
                                    .filter(|b| b.is_dict())
                                    .map(|b| get_str(b, "text"))
                                    .collect::<Vec<_>>()
                                    .join("\n"),
                                _ => String::new(),
                            };
                            exit_error(&output, &mut a);
                            a.commits_in(&output, "exec");
                        }
                    }
                    _ => {}
                }
            }
            _ => {}
        }
    }
    if turn_has_tool {
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
        format: Format::Codex,
        session_duration_s: Some(a.duration_s()),
        deliverables,
        deliverable_details: details,
        ..Signals::from_acc(a)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn redirects_skip_comparisons_and_devices() {
        let mut a = Acc::default();
        shell_writes(
            "echo hi > out.txt; test $a >= 3; ls 2>/dev/null | tee -a log.txt",
            "exec",
            &mut a,
        );
        assert_eq!(a.file_writes, vec!["out.txt", "log.txt"]);
        let mut b = Acc::default();
        shell_writes("cat > 'notes/journal/x.md' <<EOF", "exec", &mut b);
        assert_eq!(b.journal_paths, vec!["notes/journal/x.md"]);
    }
}
