// End-to-end with the real agents: Claude Code and Codex (pinned in tests/agents, installed
// by scripts/install-deps.sh) run against the stand-in model server on loopback in a
// temporary HOME, and the real app must show each change of status through its pushed
// events within 250 ms: Generating while the answer streams, Running tool while a shell
// command runs, then Ended once the process is gone, with the agent's own pid.
//
// The page records when each row's status changed (a MutationObserver, clock of this
// machine), so the latency is measured against the moment the change really happened:
// the stand-in's event, the tool's first write, the process's exit.
import { after, before, describe, it } from "node:test";
import { spawn, spawnSync } from "node:child_process";
import assert from "node:assert/strict";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import readline from "node:readline";
import { fileURLToPath } from "node:url";
import { launchApp } from "./lib/app.mjs";
import { screenshotScreen, sleep } from "./lib/desktop.mjs";

const here = path.dirname(fileURLToPath(import.meta.url));
const artifacts = path.join(here, "artifacts");
const agentsDir = path.join(here, "../agents");
const DEADLINE_MS = 250;

// Not under /tmp: Codex refuses to put its helper links under a temporary directory.
const base = path.join(os.homedir(), ".cache/sessionscope/suite-tmp");
fs.mkdirSync(base, { recursive: true });
const work = fs.mkdtempSync(path.join(base, "e2e-"));
const home = path.join(work, "home");
fs.mkdirSync(home, { recursive: true });

let app;
let standin;
const agents = [];

/** The stand-in model server with its events, in order. */
function startStandIn(steps) {
  const script = path.join(work, "script.json");
  fs.writeFileSync(script, JSON.stringify(steps));
  const proc = spawn(
    "python3",
    [path.join(agentsDir, "standin.py"), "--script", script],
    {
      stdio: ["pipe", "pipe", "inherit"],
    },
  );
  const events = [];
  readline.createInterface({ input: proc.stdout }).on("line", (line) => {
    try {
      events.push(JSON.parse(line));
    } catch {
      // not an event
    }
  });
  return {
    proc,
    events,
    async next(name, after = 0, timeout = 60000) {
      const until = Date.now() + timeout;
      for (;;) {
        const e = events.find((e) => e.event === name && e.t * 1000 >= after);
        if (e) return e;
        if (Date.now() > until)
          throw new Error(
            `no ${name} event from the stand-in: ${JSON.stringify(events.slice(-5))}`,
          );
        await sleep(10);
      }
    },
    send(line) {
      proc.stdin.write(line + "\n");
    },
  };
}

/** Run one agent in its project directory; resolves its exit time and code. */
function startAgent(name, project, prompt) {
  fs.mkdirSync(project, { recursive: true });
  const port = standin.events.find((e) => e.event === "listening").port;
  const prep = spawnSync(
    "python3",
    [
      path.join(agentsDir, "agents.py"),
      "prepare",
      name,
      home,
      project,
      String(port),
      prompt,
    ],
    {
      encoding: "utf8",
    },
  );
  assert.equal(prep.status, 0, prep.stderr);
  const { argv, env } = JSON.parse(prep.stdout);
  const child = spawn(argv[0], argv.slice(1), {
    detached: true, // its own process group, so `after` can stop it and its children
    cwd: project,
    env: { ...cleanEnv(), HOME: home, PWD: project, ...env },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let output = "";
  child.stdout.on("data", (d) => (output += d));
  child.stderr.on("data", (d) => (output += d));
  agents.push(child);
  const exited = new Promise((resolve) =>
    child.on("exit", (code) => resolve({ code, at: Date.now(), output })),
  );
  return { child, exited };
}

/** The user's own agent settings must not leak into the test. */
function cleanEnv() {
  const env = { ...process.env };
  for (const k of [
    "CLAUDE_CONFIG_DIR",
    "CODEX_HOME",
    "ANTHROPIC_BASE_URL",
    "ANTHROPIC_API_KEY",
    "OPENAI_API_KEY",
    "OPENAI_BASE_URL",
  ])
    delete env[k];
  return env;
}

/** Pids of a process and all its descendants, now. */
function tree(pid) {
  const children = new Map();
  for (const entry of fs.readdirSync("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = fs.readFileSync(`/proc/${entry}/stat`, "utf8");
      const ppid = Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[1]);
      if (!children.has(ppid)) children.set(ppid, []);
      children.get(ppid).push(Number(entry));
    } catch {
      // gone meanwhile
    }
  }
  const pids = new Set();
  const todo = [pid];
  while (todo.length) {
    const p = todo.pop();
    pids.add(p);
    todo.push(...(children.get(p) ?? []));
  }
  return pids;
}

/** Every status a row of `harness` has shown, with the page's time of the change. */
const installRecorder = `
  if (!window.__statusLog) {
    window.__statusLog = [];
    const seen = new Map();
    const note = () => {
      for (const row of document.querySelectorAll('[data-testid=session-row]')) {
        const key = row.dataset.harness + ' ' + row.dataset.sessionId;
        const now = row.dataset.status + ' ' + (row.dataset.pid || '');
        if (seen.get(key) !== now) {
          seen.set(key, now);
          window.__statusLog.push({ t: Date.now(), harness: row.dataset.harness, id: row.dataset.sessionId,
            status: row.dataset.status, pid: Number(row.dataset.pid) || null });
        }
      }
    };
    new MutationObserver(note).observe(document.body, { subtree: true, childList: true, attributes: true,
      attributeFilter: ['data-status', 'data-pid'] });
    note();
  }
  return true;`;

/** The first time a row of `harness` showed `status` (and, if given, a pid in `pids`). */
async function shown(harness, status, pids, since, what) {
  const until = Date.now() + 15000;
  for (;;) {
    const log = await app.wd.execute("return window.__statusLog");
    const hit = log.find(
      (e) =>
        e.harness === harness &&
        e.status === status &&
        (!pids || pids.has(e.pid)) &&
        e.t >= since - 60000,
    );
    if (hit) return { latency: hit.t - since, entry: hit };
    if (Date.now() > until) {
      throw new Error(
        `${what}: the app never showed ${harness} ${status}; it showed ${JSON.stringify(log.filter((e) => e.harness === harness))}`,
      );
    }
    await sleep(20);
  }
}

before(async () => {
  app = await launchApp(
    {
      HOME: home,
      SESSIONSCOPE_DATA_DIR: path.join(work, "data"),
      ...cleanHarnessEnv(),
    },
    artifacts,
  );
  await app.wd.execute(installRecorder);
});

function cleanHarnessEnv() {
  // Each agent's own root under the temporary HOME, exactly where the agent writes.
  return {
    CLAUDE_CONFIG_DIR: path.join(home, ".claude"),
    CODEX_HOME: path.join(home, ".codex"),
  };
}

after(async () => {
  await app?.stop();
  standin?.proc.kill();
  for (const child of agents) {
    try {
      process.kill(-child.pid, "SIGKILL");
    } catch {
      // already gone
    }
  }
  if (!process.env.SESSIONSCOPE_SUITE_KEEP)
    fs.rmSync(work, { recursive: true, force: true, maxRetries: 3 });
});

for (const [name, harness] of [
  ["claude", "claude-code"],
  ["codex", "codex"],
]) {
  describe(`${name} (real agent) in the app`, () => {
    const project = path.join(work, "work", `${name}-project`);
    // Inside the project: agents refuse commands that touch other folders.
    const started = path.join(project, ".tool-started");
    const go = path.join(project, ".tool-go");
    let agent;
    let pids;

    it("shows Generating with the agent's pid within 250 ms while the answer streams", async () => {
      standin?.proc.kill();
      standin = startStandIn([
        {
          text: "Looking at the build first.",
          chunks: 4,
          hold: true,
          input_tokens: 500,
          output_tokens: 40,
          tool: "shell",
          command:
            "touch .tool-started; while [ ! -e .tool-go ]; do sleep 0.05; done; echo built",
        },
        { text: "The build is green.", input_tokens: 640, output_tokens: 22 },
      ]);
      await standin.next("listening");
      const t0 = Date.now();
      agent = startAgent(name, project, "Check the build and report back");
      const request = await standin.next("request", t0);
      await standin.next("held", t0);
      pids = tree(agent.child.pid);
      const { latency } = await shown(
        harness,
        "generating",
        pids,
        request.t * 1000,
        "generating",
      );
      console.log(`${name}: request -> Generating in the app: ${latency} ms`);
      assert.ok(
        latency <= DEADLINE_MS,
        `Generating shown ${latency} ms after the request (limit ${DEADLINE_MS})`,
      );
      screenshotScreen(
        app.display,
        path.join(artifacts, `agents-${name}-generating.png`),
      );
    });

    it("shows Running tool within 250 ms of the command starting", async () => {
      standin.send("release");
      const until = Date.now() + 60000;
      while (!fs.existsSync(started)) {
        assert.ok(Date.now() < until, "the tool never started");
        await sleep(10);
      }
      const since = fs.statSync(started).mtimeMs;
      pids = tree(agent.child.pid);
      const { latency } = await shown(
        harness,
        "running-tool",
        pids,
        since,
        "running tool",
      );
      console.log(
        `${name}: tool started -> Running tool in the app: ${latency} ms`,
      );
      assert.ok(
        latency <= DEADLINE_MS,
        `Running tool shown ${latency} ms after the command started (limit ${DEADLINE_MS})`,
      );
    });

    it("shows Ended within 250 ms of the agent's exit", async () => {
      fs.writeFileSync(go, "");
      const { code, at, output } = await agent.exited;
      assert.equal(code, 0, output.slice(-800));
      const { latency } = await shown(harness, "ended", null, at, "ended");
      console.log(`${name}: exit -> Ended in the app: ${latency} ms`);
      assert.ok(
        latency <= DEADLINE_MS,
        `Ended shown ${latency} ms after the exit (limit ${DEADLINE_MS})`,
      );
      screenshotScreen(
        app.display,
        path.join(artifacts, `agents-${name}-ended.png`),
      );
    });
  });
}
