//! opencode sessions: `$OPENCODE_DATA_DIR` (default `~/.local/share/opencode`).
//!
//! Two layouts, read from opencode's own schema (`session.sql.ts`, drizzle) and from
//! ccusage's opencode adapter:
//! - **SQLite** (current): `opencode.db`, else the first `opencode-<channel>.db`. Tables
//!   `session` (`id`, `parent_id`, `directory`, `title`, `time_created`,
//!   `time_updated`, ...), `message` (`id`, `session_id`, `time_created`,
//!   `time_updated`, `data` JSON) and `part` (`id`, `message_id`, `session_id`, `data`
//!   JSON). Opened read-only; a busy or locked database means "try again on the next
//!   change", never an error shown as data.
//! - **JSON tree** (older): `storage/session/<project>/<session>.json`,
//!   `storage/message/<session>/<message>.json`, `storage/part/<message>/<part>.json`.
//!   One session spans many files, so a changed path is mapped to its session (a part
//!   through its message) and only that session is rebuilt.
//!
//! Message `data`: {`role`, `time` {`created`, `completed`} (ms), `modelID`,
//! `providerID`, `path` {`cwd`, `root`}, `cost` (USD), `tokens` {`input`, `output`,
//! `reasoning`, `cache` {`read`, `write`}, `total`?}, `error`, `finish`}. Parts:
//! `{type: "text", text}` and `{type: "tool", callID, tool, state: {status: pending |
//! running | completed | error}}`.
//!
//! Token rules (ccusage's): a message counts when it has `tokens`, a `modelID` and a
//! `providerID` and some non-zero count; input/output/cache-read/cache-write map
//! directly (`reasoning` is not shown); a `total` larger than the parts fills a zero
//! output. A message id found in both the database and the JSON tree counts once, from
//! the database.

pub(super) mod transcript;
mod wire;

use std::collections::{BTreeMap, HashMap, HashSet};
use std::path::{Path, PathBuf};
use std::time::Duration;

use rusqlite::{Connection, OpenFlags};
use serde_json::Value;

use super::roots::{var, AgentPaths, Base};
use super::transcript::Reader;
use super::TurnState;
use super::{title_from, ts_from_millis, SessionStore, StoredSession, TranscriptFacts};
use super::{Agent, NoLines, SourceKind, TranscriptParser};
use crate::model::Harness;
use crate::pricing;
use wire::Message;

const TITLE_MAX: usize = 120;

/// The session row (from the `session` table or `storage/session/*/<id>.json`).
#[derive(Default, Clone)]
struct SessionInfo {
    parent_id: Option<String>,
    directory: Option<String>,
    title: Option<String>,
    created: Option<i64>,
    updated: Option<i64>,
}

/// Sessions and their messages as read from one layout.
type SessionsRead = (BTreeMap<String, SessionInfo>, HashMap<String, Vec<Message>>);

/// See the module documentation.
pub struct OpencodeStore {
    root: PathBuf,
    /// Largest `time_updated` seen in the database, to find what changed since.
    watermark: i64,
    /// Message id → session id, for part files of the JSON tree.
    message_session: HashMap<String, String>,
    /// Session id → its JSON file in the tree.
    session_files: HashMap<String, PathBuf>,
    /// Sessions published so far, to report the deleted ones.
    known: HashSet<String>,
    errors: Vec<String>,
}

impl OpencodeStore {
    pub fn new(root: &Path) -> Self {
        OpencodeStore {
            root: root.to_path_buf(),
            watermark: 0,
            message_session: HashMap::new(),
            session_files: HashMap::new(),
            known: HashSet::new(),
            errors: Vec::new(),
        }
    }

    fn db_path(&self) -> Option<PathBuf> {
        let default = self.root.join("opencode.db");
        if default.is_file() {
            return Some(default);
        }
        let mut channels: Vec<PathBuf> = std::fs::read_dir(&self.root)
            .ok()?
            .flatten()
            .map(|e| e.path())
            .filter(|p| {
                p.is_file()
                    && p.file_name().and_then(|n| n.to_str()).is_some_and(|n| {
                        n.strip_prefix("opencode-")
                            .and_then(|r| r.strip_suffix(".db"))
                            .is_some_and(|c| {
                                c.chars()
                                    .all(|ch| ch.is_ascii_alphanumeric() || ch == '_' || ch == '-')
                            })
                    })
            })
            .collect();
        channels.sort();
        channels.into_iter().next()
    }

    fn open_db(&mut self) -> Option<(PathBuf, Connection)> {
        let path = self.db_path()?;
        let flags = OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX;
        match Connection::open_with_flags(&path, flags) {
            Ok(conn) => {
                let _ = conn.busy_timeout(Duration::from_millis(250));
                Some((path, conn))
            }
            Err(e) => {
                self.errors.push(format!("{}: {e}", path.display()));
                None
            }
        }
    }

    /// Sessions and messages from the database, limited to `only` when given.
    fn read_db(&mut self, only: Option<&HashSet<String>>) -> (Option<PathBuf>, SessionsRead) {
        let mut infos = BTreeMap::new();
        let mut messages: HashMap<String, Vec<Message>> = HashMap::new();
        let Some((path, conn)) = self.open_db() else {
            return (None, (infos, messages));
        };
        let wanted = |sid: &str| only.is_none_or(|o| o.contains(sid));
        let result: rusqlite::Result<()> = (|| {
            if let Ok(mut st) = conn.prepare(
                "SELECT id, parent_id, directory, title, time_created, time_updated FROM session",
            ) {
                let rows = st.query_map([], |r| {
                    Ok((
                        r.get::<_, String>(0)?,
                        SessionInfo {
                            parent_id: r.get::<_, Option<String>>(1).ok().flatten(),
                            directory: r.get::<_, Option<String>>(2).ok().flatten(),
                            title: r.get::<_, Option<String>>(3).ok().flatten(),
                            created: r.get::<_, Option<i64>>(4).ok().flatten(),
                            updated: r.get::<_, Option<i64>>(5).ok().flatten(),
                        },
                    ))
                })?;
                for (id, info) in rows.flatten() {
                    self.watermark = self.watermark.max(info.updated.unwrap_or(0));
                    if wanted(&id) {
                        infos.insert(id, info);
                    }
                }
            }
            // With a set of sessions, ask for their rows only (opencode indexes
            // `session_id` in both tables); otherwise read everything once.
            let filter: Vec<Option<&str>> = match only {
                Some(set) => set.iter().map(|s| Some(s.as_str())).collect(),
                None => vec![None],
            };
            for sid_filter in &filter {
                let read = wire::db_messages(&conn, *sid_filter)?;
                for (sid, list) in read.by_session {
                    if wanted(&sid) {
                        messages.entry(sid).or_default().extend(list);
                    }
                }
            }
            if let Ok(mut st) = conn.prepare("SELECT max(time_updated) FROM message") {
                if let Ok(Some(max)) = st.query_row([], |r| r.get::<_, Option<i64>>(0)) {
                    self.watermark = self.watermark.max(max);
                }
            }
            Ok(())
        })();
        if let Err(e) = result {
            // Busy or locked: keep what was read; the next change tries again.
            if !matches!(
                e.sqlite_error_code(),
                Some(rusqlite::ErrorCode::DatabaseBusy | rusqlite::ErrorCode::DatabaseLocked)
            ) {
                self.errors.push(format!("{}: {e}", path.display()));
            }
        }
        (Some(path), (infos, messages))
    }

    /// Sessions whose rows changed in the database since the watermark.
    fn db_changed_sessions(&mut self) -> Option<HashSet<String>> {
        let (_, conn) = self.open_db()?;
        let mark = self.watermark;
        let mut out = HashSet::new();
        for sql in [
            "SELECT id FROM session WHERE time_updated >= ?1",
            "SELECT DISTINCT session_id FROM message WHERE time_updated >= ?1",
            "SELECT DISTINCT session_id FROM part WHERE time_updated >= ?1",
        ] {
            let mut st = conn.prepare(sql).ok()?;
            let rows = st.query_map([mark], |r| r.get::<_, String>(0)).ok()?;
            out.extend(rows.flatten());
        }
        // Deleted sessions leave no row to find: compare the known set.
        if let Ok(mut st) = conn.prepare("SELECT id FROM session") {
            if let Ok(rows) = st.query_map([], |r| r.get::<_, String>(0)) {
                let present: HashSet<String> = rows.flatten().collect();
                if !present.is_empty() {
                    out.extend(self.known.iter().filter(|k| !present.contains(*k)).cloned());
                }
            }
        }
        Some(out)
    }

    /// Sessions and messages of the JSON tree, limited to `only` when given.
    fn read_tree(&mut self, only: Option<&HashSet<String>>) -> SessionsRead {
        let storage = self.root.join("storage");
        let mut infos = BTreeMap::new();
        let mut messages: HashMap<String, Vec<Message>> = HashMap::new();
        let wanted = |sid: &str| only.is_none_or(|o| o.contains(sid));
        for project in read_dir_paths(&storage.join("session")) {
            for file in read_dir_paths(&project) {
                if file.extension().is_none_or(|e| e != "json") {
                    continue;
                }
                let Some(v) = read_json(&file) else { continue };
                let Some(id) = v.get("id").and_then(Value::as_str).map(str::to_string) else {
                    continue;
                };
                self.session_files.insert(id.clone(), file.clone());
                if !wanted(&id) {
                    continue;
                }
                infos.insert(
                    id,
                    SessionInfo {
                        parent_id: str_at(&v, "parentID").map(str::to_string),
                        directory: str_at(&v, "directory").map(str::to_string),
                        title: str_at(&v, "title").map(str::to_string),
                        created: v.pointer("/time/created").and_then(Value::as_i64),
                        updated: v.pointer("/time/updated").and_then(Value::as_i64),
                    },
                );
            }
        }
        let message_root = storage.join("message");
        let sessions: Vec<PathBuf> = match only {
            Some(set) => set.iter().map(|s| message_root.join(s)).collect(),
            None => read_dir_paths(&message_root),
        };
        for dir in sessions {
            let dir_sid = dir.file_name().map(|n| n.to_string_lossy().into_owned());
            for m in wire::tree_messages(&storage, &dir).messages {
                let Some(sid) = str_at(&m.data, "sessionID")
                    .map(str::to_string)
                    .or(dir_sid.clone())
                else {
                    continue;
                };
                self.message_session.insert(m.id.clone(), sid.clone());
                messages.entry(sid).or_default().push(m);
            }
        }
        (infos, messages)
    }

    /// Read `only` (or everything) from both layouts and build their sessions.
    fn rebuild(&mut self, only: Option<&HashSet<String>>) -> Vec<StoredSession> {
        let (db, (mut infos, mut messages)) = self.read_db(only);
        let db_ids: HashSet<String> = messages.values().flatten().map(|m| m.id.clone()).collect();
        let (tree_infos, tree_messages) = self.read_tree(only);
        let mut from_tree: HashSet<String> = HashSet::new();
        for (sid, info) in tree_infos {
            if !infos.contains_key(&sid) && !messages.contains_key(&sid) {
                from_tree.insert(sid.clone());
            }
            infos.entry(sid).or_insert(info);
        }
        for (sid, list) in tree_messages {
            let fresh: Vec<Message> = list
                .into_iter()
                .filter(|m| !db_ids.contains(&m.id))
                .collect();
            if !fresh.is_empty() && !messages.contains_key(&sid) {
                from_tree.insert(sid.clone());
            }
            messages.entry(sid).or_default().extend(fresh);
        }
        let mut ids: HashSet<String> = infos.keys().cloned().collect();
        ids.extend(messages.keys().cloned());
        let mut out = Vec::new();
        for sid in &ids {
            let info = infos.get(sid).cloned().unwrap_or_default();
            let msgs = messages.remove(sid).unwrap_or_default();
            let location = if from_tree.contains(sid) || db.is_none() {
                self.session_files
                    .get(sid)
                    .cloned()
                    .unwrap_or_else(|| self.root.join("storage").join("message").join(sid))
            } else {
                let mut p = db.clone().unwrap_or_default().into_os_string();
                p.push(format!("#{sid}"));
                PathBuf::from(p)
            };
            out.push(StoredSession {
                id: sid.clone(),
                parent_id: info.parent_id.clone(),
                location,
                facts: session_facts(sid, &info, msgs),
                gone: false,
            });
            self.known.insert(sid.clone());
        }
        if let Some(only) = only {
            for sid in only
                .iter()
                .filter(|s| !ids.contains(*s) && self.known.contains(*s))
            {
                out.push(StoredSession {
                    id: sid.clone(),
                    parent_id: None,
                    location: PathBuf::new(),
                    facts: TranscriptFacts::default(),
                    gone: true,
                });
            }
        }
        out.sort_by(|a, b| a.id.cmp(&b.id));
        out
    }

    /// Which session a changed path under the JSON tree belongs to.
    fn session_of_tree_path(&self, path: &Path) -> Option<String> {
        let rel = path.strip_prefix(self.root.join("storage")).ok()?;
        let parts: Vec<String> = rel
            .components()
            .map(|c| c.as_os_str().to_string_lossy().into_owned())
            .collect();
        let stem = |s: &str| s.strip_suffix(".json").unwrap_or(s).to_string();
        match parts.first().map(String::as_str) {
            Some("session") if parts.len() == 3 => Some(stem(&parts[2])),
            Some("message") if parts.len() >= 2 => Some(parts[1].clone()),
            Some("part") if parts.len() >= 2 => {
                self.message_session.get(&parts[1]).cloned().or_else(|| {
                    read_json(path).and_then(|v| str_at(&v, "sessionID").map(str::to_string))
                })
            }
            _ => None,
        }
    }
}

impl SessionStore for OpencodeStore {
    fn scan(&mut self) -> Vec<StoredSession> {
        self.rebuild(None)
    }

    fn changed(&mut self, paths: &[PathBuf]) -> Vec<StoredSession> {
        let mut affected = HashSet::new();
        let mut db_touched = false;
        for p in paths {
            let name = p
                .file_name()
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or_default();
            if p.parent() == Some(self.root.as_path())
                && name.starts_with("opencode")
                && (name.ends_with(".db") || name.ends_with(".db-wal") || name.ends_with(".db-shm"))
            {
                db_touched = true;
            } else if let Some(sid) = self.session_of_tree_path(p) {
                affected.insert(sid);
            } else if p == &self.root || p == &self.root.join("storage") || p.is_dir() {
                // A whole directory appeared or vanished: read everything again.
                return self.rebuild(None);
            }
        }
        if db_touched {
            match self.db_changed_sessions() {
                Some(ids) => affected.extend(ids),
                None => return self.rebuild(None),
            }
        }
        if affected.is_empty() {
            return Vec::new();
        }
        self.rebuild(Some(&affected))
    }

    fn take_errors(&mut self) -> Vec<String> {
        std::mem::take(&mut self.errors)
    }
}

/// Fold one session's messages (sorted by creation time) into facts.
fn session_facts(sid: &str, info: &SessionInfo, mut msgs: Vec<Message>) -> TranscriptFacts {
    let mut f = TranscriptFacts {
        id: Some(sid.to_string()),
        project: info.directory.clone(),
        parent_id: info.parent_id.clone(),
        // The title opencode shows (it generates one after the first prompt); its
        // placeholder until then gives way to the first prompt's words.
        title: info
            .title
            .as_deref()
            .filter(|t| !is_placeholder_title(t))
            .and_then(|t| title_from(t, TITLE_MAX)),
        ..Default::default()
    };
    for t in [info.created, info.updated] {
        if let Some(t) = ts_from_millis(t) {
            f.note_time(t);
        }
    }
    wire::sort_messages(&mut msgs);
    for m in &msgs {
        if !m.data.is_object() {
            f.parse_errors += 1;
            continue;
        }
        for t in [m.created(), m.completed()] {
            if let Some(t) = ts_from_millis(t) {
                f.note_time(t);
            }
        }
        match m.role() {
            Some("user") => {
                f.user_messages += 1;
                if f.title.is_none() {
                    let text: String = m
                        .parts
                        .iter()
                        .filter(|p| {
                            wire::part_kind(p) == Some("text") && !wire::part_is_synthetic(p)
                        })
                        .filter_map(|p| p.get("text").and_then(Value::as_str))
                        .collect::<Vec<_>>()
                        .join(" ");
                    // `opencode run "…"` (1.18) stores the prompt in quotes.
                    let text = text.trim();
                    let text = text
                        .strip_prefix('"')
                        .and_then(|t| t.strip_suffix('"'))
                        .unwrap_or(text);
                    f.title = title_from(text, TITLE_MAX);
                }
                f.turn = TurnState::AwaitingModel;
            }
            Some("assistant") => {
                f.assistant_messages += 1;
                let model = m.model_id();
                if let Some(model) = model {
                    f.note_model(model);
                }
                if let Some(cwd) = m.cwd() {
                    f.project = Some(cwd.to_string());
                }
                if let (Some(model), Some(_)) = (model, m.provider_id()) {
                    if let Some((u, extra)) = m.usage() {
                        f.usage.add(&u);
                        // ccusage: a recorded positive cost wins; else price the usage
                        // with the unseen part of `total` counted as output.
                        let priced = || {
                            let mut billed = u;
                            billed.output_tokens = billed.output_tokens.saturating_add(extra);
                            pricing::message_cost(model, &billed, 0)
                        };
                        f.add_cost(m.recorded_cost().or_else(priced));
                    }
                }
                let mut running = false;
                for p in m
                    .parts
                    .iter()
                    .filter(|p| wire::part_kind(p) == Some("tool"))
                {
                    f.tool_calls += 1;
                    match wire::tool_status(p) {
                        Some("error") => f.tool_errors += 1,
                        Some("pending" | "running") => running = true,
                        _ => {}
                    }
                }
                f.turn = if m.error().is_some() {
                    TurnState::Errored
                } else if running {
                    TurnState::ToolPending
                } else if m.completed().is_none() || m.finish() == Some("tool-calls") {
                    TurnState::AwaitingModel
                } else {
                    TurnState::TurnEnded
                };
            }
            _ => {}
        }
    }
    if f.title.is_none() {
        f.title = info.title.as_deref().and_then(|t| title_from(t, TITLE_MAX));
    }
    f
}

/// opencode's title for a session it has not named yet: `New session - <time>` (a
/// sub-agent's: `Child session - <time>`).
fn is_placeholder_title(title: &str) -> bool {
    ["New session - ", "Child session - "]
        .iter()
        .any(|p| title.starts_with(p))
}

fn str_at<'a>(v: &'a Value, key: &str) -> Option<&'a str> {
    v.get(key)
        .and_then(Value::as_str)
        .filter(|s| !s.trim().is_empty())
}

fn read_json(path: &Path) -> Option<Value> {
    let bytes =
        crate::agent_file::read_whole(path, crate::agent_file::MAX_WHOLE_FILE_BYTES).ok()?;
    serde_json::from_slice(&bytes).ok()
}

fn read_dir_paths(dir: &Path) -> Vec<PathBuf> {
    let mut v: Vec<PathBuf> = std::fs::read_dir(dir)
        .map(|rd| rd.flatten().map(|e| e.path()).collect())
        .unwrap_or_default();
    v.sort();
    v
}

/// Opencode as an [`Agent`](crate::agents::Agent).
pub struct Opencode;

static PATHS: AgentPaths = AgentPaths {
    vars: &[var("OPENCODE_DATA_DIR", true, &[&[]])],
    defaults: &[(Base::XdgData, &["opencode"])],
};

impl Agent for Opencode {
    fn harness(&self) -> Harness {
        Harness::Opencode
    }
    fn paths(&self) -> &'static AgentPaths {
        &PATHS
    }
    fn source_kind(&self) -> SourceKind {
        SourceKind::Store
    }
    /// Its files are the store's, never tailed one by one.
    fn is_transcript(&self, _root: &Path, _path: &Path) -> bool {
        false
    }
    fn parser(&self, _path: &Path) -> Box<dyn TranscriptParser> {
        Box::new(NoLines::default())
    }
    fn store(&self, root: &Path) -> Option<Box<dyn SessionStore>> {
        Some(Box::new(OpencodeStore::new(root)))
    }
    fn transcript_reader(&self) -> Reader {
        Reader::Whole(transcript::read_whole)
    }
    fn is_program(&self, name: &str) -> bool {
        name == "opencode"
    }
    fn is_script(&self, arg: &str, _after_dash_m: bool) -> bool {
        arg.contains("opencode")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::Usage;

    fn write(path: &Path, text: &str) {
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, text).unwrap();
    }

    fn make_db(path: &Path) -> Connection {
        let c = Connection::open(path).unwrap();
        c.execute_batch(
            "CREATE TABLE session (id TEXT PRIMARY KEY, project_id TEXT, parent_id TEXT, slug TEXT, directory TEXT, title TEXT, version TEXT, time_created INTEGER, time_updated INTEGER);
             CREATE TABLE message (id TEXT PRIMARY KEY, session_id TEXT, time_created INTEGER, time_updated INTEGER, data TEXT);
             CREATE TABLE part (id TEXT PRIMARY KEY, message_id TEXT, session_id TEXT, time_created INTEGER, time_updated INTEGER, data TEXT);",
        )
        .unwrap();
        c
    }

    /// What the transcript's entries add up to.
    fn usage_shown(entries: &[crate::agents::transcript::TranscriptEntry]) -> Usage {
        entries
            .iter()
            .filter_map(|e| e.usage)
            .fold(Usage::default(), |mut a, u| {
                a.add(&u);
                a
            })
    }

    /// The store and the transcript read a session's rows with the same query into
    /// the same messages: they agree on what is in it and on what is unreadable.
    #[test]
    fn the_table_and_the_transcript_read_the_same_rows() {
        let dir = tempfile::tempdir().unwrap();
        let db = dir.path().join("opencode.db");
        let c = make_db(&db);
        c.execute_batch(r#"
            INSERT INTO session VALUES ('ses_a','p',NULL,'s','/w','t','1',1767312000000,1767312009000);
            INSERT INTO message VALUES ('msg_1','ses_a',0,0,'{"role":"user","time":{"created":1767312000000}}');
            INSERT INTO message VALUES ('msg_2','ses_a',0,0,'{"role":"assistant","time":{"created":17673');
            INSERT INTO message VALUES ('msg_3','ses_a',0,0,'{"role":"assistant","time":{"created":1767312002000,"completed":1767312003000},"modelID":"m","providerID":"p","tokens":{"input":3,"output":4}}');
            INSERT INTO message VALUES ('msg_x','ses_b',0,0,'{"role":"user","time":{"created":1767312000000}}');
            INSERT INTO part VALUES ('prt_1','msg_1','ses_a',0,0,'{"type":"text","text":"hello"}');
            INSERT INTO part VALUES ('prt_2','msg_3','ses_a',0,0,'{"type":"text","text":"hi there"}');
            INSERT INTO part VALUES ('prt_3','msg_x','ses_b',0,0,'{"type":"text","text":"other session"}');
        "#).unwrap();
        drop(c);
        let facts = OpencodeStore::new(dir.path())
            .scan()
            .into_iter()
            .find(|s| s.id == "ses_a")
            .unwrap()
            .facts;
        assert_eq!(facts.parse_errors, 1, "the cut-off row");
        assert_eq!((facts.user_messages, facts.assistant_messages), (1, 1));
        let mut location = db.into_os_string();
        location.push("#ses_a");
        let (entries, errors) = crate::agents::transcript::test_support::read_all(
            Harness::Opencode,
            Path::new(&location),
        );
        assert_eq!(errors, 1, "the same cut-off row");
        let texts: Vec<&str> = entries.iter().map(|e| e.text.as_str()).collect();
        assert_eq!(texts, ["hello", "hi there"]);
        assert_eq!(usage_shown(&entries), facts.usage);
    }

    /// The older JSON tree is walked once for both: a message file without an `id`
    /// (named by its file, as opencode names it) and its parts in part-id order reach
    /// the table and the transcript alike.
    #[test]
    fn the_table_and_the_transcript_read_the_same_json_tree() {
        let dir = tempfile::tempdir().unwrap();
        let storage = dir.path().join("storage");
        let write = |rel: &str, body: &str| {
            let p = storage.join(rel);
            std::fs::create_dir_all(p.parent().unwrap()).unwrap();
            std::fs::write(p, body).unwrap();
        };
        write(
            "session/proj/ses_t.json",
            r#"{"id":"ses_t","directory":"/w","title":"tree","time":{"created":1767312000000,"updated":1767312009000}}"#,
        );
        write(
            "message/ses_t/msg_1.json",
            r#"{"role":"user","sessionID":"ses_t","time":{"created":1767312000000}}"#,
        );
        write(
            "message/ses_t/msg_2.json",
            r#"{"id":"msg_2","role":"assistant","sessionID":"ses_t","time":{"created":1767312002000,"completed":1767312003000},"modelID":"m","providerID":"p","tokens":{"input":3,"output":4}}"#,
        );
        write(
            "part/msg_1/prt_1.json",
            r#"{"id":"prt_1","type":"text","text":"hello"}"#,
        );
        write(
            "part/msg_2/prt_3.json",
            r#"{"id":"prt_3","type":"text","text":" there"}"#,
        );
        write(
            "part/msg_2/prt_2.json",
            r#"{"id":"prt_2","type":"text","text":"hi"}"#,
        );
        let facts = OpencodeStore::new(dir.path())
            .scan()
            .into_iter()
            .find(|s| s.id == "ses_t")
            .unwrap()
            .facts;
        assert_eq!((facts.user_messages, facts.assistant_messages), (1, 1));
        let (entries, errors) = crate::agents::transcript::test_support::read_all(
            Harness::Opencode,
            &storage.join("session/proj/ses_t.json"),
        );
        assert_eq!(errors, 0);
        let texts: Vec<&str> = entries.iter().map(|e| e.text.as_str()).collect();
        assert_eq!(texts, ["hello", "hi", " there"]);
        assert_eq!(usage_shown(&entries), facts.usage);
    }

    #[test]
    fn database_sessions_with_parts_and_a_child() {
        let dir = tempfile::tempdir().unwrap();
        let c = make_db(&dir.path().join("opencode.db"));
        c.execute_batch(r#"
            INSERT INTO session VALUES ('ses_a','p',NULL,'s','/w/api','Generated title','1',1767312000000,1767312009000);
            INSERT INTO session VALUES ('ses_b','p','ses_a','s','/w/api','child','1',1767312001000,1767312002000);
            INSERT INTO message VALUES ('msg_1','ses_a',1767312000000,1767312000000,'{"role":"user","time":{"created":1767312000000}}');
            INSERT INTO message VALUES ('msg_2','ses_a',1767312001000,1767312003000,'{"role":"assistant","time":{"created":1767312001000,"completed":1767312003000},"modelID":"claude-sonnet-4-5","providerID":"anthropic","path":{"cwd":"/w/api"},"cost":0.5,"tokens":{"input":10,"output":20,"reasoning":5,"cache":{"read":100,"write":7}},"finish":"stop"}');
            INSERT INTO part VALUES ('prt_1','msg_1','ses_a',0,0,'{"type":"text","text":"add pagination"}');
            INSERT INTO part VALUES ('prt_2','msg_2','ses_a',0,0,'{"type":"tool","callID":"c","tool":"bash","state":{"status":"error"}}');
        "#).unwrap();
        drop(c);
        let mut store = OpencodeStore::new(dir.path());
        let s = store.scan();
        assert_eq!(s.len(), 2);
        let a = &s[0].facts;
        assert_eq!(s[0].id, "ses_a");
        assert_eq!(
            a.title.as_deref(),
            Some("Generated title"),
            "the title opencode shows"
        );
        assert_eq!(
            (
                a.user_messages,
                a.assistant_messages,
                a.tool_calls,
                a.tool_errors
            ),
            (1, 1, 1, 1)
        );
        assert_eq!(
            a.usage,
            Usage {
                input_tokens: 10,
                output_tokens: 20,
                cache_creation_tokens: 7,
                cache_read_tokens: 100
            }
        );
        assert_eq!(a.cost_usd, Some(0.5), "the recorded cost, not a priced one");
        assert_eq!(a.turn, TurnState::TurnEnded);
        assert_eq!(s[1].parent_id.as_deref(), Some("ses_a"));
        assert!(s[0]
            .location
            .to_string_lossy()
            .ends_with("opencode.db#ses_a"));
        // Nothing changed since: a db event rebuilds at most the rows at the watermark
        // (`>=`, so a write in the same millisecond is never missed), not older ones.
        let again = store.changed(&[dir.path().join("opencode.db")]);
        assert!(
            again.iter().all(|s| s.id == "ses_a"),
            "only the newest session"
        );
    }

    #[test]
    fn an_unnamed_session_is_titled_by_its_prompt_without_the_quotes_opencode_run_adds() {
        // opencode 1.18.33 `run`: the placeholder title until the title request
        // answers, and the prompt stored in quotes.
        let dir = tempfile::tempdir().unwrap();
        let c = make_db(&dir.path().join("opencode.db"));
        c.execute_batch(r#"
            INSERT INTO session VALUES ('ses_n','p',NULL,'s','/w/p','New session - 2026-12-07T12:14:51.321Z','1',1767312000000,1767312009000);
            INSERT INTO message VALUES ('msg_1','ses_n',1767312000000,1767312000000,'{"role":"user","time":{"created":1767312000000}}');
            INSERT INTO part VALUES ('prt_1','msg_1','ses_n',0,0,'{"type":"text","text":"\"Check the build and report back\""}');
        "#).unwrap();
        drop(c);
        let s = OpencodeStore::new(dir.path()).scan();
        assert_eq!(
            s[0].facts.title.as_deref(),
            Some("Check the build and report back")
        );
        assert!(is_placeholder_title(
            "Child session - 2026-12-07T12:14:51.321Z"
        ));
        assert!(!is_placeholder_title("New session ideas"));
    }

    #[test]
    fn a_changed_part_file_rebuilds_only_its_session() {
        let dir = tempfile::tempdir().unwrap();
        let st = dir.path().join("storage");
        write(
            &st.join("session/proj/ses_x.json"),
            r#"{"id":"ses_x","directory":"/w/x","title":"t","time":{"created":1767312000000,"updated":1767312000000}}"#,
        );
        write(
            &st.join("session/proj/ses_y.json"),
            r#"{"id":"ses_y","directory":"/w/y","title":"other","time":{"created":1767312000000,"updated":1767312000000}}"#,
        );
        write(
            &st.join("message/ses_x/msg_1.json"),
            r#"{"id":"msg_1","sessionID":"ses_x","role":"assistant","modelID":"gpt-5","providerID":"openai","time":{"created":1767312001000},"tokens":{"input":3,"output":4,"cache":{"read":0,"write":0}}}"#,
        );
        write(
            &st.join("part/msg_1/prt_1.json"),
            r#"{"id":"prt_1","sessionID":"ses_x","messageID":"msg_1","type":"tool","state":{"status":"running"}}"#,
        );
        let mut store = OpencodeStore::new(dir.path());
        let s = store.scan();
        assert_eq!(s.len(), 2);
        assert_eq!(s[0].facts.turn, TurnState::ToolPending);
        let part = st.join("part/msg_1/prt_1.json");
        write(
            &part,
            r#"{"id":"prt_1","sessionID":"ses_x","messageID":"msg_1","type":"tool","state":{"status":"completed"}}"#,
        );
        let c = store.changed(&[part]);
        assert_eq!(c.len(), 1);
        assert_eq!(c[0].id, "ses_x");
        assert_eq!(c[0].facts.turn, TurnState::AwaitingModel);
        assert_eq!(c[0].facts.usage.input_tokens, 3);
        std::fs::remove_dir_all(st.join("message/ses_x")).unwrap();
        std::fs::remove_file(st.join("session/proj/ses_x.json")).unwrap();
        let c = store.changed(&[st.join("session/proj/ses_x.json")]);
        assert!(c[0].gone);
    }

    #[test]
    fn a_locked_or_garbage_database_is_not_fatal() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("opencode.db"), b"not a database at all").unwrap();
        let mut store = OpencodeStore::new(dir.path());
        assert!(store.scan().is_empty());
        assert!(!store.take_errors().is_empty());
    }

    /// Totals written by hand; see tests/fixtures/opencode/README.md.
    #[test]
    fn fixture_totals() {
        use crate::agents::fixture_support::sessions;
        use crate::model::Harness;
        let s = sessions(Harness::Opencode, "opencode");
        assert_eq!(s.len(), 3);
        let a = &s["ses_a"];
        assert_eq!(
            a.usage,
            Usage {
                input_tokens: 1700,
                output_tokens: 400,
                cache_creation_tokens: 1200,
                cache_read_tokens: 17000
            }
        );
        assert_eq!(
            (
                a.user_messages,
                a.assistant_messages,
                a.tool_calls,
                a.tool_errors
            ),
            (1, 2, 2, 1)
        );
        assert_eq!(a.title.as_deref(), Some("Checkout refactor"));
        let b = &s["ses_b"];
        assert_eq!(b.parent_id.as_deref(), Some("ses_a"));
        assert_eq!(
            b.usage,
            Usage {
                input_tokens: 400,
                output_tokens: 50,
                cache_creation_tokens: 0,
                cache_read_tokens: 100
            }
        );
        assert_eq!(b.parse_errors, 1);
        let old = &s["ses_old"];
        assert_eq!(
            old.usage,
            Usage {
                input_tokens: 50,
                output_tokens: 20,
                cache_creation_tokens: 0,
                cache_read_tokens: 0
            },
            "the copy of msg_a3 in the JSON tree is not counted"
        );
        assert_eq!(old.project.as_deref(), Some("/home/dev/legacy-app"));
        assert!(old.path.ends_with("ses_old.json"));
    }
}
