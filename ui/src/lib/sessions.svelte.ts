// The session table store: filled once from a snapshot, then kept current by applying
// the pushed change sets. Rows are keyed by `Session.key`. What the table shows —
// filtered by chips and the search box, sorted by a column — is derived here, so the
// view only renders.
import { SvelteMap, SvelteSet } from "svelte/reactivity";
import type {
  Harness,
  SearchHit,
  Session,
  SessionChange,
  SessionCounts,
  SessionSnapshot,
  Status,
} from "./bindings";

export const EMPTY_COUNTS: SessionCounts = {
  total: 0,
  active: 0,
  idle: 0,
  generating: 0,
  running_tool: 0,
  waiting: 0,
  ended: 0,
};

export type SortKey =
  | "id"
  | "harness"
  | "title"
  | "project"
  | "model"
  | "messages"
  | "tokens"
  | "cost"
  | "status"
  | "last_activity";

/** Statuses in the order a user scans them: what needs attention first. */
const STATUS_ORDER: Record<Status, number> = {
  "waiting-for-input": 0,
  "running-tool": 1,
  generating: 2,
  idle: 3,
  failed: 4,
  ended: 5,
};

/** Status groups the header counters stand for. */
export const STATUS_GROUPS: Record<string, Status[]> = {
  active: ["generating", "running-tool", "waiting-for-input"],
  generating: ["generating"],
  running_tool: ["running-tool"],
  waiting: ["waiting-for-input"],
  idle: ["idle"],
  ended: ["ended", "failed"],
};

export const totalTokens = (s: Session) =>
  s.usage.input_tokens +
  s.usage.output_tokens +
  s.usage.cache_creation_tokens +
  s.usage.cache_read_tokens;

function sortValue(s: Session, key: SortKey): string | number {
  switch (key) {
    case "id":
      return s.id;
    case "harness":
      return s.harness;
    case "title":
      return (s.title ?? "").toLowerCase();
    case "project":
      return s.project ?? "";
    case "model":
      return s.model ?? "";
    case "messages":
      return s.user_messages + s.assistant_messages;
    case "tokens":
      return totalTokens(s);
    case "cost":
      return s.cost_usd ?? -1;
    case "status":
      return STATUS_ORDER[s.status];
    case "last_activity":
      return s.last_activity ?? "";
  }
}

export function compareSessions(a: Session, b: Session, key: SortKey, descending: boolean) {
  const va = sortValue(a, key);
  const vb = sortValue(b, key);
  const order = va < vb ? -1 : va > vb ? 1 : 0;
  if (order !== 0) return descending ? -order : order;
  // Ties: most recent first, then a stable key so rows never jump between updates.
  return (b.last_activity ?? "").localeCompare(a.last_activity ?? "") || a.key.localeCompare(b.key);
}

/** What the search box matches: title, project, model, id, branch. */
export function matchesQuery(s: Session, query: string): boolean {
  const q = query.trim().toLowerCase();
  if (!q) return true;
  return [s.title, s.project, s.model, s.id, s.git_branch, s.harness].some((f) =>
    f?.toLowerCase().includes(q),
  );
}

/** The date-range filter: how far back a session's last activity may be. */
export type SinceFilter = "all" | "24h" | "7d" | "30d";
const SINCE_MS: Record<SinceFilter, number> = {
  all: Infinity,
  "24h": 86_400_000,
  "7d": 7 * 86_400_000,
  "30d": 30 * 86_400_000,
};

export class SessionTable {
  rows = new SvelteMap<string, Session>();
  counts = $state<SessionCounts>(EMPTY_COUNTS);
  roots = $state<string[]>([]);
  loaded = $state(false);
  /** Reading transcripts: "files done/total" and a 0–1 fraction, or null when done. */
  scan = $state<{ label: string; fraction: number } | null>({ label: "starting", fraction: 0 });

  sortKey = $state<SortKey>("last_activity");
  descending = $state(true);
  query = $state("");
  harnesses = new SvelteSet<Harness>();
  statuses = new SvelteSet<Status>();
  project = $state<string | null>(null);
  model = $state<string | null>(null);
  since = $state<SinceFilter>("all");
  /** "Now" for the date-range filter; the view advances it, tests set it. */
  now = $state(Date.now());
  /** Show sub-agent sessions as rows of their own. */
  showSubagents = $state(true);

  selected = new SvelteSet<string>();
  /** The row the keyboard cursor is on (and the detail pane shows). */
  focused = $state<string | null>(null);

  visible = $derived.by(() => {
    const out: Session[] = [];
    // In full-text mode the table shows the sessions with matches, not title matches.
    const withHits =
      this.fullText && this.query.trim() ? new Set(this.hits.map((h) => h.session_key)) : null;
    for (const s of this.rows.values()) {
      if (this.harnesses.size && !this.harnesses.has(s.harness)) continue;
      if (this.statuses.size && !this.statuses.has(s.status)) continue;
      if (!this.showSubagents && s.parent_id) continue;
      if (this.project !== null && s.project !== this.project) continue;
      if (this.model !== null && !s.models.includes(this.model)) continue;
      if (this.since !== "all") {
        const t = s.last_activity ? Date.parse(s.last_activity) : NaN;
        if (!(this.now - t <= SINCE_MS[this.since])) continue;
      }
      if (withHits ? !withHits.has(s.key) : !matchesQuery(s, this.query)) continue;
      out.push(s);
    }
    const key = this.sortKey;
    const desc = this.descending;
    return out.sort((a, b) => compareSessions(a, b, key, desc));
  });

  /** Harnesses present in the table, for the filter chips. */
  presentHarnesses = $derived([...new Set([...this.rows.values()].map((s) => s.harness))].sort());

  /** Projects and models present, for the filter menus. */
  presentProjects = $derived(
    [...new Set([...this.rows.values()].flatMap((s) => (s.project ? [s.project] : [])))].sort(),
  );
  presentModels = $derived([...new Set([...this.rows.values()].flatMap((s) => s.models))].sort());

  focusedSession = $derived(this.focused ? (this.rows.get(this.focused) ?? null) : null);

  load(snapshot: SessionSnapshot) {
    this.rows.clear();
    for (const s of snapshot.sessions) this.rows.set(s.key, s);
    this.counts = snapshot.counts;
    this.roots = snapshot.roots;
    this.loaded = true;
    if (!snapshot.scanning) this.scan = null;
  }

  apply(change: SessionChange, counts: SessionCounts) {
    for (const s of change.upserted) this.rows.set(s.key, s);
    for (const key of change.removed) {
      this.rows.delete(key);
      this.selected.delete(key);
    }
    this.counts = counts;
  }

  sortBy(key: SortKey) {
    if (this.sortKey === key) {
      this.descending = !this.descending;
    } else {
      this.sortKey = key;
      // Numbers and times read best largest/newest first; text A→Z.
      this.descending = ["messages", "tokens", "cost", "last_activity"].includes(key);
    }
  }

  toggleHarness(h: Harness) {
    if (this.harnesses.has(h)) this.harnesses.delete(h);
    else this.harnesses.add(h);
  }

  /** Filter by a header counter's group; clicking the same group again clears it. */
  filterStatusGroup(group: string | null) {
    const wanted = group ? (STATUS_GROUPS[group] ?? []) : [];
    const same = wanted.length === this.statuses.size && wanted.every((s) => this.statuses.has(s));
    this.statuses.clear();
    if (!same) for (const s of wanted) this.statuses.add(s);
  }

  clearFilters() {
    this.harnesses.clear();
    this.statuses.clear();
    this.query = "";
    this.project = null;
    this.model = null;
    this.since = "all";
  }

  toggleSelected(key: string) {
    if (this.selected.has(key)) this.selected.delete(key);
    else this.selected.add(key);
  }

  /** Select every visible row, or clear when all visible rows are selected already. */
  toggleSelectAll() {
    const all = this.visible.length > 0 && this.visible.every((s) => this.selected.has(s.key));
    this.selected.clear();
    if (!all) for (const s of this.visible) this.selected.add(s.key);
  }

  /** Move the keyboard cursor by `delta` rows within the visible order. */
  moveFocus(delta: number) {
    const rows = this.visible;
    if (rows.length === 0) return;
    const at = rows.findIndex((s) => s.key === this.focused);
    const next = at < 0 ? (delta > 0 ? 0 : rows.length - 1) : at + delta;
    this.focused = rows[Math.max(0, Math.min(rows.length - 1, next))].key;
  }

  /** Full-text mode of the search box: matches come from every transcript. */
  fullText = $state(false);
  hits = $state<SearchHit[]>([]);
  searchError = $state<string | null>(null);
  /** Text indexing progress, e.g. "120/900 files", or null when idle. */
  indexing = $state<string | null>(null);

  /** What the last kill did, shown above the table until the next one. */
  killReport = $state<string | null>(null);

  /** The selected sessions, or the focused one when nothing is selected. */
  targets(): Session[] {
    if (this.selected.size) {
      return this.visible.filter((s) => this.selected.has(s.key));
    }
    return this.focusedSession ? [this.focusedSession] : [];
  }
}
