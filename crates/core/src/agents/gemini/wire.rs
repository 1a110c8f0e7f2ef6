//! Gemini CLI's wire types: one chat record as both the facts parser
//! ([`super::GeminiTranscript`]) and the transcript reader ([`super::transcript`])
//! read it, so they agree on what a record, a message, a tool call and a message's
//! tokens are, and a record one of them cannot read is a parse error for both.
//!
//! Records are small and both readers look at most of their fields, so a record is
//! kept as the JSON object serde_json read; the views here are the one place that
//! names its fields and their types. A field of another type reads as absent.
//! A message's tokens are read two ways, both here: by ccusage's rules for the table
//! (see `agents::gemini`), and as written for the transcript's per-message usage.

use serde::de::{DeserializeSeed, Deserializer, IgnoredAny, MapAccess, SeqAccess, Visitor};
use serde_json::{Map, Value};

use crate::agents::{decode_record, parse_ts};
use crate::model::Usage;

/// One JSON object of a chat: a JSONL line (the header, a message, `$set`,
/// `$rewindTo`), or an older `.json` file's header or one of its `messages`.
#[derive(Clone, Copy)]
pub(super) struct Record<'a>(pub &'a Map<String, Value>);

/// What a JSONL line is.
pub(super) enum LineKind<'a> {
    /// `{"$set": {...}}`: metadata changes (`summary`, `lastUpdated`, ...).
    Set(&'a Value),
    /// `{"$rewindTo": id}`: drop that message and everything after it.
    Rewind(Option<&'a str>),
    /// A message: it has an `id` and a `type`.
    Message(Message<'a>),
    /// The header, or a record of a kind not known here.
    Other,
}

/// Decode one JSONL line: an object, or a parse error counted in `parse_errors` (a
/// blank line is neither).
pub(super) fn decode_line(line: &[u8], parse_errors: &mut u32) -> Option<Map<String, Value>> {
    let mut lossy = None;
    decode_record(line, &mut lossy, parse_errors)
}

/// One piece of an older `.json` chat, handed over as it is decoded.
pub(super) enum FileItem {
    /// A top-level field other than `messages` (`sessionId`, `startTime`, ...).
    Header(String, Value),
    /// One element of `messages` (an object with a `type` is a message).
    Message(Value),
}

/// Decode an older `.json` chat from text, one message at a time (see [`stream_file`]).
pub(super) fn stream_file_str(
    text: &str,
    sink: &mut dyn FnMut(FileItem),
) -> serde_json::Result<()> {
    let mut de = serde_json::Deserializer::from_str(text);
    Chat(sink).deserialize(&mut de)?;
    de.end()
}

/// Decode an older `.json` chat from a reader, handing each header field and each
/// element of `messages` to `sink` as soon as it is read: only one message is held at
/// a time, whatever the size of the file. An error (not a JSON object, cut short
/// while being written, invalid UTF-8) comes after everything read before it was
/// handed over. A `messages` that is not a list holds no messages.
pub(super) fn stream_file<R: std::io::Read>(
    reader: R,
    sink: &mut dyn FnMut(FileItem),
) -> serde_json::Result<()> {
    let mut de = serde_json::Deserializer::from_reader(reader);
    Chat(sink).deserialize(&mut de)?;
    de.end()
}

/// The chat object: its fields, `messages` streamed.
struct Chat<'s>(&'s mut dyn FnMut(FileItem));

impl<'de> DeserializeSeed<'de> for Chat<'_> {
    type Value = ();
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        d.deserialize_map(self)
    }
}

impl<'de> Visitor<'de> for Chat<'_> {
    type Value = ();
    fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
        f.write_str("a JSON object")
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<(), A::Error> {
        while let Some(key) = map.next_key::<String>()? {
            if key == "messages" {
                map.next_value_seed(Messages(&mut *self.0))?;
            } else {
                let v: Value = map.next_value()?;
                (self.0)(FileItem::Header(key, v));
            }
        }
        Ok(())
    }
}

/// The `messages` value: each element of a list; anything else is skipped.
struct Messages<'s>(&'s mut dyn FnMut(FileItem));

impl<'de> DeserializeSeed<'de> for Messages<'_> {
    type Value = ();
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        d.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for Messages<'_> {
    type Value = ();
    fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
        f.write_str("a list of messages")
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<(), A::Error> {
        while let Some(v) = seq.next_element::<Value>()? {
            (self.0)(FileItem::Message(v));
        }
        Ok(())
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<(), A::Error> {
        while map.next_entry::<IgnoredAny, IgnoredAny>()?.is_some() {}
        Ok(())
    }
    fn visit_bool<E>(self, _: bool) -> Result<(), E> {
        Ok(())
    }
    fn visit_i64<E>(self, _: i64) -> Result<(), E> {
        Ok(())
    }
    fn visit_u64<E>(self, _: u64) -> Result<(), E> {
        Ok(())
    }
    fn visit_f64<E>(self, _: f64) -> Result<(), E> {
        Ok(())
    }
    fn visit_str<E>(self, _: &str) -> Result<(), E> {
        Ok(())
    }
    fn visit_unit<E>(self) -> Result<(), E> {
        Ok(())
    }
}

impl<'a> Record<'a> {
    fn str(&self, key: &str) -> Option<&'a str> {
        self.0.get(key).and_then(Value::as_str)
    }

    pub fn kind(&self) -> LineKind<'a> {
        if let Some(set) = self.0.get("$set") {
            return LineKind::Set(set);
        }
        if self.0.contains_key("$rewindTo") {
            return LineKind::Rewind(self.str("$rewindTo"));
        }
        match Message::of(self.0) {
            Some(m) if m.id().is_some() => LineKind::Message(m),
            _ => LineKind::Other,
        }
    }

    pub fn session_id(&self) -> Option<&'a str> {
        self.str("sessionId")
    }

    pub fn project_hash(&self) -> Option<&'a str> {
        self.str("projectHash")
    }

    /// The header's `startTime` or `lastUpdated`.
    pub fn time(&self, key: &str) -> Option<chrono::DateTime<chrono::Utc>> {
        parse_ts(self.str(key))
    }

    /// A model named on the record (not blank).
    pub fn model(&self) -> Option<&'a str> {
        self.str("model").filter(|m| !m.trim().is_empty())
    }
}

/// A message: a record with a `type` (`user`, `gemini`, `info`, `error`, `warning`).
#[derive(Clone, Copy)]
pub(super) struct Message<'a>(&'a Map<String, Value>);

impl<'a> Message<'a> {
    /// The record as a message, when it has a `type`.
    pub fn of(record: &'a Map<String, Value>) -> Option<Message<'a>> {
        record.contains_key("type").then_some(Message(record))
    }

    fn str(&self, key: &str) -> Option<&'a str> {
        self.0.get(key).and_then(Value::as_str)
    }

    pub fn id(&self) -> Option<&'a str> {
        self.str("id")
    }

    /// The `type`; `""` when it is not a string.
    pub fn kind(&self) -> &'a str {
        self.str("type").unwrap_or("")
    }

    pub fn timestamp(&self) -> Option<chrono::DateTime<chrono::Utc>> {
        parse_ts(self.str("timestamp"))
    }

    /// The message's own model (not blank).
    pub fn model(&self) -> Option<&'a str> {
        Record(self.0).model()
    }

    /// `content`: a string or parts (`[{text}]`, `[{functionResponse}]`, ...).
    pub fn content(&self) -> Option<&'a Value> {
        self.0.get("content")
    }

    /// The text of `content`: the string, or its parts' `text` joined.
    pub fn content_text(&self) -> Option<String> {
        match self.content()? {
            Value::String(s) => Some(s.clone()),
            Value::Array(parts) => Some(
                parts
                    .iter()
                    .filter_map(|p| p.get("text").and_then(Value::as_str))
                    .collect::<Vec<_>>()
                    .join(""),
            ),
            _ => None,
        }
    }

    /// 0.61 writes tool results as a `user` message whose parts are all
    /// `functionResponse`s (at least one): not a prompt.
    pub fn is_tool_results(&self) -> bool {
        self.kind() == "user"
            && self
                .content()
                .and_then(Value::as_array)
                .is_some_and(|parts| {
                    !parts.is_empty() && parts.iter().all(|p| p.get("functionResponse").is_some())
                })
    }

    /// `toolCalls`, when it is a list (possibly empty).
    pub fn tool_calls(&self) -> Option<impl Iterator<Item = ToolCall<'a>>> {
        let calls = self.0.get("toolCalls").and_then(Value::as_array)?;
        Some(calls.iter().map(ToolCall))
    }

    /// `thoughts`: {`subject`, `description`, `timestamp`} each.
    pub fn thoughts(&self) -> impl Iterator<Item = Thought<'a>> {
        let list = self.0.get("thoughts").and_then(Value::as_array);
        list.into_iter().flatten().map(Thought)
    }

    /// The message has a `tokens` field (whatever it holds).
    pub fn has_tokens(&self) -> bool {
        self.0.contains_key("tokens")
    }

    /// The message's tokens by ccusage's rules, and its reasoning tokens (thoughts
    /// plus any unseen part of `total`), which ccusage bills as output: what the
    /// table counts.
    pub fn usage(&self) -> Option<(Usage, u64)> {
        usage_of(self.0.get("tokens")?)
    }

    /// The message's `input`, `output` and `cached` tokens as Gemini wrote them
    /// (`None` when all are 0): what the transcript shows on the message.
    pub fn tokens_as_written(&self) -> Option<Usage> {
        let tokens = self.0.get("tokens")?;
        let n = |k: &str| tokens.get(k).and_then(Value::as_u64).unwrap_or(0);
        let u = Usage {
            input_tokens: n("input"),
            output_tokens: n("output"),
            cache_creation_tokens: 0,
            cache_read_tokens: n("cached"),
        };
        (u.total() > 0).then_some(u)
    }
}

/// One of a message's `toolCalls`.
#[derive(Clone, Copy)]
pub(super) struct ToolCall<'a>(&'a Value);

impl<'a> ToolCall<'a> {
    fn str(&self, key: &str) -> Option<&'a str> {
        self.0.get(key).and_then(Value::as_str)
    }

    pub fn name(&self) -> Option<&'a str> {
        self.str("name")
    }

    pub fn id(&self) -> Option<&'a str> {
        self.str("id")
    }

    /// `success`, `error`, `cancelled`, or anything else while it runs.
    pub fn status(&self) -> Option<&'a str> {
        self.str("status")
    }

    pub fn args(&self) -> Option<&'a Value> {
        self.0.get("args")
    }

    pub fn timestamp(&self) -> Option<chrono::DateTime<chrono::Utc>> {
        parse_ts(self.str("timestamp"))
    }

    /// What the function answered: each `result[].functionResponse.response`'s
    /// `output`, else its `error`.
    pub fn responses(&self) -> impl Iterator<Item = &'a Value> {
        let list = self.0.get("result").and_then(Value::as_array);
        list.into_iter()
            .flatten()
            .filter_map(|r| r.pointer("/functionResponse/response"))
            .filter_map(|r| r.get("output").or_else(|| r.get("error")))
    }

    /// What the CLI showed of the result.
    pub fn result_display(&self) -> Option<&'a Value> {
        self.0.get("resultDisplay")
    }
}

/// One of a message's `thoughts`.
#[derive(Clone, Copy)]
pub(super) struct Thought<'a>(&'a Value);

impl<'a> Thought<'a> {
    /// `subject: description`, or whichever of them there is.
    pub fn text(&self) -> String {
        let s = |k: &str| self.0.get(k).and_then(Value::as_str).unwrap_or("");
        let (subject, description) = (s("subject"), s("description"));
        match (subject.is_empty(), description.is_empty()) {
            (false, false) => format!("{subject}: {description}"),
            (false, true) => subject.to_string(),
            _ => description.to_string(),
        }
    }

    pub fn timestamp(&self) -> Option<chrono::DateTime<chrono::Utc>> {
        parse_ts(self.0.get("timestamp").and_then(Value::as_str))
    }
}

fn num(v: &Value, keys: &[&str]) -> u64 {
    keys.iter()
        .find_map(|k| v.get(*k).and_then(Value::as_f64))
        .filter(|f| f.is_finite())
        .map(|f| f.max(0.0).trunc() as u64)
        .unwrap_or(0)
}

/// One message's usage under ccusage's Gemini rules (see the module docs), and its
/// reasoning tokens (thoughts plus any unseen part of `total`), billed as output.
pub(super) fn usage_of(tokens: &Value) -> Option<(Usage, u64)> {
    if !tokens.is_object() {
        return None;
    }
    let input = num(
        tokens,
        &["input", "prompt", "input_tokens", "prompt_tokens"],
    );
    let mut output = num(
        tokens,
        &["output", "candidates", "output_tokens", "candidates_tokens"],
    );
    let cached = num(tokens, &["cached", "cached_tokens"]);
    let thoughts = num(
        tokens,
        &[
            "thoughts",
            "reasoning",
            "thoughts_tokens",
            "reasoning_tokens",
        ],
    );
    let tool = num(tokens, &["tool", "tool_tokens"]);
    let total = ["total", "total_tokens"]
        .iter()
        .find_map(|k| tokens.get(*k).and_then(Value::as_f64))
        .filter(|f| f.is_finite())
        .map(|f| f.max(0.0).trunc() as u64);
    // Counts come from the file: sums saturate rather than overflow.
    let sum = |parts: &[u64]| parts.iter().fold(0u64, |a, b| a.saturating_add(*b));
    let inclusive = sum(&[input, output, thoughts, tool]);
    let overlap =
        cached > 0 && total == Some(inclusive) && total != Some(inclusive.saturating_add(cached));
    let input_without_cache = if overlap {
        input - input.min(cached)
    } else {
        input
    };
    let input_tokens = input_without_cache.saturating_add(tool);
    let known = sum(&[input_tokens, output, cached, thoughts]);
    let total = total.unwrap_or(known);
    let missing = total.saturating_sub(known);
    let mut extra = thoughts;
    if missing > 0 {
        if output == 0 {
            output = missing;
        } else {
            extra = extra.saturating_add(missing);
        }
    }
    if input_tokens == 0 && output == 0 && cached == 0 && extra == 0 {
        return None;
    }
    Some((
        Usage {
            input_tokens,
            output_tokens: output,
            cache_creation_tokens: 0,
            cache_read_tokens: cached,
        },
        extra,
    ))
}
