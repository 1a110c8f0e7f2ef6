//! `sessionscope remote install|status|watch`: getting sessionscope onto a host, and
//! seeing how each host is doing. Everything goes through the user's own `ssh`
//! (`sessionscope_core::remote::client`); nothing here listens or runs what a host says.

use std::io::Write;
use std::process::Stdio;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use anyhow::{bail, Context};
use chrono::Local;
use clap::{Args, Subcommand};
use sessionscope_core::remote::client::SshCommand;
use sessionscope_core::remote::hosts::{check_host, Machine};
use sessionscope_core::remote::link::{HostLink, HostState, LinkEvent};

use crate::hosts::{self, HostArgs};

#[derive(Args)]
pub struct RemoteArgs {
    #[command(subcommand)]
    command: RemoteCommand,
}

#[derive(Subcommand)]
enum RemoteCommand {
    /// Copy this sessionscope to HOST (~/.local/bin/sessionscope) when the host's OS
    /// and architecture are this one's; otherwise say how to install it there.
    Install {
        /// user@host or a name from ~/.ssh/config.
        host: String,
    },
    /// Connect to each host once: live (with its version and sessions), or what is
    /// wrong and what to do.
    Status {
        #[command(flatten)]
        hosts: HostArgs,
        /// Print JSON: [{"host": ..., "live": bool, ...}].
        #[arg(long)]
        json: bool,
    },
    /// Follow hosts live and print each state (connecting, live, lost, retrying) and
    /// each change set as it comes, then the bytes received per host.
    Watch {
        #[command(flatten)]
        hosts: HostArgs,
        /// Stop after this many seconds (default: until interrupted).
        #[arg(long, value_name = "SECS")]
        seconds: Option<u64>,
    },
}

pub fn run(args: RemoteArgs) -> anyhow::Result<()> {
    match args.command {
        RemoteCommand::Install { host } => install(&host),
        RemoteCommand::Status { hosts, json } => status(&hosts, json),
        RemoteCommand::Watch { hosts, seconds } => watch(&hosts, seconds),
    }
}

/// The remote hosts of `--host`/`--all-hosts`, else every host in Settings.
fn remote_hosts(args: &HostArgs) -> anyhow::Result<Vec<String>> {
    let args = if args.named() {
        args.clone()
    } else {
        HostArgs {
            all_hosts: true,
            ..HostArgs::default()
        }
    };
    let remote: Vec<String> = args
        .machines()?
        .into_iter()
        .filter_map(|m| match m {
            Machine::Remote(h) => Some(h),
            Machine::Local => None,
        })
        .collect();
    if remote.is_empty() {
        bail!("no remote host: name one with --host, or add it to \"hosts\" in settings.json");
    }
    Ok(remote)
}

fn status(args: &HostArgs, json: bool) -> anyhow::Result<()> {
    let hosts = remote_hosts(args)?;
    let machines: Vec<Machine> = hosts.iter().cloned().map(Machine::Remote).collect();
    let results = hosts::each_remote(&machines, |c| {
        let hello = c.hello.clone();
        c.snapshot().map(|s| (hello, s.counts))
    });
    let mut failed = false;
    let mut out = Vec::new();
    for (host, result) in results {
        match result {
            Ok((hello, counts)) => {
                if !json {
                    println!(
                        "{host}: live, sessionscope {} (protocol {}) on {}/{}, {} sessions ({} active)",
                        hello.version, hello.protocol, hello.os, hello.arch, counts.total, counts.active
                    );
                }
                out.push(serde_json::json!({
                    "host": host, "live": true, "version": hello.version,
                    "protocol": hello.protocol, "os": hello.os, "arch": hello.arch,
                    "counts": counts,
                }));
            }
            Err(e) => {
                failed = true;
                if !json {
                    println!("{host}: {e}");
                }
                out.push(
                    serde_json::json!({ "host": host, "live": false, "error": e.to_string() }),
                );
            }
        }
    }
    if json {
        println!("{}", serde_json::to_string_pretty(&out)?);
    }
    if failed {
        std::process::exit(crate::exit::ERROR);
    }
    Ok(())
}

fn watch(args: &HostArgs, seconds: Option<u64>) -> anyhow::Result<()> {
    let hosts = remote_hosts(args)?;
    let started = Instant::now();
    // Per host: the bytes received, and the bytes and time when it last went live (what
    // came after that is the idle cost: beats and changes only).
    type Live = Arc<Mutex<Option<(u64, Instant)>>>;
    let links: Vec<(String, HostLink, Arc<AtomicU64>, Live)> = hosts
        .iter()
        .map(|host| {
            let name = host.clone();
            let bytes = Arc::new(AtomicU64::new(0));
            let live: Live = Arc::default();
            let (counter, went_live) = (Arc::clone(&bytes), Arc::clone(&live));
            let link = HostLink::start_counting(
                host,
                SshCommand::from_env(),
                Arc::clone(&bytes),
                move |event| {
                    let at = Local::now().format("%H:%M:%S");
                    let line = match event {
                        LinkEvent::State(s) => {
                            if matches!(s, HostState::Live { .. }) {
                                let n = counter.load(Ordering::Relaxed);
                                *went_live.lock().unwrap_or_else(|e| e.into_inner()) =
                                    Some((n, Instant::now()));
                            }
                            s.describe()
                        }
                        LinkEvent::Snapshot(s) => format!(
                            "snapshot: {} sessions ({} bytes received so far)",
                            s.sessions.len(),
                            counter.load(Ordering::Relaxed)
                        ),
                        LinkEvent::Changed { change, counts } => format!(
                            "changed: {} upserted, {} removed ({} active)",
                            change.upserted.len(),
                            change.removed.len(),
                            counts.active
                        ),
                        LinkEvent::Notices(n) => format!("{} notices", n.len()),
                    };
                    let mut out = std::io::stdout().lock();
                    let _ = writeln!(out, "{at} {name}: {line}");
                    let _ = out.flush();
                },
            );
            (host.clone(), link, bytes, live)
        })
        .collect();
    let until = seconds.map(|s| started + Duration::from_secs(s));
    while until.is_none_or(|u| Instant::now() < u) {
        std::thread::sleep(Duration::from_millis(200));
    }
    for (host, _link, bytes, live) in &links {
        let total = bytes.load(Ordering::Relaxed);
        let mut line = format!(
            "{host}: {total} bytes received in {:.1} s",
            started.elapsed().as_secs_f64()
        );
        if let Some((at_live, since)) = *live.lock().unwrap_or_else(|e| e.into_inner()) {
            let secs = since.elapsed().as_secs_f64();
            let idle = total.saturating_sub(at_live);
            line.push_str(&format!(
                "; since it went live {idle} bytes in {secs:.1} s ({:.0} bytes/minute)",
                idle as f64 * 60.0 / secs.max(1e-9)
            ));
        }
        println!("{line}");
    }
    Ok(())
}

/// `uname -s` and `-m` as `std::env::consts` names them.
fn os_arch(uname: &str) -> Option<(String, String)> {
    let mut words = uname.split_whitespace();
    let os = match words.next()? {
        "Linux" => "linux",
        "Darwin" => "macos",
        "FreeBSD" => "freebsd",
        other => return Some((other.to_lowercase(), words.next()?.to_string())),
    };
    let arch = match words.next()? {
        "x86_64" | "amd64" => "x86_64",
        "aarch64" | "arm64" => "aarch64",
        other => other,
    };
    Some((os.to_string(), arch.to_string()))
}

/// The exit code of the remote copy when fewer bytes arrived than were sent.
const INCOMPLETE: i32 = 3;

fn install(host: &str) -> anyhow::Result<()> {
    let host = check_host(host).map_err(anyhow::Error::msg)?;
    if host == sessionscope_core::remote::hosts::LOCAL {
        bail!("`local` is this machine; name a remote host");
    }
    let ssh = SshCommand::from_env();
    let uname = ssh
        .command(&host, "uname -sm")
        .stdin(Stdio::null())
        .output()
        .with_context(|| format!("running {}", ssh.program[0]))?;
    if !uname.status.success() {
        bail!(
            "ssh {host} failed: {}",
            String::from_utf8_lossy(&uname.stderr).trim()
        );
    }
    let said = String::from_utf8_lossy(&uname.stdout).to_string();
    let Some((os, arch)) = os_arch(&said) else {
        bail!("{host}: `uname -sm` said {said:?}, which names no OS and architecture");
    };
    let (our_os, our_arch) = (std::env::consts::OS, std::env::consts::ARCH);
    if (os.as_str(), arch.as_str()) != (our_os, our_arch) {
        bail!(
            "{host} is {os}/{arch} and this sessionscope is built for {our_os}/{our_arch}, \
             so it cannot be copied. Install it there from the source (`cargo install \
             --path crates/cli` in a clone of Sessionscope), or copy a {os}/{arch} build to \
             ~/.local/bin/sessionscope on {host}."
        );
    }
    let exe = std::env::current_exe().context("finding this program's file")?;
    // ssh reads the program straight from its file: no pipe is written here, so an ssh
    // that ends mid-copy cannot end this process with SIGPIPE (the CLI restores its
    // default action for `| head`), and 100+ MB are not held in memory.
    let file = std::fs::File::open(&exe).with_context(|| format!("reading {}", exe.display()))?;
    let len = file.metadata()?.len();
    // In `sh` whatever the login shell is. The copy goes to a temporary name and is
    // kept only if every byte arrived: a copy cut short (ssh or the network dropping)
    // must not leave a truncated program where the next `ssh HOST sessionscope` finds it.
    let put = format!(
        "exec sh -c 'mkdir -p \"$HOME/.local/bin\" && cd \"$HOME/.local/bin\" || exit 1; \
         cat > .sessionscope.new || {{ rm -f .sessionscope.new; exit 1; }}; \
         if [ $(wc -c < .sessionscope.new) -ne {len} ]; then rm -f .sessionscope.new; exit {INCOMPLETE}; fi; \
         chmod 755 .sessionscope.new && mv -f .sessionscope.new sessionscope'"
    );
    let status = ssh
        .command(&host, &put)
        .stdin(Stdio::from(file))
        .status()
        .with_context(|| format!("running {}", ssh.program[0]))?;
    if status.code() == Some(INCOMPLETE) {
        bail!(
            "the copy to {host} was cut short; nothing was installed there. Run \
             `sessionscope remote install {host}` again"
        );
    }
    if !status.success() {
        bail!("copying to {host}:~/.local/bin/sessionscope failed (see ssh's message above)");
    }
    let c = hosts::connect(&host)?;
    println!(
        "installed {len} bytes as {host}:~/.local/bin/sessionscope; it answers: sessionscope {} \
         (protocol {})",
        c.hello.version, c.hello.protocol
    );
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn uname_names_map_to_rust_names() {
        assert_eq!(
            os_arch("Linux x86_64\n"),
            Some(("linux".into(), "x86_64".into()))
        );
        assert_eq!(
            os_arch("Darwin arm64"),
            Some(("macos".into(), "aarch64".into()))
        );
        assert_eq!(os_arch(""), None);
    }
}
