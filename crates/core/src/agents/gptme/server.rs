//! A client of a user-configured gptme-server: list its live sessions and delete
//! (kill) one. Sessionscope is only ever the client; it opens no port of its own.
//!
//! The JSON shapes follow gptme's source (`gptme/server/api_v2.py`,
//! `api_sessions_list` and `api_session_delete`), which is more precise than
//! shared/formats.md: `GET /api/v2/sessions` answers a bare JSON *array* (not an object
//! wrapping it) of `{id, conversation_id, model (null when unknown), message_count,
//! generating, elapsed_seconds (a float, null unless generating), created_at,
//! last_activity}`, the times being Python `isoformat()` strings (`+00:00` offset, may
//! lack one in old versions: read as UTC). `DELETE /api/v2/sessions/<id>` answers
//! `{"status": "ok", ...}`, or 404 `{"error": "Session not found: <id>"}`. Auth is on
//! unless the server sets `GPTME_DISABLE_AUTH`; the token goes in
//! `Authorization: Bearer <token>` (401 otherwise). gptme reads it from
//! `GPTME_SERVER_TOKEN` and generates a random one when that is unset, so the user must
//! export the same variable for Sessionscope (our default `token_env`). A 403 comes
//! from gptme's Host-header check, not from the token.
//!
//! Fields that are missing or of the wrong type become `None`/0 rather than errors: a
//! newer server must not make the list disappear. This module never retries.
//!
//! `GET /api/v2/server/health` needs no token (gptme#3701: probes carry none) and
//! answers `{session_count, generating_count, idle_count, health: green|yellow|red,
//! slots}`; [`snapshot`] asks it beside the list, so a server that wants a token still
//! shows its counts, and a 401 reads as "token needed", not as an outage.

use std::time::Duration;

use chrono::{DateTime, NaiveDateTime, Utc};
use serde::Deserialize;
use serde_json::Value;

use crate::model::{GptmeServerSettings, ServerHealth, ServerSession, ServerSessions};

/// Why a request to the server did not give an answer.
#[derive(Debug, thiserror::Error)]
pub enum ServerError {
    #[error("could not reach gptme-server at {url}: {reason}")]
    Unreachable { url: String, reason: String },
    #[error(
        "token needed: gptme-server asks for its bearer token even on loopback; start \
         Sessionscope with ${token_env} set to the token the server uses (HTTP {status})"
    )]
    Unauthorized { status: u16, token_env: String },
    #[error("gptme-server has no session {0}")]
    NotFound(String),
    #[error("gptme-server answered HTTP {status}: {body}")]
    Status { status: u16, body: String },
    #[error("gptme-server sent an answer that is not a session list: {0}")]
    BadAnswer(String),
}

/// A blocking client of one gptme-server.
#[derive(Debug, Clone)]
pub struct GptmeServerClient {
    base_url: String,
    token: Option<String>,
    token_env: String,
    agent: ureq::Agent,
}

impl GptmeServerClient {
    /// A client for `base_url` (`http://127.0.0.1:5700`), with an optional token.
    pub fn new(base_url: &str, token: Option<String>) -> Self {
        let agent = ureq::Agent::config_builder()
            .timeout_global(Some(Duration::from_secs(5)))
            .http_status_as_error(false)
            .build()
            .into();
        GptmeServerClient {
            base_url: base_url.trim().trim_end_matches('/').to_string(),
            token: token.filter(|t| !t.trim().is_empty()),
            token_env: GptmeServerSettings::default().token_env,
            agent,
        }
    }

    /// The client the settings describe, the token read from their environment
    /// variable; `None` when no server is configured.
    pub fn from_settings(settings: &GptmeServerSettings) -> Option<Self> {
        let url = settings
            .base_url
            .as_deref()
            .filter(|u| !u.trim().is_empty())?;
        let token = std::env::var(&settings.token_env).ok();
        let mut client = GptmeServerClient::new(url, token);
        client.token_env = settings.token_env.clone();
        Some(client)
    }

    pub fn base_url(&self) -> &str {
        &self.base_url
    }

    fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base_url)
    }

    fn send<B>(
        &self,
        req: ureq::RequestBuilder<B>,
        url: &str,
        call: impl FnOnce(
            ureq::RequestBuilder<B>,
        ) -> Result<ureq::http::Response<ureq::Body>, ureq::Error>,
    ) -> Result<(u16, String), ServerError> {
        let req = match &self.token {
            Some(t) => req.header("Authorization", format!("Bearer {t}")),
            None => req,
        };
        let mut resp = call(req).map_err(|e| ServerError::Unreachable {
            url: url.to_string(),
            reason: e.to_string(),
        })?;
        let status = resp.status().as_u16();
        let body = resp
            .body_mut()
            .with_config()
            .limit(32 * 1024 * 1024)
            .read_to_string()
            .unwrap_or_default();
        // 403 is gptme's Host-header check (DNS-rebinding guard), not the token: its
        // body says what to allow, so it is passed on as it is.
        if status == 401 {
            return Err(ServerError::Unauthorized {
                status,
                token_env: self.token_env.clone(),
            });
        }
        Ok((status, body))
    }

    /// `GET /api/v2/sessions`.
    pub fn sessions(&self) -> Result<Vec<ServerSession>, ServerError> {
        let url = self.url("/api/v2/sessions");
        let (status, body) = self.send(self.agent.get(&url), &url, |r| r.call())?;
        if status != 200 {
            return Err(ServerError::Status {
                status,
                body: clip(&body),
            });
        }
        parse_sessions(&body)
    }

    /// `GET /api/v2/server/health`: the counts, without a token.
    pub fn health(&self) -> Result<ServerHealth, ServerError> {
        let url = self.url("/api/v2/server/health");
        let (status, body) = self.send(self.agent.get(&url), &url, |r| r.call())?;
        if status != 200 {
            return Err(ServerError::Status {
                status,
                body: clip(&body),
            });
        }
        parse_health(&body)
    }

    /// `DELETE /api/v2/sessions/{id}`: interrupts its generation and removes it.
    pub fn delete_session(&self, id: &str) -> Result<(), ServerError> {
        let url = self.url(&format!("/api/v2/sessions/{}", encode_segment(id)));
        let (status, body) = self.send(self.agent.delete(&url), &url, |r| r.call())?;
        match status {
            200..=299 => Ok(()),
            404 => Err(ServerError::NotFound(id.to_string())),
            _ => Err(ServerError::Status {
                status,
                body: clip(&body),
            }),
        }
    }
}

fn clip(body: &str) -> String {
    body.chars().take(300).collect()
}

/// Percent-encode everything but unreserved characters, so an id cannot change the path.
fn encode_segment(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b'~') {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// What the app shows now: the health counts and the sessions, each asked once.
pub fn snapshot(client: &GptmeServerClient) -> ServerSessions {
    let asked = Utc::now();
    let (sessions, error, token_needed) = match client.sessions() {
        Ok(list) => (list, None, false),
        Err(e) => {
            let token = matches!(e, ServerError::Unauthorized { .. });
            (Vec::new(), Some(e.to_string()), token)
        }
    };
    // A server older than the health endpoint still gets the counts the /admin panel
    // shows, from its list of sessions.
    let health = client
        .health()
        .ok()
        .or_else(|| error.is_none().then(|| health_of(&sessions)));
    ServerSessions {
        base_url: Some(client.base_url().to_string()),
        sessions,
        error,
        token_needed,
        health,
        updated_at: Some(asked),
    }
}

/// Parse the body of `GET /api/v2/server/health`; counts that are missing are
/// worked out from the others, and a level the server does not name from the counts.
pub fn parse_health(body: &str) -> Result<ServerHealth, ServerError> {
    let v: Value = serde_json::from_str(body).map_err(|e| ServerError::BadAnswer(e.to_string()))?;
    if !v.is_object() {
        return Err(ServerError::BadAnswer(
            "the health answer is not an object".into(),
        ));
    }
    let count = |k: &str| {
        v.get(k)
            .and_then(Value::as_u64)
            .map(|n| n.min(u32::MAX as u64) as u32)
    };
    let total = count("session_count").unwrap_or(0);
    let generating = count("generating_count").unwrap_or(0).min(total);
    let idle = count("idle_count").unwrap_or(total - generating);
    let level = match v.get("health").and_then(Value::as_str) {
        Some(l @ ("green" | "yellow" | "red")) => l.to_string(),
        _ => level_of(generating, total).into(),
    };
    Ok(ServerHealth {
        session_count: total,
        generating_count: generating,
        idle_count: idle,
        level,
    })
}

/// The server's level for its counts: green when nothing generates, red when every
/// session does, yellow between.
fn level_of(generating: u32, total: u32) -> &'static str {
    match generating {
        0 => "green",
        g if g < total => "yellow",
        _ => "red",
    }
}

/// The counts and level of a list of sessions, as the health endpoint would give them.
pub fn health_of(sessions: &[ServerSession]) -> ServerHealth {
    let total = sessions.len().min(u32::MAX as usize) as u32;
    let generating = sessions.iter().filter(|s| s.generating).count() as u32;
    ServerHealth {
        session_count: total,
        generating_count: generating,
        idle_count: total - generating,
        level: level_of(generating, total).into(),
    }
}

/// Parse the body of `GET /api/v2/sessions`. Entries without an id are skipped.
pub fn parse_sessions(body: &str) -> Result<Vec<ServerSession>, ServerError> {
    #[derive(Deserialize)]
    #[serde(untagged)]
    enum Shape {
        List(Vec<Value>),
        // Tolerate a wrapped list, in case a future server returns {"sessions": [...]}.
        Wrapped { sessions: Vec<Value> },
    }
    let items = match serde_json::from_str::<Shape>(body) {
        Ok(Shape::List(v)) | Ok(Shape::Wrapped { sessions: v }) => v,
        Err(e) => return Err(ServerError::BadAnswer(e.to_string())),
    };
    Ok(items.iter().filter_map(session_from).collect())
}

fn session_from(v: &Value) -> Option<ServerSession> {
    let text = |k: &str| v.get(k).and_then(Value::as_str).map(str::to_string);
    Some(ServerSession {
        id: text("id").filter(|s| !s.is_empty())?,
        conversation_id: text("conversation_id"),
        model: text("model"),
        message_count: v
            .get("message_count")
            .and_then(Value::as_u64)
            .map_or(0, |n| n.min(u32::MAX as u64) as u32),
        generating: v
            .get("generating")
            .and_then(Value::as_bool)
            .unwrap_or(false),
        elapsed_seconds: v.get("elapsed_seconds").and_then(Value::as_f64),
        created_at: v
            .get("created_at")
            .and_then(Value::as_str)
            .and_then(parse_time),
        last_activity: v
            .get("last_activity")
            .and_then(Value::as_str)
            .and_then(parse_time),
    })
}

/// Python `isoformat()`: with an offset (`+00:00`), or naive (taken as UTC).
fn parse_time(s: &str) -> Option<DateTime<Utc>> {
    DateTime::parse_from_rfc3339(s)
        .map(|t| t.with_timezone(&Utc))
        .ok()
        .or_else(|| {
            NaiveDateTime::parse_from_str(s, "%Y-%m-%dT%H:%M:%S%.f")
                .ok()
                .map(|n| n.and_utc())
        })
}

/// A tiny gptme-server stand-in for tests (also used by `kill`'s tests).
#[cfg(test)]
pub(crate) mod test_server {
    use serde_json::Value;
    use std::io::{BufRead, BufReader, Read, Write};
    use std::net::TcpListener;
    use std::sync::{Arc, Mutex};

    /// What the test server saw: method, path and Authorization header of each request.
    pub(crate) type Seen = Arc<Mutex<Vec<(String, String, Option<String>)>>>;

    /// A tiny gptme-server stand-in on 127.0.0.1 with the two endpoints, holding
    /// `sessions` in memory; `token` turns auth on.
    pub(crate) fn serve(sessions: Vec<Value>, token: Option<&str>) -> (String, Seen) {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let url = format!("http://{}", listener.local_addr().unwrap());
        let seen: Seen = Arc::default();
        let seen2 = seen.clone();
        let token = token.map(str::to_string);
        std::thread::spawn(move || {
            let mut sessions = sessions;
            for stream in listener.incoming() {
                let Ok(mut stream) = stream else { continue };
                let mut reader = BufReader::new(stream.try_clone().unwrap());
                let mut request_line = String::new();
                if reader.read_line(&mut request_line).is_err() {
                    continue;
                }
                let mut auth = None;
                let mut content_length = 0usize;
                loop {
                    let mut h = String::new();
                    if reader.read_line(&mut h).unwrap_or(0) == 0 || h.trim().is_empty() {
                        break;
                    }
                    let (k, v) = h.split_once(':').unwrap_or((&h, ""));
                    if k.eq_ignore_ascii_case("authorization") {
                        auth = Some(v.trim().to_string());
                    } else if k.eq_ignore_ascii_case("content-length") {
                        content_length = v.trim().parse().unwrap_or(0);
                    }
                }
                let mut body = vec![0; content_length];
                let _ = reader.read_exact(&mut body);
                let mut parts = request_line.split_whitespace();
                let method = parts.next().unwrap_or("").to_string();
                let path = parts.next().unwrap_or("").to_string();
                seen2
                    .lock()
                    .unwrap()
                    .push((method.clone(), path.clone(), auth.clone()));
                let authorized = match &token {
                    Some(t) => auth.as_deref() == Some(&format!("Bearer {t}")),
                    None => true,
                };
                let (status, body) = if method == "GET" && path == "/api/v2/server/health" {
                    let generating = sessions.iter().filter(|s| s["generating"] == true).count();
                    let level = match generating {
                        0 => "green",
                        g if g < sessions.len() => "yellow",
                        _ => "red",
                    };
                    (
                        "200 OK",
                        serde_json::json!({"session_count": sessions.len(),
                            "generating_count": generating,
                            "idle_count": sessions.len() - generating,
                            "health": level, "slots": []})
                        .to_string(),
                    )
                } else if !authorized {
                    (
                        "401 UNAUTHORIZED",
                        r#"{"error":"Unauthorized"}"#.to_string(),
                    )
                } else if method == "GET" && path == "/api/v2/sessions" {
                    ("200 OK", Value::Array(sessions.clone()).to_string())
                } else if method == "DELETE" && path.starts_with("/api/v2/sessions/") {
                    let id = &path["/api/v2/sessions/".len()..];
                    let before = sessions.len();
                    sessions.retain(|s| s["id"] != id);
                    if sessions.len() < before {
                        (
                            "200 OK",
                            format!(r#"{{"status":"ok","message":"Session {id} deleted"}}"#),
                        )
                    } else {
                        (
                            "404 NOT FOUND",
                            format!(r#"{{"error":"Session not found: {id}"}}"#),
                        )
                    }
                } else {
                    ("404 NOT FOUND", "{}".to_string())
                };
                let _ = write!(
                    stream,
                    "HTTP/1.1 {status}\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
                    body.len()
                );
            }
        });
        (url, seen)
    }
}

#[cfg(test)]
mod tests {
    use super::test_server::serve;
    use super::*;
    use std::net::TcpListener;

    fn real_shaped() -> Vec<Value> {
        // As gptme's api_sessions_list builds it.
        vec![
            serde_json::json!({
                "id": "6f1c2a9e-4b7d-4e0a-9c1f-2d3e4f5a6b7c",
                "conversation_id": "2026-01-14-fix-the-tests",
                "model": "anthropic/claude-sonnet-4-5",
                "message_count": 12,
                "generating": true,
                "elapsed_seconds": 3.5,
                "created_at": "2026-01-14T09:00:00.123456+00:00",
                "last_activity": "2026-01-14T09:05:30+00:00"
            }),
            serde_json::json!({
                "id": "0a0b0c0d-0000-4000-8000-000000000001",
                "conversation_id": "2026-01-14-idle-one",
                "model": null,
                "message_count": 0,
                "generating": false,
                "elapsed_seconds": null,
                "created_at": "2026-01-14T08:00:00",
                "last_activity": "2026-01-14T08:00:00"
            }),
        ]
    }

    #[test]
    fn lists_sessions_with_the_real_json_shape() {
        let (url, seen) = serve(real_shaped(), None);
        let client = GptmeServerClient::new(&format!("{url}/"), None);
        let sessions = client.sessions().unwrap();
        assert_eq!(sessions.len(), 2);
        let s = &sessions[0];
        assert_eq!(s.id, "6f1c2a9e-4b7d-4e0a-9c1f-2d3e4f5a6b7c");
        assert_eq!(
            s.conversation_id.as_deref(),
            Some("2026-01-14-fix-the-tests")
        );
        assert_eq!(s.model.as_deref(), Some("anthropic/claude-sonnet-4-5"));
        assert_eq!((s.message_count, s.generating), (12, true));
        assert_eq!(s.elapsed_seconds, Some(3.5));
        assert_eq!(
            s.created_at.unwrap().to_rfc3339(),
            "2026-01-14T09:00:00.123456+00:00"
        );
        let idle = &sessions[1];
        assert_eq!((idle.model.as_deref(), idle.elapsed_seconds), (None, None));
        assert_eq!(
            idle.last_activity.unwrap().to_rfc3339(),
            "2026-01-14T08:00:00+00:00",
            "a naive time is read as UTC"
        );
        assert_eq!(seen.lock().unwrap()[0].2, None, "no token, no header");
    }

    #[test]
    fn delete_removes_the_session_and_unknown_ids_are_not_found() {
        let (url, _) = serve(real_shaped(), None);
        let client = GptmeServerClient::new(&url, None);
        client
            .delete_session("6f1c2a9e-4b7d-4e0a-9c1f-2d3e4f5a6b7c")
            .unwrap();
        let left: Vec<String> = client
            .sessions()
            .unwrap()
            .into_iter()
            .map(|s| s.id)
            .collect();
        assert_eq!(left, vec!["0a0b0c0d-0000-4000-8000-000000000001"]);
        assert!(matches!(
            client.delete_session("6f1c2a9e-4b7d-4e0a-9c1f-2d3e4f5a6b7c"),
            Err(ServerError::NotFound(_))
        ));
    }

    #[test]
    fn the_bearer_token_is_sent_and_a_wrong_one_is_reported() {
        let (url, seen) = serve(real_shaped(), Some("s3cret"));
        let good = GptmeServerClient::new(&url, Some("s3cret".into()));
        assert_eq!(good.sessions().unwrap().len(), 2);
        assert_eq!(seen.lock().unwrap()[0].2.as_deref(), Some("Bearer s3cret"));
        let bad = GptmeServerClient::new(&url, Some("nope".into()));
        assert!(matches!(
            bad.sessions(),
            Err(ServerError::Unauthorized { status: 401, .. })
        ));
    }

    #[test]
    fn a_server_that_wants_its_token_still_shows_its_counts() {
        let (url, _) = serve(real_shaped(), Some("right"));
        let before = Utc::now();
        let view = snapshot(&GptmeServerClient::new(&url, None));
        assert!(view.token_needed);
        assert!(view.sessions.is_empty());
        let error = view.error.unwrap();
        assert!(error.starts_with("token needed"), "{error}");
        assert!(error.contains("$GPTME_SERVER_TOKEN"), "{error}");
        let health = view.health.expect("health needs no token");
        assert_eq!(health.session_count, 2);
        assert_eq!((health.generating_count, health.idle_count), (1, 1));
        assert_eq!(health.level, "yellow");
        assert!(view
            .updated_at
            .is_some_and(|t| t >= before && t <= Utc::now()));

        let ok = snapshot(&GptmeServerClient::new(&url, Some("right".into())));
        assert!(!ok.token_needed);
        assert_eq!(ok.error, None);
        assert_eq!(ok.sessions.len(), 2);
    }

    #[test]
    fn health_levels_follow_the_counts_when_the_server_does_not_say() {
        let h = parse_health(r#"{"session_count": 3, "generating_count": 3}"#).unwrap();
        assert_eq!((h.idle_count, h.level.as_str()), (0, "red"));
        let h = parse_health(r#"{"session_count": 0, "health": "purple"}"#).unwrap();
        assert_eq!(h.level, "green");
        let h = parse_health(r#"{"session_count": 1, "generating_count": 9}"#).unwrap();
        assert_eq!(h.generating_count, 1, "never more generating than sessions");
        assert!(parse_health("[]").is_err());
        assert!(parse_health("not json").is_err());
    }

    #[test]
    fn without_a_health_endpoint_the_counts_come_from_the_sessions() {
        let list = parse_sessions(&Value::Array(real_shaped()).to_string()).unwrap();
        let h = health_of(&list);
        assert_eq!(
            h,
            parse_health(
                &serde_json::json!({"session_count": 2, "generating_count": 1}).to_string()
            )
            .unwrap()
        );
        assert_eq!((h.idle_count, h.level.as_str()), (1, "yellow"));
        assert_eq!(health_of(&[]).level, "green");
    }

    #[test]
    fn an_unreachable_server_has_no_health_and_says_so() {
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let view = snapshot(&GptmeServerClient::new(
            &format!("http://127.0.0.1:{port}"),
            None,
        ));
        assert!(!view.token_needed);
        assert!(view.health.is_none());
        assert!(view.error.unwrap().starts_with("could not reach"));
    }

    #[test]
    fn ids_cannot_escape_the_path() {
        let (url, seen) = serve(vec![], None);
        let client = GptmeServerClient::new(&url, None);
        let _ = client.delete_session("../../conversations/x");
        assert_eq!(
            seen.lock().unwrap()[0].1,
            "/api/v2/sessions/..%2F..%2Fconversations%2Fx"
        );
    }

    #[test]
    fn odd_answers_do_not_panic() {
        assert!(parse_sessions("").is_err());
        assert!(parse_sessions("{\"error\": 1}").is_err());
        assert_eq!(parse_sessions("[]").unwrap(), vec![]);
        let odd = parse_sessions(
            r#"[{"id": 5}, {"id": "x", "message_count": "many", "generating": "yes", "created_at": "yesterday"}, 7]"#,
        )
        .unwrap();
        assert_eq!(odd.len(), 1);
        assert_eq!(
            (odd[0].message_count, odd[0].generating, odd[0].created_at),
            (0, false, None)
        );
        let wrapped = parse_sessions(r#"{"sessions": [{"id": "w"}]}"#).unwrap();
        assert_eq!(wrapped[0].id, "w");
    }

    #[test]
    fn an_unreachable_server_is_an_error_not_a_hang() {
        // Bind then drop: nothing listens on that port any more.
        let port = TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let client = GptmeServerClient::new(&format!("http://127.0.0.1:{port}"), None);
        assert!(matches!(
            client.sessions(),
            Err(ServerError::Unreachable { .. })
        ));
    }
}
