// The session table store: filled once from a snapshot, then kept current by applying
// the pushed change sets. Rows are keyed by `Session.key`; the visible order is derived.
import { SvelteMap } from "svelte/reactivity";
import type { Session, SessionChange, SessionCounts, SessionSnapshot } from "./bindings";

export const EMPTY_COUNTS: SessionCounts = {
  total: 0,
  active: 0,
  idle: 0,
  generating: 0,
  running_tool: 0,
  waiting: 0,
  ended: 0,
};

export class SessionTable {
  rows = new SvelteMap<string, Session>();
  counts = $state<SessionCounts>(EMPTY_COUNTS);
  roots = $state<string[]>([]);
  loaded = $state(false);

  /** Most recent activity first, like the backend's snapshot. */
  sorted = $derived(
    [...this.rows.values()].sort(
      (a, b) =>
        (b.last_activity ?? "").localeCompare(a.last_activity ?? "") || a.key.localeCompare(b.key),
    ),
  );

  load(snapshot: SessionSnapshot) {
    this.rows.clear();
    for (const s of snapshot.sessions) this.rows.set(s.key, s);
    this.counts = snapshot.counts;
    this.roots = snapshot.roots;
    this.loaded = true;
  }

  apply(change: SessionChange, counts: SessionCounts) {
    for (const s of change.upserted) this.rows.set(s.key, s);
    for (const key of change.removed) this.rows.delete(key);
    this.counts = counts;
  }
}
