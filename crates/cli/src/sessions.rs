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
        use serde::ser::SerializeSeq;
        let mut seq = ser.serialize_seq(Some(self.0.len()))?;
        for (host, s) in &self.0 {
            match self.1 {
                true => seq.serialize_element(&hosts::with_host(s, host))?,
                false => seq.serialize_element(&SortedKeys(s))?,
            }
        }
        seq.end()
    }
}

/// A row written with its keys in the sorted order `serde_json::to_value` gives them
/// (what `sessions --json` always printed), straight from the row: a JSON tree per row
/// cost a tenth of a warm `sessions --json` over 100k rows. A test holds it to
/// `to_value`'s output, so a new field of `Session` cannot be left out.
struct SortedKeys<'a>(&'a Session);

impl serde::Serialize for SortedKeys<'_> {
    fn serialize<S: serde::Serializer>(&self, ser: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeStruct;
        let s = self.0;
        let u = &s.usage;
        #[derive(serde::Serialize)]
        struct Usage {
            cache_creation_tokens: u64,
            cache_read_tokens: u64,
            input_tokens: u64,
            output_tokens: u64,
        }
        let mut o = ser.serialize_struct("Session", 28)?;
        o.serialize_field("agent_name", &s.agent_name)?;
        o.serialize_field("agent_version", &s.agent_version)?;
        o.serialize_field("ambiguous", &s.ambiguous)?;
        o.serialize_field("assistant_messages", &s.assistant_messages)?;
        o.serialize_field("cost_usd", &s.cost_usd)?;
        o.serialize_field("git_branch", &s.git_branch)?;
        o.serialize_field("gone", &s.gone)?;
        o.serialize_field("harness", &s.harness)?;
        o.serialize_field("id", &s.id)?;
        o.serialize_field("key", &s.key)?;
        o.serialize_field("last_activity", &s.last_activity)?;
        o.serialize_field("model", &s.model)?;
        o.serialize_field("models", &s.models)?;
        o.serialize_field("parent_id", &s.parent_id)?;
        o.serialize_field("parse_errors", &s.parse_errors)?;
        o.serialize_field("path", &s.path)?;
        o.serialize_field("pid", &s.pid)?;
        o.serialize_field("price_unknown", &s.price_unknown)?;
        o.serialize_field("project", &s.project)?;
        o.serialize_field("started_at", &s.started_at)?;
        o.serialize_field("status", &s.status)?;
        o.serialize_field("status_since", &s.status_since)?;
        o.serialize_field("title", &s.title)?;
        o.serialize_field("tool_calls", &s.tool_calls)?;
        o.serialize_field("tool_errors", &s.tool_errors)?;
        o.serialize_field("unknown_records", &s.unknown_records)?;
        o.serialize_field(
            "usage",
            &Usage {
                cache_creation_tokens: u.cache_creation_tokens,
                cache_read_tokens: u.cache_read_tokens,
                input_tokens: u.input_tokens,
                output_tokens: u.output_tokens,
            },
        )?;
        o.serialize_field("user_messages", &s.user_messages)?;
        o.end()
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
    // Buffered: stdout alone writes (and flushes) every line, 100k writes for 100k rows.
    let mut out = std::io::BufWriter::new(std::io::stdout().lock());
    for (host, shorts, sessions) in rows {
        for s in sessions {
            count += 1;
            total += s.cost_usd.unwrap_or(0.0);
            let written = writeln!(
                out,
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
                crate::ps::title_cell(s.title.as_deref())
            );
            if written.is_err() {
                return; // a closed pipe (`| head`) just ends the output
            }
        }
    }
    let _ = writeln!(out, "{count} sessions, ${total:.2}").and_then(|_| out.flush());
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Rows as `to_value` wrote them (keys sorted, nested ones too), byte for byte,
    /// read from JSON so that a field added to `Session` fails here until written.
    #[test]
    fn sorted_keys_write_what_to_value_wrote() {
        let full = serde_json::json!({
            "key": "claude-code:a\"b", "id": "a\"b", "harness": "claude-code",
            "title": "tab\there ✅ \u{7}", "project": "/p", "git_branch": null,
            "model": "m", "models": ["m", "n"], "started_at": "2026-01-02T03:04:05.123Z",
            "last_activity": "2026-01-02T03:04:06Z", "status_since": null,
            "user_messages": 1, "assistant_messages": 2, "tool_calls": 3, "tool_errors": 4,
            "usage": {"input_tokens": 5, "output_tokens": 6, "cache_creation_tokens": 7,
                      "cache_read_tokens": 18446744073709551615u64},
            "cost_usd": 0.062477250000000005, "price_unknown": false, "parse_errors": 0,
            "status": "waiting-for-input", "pid": 42, "ambiguous": true,
            "agent_name": "x", "agent_version": "2.0", "unknown_records": {"b": 1, "a": 2},
            "path": "/p/a.jsonl", "gone": true, "parent_id": "p"
        });
        let mut bare = full.clone();
        for k in [
            "title",
            "project",
            "model",
            "started_at",
            "last_activity",
            "cost_usd",
            "pid",
            "agent_name",
            "agent_version",
            "parent_id",
        ] {
            bare[k] = serde_json::Value::Null;
        }
        bare["models"] = serde_json::json!([]);
        bare["unknown_records"] = serde_json::json!({});
        for row in [full, bare] {
            let s: Session = serde_json::from_value(row).expect("every field of Session");
            let want = serde_json::to_string_pretty(&serde_json::to_value(&s).unwrap()).unwrap();
            assert_eq!(serde_json::to_string_pretty(&SortedKeys(&s)).unwrap(), want);
        }
    }
}
