//! The system tray: its tooltip counts generating and waiting sessions and running
//! commands; its menu lists the sessions waiting for input (click one to open it),
//! then where to turn notifications and the icon itself off, Show window and Quit. The
//! icon changes while any session waits for input; Settings can hide it.

use std::time::Duration;

use sessionscope_core::model::{RunStatus, Status};
use tauri::image::Image;
use tauri::menu::{Menu, MenuItem, PredefinedMenuItem};
use tauri::tray::TrayIconBuilder;
use tauri::{AppHandle, Manager, Wry};

use crate::dispatch::Dirty;
use crate::state::AppState;
use crate::window::{focus_session, open_settings, show_main_window};

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

/// Tray updates go through the GTK main thread (and, on Linux, D-Bus): coalescing them
/// keeps a burst of session changes from stalling the window's frames.
const TRAY_PERIOD: Duration = Duration::from_millis(1000);

/// The icon with its first menu; `visible` is the Settings checkbox.
pub fn create(app: &AppHandle, visible: bool) -> tauri::Result<()> {
    let mut tray = TrayIconBuilder::with_id(TRAY_ID)
        .tooltip("Sessionscope")
        .menu(&build_menu(app, &TrayView::default())?)
        .on_menu_event(|app, event| match action_of(event.id().as_ref()) {
            Action::ShowWindow => show_main_window(app),
            Action::OpenSettings => open_settings(app),
            Action::Quit => crate::quit::request(app),
            Action::Focus(key) => focus_session(app, key),
            Action::Nothing => {}
        });
    if let Some(icon) = app.default_window_icon() {
        tray = tray.icon(icon.clone());
    }
    tray.build(app)?.set_visible(visible)
}

/// The tray's handler thread: redraws at most once per [`TRAY_PERIOD`] when the
/// dispatcher marked `dirty`. Call once, after the [`AppState`] is managed.
pub fn start_updater(app: &AppHandle, dirty: Dirty) -> std::io::Result<()> {
    let app = app.clone();
    std::thread::Builder::new()
        .name("tray-updater".into())
        .spawn(move || {
            let Some(state) = app.try_state::<AppState>() else {
                return;
            };
            let mut shown = TrayView::default();
            loop {
                if dirty.take() {
                    redraw(&app, &state, &mut shown);
                }
                std::thread::sleep(TRAY_PERIOD);
            }
        })
        .map(|_| ())
}

/// One line of the tray menu, before it becomes a native item: the menu's content is
/// decided here, apart from the toolkit, so that it can be tested.
#[derive(Debug, PartialEq)]
enum Entry {
    Item {
        id: String,
        label: String,
        enabled: bool,
    },
    Separator,
}

/// What a click on a menu item (by its id) asks for.
#[derive(Debug, PartialEq)]
enum Action<'a> {
    ShowWindow,
    OpenSettings,
    Quit,
    Focus(&'a str),
    Nothing,
}

fn action_of(id: &str) -> Action<'_> {
    match id {
        "show" => Action::ShowWindow,
        "settings" => Action::OpenSettings,
        "quit" => Action::Quit,
        id => match id.strip_prefix(FOCUS_PREFIX) {
            Some(key) if !key.is_empty() => Action::Focus(key),
            _ => Action::Nothing,
        },
    }
}

impl TrayView {
    /// The menu, top to bottom: the counts (not clickable), the waiting sessions
    /// under a heading when there are any, where to turn notifications and the icon
    /// off, Show window, Quit.
    fn entries(&self) -> Vec<Entry> {
        let item = |id: &str, label: &str, enabled: bool| Entry::Item {
            id: id.to_string(),
            label: label.to_string(),
            enabled,
        };
        let summary = if self.summary.is_empty() {
            "Starting…"
        } else {
            &self.summary
        };
        let mut entries = vec![item("summary", summary, false)];
        if !self.waiting.is_empty() {
            entries.push(Entry::Separator);
            entries.push(item("waiting-head", "Waiting for input:", false));
            for (key, label) in &self.waiting {
                entries.push(item(&format!("{FOCUS_PREFIX}{key}"), label, true));
            }
        }
        entries.push(Entry::Separator);
        entries.push(item(
            "settings",
            "Turn off notifications or this icon…",
            true,
        ));
        entries.push(item("show", "Show window", true));
        entries.push(item("quit", "Quit", true));
        entries
    }
}

/// A waiting session's line: its title (or the start of its id), cut to fit a menu,
/// and its agent.
fn waiting_label(title: Option<&str>, id: &str, agent: &str) -> String {
    let name: String = match title {
        Some(title) => title.chars().take(48).collect(),
        None => id.chars().take(8).collect(),
    };
    format!("{name} ({agent})")
}

fn build_menu(app: &AppHandle, view: &TrayView) -> tauri::Result<Menu<Wry>> {
    let menu = Menu::new(app)?;
    for entry in view.entries() {
        match entry {
            Entry::Separator => menu.append(&PredefinedMenuItem::separator(app)?)?,
            Entry::Item { id, label, enabled } => {
                menu.append(&MenuItem::with_id(app, id, label, enabled, None::<&str>)?)?
            }
        }
    }
    Ok(menu)
}

/// Recompute what the tray shows; touch the tray only when that changed.
fn redraw(app: &AppHandle, state: &AppState, last: &mut TrayView) {
    let (counts, waiting_sessions) = state
        .live()
        .counts_and_in(Status::WaitingForInput, MAX_LISTED);
    let running = state
        .supervisor
        .runs()
        .iter()
        .filter(|r| r.status == RunStatus::Running)
        .count();
    let waiting: Vec<(String, String)> = waiting_sessions
        .iter()
        .map(|s| {
            let label = waiting_label(s.title.as_deref(), &s.id, s.harness.as_str());
            (s.key.clone(), label)
        })
        .collect();
    let view = TrayView {
        summary: format!(
            "{} generating, {} running tool, {} waiting · {} running commands",
            counts.generating, counts.running_tool, counts.waiting, running
        ),
        waiting,
    };
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

/// Show or hide the tray icon (the Settings checkbox).
pub fn set_visible(app: &AppHandle, visible: bool) {
    if let Some(tray) = app.tray_by_id(TRAY_ID) {
        if let Err(e) = tray.set_visible(visible) {
            eprintln!("sessionscope: could not change the tray icon: {e}");
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn labels(view: &TrayView) -> Vec<String> {
        view.entries()
            .into_iter()
            .map(|e| match e {
                Entry::Separator => "---".to_string(),
                Entry::Item { label, enabled, .. } if !enabled => format!("({label})"),
                Entry::Item { label, .. } => label,
            })
            .collect()
    }

    #[test]
    fn the_menu_says_where_notifications_and_the_icon_are_turned_off() {
        let view = TrayView::default();
        let entries = view.entries();
        let turn_off = entries
            .iter()
            .find_map(|e| match e {
                Entry::Item { id, label, enabled } if label.starts_with("Turn off") => {
                    Some((id.clone(), *enabled))
                }
                _ => None,
            })
            .expect("a 'Turn off notifications or this icon…' item");
        assert_eq!(turn_off, ("settings".to_string(), true));
        assert_eq!(action_of(&turn_off.0), Action::OpenSettings);
        assert_eq!(
            labels(&view),
            [
                "(Starting…)",
                "---",
                "Turn off notifications or this icon…",
                "Show window",
                "Quit"
            ]
        );
    }

    #[test]
    fn waiting_sessions_are_listed_under_a_heading_and_open_their_session() {
        let view = TrayView {
            summary: "0 generating, 0 running tool, 1 waiting · 0 running commands".into(),
            waiting: vec![(
                "claude:abc".into(),
                waiting_label(None, "0123456789abcdef", "claude"),
            )],
        };
        assert_eq!(
            labels(&view),
            [
                "(0 generating, 0 running tool, 1 waiting · 0 running commands)",
                "---",
                "(Waiting for input:)",
                "01234567 (claude)",
                "---",
                "Turn off notifications or this icon…",
                "Show window",
                "Quit"
            ]
        );
        let focus_id = match &view.entries()[3] {
            Entry::Item { id, .. } => id.clone(),
            other => panic!("expected the session's item, got {other:?}"),
        };
        assert_eq!(action_of(&focus_id), Action::Focus("claude:abc"));
    }

    #[test]
    fn menu_ids_map_to_their_actions_and_unknown_ids_do_nothing() {
        assert_eq!(action_of("show"), Action::ShowWindow);
        assert_eq!(action_of("quit"), Action::Quit);
        assert_eq!(action_of("summary"), Action::Nothing);
        assert_eq!(action_of("waiting-head"), Action::Nothing);
        assert_eq!(action_of(FOCUS_PREFIX), Action::Nothing);
    }

    #[test]
    fn a_long_title_is_cut_to_fit_a_menu_on_a_character_boundary() {
        let title = "é".repeat(100);
        let label = waiting_label(Some(&title), "id", "gptme");
        assert_eq!(label, format!("{} (gptme)", "é".repeat(48)));
    }
}
