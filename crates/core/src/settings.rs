//! The user's settings: extra transcript roots, the record store, retention, kill
//! grace period, notifications, theme, start at login, what happens to runs on quit.
//!
//! Stored as `settings.json` in Sessionscope's data dir. A missing file means defaults;
//! an unreadable one is set aside as `settings.json.bad` (never silently lost) and
//! defaults are used, with the reason reported. Saving writes a temp file and renames
//! it over the old one, so a crash mid-save cannot leave half a file. Unknown keys
//! from a newer version are kept.

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};
use ts_rs::TS;

use crate::agents::HarnessRoot;
use crate::model::Harness;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize, TS)]
#[serde(rename_all = "kebab-case")]
pub enum Theme {
    #[default]
    System,
    Light,
    Dark,
}

/// Colours of the terminal panel of runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, TS)]
#[serde(rename_all = "kebab-case")]
pub enum TerminalScheme {
    /// The classic green on black.
    GreenOnBlack,
    /// Dark text on white.
    Light,
    SolarizedDark,
    /// Light text on a dark blue; also what an unknown scheme reads as.
    #[default]
    Default,
}

/// A scheme this version does not know (a newer one's) reads as the default, so an
/// unknown name never costs the user their other settings. Written by hand: a serde
/// attribute for it would be lost on ts-rs (it warns on every build).
impl<'de> Deserialize<'de> for TerminalScheme {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let value = serde_json::Value::deserialize(d)?;
        Ok(match value.as_str() {
            Some("green-on-black") => TerminalScheme::GreenOnBlack,
            Some("light") => TerminalScheme::Light,
            Some("solarized-dark") => TerminalScheme::SolarizedDark,
            _ => TerminalScheme::Default,
        })
    }
}

/// A transcript directory the user added for one harness.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
pub struct ExtraRoot {
    pub harness: Harness,
    pub path: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
#[serde(default)]
pub struct Settings {
    /// Directories watched in addition to each harness's default location.
    pub extra_roots: Vec<ExtraRoot>,
    /// The gptme-sessions record store directory (None: its own default rules).
    pub record_store_dir: Option<String>,
    /// Logs of finished runs older than this are deleted (0 keeps them forever).
    pub run_log_retention_days: u32,
    /// Seconds between the polite stop signal and SIGKILL.
    pub kill_grace_seconds: u32,
    pub notify_waiting: bool,
    pub notify_finished: bool,
    pub notify_failed: bool,
    pub theme: Theme,
    /// Colours of the runs' terminal panel.
    pub terminal_scheme: TerminalScheme,
    pub launch_at_login: bool,
    /// Show the icon in the system tray (its menu says how to hide it).
    pub show_tray_icon: bool,
    /// Stop the runs still alive when the app quits (otherwise they keep running).
    pub stop_runs_on_quit: bool,
    /// How much of each run's recent output is kept in memory for the terminal panel,
    /// in KiB (the full output is always in the run's log file).
    pub run_buffer_kib: u32,
    /// A local gptme-server whose sessions are listed beside the others.
    pub gptme_server: crate::model::GptmeServerSettings,
    /// Other machines reached over SSH (`user@host` or a name from `~/.ssh/config`):
    /// `--all-hosts` on the CLI.
    pub hosts: Vec<String>,
    /// Keys written by a newer version, kept on save.
    #[serde(flatten)]
    #[ts(skip)]
    pub unknown: serde_json::Map<String, serde_json::Value>,
}

impl Default for Settings {
    fn default() -> Self {
        Settings {
            extra_roots: Vec::new(),
            record_store_dir: None,
            run_log_retention_days: 30,
            kill_grace_seconds: 3,
            notify_waiting: true,
            notify_finished: true,
            notify_failed: true,
            theme: Theme::System,
            terminal_scheme: TerminalScheme::Default,
            launch_at_login: false,
            show_tray_icon: true,
            stop_runs_on_quit: false,
            run_buffer_kib: 1024,
            gptme_server: crate::model::GptmeServerSettings::default(),
            hosts: Vec::new(),
            unknown: serde_json::Map::new(),
        }
    }
}

impl Settings {
    /// The extra roots as watchable harness roots.
    pub fn roots(&self) -> Vec<HarnessRoot> {
        self.extra_roots
            .iter()
            .filter(|r| !r.path.trim().is_empty())
            .map(|r| HarnessRoot {
                harness: r.harness,
                path: PathBuf::from(r.path.trim()),
            })
            .collect()
    }

    /// The in-memory output buffer of each new run, in bytes (64 KiB to 256 MiB).
    pub fn run_buffer_bytes(&self) -> usize {
        self.run_buffer_kib.clamp(64, 256 * 1024) as usize * 1024
    }

    /// What quitting the app does to runs still alive.
    pub fn quit_policy(&self) -> crate::model::QuitPolicy {
        if self.stop_runs_on_quit {
            crate::model::QuitPolicy::Stop
        } else {
            crate::model::QuitPolicy::LeaveRunning
        }
    }

    pub fn kill_grace(&self) -> std::time::Duration {
        std::time::Duration::from_secs(self.kill_grace_seconds.clamp(0, 600) as u64)
    }
}

/// What the Settings view shows: the settings, and why defaults are in use if the
/// file was unreadable.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
pub struct SettingsSnapshot {
    pub settings: Settings,
    pub problem: Option<String>,
    pub data_dir: String,
}

/// Where the settings file lives.
pub fn settings_path(data_dir: &Path) -> PathBuf {
    data_dir.join("settings.json")
}

/// Load settings; the `String` says why defaults were used when the file was bad.
pub fn load(path: &Path) -> (Settings, Option<String>) {
    let text = match std::fs::read_to_string(path) {
        Ok(t) => t,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return (Settings::default(), None),
        Err(e) => {
            return (
                Settings::default(),
                Some(format!("could not read {}: {e}", path.display())),
            )
        }
    };
    match serde_json::from_str(&text) {
        Ok(s) => (s, None),
        Err(e) => {
            let bad = path.with_extension("json.bad");
            let _ = std::fs::rename(path, &bad);
            (
                Settings::default(),
                Some(format!(
                    "{} was not valid ({e}); it was kept as {} and defaults are used",
                    path.display(),
                    bad.display()
                )),
            )
        }
    }
}

/// What a reader that is not the app makes of the settings file (the CLI): like
/// [`load`], but a bad file is left where it is, for the app to set aside and report.
pub fn peek(path: &Path) -> (Settings, Option<String>) {
    match std::fs::read_to_string(path) {
        Ok(text) => match serde_json::from_str(&text) {
            Ok(s) => (s, None),
            Err(e) => (
                Settings::default(),
                Some(format!(
                    "{} is not valid ({e}); defaults are used",
                    path.display()
                )),
            ),
        },
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => (Settings::default(), None),
        Err(e) => (
            Settings::default(),
            Some(format!("could not read {}: {e}", path.display())),
        ),
    }
}

/// Every root the app and the CLI watch: each agent's own (its defaults, or its
/// variables; [`crate::paths::harness_roots`]), then the extra roots of `settings` not
/// already among them.
pub fn watched_roots(settings: &Settings) -> Vec<HarnessRoot> {
    let mut roots = crate::paths::harness_roots();
    for extra in settings.roots() {
        if !roots.contains(&extra) {
            roots.push(extra);
        }
    }
    roots
}

/// [`watched_roots`] with the settings file of the data directory, read with [`peek`]
/// (a problem with the file is written to stderr once, and the agents' roots are used).
pub fn watched_roots_now() -> Vec<HarnessRoot> {
    let (settings, problem) = peek(&settings_path(&crate::paths::data_dir()));
    if let Some(problem) = problem {
        eprintln!("sessionscope: settings: {problem}");
    }
    watched_roots(&settings)
}

/// Save atomically: a unique temp file in the same directory, then a rename.
pub fn save(path: &Path, settings: &Settings) -> std::io::Result<()> {
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir)?;
    }
    let tmp = path.with_extension(format!("json.{}.tmp", uuid::Uuid::new_v4().simple()));
    let body = serde_json::to_vec_pretty(settings).map_err(std::io::Error::other)?;
    std::fs::write(&tmp, body)?;
    std::fs::rename(&tmp, path).inspect_err(|_| {
        let _ = std::fs::remove_file(&tmp);
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn missing_file_gives_defaults_and_a_save_round_trips() {
        let dir = tempfile::tempdir().unwrap();
        let path = settings_path(dir.path());
        let (s, err) = load(&path);
        assert_eq!(s, Settings::default());
        assert!(err.is_none());
        let mut s = s;
        s.kill_grace_seconds = 7;
        s.theme = Theme::Dark;
        s.extra_roots.push(ExtraRoot {
            harness: Harness::Codex,
            path: "/mnt/codex".into(),
        });
        save(&path, &s).unwrap();
        assert_eq!(load(&path).0, s);
        assert_eq!(s.roots()[0].path, PathBuf::from("/mnt/codex"));
        assert_eq!(s.kill_grace().as_secs(), 7);
    }

    #[test]
    fn watched_roots_are_the_agents_then_new_extra_roots_once() {
        let defaults = crate::paths::harness_roots();
        let mut s = Settings::default();
        assert_eq!(watched_roots(&s), defaults);
        s.extra_roots.push(ExtraRoot {
            harness: Harness::Codex,
            path: " /mnt/codex ".into(),
        });
        s.extra_roots.push(ExtraRoot {
            harness: Harness::Codex,
            path: "  ".into(),
        });
        if let Some(first) = defaults.first() {
            s.extra_roots.push(ExtraRoot {
                harness: first.harness,
                path: first.path.display().to_string(),
            });
        }
        let roots = watched_roots(&s);
        assert_eq!(roots[..defaults.len()], defaults[..]);
        assert_eq!(roots.len(), defaults.len() + 1, "{roots:?}");
        assert_eq!(roots.last().unwrap().path, PathBuf::from("/mnt/codex"));
    }

    #[test]
    fn peek_reads_like_load_but_leaves_a_bad_file_alone() {
        let dir = tempfile::tempdir().unwrap();
        let path = settings_path(dir.path());
        assert_eq!(peek(&path), (Settings::default(), None));
        std::fs::write(&path, br#"{"kill_grace_seconds": 9}"#).unwrap();
        assert_eq!(peek(&path).0.kill_grace_seconds, 9);
        std::fs::write(&path, b"{not json").unwrap();
        let (s, problem) = peek(&path);
        assert_eq!(s, Settings::default());
        assert!(problem.unwrap().contains("not valid"));
        assert!(path.exists(), "the bad file stays for the app to report");
    }

    #[test]
    fn run_buffer_defaults_for_old_files_and_stays_in_bounds() {
        let dir = tempfile::tempdir().unwrap();
        let path = settings_path(dir.path());
        // A settings file from before the key existed.
        std::fs::write(&path, br#"{"kill_grace_seconds": 9}"#).unwrap();
        let (mut s, err) = load(&path);
        assert!(err.is_none());
        assert_eq!((s.kill_grace_seconds, s.run_buffer_kib), (9, 1024));
        assert_eq!(s.run_buffer_bytes(), 1 << 20);
        s.run_buffer_kib = 0;
        assert_eq!(s.run_buffer_bytes(), 64 * 1024, "never below 64 KiB");
        s.run_buffer_kib = u32::MAX;
        assert_eq!(s.run_buffer_bytes(), 256 << 20, "never above 256 MiB");
    }

    #[test]
    fn a_corrupt_file_is_set_aside_not_lost() {
        let dir = tempfile::tempdir().unwrap();
        let path = settings_path(dir.path());
        std::fs::write(&path, b"{ not json").unwrap();
        let (s, err) = load(&path);
        assert_eq!(s, Settings::default());
        assert!(err.unwrap().contains("settings.json.bad"));
        assert_eq!(
            std::fs::read(dir.path().join("settings.json.bad")).unwrap(),
            b"{ not json"
        );
    }

    #[test]
    fn the_terminal_scheme_round_trips_and_an_unknown_one_is_the_default() {
        let dir = tempfile::tempdir().unwrap();
        let path = settings_path(dir.path());
        let s = Settings {
            terminal_scheme: TerminalScheme::GreenOnBlack,
            ..Settings::default()
        };
        save(&path, &s).unwrap();
        let raw: serde_json::Value =
            serde_json::from_slice(&std::fs::read(&path).unwrap()).unwrap();
        assert_eq!(raw["terminal_scheme"], "green-on-black");
        assert_eq!(load(&path).0.terminal_scheme, TerminalScheme::GreenOnBlack);
        std::fs::write(
            &path,
            br#"{"terminal_scheme":"amber-from-the-future","kill_grace_seconds":8}"#,
        )
        .unwrap();
        let (s, err) = load(&path);
        assert!(err.is_none(), "{err:?}");
        assert_eq!(s.terminal_scheme, TerminalScheme::Default);
        assert_eq!(s.kill_grace_seconds, 8, "the other settings are kept");
    }

    #[test]
    fn unknown_keys_and_missing_keys_survive() {
        let dir = tempfile::tempdir().unwrap();
        let path = settings_path(dir.path());
        std::fs::write(&path, br#"{"theme":"light","from_the_future":{"x":1}}"#).unwrap();
        let (s, _) = load(&path);
        assert_eq!(s.theme, Theme::Light);
        assert_eq!(s.kill_grace_seconds, 3, "missing keys take defaults");
        save(&path, &s).unwrap();
        let raw: serde_json::Value =
            serde_json::from_slice(&std::fs::read(&path).unwrap()).unwrap();
        assert_eq!(raw["from_the_future"]["x"], 1);
    }
}
