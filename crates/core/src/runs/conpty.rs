//! A Windows pseudoconsole (ConPTY) with a command started in it from a command line
//! passed exactly as given.
//!
//! Why not `portable-pty` here: it takes an argument list and quotes each argument the
//! C runtime's way (`\"` inside `"..."`), but a run is a command for `cmd.exe`, which
//! does not read that quoting: `cmd /C "x \"a b\""` hands cmd a backslash. A run's
//! command line is `cmd.exe /S /C "<command>"`, the user's command untouched between the
//! outer quotes (`/S`: cmd strips exactly those two). What it hands out are
//! `portable-pty`'s own traits, so the supervisor and the run host treat it like any
//! other terminal. Closing the pseudoconsole (dropping the [`MasterPty`]) ends the
//! programs still attached to it and the output stream.

use std::ffi::OsString;
use std::fs::File;
use std::io;
use std::os::windows::ffi::OsStrExt;
use std::os::windows::io::FromRawHandle;
use std::path::Path;
use std::sync::Mutex;

use portable_pty::{Child, ChildKiller, ExitStatus, MasterPty, PtySize};
use windows_sys::Win32::Foundation::{
    CloseHandle, FALSE, HANDLE, INVALID_HANDLE_VALUE, WAIT_OBJECT_0,
};
use windows_sys::Win32::System::Console::{
    ClosePseudoConsole, CreatePseudoConsole, ResizePseudoConsole, COORD, HPCON,
};
use windows_sys::Win32::System::Pipes::CreatePipe;
use windows_sys::Win32::System::Threading::{
    CreateProcessW, DeleteProcThreadAttributeList, GetExitCodeProcess,
    InitializeProcThreadAttributeList, OpenProcess, TerminateProcess, UpdateProcThreadAttribute,
    WaitForSingleObject, CREATE_UNICODE_ENVIRONMENT, EXTENDED_STARTUPINFO_PRESENT, INFINITE,
    LPPROC_THREAD_ATTRIBUTE_LIST, PROCESS_INFORMATION, PROCESS_TERMINATE,
    PROC_THREAD_ATTRIBUTE_PSEUDOCONSOLE, STARTF_USESTDHANDLES, STARTUPINFOEXW,
};

/// The exit code a run ended by [`ChildKiller::kill`] gets.
const KILLED: u32 = 1;

pub(crate) fn wide(s: &std::ffi::OsStr) -> Vec<u16> {
    s.encode_wide().chain(std::iter::once(0)).collect()
}

fn coord(size: PtySize) -> COORD {
    COORD {
        X: size.cols.clamp(1, i16::MAX as u16) as i16,
        Y: size.rows.clamp(1, i16::MAX as u16) as i16,
    }
}

/// This process's environment with `set` applied and `remove` taken out, as the
/// block CreateProcessW takes (`NAME=value\0` each, sorted by name ignoring case, an
/// extra `\0` at the end).
pub(crate) fn environment_block(set: &[(String, String)], remove: &[&str]) -> Vec<u16> {
    let mut vars: std::collections::BTreeMap<String, (OsString, OsString)> = std::env::vars_os()
        .map(|(k, v)| (k.to_string_lossy().to_uppercase(), (k, v)))
        .collect();
    for name in remove {
        vars.remove(&name.to_uppercase());
    }
    for (k, v) in set {
        vars.insert(k.to_uppercase(), (k.into(), v.into()));
    }
    let mut block = Vec::new();
    for (k, v) in vars.values() {
        // A name with `=` (other than the drive-letter entries `=C:`) cannot be passed.
        if k.is_empty() {
            continue;
        }
        block.extend(k.encode_wide());
        block.push('=' as u16);
        block.extend(v.encode_wide());
        block.push(0);
    }
    if block.is_empty() {
        block.push(0);
    }
    block.push(0);
    block
}

/// A handle closed on drop.
pub(crate) struct Owned(pub(crate) HANDLE);

impl Drop for Owned {
    fn drop(&mut self) {
        if !self.0.is_null() && self.0 != INVALID_HANDLE_VALUE {
            // SAFETY: the handle is ours and closed once.
            unsafe { CloseHandle(self.0) };
        }
    }
}

pub(crate) fn pipe() -> io::Result<(Owned, Owned)> {
    let (mut read, mut write): (HANDLE, HANDLE) = (std::ptr::null_mut(), std::ptr::null_mut());
    // SAFETY: two out-pointers to handles; no security attributes (not inherited).
    if unsafe { CreatePipe(&mut read, &mut write, std::ptr::null(), 0) } == 0 {
        return Err(io::Error::last_os_error());
    }
    Ok((Owned(read), Owned(write)))
}

/// A process-creation attribute list (`STARTUPINFOEXW::lpAttributeList`), deleted on
/// drop.
pub(crate) struct AttributeList {
    /// u64s: the list must be pointer-aligned.
    buf: Vec<u64>,
}

impl AttributeList {
    /// A list with room for `count` attributes.
    pub(crate) fn new(count: u32) -> io::Result<AttributeList> {
        let mut size = 0usize;
        // SAFETY: the documented size query (fails with ERROR_INSUFFICIENT_BUFFER).
        unsafe { InitializeProcThreadAttributeList(std::ptr::null_mut(), count, 0, &mut size) };
        let mut buf = vec![0u64; size.div_ceil(8).max(1)];
        let ptr = buf.as_mut_ptr() as LPPROC_THREAD_ATTRIBUTE_LIST;
        // SAFETY: the buffer has `size` writable bytes.
        if unsafe { InitializeProcThreadAttributeList(ptr, count, 0, &mut size) } == 0 {
            return Err(io::Error::last_os_error());
        }
        Ok(AttributeList { buf })
    }

    pub(crate) fn as_ptr(&mut self) -> LPPROC_THREAD_ATTRIBUTE_LIST {
        self.buf.as_mut_ptr() as LPPROC_THREAD_ATTRIBUTE_LIST
    }

    /// Set `attribute` to `size` bytes at `value`.
    ///
    /// # Safety
    /// `value` must stay valid until the process has been created with this list.
    pub(crate) unsafe fn set(
        &mut self,
        attribute: usize,
        value: *const std::ffi::c_void,
        size: usize,
    ) -> io::Result<()> {
        // SAFETY: an initialized list; the caller keeps `value` alive.
        let ok = unsafe {
            UpdateProcThreadAttribute(
                self.as_ptr(),
                0,
                attribute,
                value,
                size,
                std::ptr::null_mut(),
                std::ptr::null(),
            )
        };
        if ok == 0 {
            return Err(io::Error::last_os_error());
        }
        Ok(())
    }
}

impl Drop for AttributeList {
    fn drop(&mut self) {
        // SAFETY: initialized in `new`, deleted once.
        unsafe { DeleteProcThreadAttributeList(self.as_ptr()) };
    }
}

/// A started pseudoconsole: closed when `master` is dropped.
pub struct Spawned {
    pub master: Box<dyn MasterPty + Send>,
    pub child: Box<dyn Child + Send + Sync>,
    pub reader: File,
    pub writer: File,
}

/// Start `command_line` in a new pseudoconsole of `size`, in `cwd`, with this
/// process's environment plus `env` and without `remove`.
pub fn spawn(
    command_line: &str,
    cwd: Option<&Path>,
    env: &[(String, String)],
    remove: &[&str],
    size: PtySize,
) -> io::Result<Spawned> {
    let (input_read, input_write) = pipe()?;
    let (output_read, output_write) = pipe()?;
    let mut hpc: HPCON = 0;
    // SAFETY: valid pipe handles; the pseudoconsole duplicates the ends it keeps.
    let hr = unsafe { CreatePseudoConsole(coord(size), input_read.0, output_write.0, 0, &mut hpc) };
    if hr != 0 {
        return Err(io::Error::other(format!(
            "could not create a pseudoconsole (HRESULT {hr:#x}); Windows 10 1809 or later is needed"
        )));
    }
    let console = PseudoConsole { hpc };
    // Its ends belong to the pseudoconsole now; ours would keep the output open.
    drop((input_read, output_write));

    let mut list = AttributeList::new(1)?;
    // SAFETY: the pseudoconsole attribute takes the HPCON value itself, which
    // `console` keeps alive past the CreateProcessW below.
    unsafe {
        list.set(
            PROC_THREAD_ATTRIBUTE_PSEUDOCONSOLE as usize,
            console.hpc as *const std::ffi::c_void,
            std::mem::size_of::<HPCON>(),
        )?
    };

    // SAFETY: plain-data structs, zero is their empty value.
    let mut si: STARTUPINFOEXW = unsafe { std::mem::zeroed() };
    si.StartupInfo.cb = std::mem::size_of::<STARTUPINFOEXW>() as u32;
    // Standard handles given, and empty: none of this process's (a run host's are the
    // pipes to Sessionscope) reaches the program, which gets the pseudoconsole's in
    // their place (an empty handle is what the console fills in; INVALID_HANDLE_VALUE
    // is not, and under Wine left the program writing nowhere).
    si.StartupInfo.dwFlags = STARTF_USESTDHANDLES;
    si.StartupInfo.hStdInput = std::ptr::null_mut();
    si.StartupInfo.hStdOutput = std::ptr::null_mut();
    si.StartupInfo.hStdError = std::ptr::null_mut();
    si.lpAttributeList = list.as_ptr();
    let mut cmdline = wide(command_line.as_ref());
    let cwd = cwd.map(|c| wide(c.as_os_str()));
    let environment = environment_block(env, remove);
    // SAFETY: as above.
    let mut pi: PROCESS_INFORMATION = unsafe { std::mem::zeroed() };
    // SAFETY: every pointer is valid for the call; the command line buffer is writable
    // as CreateProcessW requires.
    let ok = unsafe {
        CreateProcessW(
            std::ptr::null(),
            cmdline.as_mut_ptr(),
            std::ptr::null(),
            std::ptr::null(),
            FALSE,
            EXTENDED_STARTUPINFO_PRESENT | CREATE_UNICODE_ENVIRONMENT,
            environment.as_ptr().cast(),
            cwd.as_ref().map_or(std::ptr::null(), |c| c.as_ptr()),
            &si.StartupInfo,
            &mut pi,
        )
    };
    if ok == 0 {
        let e = io::Error::last_os_error();
        return Err(io::Error::new(
            e.kind(),
            format!("could not start `{command_line}`: {e}"),
        ));
    }
    drop(Owned(pi.hThread));
    drop(list);
    // SAFETY: the pipe ends are ours; each becomes a File that closes it.
    let (reader, writer) = unsafe {
        let r = File::from_raw_handle(output_read.0);
        let w = File::from_raw_handle(input_write.0);
        std::mem::forget((output_read, input_write));
        (r, w)
    };
    Ok(Spawned {
        master: Box::new(ConPtyMaster {
            console,
            size: Mutex::new(size),
            output: reader.try_clone()?,
        }),
        child: Box::new(ConPtyChild {
            process: Owned(pi.hProcess),
            pid: pi.dwProcessId,
        }),
        reader,
        writer,
    })
}

struct PseudoConsole {
    hpc: HPCON,
}

// SAFETY: an HPCON may be used and closed from any thread.
unsafe impl Send for PseudoConsole {}
unsafe impl Sync for PseudoConsole {}

impl Drop for PseudoConsole {
    fn drop(&mut self) {
        // SAFETY: created above, closed once.
        unsafe { ClosePseudoConsole(self.hpc) };
    }
}

struct ConPtyMaster {
    console: PseudoConsole,
    size: Mutex<PtySize>,
    /// A copy of the output pipe, for another reader.
    output: File,
}

impl MasterPty for ConPtyMaster {
    fn resize(&self, size: PtySize) -> anyhow::Result<()> {
        // SAFETY: a live pseudoconsole.
        let hr = unsafe { ResizePseudoConsole(self.console.hpc, coord(size)) };
        anyhow::ensure!(
            hr == 0,
            "could not resize the pseudoconsole (HRESULT {hr:#x})"
        );
        *self.size.lock().unwrap_or_else(|e| e.into_inner()) = size;
        Ok(())
    }

    fn get_size(&self) -> anyhow::Result<PtySize> {
        Ok(*self.size.lock().unwrap_or_else(|e| e.into_inner()))
    }

    fn try_clone_reader(&self) -> anyhow::Result<Box<dyn io::Read + Send>> {
        Ok(Box::new(self.output.try_clone()?))
    }

    fn take_writer(&self) -> anyhow::Result<Box<dyn io::Write + Send>> {
        anyhow::bail!("the pseudoconsole's input was handed out at its start")
    }
}

struct ConPtyChild {
    process: Owned,
    pid: u32,
}

// SAFETY: a process handle is usable from any thread.
unsafe impl Send for ConPtyChild {}
unsafe impl Sync for ConPtyChild {}

impl std::fmt::Debug for ConPtyChild {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ConPtyChild")
            .field("pid", &self.pid)
            .finish()
    }
}

impl ConPtyChild {
    fn exit_status(&self) -> io::Result<ExitStatus> {
        let mut code = 0u32;
        // SAFETY: a live process handle and an out-pointer.
        if unsafe { GetExitCodeProcess(self.process.0, &mut code) } == 0 {
            return Err(io::Error::last_os_error());
        }
        Ok(ExitStatus::with_exit_code(code))
    }
}

impl Child for ConPtyChild {
    fn try_wait(&mut self) -> io::Result<Option<ExitStatus>> {
        // SAFETY: a live process handle.
        match unsafe { WaitForSingleObject(self.process.0, 0) } {
            WAIT_OBJECT_0 => self.exit_status().map(Some),
            _ => Ok(None),
        }
    }

    fn wait(&mut self) -> io::Result<ExitStatus> {
        // SAFETY: a live process handle.
        if unsafe { WaitForSingleObject(self.process.0, INFINITE) } != WAIT_OBJECT_0 {
            return Err(io::Error::last_os_error());
        }
        self.exit_status()
    }

    fn process_id(&self) -> Option<u32> {
        Some(self.pid)
    }

    fn as_raw_handle(&self) -> Option<std::os::windows::io::RawHandle> {
        Some(self.process.0)
    }
}

impl ChildKiller for ConPtyChild {
    fn kill(&mut self) -> io::Result<()> {
        // SAFETY: a live process handle.
        if unsafe { TerminateProcess(self.process.0, KILLED) } == 0 {
            return Err(io::Error::last_os_error());
        }
        Ok(())
    }

    fn clone_killer(&self) -> Box<dyn ChildKiller + Send + Sync> {
        Box::new(PidKiller { pid: self.pid })
    }
}

/// Ends the run by PID (the handle stays with the waiter; the waiter holding it keeps
/// the PID from being reused meanwhile).
#[derive(Debug)]
struct PidKiller {
    pid: u32,
}

impl ChildKiller for PidKiller {
    fn kill(&mut self) -> io::Result<()> {
        // SAFETY: plain Win32 calls; the handle is closed by Owned.
        let process = Owned(unsafe { OpenProcess(PROCESS_TERMINATE, FALSE, self.pid) });
        if process.0.is_null() {
            return Err(io::Error::last_os_error());
        }
        // SAFETY: a handle opened with PROCESS_TERMINATE.
        if unsafe { TerminateProcess(process.0, KILLED) } == 0 {
            return Err(io::Error::last_os_error());
        }
        Ok(())
    }

    fn clone_killer(&self) -> Box<dyn ChildKiller + Send + Sync> {
        Box::new(PidKiller { pid: self.pid })
    }
}
