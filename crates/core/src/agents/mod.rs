//! Agent formats: where each agent keeps its transcripts, how to recognise a transcript
//! file, and how to fold its lines into [`TranscriptFacts`].
//!
//! One submodule per agent. Each parser is lenient: a line it cannot read is counted in
//! `parse_errors` and skipped; unknown record types and fields are ignored; nothing
//! panics on input. Parsers see lines as bytes (possibly invalid UTF-8) from `tail`.
//!
//! Each agent implements [`Agent`] once, in its folder, and [`AGENTS`] lists them:
//! everything else asks [`agent`] for the agent of a [`Harness`] instead of matching on
//! it. Agents store sessions in three shapes, and [`Agent::source_kind`] tells `index`
//! which one a root holds:
//! - **append-only lines** (Claude Code, Codex, gptme, Gemini `.jsonl`, Copilot): one
//!   file per session, tailed by byte offset and fed line by line to a
//!   [`TranscriptParser`];
//! - **whole files** (Gemini's older `.json`): one file per session, rewritten on every
//!   change, so the facts are rebuilt from the whole file ([`Agent::parse_whole_file`]);
//! - **stores** (opencode): many sessions behind one database or a tree of small JSON
//!   files; a [`SessionStore`] maps a changed path to the sessions it affects and
//!   rebuilds only those.

pub mod claude;
pub mod codex;
pub(crate) mod condense;
pub mod copilot;
pub mod deliverables;
pub mod drift;
pub mod gemini;
pub mod gptme;
pub mod opencode;
pub mod roots;
pub(crate) mod seen;
pub mod transcript;

use std::borrow::Cow;
use std::path::{Path, PathBuf};

use chrono::{DateTime, Utc};

use crate::model::{Harness, Usage};
pub use roots::AgentPaths;

/// Lines longer than this are skipped (and counted) instead of being held in memory.
/// Agents do write multi-megabyte lines (tool results); 64 MiB leaves room for them.
pub const MAX_LINE_BYTES: usize = 64 * 1024 * 1024;

/// Where the conversation stands after the last record, as a parser sees it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, serde::Serialize, serde::Deserialize)]
pub enum TurnState {
    /// No turn-defining record yet.
    #[default]
    Unknown,
    /// A prompt or tool result was written; the model has not answered yet.
    AwaitingModel,
    /// The model is mid-message (no stop reason yet).
    Streaming,
    /// A tool call was requested and its result is not written yet.
    ToolPending,
    /// The model finished its turn.
    TurnEnded,
    /// The last record was an API or agent error.
    Errored,
}

/// A directory an agent writes transcripts under.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HarnessRoot {
    pub harness: Harness,
    pub path: PathBuf,
}

/// Everything a parser learned from a transcript so far; `index` turns it into a
/// [`crate::model::Session`] by adding status and process information. Serialisable so
/// the cache can keep it for files that have not changed.
#[derive(Debug, Clone, Default, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct TranscriptFacts {
    /// The agent's session id, when the records carry one.
    pub id: Option<String>,
    pub title: Option<String>,
    pub project: Option<String>,
    pub git_branch: Option<String>,
    pub model: Option<String>,
    pub models: Vec<String>,
    pub started_at: Option<DateTime<Utc>>,
    pub last_activity: Option<DateTime<Utc>>,
    pub user_messages: u32,
    pub assistant_messages: u32,
    pub tool_calls: u32,
    pub tool_errors: u32,
    pub usage: Usage,
    pub parse_errors: u32,
    pub turn: TurnState,
    /// The session that spawned this one, when the records say so (Codex sub-agents).
    pub parent_id: Option<String>,
    /// Gemini CLI names a project only by the SHA-256 of its root path; kept so a
    /// process can be matched by hashing its cwd.
    pub project_hash: Option<String>,
    /// Money spent, in US dollars: per message, the cost the agent recorded (gptme,
    /// opencode, old Claude Code `costUSD`) or else its usage priced by
    /// [`crate::pricing`]. `None` until some message could be priced.
    pub cost_usd: Option<f64>,
    /// Commit SHAs and PR URLs the agent produced (see [`deliverables`]).
    pub deliverables: Vec<String>,
    /// Distinct files the agent wrote or edited.
    pub files_written: Vec<String>,
    /// The same usage split by quarter hour and model, for per-day and per-model
    /// reports (`sessionscope usage --by day|model`); quarter hours so any time zone's
    /// day can be cut from them. Filled by the Claude Code and Codex parsers; for the
    /// other agents a report falls back to the session's totals at its last activity.
    #[serde(default)]
    pub usage_slots: Vec<UsageSlot>,
    /// The agent's version, as its records name it (Claude Code's `version`, Codex's
    /// `cli_version`): unknown record types are reported per agent version.
    #[serde(default)]
    pub agent_version: Option<String>,
    /// Drift guard: record types and fields the parser does not know, with how often
    /// each was seen (see [`drift`]).
    #[serde(default)]
    pub unknown: std::collections::BTreeMap<String, u32>,
    /// The cost the agent itself recorded (Claude Code's `cost-state` `totalCostUSD`,
    /// summed over the processes that wrote the session); when present it is the
    /// session's `cost_usd`.
    #[serde(default)]
    pub agent_cost_usd: Option<f64>,
}

/// Usage of one model within one quarter hour (UTC) of one session.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct UsageSlot {
    pub slot: DateTime<Utc>,
    pub model: String,
    pub usage: Usage,
    pub cost_usd: f64,
}

impl TranscriptFacts {
    /// Count one message's usage and cost, in the totals and in its quarter-hour slot.
    pub(crate) fn add_usage(
        &mut self,
        at: Option<DateTime<Utc>>,
        model: &str,
        usage: &Usage,
        cost: Option<f64>,
    ) {
        self.usage.add(usage);
        self.add_cost(cost);
        let at = at.or(self.last_activity).unwrap_or_default();
        let secs = at.timestamp();
        let slot = DateTime::<Utc>::from_timestamp(secs - secs.rem_euclid(900), 0).unwrap_or(at);
        // Messages mostly arrive in time order: look at the newest slots first.
        match self
            .usage_slots
            .iter_mut()
            .rev()
            .take(8)
            .find(|s| s.slot == slot && s.model == model)
        {
            Some(s) => {
                s.usage.add(usage);
                s.cost_usd += cost.unwrap_or(0.0);
            }
            None => self.usage_slots.push(UsageSlot {
                slot,
                model: model.to_string(),
                usage: *usage,
                cost_usd: cost.unwrap_or(0.0),
            }),
        }
    }

    pub(crate) fn note_model(&mut self, model: &str) {
        if model.is_empty() || model == "<synthetic>" {
            return;
        }
        if self.model.as_deref() != Some(model) {
            self.model = Some(model.to_string());
        }
        if !self.models.iter().any(|m| m == model) {
            self.models.push(model.to_string());
        }
    }

    /// Add one message's cost; an unpriceable message (`None`) adds nothing.
    pub(crate) fn add_cost(&mut self, cost: Option<f64>) {
        if let Some(c) = cost {
            *self.cost_usd.get_or_insert(0.0) += c;
        }
    }

    pub(crate) fn note_time(&mut self, ts: DateTime<Utc>) {
        if self.started_at.is_none_or(|s| ts < s) {
            self.started_at = Some(ts);
        }
        if self.last_activity.is_none_or(|l| ts > l) {
            self.last_activity = Some(ts);
        }
    }
}

/// A transcript parser that is fed one line at a time.
pub trait TranscriptParser: Send {
    /// Fold one complete line into the facts. Never panics.
    fn apply_line(&mut self, line: &[u8]);
    /// What has been learned so far.
    fn facts(&self) -> &TranscriptFacts;
}

/// The line parser of an agent whose sessions are never tailed (a store): it learns
/// nothing, and keeps [`Agent::parser`] total.
#[derive(Default)]
pub(crate) struct NoLines(TranscriptFacts);

impl TranscriptParser for NoLines {
    fn apply_line(&mut self, _line: &[u8]) {}
    fn facts(&self) -> &TranscriptFacts {
        &self.0
    }
}

/// How `index` reads the sessions of a root.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SourceKind {
    /// One file per session; see [`FileMode`] for how each file is read.
    Files,
    /// Many sessions behind one store; see [`SessionStore`].
    Store,
}

/// How one session file is read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FileMode {
    /// Append-only JSONL: tail new bytes, feed complete lines to a [`TranscriptParser`].
    Lines,
    /// Rewritten whole on change: re-read it and rebuild the facts with
    /// [`Agent::parse_whole_file`].
    WholeFile,
}

/// One coding agent: everything the rest of Sessionscope needs to know about it.
///
/// Each agent's folder (`agents/<name>/`) implements this once, and [`AGENTS`] lists
/// them; the index, the live loop, the process scan, the transcript view and kill ask
/// [`agent`] instead of matching on [`Harness`]. Adding an agent is a folder, a line in
/// [`AGENTS`] and a [`Harness`] variant (the name the UI and the CLI know it by).
pub trait Agent: Sync {
    /// Which agent this is.
    fn harness(&self) -> Harness;

    /// Where its transcripts live: the variables that move them and the defaults on
    /// each OS (see [`roots`]).
    fn paths(&self) -> &'static AgentPaths;

    /// One file per session, or many sessions behind a store.
    fn source_kind(&self) -> SourceKind {
        SourceKind::Files
    }

    /// Is `path` one of its transcript files under `root`? (A store answers no: its
    /// files are the store's.)
    fn is_transcript(&self, root: &Path, path: &Path) -> bool;

    /// The session id and parent id a transcript file stands for, from its path alone.
    fn ids_from_path(&self, path: &Path) -> (String, Option<String>) {
        (file_stem(path), None)
    }

    /// Whether the session id of its records, when they carry one, names the session
    /// instead of the one from the path (Gemini: the file name holds 8 of its
    /// characters, and sub-agents name their parent by the full id).
    fn id_from_records(&self) -> bool {
        false
    }

    /// How one transcript file is read.
    fn file_mode(&self, _path: &Path) -> FileMode {
        FileMode::Lines
    }

    /// The line parser of a transcript file (line mode), folding it into facts.
    fn parser(&self, path: &Path) -> Box<dyn TranscriptParser>;

    /// Rebuild the facts of a whole-file session from its complete content.
    fn parse_whole_file(&self, path: &Path, content: &[u8]) -> TranscriptFacts {
        let mut parser = self.parser(path);
        for line in content.split(|b| *b == b'\n') {
            parser.apply_line(line);
        }
        parser.facts().clone()
    }

    /// The facts of the whole-file session at `path`: by default its content read
    /// whole (at most `max` bytes, else a "too large to read" error) and given to
    /// [`Agent::parse_whole_file`]; a format that can be decoded as a stream reads a
    /// bigger file that way, bounded by a record instead of the file.
    fn read_whole_file(&self, path: &Path, max: u64) -> std::io::Result<TranscriptFacts> {
        let bytes = crate::agent_file::read_whole(path, max)?;
        Ok(self.parse_whole_file(path, &bytes))
    }

    /// The store of a [`SourceKind::Store`] root.
    fn store(&self, _root: &Path) -> Option<Box<dyn SessionStore>> {
        None
    }

    /// How the detail view reads its transcript into entries.
    fn transcript_reader(&self) -> transcript::Reader;

    /// When the whole-file transcript at `path` is one JSON document of messages:
    /// where they are and how each becomes entries, so its pages are read through an
    /// offset index ([`transcript::Document`]).
    fn document(&self, _path: &Path) -> Option<&'static transcript::Document> {
        None
    }

    /// When the whole-file transcript at `path` is a log of messages that later lines
    /// replace or rewind: how each line reads, so its pages are read through an index
    /// of where each message is ([`transcript::KeyedLog`]).
    fn log(&self, _path: &Path) -> Option<&'static transcript::KeyedLog> {
        None
    }

    /// Is a process whose program is `name` (without `.exe`) this agent?
    fn is_program(&self, name: &str) -> bool;

    /// Is `arg` (lower-cased), an argument of a Node or Python launcher, this agent's
    /// script? `after_dash_m`: it follows `-m` (a Python module).
    fn is_script(&self, arg: &str, after_dash_m: bool) -> bool;

    /// Does holding the file `name` open, in a transcript's folder, mean writing that
    /// transcript? (A lock the agent holds while it runs.)
    fn is_lock_file(&self, _name: &str) -> bool {
        false
    }

    /// Does it treat SIGINT as "stop generating", so that is worth sending first?
    /// Claude Code, Codex, Gemini CLI, gptme, opencode and Copilot CLI all interrupt
    /// the current turn on Ctrl-C and exit on a second one or on SIGTERM.
    fn interrupts_generation(&self) -> bool {
        true
    }

    /// Does it write no record when a model call fails for good (see
    /// [`crate::sessions::status::StatusInputs::errors_unrecorded`])?
    fn errors_unrecorded(&self) -> bool {
        false
    }

    /// The project key it files sessions under for a working directory, when that is
    /// not the directory itself (Gemini CLI: the SHA-256 of the path).
    fn project_hash(&self, _cwd: &Path) -> Option<String> {
        None
    }

    /// Its name in the gptme-sessions record store.
    fn record_name(&self) -> &'static str {
        self.harness().as_str()
    }
}

/// Every agent Sessionscope reads, in the order the process scan tries them.
pub static AGENTS: &[&dyn Agent] = &[
    &claude::Claude,
    &codex::Codex,
    &gptme::Gptme,
    &gemini::Gemini,
    &opencode::Opencode,
    &copilot::Copilot,
];

/// The agent behind `harness`.
pub fn agent(harness: Harness) -> &'static dyn Agent {
    // Every harness has its agent (a test checks it); the fallback keeps this total.
    AGENTS
        .iter()
        .copied()
        .find(|a| a.harness() == harness)
        .unwrap_or(&claude::Claude)
}

/// One session read from a [`SessionStore`].
#[derive(Debug, Clone, PartialEq)]
pub struct StoredSession {
    pub id: String,
    pub parent_id: Option<String>,
    /// Where the session lives, for display (`…/opencode.db#<id>` or its JSON file).
    pub location: PathBuf,
    pub facts: TranscriptFacts,
    /// The session was deleted from the store.
    pub gone: bool,
}

/// A harness whose sessions are not one append-only file each (opencode).
///
/// The index owns one store per root. `scan` reads every session (start-up); `changed`
/// is told which paths under the root changed and answers with the sessions those
/// changes affect, rebuilt from scratch. A store never writes anything and treats a
/// busy or locked database as "nothing new yet".
pub trait SessionStore: Send {
    fn scan(&mut self) -> Vec<StoredSession>;
    fn changed(&mut self, paths: &[PathBuf]) -> Vec<StoredSession>;
    /// Problems worth showing the user (unreadable database, ...), drained on read.
    fn take_errors(&mut self) -> Vec<String> {
        Vec::new()
    }
}

pub(crate) fn file_stem(path: &Path) -> String {
    path.file_stem()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_default()
}

/// Trim a prompt to a one-line title of at most `max` characters.
pub(crate) fn title_from(text: &str, max: usize) -> Option<String> {
    // Words are joined only until the title is known to be cut: a prompt can be
    // megabytes (a pasted log), and only its first `max` characters are shown.
    let mut line = String::new();
    let mut chars = 0;
    for word in text.split_whitespace() {
        if !line.is_empty() {
            line.push(' ');
            chars += 1;
        }
        line.push_str(word);
        chars += word.chars().count();
        if chars > max {
            break;
        }
    }
    if line.is_empty() {
        return None;
    }
    if chars <= max {
        return Some(line);
    }
    let mut cut: String = line.chars().take(max.saturating_sub(1)).collect();
    cut.push('…');
    Some(cut)
}

/// Parse an RFC 3339 timestamp, tolerating its absence or a bad value.
pub(crate) fn parse_ts(s: Option<&str>) -> Option<DateTime<Utc>> {
    s.and_then(|s| DateTime::parse_from_rfc3339(s).ok())
        .map(|t| t.with_timezone(&Utc))
}

/// A millisecond Unix timestamp (opencode, Copilot shutdown records).
pub(crate) fn ts_from_millis(ms: Option<i64>) -> Option<DateTime<Utc>> {
    ms.filter(|m| *m > 0)
        .and_then(DateTime::<Utc>::from_timestamp_millis)
}

/// A block field of an unexpected type reads as absent instead of failing the line
/// (and with it the message's usage).
pub(crate) fn lenient_str<'de, D: serde::Deserializer<'de>>(
    d: D,
) -> Result<Option<Cow<'de, str>>, D::Error> {
    d.deserialize_any(Lenient::<Cow<'de, str>>(std::marker::PhantomData))
}

pub(crate) fn lenient_bool<'de, D: serde::Deserializer<'de>>(
    d: D,
) -> Result<Option<bool>, D::Error> {
    d.deserialize_any(Lenient::<bool>(std::marker::PhantomData))
}

/// Accepts any JSON value; keeps it only when it has the wanted type `T`.
struct Lenient<T>(std::marker::PhantomData<T>);

macro_rules! ignore_other_values {
    ($t:ty) => {
        fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
            f.write_str("any value")
        }
        fn visit_i64<E>(self, _: i64) -> Result<Option<$t>, E> {
            Ok(None)
        }
        fn visit_u64<E>(self, _: u64) -> Result<Option<$t>, E> {
            Ok(None)
        }
        fn visit_f64<E>(self, _: f64) -> Result<Option<$t>, E> {
            Ok(None)
        }
        fn visit_unit<E>(self) -> Result<Option<$t>, E> {
            Ok(None)
        }
        fn visit_seq<A: serde::de::SeqAccess<'de>>(
            self,
            mut seq: A,
        ) -> Result<Option<$t>, A::Error> {
            while seq.next_element::<serde::de::IgnoredAny>()?.is_some() {}
            Ok(None)
        }
        fn visit_map<A: serde::de::MapAccess<'de>>(
            self,
            mut map: A,
        ) -> Result<Option<$t>, A::Error> {
            while map
                .next_entry::<serde::de::IgnoredAny, serde::de::IgnoredAny>()?
                .is_some()
            {}
            Ok(None)
        }
    };
}

impl<'de> serde::de::Visitor<'de> for Lenient<Cow<'de, str>> {
    type Value = Option<Cow<'de, str>>;
    ignore_other_values!(Cow<'de, str>);
    fn visit_bool<E>(self, _: bool) -> Result<Self::Value, E> {
        Ok(None)
    }
    fn visit_borrowed_str<E>(self, v: &'de str) -> Result<Self::Value, E> {
        Ok(Some(Cow::Borrowed(v)))
    }
    fn visit_str<E>(self, v: &str) -> Result<Self::Value, E> {
        Ok(Some(Cow::Owned(v.to_string())))
    }
    fn visit_string<E>(self, v: String) -> Result<Self::Value, E> {
        Ok(Some(Cow::Owned(v)))
    }
}

impl<'de> serde::de::Visitor<'de> for Lenient<bool> {
    type Value = Option<bool>;
    ignore_other_values!(bool);
    fn visit_bool<E>(self, v: bool) -> Result<Self::Value, E> {
        Ok(Some(v))
    }
    fn visit_str<E>(self, _: &str) -> Result<Self::Value, E> {
        Ok(None)
    }
}

/// A part of a record only the transcript reader looks at (tool input and output,
/// thinking text, a notice's content), kept as the JSON text it was written as
/// (`null` included). The facts parser pays for it what `IgnoredAny` costs (serde_json
/// skips the value either way) and never decodes it; the reader decodes it with
/// [`raw_json`]. Any value is accepted, so such a field never fails a line.
pub(crate) fn raw<'de, D: serde::Deserializer<'de>>(
    d: D,
) -> Result<Option<&'de serde_json::value::RawValue>, D::Error> {
    <&serde_json::value::RawValue as serde::Deserialize>::deserialize(d).map(Some)
}

/// A value kept by [`raw`], decoded (`None` when the field was absent).
pub(crate) fn raw_json(raw: Option<&serde_json::value::RawValue>) -> Option<serde_json::Value> {
    // serde_json has checked this text; only a number beyond f64 fails, read as null.
    raw.map(|r| serde_json::from_str(r.get()).unwrap_or(serde_json::Value::Null))
}

/// Decode a JSON line; invalid UTF-8 inside strings is replaced rather than fatal.
///
/// The bytes are parsed as they are, without validating the whole line as UTF-8
/// first: serde_json checks the strings it keeps and skips the ones it ignores
/// (megabytes of tool output) without decoding them. Only a line that fails *and* is
/// not valid UTF-8 is decoded lossily and parsed again.
/// One line of a JSONL transcript as a record: a blank line is no record and no
/// error; a line that does not decode is counted in `parse_errors` and skipped.
pub(crate) fn decode_record<'a, T: serde::Deserialize<'a>>(
    line: &'a [u8],
    lossy: &'a mut Option<String>,
    parse_errors: &mut u32,
) -> Option<T> {
    if line.iter().all(u8::is_ascii_whitespace) {
        return None;
    }
    let record = decode_line(line, lossy);
    if record.is_none() {
        *parse_errors += 1;
    }
    record
}

pub(crate) fn decode_line<'a, T: serde::Deserialize<'a>>(
    line: &'a [u8],
    lossy: &'a mut Option<String>,
) -> Option<T> {
    match serde_json::from_slice(line) {
        Ok(v) => Some(v),
        Err(_) if std::str::from_utf8(line).is_err() => {
            *lossy = Some(String::from_utf8_lossy(line).into_owned());
            serde_json::from_str(lossy.as_deref().unwrap_or_default()).ok()
        }
        Err(_) => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every harness has exactly one agent, and each agent's roots name it.
    #[test]
    fn the_registry_has_one_agent_per_harness() {
        let all = [
            Harness::ClaudeCode,
            Harness::Codex,
            Harness::Gptme,
            Harness::Gemini,
            Harness::Opencode,
            Harness::Copilot,
        ];
        assert_eq!(AGENTS.len(), all.len());
        for h in all {
            assert_eq!(AGENTS.iter().filter(|a| a.harness() == h).count(), 1, "{h}");
            assert_eq!(agent(h).harness(), h);
            assert!(!agent(h).paths().vars.is_empty(), "{h}");
            assert_eq!(agent(h).record_name().parse::<Harness>(), Ok(h));
        }
    }

    #[test]
    fn titles_are_one_line_and_bounded() {
        assert_eq!(
            title_from("  fix\n the   bug ", 80).as_deref(),
            Some("fix the bug")
        );
        assert_eq!(title_from("   ", 80), None);
        assert_eq!(title_from("abcdef", 4).as_deref(), Some("abc…"));
        assert_eq!(title_from("ééééé", 3).as_deref(), Some("éé…"));
    }

    /// The title as it was built before it stopped at `max` characters: every word
    /// of the text joined, then cut.
    fn title_whole(text: &str, max: usize) -> Option<String> {
        let line = text.split_whitespace().collect::<Vec<_>>().join(" ");
        if line.is_empty() {
            return None;
        }
        if line.chars().count() <= max {
            return Some(line);
        }
        let mut cut: String = line.chars().take(max.saturating_sub(1)).collect();
        cut.push('…');
        Some(cut)
    }

    proptest::proptest! {
        #[test]
        fn a_title_cut_early_is_the_title_of_the_whole_text(
            text in "[ a\n\té…]{0,40}",
            max in 0usize..12,
        ) {
            proptest::prop_assert_eq!(title_from(&text, max), title_whole(&text, max));
        }
    }
}

/// Shared by the harness modules' fixture tests: index a root under `tests/fixtures/`.
#[cfg(test)]
pub(crate) mod fixture_support {
    use std::path::PathBuf;

    use crate::agents::HarnessRoot;
    use crate::model::{Harness, Session};
    use crate::sessions::index::SessionIndex;

    pub fn fixture(rel: &str) -> PathBuf {
        PathBuf::from(env!("CARGO_MANIFEST_DIR"))
            .join("../../tests/fixtures")
            .join(rel)
    }

    /// Every session of one fixture root, keyed by session id.
    pub fn sessions(harness: Harness, rel: &str) -> std::collections::BTreeMap<String, Session> {
        let mut idx = SessionIndex::new(vec![HarnessRoot {
            harness,
            path: fixture(rel),
        }]);
        idx.scan_all(chrono::Utc::now());
        assert!(idx.read_errors.is_empty(), "{:?}", idx.read_errors);
        idx.sessions()
            .into_iter()
            .map(|s| (s.id.clone(), s))
            .collect()
    }
}

#[cfg(test)]
mod tests_no_panic {
    use super::fixture_support::fixture;
    use super::*;

    fn files_under(dir: &Path, out: &mut Vec<PathBuf>) {
        for e in std::fs::read_dir(dir).into_iter().flatten().flatten() {
            let p = e.path();
            if p.is_dir() {
                files_under(&p, out);
            } else if p.extension().is_some_and(|x| x == "jsonl" || x == "json") {
                out.push(p);
            }
        }
    }

    /// Every prefix of every fixture line (a line torn anywhere, even inside a UTF-8
    /// sequence), fed to every line parser, and every prefix of the whole-file JSON:
    /// nothing panics, and a torn line is at worst one counted parse error.
    #[test]
    fn torn_lines_never_panic_any_parser() {
        let mut files = Vec::new();
        files_under(&fixture(""), &mut files);
        assert!(files.len() > 10);
        let harnesses = [
            Harness::ClaudeCode,
            Harness::Codex,
            Harness::Gptme,
            Harness::Gemini,
            Harness::Copilot,
        ];
        for file in &files {
            let bytes = std::fs::read(file).unwrap();
            for line in bytes.split(|b| *b == b'\n') {
                for h in harnesses {
                    let mut p = agent(h).parser(Path::new("/nonexistent/x/conversation.jsonl"));
                    for cut in (0..line.len()).step_by(3) {
                        p.apply_line(&line[..cut]);
                    }
                    p.apply_line(&[0xff, 0xfe, b'{']);
                    assert!(p.facts().parse_errors <= line.len() as u32 + 1);
                }
            }
            if file.extension().is_some_and(|x| x == "json") {
                for cut in (0..bytes.len()).step_by(11) {
                    let _ = agent(Harness::Gemini).parse_whole_file(file, &bytes[..cut]);
                }
            }
        }
    }
}
