//! Sessions of a user-configured gptme-server, listed beside the agents' own. The
//! server offers no push, so a background thread asks it every few seconds (as its
//! client; Sessionscope itself listens on nothing) and pushes `server-sessions` with
//! each answer (the view shows when it last asked). Refresh asks at once; a session
//! the user killed leaves the list at once.

use std::sync::Mutex;
use std::time::Duration;

use sessionscope_core::agents::gptme::server::{snapshot, GptmeServerClient};
use sessionscope_core::model::ServerSessions as ServerView;
use tauri::{AppHandle, Manager};

use crate::state::{lock, AppState};

const POLL: Duration = Duration::from_secs(3);

#[derive(Default)]
pub struct ServerWatch(pub Mutex<ServerView>);

/// Ask the configured server now, keep and push the answer.
pub fn refresh(app: &AppHandle, state: &AppState, watch: &ServerWatch) -> ServerView {
    let settings = state.settings().gptme_server;
    let view = match GptmeServerClient::from_settings(&settings) {
        None => ServerView::default(),
        Some(client) => snapshot(&client),
    };
    show(app, watch, view.clone());
    view
}

/// Keep `view` as what is shown and push it.
fn show(app: &AppHandle, watch: &ServerWatch, view: ServerView) {
    *lock(&watch.0) = view.clone();
    crate::events::server_sessions(app, view);
}

/// Drop session `id` from what is shown (it was killed), and push the list.
pub fn forget(app: &AppHandle, watch: &ServerWatch, id: &str) {
    let mut view = lock(&watch.0).clone();
    let before = view.sessions.len();
    view.sessions.retain(|s| s.id != id);
    if view.sessions.len() < before {
        if let Some(h) = view.health.as_mut() {
            h.session_count = h.session_count.saturating_sub(1);
        }
        show(app, watch, view);
    }
}

/// The polling thread. Call once, after the [`AppState`] and the [`ServerWatch`] are
/// managed.
pub fn start(app: &AppHandle) {
    let app = app.clone();
    let _ = std::thread::Builder::new()
        .name("gptme-server".into())
        .spawn(move || {
            let (Some(state), Some(watch)) =
                (app.try_state::<AppState>(), app.try_state::<ServerWatch>())
            else {
                return;
            };
            loop {
                let configured = state.settings().gptme_server.base_url.is_some();
                let shown_something = lock(&watch.0).base_url.is_some();
                // Nothing configured and nothing shown: nothing to ask or to clear.
                if configured || shown_something {
                    refresh(&app, &state, &watch);
                }
                std::thread::sleep(POLL);
            }
        });
}
