//! The live loop picks up changes of the non-append-only sources too: a Gemini chat
//! rewritten whole, and a row committed to opencode's database, each reach the
//! listener as a change of the right session, through the real file watcher.

use std::sync::mpsc;
use std::time::{Duration, Instant};

use sessionscope_core::agents::HarnessRoot;
use sessionscope_core::model::{Harness, SessionChange};
use sessionscope_core::sessions::live::LiveSessions;

fn wait_for(rx: &mpsc::Receiver<SessionChange>, what: impl Fn(&SessionChange) -> bool) -> bool {
    let deadline = Instant::now() + Duration::from_secs(10);
    while Instant::now() < deadline {
        if let Ok(c) = rx.recv_timeout(Duration::from_millis(100)) {
            if what(&c) {
                return true;
            }
        }
    }
    false
}

#[test]
fn a_rewritten_gemini_json_chat_is_pushed() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().canonicalize().unwrap();
    let chats = root.join("abc").join("chats");
    std::fs::create_dir_all(&chats).unwrap();
    let file = chats.join("session-2026-11-25T10-00-aaaa.json");
    std::fs::write(
        &file,
        r#"{"sessionId":"g1","projectHash":"abc","messages":[]}"#,
    )
    .unwrap();
    let (tx, rx) = mpsc::channel();
    let live = LiveSessions::start(
        vec![HarnessRoot {
            harness: Harness::Gemini,
            path: root,
        }],
        move |c, _counts| {
            let _ = tx.send(c);
        },
    );
    assert_eq!(live.sessions().len(), 1);
    // Gemini rewrites the whole file (write to a temp file, rename over).
    let tmp = chats.join(".tmp");
    std::fs::write(&tmp, r#"{"sessionId":"g1","projectHash":"abc","messages":[{"id":"a","type":"user","content":"hello","timestamp":"2026-11-25T10:00:01Z"}]}"#).unwrap();
    std::fs::rename(&tmp, &file).unwrap();
    assert!(
        wait_for(&rx, |c| c
            .upserted
            .iter()
            .any(|s| s.id == "g1" && s.user_messages == 1)),
        "the rewritten chat reached the listener"
    );
}

#[test]
fn an_opencode_database_commit_is_pushed() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().canonicalize().unwrap();
    let conn = rusqlite::Connection::open(root.join("opencode.db")).unwrap();
    conn.execute_batch(
        "CREATE TABLE session (id TEXT, parent_id TEXT, directory TEXT, title TEXT, time_created INTEGER, time_updated INTEGER);
         CREATE TABLE message (id TEXT, session_id TEXT, time_created INTEGER, time_updated INTEGER, data TEXT);
         CREATE TABLE part (id TEXT, message_id TEXT, session_id TEXT, time_created INTEGER, time_updated INTEGER, data TEXT);
         INSERT INTO session VALUES ('ses_1', NULL, '/w', 'New session - 1970-01-01T00:00:01.000Z', 1000, 1000);",
    )
    .unwrap();
    let (tx, rx) = mpsc::channel();
    let live = LiveSessions::start(
        vec![HarnessRoot {
            harness: Harness::Opencode,
            path: root,
        }],
        move |c, _counts| {
            let _ = tx.send(c);
        },
    );
    assert_eq!(live.sessions().len(), 1);
    conn.execute_batch(
        "INSERT INTO message VALUES ('m1', 'ses_1', 2000, 2000, '{\"role\":\"user\",\"time\":{\"created\":2000}}');
         INSERT INTO part VALUES ('p1', 'm1', 'ses_1', 2000, 2000, '{\"type\":\"text\",\"text\":\"add tests\"}');
         UPDATE session SET time_updated = 2000 WHERE id = 'ses_1';",
    )
    .unwrap();
    assert!(
        wait_for(&rx, |c| c.upserted.iter().any(
            |s| s.id == "ses_1" && s.title.as_deref() == Some("add tests")
        )),
        "the committed prompt reached the listener"
    );
}
