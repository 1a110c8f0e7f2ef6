// End-to-end: quitting with a run still alive. Ctrl+Q opens a native dialog that lists
// the run and says it will be left running; Escape keeps the app open, Return quits.
// The run survives the quit, and the next start of the app tells the user what was
// done to it (a notice above the views) and lists it as running, detached.
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import {
  answerDialog,
  pressKeys,
  screenshotScreen,
  sleep,
  waitForWindow,
  windowExists,
} from "./lib/desktop.mjs";
import { launchApp } from "./lib/app.mjs";

const here = path.dirname(fileURLToPath(import.meta.url));
const artifacts = path.join(here, "artifacts");
const work = fs.mkdtempSync(path.join(os.tmpdir(), "sessionscope-quit-"));
const env = {
  CLAUDE_CONFIG_DIR: path.join(work, "claude"),
  SESSIONSCOPE_DATA_DIR: path.join(work, "data"),
  GPTME_SESSIONS_DIR: path.join(work, "records"),
};

let first;
let second;
let survivorPid;

const pidAlive = (pid) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

before(async () => {
  first = await launchApp(env, artifacts);
});

after(async () => {
  if (survivorPid && pidAlive(survivorPid)) process.kill(survivorPid, "SIGKILL");
  await first?.stop().catch(() => {});
  await second?.stop().catch(() => {});
  fs.rmSync(work, { recursive: true, force: true, maxRetries: 3 });
});

describe("quitting with a run still alive", () => {
  it("asks first, leaves the run running, and tells at the next start", async () => {
    const wd = first.wd;
    await wd.click(await wd.find("[data-testid=tab-runs]"));
    await wd.type(await wd.find("[data-testid=run-name]"), "quit-survivor");
    await wd.type(await wd.find("[data-testid=run-command]"), "sleep 300");
    await wd.click(await wd.find("[data-testid=run-start]"));
    await answerDialog(first.display, "^Run command", "Return");
    survivorPid = await wd.waitFor(
      "const r = document.querySelector('[data-testid=run-row][data-run-status=running]'); return r ? Number(r.dataset.pid) : null;",
      { what: "the run listed as running" },
    );
    assert.ok(pidAlive(survivorPid));

    const main = await waitForWindow(first.display, "^Sessionscope$");
    pressKeys(first.display, main, "ctrl+q");
    let dialog = await waitForWindow(first.display, "^Quit Sessionscope");
    await sleep(300);
    screenshotScreen(first.display, path.join(artifacts, "23-quit-dialog.png"));
    // Cancel: the app stays.
    pressKeys(first.display, dialog, "Escape");
    const closed = Date.now() + 5000;
    while (windowExists(first.display, dialog) && Date.now() < closed) await sleep(50);
    assert.equal(
      await wd.execute("return document.querySelector('[data-testid=stats]') !== null"),
      true,
      "still open after Cancel",
    );

    pressKeys(first.display, main, "ctrl+q");
    dialog = await waitForWindow(first.display, "^Quit Sessionscope");
    await sleep(300);
    pressKeys(first.display, dialog, "Return");
    const gone = Date.now() + 15000;
    while (windowExists(first.display, main) && Date.now() < gone) await sleep(100);
    assert.ok(!windowExists(first.display, main), "the app quit");
    assert.ok(pidAlive(survivorPid), "the run was left running");
    await first.stop().catch(() => {});
    first = null;

    second = await launchApp(env, artifacts);
    const wd2 = second.wd;
    const notice = await wd2.waitFor(
      "return document.querySelector('[data-testid=quit-notice]')?.textContent ?? null",
      { what: "the quit notice" },
    );
    assert.match(notice, /quit-survivor: left running; its output keeps going to /);
    screenshotScreen(second.display, path.join(artifacts, "24-quit-notice.png"));
    await wd2.click(await wd2.find("[data-testid=tab-runs]"));
    await wd2.waitFor(
      `const r = document.querySelector('[data-testid=run-row][data-pid="${survivorPid}"]'); return r?.dataset.runStatus === 'running';`,
      { what: "the surviving run listed as running" },
    );
    await wd2.click(await wd2.find("[data-testid=quit-notice-dismiss]"));
    await wd2.waitFor("return document.querySelector('[data-testid=quit-notice]') === null", {
      what: "the notice gone after Dismiss",
    });
    assert.ok(
      !fs.existsSync(path.join(env.SESSIONSCOPE_DATA_DIR, "runs", "last-quit.json")),
      "dismissed for good",
    );
  });
});
