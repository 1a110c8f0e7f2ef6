import { describe, expect, it } from "vitest";
import { SessionTable } from "./sessions.svelte";
import type { Session, SessionCounts } from "./bindings";

function session(key: string, last: string | null, extra: Partial<Session> = {}): Session {
  return {
    key,
    id: key.split(":")[1],
    harness: "claude-code",
    title: null,
    project: "/p",
    git_branch: null,
    model: null,
    models: [],
    started_at: null,
    last_activity: last,
    status_since: null,
    user_messages: 0,
    assistant_messages: 0,
    tool_calls: 0,
    tool_errors: 0,
    usage: { input_tokens: 0, output_tokens: 0, cache_creation_tokens: 0, cache_read_tokens: 0 },
    parse_errors: 0,
    status: "waiting-for-input",
    pid: null,
    path: `/x/${key}.jsonl`,
    gone: false,
    parent_id: null,
    ...extra,
  };
}

const counts = (total: number): SessionCounts => ({
  total,
  active: total,
  idle: 0,
  generating: 0,
  running_tool: 0,
  waiting: total,
  ended: 0,
});

describe("SessionTable", () => {
  it("loads a snapshot sorted by most recent activity", () => {
    const t = new SessionTable();
    t.load({
      sessions: [
        session("claude-code:a", "2026-11-01T10:00:00Z"),
        session("claude-code:b", "2026-11-02T10:00:00Z"),
        session("claude-code:c", null),
      ],
      counts: counts(3),
      roots: ["/r"],
    });
    expect(t.sorted.map((s) => s.id)).toEqual(["b", "a", "c"]);
    expect(t.loaded).toBe(true);
    expect(t.roots).toEqual(["/r"]);
  });

  it("applies upserts and removals and takes the pushed counts", () => {
    const t = new SessionTable();
    t.load({
      sessions: [session("claude-code:a", "2026-11-01T10:00:00Z")],
      counts: counts(1),
      roots: [],
    });
    t.apply(
      {
        upserted: [
          session("claude-code:a", "2026-11-03T10:00:00Z", { user_messages: 4 }),
          session("claude-code:n", "2026-11-02T10:00:00Z"),
        ],
        removed: [],
      },
      counts(2),
    );
    expect(t.sorted.map((s) => s.id)).toEqual(["a", "n"]);
    expect(t.rows.get("claude-code:a")?.user_messages).toBe(4);
    expect(t.counts.total).toBe(2);
    t.apply({ upserted: [], removed: ["claude-code:a"] }, counts(1));
    expect(t.sorted.map((s) => s.id)).toEqual(["n"]);
  });
});
