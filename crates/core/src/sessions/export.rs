//! Exporting sessions as CSV or JSON, for spreadsheets and scripts. The same rows the
//! table shows, one per session; the CSV has one column per field a user sorts by.

use crate::model::Session;

/// The CSV columns, in order.
pub const CSV_HEADER: [&str; 19] = [
    "harness",
    "id",
    "parent_id",
    "title",
    "project",
    "git_branch",
    "model",
    "status",
    "started_at",
    "last_activity",
    "user_messages",
    "assistant_messages",
    "tool_calls",
    "tool_errors",
    "input_tokens",
    "output_tokens",
    "cache_creation_tokens",
    "cache_read_tokens",
    "cost_usd",
];

/// Sessions as CSV (RFC 4180 quoting: commas, quotes and newlines in titles are safe).
pub fn sessions_csv(sessions: &[Session]) -> Result<String, csv::Error> {
    let mut w = csv::Writer::from_writer(Vec::new());
    w.write_record(CSV_HEADER)?;
    for s in sessions {
        let opt = |v: &Option<String>| v.clone().unwrap_or_default();
        let time = |t: Option<chrono::DateTime<chrono::Utc>>| {
            t.map(|t| t.to_rfc3339()).unwrap_or_default()
        };
        w.write_record([
            s.harness.as_str().to_string(),
            s.id.clone(),
            opt(&s.parent_id),
            opt(&s.title),
            opt(&s.project),
            opt(&s.git_branch),
            opt(&s.model),
            serde_json::to_value(s.status)
                .ok()
                .and_then(|v| v.as_str().map(str::to_string))
                .unwrap_or_default(),
            time(s.started_at),
            time(s.last_activity),
            s.user_messages.to_string(),
            s.assistant_messages.to_string(),
            s.tool_calls.to_string(),
            s.tool_errors.to_string(),
            s.usage.input_tokens.to_string(),
            s.usage.output_tokens.to_string(),
            s.usage.cache_creation_tokens.to_string(),
            s.usage.cache_read_tokens.to_string(),
            s.cost_usd.map(|c| format!("{c:.6}")).unwrap_or_default(),
        ])?;
    }
    let bytes = w.into_inner().map_err(|e| e.into_error())?;
    Ok(String::from_utf8(bytes).unwrap_or_default())
}

/// Sessions as a pretty JSON array of the same objects `sessionscope ps --json` prints.
pub fn sessions_json(sessions: &[Session]) -> String {
    serde_json::to_string_pretty(sessions).unwrap_or_else(|_| "[]".into())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{Harness, Status, Usage};

    fn session(title: &str) -> Session {
        Session {
            key: "claude-code:s1".into(),
            id: "s1".into(),
            harness: Harness::ClaudeCode,
            title: Some(title.into()),
            project: Some("/w/p".into()),
            git_branch: None,
            model: Some("claude-opus-4-6".into()),
            models: vec![],
            started_at: None,
            last_activity: None,
            status_since: None,
            user_messages: 2,
            assistant_messages: 3,
            tool_calls: 1,
            tool_errors: 0,
            usage: Usage {
                input_tokens: 10,
                output_tokens: 20,
                cache_creation_tokens: 30,
                cache_read_tokens: 40,
            },
            parse_errors: 0,
            status: Status::WaitingForInput,
            pid: None,
            ambiguous: false,
            agent_name: None,
            price_unknown: false,
            agent_version: None,
            unknown_records: Default::default(),
            path: "/x".into(),
            gone: false,
            parent_id: None,
            cost_usd: Some(0.125),
        }
    }

    #[test]
    fn csv_quotes_awkward_titles_and_keeps_every_column() {
        let csv = sessions_csv(&[session("Fix \"login\", then\ndeploy")]).unwrap();
        let mut reader = csv::Reader::from_reader(csv.as_bytes());
        assert_eq!(reader.headers().unwrap().len(), CSV_HEADER.len());
        let row = reader.records().next().unwrap().unwrap();
        assert_eq!(&row[3], "Fix \"login\", then\ndeploy");
        assert_eq!(&row[7], "waiting-for-input");
        assert_eq!(&row[14], "10");
        assert_eq!(&row[17], "40");
        assert_eq!(&row[18], "0.125000");
    }

    #[test]
    fn json_round_trips() {
        let s = session("t");
        let back: Vec<Session> =
            serde_json::from_str(&sessions_json(std::slice::from_ref(&s))).unwrap();
        assert_eq!(back, vec![s]);
    }
}
