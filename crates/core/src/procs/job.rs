//! Windows job objects: a run's whole process tree as one thing to stop.
//!
//! Windows has no process groups that a signal reaches. Each run is put in a job object
//! right after it starts; every process it spawns afterwards joins the same job, so
//! ending the job ends the grandchildren too (what `killpg` does on Unix).
//!
//! The job is *named* after the run's first process, so any Sessionscope process — the
//! CLI's `kill`, a second app — finds the job of a run that another one started, as
//! long as the owner holds it. The owner holds it while that process runs (so its PID
//! cannot be handed to another process meanwhile: the owner also holds the process)
//! and lets go when it exits, as a Unix run's group stops being signalled then. It is
//! created without "kill on close": a crash of Sessionscope does not take runs down.
//!
//! The process is assigned a moment after it was created (portable-pty creates it; a
//! suspended start is not offered). A shell that spawns a child in that first instant
//! could leave the child outside; [`stop_tree`] still finds such a child through its
//! parent link.

use std::io;

use windows_sys::Win32::Foundation::{CloseHandle, FALSE, HANDLE};
use windows_sys::Win32::System::JobObjects::{
    AssignProcessToJobObject, CreateJobObjectW, JobObjectBasicAccountingInformation,
    OpenJobObjectW, QueryInformationJobObject, TerminateJobObject,
    JOBOBJECT_BASIC_ACCOUNTING_INFORMATION,
};
use windows_sys::Win32::System::Threading::{
    OpenProcess, TerminateProcess, PROCESS_SET_QUOTA, PROCESS_TERMINATE,
};

use crate::procs::ProcessIdentity;

// Job access rights (winnt.h); windows-sys keeps them in a large module we need
// nothing else from.
const JOB_OBJECT_QUERY: u32 = 0x0004;
const JOB_OBJECT_TERMINATE: u32 = 0x0008;

/// The exit code a process ended through its job gets (as `kill -9` shows 137).
pub const KILLED_EXIT_CODE: u32 = 1;

/// An open handle to a run's job object; closed on drop (the job lives on while its
/// processes do).
#[derive(Debug)]
pub struct Job {
    handle: HANDLE,
}

// SAFETY: a job handle is a kernel handle usable from any thread.
unsafe impl Send for Job {}
unsafe impl Sync for Job {}

/// The name of the job of the run whose first process is `leader`.
pub fn job_name(leader: u32) -> String {
    format!("Local\\sessionscope-run-{leader}")
}

fn wide(s: &str) -> Vec<u16> {
    s.encode_utf16().chain(std::iter::once(0)).collect()
}

impl Job {
    /// Create the job of `leader` and put the process in it.
    pub fn contain(leader: u32) -> io::Result<Job> {
        let name = wide(&job_name(leader));
        // SAFETY: plain Win32 calls with a NUL-terminated name; every handle opened here
        // is closed here or owned by the returned Job.
        unsafe {
            let handle = CreateJobObjectW(std::ptr::null(), name.as_ptr());
            if handle.is_null() {
                return Err(io::Error::last_os_error());
            }
            let job = Job { handle };
            let process = OpenProcess(PROCESS_SET_QUOTA | PROCESS_TERMINATE, FALSE, leader);
            if process.is_null() {
                return Err(io::Error::last_os_error());
            }
            let assigned = AssignProcessToJobObject(job.handle, process);
            let error = io::Error::last_os_error();
            CloseHandle(process);
            if assigned == 0 {
                return Err(error);
            }
            Ok(job)
        }
    }

    /// The job of `leader`, when some Sessionscope process still holds it.
    pub fn open(leader: u32) -> Option<Job> {
        let name = wide(&job_name(leader));
        // SAFETY: as above.
        let handle = unsafe {
            OpenJobObjectW(
                JOB_OBJECT_QUERY | JOB_OBJECT_TERMINATE,
                FALSE,
                name.as_ptr(),
            )
        };
        (!handle.is_null()).then_some(Job { handle })
    }

    /// How many processes of the job are still running.
    pub fn active_processes(&self) -> io::Result<u32> {
        let mut info = JOBOBJECT_BASIC_ACCOUNTING_INFORMATION::default();
        // SAFETY: `info` is the struct this information class fills, with its size.
        let ok = unsafe {
            QueryInformationJobObject(
                self.handle,
                JobObjectBasicAccountingInformation,
                (&mut info as *mut JOBOBJECT_BASIC_ACCOUNTING_INFORMATION).cast(),
                std::mem::size_of::<JOBOBJECT_BASIC_ACCOUNTING_INFORMATION>() as u32,
                std::ptr::null_mut(),
            )
        };
        if ok == 0 {
            return Err(io::Error::last_os_error());
        }
        Ok(info.ActiveProcesses)
    }

    /// End every process of the job at once.
    pub fn terminate(&self) -> io::Result<()> {
        // SAFETY: a valid job handle opened with JOB_OBJECT_TERMINATE.
        if unsafe { TerminateJobObject(self.handle, KILLED_EXIT_CODE) } == 0 {
            return Err(io::Error::last_os_error());
        }
        Ok(())
    }
}

impl Drop for Job {
    fn drop(&mut self) {
        // SAFETY: the handle is ours and closed once.
        unsafe { CloseHandle(self.handle) };
    }
}

/// End `leader` and every process descended from it (by parent links, each started
/// after its parent, so a reused PID is not mistaken for a child): the fallback for a
/// run whose job nobody holds any more, and for an agent started elsewhere.
pub fn stop_tree(leader: ProcessIdentity) -> io::Result<usize> {
    let mut sys = sysinfo::System::new();
    sys.refresh_processes_specifics(
        sysinfo::ProcessesToUpdate::All,
        true,
        sysinfo::ProcessRefreshKind::nothing(),
    );
    // The leader itself only while it is still the process we mean; its children are
    // looked for even when it has exited.
    let leader_alive = sys
        .process(sysinfo::Pid::from_u32(leader.pid))
        .is_some_and(|p| p.start_time() == leader.start_time);
    let mut tree = vec![leader];
    let mut i = 0;
    while i < tree.len() {
        let parent = tree[i];
        for (pid, p) in sys.processes() {
            let child = ProcessIdentity {
                pid: pid.as_u32(),
                start_time: p.start_time(),
            };
            if p.parent().map(|pp| pp.as_u32()) == Some(parent.pid)
                && child.start_time >= parent.start_time
                && !tree.contains(&child)
            {
                tree.push(child);
            }
        }
        i += 1;
    }
    let mut ended = 0;
    let mut first_error = None;
    for who in tree.into_iter().skip(usize::from(!leader_alive)) {
        // SAFETY: plain Win32 calls; the handle is closed right after use.
        unsafe {
            let process = OpenProcess(PROCESS_TERMINATE, FALSE, who.pid);
            if process.is_null() {
                continue;
            }
            if TerminateProcess(process, KILLED_EXIT_CODE) != 0 {
                ended += 1;
            } else if first_error.is_none() {
                first_error = Some(io::Error::last_os_error());
            }
            CloseHandle(process);
        }
    }
    match (ended, first_error) {
        (0, Some(e)) => Err(e),
        (n, _) => Ok(n),
    }
}
