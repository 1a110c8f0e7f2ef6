import { describe, expect, it } from "vitest";
import {
  LOCAL_HOST,
  SessionTable,
  compareSessions,
  mergeChanged,
  type SortKey,
} from "./sessions.svelte";
import type { RemoteHost, Session, SessionCounts } from "./bindings";

function session(key: string, last: string | null, extra: Partial<Session> = {}): Session {
  return {
    key,
    id: key.split(":")[1],
    harness: "claude-code",
    title: null,
    project: "/p",
    git_branch: null,
    model: null,
    models: [],
    started_at: null,
    last_activity: last,
    status_since: null,
    user_messages: 0,
    assistant_messages: 0,
    tool_calls: 0,
    tool_errors: 0,
    usage: { input_tokens: 0, output_tokens: 0, cache_creation_tokens: 0, cache_read_tokens: 0 },
    parse_errors: 0,
    status: "waiting-for-input",
    pid: null,
    path: `/x/${key}.jsonl`,
    gone: false,
    parent_id: null,
    cost_usd: null,
    price_unknown: false,
    ambiguous: false,
    agent_name: null,
    agent_version: null,
    unknown_records: {},
    ...extra,
  };
}

const counts = (total: number): SessionCounts => ({
  total,
  active: total,
  idle: 0,
  generating: 0,
  running_tool: 0,
  waiting: total,
  ended: 0,
});

describe("SessionTable", () => {
  it("loads a snapshot sorted by most recent activity", () => {
    const t = new SessionTable();
    t.load({
      sessions: [
        session("claude-code:a", "2026-11-01T10:00:00Z"),
        session("claude-code:b", "2026-11-02T10:00:00Z"),
        session("claude-code:c", null),
      ],
      counts: counts(3),
      roots: [
        {
          harness: "codex",
          path: "/r",
          exists: false,
          from_settings: false,
          env_var: "CODEX_HOME",
        },
      ],
      scanning: false,
      notices: [],
    });
    expect(t.visible.map((s) => s.id)).toEqual(["b", "a", "c"]);
    expect(t.loaded).toBe(true);
    expect(t.roots.map((r) => r.path)).toEqual(["/r"]);
  });

  it("shows core's short ids over its rows, and tells a new row apart from the others", () => {
    const t = new SessionTable();
    const codex = (n: string) => `codex:019a0c11-${n}-7000-8000-000000000001`;
    t.load({
      sessions: [session(codex("aaaa"), null), session("claude-code:5f0c7a8e-1111", null)],
      counts: counts(2),
      roots: [],
      scanning: false,
      notices: [],
    });
    const id = (key: string) => key.split(":")[1];
    expect(t.shortIds.get(id(codex("aaaa")))).toBe("019a0c11");
    t.apply({ upserted: [session(codex("abcd"), null)], removed: [] }, counts(3));
    expect(t.shortIds.get(id(codex("aaaa")))).toBe("019a0c11-aa");
    expect(t.shortIds.get(id(codex("abcd")))).toBe("019a0c11-ab");
    expect(t.shortIds.get("5f0c7a8e-1111")).toBe("5f0c7a8e");
    t.apply({ upserted: [], removed: [codex("abcd")] }, counts(2));
    expect(t.shortIds.get(id(codex("aaaa")))).toBe("019a0c11");
  });

  it("applies upserts and removals and takes the pushed counts", () => {
    const t = new SessionTable();
    t.load({
      sessions: [session("claude-code:a", "2026-11-01T10:00:00Z")],
      counts: counts(1),
      roots: [],
      scanning: false,
      notices: [],
    });
    t.apply(
      {
        upserted: [
          session("claude-code:a", "2026-11-03T10:00:00Z", { user_messages: 4 }),
          session("claude-code:n", "2026-11-02T10:00:00Z"),
        ],
        removed: [],
      },
      counts(2),
    );
    expect(t.visible.map((s) => s.id)).toEqual(["a", "n"]);
    expect(t.get("claude-code:a")?.user_messages).toBe(4);
    expect(t.counts.total).toBe(2);
    t.apply({ upserted: [], removed: ["claude-code:a"] }, counts(1));
    expect(t.visible.map((s) => s.id)).toEqual(["n"]);
  });

  function sample() {
    const t = new SessionTable();
    t.load({
      sessions: [
        session("claude-code:a", "2026-11-01T10:00:00Z", {
          title: "Fix login",
          status: "generating",
          user_messages: 5,
          usage: {
            input_tokens: 100,
            output_tokens: 0,
            cache_creation_tokens: 0,
            cache_read_tokens: 0,
          },
          cost_usd: 0.5,
        }),
        session("codex:b", "2026-11-03T10:00:00Z", {
          harness: "codex",
          title: "Write docs",
          status: "ended",
          user_messages: 1,
          usage: {
            input_tokens: 900,
            output_tokens: 0,
            cache_creation_tokens: 0,
            cache_read_tokens: 0,
          },
        }),
        session("gptme:c", "2026-11-02T10:00:00Z", {
          harness: "gptme",
          title: "Refactor login form",
          status: "waiting-for-input",
          project: "/srv/web",
          parent_id: "x",
        }),
      ],
      counts: counts(3),
      roots: [],
      scanning: false,
      notices: [],
    });
    return t;
  }

  it("sorts by any column, toggling direction on the second click", () => {
    const t = sample();
    t.sortBy("tokens");
    expect(t.visible.map((s) => s.id)).toEqual(["b", "a", "c"]);
    t.sortBy("tokens");
    expect(t.visible.map((s) => s.id)).toEqual(["c", "a", "b"]);
    t.sortBy("title");
    expect(t.visible.map((s) => s.id)).toEqual(["a", "c", "b"]);
    t.sortBy("status");
    // Waiting first: it needs the user.
    expect(t.visible.map((s) => s.id)).toEqual(["c", "a", "b"]);
    t.sortBy("cost");
    expect(t.visible[0].id).toBe("a");
  });

  it("filters by harness chips, status groups, search text and sub-agents", () => {
    const t = sample();
    t.toggleHarness("codex");
    t.toggleHarness("gptme");
    expect(t.visible.map((s) => s.id).sort()).toEqual(["b", "c"]);
    t.toggleHarness("codex");
    expect(t.visible.map((s) => s.id)).toEqual(["c"]);
    t.clearFilters();
    t.filterStatusGroup("active");
    expect(t.visible.map((s) => s.id).sort()).toEqual(["a", "c"]);
    t.filterStatusGroup("active");
    expect(t.visible).toHaveLength(3);
    t.query = "LOGIN";
    expect(t.visible.map((s) => s.id).sort()).toEqual(["a", "c"]);
    t.query = "/srv";
    expect(t.visible.map((s) => s.id)).toEqual(["c"]);
    t.query = "";
    t.showSubagents = false;
    expect(t.visible.map((s) => s.id).sort()).toEqual(["a", "b"]);
  });

  it("in full-text mode shows the sessions with matches, whatever their titles", () => {
    const t = sample();
    t.query = "stack trace";
    expect(t.visible).toHaveLength(0);
    t.fullText = true;
    t.hits = [
      {
        session_key: "codex:b",
        session_id: "b",
        harness: "codex",
        role: "tool",
        timestamp: null,
        path: "/x",
        snippet: "a [stack trace]",
      },
    ];
    expect(t.visible.map((s) => s.id)).toEqual(["b"]);
  });

  it("filters by project, model and date range, and clears them all", () => {
    const t = sample();
    t.now = Date.parse("2026-11-03T12:00:00Z");
    expect(t.presentProjects).toEqual(["/p", "/srv/web"]);
    t.project = "/srv/web";
    expect(t.visible.map((s) => s.id)).toEqual(["c"]);
    t.project = null;
    t.since = "24h";
    expect(t.visible.map((s) => s.id)).toEqual(["b"]);
    t.since = "7d";
    expect(t.visible).toHaveLength(3);
    t.apply(
      { upserted: [{ ...t.get("claude-code:a")!, models: ["opus", "haiku"] }], removed: [] },
      counts(3),
    );
    t.model = "haiku";
    expect(t.visible.map((s) => s.id)).toEqual(["a"]);
    expect(t.presentModels).toEqual(["haiku", "opus"]);
    t.clearFilters();
    expect(t.visible).toHaveLength(3);
    expect([t.project, t.model, t.since]).toEqual([null, null, "all"]);
  });

  it("selects visible rows, moves the keyboard cursor, and names the targets", () => {
    const t = sample();
    expect(t.targets()).toEqual([]);
    t.moveFocus(1);
    expect(t.focused).toBe("codex:b");
    t.moveFocus(5);
    expect(t.focused).toBe("claude-code:a");
    t.moveFocus(-1);
    expect(t.focused).toBe("gptme:c");
    expect(t.targets().map((s) => s.id)).toEqual(["c"]);
    t.toggleHarness("claude-code");
    t.toggleSelectAll();
    expect([...t.selected]).toEqual(["claude-code:a"]);
    t.clearFilters();
    t.toggleSelected("codex:b");
    expect(t.targets().map((s) => s.id)).toEqual(["b", "a"]);
    t.toggleSelectAll();
    expect(t.selected.size).toBe(3);
    t.toggleSelectAll();
    expect(t.selected.size).toBe(0);
    t.apply({ upserted: [], removed: ["codex:b"] }, counts(2));
    expect(t.has("codex:b")).toBe(false);
  });

  it("keeps the same order as a full re-sort while updates stream in", () => {
    // The table re-places only changed rows; after any mix of upserts and removals it
    // must show exactly what a table loaded fresh from the same rows shows.
    let seed = 7;
    const random = () => (seed = (seed * 48271) % 2147483647) / 2147483647;
    const statuses = ["generating", "idle", "ended", "waiting-for-input"] as const;
    const make = (i: number, n: number) =>
      session(
        `claude-code:s${i}`,
        `2026-11-0${1 + (n % 9)}T10:00:${String(n % 60).padStart(2, "0")}Z`,
        {
          title: `task ${(i * 7) % 13}`,
          status: statuses[(i + n) % 4],
          user_messages: n % 5,
          project: `/p${i % 3}`,
        },
      );
    const live = new SessionTable();
    live.load({
      sessions: Array.from({ length: 60 }, (_, i) => make(i, i)),
      counts: counts(60),
      roots: [],
      scanning: false,
      notices: [],
    });
    for (const key of ["last_activity", "messages", "status", "title"] as SortKey[]) {
      live.sortBy(key);
      for (let step = 0; step < 40; step++) {
        const upserted = Array.from({ length: 1 + Math.floor(random() * 4) }, () =>
          make(Math.floor(random() * 80), Math.floor(random() * 1000)),
        );
        const removed = random() < 0.2 ? [`claude-code:s${Math.floor(random() * 80)}`] : [];
        live.apply({ upserted, removed }, counts(0));
        if (step === 20) live.query = "task 1";
        const fresh = new SessionTable();
        fresh.load({
          sessions: [...allRows(live)],
          counts: counts(0),
          roots: [],
          scanning: false,
          notices: [],
        });
        fresh.sortKey = live.sortKey;
        fresh.descending = live.descending;
        fresh.query = live.query;
        expect(live.visible.map((s) => s.key)).toEqual(fresh.visible.map((s) => s.key));
      }
      live.query = "";
    }
  });

  it("puts a large batch of changed rows in place as a full sort would (200 agents at once)", () => {
    let seed = 11;
    const random = () => (seed = (seed * 48271) % 2147483647) / 2147483647;
    const make = (i: number, n: number) =>
      session(`claude-code:s${i}`, `2026-11-0${1 + (n % 9)}T1${n % 10}:00:00Z`, {
        user_messages: n % 7,
        title: `t${n % 5}`,
      });
    const rows = Array.from({ length: 2000 }, (_, i) => make(i, i));
    const live = new SessionTable();
    live.load({ sessions: rows, counts: counts(2000), roots: [], scanning: false, notices: [] });
    for (const key of ["last_activity", "messages", "title"] as SortKey[]) {
      live.sortBy(key);
      void live.visible;
      for (let step = 0; step < 10; step++) {
        // 100–400 rows at once: more than the old one-by-one limit (256), less than a
        // quarter of the table, so they are merged in, not re-sorted with the rest.
        const upserted = Array.from({ length: 100 + Math.floor(random() * 300) }, () =>
          make(Math.floor(random() * 2100), Math.floor(random() * 1000)),
        );
        const removed = Array.from(
          { length: 5 },
          () => `claude-code:s${Math.floor(random() * 2100)}`,
        );
        live.apply({ upserted, removed }, counts(0));
        const sorted = [...live.visible].sort((a, b) =>
          compareSessions(a, b, live.sortKey, live.descending),
        );
        expect(live.visible.map((s) => s.key)).toEqual(sorted.map((s) => s.key));
        const all: string[] = [];
        for (let i = 0; i < 2100; i++)
          if (live.has(`claude-code:s${i}`)) all.push(`claude-code:s${i}`);
        expect(live.visible.length).toBe(all.length);
        expect(new Set(live.visible.map((s) => s.key))).toEqual(new Set(all));
      }
    }
  });

  it("merges fresh rows into a sorted list, dropping the changed ones", () => {
    const a = session("claude-code:a", "2026-11-05T00:00:00Z");
    const b = session("claude-code:b", "2026-11-04T00:00:00Z");
    const c = session("claude-code:c", "2026-11-03T00:00:00Z");
    const b2 = session("claude-code:b", "2026-11-06T00:00:00Z");
    const d = session("claude-code:d", "2026-11-01T00:00:00Z");
    const e = session("claude-code:e", "2026-11-04T12:00:00Z");
    const before = new Map<string, Session | undefined>([
      ["claude-code:b", b],
      ["claude-code:d", undefined],
      ["claude-code:e", undefined],
    ]);
    const merged = mergeChanged([a, b, c], before, [d, b2, e], "last_activity", true);
    expect(merged.map((s) => s.key)).toEqual([
      "claude-code:b",
      "claude-code:a",
      "claude-code:e",
      "claude-code:c",
      "claude-code:d",
    ]);
    expect(
      mergeChanged([a, b, c], new Map([["claude-code:a", a]]), [], "last_activity", true),
    ).toEqual([b, c]);
    // An old version the list does not hold (it did not pass the filters) removes nothing.
    const hidden = session("claude-code:h", "2026-11-04T00:00:00Z");
    expect(
      mergeChanged([a, b, c], new Map([["claude-code:h", hidden]]), [], "last_activity", true),
    ).toEqual([a, b, c]);
  });
});

/** Every row the table holds, whatever the filters. */
function allRows(t: SessionTable): Session[] {
  const keys = Array.from({ length: 80 }, (_, i) => `claude-code:s${i}`);
  return keys.flatMap((k) => (t.has(k) ? [t.get(k)!] : []));
}

describe("SessionTable with remote hosts (one table for every machine)", () => {
  const snapshot = (sessions: Session[], n = sessions.length) => ({
    sessions,
    counts: counts(n),
    roots: [],
    scanning: false,
    notices: [],
  });
  const host = (name: string, total: number) =>
    ({
      host: name,
      state: { state: "connecting" },
      sessions: [],
      counts: counts(total),
      notices: [],
    }) as RemoteHost;

  it("holds every row of every host next to this machine's, filtered, sorted and searched alike", () => {
    const t = new SessionTable();
    t.load(snapshot([session("claude-code:l1", "2026-11-01T10:00:00Z", { title: "local work" })]));
    // 1,000 rows from one host: all of them, not a first page.
    const many = Array.from({ length: 1000 }, (_, i) =>
      session(`@box claude-code:b${i}`, `2026-11-02T10:${String(i % 60).padStart(2, "0")}:00Z`),
    );
    t.loadRemote(many);
    t.applyHost({
      host: "gpu",
      reset: true,
      change: {
        upserted: [session("@gpu codex:g1", "2026-11-03T10:00:00Z", { title: "train" })],
        removed: [],
      },
    });
    t.remoteHosts = [host("box", 1000), host("gpu", 1)];
    expect(t.visible.length).toBe(1002);
    expect(t.counts.total).toBe(1 + 1000 + 1);
    // The same id on two machines is two rows.
    t.applyHost({
      host: "gpu",
      reset: false,
      change: { upserted: [session("@gpu claude-code:b7", null)], removed: [] },
    });
    expect(t.visible.filter((s) => s.id === "b7").length).toBe(2);

    t.toggleHost("gpu");
    expect(t.visible.map((s) => s.key)).toEqual(["@gpu codex:g1", "@gpu claude-code:b7"]);
    t.toggleHost(LOCAL_HOST);
    expect(t.visible.map((s) => s.key)).toEqual([
      "@gpu codex:g1",
      "claude-code:l1",
      "@gpu claude-code:b7",
    ]);
    t.clearFilters();
    t.query = "gpu";
    expect(t.visible.length).toBe(2);
    t.query = "";
    t.sortBy("host");
    expect(t.visible[0].key).toBe("claude-code:l1");
    expect(t.visible[t.visible.length - 1].key.startsWith("@gpu ")).toBe(true);
  });

  it("replaces one host's rows on its reset and keeps them when this machine reloads", () => {
    const t = new SessionTable();
    t.loadRemote([session("@box claude-code:a", null), session("@gpu claude-code:b", null)]);
    t.load(snapshot([session("claude-code:l", null)]));
    expect(t.size).toBe(3);
    t.selected.add("@box claude-code:a");
    t.applyHost({
      host: "box",
      reset: true,
      change: { upserted: [session("@box claude-code:c", null)], removed: [] },
    });
    expect(t.has("@box claude-code:a")).toBe(false);
    expect(
      t.has("@box claude-code:c") && t.has("@gpu claude-code:b") && t.has("claude-code:l"),
    ).toBe(true);
    expect(t.selected.size).toBe(0);
    // A host removed from Settings: an empty reset takes its rows away.
    t.applyHost({ host: "gpu", reset: true, change: { upserted: [], removed: [] } });
    expect(t.size).toBe(2);
    t.applyHost({
      host: "box",
      reset: false,
      change: { upserted: [], removed: ["@box claude-code:c"] },
    });
    expect(t.visible.map((s) => s.key)).toEqual(["claude-code:l"]);
  });
});
