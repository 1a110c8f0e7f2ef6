import { describe, expect, it } from "vitest";
import { TERMINAL_SCHEMES, terminalTheme } from "./terminalSchemes";

describe("terminal schemes", () => {
  it("offers the classic green on black", () => {
    const t = terminalTheme("green-on-black");
    expect(t.background).toBe("#000000");
    expect(t.foreground).toBe("#33ff66");
  });

  it("reads an unknown or missing scheme as the default", () => {
    expect(terminalTheme("amber-from-the-future")).toEqual(TERMINAL_SCHEMES.default.theme);
    expect(terminalTheme(null)).toEqual(TERMINAL_SCHEMES.default.theme);
  });

  it("gives every scheme readable text: foreground differs from background", () => {
    for (const { theme } of Object.values(TERMINAL_SCHEMES)) {
      expect(theme.foreground).not.toBe(theme.background);
    }
  });
});
