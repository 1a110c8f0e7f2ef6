//! Which machines a command is about: this one, the hosts named with `--host`, or
//! every host in Settings (`--all-hosts`). A host is whatever `ssh` accepts as a
//! destination (`user@host`, a name from `~/.ssh/config`), checked here only so that
//! it cannot be read as an option of `ssh`.

use std::fmt;

/// The name that means this machine in `--host` and in the Host column.
pub const LOCAL: &str = "local";

/// This machine's name as the system knows it (the app's Host column names local rows
/// so), or [`LOCAL`] when it has none.
pub fn this_machine() -> String {
    sysinfo::System::host_name()
        .map(|n| n.trim().to_string())
        .filter(|n| !n.is_empty())
        .unwrap_or_else(|| LOCAL.to_string())
}

/// One machine a command reads or acts on.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Machine {
    Local,
    Remote(String),
}

impl Machine {
    /// What the Host column and JSON's `host` show.
    pub fn name(&self) -> &str {
        match self {
            Machine::Local => LOCAL,
            Machine::Remote(h) => h,
        }
    }
}

impl fmt::Display for Machine {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// `host` if `ssh` can only read it as a destination: not empty, not an option
/// (`-oProxyCommand=...`), no spaces or control characters.
pub fn check_host(host: &str) -> Result<String, String> {
    let h = host.trim();
    if h.is_empty() {
        return Err("an empty host name".into());
    }
    if h.starts_with('-') {
        return Err(format!("{h:?} is not a host name (it starts with '-')"));
    }
    if h.chars().any(|c| c.is_whitespace() || c.is_control()) {
        return Err(format!(
            "{h:?} is not a host name (spaces or control characters)"
        ));
    }
    Ok(h.to_string())
}

/// The machines of `--host H...` and `--all-hosts`: this one alone when neither is
/// given; `--all-hosts` is this one and every host in `settings_hosts`. Named hosts
/// come in the order given, each once; `local` names this machine.
pub fn machines(
    named: &[String],
    all_hosts: bool,
    settings_hosts: &[String],
) -> Result<Vec<Machine>, String> {
    let mut out = Vec::new();
    if all_hosts {
        if settings_hosts.is_empty() && named.is_empty() {
            return Err(
                "--all-hosts: no hosts in Settings (add them to \"hosts\" in \
                        settings.json, or name one with --host)"
                    .into(),
            );
        }
        out.push(Machine::Local);
    }
    let listed = if all_hosts { settings_hosts } else { &[] };
    // A blank line in Settings' list is no host.
    let listed = listed.iter().filter(|h| !h.trim().is_empty());
    for h in named.iter().chain(listed) {
        let m = if h.trim() == LOCAL {
            Machine::Local
        } else {
            Machine::Remote(check_host(h)?)
        };
        if !out.contains(&m) {
            out.push(m);
        }
    }
    if out.is_empty() {
        out.push(Machine::Local);
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn s(v: &[&str]) -> Vec<String> {
        v.iter().map(|x| x.to_string()).collect()
    }

    #[test]
    fn no_flag_is_this_machine_and_all_hosts_adds_settings() {
        assert_eq!(machines(&[], false, &s(&["a"])).unwrap(), [Machine::Local]);
        assert_eq!(
            machines(&s(&["b", "a"]), true, &s(&["a", "c"])).unwrap(),
            [
                Machine::Local,
                Machine::Remote("b".into()),
                Machine::Remote("a".into()),
                Machine::Remote("c".into())
            ]
        );
        assert_eq!(
            machines(&s(&["local", "u@h"]), false, &[]).unwrap(),
            [Machine::Local, Machine::Remote("u@h".into())]
        );
        assert!(machines(&[], true, &[]).is_err());
        assert_eq!(
            machines(&[], true, &s(&["", " "])).unwrap(),
            [Machine::Local]
        );
    }

    #[test]
    fn this_machine_has_a_name_and_it_is_never_blank() {
        let name = this_machine();
        assert!(!name.trim().is_empty());
        assert_eq!(name, name.trim());
    }

    #[test]
    fn nothing_that_ssh_would_read_as_an_option_is_a_host() {
        for bad in ["-oProxyCommand=touch /tmp/x", "", "a b", "a\nb", " -p 22"] {
            assert!(machines(&s(&[bad]), false, &[]).is_err(), "{bad:?}");
        }
        assert_eq!(check_host(" dev-box ").unwrap(), "dev-box");
    }
}
