//! `sessionscope sessions`: every session with its token usage and cost, on this
//! machine or (`--host`, `--all-hosts`) on others, from their `serve --stdio` snapshot.

use std::io::Write;

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
    // The local rows stay borrowed from the index (no copy of 100k rows).
    let local = machines
        .contains(&Machine::Local)
        .then(|| args.scan.index(now));
    let mut remote: Vec<(String, Vec<Session>)> = Vec::new();
    let mut failed = false;
    for (host, result) in hosts::each_remote(&machines, |c| c.snapshot()) {
        match result {
            Ok(snap) => remote.push((host, snap.sessions)),
            Err(e) => {
                hosts::warn(&e);
                failed = true;
            }
        }
    }
    let mut tables: Vec<(&str, Vec<&Session>)> = Vec::new();
    if let Some(index) = &local {
        tables.push(("local", index.rows()));
    }
    for (host, all) in &remote {
        tables.push((host, all.iter().collect()));
    }
    let named = args.hosts.named();
    let shown = |s: &&Session| {
        args.scan.harness.is_none_or(|h| s.harness == h)
            && since.is_none_or(|t| s.last_activity.is_some_and(|a| a >= t))
    };
    if args.json {
        // Row by row as they are written: no JSON tree of every row first.
        let rows = JsonRows(
            tables
                .iter()
                .flat_map(|(host, all)| all.iter().filter(|s| shown(s)).map(move |s| (*host, *s)))
                .collect(),
            named,
        );
        let mut out = std::io::BufWriter::new(std::io::stdout().lock());
        let written = serde_json::to_writer_pretty(&mut out, &rows)
            .map_err(std::io::Error::from)
            .and_then(|_| writeln!(out))
            .and_then(|_| out.flush());
        match written {
            Err(e) if e.kind() != std::io::ErrorKind::BrokenPipe => return Err(e.into()),
            _ => {} // a closed pipe (`| head`) just ends the output
        }
    } else {
        let mut rows: Vec<(&str, ShortIds, Vec<&Session>)> = Vec::new();
        for (host, all) in &tables {
            let ids: Vec<&str> = all.iter().map(|s| s.id.as_str()).collect();
            rows.push((
                host,
                ShortIds::new(&ids),
                all.iter().copied().filter(shown).collect(),
            ));
        }
        print_table(&rows, named);
    }
    // The process ends here: freeing the index row by row would only cost time.
    drop(tables);
    if let Some(mut index) = local {
        index.close_cache();
        std::mem::forget(index);
    }
    if failed {
        std::process::exit(crate::exit::ERROR);
    }
    Ok(())
}

/// The rows `sessions --json` prints (with their host when hosts were named), each
/// as the object it always was.
struct JsonRows<'a>(Vec<(&'a str, &'a Session)>, bool);

impl serde::Serialize for JsonRows<'_> {
    fn serialize<S: serde::Serializer>(&self, ser: S) -> Result<S::Ok, S::Error> {
        ser.collect_seq(self.0.iter().map(|(host, s)| match self.1 {
            true => hosts::with_host(s, host),
            false => serde_json::to_value(s).unwrap_or_default(),
        }))
    }
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
