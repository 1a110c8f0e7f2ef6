//! "Open folder": show a session's transcript folder in the system's file manager.
//! The one place that knows each OS's way: `xdg-open` on Linux and the BSDs, `open -R`
//! (reveals and selects the file) on macOS, `explorer /select,` on Windows. The child
//! is reaped on a thread so no zombie is left behind.

use std::path::Path;
use std::process::Command;

/// Ask the file manager to show `file` (or `folder`, where it cannot select a file).
pub fn reveal(file: &Path, folder: &Path) -> std::io::Result<()> {
    let mut command = opener(file, folder);
    let mut child = command.spawn()?;
    std::thread::spawn(move || child.wait());
    Ok(())
}

#[cfg(target_os = "macos")]
fn opener(file: &Path, folder: &Path) -> Command {
    let mut c = Command::new("open");
    if file.exists() {
        c.arg("-R").arg(file);
    } else {
        c.arg(folder);
    }
    c
}

#[cfg(windows)]
fn opener(file: &Path, folder: &Path) -> Command {
    let mut c = Command::new("explorer");
    if file.exists() {
        let mut arg = std::ffi::OsString::from("/select,");
        arg.push(file);
        c.arg(arg);
    } else {
        c.arg(folder);
    }
    c
}

#[cfg(not(any(target_os = "macos", windows)))]
fn opener(_file: &Path, folder: &Path) -> Command {
    let mut c = Command::new("xdg-open");
    c.arg(folder);
    c
}
