//! Starting a run host on Windows with its three pipes inherited and nothing else.
//!
//! Why not `std::process::Command`: Windows hands a new process every inheritable
//! handle of its parent, and the standard handles Sessionscope itself was started with
//! are inheritable. A host started through `Command` kept them open for the run's
//! whole life — the pipe of a program that started Sessionscope and reads its output,
//! say — so that program waited for the run to end, not for Sessionscope (found under
//! Wine by `windows_runs`' left-running test, whose Sessionscope had quit after 4 s while
//! its output pipe stayed open until the run ended two minutes later). Here the host is
//! started with `PROC_THREAD_ATTRIBUTE_HANDLE_LIST`: its pipe ends, no other handle.
//!
//! The host has no console (a closed terminal does not end it), a process group of its
//! own (a Ctrl-C typed where Sessionscope runs does not reach it), and is out of any job
//! Sessionscope is in when that job allows it (a launcher's "kill on close" job would
//! otherwise end the run with Sessionscope).

use std::fs::File;
use std::io;
use std::os::windows::io::FromRawHandle;
use std::path::Path;

use windows_sys::Win32::Foundation::{
    SetHandleInformation, ERROR_ACCESS_DENIED, HANDLE, HANDLE_FLAG_INHERIT, TRUE, WAIT_OBJECT_0,
};
use windows_sys::Win32::System::Threading::{
    CreateProcessW, TerminateProcess, WaitForSingleObject, CREATE_BREAKAWAY_FROM_JOB,
    CREATE_NEW_PROCESS_GROUP, CREATE_UNICODE_ENVIRONMENT, DETACHED_PROCESS,
    EXTENDED_STARTUPINFO_PRESENT, INFINITE, PROCESS_INFORMATION, PROC_THREAD_ATTRIBUTE_HANDLE_LIST,
    STARTF_USESTDHANDLES, STARTUPINFOEXW,
};

use crate::runs::conpty::{environment_block, pipe, wide, AttributeList, Owned};

/// Sessionscope's ends of a host's pipes, and the host process.
pub struct Spawned {
    pub commands: File,
    pub output: File,
    pub events: File,
    pub process: HostProcess,
}

/// The host process: its handle (which also keeps its PID from being reused).
pub struct HostProcess {
    handle: Owned,
    pid: u32,
}

// SAFETY: a process handle is usable from any thread.
unsafe impl Send for HostProcess {}

impl super::HostProcess for HostProcess {
    fn id(&self) -> u32 {
        self.pid
    }

    fn kill(&mut self) -> io::Result<()> {
        // SAFETY: a live process handle.
        if unsafe { TerminateProcess(self.handle.0, 1) } == 0 {
            return Err(io::Error::last_os_error());
        }
        Ok(())
    }

    fn wait(&mut self) -> io::Result<()> {
        // SAFETY: a live process handle.
        if unsafe { WaitForSingleObject(self.handle.0, INFINITE) } != WAIT_OBJECT_0 {
            return Err(io::Error::last_os_error());
        }
        Ok(())
    }
}

/// Start `exe` with `env` added to this process's environment, its standard streams
/// being three new pipes.
pub fn spawn(exe: &Path, env: &[(String, String)]) -> io::Result<Spawned> {
    let (child_in, commands) = pipe()?;
    let (output, child_out) = pipe()?;
    let (events, child_err) = pipe()?;
    let inherited: [HANDLE; 3] = [child_in.0, child_out.0, child_err.0];
    for h in inherited {
        // SAFETY: a pipe handle of ours. Inheritable from here until CreateProcessW; a
        // process another thread starts meanwhile with "inherit handles" could get it too
        // (std's spawns included): the window is these few calls.
        if unsafe { SetHandleInformation(h, HANDLE_FLAG_INHERIT, HANDLE_FLAG_INHERIT) } == 0 {
            return Err(io::Error::last_os_error());
        }
    }
    let mut list = AttributeList::new(1)?;
    // SAFETY: `inherited` lives until the end of this function, past CreateProcessW.
    unsafe {
        list.set(
            PROC_THREAD_ATTRIBUTE_HANDLE_LIST as usize,
            inherited.as_ptr().cast(),
            std::mem::size_of_val(&inherited),
        )?
    };
    // SAFETY: plain-data structs, zero is their empty value.
    let mut si: STARTUPINFOEXW = unsafe { std::mem::zeroed() };
    si.StartupInfo.cb = std::mem::size_of::<STARTUPINFOEXW>() as u32;
    si.StartupInfo.dwFlags = STARTF_USESTDHANDLES;
    si.StartupInfo.hStdInput = child_in.0;
    si.StartupInfo.hStdOutput = child_out.0;
    si.StartupInfo.hStdError = child_err.0;
    si.lpAttributeList = list.as_ptr();
    // A Windows path cannot hold a `"`: quoting it whole is exact.
    let mut line = std::ffi::OsString::from("\"");
    line.push(exe.as_os_str());
    line.push("\"");
    let environment = environment_block(env, &[]);
    let flags = DETACHED_PROCESS
        | CREATE_NEW_PROCESS_GROUP
        | EXTENDED_STARTUPINFO_PRESENT
        | CREATE_UNICODE_ENVIRONMENT;
    let create = |flags: u32| -> io::Result<PROCESS_INFORMATION> {
        let mut cmdline = wide(&line);
        // SAFETY: as above.
        let mut pi: PROCESS_INFORMATION = unsafe { std::mem::zeroed() };
        // SAFETY: every pointer is valid for the call; the command line buffer is
        // writable as CreateProcessW requires; the handle list names only inheritable
        // handles of ours.
        let ok = unsafe {
            CreateProcessW(
                std::ptr::null(),
                cmdline.as_mut_ptr(),
                std::ptr::null(),
                std::ptr::null(),
                TRUE,
                flags,
                environment.as_ptr().cast(),
                std::ptr::null(),
                &si.StartupInfo,
                &mut pi,
            )
        };
        if ok == 0 {
            return Err(io::Error::last_os_error());
        }
        Ok(pi)
    };
    let pi = match create(flags | CREATE_BREAKAWAY_FROM_JOB) {
        // The job Sessionscope is in does not allow breaking away.
        Err(e) if e.raw_os_error() == Some(ERROR_ACCESS_DENIED as i32) => create(flags)?,
        other => other?,
    };
    drop(Owned(pi.hThread));
    // The host has its own copies now; ours would keep its pipes open.
    drop((child_in, child_out, child_err, list));
    let [commands, output, events] = [commands, output, events].map(|end| {
        // SAFETY: the pipe end is ours; it becomes a File that closes it.
        let file = unsafe { File::from_raw_handle(end.0) };
        std::mem::forget(end);
        file
    });
    Ok(Spawned {
        commands,
        output,
        events,
        process: HostProcess {
            handle: Owned(pi.hProcess),
            pid: pi.dwProcessId,
        },
    })
}
