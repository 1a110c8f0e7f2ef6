//! Claude Code lines as entries (the format is described in `agents::claude`; each
//! line is decoded into the same [`Record`] the facts parser reads).
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

use super::wire::{Content, RawUsage, Record};
use crate::agents::transcript::{pretty_input, text_of, Draft, EntryKind, LineFormat};
use crate::agents::{decode_line, parse_ts, raw_json};

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
        let rec: Record = decode_line(line, &mut lossy).ok_or(())?;
        let ts = parse_ts(rec.timestamp.as_deref());
        let start = out.len();
        match rec.kind.as_deref() {
            Some("summary") => {
                let text = rec.summary.as_deref().unwrap_or("");
                out.push(Draft::new(EntryKind::Summary, text));
            }
            Some("system") => {
                let text = raw_json(rec.content.0)
                    .map(|c| text_of(&c))
                    .filter(|t| !t.is_empty())
                    .or_else(|| rec.subtype.as_deref().map(String::from))
                    .unwrap_or_default();
                let error = rec.is_api_error == Some(true) || rec.level.as_deref() == Some("error");
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
                let prompt_kind = if rec.is_compact_summary == Some(true) {
                    EntryKind::Summary
                } else if rec.is_meta == Some(true) {
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
                match rec.message.and_then(|m| m.content) {
                    Some(Content::Text(s)) => out.push(prompt(s.into_owned())),
                    Some(Content::Blocks(blocks)) => {
                        for b in blocks {
                            match b.kind.as_deref() {
                                Some("text") => {
                                    let t = b.text.as_deref().unwrap_or("");
                                    out.push(prompt(t.to_string()));
                                }
                                Some("tool_result") => {
                                    let mut d = Draft::new(
                                        EntryKind::ToolResult,
                                        raw_json(b.content.raw)
                                            .map(|c| text_of(&c))
                                            .unwrap_or_default(),
                                    );
                                    d.tool_use_id = b.tool_use_id.map(String::from);
                                    d.is_error = b.is_error == Some(true);
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
            Some("assistant") => self.assistant(rec, out),
            _ => {}
        }
        for d in &mut out[start..] {
            d.timestamp = ts;
        }
        Ok(())
    }
}

impl ClaudeLines {
    fn assistant(&mut self, rec: Record<'_>, out: &mut Vec<Draft>) {
        let api_error = rec.is_api_error == Some(true);
        let Some(msg) = rec.message else {
            return;
        };
        let model = msg
            .model
            .as_deref()
            .filter(|m| !m.is_empty() && *m != "<synthetic>")
            .map(String::from);
        let start = out.len();
        match msg.content {
            Some(Content::Text(s)) => out.push(Draft::new(EntryKind::Assistant, s)),
            Some(Content::Blocks(blocks)) => {
                for b in blocks {
                    match b.kind.as_deref() {
                        Some("text") => {
                            let t = b.text.as_deref().unwrap_or("");
                            if !t.trim().is_empty() {
                                out.push(Draft::new(EntryKind::Assistant, t));
                            }
                        }
                        Some("thinking") => {
                            // Newer models may record only a signature: nothing to show.
                            let t = raw_json(b.thinking.0);
                            let t = t.as_ref().and_then(|t| t.as_str()).unwrap_or("");
                            if !t.trim().is_empty() {
                                out.push(Draft::new(EntryKind::Thinking, t));
                            }
                        }
                        Some("redacted_thinking") => {
                            out.push(Draft::new(EntryKind::Thinking, "[redacted thinking]"))
                        }
                        Some("tool_use" | "server_tool_use") => {
                            let mut d = Draft::new(EntryKind::ToolCall, "");
                            d.tool_name = b.name.as_deref().map(String::from);
                            d.tool_use_id = b.id.as_deref().map(String::from);
                            d.tool_input = raw_json(b.input.raw).map(|i| pretty_input(&i));
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
        let key = match (msg.id.as_deref(), rec.request_id.as_deref()) {
            (Some(m), Some(r)) => Some(format!("{m}:{r}")),
            _ => None,
        };
        let repeated = key.is_some() && key == self.last_message;
        // A line that shows nothing (an empty thinking block) leaves the usage to the
        // next line of its message.
        if let Some(first) = out.get_mut(start) {
            first.usage = msg
                .usage
                .as_ref()
                .filter(|_| !repeated)
                .map(RawUsage::usage);
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

    #[test]
    fn a_line_is_read_by_both_readers_or_by_neither() {
        let lines = [
            // A flag or model of the wrong type fails the record for both.
            r#"{"type":"user","isMeta":"yes","message":{"content":"hi"}}"#,
            r#"{"type":"assistant","message":{"model":7,"content":"x"}}"#,
            r#"{"type":"assistant","message":{"usage":{"input_tokens":"many"}}}"#,
            // Parts only the transcript shows take any value.
            r#"{"type":"system","level":3,"subtype":[],"content":{"odd":true}}"#,
            r#"{"type":"assistant","message":{"content":[{"type":"thinking","thinking":5},{"type":"tool_use","id":"t","name":"Bash","input":"ls"}]}}"#,
            r#"{"type":"user","message":{"content":[{"type":"tool_result","tool_use_id":"t","content":null}]}}"#,
        ];
        assert_eq!(
            rejected_by_both(Harness::ClaudeCode, &lines),
            [
                (true, true),
                (true, true),
                (true, true),
                (false, false),
                (false, false),
                (false, false)
            ]
        );
    }
}
