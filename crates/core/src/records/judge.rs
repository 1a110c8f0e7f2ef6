//! The opt-in LLM judge: ask a model how well a recorded session served the user's
//! goals and store its score (0.0–1.0), one-sentence reason and model name in the
//! record (`llm_judge_score`, `llm_judge_reason`, `llm_judge_model`, and the
//! `alignment` entry of `grades`, as gptme-sessions' `set_alignment_grade` does).
//!
//! Two wire formats, chosen by [`JudgeConfig::api`]: an OpenAI-compatible
//! `POST {base}/v1/chat/completions` (also local servers such as llama.cpp or
//! Ollama) and the Anthropic Messages API `POST {base}/v1/messages`. The API key is
//! read from the environment variable named in the config at call time and is never
//! written anywhere; `--dry-run` shows the request with the key redacted.
//!
//! The model sees the goals and a bounded summary of the session (its record fields,
//! the transcript's first prompt, counts, files written and deliverables, and an
//! excerpt of a Markdown journal if the record names one) — never more than
//! [`SUMMARY_MAX_CHARS`] characters. The answer must be a JSON object with `score`
//! and `reason`, bare or in a code fence; a number outside 0..1 is clamped. Unlike
//! the Python tool, an answer without a numeric `score` is an error rather than 0.5.

use std::time::Duration;

use serde_json::{json, Value};

use super::discover::read_facts;
use super::record::Record;

/// Longest transcript summary sent, in characters (the Python judge truncates its
/// journal text to the same length).
pub const SUMMARY_MAX_CHARS: usize = 4000;

/// The default judge model of gptme-sessions.
pub const DEFAULT_ANTHROPIC_MODEL: &str = "claude-haiku-4-5-20251001";
pub const DEFAULT_OPENAI_MODEL: &str = "gpt-4o-mini";

/// Goals used when the user gives none.
pub const DEFAULT_GOALS: &str = "1. Ship working, tested changes that the user asked for.\n2. Keep the codebase healthy (fix bugs, add tests, remove friction).\n3. Avoid busywork, thrashing and unrequested scope.";

const SYSTEM: &str = "You rate an AI coding agent's work session for how much it advanced the user's goals. \
Answer with only a JSON object with two keys: \"score\" (a number from 0.0 to 1.0) and \"reason\" (one sentence). \
Use the full range: 0.0 for no output, 0.1-0.3 for minimal or blocked sessions, 0.5 for low-impact work, \
0.7-0.8 for solid progress, 0.9+ only for exceptional, high-impact results.";

/// Which wire format the endpoint speaks.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum JudgeApi {
    OpenAi,
    Anthropic,
}

impl JudgeApi {
    pub fn parse(s: &str) -> Option<Self> {
        match s.to_ascii_lowercase().as_str() {
            "openai" | "openai-compatible" | "chat-completions" => Some(JudgeApi::OpenAi),
            "anthropic" | "messages" => Some(JudgeApi::Anthropic),
            _ => None,
        }
    }
}

/// Where and how to ask.
#[derive(Debug, Clone, PartialEq)]
pub struct JudgeConfig {
    pub api: JudgeApi,
    /// Scheme, host and optional path prefix, without `/v1/...`.
    pub base_url: String,
    pub model: String,
    /// Name of the environment variable holding the API key.
    pub api_key_env: String,
    pub timeout: Duration,
}

impl JudgeConfig {
    /// Settings from explicit choices, falling back to the environment:
    /// `SESSIONSCOPE_JUDGE_API`, `SESSIONSCOPE_JUDGE_BASE_URL`,
    /// `SESSIONSCOPE_JUDGE_MODEL`, `SESSIONSCOPE_JUDGE_API_KEY_ENV`; without any, the
    /// Anthropic API when `ANTHROPIC_API_KEY` is set, else OpenAI's.
    pub fn resolve(
        api: Option<JudgeApi>,
        base_url: Option<String>,
        model: Option<String>,
        api_key_env: Option<String>,
        env: impl Fn(&str) -> Option<String>,
    ) -> Self {
        let env_nonempty = |k: &str| env(k).filter(|v| !v.is_empty());
        let api = api
            .or_else(|| env_nonempty("SESSIONSCOPE_JUDGE_API").and_then(|s| JudgeApi::parse(&s)))
            .unwrap_or(
                if env_nonempty("ANTHROPIC_API_KEY").is_some()
                    || env_nonempty("OPENAI_API_KEY").is_none()
                {
                    JudgeApi::Anthropic
                } else {
                    JudgeApi::OpenAi
                },
            );
        let (default_base, default_model, default_key) = match api {
            JudgeApi::Anthropic => (
                "https://api.anthropic.com",
                DEFAULT_ANTHROPIC_MODEL,
                "ANTHROPIC_API_KEY",
            ),
            JudgeApi::OpenAi => (
                "https://api.openai.com",
                DEFAULT_OPENAI_MODEL,
                "OPENAI_API_KEY",
            ),
        };
        JudgeConfig {
            api,
            base_url: base_url
                .or_else(|| env_nonempty("SESSIONSCOPE_JUDGE_BASE_URL"))
                .unwrap_or_else(|| default_base.into())
                .trim_end_matches('/')
                .to_string(),
            model: model
                .or_else(|| env_nonempty("SESSIONSCOPE_JUDGE_MODEL"))
                .unwrap_or_else(|| default_model.into()),
            api_key_env: api_key_env
                .or_else(|| env_nonempty("SESSIONSCOPE_JUDGE_API_KEY_ENV"))
                .unwrap_or_else(|| default_key.into()),
            timeout: Duration::from_secs(60),
        }
    }

    fn url(&self) -> String {
        let base = self.base_url.trim_end_matches("/v1");
        match self.api {
            JudgeApi::OpenAi => format!("{base}/v1/chat/completions"),
            JudgeApi::Anthropic => format!("{base}/v1/messages"),
        }
    }
}

/// An HTTP request about to be sent (shown as is by `--dry-run`, key redacted).
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct JudgeRequest {
    pub url: String,
    /// Header names and values; the key's value is `<$ENV_VAR>` until sent.
    pub headers: Vec<(String, String)>,
    pub body: Value,
}

/// The judge's answer.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct Verdict {
    pub score: f64,
    pub reason: String,
    pub model: String,
}

#[derive(Debug, thiserror::Error)]
pub enum JudgeError {
    #[error("the API key variable {0} is not set")]
    MissingKey(String),
    #[error("the judge did not answer within {0:?}")]
    Timeout(Duration),
    #[error("the judge endpoint answered HTTP {status}: {body}")]
    Http { status: u16, body: String },
    #[error("could not reach the judge endpoint: {0}")]
    Transport(String),
    #[error("the judge's answer is not a usable verdict: {0}")]
    Malformed(String),
}

fn clip(s: &str, max: usize) -> String {
    if s.chars().count() <= max {
        return s.to_string();
    }
    let mut out: String = s.chars().take(max.saturating_sub(1)).collect();
    out.push('…');
    out
}

/// The `n` most recent records by timestamp (unparseable timestamps count as oldest),
/// oldest first.
pub fn latest(records: &[Record], n: usize) -> Vec<Record> {
    let mut sorted: Vec<&Record> = records.iter().collect();
    sorted.sort_by_key(|r| super::filter::parse_timestamp(&r.timestamp));
    let skip = sorted.len().saturating_sub(n);
    sorted.into_iter().skip(skip).cloned().collect()
}

/// Write verdicts into the records they belong to (by `session_id`), under the lock.
/// Returns how many records were updated.
pub fn store_verdicts(
    store: &super::Store,
    verdicts: &[(String, Verdict)],
) -> Result<usize, super::StoreError> {
    store.modify(|records| {
        let mut n = 0;
        for (id, v) in verdicts {
            if let Some(r) = records.iter_mut().find(|r| &r.session_id == id) {
                r.set_alignment_grade(v.score, Some(v.reason.clone()), &v.model);
                n += 1;
            }
        }
        Ok(n)
    })
}

/// A bounded summary of an autonomous session's journal entry for the judge (its
/// category and outcome, then the entry itself), as gptme-sessions judges entries.
pub fn journal_summary(text: &str, category: &str, outcome: &str) -> String {
    clip(
        &format!("Category: {category}\nOutcome: {outcome}\n\nJournal entry:\n{text}"),
        SUMMARY_MAX_CHARS,
    )
}

/// A bounded, plain-text summary of a session for the judge.
pub fn session_summary(r: &Record) -> String {
    let mut s = String::new();
    let opt = |v: &Option<String>| v.clone().unwrap_or_else(|| "unknown".into());
    s.push_str(&format!(
        "Session {} ({}; model {}; category {}; outcome {}; duration {}s)\n",
        r.session_id,
        opt(&r.harness),
        opt(&r.model),
        opt(&r.category),
        opt(&r.outcome),
        r.duration_seconds
    ));
    if let Some(p) = &r.project {
        s.push_str(&format!("Project: {p}\n"));
    }
    if !r.deliverables.is_empty() {
        s.push_str(&format!("Deliverables: {}\n", r.deliverables.join(", ")));
    }
    let facts = match (
        &r.trajectory_path,
        r.harness.as_deref().and_then(|h| h.parse().ok()),
    ) {
        (Some(p), Some(h)) => read_facts(h, std::path::Path::new(p)).ok(),
        _ => None,
    };
    if let Some(f) = facts {
        if let Some(t) = &f.title {
            s.push_str(&format!("Task: {}\n", clip(t, 500)));
        }
        s.push_str(&format!(
            "Messages: {} from the user, {} from the agent; {} tool calls ({} failed)\n",
            f.user_messages, f.assistant_messages, f.tool_calls, f.tool_errors
        ));
        if !f.files_written.is_empty() {
            let shown: Vec<&str> = f
                .files_written
                .iter()
                .take(20)
                .map(String::as_str)
                .collect();
            s.push_str(&format!(
                "Files written ({}): {}\n",
                f.files_written.len(),
                shown.join(", ")
            ));
        }
        if !f.deliverables.is_empty() && r.deliverables.is_empty() {
            s.push_str(&format!(
                "Commits and PRs seen: {}\n",
                f.deliverables.join(", ")
            ));
        }
    }
    if let Some(j) = r.journal_path.as_deref().filter(|j| j.ends_with(".md")) {
        if let Ok(text) = std::fs::read_to_string(j) {
            s.push_str("Journal:\n");
            s.push_str(&text);
        }
    }
    clip(&s, SUMMARY_MAX_CHARS)
}

/// The request for one session.
pub fn build_request(cfg: &JudgeConfig, goals: &str, summary: &str) -> JudgeRequest {
    let prompt = format!("## Goals (by priority)\n{goals}\n\n## Session\n{summary}\n");
    let key_placeholder = format!("<${}>", cfg.api_key_env);
    let (headers, body) = match cfg.api {
        JudgeApi::OpenAi => (
            vec![(
                "Authorization".to_string(),
                format!("Bearer {key_placeholder}"),
            )],
            json!({
                "model": cfg.model,
                "temperature": 0.3,
                "max_tokens": 200,
                "messages": [
                    {"role": "system", "content": SYSTEM},
                    {"role": "user", "content": prompt},
                ],
            }),
        ),
        JudgeApi::Anthropic => (
            vec![
                ("x-api-key".to_string(), key_placeholder),
                ("anthropic-version".to_string(), "2023-06-01".to_string()),
            ],
            json!({
                "model": cfg.model.strip_prefix("anthropic/").unwrap_or(&cfg.model),
                "max_tokens": 200,
                "temperature": 0.3,
                "system": SYSTEM,
                "messages": [{"role": "user", "content": prompt}],
            }),
        ),
    };
    JudgeRequest {
        url: cfg.url(),
        headers,
        body,
    }
}

/// Send the request with the key from the environment and parse the verdict.
pub fn send(
    cfg: &JudgeConfig,
    req: &JudgeRequest,
    env: impl Fn(&str) -> Option<String>,
) -> Result<Verdict, JudgeError> {
    let key = env(&cfg.api_key_env).filter(|k| !k.is_empty());
    // A local OpenAI-compatible server may need no key; the hosted APIs do.
    let key = match (key, cfg.api) {
        (Some(k), _) => Some(k),
        (None, JudgeApi::OpenAi) if !cfg.base_url.starts_with("https://api.") => None,
        (None, _) => return Err(JudgeError::MissingKey(cfg.api_key_env.clone())),
    };
    let agent: ureq::Agent = ureq::Agent::config_builder()
        .timeout_global(Some(cfg.timeout))
        .http_status_as_error(false)
        .build()
        .into();
    let placeholder = format!("<${}>", cfg.api_key_env);
    let mut call = agent.post(&req.url);
    for (name, value) in &req.headers {
        match &key {
            Some(k) => call = call.header(name, value.replace(&placeholder, k)),
            None if value.contains(&placeholder) => {}
            None => call = call.header(name, value),
        }
    }
    // A sized body (not chunked) is what small local servers handle best.
    let body = serde_json::to_vec(&req.body).unwrap_or_default();
    let mut resp = call
        .header("content-type", "application/json")
        .send(&body[..])
        .map_err(|e| match e {
            ureq::Error::Timeout(_) => JudgeError::Timeout(cfg.timeout),
            ureq::Error::Io(io) if io.kind() == std::io::ErrorKind::TimedOut => {
                JudgeError::Timeout(cfg.timeout)
            }
            other => JudgeError::Transport(other.to_string()),
        })?;
    let status = resp.status().as_u16();
    let text = resp.body_mut().read_to_string().map_err(|e| match e {
        ureq::Error::Timeout(_) => JudgeError::Timeout(cfg.timeout),
        other => JudgeError::Transport(other.to_string()),
    })?;
    if !(200..300).contains(&status) {
        return Err(JudgeError::Http {
            status,
            body: clip(&text, 300),
        });
    }
    let envelope: Value = serde_json::from_str(&text)
        .map_err(|e| JudgeError::Malformed(format!("response body: {e}")))?;
    let answer = match cfg.api {
        JudgeApi::OpenAi => envelope["choices"][0]["message"]["content"].as_str(),
        JudgeApi::Anthropic => envelope["content"]
            .as_array()
            .and_then(|blocks| blocks.iter().find_map(|b| b["text"].as_str())),
    }
    .ok_or_else(|| JudgeError::Malformed("no answer text in the response".into()))?;
    parse_answer(answer, &cfg.model)
}

/// Read `{"score": .., "reason": ..}` from a model's answer: bare, in a code fence,
/// after a `<think>` block, or embedded in prose.
pub fn parse_answer(text: &str, model: &str) -> Result<Verdict, JudgeError> {
    let mut t = text.trim();
    let without_think;
    if let (Some(a), Some(b)) = (t.find("<think>"), t.find("</think>")) {
        if a < b {
            without_think = format!("{}{}", &t[..a], &t[b + "</think>".len()..]);
            t = without_think.trim();
        }
    }
    if let Some(start) = t.find("```") {
        let after = &t[start + 3..];
        let after = after.strip_prefix("json").unwrap_or(after);
        if let Some(end) = after.find("```") {
            t = after[..end].trim();
        }
    }
    let t = t.strip_prefix("json").map(str::trim).unwrap_or(t);
    let value: Value = match serde_json::from_str(t) {
        Ok(v) => v,
        Err(_) => {
            let (Some(a), Some(b)) = (t.find('{'), t.rfind('}')) else {
                return Err(JudgeError::Malformed(clip(text, 200)));
            };
            if a >= b {
                return Err(JudgeError::Malformed(clip(text, 200)));
            }
            serde_json::from_str(&t[a..=b]).map_err(|_| JudgeError::Malformed(clip(text, 200)))?
        }
    };
    let score = match &value["score"] {
        Value::Number(n) => n.as_f64(),
        Value::String(s) => s.trim().parse::<f64>().ok(),
        _ => None,
    }
    .filter(|s| s.is_finite())
    .ok_or_else(|| JudgeError::Malformed(format!("no numeric score in {}", clip(text, 200))))?;
    let reason = match &value["reason"] {
        Value::String(s) => s.clone(),
        Value::Null => String::new(),
        other => other.to_string(),
    };
    Ok(Verdict {
        score: score.clamp(0.0, 1.0),
        reason,
        model: model.to_string(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn answers_bare_fenced_thinking_or_in_prose_parse() {
        let v = parse_answer(r#"{"score": 0.8, "reason": "Solid fix."}"#, "m").unwrap();
        assert_eq!((v.score, v.reason.as_str()), (0.8, "Solid fix."));
        let v = parse_answer(
            "```json\n{\"score\": 0.4, \"reason\": \"Small.\"}\n```",
            "m",
        )
        .unwrap();
        assert_eq!(v.score, 0.4);
        let v = parse_answer(
            "<think>hmm {no}</think>\n{\"score\": \"0.6\", \"reason\": \"ok\"}",
            "m",
        )
        .unwrap();
        assert_eq!(v.score, 0.6);
        let v = parse_answer("Here you go: {\"score\": 1.7, \"reason\": \"x\"} done", "m").unwrap();
        assert_eq!(v.score, 1.0);
        assert!(parse_answer("I think it was fine.", "m").is_err());
        assert!(parse_answer("{\"reason\": \"no score\"}", "m").is_err());
    }

    #[test]
    fn config_comes_from_flags_then_env_then_defaults() {
        let env = |k: &str| match k {
            "OPENAI_API_KEY" => Some("sk".to_string()),
            _ => None,
        };
        let c = JudgeConfig::resolve(None, None, None, None, env);
        assert_eq!(c.api, JudgeApi::OpenAi);
        assert_eq!(c.url(), "https://api.openai.com/v1/chat/completions");
        let c = JudgeConfig::resolve(
            Some(JudgeApi::Anthropic),
            Some("http://127.0.0.1:9/".into()),
            None,
            None,
            env,
        );
        assert_eq!(c.url(), "http://127.0.0.1:9/v1/messages");
        assert_eq!(c.model, DEFAULT_ANTHROPIC_MODEL);
        assert_eq!(c.api_key_env, "ANTHROPIC_API_KEY");
    }

    #[test]
    fn requests_never_contain_the_key_and_summaries_are_bounded() {
        let env = |_: &str| None;
        let c = JudgeConfig::resolve(
            Some(JudgeApi::OpenAi),
            None,
            None,
            Some("MY_KEY".into()),
            env,
        );
        let mut r = Record::new();
        r.deliverables = vec!["x".repeat(10_000)];
        let summary = session_summary(&r);
        assert!(summary.chars().count() <= SUMMARY_MAX_CHARS);
        let req = build_request(&c, DEFAULT_GOALS, &summary);
        assert_eq!(req.headers[0].1, "Bearer <$MY_KEY>");
        assert_eq!(req.body["messages"][1]["role"], "user");
    }

    /// A one-shot HTTP server on loopback: answers one request with `status` and
    /// `body` (after `delay`), and hands back the raw request it received.
    fn serve_once(
        status: u16,
        body: &'static str,
        delay: Duration,
    ) -> (String, std::thread::JoinHandle<String>) {
        use std::io::{Read, Write};
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let base = format!("http://{}", listener.local_addr().unwrap());
        let handle = std::thread::spawn(move || {
            let (mut sock, _) = listener.accept().unwrap();
            let mut req = Vec::new();
            let mut buf = [0u8; 4096];
            loop {
                let n = sock.read(&mut buf).unwrap_or(0);
                if n == 0 {
                    break;
                }
                req.extend_from_slice(&buf[..n]);
                let text = String::from_utf8_lossy(&req).to_string();
                if let Some(head_end) = text.find("\r\n\r\n") {
                    let len = text
                        .lines()
                        .find_map(|l| {
                            l.to_ascii_lowercase()
                                .strip_prefix("content-length:")
                                .map(|v| v.trim().parse::<usize>().unwrap_or(0))
                        })
                        .unwrap_or(0);
                    if req.len() >= head_end + 4 + len {
                        break;
                    }
                }
            }
            std::thread::sleep(delay);
            let reply = format!(
                "HTTP/1.1 {status} X\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
                body.len()
            );
            let _ = sock.write_all(reply.as_bytes());
            String::from_utf8_lossy(&req).to_string()
        });
        (base, handle)
    }

    fn cfg(api: JudgeApi, base: String) -> JudgeConfig {
        let mut c = JudgeConfig::resolve(
            Some(api),
            Some(base),
            Some("judge-model".into()),
            Some("TEST_JUDGE_KEY".into()),
            |_| None,
        );
        c.timeout = Duration::from_millis(800);
        c
    }

    fn key(k: &str) -> Option<String> {
        (k == "TEST_JUDGE_KEY").then(|| "sekrit".to_string())
    }

    #[test]
    fn openai_compatible_endpoint_round_trip() {
        let (base, server) = serve_once(
            200,
            r#"{"choices":[{"message":{"role":"assistant","content":"```json\n{\"score\": 0.7, \"reason\": \"Fixed the bug.\"}\n```"}}]}"#,
            Duration::ZERO,
        );
        let c = cfg(JudgeApi::OpenAi, base);
        let v = send(&c, &build_request(&c, "g", "s"), key).unwrap();
        assert_eq!(
            v,
            Verdict {
                score: 0.7,
                reason: "Fixed the bug.".into(),
                model: "judge-model".into()
            }
        );
        let req = server.join().unwrap();
        assert!(req.starts_with("POST /v1/chat/completions "));
        assert!(req
            .to_ascii_lowercase()
            .contains("authorization: bearer sekrit"));
        assert!(req.contains("\"model\":\"judge-model\""));
    }

    #[test]
    fn anthropic_messages_endpoint_round_trip() {
        let (base, server) = serve_once(
            200,
            r#"{"content":[{"type":"text","text":"{\"score\": 0.2, \"reason\": \"Blocked.\"}"}]}"#,
            Duration::ZERO,
        );
        let c = cfg(JudgeApi::Anthropic, base);
        let v = send(&c, &build_request(&c, "g", "s"), key).unwrap();
        assert_eq!(v.score, 0.2);
        let req = server.join().unwrap().to_ascii_lowercase();
        assert!(req.starts_with("post /v1/messages "));
        assert!(req.contains("x-api-key: sekrit"));
        assert!(req.contains("anthropic-version: 2023-06-01"));
    }

    #[test]
    fn malformed_answer_is_an_error() {
        let (base, server) = serve_once(
            200,
            r#"{"choices":[{"message":{"content":"Great session, ten out of ten!"}}]}"#,
            Duration::ZERO,
        );
        let c = cfg(JudgeApi::OpenAi, base);
        let e = send(&c, &build_request(&c, "g", "s"), key).unwrap_err();
        assert!(matches!(e, JudgeError::Malformed(_)), "{e}");
        server.join().unwrap();
    }

    #[test]
    fn server_error_is_reported_with_its_status() {
        let (base, server) = serve_once(500, r#"{"error":"overloaded"}"#, Duration::ZERO);
        let c = cfg(JudgeApi::OpenAi, base);
        let e = send(&c, &build_request(&c, "g", "s"), key).unwrap_err();
        assert!(matches!(e, JudgeError::Http { status: 500, .. }), "{e}");
        server.join().unwrap();
    }

    #[test]
    fn a_slow_endpoint_times_out() {
        let (base, server) = serve_once(200, "{}", Duration::from_millis(1500));
        let c = cfg(JudgeApi::OpenAi, base);
        let e = send(&c, &build_request(&c, "g", "s"), key).unwrap_err();
        assert!(matches!(e, JudgeError::Timeout(_)), "{e}");
        server.join().unwrap();
    }

    #[test]
    fn a_hosted_api_without_its_key_is_refused_before_any_request() {
        let c = JudgeConfig::resolve(
            Some(JudgeApi::Anthropic),
            None,
            None,
            Some("ABSENT_KEY".into()),
            |_| None,
        );
        let e = send(&c, &build_request(&c, "g", "s"), |_| None).unwrap_err();
        assert!(matches!(e, JudgeError::MissingKey(ref k) if k == "ABSENT_KEY"));
    }
}
