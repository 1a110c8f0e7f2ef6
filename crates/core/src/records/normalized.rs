//! gptme-sessions' normalized transcript (schema version 1): one agent log, of any
//! harness, as a list of `user` / `assistant` / `system` / `tool_result` messages plus
//! the session's id, name, project, model and first/last message times. `records
//! transcript`, `replay` and `search` read logs through it, so they print what the
//! Python tool prints for the same file.
//!
//! The rules follow `gptme_sessions.transcript.read_transcript`: the format is
//! detected from the records (Codex `session_meta`, Copilot `session.start`, Grok
//! `available_commands` as first line; then any `role` key means gptme, any
//! `type` of user/assistant/result means Claude Code; gptme otherwise); blank and
//! unparseable lines are skipped; timestamps are re-printed in Python's `isoformat`
//! (naive ones read as UTC). Where Python would stop with an exception on odd input
//! (a line that is JSON but not an object, a timestamp that is a number), we skip the
//! line or leave the timestamp out instead.

use std::path::{Path, PathBuf};

use chrono::{DateTime, FixedOffset, NaiveDate, NaiveDateTime, NaiveTime, Offset, TimeZone, Utc};

use super::pyjson::PyValue;

/// `schema_version` of the output.
pub const SCHEMA_VERSION: u32 = 1;

/// One message of a normalized transcript.
#[derive(Debug, Clone, PartialEq)]
pub struct Message {
    /// `user`, `assistant`, `system` or `tool_result`.
    pub role: String,
    pub content: String,
    pub timestamp: Option<String>,
    pub tool_name: Option<String>,
    pub tool_input: Option<PyValue>,
    pub tool_result: Option<String>,
    pub is_error: bool,
}

impl Message {
    fn new(role: &str, content: String, timestamp: Option<String>) -> Message {
        Message {
            role: role.to_string(),
            content,
            timestamp,
            tool_name: None,
            tool_input: None,
            tool_result: None,
            is_error: false,
        }
    }

    fn tool_call(name: String, input: PyValue, timestamp: Option<String>) -> Message {
        Message {
            tool_name: Some(name),
            tool_input: Some(input),
            ..Message::new("assistant", String::new(), timestamp)
        }
    }

    fn tool_output(content: String, is_error: bool, timestamp: Option<String>) -> Message {
        Message {
            tool_result: Some(content.clone()),
            is_error,
            ..Message::new("tool_result", content, timestamp)
        }
    }

    /// The message as Python's `NormalizedMessage.to_dict()` (unset fields and a false
    /// `is_error` left out), keys in its order.
    pub fn to_py(&self) -> PyValue {
        let mut d = vec![
            ("role".to_string(), PyValue::Str(self.role.clone())),
            ("content".to_string(), PyValue::Str(self.content.clone())),
        ];
        if let Some(t) = &self.timestamp {
            d.push(("timestamp".into(), PyValue::Str(t.clone())));
        }
        if let Some(n) = &self.tool_name {
            d.push(("tool_name".into(), PyValue::Str(n.clone())));
        }
        if let Some(i) = &self.tool_input {
            d.push(("tool_input".into(), i.clone()));
        }
        if let Some(r) = &self.tool_result {
            d.push(("tool_result".into(), PyValue::Str(r.clone())));
        }
        if self.is_error {
            d.push(("is_error".into(), PyValue::Bool(true)));
        }
        PyValue::Dict(d)
    }
}

/// A normalized session transcript.
#[derive(Debug, Clone, PartialEq)]
pub struct Transcript {
    pub session_id: String,
    /// `gptme`, `claude-code`, `codex`, `copilot` or `grok`.
    pub harness: String,
    /// The absolute path of the log.
    pub trajectory_path: String,
    /// `["view_transcript"]` when there are messages.
    pub capabilities: Vec<String>,
    pub messages: Vec<Message>,
    pub session_name: Option<String>,
    pub project: Option<String>,
    pub model: Option<String>,
    pub started_at: Option<String>,
    pub last_activity: Option<String>,
    /// The first and last message times as instants (for sorting).
    pub started: Option<DateTime<Utc>>,
}

impl Transcript {
    /// Python's `SessionTranscript.to_dict()`, keys in its order.
    pub fn to_py(&self) -> PyValue {
        let opt = |v: &Option<String>| v.clone().map(PyValue::Str).unwrap_or(PyValue::Null);
        PyValue::Dict(vec![
            ("schema_version".into(), PyValue::Int(SCHEMA_VERSION.into())),
            ("session_id".into(), PyValue::Str(self.session_id.clone())),
            ("harness".into(), PyValue::Str(self.harness.clone())),
            (
                "trajectory_path".into(),
                PyValue::Str(self.trajectory_path.clone()),
            ),
            (
                "capabilities".into(),
                PyValue::List(
                    self.capabilities
                        .iter()
                        .cloned()
                        .map(PyValue::Str)
                        .collect(),
                ),
            ),
            (
                "messages".into(),
                PyValue::List(self.messages.iter().map(Message::to_py).collect()),
            ),
            ("session_name".into(), opt(&self.session_name)),
            ("project".into(), opt(&self.project)),
            ("model".into(), opt(&self.model)),
            ("started_at".into(), opt(&self.started_at)),
            ("last_activity".into(), opt(&self.last_activity)),
        ])
    }
}

/// Why a log could not be read.
#[derive(Debug, thiserror::Error)]
pub enum ReadError {
    #[error("{0} is a directory and does not contain conversation.jsonl")]
    NoConversation(String),
    #[error("cannot read {0}: permission denied")]
    PermissionDenied(String),
    #[error("{0} contains non-UTF-8 content")]
    NotUtf8(String),
    #[error("cannot read {path}: {source}")]
    Io {
        path: String,
        source: std::io::Error,
    },
}

/// Read a whole file, refusing anything that is not a regular file: opening a FIFO
/// or a device would block or never end. The refusal is [`crate::agent_file::open`]'s,
/// which also holds when the file is swapped for a FIFO between the check and the open.
pub fn read_regular_file(path: &Path) -> std::io::Result<Vec<u8>> {
    use std::io::Read;
    let mut bytes = Vec::new();
    crate::agent_file::open(path)?.read_to_end(&mut bytes)?;
    Ok(bytes)
}

/// [`read_regular_file`] as UTF-8 text; `None` when unreadable or not UTF-8.
pub fn read_regular_text(path: &Path) -> Option<String> {
    String::from_utf8(read_regular_file(path).ok()?).ok()
}

/// The log's records: every line that is a JSON object, in order.
pub fn parse_lines(path: &Path) -> Result<Vec<PyValue>, ReadError> {
    let shown = path.display().to_string();
    let bytes = read_regular_file(path).map_err(|e| match e.kind() {
        std::io::ErrorKind::PermissionDenied => ReadError::PermissionDenied(shown.clone()),
        _ => ReadError::Io {
            path: shown.clone(),
            source: e,
        },
    })?;
    let text = String::from_utf8(bytes).map_err(|_| ReadError::NotUtf8(shown))?;
    Ok(text
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .filter_map(PyValue::parse)
        .filter(PyValue::is_dict)
        .collect())
}

/// gptme-sessions' format names.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    Gptme,
    ClaudeCode,
    Codex,
    Copilot,
    Grok,
}

impl Format {
    /// The harness name the transcript reports.
    pub fn harness(self) -> &'static str {
        match self {
            Format::Gptme => "gptme",
            Format::ClaudeCode => "claude-code",
            Format::Codex => "codex",
            Format::Copilot => "copilot",
            Format::Grok => "grok",
        }
    }

    /// The format of a harness Sessionscope reads, when gptme-sessions reads it too
    /// (it has no reader for Gemini CLI chats or opencode's store): the one list of
    /// which harnesses `records` can normalize, search and take signals from.
    pub fn of_harness(h: crate::model::Harness) -> Option<Format> {
        use crate::model::Harness;
        match h {
            Harness::Gptme => Some(Format::Gptme),
            Harness::ClaudeCode => Some(Format::ClaudeCode),
            Harness::Codex => Some(Format::Codex),
            Harness::Copilot => Some(Format::Copilot),
            Harness::Gemini | Harness::Opencode => None,
        }
    }
}

fn s<'a>(v: &'a PyValue, key: &str) -> Option<&'a str> {
    v.get(key).and_then(PyValue::as_str)
}

/// `x.get(key) or {}` / `x.get(key, {})` on a dict.
fn sub<'a>(v: &'a PyValue, key: &str) -> Option<&'a PyValue> {
    v.get(key).filter(|v| v.is_dict())
}

/// Which harness wrote these records.
pub fn detect_format(msgs: &[PyValue]) -> Format {
    if let Some(first) = msgs.first() {
        let ty = s(first, "type");
        if ty == Some("session_meta")
            && matches!(
                sub(first, "payload").and_then(|p| s(p, "originator")),
                Some("codex_exec" | "codex_interactive")
            )
        {
            return Format::Codex;
        }
        if ty == Some("session.start")
            && sub(first, "data").and_then(|d| s(d, "producer")) == Some("copilot-agent")
        {
            return Format::Copilot;
        }
        if ty == Some("available_commands") {
            return Format::Grok;
        }
    }
    for m in msgs {
        if m.get("role").is_some() {
            return Format::Gptme;
        }
        if matches!(s(m, "type"), Some("user" | "assistant" | "result")) {
            return Format::ClaudeCode;
        }
    }
    Format::Gptme
}

/// Python's `datetime.fromisoformat(ts.replace("Z", "+00:00"))`, naive read as UTC.
pub fn parse_iso(ts: &str) -> Option<DateTime<FixedOffset>> {
    let (naive, offset) = parse_iso_parts(ts)?;
    offset
        .unwrap_or_else(|| Utc.fix())
        .from_local_datetime(&naive)
        .single()
}

/// The same, keeping a naive time naive: (local time, offset if written).
pub fn parse_iso_parts(ts: &str) -> Option<(NaiveDateTime, Option<FixedOffset>)> {
    let ts = ts.replace('Z', "+00:00");
    let ts = ts.trim_end();
    let (date_part, rest) = if ts.len() > 10 && ts.is_char_boundary(10) {
        ts.split_at(10)
    } else {
        (ts, "")
    };
    let date = NaiveDate::parse_from_str(date_part, "%Y-%m-%d").ok()?;
    if rest.is_empty() {
        return Some((date.and_hms_opt(0, 0, 0)?, None));
    }
    let rest = &rest[rest.chars().next()?.len_utf8()..]; // any one separator
    let (time_str, offset) = match rest.find(['+', '-']) {
        Some(i) => (&rest[..i], Some(&rest[i..])),
        None => (rest, None),
    };
    let (hms, frac) = match time_str.split_once(['.', ',']) {
        Some((a, b)) => (a, Some(b)),
        None => (time_str, None),
    };
    let parts: Vec<&str> = hms.split(':').collect();
    let num = |p: &str| -> Option<u32> {
        (p.len() == 2 && p.bytes().all(|b| b.is_ascii_digit())).then(|| p.parse().ok())?
    };
    let (h, m, sec) = match parts.as_slice() {
        [h] => (num(h)?, 0, 0),
        [h, m] => (num(h)?, num(m)?, 0),
        [h, m, s] => (num(h)?, num(m)?, num(s)?),
        _ => return None,
    };
    let micros = match frac {
        None => 0,
        Some(f) if !f.is_empty() && f.bytes().all(|b| b.is_ascii_digit()) => {
            let six: String = f.chars().chain(std::iter::repeat('0')).take(6).collect();
            six.parse().ok()?
        }
        Some(_) => return None,
    };
    let time = NaiveTime::from_hms_micro_opt(h, m, sec, micros)?;
    let naive = NaiveDateTime::new(date, time);
    let offset = match offset {
        None => None,
        Some(o) => {
            let sign = if o.starts_with('-') { -1 } else { 1 };
            let digits: String = o[1..].chars().filter(|c| *c != ':').collect();
            if !(digits.len() == 4 || digits.len() == 6)
                || !digits.bytes().all(|b| b.is_ascii_digit())
            {
                return None;
            }
            let hh: i32 = digits[0..2].parse().ok()?;
            let mm: i32 = digits[2..4].parse().ok()?;
            let ss: i32 = if digits.len() == 6 {
                digits[4..6].parse().ok()?
            } else {
                0
            };
            Some(FixedOffset::east_opt(sign * (hh * 3600 + mm * 60 + ss))?)
        }
    };
    Some((naive, offset))
}

/// Python's `isoformat()` of a naive datetime (no offset).
pub fn isoformat_naive(t: &NaiveDateTime) -> String {
    let mut out = t.format("%Y-%m-%dT%H:%M:%S").to_string();
    let micros = t.and_utc().timestamp_subsec_micros();
    if micros != 0 {
        out.push_str(&format!(".{micros:06}"));
    }
    out
}

/// Python's `isoformat()` of an aware datetime.
pub fn isoformat(t: &DateTime<FixedOffset>) -> String {
    let mut out = t.format("%Y-%m-%dT%H:%M:%S").to_string();
    let micros = t.timestamp_subsec_micros();
    if micros != 0 {
        out.push_str(&format!(".{micros:06}"));
    }
    let off = t.offset().local_minus_utc();
    let sign = if off < 0 { '-' } else { '+' };
    let off = off.abs();
    out.push_str(&format!("{sign}{:02}:{:02}", off / 3600, (off % 3600) / 60));
    if off % 60 != 0 {
        out.push_str(&format!(":{:02}", off % 60));
    }
    out
}

/// A record's `timestamp`, re-printed (None when absent or unreadable).
fn ts_of(record: &PyValue) -> Option<String> {
    let raw = record.get("timestamp")?.as_str()?;
    if raw.is_empty() {
        return None;
    }
    parse_iso(raw).map(|t| isoformat(&t))
}

/// A structured tool input: a dict as is; a string parsed as JSON when it is a dict
/// (`{"raw": s}` when it is not JSON); anything else `{}`.
fn tool_input(args: Option<&PyValue>, parse_strings: bool) -> PyValue {
    match args {
        Some(d @ PyValue::Dict(_)) => d.clone(),
        Some(PyValue::Str(text)) if parse_strings => match PyValue::parse(text) {
            Some(v) => v,
            None => PyValue::Dict(vec![("raw".into(), PyValue::Str(text.clone()))]),
        },
        _ => PyValue::Dict(Vec::new()),
    }
}

fn normalize_gptme(msgs: &[PyValue]) -> Vec<Message> {
    msgs.iter()
        .filter_map(|m| {
            let role = s(m, "role")?;
            if !matches!(role, "user" | "assistant" | "system") {
                return None;
            }
            let content = match m.get("content") {
                Some(PyValue::Str(c)) => c.clone(),
                Some(v) if v.truthy() => v.dumps(),
                _ => String::new(),
            };
            Some(Message::new(role, content, ts_of(m)))
        })
        .collect()
}

fn normalize_claude(msgs: &[PyValue]) -> Vec<Message> {
    let mut out = Vec::new();
    for record in msgs {
        let ts = ts_of(record);
        let content = sub(record, "message").and_then(|m| m.get("content"));
        match s(record, "type") {
            Some("assistant") => {
                let Some(items) = content.and_then(PyValue::as_list) else {
                    continue;
                };
                let mut texts: Vec<String> = Vec::new();
                let mut calls = Vec::new();
                for item in items.iter().filter(|i| i.is_dict()) {
                    match s(item, "type") {
                        Some("text") => {
                            texts.push(item.get("text").map(PyValue::py_str).unwrap_or_default())
                        }
                        Some("tool_use") => {
                            let name = item.get("name").map(PyValue::py_str).unwrap_or_default();
                            let input = match item.get("input") {
                                Some(d @ PyValue::Dict(_)) => d.clone(),
                                _ => PyValue::Dict(Vec::new()),
                            };
                            calls.push(Message::tool_call(name, input, ts.clone()));
                        }
                        _ => {}
                    }
                }
                let text = texts
                    .into_iter()
                    .filter(|t| !t.is_empty())
                    .collect::<Vec<_>>()
                    .join("\n");
                let text = py_strip(&text);
                if !text.is_empty() {
                    out.push(Message::new("assistant", text.to_string(), ts.clone()));
                }
                out.extend(calls);
            }
            Some("user") => {
                let Some(items) = content.and_then(PyValue::as_list) else {
                    continue;
                };
                for item in items.iter().filter(|i| i.is_dict()) {
                    match s(item, "type") {
                        Some("tool_result") => {
                            let text = match item.get("content") {
                                Some(PyValue::List(parts)) => parts
                                    .iter()
                                    .map(|c| match c {
                                        PyValue::Dict(_) => c
                                            .get("text")
                                            .map(PyValue::py_str)
                                            .unwrap_or_else(|| c.py_str()),
                                        other => other.py_str(),
                                    })
                                    .collect::<Vec<_>>()
                                    .join(" "),
                                Some(v) if v.truthy() => v.py_str(),
                                _ => String::new(),
                            };
                            let err = item.get("is_error").is_some_and(PyValue::truthy);
                            out.push(Message::tool_output(text, err, ts.clone()));
                        }
                        Some("text") => {
                            if let Some(t) = item.get("text").filter(|t| t.truthy()) {
                                out.push(Message::new("user", t.py_str(), ts.clone()));
                            }
                        }
                        _ => {}
                    }
                }
            }
            Some("result") => {
                if let Some(PyValue::Str(r)) = record.get("result") {
                    if !r.is_empty() {
                        out.push(Message::new("system", r.clone(), ts));
                    }
                }
            }
            _ => {}
        }
    }
    out
}

fn normalize_codex(msgs: &[PyValue]) -> Vec<Message> {
    let mut out = Vec::new();
    for record in msgs {
        if s(record, "type") != Some("response_item") {
            continue;
        }
        let ts = ts_of(record);
        let Some(payload) = record.get("payload").filter(|p| p.truthy() && p.is_dict()) else {
            continue;
        };
        match s(payload, "type") {
            Some("message") => {
                let role = s(payload, "role").unwrap_or("assistant");
                let content = match payload.get("content") {
                    Some(PyValue::List(parts)) => {
                        let texts: Vec<String> = parts
                            .iter()
                            .map(|c| match c {
                                PyValue::Dict(_) => {
                                    c.get("text").map(PyValue::py_str).unwrap_or_default()
                                }
                                other => other.py_str(),
                            })
                            .filter(|t| !t.is_empty())
                            .collect();
                        py_strip(&texts.join("\n")).to_string()
                    }
                    Some(v) if v.truthy() => v.py_str(),
                    _ => String::new(),
                };
                let role = if matches!(role, "user" | "assistant" | "system") {
                    role
                } else {
                    "assistant"
                };
                out.push(Message::new(role, content, ts));
            }
            Some("function_call") => {
                let name = payload.get("name").map(PyValue::py_str).unwrap_or_default();
                let input = tool_input(
                    payload
                        .get("arguments")
                        .or(Some(&PyValue::Str(String::new()))),
                    true,
                );
                out.push(Message::tool_call(name, input, ts));
            }
            Some("function_call_output") => {
                let output = payload
                    .get("output")
                    .filter(|o| o.truthy())
                    .map(PyValue::py_str)
                    .unwrap_or_default();
                out.push(Message::tool_output(output, false, ts));
            }
            _ => {}
        }
    }
    out
}

fn normalize_copilot(msgs: &[PyValue]) -> Vec<Message> {
    let mut out = Vec::new();
    let empty = PyValue::Dict(Vec::new());
    for record in msgs {
        let ts = ts_of(record);
        let data = record.get("data").filter(|d| d.truthy()).unwrap_or(&empty);
        match s(record, "type") {
            Some("assistant.message") => {
                let text = data
                    .get("text")
                    .filter(|t| t.truthy())
                    .map(PyValue::py_str)
                    .unwrap_or_default();
                if !text.is_empty() {
                    out.push(Message::new("assistant", text, ts.clone()));
                }
                for req in data
                    .get("toolRequests")
                    .and_then(PyValue::as_list)
                    .unwrap_or(&[])
                {
                    let name = req.get("name").map(PyValue::py_str).unwrap_or_default();
                    let args = req.get("arguments").filter(|a| a.truthy());
                    out.push(Message::tool_call(name, tool_input(args, true), ts.clone()));
                }
            }
            Some("tool.execution_complete") => {
                let success = data.get("success").map(PyValue::truthy).unwrap_or(true);
                let result = data.get("result").filter(|r| r.truthy()).unwrap_or(&empty);
                let content = [result.get("detailedContent"), result.get("content")]
                    .into_iter()
                    .flatten()
                    .find(|v| v.truthy());
                let text = match content {
                    Some(PyValue::List(parts)) => parts
                        .iter()
                        .map(PyValue::py_str)
                        .collect::<Vec<_>>()
                        .join(" "),
                    Some(v) => v.py_str(),
                    None => String::new(),
                };
                out.push(Message::tool_output(text, !success, ts));
            }
            Some("user.message") => {
                if let Some(t) = data.get("text").filter(|t| t.truthy()) {
                    out.push(Message::new("user", t.py_str(), ts));
                }
            }
            _ => {}
        }
    }
    out
}

fn normalize_grok(msgs: &[PyValue]) -> Vec<Message> {
    let mut out = Vec::new();
    for record in msgs {
        let ts = ts_of(record);
        match s(record, "type") {
            Some("thought" | "text") => {
                if let Some(c) = record.get("content").filter(|c| c.truthy()) {
                    out.push(Message::new("assistant", c.py_str(), ts));
                }
            }
            Some("tool_call") => {
                let name = record
                    .get("toolName")
                    .map(PyValue::py_str)
                    .unwrap_or_default();
                if !name.is_empty() {
                    let input = match record.get("rawInput") {
                        Some(d @ PyValue::Dict(_)) => d.clone(),
                        _ => PyValue::Dict(Vec::new()),
                    };
                    out.push(Message::tool_call(name, input, ts));
                }
            }
            Some("tool_call_update") => {
                if s(record, "status") != Some("completed") {
                    continue;
                }
                let Some(raw) = record.get("rawOutput").filter(|r| r.is_dict()) else {
                    continue;
                };
                let is_error = matches!(raw.get("exit_code"), Some(PyValue::Int(c)) if *c != 0);
                let text = [raw.get("output_for_prompt"), raw.get("output")]
                    .into_iter()
                    .flatten()
                    .find(|v| v.truthy())
                    .map(PyValue::py_str)
                    .unwrap_or_default();
                out.push(Message::tool_output(text, is_error, ts));
            }
            _ => {}
        }
    }
    out
}

/// Python's `str.strip()` (whitespace by Unicode's rules).
fn py_strip(s: &str) -> &str {
    s.trim_matches(|c: char| c.is_whitespace())
}

/// `session_name` from the path, by harness (gptme: the log folder without its date;
/// Claude Code and Codex: the first 8 characters of the file name; Copilot: of its
/// folder).
pub fn session_name(harness: &str, path: &Path) -> Option<String> {
    let stem = path
        .file_stem()
        .map(|s| s.to_string_lossy().to_string())
        .unwrap_or_default();
    let parent = path
        .parent()
        .and_then(Path::file_name)
        .map(|s| s.to_string_lossy().to_string())
        .unwrap_or_default();
    let first8 = |s: &str| s.chars().take(8).collect::<String>();
    match harness {
        "gptme" => {
            let dir = if is_jsonl(path) {
                parent
            } else {
                path.file_name()
                    .map(|s| s.to_string_lossy().to_string())
                    .unwrap_or_default()
            };
            // `dir[10]` is an ASCII '-', so 10 and 11 are character boundaries.
            if dir.chars().count() > 11
                && dir.as_bytes().get(10) == Some(&b'-')
                && NaiveDate::parse_from_str(&dir[..10], "%Y-%m-%d").is_ok()
            {
                return Some(dir[11..].to_string());
            }
            Some(dir)
        }
        "claude-code" => Some(first8(&stem)),
        "codex" => (!stem.is_empty()).then(|| first8(&stem)),
        "copilot" => Some(first8(&parent)),
        _ => None,
    }
}

fn is_jsonl(path: &Path) -> bool {
    path.extension().is_some_and(|e| e == "jsonl")
}

/// gptme's per-log `config.toml`: (model, workspace).
fn gptme_config(session_dir: &Path) -> (String, String) {
    let Some(text) = read_regular_text(&session_dir.join("config.toml")) else {
        return Default::default();
    };
    let Ok(t) = text.parse::<toml::Table>() else {
        return Default::default();
    };
    let get = |key: &str| -> String {
        let chat = t.get("chat").and_then(|c| c.as_table());
        let from_chat = chat
            .and_then(|c| c.get(key))
            .and_then(|v| v.as_str())
            .unwrap_or("");
        if !from_chat.is_empty() {
            return from_chat.to_string();
        }
        t.get(key)
            .and_then(|v| v.as_str())
            .unwrap_or("")
            .to_string()
    };
    (get("model"), get("workspace"))
}

/// The project (workspace) of a log, by harness.
pub fn project(harness: &str, path: &Path) -> Option<String> {
    match harness {
        "claude-code" => {
            let enc = path.parent()?.file_name()?.to_string_lossy().to_string();
            Some(if enc.starts_with('-') {
                enc.replace('-', "/")
            } else {
                enc
            })
        }
        "gptme" => {
            let dir = if is_jsonl(path) { path.parent()? } else { path };
            Some(gptme_config(dir).1).filter(|w| !w.is_empty())
        }
        "codex" => {
            if !path.is_file() {
                return None;
            }
            let mut f = std::fs::File::open(path).ok()?;
            let mut buf = vec![0u8; 8192];
            let n = std::io::Read::read(&mut f, &mut buf).ok()?;
            let chunk = String::from_utf8_lossy(&buf[..n]);
            let first = chunk.split('\n').next()?.trim();
            let event = PyValue::parse(first)?;
            sub(&event, "payload")?
                .get("cwd")?
                .as_str()
                .map(str::to_string)
        }
        _ => None,
    }
}

/// The model of a log, by format.
fn model(format: Format, msgs: &[PyValue], path: &Path) -> Option<String> {
    match format {
        Format::ClaudeCode => claude_model(path),
        Format::Gptme => {
            let dir = if is_jsonl(path) { path.parent()? } else { path };
            Some(gptme_config(dir).0).filter(|m| !m.is_empty())
        }
        Format::Codex => msgs
            .iter()
            .filter(|r| s(r, "type") == Some("session_meta"))
            .find_map(|r| {
                sub(r, "payload")?
                    .get("model")
                    .filter(|m| m.truthy())
                    .map(PyValue::py_str)
            }),
        Format::Copilot => msgs
            .iter()
            .filter(|r| s(r, "type") == Some("session.start"))
            .find_map(|r| {
                sub(r, "data")?
                    .get("selectedModel")
                    .filter(|m| m.truthy())
                    .map(PyValue::py_str)
            }),
        Format::Grok => msgs
            .iter()
            .rev()
            .filter(|r| s(r, "type") == Some("end"))
            .find_map(|r| match r.get("modelUsage") {
                Some(PyValue::Dict(d)) => d.first().map(|(k, _)| k.clone()),
                _ => None,
            }),
    }
}

/// The model of the first assistant message among the first 50 lines (512 KiB) of a
/// Claude Code log, skipping `<synthetic>` and `unknown`.
fn claude_model(path: &Path) -> Option<String> {
    if !path.is_file() {
        return None;
    }
    let mut f = std::fs::File::open(path).ok()?;
    let mut buf = Vec::with_capacity(512 * 1024);
    std::io::Read::read_to_end(&mut std::io::Read::take(&mut f, 512 * 1024), &mut buf).ok()?;
    let chunk = String::from_utf8_lossy(&buf);
    for line in chunk.split('\n').take(50) {
        let Some(entry) = PyValue::parse(line.trim()) else {
            continue;
        };
        let Some(msg) = sub(&entry, "message") else {
            continue;
        };
        if s(msg, "role") != Some("assistant") {
            continue;
        }
        if let Some(m) = msg.get("model").filter(|m| m.truthy()) {
            let m = m.py_str();
            if m != "<synthetic>" && m != "unknown" {
                return Some(m);
            }
        }
    }
    None
}

/// Read one log (a `.jsonl` file, or a gptme log folder holding `conversation.jsonl`).
pub fn read_transcript(path: &Path) -> Result<Transcript, ReadError> {
    let mut path: PathBuf = path.to_path_buf();
    if path.is_dir() {
        let conv = path.join("conversation.jsonl");
        if !conv.exists() {
            return Err(ReadError::NoConversation(path.display().to_string()));
        }
        path = conv;
    }
    let msgs = parse_lines(&path)?;
    let format = detect_format(&msgs);
    let harness = format.harness();
    let messages = match format {
        Format::ClaudeCode => normalize_claude(&msgs),
        Format::Codex => normalize_codex(&msgs),
        Format::Copilot => normalize_copilot(&msgs),
        Format::Grok => normalize_grok(&msgs),
        Format::Gptme => normalize_gptme(&msgs),
    };
    let times: Vec<DateTime<FixedOffset>> = messages
        .iter()
        .filter_map(|m| m.timestamp.as_deref().and_then(parse_iso))
        .collect();
    // min()/max() keep the first of equal instants, like Python's.
    let first = times
        .iter()
        .fold(None::<&DateTime<FixedOffset>>, |a, t| match a {
            Some(a) if a <= t => Some(a),
            _ => Some(t),
        });
    let last = times
        .iter()
        .fold(None::<&DateTime<FixedOffset>>, |a, t| match a {
            Some(a) if a >= t => Some(a),
            _ => Some(t),
        });
    let session_id = if is_jsonl(&path) && format == Format::Gptme {
        path.parent()
            .and_then(Path::file_name)
            .map(|n| n.to_string_lossy().to_string())
            .unwrap_or_default()
    } else if is_jsonl(&path) {
        path.file_stem()
            .map(|n| n.to_string_lossy().to_string())
            .unwrap_or_default()
    } else {
        path.file_name()
            .map(|n| n.to_string_lossy().to_string())
            .unwrap_or_default()
    };
    let resolved = std::fs::canonicalize(&path).unwrap_or_else(|_| path.clone());
    Ok(Transcript {
        session_id,
        harness: harness.to_string(),
        trajectory_path: resolved.display().to_string(),
        capabilities: if messages.is_empty() {
            Vec::new()
        } else {
            vec!["view_transcript".to_string()]
        },
        session_name: session_name(harness, &path),
        project: project(harness, &path),
        model: model(format, &msgs, &path),
        started_at: first.map(isoformat),
        last_activity: last.map(isoformat),
        started: first.map(|t| t.with_timezone(&Utc)),
        messages,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A harness with a gptme-sessions format reports itself under its own name;
    /// Gemini CLI and opencode have none.
    #[test]
    fn formats_of_harnesses_name_the_harness() {
        use crate::agents::AGENTS;
        use crate::model::Harness;
        for a in AGENTS {
            let h = a.harness();
            match Format::of_harness(h) {
                Some(f) => assert_eq!(f.harness(), h.as_str()),
                None => assert!(matches!(h, Harness::Gemini | Harness::Opencode), "{h}"),
            }
        }
    }

    #[test]
    fn timestamps_are_reprinted_like_python_isoformat() {
        for (raw, want) in [
            ("2026-07-01T10:00:00Z", "2026-07-01T10:00:00+00:00"),
            (
                "2026-07-01T10:00:00.123Z",
                "2026-07-01T10:00:00.123000+00:00",
            ),
            (
                "2026-07-01T10:00:00.123456789+02:00",
                "2026-07-01T10:00:00.123456+02:00",
            ),
            ("2026-07-01 10:00", "2026-07-01T10:00:00+00:00"),
            ("2026-07-01", "2026-07-01T00:00:00+00:00"),
            ("2026-07-01T10:00:00-0530", "2026-07-01T10:00:00-05:30"),
        ] {
            assert_eq!(
                parse_iso(raw).map(|t| isoformat(&t)).as_deref(),
                Some(want),
                "{raw}"
            );
        }
        assert!(parse_iso("yesterday").is_none());
        assert!(
            parse_iso("2026-07-0é10:00:00").is_none(),
            "no panic on a multi-byte 10th byte"
        );
        assert!(parse_iso("2026-07-01T25:00:00").is_none());
    }
}
