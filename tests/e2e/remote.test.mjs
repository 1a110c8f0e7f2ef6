// End-to-end: a remote host in the app, in the one Sessions table. The host is added
// in Settings (the native dialog names it); its rows join this machine's in the table
// with a Host column, and its chip says it is live and filters the table to it; a
// remote row's transcript opens in the detail pane, follows what the host's agent
// appends and pages back; Kill on a remote row asks in the native dialog (answered
// with a real key press) and the host stops its agent; killing the ssh shows the host
// lost within 5 s, and it comes back with every row once; a new run on the host starts
// after the native dialog naming it (a no runs nothing), and its output and keys go
// live through the terminal pane; the Records view shows the host's own record store
// behind its chip, and "Record this session" on a remote row asks in the native
// dialog naming the host and records it there. The "ssh" is a stand-in
// script that runs the remote command on this machine with a second HOME (the CLI's
// tests use a real sshd: crates/cli/tests/remote_ssh.rs).
import { after, before, describe, it } from "node:test";
import { execFileSync } from "node:child_process";
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
} from "./lib/desktop.mjs";
import { appBinary, launchApp } from "./lib/app.mjs";

const here = path.dirname(fileURLToPath(import.meta.url));
const artifacts = path.join(here, "artifacts");
const work = fs.mkdtempSync(path.join(os.tmpdir(), "sessionscope-remote-"));
const remoteHome = path.join(work, "remote-home");
const sshPid = path.join(work, "ssh.pid");
const cli = path.join(path.dirname(appBinary()), "sessionscope");
const sessionId = "7a1e0c55-2222-4333-8444-955556666777";
const localId = "10ca1000-2222-4333-8444-955556666777";
const killId = "c0ffee00-2222-4333-8444-955556666777";
const remoteProject = path.join(
  remoteHome,
  ".claude",
  "projects",
  "-srv-build",
);
const remoteTranscript = path.join(remoteProject, `${sessionId}.jsonl`);
const remoteStore = path.join(remoteHome, "records", "session-records.jsonl");
const remoteRecordId = "b0a1c2d3e4f5";
const localRecordId = "10ca1c2d3e4f";

const env = {
  CLAUDE_CONFIG_DIR: path.join(work, "claude"),
  SESSIONSCOPE_DATA_DIR: path.join(work, "data"),
  GPTME_SESSIONS_DIR: path.join(work, "records"),
  SESSIONSCOPE_SSH: path.join(work, "fake-ssh"),
  // The stand-in ssh passes this side's environment on, which a real one does not:
  // the remote command names the remote's own agent directory.
  SESSIONSCOPE_REMOTE_COMMAND: `HOME=${remoteHome} CLAUDE_CONFIG_DIR=${remoteHome}/.claude SESSIONSCOPE_DATA_DIR=${remoteHome}/data GPTME_SESSIONS_DIR=${remoteHome}/records exec ${cli} serve --stdio`,
};

let launched;

function record(kind, n, id = sessionId, cwd = "/srv/build", text = null) {
  const base = {
    type: kind,
    sessionId: id,
    timestamp: new Date().toISOString(),
    cwd,
    uuid: `r${n}`,
  };
  const message =
    kind === "user"
      ? {
          role: "user",
          content: text ?? "Fix the flaky deploy on the build box",
        }
      : {
          id: `msg_${n}`,
          role: "assistant",
          model: "claude-sonnet-4-5",
          stop_reason: "end_turn",
          content: [{ type: "text", text: text ?? `On it, step ${n}.` }],
          usage: { input_tokens: 10, output_tokens: 5 },
        };
  return JSON.stringify({ ...base, message }) + "\n";
}

before(async () => {
  // The remote's session: 260 entries, more than the pane opens with (200).
  fs.mkdirSync(remoteProject, { recursive: true });
  let lines = record("user", 0);
  for (let n = 1; n < 260; n++) lines += record("assistant", n);
  fs.writeFileSync(remoteTranscript, lines);
  // And one of this machine's, so the table shows both.
  const local = path.join(env.CLAUDE_CONFIG_DIR, "projects", "-home-me");
  fs.mkdirSync(local, { recursive: true });
  fs.writeFileSync(
    path.join(local, `${localId}.jsonl`),
    record("user", 1, localId, "/home/me", "A local task on this laptop"),
  );
  // A record in each machine's own store.
  const recordLine = (id, model) =>
    JSON.stringify({
      session_id: id,
      timestamp: new Date(Date.now() - 3600e3).toISOString(),
      harness: "claude-code",
      model,
      run_type: "autonomous",
      outcome: "productive",
      duration_seconds: 600,
    }) + "\n";
  fs.mkdirSync(path.dirname(remoteStore), { recursive: true });
  fs.writeFileSync(remoteStore, recordLine(remoteRecordId, "opus-on-the-box"));
  fs.mkdirSync(env.GPTME_SESSIONS_DIR, { recursive: true });
  fs.writeFileSync(
    path.join(env.GPTME_SESSIONS_DIR, "session-records.jsonl"),
    recordLine(localRecordId, "sonnet-here"),
  );
  // Stands in for ssh: drops the options and the host, notes its pid, and runs the
  // remote command here (exec keeps the pid: killing it is killing "ssh").
  fs.writeFileSync(
    env.SESSIONSCOPE_SSH,
    `#!/bin/sh\nwhile [ "$1" != "--" ]; do shift; done\nshift; shift\necho $$ > ${sshPid}\nexec sh -c "$1"\n`,
    { mode: 0o755 },
  );
  // A run on the "host", started there with its own CLI (its history is the host's).
  execFileSync(
    cli,
    ["run", "--name", "remote-job", "--", "echo hello-from-box"],
    {
      env: {
        ...process.env,
        HOME: remoteHome,
        SESSIONSCOPE_DATA_DIR: path.join(remoteHome, "data"),
      },
      stdio: "ignore",
    },
  );
  launched = await launchApp(env, artifacts);
});

after(async () => {
  await launched?.stop().catch(() => {});
  fs.rmSync(work, { recursive: true, force: true, maxRetries: 3 });
});

const chip = `
  const host = document.querySelector('[data-testid=remote-host][data-host=box]');
  if (!host) return null;
  return {
    chip: host.querySelector('[data-testid=host-chip]').className,
    state: host.querySelector('[data-testid=host-state]').textContent,
    rows: [...document.querySelectorAll('[data-testid=session-row][data-host=box]')].map((r) => r.textContent),
  };`;

const rows = `return [...document.querySelectorAll('[data-testid=session-row]')].map((r) => ({
  id: r.dataset.sessionId,
  host: r.dataset.host,
  hostCell: r.querySelector('[data-testid=host]')?.textContent,
  pid: r.dataset.pid,
  text: r.textContent,
}));`;

const terminal =
  "const t = document.querySelector('[data-testid=terminal] .xterm-rows')?.textContent ?? '';";

const shot = (name) =>
  screenshotScreen(launched.display, path.join(artifacts, `${name}.png`));

describe("a remote host", () => {
  it("is added in Settings and its rows join this machine's in one table with a Host column", async () => {
    const { wd, display } = launched;
    await wd.click(await wd.find("[data-testid=tab-settings]"));
    // The first view after start-up: under a load of 11 it once took over 10 s.
    await wd.click(await wd.waitForElement("[data-testid=add-host]", 30000));
    await wd.type(
      await wd.waitForElement("[data-testid=remote-host-input]", 30000),
      "box",
    );
    await wd.click(await wd.find("[data-testid=save-settings]"));
    await answerDialog(display, "^Apply settings", "Return");
    await wd.waitFor(
      "return document.querySelector('[data-testid=settings-message]')?.textContent === 'Saved.'",
      { what: "saved" },
    );
    await wd.click(await wd.find("[data-testid=tab-sessions]"));
    const live = await wd.waitFor(
      `const h = (() => {${chip}})(); return h && h.chip.includes('live') && h.rows.length ? h : null;`,
      { timeout: 20000, what: "the host live with its session" },
    );
    assert.match(live.state, /^live/);
    assert.match(live.rows[0], /Fix the flaky deploy/);
    const all = await wd.waitFor(
      `const r = (() => {${rows}})(); return r.length === 2 ? r : null;`,
      {
        what: "the local row and the remote one in the same table",
      },
    );
    const remote = all.find((r) => r.id === sessionId);
    const local = all.find((r) => r.id === localId);
    assert.equal(remote.host, "box");
    assert.equal(remote.hostCell, "box");
    assert.equal(local.host, "");
    assert.equal(
      local.hostCell,
      os.hostname(),
      "local rows carry this machine's name",
    );
    assert.ok(
      await wd.execute(
        "return !!document.querySelector('[data-testid=sort-host]')",
      ),
    );
    assert.equal(
      await wd.execute(
        "return document.querySelector('[data-testid=count-total]').textContent",
      ),
      "2",
      "the header counts every machine",
    );
    shot("30-remote-one-table");

    // The host's chip filters the table to it; again shows every machine.
    await wd.click(await wd.find("[data-testid=remote-host][data-host=box]"));
    await wd.waitFor(
      `const r = (() => {${rows}})(); return r.length === 1 && r[0].id === '${sessionId}';`,
      {
        what: "the table filtered to the host's rows",
      },
    );
    shot("31-remote-host-filter");
    await wd.click(await wd.find("[data-testid=remote-host][data-host=box]"));
    await wd.waitFor(`return (() => {${rows}})().length === 2;`, {
      what: "every machine again",
    });
    // Search reaches the host's rows (here by host name), sort by Host puts this machine first.
    await wd.type(await wd.find("[data-testid=session-search]"), "box");
    await wd.waitFor(
      `const r = (() => {${rows}})(); return r.length === 1 && r[0].id === '${sessionId}';`,
      {
        what: "the search to find the host's row",
      },
    );
    await wd.execute(`const box = document.querySelector('[data-testid=session-search]');
      box.value = ""; box.dispatchEvent(new Event("input", { bubbles: true }));`);
    await wd.click(await wd.find("[data-testid=sort-host]"));
    const sorted = await wd.waitFor(
      `const r = (() => {${rows}})(); return r.length === 2 ? r : null;`,
    );
    assert.deepEqual(
      sorted.map((r) => r.host),
      ["", "box"],
    );
  });

  it("opens a remote row's transcript, follows it, and pages back", async () => {
    const { wd } = launched;
    await wd.execute(
      `document.querySelector('[data-testid=session-row][data-session-id="${sessionId}"]')
        .dispatchEvent(new MouseEvent("dblclick", { bubbles: true }));`,
    );
    await wd.waitFor(
      "return document.querySelector('[data-testid=detail-host]')?.textContent === 'box'",
      {
        what: "the detail pane naming the host",
      },
    );
    const opened = await wd.waitFor(
      "const e = document.querySelectorAll('[data-testid=entry]'); return e.length ? [e.length, e[e.length - 1].textContent] : null;",
      { timeout: 15000, what: "the remote transcript" },
    );
    assert.equal(opened[0], 200, "the pane opens on the last 200 entries");
    assert.match(opened[1], /On it, step 259\./);
    // The host's agent writes on: the row changes, and the pane reads on from its cursor.
    fs.appendFileSync(
      remoteTranscript,
      record(
        "assistant",
        260,
        sessionId,
        "/srv/build",
        "Deployed from the box.",
      ),
    );
    await wd.waitFor(
      "const e = document.querySelectorAll('[data-testid=entry]'); return e.length === 201 && /Deployed from the box/.test(e[200].textContent);",
      { timeout: 15000, what: "the appended entry over the link" },
    );
    // Scrolled up to the top, the user asks for the entries before the first one shown.
    await wd.execute(`const box = document.querySelector('[data-testid=transcript] .entries');
      box.scrollTop = 0; document.querySelector('[data-testid=transcript-earlier]').click();`);
    const paged = await wd.waitFor(
      "const e = document.querySelectorAll('[data-testid=entry]'); return e.length === 261 ? e[0].textContent : null;",
      { timeout: 15000, what: "the earlier entries" },
    );
    assert.match(paged, /Fix the flaky deploy/);
    assert.ok(
      await wd.execute(
        "return !document.querySelector('[data-testid=transcript-earlier]')",
      ),
      "nothing earlier is left",
    );
    shot("32-remote-transcript");
  });

  it("kills a remote row's agent after the native dialog, answered with a key press", async () => {
    const { wd, display } = launched;
    // A stand-in agent on the "host": `sleep` named `claude` in the session's cwd.
    const { agent, agentCwd, exited } = startStandInClaude(work);
    try {
      fs.writeFileSync(
        path.join(remoteProject, `${killId}.jsonl`),
        record("user", 1, killId, agentCwd, "A task to stop"),
      );
      await wd.waitFor(
        `return document.querySelector('[data-testid=session-row][data-session-id="${killId}"]')?.dataset.pid === "${agent.pid}"`,
        {
          timeout: 15000,
          what: "the remote row matched to its agent process by the host",
        },
      );
      await wd.click(
        await wd.find(`[data-testid=session-row][data-session-id="${killId}"]`),
      );
      await wd.click(await wd.find("[data-testid=kill-sessions]"));
      const dialog = await waitForWindow(display, "^Kill sessions");
      await sleep(300);
      shot("33-remote-kill-dialog");
      assert.equal(agent.exitCode, null, "nothing is sent before the answer");
      pressKeys(display, dialog, "Return");
      const result = await Promise.race([
        exited,
        sleep(15000).then(() => null),
      ]);
      assert.ok(result, "the host stopped its agent");
      assert.equal(result.signal, "SIGINT", "by the first, gentlest signal");
      const report = await wd.waitFor(
        "return document.querySelector('[data-testid=kill-report]')?.textContent",
        { what: "the kill report" },
      );
      assert.match(report, /^box: /);
      shot("34-remote-kill-done");
    } finally {
      agent.kill("SIGKILL");
    }
  });

  it("is shown lost within 5 s of its ssh being killed, and comes back with every row once", async () => {
    const { wd } = launched;
    const before = (await wd.execute(chip)).rows.length;
    const pid = Number(fs.readFileSync(sshPid, "utf8").trim());
    const killed = Date.now();
    process.kill(pid, "SIGKILL");
    const lost = await wd.waitFor(
      `const h = (() => {${chip}})(); return h && h.chip.includes('trouble') ? h : null;`,
      { timeout: 5000, what: "the host shown lost" },
    );
    assert.ok(Date.now() - killed < 5000);
    assert.match(lost.state, /lost/);
    assert.equal(lost.rows.length, before, "the last known rows stay");
    shot("35-remote-host-lost");
    await wd.waitFor(
      `const h = (() => {${chip}})(); return h && h.chip.includes('live') ? h : null;`,
      {
        timeout: 15000,
        what: "the host live again",
      },
    );
    await sleep(600);
    const again = await wd.execute(chip);
    assert.equal(
      again.rows.length,
      before,
      "no row doubled or lost after the reconnect",
    );
  });

  it("counts every machine in Analytics, or this one, or one host", async () => {
    const { wd } = launched;
    await wd.click(await wd.find("[data-testid=tab-analytics]"));
    const shows = (n) =>
      `return /^\\s*${n} sessions/.test(document.querySelector('[data-testid=analytics-summary]')?.textContent ?? '')`;
    await wd.waitFor(shows(3), { what: "every machine's 3 sessions" });
    for (const [machine, n] of [
      ["box", 2],
      ["", 1],
    ]) {
      await wd.execute(
        `const s = document.querySelector('[data-testid=analytics-machine]');
        s.value = ${JSON.stringify(machine)}; s.dispatchEvent(new Event('change', { bubbles: true }));`,
      );
      await wd.waitFor(shows(n), {
        what: `${n} sessions of ${machine || "this machine"}`,
      });
      if (machine === "box") {
        // The host's agents write on: the view follows without a Refresh.
        fs.writeFileSync(
          path.join(
            remoteProject,
            "5e55e55e-2222-4333-8444-955556666777.jsonl",
          ),
          record(
            "user",
            1,
            "5e55e55e-2222-4333-8444-955556666777",
            "/srv/build",
            "Another task",
          ),
        );
        await wd.waitFor(shows(3), {
          timeout: 15000,
          what: "the host's new session counted",
        });
      }
    }
    shot("36-remote-analytics");
  });

  it("lists the host's runs and shows the end of one's log in the Runs view", async () => {
    const { wd } = launched;
    await wd.click(await wd.find("[data-testid=tab-runs]"));
    await wd.waitForElement("[data-testid=remote-runs-host]");
    await wd.execute(
      `const s = document.querySelector('[data-testid=remote-runs-host]');
      s.value = "box"; s.dispatchEvent(new Event('change', { bubbles: true }));`,
    );
    await wd.waitFor(
      "return [...document.querySelectorAll('[data-testid=remote-run]')].some((r) => /remote-job/.test(r.textContent) && r.dataset.runStatus === 'completed')",
      { timeout: 15000, what: "the host's run, completed" },
    );
    await wd.execute(
      "[...document.querySelectorAll('[data-testid=remote-run] button')].find((b) => /remote-job/.test(b.textContent)).click()",
    );
    const text = await wd.waitFor(
      "return document.querySelector('[data-testid=remote-run-log]')?.textContent",
      { timeout: 15000, what: "the run's log from the host" },
    );
    assert.match(text, /hello-from-box/);
    shot("37-remote-runs");
  });
  it("starts a run on the host after the native dialog naming it, and follows it live", async () => {
    const { wd, display } = launched;
    const marker = path.join(work, "remote-run-started");
    const command = `touch ${marker}; for i in 1 2 3; do echo remote-line-$i; sleep 0.3; done; printf 'name? '; read x; echo got-$x; exit 4`;
    await wd.type(
      await wd.waitForElement("[data-testid=remote-run-command]"),
      command,
    );
    // A no in the dialog: nothing runs on the host.
    await wd.click(await wd.find("[data-testid=remote-run-start]"));
    await answerDialog(display, "^Run on box", "Escape");
    await sleep(500);
    assert.ok(!fs.existsSync(marker), "nothing ran on a no");
    await wd.click(await wd.find("[data-testid=remote-run-start]"));
    const dialog = await waitForWindow(display, "^Run on box");
    await sleep(300);
    shot("38-remote-run-dialog");
    assert.ok(!fs.existsSync(marker), "nothing runs before the answer");
    pressKeys(display, dialog, "Return");
    await wd.waitFor(
      `${terminal} return /remote-line-3/.test(t) && /name\\?/.test(t);`,
      { timeout: 20000, what: "the run's output, live from the host" },
    );
    assert.match(
      await wd.execute(
        "return document.querySelector('[data-testid=remote-terminal-head]')?.textContent",
      ),
      /on box/,
    );
    // Keys typed into the terminal reach the run on the host.
    await wd.type(
      await wd.waitForElement("[data-testid=terminal] .xterm-helper-textarea"),
      "from-the-app\n",
    );
    const done = await wd.waitFor(
      `${terminal} return /got-from-the-app/.test(t) && /run failed on box, exit 4/.test(t) ? t : null;`,
      { timeout: 20000, what: "the typed answer and the run's end" },
    );
    assert.ok(
      done.indexOf("remote-line-1") < done.indexOf("remote-line-2") &&
        done.indexOf("remote-line-2") < done.indexOf("remote-line-3"),
      "in order",
    );
    // The host's list is read again when the run ends: it shows it failed, not running.
    await wd.waitFor(
      "return [...document.querySelectorAll('[data-testid=remote-run]')].some((r) => r.dataset.runStatus === 'failed') && !document.querySelector('[data-testid=remote-run][data-run-status=running]')",
      { timeout: 15000, what: "the host's list showing the run ended" },
    );
    shot("39-remote-run-live");
    // In the host's own history, as its CLI shows it.
    const history = JSON.parse(
      execFileSync(cli, ["runs", "--json"], {
        env: {
          ...process.env,
          HOME: remoteHome,
          SESSIONSCOPE_DATA_DIR: path.join(remoteHome, "data"),
        },
      }),
    ).runs;
    const run = history.find((r) => r.command === command);
    assert.ok(run, "the run is in the host's history");
    assert.equal(run.exit_code, 4);
  });
  it("follows a run on the host again after a lost link, and kills it after the native dialog naming the host", async () => {
    const { wd, display } = launched;
    await wd.type(
      await wd.find("[data-testid=remote-run-command]"),
      "echo long-run-up; sleep 60",
    );
    await wd.click(await wd.find("[data-testid=remote-run-start]"));
    await answerDialog(display, "^Run on box", "Return");
    await wd.waitFor(`${terminal} return /long-run-up/.test(t);`, {
      timeout: 20000,
      what: "the long run's first line",
    });
    // The link drops (the host's serve is ended, as sshd's hangup would: the stand-in
    // ssh is the serve itself): the pane says so and the run goes on on the host; once
    // the host is live again, Follow live reads it from the start of its log.
    process.kill(Number(fs.readFileSync(sshPid, "utf8").trim()), "SIGTERM");
    await wd.waitFor(`${terminal} return /the run goes on on box/.test(t);`, {
      timeout: 10000,
      what: "the lost link said in the pane",
    });
    // The list is read again until the host answers (the one shown is from before).
    const follow =
      "[data-testid=remote-run][data-run-status=running] [data-testid=remote-run-follow]";
    const deadline = Date.now() + 20000;
    for (;;) {
      await wd.click(await wd.find("[data-testid=remote-runs] .link"));
      await sleep(1500);
      const answered = await wd.execute(
        `return !!document.querySelector("${follow}") && !document.querySelector('[data-testid=remote-run-error]');`,
      );
      if (answered) break;
      assert.ok(
        Date.now() < deadline,
        "the host's runs again, the run still running",
      );
    }
    await wd.click(await wd.find(follow));
    await wd.waitFor(
      `${terminal} return /long-run-up/.test(t) && !/goes on/.test(t);`,
      { timeout: 20000, what: "the run followed again after the lost link" },
    );
    const kill =
      "[data-testid=remote-run][data-run-status=running] [data-testid=remote-run-kill]";
    await wd.click(await wd.waitForElement(kill, 15000));
    const dialog = await waitForWindow(display, "^Kill run");
    await sleep(300);
    shot("42-remote-run-kill-dialog");
    pressKeys(display, dialog, "Return");
    await wd.waitFor(`${terminal} return /run killed on box/.test(t);`, {
      timeout: 20000,
      what: "the end of the killed run in its terminal",
    });
    await wd.waitFor(
      "return [...document.querySelectorAll('[data-testid=remote-run]')].some((r) => r.dataset.runStatus === 'killed') && !document.querySelector('[data-testid=remote-run][data-run-status=running]')",
      { timeout: 15000, what: "the host's list showing it killed" },
    );
    shot("43-remote-run-killed");
  });

  it("shows the host's own records in the Records view, and records a remote session there after the dialog", async () => {
    const { wd, display } = launched;
    await wd.click(await wd.find("[data-testid=tab-records]"));
    const recordIds = `return [...document.querySelectorAll('[data-testid=record-row]')].map((r) => r.dataset.recordId);`;
    await wd.waitFor(
      `const ids = (() => {${recordIds}})(); return ids.length === 1 && ids[0] === '${localRecordId}';`,
      { what: "this machine's record first" },
    );
    await wd.click(
      await wd.waitForElement("[data-testid=records-host][data-host=box]"),
    );
    await wd.waitFor(
      `const ids = (() => {${recordIds}})(); return ids.length === 1 && ids[0] === '${remoteRecordId}';`,
      { timeout: 15000, what: "the host's record, read from its store" },
    );
    const summary = await wd.execute(
      "return document.querySelector('[data-testid=records-summary]').textContent",
    );
    assert.match(
      summary,
      /box:.*session-records\.jsonl/,
      "the store named with its host",
    );
    assert.ok(
      await wd.execute(
        "return !document.querySelector('[data-testid=records-cost-tab]')",
      ),
      "this machine's tools are not offered for the host",
    );
    await wd.click(
      await wd.find(
        `[data-testid=record-row][data-record-id="${remoteRecordId}"]`,
      ),
    );
    await wd.waitFor(
      "return /opus-on-the-box/.test(document.querySelector('.detail')?.textContent ?? '')",
      { timeout: 15000, what: "the host's record's fields" },
    );
    assert.ok(
      await wd.execute(
        "return !!document.querySelector('[data-testid=remote-record-note]') && !document.querySelector('[data-testid=annotate-form]')",
      ),
      "annotated on the host, not from here",
    );
    shot("40-remote-records");

    // "Record this session" on the remote row: the dialog names the host, the host
    // writes the record into its own store, and this machine's store is untouched.
    const localStore = path.join(
      env.GPTME_SESSIONS_DIR,
      "session-records.jsonl",
    );
    const localBefore = fs.readFileSync(localStore, "utf8");
    await wd.click(await wd.find("[data-testid=tab-sessions]"));
    await wd.execute(
      `document.querySelector('[data-testid=session-row][data-session-id="${sessionId}"]')
        .dispatchEvent(new MouseEvent("dblclick", { bubbles: true }));`,
    );
    await wd.waitFor(
      "return document.querySelector('[data-testid=detail-host]')?.textContent === 'box'",
      { what: "the remote row's detail pane" },
    );
    await wd.click(await wd.find("[data-testid=record-session]"));
    const dialog = await waitForWindow(display, "^Record this session");
    await sleep(300);
    shot("41-remote-record-dialog");
    const written = () =>
      fs
        .readFileSync(remoteStore, "utf8")
        .split("\n")
        .filter(Boolean)
        .map((l) => JSON.parse(l))
        .filter((r) => r.trajectory_path === remoteTranscript);
    assert.equal(written().length, 0, "nothing is written before the answer");
    pressKeys(display, dialog, "Return");
    const said = await wd.waitFor(
      "const t = document.querySelector('[data-testid=detail-message]')?.textContent ?? ''; return /^Recorded as /.test(t) ? t : null;",
      { timeout: 15000, what: "the host's new record" },
    );
    const id = said.match(/^Recorded as (\S+?)[ .]/)[1];
    assert.equal(written().length, 1, "one record, in the host's store");
    assert.equal(written()[0].session_id, id);
    assert.equal(fs.readFileSync(localStore, "utf8"), localBefore);
    await wd.click(await wd.find("[data-testid=tab-records]"));
    await wd.click(
      await wd.waitForElement("[data-testid=records-host][data-host=box]"),
    );
    await wd.waitFor(
      `return (() => {${recordIds}})().includes(${JSON.stringify(id)})`,
      { timeout: 15000, what: "the new record among the host's" },
    );
  });
});
