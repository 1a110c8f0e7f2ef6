// Frame-time probes for the UI benchmarks, run inside the app's web view through
// WebDriver. Three views of the same seconds: the interval between animation frames
// (what the eye sees; 16.7 ms at 60 Hz is the floor), the rendering work of each frame
// (from the frame's callback to the first task after its paint), and the duration of
// the app's own User Timing measures (e.g. "sessions-update").

import { execFileSync } from "node:child_process";
import fs from "node:fs";

/** The newest process named `name` (the kernel keeps 15 characters of a name). */
export function newestPid(name) {
  return execFileSync("pgrep", ["-n", "-x", name.slice(0, 15)]).toString().trim();
}

/** CPU seconds (user + system) a process has used so far. */
export function cpuSeconds(pid) {
  // Fields after the command name (which may hold spaces), from /proc/PID/stat.
  const after = fs.readFileSync(`/proc/${pid}/stat`, "utf8").split(") ")[1].split(" ");
  return (Number(after[11]) + Number(after[12])) / 100; // utime, stime in clock ticks (USER_HZ 100)
}

/** Peak RSS (VmHWM) of a process, in MiB. */
export function peakMiB(pid) {
  const hwm = fs.readFileSync(`/proc/${pid}/status`, "utf8").match(/VmHWM:\s+(\d+) kB/);
  return hwm ? (Number(hwm[1]) / 1024).toFixed(1) : "?";
}

/** Start recording in the page. */
export async function startFrameProbe(wd) {
  await wd.execute(`
    window.__frames = []; window.__render = []; window.__updates = [];
    let last = performance.now();
    const channel = new MessageChannel();
    let frameStart = 0;
    channel.port1.onmessage = () => window.__render.push(performance.now() - frameStart);
    const tick = (t) => {
      window.__frames.push(t - last); last = t;
      frameStart = performance.now(); channel.port2.postMessage(0);
      window.__raf = requestAnimationFrame(tick);
    };
    window.__raf = requestAnimationFrame(tick);
    window.__observer = new PerformanceObserver((list) => {
      for (const e of list.getEntries()) window.__updates.push(e.duration);
    });
    window.__observer.observe({ type: "measure" });`);
}

/** Stop recording; returns { frames, render, updates } in milliseconds. */
export async function stopFrameProbe(wd) {
  const [frames, render, updates] = await wd.execute(
    "cancelAnimationFrame(window.__raf); window.__observer.disconnect(); return [window.__frames.slice(1), window.__render, window.__updates];",
  );
  return { frames, render, updates };
}

/** Print what a probe recorded, one measure a line. */
export function printFrames({ frames, render, updates }) {
  console.log(`frame interval ms:        ${stats(frames)}`);
  console.log(`render work per frame ms: ${stats(render)}`);
  if (updates.length) console.log(`script+DOM per update ms: ${stats(updates)}`);
  console.log(`frames over 100 ms at:    ${longFrames(frames)}`);
}

/** When the frames longer than `ms` happened, in seconds since the probe started. */
export function longFrames(frames, ms = 100) {
  let t = 0;
  const at = [];
  for (const f of frames) {
    t += f;
    if (f > ms) at.push(`${(t / 1000).toFixed(2)} s (${f.toFixed(0)} ms)`);
  }
  return at.length ? at.join(", ") : "none";
}

/** "p50 … p95 … p99 … max … (n=…)" of a list of milliseconds. */
export function stats(xs) {
  xs = [...xs].sort((a, b) => a - b);
  const q = (p) => (xs.length ? xs[Math.min(xs.length - 1, Math.floor(p * xs.length))].toFixed(1) : "-");
  return `p50 ${q(0.5)}  p95 ${q(0.95)}  p99 ${q(0.99)}  max ${xs.length ? xs[xs.length - 1].toFixed(1) : "-"}  (n=${xs.length})`;
}
