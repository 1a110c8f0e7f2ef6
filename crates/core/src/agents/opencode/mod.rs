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

use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};
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

#[cfg(test)]
thread_local! {
    /// The most messages of the JSON tree held at once on this thread (tests check
    /// that a scan holds one session's, not the tree's).
    static TREE_MOST_HELD: std::cell::Cell<usize> = const { std::cell::Cell::new(0) };
}

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

    /// The `session` rows (those `wanted`), noting the newest `time_updated`.
    fn db_infos(
        &mut self,
        conn: &Connection,
        wanted: &dyn Fn(&str) -> bool,
    ) -> rusqlite::Result<BTreeMap<String, SessionInfo>> {
        let mut infos = BTreeMap::new();
        let Ok(mut st) = conn.prepare(
            "SELECT id, parent_id, directory, title, time_created, time_updated FROM session",
        ) else {
            return Ok(infos);
        };
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
        Ok(infos)
    }

    /// Note the newest message `time_updated` as the watermark.
    fn note_message_watermark(&mut self, conn: &Connection) {
        if let Ok(mut st) = conn.prepare("SELECT max(time_updated) FROM message") {
            if let Ok(Some(max)) = st.query_row([], |r| r.get::<_, Option<i64>>(0)) {
                self.watermark = self.watermark.max(max);
            }
        }
    }

    /// A database error: busy or locked means "keep what was read; the next change
    /// tries again", anything else is reported.
    fn db_error(&mut self, path: &Path, e: rusqlite::Error) {
        if !matches!(
            e.sqlite_error_code(),
            Some(rusqlite::ErrorCode::DatabaseBusy | rusqlite::ErrorCode::DatabaseLocked)
        ) {
            self.errors.push(format!("{}: {e}", path.display()));
        }
    }

    /// Sessions and messages of the sessions `only` names, from the database (their
    /// rows only: opencode indexes `session_id` in both tables).
    fn read_db(&mut self, only: &HashSet<String>) -> (Option<PathBuf>, SessionsRead) {
        let mut messages: HashMap<String, Vec<Message>> = HashMap::new();
        let Some((path, conn)) = self.open_db() else {
            return (None, (BTreeMap::new(), messages));
        };
        let wanted = |sid: &str| only.contains(sid);
        let infos = match self.db_infos(&conn, &wanted) {
            Ok(infos) => infos,
            Err(e) => {
                self.db_error(&path, e);
                BTreeMap::new()
            }
        };
        let result: rusqlite::Result<()> = (|| {
            for sid in only {
                for (sid, list) in wire::db_messages(&conn, Some(sid))?.by_session {
                    if wanted(&sid) {
                        messages.entry(sid).or_default().extend(list);
                    }
                }
            }
            Ok(())
        })();
        if let Err(e) = result {
            self.db_error(&path, e);
        }
        self.note_message_watermark(&conn);
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

    /// Sessions of the JSON tree (its session files), limited to `only` when given;
    /// every session file is noted in `session_files`.
    fn read_tree_infos(&mut self, only: Option<&HashSet<String>>) -> BTreeMap<String, SessionInfo> {
        let storage = self.root.join("storage");
        let mut infos = BTreeMap::new();
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
        infos
    }

    /// The messages of one folder of the JSON tree (`storage/message/<dir>`), by the
    /// session each names (its `sessionID`, else the folder's), each noted for its
    /// part files.
    fn tree_folder(&mut self, dir: &Path) -> HashMap<String, Vec<Message>> {
        let storage = self.root.join("storage");
        let dir_sid = dir.file_name().map(|n| n.to_string_lossy().into_owned());
        let mut out: HashMap<String, Vec<Message>> = HashMap::new();
        for m in wire::tree_messages(&storage, dir).messages {
            let Some(sid) = str_at(&m.data, "sessionID")
                .map(str::to_string)
                .or(dir_sid.clone())
            else {
                continue;
            };
            self.message_session.insert(m.id.clone(), sid.clone());
            out.entry(sid).or_default().push(m);
        }
        out
    }

    /// Sessions and messages of the JSON tree, limited to `only` when given.
    fn read_tree(&mut self, only: Option<&HashSet<String>>) -> SessionsRead {
        let infos = self.read_tree_infos(only);
        let mut messages: HashMap<String, Vec<Message>> = HashMap::new();
        let message_root = self.root.join("storage").join("message");
        let folders: Vec<PathBuf> = match only {
            Some(set) => set.iter().map(|s| message_root.join(s)).collect(),
            None => read_dir_paths(&message_root),
        };
        for dir in folders {
            for (sid, list) in self.tree_folder(&dir) {
                messages.entry(sid).or_default().extend(list);
            }
        }
        #[cfg(test)]
        TREE_MOST_HELD.with(|n| n.set(n.get().max(messages.values().map(Vec::len).sum())));
        (infos, messages)
    }
    /// Read `only` (or everything, [`OpencodeStore::rebuild_all`]) from both layouts
    /// and build their sessions.
    fn rebuild(&mut self, only: Option<&HashSet<String>>) -> Vec<StoredSession> {
        let Some(only) = only else {
            return self.rebuild_all();
        };
        let (db, (mut infos, mut messages)) = self.read_db(only);
        let db_ids: HashSet<String> = messages.values().flatten().map(|m| m.id.clone()).collect();
        let (tree_infos, tree_messages) = self.read_tree(Some(only));
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
                db_location(db.as_deref().unwrap_or(Path::new("")), sid)
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
        out.sort_by(|a, b| a.id.cmp(&b.id));
        out
    }

    /// Every session of both layouts, as [`OpencodeStore::rebuild`] builds them, one
    /// session at a time: the database's folded as its rows stream by
    /// ([`wire::db_sessions_each`]) with the tree folder of the same name read then,
    /// and the tree's other folders read one by one after. Memory holds one session's
    /// messages, not the database's or the tree's. A message of the JSON tree counts
    /// unless its id is in the database (asked by primary key); a session is the
    /// tree's when the database has neither its row nor its messages, or only the
    /// tree has its messages. A message in a folder not its session's (opencode
    /// writes none) is not held: its session, and the folders it was found in, are
    /// read again at the end as [`OpencodeStore::rebuild`] reads a few sessions.
    fn rebuild_all(&mut self) -> Vec<StoredSession> {
        let tree_infos = self.read_tree_infos(None);
        let message_root = self.root.join("storage").join("message");
        let mut folders: BTreeMap<String, PathBuf> = read_dir_paths(&message_root)
            .into_iter()
            .filter_map(|p| Some((p.file_name()?.to_string_lossy().into_owned(), p)))
            .collect();
        let folder_names: Vec<String> = folders.keys().cloned().collect();
        // Sessions with messages in another's folder, and those folders.
        let mut strays: BTreeSet<String> = BTreeSet::new();
        let mut infos = BTreeMap::new();
        let mut out: Vec<StoredSession> = Vec::new();
        let mut streamed: HashSet<String> = HashSet::new();
        let db = self.open_db();
        let mut in_db = db
            .as_ref()
            .and_then(|(_, conn)| conn.prepare("SELECT 1 FROM message WHERE id = ?1").ok());
        // The tree's messages of `sid`, from its folder (read now, once).
        let mut tree_of = |this: &mut Self, sid: &str, strays: &mut BTreeSet<String>| {
            let Some(dir) = folders.remove(sid) else {
                return Vec::new();
            };
            let mut mine = Vec::new();
            for (owner, list) in this.tree_folder(&dir) {
                let list = list.into_iter().filter(|m| {
                    !in_db
                        .as_mut()
                        .is_some_and(|st| st.exists([&m.id]).unwrap_or(false))
                });
                if owner == sid {
                    mine.extend(list);
                } else if list.count() > 0 {
                    strays.insert(owner);
                    strays.insert(sid.to_string());
                }
            }
            mine
        };
        if let Some((path, conn)) = &db {
            infos = match self.db_infos(conn, &|_| true) {
                Ok(infos) => infos,
                Err(e) => {
                    self.db_error(path, e);
                    BTreeMap::new()
                }
            };
            let mut errors = None;
            let streamed_rows = wire::db_sessions_each(conn, &mut |sid, mut msgs| {
                msgs.extend(tree_of(self, &sid, &mut strays));
                let info = infos
                    .get(&sid)
                    .or_else(|| tree_infos.get(&sid))
                    .cloned()
                    .unwrap_or_default();
                out.push(StoredSession {
                    id: sid.clone(),
                    parent_id: info.parent_id.clone(),
                    location: db_location(path, &sid),
                    facts: session_facts(&sid, &info, msgs),
                    gone: false,
                });
                streamed.insert(sid);
            });
            if let Err(e) = streamed_rows {
                errors = Some(e);
            }
            if let Some(e) = errors {
                self.db_error(path, e);
            }
            self.note_message_watermark(conn);
        }
        let mut rest: BTreeSet<String> = infos.keys().cloned().collect();
        rest.extend(tree_infos.keys().cloned());
        rest.extend(folder_names);
        for sid in rest.into_iter().filter(|s| !streamed.contains(s)) {
            let msgs = tree_of(self, &sid, &mut strays);
            #[cfg(test)]
            TREE_MOST_HELD.with(|n| n.set(n.get().max(msgs.len())));
            let known = infos.contains_key(&sid) || tree_infos.contains_key(&sid);
            if !known && msgs.is_empty() {
                continue; // a folder of nothing readable, or only other sessions'
            }
            let from_tree =
                (tree_infos.contains_key(&sid) && !infos.contains_key(&sid)) || !msgs.is_empty();
            let info = infos
                .get(&sid)
                .or_else(|| tree_infos.get(&sid))
                .cloned()
                .unwrap_or_default();
            let location = match &db {
                Some((path, _)) if !from_tree => db_location(path, &sid),
                _ => self
                    .session_files
                    .get(&sid)
                    .cloned()
                    .unwrap_or_else(|| self.root.join("storage").join("message").join(&sid)),
            };
            out.push(StoredSession {
                id: sid.clone(),
                parent_id: info.parent_id.clone(),
                location,
                facts: session_facts(&sid, &info, msgs),
                gone: false,
            });
        }
        drop(in_db);
        drop(db);
        if !strays.is_empty() {
            // Read again with every folder their messages are in.
            let again = self.rebuild(Some(&strays.into_iter().collect()));
            out.retain(|s| !again.iter().any(|a| a.id == s.id));
            out.extend(again.into_iter().filter(|s| !s.gone));
        }
        self.known.extend(out.iter().map(|s| s.id.clone()));
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

/// Where a database session is: `<db>#<session id>`.
fn db_location(db: &Path, sid: &str) -> PathBuf {
    let mut p = db.as_os_str().to_os_string();
    p.push(format!("#{sid}"));
    PathBuf::from(p)
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

    /// Issue 17 (3): the first scan of the older JSON tree reads it one session
    /// folder at a time (it read every message and part of every session first). A
    /// generated tree of 90 sessions of many sizes, with a session file without
    /// messages, a folder without a session file, an unreadable message, messages in
    /// another session's folder (one of a session that has no folder of its own):
    /// the scan gives exactly what reading each session by itself gives, holding at
    /// most the largest folder's messages.
    /// A streamed first scan found the sessions that reading each of `ids` alone finds.
    fn assert_same_as_one_by_one(dir: &Path, streamed: &[StoredSession], ids: &HashSet<String>) {
        let mut one_by_one = OpencodeStore::new(dir);
        one_by_one.known = ids.clone();
        let want = one_by_one.rebuild(Some(ids));
        assert_eq!(streamed.len(), want.len());
        for (a, b) in streamed.iter().zip(&want) {
            assert_eq!(
                (&a.id, &a.parent_id, &a.location, &a.facts, a.gone),
                (&b.id, &b.parent_id, &b.location, &b.facts, b.gone)
            );
        }
    }

    #[test]
    fn a_big_json_tree_is_read_one_session_at_a_time_to_the_same_sessions() {
        let dir = tempfile::tempdir().unwrap();
        let storage = dir.path().join("storage");
        let sessions = 90;
        let mut largest = 0;
        for s in 0..sessions {
            let sid = format!("ses_{s:03}");
            if s % 13 != 4 {
                write(
                    &storage.join(format!("session/proj/{sid}.json")),
                    &format!(
                        r#"{{"id":"{sid}","directory":"/w","title":"title {s}","time":{{"created":1767312000000,"updated":1767312009000}}}}"#
                    ),
                );
            }
            let n = if s % 29 == 5 { 0 } else { (s % 17) * 3 + 1 };
            largest = largest.max(n);
            for m in 0..n {
                let mid = format!("msg_{sid}_{m:03}");
                let data = if m % 2 == 0 {
                    format!(
                        r#"{{"id":"{mid}","role":"user","sessionID":"{sid}","time":{{"created":{}}}}}"#,
                        1767312000000u64 + m as u64
                    )
                } else {
                    format!(
                        r#"{{"id":"{mid}","role":"assistant","sessionID":"{sid}","modelID":"claude-sonnet-4-5","providerID":"anthropic","tokens":{{"input":{m},"output":2,"cache":{{"read":5,"write":1}}}},"time":{{"created":{},"completed":{}}}}}"#,
                        1767312000000u64 + m as u64,
                        1767312000500u64 + m as u64
                    )
                };
                write(&storage.join(format!("message/{sid}/{mid}.json")), &data);
                let part = if m % 2 == 0 {
                    format!(
                        r#"{{"id":"prt_{mid}","type":"text","text":"prompt {m} {}"}}"#,
                        "x".repeat(2000)
                    )
                } else {
                    r#"{"id":"prt_t","type":"tool","callID":"c","tool":"bash","state":{"status":"error"}}"#.into()
                };
                write(&storage.join(format!("part/{mid}/prt_{mid}.json")), &part);
            }
        }
        write(&storage.join("message/ses_003/msg_bad.json"), r#"{"role":"#);
        let same_as_one_by_one = |streamed: &[StoredSession]| {
            let ids: HashSet<String> = streamed.iter().map(|s| s.id.clone()).collect();
            assert_same_as_one_by_one(dir.path(), streamed, &ids);
            ids
        };
        TREE_MOST_HELD.with(|n| n.set(0));
        let streamed = OpencodeStore::new(dir.path()).scan();
        let most_held = TREE_MOST_HELD.with(|n| n.get());
        assert_eq!(
            most_held,
            largest,
            "one session at a time, the largest of {}",
            streamed.len()
        );
        let ids = same_as_one_by_one(&streamed);
        assert!(ids.contains("ses_004"), "a folder without a session file");
        let empty = streamed.iter().find(|s| s.id == "ses_005").unwrap();
        assert_eq!(
            (empty.facts.user_messages, empty.facts.assistant_messages),
            (0, 0),
            "a session file, no messages"
        );
        // In another session's folder (opencode writes none): of a session with a
        // folder, and of one without; those are read again at the end, whole.
        write(
            &storage.join("message/ses_010/msg_stray1.json"),
            r#"{"id":"msg_stray1","role":"user","sessionID":"ses_020","time":{"created":1767312000001}}"#,
        );
        write(
            &storage.join("message/ses_011/msg_stray2.json"),
            r#"{"id":"msg_stray2","role":"user","sessionID":"ses_elsewhere","time":{"created":1767312000002}}"#,
        );
        let streamed = OpencodeStore::new(dir.path()).scan();
        let ids = same_as_one_by_one(&streamed);
        assert!(ids.contains("ses_elsewhere"), "{ids:?}");
        let s20 = streamed.iter().find(|s| s.id == "ses_020").unwrap();
        assert_eq!(s20.facts.user_messages, 6, "with its stray");
    }

    /// Issue 17: the first scan of a big database folds it one session at a time (it
    /// held every message and part of every session at once). A generated database of
    /// sessions of many sizes, with rows inserted in no particular order, a session row
    /// without messages, messages without a session row, parts of no message, a bad
    /// part, and a JSON tree holding a copy of a database message and a session of its
    /// own: the streamed scan gives exactly what reading each session by itself gives,
    /// holding at most the largest session's messages.
    #[test]
    fn a_big_database_is_folded_one_session_at_a_time_to_the_same_sessions() {
        let dir = tempfile::tempdir().unwrap();
        let c = make_db(&dir.path().join("opencode.db"));
        c.execute_batch("BEGIN").unwrap();
        let sessions = 120;
        let mut rows = Vec::new();
        for s in 0..sessions {
            let sid = format!("ses_{:03}", (s * 37) % sessions);
            if s % 11 != 3 {
                c.execute(
                    "INSERT INTO session VALUES (?1,'p',NULL,'s','/w',?2,'1',1767312000000,1767312009000)",
                    rusqlite::params![sid, format!("title {s}")],
                )
                .unwrap();
            }
            for m in 0..(s % 17) * 3 + 1 {
                rows.push((sid.clone(), m));
            }
        }
        c.execute(
            "INSERT INTO session VALUES ('ses_empty','p',NULL,'s','/w','empty','1',1,2)",
            [],
        )
        .unwrap();
        // Interleave sessions: the database returns rows in its own order.
        rows.sort_by_key(|(sid, m)| (m * 7919 + sid.len()) % 101);
        for (sid, m) in &rows {
            let mid = format!("msg_{sid}_{m:03}");
            let (role, extra) = if m % 2 == 0 {
                ("user", String::new())
            } else {
                (
                    "assistant",
                    format!(
                        r#","modelID":"claude-sonnet-4-5","providerID":"anthropic","tokens":{{"input":{m},"output":2,"cache":{{"read":5,"write":1}}}},"time":{{"created":{},"completed":{}}}"#,
                        1767312000000 + *m as u64,
                        1767312000500 + *m as u64
                    ),
                )
            };
            let data = if extra.is_empty() {
                format!(
                    r#"{{"role":"{role}","time":{{"created":{}}}}}"#,
                    1767312000000 + *m as u64
                )
            } else {
                format!(r#"{{"role":"{role}"{extra}}}"#)
            };
            c.execute(
                "INSERT INTO message VALUES (?1,?2,0,0,?3)",
                rusqlite::params![mid, sid, data],
            )
            .unwrap();
            let part = if m % 2 == 0 {
                format!(
                    r#"{{"type":"text","text":"prompt {m} {}"}}"#,
                    "x".repeat(2000)
                )
            } else {
                r#"{"type":"tool","callID":"c","tool":"bash","state":{"status":"error"}}"#.into()
            };
            c.execute(
                "INSERT INTO part VALUES (?1,?2,?3,0,0,?4)",
                rusqlite::params![format!("prt_{mid}"), mid, sid, part],
            )
            .unwrap();
        }
        c.execute_batch(
            r#"INSERT INTO part VALUES ('prt_orphan','msg_none','ses_000',0,0,'{"type":"text","text":"no message"}');
               INSERT INTO part VALUES ('prt_bad','msg_ses_000_000','ses_000',0,0,'{"type":');
               COMMIT;"#,
        )
        .unwrap();
        drop(c);
        let storage = dir.path().join("storage");
        write(
            &storage.join("session/proj/ses_tree.json"),
            r#"{"id":"ses_tree","directory":"/t","title":"tree only"}"#,
        );
        write(
            &storage.join("message/ses_tree/msg_t1.json"),
            r#"{"role":"user","sessionID":"ses_tree","time":{"created":1767312000000}}"#,
        );
        // A copy of a database message: counted once, from the database.
        write(
            &storage.join("message/ses_001/msg_ses_001_000.json"),
            r#"{"id":"msg_ses_001_000","role":"user","sessionID":"ses_001","time":{"created":1}}"#,
        );
        wire::MOST_HELD.with(|n| n.set(0));
        let streamed = OpencodeStore::new(dir.path()).scan();
        let most_held = wire::MOST_HELD.with(|n| n.get());
        let ids: HashSet<String> = streamed.iter().map(|s| s.id.clone()).collect();
        assert_eq!(
            ids.len(),
            sessions + 2,
            "every session, the empty and the tree's"
        );
        assert_same_as_one_by_one(dir.path(), &streamed, &ids);
        let largest = rows
            .iter()
            .fold(HashMap::<&str, usize>::new(), |mut m, (sid, _)| {
                *m.entry(sid.as_str()).or_default() += 1;
                m
            })
            .into_values()
            .max()
            .unwrap();
        assert_eq!(
            most_held,
            largest,
            "one session at a time, not {}",
            rows.len()
        );
        let s1 = streamed.iter().find(|s| s.id == "ses_001").unwrap();
        let prompts = rows
            .iter()
            .filter(|(s, m)| s == "ses_001" && m % 2 == 0)
            .count();
        assert_eq!(
            s1.facts.user_messages as usize, prompts,
            "the tree's copy is not counted again"
        );
        let tree = streamed.iter().find(|s| s.id == "ses_tree").unwrap();
        assert!(
            tree.location.ends_with("ses_tree.json"),
            "{:?}",
            tree.location
        );
        assert!(streamed
            .iter()
            .all(|s| s.facts.usage.total() > 0 || s.facts.assistant_messages == 0));
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

    /// Issue 17 (4): FIFOs named like the JSON tree's session, message and part files,
    /// and like the database, hang neither the first scan nor a change: the readable
    /// session is read, the rest skipped.
    #[cfg(unix)]
    #[test]
    fn fifos_in_the_json_tree_hang_nothing() {
        let dir = tempfile::tempdir().unwrap();
        let storage = dir.path().join("storage");
        write(
            &storage.join("session/proj/ses_ok.json"),
            r#"{"id":"ses_ok","directory":"/w","title":"fine"}"#,
        );
        write(
            &storage.join("message/ses_ok/msg_1.json"),
            r#"{"id":"msg_1","role":"user","sessionID":"ses_ok","time":{"created":1767312000000}}"#,
        );
        std::fs::create_dir_all(storage.join("part/msg_1")).unwrap();
        std::fs::create_dir_all(storage.join("message/ses_fifo")).unwrap();
        let fifos = [
            storage.join("session/proj/ses_fifo.json"),
            storage.join("message/ses_ok/msg_2.json"),
            storage.join("message/ses_fifo/msg_3.json"),
            storage.join("part/msg_1/prt_1.json"),
            dir.path().join("opencode.db"),
        ];
        for f in &fifos {
            crate::agent_file::tests::mkfifo(f);
        }
        let (tx, rx) = std::sync::mpsc::channel();
        let root = dir.path().to_path_buf();
        let changed = fifos.to_vec();
        std::thread::spawn(move || {
            let mut store = OpencodeStore::new(&root);
            let first = store.scan();
            let again = store.changed(&changed);
            let _ = tx.send((first, again));
        });
        let (first, _) = rx
            .recv_timeout(std::time::Duration::from_secs(10))
            .expect("the scan and the change answer, not wait on a FIFO");
        let ids: Vec<&str> = first.iter().map(|s| s.id.as_str()).collect();
        assert_eq!(ids, ["ses_ok"]);
        assert_eq!(first[0].facts.user_messages, 1);
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
