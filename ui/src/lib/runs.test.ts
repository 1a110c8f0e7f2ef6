import { describe, expect, it } from "vitest";
import { RunList } from "./runs.svelte";
import type { RunInfo } from "./bindings";

const run = (id: string, status: RunInfo["status"] = "running"): RunInfo => ({
  id,
  name: id,
  command: "sleep 1",
  cwd: null,
  pid: 1,
  started_at: "2026-11-25T10:00:00Z",
  ended_at: null,
  status,
  exit_code: null,
  reason: null,
  log_path: null,
  env_names: [],
  duration_ms: null,
  exit_signal: null,
  pid_start_time: null,
  detached: false,
});

describe("RunList", () => {
  it("puts new runs first and replaces known ones in place", () => {
    const l = new RunList();
    l.upsert(run("a"));
    l.upsert(run("b"));
    expect(l.runs.map((r) => r.id)).toEqual(["b", "a"]);
    expect(l.running).toBe(2);
    l.upsert(run("a", "completed"));
    expect(l.runs.map((r) => [r.id, r.status])).toEqual([
      ["b", "running"],
      ["a", "completed"],
    ]);
    expect(l.running).toBe(1);
  });

  it("never lets a stale running state overwrite an ended run", () => {
    const l = new RunList();
    l.upsert(run("fast", "failed"));
    l.upsert(run("fast", "running"));
    expect(l.runs.map((r) => r.status)).toEqual(["failed"]);
  });

  it("forgets removed runs and the selection pointing at one", () => {
    const l = new RunList();
    l.load([run("a", "completed"), run("b")]);
    l.selected = "a";
    expect(l.selectedRun?.id).toBe("a");
    l.remove(["a"]);
    expect(l.runs.map((r) => r.id)).toEqual(["b"]);
    expect(l.selected).toBeNull();
  });
});
