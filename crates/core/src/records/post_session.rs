//! `post-session`: the record an agent run loop appends when a session ends.
//!
//! Outcome rules, in order, as gptme-sessions' `post_session` applies them (its
//! source is more precise than the reference page, which says "non-zero exit →
//! failed"; exit code 124, a timeout, is not a failure there):
//! 1. an exit code other than 0 and 124 → `failed`;
//! 2. a readable trajectory decides `productive` / `noop` ([`TranscriptFacts::looks_productive`]),
//!    unless it covers less than half of the caller's duration (truncated or
//!    misattributed): then caller deliverables make it `productive`, else `unknown`;
//! 3. otherwise differing `--start-commit`/`--end-commit` → `productive`, equal →
//!    `noop`; only one of them → `unknown`;
//! 4. otherwise `unknown`;
//! 5. without a trajectory, caller deliverables upgrade `noop`/`unknown` to
//!    `productive`.
//!
//! Deliverables: the trajectory's own when the caller gives none; with both, caller
//! SHAs are kept only if the trajectory saw a commit with that prefix (git ranges pick
//! up concurrent sessions' commits), non-SHA caller items always; a trajectory that
//! found nothing and reliably says `noop` drops the caller's list.

use chrono::{DateTime, Duration, SecondsFormat, Utc};

use super::discover::{looks_like_sha, Signals};
use super::pyjson::PyValue;
use super::record::Record;
use super::signals::{self, Analysis};
use crate::agents::TranscriptFacts;

/// Everything the caller of `post-session` says about the run.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct PostSession {
    pub harness: String,
    pub model: Option<String>,
    pub run_type: Option<String>,
    pub trigger: Option<String>,
    pub category: Option<String>,
    pub recommended_category: Option<String>,
    pub selector_mode: Option<String>,
    pub exit_code: i64,
    pub duration_seconds: i64,
    pub trajectory_path: Option<String>,
    pub start_commit: Option<String>,
    pub end_commit: Option<String>,
    pub deliverables: Vec<String>,
    pub journal_path: Option<String>,
    pub session_id: Option<String>,
    pub context_tier: Option<String>,
    pub ab_group: Option<String>,
    pub tier_version: Option<String>,
}

fn dedup(items: impl IntoIterator<Item = String>) -> Vec<String> {
    let mut seen = std::collections::HashSet::new();
    items
        .into_iter()
        .filter(|i| !i.is_empty() && seen.insert(i.clone()))
        .collect()
}

/// What the outcome and deliverable rules read from a trajectory.
struct Traj {
    productive: bool,
    /// Seconds between its first and last timestamp.
    span_s: i64,
    deliverables: Vec<String>,
    /// Structured details of `deliverables` (the signals port's; none from facts).
    details: Vec<PyValue>,
    /// It has no tool call at all.
    no_tool_calls: bool,
    model: Option<String>,
}

impl Traj {
    fn of_facts(f: &TranscriptFacts) -> Traj {
        let s = Signals::from_facts(f);
        Traj {
            productive: s.productive,
            span_s: s.duration_seconds,
            deliverables: s.deliverables,
            details: Vec::new(),
            no_tool_calls: s.tool_calls == 0,
            model: s.model,
        }
    }

    fn of_analysis(a: &Analysis) -> Traj {
        Traj {
            productive: a.productive,
            span_s: a.signals.session_duration_s.unwrap_or(0),
            deliverables: a.signals.deliverables.clone(),
            details: a.signals.deliverable_details.clone(),
            no_tool_calls: a.signals.tool_calls.is_empty(),
            model: a
                .usage("model")
                .and_then(PyValue::as_str)
                .filter(|m| !m.is_empty())
                .map(str::to_string),
        }
    }
}

/// `deliverables.looks_like_sha`: 7 to 40 hex digits, any case, spaces trimmed.
fn py_sha(s: &str) -> bool {
    let s = s.trim();
    (7..=40).contains(&s.chars().count()) && s.chars().all(|c| c.is_ascii_hexdigit())
}

/// SHA prefixes the trajectory saw: `message (abc1234)` entries (7–12 hex digits)
/// and bare SHAs.
fn traj_sha_prefixes(deliverables: &[String]) -> Vec<String> {
    let mut out = Vec::new();
    for d in deliverables {
        if d.ends_with(')') {
            if let Some(open) = d.rfind('(') {
                let c = &d[open + 1..d.len() - 1];
                if (7..=12).contains(&c.len()) && c.chars().all(|x| x.is_ascii_hexdigit()) {
                    out.push(c.to_lowercase());
                }
            }
        } else if looks_like_sha(d) {
            out.push(d.clone());
        }
    }
    out
}

/// Details of caller-given deliverables, first-seen order, empty values skipped.
fn caller_details(values: &[String], provenance: &str, evidence: &[(&str, &str)]) -> Vec<PyValue> {
    let mut seen: Vec<&String> = Vec::new();
    let mut out = Vec::new();
    for v in values {
        if v.is_empty() || seen.contains(&v) {
            continue;
        }
        seen.push(v);
        out.push(signals::common::detail_of(
            v,
            provenance,
            evidence
                .iter()
                .map(|(k, x)| (*k, PyValue::Str((*x).to_string())))
                .collect(),
        ));
    }
    out
}

/// Build the record. `facts` are the trajectory's, when it could be read.
pub fn build_record(
    p: &PostSession,
    facts: Option<&TranscriptFacts>,
    now: DateTime<Utc>,
) -> Record {
    let mut r = build(p, facts.map(Traj::of_facts), now);
    if let Some(s) = facts.map(Signals::from_facts) {
        r.project = s.project.clone();
        r.token_count = Some(s.token_count);
        r.input_tokens = Some(s.input_tokens);
        r.output_tokens = Some(s.output_tokens);
        r.cache_creation_tokens = Some(s.cache_creation_tokens);
        r.cache_read_tokens = Some(s.cache_read_tokens);
    }
    r
}

/// Build the record from the trajectory's signals (`analysis`, when it could be
/// read), as gptme-sessions' `post_session` does: outcome, deliverables with their
/// provenance, grade, category, tokens, context sizes, timings, the journal's smell
/// score and, for a failed run, its failure reason.
pub fn build_record_from_signals(
    p: &PostSession,
    analysis: Option<&Analysis>,
    now: DateTime<Utc>,
) -> Record {
    let mut r = build(p, analysis.map(Traj::of_analysis), now);
    if let Some(a) = analysis {
        r.token_count = usage_int(a, "total_tokens");
        r.input_tokens = usage_int(a, "input_tokens");
        r.output_tokens = usage_int(a, "output_tokens");
        r.cache_creation_tokens = usage_int(a, "cache_creation_tokens");
        r.cache_read_tokens = usage_int(a, "cache_read_tokens");
        apply_grade_fields(&mut r, a);
    }
    if let Some(path) = &p.trajectory_path {
        let path = std::path::Path::new(path);
        r.session_name =
            super::normalized::session_name(&p.harness, path).filter(|n| !n.is_empty());
        r.project = super::normalized::project(&p.harness, path).filter(|n| !n.is_empty());
    }
    r.smell_score = r
        .journal_path
        .as_deref()
        .and_then(|j| super::smell::smell_score(std::path::Path::new(j)));
    if p.exit_code != 0 {
        let traj = p.trajectory_path.as_deref().map(std::path::Path::new);
        let (reason, error) =
            super::failure::capture(p.exit_code, r.duration_seconds, r.input_tokens, traj);
        r.failure_reason = reason;
        r.error = error;
    }
    r
}

/// A usage number as Python's `int(x)` reads it.
fn usage_int(a: &Analysis, key: &str) -> Option<i64> {
    match a.usage(key)? {
        PyValue::Int(i) => i64::try_from(*i).ok(),
        PyValue::Float(f) if f.is_finite() => Some(f.trunc() as i64),
        PyValue::Bool(b) => Some(i64::from(*b)),
        _ => None,
    }
}

/// What a record takes from the signals besides outcome, deliverables and token
/// counts: the grade, context sizes in tokens and bytes, `summarizer_fired`, the
/// timings, the inferred category and the journal the trajectory wrote, where the
/// record has none.
pub fn apply_grade_fields(r: &mut Record, a: &Analysis) {
    let int = |k: &str| usage_int(a, k);
    r.sys_prompt_tokens = int("sys_prompt_tokens");
    r.context_peak_tokens = int("context_peak_tokens");
    r.context_window = int("context_window");
    r.sys_prompt_bytes = int("sys_prompt_bytes");
    r.first_turn_bytes = int("first_turn_bytes");
    r.context_peak_bytes = int("context_peak_bytes");
    r.session_total_bytes = int("session_total_bytes");
    r.summarizer_fired = a.signals.summarizer_fired;
    let timing = |k: &str| match a.timing(k) {
        Some(PyValue::Float(f)) => Some(*f),
        Some(PyValue::Int(i)) => Some(*i as f64),
        _ => None,
    };
    r.ttft_ms_avg = timing("ttft_ms_avg");
    r.ttft_ms_p50 = timing("ttft_ms_p50");
    r.gen_ms_total = timing("gen_ms_total");
    r.tool_ms_total = timing("tool_ms_total");
    if r.category.is_none() {
        r.category = a.inferred_category.clone();
    }
    if r.journal_path.is_none() {
        r.journal_path = a.signals.journal_paths.first().cloned();
    }
    r.grades
        .insert("productivity".into(), serde_json::json!(a.grade));
    r.trajectory_grade = Some(a.grade);
}

fn build(p: &PostSession, traj: Option<Traj>, now: DateTime<Utc>) -> Record {
    let mut duration = p.duration_seconds;
    if duration == 0 {
        if let Some(s) = &traj {
            duration = s.span_s;
        }
    }
    let mut model = p.model.clone().filter(|m| !m.is_empty() && m != "unknown");
    if model.is_none() {
        model = traj.as_ref().and_then(|s| s.model.clone());
    }
    // A trajectory spanning under half of the caller's duration is not trusted.
    let mut reliable = match (&traj, duration) {
        (Some(s), d) if d > 0 && s.span_s > 0 => s.span_s as f64 >= 0.5 * d as f64,
        _ => true,
    };
    let caller = dedup(p.deliverables.iter().cloned());
    // Nor one that ran 30 s or more without a tool call the extractor recognised,
    // when the caller has deliverables to fall back on.
    if reliable
        && !caller.is_empty()
        && traj
            .as_ref()
            .is_some_and(|s| s.no_tool_calls && s.span_s >= 30)
    {
        reliable = false;
    }
    fn fallback(reason: &str) -> Vec<(&str, &str)> {
        vec![("source", "caller"), ("reason", reason)]
    }
    let (deliverables, extra) = match &traj {
        None => {
            let extra = caller_details(&caller, "fallback_observed", &fallback("no_trajectory"));
            (caller.clone(), extra)
        }
        Some(s) if caller.is_empty() => (s.deliverables.clone(), Vec::new()),
        Some(s) if !s.deliverables.is_empty() => {
            let prefixes = traj_sha_prefixes(&s.deliverables);
            if prefixes.is_empty() {
                let extra = caller_details(
                    &caller,
                    "fallback_observed",
                    &fallback("trajectory_has_no_sha"),
                );
                (dedup(caller.iter().chain(&s.deliverables).cloned()), extra)
            } else {
                let validated: Vec<String> = caller
                    .iter()
                    .filter(|c| {
                        py_sha(c) && {
                            let c = c.trim().to_lowercase();
                            prefixes.iter().any(|t| c.starts_with(t.as_str()))
                        }
                    })
                    .cloned()
                    .collect();
                let other: Vec<String> = caller.iter().filter(|c| !py_sha(c)).cloned().collect();
                let mut extra = caller_details(
                    &validated,
                    "session_committed",
                    &[
                        ("source", "caller"),
                        ("validation", "trajectory_sha_prefix"),
                    ],
                );
                extra.extend(caller_details(
                    &other,
                    "fallback_observed",
                    &fallback("non_sha_passthrough"),
                ));
                (
                    dedup(
                        s.deliverables
                            .iter()
                            .chain(&validated)
                            .chain(&other)
                            .cloned(),
                    ),
                    extra,
                )
            }
        }
        Some(s) if !s.productive && reliable => (Vec::new(), Vec::new()),
        Some(s) => {
            let reason = if s.productive {
                "trajectory_empty"
            } else {
                "trajectory_unreliable"
            };
            let extra = caller_details(&caller, "fallback_observed", &fallback(reason));
            (caller.clone(), extra)
        }
    };
    // One detail per deliverable: the trajectory's, else the caller's, else a fallback.
    let mut known: std::collections::HashMap<&str, &PyValue> = std::collections::HashMap::new();
    for d in traj
        .iter()
        .flat_map(|s| s.details.iter())
        .chain(extra.iter())
    {
        if let Some(v) = d
            .get("value")
            .and_then(PyValue::as_str)
            .filter(|v| !v.is_empty())
        {
            known.entry(v).or_insert(d);
        }
    }
    let details: Vec<serde_json::Value> = deliverables
        .iter()
        .map(|d| {
            let found = known.get(d.as_str());
            let v = match found {
                Some(x) => (*x).clone(),
                None => signals::common::detail_of(
                    d,
                    "fallback_observed",
                    vec![("source", PyValue::Str("projection_fallback".into()))],
                ),
            };
            serde_json::to_value(&v).unwrap_or(serde_json::Value::Null)
        })
        .collect();

    let mut outcome = if p.exit_code != 0 && p.exit_code != 124 {
        "failed"
    } else if let Some(s) = &traj {
        match (s.productive, reliable) {
            (true, _) => "productive",
            (false, true) => "noop",
            (false, false) if !caller.is_empty() => "productive",
            (false, false) => "unknown",
        }
    } else {
        match (&p.start_commit, &p.end_commit) {
            (Some(a), Some(b)) if a != b => "productive",
            (Some(_), Some(_)) => "noop",
            _ => "unknown",
        }
    };
    if matches!(outcome, "noop" | "unknown") && !caller.is_empty() && traj.is_none() {
        outcome = "productive";
    }

    let mut r = Record::new();
    if let Some(id) = p.session_id.clone().filter(|i| !i.is_empty()) {
        r.session_id = id;
    }
    r.harness = Some(p.harness.clone());
    r.model = Some(model.unwrap_or_else(|| "unknown".into()));
    r.run_type = Some(p.run_type.clone().unwrap_or_else(|| "unknown".into()));
    r.outcome = Some(outcome.to_string());
    r.exit_code = Some(p.exit_code);
    r.duration_seconds = duration;
    if duration > 0 {
        let iso = |t: DateTime<Utc>| t.to_rfc3339_opts(SecondsFormat::Micros, false);
        r.start_time = Some(iso(now - Duration::seconds(duration)));
        r.end_time = Some(iso(now));
    }
    r.deliverables = deliverables;
    r.deliverable_details = details;
    r.trigger = p.trigger.clone();
    r.category = p.category.clone();
    r.recommended_category = p.recommended_category.clone();
    r.selector_mode = p.selector_mode.clone();
    r.context_tier = p.context_tier.clone();
    r.ab_group = p.ab_group.clone();
    r.tier_version = p.tier_version.clone();
    r.journal_path = p.journal_path.clone();
    r.trajectory_path = p.trajectory_path.clone();
    r
}

/// The whole pipeline: read the trajectory (when it is a readable file of a harness
/// Sessionscope knows), build the record, append it under the store lock. A
/// trajectory that cannot be read is reported in the second value and the record is
/// built without signals, as gptme-sessions does.
pub fn record_session(
    store: &super::Store,
    input: &PostSession,
    now: DateTime<Utc>,
) -> Result<(Record, Option<String>), super::StoreError> {
    let mut warning = None;
    let analysis = match &input.trajectory_path {
        Some(p) if std::path::Path::new(p).is_file() => {
            match signals::analyze_path(std::path::Path::new(p)) {
                Ok(a) => Some(a),
                Err(e) => {
                    warning = Some(format!("Signal extraction from {p} failed: {e}"));
                    None
                }
            }
        }
        _ => None,
    };
    let record = build_record_from_signals(input, analysis.as_ref(), now);
    store.append(&record)?;
    Ok((record, warning))
}

/// What "Record this session" did.
#[derive(Debug, Clone, PartialEq)]
pub enum Recorded {
    /// A new record was appended.
    Added(Record),
    /// The store already has a record of this transcript (same `trajectory_path`, as
    /// `sync` matches them); nothing was written.
    AlreadyThere(Record),
}

/// The post-session pipeline for a session Sessionscope already shows ("Record this
/// session" in the app). The facts are the live table's, so tokens equal the session
/// list's and nothing is read again. The exit code is unknown for a session the app
/// did not start: a `failed` status stands for a non-zero one. Unlike an agent's own
/// post-session call, which runs as the session ends, this may run days later, so the
/// times are the transcript's (and the record's day is the session's first, as `sync`
/// dates it), not the time of the click. A transcript the store already holds is not
/// recorded twice.
pub fn record_seen_session(
    store: &super::Store,
    session: &crate::model::Session,
    facts: &TranscriptFacts,
    now: DateTime<Utc>,
) -> Result<Recorded, super::StoreError> {
    let input = PostSession {
        harness: super::discover::record_harness_name(session.harness).to_string(),
        model: session.model.clone(),
        exit_code: i64::from(session.status == crate::model::Status::Failed),
        trajectory_path: Some(session.path.clone()),
        ..Default::default()
    };
    let mut record = build_record(&input, Some(facts), now);
    // The transcript's own times, written as sync writes them (build_record has read
    // the rest of the facts already).
    if let Some(start) = facts.started_at.map(super::discover::iso) {
        record.timestamp = start.clone();
        record.start_time = Some(start);
    }
    if let Some(end) = facts.last_activity.map(super::discover::iso) {
        record.end_time = Some(end);
    }
    if record.project.is_none() {
        record.project = session.project.clone();
    }
    // The grade and the rest gptme-sessions computes, for the agents it reads.
    if super::normalized::Format::of_harness(session.harness).is_some() {
        if let Ok(a) = signals::analyze_path(std::path::Path::new(&session.path)) {
            apply_grade_fields(&mut record, &a);
            record.smell_score = record
                .journal_path
                .as_deref()
                .and_then(|j| super::smell::smell_score(std::path::Path::new(j)));
        }
    }
    let existing = store.append_unless(&record, |r| {
        r.trajectory_path.as_deref() == Some(session.path.as_str())
    })?;
    Ok(match existing {
        Some(r) => Recorded::AlreadyThere(r),
        None => Recorded::Added(record),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn call(exit: i64, start: Option<&str>, end: Option<&str>, dels: &[&str]) -> PostSession {
        PostSession {
            harness: "claude-code".into(),
            exit_code: exit,
            start_commit: start.map(Into::into),
            end_commit: end.map(Into::into),
            deliverables: dels.iter().map(|s| s.to_string()).collect(),
            ..Default::default()
        }
    }

    fn facts(productive: bool, span_secs: i64) -> TranscriptFacts {
        let mut f = TranscriptFacts::default();
        let t0 = Utc::now() - Duration::hours(1);
        f.started_at = Some(t0);
        f.last_activity = Some(t0 + Duration::seconds(span_secs));
        f.tool_calls = 1;
        if productive {
            f.deliverables.push("abc1234".into());
        }
        f
    }

    fn outcome(p: &PostSession, f: Option<&TranscriptFacts>) -> String {
        build_record(p, f, Utc::now()).outcome.unwrap()
    }

    #[test]
    fn exit_codes() {
        assert_eq!(outcome(&call(1, None, None, &[]), None), "failed");
        assert_eq!(
            outcome(&call(1, Some("a"), Some("b"), &["x"]), None),
            "failed"
        );
        // 124 (timeout) is not a failure; with no other evidence it stays unknown.
        assert_eq!(outcome(&call(124, None, None, &[]), None), "unknown");
    }

    #[test]
    fn commits_decide_without_a_trajectory() {
        assert_eq!(
            outcome(&call(0, Some("a"), Some("b"), &[]), None),
            "productive"
        );
        assert_eq!(outcome(&call(0, Some("a"), Some("a"), &[]), None), "noop");
        assert_eq!(outcome(&call(0, Some("a"), None, &[]), None), "unknown");
        // Caller deliverables upgrade a noop when there is no trajectory.
        assert_eq!(
            outcome(
                &call(0, Some("a"), Some("a"), &["https://github.com/o/r/pull/1"]),
                None
            ),
            "productive"
        );
    }

    #[test]
    fn trajectory_signals_win_over_commits() {
        assert_eq!(
            outcome(
                &call(0, Some("a"), Some("b"), &[]),
                Some(&facts(false, 600))
            ),
            "noop"
        );
        assert_eq!(
            outcome(&call(0, Some("a"), Some("a"), &[]), Some(&facts(true, 600))),
            "productive"
        );
        // A noop trajectory with caller deliverables it did not see: trajectory wins.
        let r = build_record(
            &call(0, None, None, &["fff9999"]),
            Some(&facts(false, 600)),
            Utc::now(),
        );
        assert_eq!(r.outcome.as_deref(), Some("noop"));
        assert!(r.deliverables.is_empty());
        // Unless it ran 30 s or more without one tool call the reader recognised: then
        // the caller's deliverables are trusted.
        let mut blind = facts(false, 600);
        blind.tool_calls = 0;
        let r = build_record(&call(0, None, None, &["fff9999"]), Some(&blind), Utc::now());
        assert_eq!(r.outcome.as_deref(), Some("productive"));
        assert_eq!(r.deliverables, ["fff9999"]);
        assert_eq!(
            r.deliverable_details[0]["evidence"]["reason"],
            "trajectory_unreliable"
        );
    }

    #[test]
    fn a_truncated_trajectory_is_not_trusted_for_noop() {
        let mut p = call(0, None, None, &[]);
        p.duration_seconds = 3600;
        assert_eq!(outcome(&p, Some(&facts(false, 60))), "unknown");
        p.deliverables = vec!["abc9999".into()];
        assert_eq!(outcome(&p, Some(&facts(false, 60))), "productive");
    }

    #[test]
    fn caller_shas_are_validated_against_the_trajectory() {
        let p = call(
            0,
            None,
            None,
            &["abc1234def", "0000000aaa", "https://github.com/o/r/pull/2"],
        );
        let r = build_record(&p, Some(&facts(true, 600)), Utc::now());
        assert_eq!(
            r.deliverables,
            ["abc1234", "abc1234def", "https://github.com/o/r/pull/2"]
        );
    }

    #[test]
    fn duration_gives_start_and_end_and_trajectory_fills_model() {
        let mut p = call(0, None, None, &[]);
        p.duration_seconds = 90;
        p.session_id = Some("feedbeef".into());
        let now = Utc::now();
        let mut f = facts(true, 600);
        f.model = Some("claude-opus-4-6".into());
        let r = build_record(&p, Some(&f), now);
        assert_eq!(r.session_id, "feedbeef");
        assert_eq!(r.model.as_deref(), Some("claude-opus-4-6"));
        assert_eq!(r.duration_seconds, 90);
        assert!(r.start_time.is_some() && r.end_time.is_some());
        assert_eq!(r.exit_code, Some(0));
    }
}
