//! `sessionscope runs`: the shared history of runs, as the app's list shows it, and
//! `--log ID` to reopen one run's output.

use chrono::Utc;
use clap::Args;
use sessionscope_core::model::RunInfo;
use sessionscope_core::runs::supervisor::Supervisor;

use crate::ps::{clip, human_duration};

#[derive(Args)]
pub struct RunsArgs {
    /// Print JSON: {"runs": [...]}, oldest first.
    #[arg(long)]
    json: bool,
    /// Print the end of this run's log instead (id or unique prefix).
    #[arg(long, value_name = "ID")]
    log: Option<String>,
    /// With --log: how many bytes from the end.
    #[arg(long, default_value_t = 64 * 1024, value_name = "N")]
    bytes: usize,
}

pub fn run(args: RunsArgs) -> anyhow::Result<()> {
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
        println!(
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
        );
    }
    Ok(())
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
