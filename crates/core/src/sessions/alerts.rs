//! Which session changes deserve a desktop notification, and how many at most.
//!
//! A notification is due when a session *enters* a state the user cares about:
//! waiting for input (an agent finished its turn and needs you), ended (finished), or
//! failed. Rows seen for the first time never notify (opening the app must not
//! replay history), and neither do changes within the same state. A [`RateLimit`]
//! caps the count in a sliding window so a burst (many agents ending at once) becomes
//! a few notifications plus one summary, never a flood.

use std::collections::{HashMap, VecDeque};
use std::time::{Duration, Instant};

use crate::model::{Session, Status};
use crate::settings::Settings;

/// What happened to a session.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AlertKind {
    Waiting,
    Finished,
    Failed,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Alert {
    pub kind: AlertKind,
    pub session_key: String,
    pub title: String,
    pub body: String,
}

/// Remembers each session's last status to spot transitions.
#[derive(Debug, Default)]
pub struct AlertTracker {
    last: HashMap<String, Status>,
}

impl AlertTracker {
    /// Remember statuses without alerting (the initial snapshot).
    pub fn prime<'a>(&mut self, sessions: impl IntoIterator<Item = &'a Session>) {
        for s in sessions {
            self.last.insert(s.key.clone(), s.status);
        }
    }

    /// The alerts due for these updated rows, given which kinds the user wants.
    pub fn observe(&mut self, updated: &[Session], settings: &Settings) -> Vec<Alert> {
        let mut alerts = Vec::new();
        for s in updated {
            let before = self.last.insert(s.key.clone(), s.status);
            let Some(before) = before else { continue };
            if before == s.status {
                continue;
            }
            let kind = match s.status {
                Status::WaitingForInput if settings.notify_waiting => AlertKind::Waiting,
                Status::Ended if settings.notify_finished && before.is_active() => {
                    AlertKind::Finished
                }
                Status::Failed if settings.notify_failed => AlertKind::Failed,
                _ => continue,
            };
            let name = s
                .title
                .clone()
                .unwrap_or_else(|| s.id.chars().take(8).collect());
            let project = s.project.clone().unwrap_or_default();
            let (title, verb) = match kind {
                AlertKind::Waiting => ("Waiting for you", "waits for input"),
                AlertKind::Finished => ("Session finished", "ended"),
                AlertKind::Failed => ("Session failed", "failed"),
            };
            alerts.push(Alert {
                kind,
                session_key: s.key.clone(),
                title: format!("{title} — {}", s.harness.as_str()),
                body: format!(
                    "“{name}” {verb}{}",
                    if project.is_empty() {
                        String::new()
                    } else {
                        format!(" in {project}")
                    }
                ),
            });
        }
        alerts
    }
}

/// At most `max` notifications per `window`; the rest are counted for a summary.
#[derive(Debug)]
pub struct RateLimit {
    max: usize,
    window: Duration,
    sent: VecDeque<Instant>,
    suppressed: usize,
}

impl RateLimit {
    pub fn new(max: usize, window: Duration) -> Self {
        RateLimit {
            max,
            window,
            sent: VecDeque::new(),
            suppressed: 0,
        }
    }

    /// May one more be shown now?
    pub fn allow(&mut self, now: Instant) -> bool {
        while self
            .sent
            .front()
            .is_some_and(|t| now.duration_since(*t) >= self.window)
        {
            self.sent.pop_front();
        }
        if self.sent.len() < self.max {
            self.sent.push_back(now);
            true
        } else {
            self.suppressed += 1;
            false
        }
    }

    /// How many were held back since the last call (for a "and N more" summary).
    pub fn take_suppressed(&mut self) -> usize {
        std::mem::take(&mut self.suppressed)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{Harness, Usage};

    fn s(key: &str, status: Status) -> Session {
        Session {
            key: key.into(),
            id: key.into(),
            harness: Harness::ClaudeCode,
            title: Some("Fix login".into()),
            project: Some("/w/app".into()),
            git_branch: None,
            model: None,
            models: vec![],
            started_at: None,
            last_activity: None,
            status_since: None,
            user_messages: 0,
            assistant_messages: 0,
            tool_calls: 0,
            tool_errors: 0,
            usage: Usage::default(),
            parse_errors: 0,
            status,
            pid: None,
            ambiguous: false,
            agent_name: None,
            price_unknown: false,
            agent_version: None,
            unknown_records: Default::default(),
            path: String::new(),
            gone: false,
            parent_id: None,
            cost_usd: None,
        }
    }

    #[test]
    fn only_transitions_into_wanted_states_alert() {
        let settings = Settings::default();
        let mut t = AlertTracker::default();
        t.prime(&[s("a", Status::Generating), s("b", Status::Idle)]);
        // First sight of c: no alert, even though it waits.
        let alerts = t.observe(
            &[
                s("a", Status::WaitingForInput),
                s("c", Status::WaitingForInput),
            ],
            &settings,
        );
        assert_eq!(alerts.len(), 1);
        assert_eq!(alerts[0].kind, AlertKind::Waiting);
        assert_eq!(alerts[0].session_key, "a");
        assert!(alerts[0].body.contains("Fix login") && alerts[0].body.contains("/w/app"));
        // Same state again: nothing.
        assert!(t
            .observe(&[s("a", Status::WaitingForInput)], &settings)
            .is_empty());
        // Idle → ended is not news; active → ended is.
        assert!(t.observe(&[s("b", Status::Ended)], &settings).is_empty());
        let alerts = t.observe(&[s("a", Status::Ended)], &settings);
        assert_eq!(alerts[0].kind, AlertKind::Finished);
        let alerts = t.observe(&[s("c", Status::Failed)], &settings);
        assert_eq!(alerts[0].kind, AlertKind::Failed);
    }

    #[test]
    fn settings_switch_kinds_off() {
        let settings = Settings {
            notify_waiting: false,
            ..Settings::default()
        };
        let mut t = AlertTracker::default();
        t.prime(&[s("a", Status::Generating)]);
        assert!(t
            .observe(&[s("a", Status::WaitingForInput)], &settings)
            .is_empty());
    }

    #[test]
    fn rate_limit_caps_a_burst_and_recovers() {
        let mut r = RateLimit::new(3, Duration::from_secs(60));
        let t0 = Instant::now();
        let allowed = (0..10).filter(|_| r.allow(t0)).count();
        assert_eq!(allowed, 3);
        assert_eq!(r.take_suppressed(), 7);
        assert_eq!(r.take_suppressed(), 0);
        assert!(r.allow(t0 + Duration::from_secs(61)));
    }
}
