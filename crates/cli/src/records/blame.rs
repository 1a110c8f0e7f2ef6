//! `records blame PATH|OWNER/REPO#N`: which agent session wrote a file, one of its
//! lines, or a PR's commits (gptme-sessions' `blame`: same flags, JSON and text; a
//! GitHub ref is resolved through the user's `gh`). The matching lives in
//! `sessionscope_core::records::blame`.

use std::path::PathBuf;

use anyhow::Result;
use clap::Args;
use sessionscope_core::records::blame::{self, blame, default_records};
use sessionscope_core::records::Store;

#[derive(Args)]
pub struct BlameArgs {
    /// A file in the current git repository (repository-relative or absolute), or a
    /// GitHub PR or issue as OWNER/REPO#N (its commits, fetched with the GitHub CLI
    /// `gh`, which must be installed and logged in).
    path_or_ref: String,
    /// Blame one line (file paths only).
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
    let result = blame(&a.path_or_ref, a.line, a.limit, &records).map_err(|e| match e {
        blame::BlameError::Usage(m) => anyhow::Error::from(crate::exit::UsageError(m)),
        other => other.into(),
    })?;
    for w in &result.warnings {
        eprintln!("{w}");
    }
    if a.json {
        println!("{}", blame::to_py(&result).dumps_pretty(false));
    } else {
        println!("{}", blame::render_text(&result));
    }
    Ok(())
}
