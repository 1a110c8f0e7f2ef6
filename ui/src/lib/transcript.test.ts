import { describe, expect, it } from "vitest";
import { TranscriptView } from "./transcript.svelte";
import type { TranscriptCursor, TranscriptEntry, TranscriptPage } from "./bindings";

const cursor = (index: number): TranscriptCursor => ({ offset: index * 100, index, carry: null });
const entry = (index: number, text = `e${index}`): TranscriptEntry => ({
  index,
  timestamp: null,
  kind: "assistant",
  text,
  tool_name: null,
  tool_use_id: null,
  tool_input: null,
  is_error: false,
  model: null,
  usage: null,
  truncated: false,
  full_len: text.length,
  at: cursor(index),
});
const page = (entries: TranscriptEntry[], next: number, reset = false): TranscriptPage => ({
  entries,
  next: cursor(next),
  reset,
  at_end: true,
  total_bytes: 0,
  parse_errors: 0,
});

describe("TranscriptView", () => {
  it("appends new entries and replaces a re-sent growing one", () => {
    const t = new TranscriptView();
    t.apply(page([entry(0), entry(1)], 1), null);
    // The reader re-sends entry 1 (still growing) with entry 2 after it.
    t.apply(page([entry(1, "e1 grown"), entry(2)], 2), cursor(1));
    expect(t.entries.map((e) => e.text)).toEqual(["e0", "e1 grown", "e2"]);
    expect(t.next?.index).toBe(2);
  });

  it("starts over on a reset and expands a truncated entry", () => {
    const t = new TranscriptView();
    t.apply(page([entry(0), entry(1)], 2), null);
    t.apply(page([entry(0, "new")], 1, true), cursor(2));
    expect(t.entries.map((e) => e.text)).toEqual(["new"]);
    t.expand(entry(0, "new and complete"));
    expect(t.entries[0].text).toBe("new and complete");
  });

  it("pages back: earlier entries go in front, and a replaced file says start over", () => {
    const t = new TranscriptView();
    t.apply(page([entry(400), entry(401)], 402), null);
    expect(t.earlier).toBe(400);
    expect(t.prepend(page([entry(200), entry(399), entry(400, "dup")], 0), 400)).toBe(true);
    expect(t.entries.map((e) => e.index)).toEqual([200, 399, 400, 401]);
    expect(t.entries[2].text).toBe("e400");
    expect(t.prepend(page([entry(0)], 0, true), 200)).toBe(false);
    expect(t.entries.length).toBe(4);
    const whole = new TranscriptView();
    whole.apply(page([entry(0)], 1), null);
    expect(whole.earlier).toBeNull();
  });
});
