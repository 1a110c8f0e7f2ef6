import { describe, expect, it } from "vitest";
import {
  costPerDay,
  dataUrlBytes,
  formatValue,
  modelOutcomeChart,
  rateChart,
  sessionsPerDay,
  slug,
  toCsv,
  trendChart,
} from "./analytics";
import type { SessionAnalytics } from "./bindings";

const analytics: SessionAnalytics = {
  days: ["2026-11-24", "2026-11-25"],
  by_harness: [
    { harness: "claude-code", sessions: [2, 0], tokens: [100, 0] },
    { harness: "codex", sessions: [0, 3], tokens: [0, 30] },
  ],
  cost_per_day: [1.23456, 0.00031],
  unpriced: 0,
  duration_buckets: [],
  top_projects: [],
};

describe("chart data", () => {
  it("rates become percentages and labels carry the group size", () => {
    const c = rateChart([
      { name: "opus", total: 3, productive: 2, rate: 2 / 3 },
      { name: "sonnet", total: 1, productive: 1, rate: 1 },
    ]);
    expect(c.labels).toEqual(["opus (n=3)", "sonnet (n=1)"]);
    expect(c.series[0].values).toEqual([66.7, 100]);
    expect(c.unit).toBe("percent");
  });

  it("sessions per day has one series per harness aligned with the days", () => {
    const c = sessionsPerDay(analytics);
    expect(c.labels).toEqual(["2026-11-24", "2026-11-25"]);
    expect(c.series.map((s) => [s.label, s.values])).toEqual([
      ["claude-code", [2, 0]],
      ["codex", [0, 3]],
    ]);
    expect(costPerDay(analytics).series[0].values).toEqual([1.2346, 0.0003]);
  });

  it("model × outcome splits productive, NOOP and the rest", () => {
    const c = modelOutcomeChart([
      { model: "opus", total: 5, productive: 2, noop: 1, other: 2, rate: 0.4 },
    ]);
    expect(c.series.map((s) => s.values[0])).toEqual([2, 1, 2]);
  });

  it("trend shows success and NOOP rate per day", () => {
    const c = trendChart([
      {
        day: "2026-11-20",
        total: 4,
        productive: 1,
        noop: 2,
        failed: 0,
        other: 1,
        noop_rate: 0.5,
        success_rate: 0.25,
      },
    ]);
    expect(c.series.map((s) => s.values)).toEqual([[25], [50]]);
  });
});

describe("export", () => {
  it("writes one CSV row per label and quotes what needs quoting", () => {
    const csv = toCsv(
      {
        labels: ["a,b", 'say "hi"'],
        series: [
          { label: "n", values: [1, null] },
          { label: "rate", values: [0.5, 2] },
        ],
        unit: "count",
      },
      "group",
    );
    expect(csv).toBe('group,n,rate\r\n"a,b",1,0.5\r\n"say ""hi""",,2\r\n');
  });

  it("decodes a PNG data URL to its bytes", () => {
    // "\x89PNG" in base64.
    expect([...dataUrlBytes("data:image/png;base64,iVBORw==")]).toEqual([0x89, 0x50, 0x4e, 0x47]);
  });

  it("file names and values read well", () => {
    expect(slug("Success rate by model / harness")).toBe("success-rate-by-model-harness");
    expect(slug("!!")).toBe("chart");
    expect(formatValue(12.345, "percent")).toBe("12.3%");
    expect(formatValue(3.5, "usd")).toBe("$3.50");
    expect(formatValue(12000, "count")).toBe("12,000");
    expect(formatValue(null, "count")).toBe("—");
  });
});
