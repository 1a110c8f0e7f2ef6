//! `sessionscope sessions`: every session with its token usage and cost.

use chrono::Utc;
use clap::Args;
use sessionscope_core::model::Session;
use sessionscope_core::sessions::short_id::ShortIds;

use crate::scan;

#[derive(Args)]
pub struct SessionsArgs {
    #[command(flatten)]
    scan: scan::ScanArgs,
    /// Print a JSON array of sessions.
    #[arg(long)]
    json: bool,
}

pub fn run(args: SessionsArgs) -> anyhow::Result<()> {
    let now = Utc::now();
    let since = args.scan.since(now)?;
    let index = args.scan.index(now);
    let all = index.sessions();
    let all_ids: Vec<&str> = all.iter().map(|s| s.id.as_str()).collect();
    let shorts = ShortIds::new(&all_ids);
    let sessions: Vec<Session> = all
        .iter()
        .filter(|s| since.is_none_or(|t| s.last_activity.is_some_and(|a| a >= t)))
        .cloned()
        .collect();
    if args.json {
        println!("{}", serde_json::to_string_pretty(&sessions)?);
        return Ok(());
    }
    println!(
        "{:<10} {:<12} {:<17} {:<26} {:>10} {:>9} {:>11} {:>12} {:>13}  TITLE",
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
    for s in &sessions {
        println!(
            "{:<10} {:<12} {:<17} {:<26} {:>10} {:>9} {:>11} {:>12} {:>13}  {}",
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
    let total: f64 = sessions.iter().filter_map(|s| s.cost_usd).sum();
    println!("{} sessions, ${total:.2}", sessions.len());
    Ok(())
}
