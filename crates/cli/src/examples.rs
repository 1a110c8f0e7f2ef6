//! The examples printed under every subcommand's `--help` (and so in the man pages
//! and the README's CLI reference). They live in one table, keyed by the command's
//! path, rather than on each argument struct, so that a test can check that no
//! subcommand is without one and the subcommand modules stay about behaviour.

use clap::Command;

/// `(path below "sessionscope", examples)`: one command per line, `#` says why.
const EXAMPLES: &[(&[&str], &str)] = &[
    (
        &[],
        "sessionscope ps                      # live agent sessions and what they do\n\
         sessionscope usage --by day --since 7d\n\
         sessionscope completions bash > ~/.local/share/bash-completion/completions/sessionscope",
    ),
    (
        &["ps"],
        "sessionscope ps                      # sessions that are not ended\n\
         sessionscope ps --all --json | jq '.sessions[] | select(.status == \"waiting_for_input\")'\n\
         sessionscope ps --host devbox --host me@build-01   # other machines over ssh\n\
         sessionscope ps --all-hosts          # this machine and every host in Settings",
    ),
    (
        &["run"],
        "sessionscope run --name tests -- make test\n\
         sessionscope run --cwd ~/src/app -e RUST_LOG=debug -- cargo run\n\
         sessionscope run -- 'make 2>&1 | tee build.log'   # one word: run by the shell",
    ),
    (
        &["runs"],
        "sessionscope runs\n\
         sessionscope runs --log 3f2a --bytes 4096   # the end of one run's output",
    ),
    (
        &["kill"],
        "sessionscope kill 3f2a               # asks first on a terminal\n\
         sessionscope kill 3f2a 9bc1 --yes --grace 10\n\
         sessionscope kill --host devbox 5d1c # asks here, naming the host",
    ),
    (
        &["transcript"],
        "sessionscope transcript 5d1c --last 20\n\
         sessionscope transcript 5d1c --json --full > session.json",
    ),
    (
        &["remote"],
        "sessionscope remote install devbox   # copy this binary there (same OS and arch)\n\
         sessionscope remote status --all-hosts",
    ),
    (
        &["remote", "install"],
        "sessionscope remote install devbox\n\
         sessionscope remote install me@build-01",
    ),
    (
        &["remote", "status"],
        "sessionscope remote status           # every host in Settings\n\
         sessionscope remote status --host devbox --json",
    ),
    (
        &["remote", "watch"],
        "sessionscope remote watch --host devbox\n\
         sessionscope remote watch --all-hosts --seconds 60   # bytes per host after a minute",
    ),
    (
        &["serve"],
        "sessionscope serve --stdio           # what `ssh HOST sessionscope serve --stdio` runs\n\
         ssh devbox sessionscope serve --stdio | head -c 300",
    ),
    (
        &["records"],
        "sessionscope records                 # the last 30 days at a glance\n\
         alias gptme-sessions='sessionscope records'",
    ),
    (
        &["records", "stats"],
        "sessionscope records stats --since 7d --harness claude-code\n\
         sessionscope records stats --since all --json\n\
         sessionscope records stats --all-hosts     # every machine's records as one store",
    ),
    (
        &["records", "query"],
        "sessionscope records query --outcome failed --since 2w\n\
         sessionscope records query --model opus --stats --json\n\
         sessionscope records query --host devbox --since 7d   # that machine's records",
    ),
    (
        &["records", "show"],
        "sessionscope records show 5d1c\n\
         sessionscope records show 5d1c --json",
    ),
    (
        &["records", "runs"],
        "sessionscope records runs --since 30d --json",
    ),
    (
        &["records", "discover"],
        "sessionscope records discover --unsynced\n\
         sessionscope records discover --harness codex --signals --json",
    ),
    (
        &["records", "sync"],
        "sessionscope records sync --dry-run\n\
         sessionscope records sync --signals --since 30d",
    ),
    (
        &["records", "annotate"],
        "sessionscope records annotate 5d1c --outcome productive --add-deliverable 1a2b3c4",
    ),
    (
        &["records", "judge"],
        "sessionscope records judge --last 5 --dry-run\n\
         sessionscope records judge --api openai --base-url http://127.0.0.1:8080/v1 --update-store",
    ),
    (
        &["records", "post-session"],
        "sessionscope records post-session --harness claude-code --model opus \\\n    \
         --trajectory ~/.claude/projects/-src-app/5d1c.jsonl --exit-code 0 --duration 420",
    ),
    (
        &["records", "append"],
        "sessionscope records append --harness gptme --outcome noop\n\
         sessionscope records append --from-jsonl old-records.jsonl",
    ),
    (
        &["sessions"],
        "sessionscope sessions --since 7d\n\
         sessionscope sessions --harness codex --json",
    ),
    (
        &["usage"],
        "sessionscope usage                   # tokens and cost per day\n\
         sessionscope usage --by model --since 2026-11-01 --json",
    ),
    (
        &["search"],
        "sessionscope search migration failed\n\
         sessionscope search '\"permission denied\"' --harness claude-code --since 7d --json",
    ),
    (
        &["completions"],
        "sessionscope completions bash > ~/.local/share/bash-completion/completions/sessionscope\n\
         sessionscope completions zsh > \"${fpath[1]}/_sessionscope\"\n\
         sessionscope completions fish > ~/.config/fish/completions/sessionscope.fish\n\
         sessionscope completions powershell >> $PROFILE",
    ),
    (
        &["records", "dedup"],
        "sessionscope records dedup --dry-run\n\
         sessionscope records dedup --min-overlap 0.8 --json",
    ),
    (
        &["records", "repair-grades"],
        "sessionscope records repair-grades --dry-run",
    ),
    (
        &["records", "cost"],
        "sessionscope records cost --days 7 --daily\n\
         sessionscope records cost --by-model --json\n\
         sessionscope records cost --all-hosts --days 30   # every machine's sessions",
    ),
    (
        &["records", "signals"],
        "sessionscope records signals ~/.claude/projects/-src-app/5d1c.jsonl\n\
         sessionscope records signals ~/.local/share/gptme/logs/2026-11-20-x/conversation.jsonl --grade",
    ),
    (
        &["records", "transcript"],
        "sessionscope records transcript ~/.claude/projects/-src-app/5d1c.jsonl --messages-only",
    ),
    (
        &["records", "replay"],
        "sessionscope records replay 5d1c --tail 40",
    ),
    (
        &["records", "search"],
        "sessionscope records search 'flaky test' --days 14 --json",
    ),
    (
        &["records", "classify"],
        "sessionscope records classify --last 10 --no-llm --json",
    ),
    (
        &["records", "classify-stats"],
        "sessionscope records classify-stats --last 50",
    ),
    (
        &["records", "blame"],
        "sessionscope records blame src/main.rs --line 42\n\
         sessionscope records blame gptme/gptme-contrib#1252 --json   # a PR, through gh",
    ),
    (
        &["records", "auto-tag"],
        "sessionscope records auto-tag --dry-run\n\
         sessionscope records auto-tag --retag-all --limit 100 --mapping-file tags.yaml",
    ),
    (
        &["doctor"],
        "sessionscope doctor                  # what is read, what was found, what is unknown\n\
         sessionscope doctor --json",
    ),
    (&["man"], "sessionscope man --dir /usr/share/man/man1"),
];

/// The examples of the command at `path`, if the table has them.
pub fn for_path(path: &[&str]) -> Option<&'static str> {
    EXAMPLES.iter().find(|(p, _)| *p == path).map(|(_, e)| *e)
}

/// Put each command's examples into its `--help` (after the options).
pub fn attach(cmd: Command) -> Command {
    attach_at(cmd, &mut Vec::new())
}

fn attach_at(mut cmd: Command, path: &mut Vec<String>) -> Command {
    let key: Vec<&str> = path.iter().map(String::as_str).collect();
    if let Some(examples) = for_path(&key) {
        let mut text = String::from("Examples:\n");
        for line in examples.lines() {
            text.push_str("  ");
            text.push_str(line);
            text.push('\n');
        }
        // The top level also lists the exit statuses.
        if path.is_empty() {
            text.push('\n');
            text.push_str(crate::exit::HELP);
        }
        cmd = cmd.after_help(text.trim_end().to_string());
    }
    let names: Vec<String> = cmd
        .get_subcommands()
        .map(|s| s.get_name().to_string())
        .collect();
    for name in names {
        path.push(name.clone());
        cmd = cmd.mut_subcommand(&name, |sub| attach_at(sub, path));
        path.pop();
    }
    cmd
}
