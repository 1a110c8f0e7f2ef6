//! `--host H` (repeatable) and `--all-hosts`, shared by every command that can read
//! another machine: which machines, one ssh connection per remote host (all at once),
//! and the Host column / `host` field. A host that cannot be read is reported on
//! stderr with what to do, and the others are still shown; the command then exits 1.

use clap::Args;
use sessionscope_core::model::Session;
use sessionscope_core::paths;
use sessionscope_core::remote::client::{Connection, LinkError, SshCommand};
use sessionscope_core::remote::hosts::{self, Machine};
use sessionscope_core::settings;

#[derive(Args, Clone, Default)]
pub struct HostArgs {
    /// Read this machine over ssh instead (user@host or a name from ~/.ssh/config;
    /// `local` is this machine). Repeat for several.
    #[arg(long = "host", value_name = "HOST")]
    pub hosts: Vec<String>,
    /// This machine and every host in Settings' host list ("hosts" in settings.json).
    #[arg(long)]
    pub all_hosts: bool,
}

impl HostArgs {
    /// The machines asked for (this one alone by default).
    pub fn machines(&self) -> anyhow::Result<Vec<Machine>> {
        let listed = if self.all_hosts {
            settings::load(&settings::settings_path(&paths::data_dir()))
                .0
                .hosts
        } else {
            Vec::new()
        };
        hosts::machines(&self.hosts, self.all_hosts, &listed).map_err(anyhow::Error::msg)
    }

    /// Whether the output names hosts (a Host column, a `host` field).
    pub fn named(&self) -> bool {
        self.all_hosts || !self.hosts.is_empty()
    }

    /// The one machine of a command that acts on one (`kill`, `transcript`).
    pub fn one(&self) -> anyhow::Result<Machine> {
        match self.machines()?.as_slice() {
            [one] => Ok(one.clone()),
            _ => anyhow::bail!("name one host with --host for this command"),
        }
    }
}

/// Connect to one host (hello checked, protocol version the same).
pub fn connect(host: &str) -> Result<Connection, LinkError> {
    Connection::open(host, &SshCommand::from_env(), Default::default())
}

/// Run `f` on a connection to each of `machines`' remote hosts, all at once; results
/// in the order given, local machines skipped.
pub fn each_remote<T: Send>(
    machines: &[Machine],
    f: impl Fn(&mut Connection) -> Result<T, LinkError> + Sync,
) -> Vec<(String, Result<T, LinkError>)> {
    std::thread::scope(|scope| {
        let handles: Vec<_> = machines
            .iter()
            .filter_map(|m| match m {
                Machine::Remote(h) => Some(h.clone()),
                Machine::Local => None,
            })
            .map(|h| {
                let (f, name) = (&f, h.clone());
                let handle = scope.spawn(move || connect(&h).and_then(|mut c| f(&mut c)));
                (name, handle)
            })
            .collect();
        handles
            .into_iter()
            .map(|(h, handle)| {
                let result = handle.join().unwrap_or_else(|_| {
                    Err(LinkError::Lost {
                        host: h.clone(),
                        reason: "the reading thread failed".into(),
                    })
                });
                (h, result)
            })
            .collect()
    })
}

/// The error for an answer of the wrong kind.
pub fn unexpected(c: &Connection) -> LinkError {
    LinkError::Garbage {
        host: c.host().to_string(),
        preview: "an answer of another kind than asked".into(),
    }
}

/// Say what went wrong with a host, on stderr.
pub fn warn(e: &LinkError) {
    eprintln!("sessionscope: {e}");
}

/// A session as JSON with the machine it is on.
pub fn with_host(session: &Session, host: &str) -> serde_json::Value {
    let mut v = serde_json::to_value(session).unwrap_or_default();
    if let Some(o) = v.as_object_mut() {
        o.insert("host".into(), host.into());
    }
    v
}
