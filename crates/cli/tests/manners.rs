//! What a person expects of any command-line tool, checked on the real binary:
//! `--version` names the commit, completions for four shells, man pages, the
//! documented exit statuses, JSON where a table is printed, and colour only on a
//! terminal and never with NO_COLOR.

use std::path::Path;
use std::process::{Command, Output, Stdio};

/// The CLI with every agent root and its own data in `dir`: nothing of this machine
/// is read or written.
fn sessionscope(dir: &Path) -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_sessionscope"));
    cmd.env("SESSIONSCOPE_DATA_DIR", dir.join("data"))
        .env("HOME", dir.join("home"))
        .env("XDG_DATA_HOME", dir.join("home/data"))
        .env("XDG_CONFIG_HOME", dir.join("home/config"))
        .env("CLAUDE_CONFIG_DIR", dir.join("agents/claude"))
        .env("CODEX_HOME", dir.join("agents/codex"))
        .env("GPTME_LOGS_DIR", dir.join("agents/gptme"))
        .env("GEMINI_DATA_DIR", dir.join("agents/gemini"))
        .env("OPENCODE_DATA_DIR", dir.join("agents/opencode"))
        .env("COPILOT_STATE_DIR", dir.join("agents/copilot"))
        .env("GPTME_SESSIONS_DIR", dir.join("records"))
        .env_remove("NO_COLOR")
        .env_remove("CLICOLOR_FORCE")
        .stdin(Stdio::null());
    cmd
}

fn run(cmd: &mut Command) -> Output {
    cmd.output().expect("the binary runs")
}

fn stdout(out: &Output) -> String {
    String::from_utf8_lossy(&out.stdout).into_owned()
}

#[test]
fn version_names_the_version_and_the_commit() {
    let dir = tempfile::tempdir().unwrap();
    let out = run(sessionscope(dir.path()).arg("--version"));
    assert!(out.status.success());
    let text = stdout(&out);
    let rest = text
        .trim_end()
        .strip_prefix(concat!(
            "sessionscope ",
            env!("CARGO_PKG_VERSION"),
            " (commit "
        ))
        .unwrap_or_else(|| panic!("{text:?}"));
    let commit = rest.strip_suffix(')').unwrap();
    // Built in a git checkout (as here and in CI): the short hash of HEAD.
    let head = Command::new("git")
        .args(["rev-parse", "--short=10", "HEAD"])
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .output()
        .unwrap();
    assert_eq!(commit, String::from_utf8_lossy(&head.stdout).trim());
}

#[test]
fn completions_for_each_shell_name_every_subcommand() {
    let dir = tempfile::tempdir().unwrap();
    for shell in ["bash", "zsh", "fish", "powershell"] {
        let out = run(sessionscope(dir.path()).args(["completions", shell]));
        assert!(out.status.success(), "{shell}: {out:?}");
        let script = stdout(&out);
        for sub in ["ps", "transcript", "records", "post-session", "usage"] {
            assert!(script.contains(sub), "{shell} completion lacks {sub}");
        }
    }
    // The bash script is valid bash, and completes the subcommands once sourced.
    let out = run(sessionscope(dir.path()).args(["completions", "bash"]));
    let file = dir.path().join("sessionscope.bash");
    std::fs::write(&file, &out.stdout).unwrap();
    let check = Command::new("bash")
        .arg("-c")
        .arg(format!(
            "source {} && COMP_WORDS=(sessionscope tr) COMP_CWORD=1 COMP_LINE='sessionscope tr' \
             COMP_POINT=15 && _sessionscope sessionscope tr sessionscope && echo \"${{COMPREPLY[@]}}\"",
            file.display()
        ))
        .output()
        .unwrap();
    assert!(check.status.success(), "{check:?}");
    assert_eq!(String::from_utf8_lossy(&check.stdout).trim(), "transcript");
}

#[test]
fn usage_errors_exit_2_and_errors_exit_1() {
    let dir = tempfile::tempdir().unwrap();
    let unknown_flag = run(sessionscope(dir.path()).args(["ps", "--no-such-flag"]));
    assert_eq!(unknown_flag.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&unknown_flag.stderr).contains("Usage:"));
    let bad_shell = run(sessionscope(dir.path()).args(["completions", "tcsh"]));
    assert_eq!(bad_shell.status.code(), Some(2));
    let missing = run(sessionscope(dir.path()).args(["transcript", "nosuchsession"]));
    assert_eq!(missing.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&missing.stderr).starts_with("sessionscope: "));
}

#[test]
fn man_pages_are_written_for_every_subcommand() {
    let dir = tempfile::tempdir().unwrap();
    let man = dir.path().join("man1");
    let out = run(sessionscope(dir.path()).args(["man", "--dir"]).arg(&man));
    assert!(out.status.success(), "{out:?}");
    for page in [
        "sessionscope.1",
        "sessionscope-ps.1",
        "sessionscope-kill.1",
        "sessionscope-records.1",
        "sessionscope-records-post-session.1",
        "sessionscope-completions.1",
    ] {
        assert!(man.join(page).is_file(), "{page} missing");
    }
    assert!(
        !man.join("sessionscope-man.1").exists(),
        "the hidden command has no page"
    );
    let top = std::fs::read_to_string(man.join("sessionscope.1")).unwrap();
    assert!(
        top.starts_with(".ie") || top.contains(".TH sessionscope 1"),
        "{top}"
    );
    assert!(top.contains("Exit status"), "{top}");
    let kill = std::fs::read_to_string(man.join("sessionscope-kill.1")).unwrap();
    assert!(kill.contains("Examples"), "{kill}");
}

#[test]
fn json_is_offered_and_parses_on_a_machine_without_agents() {
    let dir = tempfile::tempdir().unwrap();
    for args in [
        &["ps", "--json"][..],
        &["sessions", "--json"],
        &["usage", "--json"],
        &["runs", "--json"],
        &["records", "stats", "--json"],
    ] {
        let out = run(sessionscope(dir.path()).args(args));
        assert!(out.status.success(), "{args:?}: {out:?}");
        serde_json::from_slice::<serde_json::Value>(&out.stdout)
            .unwrap_or_else(|e| panic!("{args:?} printed no JSON ({e}): {}", stdout(&out)));
    }
}

/// Through `script(1)`, a Unix program: the terminal cases are Unix's.
#[cfg(unix)]
fn on_a_terminal(dir: &Path, args: &str, no_color: bool) -> String {
    let bin = env!("CARGO_BIN_EXE_sessionscope");
    let cmd = sessionscope(dir);
    let mut script = Command::new("script");
    script
        .args(["-qec", &format!("{bin} {args}"), "/dev/null"])
        .envs(cmd.get_envs().filter_map(|(k, v)| Some((k, v?))))
        .env_remove("NO_COLOR")
        .env("TERM", "xterm-256color")
        .stdin(Stdio::null());
    if no_color {
        script.env("NO_COLOR", "1");
    }
    stdout(&script.output().expect("script(1) runs"))
}

#[cfg(unix)]
#[test]
fn colour_only_on_a_terminal_and_never_with_no_color() {
    let dir = tempfile::tempdir().unwrap();
    const ESC: char = '\u{1b}';
    let piped = run(sessionscope(dir.path()).arg("--help"));
    assert!(!stdout(&piped).contains(ESC), "no colour into a pipe");
    let tty = on_a_terminal(dir.path(), "--help", false);
    assert!(tty.contains("Usage:"), "{tty}");
    assert!(tty.contains(ESC), "colour on a terminal: {tty:?}");
    let no_color = on_a_terminal(dir.path(), "--help", true);
    assert!(no_color.contains("Usage:"), "{no_color}");
    assert!(!no_color.contains(ESC), "NO_COLOR: {no_color:?}");
    // Tables are plain text even on a terminal.
    let ps = on_a_terminal(dir.path(), "ps --all", false);
    assert!(ps.contains("sessions:"), "{ps}");
    assert!(!ps.contains(ESC), "{ps:?}");
}

#[cfg(unix)]
#[test]
fn a_reader_that_leaves_early_ends_the_command_quietly() {
    use std::os::unix::process::ExitStatusExt;
    let dir = tempfile::tempdir().unwrap();
    for args in [&["completions", "bash"][..], &["ps", "--all", "--json"]] {
        // The reading end is closed before the command writes anything.
        let (reader, writer) = std::io::pipe().unwrap();
        drop(reader);
        let out = sessionscope(dir.path())
            .args(args)
            .stdout(writer)
            .stderr(Stdio::piped())
            .output()
            .unwrap();
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(!stderr.contains("panicked"), "{args:?}: {stderr}");
        assert!(
            out.status.success() || out.status.signal() == Some(libc_sigpipe()),
            "{args:?} ended {:?}: {stderr}",
            out.status
        );
    }
}

/// SIGPIPE's number (13 on Linux and macOS).
#[cfg(unix)]
fn libc_sigpipe() -> i32 {
    13
}
