import { describe, expect, it } from "vitest";
import { dedupSummary, RecordTools, type RecordToolsBackend } from "./recordTools.svelte";
import type { CostView, DedupView, TranscriptMatch } from "./bindings";

const preview = (n: number, applied = false): DedupView => ({
  outcome: n ? "found" : "no_duplicates",
  groups: n
    ? [
        {
          keeper: "a1",
          harness: "claude-code",
          keeper_richness: 3,
          duplicates: Array.from({ length: n }, (_, i) => ({
            session_id: `d${i}`,
            richness: 1,
            merged_fields: ["project"],
          })),
        },
      ]
    : [],
  duplicate_count: n,
  applied,
});

const cost = (days: number | null): CostView => ({
  days,
  session_count: 2,
  priced_count: 1,
  total_cost: 1.5,
  avg_cost: 1.5,
  by_model: [],
  by_day: [],
  price_source: "built-in",
});

function backend(over: Partial<RecordToolsBackend> = {}): RecordToolsBackend {
  return {
    recordCosts: async (d) => cost(d),
    previewDuplicates: async () => preview(2),
    mergeDuplicates: async () => preview(2, true),
    searchRecordTranscripts: async () => [],
    ...over,
  };
}

describe("RecordTools", () => {
  it("merges exactly the preview it shows and keeps it when the user says no", async () => {
    const sent: DedupView[] = [];
    let answer: DedupView | null = null;
    const t = new RecordTools(
      backend({
        mergeDuplicates: async (p) => {
          sent.push(p);
          return answer;
        },
      }),
    );
    await t.previewDuplicates();
    expect(t.dedup?.duplicate_count).toBe(2);
    await t.mergeDuplicates(); // the native dialog said no
    expect(sent).toHaveLength(1);
    expect(sent[0].groups[0].duplicates.map((d) => d.session_id)).toEqual(["d0", "d1"]);
    expect(t.dedup?.applied).toBe(false);
    answer = preview(2, true);
    await t.mergeDuplicates();
    expect(t.dedup?.applied).toBe(true);
    expect(dedupSummary(t.dedup!)).toMatch(/^Merged 2 duplicate\(s\) in 1 group/);
  });

  it("shows why a merge was refused and previews again", async () => {
    let previews = 0;
    const t = new RecordTools(
      backend({
        previewDuplicates: async () => preview(++previews),
        mergeDuplicates: async () => {
          throw "the record store changed since the preview; nothing was merged — preview again";
        },
      }),
    );
    await t.previewDuplicates();
    await t.mergeDuplicates();
    expect(t.dedupError).toMatch(/changed since the preview/);
    expect(t.dedup?.duplicate_count).toBe(2);
  });

  it("does not merge an empty preview", async () => {
    let merges = 0;
    const t = new RecordTools(
      backend({
        previewDuplicates: async () => preview(0),
        mergeDuplicates: async () => (merges++, null),
      }),
    );
    await t.previewDuplicates();
    await t.mergeDuplicates();
    expect(merges).toBe(0);
    expect(dedupSummary(t.dedup!)).toBe("No two records describe the same session.");
  });

  it("keeps the newest cost window when answers arrive out of order", async () => {
    const waits: ((v: CostView) => void)[] = [];
    const t = new RecordTools(
      backend({ recordCosts: (d) => new Promise((r) => waits.push(() => r(cost(d)))) }),
    );
    const first = t.loadCost(7);
    const second = t.loadCost(null);
    waits[1](cost(null));
    await second;
    waits[0](cost(7));
    await first;
    expect(t.cost?.days).toBeNull();
    expect(t.costDays).toBeNull();
  });

  it("searches only when there is text, and sends the options", async () => {
    const asked: unknown[] = [];
    const hit: TranscriptMatch = {
      session_id: "s1",
      harness: "codex",
      path: "/x.jsonl",
      date: "2026-12-01 10:00",
      hit_count: 2,
      snippets: [["user", "…the needle…"]],
    };
    const t = new RecordTools(
      backend({
        searchRecordTranscripts: async (q) => (asked.push(q), [hit]),
      }),
    );
    await t.runSearch();
    expect(asked).toHaveLength(0);
    expect(t.matches).toBeNull();
    t.search.text = "needle";
    t.search.harness = "codex";
    await t.runSearch();
    expect(asked).toEqual([{ text: "needle", days: 30, case_sensitive: false, harness: "codex" }]);
    expect(t.matches).toEqual([hit]);
  });
});
