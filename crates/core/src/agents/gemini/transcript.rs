//! Gemini CLI chats as entries (the format is described in `agents::gemini`; records
//! are read through the same [`wire`](super::wire) views as the facts parser's).
//!
//! Both shapes are whole-file formats: the older `.json` is rewritten on every change
//! (it is decoded one message at a time, keeping only the entries of the page asked
//! for, so a chat of any size is read in memory bounded by its largest message; the
//! offset store pages it through [`DOCUMENT`]), and in the `.jsonl` a message is
//! updated by appending it again with the same `id` (the later copy replaces the
//! earlier one in place) and `{"$rewindTo": id}` removes that message and everything
//! after it (everything when the id is unknown), as gemini-cli's
//! `loadConversationRecord` does (the offset store pages it through [`LOG`], an index
//! of each message's latest line; read whole, a last line without its newline waits). A `$set` of `messages` (the model's context after a
//! compression) is not followed: the transcript keeps every message that was shown.
//! Each message becomes:
//! - `user` → a prompt; `info` / `warning` → notices; `error` → an error;
//! - `gemini` → one thinking entry per `thoughts` item (`subject: description`), its
//!   text, then per `toolCalls` item a call (`name`, `id`, `args`) followed by its
//!   result once it has one (`result[].functionResponse.response.output` or `.error`,
//!   else `resultDisplay`), failed when `status` is `error`. The message's `tokens`
//!   (as Gemini reports them: `input`, `output`, `cached`; the table reads them by
//!   ccusage's rules) go on its first entry; the model is the message's own, else
//!   (JSONL only) the last one seen.

use std::path::Path;

use serde_json::{Map, Value};

use super::wire::{self, FileItem, LineKind, Message, Record, ToolCall};
use crate::agents::transcript::{
    pretty_input, text_of, Document, Draft, EntryKind, Keep, KeyedLog, LogLine, TranscriptError,
    WholeTranscript,
};

pub(crate) fn read_whole(path: &Path, keep: Keep) -> Result<WholeTranscript, TranscriptError> {
    read_capped(path, keep, crate::agent_file::MAX_WHOLE_FILE_BYTES)
}

/// [`read_whole`] with the size up to which a file is read into memory: a `.json`
/// chat over it is decoded from the file as a stream, one message at a time, keeping
/// only the drafts `keep` asks for; a `.jsonl` chat over it is too large to read (its
/// rewrites and rewinds can change any earlier message).
pub(crate) fn read_capped(
    path: &Path,
    keep: Keep,
    max: u64,
) -> Result<WholeTranscript, TranscriptError> {
    let io_err = |e| TranscriptError::io(path, e);
    let is_jsonl = path.extension().is_some_and(|e| e == "jsonl");
    if !is_jsonl {
        return read_json(path, keep, max);
    }
    let bytes = crate::agent_file::read_whole(path, max).map_err(io_err)?;
    // A last line without its newline is still being written: it waits, as in the
    // table's scan and the paged reader (`LOG`).
    let complete = bytes
        .iter()
        .rposition(|b| *b == b'\n')
        .map_or(&[][..], |nl| &bytes[..=nl]);
    let text = String::from_utf8_lossy(complete);
    let mut errors = 0u32;
    let mut messages: Vec<(String, Map<String, Value>)> = Vec::new();
    for line in text.lines() {
        let Some(obj) = wire::decode_line(line.as_bytes(), &mut errors) else {
            continue;
        };
        let id = match Record(&obj).kind() {
            LineKind::Rewind(Some(target)) => {
                // As gemini-cli's loader: an unknown id rewinds everything.
                let pos = messages.iter().position(|(id, _)| id == target);
                messages.truncate(pos.unwrap_or(0));
                continue;
            }
            LineKind::Message(m) => m.id().unwrap_or_default().to_string(),
            // The header, `$set` metadata, unknown records.
            LineKind::Rewind(None) | LineKind::Set(_) | LineKind::Other => continue,
        };
        upsert(&mut messages, Some(id), obj);
    }
    let mut whole = WholeTranscript {
        parse_errors: errors,
        total_bytes: bytes.len() as u64,
        ..Default::default()
    };
    let mut model_hint: Option<String> = None;
    for m in messages.iter().filter_map(|(_, m)| Message::of(m)) {
        let own_model = m.model().map(String::from);
        if own_model.is_some() {
            model_hint = own_model.clone();
        }
        let model = own_model.or_else(|| model_hint.clone());
        add_message(&mut whole, m, model, keep);
    }
    Ok(whole)
}

/// An older `.json` chat, decoded as it is read (the same decoder whether the text is
/// in memory or streamed from the file). A message's model is its own. A file cut
/// short (being rewritten) gives the messages before the cut and one parse error.
fn read_json(path: &Path, keep: Keep, max: u64) -> Result<WholeTranscript, TranscriptError> {
    let io_err = |e| TranscriptError::io(path, e);
    let mut whole = WholeTranscript::default();
    let mut sink = |item: FileItem| match item {
        FileItem::Message(Value::Object(o)) => {
            if let Some(m) = Message::of(&o) {
                add_message(&mut whole, m, m.model().map(String::from), keep);
            }
        }
        FileItem::Message(_) => whole.parse_errors += 1,
        FileItem::Header(..) => {}
    };
    let (decoded, total_bytes) = match crate::agent_file::read_whole(path, max) {
        Ok(bytes) => {
            let text = String::from_utf8_lossy(&bytes);
            let decoded = if text.trim().is_empty() {
                Ok(())
            } else {
                wire::stream_file_str(&text, &mut sink)
            };
            (decoded, bytes.len() as u64)
        }
        Err(e) if e.kind() == std::io::ErrorKind::FileTooLarge => {
            let file = crate::agent_file::open(path).map_err(io_err)?;
            let size = file.metadata().map_err(io_err)?.len();
            let reader = std::io::BufReader::with_capacity(1 << 20, file);
            (wire::stream_file(reader, &mut sink), size)
        }
        Err(e) => return Err(io_err(e)),
    };
    match decoded {
        Err(e) if e.is_io() => return Err(io_err(e.into())),
        Err(_) => whole.parse_errors += 1,
        Ok(()) => {}
    }
    whole.total_bytes = total_bytes;
    Ok(whole)
}

/// One message's drafts, added to `whole` as `keep` says.
fn add_message(whole: &mut WholeTranscript, m: Message<'_>, model: Option<String>, keep: Keep) {
    whole.begin_message();
    let mut drafts = Vec::new();
    message_drafts(m, model, &mut drafts);
    for d in drafts {
        whole.push(d, keep);
    }
    whole.end_message(keep);
}

/// One message's drafts, each with the message's timestamp unless it has its own.
fn message_drafts(m: Message<'_>, model: Option<String>, out: &mut Vec<Draft>) {
    let start = out.len();
    message_entries(m, model, out);
    let ts = m.timestamp();
    for d in &mut out[start..] {
        d.timestamp = d.timestamp.or(ts);
    }
}

/// An older `.json` chat as a [`Document`]: the elements of `messages`, each read as
/// [`read_json`] reads it (a message's model is its own).
pub(crate) static DOCUMENT: Document = Document {
    key: "messages",
    drafts: |v, out| match v {
        Value::Object(o) => {
            if let Some(m) = Message::of(o) {
                message_drafts(m, m.model().map(String::from), out);
            }
            Ok(())
        }
        _ => Err(()),
    },
};

/// A `.jsonl` chat as a [`KeyedLog`]: each line read as [`read_capped`] reads it (a
/// message's model is its own, else the last one an earlier message named).
pub(crate) static LOG: KeyedLog = KeyedLog {
    line: |bytes, hint, out| {
        let mut errors = 0;
        let Some(obj) = wire::decode_line(bytes, &mut errors) else {
            return if errors > 0 {
                LogLine::Error
            } else {
                LogLine::Other
            };
        };
        match Record(&obj).kind() {
            LineKind::Rewind(Some(target)) => LogLine::Rewind(target.to_string()),
            LineKind::Message(m) => {
                let own = m.model().map(String::from);
                let model = own.clone().or_else(|| hint.map(String::from));
                message_drafts(m, model, out);
                LogLine::Message {
                    id: m.id().unwrap_or_default().to_string(),
                    model: own,
                }
            }
            LineKind::Rewind(None) | LineKind::Set(_) | LineKind::Other => LogLine::Other,
        }
    },
};

/// A later copy of a message replaces the earlier one where it stood.
fn upsert(
    messages: &mut Vec<(String, Map<String, Value>)>,
    id: Option<String>,
    m: Map<String, Value>,
) {
    let id = id.unwrap_or_else(|| format!("\u{0}{}", messages.len()));
    match messages.iter_mut().find(|(k, _)| *k == id) {
        Some(slot) => slot.1 = m,
        None => messages.push((id, m)),
    }
}

fn message_entries(m: Message<'_>, model: Option<String>, out: &mut Vec<Draft>) {
    let content = m.content().map(text_of).unwrap_or_default();
    let start = out.len();
    match m.kind() {
        "user" => out.push(Draft::new(EntryKind::User, content)),
        "gemini" => {
            for t in m.thoughts() {
                let mut d = Draft::new(EntryKind::Thinking, t.text());
                d.timestamp = t.timestamp();
                out.push(d);
            }
            if !content.trim().is_empty() {
                out.push(Draft::new(EntryKind::Assistant, content));
            }
            for call in m.tool_calls().into_iter().flatten() {
                tool_call_entries(call, out);
            }
            if out.len() == start {
                // A message still streaming (no text yet): keep its place and usage.
                out.push(Draft::new(EntryKind::Assistant, ""));
            }
            for d in &mut out[start..] {
                if matches!(d.kind, EntryKind::Assistant | EntryKind::Thinking) {
                    d.model = model.clone();
                }
            }
            if let Some(first) = out.get_mut(start) {
                first.usage = m.tokens_as_written();
                first.model = model.clone();
            }
        }
        "error" => {
            let mut d = Draft::new(EntryKind::Error, content);
            d.is_error = true;
            out.push(d);
        }
        _ => out.push(Draft::new(EntryKind::System, content)),
    }
}

fn tool_call_entries(call: ToolCall<'_>, out: &mut Vec<Draft>) {
    let name = call.name().map(String::from);
    let id = call.id().map(String::from);
    let mut c = Draft::new(EntryKind::ToolCall, "");
    c.tool_name = name.clone();
    c.tool_use_id = id.clone();
    c.tool_input = call.args().map(pretty_input);
    c.timestamp = call.timestamp();
    out.push(c);
    let status = call.status();
    let responses: Vec<String> = call.responses().map(text_of).collect();
    let text = if responses.is_empty() {
        call.result_display()
            .map(|d| match d {
                Value::String(s) => s.clone(),
                other => pretty_input(other),
            })
            .unwrap_or_default()
    } else {
        responses.join("\n")
    };
    let finished = matches!(status, Some("success" | "error" | "cancelled"));
    if !finished && text.is_empty() {
        return; // still running: no result yet
    }
    let mut r = Draft::new(EntryKind::ToolResult, text);
    r.tool_name = name;
    r.tool_use_id = id;
    r.is_error = status == Some("error");
    r.timestamp = c_timestamp(out);
    out.push(r);
}

fn c_timestamp(out: &[Draft]) -> Option<chrono::DateTime<chrono::Utc>> {
    out.last().and_then(|c| c.timestamp)
}

#[cfg(test)]
mod tests {
    use crate::agents::transcript::test_support::*;
    use crate::agents::transcript::*;
    use crate::model::Harness;

    #[test]
    fn whole_json_chat_with_thoughts_a_failed_tool_and_notices() {
        let p = fixture(
            "gemini/tmp/5d41402abc4b2a76b9719d911017c5925d41402abc4b2a76b9719d911017c592/chats/session-2026-11-20T10-00-aaaa1111.json",
        );
        let (entries, errors) = read_all(Harness::Gemini, &p);
        assert_eq!(errors, 0);
        assert_eq!(
            kinds_and_texts(&entries),
            vec![
                (EntryKind::User, "Summarise   the open issues".to_string()),
                (EntryKind::Thinking, "plan: list".to_string()),
                (EntryKind::Assistant, "Looking.".to_string()),
                (EntryKind::ToolCall, String::new()),
                (EntryKind::ToolResult, "gh: not found".to_string()),
                (EntryKind::System, "Request cancelled.".to_string()),
                (EntryKind::Assistant, "gh is not installed.".to_string()),
            ]
        );
        assert_eq!(entries[1].usage.map(|u| u.input_tokens), Some(1000));
        assert_eq!(entries[2].usage, None);
        assert_eq!(entries[3].tool_name.as_deref(), Some("run_shell_command"));
        assert_eq!(entries[3].usage.map(|u| u.output_tokens), Some(100));
        assert_eq!(
            entries[3].tool_input.as_deref(),
            Some("{\n  \"command\": \"gh issue list\"\n}")
        );
        assert!(entries[4].is_error);
        assert_eq!(entries[4].tool_use_id.as_deref(), Some("tc1"));
        // In a JSON file the model is not inherited.
        assert_eq!(entries[6].model, None);
        assert_eq!(entries[2].model.as_deref(), Some("gemini-2.5-pro"));
    }

    #[test]
    fn every_prefix_of_a_json_chat_reads_without_panic() {
        let src = std::fs::read(fixture(
            "gemini/tmp/5d41402abc4b2a76b9719d911017c5925d41402abc4b2a76b9719d911017c592/chats/session-2026-11-20T10-00-aaaa1111.json",
        ))
        .unwrap();
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("session-x.json");
        for cut in (0..src.len()).step_by(5) {
            std::fs::write(&p, &src[..cut]).unwrap();
            let page = read_transcript(Harness::Gemini, &p, &TranscriptCursor::default(), 100, 100)
                .unwrap();
            let blank = src[..cut].iter().all(u8::is_ascii_whitespace);
            assert_eq!(page.parse_errors, u32::from(!blank), "cut at {cut}");
        }
    }

    #[test]
    fn jsonl_rewrites_replace_in_place_and_bad_lines_are_counted() {
        let p = fixture("gemini/tmp/web/chats/session-2026-11-21T08-30-bbbb2222.jsonl");
        let (entries, errors) = read_all(Harness::Gemini, &p);
        assert_eq!(errors, 1, "the cut-off g9 line");
        assert_eq!(
            kinds_and_texts(&entries),
            vec![
                (EntryKind::User, "Add a dark \nmode toggle".to_string()),
                (EntryKind::Assistant, "Added the toggle.".to_string()),
                (EntryKind::Assistant, "Also styled the header.".to_string()),
            ]
        );
        assert_eq!(entries[1].usage.map(|u| u.output_tokens), Some(60));
        // g2 has no model of its own; in JSONL it inherits g1's.
        assert_eq!(entries[2].model.as_deref(), Some("gemini-2.5-flash"));
    }

    #[test]
    fn the_last_message_is_sent_again_and_rewinds_reset() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("session-x.jsonl");
        let head = concat!(
            r#"{"sessionId":"x","startTime":"2026-11-21T08:30:00.000Z"}"#,
            "\n",
            r#"{"id":"u1","type":"user","content":"hi"}"#,
            "\n",
            r#"{"id":"g1","type":"gemini","content":"","toolCalls":[{"id":"t1","name":"ls","args":{},"status":"executing"}]}"#,
            "\n",
        );
        std::fs::write(&p, head).unwrap();
        let page =
            read_transcript(Harness::Gemini, &p, &TranscriptCursor::default(), 100, 100).unwrap();
        assert_eq!(page.entries.len(), 2, "prompt and the running call");
        assert_eq!(page.next.index, 1, "g1 may still change");
        let updated = format!(
            "{head}{}\n",
            r#"{"id":"g1","type":"gemini","content":"","toolCalls":[{"id":"t1","name":"ls","args":{},"status":"success","result":[{"functionResponse":{"response":{"output":"a.txt"}}}]}]}"#
        );
        std::fs::write(&p, &updated).unwrap();
        let page2 = read_transcript(Harness::Gemini, &p, &page.next, 100, 100).unwrap();
        assert!(!page2.reset);
        assert_eq!(
            kinds_and_texts(&page2.entries),
            vec![
                (EntryKind::ToolCall, String::new()),
                (EntryKind::ToolResult, "a.txt".to_string())
            ]
        );
        assert_eq!(page2.entries[0].index, 1);
        std::fs::write(&p, format!("{updated}{{\"$rewindTo\":\"g1\"}}\n")).unwrap();
        let page3 = read_transcript(Harness::Gemini, &p, &page2.next, 100, 100).unwrap();
        // Nothing from index 1 on any more: applying the page drops g1's entries.
        assert!(!page3.reset);
        assert!(page3.entries.is_empty());
        assert_eq!(page3.next.index, 1);
        std::fs::write(&p, format!("{updated}{{\"$rewindTo\":\"nope\"}}\n")).unwrap();
        let page4 =
            read_transcript(Harness::Gemini, &p, &TranscriptCursor::default(), 100, 100).unwrap();
        assert!(page4.entries.is_empty(), "an unknown id rewinds everything");
    }

    #[test]
    fn a_line_is_read_by_both_readers_or_by_neither() {
        let lines = [
            r#"[1,2]"#,
            r#""just a string""#,
            r#"{"id":"g1","type":"gemini","content":{"odd":1},"toolCalls":"none","tokens":7}"#,
            r#"{"$rewindTo":5}"#,
        ];
        assert_eq!(
            rejected_by_both(Harness::Gemini, &lines),
            [(true, true), (true, true), (false, false), (false, false)]
        );
    }

    #[test]
    fn a_chat_over_the_cap_keeps_only_the_page_asked_for() {
        use super::read_capped;
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("session-2026-11-20T10-00-0d3f7a1e.json");
        crate::agents::gemini::write_chat(&p, 100);
        let all = read_capped(&p, Keep::All, u64::MAX).unwrap();
        let n = all.total();
        assert_eq!(
            (all.skipped_before, all.skipped_after, all.parse_errors),
            (0, 0, 0)
        );
        assert!(n > 400, "{n}");
        for cap in [u64::MAX, 1024] {
            let last = read_capped(&p, Keep::Last(7), cap).unwrap();
            assert_eq!(last.drafts.len(), 7);
            assert_eq!(last.total(), n);
            assert_eq!(last.drafts[..], all.drafts[n - 7..]);
            assert_eq!(last.message_starts, all.message_starts);
            let mid = read_capped(&p, Keep::Range(100, 110), cap).unwrap();
            assert_eq!(mid.drafts[..], all.drafts[100..110]);
            assert_eq!((mid.skipped_before, mid.total()), (100, n));
            assert_eq!(last.total_bytes, all.total_bytes);
        }
    }

    #[test]
    fn a_streamed_chat_cut_short_shows_what_came_before() {
        use super::read_capped;
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("session-2026-11-20T10-00-0d3f7a1e.json");
        let bytes = crate::agents::gemini::write_chat(&p, 20);
        let all = read_capped(&p, Keep::All, u64::MAX).unwrap();
        for cut in (1..bytes.len()).step_by(131) {
            std::fs::write(&p, &bytes[..cut]).unwrap();
            let streamed = read_capped(&p, Keep::Last(5), 64).unwrap();
            let whole = read_capped(&p, Keep::All, u64::MAX).unwrap();
            assert_eq!(streamed.parse_errors, 1, "cut at {cut}");
            assert_eq!(whole.parse_errors, 1, "cut at {cut}");
            assert_eq!(streamed.total(), whole.total());
            assert_eq!(
                streamed.drafts[..],
                whole.drafts[whole.total() - streamed.drafts.len()..]
            );
            assert!(whole.drafts[..] == all.drafts[..whole.total()]);
        }
    }
}
