// End-to-end: the Records view's tools on a real store, through the real app. Cost
// shows the same total as `sessionscope records cost --json`; duplicates are previewed
// without writing, a merge the user cancels in the native dialog writes nothing, and a
// merge they confirm (a real Return) marks exactly the previewed record; categories
// and transcript search show what the store and the transcripts hold.
import { after, before, describe, it } from "node:test";
import { spawnSync } from "node:child_process";
import assert from "node:assert/strict";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { answerDialog, screenshotScreen } from "./lib/desktop.mjs";
import { appBinary, launchApp } from "./lib/app.mjs";

const here = path.dirname(fileURLToPath(import.meta.url));
const artifacts = path.join(here, "artifacts");
const work = fs.mkdtempSync(path.join(os.tmpdir(), "sessionscope-records-tools-"));
const storeDir = path.join(work, "records");
const storeFile = path.join(storeDir, "session-records.jsonl");
const claudeDir = path.join(work, "claude");
const cli = path.join(path.dirname(appBinary()), "sessionscope");
const env = {
  CLAUDE_CONFIG_DIR: claudeDir,
  CODEX_HOME: path.join(work, "codex"),
  GPTME_LOGS_HOME: path.join(work, "gptme"),
  SESSIONSCOPE_DATA_DIR: path.join(work, "data"),
  GPTME_SESSIONS_DIR: storeDir,
  HOME: work,
};
const NEEDLE = "flamingo-quartz-needle";
const transcriptId = "7a1b2c3d-1111-4222-8333-944445555666";

let app;
let wd;

const hoursAgo = (h) => new Date(Date.now() - h * 3600_000).toISOString();
const records = [
  // Two records of one Claude Code session (overlapping times): one is a duplicate.
  {
    session_id: "keep-rich",
    timestamp: hoursAgo(5),
    harness: "claude-code",
    model: "claude-sonnet-4-5",
    duration_seconds: 600,
    outcome: "productive",
    category: "code",
    project: "/work/demo",
    input_tokens: 1_000_000,
    output_tokens: 20_000,
  },
  {
    session_id: "dup-poor",
    timestamp: hoursAgo(5),
    harness: "claude-code",
    duration_seconds: 590,
    outcome: "productive",
    trajectory_path: "/tmp/t.jsonl",
  },
  {
    session_id: "codex-one",
    timestamp: hoursAgo(30),
    harness: "codex",
    model: "gpt-5",
    duration_seconds: 60,
    outcome: "noop",
    category: "noop",
    input_tokens: 200_000,
    output_tokens: 1_000,
  },
];

async function shot(name) {
  fs.mkdirSync(artifacts, { recursive: true });
  screenshotScreen(app.display, path.join(artifacts, `${name}.png`));
}

const text = (sel) =>
  wd.execute(`return document.querySelector(${JSON.stringify(sel)})?.textContent ?? null`);

before(async () => {
  fs.mkdirSync(storeDir, { recursive: true });
  fs.writeFileSync(storeFile, records.map((r) => JSON.stringify(r) + "\n").join(""));
  const project = path.join(claudeDir, "projects", "-work-demo");
  fs.mkdirSync(project, { recursive: true });
  const line = (type, n, content) =>
    JSON.stringify({
      type,
      sessionId: transcriptId,
      timestamp: hoursAgo(1),
      cwd: "/work/demo",
      uuid: `u${n}`,
      message:
        type === "user"
          ? // A list of blocks: gptme-sessions' reader (and so `records search`) skips
            // a user message whose content is a bare string.
            { role: "user", content: [{ type: "text", text: content }] }
          : {
              id: `m${n}`,
              role: "assistant",
              model: "claude-sonnet-4-5",
              content: [{ type: "text", text: content }],
              usage: { input_tokens: 5, output_tokens: 5 },
            },
    }) + "\n";
  fs.writeFileSync(
    path.join(project, `${transcriptId}.jsonl`),
    line("user", 1, `Where is the ${NEEDLE}?`) +
      // A real answer: gptme-sessions (and so search) skips Claude Code logs under 4 KiB.
      line(
        "assistant",
        2,
        "In the haystack. I looked through every bale first:\n" +
          Array.from({ length: 90 }, (_, i) => `- src/hay/bale_${i}.rs: checked, not there`).join(
            "\n",
          ),
      ),
  );
  app = await launchApp(env, artifacts);
  wd = app.wd;
  await wd.click(await wd.find("[data-testid=tab-records]"));
  await wd.waitFor("return document.querySelectorAll('[data-testid=record-row]').length === 3", {
    what: "the three records",
  });
});

after(async () => {
  await app?.stop();
  fs.rmSync(work, { recursive: true, force: true, maxRetries: 3 });
});

describe("Records view tools", () => {
  it("shows the same cost as `sessionscope records cost`", async () => {
    const out = spawnSync(cli, ["records", "cost", "--days", "7", "--json"], {
      env: { ...process.env, ...env },
      encoding: "utf8",
    });
    assert.equal(out.status, 0, out.stderr);
    const fromCli = JSON.parse(out.stdout);
    assert.ok(fromCli.total_cost > 0, "the fixture has priced records");
    await wd.click(await wd.find("[data-testid=records-cost-tab]"));
    const summary = await wd.waitFor(
      "const t = document.querySelector('[data-testid=cost-summary]')?.textContent; return t || null",
      { what: "the cost summary" },
    );
    assert.match(summary, new RegExp(`^\\s*${fromCli.session_count} sessions, ${fromCli.priced_count} with cost data`));
    assert.ok(
      summary.includes(`$${fromCli.total_cost.toFixed(2)}`),
      `${summary} shows ${fromCli.total_cost}`,
    );
    const models = await wd.execute(
      "return [...document.querySelectorAll('[data-testid=cost-by-model] tbody tr td:first-child')].map(td => td.textContent)",
    );
    assert.deepEqual(new Set(models), new Set(Object.keys(fromCli.by_model)));
    await shot("records-cost");
  });

  it("previews duplicates without writing, and a cancelled merge writes nothing", async () => {
    const before = fs.readFileSync(storeFile, "utf8");
    await wd.click(await wd.find("[data-testid=records-duplicates-tab]"));
    await wd.click(await wd.waitForElement("[data-testid=records-dedup] button"));
    await wd.waitFor("return document.querySelector('[data-testid=dedup-groups]') !== null", {
      what: "the duplicate groups",
    });
    const rows = await wd.execute(
      "return [...document.querySelectorAll('[data-testid=dedup-groups] tbody tr')].map(r => [...r.children].map(c => c.textContent))",
    );
    assert.deepEqual(rows.map((r) => r.slice(0, 3)), [["keep-rich", "claude-code", "dup-poor"]]);
    assert.equal(fs.readFileSync(storeFile, "utf8"), before, "a preview writes nothing");
    await shot("records-dedup-preview");
    await wd.click(await wd.find("[data-testid=merge-duplicates]"));
    await answerDialog(app.display, "^Merge duplicate records", "Escape");
    // The dialog is gone; give a wrongly-running merge time to show itself.
    await new Promise((r) => setTimeout(r, 500));
    assert.equal(fs.readFileSync(storeFile, "utf8"), before, "no means nothing written");
  });

  it("merges exactly the preview after a real yes, deleting nothing", async () => {
    await wd.click(await wd.find("[data-testid=merge-duplicates]"));
    await answerDialog(app.display, "^Merge duplicate records", "Return");
    await wd.waitFor(
      "return /^Merged 1 duplicate/.test(document.querySelector('[data-testid=dedup-summary]')?.textContent ?? '')",
      { what: "the merge result" },
    );
    const after = fs
      .readFileSync(storeFile, "utf8")
      .split("\n")
      .filter(Boolean)
      .map((l) => JSON.parse(l));
    assert.equal(after.length, 3, "no record removed");
    const byId = Object.fromEntries(after.map((r) => [r.session_id, r]));
    assert.equal(byId["dup-poor"].duplicate_of, "keep-rich");
    assert.equal(byId["keep-rich"].trajectory_path, "/tmp/t.jsonl", "the keeper took the field");
    assert.equal(byId["codex-one"].duplicate_of, undefined);
    await shot("records-dedup-merged");
  });

  it("breaks the records down by category", async () => {
    await wd.click(await wd.find("[data-testid=records-categories-tab]"));
    const rows = await wd.waitFor(
      "const r = [...document.querySelectorAll('[data-testid=category-row]')].map(r => [...r.children].map(c => c.textContent.trim())); return r.length ? r : null",
      { what: "the category rows" },
    );
    const code = rows.find((r) => r[0] === "code");
    const noop = rows.find((r) => r[0] === "noop");
    assert.equal(code[1], "1");
    assert.equal(code[4], "work");
    assert.equal(noop[4], "NOOP");
    assert.match(await text("[data-testid=records-categories] .note"), /1 unclassified/);
  });

  it("finds the session whose transcript mentions a string", async () => {
    await wd.click(await wd.find("[data-testid=records-search-tab]"));
    const input = await wd.waitForElement("[data-testid=records-search] input");
    await wd.type(input, NEEDLE);
    await wd.click(await wd.find("[data-testid=records-search] button[type=submit]"));
    const found = await wd.waitFor(
      "return document.querySelector('[data-testid=transcript-matches]')?.textContent ?? null",
      { timeout: 15000, what: "the search result" },
    );
    assert.ok(found.includes(transcriptId), found);
    assert.ok(found.includes(NEEDLE), "the excerpt shows the match");
    await shot("records-search");
  });
});
