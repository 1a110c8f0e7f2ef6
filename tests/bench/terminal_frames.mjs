// Benchmark (not a test): UI frame time of the real app while the terminal panel shows
// a run that prints as fast as it can, and how many bytes per second reach the run's
// log meanwhile, with the app's peak RSS. Prints one block of numbers.
//
//   node tests/bench/terminal_frames.mjs [seconds=30] [command="yes"]
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { answerDialog, sleep } from "../e2e/lib/desktop.mjs";
import { launchApp } from "../e2e/lib/app.mjs";
import { newestPid, peakMiB, printFrames, startFrameProbe, stopFrameProbe } from "./lib/frames.mjs";

const SECONDS = Number(process.argv[2] ?? 30);
const COMMAND = process.argv[3] ?? "yes";
const work = fs.mkdtempSync(path.join(os.tmpdir(), "sessionscope-termframes-"));
const dataDir = path.join(work, "data");

const app = await launchApp(
  { CLAUDE_CONFIG_DIR: path.join(work, "claude"), SESSIONSCOPE_DATA_DIR: dataDir },
  work,
);
const wd = app.wd;
try {
  await wd.click(await wd.find("[data-testid=tab-runs]"));
  await wd.type(await wd.find("[data-testid=run-name]"), "firehose");
  await wd.type(await wd.find("[data-testid=run-command]"), COMMAND);
  await wd.click(await wd.find("[data-testid=run-start]"));
  await answerDialog(app.display, "^Run command", "Return");
  await startFrameProbe(wd);
  const t0 = Date.now();
  await wd.waitFor("return document.querySelector('[data-testid=run-row][data-run-status=running]') !== null", {
    what: "the run",
  });
  await sleep(SECONDS * 1000);
  const probe = await stopFrameProbe(wd);
  const elapsed = (Date.now() - t0) / 1000;
  const logs = fs.readdirSync(path.join(dataDir, "runs")).filter((f) => f.endsWith(".log"));
  const bytes = logs.reduce((n, f) => n + fs.statSync(path.join(dataDir, "runs", f)).size, 0);
  const rss = peakMiB(newestPid("sessionscope-app"));
  const load = fs.readFileSync("/proc/loadavg", "utf8").split(" ")[0];
  console.log(`${SECONDS} s of \`${COMMAND}\` in the open terminal panel; load average ${load} on ${os.cpus().length} cores`);
  console.log(`bytes to the log:         ${(bytes / elapsed / 1e6).toFixed(1)} MB/s (${(bytes / 1e6).toFixed(0)} MB)`);
  console.log(`app peak RSS:             ${rss} MiB`);
  printFrames(probe);
} finally {
  await app.stop();
  fs.rmSync(work, { recursive: true, force: true, maxRetries: 3 });
}
