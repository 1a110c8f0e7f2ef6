//! Codex's wire types: one rollout line as both the facts parser
//! ([`super::CodexTranscript`]) and the transcript reader ([`super::transcript`])
//! decode it, so a line one of them cannot read is a parse error for both.
//!
//! A `response_item` payload is read into [`ResponseItem`]: the facts parser's fields
//! are typed, and what only the reader shows (a message's `content` and `role`, a
//! reasoning `summary`, a tool's `name`) is lenient or kept as raw JSON text, which
//! the facts parser skips at the cost of `IgnoredAny`. Other payloads (`event_msg`,
//! `turn_context`, `session_meta`) are small and read as a `Value` by both.

use std::borrow::Cow;

use serde::Deserialize;
use serde_json::value::RawValue;
use serde_json::Value;

use crate::agents::{lenient_str, raw};
use crate::model::Usage;

/// One rollout line, read in one pass. Codex writes `type` before `payload`, so the
/// payload of a `response_item` (which carries megabytes of tool output) is read
/// straight into a small typed struct that skips what it does not need; any other
/// payload is small and read as a `Value`. Should `payload` come first, it is kept as
/// raw text and decoded once the type is known.
pub(super) struct Line<'a> {
    pub timestamp: Option<Cow<'a, str>>,
    pub kind: Option<Cow<'a, str>>,
    pub payload: Payload<'a>,
    /// How many `type` and `payload` keys the line has (a condensed line is used only
    /// when it has one of each, see [`CodexTranscript::apply_condensed`]).
    pub kinds_seen: u32,
    pub payloads_seen: u32,
}

pub(super) enum Payload<'a> {
    Missing,
    Item(ResponseItem<'a>),
    Other(Value),
    Raw(&'a RawValue),
}

impl<'de: 'a, 'a> Deserialize<'de> for Line<'a> {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct LineVisitor<'a>(std::marker::PhantomData<&'a ()>);
        impl<'de: 'a, 'a> serde::de::Visitor<'de> for LineVisitor<'a> {
            type Value = Line<'a>;
            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                f.write_str("a rollout line")
            }
            fn visit_map<A: serde::de::MapAccess<'de>>(
                self,
                mut map: A,
            ) -> Result<Line<'a>, A::Error> {
                let mut line = Line {
                    timestamp: None,
                    kind: None,
                    payload: Payload::Missing,
                    kinds_seen: 0,
                    payloads_seen: 0,
                };
                while let Some(key) = map.next_key::<Cow<'de, str>>()? {
                    match &*key {
                        "timestamp" => line.timestamp = map.next_value::<Lenient<'a>>()?.0,
                        "type" => {
                            line.kinds_seen += 1;
                            line.kind = map.next_value::<Lenient<'a>>()?.0;
                        }
                        "payload" => {
                            line.payloads_seen += 1;
                            line.payload = match line.kind.as_deref() {
                                Some("response_item") => Payload::Item(map.next_value()?),
                                Some(_) => Payload::Other(map.next_value()?),
                                None => Payload::Raw(map.next_value()?),
                            }
                        }
                        _ => {
                            map.next_value::<serde::de::IgnoredAny>()?;
                        }
                    }
                }
                Ok(line)
            }
        }
        d.deserialize_map(LineVisitor(std::marker::PhantomData))
    }
}

/// A string field that reads as absent when it has another type.
struct Lenient<'a>(Option<Cow<'a, str>>);

impl<'de: 'a, 'a> Deserialize<'de> for Lenient<'a> {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        lenient_str(d).map(Lenient)
    }
}

/// The fields of a `response_item` payload we use; fields of unexpected types read
/// as absent.
#[derive(Deserialize)]
pub(super) struct ResponseItem<'a> {
    #[serde(rename = "type", default, borrow, deserialize_with = "lenient_str")]
    pub kind: Option<Cow<'a, str>>,
    #[serde(default, borrow, deserialize_with = "lenient_str")]
    pub call_id: Option<Cow<'a, str>>,
    #[serde(default, borrow, deserialize_with = "raw")]
    pub output: Option<&'a RawValue>,
    #[serde(default, borrow, deserialize_with = "raw")]
    pub arguments: Option<&'a RawValue>,
    #[serde(default, borrow, deserialize_with = "raw")]
    pub input: Option<&'a RawValue>,
    #[serde(default, borrow, deserialize_with = "raw")]
    pub action: Option<&'a RawValue>,
    // Read by the transcript reader only.
    /// A `message`'s author: `user`, `assistant`, `developer`, ...
    #[serde(default, borrow, deserialize_with = "lenient_str")]
    pub role: Option<Cow<'a, str>>,
    /// A `message`'s text parts.
    #[serde(default, borrow, deserialize_with = "raw")]
    pub content: Option<&'a RawValue>,
    /// A `reasoning` item's summary parts.
    #[serde(default, borrow, deserialize_with = "raw")]
    pub summary: Option<&'a RawValue>,
    /// A tool call's tool.
    #[serde(default, borrow, deserialize_with = "lenient_str")]
    pub name: Option<Cow<'a, str>>,
    /// The id of a `local_shell_call` without `call_id`, or of a `web_search_call`.
    #[serde(default, borrow, deserialize_with = "lenient_str")]
    pub id: Option<Cow<'a, str>>,
}

/// Older Codex tool output: JSON text with `metadata.exit_code`.
#[derive(Deserialize)]
pub(super) struct ExecOutput {
    pub metadata: Option<ExecMetadata>,
}

#[derive(Deserialize)]
pub(super) struct ExecMetadata {
    pub exit_code: Option<i64>,
}

#[derive(Deserialize, Clone, Copy, Default, PartialEq, Eq, Hash)]
pub(super) struct RawUsage {
    #[serde(default)]
    pub input_tokens: u64,
    #[serde(default)]
    pub cached_input_tokens: u64,
    #[serde(default)]
    pub output_tokens: u64,
    #[serde(default)]
    pub reasoning_output_tokens: u64,
    #[serde(default)]
    pub total_tokens: u64,
}

impl RawUsage {
    pub fn minus(&self, prev: Option<&RawUsage>) -> RawUsage {
        let p = prev.copied().unwrap_or_default();
        RawUsage {
            input_tokens: self.input_tokens.saturating_sub(p.input_tokens),
            cached_input_tokens: self
                .cached_input_tokens
                .saturating_sub(p.cached_input_tokens),
            output_tokens: self.output_tokens.saturating_sub(p.output_tokens),
            reasoning_output_tokens: self
                .reasoning_output_tokens
                .saturating_sub(p.reasoning_output_tokens),
            total_tokens: self.total_tokens.saturating_sub(p.total_tokens),
        }
    }

    /// The call's tokens as both readers report them: cached input apart from input.
    pub fn usage(&self) -> Usage {
        let cached = self.cached_input_tokens.min(self.input_tokens);
        Usage {
            input_tokens: self.input_tokens - cached,
            output_tokens: self.output_tokens,
            cache_creation_tokens: 0,
            cache_read_tokens: cached,
        }
    }

    pub fn is_zero(&self) -> bool {
        self.input_tokens == 0
            && self.cached_input_tokens == 0
            && self.output_tokens == 0
            && self.reasoning_output_tokens == 0
    }
}

impl Payload<'_> {
    /// A payload other than a typed item, as a value (`Null` when missing).
    pub fn into_value(self) -> Value {
        match self {
            Payload::Raw(raw) => serde_json::from_str(raw.get()).unwrap_or(Value::Null),
            Payload::Other(v) => v,
            Payload::Item(_) | Payload::Missing => Value::Null,
        }
    }
}
