// Turning the backend's analytics into chart data (category labels + series) and
// chart data into CSV. Pure functions: the Chart component draws, this decides what.
import type {
  DayOutcomes,
  GroupRate,
  ModelOutcomeRow,
  NamedCount,
  SessionAnalytics,
} from "./bindings";
import { tailPath } from "./format";

export type ChartSeries = { label: string; values: (number | null)[] };
/** One value per label in every series; `unit` says how the values read. */
export type ChartData = {
  labels: string[];
  series: ChartSeries[];
  unit: "count" | "percent" | "usd";
};

/** Series colours; chosen to stay readable on the light and the dark background. */
export const PALETTE = [
  "#1f6feb",
  "#d9822b",
  "#2da44e",
  "#a371f7",
  "#e5534b",
  "#0fa3b1",
  "#8a8f98",
  "#c9a227",
];

export function formatValue(v: number | null | undefined, unit: ChartData["unit"]): string {
  if (v == null || Number.isNaN(v)) return "—";
  if (unit === "percent") return `${v.toFixed(1)}%`;
  if (unit === "usd") return `$${v.toFixed(2)}`;
  return Number.isInteger(v) ? v.toLocaleString("en-US") : v.toFixed(2);
}

const pct = (rate: number) => Math.round(rate * 1000) / 10;

/** Success rate per group; the label carries the group's size so a 100% of 1 reads as such. */
export const rateChart = (groups: GroupRate[]): ChartData => ({
  labels: groups.map((g) => `${g.name} (n=${g.total})`),
  series: [{ label: "Success rate", values: groups.map((g) => pct(g.rate)) }],
  unit: "percent",
});

export const countChart = (items: NamedCount[], label: string): ChartData => ({
  labels: items.map((i) => i.name),
  series: [{ label, values: items.map((i) => i.count) }],
  unit: "count",
});

export const modelOutcomeChart = (rows: ModelOutcomeRow[]): ChartData => ({
  labels: rows.map((r) => r.model),
  series: [
    { label: "Productive", values: rows.map((r) => r.productive) },
    { label: "NOOP", values: rows.map((r) => r.noop) },
    { label: "Other", values: rows.map((r) => r.other) },
  ],
  unit: "count",
});

export const trendChart = (days: DayOutcomes[]): ChartData => ({
  labels: days.map((d) => d.day),
  series: [
    { label: "Success rate", values: days.map((d) => pct(d.success_rate)) },
    { label: "NOOP rate", values: days.map((d) => pct(d.noop_rate)) },
  ],
  unit: "percent",
});

export const sessionsPerDay = (a: SessionAnalytics): ChartData => ({
  labels: a.days,
  series: a.by_harness.map((h) => ({ label: h.harness, values: h.sessions })),
  unit: "count",
});

export const tokensPerDay = (a: SessionAnalytics): ChartData => ({
  labels: a.days,
  series: a.by_harness.map((h) => ({ label: h.harness, values: h.tokens })),
  unit: "count",
});

export const costPerDay = (a: SessionAnalytics): ChartData => ({
  labels: a.days,
  // Cents would round a day of cheap sessions to an empty chart; keep four decimals, as
  // the cost column shows them.
  series: [
    { label: "Cost (USD)", values: a.cost_per_day.map((c) => Math.round(c * 10_000) / 10_000) },
  ],
  unit: "usd",
});

export const topProjectsChart = (a: SessionAnalytics): ChartData => ({
  labels: a.top_projects.map((p) => tailPath(p.project, 24)),
  series: [{ label: "Sessions", values: a.top_projects.map((p) => p.sessions) }],
  unit: "count",
});

/** A CSV field, quoted when it holds a separator, a quote or a line break (RFC 4180). */
function csvField(v: string): string {
  return /[",\r\n]/.test(v) ? `"${v.replaceAll('"', '""')}"` : v;
}

/** One row per label, one column per series; empty cells for missing values. */
export function toCsv(data: ChartData, labelHeader: string): string {
  const head = [labelHeader, ...data.series.map((s) => s.label)];
  const rows = data.labels.map((label, i) => [
    label,
    ...data.series.map((s) => (s.values[i] == null ? "" : String(s.values[i]))),
  ]);
  return [head, ...rows].map((r) => r.map(csvField).join(",")).join("\r\n") + "\r\n";
}

/** The bytes of a `data:image/png;base64,…` URL (what `canvas.toDataURL()` returns). */
export function dataUrlBytes(url: string): Uint8Array {
  const comma = url.indexOf(",");
  const bin = atob(url.slice(comma + 1));
  const out = new Uint8Array(bin.length);
  for (let i = 0; i < bin.length; i++) out[i] = bin.charCodeAt(i);
  return out;
}

/** A file name from a chart title: `Success rate by model` → `success-rate-by-model`. */
export const slug = (title: string) =>
  title
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, "-")
    .replace(/^-|-$/g, "") || "chart";
