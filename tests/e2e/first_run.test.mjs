// End-to-end: the first start of a person who has never run an agent. The window says,
// per agent, which folders it looked in and which variable points it elsewhere, and
// leads to Settings; Settings' "start when I log in" writes and removes the XDG
// autostart entry (after a native yes); the first agent session written afterwards
// appears on its own. And the first start of a person with a long history: the table
// fills in, newest sessions first, while the progress bar says how far the first
// index is.
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { answerDialog, screenshotScreen } from "./lib/desktop.mjs";
import { appBinary, launchApp } from "./lib/app.mjs";

const here = path.dirname(fileURLToPath(import.meta.url));
const artifacts = path.join(here, "artifacts");
const work = fs.mkdtempSync(path.join(os.tmpdir(), "sessionscope-first-run-"));
const home = path.join(work, "home");
const autostartEntry = path.join(
  home,
  ".config",
  "autostart",
  "Sessionscope.desktop",
);

// An empty home and no agent variables (empty means unset to the app): every agent's
// default folder, under this home, is what a new user has.
const env = {
  HOME: home,
  XDG_CONFIG_HOME: path.join(home, ".config"),
  XDG_DATA_HOME: path.join(home, ".local", "share"),
  SESSIONSCOPE_DATA_DIR: path.join(work, "data"),
  GPTME_SESSIONS_DIR: path.join(work, "records"),
  CLAUDE_CONFIG_DIR: "",
  CODEX_HOME: "",
  GPTME_LOGS_HOME: "",
  GPTME_LOGS_DIR: "",
  GEMINI_DATA_DIR: "",
  GEMINI_CLI_HOME: "",
  OPENCODE_DATA_DIR: "",
  COPILOT_STATE_DIR: "",
  COPILOT_HOME: "",
};

let launched;

before(async () => {
  fs.mkdirSync(home, { recursive: true });
  launched = await launchApp(env, artifacts);
});

after(async () => {
  await launched?.stop().catch(() => {});
  fs.rmSync(work, { recursive: true, force: true, maxRetries: 3 });
});

describe("first run", () => {
  it("says where it looked for each agent and how to add a folder", async () => {
    const { wd } = launched;
    await wd.waitForElement("[data-testid=no-sessions]", 30000);
    const rows =
      await wd.execute(`return [...document.querySelectorAll('[data-testid=searched-root]')]
      .map(r => ({ harness: r.dataset.harness, text: r.textContent }))`);
    const harnesses = [...new Set(rows.map((r) => r.harness))];
    assert.deepEqual(harnesses, [
      "claude-code",
      "codex",
      "gptme",
      "gemini",
      "opencode",
      "copilot",
    ]);
    const claude = rows
      .filter((r) => r.harness === "claude-code")
      .map((r) => r.text)
      .join("\n");
    assert.match(claude, new RegExp(`${home}/\\.claude/projects`));
    assert.match(claude, /does not exist/);
    assert.match(claude, /CLAUDE_CONFIG_DIR/);
    const codex = rows.find((r) => r.harness === "codex").text;
    assert.match(codex, /CODEX_HOME/);
    assert.match(codex, new RegExp(`${home}/\\.codex/sessions`));
    const gptme = rows.find((r) => r.harness === "gptme").text;
    assert.match(gptme, new RegExp(`${home}/\\.local/share/gptme/logs`));
    fs.mkdirSync(artifacts, { recursive: true });
    screenshotScreen(
      launched.display,
      path.join(artifacts, "30-first-run-empty.png"),
    );

    await wd.click(await wd.find("[data-testid=first-run-settings]"));
    await wd.waitForElement("[data-testid=add-root]");
    const notes = await wd.execute(
      "return document.querySelector('[data-testid=notification-settings]').textContent",
    );
    assert.match(notes, /turn notifications off/);
    assert.match(notes, /Show the icon in the system tray/);
  });

  it("turns start at login on and off through the XDG autostart entry", async () => {
    const { wd } = launched;
    await wd.waitForElement("[data-testid=launch-at-login]");
    assert.equal(fs.existsSync(autostartEntry), false);
    assert.equal(
      await wd.execute(
        "return document.querySelector('[data-testid=launch-at-login]').checked",
      ),
      false,
    );

    const save = async ({ confirm }) => {
      await wd.execute(
        "document.querySelector('[data-testid=settings-message]')?.remove()",
      );
      await wd.click(await wd.find("[data-testid=save-settings]"));
      // Starting at login is asked natively first; stopping it is not.
      if (confirm)
        await answerDialog(launched.display, "^Apply settings", "Return");
      await wd.waitFor(
        "return document.querySelector('[data-testid=settings-message]')?.textContent === 'Saved.'",
        { what: "the save confirmation" },
      );
    };
    await wd.click(await wd.find("[data-testid=launch-at-login]"));
    await save({ confirm: true });
    const entry = fs.readFileSync(autostartEntry, "utf8");
    assert.match(entry, /^\[Desktop Entry\]/);
    assert.match(
      entry,
      new RegExp(
        `^Exec=${appBinary().replace(/[.*+?^${}()|[\]\\]/g, "\\$&")}\\s*$`,
        "m",
      ),
    );
    const saved = JSON.parse(
      fs.readFileSync(path.join(work, "data", "settings.json"), "utf8"),
    );
    assert.equal(saved.launch_at_login, true);
    screenshotScreen(
      launched.display,
      path.join(artifacts, "31-start-at-login.png"),
    );

    await wd.click(await wd.find("[data-testid=launch-at-login]"));
    await save({ confirm: false });
    assert.equal(
      fs.existsSync(autostartEntry),
      false,
      "the entry is removed again",
    );
  });

  it("shows the first session an agent writes, without a restart", async () => {
    const { wd } = launched;
    await wd.click(await wd.find("[data-testid=tab-sessions]"));
    await wd.waitForElement("[data-testid=no-sessions]");
    const id = "3c3c3c3c-1111-4222-8333-944445555777";
    const dir = path.join(home, ".claude", "projects", "-work-first");
    fs.mkdirSync(dir, { recursive: true });
    const line = {
      type: "user",
      sessionId: id,
      timestamp: new Date().toISOString(),
      cwd: "/work/first",
      uuid: "u1",
      message: { role: "user", content: "Hello, first session" },
    };
    fs.writeFileSync(
      path.join(dir, `${id}.jsonl`),
      JSON.stringify(line) + "\n",
    );
    await wd.waitFor(
      `return document.querySelector('[data-testid=session-row][data-session-id="${id}"]') !== null`,
      { timeout: 20000, what: "the first session's row" },
    );
  });
});

describe("first index over a long history", () => {
  // 4,000 Claude Code sessions of 100 records (~110 MB), written over the last day:
  // more than the first waves of the first index, so the table must fill in before
  // the index is done.
  const FILES = 4000;
  const LINES = 100;
  const dir = path.join(work, "history");
  const idOf = (f) => `0000f175-0000-4000-8000-${String(f).padStart(12, "0")}`;
  let history;

  before(async () => {
    const t0 = Date.now() - 86400e3;
    for (let f = 0; f < FILES; f++) {
      const id = idOf(f);
      const project = path.join(dir, "projects", `-work-p${f % 20}`);
      fs.mkdirSync(project, { recursive: true });
      const lines = [];
      for (let i = 0; i < LINES; i++) {
        const user = i % 2 === 0;
        const message = user
          ? { role: "user", content: `prompt ${i} of session ${f}` }
          : {
              role: "assistant",
              id: `m${i}`,
              model: "claude-sonnet-4-5",
              content: [{ type: "text", text: `answer ${i}` }],
              usage: { input_tokens: 10, output_tokens: 5 },
            };
        lines.push(
          JSON.stringify({
            type: user ? "user" : "assistant",
            sessionId: id,
            timestamp: new Date(t0 + f * 20000 + i).toISOString(),
            cwd: `/work/p${f % 20}`,
            uuid: `u${i}`,
            message,
          }),
        );
      }
      const file = path.join(project, `${id}.jsonl`);
      fs.writeFileSync(file, lines.join("\n") + "\n");
      const t = new Date(t0 + f * 20000);
      fs.utimesSync(file, t, t);
    }
    history = await launchApp(
      {
        ...env,
        CLAUDE_CONFIG_DIR: dir,
        SESSIONSCOPE_DATA_DIR: path.join(work, "history-data"),
      },
      artifacts,
    );
  });

  after(async () => {
    await history?.stop().catch(() => {});
  });

  it("fills the table in, newest sessions first, while the progress bar shows", async () => {
    const { wd } = history;
    const sample = `return {
      total: Number(document.querySelector('[data-testid=count-total]')?.textContent ?? 0),
      scanning: document.querySelector('[data-testid=scan-progress]') !== null,
      label: document.querySelector('[data-testid=scan-progress]')?.textContent ?? null,
      newest: document.querySelector('[data-testid=session-row][data-session-id="${idOf(FILES - 1)}"]') !== null,
    }`;
    let partial = null;
    // The newest session's row while the index still reads. Sampled on every poll, not
    // only the first: the count can change a frame before the virtual table draws rows.
    let newestWhileScanning = null;
    const deadline = Date.now() + 120000;
    for (;;) {
      const s = await wd.execute(sample);
      if (!newestWhileScanning && s.scanning && s.newest && s.total < FILES) {
        newestWhileScanning = s;
      }
      if (!partial && s.scanning && s.total > 0 && s.total < FILES) {
        partial = s;
        screenshotScreen(
          history.display,
          path.join(artifacts, "32-first-index-filling-in.png"),
        );
      }
      if (!s.scanning && s.total === FILES) break;
      assert.ok(
        Date.now() < deadline,
        `the first index ends: ${JSON.stringify(s)}`,
      );
      await new Promise((r) => setTimeout(r, 20));
    }
    assert.ok(
      partial,
      "the table showed some sessions while the first index was still reading",
    );
    assert.ok(
      newestWhileScanning,
      `the newest session is shown before the index is done (first partial: ${JSON.stringify(partial)})`,
    );
    assert.match(partial.label, /Reading agent transcripts/);
  });
});
