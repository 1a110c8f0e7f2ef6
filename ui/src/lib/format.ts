// Formatting helpers for the tables: durations, relative times, short ids, numbers.
import type { Harness, QuitReport, RunInfo, SessionRecorded, Status } from "./bindings";

/** "4s", "3m 07s", "2h 05m", "3d 04h" — compact and stable in width. */
export function formatDuration(ms: number): string {
  const s = Math.max(0, Math.floor(ms / 1000));
  if (s < 60) return `${s}s`;
  if (s < 3600) return `${Math.floor(s / 60)}m ${String(s % 60).padStart(2, "0")}s`;
  if (s < 86400)
    return `${Math.floor(s / 3600)}h ${String(Math.floor((s % 3600) / 60)).padStart(2, "0")}m`;
  return `${Math.floor(s / 86400)}d ${String(Math.floor((s % 86400) / 3600)).padStart(2, "0")}h`;
}

/** Time since `iso` as "12s ago"; "—" when unknown. */
export function formatAgo(iso: string | null, now: number): string {
  if (!iso) return "—";
  const t = Date.parse(iso);
  if (Number.isNaN(t)) return "—";
  return `${formatDuration(now - t)} ago`;
}

/** Milliseconds elapsed since `iso`, or null. */
export function elapsedSince(iso: string | null, now: number): number | null {
  if (!iso) return null;
  const t = Date.parse(iso);
  return Number.isNaN(t) ? null : Math.max(0, now - t);
}

/** 1234 → "1.2k", 2500000 → "2.5M". */
export function formatCount(n: number): string {
  if (n < 1000) return String(n);
  if (n < 1_000_000) return `${(n / 1000).toFixed(n < 10_000 ? 1 : 0)}k`;
  return `${(n / 1_000_000).toFixed(1)}M`;
}

/** Keep the end of a path, where the project name is. */
export function tailPath(path: string | null, max = 32): string {
  if (!path) return "—";
  return path.length <= max ? path : `…${path.slice(path.length - max + 1)}`;
}

/** "$0.0123", "$4.56", "$1,234" — or "—" when the price is unknown. */
export function formatCost(usd: number | null): string {
  if (usd === null || usd === undefined) return "—";
  if (usd < 0.01) return usd === 0 ? "$0" : `$${usd.toFixed(4)}`;
  if (usd < 100) return `$${usd.toFixed(2)}`;
  return `$${Math.round(usd).toLocaleString("en-US")}`;
}

/** The cost cell: "price unknown" when tokens were used but no cost is known (the
 * model has no price and the agent recorded none; decided in Rust, `price_unknown`). */
export function costLabel(s: { cost_usd: number | null; price_unknown: boolean }): string {
  return s.price_unknown ? "price unknown" : formatCost(s.cost_usd);
}

export function truncate(text: string, max: number): string {
  return text.length <= max ? text : `${text.slice(0, max - 1)}…`;
}

export const STATUS_LABELS: Record<Status, string> = {
  generating: "Generating",
  "running-tool": "Running tool",
  "waiting-for-input": "Waiting for input",
  idle: "Idle",
  ended: "Ended",
  failed: "Failed",
};

/** Each agent's own name, as its users know it. */
export const HARNESS_NAMES: Record<Harness, string> = {
  "claude-code": "Claude Code",
  codex: "Codex CLI",
  gptme: "gptme",
  gemini: "Gemini CLI",
  opencode: "opencode",
  copilot: "Copilot CLI",
};

/** "Running", "Completed", "Failed (exit 3)", "Killed". */
export function runStatusLabel(run: RunInfo): string {
  switch (run.status) {
    case "running":
      return "Running";
    case "completed":
      return "Completed";
    case "killed":
      return "Killed";
    case "failed":
      return run.exit_code !== null
        ? `Failed (exit ${run.exit_code})`
        : `Failed (${run.reason ?? "unknown"})`;
  }
}

/** How long a run has taken: until now while it runs, until its end otherwise. */
export function runDuration(run: RunInfo, now: number): number {
  const start = Date.parse(run.started_at);
  const end = run.ended_at ? Date.parse(run.ended_at) : now;
  return Math.max(0, end - start);
}

/** What "Record this session" tells the user: the record's id and outcome, or that the
 * store had it already (nothing was written). */
export function recordedMessage(r: SessionRecorded): string {
  const outcome = r.outcome ? ` (${r.outcome})` : "";
  return r.already_recorded
    ? `Already recorded as ${r.session_id}${outcome}; nothing written.`
    : `Recorded as ${r.session_id}${outcome}.`;
}

/** One line of the notice shown after a quit: what happened to one run. The backend's
 * detail already says "left running …" or "stopped: …"; only a failed stop needs saying. */
export function quitReportLine(r: QuitReport): string {
  const failed = r.action === "stop-failed" ? "could not be stopped — " : "";
  return `${r.name}: ${failed}${r.detail}`;
}
