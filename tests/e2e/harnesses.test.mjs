// End-to-end: the fixtures of all six agents appear side by side in the real app, each
// with its harness badge and model (the app reads every agent's own env var).
import { after, before, it } from "node:test";
import assert from "node:assert/strict";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { launchApp } from "./lib/app.mjs";
import { screenshotScreen } from "./lib/desktop.mjs";

const here = path.dirname(fileURLToPath(import.meta.url));
const artifacts = path.join(here, "artifacts");
const work = fs.mkdtempSync(path.join(os.tmpdir(), "sessionscope-e2e-six-"));
let app;

before(async () => {
  // A copy, so nothing the app does can touch the committed fixtures.
  fs.cpSync(path.join(here, "../fixtures"), path.join(work, "fixtures"), { recursive: true });
  const f = (p) => path.join(work, "fixtures", p);
  app = await launchApp(
    {
      SESSIONSCOPE_DATA_DIR: path.join(work, "data"),
      CLAUDE_CONFIG_DIR: f("claude"),
      CODEX_HOME: f("codex"),
      GPTME_LOGS_DIR: f("gptme"),
      GEMINI_DATA_DIR: f("gemini/tmp"),
      OPENCODE_DATA_DIR: f("opencode"),
      COPILOT_STATE_DIR: f("copilot"),
    },
    artifacts,
  );
});

after(async () => {
  await app?.stop();
  fs.rmSync(work, { recursive: true, force: true, maxRetries: 3 });
});

it("shows all six agents with their harness badge and model", async () => {
  const expected = {
    "claude-code": "claude-sonnet-4-5-20250929",
    codex: "gpt-5-codex",
    gptme: "anthropic/claude-sonnet-4-5",
    gemini: "gemini-2.5-pro",
    opencode: "claude-sonnet-4-5",
    copilot: "claude-sonnet-4.5",
  };
  const found = await app.wd.waitFor(
    `const rows = [...document.querySelectorAll('[data-testid=session-row]')];
     const byHarness = {};
     for (const r of rows) {
       const h = r.querySelector('[data-testid=harness]').textContent;
       (byHarness[h] ??= []).push(r.querySelector('[data-testid=model]').title);
     }
     return Object.keys(byHarness).length >= 6 ? byHarness : null;`,
    { what: "rows of all six harnesses" },
  );
  for (const [harness, model] of Object.entries(expected)) {
    assert.ok(found[harness], `${harness} has rows`);
    assert.ok(
      found[harness].some((models) => models.split(", ").includes(model)),
      `${harness} shows ${model}: ${JSON.stringify(found[harness])}`,
    );
  }
  const total = await app.wd.execute(
    "return Number(document.querySelector('[data-testid=count-total]').textContent)",
  );
  assert.equal(total, 2 + 4 + 2 + 4 + 3 + 2);
  screenshotScreen(app.display, path.join(artifacts, "14-six-harnesses.png"));
});
