//! The system tray: its tooltip counts generating and waiting sessions and running
//! commands; its menu lists the sessions waiting for input (click one to open it),
//! then where to turn notifications and the icon itself off, Show window and Quit. The
//! icon changes while any session waits for input; Settings can hide it.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Mutex;
use std::time::Duration;

use sessionscope_core::model::{RunStatus, Status};
use tauri::image::Image;
use tauri::menu::{Menu, MenuItem, PredefinedMenuItem};
use tauri::tray::TrayIconBuilder;
use tauri::{AppHandle, Emitter, Manager, Wry};

use crate::state::AppState;

const TRAY_ID: &str = "main";
/// Menu ids of waiting sessions start with this, followed by the session key.
const FOCUS_PREFIX: &str = "focus:";
const MAX_LISTED: usize = 10;
const WAITING_ICON: &[u8] = include_bytes!("../../icons/tray-waiting.png");

/// What the tray shows now, to rebuild the menu only when it changes.
#[derive(Default, PartialEq, Clone)]
struct TrayView {
    summary: String,
    waiting: Vec<(String, String)>,
}

struct TrayState {
    shown: Mutex<TrayView>,
    /// Set by [`refresh`]; the updater thread redraws at most once per [`TRAY_PERIOD`].
    dirty: AtomicBool,
}

/// Tray updates go through the GTK main thread (and, on Linux, D-Bus): coalescing them
/// keeps a burst of session changes from stalling the window's frames.
const TRAY_PERIOD: Duration = Duration::from_millis(1000);

pub fn create(app: &AppHandle) -> tauri::Result<()> {
    let mut tray = TrayIconBuilder::with_id(TRAY_ID)
        .tooltip("Sessionscope")
        .menu(&build_menu(app, &TrayView::default())?)
        .on_menu_event(|app, event| match event.id().as_ref() {
            "show" => show_main_window(app),
            "settings" => open_settings(app),
            "quit" => crate::quit::request(app),
            id => {
                if let Some(key) = id.strip_prefix(FOCUS_PREFIX) {
                    focus_session(app, key);
                }
            }
        });
    if let Some(icon) = app.default_window_icon() {
        tray = tray.icon(icon.clone());
    }
    let tray = tray.build(app)?;
    if let Some(state) = app.try_state::<AppState>() {
        tray.set_visible(state.settings().show_tray_icon)?;
    }
    app.manage(TrayState {
        shown: Mutex::new(TrayView::default()),
        dirty: AtomicBool::new(true),
    });
    let updater = app.clone();
    std::thread::Builder::new()
        .name("tray-updater".into())
        .spawn(move || loop {
            std::thread::sleep(TRAY_PERIOD);
            if let Some(state) = updater.try_state::<TrayState>() {
                if state.dirty.swap(false, Ordering::AcqRel) {
                    redraw(&updater);
                }
            }
        })?;
    Ok(())
}

fn build_menu(app: &AppHandle, view: &TrayView) -> tauri::Result<Menu<Wry>> {
    let menu = Menu::new(app)?;
    let summary = if view.summary.is_empty() {
        "Starting…"
    } else {
        &view.summary
    };
    menu.append(&MenuItem::with_id(
        app,
        "summary",
        summary,
        false,
        None::<&str>,
    )?)?;
    if !view.waiting.is_empty() {
        menu.append(&PredefinedMenuItem::separator(app)?)?;
        menu.append(&MenuItem::with_id(
            app,
            "waiting-head",
            "Waiting for input:",
            false,
            None::<&str>,
        )?)?;
        for (key, label) in &view.waiting {
            menu.append(&MenuItem::with_id(
                app,
                format!("{FOCUS_PREFIX}{key}"),
                label,
                true,
                None::<&str>,
            )?)?;
        }
    }
    menu.append(&PredefinedMenuItem::separator(app)?)?;
    menu.append(&MenuItem::with_id(
        app,
        "settings",
        "Turn off notifications or this icon…",
        true,
        None::<&str>,
    )?)?;
    menu.append(&MenuItem::with_id(
        app,
        "show",
        "Show window",
        true,
        None::<&str>,
    )?)?;
    menu.append(&MenuItem::with_id(app, "quit", "Quit", true, None::<&str>)?)?;
    Ok(menu)
}

/// Ask for a redraw; it happens within [`TRAY_PERIOD`].
pub fn refresh(app: &AppHandle) {
    if let Some(state) = app.try_state::<TrayState>() {
        state.dirty.store(true, Ordering::Release);
    }
}

/// Recompute what the tray shows; touch the tray only when that changed.
fn redraw(app: &AppHandle) {
    let Some(state) = app.try_state::<AppState>() else {
        return;
    };
    let Some(tray_state) = app.try_state::<TrayState>() else {
        return;
    };
    let counts = state.live().counts();
    let waiting_sessions = state
        .live()
        .sessions_in(Status::WaitingForInput, MAX_LISTED);
    let running = state
        .supervisor
        .runs()
        .iter()
        .filter(|r| r.status == RunStatus::Running)
        .count();
    let waiting: Vec<(String, String)> = waiting_sessions
        .iter()
        .map(|s| {
            let name = s
                .title
                .clone()
                .unwrap_or_else(|| s.id.chars().take(8).collect());
            let name: String = name.chars().take(48).collect();
            (s.key.clone(), format!("{name} ({})", s.harness.as_str()))
        })
        .collect();
    let view = TrayView {
        summary: format!(
            "{} generating, {} running tool, {} waiting · {} running commands",
            counts.generating, counts.running_tool, counts.waiting, running
        ),
        waiting,
    };
    let mut last = tray_state.shown.lock().unwrap_or_else(|e| e.into_inner());
    if *last == view {
        return;
    }
    let Some(tray) = app.tray_by_id(TRAY_ID) else {
        return;
    };
    let _ = tray.set_tooltip(Some(format!("Sessionscope — {}", view.summary)));
    if let Ok(menu) = build_menu(app, &view) {
        let _ = tray.set_menu(Some(menu));
    }
    let icon = if view.waiting.is_empty() {
        app.default_window_icon().cloned()
    } else {
        Image::from_bytes(WAITING_ICON).ok()
    };
    let _ = tray.set_icon(icon);
    *last = view;
}

/// Bring the window forward with this session's detail open (tray menu, notification click).
pub fn focus_session(app: &AppHandle, key: &str) {
    show_main_window(app);
    let _ = app.emit("focus-session", key.to_string());
}

/// Show or hide the tray icon (the Settings checkbox).
pub fn set_visible(app: &AppHandle, visible: bool) {
    if let Some(tray) = app.tray_by_id(TRAY_ID) {
        if let Err(e) = tray.set_visible(visible) {
            eprintln!("sessionscope: could not change the tray icon: {e}");
        }
    }
}

/// Bring the window forward on Settings, where notifications and the icon are
/// switched off (tray menu, notification button).
pub fn open_settings(app: &AppHandle) {
    show_main_window(app);
    let _ = app.emit("menu-action", "settings".to_string());
}

pub fn show_main_window(app: &AppHandle) {
    if let Some(window) = app.get_webview_window("main") {
        let _ = window.show();
        let _ = window.unminimize();
        let _ = window.set_focus();
    }
}
