//! Copilot CLI `events.jsonl` lines as entries (the format is described in
//! `agents::copilot`; shapes from github/copilot-sdk's `session-events.ts`).
//!
//! - `user.message` → a prompt (`data.content`);
//! - `assistant.message` → its text, then one tool call per `data.toolRequests` entry
//!   (`toolCallId`, `name`, `arguments`);
//! - `assistant.reasoning` → thinking (`data.content`; empty when the reasoning is
//!   encrypted, then nothing is shown);
//! - `tool.execution_complete` → the result (`data.result.content`, else
//!   `data.error.message`), an error when `data.success` is false;
//! - `session.error` → an error; `session.info` / `session.warning` / `abort` /
//!   `session.model_change` → notices.
//!
//! The file carries no per-turn usage (only `session.shutdown` totals), so no entry
//! has `usage`. The current model (`session.start` `selectedModel`, then model changes)
//! is carried across pages in the cursor and put on assistant entries. Lines are
//! decoded into the same [`Event`] the facts parser reads.

use serde_json::Value;

use super::Event;
use crate::agents::decode_line;
use crate::agents::transcript::{pretty_input, text_of, Draft, EntryKind, LineFormat};

pub(crate) struct CopilotLines {
    model: Option<String>,
}

impl CopilotLines {
    pub fn new(carry: Option<String>) -> Self {
        CopilotLines { model: carry }
    }
}

impl LineFormat for CopilotLines {
    fn carry(&self) -> Option<String> {
        self.model.clone()
    }

    fn entries(&mut self, line: &[u8], out: &mut Vec<Draft>) -> Result<(), ()> {
        let mut lossy = None;
        let e: Event = decode_line(line, &mut lossy).ok_or(())?;
        let d = &e.data;
        let text = |k: &str| d.get(k).map(text_of).unwrap_or_default();
        let start = out.len();
        match e.kind.as_deref() {
            Some("session.start" | "session.resume") => {
                if let Some(m) = str_of(d, "selectedModel") {
                    self.model = Some(m);
                }
            }
            Some("session.model_change") => {
                if let Some(m) = str_of(d, "newModel") {
                    out.push(Draft::new(
                        EntryKind::System,
                        format!("Model changed to {m}"),
                    ));
                    self.model = Some(m);
                }
            }
            Some("user.message") => out.push(Draft::new(EntryKind::User, text("content"))),
            Some("assistant.reasoning") => {
                // Encrypted reasoning is recorded with an empty `content`: nothing to show.
                let body = text("content");
                if !body.trim().is_empty() {
                    out.push(Draft::new(EntryKind::Thinking, body));
                }
            }
            Some("assistant.message") => {
                let body = text("content");
                let model = str_of(d, "model").or_else(|| self.model.clone());
                if !body.trim().is_empty() {
                    let mut a = Draft::new(EntryKind::Assistant, body);
                    a.model = model;
                    out.push(a);
                }
                for req in d
                    .get("toolRequests")
                    .and_then(Value::as_array)
                    .into_iter()
                    .flatten()
                {
                    let mut c = Draft::new(EntryKind::ToolCall, "");
                    c.tool_name = str_of(req, "name");
                    c.tool_use_id = str_of(req, "toolCallId");
                    c.tool_input = req.get("arguments").map(pretty_input);
                    out.push(c);
                }
            }
            Some("tool.execution_complete") => {
                let ok = d.get("success").and_then(Value::as_bool) != Some(false);
                let body = d
                    .pointer("/result/content")
                    .map(text_of)
                    .filter(|t| !t.is_empty())
                    .or_else(|| d.pointer("/error/message").map(text_of))
                    .unwrap_or_default();
                let mut r = Draft::new(EntryKind::ToolResult, body);
                r.tool_use_id = str_of(d, "toolCallId");
                r.tool_name = str_of(d, "toolName");
                r.is_error = !ok;
                out.push(r);
            }
            Some("session.error") => {
                let mut x = Draft::new(EntryKind::Error, text("message"));
                x.is_error = true;
                out.push(x);
            }
            Some("session.info" | "session.warning") => {
                out.push(Draft::new(EntryKind::System, text("message")))
            }
            Some("abort") => {
                let reason = str_of(d, "reason").unwrap_or_else(|| "by the user".into());
                out.push(Draft::new(EntryKind::System, format!("Aborted: {reason}")))
            }
            _ => {}
        }
        let ts = e.timestamp();
        for x in &mut out[start..] {
            x.timestamp = ts;
        }
        Ok(())
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
    use crate::agents::transcript::test_support::*;
    use crate::agents::transcript::*;
    use crate::model::Harness;

    #[test]
    fn finished_session_with_tool_calls_and_results() {
        let p = fixture("copilot/3f6c9a52-1b7e-4c0a-9d55-2a8e71f0c001/events.jsonl");
        let (entries, errors) = read_all(Harness::Copilot, &p);
        assert_eq!(errors, 0);
        assert_eq!(
            kinds_and_texts(&entries),
            vec![
                (EntryKind::System, "Loaded 2 MCP servers".to_string()),
                (EntryKind::User, "Make the footer sticky".to_string()),
                (EntryKind::Assistant, "I'll check the CSS.".to_string()),
                (EntryKind::ToolCall, String::new()),
                (EntryKind::ToolCall, String::new()),
                (EntryKind::ToolResult, "footer {}".to_string()),
                (EntryKind::ToolResult, "exit 1".to_string()),
                (
                    EntryKind::Assistant,
                    "Footer is sticky now; one test was already failing.".to_string()
                ),
            ]
        );
        assert_eq!(entries[2].model.as_deref(), Some("claude-sonnet-4.5"));
        assert_eq!(entries[3].tool_name.as_deref(), Some("view"));
        assert_eq!(
            entries[3].tool_input.as_deref(),
            Some("{\n  \"path\": \"site.css\"\n}")
        );
        assert_eq!(entries[4].tool_use_id.as_deref(), Some("tool-2"));
        assert_eq!(entries[6].tool_use_id.as_deref(), Some("tool-2"));
        assert!(!entries[5].is_error);
        assert!(entries[6].is_error);
    }

    #[test]
    fn reasoning_errors_and_aborts() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("events.jsonl");
        std::fs::write(
            &p,
            concat!(
                r#"{"type":"assistant.reasoning","data":{"reasoningId":"r1","content":""}}"#, "\n",
                r#"{"type":"assistant.reasoning","data":{"reasoningId":"r2","content":"Check the CSS first."}}"#, "\n",
                r#"{"type":"session.error","data":{"errorType":"model","message":"rate limited"}}"#, "\n",
                r#"{"type":"abort","data":{"reason":"user initiated"}}"#, "\n",
            ),
        )
        .unwrap();
        let (entries, errors) = read_all(Harness::Copilot, &p);
        assert_eq!(errors, 0);
        assert_eq!(
            kinds_and_texts(&entries),
            vec![
                (EntryKind::Thinking, "Check the CSS first.".to_string()),
                (EntryKind::Error, "rate limited".to_string()),
                (EntryKind::System, "Aborted: user initiated".to_string()),
            ]
        );
        assert!(entries[1].is_error);
    }

    #[test]
    fn live_session_with_a_model_change_and_a_torn_line() {
        let p = fixture("copilot/3f6c9a52-1b7e-4c0a-9d55-2a8e71f0c002/events.jsonl");
        let (entries, errors) = read_all(Harness::Copilot, &p);
        assert_eq!(errors, 1);
        assert_eq!(
            kinds_and_texts(&entries),
            vec![
                (EntryKind::System, "Model changed to gpt-5-mini".to_string()),
                (EntryKind::User, "why is the build slow?".to_string()),
            ]
        );
    }
}
