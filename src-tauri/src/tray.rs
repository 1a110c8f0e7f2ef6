//! The system tray: an icon whose tooltip and menu show how many sessions are active
//! and how many runs are running, with "Show window" and "Quit".

use tauri::menu::{Menu, MenuItem, PredefinedMenuItem};
use tauri::tray::TrayIconBuilder;
use tauri::{AppHandle, Manager, Wry};

use crate::state::AppState;

const TRAY_ID: &str = "main";

/// The summary line's menu item, kept to update its text.
struct SummaryItem(MenuItem<Wry>);

pub fn create(app: &AppHandle) -> tauri::Result<()> {
    let summary = MenuItem::with_id(app, "summary", "Starting…", false, None::<&str>)?;
    let show = MenuItem::with_id(app, "show", "Show window", true, None::<&str>)?;
    let quit = MenuItem::with_id(app, "quit", "Quit", true, None::<&str>)?;
    let menu = Menu::with_items(
        app,
        &[&summary, &PredefinedMenuItem::separator(app)?, &show, &quit],
    )?;
    let mut tray = TrayIconBuilder::with_id(TRAY_ID)
        .tooltip("Sessionscope")
        .menu(&menu)
        .on_menu_event(|app, event| match event.id().as_ref() {
            "show" => show_main_window(app),
            "quit" => app.exit(0),
            _ => {}
        });
    if let Some(icon) = app.default_window_icon() {
        tray = tray.icon(icon.clone());
    }
    tray.build(app)?;
    app.manage(SummaryItem(summary));
    Ok(())
}

/// Recompute the summary from the current state and show it.
pub fn refresh(app: &AppHandle) {
    let Some(state) = app.try_state::<AppState>() else {
        return;
    };
    let counts = state.live.counts();
    let running = state
        .supervisor
        .runs()
        .iter()
        .filter(|r| r.status == sessionscope_core::model::RunStatus::Running)
        .count();
    let text = format!(
        "{} active sessions ({} waiting for input), {} running commands",
        counts.active, counts.waiting, running
    );
    if let Some(tray) = app.tray_by_id(TRAY_ID) {
        let _ = tray.set_tooltip(Some(format!("Sessionscope — {text}")));
    }
    if let Some(item) = app.try_state::<SummaryItem>() {
        let _ = item.0.set_text(&text);
    }
}

fn show_main_window(app: &AppHandle) {
    if let Some(window) = app.get_webview_window("main") {
        let _ = window.show();
        let _ = window.unminimize();
        let _ = window.set_focus();
    }
}
