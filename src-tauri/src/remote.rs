//! The hosts in Settings, followed live over the user's own `ssh` (one
//! `sessionscope_core::remote::link::HostLink` per host), in the one Sessions table.
//!
//! The web view gets two events: `remote-hosts`, each host's state and counts (its
//! chip), and `remote-sessions`, the hosts' rows: for each host that reported, all of
//! them after a (re)connect, else only what changed (`core::remote::rows`), under keys
//! unique across hosts.
//! Both are coalesced to at most one push per [`PUSH`], so a host that floods changes
//! costs one push per period with the newest version of each row. Links follow
//! Settings: a host added starts one, a host removed ends its ssh and its rows leave
//! the table. Questions for a host (transcripts, kills) go over its live link
//! ([`RemoteWatch::requests`]). The Analytics view is told when hosts' rows changed,
//! at most every `dispatch::ANALYTICS_QUIET`.

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use sessionscope_core::model::Session;
use sessionscope_core::remote::client::SshCommand;
use sessionscope_core::remote::link::HostLink;
use sessionscope_core::remote::requests::Requests;
use sessionscope_core::remote::rows::{self, Outgoing};
use sessionscope_core::remote::table::{RemoteHost, RemoteHosts};
use tauri::{AppHandle, Manager};

use crate::state::AppState;

/// The longest a change waits before it is pushed.
const PUSH: Duration = Duration::from_millis(250);

/// Every host's state and rows, what is owed to the window, and how to ask each host.
#[derive(Default)]
pub struct RemoteWatch {
    view: Arc<Mutex<RemoteHosts>>,
    outgoing: Arc<Mutex<Outgoing>>,
    requests: Mutex<HashMap<String, Requests>>,
}

impl RemoteWatch {
    /// Each host's state and counts (`list_remote_hosts`).
    pub fn chips(&self) -> RemoteHosts {
        lock(&self.view).without_rows()
    }

    /// Every row of every host, keyed for the one table (`list_remote_sessions`).
    pub fn rows(&self) -> Vec<Session> {
        self.rows_of(None)
    }

    /// The rows of `host`, or of every host, keyed for the one table.
    pub fn rows_of(&self, host: Option<&str>) -> Vec<Session> {
        let view = lock(&self.view);
        view.hosts
            .iter()
            .filter(|h| host.is_none_or(|want| h.host == want))
            .flat_map(|h| h.sessions.iter().map(|s| rows::keyed(&h.host, s)))
            .collect()
    }

    /// How to ask `host` things, if it is one of Settings' hosts.
    pub fn requests(&self, host: &str) -> Option<Requests> {
        lock(&self.requests).get(host).cloned()
    }
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}

/// The thread that follows Settings' hosts and pushes their chips and rows. Call
/// once, after the [`AppState`] and the [`RemoteWatch`] are managed.
pub fn start(app: &AppHandle) {
    let dirty = Arc::new(AtomicBool::new(false));
    let app = app.clone();
    let _ = std::thread::Builder::new()
        .name("remote-hosts".into())
        .spawn(move || {
            let (Some(state), Some(watch)) =
                (app.try_state::<AppState>(), app.try_state::<RemoteWatch>())
            else {
                return;
            };
            let mut links: Vec<(String, HostLink)> = Vec::new();
            // Hosts' rows changed since Analytics was last told (at most every
            // ANALYTICS_QUIET, as for this machine's rows).
            let mut analytics_owed = false;
            let mut analytics_told = std::time::Instant::now();
            loop {
                follow(&state.settings().hosts, &mut links, &watch, &dirty);
                if dirty.swap(false, Ordering::SeqCst) {
                    crate::events::remote_hosts(&app, watch.chips());
                }
                let owed = {
                    let view = lock(&watch.view);
                    let mut out = lock(&watch.outgoing);
                    (!out.is_empty()).then(|| out.take(&view))
                };
                // Every host's rows of this period in one event: one render in the window.
                if let Some(rows) = owed.filter(|r| !r.is_empty()) {
                    crate::events::remote_sessions(&app, rows);
                    analytics_owed = true;
                }
                if analytics_owed && analytics_told.elapsed() >= crate::dispatch::ANALYTICS_QUIET {
                    crate::events::analytics_changed(&app);
                    analytics_owed = false;
                    analytics_told = std::time::Instant::now();
                }
                std::thread::sleep(PUSH);
            }
        });
}

/// Start a link for each host in `wanted` that has none, end the others, and keep the
/// view in Settings' order.
fn follow(
    wanted: &[String],
    links: &mut Vec<(String, HostLink)>,
    watch: &RemoteWatch,
    dirty: &Arc<AtomicBool>,
) {
    let wanted: Vec<String> = wanted
        .iter()
        .filter_map(|h| sessionscope_core::remote::hosts::check_host(h).ok())
        .collect();
    let current: Vec<&String> = links.iter().map(|(h, _)| h).collect();
    if current.len() == wanted.len() && current.iter().zip(&wanted).all(|(a, b)| *a == b) {
        return;
    }
    links.retain(|(h, _)| wanted.contains(h));
    lock(&watch.requests).retain(|h, _| wanted.contains(h));
    {
        let mut v = lock(&watch.view);
        let mut out = lock(&watch.outgoing);
        for gone in v.hosts.iter().filter(|h| !wanted.contains(&h.host)) {
            out.all(&gone.host);
        }
        v.hosts.retain(|h| wanted.contains(&h.host));
        for host in &wanted {
            if !v.hosts.iter().any(|h| &h.host == host) {
                v.hosts.push(RemoteHost::new(host));
            }
        }
        v.hosts
            .sort_by_key(|h| wanted.iter().position(|w| *w == h.host));
    }
    for host in &wanted {
        if links.iter().any(|(h, _)| h == host) {
            continue;
        }
        let name = host.clone();
        let (view, outgoing, dirty) = (
            Arc::clone(&watch.view),
            Arc::clone(&watch.outgoing),
            Arc::clone(dirty),
        );
        let link = HostLink::start(host, SshCommand::from_env(), move |event| {
            let mut v = lock(&view);
            if let Some(h) = v.hosts.iter_mut().find(|h| h.host == name) {
                lock(&outgoing).note(&name, &event);
                h.apply(event);
                dirty.store(true, Ordering::SeqCst);
            }
        });
        lock(&watch.requests).insert(host.clone(), link.requests());
        links.push((host.clone(), link));
    }
    links.sort_by_key(|(h, _)| wanted.iter().position(|w| w == h));
    dirty.store(true, Ordering::SeqCst);
}
