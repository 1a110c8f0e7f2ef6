//! `--host` for real: Debian's OpenSSH server (`sshd`, from `openssh-server`) started
//! by the test on a loopback port with generated host and user keys, and the system's
//! `ssh` as the client. The remote side is this machine with a second HOME and the
//! Claude Code fixtures (`tests/fixtures/claude-cli`) as its agent data, set in the
//! remote command line. Skips (saying why) only if sshd cannot start.

use std::io::Write;
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use sessionscope_core::remote::client::SshCommand;
use sessionscope_core::remote::link::{HostLink, HostState, LinkEvent};

const BIN: &str = env!("CARGO_BIN_EXE_sessionscope");

/// An sshd on 127.0.0.1 and the files an `ssh -F` needs to reach it as `box`.
struct Sshd {
    child: Child,
    dir: tempfile::TempDir,
}

impl Drop for Sshd {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Sshd {
    fn start() -> Option<Sshd> {
        let sshd = ["/usr/sbin/sshd", "/usr/bin/sshd"]
            .into_iter()
            .map(PathBuf::from)
            .find(|p| p.exists());
        let Some(sshd) = sshd else {
            eprintln!("SKIP: no sshd (install openssh-server: scripts/install-deps.sh)");
            return None;
        };
        let dir = tempfile::tempdir().unwrap();
        let d = dir.path();
        for (key, kind) in [("host_key", "ed25519"), ("user_key", "ed25519")] {
            let ok = Command::new("ssh-keygen")
                .args(["-q", "-t", kind, "-N", "", "-f"])
                .arg(d.join(key))
                .status()
                .is_ok_and(|s| s.success());
            assert!(ok, "ssh-keygen works");
        }
        std::fs::copy(d.join("user_key.pub"), d.join("authorized_keys")).unwrap();
        let port = TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let user = String::from_utf8(Command::new("id").arg("-un").output().unwrap().stdout)
            .unwrap()
            .trim()
            .to_string();
        std::fs::write(
            d.join("sshd_config"),
            format!(
                "Port {port}\nListenAddress 127.0.0.1\nHostKey {hk}\nAuthorizedKeysFile {ak}\n\
                 PasswordAuthentication no\nKbdInteractiveAuthentication no\nUsePAM no\n\
                 StrictModes no\nPidFile none\nPermitRootLogin prohibit-password\n\
                 LogLevel ERROR\n",
                hk = d.join("host_key").display(),
                ak = d.join("authorized_keys").display(),
            ),
        )
        .unwrap();
        let host_pub = std::fs::read_to_string(d.join("host_key.pub")).unwrap();
        let mut parts = host_pub.split_whitespace();
        let (kind, key) = (parts.next().unwrap(), parts.next().unwrap());
        std::fs::write(
            d.join("known_hosts"),
            format!("[127.0.0.1]:{port} {kind} {key}\n"),
        )
        .unwrap();
        std::fs::write(
            d.join("ssh_config"),
            format!(
                "Host box\n  HostName 127.0.0.1\n  Port {port}\n  User {user}\n  \
                 IdentityFile {id}\n  IdentitiesOnly yes\n  IdentityAgent none\n  \
                 UserKnownHostsFile {kh}\n  StrictHostKeyChecking yes\n  \
                 ControlMaster no\n  LogLevel ERROR\n",
                id = d.join("user_key").display(),
                kh = d.join("known_hosts").display(),
            ),
        )
        .unwrap();
        // Debian's sshd wants its privilege separation directory when run as root.
        let _ = std::fs::create_dir_all("/run/sshd");
        let log = std::fs::File::create(d.join("sshd.log")).unwrap();
        let child = Command::new(&sshd)
            .args(["-D", "-e", "-f"])
            .arg(d.join("sshd_config"))
            .stdin(Stdio::null())
            .stderr(log)
            .spawn();
        let Ok(mut child) = child else {
            eprintln!("SKIP: {} cannot be started", sshd.display());
            return None;
        };
        let deadline = Instant::now() + Duration::from_secs(5);
        while TcpStream::connect(("127.0.0.1", port)).is_err() {
            if Instant::now() > deadline || child.try_wait().ok().flatten().is_some() {
                let _ = child.kill();
                eprintln!(
                    "SKIP: sshd did not start: {}",
                    std::fs::read_to_string(d.join("sshd.log")).unwrap_or_default()
                );
                return None;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        Some(Sshd { child, dir })
    }

    fn ssh(&self) -> String {
        format!("ssh -F {}", self.dir.path().join("ssh_config").display())
    }

    /// The remote side: a second HOME whose only agent data are the fixtures.
    fn remote_command(&self) -> String {
        let home = self.dir.path().join("remote-home");
        let claude = home.join("claude");
        if !claude.exists() {
            let src =
                PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../tests/fixtures/claude-cli");
            copy_tree(&src, &claude);
        }
        let empty = home.join("empty");
        format!(
            "HOME={h} SESSIONSCOPE_DATA_DIR={h}/data CLAUDE_CONFIG_DIR={c} CODEX_HOME={e} \
             GPTME_LOGS_DIR={e} GEMINI_DATA_DIR={e} OPENCODE_DATA_DIR={e} COPILOT_STATE_DIR={e} \
             exec {BIN} serve --stdio",
            h = home.display(),
            c = claude.display(),
            e = empty.display(),
        )
    }

    /// `sessionscope ARGS` on this side, reaching `box` with `remote` as its command.
    fn cli(&self, remote: &str, args: &[&str]) -> Output {
        let local = self.dir.path().join("local-home");
        Command::new(BIN)
            .args(args)
            .env("SESSIONSCOPE_SSH", self.ssh())
            .env("SESSIONSCOPE_REMOTE_COMMAND", remote)
            .env("SESSIONSCOPE_DATA_DIR", local.join("data"))
            .env("CLAUDE_CONFIG_DIR", local.join("claude"))
            .env("CODEX_HOME", local.join("codex"))
            .env("GPTME_LOGS_DIR", local.join("gptme"))
            .env("GEMINI_DATA_DIR", local.join("gemini"))
            .env("OPENCODE_DATA_DIR", local.join("opencode"))
            .env("COPILOT_STATE_DIR", local.join("copilot"))
            .stdin(Stdio::null())
            .output()
            .expect("sessionscope runs")
    }
}

fn copy_tree(src: &Path, dst: &Path) {
    std::fs::create_dir_all(dst).unwrap();
    let old = std::time::UNIX_EPOCH + Duration::from_secs(1_795_000_000);
    for entry in std::fs::read_dir(src).unwrap() {
        let entry = entry.unwrap();
        let to = dst.join(entry.file_name());
        if entry.file_type().unwrap().is_dir() {
            copy_tree(&entry.path(), &to);
        } else {
            std::fs::copy(entry.path(), &to).unwrap();
            std::fs::File::options()
                .write(true)
                .open(&to)
                .unwrap()
                .set_modified(old)
                .unwrap();
        }
    }
}

fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

#[test]
fn ps_sessions_transcript_and_kill_reach_a_host_over_real_ssh() {
    let Some(sshd) = Sshd::start() else { return };
    let remote = sshd.remote_command();

    let out = sshd.cli(&remote, &["ps", "--host", "box", "--all", "--json"]);
    assert!(out.status.success(), "stderr: {}", text(&out.stderr));
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let rows = v["sessions"].as_array().unwrap();
    assert_eq!(rows.len(), 3, "the fixtures' three sessions: {v}");
    assert!(rows.iter().all(|s| s["host"] == "box"));
    assert_eq!(v["counts"]["total"], 3);

    // This machine and the host in one table, with a Host column.
    let out = sshd.cli(
        &remote,
        &["ps", "--host", "local", "--host", "box", "--all"],
    );
    assert!(out.status.success(), "stderr: {}", text(&out.stderr));
    let table = text(&out.stdout);
    assert!(table.contains("3 sessions on 2 hosts"), "{table}");
    assert!(
        table.lines().nth(1).unwrap().starts_with("HOST "),
        "{table}"
    );
    assert_eq!(table.lines().filter(|l| l.starts_with("box ")).count(), 3);

    let out = sshd.cli(&remote, &["sessions", "--host", "box", "--json"]);
    assert!(out.status.success(), "stderr: {}", text(&out.stderr));
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v.as_array().unwrap().len(), 3);

    let out = sshd.cli(
        &remote,
        &[
            "transcript",
            "--host",
            "box",
            "0d6f9f0e",
            "--json",
            "--last",
            "2",
        ],
    );
    assert!(out.status.success(), "stderr: {}", text(&out.stderr));
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["host"], "box");
    assert_eq!(v["session"]["title"], "Add checkout discount codes");
    assert_eq!(v["entries"].as_array().unwrap().len(), 2);

    let out = sshd.cli(
        &remote,
        &["usage", "--host", "box", "--by", "session", "--json"],
    );
    assert!(out.status.success(), "stderr: {}", text(&out.stderr));
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert!(v["totals"]["totalTokens"].as_u64().unwrap() > 0, "{v}");

    // The fixtures' sessions have no process: the host says so and nothing is asked.
    let out = sshd.cli(&remote, &["kill", "--host", "box", "0d6f9f0e"]);
    assert!(!out.status.success());
    let err = text(&out.stderr);
    assert!(err.contains("box"), "{err}");
    assert!(!err.contains("panicked"), "{err}");
}

#[test]
fn a_killed_ssh_or_a_stopped_remote_shows_lost_within_5s_and_the_link_recovers() {
    let Some(sshd) = Sshd::start() else { return };
    let pidfile = sshd.dir.path().join("serve.pid");
    let ssh = SshCommand {
        program: sshd.ssh().split_whitespace().map(str::to_string).collect(),
        // The remote shell's pid is the serve's: it execs it.
        remote_command: format!("echo $$ > {}; {}", pidfile.display(), sshd.remote_command()),
    };
    let (tx, rx) = mpsc::channel();
    let link = HostLink::start("box", ssh, move |e| {
        let _ = tx.send(e);
    });
    let wait_for = |limit: Duration, what: &dyn Fn(&LinkEvent) -> bool| {
        let deadline = Instant::now() + limit;
        let mut seen = Vec::new();
        while Instant::now() < deadline {
            if let Ok(e) = rx.recv_timeout(Duration::from_millis(50)) {
                if what(&e) {
                    return e;
                }
                seen.push(e);
            }
        }
        panic!("not seen within {limit:?}; saw {seen:?}");
    };
    let snapshot = wait_for(Duration::from_secs(15), &|e| {
        matches!(e, LinkEvent::Snapshot(_))
    });
    let LinkEvent::Snapshot(s) = snapshot else {
        unreachable!()
    };
    assert_eq!(s.sessions.len(), 3);
    wait_for(Duration::from_secs(5), &|e| {
        matches!(e, LinkEvent::State(HostState::Live { .. }))
    });
    let pid = link.ssh_pid().expect("ssh is running");
    let killed = Instant::now();
    let _ = Command::new("kill").args(["-9", &pid.to_string()]).status();
    wait_for(Duration::from_secs(5), &|e| {
        matches!(e, LinkEvent::State(HostState::Lost { .. }))
    });
    assert!(killed.elapsed() < Duration::from_secs(5));
    // Back after the first back-off, with the whole table again (no row lost or doubled).
    let again = wait_for(Duration::from_secs(15), &|e| {
        matches!(e, LinkEvent::Snapshot(_))
    });
    let LinkEvent::Snapshot(s) = again else {
        unreachable!()
    };
    assert_eq!(s.sessions.len(), 3);
    wait_for(Duration::from_secs(5), &|e| {
        matches!(e, LinkEvent::State(HostState::Live { .. }))
    });

    // The remote stops (SIGSTOP): ssh stays up but nothing comes, not even a beat.
    let serve = std::fs::read_to_string(&pidfile)
        .unwrap()
        .trim()
        .to_string();
    let _ = Command::new("kill").args(["-STOP", &serve]).status();
    let stopped = Instant::now();
    wait_for(Duration::from_secs(5), &|e| {
        matches!(e, LinkEvent::State(HostState::Lost { .. }))
    });
    assert!(stopped.elapsed() < Duration::from_secs(5));
    let _ = Command::new("kill").args(["-CONT", &serve]).status();
    drop(link);
}

#[test]
fn a_broken_remote_is_a_clear_per_host_error() {
    let Some(sshd) = Sshd::start() else { return };
    let dir = sshd.dir.path();
    let garbage = dir.join("garbage.sh");
    let mut f = std::fs::File::create(&garbage).unwrap();
    writeln!(f, "#!/bin/sh\necho 'Welcome to box! rm -rf /'\nsleep 5").unwrap();
    drop(f);
    let cases = [
        (format!("sh {}", garbage.display()), "not the sessionscope protocol"),
        (
            r#"echo '{"type":"hello","protocol":999,"version":"9","os":"linux","arch":"x"}'; sleep 5"#
                .to_string(),
            "protocol 999",
        ),
        (
            "exec /nonexistent/sessionscope serve --stdio".to_string(),
            "sessionscope remote install box",
        ),
        (
            "head -c 80000000 /dev/zero | tr '\\0' x".to_string(),
            "longer than",
        ),
    ];
    for (remote, said) in cases {
        let t = Instant::now();
        let out = sshd.cli(&remote, &["ps", "--host", "box"]);
        let err = text(&out.stderr);
        assert_eq!(out.status.code(), Some(1), "{remote}: {err}");
        assert!(err.contains(said), "{remote}: expected {said:?} in {err}");
        assert!(!err.contains("panicked"), "{err}");
        assert!(
            t.elapsed() < Duration::from_secs(10),
            "{remote}: took {:?}",
            t.elapsed()
        );
    }
}
