//! Codex rollout lines as entries (the format is described in `agents::codex`; each
//! line is decoded into the same [`Line`] the facts parser reads).
//!
//! Codex records the conversation twice, and which copies reach the file depends on
//! the version (read from openai/codex `rollout/policy.rs`): every version persists the
//! `response_item`s the model saw (`message`, `reasoning`, tool calls), and "legacy"
//! rollouts also persist the `event_msg`s the user saw (`user_message`,
//! `agent_message`, `agent_reasoning`), while newer "paginated" rollouts drop those
//! events. So messages and reasoning are read from both and a copy is dropped when it
//! repeats, from the other source, a text not yet paired (the cursor's `carry` keeps
//! the unpaired texts, so pages agree). A prompt typed twice is still shown twice:
//! each copy pairs only once.
//!
//! - `response_item` `message`: role `user` is a prompt, except injected context
//!   (`<environment_context>`, `<user_instructions>`, AGENTS.md instructions), which is
//!   a notice; role `assistant` is text; role `developer` / `system` instructions are
//!   not shown. `reasoning` gives one thinking entry per `summary` text.
//! - Tool calls exist only as response items: `function_call`, `custom_tool_call`,
//!   `local_shell_call`, `web_search_call` (calls, linked by `call_id`) and
//!   `function_call_output` / `custom_tool_call_output` (results; a non-zero
//!   `metadata.exit_code` or `Exit code: N` marks an error).
//! - Usage comes as separate `token_count` events after a model call: each becomes a
//!   system entry carrying that call's `last_token_usage` (cached input reported apart
//!   from input, as `agents::codex` counts it). Counts that carry only running totals
//!   (old rollouts) are not shown per turn.
//! - `error` / `stream_error` events are errors; `warning` and `turn_aborted` are
//!   notices. The model comes from the latest `turn_context`, carried across pages.

use std::collections::hash_map::DefaultHasher;
use std::hash::{Hash, Hasher};

use std::borrow::Cow;

use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::wire::{Line, Payload, RawUsage, ResponseItem};
use crate::agents::transcript::{pretty_input, text_of, Draft, EntryKind, LineFormat};
use crate::agents::{decode_line, parse_ts, raw_json};

/// How many unpaired texts are remembered; a pair is never further apart than a turn.
const MAX_UNPAIRED: usize = 16;

/// Parser state carried from one page to the next.
#[derive(Debug, Default, Serialize, Deserialize)]
struct Carry {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    model: Option<String>,
    /// Texts shown from one source whose copy from the other has not come yet.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    unpaired: Vec<Unpaired>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
struct Unpaired {
    /// `u`, `a` or `t`: prompt, answer or thinking.
    kind: char,
    /// Seen as an `event_msg` (else as a `response_item`).
    event: bool,
    hash: u64,
}

pub(crate) struct CodexLines {
    state: Carry,
}

impl CodexLines {
    pub fn new(carry: Option<String>) -> Self {
        let state = carry
            .and_then(|c| serde_json::from_str(&c).ok())
            .unwrap_or_default();
        CodexLines { state }
    }

    /// Push a message unless it is the other source's copy of an unpaired text.
    fn message(&mut self, kind: EntryKind, text: String, event: bool, out: &mut Vec<Draft>) {
        if text.trim().is_empty() {
            return;
        }
        let tag = match kind {
            EntryKind::User => 'u',
            EntryKind::Assistant => 'a',
            _ => 't',
        };
        let mut h = DefaultHasher::new();
        text.trim().hash(&mut h);
        let hash = h.finish();
        let unpaired = &mut self.state.unpaired;
        if let Some(i) = unpaired
            .iter()
            .position(|u| u.kind == tag && u.event != event && u.hash == hash)
        {
            unpaired.remove(i);
            return;
        }
        unpaired.push(Unpaired {
            kind: tag,
            event,
            hash,
        });
        if unpaired.len() > MAX_UNPAIRED {
            unpaired.remove(0);
        }
        out.push(Draft::new(kind, text));
    }
}

impl LineFormat for CodexLines {
    fn carry(&self) -> Option<String> {
        if self.state.model.is_none() && self.state.unpaired.is_empty() {
            return None;
        }
        serde_json::to_string(&self.state).ok()
    }

    fn entries(&mut self, line: &[u8], out: &mut Vec<Draft>) -> Result<(), ()> {
        let mut lossy = None;
        let line: Line = decode_line(line, &mut lossy).ok_or(())?;
        let ts = parse_ts(line.timestamp.as_deref());
        let start = out.len();
        match (line.kind.as_deref(), line.payload) {
            (Some("response_item"), Payload::Item(item)) => self.response_item(&item, out),
            (Some("response_item"), Payload::Raw(raw)) => {
                if let Ok(item) = serde_json::from_str::<ResponseItem>(raw.get()) {
                    self.response_item(&item, out);
                }
            }
            (Some("turn_context"), p) => {
                if let Some(m) = str_of(&p.into_value(), "model") {
                    self.state.model = Some(m);
                }
            }
            (Some("event_msg"), p) => self.event(&p.into_value(), out),
            _ => {}
        }
        for d in &mut out[start..] {
            d.timestamp = ts;
            if matches!(d.kind, EntryKind::Assistant | EntryKind::Thinking) {
                d.model = self.state.model.clone();
            }
        }
        Ok(())
    }
}

/// Context Codex injects as user messages; the user did not type it.
fn is_injected_context(text: &str) -> bool {
    let t = text.trim_start();
    [
        "<environment_context>",
        "<user_instructions>",
        "# AGENTS.md",
        "<INSTRUCTIONS>",
    ]
    .iter()
    .any(|p| t.starts_with(p))
}

impl CodexLines {
    fn response_item(&mut self, p: &ResponseItem, out: &mut Vec<Draft>) {
        match p.kind.as_deref() {
            Some("message") => {
                let text = raw_json(p.content).map(|c| text_of(&c)).unwrap_or_default();
                match p.role.as_deref() {
                    Some("user") if is_injected_context(&text) => {
                        out.push(Draft::new(EntryKind::System, text))
                    }
                    Some("user") => self.message(EntryKind::User, text, false, out),
                    Some("assistant") => self.message(EntryKind::Assistant, text, false, out),
                    _ => {}
                }
            }
            Some("reasoning") => {
                let summary = raw_json(p.summary);
                for part in summary
                    .as_ref()
                    .and_then(Value::as_array)
                    .into_iter()
                    .flatten()
                {
                    let text = part.get("text").map(text_of).unwrap_or_default();
                    if !text.trim().is_empty() {
                        self.message(EntryKind::Thinking, text, false, out);
                    }
                }
            }
            _ => tool_item(p, out),
        }
    }

    fn event(&mut self, p: &Value, out: &mut Vec<Draft>) {
        let text = |k: &str| p.get(k).map(text_of).unwrap_or_default();
        match p.get("type").and_then(Value::as_str) {
            Some("user_message") => self.message(EntryKind::User, text("message"), true, out),
            Some("agent_message") => self.message(EntryKind::Assistant, text("message"), true, out),
            Some("agent_reasoning") => self.message(EntryKind::Thinking, text("text"), true, out),
            Some("error" | "stream_error") => {
                let mut d = Draft::new(EntryKind::Error, text("message"));
                d.is_error = true;
                out.push(d);
            }
            Some("warning") => out.push(Draft::new(EntryKind::System, text("message"))),
            Some("turn_aborted") => {
                let reason = str_of(p, "reason").unwrap_or_else(|| "unknown".into());
                out.push(Draft::new(
                    EntryKind::System,
                    format!("Turn aborted ({reason})"),
                ));
            }
            Some("token_count") => {
                // Read as the facts parser reads it: a count it cannot read shows none.
                let Some(last) = p
                    .pointer("/info/last_token_usage")
                    .filter(|v| v.is_object())
                    .and_then(|v| RawUsage::deserialize(v).ok())
                else {
                    return;
                };
                let usage = last.usage();
                if usage.total() == 0 {
                    return;
                }
                let mut d = Draft::new(EntryKind::System, "Token usage of the model call");
                d.usage = Some(usage);
                d.model = self.state.model.clone();
                out.push(d);
            }
            _ => {}
        }
    }
}

fn tool_item(p: &ResponseItem, out: &mut Vec<Draft>) {
    let call_id = || str_of_field(&p.call_id);
    let shown = |raw| raw_json(raw).map(|v| pretty_input(&v));
    match p.kind.as_deref() {
        Some("function_call") => {
            let mut d = Draft::new(EntryKind::ToolCall, "");
            d.tool_name = str_of_field(&p.name);
            d.tool_use_id = call_id();
            d.tool_input = shown(p.arguments);
            out.push(d);
        }
        Some("custom_tool_call") => {
            let mut d = Draft::new(EntryKind::ToolCall, "");
            d.tool_name = str_of_field(&p.name);
            d.tool_use_id = call_id();
            d.tool_input = shown(p.input);
            out.push(d);
        }
        Some("local_shell_call") => {
            let mut d = Draft::new(EntryKind::ToolCall, "");
            d.tool_name = Some("shell".into());
            d.tool_use_id = call_id().or_else(|| str_of_field(&p.id));
            d.tool_input = shown(p.action);
            out.push(d);
        }
        Some("web_search_call") => {
            let mut d = Draft::new(EntryKind::ToolCall, "");
            d.tool_name = Some("web_search".into());
            d.tool_use_id = str_of_field(&p.id);
            d.tool_input = shown(p.action);
            out.push(d);
        }
        Some("function_call_output" | "custom_tool_call_output") => {
            let (text, failed) = tool_output(&raw_json(p.output).unwrap_or(Value::Null));
            let mut d = Draft::new(EntryKind::ToolResult, text);
            d.tool_use_id = call_id();
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

/// A non-empty string field of an item.
fn str_of_field(v: &Option<Cow<'_, str>>) -> Option<String> {
    v.as_deref().filter(|s| !s.is_empty()).map(String::from)
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
    use std::path::PathBuf;

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
                    EntryKind::System,
                    "<environment_context>\n  <cwd>/home/dev/api</cwd>\n</environment_context>"
                        .to_string()
                ),
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
                // The event and the response item of the answer: shown once.
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
        let call = &entries[2];
        assert_eq!(call.tool_name.as_deref(), Some("shell"));
        assert_eq!(call.tool_use_id.as_deref(), Some("call_a1"));
        assert_eq!(
            call.tool_input.as_deref(),
            Some("{\n  \"command\": [\n    \"cargo\",\n    \"test\"\n  ]\n}")
        );
        assert_eq!(entries[3].tool_use_id.as_deref(), Some("call_a1"));
        assert!(entries[3].is_error, "exit code 101");
        let u = entries[4].usage.unwrap();
        assert_eq!(
            (u.input_tokens, u.cache_read_tokens, u.output_tokens),
            (1000, 200, 80)
        );
        assert_eq!(entries[5].model.as_deref(), Some("gpt-5-codex"));
    }

    #[test]
    fn model_and_pairing_are_carried_across_pages() {
        // read_all reads pages of 3 entries; the same entries come out of one read.
        let (paged, _) = read_all(Harness::Codex, &session("1"));
        let whole = read_transcript(
            Harness::Codex,
            &session("1"),
            &TranscriptCursor::default(),
            1000,
            usize::MAX,
        )
        .unwrap();
        assert_eq!(paged, whole.entries);
        let again =
            read_transcript(Harness::Codex, &session("1"), &paged[5].at, 1, usize::MAX).unwrap();
        assert_eq!(again.entries[0].model.as_deref(), Some("gpt-5-codex"));
    }

    fn rollout(lines: &[&str]) -> (tempfile::TempDir, PathBuf) {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("rollout-x.jsonl");
        std::fs::write(&p, lines.join("\n") + "\n").unwrap();
        (dir, p)
    }

    const RI_USER: &str = r#"{"type":"response_item","payload":{"type":"message","role":"user","content":[{"type":"input_text","text":"continue"}]}}"#;
    const EV_USER: &str =
        r#"{"type":"event_msg","payload":{"type":"user_message","message":"continue"}}"#;
    const RI_THINK: &str = r#"{"type":"response_item","payload":{"type":"reasoning","summary":[{"type":"summary_text","text":"**Plan** read"},{"type":"summary_text","text":"then fix"}],"encrypted_content":"gAAA"}}"#;
    const EV_THINK_1: &str =
        r#"{"type":"event_msg","payload":{"type":"agent_reasoning","text":"**Plan** read"}}"#;
    const EV_THINK_2: &str =
        r#"{"type":"event_msg","payload":{"type":"agent_reasoning","text":"then fix"}}"#;
    const RI_ANSWER: &str = r#"{"type":"response_item","payload":{"type":"message","role":"assistant","content":[{"type":"output_text","text":"done"}]}}"#;
    const DEV: &str = r#"{"type":"response_item","payload":{"type":"message","role":"developer","content":[{"type":"input_text","text":"<permissions instructions>"}]}}"#;

    #[test]
    fn legacy_copies_pair_once_and_a_repeated_prompt_still_shows_twice() {
        let (_d, p) = rollout(&[
            DEV, RI_USER, EV_USER, EV_THINK_1, EV_THINK_2, RI_THINK, RI_USER, EV_USER,
        ]);
        let (entries, errors) = read_all(Harness::Codex, &p);
        assert_eq!(errors, 0);
        assert_eq!(
            kinds_and_texts(&entries),
            vec![
                (EntryKind::User, "continue".to_string()),
                (EntryKind::Thinking, "**Plan** read".to_string()),
                (EntryKind::Thinking, "then fix".to_string()),
                (EntryKind::User, "continue".to_string()),
            ]
        );
    }

    #[test]
    fn paginated_rollouts_without_events_show_the_response_items() {
        let (_d, p) = rollout(&[RI_USER, RI_THINK, RI_ANSWER]);
        let (entries, _) = read_all(Harness::Codex, &p);
        assert_eq!(
            kinds_and_texts(&entries),
            vec![
                (EntryKind::User, "continue".to_string()),
                (EntryKind::Thinking, "**Plan** read".to_string()),
                (EntryKind::Thinking, "then fix".to_string()),
                (EntryKind::Assistant, "done".to_string()),
            ]
        );
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

    #[test]
    fn a_line_is_read_by_both_readers_or_by_neither() {
        let lines = [
            r#"[1,2]"#,
            r#"{"type":"response_item","payload":"not an item"}"#,
            r#"{"type":"response_item","payload":{"type":"message","role":5,"content":{"odd":1}}}"#,
            r#"{"type":"response_item","payload":{"type":"reasoning","summary":"flat"}}"#,
            r#"{"type":"event_msg","payload":{"type":"token_count","info":{"last_token_usage":{"input_tokens":"x"}}}}"#,
        ];
        assert_eq!(
            rejected_by_both(Harness::Codex, &lines),
            [
                (true, true),
                (true, true),
                (false, false),
                (false, false),
                (false, false)
            ]
        );
    }
}
