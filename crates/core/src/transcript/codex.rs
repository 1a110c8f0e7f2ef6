//! Codex rollout lines as entries (the format is described in `harness::codex`).
//!
//! Codex records most things twice: the conversation as `response_item`s (what the
//! model saw, including injected `<environment_context>` and instructions) and as
//! `event_msg`s (what the user saw). Messages and reasoning come from the events
//! (`user_message`, `agent_message`, `agent_reasoning`), which every rollout version
//! has, while `response_item` `message` / `reasoning` are skipped as duplicates. Tool
//! calls exist only as response items: `function_call`, `custom_tool_call`,
//! `local_shell_call`, `web_search_call` (calls, linked by `call_id`) and
//! `function_call_output` / `custom_tool_call_output` (results; a non-zero
//! `metadata.exit_code` or `Exit code: N` marks an error).
//!
//! Usage comes as separate `token_count` events after a model call: each becomes a
//! system entry carrying that call's `last_token_usage` (cached input reported apart
//! from input, as `harness::codex` counts it). Counts that carry only running totals
//! (old rollouts) are not shown per turn. `error` / `stream_error` events are errors;
//! `turn_aborted` is a notice. The model comes from the latest `turn_context` and is
//! carried across pages in the cursor.

use serde_json::Value;

use super::{pretty_input, text_of, Draft, EntryKind, LineFormat};
use crate::harness::{decode_line, parse_ts};
use crate::model::Usage;

pub(crate) struct CodexLines {
    model: Option<String>,
}

impl CodexLines {
    pub fn new(carry: Option<String>) -> Self {
        CodexLines { model: carry }
    }
}

impl LineFormat for CodexLines {
    fn carry(&self) -> Option<String> {
        self.model.clone()
    }

    fn entries(&mut self, line: &[u8], out: &mut Vec<Draft>) -> Result<(), ()> {
        let mut lossy = None;
        let rec: Value = decode_line(line, &mut lossy).ok_or(())?;
        if !rec.is_object() {
            return Err(());
        }
        let ts = parse_ts(rec.get("timestamp").and_then(Value::as_str));
        let p = rec.get("payload").unwrap_or(&Value::Null);
        let start = out.len();
        match rec.get("type").and_then(Value::as_str) {
            Some("turn_context") => {
                if let Some(m) = str_of(p, "model") {
                    self.model = Some(m);
                }
            }
            Some("response_item") => response_item(p, out),
            Some("event_msg") => self.event(p, out),
            _ => {}
        }
        for d in &mut out[start..] {
            d.timestamp = ts;
            if matches!(d.kind, EntryKind::Assistant | EntryKind::Thinking) {
                d.model = self.model.clone();
            }
        }
        Ok(())
    }
}

impl CodexLines {
    fn event(&mut self, p: &Value, out: &mut Vec<Draft>) {
        let text = |k: &str| p.get(k).map(text_of).unwrap_or_default();
        match p.get("type").and_then(Value::as_str) {
            Some("user_message") => out.push(Draft::new(EntryKind::User, text("message"))),
            Some("agent_message") => out.push(Draft::new(EntryKind::Assistant, text("message"))),
            Some("agent_reasoning") => out.push(Draft::new(EntryKind::Thinking, text("text"))),
            Some("error" | "stream_error") => {
                let mut d = Draft::new(EntryKind::Error, text("message"));
                d.is_error = true;
                out.push(d);
            }
            Some("turn_aborted") => {
                let reason = str_of(p, "reason").unwrap_or_else(|| "unknown".into());
                out.push(Draft::new(
                    EntryKind::System,
                    format!("Turn aborted ({reason})"),
                ));
            }
            Some("token_count") => {
                let Some(last) = p
                    .pointer("/info/last_token_usage")
                    .filter(|v| v.is_object())
                else {
                    return;
                };
                let n = |k: &str| last.get(k).and_then(Value::as_u64).unwrap_or(0);
                let input = n("input_tokens");
                let cached = n("cached_input_tokens").min(input);
                let usage = Usage {
                    input_tokens: input - cached,
                    output_tokens: n("output_tokens"),
                    cache_creation_tokens: 0,
                    cache_read_tokens: cached,
                };
                if usage.total() == 0 {
                    return;
                }
                let mut d = Draft::new(EntryKind::System, "Token usage of the model call");
                d.usage = Some(usage);
                d.model = self.model.clone();
                out.push(d);
            }
            _ => {}
        }
    }
}

fn response_item(p: &Value, out: &mut Vec<Draft>) {
    match p.get("type").and_then(Value::as_str) {
        Some("function_call") => {
            let mut d = Draft::new(EntryKind::ToolCall, "");
            d.tool_name = str_of(p, "name");
            d.tool_use_id = str_of(p, "call_id");
            d.tool_input = p.get("arguments").map(pretty_input);
            out.push(d);
        }
        Some("custom_tool_call") => {
            let mut d = Draft::new(EntryKind::ToolCall, "");
            d.tool_name = str_of(p, "name");
            d.tool_use_id = str_of(p, "call_id");
            d.tool_input = p.get("input").map(pretty_input);
            out.push(d);
        }
        Some("local_shell_call") => {
            let mut d = Draft::new(EntryKind::ToolCall, "");
            d.tool_name = Some("shell".into());
            d.tool_use_id = str_of(p, "call_id").or_else(|| str_of(p, "id"));
            d.tool_input = p.get("action").map(pretty_input);
            out.push(d);
        }
        Some("web_search_call") => {
            let mut d = Draft::new(EntryKind::ToolCall, "");
            d.tool_name = Some("web_search".into());
            d.tool_use_id = str_of(p, "id");
            d.tool_input = p.get("action").map(pretty_input);
            out.push(d);
        }
        Some("function_call_output" | "custom_tool_call_output") => {
            let (text, failed) = tool_output(p.get("output").unwrap_or(&Value::Null));
            let mut d = Draft::new(EntryKind::ToolResult, text);
            d.tool_use_id = str_of(p, "call_id");
            d.is_error = failed;
            out.push(d);
        }
        _ => {}
    }
}

/// A tool output's text and whether it failed. Older Codex writes a JSON string
/// `{"output": ..., "metadata": {"exit_code": N}}`, newer plain text that may start
/// with `Exit code: N`; some write an object or a list of content parts.
fn tool_output(output: &Value) -> (String, bool) {
    let exit_failed = |v: &Value| {
        v.pointer("/metadata/exit_code")
            .and_then(Value::as_i64)
            .is_some_and(|c| c != 0)
    };
    match output {
        Value::String(s) => {
            if let Ok(v @ Value::Object(_)) = serde_json::from_str::<Value>(s) {
                if let Some(inner) = v.get("output") {
                    return (text_of(inner), exit_failed(&v));
                }
            }
            let failed = s
                .strip_prefix("Exit code: ")
                .and_then(|rest| {
                    rest.split(|c: char| !c.is_ascii_digit() && c != '-')
                        .next()
                        .and_then(|n| n.parse::<i64>().ok())
                })
                .is_some_and(|c| c != 0);
            (s.clone(), failed)
        }
        Value::Object(o) => match o.get("output").or_else(|| o.get("content")) {
            Some(inner) => (text_of(inner), exit_failed(output)),
            None => (pretty_input(output), exit_failed(output)),
        },
        other => (text_of(other), false),
    }
}

fn str_of(v: &Value, key: &str) -> Option<String> {
    v.get(key)
        .and_then(Value::as_str)
        .filter(|s| !s.is_empty())
        .map(String::from)
}

#[cfg(test)]
mod tests {
    use super::super::test_support::*;
    use super::super::*;
    use crate::model::Harness;

    fn session(n: &str) -> PathBuf {
        let dir = if n == "3" { "21" } else { "20" };
        let name = match n {
            "1" => "rollout-2026-11-20T09-00-00-019a0c11-1111-7000-8000-000000000001.jsonl",
            "2" => "rollout-2026-11-20T14-30-00-019a0c11-2222-7000-8000-000000000002.jsonl",
            _ => "rollout-2026-11-21T10-00-00-019a0c11-3333-7000-8000-000000000003.jsonl",
        };
        fixture(&format!("codex/sessions/2026/11/{dir}/{name}"))
    }

    #[test]
    fn full_turn_with_a_failing_tool_call() {
        let (entries, errors) = read_all(Harness::Codex, &session("1"));
        assert_eq!(errors, 1, "the cut-off reasoning line");
        assert_eq!(
            kinds_and_texts(&entries),
            vec![
                (
                    EntryKind::User,
                    "Run the test suite and fix\nwhatever fails".to_string()
                ),
                (EntryKind::ToolCall, String::new()),
                (
                    EntryKind::ToolResult,
                    "test result: FAILED. 11 passed; 1 failed".to_string()
                ),
                (
                    EntryKind::System,
                    "Token usage of the model call".to_string()
                ),
                (
                    EntryKind::Assistant,
                    "One test fails because the fixture path moved; fixed it.".to_string()
                ),
                (
                    EntryKind::System,
                    "Token usage of the model call".to_string()
                ),
            ]
        );
        let call = &entries[1];
        assert_eq!(call.tool_name.as_deref(), Some("shell"));
        assert_eq!(call.tool_use_id.as_deref(), Some("call_a1"));
        assert_eq!(
            call.tool_input.as_deref(),
            Some("{\n  \"command\": [\n    \"cargo\",\n    \"test\"\n  ]\n}")
        );
        assert_eq!(entries[2].tool_use_id.as_deref(), Some("call_a1"));
        assert!(entries[2].is_error, "exit code 101");
        let u = entries[3].usage.unwrap();
        assert_eq!(
            (u.input_tokens, u.cache_read_tokens, u.output_tokens),
            (1000, 200, 80)
        );
        assert_eq!(entries[4].model.as_deref(), Some("gpt-5-codex"));
    }

    #[test]
    fn model_is_carried_across_pages() {
        // Pages of 3 entries (read_all) still know the model from turn_context.
        let (entries, _) = read_all(Harness::Codex, &session("1"));
        assert!(entries
            .iter()
            .filter(|e| e.kind == EntryKind::Assistant)
            .all(|e| e.model.as_deref() == Some("gpt-5-codex")));
        let last =
            read_transcript(Harness::Codex, &session("1"), &entries[4].at, 1, usize::MAX).unwrap();
        assert_eq!(last.entries[0].model.as_deref(), Some("gpt-5-codex"));
    }

    #[test]
    fn legacy_rollout_shows_messages_but_no_per_turn_totals() {
        let (entries, errors) = read_all(Harness::Codex, &session("2"));
        // The last line has no newline: it is not read (yet).
        assert_eq!(errors, 0);
        assert_eq!(
            kinds_and_texts(&entries),
            vec![(EntryKind::User, "explain this repo".to_string())]
        );
    }

    #[test]
    fn tool_outputs_in_every_shape() {
        assert_eq!(
            super::tool_output(&serde_json::json!("Exit code: 2\nWall time: 1s\nboom")),
            ("Exit code: 2\nWall time: 1s\nboom".to_string(), true)
        );
        assert_eq!(
            super::tool_output(&serde_json::json!("Exit code: 0\nok")),
            ("Exit code: 0\nok".to_string(), false)
        );
        assert_eq!(
            super::tool_output(&serde_json::json!({"output":"done","metadata":{"exit_code":0}})),
            ("done".to_string(), false)
        );
    }
}
