//! What the agents themselves say about their running sessions: their own live-state
//! files, read before anything is inferred from transcripts and working directories.
//!
//! - **Claude Code** (2.1.x) keeps `<config dir>/sessions/<pid>.json` while a process
//!   runs: `pid`, `sessionId`, `cwd`, `procStart` (the process's start time in clock
//!   ticks since boot, field 22 of `/proc/<pid>/stat` on Linux), `status` (`busy` /
//!   `idle`), `name` (what the agent shows), `updatedAt`, `statusUpdatedAt` (ms epoch).
//!   The file is removed when the process exits; one left behind by a killed process
//!   names a dead pid (or a pid now used by a process started at another time) and is
//!   ignored.
//! - **Codex CLI** (0.171) holds `$CODEX_HOME/thread-writer-locks/<thread id>.lock`
//!   (flocked) while a process writes that thread's rollout, and removes it on exit. It
//!   names no pid; the pid comes from the process holding the rollout open (see
//!   [`crate::procs::AgentProcess::open_files`]). A process killed outright leaves its
//!   lock file behind: on Linux a lock file nobody holds (its inode is not in
//!   `/proc/locks`) is stale and claims nothing.
//! - **opencode** (1.18) keeps no state file, and all its processes share one
//!   database and one log, `<data dir>/log/opencode.log`, appending lines tagged with
//!   a per-process run id (`run=7974f532 message=loop session.id=ses_…`). Each process
//!   appends through its own descriptor, whose offset sits right after the last line
//!   *it* wrote ([`crate::procs::AgentProcess::appending_logs`]): that line names the
//!   process's run, and the run's latest `session.id` (or `created id=`) names its
//!   session — a sub-agent's session resolved to its parent through the `parentID` of
//!   its `created` line. Read from the log's last [`LOG_WINDOW`] bytes before the
//!   offset; a run whose session is not there makes no claim (and stays inferred).
//!
//! The directories sit beside each transcript root (`<dir>/projects` →
//! `<dir>/sessions`; `<codex home>/sessions` → `<codex home>/thread-writer-locks`).
//! Everything here only reads; a malformed or half-written file is reported and
//! skipped, never fatal.

use std::path::{Path, PathBuf};

use chrono::{DateTime, Utc};

use crate::agents::HarnessRoot;
use crate::model::Harness;
use crate::procs::AgentProcess;

/// How much of an agent's log before a process's offset is read to find its session.
pub const LOG_WINDOW: u64 = 256 * 1024;

/// Files larger than this are not live-state files (Claude's are about 600 bytes).
const MAX_STATE_FILE: u64 = 64 * 1024;

/// What the agent says its session is doing.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AgentActivity {
    /// Working on a turn (Claude's `busy`).
    Busy,
    /// Done with its turn, waiting for the user (Claude's `idle`).
    Idle,
}

/// One running session, as its agent describes it.
#[derive(Debug, Clone, PartialEq)]
pub struct AgentClaim {
    pub harness: Harness,
    pub session_id: String,
    /// The process writing the session, when the agent names it.
    pub pid: Option<u32>,
    /// The agent's own record of when that process started (Claude's `procStart`),
    /// compared with the OS's to tell a live file from one a reused pid inherited.
    pub proc_start: Option<u64>,
    pub activity: Option<AgentActivity>,
    /// The name the agent shows for the session.
    pub name: Option<String>,
    /// When the activity last changed, as the agent says.
    pub activity_since: Option<DateTime<Utc>>,
}

/// The first versions known to keep a live-state entry for *every* running session
/// (the pinned ones this was observed on). For sessions written by these versions or
/// later, a live-state folder without an entry for the session means no process runs
/// it: the session has ended, without waiting for its file to go quiet.
const KEEPS_LIVE_STATE_SINCE: &[(Harness, &str)] = &[
    (Harness::ClaudeCode, "2.1.332"),
    (Harness::Codex, "0.171.0"),
];

/// Does `harness` at `version` keep live state for every running session?
pub fn keeps_live_state(harness: Harness, version: Option<&str>) -> bool {
    let Some(version) = version else {
        return false;
    };
    KEEPS_LIVE_STATE_SINCE
        .iter()
        .find(|(h, _)| *h == harness)
        .is_some_and(|(_, since)| version_at_least(version, since))
}

/// Compare dotted version numbers (`2.1.332` ≥ `2.1.40`); anything unparsable is not.
fn version_at_least(version: &str, since: &str) -> bool {
    let parse = |v: &str| -> Option<Vec<u64>> {
        v.split(['.', '-', '+'])
            .take(3)
            .map(|p| p.parse::<u64>().ok())
            .collect()
    };
    match (parse(version), parse(since)) {
        (Some(v), Some(s)) => v >= s,
        _ => false,
    }
}

/// The live-state directory of a transcript root, if its agent keeps one.
pub fn state_dir(root: &HarnessRoot) -> Option<PathBuf> {
    let base = root.path.parent()?;
    match root.harness {
        Harness::ClaudeCode if root.path.file_name()? == "projects" => Some(base.join("sessions")),
        Harness::Codex if root.path.file_name()? == "sessions" => {
            Some(base.join("thread-writer-locks"))
        }
        _ => None,
    }
}

/// Every claim under the live-state directories of `roots`, plus what could not be
/// read. A missing directory is no error: the agent has simply never run.
pub fn read_claims(roots: &[HarnessRoot]) -> (Vec<AgentClaim>, Vec<String>) {
    let mut claims = Vec::new();
    let mut errors = Vec::new();
    let mut seen = Vec::new();
    let held = held_lock_inodes();
    for root in roots {
        let Some(dir) = state_dir(root) else { continue };
        if seen.contains(&dir) {
            continue;
        }
        seen.push(dir.clone());
        let entries = match std::fs::read_dir(&dir) {
            Ok(e) => e,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => continue,
            Err(e) => {
                errors.push(format!("{}: {e}", dir.display()));
                continue;
            }
        };
        for entry in entries.flatten() {
            let path = entry.path();
            match root.harness {
                Harness::ClaudeCode => match read_claude(&path) {
                    Ok(Some(c)) => claims.push(c),
                    Ok(None) => {}
                    Err(e) => errors.push(format!("{}: {e}", path.display())),
                },
                Harness::Codex => claims.extend(codex_lock(&path, held.as_ref())),
                _ => {}
            }
        }
    }
    (claims, errors)
}

/// What opencode processes say through the log they append to (see the module
/// documentation): one claim per process whose run and session the log names.
pub fn read_log_claims(roots: &[HarnessRoot], processes: &[AgentProcess]) -> Vec<AgentClaim> {
    let mut claims = Vec::new();
    for proc in processes.iter().filter(|p| p.harness == Harness::Opencode) {
        for (log, offset) in &proc.appending_logs {
            let ours = roots.iter().any(|r| {
                r.harness == Harness::Opencode
                    && log.parent().is_some_and(|d| d == r.path.join("log"))
            });
            if !ours {
                continue;
            }
            let Some(window) = read_before(log, *offset, LOG_WINDOW) else {
                continue;
            };
            if let Some(session_id) = opencode_session_of_last_line(&window) {
                claims.push(AgentClaim {
                    harness: Harness::Opencode,
                    session_id,
                    pid: Some(proc.identity.pid),
                    proc_start: proc.start_ticks,
                    activity: None,
                    name: None,
                    activity_since: None,
                });
                break;
            }
        }
    }
    claims
}

/// Up to `max` bytes of `path` ending at `end`, never blocking on a special file.
fn read_before(path: &Path, end: u64, max: u64) -> Option<Vec<u8>> {
    use std::io::{Read, Seek, SeekFrom};
    let mut file = crate::agent_file::open(path).ok()?;
    let start = end.saturating_sub(max);
    file.seek(SeekFrom::Start(start)).ok()?;
    let mut buf = Vec::new();
    file.take(end - start).read_to_end(&mut buf).ok()?;
    // The file was truncated or rotated below the offset: the offset tells nothing.
    (buf.len() as u64 == end - start).then_some(buf)
}

/// The session of the run that wrote the window's last line (see the module
/// documentation); `None` when the window does not end with a whole line tagged
/// with a run, or the run names no session in it.
pub fn opencode_session_of_last_line(window: &[u8]) -> Option<String> {
    let text = String::from_utf8_lossy(window);
    let body = text.strip_suffix('\n')?;
    let last = body.rsplit('\n').next()?;
    if !last.starts_with("timestamp=") {
        return None;
    }
    let run = field(last, "run")?;
    let mut parents: std::collections::HashMap<&str, &str> = std::collections::HashMap::new();
    let mut session = None;
    for line in body.lines().rev() {
        if !line.starts_with("timestamp=") || field(line, "run") != Some(run) {
            continue;
        }
        let created = field(line, "message") == Some("created");
        if created {
            if let (Some(id), Some(parent)) = (field(line, "id"), field(line, "parentID")) {
                if parent.starts_with("ses_") {
                    parents.insert(id, parent);
                }
            }
        }
        if session.is_none() {
            session = field(line, "session.id")
                .or_else(|| created.then(|| field(line, "id")).flatten())
                .filter(|id| id.starts_with("ses_"));
        }
    }
    // A sub-agent's session works for its parent's: the parent is the row.
    let mut id = session?;
    for _ in 0..16 {
        match parents.get(id) {
            Some(parent) => id = parent,
            None => break,
        }
    }
    Some(id.to_string())
}

/// The unquoted value of `key=value` in a logfmt line. Quoted values (`title="…"`,
/// which may hold a prompt's words) are skipped whole, so text inside them cannot
/// pass for a field.
fn field<'a>(line: &'a str, key: &str) -> Option<&'a str> {
    let mut rest = line;
    loop {
        rest = rest.trim_start_matches(' ');
        if rest.is_empty() {
            return None;
        }
        let eq = rest.find(['=', ' ']).unwrap_or(rest.len());
        let name = &rest[..eq];
        rest = &rest[eq..];
        let Some(after) = rest.strip_prefix('=') else {
            continue; // a bare word
        };
        if let Some(quoted) = after.strip_prefix('"') {
            // Skip to the closing quote, past escaped ones.
            let mut escaped = false;
            let end = quoted.char_indices().find_map(|(i, c)| {
                let close = c == '"' && !escaped;
                escaped = c == '\\' && !escaped;
                close.then_some(i)
            });
            match end {
                Some(i) => rest = &quoted[i + 1..],
                None => return None, // unterminated: nothing after it is trusted
            }
            continue;
        }
        let end = after.find(' ').unwrap_or(after.len());
        let value = &after[..end];
        rest = &after[end..];
        if name == key && !value.is_empty() {
            return Some(value);
        }
    }
}

/// Claude Code's `sessions/<pid>.json`; `Ok(None)` for other files in that folder.
fn read_claude(path: &Path) -> Result<Option<AgentClaim>, String> {
    if path.extension().is_none_or(|e| e != "json") {
        return Ok(None);
    }
    // Only regular files: a FIFO or device named *.json must not block the reader.
    let meta = std::fs::metadata(path).map_err(|e| e.to_string())?;
    if !meta.is_file() {
        return Ok(None);
    }
    if meta.len() > MAX_STATE_FILE {
        return Err(format!(
            "{} bytes: too large for a live-state file",
            meta.len()
        ));
    }
    let bytes = match std::fs::read(path) {
        Ok(b) => b,
        // Removed between listing and reading: the process just exited.
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(e.to_string()),
    };
    parse_claude(&bytes).map(Some)
}

#[derive(serde::Deserialize)]
#[serde(rename_all = "camelCase")]
struct ClaudeState {
    pid: Option<u32>,
    session_id: Option<String>,
    proc_start: Option<serde_json::Value>,
    status: Option<String>,
    name: Option<String>,
    status_updated_at: Option<i64>,
}

/// Parse one Claude Code live-state file.
pub fn parse_claude(bytes: &[u8]) -> Result<AgentClaim, String> {
    let s: ClaudeState =
        serde_json::from_slice(bytes).map_err(|e| format!("not a live-state file: {e}"))?;
    let session_id = s
        .session_id
        .filter(|id| !id.is_empty())
        .ok_or("no sessionId")?;
    // `procStart` is a string of digits in 2.1.332; accept a number too.
    let proc_start = match s.proc_start {
        Some(serde_json::Value::String(t)) => t.trim().parse().ok(),
        Some(serde_json::Value::Number(n)) => n.as_u64(),
        _ => None,
    };
    Ok(AgentClaim {
        harness: Harness::ClaudeCode,
        session_id,
        pid: s.pid.filter(|p| *p > 0),
        proc_start,
        activity: match s.status.as_deref() {
            Some("busy") => Some(AgentActivity::Busy),
            Some("idle") => Some(AgentActivity::Idle),
            _ => None,
        },
        name: s.name.filter(|n| !n.trim().is_empty()),
        activity_since: crate::agents::ts_from_millis(s.status_updated_at),
    })
}

/// The inodes of every file some process holds a lock on (`/proc/locks`, Linux), or
/// `None` where that cannot be read. Inodes only: a device number can read differently
/// through an overlay, and a match on another device's inode only keeps a claim.
pub fn held_lock_inodes() -> Option<std::collections::HashSet<u64>> {
    if !cfg!(target_os = "linux") {
        return None;
    }
    let text = std::fs::read_to_string("/proc/locks").ok()?;
    Some(parse_proc_locks(&text))
}

/// `1: FLOCK  ADVISORY  WRITE 27525 fe:00:10017788 0 EOF` → 10017788 (a waiting
/// lock, `-> FLOCK ...`, is held by someone else too).
fn parse_proc_locks(text: &str) -> std::collections::HashSet<u64> {
    text.lines()
        .filter_map(|l| l.split_whitespace().find(|f| f.matches(':').count() == 2))
        .filter_map(|id| id.rsplit(':').next()?.parse().ok())
        .collect()
}

/// Codex's `thread-writer-locks/<thread id>.lock`: that thread has a live writer —
/// unless `held` (see [`held_lock_inodes`]) shows nobody holds the lock.
fn codex_lock(path: &Path, held: Option<&std::collections::HashSet<u64>>) -> Option<AgentClaim> {
    if path.extension().is_none_or(|e| e != "lock") {
        return None;
    }
    #[cfg(unix)]
    if let Some(held) = held {
        use std::os::unix::fs::MetadataExt;
        let inode = std::fs::metadata(path).ok()?.ino();
        if !held.contains(&inode) {
            return None; // left behind by a writer that was killed
        }
    }
    #[cfg(not(unix))]
    let _ = held;
    let id = path.file_stem()?.to_str()?;
    // `.coordination.lock` and anything else that is not a thread id.
    if id.starts_with('.') || id.len() < 32 {
        return None;
    }
    Some(AgentClaim {
        harness: Harness::Codex,
        session_id: id.to_string(),
        pid: None,
        proc_start: None,
        activity: None,
        name: None,
        activity_since: None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    const REAL: &str = r#"{"pid":23487,"sessionId":"6dd1feb8-3ad4-4f3d-9839-fe111773a9e4","cwd":"/tmp/al-home2/proj","startedAt":1796618106886,"procStart":"34294","version":"2.1.332","peerProtocol":1,"kind":"interactive","entrypoint":"sdk-cli","name":"proj-5e","nameSource":"derived","status":"busy","updatedAt":1796618106746,"statusUpdatedAt":1796618106746}"#;

    #[test]
    fn a_real_claude_state_file_names_pid_session_status_and_name() {
        let c = parse_claude(REAL.as_bytes()).unwrap();
        assert_eq!(c.pid, Some(23487));
        assert_eq!(c.session_id, "6dd1feb8-3ad4-4f3d-9839-fe111773a9e4");
        assert_eq!(c.proc_start, Some(34294));
        assert_eq!(c.activity, Some(AgentActivity::Busy));
        assert_eq!(c.name.as_deref(), Some("proj-5e"));
        assert_eq!(
            c.activity_since.map(|t| t.timestamp_millis()),
            Some(1796618106746)
        );
    }

    const TWO_RUNS: &str = include_str!("../../../tests/fixtures/opencode-real/two-runs.log");

    #[test]
    fn each_opencode_process_is_told_by_the_line_before_its_offset() {
        // The first process's offset: the end of its last line (line 23).
        let first_end: usize = TWO_RUNS.split_inclusive('\n').take(23).map(str::len).sum();
        let first = opencode_session_of_last_line(&TWO_RUNS.as_bytes()[..first_end]);
        assert_eq!(first.as_deref(), Some("ses_daf926046ffeC15Z1gZgwajbS3"));
        let second = opencode_session_of_last_line(TWO_RUNS.as_bytes());
        assert_eq!(second.as_deref(), Some("ses_daf922d1effeuAD54A0KAh3ikY"));
        // Not at a line's end (a torn window), or a window the run is not in: no claim.
        assert_eq!(
            opencode_session_of_last_line(&TWO_RUNS.as_bytes()[..first_end - 3]),
            None
        );
        let run_only = "timestamp=1 level=INFO run=aa message=init\n";
        assert_eq!(opencode_session_of_last_line(run_only.as_bytes()), None);
        assert_eq!(opencode_session_of_last_line(b""), None);
        assert_eq!(opencode_session_of_last_line(b"\xff\xfe\n"), None);
    }

    #[test]
    fn a_sub_agents_session_is_claimed_as_its_parents_and_quotes_hide_nothing() {
        let log = "timestamp=1 run=r1 message=created id=ses_parent parentID=undefined\n\
                   timestamp=2 run=r2 message=loop session.id=ses_other\n\
                   timestamp=3 run=r1 message=created id=ses_child parentID=ses_parent title=\"x\"\n\
                   timestamp=4 run=r1 message=loop session.id=ses_child step=0\n";
        assert_eq!(
            opencode_session_of_last_line(log.as_bytes()).as_deref(),
            Some("ses_parent")
        );
        // A title quoting fields (a prompt's words) is one value, not fields.
        let log = "timestamp=1 run=r1 message=created id=ses_a title=\"run=r1 session.id=ses_b \\\" session.id=ses_c\"\n\
                   timestamp=2 run=r1 message=\"llm runtime selected\" x=\"session.id=ses_d\"\n";
        assert_eq!(
            opencode_session_of_last_line(log.as_bytes()).as_deref(),
            Some("ses_a")
        );
        assert_eq!(field("a=1 b=\"unterminated c=3", "c"), None);
        assert_eq!(field("word a=1", "a"), Some("1"));
    }

    #[test]
    fn proc_locks_name_the_held_inodes() {
        let text = "1: FLOCK  ADVISORY  WRITE 27525 fe:00:10017788 0 EOF\n\
                    2: POSIX  ADVISORY  READ 27328 08:01:42 128 128\n\
                    2: -> FLOCK  ADVISORY  WRITE 99 fe:00:7 0 EOF\n\
                    garbage line\n";
        let held = parse_proc_locks(text);
        assert!(held.contains(&10017788) && held.contains(&42) && held.contains(&7));
        assert_eq!(held.len(), 3);
    }

    #[cfg(target_os = "linux")]
    #[test]
    fn a_codex_writer_lock_nobody_holds_is_stale() {
        use fs4::fs_std::FileExt;
        let dir = tempfile::tempdir().unwrap();
        let codex = dir.path().join(".codex");
        std::fs::create_dir_all(codex.join("thread-writer-locks")).unwrap();
        let thread = "01a250b3-ef67-7261-9b80-d40b2d7ab8c5";
        let path = codex.join(format!("thread-writer-locks/{thread}.lock"));
        let file = std::fs::File::create(&path).unwrap();
        let roots = vec![HarnessRoot {
            harness: Harness::Codex,
            path: codex.join("sessions"),
        }];
        // Left behind by a killed writer: no claim.
        assert!(read_claims(&roots).0.is_empty());
        // Held by a live writer (here: this test): the thread is claimed.
        file.lock_exclusive().unwrap();
        let (claims, _) = read_claims(&roots);
        assert_eq!(claims.len(), 1);
        assert_eq!(claims[0].session_id, thread);
        FileExt::unlock(&file).unwrap();
    }

    #[test]
    fn only_versions_known_to_keep_live_state_vouch_for_an_ended_session() {
        assert!(keeps_live_state(Harness::ClaudeCode, Some("2.1.332")));
        assert!(keeps_live_state(Harness::ClaudeCode, Some("2.2.0")));
        assert!(keeps_live_state(Harness::ClaudeCode, Some("10.0.0")));
        assert!(!keeps_live_state(Harness::ClaudeCode, Some("2.1.40")));
        assert!(!keeps_live_state(Harness::ClaudeCode, Some("garbage")));
        assert!(!keeps_live_state(Harness::ClaudeCode, None));
        assert!(keeps_live_state(Harness::Codex, Some("0.171.0")));
        assert!(!keeps_live_state(Harness::Codex, Some("0.98.1")));
        assert!(!keeps_live_state(Harness::Gemini, Some("9.9.9")));
    }

    #[test]
    fn torn_or_foreign_state_files_are_errors_not_panics() {
        assert!(parse_claude(b"{\"pid\":1,\"sessionId\":\"a").is_err());
        assert!(parse_claude(b"{\"pid\":1}").is_err());
        assert!(parse_claude(b"\xff\xfe").is_err());
        assert!(parse_claude(b"[1,2]").is_err());
    }

    #[test]
    fn claims_are_read_beside_the_roots_and_bad_files_reported() {
        let dir = tempfile::tempdir().unwrap();
        let claude = dir.path().join(".claude");
        let codex = dir.path().join(".codex");
        std::fs::create_dir_all(claude.join("sessions")).unwrap();
        std::fs::create_dir_all(codex.join("thread-writer-locks")).unwrap();
        std::fs::write(claude.join("sessions/23487.json"), REAL).unwrap();
        std::fs::write(claude.join("sessions/9.json"), "{torn").unwrap();
        std::fs::write(claude.join("sessions/23487.abc.key"), "x").unwrap();
        let thread = "01a24ec9-5024-7923-8822-e74452dfe4c6";
        let lock = codex.join(format!("thread-writer-locks/{thread}.lock"));
        std::fs::write(&lock, "").unwrap();
        // Held, as a live Codex holds it (a lock nobody holds is stale on Linux).
        let held = std::fs::File::open(&lock).unwrap();
        fs4::fs_std::FileExt::lock_shared(&held).unwrap();
        std::fs::write(codex.join("thread-writer-locks/.coordination.lock"), "").unwrap();
        let roots = vec![
            HarnessRoot {
                harness: Harness::ClaudeCode,
                path: claude.join("projects"),
            },
            HarnessRoot {
                harness: Harness::Codex,
                path: codex.join("sessions"),
            },
            HarnessRoot {
                harness: Harness::Codex,
                path: codex.join("archived_sessions"),
            },
        ];
        let (claims, errors) = read_claims(&roots);
        assert_eq!(claims.len(), 2, "{claims:?}");
        assert!(claims.iter().any(|c| c.pid == Some(23487)));
        assert!(claims
            .iter()
            .any(|c| c.harness == Harness::Codex && c.session_id == thread && c.pid.is_none()));
        assert_eq!(errors.len(), 1, "{errors:?}");
        assert!(errors[0].contains("9.json"));
    }
}
