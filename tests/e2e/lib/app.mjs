// Launching the real app for a test: a private Xvfb, tauri-driver with the test's
// environment, a WebDriver session on the app binary, and one call to tear it all down.
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { WebDriver } from "./webdriver.mjs";
import { sleep, startTauriDriver, startXvfb } from "./desktop.mjs";

let launches = 0;

/** Open the WebDriver session. tauri-driver answers on its port before the
 * WebKitWebDriver it starts is listening; a request in that gap is dropped ("fetch
 * failed", seen on a loaded machine), and nothing was launched, so it is asked again. */
async function startSession(wd, app) {
  for (let attempt = 1; ; attempt++) {
    try {
      return await wd.start(app);
    } catch (e) {
      if (attempt >= 20 || !/fetch failed/.test(String(e))) throw e;
      await sleep(500);
    }
  }
}

export const appBinary = () =>
  process.env.SESSIONSCOPE_APP ??
  path.join(
    process.env.CARGO_TARGET_DIR ??
      path.join(os.homedir(), ".cache/sessionscope/target"),
    "debug/sessionscope-app",
  );

/** Start the app with `env` added; resolves once the window has rendered. */
export async function launchApp(env, artifacts) {
  try {
    return await launchAppOnce(env, artifacts);
  } catch (e) {
    // The WebDriver link itself failing ("fetch failed": tauri-driver closed the
    // connection) happened once on the first launch after a build, and not on a rerun;
    // a second try tells that from an app that does not start.
    if (!/fetch failed/.test(String(e?.message ?? e))) throw e;
    console.error(`launchApp: ${e.message}; starting once more`);
    return await launchAppOnce(env, artifacts);
  }
}

async function launchAppOnce(env, artifacts) {
  const app = appBinary();
  if (!fs.existsSync(app))
    throw new Error(
      `app binary not found at ${app}; build it first (make e2e)`,
    );
  const xvfb = await startXvfb();
  fs.mkdirSync(artifacts, { recursive: true });
  const driver = await startTauriDriver(
    {
      ...process.env,
      DISPLAY: xvfb.display,
      WEBKIT_DISABLE_COMPOSITING_MODE: "1",
      NO_AT_BRIDGE: "1",
      ...env,
    },
    path.join(artifacts, `tauri-driver-${process.pid}-${++launches}.log`),
  );
  const wd = new WebDriver(driver.port);
  const stop = async () => {
    await wd.quit();
    driver.stop();
    xvfb.stop();
  };
  try {
    await startSession(wd, app);
    await wd.waitFor(
      "return document.querySelector('[data-testid=stats]') !== null",
      {
        what: "the window to render",
      },
    );
  } catch (e) {
    // Whoever called us gets no handle to stop these: stop them here, or their open
    // pipes keep the test process alive after it failed.
    await stop();
    throw e;
  }
  return { wd, display: xvfb.display, stop };
}
