// End-to-end: a remote host in the app. The host is added in Settings (the native
// dialog names it), its sessions appear under a chip saying it is live, killing
// its ssh shows it lost within 5 s, and it comes back by itself. The "ssh" is a
// stand-in script that runs the remote command on this machine with a second HOME
// (the CLI's tests use a real sshd: crates/cli/tests/remote_ssh.rs).
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
const work = fs.mkdtempSync(path.join(os.tmpdir(), "sessionscope-remote-"));
const remoteHome = path.join(work, "remote-home");
const sshPid = path.join(work, "ssh.pid");
const cli = path.join(path.dirname(appBinary()), "sessionscope");
const sessionId = "7a1e0c55-2222-4333-8444-955556666777";

const env = {
  CLAUDE_CONFIG_DIR: path.join(work, "claude"),
  SESSIONSCOPE_DATA_DIR: path.join(work, "data"),
  GPTME_SESSIONS_DIR: path.join(work, "records"),
  SESSIONSCOPE_SSH: path.join(work, "fake-ssh"),
  // The stand-in ssh passes this side's environment on, which a real one does not:
  // the remote command names the remote's own agent directory.
  SESSIONSCOPE_REMOTE_COMMAND: `HOME=${remoteHome} CLAUDE_CONFIG_DIR=${remoteHome}/.claude SESSIONSCOPE_DATA_DIR=${remoteHome}/data exec ${cli} serve --stdio`,
};

let launched;

function record(kind, n) {
  const base = {
    type: kind,
    sessionId,
    timestamp: new Date().toISOString(),
    cwd: "/srv/build",
    uuid: `r${n}`,
  };
  const message =
    kind === "user"
      ? { role: "user", content: "Fix the flaky deploy on the build box" }
      : {
          id: `msg_${n}`,
          role: "assistant",
          model: "claude-sonnet-4-5",
          stop_reason: "end_turn",
          content: [{ type: "text", text: "On it." }],
          usage: { input_tokens: 10, output_tokens: 5 },
        };
  return JSON.stringify({ ...base, message }) + "\n";
}

before(async () => {
  const project = path.join(remoteHome, ".claude", "projects", "-srv-build");
  fs.mkdirSync(project, { recursive: true });
  fs.writeFileSync(
    path.join(project, `${sessionId}.jsonl`),
    record("user", 1) + record("assistant", 2),
  );
  // Stands in for ssh: drops the options and the host, notes its pid, and runs the
  // remote command here (exec keeps the pid: killing it is killing "ssh").
  fs.writeFileSync(
    env.SESSIONSCOPE_SSH,
    `#!/bin/sh\nwhile [ "$1" != "--" ]; do shift; done\nshift; shift\necho $$ > ${sshPid}\nexec sh -c "$1"\n`,
    { mode: 0o755 },
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
    rows: [...host.querySelectorAll('[data-testid=remote-session]')].map((r) => r.textContent),
  };`;

describe("a remote host", () => {
  it("is added in Settings, shown live with its sessions, lost within 5 s, and back", async () => {
    const { wd, display } = launched;
    await wd.click(await wd.find("[data-testid=tab-settings]"));
    await wd.click(await wd.waitForElement("[data-testid=add-host]"));
    await wd.type(
      await wd.waitForElement("[data-testid=remote-host-input]"),
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
    assert.match(live.rows[0], /box/);
    screenshotScreen(display, path.join(artifacts, "30-remote-host.png"));

    const pid = Number(fs.readFileSync(sshPid, "utf8").trim());
    const killed = Date.now();
    process.kill(pid, "SIGKILL");
    const lost = await wd.waitFor(
      `const h = (() => {${chip}})(); return h && h.chip.includes('trouble') ? h : null;`,
      { timeout: 5000, what: "the host shown lost" },
    );
    assert.ok(Date.now() - killed < 5000);
    assert.match(lost.state, /lost/);
    assert.equal(lost.rows.length, 1, "the last known rows stay");
    screenshotScreen(display, path.join(artifacts, "31-remote-host-lost.png"));
    await wd.waitFor(
      `const h = (() => {${chip}})(); return h && h.chip.includes('live') ? h : null;`,
      { timeout: 15000, what: "the host live again" },
    );
    const again = await wd.execute(chip);
    assert.equal(again.rows.length, 1, "no row doubled after the reconnect");
  });
});
