//! `sessionscope`: the command-line face of sessionscope-core.
//!
//! Each subcommand is a few lines that call the core and print its answer, as a table
//! for people or as JSON (`--json`) for scripts. No logic lives here.

mod doctor;
mod kill;
mod ps;
mod records;
mod run;
mod runs;
mod scan;
mod search;
mod sessions;
mod terminal;
mod transcript;
mod usage;

use clap::{Parser, Subcommand};

#[derive(Parser)]
#[command(
    name = "sessionscope",
    version,
    about = "See every AI coding-agent session on this machine"
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
}

fn main() {
    // Windows: this process may have been started only to send Ctrl-C / Ctrl-Break to
    // another console (see core's `console_ctrl`); then it does that and exits.
    #[cfg(windows)]
    sessionscope_core::procs::console_ctrl::run_helper_if_asked();
    let cli = Cli::parse();
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
    };
    if let Err(e) = result {
        eprintln!("sessionscope: {e:#}");
        std::process::exit(1);
    }
}
