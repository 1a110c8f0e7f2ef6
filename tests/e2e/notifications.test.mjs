// End-to-end: a session that starts waiting for input raises a desktop notification,
// and clicking that notification opens the session in the window. The notification
// server is a stand-in (lib/fake_notifications.py) on a private D-Bus session bus, so
// the app talks the real freedesktop protocol and the click is a real ActionInvoked.
import { after, before, describe, it } from "node:test";
import { spawn } from "node:child_process";
import assert from "node:assert/strict";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import readline from "node:readline";
import { fileURLToPath } from "node:url";
import { screenshotScreen } from "./lib/desktop.mjs";
import { launchApp } from "./lib/app.mjs";

const here = path.dirname(fileURLToPath(import.meta.url));
const artifacts = path.join(here, "artifacts");
const work = fs.mkdtempSync(path.join(os.tmpdir(), "sessionscope-notify-"));
const claudeDir = path.join(work, "claude");
const projectDir = path.join(claudeDir, "projects", "-work-notify");
const sessionId = "7a7a7a7a-2222-4333-8444-955556666777";
const sessionFile = path.join(projectDir, `${sessionId}.jsonl`);

let bus;
let server;
let launched;
/** Notify calls the stand-in server has seen, and waiters for the next ones. */
const notes = [];
let onNote = () => {};

function line(kind, n) {
  const base = {
    type: kind,
    sessionId,
    timestamp: new Date().toISOString(),
    cwd: "/work/notify",
    uuid: `n${n}`,
    requestId: `rq${n}`,
  };
  const message =
    kind === "user"
      ? { role: "user", content: `Please refactor module ${n}` }
      : {
          id: `msg_n${n}`,
          role: "assistant",
          model: "claude-sonnet-4-5",
          stop_reason: "end_turn",
          content: [{ type: "text", text: `Done with ${n}` }],
          usage: { input_tokens: 10, output_tokens: 5 },
        };
  return JSON.stringify({ ...base, message }) + "\n";
}

/** A private session bus: `dbus-daemon` prints its address on stdout. */
function startBus() {
  const proc = spawn(
    "dbus-daemon",
    [
      "--session",
      "--nofork",
      "--print-address=1",
      `--address=unix:path=${path.join(work, "bus")}`,
    ],
    { stdio: ["ignore", "pipe", "inherit"] },
  );
  return new Promise((resolve, reject) => {
    proc.once("error", reject);
    readline
      .createInterface({ input: proc.stdout })
      .once("line", (address) => resolve({ proc, address }));
  });
}

function startServer(address) {
  const proc = spawn(
    "/usr/bin/python3",
    [path.join(here, "lib", "fake_notifications.py")],
    {
      env: { ...process.env, DBUS_SESSION_BUS_ADDRESS: address },
      stdio: ["pipe", "pipe", "inherit"],
    },
  );
  return new Promise((resolve, reject) => {
    proc.once("error", reject);
    proc.once("exit", (code) =>
      reject(new Error(`notification stand-in exited with ${code}`)),
    );
    readline.createInterface({ input: proc.stdout }).on("line", (text) => {
      if (text === "ready") return resolve(proc);
      notes.push(JSON.parse(text));
      onNote();
    });
  });
}

function nextNote(predicate, timeout = 30000) {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(
      () =>
        reject(
          new Error(
            `no notification within ${timeout} ms: ${JSON.stringify(notes)}`,
          ),
        ),
      timeout,
    );
    const check = () => {
      const found = notes.find(predicate);
      if (found) {
        clearTimeout(timer);
        onNote = () => {};
        resolve(found);
      }
    };
    onNote = check;
    check();
  });
}

before(async () => {
  fs.mkdirSync(projectDir, { recursive: true });
  // The session exists before the app starts (first sight never notifies) and is
  // mid-turn: the user asked, the agent has not answered yet.
  fs.writeFileSync(sessionFile, line("user", 1));
  bus = await startBus();
  server = await startServer(bus.address);
  launched = await launchApp(
    {
      CLAUDE_CONFIG_DIR: claudeDir,
      SESSIONSCOPE_DATA_DIR: path.join(work, "data"),
      GPTME_SESSIONS_DIR: path.join(work, "records"),
      DBUS_SESSION_BUS_ADDRESS: bus.address,
    },
    artifacts,
  );
});

after(async () => {
  await launched?.stop();
  server?.kill();
  bus?.proc.kill();
  fs.rmSync(work, { recursive: true, force: true, maxRetries: 3 });
});

describe("desktop notifications", () => {
  it("notifies when a session starts waiting, and a click opens that session", async () => {
    const { wd } = launched;
    await wd.waitFor(
      `return document.querySelector('[data-testid=session-row][data-session-id="${sessionId}"]') !== null`,
      {
        timeout: 30000,
        what: "the session's row",
      },
    );
    // Move to another view, so that opening the session is visible work of the click.
    await wd.click(await wd.find("[data-testid=tab-runs]"));
    fs.appendFileSync(sessionFile, line("assistant", 2));
    const note = await nextNote((n) => n.summary.startsWith("Waiting for you"));
    assert.equal(note.app, "Sessionscope");
    assert.match(note.body, /Please refactor module 1/);
    assert.deepEqual(note.actions.slice(0, 2), ["default", "Open session"]);
    // The first notification of a run says how to turn them off, and leads there.
    assert.match(
      note.body,
      /Turn these off in Sessionscope's Settings → Notifications and tray\.$/,
    );
    assert.deepEqual(note.actions.slice(2, 4), [
      "settings",
      "Notification settings",
    ]);

    // The app starts listening for the click right after the server took the
    // notification; a click within those milliseconds would be lost, as it would be for a
    // person, who would click again. So does the test, until the session opens.
    const clicker = setInterval(
      () => server.stdin.write(`click ${note.id}\n`),
      1000,
    );
    server.stdin.write(`click ${note.id}\n`);
    await wd
      .waitFor(
        `return [...document.querySelectorAll('[data-testid=entry]')].some(e => e.textContent.includes('Done with 2'))`,
        { timeout: 20000, what: "the clicked session's transcript" },
      )
      .finally(() => clearInterval(clicker));
    server.stdin.write(`close ${note.id}\n`);
    const shown = await wd.execute(
      "return document.querySelector('[data-testid=session-detail]')?.textContent ?? ''",
    );
    assert.match(shown, new RegExp(sessionId.slice(0, 8)));
    fs.mkdirSync(artifacts, { recursive: true });
    screenshotScreen(
      launched.display,
      path.join(artifacts, "19-notification-click.png"),
    );
  });
});
