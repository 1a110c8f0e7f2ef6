//! Sessions of a user-configured gptme-server, listed beside the agents' own. The
//! server offers no push, so a background thread asks it every few seconds (as its
//! client; Sessionscope itself listens on nothing) and pushes `server-sessions` only
//! when the answer changed.

use std::sync::Mutex;
use std::time::Duration;

use sessionscope_core::agents::gptme::server::GptmeServerClient;
use sessionscope_core::model::ServerSessions as ServerView;
use tauri::{AppHandle, Emitter, Manager};

use crate::state::AppState;

const POLL: Duration = Duration::from_secs(3);

pub struct ServerWatch(pub Mutex<ServerView>);

pub fn start(app: &AppHandle) {
    app.manage(ServerWatch(Mutex::new(ServerView::default())));
    let app = app.clone();
    let _ = std::thread::Builder::new()
        .name("gptme-server".into())
        .spawn(move || loop {
            if let Some(state) = app.try_state::<AppState>() {
                let settings = state.settings().gptme_server;
                let view = match GptmeServerClient::from_settings(&settings) {
                    None => ServerView::default(),
                    Some(client) => match client.sessions() {
                        Ok(sessions) => ServerView {
                            base_url: settings.base_url.clone(),
                            sessions,
                            error: None,
                        },
                        Err(e) => ServerView {
                            base_url: settings.base_url.clone(),
                            sessions: Vec::new(),
                            error: Some(e.to_string()),
                        },
                    },
                };
                let watch = app.state::<ServerWatch>();
                let mut shown = watch.0.lock().unwrap_or_else(|e| e.into_inner());
                if *shown != view {
                    *shown = view.clone();
                    let _ = app.emit("server-sessions", view);
                }
            }
            std::thread::sleep(POLL);
        });
}
