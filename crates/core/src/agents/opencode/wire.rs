//! opencode's wire types: one message with its parts as both the store
//! ([`super::OpencodeStore`], which folds sessions for the table) and the transcript
//! reader ([`super::transcript`]) read it, and the one place that queries a
//! database's messages and parts ([`db_messages`]) for both, as [`tree_messages`]
//! reads one session's messages and parts from the older JSON tree for both.
//!
//! A message's `data` and its parts are small JSON objects whose fields both readers
//! look at, so they are kept as values; the accessors here name their fields and
//! types. A message's tokens are read two ways, both here: by ccusage's rules for the
//! table (see `agents::opencode`) and as written for the transcript's per-message
//! usage.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use rusqlite::Connection;
use serde_json::Value;

use crate::model::Usage;

/// One message with the parts that belong to it (in part-id order).
#[derive(Clone, Debug)]
pub(super) struct Message {
    pub id: String,
    /// The message's `data`: {`role`, `time`, `modelID`, `providerID`, `path`,
    /// `cost`, `tokens`, `error`, `finish`}; `Null` when the row's JSON is unreadable.
    pub data: Value,
    pub parts: Vec<Value>,
}

impl Message {
    fn str(&self, key: &str) -> Option<&str> {
        self.data.get(key).and_then(Value::as_str)
    }

    /// `time.created` (ms), which orders a session's messages.
    pub fn created(&self) -> Option<i64> {
        self.data.pointer("/time/created").and_then(Value::as_i64)
    }

    /// `time.completed` (ms): the model finished this message.
    pub fn completed(&self) -> Option<i64> {
        self.data.pointer("/time/completed").and_then(Value::as_i64)
    }

    /// `user` or `assistant`.
    pub fn role(&self) -> Option<&str> {
        self.str("role")
    }

    /// The assistant message's `modelID` (not blank): what the table counts under.
    pub fn model_id(&self) -> Option<&str> {
        self.str("modelID").filter(|s| !s.trim().is_empty())
    }

    /// The model shown in the transcript: `modelID`, else a user message's
    /// `model.modelID`.
    pub fn shown_model(&self) -> Option<&str> {
        self.data
            .get("modelID")
            .or_else(|| self.data.pointer("/model/modelID"))
            .and_then(Value::as_str)
    }

    /// `providerID` (not blank); ccusage counts a message's tokens only with one.
    pub fn provider_id(&self) -> Option<&str> {
        self.str("providerID").filter(|s| !s.trim().is_empty())
    }

    /// `finish`: why the model stopped (`stop`, `tool-calls`, ...).
    pub fn finish(&self) -> Option<&str> {
        self.str("finish").filter(|s| !s.trim().is_empty())
    }

    /// `path.cwd`: where the agent ran.
    pub fn cwd(&self) -> Option<&str> {
        self.data.pointer("/path/cwd").and_then(Value::as_str)
    }

    /// `cost` (USD) when opencode recorded a positive one.
    pub fn recorded_cost(&self) -> Option<f64> {
        self.data
            .get("cost")
            .and_then(Value::as_f64)
            .filter(|c| *c > 0.0)
    }

    /// `error` ({`name`, `data.message`}) when not null.
    pub fn error(&self) -> Option<&Value> {
        self.data.get("error").filter(|e| !e.is_null())
    }

    /// `tokens` by ccusage's rules (the table's): the usage and the tokens of
    /// `total` not accounted for by its parts.
    pub fn usage(&self) -> Option<(Usage, u64)> {
        usage_of(self.data.get("tokens")?)
    }

    /// `tokens` as written (`None` when all are 0): what the transcript shows.
    pub fn tokens_as_written(&self) -> Option<Usage> {
        let t = self.data.get("tokens")?;
        let n = |p: &str| t.pointer(p).and_then(Value::as_u64).unwrap_or(0);
        let u = Usage {
            input_tokens: n("/input"),
            output_tokens: n("/output"),
            cache_creation_tokens: n("/cache/write"),
            cache_read_tokens: n("/cache/read"),
        };
        (u.total() > 0).then_some(u)
    }
}

/// A part's `type` (`text`, `reasoning`, `tool`, `file`, `step-start`, ...).
pub(super) fn part_kind(p: &Value) -> Option<&str> {
    p.get("type").and_then(Value::as_str)
}

/// A `text` part opencode added itself (not typed by the user).
pub(super) fn part_is_synthetic(p: &Value) -> bool {
    p.get("synthetic").and_then(Value::as_bool) == Some(true)
}

/// A `tool` part's `state.status`: `pending`, `running`, `completed` or `error`.
pub(super) fn tool_status(p: &Value) -> Option<&str> {
    p.pointer("/state/status").and_then(Value::as_str)
}

/// Order a session's messages as both readers show them: by `time.created` (a message
/// without one first), then id.
pub(super) fn sort_messages(messages: &mut [Message]) {
    messages.sort_by(|a, b| (a.created(), &a.id).cmp(&(b.created(), &b.id)));
}

/// Messages read from the database, by session id, each with its parts.
#[derive(Default)]
pub(super) struct DbMessages {
    pub by_session: HashMap<String, Vec<Message>>,
    /// Parts whose JSON could not be read (skipped).
    pub bad_parts: u32,
}

/// The messages (with their parts) of one session, or of all sessions, from an open
/// `opencode.db`. A message whose `data` is not JSON keeps `Null` (folding it counts a
/// parse error); rows of another shape are skipped. A database without a `part`
/// table gives messages without parts.
pub(super) fn db_messages(
    conn: &Connection,
    session: Option<&str>,
) -> rusqlite::Result<DbMessages> {
    let (msg_sql, part_sql) = match session {
        Some(_) => (
            "SELECT id, session_id, data FROM message WHERE session_id = ?1",
            "SELECT message_id, data FROM part WHERE session_id = ?1 ORDER BY id",
        ),
        None => (
            "SELECT id, session_id, data FROM message",
            "SELECT message_id, data FROM part ORDER BY id",
        ),
    };
    let params: Vec<&dyn rusqlite::ToSql> = match &session {
        Some(sid) => vec![sid],
        None => vec![],
    };
    let mut out = DbMessages::default();
    let mut by_id: HashMap<String, (String, usize)> = HashMap::new();
    let mut st = conn.prepare(msg_sql)?;
    let rows = st.query_map(params.as_slice(), |r| {
        Ok((
            r.get::<_, String>(0)?,
            r.get::<_, String>(1)?,
            r.get::<_, String>(2)?,
        ))
    })?;
    for (id, sid, data) in rows.flatten() {
        let data = serde_json::from_str(&data).unwrap_or(Value::Null);
        let list = out.by_session.entry(sid.clone()).or_default();
        by_id.insert(id.clone(), (sid, list.len()));
        list.push(Message {
            id,
            data,
            parts: Vec::new(),
        });
    }
    if let Ok(mut st) = conn.prepare(part_sql) {
        let rows = st.query_map(params.as_slice(), |r| {
            Ok((r.get::<_, String>(0)?, r.get::<_, String>(1)?))
        })?;
        for (mid, data) in rows.flatten() {
            let Ok(part) = serde_json::from_str::<Value>(&data) else {
                out.bad_parts += 1;
                continue;
            };
            if let Some((sid, i)) = by_id.get(&mid) {
                if let Some(m) = out.by_session.get_mut(sid).and_then(|l| l.get_mut(*i)) {
                    m.parts.push(part);
                }
            }
        }
    }
    Ok(out)
}

#[cfg(test)]
thread_local! {
    /// The most messages [`db_sessions_each`] held at once on this thread (tests check
    /// that a scan holds one session, not the database).
    pub(super) static MOST_HELD: std::cell::Cell<usize> = const { std::cell::Cell::new(0) };
}

/// Every session's messages (with their parts) from an open `opencode.db`, handed to
/// `each` one session at a time in session-id order, so a scan holds one session's
/// rows, not the database's: messages and parts are read in two passes sorted by
/// session (SQLite sorts on disk when no index serves), merged as they come. Rows are
/// read as [`db_messages`] reads them (a part whose message is not in its session's
/// rows is dropped). Answers how many parts did not decode.
pub(super) fn db_sessions_each(
    conn: &Connection,
    each: &mut dyn FnMut(String, Vec<Message>),
) -> rusqlite::Result<u32> {
    let mut msg_st =
        conn.prepare("SELECT id, session_id, data FROM message ORDER BY session_id")?;
    let mut part_st = conn
        .prepare("SELECT message_id, session_id, data FROM part ORDER BY session_id, id")
        .ok();
    let mut parts = match part_st.as_mut() {
        Some(st) => Some(st.query([])?),
        None => None,
    };
    let mut messages = msg_st.query([])?;
    let mut bad_parts = 0u32;
    // A part read ahead of its session: (session id, message id, data).
    let mut ahead: Option<(String, String, String)> = None;
    let mut session: Option<(String, Vec<Message>, HashMap<String, usize>)> = None;
    loop {
        let row = match messages.next()? {
            Some(r) => match (
                r.get::<_, String>(0),
                r.get::<_, String>(1),
                r.get::<_, String>(2),
            ) {
                (Ok(id), Ok(sid), Ok(data)) => Some((id, sid, data)),
                _ => continue,
            },
            None => None,
        };
        let same = matches!((&session, &row), (Some((s, ..)), Some((_, sid, _))) if s == sid);
        if !same {
            if let Some((sid, mut list, by_id)) = session.take() {
                // This session's parts: those of earlier sessions have no messages.
                while let Some(rows) = parts.as_mut() {
                    let part = match ahead.take() {
                        Some(p) => p,
                        None => match rows.next()? {
                            Some(r) => match (
                                r.get::<_, String>(1),
                                r.get::<_, String>(0),
                                r.get::<_, String>(2),
                            ) {
                                (Ok(psid), Ok(mid), Ok(data)) => (psid, mid, data),
                                _ => continue,
                            },
                            None => break,
                        },
                    };
                    match part.0.as_str().cmp(sid.as_str()) {
                        std::cmp::Ordering::Less => {}
                        std::cmp::Ordering::Greater => {
                            ahead = Some(part);
                            break;
                        }
                        std::cmp::Ordering::Equal => {
                            let Ok(value) = serde_json::from_str::<Value>(&part.2) else {
                                bad_parts += 1;
                                continue;
                            };
                            if let Some(m) = by_id.get(&part.1).and_then(|i| list.get_mut(*i)) {
                                m.parts.push(value);
                            }
                        }
                    }
                }
                #[cfg(test)]
                MOST_HELD.with(|n| n.set(n.get().max(list.len())));
                list.shrink_to_fit();
                each(sid, list);
            }
        }
        let Some((id, sid, data)) = row else {
            return Ok(bad_parts);
        };
        let (_, list, by_id) =
            session.get_or_insert_with(|| (sid.clone(), Vec::new(), HashMap::new()));
        by_id.insert(id.clone(), list.len());
        list.push(Message {
            id,
            data: serde_json::from_str(&data).unwrap_or(Value::Null),
            parts: Vec::new(),
        });
    }
}

/// The usage of one message and the tokens of `total` not accounted for by its parts.
fn usage_of(tokens: &Value) -> Option<(Usage, u64)> {
    let n = |p: &str| {
        tokens
            .pointer(p)
            .and_then(Value::as_f64)
            .filter(|v| v.is_finite() && *v > 0.0)
            .map(|v| v as u64)
            .unwrap_or(0)
    };
    let mut u = Usage {
        input_tokens: n("/input"),
        output_tokens: n("/output"),
        cache_creation_tokens: n("/cache/write"),
        cache_read_tokens: n("/cache/read"),
    };
    let missing = n("/total").saturating_sub(u.total());
    let mut extra = 0;
    if missing > 0 {
        if u.output_tokens == 0 {
            u.output_tokens = missing;
        } else {
            extra = missing;
        }
    }
    (u.total().saturating_add(extra) > 0).then_some((u, extra))
}

/// One session's messages from the older JSON tree
/// (`storage/message/<session>/*.json`, each message's parts in
/// `storage/part/<message>/*.json`).
#[derive(Default)]
pub(super) struct TreeMessages {
    /// In file-name order; each message's parts in part-id order.
    pub messages: Vec<Message>,
    /// Bytes of every file read.
    pub bytes: u64,
    /// Message and part files whose JSON could not be read as an object (skipped).
    pub unreadable: u32,
}

/// Read the messages in `message_dir` (one session's folder under `storage/message`).
/// A message without an `id` takes its file's name, as opencode names the file.
pub(super) fn tree_messages(storage: &Path, message_dir: &Path) -> TreeMessages {
    let mut read = TreeMessages::default();
    for file in json_files(message_dir) {
        let Some((data, len)) = json_object(&file) else {
            read.unreadable += 1;
            continue;
        };
        read.bytes += len;
        let id = data
            .get("id")
            .and_then(Value::as_str)
            .map(String::from)
            .unwrap_or_else(|| {
                file.file_stem()
                    .unwrap_or_default()
                    .to_string_lossy()
                    .into()
            });
        let mut parts = Vec::new();
        for pf in json_files(&storage.join("part").join(&id)) {
            match json_object(&pf) {
                Some((p, len)) => {
                    read.bytes += len;
                    parts.push((p.get("id").and_then(Value::as_str).map(String::from), p));
                }
                None => read.unreadable += 1,
            }
        }
        parts.sort_by(|a, b| a.0.cmp(&b.0));
        read.messages.push(Message {
            id,
            data,
            parts: parts.into_iter().map(|(_, p)| p).collect(),
        });
    }
    read
}

fn json_files(dir: &Path) -> Vec<PathBuf> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(dir)
        .into_iter()
        .flatten()
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|e| e == "json"))
        .collect();
    files.sort();
    files
}

/// A file's JSON object and its size; `None` when it is not one (or too big to read whole).
fn json_object(path: &Path) -> Option<(Value, u64)> {
    let bytes =
        crate::agent_file::read_whole(path, crate::agent_file::MAX_WHOLE_FILE_BYTES).ok()?;
    let v: Value = serde_json::from_str(&String::from_utf8_lossy(&bytes)).ok()?;
    v.is_object().then_some((v, bytes.len() as u64))
}
