//! `sessionscope run --host H -- CMD…` and `runs --host H --follow ID`: a run on
//! another machine, its output here as it comes.
//!
//! The question ("Run `CMD` on H? [y/N]") is asked on this terminal, with the command
//! shown exactly (control characters escaped), and refused without a terminal unless
//! `--yes`; the host is sent that yes with the command and runs nothing else. The
//! run's output streams to stdout until it ends, and the CLI exits with the run's
//! exit status, as a local `run` does. Lines typed here go to the run (Ctrl-D is an
//! end of file); Ctrl-C detaches: the run goes on on the host, and the message says
//! how to follow it again. A lost link leaves it running too.

use std::io::{BufRead, IsTerminal, Read, Write};

use sessionscope_core::consent;
use sessionscope_core::kill;
use sessionscope_core::model::RunInfo;
use sessionscope_core::remote::client::{Connection, LinkError, RequestWriter};
use sessionscope_core::remote::protocol::{
    self, Answer, ConfirmedBy, Request, RunConfirmation, ServerMessage, MAX_COMMAND_BYTES,
    MAX_INPUT_BYTES, MAX_OUTPUT_CHUNK, SILENCE_LIMIT,
};
use sessionscope_core::remote::run_stream::{skipped_notice, FeedItem, RunFeed};

use crate::hosts;

/// The exit status when Ctrl-C detaches (the shell's for an interrupt).
pub const DETACHED: i32 = 130;

/// What `run --host` was given.
pub struct HostRun {
    pub host: String,
    pub command: String,
    pub cwd: Option<String>,
    pub name: Option<String>,
    pub yes: bool,
}

/// Ask, start the run on the host, follow it to its end; exits with its status.
pub fn start(r: HostRun) -> anyhow::Result<()> {
    if r.command.trim().is_empty() {
        anyhow::bail!("the command is empty");
    }
    if r.command.len() > MAX_COMMAND_BYTES {
        anyhow::bail!("a command longer than {MAX_COMMAND_BYTES} bytes cannot be sent to a host");
    }
    let by = ask(&r)?;
    let mut c = hosts::connect(&r.host)?;
    let confirmation = RunConfirmation::now(by, &r.host, &r.command, r.cwd.as_deref());
    let request = Request::StartRun {
        command: r.command.clone(),
        cwd: r.cwd.clone(),
        name: r.name.clone(),
        confirmation,
    };
    let Answer::RunStarted { run } = c.request(request)? else {
        return Err(hosts::unexpected(&c).into());
    };
    eprintln!(
        "sessionscope: run {} ({}) started on {}; its log there: {}",
        run.id,
        kill::shown(&run.name),
        kill::shown(&r.host),
        run.log_path.as_deref().unwrap_or("-")
    );
    eprintln!(
        "sessionscope: Ctrl-C detaches (the run goes on on {}).",
        kill::shown(&r.host)
    );
    forward_stdin(c.writer(), run.id.clone());
    follow(c, &r.host, &run.id, 0)
}

/// `runs --host H --follow ID`: a run's output from the start of its log, then as it
/// comes, to its end; exits with its status.
pub fn follow_again(host: &str, run: &str) -> anyhow::Result<()> {
    let c = hosts::connect(host)?;
    follow(c, host, run, 0)
}

/// Print the question and get a yes (a y/N on the terminal, or `--yes`); no exits 3.
fn ask(r: &HostRun) -> anyhow::Result<ConfirmedBy> {
    let shown = consent::literal(&r.command, MAX_COMMAND_BYTES);
    let host = kill::shown(&r.host);
    let within = r
        .cwd
        .as_deref()
        .map(|d| format!(" in {}", kill::shown(d)))
        .unwrap_or_default();
    let question = format!("Run `{shown}` on {host}{within}?");
    if r.yes {
        eprintln!("{question} yes (--yes)");
        return Ok(ConfirmedBy::YesFlag);
    }
    if !std::io::stdin().is_terminal() {
        eprintln!(
            "sessionscope: refusing to start a run on {host} without --yes: stdin is not a \
             terminal to ask on"
        );
        std::process::exit(crate::exit::REFUSED);
    }
    eprint!("{question} [y/N] ");
    std::io::stderr().flush()?;
    let mut answer = String::new();
    std::io::stdin().lock().read_line(&mut answer)?;
    if !matches!(answer.trim().to_ascii_lowercase().as_str(), "y" | "yes") {
        eprintln!("Nothing was started.");
        std::process::exit(crate::exit::REFUSED);
    }
    Ok(ConfirmedBy::Terminal)
}

/// How to follow `run` again, for the messages that leave it running.
fn again(host: &str, run: &str) -> String {
    format!(
        "sessionscope runs --host {} --follow {run}",
        shell_words::quote(host)
    )
}

/// Stream run `run`'s output from byte `from` of its log to its end, then exit with
/// its status; Ctrl-C or a lost link leave it running and say how to follow again.
fn follow(mut c: Connection, host: &str, run: &str, from: u64) -> anyhow::Result<()> {
    let Answer::Following { run: info } = c.request(Request::FollowRun {
        run: run.to_string(),
        from_offset: from,
    })?
    else {
        return Err(hosts::unexpected(&c).into());
    };
    let id = info.id.clone();
    {
        let (ssh, host, id) = (c.process(), host.to_string(), id.clone());
        ctrlc::set_handler(move || {
            ssh.kill();
            eprintln!(
                "\r\nsessionscope: detached; run {id} goes on on {}. Follow it again with: {}",
                kill::shown(&host),
                again(&host, &id)
            );
            std::process::exit(DETACHED);
        })?;
    }
    let mut feed = RunFeed::new(from);
    let mut out = std::io::stdout().lock();
    let mut writing = true;
    loop {
        let message = match c.next_message(SILENCE_LIMIT) {
            Ok(m) => m,
            Err(e) => lost(&e, host, &id),
        };
        match message {
            ServerMessage::RunOutput { run, offset, bytes } if run == id => {
                let bytes = match protocol::decode_bytes(&bytes, MAX_OUTPUT_CHUNK) {
                    Ok(b) => b,
                    // Shown as a gap when the next chunk comes.
                    Err(_) => continue,
                };
                for item in feed.take(offset, &bytes) {
                    let chunk = match item {
                        FeedItem::Output(b) => b,
                        FeedItem::Skipped(n) => skipped_notice(n).into_bytes(),
                    };
                    // A closed stdout (`| head`) must not stop the reading.
                    if writing {
                        writing = out.write_all(&chunk).and_then(|_| out.flush()).is_ok();
                    }
                }
            }
            ServerMessage::RunEnded { run, code } if run.id == id => {
                drop(out);
                ended(&run, host);
                std::process::exit(code);
            }
            _ => {}
        }
    }
}

fn ended(run: &RunInfo, host: &str) {
    eprintln!(
        "sessionscope: run {} on {} {}{}",
        run.id,
        kill::shown(host),
        serde_json::to_value(run.status)
            .ok()
            .and_then(|v| v.as_str().map(str::to_string))
            .unwrap_or_else(|| "ended".into()),
        run.reason
            .as_deref()
            .map(|r| format!(" ({})", kill::shown(r)))
            .unwrap_or_default()
    );
}

fn lost(e: &LinkError, host: &str, id: &str) -> ! {
    eprintln!(
        "sessionscope: {e}\nsessionscope: run {id} goes on on {}. Follow it again with: {}",
        kill::shown(host),
        again(host, id)
    );
    std::process::exit(crate::exit::ERROR);
}

/// Lines typed here go to the run (its replies, id 0, are not waited for); the end of
/// stdin is passed on as Ctrl-D when stdin is not a terminal, as a local `run` does.
fn forward_stdin(writer: RequestWriter, run: String) {
    let is_terminal = std::io::stdin().is_terminal();
    std::thread::spawn(move || {
        let mut stdin = std::io::stdin().lock();
        let mut buf = vec![0u8; MAX_INPUT_BYTES.min(8192)];
        loop {
            let (data, last) = match stdin.read(&mut buf) {
                Ok(0) if is_terminal => return,
                Ok(0) => (&b"\x04"[..], true),
                Ok(n) => (&buf[..n], false),
                Err(_) => return,
            };
            let request = Request::RunInput {
                run: run.clone(),
                bytes: protocol::encode_bytes(data),
            };
            if writer.send(0, request).is_err() || last {
                return;
            }
        }
    });
}
