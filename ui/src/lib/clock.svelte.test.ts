// @vitest-environment jsdom
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { flushSync } from "svelte";
import { clock, TICK_MS } from "./clock.svelte";

describe("clock", () => {
  beforeEach(() => vi.useFakeTimers());
  afterEach(() => vi.useRealTimers());

  it("runs no timer while nothing on screen reads it", () => {
    expect(clock.ticking).toBe(false);
    const t = clock.now;
    expect(Math.abs(t - Date.now())).toBeLessThan(5);
    expect(vi.getTimerCount()).toBe(0);
  });

  it("ticks while a reader is mounted, and stops when the last one goes", async () => {
    const seen: number[] = [];
    const cleanup = $effect.root(() => {
      $effect(() => {
        seen.push(clock.now);
      });
    });
    flushSync();
    expect(clock.ticking).toBe(true);
    expect(vi.getTimerCount()).toBe(1);
    const first = seen.length;
    for (let i = 0; i < 3; i++) {
      vi.advanceTimersByTime(TICK_MS);
      flushSync();
    }
    expect(seen.length).toBe(first + 3);
    expect(seen[seen.length - 1] - seen[first - 1]).toBe(3 * TICK_MS);
    const ran = seen.length;
    cleanup();
    // Svelte lets go of a subscription a microtask after its last reader.
    await Promise.resolve();
    expect(clock.ticking).toBe(false);
    expect(vi.getTimerCount()).toBe(0);
    vi.advanceTimersByTime(5 * TICK_MS);
    flushSync();
    expect(seen.length).toBe(ran);
  });

  it("stops while the window is hidden and goes on when it is shown again", async () => {
    const seen: number[] = [];
    const cleanup = $effect.root(() => {
      $effect(() => {
        seen.push(clock.now);
      });
    });
    flushSync();
    const setHidden = (hidden: boolean) => {
      Object.defineProperty(document, "hidden", { value: hidden, configurable: true });
      document.dispatchEvent(new Event("visibilitychange"));
    };
    setHidden(true);
    expect(vi.getTimerCount()).toBe(0);
    const before = seen.length;
    vi.advanceTimersByTime(10 * TICK_MS);
    flushSync();
    expect(seen.length).toBe(before);
    setHidden(false);
    flushSync();
    expect(vi.getTimerCount()).toBe(1);
    vi.advanceTimersByTime(TICK_MS);
    flushSync();
    expect(seen.length).toBeGreaterThan(before);
    cleanup();
    await Promise.resolve();
    expect(vi.getTimerCount()).toBe(0);
  });
});
