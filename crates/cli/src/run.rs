//! `sessionscope run`: start a command in a PTY through the same supervisor the app
//! uses, stream its output to stdout, record it in the shared run history, and exit
//! with the command's exit status (128 + N when signal N ended it).
//!
//! On a terminal, ours is put in raw mode while the run lasts: keys (Ctrl-C included)
//! reach the run as typed and its terminal follows our size. Otherwise stdin is
//! forwarded as it comes and its end is passed on as an end-of-file (Ctrl-D) so
//! commands reading it finish, and SIGINT/SIGTERM to `sessionscope` stop the run
//! gracefully instead of abandoning it.
//!
//! With `--host H` the run starts on that machine instead (see [`crate::remote_run`]).

use std::io::{IsTerminal, Read, Write};
use std::path::PathBuf;
use std::time::Duration;

use clap::Args;
use sessionscope_core::model::{EnvVar, RunRequest, RunStatus};
use sessionscope_core::runs::supervisor::Supervisor;

use crate::terminal;

#[derive(Args)]
pub struct RunArgs {
    /// Name shown in the run list (default: the command's first word).
    #[arg(long, short)]
    name: Option<String>,
    /// Working directory of the command (default: the current directory).
    #[arg(long)]
    cwd: Option<PathBuf>,
    /// Set an environment variable for the command (NAME=value; repeatable). Only the
    /// names are kept in the history.
    #[arg(long = "env", short = 'e', value_name = "NAME=VALUE", value_parser = parse_env)]
    env: Vec<EnvVar>,
    /// Seconds between SIGTERM and SIGKILL when Ctrl-C stops the run.
    #[arg(long, default_value_t = 5.0, value_name = "SECS")]
    grace: f64,
    /// Start it on HOST over ssh instead (user@host or a name from
    /// ~/.ssh/config), after asking here; Ctrl-C then detaches and the run goes on.
    #[arg(long, value_name = "HOST")]
    host: Option<String>,
    /// With --host: do not ask; required when stdin is not a terminal.
    #[arg(long, short, requires = "host")]
    yes: bool,
    /// The command. One word is run by the shell as written (`-- 'make | tee x'`);
    /// several words are quoted and joined (`-- grep -r "two words" .`).
    #[arg(last = true, required = true, value_name = "CMD")]
    command: Vec<String>,
}

fn parse_env(s: &str) -> Result<EnvVar, String> {
    EnvVar::parse(s).ok_or_else(|| format!("expected NAME=value, got {s:?}"))
}

pub fn run(args: RunArgs) -> anyhow::Result<()> {
    let command = match args.command.as_slice() {
        [one] => one.clone(),
        // Quoted for the shell the run goes through: sh's quoting, or cmd's.
        #[cfg(not(windows))]
        words => shell_words::join(words),
        #[cfg(windows)]
        words => sessionscope_core::runs::launch::join_for_cmd(words),
    };
    if let Some(host) = args.host.filter(|h| h != "local") {
        if !args.env.is_empty() {
            anyhow::bail!("--env is not carried to another host; set it in the command");
        }
        return crate::remote_run::start(crate::remote_run::HostRun {
            host,
            command,
            cwd: args.cwd.map(|c| c.to_string_lossy().into_owned()),
            name: args.name,
            yes: args.yes,
        });
    }
    let sup = Supervisor::open_default(|_| {});
    let (rows, cols) = terminal_size().unwrap_or((30, 120));
    let info = sup.start_sized(
        RunRequest {
            name: args.name.unwrap_or_default(),
            command,
            cwd: args
                .cwd
                .or_else(|| std::env::current_dir().ok())
                .map(|c| c.to_string_lossy().into_owned()),
            env: args.env,
        },
        rows,
        cols,
    )?;
    let id = info.id.clone();
    eprintln!(
        "sessionscope: run {id} ({}) started; log: {}",
        info.name,
        info.log_path.as_deref().unwrap_or("-")
    );
    // On a terminal: keys go to the run as typed (Ctrl-C included) and its terminal
    // follows the size of ours.
    let raw_mode = terminal::RawMode::enter();
    follow_size(sup.clone(), id.clone());

    let grace = Duration::from_secs_f64(args.grace.max(0.0));
    {
        let sup = sup.clone();
        let id = id.clone();
        ctrlc::set_handler(move || {
            let _ = sup.kill(&id, grace);
        })?;
    }
    forward_stdin(sup.clone(), id.clone());

    let (backlog, output) = sup.attach(&id)?;
    let mut stdout = std::io::stdout().lock();
    let mut writing = stdout
        .write_all(&backlog)
        .and_then(|_| stdout.flush())
        .is_ok();
    for chunk in output {
        // A closed stdout (`| head`) must not stall the run: keep draining.
        if writing {
            writing = stdout
                .write_all(&chunk)
                .and_then(|_| stdout.flush())
                .is_ok();
        }
    }
    drop(stdout);
    if let Some(mode) = raw_mode {
        mode.leave();
    }
    let done = sup
        .wait(&id)
        .ok_or_else(|| anyhow::anyhow!("run {id} vanished from the history"))?;
    eprintln!(
        "sessionscope: run {id} {}{}",
        serde_json::to_value(done.status)?
            .as_str()
            .unwrap_or("ended"),
        done.reason
            .as_deref()
            .map(|r| format!(" ({r})"))
            .unwrap_or_default()
    );
    std::process::exit(done.shell_exit_code());
}

/// Keep the run's terminal the size of ours (or of LINES x COLUMNS when stdout is
/// not a terminal) while it runs. Polled: no signal handler is needed.
fn follow_size(sup: Supervisor, id: String) {
    std::thread::spawn(move || {
        let mut last = None;
        loop {
            let size =
                terminal::size().or_else(|| Some((env_number("LINES")?, env_number("COLUMNS")?)));
            if size.is_some() && size != last {
                let (rows, cols) = size.unwrap_or_default();
                if sup.resize(&id, rows, cols).is_err() {
                    return;
                }
                last = size;
            }
            if sup.run(&id).is_none_or(|r| r.status != RunStatus::Running) {
                return;
            }
            std::thread::sleep(Duration::from_millis(250));
        }
    });
}

/// Our terminal's size, else LINES x COLUMNS when both are set.
fn terminal_size() -> Option<(u16, u16)> {
    terminal::size().or_else(|| Some((env_number("LINES")?, env_number("COLUMNS")?)))
}

fn env_number(name: &str) -> Option<u16> {
    std::env::var(name).ok()?.trim().parse().ok()
}

/// Copy our stdin into the run's terminal on a background thread.
fn forward_stdin(sup: Supervisor, id: String) {
    let is_terminal = std::io::stdin().is_terminal();
    std::thread::spawn(move || {
        let mut stdin = std::io::stdin().lock();
        let mut buf = [0u8; 8192];
        loop {
            match stdin.read(&mut buf) {
                Ok(0) => {
                    if !is_terminal {
                        // End of input, as the terminal's Ctrl-D would say it.
                        let _ = sup.write_input(&id, b"\x04");
                    }
                    return;
                }
                Ok(n) => {
                    if sup.write_input(&id, &buf[..n]).is_err() {
                        return;
                    }
                }
                Err(_) => return,
            }
        }
    });
}
