// Benchmark (not a test): UI frame time of the real app with N sessions while M of
// them receive a new record each second, measured in the web view with
// requestAnimationFrame + performance.now(). Prints p50/p95/p99/max frame time and the
// CPU of the backend and the web view meanwhile; with IDLE_SECONDS=N, first their CPU
// over N idle seconds (nothing appended, nothing measuring in the page).
//
//   [IDLE_SECONDS=60] node tests/bench/ui_frames.mjs [sessions=10000] [updates_per_s=100] [seconds=10]
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { WebDriver } from "../e2e/lib/webdriver.mjs";
import { sleep, startTauriDriver, startXvfb } from "../e2e/lib/desktop.mjs";
import { cpuSeconds, newestPid, printFrames, startFrameProbe, stopFrameProbe } from "./lib/frames.mjs";

const [SESSIONS = 10000, RATE = 100, SECONDS = 10] = process.argv.slice(2).map(Number);
const app =
  process.env.SESSIONSCOPE_APP ??
  path.join(process.env.CARGO_TARGET_DIR ?? path.join(os.homedir(), ".cache/sessionscope/target"), "debug/sessionscope-app");

const work = fs.mkdtempSync(path.join(os.tmpdir(), "sessionscope-frames-"));
const root = path.join(work, "claude", "projects");
const files = [];
const line = (id, n) =>
  JSON.stringify({
    type: n % 2 ? "assistant" : "user",
    sessionId: id,
    timestamp: new Date().toISOString(),
    cwd: `/work/p${id.slice(0, 2)}`,
    message: n % 2
      ? { id: `m${n}`, model: "claude-sonnet-4-5", stop_reason: "end_turn", content: [{ type: "text", text: "ok" }], usage: { input_tokens: 5, output_tokens: 2 } }
      : { role: "user", content: `Task ${id} step ${n}` },
    requestId: `r${n}`,
  }) + "\n";
for (let i = 0; i < SESSIONS; i++) {
  const id = `${String(i).padStart(8, "0")}-0000-4000-8000-000000000000`;
  const dir = path.join(root, `-p${i % 50}`);
  if (i < 50) fs.mkdirSync(dir, { recursive: true });
  const f = path.join(dir, `${id}.jsonl`);
  fs.writeFileSync(f, line(id, 0) + line(id, 1));
  files.push([f, id]);
}
console.log(`generated ${SESSIONS} sessions in ${work}`);

const xvfb = await startXvfb();
const driver = await startTauriDriver(
  { ...process.env, DISPLAY: xvfb.display, WEBKIT_DISABLE_COMPOSITING_MODE: "1", CLAUDE_CONFIG_DIR: path.join(work, "claude"), SESSIONSCOPE_DATA_DIR: path.join(work, "data") },
  path.join(work, "driver.log"),
);
const wd = new WebDriver(driver.port);
try {
  const t0 = Date.now();
  await wd.start(app);
  await wd.waitFor(`return Number(document.querySelector('[data-testid=count-total]')?.textContent) >= ${SESSIONS}`, {
    timeout: 120000,
    interval: 200,
    what: "every session listed",
  });
  console.log(`window shows ${SESSIONS} sessions after ${Date.now() - t0} ms`);
  if (process.env.FRAMES_QUERY) {
    await wd.execute(`const i = document.querySelector('[data-testid=session-search]'); i.value = arguments[0]; i.dispatchEvent(new Event('input', {bubbles: true}));`, process.env.FRAMES_QUERY);
    await sleep(500);
  }
  // CPU of the backend and of the web view's process: first idle (IDLE_SECONDS, nothing
  // appended, no probe running), then over the probe's seconds.
  const pids = { backend: newestPid("sessionscope-app"), "web view": newestPid("WebKitWebProcess") };
  let cpu0 = Object.fromEntries(Object.entries(pids).map(([k, p]) => [k, cpuSeconds(p)]));
  let wall0 = Date.now();
  const cpuSince = () =>
    Object.entries(pids)
      .map(([k, p]) => `${k} ${((100 * (cpuSeconds(p) - cpu0[k])) / ((Date.now() - wall0) / 1000)).toFixed(2)} %`)
      .join(", ");
  const idleSeconds = Number(process.env.IDLE_SECONDS ?? 0);
  if (idleSeconds > 0) {
    await sleep(idleSeconds * 1000);
    console.log(`idle ${idleSeconds} s, CPU, % of one core: ${cpuSince()}`);
    cpu0 = Object.fromEntries(Object.entries(pids).map(([k, p]) => [k, cpuSeconds(p)]));
    wall0 = Date.now();
  }
  await startFrameProbe(wd);
  const end = Date.now() + SECONDS * 1000;
  let n = 2;
  while (Date.now() < end) {
    const started = Date.now();
    for (let k = 0; k < RATE / 10; k++) {
      const [f, id] = files[Math.floor(Math.random() * files.length)];
      fs.appendFileSync(f, line(id, n++));
    }
    await sleep(Math.max(0, 100 - (Date.now() - started)));
  }
  const cpu = cpuSince();
  const probe = await stopFrameProbe(wd);
  const rows = await wd.execute("return document.querySelectorAll('[data-testid=session-row]').length");
  const load = fs.readFileSync("/proc/loadavg", "utf8").split(" ")[0];
  console.log(`rows in the DOM: ${rows} (virtualized); load average ${load} on ${os.cpus().length} cores`);
  console.log(`${SECONDS} s with ${RATE} appends/s spread over ${SESSIONS} sessions`);
  printFrames(probe);
  console.log(`CPU, % of one core:       ${cpu}`);
} finally {
  await wd.quit();
  driver.stop();
  xvfb.stop();
  fs.rmSync(work, { recursive: true, force: true, maxRetries: 3 });
}
