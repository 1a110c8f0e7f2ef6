import { describe, expect, it } from "vitest";
import apiSource from "./api.ts?raw";
import { EVENTS } from "./events";

describe("EVENTS", () => {
  it("is what api.ts listens through: no name written there as a string", () => {
    expect(apiSource).not.toMatch(/listen<[^>]*>\(\s*["'`]/);
    for (const key of Object.keys(EVENTS)) {
      expect(apiSource, `api.ts listens to EVENTS.${key}`).toContain(`EVENTS.${key},`);
    }
  });
  it("names each event once", () => {
    const names = Object.values(EVENTS);
    expect(new Set(names).size).toBe(names.length);
  });
});
