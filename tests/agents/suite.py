"""The conformance suite: the real, pinned agents as the test oracle for Sessionscope.

Each agent x scenario runs the agent's own CLI as a real process in a fresh temporary
HOME, against the stand-in model server (`standin.py`) on loopback, so it writes its
real files. At every checkpoint the suite polls `sessionscope ps --all --json` (with
that HOME) until the row shows what the agent is really doing, and fails the check if
that takes longer than the deadline: 1 s for a change of status while the agent runs,
2 s for Ended/Failed after the process exits. Each check compares the pid (the agent's
process or one of its children), model (what the agent asked the stand-in for),
message counts, token totals (exactly what the stand-in reported), title and project;
a failed check prints what was expected and what was shown.

Usage: python3 tests/agents/suite.py [--agents claude,codex] [--scenarios stream,tool]
       [--json results.json]. The CLI is $SESSIONSCOPE_CLI, else
       $CARGO_TARGET_DIR/debug/sessionscope. Known gaps (checks today's core fails, with
       the reason) are listed in KNOWN_GAPS: they are reported and do not fail the run.
"""

import argparse
import json
import os
import pty
import queue
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import agents as agent_defs  # noqa: E402

HERE = Path(__file__).resolve().parent
STATUS_DEADLINE = 1.0
END_DEADLINE = 2.0
RUN_TIMEOUT = 180
PROMPT = "Check the build and report back"

# The checks today's Sessionscope fails, and why. A listed check that
# fails is reported as a gap and does not fail the run; one that passes is reported as
# FIXD (the core was fixed: take it out of the list, and it guards the fix from then on).
ANY = "*"
KNOWN_GAPS = [
    # (agents, scenarios, checks, reason); ANY matches every agent or scenario.
]


def known_gap(agent, scenario, check):
    for agents, scenarios, checks, reason in KNOWN_GAPS:
        names = {checks} if isinstance(checks, str) else checks
        if check in names and (agents == ANY or agent in agents) and (scenarios == ANY or scenario in scenarios):
            return reason
    return None

# Environment variables that would point Sessionscope or an agent at the user's own files.
SCRUB = [
    "CLAUDE_CONFIG_DIR", "CODEX_HOME", "GPTME_LOGS_DIR", "GEMINI_DATA_DIR", "OPENCODE_DATA_DIR",
    "COPILOT_STATE_DIR", "COPILOT_HOME", "XDG_CONFIG_HOME", "XDG_DATA_HOME", "XDG_STATE_HOME",
    "XDG_CACHE_HOME", "ANTHROPIC_BASE_URL", "ANTHROPIC_API_KEY", "OPENAI_BASE_URL", "OPENAI_API_KEY",
    "GEMINI_API_KEY", "GOOGLE_API_KEY", "GOOGLE_GEMINI_BASE_URL", "GITHUB_TOKEN", "GH_TOKEN",
    "SESSIONSCOPE_CONFIG_DIR",
]


def cli_path():
    if os.environ.get("SESSIONSCOPE_CLI"):
        return Path(os.environ["SESSIONSCOPE_CLI"])
    target = os.environ.get("CARGO_TARGET_DIR") or str(Path.home() / ".cache/sessionscope/target")
    return Path(target) / "debug" / "sessionscope"


# -- the stand-in --------------------------------------------------------------------


class StandIn:
    """The stand-in model server as a child process; its events arrive on a queue."""

    def __init__(self, steps, workdir):
        script = workdir / "script.json"
        script.write_text(json.dumps(steps))
        self.proc = subprocess.Popen(
            [sys.executable, str(HERE / "standin.py"), "--script", str(script)],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True, bufsize=1,
        )
        self.events = []
        self.cond = threading.Condition()
        threading.Thread(target=self._read, daemon=True).start()
        self.port = self.wait_for("listening", timeout=10)["port"]

    def _read(self):
        for line in self.proc.stdout:
            try:
                event = json.loads(line)
            except ValueError:
                continue
            with self.cond:
                self.events.append(event)
                self.cond.notify_all()

    def wait_for(self, name, timeout, count=1, **match):
        """The count-th event named `name` whose fields match, waiting up to timeout."""
        deadline = time.time() + timeout
        with self.cond:
            while True:
                found = [e for e in self.events if e["event"] == name and all(e.get(k) == v for k, v in match.items())]
                if len(found) >= count:
                    return found[count - 1]
                left = deadline - time.time()
                if left <= 0:
                    raise CheckFailed(f"the stand-in saw no {name!r} event (x{count}) within {timeout}s; events: {self.summary()}")
                self.cond.wait(left)

    def summary(self):
        return [(e["event"], e.get("step"), e.get("status") or e.get("reason") or "") for e in self.events][-12:]

    def release(self):
        self.proc.stdin.write("release\n")
        self.proc.stdin.flush()

    def sent_turns(self):
        return [e for e in self.events if e["event"] == "sent" and not e.get("side")]

    def turn_models(self):
        return {e["model"] for e in self.events if e["event"] == "request" and not e.get("side")}

    def stop(self):
        try:
            self.proc.stdin.write("quit\n")
            self.proc.stdin.flush()
        except (BrokenPipeError, ValueError):
            pass
        try:
            self.proc.wait(timeout=3)
        except subprocess.TimeoutExpired:
            self.proc.kill()


# -- the temporary HOME and the agent processes -------------------------------------------


class Home:
    def __init__(self, agent, projects=1):
        # Not under /tmp: Codex refuses to put its helper links under a temporary directory.
        base = Path(os.environ.get("SESSIONSCOPE_SUITE_TMP") or Path.home() / ".cache/sessionscope/suite-tmp")
        base.mkdir(parents=True, exist_ok=True)
        # The prefix names no agent: the stand-in's command line holds this path, and a
        # Python process whose arguments mention an agent's name looks like that agent.
        self.dir = Path(tempfile.mkdtemp(prefix="run-", dir=base))
        self.path = self.dir / "home"
        self.path.mkdir()
        self.projects = [self.dir / "work" / f"{agent.name}-project"]
        self.projects[0].mkdir(parents=True)

    def env(self, extra=None):
        env = {k: v for k, v in os.environ.items() if k not in SCRUB}
        env.update(HOME=str(self.path), TERM="xterm-256color", NO_COLOR="1", CI="true")
        env.update(extra or {})
        return env

    def cleanup(self):
        shutil.rmtree(self.dir, ignore_errors=True)


TERMINAL_REPLIES = [
    (b"\x1b[6n", b"\x1b[1;1R"),  # cursor position
    (b"\x1b]10;?", b"\x1b]10;rgb:ffff/ffff/ffff\x1b\\"),  # foreground colour
    (b"\x1b]11;?", b"\x1b]11;rgb:0000/0000/0000\x1b\\"),  # background colour
    (b"\x1b[?1007$p", b"\x1b[?1007;2$y"),  # a private mode: reset
    (b"\x1b[c", b"\x1b[?62;22c"),  # primary device attributes
    (b"\x1b[?u", b"\x1b[?0u"),  # keyboard enhancement flags: none
]


class AgentProcess:
    """A real agent process: in prompt mode with pipes, or interactive in a PTY."""

    def __init__(self, argv, cwd, env, pty_mode=False):
        self.output = bytearray()
        self.pty_fd = None
        if pty_mode:
            master, slave = pty.openpty()
            os.set_blocking(master, True)
            self.proc = subprocess.Popen(argv, cwd=cwd, env=env, stdin=slave, stdout=slave, stderr=slave, start_new_session=True)
            os.close(slave)
            self.pty_fd = master
            threading.Thread(target=self._drain_pty, daemon=True).start()
        else:
            self.proc = subprocess.Popen(argv, cwd=cwd, env=env, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, start_new_session=True)
            threading.Thread(target=self._drain_pipe, daemon=True).start()
        self.exited_at = None

    def _drain_pty(self):
        while True:
            try:
                data = os.read(self.pty_fd, 65536)
            except OSError:
                return
            if not data:
                return
            self.output += data
            # Answer the terminal's queries as a terminal would, so TUIs do not wait
            # for them: cursor position (Claude Code), and the colours, mode and device
            # queries Codex's TUI sends before it reads any key.
            for query, reply in TERMINAL_REPLIES:
                for _ in range(data.count(query)):
                    self.type(reply)

    def _drain_pipe(self):
        for chunk in iter(lambda: self.proc.stdout.read1(65536), b""):
            self.output += chunk

    def type(self, data):
        os.write(self.pty_fd, data)

    @property
    def pid(self):
        return self.proc.pid

    def tree(self):
        """The pids of the agent process and all of its descendants, now."""
        children = {}
        for entry in os.listdir("/proc"):
            if entry.isdigit():
                try:
                    stat = Path(f"/proc/{entry}/stat").read_text()
                    ppid = int(stat.rsplit(")", 1)[1].split()[1])
                except (OSError, ValueError, IndexError):
                    continue
                children.setdefault(ppid, []).append(int(entry))
        pids, todo = set(), [self.pid]
        while todo:
            pid = todo.pop()
            pids.add(pid)
            todo += children.get(pid, [])
        return pids

    def wait(self, timeout=RUN_TIMEOUT):
        try:
            code = self.proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            self.kill()
            raise CheckFailed(f"the agent did not exit within {timeout}s; its output ends: {self.tail()}")
        self.exited_at = time.time()
        # A wrapper may exit before the native agent it started: wait for the group.
        deadline = time.time() + 5
        while time.time() < deadline and group_alive(self.pid):
            time.sleep(0.05)
        self.exited_at = time.time()
        return code

    def kill(self):
        try:
            os.killpg(self.pid, signal.SIGKILL)
        except OSError:
            pass

    def tail(self, n=600):
        return self.output[-n:].decode("utf-8", "replace")


def group_alive(pgid):
    try:
        os.killpg(pgid, 0)
        return True
    except OSError:
        return False


# -- what Sessionscope shows ------------------------------------------------------------


class CheckFailed(Exception):
    pass


class Observer:
    """Polls `sessionscope ps --all --json` in the agent's HOME."""

    def __init__(self, home, harness):
        self.home = home
        self.harness = harness
        self.cli = cli_path()
        self.last = []

    def rows(self):
        env = self.home.env()
        out = subprocess.run([str(self.cli), "ps", "--all", "--json"], env=env, capture_output=True, text=True, timeout=30)
        if out.returncode != 0:
            raise CheckFailed(f"sessionscope ps failed ({out.returncode}): {out.stderr.strip()[:500]}")
        sessions = json.loads(out.stdout)["sessions"]
        self.last = [s for s in sessions if s.get("harness") == self.harness]
        return self.last

    def until(self, what, predicate, since, deadline):
        """Poll until predicate(rows) returns None (no complaint), or fail at the deadline
        counted from `since` (when the change happened). Returns the seconds it took."""
        complaint = "never polled"
        while True:
            rows = self.rows()
            complaint = predicate(rows)
            now = time.time()
            if complaint is None:
                return now - since
            if now - since > deadline:
                raise CheckFailed(f"{what}: not shown within {deadline:.0f}s of the change.\n      {complaint}\n      shown: {show(rows)}")
            time.sleep(0.05)


FIELDS = ["status", "pid", "ambiguous", "model", "user_messages", "assistant_messages", "usage", "cost_usd", "price_unknown", "title", "project"]


def show(rows):
    return json.dumps([{k: r.get(k) for k in FIELDS} for r in rows]) if rows else "no row"


def compare(expected, row):
    """None when the row has every expected field value, else 'expected ..., shown ...'."""
    wrong = {}
    for key, want in expected.items():
        got = row.get(key)
        ok = want(got) if callable(want) else got == want
        if not ok:
            wrong[key] = (getattr(want, "describe", want), got)
    if not wrong:
        return None
    return "; ".join(f"{k}: expected {w!r}, shown {g!r}" for k, (w, g) in wrong.items())


class OneOf:
    def __init__(self, values, label=None):
        self.values = set(values)
        self.describe = label or f"one of {sorted(self.values)}"

    def __call__(self, value):
        return value in self.values


def one_row(expected):
    def predicate(rows):
        if len(rows) != 1:
            return f"expected one session row, found {len(rows)}"
        return compare(expected, rows[0])

    return predicate


# -- scenarios ---------------------------------------------------------------------------


class Result:
    def __init__(self, agent, scenario):
        self.agent = agent
        self.scenario = scenario
        self.checks = []  # (name, outcome, detail): outcome pass / fail / known-gap / fixed-gap / skip

    def record(self, check, ok, detail=""):
        gap = known_gap(self.agent.name, self.scenario, check)
        if ok:
            outcome = "fixed-gap" if gap else "pass"
            if gap:
                detail = f"passes now: remove it from KNOWN_GAPS ({gap})"
        else:
            outcome = "known-gap" if gap else "fail"
            if gap:
                detail = f"{gap}\n      {detail}"
        self.checks.append((check, outcome, detail))

    @property
    def failed(self):
        return any(o == "fail" for _, o, _ in self.checks)


class Run:
    """One agent x scenario: HOME, stand-in, process, observer; checks recorded."""

    def __init__(self, agent, scenario, steps_for, result):
        self.agent = agent
        self.result = result
        self.home = Home(agent)
        steps = [dict(step) for step in steps_for(self.cwd)]
        if agent.finish_call:
            last = steps[-1]
            if last.get("text") and not last.get("tool") and not last.get("error"):
                last["call"] = agent.finish_call
            else:
                steps.append({"call": agent.finish_call, "arguments": {}, "input_tokens": 13, "output_tokens": 2})
        self.standin = StandIn(steps, self.home.dir)
        agent.setup(self.home, self.standin.port)
        self.observer = Observer(self.home, agent.harness)
        self.procs = []

    @property
    def cwd(self):
        return self.home.projects[0]

    def start(self, pty_mode=False, argv=None):
        env = self.home.env(self.agent.env(self.home, self.standin.port))
        # PWD as a shell would set it: opencode takes its project from PWD, not getcwd().
        env["PWD"] = str(self.cwd)
        argv = argv or (self.agent.interactive_argv() if pty_mode else self.agent.prompt_argv(PROMPT))
        proc = AgentProcess(argv, self.cwd, env, pty_mode)
        self.procs.append(proc)
        return proc

    def check(self, name, fn):
        """Run one checkpoint and record it; the scenario goes on after a failed one, so
        every later check is reported too (an agent that cannot go on raises elsewhere)."""
        try:
            took = fn()
        except CheckFailed as e:
            self.result.record(name, False, str(e))
            return
        self.result.record(name, True, f"{took:.2f}s" if isinstance(took, float) else "")

    def expect_live(self, name, status, proc, since, extra=None):
        def fn():
            tree = proc.tree()
            expected = {"status": status, "pid": OneOf(tree, f"the agent's pid (one of {sorted(tree)})"), "project": str(self.cwd)}
            expected.update(extra or {})
            return self.observer.until(name, one_row(expected), since, STATUS_DEADLINE)

        self.check(name, fn)

    def expect_end(self, name, status, proc):
        self.check(name, lambda: self.observer.until(name, one_row({"status": status}), proc.exited_at, END_DEADLINE))

    def expect_totals(self, name, user_messages, extra=None, counts=True):
        """After the end: counts, tokens, model, title and project, once the row is final.
        Without `counts` the message counts are not compared (after a cut stream, agents
        keep the broken message or reply to it themselves, each in its own way)."""
        turns = self.standin.sent_turns()
        usage_in = sum(e["usage"]["input_tokens"] for e in turns)
        usage_out = sum(e["usage"]["output_tokens"] for e in turns)
        models = {self.agent.model_shown(m) for m in self.standin.turn_models()}
        side_titles = {e.get("text") for e in self.standin.events if e["event"] == "sent" and e.get("side")}
        expected = {
            "model": OneOf(models, f"the model the agent asked for ({sorted(models)})"),
            "user_messages": user_messages,
            "assistant_messages": len(turns),
            "usage": lambda u: bool(u) and u.get("input_tokens") == usage_in and u.get("output_tokens") == usage_out,
            "project": str(self.cwd),
            "title": OneOf({PROMPT} | (side_titles if self.agent.titles_from_side_request else set()), "the prompt" + (" or the title the agent generated" if self.agent.titles_from_side_request else "")),
        }
        expected["usage"].describe = f"input {usage_in}, output {usage_out} (what the stand-in sent)"
        if not counts:
            del expected["user_messages"], expected["assistant_messages"]
        expected.update(extra or {})
        self.check(name, lambda: self.observer.until(name, one_row(expected), time.time(), END_DEADLINE))
        self.expect_cost()

    def expect_cost(self):
        """Tokens always come with a cost, or with "price unknown" (only for a model no
        price table knows: every model the pinned agents use by default is priced);
        where the agent itself recorded a cost, that is the one shown."""
        agent_cost = self.agent.recorded_cost(self.home)

        def priced(rows):
            if len(rows) != 1:
                return f"expected one session row, found {len(rows)}"
            cost, unknown = rows[0].get("cost_usd"), rows[0].get("price_unknown")
            if agent_cost is not None:
                if cost is None or abs(cost - agent_cost) > 1e-9:
                    return f"cost_usd: expected {agent_cost!r} (what the agent recorded), shown {cost!r}"
            elif cost is None and self.agent.priced:
                models = sorted(self.standin.turn_models())
                return f"expected a cost: the agent's default models {models} are priced; shown cost_usd None, price_unknown {unknown!r}"
            elif cost is None and not unknown:
                return f"expected a cost or price_unknown, shown cost_usd {cost!r}, price_unknown {unknown!r}"
            return None

        self.check("cost shown, or price unknown", lambda: self.observer.until("cost", priced, time.time(), END_DEADLINE))

    def close(self):
        for proc in self.procs:
            proc.kill()
        kill_started_from(self.home.dir)
        self.standin.stop()
        if not os.environ.get("SESSIONSCOPE_SUITE_KEEP"):
            self.home.cleanup()


def started_from(base):
    """Pids of processes whose program lies under `base`: daemons an agent installed into
    the temporary HOME and detached from its process group (Codex 0.171's TUI starts
    `<HOME>/.codex/packages/app-server-daemon/.../codex app-server`, which outlives it)."""
    base = str(base) + "/"
    pids = []
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                program = Path(f"/proc/{entry}/cmdline").read_bytes().split(b"\0", 1)[0].decode(errors="replace")
            except OSError:
                continue
            if program.startswith(base):
                pids.append(int(entry))
    return pids


def kill_started_from(base):
    for pid in started_from(base):
        try:
            os.kill(pid, signal.SIGKILL)
        except OSError:
            pass


def must(ok, complaint):
    if not ok:
        raise CheckFailed(complaint)


def tokens(i, o):
    return {"input_tokens": i, "output_tokens": o}


def scenario_stream(run):
    """A slowly streamed answer: Generating while it streams (held after the first
    chunk), Ended within 2 s of exit, totals exact."""
    proc = run.start()
    held = run.standin.wait_for("held", timeout=60)
    run.expect_live("generating while streaming", "generating", proc, held["t"])
    run.standin.release()
    code = proc.wait()
    run.check("exit code 0", lambda: must(code == 0, f"exit code {code}: {proc.tail()}"))
    run.expect_end("ended after exit", "ended", proc)
    run.expect_totals("counts, tokens, model, title, project", 1)


STREAM = [dict(tokens(1234, 321), text="A slowly streamed answer, in several chunks, to show Generating.", chunks=6, hold=True, chunk_delay=0.1)]


def scenario_tool(run):
    """A shell command that runs until told to stop: Running tool while it runs, then the
    answer, then Ended."""
    proc = run.start()
    started = run.cwd / ".tool-started"
    deadline = time.time() + 60
    while not started.exists():
        if time.time() > deadline or proc.proc.poll() is not None:
            raise CheckFailed(f"the tool never started; stand-in: {run.standin.summary()}; output: {proc.tail()}")
        time.sleep(0.02)
    run.expect_live("running tool while the command runs", "running-tool", proc, started.stat().st_mtime)
    (run.cwd / ".tool-go").touch()
    code = proc.wait()
    run.check("exit code 0", lambda: must(code == 0, f"exit code {code}: {proc.tail()}"))
    run.expect_end("ended after exit", "ended", proc)
    run.expect_totals("counts, tokens, model, title, project", 1)


def tool_steps(project):
    # Relative paths inside the project: agents refuse commands that touch other folders.
    command = "touch .tool-started; while [ ! -e .tool-go ]; do sleep 0.05; done; echo tool finished"
    return [dict(tokens(700, 61), tool="shell", command=command), dict(tokens(905, 44), text="The command finished.", chunks=3, chunk_delay=0.05)]


def scenario_many(run):
    """Many turns: six tool calls and an answer; every message and token counted once."""
    proc = run.start()
    code = proc.wait()
    run.check("exit code 0", lambda: must(code == 0, f"exit code {code}: {proc.tail()}"))
    run.expect_end("ended after exit", "ended", proc)
    run.expect_totals("counts, tokens, model, title, project", 1)


MANY = [dict(tokens(100 + 10 * i, 20 + i), tool="shell", command=f"echo step {i}") for i in range(6)] + [dict(tokens(400, 50), text="All six steps ran.")]


def scenario_error(run):
    """The API fails (500, overloaded, then a 400 on every try): the agent gives up;
    Failed within 2 s of exit."""
    proc = run.start()
    code = proc.wait()
    run.check("agent exits non-zero", lambda: must(code != 0, f"exit code 0 after API errors: {proc.tail()}"))
    run.expect_end("failed after exit", "failed", proc)


# A 500 and an overloaded answer, which agents retry, then a refusal they cannot retry.
ERRORS = [{"error": 500}, {"error": 529}, {"error": 400, "repeat": True}]


def scenario_cut(run):
    """The stream is cut mid-message; the agent retries and gets a whole answer: Ended,
    and only the whole answer's tokens are counted."""
    proc = run.start()
    code = proc.wait()
    if code == 0:
        run.expect_end("ended after exit", "ended", proc)
        run.expect_totals("tokens, model, title, project", 1, counts=False)
    else:
        run.expect_end("failed after exit (the agent gave up on the cut stream)", "failed", proc)


CUT = [dict(tokens(640, 90), text="This answer is cut off in the middle of its stream.", chunks=8, cut=True), dict(tokens(650, 33), text="The whole answer.")]


def scenario_two(run):
    """Two agents of one kind in one directory, both streaming: two rows, each with its
    own pid; both Ended after they exit."""
    first = run.start()
    run.standin.wait_for("held", timeout=60)
    second = run.start()
    held = run.standin.wait_for("held", timeout=60, count=2)

    def both(rows):
        if len(rows) != 2:
            return f"expected two session rows, found {len(rows)}"
        if not all(r.get("status") == "generating" for r in rows):
            return "expected both generating"
        pids = {r.get("pid") for r in rows}
        owners = [p for p in pids if p in first.tree()], [p for p in pids if p in second.tree()]
        if len(pids) == 2 and owners[0] and owners[1]:
            return None
        if not run.agent.tells_processes_apart and all(r.get("ambiguous") and r.get("pid") is None for r in rows):
            return None  # nothing in this agent's files tells them apart: both say so
        return (
            f"expected each row to carry its own agent's pid ({first.pid} and {second.pid}, or their children)"
            + ("" if run.agent.tells_processes_apart else ", or both to be ambiguous without a pid")
        )

    run.check("two rows, own pids, both generating", lambda: run.observer.until("two agents", both, held["t"], STATUS_DEADLINE))
    run.standin.release()
    run.standin.release()
    first.wait()
    second.wait()

    def ended(rows):
        if len(rows) != 2 or not all(r.get("status") == "ended" for r in rows):
            return "expected two ended rows"
        return None

    run.check("both ended after exit", lambda: run.observer.until("both ended", ended, max(first.exited_at, second.exited_at), END_DEADLINE))


TWO = [STREAM[0], dict(STREAM[0], input_tokens=777, output_tokens=55)]


def scenario_waiting(run):
    """Interactive mode in a PTY: a prompt typed, the answer streamed; then Waiting for
    input with the agent's pid; quit; Ended."""
    proc = run.start(pty_mode=True)
    # Wait for the prompt to be ready (the agent's own "ready" mark where it has one),
    # then type the prompt.
    marker = run.agent.ready_marker
    deadline = time.time() + 60
    while time.time() < deadline and (marker not in proc.output if marker else len(proc.output) < 200):
        time.sleep(0.1)
    time.sleep(2.0)
    proc.type(PROMPT.encode())
    time.sleep(0.3)
    proc.type(b"\r")
    run.standin.wait_for("sent", timeout=60, step=0)
    # The change is when the user sees the answer: its last word drawn on the terminal
    # (the TUI moves the cursor between words, so the whole sentence never appears),
    # or the agent telling the terminal its turn is done.
    deadline = time.time() + 30
    while run.agent.answered_marker not in proc.output:
        if time.time() > deadline:
            raise CheckFailed(f"the answer never appeared on the terminal: {proc.tail()}")
        time.sleep(0.02)
    since = time.time()
    run.expect_live("waiting for input after the answer", "waiting-for-input", proc, since)
    for keys in run.agent.quit_keys:
        proc.type(keys)
        time.sleep(0.3)
    proc.wait(timeout=30)
    daemons = started_from(run.home.dir)
    if daemons:
        # The TUI left its thread to a daemon it started ("Any running work
        # continues"): the session lives on there, waiting; it ends with the daemon.
        run.check("still waiting, held by the agent's daemon", lambda: run.observer.until(
            "held by the daemon", one_row({"status": "waiting-for-input", "pid": OneOf(daemons, f"a daemon pid {daemons}")}), time.time(), STATUS_DEADLINE))
        kill_started_from(run.home.dir)
        proc.exited_at = time.time()
    run.expect_end("ended after quitting", "ended", proc)
    run.expect_totals("counts, tokens, model, title, project", 1)


WAITING = [dict(tokens(2048, 128), text="Here is the answer; your turn.", chunks=4, chunk_delay=0.05)]

# name -> (the scenario, its script as a function of the agent's project directory)
SCENARIOS = {
    "stream": (scenario_stream, lambda d: STREAM),
    "tool": (scenario_tool, tool_steps),
    "many": (scenario_many, lambda d: MANY),
    "error": (scenario_error, lambda d: ERRORS),
    "cut": (scenario_cut, lambda d: CUT),
    "two": (scenario_two, lambda d: TWO),
    "waiting": (scenario_waiting, lambda d: WAITING),
}


def run_one(agent, name):
    result = Result(agent, name)
    fn, steps_for = SCENARIOS[name]
    if name == "waiting" and not agent.interactive:
        result.checks.append(("interactive mode", "skip", "not driven in a PTY for this agent"))
        return result
    run = None
    try:
        run = Run(agent, name, steps_for, result)
        fn(run)
    except CheckFailed as e:  # the agent could not go on: the scenario stops here
        result.checks.append(("scenario could not go on", "fail", str(e)))
    except Exception as e:  # a bug in the suite itself must not hide the other results
        result.checks.append(("suite error", "fail", repr(e)))
    finally:
        if run:
            if result.failed and run.procs:
                result.checks.append(("agent output", "info", run.procs[-1].tail(400)))
            run.close()
    return result


def markdown_table(results):
    """Agent and version x scenario x result, for the README."""
    scenarios = list(SCENARIOS)
    lines = ["| agent | " + " | ".join(scenarios) + " |", "|---|" + "---|" * len(scenarios)]
    for agent in agent_defs.ALL:
        cells = []
        for name in scenarios:
            result = next((r for r in results if r.agent is agent and r.scenario == name), None)
            outcomes = [o for _, o, _ in result.checks if o != "info"] if result else []
            if not outcomes:
                cells.append("")
            elif "fail" in outcomes:
                cells.append("fails")
            elif outcomes == ["skip"]:
                cells.append("n/a")
            else:
                passed = sum(o in ("pass", "fixed-gap") for o in outcomes)
                gaps = sum(o == "known-gap" for o in outcomes)
                cells.append(f"{passed}/{passed + gaps}" + (" (gaps)" if gaps else " ✓"))
        lines.append(f"| {agent.name} {agent.version} | " + " | ".join(cells) + " |")
    return "\n".join(lines) + "\n"


def print_result(result, seconds):
    print(f"{result.agent.name} {result.agent.version} / {result.scenario} ({seconds:.1f}s)", flush=True)
    for check, outcome, detail in result.checks:
        mark = {"pass": "ok  ", "fail": "FAIL", "known-gap": "gap ", "fixed-gap": "FIXD", "skip": "skip", "info": "    "}[outcome]
        print(f"  {mark} {check}" + (f"  {detail}" if detail and outcome in ("pass", "skip") else ""))
        if detail and outcome not in ("pass", "skip"):
            print("      " + detail.replace("\n", "\n      "))
    sys.stdout.flush()


def main():
    parser = argparse.ArgumentParser(description="Sessionscope's conformance suite on the real agents")
    parser.add_argument("--agents", default=",".join(a.name for a in agent_defs.ALL))
    parser.add_argument("--scenarios", default=",".join(SCENARIOS))
    parser.add_argument("--json", help="write the results here as JSON")
    parser.add_argument("--table", help="write agent x scenario x result here as a Markdown table")
    parser.add_argument("--jobs", type=int, default=3, help="agents run side by side (default 3)")
    args = parser.parse_args()
    if not cli_path().exists():
        print(f"sessionscope CLI not found at {cli_path()} (build it, or set SESSIONSCOPE_CLI)", file=sys.stderr)
        return 2
    # The slowest agents first, so the side-by-side runs end close together.
    slow_first = ["gptme", "opencode", "gemini", "copilot", "codex", "claude"]
    wanted = sorted((a for a in agent_defs.ALL if a.name in args.agents.split(",")), key=lambda a: slow_first.index(a.name) if a.name in slow_first else 0)
    for agent in wanted:
        if not agent.installed():
            print(f"{agent.name}: not installed at {agent.executable()} (run scripts/install-deps.sh)", file=sys.stderr)
            return 2
    results, started = [], time.time()
    print_lock = threading.Lock()

    def one_agent(agent):
        # An agent's scenarios run one after another; agents run side by side (most of
        # an agent's time is spent waiting on its own start-up and retries).
        for name in args.scenarios.split(","):
            t0 = time.time()
            result = run_one(agent, name)
            with print_lock:
                results.append(result)
                print_result(result, time.time() - t0)

    workers = [threading.Thread(target=one_agent, args=(a,)) for a in wanted]
    pending = list(workers)
    while pending or any(w.is_alive() for w in workers):
        while pending and sum(w.is_alive() for w in workers) < args.jobs:
            pending.pop(0).start()
        time.sleep(0.2)
    counts = {o: sum(1 for r in results for _, oo, _ in r.checks if oo == o) for o in ("pass", "fail", "known-gap", "fixed-gap", "skip")}
    if args.json:
        Path(args.json).write_text(json.dumps([{"agent": r.agent.name, "version": r.agent.version, "scenario": r.scenario, "checks": r.checks} for r in results], indent=1))
    if args.table:
        Path(args.table).write_text(markdown_table(results))
    print(f"suite took {time.time() - started:.0f}s; {counts['known-gap']} known gaps (failing, listed in KNOWN_GAPS), {counts['skip']} not applicable")
    if counts["fixed-gap"]:
        print(f"{counts['fixed-gap']} checks in KNOWN_GAPS pass now: take them out of the list (FIXD above)")
    print(f"{counts['pass'] + counts['fixed-gap']} passed, {counts['fail']} failed, {counts['known-gap'] + counts['skip']} skipped")
    failed = counts["fail"]
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
