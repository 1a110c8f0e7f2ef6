//! Claude Code's wire types: one line of a transcript as both the facts parser
//! ([`super::ClaudeTranscript`]) and the transcript reader ([`super::transcript`])
//! decode it, so a line one of them cannot read is a parse error for both.
//!
//! Fields both read are typed and borrowed from the line. Fields only the reader
//! shows (a notice's `content`, thinking text, a tool call's whole `input`, a tool
//! result's `content`) are [`Shown`], [`Input`] and [`Output`]: the reader keeps them
//! as raw JSON text; the facts parser, which says so with [`set_keep`] around its
//! decode, skips them as `IgnoredAny` does (raw text would cost a UTF-8 check of
//! every byte of tool output), reads only the few arguments deliverables need, and
//! decodes a tool result only when a pending shell call may announce a commit in it.
//! Either way any value is accepted there, so the two agree on which lines decode.

use std::borrow::Cow;
use std::cell::Cell;

use serde::de::{IgnoredAny, MapAccess, SeqAccess, Visitor};
use serde::{Deserialize, Deserializer};
use serde_json::value::RawValue;

use crate::agents::{lenient_bool, lenient_str};
use crate::model::Usage;

/// What a decode keeps of the parts only the transcript shows.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub(super) enum Keep {
    /// Everything, as raw JSON text (the transcript reader; the default).
    All,
    /// What the facts parser reads: tool-call arguments, and a tool result's output
    /// only when `output`.
    Facts { output: bool },
}

thread_local! {
    static KEEP: Cell<Keep> = const { Cell::new(Keep::All) };
}

/// Decodes on this thread keep `keep` until it is set again; the facts parser sets
/// [`Keep::Facts`] for its line and [`Keep::All`] back after it.
pub(super) fn set_keep(keep: Keep) {
    KEEP.with(|k| k.set(keep));
}

fn keep() -> Keep {
    KEEP.with(Cell::get)
}

/// A part only the transcript shows: its raw JSON text (`null` included) under
/// [`Keep::All`], skipped otherwise.
#[derive(Clone, Copy, Default)]
pub(super) struct Shown<'a>(pub Option<&'a RawValue>);

impl<'de: 'a, 'a> Deserialize<'de> for Shown<'a> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        match keep() {
            Keep::All => <&RawValue>::deserialize(d).map(|r| Shown(Some(r))),
            Keep::Facts { .. } => IgnoredAny::deserialize(d).map(|_| Shown(None)),
        }
    }
}

/// A tool call's `input`: raw under [`Keep::All`]; otherwise the few arguments
/// deliverables are read from, when it is an object.
#[derive(Default)]
pub(super) struct Input<'a> {
    pub raw: Option<&'a RawValue>,
    pub args: Option<ToolInput<'a>>,
}

impl<'de: 'a, 'a> Deserialize<'de> for Input<'a> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct ArgsVisitor<'a>(std::marker::PhantomData<&'a ()>);
        impl<'de: 'a, 'a> Visitor<'de> for ArgsVisitor<'a> {
            type Value = Option<ToolInput<'a>>;
            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                f.write_str("tool arguments")
            }
            fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<Self::Value, A::Error> {
                ToolInput::deserialize(serde::de::value::MapAccessDeserializer::new(map)).map(Some)
            }
            fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
                while seq.next_element::<IgnoredAny>()?.is_some() {}
                Ok(None)
            }
            fn visit_str<E>(self, _: &str) -> Result<Self::Value, E> {
                Ok(None)
            }
            fn visit_unit<E>(self) -> Result<Self::Value, E> {
                Ok(None)
            }
            fn visit_bool<E>(self, _: bool) -> Result<Self::Value, E> {
                Ok(None)
            }
            fn visit_i64<E>(self, _: i64) -> Result<Self::Value, E> {
                Ok(None)
            }
            fn visit_u64<E>(self, _: u64) -> Result<Self::Value, E> {
                Ok(None)
            }
            fn visit_f64<E>(self, _: f64) -> Result<Self::Value, E> {
                Ok(None)
            }
        }
        match keep() {
            Keep::All => <&RawValue>::deserialize(d).map(|r| Input {
                raw: Some(r),
                args: None,
            }),
            Keep::Facts { .. } => d
                .deserialize_any(ArgsVisitor(std::marker::PhantomData))
                .map(|args| Input { raw: None, args }),
        }
    }
}

/// A tool result's `content`: raw under [`Keep::All`]; decoded for the facts parser
/// only when it asked for output (tool output is most of the bytes of a transcript).
#[derive(Default)]
pub(super) struct Output<'a> {
    pub raw: Option<&'a RawValue>,
    pub decoded: Option<Content<'a>>,
}

impl<'de: 'a, 'a> Deserialize<'de> for Output<'a> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        match keep() {
            Keep::All => <&RawValue>::deserialize(d).map(|r| Output {
                raw: Some(r),
                decoded: None,
            }),
            Keep::Facts { output: true } => Content::deserialize(d).map(|c| Output {
                raw: None,
                decoded: Some(c),
            }),
            Keep::Facts { output: false } => IgnoredAny::deserialize(d).map(|_| Output::default()),
        }
    }
}

#[derive(Deserialize)]
pub(super) struct Record<'a> {
    #[serde(rename = "type", borrow)]
    pub kind: Option<Cow<'a, str>>,
    #[serde(borrow)]
    pub timestamp: Option<Cow<'a, str>>,
    #[serde(rename = "sessionId", borrow)]
    pub session_id: Option<Cow<'a, str>>,
    #[serde(borrow)]
    pub cwd: Option<Cow<'a, str>>,
    #[serde(rename = "gitBranch", borrow)]
    pub git_branch: Option<Cow<'a, str>>,
    #[serde(rename = "requestId", borrow)]
    pub request_id: Option<Cow<'a, str>>,
    #[serde(rename = "isApiErrorMessage")]
    pub is_api_error: Option<bool>,
    #[serde(rename = "isMeta")]
    pub is_meta: Option<bool>,
    #[serde(borrow)]
    pub summary: Option<Cow<'a, str>>,
    /// Written by old Claude Code versions; ccusage uses it instead of pricing.
    #[serde(rename = "costUSD")]
    pub cost_usd: Option<f64>,
    #[serde(borrow)]
    pub version: Option<Cow<'a, str>>,
    /// 2.1.x writes no `requestId`; the lines of one streamed message share this.
    #[serde(rename = "requestRef", borrow)]
    pub request_ref: Option<Cow<'a, str>>,
    /// `cost-state`: what the agent says the session cost so far in this process.
    #[serde(rename = "totalCostUSD")]
    pub total_cost_usd: Option<f64>,
    /// `cost-state`: when this process started (ms epoch), one total per process.
    #[serde(rename = "startTime")]
    pub start_time: Option<f64>,
    #[serde(borrow)]
    pub message: Option<Message<'a>>,
    // Read by the transcript reader only.
    /// A `user` record that is the summary a compaction left.
    #[serde(
        rename = "isCompactSummary",
        default,
        deserialize_with = "lenient_bool"
    )]
    pub is_compact_summary: Option<bool>,
    /// A `system` record's level (`error`, ...).
    #[serde(default, borrow, deserialize_with = "lenient_str")]
    pub level: Option<Cow<'a, str>>,
    /// A `system` record's kind, shown when it has no `content`.
    #[serde(default, borrow, deserialize_with = "lenient_str")]
    pub subtype: Option<Cow<'a, str>>,
    /// A `system` record's text (a string or text parts).
    #[serde(default, borrow)]
    pub content: Shown<'a>,
}

#[derive(Deserialize)]
pub(super) struct Message<'a> {
    #[serde(borrow)]
    pub content: Option<Content<'a>>,
    #[serde(borrow)]
    pub model: Option<Cow<'a, str>>,
    #[serde(borrow)]
    pub id: Option<Cow<'a, str>>,
    #[serde(borrow)]
    pub stop_reason: Option<Cow<'a, str>>,
    pub usage: Option<RawUsage>,
}

/// `message.content`: a string or a list of blocks. Read by hand rather than with
/// `#[serde(untagged)]`, which would first copy the whole value (megabytes of tool
/// output) into a buffer to try each variant in turn.
pub(super) enum Content<'a> {
    Text(Cow<'a, str>),
    Blocks(Vec<Block<'a>>),
    Other,
}

impl<'de: 'a, 'a> Deserialize<'de> for Content<'a> {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct ContentVisitor<'a>(std::marker::PhantomData<&'a ()>);
        impl<'de: 'a, 'a> serde::de::Visitor<'de> for ContentVisitor<'a> {
            type Value = Content<'a>;
            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                f.write_str("a string or a list of content blocks")
            }
            fn visit_borrowed_str<E>(self, v: &'de str) -> Result<Content<'a>, E> {
                Ok(Content::Text(Cow::Borrowed(v)))
            }
            fn visit_str<E>(self, v: &str) -> Result<Content<'a>, E> {
                Ok(Content::Text(Cow::Owned(v.to_string())))
            }
            fn visit_string<E>(self, v: String) -> Result<Content<'a>, E> {
                Ok(Content::Text(Cow::Owned(v)))
            }
            fn visit_seq<A: serde::de::SeqAccess<'de>>(
                self,
                mut seq: A,
            ) -> Result<Content<'a>, A::Error> {
                let mut blocks = Vec::new();
                while let Some(b) = seq.next_element::<MaybeBlock<'a>>()? {
                    if let MaybeBlock(Some(b)) = b {
                        // Most lines hold one block: room for one, not the four a
                        // first push makes (over a kilobyte, past malloc's fast
                        // caches, for every line of a cold scan).
                        if blocks.capacity() == 0 {
                            blocks.reserve_exact(1);
                        }
                        blocks.push(b);
                    }
                }
                Ok(Content::Blocks(blocks))
            }
            fn visit_map<A: serde::de::MapAccess<'de>>(
                self,
                mut map: A,
            ) -> Result<Content<'a>, A::Error> {
                while map
                    .next_entry::<serde::de::IgnoredAny, serde::de::IgnoredAny>()?
                    .is_some()
                {}
                Ok(Content::Other)
            }
            fn visit_unit<E>(self) -> Result<Content<'a>, E> {
                Ok(Content::Other)
            }
            fn visit_bool<E>(self, _: bool) -> Result<Content<'a>, E> {
                Ok(Content::Other)
            }
            fn visit_i64<E>(self, _: i64) -> Result<Content<'a>, E> {
                Ok(Content::Other)
            }
            fn visit_u64<E>(self, _: u64) -> Result<Content<'a>, E> {
                Ok(Content::Other)
            }
            fn visit_f64<E>(self, _: f64) -> Result<Content<'a>, E> {
                Ok(Content::Other)
            }
        }
        d.deserialize_any(ContentVisitor(std::marker::PhantomData))
    }
}

/// One element of a block list: an object is a [`Block`], anything else is skipped.
pub(super) struct MaybeBlock<'a>(Option<Block<'a>>);

impl<'de: 'a, 'a> Deserialize<'de> for MaybeBlock<'a> {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V<'a>(std::marker::PhantomData<&'a ()>);
        impl<'de: 'a, 'a> serde::de::Visitor<'de> for V<'a> {
            type Value = MaybeBlock<'a>;
            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                f.write_str("a content block")
            }
            fn visit_map<A: serde::de::MapAccess<'de>>(
                self,
                map: A,
            ) -> Result<MaybeBlock<'a>, A::Error> {
                Block::deserialize(serde::de::value::MapAccessDeserializer::new(map))
                    .map(|b| MaybeBlock(Some(b)))
            }
            fn visit_seq<A: serde::de::SeqAccess<'de>>(
                self,
                mut seq: A,
            ) -> Result<MaybeBlock<'a>, A::Error> {
                while seq.next_element::<serde::de::IgnoredAny>()?.is_some() {}
                Ok(MaybeBlock(None))
            }
            fn visit_str<E>(self, _: &str) -> Result<MaybeBlock<'a>, E> {
                Ok(MaybeBlock(None))
            }
            fn visit_unit<E>(self) -> Result<MaybeBlock<'a>, E> {
                Ok(MaybeBlock(None))
            }
            fn visit_bool<E>(self, _: bool) -> Result<MaybeBlock<'a>, E> {
                Ok(MaybeBlock(None))
            }
            fn visit_i64<E>(self, _: i64) -> Result<MaybeBlock<'a>, E> {
                Ok(MaybeBlock(None))
            }
            fn visit_u64<E>(self, _: u64) -> Result<MaybeBlock<'a>, E> {
                Ok(MaybeBlock(None))
            }
            fn visit_f64<E>(self, _: f64) -> Result<MaybeBlock<'a>, E> {
                Ok(MaybeBlock(None))
            }
        }
        d.deserialize_any(V(std::marker::PhantomData))
    }
}

#[derive(Deserialize)]
pub(super) struct Block<'a> {
    #[serde(rename = "type", default, borrow, deserialize_with = "lenient_str")]
    pub kind: Option<Cow<'a, str>>,
    #[serde(default, borrow, deserialize_with = "lenient_str")]
    pub text: Option<Cow<'a, str>>,
    #[serde(default, borrow, deserialize_with = "lenient_str")]
    pub id: Option<Cow<'a, str>>,
    #[serde(default, borrow, deserialize_with = "lenient_str")]
    pub tool_use_id: Option<Cow<'a, str>>,
    #[serde(default, deserialize_with = "lenient_bool")]
    pub is_error: Option<bool>,
    #[serde(borrow)]
    pub name: Option<Cow<'a, str>>,
    /// A tool call's arguments.
    #[serde(default, borrow)]
    pub input: Input<'a>,
    /// A tool result's output: a string or text blocks.
    #[serde(default, borrow)]
    pub content: Output<'a>,
    /// A `thinking` block's text (the transcript reader's only).
    #[serde(default, borrow)]
    pub thinking: Shown<'a>,
}

/// The few tool-call arguments deliverables are read from.
#[derive(Deserialize)]
pub(super) struct ToolInput<'a> {
    #[serde(default, borrow, deserialize_with = "lenient_str")]
    pub command: Option<Cow<'a, str>>,
    #[serde(default, borrow, deserialize_with = "lenient_str")]
    pub file_path: Option<Cow<'a, str>>,
    #[serde(default, borrow, deserialize_with = "lenient_str")]
    pub notebook_path: Option<Cow<'a, str>>,
}

#[derive(Deserialize, Default)]
pub(super) struct RawUsage {
    #[serde(default)]
    pub input_tokens: u64,
    #[serde(default)]
    pub output_tokens: u64,
    #[serde(default)]
    pub cache_creation_input_tokens: u64,
    #[serde(default)]
    pub cache_read_input_tokens: u64,
    pub cache_creation: Option<CacheCreation>,
}

impl RawUsage {
    /// The four counts, as both readers report them.
    pub fn usage(&self) -> Usage {
        Usage {
            input_tokens: self.input_tokens,
            output_tokens: self.output_tokens,
            cache_creation_tokens: self.cache_creation_input_tokens,
            cache_read_tokens: self.cache_read_input_tokens,
        }
    }
}

/// How cache writes split between the 5-minute and the 1-hour cache.
#[derive(Deserialize, Default)]
pub(super) struct CacheCreation {
    #[serde(default)]
    pub ephemeral_1h_input_tokens: u64,
}
