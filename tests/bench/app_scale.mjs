// Benchmark (not a test): the real app over a heavy user's history (issue 17) — the
// shared 100k-file corpus (tests/bench/gen_scale.py) plus AGENTS live agents appending
// RATE lines a second each. Prints, with the load average beside each number:
//   - the first filled window with the index cache present (from starting the app to
//     the first row in the DOM) and the time to every row;
//   - the whole app's memory idle (backend + WebKit web view + network process, RSS and
//     PSS) and its CPU idle over IDLE_SECONDS, once the first scan is swapped in and the
//     full-text index has caught up;
//   - while the agents append: frame intervals (requestAnimationFrame in the page), how
//     long each appended line took to be on screen (a visible row's message count, read
//     in every frame, against the time the line was written), and the CPU of the backend
//     and the web view;
//   - a screenshot of the window at 100k rows (tests/e2e/artifacts/app-scale.png).
//
// The corpus is read-only: it is linked (`cp -al`) into a work folder beside it and the
// agents write their own new files there (never appending to a linked one). The cache
// is written first by the CLI next to the app (`sessions --json`), as a user's earlier
// runs would have; so is the full-text index (`search`), unless SKIP_SEARCH_PREBUILD=1.
//
//   node tests/bench/app_scale.mjs [agents=200] [lines_per_s=10] [seconds=20]
//   SCALE_CORPUS=…/scale100k (default ~/.cache/sessionscope/bench-data/scale100k)
//   SESSIONSCOPE_APP=…/sessionscope-app (the CLI beside it writes the cache)
//   IDLE_SECONDS=60  KEEP_WORK=1 (keep the work folder, its cache and index, for a re-run:
//   WORK=that folder)
import { execFileSync } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { WebDriver } from "../e2e/lib/webdriver.mjs";
import { sleep, startTauriDriver, startXvfb } from "../e2e/lib/desktop.mjs";
import {
  cpuSeconds,
  newestPid,
  printFrames,
  startFrameProbe,
  stats,
  stopFrameProbe,
} from "./lib/frames.mjs";

const [AGENTS = 200, RATE = 10, SECONDS = 20] = process.argv
  .slice(2)
  .map(Number);
const IDLE_SECONDS = Number(process.env.IDLE_SECONDS ?? 60);
const here = path.dirname(fileURLToPath(import.meta.url));
const app =
  process.env.SESSIONSCOPE_APP ??
  path.join(
    process.env.CARGO_TARGET_DIR ??
      path.join(os.homedir(), ".cache/sessionscope/target"),
    "debug/sessionscope-app",
  );
const cli = path.join(path.dirname(app), "sessionscope");
const corpus =
  process.env.SCALE_CORPUS ??
  path.join(os.homedir(), ".cache/sessionscope/bench-data/scale100k");
const load = () =>
  fs.readFileSync("/proc/loadavg", "utf8").split(" ").slice(0, 3).join(" ");
const say = (what) => console.log(`${what}   [load ${load()}]`);

if (
  !fs.existsSync(`${corpus}.done`) &&
  !fs.existsSync(path.join(corpus, ".done"))
) {
  console.error(
    `no finished corpus at ${corpus}: python3 tests/bench/gen_scale.py ${corpus} 800 100000 60 && touch ${corpus}.done`,
  );
  process.exit(2);
}

// The work folder sits on the corpus's file system, so the links cost no disk.
const work =
  process.env.WORK ??
  fs.mkdtempSync(path.join(path.dirname(corpus), "app-scale-"));
const linked = path.join(work, "corpus");
if (!fs.existsSync(linked)) {
  execFileSync("cp", ["-al", corpus, linked]);
}
const liveDir = path.join(
  linked,
  "claude",
  "projects",
  "-home-dev-live-agents",
);
fs.mkdirSync(liveDir, { recursive: true });
const env = {
  HOME: path.join(work, "home"),
  XDG_DATA_HOME: path.join(work, "home", ".local", "share"),
  TZ: "UTC",
  CLAUDE_CONFIG_DIR: path.join(linked, "claude"),
  CODEX_HOME: path.join(linked, "codex"),
  GPTME_LOGS_DIR: path.join(linked, "gptme"),
  GEMINI_DATA_DIR: path.join(linked, "gemini"),
  COPILOT_STATE_DIR: path.join(linked, "copilot"),
  OPENCODE_DATA_DIR: path.join(work, "none"),
  SESSIONSCOPE_DATA_DIR: path.join(work, "data"),
};
fs.mkdirSync(env.HOME, { recursive: true });

// The agents' files: new files (not links), two lines each, written before the cache so
// the app starts with them as with any other cached session.
const agents = [];
const line = (id, n) =>
  JSON.stringify({
    type: n % 2 ? "assistant" : "user",
    sessionId: id,
    timestamp: new Date().toISOString(),
    cwd: "/home/dev/live-agents",
    uuid: `${id}-${n}`,
    message:
      n % 2
        ? {
            id: `msg_${id}_${n}`,
            model: "claude-sonnet-4-5",
            stop_reason: "end_turn",
            content: [{ type: "text", text: `step ${n} done` }],
            usage: { input_tokens: 5, output_tokens: 2 },
          }
        : { role: "user", content: `Agent ${id.slice(0, 8)} step ${n}` },
    requestId: `req_${id}_${n}`,
  }) + "\n";
for (let i = 0; i < AGENTS; i++) {
  const id = `a9e${String(i).padStart(5, "0")}-1111-4222-8333-${String(i).padStart(12, "0")}`;
  const file = path.join(liveDir, `${id}.jsonl`);
  fs.writeFileSync(file, line(id, 0) + line(id, 1));
  // appended[n] = when line n (message count n + 1) was written
  agents.push({
    id,
    file,
    fd: fs.openSync(file, "a"),
    lines: 2,
    appended: [0, 0],
  });
}

const cliEnv = { PATH: process.env.PATH, ...env };
const timed = (args) => {
  const t = Date.now();
  const out = execFileSync(cli, args, {
    env: cliEnv,
    stdio: ["ignore", "pipe", "inherit"],
    maxBuffer: 1 << 30,
  });
  return [((Date.now() - t) / 1000).toFixed(1), out];
};
const [cacheSeconds, listed] = timed(["sessions", "--json"]);
const expected = JSON.parse(listed).length;
say(
  `work folder ${work}; the cache written by \`sessions --json\` in ${cacheSeconds} s`,
);
if (!process.env.SKIP_SEARCH_PREBUILD)
  say(
    `full-text index built by \`search\` in ${timed(["search", "zzzzqqq"])[0]} s`,
  );
say(`${expected} sessions in the cache`);

const xvfb = await startXvfb();
const driver = await startTauriDriver(
  {
    ...process.env,
    ...env,
    DISPLAY: xvfb.display,
    WEBKIT_DISABLE_COMPOSITING_MODE: "1",
    NO_AT_BRIDGE: "1",
  },
  path.join(work, "driver.log"),
);
const wd = new WebDriver(driver.port);
/** CPU seconds of each thread of `pid`, by thread name. */
const threadCpu = (pid) => {
  const out = {};
  for (const tid of fs.readdirSync(`/proc/${pid}/task`)) {
    try {
      const stat = fs.readFileSync(`/proc/${pid}/task/${tid}/stat`, "utf8");
      const name = stat.slice(stat.indexOf("(") + 1, stat.lastIndexOf(")"));
      const after = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
      out[name] =
        (out[name] ?? 0) + (Number(after[11]) + Number(after[12])) / 100;
    } catch {
      // the thread ended
    }
  }
  return out;
};
/** The busiest threads between two `threadCpu` readings, as % of one core. */
const busiest = (before, after, seconds) =>
  Object.entries(after)
    .map(([k, v]) => [k, (100 * (v - (before[k] ?? 0))) / seconds])
    .filter(([, pct]) => pct >= 0.5)
    .sort((a, b) => b[1] - a[1])
    .slice(0, 6)
    .map(([k, pct]) => `${k} ${pct.toFixed(1)} %`)
    .join(", ");
const pidsOf = () => ({
  backend: newestPid("sessionscope-app"),
  "web view": newestPid("WebKitWebProcess"),
  network: newestPid("WebKitNetworkProcess"),
});
try {
  const t0 = Date.now();
  await wd.start(app);
  await wd.waitFor(
    "return document.querySelector('[data-testid=session-row]') !== null",
    {
      timeout: 600000,
      interval: 20,
      what: "a first row",
    },
  );
  const first = Date.now() - t0;
  const firstRows = await wd.execute(
    "return Number(document.querySelector('[data-testid=count-total]')?.textContent)",
  );
  say(
    `first filled window ${first} ms after starting the app (${firstRows} rows then; includes WebDriver's start of the app)`,
  );
  await wd.waitFor(
    `return Number(document.querySelector('[data-testid=count-total]')?.textContent) >= ${expected} && !document.querySelector('[data-testid=scan-progress]')`,
    { timeout: 900000, interval: 100, what: "every session listed" },
  );
  say(
    `every row (${expected}) listed and the first scan done ${Date.now() - t0} ms after starting`,
  );
  const artifacts = path.join(here, "..", "e2e", "artifacts");
  fs.mkdirSync(artifacts, { recursive: true });
  fs.writeFileSync(
    path.join(artifacts, "app-scale.png"),
    await wd.screenshot(),
  );

  // Idle: after the full-text index has caught up. Opening it checks it and the first
  // update walks the roots, with no progress event for either: wait until its thread
  // has used under 2 % of a core for 5 s in a row.
  const tIdx = Date.now();
  const backendPid = newestPid("sessionscope-app");
  const indexer = () => threadCpu(backendPid)["search-index"] ?? 0;
  for (
    let quiet = 0, last = indexer();
    quiet < 5 && Date.now() - tIdx < 1800000;
  ) {
    await sleep(1000);
    const now = indexer();
    quiet = now - last < 0.02 ? quiet + 1 : 0;
    last = now;
  }
  say(
    `full-text index caught up ${Date.now() - tIdx} ms after the table was full`,
  );
  await sleep(5000);
  const pids = pidsOf();
  const cpuOf = (keys) =>
    Object.fromEntries(keys.map((k) => [k, cpuSeconds(pids[k])]));
  const cpuSince = (cpu0, wall0) =>
    Object.entries(cpu0)
      .map(
        ([k, c]) =>
          `${k} ${((100 * (cpuSeconds(pids[k]) - c)) / ((Date.now() - wall0) / 1000)).toFixed(2)} %`,
      )
      .join(", ");
  const memory = () => {
    let rss = 0;
    let pss = 0;
    const each = Object.entries(pids).map(([k, pid]) => {
      const roll = fs.readFileSync(`/proc/${pid}/smaps_rollup`, "utf8");
      const kb = (f) =>
        Number(roll.match(new RegExp(`^${f}:\\s+(\\d+) kB`, "m"))?.[1] ?? 0);
      rss += kb("Rss");
      pss += kb("Pss");
      return `${k} ${(kb("Rss") / 1024).toFixed(0)}`;
    });
    return `RSS ${(rss / 1024).toFixed(0)} MiB (${each.join(", ")}), PSS ${(pss / 1024).toFixed(0)} MiB`;
  };
  if (IDLE_SECONDS > 0) {
    const c0 = cpuOf(["backend", "web view", "network"]);
    const th0 = threadCpu(pids.backend);
    const w0 = Date.now();
    await sleep(IDLE_SECONDS * 1000);
    say(
      `idle ${IDLE_SECONDS} s with ${expected} rows, CPU % of one core: ${cpuSince(c0, w0)}`,
    );
    console.log(
      `  backend threads: ${busiest(th0, threadCpu(pids.backend), (Date.now() - w0) / 1000) || "none over 0.5 %"}`,
    );
  }
  say(`whole app idle: ${memory()}`);

  // The agents. Each frame, the page notes every visible row's message count that moved
  // since the frame before (a row that just scrolled in is not a change).
  await wd.execute(`
    window.__seen = new Map(); window.__shown = [];
    const look = () => {
      const now = Date.now();
      const seen = new Map();
      for (const row of document.querySelectorAll('[data-testid=session-row]')) {
        const id = row.dataset.sessionId;
        if (!id.startsWith('a9e')) continue;
        const n = Number(row.querySelector('[data-testid=message-count]').textContent);
        const before = window.__seen.get(id);
        if (before !== undefined && n > before) window.__shown.push([id, before, n, now]);
        seen.set(id, n);
      }
      window.__seen = seen;
      window.__look = requestAnimationFrame(look);
    };
    window.__look = requestAnimationFrame(look);`);
  // And when each change reached the web view (the event, before any rendering).
  await wd.execute(`
    window.__events = [];
    const t = window.__TAURI_INTERNALS__;
    const handler = t.transformCallback((e) => {
      const now = Date.now();
      for (const s of e.payload.change.upserted)
        if (s.id.startsWith('a9e')) window.__events.push([s.id, s.user_messages + s.assistant_messages, now]);
    });
    return t.invoke('plugin:event|listen', { event: 'sessions-changed', target: { kind: 'Any' }, handler });`);
  await startFrameProbe(wd);
  const c0 = cpuOf(["backend", "web view"]);
  const th0 = threadCpu(pids.backend);
  const w0 = Date.now();
  const end = w0 + SECONDS * 1000;
  const period = 1000 / RATE;
  let next = Date.now();
  while (Date.now() < end) {
    for (const a of agents) {
      fs.writeSync(a.fd, line(a.id, a.lines));
      a.appended[a.lines] = Date.now();
      a.lines++;
    }
    next += period;
    await sleep(Math.max(0, next - Date.now()));
  }
  const cpu = cpuSince(c0, w0);
  const threads = busiest(
    th0,
    threadCpu(pids.backend),
    (Date.now() - w0) / 1000,
  );
  await sleep(1000);
  const probe = await stopFrameProbe(wd);
  const shown = await wd.execute(
    "cancelAnimationFrame(window.__look); return window.__shown;",
  );
  const byId = new Map(agents.map((a) => [a.id, a]));
  // A row that went from n to m messages shows lines n..m-1 (0-based) for the first time.
  const latency = [];
  for (const [id, before, after, at] of shown) {
    const a = byId.get(id);
    for (let k = before; k < after; k++)
      if (a?.appended[k]) latency.push(at - a.appended[k]);
  }
  const late = latency.filter((ms) => ms > 250).length;
  // The first event that carried line k of an agent (its count went past k).
  const events = await wd.execute("return window.__events;");
  const reached = new Map();
  const arrival = [];
  for (const [id, n, at] of events) {
    const a = byId.get(id);
    for (let k = reached.get(id) ?? 2; k < n; k++)
      if (a?.appended[k]) arrival.push(at - a.appended[k]);
    reached.set(id, Math.max(reached.get(id) ?? 2, n));
  }
  say(
    `${SECONDS} s of ${AGENTS} agents appending ${RATE} lines/s each (${AGENTS * RATE} lines/s) over ${expected} rows`,
  );
  printFrames(probe);
  console.log(
    `line written → event in the web view ms: ${stats(arrival)} (${events.length} row updates)`,
  );
  console.log(
    `line written → on screen ms: ${stats(latency)}; over 250 ms: ${late} of ${latency.length}`,
  );
  console.log(`CPU, % of one core:          ${cpu}`);
  console.log(`  backend threads: ${threads}`);
  say(`after the agents: ${memory()}`);
} finally {
  for (const a of agents) fs.closeSync(a.fd);
  await wd.quit().catch(() => {});
  driver.stop();
  xvfb.stop();
  if (!process.env.KEEP_WORK)
    fs.rmSync(work, { recursive: true, force: true, maxRetries: 3 });
}
