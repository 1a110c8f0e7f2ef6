//! Keeping the runs in step with the shared history (`runs.jsonl`): recording starts
//! and ends, folding in what other Sessionscope processes wrote, ending detached runs
//! whose process vanished, and clearing finished runs for everyone.

use std::sync::{Arc, Weak};
use std::thread;

use chrono::Utc;

use super::{
    duration_ms, lock, Inner, RunSlot, Supervisor, LOST_REASON, MONITOR_PERIOD, UNWATCHED_REASON,
};
use crate::model::{RunInfo, RunStatus};
use crate::procs::{self, ProcessIdentity};

impl Supervisor {
    pub(super) fn record(&self, info: &RunInfo, owner: Option<ProcessIdentity>) {
        if let Err(e) = self.inner.history.record(info, owner) {
            self.warn(format!(
                "could not save run {} to the history: {e}",
                info.id
            ));
        }
    }

    /// Mark a run this process does not own as ended (it was killed, or it vanished).
    pub(super) fn mark_ended(&self, id: &str, status: RunStatus, reason: &str) -> Option<RunInfo> {
        let info = {
            let mut slots = self.slots();
            let slot = slots.get_mut(id)?;
            if slot.info.status != RunStatus::Running {
                return None;
            }
            let now = Utc::now();
            let info = &mut slot.info;
            info.status = status;
            info.reason = Some(reason.to_string());
            info.ended_at = Some(now);
            info.duration_ms = Some(duration_ms(info.started_at, now));
            info.detached = false;
            let info = info.clone();
            self.record(&info, None);
            slot.subscribers.clear();
            info
        };
        self.notify(&info);
        Some(info)
    }

    /// Fold in what other Sessionscope processes wrote to the history: runs they
    /// started, ended or cleared. Runs this process owns are never overwritten.
    pub(super) fn sync_with_history(&self, notify: bool) {
        let stamp = self.inner.history.stamp();
        let snapshot = match self.inner.history.load() {
            Ok(s) => s,
            Err(e) => {
                self.warn(format!("could not read the run history: {e}"));
                return;
            }
        };
        *lock(&self.inner.seen_stamp) = stamp;
        if snapshot.bad_lines > 0 && !notify {
            self.warn(format!(
                "{} unreadable line(s) in {}",
                snapshot.bad_lines,
                self.inner.history.path().display()
            ));
        }
        let ring = self.ring_bytes();
        let mut changed = Vec::new();
        {
            let mut slots = self.slots();
            let mut order = lock(&self.inner.order);
            for entry in snapshot.entries {
                match slots.get_mut(&entry.run.id) {
                    Some(slot) if slot.owned => {}
                    Some(slot) => {
                        let kill_requested = slot.kill_requested;
                        let fresh = RunSlot::adopted(entry, ring);
                        if fresh.info != slot.info {
                            slot.info = fresh.info;
                            slot.owner = fresh.owner;
                            slot.kill_requested = kill_requested;
                            changed.push(slot.info.clone());
                        }
                    }
                    None => {
                        let id = entry.run.id.clone();
                        let slot = RunSlot::adopted(entry, ring);
                        changed.push(slot.info.clone());
                        slots.insert(id.clone(), slot);
                        order.push(id);
                    }
                }
            }
            for id in snapshot.cleared {
                if slots
                    .get(&id)
                    .is_some_and(|s| s.info.status != RunStatus::Running)
                {
                    slots.remove(&id);
                    order.retain(|o| o != &id);
                }
            }
        }
        if notify {
            for info in &changed {
                self.notify(info);
            }
        }
    }

    /// End the detached runs whose process is gone and whose owner cannot record it.
    pub(super) fn check_detached(&self) {
        let candidates: Vec<(
            String,
            Option<ProcessIdentity>,
            Option<ProcessIdentity>,
            bool,
        )> = self
            .slots()
            .iter()
            .filter(|(_, s)| !s.owned && s.info.status == RunStatus::Running)
            .map(|(id, s)| (id.clone(), s.identity(), s.owner, s.kill_requested))
            .collect();
        for (id, identity, owner, killed) in candidates {
            if identity.is_some_and(procs::group_is_running) {
                continue;
            }
            // Its owner lives on: it waits for the exit and records the real status.
            if owner.is_some_and(procs::is_running) {
                continue;
            }
            // An owner records the end before it exits: read again before judging, or
            // a stale "running" would overwrite the real status.
            self.sync_with_history(true);
            if self.run(&id).is_none_or(|r| r.status != RunStatus::Running) {
                continue;
            }
            let (status, reason) = match (killed, owner) {
                (true, _) => (RunStatus::Killed, "killed by the user"),
                (false, Some(_)) => (RunStatus::Failed, LOST_REASON),
                (false, None) => (RunStatus::Failed, UNWATCHED_REASON),
            };
            self.mark_ended(&id, status, reason);
        }
    }

    pub(super) fn spawn_monitor(&self) {
        let weak: Weak<Inner> = Arc::downgrade(&self.inner);
        let _ = thread::Builder::new()
            .name("run-history".into())
            .spawn(move || loop {
                thread::sleep(MONITOR_PERIOD);
                let Some(inner) = weak.upgrade() else { return };
                let sup = Supervisor { inner };
                if sup.inner.history.stamp() != *lock(&sup.inner.seen_stamp) {
                    sup.sync_with_history(true);
                }
                sup.check_detached();
            });
    }

    /// Forget every run that is no longer running (their logs stay on disk). Other
    /// Sessionscope processes sharing the history forget them too.
    pub fn clear_finished(&self) -> Vec<String> {
        let done: Vec<String> = {
            let mut slots = self.slots();
            let done: Vec<String> = slots
                .iter()
                .filter(|(_, s)| s.info.status != RunStatus::Running)
                .map(|(id, _)| id.clone())
                .collect();
            for id in &done {
                slots.remove(id);
            }
            done
        };
        lock(&self.inner.order).retain(|id| !done.contains(id));
        if let Err(e) = self.inner.history.clear(&done) {
            self.warn(format!("could not save cleared runs to the history: {e}"));
        }
        done
    }
}
