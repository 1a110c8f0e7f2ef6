import { describe, expect, it } from "vitest";
import casesText from "../../../crates/core/src/sessions/short_id_cases.json?raw";
import { distinctPart, matchesId, ShortIds, shortId, shortIds } from "./shortId";

const { cases } = JSON.parse(casesText) as { cases: { ids: string[]; short: string[] }[] };

describe("shortIds", () => {
  it("gives core's answer on every case core is tested on", () => {
    expect(cases.length).toBeGreaterThanOrEqual(10);
    for (const { ids, short } of cases) {
      expect(shortIds(ids), JSON.stringify(ids)).toEqual(short);
      short.forEach((s, i) => expect(matchesId(ids[i], s)).toBe(true));
    }
  });
  it("names each session alone, like `sessionscope kill` accepts it", () => {
    const ids = [
      "019a0c11-aaaa-7000-8000-000000000001",
      "019a0c11-abcd-7000-8000-000000000002",
      "2026-11-20-quick-fox",
      "2026-11-20-quick-owl",
    ];
    const short = new ShortIds(ids);
    for (const id of ids) {
      expect(ids.filter((other) => matchesId(other, short.get(id)))).toEqual([id]);
    }
    expect(short.get("not-in-the-set")).toBe("not-in-the-set");
  });
  it("skips the date and prefix that every gptme and Gemini id shares", () => {
    expect(distinctPart("session-2026-11-20T10-00-aaaa1111")).toBe("aaaa1111");
    expect(shortId("2026-11-20-quick-fox")).toBe("quick-fo");
    expect(shortId("5f0c7a8e-1111-4222-8333-944445555666")).toBe("5f0c7a8e");
  });
});
