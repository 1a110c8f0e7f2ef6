//! Finding one record by a full session id or a unique prefix of one (`show a1b2`).
//!
//! As in gptme-sessions, a prefix matching several records is an error that lists
//! them. One difference: an id that equals exactly one record's full id selects that
//! record even when it is also a prefix of longer ids (Python reports it ambiguous,
//! leaving such a record unreachable).

use super::record::Record;

/// Why a lookup found no single record.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum LookupError {
    #[error("Session ID must not be empty.")]
    Empty,
    #[error("No session found matching '{0}'. Run 'sessionscope records query' to list available session IDs.")]
    NotFound(String),
    #[error("Ambiguous prefix '{prefix}' matches {} sessions: {}. Run 'sessionscope records query' to list available session IDs.", ids.len(), ids.join(", "))]
    Ambiguous { prefix: String, ids: Vec<String> },
}

/// The index of the one record `prefix` designates.
pub fn find_by_prefix(records: &[Record], prefix: &str) -> Result<usize, LookupError> {
    if prefix.is_empty() {
        return Err(LookupError::Empty);
    }
    let exact: Vec<usize> = (0..records.len())
        .filter(|&i| records[i].session_id == prefix)
        .collect();
    if exact.len() == 1 {
        return Ok(exact[0]);
    }
    let matches: Vec<usize> = (0..records.len())
        .filter(|&i| records[i].session_id.starts_with(prefix))
        .collect();
    match matches.as_slice() {
        [] => Err(LookupError::NotFound(prefix.to_string())),
        [one] => Ok(*one),
        many => Err(LookupError::Ambiguous {
            prefix: prefix.to_string(),
            ids: many
                .iter()
                .map(|&i| records[i].session_id.clone())
                .collect(),
        }),
    }
}

/// Could the record on this line have an id starting with `prefix`? Reads only the
/// `session_id` key; a line it cannot read that way is kept for the full parser.
pub(crate) fn line_id_may_match(line: &[u8], prefix: &str) -> bool {
    #[derive(serde::Deserialize)]
    struct IdOnly<'a> {
        #[serde(borrow)]
        session_id: Option<std::borrow::Cow<'a, str>>,
    }
    match serde_json::from_slice::<IdOnly<'_>>(line.trim_ascii()) {
        Ok(IdOnly {
            session_id: Some(id),
        }) if !id.is_empty() => id.starts_with(prefix),
        // No id: the reader invents a random one, which no prefix can name.
        Ok(_) => false,
        Err(_) => !line.trim_ascii().is_empty(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn recs(ids: &[&str]) -> Vec<Record> {
        ids.iter()
            .map(|id| Record {
                session_id: id.to_string(),
                ..Record::default()
            })
            .collect()
    }

    #[test]
    fn unique_prefix_and_full_id_resolve() {
        let r = recs(&["a1b2c3d4", "a1ff0000", "b0000000"]);
        assert_eq!(find_by_prefix(&r, "a1b"), Ok(0));
        assert_eq!(find_by_prefix(&r, "b0000000"), Ok(2));
    }

    #[test]
    fn ambiguous_and_missing_prefixes_are_clear_errors() {
        let r = recs(&["a1b2c3d4", "a1ff0000"]);
        let e = find_by_prefix(&r, "a1").unwrap_err();
        assert_eq!(
            e.to_string(),
            "Ambiguous prefix 'a1' matches 2 sessions: a1b2c3d4, a1ff0000. Run 'sessionscope records query' to list available session IDs."
        );
        assert_eq!(
            find_by_prefix(&r, "zz"),
            Err(LookupError::NotFound("zz".into()))
        );
        assert_eq!(find_by_prefix(&r, ""), Err(LookupError::Empty));
    }

    #[test]
    fn the_id_prefilter_keeps_every_line_that_could_match() {
        assert!(line_id_may_match(
            br#"{"session_id": "a1b2c3d4", "x": 1}"#,
            "a1b2"
        ));
        assert!(!line_id_may_match(br#"{"session_id": "ffff0000"}"#, "a1b2"));
        assert!(!line_id_may_match(br#"{"model": "m"}"#, "a1b2"));
        // Lines the light reader cannot judge go to the full parser.
        assert!(line_id_may_match(br#"{"session_id": 5}"#, "a1b2"));
        assert!(line_id_may_match(
            br#"{"session_id": "x", "session_id": "a1b2"}"#,
            "a1b2"
        ));
        assert!(!line_id_may_match(b"   ", "a1b2"));
    }

    #[test]
    fn an_exact_id_wins_over_longer_ids_it_prefixes() {
        let r = recs(&["abc", "abcd"]);
        assert_eq!(find_by_prefix(&r, "abc"), Ok(0));
    }
}
