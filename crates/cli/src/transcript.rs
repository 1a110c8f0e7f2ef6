//! `sessionscope transcript ID`: one session's transcript, as readable text or JSON.
//!
//! The session is found through the index cache by its id alone when the cache
//! knows it for certain (see `SessionIndex::cached_session`), else the way `ps`
//! finds sessions (one scan of every harness root, through the cache);
//! the transcript comes from `sessionscope_core::agents::transcript`. Nothing here parses an
//! agent format. With `--host H` the host's `serve --stdio` reads it there.

use std::io::{self, Write};

use anyhow::{bail, Context};
use chrono::Utc;
use clap::Args;
use sessionscope_core::agents::transcript::offsets::OffsetStore;
use sessionscope_core::agents::transcript::{
    read_all_entries, text, EntryKind, TranscriptEntry, DEFAULT_MAX_TEXT_BYTES,
};
use sessionscope_core::model::{Session, Usage};
use sessionscope_core::remote::hosts::Machine;
use sessionscope_core::remote::protocol::{Answer, Request};
use sessionscope_core::sessions::cache::IndexCache;
use sessionscope_core::sessions::index::SessionIndex;
use sessionscope_core::sessions::short_id;

use crate::hosts::{self, HostArgs};

#[derive(Args)]
pub struct TranscriptArgs {
    /// Session id, or the start of one (as `ps` shows it).
    id: String,
    /// Print JSON: {"session": {...}, "entries": [...], "parse_errors": N}.
    #[arg(long)]
    json: bool,
    /// Print long texts in full instead of cutting them at 16 KB.
    #[arg(long)]
    full: bool,
    /// Print only the last N entries.
    #[arg(long, value_name = "N")]
    last: Option<usize>,
    #[command(flatten)]
    hosts: HostArgs,
}

pub fn run(args: TranscriptArgs) -> anyhow::Result<()> {
    let max = if args.full {
        usize::MAX
    } else {
        DEFAULT_MAX_TEXT_BYTES
    };
    let (session, page) = match args.hosts.one()? {
        Machine::Local => {
            let roots = sessionscope_core::settings::watched_roots_now();
            let now = Utc::now();
            // Straight from the cache when it names one unchanged file for the id;
            // else one scan of everything (through the cache: unchanged files are not
            // read again), which also says when the id is ambiguous or unknown.
            let known = IndexCache::open_for_lookup(&IndexCache::default_path())
                .and_then(|cache| SessionIndex::cached_session(&roots, &cache, &args.id, now));
            let session = match known {
                Some(session) => session,
                None => {
                    let index = crate::scan::scan_with(roots, false, now, false);
                    find_session(index.sessions(), &args.id, &index)?
                }
            };
            let path: &std::path::Path = session.path.as_ref();
            let page = match args.last {
                // From the file's offset index (built by the first such read).
                Some(n) => OffsetStore::open(&sessionscope_core::paths::transcript_offsets_db())
                    .tail(session.harness, path, n, max),
                None => read_all_entries(session.harness, path, max),
            }
            .with_context(|| format!("session {}", session.id))?;
            (session, page)
        }
        Machine::Remote(host) => {
            let mut c = hosts::connect(&host)?;
            let request = Request::Transcript {
                session: args.id.clone(),
                last: args.last,
                max_text_bytes: max,
                from: None,
                before: None,
            };
            match c.request(request)? {
                Answer::Transcript { session, mut page } => {
                    // A host's text is cleaned here too: it reaches this terminal.
                    for e in &mut page.entries {
                        e.text = text::strip_controls(&e.text);
                        e.tool_input = e.tool_input.as_deref().map(text::strip_controls);
                        e.tool_name = e.tool_name.as_deref().map(text::strip_controls);
                        e.model = e.model.as_deref().map(text::strip_controls);
                    }
                    (*session, page)
                }
                _ => return Err(hosts::unexpected(&c).into()),
            }
        }
    };
    let mut out = io::BufWriter::new(io::stdout().lock());
    let written = if args.json {
        let mut v = serde_json::json!({
            "session": session,
            "entries": page.entries,
            "parse_errors": page.parse_errors,
        });
        if args.hosts.named() {
            v["host"] = args.hosts.one()?.name().into();
        }
        serde_json::to_writer_pretty(&mut out, &v)
            .map_err(io::Error::from)
            .and_then(|_| writeln!(out))
    } else {
        print_transcript(&mut out, &session, &page.entries, page.parse_errors)
    };
    match written.and_then(|_| out.flush()) {
        Err(e) if e.kind() != io::ErrorKind::BrokenPipe => Err(e.into()),
        _ => Ok(()), // a closed pipe (`| head`) just ends the output
    }
}

/// The session whose id (or key) is `wanted`, else the only one starting with it.
fn find_session(
    sessions: Vec<Session>,
    wanted: &str,
    index: &SessionIndex,
) -> anyhow::Result<Session> {
    if let Some(s) = sessions.iter().find(|s| s.id == wanted || s.key == wanted) {
        return Ok(s.clone());
    }
    let mut matches: Vec<Session> = sessions
        .into_iter()
        .filter(|s| short_id::matches(&s.id, wanted))
        .collect();
    match matches.len() {
        1 => Ok(matches.remove(0)),
        0 => {
            let roots: Vec<String> = index
                .roots()
                .iter()
                .map(|r| r.path.display().to_string())
                .collect();
            bail!(
                "no session id starts with {wanted:?} (searched {})",
                roots.join(", ")
            )
        }
        n => {
            let list: Vec<String> = matches
                .iter()
                .take(10)
                .map(|s| format!("  {} ({})", s.id, s.harness.as_str()))
                .collect();
            bail!(
                "{n} sessions start with {wanted:?}; give more of the id:\n{}",
                list.join("\n")
            )
        }
    }
}

fn print_transcript(
    out: &mut impl Write,
    s: &Session,
    entries: &[TranscriptEntry],
    parse_errors: u32,
) -> io::Result<()> {
    writeln!(
        out,
        "{} session {} · {} · {}",
        s.harness.as_str(),
        s.id,
        s.project.as_deref().unwrap_or("-"),
        s.path
    )?;
    if let Some(t) = &s.title {
        // Titles come from the index as the agent wrote them, escapes included.
        writeln!(out, "{}", text::strip_controls(t))?;
    }
    if entries.is_empty() {
        writeln!(out, "\n(no messages yet)")?;
    }
    for e in entries {
        writeln!(out)?;
        writeln!(out, "{}", heading(e))?;
        if let Some(input) = &e.tool_input {
            writeln!(out, "{input}")?;
        }
        if !e.text.is_empty() {
            writeln!(out, "{}", e.text)?;
        }
        if e.truncated {
            writeln!(out, "[… cut; {} bytes in full: use --full]", e.full_len)?;
        }
    }
    if parse_errors > 0 {
        let records = if parse_errors == 1 {
            "record"
        } else {
            "records"
        };
        writeln!(out, "\n({parse_errors} unreadable {records} skipped)")?;
    }
    Ok(())
}

/// `#3 2026-11-23 12:00:09 tool result Bash [toolu_1] FAILED · model · tokens`
fn heading(e: &TranscriptEntry) -> String {
    let kind = match e.kind {
        EntryKind::User => "user",
        EntryKind::Assistant => "assistant",
        EntryKind::Thinking => "thinking",
        EntryKind::ToolCall => "tool call",
        EntryKind::ToolResult => "tool result",
        EntryKind::System => "system",
        EntryKind::Error => "ERROR",
        EntryKind::Summary => "summary",
    };
    let mut h = format!("#{} ", e.index);
    if let Some(t) = e.timestamp {
        h.push_str(&t.format("%Y-%m-%d %H:%M:%S ").to_string());
    }
    h.push_str(kind);
    if let Some(name) = &e.tool_name {
        h.push(' ');
        h.push_str(name);
    }
    if let Some(id) = &e.tool_use_id {
        h.push_str(&format!(" [{id}]"));
    }
    if e.is_error && e.kind != EntryKind::Error {
        h.push_str(" FAILED");
    }
    if let Some(m) = &e.model {
        h.push_str(&format!(" · {m}"));
    }
    if let Some(u) = &e.usage {
        h.push_str(&format!(" · {}", usage_line(u)));
    }
    h
}

fn usage_line(u: &Usage) -> String {
    let mut parts = vec![
        format!("{} in", u.input_tokens),
        format!("{} out", u.output_tokens),
    ];
    if u.cache_read_tokens > 0 {
        parts.push(format!("{} cache read", u.cache_read_tokens));
    }
    if u.cache_creation_tokens > 0 {
        parts.push(format!("{} cache write", u.cache_creation_tokens));
    }
    format!("tokens {}", parts.join(", "))
}
