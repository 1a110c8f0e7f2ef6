//! Which agent process writes which session: the agent's own word first, inference
//! second, and "ambiguous" rather than a guess that could point Kill at the wrong
//! process.
//!
//! In order, each step only over the processes and sessions no earlier step took:
//! 1. **The agent says so.** A live-state claim ([`crate::agent_state`]) naming a pid
//!    that runs (and, where both sides know it, started at the tick the claim
//!    records) gives that pid to the claimed session, with the agent's busy/idle and
//!    name. A claim whose pid is dead or reused is stale and ignored. A process the
//!    agent accounts for is never guessed onto another session, even when its own
//!    session has no transcript yet.
//! 2. **The process holds the transcript open** (Codex keeps its rollout open), or the
//!    lock in the session's folder: gptme's `.lock`, Copilot's `inuse.<pid>.hold`.
//! 3. **Working directory.** The processes of one harness left in one directory and
//!    that directory's sessions, newest first (sessions the agent marked live without a
//!    pid, e.g. Codex's writer locks, before the others): one process takes the newest
//!    session; with several processes nothing tells them apart, so the newest sessions,
//!    one per process, are alive but [`Owner::ambiguous`] and get no pid.
//!
//! Pure: no I/O, no clock.

use std::collections::{HashMap, HashSet};
use std::path::{Path, PathBuf};

use chrono::{DateTime, Utc};

use crate::agent_state::{AgentActivity, AgentClaim};
use crate::model::Harness;
use crate::procs::AgentProcess;

/// How a session's process was found.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MatchedBy {
    AgentState,
    OpenFile,
    WorkingDirectory,
}

/// The live side of one session.
#[derive(Debug, Clone, PartialEq)]
pub struct Owner {
    /// The process writing the session; `None` when it is alive but which process it
    /// is cannot be told ([`Owner::ambiguous`]), or the agent marked it live without a
    /// pid.
    pub pid: Option<u32>,
    pub matched_by: Option<MatchedBy>,
    /// Several processes of this harness share the session's directory and nothing
    /// says which one writes it.
    pub ambiguous: bool,
    pub activity: Option<AgentActivity>,
    pub activity_since: Option<DateTime<Utc>>,
    pub name: Option<String>,
    /// The process's persistent shell runs a command
    /// ([`AgentProcess::running_command`]).
    pub running_command: bool,
}

/// What the matcher needs to know of one tracked session.
pub struct Candidate<'a> {
    pub path: &'a Path,
    pub harness: Harness,
    pub session_id: &'a str,
    /// The working directory the transcript records.
    pub project: Option<&'a str>,
    /// Gemini's SHA-256 of the project root, matched against a hashed cwd.
    pub project_hash: Option<&'a str>,
    pub last_write: Option<DateTime<Utc>>,
    /// A sub-agent's transcript: it carries its parent's session id, but the parent's
    /// live state says nothing about whether the sub-agent still works.
    pub is_subagent: bool,
}

/// Match `processes` and `claims` to `candidates`; see the module documentation.
/// `hash_cwd` turns an agent's cwd into the project key it files sessions under, when
/// that is not the cwd itself ([`crate::agents::Agent::project_hash`]). `runs(pid, proc_start)` answers
/// for a claimed pid the last process scan did not see (it started since).
pub fn match_owners(
    candidates: &[Candidate<'_>],
    processes: &[AgentProcess],
    claims: &[AgentClaim],
    hash_cwd: impl Fn(Harness, &Path) -> Option<String>,
    runs: impl Fn(u32, Option<u64>) -> bool,
) -> HashMap<PathBuf, Owner> {
    let mut owners: HashMap<PathBuf, Owner> = HashMap::new();
    // Processes of one agent (a launcher and its worker) count as one: each is known
    // by its family's topmost agent process, and a family is matched at most once.
    let family = families(processes);
    let fam = |pid: u32| family.get(&pid).copied().unwrap_or(pid);
    let mut used_pids: HashSet<u32> = HashSet::new();

    // 1. Claims with a pid that runs.
    let mut live_without_pid: HashSet<(Harness, &str)> = HashSet::new();
    for claim in claims {
        let Some(pid) = claim.pid else {
            live_without_pid.insert((claim.harness, claim.session_id.as_str()));
            continue;
        };
        match processes.iter().find(|p| p.identity.pid == pid) {
            Some(proc) => {
                if let (Some(claimed), Some(actual)) = (claim.proc_start, proc.start_ticks) {
                    if claimed != actual {
                        continue; // stale: the pid now belongs to a process started later
                    }
                }
            }
            // Not in the last scan: started since, or gone (stale).
            None if runs(pid, claim.proc_start) => {}
            None => continue,
        }
        used_pids.insert(fam(pid));
        let claimed = candidates.iter().filter(|c| {
            c.harness == claim.harness && c.session_id == claim.session_id && !c.is_subagent
        });
        for c in claimed {
            owners.insert(
                c.path.to_path_buf(),
                Owner {
                    pid: Some(pid),
                    matched_by: Some(MatchedBy::AgentState),
                    ambiguous: false,
                    activity: claim.activity,
                    activity_since: claim.activity_since,
                    name: claim.name.clone(),
                    running_command: processes
                        .iter()
                        .any(|p| p.identity.pid == pid && p.running_command),
                },
            );
        }
    }

    // 2. Transcripts held open.
    for proc in processes {
        if used_pids.contains(&fam(proc.identity.pid)) {
            continue;
        }
        for c in candidates {
            if c.harness == proc.harness
                && !owners.contains_key(c.path)
                && proc.open_files.iter().any(|f| holds(c.harness, f, c.path))
            {
                owners.insert(c.path.to_path_buf(), owned(proc, MatchedBy::OpenFile));
                used_pids.insert(fam(proc.identity.pid));
            }
        }
    }

    // 3. The rest, by working directory. A family counts once per directory, by the
    // topmost of its members there (a launcher may sit elsewhere than its worker).
    let mut groups: HashMap<(Harness, &Path), Vec<&AgentProcess>> = HashMap::new();
    for proc in processes {
        if used_pids.contains(&fam(proc.identity.pid)) {
            continue;
        }
        if let Some(cwd) = proc.cwd.as_deref() {
            let group = groups.entry((proc.harness, cwd)).or_default();
            match group
                .iter_mut()
                .find(|p| fam(p.identity.pid) == fam(proc.identity.pid))
            {
                // The family's root wins over a deeper member.
                Some(kept) if proc.identity.pid == fam(proc.identity.pid) => *kept = proc,
                Some(_) => {}
                None => group.push(proc),
            }
        }
    }
    for ((harness, cwd), procs) in groups {
        let cwd_hash = hash_cwd(harness, cwd);
        let mut here: Vec<&Candidate> = candidates
            .iter()
            .filter(|c| c.harness == harness && !owners.contains_key(c.path))
            .filter(|c| {
                c.project.map(Path::new) == Some(cwd)
                    || (cwd_hash.is_some() && c.project_hash == cwd_hash.as_deref())
            })
            .collect();
        // Newest first; sessions the agent marked live lead.
        here.sort_by_key(|c| {
            (
                !live_without_pid.contains(&(c.harness, c.session_id)),
                std::cmp::Reverse(c.last_write),
            )
        });
        if let [only] = procs.as_slice() {
            if let Some(c) = here.first() {
                owners.insert(
                    c.path.to_path_buf(),
                    owned(only, MatchedBy::WorkingDirectory),
                );
            }
            continue;
        }
        for c in here.iter().take(procs.len()) {
            owners.insert(
                c.path.to_path_buf(),
                Owner {
                    pid: None,
                    matched_by: Some(MatchedBy::WorkingDirectory),
                    ambiguous: true,
                    activity: None,
                    activity_since: None,
                    name: None,
                    running_command: false,
                },
            );
        }
    }

    // Sessions the agent marked live that no process was found for (another user's
    // process, or a platform where open files cannot be listed): alive, pid unknown.
    for c in candidates {
        if !owners.contains_key(c.path) && live_without_pid.contains(&(c.harness, c.session_id)) {
            owners.insert(
                c.path.to_path_buf(),
                Owner {
                    pid: None,
                    matched_by: Some(MatchedBy::AgentState),
                    ambiguous: false,
                    activity: None,
                    activity_since: None,
                    name: None,
                    running_command: false,
                },
            );
        }
    }
    owners
}

/// Each agent process's family: the topmost of its ancestors that is an agent process
/// of the same harness (itself when its parent is not one).
fn families(processes: &[AgentProcess]) -> HashMap<u32, u32> {
    let by_pid: HashMap<u32, &AgentProcess> =
        processes.iter().map(|p| (p.identity.pid, p)).collect();
    processes
        .iter()
        .map(|p| {
            let mut top = p;
            // Bounded: a pid cycle cannot happen in a real table, but input is input.
            for _ in 0..64 {
                match top.parent_pid.and_then(|pp| by_pid.get(&pp)) {
                    Some(parent)
                        if parent.harness == p.harness
                            && parent.identity.pid != top.identity.pid =>
                    {
                        top = parent
                    }
                    _ => break,
                }
            }
            (p.identity.pid, top.identity.pid)
        })
        .collect()
}

/// Does holding `open` open mean writing the transcript at `path`? The transcript
/// itself, or the lock its agent holds in the transcript's folder while it runs:
/// gptme's `.lock`, Copilot CLI's `inuse.<pid>.hold` (1.0).
fn holds(harness: Harness, open: &Path, path: &Path) -> bool {
    if open == path {
        return true;
    }
    let name = open
        .file_name()
        .map(|n| n.to_string_lossy())
        .unwrap_or_default();
    crate::agents::agent(harness).is_lock_file(&name) && open.parent() == path.parent()
}

fn owned(proc: &AgentProcess, how: MatchedBy) -> Owner {
    Owner {
        pid: Some(proc.identity.pid),
        matched_by: Some(how),
        ambiguous: false,
        activity: None,
        activity_since: None,
        name: None,
        running_command: proc.running_command,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::procs::ProcessIdentity;
    use chrono::TimeZone;

    fn proc(pid: u32, harness: Harness, cwd: &str) -> AgentProcess {
        AgentProcess {
            identity: ProcessIdentity { pid, start_time: 1 },
            harness,
            cwd: Some(PathBuf::from(cwd)),
            open_files: Vec::new(),
            appending_logs: Vec::new(),
            start_ticks: Some(1000 + pid as u64),
            parent_pid: None,
            running_command: false,
        }
    }

    fn cand<'a>(path: &'a Path, id: &'a str, harness: Harness, minute: u32) -> Candidate<'a> {
        Candidate {
            path,
            harness,
            session_id: id,
            project: Some("/w/p"),
            project_hash: None,
            last_write: Some(Utc.with_ymd_and_hms(2026, 12, 7, 10, minute, 0).unwrap()),
            is_subagent: false,
        }
    }

    fn claim(id: &str, pid: u32, start: u64, activity: AgentActivity) -> AgentClaim {
        AgentClaim {
            harness: Harness::ClaudeCode,
            session_id: id.into(),
            pid: Some(pid),
            proc_start: Some(start),
            activity: Some(activity),
            name: Some(format!("name-{id}")),
            activity_since: None,
        }
    }

    fn no_hash(_: Harness, _: &Path) -> Option<String> {
        None
    }

    fn match_owners(
        c: &[Candidate<'_>],
        p: &[AgentProcess],
        claims: &[AgentClaim],
        h: fn(Harness, &Path) -> Option<String>,
    ) -> HashMap<PathBuf, Owner> {
        super::match_owners(c, p, claims, h, |pid, _| pid == 4000)
    }

    #[test]
    fn a_claim_for_a_process_newer_than_the_last_scan_is_believed() {
        let a = PathBuf::from("/r/a.jsonl");
        let cands = [cand(&a, "a", Harness::ClaudeCode, 1)];
        let o = match_owners(
            &cands,
            &[],
            &[claim("a", 4000, 1, AgentActivity::Busy)],
            no_hash,
        );
        assert_eq!(o[&a].pid, Some(4000));
        let o = match_owners(
            &cands,
            &[],
            &[claim("a", 4001, 1, AgentActivity::Busy)],
            no_hash,
        );
        assert!(o.is_empty());
    }

    #[test]
    fn two_claude_processes_in_one_directory_each_get_their_own_session() {
        let (a, b) = (PathBuf::from("/r/a.jsonl"), PathBuf::from("/r/b.jsonl"));
        let cands = [
            cand(&a, "a", Harness::ClaudeCode, 1),
            cand(&b, "b", Harness::ClaudeCode, 2),
        ];
        let procs = [
            proc(10, Harness::ClaudeCode, "/w/p"),
            proc(20, Harness::ClaudeCode, "/w/p"),
        ];
        let claims = [
            claim("a", 10, 1010, AgentActivity::Busy),
            claim("b", 20, 1020, AgentActivity::Idle),
        ];
        let o = match_owners(&cands, &procs, &claims, no_hash);
        assert_eq!(o[&a].pid, Some(10));
        assert_eq!(o[&a].activity, Some(AgentActivity::Busy));
        assert_eq!(o[&a].name.as_deref(), Some("name-a"));
        assert_eq!(o[&b].pid, Some(20));
        assert_eq!(o[&b].activity, Some(AgentActivity::Idle));
        assert!(!o[&a].ambiguous && !o[&b].ambiguous);
    }

    #[test]
    fn without_anything_to_tell_them_apart_two_processes_are_ambiguous_and_name_no_pid() {
        let (a, b, old) = (
            PathBuf::from("/r/a.jsonl"),
            PathBuf::from("/r/b.jsonl"),
            PathBuf::from("/r/old.jsonl"),
        );
        let cands = [
            cand(&old, "old", Harness::ClaudeCode, 0),
            cand(&a, "a", Harness::ClaudeCode, 1),
            cand(&b, "b", Harness::ClaudeCode, 2),
        ];
        let procs = [
            proc(10, Harness::ClaudeCode, "/w/p"),
            proc(20, Harness::ClaudeCode, "/w/p"),
        ];
        let o = match_owners(&cands, &procs, &[], no_hash);
        for p in [&a, &b] {
            assert!(o[p].ambiguous, "{p:?}");
            assert_eq!(o[p].pid, None, "a guessed pid could kill the other agent");
        }
        assert!(
            !o.contains_key(&old),
            "two processes, the two newest sessions"
        );
    }

    #[test]
    fn one_process_in_a_directory_takes_its_newest_session() {
        let (a, b) = (PathBuf::from("/r/a.jsonl"), PathBuf::from("/r/b.jsonl"));
        let cands = [
            cand(&a, "a", Harness::Codex, 1),
            cand(&b, "b", Harness::Codex, 2),
        ];
        let o = match_owners(&cands, &[proc(10, Harness::Codex, "/w/p")], &[], no_hash);
        assert_eq!(o[&b].pid, Some(10));
        assert_eq!(o[&b].matched_by, Some(MatchedBy::WorkingDirectory));
        assert!(!o.contains_key(&a));
    }

    #[test]
    fn a_stale_claim_is_ignored_and_its_process_guessed_no_further() {
        let (a, b) = (PathBuf::from("/r/a.jsonl"), PathBuf::from("/r/b.jsonl"));
        let cands = [
            cand(&a, "a", Harness::ClaudeCode, 1),
            cand(&b, "b", Harness::ClaudeCode, 2),
        ];
        // Pid 10 was reused by a process started at another tick: the claim is stale.
        let o = match_owners(
            &cands,
            &[proc(10, Harness::ClaudeCode, "/w/p")],
            &[claim("a", 10, 999, AgentActivity::Busy)],
            no_hash,
        );
        assert!(!o.contains_key(&a));
        assert_eq!(
            o[&b].pid,
            Some(10),
            "the reused pid falls back to inference"
        );
        // A claim for a dead pid: nothing.
        let o = match_owners(
            &cands,
            &[],
            &[claim("a", 77, 1077, AgentActivity::Busy)],
            no_hash,
        );
        assert!(o.is_empty());
        // A live claim whose session has no transcript yet still keeps its process
        // from being guessed onto an older session in the same directory.
        let o = match_owners(
            &cands,
            &[proc(10, Harness::ClaudeCode, "/w/p")],
            &[claim("new", 10, 1010, AgentActivity::Idle)],
            no_hash,
        );
        assert!(o.is_empty(), "{o:?}");
    }

    #[test]
    fn open_files_tell_two_codex_processes_apart() {
        let (a, b) = (PathBuf::from("/r/a.jsonl"), PathBuf::from("/r/b.jsonl"));
        let cands = [
            cand(&a, "a", Harness::Codex, 1),
            cand(&b, "b", Harness::Codex, 2),
        ];
        let mut p1 = proc(10, Harness::Codex, "/w/p");
        p1.open_files = vec![a.clone()];
        let mut p2 = proc(20, Harness::Codex, "/w/p");
        p2.open_files = vec![b.clone()];
        let o = match_owners(&cands, &[p1, p2], &[], no_hash);
        assert_eq!(o[&a].pid, Some(10));
        assert_eq!(o[&b].pid, Some(20));
        assert_eq!(o[&a].matched_by, Some(MatchedBy::OpenFile));
    }

    #[test]
    fn a_gptme_process_holding_its_conversation_lock_owns_that_conversation() {
        let (a, b) = (
            PathBuf::from("/logs/2026-12-07-a/conversation.jsonl"),
            PathBuf::from("/logs/2026-12-07-b/conversation.jsonl"),
        );
        let cands = [
            cand(&a, "a", Harness::Gptme, 2),
            cand(&b, "b", Harness::Gptme, 1),
        ];
        let mut p = proc(10, Harness::Gptme, "/w/p");
        p.open_files = vec![PathBuf::from("/logs/2026-12-07-b/.lock")];
        let mut q = proc(20, Harness::Gptme, "/w/p");
        q.open_files = vec![PathBuf::from("/logs/2026-12-07-a/.lock")];
        // Only q's shell runs a command: only its conversation shows it.
        q.running_command = true;
        let o = match_owners(&cands, &[p, q], &[], no_hash);
        assert_eq!(o[&b].pid, Some(10));
        assert_eq!(o[&a].pid, Some(20));
        assert!(o[&a].running_command);
        assert!(!o[&b].running_command);
    }

    #[test]
    fn copilot_processes_are_told_apart_by_the_hold_file_in_their_session_folder() {
        // Copilot CLI 1.0.102: node launcher + native worker each; the worker holds
        // `<session>/inuse.<pid>.hold` open while it runs.
        let (a, b) = (
            PathBuf::from("/cs/aaaa/events.jsonl"),
            PathBuf::from("/cs/bbbb/events.jsonl"),
        );
        let cands = [
            cand(&a, "aaaa", Harness::Copilot, 1),
            cand(&b, "bbbb", Harness::Copilot, 2),
        ];
        let launcher = |pid| proc(pid, Harness::Copilot, "/w/p");
        let worker = |pid: u32, parent: u32, session: &str| {
            let mut w = proc(pid, Harness::Copilot, "/w/p");
            w.parent_pid = Some(parent);
            w.open_files = vec![
                PathBuf::from(format!("/cs/{session}/inuse.{pid}.hold")),
                PathBuf::from("/h/.copilot/logs/.copilot-log.lock"),
            ];
            w
        };
        let procs = [
            launcher(10),
            worker(11, 10, "aaaa"),
            launcher(20),
            worker(21, 20, "bbbb"),
        ];
        let o = match_owners(&cands, &procs, &[], no_hash);
        assert_eq!(o[&a].pid, Some(11));
        assert_eq!(o[&b].pid, Some(21));
        assert!(!o[&a].ambiguous && !o[&b].ambiguous);
        // A hold file in another session's folder, or another agent's, proves nothing.
        assert!(!holds(
            Harness::Copilot,
            Path::new("/cs/bbbb/inuse.11.hold"),
            &a
        ));
        assert!(!holds(
            Harness::Gemini,
            Path::new("/cs/aaaa/inuse.11.hold"),
            &a
        ));
        assert!(!holds(
            Harness::Copilot,
            Path::new("/cs/aaaa/other.hold"),
            &a
        ));
    }

    #[test]
    fn an_opencode_claim_from_its_log_tells_two_processes_in_one_directory_apart() {
        let (a, b) = (PathBuf::from("/oc/#ses_a"), PathBuf::from("/oc/#ses_b"));
        let cands = [
            cand(&a, "ses_a", Harness::Opencode, 1),
            cand(&b, "ses_b", Harness::Opencode, 2),
        ];
        let procs = [
            proc(10, Harness::Opencode, "/w/p"),
            proc(20, Harness::Opencode, "/w/p"),
        ];
        let log_claim = |id: &str, pid: u32| AgentClaim {
            harness: Harness::Opencode,
            session_id: id.into(),
            pid: Some(pid),
            proc_start: Some(1000 + u64::from(pid)),
            activity: None,
            name: None,
            activity_since: None,
        };
        // The older session belongs to the newer process here: no guessing by age.
        let o = match_owners(
            &cands,
            &procs,
            &[log_claim("ses_a", 20), log_claim("ses_b", 10)],
            no_hash,
        );
        assert_eq!(o[&a].pid, Some(20));
        assert_eq!(o[&b].pid, Some(10));
        // One process's log says nothing yet: the other's claim stands, and the silent
        // one is the only process left in the directory, so it takes the session left.
        let o = match_owners(&cands, &procs, &[log_claim("ses_a", 20)], no_hash);
        assert_eq!(o[&a].pid, Some(20));
        assert_eq!(o[&b].pid, Some(10));
        // Neither says: ambiguous, no pid on either row.
        let o = match_owners(&cands, &procs, &[], no_hash);
        assert!(o[&a].ambiguous && o[&b].ambiguous);
        assert_eq!((o[&a].pid, o[&b].pid), (None, None));
    }

    #[test]
    fn a_launcher_and_its_worker_are_one_agent_not_two() {
        let (a, old) = (PathBuf::from("/r/a.jsonl"), PathBuf::from("/r/old.jsonl"));
        let cands = [
            cand(&a, "a", Harness::Gemini, 2),
            cand(&old, "old", Harness::Gemini, 1),
        ];
        let launcher = proc(10, Harness::Gemini, "/w/p");
        let mut worker = proc(11, Harness::Gemini, "/w/p");
        worker.parent_pid = Some(10);
        let o = match_owners(&cands, &[launcher, worker], &[], no_hash);
        assert_eq!(o[&a].pid, Some(10), "the process the user started");
        assert!(!o[&a].ambiguous);
        assert!(!o.contains_key(&old), "one agent, one session");

        // Codex: the native worker holds the rollout open; its npm launcher must not
        // then be guessed onto an older session in the same directory.
        let cands = [
            cand(&a, "a", Harness::Codex, 2),
            cand(&old, "old", Harness::Codex, 1),
        ];
        let launcher = proc(20, Harness::Codex, "/w/p");
        let mut worker = proc(21, Harness::Codex, "/w/p");
        worker.parent_pid = Some(20);
        worker.open_files = vec![a.clone()];
        let o = match_owners(&cands, &[launcher, worker], &[], no_hash);
        assert_eq!(o[&a].pid, Some(21));
        assert!(!o.contains_key(&old), "{o:?}");
    }

    #[test]
    fn a_launcher_in_another_directory_does_not_hide_its_worker() {
        let a = PathBuf::from("/r/a.jsonl");
        let cands = [cand(&a, "a", Harness::Opencode, 2)];
        let launcher = proc(10, Harness::Opencode, "/elsewhere");
        let mut worker = proc(11, Harness::Opencode, "/w/p");
        worker.parent_pid = Some(10);
        let o = match_owners(&cands, &[launcher, worker], &[], no_hash);
        assert_eq!(o[&a].pid, Some(11));
        assert!(!o[&a].ambiguous);
    }

    #[test]
    fn a_session_the_agent_marks_live_without_a_pid_is_alive() {
        let a = PathBuf::from("/r/a.jsonl");
        let cands = [cand(&a, "a", Harness::Codex, 1)];
        let lock = AgentClaim {
            harness: Harness::Codex,
            session_id: "a".into(),
            pid: None,
            proc_start: None,
            activity: None,
            name: None,
            activity_since: None,
        };
        let o = match_owners(&cands, &[], &[lock], no_hash);
        assert_eq!(o[&a].pid, None);
        assert!(!o[&a].ambiguous);
    }
}
