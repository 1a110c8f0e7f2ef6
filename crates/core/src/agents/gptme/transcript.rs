//! gptme `conversation.jsonl` lines as entries (the format is described in
//! `agents::gptme`).
//!
//! gptme has no tool-call records: the assistant writes its tool calls as fenced code
//! blocks inside its text, and they are kept there, as text. Each tool's output is a
//! `system` message: one tagged `metadata.tool` names its tool, and an untagged one that
//! follows an assistant message (gptme appends system messages there only when it runs
//! that message's tools) is a tool result too; one starting with `Error` failed.
//! Other system messages are notices, or errors when they start with `Error`. Hidden
//! messages (`hide`, such as the system prompt) are not shown, as in gptme itself.
//! The cursor's `carry` says whether the previous shown message was the assistant's.
//! Lines are decoded into the same [`Message`] the facts parser reads.

use super::Message;
use crate::agents::decode_line;
use crate::agents::transcript::{text_of, Draft, EntryKind, LineFormat};

const AFTER_ASSISTANT: &str = "after-assistant";

pub(crate) struct GptmeLines {
    after_assistant: bool,
}

impl GptmeLines {
    pub fn new(carry: Option<String>) -> Self {
        GptmeLines {
            after_assistant: carry.as_deref() == Some(AFTER_ASSISTANT),
        }
    }
}

impl LineFormat for GptmeLines {
    fn carry(&self) -> Option<String> {
        self.after_assistant.then(|| AFTER_ASSISTANT.to_string())
    }

    fn entries(&mut self, line: &[u8], out: &mut Vec<Draft>) -> Result<(), ()> {
        let mut lossy = None;
        let m: Message = decode_line(line, &mut lossy).ok_or(())?;
        if m.hide {
            return Ok(());
        }
        let text = text_of(&m.content);
        let mut d = match m.role.as_deref() {
            Some("user") => {
                self.after_assistant = false;
                Draft::new(EntryKind::User, text)
            }
            Some("assistant") => {
                self.after_assistant = true;
                let mut d = Draft::new(EntryKind::Assistant, text);
                d.model = m.model().map(String::from);
                d.usage = Some(m.usage()).filter(|u| u.total() > 0);
                d
            }
            Some("system") => {
                let tool = m.tool().map(String::from);
                let failed = text.trim_start().starts_with("Error");
                let mut d = if tool.is_some() || self.after_assistant {
                    let mut d = Draft::new(EntryKind::ToolResult, text);
                    d.tool_name = tool;
                    d.tool_use_id = m.call_id.clone();
                    d
                } else if failed {
                    Draft::new(EntryKind::Error, text)
                } else {
                    Draft::new(EntryKind::System, text)
                };
                d.is_error = failed;
                d
            }
            // Roles gptme does not write today: shown as notices, not lost.
            Some(_) => Draft::new(EntryKind::System, text),
            None => return Err(()),
        };
        d.timestamp = m.timestamp();
        out.push(d);
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use crate::agents::transcript::test_support::*;
    use crate::agents::transcript::*;
    use crate::model::Harness;

    #[test]
    fn tool_calls_stay_in_the_text_and_system_results_follow() {
        let p = fixture("gptme/2026-11-20-quick-fox/conversation.jsonl");
        let (entries, errors) = read_all(Harness::Gptme, &p);
        assert_eq!(errors, 0);
        assert_eq!(
            kinds_and_texts(&entries),
            vec![
                (EntryKind::User, "Count the TODOs in this repo".to_string()),
                (
                    EntryKind::Assistant,
                    "Let me search.\n```shell\ngrep -rn TODO . | wc -l\n```".to_string()
                ),
                (
                    EntryKind::ToolResult,
                    "Ran command: `grep -rn TODO . | wc -l`\n```stdout\n17\n```".to_string()
                ),
                (
                    EntryKind::Assistant,
                    "There are 17 TODOs. Saving a list:\n```save todos.txt\n17 TODOs\n```"
                        .to_string()
                ),
                (
                    EntryKind::ToolResult,
                    "Error: permission denied: todos.txt".to_string()
                ),
                (
                    EntryKind::Assistant,
                    "I could not save the file; the count is 17.".to_string()
                ),
            ]
        );
        assert!(!entries[2].is_error);
        assert!(entries[4].is_error);
        assert_eq!(
            entries[1].model.as_deref(),
            Some("anthropic/claude-sonnet-4-5")
        );
        let u = entries[1].usage.unwrap();
        assert_eq!(
            (u.input_tokens, u.output_tokens, u.cache_creation_tokens),
            (1800, 60, 1500)
        );
        // Older token keys directly in metadata.
        let u = entries[5].usage.unwrap();
        assert_eq!((u.input_tokens, u.output_tokens), (200, 15));
    }

    #[test]
    fn broken_log_skips_bad_lines_and_keeps_unknown_roles() {
        let p = fixture("gptme/2026-11-21-broken-log/conversation.jsonl");
        let (entries, errors) = read_all(Harness::Gptme, &p);
        assert_eq!(errors, 1, "the `nope` line; the torn last line is not read");
        assert_eq!(
            kinds_and_texts(&entries),
            vec![
                (EntryKind::User, "hello there".to_string()),
                (EntryKind::Assistant, "Hi!".to_string()),
                (EntryKind::System, "unknown role".to_string()),
            ]
        );
    }

    #[test]
    fn tagged_system_messages_are_tool_results_even_after_a_user_message() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("conversation.jsonl");
        std::fs::write(
            &p,
            concat!(
                r#"{"role":"user","content":"go"}"#, "\n",
                r#"{"role":"system","content":"output","metadata":{"tool":"shell"},"call_id":"c1"}"#, "\n",
                r#"{"role":"system","content":"Error: model call failed"}"#, "\n",
                r#"{"role":"system","content":"Conversation renamed"}"#, "\n",
            ),
        )
        .unwrap();
        let (entries, _) = read_all(Harness::Gptme, &p);
        assert_eq!(entries[1].kind, EntryKind::ToolResult);
        assert_eq!(entries[1].tool_name.as_deref(), Some("shell"));
        assert_eq!(entries[1].tool_use_id.as_deref(), Some("c1"));
        assert_eq!(entries[2].kind, EntryKind::Error);
        assert_eq!(entries[3].kind, EntryKind::System);
    }
}
