// Pushed session changes, gathered until the next frame and applied together. With 200
// agents writing at once the backend pushes a change set every few tens of
// milliseconds; applying and rendering each one by itself re-places rows and redraws
// the table more often than the screen shows it, and under load the pushes queue up
// behind each other's renders. Here a row changed several times before a frame is
// applied once, in its last state, and the header counts are the last ones pushed.
import type { Session, SessionChange, SessionCounts, SessionsChanged } from "./bindings";

/** Change sets merged into one: the last version of each row, the rows removed since. */
export class PendingChanges {
  #upserted = new Map<string, Session>();
  #removed = new Set<string>();
  #counts: SessionCounts | null = null;

  /** Whether anything waits to be applied. */
  get empty(): boolean {
    return this.#counts === null;
  }

  add(e: SessionsChanged) {
    for (const s of e.change.upserted) {
      this.#removed.delete(s.key);
      this.#upserted.set(s.key, s);
    }
    for (const key of e.change.removed) {
      this.#upserted.delete(key);
      this.#removed.add(key);
    }
    this.#counts = e.counts;
  }

  /** Everything gathered, as one change set (null when nothing waits); empties it. */
  take(): { change: SessionChange; counts: SessionCounts } | null {
    if (this.#counts === null) return null;
    const out = {
      change: { upserted: [...this.#upserted.values()], removed: [...this.#removed] },
      counts: this.#counts,
    };
    this.#upserted.clear();
    this.#removed.clear();
    this.#counts = null;
    return out;
  }
}

/** Calls `apply` once per animation frame with what was pushed since the last one.
 * A hidden window gets no frames: a timer (`fallbackMs`) applies the changes then, so
 * what the window shows when it comes back (and what tests read) is never stale.
 * `flush` applies what waits at once: before a snapshot replaces the table, so the
 * snapshot, the newer, is applied last (as when each push was applied on arrival). */
export function perFrame(
  apply: (change: SessionChange, counts: SessionCounts) => void,
  fallbackMs = 250,
  frame: (cb: () => void) => unknown = (cb) => requestAnimationFrame(cb),
): { push: (e: SessionsChanged) => void; flush: () => void } {
  const pending = new PendingChanges();
  let scheduled = false;
  const flush = () => {
    scheduled = false;
    const taken = pending.take();
    if (taken) apply(taken.change, taken.counts);
  };
  const push = (e: SessionsChanged) => {
    pending.add(e);
    if (scheduled) return;
    scheduled = true;
    frame(flush);
    setTimeout(flush, fallbackMs);
  };
  return { push, flush };
}
