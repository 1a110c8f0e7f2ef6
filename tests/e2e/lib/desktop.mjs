// The desktop around the app in tests: a private Xvfb display, tauri-driver, full-screen
// screenshots (which include native dialogs), and real key presses with xdotool.
import { spawn, execFileSync } from "node:child_process";
import net from "node:net";
import fs from "node:fs";

export const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

function waitForPort(port, timeout = 20000) {
  const deadline = Date.now() + timeout;
  return new Promise((resolve, reject) => {
    const attempt = () => {
      const sock = net.connect(port, "127.0.0.1");
      sock.once("connect", () => {
        sock.destroy();
        resolve();
      });
      sock.once("error", () => {
        sock.destroy();
        if (Date.now() > deadline) reject(new Error(`port ${port} never opened`));
        else setTimeout(attempt, 100);
      });
    };
    attempt();
  });
}

/** Start Xvfb on a free display number; returns { display, stop }. */
export async function startXvfb() {
  for (let n = 90; n < 110; n++) {
    if (fs.existsSync(`/tmp/.X${n}-lock`) || fs.existsSync(`/tmp/.X11-unix/X${n}`)) continue;
    const proc = spawn("Xvfb", [`:${n}`, "-screen", "0", "1400x900x24", "-nolisten", "tcp"], {
      stdio: "ignore",
    });
    const deadline = Date.now() + 10000;
    while (Date.now() < deadline && !fs.existsSync(`/tmp/.X11-unix/X${n}`)) await sleep(50);
    if (proc.exitCode === null && fs.existsSync(`/tmp/.X11-unix/X${n}`)) {
      return { display: `:${n}`, stop: () => proc.kill() };
    }
    proc.kill();
  }
  throw new Error("could not start Xvfb");
}

/** Start tauri-driver with `env`; returns { port, stop }. */
export async function startTauriDriver(env, logFile) {
  const port = 4444 + Math.floor(Math.random() * 500) * 2;
  const log = fs.openSync(logFile, "w");
  const proc = spawn("tauri-driver", ["--port", String(port), "--native-port", String(port + 1)], {
    env,
    stdio: ["ignore", log, log],
  });
  await waitForPort(port);
  return {
    port,
    stop: () => {
      proc.kill();
      fs.closeSync(log);
    },
  };
}

/** Screenshot of the whole display, native dialogs included. */
export function screenshotScreen(display, file) {
  execFileSync("import", ["-display", display, "-window", "root", file]);
}

function xdotool(display, args) {
  // stderr is dropped: asking about a window that just closed prints X errors.
  return execFileSync("xdotool", args, {
    env: { ...process.env, DISPLAY: display },
    stdio: ["ignore", "pipe", "ignore"],
  })
    .toString()
    .trim();
}

/** Wait for a window whose title matches `titleRegex`; returns its X id. */
export async function waitForWindow(display, titleRegex, timeout = 10000) {
  const deadline = Date.now() + timeout;
  while (Date.now() < deadline) {
    try {
      const ids = xdotool(display, ["search", "--onlyvisible", "--name", titleRegex]);
      if (ids) return ids.split("\n")[0];
    } catch {
      // xdotool exits 1 while nothing matches.
    }
    await sleep(100);
  }
  throw new Error(`no window titled ${titleRegex} appeared`);
}

export function windowExists(display, id) {
  try {
    xdotool(display, ["getwindowname", id]);
    return true;
  } catch {
    return false;
  }
}

/** Give `id` the keyboard focus and press `keys` (xdotool key names) for real. */
export function pressKeys(display, id, ...keys) {
  xdotool(display, ["windowfocus", "--sync", id]);
  xdotool(display, ["key", "--clearmodifiers", ...keys]);
}

/** Answer the native dialog titled `titleRegex` with `key` ("Return" says yes,
 * "Escape" cancels), as a user would, and wait until it has closed. */
export async function answerDialog(display, titleRegex, key) {
  const dialog = await waitForWindow(display, titleRegex);
  // The dialog takes keys once it is mapped and focused.
  await sleep(300);
  pressKeys(display, dialog, key);
  const deadline = Date.now() + 5000;
  while (windowExists(display, dialog) && Date.now() < deadline) await sleep(50);
  if (windowExists(display, dialog)) throw new Error(`the ${titleRegex} dialog did not close on ${key}`);
}
