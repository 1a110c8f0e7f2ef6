//! Stopping things: which targets a kill names ([`KillTarget`]), the list one
//! confirmation dialog shows ([`KillPlan`]), and the graceful escalation that carries
//! it out, reporting every step as it happens.
//!
//! Escalation: agents that treat Ctrl-C as "stop generating" (every agent CLI we know)
//! get SIGINT first, then SIGTERM, then SIGKILL once the grace period has passed; plain
//! commands start at SIGTERM. A process that leads its own process group (a run, or an
//! agent started from an interactive shell) is signalled as a group, so the tools it
//! spawned stop with it. Before every signal the target is checked by PID *and* start
//! time: when the PID belongs to another process now, nothing is sent and the result
//! says so.
//!
//! This module never asks the user anything (the dialog belongs to the caller: the app
//! shows a native one, the CLI asks on the terminal) and never decides *what* to kill:
//! it executes exactly the plan it is given.

mod confirm;

pub use confirm::shown;

use std::time::{Duration, Instant};

use chrono::Utc;

use crate::agents::gptme::server::GptmeServerClient;
use crate::model::{
    Harness, KillEvent, KillOutcome, KillPlan, KillPlanItem, KillResult, KillStep, KillTarget,
    RunInfo, RunStatus, ServerSession, Session, StopSignal,
};
use crate::procs::{self, AgentProcess, ProcessIdentity, SignalError};

/// What a kill plan needs from the runs: the runs' supervisor
/// ([`crate::runs::supervisor::Supervisor`]) implements it, so runs use kill's signals
/// and kill never names runs (no import circle).
pub trait RunControl: Sync {
    /// Every run, oldest first.
    fn runs(&self) -> Vec<RunInfo>;
    /// One run by its id.
    fn run(&self, id: &str) -> Option<RunInfo>;
    /// Stop a run and wait until it is over, passing every step to `report`; `Err`
    /// says why nothing could be tried.
    fn stop_run(
        &self,
        id: &str,
        opts: &KillOptions,
        report: &mut dyn FnMut(KillStep, String),
    ) -> Result<(KillResult, String), String>;
}

/// Timing of an escalation.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct KillOptions {
    /// Wait after SIGTERM before SIGKILL.
    pub grace: Duration,
    /// Wait after SIGINT before SIGTERM: long enough for an agent to stop generating
    /// and exit on its own.
    pub interrupt_wait: Duration,
}

impl Default for KillOptions {
    fn default() -> Self {
        KillOptions {
            grace: Duration::from_secs(5),
            interrupt_wait: Duration::from_secs(2),
        }
    }
}

impl KillOptions {
    pub fn with_grace(grace: Duration) -> Self {
        KillOptions {
            grace,
            interrupt_wait: grace.min(KillOptions::default().interrupt_wait),
        }
    }
}

/// Does this agent treat SIGINT as "stop generating" (so it is worth sending first)?
/// See [`crate::agents::Agent::interrupts_generation`].
pub fn interrupts_generation(harness: Harness) -> bool {
    crate::agents::agent(harness).interrupts_generation()
}

/// The signals of a graceful stop, in order.
pub fn signal_sequence(interrupt_first: bool) -> Vec<StopSignal> {
    let mut s = Vec::with_capacity(3);
    if interrupt_first {
        s.push(StopSignal::Interrupt);
    }
    s.extend([StopSignal::Terminate, StopSignal::Kill]);
    s
}

/// Is this shell command an agent CLI (its first word names one)?
pub fn command_is_agent(command: &str) -> Option<Harness> {
    let first = command
        .split_whitespace()
        .find(|w| !w.contains('=') || w.starts_with('/'))?;
    let name = std::path::Path::new(first).file_name()?.to_str()?;
    procs::recognise(name, &[])
}

/// Send `signals` one after another to `who` (its group when `group`), waiting after
/// each for it to exit, and report every step through `report`. Returns how it ended.
pub fn escalate(
    who: ProcessIdentity,
    group: bool,
    signals: &[StopSignal],
    opts: &KillOptions,
    report: &mut dyn FnMut(KillStep, String),
) -> (KillResult, String) {
    let gone = |who: ProcessIdentity| {
        if group {
            !procs::group_is_running(who)
        } else {
            !procs::is_running(who)
        }
    };
    let mut last: Option<StopSignal> = None;
    for (i, &signal) in signals.iter().enumerate() {
        let sent = if group {
            procs::signal_group_checked(who, signal)
        } else {
            procs::signal_process(who, signal)
        };
        match sent {
            Ok(()) => {
                let whom = if group { "process group" } else { "process" };
                report(
                    KillStep::Signalled { signal, group },
                    format!("sent {} to {whom} {}", signal.name(), who.pid),
                );
            }
            // Gone (or its PID handed on) after an earlier signal: that signal worked.
            Err(SignalError::NoSuchProcess(_) | SignalError::PidReused(_)) if last.is_some() => {
                let msg = format!("exited after {}", last.map_or("", StopSignal::name));
                report(KillStep::Exited { after: last }, msg.clone());
                return (KillResult::Stopped, msg);
            }
            Err(SignalError::NoSuchProcess(pid)) => {
                let msg = format!("process {pid} had already exited; nothing was sent");
                report(KillStep::AlreadyGone, msg.clone());
                return (KillResult::AlreadyGone, msg);
            }
            Err(e @ SignalError::PidReused(_)) => {
                let msg = e.to_string();
                report(KillStep::PidReused, msg.clone());
                return (KillResult::Refused, msg);
            }
            Err(e @ SignalError::Forbidden { .. }) => {
                let msg = e.to_string();
                report(
                    KillStep::Failed {
                        reason: msg.clone(),
                    },
                    msg.clone(),
                );
                return (KillResult::Refused, msg);
            }
            // A polite step that cannot be delivered (on Windows: a process with no
            // console for Ctrl-C) must not stop the escalation: say so, go on.
            Err(e @ SignalError::Failed { .. })
                if signal != StopSignal::Kill && i + 1 < signals.len() =>
            {
                let msg = format!("{e}; going on to {}", signals[i + 1].name());
                report(
                    KillStep::Failed {
                        reason: msg.clone(),
                    },
                    msg,
                );
                continue;
            }
            Err(e @ SignalError::Failed { .. }) => {
                let msg = e.to_string();
                report(
                    KillStep::Failed {
                        reason: msg.clone(),
                    },
                    msg.clone(),
                );
                return (KillResult::Failed, msg);
            }
        }
        last = Some(signal);
        let wait = match signal {
            StopSignal::Interrupt => opts.interrupt_wait,
            StopSignal::Terminate => opts.grace,
            // SIGKILL cannot be caught; only an uninterruptible sleep delays it.
            StopSignal::Kill => opts.grace.max(Duration::from_secs(5)),
        };
        if wait_until(wait, || gone(who)) {
            let msg = format!("exited after {}", signal.name());
            report(
                KillStep::Exited {
                    after: Some(signal),
                },
                msg.clone(),
            );
            return (KillResult::Stopped, msg);
        }
    }
    let msg = format!(
        "process {} is still running after {}",
        who.pid,
        last.map_or("nothing", StopSignal::name)
    );
    report(
        KillStep::Failed {
            reason: msg.clone(),
        },
        msg.clone(),
    );
    (KillResult::Failed, msg)
}

/// Poll `done` until it holds or `limit` has passed; true when it held.
pub(crate) fn wait_until(limit: Duration, mut done: impl FnMut() -> bool) -> bool {
    let deadline = Instant::now() + limit;
    loop {
        if done() {
            return true;
        }
        if Instant::now() >= deadline {
            return false;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// The agent process serving `session`, as a kill target.
pub fn agent_target(session: &Session, processes: &[AgentProcess]) -> Option<KillTarget> {
    let pid = session.pid?;
    let p = processes.iter().find(|p| p.identity.pid == pid)?;
    Some(KillTarget::Agent {
        pid,
        start_time: p.identity.start_time,
        session_key: session.key.clone(),
    })
}

/// Why `session` has no kill target: its process is not running, or nothing tells
/// which of several processes in its directory writes it (and a guess could stop
/// another agent).
pub fn no_target_reason(session: &Session) -> String {
    let name = session.title.as_deref().unwrap_or(&session.id);
    if session.ambiguous {
        format!(
            "{name}: ambiguous: several {} processes run in {} and nothing says which one writes this session, so none is stopped",
            session.harness.as_str(),
            session.project.as_deref().unwrap_or("its directory")
        )
    } else {
        format!("{name}: no agent process is running for it")
    }
}

/// What a plan can be built from: the runs, sessions and processes the caller shows.
#[derive(Default)]
pub struct KillScope<'a> {
    pub supervisor: Option<&'a dyn RunControl>,
    pub sessions: &'a [Session],
    pub processes: &'a [AgentProcess],
    pub server_sessions: &'a [ServerSession],
    pub server: Option<&'a GptmeServerClient>,
}

impl KillScope<'_> {
    fn run(&self, id: &str) -> Option<RunInfo> {
        self.supervisor.and_then(|s| s.run(id))
    }

    fn harness_of_agent(&self, pid: u32) -> Option<Harness> {
        self.processes
            .iter()
            .find(|p| p.identity.pid == pid)
            .map(|p| p.harness)
    }

    /// Find what `query` names: a run id, a session id (or key), or a gptme-server
    /// session id, each also by unique prefix. Exact matches win over prefixes.
    pub fn find(&self, query: &str) -> Result<KillTarget, String> {
        let query = query.trim();
        if query.is_empty() {
            return Err("empty id".into());
        }
        let mut candidates: Vec<(bool, KillTarget, String)> = Vec::new();
        let runs = self.supervisor.map(|s| s.runs()).unwrap_or_default();
        for r in &runs {
            if r.id.starts_with(query) {
                candidates.push((
                    r.id == query,
                    KillTarget::Run {
                        run_id: r.id.clone(),
                    },
                    format!("run {} ({})", r.id, r.name),
                ));
            }
        }
        for s in self.sessions {
            if crate::sessions::short_id::matches(&s.id, query) || s.key.starts_with(query) {
                let exact = s.id == query || s.key == query;
                match agent_target(s, self.processes) {
                    Some(t) => candidates.push((
                        exact,
                        t,
                        format!("{} session {}", s.harness.as_str(), s.id),
                    )),
                    None if exact && s.ambiguous => return Err(no_target_reason(s)),
                    None if exact => {
                        return Err(format!(
                            "session {} has no running agent process to stop",
                            s.id
                        ))
                    }
                    None => {}
                }
            }
        }
        for s in self.server_sessions {
            if s.id.starts_with(query) {
                candidates.push((
                    s.id == query,
                    KillTarget::GptmeServer {
                        session_id: s.id.clone(),
                    },
                    format!("gptme-server session {}", s.id),
                ));
            }
        }
        if let Some(pos) = candidates.iter().position(|c| c.0) {
            return Ok(candidates.swap_remove(pos).1);
        }
        match candidates.len() {
            0 => Err(format!("no run or live agent session matches {query:?}")),
            1 => Ok(candidates.remove(0).1),
            _ => Err(format!(
                "{query:?} is ambiguous: {}",
                candidates
                    .iter()
                    .map(|c| c.2.as_str())
                    .collect::<Vec<_>>()
                    .join(", ")
            )),
        }
    }

    /// The dialog's list for exactly these targets, in the order given. Targets that
    /// cannot be stopped (finished run, process gone) go to `skipped` with the reason.
    pub fn plan(&self, targets: &[KillTarget], grace: Duration) -> KillPlan {
        let mut plan = KillPlan {
            items: Vec::new(),
            skipped: Vec::new(),
            grace_ms: grace.as_millis() as u64,
        };
        for target in targets {
            if plan.items.iter().any(|i| &i.target == target) {
                continue; // Selected twice: stop it once.
            }
            if let Some(why) = self.forbidden(target) {
                plan.skipped.push(why);
                continue;
            }
            match self.describe(target) {
                Ok(item) => plan.items.push(item),
                Err(why) => plan.skipped.push(why),
            }
        }
        plan
    }

    /// A target whose PID must never be signalled ([`procs::forbidden_target`]), e.g.
    /// PID 0 read from a corrupt `runs.jsonl`: said in the dialog, never sent.
    fn forbidden(&self, target: &KillTarget) -> Option<String> {
        let (pid, name) = match target {
            KillTarget::Run { run_id } => (self.run(run_id)?.pid?, format!("run {run_id}")),
            KillTarget::Agent {
                pid, session_key, ..
            } => (*pid, session_key.clone()),
            KillTarget::GptmeServer { .. } => return None,
        };
        let why = procs::forbidden_target(pid, true)?;
        Some(format!("{name}: refusing to signal PID {pid}: {why}"))
    }

    fn describe(&self, target: &KillTarget) -> Result<KillPlanItem, String> {
        match target {
            KillTarget::Run { run_id } => {
                let run = self
                    .run(run_id)
                    .ok_or_else(|| format!("run {run_id}: not in the history"))?;
                if run.status != RunStatus::Running {
                    return Err(format!("run {} ({}): not running", run.id, run.name));
                }
                let agent = command_is_agent(&run.command);
                Ok(KillPlanItem {
                    target: target.clone(),
                    label: run.name.clone(),
                    detail: format!(
                        "run {} · pid {} · {}{}",
                        run.id,
                        run.pid.map_or("?".into(), |p| p.to_string()),
                        run.command,
                        run.cwd
                            .as_deref()
                            .map(|c| format!(" · in {c}"))
                            .unwrap_or_default()
                    ),
                    signals: signal_sequence(agent.is_some_and(interrupts_generation)),
                })
            }
            KillTarget::Agent {
                pid,
                start_time,
                session_key,
            } => {
                let who = ProcessIdentity {
                    pid: *pid,
                    start_time: *start_time,
                };
                if !procs::is_running(who) {
                    return Err(format!(
                        "{session_key}: process {pid} is no longer running (or its PID belongs to another process now)"
                    ));
                }
                let session = self.sessions.iter().find(|s| &s.key == session_key);
                let harness = session
                    .map(|s| s.harness)
                    .or_else(|| self.harness_of_agent(*pid));
                let label = match (harness, session.and_then(|s| s.title.as_deref())) {
                    (Some(h), Some(t)) => format!("{} · {t}", h.as_str()),
                    (Some(h), None) => format!("{} · {session_key}", h.as_str()),
                    (None, _) => session_key.clone(),
                };
                Ok(KillPlanItem {
                    target: target.clone(),
                    label,
                    detail: format!(
                        "pid {pid}{}",
                        session
                            .and_then(|s| s.project.as_deref())
                            .map(|p| format!(" · in {p}"))
                            .unwrap_or_default()
                    ),
                    signals: signal_sequence(harness.is_some_and(interrupts_generation)),
                })
            }
            KillTarget::GptmeServer { session_id } => {
                let Some(server) = self.server else {
                    return Err(format!(
                        "gptme-server session {session_id}: no gptme-server is configured"
                    ));
                };
                let s = self.server_sessions.iter().find(|s| &s.id == session_id);
                Ok(KillPlanItem {
                    target: target.clone(),
                    label: format!(
                        "gptme-server · {}",
                        s.and_then(|s| s.conversation_id.as_deref())
                            .unwrap_or(session_id)
                    ),
                    detail: format!(
                        "session {session_id}{} · at {}",
                        s.and_then(|s| s.model.as_deref())
                            .map(|m| format!(" · {m}"))
                            .unwrap_or_default(),
                        server.base_url()
                    ),
                    signals: Vec::new(),
                })
            }
        }
    }

    /// Carry out every item of `plan` at once (grace periods overlap), calling
    /// `on_event` for each step as it happens. Returns one outcome per item, in order.
    pub fn execute(
        &self,
        plan: &KillPlan,
        opts: &KillOptions,
        on_event: &(dyn Fn(&KillEvent) + Sync),
    ) -> Vec<KillOutcome> {
        std::thread::scope(|scope| {
            let handles: Vec<_> = plan
                .items
                .iter()
                .map(|item| scope.spawn(move || self.execute_one(item, opts, on_event)))
                .collect();
            handles
                .into_iter()
                .zip(&plan.items)
                .map(|(h, item)| {
                    h.join().unwrap_or_else(|_| KillOutcome {
                        target: item.target.clone(),
                        result: KillResult::Failed,
                        message: "the kill thread panicked".into(),
                        steps: Vec::new(),
                    })
                })
                .collect()
        })
    }

    fn execute_one(
        &self,
        item: &KillPlanItem,
        opts: &KillOptions,
        on_event: &(dyn Fn(&KillEvent) + Sync),
    ) -> KillOutcome {
        let mut steps = Vec::new();
        let target = item.target.clone();
        let mut report = |step: KillStep, message: String| {
            let event = KillEvent {
                target: target.clone(),
                at: Utc::now(),
                step,
                message,
            };
            on_event(&event);
            steps.push(event);
        };
        let (result, message) = match &item.target {
            KillTarget::Run { run_id } => match self.supervisor {
                Some(sup) => match sup.stop_run(run_id, opts, &mut report) {
                    Ok(done) => done,
                    Err(e) => {
                        report(
                            KillStep::Failed {
                                reason: e.to_string(),
                            },
                            e.to_string(),
                        );
                        (KillResult::Failed, e.to_string())
                    }
                },
                None => (KillResult::Failed, "no supervisor to stop runs".into()),
            },
            KillTarget::Agent {
                pid, start_time, ..
            } => {
                let who = ProcessIdentity {
                    pid: *pid,
                    start_time: *start_time,
                };
                // Signal the group only when the agent leads it (and still is the agent):
                // never a group that also holds the user's shell.
                let group = procs::is_running(who) && procs::leads_its_group(*pid);
                escalate(who, group, &item.signals, opts, &mut report)
            }
            KillTarget::GptmeServer { session_id } => match self.server {
                Some(client) => match client.delete_session(session_id) {
                    Ok(()) => {
                        let msg = format!("gptme-server deleted session {session_id}");
                        report(KillStep::ServerDeleted, msg.clone());
                        (KillResult::Stopped, msg)
                    }
                    Err(e) => {
                        let msg = e.to_string();
                        report(
                            KillStep::Failed {
                                reason: msg.clone(),
                            },
                            msg.clone(),
                        );
                        (KillResult::Failed, msg)
                    }
                },
                None => (
                    KillResult::Failed,
                    "no gptme-server is configured".to_string(),
                ),
            },
        };
        KillOutcome {
            target: item.target.clone(),
            result,
            message,
            steps,
        }
    }
}

#[cfg(all(test, unix))]
mod tests {
    use super::*;
    use std::io::{BufRead, BufReader};
    use std::process::{Command, Stdio};
    use std::sync::Mutex;

    /// A shell that reports each signal it receives and ignores INT and TERM, so only
    /// SIGKILL can stop it. Returns once its traps are installed.
    fn stubborn_process() -> (std::process::Child, BufReader<std::process::ChildStdout>) {
        let mut child = Command::new("sh")
            .arg("-c")
            .arg("trap 'echo got-INT' INT; trap 'echo got-TERM' TERM; echo ready; while :; do sleep 0.05; done")
            .stdout(Stdio::piped())
            .spawn()
            .unwrap();
        let mut out = BufReader::new(child.stdout.take().unwrap());
        let mut line = String::new();
        out.read_line(&mut line).unwrap();
        assert_eq!(line.trim(), "ready");
        (child, out)
    }

    fn fast() -> KillOptions {
        KillOptions {
            grace: Duration::from_millis(400),
            interrupt_wait: Duration::from_millis(400),
        }
    }

    #[test]
    fn escalation_goes_int_then_term_then_kill_on_a_process_that_traps_both() {
        let (mut child, mut out) = stubborn_process();
        let who = procs::identity_of(child.id()).unwrap();
        let mut steps = Vec::new();
        // Long enough for the traps to run (and print) even on a loaded machine.
        let patient = KillOptions {
            grace: Duration::from_secs(1),
            interrupt_wait: Duration::from_secs(1),
        };
        let (result, _) = escalate(
            who,
            false,
            &signal_sequence(true),
            &patient,
            &mut |step, _| steps.push(step),
        );
        let status = child.wait().unwrap();
        use std::os::unix::process::ExitStatusExt;
        assert_eq!(status.signal(), Some(9), "only SIGKILL stopped it");
        assert_eq!(result, KillResult::Stopped);
        assert_eq!(
            steps,
            vec![
                KillStep::Signalled {
                    signal: StopSignal::Interrupt,
                    group: false
                },
                KillStep::Signalled {
                    signal: StopSignal::Terminate,
                    group: false
                },
                KillStep::Signalled {
                    signal: StopSignal::Kill,
                    group: false
                },
                KillStep::Exited {
                    after: Some(StopSignal::Kill)
                },
            ]
        );
        let mut rest = String::new();
        std::io::Read::read_to_string(&mut out, &mut rest).unwrap();
        assert!(
            rest.contains("got-INT") && rest.contains("got-TERM"),
            "the process saw both: {rest:?}"
        );
    }

    #[test]
    fn a_process_that_exits_on_sigint_gets_nothing_more() {
        let mut child = Command::new("sleep").arg("30").spawn().unwrap();
        let who = procs::identity_of(child.id()).unwrap();
        let mut steps = Vec::new();
        let (result, _) = escalate(
            who,
            false,
            &signal_sequence(true),
            &fast(),
            &mut |step, _| steps.push(step),
        );
        child.wait().unwrap();
        assert_eq!(result, KillResult::Stopped);
        assert_eq!(
            steps.last(),
            Some(&KillStep::Exited {
                after: Some(StopSignal::Interrupt)
            })
        );
        assert_eq!(steps.len(), 2);
    }

    #[test]
    fn a_faked_start_time_sends_nothing_and_says_so() {
        let (mut child, _out) = stubborn_process();
        let real = procs::identity_of(child.id()).unwrap();
        let fake = ProcessIdentity {
            pid: real.pid,
            start_time: real.start_time + 7,
        };
        let mut steps = Vec::new();
        let (result, message) = escalate(
            fake,
            false,
            &signal_sequence(true),
            &fast(),
            &mut |step, _| steps.push(step),
        );
        assert_eq!(result, KillResult::Refused);
        assert_eq!(steps, vec![KillStep::PidReused]);
        assert!(message.contains("nothing was sent"), "{message}");
        assert!(child.try_wait().unwrap().is_none(), "still running");
        child.kill().unwrap();
        child.wait().unwrap();
    }

    #[test]
    fn an_exited_process_is_reported_gone_without_signals() {
        let mut child = Command::new("true").spawn().unwrap();
        let who = procs::identity_of(child.id());
        child.wait().unwrap();
        let who = who.unwrap_or(ProcessIdentity {
            pid: child.id(),
            start_time: 0,
        });
        let mut steps = Vec::new();
        let (result, _) = escalate(who, false, &signal_sequence(false), &fast(), &mut |s, _| {
            steps.push(s)
        });
        // Reaped: the PID is free (AlreadyGone) or, rarely, already reused (Refused).
        assert!(matches!(
            result,
            KillResult::AlreadyGone | KillResult::Refused
        ));
        assert_eq!(steps.len(), 1);
    }

    /// Issue 20 item 1: two agents of one kind in one directory. Without anything to
    /// tell them apart Kill refuses; with their live state, the plan for A names A's
    /// pid only, and B survives A's kill.
    #[test]
    fn two_agents_in_one_directory_kill_only_the_chosen_one_or_refuse() {
        use crate::agents::HarnessRoot;
        use crate::sessions::index::SessionIndex;
        let base = tempfile::tempdir().unwrap();
        let root = base.path().join("projects");
        let state = base.path().join("sessions");
        let project = root.join("-w-p");
        std::fs::create_dir_all(&project).unwrap();
        let now = chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Millis, true);
        for id in ["sess-a", "sess-b"] {
            std::fs::write(
                project.join(format!("{id}.jsonl")),
                format!(
                    r#"{{"type":"user","sessionId":"{id}","timestamp":"{now}","cwd":"/w/p","message":{{"role":"user","content":"work {id}"}}}}"#
                ) + "\n",
            )
            .unwrap();
        }
        let mut a = Command::new("sleep").arg("30").spawn().unwrap();
        let mut b = Command::new("sleep").arg("30").spawn().unwrap();
        let processes: Vec<AgentProcess> = [&a, &b]
            .iter()
            .map(|ch| AgentProcess {
                identity: procs::identity_of(ch.id()).unwrap(),
                harness: Harness::ClaudeCode,
                cwd: Some("/w/p".into()),
                open_files: Vec::new(),
                appending_logs: Vec::new(),
                start_ticks: procs::start_ticks(ch.id()),
                parent_pid: None,
                running_command: false,
            })
            .collect();
        let mut index = SessionIndex::new(vec![HarnessRoot {
            harness: Harness::ClaudeCode,
            path: root.clone(),
        }]);
        index.scan_all(chrono::Utc::now());
        index.refresh_status(processes.clone(), chrono::Utc::now());
        let sessions = index.sessions();
        let scope = KillScope {
            sessions: &sessions,
            processes: &processes,
            ..Default::default()
        };
        for id in ["sess-a", "sess-b"] {
            let refused = scope.find(id).unwrap_err();
            assert!(refused.contains("ambiguous"), "{refused}");
        }

        // The live state Claude Code writes beside `projects` tells them apart.
        std::fs::create_dir_all(&state).unwrap();
        for (child, id) in [(&a, "sess-a"), (&b, "sess-b")] {
            let ticks = procs::start_ticks(child.id())
                .map(|t| format!(r#","procStart":"{t}""#))
                .unwrap_or_default();
            std::fs::write(
                state.join(format!("{}.json", child.id())),
                format!(
                    r#"{{"pid":{},"sessionId":"{id}","status":"busy"{ticks}}}"#,
                    child.id()
                ),
            )
            .unwrap();
        }
        index.refresh_status(processes.clone(), chrono::Utc::now());
        let sessions = index.sessions();
        let scope = KillScope {
            sessions: &sessions,
            processes: &processes,
            ..Default::default()
        };
        let target = scope.find("sess-a").unwrap();
        let plan = scope.plan(&[target], Duration::from_millis(300));
        assert_eq!(plan.items.len(), 1);
        match &plan.items[0].target {
            KillTarget::Agent { pid, .. } => assert_eq!(*pid, a.id()),
            other => panic!("unexpected target {other:?}"),
        }
        assert!(!plan.items[0].detail.contains(&b.id().to_string()));
        let outcomes = scope.execute(&plan, &fast(), &|_| {});
        assert_eq!(outcomes[0].result, KillResult::Stopped);
        a.wait().unwrap();
        assert!(b.try_wait().unwrap().is_none(), "B must survive A's kill");
        b.kill().unwrap();
        b.wait().unwrap();
    }

    #[test]
    fn a_bulk_plan_lists_exactly_the_selected_items() {
        let mut a = Command::new("sleep").arg("30").spawn().unwrap();
        let mut b = Command::new("sleep").arg("30").spawn().unwrap();
        let mut c = Command::new("sleep").arg("30").spawn().unwrap();
        let ids: Vec<ProcessIdentity> = [&a, &b, &c]
            .iter()
            .map(|ch| procs::identity_of(ch.id()).unwrap())
            .collect();
        let processes: Vec<AgentProcess> = ids
            .iter()
            .map(|&identity| AgentProcess {
                identity,
                harness: Harness::Codex,
                cwd: None,
                open_files: Vec::new(),
                appending_logs: Vec::new(),
                start_ticks: None,
                parent_pid: None,
                running_command: false,
            })
            .collect();
        let target = |i: usize| KillTarget::Agent {
            pid: ids[i].pid,
            start_time: ids[i].start_time,
            session_key: format!("codex:s{i}"),
        };
        let scope = KillScope {
            processes: &processes,
            ..Default::default()
        };
        // The user selected a and c (c twice), plus a process that no longer exists.
        let stale = KillTarget::Agent {
            pid: ids[1].pid,
            start_time: ids[1].start_time + 3,
            session_key: "codex:stale".into(),
        };
        let plan = scope.plan(
            &[target(0), target(2), target(2), stale],
            Duration::from_millis(300),
        );
        let listed: Vec<&KillTarget> = plan.items.iter().map(|i| &i.target).collect();
        assert_eq!(listed, vec![&target(0), &target(2)]);
        assert_eq!(plan.skipped.len(), 1);
        assert!(plan.skipped[0].contains("codex:stale"));
        assert_eq!(
            plan.items[0].signals,
            vec![
                StopSignal::Interrupt,
                StopSignal::Terminate,
                StopSignal::Kill
            ]
        );

        let events = Mutex::new(Vec::new());
        let outcomes = scope.execute(&plan, &fast(), &|e| {
            events.lock().unwrap().push(e.target.clone())
        });
        assert_eq!(outcomes.len(), 2);
        assert!(outcomes.iter().all(|o| o.result == KillResult::Stopped));
        a.wait().unwrap();
        c.wait().unwrap();
        assert!(b.try_wait().unwrap().is_none(), "b was not selected");
        assert!(events
            .lock()
            .unwrap()
            .iter()
            .all(|t| t == &target(0) || t == &target(2)));
        b.kill().unwrap();
        b.wait().unwrap();
    }

    #[test]
    fn a_mixed_plan_stops_a_run_and_a_server_session_and_skips_a_finished_run() {
        use crate::model::RunRequest;
        use crate::runs::supervisor::Supervisor;
        let dir = tempfile::tempdir().unwrap();
        let sup = Supervisor::new(dir.path(), |_| {});
        let req = |c: &str| RunRequest {
            name: c.into(),
            command: c.into(),
            ..Default::default()
        };
        let live = sup.start(req("sleep 30")).unwrap();
        let done = sup.start(req("true")).unwrap();
        let done = sup.wait(&done.id).unwrap();
        let (url, seen) = crate::agents::gptme::server::test_server::serve(
            vec![serde_json::json!({"id": "srv-1", "conversation_id": "conv", "generating": true})],
            None,
        );
        let client = GptmeServerClient::new(&url, None);
        let server_sessions = client.sessions().unwrap();
        let scope = KillScope {
            supervisor: Some(&sup),
            server_sessions: &server_sessions,
            server: Some(&client),
            ..Default::default()
        };
        let targets = [
            KillTarget::Run {
                run_id: live.id.clone(),
            },
            KillTarget::Run {
                run_id: done.id.clone(),
            },
            KillTarget::GptmeServer {
                session_id: "srv-1".into(),
            },
        ];
        let plan = scope.plan(&targets, Duration::from_secs(2));
        let listed: Vec<&KillTarget> = plan.items.iter().map(|i| &i.target).collect();
        assert_eq!(listed, vec![&targets[0], &targets[2]]);
        assert_eq!(
            plan.skipped,
            vec![format!("run {} (true): not running", done.id)]
        );
        assert_eq!(plan.items[0].label, "sleep 30");
        assert_eq!(
            plan.items[0].signals,
            vec![StopSignal::Terminate, StopSignal::Kill],
            "a plain command gets no SIGINT"
        );
        assert!(plan.items[1].signals.is_empty());

        let outcomes = scope.execute(&plan, &fast(), &|_| {});
        let results: Vec<KillResult> = outcomes.iter().map(|o| o.result).collect();
        assert_eq!(results, vec![KillResult::Stopped, KillResult::Stopped]);
        assert_eq!(outcomes[1].steps[0].step, KillStep::ServerDeleted);
        assert_eq!(sup.run(&live.id).unwrap().status, RunStatus::Killed);
        let requests = seen.lock().unwrap().clone();
        assert_eq!(requests.last().unwrap().0, "DELETE");
        assert_eq!(requests.last().unwrap().1, "/api/v2/sessions/srv-1");
        // Found by unique prefix too; the finished run is still found, by exact id.
        assert_eq!(scope.find("srv"), Ok(targets[2].clone()));
        assert_eq!(scope.find(&done.id), Ok(targets[1].clone()));
        assert!(scope.find("zzz").is_err());
    }

    #[test]
    fn agent_commands_are_recognised_from_the_first_word() {
        assert_eq!(command_is_agent("claude -p hi"), Some(Harness::ClaudeCode));
        assert_eq!(
            command_is_agent("FOO=1 /usr/local/bin/codex exec x"),
            Some(Harness::Codex)
        );
        assert_eq!(command_is_agent("cargo test"), None);
        assert_eq!(command_is_agent(""), None);
    }
}
