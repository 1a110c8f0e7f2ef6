//! The remote hosts as the app shows them: each host's state and its rows, kept up to
//! date from its [`LinkEvent`]s. A snapshot replaces every row of its host (so a
//! reconnect neither doubles nor loses one); a change upserts and removes by key,
//! through an index of the rows by key, so a change costs the same whether the host has
//! ten rows or a hundred thousand (rows are kept in no particular order: the table
//! sorts them).

use std::collections::HashMap;

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
    /// Where each key is in `sessions` (rebuilt when it does not cover them).
    #[serde(skip)]
    #[ts(skip)]
    index: HashMap<String, usize>,
}

impl RemoteHost {
    pub fn new(host: &str) -> RemoteHost {
        RemoteHost {
            host: host.to_string(),
            state: HostState::Connecting,
            sessions: Vec::new(),
            counts: SessionCounts::default(),
            notices: Vec::new(),
            index: HashMap::new(),
        }
    }

    /// Index the rows by key, keeping the first row of a key a hostile or broken host
    /// sent twice.
    fn reindex(&mut self) {
        self.index.clear();
        let mut kept = Vec::with_capacity(self.sessions.len());
        for s in std::mem::take(&mut self.sessions) {
            if !self.index.contains_key(&s.key) {
                self.index.insert(s.key.clone(), kept.len());
                kept.push(s);
            }
        }
        self.sessions = kept;
    }

    /// Fold one event of this host's link into the view.
    pub fn apply(&mut self, event: LinkEvent) {
        match event {
            LinkEvent::State(s) => self.state = s,
            LinkEvent::Snapshot(s) => {
                self.sessions = s.sessions;
                self.reindex();
                self.counts = s.counts;
                self.notices = s.notices;
            }
            LinkEvent::Changed { change, counts } => {
                // Rows set from outside (`sessions` is public) are indexed first.
                if self.index.len() != self.sessions.len() {
                    self.reindex();
                }
                for s in change.upserted {
                    match self.index.get(&s.key) {
                        Some(&i) => self.sessions[i] = s,
                        None => {
                            self.index.insert(s.key.clone(), self.sessions.len());
                            self.sessions.push(s);
                        }
                    }
                }
                for key in &change.removed {
                    if let Some(i) = self.index.remove(key) {
                        self.sessions.swap_remove(i);
                        if let Some(moved) = self.sessions.get(i) {
                            self.index.insert(moved.key.clone(), i);
                        }
                    }
                }
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
                    index: HashMap::new(),
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
        let mut keys: Vec<&str> = h.sessions.iter().map(|s| s.key.as_str()).collect();
        keys.sort();
        assert_eq!(keys, ["b", "c"]);
        let b = h.sessions.iter().find(|s| s.key == "b").unwrap();
        assert_eq!(b.user_messages, 4);
        // A reconnect's snapshot: the same rows once each, none left over.
        h.apply(LinkEvent::Snapshot(SessionSnapshot {
            sessions: vec![session("c")],
            ..SessionSnapshot::default()
        }));
        assert_eq!(h.sessions.len(), 1);
    }

    fn change(upserted: Vec<Session>, removed: Vec<String>) -> LinkEvent {
        LinkEvent::Changed {
            change: SessionChange { upserted, removed },
            counts: SessionCounts::default(),
        }
    }

    /// Rows removed from anywhere (the last, the first, one just added), re-added and
    /// changed again: the index never points at another row, and no row is doubled
    /// or lost, checked against a plain list applied the slow way.
    #[test]
    fn the_index_follows_every_upsert_and_removal() {
        let mut h = RemoteHost::new("box");
        let keys = |n: std::ops::Range<u32>| n.map(|i| format!("k{i}")).collect::<Vec<_>>();
        h.apply(LinkEvent::Snapshot(SessionSnapshot {
            sessions: keys(0..20).iter().map(|k| session(k)).collect(),
            ..SessionSnapshot::default()
        }));
        let mut want: std::collections::BTreeMap<String, u32> =
            keys(0..20).into_iter().map(|k| (k, 0)).collect();
        // A fixed pseudo-random walk of changes.
        let mut x: u32 = 7;
        for step in 0..2000u32 {
            x = x.wrapping_mul(1_103_515_245).wrapping_add(12345);
            let k = format!("k{}", (x >> 8) % 30);
            if (x >> 4).is_multiple_of(3) {
                h.apply(change(Vec::new(), vec![k.clone()]));
                want.remove(&k);
            } else {
                let mut s = session(&k);
                s.user_messages = step;
                h.apply(change(vec![s], Vec::new()));
                want.insert(k, step);
            }
            let got: std::collections::BTreeMap<String, u32> = h
                .sessions
                .iter()
                .map(|s| (s.key.clone(), s.user_messages))
                .collect();
            assert_eq!(got.len(), h.sessions.len(), "a row doubled at step {step}");
            assert_eq!(got, want, "step {step}");
        }
        // A host that sends a key twice in its snapshot shows it once.
        h.apply(LinkEvent::Snapshot(SessionSnapshot {
            sessions: vec![session("d"), session("d"), session("e")],
            ..SessionSnapshot::default()
        }));
        assert_eq!(h.sessions.len(), 2);
        h.apply(change(Vec::new(), vec!["d".into()]));
        assert_eq!(h.sessions.len(), 1);
        assert_eq!(h.sessions[0].key, "e");
    }

    /// 5,000 changes to a host of 100,000 rows each land on their own row (searching the
    /// row list, as before the index, was 2.5 × 10⁸ key comparisons; 20,000 took 110 s
    /// here in a debug build; with the index, a fraction of a second). The times are
    /// printed, not asserted (a loaded machine is no judge of speed): with it, those of
    /// the case, 10 hosts × 1,000 rows with one change a second each, for a minute.
    #[test]
    fn changes_to_a_host_of_100k_rows_each_land_on_their_row() {
        let mut big = RemoteHost::new("big");
        big.apply(LinkEvent::Snapshot(SessionSnapshot {
            sessions: (0..100_000).map(|i| session(&format!("s{i:06}"))).collect(),
            ..SessionSnapshot::default()
        }));
        let t = std::time::Instant::now();
        for i in 0..5_000u32 {
            let key = format!("s{:06}", (i * 7919) % 100_000);
            let mut s = session(&key);
            s.user_messages = i;
            big.apply(change(vec![s], Vec::new()));
        }
        let took = t.elapsed();
        eprintln!("5,000 changes to a host of 100,000 rows applied in {took:?}");
        assert_eq!(big.sessions.len(), 100_000);
        let by_key: std::collections::HashMap<&str, u32> = big
            .sessions
            .iter()
            .map(|s| (s.key.as_str(), s.user_messages))
            .collect();
        for i in 0..5_000u32 {
            assert_eq!(by_key[format!("s{:06}", (i * 7919) % 100_000).as_str()], i);
        }

        let mut hosts: Vec<RemoteHost> = (0..10)
            .map(|h| {
                let mut host = RemoteHost::new(&format!("host{h}"));
                host.apply(LinkEvent::Snapshot(SessionSnapshot {
                    sessions: (0..1000).map(|i| session(&format!("s{i}"))).collect(),
                    ..SessionSnapshot::default()
                }));
                host
            })
            .collect();
        let t = std::time::Instant::now();
        for second in 0..60u32 {
            for host in &mut hosts {
                let mut s = session(&format!("s{}", (second * 37) % 1000));
                s.user_messages = second;
                host.apply(change(vec![s], Vec::new()));
            }
        }
        eprintln!(
            "10 hosts x 1,000 rows, 1 change/s/host: a minute's 600 changes applied in {:?}",
            t.elapsed()
        );
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
