//! Answering a search (see the parent module for what the index holds).
//!
//! The FTS5 query walks the matches in descending id order, which is newest first,
//! and stops once it has the hits it shows: its cost follows the hits shown, not all
//! the matches. The harness filter is part of the match (each piece's `tag` column
//! holds its harness), the date filter an id range. Snippets: the index holds no text,
//! so each hit's entry is read again from its transcript (one read per file for
//! whole-file formats) and put in a temporary in-memory FTS5 table with the same
//! tokenizer, whose `snippet()` marks the same words the index matched.

use std::collections::HashMap;
use std::path::Path;

use chrono::{DateTime, Utc};
use rusqlite::{params, Connection, OptionalExtension};

use super::{key_since, role_of, SearchFilter, PIECE_MAX_BYTES};
use crate::agents::transcript::{
    read_all_entries, read_transcript, Reader, TranscriptCursor, TranscriptEntry,
};
use crate::model::{Harness, SearchHit};

/// Snippet text around the matches, in tokens (as FTS5's `snippet()` counts).
const SNIPPET_TOKENS: i64 = 16;

/// One hit before its snippet: where its text is.
struct Found {
    hit: SearchHit,
    file: i64,
    line: u64,
    entry: u32,
}

pub(super) fn search(
    conn: &Connection,
    query: &str,
    filter: &SearchFilter,
) -> Result<Vec<SearchHit>, String> {
    let words = fts_query(query)?;
    let limit = if filter.limit == 0 { 50 } else { filter.limit };
    let expr = match filter.harness {
        Some(h) => format!("body : ({words}) AND tag : \"{}\"", h.as_str()),
        None => format!("body : ({words})"),
    };
    let err = |e: rusqlite::Error| e.to_string();
    let mut matches = conn
        .prepare_cached(
            "SELECT rowid FROM pieces WHERE pieces MATCH ?1 AND rowid >= ?2 ORDER BY rowid DESC",
        )
        .map_err(err)?;
    let mut describe = conn
        .prepare_cached(
            "SELECT m.file, m.role, m.ts, m.line, m.entry, f.path, f.harness
             FROM meta m JOIN files f ON f.id = m.file WHERE m.id = ?1",
        )
        .map_err(err)?;
    let since_ms = filter.since.map(|t| t.timestamp_millis());
    let mut rows = matches
        .query(params![expr, filter.since.map_or(0, key_since)])
        .map_err(err)?;
    let mut found: Vec<Found> = Vec::new();
    while found.len() < limit {
        let Some(row) = rows.next().map_err(err)? else {
            break;
        };
        let id: i64 = row.get(0).map_err(err)?;
        let Some(f) = describe
            .query_row([id], |r| {
                let ts: Option<i64> = r.get(2)?;
                let path: String = r.get(5)?;
                let harness: Harness = r
                    .get::<_, String>(6)?
                    .parse()
                    .unwrap_or(Harness::ClaudeCode);
                let (id, _) = crate::agents::agent(harness).ids_from_path(Path::new(&path));
                let session = format!("{}:{id}", harness.as_str());
                Ok(Found {
                    file: r.get(0)?,
                    line: r.get::<_, i64>(3)? as u64,
                    entry: r.get::<_, i64>(4)? as u32,
                    hit: SearchHit {
                        session_id: session
                            .split_once(':')
                            .map(|(_, id)| id.to_string())
                            .unwrap_or_default(),
                        session_key: session,
                        harness,
                        role: role_of(r.get(1)?),
                        timestamp: ts.and_then(DateTime::<Utc>::from_timestamp_millis),
                        path,
                        snippet: String::new(),
                    },
                })
            })
            .optional()
            .map_err(err)?
        else {
            continue;
        };
        // Ids count whole seconds: the milliseconds decide at the edge.
        if let Some(since) = since_ms {
            if f.hit.timestamp.is_none_or(|t| t.timestamp_millis() < since) {
                continue;
            }
        }
        found.push(f);
    }
    drop(rows);
    let texts = read_texts(&found);
    let snippets = snippets(conn, &words, &texts).map_err(err)?;
    Ok(found
        .into_iter()
        .zip(texts)
        .zip(snippets)
        .map(|((mut f, text), snippet)| {
            f.hit.snippet = snippet
                .or_else(|| text.map(|t| plain_start(&t)))
                .unwrap_or_default();
            f.hit
        })
        .collect())
}

/// The text of each hit's entry, read again from its transcript; `None` where the
/// transcript no longer has it; each whole-file transcript is parsed once. (Reading the
/// files on the rayon pool was no faster on two shared cores: 62–63 ms p95 against
/// 51–58 ms.)
fn read_texts(found: &[Found]) -> Vec<Option<String>> {
    let mut by_file: HashMap<i64, Vec<usize>> = HashMap::new();
    for (i, f) in found.iter().enumerate() {
        by_file.entry(f.file).or_default().push(i);
    }
    let groups: Vec<Vec<usize>> = by_file.into_values().collect();
    let read: Vec<(usize, Option<String>)> = groups
        .iter()
        .flat_map(|hits| {
            let first = &found[hits[0]];
            let harness = first.hit.harness;
            let path = Path::new(&first.hit.path);
            let whole = matches!(
                crate::agents::agent(harness).transcript_reader(),
                Reader::Whole(_)
            );
            let entries = whole
                .then(|| read_all_entries(harness, path, PIECE_MAX_BYTES).ok())
                .flatten()
                .map(|p| p.entries);
            hits.iter()
                .map(|&i| {
                    let f = &found[i];
                    let entry = if whole {
                        entries
                            .as_ref()
                            .and_then(|es| es.iter().find(|e| e.index == f.entry).cloned())
                    } else {
                        entry_at(harness, path, f.line, f.entry)
                    };
                    (i, entry.map(|e| e.text.trim().to_string()))
                })
                .collect::<Vec<_>>()
        })
        .collect();
    let mut texts = vec![None; found.len()];
    for (i, text) in read {
        texts[i] = text;
    }
    texts
}

/// Entry `entry` of the line at byte `line` of a line transcript.
fn entry_at(harness: Harness, path: &Path, line: u64, entry: u32) -> Option<TranscriptEntry> {
    let at = TranscriptCursor {
        offset: line,
        index: 0,
        carry: None,
    };
    read_transcript(harness, path, &at, entry as usize + 1, PIECE_MAX_BYTES)
        .ok()
        .filter(|p| !p.reset)
        .and_then(|p| p.entries.into_iter().find(|e| e.index == entry))
}

/// FTS5's snippet of each text for `words` (the match expression without the harness
/// filter), made in a temporary in-memory table; `None` where the text does not match
/// (its transcript changed since it was indexed) or could not be read.
fn snippets(
    conn: &Connection,
    words: &str,
    texts: &[Option<String>],
) -> rusqlite::Result<Vec<Option<String>>> {
    // A fresh table each time: deleting a contentful FTS5 table's rows tokenizes them
    // again, and what is left behind piles up in segments to merge.
    conn.execute_batch(
        "DROP TABLE IF EXISTS temp.snip;
         CREATE VIRTUAL TABLE temp.snip USING fts5(
            body, tokenize = 'unicode61 remove_diacritics 2'
         );",
    )?;
    let needles = needles(words);
    {
        let mut insert = conn.prepare("INSERT INTO temp.snip (rowid, body) VALUES (?1, ?2)")?;
        for (i, text) in texts.iter().enumerate() {
            if let Some(text) = text {
                insert.execute(params![i as i64, around(text, &needles)])?;
            }
        }
    }
    let mut out = vec![None; texts.len()];
    let mut stmt = conn.prepare(
        "SELECT rowid, snippet(snip, 0, '[', ']', '…', ?2) FROM temp.snip WHERE snip MATCH ?1",
    )?;
    let rows = stmt.query_map(params![words, SNIPPET_TOKENS], |r| {
        Ok((r.get::<_, i64>(0)?, r.get::<_, String>(1)?))
    })?;
    for row in rows {
        let (i, snippet) = row?;
        if let Some(slot) = out.get_mut(i as usize) {
            *slot = Some(snippet);
        }
    }
    drop(stmt);
    conn.execute_batch("DROP TABLE temp.snip")?;
    Ok(out)
}

/// Bytes of text kept on each side of the first match when making a snippet.
const AROUND_BYTES: usize = 800;

/// The words of a match expression, lowercased, to find where a text matches.
fn needles(words: &str) -> Vec<String> {
    words
        .split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty())
        .map(str::to_lowercase)
        .collect()
}

/// The part of `text` around its first (ASCII case-insensitive) occurrence of a
/// needle, so a snippet tokenizes a kilobyte and not 64: the whole text when none is
/// found as written (an accent or case FTS5 folds and this does not).
fn around<'a>(text: &'a str, needles: &[String]) -> &'a str {
    if text.len() <= 2 * AROUND_BYTES {
        return text;
    }
    let first = needles
        .iter()
        .filter_map(|n| find_ascii_nocase(text, n))
        .min();
    let Some(at) = first else {
        return text;
    };
    let mut start = at.saturating_sub(AROUND_BYTES);
    while !text.is_char_boundary(start) {
        start -= 1;
    }
    let mut end = (at + AROUND_BYTES).min(text.len());
    while !text.is_char_boundary(end) {
        end += 1;
    }
    &text[start..end]
}

/// Byte offset of `needle` (lowercase) in `hay`, ignoring ASCII case.
fn find_ascii_nocase(hay: &str, needle: &str) -> Option<usize> {
    let (h, n) = (hay.as_bytes(), needle.as_bytes());
    if n.is_empty() || n.len() > h.len() {
        return None;
    }
    let first = n[0];
    let upper = first.to_ascii_uppercase();
    let mut i = 0;
    while let Some(off) = memchr::memchr2(first, upper, &h[i..=h.len() - n.len()]) {
        let at = i + off;
        if h[at..at + n.len()].eq_ignore_ascii_case(n) {
            return Some(at);
        }
        i = at + 1;
    }
    None
}

/// The start of a text, for a hit whose words could not be marked.
fn plain_start(text: &str) -> String {
    let end = text.char_indices().nth(120).map_or(text.len(), |(i, _)| i);
    let mut s = text[..end].replace('\n', " ");
    if end < text.len() {
        s.push('…');
    }
    s
}

/// Turn what a user typed into an FTS5 query: every word must occur (implicit AND),
/// a `"quoted phrase"` as a phrase; FTS5 operators and punctuation are taken as text,
/// so no input is a syntax error.
pub fn fts_query(input: &str) -> Result<String, String> {
    let mut terms = Vec::new();
    let mut rest = input.trim();
    while !rest.is_empty() {
        if let Some(after) = rest.strip_prefix('"') {
            let (phrase, tail) = after.split_once('"').unwrap_or((after, ""));
            terms.push(phrase.to_string());
            rest = tail.trim_start();
        } else {
            let end = rest
                .find(|c: char| c.is_whitespace() || c == '"')
                .unwrap_or(rest.len());
            terms.push(rest[..end].to_string());
            rest = rest[end..].trim_start();
        }
    }
    let quoted: Vec<String> = terms
        .iter()
        .filter(|t| t.chars().any(char::is_alphanumeric))
        .map(|t| format!("\"{}\"", t.replace('"', "\"\"")))
        .collect();
    if quoted.is_empty() {
        return Err("empty search: type at least one word".into());
    }
    Ok(quoted.join(" "))
}
