//! Native confirmation dialogs, shown from Rust so the web view can never act without
//! the user's answer. Blocking GTK/Win32/Cocoa dialogs run off the async runtime, one
//! at a time: a script asking twice cannot slip a second question under the user's
//! cursor while they read the first.

use std::sync::Mutex;

use tauri::{AppHandle, Manager};
use tauri_plugin_dialog::{DialogExt, MessageDialogButtons, MessageDialogKind};

/// Held while a question is on screen.
static ONE_AT_A_TIME: Mutex<()> = Mutex::new(());

/// Ask a yes/no question with a warning icon; `true` only on the `yes` button.
pub async fn confirm(
    app: &AppHandle,
    title: &str,
    text: String,
    yes: &str,
) -> Result<bool, String> {
    let mut dialog = app
        .dialog()
        .message(text)
        .title(title)
        .kind(MessageDialogKind::Warning)
        .buttons(MessageDialogButtons::OkCancelCustom(
            yes.into(),
            "Cancel".into(),
        ));
    if let Some(window) = app.get_webview_window(crate::window::MAIN) {
        dialog = dialog.parent(&window);
    }
    tauri::async_runtime::spawn_blocking(move || {
        let _shown = ONE_AT_A_TIME.lock().unwrap_or_else(|e| e.into_inner());
        dialog.blocking_show()
    })
    .await
    .map_err(|e| e.to_string())
}
