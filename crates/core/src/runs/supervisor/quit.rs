//! Quitting with runs alive: which runs the quit policy acts on, and either handing
//! each terminal to a relay process (left running) or stopping them all.

use std::thread;
use std::time::Duration;

use super::{Supervisor, SupervisorError};
use crate::kill::KillOptions;
use crate::model::{KillResult, QuitAction, QuitPolicy, QuitReport, RunInfo, RunStatus};
use crate::procs;

impl Supervisor {
    /// The runs [`Supervisor::shutdown`] would act on, oldest first: running, and
    /// owned by this process or by no live Sessionscope; with whether this process
    /// owns each.
    fn quit_candidates(&self) -> Vec<(RunInfo, bool)> {
        let mut alive: Vec<(RunInfo, bool)> = self
            .slots()
            .values()
            .filter(|s| s.info.status == RunStatus::Running)
            .filter(|s| s.owned || !s.owner.is_some_and(procs::is_running))
            .map(|s| (s.info.clone(), s.owned))
            .collect();
        alive.sort_by_key(|a| a.0.started_at);
        alive
    }

    /// The runs quitting now would leave running or stop (see
    /// [`crate::runs::quit_notice::question`]).
    pub fn alive_at_quit(&self) -> Vec<RunInfo> {
        self.quit_candidates().into_iter().map(|(r, _)| r).collect()
    }

    /// Apply the quit policy to the runs still alive and say what was done to each.
    /// `LeaveRunning` hands each terminal this process holds to a small relay process
    /// (`cat` reading the PTY into the log), so the run neither sees a hangup nor loses
    /// output when Sessionscope exits; the next Sessionscope shows it as detached.
    /// `Stop` stops every run this process owns, and detached runs nobody owns, with
    /// `grace` before SIGKILL (all at once).
    pub fn shutdown(&self, policy: QuitPolicy, grace: Duration) -> Vec<QuitReport> {
        let alive: Vec<(String, String, bool)> = self
            .quit_candidates()
            .into_iter()
            .map(|(info, owned)| (info.id, info.name, owned))
            .collect();
        match policy {
            QuitPolicy::LeaveRunning => alive
                .into_iter()
                .map(|(id, name, owned)| {
                    let detail = if !owned {
                        "left running (it was already detached)".to_string()
                    } else {
                        match self.hand_off(&id) {
                            Ok(log) => format!("left running; its output keeps going to {log}"),
                            Err(e) => format!(
                                "left running, but its output can no longer be kept ({e}); it may stop when its terminal closes"
                            ),
                        }
                    };
                    QuitReport {
                        run_id: id,
                        name,
                        action: QuitAction::LeftRunning,
                        detail,
                    }
                })
                .collect(),
            QuitPolicy::Stop => {
                let opts = KillOptions::with_grace(grace);
                thread::scope(|scope| {
                    let handles: Vec<_> = alive
                        .into_iter()
                        .map(|(id, name, _)| {
                            scope.spawn(move || {
                                let result = self.stop_run(&id, &opts, &mut |_, _| {});
                                let (action, detail) = match result {
                                    Ok((KillResult::Stopped | KillResult::AlreadyGone, m)) => {
                                        (QuitAction::Stopped, format!("stopped: {m}"))
                                    }
                                    Ok((_, m)) => (QuitAction::StopFailed, m),
                                    Err(SupervisorError::NotRunning(_)) => {
                                        (QuitAction::Stopped, "had already ended".into())
                                    }
                                    Err(e) => (QuitAction::StopFailed, e.to_string()),
                                };
                                QuitReport {
                                    run_id: id,
                                    name,
                                    action,
                                    detail,
                                }
                            })
                        })
                        .collect();
                    handles
                        .into_iter()
                        .filter_map(|h| h.join().ok())
                        .collect()
                })
            }
        }
    }

    /// Give the run's terminal to a relay process and record that no Sessionscope owns
    /// the run any more. Returns the log path.
    #[cfg(unix)]
    fn hand_off(&self, id: &str) -> Result<String, SupervisorError> {
        use std::fs::OpenOptions;
        use std::os::fd::BorrowedFd;
        use std::os::unix::process::CommandExt;
        use std::process::Stdio;

        let (master_copy, info) = {
            let slots = self.slots();
            let slot = slots
                .get(id)
                .ok_or_else(|| SupervisorError::UnknownRun(id.into()))?;
            let fd = slot
                .master
                .as_ref()
                .and_then(|m| m.as_raw_fd())
                .ok_or_else(|| SupervisorError::NotRunning(id.into()))?;
            // SAFETY: `fd` belongs to the master held in the slot, which cannot be
            // dropped while we hold the lock; we only duplicate it.
            let copy = unsafe { BorrowedFd::borrow_raw(fd) }.try_clone_to_owned()?;
            (copy, slot.info.clone())
        };
        let log_path = info
            .log_path
            .clone()
            .ok_or_else(|| SupervisorError::NoLog(id.into()))?;
        let log = OpenOptions::new()
            .create(true)
            .append(true)
            .open(&log_path)?;
        let mut relay = std::process::Command::new("cat");
        relay
            .stdin(Stdio::from(master_copy))
            .stdout(Stdio::from(log))
            .stderr(Stdio::null())
            // Its own group: a hangup of the terminal Sessionscope was started from
            // does not reach it.
            .process_group(0);
        let mut child = relay.spawn()?;
        // Reap the relay if this process outlives it (it exits when the run does).
        thread::spawn(move || {
            let _ = child.wait();
        });
        self.record(&info, None);
        Ok(log_path)
    }

    /// Windows: the run's terminal is held by its run host (`runs::host`), which is
    /// told to let go of Sessionscope and write the output to the log itself.
    #[cfg(windows)]
    fn hand_off(&self, id: &str) -> Result<String, SupervisorError> {
        use crate::runs::host::HostedMaster;
        let (link, info) = {
            let slots = self.slots();
            let slot = slots
                .get(id)
                .ok_or_else(|| SupervisorError::UnknownRun(id.into()))?;
            let master: &dyn portable_pty::MasterPty = slot
                .master
                .as_deref()
                .ok_or_else(|| SupervisorError::NotRunning(id.into()))?;
            let link = master
                .downcast_ref::<HostedMaster>()
                .map(HostedMaster::link);
            (link, slot.info.clone())
        };
        let Some(link) = link else {
            return Err(SupervisorError::Spawn(
                "its terminal belongs to this process (it was not started through a run host), and Windows closes it when Sessionscope exits".into(),
            ));
        };
        let log_path = info
            .log_path
            .clone()
            .ok_or_else(|| SupervisorError::NoLog(id.into()))?;
        // Outside the lock: the output pump takes it for each chunk it drains.
        link.detach(Duration::from_secs(2))?;
        self.record(&info, None);
        Ok(log_path)
    }
}
