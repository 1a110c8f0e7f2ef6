//! The Analytics view's numbers over the live session list: sessions and tokens per
//! day by harness, cost per day, the distribution of session lengths and the top
//! projects, for the last `days` UTC days.
//!
//! Rules (a user reading the charts depends on them):
//! - a session belongs to the UTC day it started (`started_at`, else `last_activity`);
//!   sessions with neither are left out;
//! - sub-agent sessions (`parent_id` set) add their tokens and cost to the day, the
//!   harness and the project, but are not counted as sessions and have no length of
//!   their own (their parent covers that time);
//! - length = `last_activity − started_at`; buckets `<1m`, `1-5m`, `5-15m`, `15-30m`,
//!   `30-60m`, `1-2h`, `2h+`, and `unknown` when either time is missing;
//! - cost sums what could be priced; `unpriced` counts sessions with tokens but no cost;
//! - top projects are ordered by sessions, then tokens, then name.
//!
//! It never reads files; the caller passes the sessions.

use std::collections::BTreeMap;

use chrono::{DateTime, Duration, NaiveDate, Utc};
use serde::{Deserialize, Serialize};
use ts_rs::TS;

use super::records_view::NamedCount;
use crate::model::Session;

/// One harness's numbers, aligned with [`SessionAnalytics::days`].
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
pub struct HarnessSeries {
    pub harness: String,
    #[ts(type = "number[]")]
    pub sessions: Vec<u64>,
    #[ts(type = "number[]")]
    pub tokens: Vec<u64>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
pub struct ProjectTotal {
    pub project: String,
    #[ts(type = "number")]
    pub sessions: u64,
    #[ts(type = "number")]
    pub tokens: u64,
    pub cost_usd: f64,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
pub struct SessionAnalytics {
    /// Every UTC day of the window, oldest first, as `YYYY-MM-DD`.
    pub days: Vec<String>,
    /// Harnesses with at least one session in the window, by name.
    pub by_harness: Vec<HarnessSeries>,
    /// US dollars per day, aligned with `days`.
    pub cost_per_day: Vec<f64>,
    #[ts(type = "number")]
    pub unpriced: u64,
    pub duration_buckets: Vec<NamedCount>,
    pub top_projects: Vec<ProjectTotal>,
}

const LENGTH_BUCKETS: [(&str, i64); 7] = [
    ("<1m", 60),
    ("1-5m", 300),
    ("5-15m", 900),
    ("15-30m", 1800),
    ("30-60m", 3600),
    ("1-2h", 7200),
    ("2h+", i64::MAX),
];

fn day_of(t: DateTime<Utc>) -> NaiveDate {
    t.date_naive()
}

/// The numbers of the last `days` UTC days up to `now`, and at most `top` projects.
pub fn session_analytics(
    sessions: &[Session],
    now: DateTime<Utc>,
    days: u32,
    top: usize,
) -> SessionAnalytics {
    let days = days.max(1);
    let last = day_of(now);
    let first = last - Duration::days(i64::from(days) - 1);
    let n = days as usize;
    let mut harness: BTreeMap<&str, (Vec<u64>, Vec<u64>)> = BTreeMap::new();
    let mut cost = vec![0.0; n];
    let mut unpriced = 0;
    let mut lengths = [0u64; LENGTH_BUCKETS.len() + 1];
    let mut projects: BTreeMap<&str, ProjectTotal> = BTreeMap::new();
    for s in sessions {
        let Some(start) = s.started_at.or(s.last_activity) else {
            continue;
        };
        let day = day_of(start);
        if day < first || day > last {
            continue;
        }
        let i = (day - first).num_days() as usize;
        let is_session = s.parent_id.is_none();
        let tokens = s.usage.total();
        let h = harness
            .entry(s.harness.as_str())
            .or_insert_with(|| (vec![0; n], vec![0; n]));
        h.0[i] += is_session as u64;
        h.1[i] += tokens;
        match s.cost_usd {
            Some(c) => cost[i] += c,
            None if tokens > 0 => unpriced += 1,
            None => {}
        }
        if is_session {
            let slot = match (s.started_at, s.last_activity) {
                (Some(a), Some(b)) => {
                    let secs = (b - a).num_seconds().max(0);
                    LENGTH_BUCKETS
                        .iter()
                        .position(|(_, below)| secs < *below)
                        .unwrap_or(LENGTH_BUCKETS.len() - 1)
                }
                _ => LENGTH_BUCKETS.len(),
            };
            lengths[slot] += 1;
        }
        if let Some(p) = s.project.as_deref().filter(|p| !p.is_empty()) {
            let t = projects.entry(p).or_insert_with(|| ProjectTotal {
                project: p.to_string(),
                sessions: 0,
                tokens: 0,
                cost_usd: 0.0,
            });
            t.sessions += is_session as u64;
            t.tokens = t.tokens.saturating_add(tokens);
            t.cost_usd += s.cost_usd.unwrap_or(0.0);
        }
    }
    let mut top_projects: Vec<ProjectTotal> = projects.into_values().collect();
    top_projects.sort_by(|a, b| {
        b.sessions
            .cmp(&a.sessions)
            .then(b.tokens.cmp(&a.tokens))
            .then_with(|| a.project.cmp(&b.project))
    });
    top_projects.truncate(top);
    SessionAnalytics {
        days: (0..n)
            .map(|i| (first + Duration::days(i as i64)).to_string())
            .collect(),
        by_harness: harness
            .into_iter()
            .map(|(name, (sessions, tokens))| HarnessSeries {
                harness: name.to_string(),
                sessions,
                tokens,
            })
            .collect(),
        cost_per_day: cost,
        unpriced,
        duration_buckets: LENGTH_BUCKETS
            .iter()
            .map(|(name, _)| *name)
            .chain(["unknown"])
            .zip(lengths)
            .map(|(name, count)| NamedCount {
                name: name.to_string(),
                count,
            })
            .collect(),
        top_projects,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{Harness, Status, Usage};

    fn t(s: &str) -> DateTime<Utc> {
        s.parse().unwrap()
    }

    fn session(
        harness: Harness,
        start: Option<&str>,
        end: Option<&str>,
        tokens: u64,
        cost: Option<f64>,
        project: Option<&str>,
    ) -> Session {
        Session {
            key: format!("{}:{start:?}", harness.as_str()),
            id: "x".into(),
            harness,
            title: None,
            project: project.map(str::to_string),
            git_branch: None,
            model: None,
            models: vec![],
            started_at: start.map(t),
            last_activity: end.map(t),
            status_since: None,
            user_messages: 0,
            assistant_messages: 0,
            tool_calls: 0,
            tool_errors: 0,
            usage: Usage {
                input_tokens: tokens,
                ..Usage::default()
            },
            cost_usd: cost,
            parse_errors: 0,
            status: Status::Ended,
            pid: None,
            path: String::new(),
            gone: false,
            parent_id: None,
            ambiguous: false,
            agent_name: None,
            price_unknown: false,
            agent_version: None,
            unknown_records: Default::default(),
        }
    }

    #[test]
    fn per_day_per_harness_with_subagents_and_window() {
        let now = t("2026-11-25T12:00:00Z");
        let mut sub = session(
            Harness::ClaudeCode,
            Some("2026-11-25T09:10:00Z"),
            Some("2026-11-25T09:20:00Z"),
            50,
            Some(0.5),
            Some("/w/app"),
        );
        sub.parent_id = Some("p".into());
        let sessions = vec![
            // 2026-11-23: a 30 s Claude session, 100 tokens, $1.
            session(
                Harness::ClaudeCode,
                Some("2026-11-23T10:00:00Z"),
                Some("2026-11-23T10:00:30Z"),
                100,
                Some(1.0),
                Some("/w/app"),
            ),
            // 2026-11-25: a 90 min Claude session (30-60m? no: 5400 s → 1-2h), $2.
            session(
                Harness::ClaudeCode,
                Some("2026-11-25T08:00:00Z"),
                Some("2026-11-25T09:30:00Z"),
                200,
                Some(2.0),
                Some("/w/app"),
            ),
            sub,
            // 2026-11-25: a Codex session without an end, unpriced with tokens.
            session(
                Harness::Codex,
                Some("2026-11-25T11:00:00Z"),
                None,
                10,
                None,
                Some("/w/lib"),
            ),
            // Outside the 3-day window and without any time: both left out.
            session(
                Harness::Codex,
                Some("2026-11-20T11:00:00Z"),
                None,
                999,
                Some(9.0),
                Some("/w/old"),
            ),
            session(Harness::Gptme, None, None, 5, None, None),
        ];
        let a = session_analytics(&sessions, now, 3, 10);
        assert_eq!(a.days, ["2026-11-23", "2026-11-24", "2026-11-25"]);
        assert_eq!(a.by_harness.len(), 2);
        let cc = &a.by_harness[0];
        assert_eq!(cc.harness, "claude-code");
        assert_eq!(cc.sessions, [1, 0, 1]);
        assert_eq!(cc.tokens, [100, 0, 250]);
        let codex = &a.by_harness[1];
        assert_eq!(
            (codex.sessions.as_slice(), codex.tokens.as_slice()),
            ([0, 0, 1].as_slice(), [0, 0, 10].as_slice())
        );
        assert_eq!(a.cost_per_day, [1.0, 0.0, 2.5]);
        assert_eq!(a.unpriced, 1);
        let lengths: Vec<(&str, u64)> = a
            .duration_buckets
            .iter()
            .map(|b| (b.name.as_str(), b.count))
            .collect();
        assert_eq!(
            lengths,
            [
                ("<1m", 1),
                ("1-5m", 0),
                ("5-15m", 0),
                ("15-30m", 0),
                ("30-60m", 0),
                ("1-2h", 1),
                ("2h+", 0),
                ("unknown", 1)
            ]
        );
        assert_eq!(a.top_projects.len(), 2);
        assert_eq!(a.top_projects[0].project, "/w/app");
        assert_eq!(
            (a.top_projects[0].sessions, a.top_projects[0].tokens),
            (2, 350)
        );
        assert_eq!(a.top_projects[0].cost_usd, 3.5);
        assert_eq!(a.top_projects[1].project, "/w/lib");
    }

    #[test]
    fn empty_list_still_has_every_day_and_bucket() {
        let a = session_analytics(&[], t("2026-11-25T00:00:00Z"), 7, 5);
        assert_eq!(a.days.len(), 7);
        assert_eq!(a.days[0], "2026-11-19");
        assert_eq!(a.cost_per_day, [0.0; 7]);
        assert!(a.by_harness.is_empty());
        assert_eq!(a.duration_buckets.len(), 8);
    }

    #[test]
    fn top_projects_are_cut_and_ordered_by_sessions_then_tokens() {
        let now = t("2026-11-25T12:00:00Z");
        let at = Some("2026-11-25T10:00:00Z");
        let sessions = vec![
            session(Harness::Codex, at, at, 5, None, Some("/a")),
            session(Harness::Codex, at, at, 50, None, Some("/b")),
            session(Harness::Codex, at, at, 1, None, Some("/c")),
            session(Harness::Codex, at, at, 1, None, Some("/c")),
        ];
        let a = session_analytics(&sessions, now, 1, 2);
        let names: Vec<&str> = a.top_projects.iter().map(|p| p.project.as_str()).collect();
        assert_eq!(names, ["/c", "/b"]);
    }
}
