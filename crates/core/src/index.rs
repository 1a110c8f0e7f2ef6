//! The live session table: one entry per transcript file under the harness roots, each
//! with its [`TailCursor`] and parser, turned into [`Session`] rows.
//!
//! The table is fed three kinds of news and answers each with a [`SessionChange`]
//! holding only the rows that really changed:
//! - [`SessionIndex::scan_all`]: walk every root (start-up, or a root that appeared);
//! - [`SessionIndex::paths_changed`]: the watcher saw these paths change; only the new
//!   bytes of each file are read;
//! - [`SessionIndex::refresh_status`]: time passed or processes came and went, so
//!   statuses are re-inferred without reading any file.
//!
//! Deleted files keep their row, marked `gone`, so the user still sees what vanished.
//! This module does no watching and no process scanning of its own.

use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};

use chrono::{DateTime, Utc};

use crate::harness::{self, HarnessRoot, TranscriptParser};
use crate::model::{Session, SessionChange, SessionCounts};
use crate::procs::AgentProcess;
use crate::status::{Liveness, StatusInputs, StatusRules};
use crate::tail::{TailCursor, TailEvent};

struct TrackedFile {
    root: HarnessRoot,
    cursor: TailCursor,
    parser: Box<dyn TranscriptParser>,
    mtime: Option<DateTime<Utc>>,
    gone: bool,
    /// The row as last published, to publish only real changes.
    published: Option<Session>,
}

/// See the module documentation.
pub struct SessionIndex {
    roots: Vec<HarnessRoot>,
    files: BTreeMap<PathBuf, TrackedFile>,
    rules: StatusRules,
    processes: Vec<AgentProcess>,
    /// Read errors other than "not found" (unreadable files or directories).
    pub read_errors: Vec<String>,
}

impl SessionIndex {
    pub fn new(roots: Vec<HarnessRoot>) -> Self {
        SessionIndex {
            roots,
            files: BTreeMap::new(),
            rules: StatusRules::default(),
            processes: Vec::new(),
            read_errors: Vec::new(),
        }
    }

    pub fn roots(&self) -> &[HarnessRoot] {
        &self.roots
    }

    pub fn with_rules(mut self, rules: StatusRules) -> Self {
        self.rules = rules;
        self
    }

    /// Every row, most recent activity first.
    pub fn sessions(&self) -> Vec<Session> {
        let mut rows: Vec<Session> = self
            .files
            .values()
            .filter_map(|f| f.published.clone())
            .collect();
        rows.sort_by(|a, b| {
            b.last_activity
                .cmp(&a.last_activity)
                .then(a.key.cmp(&b.key))
        });
        rows
    }

    pub fn counts(&self) -> SessionCounts {
        SessionCounts::of(self.files.values().filter_map(|f| f.published.as_ref()))
    }

    /// Walk every root and read every transcript found (new bytes only for known ones).
    pub fn scan_all(&mut self, now: DateTime<Utc>) -> SessionChange {
        let roots = self.roots.clone();
        let mut change = SessionChange::default();
        for root in &roots {
            change.merge(self.scan_dir(root, &root.path, now));
        }
        change
    }

    /// The watcher reports these paths (files or directories) as changed.
    pub fn paths_changed(&mut self, paths: &[PathBuf], now: DateTime<Utc>) -> SessionChange {
        let mut change = SessionChange::default();
        for path in paths {
            if path.is_dir() {
                if let Some(root) = self.root_of(path) {
                    change.merge(self.scan_dir(&root, path, now));
                }
                continue;
            }
            if self.files.contains_key(path) {
                change.merge(self.read_file(path, now));
                continue;
            }
            if let Some(root) = self.root_of(path) {
                if harness::is_transcript(root.harness, &root.path, path) {
                    self.track(root, path.clone());
                    change.merge(self.read_file(path, now));
                    continue;
                }
            }
            // A removed directory: every tracked file under it may be gone.
            let under: Vec<PathBuf> = self
                .files
                .range(path.clone()..)
                .take_while(|(p, _)| p.starts_with(path))
                .map(|(p, _)| p.clone())
                .collect();
            for p in under {
                change.merge(self.read_file(&p, now));
            }
        }
        change
    }

    /// Re-infer every status with fresh process information and the current time.
    pub fn refresh_status(
        &mut self,
        processes: Vec<AgentProcess>,
        now: DateTime<Utc>,
    ) -> SessionChange {
        self.processes = processes;
        let keys: Vec<PathBuf> = self.files.keys().cloned().collect();
        let mut change = SessionChange::default();
        let owners = self.process_owners();
        for path in keys {
            if let Some(row) = self.publish(&path, &owners, now) {
                change.upserted.push(row);
            }
        }
        change
    }

    fn root_of(&self, path: &Path) -> Option<HarnessRoot> {
        self.roots
            .iter()
            .find(|r| path.starts_with(&r.path))
            .cloned()
    }

    fn track(&mut self, root: HarnessRoot, path: PathBuf) {
        let parser = harness::parser_for(root.harness, &path);
        self.files.insert(
            path.clone(),
            TrackedFile {
                root,
                cursor: TailCursor::new(path),
                parser,
                mtime: None,
                gone: false,
                published: None,
            },
        );
    }

    fn scan_dir(&mut self, root: &HarnessRoot, dir: &Path, now: DateTime<Utc>) -> SessionChange {
        let mut found = Vec::new();
        self.walk(root, dir, 0, &mut found);
        let mut change = SessionChange::default();
        for path in found {
            if !self.files.contains_key(&path) {
                self.track(root.clone(), path.clone());
            }
            change.merge(self.read_file(&path, now));
        }
        change
    }

    /// Collect transcript files below `dir`; transcripts are at most a few levels deep.
    fn walk(&mut self, root: &HarnessRoot, dir: &Path, depth: usize, out: &mut Vec<PathBuf>) {
        const MAX_DEPTH: usize = 6;
        let entries = match std::fs::read_dir(dir) {
            Ok(e) => e,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return,
            Err(e) => {
                self.read_errors.push(format!("{}: {e}", dir.display()));
                return;
            }
        };
        for entry in entries.flatten() {
            let path = entry.path();
            let Ok(kind) = entry.file_type() else {
                continue;
            };
            if kind.is_dir() && depth < MAX_DEPTH {
                self.walk(root, &path, depth + 1, out);
            } else if kind.is_file() && harness::is_transcript(root.harness, &root.path, &path) {
                out.push(path);
            }
        }
    }

    /// Read the new bytes of one tracked file and publish its row if it changed.
    fn read_file(&mut self, path: &Path, now: DateTime<Utc>) -> SessionChange {
        let Some(file) = self.files.get_mut(path) else {
            return SessionChange::default();
        };
        let mut lines_applied = 0usize;
        let parser = &mut file.parser;
        let harness = file.root.harness;
        let result = file.cursor.read_new(|line| {
            parser.apply_line(line);
            lines_applied += 1;
        });
        match result {
            Ok(TailEvent::Gone) => file.gone = true,
            Ok(TailEvent::Reset) => {
                // Start over: rebuild the facts from the lines just read again.
                file.gone = false;
                let mut fresh = harness::parser_for(harness, path);
                let mut cursor = TailCursor::new(path);
                let _ = cursor.read_new(|line| fresh.apply_line(line));
                file.parser = fresh;
                file.cursor = cursor;
            }
            Ok(TailEvent::Appended) => file.gone = false,
            Err(e) => self.read_errors.push(format!("{}: {e}", path.display())),
        }
        if let Some(file) = self.files.get_mut(path) {
            if !file.gone {
                file.mtime = std::fs::metadata(path)
                    .and_then(|m| m.modified())
                    .ok()
                    .map(DateTime::<Utc>::from);
            }
        }
        let owners = self.process_owners();
        let mut change = SessionChange::default();
        if let Some(row) = self.publish(path, &owners, now) {
            change.upserted.push(row);
        }
        change
    }

    /// Which session file each agent process is writing: for every process, the most
    /// recently active session of its harness whose project is the process's cwd.
    fn process_owners(&self) -> HashMap<PathBuf, u32> {
        let mut owners = HashMap::new();
        for proc in &self.processes {
            let Some(cwd) = proc.cwd.as_deref() else {
                continue;
            };
            let best = self
                .files
                .iter()
                .filter(|(_, f)| !f.gone && f.root.harness == proc.harness)
                .filter(|(_, f)| f.parser.facts().project.as_deref().map(Path::new) == Some(cwd))
                .max_by_key(|(_, f)| last_write(f));
            if let Some((path, _)) = best {
                owners.insert(path.clone(), proc.identity.pid);
            }
        }
        owners
    }

    /// Build the row of `path`; return it when it differs from the published one.
    fn publish(
        &mut self,
        path: &Path,
        owners: &HashMap<PathBuf, u32>,
        now: DateTime<Utc>,
    ) -> Option<Session> {
        let file = self.files.get_mut(path)?;
        let facts = file.parser.facts();
        let pid = owners.get(path).copied();
        let status = self.rules.infer(StatusInputs {
            turn: facts.turn,
            last_write: last_write(file),
            liveness: if pid.is_some() {
                Liveness::Alive
            } else {
                Liveness::NotFound
            },
            now,
        });
        let (file_id, parent_id) = harness::ids_from_path(file.root.harness, path);
        let id = file_id;
        let status_since = match &file.published {
            Some(old) if old.status == status => old.status_since,
            _ => last_write(file).or(Some(now)),
        };
        let row = Session {
            key: format!("{}:{}", file.root.harness.as_str(), id),
            id,
            harness: file.root.harness,
            title: facts.title.clone(),
            project: facts.project.clone(),
            git_branch: facts.git_branch.clone(),
            model: facts.model.clone(),
            models: facts.models.clone(),
            started_at: facts.started_at,
            last_activity: facts.last_activity.or(file.mtime),
            status_since,
            user_messages: facts.user_messages,
            assistant_messages: facts.assistant_messages,
            tool_calls: facts.tool_calls,
            tool_errors: facts.tool_errors,
            usage: facts.usage,
            parse_errors: facts.parse_errors + file.cursor.oversized_lines() as u32,
            status,
            pid,
            path: path.to_string_lossy().into_owned(),
            gone: file.gone,
            parent_id,
        };
        if file.published.as_ref() == Some(&row) {
            return None;
        }
        file.published = Some(row.clone());
        Some(row)
    }
}

fn last_write(file: &TrackedFile) -> Option<DateTime<Utc>> {
    let facts = file.parser.facts();
    match (facts.last_activity, file.mtime) {
        (Some(a), Some(b)) => Some(a.max(b)),
        (a, b) => a.or(b),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{Harness, Status};
    use std::io::Write;

    const PROMPT: &str = r#"{"type":"user","sessionId":"abc","timestamp":"2026-01-05T10:00:00.000Z","cwd":"/w/p","message":{"role":"user","content":"hello"}}"#;
    const ANSWER: &str = r#"{"type":"assistant","sessionId":"abc","timestamp":"2026-01-05T10:00:02.000Z","requestId":"r","message":{"id":"m","model":"claude-sonnet-4-5","stop_reason":"end_turn","content":[{"type":"text","text":"hi"}],"usage":{"input_tokens":5,"output_tokens":2}}}"#;

    fn setup() -> (tempfile::TempDir, SessionIndex, PathBuf) {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path().join("projects");
        std::fs::create_dir_all(root.join("-w-p")).unwrap();
        let idx = SessionIndex::new(vec![HarnessRoot {
            harness: Harness::ClaudeCode,
            path: root.clone(),
        }]);
        let file = root.join("-w-p").join("abc.jsonl");
        (dir, idx, file)
    }

    fn append(path: &Path, line: &str) {
        let mut f = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(path)
            .unwrap();
        writeln!(f, "{line}").unwrap();
    }

    #[test]
    fn scan_then_append_publishes_only_the_changed_row() {
        let (_d, mut idx, file) = setup();
        append(&file, PROMPT);
        let now = Utc::now();
        let c = idx.scan_all(now);
        assert_eq!(c.upserted.len(), 1);
        assert_eq!(c.upserted[0].key, "claude-code:abc");
        assert_eq!(c.upserted[0].message_count(), 1);
        assert_eq!(c.upserted[0].status, Status::Generating);
        // Nothing changed: nothing published.
        assert!(idx
            .paths_changed(std::slice::from_ref(&file), now)
            .is_empty());
        append(&file, ANSWER);
        let c = idx.paths_changed(std::slice::from_ref(&file), now);
        assert_eq!(c.upserted.len(), 1);
        assert_eq!(c.upserted[0].message_count(), 2);
        assert_eq!(c.upserted[0].usage.input_tokens, 5);
        assert_eq!(c.upserted[0].model.as_deref(), Some("claude-sonnet-4-5"));
    }

    #[test]
    fn new_file_in_new_project_dir_is_found_from_its_directory_event() {
        let (_d, mut idx, file) = setup();
        idx.scan_all(Utc::now());
        let new_dir = file.parent().unwrap().parent().unwrap().join("-w-q");
        std::fs::create_dir_all(&new_dir).unwrap();
        append(&new_dir.join("def.jsonl"), PROMPT);
        let c = idx.paths_changed(&[new_dir], Utc::now());
        assert_eq!(c.upserted.len(), 1);
        assert_eq!(c.upserted[0].id, "def");
    }

    #[test]
    fn deleted_file_keeps_its_row_marked_gone() {
        let (_d, mut idx, file) = setup();
        append(&file, PROMPT);
        idx.scan_all(Utc::now());
        std::fs::remove_file(&file).unwrap();
        let c = idx.paths_changed(std::slice::from_ref(&file), Utc::now());
        assert!(c.upserted[0].gone);
        assert_eq!(idx.sessions().len(), 1);
    }

    #[test]
    fn truncated_file_is_recounted_from_scratch() {
        let (_d, mut idx, file) = setup();
        append(&file, PROMPT);
        append(&file, ANSWER);
        idx.scan_all(Utc::now());
        std::fs::write(&file, format!("{PROMPT}\n")).unwrap();
        let c = idx.paths_changed(std::slice::from_ref(&file), Utc::now());
        assert_eq!(c.upserted[0].message_count(), 1);
        assert_eq!(c.upserted[0].usage.input_tokens, 0);
    }

    #[test]
    fn a_process_in_the_project_dir_keeps_the_session_alive() {
        let (_d, mut idx, file) = setup();
        append(&file, PROMPT);
        append(&file, ANSWER);
        let later = Utc::now() + chrono::Duration::minutes(5);
        idx.scan_all(later);
        let c = idx.refresh_status(Vec::new(), later);
        let status = c
            .upserted
            .first()
            .map(|s| s.status)
            .unwrap_or(idx.sessions()[0].status);
        assert_eq!(status, Status::Ended);
        let proc = AgentProcess {
            identity: crate::procs::ProcessIdentity {
                pid: 4242,
                start_time: 1,
            },
            harness: Harness::ClaudeCode,
            cwd: Some(PathBuf::from("/w/p")),
        };
        let c = idx.refresh_status(vec![proc], Utc::now());
        assert_eq!(c.upserted[0].status, Status::WaitingForInput);
        assert_eq!(c.upserted[0].pid, Some(4242));
    }
}
