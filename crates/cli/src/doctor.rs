//! `sessionscope doctor`: one scan and process scan, then the core's diagnosis
//! ([`sessionscope_core::doctor`]) as text or JSON.

use clap::Args;
use sessionscope_core::doctor::{self, DoctorReport};
use sessionscope_core::procs::ProcessScanner;
use sessionscope_core::sessions::index::SessionIndex;

#[derive(Args)]
pub struct DoctorArgs {
    /// Print the report as JSON.
    #[arg(long)]
    json: bool,
}

pub fn run(args: DoctorArgs) -> anyhow::Result<()> {
    let now = chrono::Utc::now();
    let mut index = SessionIndex::new(sessionscope_core::settings::watched_roots_now());
    index.scan_all(now);
    let processes = ProcessScanner::new().scan();
    index.refresh_status(processes.clone(), now);
    let report = doctor::diagnose(&index, &processes);
    if args.json {
        println!("{}", serde_json::to_string_pretty(&report)?);
    } else {
        print_report(&report);
    }
    Ok(())
}

fn print_report(r: &DoctorReport) {
    println!("Transcript roots:");
    for root in &r.roots {
        let state = if root.exists {
            format!("{} sessions", root.sessions)
        } else {
            "not found".into()
        };
        println!("  {:<12} {}  ({state})", root.harness.as_str(), root.path);
    }
    println!("Agents' own live state:");
    for s in &r.live_state {
        let state = if s.exists {
            format!("{} running sessions", s.live_sessions)
        } else {
            "not found".into()
        };
        println!("  {:<12} {}  ({state})", s.harness.as_str(), s.path);
    }
    println!("Agent processes:");
    if r.processes.is_empty() {
        println!("  none running");
    }
    for p in &r.processes {
        println!(
            "  {:<8} {:<12} {}  -> {}",
            p.pid,
            p.harness.as_str(),
            p.cwd.as_deref().unwrap_or("?"),
            p.session
                .as_deref()
                .unwrap_or("no session matched (or ambiguous)")
        );
    }
    println!("Format drift (record types and fields the parsers do not know):");
    if r.drift.is_empty() {
        println!("  none");
    }
    for d in &r.drift {
        println!(
            "  {:<12} {:<10} {}: {} times in {} sessions",
            d.harness.as_str(),
            d.agent_version.as_deref().unwrap_or("?"),
            d.name,
            d.count,
            d.sessions
        );
    }
    println!("Models without a price:");
    if r.unpriced_models.is_empty() {
        println!("  none");
    }
    for m in &r.unpriced_models {
        println!(
            "  {:<12} {}: {} sessions, {} of them with no cost at all (price unknown)",
            m.harness.as_str(),
            m.model,
            m.sessions,
            m.sessions_without_cost
        );
    }
    println!("Read errors:");
    if r.errors.is_empty() {
        println!("  none");
    }
    for e in &r.errors {
        println!("  {e}");
    }
}
