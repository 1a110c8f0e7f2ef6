//! Ctrl-C and Ctrl-Break for a process on Windows, as if typed in its console.
//!
//! Windows has no SIGINT; console programs get Ctrl-C and Ctrl-Break as console
//! events, and every agent CLI (Node's and Python's runtimes) treats Ctrl-C as "stop
//! generating" and Ctrl-Break as a request to exit. An event can only be sent to the
//! console the sender is attached to, so a small helper process attaches to the target's
//! console (a run's pseudoconsole, or the terminal an agent was started in), sends the
//! event to everything on it, and exits — Sessionscope's own console is never touched.
//!
//! The helper is the running executable itself (the CLI or the app) started with
//! [`HELPER_ENV`]; both call [`run_helper_if_asked`] first thing in `main`.

use std::process::Command;

use windows_sys::Win32::Foundation::{FALSE, TRUE};
use windows_sys::Win32::System::Console::{
    AttachConsole, FreeConsole, GenerateConsoleCtrlEvent, SetConsoleCtrlHandler, CTRL_BREAK_EVENT,
    CTRL_C_EVENT,
};

/// `"<event> <pid>"`: set on the helper process (event 0 = Ctrl-C, 1 = Ctrl-Break).
pub const HELPER_ENV: &str = "SESSIONSCOPE_CONSOLE_EVENT";

/// The executable to start as the helper instead of this one (tests set it: a test
/// binary cannot serve as the helper).
pub const HELPER_EXE_ENV: &str = "SESSIONSCOPE_CONSOLE_HELPER";

/// Which console event.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ConsoleEvent {
    CtrlC,
    CtrlBreak,
}

impl ConsoleEvent {
    fn code(self) -> u32 {
        match self {
            ConsoleEvent::CtrlC => CTRL_C_EVENT,
            ConsoleEvent::CtrlBreak => CTRL_BREAK_EVENT,
        }
    }
}

/// Send `event` to the console of process `pid` (every process attached to it gets
/// it, as with a key press). Waits for the helper; the error says why nothing was sent.
pub fn send(pid: u32, event: ConsoleEvent) -> Result<(), String> {
    use std::os::windows::process::CommandExt;
    // No console window of its own (CREATE_NO_WINDOW), so AttachConsole can succeed.
    const CREATE_NO_WINDOW: u32 = 0x0800_0000;
    let exe = match std::env::var_os(HELPER_EXE_ENV) {
        Some(exe) => exe.into(),
        None => std::env::current_exe().map_err(|e| e.to_string())?,
    };
    let status = Command::new(exe)
        .env(HELPER_ENV, format!("{} {pid}", event.code()))
        .creation_flags(CREATE_NO_WINDOW)
        .stdin(std::process::Stdio::null())
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .status()
        .map_err(|e| format!("could not start the console helper: {e}"))?;
    match status.code() {
        Some(0) => Ok(()),
        Some(2) => Err(format!("process {pid} has no console to send it to")),
        _ => Err(format!(
            "the console event could not be sent to process {pid}"
        )),
    }
}

/// When this process was started as the helper, do its one job and exit; otherwise
/// return at once.
pub fn run_helper_if_asked() {
    let Ok(request) = std::env::var(HELPER_ENV) else {
        return;
    };
    let mut words = request.split_whitespace().map(str::parse::<u32>);
    let (Some(Ok(event)), Some(Ok(pid))) = (words.next(), words.next()) else {
        std::process::exit(3);
    };
    // SAFETY: plain Win32 console calls on this short-lived process.
    let code = unsafe {
        FreeConsole();
        if AttachConsole(pid) == FALSE {
            2
        } else {
            // Ignore the event ourselves: we are on that console now too.
            SetConsoleCtrlHandler(None, TRUE);
            if GenerateConsoleCtrlEvent(event, 0) == FALSE {
                1
            } else {
                0
            }
        }
    };
    std::process::exit(code);
}
