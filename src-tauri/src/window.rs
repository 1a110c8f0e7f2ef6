//! The main window, built in code so its web view gets the guards the threat model
//! (README, "Threat model") asks for, which the configuration file cannot express:
//! it never leaves the app's own pages (a script setting `location` to a remote
//! address would carry whatever it read out in the URL), opens no other window and
//! downloads nothing. Everything else about the window is in `tauri.conf.json`
//! (`"create": false` there leaves its creation to [`open_main_window`]). Also the
//! ways to bring it forward, on a session or on Settings.

use tauri::webview::{DownloadEvent, NewWindowResponse};
use tauri::{App, AppHandle, Manager, Url, WebviewWindowBuilder};

pub const MAIN: &str = "main";

/// The app's own pages: `tauri://localhost` (Linux, macOS) or `http(s)://tauri.localhost`
/// (Windows). Nothing else is ever loaded in the window.
pub fn is_app_page(url: &Url) -> bool {
    match url.scheme() {
        "tauri" => url.host_str() == Some("localhost"),
        "http" | "https" => url.host_str() == Some("tauri.localhost"),
        _ => false,
    }
}

/// Create the main window from its configuration, with the guards.
pub fn open_main_window(app: &App) -> tauri::Result<()> {
    let config = app
        .config()
        .app
        .windows
        .iter()
        .find(|w| w.label == MAIN)
        .cloned()
        .ok_or(tauri::Error::WindowNotFound)?;
    WebviewWindowBuilder::from_config(app.handle(), &config)?
        .on_navigation(|url| {
            let allowed = is_app_page(url);
            if !allowed {
                eprintln!("sessionscope: the web view tried to leave the app for {url}; refused");
            }
            allowed
        })
        .on_new_window(|url, _| {
            eprintln!("sessionscope: the web view tried to open a window on {url}; refused");
            NewWindowResponse::Deny
        })
        .on_download(|_, event| {
            if let DownloadEvent::Requested { url, .. } = event {
                eprintln!("sessionscope: the web view tried to download {url}; refused");
            }
            false
        })
        .build()?;
    Ok(())
}

/// Bring the window forward (a second launch, the tray, a notification).
pub fn show_main_window(app: &AppHandle) {
    if let Some(window) = app.get_webview_window(MAIN) {
        let _ = window.show();
        let _ = window.unminimize();
        let _ = window.set_focus();
    }
}

/// Bring the window forward with this session's detail open (tray menu, notification
/// click).
pub fn focus_session(app: &AppHandle, key: &str) {
    show_main_window(app);
    crate::events::focus_session(app, key);
}

/// Bring the window forward on Settings, where notifications and the tray icon are
/// switched off (tray menu, notification button).
pub fn open_settings(app: &AppHandle) {
    show_main_window(app);
    crate::events::menu_action(app, "settings");
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_the_apps_own_pages_are_allowed() {
        for ok in [
            "tauri://localhost/",
            "tauri://localhost/index.html#records",
            "http://tauri.localhost/",
            "https://tauri.localhost/assets/x.js",
        ] {
            assert!(is_app_page(&Url::parse(ok).unwrap()), "{ok}");
        }
        for bad in [
            "https://example.com/?leak=secret",
            "http://127.0.0.1:5700/",
            "http://tauri.localhost.evil.com/",
            "tauri://evil/",
            "file:///etc/passwd",
            "data:text/html,<script>1</script>",
            "about:blank",
            "javascript:alert(1)",
        ] {
            assert!(!is_app_page(&Url::parse(bad).unwrap()), "{bad}");
        }
    }
}
