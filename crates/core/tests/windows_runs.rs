//! Windows process trees, run for real (under Wine in `make test-wine`): a run's
//! grandchild ends with its job, an agent's tree ends by parent links, the
//! supervisor's kill of a run reaches what the run started, and a run left running at
//! quit outlives the Sessionscope that started it.
//!
//! Without the test harness (`harness = false`): this binary is also the grandchild
//! (`sleep` mode) and the console-event helper, which a harnessed test binary cannot
//! be. On other OSes it reports that it ran nothing of its own.

#[cfg(windows)]
mod windows {
    use std::path::PathBuf;
    use std::process::{Child, Command, Stdio};
    use std::time::{Duration, Instant};

    use sessionscope_core::kill::KillOptions;
    use sessionscope_core::model::{KillResult, QuitPolicy, RunRequest, RunStatus, StopSignal};
    use sessionscope_core::procs::{self, console_ctrl, job, ProcessIdentity};
    use sessionscope_core::runs::supervisor::Supervisor;

    pub const SLEEP_ENV: &str = "SESSIONSCOPE_TEST_SLEEP";

    fn me() -> PathBuf {
        std::env::current_exe().unwrap()
    }

    /// `cmd /C "<this exe>"` in sleep mode: cmd is the child, this exe its child.
    fn shell_with_grandchild(tag: &str) -> Child {
        Command::new("cmd.exe")
            .args(["/C", &me().to_string_lossy()])
            .env(SLEEP_ENV, tag)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap()
    }

    /// The PIDs of live processes descended from `root`.
    fn descendants(root: u32) -> Vec<u32> {
        let mut sys = sysinfo::System::new();
        sys.refresh_processes(sysinfo::ProcessesToUpdate::All, true);
        let mut found = vec![root];
        let mut i = 0;
        while i < found.len() {
            let parent = found[i];
            for (pid, p) in sys.processes() {
                if p.parent().map(|x| x.as_u32()) == Some(parent) && !found.contains(&pid.as_u32())
                {
                    found.push(pid.as_u32());
                }
            }
            i += 1;
        }
        found.remove(0);
        found
    }

    fn wait_for(what: &str, limit: Duration, mut done: impl FnMut() -> bool) {
        let deadline = Instant::now() + limit;
        while !done() {
            assert!(Instant::now() < deadline, "timed out waiting for {what}");
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    /// The process running this executable (in sleep mode) below `shell`.
    fn grandchild_of(shell: u32) -> u32 {
        let name = me().file_name().unwrap().to_string_lossy().to_lowercase();
        let mut grandchild = None;
        wait_for("the grandchild to start", Duration::from_secs(30), || {
            let mut sys = sysinfo::System::new();
            sys.refresh_processes(sysinfo::ProcessesToUpdate::All, true);
            grandchild = descendants(shell).into_iter().find(|p| {
                sys.process(sysinfo::Pid::from_u32(*p))
                    .is_some_and(|p| p.name().to_string_lossy().to_lowercase() == name)
            });
            grandchild.is_some()
        });
        grandchild.unwrap()
    }

    pub fn a_grandchild_ends_with_its_job() {
        let mut shell = shell_with_grandchild("job");
        let the_job = job::Job::contain(shell.id()).expect("job object");
        let grandchild = grandchild_of(shell.id());
        let leader = procs::identity_of(shell.id()).unwrap();
        assert!(
            job::Job::open(shell.id()).is_some(),
            "the job is found by name"
        );
        assert!(the_job.active_processes().unwrap() >= 2);
        assert!(procs::group_is_running(leader));

        procs::signal_group_checked(leader, StopSignal::Kill).expect("job terminated");
        shell.wait().unwrap();
        wait_for("the grandchild to end", Duration::from_secs(10), || {
            !procs::is_alive(grandchild)
        });
        wait_for("the job to empty", Duration::from_secs(10), || {
            the_job.active_processes().unwrap() == 0
        });
        assert!(!procs::group_is_running(leader));
    }

    pub fn an_agent_tree_without_a_job_ends_by_parent_links() {
        let mut shell = shell_with_grandchild("tree");
        let grandchild = grandchild_of(shell.id());
        let leader = procs::identity_of(shell.id()).unwrap();
        assert!(job::Job::open(shell.id()).is_none());
        // A stale start time names another process: nothing is sent.
        let stale = ProcessIdentity {
            pid: leader.pid,
            start_time: leader.start_time.saturating_sub(100),
        };
        assert!(procs::signal_group_checked(stale, StopSignal::Kill).is_err());
        assert!(procs::is_alive(grandchild));

        assert!(job::stop_tree(leader).unwrap() >= 2);
        shell.wait().unwrap();
        wait_for("the grandchild to end", Duration::from_secs(10), || {
            !procs::is_alive(grandchild)
        });
    }

    pub fn killing_a_run_ends_its_grandchild() {
        let dir = tempfile::tempdir().unwrap();
        let sup = Supervisor::new(dir.path().join("logs"), |_| {});
        let command = format!("cmd /C \"{}\"", me().display());
        let run = sup
            .start(RunRequest {
                name: "tree".into(),
                command,
                cwd: None,
                env: vec![sessionscope_core::model::EnvVar {
                    name: SLEEP_ENV.into(),
                    value: "run".into(),
                }],
            })
            .expect("run started");
        let leader = run.pid.expect("run pid");
        let grandchild = grandchild_of(leader);
        let opts = KillOptions {
            grace: Duration::from_secs(2),
            interrupt_wait: Duration::from_secs(1),
        };
        let mut steps = Vec::new();
        let (result, message) = sup
            .stop_run(&run.id, &opts, &mut |_, m| steps.push(m))
            .unwrap();
        assert_eq!(result, KillResult::Stopped, "{message}; steps: {steps:?}");
        wait_for("the grandchild to end", Duration::from_secs(10), || {
            !procs::is_alive(grandchild)
        });
        let ended = sup.wait(&run.id).unwrap();
        assert_eq!(ended.status, RunStatus::Killed, "{ended:?}");
    }

    pub const TICK_ENV: &str = "SESSIONSCOPE_TEST_TICK";
    pub const OWNER_ENV: &str = "SESSIONSCOPE_TEST_OWNER";

    /// Owner mode: a Sessionscope of its own (this binary hosts runs, as the CLI and the
    /// app do) starts a run that prints a tick every 100 ms, and quits leaving it
    /// running. Prints `<run id> <pid>` and then what the quit did.
    fn own_a_run_and_quit(logs: PathBuf) -> ! {
        let sup = Supervisor::new(&logs, |_| {});
        let run = sup
            .start(RunRequest {
                name: "left".into(),
                command: format!("cmd /C \"{}\"", me().display()),
                cwd: None,
                env: vec![sessionscope_core::model::EnvVar {
                    name: TICK_ENV.into(),
                    value: "1".into(),
                }],
            })
            .expect("run started");
        let pid = run.pid.unwrap_or(0);
        println!("{} {pid}", run.id);
        grandchild_of(pid);
        let reports = sup.shutdown(QuitPolicy::LeaveRunning, Duration::from_secs(2));
        println!("{reports:?}");
        std::process::exit(0);
    }

    /// A run left running at quit goes on after its Sessionscope has exited: its
    /// process tree lives on, the next Sessionscope shows it as detached, and a kill
    /// finds its job (its run host holds it) and ends the tree. (That its output keeps
    /// reaching the log is checked on Linux, `runs::host::tests`: Wine's pseudoconsole
    /// gives its reader no output at all.)
    pub fn a_run_left_running_at_quit_outlives_its_sessionscope() {
        let dir = tempfile::tempdir().unwrap();
        let logs = dir.path().join("logs");
        let owner = Command::new(me())
            .env(OWNER_ENV, &logs)
            .stdin(Stdio::null())
            .stderr(Stdio::inherit())
            .output()
            .unwrap();
        let said = String::from_utf8_lossy(&owner.stdout).into_owned();
        assert!(owner.status.success(), "owner: {said}");
        assert!(said.contains("LeftRunning"), "{said}");
        assert!(!said.contains("cannot"), "{said}");
        let mut first = said.lines().next().unwrap().split_whitespace();
        let id = first.next().unwrap().to_string();
        let pid: u32 = first.next().unwrap().parse().unwrap();
        let ticker = grandchild_of(pid);
        std::thread::sleep(Duration::from_millis(1500));
        let leader = procs::identity_of(pid).expect("the run outlived its Sessionscope");
        assert!(procs::is_alive(ticker), "and what it started");

        let next = Supervisor::new(&logs, |_| {});
        let seen = next.run(&id).expect("the next Sessionscope knows the run");
        assert_eq!(seen.status, RunStatus::Running, "{seen:?}");
        assert!(seen.detached, "{seen:?}");

        assert!(job::Job::open(pid).is_some(), "its host holds its job");
        procs::signal_group_checked(leader, StopSignal::Kill).expect("job terminated");
        wait_for("the run to end", Duration::from_secs(10), || {
            !procs::is_alive(pid) && !procs::is_alive(ticker)
        });
    }

    pub const CONSOLE_ENV: &str = "SESSIONSCOPE_TEST_CONSOLE_EVENTS";

    /// In a console of its own, a process that records the console events it gets
    /// (as an agent would stop generating on Ctrl-C) is sent Ctrl-C, then Ctrl-Break,
    /// through the helper.
    pub fn console_events_reach_a_process_on_another_console() {
        use std::os::windows::process::CommandExt;
        const CREATE_NEW_CONSOLE: u32 = 0x0000_0010;
        let dir = tempfile::tempdir().unwrap();
        let log = dir.path().join("events.txt");
        let mut child = Command::new(me())
            .env(CONSOLE_ENV, &log)
            .creation_flags(CREATE_NEW_CONSOLE)
            .spawn()
            .unwrap();
        wait_for("the handler to be ready", Duration::from_secs(30), || {
            std::fs::read_to_string(&log).is_ok_and(|t| t.contains("ready"))
        });
        let who = procs::identity_of(child.id()).unwrap();
        procs::signal_process(who, StopSignal::Interrupt).expect("Ctrl-C sent");
        wait_for("Ctrl-C to arrive", Duration::from_secs(10), || {
            std::fs::read_to_string(&log).is_ok_and(|t| t.contains("ctrl-c"))
        });
        assert!(procs::is_running(who), "Ctrl-C alone does not end it");
        procs::signal_process(who, StopSignal::Terminate).expect("Ctrl-Break sent");
        let status = child.wait().unwrap();
        assert!(std::fs::read_to_string(&log)
            .unwrap()
            .contains("ctrl-break"));
        assert_eq!(status.code(), Some(0));
    }

    /// Console-events mode: note each event in the file, exit on Ctrl-Break.
    fn record_console_events(log: PathBuf) -> ! {
        use std::io::Write;
        use std::sync::OnceLock;
        use windows_sys::Win32::System::Console::{
            SetConsoleCtrlHandler, CTRL_BREAK_EVENT, CTRL_C_EVENT,
        };
        static LOG: OnceLock<PathBuf> = OnceLock::new();
        fn note(what: &str) {
            let mut f = std::fs::OpenOptions::new()
                .create(true)
                .append(true)
                .open(LOG.get().unwrap())
                .unwrap();
            writeln!(f, "{what}").unwrap();
        }
        unsafe extern "system" fn handler(kind: u32) -> windows_sys::core::BOOL {
            match kind {
                CTRL_C_EVENT => note("ctrl-c"),
                CTRL_BREAK_EVENT => {
                    note("ctrl-break");
                    std::process::exit(0);
                }
                _ => {}
            }
            1
        }
        LOG.set(log).unwrap();
        // SAFETY: installs a handler that only appends to a file.
        unsafe { SetConsoleCtrlHandler(Some(handler), 1) };
        note("ready");
        std::thread::sleep(Duration::from_secs(60));
        std::process::exit(3);
    }

    pub fn sleep_if_asked() {
        if std::env::var_os(TICK_ENV).is_some() {
            use std::io::Write;
            for i in 0..1200 {
                println!("tick {i}");
                let _ = std::io::stdout().flush();
                std::thread::sleep(Duration::from_millis(100));
            }
            std::process::exit(0);
        }
        if let Some(log) = std::env::var_os(CONSOLE_ENV) {
            record_console_events(log.into());
        }
        if std::env::var_os(SLEEP_ENV).is_some() {
            std::thread::sleep(Duration::from_secs(120));
            std::process::exit(0);
        }
        console_ctrl::run_helper_if_asked();
        sessionscope_core::runs::host::serve_if_asked();
        if let Some(logs) = std::env::var_os(OWNER_ENV) {
            own_a_run_and_quit(logs.into());
        }
    }
}

fn main() {
    #[cfg(windows)]
    {
        windows::sleep_if_asked();
        // The libtest arguments that matter here: name filters and `--skip NAME`.
        let (mut filter, mut skip) = (Vec::<String>::new(), Vec::<String>::new());
        let mut args = std::env::args().skip(1);
        while let Some(arg) = args.next() {
            if arg == "--skip" {
                skip.extend(args.next());
            } else if !arg.starts_with('-') {
                filter.push(arg);
            }
        }
        let tests: [(&str, fn()); 5] = [
            (
                "a_grandchild_ends_with_its_job",
                windows::a_grandchild_ends_with_its_job,
            ),
            (
                "an_agent_tree_without_a_job_ends_by_parent_links",
                windows::an_agent_tree_without_a_job_ends_by_parent_links,
            ),
            (
                "killing_a_run_ends_its_grandchild",
                windows::killing_a_run_ends_its_grandchild,
            ),
            (
                "a_run_left_running_at_quit_outlives_its_sessionscope",
                windows::a_run_left_running_at_quit_outlives_its_sessionscope,
            ),
            (
                "console_events_reach_a_process_on_another_console",
                windows::console_events_reach_a_process_on_another_console,
            ),
        ];
        let (mut passed, mut failed) = (0, 0);
        for (name, test) in tests {
            if (!filter.is_empty() && !filter.iter().any(|f| name.contains(f.as_str())))
                || skip.iter().any(|s| name.contains(s.as_str()))
            {
                continue;
            }
            match std::panic::catch_unwind(test) {
                Ok(()) => {
                    println!("test {name} ... ok");
                    passed += 1;
                }
                Err(_) => {
                    println!("test {name} ... FAILED");
                    failed += 1;
                }
            }
        }
        println!("{passed} passed, {failed} failed");
        if failed > 0 {
            std::process::exit(101);
        }
    }
    #[cfg(not(windows))]
    println!("windows_runs: Windows only (make test-wine runs it under Wine)");
}
