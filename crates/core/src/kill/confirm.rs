//! The words of a kill confirmation: one text for the app's native dialog and the
//! CLI's y/N prompt alike, so both list exactly the same things in the same way.
//!
//! Labels and details come from transcripts (titles, project paths), from
//! `runs.jsonl` (run names, commands) or from a gptme-server, and any of them may hold
//! line breaks, terminal escapes or bidirectional overrides. Every such field is shown
//! through [`consent::literal`], so it stays on its one line, visibly escaped (`\n`,
//! `\u{1b}`), and can neither fake an extra item nor clear the terminal.

use std::fmt::Write as _;
use std::time::Duration;

use crate::consent::{self, SHOWN_CHARS};
use crate::model::{KillPlan, KillPlanItem, KillTarget, StopSignal};

/// What a Windows user needs to know about the steps, said once per dialog.
const WINDOWS_NOTE: &str = "Ctrl-C and Ctrl-Break go to its console; TerminateProcess ends every process it started: a run's job object, an agent's process tree.";

/// What a gptme-server session gets instead of signals.
const SERVER_STEP: &str = "DELETE on the gptme-server: generation is interrupted, pending tool runs are cleared and the session is removed (its conversation log stays)";

/// `field` as one line of a confirmation: control characters, line breaks and
/// invisible formatting escaped, at most [`SHOWN_CHARS`] characters.
pub fn shown(field: &str) -> String {
    consent::literal(field, SHOWN_CHARS)
}

/// The steps of a stop with `signals`, without the Windows note:
/// "SIGINT (stop generating), then SIGTERM, then SIGKILL after 5 s".
pub(super) fn steps(signals: &[StopSignal], grace: Duration) -> String {
    let grace = if grace.subsec_millis() == 0 {
        grace.as_secs().to_string()
    } else {
        format!("{:.1}", grace.as_secs_f64())
    };
    signals
        .iter()
        .map(|s| match s {
            StopSignal::Interrupt => format!("{} (stop generating)", s.name()),
            StopSignal::Kill => format!("{} after {grace} s", s.name()),
            StopSignal::Terminate => s.name().to_string(),
        })
        .collect::<Vec<_>>()
        .join(", then ")
}

/// "1 run", "2 agent sessions".
fn counted(n: usize, what: &str) -> String {
    format!("{n} {what}{}", if n == 1 { "" } else { "s" })
}

impl KillPlanItem {
    fn kind(&self) -> &'static str {
        match self.target {
            KillTarget::Run { .. } => "run",
            KillTarget::Agent { .. } => "agent session",
            KillTarget::GptmeServer { .. } => "gptme-server session",
        }
    }
}

impl KillPlan {
    /// The dialog's title: "Kill run?", "Kill sessions?", "Kill server session?", or
    /// "Kill?" for a mix.
    pub fn title(&self) -> &'static str {
        let many = self.items.len() > 1;
        let all = |kind: &str| self.items.iter().all(|i| i.kind() == kind);
        match () {
            _ if self.items.is_empty() => "Kill?",
            _ if all("run") => {
                if many {
                    "Kill runs?"
                } else {
                    "Kill run?"
                }
            }
            _ if all("agent session") => "Kill sessions?",
            _ if all("gptme-server session") => "Kill server session?",
            _ => "Kill?",
        }
    }

    /// The whole confirmation: what will be stopped (one item per entry: label, then
    /// PID, directory or command, then the steps it gets), what will not be and why,
    /// each field from outside shown literally on its own line.
    pub fn describe(&self) -> String {
        let mut kinds: Vec<(&str, usize)> = Vec::new();
        for item in &self.items {
            match kinds.iter_mut().find(|(k, _)| *k == item.kind()) {
                Some((_, n)) => *n += 1,
                None => kinds.push((item.kind(), 1)),
            }
        }
        let what = kinds
            .iter()
            .map(|(k, n)| counted(*n, k))
            .collect::<Vec<_>>()
            .join(" and ");
        let mut text = format!("Stop {what}?\n");
        let grace = Duration::from_millis(self.grace_ms);
        for item in &self.items {
            let how = if item.signals.is_empty() {
                SERVER_STEP.to_string()
            } else if matches!(item.target, KillTarget::Run { .. }) {
                format!(
                    "{}, to it and every process it started",
                    steps(&item.signals, grace)
                )
            } else {
                steps(&item.signals, grace)
            };
            let _ = write!(
                text,
                "\n• {}\n   {}\n   {how}",
                shown(&item.label),
                shown(&item.detail)
            );
        }
        if !self.skipped.is_empty() {
            text.push_str("\n\nNot stopped:");
            for why in &self.skipped {
                let _ = write!(text, "\n• {}", shown(why));
            }
        }
        if cfg!(windows) && self.items.iter().any(|i| !i.signals.is_empty()) {
            let _ = write!(text, "\n\n{WINDOWS_NOTE}");
        }
        text
    }

    /// Why nothing can be stopped, for a plan with no items: every reason, escaped.
    pub fn nothing_to_stop(&self) -> String {
        let reasons: Vec<String> = self.skipped.iter().map(|r| shown(r)).collect();
        if reasons.is_empty() {
            "Nothing to stop.".into()
        } else {
            format!("Nothing to stop: {}", reasons.join("; "))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::kill::signal_sequence;

    fn agent(label: &str, detail: &str) -> KillPlanItem {
        KillPlanItem {
            target: KillTarget::Agent {
                pid: 4242,
                start_time: 7,
                session_key: "claude-code:abc".into(),
            },
            label: label.into(),
            detail: detail.into(),
            signals: signal_sequence(true),
        }
    }

    fn run(name: &str) -> KillPlanItem {
        KillPlanItem {
            target: KillTarget::Run {
                run_id: "r1".into(),
            },
            label: name.into(),
            detail: "run r1 · pid 99 · sleep 30".into(),
            signals: signal_sequence(false),
        }
    }

    fn plan(items: Vec<KillPlanItem>, skipped: &[&str], grace_ms: u64) -> KillPlan {
        KillPlan {
            items,
            skipped: skipped.iter().map(|s| s.to_string()).collect(),
            grace_ms,
        }
    }

    /// The dialog names the steps as this OS's users know them.
    #[test]
    fn the_steps_are_said_in_this_os_terms() {
        let agent = steps(&signal_sequence(true), Duration::from_secs(5));
        let plain = steps(&signal_sequence(false), Duration::from_secs(3));
        if cfg!(windows) {
            assert_eq!(
                agent,
                "Ctrl-C (stop generating), then Ctrl-Break, then TerminateProcess after 5 s"
            );
            assert_eq!(plain, "Ctrl-Break, then TerminateProcess after 3 s");
            let text = plan(vec![run("r")], &[], 3000).describe();
            assert!(text.ends_with(WINDOWS_NOTE) && text.contains("job object"));
        } else {
            assert_eq!(
                agent,
                "SIGINT (stop generating), then SIGTERM, then SIGKILL after 5 s"
            );
            assert_eq!(plain, "SIGTERM, then SIGKILL after 3 s");
        }
    }

    #[test]
    fn one_agent_session_is_listed_with_its_pid_directory_and_steps() {
        let p = plan(
            vec![agent(
                "claude-code · Fix the tests",
                "pid 4242 · in /home/u/proj",
            )],
            &[],
            5000,
        );
        assert_eq!(p.title(), "Kill sessions?");
        let text = p.describe();
        let mut expected = String::from(
            "Stop 1 agent session?\n\n• claude-code · Fix the tests\n   pid 4242 · in /home/u/proj\n   ",
        );
        expected.push_str(&steps(&signal_sequence(true), Duration::from_secs(5)));
        if cfg!(windows) {
            expected.push_str("\n\n");
            expected.push_str(WINDOWS_NOTE);
        }
        assert_eq!(text, expected);
        if !cfg!(windows) {
            assert!(
                text.ends_with("SIGINT (stop generating), then SIGTERM, then SIGKILL after 5 s")
            );
        }
    }

    /// A project path or title from a transcript cannot add lines to the dialog, fake
    /// a second item, or send escapes to a terminal: each stays on its own line with
    /// the characters shown as escapes.
    #[test]
    fn newlines_and_control_characters_from_a_transcript_stay_visible_on_one_line() {
        let evil_title = "harmless\n• claude-code · another session\u{1b}[2J";
        let evil_project = "pid 4242 · in /tmp/x\r\n\n\u{202e}Stop 0 agent sessions?\u{7}";
        let p = plan(
            vec![agent(evil_title, evil_project)],
            &["a: no process\nfor\u{1b}]0;title\u{7} it"],
            5000,
        );
        let text = p.describe();
        // Exactly the lines the layout has: headline, blank, label, detail, steps,
        // blank, "Not stopped:", one reason (plus the note on Windows).
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(lines.len(), if cfg!(windows) { 10 } else { 8 }, "{text}");
        assert_eq!(
            lines[2],
            "• harmless\\n• claude-code · another session\\u{1b}[2J"
        );
        assert_eq!(
            lines[3],
            "   pid 4242 · in /tmp/x\\r\\n\\n\\u{202e}Stop 0 agent sessions?\\u{7}"
        );
        assert_eq!(lines[7], "• a: no process\\nfor\\u{1b}]0;title\\u{7} it");
        assert!(!text.contains(['\u{1b}', '\u{7}', '\r', '\u{202e}']));
        assert_eq!(text.matches("\n• ").count(), 2, "one item, one reason");
        // Unicode line and paragraph separators break lines in GTK too.
        let sep = plan(vec![agent("a\u{2028}b\u{2029}c\u{85}d", "x")], &[], 1000);
        let sep = sep.describe();
        assert!(sep.contains("• a\\u{2028}b\\u{2029}c\\u{85}d"), "{sep}");
        assert!(!sep.contains(['\u{2028}', '\u{2029}', '\u{85}']));
    }

    #[test]
    fn a_mix_is_counted_by_kind_and_runs_say_their_children_stop_too() {
        let p = plan(
            vec![
                run("build\nwatch"),
                agent("gemini · t", "pid 1"),
                run("second"),
            ],
            &[],
            1500,
        );
        assert_eq!(p.title(), "Kill?");
        let text = p.describe();
        assert!(
            text.starts_with("Stop 2 runs and 1 agent session?\n"),
            "{text}"
        );
        assert!(text.contains("• build\\nwatch\n"), "{text}");
        if !cfg!(windows) {
            assert!(text.contains(
                "   SIGTERM, then SIGKILL after 1.5 s, to it and every process it started"
            ));
        }
        assert_eq!(plan(vec![run("a")], &[], 0).title(), "Kill run?");
        assert_eq!(plan(vec![run("a"), run("b")], &[], 0).title(), "Kill runs?");
    }

    #[test]
    fn a_server_session_gets_an_http_delete_not_signals() {
        let item = KillPlanItem {
            target: KillTarget::GptmeServer {
                session_id: "s1".into(),
            },
            label: "gptme-server · conv".into(),
            detail: "session s1".into(),
            signals: Vec::new(),
        };
        let p = plan(vec![item], &[], 5000);
        assert_eq!(p.title(), "Kill server session?");
        let text = p.describe();
        assert!(text.starts_with("Stop 1 gptme-server session?"));
        assert!(text.contains(SERVER_STEP));
        assert!(!text.contains("SIG") && !text.contains("Ctrl-"));
    }

    #[test]
    fn nothing_to_stop_gives_every_reason_escaped() {
        let p = plan(Vec::new(), &["a: gone", "b\nc: PID 0"], 5000);
        assert_eq!(
            p.nothing_to_stop(),
            "Nothing to stop: a: gone; b\\nc: PID 0"
        );
        assert_eq!(
            plan(Vec::new(), &[], 0).nothing_to_stop(),
            "Nothing to stop."
        );
    }
}
