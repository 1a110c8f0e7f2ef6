// @vitest-environment jsdom
// The detail pane's transcript against a slow backend (a remote host answers over
// ssh): row changes that come while a read is under way are not lost, and a read
// started for the previous session is never shown for the one opened since.
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { cleanup, render } from "@testing-library/svelte";
import { tick } from "svelte";
import type { Session, TranscriptCursor, TranscriptPage } from "../lib/bindings";

type Read = {
  key: string;
  from: TranscriptCursor | null;
  resolve: (p: TranscriptPage) => void;
};
const reads: Read[] = [];

vi.mock("../lib/api", () => ({
  readTranscript: (key: string, from: TranscriptCursor | null) =>
    new Promise<TranscriptPage>((resolve) => reads.push({ key, from, resolve })),
  readTranscriptEntry: () => Promise.reject(new Error("not in this test")),
}));

const { default: Transcript } = await import("./Transcript.svelte");

const cursor = (index: number): TranscriptCursor =>
  ({ offset: index * 100, index, carry: null }) as TranscriptCursor;

function page(key: string, from: number, to: number): TranscriptPage {
  const entries = [];
  for (let i = from; i < to; i++)
    entries.push({
      index: i,
      kind: "assistant",
      text: `${key} entry ${i}`,
      is_error: false,
      truncated: false,
      full_len: 0,
      tool_name: null,
      tool_input: null,
      usage: null,
      timestamp: null,
    });
  return { entries, next: cursor(to), reset: false, parse_errors: 0 } as unknown as TranscriptPage;
}

const session = (key: string, written: number) =>
  ({
    key,
    last_activity: `2026-12-07T12:00:${String(written).padStart(2, "0")}Z`,
    user_messages: written,
    assistant_messages: 0,
    tool_calls: 0,
  }) as unknown as Session;

const shown = (c: HTMLElement) =>
  [...c.querySelectorAll("[data-testid=entry]")].map((e) => e.textContent?.trim() ?? "");

async function settle() {
  for (let i = 0; i < 5; i++) {
    await tick();
    await Promise.resolve();
  }
}

beforeEach(() => {
  reads.length = 0;
});
afterEach(cleanup);

describe("Transcript", () => {
  it("reads on after a change that came while the opening read was under way", async () => {
    const key = "@box claude-code:/srv/a.jsonl";
    const { container, rerender } = render(Transcript, { session: session(key, 0) });
    await settle();
    expect(reads.map((r) => r.from)).toEqual([null]);
    // The agent writes two entries while the host is still answering the opening read
    // (which read the file before they were written: no entries yet).
    await rerender({ session: session(key, 1) });
    await rerender({ session: session(key, 2) });
    await settle();
    reads[0].resolve(page(key, 0, 0));
    await settle();
    // The change is not dropped: the pane reads on from the opening read's cursor.
    expect(reads.length).toBe(2);
    expect(reads[1].from).toEqual(cursor(0));
    reads[1].resolve(page(key, 0, 2));
    await settle();
    expect(shown(container).length).toBe(2);
    // And it then waits for the next change: no read without one.
    await settle();
    expect(reads.length).toBe(2);
  });

  it("never shows a read of the previous session for the one opened since", async () => {
    const a = "@box claude-code:/srv/a.jsonl";
    const b = "@box claude-code:/srv/b.jsonl";
    const { container, rerender } = render(Transcript, { session: session(a, 0) });
    await settle();
    reads[0].resolve(page(a, 0, 5));
    await settle();
    // a is written to: a follow read goes out; the user opens b meanwhile.
    await rerender({ session: session(a, 1) });
    await settle();
    expect(reads.length).toBe(2);
    await rerender({ session: session(b, 0) });
    await settle();
    reads[1].resolve(page(a, 5, 5));
    await settle();
    // b's opening read was not lost behind a's, and a's answer was not applied to b.
    expect(reads.length).toBe(3);
    expect(reads[2]).toMatchObject({ key: b, from: null });
    expect(shown(container)).toEqual([]);
    reads[2].resolve(page(b, 0, 3));
    await settle();
    expect(shown(container).map((t) => t.replace(/\s+/g, " "))).toEqual(
      [0, 1, 2].map((i) => expect.stringContaining(`${b} entry ${i}`)),
    );
  });
});
