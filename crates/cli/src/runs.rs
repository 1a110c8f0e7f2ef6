//! `sessionscope runs`: the shared history of runs, as the app's list shows it, and
//! `--log ID` to reopen one run's output; on other machines with `--host` or
//! `--all-hosts`, and `--host H --follow ID` to watch a run there live.

use chrono::Utc;
use clap::Args;
use sessionscope_core::model::RunInfo;
use sessionscope_core::runs::supervisor::Supervisor;

use sessionscope_core::remote::hosts::Machine;
use sessionscope_core::remote::protocol::{Answer, Request};

use crate::hosts::{self, HostArgs};
use crate::ps::{clip, human_duration};

#[derive(Args)]
pub struct RunsArgs {
    /// Print JSON: {"runs": [...]}, oldest first.
    #[arg(long)]
    json: bool,
    /// Print the end of this run's log instead (id or unique prefix).
    #[arg(long, value_name = "ID")]
    log: Option<String>,
    /// With --host: follow this run's output (id or unique prefix), from the start
    /// of its log, until it ends; exits with its status.
    #[arg(long, value_name = "ID", requires = "hosts", conflicts_with = "log")]
    follow: Option<String>,
    /// With --log: how many bytes from the end.
    #[arg(long, default_value_t = 64 * 1024, value_name = "N")]
    bytes: usize,
    #[command(flatten)]
    hosts: HostArgs,
}

pub fn run(args: RunsArgs) -> anyhow::Result<()> {
    if args.hosts.named() {
        return run_hosts(args);
    }
    let sup = Supervisor::open_default(|_| {});
    if let Some(query) = &args.log {
        let run = sup.find_run(query)?;
        let tail = sup.log_tail(&run.id, args.bytes)?;
        std::io::Write::write_all(&mut std::io::stdout().lock(), &tail)?;
        return Ok(());
    }
    let runs = sup.runs();
    for w in sup.warnings() {
        eprintln!("sessionscope: warning: {w}");
    }
    if args.json {
        let out = serde_json::json!({ "runs": runs });
        println!("{}", serde_json::to_string_pretty(&out)?);
        return Ok(());
    }
    if runs.is_empty() {
        println!("No runs. Start one with: sessionscope run --name NAME -- COMMAND");
        return Ok(());
    }
    println!(
        "{:<12} {:<16} {:<10} {:>5} {:<16} {:>8}  COMMAND",
        "ID", "NAME", "STATUS", "EXIT", "STARTED", "DURATION"
    );
    for r in &runs {
        println!("{}", row(r));
    }
    Ok(())
}

/// `runs --host H... | --all-hosts`: each machine's history with a Host column, or
/// one host's run log.
fn run_hosts(args: RunsArgs) -> anyhow::Result<()> {
    let machines = args.hosts.machines()?;
    if let Some(query) = &args.follow {
        let [Machine::Remote(host)] = machines.as_slice() else {
            anyhow::bail!("--follow: name exactly one remote host with --host");
        };
        return crate::remote_run::follow_again(host, query);
    }
    if let Some(query) = &args.log {
        let [Machine::Remote(host)] = machines.as_slice() else {
            anyhow::bail!("--log with --host: name exactly one remote host");
        };
        let mut c = hosts::connect(host)?;
        let request = Request::RunLog {
            run: query.clone(),
            max_bytes: args.bytes,
        };
        let Answer::RunLog { text, .. } = c.request(request)? else {
            return Err(hosts::unexpected(&c).into());
        };
        std::io::Write::write_all(&mut std::io::stdout().lock(), text.as_bytes())?;
        return Ok(());
    }
    let mut all: Vec<(String, Vec<RunInfo>)> = Vec::new();
    if machines.contains(&Machine::Local) {
        all.push(("local".into(), Supervisor::open_default(|_| {}).runs()));
    }
    let mut failed = false;
    let remote = hosts::each_remote(&machines, |c| match c.request(Request::Runs)? {
        Answer::Runs { runs } => Ok(runs),
        _ => Err(hosts::unexpected(c)),
    });
    for (host, result) in remote {
        match result {
            Ok(runs) => all.push((host, runs)),
            Err(e) => {
                hosts::warn(&e);
                failed = true;
            }
        }
    }
    if args.json {
        let runs: Vec<serde_json::Value> = all
            .iter()
            .flat_map(|(host, runs)| {
                runs.iter().map(move |r| {
                    let mut v = serde_json::to_value(r).unwrap_or_default();
                    if let Some(o) = v.as_object_mut() {
                        o.insert("host".into(), host.as_str().into());
                    }
                    v
                })
            })
            .collect();
        println!(
            "{}",
            serde_json::to_string_pretty(&serde_json::json!({ "runs": runs }))?
        );
    } else {
        println!(
            "{:<16} {:<12} {:<16} {:<10} {:>5} {:<16} {:>8}  COMMAND",
            "HOST", "ID", "NAME", "STATUS", "EXIT", "STARTED", "DURATION"
        );
        for (host, runs) in &all {
            for r in runs {
                println!("{:<16} {}", clip(host, 16), row(r));
            }
        }
    }
    if failed {
        std::process::exit(crate::exit::ERROR);
    }
    Ok(())
}

/// A row of the table, from the ID column on.
fn row(r: &RunInfo) -> String {
    format!(
        "{:<12} {:<16} {:<10} {:>5} {:<16} {:>8}  {}{}",
        r.id,
        clip(&r.name, 16),
        status_text(r),
        exit_text(r),
        r.started_at
            .with_timezone(&chrono::Local)
            .format("%Y-%m-%d %H:%M"),
        duration_text(r),
        r.command,
        r.reason
            .as_deref()
            .map(|x| format!("  [{x}]"))
            .unwrap_or_default()
    )
}

fn status_text(r: &RunInfo) -> String {
    let s = serde_json::to_value(r.status)
        .ok()
        .and_then(|v| v.as_str().map(str::to_string))
        .unwrap_or_default();
    if r.detached {
        format!("{s}*")
    } else {
        s
    }
}

fn exit_text(r: &RunInfo) -> String {
    match (r.exit_code, r.exit_signal) {
        (Some(c), _) => c.to_string(),
        (None, Some(s)) => format!("sig{s}"),
        _ => "-".into(),
    }
}

fn duration_text(r: &RunInfo) -> String {
    match r.duration_ms {
        Some(ms) => human_duration(chrono::Duration::milliseconds(ms as i64)),
        None => human_duration(Utc::now().signed_duration_since(r.started_at)),
    }
}
