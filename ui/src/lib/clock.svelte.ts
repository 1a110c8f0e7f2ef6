// One shared clock for every ticking duration on screen. It only redraws; it never
// asks the backend for anything (state arrives as pushed events). It ticks only while
// something on screen reads it (the visible rows of a virtualized table: rows scrolled
// away are not rendered and do not read it) and the window is not hidden, so an idle
// window with no clock in view, or a minimized one, runs no timer at all.
import { createSubscriber } from "svelte/reactivity";

/** How often a shown clock moves. */
export const TICK_MS = 1000;

let now = Date.now();
let ticking = false;

const hidden = () => typeof document !== "undefined" && document.hidden;

const subscribe = createSubscriber((update) => {
  let timer: ReturnType<typeof setInterval> | null = null;
  const tick = () => {
    now = Date.now();
    update();
  };
  const start = () => {
    if (timer !== null || hidden()) return;
    ticking = true;
    tick();
    timer = setInterval(tick, TICK_MS);
  };
  const stop = () => {
    if (timer !== null) clearInterval(timer);
    timer = null;
    ticking = false;
  };
  const onVisibility = () => (hidden() ? stop() : start());
  if (typeof document !== "undefined") document.addEventListener("visibilitychange", onVisibility);
  start();
  return () => {
    stop();
    if (typeof document !== "undefined")
      document.removeEventListener("visibilitychange", onVisibility);
  };
});

export const clock = {
  /** Now, to the last tick while ticking (every clock on screen shows the same second),
   * else the time itself. Read in an effect or template, it makes that reader tick. */
  get now(): number {
    subscribe();
    return ticking ? now : Date.now();
  },
  /** Whether a timer runs (something on screen shows a clock). */
  get ticking(): boolean {
    return ticking;
  },
};
