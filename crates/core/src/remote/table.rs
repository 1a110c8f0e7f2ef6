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

/// Every configured host, in Settings' order (the `remote-hosts` event carries it
/// [`RemoteHosts::without_rows`]).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, TS)]
pub struct RemoteHosts {
    pub hosts: Vec<RemoteHost>,
}

impl RemoteHosts {
    /// Each host's state and counts without its rows: the chips of the window, which
    /// gets the rows themselves as `rows::HostRows` changes (10 hosts of 1,000 sessions
    /// would otherwise be megabytes per push).
    pub fn without_rows(&self) -> RemoteHosts {
        RemoteHosts {
            hosts: self
                .hosts
                .iter()
                .map(|h| RemoteHost {
                    sessions: Vec::new(),
                    host: h.host.clone(),
                    state: h.state.clone(),
                    counts: h.counts,
                    notices: h.notices.clone(),
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
        Session {
            title: Some(key.to_uppercase()),
            ..Session::blank(key)
        }
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
    fn the_chips_get_states_and_counts_but_no_rows() {
        let mut h = RemoteHost::new("box");
        h.sessions = (0..50).map(|i| session(&format!("s{i:02}"))).collect();
        h.counts.total = 50;
        let chips = RemoteHosts { hosts: vec![h] }.without_rows();
        assert!(chips.hosts[0].sessions.is_empty());
        assert_eq!(chips.hosts[0].counts.total, 50);
        assert_eq!(chips.hosts[0].state, HostState::Connecting);
    }
}
