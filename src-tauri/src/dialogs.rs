//! Native confirmation dialogs, shown from Rust so the web view can never act without
//! the user's answer. Blocking GTK/Win32/Cocoa dialogs run off the async runtime.

use tauri::{AppHandle, Manager};
use tauri_plugin_dialog::{DialogExt, MessageDialogButtons, MessageDialogKind};

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
    if let Some(window) = app.get_webview_window("main") {
        dialog = dialog.parent(&window);
    }
    tauri::async_runtime::spawn_blocking(move || dialog.blocking_show())
        .await
        .map_err(|e| e.to_string())
}
