import { describe, expect, it } from "vitest";
import { hostStateClass, hostStateText, shownSessions } from "./remote";
import type { RemoteHost, Session } from "./bindings";

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

describe("shownSessions", () => {
  it("lists what is not ended first, each group newest first", () => {
    const s = (key: string, status: string, at: string) =>
      ({ key, status, last_activity: at }) as unknown as Session;
    const host = {
      host: "box",
      sessions: [
        s("a", "idle", "2026-12-07T10:00:00Z"),
        s("b", "ended", "2026-12-07T11:00:00Z"),
        s("c", "generating", "2026-12-07T11:30:00Z"),
      ],
    } as unknown as RemoteHost;
    expect(shownSessions(host).map((x) => x.key)).toEqual(["c", "a", "b"]);
  });
});
