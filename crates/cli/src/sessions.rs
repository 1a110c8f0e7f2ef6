//! `sessionscope sessions`: every session with its token usage and cost, on this
//! machine or (`--host`, `--all-hosts`) on others, from their `serve --stdio` snapshot.

use chrono::Utc;
use clap::Args;
use sessionscope_core::model::Session;
use sessionscope_core::remote::hosts::Machine;
use sessionscope_core::sessions::short_id::ShortIds;

use crate::hosts::{self, HostArgs};
use crate::scan;

#[derive(Args)]
pub struct SessionsArgs {
    #[command(flatten)]
    scan: scan::ScanArgs,
    /// Print a JSON array of sessions.
    #[arg(long)]
    json: bool,
    #[command(flatten)]
    hosts: HostArgs,
}

pub fn run(args: SessionsArgs) -> anyhow::Result<()> {
    let now = Utc::now();
    let since = args.scan.since(now)?;
    let machines = args.hosts.machines()?;
    let mut tables: Vec<(String, Vec<Session>)> = Vec::new();
    if machines.contains(&Machine::Local) {
        tables.push(("local".into(), args.scan.index(now).sessions()));
    }
    let mut failed = false;
    for (host, result) in hosts::each_remote(&machines, |c| c.snapshot()) {
        match result {
            Ok(snap) => tables.push((host, snap.sessions)),
            Err(e) => {
                hosts::warn(&e);
                failed = true;
            }
        }
    }
    let named = args.hosts.named();
    let mut rows: Vec<(&str, ShortIds, Vec<&Session>)> = Vec::new();
    for (host, all) in &tables {
        let ids: Vec<&str> = all.iter().map(|s| s.id.as_str()).collect();
        let shown = all
            .iter()
            .filter(|s| args.scan.harness.is_none_or(|h| s.harness == h))
            .filter(|s| since.is_none_or(|t| s.last_activity.is_some_and(|a| a >= t)))
            .collect();
        rows.push((host, ShortIds::new(&ids), shown));
    }
    if args.json {
        let out: Vec<serde_json::Value> = rows
            .iter()
            .flat_map(|(host, _, sessions)| {
                sessions.iter().map(move |s| match named {
                    true => hosts::with_host(s, host),
                    false => serde_json::to_value(s).unwrap_or_default(),
                })
            })
            .collect();
        println!("{}", serde_json::to_string_pretty(&out)?);
    } else {
        print_table(&rows, named);
    }
    if failed {
        std::process::exit(crate::exit::ERROR);
    }
    Ok(())
}

fn print_table(rows: &[(&str, ShortIds, Vec<&Session>)], named: bool) {
    let host_col = |h: &str| {
        if named {
            format!("{:<16} ", crate::ps::clip(h, 16))
        } else {
            String::new()
        }
    };
    println!(
        "{}{:<10} {:<12} {:<17} {:<26} {:>10} {:>9} {:>11} {:>12} {:>13}  TITLE",
        host_col("HOST"),
        "ID",
        "HARNESS",
        "LAST ACTIVITY",
        "MODEL",
        "INPUT",
        "OUTPUT",
        "CACHE WRITE",
        "CACHE READ",
        "COST"
    );
    let mut count = 0;
    let mut total = 0.0;
    for (host, shorts, sessions) in rows {
        for s in sessions {
            count += 1;
            total += s.cost_usd.unwrap_or(0.0);
            println!(
                "{}{:<10} {:<12} {:<17} {:<26} {:>10} {:>9} {:>11} {:>12} {:>13}  {}",
                host_col(host),
                shorts.get(&s.id),
                s.harness.as_str(),
                s.last_activity
                    .map(|t| t
                        .with_timezone(&chrono::Local)
                        .format("%Y-%m-%d %H:%M")
                        .to_string())
                    .unwrap_or_default(),
                s.model
                    .as_deref()
                    .unwrap_or("-")
                    .chars()
                    .take(26)
                    .collect::<String>(),
                s.usage.input_tokens,
                s.usage.output_tokens,
                s.usage.cache_creation_tokens,
                s.usage.cache_read_tokens,
                match s.cost_usd {
                    Some(c) => format!("${c:.2}"),
                    None if s.price_unknown => "price unknown".into(),
                    None => "-".into(),
                },
                s.title.as_deref().unwrap_or("")
            );
        }
    }
    println!("{count} sessions, ${total:.2}");
}
