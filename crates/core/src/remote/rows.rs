//! The remote hosts' rows as the app's one Sessions table holds them, next to this
//! machine's: every row of every host, each under a key no other host's row has
//! ([`row_key`]: `@HOST KEY`), and only what changed sent to the window.
//!
//! [`Outgoing`] notes, per host, what its link reported since the last push: a
//! snapshot (the window then replaces all of that host's rows) or changes, folded
//! into one [`SessionChange`] so a host that floods changes costs one push per
//! period, with the newest version of each row. [`Outgoing::take`] turns that into
//! [`HostRows`] events.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use ts_rs::TS;

use crate::model::{Session, SessionChange};
use crate::remote::link::LinkEvent;
use crate::remote::table::RemoteHosts;

/// The key of `host`'s row `key` in the one table. A host name has no space (see
/// `hosts::check_host`) and a local key never starts with `@` (`harness:id`), so the
/// two never meet and [`split_row_key`] gives both back.
pub fn row_key(host: &str, key: &str) -> String {
    format!("@{host} {key}")
}

/// The host and the host's own key of a remote row's key; `None` for a local row.
pub fn split_row_key(key: &str) -> Option<(&str, &str)> {
    let (host, key) = key.strip_prefix('@')?.split_once(' ')?;
    (!host.is_empty()).then_some((host, key))
}

/// `s` of `host` as the one table holds it.
pub fn keyed(host: &str, s: &Session) -> Session {
    let mut s = s.clone();
    s.key = row_key(host, &s.key);
    s
}

/// One host's rows for the window (the `remote-sessions` event): with `reset`, these
/// are all of them (drop every other row of the host); else only what changed.
/// Keys are [`row_key`]s.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, TS)]
pub struct HostRows {
    pub host: String,
    pub reset: bool,
    pub change: SessionChange,
}

/// What a host reported since the last push.
#[derive(Debug)]
enum Pending {
    /// A snapshot (or the host was added or removed): send every row.
    All,
    /// Changes only, folded together (host keys, not yet row keys).
    Change(SessionChange),
}

/// The pushes owed to the window, per host.
#[derive(Debug, Default)]
pub struct Outgoing {
    hosts: BTreeMap<String, Pending>,
}

impl Outgoing {
    /// Note one event of `host`'s link.
    pub fn note(&mut self, host: &str, event: &LinkEvent) {
        match event {
            LinkEvent::Snapshot(_) => self.all(host),
            LinkEvent::Changed { change, .. } => match self.hosts.get_mut(host) {
                Some(Pending::All) => {}
                Some(Pending::Change(c)) => c.merge(change.clone()),
                None => {
                    self.hosts
                        .insert(host.to_string(), Pending::Change(change.clone()));
                }
            },
            LinkEvent::State(_) | LinkEvent::Notices(_) => {}
        }
    }

    /// Send every row of `host` next time (it was added, or removed: then none).
    pub fn all(&mut self, host: &str) {
        self.hosts.insert(host.to_string(), Pending::All);
    }

    /// Whether anything is owed.
    pub fn is_empty(&self) -> bool {
        self.hosts.is_empty()
    }

    /// What to send now, given the hosts' current rows; nothing is owed afterwards.
    pub fn take(&mut self, view: &RemoteHosts) -> Vec<HostRows> {
        std::mem::take(&mut self.hosts)
            .into_iter()
            .map(|(host, pending)| {
                let rows = view.hosts.iter().find(|h| h.host == host);
                let change = match (pending, rows) {
                    (_, None) => {
                        return HostRows {
                            host,
                            reset: true,
                            change: SessionChange::default(),
                        }
                    }
                    (Pending::All, Some(h)) => {
                        return HostRows {
                            change: SessionChange {
                                upserted: h.sessions.iter().map(|s| keyed(&host, s)).collect(),
                                removed: Vec::new(),
                            },
                            host,
                            reset: true,
                        }
                    }
                    (Pending::Change(c), Some(_)) => c,
                };
                HostRows {
                    change: SessionChange {
                        upserted: change.upserted.iter().map(|s| keyed(&host, s)).collect(),
                        removed: change.removed.iter().map(|k| row_key(&host, k)).collect(),
                    },
                    host,
                    reset: false,
                }
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{SessionCounts, SessionSnapshot};
    use crate::remote::table::RemoteHost;

    fn session(key: &str) -> Session {
        Session::blank(key)
    }

    fn changed(upserted: Vec<Session>, removed: &[&str]) -> LinkEvent {
        LinkEvent::Changed {
            change: SessionChange {
                upserted,
                removed: removed.iter().map(|k| k.to_string()).collect(),
            },
            counts: SessionCounts::default(),
        }
    }

    #[test]
    fn row_keys_are_unique_across_hosts_and_split_back() {
        let k = row_key("me@build-1", "claude-code:7a1e");
        assert_eq!(k, "@me@build-1 claude-code:7a1e");
        assert_eq!(split_row_key(&k), Some(("me@build-1", "claude-code:7a1e")));
        assert_ne!(row_key("a", "x"), row_key("b", "x"));
        // A local key is never taken for a remote one, whatever its path holds.
        assert_eq!(split_row_key("claude-code:@x y"), None);
        assert_eq!(split_row_key("@ y"), None);
        assert_eq!(split_row_key("@nospace"), None);
    }

    #[test]
    fn changes_are_folded_per_host_and_a_snapshot_sends_every_row() {
        let mut view = RemoteHosts {
            hosts: vec![RemoteHost::new("a"), RemoteHost::new("b")],
        };
        let mut out = Outgoing::default();
        let snap = LinkEvent::Snapshot(SessionSnapshot {
            sessions: vec![session("s1"), session("s2")],
            ..SessionSnapshot::default()
        });
        view.hosts[0].apply(snap.clone());
        out.note("a", &snap);
        // Changes after a snapshot in the same period: the snapshot's full send covers them.
        let c = changed(vec![session("s3")], &["s1"]);
        view.hosts[0].apply(c.clone());
        out.note("a", &c);
        // Host b: a flood of changes to one row, then its removal and another row.
        for _ in 0..100 {
            let c = changed(vec![session("t1")], &[]);
            view.hosts[1].apply(c.clone());
            out.note("b", &c);
        }
        let c = changed(vec![session("t2")], &["t1"]);
        view.hosts[1].apply(c.clone());
        out.note("b", &c);

        let sent = out.take(&view);
        assert!(out.is_empty());
        assert_eq!(sent.len(), 2);
        let a = &sent[0];
        assert!(a.reset);
        let mut keys: Vec<&str> = a.change.upserted.iter().map(|s| s.key.as_str()).collect();
        keys.sort();
        assert_eq!(keys, ["@a s2", "@a s3"]);
        let b = &sent[1];
        assert!(!b.reset);
        let keys: Vec<&str> = b.change.upserted.iter().map(|s| s.key.as_str()).collect();
        assert_eq!(keys, ["@b t2"], "one row, not a hundred");
        assert_eq!(b.change.removed, ["@b t1"]);
        assert!(out.take(&view).is_empty());
    }

    #[test]
    fn a_removed_host_sends_an_empty_reset() {
        let mut out = Outgoing::default();
        out.all("gone");
        let sent = out.take(&RemoteHosts::default());
        assert_eq!(
            sent,
            [HostRows {
                host: "gone".into(),
                reset: true,
                change: SessionChange::default()
            }]
        );
    }
}
