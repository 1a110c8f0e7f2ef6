//! Stopping a run: the graceful signal sequence of [`crate::kill`] sent to the run's
//! process group (named by PID and start time), and what the run's status becomes.

use std::sync::mpsc;
use std::thread;
use std::time::Duration;

use super::{Supervisor, SupervisorError, LOST_REASON};
use crate::kill::{interrupts_generation, signal_sequence, KillOptions, RunControl};
use crate::model::{KillResult, KillStep, RunInfo, RunStatus};
use crate::procs;

impl Supervisor {
    /// Stop a run gracefully in the background (see [`Supervisor::stop_run`]) with
    /// `grace` before SIGKILL. Returns once the first signal is sent, or with the
    /// reason nothing was sent; the status becomes `Killed` on exit.
    pub fn kill(&self, id: &str, grace: Duration) -> Result<(), SupervisorError> {
        let pid = {
            let slots = self.slots();
            let slot = slots
                .get(id)
                .ok_or_else(|| SupervisorError::UnknownRun(id.into()))?;
            if slot.info.status != RunStatus::Running {
                return Err(SupervisorError::NotRunning(id.into()));
            }
            slot.info
                .pid
                .ok_or_else(|| SupervisorError::NotRunning(id.into()))?
        };
        let (tx, rx) = mpsc::channel();
        let this = self.clone();
        let run_id = id.to_string();
        thread::spawn(move || {
            let mut first = Some(tx);
            let result = this.stop_run(&run_id, &KillOptions::with_grace(grace), &mut |step, _| {
                if let Some(tx) = first.take() {
                    let _ = tx.send(Ok(step));
                }
            });
            if let (Err(e), Some(tx)) = (result, first.take()) {
                let _ = tx.send(Err(e));
            }
        });
        match rx.recv() {
            Ok(Ok(KillStep::Signalled { .. } | KillStep::Exited { .. })) => Ok(()),
            Ok(Ok(KillStep::PidReused)) => Err(procs::SignalError::PidReused(pid).into()),
            Ok(Ok(KillStep::Failed { reason })) => {
                Err(procs::SignalError::Failed { pid, reason }.into())
            }
            Ok(Ok(_)) | Err(_) => Err(SupervisorError::NotRunning(id.into())),
            Ok(Err(e)) => Err(e),
        }
    }

    /// Stop a run and wait until it is over: SIGINT first when the command is an agent
    /// CLI, then SIGTERM to the process group, SIGKILL after `opts.grace`. Every step is
    /// passed to `report` as it happens. A run's process is named by PID and start
    /// time: if the PID now belongs to another process, nothing is sent.
    pub fn stop_run(
        &self,
        id: &str,
        opts: &KillOptions,
        report: &mut dyn FnMut(KillStep, String),
    ) -> Result<(KillResult, String), SupervisorError> {
        let (who, signals, owned) = {
            let mut slots = self.slots();
            let slot = slots
                .get_mut(id)
                .ok_or_else(|| SupervisorError::UnknownRun(id.into()))?;
            if slot.info.status != RunStatus::Running {
                return Err(SupervisorError::NotRunning(id.into()));
            }
            let who = slot.identity();
            slot.kill_requested = who.is_some();
            let agent = crate::kill::command_is_agent(&slot.info.command);
            (
                who,
                signal_sequence(agent.is_some_and(interrupts_generation)),
                slot.owned,
            )
        };
        if !owned && who.is_some() {
            if let Err(e) = self.inner.history.request_kill(id) {
                self.warn(format!("could not note the kill of run {id}: {e}"));
            }
        }
        let (result, message) = match who {
            Some(who) => crate::kill::escalate(who, true, &signals, opts, report),
            None => {
                let msg = format!("run {id}: its process cannot be identified; nothing was sent");
                report(KillStep::AlreadyGone, msg.clone());
                (KillResult::AlreadyGone, msg)
            }
        };
        match (result, owned) {
            // The waiter thread records the exit (as Killed): wait for it.
            (KillResult::Stopped, true) => {
                crate::kill::wait_until(Duration::from_secs(5), || {
                    self.run(id).is_none_or(|r| r.status != RunStatus::Running)
                });
            }
            (KillResult::Stopped, false) => {
                // A live owner records the exit with its signal (it reads our kill
                // request); only without one do we record it ourselves.
                let owner = self.slots().get(id).and_then(|s| s.owner);
                crate::kill::wait_until(Duration::from_secs(3), || {
                    // Checked before reading: an owner records the end before it exits.
                    let owner_gone = !owner.is_some_and(procs::is_running);
                    self.sync_with_history(true);
                    owner_gone || self.run(id).is_none_or(|r| r.status != RunStatus::Running)
                });
                if self.run(id).is_some_and(|r| r.status == RunStatus::Running) {
                    self.mark_ended(id, RunStatus::Killed, "killed by the user");
                }
            }
            // Nothing was sent: the run ends (or ended) on its own.
            (KillResult::AlreadyGone | KillResult::Refused, true) => {
                if let Some(slot) = self.slots().get_mut(id) {
                    slot.kill_requested = false;
                }
            }
            (KillResult::AlreadyGone | KillResult::Refused, false) => {
                self.mark_ended(id, RunStatus::Failed, LOST_REASON);
            }
            (KillResult::Failed, _) => {}
        }
        Ok((result, message))
    }
}

impl RunControl for Supervisor {
    fn runs(&self) -> Vec<RunInfo> {
        Supervisor::runs(self)
    }
    fn run(&self, id: &str) -> Option<RunInfo> {
        Supervisor::run(self, id)
    }
    fn stop_run(
        &self,
        id: &str,
        opts: &KillOptions,
        report: &mut dyn FnMut(KillStep, String),
    ) -> Result<(KillResult, String), String> {
        Supervisor::stop_run(self, id, opts, report).map_err(|e| e.to_string())
    }
}
