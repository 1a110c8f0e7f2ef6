//! opencode sessions as entries (the layouts are described in `agents::opencode`; a
//! database is read with the same query, into the same [`Message`]s, as the store's).
//!
//! A session's path is what the index stores: `<data dir>/opencode.db#<session id>`
//! for the database, or the session's JSON file `storage/session/<project>/<id>.json`
//! (or its message folder `storage/message/<id>`) for the older tree. The database is
//! opened read-only; a message that exists in both layouts is read from the database,
//! as the index counts it.
//!
//! Messages are ordered by `time.created` then id, their parts by id. A user message's
//! `text` parts (not `synthetic` ones) are the prompt; an assistant message's parts
//! become entries in order: `text` → text, `reasoning` → thinking, `tool` → a call
//! (`tool`, `callID`, `state.input`) and, once `state.status` is `completed` or
//! `error`, its result (`state.output` / `state.error`); step and snapshot parts show
//! nothing. A message `error` ({`name`, `data.message`}) is an error entry. The
//! message's `tokens` go on its first entry.

use std::collections::HashSet;
use std::path::Path;

use rusqlite::{Connection, OpenFlags};
use serde_json::Value;

use super::wire::{self, Message};
use crate::agents::transcript::{
    pretty_input, text_of, Draft, EntryKind, Keep, TranscriptError, WholeTranscript,
};
use crate::agents::ts_from_millis;

/// Every draft of the session, whatever `keep` asks (a reader may keep more): the
/// session's messages are read whole, from the database or from its message and part
/// files (each at most `agent_file::MAX_WHOLE_FILE_BYTES`), so memory is bounded by
/// one session, not by the database.
pub(crate) fn read_whole(path: &Path, _keep: Keep) -> Result<WholeTranscript, TranscriptError> {
    let location = path.to_string_lossy().into_owned();
    let (messages, total_bytes, errors) = match split_db_location(&location) {
        Some((db, sid)) => read_db(Path::new(db), sid, &location)?,
        None => read_tree(path)?,
    };
    let mut whole = WholeTranscript {
        parse_errors: errors,
        total_bytes,
        ..Default::default()
    };
    for m in messages {
        whole.begin_message();
        message_entries(&m, &mut whole.drafts);
    }
    Ok(whole)
}

/// `…/opencode.db#ses_x` → (`…/opencode.db`, `ses_x`).
fn split_db_location(location: &str) -> Option<(&str, &str)> {
    let (db, sid) = location.rsplit_once('#')?;
    (db.ends_with(".db") && !sid.is_empty()).then_some((db, sid))
}

fn store_error(location: &str, e: impl std::fmt::Display) -> TranscriptError {
    TranscriptError::Store {
        location: location.to_string(),
        message: e.to_string(),
    }
}

fn open_db(db: &Path) -> rusqlite::Result<Connection> {
    let flags = OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX;
    let conn = Connection::open_with_flags(db, flags)?;
    conn.busy_timeout(std::time::Duration::from_millis(250))?;
    Ok(conn)
}

fn read_db(
    db: &Path,
    sid: &str,
    location: &str,
) -> Result<(Vec<Message>, u64, u32), TranscriptError> {
    let size = std::fs::metadata(db)
        .map_err(|e| TranscriptError::io(db, e))?
        .len();
    let conn = open_db(db).map_err(|e| store_error(location, e))?;
    let read = wire::db_messages(&conn, Some(sid)).map_err(|e| store_error(location, e))?;
    let mut errors = read.bad_parts;
    let mut messages = Vec::new();
    for m in read.by_session.into_values().flatten() {
        if m.data.is_object() {
            messages.push(m);
        } else {
            errors += 1;
        }
    }
    wire::sort_messages(&mut messages);
    Ok((messages, size, errors))
}

/// The older JSON tree; `path` is the session file or the session's message folder.
fn read_tree(path: &Path) -> Result<(Vec<Message>, u64, u32), TranscriptError> {
    if !path.exists() {
        return Err(TranscriptError::NotFound(path.to_path_buf()));
    }
    let storage = path
        .ancestors()
        .find(|a| a.file_name().is_some_and(|n| n == "storage"))
        .map(Path::to_path_buf)
        .ok_or_else(|| store_error(&path.to_string_lossy(), "not an opencode session path"))?;
    let sid = path
        .file_stem()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_default();
    let in_db = ids_in_database(storage.parent().unwrap_or(&storage));
    let read = wire::tree_messages(&storage, &storage.join("message").join(&sid));
    let mut messages: Vec<Message> = read
        .messages
        .into_iter()
        .filter(|m| !in_db.contains(&m.id))
        .collect();
    wire::sort_messages(&mut messages);
    Ok((messages, read.bytes, read.unreadable))
}

/// Message ids the database beside the tree holds (they win over the tree's copies).
fn ids_in_database(data_dir: &Path) -> HashSet<String> {
    let db = data_dir.join("opencode.db");
    if !db.is_file() {
        return HashSet::new();
    }
    let Ok(conn) = open_db(&db) else {
        return HashSet::new();
    };
    let Ok(mut st) = conn.prepare("SELECT id FROM message") else {
        return HashSet::new();
    };
    let ids = st
        .query_map([], |r| r.get::<_, String>(0))
        .map(|rows| rows.flatten().collect())
        .unwrap_or_default();
    ids
}

fn message_entries(m: &Message, out: &mut Vec<Draft>) {
    let ts = ts_from_millis(m.created());
    let model = m.shown_model().map(String::from);
    let start = out.len();
    let role = m.role();
    for p in &m.parts {
        let synthetic = wire::part_is_synthetic(p);
        match wire::part_kind(p) {
            Some("text") if role == Some("user") => {
                let kind = if synthetic {
                    EntryKind::System
                } else {
                    EntryKind::User
                };
                out.push(Draft::new(
                    kind,
                    p.get("text").map(text_of).unwrap_or_default(),
                ));
            }
            Some("text") => out.push(Draft::new(
                EntryKind::Assistant,
                p.get("text").map(text_of).unwrap_or_default(),
            )),
            Some("reasoning") => out.push(Draft::new(
                EntryKind::Thinking,
                p.get("text").map(text_of).unwrap_or_default(),
            )),
            Some("tool") => tool_entries(p, out),
            Some("file") => {
                let name = p
                    .get("filename")
                    .or_else(|| p.get("url"))
                    .and_then(Value::as_str)
                    .unwrap_or("file");
                out.push(Draft::new(EntryKind::System, format!("[attached {name}]")));
            }
            _ => {}
        }
    }
    if let Some(err) = m.error() {
        let name = err.get("name").and_then(Value::as_str).unwrap_or("Error");
        let msg = err
            .pointer("/data/message")
            .map(text_of)
            .unwrap_or_default();
        let mut e = Draft::new(EntryKind::Error, format!("{name}: {msg}"));
        e.is_error = true;
        out.push(e);
    }
    let assistant = role == Some("assistant");
    if assistant && out.len() == start {
        // A message still streaming: keep its place (and its usage).
        out.push(Draft::new(EntryKind::Assistant, ""));
    }
    for x in &mut out[start..] {
        x.timestamp = x.timestamp.or(ts);
        if assistant && matches!(x.kind, EntryKind::Assistant | EntryKind::Thinking) {
            x.model = model.clone();
        }
    }
    if let (true, Some(first)) = (assistant, out.get_mut(start)) {
        first.usage = m.tokens_as_written();
        first.model = model;
    }
}

fn tool_entries(p: &Value, out: &mut Vec<Draft>) {
    let state = p.get("state").unwrap_or(&Value::Null);
    let name = p.get("tool").and_then(Value::as_str).map(String::from);
    let id = p.get("callID").and_then(Value::as_str).map(String::from);
    let mut c = Draft::new(EntryKind::ToolCall, "");
    c.tool_name = name.clone();
    c.tool_use_id = id.clone();
    c.tool_input = state.get("input").map(pretty_input);
    c.timestamp = ts_from_millis(state.pointer("/time/start").and_then(Value::as_i64));
    out.push(c);
    let status = state.get("status").and_then(Value::as_str);
    let (text, failed) = match status {
        Some("completed") => (state.get("output").map(text_of).unwrap_or_default(), false),
        Some("error") => (state.get("error").map(text_of).unwrap_or_default(), true),
        _ => return,
    };
    let mut r = Draft::new(EntryKind::ToolResult, text);
    r.tool_name = name;
    r.tool_use_id = id;
    r.is_error = failed;
    r.timestamp = ts_from_millis(state.pointer("/time/end").and_then(Value::as_i64));
    out.push(r);
}

#[cfg(test)]
mod tests {
    use crate::agents::transcript::test_support::*;
    use crate::agents::transcript::*;
    use crate::model::Harness;
    use std::path::{Path, PathBuf};

    fn db_session(sid: &str) -> PathBuf {
        let mut p = fixture("opencode/opencode.db").into_os_string();
        p.push(format!("#{sid}"));
        PathBuf::from(p)
    }

    #[test]
    fn database_session_with_tool_parts() {
        let (entries, errors) = read_all(Harness::Opencode, &db_session("ses_a"));
        assert_eq!(errors, 0);
        assert_eq!(
            kinds_and_texts(&entries),
            vec![
                (
                    EntryKind::User,
                    "Refactor the checkout flow into smaller functions".to_string()
                ),
                (EntryKind::ToolCall, String::new()),
                (EntryKind::ToolResult, "...".to_string()),
                (EntryKind::ToolCall, String::new()),
                (EntryKind::ToolResult, "exit 1".to_string()),
                (
                    EntryKind::Assistant,
                    "Split into three functions.".to_string()
                ),
            ]
        );
        assert_eq!(entries[1].tool_name.as_deref(), Some("read"));
        assert_eq!(entries[1].tool_use_id.as_deref(), Some("toolu_1"));
        assert_eq!(
            entries[1].tool_input.as_deref(),
            Some("{\n  \"filePath\": \"checkout.ts\"\n}")
        );
        assert!(!entries[2].is_error);
        assert!(entries[4].is_error);
        assert_eq!(entries[4].tool_use_id.as_deref(), Some("toolu_2"));
        let u = entries[1].usage.unwrap();
        assert_eq!(
            (
                u.input_tokens,
                u.output_tokens,
                u.cache_read_tokens,
                u.cache_creation_tokens
            ),
            (1500, 300, 8000, 1200)
        );
        assert_eq!(entries[5].model.as_deref(), Some("claude-sonnet-4-5"));
        assert_eq!(entries[5].usage.map(|u| u.cache_read_tokens), Some(9000));
    }

    #[test]
    fn a_cut_off_message_row_is_a_parse_error() {
        let (entries, errors) = read_all(Harness::Opencode, &db_session("ses_b"));
        assert_eq!(errors, 1);
        assert_eq!(
            kinds_and_texts(&entries),
            vec![
                (EntryKind::User, "Map the payment module".to_string()),
                (EntryKind::Assistant, "It has four files.".to_string()),
            ]
        );
    }

    #[test]
    fn json_tree_session_skips_messages_the_database_owns() {
        let p = fixture("opencode/storage/session/prj_old/ses_old.json");
        let (entries, errors) = read_all(Harness::Opencode, &p);
        assert_eq!(errors, 1, "the truncated msg_o3.json");
        assert_eq!(
            kinds_and_texts(&entries),
            vec![
                (
                    EntryKind::User,
                    "Why does the build fail on CI?".to_string()
                ),
                (EntryKind::Assistant, "Missing env var.".to_string()),
            ]
        );
        assert_eq!(entries[1].model.as_deref(), Some("claude-haiku-4-5"));
    }

    #[test]
    fn a_file_that_is_not_a_database_is_an_error_not_a_panic() {
        let dir = tempfile::tempdir().unwrap();
        let db = dir.path().join("opencode.db");
        std::fs::write(&db, b"this is not sqlite\n\xff\xfe").unwrap();
        let mut p = db.into_os_string();
        p.push("#ses_a");
        let err = read_transcript(
            Harness::Opencode,
            Path::new(&p),
            &TranscriptCursor::default(),
            10,
            100,
        )
        .unwrap_err();
        assert!(matches!(err, TranscriptError::Store { .. }), "{err}");
    }

    #[test]
    fn a_missing_database_is_a_clear_error() {
        let dir = tempfile::tempdir().unwrap();
        let mut p = dir.path().join("opencode.db").into_os_string();
        p.push("#ses_a");
        let err = read_transcript(
            Harness::Opencode,
            Path::new(&p),
            &TranscriptCursor::default(),
            10,
            100,
        )
        .unwrap_err();
        assert!(matches!(err, TranscriptError::NotFound(_)), "{err}");
    }
}
