// The session table store: filled once from a snapshot, then kept current by applying
// the pushed change sets. Rows are keyed by `Session.key`. What the table shows —
// filtered by chips and the search box, sorted by a column — is derived here, so the
// view only renders. The remote hosts' rows are in the same table (one table for
// every machine), each keyed `@HOST KEY` by the backend (see `hostOf`), loaded and
// replaced per host.
import { SvelteSet } from "svelte/reactivity";
import { ShortIds } from "./shortId";
import { hostOf } from "./remote";
import type {
  Harness,
  HostRows,
  RemoteHost,
  SearchHit,
  Session,
  SessionChange,
  SessionCounts,
  SessionSnapshot,
  Status,
  SearchedRoot,
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
  | "host"
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
    case "host":
      // This machine's rows first, then each host A→Z.
      return hostOf(s.key) ?? "";
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

/** Where `s` belongs in `list`, which is sorted by `compareSessions` with the same key. */
function insertionIndex(
  list: readonly Session[],
  s: Session,
  key: SortKey,
  descending: boolean,
  lo = 0,
): number {
  let hi = list.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (compareSessions(list[mid], s, key, descending) < 0) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

export function compareSessions(a: Session, b: Session, key: SortKey, descending: boolean) {
  const va = sortValue(a, key);
  const vb = sortValue(b, key);
  const order = va < vb ? -1 : va > vb ? 1 : 0;
  if (order !== 0) return descending ? -order : order;
  // Ties: most recent first, then a stable key so rows never jump between updates.
  return (b.last_activity ?? "").localeCompare(a.last_activity ?? "") || a.key.localeCompare(b.key);
}

/** What the search box matches: title, project, model, id, branch, harness, host. */
export function matchesQuery(s: Session, query: string): boolean {
  const q = query.trim().toLowerCase();
  if (!q) return true;
  return [s.title, s.project, s.model, s.id, s.git_branch, s.harness, hostOf(s.key)].some((f) =>
    f?.toLowerCase().includes(q),
  );
}

/** The header counts of several machines added up. */
export function addCounts(a: SessionCounts, b: SessionCounts): SessionCounts {
  return {
    total: a.total + b.total,
    active: a.active + b.active,
    idle: a.idle + b.idle,
    generating: a.generating + b.generating,
    running_tool: a.running_tool + b.running_tool,
    waiting: a.waiting + b.waiting,
    ended: a.ended + b.ended,
  };
}

/** The host filter's name for this machine's rows. */
export const LOCAL_HOST = "";

/** The date-range filter: how far back a session's last activity may be. */
export type SinceFilter = "all" | "24h" | "7d" | "30d";
const SINCE_MS: Record<SinceFilter, number> = {
  all: Infinity,
  "24h": 86_400_000,
  "7d": 7 * 86_400_000,
  "30d": 30 * 86_400_000,
};

/** How many changed rows (at least; a quarter of the table when that is more) the table
 * re-places in the sorted list before a full re-sort is cheaper. */
const INCREMENTAL_LIMIT = 256;

/** `list` (sorted) without the old versions of the changed rows (`before`: each changed
 * key's version in `list`, or undefined if it had none), with `fresh` (rows that pass
 * the filters, any order) put where they belong. Each old version is found by binary
 * search (the list is sorted by the same total order), each fresh row's place too, and
 * the list is copied once: 200 changed rows in a table of 100k cost one tight copy, not
 * a filter with a lookup per row (40 ms in V8) or 200 splices. */
export function mergeChanged(
  list: readonly Session[],
  before: ReadonlyMap<string, Session | undefined>,
  fresh: Session[],
  key: SortKey,
  descending: boolean,
): Session[] {
  const gone: number[] = [];
  for (const old of before.values()) {
    if (!old) continue;
    const at = insertionIndex(list, old, key, descending);
    // Not there: the old version did not pass the filters.
    if (list[at] === old) gone.push(at);
  }
  gone.sort((a, b) => a - b);
  fresh.sort((a, b) => compareSessions(a, b, key, descending));
  const places: number[] = [];
  let from = 0;
  for (const s of fresh) {
    // Fresh rows are sorted, so each one's place is at or after the one before's.
    from = insertionIndex(list, s, key, descending, from);
    places.push(from);
  }
  const out: Session[] = new Array(list.length - gone.length + fresh.length);
  let n = 0;
  let g = 0;
  let j = 0;
  for (let i = 0; i <= list.length; i++) {
    while (j < fresh.length && places[j] === i) out[n++] = fresh[j++];
    if (i === list.length) break;
    if (g < gone.length && gone[g] === i) {
      g++;
      continue;
    }
    out[n++] = list[i];
  }
  return out;
}

export class SessionTable {
  /** Every session by key. A plain map: readers depend on `#version`, bumped by each change,
   * so one pushed change costs one signal, not one per row read. */
  #rows = new Map<string, Session>();
  #version = $state(0);
  /** Keys changed since `visible` was last computed, each with its version then (what
   * the last list holds): its incremental path re-places only these. */
  #changed = new Map<string, Session | undefined>();
  /** Bumped only when a change can alter the filter menus (a new harness, project or model, or a
   * removal), so 100 updates a second do not rebuild them from 10k rows each time. */
  #facetVersion = $state(0);
  /** Bumped only when rows come or go: the short ids depend on nothing else. */
  #idsVersion = $state(0);
  /** The last `visible` list and the filter/sort state it was computed for. */
  #last: { signature: unknown[]; list: Session[] } | null = null;

  /** This machine's counts, as the backend pushes them. */
  localCounts = $state<SessionCounts>(EMPTY_COUNTS);
  /** Settings' hosts: each one's state and counts (the chips), rows not included. */
  remoteHosts = $state<RemoteHost[]>([]);
  /** This machine's name, shown in the Host column for local rows. */
  thisMachine = $state("this machine");
  /** The header counts: this machine's and every host's. */
  counts = $derived(
    this.remoteHosts.reduce((sum, h) => addCounts(sum, h.counts), this.localCounts),
  );
  roots = $state<SearchedRoot[]>([]);
  /** Problems that are not rows: files skipped (FIFOs, too large), roots polled. */
  notices = $state<string[]>([]);
  loaded = $state(false);
  /** Reading transcripts: "files done/total" and a 0–1 fraction, or null when done. */
  scan = $state<{ label: string; fraction: number } | null>({ label: "starting", fraction: 0 });

  sortKey = $state<SortKey>("last_activity");
  descending = $state(true);
  query = $state("");
  harnesses = new SvelteSet<Harness>();
  /** Host chips: the machines shown (`LOCAL_HOST` for this one); none means all. */
  hosts = new SvelteSet<string>();
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

  /** The session with this key, if the table has it (reactive). */
  get(key: string): Session | undefined {
    void this.#version;
    return this.#rows.get(key);
  }

  has(key: string): boolean {
    void this.#version;
    return this.#rows.has(key);
  }

  /** How many sessions the table holds, before any filter (reactive). */
  get size(): number {
    void this.#version;
    return this.#rows.size;
  }

  /** The filter and sort state `visible` depends on, as a list compared item by item. */
  #signature(): unknown[] {
    const fullText = this.fullText && this.query.trim() !== "";
    return [
      this.sortKey,
      this.descending,
      [...this.harnesses].sort().join(),
      [...this.hosts].sort().join("\n"),
      [...this.statuses].sort().join(),
      this.showSubagents,
      this.project,
      this.model,
      this.since,
      // The clock matters only to a date-range filter; reading it otherwise would redo the
      // list every time the view advances it.
      this.since === "all" ? 0 : this.now,
      this.query,
      fullText ? this.hits : null,
    ];
  }

  /** Whether a session passes the chips, menus, date range and search box. */
  #passes(s: Session, withHits: Set<string> | null): boolean {
    if (this.harnesses.size && !this.harnesses.has(s.harness)) return false;
    if (this.hosts.size && !this.hosts.has(hostOf(s.key) ?? LOCAL_HOST)) return false;
    if (this.statuses.size && !this.statuses.has(s.status)) return false;
    if (!this.showSubagents && s.parent_id) return false;
    if (this.project !== null && s.project !== this.project) return false;
    if (this.model !== null && !s.models.includes(this.model)) return false;
    if (this.since !== "all") {
      const t = s.last_activity ? Date.parse(s.last_activity) : NaN;
      if (!(this.now - t <= SINCE_MS[this.since])) return false;
    }
    return withHits ? withHits.has(s.key) : matchesQuery(s, this.query);
  }

  /** What the table shows, filtered and sorted. A few changed rows are taken out and put
   * back in place by binary search instead of filtering and sorting all rows again. */
  visible = $derived.by(() => {
    void this.#version;
    const signature = this.#signature();
    // In full-text mode the table shows the sessions with matches, not title matches.
    const withHits =
      this.fullText && this.query.trim() ? new Set(this.hits.map((h) => h.session_key)) : null;
    const key = this.sortKey;
    const desc = this.descending;
    const last = this.#last;
    const changed = this.#changed;
    let list: Session[];
    if (
      last &&
      changed.size <= Math.max(INCREMENTAL_LIMIT, this.#rows.size / 4) &&
      last.signature.length === signature.length &&
      last.signature.every((v, i) => v === signature[i])
    ) {
      const fresh: Session[] = [];
      for (const k of changed.keys()) {
        const s = this.#rows.get(k);
        if (s && this.#passes(s, withHits)) fresh.push(s);
      }
      list = mergeChanged(last.list, changed, fresh, key, desc);
    } else {
      list = [];
      for (const s of this.#rows.values()) if (this.#passes(s, withHits)) list.push(s);
      list.sort((a, b) => compareSessions(a, b, key, desc));
    }
    changed.clear();
    this.#last = { signature, list };
    return list;
  });

  #facets = $derived.by(() => {
    void this.#facetVersion;
    const harnesses = new Set<Harness>();
    const projects = new Set<string>();
    const models = new Set<string>();
    for (const s of this.#rows.values()) {
      harnesses.add(s.harness);
      if (s.project) projects.add(s.project);
      for (const m of s.models) models.add(m);
    }
    return {
      harnesses: [...harnesses].sort(),
      projects: [...projects].sort(),
      models: [...models].sort(),
    };
  });

  /** Harnesses present in the table, for the filter chips. */
  presentHarnesses = $derived(this.#facets.harnesses);

  /** Projects and models present, for the filter menus. */
  presentProjects = $derived(this.#facets.projects);
  presentModels = $derived(this.#facets.models);

  /** Core's short ids over every row (the ones `sessionscope ps` shows): rebuilt only
   * when rows come or go (10k ids: 25–100 ms on the loaded 2-core test machine), each
   * computed when a visible row first asks. */
  shortIds = $derived.by(() => {
    void this.#idsVersion;
    return new ShortIds([...this.#rows.values()].map((s) => s.id));
  });

  focusedSession = $derived(this.focused ? (this.get(this.focused) ?? null) : null);

  /** This machine's whole table (the remote hosts' rows stay). */
  load(snapshot: SessionSnapshot) {
    for (const key of [...this.#rows.keys()]) if (hostOf(key) === null) this.#rows.delete(key);
    for (const s of snapshot.sessions) this.#rows.set(s.key, s);
    this.#last = null;
    this.#changed.clear();
    this.#version++;
    this.#facetVersion++;
    this.#idsVersion++;
    this.localCounts = snapshot.counts;
    this.roots = snapshot.roots;
    this.notices = snapshot.notices;
    this.loaded = true;
    if (!snapshot.scanning) this.scan = null;
  }

  apply(change: SessionChange, counts: SessionCounts) {
    let facetsChanged = change.removed.length > 0;
    let idsChanged = change.removed.length > 0;
    for (const s of change.upserted) {
      const before = this.#rows.get(s.key);
      idsChanged ||= !before || before.id !== s.id;
      facetsChanged ||=
        !before ||
        before.harness !== s.harness ||
        before.project !== s.project ||
        before.models.join("\n") !== s.models.join("\n");
      if (!this.#changed.has(s.key)) this.#changed.set(s.key, before);
      this.#rows.set(s.key, s);
    }
    for (const key of change.removed) {
      if (!this.#changed.has(key)) this.#changed.set(key, this.#rows.get(key));
      this.#rows.delete(key);
      this.selected.delete(key);
    }
    if (change.upserted.length || change.removed.length) this.#version++;
    if (facetsChanged) this.#facetVersion++;
    if (idsChanged) this.#idsVersion++;
    this.localCounts = counts;
  }

  /** Every row of every remote host at once (the window's first load): replaces the
   * remote rows the table had. */
  loadRemote(sessions: Session[]) {
    for (const key of [...this.#rows.keys()]) if (hostOf(key) !== null) this.#rows.delete(key);
    for (const s of sessions) this.#rows.set(s.key, s);
    this.#rebuilt();
  }

  /** One host's rows as pushed: all of them (`reset`), or what changed. */
  applyHost(rows: HostRows) {
    if (!rows.reset) {
      const keep = this.localCounts;
      this.apply(rows.change, keep);
      return;
    }
    for (const key of [...this.#rows.keys()]) {
      if (hostOf(key) === rows.host) {
        this.#rows.delete(key);
        this.selected.delete(key);
      }
    }
    for (const s of rows.change.upserted) this.#rows.set(s.key, s);
    this.#rebuilt();
  }

  /** Many rows came and went: the next `visible` filters and sorts everything again. */
  #rebuilt() {
    this.#last = null;
    this.#changed.clear();
    this.#version++;
    this.#facetVersion++;
    this.#idsVersion++;
  }

  /** Show only these machines' rows, or all when none is chosen (a chip toggles). */
  toggleHost(host: string) {
    if (this.hosts.has(host)) this.hosts.delete(host);
    else this.hosts.add(host);
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
    this.hosts.clear();
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
  /** Transcripts the search could not read, "path: why" (too large to read whole). */
  searchSkipped = $state<string[]>([]);
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
