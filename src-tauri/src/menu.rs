//! The window's menu bar. Each item names an action the web view also knows (the same
//! ids as the command palette), so the menu only forwards a `menu-action` event.

use tauri::menu::{Menu, MenuItem, PredefinedMenuItem, Submenu};
use tauri::{AppHandle, Wry};

pub fn build(app: &AppHandle) -> tauri::Result<Menu<Wry>> {
    let item =
        |id: &str, label: &str, accel: Option<&str>| MenuItem::with_id(app, id, label, true, accel);
    let file = Submenu::with_items(
        app,
        "File",
        true,
        &[
            &item("export-csv", "Export sessions as CSV…", Some("CmdOrCtrl+E"))?,
            &item("export-json", "Export sessions as JSON…", None)?,
            &PredefinedMenuItem::separator(app)?,
            &item("quit", "Quit", Some("CmdOrCtrl+Q"))?,
        ],
    )?;
    let view = Submenu::with_items(
        app,
        "View",
        true,
        &[
            &item("sessions", "Sessions", Some("CmdOrCtrl+1"))?,
            &item("runs", "Runs", Some("CmdOrCtrl+2"))?,
            &item("settings", "Settings", Some("CmdOrCtrl+,"))?,
            &PredefinedMenuItem::separator(app)?,
            &item("search", "Search sessions", Some("CmdOrCtrl+F"))?,
            &item("palette", "Command palette", Some("CmdOrCtrl+Shift+P"))?,
        ],
    )?;
    let session = Submenu::with_items(
        app,
        "Session",
        true,
        &[
            &item("details", "Open details", None)?,
            &item("waiting", "Show sessions waiting for input", None)?,
            &item("active", "Show active sessions", None)?,
            &item("clear", "Clear filters", None)?,
        ],
    )?;
    Menu::with_items(app, &[&file, &view, &session])
}

pub fn on_event(app: &AppHandle, id: &str) {
    if id == "quit" {
        crate::quit::request(app);
    } else {
        crate::events::menu_action(app, id);
    }
}
