//! `records blame PATH`: which agent session wrote a file or one of its lines
//! (gptme-sessions' `blame`: same flags, JSON and text). The matching lives in
//! `sessionscope_core::records::blame`.

use std::path::PathBuf;

use anyhow::Result;
use clap::Args;
use sessionscope_core::records::blame::{self, blame, default_records};
use sessionscope_core::records::Store;

#[derive(Args)]
pub struct BlameArgs {
    /// A file in the current git repository (repository-relative or absolute).
    path_or_ref: String,
    /// Blame one line.
    #[arg(long)]
    line: Option<u64>,
    /// Most commits to show (whole-file mode).
    #[arg(long, default_value_t = 10)]
    limit: u64,
    #[arg(long)]
    json: bool,
    /// The session-records.jsonl to match against (default: the git root's
    /// state/sessions/session-records.jsonl when there is one, else the store).
    #[arg(long)]
    records: Option<PathBuf>,
}

pub fn blame_cmd(store: &Store, a: BlameArgs) -> Result<()> {
    let records = a
        .records
        .clone()
        .unwrap_or_else(|| default_records(store.path()));
    let result = blame(&a.path_or_ref, a.line, a.limit, &records)?;
    if a.json {
        println!("{}", blame::to_py(&result).dumps_pretty(false));
    } else {
        println!("{}", blame::render_text(&result));
    }
    Ok(())
}
