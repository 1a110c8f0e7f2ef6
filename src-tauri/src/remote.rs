//! The hosts in Settings, followed live over the user's own `ssh` (one
//! `sessionscope_core::remote::link::HostLink` per host) and pushed to the web view as
//! `remote-hosts`: each host's state (connecting, live, lost since, retrying, what to
//! do) and its rows. Links follow Settings: a host added starts one, a host removed
//! ends its ssh. Events are coalesced to at most one push per [`PUSH`], each with at
//! most [`SHOWN_PER_HOST`] rows per host, so a host that floods changes, or has
//! thousands of sessions, cannot flood the web view.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use sessionscope_core::remote::client::SshCommand;
use sessionscope_core::remote::link::HostLink;
use sessionscope_core::remote::table::{RemoteHost, RemoteHosts};
use tauri::{AppHandle, Manager};

use crate::state::AppState;

/// The longest a change waits before it is pushed.
const PUSH: Duration = Duration::from_millis(250);

/// Rows per host sent to the window (the panel lists these).
const SHOWN_PER_HOST: usize = 20;

/// The view of every host (what `list_remote_hosts` answers).
#[derive(Default)]
pub struct RemoteWatch {
    view: Arc<Mutex<RemoteHosts>>,
}

impl RemoteWatch {
    pub fn view(&self) -> RemoteHosts {
        lock(&self.view).shown(SHOWN_PER_HOST)
    }
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}

/// The thread that follows Settings' hosts and pushes their view. Call once, after the
/// [`AppState`] and the [`RemoteWatch`] are managed.
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
            let view = &watch.view;
            let mut links: Vec<(String, HostLink)> = Vec::new();
            loop {
                follow(&state.settings().hosts, &mut links, view, &dirty);
                if dirty.swap(false, Ordering::SeqCst) {
                    let shown = lock(view).shown(SHOWN_PER_HOST);
                    crate::events::remote_hosts(&app, shown);
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
    view: &Arc<Mutex<RemoteHosts>>,
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
    {
        let mut v = lock(view);
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
        let (name, view, dirty) = (host.clone(), Arc::clone(view), Arc::clone(dirty));
        let link = HostLink::start(host, SshCommand::from_env(), move |event| {
            let mut v = lock(&view);
            if let Some(h) = v.hosts.iter_mut().find(|h| h.host == name) {
                h.apply(event);
                dirty.store(true, Ordering::SeqCst);
            }
        });
        links.push((host.clone(), link));
    }
    links.sort_by_key(|(h, _)| wanted.iter().position(|w| w == h));
    dirty.store(true, Ordering::SeqCst);
}
