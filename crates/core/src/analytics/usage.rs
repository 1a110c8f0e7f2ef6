//! Token and cost totals grouped the way `ccusage daily|session` groups them, so a user
//! can put `sessionscope usage` next to ccusage and compare line by line.
//!
//! Input is what the index already knows: each session's row and its per-quarter-hour
//! [`UsageSlot`]s. Grouping:
//! - `day`: the calendar day of each slot in the caller's time zone (ccusage uses the
//!   local zone too);
//! - `model`: the model of each slot;
//! - `session`: one row per session, a sub-agent's usage counted in its parent session
//!   (as ccusage does for Claude Code);
//! - `project`: the session's working directory.
//!
//! A session whose parser keeps no slots (agents other than Claude Code and Codex) is
//! counted as one slot at its last activity with its last model. This module does no
//! I/O and never reads files.

use std::collections::BTreeMap;

use chrono::{DateTime, NaiveDate, Utc};
use serde::Serialize;

use crate::agents::UsageSlot;
use crate::model::{Session, Usage};

/// How `sessionscope usage` groups its rows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum GroupBy {
    Day,
    Model,
    Session,
    Project,
}

impl std::str::FromStr for GroupBy {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        match s {
            "day" | "daily" => Ok(GroupBy::Day),
            "model" => Ok(GroupBy::Model),
            "session" => Ok(GroupBy::Session),
            "project" => Ok(GroupBy::Project),
            other => Err(format!(
                "unknown grouping {other:?} (day, model, session or project)"
            )),
        }
    }
}

/// One line of a usage report, with ccusage's field names in JSON.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct UsageRow {
    /// The day (`YYYY-MM-DD`), model, session id or project of this row.
    pub key: String,
    pub input_tokens: u64,
    pub output_tokens: u64,
    pub cache_creation_tokens: u64,
    pub cache_read_tokens: u64,
    pub total_tokens: u64,
    pub total_cost: f64,
    pub models_used: Vec<String>,
    pub last_activity: Option<DateTime<Utc>>,
}

impl UsageRow {
    fn add(&mut self, usage: &Usage, cost: f64, model: &str, at: Option<DateTime<Utc>>) {
        self.input_tokens = self.input_tokens.saturating_add(usage.input_tokens);
        self.output_tokens = self.output_tokens.saturating_add(usage.output_tokens);
        self.cache_creation_tokens = self
            .cache_creation_tokens
            .saturating_add(usage.cache_creation_tokens);
        self.cache_read_tokens = self
            .cache_read_tokens
            .saturating_add(usage.cache_read_tokens);
        self.total_tokens = self.total_tokens.saturating_add(usage.total());
        self.total_cost += cost;
        if !model.is_empty() && !self.models_used.iter().any(|m| m == model) {
            self.models_used.push(model.to_string());
        }
        if at > self.last_activity {
            self.last_activity = at;
        }
    }
}

/// Rows in key order (days ascending) and their sum.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct UsageReport {
    pub rows: Vec<UsageRow>,
    pub totals: UsageRow,
}

/// Group the usage of `sessions` by `by`; `day_of` maps an instant to the user's
/// calendar day; slots before `since` are left out.
pub fn report(
    sessions: &[(Session, Vec<UsageSlot>)],
    by: GroupBy,
    since: Option<DateTime<Utc>>,
    day_of: &dyn Fn(DateTime<Utc>) -> NaiveDate,
) -> UsageReport {
    let mut groups: BTreeMap<String, UsageRow> = BTreeMap::new();
    let mut totals = UsageRow {
        key: "total".into(),
        ..UsageRow::default()
    };
    for (session, slots) in sessions {
        let fallback;
        let slots = if slots.is_empty() && session.usage.total() > 0 {
            fallback = [UsageSlot {
                slot: session.last_activity.unwrap_or_default(),
                model: session.model.clone().unwrap_or_default(),
                usage: session.usage,
                cost_usd: session.cost_usd.unwrap_or(0.0),
            }];
            &fallback[..]
        } else {
            &slots[..]
        };
        for slot in slots {
            if since.is_some_and(|s| slot.slot < s) {
                continue;
            }
            let key = match by {
                GroupBy::Day => day_of(slot.slot).format("%Y-%m-%d").to_string(),
                GroupBy::Model => slot.model.clone(),
                GroupBy::Session => session
                    .parent_id
                    .clone()
                    .unwrap_or_else(|| session.id.clone()),
                GroupBy::Project => session.project.clone().unwrap_or_else(|| "-".into()),
            };
            let row = groups.entry(key.clone()).or_insert_with(|| UsageRow {
                key,
                ..UsageRow::default()
            });
            row.add(&slot.usage, slot.cost_usd, &slot.model, Some(slot.slot));
            totals.add(&slot.usage, slot.cost_usd, &slot.model, Some(slot.slot));
        }
    }
    UsageReport {
        rows: groups.into_values().collect(),
        totals,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{Harness, Status};

    fn session(id: &str, parent: Option<&str>, project: &str) -> Session {
        Session {
            key: format!("claude-code:{id}"),
            id: id.into(),
            harness: Harness::ClaudeCode,
            title: None,
            project: Some(project.into()),
            git_branch: None,
            model: Some("m1".into()),
            models: vec![],
            started_at: None,
            last_activity: None,
            status_since: None,
            user_messages: 0,
            assistant_messages: 0,
            tool_calls: 0,
            tool_errors: 0,
            usage: Usage::default(),
            cost_usd: None,
            parse_errors: 0,
            status: Status::Ended,
            pid: None,
            ambiguous: false,
            agent_name: None,
            price_unknown: false,
            agent_version: None,
            unknown_records: Default::default(),
            path: String::new(),
            gone: false,
            parent_id: parent.map(str::to_string),
        }
    }

    fn slot(at: &str, model: &str, input: u64, cost: f64) -> UsageSlot {
        UsageSlot {
            slot: at.parse().unwrap(),
            model: model.into(),
            usage: Usage {
                input_tokens: input,
                output_tokens: 1,
                ..Usage::default()
            },
            cost_usd: cost,
        }
    }

    fn data() -> Vec<(Session, Vec<UsageSlot>)> {
        vec![
            (
                session("a", None, "/p"),
                vec![
                    slot("2026-11-01T23:45:00Z", "m1", 10, 0.5),
                    slot("2026-11-02T00:15:00Z", "m2", 20, 1.0),
                ],
            ),
            (
                session("sub", Some("a"), "/p"),
                vec![slot("2026-11-02T10:00:00Z", "m1", 5, 0.25)],
            ),
            (
                session("b", None, "/q"),
                vec![slot("2026-11-03T10:00:00Z", "m2", 100, 2.0)],
            ),
        ]
    }

    #[test]
    fn days_follow_the_given_time_zone() {
        let utc = |t: DateTime<Utc>| t.date_naive();
        let r = report(&data(), GroupBy::Day, None, &utc);
        let keys: Vec<_> = r.rows.iter().map(|r| r.key.as_str()).collect();
        assert_eq!(keys, ["2026-11-01", "2026-11-02", "2026-11-03"]);
        assert_eq!(r.rows[1].input_tokens, 25);
        assert_eq!(r.rows[1].models_used, ["m2", "m1"]);
        // Two hours east of UTC, 23:45 on the 1st is already the 2nd.
        let east = |t: DateTime<Utc>| (t + chrono::Duration::hours(2)).date_naive();
        let r = report(&data(), GroupBy::Day, None, &east);
        assert_eq!(r.rows[0].key, "2026-11-02");
        assert_eq!(r.rows[0].input_tokens, 35);
        assert_eq!(r.totals.input_tokens, 135);
        assert_eq!(r.totals.total_tokens, 139);
        assert!((r.totals.total_cost - 3.75).abs() < 1e-12);
    }

    #[test]
    fn sessions_take_their_sub_agents_and_since_cuts_old_slots() {
        let utc = |t: DateTime<Utc>| t.date_naive();
        let r = report(&data(), GroupBy::Session, None, &utc);
        assert_eq!(r.rows.len(), 2);
        assert_eq!((r.rows[0].key.as_str(), r.rows[0].input_tokens), ("a", 35));
        let since = "2026-11-02T05:00:00Z".parse().ok();
        let r = report(&data(), GroupBy::Model, since, &utc);
        let got: Vec<_> = r
            .rows
            .iter()
            .map(|r| (r.key.as_str(), r.input_tokens))
            .collect();
        assert_eq!(got, [("m1", 5), ("m2", 100)]);
        let r = report(&data(), GroupBy::Project, None, &utc);
        assert_eq!(r.rows[1].key, "/q");
    }
}
