//! Session transcripts for the detail view: one agent's files read into a normalized,
//! UI-ready list of [`TranscriptEntry`]s (prompts, answers, thinking, tool calls and
//! their results, errors, summaries), page by page and live as the file grows.
//!
//! The `harness` parsers fold a transcript into counts for the table; this module keeps
//! the content. It only reads: it never writes an agent's file, never renders HTML
//! (text is plain text with ANSI escape sequences removed, see [`text`]) and never
//! panics on input: a record it cannot read is counted in
//! [`TranscriptPage::parse_errors`] and skipped.
//!
//! ## Reading model
//! [`read_transcript`] answers one [`TranscriptPage`] starting at a
//! [`TranscriptCursor`]. The caller keeps a list of entries and applies each page the
//! same way, whatever the format:
//! 1. if `page.reset`, clear the list (the file was truncated or replaced);
//! 2. drop every entry whose `index` is `>= from.index` (the cursor it asked with);
//! 3. append `page.entries` and keep `page.next` for the next request.
//!
//! Append-only formats (Claude Code, Codex, gptme, Copilot) are read by byte offset:
//! `next` points after the last complete line read, so old entries are never sent
//! again and a half-written last line waits for its newline. Formats whose records are
//! rewritten in place (Gemini chats, opencode's store) are re-read whole; their `next`
//! points at the first entry of the last message, so that message, which may still be
//! growing, is sent again on the next request and replaces its earlier copy.
//!
//! A long session can be opened at its end with [`read_transcript_tail`] (the last
//! entries with their true indices, and a `next` cursor to tail from); earlier entries
//! are then read forward from the start with [`read_transcript`].
//!
//! Large texts are cut to `max_text_bytes` (`truncated`, `full_len`);
//! [`read_entry_full`] reads one entry again without the cut, from the cursor stored in
//! the entry (`at`).

pub(crate) mod doc_offsets;
pub(crate) mod document;
mod lines;
mod log_offsets;
pub mod offsets;
pub mod text;

use std::io;
use std::path::{Path, PathBuf};

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use ts_rs::TS;

use crate::model::{Harness, Usage};

/// Default cut for one entry's text: enough for a screenful, small enough to send
/// hundreds of entries to the UI at once.
pub const DEFAULT_MAX_TEXT_BYTES: usize = 16 * 1024;

/// Default number of entries in one page.
pub const DEFAULT_PAGE_ENTRIES: usize = 500;

/// What one transcript entry is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, TS)]
#[serde(rename_all = "kebab-case")]
pub enum EntryKind {
    /// A prompt the user typed.
    User,
    /// Text the model wrote.
    Assistant,
    /// The model's reasoning, as far as the agent records it.
    Thinking,
    /// The model asked for a tool: `tool_name`, `tool_input`, `tool_use_id`.
    ToolCall,
    /// A tool's output; `tool_use_id` names its call when the format records it.
    ToolResult,
    /// A notice from the agent itself (token usage, aborted turn, model change, ...).
    System,
    /// An API or agent error.
    Error,
    /// A summary of the conversation (Claude Code summaries and compactions).
    Summary,
}

/// Where a read starts: a byte offset for line formats, an entry index for all.
///
/// Opaque to the UI: it stores the `next` cursor of a page and sends it back.
/// `carry` is a small piece of parser state that one line leaves for the next (for
/// example the model Codex announced before its messages).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, TS)]
pub struct TranscriptCursor {
    /// Byte offset of the next unread line (0 and unused for whole-file formats).
    #[ts(type = "number")]
    pub offset: u64,
    /// Index the next entry gets.
    pub index: u32,
    pub carry: Option<String>,
}

/// One thing that happened in a session, ready to show as plain text.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
pub struct TranscriptEntry {
    /// Position in the transcript, from 0, stable across reads.
    pub index: u32,
    pub timestamp: Option<DateTime<Utc>>,
    pub kind: EntryKind,
    /// Plain text without ANSI escapes; cut to the page's `max_text_bytes`.
    pub text: String,
    pub tool_name: Option<String>,
    /// Links a tool call and its result (Claude `tool_use_id`, Codex `call_id`, ...).
    pub tool_use_id: Option<String>,
    /// The tool's arguments as pretty-printed JSON (or the raw text the agent wrote).
    pub tool_input: Option<String>,
    pub is_error: bool,
    pub model: Option<String>,
    /// Token usage of the model call that produced this entry, on the first entry of
    /// that call only, so summing entries never counts a call twice.
    pub usage: Option<Usage>,
    /// `text` or `tool_input` was cut; [`read_entry_full`] returns all of it.
    pub truncated: bool,
    /// Bytes of `text` plus `tool_input` as the agent wrote them (before cutting and
    /// before escape sequences were removed).
    #[ts(type = "number")]
    pub full_len: u64,
    /// Where to read this entry again ([`read_entry_full`]).
    pub at: TranscriptCursor,
}

/// One answer of [`read_transcript`]; see the module documentation for how to apply it.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, TS)]
pub struct TranscriptPage {
    pub entries: Vec<TranscriptEntry>,
    /// Where the next read starts.
    pub next: TranscriptCursor,
    /// The transcript shrank or was replaced: drop everything and apply this page.
    pub reset: bool,
    /// Everything written so far was read; ask again when the file changes.
    pub at_end: bool,
    /// Size of the transcript file (the database for opencode).
    #[ts(type = "number")]
    pub total_bytes: u64,
    /// Records of this read that could not be parsed and were skipped.
    pub parse_errors: u32,
}

/// Why a transcript could not be read at all.
#[derive(Debug, thiserror::Error)]
pub enum TranscriptError {
    #[error("transcript {0} no longer exists")]
    NotFound(PathBuf),
    #[error("cannot read transcript {path}: {source}")]
    Io { path: PathBuf, source: io::Error },
    #[error("cannot read opencode session {location}: {message}")]
    Store { location: String, message: String },
    #[error("entry {index} is not in transcript {path}")]
    NoSuchEntry { path: PathBuf, index: u32 },
    #[error("transcript {0} kept changing while it was read; read it again")]
    Changed(PathBuf),
}

impl TranscriptError {
    pub(crate) fn io(path: &Path, source: io::Error) -> Self {
        if source.kind() == io::ErrorKind::NotFound {
            TranscriptError::NotFound(path.to_path_buf())
        } else {
            TranscriptError::Io {
                path: path.to_path_buf(),
                source,
            }
        }
    }
}

/// An entry as a format module produces it, before numbering and cutting.
#[derive(Debug, Clone, PartialEq)]
pub struct Draft {
    pub timestamp: Option<DateTime<Utc>>,
    pub kind: EntryKind,
    pub text: String,
    pub tool_name: Option<String>,
    pub tool_use_id: Option<String>,
    pub tool_input: Option<String>,
    pub is_error: bool,
    pub model: Option<String>,
    pub usage: Option<Usage>,
}

impl Draft {
    pub fn new(kind: EntryKind, text: impl Into<String>) -> Self {
        Draft {
            timestamp: None,
            kind,
            text: text.into(),
            tool_name: None,
            tool_use_id: None,
            tool_input: None,
            is_error: false,
            model: None,
            usage: None,
        }
    }

    fn finish(self, index: u32, at: TranscriptCursor, max_text_bytes: usize) -> TranscriptEntry {
        self.shrink(max_text_bytes)
            .finish(index, at, max_text_bytes)
    }

    /// Drop the raw bytes a cut to `max_text_bytes` can never need (cheap: no
    /// cleaning), remembering the full size.
    fn shrink(mut self, max_text_bytes: usize) -> ShrunkDraft {
        let full_len = self.text.len() + self.tool_input.as_ref().map_or(0, String::len);
        let budget = text::raw_budget(max_text_bytes);
        let mut raw_cut = false;
        for t in std::iter::once(&mut self.text).chain(self.tool_input.as_mut()) {
            if t.len() > budget {
                t.truncate(text::floor_char_boundary(t, budget));
                raw_cut = true;
            }
        }
        ShrunkDraft {
            draft: self,
            full_len,
            raw_cut,
        }
    }
}

/// A draft whose texts hold at most what its cut needs, waiting to be cleaned and
/// numbered (tail reads keep many of these and finish only the survivors).
#[derive(Debug)]
pub(crate) struct ShrunkDraft {
    draft: Draft,
    full_len: usize,
    raw_cut: bool,
}

impl ShrunkDraft {
    pub(crate) fn finish(
        self,
        index: u32,
        at: TranscriptCursor,
        max_text_bytes: usize,
    ) -> TranscriptEntry {
        let d = self.draft;
        let (text, cut_text) = text::clean_and_cut(&d.text, max_text_bytes);
        let (tool_input, cut_input) = match d.tool_input {
            Some(input) => {
                let (t, cut) = text::clean_and_cut(&input, max_text_bytes);
                (Some(t), cut)
            }
            None => (None, false),
        };
        TranscriptEntry {
            index,
            timestamp: d.timestamp,
            kind: d.kind,
            text,
            tool_name: d.tool_name.map(|n| text::clean_and_cut(&n, 256).0),
            tool_use_id: d.tool_use_id,
            tool_input,
            is_error: d.is_error,
            model: d.model,
            usage: d.usage,
            truncated: self.raw_cut || cut_text || cut_input,
            full_len: self.full_len as u64,
            at,
        }
    }
}

/// Turns one line of an append-only transcript into drafts. `carry` is the state the
/// previous line left (see [`TranscriptCursor::carry`]).
pub trait LineFormat {
    /// `Err(())` when the line is not a record of this format (a parse error, only
    /// counted: there is nothing more to tell).
    #[allow(clippy::result_unit_err)]
    fn entries(&mut self, line: &[u8], out: &mut Vec<Draft>) -> Result<(), ()>;
    fn carry(&self) -> Option<String>;
}

/// How an agent's transcript is read ([`crate::agents::Agent::transcript_reader`]).
pub enum Reader {
    /// Append-only lines, turned into drafts by a format made from the cursor's carry.
    Lines(fn(Option<String>) -> Box<dyn LineFormat>),
    /// Records rewritten in place: the whole transcript is read on every request,
    /// keeping the drafts the request wants ([`Keep`]).
    Whole(WholeReader),
}

/// A whole-file transcript that is one JSON document whose messages are the elements
/// of one top-level array (a Gemini `.json` chat): read by
/// [`offsets::OffsetStore`] through an offset index of those elements, so a page
/// decodes the messages near it, not the file (see `doc_offsets`).
pub struct Document {
    /// The top-level key whose array holds the messages.
    pub key: &'static str,
    /// One element's drafts, appended to `out`, each with its timestamp; `Err` when
    /// the element is not a record (a parse error, counted: the read goes on).
    #[allow(clippy::type_complexity)]
    pub drafts: fn(&serde_json::Value, &mut Vec<Draft>) -> Result<(), ()>,
}

/// A line transcript whose records replace or drop earlier ones (a Gemini `.jsonl`
/// chat): a message appended again with the same id replaces its earlier copy where
/// it stood, and a rewind drops a message and everything after it. Read by
/// [`offsets::OffsetStore`] through an index of where each message's latest copy
/// is, so a page reads the lines of its messages, not the file (see `log_offsets`).
pub struct KeyedLog {
    /// What one line (without its newline) is; for a message, its drafts are appended
    /// to `out`, each with its timestamp, and with the model it names, else `hint`
    /// (the last model an earlier message named).
    #[allow(clippy::type_complexity)]
    pub line: fn(&[u8], Option<&str>, &mut Vec<Draft>) -> LogLine,
}

/// One line of a [`KeyedLog`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LogLine {
    /// Blank, or a record that is neither a message nor a rewind (a header, metadata).
    Other,
    /// Not a record: a parse error.
    Error,
    /// A message with this id (replacing an earlier one with it), naming this model.
    Message { id: String, model: Option<String> },
    /// Drop the message with this id and everything after it (everything when no
    /// message has it).
    Rewind(String),
}

/// Reads a whole-file transcript, keeping the drafts `keep` names.
pub type WholeReader = fn(&Path, Keep) -> Result<WholeTranscript, TranscriptError>;

/// Which drafts of a whole-file transcript a read holds on to (the others are only
/// counted), so that a reader that decodes one record at a time holds a page, not
/// the file. A reader may keep more than asked (all of them); never fewer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Keep {
    All,
    /// Drafts `start..end`.
    Range(usize, usize),
    /// The last `n` drafts.
    Last(usize),
}

#[cfg(test)]
thread_local! {
    /// Whole-file transcripts read and parsed on this thread (tests count them).
    static WHOLE_PARSES: std::cell::Cell<u32> = const { std::cell::Cell::new(0) };
}

/// Read and parse a whole-file transcript: every such read goes through here.
fn parse_whole(
    read_whole: WholeReader,
    path: &Path,
    keep: Keep,
) -> Result<WholeTranscript, TranscriptError> {
    #[cfg(test)]
    WHOLE_PARSES.with(|n| n.set(n.get() + 1));
    read_whole(path, keep)
}

fn reader(harness: Harness) -> Reader {
    crate::agents::agent(harness).transcript_reader()
}

/// The entries of a format that is re-read whole: the drafts kept (all of them, or
/// those a [`Keep`] asked for, with how many came before and after), and the index of
/// the first entry of each message (so the last message can be sent again while it
/// grows).
#[derive(Debug, Default)]
pub struct WholeTranscript {
    pub drafts: Vec<Draft>,
    /// Drafts counted but not kept before `drafts[0]`, and after its last.
    pub skipped_before: usize,
    pub skipped_after: usize,
    pub message_starts: Vec<usize>,
    pub parse_errors: u32,
    pub total_bytes: u64,
}

impl WholeTranscript {
    /// How many drafts the transcript has, kept or not.
    pub fn total(&self) -> usize {
        self.skipped_before + self.drafts.len() + self.skipped_after
    }

    /// Start a new message: the drafts pushed next belong to it.
    pub fn begin_message(&mut self) {
        let at = self.total();
        if self.message_starts.last() != Some(&at) {
            self.message_starts.push(at);
        }
    }

    /// Add the next draft, kept if `keep` wants it (for [`Keep::Last`], until
    /// [`WholeTranscript::end_message`] lets the oldest go).
    pub fn push(&mut self, d: Draft, keep: Keep) {
        let i = self.total();
        match keep {
            Keep::Range(start, _) if i < start => self.skipped_before += 1,
            Keep::Range(_, end) if i >= end => self.skipped_after += 1,
            _ => self.drafts.push(d),
        }
    }

    /// A message is complete: under [`Keep::Last`], only the last drafts stay.
    pub fn end_message(&mut self, keep: Keep) {
        if let Keep::Last(n) = keep {
            let over = self.drafts.len().saturating_sub(n);
            if over > 0 {
                self.drafts.drain(..over);
                self.skipped_before += over;
            }
        }
    }
}

/// Read a page of the transcript of `harness` at `path` (a session's
/// [`crate::model::Session::path`]), starting at `from`, with at most about `limit`
/// entries (a record is never split, so a page may end a few entries later) and texts
/// cut to `max_text_bytes`.
pub fn read_transcript(
    harness: Harness,
    path: &Path,
    from: &TranscriptCursor,
    limit: usize,
    max_text_bytes: usize,
) -> Result<TranscriptPage, TranscriptError> {
    read_window(
        harness,
        path,
        from,
        Window::Head(limit.max(1)),
        max_text_bytes,
    )
}

/// The last `last` entries of a transcript, for opening a long session at its end.
///
/// The whole file is read (only the kept entries are held in memory), so the entries
/// carry their true `index`, and `next` continues live tailing from the end. Earlier
/// entries are read forward from the start with [`read_transcript`] as the user
/// scrolls back; indices tell where they meet.
pub fn read_transcript_tail(
    harness: Harness,
    path: &Path,
    last: usize,
    max_text_bytes: usize,
) -> Result<TranscriptPage, TranscriptError> {
    let from = TranscriptCursor::default();
    read_window(
        harness,
        path,
        &from,
        Window::Tail(last.max(1)),
        max_text_bytes,
    )
}

/// Which entries a read keeps.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Window {
    /// The first `n` from the cursor on (a record is never split).
    Head(usize),
    /// The last `n` of the whole transcript.
    Tail(usize),
}

fn read_window(
    harness: Harness,
    path: &Path,
    from: &TranscriptCursor,
    window: Window,
    max_text_bytes: usize,
) -> Result<TranscriptPage, TranscriptError> {
    let whole = match reader(harness) {
        Reader::Lines(make_format) => {
            return lines::read_page(path, from, window, max_text_bytes, make_format, None)
        }
        Reader::Whole(read_whole) => (read_whole, path),
    };
    let (read_whole, path) = whole;
    Ok(match window {
        Window::Head(limit) => {
            let start = from.index as usize;
            let mut whole = parse_whole(read_whole, path, Keep::Range(start, start + limit))?;
            if start > whole.total() {
                // It shrank: the page starts over from the first entry.
                whole = parse_whole(read_whole, path, Keep::Range(0, limit))?;
            }
            page_of_whole(whole, from, limit, max_text_bytes)
        }
        Window::Tail(last) => {
            let whole = parse_whole(read_whole, path, Keep::Last(last))?;
            let start = TranscriptCursor {
                index: whole.total().saturating_sub(last) as u32,
                ..TranscriptCursor::default()
            };
            page_of_whole(whole, &start, usize::MAX, max_text_bytes)
        }
    })
}

/// The whole transcript in one page: pages of [`DEFAULT_PAGE_ENTRIES`] read and
/// applied as the module documentation says (for the CLI and a first load); a
/// whole-file format is parsed once.
pub fn read_all_entries(
    harness: Harness,
    path: &Path,
    max_text_bytes: usize,
) -> Result<TranscriptPage, TranscriptError> {
    let mut all = TranscriptPage::default();
    let mut cursor = TranscriptCursor::default();
    if let Reader::Whole(read_whole) = reader(harness) {
        // Parsed once, in one page: paging would parse the whole file once per page.
        return Ok(page_of_whole(
            parse_whole(read_whole, path, Keep::All)?,
            &cursor,
            usize::MAX,
            max_text_bytes,
        ));
    }
    loop {
        let page = read_transcript(harness, path, &cursor, DEFAULT_PAGE_ENTRIES, max_text_bytes)?;
        if page.reset {
            all.entries.clear();
        }
        all.entries.retain(|e| e.index < cursor.index);
        all.entries.extend(page.entries);
        all.parse_errors += page.parse_errors;
        all.total_bytes = page.total_bytes;
        all.next = page.next.clone();
        if page.at_end {
            all.at_end = true;
            return Ok(all);
        }
        cursor = page.next;
    }
}

/// One entry in full (no cut), read again from the cursor it carries (`entry.at`).
pub fn read_entry_full(
    harness: Harness,
    path: &Path,
    at: &TranscriptCursor,
    index: u32,
) -> Result<TranscriptEntry, TranscriptError> {
    entry_of(
        read_transcript(harness, path, at, 1, usize::MAX)?,
        path,
        index,
    )
}

/// Entry `index` of a page read (uncut) from that entry's cursor: what
/// [`read_entry_full`] and [`offsets::OffsetStore::entry_full`] both answer.
fn entry_of(
    page: TranscriptPage,
    path: &Path,
    index: u32,
) -> Result<TranscriptEntry, TranscriptError> {
    page.entries
        .into_iter()
        .find(|e| e.index == index)
        .ok_or_else(|| TranscriptError::NoSuchEntry {
            path: path.to_path_buf(),
            index,
        })
}

fn page_of_whole(
    whole: WholeTranscript,
    from: &TranscriptCursor,
    limit: usize,
    max_text_bytes: usize,
) -> TranscriptPage {
    let total = whole.total();
    let first = whole.skipped_before;
    let mut start = from.index as usize;
    let reset = start > total;
    if reset {
        start = 0;
    }
    let end = start.saturating_add(limit).min(total);
    let at_end = end == total;
    let at = TranscriptCursor {
        offset: 0,
        index: start as u32,
        carry: None,
    };
    let entries = whole
        .drafts
        .into_iter()
        .enumerate()
        .map(|(i, d)| (i + first, d))
        .filter(|(i, _)| (start..end).contains(i))
        .map(|(i, d)| {
            let at = TranscriptCursor {
                index: i as u32,
                ..at.clone()
            };
            d.finish(i as u32, at, max_text_bytes)
        })
        .collect();
    // At the end, point at the last message so it is sent again while it grows; never
    // before `start`, so a page always moves forward or stays.
    let next_index = if at_end {
        whole
            .message_starts
            .iter()
            .rev()
            .find(|s| **s < total)
            .copied()
            .unwrap_or(total)
            .max(start)
    } else {
        end
    };
    TranscriptPage {
        entries,
        next: TranscriptCursor {
            offset: 0,
            index: next_index as u32,
            carry: None,
        },
        reset,
        at_end,
        total_bytes: whole.total_bytes,
        parse_errors: whole.parse_errors,
    }
}

/// Pretty JSON of a tool's arguments; a string that holds JSON is parsed first (Codex
/// writes arguments as a JSON string), any other string is kept as written.
pub(crate) fn pretty_input(v: &serde_json::Value) -> String {
    match v {
        serde_json::Value::String(s) => match serde_json::from_str::<serde_json::Value>(s) {
            Ok(inner @ (serde_json::Value::Object(_) | serde_json::Value::Array(_))) => {
                serde_json::to_string_pretty(&inner).unwrap_or_else(|_| s.clone())
            }
            _ => s.clone(),
        },
        other => serde_json::to_string_pretty(other).unwrap_or_default(),
    }
}

/// The text inside a value that is a string, or a list of parts with `text` (or
/// `content`) strings; images and other parts become a short placeholder.
pub(crate) fn text_of(v: &serde_json::Value) -> String {
    use serde_json::Value;
    match v {
        Value::String(s) => s.clone(),
        Value::Array(parts) => {
            let mut out = String::new();
            for p in parts {
                let piece = match p {
                    Value::String(s) => s.clone(),
                    Value::Object(o) => match o.get("text").or_else(|| o.get("content")) {
                        Some(t) => text_of(t),
                        None => match o.get("type").and_then(Value::as_str) {
                            Some(kind) => format!("[{kind}]"),
                            None => String::new(),
                        },
                    },
                    _ => String::new(),
                };
                if piece.is_empty() {
                    continue;
                }
                if !out.is_empty() {
                    out.push('\n');
                }
                out.push_str(&piece);
            }
            out
        }
        Value::Null => String::new(),
        other => other.to_string(),
    }
}

#[cfg(test)]
pub(crate) mod test_support {
    use super::*;

    pub fn fixture(rel: &str) -> PathBuf {
        crate::agents::fixture_support::fixture(rel)
    }

    /// Every entry of a transcript, read in pages of `limit`, untruncated.
    pub fn read_all(harness: Harness, path: &Path) -> (Vec<TranscriptEntry>, u32) {
        let mut cursor = TranscriptCursor::default();
        let mut entries: Vec<TranscriptEntry> = Vec::new();
        let mut errors = 0;
        for _ in 0..10_000 {
            let page = read_transcript(harness, path, &cursor, 3, usize::MAX).unwrap();
            if page.reset {
                entries.clear();
            }
            entries.retain(|e| e.index < cursor.index);
            entries.extend(page.entries);
            errors += page.parse_errors;
            let done = page.at_end;
            cursor = page.next;
            if done {
                return (entries, errors);
            }
        }
        panic!("pages never ended");
    }

    /// For each line alone in a transcript file: whether the facts parser (the index)
    /// and the transcript reader each count it as a parse error. Both decode the same
    /// wire types, so the two answers agree.
    pub fn rejected_by_both(harness: Harness, lines: &[&str]) -> Vec<(bool, bool)> {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("one-line.jsonl");
        lines
            .iter()
            .map(|line| {
                std::fs::write(&p, format!("{line}\n")).unwrap();
                let mut facts = crate::agents::agent(harness).parser(&p);
                facts.apply_line(line.as_bytes());
                let (_, errors) = read_all(harness, &p);
                (facts.facts().parse_errors > 0, errors > 0)
            })
            .collect()
    }

    /// `(kind, text)` of each entry, for compact expectations.
    pub fn kinds_and_texts(entries: &[TranscriptEntry]) -> Vec<(EntryKind, String)> {
        entries.iter().map(|e| (e.kind, e.text.clone())).collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tail_reads_give_the_last_entries_with_their_true_indexes() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("conversation.jsonl");
        let mut text = String::new();
        for i in 0..300 {
            text.push_str(&format!("{{\"role\":\"user\",\"content\":\"m{i}\"}}\n"));
        }
        std::fs::write(&p, &text).unwrap();
        let tail = read_transcript_tail(Harness::Gptme, &p, 5, 100).unwrap();
        let got: Vec<(u32, String)> = tail
            .entries
            .iter()
            .map(|e| (e.index, e.text.clone()))
            .collect();
        let want: Vec<(u32, String)> = (295..300).map(|i| (i, format!("m{i}"))).collect();
        assert_eq!(got, want);
        assert!(tail.at_end);
        assert_eq!(tail.next.offset, text.len() as u64);
        assert_eq!(tail.next.index, 300);
        // The same entries a forward read gives.
        let all = read_all_entries(Harness::Gptme, &p, 100).unwrap();
        assert_eq!(all.entries[295..], tail.entries[..]);

        let gemini =
            test_support::fixture("gemini/tmp/web/chats/session-2026-11-21T08-30-bbbb2222.jsonl");
        let tail = read_transcript_tail(Harness::Gemini, &gemini, 2, 100).unwrap();
        assert_eq!(
            tail.entries.iter().map(|e| e.index).collect::<Vec<_>>(),
            vec![1, 2]
        );
        assert_eq!(tail.next.index, 2, "the last message is sent again");
    }

    /// Issue 20, item 5: `read_all_entries` (what search indexing uses) parses a
    /// whole-file transcript once however many pages its entries make; paging it with
    /// `read_transcript` used to parse it once per page (quadratic in its length).
    #[test]
    fn a_whole_file_transcript_is_parsed_once_for_all_its_entries() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("session-2026-11-20T10-00-many0000.json");
        let n = DEFAULT_PAGE_ENTRIES * 3 + 7;
        let messages: Vec<String> = (0..n)
            .map(|i| {
                format!(
                    r#"{{"id":"m{i}","timestamp":"2026-11-20T10:00:01.000Z","type":"user","content":"prompt {i}"}}"#
                )
            })
            .collect();
        std::fs::write(
            &path,
            format!(
                r#"{{"sessionId":"s","startTime":"2026-11-20T10:00:00.000Z","messages":[{}]}}"#,
                messages.join(",")
            ),
        )
        .unwrap();
        let parses = || WHOLE_PARSES.with(|c| c.get());
        let before = parses();
        let all = read_all_entries(Harness::Gemini, &path, 100).unwrap();
        assert_eq!(parses() - before, 1, "parsed once, not once per page");
        assert_eq!(all.entries.len(), n);
        assert!(all.at_end);
        assert_eq!(all.entries[n - 1].text, format!("prompt {}", n - 1));
        // The counter counts: reading the same entries page by page parses per page.
        let before = parses();
        let mut cursor = TranscriptCursor::default();
        let mut pages = 0;
        loop {
            let page = read_transcript(Harness::Gemini, &path, &cursor, DEFAULT_PAGE_ENTRIES, 100)
                .unwrap();
            pages += 1;
            if page.at_end {
                break;
            }
            cursor = page.next;
        }
        assert_eq!(pages, 4);
        assert_eq!(parses() - before, pages);
    }

    #[test]
    fn read_all_entries_counts_each_bad_record_once() {
        let gemini =
            test_support::fixture("gemini/tmp/web/chats/session-2026-11-21T08-30-bbbb2222.jsonl");
        let all = read_all_entries(Harness::Gemini, &gemini, 100).unwrap();
        assert_eq!((all.entries.len(), all.parse_errors), (3, 1));
        let gptme = test_support::fixture("gptme/2026-11-21-broken-log/conversation.jsonl");
        let all = read_all_entries(Harness::Gptme, &gptme, 100).unwrap();
        assert_eq!((all.entries.len(), all.parse_errors), (3, 1));
        assert!(all.at_end);
    }

    #[test]
    fn pretty_input_parses_json_strings_and_keeps_plain_ones() {
        let v = serde_json::json!("{\"command\":[\"ls\"]}");
        assert_eq!(pretty_input(&v), "{\n  \"command\": [\n    \"ls\"\n  ]\n}");
        assert_eq!(
            pretty_input(&serde_json::json!("*** Begin Patch")),
            "*** Begin Patch"
        );
        assert_eq!(
            pretty_input(&serde_json::json!({"a": 1})),
            "{\n  \"a\": 1\n}"
        );
    }

    #[test]
    fn text_of_joins_parts_and_names_the_rest() {
        let v = serde_json::json!([{"type":"text","text":"a"},{"type":"image","source":{}},"b"]);
        assert_eq!(text_of(&v), "a\n[image]\nb");
    }

    fn whole(n: usize, starts: &[usize]) -> WholeTranscript {
        WholeTranscript {
            drafts: (0..n)
                .map(|i| Draft::new(EntryKind::User, format!("e{i}")))
                .collect(),
            message_starts: starts.to_vec(),
            parse_errors: 0,
            total_bytes: 10,
            ..Default::default()
        }
    }

    #[test]
    fn whole_pages_resend_the_last_message_and_reset_when_shrunk() {
        let from = TranscriptCursor::default();
        let p = page_of_whole(whole(5, &[0, 2, 4]), &from, 2, 100);
        assert_eq!(p.entries.len(), 2);
        assert!(!p.at_end);
        assert_eq!(p.next.index, 2);
        let p = page_of_whole(whole(5, &[0, 2, 3]), &p.next, 10, 100);
        assert_eq!(
            p.entries.iter().map(|e| e.index).collect::<Vec<_>>(),
            vec![2, 3, 4]
        );
        assert!(p.at_end);
        // The last message (entries 3..) is asked for again.
        assert_eq!(p.next.index, 3);
        // The transcript lost entries (a rewind): start over.
        let p = page_of_whole(
            whole(2, &[0]),
            &TranscriptCursor { index: 4, ..from },
            10,
            100,
        );
        assert!(p.reset);
        assert_eq!(p.entries.len(), 2);
    }
}
