//! Desktop notifications for sessions that start waiting, finish or fail. Which
//! changes count and how many may be shown is decided by core's `alerts`; this only
//! shows them, and makes a click on one open its session.
//!
//! On Linux and the BSDs a notification goes straight to the freedesktop notification
//! server with a "default" action; a thread waits for the click (or the close) and
//! then focuses the session. Elsewhere the notification plugin shows it, and the tray
//! menu is the way to the waiting session (the plugin has no desktop click callback).

use std::time::Instant;

use sessionscope_core::model::Session;
use sessionscope_core::sessions::alerts::Alert;
use tauri::{AppHandle, Manager};

use crate::state::AppState;

pub fn session_changes(app: &AppHandle, updated: &[Session]) {
    let Some(state) = app.try_state::<AppState>() else {
        return;
    };
    let settings = state.settings();
    let mut guard = state.alerts.lock().unwrap_or_else(|e| e.into_inner());
    let (tracker, limit) = &mut *guard;
    let now = Instant::now();
    for alert in tracker.observe(updated, &settings) {
        if limit.allow(now) {
            show(app, alert);
        }
    }
}

#[cfg(all(unix, not(target_os = "macos")))]
fn show(app: &AppHandle, alert: Alert) {
    use std::sync::atomic::{AtomicUsize, Ordering};

    /// Each shown notification keeps a thread waiting for its click until the server
    /// closes it. Servers that keep notifications forever would pile those up, so past
    /// this many the rest are shown without waiting (they just cannot be clicked).
    const MAX_WAITING: usize = 16;
    static WAITING: AtomicUsize = AtomicUsize::new(0);

    let mut note = notify_rust::Notification::new();
    note.appname("Sessionscope")
        .summary(&alert.title)
        .body(&alert.body)
        .hint(notify_rust::Hint::DesktopEntry("sessionscope".into()));
    if WAITING.fetch_add(1, Ordering::AcqRel) >= MAX_WAITING {
        WAITING.fetch_sub(1, Ordering::AcqRel);
        if let Err(e) = note.show() {
            eprintln!("sessionscope: notification not shown: {e}");
        }
        return;
    }
    note.action("default", "Open session");
    let app = app.clone();
    let spawned = std::thread::Builder::new()
        .name("notification".into())
        .spawn(move || {
            match note.show() {
                Ok(handle) => handle.wait_for_action(|action| {
                    if action == "default" {
                        crate::tray::focus_session(&app, &alert.session_key);
                    }
                }),
                Err(e) => eprintln!("sessionscope: notification not shown: {e}"),
            }
            WAITING.fetch_sub(1, Ordering::AcqRel);
        });
    if spawned.is_err() {
        WAITING.fetch_sub(1, Ordering::AcqRel);
    }
}

#[cfg(all(not(all(unix, not(target_os = "macos"))), feature = "notifications"))]
fn show(app: &AppHandle, alert: Alert) {
    use tauri_plugin_notification::NotificationExt;
    let _ = app
        .notification()
        .builder()
        .title(&alert.title)
        .body(&alert.body)
        .show();
}

/// Built without the notification plugin (only `make cross`'s check of the macOS app
/// does that): the alert is written to stderr instead of being lost silently.
#[cfg(all(
    not(all(unix, not(target_os = "macos"))),
    not(feature = "notifications")
))]
fn show(_app: &AppHandle, alert: Alert) {
    eprintln!("sessionscope: {}: {}", alert.title, alert.body);
}
