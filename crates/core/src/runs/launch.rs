//! How a run's command is started: through the user's shell, in a new terminal.
//!
//! The command is what the user typed, run as the shell would run it: `$SHELL -c
//! '<command>'` on Unix (in a PTY from `portable-pty`, as a session leader), and
//! `cmd.exe /S /C "<command>"` on Windows, the command line passed exactly as written
//! ([`super::conpty`]: cmd reads no C-runtime quoting). Both the supervisor (a terminal
//! of its own) and a run host (`super::host`) start runs through [`open`].

use std::io::{Read, Write};
use std::path::PathBuf;

use portable_pty::{Child, MasterPty, PtySize};

/// A run's command, where and with what it starts.
#[derive(Debug, Clone)]
pub struct Launch {
    /// The command as the user wrote it, for the shell.
    pub command: String,
    pub cwd: PathBuf,
    /// Set on top of this process's environment.
    pub env: Vec<(String, String)>,
    /// Taken out of the environment (a run host's own marker).
    pub remove: Vec<String>,
}

/// A started run's terminal: its size and lifetime (dropping the master closes it),
/// the process, its output and its keyboard.
pub struct Terminal {
    pub master: Box<dyn MasterPty + Send>,
    pub child: Box<dyn Child + Send + Sync>,
    pub reader: Box<dyn Read + Send>,
    pub input: Option<Box<dyn Write + Send>>,
}

/// The command line Windows runs: cmd with the command between two quotes that `/S`
/// strips, and nothing else changed.
pub fn windows_command_line(command: &str) -> String {
    format!("cmd.exe /S /C \"{command}\"")
}

/// `words` as one command for `cmd.exe`: a word with a space or one of cmd's special
/// characters goes in double quotes (within which cmd takes `&|<>^` literally), a `"`
/// in it as `\"` the way programs built with the C runtime read it. (A word holding
/// both `"` and one of `&|<>` can still confuse cmd: it reads no `\"`.)
pub fn join_for_cmd(words: &[String]) -> String {
    let special = |c: char| c.is_whitespace() || "\"&|<>^()%!,;=".contains(c);
    words
        .iter()
        .map(|w| {
            if !w.is_empty() && !w.contains(special) {
                return w.clone();
            }
            let mut out = String::from("\"");
            let mut backslashes = 0;
            for c in w.chars() {
                match c {
                    '\\' => backslashes += 1,
                    '"' => {
                        out.extend(std::iter::repeat_n('\\', backslashes * 2 + 1));
                        out.push('"');
                        backslashes = 0;
                    }
                    c => {
                        out.extend(std::iter::repeat_n('\\', backslashes));
                        out.push(c);
                        backslashes = 0;
                    }
                }
            }
            out.extend(std::iter::repeat_n('\\', backslashes * 2));
            out.push('"');
            out
        })
        .collect::<Vec<_>>()
        .join(" ")
}

/// Start the run in a new terminal of `size`.
pub fn open(launch: &Launch, size: PtySize) -> std::io::Result<Terminal> {
    #[cfg(windows)]
    {
        let remove: Vec<&str> = launch.remove.iter().map(String::as_str).collect();
        let c = super::conpty::spawn(
            &windows_command_line(&launch.command),
            Some(&launch.cwd),
            &launch.env,
            &remove,
            size,
        )?;
        Ok(Terminal {
            master: c.master,
            child: c.child,
            reader: Box::new(c.reader),
            input: Some(Box::new(c.writer)),
        })
    }
    #[cfg(not(windows))]
    {
        open_unix(launch, size).map_err(|e| std::io::Error::other(e.to_string()))
    }
}

#[cfg(not(windows))]
fn open_unix(launch: &Launch, size: PtySize) -> anyhow::Result<Terminal> {
    let shell = std::env::var("SHELL")
        .ok()
        .filter(|s| std::path::Path::new(s).is_file())
        .unwrap_or_else(|| "/bin/sh".into());
    let mut cmd = portable_pty::CommandBuilder::new(shell);
    cmd.args(["-c", &launch.command]);
    cmd.cwd(&launch.cwd);
    for name in &launch.remove {
        cmd.env_remove(name);
    }
    for (k, v) in &launch.env {
        cmd.env(k, v);
    }
    let pair = portable_pty::native_pty_system().openpty(size)?;
    let child = pair.slave.spawn_command(cmd)?;
    // The slave end belongs to the child now; holding it would keep the PTY open
    // after the child exits and the reader would never see EOF.
    drop(pair.slave);
    let reader = pair.master.try_clone_reader()?;
    let input = pair.master.take_writer().ok();
    Ok(Terminal {
        master: pair.master,
        child,
        reader,
        input,
    })
}

/// Where a run without a working directory starts: the home directory, else the
/// directory Sessionscope runs in, else the root.
pub fn default_cwd() -> PathBuf {
    directories::BaseDirs::new()
        .map(|b| b.home_dir().to_path_buf())
        .filter(|h| h.is_dir())
        .or_else(|| std::env::current_dir().ok())
        .unwrap_or_else(|| PathBuf::from("/"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn windows_gets_the_command_between_two_quotes_unchanged() {
        assert_eq!(
            windows_command_line(r#"git commit -m "two words" && echo "C:\dir\""#),
            r#"cmd.exe /S /C "git commit -m "two words" && echo "C:\dir\"""#
        );
    }

    #[test]
    fn words_are_joined_for_cmd_with_quotes_only_where_needed() {
        let words = |w: &[&str]| w.iter().map(|s| s.to_string()).collect::<Vec<_>>();
        assert_eq!(
            join_for_cmd(&words(&["ping", "-n", "3", "127.0.0.1"])),
            "ping -n 3 127.0.0.1"
        );
        assert_eq!(
            join_for_cmd(&words(&[
                "grep",
                "-r",
                "two words",
                "C:\\my dir\\",
                "a&b",
                ""
            ])),
            r#"grep -r "two words" "C:\my dir\\" "a&b" """#
        );
        assert_eq!(
            join_for_cmd(&words(&["echo", r#"say "hi""#, r#"back\"q"#])),
            r#"echo "say \"hi\"" "back\\\"q""#
        );
    }
}
