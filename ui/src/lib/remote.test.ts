import { describe, expect, it } from "vitest";
import { byHost, hostOf, hostStateClass, hostStateText, ownKey } from "./remote";
import type { Session } from "./bindings";

const now = Date.parse("2026-12-07T12:00:10Z");

describe("hostStateText", () => {
  it("says how long a host has been lost and when it is tried again", () => {
    expect(
      hostStateText({ state: "lost", since: "2026-12-07T12:00:00Z", reason: "eof" }, now),
    ).toBe("lost 10s ago: eof");
    expect(
      hostStateText(
        {
          state: "retrying",
          lost_since: "2026-12-07T12:00:00Z",
          attempt: 2,
          next_at: "2026-12-07T12:00:14Z",
          reason: "refused",
        },
        now,
      ),
    ).toBe("lost 10s ago; retrying in 4s (attempt 2): refused");
    expect(hostStateText({ state: "needs-action", message: "install it" }, now)).toBe("install it");
    expect(hostStateClass({ state: "live", since: "", version: "1" })).toBe("live");
    expect(hostStateClass({ state: "connecting" })).toBe("waiting");
  });
});

describe("hostOf", () => {
  it("reads the host of a remote row's key and nothing from a local one", () => {
    expect(hostOf("@me@build-1 claude-code:7a1e")).toBe("me@build-1");
    expect(hostOf("claude-code:7a1e")).toBeNull();
    expect(hostOf("codex:@x y")).toBeNull();
    expect(hostOf("@ y")).toBeNull();
    expect(hostOf("@nospace")).toBeNull();
  });
});

describe("byHost", () => {
  it("splits the rows to kill into this machine's keys and each host's ids", () => {
    const s = (key: string, id: string) => ({ key, id }) as unknown as Session;
    const { local, hosts } = byHost([
      s("claude-code:a1", "a1"),
      s("@box claude-code:b1", "b1"),
      s("@gpu codex:c1", "c1"),
      s("@box codex:b2", "b2"),
    ]);
    expect(local).toEqual(["claude-code:a1"]);
    expect([...hosts]).toEqual([
      ["box", ["b1", "b2"]],
      ["gpu", ["c1"]],
    ]);
  });
});

describe("ownKey", () => {
  it("is the host's own key of a remote row, and a local key as it is", () => {
    expect(ownKey("@me@build-1 claude-code:/h/.claude/p/7a1e.jsonl")).toBe(
      "claude-code:/h/.claude/p/7a1e.jsonl",
    );
    expect(ownKey("@box gptme:/srv/logs/a b/conversation.jsonl")).toBe(
      "gptme:/srv/logs/a b/conversation.jsonl",
    );
    expect(ownKey("claude-code:@x y")).toBe("claude-code:@x y");
  });
});
