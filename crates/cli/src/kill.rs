//! `sessionscope kill ID...`: stop runs or live agent sessions (found by the same scan
//! `ps` does), after saying exactly what will be stopped and how. On a terminal it asks
//! y/N; when stdin is not a terminal it refuses unless `--yes` is given, so a script
//! never kills by accident (exit status 3, [`crate::exit::REFUSED`]). With `--host H`
//! the host makes the plan, the question is asked here naming the host, and the host
//! carries out exactly what was confirmed.

use std::io::{BufRead, IsTerminal, Write};
use std::time::Duration;

use chrono::Utc;
use clap::Args;
use sessionscope_core::agents::gptme::server::GptmeServerClient;
use sessionscope_core::kill::{self, KillOptions, KillScope};
use sessionscope_core::model::{
    GptmeServerSettings, KillOutcome, KillPlan, KillResult, KillTarget,
};
use sessionscope_core::procs::ProcessScanner;
use sessionscope_core::remote::hosts::Machine;
use sessionscope_core::remote::protocol::{Answer, Confirmation, ConfirmedBy, Request};
use sessionscope_core::runs::supervisor::Supervisor;

use crate::hosts::{self, HostArgs};

#[derive(Args)]
pub struct KillArgs {
    /// Run ids, or ids of live agent sessions (a unique prefix is enough). Several
    /// are listed together and confirmed once.
    #[arg(required = true, value_name = "ID")]
    ids: Vec<String>,
    /// Do not ask; required when stdin is not a terminal.
    #[arg(long, short)]
    yes: bool,
    /// Seconds between SIGTERM and SIGKILL.
    #[arg(long, default_value_t = 5.0, value_name = "SECS")]
    grace: f64,
    /// A gptme-server whose sessions may be killed too (token from $GPTME_SERVER_TOKEN).
    #[arg(long, value_name = "URL")]
    gptme_server: Option<String>,
    #[command(flatten)]
    hosts: HostArgs,
}

pub fn run(args: KillArgs) -> anyhow::Result<()> {
    // NaN or infinity must not reach from_secs_f64 (it panics on them).
    let secs = if args.grace.is_nan() {
        0.0
    } else {
        args.grace.clamp(0.0, 600.0)
    };
    let grace = Duration::from_secs_f64(secs);
    if let Machine::Remote(host) = args.hosts.one()? {
        if args.gptme_server.is_some() {
            anyhow::bail!("--gptme-server cannot be combined with --host");
        }
        return kill_on_host(&host, &args.ids, grace, args.yes);
    }
    let sup = Supervisor::open_default(|_| {});
    // Runs first: finding them needs no scan of every agent's files.
    let runs_only = KillScope {
        supervisor: Some(&sup),
        ..Default::default()
    };
    let found: Option<Vec<KillTarget>> =
        args.ids.iter().map(|id| runs_only.find(id).ok()).collect();
    if let Some(targets) = found {
        return confirm_and_stop(&runs_only, &targets, grace, args.yes);
    }
    let server = args.gptme_server.and_then(|url| {
        GptmeServerClient::from_settings(&GptmeServerSettings {
            base_url: Some(url),
            ..Default::default()
        })
    });
    let server_sessions = match &server {
        Some(client) => client.sessions()?,
        None => Vec::new(),
    };
    let now = Utc::now();
    // Through the cache, as `ps` reads: with years of history a cold scan would keep
    // the user waiting before the question. Processes are always scanned fresh.
    let mut index = crate::scan::scan_with(
        sessionscope_core::settings::watched_roots_now(),
        false,
        now,
        false,
    );
    let processes = ProcessScanner::new().scan();
    index.refresh_status(processes.clone(), now);
    let sessions = index.sessions();
    let scope = KillScope {
        supervisor: Some(&sup),
        sessions: &sessions,
        processes: &processes,
        server_sessions: &server_sessions,
        server: server.as_ref(),
    };
    let mut targets = Vec::new();
    let mut unknown = Vec::new();
    for id in &args.ids {
        match scope.find(id) {
            Ok(t) => targets.push(t),
            Err(why) => unknown.push(why),
        }
    }
    if !unknown.is_empty() {
        // Stop nothing rather than part of what was asked.
        anyhow::bail!("{}", unknown.join("; "));
    }
    confirm_and_stop(&scope, &targets, grace, args.yes)
}

/// `kill --host H ID...`: the plan from the host, the yes from here, the stop there.
fn kill_on_host(host: &str, ids: &[String], grace: Duration, yes: bool) -> anyhow::Result<()> {
    let mut c = hosts::connect(host)?;
    let request = Request::KillPlan {
        ids: ids.to_vec(),
        grace_ms: grace.as_millis() as u64,
    };
    let Answer::KillPlan { plan } = c.request(request)? else {
        return Err(hosts::unexpected(&c).into());
    };
    let by = ask(&plan, yes, Some(host))?;
    let confirmation = Confirmation::for_plan(by, host, &plan);
    println!("Stopping on {}…", kill::shown(host));
    let Answer::Killed { outcomes } = c.request(Request::Kill {
        plan: plan.clone(),
        confirmation,
    })?
    else {
        return Err(hosts::unexpected(&c).into());
    };
    report(&plan, &outcomes)
}

fn confirm_and_stop(
    scope: &KillScope,
    targets: &[KillTarget],
    grace: Duration,
    yes: bool,
) -> anyhow::Result<()> {
    let plan = scope.plan(targets, grace);
    ask(&plan, yes, None)?;
    let outcomes = scope.execute(&plan, &KillOptions::with_grace(grace), &|event| {
        println!(
            "  {}: {}",
            label(&plan, &event.target),
            kill::shown(&event.message)
        );
    });
    report(&plan, &outcomes)
}

/// Print the plan and get a yes (a y/N on the terminal, or `--yes`); refusing exits 3.
/// `host` is named before the plan and in the question when it is not this machine.
fn ask(plan: &KillPlan, yes: bool, host: Option<&str>) -> anyhow::Result<ConfirmedBy> {
    let on = host
        .map(|h| format!(" on {}", kill::shown(h)))
        .unwrap_or_default();
    if plan.items.is_empty() {
        for why in &plan.skipped {
            eprintln!("sessionscope: cannot stop{on} {}", kill::shown(why));
        }
        anyhow::bail!("nothing to stop{on}");
    }
    if let Some(h) = host {
        println!("On host {}:", kill::shown(h));
    }
    // The very text the app's dialog shows: names, paths and commands escaped, so a
    // transcript (or a host) cannot add lines to the question or send escapes to the
    // terminal.
    println!("{}", plan.describe());
    if yes {
        return Ok(ConfirmedBy::YesFlag);
    }
    if !std::io::stdin().is_terminal() {
        eprintln!(
            "sessionscope: refusing to kill without --yes: stdin is not a terminal to ask on"
        );
        std::process::exit(crate::exit::REFUSED);
    }
    let question = if plan.items.len() == 1 {
        format!("Stop it{on}?")
    } else {
        format!("Stop these {}{on}?", plan.items.len())
    };
    eprint!("{question} [y/N] ");
    std::io::stderr().flush()?;
    let mut answer = String::new();
    std::io::stdin().lock().read_line(&mut answer)?;
    if !matches!(answer.trim().to_ascii_lowercase().as_str(), "y" | "yes") {
        println!("Nothing was stopped.");
        std::process::exit(crate::exit::REFUSED);
    }
    Ok(ConfirmedBy::Terminal)
}

/// The label of `target` in `plan`, escaped.
fn label(plan: &KillPlan, target: &KillTarget) -> String {
    plan.items
        .iter()
        .find(|i| &i.target == target)
        .map_or(String::new(), |i| kill::shown(&i.label))
}

/// One line per target of how it ended; exits 1 unless every one stopped.
fn report(plan: &KillPlan, outcomes: &[KillOutcome]) -> anyhow::Result<()> {
    let mut all_stopped = true;
    for o in outcomes {
        let word = match o.result {
            KillResult::Stopped => "stopped",
            KillResult::AlreadyGone => "already gone",
            KillResult::Refused => "NOT stopped (refused)",
            KillResult::Failed => "FAILED",
        };
        all_stopped &= o.result == KillResult::Stopped;
        println!(
            "{word}: {}: {}",
            label(plan, &o.target),
            kill::shown(&o.message)
        );
    }
    if !all_stopped {
        std::process::exit(crate::exit::ERROR);
    }
    Ok(())
}
