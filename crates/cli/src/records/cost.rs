//! `records cost`: what the sessions of the store cost (gptme-sessions' `cost`: same
//! flags, JSON keys and text). Pricing lives in `sessionscope_core::records::cost`.
//! With `--host`/`--all-hosts`, the records of every machine named, priced here (with
//! this machine's price table) as one store.

use anyhow::Result;
use chrono::Utc;
use clap::Args;
use serde::ser::{SerializeMap, Serializer};
use serde::Serialize;
use sessionscope_core::records::cost::{analyze_costs, CostSummary, PriceSource, Pricer};
use sessionscope_core::records::Store;

#[derive(Args)]
pub struct CostArgs {
    /// Include sessions from the last N days.
    #[arg(long, default_value_t = 7)]
    days: i64,
    /// Show a day-by-day breakdown.
    #[arg(long)]
    daily: bool,
    /// Show a per-model breakdown.
    #[arg(long = "by-model")]
    by_model: bool,
    /// Shorthand for --days 7.
    #[arg(long = "last-7d")]
    last_7d: bool,
    #[arg(long)]
    json: bool,
    #[command(flatten)]
    hosts: crate::hosts::HostArgs,
}

pub fn run(store: &Store, a: CostArgs) -> Result<()> {
    let days = if a.last_7d { 7 } else { a.days };
    let mut host_failed = false;
    let records = if a.hosts.named() {
        // Every record: the window is the cost's own (whole days back from today).
        let (all, failed) = super::hosts::fetch(&a.hosts, store, &Default::default())?;
        host_failed = failed;
        if all.len() > 1 && !a.json {
            let named: Vec<String> = all
                .iter()
                .map(|(h, r)| format!("{h} ({})", r.len()))
                .collect();
            println!("Records of {} machines: {}\n", all.len(), named.join(", "));
        }
        all.into_iter().flat_map(|(_, records)| records).collect()
    } else {
        store.load()?.records
    };
    let pricer = Pricer::from_user_config();
    let summary = analyze_costs(&records, Some(days), Utc::now(), &pricer);
    if summary.price_source == PriceSource::Embedded {
        eprintln!(
            "Note: no prices in ~/.config/gptme/harness-quota.toml; using Sessionscope's built-in price table."
        );
    }
    if a.json {
        println!("{}", serde_json::to_string_pretty(&JsonSummary(&summary))?);
    } else {
        println!("{}", text(&summary, a.daily, a.by_model));
    }
    super::exit_if(host_failed)
}

/// The JSON gptme-sessions prints, with `by_model` in the order models were first
/// priced (as Python's dict keeps it).
struct JsonSummary<'a>(&'a CostSummary);

impl Serialize for JsonSummary<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let c = self.0;
        let mut m = s.serialize_map(Some(6))?;
        m.serialize_entry("session_count", &c.session_count)?;
        m.serialize_entry("priced_count", &c.priced_count)?;
        m.serialize_entry("total_cost", &c.total_cost)?;
        m.serialize_entry("avg_cost", &c.avg_cost())?;
        m.serialize_entry("by_model", &ByModel(c))?;
        let by_day: serde_json::Map<String, serde_json::Value> = c
            .by_day
            .iter()
            .map(|(d, b)| {
                (
                    d.clone(),
                    serde_json::json!({"count": b.count, "total_cost": b.total_cost}),
                )
            })
            .collect();
        m.serialize_entry("by_day", &by_day)?;
        m.end()
    }
}

struct ByModel<'a>(&'a CostSummary);

impl Serialize for ByModel<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut m = s.serialize_map(Some(self.0.by_model.len()))?;
        for (model, b) in &self.0.by_model {
            m.serialize_entry(
                model,
                &serde_json::json!({
                    "count": b.count,
                    "total_cost": b.total_cost,
                    "avg_cost": b.avg_cost(),
                }),
            )?;
        }
        m.end()
    }
}

/// gptme-sessions' `format_cost_summary`, line for line.
fn text(c: &CostSummary, daily: bool, by_model: bool) -> String {
    let mut lines = vec![
        "# Session Cost Summary".to_string(),
        String::new(),
        format!(
            "Sessions: {} total, {} with cost data",
            c.session_count, c.priced_count
        ),
        format!("Total cost: ${:.4}", c.total_cost),
    ];
    if c.priced_count > 0 {
        lines.push(format!("Avg cost:   ${:.4}", c.avg_cost()));
    }
    if by_model && !c.by_model.is_empty() {
        lines.push(String::new());
        lines.push("## By Model".into());
        lines.push(String::new());
        lines.push(format!(
            "{:<30} {:>8} {:>10} {:>10}",
            "Model", "Sessions", "Total", "Avg"
        ));
        lines.push("-".repeat(62));
        let mut rows: Vec<_> = c.by_model.iter().collect();
        // Stable, like Python's sorted(): equal totals keep first-priced order.
        rows.sort_by(|a, b| b.1.total_cost.total_cmp(&a.1.total_cost));
        for (model, b) in rows {
            lines.push(format!(
                "{model:<30} {:>8} ${:>9.4} ${:>9.4}",
                b.count,
                b.total_cost,
                b.avg_cost()
            ));
        }
    }
    if daily && !c.by_day.is_empty() {
        lines.push(String::new());
        lines.push("## By Day".into());
        lines.push(String::new());
        lines.push(format!("{:<12} {:>8} {:>10}", "Date", "Sessions", "Total"));
        lines.push("-".repeat(32));
        for (day, b) in &c.by_day {
            lines.push(format!("{day:<12} {:>8} ${:>9.4}", b.count, b.total_cost));
        }
    }
    lines.join("\n")
}
