//! Claude Code lines as entries (the format is described in `harness::claude`).
//!
//! - `user` records: a string or `text` blocks are a prompt; `tool_result` blocks are
//!   tool results (`tool_use_id`, `is_error`); `isMeta` records and
//!   `<local-command-…>` output are agent notices (system); `isCompactSummary` records
//!   are the summary a compaction left.
//! - `assistant` records: `text`, `thinking` / `redacted_thinking` and `tool_use`
//!   blocks (`name`, `id`, `input`); `isApiErrorMessage` turns the text into an error.
//!   Streaming writes one message as several lines sharing `message.id` and
//!   `requestId`, each repeating the usage: usage is attached to the first line of a
//!   message only (the key of the last message seen is the cursor's `carry`).
//! - `summary` records: a summary; `system` records: a notice, or an error when their
//!   `level` is `error` or they are API errors.
//! - Everything else (`file-history-snapshot`, ...) shows nothing.

use serde_json::Value;

use crate::agents::transcript::{pretty_input, text_of, Draft, EntryKind, LineFormat};
use crate::agents::{decode_line, parse_ts};
use crate::model::Usage;

pub(crate) struct ClaudeLines {
    /// `message.id:requestId` of the last assistant line, to attach usage once.
    last_message: Option<String>,
}

impl ClaudeLines {
    pub fn new(carry: Option<String>) -> Self {
        ClaudeLines {
            last_message: carry,
        }
    }
}

impl LineFormat for ClaudeLines {
    fn carry(&self) -> Option<String> {
        self.last_message.clone()
    }

    fn entries(&mut self, line: &[u8], out: &mut Vec<Draft>) -> Result<(), ()> {
        let mut lossy = None;
        let rec: Value = decode_line(line, &mut lossy).ok_or(())?;
        if !rec.is_object() {
            return Err(());
        }
        let ts = parse_ts(rec.get("timestamp").and_then(Value::as_str));
        let flag = |k: &str| rec.get(k).and_then(Value::as_bool) == Some(true);
        let start = out.len();
        match rec.get("type").and_then(Value::as_str) {
            Some("summary") => {
                let text = rec.get("summary").and_then(Value::as_str).unwrap_or("");
                out.push(Draft::new(EntryKind::Summary, text));
            }
            Some("system") => {
                let text = rec
                    .get("content")
                    .map(text_of)
                    .filter(|t| !t.is_empty())
                    .or_else(|| rec.get("subtype").and_then(Value::as_str).map(String::from))
                    .unwrap_or_default();
                let error = flag("isApiErrorMessage")
                    || rec.get("level").and_then(Value::as_str) == Some("error");
                let mut d = Draft::new(
                    if error {
                        EntryKind::Error
                    } else {
                        EntryKind::System
                    },
                    text,
                );
                d.is_error = error;
                out.push(d);
            }
            Some("user") => {
                let content = rec.pointer("/message/content").unwrap_or(&Value::Null);
                let prompt_kind = if flag("isCompactSummary") {
                    EntryKind::Summary
                } else if flag("isMeta") {
                    EntryKind::System
                } else {
                    EntryKind::User
                };
                let prompt = |text: String| {
                    if text.starts_with("<local-command") {
                        return Draft::new(EntryKind::System, text);
                    }
                    Draft::new(prompt_kind, slash_command(&text).unwrap_or(text))
                };
                match content {
                    Value::String(s) => out.push(prompt(s.clone())),
                    Value::Array(blocks) => {
                        for b in blocks {
                            match b.get("type").and_then(Value::as_str) {
                                Some("text") => {
                                    let t = b.get("text").and_then(Value::as_str).unwrap_or("");
                                    out.push(prompt(t.to_string()));
                                }
                                Some("tool_result") => {
                                    let mut d = Draft::new(
                                        EntryKind::ToolResult,
                                        b.get("content").map(text_of).unwrap_or_default(),
                                    );
                                    d.tool_use_id = str_of(b, "tool_use_id");
                                    d.is_error =
                                        b.get("is_error").and_then(Value::as_bool) == Some(true);
                                    out.push(d);
                                }
                                Some("image") => out.push(prompt("[image]".to_string())),
                                _ => {}
                            }
                        }
                    }
                    _ => {}
                }
            }
            Some("assistant") => self.assistant(&rec, flag("isApiErrorMessage"), out),
            _ => {}
        }
        for d in &mut out[start..] {
            d.timestamp = ts;
        }
        Ok(())
    }
}

impl ClaudeLines {
    fn assistant(&mut self, rec: &Value, api_error: bool, out: &mut Vec<Draft>) {
        let Some(msg) = rec.get("message") else {
            return;
        };
        let model = msg
            .get("model")
            .and_then(Value::as_str)
            .filter(|m| !m.is_empty() && *m != "<synthetic>")
            .map(String::from);
        let start = out.len();
        match msg.get("content") {
            Some(Value::String(s)) => out.push(Draft::new(EntryKind::Assistant, s.clone())),
            Some(Value::Array(blocks)) => {
                for b in blocks {
                    match b.get("type").and_then(Value::as_str) {
                        Some("text") => {
                            let t = b.get("text").and_then(Value::as_str).unwrap_or("");
                            if !t.trim().is_empty() {
                                out.push(Draft::new(EntryKind::Assistant, t));
                            }
                        }
                        Some("thinking") => {
                            // Newer models may record only a signature: nothing to show.
                            let t = b.get("thinking").and_then(Value::as_str).unwrap_or("");
                            if !t.trim().is_empty() {
                                out.push(Draft::new(EntryKind::Thinking, t));
                            }
                        }
                        Some("redacted_thinking") => {
                            out.push(Draft::new(EntryKind::Thinking, "[redacted thinking]"))
                        }
                        Some("tool_use" | "server_tool_use") => {
                            let mut d = Draft::new(EntryKind::ToolCall, "");
                            d.tool_name = str_of(b, "name");
                            d.tool_use_id = str_of(b, "id");
                            d.tool_input = b.get("input").map(pretty_input);
                            out.push(d);
                        }
                        _ => {}
                    }
                }
            }
            _ => {}
        }
        if api_error {
            for d in &mut out[start..] {
                if d.kind == EntryKind::Assistant {
                    d.kind = EntryKind::Error;
                    d.is_error = true;
                }
            }
        }
        let key = match (
            msg.get("id").and_then(Value::as_str),
            rec.get("requestId").and_then(Value::as_str),
        ) {
            (Some(m), Some(r)) => Some(format!("{m}:{r}")),
            _ => None,
        };
        let repeated = key.is_some() && key == self.last_message;
        // A line that shows nothing (an empty thinking block) leaves the usage to the
        // next line of its message.
        if let Some(first) = out.get_mut(start) {
            first.usage = msg.get("usage").filter(|_| !repeated).map(usage_of);
            if key.is_some() {
                self.last_message = key;
            }
        }
        for d in &mut out[start..] {
            d.model = model.clone();
        }
    }
}

/// A slash command is recorded as `<command-name>/x</command-name>` tags (with
/// `<command-message>` and `<command-args>`); shown as the user typed it: `/x args`.
fn slash_command(text: &str) -> Option<String> {
    if !text.trim_start().starts_with("<command-") {
        return None; // a prompt that only mentions the tags
    }
    let inner = |tag: &str| {
        let open = format!("<{tag}>");
        let close = format!("</{tag}>");
        let from = text.find(&open)? + open.len();
        let len = text[from..].find(&close)?;
        Some(text[from..from + len].trim().to_string())
    };
    let name = inner("command-name")?;
    let args = inner("command-args").unwrap_or_default();
    Some(if args.is_empty() {
        name
    } else {
        format!("{name} {args}")
    })
}

fn usage_of(u: &Value) -> Usage {
    let n = |k: &str| u.get(k).and_then(Value::as_u64).unwrap_or(0);
    Usage {
        input_tokens: n("input_tokens"),
        output_tokens: n("output_tokens"),
        cache_creation_tokens: n("cache_creation_input_tokens"),
        cache_read_tokens: n("cache_read_input_tokens"),
    }
}

fn str_of(v: &Value, key: &str) -> Option<String> {
    v.get(key).and_then(Value::as_str).map(String::from)
}

#[cfg(test)]
mod tests {
    use crate::agents::transcript::test_support::*;
    use crate::agents::transcript::*;
    use crate::model::Harness;
    use std::path::PathBuf;

    fn fixture_path() -> PathBuf {
        fixture("claude/projects/-home-dev-api/6c1e2f3a-8b4d-4e5f-9a0b-1c2d3e4f5a60.jsonl")
    }

    #[test]
    fn fixture_session_reads_as_written() {
        let (entries, errors) = read_all(Harness::ClaudeCode, &fixture_path());
        assert_eq!(
            kinds_and_texts(&entries),
            vec![
                (EntryKind::User, "Add a login rate limiter".to_string()),
                (EntryKind::Thinking, "plan".to_string()),
                (EntryKind::ToolCall, String::new()),
                (EntryKind::ToolResult, "error: 2 tests failed".to_string()),
                (
                    EntryKind::Assistant,
                    "Added the limiter; two old tests need updating.".to_string()
                ),
            ]
        );
        // The line cut off mid-write is the one parse error.
        assert_eq!(errors, 1);
        let call = &entries[2];
        assert_eq!(call.tool_name.as_deref(), Some("Bash"));
        assert_eq!(call.tool_use_id.as_deref(), Some("toolu_1"));
        assert_eq!(
            call.tool_input.as_deref(),
            Some("{\n  \"command\": \"cargo test\"\n}")
        );
        let result = &entries[3];
        assert_eq!(result.tool_use_id.as_deref(), Some("toolu_1"));
        assert!(result.is_error);
        // Usage of the streamed message msg_1 is on its first line only.
        let u = entries[1].usage.expect("usage on the first line of msg_1");
        assert_eq!((u.input_tokens, u.output_tokens), (12, 4));
        assert_eq!(
            (u.cache_creation_tokens, u.cache_read_tokens),
            (5000, 12000)
        );
        assert_eq!(call.usage, None);
        assert_eq!(entries[4].usage.map(|u| u.output_tokens), Some(220));
        assert_eq!(
            entries[4].model.as_deref(),
            Some("claude-sonnet-4-5-20250929")
        );
        assert_eq!(
            entries[0].timestamp.map(|t| t.to_rfc3339()),
            Some("2026-11-23T12:00:00+00:00".to_string())
        );
        let indexes: Vec<u32> = entries.iter().map(|e| e.index).collect();
        assert_eq!(indexes, vec![0, 1, 2, 3, 4]);
    }

    #[test]
    fn usage_of_a_message_whose_first_line_shows_nothing_moves_to_the_next() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("s.jsonl");
        let line = |block: &str| {
            format!(
                r#"{{"type":"assistant","requestId":"r1","message":{{"id":"m1","content":[{block}],"usage":{{"input_tokens":7,"output_tokens":3}}}}}}"#
            )
        };
        std::fs::write(
            &p,
            format!(
                "{}\n{}\n{}\n",
                line(r#"{"type":"thinking","thinking":"","signature":"abc"}"#),
                line(r#"{"type":"text","text":"one"}"#),
                line(r#"{"type":"text","text":"two"}"#)
            ),
        )
        .unwrap();
        let (entries, _) = read_all(Harness::ClaudeCode, &p);
        assert_eq!(entries.len(), 2);
        assert_eq!(entries[0].usage.map(|u| u.input_tokens), Some(7));
        assert_eq!(entries[1].usage, None);
    }

    #[test]
    fn summaries_system_errors_meta_and_api_errors() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("s.jsonl");
        std::fs::write(
            &p,
            concat!(
                r#"{"type":"summary","summary":"Rate limiter work","leafUuid":"x"}"#, "\n",
                r#"{"type":"user","isMeta":true,"message":{"role":"user","content":"Caveat: local commands"}}"#, "\n",
                r#"{"type":"user","message":{"role":"user","content":"<local-command-stdout>ok</local-command-stdout>"}}"#, "\n",
                r#"{"type":"system","content":"Request timed out","level":"error"}"#, "\n",
                r#"{"type":"assistant","isApiErrorMessage":true,"message":{"model":"<synthetic>","content":[{"type":"text","text":"API Error: 529 overloaded"}]}}"#, "\n",
                r#"{"type":"user","isCompactSummary":true,"message":{"role":"user","content":"Summary of earlier work"}}"#, "\n",
                r#"{"type":"user","message":{"role":"user","content":"<command-name>/review</command-name>\n<command-message>review</command-message>\n<command-args>PR 12</command-args>"}}"#, "\n",
            ),
        )
        .unwrap();
        let (entries, errors) = read_all(Harness::ClaudeCode, &p);
        assert_eq!(errors, 0);
        assert_eq!(
            kinds_and_texts(&entries),
            vec![
                (EntryKind::Summary, "Rate limiter work".to_string()),
                (EntryKind::System, "Caveat: local commands".to_string()),
                (
                    EntryKind::System,
                    "<local-command-stdout>ok</local-command-stdout>".to_string()
                ),
                (EntryKind::Error, "Request timed out".to_string()),
                (EntryKind::Error, "API Error: 529 overloaded".to_string()),
                (EntryKind::Summary, "Summary of earlier work".to_string()),
                (EntryKind::User, "/review PR 12".to_string()),
            ]
        );
        assert!(entries[4].is_error);
        assert_eq!(entries[4].model, None, "<synthetic> is not a model");
    }
}
