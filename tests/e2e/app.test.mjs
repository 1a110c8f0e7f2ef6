// End-to-end tests of the real Sessionscope binary under Xvfb, driven through
// tauri-driver + WebKitWebDriver. Native dialogs are answered with real key presses
// (xdotool). Screenshots of each step land in tests/e2e/artifacts/.
//
// Run: node --test tests/e2e/  (make e2e builds the app first and sets SESSIONSCOPE_APP)
import { after, before, describe, it } from "node:test";
import http from "node:http";
import assert from "node:assert/strict";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { startStandInClaude } from "./lib/agent.mjs";
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

const work = fs.mkdtempSync(path.join(os.tmpdir(), "sessionscope-e2e-"));
const claudeDir = path.join(work, "claude");
const projectDir = path.join(claudeDir, "projects", "-work-demo");
const sessionId = "5f0c7a8e-1111-4222-8333-944445555666";
const sessionFile = path.join(projectDir, `${sessionId}.jsonl`);
// The gptme-sessions record store the Records view reads.
const storeDir = path.join(work, "records");
// A stand-in `xdg-open` first on the app's PATH: it notes what the app asked to open.
const binDir = path.join(work, "bin");
const opened = path.join(work, "xdg-open.log");

let xvfb;
let launched;
let wd;

/** A Claude Code record, compact as the agent writes it. */
function record(kind, n, extra = {}, cwd = "/work/demo") {
  const ts = new Date().toISOString();
  const base = {
    type: kind,
    sessionId,
    timestamp: ts,
    cwd,
    gitBranch: "main",
    uuid: `u${n}`,
  };
  const message =
    kind === "user"
      ? { role: "user", content: `Prompt number ${n}` }
      : {
          id: `msg_${n}`,
          role: "assistant",
          model: "claude-sonnet-4-5",
          stop_reason: "end_turn",
          content: [{ type: "text", text: `Answer ${n}` }],
          usage: { input_tokens: 10, output_tokens: 5 },
        };
  return (
    JSON.stringify({ ...base, requestId: `req_${n}`, message, ...extra }) + "\n"
  );
}

async function shot(name) {
  fs.mkdirSync(artifacts, { recursive: true });
  screenshotScreen(xvfb.display, path.join(artifacts, `${name}.png`));
}

const textOf = (sel) =>
  wd.execute(
    `return document.querySelector(${JSON.stringify(sel)})?.textContent?.trim() ?? null`,
  );

const rowScript = (id) => `
  const row = document.querySelector('[data-testid=session-row][data-session-id="${id}"]');
  if (!row) return null;
  return {
    count: Number(row.querySelector('[data-testid=message-count]').textContent),
    status: row.dataset.status,
    gone: row.classList.contains('gone'),
    text: row.textContent,
  };`;

before(async () => {
  fs.mkdirSync(projectDir, { recursive: true });
  // One session exists before the app starts.
  fs.writeFileSync(sessionFile, record("user", 1) + record("assistant", 2));
  fs.mkdirSync(storeDir, { recursive: true });
  fs.mkdirSync(binDir, { recursive: true });
  fs.writeFileSync(
    path.join(binDir, "xdg-open"),
    `#!/bin/sh\nprintf '%s\\n' "$@" >> '${opened}'\n`,
    {
      mode: 0o755,
    },
  );
  launched = await launchApp(
    {
      PATH: `${binDir}:${process.env.PATH}`,
      CLAUDE_CONFIG_DIR: claudeDir,
      SESSIONSCOPE_DATA_DIR: path.join(work, "data"),
      GPTME_SESSIONS_DIR: storeDir,
    },
    artifacts,
  );
  wd = launched.wd;
  xvfb = { display: launched.display };
});

after(async () => {
  await launched?.stop();
  fs.rmSync(work, { recursive: true, force: true, maxRetries: 3 });
});

describe("live Claude Code sessions", () => {
  it("lists the existing session with its project, model and message count", async () => {
    const row = await wd.waitFor(
      `return (() => { ${rowScript(sessionId)} })()`,
      {
        what: "the existing session row",
      },
    );
    assert.equal(row.count, 2);
    assert.match(row.text, /5f0c7a8e/);
    assert.match(row.text, /claude-sonnet-4-5/);
    assert.match(row.text, /\/work\/demo/);
    const total = await wd.execute(
      "return document.querySelector('[data-testid=count-total]').textContent",
    );
    assert.equal(total, "1");
    await wd.waitFor(
      "return document.querySelector('[data-testid=scan-progress]') === null",
      {
        what: "the first scan's progress bar to go away",
      },
    );
    await shot("01-sessions");
  });

  it("shows an appended record within 2 s, without polling", async () => {
    const latencies = [];
    for (let i = 0; i < 5; i++) {
      const before = (
        await wd.execute(`return (() => { ${rowScript(sessionId)} })()`)
      ).count;
      const t0 = Date.now();
      fs.appendFileSync(
        sessionFile,
        record(i % 2 ? "assistant" : "user", 10 + i),
      );
      await wd.waitFor(
        `return (() => { ${rowScript(sessionId)} })()?.count === ${before + 1}`,
        { timeout: 2000, interval: 5, what: `message count ${before + 1}` },
      );
      latencies.push(Date.now() - t0);
    }
    console.log(`append → row updated in the UI: ${latencies.join(", ")} ms`);
    const row = await wd.execute(
      `return (() => { ${rowScript(sessionId)} })()`,
    );
    assert.equal(row.count, 7);
  });

  it("adds a row for a new session file and marks a deleted one gone", async () => {
    const otherId = "9a9a9a9a-2222-4333-8444-955556666777";
    const otherDir = path.join(claudeDir, "projects", "-work-other");
    fs.mkdirSync(otherDir, { recursive: true });
    const otherFile = path.join(otherDir, `${otherId}.jsonl`);
    const t0 = Date.now();
    fs.writeFileSync(
      otherFile,
      record("user", 1).replaceAll(sessionId, otherId),
    );
    await wd.waitFor(`return (() => { ${rowScript(otherId)} })() !== null`, {
      timeout: 2000,
      what: "the new session's row",
    });
    console.log(`new session file → new row: ${Date.now() - t0} ms`);
    await shot("02-new-session");
    fs.rmSync(otherFile);
    await wd.waitFor(
      `return (() => { ${rowScript(otherId)} })()?.gone === true`,
      {
        timeout: 2000,
        what: "the deleted session marked gone",
      },
    );
    await shot("03-gone");
  });
});

describe("runs in a pseudo-terminal", () => {
  async function startRun(name, command) {
    await wd.click(await wd.find("[data-testid=tab-runs]"));
    const nameInput = await wd.find("[data-testid=run-name]");
    await wd.clear(nameInput);
    if (name) await wd.type(nameInput, name);
    const cmd = await wd.find("[data-testid=run-command]");
    await wd.clear(cmd);
    await wd.type(cmd, command);
    await wd.click(await wd.find("[data-testid=run-start]"));
    await answerDialog(xvfb.display, "^Run command", "Return");
    // A run without a name is named after its whole command.
    const shown = name || command;
    return wd.waitFor(
      `const rows = [...document.querySelectorAll('[data-testid=run-row]')]
         .filter(r => r.querySelector('.run-name').textContent === ${JSON.stringify(shown)});
       return rows.length ? { id: rows[0].dataset.runId, pid: Number(rows[0].dataset.pid) } : null;`,
      { what: `run ${name} listed` },
    );
  }

  const runStatus = (id) =>
    wd.execute(
      `return document.querySelector('[data-testid=run-row][data-run-id="${id}"]')?.dataset.runStatus ?? null`,
    );

  const runLabel = (id) =>
    wd.execute(
      `return document.querySelector('[data-testid=run-row][data-run-id="${id}"] [data-testid=run-status]')?.textContent ?? null`,
    );

  const badge = (id) =>
    wd.execute(
      `return document.querySelector('[data-testid=run-row][data-run-id="${id}"] .badge')?.textContent ?? null`,
    );
  const clearShown = () =>
    wd.execute(
      "return document.querySelector('[data-testid=clear-completed]') !== null",
    );

  it("streams 200 lines into the terminal and ends Completed", async () => {
    await wd.click(await wd.find("[data-testid=tab-runs]"));
    assert.equal(
      await clearShown(),
      false,
      "nothing finished: no Clear completed",
    );
    const run = await startRun(
      "count",
      "for i in $(seq 1 200); do echo line $i; sleep 0.01; done",
    );
    await wd.waitFor(
      `return document.querySelector('[data-testid=run-row][data-run-id="${run.id}"]')?.dataset.runStatus === 'completed'`,
      { timeout: 30000, what: "status completed" },
    );
    const text = await wd.waitFor(
      `const t = document.querySelector('[data-testid=terminal] .xterm-rows')?.textContent ?? '';
       return t.includes('line 200') ? t : null;`,
      { timeout: 5000, what: "line 200 in the terminal" },
    );
    assert.match(text, /line 199/);
    assert.equal(await runLabel(run.id), "Completed");
    assert.equal(await badge(run.id), "✓Completed");
    assert.equal(await clearShown(), true, "a finished run can be cleared");
    await shot("04-run-completed");
  });

  it("shows Failed with the exit code of `exit 3`", async () => {
    const run = await startRun("", "exit 3");
    await wd.waitFor(
      `return document.querySelector('[data-testid=run-row][data-run-id="${run.id}"]')?.dataset.runStatus === 'failed'`,
      { timeout: 10000, what: "status failed" },
    );
    assert.equal(await runLabel(run.id), "Failed (exit 3)");
    assert.equal(await badge(run.id), "✗Failed (exit 3)");
    await shot("05-run-failed");
  });

  const pidAlive = (pid) => {
    try {
      process.kill(pid, 0);
    } catch {
      return false;
    }
    const stat = fs.readFileSync(`/proc/${pid}/stat`, "utf8");
    return stat.split(") ")[1]?.[0] !== "Z";
  };

  async function clickKill(id) {
    await wd.click(
      await wd.find(
        `[data-testid=run-row][data-run-id="${id}"] [data-testid=run-kill]`,
      ),
    );
    return waitForWindow(xvfb.display, "^Kill run");
  }

  it("asks before killing: No leaves the command running", async () => {
    const run = await startRun("sleeper-no", "sleep 1000");
    assert.ok(run.pid > 0 && pidAlive(run.pid), "sleep is running");
    const dialog = await clickKill(run.id);
    await sleep(300);
    await shot("06-kill-dialog");
    pressKeys(xvfb.display, dialog, "Escape");
    const deadline = Date.now() + 5000;
    while (windowExists(xvfb.display, dialog) && Date.now() < deadline)
      await sleep(50);
    assert.ok(!windowExists(xvfb.display, dialog), "dialog closed");
    await sleep(1000);
    assert.equal(await runStatus(run.id), "running");
    assert.ok(pidAlive(run.pid), "the process still runs after No");
    // Clean up through the same dialog.
    pressKeys(xvfb.display, await clickKill(run.id), "Return");
    await wd.waitFor(
      `return document.querySelector('[data-testid=run-row][data-run-id="${run.id}"]')?.dataset.runStatus === 'killed'`,
      { timeout: 10000, what: "cleanup kill" },
    );
  });

  it("kills after Yes in the native dialog, and the PID is gone", async () => {
    const run = await startRun("sleeper-yes", "sleep 1000");
    assert.ok(pidAlive(run.pid), "sleep is running");
    const dialog = await clickKill(run.id);
    await sleep(300);
    pressKeys(xvfb.display, dialog, "Return");
    await wd.waitFor(
      `return document.querySelector('[data-testid=run-row][data-run-id="${run.id}"]')?.dataset.runStatus === 'killed'`,
      { timeout: 10000, what: "status killed" },
    );
    const deadline = Date.now() + 5000;
    while (pidAlive(run.pid) && Date.now() < deadline) await sleep(50);
    assert.ok(!pidAlive(run.pid), `PID ${run.pid} is gone`);
    assert.equal(await runLabel(run.id), "Killed");
    await shot("07-run-killed");
  });
});

describe("killing an agent session", () => {
  it("stops the agent behind the selected session after the native dialog", async () => {
    // A stand-in agent: `sleep` under the name `claude`, running in the session's cwd.
    const { agent, agentCwd, exited } = startStandInClaude(work);
    try {
      const id = "7e7e7e7e-3333-4444-8555-966667777888";
      const dir = path.join(claudeDir, "projects", "-agent");
      fs.mkdirSync(dir, { recursive: true });
      fs.writeFileSync(
        path.join(dir, `${id}.jsonl`),
        record("user", 1, {}, agentCwd).replaceAll(sessionId, id),
      );
      await wd.click(await wd.find("[data-testid=tab-sessions]"));
      // The process scan runs every 2 s; the row then names the agent's PID.
      await wd.waitFor(
        `return document.querySelector('[data-testid=session-row][data-session-id="${id}"]')?.dataset.pid === "${agent.pid}"`,
        { timeout: 8000, what: "the session matched to its agent process" },
      );
      await wd.click(
        await wd.find(`[data-testid=session-row][data-session-id="${id}"]`),
      );
      await wd.click(await wd.find("[data-testid=kill-sessions]"));
      const dialog = await waitForWindow(xvfb.display, "^Kill sessions");
      await sleep(300);
      await shot("08-kill-session-dialog");
      assert.equal(agent.exitCode, null, "nothing is sent before the answer");
      pressKeys(xvfb.display, dialog, "Return");
      const result = await Promise.race([
        exited,
        sleep(10000).then(() => null),
      ]);
      assert.ok(result, "the agent process exited");
      assert.equal(
        result.signal,
        "SIGINT",
        "stopped by the first, gentlest signal",
      );
      const report = await wd.waitFor(
        "return document.querySelector('[data-testid=kill-report]')?.textContent",
        { what: "the kill report" },
      );
      console.log(`kill report: ${report}`);
      await shot("09-kill-session-done");
    } finally {
      agent.kill("SIGKILL");
    }
  });
});

describe("session detail", () => {
  it("opens with Enter, tails the transcript live, and renders HTML as text", async () => {
    await wd.click(await wd.find("[data-testid=tab-sessions]"));
    await wd.click(
      await wd.find(
        `[data-testid=session-row][data-session-id="${sessionId}"]`,
      ),
    );
    await wd.click(await wd.find("[data-testid=sessions-table]"));
    // Keyboard: the focused row opens with Enter.
    await wd.execute(
      "document.activeElement?.blur(); window.dispatchEvent(new KeyboardEvent('keydown', { key: 'Enter' }));",
    );
    await wd.waitFor(
      "return [...document.querySelectorAll('[data-testid=entry]')].some(e => e.textContent.includes('Prompt number 1'))",
      { what: "the transcript's first prompt" },
    );
    const hostile =
      "<img src=x onerror=\"document.title='pwned'\"><b>bold?</b>";
    const line = JSON.parse(record("user", 99));
    line.message.content = hostile;
    fs.appendFileSync(sessionFile, JSON.stringify(line) + "\n");
    await wd.waitFor(
      `return [...document.querySelectorAll('[data-testid=entry]')].some(e => e.textContent.includes(${JSON.stringify(hostile)}))`,
      { timeout: 3000, what: "the appended prompt, as text" },
    );
    const injected = await wd.execute(
      "return document.querySelector('[data-testid=transcript] img, [data-testid=transcript] b') !== null || document.title === 'pwned'",
    );
    assert.equal(injected, false, "transcript text is never parsed as HTML");
    await shot("10-session-detail");
    // "Open folder" hands the transcript's directory to the desktop's opener.
    await wd.click(await wd.find("[data-testid=open-folder]"));
    // The stand-in's `>>` creates the file a moment before its line is written.
    const said = () =>
      fs.existsSync(opened) ? fs.readFileSync(opened, "utf8") : "";
    const deadline = Date.now() + 5000;
    while (!said().endsWith("\n") && Date.now() < deadline) await sleep(50);
    assert.equal(said().trim(), projectDir);
  });
});

describe("full-text search", () => {
  it("finds a word said in a transcript and opens its session", async () => {
    await wd.click(await wd.find("[data-testid=tab-sessions]"));
    await wd.click(await wd.find("[data-testid=full-text]"));
    const box = await wd.find("[data-testid=session-search]");
    await wd.clear(box);
    await wd.type(box, "Answer 13");
    // Text is indexed in the background every few seconds.
    const hit = await wd.waitFor(
      "const h = document.querySelector('[data-testid=search-hit]'); return h ? h.textContent : null;",
      { timeout: 20000, interval: 250, what: "a search hit" },
    );
    assert.match(hit, /Answer/);
    assert.match(hit, /5f0c7a8e/);
    const marked = await wd.execute(
      "return [...document.querySelectorAll('[data-testid=search-hit] mark')].map(m => m.textContent)",
    );
    assert.ok(
      marked.some((m) => /answer/i.test(m)),
      `hits are marked: ${marked}`,
    );
    await shot("15-full-text-search");
    await wd.click(await wd.find("[data-testid=search-hit]"));
    await wd.waitFor(
      "return document.querySelector('[data-testid=session-detail]') !== null",
      {
        what: "the session opened from its hit",
      },
    );
    await wd.click(await wd.find("[data-testid=full-text]"));
    // WebDriver's clear fires no input event; empty the box the way typing would.
    await wd.execute(
      "const b = document.querySelector('[data-testid=session-search]'); b.value = ''; b.dispatchEvent(new Event('input', { bubbles: true }));",
    );
  });
});

describe("settings", () => {
  it("adds a transcript root, switches to the dark theme, and persists both", async () => {
    // Sessions in a directory no default covers; they appear once it is added.
    const extra = path.join(work, "elsewhere", "projects");
    const extraId = "4d4d4d4d-5555-4666-8777-988889999000";
    fs.mkdirSync(path.join(extra, "-x"), { recursive: true });
    fs.writeFileSync(
      path.join(extra, "-x", `${extraId}.jsonl`),
      record("user", 1).replaceAll(sessionId, extraId),
    );

    await wd.click(await wd.find("[data-testid=tab-settings]"));
    await wd.click(await wd.waitForElement("[data-testid=add-root]"));
    const input = await wd.find("[data-testid=extra-root]");
    await wd.type(input, extra);
    await wd.execute(
      "const s = document.querySelector('[data-testid=theme]'); s.value = 'dark'; s.dispatchEvent(new Event('change'));",
    );
    await wd.click(await wd.find("[data-testid=save-settings]"));
    // A new directory to read is confirmed natively; the theme alone would not be.
    await answerDialog(xvfb.display, "^Apply settings", "Return");
    await wd.waitFor(
      "return document.querySelector('[data-testid=settings-message]')?.textContent === 'Saved.'",
      { what: "the save confirmation" },
    );
    assert.equal(
      await wd.execute("return document.documentElement.dataset.theme"),
      "dark",
    );
    await shot("11-settings");

    const saved = JSON.parse(
      fs.readFileSync(path.join(work, "data", "settings.json"), "utf8"),
    );
    assert.equal(saved.theme, "dark");
    assert.deepEqual(saved.extra_roots, [
      { harness: "claude-code", path: extra },
    ]);

    await wd.click(await wd.find("[data-testid=tab-sessions]"));
    await wd.waitFor(
      `return document.querySelector('[data-testid=session-row][data-session-id="${extraId}"]') !== null`,
      { timeout: 5000, what: "the session from the added root" },
    );
    await shot("12-dark-sessions");
  });
});

describe("terminal input and environment", () => {
  const rows = () =>
    wd.execute(
      "return document.querySelector('[data-testid=terminal] .xterm-rows')?.textContent ?? ''",
    );

  it("passes typed keys to the process and sets the run's environment", async () => {
    await wd.click(await wd.find("[data-testid=tab-runs]"));
    const name = await wd.find("[data-testid=run-name]");
    await wd.clear(name);
    await wd.type(name, "asks");
    const cmd = await wd.find("[data-testid=run-command]");
    await wd.clear(cmd);
    await wd.type(
      cmd,
      'echo "greeting=$GREETING"; read -r answer; echo "got=$answer"',
    );
    const more = await wd.execute(
      "const b = [...document.querySelectorAll('.run-form button.link')].find(x => x.textContent.includes('environment')); b?.click(); return !!b;",
    );
    if (more)
      await wd.type(
        await wd.waitForElement("[data-testid=run-env]"),
        "GREETING=héllo wörld",
      );
    await wd.click(await wd.find("[data-testid=run-start]"));
    await answerDialog(xvfb.display, "^Run command", "Return");
    await wd.waitFor(
      "return (document.querySelector('[data-testid=terminal] .xterm-rows')?.textContent ?? '').includes('greeting=héllo wörld')",
      { what: "the environment variable in the output" },
    );
    // Type into the terminal itself, as a user would.
    const input = await wd.waitForElement(
      "[data-testid=terminal] .xterm-helper-textarea",
    );
    await wd.type(input, "yes please\n");
    await wd.waitFor(
      "return (document.querySelector('[data-testid=terminal] .xterm-rows')?.textContent ?? '').includes('got=yes please')",
      { what: "the typed answer echoed back" },
    );
    assert.match(await rows(), /got=yes please/);
    await shot("13-terminal-input");
  });
});

describe("gptme-server sessions", () => {
  it("lists a configured server's sessions and DELETEs one after the native dialog", async () => {
    // A stand-in gptme-server on loopback with the two endpoints Sessionscope uses.
    let sessions = [
      {
        id: "srv-5e55-1011",
        conversation_id: "2026-11-25-refactor",
        model: "anthropic/claude-sonnet-4-5",
        message_count: 7,
        generating: true,
        elapsed_seconds: 12.5,
        created_at: new Date().toISOString(),
        last_activity: new Date().toISOString(),
      },
    ];
    const deletes = [];
    // Later in the test the server starts asking for its token, as the real one does.
    let wantsToken = false;
    const server = http.createServer((req, res) => {
      res.setHeader("content-type", "application/json");
      if (req.method === "GET" && req.url === "/api/v2/server/health") {
        // Unauthenticated by design in gptme (gptme#3701).
        const generating = sessions.filter((s) => s.generating).length;
        res.end(
          JSON.stringify({
            session_count: sessions.length,
            generating_count: generating,
            idle_count: sessions.length - generating,
            health:
              generating === 0
                ? "green"
                : generating < sessions.length
                  ? "yellow"
                  : "red",
            slots: [],
          }),
        );
      } else if (wantsToken) {
        res.statusCode = 401;
        res.end(JSON.stringify({ error: "Unauthorized" }));
      } else if (req.method === "GET" && req.url === "/api/v2/sessions") {
        res.end(JSON.stringify(sessions));
      } else if (
        req.method === "DELETE" &&
        req.url.startsWith("/api/v2/sessions/")
      ) {
        const id = decodeURIComponent(req.url.split("/").pop());
        deletes.push(id);
        sessions = sessions.filter((s) => s.id !== id);
        res.end(
          JSON.stringify({ status: "ok", message: `Session ${id} deleted` }),
        );
      } else {
        res.statusCode = 404;
        res.end("{}");
      }
    });
    await new Promise((r) => server.listen(0, "127.0.0.1", r));
    const url = `http://127.0.0.1:${server.address().port}`;
    try {
      await wd.click(await wd.find("[data-testid=tab-settings]"));
      const input = await wd.waitForElement("[data-testid=gptme-server-url]");
      await wd.type(input, url);
      await wd.click(await wd.find("[data-testid=save-settings]"));
      await answerDialog(xvfb.display, "^Apply settings", "Return");
      await wd.waitFor(
        "return document.querySelector('[data-testid=settings-message]')?.textContent === 'Saved.'",
        { what: "saved" },
      );
      await wd.click(await wd.find("[data-testid=tab-sessions]"));
      const row = await wd.waitFor(
        "return document.querySelector('[data-testid=server-session]')?.textContent ?? null",
        { timeout: 10000, what: "the server's session listed" },
      );
      assert.match(row, /Generating/);
      assert.match(row, /2026-11-25-refactor/);
      // The /admin panel's header: health and counts, column headers, when it was asked.
      assert.equal(
        await textOf("[data-testid=server-counts]"),
        "1 total · 1 generating · 0 idle",
      );
      assert.ok(
        await wd.execute(
          "return document.querySelector('[data-testid=server-health]').classList.contains('health-red')",
        ),
        "every session generating reads red",
      );
      assert.match(
        await textOf("[data-testid=server-sessions] .server-head"),
        /Conversation/,
      );
      assert.match(await textOf("[data-testid=server-updated]"), /^updated \d/);
      await shot("16-gptme-server");
      // The row may sit under the detail pane's edge; click it the way a pointer would.
      await wd.execute(
        "document.querySelector('[data-testid=server-kill]').click()",
      );
      const dialog = await waitForWindow(xvfb.display, "^Kill server session");
      await sleep(300);
      assert.deepEqual(deletes, [], "nothing is deleted before the answer");
      pressKeys(xvfb.display, dialog, "Return");
      await wd.waitFor(
        "return document.querySelector('[data-testid=server-session]') === null",
        {
          timeout: 10000,
          what: "the session gone from the list",
        },
      );
      assert.deepEqual(deletes, ["srv-5e55-1011"]);
      // A server that wants its token: "token needed" with what to do, counts still shown.
      wantsToken = true;
      await wd.execute(
        "document.querySelector('[data-testid=server-refresh]').click()",
      );
      const needed = await wd.waitFor(
        "return document.querySelector('[data-testid=server-token-needed]')?.textContent ?? null",
        { what: "the token-needed notice" },
      );
      assert.match(needed, /Token needed/);
      assert.match(needed, /GPTME_SERVER_TOKEN/);
      assert.equal(
        await textOf("[data-testid=server-counts]"),
        "0 total · 0 generating · 0 idle",
      );
      assert.equal(
        await wd.execute(
          "return document.querySelector('[data-testid=server-error]')",
        ),
        null,
        "not shown as an outage",
      );
      await shot("16b-gptme-server-token-needed");
    } finally {
      server.close();
    }
  });
});

describe("records and analytics", () => {
  it("shows a record another program appends to the store, without reload", async () => {
    await wd.click(await wd.find("[data-testid=tab-records]"));
    await wd.waitFor(
      "return document.querySelector('[data-testid=no-records], [data-testid=record-row]') !== null",
      { what: "the records view" },
    );
    // What an agent's own `gptme-sessions post-session` would append.
    const record = {
      session_id: "e2e0c0de",
      timestamp: new Date().toISOString().replace("Z", "+00:00"),
      harness: "claude-code",
      model: "claude-opus-4-6",
      outcome: "productive",
      category: "code",
      duration_seconds: 420,
      project: "/work/demo",
      custom_key_from_elsewhere: { kept: true },
    };
    fs.appendFileSync(
      path.join(storeDir, "session-records.jsonl"),
      JSON.stringify(record) + "\n",
    );
    await wd.waitFor(
      "return [...document.querySelectorAll('[data-testid=record-row]')].some(r => r.textContent.includes('e2e0c0de'))",
      { timeout: 8000, what: "the appended record in the table" },
    );
    await shot("17-records");
  });

  it("records a session from its detail pane once, and the Records view shows it", async () => {
    await wd.click(await wd.find("[data-testid=tab-sessions]"));
    await wd.click(
      await wd.find(
        `[data-testid=session-row][data-session-id="${sessionId}"]`,
      ),
    );
    await wd.execute(
      "document.activeElement?.blur(); window.dispatchEvent(new KeyboardEvent('keydown', { key: 'Enter' }));",
    );
    await wd.click(await wd.find("[data-testid=record-session]"));
    const resultText = () =>
      wd.execute(
        "return document.querySelector('[data-testid=detail-message]')?.textContent ?? ''",
      );
    await wd.waitFor(
      "return /^Recorded as /.test(document.querySelector('[data-testid=detail-message]')?.textContent ?? '')",
      { what: "the new record's id" },
    );
    const id = (await resultText()).match(/^Recorded as (\S+?)[ .]/)[1];
    const lines = () =>
      fs
        .readFileSync(path.join(storeDir, "session-records.jsonl"), "utf8")
        .split("\n")
        .filter(Boolean)
        .map((l) => JSON.parse(l))
        .filter((r) => r.trajectory_path === sessionFile);
    const written = lines();
    assert.equal(written.length, 1, "one record of the transcript");
    assert.equal(written[0].session_id, id);
    assert.equal(written[0].harness, "claude-code");
    assert.ok(written[0].token_count > 0, "tokens come from the transcript");
    await shot("17b-record-session");
    // A second click finds the record and writes nothing.
    await wd.click(await wd.find("[data-testid=record-session]"));
    await wd.waitFor(
      "return /^Already recorded as /.test(document.querySelector('[data-testid=detail-message]')?.textContent ?? '')",
      { what: "the already-recorded answer" },
    );
    assert.equal(lines().length, 1, "not recorded twice");
    await wd.click(await wd.find("[data-testid=tab-records]"));
    await wd.waitFor(
      `return [...document.querySelectorAll('[data-testid=record-row]')].some(r => r.textContent.includes(${JSON.stringify(id)}))`,
      { timeout: 8000, what: "the recorded session in the Records table" },
    );
  });

  it("draws the analytics charts from the live sessions", async () => {
    await wd.click(await wd.find("[data-testid=tab-analytics]"));
    await wd.waitFor(
      "return document.querySelectorAll('[data-testid=analytics-view] [data-testid=chart] canvas').length > 0",
      { timeout: 10000, what: "charts drawn" },
    );
    const summary = await wd.execute(
      "return document.querySelector('[data-testid=analytics-summary]')?.textContent ?? ''",
    );
    assert.ok(summary.length > 0, "a summary of the period is shown");
    await shot("18-analytics");
    await wd.click(await wd.find("[data-testid=tab-sessions]"));
  });

  it("shows a new session's cost in Analytics at once: pushed, not polled", async () => {
    await wd.click(await wd.find("[data-testid=tab-analytics]"));
    const summary = () =>
      wd.execute(
        "return document.querySelector('[data-testid=analytics-summary]')?.textContent ?? ''",
      );
    // "3 sessions · 1.2k tokens · $0.0012 (days in UTC)"
    const read = (text) => ({
      sessions: Number(text.match(/(\d+)\s+sessions/)?.[1] ?? NaN),
      cost: Number(text.match(/\$([\d.,]+)/)?.[1]?.replace(/,/g, "") ?? NaN),
    });
    await wd.waitFor(
      "return document.querySelector('[data-testid=analytics-summary]') !== null",
      {
        what: "the analytics summary",
      },
    );
    const before = read(await summary());
    assert.ok(
      Number.isFinite(before.sessions) && Number.isFinite(before.cost),
      "summary read",
    );
    // A new session that spent two million input tokens on Sonnet 4.5 ($3 per million).
    const id = "a1a1a1a1-2222-4333-8444-955556666777";
    const dir = path.join(claudeDir, "projects", "-work-costly");
    fs.mkdirSync(dir, { recursive: true });
    const ts = new Date().toISOString();
    const lines = [
      { type: "user", message: { role: "user", content: "Spend" } },
      {
        type: "assistant",
        requestId: "req_costly",
        message: {
          id: "msg_costly",
          role: "assistant",
          model: "claude-sonnet-4-5",
          stop_reason: "end_turn",
          content: [{ type: "text", text: "Spent" }],
          usage: { input_tokens: 2_000_000, output_tokens: 10 },
        },
      },
    ].map((r, n) =>
      JSON.stringify({
        ...r,
        sessionId: id,
        timestamp: ts,
        cwd: "/work/costly",
        uuid: `c${n}`,
      }),
    );
    const started = Date.now();
    fs.writeFileSync(path.join(dir, `${id}.jsonl`), lines.join("\n") + "\n");
    // The view used to re-read every 30 s; pushed, it follows within seconds.
    let now = before;
    while (Date.now() - started < 10000) {
      now = read(await summary());
      if (now.sessions === before.sessions + 1 && now.cost >= before.cost + 5.9)
        break;
      await sleep(100);
    }
    assert.equal(
      now.sessions,
      before.sessions + 1,
      "the new session is counted",
    );
    assert.ok(
      now.cost >= before.cost + 5.9,
      `its $6 are in the total (${before.cost} → ${now.cost})`,
    );
    const took = Date.now() - started;
    assert.ok(took < 15000, `shown after ${took} ms`);
    console.log(`analytics: new session's cost shown after ${took} ms`);
    await shot("18b-analytics-pushed");
    await wd.click(await wd.find("[data-testid=tab-sessions]"));
  });
});
