//! Status inference: what a session is doing, from its last records, how recently its
//! file was written, and whether its agent process is alive.
//!
//! The rules, in order:
//! 1. **Ended / Failed.** The session's process was seen and is gone (or the agent's
//!    own live state for it went) → `Ended` at once, or `Failed` when the last record
//!    was an error — or, for an agent that records no failed model call at all
//!    ([`StatusInputs::errors_unrecorded`], Gemini CLI 0.61), when its last prompt was
//!    left unanswered. No process was ever found for the session and its file has been
//!    quiet for [`StatusRules::ended_after`] → the same. (That grace period covers
//!    agents whose process we cannot see, e.g. another user's, and the moment between
//!    a write and the next process scan.)
//! 2. **A command at work.** The agent's persistent shell runs a command
//!    ([`StatusInputs::running_command`]; gptme 0.35 writes nothing until its tool is
//!    done) → `RunningTool`.
//! 3. **The agent's own word.** Its live state says `idle` → `WaitingForInput` (also
//!    with a tool call pending: it waits for the user's permission); `busy` →
//!    `RunningTool` while a tool call is pending, else `Generating`.
//! 4. Otherwise the last records decide:
//!    - a prompt or tool result awaits the model's answer → `Generating`;
//!    - the model asked for a tool and its result is not written yet → `RunningTool`;
//!    - the model is streaming a message (no stop reason yet) → `Generating`, turning
//!      into `WaitingForInput` once the file is quiet for [`StatusRules::stream_settle`];
//!    - the turn ended (or ended in an error) → `WaitingForInput`.
//! 5. **Idle.** `WaitingForInput` that has lasted more than [`StatusRules::idle_after`]
//!    becomes `Idle`: the agent is alive, but nobody has touched it for a long time.
//!
//! Generating and RunningTool never decay into Idle: a stuck tool should look stuck,
//! with its elapsed time ticking, not quietly turn grey.
//! This module is pure: no I/O, no clock. Callers pass `now`.

use chrono::{DateTime, Duration, Utc};

use crate::agent_state::AgentActivity;
pub use crate::agents::TurnState;
use crate::model::Status;

/// Whether the agent process behind a session was seen in the last process scan.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Liveness {
    Alive,
    /// No process was found, and none was ever seen for this session.
    NotFound,
    /// The session's process was seen before and is gone now.
    Exited,
}

/// The time thresholds of the rules above.
#[derive(Debug, Clone, Copy)]
pub struct StatusRules {
    pub ended_after: Duration,
    pub stream_settle: Duration,
    pub idle_after: Duration,
}

impl Default for StatusRules {
    fn default() -> Self {
        StatusRules {
            ended_after: Duration::seconds(120),
            stream_settle: Duration::seconds(10),
            idle_after: Duration::minutes(10),
        }
    }
}

/// Everything the rules look at.
#[derive(Debug, Clone, Copy)]
pub struct StatusInputs {
    pub turn: TurnState,
    /// The later of the last record's timestamp and the file's modification time.
    pub last_write: Option<DateTime<Utc>>,
    pub liveness: Liveness,
    /// What the agent's own live state says, when it keeps one.
    pub activity: Option<AgentActivity>,
    /// The agent writes nothing when a model call fails for good (it prints the error
    /// and exits): a prompt it never answered before its process went is the only
    /// trace of the failure.
    pub errors_unrecorded: bool,
    /// The agent's persistent shell runs a command (see [`crate::procs::shell`]).
    pub running_command: bool,
    pub now: DateTime<Utc>,
}

impl StatusRules {
    pub fn infer(&self, i: StatusInputs) -> Status {
        let quiet = i
            .last_write
            .map(|w| i.now.signed_duration_since(w))
            .unwrap_or(Duration::MAX);
        let gone = match i.liveness {
            Liveness::Exited => true,
            Liveness::NotFound => quiet >= self.ended_after,
            Liveness::Alive => false,
        };
        if gone {
            let unanswered = i.errors_unrecorded && i.turn == TurnState::AwaitingModel;
            return if i.turn == TurnState::Errored || unanswered {
                Status::Failed
            } else {
                Status::Ended
            };
        }
        if i.running_command {
            return Status::RunningTool;
        }
        let status = match (i.activity, i.turn) {
            (Some(AgentActivity::Idle), _) => Status::WaitingForInput,
            (Some(AgentActivity::Busy), TurnState::ToolPending) => Status::RunningTool,
            (Some(AgentActivity::Busy), _) => Status::Generating,
            (None, turn) => self.status_of_turn(turn, quiet),
        };
        if status == Status::WaitingForInput && quiet >= self.idle_after {
            Status::Idle
        } else {
            status
        }
    }

    fn status_of_turn(&self, turn: TurnState, quiet: Duration) -> Status {
        match turn {
            TurnState::AwaitingModel => Status::Generating,
            TurnState::ToolPending => Status::RunningTool,
            TurnState::Streaming if quiet < self.stream_settle => Status::Generating,
            TurnState::Streaming
            | TurnState::TurnEnded
            | TurnState::Errored
            | TurnState::Unknown => Status::WaitingForInput,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(secs_ago: i64, turn: TurnState, liveness: Liveness) -> Status {
        said(secs_ago, turn, liveness, None)
    }

    fn said(
        secs_ago: i64,
        turn: TurnState,
        liveness: Liveness,
        activity: Option<AgentActivity>,
    ) -> Status {
        let now = DateTime::parse_from_rfc3339("2026-11-25T12:00:00Z")
            .unwrap()
            .with_timezone(&Utc);
        StatusRules::default().infer(StatusInputs {
            turn,
            last_write: Some(now - Duration::seconds(secs_ago)),
            liveness,
            activity,
            errors_unrecorded: false,
            running_command: false,
            now,
        })
    }

    use Liveness::*;
    use TurnState::*;

    #[test]
    fn live_sessions_follow_their_last_record() {
        assert_eq!(at(1, AwaitingModel, Alive), Status::Generating);
        assert_eq!(at(1, ToolPending, Alive), Status::RunningTool);
        assert_eq!(at(1, TurnEnded, Alive), Status::WaitingForInput);
        assert_eq!(at(1, Streaming, Alive), Status::Generating);
        assert_eq!(at(30, Streaming, Alive), Status::WaitingForInput);
    }

    #[test]
    fn waiting_decays_to_idle_but_work_in_progress_does_not() {
        assert_eq!(at(3600, TurnEnded, Alive), Status::Idle);
        assert_eq!(at(3600, ToolPending, Alive), Status::RunningTool);
        assert_eq!(at(3600, AwaitingModel, Alive), Status::Generating);
    }

    #[test]
    fn without_a_process_a_quiet_session_has_ended_or_failed() {
        assert_eq!(at(5, AwaitingModel, NotFound), Status::Generating);
        assert_eq!(at(300, AwaitingModel, NotFound), Status::Ended);
        assert_eq!(at(300, TurnEnded, NotFound), Status::Ended);
        assert_eq!(at(300, Errored, NotFound), Status::Failed);
        assert_eq!(at(5, Errored, Alive), Status::WaitingForInput);
    }

    #[test]
    fn a_process_seen_and_gone_ends_the_session_at_once() {
        // `claude -p` exits right after its answer: Ended, not "Waiting for input".
        assert_eq!(at(1, TurnEnded, Exited), Status::Ended);
        assert_eq!(at(0, Errored, Exited), Status::Failed);
        assert_eq!(at(0, AwaitingModel, Exited), Status::Ended);
    }

    #[test]
    fn an_unanswered_prompt_is_a_failure_only_for_agents_that_record_no_errors() {
        let infer = |turn, liveness, errors_unrecorded| {
            let now = Utc::now();
            StatusRules::default().infer(StatusInputs {
                turn,
                last_write: Some(now - Duration::seconds(1)),
                liveness,
                activity: None,
                errors_unrecorded,
                running_command: false,
                now,
            })
        };
        assert_eq!(infer(AwaitingModel, Exited, true), Status::Failed);
        assert_eq!(infer(AwaitingModel, Exited, false), Status::Ended);
        assert_eq!(infer(TurnEnded, Exited, true), Status::Ended);
        assert_eq!(infer(AwaitingModel, Alive, true), Status::Generating);
    }

    #[test]
    fn the_agents_own_busy_and_idle_win_over_the_records() {
        use AgentActivity::*;
        // The records end a turn, but the agent says it is still at work.
        assert_eq!(said(1, TurnEnded, Alive, Some(Busy)), Status::Generating);
        assert_eq!(said(60, Streaming, Alive, Some(Busy)), Status::Generating);
        assert_eq!(said(1, ToolPending, Alive, Some(Busy)), Status::RunningTool);
        // Idle with a tool pending: it waits for the user's permission.
        assert_eq!(
            said(1, ToolPending, Alive, Some(Idle)),
            Status::WaitingForInput
        );
        assert_eq!(
            said(1, AwaitingModel, Alive, Some(Idle)),
            Status::WaitingForInput
        );
        assert_eq!(said(3600, TurnEnded, Alive, Some(Idle)), Status::Idle);
        assert_eq!(said(3600, TurnEnded, Alive, Some(Busy)), Status::Generating);
        assert_eq!(said(1, TurnEnded, Exited, Some(Busy)), Status::Ended);
    }

    #[test]
    fn a_command_at_work_in_the_agents_shell_is_running_tool() {
        let infer = |turn, liveness, quiet: i64| {
            let now = Utc::now();
            StatusRules::default().infer(StatusInputs {
                turn,
                last_write: Some(now - Duration::seconds(quiet)),
                liveness,
                activity: None,
                errors_unrecorded: false,
                running_command: true,
                now,
            })
        };
        // gptme: the transcript ends with the prompt while its tool runs.
        assert_eq!(infer(AwaitingModel, Alive, 1), Status::RunningTool);
        // A long command stays Running tool, never Idle.
        assert_eq!(infer(TurnEnded, Alive, 3600), Status::RunningTool);
        assert_eq!(infer(AwaitingModel, Exited, 1), Status::Ended);
    }

    #[test]
    fn no_timestamp_at_all_counts_as_long_quiet() {
        let now = Utc::now();
        let s = StatusRules::default().infer(StatusInputs {
            turn: Unknown,
            last_write: None,
            liveness: NotFound,
            activity: None,
            errors_unrecorded: false,
            running_command: false,
            now,
        });
        assert_eq!(s, Status::Ended);
    }
}
