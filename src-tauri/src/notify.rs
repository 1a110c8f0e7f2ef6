//! Desktop notifications for sessions that start waiting, finish or fail. Which
//! changes count and how many may be shown is decided by core's `alerts`; this only
//! shows them, and makes a click on one open its session.
//!
//! On Linux and the BSDs a notification goes straight to the freedesktop notification
//! server with a "default" action; a thread waits for the click (or the close) and
//! then focuses the session. Elsewhere the notification plugin shows it, and the tray
//! menu is the way to the waiting session (the plugin has no desktop click callback).

use std::sync::Mutex;
use std::time::{Duration, Instant};

use sessionscope_core::model::Session;
use sessionscope_core::sessions::alerts::{Alert, AlertTracker, RateLimit};
use tauri::AppHandle;

use crate::state::{lock, SharedSettings};

/// Whether this run of the app has shown a notification yet: the first one says how
/// to turn them off.
static HINT_SHOWN: std::sync::atomic::AtomicBool = std::sync::atomic::AtomicBool::new(false);
const TURN_OFF_HINT: &str = "Turn these off in Sessionscope's Settings → Notifications and tray.";

/// The body of a notification; the first of each run of the app ends with the hint.
fn body_of(alert: &Alert) -> String {
    if HINT_SHOWN.swap(true, std::sync::atomic::Ordering::AcqRel) {
        alert.body.clone()
    } else {
        format!("{}\n\n{TURN_OFF_HINT}", alert.body)
    }
}

/// The notification handler of the dispatcher: what it has seen of each session's
/// status, and how many notifications it may still show this minute.
pub struct Notifier {
    alerts: Mutex<(AlertTracker, RateLimit)>,
    settings: SharedSettings,
}

impl Notifier {
    pub fn new(settings: SharedSettings) -> Notifier {
        Notifier {
            alerts: Mutex::new((
                AlertTracker::default(),
                RateLimit::new(4, Duration::from_secs(60)),
            )),
            settings,
        }
    }

    /// Learn a rebuilt table without notifying about it.
    pub fn prime(&self, sessions: &[Session]) {
        lock(&self.alerts).0.prime(sessions);
    }

    /// Show the notifications the changed rows call for, within the rate limit.
    pub fn session_changes(&self, app: &AppHandle, updated: &[Session]) {
        let settings = lock(&self.settings).clone();
        let mut guard = lock(&self.alerts);
        let (tracker, limit) = &mut *guard;
        let now = Instant::now();
        for alert in tracker.observe(updated, &settings) {
            if limit.allow(now) {
                show(app, alert);
            }
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
    // The desktop entry the packages install is Sessionscope.desktop.
    note.appname("Sessionscope")
        .summary(&alert.title)
        .body(&body_of(&alert))
        .hint(notify_rust::Hint::DesktopEntry("Sessionscope".into()));
    if WAITING.fetch_add(1, Ordering::AcqRel) >= MAX_WAITING {
        WAITING.fetch_sub(1, Ordering::AcqRel);
        if let Err(e) = note.show() {
            eprintln!("sessionscope: notification not shown: {e}");
        }
        return;
    }
    note.action("default", "Open session");
    note.action("settings", "Notification settings");
    let app = app.clone();
    let spawned = std::thread::Builder::new()
        .name("notification".into())
        .spawn(move || {
            match note.show() {
                Ok(handle) => handle.wait_for_action(|action| match action {
                    "default" => crate::window::focus_session(&app, &alert.session_key),
                    "settings" => crate::window::open_settings(&app),
                    _ => {}
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
        .body(body_of(&alert))
        .show();
}

/// Built without the notification plugin (only `make cross`'s check of the macOS app
/// does that): the alert is written to stderr instead of being lost silently.
#[cfg(all(
    not(all(unix, not(target_os = "macos"))),
    not(feature = "notifications")
))]
fn show(_app: &AppHandle, alert: Alert) {
    eprintln!("sessionscope: {}: {}", alert.title, body_of(&alert));
}
