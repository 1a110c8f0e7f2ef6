// The release check: what `make package` builds installs, starts, and uninstalls clean,
// tried the way a person installing it would. `make release-check` builds the packages
// (debug profile, see scripts/package.sh) and passes their paths in SESSIONSCOPE_DEB
// and SESSIONSCOPE_RPM.
//
// The .deb is installed with `dpkg -i` into a throwaway root (`dpkg --root`), so the
// check cannot disturb the machine it runs on or another test running beside it;
// whether its Depends resolve on this machine is asked of apt separately. The .rpm's
// payload is unpacked with rpm2cpio into another throwaway root and must hold the same
// files. The installed app is launched from its desktop entry's Exec line under a
// private Xvfb with an empty home, its window is screenshotted (the first-run empty
// state), and it is quit through its File menu with real key presses.
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { execFileSync, spawn, spawnSync } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import {
  pressKeys,
  screenshotScreen,
  sleep,
  startXvfb,
  waitForWindow,
  windowExists,
} from "../e2e/lib/desktop.mjs";

const here = path.dirname(fileURLToPath(import.meta.url));
const artifacts = path.join(here, "..", "e2e", "artifacts");
const deb = process.env.SESSIONSCOPE_DEB;
const rpm = process.env.SESSIONSCOPE_RPM;
const version = fs
  .readFileSync(path.join(here, "..", "..", "Cargo.toml"), "utf8")
  .match(/^version = "(.*)"/m)[1];

const work = fs.mkdtempSync(path.join(os.tmpdir(), "sessionscope-release-"));
const debRoot = path.join(work, "deb-root");
const rpmRoot = path.join(work, "rpm-root");
const home = path.join(work, "home");

/** A command's output; its stderr is kept out of the test's output (dpkg says there
 * that the throwaway root lacks the dependencies) and shown when it fails. */
const run = (cmd, args, opts = {}) =>
  execFileSync(cmd, args, {
    encoding: "utf8",
    stdio: ["ignore", "pipe", "pipe"],
    ...opts,
  });

/** dpkg operating on the throwaway root (its own database, no maintainer scripts
 * outside it). Dependencies are checked against the real system below. */
const dpkg = (...args) =>
  run("dpkg", [
    `--root=${debRoot}`,
    "--force-depends",
    "--force-script-chrootless",
    "--force-not-root",
    ...args,
  ]);

/** The files (not directories) under `root`, as absolute paths inside it. */
function filesUnder(root, skip = []) {
  const out = [];
  const walk = (dir) => {
    for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
      const p = path.join(dir, e.name);
      const inside = "/" + path.relative(root, p);
      if (skip.some((s) => inside.startsWith(s))) continue;
      if (e.isDirectory()) walk(p);
      else out.push(inside);
    }
  };
  walk(root);
  return out.sort();
}

/** Pids of processes started from the package: their executable lies under `root`,
 * or they run with this check's throwaway home (the web view's helper processes are
 * Debian's WebKit binaries, started by the app with its environment). */
function processesFrom(root) {
  const pids = [];
  for (const pid of fs.readdirSync("/proc").filter((p) => /^\d+$/.test(p))) {
    if (Number(pid) === process.pid) continue;
    try {
      if (fs.readlinkSync(`/proc/${pid}/exe`).startsWith(root + "/")) {
        pids.push(Number(pid));
        continue;
      }
      const environ = fs
        .readFileSync(`/proc/${pid}/environ`, "latin1")
        .split("\0");
      if (environ.includes(`HOME=${home}`)) pids.push(Number(pid));
    } catch {
      // Gone, or not ours to read.
    }
  }
  return pids;
}

/** The environment of a person who has never run an agent: an empty home, no agent
 * variables. */
function firstRunEnv(extra = {}) {
  const env = { ...process.env, HOME: home, ...extra };
  for (const k of [
    "CLAUDE_CONFIG_DIR",
    "CODEX_HOME",
    "GPTME_LOGS_HOME",
    "GPTME_LOGS_DIR",
    "GEMINI_DATA_DIR",
    "GEMINI_CLI_HOME",
    "OPENCODE_DATA_DIR",
    "COPILOT_STATE_DIR",
    "COPILOT_HOME",
    "GPTME_SESSIONS_DIR",
    "SESSIONSCOPE_DATA_DIR",
    "XDG_DATA_HOME",
    "XDG_CONFIG_HOME",
    "XDG_CACHE_HOME",
    "XDG_STATE_HOME",
  ])
    delete env[k];
  return env;
}

// Every file a user of the package relies on, in both packages.
const EXPECTED = [
  "/usr/bin/sessionscope-app",
  "/usr/bin/sessionscope",
  "/usr/share/applications/Sessionscope.desktop",
  ...[16, 24, 32, 48, 64, 128, 256, 512].map(
    (s) => `/usr/share/icons/hicolor/${s}x${s}/apps/sessionscope-app.png`,
  ),
  "/usr/share/man/man1/sessionscope.1.gz",
  "/usr/share/man/man1/sessionscope-ps.1.gz",
  "/usr/share/man/man1/sessionscope-records-stats.1.gz",
  "/usr/share/bash-completion/completions/sessionscope",
  "/usr/share/fish/vendor_completions.d/sessionscope.fish",
];

before(() => {
  assert.ok(
    deb && fs.existsSync(deb),
    `SESSIONSCOPE_DEB=${deb} is not a file (make release-check)`,
  );
  assert.ok(
    rpm && fs.existsSync(rpm),
    `SESSIONSCOPE_RPM=${rpm} is not a file (make release-check)`,
  );
  fs.mkdirSync(path.join(debRoot, "var/lib/dpkg/info"), { recursive: true });
  fs.mkdirSync(path.join(debRoot, "var/lib/dpkg/updates"), { recursive: true });
  fs.writeFileSync(path.join(debRoot, "var/lib/dpkg/status"), "");
  fs.mkdirSync(rpmRoot, { recursive: true });
  fs.mkdirSync(home, { recursive: true });
  fs.mkdirSync(artifacts, { recursive: true });
});

after(() => {
  for (const pid of [...processesFrom(debRoot), ...processesFrom(rpmRoot)]) {
    try {
      process.kill(pid, "SIGKILL");
    } catch {
      // Already gone.
    }
  }
  fs.rmSync(work, { recursive: true, force: true, maxRetries: 3 });
});

describe("the .deb", () => {
  it("describes itself and depends only on what Debian 12 has", () => {
    const field = (f) => run("dpkg-deb", ["-f", deb, f]).trim();
    assert.equal(field("Package"), "sessionscope");
    assert.equal(field("Version"), version);
    const description = field("Description");
    assert.match(description, /^Live view of every AI coding-agent session/);
    assert.ok(
      description.split("\n").length >= 5 &&
        /never writes? to them/.test(description),
      `a real long description:\n${description}`,
    );
    assert.match(field("Depends"), /libwebkit2gtk-4\.1-0/);
    // apt resolves the Depends line against this machine's packages without
    // installing anything.
    const sim = spawnSync("apt-get", ["install", "--simulate", "-qq", deb], {
      encoding: "utf8",
    });
    assert.equal(
      sim.status,
      0,
      `apt-get cannot satisfy the package's dependencies:\n${sim.stdout}${sim.stderr}`,
    );
  });

  it("installs with dpkg -i: the app, the CLI, the desktop entry, icons, man pages, completions", () => {
    dpkg("-i", deb);
    const installed = filesUnder(debRoot, ["/var/"]);
    for (const f of EXPECTED)
      assert.ok(
        installed.includes(f),
        `${f} is not installed:\n${installed.join("\n")}`,
      );
    assert.ok(
      installed.includes("/usr/share/zsh/vendor-completions/_sessionscope"),
    );
    const status = run("dpkg-query", [
      `--root=${debRoot}`,
      "-W",
      "-f=${Status}",
      "sessionscope",
    ]);
    assert.equal(status, "install ok installed");
    // Every file is owned by the package, so removing it removes them.
    const owned = run("dpkg-query", [
      `--root=${debRoot}`,
      "-L",
      "sessionscope",
    ]).split("\n");
    for (const f of installed)
      assert.ok(owned.includes(f), `${f} is not listed as the package's`);
  });

  it("has a valid desktop entry whose Exec and Icon are installed", () => {
    const entry = path.join(
      debRoot,
      "usr/share/applications/Sessionscope.desktop",
    );
    const check = spawnSync("desktop-file-validate", [entry], {
      encoding: "utf8",
    });
    assert.equal(check.status, 0, check.stdout + check.stderr);
    const text = fs.readFileSync(entry, "utf8");
    assert.match(text, /^Exec=sessionscope-app$/m);
    assert.match(text, /^Icon=sessionscope-app$/m);
    assert.match(text, /^Categories=.*Development/m);
    assert.match(text, /^Comment=Live view of every AI coding-agent session/m);
  });

  it("has a CLI on PATH that prints its version and commit, and ps --json", () => {
    const env = firstRunEnv({ PATH: `${debRoot}/usr/bin:${process.env.PATH}` });
    const v = run("sessionscope", ["--version"], { env }).trim();
    assert.match(
      v,
      new RegExp(
        `^sessionscope ${version.replace(/\./g, "\\.")} \\(commit [0-9a-f]{7,}\\)$`,
      ),
    );
    const ps = JSON.parse(run("sessionscope", ["ps", "--json"], { env }));
    assert.deepEqual(ps.sessions, []);
    assert.equal(ps.counts.total, 0);
    // The man page and the bash completion work as installed.
    const man = run("sh", [
      "-c",
      `zcat "${debRoot}/usr/share/man/man1/sessionscope.1.gz"`,
    ]);
    assert.match(man, /^\.TH sessionscope 1/m);
    assert.match(man, /Exit status/);
    const completion = run(
      "bash",
      [
        "-c",
        `source "${debRoot}/usr/share/bash-completion/completions/sessionscope" && complete -p sessionscope`,
      ],
      { env },
    );
    assert.match(completion, /complete .* sessionscope/);
  });

  it("starts from its desktop entry, shows its window, and quits through the File menu", async () => {
    const xvfb = await startXvfb();
    const exec = fs
      .readFileSync(
        path.join(debRoot, "usr/share/applications/Sessionscope.desktop"),
        "utf8",
      )
      .match(/^Exec=(.*)$/m)[1];
    const env = firstRunEnv({
      DISPLAY: xvfb.display,
      PATH: `${debRoot}/usr/bin:${process.env.PATH}`,
      WEBKIT_DISABLE_COMPOSITING_MODE: "1",
      NO_AT_BRIDGE: "1",
    });
    const log = fs.openSync(path.join(artifacts, "release-app.log"), "w");
    const app = spawn("sh", ["-c", `exec ${exec}`], {
      env,
      stdio: ["ignore", log, log],
    });
    const exited = new Promise((resolve) =>
      app.once("exit", (code, signal) => resolve({ code, signal })),
    );
    try {
      const win = await waitForWindow(xvfb.display, "^Sessionscope$", 60000);
      // The first-run state: no agent data, so the window says where it looked.
      await sleep(3000);
      const shot = path.join(artifacts, "release-installed-app.png");
      screenshotScreen(xvfb.display, shot);
      assert.ok(
        fs.statSync(shot).size > 10000,
        "the screenshot shows something",
      );
      assert.ok(
        processesFrom(debRoot).includes(app.pid),
        "the installed app runs",
      );

      // File menu (F10 opens the menu bar on its first menu), its last item is Quit.
      pressKeys(xvfb.display, win, "F10");
      await sleep(500);
      screenshotScreen(
        xvfb.display,
        path.join(artifacts, "release-file-menu.png"),
      );
      pressKeys(xvfb.display, win, "Up", "Return");
      const result = await Promise.race([
        exited,
        sleep(15000).then(() => null),
      ]);
      assert.ok(result, "the app quit through the File menu within 15 s");
      assert.deepEqual(result, { code: 0, signal: null });
      assert.equal(windowExists(xvfb.display, win), false);
    } finally {
      if (app.exitCode === null) app.kill("SIGKILL");
      fs.closeSync(log);
      xvfb.stop();
    }
    // The web view's helper processes end with the app, within moments.
    const quiet = Date.now() + 5000;
    while (processesFrom(debRoot).length > 0 && Date.now() < quiet)
      await sleep(100);
    assert.deepEqual(
      processesFrom(debRoot),
      [],
      "no process of the package is left",
    );
  });

  it("uninstalls clean: no file of it left, no process", () => {
    dpkg("--purge", "sessionscope");
    assert.deepEqual(filesUnder(debRoot, ["/var/lib/dpkg/", "/var/log/"]), []);
    const dirs = fs.readdirSync(debRoot).filter((d) => d !== "var");
    assert.deepEqual(dirs, [], "no directory the package made is left");
    assert.deepEqual(processesFrom(debRoot), []);
  });
});

describe("the .rpm", () => {
  it("holds the same files as the .deb, with a long description", () => {
    run(
      "sh",
      ["-c", `rpm2cpio "${rpm}" | cpio -idm --quiet --no-absolute-filenames`],
      { cwd: rpmRoot },
    );
    const files = filesUnder(rpmRoot);
    for (const f of EXPECTED)
      assert.ok(
        files.includes(f),
        `${f} is not in the .rpm:\n${files.join("\n")}`,
      );
    assert.ok(files.includes("/usr/share/zsh/site-functions/_sessionscope"));
    const v = run(path.join(rpmRoot, "usr/bin/sessionscope"), ["--version"], {
      env: firstRunEnv(),
    });
    assert.match(
      v,
      new RegExp(`^sessionscope ${version.replace(/\./g, "\\.")} `),
    );
    // What rpm itself reads from the header: name, version, the long description,
    // the same libraries as the .deb, and the file list it will remove again.
    const q = (format) => run("rpm", ["-qp", "--queryformat", format, rpm]);
    assert.equal(q("%{NAME} %{VERSION}"), `sessionscope ${version}`);
    assert.match(
      q("%{SUMMARY}"),
      /^Live view of every AI coding-agent session/,
    );
    const description = q("%{DESCRIPTION}");
    assert.ok(
      description.split("\n").length >= 5 &&
        /never writes? to them/.test(description),
      `a real long description:\n${description}`,
    );
    assert.match(q("[%{REQUIRENAME}\n]"), /webkit2gtk-4\.1/);
    const listed = run("rpm", ["-qpl", rpm]).trim().split("\n");
    for (const f of EXPECTED)
      assert.ok(listed.includes(f), `${f} is not in the .rpm's file list`);
  });
});
