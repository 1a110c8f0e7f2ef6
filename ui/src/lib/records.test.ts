import { describe, expect, it } from "vitest";
import { distinct, formatSeconds, RecordsStore, type RecordsBackend } from "./records.svelte";
import type { RecordField, RecordQuery, RecordRow, RecordsPage } from "./bindings";

const row = (id: string, model: string | null): RecordRow => ({
  session_id: id,
  timestamp: "2026-11-25T10:00:00Z",
  harness: "codex",
  model,
  model_normalized: model,
  run_type: null,
  category: null,
  outcome: "productive",
  project: null,
  duration_seconds: 0,
  token_count: null,
  deliverables: 0,
  unknown_keys: 0,
});

const page = (ids: string[]): RecordsPage => ({
  store_path: "/tmp/s/session-records.jsonl",
  rows: ids.map((id) => row(id, "opus")),
  overview: {
    total: ids.length,
    productive: ids.length,
    noop: 0,
    violated_policy: 0,
    success_rate: 1,
    duration: null,
    by_model: [],
    by_harness: [],
    by_run_type: [],
    by_project: [],
    duration_buckets: [],
    noop_by_run_type: [],
    daily_counts: [],
    model_outcome: [],
  },
  trend: [],
  categories: { total: ids.length, unclassified: ids.length, categories: [] },
});

function deferred<T>() {
  let resolve!: (v: T) => void;
  const promise = new Promise<T>((r) => (resolve = r));
  return { promise, resolve };
}

describe("RecordsStore", () => {
  it("sends the filters and ignores an older answer that arrives last", async () => {
    const asked: RecordQuery[] = [];
    const answers = [deferred<RecordsPage>(), deferred<RecordsPage>()];
    const backend: RecordsBackend = {
      listRecords: (q) => {
        asked.push(q);
        return answers[asked.length - 1].promise;
      },
      recordDetail: async () => [],
      annotateRecord: async () => [],
    };
    const store = new RecordsStore(backend);
    const first = store.reload();
    const second = store.setFilter("harness", "codex");
    expect(asked[1].harness).toBe("codex");
    expect(asked[1].since).toBe("30d");
    answers[1].resolve(page(["new"]));
    await second;
    answers[0].resolve(page(["old"]));
    await first;
    expect(store.rows.map((r) => r.session_id)).toEqual(["new"]);
    expect(store.loading).toBe(false);
  });

  it("an empty filter value means no filter", async () => {
    const asked: RecordQuery[] = [];
    const store = new RecordsStore({
      listRecords: async (q) => (asked.push(q), page([])),
      recordDetail: async () => [],
      annotateRecord: async () => [],
    });
    await store.setFilter("model", "");
    expect(asked[0].model).toBeNull();
    await store.clearFilters();
    expect(asked[1].since).toBeNull();
  });

  it("annotating shows the written record and re-reads the page", async () => {
    let reads = 0;
    let stored = "productive";
    const store = new RecordsStore({
      listRecords: async () => (reads++, page(["a"])),
      recordDetail: async () => [{ key: "outcome", value: stored, known: true }],
      annotateRecord: async (id, a) => {
        expect(id).toBe("a");
        stored = a.outcome ?? stored;
        return [{ key: "outcome", value: stored, known: true }];
      },
    });
    await store.select("a");
    expect(store.detail?.[0].value).toBe("productive");
    await store.annotate("a", {
      outcome: "noop",
      category: null,
      add_deliverables: [],
      notes: null,
    });
    expect(reads).toBe(1);
    expect(store.detail?.[0].value).toBe("noop");
  });

  it("arrow keys move the selection within the rows", async () => {
    const store = new RecordsStore({
      listRecords: async () => page(["a", "b", "c"]),
      recordDetail: async (id) => [{ key: "session_id", value: id, known: true }],
      annotateRecord: async () => [],
    });
    await store.reload();
    await store.move(1);
    expect(store.selected).toBe("a");
    await store.move(1);
    await store.move(5);
    expect(store.selected).toBe("c");
    expect(store.detail?.[0].value).toBe("c");
    await store.move(-1);
    expect(store.selected).toBe("b");
  });

  it("shows a host's records, never another machine's answer under its name", async () => {
    const calls: [string, string | null][] = [];
    const local = deferred<RecordsPage>();
    const backend: RecordsBackend = {
      listRecords: (_q, host) => {
        calls.push(["list", host]);
        return host === null ? local.promise : Promise.resolve(page(["remote1"]));
      },
      recordDetail: async (id, host) => {
        calls.push([`detail ${id}`, host]);
        return [{ key: "session_id", value: id, known: true }];
      },
      annotateRecord: async () => [],
    };
    const store = new RecordsStore(backend);
    const first = store.reload();
    // Switched to the host while this machine's page is still on its way.
    await store.setHost("box");
    expect(store.host).toBe("box");
    expect(store.rows.map((r) => r.session_id)).toEqual(["remote1"]);
    local.resolve(page(["mine"]));
    await first;
    expect(store.rows.map((r) => r.session_id)).toEqual(["remote1"]);
    await store.select("remote1");
    expect(calls.at(-1)).toEqual(["detail remote1", "box"]);
    await expect(
      store.annotate("remote1", {
        outcome: "noop",
        category: null,
        add_deliverables: [],
        notes: null,
      }),
    ).rejects.toThrow("box");
    // Back to this machine: the host's rows and selection go at once.
    const back = deferred<RecordsPage>();
    backend.listRecords = (_q, host) => {
      calls.push(["list", host]);
      return back.promise;
    };
    const switching = store.setHost(null);
    expect(store.rows).toEqual([]);
    expect(store.selected).toBeNull();
    back.resolve(page(["mine"]));
    await switching;
    expect(store.rows.map((r) => r.session_id)).toEqual(["mine"]);
    expect(calls.filter((c) => c[0] === "list").map((c) => c[1])).toEqual([null, "box", null]);
  });

  it("reports a backend error instead of the page", async () => {
    const store = new RecordsStore({
      listRecords: async () => {
        throw "invalid --since value: 'x'";
      },
      recordDetail: async () => [],
      annotateRecord: async () => [],
    });
    await store.reload();
    expect(store.error).toContain("--since");
    expect(store.page).toBeNull();
  });
});

describe("helpers", () => {
  it("distinct values are sorted and skip nulls", () => {
    expect(
      distinct([row("1", "b"), row("2", null), row("3", "a"), row("4", "b")], "model"),
    ).toEqual(["a", "b"]);
  });

  it("formats seconds", () => {
    expect(formatSeconds(0)).toBe("—");
    expect(formatSeconds(45)).toBe("45s");
    expect(formatSeconds(605)).toBe("10m 5s");
    expect(formatSeconds(3720)).toBe("1h 02m");
  });
});
