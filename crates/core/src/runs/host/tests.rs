//! The host and Sessionscope's side of it, joined by pipes in one process (the same
//! code runs as two processes on Windows): output and keys cross, the exit code comes
//! back, and after a hand-over or a crash of Sessionscope the output goes on into the
//! log, in order, nothing twice.

use std::io::{BufReader, Read, Write};
use std::path::Path;
use std::thread;
use std::time::{Duration, Instant};

use super::frames::HostSpec;
use super::{connect, serve, Hosted, HostedMaster};
use portable_pty::MasterPty;

fn spec(script: &str, log: &Path) -> HostSpec {
    HostSpec {
        command: script.into(),
        cwd: None,
        env: vec![("GREETING".into(), "hi".into())],
        rows: 24,
        cols: 80,
        log: log.to_string_lossy().into_owned(),
    }
}

/// A host serving in a thread, and Sessionscope's side connected to it.
fn hosted(spec: HostSpec) -> (Hosted, thread::JoinHandle<u32>) {
    let (cmd_r, cmd_w) = std::io::pipe().unwrap();
    let (out_r, out_w) = std::io::pipe().unwrap();
    let (ev_r, mut ev_w) = std::io::pipe().unwrap();
    let host = thread::spawn(move || serve::serve(cmd_r, out_w, &mut ev_w));
    let h = connect(
        Box::new(cmd_w),
        Box::new(out_r),
        Box::new(BufReader::new(ev_r)),
        None,
        spec,
    )
    .unwrap();
    (h, host)
}

/// Read the run's output the way the supervisor does: into the log, until the end.
fn pump(mut reader: Box<dyn Read + Send>, log: &Path) -> thread::JoinHandle<String> {
    let mut file = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(log)
        .unwrap();
    thread::spawn(move || {
        let mut seen = Vec::new();
        let mut buf = [0u8; 4096];
        while let Ok(n @ 1..) = reader.read(&mut buf) {
            file.write_all(&buf[..n]).unwrap();
            seen.extend_from_slice(&buf[..n]);
        }
        String::from_utf8_lossy(&seen).into_owned()
    })
}

fn wait_for(what: &str, mut done: impl FnMut() -> bool) {
    let deadline = Instant::now() + Duration::from_secs(20);
    while !done() {
        assert!(Instant::now() < deadline, "timed out waiting for {what}");
        thread::sleep(Duration::from_millis(20));
    }
}

#[test]
fn output_and_keys_cross_and_the_exit_code_comes_back() {
    let dir = tempfile::tempdir().unwrap();
    let log = dir.path().join("r.log");
    let (mut h, host) = hosted(spec(
        "echo ready $GREETING; read line; echo got:$line; exit 3",
        &log,
    ));
    assert!(crate::procs::is_alive(h.pid), "the PID is the run's");
    let mut reader = h.reader;
    let mut seen = String::new();
    let mut buf = [0u8; 4096];
    while !seen.contains("ready hi") {
        let n = reader.read(&mut buf).unwrap();
        assert!(n > 0, "output ended early: {seen:?}");
        seen.push_str(&String::from_utf8_lossy(&buf[..n]));
    }
    h.master
        .resize(portable_pty::PtySize {
            rows: 40,
            cols: 100,
            pixel_width: 0,
            pixel_height: 0,
        })
        .unwrap();
    assert_eq!(h.master.get_size().unwrap().cols, 100);
    h.input.write_all(b"hello\r").unwrap();
    let out = pump(reader, &log).join().unwrap();
    assert!(out.contains("got:hello"), "{out:?}");
    assert_eq!(h.child.wait().unwrap().exit_code(), 3);
    assert_eq!(host.join().unwrap(), 3);
    assert_eq!(h.child.process_id(), Some(h.pid));
}

#[test]
fn after_a_hand_over_the_host_writes_the_log_in_order_and_nothing_twice() {
    let dir = tempfile::tempdir().unwrap();
    let log = dir.path().join("r.log");
    let script = "for i in 1 2 3 4 5 6 7 8; do echo line-$i; sleep 0.2; done";
    let (mut h, host) = hosted(spec(script, &log));
    let reader = pump(h.reader, &log);
    wait_for("the first lines", || {
        std::fs::read_to_string(&log).is_ok_and(|t| t.contains("line-2"))
    });
    let master: &dyn MasterPty = &*h.master;
    let master = master.downcast_ref::<HostedMaster>().unwrap();
    master.detach(Duration::from_secs(2)).unwrap();
    let before = reader.join().unwrap();
    assert!(!before.contains("line-8"), "handed over before the end");
    assert!(
        h.input.write_all(b"x").is_err(),
        "no keys after the hand-over"
    );
    assert_eq!(h.child.wait().unwrap().exit_code(), 0);
    assert_eq!(host.join().unwrap(), 0);
    let text = std::fs::read_to_string(&log).unwrap();
    let lines: Vec<&str> = text.lines().map(str::trim).collect();
    let want: Vec<String> = (1..=8).map(|i| format!("line-{i}")).collect();
    assert_eq!(lines, want, "{text:?}");
}

#[test]
fn when_sessionscope_vanishes_the_run_goes_on_into_the_log() {
    let dir = tempfile::tempdir().unwrap();
    let log = dir.path().join("r.log");
    let (h, host) = hosted(spec("sleep 0.3; echo after-the-crash", &log));
    // Everything of Sessionscope's side dropped at once, as a crash would.
    drop(h);
    assert_eq!(host.join().unwrap(), 0);
    let text = std::fs::read_to_string(&log).unwrap();
    assert!(text.contains("after-the-crash"), "{text:?}");
}

#[test]
fn a_run_that_cannot_start_is_an_error_with_the_reason() {
    let dir = tempfile::tempdir().unwrap();
    let s = spec("  ", &dir.path().join("r.log"));
    let (cmd_r, cmd_w) = std::io::pipe().unwrap();
    let (out_r, out_w) = std::io::pipe().unwrap();
    let (ev_r, mut ev_w) = std::io::pipe().unwrap();
    let host = thread::spawn(move || serve::serve(cmd_r, out_w, &mut ev_w));
    let err = connect(
        Box::new(cmd_w),
        Box::new(out_r),
        Box::new(BufReader::new(ev_r)),
        None,
        s,
    )
    .err()
    .expect("no run");
    assert_eq!(err.to_string(), "the command is empty");
    assert_eq!(host.join().unwrap(), serve::SPAWN_FAILED);
}
