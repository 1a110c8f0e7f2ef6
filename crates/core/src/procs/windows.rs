//! Windows arm of `procs`: a run's "group" is its job object ([`super::job`]); an
//! agent started elsewhere is its process tree. Interrupt and Terminate are Ctrl-C and
//! Ctrl-Break sent to the target's console ([`super::console_ctrl`]): every agent CLI
//! stops generating on Ctrl-C, and Node and Python exit on Ctrl-Break. Kill ends the
//! job, else the process (with its descendants when the whole group was meant).

use super::console_ctrl::{self, ConsoleEvent};
use super::job::{self, Job};
use super::{SignalError, StopSignal};

pub fn group_exists(leader: u32) -> bool {
    Job::open(leader).is_some() || super::is_alive(leader)
}

pub fn group_has_live_members(leader: u32) -> bool {
    match Job::open(leader) {
        Some(job) => job.active_processes().is_ok_and(|n| n > 0),
        None => super::is_alive(leader),
    }
}

/// A console event reaches everything on the target's console, as a signal to a
/// process group reaches its members on Unix.
pub fn leads_group(_pid: u32) -> bool {
    true
}

/// Windows has no pidfd; the start-time check guards the PID.
pub struct Handle;

impl Handle {
    pub fn none() -> Handle {
        Handle
    }

    pub fn open(_pid: u32) -> Result<Handle, SignalError> {
        Ok(Handle)
    }
}

/// 4 is the System process (0, the idle process, is refused for every OS).
pub fn forbidden(pid: u32, _group: bool) -> Option<&'static str> {
    (pid == 4).then_some("PID 4 is the Windows System process")
}

pub fn send(
    _handle: &Handle,
    pid: u32,
    signal: StopSignal,
    group: bool,
) -> Result<(), SignalError> {
    let failed = |reason: String| SignalError::Failed { pid, reason };
    match signal {
        StopSignal::Interrupt => console_ctrl::send(pid, ConsoleEvent::CtrlC).map_err(failed),
        StopSignal::Terminate => console_ctrl::send(pid, ConsoleEvent::CtrlBreak).map_err(failed),
        StopSignal::Kill if group => {
            if let Some(job) = Job::open(pid) {
                return job.terminate().map_err(|e| failed(e.to_string()));
            }
            let Some(leader) = super::identity_of(pid) else {
                return Err(SignalError::NoSuchProcess(pid));
            };
            match job::stop_tree(leader) {
                Ok(0) => Err(SignalError::NoSuchProcess(pid)),
                Ok(_) => Ok(()),
                Err(e) => Err(failed(e.to_string())),
            }
        }
        StopSignal::Kill => {
            let mut sys = sysinfo::System::new();
            let spid = sysinfo::Pid::from_u32(pid);
            sys.refresh_processes(sysinfo::ProcessesToUpdate::Some(&[spid]), true);
            match sys.process(spid) {
                Some(p) if p.kill() => Ok(()),
                Some(_) => Err(failed("TerminateProcess failed".into())),
                None => Err(SignalError::NoSuchProcess(pid)),
            }
        }
    }
}
