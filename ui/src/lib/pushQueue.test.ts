import { describe, expect, it, vi } from "vitest";
import { PendingChanges, perFrame } from "./pushQueue";
import type { Session, SessionCounts, SessionsChanged } from "./bindings";

const row = (key: string, user_messages: number) => ({ key, user_messages }) as unknown as Session;
const counts = (total: number) => ({ total }) as unknown as SessionCounts;
const pushed = (upserted: Session[], removed: string[], total: number): SessionsChanged => ({
  change: { upserted, removed },
  counts: counts(total),
});

describe("PendingChanges", () => {
  it("keeps the last version of each row, the removals since, and the last counts", () => {
    const p = new PendingChanges();
    expect(p.take()).toBeNull();
    p.add(pushed([row("a", 1), row("b", 1)], [], 2));
    p.add(pushed([row("a", 2)], ["c"], 2));
    p.add(pushed([], ["b"], 1));
    const t = p.take()!;
    expect(t.change.upserted).toEqual([row("a", 2)]);
    expect(t.change.removed.sort()).toEqual(["b", "c"]);
    expect(t.counts).toEqual(counts(1));
    expect(p.empty).toBe(true);
    expect(p.take()).toBeNull();
  });

  it("a row removed and then pushed again is upserted, not removed", () => {
    const p = new PendingChanges();
    p.add(pushed([], ["a"], 0));
    p.add(pushed([row("a", 5)], [], 1));
    const t = p.take()!;
    expect(t.change.upserted).toEqual([row("a", 5)]);
    expect(t.change.removed).toEqual([]);
  });

  it("an empty change set still carries its counts (a status moved)", () => {
    const p = new PendingChanges();
    p.add(pushed([], [], 7));
    expect(p.take()).toEqual({ change: { upserted: [], removed: [] }, counts: counts(7) });
  });
});

describe("perFrame", () => {
  it("applies everything pushed before a frame once, at the frame", () => {
    vi.useFakeTimers();
    const frames: (() => void)[] = [];
    const applied: [number, number][] = [];
    const q = perFrame(
      (c, n) => applied.push([c.upserted.length, (n as unknown as { total: number }).total]),
      250,
      (cb) => frames.push(cb),
    );
    for (let i = 0; i < 50; i++) q.push(pushed([row(`k${i % 10}`, i)], [], i));
    expect(applied).toEqual([]);
    expect(frames.length).toBe(1);
    frames.shift()!();
    expect(applied).toEqual([[10, 49]]);
    // The fallback timer of that batch finds nothing left to apply.
    vi.advanceTimersByTime(300);
    expect(applied.length).toBe(1);
    vi.useRealTimers();
  });

  it("applies without frames (a hidden window) after the fallback delay, and at once on flush", () => {
    vi.useFakeTimers();
    const applied: number[] = [];
    const q = perFrame(
      (c) => applied.push(c.upserted.length),
      250,
      () => {},
    );
    q.push(pushed([row("a", 1)], [], 1));
    vi.advanceTimersByTime(249);
    expect(applied).toEqual([]);
    vi.advanceTimersByTime(1);
    expect(applied).toEqual([1]);
    q.push(pushed([row("b", 1)], [], 2));
    q.flush();
    expect(applied).toEqual([1, 1]);
    q.flush();
    expect(applied).toEqual([1, 1]);
    vi.useRealTimers();
  });
});
