//! The remote hosts as the app shows them: each host's state and its rows, kept up to
//! date from its [`LinkEvent`]s. A snapshot replaces every row of its host (so a
//! reconnect neither doubles nor loses one); a change upserts and removes by key.

use serde::{Deserialize, Serialize};
use ts_rs::TS;

use crate::model::{Session, SessionCounts};
use crate::remote::link::{HostState, LinkEvent};

/// One host: what state it is in and its last known rows (kept while it is lost).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
pub struct RemoteHost {
    /// As the user named it in Settings.
    pub host: String,
    pub state: HostState,
    pub sessions: Vec<Session>,
    pub counts: SessionCounts,
    /// The host's read problems (files skipped, roots polled).
    pub notices: Vec<String>,
}

impl RemoteHost {
    pub fn new(host: &str) -> RemoteHost {
        RemoteHost {
            host: host.to_string(),
            state: HostState::Connecting,
            sessions: Vec::new(),
            counts: SessionCounts::default(),
            notices: Vec::new(),
        }
    }

    /// Fold one event of this host's link into the view.
    pub fn apply(&mut self, event: LinkEvent) {
        match event {
            LinkEvent::State(s) => self.state = s,
            LinkEvent::Snapshot(s) => {
                self.sessions = s.sessions;
                self.counts = s.counts;
                self.notices = s.notices;
            }
            LinkEvent::Changed { change, counts } => {
                for s in change.upserted {
                    match self.sessions.iter_mut().find(|o| o.key == s.key) {
                        Some(old) => *old = s,
                        None => self.sessions.push(s),
                    }
                }
                self.sessions.retain(|s| !change.removed.contains(&s.key));
                self.counts = counts;
            }
            LinkEvent::Notices(n) => self.notices = n,
        }
    }
}

/// Every configured host, in Settings' order: the `remote-hosts` event.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, TS)]
pub struct RemoteHosts {
    pub hosts: Vec<RemoteHost>,
}

impl RemoteHosts {
    /// What the window is sent: each host with at most `per_host` rows, those not
    /// ended first, each group by newest activity (10 hosts of 1,000 sessions would
    /// otherwise be megabytes per push). Counts stay those of every row.
    pub fn shown(&self, per_host: usize) -> RemoteHosts {
        let ended = |s: &Session| {
            matches!(
                s.status,
                crate::model::Status::Ended | crate::model::Status::Failed
            )
        };
        RemoteHosts {
            hosts: self
                .hosts
                .iter()
                .map(|h| {
                    let mut rows: Vec<&Session> = h.sessions.iter().collect();
                    rows.sort_by(|a, b| {
                        ended(a)
                            .cmp(&ended(b))
                            .then_with(|| b.last_activity.cmp(&a.last_activity))
                    });
                    RemoteHost {
                        sessions: rows.into_iter().take(per_host).cloned().collect(),
                        host: h.host.clone(),
                        state: h.state.clone(),
                        counts: h.counts,
                        notices: h.notices.clone(),
                    }
                })
                .collect(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{SessionChange, SessionSnapshot};

    fn session(key: &str) -> Session {
        let mut s: Session = serde_json::from_value(serde_json::json!({
            "key": key, "id": key, "harness": "claude-code", "title": null, "project": null,
            "git_branch": null, "model": null, "models": [], "started_at": null,
            "last_activity": null, "status_since": null, "user_messages": 0,
            "assistant_messages": 0, "tool_calls": 0, "tool_errors": 0,
            "usage": {"input_tokens": 0, "output_tokens": 0, "cache_creation_tokens": 0,
                      "cache_read_tokens": 0},
            "cost_usd": null, "price_unknown": false, "parse_errors": 0, "status": "idle",
            "pid": null, "ambiguous": false, "agent_name": null, "agent_version": null,
            "unknown_records": {}, "path": "", "gone": false, "parent_id": null
        }))
        .unwrap();
        s.title = Some(key.to_uppercase());
        s
    }

    #[test]
    fn a_snapshot_replaces_the_rows_and_changes_upsert_and_remove() {
        let mut h = RemoteHost::new("box");
        h.apply(LinkEvent::Snapshot(SessionSnapshot {
            sessions: vec![session("a"), session("b")],
            ..SessionSnapshot::default()
        }));
        let mut b = session("b");
        b.user_messages = 4;
        h.apply(LinkEvent::Changed {
            change: SessionChange {
                upserted: vec![b, session("c")],
                removed: vec!["a".into()],
            },
            counts: SessionCounts::default(),
        });
        let keys: Vec<&str> = h.sessions.iter().map(|s| s.key.as_str()).collect();
        assert_eq!(keys, ["b", "c"]);
        assert_eq!(h.sessions[0].user_messages, 4);
        // A reconnect's snapshot: the same rows once each, none left over.
        h.apply(LinkEvent::Snapshot(SessionSnapshot {
            sessions: vec![session("c")],
            ..SessionSnapshot::default()
        }));
        assert_eq!(h.sessions.len(), 1);
    }

    #[test]
    fn the_window_gets_the_live_rows_first_and_no_more_than_asked() {
        let mut h = RemoteHost::new("box");
        let mut rows: Vec<Session> = (0..50).map(|i| session(&format!("s{i:02}"))).collect();
        for (i, s) in rows.iter_mut().enumerate() {
            s.status = crate::model::Status::Ended;
            s.last_activity = chrono::DateTime::from_timestamp(1_000 + i as i64, 0);
        }
        rows[3].status = crate::model::Status::Generating;
        h.sessions = rows;
        let shown = RemoteHosts { hosts: vec![h] }.shown(5);
        let keys: Vec<&str> = shown.hosts[0]
            .sessions
            .iter()
            .map(|s| s.key.as_str())
            .collect();
        assert_eq!(keys, ["s03", "s49", "s48", "s47", "s46"]);
    }
}
