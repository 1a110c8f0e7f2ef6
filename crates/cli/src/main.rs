//! `sessionscope`: the command-line face of sessionscope-core.
//!
//! Each subcommand is a few lines that call the core and print its answer, as a table
//! for people or as JSON (`--json`) for scripts. No logic lives here. The exit
//! statuses are in [`exit`], the examples of every `--help` in [`examples`], and the
//! man pages and README reference are generated from this definition ([`reference`]).

mod doctor;
mod examples;
mod exit;
mod hosts;
mod kill;
mod ps;
mod records;
mod reference;
mod remote;
mod remote_run;
mod run;
mod runs;
mod scan;
mod search;
mod serve;
mod sessions;
mod terminal;
mod transcript;
mod usage;

use std::path::PathBuf;

use clap::{CommandFactory, FromArgMatches, Parser, Subcommand};

/// `--version`: the version and the commit it was built from (see build.rs).
const VERSION: &str = concat!(
    env!("CARGO_PKG_VERSION"),
    " (commit ",
    env!("SESSIONSCOPE_COMMIT"),
    ")"
);

#[derive(Parser)]
#[command(
    name = "sessionscope",
    version = VERSION,
    about = "See every AI coding-agent session on this machine",
    long_about = "See every AI coding-agent session on this machine: Claude Code, Codex CLI, \
gptme, Gemini CLI, opencode and Copilot CLI, read from each agent's own files (never \
written). The same sessions, runs and records as the Sessionscope app.\n\n\
Colour is used only on a terminal, and never when NO_COLOR is set."
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// List agent sessions with their live status (the same rows the app shows).
    Ps(ps::PsArgs),
    /// Run a command in a terminal, recorded in the run history; exits with its status.
    Run(run::RunArgs),
    /// List runs (started by the app or by `sessionscope run`), oldest first.
    Runs(runs::RunsArgs),
    /// Stop a run or a live agent session gracefully (asks first).
    Kill(kill::KillArgs),
    /// Print one session's transcript: prompts, answers, tool calls and their results.
    Transcript(transcript::TranscriptArgs),
    /// The gptme-sessions record store: stats, query, show, runs, sync, annotate, ...
    Records(records::RecordsArgs),
    /// Every session with its token usage and cost.
    Sessions(sessions::SessionsArgs),
    /// Token and cost totals by day, model, session or project (like `ccusage`).
    Usage(usage::UsageArgs),
    /// Full-text search over prompts, answers and tool output of every transcript.
    Search(search::SearchArgs),
    /// What is read and what was found: roots, the agents' live state, processes,
    /// unknown record types (format drift), models without a price, read errors.
    Doctor(doctor::DoctorArgs),
    /// Other machines over ssh: install sessionscope there, see how each host is doing.
    Remote(remote::RemoteArgs),
    /// This machine's live table for another machine's sessionscope, over stdin/stdout
    /// (what `--host` runs through ssh; it opens no socket).
    Serve(serve::ServeArgs),
    /// Print a shell completion script (bash, zsh, fish, powershell, elvish).
    Completions {
        #[arg(value_enum)]
        shell: clap_complete::Shell,
    },
    /// Write the man pages (sessionscope.1 and one per subcommand) into a directory.
    #[command(hide = true)]
    Man {
        #[arg(long, value_name = "DIR")]
        dir: PathBuf,
    },
}

/// The full command definition, with the examples attached to every `--help`.
fn command() -> clap::Command {
    examples::attach(Cli::command())
}

fn main() {
    // `sessionscope ps | head` ends quietly instead of panicking on the closed pipe.
    sessionscope_core::procs::closed_pipe::end_quietly_when_the_reader_leaves();
    // Windows: this process may have been started only to send Ctrl-C / Ctrl-Break to
    // another console (see core's `console_ctrl`); then it does that and exits.
    #[cfg(windows)]
    sessionscope_core::procs::console_ctrl::run_helper_if_asked();
    // Or to hold one run's terminal so the run can outlive Sessionscope (see core's
    // `runs::host`); then it serves that run and exits with its exit code.
    sessionscope_core::runs::host::serve_if_asked();
    // A big Gemini chat the scan decodes leaves its page index for `transcript`.
    sessionscope_core::agents::transcript::offsets::index_while_scanning(
        sessionscope_core::paths::transcript_offsets_db(),
    );
    let matches = command().get_matches();
    let cli = Cli::from_arg_matches(&matches).unwrap_or_else(|e| e.exit());
    let result = match cli.command {
        Command::Ps(args) => ps::run(args),
        Command::Run(args) => run::run(args),
        Command::Runs(args) => runs::run(args),
        Command::Kill(args) => kill::run(args),
        Command::Transcript(args) => transcript::run(args),
        Command::Records(args) => records::run(args),
        Command::Sessions(args) => sessions::run(args),
        Command::Usage(args) => usage::run(args),
        Command::Search(args) => search::run(args),
        Command::Doctor(args) => doctor::run(args),
        Command::Remote(args) => remote::run(args),
        Command::Serve(args) => serve::run(args),
        Command::Completions { shell } => {
            clap_complete::generate(
                shell,
                &mut command(),
                "sessionscope",
                &mut std::io::stdout(),
            );
            Ok(())
        }
        Command::Man { dir } => reference::write_man_pages(command(), &dir)
            .map(|pages| println!("wrote {} man pages to {}", pages.len(), dir.display()))
            .map_err(anyhow::Error::from),
    };
    if let Err(e) = result {
        eprintln!("sessionscope: {e:#}");
        std::process::exit(exit::status_of(&e));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every command a user can call, with its path below `sessionscope`.
    fn all_commands() -> Vec<(Vec<String>, clap::Command)> {
        fn walk(
            cmd: &clap::Command,
            path: Vec<String>,
            out: &mut Vec<(Vec<String>, clap::Command)>,
        ) {
            out.push((path.clone(), cmd.clone()));
            for sub in cmd.get_subcommands().filter(|s| s.get_name() != "help") {
                let mut p = path.clone();
                p.push(sub.get_name().to_string());
                walk(sub, p, out);
            }
        }
        let mut cmd = command();
        cmd.build();
        let mut out = Vec::new();
        walk(&cmd, Vec::new(), &mut out);
        out
    }

    #[test]
    fn the_definition_is_consistent() {
        command().debug_assert();
    }

    #[test]
    fn every_help_has_an_example_that_runs_this_command() {
        let commands = all_commands();
        assert!(commands.len() > 20, "records' subcommands are walked too");
        for (path, cmd) in commands {
            let help = cmd.clone().render_long_help().to_string();
            let name = format!("sessionscope {}", path.join(" "));
            let example = help
                .split_once("Examples:\n")
                .map(|(_, e)| e)
                .unwrap_or_else(|| panic!("`{name} --help` has no examples:\n{help}"));
            assert!(
                example
                    .lines()
                    .any(|l| l.trim_start().starts_with(name.trim_end())),
                "`{name} --help` has no example calling it:\n{example}"
            );
        }
    }

    #[test]
    fn the_top_level_help_documents_the_exit_statuses() {
        let help = command().render_long_help().to_string();
        for line in [
            "0  success",
            "1  error",
            "2  usage error",
            "3  kill refused",
        ] {
            assert!(help.contains(line), "{line:?} missing from --help:\n{help}");
        }
    }

    /// Whatever prints a table for people can print JSON for scripts. The exceptions
    /// print no table: they run, stop or write something and report in a line.
    #[test]
    fn every_command_that_prints_a_table_has_json() {
        const NO_TABLE: &[&str] = &[
            "",                      // only subcommands
            "run",                   // the command's own output
            "kill",                  // the plan and each step, as they happen
            "completions",           // a script
            "man",                   // files
            "records sync",          // one summary line, as gptme-sessions prints it
            "records append",        // the new record's id
            "records repair-grades", // one summary line
            "records replay",        // the session itself, replayed on the terminal
            "records",               // bare: an overview; `records stats --json` is its JSON
            "remote",                // only subcommands
            "remote install",        // one line saying what was copied
            "remote watch",          // events as they happen
            "serve",                 // the protocol itself is JSON lines
        ];
        for (path, cmd) in all_commands() {
            let name = path.join(" ");
            if NO_TABLE.contains(&name.as_str()) {
                continue;
            }
            assert!(
                cmd.get_arguments().any(|a| a.get_long() == Some("json")),
                "`sessionscope {name}` prints a table but has no --json"
            );
        }
    }

    #[test]
    fn readme_cli_reference_is_current() {
        const BEGIN: &str = "<!-- BEGIN cli-reference -->\n";
        const END: &str = "<!-- END cli-reference -->";
        let readme_path = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../README.md");
        let readme = std::fs::read_to_string(&readme_path).unwrap();
        let (head, rest) = readme
            .split_once(BEGIN)
            .expect("README has the BEGIN marker");
        let (current, tail) = rest.split_once(END).expect("README has the END marker");
        let generated = reference::markdown(command());
        if current != generated {
            if std::env::var_os("UPDATE_README").is_some() {
                std::fs::write(&readme_path, format!("{head}{BEGIN}{generated}{END}{tail}"))
                    .unwrap();
                return;
            }
            panic!(
                "README's CLI reference is stale: run `UPDATE_README=1 cargo test -p \
                 sessionscope-cli readme` and commit README.md"
            );
        }
    }
}
