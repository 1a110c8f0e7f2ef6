//! `records stats|query|show|runs` with `--host H` (repeatable) or `--all-hosts`: each
//! machine's record store read where it is (this one's here, a host's by its
//! `sessionscope serve` over ssh, with the same filters), then one output. `query`
//! lists every machine's records with a Host column (`host` in JSON); `stats` and `runs`
//! count the records of every machine named as one store; `show` finds the record on
//! whichever machine has it. For one host the numbers and lines are those the command
//! prints on that host. A host that cannot be read is said on stderr and the others are
//! still shown; the command then exits 1.

use anyhow::Result;
use chrono::Utc;
use sessionscope_core::analytics;
use sessionscope_core::records::filter::RecordFields;
use sessionscope_core::records::{self, Record, Store};
use sessionscope_core::remote::client::LinkError;
use sessionscope_core::remote::hosts::Machine;
use sessionscope_core::remote::protocol::{Answer, Request};
use sessionscope_core::views::RecordQuery;

use super::format;
use crate::hosts::{self as remote, HostArgs};
use crate::ps::clip;

/// Each machine's name and records, in order.
pub type PerMachine = Vec<(String, Vec<Record>)>;

/// Each machine's records passing `query`, in the order the machines were named (this
/// one first when named), and whether any host failed.
pub fn fetch(hosts: &HostArgs, store: &Store, query: &RecordQuery) -> Result<(PerMachine, bool)> {
    let machines = hosts.machines()?;
    let mut all = Vec::new();
    if machines.contains(&Machine::Local) {
        let filter = query.to_filter().map_err(anyhow::Error::msg)?;
        all.push((
            "local".to_string(),
            records::query(store, &filter, Utc::now())?,
        ));
    }
    let mut failed = false;
    let asked = remote::each_remote(&machines, |c| {
        match c.request(Request::Records {
            query: query.clone(),
        })? {
            Answer::Records { records, .. } => Ok(records),
            _ => Err(remote::unexpected(c)),
        }
    });
    for (host, result) in asked {
        match result {
            Ok(records) => all.push((host, records)),
            Err(e) => {
                remote::warn(&e);
                failed = true;
            }
        }
    }
    Ok((all, failed))
}

fn fields(all: &[(String, Vec<Record>)]) -> impl Iterator<Item = RecordFields<'_>> {
    all.iter()
        .flat_map(|(_, records)| records.iter().map(RecordFields::of))
}

/// With more than one machine, a line saying which were counted (one host's output is
/// that of the command run there).
fn machines_line(all: &[(String, Vec<Record>)]) {
    if all.len() > 1 {
        let named: Vec<String> = all
            .iter()
            .map(|(h, r)| format!("{h} ({})", r.len()))
            .collect();
        println!("Records of {} machines: {}\n", all.len(), named.join(", "));
    }
}

/// `stats` (and `query --stats`) over every machine's matching records.
pub fn stats(all: &[(String, Vec<Record>)], json: bool, last_30_days_note: bool) -> Result<()> {
    let s = analytics::stats(fields(all));
    if json {
        return super::print_json(&s);
    }
    machines_line(all);
    if s.total == 0 {
        println!("No records match your filters.");
        return Ok(());
    }
    if last_30_days_note {
        println!("Last 30 days (use --since all for all-time):\n");
    }
    print!("{}", format::stats(&s));
    Ok(())
}

/// `query`: each machine's records with a Host column, or as JSON each with `host`.
pub fn list(all: &[(String, Vec<Record>)], json: bool) -> Result<()> {
    if json {
        let rows: Vec<serde_json::Value> = all
            .iter()
            .flat_map(|(host, records)| records.iter().map(move |r| with_host(r, host)))
            .collect();
        return super::print_json(&rows);
    }
    let mut n = 0;
    for (host, records) in all {
        for r in records {
            println!("{:<16} {}", clip(host, 16), format::query_line(r));
            n += 1;
        }
    }
    println!("\n{n} records");
    Ok(())
}

/// `runs`: run analytics over every machine's records of the window.
pub fn runs(all: &[(String, Vec<Record>)], json: bool, days: Option<f64>) -> Result<()> {
    let r = analytics::run_analytics(fields(all));
    if json {
        return super::print_json(&r);
    }
    machines_line(all);
    if r.total == 0 {
        println!(
            "No runs found in the last {}.",
            format::window(Some(days.unwrap_or(14.0)))
        );
        return Ok(());
    }
    print!("{}", format::runs(&r));
    Ok(())
}

/// `show`: the record `id` on the one machine that has it (an error naming the machines
/// when several do, or each one's reason when none does). Whether a host failed.
pub fn show(hosts: &HostArgs, store: &Store, id: &str, json: bool) -> Result<bool> {
    let machines = hosts.machines()?;
    let mut found: Vec<(String, Record)> = Vec::new();
    let mut misses: Vec<String> = Vec::new();
    if machines.contains(&Machine::Local) {
        match records::find(store, id) {
            Ok(r) => found.push(("local".into(), r)),
            Err(e) => misses.push(format!("local: {e}")),
        }
    }
    let mut failed = false;
    let asked = remote::each_remote(&machines, |c| {
        match c.request(Request::Record { id: id.to_string() })? {
            Answer::Record { record } => Ok(*record),
            _ => Err(remote::unexpected(c)),
        }
    });
    for (host, result) in asked {
        match result {
            Ok(r) => found.push((host, r)),
            // The host answered: it has no such record (or several).
            Err(LinkError::Remote { message, .. }) => misses.push(format!("{host}: {message}")),
            Err(e) => {
                remote::warn(&e);
                failed = true;
            }
        }
    }
    match found.as_slice() {
        [(host, record)] => {
            if json {
                super::print_json(&with_host(record, host))?;
            } else {
                println!("host: {host}");
                print!("{}", format::record_detail(record));
            }
            Ok(failed)
        }
        [] if failed && misses.is_empty() => {
            anyhow::bail!("no host could be asked for record {id:?}")
        }
        [] => anyhow::bail!(
            "no record {id:?} on any machine asked ({})",
            misses.join("; ")
        ),
        many => {
            let on: Vec<&str> = many.iter().map(|(h, _)| h.as_str()).collect();
            anyhow::bail!(
                "a record {id:?} is on {}; name one of them with --host",
                on.join(", ")
            )
        }
    }
}

fn with_host(r: &Record, host: &str) -> serde_json::Value {
    let mut v = r.to_value();
    if let Some(o) = v.as_object_mut() {
        o.insert("host".into(), host.into());
    }
    v
}
