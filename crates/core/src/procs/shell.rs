//! Whether an agent's persistent shell is running a command: the only sign of a tool
//! call in progress for agents that write nothing while their tool runs.
//!
//! gptme 0.35 starts one `bash` (no `-c`: it reads the commands from a pipe) as its
//! child when the shell tool is first used, and keeps it for the whole conversation.
//! Each command runs in it: external programs as the shell's children, builtins and
//! loops in the shell itself. So the shell is at work while it has a child process, or
//! while it is on a CPU (Unix: state `R`); between commands it sleeps in `read` on its
//! pipe with no child. One-off shells (`bash -c ...`: gptme's background jobs and
//! terminal-bound commands) are not the persistent shell: a background job may run
//! while the model answers, and is no sign that a tool call is in progress.
//!
//! Pure: the caller passes the process tree.

use std::borrow::Cow;
use std::collections::HashSet;

/// One process of the tree, as much of it as the rule needs.
#[derive(Debug, Clone)]
pub struct Node<'a> {
    pub pid: u32,
    pub parent: Option<u32>,
    /// The executable name (`bash`, `bash.exe`).
    pub name: Cow<'a, str>,
    /// The command line, program first.
    pub args: Vec<Cow<'a, str>>,
    /// On a CPU right now (Unix state `R`). Windows reports every process as running,
    /// so callers there pass `false`.
    pub running: bool,
}

/// The pids among `agents` whose persistent shell is running a command.
pub fn agents_running_a_command(agents: &[u32], tree: &[Node<'_>]) -> HashSet<u32> {
    let parents: HashSet<u32> = tree.iter().filter_map(|n| n.parent).collect();
    tree.iter()
        .filter(|n| n.parent.is_some_and(|p| agents.contains(&p)))
        .filter(|n| is_persistent_shell(&n.name, &n.args))
        .filter(|shell| shell.running || parents.contains(&shell.pid))
        .filter_map(|shell| shell.parent)
        .collect()
}

/// A shell that reads its commands from stdin: a shell program given options only,
/// none of them `-c` (alone or in a cluster such as `-lc`).
fn is_persistent_shell(name: &str, args: &[Cow<'_, str>]) -> bool {
    let name = name.trim_end_matches(".exe");
    if !matches!(name, "bash" | "sh" | "zsh" | "dash") {
        return false;
    }
    args.iter().skip(1).all(|a| {
        let a = a.as_ref();
        a.starts_with("--") || (a.starts_with('-') && !a.contains('c'))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn node(pid: u32, parent: u32, cmd: &str, running: bool) -> Node<'static> {
        let args: Vec<Cow<'static, str>> =
            cmd.split(' ').map(|a| Cow::Owned(a.to_string())).collect();
        Node {
            pid,
            parent: Some(parent),
            name: args[0].clone(),
            args,
            running,
        }
    }

    const GPTME: u32 = 100;

    fn at_work(tree: &[Node<'_>]) -> bool {
        agents_running_a_command(&[GPTME], tree).contains(&GPTME)
    }

    #[test]
    fn a_child_of_the_persistent_shell_is_a_command_at_work() {
        let idle = [
            node(GPTME, 1, "gptme --non-interactive", true),
            node(200, GPTME, "bash", false),
        ];
        assert!(!at_work(&idle));
        let mut busy = idle.to_vec();
        busy.push(node(201, 200, "sleep 0.05", false));
        assert!(at_work(&busy));
        // Between two commands of a loop the shell itself runs.
        let mut between = idle.to_vec();
        between[1].running = true;
        assert!(at_work(&between));
    }

    #[test]
    fn one_off_shells_and_other_helpers_are_not_the_persistent_shell() {
        // A background job (`bash -c`) with its own child, while the model answers.
        let tree = [
            node(GPTME, 1, "gptme", false),
            node(200, GPTME, "bash", false),
            node(300, GPTME, "bash -c make watch", true),
            node(301, 300, "make watch", true),
            node(400, GPTME, "python3 -m ipykernel_launcher", true),
            node(401, 400, "python3 worker", false),
        ];
        assert!(!at_work(&tree));
        assert!(!is_persistent_shell("bash", &["bash".into(), "-lc".into()]));
        assert!(!is_persistent_shell(
            "bash",
            &["bash".into(), "run.sh".into()]
        ));
        assert!(is_persistent_shell(
            "bash.exe",
            &["bash".into(), "--noprofile".into(), "-i".into()]
        ));
    }

    #[test]
    fn only_the_agents_own_shell_counts() {
        // Another program's busy shell, and a shell whose parent is not the agent.
        let tree = [
            node(GPTME, 1, "gptme", false),
            node(200, GPTME, "bash", false),
            node(500, 1, "bash", true),
            node(501, 500, "vim", false),
        ];
        assert!(!at_work(&tree));
        assert!(agents_running_a_command(&[], &tree).is_empty());
        let orphan = Node {
            parent: None,
            ..node(600, 0, "bash", true)
        };
        assert!(!at_work(&[orphan]));
    }
}
