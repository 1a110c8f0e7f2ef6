//! `sessionscope doctor`: what Sessionscope reads and what it makes of it, so that a
//! missing root, an unreadable folder, an agent release that changed its format or a
//! model without a price is visible at once instead of as quietly wrong numbers.
//!
//! The report lists every transcript root (found or not, how many sessions), each
//! agent's live-state folder (how many running sessions it names), the agent
//! processes and which session each was matched to, the drift guard's unknown record
//! types and fields per harness and agent version, the models the price table lacks,
//! and every read error. Built from an index that has been scanned and refreshed.

use std::collections::BTreeMap;

use serde::Serialize;

use crate::agent_state;
use crate::model::Harness;
use crate::pricing;
use crate::procs::AgentProcess;
use crate::sessions::index::SessionIndex;

#[derive(Debug, Serialize)]
pub struct DoctorReport {
    pub roots: Vec<RootReport>,
    pub live_state: Vec<StateReport>,
    pub processes: Vec<ProcessReport>,
    pub drift: Vec<DriftReport>,
    pub unpriced_models: Vec<PriceReport>,
    pub errors: Vec<String>,
}

#[derive(Debug, Serialize)]
pub struct RootReport {
    pub harness: Harness,
    pub path: String,
    pub exists: bool,
    pub sessions: usize,
}

#[derive(Debug, Serialize)]
pub struct StateReport {
    pub harness: Harness,
    pub path: String,
    pub exists: bool,
    /// Running sessions the agent's own files name.
    pub live_sessions: usize,
}

#[derive(Debug, Serialize)]
pub struct ProcessReport {
    pub pid: u32,
    pub harness: Harness,
    pub cwd: Option<String>,
    /// The session key the process was matched to, if any.
    pub session: Option<String>,
}

#[derive(Debug, Serialize)]
pub struct DriftReport {
    pub harness: Harness,
    pub agent_version: Option<String>,
    /// `type foo` or `field kind.foo`.
    pub name: String,
    /// Times seen, over all sessions.
    pub count: u64,
    pub sessions: usize,
}

#[derive(Debug, Serialize)]
pub struct PriceReport {
    pub harness: Harness,
    pub model: String,
    pub sessions: usize,
    /// Of those, sessions with no cost at all ("price unknown"); the others carry a
    /// cost the agent recorded itself.
    pub sessions_without_cost: usize,
}

/// Build the report from a scanned, status-refreshed index and the processes seen.
pub fn diagnose(index: &SessionIndex, processes: &[AgentProcess]) -> DoctorReport {
    let sessions = index.sessions();
    let roots = index
        .roots()
        .iter()
        .map(|r| RootReport {
            harness: r.harness,
            path: r.path.display().to_string(),
            exists: r.path.exists(),
            sessions: sessions
                .iter()
                .filter(|s| {
                    s.harness == r.harness && std::path::Path::new(&s.path).starts_with(&r.path)
                })
                .count(),
        })
        .collect();

    let (claims, mut errors) = agent_state::read_claims(index.roots());
    let mut live_state = Vec::new();
    for root in index.roots() {
        let Some(dir) = agent_state::state_dir(root) else {
            continue;
        };
        if live_state
            .iter()
            .any(|s: &StateReport| s.path == dir.display().to_string())
        {
            continue;
        }
        live_state.push(StateReport {
            harness: root.harness,
            path: dir.display().to_string(),
            exists: dir.is_dir(),
            live_sessions: claims.iter().filter(|c| c.harness == root.harness).count(),
        });
    }

    let processes = processes
        .iter()
        .map(|p| ProcessReport {
            pid: p.identity.pid,
            harness: p.harness,
            cwd: p.cwd.as_ref().map(|c| c.display().to_string()),
            session: sessions
                .iter()
                .find(|s| s.pid == Some(p.identity.pid))
                .map(|s| s.key.clone()),
        })
        .collect();

    let mut drift: BTreeMap<(Harness, Option<String>, String), (u64, usize)> = BTreeMap::new();
    let mut prices: BTreeMap<(Harness, String), (usize, usize)> = BTreeMap::new();
    for s in &sessions {
        for (name, n) in &s.unknown_records {
            let e = drift
                .entry((s.harness, s.agent_version.clone(), name.clone()))
                .or_default();
            e.0 += u64::from(*n);
            e.1 += 1;
        }
        for model in &s.models {
            if pricing::price_of(model).is_none() {
                let e = prices.entry((s.harness, model.clone())).or_default();
                e.0 += 1;
                if s.cost_usd.is_none() {
                    e.1 += 1;
                }
            }
        }
    }
    errors.extend(index.read_errors.iter().cloned());
    errors.sort();
    errors.dedup();
    DoctorReport {
        roots,
        live_state,
        processes,
        drift: drift
            .into_iter()
            .map(
                |((harness, agent_version, name), (count, sessions))| DriftReport {
                    harness,
                    agent_version,
                    name,
                    count,
                    sessions,
                },
            )
            .collect(),
        unpriced_models: prices
            .into_iter()
            .map(|((harness, model), (sessions, without))| PriceReport {
                harness,
                model,
                sessions,
                sessions_without_cost: without,
            })
            .collect(),
        errors,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::agents::HarnessRoot;
    use chrono::Utc;

    #[test]
    fn the_report_names_roots_drift_unpriced_models_and_errors() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path().join("projects");
        std::fs::create_dir_all(root.join("-w")).unwrap();
        std::fs::write(
            root.join("-w/s1.jsonl"),
            concat!(
                r#"{"type":"user","version":"9.9.9","sessionId":"s1","cwd":"/w","message":{"role":"user","content":"hi"}}"#,
                "\n",
                r#"{"type":"brand-new-record","sessionId":"s1"}"#,
                "\n",
                r#"{"type":"brand-new-record","sessionId":"s1"}"#,
                "\n",
                r#"{"type":"assistant","version":"9.9.9","sessionId":"s1","message":{"id":"m","model":"claude-unheard-of-9","stop_reason":"end_turn","usage":{"input_tokens":5,"output_tokens":2}}}"#,
                "\n",
            ),
        )
        .unwrap();
        // A live-state file that is not one.
        std::fs::create_dir_all(dir.path().join("sessions")).unwrap();
        std::fs::write(dir.path().join("sessions/1.json"), "{torn").unwrap();
        let missing = dir.path().join("nowhere/projects");
        let mut index = SessionIndex::new(vec![
            HarnessRoot {
                harness: Harness::ClaudeCode,
                path: root.clone(),
            },
            HarnessRoot {
                harness: Harness::ClaudeCode,
                path: missing.clone(),
            },
        ]);
        index.scan_all(Utc::now());
        index.refresh_status(Vec::new(), Utc::now());
        let r = diagnose(&index, &[]);
        assert_eq!(r.roots.len(), 2);
        assert!(r.roots[0].exists && r.roots[0].sessions == 1);
        assert!(!r.roots[1].exists);
        assert_eq!(r.live_state.len(), 2);
        assert!(r.live_state[0].exists);
        let drift: Vec<_> = r
            .drift
            .iter()
            .filter(|d| d.name == "type brand-new-record")
            .collect();
        assert_eq!(drift.len(), 1, "{:?}", r.drift);
        assert_eq!(drift[0].count, 2);
        assert_eq!(drift[0].agent_version.as_deref(), Some("9.9.9"));
        assert_eq!(r.unpriced_models.len(), 1);
        assert_eq!(r.unpriced_models[0].model, "claude-unheard-of-9");
        assert_eq!(r.unpriced_models[0].sessions_without_cost, 1);
        assert!(
            r.errors.iter().any(|e| e.contains("1.json")),
            "{:?}",
            r.errors
        );
    }
}
