//! Sessions of a user-configured gptme-server, listed beside the agents' own. The
//! server offers no push, so a background thread asks it every few seconds (as its
//! client; Sessionscope itself listens on nothing) and pushes `server-sessions` with
//! each answer (the view shows when it last asked). Refresh asks at once; a session
//! the user killed leaves the list at once.

use std::sync::Mutex;
use std::time::Duration;

use sessionscope_core::agents::gptme::server::{snapshot, GptmeServerClient};
use sessionscope_core::model::ServerSessions as ServerView;
use tauri::{AppHandle, Emitter, Manager};

use crate::state::AppState;

const POLL: Duration = Duration::from_secs(3);

/// Pushed with the whole [`ServerView`] each time it is read.
pub const SERVER_SESSIONS: &str = "server-sessions";

pub struct ServerWatch(pub Mutex<ServerView>);

/// Ask the configured server now, keep and push the answer.
pub fn refresh(app: &AppHandle) -> ServerView {
    let Some(state) = app.try_state::<AppState>() else {
        return ServerView::default();
    };
    let settings = state.settings().gptme_server;
    let view = match GptmeServerClient::from_settings(&settings) {
        None => ServerView::default(),
        Some(client) => snapshot(&client),
    };
    show(app, view.clone());
    view
}

/// Keep `view` as what is shown and push it.
fn show(app: &AppHandle, view: ServerView) {
    let watch = app.state::<ServerWatch>();
    *watch.0.lock().unwrap_or_else(|e| e.into_inner()) = view.clone();
    let _ = app.emit(SERVER_SESSIONS, view);
}

/// Drop session `id` from what is shown (it was killed), and push the list.
pub fn forget(app: &AppHandle, id: &str) {
    let mut view = app
        .state::<ServerWatch>()
        .0
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .clone();
    let before = view.sessions.len();
    view.sessions.retain(|s| s.id != id);
    if view.sessions.len() < before {
        if let Some(h) = view.health.as_mut() {
            h.session_count = h.session_count.saturating_sub(1);
        }
        show(app, view);
    }
}

pub fn start(app: &AppHandle) {
    app.manage(ServerWatch(Mutex::new(ServerView::default())));
    let app = app.clone();
    let _ = std::thread::Builder::new()
        .name("gptme-server".into())
        .spawn(move || loop {
            let configured = app
                .try_state::<AppState>()
                .is_some_and(|s| s.settings().gptme_server.base_url.is_some());
            let shown_something = app
                .state::<ServerWatch>()
                .0
                .lock()
                .unwrap_or_else(|e| e.into_inner())
                .base_url
                .is_some();
            // Nothing configured and nothing shown: nothing to ask or to clear.
            if configured || shown_something {
                refresh(&app);
            }
            std::thread::sleep(POLL);
        });
}
