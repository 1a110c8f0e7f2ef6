//! `sessionscope usage`: token and cost totals by day, model, session or project, in
//! the shape of `ccusage daily|session` so the two can be compared. With `--host` or
//! `--all-hosts` the hosts' sessions are summed in as well (days in this machine's
//! time zone).

use chrono::{DateTime, Local, NaiveDate, Utc};
use clap::Args;
use sessionscope_core::analytics::usage::{report, GroupBy, UsageRow};

use sessionscope_core::agents::UsageSlot;
use sessionscope_core::model::Session;
use sessionscope_core::remote::hosts::Machine;
use sessionscope_core::remote::protocol::{Answer, Request};

use crate::hosts::{self, HostArgs};
use crate::scan;

#[derive(Args)]
pub struct UsageArgs {
    /// Group by day (local time zone), model, session or project.
    #[arg(long, default_value = "day")]
    by: GroupBy,
    #[command(flatten)]
    scan: scan::ScanArgs,
    /// Print JSON with ccusage's field names.
    #[arg(long)]
    json: bool,
    #[command(flatten)]
    hosts: HostArgs,
}

pub fn run(args: UsageArgs) -> anyhow::Result<()> {
    let now = Utc::now();
    let since = args.scan.since(now)?;
    let machines = args.hosts.machines()?;
    let mut rows: Vec<(Session, Vec<UsageSlot>)> = Vec::new();
    if machines.contains(&Machine::Local) {
        rows = args.scan.index(now).into_usage_rows();
    }
    let mut failed = false;
    let remote = hosts::each_remote(&machines, |c| match c.request(Request::UsageRows)? {
        Answer::UsageRows { rows } => Ok(rows),
        _ => Err(hosts::unexpected(c)),
    });
    for (_, result) in remote {
        match result {
            Ok(more) => rows.extend(
                more.into_iter()
                    .filter(|(s, _)| args.scan.harness.is_none_or(|h| s.harness == h)),
            ),
            Err(e) => {
                hosts::warn(&e);
                failed = true;
            }
        }
    }
    if failed {
        anyhow::bail!("not every host could be read; no totals printed");
    }
    let local_day = |t: DateTime<Utc>| -> NaiveDate { t.with_timezone(&Local).date_naive() };
    let r = report(&rows, args.by, since, &local_day);
    let (list, key) = match args.by {
        GroupBy::Day => ("daily", "date"),
        GroupBy::Model => ("models", "model"),
        GroupBy::Session => ("sessions", "sessionId"),
        GroupBy::Project => ("projects", "project"),
    };
    if args.json {
        let rows: Vec<serde_json::Value> = r.rows.iter().map(|row| keyed(row, key)).collect();
        let mut totals = serde_json::to_value(&r.totals)?;
        if let Some(o) = totals.as_object_mut() {
            o.remove("key");
            o.remove("lastActivity");
        }
        let out = serde_json::json!({ list: rows, "totals": totals });
        println!("{}", serde_json::to_string_pretty(&out)?);
        return Ok(());
    }
    let title = match args.by {
        GroupBy::Day => "Date",
        GroupBy::Model => "Model",
        GroupBy::Session => "Session",
        GroupBy::Project => "Project",
    };
    println!(
        "{:<38} {:>12} {:>12} {:>14} {:>14} {:>14} {:>12}  Models",
        title, "Input", "Output", "Cache Create", "Cache Read", "Total Tokens", "Cost (USD)"
    );
    for row in r.rows.iter().chain(std::iter::once(&r.totals)) {
        println!(
            "{:<38} {:>12} {:>12} {:>14} {:>14} {:>14} {:>12}  {}",
            if std::ptr::eq(row, &r.totals) {
                "Total"
            } else {
                &row.key
            },
            row.input_tokens,
            row.output_tokens,
            row.cache_creation_tokens,
            row.cache_read_tokens,
            row.total_tokens,
            format!("${:.2}", row.total_cost),
            if std::ptr::eq(row, &r.totals) {
                String::new()
            } else {
                row.models_used.join(", ")
            }
        );
    }
    Ok(())
}

/// A row as JSON with its key under ccusage's name (`date`, `sessionId`, ...).
fn keyed(row: &UsageRow, key: &str) -> serde_json::Value {
    let mut v = serde_json::to_value(row).unwrap_or_default();
    if let Some(o) = v.as_object_mut() {
        if let Some(k) = o.remove("key") {
            o.insert(key.to_string(), k);
        }
    }
    v
}
