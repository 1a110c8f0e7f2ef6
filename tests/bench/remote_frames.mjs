// Benchmark (not a test): the one Sessions table with HOSTS remote hosts of SESSIONS
// sessions each (issue 15: "10 hosts × 1,000 sessions each stay smooth"). Each host is
// tests/bench/fake_host.mjs behind a stand-in ssh (the real serve's hello, a generated
// snapshot, then CHANGES_PER_S changes a second per host). Prints the time from
// starting the app to every row of every host in the table, the frame times while the
// hosts change, the longest frame of a host-chip filter, a sort by Host and a search,
// and the CPU of the backend and the web view meanwhile.
//
//   node tests/bench/remote_frames.mjs [hosts=10] [sessions=1000] [changes_per_s=1] [seconds=10]
//   SESSIONSCOPE_APP=…/sessionscope-app (the CLI next to it gives the hello)
import { execFileSync } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { WebDriver } from "../e2e/lib/webdriver.mjs";
import { sleep, startTauriDriver, startXvfb } from "../e2e/lib/desktop.mjs";
import { cpuSeconds, newestPid, printFrames, startFrameProbe, stopFrameProbe, stats } from "./lib/frames.mjs";

const [HOSTS = 10, SESSIONS = 1000, RATE = 1, SECONDS = 10] = process.argv.slice(2).map(Number);
const here = path.dirname(fileURLToPath(import.meta.url));
const app =
  process.env.SESSIONSCOPE_APP ??
  path.join(process.env.CARGO_TARGET_DIR ?? path.join(os.homedir(), ".cache/sessionscope/target"), "debug/sessionscope-app");
const cli = path.join(path.dirname(app), "sessionscope");

const work = fs.mkdtempSync(path.join(os.tmpdir(), "sessionscope-remote-frames-"));
const data = path.join(work, "data");
fs.mkdirSync(data, { recursive: true });
const hosts = Array.from({ length: HOSTS }, (_, i) => `host${i + 1}`);
fs.writeFileSync(path.join(data, "settings.json"), JSON.stringify({ hosts }));
// The real serve's hello (its protocol and version), from an empty HOME.
const hello = execFileSync(cli, ["serve", "--stdio"], {
  input: "",
  env: { ...process.env, HOME: work, CLAUDE_CONFIG_DIR: path.join(work, "none"), SESSIONSCOPE_DATA_DIR: path.join(work, "serve-data") },
})
  .toString()
  .split("\n")[0];
const ssh = path.join(work, "fake-ssh");
fs.writeFileSync(
  ssh,
  `#!/bin/sh\nwhile [ "$1" != "--" ]; do shift; done\nshift\nexec node ${path.join(here, "fake_host.mjs")} "$1" ${SESSIONS} ${RATE}\n`,
  { mode: 0o755 },
);

const xvfb = await startXvfb();
const driver = await startTauriDriver(
  {
    ...process.env,
    DISPLAY: xvfb.display,
    WEBKIT_DISABLE_COMPOSITING_MODE: "1",
    CLAUDE_CONFIG_DIR: path.join(work, "claude"),
    SESSIONSCOPE_DATA_DIR: data,
    SESSIONSCOPE_SSH: ssh,
    FAKE_HELLO: hello,
  },
  path.join(work, "driver.log"),
);
const wd = new WebDriver(driver.port);
const total = HOSTS * SESSIONS;
try {
  const t0 = Date.now();
  await wd.start(app);
  await wd.waitFor(
    `return document.querySelectorAll('[data-testid=host-chip].live').length === ${HOSTS + 1}
      && Number(document.querySelector('[data-testid=sessions-table]')?.parentElement?.getAttribute('aria-rowcount')) >= ${total}
      && document.querySelectorAll('[data-testid=session-row][data-host]').length > 0`,
    { timeout: 180000, interval: 100, what: "every row of every host in the table" },
  );
  console.log(`window shows ${HOSTS} hosts × ${SESSIONS} sessions (${total} rows) ${Date.now() - t0} ms after start`);

  const pids = { backend: newestPid("sessionscope-app"), "web view": newestPid("WebKitWebProcess") };
  const cpu0 = Object.fromEntries(Object.entries(pids).map(([k, p]) => [k, cpuSeconds(p)]));
  const wall0 = Date.now();
  await startFrameProbe(wd);
  await sleep(SECONDS * 1000);
  const cpu = Object.entries(pids)
    .map(([k, p]) => `${k} ${((100 * (cpuSeconds(p) - cpu0[k])) / ((Date.now() - wall0) / 1000)).toFixed(1)} %`)
    .join(", ");
  const probe = await stopFrameProbe(wd);
  const load = fs.readFileSync("/proc/loadavg", "utf8").split(" ")[0];
  console.log(`${SECONDS} s with ${RATE} change/s on each of ${HOSTS} hosts; load average ${load} on ${os.cpus().length} cores`);
  printFrames(probe);
  console.log(`CPU, % of one core:       ${cpu}`);

  // One interaction at a time: the longest frame while it is drawn is what it costs.
  const interactions = {
    "host chip (filter to host3)": "document.querySelector('[data-testid=remote-host][data-host=host3]').click()",
    "host chip again (every host)": "document.querySelector('[data-testid=remote-host][data-host=host3]').click()",
    "sort by Host": "document.querySelector('[data-testid=sort-host]').click()",
    "sort by Title (for comparison)": "document.querySelector('[data-testid=sort-title]').click()",
    "search 'Task 42 on host7'":
      "const i = document.querySelector('[data-testid=session-search]'); i.value = 'Task 42 on host7'; i.dispatchEvent(new Event('input', {bubbles: true}))",
    "clear search": "const i = document.querySelector('[data-testid=session-search]'); i.value = ''; i.dispatchEvent(new Event('input', {bubbles: true}))",
  };
  for (const [what, script] of Object.entries(interactions)) {
    await startFrameProbe(wd);
    await sleep(200);
    await wd.execute(script);
    await sleep(1000);
    const { frames } = await stopFrameProbe(wd);
    const shown = await wd.execute(
      "return document.querySelector('[data-testid=sessions-table]').parentElement.getAttribute('aria-rowcount')",
    );
    console.log(`${what.padEnd(30)} longest frame ${Math.max(...frames).toFixed(0)} ms; frames ${stats(frames)}; rows ${shown}`);
  }
} finally {
  await wd.quit().catch(() => {});
  driver.stop();
  xvfb.stop();
  fs.rmSync(work, { recursive: true, force: true, maxRetries: 3 });
}
