import { describe, expect, it } from "vitest";
import {
  costLabel,
  formatAgo,
  formatCount,
  formatDuration,
  recordedMessage,
  quitReportLine,
  runDuration,
  runStatusLabel,
  tailPath,
  truncate,
} from "./format";
import type { RunInfo } from "./bindings";

describe("formatDuration", () => {
  it("stays compact across magnitudes", () => {
    expect(formatDuration(0)).toBe("0s");
    expect(formatDuration(59_999)).toBe("59s");
    expect(formatDuration(187_000)).toBe("3m 07s");
    expect(formatDuration(2 * 3600_000 + 5 * 60_000)).toBe("2h 05m");
    expect(formatDuration(3 * 86400_000 + 4 * 3600_000)).toBe("3d 04h");
    expect(formatDuration(-5)).toBe("0s");
  });
});

describe("formatAgo", () => {
  it("handles missing and invalid times", () => {
    const now = Date.parse("2026-11-25T10:00:10Z");
    expect(formatAgo("2026-11-25T10:00:00Z", now)).toBe("10s ago");
    expect(formatAgo(null, now)).toBe("—");
    expect(formatAgo("not a date", now)).toBe("—");
  });
});

describe("numbers and text", () => {
  it("abbreviates counts", () => {
    expect(formatCount(999)).toBe("999");
    expect(formatCount(1234)).toBe("1.2k");
    expect(formatCount(56_789)).toBe("57k");
    expect(formatCount(2_500_000)).toBe("2.5M");
  });
  it("keeps the end of long paths and the start of long text", () => {
    expect(tailPath("/home/user/projects/sessionscope", 14)).toBe("…/sessionscope");
    expect(tailPath(null)).toBe("—");
    expect(truncate("abcdef", 4)).toBe("abc…");
    expect(truncate("abc", 4)).toBe("abc");
  });
});

describe("runs", () => {
  const base: RunInfo = {
    id: "r",
    name: "r",
    command: "x",
    cwd: null,
    pid: 1,
    started_at: "2026-11-25T10:00:00Z",
    ended_at: null,
    status: "running",
    exit_code: null,
    reason: null,
    log_path: null,
    env_names: [],
    duration_ms: null,
    exit_signal: null,
    pid_start_time: null,
    detached: false,
  };
  it("labels each status, with the exit code of a failure", () => {
    expect(runStatusLabel(base)).toBe("Running");
    expect(runStatusLabel({ ...base, status: "failed", exit_code: 3 })).toBe("Failed (exit 3)");
    expect(runStatusLabel({ ...base, status: "failed", reason: "signal: Hangup" })).toBe(
      "Failed (signal: Hangup)",
    );
    expect(runStatusLabel({ ...base, status: "killed" })).toBe("Killed");
  });
  it("measures running runs until now and finished ones until their end", () => {
    const now = Date.parse("2026-11-25T10:00:30Z");
    expect(runDuration(base, now)).toBe(30_000);
    expect(runDuration({ ...base, ended_at: "2026-11-25T10:00:05Z" }, now)).toBe(5_000);
  });
});

describe("recordedMessage", () => {
  it("says which record was written, or that none was", () => {
    expect(
      recordedMessage({ session_id: "ab12cd34", outcome: "productive", already_recorded: false }),
    ).toBe("Recorded as ab12cd34 (productive).");
    expect(recordedMessage({ session_id: "ab12cd34", outcome: null, already_recorded: true })).toBe(
      "Already recorded as ab12cd34; nothing written.",
    );
  });
});

describe("quitReportLine", () => {
  it("names the run and what quitting did to it", () => {
    const base = { run_id: "r1", name: "build", detail: "left running; output goes to /x.log" };
    expect(quitReportLine({ ...base, action: "left-running" })).toBe(
      "build: left running; output goes to /x.log",
    );
    expect(quitReportLine({ ...base, action: "stop-failed", detail: "alive after SIGKILL" })).toBe(
      "build: could not be stopped — alive after SIGKILL",
    );
  });
});

describe("costLabel", () => {
  it("says price unknown instead of a dash or $0 when tokens have no price", () => {
    expect(costLabel({ cost_usd: null, price_unknown: true })).toBe("price unknown");
    expect(costLabel({ cost_usd: null, price_unknown: false })).toBe("—");
    expect(costLabel({ cost_usd: 0.00124, price_unknown: false })).toBe("$0.0012");
  });
});
