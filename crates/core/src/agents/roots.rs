//! The agents' transcript roots on every OS: each agent's [`AgentPaths`] (its
//! [`crate::agents::Agent::paths`]) lists the variables that move them (the agent's
//! own, and Sessionscope's older names for them), then its default locations, as the
//! agents themselves compute them (read from their installed code): most use the home
//! directory on every OS (`%USERPROFILE%` on Windows); gptme uses Python's platformdirs
//! (`~/Library/Application Support` on macOS, `%LOCALAPPDATA%` on Windows); opencode
//! uses XDG directories on every OS. [`roots_for`] evaluates them for any OS, so each
//! OS's paths are tested here.
//!
//! Nothing here creates or writes anything; it only computes paths.

use std::path::{Path, PathBuf};

use super::{HarnessRoot, AGENTS};
use crate::model::{Harness, SearchedRoot};

/// The variable that moves an agent's files, as the first-run screen and `ps` name it:
/// the first one of its [`AgentPaths`] (the one that wins when several are set).
pub fn root_env_var(harness: Harness) -> &'static str {
    super::agent(harness)
        .paths()
        .vars
        .first()
        .map(|v| v.name)
        .unwrap_or("")
}

/// What the first-run screen and `ps` say about where sessions were looked for: each
/// root, whether it exists, and whether it came from the agent's default (or its
/// variable) or from Settings.
pub fn searched_roots(roots: &[HarnessRoot]) -> Vec<SearchedRoot> {
    let defaults = harness_roots();
    roots
        .iter()
        .map(|r| SearchedRoot {
            harness: r.harness,
            path: r.path.display().to_string(),
            exists: r.path.is_dir(),
            from_settings: !defaults.contains(r),
            env_var: root_env_var(r.harness).to_string(),
        })
        .collect()
}

/// The operating systems whose agent paths differ.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Os {
    Linux,
    MacOs,
    Windows,
}

impl Os {
    /// The OS this build runs on (the BSDs follow Linux's rules).
    pub const fn current() -> Os {
        if cfg!(windows) {
            Os::Windows
        } else if cfg!(target_os = "macos") {
            Os::MacOs
        } else {
            Os::Linux
        }
    }
}

/// Where a default location starts.
#[derive(Debug, Clone, Copy)]
pub enum Base {
    /// The home directory (`%USERPROFILE%` on Windows).
    Home,
    /// `$XDG_CONFIG_HOME`, else `~/.config`, on every OS (as ccusage reads Claude Code).
    XdgConfig,
    /// `$XDG_DATA_HOME`, else `~/.local/share`, on every OS (as the npm `xdg-basedir`
    /// package, which opencode uses, computes it).
    XdgData,
    /// Python platformdirs' `user_data_dir(app)`: the XDG data directory on Linux,
    /// `~/Library/Application Support/<app>` on macOS, `%LOCALAPPDATA%\<app>\<app>` on
    /// Windows (the app doubles as its author there). Includes the app's folder.
    PlatformDirsData(&'static str),
}

/// A variable that moves an agent's roots.
#[derive(Debug, Clone, Copy)]
pub struct PathVar {
    pub name: &'static str,
    /// A comma-separated list of directories is accepted.
    pub list: bool,
    /// Roots below each directory it names (`&[]`: the directory itself).
    pub roots: &'static [&'static [&'static str]],
}

/// Where one agent's transcripts live: the first variable set wins; otherwise every
/// default location is a root (whichever exists is read). Order of `vars` is precedence.
#[derive(Debug, Clone, Copy)]
pub struct AgentPaths {
    pub vars: &'static [PathVar],
    pub defaults: &'static [(Base, &'static [&'static str])],
}

pub(crate) const fn var(
    name: &'static str,
    list: bool,
    roots: &'static [&'static [&'static str]],
) -> PathVar {
    PathVar { name, list, roots }
}

fn join(base: PathBuf, parts: &[&str]) -> PathBuf {
    parts.iter().fold(base, |p, part| p.join(part))
}

/// A variable's value, when set to something other than blanks.
fn set(env: &dyn Fn(&str) -> Option<String>, name: &str) -> Option<String> {
    env(name).filter(|v| !v.trim().is_empty())
}

fn base_dir(base: Base, os: Os, env: &dyn Fn(&str) -> Option<String>, home: &Path) -> PathBuf {
    let xdg = |var: &str, fallback: &[&str]| {
        set(env, var)
            .map(|v| PathBuf::from(v.trim()))
            .unwrap_or_else(|| join(home.to_path_buf(), fallback))
    };
    match base {
        Base::Home => home.to_path_buf(),
        Base::XdgConfig => xdg("XDG_CONFIG_HOME", &[".config"]),
        Base::XdgData => xdg("XDG_DATA_HOME", &[".local", "share"]),
        Base::PlatformDirsData(app) => match os {
            Os::Linux => xdg("XDG_DATA_HOME", &[".local", "share"]).join(app),
            Os::MacOs => join(home.to_path_buf(), &["Library", "Application Support", app]),
            Os::Windows => join(xdg("LOCALAPPDATA", &["AppData", "Local"]), &[app, app]),
        },
    }
}

/// The transcript roots of every agent on `os`, with `env` as the environment and
/// `home` as the home directory (no defaults without one).
pub fn roots_for(
    os: Os,
    env: &dyn Fn(&str) -> Option<String>,
    home: Option<&Path>,
) -> Vec<HarnessRoot> {
    let mut out = Vec::new();
    for agent in AGENTS {
        let row = agent.paths();
        let mut paths: Vec<PathBuf> = Vec::new();
        if let Some((v, value)) = row
            .vars
            .iter()
            .find_map(|v| set(env, v.name).map(|x| (v, x)))
        {
            let dirs: Vec<&str> = if v.list {
                value
                    .split(',')
                    .map(str::trim)
                    .filter(|d| !d.is_empty())
                    .collect()
            } else {
                vec![value.trim()]
            };
            for dir in dirs {
                paths.extend(v.roots.iter().map(|r| join(PathBuf::from(dir), r)));
            }
        } else if let Some(home) = home {
            for (base, parts) in row.defaults {
                let path = join(base_dir(*base, os, env, home), parts);
                if !paths.contains(&path) {
                    paths.push(path);
                }
            }
        }
        out.extend(paths.into_iter().map(|path| HarnessRoot {
            harness: agent.harness(),
            path,
        }));
    }
    out
}

/// Every transcript root Sessionscope watches in this environment (see [`AgentPaths`]).
pub fn harness_roots() -> Vec<HarnessRoot> {
    let home = directories::BaseDirs::new().map(|b| b.home_dir().to_path_buf());
    roots_for(
        Os::current(),
        &|name| std::env::var(name).ok(),
        home.as_deref(),
    )
}

#[cfg(test)]
mod table_tests {
    use super::*;
    use std::collections::HashMap;

    fn roots(os: Os, vars: &[(&str, &str)], home: &str) -> Vec<(Harness, PathBuf)> {
        let vars: HashMap<String, String> = vars
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        roots_for(os, &|n| vars.get(n).cloned(), Some(Path::new(home)))
            .into_iter()
            .map(|r| (r.harness, r.path))
            .collect()
    }

    fn of(all: &[(Harness, PathBuf)], h: Harness) -> Vec<PathBuf> {
        all.iter()
            .filter(|(x, _)| *x == h)
            .map(|(_, p)| p.clone())
            .collect()
    }

    fn p(base: &str, parts: &[&str]) -> PathBuf {
        join(PathBuf::from(base), parts)
    }

    #[test]
    fn linux_defaults() {
        let r = roots(Os::Linux, &[], "/home/u");
        let h = "/home/u";
        assert_eq!(
            of(&r, Harness::ClaudeCode),
            [
                p(h, &[".config", "claude", "projects"]),
                p(h, &[".claude", "projects"])
            ]
        );
        assert_eq!(
            of(&r, Harness::Codex),
            [
                p(h, &[".codex", "sessions"]),
                p(h, &[".codex", "archived_sessions"])
            ]
        );
        // platformdirs' data dir is the old ~/.local/share path on Linux: listed once.
        assert_eq!(
            of(&r, Harness::Gptme),
            [p(h, &[".local", "share", "gptme", "logs"])]
        );
        assert_eq!(of(&r, Harness::Gemini), [p(h, &[".gemini", "tmp"])]);
        assert_eq!(
            of(&r, Harness::Opencode),
            [p(h, &[".local", "share", "opencode"])]
        );
        assert_eq!(
            of(&r, Harness::Copilot),
            [p(h, &[".copilot", "session-state"])]
        );
    }

    #[test]
    fn macos_defaults() {
        let h = "/Users/u";
        let r = roots(Os::MacOs, &[], h);
        assert_eq!(
            of(&r, Harness::ClaudeCode),
            [
                p(h, &[".config", "claude", "projects"]),
                p(h, &[".claude", "projects"])
            ]
        );
        assert_eq!(
            of(&r, Harness::Gptme),
            [
                p(h, &[".local", "share", "gptme", "logs"]),
                p(h, &["Library", "Application Support", "gptme", "logs"])
            ]
        );
        // opencode keeps XDG directories on macOS too.
        assert_eq!(
            of(&r, Harness::Opencode),
            [p(h, &[".local", "share", "opencode"])]
        );
        assert_eq!(of(&r, Harness::Gemini), [p(h, &[".gemini", "tmp"])]);
        assert_eq!(
            of(&r, Harness::Copilot),
            [p(h, &[".copilot", "session-state"])]
        );
        assert_eq!(of(&r, Harness::Codex)[0], p(h, &[".codex", "sessions"]));
    }

    #[test]
    fn windows_defaults_use_the_profile_and_local_app_data() {
        let h = r"C:\Users\u";
        let local = r"C:\Users\u\AppData\Local";
        let r = roots(Os::Windows, &[("LOCALAPPDATA", local)], h);
        assert_eq!(
            of(&r, Harness::ClaudeCode)[1],
            p(h, &[".claude", "projects"])
        );
        assert_eq!(of(&r, Harness::Codex)[0], p(h, &[".codex", "sessions"]));
        assert_eq!(
            of(&r, Harness::Gptme),
            [
                p(h, &[".local", "share", "gptme", "logs"]),
                p(local, &["gptme", "gptme", "logs"])
            ]
        );
        assert_eq!(of(&r, Harness::Gemini), [p(h, &[".gemini", "tmp"])]);
        assert_eq!(
            of(&r, Harness::Opencode),
            [p(h, &[".local", "share", "opencode"])]
        );
        assert_eq!(
            of(&r, Harness::Copilot),
            [p(h, &[".copilot", "session-state"])]
        );
        // Without LOCALAPPDATA, its usual place under the profile.
        let r = roots(Os::Windows, &[], h);
        assert_eq!(
            of(&r, Harness::Gptme)[1],
            p(h, &["AppData", "Local", "gptme", "gptme", "logs"])
        );
    }

    #[test]
    fn variables_move_roots_on_every_os_first_set_wins() {
        for os in [Os::Linux, Os::MacOs, Os::Windows] {
            let r = roots(
                os,
                &[
                    ("CLAUDE_CONFIG_DIR", "/a, /b"),
                    ("CODEX_HOME", "/c"),
                    ("GPTME_LOGS_HOME", "/g"),
                    ("GPTME_LOGS_DIR", "/ignored"),
                    ("GEMINI_CLI_HOME", "/gh"),
                    ("XDG_DATA_HOME", "/xd"),
                    ("COPILOT_HOME", "/ch"),
                ],
                "/home/u",
            );
            assert_eq!(
                of(&r, Harness::ClaudeCode),
                [p("/a", &["projects"]), p("/b", &["projects"])]
            );
            assert_eq!(
                of(&r, Harness::Codex),
                [p("/c", &["sessions"]), p("/c", &["archived_sessions"])]
            );
            assert_eq!(of(&r, Harness::Gptme), [PathBuf::from("/g")]);
            assert_eq!(of(&r, Harness::Gemini), [p("/gh", &[".gemini", "tmp"])]);
            assert_eq!(of(&r, Harness::Opencode), [p("/xd", &["opencode"])]);
            assert_eq!(of(&r, Harness::Copilot), [p("/ch", &["session-state"])]);
        }
        // Sessionscope's own names, and XDG for gptme; blank values count as unset.
        let r = roots(
            Os::Linux,
            &[
                ("GPTME_LOGS_HOME", "  "),
                ("XDG_DATA_HOME", "/xd"),
                ("GEMINI_DATA_DIR", "/g1,/g2"),
                ("OPENCODE_DATA_DIR", "/o"),
                ("COPILOT_STATE_DIR", "/s"),
                ("XDG_CONFIG_HOME", "/xc"),
            ],
            "/home/u",
        );
        assert_eq!(of(&r, Harness::Gptme), [p("/xd", &["gptme", "logs"])]);
        assert_eq!(
            of(&r, Harness::Gemini),
            [PathBuf::from("/g1"), PathBuf::from("/g2")]
        );
        assert_eq!(of(&r, Harness::Opencode), [PathBuf::from("/o")]);
        assert_eq!(of(&r, Harness::Copilot), [PathBuf::from("/s")]);
        assert_eq!(
            of(&r, Harness::ClaudeCode)[0],
            p("/xc", &["claude", "projects"])
        );
    }

    #[test]
    fn without_a_home_only_variables_give_roots() {
        let r = roots_for(
            Os::Linux,
            &|n| (n == "CODEX_HOME").then(|| "/c".to_string()),
            None,
        );
        assert!(r.iter().all(|x| x.harness == Harness::Codex));
        assert_eq!(r.len(), 2);
    }

    /// The table is what this build uses: its own OS, its own environment.
    #[test]
    fn harness_roots_evaluates_the_table_for_this_os() {
        let home = directories::BaseDirs::new().map(|b| b.home_dir().to_path_buf());
        let expected = roots_for(Os::current(), &|n| std::env::var(n).ok(), home.as_deref());
        assert_eq!(harness_roots(), expected);
        #[cfg(windows)]
        assert_eq!(Os::current(), Os::Windows);
        #[cfg(target_os = "linux")]
        assert_eq!(Os::current(), Os::Linux);
    }
}
