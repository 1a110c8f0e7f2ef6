//! A fast pass over the lines of a store that hands each record's few analytic fields
//! ([`RecordFields`]) to a callback, applying the same read rules as
//! [`Record::from_value`] (absent keys default to `unknown`, `null` stays null,
//! `run_type` normalisation, a missing timestamp reads as "now").

use std::borrow::Cow;

use serde::{Deserialize, Deserializer};

use crate::records::filter::RecordFields;
use crate::records::record::{normalize_run_type, now_iso};
use crate::records::Record;

#[derive(Deserialize)]
struct Borrowed<'a>(#[serde(borrow)] Cow<'a, str>);

/// `None` = key absent, `Some(None)` = `null`, `Some(Some(s))` = a string.
type Presence<'a> = Option<Option<Cow<'a, str>>>;

fn present<'de, D: Deserializer<'de>>(d: D) -> Result<Presence<'de>, D::Error> {
    Option::<Borrowed<'de>>::deserialize(d).map(|o| Some(o.map(|b| b.0)))
}

#[derive(Deserialize)]
struct FastLine<'a> {
    #[serde(default, borrow, deserialize_with = "present")]
    timestamp: Presence<'a>,
    #[serde(default, borrow, deserialize_with = "present")]
    harness: Presence<'a>,
    #[serde(default, borrow, deserialize_with = "present")]
    model: Presence<'a>,
    #[serde(default, borrow, deserialize_with = "present")]
    run_type: Presence<'a>,
    #[serde(default, borrow, deserialize_with = "present")]
    category: Presence<'a>,
    #[serde(default, borrow, deserialize_with = "present")]
    outcome: Presence<'a>,
    #[serde(default, borrow, deserialize_with = "present")]
    project: Presence<'a>,
    #[serde(default)]
    duration_seconds: Option<i64>,
}

fn or_unknown<'a>(p: &'a Presence<'_>) -> Option<&'a str> {
    match p {
        None => Some("unknown"),
        Some(v) => v.as_deref(),
    }
}

/// Call `each` with the analytic fields of every record line in `bytes`; returns the
/// number of malformed lines skipped.
pub fn scan_store_bytes(bytes: &[u8], mut each: impl FnMut(&RecordFields<'_>)) -> usize {
    let now = now_iso();
    let mut malformed = 0;
    for line in bytes.split(|b| *b == b'\n') {
        let line = line.trim_ascii();
        if line.is_empty() {
            continue;
        }
        if let Ok(fast) = serde_json::from_slice::<FastLine<'_>>(line) {
            let ts = fast.timestamp.as_ref().and_then(|t| t.as_deref());
            // Hour-24 timestamps are rare; the full parser knows how to repair them.
            if !ts.is_some_and(|t| t.contains("T24:")) {
                let run_type =
                    or_unknown(&fast.run_type).map(|rt| normalize_run_type(rt).unwrap_or(rt));
                each(&RecordFields {
                    timestamp: ts.filter(|t| !t.is_empty()).unwrap_or(&now),
                    harness: or_unknown(&fast.harness),
                    model: or_unknown(&fast.model),
                    run_type,
                    category: fast.category.as_ref().and_then(|c| c.as_deref()),
                    outcome: or_unknown(&fast.outcome),
                    project: fast.project.as_ref().and_then(|c| c.as_deref()),
                    duration_seconds: fast.duration_seconds.unwrap_or(0),
                });
                continue;
            }
        }
        match Record::from_line(line) {
            Some(rec) => each(&RecordFields::of(&rec)),
            None => malformed += 1,
        }
    }
    malformed
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The fast view and the full record parser must agree on every field.
    #[test]
    fn fast_path_agrees_with_the_full_parser() {
        let lines = [
            r#"{"session_id":"a","timestamp":"2026-01-01T10:00:00+00:00","model":"claude-opus-4-6","harness":"gptme","run_type":"42","outcome":"productive","duration_seconds":300,"project":"/w/p","category":"code"}"#,
            r#"{"session_id":"b","timestamp":"2026-01-01T10:00:00+00:00","model":null,"harness":null,"run_type":null,"outcome":null,"duration_seconds":null}"#,
            r#"{"session_id":"c"}"#,
            r#"{"session_id":"d","timestamp":"2026-01-01T24:00:00","model":"caf\u00e9"}"#,
            r#"{"session_id":"e","duration_seconds":12.5,"model":7}"#,
            r#"{"session_id":"f","run_type":"autonomous-session-3","outcome":"noop"}"#,
        ];
        for line in lines {
            let full = Record::from_line(line.as_bytes()).unwrap();
            let want = RecordFields::of(&full);
            let mut got = None;
            scan_store_bytes(line.as_bytes(), |f| {
                got = Some((
                    f.harness.map(str::to_string),
                    f.model.map(str::to_string),
                    f.run_type.map(str::to_string),
                    f.outcome.map(str::to_string),
                    f.project.map(str::to_string),
                    f.category.map(str::to_string),
                    f.duration_seconds,
                    f.timestamp.get(..10).map(str::to_string),
                ))
            });
            let want = (
                want.harness.map(str::to_string),
                want.model.map(str::to_string),
                want.run_type.map(str::to_string),
                want.outcome.map(str::to_string),
                want.project.map(str::to_string),
                want.category.map(str::to_string),
                want.duration_seconds,
                want.timestamp.get(..10).map(str::to_string),
            );
            assert_eq!(got, Some(want), "{line}");
        }
    }

    #[test]
    fn malformed_lines_are_counted_not_fatal() {
        let bytes = b"{\"session_id\":\"a\"}\nnot json\n[1]\n\n{\"session_id\":\"b\",\"mo";
        let mut n = 0;
        let bad = scan_store_bytes(bytes, |_| n += 1);
        assert_eq!((n, bad), (1, 3));
    }
}
