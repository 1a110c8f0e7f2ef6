//! `--host` for real: Debian's OpenSSH server (`sshd`, from `openssh-server`) started
//! by the test on a loopback port with generated host and user keys, and the system's
//! `ssh` as the client. The remote side is this machine with a second HOME and the
//! Claude Code fixtures (`tests/fixtures/claude-cli`) as its agent data, set in the
//! remote command line. Skips (saying why) only if sshd cannot start.
//!
//! The faults are real too: ssh killed, the serve stopped (SIGSTOP), a reboot (sshd
//! and the serve killed, a session written meanwhile, sshd started again) and a dropped
//! network (sshd and ssh in a network namespace of the test's whose loopback goes
//! down; skipped, saying why, when `unshare -n` is not allowed). `remote install` runs
//! against a sshd whose sessions get the test's remote HOME and PATH.

use std::io::Write;
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use sessionscope_core::remote::client::SshCommand;
use sessionscope_core::remote::link::{HostLink, HostState, LinkEvent};
use sessionscope_core::remote::table::RemoteHost;

const BIN: &str = env!("CARGO_BIN_EXE_sessionscope");

/// An sshd on 127.0.0.1 and the files an `ssh -F` needs to reach it as `box`.
struct Sshd {
    child: Child,
    dir: tempfile::TempDir,
    /// The daemon's program and port, to start it again after [`Sshd::stop`].
    program: PathBuf,
    port: u16,
    /// What runs the daemon and `ssh` inside a [`Netns`] (empty: this namespace).
    enter: Vec<String>,
}

impl Drop for Sshd {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Sshd {
    fn start() -> Option<Sshd> {
        Self::launch(Vec::new(), |_| String::new())
    }

    /// [`Sshd::start`] with more `sshd_config` lines, made from the test's directory.
    fn start_with(extra_config: impl Fn(&Path) -> String) -> Option<Sshd> {
        Self::launch(Vec::new(), extra_config)
    }

    /// [`Sshd::start`] inside `netns`, where `ssh` (see [`Sshd::ssh`]) runs too.
    fn start_in(netns: &Netns) -> Option<Sshd> {
        Self::launch(netns.enter(), |_| String::new())
    }

    fn launch(enter: Vec<String>, extra_config: impl Fn(&Path) -> String) -> Option<Sshd> {
        // Debian's sshd and a Unix remote: under Wine `/usr/sbin/sshd` is found (its
        // Z: drive is the Unix root) but is no Windows program.
        if cfg!(not(unix)) {
            eprintln!("SKIP: the remote side is Debian's sshd, a Unix program");
            return None;
        }
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
                 LogLevel ERROR\n{extra}",
                hk = d.join("host_key").display(),
                ak = d.join("authorized_keys").display(),
                extra = extra_config(d),
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
        let child = Self::spawn(&enter, &sshd, d, port)?;
        Some(Sshd {
            child,
            dir,
            program: sshd,
            port,
            enter,
        })
    }

    /// Start the daemon on `port` and wait until it accepts connections.
    fn spawn(enter: &[String], sshd: &Path, d: &Path, port: u16) -> Option<Child> {
        let log = std::fs::File::create(d.join("sshd.log")).unwrap();
        // `nsenter` execs the daemon, so the child's pid is sshd's.
        let mut command = match enter.split_first() {
            Some((program, args)) => {
                let mut c = Command::new(program);
                c.args(args).arg(sshd);
                c
            }
            None => Command::new(sshd),
        };
        let child = command
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
        let accepts = || match enter.split_first() {
            None => TcpStream::connect(("127.0.0.1", port)).is_ok(),
            Some((program, args)) => Command::new(program)
                .args(args)
                .args(["bash", "-c", &format!("exec 3<>/dev/tcp/127.0.0.1/{port}")])
                .stderr(Stdio::null())
                .status()
                .is_ok_and(|s| s.success()),
        };
        while !accepts() {
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
        Some(child)
    }

    /// The listening daemon goes away (its sessions' own processes stay, as after
    /// `kill -9` of sshd): new connections are refused until [`Sshd::restart`].
    fn stop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }

    /// The daemon again, on the same port with the same keys and config.
    fn restart(&mut self) {
        self.child = Self::spawn(&self.enter, &self.program, self.dir.path(), self.port)
            .expect("sshd starts again on its port");
    }

    fn ssh(&self) -> String {
        let mut words = self.enter.clone();
        words.push(format!(
            "ssh -F {}",
            self.dir.path().join("ssh_config").display()
        ));
        words.join(" ")
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
        self.cli_via(&self.ssh(), remote, args)
    }

    /// [`Sshd::cli`] with `ssh` as `$SESSIONSCOPE_SSH`.
    fn cli_via(&self, ssh: &str, remote: &str, args: &[&str]) -> Output {
        let local = self.dir.path().join("local-home");
        Command::new(BIN)
            .args(args)
            .env("SESSIONSCOPE_SSH", ssh)
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

/// A network namespace of the test's own (`unshare -n`, so root only), held by a
/// `sleep`, with its loopback up: taking `lo` down there drops every packet on the
/// established connections (no FIN, no RST), as a pulled cable or a firewall's DROP
/// rule would, and new connections time out.
struct Netns {
    holder: Child,
}

impl Netns {
    fn new() -> Option<Netns> {
        let ready = tempfile::NamedTempFile::new().unwrap().into_temp_path();
        std::fs::remove_file(&ready).unwrap();
        let holder = Command::new("unshare")
            .args(["-n", "sh", "-c"])
            .arg(format!(
                "ip link set lo up && touch {} && exec sleep 600",
                ready.display()
            ))
            .stdin(Stdio::null())
            .stderr(Stdio::null())
            .spawn();
        let Ok(mut holder) = holder else {
            eprintln!("SKIP: no unshare (util-linux)");
            return None;
        };
        let deadline = Instant::now() + Duration::from_secs(5);
        while !ready.exists() {
            if Instant::now() > deadline || holder.try_wait().ok().flatten().is_some() {
                let _ = holder.kill();
                let _ = holder.wait();
                eprintln!("SKIP: cannot make a network namespace (`unshare -n` needs root)");
                return None;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        Some(Netns { holder })
    }

    fn path(&self) -> String {
        format!("/proc/{}/ns/net", self.holder.id())
    }

    /// The words that run a program inside the namespace.
    fn enter(&self) -> Vec<String> {
        vec!["nsenter".into(), format!("--net={}", self.path())]
    }

    /// Loopback up or down: the network there works or drops everything.
    fn link(&self, up: bool) {
        let ok = Command::new("nsenter")
            .arg(format!("--net={}", self.path()))
            .args(["ip", "link", "set", "lo", if up { "up" } else { "down" }])
            .status()
            .is_ok_and(|s| s.success());
        assert!(ok, "ip link set lo in the namespace");
    }
}

impl Drop for Netns {
    /// Ends what still runs in the namespace (sshd's sessions and serves that the
    /// dropped network orphaned), then its holder.
    fn drop(&mut self) {
        let ours = std::fs::read_link(self.path()).ok();
        let me = self.holder.id().to_string();
        if let (Some(ours), Ok(procs)) = (ours, std::fs::read_dir("/proc")) {
            for p in procs.flatten() {
                let pid = p.file_name().to_string_lossy().into_owned();
                if pid == me || !pid.bytes().all(|b| b.is_ascii_digit()) {
                    continue;
                }
                if std::fs::read_link(p.path().join("ns/net")).ok().as_ref() == Some(&ours) {
                    let _ = Command::new("kill").args(["-9", &pid]).status();
                }
            }
        }
        let _ = self.holder.kill();
        let _ = self.holder.wait();
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
    let killed_lost = killed.elapsed();
    assert!(killed_lost < Duration::from_secs(5));
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
    let stopped_lost = stopped.elapsed();
    assert!(stopped_lost < Duration::from_secs(5));
    // The retry reaches a fresh serve (the stopped one gets its end of input once it
    // runs again) with the whole table: every row once.
    let again = wait_for(Duration::from_secs(15), &|e| {
        matches!(e, LinkEvent::Snapshot(_))
    });
    let LinkEvent::Snapshot(s) = again else {
        unreachable!()
    };
    let mut keys: Vec<&str> = s.sessions.iter().map(|s| s.key.as_str()).collect();
    keys.sort();
    keys.dedup();
    assert_eq!((keys.len(), s.sessions.len()), (3, 3), "{keys:?}");
    wait_for(Duration::from_secs(5), &|e| {
        matches!(e, LinkEvent::State(HostState::Live { .. }))
    });
    let stopped_back = stopped.elapsed();
    let _ = Command::new("kill").args(["-CONT", &serve]).status();
    eprintln!(
        "ssh killed: lost after {killed_lost:?}; serve stopped (SIGSTOP): lost after \
         {stopped_lost:?}, live again with its 3 rows {stopped_back:?} after the stop"
    );
    drop(link);
}

/// One host as the app keeps it: every event of its link folded in, in order.
struct View {
    rx: mpsc::Receiver<LinkEvent>,
    host: RemoteHost,
}

impl View {
    fn new(rx: mpsc::Receiver<LinkEvent>) -> View {
        View {
            rx,
            host: RemoteHost::new("box"),
        }
    }

    /// The host once an event `what` matches has been folded in.
    fn wait_for(&mut self, limit: Duration, what: &dyn Fn(&LinkEvent) -> bool) -> RemoteHost {
        let deadline = Instant::now() + limit;
        let mut seen = Vec::new();
        while Instant::now() < deadline {
            if let Ok(e) = self.rx.recv_timeout(Duration::from_millis(50)) {
                self.host.apply(e.clone());
                if what(&e) {
                    return self.host.clone();
                }
                seen.push(e);
            }
        }
        panic!("not seen within {limit:?}; saw {seen:?}");
    }

    /// The host after whatever came during `time`.
    fn settle(&mut self, time: Duration) -> RemoteHost {
        let deadline = Instant::now() + time;
        while let Some(left) = deadline.checked_duration_since(Instant::now()) {
            if let Ok(e) = self.rx.recv_timeout(left.min(Duration::from_millis(50))) {
                self.host.apply(e);
            }
        }
        self.host.clone()
    }
}

/// A Claude Code session that an agent on the remote writes now: a prompt and a reply.
fn write_remote_session(claude: &Path, id: &str, title: &str) {
    let dir = claude.join("projects/-home-dev-web");
    std::fs::create_dir_all(&dir).unwrap();
    let now = chrono::Utc::now().format("%Y-%m-%dT%H:%M:%S%.3fZ");
    let user = serde_json::json!({
        "parentUuid": null, "cwd": "/home/dev/web", "sessionId": id, "type": "user",
        "message": {"role": "user", "content": title}, "uuid": "w1", "timestamp": now.to_string(),
    });
    let reply = serde_json::json!({
        "parentUuid": "w1", "cwd": "/home/dev/web", "sessionId": id, "type": "assistant",
        "message": {"id": "msg_w1", "role": "assistant", "model": "claude-sonnet-4-5",
            "content": [{"type": "text", "text": "On it."}], "stop_reason": "end_turn",
            "usage": {"input_tokens": 10, "output_tokens": 3}},
        "uuid": "w2", "timestamp": now.to_string(),
    });
    std::fs::write(
        dir.join(format!("{id}.jsonl")),
        format!("{user}\n{reply}\n"),
    )
    .unwrap();
}

/// A remote reboot: the daemon and the serve both go away (`kill -9`), an agent there
/// writes a session while the host is down, and sshd comes back; the next ssh starts
/// a fresh serve. The host is lost within 5 s with its rows kept, retries, and comes
/// back with every row once: the three it had and the new one.
/// A link to `box` whose remote shell first writes its pid (it then execs the serve,
/// so that is the serve's pid), watched until it is live with the remote's three rows.
struct Watched {
    link: HostLink,
    view: View,
    pidfile: PathBuf,
    first_serve: String,
    keys: Vec<String>,
}

fn watch_until_live(sshd: &Sshd) -> Watched {
    let pidfile = sshd.dir.path().join("serve.pid");
    let ssh = SshCommand {
        program: sshd.ssh().split_whitespace().map(str::to_string).collect(),
        remote_command: format!("echo $$ > {}; {}", pidfile.display(), sshd.remote_command()),
    };
    let (tx, rx) = mpsc::channel();
    let link = HostLink::start("box", ssh, move |e| {
        let _ = tx.send(e);
    });
    let mut view = View::new(rx);
    let before = view.wait_for(Duration::from_secs(15), &is_live);
    let mut keys: Vec<String> = before.sessions.iter().map(|s| s.key.clone()).collect();
    keys.sort();
    assert_eq!(keys.len(), 3, "{keys:?}");
    let first_serve = serve_pid(&pidfile);
    Watched {
        link,
        view,
        pidfile,
        first_serve,
        keys,
    }
}

fn is_live(e: &LinkEvent) -> bool {
    matches!(e, LinkEvent::State(HostState::Live { .. }))
}

/// The pid the serve's shell wrote.
fn serve_pid(pidfile: &Path) -> String {
    std::fs::read_to_string(pidfile).unwrap().trim().to_string()
}

/// The host shows lost within 5 s of `since` and keeps its last rows; how long it took.
fn lost_within_5s(view: &mut View, since: Instant) -> Duration {
    let lost = view.wait_for(Duration::from_secs(5), &|e| {
        matches!(e, LinkEvent::State(HostState::Lost { .. }))
    });
    let lost_after = since.elapsed();
    assert!(lost_after < Duration::from_secs(5), "{lost_after:?}");
    assert_eq!(lost.sessions.len(), 3, "a lost host keeps its last rows");
    lost_after
}

#[test]
fn a_rebooted_remote_is_lost_within_5s_and_comes_back_with_every_row_once() {
    let Some(mut sshd) = Sshd::start() else {
        return;
    };
    let Watched {
        link,
        mut view,
        pidfile,
        first_serve,
        keys,
    } = watch_until_live(&sshd);

    sshd.stop();
    let down = Instant::now();
    let _ = Command::new("kill").args(["-9", &first_serve]).status();
    let lost_after = lost_within_5s(&mut view, down);

    // Down: the first retry (after 1 s) is refused, and the host says it is retrying.
    let retrying = view.wait_for(Duration::from_secs(5), &|e| {
        matches!(
            e,
            LinkEvent::State(HostState::Retrying { attempt: 2.., .. })
        )
    });
    let HostState::Retrying {
        lost_since, reason, ..
    } = &retrying.state
    else {
        unreachable!()
    };
    assert!(lost_since.is_some(), "{:?}", retrying.state);
    assert!(reason.contains("box"), "{reason}");
    assert_eq!(retrying.sessions.len(), 3);
    let new_id = "5e5e5e5e-0000-4000-8000-00000000beef";
    write_remote_session(
        &sshd.dir.path().join("remote-home/claude"),
        new_id,
        "Written while the host was down",
    );

    sshd.restart();
    let back = view.wait_for(Duration::from_secs(15), &is_live);
    let recovered_after = down.elapsed();
    let second_serve = serve_pid(&pidfile);
    assert_ne!(first_serve, second_serve, "a fresh serve answered");
    let mut after: Vec<String> = back.sessions.iter().map(|s| s.key.clone()).collect();
    after.sort();
    let mut unique = after.clone();
    unique.dedup();
    assert_eq!(after, unique, "no row twice");
    assert_eq!(after.len(), 4, "{after:?}");
    assert!(
        keys.iter().all(|k| after.contains(k)),
        "no row lost: {after:?}"
    );
    let new = back
        .sessions
        .iter()
        .find(|s| s.id == new_id)
        .expect("the new session");
    assert_eq!(
        new.title.as_deref(),
        Some("Written while the host was down")
    );
    assert_eq!(back.counts.total, 4);
    eprintln!("lost after {lost_after:?}, live again {recovered_after:?} after the reboot began");
    drop(link);
}

/// `remote install box` over the real sshd, whose sessions get the test's remote HOME
/// and a PATH with no sessionscope on it, only a `uname` that can pretend to be another
/// machine. A foreign OS/arch is refused with how to install it there, and nothing is
/// copied; a matching one gets this very binary as `$HOME/.local/bin/sessionscope`
/// (inside the remote HOME, nowhere else), and the default remote command then finds
/// that copy: `ps --host box` shows the remote agent's sessions through it.
#[test]
fn remote_install_copies_this_binary_into_the_remote_home_when_the_machine_matches() {
    let Some(sshd) = Sshd::start_with(|d| {
        let home = d.join("remote-home");
        format!(
            "SetEnv HOME={h} PATH={h}/fake-bin:/usr/bin:/bin\n",
            h = home.display()
        )
    }) else {
        return;
    };
    let home = sshd.dir.path().join("remote-home");
    let src = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../tests/fixtures/claude-cli");
    copy_tree(&src, &home.join(".claude"));
    let fake = home.join("fake-bin");
    std::fs::create_dir_all(&fake).unwrap();
    std::fs::write(
        fake.join("uname"),
        "#!/bin/sh\nif [ -f \"$HOME/uname-says\" ]; then cat \"$HOME/uname-says\"; \
         else PATH=/usr/bin:/bin exec uname \"$@\"; fi\n",
    )
    .unwrap();
    let _ = Command::new("chmod")
        .arg("755")
        .arg(fake.join("uname"))
        .status();
    let installed = home.join(".local/bin/sessionscope");
    // This machine's own copy, if any, must not be touched.
    let ours = std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".local/bin/sessionscope"));
    let ours_before = ours
        .as_ref()
        .and_then(|p| std::fs::metadata(p).ok()?.modified().ok());

    // The default remote command (an empty SESSIONSCOPE_REMOTE_COMMAND) finds nothing yet.
    let out = sshd.cli("", &["ps", "--host", "box"]);
    let err = text(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{err}");
    assert!(err.contains("sessionscope remote install box"), "{err}");

    for (uname, said) in [
        ("Linux riscv64", "box is linux/riscv64"),
        ("Darwin arm64", "box is macos/aarch64"),
    ] {
        std::fs::write(home.join("uname-says"), format!("{uname}\n")).unwrap();
        let out = sshd.cli("", &["remote", "install", "box"]);
        let err = text(&out.stderr);
        assert_eq!(out.status.code(), Some(1), "{uname}: {err}");
        assert!(err.contains(said), "{uname}: {err}");
        assert!(err.contains("cargo install"), "{uname}: {err}");
        assert!(err.contains("~/.local/bin/sessionscope"), "{uname}: {err}");
        assert!(!err.contains("panicked"), "{err}");
        assert!(!installed.exists(), "{uname}: nothing is copied");
    }

    std::fs::remove_file(home.join("uname-says")).unwrap();
    // The send is cut short after 1 MB (as when ssh or the network drops mid-copy):
    // the remote keeps nothing, not even the partial file.
    let cut = sshd.dir.path().join("cut-ssh");
    std::fs::write(&cut, "#!/bin/sh\nhead -c 1000000 | ssh \"$@\"\n").unwrap();
    let _ = Command::new("chmod").arg("755").arg(&cut).status();
    let via = sshd.ssh().replacen("ssh", &cut.display().to_string(), 1);
    let out = sshd.cli_via(&via, "", &["remote", "install", "box"]);
    let err = text(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{err}");
    assert!(err.contains("cut short"), "{err}");
    assert!(err.contains("nothing was installed"), "{err}");
    assert!(!installed.exists(), "no truncated program");
    let partial = home.join(".local/bin/.sessionscope.new");
    assert!(!partial.exists(), "no partial file left");

    let t = Instant::now();
    let out = sshd.cli("", &["remote", "install", "box"]);
    let took = t.elapsed();
    let said = text(&out.stdout);
    assert!(out.status.success(), "stderr: {}", text(&out.stderr));
    let bin = std::fs::read(BIN).unwrap();
    assert!(
        said.starts_with(&format!(
            "installed {} bytes as box:~/.local/bin/sessionscope",
            bin.len()
        )),
        "{said}"
    );
    assert!(said.contains(env!("CARGO_PKG_VERSION")), "{said}");
    assert!(std::fs::read(&installed).unwrap() == bin, "the same bytes");
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(&installed).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o755);
    }
    let left: Vec<_> = std::fs::read_dir(home.join(".local/bin"))
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .collect();
    assert_eq!(left, ["sessionscope"], "no temporary file left");
    let ours_after = ours
        .as_ref()
        .and_then(|p| std::fs::metadata(p).ok()?.modified().ok());
    assert_eq!(ours_before, ours_after, "this machine's HOME is untouched");

    // The installed copy answers: the remote agent's sessions, on the remote's HOME.
    let out = sshd.cli("", &["ps", "--host", "box", "--all", "--json"]);
    assert!(out.status.success(), "stderr: {}", text(&out.stderr));
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let rows = v["sessions"].as_array().unwrap();
    assert_eq!(rows.len(), 3, "{v}");
    assert!(rows.iter().all(|s| s["host"] == "box"));
    eprintln!("install of {} bytes took {took:?}", bin.len());
}

/// A dropped network, for real: sshd and ssh in a network namespace of the test's,
/// whose loopback goes down under a live link, so the connection stays open and
/// silent and a new one cannot be made. The host is lost within 5 s (no beat came)
/// with its rows kept; once the network is back the retry gets through to a fresh
/// serve and the host is live with the same rows, none twice.
#[test]
fn a_dropped_network_shows_lost_within_5s_and_the_link_recovers() {
    let Some(netns) = Netns::new() else { return };
    let Some(sshd) = Sshd::start_in(&netns) else {
        return;
    };
    let Watched {
        link,
        mut view,
        pidfile,
        first_serve,
        keys,
    } = watch_until_live(&sshd);

    netns.link(false);
    let dropped = Instant::now();
    let lost_after = lost_within_5s(&mut view, dropped);
    // The retry after 1 s is under way and cannot connect while the network is down.
    view.wait_for(Duration::from_secs(5), &|e| {
        matches!(e, LinkEvent::State(HostState::Connecting))
    });
    let down = view.settle(Duration::from_secs(2));
    assert!(
        matches!(down.state, HostState::Connecting),
        "{:?}",
        down.state
    );

    netns.link(true);
    let restored = Instant::now();
    let back = view.wait_for(Duration::from_secs(20), &is_live);
    let recovered_after = restored.elapsed();
    let second_serve = serve_pid(&pidfile);
    assert_ne!(first_serve, second_serve, "the retry reached a fresh serve");
    let mut after: Vec<String> = back.sessions.iter().map(|s| s.key.clone()).collect();
    after.sort();
    assert_eq!(after, keys, "the same rows, none twice, none lost");
    assert_eq!(back.counts.total, 3);
    eprintln!(
        "lost {lost_after:?} after the drop, live {recovered_after:?} after the network came back"
    );
    drop(link);
}

/// A host that says hello and then is gone (its ssh no longer reads): the request
/// `usage` sends fails as that host's error, exit 1 with a message, instead of SIGPIPE
/// ending the command with nothing said (exit 141: the CLI restores SIGPIPE's default
/// for `| head`). No sshd needed: the "ssh" is a script that closes its input.
#[test]
fn a_host_gone_after_its_hello_is_its_error_not_a_silent_exit() {
    let dir = tempfile::tempdir().unwrap();
    let ssh = dir.path().join("gone-ssh");
    let hello = serde_json::json!({
        "type": "hello", "protocol": sessionscope_core::remote::protocol::PROTOCOL_VERSION,
        "version": env!("CARGO_PKG_VERSION"), "os": "linux", "arch": "x86_64",
    });
    std::fs::write(
        &ssh,
        format!("#!/bin/sh\nexec 0<&-\necho '{hello}'\nsleep 3\n"),
    )
    .unwrap();
    let _ = Command::new("chmod").arg("755").arg(&ssh).status();
    for args in [
        &["usage", "--host", "box"][..],
        &["runs", "--host", "box"][..],
    ] {
        let out = Command::new(BIN)
            .args(args)
            .env("SESSIONSCOPE_SSH", &ssh)
            .env("SESSIONSCOPE_DATA_DIR", dir.path().join("data"))
            .stdin(Stdio::null())
            .output()
            .unwrap();
        let err = text(&out.stderr);
        assert_eq!(
            out.status.code(),
            Some(1),
            "{args:?}: {:?} {err}",
            out.status
        );
        assert!(err.contains("box"), "{args:?}: {err}");
        assert!(!err.contains("panicked"), "{err}");
    }
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

/// `records stats|query|show|runs|cost --host box`: the records of the remote HOME's own
/// store (`~/.local/share/gptme-sessions/`), with the same numbers, records and lines as
/// the same command run on the host; `--host local --host box` counts both stores as
/// one and lists both with a Host column.
#[test]
fn records_of_a_host_are_those_the_host_shows() {
    let Some(sshd) = Sshd::start() else { return };
    let remote = sshd.remote_command();
    let home = sshd.dir.path().join("remote-home");
    let store = home.join(".local/share/gptme-sessions");
    std::fs::create_dir_all(&store).unwrap();
    let day = |days_ago: i64| {
        (chrono::Utc::now() - chrono::Duration::days(days_ago))
            .format("%Y-%m-%dT%H:%M:%S%.6f+00:00")
            .to_string()
    };
    let lines = [
        serde_json::json!({"session_id": "b0a1c2d3e4f5", "timestamp": day(1), "harness": "claude-code",
            "model": "claude-opus-4-6", "run_type": "autonomous", "outcome": "productive",
            "duration_seconds": 900, "deliverables": ["abc1234"], "project": "/srv/web",
            "x_kept_as_is": {"nested": [1, 2.5]}}),
        serde_json::json!({"session_id": "b0a1ffff0000", "timestamp": day(3), "harness": "codex",
            "model": "gpt-5", "run_type": "autonomous", "outcome": "noop", "duration_seconds": 40}),
        serde_json::json!({"session_id": "c9c9c9c9c9c9", "timestamp": day(60), "harness": "gptme",
            "model": "sonnet", "run_type": "manual", "outcome": "failed", "duration_seconds": 70}),
    ];
    let text_of = |v: &[serde_json::Value]| v.iter().map(|l| format!("{l}\n")).collect::<String>();
    std::fs::write(store.join("session-records.jsonl"), text_of(&lines)).unwrap();
    // This side has one record of its own.
    let local_store = sshd.dir.path().join("local-store");
    std::fs::create_dir_all(&local_store).unwrap();
    let mine = serde_json::json!({"session_id": "10ca11111111", "timestamp": day(2),
        "harness": "gptme", "model": "sonnet", "outcome": "productive", "duration_seconds": 200});
    std::fs::write(local_store.join("session-records.jsonl"), text_of(&[mine])).unwrap();
    // The command run on the host itself (its HOME, no --host).
    let on_host = |args: &[&str]| -> Output {
        let out = Command::new(BIN)
            .args(args)
            .env("HOME", &home)
            .env_remove("GPTME_SESSIONS_DIR")
            .env("SESSIONSCOPE_DATA_DIR", home.join("data"))
            .env("CLAUDE_CONFIG_DIR", home.join("empty"))
            .env("CODEX_HOME", home.join("empty"))
            .env("GPTME_LOGS_DIR", home.join("empty"))
            .stdin(Stdio::null())
            .output()
            .unwrap();
        assert!(out.status.success(), "{args:?}: {}", text(&out.stderr));
        out
    };
    let here = |args: &[&str]| -> Output {
        let mut all: Vec<&str> = args.to_vec();
        let dir = local_store.to_str().unwrap();
        all.splice(1..1, ["--sessions-dir", dir]);
        let out = sshd.cli(&remote, &all);
        assert!(out.status.success(), "{args:?}: {}", text(&out.stderr));
        out
    };
    let json = |o: &Output| -> serde_json::Value { serde_json::from_slice(&o.stdout).unwrap() };
    let without_host = |mut v: serde_json::Value| {
        for r in v.as_array_mut().unwrap() {
            assert_eq!(r["host"], "box", "{r}");
            r.as_object_mut().unwrap().remove("host");
        }
        v
    };

    // The same records (every key, the unknown one too) and the same numbers.
    for args in [
        &["records", "query", "--json"][..],
        &[
            "records",
            "query",
            "--json",
            "--since",
            "7d",
            "--outcome",
            "noop",
        ][..],
    ] {
        let remote_rows = without_host(json(&here(&[args, &["--host", "box"]].concat())));
        assert_eq!(remote_rows, json(&on_host(args)), "{args:?}");
    }
    let all = json(&here(&["records", "query", "--json", "--host", "box"]));
    assert_eq!(all.as_array().unwrap().len(), 3);
    assert_eq!(all[0]["x_kept_as_is"]["nested"][1], 2.5);
    for args in [
        &["records", "stats", "--json"][..],
        &[
            "records",
            "stats",
            "--json",
            "--since",
            "all",
            "--harness",
            "codex",
        ][..],
        &["records", "query", "--stats", "--json", "--model", "opus"][..],
        &["records", "runs", "--json", "--since", "all"][..],
        &["records", "show", "b0a1c2", "--json"][..],
        &["records", "cost", "--json", "--days", "30"][..],
    ] {
        let mut got = json(&here(&[args, &["--host", "box"]].concat()));
        if args[1] == "show" {
            assert_eq!(got["host"], "box");
            got.as_object_mut().unwrap().remove("host");
        }
        assert_eq!(got, json(&on_host(args)), "{args:?}");
    }
    // Text: the host's lines behind a Host column; stats as the host prints them (its
    // hint about transcripts to sync aside: the host has none).
    let lines_of = |o: &Output| {
        text(&o.stdout)
            .lines()
            .map(str::to_string)
            .collect::<Vec<_>>()
    };
    let listed = lines_of(&here(&["records", "query", "--host", "box"]));
    let there = lines_of(&on_host(&["records", "query"]));
    assert_eq!(listed.len(), there.len(), "{listed:?}");
    for (got, want) in listed.iter().zip(&there) {
        match got.strip_prefix("box ") {
            Some(rest) => assert_eq!(rest.trim_start(), want.trim_start()),
            None => assert_eq!(got, want),
        }
    }
    assert_eq!(
        text(&here(&["records", "stats", "--host", "box"]).stdout),
        text(&on_host(&["records", "stats"]).stdout)
    );

    // Both machines: one store's numbers, every record with its machine.
    let both = json(&here(&[
        "records", "query", "--json", "--since", "all", "--host", "local", "--host", "box",
    ]));
    let hosts: Vec<&str> = both
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["host"].as_str().unwrap())
        .collect();
    assert_eq!(hosts, ["local", "box", "box", "box"]);
    let stats = json(&here(&[
        "records", "stats", "--json", "--since", "all", "--host", "local", "--host", "box",
    ]));
    assert_eq!(
        (stats["total"].as_u64(), stats["productive"].as_u64()),
        (Some(4), Some(2))
    );
    let out = here(&["records", "stats", "--host", "local", "--host", "box"]);
    assert!(
        text(&out.stdout).starts_with("Records of 2 machines: local (1), box (2)"),
        "{}",
        text(&out.stdout)
    );
    // A record on neither: an error naming what each machine said.
    let out = sshd.cli(&remote, &["records", "show", "ffff", "--host", "box"]);
    assert_eq!(out.status.code(), Some(1), "{}", text(&out.stderr));
    assert!(text(&out.stderr).contains("box:"), "{}", text(&out.stderr));
}

/// `sessionscope ARGS` reaching `box`, spawned with its output piped (read with
/// [`Piped`]).
fn spawn_cli(sshd: &Sshd, args: &[&str]) -> Child {
    spawn_cli_via(sshd, &sshd.remote_command(), args, Stdio::null())
}

/// [`spawn_cli`] with `remote` as the remote command and `stdin` as its stdin.
fn spawn_cli_via(sshd: &Sshd, remote: &str, args: &[&str], stdin: Stdio) -> Child {
    let local = sshd.dir.path().join("local-home");
    Command::new(BIN)
        .args(args)
        .env("SESSIONSCOPE_SSH", sshd.ssh())
        .env("SESSIONSCOPE_REMOTE_COMMAND", remote)
        .env("SESSIONSCOPE_DATA_DIR", local.join("data"))
        .stdin(stdin)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("sessionscope runs")
}

/// What a spawned CLI printed so far, read on threads of its own.
struct Piped {
    out: std::sync::Arc<std::sync::Mutex<Vec<u8>>>,
    err: std::sync::Arc<std::sync::Mutex<Vec<u8>>>,
}

impl Piped {
    fn new(child: &mut Child) -> Piped {
        let grab = |mut r: Box<dyn std::io::Read + Send>| {
            let keep = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));
            let k = std::sync::Arc::clone(&keep);
            std::thread::spawn(move || {
                let mut buf = [0u8; 4096];
                while let Ok(n @ 1..) = r.read(&mut buf) {
                    k.lock().unwrap().extend_from_slice(&buf[..n]);
                }
            });
            keep
        };
        Piped {
            out: grab(Box::new(child.stdout.take().unwrap())),
            err: grab(Box::new(child.stderr.take().unwrap())),
        }
    }

    fn stdout(&self) -> String {
        text(&self.out.lock().unwrap())
    }

    fn stderr(&self) -> String {
        text(&self.err.lock().unwrap())
    }

    /// Wait until `what` holds of (stdout, stderr).
    fn wait_for(&self, limit: Duration, what: impl Fn(&str, &str) -> bool) {
        let deadline = Instant::now() + limit;
        while !what(&self.stdout(), &self.stderr()) {
            assert!(
                Instant::now() < deadline,
                "not seen within {limit:?}; stdout: {}\nstderr: {}",
                self.stdout(),
                self.stderr()
            );
            std::thread::sleep(Duration::from_millis(50));
        }
    }
}

/// The run id in `run --host`'s "run ID (NAME) started on HOST".
fn started_id(stderr: &str) -> String {
    let line = stderr
        .lines()
        .find(|l| l.contains(") started on box"))
        .unwrap_or_else(|| panic!("no start line: {stderr}"));
    line.trim_start_matches("sessionscope: run ")
        .split_whitespace()
        .next()
        .unwrap()
        .to_string()
}

fn remote_runs(sshd: &Sshd) -> Vec<serde_json::Value> {
    let out = sshd.cli(&sshd.remote_command(), &["runs", "--host", "box", "--json"]);
    assert!(out.status.success(), "stderr: {}", text(&out.stderr));
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    v["runs"].as_array().unwrap().clone()
}

#[test]
fn a_run_started_on_a_host_streams_all_its_output_in_order_and_exits_with_its_code() {
    let Some(sshd) = Sshd::start() else { return };
    let remote = sshd.remote_command();
    let marker = sshd.dir.path().join("ran");
    let script = format!(
        "touch {}; i=1; while [ $i -le 30000 ]; do echo line $i; i=$((i+1)); done; exit 7",
        marker.display()
    );

    // No terminal to ask on and no --yes: refused here, nothing runs there.
    let out = sshd.cli(&remote, &["run", "--host", "box", "--", &script]);
    assert_eq!(out.status.code(), Some(3), "stderr: {}", text(&out.stderr));
    assert!(text(&out.stderr).contains("without --yes"));
    assert!(!marker.exists());
    assert!(remote_runs(&sshd).is_empty());

    let t = Instant::now();
    let out = sshd.cli(
        &remote,
        &[
            "run", "--host", "box", "--yes", "--name", "count", "--", &script,
        ],
    );
    let took = t.elapsed();
    let err = text(&out.stderr);
    assert_eq!(
        out.status.code(),
        Some(7),
        "the run's own code; stderr: {err}"
    );
    assert!(err.contains("on box? yes (--yes)"), "{err}");
    assert!(err.contains("on box failed (exit code 7)"), "{err}");
    // Every line, once, in order (~330 KB: several chunks of the protocol).
    let stdout = text(&out.stdout);
    let lines: Vec<&str> = stdout
        .lines()
        .map(|l| l.trim_end_matches('\r'))
        .filter(|l| !l.is_empty())
        .collect();
    assert_eq!(lines.len(), 30000, "{}", &stdout[..stdout.len().min(300)]);
    for (i, line) in lines.iter().enumerate() {
        assert_eq!(*line, format!("line {}", i + 1));
    }
    assert!(!stdout.contains("skipped"));
    eprintln!(
        "30000 lines ({} bytes) over ssh in {took:?}",
        out.stdout.len()
    );

    // In the host's own history, with its exit code and name.
    let runs = remote_runs(&sshd);
    assert_eq!(runs.len(), 1, "{runs:?}");
    assert_eq!(runs[0]["name"], "count");
    assert_eq!(runs[0]["exit_code"], 7);
    assert_eq!(runs[0]["status"], "failed");
}

#[test]
fn a_start_whose_confirmation_names_another_command_is_refused_and_nothing_runs() {
    use sessionscope_core::remote::client::Connection;
    use sessionscope_core::remote::protocol::{Answer, ConfirmedBy, Request, RunConfirmation};
    let Some(sshd) = Sshd::start() else { return };
    let marker = sshd.dir.path().join("should-not-exist");
    let ssh = SshCommand {
        program: sshd.ssh().split_whitespace().map(str::to_string).collect(),
        remote_command: sshd.remote_command(),
    };
    let mut c = Connection::open("box", &ssh, Default::default()).expect("connected");
    let bad = format!("touch {}", marker.display());
    let asks = [
        // The user said yes to something harmless; the request runs something else.
        RunConfirmation::now(ConfirmedBy::Dialog, "box", "echo hello", None),
        // The same command in another directory.
        RunConfirmation::now(ConfirmedBy::Dialog, "box", &bad, Some("/")),
        // Nothing at all was confirmed.
        RunConfirmation::now(ConfirmedBy::Dialog, "box", "", None),
    ];
    for confirmation in asks {
        let e = c
            .request(Request::StartRun {
                command: bad.clone(),
                cwd: None,
                name: None,
                confirmation,
            })
            .unwrap_err();
        assert!(e.to_string().contains("start refused"), "{e}");
    }
    let Answer::Runs { runs } = c.request(Request::Runs).unwrap() else {
        panic!("runs")
    };
    assert!(runs.is_empty(), "{runs:?}");
    std::thread::sleep(Duration::from_millis(300));
    assert!(!marker.exists());
}

#[test]
fn a_run_goes_on_when_its_ssh_is_killed_and_can_be_followed_again() {
    let Some(sshd) = Sshd::start() else { return };
    let marker = sshd.dir.path().join("finished");
    let script = format!(
        "echo started; sleep 2; echo middle; sleep 2; echo done; touch {}",
        marker.display()
    );
    let mut cli = spawn_cli(&sshd, &["run", "--host", "box", "--yes", "--", &script]);
    let piped = Piped::new(&mut cli);
    piped.wait_for(Duration::from_secs(20), |out, _| out.contains("started"));
    let id = started_id(&piped.stderr());
    // The CLI's ssh, killed: the link is gone mid-run.
    let ssh_pid = String::from_utf8(
        Command::new("pgrep")
            .args(["-P", &cli.id().to_string()])
            .output()
            .unwrap()
            .stdout,
    )
    .unwrap();
    let ssh_pid = ssh_pid.split_whitespace().next().expect("the CLI's ssh");
    let _ = Command::new("kill").args(["-9", ssh_pid]).status();
    let status = cli.wait().unwrap();
    assert_eq!(status.code(), Some(1));
    let err = piped.stderr();
    assert!(
        err.contains(&format!("runs --host box --follow {id}")),
        "says how to follow again: {err}"
    );
    assert!(!marker.exists(), "still running");

    // It goes on on the host: followed again, from the start of its log to its end.
    let out = sshd.cli(
        &sshd.remote_command(),
        &["runs", "--host", "box", "--follow", &id],
    );
    let stdout = text(&out.stdout);
    assert!(
        stdout.contains("started") && stdout.contains("middle") && stdout.contains("done"),
        "stdout: {stdout}\nstderr: {}",
        text(&out.stderr)
    );
    assert!(marker.exists(), "the run finished on the host");
    let runs = remote_runs(&sshd);
    let run = runs
        .iter()
        .find(|r| r["id"] == id.as_str())
        .expect("in history");
    assert_ne!(run["status"], "running", "{run}");
    assert_ne!(run["status"], "killed", "{run}");
}

/// The resident memory of process `pid` in KiB (0 once it is gone).
fn rss_kib(pid: &str) -> u64 {
    std::fs::read_to_string(format!("/proc/{pid}/status"))
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("VmRSS:"))
                .and_then(|l| l.split_whitespace().nth(1).map(str::to_string))
        })
        .and_then(|v| v.parse().ok())
        .unwrap_or(0)
}

#[test]
fn a_flooding_run_is_carried_in_bounded_memory_with_its_gaps_said_and_counted() {
    let Some(sshd) = Sshd::start() else { return };
    let pidfile = sshd.dir.path().join("serve.pid");
    let remote = format!("echo $$ > {}; {}", pidfile.display(), sshd.remote_command());
    // 100 MB as fast as the host prints it, then a last line.
    let script = "head -c 100000000 /dev/zero | tr '\\0' x; echo; echo END-OF-FLOOD";
    let args = ["run", "--host", "box", "--yes", "--", script];
    let mut cli = spawn_cli_via(&sshd, &remote, &args, Stdio::null());
    let cli_pid = cli.id().to_string();
    let mut stdout = cli.stdout.take().unwrap();
    let stderr = cli.stderr.take().unwrap();
    let err = std::thread::spawn(move || {
        let mut e = String::new();
        let _ = std::io::Read::read_to_string(&mut { stderr }, &mut e);
        e
    });
    // The peak memory of this side's CLI and of the host's serve, sampled meanwhile.
    let done = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    let sampler = {
        let (done, pidfile, cli_pid) = (done.clone(), pidfile.clone(), cli_pid.clone());
        std::thread::spawn(move || {
            let (mut cli_max, mut serve_max) = (0, 0);
            while !done.load(std::sync::atomic::Ordering::SeqCst) {
                let serve = std::fs::read_to_string(&pidfile).unwrap_or_default();
                cli_max = cli_max.max(rss_kib(&cli_pid));
                serve_max = serve_max.max(rss_kib(serve.trim()));
                std::thread::sleep(Duration::from_millis(20));
            }
            (cli_max, serve_max)
        })
    };
    let t = Instant::now();
    let (mut shown, mut tail) = (0u64, Vec::<u8>::new());
    let mut buf = vec![0u8; 1 << 16];
    while let Ok(n @ 1..) = std::io::Read::read(&mut stdout, &mut buf) {
        shown += n as u64;
        // Only what is not the flood's x's is kept (the notices and the end).
        tail.extend(buf[..n].iter().filter(|b| **b != b'x'));
    }
    let status = cli.wait().unwrap();
    let took = t.elapsed();
    done.store(true, std::sync::atomic::Ordering::SeqCst);
    let (cli_max, serve_max) = sampler.join().unwrap();
    let err = err.join().unwrap();
    let rest = text(&tail);
    assert_eq!(status.code(), Some(0), "stderr: {err}");
    assert!(rest.contains("END-OF-FLOOD"), "{rest}");
    // What was shown plus what was said to be skipped is the whole log on the host.
    let notices: Vec<u64> = rest
        .split("output skipped ")
        .skip(1)
        .map(|p| p.split(' ').next().unwrap().parse().unwrap())
        .collect();
    let notice_bytes: u64 = notices
        .iter()
        .map(|n| sessionscope_core::remote::run_stream::skipped_notice(*n).len() as u64)
        .sum();
    let runs = remote_runs(&sshd);
    let log = runs[0]["log_path"].as_str().unwrap();
    let logged = std::fs::metadata(log).unwrap().len();
    assert_eq!(
        shown - notice_bytes + notices.iter().sum::<u64>(),
        logged,
        "{} skips: {notices:?}",
        notices.len()
    );
    eprintln!(
        "flood of {logged} bytes in {took:?}: {} bytes shown, {} skipped in {} gaps; peak \
         RSS: CLI {cli_max} KiB, serve {serve_max} KiB",
        shown - notice_bytes,
        notices.iter().sum::<u64>(),
        notices.len()
    );
    assert!(cli_max > 0 && serve_max > 0, "sampled");
    assert!(cli_max < 100 * 1024, "CLI peak {cli_max} KiB");
    assert!(serve_max < 200 * 1024, "serve peak {serve_max} KiB");
}

#[test]
fn lines_piped_into_run_host_reach_the_run_in_order() {
    let Some(sshd) = Sshd::start() else { return };
    let script = "read first; read second; echo got-$first-$second";
    let args = ["run", "--host", "box", "--yes", "--", script];
    let mut cli = spawn_cli_via(&sshd, &sshd.remote_command(), &args, Stdio::piped());
    let mut stdin = cli.stdin.take().unwrap();
    stdin.write_all(b"one\n").unwrap();
    // Then a key at a time, as typed: each is a request of its own, and they must
    // reach the run in the order typed.
    for key in b"0123456789abcdefghijklmnopqrstuvwxyz\n" {
        stdin.write_all(&[*key]).unwrap();
        stdin.flush().unwrap();
        std::thread::sleep(Duration::from_millis(5));
    }
    drop(stdin);
    let out = cli.wait_with_output().unwrap();
    assert!(out.status.success(), "stderr: {}", text(&out.stderr));
    assert!(
        text(&out.stdout).contains("got-one-0123456789abcdefghijklmnopqrstuvwxyz"),
        "{}",
        text(&out.stdout)
    );
}

#[test]
fn a_remote_run_is_stopped_by_the_confirmed_kill_and_its_follower_hears_the_end() {
    let Some(sshd) = Sshd::start() else { return };
    let args = ["run", "--host", "box", "--yes", "--", "echo up; sleep 60"];
    let mut cli = spawn_cli(&sshd, &args);
    let piped = Piped::new(&mut cli);
    piped.wait_for(Duration::from_secs(20), |out, _| out.contains("up"));
    let id = started_id(&piped.stderr());
    // Without a terminal and without --yes: refused, the run goes on.
    let out = sshd.cli(&sshd.remote_command(), &["kill", "--host", "box", &id]);
    assert_eq!(out.status.code(), Some(3), "{}", text(&out.stderr));
    assert!(cli.try_wait().unwrap().is_none(), "still following");
    let out = sshd.cli(
        &sshd.remote_command(),
        &["kill", "--host", "box", "--yes", "--grace", "1", &id],
    );
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert!(
        text(&out.stdout).contains("On host box"),
        "{}",
        text(&out.stdout)
    );
    // The CLI following it sees the end and exits with the run's status.
    let status = cli.wait().unwrap();
    assert_ne!(status.code(), Some(0));
    assert!(
        piped.stderr().contains("on box killed"),
        "{}",
        piped.stderr()
    );
    let runs = remote_runs(&sshd);
    let run = runs.iter().find(|r| r["id"] == id.as_str()).unwrap();
    assert_eq!(run["status"], "killed", "{run}");
}

#[test]
fn ctrl_c_detaches_and_a_terminated_serve_leaves_the_run_going() {
    let Some(sshd) = Sshd::start() else { return };
    let pidfile = sshd.dir.path().join("serve.pid");
    let remote = format!("echo $$ > {}; {}", pidfile.display(), sshd.remote_command());
    let start = |marker: &Path| {
        let script = format!("echo begun; sleep 3; touch {}", marker.display());
        let args = ["run", "--host", "box", "--yes", "--", &script];
        let mut cli = spawn_cli_via(&sshd, &remote, &args, Stdio::null());
        let piped = Piped::new(&mut cli);
        piped.wait_for(Duration::from_secs(20), |out, _| out.contains("begun"));
        let id = started_id(&piped.stderr());
        (cli, piped, id)
    };
    let goes_on = |marker: &Path, id: &str| {
        let deadline = Instant::now() + Duration::from_secs(15);
        while !marker.exists() {
            assert!(Instant::now() < deadline, "run {id} did not go on");
            std::thread::sleep(Duration::from_millis(100));
        }
        let runs = remote_runs(&sshd);
        let run = runs.iter().find(|r| r["id"] == id).unwrap();
        assert_ne!(run["status"], "killed", "{run}");
    };

    // Ctrl-C (SIGINT to the CLI alone): detached, saying how to follow again.
    let marker = sshd.dir.path().join("detached");
    let (mut cli, piped, id) = start(&marker);
    let _ = Command::new("kill")
        .args(["-INT", &cli.id().to_string()])
        .status();
    assert_eq!(cli.wait().unwrap().code(), Some(130), "{}", piped.stderr());
    let err = piped.stderr();
    assert!(err.contains("detached"), "{err}");
    assert!(
        err.contains(&format!("runs --host box --follow {id}")),
        "{err}"
    );
    goes_on(&marker, &id);

    // The host's serve ended by a SIGTERM while the CLI follows: the link is lost
    // here, and the run goes on there.
    let marker = sshd.dir.path().join("terminated");
    let (mut cli, piped, id) = start(&marker);
    let _ = Command::new("kill")
        .args(["-TERM", &serve_pid(&pidfile)])
        .status();
    assert_eq!(cli.wait().unwrap().code(), Some(1), "{}", piped.stderr());
    assert!(
        piped.stderr().contains("goes on on box"),
        "{}",
        piped.stderr()
    );
    goes_on(&marker, &id);
}

/// `sessionscope ARGS` on a terminal of its own (util-linux `script`), `typed` fed to
/// it as keys; what the terminal showed. `None` without `script`.
fn on_a_terminal(sshd: &Sshd, args: &[&str], typed: &str) -> Option<(Option<i32>, String)> {
    let line = std::iter::once(BIN)
        .chain(args.iter().copied())
        .map(|w| shell_words::quote(w).into_owned())
        .collect::<Vec<_>>()
        .join(" ");
    let local = sshd.dir.path().join("local-home");
    let mut child = Command::new("script")
        .args(["-qec", &line, "/dev/null"])
        .env("SESSIONSCOPE_SSH", sshd.ssh())
        .env("SESSIONSCOPE_REMOTE_COMMAND", sshd.remote_command())
        .env("SESSIONSCOPE_DATA_DIR", local.join("data"))
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .ok()?;
    // The question is asked before anything is read: the keys wait in the terminal.
    std::thread::sleep(Duration::from_millis(500));
    let mut stdin = child.stdin.take().unwrap();
    stdin.write_all(typed.as_bytes()).unwrap();
    // Kept open until the end: a closed one would be a Ctrl-D on the terminal.
    let out = child.wait_with_output().unwrap();
    drop(stdin);
    Some((out.status.code(), text(&out.stdout)))
}

#[test]
fn on_a_terminal_run_host_asks_and_runs_only_on_yes() {
    let Some(sshd) = Sshd::start() else { return };
    let marker = sshd.dir.path().join("asked");
    let script = format!("touch {}; echo ran-after-yes", marker.display());
    let args = ["run", "--host", "box", "--", &script];
    let Some((code, shown)) = on_a_terminal(&sshd, &args, "n\n") else {
        eprintln!("SKIP: no util-linux script to give the CLI a terminal");
        return;
    };
    assert!(
        shown.contains(&format!("Run `{script}` on box? [y/N]")),
        "{shown}"
    );
    assert_eq!(code, Some(3), "{shown}");
    assert!(shown.contains("Nothing was started"), "{shown}");
    assert!(!marker.exists());
    let (code, shown) = on_a_terminal(&sshd, &args, "y\n").unwrap();
    assert_eq!(code, Some(0), "{shown}");
    assert!(shown.contains("ran-after-yes"), "{shown}");
    assert!(marker.exists());
}

/// A hostile remote after a good hello and snapshot, over real ssh and through the
/// app's path (the link, and the table it feeds): a flood of changes is followed
/// without the table growing past the flood's keys, and the link is dropped at once;
/// a line that is not the protocol (a shell command in it) or one over the cap ends
/// that connection as the host's error within 5 s, its rows kept and nothing run.
#[test]
fn a_hostile_remote_after_its_hello_cannot_freeze_or_crash_the_link() {
    use sessionscope_core::model::{Session, SessionChange, SessionCounts, SessionSnapshot};
    use sessionscope_core::remote::protocol::{encode, Hello, ServerMessage};
    let Some(sshd) = Sshd::start() else { return };
    let dir = sshd.dir.path();
    // Rows as a real serve makes them: the fixtures' first session, under other keys.
    let fixtures =
        PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../tests/fixtures/claude-cli");
    let out = Command::new(BIN)
        .args(["ps", "--all", "--json", "--no-cache"])
        .env("CLAUDE_CONFIG_DIR", &fixtures)
        .env("SESSIONSCOPE_DATA_DIR", dir.join("data"))
        .stdin(Stdio::null())
        .output()
        .unwrap();
    let listed: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let template: Session = serde_json::from_value(listed["sessions"][0].clone()).unwrap();
    let blank = |key: &str| Session {
        key: key.to_string(),
        ..template.clone()
    };
    let line = |m: &ServerMessage| String::from_utf8(encode(m)).unwrap() + "\n";
    let opening = line(&ServerMessage::Hello(Hello::this_build()))
        + &line(&ServerMessage::Snapshot {
            snapshot: SessionSnapshot {
                sessions: vec![blank("a"), blank("b")],
                ..SessionSnapshot::default()
            },
        });
    std::fs::write(dir.join("opening.jsonl"), &opening).unwrap();
    // 1,000 changes over 100 keys, sent again and again as fast as ssh carries them.
    let flood: String = (0..1000)
        .map(|i| {
            let mut s = blank(&format!("k{}", i % 100));
            s.user_messages = i;
            line(&ServerMessage::Changed {
                change: SessionChange {
                    upserted: vec![s],
                    removed: Vec::new(),
                },
                counts: SessionCounts::default(),
            })
        })
        .collect();
    std::fs::write(dir.join("flood.jsonl"), flood).unwrap();
    let pwned = dir.join("pwned");
    let remote = |rest: &str| format!("cat {}; {rest}", dir.join("opening.jsonl").display());
    let start = |remote_command: String| {
        let ssh = SshCommand {
            program: sshd.ssh().split_whitespace().map(str::to_string).collect(),
            remote_command,
        };
        let (tx, rx) = mpsc::channel();
        let link = HostLink::start("box", ssh, move |e| {
            let _ = tx.send(e);
        });
        let mut view = View::new(rx);
        let live = view.wait_for(Duration::from_secs(15), &is_live);
        assert_eq!(live.sessions.len(), 2);
        (link, view)
    };

    // The flood, until the link is dropped: a `cat` that can no longer write ends the
    // loop (with `while :` the remote side spun on after the test, one per run).
    let (link, mut view) = start(remote(&format!(
        "while cat {}; do :; done",
        dir.join("flood.jsonl").display()
    )));
    let mut changes = 0u32;
    let deadline = Instant::now() + Duration::from_secs(3);
    while Instant::now() < deadline {
        if let Ok(e) = view.rx.recv_timeout(Duration::from_millis(50)) {
            changes += u32::from(matches!(e, LinkEvent::Changed { .. }));
            view.host.apply(e);
        }
    }
    assert!(changes >= 1000, "only {changes} changes in 3 s");
    assert_eq!(
        view.host.sessions.len(),
        102,
        "a, b and the flood's 100 keys"
    );
    assert!(
        matches!(view.host.state, HostState::Live { .. }),
        "{:?}",
        view.host.state
    );
    eprintln!("flood over real ssh: {changes} changes followed in 3 s");
    let t = Instant::now();
    drop(link);
    assert!(
        t.elapsed() < Duration::from_secs(2),
        "drop took {:?}",
        t.elapsed()
    );

    // Garbage, then a line over the cap, each after a good opening.
    for (rest, said) in [
        (
            format!("sleep 0.3; echo 'touch {}'; sleep 30", pwned.display()),
            "not the sessionscope protocol",
        ),
        (
            "sleep 0.3; head -c 80000000 /dev/zero | tr '\\0' x; sleep 30".to_string(),
            "longer than",
        ),
    ] {
        let (link, mut view) = start(remote(&rest));
        let t = Instant::now();
        let broken = view.wait_for(Duration::from_secs(5), &|e| {
            matches!(e, LinkEvent::State(s) if !matches!(s, HostState::Live { .. } | HostState::Connecting))
        });
        assert!(t.elapsed() < Duration::from_secs(5), "{:?}", t.elapsed());
        assert!(
            broken.state.describe().contains(said),
            "expected {said:?}: {:?}",
            broken.state
        );
        assert_eq!(broken.sessions.len(), 2, "the last known rows stay");
        drop(link);
    }
    assert!(!pwned.exists(), "nothing a remote sends is run");
}
