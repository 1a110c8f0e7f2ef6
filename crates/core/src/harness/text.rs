//! The searchable text of a transcript line: user prompts, assistant text and tool
//! output, each with its author and time, for the full-text index (`search`).
//!
//! Read for Claude Code (`message.content`: a string, or blocks of `text` and
//! `tool_result` whose `content` is a string or a list of `text` blocks), Codex
//! (`event_msg` `user_message` / `agent_message`, and `response_item`
//! `function_call_output` / `custom_tool_call_output` `output`, whose older JSON form
//! wraps the text in `output`) and gptme (`role`, `content`). Thinking blocks, tool
//! inputs and the other agents' formats are not indexed. Never panics on input; a line
//! that is not JSON yields nothing.

use std::path::Path;

use chrono::{DateTime, Utc};
use serde_json::Value;

use super::parse_ts;
use crate::model::{Harness, TextRole};

/// Longest text kept from one piece (a tool output can be megabytes; its first part
/// is what people search for: the command's errors and results).
pub const PIECE_MAX_BYTES: usize = 64 * 1024;

/// One searchable piece of a transcript.
#[derive(Debug, Clone, PartialEq)]
pub struct TextPiece {
    pub role: TextRole,
    pub timestamp: Option<DateTime<Utc>>,
    pub text: String,
}

/// Append the pieces of one line of a `harness` transcript at `path` to `out`.
pub fn pieces_of_line(harness: Harness, path: &Path, line: &[u8], out: &mut Vec<TextPiece>) {
    let _ = path;
    let Ok(v) = serde_json::from_slice::<Value>(line) else {
        return;
    };
    let ts = parse_ts(v.get("timestamp").and_then(Value::as_str));
    let mut push = |role: TextRole, text: &str| {
        let text = text.trim();
        if !text.is_empty() {
            out.push(TextPiece {
                role,
                timestamp: ts,
                text: clip(text, PIECE_MAX_BYTES).to_string(),
            });
        }
    };
    match harness {
        Harness::ClaudeCode => {
            let role = match v.get("type").and_then(Value::as_str) {
                Some("user") => TextRole::User,
                Some("assistant") => TextRole::Assistant,
                _ => return,
            };
            match v.pointer("/message/content") {
                Some(Value::String(s)) => push(role, s),
                Some(Value::Array(blocks)) => {
                    for b in blocks {
                        match b.get("type").and_then(Value::as_str) {
                            Some("text") => {
                                if let Some(t) = b.get("text").and_then(Value::as_str) {
                                    push(role, t);
                                }
                            }
                            Some("tool_result") => match b.get("content") {
                                Some(Value::String(s)) => push(TextRole::Tool, s),
                                Some(Value::Array(parts)) => {
                                    for p in parts {
                                        if let Some(t) = p.get("text").and_then(Value::as_str) {
                                            push(TextRole::Tool, t);
                                        }
                                    }
                                }
                                _ => {}
                            },
                            _ => {}
                        }
                    }
                }
                _ => {}
            }
        }
        Harness::Codex => {
            let p = v.get("payload").unwrap_or(&Value::Null);
            let text = |k: &str| p.get(k).and_then(Value::as_str);
            match (v.get("type").and_then(Value::as_str), text("type")) {
                (Some("event_msg"), Some("user_message")) => {
                    if let Some(t) = text("message") {
                        push(TextRole::User, t);
                    }
                }
                (Some("event_msg"), Some("agent_message")) => {
                    if let Some(t) = text("message") {
                        push(TextRole::Assistant, t);
                    }
                }
                (
                    Some("response_item"),
                    Some("function_call_output" | "custom_tool_call_output"),
                ) => match p.get("output") {
                    Some(Value::String(s)) => {
                        // Older Codex wraps the text in JSON: {"output": "...", "metadata": ...}.
                        let inner = s
                            .starts_with('{')
                            .then(|| serde_json::from_str::<Value>(s).ok())
                            .flatten();
                        match inner.as_ref().and_then(|i| i.get("output")?.as_str()) {
                            Some(t) => push(TextRole::Tool, t),
                            None => push(TextRole::Tool, s),
                        }
                    }
                    Some(o) => {
                        if let Some(t) = o.get("output").and_then(Value::as_str) {
                            push(TextRole::Tool, t);
                        }
                    }
                    None => {}
                },
                _ => {}
            }
        }
        Harness::Gptme => {
            let role = match v.get("role").and_then(Value::as_str) {
                Some("user") => TextRole::User,
                Some("assistant") => TextRole::Assistant,
                Some("system") => TextRole::Tool,
                _ => return,
            };
            if let Some(t) = v.get("content").and_then(Value::as_str) {
                push(role, t);
            }
        }
        Harness::Gemini | Harness::Opencode | Harness::Copilot => {}
    }
}

/// The longest prefix of `s` of at most `max` bytes that ends on a character boundary.
fn clip(s: &str, max: usize) -> &str {
    if s.len() <= max {
        return s;
    }
    let mut end = max;
    while !s.is_char_boundary(end) {
        end -= 1;
    }
    &s[..end]
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pieces(h: Harness, line: &str) -> Vec<(TextRole, String)> {
        let mut out = Vec::new();
        pieces_of_line(h, Path::new("x.jsonl"), line.as_bytes(), &mut out);
        out.into_iter().map(|p| (p.role, p.text)).collect()
    }

    #[test]
    fn claude_prompts_answers_and_tool_output() {
        assert_eq!(
            pieces(
                Harness::ClaudeCode,
                r#"{"type":"user","timestamp":"2026-01-01T00:00:00Z","message":{"content":"fix the bug"}}"#
            ),
            [(TextRole::User, "fix the bug".to_string())]
        );
        assert_eq!(
            pieces(
                Harness::ClaudeCode,
                r#"{"type":"user","message":{"content":[{"type":"tool_result","content":[{"type":"text","text":"line 1"}]},{"type":"tool_result","content":"boom"}]}}"#
            ),
            [
                (TextRole::Tool, "line 1".to_string()),
                (TextRole::Tool, "boom".to_string())
            ]
        );
        assert_eq!(
            pieces(
                Harness::ClaudeCode,
                r#"{"type":"assistant","message":{"content":[{"type":"thinking","thinking":"hidden"},{"type":"text","text":"Done."}]}}"#
            ),
            [(TextRole::Assistant, "Done.".to_string())]
        );
        assert!(pieces(Harness::ClaudeCode, "{not json").is_empty());
    }

    #[test]
    fn codex_messages_and_both_output_shapes() {
        let out = r#"{"type":"response_item","payload":{"type":"function_call_output","output":"{\"output\":\"cargo ok\",\"metadata\":{\"exit_code\":0}}"}}"#;
        assert_eq!(
            pieces(Harness::Codex, out),
            [(TextRole::Tool, "cargo ok".to_string())]
        );
        let msg =
            r#"{"type":"event_msg","payload":{"type":"agent_message","message":"All green"}}"#;
        assert_eq!(
            pieces(Harness::Codex, msg),
            [(TextRole::Assistant, "All green".to_string())]
        );
    }

    #[test]
    fn long_text_is_clipped_on_a_character_boundary() {
        let long = "é".repeat(PIECE_MAX_BYTES);
        let line = serde_json::json!({"role": "user", "content": long}).to_string();
        let p = pieces(Harness::Gptme, &line);
        assert_eq!(p[0].1.len(), PIECE_MAX_BYTES);
        assert!(p[0].1.chars().all(|c| c == 'é'));
    }
}
