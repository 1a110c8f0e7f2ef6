//! `records auto-tag`: categories set from what each session's trajectory shows
//! (gptme-sessions' `auto-tag`: same flags, JSON and text). The rules live in
//! `sessionscope_core::records::auto_tag`; the signals come from
//! `sessionscope_core::records::signals`.

use std::path::PathBuf;

use anyhow::Result;
use clap::Args;
use sessionscope_core::records::auto_tag::{self, Options, Outcome};
use sessionscope_core::records::Store;

#[derive(Args)]
pub struct AutoTagArgs {
    /// Maximum number of matching records to process (newest first).
    #[arg(long, default_value_t = 10, value_parser = clap::value_parser!(u64).range(1..))]
    limit: u64,
    /// Retag records even when they already have a category.
    #[arg(long)]
    retag_all: bool,
    /// Optional YAML mapping of 'pattern: category' overrides (a pattern with * ? [ is
    /// a glob over the whole path, any other a substring; case-insensitive; matched
    /// against the project, journal and trajectory paths and the files written).
    #[arg(long, value_parser = existing_file)]
    mapping_file: Option<PathBuf>,
    /// Show category changes without rewriting the store.
    #[arg(long)]
    dry_run: bool,
    /// Output results as JSON.
    #[arg(long)]
    json: bool,
}

/// gptme-sessions checks the path exists before anything else (a usage error).
fn existing_file(s: &str) -> Result<PathBuf, String> {
    let p = PathBuf::from(s);
    if p.exists() {
        Ok(p)
    } else {
        Err(format!("Path '{s}' does not exist."))
    }
}

pub fn auto_tag_cmd(store: &Store, a: AutoTagArgs) -> Result<()> {
    let opts = Options {
        limit: usize::try_from(a.limit).unwrap_or(usize::MAX),
        retag_all: a.retag_all,
        dry_run: a.dry_run,
        mapping_file: a.mapping_file,
    };
    let rows = match auto_tag::auto_tag(store, &opts, &auto_tag::extract_signals)? {
        Outcome::NoRecords => {
            println!("No records in store.");
            return Ok(());
        }
        Outcome::NoTargets { retag_all } => {
            let scope = if retag_all {
                "records"
            } else {
                "untagged records"
            };
            println!("No {scope} matched the auto-tag selection.");
            return Ok(());
        }
        Outcome::Rows(rows) => rows,
    };
    if a.json {
        println!("{}", auto_tag::to_py(&rows).dumps_pretty(false));
    } else {
        print!("{}", auto_tag::render_text(&rows, a.dry_run));
    }
    Ok(())
}
